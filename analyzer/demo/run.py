"""``analyzer demo``: the project's servers, a capture on lo, the project's client, then the timeline.

Everything runs in this process: the DNS responder and the web server in threads, the capture
(:class:`analyzer.live.LiveCapture`) in a thread, the client in the caller's thread. Whatever happens
(an error, Ctrl-C, SIGTERM turned into KeyboardInterrupt by the CLI) the ``finally`` blocks stop the
capture first (so the file is complete and closed) and then the servers.

Ports: DNS on 127.0.0.1:53 and HTTP on 127.0.0.1:8080 when they can be bound (so tshark and the timeline
recognise the protocols by port), otherwise ports the kernel picks, said in the output.
"""

from __future__ import annotations

import errno
import os
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from analyzer.demo.client import FetchError, Result, fetch
from analyzer.demo.dns import DEMO_NAME, DnsError, DnsResponder, Zone
from analyzer.demo.http_server import HttpServer
from analyzer.live import LiveCapture

LOOPBACK = "127.0.0.1"
SETTLE_S = 0.3            # the last ACKs reach the capture before it stops


class DemoError(Exception):
    """The demo could not run; one line."""


@dataclass
class DemoResult:
    capture_path: str
    captured: int = 0
    kernel_drops: int = 0
    address: str = ""
    results: list[Result] = field(default_factory=list)
    dns_port: int = 0
    http_port: int = 0
    notes: list[str] = field(default_factory=list)


def bind_preferred(make: Callable[[int], object], preferred: int | None, what: str, notes: list[str]):
    """``make(port)`` on the preferred port, else on a port the kernel picks (with a note saying so)."""
    if preferred is not None and preferred != 0:
        try:
            return make(preferred)
        except OSError as exc:
            if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EPERM):
                raise
            notes.append(f"{what}: port {preferred} is {'busy' if exc.errno == errno.EADDRINUSE else 'not allowed'}"
                         f", using a port the kernel picks instead")
    return make(0)


def capture_filter(dns_port: int, http_ports: list[int]) -> str:
    ports = " or ".join(f"tcp port {p}" for p in http_ports)
    return f"host {LOOPBACK} and (udp port {dns_port} or tcp port {dns_port} or {ports})"


def run_demo(save: str | None = None, short: bool = False, dns_port: int | None = 53,
             http_port: int | None = 8080, backend: str = "scapy", log: Callable[[str], None] = print,
             pause: float = 0.0) -> DemoResult:
    """Serve, capture, fetch, stop; the capture is at ``result.capture_path`` (a temporary file if no save)."""
    notes: list[str] = []
    path = save
    if path is None:
        fd, path = tempfile.mkstemp(prefix="analyzer-demo-", suffix=".pcapng")
        os.close(fd)
    result = DemoResult(path, notes=notes)
    dns_server = web = cap = None
    try:
        dns_server = bind_preferred(lambda p: DnsResponder(Zone.demo(LOOPBACK, "::1"), LOOPBACK, p), dns_port,
                                    "DNS", notes)
        web = bind_preferred(lambda p: HttpServer(LOOPBACK, p, close_after_response=short), http_port, "HTTP",
                             notes)
        result.dns_port, result.http_port = dns_server.port, web.port
        for n in notes:
            log(f"note: {n}")
        dns_server.start()
        web.start()
        log(f"DNS responder on {LOOPBACK} port {dns_server.port} (UDP and TCP) for {DEMO_NAME}; "
            f"web server (HTTP/1.1, selectors) on {LOOPBACK} port {web.port}")
        bpf = capture_filter(dns_server.port, [web.port])
        cap = LiveCapture("lo", bpf, backend=backend, write=path)
        cap.start()                                   # raises LiveError (privilege, filter) right here
        log(f"capturing on lo ({bpf}) -> {path}")
        how = "HTTP/1.0, one connection per request" if short else "HTTP/1.1, one keep-alive connection"
        log(f"fetching http://{DEMO_NAME}:{web.port}/ and its resources ({how})")
        try:
            result.address, result.results = fetch(DEMO_NAME, LOOPBACK, dns_server.port, web.port, short=short,
                                                   family=socket.AF_INET, pause=pause)
        except (DnsError, FetchError) as exc:
            raise DemoError(f"the fetch failed: {exc}") from None
        time.sleep(SETTLE_S)
    finally:
        try:
            if cap is not None:
                stats = cap.join()
                result.captured, result.kernel_drops = stats.captured, stats.kernel_drops
        finally:
            for server in (web, dns_server):
                if server is not None:
                    server.stop()
    return result
