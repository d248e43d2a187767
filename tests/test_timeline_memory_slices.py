"""A long activity of bare TCP attempts is explained in slices (issue 14: memory bounded by the open
connections, not by the attempts in the file).

A SYN flood or a port scan is one client activity that never goes quiet, so before slicing it was closed
whole at the end of the input: every attempt's facts, plan and fetch at once (737 MB at 100,000 attempts,
1,409 MB at 200,000). :meth:`analyzer.timeline.run.TimelineRun._slice` cuts it in slices of
``SLICE_MIN`` connections that give the same fetches as the whole. Checked here with a small ``SLICE_MIN``:

* the fetches are those of a run that never slices, in the same order, field for field (attempts, refused
  ones, and attempts to one server and port a few ms apart, which make one fetch: no cut between them);
* what the end of the input adds to memory (tracemalloc peak while the last fetches come out, less what the
  run held before; after the tracker finished its attempts, which is analyzer/tcp's) stays level when the
  attempts grow 4x, instead of growing 4x;
* before the end of the input, attempts quiet for ``SLICE_AGE_NS`` leave memory: a flood of 500 attempts
  holds about ``SLICE_AGE_NS`` of them at a time, and the fetches differ from the unsliced run's only in
  how long the capture went on after each unanswered SYN of a slice (up to the cut, not to the end).
"""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import pytest

from analyzer.capture.frame import Frame
from analyzer.timeline import TimelineRun
from analyzer.timeline import run as run_mod

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fuzz.adversarial import ACK, RST, SYN, eth, half_open, ipv4, tcp

S = 1_000_000_000


def attempts(n: int, step_ns: int = 100_000, refuse_every: int = 0, twice_every: int = 0) -> list[Frame]:
    """``n`` SYNs from 10.0.0.1 to distinct hosts and ports ``step_ns`` apart (fuzz/adversarial.py
    ``half_open``); every ``refuse_every``-th answered 5 ms later by RST, ACK; every ``twice_every``-th
    followed 1 ms later by a SYN from another port to the same server and port (rule 2 joins the two)."""
    out = []
    t0 = half_open(1)[0][0]
    for i, (_ts, data) in enumerate(half_open(n)):
        ts = t0 + i * step_ns
        out.append((ts, data))
        server, port = f"10.1.{(i >> 8) & 0xFF}.{i & 0xFF}", 1 + i % 60000
        if refuse_every and i % refuse_every == 0:
            rst = tcp(server, "10.0.0.1", port, 40000 + i % 20000, 0, 7 * i + 1, RST | ACK)
            out.append((ts + 5_000_000, eth(ipv4(server, "10.0.0.1", 6, rst))))
        if twice_every and i % twice_every == 0:
            syn = tcp("10.0.0.1", server, 20000 + i % 20000, port, 3 * i, 0, SYN)
            out.append((ts + 1_000_000, eth(ipv4("10.0.0.1", server, 6, syn))))
    out.sort(key=lambda x: x[0])
    return [Frame(i + 1, ts, len(data), None, 1, data) for i, (ts, data) in enumerate(out)]


def run(frames: list[Frame], slice_min: int, age_ns: int = run_mod.SLICE_AGE_NS, measure: bool = False,
        monkeypatch=None) -> tuple[list, dict]:
    """The fetches (as dicts, in the order handed out) and what was seen on the way: the most connections an
    activity held, and with ``measure`` the memory the end of the input added (tracemalloc)."""
    monkeypatch.setattr(run_mod, "SLICE_MIN", slice_min)
    monkeypatch.setattr(run_mod, "SLICE_AGE_NS", age_ns)
    r = TimelineRun()
    out: list = []
    held = 0
    for f in frames:
        out += [x.as_dict() for x in r.feed(f)]
        held = max(held, max((len(a.conns) for a in r.activities.values()), default=0))
    seen = {"held": held}
    if measure:
        # the tracker first finishes its attempts (TcpTracker.close_all makes each a full connection, ~1.2 KB:
        # analyzer/tcp, not the timeline's); measured is what the timeline's end adds after that
        r.collector.finish()
        monkeypatch.setattr(r.collector, "finish", lambda: None)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
    for x in r.finishing():
        if not measure:             # measured: each fetch dropped once handed out, as a streaming reader does
            out.append(x.as_dict())
    if measure:
        seen["end_bytes"] = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
    return out, seen


@pytest.mark.parametrize("shape", [{}, {"refuse_every": 7}, {"twice_every": 5}])
def test_slices_give_the_fetches_of_the_whole(shape, monkeypatch):
    frames = attempts(300, **shape)
    whole, _ = run(frames, slice_min=10**9, monkeypatch=monkeypatch)
    sliced, _ = run(frames, slice_min=16, monkeypatch=monkeypatch)
    assert len(whole) == len(sliced) >= 300 * 0.8
    assert sliced == whole
    if shape.get("twice_every"):        # the two attempts to one server and port: one fetch, uncut
        pairs = [f for f in whole if len(f["connections"]) == 2]
        assert len(pairs) == 60 and all(f["connections"][0]["server"] == f["connections"][1]["server"]
                                        for f in pairs)


def test_memory_at_the_end_of_the_input_stays_level_when_attempts_grow_4x(monkeypatch):
    def end_bytes(n: int, slice_min: int) -> int:            # attempts 50 ms apart: a window holds 60
        return run(attempts(n, step_ns=S // 20), slice_min, measure=True, monkeypatch=monkeypatch)[1]["end_bytes"]

    end_bytes(100, 8)       # the first run in a process also holds what it caches once: not measured
    small, large, whole = end_bytes(100, 8), end_bytes(400, 8), end_bytes(100, 10**9)
    # unsliced: ~4x. Measured in one process after a first run: 1.04 up to 1ea2194, 1.77 since 05c8cd6 (the
    # end's peak for 100 attempts went from 66 to 84 KB; bisected to the FetchSummary(copied_bytes=...) call,
    # not explained yet: see the closing note of 2026-12-03), 2.0-2.15 as the first test of a process
    assert large / small < 2.5, (small, large)
    assert whole > 3 * small, (whole, small)            # the 100 attempts' facts and fetches at once


def test_attempts_quiet_for_the_slice_age_leave_memory_before_the_end(monkeypatch):
    """500 attempts 0.2 s apart (100 s); slices of 16 once quiet for 10 s, tried every 10 s: the activity
    holds at most ~20 s of attempts (about 100, plus a slice), not 500."""
    frames = attempts(500, step_ns=S // 5)
    whole, w = run(frames, slice_min=10**9, monkeypatch=monkeypatch)
    sliced, s = run(frames, slice_min=16, age_ns=10 * S, monkeypatch=monkeypatch)
    assert w["held"] == 500 and s["held"] <= 50 + 50 + 2 * 16, s
    assert len(sliced) == len(whole) == 500
    differ = 0
    for a, b in zip(whole, sliced):
        if a == b:
            continue
        differ += 1
        # only the wait after an unanswered SYN: up to the cut (>= 10 s), not to the end of the capture
        (sa,) = [x for x in a["steps"] if x["kind"] == "tcp.unanswered.gave_up"]
        (sb,) = [x for x in b["steps"] if x["kind"] == "tcp.unanswered.gave_up"]
        assert 10_000 <= sb["facts"]["waited_ms"] < sa["facts"]["waited_ms"]
        a["steps"] = [x for x in a["steps"] if x is not sa]
        b["steps"] = [x for x in b["steps"] if x is not sb]
        assert a == b
    assert differ > 250
