"""Applying display filters in the commands (analyzer.filter.apply): packets, frames, transactions."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.capture import open_capture, open_writer
from analyzer.filter import compile_filter
from analyzer.filter.apply import FrameMatcher, analyzed, matching_frames, matching_packets, select
from analyzer.pipeline import Pipeline

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CLASSIC = CORPUS / "http_fetch_dns_handshake_teardown_classic.pcap"
FRAGMENTS = CORPUS / "ipv4_fragments_http_request.pcap"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")


def numbers(frames) -> list[int]:
    return [f.number for f in frames]


def test_analyzed_packets_carry_http_and_analysis_fields():
    with open_capture(CLASSIC) as reader:
        pkts = list(analyzed(reader))
    assert len(pkts) == 43
    assert [p.frame.number for p in pkts if "http.request.method" in p.fields] == [4, 18]
    assert [p.frame.number for p in pkts if "tcp.analysis.retransmission" in p.fields] == [36]
    assert pkts[16]["dns.response_to"] == 13


def test_matching_packets_keep_the_whole_captures_values():
    keep = compile_filter("tcp.stream == 1 && http")       # tshark -Y: frames 18 and 27
    with open_capture(CLASSIC) as reader:
        pkts = list(matching_packets(reader, keep))
    assert [p.frame.number for p in pkts] == [18, 27]
    assert {p["tcp.stream"] for p in pkts} == {1}       # not renumbered within the selection


def test_fragments_go_with_the_datagram_they_make(tmp_path):
    keep = compile_filter('http.request.method == "GET"')
    with open_capture(FRAGMENTS) as reader:
        assert numbers(matching_frames(reader, keep)) == list(range(1, 12))
    with open_capture(FRAGMENTS) as reader:
        chosen = list(select(reader, keep))
    assert len(chosen) == 1 and chosen[0][0].frame.number == 11 and numbers(chosen[0][1]) == list(range(1, 12))
    out = tmp_path / "get.pcap"
    with open_capture(FRAGMENTS) as reader, open_writer(str(out)) as writer:
        assert [p.frame.number for p in matching_packets(reader, keep, writer)] == [11]
    with open_capture(out) as again:
        assert [p.get("http.request.method") for p in analyzed(again)][-1] == "GET"
    # the fragments alone (no transport header) are what a fragment filter selects
    with open_capture(FRAGMENTS) as reader:
        assert numbers(matching_frames(reader, compile_filter("ip.flags.mf == 1"))) == list(range(1, 11))


def test_conversations_of_the_matching_frames():
    keep = compile_filter("ip.addr == 65.208.228.223")
    pipe = Pipeline(analysis=False, dns_over_tcp=False)
    with open_capture(CLASSIC) as reader:
        pipe.count(matching_frames(reader, keep))
    assert len(pipe.tcp_rows(details=False)) == 1
    assert pipe.udp_conversations == []
    assert pipe.frames == 34


def test_frame_matcher_for_transactions():
    from analyzer.apps.transactions import Transactions

    tx = Transactions(fields=True)
    matched = FrameMatcher(compile_filter('http.host contains "google"'))
    pipe = Pipeline(sinks=tx.factories)
    with open_capture(CLASSIC) as reader:
        for pkt in pipe.run(reader):
            tx.packet(pkt)
            matched(pkt)
    tx.finish()
    records = tx.http.sorted_records()
    assert len(records) == 2
    kept = [r for r in records if matched.any(r.request_frame, r.response_frame)]
    assert [r.request_frame for r in kept] == [18]
    everything = FrameMatcher(None)
    assert everything.any(None) and everything.any(1, 2)
