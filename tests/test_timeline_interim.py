"""Interim (1xx) responses in the timeline: ``captures/lab_post_100_continue.pcapng`` (scripts/
record_timeline_captures.py --only post_continue: curl posts 20,000 bytes with ``Expect: 100-continue`` to the
lab's own server), and the wait when no 100 Continue comes: ``captures/lab_post_expect_ignored.pcapng``
(``--only expect_ignored``: the same POST to a server that ignores the expectation). tshark gives every
expected frame and time: the 100 Continue, the body's first segment, the final answer, the server's payload
bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from tshark_query import fields

from analyzer.capture import open_capture
from analyzer.timeline import timeline

CAPTURES = Path(__file__).resolve().parents[1] / "captures"
CAPTURE = CAPTURES / "lab_post_100_continue.pcapng"
IGNORED = CAPTURES / "lab_post_expect_ignored.pcapng"


def tshark(display: str, *names: str, path: Path = CAPTURE) -> list[list[str]]:
    return fields(path, display, *names)


def load(lang: str = "en", path: Path = CAPTURE):
    with open_capture(path) as reader:
        return timeline(reader, lang)


def test_100_continue_is_told_and_kept_out_of_the_answer():
    ((interim,),) = tshark("http.response.code == 100", "frame.number")
    ((final,),) = tshark("http.response.code == 200", "frame.number")
    ((request, client, body_len),) = tshark("http.request", "frame.number", "ip.src", "http.content_length")
    assert tshark("http.request", "http.request.line") and int(body_len) == 20000
    body = min(int(f) for (f,) in tshark(f"ip.src == {client} && tcp.len > 0 && frame.number > {interim}",
                                         "frame.number"))
    assert int(interim) < body <= int(request) < int(final)
    (fetch,) = load().fetches
    (step,) = [s for s in fetch.steps if s.kind.startswith("http.response.interim")]
    assert step.kind == "http.response.interim.continue"
    assert step.frames == (int(interim), body)
    assert "held back the body (20,000 bytes) until the server agreed" in step.text
    assert f"(frame {body})" in step.text
    (answer,) = [s for s in fetch.steps if s.kind == "http.response"]
    assert answer.frames == (int(final),)           # the 100 Continue is no part of the answer
    assert "resent" not in answer.text and "came last" not in answer.text
    (zh,) = [s for s in load("zh").fetches[0].steps if s.kind == "http.response.interim.continue"]
    assert "Expect: 100-continue" in zh.text and f"第 {body} 帧" in zh.text


def test_http_bytes_count_the_interim_head():
    """The server sent nothing but HTTP: its TCP payload bytes (tshark) are its HTTP bytes, the 100 Continue's
    head included."""
    ((server,),) = tshark("http.response.code == 100", "ip.src")
    payload = sum(int(n) for (n,) in tshark(f"ip.src == {server} && tcp.len > 0", "tcp.len"))
    (fetch,) = load().fetches
    assert fetch.summary.bytes_received == payload
    assert fetch.summary.http_bytes_received == payload


def test_no_100_continue_the_client_waits_and_the_wait_is_told():
    """The server ignores Expect: 100-continue: tshark shows the head alone, no 100, and the body's first
    segment about 1 s later; the step cites both frames with that wait, and 'Where the time went' names it."""
    assert tshark("http.response.code == 100", "frame.number", path=IGNORED) == []
    ((client,),) = tshark("http.request", "ip.src", path=IGNORED)
    sent = [(int(f), float(t)) for f, t in tshark(f"ip.src == {client} && tcp.len > 0 && tcp.dstport == 8080",
                                                  "frame.number", "frame.time_relative", path=IGNORED)]
    (head, t_head), (body, t_body) = sent[0], sent[1]
    assert t_body - t_head > 0.9
    (fetch,) = load(path=IGNORED).fetches
    (step,) = [s for s in fetch.steps if s.kind == "http.request.expect_wait"]
    assert step.frames == (head, body) and step.problem
    assert step.facts["waited_ms"] == pytest.approx((t_body - t_head) * 1000, abs=0.01)
    assert f"before sending the body (frame {body}, 20,000 bytes in all)" in step.text
    (delay,) = [d for d in fetch.breakdown if d.what == "expect_wait"]
    assert delay.frames == (head, body) and delay.ms == max(d.ms for d in fetch.breakdown)


def test_a_100_continue_in_time_is_no_wait():
    (fetch,) = load().fetches
    assert not [s for s in fetch.steps if s.kind == "http.request.expect_wait"]
