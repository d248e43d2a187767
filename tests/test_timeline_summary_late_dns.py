"""A DNS answer the client refused (it came after the client had stopped waiting: the client's ICMP port
unreachable quotes it) is a failed lookup for the client: the Summary and "Where the time went" say so (the
late answer, its frames, the time from the query to it), never a lookup time, and no figure counts it.

Expected values: the corpus file's frames and dns.time from tshark; the crafted capture's frames and times from
how its story wrote them (``tests/fixtures/timeline/craft.py``), its ICMP errors also asked from tshark.
"""

from __future__ import annotations

import pytest
from fixtures.timeline import craft
from scapy.all import ICMP, IP, Ether, Raw

from analyzer.capture import open_capture
from analyzer.report.timeline_text import render_fetch, summary_rows
from analyzer.timeline import timeline
from analyzer.timeline.texts import label
from tests.test_timeline_corpus import CORPUS, TSHARK, load, rows

V6 = CORPUS / "dns_udp_over_ipv6_wireshark_v6.pcap"


def _dns_row(fetch, lang: str = "en") -> str:
    return dict(summary_rows(fetch, lang))[label("dns_time", lang)]


def test_refused_answer_is_a_failed_lookup_corpus():
    """v6.pcap: the client's ICMPv6 port unreachable (icmpv6.type 1 code 4) quotes the resolver's answer to its
    AAAA query. The fetch's Summary says the lookup failed (the answer's frames, dns.time), not "DNS lookup
    5.256 s"; where the time went tells the wait for the late answer."""
    if not V6.exists():
        pytest.skip(f"{V6} is not there (the corpus lives in ../shared/corpus)")
    if TSHARK is None:
        pytest.skip("tshark is not installed: the expected frames and times come from it")
    ((icmp, dns_id),) = [(int(r[0]), r[1]) for r in rows(V6, "icmpv6.type == 1 && icmpv6.code == 4 && udp.srcport == 53",
                                                          "dns.id")]
    (answer,) = rows(V6, f"dns.id == {dns_id} && dns.flags.response == 1 && !icmpv6", "dns.time", "dns.qry.name",
                     "dns.resp.type")
    (query,) = rows(V6, f"dns.id == {dns_id} && dns.flags.response == 0", "dns.qry.name")
    a_frame, q_frame, ms = int(answer[0]), int(query[0]), float(answer[1]) * 1000
    name = answer[2]
    tl = load(V6)
    (fetch,) = [f for f in tl.fetches if any(lk.response_frame == a_frame for lk in f.lookups)]
    s = fetch.summary
    assert s.dns_ms is None
    assert [x[:2] for x in s.dns_late] == [(name, "AAAA")]
    assert s.dns_late[0][2] == pytest.approx(ms, abs=0.002)
    assert s.dns_late[0][3:] == (q_frame, a_frame, icmp)
    assert dict(s.dns_names)[name] == (None,)
    row = _dns_row(fetch)
    assert row.startswith("failed: ") and f"frame {a_frame}" in row and f"frame {icmp}" in row and name in row
    (d,) = fetch.breakdown
    assert d.what == "dns_late" and d.frames == (q_frame, a_frame, icmp)
    assert d.ms == pytest.approx(ms, abs=0.002)
    assert "too late" in d.text and "did not use that answer" in d.text
    assert [r.problem for r in fetch.ladder if r.frame == a_frame] == [True]
    text = render_fetch(fetch, width=200)
    assert "DNS lookup   5.256 s" not in text and "Where the time went" in text
    js = s.as_dict()
    assert js["dns_ms"] is None and js["dns_late"][0]["refused_frame"] == icmp
    zh = next(f for f in load(V6, "zh").fetches if f.index == fetch.index)
    zrow = _dns_row(zh, "zh")
    assert zrow.startswith("失败：") and f"第 {icmp} 帧" in zrow and "拒收" in zrow
    assert "没有用上这条应答" in zh.breakdown[0].text


def late_then_retry(path) -> dict:
    """The client asks for late.example (A); after 2 s without an answer it asks again (a new ID, a new port);
    the first answer comes 2.3 s after the first query and the client refuses it (ICMP port unreachable 0.4 ms
    later, quoting it); the second answer comes 5 ms after the second query; then a connection and a GET."""
    story = craft.Story()
    f: dict = {}
    f["query"] = story.query(craft.CLIENT, craft.RESOLVER, "late.example", 0x4201, sport=53201)
    f["query2"] = story.query(craft.CLIENT, craft.RESOLVER, "late.example", 0x4202, sport=53202, dt_us=2_000_000)
    f["answer"] = story.answer(craft.CLIENT, craft.RESOLVER, "late.example", [("late.example", "A", craft.SERVER_A)],
                               0x4201, sport=53201, rtt_us=300_000)
    quoted = bytes(Ether(story.frames[f["answer"] - 1][1])[IP])
    f["icmp"] = story.add(Ether(src=craft.CLIENT_MAC, dst=craft.GATEWAY_MAC) / IP(src=craft.CLIENT, dst=craft.RESOLVER)
                          / ICMP(type=3, code=3) / Raw(quoted), 400)
    f["answer2"] = story.answer(craft.CLIENT, craft.RESOLVER, "late.example",
                                [("late.example", "A", craft.SERVER_A)], 0x4202, sport=53202, rtt_us=4_600)
    c = craft.Conn(story, (craft.CLIENT, 40100), (craft.SERVER_A, 80))
    f["syn"], _sa, f["ack"] = c.handshake()
    f["get"], f["resp"] = c.get(craft.request("/", "late.example"), craft.response("200 OK", b"x" * 100, "text/html"))
    f["close"] = c.close_four(craft.C)
    story.write(path)
    return f


def test_refused_answer_then_retry_counts_from_the_first_query(tmp_path):
    """The page's DNS time runs from the first query to the answer the client used (the retry's), 2.305 s; the
    refused answer is told beside it, and where the time went does not count its wait twice."""
    path = tmp_path / "late_retry.pcap"
    f = late_then_retry(path)
    if TSHARK is not None:
        assert [int(r[0]) for r in rows(path, "icmp.type == 3 && icmp.code == 3")] == [f["icmp"]]
    with open_capture(path) as reader:
        tl = timeline(reader)
    (fetch,) = [x for x in tl.fetches if x.requests and x.requests[0].method]
    s = fetch.summary
    assert fetch.requests[0].dns == pytest.approx(2305.0)      # 2 s to the retry, then 300 ms + 0.4 ms + 4.6 ms
    assert s.dns_ms == pytest.approx(2305.0)
    assert s.dns_late == (("late.example", "A", pytest.approx(2300.0), f["query"], f["answer"], f["icmp"]),)
    row = _dns_row(fetch)
    assert row.startswith("2.305 s (1 answer came too late: ") and f"frame {f['icmp']}" in row
    parts = {d.what: d for d in fetch.breakdown}
    assert parts["dns"].ms == pytest.approx(2305.0)
    assert parts["dns_late"].frames == (f["query"], f["answer"], f["icmp"])
    assert "overlap" not in parts and "The 2.300 s wait below for an answer that came too late is part of it." in \
        parts["dns"].text
    # the client's time between the answer it used and its SYN starts at that answer, not the refused one
    assert parts.get("client_dns") is None or parts["client_dns"].frames == (f["answer2"], f["syn"])
