"""``analyzer watch``: the timeline printed while the capture runs (root, lo, the demo's servers)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer.cli.watch import StepPrinter
from analyzer.demo.client import fetch
from analyzer.demo.dns import DnsResponder, Zone
from analyzer.demo.http_server import HttpServer

ROOT = Path(__file__).resolve().parent.parent


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e["PYTHONUNBUFFERED"] = "1"
    return e


def test_step_printer_prints_each_step_once():
    lines: list[str] = []
    printer = StepPrinter(echo=lines.append)
    fetch_ = {"url": "http://x/", "client": "a", "server": "b",
              "steps": [{"frame": 3, "time": 0.001, "layer": "tcp", "step": "tcp.handshake.1", "text": "SYN"},
                        {"frame": None, "time": 0.002, "layer": "tcp", "step": "tcp.open", "text": "still open"}]}
    assert printer.update({"fetches": [fetch_]}) == 1
    fetch_["steps"][0]["text"] = "SYN, reworded"            # the same step again: not printed twice
    assert printer.update({"fetches": [fetch_]}) == 0
    assert printer.update({"fetches": [fetch_]}, final=True) == 1     # end-of-capture steps come at the end
    assert lines[0].startswith("== http://x/") and "tcp.handshake.1: SYN" in lines[1]
    assert "#-" in lines[2]


@pytest.mark.skipif(os.geteuid() != 0, reason="capturing on lo needs root or CAP_NET_RAW")
def test_watch_prints_the_fetch_as_it_happens():
    with DnsResponder(Zone.demo(), "127.0.0.1", 0) as dns_server, HttpServer("127.0.0.1", 0) as web:
        bpf = f"host 127.0.0.1 and (udp port {dns_server.port} or tcp port {web.port})"
        proc = subprocess.Popen([sys.executable, "-m", "analyzer", "watch", "-i", "lo", "-f", bpf, "--interval",
                                 "0.2"], env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            seen = b""
            deadline = time.monotonic() + 20
            while b"watching lo" not in seen and time.monotonic() < deadline:
                if select.select([proc.stderr], [], [], 0.2)[0]:
                    seen += os.read(proc.stderr.fileno(), 4096)
            fetch("www.example.test", "127.0.0.1", dns_server.port, web.port, pause=0.5)
            # the first steps are printed before the capture ends
            out = b""
            deadline = time.monotonic() + 20
            while (b"handshake" not in out and b"[SYN]" not in out) and time.monotonic() < deadline:
                if select.select([proc.stdout], [], [], 0.2)[0]:
                    out += os.read(proc.stdout.fileno(), 65536)
            assert b"handshake" in out or b"[SYN]" in out, out      # printed while the capture still runs
            assert proc.poll() is None
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            _rest, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 130, err        # stopped by Ctrl-C, as a shell reports it
    assert "packets captured on lo" in err.decode()
    assert b"Traceback" not in err and b"Aborted" not in err


def test_watch_lines_show_escape_sequences_from_packets_as_text():
    from analyzer.cli.watch import StepPrinter

    out: list[str] = []
    printer = StepPrinter(echo=out.append)
    printer.update({"fetches": [{
        "url": "http://evil.test/\x1b]0;pwned\x07", "client": "192.0.2.10", "server": "198.51.100.80",
        "steps": [{"layer": "http", "step": "http.request", "frame": 4, "time": 0.25,
                   "text": "GET /\x1b[2J\x9b31m"}]}]}, final=True)
    assert len(out) == 2
    assert all("\x1b" not in line and "\x07" not in line and "\x9b" not in line for line in out)
    assert "\\x1b]0;pwned\\x07" in out[0] and "\\x1b[2J" in out[1]
