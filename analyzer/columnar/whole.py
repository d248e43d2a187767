"""Whole ordinary TCP connections from the columns: a connection whose segments are an ordinary handshake,
in-order data both ways and an ordinary teardown is kept as one compact :class:`Whole` record -- never a
:class:`~analyzer.tcp.connection.Connection` -- carried from window to window (a window: a batch's TCP
segments between two idle sweeps), and its summary row is made from the record when the tracker finishes it
(:func:`row`: the same dict :func:`~analyzer.tcp.connection.summarize` makes).

The rule is in :mod:`analyzer.columnar.count`'s docstring; :func:`take` decides it over a window's segments in
group order with one call of :func:`rule` -- the compiled helper's loop (``_speedups.whole_rule``), or its numpy
twin :func:`_rule_py` where the helper is not built (tests/test_columnar_rule.py holds them equal). A group starts a record (an ordinary handshake first) or carries on the open record
of its 4-tuple; it leaves the record open (no FIN yet) or torn down (the teardown ends the group). A torn-down
record ends SF, both sides' endpoint states CLOSED, the closer in TIME_WAIT (from the last segment) and the
other side CLOSED, history ``ShA`` then ``a`` (the responder's first pure ACK), ``D``/``d`` (each side's
first byte) and ``F``/``f`` in the order they occur.

:class:`Wholes` keeps the records as rows of one int64 table (no Python object per record while it is
carried on: :func:`take` reads a window's records and writes them back as columns), found by both directions
of their 4-tuple as global address ids and ports, as the flow table keeps a connection: the idle sweep
finishes a torn-down record idle longer than the closed-connection linger (or the idle timeout, if shorter)
as ``TcpTracker._finish`` would (its 4-tuples remembered as finished, ``on_finish`` given the record, or
``on_many`` a sweep's records as one :class:`Finished` whose rows are made from the columns); an open record
that idle, any record at the end of the capture or reached by a segment the rule does not take is first
made the connection its segments leave (:func:`promote`), which then goes on as any other. The per-record
part of :func:`take` -- the records a window's endpoint pairs find, a new record's option bytes and index
entries -- is compiled too (the index: :mod:`analyzer.columnar.pairs`, tests/test_columnar_pairs.py; the option
bytes: ``_speedups.whole_enter``, its Python twin :func:`_enter_py`, tests/test_columnar_enter.py); so are the
finished 4-tuples the tracker remembers (:mod:`analyzer.columnar.finished`).

tests/test_columnar_whole.py compares :func:`promote` and :func:`row` with the per-segment tracker slot by
slot, and captures damaged one rule condition at a time with the per-packet pass.
"""

from __future__ import annotations

from itertools import compress
from typing import Any

import numpy as np

from analyzer.columnar import finished as _finished
from analyzer.columnar.pairs import new_index
from analyzer.compiled import compiled
from analyzer.tcp import state as S
from analyzer.tcp.analysis import seconds
from analyzer.tcp.connection import LINUX_TIME_WAIT_NS, M32, _shared_syn_options

HALF = 0x80000000
_NONE = 1 << 62
_TW = {0: (S.R_TIME_WAIT, S.R_CLOSED), 1: (S.R_CLOSED, S.R_TIME_WAIT)}
_NAME = ("orig", "resp")


class Whole:
    """One ordinary connection as values: ``key`` (the originator's 4-tuple), ``hs`` (the arguments of
    :meth:`TcpTracker.handshake` after the key), ``v`` (per side: packets, frame bytes, payload bytes, last
    time; then, ``done`` (torn down): the closer, each FIN's sequence number, frame and time, the frame and
    time of the ACK of the closer's FIN and of the last segment; else the last segment's frame),
    ``history``, ``last_ts``. A record carried on is changed in place (:meth:`Wholes.moved` after)."""

    __slots__ = ("done", "history", "hs", "key", "last_ts", "letters", "v")

    def __init__(self, key: tuple, hs: tuple, v: tuple, history: str, last_ts: int, done: bool,
                 letters: int = 0):
        self.key = key
        self.hs = hs
        self.v = v
        self.history = history
        self.last_ts = last_ts
        self.done = done
        self.letters = letters          # which of a, D, d the history holds (bits 1, 2, 4)

    @property
    def first_frame(self) -> int:
        return self.hs[1]


# the record table's columns (int64): the originator's and the responder's endpoint (global address id << 16 |
# port), the handshake's integer values (Whole.hs without the two option byte strings), the record's values
# (Whole.v: 19 when torn down, else the first 8 and the last segment's frame), the last time, the letters
# bits, the history letters after "ShA" as a code (one base-6 digit each, first letter lowest) and how many,
# torn down, the order of its last time (see Wholes.expire), in use
EA, EB = 0, 1
HS = 2                  # 14 columns: t0, n0, x, w0, f0, t1, n1, y, w1, f1, t2, n2, w2, f2
V = 16                  # 19 columns
LAST, LETTERS, HCODE, HLEN, DONE, SEQ, LIVE = 35, 36, 37, 38, 39, 40, 41
_NCOL = 42
_HS_INTS = (0, 1, 2, 3, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15)     # where Whole.hs's ints are (4, 10: options)


class Wholes:
    """The records not yet finished (``tracker.wholes``), as rows of one int64 table (columns above; the
    handshake's option bytes in a list by row), found by both directions of their 4-tuple as (endpoint,
    endpoint) of global address ids: no Python object per record while it is carried from window to window.
    What :class:`~analyzer.tcp.connection.TcpTracker` asks of them is ``key in wholes``, :meth:`promote`,
    :meth:`expire`, :meth:`close_all` and :meth:`promote_all` (text 4-tuples, as its flow table's);
    :meth:`record` makes a row the :class:`Whole` it stands for."""

    __slots__ = ("_gmap", "_texts", "addr", "by_key", "free", "gids", "hi", "n", "on_many", "opts", "t", "tracker")

    def __init__(self, tracker, on_many=None) -> None:
        self.tracker = tracker
        if _finished.AVAILABLE and tracker is not None and not tracker.finished_keys.gens:
            # the finished 4-tuples kept packed, 16 bytes a slot (analyzer.columnar.finished)
            tracker.finished_keys = _finished.PackedFinishedKeys(tracker.finished_keys.memory_ns, self)
        # given the torn-down records a sweep finishes, all at once (a Finished), in place of the tracker's
        # on_finish per record (analyzer.columnar.rows: their rows made and spilled as one batch)
        self.on_many = on_many
        self.by_key = new_index()       # (sender endpoint, receiver endpoint) -> row (analyzer.columnar.pairs)
        self.t = np.zeros((256, _NCOL), dtype=np.int64)
        self.hi = 0                     # rows ever used (the table's live part)
        self.free: list[int] = []       # rows below hi not in use
        self.opts: list = [None] * 256  # row -> (SYN options, SYN-ACK options)
        self.gids: dict[Any, int] = {}  # address text -> global id
        self.addr: list = []            # global id -> address text
        self.n = 0                      # the order given to the last time set
        self._texts: list | None = None
        self._gmap = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.by_key) >> 1

    def _row_of(self, key: tuple) -> int | None:
        gids = self.gids
        a = gids.get(key[0])
        b = gids.get(key[2])
        if a is None or b is None or key[1].__class__ is not int or key[3].__class__ is not int:
            return None
        return self.by_key.row(a << 16 | key[1], b << 16 | key[3])

    def __contains__(self, key: tuple) -> bool:
        return self._row_of(key) is not None

    def gmap(self, texts: list) -> np.ndarray:
        """The global id of each of a batch's address ids (``texts``: id -> text)."""
        if texts is not self._texts:
            out = numbered(self.gids, self.addr, texts)
            self._gmap = np.array(out, dtype=np.int64)
            self._texts = texts
        return self._gmap

    def _alloc(self, k: int) -> np.ndarray:
        """``k`` rows for new records (free ones first)."""
        free = self.free
        take_n = min(k, len(free))
        reuse = free[len(free) - take_n:]
        del free[len(free) - take_n:]
        hi = self.hi
        fresh = k - take_n
        if hi + fresh > len(self.t):
            # (by a quarter, not doubled: the live rows' high-water mark at 1M synthetic frames is 4107, which
            # doubling made 8192 rows, 1.3 MB more than the 100k file's table)
            size = max(len(self.t) + max(len(self.t) >> 2, 256), hi + fresh)
            t = np.zeros((size, _NCOL), dtype=np.int64)
            t[:hi] = self.t[:hi]
            self.t = t
            self.opts.extend([None] * (size - len(self.opts)))
        self.hi = hi + fresh
        return np.array(reuse + list(range(hi, hi + fresh)), dtype=np.int64)

    def _drop(self, r: int) -> None:
        t = self.t
        self.by_key.forget(t[r:r + 1, EA], t[r:r + 1, EB])
        t[r, LIVE] = 0
        self.opts[r] = None
        self.free.append(r)

    def key(self, r: int) -> tuple:
        """Row ``r``'s 4-tuple as the originator sent it (address texts)."""
        ea, eb = int(self.t[r, EA]), int(self.t[r, EB])
        addr = self.addr
        return (addr[ea >> 16], ea & 0xFFFF, addr[eb >> 16], eb & 0xFFFF)

    def record(self, r: int) -> Whole:
        """Row ``r`` as the :class:`Whole` it stands for."""
        v = self.t[r].tolist()
        o0, o1 = self.opts[r]
        hs = (*v[HS:HS + 4], o0, *v[HS + 4:HS + 9], o1, *v[HS + 9:HS + 14])
        done = bool(v[DONE])
        vals = tuple(v[V:V + 19]) if done else tuple(v[V:V + 9])
        return Whole(self.key(r), hs, vals, "ShA" + _history(v[HCODE]), v[LAST], done, v[LETTERS])

    def promote(self, key: tuple) -> bool:
        """A segment of ``key`` the columns do not take: its record (if any) becomes the connection in the
        flow table."""
        r = self._row_of(key)
        if r is None:
            return False
        w = self.record(r)
        self._drop(r)
        promote(self.tracker, w)
        return True

    def _due(self, before: int | None) -> np.ndarray:
        """The rows in use (last time below ``before``), oldest first, in the order the records' last times
        were set."""
        t = self.t[:self.hi]
        m = t[:, LIVE] == 1
        if before is not None:
            m &= t[:, LAST] < before
        rows = np.flatnonzero(m)
        return rows[np.lexsort((t[rows, SEQ], t[rows, LAST]))]

    def _sweep(self, rows: np.ndarray, when: int) -> None:
        """Rows ``rows`` leave the table: torn-down records finished at ``when``, open ones made
        connections."""
        done_m = self.t[rows, DONE] == 1
        for r in rows[~done_m].tolist():
            w = self.record(r)
            self._drop(r)
            promote(self.tracker, w)
        done = rows[done_m]
        if len(done):
            # (finished after: a promoted record's 4-tuple is none of theirs, either way round)
            self._finish(done, when)

    def promote_all(self) -> None:
        for r in self._due(None).tolist():
            w = self.record(r)
            self._drop(r)
            promote(self.tracker, w)

    def expire(self, now: int) -> None:
        """The idle sweep at packet time ``now`` (before the tracker's own tests): a torn-down record idle
        as long as a closed connection lingers (or the idle timeout, if shorter) is finished; an open one
        idle as long is made its connection, which the tracker's sweep then tests as any other."""
        tracker = self.tracker
        if self.by_key:
            self._sweep(self._due(now - min(tracker.closed_linger_ns, tracker.idle_timeout_ns)), now)

    def close_all(self) -> None:
        """End of capture: torn-down records finished, open ones made connections (the tracker finishes
        them with the rest)."""
        if self.by_key:
            self._sweep(self._due(None), self.tracker._clock)

    def _finish(self, rows: np.ndarray, when: int) -> None:
        """What ``TcpTracker._finish`` does to the tracker for the connections the torn-down records of
        ``rows`` stand for, finished at ``when``: their 4-tuples remembered as finished, then
        ``on_many(Finished)`` (or the tracker's ``on_finish`` per record); the rows are then free."""
        tracker = self.tracker
        fin = Finished(self, rows)
        t = self.t
        ea, eb = t[rows, EA], t[rows, EB]
        # (FinishedKeys.add_pairs of each record's 4-tuple and base sequence numbers)
        fk = tracker.finished_keys
        if fk.__class__ is _finished.PackedFinishedKeys:
            fk.add_records(ea, eb, t[rows, HS + 2], t[rows, HS + 7], when)
        else:
            finished_pairs(fk._newest(when), self.addr, ea, eb, t[rows, HS + 2], t[rows, HS + 7])
            fk.forget(when)
        if self.on_many is not None:
            self.on_many(fin)
        elif tracker.on_finish is not None:
            for r in rows.tolist():
                tracker.on_finish(self.record(r))
        # the rows freed (as _drop of each)
        self.by_key.forget(ea, eb)
        t[rows, LIVE] = 0
        self.free.extend(rows.tolist())       # (their option bytes are replaced when a row is used again)


class Finished:
    """Torn-down records a sweep finishes (rows of a :class:`Wholes` table, read before they are freed)."""

    __slots__ = ("rows", "wholes")

    def __init__(self, wholes: Wholes, rows: np.ndarray) -> None:
        self.wholes = wholes
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def keys(self) -> list[tuple]:
        """Each record's 4-tuple as the originator sent it."""
        t = self.wholes.t[self.rows]
        addr = self.wholes.addr
        ea, eb = t[:, EA], t[:, EB]
        return list(zip(map(addr.__getitem__, (ea >> 16).tolist()), (ea & 0xFFFF).tolist(),
                        map(addr.__getitem__, (eb >> 16).tolist()), (eb & 0xFFFF).tolist()))

    def records(self) -> list[Whole]:
        return [self.wholes.record(r) for r in self.rows.tolist()]

    def block(self) -> np.ndarray:
        """The columns the rows are made from (:data:`_VALUE_COLS`, in that order), one int64 row per record:
        what :class:`analyzer.columnar.rows.SpilledRows` keeps of a record until its row is read
        (:class:`WholeBlock`)."""
        return self.wholes.t[self.rows[:, None], _BLOCK_TAKE]

    def kind(self) -> WholeBlock:
        """How a store reads :meth:`block`'s rows back (the table's address list)."""
        return WholeBlock(self.wholes.addr)

    def values(self) -> list[tuple]:
        """``rows_values(self.records())``, from the table's columns (compiled: ``_speedups.whole_values``;
        else :meth:`_values_py`)."""
        return block_values(self.block(), self.wholes.addr)

    def _values_py(self) -> list[tuple]:
        """:meth:`values` in Python (the fallback and twin of the compiled one)."""
        return _block_values_py(self.block(), self.wholes.addr)


def numbered(ids: dict, known: list, items: list) -> list[int]:
    """The number of each of ``items`` in ``ids`` (item -> its index in ``known``); a new item is appended to
    ``known`` and numbered as it comes. (Whole records' addresses, the UDP table's.)"""
    out = list(map(ids.get, items))
    if None in out:
        for i, item in enumerate(items):
            if out[i] is None:
                k = ids.get(item)
                if k is None:
                    k = ids[item] = len(known)
                    known.append(item)
                out[i] = k
    return out


def _ns_text(ns: int) -> str:
    """Integer nanoseconds as the conversations table writes seconds (9 decimals; ``seconds`` for a negative)."""
    if ns >= 0:
        whole, frac = divmod(ns, 1_000_000_000)
        return f"{whole}.{frac:09d}"
    return seconds(ns)


def block_values(block: np.ndarray, addr: list) -> list[tuple]:
    """The summary row values (:data:`ROW_KEYS` order) of torn-down records given as :meth:`Finished.block`
    rows (``addr``: global address id -> text): compiled ``_speedups.whole_values``, else
    :func:`_block_values_py`."""
    if _whole_values is None:
        return _block_values_py(block, addr)
    full = _FULL
    for code in set(block[:, _BLOCK_HCODE].tolist()):  # (not np.unique: its first plain call imports numpy.ma)
        if code not in full:
            full[code] = "ShA" + _history(code)
    return _whole_values(np.ascontiguousarray(block), len(_VALUE_COLS), _BLOCK_COLS, addr, full, _VALUE_CONSTS)


def _block_values_py(block: np.ndarray, addr: list) -> list[tuple]:
    """:func:`block_values` in Python (the fallback and twin of the compiled one)."""
    out = []
    append = out.append
    tw = _TW
    names = _NAME
    ea, eb = block[:, 0], block[:, 1]
    keys = zip(map(addr.__getitem__, (ea >> 16).tolist()), (ea & 0xFFFF).tolist(),
               map(addr.__getitem__, (eb >> 16).tolist()), (eb & 0xFFFF).tolist())
    for (src, sport, dst, dport), t0, n0, t2, c, pk0, pk1, pb0, pb1, fb0, fb1, un, ut, hcode in zip(
            keys, *(block[:, i].tolist() for i in range(2, len(_VALUE_COLS))), strict=True):
        closer = names[c]
        s0, s1 = tw[c]
        ts = _ns_text(t0)
        duration = _ns_text(ut - t0)
        append(("tcp", 0, ts, src, sport, dst, dport, "SF", "ShA" + _history(hcode), pk0, pk1, pb0, pb1, fb0,
                fb1, duration, seconds(t2 - t0) if t0 else None, closer, closer, s0, s1, False, False,
                n0, un, t0, ut))
    return out


class WholeBlock:
    """What :class:`analyzer.columnar.rows.SpilledRows` needs to keep torn-down records as their
    :meth:`Finished.block` rows (15 int64 each) and make their rows when it is read: the keys of the values,
    the values (:func:`block_values`), the sort key's column (the SYN's frame) and, for a table's widths,
    each endpoint's address id and port and the SYN's time."""

    __slots__ = ("addr",)
    keys = None                         # (ROW_KEYS, set below)
    ncol = 15
    sort_col = 3                        # (HS + 1: the SYN's frame, the row's first frame)
    proto = "tcp"
    stream = 0                          # (every row's stream number until renumbered)

    def __init__(self, addr: list) -> None:
        self.addr = addr                # global address id -> text (only ever appended to)

    def values(self, block: np.ndarray) -> list[tuple]:
        return block_values(block, self.addr)

    def endpoints(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(address ids, ports) of both endpoints of each row."""
        e = block[:, :2].ravel()
        return e >> 16, e & 0xFFFF

    def first_ts(self, block: np.ndarray) -> int:
        return int(block[:, 2].min())


# what Finished.values reads with the compiled helper: the columns (see _speedups.whole_values), the history
# texts by code, the constants of a row
_VALUE_COLS = (EA, EB, HS, HS + 1, HS + 10, V + 8, V, V + 1, V + 4, V + 5, V + 2, V + 3, V + 17, V + 18, HCODE)
_FULL: dict[int, str] = {}
_VALUE_CONSTS = ("tcp", "SF", *_NAME, *_TW[0], *_TW[1], False, 0)
_BLOCK_TAKE = np.array(_VALUE_COLS, dtype=np.int64)
_BLOCK_COLS = tuple(range(len(_VALUE_COLS)))     # (a block's own columns, in _VALUE_COLS order)
_BLOCK_HCODE = len(_VALUE_COLS) - 1
_whole_values = compiled("whole_values")


def promote(tracker, w: Whole):
    """The connection ``w`` stands for, put in the tracker's flow table in the state its segments leave it
    in."""
    conn = tracker.handshake(w.key, *w.hs)
    if conn is None:                    # (the record holds the 4-tuple: nothing else can)
        raise RuntimeError(f"the 4-tuple {w.key} of a whole connection was taken")
    v = w.v
    pk0, pk1, fb0, fb1, pb0, pb1, lt0, lt1 = v[:8]
    o, r = conn.sides
    o.pkts, r.pkts = pk0, pk1
    o.frame_bytes, r.frame_bytes = fb0, fb1
    o.payload_bytes, r.payload_bytes = pb0, pb1
    o.last_ts, r.last_ts = lt0, lt1
    if pb0:
        o.max_end = (o.data_base + pb0) & M32
    if pb1:
        r.max_end = (r.data_base + pb1) & M32
    conn.history = list(w.history)
    marks = conn._once
    for ch in w.history[3:]:
        if ch in "aDd":
            marks[ch] = True
    conn.last_ts = w.last_ts
    if not w.done:
        if pk1 > 1:                     # the responder sent something after its SYN-ACK
            r.endpoint = S.ESTABLISHED
        conn.last_frame = v[8]
        return conn
    c, fs0, fn0, ft0, fs1, fn1, ft1, an, at, un, ut = v[8:]
    o.endpoint = r.endpoint = S.CLOSED
    o.fin_seq, o.fin_frame, o.fin_ts = fs0, fn0, ft0
    r.fin_seq, r.fin_frame, r.fin_ts = fs1, fn1, ft1
    x, y = conn.sides[c], conn.sides[1 - c]
    x.fin_acked_frame, x.fin_acked_ts = an, at
    y.fin_acked_frame, y.fin_acked_ts = un, ut
    o.rfc, r.rfc = _TW[c]
    x.time_wait_frame, x.time_wait_ts = un, ut
    conn.first_fin = c
    marks["F"] = fs0
    marks["f"] = fs1
    conn.last_frame = un
    return conn


# the keys of a row without details, in summarize's order
ROW_KEYS = ("proto", "stream", "ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "conn_state", "history",
            "orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes", "orig_frame_bytes", "resp_frame_bytes", "duration",
            "irtt", "closed_by", "time_wait", "orig_state", "resp_state", "orig_guessed", "port_reuse",
            "first_frame", "last_frame", "first_ts_ns", "last_ts_ns")
WholeBlock.keys = ROW_KEYS       # (the order block_values gives)


def row_values(w: Whole) -> tuple:
    """The values of ``row(w, False)``, in :data:`ROW_KEYS` order (no mapping made)."""
    hs = w.hs
    t0 = hs[0]
    v = w.v
    c = v[8]
    closer = _NAME[c]
    s0, s1 = _TW[c]
    src, sport, dst, dport = w.key
    ut = v[18]
    return ("tcp", 0, seconds(t0), src, sport, dst, dport, "SF", w.history, v[0], v[1], v[4], v[5], v[2], v[3],
            seconds(ut - t0), seconds(hs[12] - t0) if t0 else None, closer, closer, s0, s1, False, False,
            hs[1], v[17], t0, ut)


def rows_values(ws: list[Whole]) -> list[tuple]:
    """``[row_values(w) for w in ws]``, in one loop (the rows of a sweep's finished records)."""
    out = []
    append = out.append
    for w in ws:
        hs = w.hs
        t0 = hs[0]
        v = w.v
        c = v[8]
        closer = _NAME[c]
        s0, s1 = _TW[c]
        src, sport, dst, dport = w.key
        ut = v[18]
        ts = _ns_text(t0)
        duration = _ns_text(ut - t0)
        append(("tcp", 0, ts, src, sport, dst, dport, "SF", w.history, v[0], v[1], v[4], v[5], v[2], v[3],
                duration, seconds(hs[12] - t0) if t0 else None, closer, closer, s0, s1, False, False,
                hs[1], v[17], t0, ut))
    return out


def row(w: Whole, details: bool) -> dict[str, Any]:
    """``summarize(conn, details)`` of the connection ``w`` (torn down) stands for, finished."""
    out = dict(zip(ROW_KEYS, row_values(w)))
    if not details:
        return out
    t0, n0, x, _w0, o0, _f0, t1, n1, y, _w1, o1, _f1, t2, n2, _w2, _f2 = w.hs
    _pk0, _pk1, _fb0, _fb1, pb0, pb1, lt0, lt1, c, _fs0, fn0, ft0, _fs1, fn1, ft1, an, _at, un, ut = w.v
    closer = _NAME[c]
    so0, so1 = _shared_syn_options(o0), _shared_syn_options(o1)
    hs: dict[str, Any] = {
        "syn_frame": n0 or None, "syn_ts": seconds(t0) if n0 else None,
        "synack_frame": n1 or None, "synack_ts": seconds(t1) if n1 else None,
        "ack_frame": n2 or None, "ack_ts": seconds(t2) if n2 else None,
        "simultaneous_open": False,
        "orig_isn": x, "resp_isn": y,
        "complete": bool(n0 and n1 and n1 and n2),
        "orig_options": so0.as_dict(), "resp_options": so1.as_dict(),
        "window_scaling": so0.wscale is not None and so1.wscale is not None,
        "sack": bool(so0.sack_perm and so1.sack_perm),
        "timestamps": bool(so0.timestamps and so1.timestamps),
    }
    mss = [so.mss for so in (so0, so1) if so.mss]
    hs["mss"] = min(mss) if mss else None
    out["handshake"] = hs
    fin_x, fin_y = (fn0, fn1) if c == 0 else (fn1, fn0)
    ts_x, ts_y = (ft0, ft1) if c == 0 else (ft1, ft0)
    if an and an == fin_y:
        kind = "three-way (FIN+ACK piggy-backed)"
    elif an and an < fin_y:
        kind = "four-way"
    else:
        kind = "simultaneous close"
    out["teardown"] = {
        "active_closer": closer,
        "kind": kind,
        "half_close": False,
        "data_after_fin": 0,
        "first_fin_frame": fin_x, "first_fin_ts": seconds(ts_x),
        "first_fin_acked_frame": an or None,
        "second_fin_frame": fin_y or None, "second_fin_ts": seconds(ts_y) if fin_y else None,
        "second_fin_acked_frame": un or None,
        closer + "_time_wait_from_frame": un,
        closer + "_time_wait_until": seconds(ut + LINUX_TIME_WAIT_NS),
    }
    out["resets"] = []
    out["orig_retransmissions"], out["resp_retransmissions"] = 0, 0
    out["orig_zero_windows"], out["resp_zero_windows"] = 0, 0
    out["open_at_end"] = False
    out["orig_payload_bytes"] = pb0
    out["orig_first_ts"] = seconds(t0)
    out["orig_last_ts"] = seconds(lt0)
    out["resp_payload_bytes"] = pb1
    out["resp_first_ts"] = seconds(t1)
    out["resp_last_ts"] = seconds(lt1)
    return out


def take(tracker, rows: np.ndarray, texts: list, data, bounds: np.ndarray, hs: np.ndarray, a_first: np.ndarray,
         gap: np.ndarray) -> np.ndarray:
    """The window's groups the rule takes (see the module docstring): each starts a record or carries one
    on (``tracker.wholes``); their indices (the caller skips them). A group of an open record the rule
    does not take has the record made its connection first. ``rows`` are the tracker-call rows of
    ``analyzer.columnar.count._window`` (the window's segments in group order: times, numbers, address ids,
    ports, sequence numbers, flags, lengths, frame offsets and header lengths); ``bounds``: where each group
    starts, and the end; ``hs``, ``a_first``, ``gap``: per segment (group order), an ordinary handshake
    starts here, the segment was sent by the group's lower end, it follows an idle gap. The rule itself is
    :func:`rule` (compiled, or its numpy twin :func:`_rule_py`); the records' values are read from and
    written to the table as columns."""
    wholes = tracker.wholes
    by_key = wholes.by_key
    gst = bounds[:-1]
    ng = len(gst)
    fresh = hs[gst]                     # the group starts with an ordinary handshake
    gmap = wholes.gmap(texts)
    t = wholes.t
    # groups carrying on an open record: found by their first segment's endpoints
    cg = cr = None
    if by_key:
        others = np.flatnonzero(~fresh)
        if len(others):
            first = rows[gst[others]]
            ea = (gmap[first[:, 2]] << 16) | first[:, 3]
            eb = (gmap[first[:, 4]] << 16) | first[:, 5]
            hit = by_key.rows(ea, eb)
            found = np.flatnonzero(hit >= 0)
            found = found[t[hit[found], DONE] == 0]     # (a torn-down one: segment() makes it its connection)
            if len(found):
                cg = others[found]
                cr = hit[found]
                cont_o = ea[found] == t[cr, EA]         # the first segment was sent by the originator
    if not fresh.any() and cg is None:
        return _NO_GROUPS
    # each group's start: a candidate or not; for a record carried on, each side's next sequence number, which
    # end sent the originator's segments, the record's counters and letters (see _rule_py)
    gstate = np.zeros((ng, _STATE), dtype=np.int64)
    gstate[:, 0] = fresh
    if cg is not None:
        st = t[cr]
        gstate[cg, 0] = 2
        gstate[cg, 1] = (st[:, HS + 2] + 1 + st[:, V + 4]) & M32
        gstate[cg, 2] = (st[:, HS + 7] + 1 + st[:, V + 5]) & M32
        af = a_first[gst[cg]]
        gstate[cg, 3] = np.where(cont_o, af, ~af)
        gstate[cg, 4:12] = st[:, V:V + 8]
        gstate[cg, 12] = st[:, LETTERS]
    out = rule(rows, gap.view(np.uint8), bounds.astype(np.int64, copy=False), gstate)
    if cg is not None:
        # the open records the rule does not take become connections now (the group goes the usual way)
        taken_g = np.zeros(ng, dtype=bool)
        taken_g[out[:, 0]] = True
        left = cr[~taken_g[cg]]
        for r in left.tolist():
            w = wholes.record(r)
            wholes._drop(r)
            promote(tracker, w)
    if not len(out):
        return _NO_GROUPS
    new = out[:, 25] == 1
    ok = np.ones(len(out), dtype=bool)
    newi = np.flatnonzero(new)
    if len(newi):
        # the handshake's values of the new records: (time, number, address ids, ports, seq, window, frame
        # length, TCP header offset and length) of the SYN, (time, number, seq, window, frame length, TCP
        # header) of the SYN-ACK, (time, number, window, frame length) of the ACK
        j0 = gst[out[newi, 0]]
        hsv = np.concatenate([rows[j0][:, _SYN_COLS], rows[j0 + 1][:, _SYNACK_COLS], rows[j0 + 2][:, _ACK_COLS]],
                             axis=1)
        na = (gmap[hsv[:, 2]] << 16) | hsv[:, 3]
        nb = (gmap[hsv[:, 4]] << 16) | hsv[:, 5]
        # a new record's 4-tuple must be free (else the usual way): not held by a record, not open nor pending
        # as an attempt (either way), not remembered as finished (port reuse)
        keys = list(zip(map(texts.__getitem__, hsv[:, 2].tolist()), hsv[:, 3].tolist(),
                        map(texts.__getitem__, hsv[:, 4].tolist()), hsv[:, 5].tolist()))
        taken_keys = set(keys)
        busy = set(compress(keys, map(tracker.flows.lookup, keys))) if tracker.flows else set()
        attempts = tracker.attempts
        if attempts:
            busy |= attempts.keys() & taken_keys
            busy.update(k for k in keys if (k[2], k[3], k[0], k[1]) in attempts)
        fk = tracker.finished_keys
        if fk.gens:
            for _start, entries in fk.gens:
                busy.update(k for k in entries.keys() & taken_keys if fk.get(k) is not None)
            if fk.__class__ is _finished.PackedFinishedKeys:
                busy.update(compress(keys, fk.packed_found(na, nb).tolist()))
        if by_key:
            busy.update(compress(keys, (by_key.rows(na, nb) >= 0).tolist()))
        # (an ACK stamped as its SYN measures no iRTT -- tshark's, taken at the next ACK stamped apart: the
        # usual way)
        apart = hsv[:, 18] != hsv[:, 0]
        if busy or not apart.all():
            free = apart & np.fromiter((k not in busy for k in keys), bool, len(keys))
            ok[newi[~free]] = False
            newi, hsv, na, nb = newi[free], hsv[free], na[free], nb[free]
            j0 = j0[free]
        if len(newi):
            nr = wholes._alloc(len(newi))
            t = wholes.t
            t[nr, EA] = na
            t[nr, EB] = nb
            t[nr, HS:HS + 14] = hsv[:, _HS_FROM_HSV]
            t[nr, HCODE] = 0
            t[nr, HLEN] = 0
            t[nr, DONE] = 0
            t[nr, LIVE] = 1
            enter(wholes.opts, data, nr, hsv[:, _OPT_COLS])
            by_key.enter(nr, na, nb)
    # each group taken's row of the table (new ones as allocated, in out's order), then its values
    at = np.empty(len(out), dtype=np.int64)
    if len(newi):
        at[newi] = nr
    if cg is not None:
        co = np.flatnonzero(~new)
        at[co] = cr[np.searchsorted(cg, out[co, 0])]
    keep = np.flatnonzero(ok)
    out, at = out[keep], at[keep]
    t = wholes.t
    code = out[:, 23]
    hlen = t[at, HLEN]
    t[at, HCODE] += code * _POW6[hlen]
    t[at, HLEN] = hlen + _NDIGITS[code]
    t[at, LETTERS] = out[:, 24]
    # the order of each record's last time (as a queue entry per change would give it: a record whose last
    # time did not change keeps its place)
    seqn = wholes.n + 1 + np.arange(len(out))
    wholes.n += len(out)
    moved = (t[at, LAST] != out[:, 21]) | (out[:, 25] == 1)
    t[at[moved], SEQ] = seqn[moved]
    t[at, LAST] = out[:, 21]
    closed = out[:, 1] == 1
    t[at[closed], V:V + 19] = out[closed, 2:21]
    t[at[closed], DONE] = 1
    openi = ~closed
    t[at[openi], V:V + 8] = out[openi, 2:10]
    t[at[openi], V + 8] = out[openi, 22]
    return out[:, 0]


def _enter_py(opts: list, data, nr: np.ndarray, offs: np.ndarray) -> None:
    """New records' rows ``nr`` entered: each one's option bytes (``offs``: the SYN's and the SYN-ACK's TCP
    header offset and length) in ``opts``. The fallback and twin of the compiled ``_speedups.whole_enter``."""
    for r, (a, hl, a_, hl_) in zip(nr.tolist(), offs.tolist(), strict=True):
        opts[r] = (data[a + 20:a + hl] if hl > 20 else b"", data[a_ + 20:a_ + hl_] if hl_ > 20 else b"")


def _compiled_enter():
    c = compiled("whole_enter")
    if c is None:
        return None

    def enter_c(opts: list, data, nr: np.ndarray, offs: np.ndarray) -> None:
        if data.__class__ is not bytes:         # (a slice of anything else is not bytes)
            _enter_py(opts, data, nr, offs)
            return
        i64 = np.int64
        c(opts, data, np.ascontiguousarray(nr, dtype=i64), np.ascontiguousarray(offs, dtype=i64))

    return enter_c


def _finished_pairs_py(newest: dict, addr: list, ea: np.ndarray, eb: np.ndarray, b0: np.ndarray,
                       b1: np.ndarray) -> None:
    """``FinishedKeys.add_pairs``' loop into its newest generation ``newest`` for records of endpoints ``ea``,
    ``eb`` (global address id << 16 | port; ``addr``: id -> text) and base sequence numbers ``b0``, ``b1``: the
    fallback and twin of the compiled ``_speedups.finished_pairs``."""
    pop = newest.pop
    for a, b, x, y in zip(ea.tolist(), eb.tolist(), b0.tolist(), b1.tolist(), strict=True):
        src, sport, dst, dport = addr[a >> 16], a & 0xFFFF, addr[b >> 16], b & 0xFFFF
        key = (src, sport, dst, dport)
        other = (dst, dport, src, sport)
        pop(key, None)
        newest[key] = x
        pop(other, None)
        newest[other] = y


def _contiguous(c, n_arrays: int):
    """The compiled function ``c`` given its last ``n_arrays`` arguments as contiguous int64 arrays."""
    def call(*args):
        head = args[:len(args) - n_arrays]
        return c(*head, *(np.ascontiguousarray(a, dtype=np.int64) for a in args[len(args) - n_arrays:]))
    return call


enter = _compiled_enter() or _enter_py
_c = compiled("finished_pairs")
finished_pairs = _contiguous(_c, 4) if _c is not None else _finished_pairs_py
del _c


# what rule() gives per group taken (one int64 row each)
RULE_COLUMNS = ("group", "closed", "orig_pkts", "resp_pkts", "orig_frame_bytes", "resp_frame_bytes",
                "orig_bytes", "resp_bytes", "orig_last_ts", "resp_last_ts", "closer", "orig_fin_seq",
                "orig_fin_frame", "orig_fin_ts", "resp_fin_seq", "resp_fin_frame", "resp_fin_ts",
                "closer_fin_acked_frame", "closer_fin_acked_ts", "last_ack_frame", "last_ack_ts", "last_ts",
                "last_frame", "history_code", "letters", "new")
_STATE = 13


def _rule_py(rows: np.ndarray, gap: np.ndarray, bounds: np.ndarray, gstate: np.ndarray) -> np.ndarray:
    """The whole rule over one window with numpy (the fallback and twin of the compiled
    ``_speedups.whole_rule``; the arguments and result are described in its comment in _speedups.c): one row
    of :data:`RULE_COLUMNS` per group taken, the teardown's values zero for a group left open."""
    gst = bounds[:-1]
    gen = bounds[1:]
    m = gen - gst
    ng = len(gst)
    n = len(gap)
    if not ng or not n:
        return np.zeros((0, len(RULE_COLUMNS)), dtype=np.int64)
    gap = gap.astype(bool)
    ts, num, sq, ak, f, win, ln, flen = (rows[:, c] for c in (0, 1, 6, 7, 8, 9, 10, 11))
    a_first = rows[:, 14] != 0
    mode = gstate[:, 0]
    fresh = mode == 1
    cand = mode != 0
    kstart = np.where(fresh, 3, 0)
    g1 = np.minimum(gst + 1, n - 1)
    gs_ = np.minimum(gst, n - 1)
    e0 = np.where(fresh, (sq[gs_] + 1) & M32, gstate[:, 1])    # each side's next sequence number at the start
    e1 = np.where(fresh, (sq[g1] + 1) & M32, gstate[:, 2])
    af0 = np.where(fresh, a_first[gs_], gstate[:, 3] != 0)     # a_first of the segments sent by the originator
    prev = np.where(fresh[:, None], np.array([0, 0, 0, 0, 0, 0, -1, -1, 0]), gstate[:, 4:])
    prev0 = prev[:, 4]
    prev1 = prev[:, 5]
    gid = np.repeat(np.arange(ng), m)
    i = np.arange(n)
    post = (i - gst[gid]) >= kstart[gid]
    d0 = a_first == af0[gid]            # sent by the originator
    fin = post & ((f & 1) != 0)
    l0 = np.where(d0, ln, 0)
    l1 = ln - l0
    c0 = np.cumsum(l0)
    c1 = np.cumsum(l1)
    ex0 = c0 - l0 - (c0 - l0)[gs_][gid]          # each side's payload in the group before the segment
    ex1 = c1 - l1 - (c1 - l1)[gs_][gid]
    e0s, e1s = e0[gid], e1[gid]
    mine = np.where(d0, e0s + ex0, e1s + ex1) & M32
    seen = np.where(d0, e1s + ex1, e0s + ex0) & M32
    dg = (ak - seen) & M32
    # FINs: none, or exactly one per side
    big = n + 10
    f0m = fin & d0
    f1m = fin & ~d0
    nf0 = np.bincount(gid[f0m], minlength=ng)
    nf1 = np.bincount(gid[f1m], minlength=ng)
    pf0 = np.full(ng, big, dtype=np.int64)
    pf1 = np.full(ng, big, dtype=np.int64)
    pf0[gid[f0m]] = i[f0m]
    pf1[gid[f1m]] = i[f1m]
    p = np.minimum(pf0, pf1)
    q = np.maximum(pf0, pf1)
    closer = (pf1 < pf0).astype(np.int64)
    # every segment after the handshake: ACK, no SYN/RST, no zero window, no idle gap; data and FINs in
    # order; before the first FIN no ACK above what the other side sent
    bad = post & (((f & 0x16) != 0x10) | gap | (win == 0) | (((ln > 0) | fin) & (sq != mine))
                  | ((i <= p[gid]) & (dg != 0) & (dg < HALF)))
    body = cand & (np.bincount(gid[bad], minlength=ng) == 0) & (m > 0)
    tot0 = prev0 + np.add.reduceat(l0, gs_)
    tot1 = prev1 + np.add.reduceat(l1, gs_)
    body &= (tot0 < HALF) & (tot1 < HALF)
    still = body & (nf0 == 0) & (nf1 == 0)
    four = (q - p) == 2
    closed = body & (nf0 == 1) & (nf1 == 1) & (((q - p) == 1) | four) & (gen - 1 == q + 1)
    # the teardown: no payload, the ACKs of the FINs exact, the other side's ACK (four-way), the closer's
    pc = np.minimum(p, n - 1)
    qc = np.minimum(q, n - 1)
    uc = np.minimum(q + 1, n - 1)
    rc = np.where(four, np.minimum(p + 1, n - 1), qc)
    nx = (sq[pc] + 1) & M32
    closed &= ((ln[pc] == 0) & (ln[rc] == 0) & (ln[qc] == 0) & (ln[uc] == 0)
               & (d0[rc] == (closer == 1)) & (d0[uc] == (closer == 0))
               & (ak[rc] == nx) & (ak[qc] == nx) & (ak[uc] == ((sq[qc] + 1) & M32)))
    acc = np.flatnonzero(still | closed)
    if not len(acc):
        return np.zeros((0, len(RULE_COLUMNS)), dtype=np.int64)
    # per group taken: counters, last segment per side, FIN facts, the history letters it adds
    pv = prev[acc]
    pk0 = np.add.reduceat(d0.astype(np.int64), gs_)[acc]
    fl0 = np.where(d0, flen, 0)
    fb0 = np.add.reduceat(fl0, gs_)[acc]
    fb1 = np.add.reduceat(flen - fl0, gs_)[acc]
    last0 = np.maximum.reduceat(np.where(d0, i, -1), gs_)[acc]
    last1 = np.maximum.reduceat(np.where(d0, -1, i), gs_)[acc]
    # where each of a (the responder's first pure ACK), D, d (each side's first byte), F, f first occur,
    # those the record's history lacks; as a code: their order, one base-6 digit each (1 + the letter's index)
    ev = np.stack([np.minimum.reduceat(np.where(post & ~d0 & (ln == 0) & ~fin, i, big), gs_)[acc],
                   np.minimum.reduceat(np.where(post & d0 & (ln > 0), i, big), gs_)[acc],
                   np.minimum.reduceat(np.where(post & ~d0 & (ln > 0), i, big), gs_)[acc],
                   pf0[acc], pf1[acc]], axis=1)
    had = pv[:, 8]
    new = (ev < big) & ((had[:, None] & _BITS) == 0)
    ev = np.where(new, ev, big)
    ranked = np.argsort(ev, axis=1, kind="stable")
    code = (np.where(np.arange(5) < new.sum(axis=1)[:, None], ranked + 1, 0) * _DIGITS).sum(axis=1)
    letters = had | (new[:, :3] * _BITS[:3]).sum(axis=1)
    shut = closed[acc]
    p0c, p1c = np.minimum(pf0[acc], n - 1), np.minimum(pf1[acc], n - 1)
    rca, uca = rc[acc], uc[acc]
    lastg = gen[acc] - 1
    down = np.stack([closer[acc], sq[p0c], num[p0c], ts[p0c], sq[p1c], num[p1c], ts[p1c], num[rca], ts[rca],
                     num[uca], ts[uca]], axis=1)
    return np.concatenate([
        np.stack([acc, shut, pv[:, 0] + pk0, pv[:, 1] + m[acc] - pk0, pv[:, 2] + fb0, pv[:, 3] + fb1, tot0[acc],
                  tot1[acc], np.where(last0 >= 0, ts[np.maximum(last0, 0)], pv[:, 6]),
                  np.where(last1 >= 0, ts[np.maximum(last1, 0)], pv[:, 7])], axis=1),
        np.where(shut[:, None], down, 0),
        np.stack([ts[lastg], num[lastg], code, letters, fresh[acc]], axis=1)], axis=1).astype(np.int64)


def _compiled_rule():
    """The compiled rule (``_speedups.whole_rule``) as :func:`_rule_py` answers, unless it was not built or
    ANALYZER_PURE_PYTHON is set (then None)."""
    c = compiled("whole_rule")
    if c is None:
        return None

    def rule_c(rows: np.ndarray, gap: np.ndarray, bounds: np.ndarray, gstate: np.ndarray) -> np.ndarray:
        return np.frombuffer(c(rows, gap, bounds, gstate), dtype=np.int64).reshape(-1, len(RULE_COLUMNS))

    return rule_c


rule = _compiled_rule() or _rule_py


# columns of analyzer.columnar.count._window's rows: ts, num, src id, sport, dst id, dport, seq, window, frame
# length, TCP offset, TCP header length (SYN); ts, num, seq, window, frame length, TCP offset and header
# length (SYN-ACK); ts, num, window, frame length (ACK)
_SYN_COLS = [0, 1, 2, 3, 4, 5, 6, 9, 11, 12, 13]
_SYNACK_COLS = [0, 1, 6, 9, 11, 12, 13]
_ACK_COLS = [0, 1, 9, 11]
_LETTERS = "aDdFf"
_BITS = np.array([1, 2, 4, 0, 0], dtype=np.int64)
_DIGITS = 6 ** np.arange(5, dtype=np.int64)
_SUFFIX: dict[int, str] = {}


_NO_GROUPS = np.zeros(0, dtype=np.int64)
# 6 ** k for a history code's k letters so far; how many letters a code (below 6 ** 5) holds
_POW6 = 6 ** np.arange(6, dtype=np.int64)
_NDIGITS = np.searchsorted(_POW6, np.arange(6 ** 5), side="right").astype(np.int64)
# Whole.hs's ints from take's handshake values (see _SYN_COLS, _SYNACK_COLS, _ACK_COLS)
_HS_FROM_HSV = [0, 1, 6, 7, 8, 11, 12, 13, 14, 15, 18, 19, 20, 21]
# the SYN's and the SYN-ACK's TCP header offset and length among take's handshake values
_OPT_COLS = [9, 10, 16, 17]


def _history(code: int) -> str:
    """:func:`_suffix`, cached."""
    out = _SUFFIX.get(code)
    if out is None:
        out = _SUFFIX[code] = _suffix(code)
    return out


def _suffix(code: int) -> str:
    """The history letters a code stands for, in order."""
    out = []
    while code:
        code, digit = divmod(code, 6)
        out.append(_LETTERS[digit - 1])
    return "".join(out)
