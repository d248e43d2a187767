"""The timeline fed in batches (``TimelineRun.feed_batch``, ``Collector.feed_batch``: TCP segments straight from a
batch's buffer and header columns, by the compiled loop ``_speedups.timeline_tcp`` or its Python twin, and DNS
messages over UDP from the columns without a Frame: ``Collector._dns_udp``) gives
what feeding the same frames one at a time (``TimelineRun.feed``) gives: every connection's segment log (its
records, the first bytes kept each way, conflicts, cut payload, next hop, count), and the fetches as
``timeline --json`` prints them, with bodies kept and not. Compared on every capture in captures/, the TLS
fixtures with their keys, the corpus, damaged copies (tests/mutants.py), in batches of several sizes (the
run's checks fall inside and across batches)."""

from __future__ import annotations

from pathlib import Path

import pytest

# the files and readers of the frame-by-frame comparison (the collector's fast paths against its plain one)
from test_timeline_collect_paths import CAPTURES, CORPUS, CORPUS_FILES, MUTATED, REPO, _frames, _keylog

import analyzer
from analyzer.capture.batches import frame_batches
from analyzer.timeline import collect
from analyzer.timeline.collect import PendingConn
from analyzer.timeline.run import TimelineRun

TLS = sorted((REPO / "tests" / "fixtures" / "tls").glob("*.pcap*"))


def _log_state(log) -> tuple:
    pending = log.conn.__class__ is PendingConn
    return (log.conn.stream, pending, bytes(log.log), log.count, log.truncated, log.cut, log.tail_start,
            log.next_hop_mac, log.syn_ip, log.epoch, log.base_ts, repr(log.heads), log.conflicts, log.stamps)


class _Logs(TimelineRun):
    """A run that also notes every log's state when the tracker finishes its connection."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.states: list[tuple] = []

    def finished(self, log) -> None:
        self.states.append(_log_state(log))
        super().finished(log)


def _run(frames: list, keylog, batch: int | None, keep_bodies: bool) -> tuple[list, list]:
    run = _Logs("en", keep_bodies=keep_bodies, keylog=keylog)
    out = []
    if batch is None:
        for frame in frames:
            out += run.feed(frame)
    else:
        for b in frame_batches(frames, batch):
            out += run.feed_batch(b)
    out += run.finish()
    return [f.as_dict() for f in out], run.states + [_log_state(g) for g in run.collector.logs.values()]


def _same(path: Path, sizes=(1, 7, 1000, 8192), monkeypatch=None) -> None:
    frames = _frames(path)
    keylog = _keylog(path)
    for keep in (False, True):
        one = _run(frames, keylog, None, keep)
        for size in sizes:
            got = _run(frames, keylog, size, keep)
            assert got[1] == one[1], f"{path.name}: the segment logs differ in batches of {size}"
            assert got[0] == one[0], f"{path.name}: the fetches differ in batches of {size}"
        if monkeypatch is not None:
            with monkeypatch.context() as m:
                m.setattr(collect, "_timeline_tcp", None)      # the Python twin of the compiled loop
                got = _run(frames, keylog, 1000, keep)
            assert got == one, f"{path.name}: the Python loop's logs or fetches differ"


@pytest.mark.parametrize("path", CAPTURES + TLS, ids=lambda p: p.name)
def test_captures(path, monkeypatch):
    _same(path, monkeypatch=monkeypatch)


@pytest.mark.skipif(not CORPUS_FILES, reason=f"corpus folder {CORPUS} not present")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus(path, monkeypatch):
    _same(path, (5, 4096), monkeypatch)


@pytest.mark.parametrize("name", MUTATED)
def test_mutated(tmp_path, name, monkeypatch):
    from mutants import mutated_pcaps

    for path in mutated_pcaps(name, tmp_path):
        _same(path, (3, 500), monkeypatch)


def test_compiled_loop_is_used():
    """With the helper built, the batch path's TCP segments go through the compiled loop (the tests above would
    otherwise compare the Python loop with itself)."""
    from analyzer.compiled import compiled

    if compiled("headers") is None:
        pytest.skip("the compiled helper is not built, or ANALYZER_PURE_PYTHON is set")
    assert collect._timeline_tcp is compiled("timeline_tcp") is not None


def test_stream_fetches_reads_batches(monkeypatch):
    """``Capture.stream_fetches`` on one file reads it in batches, and gives the fetches and progress calls
    that feeding its frames one at a time gives."""
    path = REPO / "captures" / "lab_page_fetch.pcapng"
    fed = []
    real = TimelineRun.feed_batch

    def counted(self, batch):
        fed.append(len(batch))
        return real(self, batch)

    monkeypatch.setattr(TimelineRun, "feed_batch", counted)
    calls: list[int] = []
    got = [f.as_dict() for f in analyzer.open(str(path)).stream_fetches(on_frame=calls.append)]
    frames = _frames(path)
    run = TimelineRun("en")
    want = []
    for frame in frames:
        want += run.feed(frame)
    want += run.finish()
    assert sum(fed) == len(frames)
    assert got == [f.as_dict() for f in want]
    assert calls == list(range(1024, len(frames) + 1, 1024))
