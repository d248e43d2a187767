"""``analyzer dns``'s text table (:func:`analyzer.report.dns.table_lines`) on crafted rows, each cell written out
by hand from the table's rules: Client/Server ``addr:port`` (IPv6 in brackets) padded to the widest endpoint (24
at least), the ID as 0x%04x, the query cut to 32 characters with "...", control characters shown as escapes,
Flags AA/TC/both/"-", RTT in the unit that shows its digits or "unsolicited"/"no answer", one TTL when they agree,
Answers joined by ", " or the CNAME chain's names joined by " -> " then its addresses, and a note under the table
per truncated UDP answer.

The compiled line (``dns_table_line`` of analyzer/columnar/_speedups.c, used for the rows of the usual shapes) is
the Python's line on crafted rows at the edges (RTTs at each unit's boundary, odd values of every cell: the C
leaves those to the Python), 5,000 random rows, and every capture's rows."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

import analyzer
from analyzer.report import dns as dns_report
from analyzer.report.dns import table_lines

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from test_http_stream import CAPTURES, CORPUS_FILES, _keys

# the DNS frames of the synthetic 1M web capture (benchmarks/gen_synthetic.py; tshark -r s1m.pcap -Y dns -w ...)
DNS1M = Path("/tmp/s/dns1m.pcap")


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


# -- the compiled line (analyzer/columnar/_speedups.c dns_table_line) against the Python's ----------------------
def _both(monkeypatch, rows, start=None, width_rows=1000) -> tuple[list[str], list[str]]:
    compiled_lines = list(table_lines(rows, start, width_rows=width_rows))
    with monkeypatch.context() as m:
        m.setattr(dns_report, "_LINE", None)
        python_lines = list(table_lines(rows, start, width_rows=width_rows))
    return compiled_lines, python_lines


RTTS = [0.0, 4.99e-7, 5e-7, 9.99e-7, 1e-6, 1.0005e-6, 0.000512, 0.0009994, 0.0009995, 0.00099949, 0.0009999,
        0.001, 0.0123, 0.0999995, 0.09995, 0.9994, 0.9995, 0.99949, 0.99951, 1.0, 1.5, 12.345, 99.95, 999.4, 999.5,
        1000.0, 123456.7, 9e6, -0.001, -1e-9, None]
ODD = {
    "id.orig_h": ["2001:db8::1", "", "h\x1bst", "hôte", 17, None],
    "id.orig_p": [0, 65535, None, True, 2**70],
    "trans_id": [0, 0xFFFF, 0x10000, -1, True],
    "query": [None, "", "q" * 32, "q" * 33, "caf\u00e9.test", "a\x7fb", "x\ty"],
    "qtype_name": [None, "", "Unknown (65280)", "AAAAAA", "AAAAAAA", "\u00e9"],
    "rcode_name": [None, "", "unknown-12", "NOERROR", "R\u00e9"],
    "AA": [True, False, 1, None],
    "TC": [True, False, 0],
    "ttls": [[], [0], [2**31], [5, 5, 5], [1, 2], [100000, 2], [-3], [-3, 4], [True], [2**70], [1.5], (1, 2)],
    "retransmissions": [[], [4, 5, 6], list(range(100)), (1,)],
    "answers": [[], ["a, b", "c"], ["\u00e9"], ["x" * 5000], "ab"],
    "ts": [None, 0.0, -5.25, 1e12, 3],
    "proto": ["udp", "tcp", "", "u\u00e9", "u\x1b"],
}


def test_compiled_line_on_crafted_rows(monkeypatch):
    if dns_report._LINE is None:
        pytest.skip("the compiled helper is not built (or pure Python)")
    rows = [_row(rtt=r, unsolicited=u) for r in RTTS for u in (False, True)]
    for key, values in ODD.items():
        rows += [_row(**{key: v}) for v in values]
    rows += [_row(cname_chain=c, addresses=a, answers=["n"]) for c in ([], ["q"], ["q", "a"], ["q", "a", "b"])
             for a in ([], ["10.0.0.1"], ["10.0.0.1", "::1"], ["\u00e9"])]
    for start in (None, 100 * 10**9, 3 * 10**9 + 1):
        for width_rows in (1000, 2):
            got, want = _both(monkeypatch, rows, start, width_rows)
            assert got == want


def test_compiled_line_on_random_rows(monkeypatch):
    if dns_report._LINE is None:
        pytest.skip("the compiled helper is not built (or pure Python)")
    rnd = random.Random(19)
    rows = []
    for _ in range(5000):
        over = {key: rnd.choice(values) for key, values in ODD.items() if rnd.random() < 0.15}
        over["rtt"] = rnd.choice(RTTS) if rnd.random() < 0.3 else rnd.random() * 10 ** rnd.randint(-9, 4)
        over["ts"] = over.get("ts", 100 + rnd.random() * 1000)
        over["ttls"] = over.get("ttls", [rnd.randint(0, 10 ** rnd.randint(0, 9)) for _ in range(rnd.randint(0, 3))])
        rows.append(_row(**over))
    got, want = _both(monkeypatch, rows, 100 * 10**9)
    assert got == want


@pytest.mark.parametrize("path", CAPTURES + CORPUS_FILES + [DNS1M], ids=lambda p: p.name)
def test_compiled_line_on_the_captures(monkeypatch, path):
    if dns_report._LINE is None:
        pytest.skip("the compiled helper is not built (or pure Python)")
    if not path.exists():
        pytest.skip(f"{path} not present")
    cap = analyzer.open(path, keylog=_keys(path))
    rows = cap.analyze().dns
    rows = [dns_report.row(r) for r in rows]
    got, want = _both(monkeypatch, rows, None)
    assert got == want
    if path == DNS1M:
        assert sum(1 for r in rows if dns_report._LINE(r, 0.0, 24) is None) == 0      # each line in C
