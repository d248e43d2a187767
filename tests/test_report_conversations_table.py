"""The conversations table read from the spilled rows as value tuples (``SpilledRows.tuples``, what
``analyzer conversations`` does) is the table of the same rows as mappings (what ``-j N`` and API callers
pass), line for line, on every capture and corpus file; and ``tuples(keys)`` gives each row's values as the
row itself has them (None for a key it lacks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.columnar.rows import connection_rows
from analyzer.report import conversations as report

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_table_from_tuples_is_the_table_from_mappings(path):
    with open_capture(path) as reader:
        tcp, udp, start = connection_rows(reader, keys=report.TABLE_KEYS)
    try:
        for rows, proto in ((tcp, "tcp"), (udp, "udp")):
            as_dicts = [dict(r) for r in rows]
            assert list(report.table_lines(rows, proto, start)) == list(report.table_lines(as_dicts, proto, start))
            keys = (*report.TABLE_KEYS, "no.such.key")
            assert list(rows.tuples(keys)) == [tuple(d.get(k) for k in keys) for d in as_dicts]
    finally:
        tcp.close()
        udp.close()


def test_table_of_a_store_with_mixed_row_shapes():
    # rows kept whole (no ``keys``): a row may lack keys another has (UDP vs TCP details)
    path = REPO / "captures" / "lab_page_fetch.pcapng"          # TCP and DNS over UDP
    with open_capture(path) as reader:
        tcp, udp, _start = connection_rows(reader, details=True)
    try:
        assert len(tcp) and len(udp)
        for rows in (tcp, udp):
            as_dicts = [dict(r) for r in rows]
            keys = ("stream", "history", "irtt", "closed_by", "missing")
            assert list(rows.tuples(keys)) == [tuple(d.get(k) for k in keys) for d in as_dicts]
    finally:
        tcp.close()
        udp.close()
