"""The timeline's compiled loop takes a steady segment itself (``_speedups.c`` ``tl_steady``: an ACK or in-order
data segment of an established connection with sinks, where ``TcpTracker.segment``'s fast path with sinks would
change only counts) and leaves the TCP tracker exactly as the tracker's own call would: every slot of every
connection, side and reassembler, after every batch, the segment logs and the fetches, on captures/, the TLS
fixtures with their keys, damaged copies and generated traffic (tests/test_timeline_batch.py compares the
batches with frame-by-frame feeding too, with the steady path on)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_timeline_collect_paths import CAPTURES, MUTATED, REPO, _frames, _keylog

from analyzer.capture.batches import frame_batches
from analyzer.compiled import compiled
from analyzer.tcp.connection import TcpTracker
from analyzer.timeline import collect
from analyzer.timeline.run import TimelineRun

TLS = sorted((REPO / "tests" / "fixtures" / "tls").glob("*.pcap*"))
BUILT = compiled("timeline_tcp") is not None
_PLAIN = (int, str, bytes, float, bool, type(None))


def _value(v, depth: int = 0):
    """A slot's value, comparable between two runs: plain values as they are, containers by their items, the
    tracker's own objects by their slots (two levels), anything else by its class."""
    if isinstance(v, _PLAIN):
        return v
    if isinstance(v, (tuple, list)):
        return (type(v).__name__, tuple(_value(x, depth) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple((_value(k, depth), _value(x, depth)) for k, x in v.items()))
    if isinstance(v, (set, frozenset)):
        return ("set", tuple(sorted(map(repr, v))))
    if hasattr(v, "__slots__") and depth < 2 and type(v).__module__.startswith("analyzer.tcp"):
        return _slots(v, depth + 1)
    return type(v).__name__


def _slots(o, depth: int = 0) -> tuple:
    names = []
    for cls in type(o).__mro__:
        s = cls.__dict__.get("__slots__", ())
        names += [s] if isinstance(s, str) else list(s)
    return (type(o).__name__,) + tuple((n, _value(getattr(o, n, "<unset>"), depth)) for n in names
                                       if n not in ("sink", "_sink", "__weakref__"))


def _tracker_state(run: TimelineRun) -> list:
    tracker = run.collector.pipe.tcp
    seen = {}
    for conn, _d in list(tracker.flows._map.values()):
        seen[id(conn)] = conn
    return [_slots(c) for c in sorted(seen.values(), key=lambda c: c.stream)]


def _run(frames: list, keylog, steady: bool, size: int = 1000) -> tuple[list, list, int]:
    collect.STEADY = steady
    calls = [0]
    real = TcpTracker._steady_sink

    def counted(self, *a):
        calls[0] += 1
        return real(self, *a)

    TcpTracker._steady_sink = counted
    try:
        run = TimelineRun("en", keylog=keylog)
        out, states = [], []
        for b in frame_batches(frames, size):
            out += run.feed_batch(b)
            states.append(_tracker_state(run))
        out += run.finish()
    finally:
        TcpTracker._steady_sink = real
        collect.STEADY = True
    logs = [(lg.conn.stream, bytes(lg.log), lg.count, repr(lg.heads), lg.conflicts) for lg in run.collector.logs.values()]
    return [f.as_dict() for f in out], states + [logs], calls[0]


def _same(path: Path, size: int = 1000) -> int:
    frames = _frames(path)
    keylog = _keylog(path)
    want = _run(frames, keylog, False, size)
    got = _run(frames, keylog, True, size)
    assert got[1] == want[1], f"{path.name}: the tracker's state differs with the steady path"
    assert got[0] == want[0], f"{path.name}: the fetches differ with the steady path"
    return want[2] - got[2]        # the steady segments the compiled loop took


@pytest.mark.skipif(not BUILT, reason="the compiled helper is not built (or ANALYZER_PURE_PYTHON)")
@pytest.mark.parametrize("path", CAPTURES + TLS, ids=lambda p: p.name)
def test_captures(path):
    _same(path)


@pytest.mark.skipif(not BUILT, reason="the compiled helper is not built (or ANALYZER_PURE_PYTHON)")
@pytest.mark.parametrize("name", MUTATED)
def test_mutated(tmp_path, name):
    from mutants import mutated_pcaps

    for path in mutated_pcaps(name, tmp_path):
        _same(path, 7)


@pytest.mark.skipif(not BUILT, reason="the compiled helper is not built (or ANALYZER_PURE_PYTHON)")
def test_generated_traffic(tmp_path):
    out = tmp_path / "syn.pcap"
    gen = REPO / "benchmarks" / "gen_synthetic.py"
    subprocess.run([sys.executable, str(gen), "--packets", "4000", "--out", str(out)], check=True,
                   capture_output=True)
    taken = _same(out, 500)
    assert taken > 1000         # most steady segments went through the compiled path


@pytest.mark.skipif(not BUILT, reason="the compiled helper is not built (or ANALYZER_PURE_PYTHON)")
def test_a_replaced_segment_is_called(monkeypatch):
    """A tracker whose ``segment`` is not TcpTracker.segment's (a subclass's, a patched one) gets every segment."""
    path = REPO / "captures" / "lab_page_fetch.pcapng"
    frames = _frames(path)
    real = TcpTracker.segment
    nums = []

    def counted(self, ts, num, *a, **k):
        nums.append(num)
        return real(self, ts, num, *a, **k)

    monkeypatch.setattr(TcpTracker, "segment", counted)
    run = TimelineRun("en")
    for b in frame_batches(frames, 1000):
        run.feed_batch(b)
    run.finish()
    tcp = [f.number for f in frames if b"\x08\x00" == bytes(f.data[12:14]) and f.data[23] == 6]
    assert set(tcp) <= set(nums)
