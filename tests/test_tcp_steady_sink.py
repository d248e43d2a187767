"""TcpTracker.segment's fast path for connections with sinks (TcpTracker._steady_sink and
StreamReassembler.in_order: an ACK without SYN/FIN/RST of an established connection whose sinks are made)
against TcpTracker._apply, the general path it short-cuts: every slot of the connection (sides, history and its
marks, handshake/teardown facts, summary row) and of its reassemblers, and every event its sink receives (bytes,
frame handle, time; gaps, FINs, RSTs) are the same after each segment. Random connections as in
tests/test_tcp_grouped.py (data both ways, retransmissions, holes, out-of-order segments, ACKs of unseen bytes,
zero windows, FINs in every order), with payloads the capture cut short too, under both kinds of sink factory.
(On real captures, tests/test_timeline_collect_paths.py compares the timeline's collector, which takes this
path, with Pipeline.feed, which never does: it asks for per-frame fields.)"""

from __future__ import annotations

import random

import pytest
from test_tcp_grouped import _conn_state, _handshake_values, _life

from analyzer.tcp.connection import TcpTracker

C, S = "10.0.0.2", "10.0.0.1"
M32 = 0xFFFFFFFF
REASM = ("next", "offset", "held", "held_bytes", "fin_offset", "fin_sent", "gaps", "gap_bytes", "delivered")


class Recorder:
    """A sink that records every event it is given, in order."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def data(self, direction, data, frame, ts_ns) -> None:
        self.events.append(("data", direction, bytes(data), frame, ts_ns))

    def gap(self, direction, nbytes) -> None:
        self.events.append(("gap", direction, nbytes))

    def fin(self, direction) -> None:
        self.events.append(("fin", direction))

    def rst(self, direction) -> None:
        self.events.append(("rst", direction))

    def close(self) -> None:
        self.events.append(("close",))


def _reference(tracker: TcpTracker):
    """What segment() did before its fast path with sinks: the general _apply (flags: only ACK matters there)."""
    def steady_sink(conn, me, peer, d, ts, num, seq, ack, raw_window, seglen, payload, frame_len, handle):
        tracker._apply(conn, d, False, ts, num, seq, ack, 0x010, raw_window, seglen, b"", payload, frame_len,
                       handle, None)
    return steady_sink


def _state(conn, sinks: list) -> dict:
    state = _conn_state(conn)
    state["reasm"] = [None if s.reasm is None else {n: getattr(s.reasm, n) for n in REASM} for s in conn.sides]
    state["events"] = [s.events for s in sinks]
    return state


def _run(seed: int, factory: str) -> int:
    rng = random.Random(5000 + seed)
    t0 = 1_000_000_000
    v = _handshake_values(rng, t0)
    x, y = v[2], v[8]
    t0_, n0, _x, w0, o0, f0, t1, n1, _y, w1, o1, f1, t2, n2, w2, f2 = v
    sinks: list[list[Recorder]] = [[], []]
    trackers = []
    for k in range(2):
        make = (lambda conn, k=k: sinks[k].append(Recorder()) or sinks[k][-1])
        trackers.append(TcpTracker(analysis=False, **{factory: make}))
    trackers[1]._steady_sink = _reference(trackers[1])
    taken = [0]
    fast = trackers[0]._steady_sink

    def counted(*args):
        taken[0] += 1
        return fast(*args)

    trackers[0]._steady_sink = counted
    conns = [None, None]
    handshake = ((t0_, n0, C, 40000, S, 80, x, 0, 0x002, w0, 0, o0, b"", f0),
                 (t1, n1, S, 80, C, 40000, y, (x + 1) & M32, 0x012, w1, 0, o1, b"", f1),
                 (t2, n2, C, 40000, S, 80, (x + 1) & M32, (y + 1) & M32, 0x010, w2, 0, b"", b"", f2))
    for seg in handshake:
        for k, t in enumerate(trackers):
            conns[k], _ = t.segment(*seg, handle=seg[1])
    # test_tcp_grouped's segments with fewer FINs (a FIN ends the fast path for the other side)
    life = _life(rng, x, y, t0 + 100_000, rng.randrange(2, 80), fin_rate=0.02, fin_again_skip=None)
    for ts, num, d, seq, ack, flags, window, size, flen in life:
        src, sport, dst, dport = (C, 40000, S, 80) if d == 0 else (S, 80, C, 40000)
        payload = bytes(rng.getrandbits(8) for _ in range(size))
        if size and rng.random() < 0.1:
            payload = payload[:rng.randrange(size)]     # cut by the snaplen
        if rng.random() < 0.05:
            flags |= 0x020 | 0x040                      # URG, ECE: not looked at
        for k, t in enumerate(trackers):
            conns[k], _ = t.segment(ts, num, src, sport, dst, dport, seq, ack, flags, window, size, b"", payload,
                                    flen, handle=num)
        assert _state(conns[0], sinks[0]) == _state(conns[1], sinks[1]), (seed, num)
    for t in trackers:
        t.close_all()
    assert _state(conns[0], sinks[0]) == _state(conns[1], sinks[1])
    return taken[0]


@pytest.mark.parametrize("factory", ["sink_factory", "payload_sink_factory"])
@pytest.mark.parametrize("seed", range(40))
def test_steady_sink_equals_apply(seed, factory):
    _run(seed, factory)


def test_steady_sink_taken_often():
    """The random lives do reach the fast path: many of their segments take it."""
    assert sum(_run(seed, "sink_factory") for seed in range(20)) > 250
