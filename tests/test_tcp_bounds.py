"""Bounded TCP state (issue 14): half-open connections (SYNs never answered, Zeek's S0) are finished after
``half_open_timeout_ns`` of idle packet time, so a SYN flood leaves memory at the pace it came in; a
retransmitted SYN within the timeout stays in its stream (tshark numbers it so), an answered attempt is
not half-open, and every finished attempt still has its summary row."""

from __future__ import annotations

import gc
import random
import tracemalloc

import pytest

from analyzer.tcp.analysis import ACK, FIN, PSH, RST, SYN
from analyzer.tcp.connection import TcpTracker
from analyzer.tcp.reassembly import CollectingSink

S = 1_000_000_000


def syn(tracker: TcpTracker, ts: int, num: int, sport: int, seq: int = 1000, flags: int = SYN):
    return tracker.segment(ts, num, "10.0.0.1", sport, "10.0.0.2", 80, seq, 0, flags, 64240, 0, b"", b"", 74)


def test_unanswered_attempts_are_finished_after_the_half_open_timeout():
    tracker = TcpTracker(half_open_timeout_ns=30 * S)
    for i in range(100):
        syn(tracker, i * S // 100, i + 1, 40000 + i)
    assert tracker.open_count() == 100
    syn(tracker, 20 * S, 101, 50000)                    # 20 s later: none idle long enough yet
    assert tracker.open_count() == 101
    syn(tracker, 45 * S, 102, 50001)                    # 45 s: the first 100 were idle for more than 30 s
    assert tracker.open_count() == 2
    rows = tracker.finish()
    assert [r["conn_state"] for r in rows] == ["S0"] * 102
    assert [r["stream"] for r in rows] == list(range(102))


def test_a_retransmitted_syn_within_the_timeout_keeps_its_stream():
    tracker = TcpTracker()                              # the default: 150 s
    first, _ = syn(tracker, 0, 1, 40000)
    for k, t in enumerate((1, 3, 7, 15, 31, 63)):     # Linux's SYN retries (tcp_syn_retries 6)
        conn, _ = syn(tracker, t * S, k + 2, 40000)
        assert conn.stream == first.stream == 0
    rows = tracker.finish()
    assert len(rows) == 1 and rows[0]["orig_pkts"] == 7 and rows[0]["history"] == "S"


def test_an_answered_attempt_is_not_half_open():
    tracker = TcpTracker(half_open_timeout_ns=5 * S)
    syn(tracker, 0, 1, 40000)
    tracker.segment(S // 1000, 2, "10.0.0.2", 80, "10.0.0.1", 40000, 7000, 1001, SYN | ACK, 65160, 0, b"", b"", 74)
    syn(tracker, 60 * S, 3, 40001)                      # a sweep long past 5 s: the answered one stays
    assert tracker.open_count() == 2
    assert [r["history"] for r in tracker.finish()] == ["Sh", "S"]


def _random_segments(seed: int, n: int) -> list[tuple]:
    """Segments among a few 4-tuples with every kind of flag: lone SYNs (most never answered), SYN-ACKs,
    ACKs, data, FINs, RSTs, SYNs with a new ISN on a used 4-tuple; time jumps past the half-open timeout."""
    rng = random.Random(seed)
    segs, ts = [], 0
    kinds = [SYN, SYN, SYN, SYN | ACK, ACK, ACK | PSH, FIN | ACK, RST, RST | ACK, SYN | FIN]
    for num in range(1, n + 1):
        ts += rng.choice((1000, 50_000_000, 2 * S, 7 * S))
        port = 40000 + rng.randrange(12)
        flags = rng.choice(kinds)
        seglen = 100 if flags & PSH and rng.random() < 0.8 else 0
        seq = rng.choice((1000, 1001, 1101, 5000, 2 ** 32 - 10))
        ack = rng.choice((0, 7001, 1001, 1101))
        opts = rng.choice((b"", bytes.fromhex("020405b40402080a0000000100000000010303070101050a000003e8000003f0")))
        if rng.random() < 0.5:
            seg = ("10.0.0.1", port, "10.0.0.2", 80, seq, ack, flags, 64240)
        else:
            seg = ("10.0.0.2", 80, "10.0.0.1", port, seq + 6000, ack, flags, 65160)
        segs.append((ts, num, *seg, seglen, opts if flags & SYN else b"", b"x" * seglen, 74 + seglen))
    return segs


@pytest.mark.parametrize("analysis", [True, False])
def test_attempts_kept_compact_give_what_full_connections_give(analysis):
    """A lone SYN is kept as a compact Attempt (issue 14: memory per unanswered connection) and replayed into
    its connection when more of it arrives or it is finished: every frame's fields (stream, relative
    numbers, tcp.analysis.*) and every summary row are those of a tracker that makes a full connection at
    once (one whose sink factory must see each connection as it starts), over random segments."""
    for seed in range(3):
        segs = _random_segments(seed, 1000)
        compact = TcpTracker(half_open_timeout_ns=5 * S, closed_linger_ns=20 * S)
        full = TcpTracker(half_open_timeout_ns=5 * S, closed_linger_ns=20 * S, sink_factory=lambda conn: None)
        assert compact.compact_attempts and not full.compact_attempts
        attempts = 0
        for seg in segs:
            outs = []
            for tracker in (compact, full):
                out = {} if analysis else None
                conn, d = tracker.segment(*seg, out=out)
                outs.append((out, conn.stream, d))
            attempts += len(compact.attempts)
            assert outs[0] == outs[1], seg
            assert compact.open_count() == full.open_count()
        assert attempts                                  # the compact form was used
        assert compact.finish() == full.finish()


def test_an_unanswered_syn_takes_less_than_1_kb():
    """The state a SYN-only connection leaves (its Attempt, table entry, key), measured with tracemalloc;
    benchmarks/bench_conn_memory.py measures it through the pipeline's paths."""
    tracker = TcpTracker()
    n = 3000
    args = [(i * 1000, i + 1, "10.0.0.1", 1024 + i, f"10.1.{i >> 8}.{i & 255}", 80, 7 * i + 100_000, 0, SYN, 64240,
             0, bytes.fromhex("020405b40402080a0000000100000000010303070101050a"), b"", 74) for i in range(n)]
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for a in args:
            tracker.segment(*a)
        gc.collect()
        per = (tracemalloc.get_traced_memory()[0] - base) / n
    finally:
        tracemalloc.stop()
    assert tracker.open_count() == n
    assert per < 1024, per
    assert [r["conn_state"] for r in tracker.finish()] == ["S0"] * n


def _collecting(into: dict[int, CollectingSink]):
    def make(conn):
        sink = into[conn.stream] = CollectingSink()
        return sink
    return make


def test_sinks_made_at_the_first_byte_get_what_sinks_made_at_the_syn_get():
    """Sinks that only want bytes (HTTP, TLS, DNS: ``payload_sink_factory``) are made at a connection's first
    byte, FIN, RST or ACK of bytes the capture missed, not at its SYN: over random segments each gets every
    event a sink made at the SYN gets (data with its frame, gaps, FIN, RST, close), and a connection that
    never made one would have given its sink nothing but the close."""
    for seed in range(3):
        segs = _random_segments(seed + 10, 1000)
        made: dict[str, dict[int, CollectingSink]] = {"late": {}, "first": {}}
        late = TcpTracker(half_open_timeout_ns=5 * S, payload_sink_factory=_collecting(made["late"]))
        first = TcpTracker(half_open_timeout_ns=5 * S, sink_factory=_collecting(made["first"]), keep_summaries=False)
        for seg in segs:
            late.segment(*seg, handle=seg[1])
            first.segment(*seg, handle=seg[1])
        late.close_all()
        first.close_all()
        assert made["late"] and len(made["late"]) < len(made["first"])
        for stream, sink in made["first"].items():
            if stream in made["late"]:
                assert made["late"][stream].events == sink.events, stream
            else:
                assert sink.events == [("close",)], stream
