"""Record the HTTP/2 test fixtures in tests/fixtures/http2/ from real traffic on the loopback interface
(run as root).

    python scripts/record_http2.py                  # every recording
    python scripts/record_http2.py --only h2c_page  # one of: h2c_curl h2c_page h2_tls13_curl h2_tls13_page

How it works
------------
1. nginx (Debian's, 1.22) serves a temporary folder holding the demo site (``analyzer.demo.site``: a page,
   its stylesheet, script and logo) plus ``big.bin`` (200 000 random bytes: many DATA frames, flow control),
   with gzip for text, on 127.0.0.1:18080 as cleartext HTTP/2 with prior knowledge (``listen ... http2``)
   and on 127.0.0.1:18443 as HTTP/2 over TLS 1.3 (a self-signed certificate made with ``openssl``);
   ``location = /form`` answers any method with a short text.
2. dumpcap listens on ``lo`` for those two ports and writes a pcapng file.
3. A client talks to nginx:
   - ``h2c_curl``: ``curl --http2-prior-knowledge --compressed`` fetching the page, then the stylesheet
     (a real client's frames: SETTINGS, WINDOW_UPDATE, HEADERS, GOAWAY), one connection each.
   - ``h2c_page`` / ``h2_tls13_page``: this script's own small HTTP/2 client (frames written with ``struct``,
     header blocks with the ``hpack`` package), which loads the page as a browser would and exercises what
     curl does not: it asks for the page (HEADERS with the PRIORITY flag), then sends every resource
     request at once so the responses interleave on one connection: a padded HEADERS, a header block split
     over HEADERS + CONTINUATION, a PRIORITY frame, a POST whose body is a padded DATA frame, a request
     for a missing file (404), a PING; it advertises a 32 KiB stream window so the server must wait for
     WINDOW_UPDATEs (sent as the client consumes DATA); it cancels a second download of ``big.bin`` with
     RST_STREAM (CANCEL) after its first DATA frame, and ends with GOAWAY (NO_ERROR).
   - ``h2_tls13_curl``: ``curl --http2 -Z`` over TLS 1.3 (ALPN h2) fetching the resources in parallel on
     one connection (multiplexed), with ``SSLKEYLOGFILE``.
   The TLS recordings write the session keys next to the capture (``NAME.keys``, NSS key log format), so
   ``tshark -o tls.keylog_file:NAME.keys`` (and the analyzer's ``--keylog``) can decrypt them.
4. dumpcap gets SIGINT after a short settle, nginx is stopped; everything started is stopped in ``finally``
   blocks, even on error. The new file is checked with tshark (every request answered, the frame types
   expected) and only then copied into tests/fixtures/http2/.

Needs root (capturing), dumpcap, tshark, nginx, curl, openssl, and the ``hpack`` package.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hpack

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "http2"
sys.path.insert(0, str(REPO))

from analyzer.demo.site import write_site

ADDR = "127.0.0.1"
NAME = "www.example.test"
H2C_PORT = 18080
TLS_PORT = 18443
CAPTURE_FILTER = f"host {ADDR} and (tcp port {H2C_PORT} or tcp port {TLS_PORT})"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SETTLE_S = 0.5
BIG_SIZE = 200_000

RECORDINGS = ("h2c_curl", "h2c_page", "h2_tls13_curl", "h2_tls13_page")

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  types {{ text/html html; text/css css; text/javascript js; image/png png; application/octet-stream bin; }}
  gzip on;
  gzip_min_length 20;
  gzip_types text/css text/javascript;
  server {{
    listen {addr}:{h2c} http2;
    root {tmp}/site;
    location = /form {{ return 200 "thanks\\n"; }}
  }}
  server {{
    listen {addr}:{tls} ssl http2;
    ssl_protocols TLSv1.3;
    ssl_certificate {tmp}/cert.pem;
    ssl_certificate_key {tmp}/key.pem;
    root {tmp}/site;
    location = /form {{ return 200 "thanks\\n"; }}
  }}
}}
"""


# --- servers and capture -------------------------------------------------------------------------------------

def _wait_port(port: int, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as s:
            if s.connect_ex((ADDR, port)) == 0:
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.05)


@contextlib.contextmanager
def nginx(tmp: Path):
    """nginx serving the site on both ports until the block ends."""
    site = tmp / "site"
    site.mkdir()
    write_site(str(site), NAME)
    (site / "big.bin").write_bytes(os.urandom(BIG_SIZE))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem"), "-days", "3650",
                    "-subj", f"/CN={NAME}", "-addext", f"subjectAltName=DNS:{NAME}"],
                   check=True, capture_output=True)
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, addr=ADDR, h2c=H2C_PORT, tls=TLS_PORT))
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp)], stdin=subprocess.DEVNULL)
    try:
        _wait_port(H2C_PORT, proc, "nginx")
        _wait_port(TLS_PORT, proc, "nginx")
        yield
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)        # graceful: workers finish, then exit
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def capture(path: Path, log: Path):
    """dumpcap on lo writing ``path`` until the block ends, then SIGINT and wait for it to exit."""
    argv = ["dumpcap", "-i", "lo", "-s", "0", "-f", CAPTURE_FILTER, "-w", str(path)]
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while "Capturing on" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dumpcap did not start: {log.read_text(errors='replace').strip()}")
            time.sleep(0.05)
        time.sleep(0.3)
        yield
        time.sleep(SETTLE_S)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if proc.returncode not in (0, -signal.SIGINT):
        raise RuntimeError(f"dumpcap exited {proc.returncode}: {log.read_text(errors='replace').strip()}")


# --- curl -----------------------------------------------------------------------------------------------------

def run_curl(args: list[str], env: dict[str, str] | None = None) -> None:
    out = subprocess.run(["curl", "-sS", *args], capture_output=True, text=True, env=env, timeout=30,
                         check=False)
    if out.returncode != 0:
        raise RuntimeError(f"curl failed ({out.returncode}): {out.stderr.strip()}")


def curl_h2c() -> None:
    base = f"http://{NAME}:{H2C_PORT}"
    # one URL per run: curl 7.88 fails to reuse a prior-knowledge connection ("Error in the HTTP2 framing
    # layer"), so the page and its stylesheet come on two connections
    for path in ("/", "/style.css"):
        run_curl(["--http2-prior-knowledge", "--compressed", "--resolve", f"{NAME}:{H2C_PORT}:{ADDR}",
                  "-A", USER_AGENT, "-o", os.devnull, f"{base}{path}"])


def curl_tls(keys: Path) -> None:
    base = f"https://{NAME}:{TLS_PORT}"
    env = dict(os.environ, SSLKEYLOGFILE=str(keys))
    run_curl(["--http2", "--tlsv1.3", "-k", "--compressed", "--resolve", f"{NAME}:{TLS_PORT}:{ADDR}",
              "-A", USER_AGENT, "-o", os.devnull, f"{base}/"], env)
    # the resources in parallel: curl multiplexes them on one connection (ALPN h2)
    run_curl(["--http2", "--tlsv1.3", "-k", "--compressed", "--resolve", f"{NAME}:{TLS_PORT}:{ADDR}",
              "-A", USER_AGENT, "-e", f"{base}/", "-Z",
              "-o", os.devnull, f"{base}/style.css", "-o", os.devnull, f"{base}/app.js",
              "-o", os.devnull, f"{base}/logo.png", "-o", os.devnull, f"{base}/big.bin"], env)


# --- this script's own HTTP/2 client (RFC 9113) ---------------------------------------------------------------

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
CANCEL = 0x8
STREAM_WINDOW = 32768


def frame(ftype: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return struct.pack("!I", len(payload))[1:] + bytes((ftype, flags)) + struct.pack("!I", stream) + payload


def padded(payload: bytes, pad: int) -> bytes:
    return bytes((pad,)) + payload + b"\0" * pad


class Client:
    """Just enough HTTP/2 to load the page: requests out, frames in, flow control and ACKs as required."""

    def __init__(self, sock: socket.socket, authority: str, scheme: str):
        self.sock = sock
        self.authority = authority
        self.scheme = scheme
        self.encoder = hpack.Encoder()
        self.buffer = b""
        self.done: set[int] = set()
        self.received: dict[int, int] = {}
        self.status: dict[int, str] = {}

    def headers(self, path: str, method: str = "GET", referer: str | None = None) -> list[tuple[str, str]]:
        out = [(":method", method), (":scheme", self.scheme), (":authority", self.authority), (":path", path),
               ("user-agent", USER_AGENT), ("accept", "*/*"), ("accept-encoding", "gzip, deflate"),
               ("accept-language", "en-US,en;q=0.5")]
        if referer:
            out.append(("referer", referer))
        out.append(("cookie", "session=demo"))
        return out

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_frame(self) -> tuple[int, int, int, bytes]:
        while True:
            if len(self.buffer) >= 9:
                length = int.from_bytes(self.buffer[:3], "big")
                if len(self.buffer) >= 9 + length:
                    head, self.buffer = self.buffer[:9 + length], self.buffer[9 + length:]
                    ftype, flags = head[3], head[4]
                    stream = int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
                    return ftype, flags, stream, head[9:]
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buffer += chunk

    def handle(self, ftype: int, flags: int, stream: int, payload: bytes, cancel: int | None = None) -> None:
        if ftype == SETTINGS and not flags & ACK:
            self.send(frame(SETTINGS, ACK, 0))
        elif ftype == PING and not flags & ACK:
            self.send(frame(PING, ACK, 0, payload))
        elif ftype == HEADERS:
            self.status.setdefault(stream, "?")
            if flags & END_STREAM:
                self.done.add(stream)
        elif ftype == DATA:
            self.received[stream] = self.received.get(stream, 0) + len(payload)
            if stream == cancel:
                self.send(frame(RST_STREAM, 0, stream, struct.pack("!I", CANCEL)))
                self.done.add(stream)
            elif flags & END_STREAM:
                self.done.add(stream)
            if payload:                       # give the credit back, as a browser does
                increment = struct.pack("!I", len(payload))
                window = frame(WINDOW_UPDATE, 0, 0, increment)
                if stream not in self.done:
                    window += frame(WINDOW_UPDATE, 0, stream, increment)
                self.send(window)
        elif ftype == RST_STREAM:
            self.done.add(stream)

    def wait(self, streams: set[int], cancel: int | None = None) -> None:
        deadline = time.monotonic() + 20
        while not streams <= self.done:
            if time.monotonic() > deadline:
                raise TimeoutError(f"streams {sorted(streams - self.done)} not answered")
            self.handle(*self.read_frame(), cancel=cancel)


def own_client(sock: socket.socket, scheme: str, port: int) -> None:
    c = Client(sock, f"{NAME}:{port}", scheme)
    page = f"{scheme}://{NAME}:{port}/"
    enc = c.encoder
    c.send(PREFACE + frame(SETTINGS, 0, 0, struct.pack("!HIHIHI", 1, 4096, 2, 0, 4, STREAM_WINDOW))
           + frame(WINDOW_UPDATE, 0, 0, struct.pack("!I", 1 << 20)))
    # the page, with the PRIORITY flag (exclusive on stream 0, weight 256)
    block = enc.encode(c.headers("/"))
    c.send(frame(HEADERS, END_STREAM | END_HEADERS | PRIORITY_FLAG, 1, struct.pack("!IB", 0x80000000, 255) + block))
    c.wait({1})
    # every resource at once, as a browser does once it has read the page
    out = b""
    out += frame(HEADERS, END_STREAM | END_HEADERS | PADDED, 3,
                 padded(enc.encode(c.headers("/style.css", referer=page)), 8))
    block = enc.encode(c.headers("/app.js", referer=page))
    out += frame(HEADERS, END_STREAM, 5, block[:10]) + frame(CONTINUATION, END_HEADERS, 5, block[10:])
    out += frame(HEADERS, END_STREAM | END_HEADERS, 7, enc.encode(c.headers("/logo.png", referer=page)))
    out += frame(HEADERS, END_STREAM | END_HEADERS, 9, enc.encode(c.headers("/big.bin", referer=page)))
    out += frame(PRIORITY, 0, 9, struct.pack("!IB", 7, 15))           # big.bin after the logo, weight 16
    out += frame(HEADERS, END_STREAM | END_HEADERS, 11, enc.encode(c.headers("/missing.png", referer=page)))
    form = c.headers("/form", method="POST", referer=page) + [
        ("content-type", "application/x-www-form-urlencoded"), ("content-length", "21")]
    out += frame(HEADERS, END_HEADERS, 13, enc.encode(form))
    out += frame(DATA, END_STREAM | PADDED, 13, padded(b"name=demo&answer=42\r\n", 4))
    out += frame(PING, 0, 0, b"analyzer")
    c.send(out)
    c.wait({3, 5, 7, 9, 11, 13})
    # a second download of big.bin, cancelled after its first DATA frame
    c.send(frame(HEADERS, END_STREAM | END_HEADERS, 15, enc.encode(c.headers("/big.bin", referer=page))))
    c.wait({15}, cancel=15)
    c.send(frame(GOAWAY, 0, 0, struct.pack("!II", 15, 0)))
    time.sleep(0.2)


def own_h2c() -> None:
    with socket.create_connection((ADDR, H2C_PORT), timeout=10) as sock:
        own_client(sock, "http", H2C_PORT)


def own_tls(keys: Path) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.set_alpn_protocols(["h2"])
    ctx.keylog_filename = str(keys)
    with socket.create_connection((ADDR, TLS_PORT), timeout=10) as raw, \
            ctx.wrap_socket(raw, server_hostname=NAME) as sock:
        if sock.selected_alpn_protocol() != "h2":
            raise RuntimeError(f"ALPN chose {sock.selected_alpn_protocol()!r}, not h2")
        own_client(sock, "https", TLS_PORT)
        with contextlib.suppress(OSError):
            sock.unwrap()                     # close_notify


# --- checking the result with tshark --------------------------------------------------------------------------

def tshark_h2(path: Path, keys: Path | None) -> list[list[str]]:
    argv = ["tshark", "-n", "-r", str(path), "-d", f"tcp.port=={H2C_PORT},http2", "-Y", "http2", "-T", "fields", "-E", "occurrence=a",
            "-e", "http2.type", "-e", "http2.headers.status"]
    if keys is not None:
        argv[1:1] = ["-o", f"tls.keylog_file:{keys}"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def check(name: str, path: Path, keys: Path | None) -> list[str]:
    rows = tshark_h2(path, keys)
    types = {int(t) for row in rows for t in row[0].split(",") if t}
    statuses = [s for row in rows for s in row[1].split(",") if s]
    problems = []
    want_types = {0, 1, 4} | ({2, 3, 6, 7, 8, 9} if name.endswith("_page") else set())
    if not want_types <= types:
        problems.append(f"frame types {sorted(want_types - types)} missing (seen {sorted(types)})")
    want = {"h2c_curl": 2, "h2c_page": 8, "h2_tls13_curl": 5, "h2_tls13_page": 8}[name]
    if len(statuses) != want:
        problems.append(f"{len(statuses)} responses, expected {want}: {statuses}")
    return problems


def record(name: str, tmp: Path) -> None:
    out = tmp / f"{name}.pcapng"
    keys = tmp / f"{name}.keys" if "tls" in name else None
    with capture(out, tmp / f"{name}.dumpcap.log"):
        {"h2c_curl": curl_h2c, "h2c_page": own_h2c}.get(name, lambda: None)()
        if name == "h2_tls13_curl":
            curl_tls(keys)
        elif name == "h2_tls13_page":
            own_tls(keys)
    problems = check(name, out, keys)
    if problems:
        raise RuntimeError(f"{name}: " + "; ".join(problems))
    FIXTURES.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out, FIXTURES / out.name)
    if keys is not None:
        shutil.copyfile(keys, FIXTURES / keys.name)
    print(f"{name}: {FIXTURES / out.name}" + (f" (keys {FIXTURES / keys.name})" if keys else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=RECORDINGS, action="append", help="record only this one (repeatable)")
    args = parser.parse_args(argv)
    missing = [t for t in ("dumpcap", "tshark", "nginx", "curl", "openssl") if not shutil.which(t)]
    if missing:
        print(f"record_http2: missing {', '.join(missing)} (Debian: apt-get install -y tshark nginx curl openssl)",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="record-http2-") as name:
        tmp = Path(name)
        os.chmod(tmp, 0o755)                  # nginx workers (user nobody/www-data) read the site
        with nginx(tmp):
            for rec in args.only or RECORDINGS:
                record(rec, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
