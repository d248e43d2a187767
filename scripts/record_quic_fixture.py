"""Record tests/fixtures/quic/http3_get.pcap: an HTTP/3 GET over QUIC on a private loopback, as a browser that
speaks HTTP/3 makes it, for the timeline's QUIC steps (analyzer.apps.quic reads the packets' clear headers).

    sudo python scripts/record_quic_fixture.py      (needs aioquic, tcpdump, openssl; runs in its own network
                                                     namespace, so port 443 is free)
    sudo python scripts/record_quic_fixture.py --split      tests/fixtures/quic/http3_split_hello.pcap: the
                                                     client offers 120 ALPN values besides h3, so that its
                                                     ClientHello (~2 KB, as Chrome's with a post-quantum key
                                                     share) needs two Initial packets in two datagrams
    sudo python scripts/record_quic_fixture.py --keys       tests/fixtures/quic/http3_keys.pcap and its TLS key
                                                     log http3_keys.keys (SSLKEYLOGFILE format): GET / (a page
                                                     linking /style.css), then GET /style.css and GET /missing
                                                     (a 404) on the same connection, as a browser loads a page
    sudo python scripts/record_quic_fixture.py --keys --chacha   tests/fixtures/quic/http3_chacha.pcap and .keys:
                                                     the same GETs with TLS_CHACHA20_POLY1305_SHA256 (ChaCha20
                                                     header protection), the client updating its 1-RTT keys
                                                     (RFC 9001 6: the key phase bit flips) before the third GET

    sudo python scripts/record_quic_fixture.py --zero-rtt    tests/fixtures/quic/http3_0rtt.pcap and .keys: a
                                                     first connection (GET /) leaves the client a session
                                                     ticket; the second resumes with it and sends GET
                                                     /style.css as 0-RTT data (RFC 9001 4.6.1), before its
                                                     handshake completes, then GET /missing in 1-RTT
    sudo python scripts/record_quic_fixture.py --v2     tests/fixtures/quic/http3_v2.pcap and .keys: the --keys
                                                     GETs over QUIC version 2 (RFC 9369)
    sudo python scripts/record_quic_fixture.py --retry  tests/fixtures/quic/http3_retry.pcap: the server
                                                     answers the client's first Initial with a Retry (address
                                                     validation, RFC 9000 8.1.2); the client's second Initial
                                                     carries the token, then the GET of http3_get.pcap

An aioquic HTTP/3 server on 127.0.0.1:443/UDP answers GET / with a small page; an aioquic client asks for it,
then closes the connection; tcpdump records the loopback. Both peers are aioquic (a well-kept QUIC library):
no browser on this machine can be pointed at a QUIC server with a self-signed certificate headless.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "quic"
OUT = FIXTURES / "http3_get.pcap"
SPLIT_OUT = FIXTURES / "http3_split_hello.pcap"
KEYS_OUT = FIXTURES / "http3_keys.pcap"        # and its key log, KEYS_OUT.with_suffix(".keys")
CHACHA_OUT = FIXTURES / "http3_chacha.pcap"
ZERO_RTT_OUT = FIXTURES / "http3_0rtt.pcap"
V2_OUT = FIXTURES / "http3_v2.pcap"
RETRY_OUT = FIXTURES / "http3_retry.pcap"
# ALPN values offered besides h3 for --split (the server picks h3): 120 x 13 bytes make the hello > 1200 bytes
FILLER_ALPN = [f"x-filler-{i:03d}" for i in range(120)]
ADDR, PORT = "127.0.0.1", 443
PAGE = b"<!doctype html><title>analyzer</title><p>Hello over HTTP/3.</p>\n"
# --keys: a page that links a style sheet, the sheet (large enough for several DATA frames and packets), a 404
KEYS_PAGE = (b'<!doctype html><title>analyzer</title><link rel="stylesheet" href="/style.css">'
             b"<p>Hello over HTTP/3, decrypted with a key log.</p>\n")
STYLE = b"".join(b"p.n%04d { color: #%06x; }\n" % (i, i * 997 % 0xFFFFFF) for i in range(160))
MISSING = b"not found\n"
RESOURCES = {"/": (200, "text/html", KEYS_PAGE), "/style.css": (200, "text/css", STYLE)}


def self_signed_certificate(tmp: Path) -> tuple[Path, Path]:
    key, cert = tmp / "key.pem", tmp / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "365", "-subj",
                    "/CN=analyzer.test", "-addext", "subjectAltName=DNS:analyzer.test"],
                   check=True, capture_output=True)
    return key, cert


async def _run(tmp: Path, split: bool = False, keys: Path | None = None, chacha: bool = False,
               zero_rtt: bool = False, v2: bool = False, retry: bool = False) -> None:
    from aioquic.asyncio import connect, serve
    from aioquic.asyncio.protocol import QuicConnectionProtocol
    from aioquic.h3.connection import H3_ALPN, H3Connection
    from aioquic.h3.events import DataReceived, HeadersReceived
    from aioquic.quic.configuration import QuicConfiguration
    from aioquic.tls import CipherSuite

    class Server(QuicConnectionProtocol):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.h3 = H3Connection(self._quic)

        def quic_event_received(self, event):
            for ev in self.h3.handle_event(event):
                if isinstance(ev, HeadersReceived) and ev.stream_ended:
                    if keys is None:
                        status, ctype, body = 200, "text/html", PAGE
                    else:
                        path = dict(ev.headers)[b":path"].decode()
                        status, ctype, body = RESOURCES.get(path, (404, "text/plain", MISSING))
                    self.h3.send_headers(ev.stream_id, [(b":status", str(status).encode()),
                                                        (b"content-type", ctype.encode()),
                                                        (b"content-length", str(len(body)).encode())])
                    self.h3.send_data(ev.stream_id, body, end_stream=True)
                    self.transmit()

    class Client(QuicConnectionProtocol):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.h3 = H3Connection(self._quic)
            self.waiting: dict[int, asyncio.Future] = {}
            self.bodies: dict[int, bytes] = {}

        def send_get(self, path: str) -> int:
            stream = self._quic.get_next_available_stream_id()
            self.waiting[stream] = asyncio.get_running_loop().create_future()
            self.bodies[stream] = b""
            self.h3.send_headers(stream, [(b":method", b"GET"), (b":scheme", b"https"),
                                          (b":authority", b"analyzer.test"), (b":path", path.encode()),
                                          (b"user-agent", b"analyzer-fixture")], end_stream=True)
            self.transmit()
            return stream

        async def get(self, path: str) -> bytes:
            stream = self.send_get(path)
            return await asyncio.wait_for(self.waiting[stream], 5)

        def quic_event_received(self, event):
            for ev in self.h3.handle_event(event):
                if isinstance(ev, DataReceived):
                    self.bodies[ev.stream_id] += ev.data
                    done = self.waiting.get(ev.stream_id)
                    if ev.stream_ended and done is not None and not done.done():
                        done.set_result(self.bodies[ev.stream_id])

    key, cert = self_signed_certificate(tmp)
    server_conf = QuicConfiguration(is_client=False, alpn_protocols=H3_ALPN)
    server_conf.load_cert_chain(str(cert), str(key))
    tickets: dict[bytes, object] = {}           # the server's session tickets, for resumption and 0-RTT
    server = await serve(ADDR, PORT, configuration=server_conf, create_protocol=Server, retry=retry,
                         session_ticket_fetcher=tickets.pop, session_ticket_handler=lambda t: tickets.update({t.ticket: t}))
    client_conf = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN + (FILLER_ALPN if split else []),
                                    server_name="analyzer.test", verify_mode=0)
    if chacha:
        client_conf.cipher_suites = [CipherSuite.CHACHA20_POLY1305_SHA256]
    if v2:
        from aioquic.quic.packet import QuicProtocolVersion
        client_conf.original_version = QuicProtocolVersion.VERSION_2
        client_conf.supported_versions = [QuicProtocolVersion.VERSION_2, QuicProtocolVersion.VERSION_1]
    log = None
    if keys is not None:
        log = client_conf.secrets_log_file = keys.open("w")
    try:
        if zero_rtt:
            held: list = []
            async with connect(ADDR, PORT, configuration=client_conf, create_protocol=Client,
                               session_ticket_handler=held.append) as client:
                assert await client.get("/") == KEYS_PAGE
                await asyncio.sleep(0.1)                # the server's NewSessionTicket
                client.close()
                await client.wait_closed()
            assert held, "no session ticket"
            client_conf.session_ticket = held[-1]
            async with connect(ADDR, PORT, configuration=client_conf, create_protocol=Client,
                               wait_connected=False) as client:
                early = client.send_get("/style.css")   # before the handshake completes: 0-RTT packets
                assert await asyncio.wait_for(client.waiting[early], 5) == STYLE
                assert await client.get("/missing") == MISSING
                client.close()
                await client.wait_closed()
            return
        async with connect(ADDR, PORT, configuration=client_conf, create_protocol=Client) as client:
            if keys is None:
                body = await client.get("/")
                assert body == PAGE, body
            else:
                assert await client.get("/") == KEYS_PAGE
                assert await client.get("/style.css") == STYLE
                if chacha:
                    client._quic.request_key_update()       # the next packets: key phase 1
                assert await client.get("/missing") == MISSING
            client.close()
            await client.wait_closed()
    finally:
        if log is not None:
            log.close()
        await asyncio.sleep(0.2)
        server.close()


def inside(split: bool = False, keyed: bool = False, chacha: bool = False, zero_rtt: bool = False,
           v2: bool = False, retry: bool = False) -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with tempfile.TemporaryDirectory(prefix="quicfix-") as name:
        tmp = Path(name)
        pcap = tmp / "out.pcap"
        keys = tmp / "out.keys" if keyed else None
        dump = subprocess.Popen(["tcpdump", "-i", "lo", "-w", str(pcap), "-U", "udp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        try:
            asyncio.run(_run(tmp, split, keys, chacha, zero_rtt, v2, retry))
            time.sleep(1.0)              # tcpdump writes the last packets
        finally:
            dump.terminate()
            dump.wait()
        out = RETRY_OUT if retry else V2_OUT if v2 else ZERO_RTT_OUT if zero_rtt else (CHACHA_OUT if chacha else KEYS_OUT) if keyed else SPLIT_OUT if split else OUT
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pcap, out)
        if keys is not None:
            shutil.copyfile(keys, out.with_suffix(".keys"))
    print(f"{out.name}: {out.stat().st_size} bytes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--split", action="store_true", help="a ClientHello over two Initial packets "
                                                             f"({SPLIT_OUT.name})")
    parser.add_argument("--keys", action="store_true", help="three GETs with the TLS key log saved beside "
                                                            f"({KEYS_OUT.name})")
    parser.add_argument("--chacha", action="store_true", help="with --keys: ChaCha20-Poly1305 and a key update "
                                                              f"({CHACHA_OUT.name})")
    parser.add_argument("--zero-rtt", action="store_true", help="a resumed connection sending 0-RTT data, with "
                                                                f"its key log ({ZERO_RTT_OUT.name})")
    parser.add_argument("--v2", action="store_true", help=f"the --keys GETs over QUIC version 2 ({V2_OUT.name})")
    parser.add_argument("--retry", action="store_true", help=f"the server sends a Retry first ({RETRY_OUT.name})")
    args = parser.parse_args()
    if args.zero_rtt or args.v2:
        args.keys = True
    if args.inside:
        inside(args.split, args.keys, args.chacha, args.zero_rtt, args.v2, args.retry)
        return 0
    if os.geteuid() != 0:
        print("needs root (a network namespace)", file=sys.stderr)
        return 2
    return subprocess.run(["unshare", "--net", sys.executable, __file__, "--inside"] + ["--split"] * args.split
                          + ["--keys"] * args.keys + ["--chacha"] * args.chacha + ["--zero-rtt"] * args.zero_rtt + ["--v2"] * args.v2
                          + ["--retry"] * args.retry,
                          check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
