"""A DNS answer the client refused: it came after the client had stopped waiting, and the client's stack sent
back an ICMP(v6) port unreachable quoting it. The timeline must not say "the client can now open a TCP
connection" after it: the answer step says it came too late and cites the client's ICMP error.

Expected values: on the corpus recording (Wireshark's v6.pcap sample, MANIFEST), the frames and times are
asked from tshark at test time; the IPv4 capture is crafted here with scapy on the timeline scenarios' story
(``tests/fixtures/timeline/craft.py``: frames numbered as written, times as given), the ICMP type and code
checked with tshark where it is installed (RFC 792: Destination Unreachable is type 3, code 3 "port
unreachable"; RFC 4443 3.1: ICMPv6 type 1, code 4).
"""

from __future__ import annotations

import pytest
from fixtures.timeline import craft
from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from analyzer.capture import open_capture
from analyzer.report.timeline_text import render
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CORPUS, TSHARK, load, rows

V6 = CORPUS / "dns_udp_over_ipv6_wireshark_v6.pcap"
RESOLVER2 = "192.168.1.54"      # a host with no DNS server (crafted)


def _answer_steps(tl, frame: int) -> list:
    return [(f, s) for f in tl.fetches for s in f.steps if s.layer == "dns" and frame in s.frames]


def test_late_answer_refused_with_icmpv6_port_unreachable_corpus():
    """v6.pcap: the client's ICMPv6 Destination Unreachable (tshark: icmpv6.type 1, sent by the host the
    quoted datagram went to) quotes the resolver's answer (quoted UDP source port 53, its DNS ID). The answer
    step cites both frames and says the answer came too late; the ladder draws the error from the client."""
    if not V6.exists():
        pytest.skip(f"{V6} is not there (the corpus lives in ../shared/corpus)")
    errors = rows(V6, "icmpv6.type == 1 && udp.srcport == 53", "ipv6.src", "ipv6.dst", "udp.dstport", "dns.id",
                  "icmpv6.code", "frame.time_relative")
    assert len(errors) == 1
    icmp_frame, srcs, dsts, dport, dns_id, code, t_icmp = errors[0]
    client, resolver = srcs.split(",")[0], dsts.split(",")[0]
    assert srcs.split(",")[1] == resolver and dsts.split(",")[1] == client     # the quote: resolver -> client
    assert code == "4"      # port unreachable
    (answer,) = rows(V6, f"dns.id == {dns_id} && dns.flags.response == 1 && !icmpv6", "frame.time_relative",
                     "udp.dstport")
    (query,) = rows(V6, f"dns.id == {dns_id} && dns.flags.response == 0", "frame.time_relative")
    assert answer[2] == dport
    tl = load(V6)
    ((fetch, step),) = [x for x in _answer_steps(tl, int(answer[0])) if x[1].frames[0] == int(answer[0])]
    assert step.kind == "dns.answer.refused" and step.problem
    assert step.frames == (int(answer[0]), int(icmp_frame))
    assert step.facts["rtt_ms"] == pytest.approx((float(answer[1]) - float(query[1])) * 1000, abs=0.002)
    assert step.facts["late_ms"] == pytest.approx((float(t_icmp) - float(answer[1])) * 1000, abs=0.002)
    assert step.facts["client_port"] == int(dport)
    assert "can now open" not in step.text and f"frame {icmp_frame}" in step.text and "too late" in step.text
    (row,) = [r for r in fetch.ladder if r.frame == int(icmp_frame)]
    assert (row.sender, row.peer, row.layer, row.problem) == ("client", f"DNS {resolver}", "icmp", True)
    assert fetch.client == client
    zh = load(V6, "zh")
    ((_f, zstep),) = [x for x in _answer_steps(zh, int(answer[0])) if x[1].frames[0] == int(answer[0])]
    assert f"第 {icmp_frame} 帧" in zstep.text and "太晚" in zstep.text and "可以向它建立" not in zstep.text


def late_answer4(path, quote: str) -> dict:
    """An A query; the answer 2.3 s later (the client's resolver waited 2 s: ``dig +timeout=2 +tries=1``); the
    client's ICMP port unreachable 0.4 ms after it, quoting the
    whole answer (``quote="whole"``) or its IP header and 8 bytes (RFC 792's minimum, ``"short"``). Then a
    query the resolver's host refuses (no DNS server there: its port unreachable, quoting the query)."""
    story = craft.Story()
    f: dict = {}
    f["query"] = story.query(craft.CLIENT, craft.RESOLVER, "late.example", 0x4101, sport=53111)
    f["answer"] = story.answer(craft.CLIENT, craft.RESOLVER, "late.example", [("late.example", "A", craft.SERVER_A)],
                               0x4101, sport=53111, rtt_us=2_300_000)
    quoted = bytes(Ether(story.frames[f["answer"] - 1][1])[IP])
    if quote == "short":
        quoted = quoted[:28]
    f["icmp"] = story.add(Ether(src=craft.CLIENT_MAC, dst=craft.GATEWAY_MAC) / IP(src=craft.CLIENT, dst=craft.RESOLVER)
                          / ICMP(type=3, code=3) / Raw(quoted), 400)
    f["query2"] = story.query(craft.CLIENT, RESOLVER2, "other.example", 0x4102, sport=53112, dt_us=20_000)
    quoted = bytes(Ether(story.frames[f["query2"] - 1][1])[IP])
    f["refusal"] = story.add(Ether(src=craft.GATEWAY_MAC, dst=craft.CLIENT_MAC)
                             / IP(src=RESOLVER2, dst=craft.CLIENT) / ICMP(type=3, code=3) / Raw(quoted), 900)
    story.write(path)
    return f


@pytest.mark.parametrize("quote", ["whole", "short"])
def test_late_answer_refused_with_icmp_port_unreachable_ipv4(tmp_path, quote):
    path = tmp_path / f"late_answer_{quote}.pcap"
    f = late_answer4(path, quote)
    if TSHARK is not None:
        assert [r[1:] for r in rows(path, "icmp.type == 3", "ip.src", "icmp.code")] == \
            [(f"{craft.CLIENT},{craft.RESOLVER}", "3"), (f"{RESOLVER2},{craft.CLIENT}", "3")]
    with open_capture(path) as reader:
        tl = timeline(reader)
    ((fetch, step),) = [x for x in _answer_steps(tl, f["answer"])]
    assert step.kind == "dns.answer.refused" and step.frames == (f["answer"], f["icmp"])
    assert step.facts["rtt_ms"] == pytest.approx(2300.0) and step.facts["late_ms"] == pytest.approx(0.4)
    assert "port unreachable" in step.text and "can now open" not in step.text
    assert [(r.frame, r.sender) for r in fetch.ladder if r.layer == "icmp"] == [(f["icmp"], "client")]
    # the resolver's own port unreachable (it quotes the client's query) is still the query's failure
    ((_f2, refused),) = [x for x in _answer_steps(tl, f["refusal"])]
    assert refused.kind == "dns.icmp" and refused.facts["sender"] == RESOLVER2
    text = render(tl, width=200)
    assert "too late" in text


def test_an_answer_in_time_is_not_refused(tmp_path):
    """The same answer in 2 ms with no ICMP error after it: the usual step."""
    story = craft.Story()
    _q, a = story.dns(craft.CLIENT, craft.RESOLVER, "fine.example", [("fine.example", "A", craft.SERVER_A)], 0x4103)
    path = tmp_path / "in_time.pcap"
    story.write(path)
    with open_capture(path) as reader:
        tl = timeline(reader)
    ((_f, step),) = _answer_steps(tl, a)
    assert step.kind == "dns.answer" and step.frames == (a,)


ONE_QUERY = CORPUS / "linktype_ipv4_228_dns.pcap"


def test_a_capture_that_ends_at_the_query_cannot_tell_a_lost_answer():
    """linktype_ipv4_228_dns (MANIFEST): one frame, a query (tshark: dns.flags.response 0), nothing after it.
    The step says the capture ended too soon to tell, not that the resolver is unreachable."""
    if not ONE_QUERY.exists():
        pytest.skip(f"{ONE_QUERY} is not there (the corpus lives in ../shared/corpus)")
    assert [int(r[0]) for r in rows(ONE_QUERY, "frame")] == [int(r[0]) for r in rows(ONE_QUERY, "dns.flags.response == 0")]
    (fetch,) = load(ONE_QUERY).fetches
    (step,) = [s for s in fetch.steps if s.kind.startswith("dns.no_answer")]
    assert step.kind == "dns.no_answer.soon" and step.facts["waited_ms"] == 0
    assert "unreachable" not in step.text and "cannot tell" in step.text


@pytest.mark.parametrize(("after_us", "kind"), [(800_000, "dns.no_answer.soon"), (6_000_000, "dns.no_answer")])
def test_unanswered_query_and_how_long_the_capture_went_on(tmp_path, after_us, kind):
    """Crafted: a query, then the gateway's ARP request ``after_us`` later and its reply 300 us after it end the
    capture: 0.8 s is sooner than a resolver gives up (5 s), 6 s is not."""
    story = craft.Story()
    q = story.query(craft.CLIENT, craft.RESOLVER, "quiet.example", 0x4201)
    story.arp(craft.GATEWAY, craft.LAN_SERVER, craft.GATEWAY_MAC, dt_us=after_us)
    path = tmp_path / "quiet.pcap"
    story.write(path)
    with open_capture(path) as reader:
        tl = timeline(reader)
    (step,) = [s for f in tl.fetches for s in f.steps if s.kind.startswith("dns.no_answer")]
    assert q == 1 and step.kind == kind
    if kind == "dns.no_answer.soon":
        assert step.facts["waited_ms"] == pytest.approx((after_us + 300) / 1000)
    else:
        assert step.facts["waited_ms"] >= 5000


def test_an_answer_later_than_the_resolver_waits_is_not_called_absent(tmp_path):
    """F18, crafted: the answer comes 5.2 s after the query (tshark's dns.time), after the 5 s a resolver library
    waits; the run closes the lookup at 5 s, so the step may only say what it looked at: no answer within 5 s,
    never "no answer in the capture" (the answer is in it)."""
    import shutil
    import subprocess

    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark (the oracle) is not installed")
    story = craft.Story()
    story.query(craft.CLIENT, craft.RESOLVER, "slow.example", 0x4202)
    answer = story.answer(craft.CLIENT, craft.RESOLVER, "slow.example", [("slow.example", "A", "198.51.100.7")],
                          0x4202, rtt_us=5_200_000)
    story.arp(craft.GATEWAY, craft.LAN_SERVER, craft.GATEWAY_MAC, dt_us=3_000_000)
    path = tmp_path / "late.pcap"
    story.write(path)
    out = subprocess.run([tshark, "-r", str(path), "-Y", "dns.flags.response == 1", "-T", "fields",
                          "-e", "frame.number", "-e", "dns.time"], capture_output=True, text=True, check=True,
                         timeout=60).stdout.split()
    assert int(out[0]) == answer and float(out[1]) > 5.0
    for lang, within, absent in (("en", "within 5 s of the last attempt", "in the capture"),
                                 ("zh", "最后一次尝试之后 5 秒内没有", "抓包中没有")):
        with open_capture(path) as reader:
            tl = timeline(reader, lang)
        told = [s for f in tl.fetches for s in f.steps if s.kind.startswith("dns.no_answer")]
        assert told
        for step in told:
            assert within in step.text and absent not in step.text
