"""Issue 13 for real (root): a client refused twice from one source port, then connected (port reuse, recorded
on lo); ``analyzer demo --dns-port 0`` puts its DNS responder on a port the kernel picks,
and the demo's capture is decoded as DNS there (Decode As), as tshark decodes it with the same ``-d`` rules;
``analyzer capture`` prints a GET to a server on any port as HTTP, as ``read`` does."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer import verify
from analyzer.capture import open_capture
from analyzer.decode.decode_as import decoding_as
from analyzer.filter.apply import analyzed

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="capturing on lo needs root or CAP_NET_RAW"),
    pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark (the oracle) is not installed"),
]


def test_demo_on_a_random_dns_port_is_decoded_like_tshark_with_the_same_rules(tmp_path):
    from analyzer.demo.run import run_demo

    save = tmp_path / "demo.pcapng"
    res = run_demo(save=str(save), dns_port=0, http_port=0, log=lambda _s: None)
    assert res.dns_port not in (0, 53)
    rules = [f"udp.port=={res.dns_port},dns", f"tcp.port=={res.dns_port},dns"]
    with open_capture(save) as reader:
        plain = [p.protocols[-1] for p in analyzed(reader)]
    with decoding_as(rules), open_capture(save) as reader:
        decoded = [p.protocols[-1] for p in analyzed(reader)]
    assert "dns" not in plain and decoded.count("dns") >= 2
    summary, _rejected = verify.run(str(save), decode_as=rules)
    assert summary.ok, "\n".join(d.describe() for d in summary.first)


def test_live_capture_prints_http_on_any_port(tmp_path):
    from analyzer.demo.http_server import HttpServer

    web = HttpServer("127.0.0.1", 0).start()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "analyzer", "capture", "-i", "lo", "-q", "-c", "6",
                                 "-f", f"tcp port {web.port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=ROOT)
        time.sleep(3)           # the capture is up (it prints nothing before its first packet)
        import urllib.request
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{web.port}/", timeout=5) as answer:
                answer.read()
            time.sleep(0.5)
        out, _err = proc.communicate(timeout=20)
    finally:
        web.stop()
        if proc.poll() is None:
            proc.kill()
    lines = out.splitlines()
    assert any(" HTTP " in line and "GET / HTTP/1.1" in line for line in lines), out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_recorded_port_reuse_after_refused_attempts(tmp_path):
    """For real on lo: a client bound to one source port is refused twice (no listener: SYN, RST-ACK), then
    the server listens and the third attempt connects, sends a line and closes. tshark numbers three streams
    and so do we; as Zeek logs repeated attempts, three rows: REJ, REJ, SF."""
    from analyzer.live import LiveCapture
    from analyzer.pipeline import Pipeline

    server_port, client_port = _free_port(), _free_port()
    path = tmp_path / "reuse.pcapng"
    cap = LiveCapture("lo", f"tcp port {server_port}", write=str(path)).start()
    try:
        time.sleep(1.0)
        for _ in range(2):
            with socket.socket() as c:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                c.bind(("127.0.0.1", client_port))
                with pytest.raises(ConnectionRefusedError):
                    c.connect(("127.0.0.1", server_port))
            time.sleep(0.2)
        with socket.socket() as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", server_port))
            listener.listen(1)
            with socket.socket() as c:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                c.bind(("127.0.0.1", client_port))
                c.connect(("127.0.0.1", server_port))
                conn, _ = listener.accept()
                with conn:
                    c.sendall(b"hello\n")
                    assert conn.recv(16) == b"hello\n"
                    c.shutdown(socket.SHUT_WR)
                    conn.recv(16)
                    conn.close()
                    c.recv(16)
            time.sleep(0.3)
    finally:
        cap.join(settle=0.3)
    pipe = Pipeline()
    with open_capture(path) as reader:
        packets = list(pipe.run(reader))
    rows = pipe.tcp_connections
    assert [(r["stream"], r["conn_state"]) for r in rows] == [(0, "REJ"), (1, "REJ"), (2, "SF")]
    assert [r["port_reuse"] for r in rows] == [False, True, True]
    assert sum(1 for p in packets if p.get("tcp.analysis.reused_ports")) == 2
    summary, _rejected = verify.run(str(path))
    assert summary.ok, "\n".join(d.describe() for d in summary.first)
