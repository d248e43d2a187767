"""Issue 13 for real (root): ``analyzer demo --dns-port 0`` puts its DNS responder on a port the kernel picks,
and the demo's capture is decoded as DNS there (Decode As), as tshark decodes it with the same ``-d`` rules;
``analyzer capture`` prints a GET to a server on any port as HTTP, as ``read`` does."""

from __future__ import annotations

import os
import shutil
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
