"""The conversations table's widths kept by the row stores as their rows come
(analyzer.columnar.rows.SpilledRows.table_widths, analyzer.columnar.udp.ColumnRows.table_widths) are what the
table's own width pass reads from the rows (each address's longest port text, the longest stream number, the
earliest start), and the table is the same text with them as without them: on real captures (IPv4, IPv6,
TCP and UDP), synthetic traffic, and stores where the summary must decline (rows lacking the keys, renumbered
rows of two protocols, a start that is not an int)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.columnar.rows import SpilledRows, connection_rows
from analyzer.report import conversations as report

REPO = Path(__file__).resolve().parents[1]


class Plain:
    """A store without a summary: the table reads its rows twice."""

    def __init__(self, rows) -> None:
        self.rows = rows

    def __iter__(self):
        return iter(self.rows)

    def tuples(self, keys):
        return self.rows.tuples(keys)


def read_widths(rows, proto: str):
    """The width pass's facts, from the rows themselves."""
    ends: dict = {}
    streams, first = 0, None
    for p, stream, oh, op, rh, rp, ts in rows.tuples(report._WIDTH_KEYS):
        if p != proto:
            continue
        for addr, port in ((oh, op), (rh, rp)):
            ends[addr] = max(ends.get(addr, 0), len(str(port)))
        streams = max(streams, len(str(stream)))
        if first is None or ts < first:
            first = ts
    return ends, streams, first


def _check(rows, start) -> int:
    made = 0
    for proto in ("tcp", "udp"):
        got = rows.table_widths(proto)
        assert got is not None
        assert got == read_widths(rows, proto)
        made += len(got[0])
        assert (list(report.table_lines(rows, proto, start, None))
                == list(report.table_lines(Plain(rows), proto, start, None)))
    return made


@pytest.mark.parametrize("name", ["lab_page_fetch.pcapng", "lab_ipv6_page_fetch.pcapng", "lab_dns_mix.pcapng",
                                  "lab_lossy_fetch_retransmissions.pcapng", "lab_refused_connection_rst.pcapng"])
def test_capture_stores(name):
    with open_capture(REPO / "captures" / name) as reader:
        tcp, udp, start = connection_rows(reader, keys=report.TABLE_KEYS)
    assert _check(tcp, start) + _check(udp, start) > 0


def test_synthetic_stores(tmp_path):
    import synthetic

    path = tmp_path / "s.pcap"
    synthetic.generate(path, 20_000, seed=5, clients=300, sites=400)
    with open_capture(path) as reader:
        tcp, udp, start = connection_rows(reader, keys=report.TABLE_KEYS)
    assert len(tcp) > 100 and len(udp) > 100
    _check(tcp, start)
    _check(udp, start)


def _row(proto, stream, oh, op, rh, rp, ts):
    return {"proto": proto, "stream": stream, "id.orig_h": oh, "id.orig_p": op, "id.resp_h": rh, "id.resp_p": rp,
            "first_ts_ns": ts}


def test_the_summary_declines_where_the_rows_do_not_tell():
    lacking = SpilledRows()
    lacking.add({"proto": "tcp", "stream": 0}, 0)
    assert lacking.table_widths("tcp") is None
    mixed = SpilledRows(renumber="stream")
    mixed.add(_row("tcp", 0, "10.0.0.1", 1, "10.0.0.2", 80, 5), 0)
    mixed.add(_row("udp", 0, "10.0.0.1", 1, "10.0.0.2", 53, 5), 1)
    assert mixed.table_widths("tcp") is None
    odd = SpilledRows()
    odd.add(_row("tcp", 0, "10.0.0.1", 1, "10.0.0.2", 80, None), 0)
    assert odd.table_widths("tcp") is None
    # not renumbered: the stream numbers as they are; an address keeps its longest port
    kept = SpilledRows()
    kept.add(_row("udp", 12345, "10.0.0.1", 1, "10.0.0.2", 53, 9), 0)
    kept.add(_row("udp", 7, "10.0.0.2", 65535, "10.0.0.1", 22, 3), 1)
    kept.add(_row("udp", 8, "10.0.0.3", 9, "10.0.0.2", 1, 4), 2)
    kept.add(_row("udp", 9, "10.0.0.2", 7, "10.0.0.4", 123, 6), 3)
    assert kept.table_widths("udp") == ({"10.0.0.1": 2, "10.0.0.2": 5, "10.0.0.3": 1, "10.0.0.4": 3}, 5, 3)
    assert kept.table_widths("tcp") == ({}, 0, None)
    for store in (lacking, mixed, odd, kept):
        store.close()
