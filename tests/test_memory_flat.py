"""Memory flat as the file grows (issue 12): the structures the per-frame commands keep stay bounded by what is
open, or kept compact, not one full object per connection or conversation of the file.

Expected values come from the traffic's own construction (ports, counts, times), never from our output."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pytest

from analyzer.api.build import Analysis
from analyzer.capture import open_capture
from analyzer.flows import udp as udp_mod
from analyzer.flows.udp import CompactConversation, UdpTable
from analyzer.pipeline import analyze

SEC = 1_000_000_000
T0 = 1_700_000_000 * SEC
CAPTURES = Path(__file__).resolve().parents[1] / "captures"


def lookups(table: UdpTable, seconds: int, watch=None) -> None:
    """A client asking 10.0.0.53 one question a second for ``seconds`` s, each from a new port 20000 + i (frame
    2i+1, answered in frame 2i+2, 2 ms later; 40-byte query, 60-byte answer); every 100 s port 20000 asks again
    (same endpoints: Wireshark's same conversation)."""
    num = 0
    for i in range(seconds):
        t = T0 + i * SEC
        port = 20000 if i and i % 100 == 0 else 20000 + i
        num += 1
        table.datagram(t, num, "10.0.0.7", port, "10.0.0.53", 53, 40, 82)
        num += 1
        table.datagram(t + 2_000_000, num, "10.0.0.53", 53, "10.0.0.7", port, 60, 102)
        if watch is not None:
            watch(table)


def test_idle_udp_conversations_are_kept_compact_and_come_back_whole(monkeypatch):
    live_most = []
    table = UdpTable()
    lookups(table, 1000, lambda t: live_most.append(len(t.flows)))
    # live: those of the last COMPACT_IDLE_NS + one sweep (~75 s at one a second), not the file's
    idle_s = (udp_mod.COMPACT_IDLE_NS + udp_mod.COMPACT_SWEEP_NS) // SEC
    assert max(live_most) <= idle_s + 2
    assert len(table.compact) >= 991 - (idle_s + 2)      # 991 conversations in all
    assert any(isinstance(c, CompactConversation) for c in table.conversations)
    rows = table.summaries()
    assert len(rows) == 991                                      # 9 lookups reused port 20000
    first = rows[0]
    # port 20000 asked at 0 s and again at 100, 200, ..., 900 s: one conversation, made live again each time
    assert (first["id.orig_p"], first["orig_pkts"], first["resp_pkts"]) == (20000, 10, 10)
    assert (first["orig_bytes"], first["resp_bytes"], first["orig_frame_bytes"]) == (400, 600, 820)
    assert first["first_ts_ns"] == T0 and first["last_ts_ns"] == T0 + 900 * SEC + 2_000_000
    assert (first["first_frame"], first["last_frame"]) == (1, 1802)
    assert [r["stream"] for r in rows] == list(range(991))
    assert rows[1]["id.orig_p"] == 20001 and rows[1]["conn_state"] == "SF"
    # lossless: the same rows as a table that never compacts anything
    monkeypatch.setattr(udp_mod, "COMPACT_IDLE_NS", 1 << 62)
    whole = UdpTable()
    lookups(whole, 1000)
    assert not whole.compact and len(whole.flows) == 991
    assert whole.summaries() == rows
    assert list(table.release_summaries()) == rows and not table.compact


def test_a_compact_conversation_is_a_fraction_of_a_live_one(monkeypatch):
    idle = udp_mod.COMPACT_IDLE_NS

    def held(idle_ns: int) -> int:
        monkeypatch.setattr(udp_mod, "COMPACT_IDLE_NS", idle_ns)
        tracemalloc.start()
        try:
            table = UdpTable()
            before = tracemalloc.get_traced_memory()[0]
            lookups(table, 3000)
            return tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()

    live = held(1 << 62)
    compact = held(idle)
    assert compact < 0.6 * live, (compact, live)


@pytest.mark.parametrize("kind", ["dns", "http"])
def test_streams_keep_no_finished_tcp_connection(kind):
    """``dns`` and ``http`` (streamed) make no connection rows: the tracker keeps none of the finished ones."""
    path = CAPTURES / "http10_short_connections_loopback.pcap"
    analysis = Analysis(http=kind == "http")
    with open_capture(path) as reader:
        out = list(analysis.http_stream(reader) if kind == "http" else analysis.dns_stream(reader))
    tracker = analysis.pipe.tcp
    assert tracker.next_stream > 1                  # several connections, all finished by the end
    assert tracker.finished == []
    if kind == "http":
        assert out


def test_finished_connections_are_freed_without_the_cyclic_collector():
    """A connection whose sinks all gave up (the HTTP sink on TLS, the TLS sink on HTTP, ...) is freed when the
    tracker finishes it: no reference cycle through the sinks the reassemblers still hold, which would wait
    for the collector's rare full pass (the garbage then grew with the file: issue 12)."""
    left = {}
    for path in sorted(CAPTURES.glob("*.pcap*")):
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            with open_capture(path) as reader:
                for _pkt in analyze(reader):
                    pass
            gc.collect()
            n = sum(1 for o in gc.garbage if type(o).__name__ == "Connection")
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
        if n:
            left[path.name] = n
    assert left == {}
