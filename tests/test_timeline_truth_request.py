"""A request resent before its answer: the long time to first byte went by in retransmission timers, not in the
server's thinking, and is counted once. Which copy was lost, the request's or the server's first answer, the
TCP timestamps tell (in captures/lab_https_request_lost.pcapng the answer's TSecr is the resend's TSval: the
request's first copy was lost; tests/test_timeline_truth_loss_episodes.py checks the verdicts against tshark's
timestamps) (`analyzer lab --https --loss 15`, recorded by scripts/record_captures.py, which keeps a recording
only when tshark shows such a resend). Expected frames and times are tshark's, asked at test time."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.apps.tls import parse_keylog
from analyzer.capture import open_capture
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parents[1]
PCAP = ROOT / "captures" / "lab_https_request_lost.pcapng"
KEYS = PCAP.with_suffix(".keys")
TSHARK = shutil.which("tshark")
CLIENT = "192.0.2.10"

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed")


def tshark_rows() -> list[list[str]]:
    argv = [TSHARK, "-r", str(PCAP), "-o", f"tls.keylog_file:{KEYS}", "-T", "fields", "-E", "separator=/t",
            "-e", "frame.number", "-e", "frame.time_epoch", "-e", "ip.src", "-e", "tcp.len",
            "-e", "tcp.analysis.retransmission", "-e", "http.response.code", "-e", "http.request.uri"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120).stdout
    return [line.split("\t") for line in out.splitlines()]


def resend_and_answer(rows) -> tuple[list[str], list[str], list[str]]:
    """tshark's client retransmission of request bytes answered within 5 ms, that answer, and the request's
    first copy (the last client data segment with a request URI before the resend)."""
    for i, r in enumerate(rows):
        if r[2] == CLIENT and r[3] not in ("", "0") and r[4]:
            answer = next(x for x in rows[i + 1:] if x[2] != CLIENT and x[3] not in ("", "0"))
            if answer[5] and float(answer[1]) - float(r[1]) < 0.005:
                first = [x for x in rows[:i] if x[2] == CLIENT and x[6]][-1]
                return r, answer, first
    raise AssertionError("the recording holds no request resent and answered at once")


def test_the_wait_is_told_as_the_retransmission_timers():
    resend, answer, first = resend_and_answer(tshark_rows())
    with open_capture(PCAP) as reader:
        tl = timeline(reader, "en", keylog=parse_keylog(KEYS.read_bytes()))
    steps = [s for f in tl.fetches for s in f.steps]
    told = [s for s in steps if s.kind.startswith("http.wait.resent")]
    assert len(told) == 1
    step = told[0]
    assert step.frames == (int(resend[0]), int(answer[0]))
    assert step.facts["resend_frame"] == int(resend[0])
    assert abs(step.facts["waited_ms"] - (float(resend[1]) - float(first[1])) * 1000) < 0.01
    assert abs(step.facts["answer_ms"] - (float(answer[1]) - float(resend[1])) * 1000) < 0.01
    assert "TSecr" in step.text
    # not told as a lost answer, and its time not counted a second time as one in "Where the time went": the
    # wait is the client's retransmission timer, once
    assert not [s for s in steps if s.kind == "http.wait.lost"]
    fetch = next(f for f in tl.fetches if step in f.steps)
    assert not [d for d in fetch.breakdown if d.what == "lost_answer"]
    timers = [d for d in fetch.breakdown if int(resend[0]) in d.frames]
    assert len(timers) == 1 and timers[0].what != "lost_answer"
