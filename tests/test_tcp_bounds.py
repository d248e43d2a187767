"""Bounded TCP state (issue 14): half-open connections (SYNs never answered, Zeek's S0) are finished after
``half_open_timeout_ns`` of idle packet time, so a SYN flood leaves memory at the pace it came in; a
retransmitted SYN within the timeout stays in its stream (tshark numbers it so), an answered attempt is
not half-open, and every finished attempt still has its summary row."""

from __future__ import annotations

from analyzer.tcp.analysis import ACK, SYN
from analyzer.tcp.connection import TcpTracker

S = 1_000_000_000


def syn(tracker: TcpTracker, ts: int, num: int, sport: int, seq: int = 1000, flags: int = SYN):
    return tracker.segment(ts, num, "10.0.0.1", sport, "10.0.0.2", 80, seq, 0, flags, 64240, 0, b"", b"", 74)


def test_unanswered_attempts_are_finished_after_the_half_open_timeout():
    tracker = TcpTracker(half_open_timeout_ns=30 * S)
    for i in range(100):
        syn(tracker, i * S // 100, i + 1, 40000 + i)
    assert len(tracker.flows) == 100
    syn(tracker, 20 * S, 101, 50000)                    # 20 s later: none idle long enough yet
    assert len(tracker.flows) == 101
    syn(tracker, 45 * S, 102, 50001)                    # 45 s: the first 100 were idle for more than 30 s
    assert len(tracker.flows) == 2
    rows = tracker.finish()
    assert [r["conn_state"] for r in rows] == ["S0"] * 102
    assert [r["stream"] for r in rows] == list(range(102))


def test_a_retransmitted_syn_within_the_timeout_keeps_its_stream():
    tracker = TcpTracker()                              # the default: 150 s
    first, _ = syn(tracker, 0, 1, 40000)
    for k, t in enumerate((1, 3, 7, 15, 31, 63)):     # Linux's SYN retries (tcp_syn_retries 6)
        conn, _ = syn(tracker, t * S, k + 2, 40000)
        assert conn is first
    rows = tracker.finish()
    assert len(rows) == 1 and rows[0]["orig_pkts"] == 7 and rows[0]["history"] == "S"


def test_an_answered_attempt_is_not_half_open():
    tracker = TcpTracker(half_open_timeout_ns=5 * S)
    syn(tracker, 0, 1, 40000)
    tracker.segment(S // 1000, 2, "10.0.0.2", 80, "10.0.0.1", 40000, 7000, 1001, SYN | ACK, 65160, 0, b"", b"", 74)
    syn(tracker, 60 * S, 3, 40001)                      # a sweep long past 5 s: the answered one stays
    assert len(tracker.flows) == 2
    assert [r["history"] for r in tracker.finish()] == ["Sh", "S"]
