"""Record the TLS test fixtures in tests/fixtures/tls/: HTTPS fetches on a private loopback, with key logs.

    sudo python scripts/record_tls_fixtures.py            # every fixture
    sudo python scripts/record_tls_fixtures.py --only tls12_gcm tls13_http11

How it works
------------
1. The script re-runs itself in a new network and mount namespace (``unshare --net --mount``): a loopback
   of its own, so port 443 never clashes with anything else on the machine, and an ``/etc/hosts`` of its
   own naming the test hosts (for wget). Its ``lo`` gets an MTU of 1500, so records
   span TCP segments as on a real network.
2. A self-signed certificate for ``analyzer.test`` (SAN ``analyzer.test``, ``www.analyzer.test``) is made with
   the ``cryptography`` package; nginx serves the demo's page (``analyzer.demo.site.write_site``) over TLS 1.2
   and 1.3 with HTTP/2 on 127.0.0.1:443 (and answers plain HTTP on port 80 with a redirect to it); a second nginx server on 127.0.0.2:443 only offers the secp384r1
   group, so a client that sends an X25519 key share gets a HelloRetryRequest; a third on 127.0.0.3:443 sends
   one TLS 1.3 session ticket instead of OpenSSL's two (``ssl_conf_command NumTickets 1``), a fourth on
   127.0.0.4:443 none (``NumTickets 0``), a fifth on 127.0.0.5:443 accepts early data (``ssl_early_data on``), and its twin on 127.0.0.6:443 (same name,
   ticket keys of its own) cannot open the fifth's tickets. It listens on port
   8443; port 443 of that address is a relay (:class:`DelayRelay`) that hands the client's bytes on at once and
   the server's after a delay (``DELAY_MS``; no netem needed), so the client's request leaves before the
   server's ticket arrives, as on a network with a round trip. Only the client's side (port 443) is recorded.
3. For each fixture tcpdump writes ``lo`` to a file while a real client fetches: ``curl`` (OpenSSL) or
   ``wget`` (GnuTLS), both writing the session keys to ``SSLKEYLOGFILE`` (NSS key log format). tcpdump is
   stopped with SIGINT after a short settle.
4. ``tls13_http11_dsb.pcapng`` is ``tls13_http11.pcap`` with its keys injected as a pcapng Decryption Secrets
   Block by ``editcap --inject-secrets tls,KEYS``.
5. Each file is checked with tshark (it decodes TLS and, with the key log, decrypts HTTP) before it is
   copied into tests/fixtures/tls/ next to its ``.keys`` file.

Needs root, unshare, ip, nginx, curl, wget, tcpdump, editcap and tshark (Debian: nginx, curl, wget, tcpdump,
tshark, iproute2, util-linux).
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "fixtures" / "tls"
sys.path.insert(0, str(REPO))

HOST = "analyzer.test"
HRR_HOST = "hrr.analyzer.test"
ONE_HOST = "one.analyzer.test"           # a server that sends one TLS 1.3 session ticket (OpenSSL's default: two)
NONE_HOST = "none.analyzer.test"         # a server that sends no TLS 1.3 session ticket
EARLY_HOST = "early.analyzer.test"       # a server that accepts TLS 1.3 early data (0-RTT)
ADDR, HRR_ADDR, ONE_ADDR, NONE_ADDR, EARLY_ADDR = "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"
EARLY2_ADDR = "127.0.0.6"                # the early-data server's twin, with ticket keys of its own
SETTLE_S = 0.4
PROXY_PORT = 3128                            # the CONNECT proxy of the proxy fixtures (ConnectProxy)
PROXIED = {"tls13_connect_proxy": False, "tls13_connect_proxy_auth": True,    # name -> the proxy asks credentials
           "connect_proxy_refused": True}
DELAY_MS = {"tls13_one_ticket_rtt": 10}      # fixtures recorded through the delaying relay (see DelayRelay)
ONE_UPSTREAM = 8443                          # the one-ticket server's own port, behind the relay

CURL = ["curl", "-sS", "-k", "--resolve", f"{HOST}:443:{ADDR}", "--resolve", f"{HOST}:80:{ADDR}",
        "--resolve", f"{HRR_HOST}:443:{HRR_ADDR}", "--resolve", f"{ONE_HOST}:443:{ONE_ADDR}", "--resolve", f"{NONE_HOST}:443:{NONE_ADDR}"]


# a client that checks the certificate (no -k): the self-signed one is refused
CURL_VERIFY = [part for part in CURL if part != "-k"]


def url(path: str = "/", host: str = HOST) -> str:
    return f"https://{host}{path}"


# two s_client runs: the first GET saves the session (its ticket), the second sends its GET as early data
_EARLY_CLIENT = f"openssl s_client -quiet -tls1_3 -connect {EARLY_ADDR}:443 -servername {EARLY_HOST}"
EARLY_SCRIPT = (
    f"printf 'GET /style.css HTTP/1.1\\r\\nHost: {EARLY_HOST}\\r\\nConnection: close\\r\\n\\r\\n' > {{tmp}}/early.req && "
    f"{_EARLY_CLIENT} -sess_out {{tmp}}/early.sess -keylogfile $SSLKEYLOGFILE < {{tmp}}/early.req && "
    f"{_EARLY_CLIENT} -sess_in {{tmp}}/early.sess -early_data {{tmp}}/early.req -keylogfile $SSLKEYLOGFILE < /dev/null"
)
# a first run saves the session on the early-data server; the resumption attempt goes to its twin on EARLY2_ADDR
# (same name and certificate, its own ticket keys, as behind a load balancer whose servers share no ticket key),
# which cannot open the ticket: a full handshake, and the GET sent as early data is refused with it; s_client then
# sends its standard input, the same GET, as a client does when its early data was refused
_EARLY2_CLIENT = _EARLY_CLIENT.replace(f"-connect {EARLY_ADDR}:443", f"-connect {EARLY2_ADDR}:443")
EARLY_REJECTED_SCRIPT = (
    f"printf 'GET /style.css HTTP/1.1\\r\\nHost: {EARLY_HOST}\\r\\nConnection: close\\r\\n\\r\\n' > {{tmp}}/early.req && "
    f"{_EARLY_CLIENT} -sess_out {{tmp}}/early.sess -keylogfile $SSLKEYLOGFILE < {{tmp}}/early.req && "
    f"{_EARLY2_CLIENT} -sess_in {{tmp}}/early.sess -early_data {{tmp}}/early.req -keylogfile $SSLKEYLOGFILE"
    " < {tmp}/early.req"
)

# the same refusal, with a request that only begins in the early data: the head of a POST and 8 of its 16 body
# bytes go as early data, the whole request (with Connection: close) after the handshake; nginx answers 405
_POST_HEAD = f"POST /form HTTP/1.1\\r\\nHost: {EARLY_HOST}\\r\\nContent-Length: 16\\r\\nConnection: close\\r\\n\\r\\n"
EARLY_PARTIAL_SCRIPT = (
    f"printf 'GET /style.css HTTP/1.1\\r\\nHost: {EARLY_HOST}\\r\\nConnection: close\\r\\n\\r\\n' > {{tmp}}/early.req && "
    f"printf '{_POST_HEAD}name=ana' > {{tmp}}/part.req && "
    f"printf '{_POST_HEAD}name=analyzer123' > {{tmp}}/post.req && "
    f"{_EARLY_CLIENT} -sess_out {{tmp}}/early.sess -keylogfile $SSLKEYLOGFILE < {{tmp}}/early.req && "
    f"{_EARLY2_CLIENT} -sess_in {{tmp}}/early.sess -early_data {{tmp}}/part.req -keylogfile $SSLKEYLOGFILE"
    " < {tmp}/post.req"
)


# HTTP/2 as early data: s_client sends the bytes of {tmp}/h2.req (written by h2_request: the connection preface,
# SETTINGS, a GET and a GOAWAY, so that nginx closes once it answered) with ALPN h2, first on a full handshake
# that saves the session, then as early data of the resumed one
_EARLY_H2_CLIENT = _EARLY_CLIENT + " -alpn h2"
EARLY_H2_SCRIPT = (        # (nginx keeps an HTTP/2 connection open after a client's GOAWAY: timeout ends s_client)
    f"(timeout 2 {_EARLY_H2_CLIENT} -sess_out {{tmp}}/early_h2.sess -keylogfile $SSLKEYLOGFILE < {{tmp}}/h2.req; "
    f"timeout 2 {_EARLY_H2_CLIENT} -sess_in {{tmp}}/early_h2.sess -early_data {{tmp}}/h2.req "
    "-keylogfile $SSLKEYLOGFILE < /dev/null; true)"
)
# the same, but the resumption attempt goes to the twin that cannot open the ticket: the preface and GET sent as
# early data are refused, and s_client sends its standard input, the same bytes, again after the handshake
_EARLY2_H2_CLIENT = _EARLY2_CLIENT + " -alpn h2"
EARLY_H2_REJECTED_SCRIPT = (
    f"(timeout 2 {_EARLY_H2_CLIENT} -sess_out {{tmp}}/early_h2.sess -keylogfile $SSLKEYLOGFILE < {{tmp}}/h2.req; "
    f"timeout 2 {_EARLY2_H2_CLIENT} -sess_in {{tmp}}/early_h2.sess -early_data {{tmp}}/h2.req "
    "-keylogfile $SSLKEYLOGFILE < {tmp}/h2.req; true)"
)


def h2_request(host: str, path: str) -> bytes:
    """An HTTP/2 client's first bytes for one GET (made with hpack, the project's HTTP/2 header coder): the
    connection preface, an empty SETTINGS, HEADERS with END_STREAM on stream 1, then GOAWAY."""
    import hpack

    def frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
        return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload

    block = hpack.Encoder().encode([(":method", "GET"), (":scheme", "https"), (":authority", host),
                                    (":path", path)])
    return (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"") + frame(1, 0x5, 1, block)
            + frame(7, 0, 0, (1).to_bytes(4, "big") + (0).to_bytes(4, "big")))


# name: (description, client command)
FIXTURES: dict[str, tuple[str, list[str]]] = {
    "tls13_http11": ("TLS 1.3 (AES-128-GCM) + HTTP/1.1, curl, one GET",
                     CURL + ["--http1.1", "--tlsv1.3", url()]),
    "tls13_aes256_multi": ("TLS 1.3 AES-256-GCM, three requests on one keep-alive connection",
                           CURL + ["--http1.1", "--tls13-ciphers", "TLS_AES_256_GCM_SHA384",
                                   url(), url("/style.css"), url("/logo.png")]),
    "tls13_chacha_resumed": ("TLS 1.3 ChaCha20-Poly1305, two connections, the second resumed with a PSK",
                             CURL + ["--http1.1", "--tls13-ciphers", "TLS_CHACHA20_POLY1305_SHA256",
                                     "-H", "Connection: close", url(), url("/app.js")]),
    "tls13_h2": ("TLS 1.3 + HTTP/2 (ALPN h2), curl --http2", CURL + ["--http2", url(), url("/style.css")]),
    "tls13_hrr": ("TLS 1.3 with a HelloRetryRequest (server wants secp384r1, client sent X25519)",
                  CURL + ["--http1.1", "--curves", "X25519:secp384r1", url(host=HRR_HOST)]),
    "tls12_gcm": ("TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256 + HTTP/1.1",
                  CURL + ["--http1.1", "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256", url()]),
    "tls12_chacha": ("TLS 1.2 ECDHE-RSA-CHACHA20-POLY1305 + HTTP/1.1",
                     CURL + ["--http1.1", "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-CHACHA20-POLY1305",
                             url()]),
    "tls12_cbc": ("TLS 1.2 ECDHE-RSA-AES256-SHA384 (CBC, HMAC, encrypt-then-MAC), session resumed",
                  CURL + ["--http1.1", "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES256-SHA384",
                          "-H", "Connection: close", url(), url("/app.js")]),
    "tls13_one_ticket": ("TLS 1.3 + HTTP/1.1, a server that sends one session ticket, two GETs on one connection",
                         CURL + ["--http1.1", "--tlsv1.3", url(host=ONE_HOST), url("/style.css", host=ONE_HOST)]),
    "tls13_one_ticket_rtt": (("TLS 1.3 + HTTP/1.1 through a relay that holds the server's bytes 10 ms: one "
                              "session ticket that arrives after the client's first request, two GETs on one "
                              "connection"),
                             CURL + ["--http1.1", "--tlsv1.3", url(host=ONE_HOST), url("/style.css", host=ONE_HOST)]),
    "tls13_no_ticket": (("TLS 1.3 + HTTP/1.1, a server that sends no session ticket, three GETs on one "
                         "connection: two equal small responses, then the page"),
                        CURL + ["--http1.1", "--tlsv1.3", url("/style.css", host=NONE_HOST),
                                url("/style.css", host=NONE_HOST), url(host=NONE_HOST)]),
    "tls13_early_data": (("TLS 1.3 + HTTP/1.1, openssl s_client: a first connection that saves the session, "
                          "then a resumed one that sends its request as early data (0-RTT)"),
                         ["sh", "-c", EARLY_SCRIPT]),
    "tls13_early_data_h2": (("TLS 1.3 + HTTP/2 (ALPN h2), openssl s_client: a first connection that saves the "
                             "session, then a resumed one that sends its HTTP/2 preface and GET as early data"),
                            ["sh", "-c", EARLY_H2_SCRIPT]),
    "tls13_early_data_rejected": (("TLS 1.3 + HTTP/1.1, openssl s_client: a first connection that saves the "
                                   "session; the resumption attempt, to a twin server that cannot open the ticket, "
                                   "sends its request as early data: refused, the client sends it again after the "
                                   "handshake"),
                                  ["sh", "-c", EARLY_REJECTED_SCRIPT]),
    "tls13_early_data_partial_rejected": (("TLS 1.3 + HTTP/1.1, openssl s_client: as tls13_early_data_rejected, "
                                           "but only the head of a POST and half its body go as early data; "
                                           "refused, the whole POST is sent after the handshake"),
                                          ["sh", "-c", EARLY_PARTIAL_SCRIPT]),
    "tls13_early_data_h2_rejected": (("TLS 1.3 + HTTP/2 (ALPN h2), openssl s_client: a first connection that "
                                      "saves the session; the resumption attempt, to a twin server that cannot "
                                      "open the ticket, sends its HTTP/2 preface and GET as early data: refused, "
                                      "the client sends them again after the handshake"),
                                     ["sh", "-c", EARLY_H2_REJECTED_SCRIPT]),
    "http_redirect_tls13": (("curl -L: http://analyzer.test/ answered 301 with a Location on https://, followed "
                             "on a new TLS 1.3 connection"),
                            CURL + ["--http1.1", "--tlsv1.3", "-L", f"http://{HOST}/"]),
    "tls13_chromium_page": (("A browser: headless Chromium loads the page (HTTP/2, TLS 1.3) with its stylesheet, "
                             "script and logo; it opens a second connection that it closes unused"),
                            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--ignore-certificate-errors", "--user-data-dir={tmp}/chromium",
                             f"--host-resolver-rules=MAP {HOST} {ADDR}", "--virtual-time-budget=2000",
                             "--dump-dom", url()]),
    "tls13_cert_unknown_ca": (("curl (OpenSSL) without -k: TLS 1.3, the client refuses the self-signed "
                               "certificate with a fatal alert Unknown CA, sent in clear before its Finished"),
                              ["sh", "-c", " ".join(CURL_VERIFY + ["--http1.1", url()]) + "; true"]),
    "tls12_cert_unknown_ca": (("curl (OpenSSL) without -k, TLS 1.2: the certificate in clear, refused with a "
                               "fatal alert Unknown CA"),
                              ["sh", "-c", " ".join(CURL_VERIFY + ["--http1.1", "--tls-max", "1.2", url()])
                               + "; true"]),
    "tls13_cert_rejected_gnutls": (("gnutls-cli without --insecure: TLS 1.3, the client refuses the self-signed "
                                    "certificate with an encrypted alert in place of its Finished"),
                                   ["sh", "-c", f"gnutls-cli --port 443 {HOST} < /dev/null; true"]),
    "tls13_cert_closed_wget": (("wget (GnuTLS) without --no-check-certificate: TLS 1.3, the client finishes the "
                                "handshake, checks the self-signed certificate after it and resets the connection "
                                "without a request"),
                               ["sh", "-c", f"wget -q -t 1 -O /dev/null --no-hsts {url()}; true"]),
    "tls_version_refused": (("curl --tls-max 1.1 against a server of TLS 1.2 and 1.3: the server ends the "
                             "handshake with a fatal alert Protocol Version"),
                            ["sh", "-c", " ".join(CURL + ["--http1.1", "--tlsv1", "--tls-max", "1.1", url()])
                             + "; true"]),
    "tls13_connect_proxy": (("curl through an HTTP proxy (CONNECT analyzer.test:443, 200), TLS 1.3 + HTTP/1.1 "
                             "in the tunnel; only the client's connection to the proxy is recorded"),
                            CURL + ["--http1.1", "-x", f"http://{ADDR}:{PROXY_PORT}", url()]),
    "tls13_connect_proxy_auth": (("curl through an HTTP proxy that asks for credentials: CONNECT, 407 with a body, "
                                  "CONNECT with Proxy-Authorization on the same connection, 200, then TLS 1.3 + "
                                  "HTTP/1.1 in the tunnel"),
                                 CURL + ["--http1.1", "--proxy-anyauth", "-U", "lab:secret", "-x",
                                         f"http://{ADDR}:{PROXY_PORT}", url()]),
    "connect_proxy_refused": (("curl through an HTTP proxy that asks for credentials, without any: CONNECT, 407 "
                               "with a body, and curl gives up (no tunnel, no TLS)"),
                              ["sh", "-c", " ".join(CURL + ["--http1.1", "-x", f"http://{ADDR}:{PROXY_PORT}", url()])
                               + "; true"]),
    "tls13_wget_page": ("wget -p (GnuTLS): the page and its resources over one TLS connection",
                        ["wget", "-q", "-p", "-nd", "-P", "{tmp}/wget", "--no-check-certificate",
                         "--no-hsts", url()]),
}


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed RSA certificate for HOST (and www.HOST, HRR_HOST)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "XX"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "analyzer test lab"),
        x509.NameAttribute(NameOID.COMMON_NAME, HOST),
    ])
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST), x509.DNSName("www." + HOST),
                                                        x509.DNSName(HRR_HOST), x509.DNSName(ONE_HOST),
                                                        x509.DNSName(NONE_HOST), x509.DNSName(EARLY_HOST)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    crt, pem = folder / "server.crt", folder / "server.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                      serialization.NoEncryption()))
    return crt, pem


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
error_log {tmp}/error.log warn;
pid {tmp}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    types {{ text/html html; text/css css; application/javascript js; image/png png; text/plain txt; }}
    ssl_certificate {crt};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-GCM-SHA384;
    ssl_session_cache shared:tls:1m;
    ssl_session_tickets on;
    server {{
        listen {addr}:80;
        server_name {host};
        return 301 https://$host$request_uri;
    }}
    server {{
        listen {addr}:443 ssl http2;
        server_name {host} www.{host};
        root {site};
        index index.html;
    }}
    server {{
        listen {one_addr}:{one_port} ssl;
        server_name {one_host};
        ssl_conf_command NumTickets 1;
        root {site};
        index index.html;
    }}
    server {{
        listen {none_addr}:443 ssl;
        server_name {none_host};
        ssl_conf_command NumTickets 0;
        root {site};
        index index.html;
    }}
    server {{
        listen {early_addr}:443 ssl http2;
        server_name {early_host};
        ssl_early_data on;
        root {site};
        index index.html;
    }}
    server {{
        listen {early2_addr}:443 ssl http2;
        server_name {early_host};
        ssl_early_data on;
        ssl_session_ticket_key {tmp}/early2.ticketkey;
        root {site};
        index index.html;
    }}
    server {{
        listen {hrr_addr}:443 ssl;
        server_name {hrr_host};
        ssl_ecdh_curve secp384r1;
        root {site};
        index index.html;
    }}
}}
"""


class _Listener:
    """A TCP server thread on ``addr:port`` handing each accepted connection to :meth:`serve` (the fixtures'
    relay and proxy)."""

    def __init__(self, addr: str, port: int) -> None:
        import socket
        import threading

        self._socket, self._threading = socket, threading
        self.listener = socket.create_server((addr, port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.serve(client)

    def serve(self, client) -> None:
        raise NotImplementedError

    def close(self) -> None:
        try:
            self.listener.shutdown(self._socket.SHUT_RDWR)     # wakes the accepting thread: the port is free
        except OSError:
            pass
        self.listener.close()


class DelayRelay(_Listener):
    """A TCP relay on ADDR:PORT to ADDR:UPSTREAM that passes the client's bytes on at once and each chunk of the
    server's ``delay`` seconds after it came, in order (what a path with that much one-way delay does to the
    server's side). Threads; one connection at a time is all the fixtures need."""

    def __init__(self, addr: str, port: int, upstream: int, delay: float) -> None:
        self.addr, self.upstream, self.delay = addr, upstream, delay
        super().__init__(addr, port)

    def serve(self, client) -> None:
        server = self._socket.create_connection((self.addr, self.upstream))
        for s in (client, server):
            s.setsockopt(self._socket.IPPROTO_TCP, self._socket.TCP_NODELAY, 1)
        self._threading.Thread(target=self._pipe, args=(client, server, 0.0), daemon=True).start()
        self._threading.Thread(target=self._pipe, args=(server, client, self.delay), daemon=True).start()

    def _pipe(self, src, dst, delay: float) -> None:
        import queue

        chunks: queue.Queue = queue.Queue()

        def send() -> None:
            while True:
                due, data = chunks.get()
                time.sleep(max(0.0, due - time.monotonic()))
                if not data:
                    dst.shutdown(self._socket.SHUT_WR)
                    return
                dst.sendall(data)

        self._threading.Thread(target=send, daemon=True).start()
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            chunks.put((time.monotonic() + delay, data))
            if not data:
                return


class ConnectProxy(_Listener):
    """An HTTP proxy on ADDR:PROXY_PORT that knows only CONNECT (RFC 9110 9.3.6), as corporate proxies carry
    HTTPS: it asks for credentials first when ``auth`` is set (407 with a body, then the client's second CONNECT
    with Proxy-Authorization on the same connection), connects to the target, answers 200 and relays bytes both
    ways until either side closes. Threads; written for the fixtures, not a general proxy."""

    def __init__(self, auth: bool = False) -> None:
        self.auth = auth
        super().__init__(ADDR, PROXY_PORT)

    def serve(self, client) -> None:
        self._threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client) -> None:
        buf = b""
        asked = False
        while True:
            while b"\r\n\r\n" not in buf:
                data = client.recv(4096)
                if not data:
                    client.close()
                    return
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            if self.auth and not asked and not any(h.lower().startswith(b"proxy-authorization:") for h in lines):
                asked = True
                body = b"proxy credentials needed\n"
                client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
                               b"realm=\"lab\"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                continue
            host, port = lines[0].split(b" ")[1].decode().rsplit(":", 1)
            server = self._socket.create_connection((host, int(port)))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if buf:
                server.sendall(buf)
            self._threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()
            self._pipe(client, server)
            return

    def _pipe(self, src, dst) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(self._socket.SHUT_WR)
        except OSError:
            pass


def run_inside(names: list[str]) -> int:
    """In the new namespace: bring lo up, start nginx, record each fixture."""
    subprocess.run(["ip", "link", "set", "lo", "mtu", "1500", "up"], check=True)
    tmp = Path(tempfile.mkdtemp(prefix="tlsfix-"))
    hosts = tmp / "hosts"          # for wget, which has no --resolve: a private /etc/hosts (mount namespace)
    hosts.write_text(f"127.0.0.1 localhost\n{ADDR} {HOST}\n{HRR_ADDR} {HRR_HOST}\n{ONE_ADDR} {ONE_HOST}\n{NONE_ADDR} {NONE_HOST}\n"
                     f"{EARLY_ADDR} {EARLY_HOST}\n")
    subprocess.run(["mount", "--bind", str(hosts), "/etc/hosts"], check=True)
    nginx = None
    try:
        site = tmp / "site"
        site.mkdir()
        from analyzer.demo.site import site as site_files

        for path, (_ctype, body) in site_files(HOST).items():
            (site / ("index.html" if path == "/" else path.lstrip("/"))).write_bytes(body)
        crt, key = make_certificate(tmp)
        (tmp / "early2.ticketkey").write_bytes(os.urandom(80))     # the twin's own ticket keys
        (tmp / "h2.req").write_bytes(h2_request(EARLY_HOST, "/style.css"))
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, crt=crt, key=key, addr=ADDR, hrr_addr=HRR_ADDR, host=HOST,
                                          hrr_host=HRR_HOST, one_addr=ONE_ADDR, one_port=ONE_UPSTREAM,
                                          one_host=ONE_HOST, none_addr=NONE_ADDR, none_host=NONE_HOST,
                                          early_addr=EARLY_ADDR, early_host=EARLY_HOST,
                                          early2_addr=EARLY2_ADDR,
                                          site=site))
        nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp)])
        time.sleep(0.5)
        if nginx.poll() is not None:
            print((tmp / "error.log").read_text(), file=sys.stderr)
            return 1
        for name in names:
            record(name, tmp)
        return 0
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def record(name: str, tmp: Path) -> None:
    description, command = FIXTURES[name]
    pcap, keys = tmp / f"{name}.pcap", tmp / f"{name}.keys"
    (tmp / "wget").mkdir(exist_ok=True)
    delay = DELAY_MS.get(name)
    relay = DelayRelay(ONE_ADDR, 443, ONE_UPSTREAM, delay / 1000) if delay else None
    proxy = ConnectProxy(PROXIED[name]) if name in PROXIED else None
    # through the proxy, only the client's connection to it is recorded (a capture on the client)
    wanted = f"tcp port {PROXY_PORT}" if proxy else "tcp port 443 or tcp port 80"
    dump = subprocess.Popen(["tcpdump", "--immediate-mode", "-i", "lo", "-U", "-s", "0", "-w", str(pcap), wanted],
                            stderr=subprocess.PIPE, text=True)
    try:
        line = dump.stderr.readline()       # "listening on lo, ..." once the capture is running
        if "listening" not in line:
            raise SystemExit(f"tcpdump did not start: {line}")
        env = dict(os.environ, SSLKEYLOGFILE=str(keys))
        subprocess.run([part.format(tmp=tmp) for part in command], env=env, check=True, timeout=60,
                       stdout=subprocess.DEVNULL)
        time.sleep(SETTLE_S)
    finally:
        dump.send_signal(signal.SIGINT)
        dump.wait(timeout=10)
        if relay is not None:
            relay.close()
        if proxy is not None:
            proxy.close()
    check(pcap, keys)
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pcap, OUT / pcap.name)
    lines = len(keys.read_text().splitlines()) if keys.exists() else 0
    if lines:               # a handshake that failed before any secret: no key log to ship
        shutil.copyfile(keys, OUT / keys.name)
    print(f"{name}: {description}: {pcap.stat().st_size} bytes, {lines} key lines")
    if name == "tls13_http11":
        dsb = OUT / f"{name}_dsb.pcapng"
        subprocess.run(["editcap", "--inject-secrets", f"tls,{keys}", str(pcap), str(dsb)], check=True)
        check(dsb, None)
        print(f"{dsb.name}: the same with its keys in a Decryption Secrets Block")


# fixtures with no HTTP (the handshake fails, or the client gives up after it): what tshark must find instead
FAILED = {"tls13_cert_unknown_ca": "tls.alert_message", "tls12_cert_unknown_ca": "tls.alert_message",
          "tls13_cert_rejected_gnutls": "tls.alert_message", "tls_version_refused": "tls.alert_message",
          "tls13_cert_closed_wget": "tls.handshake.type == 4", "connect_proxy_refused": "http.response.code == 407"}


def check(pcap: Path, keys: Path | None) -> None:
    """tshark decodes TLS and decrypts at least one HTTP message (HTTP/1.x or HTTP/2) with the keys (a
    fixture of :data:`FAILED`: tshark finds its TLS alert)."""
    wanted = FAILED.get(pcap.stem, "http or http2")
    cmd = ["tshark", "-n", "-r", str(pcap), "-Y", wanted, "-T", "fields", "-e", "frame.number"]
    if keys is not None and keys.exists():
        cmd[1:1] = ["-o", f"tls.keylog_file:{keys}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    if not out:
        raise SystemExit(f"{pcap.name}: tshark found no {wanted} with the key log")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(FIXTURES), help="record only these")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = args.only or list(FIXTURES)
    if args.inside:
        return run_inside(names)
    if os.geteuid() != 0:
        raise SystemExit("run as root (network namespace, capture)")
    cmd = ["unshare", "--net", "--mount", sys.executable, __file__, "--inside", "--only", *names]
    return subprocess.run(cmd, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
