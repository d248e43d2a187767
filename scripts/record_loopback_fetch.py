"""Re-record the page-fetch captures in captures/ from real traffic on the loopback interface (run as root).

    sudo python scripts/record_loopback_fetch.py                 # both captures
    sudo python scripts/record_loopback_fetch.py --only http10   # just one (keepalive | http10)

How it works
------------
1. A capture tool listens on ``lo`` for ``host 127.0.0.1 and (udp port 53 or tcp port 8080)``:
   dumpcap for the pcapng file, ``tcpdump -U`` for the classic pcap one (so the project ships both formats,
   each from the tool that writes it natively). The script waits until the tool says it is listening.
2. A tiny DNS responder (the few lines below, answers written with ``struct``) listens on 127.0.0.1:53 and
   answers ``A www.example.test`` with 127.0.0.1; other names get NXDOMAIN, other types an empty answer.
3. Python's ``http.server`` (ThreadingHTTPServer) serves a temporary folder on 127.0.0.1:8080 holding
   ``index.html``, which references ``style.css``, ``app.js`` and ``logo.png`` (small generated files).
4. A client fetches the page as a browser would: it resolves www.example.test by sending its own DNS query
   to 127.0.0.1:53, then
   - ``keepalive``: HTTP/1.1 with ``http.client.HTTPConnection``: ``GET /``, then the three resources the page
     references, all on the same keep-alive connection, with Referer and a browser User-Agent; then the
     client closes, so the client sends the first FIN (and is the side left in TIME_WAIT);
   - ``http10``: HTTP/1.0, one connection per request (the server runs with protocol_version HTTP/1.0);
     the client reads each response until the server closes, so here the server sends the first FIN.
5. After a short settle the capture tool gets SIGINT, so it flushes every packet and exits cleanly; then
   the servers stop. Everything started is stopped in ``finally`` blocks, even on error.
6. The new file is checked with tshark (DNS query and answer, SYN / SYN-ACK / ACK, the four requests and
   their 200 responses, FIN from both sides on every connection), ``tshark -r FILE`` is printed, and only
   then is it copied over the one in captures/.

Needs root (capturing, and binding port 53), tcpdump, dumpcap and tshark (Debian: tcpdump, tshark).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import html.parser
import http.client
import http.server
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CAPTURES = REPO / "captures"
sys.path.insert(0, str(REPO))

from analyzer.demo.dns import DEMO_NAME
from analyzer.demo.site import write_site

DEMO_ADDR = "127.0.0.1"
DNS_PORT = 53
HTTP_PORT = 8080
CAPTURE_FILTER = f"host 127.0.0.1 and (udp port {DNS_PORT} or tcp port {HTTP_PORT})"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SETTLE_S = 0.5

RECORDINGS = {  # name: (file in captures/, capture tool, HTTP version)
    "keepalive": ("http_page_fetch_loopback.pcapng", "dumpcap", "HTTP/1.1"),
    "http10": ("http10_short_connections_loopback.pcap", "tcpdump", "HTTP/1.0"),
}

# --- DNS: the project's own few lines (RFC 1035 4.1) --------------------------------------------------------

_HEADER = struct.Struct("!6H")  # id, flags, qdcount, ancount, nscount, arcount
_QTAIL = struct.Struct("!HH")  # qtype, qclass
_ANSWER_A = struct.Struct("!HHHIH4s")  # name pointer, type, class, ttl, rdlength, address
TYPE_A, CLASS_IN = 1, 1


def encode_name(name: str) -> bytes:
    return b"".join(bytes((len(label),)) + label.encode("ascii") for label in name.split(".")) + b"\0"


def dns_query(qid: int, name: str) -> bytes:
    """A standard query, recursion desired, one question: ``name`` A IN."""
    return _HEADER.pack(qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + _QTAIL.pack(TYPE_A, CLASS_IN)


def dns_answer(query: bytes) -> bytes | None:
    """The responder's reply to ``query``, or None for anything that is not a one-question query."""
    if len(query) < _HEADER.size:
        return None
    qid, flags, qdcount, _an, _ns, _ar = _HEADER.unpack_from(query)
    if flags & 0x8000 or qdcount != 1:
        return None
    labels, pos = [], _HEADER.size
    while pos < len(query) and query[pos]:  # uncompressed question name
        length = query[pos]
        labels.append(query[pos + 1:pos + 1 + length].decode("ascii", "replace"))
        pos += 1 + length
    if pos + 1 + _QTAIL.size > len(query):
        return None
    qtype, _qclass = _QTAIL.unpack_from(query, pos + 1)
    question = query[_HEADER.size:pos + 1 + _QTAIL.size]
    name = ".".join(labels).lower()
    rcode = 0 if name == DEMO_NAME else 3  # NXDOMAIN for every other name
    answers = b""
    if rcode == 0 and qtype == TYPE_A:  # the answer's name points back to the question (offset 12)
        answers = _ANSWER_A.pack(0xC00C, TYPE_A, CLASS_IN, 300, 4, socket.inet_aton(DEMO_ADDR))
    reply_flags = 0x8000 | 0x0400 | (flags & 0x0100) | rcode  # QR, AA, RD copied, rcode
    return _HEADER.pack(qid, reply_flags, 1, 1 if answers else 0, 0, 0) + question + answers


def parse_a(response: bytes, qid: int) -> str:
    """The first A record's address in ``response`` (which must answer query ``qid``)."""
    rid, flags, _qd, ancount, _ns, _ar = _HEADER.unpack_from(response)
    if rid != qid or not flags & 0x8000 or flags & 0x000F or ancount < 1:
        raise RuntimeError(f"unexpected DNS response: id {rid:#06x} flags {flags:#06x} answers {ancount}")
    pos = _HEADER.size
    while response[pos]:
        pos += 1 + response[pos]
    pos += 1 + _QTAIL.size
    _ptr, rtype, _rclass, _ttl, rdlength, addr = _ANSWER_A.unpack_from(response, pos)
    if rtype != TYPE_A or rdlength != 4:
        raise RuntimeError(f"unexpected DNS answer type {rtype}")
    return socket.inet_ntoa(addr)


def resolve(name: str) -> str:
    """Resolve ``name`` as a stub resolver would: one UDP query to 127.0.0.1:53, wait for the answer."""
    qid = random.randrange(0x10000)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(dns_query(qid, name), (DEMO_ADDR, DNS_PORT))
        response, _ = sock.recvfrom(512)
    return parse_a(response, qid)


@contextlib.contextmanager
def dns_responder():
    """Answer DNS queries on 127.0.0.1:53 in a thread until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                query, client = sock.recvfrom(512)
            except TimeoutError:
                continue
            except OSError:
                return
            reply = dns_answer(query)
            if reply:
                sock.sendto(reply, client)

    try:
        sock.bind((DEMO_ADDR, DNS_PORT))
        sock.settimeout(0.1)
        thread = threading.Thread(target=serve, name="dns", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(2)
    finally:
        sock.close()


# --- the web site and its server ----------------------------------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


@contextlib.contextmanager
def web_server(folder: Path, protocol_version: str):
    """Serve ``folder`` on 127.0.0.1:8080 with ``protocol_version`` ("HTTP/1.1" keeps connections open)."""
    handler = type("Handler", (_QuietHandler,), {"protocol_version": protocol_version})
    server = http.server.ThreadingHTTPServer((DEMO_ADDR, HTTP_PORT),
                                             functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="http",
                              daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)


# --- the client ---------------------------------------------------------------------------------------------

_ACCEPT = {
    ".html": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ".css": "text/css,*/*;q=0.1",
    ".js": "*/*",
    ".png": "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
}


class _Subresources(html.parser.HTMLParser):
    """The stylesheets, scripts and images a page references, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        url = (a.get("href") if tag == "link" and a.get("rel") == "stylesheet" else
               a.get("src") if tag in ("script", "img") else None)
        if url:
            self.urls.append("/" + url.lstrip("/"))


def _headers(path: str, referer: str | None, connection: str | None) -> dict[str, str]:
    headers = {
        "Host": f"{DEMO_NAME}:{HTTP_PORT}",
        "User-Agent": USER_AGENT,
        "Accept": _ACCEPT[Path(path).suffix or ".html"],
        "Accept-Language": "en-US,en;q=0.5",
        "Accept-Encoding": "gzip, deflate",
    }
    if connection:
        headers["Connection"] = connection
    if referer:
        headers["Referer"] = referer
    return headers


def fetch_keepalive(addr: str) -> list[tuple[str, int]]:
    """HTTP/1.1: the page and its subresources on one keep-alive connection; the client closes it."""
    results = []
    conn = http.client.HTTPConnection(addr, HTTP_PORT, timeout=5)
    try:
        conn.request("GET", "/", headers=_headers("/", None, "keep-alive"))
        resp = conn.getresponse()
        page = resp.read()
        results.append(("/", resp.status))
        parser = _Subresources()
        parser.feed(page.decode("utf-8"))
        for path in parser.urls:
            referer = f"http://{DEMO_NAME}:{HTTP_PORT}/"
            conn.request("GET", path, headers=_headers(path, referer, "keep-alive"))
            resp = conn.getresponse()
            resp.read()
            results.append((path, resp.status))
    finally:
        conn.close()  # the client closes first: its FIN, then the server's
    return results


def _get_http10(addr: str, path: str, referer: str | None) -> tuple[bytes, int]:
    """One HTTP/1.0 request on its own connection; read until the server closes (it sends the first FIN)."""
    lines = [f"GET {path} HTTP/1.0", *(f"{k}: {v}" for k, v in _headers(path, referer, None).items())]
    with socket.create_connection((addr, HTTP_PORT), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return body, int(head.split(b" ", 2)[1])


def fetch_http10(addr: str) -> list[tuple[str, int]]:
    """HTTP/1.0: the page, then each subresource, one short connection per request."""
    page, status = _get_http10(addr, "/", None)
    results = [("/", status)]
    parser = _Subresources()
    parser.feed(page.decode("utf-8"))
    for path in parser.urls:
        _body, status = _get_http10(addr, path, f"http://{DEMO_NAME}:{HTTP_PORT}/")
        results.append((path, status))
    return results


# --- the capture tool ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def capture(tool: str, path: Path, log: Path):
    """Run ``tool`` on lo writing ``path`` until the block ends, then SIGINT it and wait for it to exit."""
    if tool == "tcpdump":  # -U: write each packet as it comes; -Z root: keep the right to write path
        argv = ["tcpdump", "-i", "lo", "-U", "-s", "0", "-Z", "root", "-w", str(path), CAPTURE_FILTER]
        ready_text = "listening on"
    else:
        argv = ["dumpcap", "-i", "lo", "-s", "0", "-f", CAPTURE_FILTER, "-w", str(path)]
        ready_text = "Capturing on"
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while ready_text not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{tool} did not start: {log.read_text(errors='replace').strip()}")
            time.sleep(0.05)
        time.sleep(0.3)  # the filter is attached once the tool says so; a little margin all the same
        yield
        time.sleep(SETTLE_S)  # let the last ACKs reach the capture before stopping it
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if proc.returncode not in (0, -signal.SIGINT):
        raise RuntimeError(f"{tool} exited {proc.returncode}: {log.read_text(errors='replace').strip()}")


# --- checking the result with tshark ------------------------------------------------------------------------

_CHECK_FIELDS = ("frame.number", "tcp.stream", "ip.src", "tcp.srcport", "tcp.flags.syn", "tcp.flags.ack",
                 "tcp.flags.fin", "tcp.flags.reset", "dns.flags.response", "dns.qry.name", "dns.a",
                 "http.request.uri", "http.response.code")


def tshark_rows(path: Path) -> list[dict[str, str]]:
    argv = ["tshark", "-r", str(path), "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    argv += [a for f in _CHECK_FIELDS for a in ("-e", f)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return [dict(zip(_CHECK_FIELDS, line.split("\t"))) for line in out.splitlines()]


def _set(flag: str) -> bool:
    """A tshark flag or boolean field is set ("1" in tshark 4.0, "True" in 4.2 and later)."""
    return flag in ("1", "True")


def check_capture(path: Path, expect_connections: int) -> list[str]:
    """What is missing from the capture (empty when it shows everything the demo is for)."""
    rows = tshark_rows(path)
    problems = []
    if not any(r["dns.qry.name"] == DEMO_NAME and not _set(r["dns.flags.response"]) for r in rows):
        problems.append(f"no DNS query for {DEMO_NAME}")
    if not any(r["dns.a"] == DEMO_ADDR and _set(r["dns.flags.response"]) for r in rows):
        problems.append(f"no DNS answer {DEMO_NAME} A {DEMO_ADDR}")
    uris = [r["http.request.uri"] for r in rows if r["http.request.uri"]]
    for uri in ("/", "/style.css", "/app.js", "/logo.png"):
        if uri not in uris:
            problems.append(f"no HTTP request for {uri}")
    if sum(r["http.response.code"] == "200" for r in rows) < 4:
        problems.append("fewer than four 200 responses")
    streams = sorted({r["tcp.stream"] for r in rows if r["tcp.stream"]}, key=int)
    if len(streams) != expect_connections:
        problems.append(f"{len(streams)} TCP connections, expected {expect_connections}")
    for s in streams:
        seg = [r for r in rows if r["tcp.stream"] == s]
        syn = [r for r in seg if _set(r["tcp.flags.syn"]) and not _set(r["tcp.flags.ack"])]
        synack = [r for r in seg if _set(r["tcp.flags.syn"]) and _set(r["tcp.flags.ack"])]
        if not syn or not synack or len(seg) < 3 or not _set(seg[2]["tcp.flags.ack"]):
            problems.append(f"stream {s}: no SYN, SYN-ACK, ACK handshake")
        fin_ports = {r["tcp.srcport"] for r in seg if _set(r["tcp.flags.fin"])}
        if len(fin_ports) != 2:
            problems.append(f"stream {s}: FIN from {len(fin_ports)} side(s), expected both")
        if any(_set(r["tcp.flags.reset"]) for r in seg):
            problems.append(f"stream {s}: reset")
    return problems


# --- one recording ------------------------------------------------------------------------------------------


def record(name: str, workdir: Path) -> Path:
    filename, tool, version = RECORDINGS[name]
    out = workdir / filename
    site = workdir / f"site-{name}"
    site.mkdir()
    write_site(site)
    print(f"== {name}: {version} via {tool} -> {filename}")
    with capture(tool, out, workdir / f"{name}.log"), dns_responder(), web_server(site, version):
        addr = resolve(DEMO_NAME)
        results = fetch_keepalive(addr) if version == "HTTP/1.1" else fetch_http10(addr)
        print(f"   {DEMO_NAME} -> {addr}; " + ", ".join(f"GET {p} {s}" for p, s in results))
        time.sleep(SETTLE_S)  # the server's side of the close happens in its handler thread
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Re-record captures/ page-fetch files on loopback (root).")
    parser.add_argument("--only", choices=sorted(RECORDINGS), action="append", help="record just this one")
    parser.add_argument("--dest", type=Path, default=CAPTURES, help="where the files go (default captures/)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("record_loopback_fetch: run as root (capturing on lo and binding port 53 need it)",
              file=sys.stderr)
        return 2
    missing = [t for t in ("tcpdump", "dumpcap", "tshark") if not shutil.which(t)]
    if missing:
        print(f"record_loopback_fetch: missing {', '.join(missing)} "
              "(Debian: apt-get install -y tcpdump tshark)", file=sys.stderr)
        return 2
    failed = False
    with tempfile.TemporaryDirectory(prefix="record-loopback-") as tmp:
        workdir = Path(tmp)
        os.chmod(workdir, 0o755)
        for name in args.only or list(RECORDINGS):
            try:
                path = record(name, workdir)
            except (OSError, RuntimeError, http.client.HTTPException) as exc:
                print(f"   FAILED: {exc}", file=sys.stderr)
                failed = True
                continue
            listing = subprocess.run(["tshark", "-r", str(path)], capture_output=True, text=True,
                                     check=False).stdout
            print(listing.rstrip())
            problems = check_capture(path, expect_connections=1 if name == "keepalive" else 4)
            if problems:
                print("   NOT INSTALLED, the capture lacks: " + "; ".join(problems), file=sys.stderr)
                failed = True
                continue
            args.dest.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, args.dest / path.name)
            print(f"   checked with tshark and written to {args.dest / path.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
