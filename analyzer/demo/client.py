"""The project's own web client: resolve the name through the demo's DNS, fetch the page and what it references.

Like a browser: one DNS query (to the configured server, not the system resolver), then ``GET /``, then
the stylesheet, script and image the page names, each with ``Referer`` and a browser-like set of headers.

- ``keepalive`` (default): HTTP/1.1, every request on one persistent connection; the client closes it at
  the end, so the client sends the first FIN and is the side left in TIME_WAIT.
- ``short``: HTTP/1.0, one connection per request; the server closes each after its response.

Run inside the lab's client namespace as ``python -m analyzer.demo.client --dns 198.51.100.53 ...``.
"""

from __future__ import annotations

import argparse
import html.parser
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import PurePosixPath

from analyzer.demo import dns
from analyzer.demo.dns import DEMO_NAME, DnsError

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
ACCEPT = {
    ".html": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ".css": "text/css,*/*;q=0.1",
    ".js": "*/*",
    ".png": "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
}


class FetchError(Exception):
    """The fetch failed (refused, reset, timed out, a malformed response); one line."""


@dataclass
class Result:
    path: str
    status: int
    length: int
    connection: int          # 1-based: which TCP connection carried it


class _Subresources(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        a = dict(attrs)
        url = (a.get("href") if tag == "link" and a.get("rel") == "stylesheet" else
               a.get("src") if tag in ("script", "img") else None)
        if url:
            self.urls.append("/" + url.lstrip("/"))


def subresources(page: bytes) -> list[str]:
    parser = _Subresources()
    parser.feed(page.decode("utf-8", "replace"))
    return parser.urls


def _host_header(name: str, port: int) -> str:
    return name if port == 80 else f"{name}:{port}"


def _request(method: str, path: str, version: str, host: str, referer: str | None, keep: bool) -> bytes:
    lines = [f"{method} {path} {version}", f"Host: {host}", f"User-Agent: {USER_AGENT}",
             f"Accept: {ACCEPT.get(PurePosixPath(path).suffix or '.html', '*/*')}",
             "Accept-Language: en-US,en;q=0.5", "Accept-Encoding: gzip, deflate"]
    if version == "HTTP/1.1":
        lines.append("Connection: keep-alive" if keep else "Connection: close")
    if referer:
        lines.append(f"Referer: {referer}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Reader:
    """Responses off one socket: head, then a Content-Length body or read-until-close."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = b""

    def _more(self) -> bytes:
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            raise FetchError("connection reset by the server") from None
        except TimeoutError:
            raise FetchError("timed out waiting for the server") from None
        self.buf += chunk
        return chunk

    def response(self) -> tuple[int, bytes, bool]:
        """(status, body, server will close)."""
        while b"\r\n\r\n" not in self.buf:
            if not self._more():
                raise FetchError("the server closed the connection before a response")
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split(" ", 2)[1])
        except (IndexError, ValueError):
            raise FetchError(f"malformed status line {lines[0]!r}") from None
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        closing = "close" in headers.get("connection", "").lower() or lines[0].startswith("HTTP/1.0")
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(self.buf) < n:
                if not self._more():
                    raise FetchError("the server closed the connection in the middle of a body")
            body, self.buf = self.buf[:n], self.buf[n:]
        else:
            while self._more():
                pass
            body, self.buf = self.buf, b""
            closing = True
        return status, body, closing


def _connect(addr: str, port: int, timeout: float) -> socket.socket:
    try:
        return socket.create_connection((addr, port), timeout=timeout)
    except ConnectionRefusedError:
        raise FetchError(f"connection to {addr} port {port} refused (the server answered SYN with RST)") from None
    except TimeoutError:
        raise FetchError(f"connecting to {addr} port {port} timed out") from None
    except OSError as exc:
        raise FetchError(f"cannot connect to {addr} port {port}: {exc.strerror or exc}") from None


def get(addr: str, port: int, path: str = "/", name: str = DEMO_NAME, timeout: float = 10.0) -> Result:
    """One HTTP/1.0 request on its own connection, read until the server closes it (its FIN first)."""
    host = _host_header(name, port)
    with _connect(addr, port, timeout) as sock:
        sock.sendall(_request("GET", path, "HTTP/1.0", host, None, False))
        status, body, _ = _Reader(sock).response()
        while sock.recv(65536):
            pass
    return Result(path, status, len(body), 1)


def fetch_page(addr: str, port: int = 80, name: str = DEMO_NAME, short: bool = False,
               timeout: float = 10.0, pause: float = 0.0) -> list[Result]:
    """GET / and each resource it references from ``addr:port``; ``pause`` seconds between requests."""
    host = _host_header(name, port)
    referer = f"http://{host}/"
    results: list[Result] = []
    if short:
        def one(path: str, ref: str | None, number: int) -> bytes:
            with _connect(addr, port, timeout) as sock:
                sock.sendall(_request("GET", path, "HTTP/1.0", host, ref, False))
                status, body, _ = _Reader(sock).response()
                # read to the end: the server closes first; then our close answers its FIN
                while sock.recv(65536):
                    pass
            results.append(Result(path, status, len(body), number))
            return body

        page = one("/", None, 1)
        for n, path in enumerate(subresources(page), 2):
            if pause:
                time.sleep(pause)
            one(path, referer, n)
        return results
    sock = _connect(addr, port, timeout)
    try:
        reader = _Reader(sock)
        sock.sendall(_request("GET", "/", "HTTP/1.1", host, None, True))
        status, page, closing = reader.response()
        results.append(Result("/", status, len(page), 1))
        connection = 1
        for path in subresources(page):
            if pause:
                time.sleep(pause)
            if closing:
                sock.close()
                sock = _connect(addr, port, timeout)
                reader = _Reader(sock)
                connection += 1
            sock.sendall(_request("GET", path, "HTTP/1.1", host, referer, True))
            status, body, closing = reader.response()
            results.append(Result(path, status, len(body), connection))
    finally:
        sock.close()               # the client closes the persistent connection: its FIN goes first
    return results


def fetch(name: str, dns_server: str, dns_port: int = 53, http_port: int = 80, short: bool = False,
          family: int = socket.AF_INET, pause: float = 0.0, timeout: float = 10.0) -> tuple[str, list[Result]]:
    """Resolve ``name`` through ``dns_server`` then fetch the page; (address, results). ``timeout``: seconds
    a connect or a read may wait."""
    addr = dns.resolve(name, dns_server, dns_port, family)
    return addr, fetch_page(addr, http_port, name, short=short, timeout=timeout, pause=pause)


def dns_mix(server: str, port: int = 53, name: str = DEMO_NAME) -> list[str]:
    """One query of each kind the DNS mix capture shows; a line per answer."""
    zone = name.split(".", 1)[1] if "." in name else name
    lines = []
    for qname, qtype in ((name, "A"), (name, "AAAA"), (f"web.{zone}", "A"), (zone, "MX"),
                         (f"nosuch.{zone}", "A"), (f"big.{zone}", "TXT")):
        answer = dns.query(server, qname, qtype, port)
        how = "TCP (the UDP answer was truncated)" if qtype == "TXT" else "UDP"
        rcode = {0: "NOERROR", 3: "NXDOMAIN"}.get(answer.rcode, f"rcode {answer.rcode}")
        values = ", ".join(f"{t} {v if not isinstance(v, bytes) else f'({len(v)} bytes)'}"
                           for _n, t, v in answer.records)
        lines.append(f"{qname} {qtype}: {rcode} {values} via {how}".rstrip())
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m analyzer.demo.client", description=__doc__.split("\n")[0])
    p.add_argument("--dns", required=True, metavar="ADDR", help="the DNS server to ask")
    p.add_argument("--dns-port", type=int, default=53)
    p.add_argument("--name", default=DEMO_NAME)
    p.add_argument("--port", type=int, default=80, help="the web server's port")
    p.add_argument("--short", action="store_true", help="HTTP/1.0, one connection per request")
    p.add_argument("-6", dest="ipv6", action="store_true", help="resolve AAAA and fetch over IPv6")
    p.add_argument("--dns-mix", action="store_true", help="only ask the mix of DNS questions")
    p.add_argument("--pause", type=float, default=0.0, help="seconds between requests")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds a connect or a read may wait (default 10; a lossy link needs more)")
    args = p.parse_args(argv)
    try:
        if args.dns_mix:
            for line in dns_mix(args.dns, args.dns_port, args.name):
                print(line)
            return 0
        addr, results = fetch(args.name, args.dns, args.dns_port, args.port, args.short,
                              socket.AF_INET6 if args.ipv6 else socket.AF_INET, args.pause, args.timeout)
    except (DnsError, FetchError, OSError) as exc:
        print(f"fetch failed: {exc}", file=sys.stderr)
        return 1
    print(f"{args.name} -> {addr}")
    for r in results:
        print(f"GET {r.path} {r.status} {r.length} bytes (connection {r.connection})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
