"""The summary line of a TCP segment run from its headers (``Summary.header_line``) written by the compiled helper
(``analyzer.columnar._speedups.tcp_line``) is the line the Python writes (``Summary._header_line_py``, the
fallback): on every such segment of the captures, the corpus and synthetic traffic, and on segments damaged just
where the helper decides to write or to decline (URG, link types and EtherTypes, a payload on a Decode As port,
an unseen flags value, analysis words, options other than NOP, NOP, Timestamps, a time before the first frame,
other decimals, values that are not 64-bit ints, addresses that are not printable ASCII). Where it declines it
gives None, and ``header_line`` is then the Python's line."""

from __future__ import annotations

from pathlib import Path

import pytest
import synthetic

from analyzer.capture import open_capture
from analyzer.capture.frame import Frame
from analyzer.filter.apply import analyzed
from analyzer.pipeline import HeaderOnly
from analyzer.report import summary as summary_mod
from analyzer.report.summary import Summary

tcp_line = summary_mod._TCP_LINE
pytestmark = pytest.mark.skipif(tcp_line is None, reason="the compiled helper (with tcp_line) is not built")
REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])


def _c(summary: Summary, res) -> str | None:
    frame = res.frame
    digits = 6 if summary.digits_of is None else summary.digits_of(frame)
    return tcp_line(frame, summary.t0_ns, digits, res.headers, res.fields, summary_mod._FLAGS_TEXT,
                    summary_mod._TCP_PORT_DECODERS, summary_mod._ANALYSIS_KEY_TUPLE)


def _segments(path: Path) -> tuple[list, Summary]:
    """The HeaderOnly results of a capture (lines mode, as read makes them), and a Summary set to its first frame."""
    out = []
    with open_capture(path) as reader:
        summary = Summary(digits_of=getattr(reader, "time_digits", None))
        for res in analyzed(reader, None, headers=True, lines=True):
            if summary.t0_ns is None:
                summary.t0_ns = res.frame.ts_ns
            if res.__class__ is HeaderOnly:
                out.append(res)
    return out, summary


def _check(summary: Summary, segments: list) -> int:
    """Every segment: the compiled line is None or the Python's; header_line is the Python's. How many it wrote."""
    written = 0
    for res in segments:
        want = summary._header_line_py(res)
        got = _c(summary, res)
        if got is not None:
            written += 1
            assert got == want, f"frame {res.frame.number}"
        assert summary.header_line(res) == want
    return written


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_captures(path):
    segments, summary = _segments(path)
    _check(summary, segments)


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_synthetic(tmp_path, fmt):
    path = tmp_path / f"s.{fmt}"
    synthetic.generate(path, 6_000, seed=5, clients=80, sites=60)
    segments, summary = _segments(path)
    written = _check(summary, segments)
    assert written > len(segments) * 0.8        # the compiled helper writes the common lines


def _one(tmp_path) -> tuple[HeaderOnly, Summary, list]:
    path = tmp_path / "s.pcap"
    synthetic.generate(path, 600, seed=7, clients=10, sites=10)
    segments, summary = _segments(path)
    plain = [r for r in segments if _c(summary, r) is not None and r.headers[9] and r.headers[10]]
    assert plain
    return plain[len(plain) // 2], summary, segments


def _variant(res: HeaderOnly, headers=None, fields=None, **frame) -> HeaderOnly:
    f = res.frame
    args = {"number": f.number, "ts_ns": f.ts_ns, "origlen": f.origlen, "iface": f.iface, "linktype": f.linktype,
            "data": f.data}
    args.update(frame)
    new = Frame(args["number"], args["ts_ns"], args["origlen"], args["iface"], args["linktype"], args["data"])
    h = list(res.headers)
    for i, v in (headers or {}).items():
        h[i] = v
    return HeaderOnly(new, tuple(h), dict(res.fields) if fields is None else fields)


def test_damaged_where_it_decides(tmp_path):
    res, summary, _all = _one(tmp_path)
    assert _c(summary, res) == summary._header_line_py(res)
    data = res.frame.data
    h = res.headers
    summary_mod._flags_text(h[7] | 0x020)      # known flags: URG alone makes it decline
    declines = {
        "URG": _variant(res, {7: h[7] | 0x020}),
        "VLAN tag": _variant(res, data=data[:12] + b"\x81\x00" + data[14:]),
        "QinQ tag": _variant(res, data=data[:12] + b"\x88\xa8" + data[14:]),
        "other link type": _variant(res, linktype=105),
        "decode-as port": _variant(res, {2: 53}),
        "decode-as port (destination)": _variant(res, {4: 53}),
        "unseen flags": _variant(res, {7: 0x0C18}),
        "analysis words": _variant(res, fields={**res.fields, "tcp.analysis.retransmission": True}),
        "falsy analysis field": _variant(res, fields={**res.fields, "tcp.analysis.duplicate_ack": 0}),
        "SACK block": _variant(res, {10: b"\x01\x01\x05\x0a" + bytes(8)}),
        "TS of another length": _variant(res, {10: b"\x01\x01\x08\x0b" + bytes(8)}),
        "MSS option": _variant(res, {10: b"\x02\x04\x05\xb4"}),
        "before the first frame": _variant(res, ts_ns=summary.t0_ns - 1),
        "seq not an int": _variant(res, fields={**res.fields, "tcp.seq": "7"}),
        "seq a bool": _variant(res, fields={**res.fields, "tcp.seq": True}),
        "ack beyond 64 bits": _variant(res, fields={**res.fields, "tcp.ack": 1 << 70}),
        "window beyond 64 bits": _variant(res, fields={**res.fields, "tcp.window_size": 1 << 64}),
        "address with a control": _variant(res, {1: "10.0.0.1\x1b[2J"}),
        "address not ASCII": _variant(res, {3: "fe80::\u00e9"}),
    }
    for why, variant in declines.items():
        assert _c(summary, variant) is None, why
        assert summary.header_line(variant) == summary._header_line_py(variant), why
    # shapes no pipeline makes (the Python would fail on them): the helper declines them too
    assert _c(summary, HeaderOnly(res.frame, h[:10], res.fields)) is None
    assert _c(summary, _variant(res, {10: [1, 1]})) is None
    assert _c(summary, _variant(res, data=data[:12])) is None
    # the flags value the Python then remembers is written by the helper from then on
    unseen = declines["unseen flags"]
    summary._header_line_py(unseen)
    assert _c(summary, unseen) == summary._header_line_py(unseen)
    # values it writes: all widths and both time precisions
    writes = {
        "seq from the tuple": _variant(res, fields={k: v for k, v in res.fields.items() if k != "tcp.seq"}),
        "no ACK flag": _variant(res, {7: h[7] & ~0x010}),
        "no options": _variant(res, {10: b""}),
        "no payload, decode-as port": _variant(res, {2: 53, 9: 0}),
        "wide number": _variant(res, number=123456789),
        "huge time": _variant(res, ts_ns=summary.t0_ns + 99_999_123_456_789),
        "first frame's time": _variant(res, ts_ns=summary.t0_ns),
        "negative seq": _variant(res, fields={**res.fields, "tcp.seq": -5}),
        "long IPv6 addresses": _variant(res, {1: "2001:db8:85a3::8a2e:370:7334", 3: "::1"}),
        "max timestamps": _variant(res, {10: b"\x01\x01\x08\x0a" + b"\xff" * 8}),
        "cooked v1": _variant(res, linktype=113),
        "BSD loopback": _variant(res, linktype=0),
        "IPv6 EtherType": _variant(res, data=data[:12] + b"\x86\xdd" + data[14:]),
    }
    for why, variant in writes.items():
        want = summary._header_line_py(variant)     # (remembers the flags' text, as the first such line does)
        got = _c(summary, variant)
        assert got is not None, why
        assert got == want, why
    nine = Summary(digits_of=lambda frame: 9)
    nine.t0_ns = summary.t0_ns
    three = Summary(digits_of=lambda frame: 3)
    three.t0_ns = summary.t0_ns
    assert _c(nine, res) == nine._header_line_py(res) and ".000" in _c(summary, writes["first frame's time"])
    assert _c(three, res) is None and three.header_line(res) == three._header_line_py(res)
    # an interface column: the Python's (None)
    wide = Summary(interface_width=4)
    wide.t0_ns = summary.t0_ns
    assert wide.header_line(res) is None


def test_through_the_command(tmp_path, monkeypatch):
    """read's output is the same with and without the helper (the Python fallback alone). (read_steady, which
    calls tcp_line from C for the steady segments, is left out here: tests/test_read_fast_steady_line.py.)"""
    from click.testing import CliRunner

    from analyzer.cli.main import main
    from analyzer.filter import apply

    path = tmp_path / "s.pcapng"
    synthetic.generate(path, 3_000, seed=9, clients=40, sites=30)
    calls = []
    real = apply.compiled
    monkeypatch.setattr(apply, "compiled", lambda name: None if name == "read_steady" else real(name))

    def counting(*args):
        text = tcp_line(*args)
        calls.append(text is not None)
        return text

    monkeypatch.setattr(summary_mod, "_TCP_LINE", counting)
    fast = CliRunner().invoke(main, ["read", str(path)])
    monkeypatch.setattr(summary_mod, "_TCP_LINE", None)
    slow = CliRunner().invoke(main, ["read", str(path)])
    assert fast.exit_code == slow.exit_code == 0
    assert fast.output == slow.output
    assert sum(calls) > 1000
