"""The per-direction reassembler (sans-IO): order, overlaps (first copy wins), wraparound, gaps, bounds."""

from __future__ import annotations

import random

from analyzer.tcp.reassembly import CollectingSink, StreamReassembler

M32 = 0xFFFFFFFF


def feed(segments, isn=1000, **kw):
    """segments: (offset from isn+1, bytes[, wire_len]); returns the sink after close()."""
    sink = CollectingSink()
    r = StreamReassembler(0, sink, **kw)
    r.syn(isn)
    for i, seg in enumerate(segments):
        off, data = seg[0], seg[1]
        wire = seg[2] if len(seg) > 2 else len(data)
        r.segment((isn + 1 + off) & M32, data, wire, False, i + 1, i)
    r.close()
    return sink, r


def test_in_order_and_one_byte_at_a_time():
    text = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    whole, _ = feed([(0, text)])
    bytewise, _ = feed([(i, text[i:i + 1]) for i in range(len(text))])
    assert whole.stream(0) == bytewise.stream(0) == text
    assert [e[0] for e in whole.events] == ["data"]


def test_out_of_order_is_held_until_the_hole_fills():
    sink, r = feed([(5, b"world"), (0, b"hello")])
    assert sink.stream(0) == b"helloworld"
    assert sink.events[0][3] == 2            # delivered with the frame that filled the hole
    assert r.gaps == 0


def test_overlap_first_copy_wins():
    # delivered bytes are never replaced
    sink, _ = feed([(0, b"AAAA"), (2, b"XXXXBB")])
    assert sink.stream(0) == b"AAAAXXBB"          # bytes 2-3 stay "AA"
    # held bytes are never replaced either
    sink, _ = feed([(4, b"CCCC"), (2, b"YYYYYYYY"), (0, b"AA")])
    assert sink.stream(0) == b"AAYYCCCCYY"


def test_retransmission_is_dropped():
    sink, _ = feed([(0, b"abc"), (0, b"abc"), (3, b"def"), (0, b"abcdef")])
    assert sink.stream(0) == b"abcdef"


def test_wraparound():
    isn = M32 - 3
    sink, _r = feed([(0, b"0123"), (4, b"4567"), (8, b"89")], isn=isn)
    assert sink.stream(0) == b"0123456789"
    sink, _ = feed([(4, b"4567"), (0, b"0123")], isn=isn)
    assert sink.stream(0) == b"01234567"


def test_gap_reported_at_close():
    sink, r = feed([(0, b"abc"), (10, b"xyz")])
    assert sink.events[:3] == [("data", 0, b"abc", 1, 0), ("gap", 0, 7), ("data", 0, b"xyz", None, 1)]
    assert r.gap_bytes == 7


def test_gap_when_the_receiver_acks_unseen_bytes():
    sink = CollectingSink()
    r = StreamReassembler(0, sink)
    r.syn(0)
    r.segment(1, b"abc", 3, False, 1, 0)
    r.segment(14, b"late", 4, False, 2, 0)    # bytes 4..13 missing
    r.acked(14, 3, 0)                          # the receiver has them: the capture missed them
    assert sink.events[1] == ("gap", 0, 10)
    assert sink.stream(0) == b"abclate"


def test_snaplen_cut_payload_is_a_gap():
    sink, _ = feed([(0, b"ab", 5), (5, b"fg")])
    assert sink.events[1] == ("gap", 0, 3)
    assert sink.stream(0) == b"abfg"


def test_bound_forces_progress():
    sink, r = feed([(0, b"a"), (100, b"x" * 60), (200, b"y" * 60)], max_held=100)
    assert r.held_bytes <= 100
    assert sink.stream(0) == b"a" + b"x" * 60 + b"y" * 60


def test_timeout_on_packet_time():
    sink = CollectingSink()
    r = StreamReassembler(0, sink, timeout_ns=1000)
    r.syn(0)
    r.segment(10, b"later", 5, False, 1, 0)
    assert sink.events == []
    r.segment(30, b"much later", 10, False, 2, 5000)
    assert ("gap", 0, 9) in sink.events


def test_fin_after_all_bytes():
    sink = CollectingSink()
    r = StreamReassembler(1, sink)
    r.syn(0)
    r.segment(4, b"def", 3, True, 1, 0)       # FIN arrives before the hole fills
    assert ("fin", 1) not in sink.events
    r.segment(1, b"abc", 3, False, 2, 0)
    assert sink.events[-1] == ("fin", 1) and sink.stream(1) == b"abcdef"


def test_random_segmentation_and_order_reassembles():
    rng = random.Random(7)
    data = bytes(rng.randrange(256) for _ in range(3000))
    for isn in (0, M32 - 700, 123456):
        cuts = sorted(rng.sample(range(1, len(data)), 40))
        segs = [(a, data[a:b]) for a, b in zip([0] + cuts, cuts + [len(data)])]
        segs += rng.sample(segs, 10)            # retransmissions
        rng.shuffle(segs)
        sink, r = feed(segs, isn=isn)
        assert sink.stream(0) == data and r.gaps == 0


def test_many_small_out_of_order_segments_are_bounded_and_in_order():
    """One-byte segments after a hole: held up to MAX_HELD_SEGMENTS pieces, then the hole is given up and
    everything is delivered in order (this input once cost a rescan and re-sort of every held piece)."""
    from analyzer.tcp.reassembly import MAX_HELD_SEGMENTS, StreamReassembler

    sink = CollectingSink()
    r = StreamReassembler(0, sink)
    r.syn(0)
    n = MAX_HELD_SEGMENTS + 500
    for i in range(n):
        r.segment(1 + 10 + i, bytes([i & 0xFF]), 1, False, None, i)      # bytes 1..10 never come
        assert len(r.held) <= MAX_HELD_SEGMENTS
    r.close()
    assert sink.stream(0) == bytes(i & 0xFF for i in range(n))
    assert [e[2] for e in sink.events if e[0] == "gap"] == [10]


def test_the_budget_across_connections_gives_up_and_notes_the_frame():
    from analyzer.tcp.reassembly import GIVEN_UP_NOTE, ReassemblyBudget, StreamReassembler

    class Frame:
        def __init__(self):
            self.notes = []

        def note(self, layer, severity, text):
            self.notes.append((layer, severity, text))

    budget = ReassemblyBudget(limit=10_000)
    sinks, frames = [], []
    for c in range(20):                         # 20 connections, each a hole then 1000 held bytes
        sink = CollectingSink()
        r = StreamReassembler(0, sink, budget=budget)
        r.syn(0)
        frame = Frame()
        r.segment(101, b"y" * 1000, 1000, False, frame, c)
        assert budget.held <= budget.limit
        sinks.append((sink, r))
        frames.append(frame)
    noted = [f for f in frames if f.notes]
    assert budget.given_up == len(noted) == 10 and budget.peak <= budget.limit + 1000
    assert all(f.notes == [("tcp", "warning", GIVEN_UP_NOTE)] for f in noted)
    for sink, r in sinks:                       # given up or not, every byte is delivered after its gap
        r.close()
        assert sink.stream(0) == b"y" * 1000 and [e[2] for e in sink.events if e[0] == "gap"] == [100]
    assert budget.held == 0
