"""The compiled steady segment (``analyzer.tcp.connection.steady_compiled``, ``tcp_steady`` in
analyzer/columnar/_speedups.c: TcpTracker._steady_out's commonest case in one call) against the Python
``_steady_out`` and against the general ``_apply``: three trackers fed the same segments of a connection damaged
just where its rule decides (bytes resent, reordered, overlapping what was delivered, past a hole; keep-alives;
zero windows; SACK blocks; ACKs of bytes never seen; sequence numbers that wrap past 2**32; payloads the capture
cut short; FINs and RSTs), with the same per-frame fields (in order), connection and reassembler slots and sink
events after each segment. The compiled call is counted: taken often, and declining on each kind of damage."""

from __future__ import annotations

import random

import pytest
from test_tcp_steady_sink import Recorder, _state

from analyzer.compiled import compiled
from analyzer.tcp import connection
from analyzer.tcp.connection import TcpTracker

M32 = 0xFFFFFFFF
HOSTS = (("10.0.0.2", 40000), ("10.0.0.1", 80))
C0, S0 = HOSTS[0] + HOSTS[1], HOSTS[1] + HOSTS[0]     # (src, sport, dst, dport) of each direction
# kinds of damage that are damage only with bytes (an empty segment's old sequence number is an ordinary ACK)
SIZED = ("resent", "keep-alive", "overlap", "hole", "cut")

pytestmark = pytest.mark.skipif(connection.steady_compiled is None, reason="the compiled helper is not built")


def _damaged(rng: random.Random, n: int, isn: tuple[int, int]):
    """(direction, seq, ack, flags, window, payload, captured, opts, kind) of one connection: its handshake, then
    mostly in-order data both ways with the kinds of damage named in ``kind``."""
    x, y = isn
    nxt = [(x + 1) & M32, (y + 1) & M32]
    sent = [set(), set()]       # what each side sent since the handshake: bytes ("d"), a bare ACK ("a")
    fin_sent = [False, False]
    yield 0, x, 0, 0x02, 64240, b"", 0, b"", "syn"
    yield 1, y, nxt[0], 0x12, 65160, b"", 0, b"", "syn"
    yield 0, nxt[0], nxt[1], 0x10, 502, b"", 0, b"", "ack"
    for i in range(n):
        d = rng.randrange(2)
        size = rng.choice((0, 1, 10, 100, 1448, 1448))
        payload = bytes(rng.getrandbits(8) for _ in range(size))
        seq, ack = nxt[d], nxt[1 - d]
        flags, window, opts, kind = rng.choice((0x10, 0x18)), rng.choice((502, 1024)), b"", "steady"
        captured = size
        r = rng.random()
        if r < 0.05:
            seq, kind = (seq - rng.choice((1, 100, 1448))) & M32, "resent"
        elif r < 0.08:
            seq, payload, kind = (seq - 1) & M32, payload[:1], "keep-alive"     # one old byte (or none)
        elif r < 0.11:
            seq, kind = (seq - 5) & M32, "overlap"
            payload = payload + b"\x00" * 5
        elif r < 0.14:
            seq, kind = (seq + 1448) & M32, "hole"
        elif r < 0.17:
            window, kind = 0, "zero-window"
        elif r < 0.20:
            opts, kind = b"\x01\x01\x05\x0a" + ((ack + 1000) & M32).to_bytes(4, "big") \
                + ((ack + 2000) & M32).to_bytes(4, "big"), "sack"
        elif r < 0.23:
            ack, kind = (ack + 100) & M32, "ack-unseen"     # (unseen unless the peer sent past a hole)
        elif r < 0.26 and size:
            captured, kind = size // 2, "cut"
        elif r < 0.28:
            ack, kind = (ack - 100) & M32, "old-ack"
        elif r < 0.30:
            # (a timestamp's bytes may be 5, the SACK option's kind: no SACK block for all that)
            opts, kind = b"\x01\x01\x08\x0a" + b"\x05\x01\x00\x00\x00\x00\x00\x05", "timestamps"
        if i >= n - 15 and rng.random() < 0.2:
            flags, kind = rng.choice((0x11, 0x19, 0x14, 0x04)), "fin-rst"
        if fin_sent[d] and kind in SIZED:
            # bytes after the side's own FIN: the FIN's place counts as sent, the Python's rule not (the highest
            # byte sent is below it): another kind
            kind = "after its FIN " + kind
        if seq == nxt[d]:
            nxt[d] = (seq + len(payload) + (1 if flags & 0x01 else 0)) & M32
        if flags & 0x01:
            fin_sent[d] = True
        if not sent[d]:
            # the side's first segment after the handshake (the responder's moves it to ESTABLISHED): its first
            # bytes or first bare ACK, which logs a history letter; old bytes are none of its own yet
            kind = "first " + kind
        if not flags & 0x07:
            sent[d].add("d" if payload else "a")
        yield d, seq, ack, flags, window, payload, captured if kind == "cut" else len(payload), opts, kind


def _teardown(rng: random.Random, isn: tuple[int, int], how: str):
    """(direction, seq, ack, flags, window, payload, captured, opts, kind) of one connection: its handshake, a
    request and a response, then the teardown ``how``, each of its segments' kind named by what it is."""
    x, y = isn
    nxt = [(x + 1) & M32, (y + 1) & M32]
    out = [(0, x, 0, 0x02, 64240, b"", 0, b"", "syn"), (1, y, nxt[0], 0x12, 65160, b"", 0, b"", "syn"),
           (0, nxt[0], nxt[1], 0x10, 502, b"", 0, b"", "ack")]

    def seg(d, flags, payload=b"", kind="steady", seq=None, ack=None, captured=None, window=502):
        s = nxt[d] if seq is None else seq
        a = nxt[1 - d] if ack is None else ack
        out.append((d, s, a, flags, window, payload, len(payload) if captured is None else captured, b"", kind))
        if s == nxt[d]:
            nxt[d] = (s + len(payload) + (flags & 0x01)) & M32

    seg(0, 0x18, b"GET / HTTP/1.1\r\n\r\n")
    seg(1, 0x10)
    for _ in range(rng.randrange(1, 4)):
        seg(1, 0x18, bytes(rng.getrandbits(8) for _ in range(rng.choice((10, 1448)))))
    seg(0, 0x10)
    a, b = (0, 1) if rng.random() < 0.5 else (1, 0)       # the active closer, the passive one
    if how == "four-way":
        seg(a, 0x11, kind="fin")
        seg(b, 0x10, kind="ack of fin")
        seg(b, 0x11, kind="second fin")
        seg(a, 0x10, kind="last ack")
    elif how == "three-way":
        seg(a, 0x11, kind="fin")
        seg(b, 0x11, kind="fin-ack of fin")
        seg(a, 0x10, kind="last ack")
    elif how == "data fin":
        seg(a, 0x19, b"bye", kind="fin with bytes")
        seg(b, 0x19, b"ok", kind="fin with bytes after fin")
        seg(a, 0x10, kind="last ack")
    elif how == "half-close":
        seg(a, 0x11, kind="fin")
        seg(b, 0x10, kind="ack of fin")
        seg(b, 0x18, b"more data", kind="bytes after peer fin")
        seg(a, 0x10, kind="ack after own fin")
        seg(b, 0x11, kind="second fin")
        seg(a, 0x10, kind="last ack")
    elif how == "simultaneous":
        fa, fb = nxt[a], nxt[b]
        seg(a, 0x11, kind="fin", ack=fb)
        seg(b, 0x11, kind="crossing fin", ack=fa)
        seg(a, 0x10, kind="last ack")
        seg(b, 0x10, kind="last ack")
    elif how == "fin resent":
        fa = nxt[a]
        seg(a, 0x11, kind="fin")
        seg(a, 0x11, kind="fin resent", seq=fa)
        seg(b, 0x11, kind="second fin")
        seg(a, 0x10, kind="last ack")
        seg(a, 0x10, kind="last ack resent", seq=(nxt[a] - 0) & M32)
    elif how == "fin past a hole":
        seg(a, 0x11, kind="fin past a hole", seq=(nxt[a] + 100) & M32)
        seg(b, 0x10, kind="ack of a hole and fin", ack=(nxt[a] + 101) & M32)
        seg(b, 0x11, kind="second fin")
    elif how == "ack short of the fin":
        fa = nxt[a]
        seg(a, 0x11, kind="fin")
        seg(b, 0x10, kind="ack short of the fin", ack=fa)
        seg(b, 0x11, kind="fin short of the fin", ack=fa)
        seg(a, 0x10, kind="last ack")
        seg(b, 0x10, kind="ack of fin")
    elif how == "rst":
        seg(a, 0x11, kind="fin")
        seg(b, 0x14, kind="rst")
        seg(a, 0x10, kind="ack after rst")
    elif how == "cut fin":
        seg(a, 0x19, b"0123456789", kind="fin with cut bytes", captured=4)
        seg(b, 0x11, kind="fin-ack of fin")
        seg(a, 0x10, kind="last ack")
    elif how == "zero window":
        seg(a, 0x11, kind="fin")
        seg(b, 0x10, kind="ack of fin, zero window", window=0)
        seg(b, 0x11, kind="second fin")
        seg(a, 0x10, kind="last ack")
    elif how == "after the end":
        seg(a, 0x11, kind="fin")
        seg(b, 0x11, kind="fin-ack of fin")
        seg(a, 0x10, kind="last ack")
        seg(b, 0x10, kind="ack after the end")
        seg(a, 0x18, b"late", kind="bytes after own fin")
    yield from out


TEARDOWNS = ("four-way", "three-way", "data fin", "half-close", "simultaneous", "fin resent", "fin past a hole",
             "ack short of the fin", "rst", "cut fin", "zero window", "after the end")


def _run(seed: int, isn: tuple[int, int], monkeypatch, sinks_wanted: bool = True,
         segs: list | None = None) -> dict[str, list[bool]]:
    rng = random.Random(seed)
    if segs is None:
        segs = list(_damaged(rng, 300, isn))
    real = compiled("tcp_steady")       # (not an earlier run's wrapper, left in place until the test ends)
    mode = ["c"]
    calls: list[bool] = []

    def steady(*args):
        if mode[0] != "c":
            return None
        r = real(*args)
        calls.append(r is not None)
        return r

    monkeypatch.setattr(connection, "steady_compiled", steady)
    sinks: list[list[Recorder]] = [[], [], []]
    trackers = [TcpTracker(sink_factory=(lambda conn, k=k: sinks[k].append(Recorder()) or sinks[k][-1])
                           if sinks_wanted else None) for k in range(3)]
    trackers[2]._steady_out = lambda *args: False
    taken: dict[str, list[bool]] = {}
    ts = 1_000_000_000
    for num, (d, seq, ack, flags, window, payload, captured, opts, kind) in enumerate(segs, 1):
        ts += rng.choice((1000, 100_000, 5_000_000))
        (src, sport), (dst, dport) = HOSTS[d], HOSTS[1 - d]
        outs, states = [], []
        for k, (m, t) in enumerate(zip(("c", "py", "general"), trackers)):
            mode[0] = m
            before = len(calls)
            out: dict = {}
            conn, _d = t.segment(ts, num, src, sport, dst, dport, seq, ack, flags, window, len(payload), opts,
                                 payload[:captured], 54 + captured, num, out)
            if k == 0 and len(calls) > before:
                taken.setdefault(kind if payload or kind not in SIZED else kind + " (no bytes)", []).append(calls[-1])
            outs.append(list(out.items()))
            # (a lone SYN without sinks wanted is kept as an Attempt, no connection yet)
            states.append(_state(conn, sinks[k]) if hasattr(conn, "sides") else ("attempt", conn.stream))
        assert outs[0] == outs[1] == outs[2], (num, kind)
        assert states[0] == states[1] == states[2], (num, kind)
    return taken


@pytest.mark.parametrize("seed", range(12))
def test_damaged_connections(seed, monkeypatch):
    """With a sink: every kind of damage goes to the Python."""
    rng = random.Random(seed)
    isn = (rng.getrandbits(32), rng.getrandbits(32))
    if seed % 3 == 0:
        isn = (M32 - rng.randrange(4000), M32 - rng.randrange(4000))     # both sides' numbers wrap past 2**32
    taken = _run(5000 + seed, isn, monkeypatch)
    assert sum(taken["steady"]) > 50           # the compiled call decides the steady segments
    assert any(taken["timestamps"])
    for kind in ("resent", "keep-alive", "overlap", "zero-window", "sack", "cut"):
        assert not any(taken.get(kind, ())), kind      # each of these changes a letter or needs the Python
    # bytes past a hole: declined, unless an ACK past the hole already gave it up (then they are next in order)
    assert taken["hole"].count(False) > taken["hole"].count(True)


@pytest.mark.parametrize("seed", range(6))
def test_damaged_connections_without_sinks(seed, monkeypatch):
    """Without a sink (nobody wants the bytes: no reassembler is touched): only what changes a letter or needs
    SACK goes to the Python; bytes past a hole or cut short are taken."""
    rng = random.Random(seed)
    isn = (M32 - rng.randrange(4000), rng.getrandbits(32)) if seed % 2 else (rng.getrandbits(32),) * 2
    taken = _run(6000 + seed, isn, monkeypatch, sinks_wanted=False)
    assert sum(taken["steady"]) > 50
    for kind in ("resent", "keep-alive", "overlap", "zero-window", "sack"):
        assert not any(taken.get(kind, ())), kind
    assert any(taken["hole"]) or any(taken.get("cut", ()))


def test_first_segments_taken(monkeypatch):
    """A side's first segment after the handshake (the responder's first one makes it ESTABLISHED; its first
    bytes or first bare ACK log a history letter) is taken too when it is otherwise steady; the client's first
    bytes are not (the connection's sinks are made then, by the Python), nor the responder's first segment
    before them. The damaged connections above compare the three trackers on such segments."""
    taken: dict[str, list[bool]] = {}
    for seed in range(16):
        rng = random.Random(seed)
        for kind, calls in _run(7000 + seed, (rng.getrandbits(32), rng.getrandbits(32)), monkeypatch).items():
            taken.setdefault(kind, []).extend(calls)
    assert sum(taken["first steady"]) >= 2     # (seeds 1 and 4: the responder's, after the client's bytes)
    # the handshake's ACK, a request, the responder's bare ACK and its first bytes: taken, with the letters and
    # states _apply gives; with the payload sinks made at the first byte (SinksDue), the request is the Python's
    segs = [(C0, 100, 0, 0x02, b""), (S0, 500, 101, 0x12, b""), (C0, 101, 501, 0x10, b""),
            (C0, 101, 501, 0x18, b"GET / HTTP/1.1\r\n\r\n"), (S0, 501, 119, 0x10, b""),
            (S0, 501, 119, 0x18, b"HTTP/1.1 200 OK\r\n"), (C0, 119, 518, 0x10, b"")]
    real = compiled("tcp_steady")       # (not _run's wrapper, which the loop above left in place)
    for factory, expected in (("sink_factory", [True] * 5), ("payload_sink_factory", [True, None, True, True, True])):
        recorders: list[list[Recorder]] = [[], []]
        trackers = [TcpTracker(**{factory: lambda conn, k=k, rs=recorders: rs[k].append(Recorder()) or rs[k][-1]})
                    for k in range(2)]
        trackers[1]._steady_out = lambda *args: False
        calls: list = []
        monkeypatch.setattr(connection, "steady_compiled", lambda *a, calls=calls: calls.append(real(*a)) or calls[-1])
        for num, ((src, sport, dst, dport), seq, ack, flags, payload) in enumerate(segs, 1):
            outs, states = [], []
            for k, t in enumerate(trackers):
                out: dict = {}
                conn, _d = t.segment(num, num, src, sport, dst, dport, seq, ack, flags, 502, len(payload), b"",
                                     payload, 54 + len(payload), num, out)
                outs.append(out)
                states.append(_state(conn, recorders[k]) if hasattr(conn, "sides") else ("attempt", conn.stream))
            assert outs[0] == outs[1] and states[0] == states[1], (factory, num)
        assert calls == expected, factory
        assert "".join(conn.history) == "ShADad" and conn.sides[1].endpoint == "ESTABLISHED"
        assert conn.handshake_ack_frame == 3 and conn.sides[1].rfc == "ESTABLISHED"


@pytest.mark.parametrize("how", TEARDOWNS)
@pytest.mark.parametrize("sinks_wanted", (True, False))
def test_teardowns(how, sinks_wanted, monkeypatch):
    """Each way a connection ends, with and without a sink, ISNs wrapping or not: the compiled call takes a
    side's first FIN (with or without bytes), the ACKs around FINs and the ACK of a FIN, with the fields, states,
    letters, teardown facts and sink events (bytes, then FIN) of the Python; it declines a FIN resent, a FIN
    past a hole, bytes cut short with a sink, a zero window, a RST."""
    taken: dict[str, list[bool]] = {}
    for seed in range(8):
        rng = random.Random(seed)
        isn = (M32 - rng.randrange(30), rng.getrandbits(32)) if seed % 2 else (rng.getrandbits(32),) * 2
        segs = list(_teardown(rng, isn, how))
        for kind, calls in _run(8000 + seed, isn, monkeypatch, sinks_wanted, segs).items():
            taken.setdefault(kind, []).extend(calls)
    for kind in ("fin", "ack of fin", "second fin", "last ack", "fin-ack of fin", "fin with bytes",
                 "fin with bytes after fin", "bytes after peer fin", "ack after own fin", "crossing fin",
                 "ack short of the fin", "fin short of the fin", "ack after the end"):
        if kind in taken:
            assert all(taken[kind]), (how, kind, taken[kind])
    for kind in ("fin resent", "ack of fin, zero window", "rst"):
        if kind in taken:
            assert not any(taken[kind]), (how, kind, taken[kind])
    # with a sink, a reassembler: the FIN past a hole waits for it, an ACK past the hole gives it up, bytes cut
    # short are a gap (the Python's); without one, nothing of these changes a letter or a state the Python's would not
    for kind in ("fin past a hole", "ack of a hole and fin", "fin with cut bytes"):
        if kind in taken:
            assert (not any(taken[kind])) if sinks_wanted else all(taken[kind]), (how, kind, taken[kind])
    assert any(taken.get("fin", ())) or any(taken.get("fin with bytes", ())) or how in ("fin past a hole", "cut fin")


def test_wrap_around_taken(monkeypatch):
    """Segments whose sequence numbers wrap past 2**32 in the middle of a connection are taken too."""
    taken = _run(77, (M32 - 10, M32 - 3000), monkeypatch)
    assert sum(taken["steady"]) > 50


def test_declines_without_changing(monkeypatch):
    """A segment the compiled call declines (here, bytes past a hole) leaves the connection as it was."""
    tracker = TcpTracker(sink_factory=lambda conn: Recorder())
    seg = tracker.segment
    seg(1, 1, "10.0.0.2", 40000, "10.0.0.1", 80, 100, 0, 0x02, 64240, 0, b"", b"", 66)
    seg(2, 2, "10.0.0.1", 80, "10.0.0.2", 40000, 500, 101, 0x12, 65160, 0, b"", b"", 66)
    seg(3, 3, "10.0.0.2", 40000, "10.0.0.1", 80, 101, 501, 0x18, 502, 4, b"", b"GET ", 70, 3, {})
    conn, d = seg(4, 4, "10.0.0.2", 40000, "10.0.0.1", 80, 105, 501, 0x18, 502, 2, b"", b"/ ", 68, 4, {})
    assert d == 0
    before = _state(conn, [conn.sink])
    out: dict = {}
    assert connection.steady_compiled(conn, 0, 5, 5, 200, 501, 0x18, 502, 3, b"", b"xyz", 69, 5, out,
                                      connection._ESTABLISHED, connection.SinksDue, connection.Deferred) is None
    assert _state(conn, [conn.sink]) == before
    out = {}
    assert connection.steady_compiled(conn, 0, 5, 5, 107, 501, 0x18, 502, 3, b"", b"xyz", 69, 5, out,
                                      connection._ESTABLISHED, connection.SinksDue, connection.Deferred) is True
    assert out["tcp.stream"] == 0 and out["tcp.seq"] == 7 and out["tcp.nxtseq"] == 10
    assert conn.sink.events[-1] == ("data", 0, b"xyz", 5, 5)
