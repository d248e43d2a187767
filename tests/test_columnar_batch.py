"""analyzer.columnar.tcp_batch.apply_runs against the tracker itself: random runs of steady segments (data
both ways, retransmissions, reordering, ACKs above anything seen, zero windows, sequence numbers wrapping
past 2**32, jumps the batch must refuse) give the same connection state whether each segment goes through
TcpTracker.segment or the runs go through apply_runs (the refused rest through segment, as the columnar
pass does)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from analyzer.columnar.tcp_batch import apply_runs, steady
from analyzer.tcp.connection import TcpTracker

M32 = 0xFFFFFFFF
C, S = "10.0.0.2", "10.0.0.1"


def _open(tracker: TcpTracker, isn_c: int, isn_s: int, t0: int, port: int):
    seg = tracker.segment
    seg(t0, 1, C, port, S, 80, isn_c, 0, 0x002, 64240, 0, b"\x02\x04\x05\xb4", b"", 74)
    seg(t0 + 10, 2, S, 80, C, port, isn_s, (isn_c + 1) & M32, 0x012, 65160, 0, b"\x02\x04\x05\xb4", b"", 74)
    seg(t0 + 20, 3, C, port, S, 80, (isn_c + 1) & M32, (isn_s + 1) & M32, 0x010, 502, 0, b"", b"", 66)
    conn, _ = seg(t0 + 30, 4, S, 80, C, port, (isn_s + 1) & M32, (isn_c + 1) & M32, 0x010, 509, 0, b"", b"", 66)
    return conn


def _segments(rng: random.Random, isn_c: int, isn_s: int, n: int, t0: int) -> list[tuple]:
    nxt = [(isn_c + 1) & M32, (isn_s + 1) & M32]
    out = []
    for i in range(n):
        d = rng.random() < 0.5
        me, peer = (1, 0) if d else (0, 1)
        r = rng.random()
        size = rng.choice((0, 0, 1, 536, 1448))
        seq = nxt[me]
        if r < 0.08 and size:
            seq = (seq - rng.choice((1448, 2896, 100))) & M32            # resent / reordered
        elif r < 0.1 and size:
            seq = (seq + 2896) & M32                                      # a hole before it
        elif r < 0.105:
            seq = (seq + 0x90000000) & M32                                # beyond what the batch takes
        ack = nxt[peer]
        if rng.random() < 0.05:
            ack = (ack + rng.choice((1, 1448, 5000))) & M32               # acknowledges unseen bytes
        window = 0 if rng.random() < 0.05 else 500
        flags = 0x018 if size else 0x010
        if rng.random() < 0.02:
            flags = 0x000                                                 # no ACK bit at all
        if ((seq - nxt[me]) & M32) < 0x80000000:
            nxt[me] = (seq + size) & M32
        out.append((t0 + 1000 * (i + 1), 10 + i, d, seq, ack, flags, window, size, 66 + size))
    return out


def _state(conn) -> dict:
    sides = [{k: getattr(s, k) for k in ("pkts", "frame_bytes", "payload_bytes", "last_ts", "max_end",
                                         "retransmissions", "zero_windows", "endpoint", "rfc")}
             for s in conn.sides]
    return {"history": "".join(conn.history), "sides": sides, "last_ts": conn.last_ts,
            "last_frame": conn.last_frame, "rtt": conn.ca.first_rtt, "counts": dict(conn._counts),
            "once": set(conn._once)}


@pytest.mark.parametrize("seed", range(40))
def test_runs_equal_segment_by_segment(seed):
    rng = random.Random(seed)
    isn_c, isn_s = rng.randrange(1 << 32), rng.choice((rng.randrange(1 << 32), M32 - 3000))
    n = rng.choice((5, 40, 400))
    segs = _segments(rng, isn_c, isn_s, n, 10_000)

    ref = TcpTracker(analysis=False)
    conn_ref = _open(ref, isn_c, isn_s, 0, 40000)
    for ts, num, d, seq, ack, flags, window, size, flen in segs:
        src, sport, dst, dport = (S, 80, C, 40000) if d else (C, 40000, S, 80)
        ref.segment(ts, num, src, sport, dst, dport, seq, ack, flags, window, size, b"", b"", flen)

    bat = TcpTracker(analysis=False)
    conn = _open(bat, isn_c, isn_s, 0, 40000)
    assert steady(conn)
    cols = [np.array(col, dtype=np.int64) for col in zip(*segs, strict=True)]
    ts, num, d, seq, ack, flags, window, size, flen = cols
    at = 0
    while at < n:
        if not steady(conn):
            t, nm, dd, sq, ak, fl, w, sz, fb = segs[at]
            src, sport, dst, dport = (S, 80, C, 40000) if dd else (C, 40000, S, 80)
            bat.segment(t, nm, src, sport, dst, dport, sq, ak, fl, w, sz, b"", b"", fb)
            at += 1
            continue
        stop = rng.randrange(at + 1, n + 1)
        cut = apply_runs([(conn, at, stop)], ts, num, seq, ack, flags, window, size, flen, d)[0]
        assert at <= cut <= stop
        if cut < stop:
            t, nm, dd, sq, ak, fl, w, sz, fb = segs[cut]
            src, sport, dst, dport = (S, 80, C, 40000) if dd else (C, 40000, S, 80)
            bat.segment(t, nm, src, sport, dst, dport, sq, ak, fl, w, sz, b"", b"", fb)
            cut += 1
        at = cut
    assert _state(conn) == _state(conn_ref)


def test_marked_is_isin_of_the_powers_of_ten():
    # the counts where Zeek repeats a letter: 1, 10, 100, ... 10**12; around each, past the last, below 1
    from analyzer.columnar.tcp_batch import _MARKS, _marked

    near = [10 ** k + d for k in range(15) for d in (-1, 0, 1)]
    v = np.array(near + [0, -1, -10, 2, 5, 50, 999, 1001, (1 << 62), -(1 << 62)], dtype=np.int64)
    got = _marked(v)
    assert got.tolist() == np.isin(v, _MARKS).tolist()
    assert got.sum() == 13
    assert _marked(v[:0]).tolist() == []
