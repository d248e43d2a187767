"""The whole-connection rule compiled (analyzer.columnar._speedups.whole_rule) gives what its numpy twin
(analyzer.columnar.whole._rule_py, the fallback) gives, group for group and value for value, on windows of
ordinary connections -- handshakes, data both ways, three- and four-segment teardowns by either side, sequence
numbers wrapping, records carried on from an earlier window -- each connection damaged, or not, at one of the
places where the rule decides: a flag (RST, SYN, no ACK, a FIN more), a sequence number off (retransmission,
hole), an ACK of bytes not seen, a zero window, an idle gap, a teardown segment with payload or from the wrong
side, a segment dropped or repeated, a group cut short, a carried-on record's counters or letters. The end to
end check (conversations identical with and without the compiled helper) is tests/test_columnar_whole.py's."""

from __future__ import annotations

import random

import numpy as np
import pytest

from analyzer.columnar import whole
from analyzer.columnar.count import _grouped_marks

rule_c = whole._compiled_rule()
pytestmark = pytest.mark.skipif(rule_c is None, reason="the compiled helper (with whole_rule) is not built")
M32 = 0xFFFFFFFF


def _conn(rnd: random.Random, cid: int, sid: int, cport: int) -> tuple[list[list[int]], dict]:
    """One ordinary connection's segments as rows (ts, num, src, sport, dst, dport, seq, ack, flags, win, len,
    flen, t, hl, a_first, 0), and its facts."""
    x = rnd.choice([rnd.randrange(1 << 32), M32 - rnd.randrange(40), 0])
    y = rnd.choice([rnd.randrange(1 << 32), M32 - rnd.randrange(40)])
    ca, sa = (cid << 16) | cport, (sid << 16) | 80
    t = rnd.randrange(1 << 40)
    out = []
    nxt = {0: (x + 1) & M32, 1: (y + 1) & M32}

    def seg(side: int, seq: int, ack: int, flags: int, ln: int = 0) -> None:
        nonlocal t
        t += rnd.randrange(1, 5_000_000)
        src, sp, dst, dp = (cid, cport, sid, 80) if side == 0 else (sid, 80, cid, cport)
        a_first = (ca <= sa) if side == 0 else (sa <= ca)
        out.append([t, 0, src, sp, dst, dp, seq & M32, ack & M32, flags, rnd.randrange(1, 65536), ln,
                    54 + ln + rnd.choice([0, 12]), 0, 20, int(a_first), 0])

    seg(0, x, 0, 0x02)
    seg(1, y, x + 1, 0x12)
    seg(0, x + 1, y + 1, 0x10)
    for _ in range(rnd.randrange(0, 9)):
        side = rnd.randrange(2)
        ln = rnd.choice([0, 0, 1, 100, 1460])
        if ln == 0 and rnd.random() < 0.5:
            side = 1            # (the responder's pure ACKs: history letter a)
        seg(side, nxt[side], nxt[1 - side], 0x18 if ln else 0x10, ln)
        nxt[side] = (nxt[side] + ln) & M32
    end = rnd.choice(["open", "three", "four"])
    closer = rnd.randrange(2)
    if end != "open":
        o = 1 - closer
        seg(closer, nxt[closer], nxt[o], 0x11)
        if end == "four":
            seg(o, nxt[o], nxt[closer] + 1, 0x10)
        seg(o, nxt[o], nxt[closer] + 1, 0x11)
        seg(closer, nxt[closer] + 1, nxt[o] + 1, 0x10)
    return out, {"x": x, "y": y, "orig_af": out[0][14]}


def _damage(rnd: random.Random, segs: list[list[int]], gaps: list[int]) -> str:
    """One rule condition broken at a random segment after the handshake (or before it: then the group is
    simply not an ordinary one); the name of what was done."""
    i = rnd.randrange(len(segs))
    r = segs[i]
    what = rnd.choice(["rst", "syn", "noack", "fin", "seq", "ack", "win", "gap", "len", "side", "drop", "dup",
                       "cut"])
    if what == "rst":
        r[8] |= 0x04
    elif what == "syn":
        r[8] |= 0x02
    elif what == "noack":
        r[8] &= ~0x10
    elif what == "fin":
        r[8] |= 0x01
    elif what == "seq":
        r[6] = (r[6] + rnd.choice([-1460, -1, 1, 100, 1 << 31])) & M32
    elif what == "ack":
        r[7] = (r[7] + rnd.choice([-1, 1, 1000, (1 << 31) - 1, 1 << 31])) & M32
    elif what == "win":
        r[9] = 0
    elif what == "gap":
        gaps[i] = 1
    elif what == "len":
        r[10] += rnd.choice([1, 100])
    elif what == "side":
        r[14] ^= 1
    elif what == "drop" and len(segs) > 1:
        del segs[i]
        del gaps[i]
    elif what == "dup":
        segs.insert(i, list(r))
        gaps.insert(i, 0)
    elif what == "cut":
        del segs[i:]
        del gaps[i:]
    return what


def _window(groups: list[tuple[list[list[int]], list[int], list[int] | None]]):
    """(rows, gap, bounds, gstate) of a window whose groups are (segments, gap flags, carried-on state or
    None); the handshake marks from count._grouped_marks, as count._window makes them."""
    groups = [g for g in groups if g[0]]
    rows = np.array([r for segs, _, _ in groups for r in segs], dtype=np.int64).reshape(-1, 16)
    gap = np.array([x for _, gaps, _ in groups for x in gaps], dtype=bool)
    sizes = [len(segs) for segs, _, _ in groups]
    bounds = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    gs = np.repeat(np.arange(len(groups)), sizes)
    rows[:, 1] = np.arange(1, len(rows) + 1) * 3            # frame numbers
    rows[:, 12] = np.arange(len(rows)) * 100                # TCP header offsets
    a = (rows[:, 2].astype(np.uint64) << np.uint64(16)) | rows[:, 3].astype(np.uint64)
    b = (rows[:, 4].astype(np.uint64) << np.uint64(16)) | rows[:, 5].astype(np.uint64)
    hs, _plain = _grouped_marks(gs, a, b, rows[:, 8], rows[:, 10], rows[:, 6], rows[:, 7], rows[:, 9],
                                rows[:, 14] != 0, gap)
    gstate = np.zeros((len(groups), 13), dtype=np.int64)
    gstate[:, 0] = hs[bounds[:-1]]
    for k, (_, _, st) in enumerate(groups):
        if st is not None:
            gstate[k] = st
    return rows, gap, bounds, gstate


def _both(rows, gap, bounds, gstate) -> np.ndarray:
    want = whole._rule_py(rows, gap.view(np.uint8), bounds, gstate)
    got = rule_c(rows, gap.view(np.uint8), bounds, gstate)
    assert got.shape == want.shape
    assert got.tolist() == want.tolist()
    return want


@pytest.mark.parametrize("seed", range(40))
def test_damaged_windows(seed):
    rnd = random.Random(seed)
    first, later = [], []
    facts = []
    damaged = 0
    for k in range(rnd.randrange(20, 60)):
        segs, f = _conn(rnd, rnd.randrange(1, 50), rnd.randrange(50, 60), 1024 + k)
        gaps = [0] * len(segs)
        if rnd.random() < 0.5:
            _damage(rnd, segs, gaps)
            damaged += 1
        cut = rnd.randrange(3, len(segs) + 1) if rnd.random() < 0.4 and len(segs) >= 3 else len(segs)
        first.append((segs[:cut], gaps[:cut], None))
        later.append((segs[cut:], gaps[cut:]))
        facts.append(f)
    rows, gap, bounds, gstate = _window(first)
    out = _both(rows, gap, bounds, gstate)
    taken = out[:, 0].tolist()
    assert len(taken) >= (len(first) - damaged) // 2       # (the undamaged connections are mostly taken)
    # the next window: the open records taken carry on (their state as take makes it, sometimes changed
    # where the rule reads it), the rest of each connection comes as it is
    state = {g: v for g, v in zip(taken, out.tolist(), strict=True) if not v[1]}
    nonempty = [k for k in range(len(first)) if first[k][0]]
    groups = []
    for g, k in enumerate(nonempty):
        segs, gaps = later[k]
        if not segs:
            continue
        st = None
        v = state.get(g)
        if v is not None:
            f = facts[k]
            counters = list(v[2:10])
            letters = v[24]
            if rnd.random() < 0.3:
                counters[4 + rnd.randrange(2)] += (1 << 31) - rnd.randrange(1, 200)   # near 2 GB each way
            if rnd.random() < 0.2:
                letters = rnd.randrange(8)
            st = [2, (f["x"] + 1 + counters[4]) & M32, (f["y"] + 1 + counters[5]) & M32, f["orig_af"],
                  *counters, letters]
        groups.append((segs, gaps, st))
    if groups:
        _both(*_window(groups))


def test_every_rule_outcome_is_reached():
    """The damaged windows above do reach both answers of the rule for records carried on and started:
    open and torn down, taken and not (else equality would prove little)."""
    seen = set()
    for seed in range(40):
        rnd = random.Random(seed)
        for k in range(30):
            segs, _f = _conn(rnd, 1 + k, 99, 2000 + k)
            gaps = [0] * len(segs)
            if rnd.random() < 0.5:
                _damage(rnd, segs, gaps)
            out = _both(*_window([(segs, gaps, None)]))
            seen.add((len(out), int(out[0, 1]) if len(out) else -1))
    assert seen == {(0, -1), (1, 0), (1, 1)}


def test_bad_arguments_are_an_error():
    rows = np.zeros((4, 16), dtype=np.int64)
    gap = np.zeros(4, dtype=np.uint8)
    with pytest.raises(ValueError):
        rule_c(rows, gap, np.array([0, 5], dtype=np.int64), np.zeros((1, 13), dtype=np.int64))   # past the end
    with pytest.raises(ValueError):
        rule_c(rows, gap, np.array([0, 4], dtype=np.int64), np.zeros((2, 13), dtype=np.int64))   # states
    with pytest.raises(ValueError):
        rule_c(rows, gap, np.array([0, 3, 2, 4], dtype=np.int64), np.zeros((3, 13), dtype=np.int64))
    assert rule_c(rows, gap, np.array([0, 4], dtype=np.int64), np.zeros((1, 13), dtype=np.int64)).shape == (0, 26)
