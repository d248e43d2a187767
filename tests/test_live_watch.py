"""``analyzer watch``: the timeline printed while the capture runs, as ``analyzer timeline`` prints it (root,
lo, the demo's servers)."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures.timeline import craft

from analyzer.capture import open_capture
from analyzer.cli.watch import FetchPrinter
from analyzer.demo.client import fetch
from analyzer.demo.dns import DnsResponder, Zone
from analyzer.demo.http_server import HttpServer
from analyzer.report.timeline_text import render
from analyzer.timeline import TimelineRun, timeline

ROOT = Path(__file__).resolve().parent.parent


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e["PYTHONUNBUFFERED"] = "1"
    return e


def test_watch_prints_what_timeline_prints(tmp_path):
    """Frames fed as a live capture would (with clock ticks between them) print the same text as
    `analyzer timeline` on the same frames: no internal step ids, no raw dicts."""
    built = craft.build(tmp_path)
    path, _f = built["two_pages"]
    with open_capture(path) as reader:
        frames = list(reader)
    lines: list[str] = []
    printer = FetchPrinter(echo=lines.append)
    run = TimelineRun()
    for frame in frames:
        printer(run.feed(frame))
        printer(run.tick(frame.ts_ns + 10_000_000))        # the wall clock moves on between frames
    printer(run.finish())
    assert "\n".join(lines) == render(timeline(frames))
    text = "\n".join(lines)
    assert "tcp.handshake" not in text and "{" not in text


def test_watch_lines_show_escape_sequences_from_packets_as_text(tmp_path):
    built = craft.build(tmp_path)
    path, _f = built["hostile"]
    with open_capture(path) as reader:
        frames = list(reader)
    lines: list[str] = []
    printer = FetchPrinter(echo=lines.append)
    run = TimelineRun()
    for frame in frames:
        printer(run.feed(frame))
    printer(run.finish())
    text = "\n".join(lines)
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "evil.test\\x1b]0;pwned\\x07\\x1b[2J" in text


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
            # the fetch is printed while the capture still runs: once its connection closed and was quiet
            out = b""
            deadline = time.monotonic() + 30
            while b"Ladder diagram" not in out and time.monotonic() < deadline:
                if select.select([proc.stdout], [], [], 0.2)[0]:
                    out += os.read(proc.stdout.fileno(), 65536)
            assert proc.poll() is None
            proc.send_signal(signal.SIGINT)
            rest, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    text = (out + rest).decode()
    assert proc.returncode == 130, err        # stopped by Ctrl-C, as a shell reports it
    assert b"Traceback" not in err and b"Aborted" not in err
    assert re.search(r"^Fetch 1: http://www\.example\.test:\d+/", text, re.MULTILINE)
    assert "Step 1/3 of the three-way handshake" in text and "Ladder diagram" in out.decode()
    assert "packets captured on lo" in err.decode()
