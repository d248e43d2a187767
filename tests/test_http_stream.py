"""``analyzer http --json`` streams (issue 12: memory bounded by the open connections, not by the file).

:meth:`analyzer.api.build.Analysis.http_stream` hands out each HTTP transaction as soon as nothing still open
can start before it; ``http --json`` prints them as they come. Checked here:

* the transactions are those of the whole pass (``Analysis.run``), in the same order, field for field, with a
  look after every frame (``every=1``, the hardest case for the order) on every capture, every corpus file,
  damaged copies (tests/mutants.py) and synthetic web traffic; ``http --json`` prints the rows of
  ``analyze().http``;
* an HTTP connection whose two directions both ended leaves the tracker's open sinks at once (its parsers
  are freed then, not at the end of the capture), with the same records;
* what the pass holds in its own code (analyzer/api, analyzer/apps: allocations alive when the last frame
  was read, tracemalloc) stays level when the same traffic of short connections is 4x longer, where the
  whole pass (which keeps every record for the end) grows with it. The TCP tracker's finished connections
  (analyzer/tcp, kept for ``conversations``) are not counted.
"""

from __future__ import annotations

import gc
import json
import sys
import tracemalloc
from pathlib import Path

import pytest
import synthetic
from click.testing import CliRunner

import analyzer
from analyzer.api.build import Analysis
from analyzer.capture import open_capture
from analyzer.capture.frame import Frame
from analyzer.cli.main import main
from analyzer.report import http as report

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fuzz.adversarial import _Conn, _response

CORPUS = REPO.parent / "shared" / "corpus"
CAPTURES = sorted((REPO / "captures").glob("*.pcap*"))
CORPUS_FILES = sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else []
MUTATED = ["lab_page_fetch.pcapng", "lab_lossy_fetch_retransmissions.pcapng"]


def _keys(path: Path):
    keys = path.with_suffix(".keys")
    return keys if keys.exists() else None


def _same(path: Path, every: int = 1) -> list:
    cap = analyzer.open(path, keylog=_keys(path))
    want = cap.analyze().http
    with cap.open() as reader:
        got = list(Analysis(keylog=cap.keylog).http_stream(reader, every=every))
    assert got == want, path.name
    return got


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
        _same(path)


def test_synthetic_web_traffic(tmp_path):
    path = tmp_path / "synthetic.pcap"
    synthetic.generate(path, 3_000, seed=5, clients=100, sites=100)
    assert len(_same(path, every=7)) > 50


def test_cli_prints_the_rows_of_the_pass():
    path = REPO / "captures" / "lab_wget_page_robots.pcapng"
    out = CliRunner().invoke(main, ["http", "--json", str(path)])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert rows == json.loads(json.dumps(report.rows(analyzer.open(path).analyze().http)))
    # tshark -r FILE -Y http.request -T fields -e frame.number -e http.request.uri
    assert [(r["request_frame"], r["uri"]) for r in rows] == [
        (12, "/"), (16, "/robots.txt"), (18, "/style.css"), (20, "/app.js"), (22, "/logo.png")]


def short_connections(n: int) -> list[Frame]:
    """``n`` HTTP connections one after the other (10.0.0.1 -> 10.0.0.2:80, 0.1 ms between frames): handshake,
    two GETs each answered 200 with a 14-byte body, FIN from each side (fuzz/adversarial.py's builder)."""
    frames: list = []
    for c in range(n):
        conn = _Conn(frames, "10.0.0.1", 20000 + c, "10.0.0.2", 80)
        conn.handshake()
        for uri in (b"/a", b"/b"):
            conn.send(True, b"GET " + uri + b" HTTP/1.1\r\nHost: www.example.com\r\n\r\n")
            conn.send(False, _response(b"<html>x</html>"))
        conn.close()
    return [Frame(i + 1, ts, len(data), None, 1, data) for i, (ts, data) in enumerate(frames)]


def test_closed_connections_leave_the_open_sinks():
    frames = short_connections(5)
    a = Analysis()
    seen = []

    def feed():
        for f in frames:
            yield f
            seen.append(len(a.tx.http.open))

    out = list(a.http_stream(feed(), every=1))
    # 10 frames a connection (handshake, two requests and responses, FIN, FIN, ACK): the second FIN ends it, so
    # at most one connection is open at a time (before, every one stayed open until the end: 5)
    assert max(seen) == 1
    assert [(t.stream, t.uri, t.status_code) for t in out] == [
        (s, uri, 200) for s in range(5) for uri in ("/a", "/b")]
    assert out == Analysis().run(frames).http


MINE = [tracemalloc.Filter(True, "*/analyzer/api/*"), tracemalloc.Filter(True, "*/analyzer/apps/*")]


def held_at_end(frames: list[Frame], stream: bool, analysis: Analysis | None = None, kind: str = "http",
                collect: bool = False) -> int:
    """Bytes allocated in analyzer/api and analyzer/apps still alive when the last frame was read, by a whole
    pass (``Analysis.run``) or by ``Analysis.<kind>_stream`` (the http or dns stream) of ``analysis``;
    ``collect``: a full collection first (it also empties the free lists: tuples freed stay traced there)."""
    held = {}

    def feed():
        yield from frames
        if collect:
            gc.collect()
        snap = tracemalloc.take_snapshot().filter_traces(MINE)
        held["bytes"] = sum(s.size for s in snap.statistics("filename"))

    a = analysis if analysis is not None else Analysis()
    gc.collect()
    tracemalloc.start()
    try:
        if stream:
            for _ in getattr(a, f"{kind}_stream")(feed(), every=64):
                pass
        else:
            a.run(feed())
    finally:
        tracemalloc.stop()
    return held["bytes"]


def test_memory_level_with_the_file():
    small, large = short_connections(25), short_connections(100)
    stream = held_at_end(large, True) / held_at_end(small, True)
    whole = held_at_end(large, False) / held_at_end(small, False)
    assert whole > 2.5, whole          # the measure sees the records a whole pass keeps
    assert stream < 1.5, stream


def test_frames_read_from_a_file(tmp_path):
    """The capture's own reader, through ``Capture.http_stream``."""
    path = REPO / "captures" / "lab_two_curl_runs.pcapng"
    with open_capture(path) as reader:
        assert sum(1 for _ in reader) > 0
    assert list(analyzer.open(path).http_stream()) == analyzer.open(path).analyze().http
