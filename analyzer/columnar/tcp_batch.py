"""The TCP tracker's fast path applied to many segments at once, with numpy: the same state changes
:meth:`analyzer.tcp.connection.TcpTracker.segment` makes for a run of "steady" segments, one call per run.

A run is consecutive segments (in capture order) of one connection, none with SYN, FIN or RST, sent while
the connection is steady: both sides ESTABLISHED, each side's SYN acknowledged, each side's data start
known, no FIN sent and no reassembly sink. For such a segment the tracker takes its fast path, whose only
effects are counters, the last times, the initial RTT, the highest sequence number sent per side and the
history letters ``g`` (the ACK covers bytes never seen), ``a``, ``t`` (data below the highest byte sent),
``d`` and ``w`` (zero window). Those are what :func:`apply_runs` computes as grouped passes:

* sequence numbers are taken relative to each side's data start (``data_base``); a run holding a segment
  whose relative start or end is not below 2**31 is cut before it (the caller then runs that segment
  through the tracker): below 2**31 the wrapping comparisons of the tracker are plain comparisons, so the
  highest byte sent is a running maximum;
* ``t``: a data segment starting below the running maximum of the ends sent before it on its side;
* ``g``: an ACK above the running maximum of the other side's ends (or its data start);
* ``a``/``d`` once per direction, ``g``/``t``/``w`` on their 1st, 10th, 100th ... occurrence, in segment
  order and, within a segment, in the tracker's order (g, a, t, d, w).

tests/test_columnar_batch.py checks the equality with the tracker on random runs; the capture-level test
(tests/test_columnar_equal.py) on every capture we have.
"""

from __future__ import annotations

import numpy as np

from analyzer.tcp import state as S

M32 = 0xFFFFFFFF
HALF = 0x80000000
_ACK = 0x10
_SPAN = 1 << 33
_MARKS = np.array([10 ** k for k in range(13)], dtype=np.int64)

# letter slots: once letters then logarithmic ones; (slot, direction) -> history key
_ONCE_SLOTS = ("a", "d")
_LOG_SLOTS = ("g", "t", "w")
_SUB = {"g": 0, "a": 1, "t": 2, "d": 3, "w": 4}


def _marked(v: np.ndarray) -> np.ndarray:
    """``np.isin(v, _MARKS)`` (which counts are a power of ten, where Zeek repeats a letter), by one binary
    search in the 13 marks (np.isin sorts both sides on each call: ~0.1 s per 1M frames)."""
    return _MARKS[np.minimum(np.searchsorted(_MARKS, v), len(_MARKS) - 1)] == v


def steady(conn) -> bool:
    """True when every segment of ``conn`` without SYN/FIN/RST takes the tracker's fast path."""
    if conn.sink is not None or conn.finished:
        return False
    o, r = conn.sides
    est = S.ESTABLISHED
    return (o.endpoint is est and r.endpoint is est and o.syn_acked_frame and r.syn_acked_frame
            and o.data_base is not None and r.data_base is not None and o.fin_seq is None and r.fin_seq is None
            and o.sa is not None and _rel_ok(o) and _rel_ok(r))


def _rel_ok(side) -> bool:
    m = side.max_end
    return m is None or ((m - side.data_base) & M32) < HALF


def _key(ch: str, d: int) -> str:
    return ch.upper() if d == 0 else ch


def apply_runs(runs: list, ts: np.ndarray, num: np.ndarray, seq: np.ndarray, ack: np.ndarray,
               flags: np.ndarray, window: np.ndarray, seglen: np.ndarray, flen: np.ndarray,
               dirs: np.ndarray) -> list[int]:
    """Apply runs of steady segments to their connections.

    ``runs`` is a list of ``(conn, start, stop)``: segments ``start:stop`` of the arrays (run after run, in
    capture order within each run) belong to ``conn``; ``dirs`` is each segment's direction (0: from the
    originator). Returns, per run, the index where it was cut (``stop`` when applied whole); the segments
    from there on were not applied."""
    if not runs:
        return []
    nr = len(runs)
    starts = np.fromiter((r[1] for r in runs), dtype=np.int64, count=nr)
    stops = np.fromiter((r[2] for r in runs), dtype=np.int64, count=nr)
    lens = stops - starts
    idx = np.repeat(starts - np.cumsum(np.concatenate(([0], lens[:-1]))), lens) + np.arange(lens.sum())
    run = np.repeat(np.arange(nr), lens)
    conns = [r[0] for r in runs]
    base = np.array([(c.sides[0].data_base, c.sides[1].data_base) for c in conns], dtype=np.int64)
    m0 = np.array([tuple(-1 if s.max_end is None else (s.max_end - s.data_base) & M32 for s in c.sides)
                   for c in conns], dtype=np.int64)
    d = dirs[idx].astype(np.int64)
    sq, ak, sl = seq[idx], ack[idx], seglen[idx]
    data = sl > 0
    seq_rel = (sq - base[run, d]) & M32
    end_rel = seq_rel + sl
    bad = data & ((seq_rel >= HALF) | (end_rel >= HALF))
    cut = stops.copy()
    if bad.any():
        # cut each run before its first segment the running maximum cannot take
        first_bad = np.full(nr, np.iinfo(np.int64).max)
        np.minimum.at(first_bad, run[bad], idx[bad])
        cut = np.minimum(cut, first_bad)
        keep = idx < cut[run]
        idx, run, d, sq, ak, sl, data, seq_rel, end_rel = (
            a[keep] for a in (idx, run, d, sq, ak, sl, data, seq_rel, end_rel))
    if not len(idx):
        return cut.tolist()
    tsv, fl = ts[idx], flags[idx]
    hasack = (fl & _ACK) != 0
    zw = window[idx] == 0
    key2 = run * 2 + d
    n2 = nr * 2
    pkts = np.bincount(key2, minlength=n2)
    fbytes = np.bincount(key2, weights=flen[idx], minlength=n2).astype(np.int64)
    pbytes = np.bincount(key2, weights=sl, minlength=n2).astype(np.int64)
    zwins = np.bincount(key2, weights=zw, minlength=n2).astype(np.int64)
    pos = np.arange(len(idx))
    last2 = np.full(n2, -1, dtype=np.int64)
    np.maximum.at(last2, key2, pos)
    lastr = np.full(nr, -1, dtype=np.int64)
    np.maximum.at(lastr, run, pos)

    # t: data starting below the running maximum of its own side's ends (segments are in run order, so a
    # stable sort by (run, direction) keeps capture order inside each side)
    order = np.argsort(key2, kind="stable")
    k2s = key2[order]
    off = k2s * _SPAN + 1
    w = np.where(data[order], end_rel[order], -1) + off
    cm = np.maximum.accumulate(w)
    prev = np.empty_like(cm)
    prev[0] = -1
    prev[1:] = cm[:-1]
    prev = np.maximum(prev - off, m0.reshape(-1)[k2s])
    t_sorted = data[order] & (prev >= 0) & (seq_rel[order] < prev)
    t = np.empty_like(t_sorted)
    t[order] = t_sorted
    retrans = np.bincount(key2[t], minlength=n2)
    top = np.maximum(cm - off, m0.reshape(-1)[k2s])         # running maximum including the segment
    last_in = np.full(n2, -1, dtype=np.int64)
    np.maximum.at(last_in, k2s, np.arange(len(k2s)))
    new_max = np.where(last_in >= 0, top[np.maximum(last_in, 0)], m0.reshape(-1))

    # g: an ACK above the other side's running maximum end (or its data start)
    roff = run * _SPAN + 1
    seen = np.empty(len(idx), dtype=np.int64)
    for e in (0, 1):
        cm_e = np.maximum.accumulate(np.where((d == e) & data, end_rel, -1) + roff) - roff
        init = np.maximum(m0[:, e], 0)[run]
        sel = d == 1 - e
        seen[sel] = np.maximum(cm_e, init)[sel]
    ack_rel = (ak - base[run, 1 - d]) & M32
    gap = (ack_rel - seen) & M32
    g = hasack & (gap > 0) & (gap < HALF)

    # letters: candidates per slot, then Zeek's repetition rules against each connection's counts so far
    events = []     # (positions, letter, direction array)
    cand = {"g": (g, 1 - d), "a": (hasack & ~data, d), "t": (t, d), "d": (data, d), "w": (zw, d)}
    emitted_run, emitted_pos, emitted_sub, emitted_key = [], [], [], []
    counts_add: dict[tuple[int, str], int] = {}
    for ch, (mask, dd) in cand.items():
        p = np.flatnonzero(mask)
        if not len(p):
            continue
        r_, d_ = run[p], dd[p]
        slot = r_ * 2 + d_
        if ch in _ONCE_SLOTS:
            _, first = np.unique(slot, return_index=True)
            for rr, dq, pos in zip(r_[first].tolist(), d_[first].tolist(), p[first].tolist(), strict=True):
                k = _key(ch, dq)
                if k not in conns[rr]._once:
                    emitted_run.append(rr)
                    emitted_pos.append(pos)
                    emitted_sub.append(_SUB[ch])
                    emitted_key.append(k)
        else:
            o2 = np.argsort(slot, kind="stable")
            ss = slot[o2]
            newseg = np.ones(len(ss), dtype=bool)
            newseg[1:] = ss[1:] != ss[:-1]
            segstart = np.maximum.accumulate(np.where(newseg, np.arange(len(ss)), 0))
            rank = np.arange(len(ss)) - segstart
            uniq, cnt = np.unique(ss, return_counts=True)
            n0 = np.array([conns[int(s) >> 1]._counts.get(_key(ch, int(s) & 1), 0) for s in uniq.tolist()],
                          dtype=np.int64)
            base_n = n0[np.searchsorted(uniq, ss)]
            hit = _marked(base_n + rank + 1)
            q = o2[hit]
            for rr, dq, pos in zip(r_[q].tolist(), d_[q].tolist(), p[q].tolist(), strict=True):
                emitted_run.append(rr)
                emitted_pos.append(pos)
                emitted_sub.append(_SUB[ch])
                emitted_key.append(_key(ch, dq))
            for s, c in zip(uniq.tolist(), cnt.tolist(), strict=True):
                counts_add[(s >> 1, _key(ch, s & 1))] = c
    del events

    # write back, connection by connection (only the values read there become Python ints: the last
    # segment's time and number per run, the last time per side, the first ACK's time per run)
    first_ack = np.full(nr, np.iinfo(np.int64).max)
    pa = np.flatnonzero(hasack)
    np.minimum.at(first_ack, run[pa], pa)
    acked = first_ack < len(idx)
    first_ack_ts = tsv[np.where(acked, first_ack, 0)].tolist()
    acked_l = acked.tolist()
    last_run = np.maximum(lastr, 0)
    run_ts, run_num = tsv[last_run].tolist(), num[idx[last_run]].tolist()
    side_ts = tsv[np.maximum(last2, 0)].tolist()
    pk, fb, pb, zz, rt, nm = (a.tolist() for a in (pkts, fbytes, pbytes, zwins, retrans, new_max))
    lr = lastr.tolist()
    for rr, conn in enumerate(conns):
        if lr[rr] < 0:
            continue
        conn.last_ts = run_ts[rr]
        conn.last_frame = run_num[rr]
        ca = conn.ca
        if ca.mru_syn and not ca.first_rtt and acked_l[rr]:
            ca.first_rtt = first_ack_ts[rr] - ca.mru_syn
            if not ca.first_rtt:        # zero is "not measured yet" (tshark): the first ACK stamped apart measures
                later = tsv[pa[run[pa] == rr]]
                later = later[later != ca.mru_syn]
                ca.first_rtt = int(later[0]) - ca.mru_syn if len(later) else 0
        for s in (0, 1):
            k = rr * 2 + s
            if not pk[k]:
                continue
            side = conn.sides[s]
            side.pkts += pk[k]
            side.frame_bytes += fb[k]
            side.payload_bytes += pb[k]
            side.last_ts = side_ts[k]
            side.zero_windows += zz[k]
            side.retransmissions += rt[k]
            if nm[k] >= 0:
                side.max_end = (side.data_base + nm[k]) & M32
    for (rr, k), c in counts_add.items():
        cnts = conns[rr]._counts
        cnts[k] = cnts.get(k, 0) + c
    if emitted_run:
        for i in sorted(range(len(emitted_run)), key=lambda i: (emitted_pos[i], emitted_sub[i])):
            conn = conns[emitted_run[i]]
            k = emitted_key[i]
            if k.lower() in _ONCE_SLOTS:
                conn._once.add(k)
            conn.history.append(k)
    return cut.tolist()
