"""``analyzer dns``'s rows made straight from the DNS tracker's transactions
(:func:`analyzer.report.dns.transaction_row`, handed out by ``dns_stream(make=...)``; for the text table
:func:`~analyzer.report.dns.table_cells`, the keys it reads, without uids) are the rows of the records
(:func:`analyzer.report.dns.row` of :func:`analyzer.api.build.dns_record`): the same dicts, keys in the same order,
on every capture, every corpus file and damaged copies, with and without the HTTP/TLS trackers (without them the
quick DNS-over-UDP path pairs the datagrams), with ``-Y``, and for a truncated answer and its retry over TCP. The
records' own values are checked against tshark elsewhere (tests/test_dns_tx_tshark.py, tests/test_dns_stream.py).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

import analyzer
from analyzer.api.build import Analysis, dns_record
from analyzer.api.stream import WindowMatcher
from analyzer.filter import compile_filter
from analyzer.report import dns as report

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from test_dns_stream import MUTATED, _truncated_then_retry
from test_http_stream import CAPTURES, CORPUS, CORPUS_FILES, _keys
from test_timeline_memory import dns_message


def _rows(cap, *, http: bool, matcher: str | None = None, every: int = 7) -> tuple[list, list]:
    """(the records' rows, the rows made straight) of one streamed pass each."""
    out = []
    for make in (None, report.transaction_row):
        m = WindowMatcher(compile_filter(matcher)) if matcher is not None else None
        with cap.open() as reader:
            got = list(Analysis(matcher=m, keylog=cap.keylog, http=http).dns_stream(reader, every, make=make))
        out.append([report.row(d) for d in got] if make is None else got)
    return out[0], out[1]


def _same(path: Path) -> int:
    cap = analyzer.open(path, keylog=_keys(path))
    n = 0
    for http in (False, True):
        want, got = _rows(cap, http=http)
        assert [list(r) for r in got] == [list(r) for r in want], path.name      # keys in the same order
        assert got == want, path.name
        n = len(got)
        if not http:
            rows = want
    want, got = _rows(cap, http=False, matcher="dns.flags.response == 1 or udp.port == 5353")
    assert got == want, path.name
    # the table from the cells (no uid) is the table from the rows
    with cap.open() as reader:
        cells = list(Analysis(keylog=cap.keylog, http=False).dns_stream(reader, 7, make=report.table_cells,
                                                                          uids=False))
    assert list(report.table_lines(cells, 0)) == list(report.table_lines(rows, 0)), path.name
    # each tracker transaction, with a uid or none and a retry frame or none
    txs: list = []
    with cap.open() as reader:
        list(Analysis(keylog=cap.keylog).dns_stream(reader, 7, make=lambda t, uid, frame: txs.append(t)))
    assert len(txs) == n
    _each(txs)
    return n


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_captures(path):
    _same(path)


@pytest.mark.skipif(not CORPUS_FILES, reason=f"corpus folder {CORPUS} not present")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus(path):
    _same(path)


@pytest.mark.parametrize("name", MUTATED)
def test_mutated(tmp_path, name):
    from mutants import mutated_pcaps

    for path in mutated_pcaps(name, tmp_path, rounds=2):
        cap = analyzer.open(path)
        for http in (False, True):
            want, got = _rows(cap, http=http, every=1)
            assert got == want, path.name


def _each(txs: list) -> None:
    for t in txs:
        for uid in (None, "Cabc"):
            for frame in (None, 12345):
                want = report.row(replace(dns_record(t, uid), tc_retry_frame=frame))
                got = report.transaction_row(t, uid, frame)
                assert list(got) == list(want) and got == want, (t.query_frame, uid, frame)
                # the table's cells: the row's values of the keys the table reads
                cells = report.table_cells(t, uid, frame)
                assert list(cells) == list(report.TABLE_KEYS)
                assert cells == {k: want[k] for k in report.TABLE_KEYS}, (t.query_frame, uid, frame)


def test_each_transaction_of_the_tracker():
    """lab_dns_mix: 7 lookups (A, AAAA, A through a CNAME, MX, NXDOMAIN, TXT truncated over UDP then over TCP),
    each straight from the tracker's transaction: the record's row."""
    cap = analyzer.open(REPO / "captures" / "lab_dns_mix.pcapng")
    txs: list = []
    with cap.open() as reader:
        list(Analysis().dns_stream(reader, 1, make=lambda t, uid, frame: txs.append(t)))
    assert len(txs) == 7
    _each(txs)


@pytest.mark.parametrize("every", [1, 2048])
def test_truncated_answer_and_its_retry(every):
    frames = _truncated_then_retry(2 * 10**9)
    want = [report.row(d) for d in Analysis().dns_stream(frames, every=every)]
    got = list(Analysis().dns_stream(frames, every=every, make=report.transaction_row))
    assert got == want
    # crafted: frame 2 the truncated UDP answer (TC), frame 6 the client's query over TCP
    assert [(r["proto"], r["TC"], r["tc_retry_frame"]) for r in got] == [("udp", True, 6), ("tcp", False, None)]


def _mdns_frames() -> list:
    """An mDNS query for host.local A asking for a unicast answer (QU: class 0x8001) from 192.168.1.5:5353 to
    224.0.0.251:5353 (frame 1), and its answer, class IN with the cache-flush bit (0x8001), 192.168.1.9 TTL 120
    (frame 2), its question's class 0x8001 too. tshark (-T fields -e dns.qry.class -e dns.qry.qu -e dns.resp.ttl
    -e dns.a -e dns.unsolicited): frame 1 0x0001, 1; frame 2 0x0001, 1, 120, 192.168.1.9, 1 (another
    conversation: unsolicited)."""
    import struct

    from analyzer.capture.frame import Frame
    from fuzz.adversarial import _dns_name, eth, ipv4, udp

    name = _dns_name("host.local")
    query = struct.pack("!6H", 0, 0, 1, 0, 0, 0) + name + struct.pack("!HH", 1, 0x8001)
    answer = (struct.pack("!6H", 0, 0x8400, 1, 1, 0, 0) + name + struct.pack("!HH", 1, 0x8001)
              + b"\xc0\x0c" + struct.pack("!HHIH", 1, 0x8001, 120, 4) + bytes([192, 168, 1, 9]))
    t0 = 1_700_000_000 * 10**9
    datas = [eth(ipv4("192.168.1.5", "224.0.0.251", 17, udp("192.168.1.5", "224.0.0.251", 5353, 5353, query))),
             eth(ipv4("192.168.1.9", "192.168.1.5", 17, udp("192.168.1.9", "192.168.1.5", 5353, 5353, answer)))]
    return [Frame(i + 1, t0 + i * 10**6, len(d), None, 1, d) for i, d in enumerate(datas)]


def test_mdns_question_class_without_the_unicast_bit():
    frames = _mdns_frames()
    want = [report.row(d) for d in Analysis().dns_stream(frames, every=1)]
    got = list(Analysis().dns_stream(frames, every=1, make=report.transaction_row))
    assert got == want
    assert [(r["service"], r["qclass"], r["qclass_name"], r["answers"], r["ttls"]) for r in got] == [
        ("mdns", 1, "C_INTERNET", [], []), ("mdns", 1, "C_INTERNET", ["192.168.1.9"], [120])]


def _unknown_type_frames() -> list:
    """A query for odd.test type 65280 from 10.0.0.7:30001 to 10.0.0.53:53 (frame 1) and its answer (frame 2):
    one record of type 65280 (RDATA 01 02, TTL 30), an OPT pseudo-record (payload size 1232) misplaced among the
    answers, and an MX (10 mx.odd.test, TTL 40). tshark (-T fields -e dns.resp.type -e dns.resp.ttl -e
    dns.mx.mail_exchange): 65280,41,15  30,40 (no TTL of the OPT)  mx.odd.test; its tree names the first type
    "Unknown (65280)".
    A row leaves the OPT out of the answers (as Zeek)."""
    import struct

    from analyzer.capture.frame import Frame
    from fuzz.adversarial import _dns_name, eth, ipv4, udp

    name = _dns_name("odd.test")
    question = name + struct.pack("!HH", 65280, 1)
    query = struct.pack("!6H", 0x1234, 0x0100, 1, 0, 0, 0) + question
    mx = struct.pack("!H", 10) + _dns_name("mx.odd.test")
    answer = (struct.pack("!6H", 0x1234, 0x8180, 1, 3, 0, 0) + question
              + b"\xc0\x0c" + struct.pack("!HHIH", 65280, 1, 30, 2) + b"\x01\x02"
              + b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)
              + b"\xc0\x0c" + struct.pack("!HHIH", 15, 1, 40, len(mx)) + mx)
    t0 = 1_700_000_000 * 10**9
    datas = [eth(ipv4("10.0.0.7", "10.0.0.53", 17, udp("10.0.0.7", "10.0.0.53", 30001, 53, query))),
             eth(ipv4("10.0.0.53", "10.0.0.7", 17, udp("10.0.0.53", "10.0.0.7", 53, 30001, answer)))]
    return [Frame(i + 1, t0 + i * 10**6, len(d), None, 1, d) for i, d in enumerate(datas)]


@pytest.mark.parametrize("http", [False, True])
def test_answers_of_an_unknown_type_and_mx(http):
    frames = _unknown_type_frames()
    want = [report.row(d) for d in Analysis(http=http).dns_stream(frames, every=1)]
    got = list(Analysis(http=http).dns_stream(frames, every=1, make=report.transaction_row))
    assert got == want
    (r,) = got
    assert (r["qtype_name"], r["answer_types"], r["ttls"]) == ("Unknown (65280)", ["Unknown (65280)", "MX"], [30, 40])
    assert r["answers"] == ["<unknown type=65280>", "mx.odd.test"]


@pytest.mark.parametrize("every", [1, 3])
def test_a_truncated_answer_waits_when_packet_time_went_back(every):
    """Packet time goes back (a datagram 50 s before the lookup), then another client's query 100 s after it
    (the index forgets the truncated lookup), then the client's retry over TCP 0.5 s after the truncated answer:
    the pass cannot tell by time that no retry will come, so the truncated answer waits for it (to the end if
    need be) and names it (frame 8), as the whole pass does."""
    from analyzer.capture.frame import Frame
    from fuzz.adversarial import eth, ipv4, udp

    frames = _truncated_then_retry(5 * 10**8)
    t0 = frames[0].ts_ns

    def other(ts: int) -> Frame:
        data = eth(ipv4("10.0.0.9", "10.0.0.10", 17, udp("10.0.0.9", "10.0.0.10", 40000, 9999, b"x")))
        return Frame(0, ts, len(data), None, 1, data)

    late = eth(ipv4("10.0.0.8", "10.0.0.53", 17, udp("10.0.0.8", "10.0.0.53", 30002, 53,
                                                       dns_message(9, "late.test", False))))
    frames = frames[:2] + [other(t0 - 50 * 10**9), Frame(0, t0 + 100 * 10**9, len(late), None, 1, late)] + frames[2:]
    frames = [Frame(i + 1, f.ts_ns, f.origlen, None, f.linktype, f.data) for i, f in enumerate(frames)]
    want = Analysis().run(frames).dns
    got = list(Analysis().dns_stream(frames, every=every))
    assert got == want
    assert [(d.proto, d.query, d.tc, d.tc_retry_frame) for d in got] == [
        ("udp", "big.test", True, 8), ("udp", "late.test", False, None), ("tcp", "big.test", False, None)]
    rows = list(Analysis().dns_stream(frames, every=every, make=report.transaction_row))
    assert rows == [report.row(d) for d in want]
