"""The tracker's grouped entry points against its per-segment one: TcpTracker.handshake (three segments of an
ordinary handshake at once) and TcpTracker.plain (one ACK-bearing segment without SYN/RST of a known
connection, no lookups) leave every slot of the connection -- sides, sequence-analysis state, history and its
marks, handshake/teardown facts -- and of the tracker (flow table, attempts, stream numbers) exactly as
TcpTracker.segment does. Random connections: handshakes with every SYN option layout, data both ways,
retransmissions, gaps, zero windows, FINs in every order, ACKs of FINs, data after a FIN, sequence numbers
wrapping past 2**32, a SYN at time 0."""

from __future__ import annotations

import random

import pytest

from analyzer.tcp.connection import Connection, TcpTracker, plain_ok, summarize

M32 = 0xFFFFFFFF
C, S = "10.0.0.2", "10.0.0.1"
OPTS = (b"", b"\x02\x04\x05\xb4", b"\x02\x04\x05\xb4\x01\x03\x03\x08\x01\x01\x04\x02",
        b"\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x01\x02\x03\x00\x00\x00\x00\x01\x03\x03\x07",
        b"\x02\x04\x05\xb4\x01\x03\x03\x06\x01\x01\x08\x0a\x11\x22\x33\x44\x00\x00\x00\x00\x04\x02\x00\x00",
        b"\x01\x01\x01", b"\x02\x03\x05")          # the last: malformed


def _slots(obj, depth: int = 0):
    """Every slot of a tracker object, recursively (sinks and reassemblers aside)."""
    if depth > 3 or obj is None or isinstance(obj, (int, str, bytes, bool, float, tuple)):
        return obj
    if isinstance(obj, list):
        return [_slots(x, depth + 1) for x in obj]
    if isinstance(obj, dict):
        return {k: _slots(v, depth + 1) for k, v in obj.items()}
    names = [n for cls in type(obj).__mro__ for n in getattr(cls, "__slots__", ())]
    return {n: _slots(getattr(obj, n, "<unset>"), depth + 1) for n in names
            if n not in ("reasm", "sink", "syn_opts")} | \
        ({"syn_opts": repr(obj.syn_opts)} if hasattr(obj, "syn_opts") else {})


def _conn_state(conn: Connection) -> dict:
    state = _slots(conn)
    state["sides"] = [_slots(s) for s in conn.sides]
    state["marks"] = dict(conn._once) if conn._once is not None else None
    state["row"] = summarize(conn, True)
    return state


def _handshake_values(rng: random.Random, t0: int) -> tuple:
    x, y = rng.getrandbits(32), rng.getrandbits(32)
    if rng.random() < 0.2:
        x = M32 - rng.randrange(3)                      # the next sequence number wraps
    return (t0, 1, x, rng.choice((1, 64240, 65535)), rng.choice(OPTS), 74,
            t0 + rng.choice((0, 5, 40_000)), 2, y, rng.choice((1, 65160)), rng.choice(OPTS), 74,
            t0 + rng.choice((50_000, 90_000)), 3, rng.choice((1, 502)), 66)


def _by_segments(tracker: TcpTracker, port: int, v: tuple):
    t0, n0, x, w0, o0, f0, t1, n1, y, w1, o1, f1, t2, n2, w2, f2 = v
    seg = tracker.segment
    seg(t0, n0, C, port, S, 80, x, 0, 0x002, w0, 0, o0, b"", f0)
    seg(t1, n1, S, 80, C, port, y, (x + 1) & M32, 0x012, w1, 0, o1, b"", f1)
    conn, _ = seg(t2, n2, C, port, S, 80, (x + 1) & M32, (y + 1) & M32, 0x010, w2, 0, b"", b"", f2)
    return conn


@pytest.mark.parametrize("seed", range(40))
def test_handshake_equals_segments(seed):
    rng = random.Random(seed)
    t0 = 0 if seed % 10 == 0 else 1_000_000_000 + rng.randrange(10 ** 9)
    v = _handshake_values(rng, t0)
    a, b = TcpTracker(analysis=False), TcpTracker(analysis=False)
    a.next_stream = b.next_stream = seed
    conn_a = _by_segments(a, 40000 + seed, v)
    conn_b = b.handshake((C, 40000 + seed, S, 80), *v)
    assert conn_b is not None
    assert _conn_state(conn_b) == _conn_state(conn_a)
    assert b.next_stream == a.next_stream
    assert not a.attempts and not b.attempts
    assert dict(b.flows._map).keys() == dict(a.flows._map).keys()
    # the connections finish alike too
    a.close_all()
    b.close_all()


def test_handshake_refuses_other_cases():
    """A 4-tuple open, pending as an attempt (either way), remembered as finished, or sinks: None, no change."""
    rng = random.Random(1)
    v = _handshake_values(rng, 10 ** 9)
    key = (C, 40000, S, 80)
    t = TcpTracker(analysis=False)
    t.segment(5, 0, C, 40000, S, 80, 7, 0, 0x002, 10, 0, b"", b"", 60)        # an attempt of that 4-tuple
    assert t.handshake(key, *v) is None and t.next_stream == 1
    t = TcpTracker(analysis=False)
    t.segment(5, 0, S, 80, C, 40000, 7, 0, 0x002, 10, 0, b"", b"", 60)        # one the other way
    assert t.handshake(key, *v) is None
    t = TcpTracker(analysis=False)
    t.segment(5, 0, C, 40000, S, 80, 7, 0, 0x010, 10, 0, b"", b"", 60)        # open (mid-stream)
    assert t.handshake(key, *v) is None
    t = TcpTracker(analysis=False)
    t.finished_keys.add(key, 7, 0)                                            # finished not long ago
    assert t.handshake(key, *v) is None
    t = TcpTracker(analysis=False, payload_sink_factory=lambda conn: None)
    assert t.handshake(key, *v) is None
    assert not t.flows._map and not t.attempts


def _life(rng: random.Random, x: int, y: int, t0: int, n: int, fin_rate: float = 0.12,
          fin_again_skip: float | None = 0.7) -> list[tuple]:
    """Segments after a handshake: (ts, num, direction, seq, ack, flags, window, seglen, frame_len).
    ``fin_rate``: how often a segment carries FIN; ``fin_again_skip``: how often that FIN is left off for a
    side that already sent one (None: never)."""
    nxt = [(x + 1) & M32, (y + 1) & M32]
    fin = [False, False]
    out = []
    for i in range(n):
        d = 1 if rng.random() < 0.5 else 0
        size = rng.choice((0, 0, 0, 1, 536, 1448))
        seq = nxt[d]
        r = rng.random()
        if r < 0.08 and size:
            seq = (seq - rng.choice((1448, 2896, 1))) & M32
        elif r < 0.1 and size:
            seq = (seq + 2896) & M32
        elif r < 0.11:
            seq = (seq + 0x90000000) & M32
        ack = nxt[1 - d]
        if rng.random() < 0.07:
            ack = (ack + rng.choice((1, -1, 1448, 5000, 0x80000000))) & M32
        flags = 0x018 if size else 0x010
        if rng.random() < fin_rate and not (fin_again_skip is not None and fin[d] and rng.random() < fin_again_skip):
            flags |= 0x001
        if rng.random() < 0.02:
            flags = rng.choice((0x000, 0x008, 0x011 | 0x004, 0x012, 0x014))     # not plain: the tracker
        window = 0 if rng.random() < 0.05 else 500
        if ((seq - nxt[d]) & M32) < 0x80000000:
            nxt[d] = (seq + size + (1 if flags & 0x001 and not fin[d] else 0)) & M32
        if flags & 0x001:
            fin[d] = True
        out.append((t0 + 1000 * (i + 1), 10 + i, d, seq, ack, flags, window, size, 66 + size))
    return out


@pytest.mark.parametrize("seed", range(60))
def test_plain_equals_segment(seed):
    _plain_run(seed)


def test_plain_taken_often():
    """The random lives do reach plain(): most of their segments go through it."""
    assert sum(_plain_run(seed) for seed in range(20)) > 200


def _plain_run(seed: int) -> int:
    rng = random.Random(1000 + seed)
    t0 = 1_000_000_000
    v = _handshake_values(rng, t0)
    x, y = v[2], v[8]
    trackers = TcpTracker(analysis=False), TcpTracker(analysis=False)
    conns = [_by_segments(t, 40000, v) for t in trackers]
    used = 0
    for ts, num, d, seq, ack, flags, window, size, flen in _life(rng, x, y, t0 + 100_000, rng.randrange(2, 60)):
        src, sport, dst, dport = (C, 40000, S, 80) if d == 0 else (S, 80, C, 40000)
        for k, t in enumerate(trackers):
            conn = conns[k]
            if k == 1 and (flags & 0x16) == 0x10 and plain_ok(conn):
                t.plain(conn, d, ts, num, seq, ack, flags, window, size, flen)
                used += 1
            else:
                conns[k], _ = t.segment(ts, num, src, sport, dst, dport, seq, ack, flags, window, size, b"", b"",
                                        flen)
        assert _conn_state(conns[1]) == _conn_state(conns[0]), (seed, num)
    for t in trackers:
        t.close_all()
    assert _conn_state(conns[1]) == _conn_state(conns[0])
    return used


def test_plain_ok_refuses():
    t = TcpTracker(analysis=False)
    att, _ = t.segment(5, 0, C, 40000, S, 80, 7, 0, 0x002, 10, 0, b"", b"", 60)
    assert not plain_ok(att)                       # an attempt
    conn, _ = t.segment(6, 1, S, 80, C, 40000, 9, 8, 0x012, 10, 0, b"", b"", 60)
    assert not plain_ok(conn)                      # the SYN-ACK not yet acknowledged
    conn, _ = t.segment(7, 2, C, 40000, S, 80, 8, 10, 0x010, 10, 0, b"", b"", 60)
    assert plain_ok(conn)
    t.close_all()
    assert not plain_ok(conn)                      # finished


def test_shared_syn_options_equal_a_walk():
    """The SYN options remembered by layout (timestamp values left out of the key) are what a walk over the
    bytes reads, whatever the bytes: common layouts with random values, random bytes, malformed lengths."""
    from analyzer.tcp import connection as tc
    from analyzer.tcp.options import parse_syn_options

    rng = random.Random(5)
    # a 10-byte layout without timestamps, an 18-byte one with them at 10, then the first 10 bytes of that
    # one (a truncated timestamps option: malformed): its answer is not the 18-byte one's
    cases = [b"\x02\x04\x05\xb4\x01\x01\x01\x01\x01\x00", b"\x02\x04\x05\xb4\x01\x01\x01\x01\x08\x0a" + bytes(8),
             b"\x02\x04\x05\xb4\x01\x01\x01\x01\x08\x0a"]
    for _ in range(3000):
        base = bytearray(rng.choice(OPTS))
        r = rng.random()
        if r < 0.5:
            for i in range(len(base)):          # new values where a timestamps option would hold them
                if rng.random() < 0.4:
                    base[i] = rng.getrandbits(8)
        elif r < 0.6:
            base = bytearray(rng.getrandbits(8) for _ in range(rng.randrange(0, 41)))
        cases.append(bytes(base))
    for _ in range(300):                        # one layout, other timestamp values (and MSS, window scale)
        cases.append(b"\x02\x04" + rng.randbytes(2) + b"\x04\x02\x08\x0a" + rng.randbytes(8) + b"\x01\x03\x03"
                     + rng.randbytes(1))
    for _ in range(20000):                      # option-like bytes of every length (a key of one length must
        n = rng.randrange(0, 41)                # never answer for another: 0808000e050180000a03 once did)
        opts = bytes(rng.choice((0, 1, 2, 3, 4, 8, 10, 5)) if rng.random() < 0.6 else rng.getrandbits(8)
                     for _ in range(n))
        cases.append(b"\x02\x04\x05\xb4\x04\x02\x08\x0a" + rng.randbytes(8) + opts if rng.random() < 0.2 else opts)
    cases += [b"\x08\x0a" + bytes(8), b"\x08\x0a" + b"\x02\x04\x05\xb4" + bytes(4), b"\x01\x08\x0a" + bytes(9)]
    for opts in cases * 2:
        got = tc._shared_syn_options(opts)
        want = parse_syn_options(opts)
        assert got.as_dict() == want.as_dict(), opts.hex()
