"""DNS over TCP through reassembly: messages split anywhere, several per segment, gaps."""

from __future__ import annotations

import struct

import pytest
from tcp_helpers import run
from tcp_oracle import CORPUS, TSHARK, tshark_rows

from analyzer.capture.frame import Frame
from analyzer.decode.packet import Packet
from analyzer.tcp.dns import DnsTcpSink

QUERY = bytes.fromhex("abcd01000001000000000000076578616d706c6503636f6d0000010001")


def framed(msg: bytes) -> bytes:
    return struct.pack("!H", len(msg)) + msg


def packet(n: int) -> Packet:
    return Packet(Frame(n, 0, 60, 0, 1, b""))


@pytest.mark.parametrize("step", [1, 2, 3, 7, 100])
def test_split_anywhere(step):
    data = framed(QUERY) * 3
    sink = DnsTcpSink()
    pkts = []
    for i in range(0, len(data), step):
        pkts.append(packet(i))
        sink.data(0, data[i:i + step], pkts[-1], 0)
    assert sink.messages == 3
    ids = [p.get("dns.id") for p in pkts if p.has("dns")]
    assert sum(1 if isinstance(x, str) else len(x) for x in ids) == 3


def test_gap_inside_a_message_skips_it_and_resyncs():
    sink = DnsTcpSink()
    msg = framed(QUERY)
    sink.data(0, msg[:10], packet(1), 0)
    sink.gap(0, 5)
    p = packet(2)
    sink.data(0, msg[15:] + msg, p, 0)
    assert sink.messages == 1 and p.get("dns.id") == "0xabcd"


def test_gap_across_a_boundary_gives_the_direction_up():
    sink = DnsTcpSink()
    sink.gap(1, 3)
    sink.data(1, framed(QUERY), packet(1), 0)
    assert sink.messages == 0 and sink.lost[1]


@pytest.mark.skipif(not CORPUS.is_dir() or TSHARK is None, reason="corpus or tshark missing")
@pytest.mark.parametrize("name", ["dns_tcp_20_queries_one_segment_halfclose.pcap",
                                  "dns_tcp_query_handshake_teardown.pcap",
                                  "dns_udp_tc_bit_then_tcp_retry.pcapng"])
def test_corpus_dns_over_tcp_like_tshark(name):
    fields = ["dns.id", "dns.length", "dns.qry.name"]
    theirs = {n: r for n, r in tshark_rows(CORPUS / name, fields, "a").items() if "dns.length" in r}
    _pipe, packets = run(CORPUS / name)
    ours = {}
    for p in packets:
        if p.has("dns") and p.has("tcp"):
            ours[p.frame.number] = {f: ",".join(map(str, v)) if isinstance(v, list) else str(v)
                                    for f in fields if (v := p.get(f)) is not None}
    assert ours == theirs
