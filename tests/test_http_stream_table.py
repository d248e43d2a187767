"""``analyzer http`` (text table) and ``http -Y`` stream too (issue 12), as ``http --json`` does
(tests/test_http_stream.py).

* With a display filter, :meth:`Analysis.http_stream <analyzer.api.build.Analysis.http_stream>` given a
  :class:`~analyzer.api.stream.WindowMatcher` hands out the transactions of ``Capture(display_filter=...)``,
  in order, field for field, with a look after every frame, on every capture and corpus file; the matcher's
  frame numbers and what the pass holds stay level when the traffic is 4x longer (tracemalloc, as there).
* The text tables (:func:`analyzer.report.http.table_lines`, :func:`analyzer.report.dns.table_lines`) give
  :func:`~analyzer.report.http.table`'s lines while they hold fewer rows than ``width_rows``; past that, a
  wider client overflows its column and nothing else changes. ``analyzer http`` prints the table of
  ``analyze().http``.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

import analyzer
from analyzer.api.build import Analysis
from analyzer.api.stream import WindowMatcher
from analyzer.capture.frame import Frame
from analyzer.cli.main import main
from analyzer.filter import compile_filter
from analyzer.report import dns as dns_report
from analyzer.report import http as report

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from test_http_stream import CAPTURES, CORPUS, CORPUS_FILES, _keys, short_connections

FILTERS = ["http.response.code == 200", "tcp.len > 0 and frame.number > 20"]


def _same_filtered(path: Path, text: str, every: int = 1) -> list:
    want = analyzer.open(path, keylog=_keys(path), display_filter=text).analyze().http
    cap = analyzer.open(path, keylog=_keys(path))
    with cap.open() as reader:
        got = list(Analysis(matcher=WindowMatcher(compile_filter(text)), keylog=cap.keylog)
                   .http_stream(reader, every=every))
    assert got == want, (path.name, text)
    return got


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_captures(path):
    for text in FILTERS:
        _same_filtered(path, text)


@pytest.mark.skipif(not CORPUS_FILES, reason=f"corpus folder {CORPUS} not present")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus(path):
    _same_filtered(path, FILTERS[0], every=3)


def test_filter_keeps_some_and_not_others():
    path = REPO / "captures" / "lab_wget_page_robots.pcapng"
    # tshark -r FILE -Y "http.request.uri == \"/robots.txt\"" -T fields -e frame.number -> 16
    got = _same_filtered(path, 'http.request.uri == "/robots.txt"')
    assert [(t.request_frame, t.uri) for t in got] == [(16, "/robots.txt")]


MINE = [tracemalloc.Filter(True, "*/analyzer/api/*"), tracemalloc.Filter(True, "*/analyzer/apps/*")]


def held_at_end(frames: list[Frame]) -> tuple[int, int]:
    """Bytes allocated in analyzer/api and analyzer/apps still alive when the last frame was read, and the
    frame numbers the matcher held then (``tcp``: every frame matches)."""
    held = {}
    matcher = WindowMatcher(compile_filter("tcp"))

    def feed():
        yield from frames
        gc.collect()        # a full collection also empties the free lists (tuples freed stay traced there)
        snap = tracemalloc.take_snapshot().filter_traces(MINE)
        held["bytes"] = sum(s.size for s in snap.statistics("filename"))
        held["numbers"] = len(matcher.numbers)

    a = Analysis(matcher=matcher)
    gc.collect()
    tracemalloc.start()
    try:
        n = sum(1 for _ in a.http_stream(feed(), every=64))
    finally:
        tracemalloc.stop()
    assert n == 2 * (len(frames) // 10)
    return held["bytes"], held["numbers"]


def test_memory_level_with_the_file():
    (small, small_numbers), (large, large_numbers) = held_at_end(short_connections(25)), \
        held_at_end(short_connections(100))
    assert large / small < 1.5, large / small
    # every frame matches (250 and 1,000 of them): held are those since the look before last (2 x 64) and
    # of the connection still open (10 frames each), not the file's
    assert max(small_numbers, large_numbers) <= 2 * 64 + 10, (small_numbers, large_numbers)


def _rows(path: Path) -> list[dict]:
    return report.rows(analyzer.open(path, keylog=_keys(path)).http)


def test_table_lines_are_the_table():
    path = REPO / "captures" / "lab_wget_page_robots.pcapng"
    rows = _rows(path)
    start = analyzer.open(path).analyze().first_ts_ns
    assert list(report.table_lines(iter(rows), lambda: start)) == report.table(rows, start).split("\n")
    out = CliRunner().invoke(main, ["http", str(path)])
    assert out.exit_code == 0, out.output
    assert out.output == report.table(rows, start) + "\n"


def test_a_wider_client_after_the_first_rows_overflows():
    row = _rows(REPO / "captures" / "lab_wget_page_robots.pcapng")[0]
    wide = dict(row, **{"id.orig_h": "2001:db8:1234:5678:9abc:def0:1234:5678"})
    rows = [row, row, wide]
    whole = report.table(rows, 0).split("\n")
    streamed = list(report.table_lines(rows, 0, width_rows=2))
    assert len(streamed) == len(whole) == 4
    # the whole table widens the Client column for the last row; the stream keeps the first rows' 22
    assert whole[0] != streamed[0] and streamed[0].index("Method") == 11 + 22 + 1
    assert streamed[3].split() == whole[3].split() and len(streamed[3]) > len(streamed[1])
    assert list(report.table_lines(rows, 0, width_rows=3)) == whole


def test_dns_table_lines_are_the_table():
    path = REPO / "captures" / "lab_dns_mix.pcapng"
    cap = analyzer.open(path)
    rows = dns_report.rows(cap.dns)
    start = cap.analyze().first_ts_ns
    assert list(dns_report.table_lines(iter(rows), start, width_rows=5)) == dns_report.table(rows, start).split("\n")
