"""The run's per-check scans made cheaper give the same answers: ``_speedups.held_todo`` (the waiters
``TimelineRun._resolve_held`` must look at) leaves out exactly those its loop passes over as unchanged and not
due, and ``TimelineRun._done`` (the connection that kept an activity open asked first) says what
``_hold(act, now) <= now`` says. Checked at every check of generated traffic (thousands of waiters) and on every
capture in captures/; the fetches are the same with both off."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from analyzer.compiled import compiled
from analyzer.timeline import run as runmod
from analyzer.timeline.collect import ConnLog

REPO = Path(__file__).resolve().parent.parent
CAPTURES = sorted((REPO / "captures").glob("*.pcap*"))
HELD_TODO = compiled("held_todo")


def _reference(waiters, undecided, done, now):
    """_resolve_held's own test, item by item."""
    out = []
    for stream, entry in list(waiters.items()):
        log = entry[0]
        known = undecided.get(stream)
        if known is not None and now < known[1]:
            last_ts, n_records, was_done = known[0]
            if last_ts == log.conn.last_ts and n_records == log.records_count() and was_done == (stream in done):
                continue
        out.append((stream, entry))
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("scans") / "syn.pcap"
    gen = REPO / "benchmarks" / "gen_synthetic.py"
    subprocess.run([sys.executable, str(gen), "--packets", "20000", "--out", str(out)], check=True,
                   capture_output=True)
    return out


def _texts(path: Path) -> list[str]:
    from analyzer.cli.timeline import stream

    return [f.json_text() for f in stream(str(path), "en")]


def _checked(monkeypatch, counts: dict) -> None:
    """Both new answers compared with the old ones wherever the run asks."""
    real_done = runmod.TimelineRun._done

    def done(self, act, now):
        got = real_done(self, act, now)
        assert got == (self._hold(act, now) <= now)
        counts["done"] += 1
        return got

    monkeypatch.setattr(runmod.TimelineRun, "_done", done)
    if HELD_TODO is not None:
        def todo(waiters, undecided, done_set, now, connlog):
            got = HELD_TODO(waiters, undecided, done_set, now, connlog)
            want = _reference(waiters, undecided, done_set, now)
            assert got == want
            counts["waiters"] += len(waiters)
            counts["left out"] += len(waiters) - len(got)
            return got

        monkeypatch.setattr(runmod, "_held_todo", todo)


def test_generated_traffic(generated, monkeypatch):
    base = None
    with monkeypatch.context() as m:
        m.setattr(runmod, "_held_todo", None)
        m.setattr(runmod.TimelineRun, "_done", lambda self, act, now: self._hold(act, now) <= now)
        base = _texts(generated)
    counts = {"done": 0, "waiters": 0, "left out": 0}
    _checked(monkeypatch, counts)
    assert _texts(generated) == base
    assert counts["done"] > 1000
    if HELD_TODO is not None:
        assert counts["left out"] > 1000 and counts["waiters"] > counts["left out"]


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_captures(path, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(runmod, "_held_todo", None)
        m.setattr(runmod.TimelineRun, "_done", lambda self, act, now: self._hold(act, now) <= now)
        base = _texts(path)
    _checked(monkeypatch, {"done": 0, "waiters": 0, "left out": 0})
    assert _texts(path) == base


class _Log:
    """A log of another class than ConnLog: its records counted by records_count()."""

    def __init__(self, last_ts, n):
        self.conn = SimpleNamespace(last_ts=last_ts)
        self.n = n

    def records_count(self):
        return self.n


@pytest.mark.skipif(HELD_TODO is None, reason="the compiled helper is not built (or ANALYZER_PURE_PYTHON)")
def test_held_todo_cases():
    real = ConnLog(SimpleNamespace(first_ts=5, last_ts=9, sides=(SimpleNamespace(port=80), SimpleNamespace(port=1))))
    real.records = [1, 2]
    none = ConnLog(SimpleNamespace(first_ts=5, last_ts=9, sides=(SimpleNamespace(port=80), SimpleNamespace(port=1))))
    none._records = None
    waiters = {
        1: (real, 0, []),                   # unchanged, not due: left out
        2: (real, 0, []),                   # not known undecided
        3: (real, 0, []),                   # due (now == due)
        4: (real, 0, []),                   # last_ts changed
        5: (real, 0, []),                   # a record more
        6: (real, 0, []),                   # finished since
        7: (none, 0, []),                   # no records list: 0, unchanged
        8: (_Log(9, 3), 0, []),             # another class, unchanged
        9: (_Log(9, 3), 0, []),             # another class, changed
        10: (SimpleNamespace(), 0, []),     # no conn: kept
        11: (real, 0, []),                  # a stamp of another shape: kept
        12: "not a tuple",                  # kept
    }
    undecided = {1: ((9, 2, False), 100), 3: ((9, 2, False), 50), 4: ((8, 2, False), 100), 5: ((9, 1, False), 100),
                 6: ((9, 2, False), 100), 7: ((9, 0, False), 100), 8: ((9, 3, False), 100), 9: ((9, 4, False), 100),
                 10: ((9, 2, False), 100), 11: ((9, 2), 100), 12: ((9, 2, False), 100)}
    done = {6}
    got = HELD_TODO(waiters, undecided, done, 50, ConnLog)
    assert [s for s, _ in got] == [2, 3, 4, 5, 6, 9, 10, 11, 12]
    assert all(e is waiters[s] for s, e in got)
    assert HELD_TODO([], undecided, done, 50, ConnLog) is None
