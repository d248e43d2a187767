"""An HTTPS answer whose TLS record was completed by a retransmission that filled a hole (issue 10, item 4).

Over TLS the timeline takes an answer's first byte from the first segment of the record that holds it, found
back from the record's length and where it ends. When the frame that completed the record is a retransmission
that filled a hole, the record does not end with that frame's payload: the bytes after the hole, which came
first and waited in the receiver's buffer, were handed on with it, and the record ends among them. Taken as
ending with the filler, the record's start fell into an earlier answer's (or the handshake's) segments: "time to
first byte 0.0 µs", an answer told before its request.

captures/lab_https_hole_filled.pcapng (``analyzer lab --https --loss 30``, kept by ``scripts/record_captures.py
--only lab_https_hole_filled``) holds two such answers. Expected frames and times are tshark's, asked at test time:
the segments' seq and length, the record lengths tshark reads in them, and which segments are retransmissions.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.apps.tls import parse_keylog
from analyzer.capture import open_capture
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "captures" / "lab_https_hole_filled.pcapng"
TSHARK = shutil.which("tshark")
CLIENT = "192.0.2.10"
FIELDS = ["frame.number", "frame.time_epoch", "ip.src", "tcp.seq", "tcp.len", "tcp.analysis.retransmission",
          "tls.record.length"]

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed")


def rows() -> list[dict[str, str]]:
    argv = [TSHARK, "-r", str(FILE), "-o", f"tls.keylog_file:{FILE.with_suffix('.keys')}", "-Y", "tcp.len > 0",
            "-T", "fields", "-E", "separator=/t"]
    for f in FIELDS:
        argv += ["-e", f]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120).stdout
    return [dict(zip(FIELDS, line.split("\t"))) for line in out.splitlines()]


def fetch(lang: str = "en"):
    with open_capture(FILE) as reader:
        (f,) = timeline(reader, lang, keylog=parse_keylog(FILE.with_suffix(".keys").read_bytes())).fetches
    return f


def test_the_answer_starts_with_its_record_after_the_hole_not_before_it():
    segs = rows()
    at = {int(r["frame.number"]): float(r["frame.time_epoch"]) for r in segs}
    server = [r for r in segs if r["ip.src"] != CLIENT]
    # the fillers: retransmissions ending below bytes the server had already sent
    high, fillers = 0, {}
    for r in server:
        end = int(r["tcp.seq"]) + int(r["tcp.len"])
        if r["tcp.analysis.retransmission"] and end < high:
            fillers[int(r["frame.number"])] = high      # what was seen by then: where the records handed on end
        high = max(high, end)
    assert len(fillers) == 2
    requests = fetch().requests
    answered = [q for q in requests if q.frames[3] in fillers]
    assert len(answered) == 2       # both answers completed by a filler (the analyzer's response frames)
    for q in answered:
        filler = q.frames[3]
        # the record that ends where the bytes seen by then end: when tshark reads its length in that segment it
        # lies wholly there; else it spans the answer's segments, from the lowest new bytes after the request
        last = next(r for r in server if int(r["tcp.seq"]) + int(r["tcp.len"]) == fillers[filler])
        if last["tls.record.length"]:
            assert int(last["tls.record.length"].split(",")[-1]) + 5 == int(last["tcp.len"])
            first = last
        else:
            after = [r for r in server if q.frames[1] < int(r["frame.number"]) < filler
                     and not r["tcp.analysis.retransmission"]]
            first = min(after, key=lambda r: int(r["tcp.seq"]))
        assert at[int(first["frame.number"])] > at[q.frames[1]]
        wait_ms = (at[int(first["frame.number"])] - at[q.frames[1]]) * 1e3
        assert q.wait == pytest.approx(wait_ms, abs=0.001)
        assert q.wait > 0
    steps = fetch().steps
    order = [s.kind for s in steps if s.kind in ("http.request", "http.request.resource", "http.response")]
    assert order == ["http.request", "http.response"] + ["http.request.resource", "http.response"] * 3
    assert "0.0 µs" not in "\n".join(s.text for s in steps)


@pytest.mark.parametrize("path", sorted((ROOT / "captures").glob("*.keys")), ids=lambda p: p.stem)
def test_every_https_answer_is_told_after_its_request(path):
    """Over every HTTPS recording (lab_https_close_lost too: its last answer was told at "0.0 µs" before its
    request): each answer's step follows its request's, with a time to first byte above zero."""
    capture = path.with_suffix(".pcapng")
    with open_capture(capture) as reader:
        tl = timeline(reader, "en", keylog=parse_keylog(path.read_bytes()))
    for f in tl.fetches:
        asked = [s for s in f.steps if s.kind.startswith("http.request")]
        answered = [s for s in f.steps if s.kind.startswith("http.response") and "interim" not in s.kind]
        assert len(asked) == len(answered) == len(f.requests)
        for q, a in zip(asked, answered):
            assert f.steps.index(q) < f.steps.index(a) and q.ts_ns < a.ts_ns
        assert all(q.wait is None or q.wait > 0 for q in f.requests)


def test_one_duplicate_ack_is_one_frame():
    """A fast retransmission asked for by one duplicate ACK names "frame N", not "frames N" (seen on a lab run
    with one duplicate ACK; the recording here has two, "frames 22, 24" by tshark's tcp.analysis.duplicate_ack)."""
    from analyzer.timeline.texts import explain

    (step,) = [s for s in fetch().steps if s.kind == "tcp.loss" and s.facts.get("fast")]
    dups = subprocess.run([TSHARK, "-r", str(FILE), "-Y", "tcp.analysis.duplicate_ack and ip.src == 192.0.2.10",
                           "-T", "fields", "-e", "frame.number"], capture_output=True, text=True, check=True,
                          timeout=60).stdout.split()
    two = [d for d in dups if step.frames[0] < int(d) < step.facts["fill_frame"]]
    assert f"(frames {', '.join(two)})" in step.text
    one = explain("tcp.loss", {**step.facts, "dup_acks": 1, "dup_frames": two[0]})
    assert f"duplicate ACK (frame {two[0]})" in one and "(frames" not in one
    assert f"第 {two[0]} 帧" in explain("tcp.loss", {**step.facts, "dup_acks": 1, "dup_frames": two[0]}, "zh")
