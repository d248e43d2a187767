"""DNS transactions (analyzer.apps.dns_tx): queries paired with responses over UDP and TCP.

Crafted captures (``tests/fixtures/http_dns/craft.py``): CNAME chains, NXDOMAIN, a retried query, a
response sent twice, an unanswered query asked again after the retransmission timer, REFUSED without records,
an unsolicited response, an ID reused after its answer, DNS over TCP with a split length prefix. Expected
values follow from how the captures were built; ``test_dns_tx_tshark.py`` checks them against tshark.
"""

from __future__ import annotations

import pytest
from fixtures.http_dns import craft
from fixtures.http_dns.harness import run_capture

from analyzer.api.build import dns_record
from analyzer.apps.dns_tx import DnsTracker, answer_text, cname_chain
from analyzer.decode.dns import parse_message
from analyzer.report.dns import row, rows


@pytest.fixture(scope="module")
def captures(tmp_path_factory):
    return craft.build(tmp_path_factory.mktemp("dns"), names={"dns_udp", "dns_tcp", "dns_and_http"})


@pytest.fixture(scope="module")
def udp(captures):
    packets, tx = run_capture(captures["dns_udp"], http=False)
    return {p.frame.number: p for p in packets}, rows(dns_record(t) for t in tx.dns.transactions)


def _by(items, query_frame):
    (item,) = [r for r in items if r["query_frame"] == query_frame]
    return item


def test_cname_chain_followed_to_addresses(udp):
    _, items = udp
    r = _by(items, 1)
    assert (r["query"], r["qtype"], r["qtype_name"]) == ("www.example.com", 1, "A")
    assert r["response_frame"] == 2
    assert r["trans_id"] == 0x1001
    assert r["answers"] == ["web.example.net", "edge.cdn.example", "192.0.2.10", "192.0.2.11"]
    assert r["ttls"] == [300, 60, 20, 20]
    assert r["cname_chain"] == ["www.example.com", "web.example.net", "edge.cdn.example"]
    assert r["addresses"] == ["192.0.2.10", "192.0.2.11"]
    assert r["rtt"] == pytest.approx(0.012345)
    assert (r["rcode"], r["rcode_name"]) == (0, "NOERROR")
    assert r["proto"] == "udp"
    assert (r["id.orig_h"], r["id.orig_p"], r["id.resp_h"], r["id.resp_p"]) == (
        "192.168.1.10", 53000, "192.168.1.1", 53)
    assert r["RD"] and r["RA"] and not r["AA"] and not r["TC"] and not r["rejected"]


def test_aaaa_through_one_cname(udp):
    r = _by(udp[1], 3)
    assert r["qtype_name"] == "AAAA"
    assert r["cname_chain"] == ["www.example.com", "web.example.net"]
    assert r["addresses"] == ["2001:db8::1"]


def test_nxdomain(udp):
    r = _by(udp[1], 5)
    assert (r["rcode"], r["rcode_name"]) == (3, "NXDOMAIN")
    assert r["answers"] == [] and r["addresses"] == []
    assert not r["rejected"]                         # the SOA came back: Zeek does not call it rejected


def test_retried_query_and_repeated_response(udp):
    pkts, items = udp
    r = _by(items, 7)
    assert r["retransmissions"] == [8]
    assert r["response_frame"] == 9
    assert r["rtt"] == pytest.approx(1.040)          # from the first query, as tshark's dns.time
    assert r["response_retransmissions"] == [10]
    assert pkts[8]["dns.retransmission"] == 1 and pkts[8]["dns.retransmit_request_in"] == 7
    assert pkts[9]["dns.response_to"] == 7 and pkts[9]["dns.time"] == "1.040000000"
    assert pkts[10]["dns.retransmit_response_in"] == 9 and pkts[10]["dns.retransmission"] == 1
    assert pkts[7]["dns.response_in"] == 9            # added when the response came
    assert "dns.response_in" not in pkts[8]


def test_mx_answers_are_the_exchanges(udp):
    r = _by(udp[1], 11)
    assert r["answers"] == ["mx1.example.com", "mx2.example.com"]
    assert r["ttls"] == [3600, 3600]


def test_unanswered_query_asked_again_after_the_timer(udp):
    pkts, items = udp
    first, again = _by(items, 13), _by(items, 14)
    assert first["response_frame"] is None and again["response_frame"] is None
    assert first["rtt"] is None and not first["answered"]
    assert first["retransmissions"] == []             # 6 s later: a new transaction (tshark's 5 s timer)
    assert "dns.retransmission" not in pkts[14]


def test_refused_without_records_is_rejected(udp):
    r = _by(udp[1], 15)
    assert r["rcode_name"] == "REFUSED" and r["rejected"]


def test_unsolicited_response(udp):
    pkts, items = udp
    (r,) = [r for r in items if r["response_frame"] == 17]
    assert r["query_frame"] is None and r["unsolicited"]
    assert r["query"] == "unasked.example"
    assert (r["id.orig_h"], r["id.resp_h"]) == ("192.168.1.10", "192.168.1.1")
    assert pkts[17]["dns.unsolicited"] == 1


def test_id_reused_after_the_answer(udp):
    pkts, items = udp
    r = _by(items, 18)
    assert (r["trans_id"], r["query"], r["response_frame"]) == (0x1001, "again.example.com", 19)
    assert pkts[19]["dns.response_to"] == 18


def test_ptr(udp):
    r = _by(udp[1], 20)
    assert r["qtype_name"] == "PTR" and r["answers"] == ["edge.cdn.example"]


def test_every_query_is_a_row_in_order(udp):
    _, items = udp
    assert [r["query_frame"] for r in items] == [1, 3, 5, 7, 11, 13, 14, 15, None, 18, 20]


def test_dns_over_tcp(captures):
    packets, tx = run_capture(captures["dns_tcp"], http=False)
    pkts = {p.frame.number: p for p in packets}
    items = rows(dns_record(t) for t in tx.dns.transactions)
    assert [(r["query"], r["proto"], r["query_frame"], r["response_frame"]) for r in items] == [
        ("big.example.com", "tcp", 4, 7), ("www.example.com", "tcp", 4, 7)]
    txt, www = items
    assert txt["answers"] == ["x" * 200 + " " + "y" * 200]
    assert txt["rtt"] == pytest.approx(0.0252)
    assert www["addresses"] == ["192.0.2.20"]
    assert txt["stream"] == 0
    assert pkts[7]["dns.response_to"] == [4, 4]
    assert pkts[4]["dns.response_in"] == [7, 7]


def test_zeek_and_issue_keys(udp):
    from analyzer.report.dns import JSON_KEYS

    r = _by(udp[1], 1)
    for key in JSON_KEYS + ("ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "AA", "TC",
                            "RD", "RA", "Z", "rejected", "qclass", "qclass_name"):
        assert key in r
    assert list(r)[:len(JSON_KEYS)] == list(JSON_KEYS)
    assert "TTLs" not in r          # one key for the TTLs: "ttls" (Zeek's TTLs in analyzer logs)


# -- the tracker alone ------------------------------------------------------------------------------------
def _msg(wire: bytes):
    return parse_message(wire)


def _track(tracker, wire, frame, ts_ns, src=("10.0.0.1", 5000), dst=("10.0.0.2", 53), **kw):
    msg = _msg(wire)
    return tracker.message(msg, msg.header, service="dns", proto="udp", stream=0, src=src, dst=dst,
                           frame=frame, ts_ns=ts_ns, **kw)


def test_retransmission_timer_boundary():
    t = DnsTracker()
    q = craft._q(7, "a.example")
    _track(t, q, 1, 0)
    fields, _ = _track(t, q, 2, 4_999_999_999)
    assert fields == {"dns.retransmit_request_in": 1, "dns.retransmission": 1}
    fields, trans = _track(t, q, 3, 5_000_000_000)    # 5 s after the first query: a new transaction
    assert fields == {} and trans.query_frame == 3
    assert len(t.transactions) == 2


def test_conversation_is_both_directions_and_ports():
    t = DnsTracker()
    _track(t, craft._q(9, "a.example"), 1, 0)
    fields, _ = _track(t, craft._r(9, "a.example", "A"), 2, 10, src=("10.0.0.2", 53), dst=("10.0.0.1", 5000))
    assert fields["dns.response_to"] == 1
    # the same ID from another client port is another conversation: unsolicited
    fields, _ = _track(t, craft._r(9, "a.example", "A"), 3, 20, src=("10.0.0.2", 53), dst=("10.0.0.1", 5001))
    assert fields == {"dns.unsolicited": 1}


def test_axfr_answers_come_in_several_messages():
    t = DnsTracker()
    _track(t, craft._q(11, "zone.example", "AXFR"), 1, 0)
    srv = {"src": ("10.0.0.2", 53), "dst": ("10.0.0.1", 5000)}
    f1, trans = _track(t, craft._r(11, "zone.example", "AXFR"), 2, 10, **srv)
    f2, _ = _track(t, craft._r(11, "zone.example", "AXFR"), 3, 20, **srv)
    assert f1["dns.response_to"] == 1 and f2["dns.response_to"] == 1
    assert "dns.retransmission" not in f2
    assert trans.extra_responses == [3]


def test_quoted_messages_are_not_tracked():
    t = DnsTracker()
    fields, trans = _track(t, craft._r(5, "a.example", "A"), 1, 0, quoted=True)
    assert fields == {"dns.unsolicited": 1} and trans is None
    assert t.transactions == []


def test_records_not_kept_when_asked():
    t = DnsTracker(keep=False)
    _track(t, craft._q(1, "a.example"), 1, 0)
    fields, _trans = _track(t, craft._r(1, "a.example", "A"), 2, 5, src=("10.0.0.2", 53),
                           dst=("10.0.0.1", 5000))
    assert fields["dns.response_to"] == 1 and t.transactions == []


def test_cname_loop_stops():
    from scapy.all import DNSRR

    wire = craft._r(1, "a.example", "A", [DNSRR(rrname="a.example", type="CNAME", rdata="b.example"),
                                          DNSRR(rrname="b.example", type="CNAME", rdata="a.example")])
    chain, addresses = cname_chain(_msg(wire), "a.example")
    assert chain == ["a.example", "b.example"] and addresses == []


def test_cname_chain_addresses_of_the_last_name_only():
    """An A record of the query's own name beside its CNAME is not an address of the chain's end; a record
    named in other case or with a trailing dot is (names compared folded)."""
    from scapy.all import DNSRR

    wire = craft._r(1, "a.example", "A", [DNSRR(rrname="a.example", type="CNAME", rdata="b.example"),
                                          DNSRR(rrname="a.example", type="A", rdata="192.0.2.1"),
                                          DNSRR(rrname="B.Example.", type="A", rdata="192.0.2.2"),
                                          DNSRR(rrname="b.example", type="A", rdata="192.0.2.3")])
    chain, addresses = cname_chain(_msg(wire), "a.example")
    assert chain == ["a.example", "b.example"] and addresses == ["192.0.2.2", "192.0.2.3"]
    wire = craft._r(1, "a.example", "A", [DNSRR(rrname="A.EXAMPLE", type="A", rdata="192.0.2.4"),
                                          DNSRR(rrname="c.example", type="A", rdata="192.0.2.5")])
    assert cname_chain(_msg(wire), "a.example") == (["a.example"], ["192.0.2.4"])


def test_answer_text_for_other_types():
    from scapy.all import DNSRR

    wire = craft._r(1, "a.example", "TXT", [DNSRR(rrname="a.example", type="TXT", rdata=[b"v=spf1", b"-all"]),
                                            DNSRR(rrname="a.example", type=65280, rdata=b"\x01\x02")])
    txt, other = _msg(wire).answers
    assert answer_text(txt) == "v=spf1 -all"
    assert answer_text(other) == "<unknown type=65280>"


def test_row_for_a_header_only_message():
    t = DnsTracker()
    from analyzer.decode.dns import Header

    _, trans = t.message(None, Header(0x77, 0x0100, 0, 0, 0, 0), service="dns", proto="udp", stream=3,
                         src=("10.0.0.1", 1), dst=("10.0.0.2", 53), frame=1, ts_ns=0)
    r = row(dns_record(trans))
    assert r["query"] is None and r["trans_id"] == 0x77 and r["malformed"]


def test_a_pass_without_fields_pairs_the_same():
    # fields=False (analyzer dns: no fields on packets): the same pairing, no dns.response_to / dns.time made
    srv = {"src": ("10.0.0.2", 53), "dst": ("10.0.0.1", 5000)}
    seen = []
    for fields_on in (True, False):
        t = DnsTracker(fields=fields_on)
        _track(t, craft._q(21, "a.example"), 1, 0)
        _track(t, craft._q(21, "a.example"), 2, 1_000)                      # a retransmission
        answer, trans = _track(t, craft._r(21, "a.example", "A"), 3, 2_000_000, **srv)
        copy, _ = _track(t, craft._r(21, "a.example", "A"), 4, 3_000_000, **srv)
        seen.append((trans.query_frame, trans.response_frame, trans.rtt_ns, trans.retransmissions,
                     trans.response_retransmissions, copy))
        assert ("dns.time" in answer, "dns.response_to" in answer) == (fields_on, fields_on)
    assert seen[0] == seen[1] == (1, 3, 2_000_000, [2], [4],
                                  {"dns.retransmit_response_in": 3, "dns.retransmission": 1})
