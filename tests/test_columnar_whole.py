"""Whole ordinary connections computed from the columns (analyzer.columnar.whole, the rule in its docstring)
against the per-packet pass. Captures of ordinary connections (handshake, requests and responses both ways,
a four- or three-segment teardown by either side, pauses that put a connection across several idle sweeps)
in which one connection is damaged exactly where the rule decides, one condition at a time: every row of
`conversations --json` must be the same on both paths, every undamaged connection's row must come from a
whole record and the damaged one's must not. And the records themselves: made connections
(:func:`analyzer.columnar.whole.promote`) they equal the per-packet tracker's slot by slot, and their rows
(:func:`analyzer.columnar.whole.row`) equal ``summarize`` of the per-packet connection."""

from __future__ import annotations

import random
import struct

import pytest
from capture_builders import pcap_file
from test_columnar_equal import _same
from test_tcp_grouped import _slots

import analyzer.columnar.rows as rows_mod
from analyzer.capture import open_capture
from analyzer.columnar import whole
from analyzer.columnar.count import _batch
from analyzer.pipeline import Pipeline
from analyzer.tcp.connection import Connection, summarize

M32 = 0xFFFFFFFF
SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10
SERVER = bytes((192, 0, 2, 80))
OPTS = (b"", b"\x02\x04\x05\xb4", b"\x02\x04\x05\xb4\x01\x03\x03\x08\x01\x01\x04\x02",
        b"\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x01\x02\x03\x00\x00\x00\x00\x01\x03\x03\x07")
SEC = 1_000_000_000
DAMAGE = ("retransmission", "hole", "zero_window", "ack_gap", "rst_end", "fin_again", "data_after_fin",
          "simultaneous_close", "fin_with_data", "syn_again", "late_segment", "port_reuse", "idle_gap",
          "no_teardown", "last_ack_off", "synack_data", "rst_middle", "fin_first_unacked", "attempt_reverse",
          "reuse_after_tracked")


def _frame(src: bytes, sport: int, dst: bytes, dport: int, seq: int, ack: int, flags: int, win: int,
           size: int, opts: bytes = b"") -> bytes:
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & M32, ack & M32, (20 + len(opts)) // 4 << 4, flags, win,
                      0, 0) + opts + b"x" * size
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    return b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + ip + tcp


def _connection(rng: random.Random, client: bytes, port: int, t: int, damage: str | None) -> list[tuple]:
    """One connection's frames, (time, bytes), an ordinary one unless ``damage`` names what to change."""
    out: list[tuple] = []
    x, y = rng.getrandbits(32), rng.getrandbits(32)
    if rng.random() < 0.2:
        x = M32 - rng.randrange(3)                      # the sequence numbers wrap
    nxt = [(x + 1) & M32, (y + 1) & M32]
    ends = ((client, port, SERVER, 80), (SERVER, 80, client, port))

    def send(d: int, flags: int, size: int = 0, seq: int | None = None, ack: int | None = None,
             win: int = 500, opts: bytes = b"", dt: int = 20_000) -> None:
        nonlocal t
        t += dt
        s = nxt[d] if seq is None else seq
        a = nxt[1 - d] if ack is None else ack
        out.append((t, _frame(*ends[d][:2], *ends[d][2:], s, a, flags, win, size, opts)))
        if seq is None:
            nxt[d] = (nxt[d] + size + (1 if flags & FIN else 0)) & M32

    if damage == "attempt_reverse":               # an unanswered SYN the other way, pending as an attempt
        out.append((t - 20 * SEC, _frame(*ends[1], y ^ 0x55, 0, SYN, 64240, 0)))
    out.append((t, _frame(*ends[0], x, 0, SYN, 64240, 0, rng.choice(OPTS))))
    if damage == "syn_again":
        t += SEC
        out.append((t, _frame(*ends[0], x, 0, SYN, 64240, 0, b"")))
    t += 30_000
    out.append((t, _frame(*ends[1], y, (x + 1) & M32, SYN | ACK, 65160,
                          3 if damage == "synack_data" else 0, rng.choice(OPTS))))
    if damage == "synack_data":
        nxt[1] = (nxt[1] + 3) & M32
    send(0, ACK)
    rounds = rng.randrange(1, 4)
    for r in range(rounds):
        send(0, ACK | PSH, rng.choice((1, 370, 536)))
        if rng.random() < 0.5:
            send(1, ACK)
        for k in range(rng.randrange(1, 5)):
            send(1, ACK | (PSH if k else 0), rng.choice((1, 536, 1448)))
            if damage in ("retransmission", "reuse_after_tracked") and r == 0 and k == 0:
                send(1, ACK, 1448, seq=(nxt[1] - 1448) & M32)
            if damage == "hole" and r == 0 and k == 0:
                nxt[1] = (nxt[1] + 1000) & M32
            if damage == "zero_window" and r == 0 and k == 0:
                send(0, ACK, win=0)
            if damage == "ack_gap" and r == 0 and k == 0:
                send(0, ACK, ack=(nxt[1] + 1000) & M32)
            if damage == "rst_middle" and r == 0 and k == 0:
                send(0, RST | ACK)
            send(0, ACK)
        if damage == "idle_gap" and r == 0:
            t += 200 * SEC
        t += rng.choice((1, 4, 7)) * SEC                 # think time: the connection spans idle sweeps
    if damage == "no_teardown":
        return out
    closer = rng.randrange(2)
    other = 1 - closer
    if damage == "simultaneous_close":
        send(closer, FIN | ACK)
        send(other, FIN | ACK, ack=(nxt[closer] - 1) & M32)
        send(closer, ACK)
        send(other, ACK)
        return out
    send(closer, FIN | ACK | (PSH if damage == "fin_with_data" else 0), 5 if damage == "fin_with_data" else 0,
         dt=rng.choice((20_000, 15 * SEC)))
    if damage == "fin_again":
        send(closer, FIN | ACK, seq=(nxt[closer] - 1) & M32)
    if damage == "data_after_fin":
        send(other, ACK | PSH, 100)
    if damage == "fin_first_unacked":
        send(other, FIN | ACK, ack=(nxt[closer] - 1) & M32)
    elif rng.random() < 0.5:
        send(other, ACK)
        send(other, FIN | ACK)
    else:
        send(other, FIN | ACK)
    if damage == "rst_end":
        send(closer, RST | ACK)
    elif damage == "last_ack_off":
        send(closer, ACK, ack=(nxt[other] + 1) & M32)
    else:
        send(closer, ACK)
    if damage == "late_segment":
        send(closer, ACK, dt=30 * SEC)
    if damage in ("port_reuse", "reuse_after_tracked"):
        # an ordinary connection on the same 4-tuple, while the first one lingers closed (a record, or a
        # connection in the tracker's flow table): not a record either
        out += _connection(rng, client, port, t + 40 * SEC, None)
    return out


def _capture(path, seed: int, damage: str | None, n: int = 60) -> int:
    """``n`` connections (the first damaged), started over ~40 s: the ordinary ones' count."""
    rng = random.Random(seed)
    frames: list[tuple] = []
    for i in range(n):
        client = bytes((10, 0, i // 200, 1 + i % 200))
        frames += _connection(rng, client, 40000 + i, 30 * SEC + i * SEC * 2 // 3 + rng.randrange(SEC),
                              damage if i == 0 else None)
    frames.sort(key=lambda f: f[0])
    path.write_bytes(pcap_file([(ts // SEC, ts % SEC // 1000, data) for ts, data in frames]))
    return n - 1 if damage else n


def _whole_rows(monkeypatch) -> list:
    """The 4-tuples of the rows connection_rows makes from whole records (with details or without)."""
    made: list = []
    real, real_values = rows_mod.whole_row, rows_mod.row_values

    def counted(w, details):
        made.append(w.key)
        return real(w, details)

    def counted_values(w):
        made.append(w.key)
        return real_values(w)
    real_many = whole.Finished.block

    def counted_many(fin):
        made.extend(fin.keys())
        return real_many(fin)
    monkeypatch.setattr(rows_mod, "whole_row", counted)
    monkeypatch.setattr(rows_mod, "row_values", counted_values)
    monkeypatch.setattr(whole.Finished, "block", counted_many)
    return made


@pytest.mark.parametrize("keys", [None, ("stream", "history", "orig_pkts", "irtt", "time_wait", "no_such_key")])
def test_rows_without_details(tmp_path, monkeypatch, keys):
    """The table's rows (no details, some keys): made from the records' values without a mapping."""
    path = tmp_path / "ordinary.pcap"
    n = _capture(path, 7, "retransmission")
    made = _whole_rows(monkeypatch)
    with open_capture(path) as reader:
        tcp, udp, _first = rows_mod.connection_rows(reader, keys=keys)
    got = [dict(r) for r in tcp]
    tcp.close()
    udp.close()
    pipe = Pipeline(analysis=False, dns_over_tcp=False)
    with open_capture(path) as reader:
        pipe.count(reader)
    expected = pipe.tcp_rows(details=False)
    if keys is not None:
        expected = [{k: r.get(k) for k in keys} for r in expected]
    assert got == expected
    assert len(made) == n


@pytest.mark.parametrize("seed", range(4))
def test_ordinary_connections_all_whole(tmp_path, monkeypatch, seed):
    path = tmp_path / "ordinary.pcap"
    n = _capture(path, seed, None)
    made = _whole_rows(monkeypatch)
    _same(path)
    assert len(made) == n


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_one_condition(tmp_path, monkeypatch, damage):
    path = tmp_path / f"{damage}.pcap"
    n = _capture(path, 5, damage)
    made = _whole_rows(monkeypatch)
    _same(path)
    damaged_key = ("10.0.0.1", 40000, "192.0.2.80", 80)
    assert damaged_key not in made, damage
    assert len(made) == n, (damage, len(made), n)


def _tracker_states(path, columnar: bool):
    """The connections open at the end (records made connections) and the finished ones' rows, by first
    frame, stream numbers left out (the columnar pass renumbers them at the end)."""
    finished: list = []
    pipe = Pipeline(analysis=False, dns_over_tcp=False,
                    tracker_options={"keep_summaries": False, "on_finish": finished.append})
    tracker = pipe.tcp
    with open_capture(path) as reader:
        if columnar:
            tracker.wholes = whole.Wholes(tracker)
            for batch in reader.batches():
                _batch(pipe, batch)
        else:
            for frame in reader:
                pipe.feed(frame)
    kinds = {"records": len(tracker.wholes or ())}
    conns = tracker.connections()
    state = {}
    for conn in conns:
        s = _slots(conn)
        s["sides"] = [_slots(side) for side in conn.sides]
        s["marks"] = dict(conn._once)
        s["row"] = summarize(conn, True)
        del s["stream"], s["row"]["stream"]
        state[conn.first_frame] = s
    rows = {}
    for c in finished:
        row = summarize(c, True) if c.__class__ is Connection else whole.row(c, True)
        del row["stream"]
        rows[c.first_frame] = row
    return kinds, state, rows


@pytest.mark.parametrize("seed", range(3))
def test_records_equal_the_tracker(tmp_path, seed):
    """Open records made connections equal the per-packet tracker's connections slot by slot (torn-down
    ones still lingering, open ones, ones cut by the end of the capture); finished records' rows equal the
    per-packet rows."""
    path = tmp_path / "ordinary.pcap"
    rng = random.Random(seed)
    frames: list[tuple] = []
    # two bursts 400 s apart: the first one's connections are finished by the sweep meanwhile, the second's
    # are open (or lingering) at the end
    for start, net in ((SEC, 1), (400 * SEC, 2)):
        for i in range(60):
            conn = _connection(rng, bytes((10, net, 0, 1 + i)), 41000 + i, start + i * SEC // 2,
                               rng.choice((None, None, "no_teardown")))
            frames += conn[:rng.randrange(3, len(conn) + 1)] if rng.random() < 0.3 else conn
    frames.sort(key=lambda f: f[0])
    path.write_bytes(pcap_file([(ts // SEC, ts % SEC // 1000, data) for ts, data in frames]))
    kinds, state_c, rows_c = _tracker_states(path, True)
    _, state_p, rows_p = _tracker_states(path, False)
    assert kinds["records"] > 10
    assert state_c.keys() == state_p.keys()
    for k in state_p:
        assert state_c[k] == state_p[k], k
    assert rows_c == rows_p
    assert len(rows_p) > 15


@pytest.mark.parametrize("side", [0, 1])
def test_reuse_after_a_record_finished(tmp_path, monkeypatch, side):
    """A record finished by the idle sweep remembers its 4-tuple both ways, as a finished connection does: a
    SYN on it from either end minutes later, with another sequence number, is a port reuse on both paths
    (the rows equal the per-packet pass's, port_reuse set), and the first connection's row came from a
    record."""
    rng = random.Random(11)
    client = bytes((10, 0, 0, 1))
    frames = _connection(rng, client, 40000, 30 * SEC, None)
    for i in range(1, 8):
        frames += _connection(rng, bytes((10, 0, 0, 1 + i)), 40000 + i, 30 * SEC + i * SEC, None)
    later = max(t for t, _ in frames) + 300 * SEC          # past the closed-connection linger: finished
    ends = ((client, 40000, SERVER, 80), (SERVER, 80, client, 40000))
    frames.append((later, _frame(*ends[side], 12345, 0, SYN, 64240, 0)))
    frames.append((later + 30_000, _frame(*ends[1 - side], 777, 12346, SYN | ACK, 65160, 0)))
    frames.append((later + 60_000, _frame(*ends[side], 12346, 778, ACK, 502, 0)))
    frames.sort(key=lambda f: f[0])
    path = tmp_path / "reuse.pcap"
    path.write_bytes(pcap_file([(ts // SEC, ts % SEC // 1000, data) for ts, data in frames]))
    made = _whole_rows(monkeypatch)
    _same(path)
    assert ("10.0.0.1", 40000, "192.0.2.80", 80) in made
    pipe = Pipeline(analysis=False, dns_over_tcp=False)
    with open_capture(path) as reader:
        pipe.count(reader)
    assert [r["port_reuse"] for r in pipe.tcp_rows(details=False)][-1] is True


def test_finished_keys_add_pair_is_two_adds():
    """FinishedKeys.add_pair (a whole record's two directions when it is finished) leaves what two add() calls
    leave: the same generations, entries, order and forgetting."""
    import random

    from analyzer.tcp.connection import FinishedKeys

    rnd = random.Random(7)
    one, two = FinishedKeys(memory_ns=1000), FinishedKeys(memory_ns=1000)
    now = 0
    for _ in range(400):
        now += rnd.randrange(0, 60)
        a = ("10.0.0.1", rnd.randrange(5), "10.0.0.2", 80)
        b = (a[2], a[3], a[0], a[1]) if rnd.random() < 0.9 else a        # (a 4-tuple to itself: one key)
        x, y = rnd.randrange(1 << 32), rnd.randrange(1 << 32)
        one.add_pair(a, x, b, y, now)
        two.add(a, x, now)
        two.add(b, y, now)
        assert [(t, list(d.items())) for t, d in one.gens] == [(t, list(d.items())) for t, d in two.gens]
    assert len(one.gens) < 400 // 4
