"""``analyzer logs`` in one process streams (issue 12): :func:`analyzer.logs.stream.stream_logs`.

* The files are those :func:`analyzer.logs.write.write_logs` writes from the whole pass (``cap.analyze()``),
  byte for byte (JSON lines, TSV; Parquet's rows), with runs of 3 records (every record goes through a run
  file and the merge) and a look for final DNS records after every frame, on every capture and corpus file.
* What the pass holds in its own code (analyzer/api, analyzer/apps, analyzer/logs: allocations alive when the
  last frame was read, tracemalloc) stays level when the same traffic (short HTTP connections; DNS lookups
  every second) is 4x longer, where the whole pass grows with it; the records are in the run files.
"""

from __future__ import annotations

import filecmp
import gc
import os
import sys
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

import analyzer
from analyzer.api.build import Analysis
from analyzer.capture.frame import Frame
from analyzer.cli.main import main
from analyzer.logs import stream as logs_stream
from analyzer.logs.write import LOGS, read_logs, write_logs

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from test_http_stream import short_connections

CORPUS = REPO.parent / "shared" / "corpus"
CAPTURES = sorted((REPO / "captures").glob("*.pcap*"))
CORPUS_FILES = sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else []


def _keys(path: Path):
    keys = path.with_suffix(".keys")
    return keys if keys.exists() else None


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _same(path: Path, tmp_path: Path, fmt: str = "jsonl", every: int = 1) -> None:
    whole, streamed = tmp_path / "whole", tmp_path / "streamed"
    write_logs(analyzer.open(path, keylog=_keys(path)).analyze(), str(whole), fmt)
    counts = logs_stream.stream_logs(analyzer.open(path, keylog=_keys(path)), str(streamed), fmt, run_rows=3,
                                     every=every)
    assert _files(whole) == _files(streamed), path.name
    for name in _files(whole):
        if fmt == "parquet":
            continue
        assert filecmp.cmp(whole / name, streamed / name, shallow=False), (path.name, name)
    for name in LOGS:
        rows = read_logs(str(streamed), name)
        assert rows == read_logs(str(whole), name), (path.name, name)
        assert counts[name] == len(rows)


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_captures(path, tmp_path):
    _same(path, tmp_path)


@pytest.mark.skipif(not CORPUS_FILES, reason=f"corpus folder {CORPUS} not present")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus(path, tmp_path):
    _same(path, tmp_path, every=5)


def test_runs_merged_into_one_past_max_runs(tmp_path, monkeypatch):
    """Runs of 3 records, at most 4 run files: every record goes through several merges, the files the same."""
    monkeypatch.setattr(logs_stream, "MAX_RUNS", 4)
    spool = logs_stream.Spool(str(tmp_path), "x", run_rows=3)
    keys = [(k * 7919 % 101,) for k in range(100)]
    for k in keys:
        spool.add(k, k[0])
    assert len(spool.runs) < 4 and spool.made > 30
    assert list(spool.merged()) == sorted(k[0] for k in keys)
    _same(REPO / "captures" / "lab_page_fetch.pcapng", tmp_path / "page")


@pytest.mark.parametrize("fmt", ["tsv", "parquet"])
def test_formats(fmt, tmp_path):
    pytest.importorskip("pyarrow")
    _same(REPO / "captures" / "lab_page_fetch.pcapng", tmp_path, fmt)


def test_cli_writes_the_logs_of_the_pass(tmp_path):
    path = REPO / "captures" / "lab_dns_mix.pcapng"
    out = CliRunner().invoke(main, ["logs", "-j", "1", "--format", "jsonl", "-o", str(tmp_path / "l"), str(path)])
    assert out.exit_code == 0, out.output
    write_logs(analyzer.open(path).analyze(), str(tmp_path / "w"), "jsonl")
    assert _files(tmp_path / "l") == _files(tmp_path / "w")
    assert not any(name.startswith(".") for name in os.listdir(tmp_path / "l"))     # no runs left behind


MINE = [tracemalloc.Filter(True, "*/analyzer/api/*"), tracemalloc.Filter(True, "*/analyzer/apps/*"),
        tracemalloc.Filter(True, "*/analyzer/logs/*")]


class _Frames:
    """A capture stand-in for :func:`stream_logs`: ``open()`` gives ``frames``; ``held`` gets the bytes
    allocated in MINE still alive when the last frame was read."""

    keylog = None
    local_nets = None

    def __init__(self, frames: list[Frame]):
        self.frames = frames
        self.held = 0

    def open(self):
        cap = self

        class Reader:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def __iter__(self):
                yield from cap.frames
                gc.collect()        # a full collection also empties the free lists (freed tuples stay traced)
                snap = tracemalloc.take_snapshot().filter_traces(MINE)
                cap.held = sum(s.size for s in snap.statistics("filename"))

        return Reader()


def held_streamed(frames: list[Frame], tmp_path: Path) -> int:
    cap = _Frames(frames)
    gc.collect()
    tracemalloc.start()
    try:
        logs_stream.stream_logs(cap, str(tmp_path), "jsonl", run_rows=50, every=64)
    finally:
        tracemalloc.stop()
    return cap.held


def held_whole(frames: list[Frame]) -> int:
    held = {}

    def feed():
        yield from frames
        gc.collect()
        snap = tracemalloc.take_snapshot().filter_traces(MINE)
        held["bytes"] = sum(s.size for s in snap.statistics("filename"))

    gc.collect()
    tracemalloc.start()
    try:
        Analysis().run(feed())
    finally:
        tracemalloc.stop()
    return held["bytes"]


def lookups_one_port(n: int) -> list[Frame]:
    """test_timeline_memory.lookups_every_second with every query from port 20000: one UDP conversation (the
    UDP table and the IP bytes keep each conversation to the end, as ``conversations`` needs them)."""
    from test_timeline_memory import dns_message, eth, ipv4

    from fuzz.adversarial import udp

    out = []
    for i in range(n):
        t, name = 1_700_000_000 * 10**9 + i * 10**9, f"n{i}.test"
        out.append((t, eth(ipv4("10.0.0.7", "10.0.0.53", 17, udp("10.0.0.7", "10.0.0.53", 20000, 53,
                                                                  dns_message(i, name, False))))))
        out.append((t + 2_000_000, eth(ipv4("10.0.0.53", "10.0.0.7", 17, udp("10.0.0.53", "10.0.0.7", 53, 20000,
                                                                              dns_message(i, name, True))))))
    return [Frame(i + 1, ts, len(data), None, 1, data) for i, (ts, data) in enumerate(out)]


def connections_every_second(n: int) -> list[Frame]:
    """test_http_stream.short_connections (10 frames each) one a second: the TCP tracker finishes a closed one
    after two minutes of packet time, so about 120 are open at any time however long the traffic goes on."""
    frames = short_connections(n)
    t0 = frames[0].ts_ns
    return [Frame(f.number, t0 + (i // 10) * 10**9 + (i % 10) * 100_000, f.origlen, None, 1, f.data)
            for i, f in enumerate(frames)]


@pytest.mark.parametrize("traffic", [connections_every_second, lookups_one_port], ids=["http", "dns"])
def test_memory_level_with_the_file(traffic, tmp_path):
    small, large = traffic(150), traffic(600)
    whole = held_whole(large) / held_whole(small)
    assert whole > 2.5, whole          # the measure sees the records a whole pass keeps
    stream = held_streamed(large, tmp_path / "l") / held_streamed(small, tmp_path / "s")
    assert stream < 1.5, stream
