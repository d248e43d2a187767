"""Port reuse is remembered by capture time (:class:`analyzer.tcp.connection.FinishedKeys`): a SYN with a new
sequence number on the 4-tuple of a connection finished less than ``reuse_memory_ns`` ago is flagged
``tcp.analysis.reused_ports`` exactly as tshark flags it; one finished longer ago than that (and the quarter
of it a generation may linger) is forgotten, so the memory of finished 4-tuples follows the connections of the
last minutes, not the file. tshark never forgets: the late reuse is the documented departure."""

from __future__ import annotations

import pytest
from fixtures.tcp.craft import C, S, Talk
from scapy.all import wrpcap
from tcp_oracle import TSHARK, tshark_rows

from analyzer.capture import open_capture
from analyzer.pipeline import analyze
from analyzer.tcp.analysis import ACK, RST, SYN
from analyzer.tcp.connection import REUSE_MEMORY_NS, FinishedKeys, TcpTracker

SEC = 1_000_000_000
T0 = 1_700_000_000.0


def _closed(pk: list, port: int, cisn: int, t0: float) -> Talk:
    t = Talk(cli=("10.0.0.1", port), cisn=cisn, sisn=cisn + 4000, t0=t0, packets=pk)
    t.handshake()
    t.send(C, "PA", b"GET / HTTP/1.0\r\n\r\n")
    t.send(S, "PA", b"HTTP/1.0 200 OK\r\n\r\n")
    t.send(C, "FA")
    t.send(S, "FA")
    t.send(C, "A")
    return t


@pytest.fixture(scope="module")
def reuse_capture(tmp_path_factory):
    """Two connections closed at T0 (ports 40000, 40001); a long-lived one (port 41000) whose ACKs every 30 s
    move packet time on; then a SYN with a new ISN on 40000's 4-tuple at T0 + 300 s (its connection was
    finished ~130 s after T0: remembered), and one on 40001's at T0 + 1110 s (finished ~130 s after T0,
    ~980 s before: more than 600 s + 150 s, forgotten)."""
    pk: list = []
    _closed(pk, 40000, 1000, T0)
    _closed(pk, 40001, 2000, T0 + 0.5)
    keep = Talk(cli=("10.0.0.1", 41000), cisn=9000, sisn=19000, t0=T0 + 1, packets=pk)
    keep.handshake()
    late = {300: (40000, 123456), 1110: (40001, 654321)}
    numbers = {}
    for at in range(30, 1200, 30):
        keep.t = T0 + at
        keep.send(C, "PA", b"x", dt=0)
        keep.send(S, "A", dt=0.001)
        if at in late:
            port, isn = late[at]
            t = Talk(cli=("10.0.0.1", port), cisn=isn, sisn=isn + 1, t0=T0 + at + 0.01, packets=pk)
            t.send(C, "S", options=[("MSS", 1460)])
            numbers[at] = len(pk)
            t.send(S, "RA", ack=isn + 1)
    path = tmp_path_factory.mktemp("reuse") / "reuse_memory.pcap"
    wrpcap(str(path), pk)
    return path, numbers


def _ours(path):
    with open_capture(path) as reader:
        return {p.frame.number: p.layer("tcp").fields for p in analyze(reader) if p.layer("tcp") is not None}


def test_reuse_within_the_memory_is_flagged_and_a_late_one_is_not(reuse_capture):
    path, numbers = reuse_capture
    ours = _ours(path)
    flagged = sorted(n for n, f in ours.items() if f.get("tcp.analysis.reused_ports"))
    assert flagged == [numbers[300]]
    # stream numbers do not depend on the memory: each SYN with a new ISN starts a new stream either way
    assert ours[numbers[300]]["tcp.stream"] == 3 and ours[numbers[1110]]["tcp.stream"] == 4


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed")
def test_reuse_flags_as_tshark_within_the_memory(reuse_capture):
    path, numbers = reuse_capture
    theirs = tshark_rows(path, ["tcp.stream", "tcp.analysis.reused_ports"])
    ours = _ours(path)
    assert {n: r["tcp.stream"] for n, r in theirs.items()} == {n: str(f["tcp.stream"]) for n, f in ours.items()}
    tshark_flagged = sorted(n for n, r in theirs.items() if "tcp.analysis.reused_ports" in r)
    # tshark flags both; we flag the one within REUSE_MEMORY_NS of its connection's end (the departure: the
    # other came ~980 s after its connection was finished)
    assert tshark_flagged == [numbers[300], numbers[1110]]
    assert [n for n in tshark_flagged if ours[n].get("tcp.analysis.reused_ports")] == [numbers[300]]


def _rst_connection(tracker: TcpTracker, ts: int, num: int, sport: int) -> None:
    tracker.segment(ts, num, "10.0.0.1", sport, "10.0.0.2", 80, 1000, 0, SYN, 64240, 0, b"", b"", 74)
    tracker.segment(ts + 1000, num + 1, "10.0.0.2", 80, "10.0.0.1", sport, 0, 1001, RST | ACK, 0, 0, b"", b"", 60)


def test_finished_keys_follow_capture_time_not_the_file():
    """3000 s of refused connections, one every 2 s, each on its own 4-tuple: the remembered 4-tuples are
    those finished in the last 600-750 s, not all 1500."""
    tracker = TcpTracker()
    sizes = []
    for i in range(1500):
        _rst_connection(tracker, i * 2 * SEC, 2 * i + 1, 10000 + i)
        if i % 100 == 99:
            sizes.append(len(tracker.finished_keys))
    per_second = 2 / 2          # both directions of one connection every 2 s
    top = (REUSE_MEMORY_NS * 1.25 + tracker.closed_linger_ns) / SEC * per_second + 20
    assert max(sizes) <= top
    assert sizes[-1] >= REUSE_MEMORY_NS / SEC * per_second * 0.8       # ... and no fewer than the bound says
    assert len(tracker.finish()) == 1500


def test_an_entry_is_kept_for_the_memory_then_forgotten():
    keys = FinishedKeys(400 * SEC)
    keys.add(("a", 1, "b", 2), 77, 0)
    keys.add(("c", 1, "d", 2), 88, 150 * SEC)
    assert keys.get(("a", 1, "b", 2)) == 77
    keys.forget(399 * SEC)
    assert keys.get(("a", 1, "b", 2)) == 77          # kept at least memory_ns
    keys.forget(500 * SEC)                            # 500 s >= 400 + the generation's 100 s
    assert keys.get(("a", 1, "b", 2)) is None and keys.get(("c", 1, "d", 2)) == 88
    keys.add(("c", 1, "d", 2), 99, 520 * SEC)         # the latest finished connection on a 4-tuple wins
    assert keys.get(("c", 1, "d", 2)) == 99 and len(keys) == 2
    keys.forget(2000 * SEC)
    assert len(keys) == 0
