"""F51: DNS over TCP from the start is no "retry". dns_tcp_query_handshake_teardown and
dns_tcp_20_queries_one_segment_halfclose (MANIFEST) hold DNS over TCP and no DNS over UDP at all; the timeline said
"TCP connection 0 to ... port 53 for the DNS retry" and "the client asks ... again, on the TCP connection it just
opened". A lookup over TCP is a retry only after a truncated (TC) answer over UDP to the same question
(dns_udp_tc_bit_then_tcp_retry, still told so).

Expected values from tshark: the UDP DNS frames (none), the truncated answers (dns.flags.truncated), the SYN,
SYN-ACK and ACK of the connection to port 53, the queries over TCP.
"""

from __future__ import annotations

import pytest
from tshark_query import fields

from analyzer.capture import open_capture
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CORPUS

FIRST = [CORPUS / "dns_tcp_query_handshake_teardown.pcap", CORPUS / "dns_tcp_20_queries_one_segment_halfclose.pcap"]
RETRY = CORPUS / "dns_udp_tc_bit_then_tcp_retry.pcapng"


def _steps(path, lang="en"):
    with open_capture(path) as reader:
        return [s for f in timeline(reader, lang).fetches for s in f.steps]


def _handshake(path) -> tuple[int, ...]:
    ((syn,),) = fields(path, "tcp.port == 53 && tcp.flags.syn == 1 && tcp.flags.ack == 0", "frame.number")
    ((synack,),) = fields(path, "tcp.port == 53 && tcp.flags.syn == 1 && tcp.flags.ack == 1", "frame.number")
    ack = fields(path, f"tcp.port == 53 && tcp.flags.ack == 1 && tcp.len == 0 && frame.number > {synack}",
                 "frame.number")[0][0]
    return int(syn), int(synack), int(ack)


@pytest.mark.parametrize("path", FIRST, ids=lambda p: p.name)
def test_dns_over_tcp_from_the_start_is_no_retry(path):
    if not path.exists():
        pytest.skip(f"{path.name} is not in ../shared/corpus (the shared captures are not beside this tree)")
    assert not fields(path, "dns && udp", "frame.number")
    queries = {int(i, 16) for (i,) in fields(path, "dns.flags.response == 0 && tcp", "dns.id")
               for i in i.split(",")}
    steps = _steps(path)
    (connect,) = [s for s in steps if s.kind.startswith("dns.tcp.connect")]
    assert connect.kind == "dns.tcp.connect.first" and connect.frames == _handshake(path)
    assert "retry" not in connect.text
    asked = [s for s in steps if s.kind.startswith("dns.query")]
    assert {int(s.facts["id_hex"], 16) for s in asked} == queries
    assert all(s.kind == "dns.query.tcp.first" and " again" not in s.text for s in asked)
    zh = [s for s in _steps(path, "zh") if s.kind == "dns.query.tcp.first"]
    assert len(zh) == len(asked) and all("再次" not in s.text for s in zh)


def test_dns_over_tcp_after_a_truncated_answer_is_a_retry():
    if not RETRY.exists():
        pytest.skip(f"{RETRY.name} is not in ../shared/corpus (the shared captures are not beside this tree)")
    ((tc,),) = fields(RETRY, "udp && dns.flags.truncated == 1", "frame.number")
    steps = _steps(RETRY)
    (connect,) = [s for s in steps if s.kind.startswith("dns.tcp.connect")]
    assert connect.kind == "dns.tcp.connect" and connect.frames == _handshake(RETRY) and connect.frames[0] > int(tc)
    (query,) = [s for s in steps if s.kind.startswith("dns.query.tcp")]
    assert query.kind == "dns.query.tcp" and " again" in query.text
