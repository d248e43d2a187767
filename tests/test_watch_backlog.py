"""watch's hand-over of live frames to the timeline (analyzer.live.backlog.Backlog) is bounded: the capture
thread never waits, what waits for the timeline never costs more than the bound, and every frame is either
handed on or counted as skipped, by number (the capture's file keeps them all). The burst through the real
command is in tests/test_hostile_live.py."""

from __future__ import annotations

import threading

from analyzer.capture.frame import Frame
from analyzer.live.backlog import FRAME_COST, Backlog


def _frame(n: int, size: int = 100) -> Frame:
    return Frame(n, n * 1000, size, 0, 1, bytes(size))


def test_frames_beyond_the_bound_are_skipped_in_whole_runs_until_the_consumer_takes():
    b = Backlog(max_bytes=10 * (100 + FRAME_COST))     # ten frames of 100 bytes
    for n in range(1, 26):
        b.put(_frame(n))
    assert b.bytes == b.peak == 10 * (100 + FRAME_COST)
    assert b.skipped == 15 and b.runs == [[11, 25]] and b.runs_text() == "11-25"
    assert [f.number for f in b.take()] == list(range(1, 11))
    assert b.bytes == 0
    for n in range(26, 31):
        b.put(_frame(n))
    assert [f.number for f in b.take()] == list(range(26, 31))
    assert b.skipped == 15 and b.handed == 30


def test_a_frame_bigger_than_what_is_left_is_skipped_and_the_run_goes_on_until_taken():
    b = Backlog(max_bytes=4 * (100 + FRAME_COST))
    b.put(_frame(1))
    b.put(_frame(2))
    b.put(_frame(3, 1500))            # does not fit: skipped, and so is what follows until take()
    b.put(_frame(4))
    assert [f.number for f in b.take()] == [1, 2]
    b.put(_frame(5))
    assert b.runs == [[3, 4]] and [f.number for f in b.take()] == [5]


def test_runs_kept_by_number_are_few_the_count_is_exact():
    b = Backlog(max_bytes=100 + FRAME_COST)
    n = 0
    for _ in range(50):                 # 50 runs of 2 skipped frames
        for _ in range(3):
            n += 1
            b.put(_frame(n))
        b.take()
    assert b.skipped == 100
    assert len(b.runs) == 20 and b.runs[0] == [2, 3] and b.runs_text().endswith(", ...")


def test_a_fast_producer_and_a_slow_consumer_stay_within_the_bound():
    bound = 50 * (60 + FRAME_COST)
    b = Backlog(max_bytes=bound)
    taken: list[int] = []
    done = threading.Event()

    def consume():
        while not done.is_set():
            taken.extend(f.number for f in b.take())
            done.wait(0.001)
        taken.extend(f.number for f in b.take())

    t = threading.Thread(target=consume)
    t.start()
    total = 200_000
    for n in range(1, total + 1):
        b.put(_frame(n, 60))
    done.set()
    t.join()
    assert b.peak <= bound
    assert len(taken) + b.skipped == total == b.handed
    assert taken == sorted(taken) and len(set(taken)) == len(taken)
    assert b.skipped > 0                # (200,000 puts outpace a consumer that sleeps between takes)
