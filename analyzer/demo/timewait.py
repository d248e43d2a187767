"""``analyzer demo --reuse-addr``: TIME_WAIT, and what SO_REUSEADDR changes, next to the capture.

Theory of operation
-------------------
The side that closes a TCP connection first ends in TIME_WAIT for 2*MSL (60 s on Linux) so late segments
of the old connection cannot be taken for a new one (RFC 9293 3.6.1). When that side is a server, the
TIME_WAIT entry still holds the server's port: on Linux ``bind()`` of a new listener to the same port fails
with EADDRINUSE unless *both* the new socket and the socket that left the TIME_WAIT entry (which inherits
the option from its listener) have SO_REUSEADDR set.

The demonstration does two rounds on two ports (a round's TIME_WAIT entry blocks its port for a minute):

1. without SO_REUSEADDR: the server answers one request and closes the connection (its FIN goes first),
   the server is stopped, and restarting it fails: EADDRINUSE;
2. with SO_REUSEADDR (as every production server sets it): the same, and the restart succeeds and serves
   another request.

What the programs did and what the capture saw are printed side by side, on one clock.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from analyzer.demo.client import FetchError, get
from analyzer.demo.http_server import HttpServer
from analyzer.live import LiveCapture

LOOPBACK = "127.0.0.1"
TCP_STATES = {"01": "ESTABLISHED", "06": "TIME_WAIT", "08": "CLOSE_WAIT", "0A": "LISTEN", "04": "FIN_WAIT1",
              "05": "FIN_WAIT2", "09": "LAST_ACK", "0B": "CLOSING", "07": "CLOSE", "02": "SYN_SENT",
              "03": "SYN_RECV"}


def sockets_on_port(port: int) -> list[str]:
    """The kernel's IPv4 TCP sockets with local port ``port`` (``/proc/net/tcp``), as ``STATE a:p <-> b:q``."""
    out = []
    try:
        with open("/proc/net/tcp") as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        return out
    for row in rows:
        parts = row.split()
        if len(parts) < 4:
            continue
        local, remote, state = parts[1], parts[2], parts[3]
        lport = int(local.split(":")[1], 16)
        if lport != port:
            continue

        def addr(text: str) -> str:
            hexip, hexport = text.split(":")
            ip = ".".join(str(b) for b in reversed(bytes.fromhex(hexip)))
            return f"{ip}:{int(hexport, 16)}"

        out.append(f"{TCP_STATES.get(state, state)} {addr(local)} <-> {addr(remote)}")
    return out


@dataclass
class TimeWaitResult:
    capture_path: str
    events: list[tuple[int, str]] = field(default_factory=list)      # (ts_ns, what the program did)
    bind_errors: list[str] = field(default_factory=list)
    restarted_with_reuse: bool = False
    captured: int = 0
    ports: list[int] = field(default_factory=list)


def run_timewait(save: str | None = None, backend: str = "scapy",
                 log: Callable[[str], None] | None = None) -> TimeWaitResult:
    path = save
    if path is None:
        fd, path = tempfile.mkstemp(prefix="analyzer-timewait-", suffix=".pcapng")
        os.close(fd)
    res = TimeWaitResult(path)

    def event(text: str) -> None:
        res.events.append((time.time_ns(), text))
        if log is not None:
            log(text)

    # two free ports, picked by the kernel and released at once (nothing in TIME_WAIT on them yet)
    probes = [HttpServer(LOOPBACK, 0, reuse_addr=False) for _ in range(2)]
    res.ports = [p.port for p in probes]
    for p in probes:
        p.stop()
    bpf = " or ".join(f"tcp port {p}" for p in res.ports)
    cap = LiveCapture("lo", f"host {LOOPBACK} and ({bpf})", backend=backend, write=path)
    servers: list[HttpServer] = []
    try:
        cap.start()
        for reuse, port in zip((False, True), res.ports):
            label = "with SO_REUSEADDR" if reuse else "without SO_REUSEADDR"
            server = HttpServer(LOOPBACK, port, reuse_addr=reuse, close_after_response=True)
            servers.append(server.start())
            event(f"[{label}] server listening on {LOOPBACK}:{port}")
            try:
                results = [get(LOOPBACK, port, timeout=5)]
            except FetchError as exc:
                event(f"fetch failed: {exc}")
                results = []
            for r in results:
                event(f"client: GET {r.path} -> {r.status}; the server closed the connection (its FIN first)")
            time.sleep(0.1)
            server.stop()
            event("server stopped (listener closed)")
            for line in sockets_on_port(port):
                event(f"kernel: {line}")
            try:
                again = HttpServer(LOOPBACK, port, reuse_addr=reuse)
            except OSError as exc:
                name = errno.errorcode.get(exc.errno, str(exc.errno))
                msg = f"restart: bind({LOOPBACK}:{port}) failed: {name} ({exc.strerror})"
                res.bind_errors.append(msg)
                event(msg)
                continue
            servers.append(again.start())
            res.restarted_with_reuse = reuse
            event(f"restart: bind({LOOPBACK}:{port}) with SO_REUSEADDR succeeded while TIME_WAIT remains")
            try:
                for r in [get(LOOPBACK, port, timeout=5)]:
                    event(f"client: GET {r.path} -> {r.status} from the restarted server")
            except FetchError as exc:
                event(f"fetch from the restarted server failed: {exc}")
        time.sleep(0.3)
    finally:
        try:
            res.captured = cap.join().captured if cap.ready.is_set() else 0
        finally:
            for s in servers:
                s.stop()
    return res


def side_by_side(res: TimeWaitResult, width: int | None = None) -> list[str]:
    """Rows on one clock: time since the first row | what the programs did | what the capture saw."""
    import analyzer
    from analyzer.report.safe import visible
    from analyzer.report.summary import Summary

    width = width or max(shutil.get_terminal_size((160, 24)).columns, 120)
    summary = Summary()
    rows: list[tuple[int, int, str, str]] = [(ts, 0, text, "") for ts, text in res.events]
    for pkt in analyzer.open(res.capture_path).packets():
        frame = pkt.frame
        _n, _t, _src, _dst, _proto, _len, info = summary.columns(pkt)
        rows.append((frame.ts_ns, 1, "", f"{frame.number:>3} {visible(info)}"))
    rows.sort(key=lambda r: (r[0], r[1]))
    if not rows:
        return []
    t0 = rows[0][0]
    left_w = (width - 12) // 2
    right_w = width - 12 - left_w - 3
    out = [f"{'time':>10}  {'what the programs did':<{left_w}} | what the capture saw",
           f"{'-' * 10}  {'-' * left_w}-+-{'-' * right_w}"]
    for ts, _kind, left, right in rows:
        lines = textwrap.wrap(left, left_w) or [""]  # wrap the long program lines at words, never the capture's
        out.append(f"{(ts - t0) / 1e9:>10.6f}  {lines[0]:<{left_w}} | {right[:right_w]}".rstrip())
        out += [f"{'':>10}  {line:<{left_w}} |" for line in lines[1:]]
    return out
