"""``analyzer dns``'s text table (:func:`analyzer.report.dns.table_lines`) on crafted rows, each cell written out
by hand from the table's rules: Client/Server ``addr:port`` (IPv6 in brackets) padded to the widest endpoint (24
at least), the ID as 0x%04x, the query cut to 32 characters with "...", control characters shown as escapes,
Flags AA/TC/both/"-", RTT in the unit that shows its digits or "unsolicited"/"no answer", one TTL when they agree,
Answers joined by ", " or the CNAME chain's names joined by " -> " then its addresses, and a note under the table
per truncated UDP answer."""

from __future__ import annotations

from analyzer.report.dns import table_lines


def _row(**over):
    row = {"query_frame": 1, "response_frame": 2, "trans_id": 0x2a, "query": "a.test", "qtype": 1,
           "qtype_name": "A", "rcode": 0, "rcode_name": "NOERROR", "answers": [], "ttls": [], "rtt": 0.000512,
           "proto": "udp", "ts": 100.25, "uid": "C", "id.orig_h": "10.0.0.1", "id.orig_p": 40000,
           "id.resp_h": "10.0.0.53", "id.resp_p": 53, "qclass": 1, "qclass_name": "C_INTERNET", "AA": False,
           "TC": False, "RD": True, "RA": True, "Z": 0, "rejected": False, "service": "dns", "stream": 0,
           "answered": True, "unsolicited": False, "retransmissions": [], "response_retransmissions": [],
           "extra_responses": [], "cname_chain": [], "addresses": [], "answer_types": [], "malformed": False,
           "tc_retry_frame": None}
    row.update(over)
    return row


HEAD = (f"{'Time':>10} {'Client':<24} {'Server':<24} Proto ID     {'Query':<32} Type   Rcode     Flags "
        f"{'RTT':>11} Re     TTL  Answers")


def _line(when, qid, query, qtype, rcode, flags, rtt, re, ttl, answers, proto="udp", client="10.0.0.1:40000",
          server="10.0.0.53:53", w=24):
    """One line from its cells, each padded to its column: Time 10 (right), Client/Server w, Proto 5, ID 6,
    Query 32, Type 6, Rcode 9, Flags 5, RTT 11 (right), Re 2 (right), TTL 7 (right), two spaces, Answers."""
    return (f"{when:>10} {client:<{w}} {server:<{w}} {proto:<5} {qid:<6} {query:<32} {qtype:<6} {rcode:<9} "
            f"{flags:<5} {rtt:>11} {re:>2} {ttl:>7}  {answers}")


def test_cells():
    rows = [
        _row(answers=["10.1.1.1", "10.1.1.2"], ttls=[300, 300], AA=True),
        _row(ts=100.5, trans_id=0xbeef, query="x" * 40, qtype_name="Unknown (65280)", rtt=0.0123,
             ttls=[60, 20], answers=["n\x1bame", "b"], retransmissions=[5, 6]),
        _row(ts=None, query=None, rtt=None, unsolicited=True, query_frame=None, qtype_name=None, rcode_name=None),
        _row(rtt=None, response_frame=None, answered=False, AA=True, TC=True, ttls=[1, 22, 333],
             tc_retry_frame=9),
        _row(cname_chain=["w.test", "c1.test", "c2.test"], addresses=["10.2.2.2"], answers=["c1.test"],
             rtt=1.5, ttls=[5, 6, 7, 8]),
        _row(TC=True, response_frame=7),
        _row(TC=True, proto="tcp"),
    ]
    lines = list(table_lines(rows, 100 * 10**9))
    assert lines == [
        HEAD,
        _line("0.250000", "0x002a", "a.test", "A", "NOERROR", "AA", "512 µs", 0, "300", "10.1.1.1, 10.1.1.2"),
        _line("0.500000", "0xbeef", "x" * 29 + "...", "Unk...", "NOERROR", "-", "12.3 ms", 2, "60,20",
              "n\\x1bame, b"),
        _line("-", "0x002a", "-", "-", "-", "-", "unsolicited", 0, "-", "-"),
        _line("0.250000", "0x002a", "a.test", "A", "NOERROR", "AA,TC", "no answer", 0, "1,22...", "-"),
        _line("0.250000", "0x002a", "a.test", "A", "NOERROR", "-", "1.5 s", 0, "5,6,7,8",
              "c1.test -> c2.test -> 10.2.2.2"),
        _line("0.250000", "0x002a", "a.test", "A", "NOERROR", "TC", "512 µs", 0, "-", "-"),
        _line("0.250000", "0x002a", "a.test", "A", "NOERROR", "TC", "512 µs", 0, "-", "-", proto="tcp"),
        "TC: the answer in frame None was truncated; the client asked again over TCP (frame 9).",
        "TC: the answer in frame 7 was truncated; the capture holds no retry over TCP.",
    ]


def test_ipv6_endpoints_set_the_width():
    rows = [_row(**{"id.orig_h": "2001:db8::1", "id.orig_p": 5353, "id.resp_h": "ff02::fb", "id.resp_p": 5353}),
            _row(), _row(**{"id.orig_h": "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1", "id.orig_p": 65000})]
    lines = list(table_lines(rows, None, width_rows=2))
    # the first two rows set the width (24: no endpoint is wider); the third overflows its column
    cells = ("0x002a", "a.test", "A", "NOERROR", "-", "512 µs", 0, "-", "-")
    wide = "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:65000"
    assert lines[1:] == [_line("0.000000", *cells, client="[2001:db8::1]:5353", server="[ff02::fb]:5353"),
                         _line("0.000000", *cells),
                         _line("0.000000", *cells, client=wide)]
    lines = list(table_lines(rows, None, width_rows=None))
    assert lines[3] == _line("0.000000", *cells, client=wide, w=len(wide))
