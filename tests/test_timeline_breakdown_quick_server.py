"""Where the time went names the server's think time of an answer too quick for a step of its own (issue 10 item
3: "say where it went ... server think time = TTFB - RTT").

A step explains a wait of 20 ms or more; on a LAN or the loopback a whole fetch takes a few milliseconds and
the server's time is most of it: the list then said "the other 2 ms is not broken down". Crafted: a 200 µs round
trip, the server answering 5 ms after the request; the expected figures from tshark (``http.time`` = TTFB,
``tcp.analysis.initial_rtt``).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from fixtures.timeline import craft

import analyzer

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")


def _story(think_us: int) -> craft.Story:
    story = craft.Story()
    story.dns(craft.CLIENT, craft.RESOLVER, "www.a.test", [("www.a.test", "A", craft.LAN_SERVER)], 0x1111)
    c = craft.Conn(story, (craft.CLIENT, 40001), (craft.LAN_SERVER, 80))
    c.handshake(rtt_us=200)
    c.get(craft.request("/", "www.a.test"), craft.response("200 OK", b"x" * 50, "text/plain"), think_us=think_us,
          dt_us=100)
    c.close_four(craft.C)
    return story


def _tshark(path, display: str, fields: list[str]) -> list[str]:
    argv = ["tshark", "-r", str(path), "-Y", display, "-T", "fields"] + [a for f in fields for a in ("-e", f)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout.split()


def test_quick_server_time_is_a_part(tmp_path):
    path = tmp_path / "quick.pcap"
    _story(5_000).write(path)
    ttfb_s, frame = _tshark(path, "http.response", ["http.time", "frame.number"])
    (irtt_s,) = _tshark(path, "tcp.analysis.initial_rtt", ["tcp.analysis.initial_rtt"])[:1]
    ttfb, rtt = float(ttfb_s) * 1000, float(irtt_s) * 1000
    assert 10 * rtt <= ttfb < 20.0          # the case: ten round trips or more, too short for a step
    (fetch,) = [f for f in analyzer.open(path).timeline().fetches if f.host == "www.a.test"]
    assert not [s for s in fetch.steps if s.kind.startswith("http.wait")]
    (part,) = [d for d in fetch.breakdown if d.what == "server"]
    assert part.ms == pytest.approx(ttfb - rtt, abs=0.002) and part.frames == (int(frame),)
    assert f"frame {frame}" in part.text and "less one round trip" in part.text
    assert fetch.breakdown[0] is part       # the largest part of this fetch


def test_a_server_as_quick_as_the_network_is_no_part(tmp_path):
    path = tmp_path / "instant.pcap"
    _story(300).write(path)                  # answered within ~2 round trips: no think time worth a word
    ttfb_s = _tshark(path, "http.response", ["http.time"])[0]
    irtt_s = _tshark(path, "tcp.analysis.initial_rtt", ["tcp.analysis.initial_rtt"])[0]
    assert float(ttfb_s) < 10 * float(irtt_s)
    (fetch,) = [f for f in analyzer.open(path).timeline().fetches if f.host == "www.a.test"]
    assert not [d for d in fetch.breakdown if d.what == "server"]


def test_several_quick_answers_are_one_part(tmp_path):
    path = tmp_path / "two.pcap"
    story = craft.Story()
    story.dns(craft.CLIENT, craft.RESOLVER, "www.a.test", [("www.a.test", "A", craft.LAN_SERVER)], 0x1111)
    c = craft.Conn(story, (craft.CLIENT, 40001), (craft.LAN_SERVER, 80))
    c.handshake(rtt_us=200)
    c.get(craft.request("/", "www.a.test"), craft.response("200 OK", b"<html><link rel=stylesheet href=/a.css></html>", "text/html"), think_us=4_000,
          dt_us=100)
    story.us += 12_000      # the client reads the page 12 ms before it asks for the style sheet
    c.get(craft.request("/a.css", "www.a.test", referer="http://www.a.test/"),
          craft.response("200 OK", craft.CSS, "text/css"), think_us=6_000, dt_us=100)
    c.close_four(craft.C)
    story.write(path)
    rows = [line.split("\t") for line in subprocess.run(
        ["tshark", "-r", str(path), "-Y", "http.response", "-T", "fields", "-e", "http.time", "-e", "frame.number"],
        capture_output=True, text=True, timeout=60, check=True).stdout.splitlines()]
    (irtt_s,) = _tshark(path, "tcp.analysis.initial_rtt", ["tcp.analysis.initial_rtt"])[:1]
    rtt = float(irtt_s) * 1000
    (fetch,) = [f for f in analyzer.open(path).timeline().fetches if f.host == "www.a.test"]
    (part,) = [d for d in fetch.breakdown if d.what == "server"]
    assert part.frames == tuple(int(r[1]) for r in rows)
    assert part.ms == pytest.approx(sum(float(r[0]) * 1000 - rtt for r in rows), abs=0.004)
    assert "in 2 answers (/ and /a.css:" in part.text
    # the client's time between the answer and its next request is still its own part (the server part's frames
    # are apart: no span of them hides that gap)
    requests = [int(x) for x in _tshark(path, "http.request", ["frame.number"])]
    (idle,) = [d for d in fetch.breakdown if d.what in ("idle", "client_page")]
    assert requests[1] in idle.frames


def test_lab_same_subnet_keeps_its_idle_time_beside_the_server_part():
    """captures/lab_same_subnet: three quick answers (one server part) and the client's 4 ms between the first
    answer and GET /style.css (its own part: the server part's frames are apart, no span of them hides it)."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "captures" / "lab_same_subnet.pcapng"
    rows = [r.split("\t") for r in subprocess.run(
        ["tshark", "-r", str(path), "-Y", "http.request", "-T", "fields", "-e", "frame.number", "-e",
         "http.request.uri"], capture_output=True, text=True, timeout=60, check=True).stdout.splitlines()]
    css = next(int(n) for n, uri in rows if uri == "/style.css")
    (fetch,) = [f for f in analyzer.open(path).timeline().fetches if f.requests]
    (server,) = [d for d in fetch.breakdown if d.what == "server"]
    assert 2 <= len(server.frames) <= len(rows)
    assert [d for d in fetch.breakdown if d.what.startswith("idle") and css in d.frames]
