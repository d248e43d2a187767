"""What ``dns_stream``'s queue (:class:`analyzer.api.stream.DnsRelease`) holds per transaction waiting to go out
(issue 12: a flood of unanswered queries keeps each one 300 s of packet time).

* The queue holds the tracker's transactions themselves: no wrapper object and, for a UDP transaction, no
  uid string (made from its conversation when its record is); a TCP transaction's uid is kept beside it (its
  connection is forgotten once finished). What api/stream.py allocates and still holds when the last
  unanswered query was read stays under 24 bytes a query (was ~130: an entry object and a 18-character uid).
* The records are those of the whole pass, uids included, for UDP and TCP (tests/test_dns_stream.py checks
  every capture and corpus file; here the flood, and a capture with DNS over TCP).
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from pathlib import Path

import analyzer
from analyzer.api.build import Analysis
from analyzer.api.stream import DnsRelease
from analyzer.capture.frame import Frame

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fuzz.adversarial import dns_tiny_queries, pcap_bytes


def _frames(n: int) -> list[Frame]:
    return [Frame(i + 1, ts, len(data), None, 1, data) for i, (ts, data) in enumerate(dns_tiny_queries(n))]


def _held(n: int) -> tuple[int, DnsRelease, list]:
    """(bytes api/stream.py allocated and still holds when the last query was read, the release, the records)."""
    analysis = Analysis(http=False)
    seen: dict = {}
    real_init = DnsRelease.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        seen["release"] = self

    frames = _frames(n)

    def feed():
        for i, frame in enumerate(frames):
            if i == n - 1:
                gc.collect()
                seen["snap"] = tracemalloc.take_snapshot()
            yield frame

    DnsRelease.__init__ = init
    tracemalloc.start()
    try:
        records = list(analysis.dns_stream(feed(), every=100))
    finally:
        tracemalloc.stop()
        DnsRelease.__init__ = real_init
    snap = seen["snap"].filter_traces([tracemalloc.Filter(True, "*analyzer/api/stream.py")])
    return sum(s.size for s in snap.statistics("filename")), seen["release"], records


def test_waiting_queries_hold_no_entry_nor_uid():
    n = 3000
    held, release, records = _held(n)
    assert len(records) == n and all(r.response_frame is None for r in records)
    assert held / n < 24, held / n
    assert not release._tcp_uids and not release._records        # all went out, nothing left beside them


def test_flood_records_equal_the_whole_pass(tmp_path):
    path = tmp_path / "flood.pcap"
    path.write_bytes(pcap_bytes(dns_tiny_queries(500)))
    cap = analyzer.open(path)
    want = cap.analyze().dns
    with cap.open() as reader:
        got = list(Analysis(http=False).dns_stream(reader, every=7))
    assert got == want
    assert all(r.uid for r in got)


def test_tcp_uids_taken_while_the_connection_is_at_hand():
    # DNS over TCP and UDP in one capture: a TCP transaction's uid is its connection's, as in the whole pass
    path = REPO / "captures" / "lab_dns_mix.pcapng"
    cap = analyzer.open(path)
    want = cap.analyze().dns
    assert any(r.proto == "tcp" for r in want) and any(r.proto == "udp" for r in want)
    for every in (1, 3, 1000):
        with cap.open() as reader:
            got = list(Analysis(http=False).dns_stream(reader, every=every))
        assert got == want
