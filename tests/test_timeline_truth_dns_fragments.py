"""F48: a DNS query whose answer came as IP fragments that never reassembled. ipv6_fragments_dns_txt_one_lost
(MANIFEST: netalyzr's TXT padding test) holds, after the query of frame 3, one IPv6 fragment from the resolver
(frame 4, the last of its datagram); its first fragments never passed the capture point. The timeline said only
"the resolver is unreachable or too slow, or the answers were lost" and cited no frame of it.

Expected values from tshark: the fragments (``ipv6.fraghdr``/``ip.flags.mf``, ``ip.frag_offset``) that no
reassembled datagram lists (``ipv6.fragment``/``ip.fragment``), their sender and time; the query's frame and time.
The IPv4 captures are crafted with scapy (a DNS answer cut into two fragments; one written, or both).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scapy.all import DNS, DNSQR, DNSRR, IP, UDP, Ether, fragment, wrpcap
from tshark_query import fields

from analyzer.capture import open_capture
from analyzer.report.timeline_text import render
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CORPUS

ONE_LOST = CORPUS / "ipv6_fragments_dns_txt_one_lost.pcap"
CLIENT, RESOLVER = "10.0.0.2", "10.0.0.1"


def _timeline(path: Path, lang: str = "en"):
    with open_capture(path) as reader:
        return timeline(reader, lang)


def _unreassembled(path: Path, v6: bool) -> list[tuple[int, str, float]]:
    """(frame, sender, time) of the fragments no reassembled datagram lists, by tshark."""
    p = "ipv6" if v6 else "ip"
    frag = "ipv6.fraghdr" if v6 else "ip.flags.mf == 1 || ip.frag_offset > 0"
    listed = {int(n) for (got,) in fields(path, f"{p}.fragment", f"{p}.fragment") for n in got.split(",")}
    return [(int(f), s, float(t)) for f, s, t in fields(path, frag, "frame.number", f"{p}.src", "frame.time_epoch")
            if int(f) not in listed]


def _query(path: Path, qid: str) -> tuple[int, float]:
    ((f, t),) = fields(path, f"dns.flags.response == 0 && dns.id == {qid}", "frame.number", "frame.time_epoch")[:1]
    return int(f), float(t)


def test_the_fragment_of_an_answer_is_told_and_cited():
    if not ONE_LOST.exists():
        pytest.skip(f"{ONE_LOST.name} is not in ../shared/corpus (the shared captures are not beside this tree)")
    ((qid, resolver),) = {(i, d) for i, d in fields(ONE_LOST, "dns.flags.response == 0", "dns.id", "ipv6.dst")
                          if not fields(ONE_LOST, f"dns.flags.response == 1 && dns.id == {i} && "
                                                  f"frame.number < 5", "frame.number")}
    query, t_query = _query(ONE_LOST, qid)
    frags = [(f, t) for f, s, t in _unreassembled(ONE_LOST, True) if s == resolver and t > t_query]
    assert len(frags) == 1
    tl = _timeline(ONE_LOST)
    (fetch,) = [f for f in tl.fetches if any(query in s.frames for s in f.steps)]
    steps = {s.kind: s for s in fetch.steps}
    step = steps["dns.answer.fragments"]
    assert step.frames == tuple(f for f, _t in frags) and step.problem
    assert step.facts["rtt_ms"] == pytest.approx((frags[0][1] - t_query) * 1e3, abs=1e-3)
    assert f"1 IP fragment from the resolver {resolver}" in step.text
    assert "dns.no_answer" not in steps                     # not "unreachable or too slow"
    assert "only 1 IP fragment of a datagram passed the capture point" in steps["dns.no_answer.fragmented"].text
    assert any(row.frame == frags[0][0] and row.sender == "peer" for row in fetch.ladder)
    text = render(tl, width=100)
    assert "unreachable or too slow" not in text
    zh = _timeline(ONE_LOST, "zh")
    (zf,) = [f for f in zh.fetches if any(query in s.frames for s in f.steps)]
    assert "1 个 IP 分片到达了" in next(s.text for s in zf.steps if s.kind == "dns.answer.fragments")


def _craft(path: Path, keep_first: bool) -> None:
    up = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
    down = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    query = up / IP(src=CLIENT, dst=RESOLVER) / UDP(sport=41000, dport=53) / DNS(id=7, rd=1, qd=DNSQR(
        qname="big.example.com", qtype="TXT"))
    answer = IP(src=RESOLVER, dst=CLIENT, id=99) / UDP(sport=53, dport=41000) / DNS(
        id=7, qr=1, rd=1, ra=1, qd=DNSQR(qname="big.example.com", qtype="TXT"),
        an=DNSRR(rrname="big.example.com", type="TXT", rdata=["x" * 200] * 8, ttl=60))
    parts = [down / p for p in fragment(answer, fragsize=1000)]
    assert len(parts) == 2
    later = up / IP(src=CLIENT, dst="10.0.0.9") / UDP(sport=41001, dport=9) / b"later"   # 6 s on: the lookup
    pk = [query] + (parts if keep_first else parts[1:]) + [later]                         # waits out its 5 s
    for i, p in enumerate(pk):
        p.time = 1_700_000_000 + i * 0.02
    later.time = 1_700_000_006
    wrpcap(str(path), pk)


def test_a_crafted_ipv4_answer_with_its_first_fragment_lost(tmp_path):
    path = tmp_path / "dns_frag_lost.pcap"
    _craft(path, keep_first=False)
    query, t_query = _query(path, "7")
    frags = [(f, t) for f, s, t in _unreassembled(path, False) if s == RESOLVER]
    assert len(frags) == 1 and not fields(path, "dns.flags.response == 1", "frame.number")
    (fetch,) = [f for f in _timeline(path).fetches if any(query in s.frames for s in f.steps)]
    (step,) = [s for s in fetch.steps if s.kind == "dns.answer.fragments"]
    assert step.frames == (frags[0][0],)
    assert step.facts["rtt_ms"] == pytest.approx((frags[0][1] - t_query) * 1e3, abs=1e-3)


def test_a_crafted_ipv4_answer_reassembled_has_no_fragment_step(tmp_path):
    path = tmp_path / "dns_frag_whole.pcap"
    _craft(path, keep_first=True)
    ((answer,),) = fields(path, "dns.flags.response == 1", "frame.number")
    assert not _unreassembled(path, False)
    (fetch,) = _timeline(path).fetches[:1]
    kinds = {s.kind for s in fetch.steps}
    assert "dns.answer.fragments" not in kinds and "dns.no_answer.fragmented" not in kinds
    assert any(int(answer) in s.frames for s in fetch.steps if s.kind.startswith("dns.answer"))
