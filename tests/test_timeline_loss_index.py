"""The loss steps' questions about a side's bytes (the first missing byte before a segment, the later segments
that bring a hole's bytes) answered by bisection over a per-side index (FetchBuilder._seq_index) give the
answers of a walk over the connection's segments, the way they were asked before (``_walk_*`` below, kept
here as the reference): on random connections with holes, resends, reordering, copies and empty segments,
for every segment taken as the gap.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

from analyzer.timeline.build import FetchBuilder, _ms
from analyzer.timeline.facts import ACK, FIN, Segment
from analyzer.timeline.tcp import _Intervals


def _walk_missing_from(conn, gap) -> int:
    high = 1
    for s in conn.segments:
        if s.frame >= gap.frame:
            break
        if s.direction == gap.direction and s.length:
            high = max(high, s.rel_seq + s.length)
    return high


def _walk_late_fill(conn, gap, missing_from) -> dict:
    got = [s for s in conn.segments if s.frame > gap.frame and s.direction == gap.direction and s.length
           and s.frame not in conn.copies and s.rel_seq < gap.rel_seq and s.rel_seq + s.length > missing_from]
    if not got:
        return {}
    cover = _Intervals()
    filled = sum(b - a for s in got for a, b in cover.add(max(s.rel_seq, missing_from),
                                                          min(s.rel_seq + s.length, gap.rel_seq)))
    return {"late_frames": [s.frame for s in got[:50]], "late_count": len(got),
            "late_bytes": filled, "late_ms": _ms(got[0].ts_ns - gap.ts_ns),
            "never_bytes": gap.rel_seq - missing_from - filled}


def _random_conn(rng: random.Random, n: int):
    segs, copies = [], {}
    nxt = [1, 1]
    frame = rng.randint(1, 50)
    for _ in range(n):
        d = rng.random() < 0.3
        r = rng.random()
        length = rng.choice((0, 1, 100, 1448, 1448, 1448))
        if r < 0.12 and segs:           # an earlier segment's bytes again (resent) or part of them
            old = rng.choice(segs)
            seq, length = old.rel_seq + rng.randint(0, max(old.length - 1, 0)), max(old.length // 2, length)
            d = old.direction
        elif r < 0.2:                   # a hole: bytes skipped
            seq = nxt[d] + rng.choice((1, 1448, 4000))
        else:
            seq = nxt[d]
        if r > 0.97 and segs:           # the capture's copy of the previous segment
            prev = segs[-1]
            frame += 1
            copies[frame] = prev.frame
            segs.append(prev._replace(frame=frame, ts_ns=prev.ts_ns + 10))
            continue
        frame += rng.choice((1, 1, 2))
        flags = ACK | (FIN if rng.random() < 0.02 else 0)
        segs.append(Segment(frame, frame * 1000 + rng.randint(0, 999), d, flags, 0, 0, seq, 1, length, 1000))
        nxt[d] = max(nxt[d], seq + length)
    return SimpleNamespace(stream=rng.randint(0, 9), epoch=0, segments=tuple(segs), copies=copies)


def test_bisection_answers_as_the_walk():
    rng = random.Random(10)
    checked = filled = 0
    for _ in range(300):
        conn = _random_conn(rng, rng.randint(1, 120))
        builder = FetchBuilder.__new__(FetchBuilder)
        builder._seq_indexes = {}
        for gap in conn.segments:
            want = _walk_missing_from(conn, gap)
            assert builder._missing_from(conn, gap) == want
            late = _walk_late_fill(conn, gap, want)
            assert builder._late_fill(conn, gap, want) == late
            checked += 1
            filled += bool(late)
    assert checked > 10_000 and filled > 1_000       # the cases where later segments bring a hole's bytes too
