"""payload_bytes' fast path (timeline/tcp.PAYLOAD_FAST: a segment that follows the bytes seen so far and lies in
one message, on a side whose messages do not overlap, counted for that message without the general loop) gives
what the general path gives, key order included: on random connections (in order, with gaps, resent and
overlapping segments, overlapping and empty messages, bytes outside every message) and on captures with losses."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from analyzer.timeline import tcp
from analyzer.timeline.facts import ACK, Message, Segment

CAPTURES = Path(__file__).resolve().parent.parent / "captures"


@pytest.fixture(autouse=True)
def _python_loops(monkeypatch):
    """These tests hold the Python loop's fast path to its general path; the compiled loops (owners,
    payload_bytes: ``_speedups.conn_owners``/``conn_payload``) are held to the Python loops by
    tests/test_timeline_owners_compiled.py."""
    monkeypatch.setattr(tcp, "OWNERS_COMPILED", False)


def _both(facts, own, monkeypatch):
    fast = tcp.payload_bytes(facts, own)
    monkeypatch.setattr(tcp, "PAYLOAD_FAST", False)
    general = tcp.payload_bytes(facts, own)
    monkeypatch.setattr(tcp, "PAYLOAD_FAST", True)
    return fast, general


def _random_conn(rng: random.Random):
    messages, segments, own = [], [], []
    for d in (0, 1):
        pos = 0
        for index in range(rng.randint(0, 6)):
            start = pos + rng.choice([0, 0, 0, 1, 2, rng.randint(1, 50)])    # a gap: bytes of no message
            if rng.random() < 0.1:
                start = max(0, start - rng.randint(1, 80))                     # overlapping the one before
            end = start + rng.choice([0, rng.randint(1, 3000)])
            messages.append(Message(d, start, end, index, d == 0))
            pos = max(pos, end)
    sent = [0, 0]
    for frame in range(1, rng.randint(2, 60)):
        d = rng.randint(0, 1)
        length = rng.choice([0, 1, 2, rng.randint(1, 1460)])
        lo = sent[d]
        r = rng.random()
        if r < 0.1:
            lo = max(0, lo - rng.randint(1, 3000))          # resent, maybe partly new
        elif r < 0.2:
            lo += rng.randint(1, 2000)                       # bytes the capture missed
        sent[d] = max(sent[d], lo + length)
        segments.append(Segment(frame, frame * 1000, d, ACK, 0, 0, lo + 1, 1, length, 100))
        own.append(rng.choice([tcp.HANDSHAKE, tcp.TEARDOWN, 0, 1, 2]))
    return SimpleNamespace(messages=tuple(messages), segments=tuple(segments)), own


def test_random_connections(monkeypatch):
    rng = random.Random(12)
    used = 0
    for _ in range(3000):
        facts, own = _random_conn(rng)
        fast, general = _both(facts, own, monkeypatch)
        assert [list(x.items()) for x in fast] == [list(x.items()) for x in general]
        used += bool(fast[0])
    assert used > 1000


def test_the_fast_path_is_taken(monkeypatch):
    # one message, three segments in order: all but the first go by the fast path; planted off-by-one bounds
    # would move bytes to (-1, d)
    msgs = (Message(0, 0, 300, 0, True),)
    segs = tuple(Segment(f, f, 0, ACK, 0, 0, 1 + 100 * i, 1, 100, 100) for i, f in enumerate((3, 4, 5)))
    facts = SimpleNamespace(messages=msgs, segments=segs)
    calls = []
    real = tcp._Intervals.add
    monkeypatch.setattr(tcp._Intervals, "add", lambda self, lo, hi: calls.append(lo) or real(self, lo, hi))
    fast, general = _both(facts, [0, 0, 0], monkeypatch)
    assert fast == general == ({(0, 0): 300}, {(0, 0): 300})
    assert calls == [0, 0, 100, 200]        # fast: the first segment only; general: all three


@pytest.mark.parametrize("name", ["lab_lossy_fetch_retransmissions.pcapng", "lab_page_fetch.pcapng",
                                  "lab_post_100_continue.pcapng", "lab_syn_loss_rto_doubling.pcapng"])
def test_captures(name, monkeypatch):
    from analyzer.cli.timeline import stream

    fast = [f.as_dict() for f in stream(str(CAPTURES / name), "en")]
    monkeypatch.setattr(tcp, "PAYLOAD_FAST", False)
    assert fast == [f.as_dict() for f in stream(str(CAPTURES / name), "en")]
    assert any(f["summary"]["bytes_received"] for f in fast)
