"""The end of a SYN flood stays flat (issue 14, "Bounded state"): at the end of the input the tracker finishes
every attempt still pending as itself (``TcpTracker(finish_attempts=True)``, the timeline's collector), not
made into a full connection (two sides, the connection, its flow keys: ~1.2 KB each, all held by the run's
activity until it is explained). A finished attempt's log stays pending; its connection is made when a reader
asks for it (:meth:`TcpTracker.finished_attempt`), one at a time while the run explains its slices.

Checked with tracemalloc on SYN-only attempts (no absolute times): what the tracker's close adds to the
run's memory per attempt, at n and 4n, against the same run that makes each attempt its connection at the end
(the tracker's former close); and the fetches are the same either way, field for field.
"""

from __future__ import annotations

import gc
import tracemalloc

# n SYNs to distinct hosts and ports (fuzz/adversarial.py half_open), every k-th refused by RST, ACK
from test_timeline_memory import syn_frames as attempts

from analyzer.capture.frame import Frame
from analyzer.tcp.connection import TcpTracker
from analyzer.timeline import TimelineRun


def _run(frames: list[Frame], finish_attempts: bool = True, measure: bool = False) -> tuple[list[dict], int]:
    """The fetches (dicts, in the order handed out) and, with ``measure``, the tracemalloc peak the tracker's
    close (``collector.finish``: every pending attempt finished) added to what the run held before it."""
    r = TimelineRun()
    tracker: TcpTracker = r.collector.pipe.tcp
    tracker.finish_attempts = finish_attempts       # False: each attempt made into its connection at the end
    out = [x.as_dict() for f in frames for x in r.feed(f)]
    added = 0
    if measure:
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            r.collector.finish()
            added = tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()
        assert not tracker.attempts and len(tracker.flows) == 0
    out += [x.as_dict() for x in r.finish()]
    return out, added


def test_the_close_of_a_syn_flood_adds_no_connection_per_attempt():
    n = 250
    small = _run(attempts(n), measure=True)[1]
    large = _run(attempts(4 * n), measure=True)[1]
    promoted = _run(attempts(n), finish_attempts=False, measure=True)[1]
    per_attempt = (large - small) / (3 * n)
    # what remains per attempt is the run's set of done streams and the remembered 4-tuple (~100 B), not a
    # connection and a replayed log (~1.2 KB, measured as ``promoted``)
    assert per_attempt < 300, (small, large, per_attempt)
    assert promoted > 4 * small, (promoted, small)


def test_attempts_finished_as_themselves_tell_the_same_fetches():
    frames = attempts(300, refuse_every=7)
    compact, _ = _run(frames)
    promoted, _ = _run(frames, finish_attempts=False)
    assert len(compact) == 300
    assert compact == promoted
    assert sum(c["outcome"] == "refused" for f in compact for c in f["connections"]) == 43


def test_a_finished_attempt_is_the_connection_promote_and_finish_make():
    """Tracker level: the connection :meth:`finished_attempt` makes has the summary row of the attempt made
    into its connection and finished, and its 4-tuple is remembered with the SYN's sequence number."""
    from analyzer.tcp.connection import summarize

    got: list = []
    a = TcpTracker(keep_summaries=False, finish_attempts=True, on_finish=got.append)
    b = TcpTracker(keep_summaries=False, on_finish=got.append)
    for t in (a, b):
        t.compact_attempts = True
        t.segment(1_000, 1, "10.0.0.1", 40000, "10.1.0.1", 80, 1234, 0, 0x02, 64240, 0,
                  b"\x02\x04\x05\xb4\x01\x03\x03\x07", b"", 74)
        t.close_all()
    att, conn = got
    assert att.__class__.__name__ == "Attempt" and conn.__class__.__name__ == "Connection"
    assert summarize(a.finished_attempt(att)) == summarize(conn)
    key = ("10.0.0.1", 40000, "10.1.0.1", 80)
    assert a.finished_keys.get(key) == b.finished_keys.get(key) == 1234
