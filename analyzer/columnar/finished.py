"""The finished 4-tuples of the columnar counting pass, packed: :class:`PackedFinishedKeys` is a
:class:`~analyzer.tcp.connection.FinishedKeys` (the same generations, the same answers) whose entries are slots of
one open-addressing hash table in a numpy array -- 16 bytes a slot, at most 3/4 of them used, instead of ~160 bytes
an entry of a dict of text 4-tuples (the tuple, its port and base ints, the dict slot). At 1M synthetic frames those
entries were the largest part of what grows with the file (~40k of them over its first 12.5 minutes of capture
time). The table's probing is compiled (``_speedups.fk_put``, ``fk_get``, ``fk_get1``, ``fk_rehash``, the
"h-conv8" block): without the compiled helper (or under ANALYZER_PURE_PYTHON) :class:`~analyzer.columnar.whole.Wholes`
leaves the tracker its own :class:`FinishedKeys`.

A key is both endpoints as ``global address id << 16 | port`` (the ids of the :class:`~analyzer.columnar.whole.Wholes`
whose records the table mostly holds; a text 4-tuple's new addresses are given ids when it is added), the sender's
high: ``(a << 32) | b``; a value is ``generation << 32 | base``. A 4-tuple with an address id above 65534 (or a port
that is not a 16-bit int) does not pack: its entries are kept as text in their generation's dict, as
:class:`FinishedKeys` keeps them (a 4-tuple packs always or never: ids are not given back). A base must be a 32-bit
sequence number (ValueError otherwise: the tracker's always are; FinishedKeys' reading of an entry of no base, passed
over for an older generation's, would need every generation's entry of a key, and the table keeps the newest).

Generations are numbered as they start (``gen``: the newest's number; ``gens`` as in :class:`FinishedKeys`, whose
dicts hold only the text entries); the oldest kept is ``gen - len(gens) + 1``, and an entry of an older one is gone
(its slot used again by a later key of its probe chain, or dropped when the table is rebuilt). The table is rebuilt
with the live entries only (its size the smallest power of two at least 1.5 times them) when an add would fill
more than 3/4 of it.

tests/test_columnar_finished.py holds it to :class:`FinishedKeys` on random adds, record adds, lookups and sweeps.
"""

from __future__ import annotations

import numpy as np

from analyzer.compiled import compiled
from analyzer.tcp.connection import FinishedKeys

_EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)
_MIN_SLOTS = 1024
_LIMIT = 65535 << 16        # an endpoint below this packs (address id at most 65534: no key is all ones)
_BASE = 1 << 32
_MASK = _BASE - 1
_S32 = np.uint64(32)

_put = compiled("fk_put")
_put1 = compiled("fk_put1")
_get = compiled("fk_get")
_get1 = compiled("fk_get1")
_rehash = compiled("fk_rehash")
AVAILABLE = None not in (_put, _put1, _get, _get1, _rehash)


def _table(slots: int) -> bytearray:
    """An empty table of ``slots`` slots (a bytearray: the compiled calls take its buffer faster than an array's)."""
    return bytearray(b"\xff" * (16 * slots))


def _slots(table: bytearray) -> np.ndarray:
    """The table's slots as uint64 pairs (key, value), a view."""
    return np.frombuffer(table, dtype=np.uint64).reshape(-1, 2)


class PackedFinishedKeys(FinishedKeys):
    """:class:`~analyzer.tcp.connection.FinishedKeys` packed into a hash table (see the module docstring);
    ``wholes``: the :class:`~analyzer.columnar.whole.Wholes` whose global address ids the keys use."""

    __slots__ = ("gen", "table", "used", "wholes")

    def __init__(self, memory_ns: int, wholes) -> None:
        super().__init__(memory_ns)
        self.wholes = wholes
        self.table = _table(_MIN_SLOTS)
        self.used = 0           # slots ever taken since the table was made (live entries and gone ones)
        self.gen = 0            # the newest generation's number (the first is 1)

    def _oldest(self) -> int:
        return self.gen - len(self.gens) + 1

    def _newest(self, now: int) -> dict[tuple, int]:
        gens = self.gens
        if not gens or now >= gens[-1][0] + self.step:
            gens.append((now, {}))
            self.gen += 1
        return gens[-1][1]

    def forget(self, now: int) -> None:
        super().forget(now)
        if not self.gens and self.used:
            self.table = _table(_MIN_SLOTS)       # everything gone
            self.used = 0

    def _live(self) -> int:
        """How many live entries the table holds."""
        s = _slots(self.table)
        return int(np.count_nonzero((s[:, 0] != _EMPTY) & ((s[:, 1] >> _S32) >= self._oldest())))

    def _room(self, k: int) -> None:
        """The table rebuilt (live entries only) if ``k`` more entries could fill more than 3/4 of it."""
        if 4 * (self.used + k) <= 3 * (len(self.table) >> 4):
            return
        live = self._live()
        size = _MIN_SLOTS
        while 2 * size < 3 * (live + k):
            size *= 2
        table = _table(size)
        self.used = _rehash(self.table, table, self._oldest())
        self.table = table

    def _pack(self, key: tuple, enter: bool = False) -> int | None:
        """``key``'s packed form (None where it does not pack); ``enter``: an address the Wholes have not
        seen is given its global id."""
        src, sport, dst, dport = key
        if (sport.__class__ is not int or dport.__class__ is not int or not 0 <= sport < 65536
                or not 0 <= dport < 65536):
            return None
        gids = self.wholes.gids
        a = gids.get(src)
        b = gids.get(dst)
        if enter and (a is None or b is None):
            addr = self.wholes.addr
            for text in (src, dst):
                if text not in gids:
                    gids[text] = len(addr)
                    addr.append(text)
            a, b = gids[src], gids[dst]
        if a is None or b is None or a > 65534 or b > 65534:
            return None
        return (((a << 16) | sport) << 32) | (b << 16) | dport

    def _add_one(self, newest: dict, key: tuple, base: int) -> None:
        if base.__class__ is not int or not 0 <= base < _BASE:
            raise ValueError(f"PackedFinishedKeys: the base {base!r} is not a 32-bit sequence number")
        k = self._pack(key, True)
        if k is None:
            newest.pop(key, None)
            newest[key] = base
        else:
            if 4 * (self.used + 1) > 3 * (len(self.table) >> 4):
                self._room(1)
            self.used += _put1(self.table, k, self.gen << 32 | base, self.gen - len(self.gens) + 1)

    def add(self, key: tuple, base: int, now: int) -> None:
        self._add_one(self._newest(now), key, base)
        self.forget(now)

    def add_pair(self, key: tuple, base: int, other: tuple, other_base: int, now: int) -> None:
        newest = self._newest(now)
        self._add_one(newest, key, base)
        self._add_one(newest, other, other_base)
        self.forget(now)

    def add_pairs(self, items: list[tuple[tuple, int, int]], now: int) -> None:
        newest = self._newest(now)
        for key, base, other_base in items:
            src, sport, dst, dport = key
            self._add_one(newest, key, base)
            self._add_one(newest, (dst, dport, src, sport), other_base)
        self.forget(now)

    def add_records(self, ea: np.ndarray, eb: np.ndarray, b0: np.ndarray, b1: np.ndarray, now: int) -> None:
        """Records of endpoints ``ea`` (originator), ``eb`` (global address id << 16 | port, int64 arrays) and
        base sequence numbers ``b0``, ``b1`` finished at ``now``, in that order: as ``add_pairs`` of their text
        4-tuples."""
        newest = self._newest(now)
        fits = (ea >= 0) & (ea < _LIMIT) & (eb >= 0) & (eb < _LIMIT) & (b0 >= 0) & (b0 < _BASE) & (b1 >= 0) & (b1 < _BASE)
        if not fits.all():
            addr = self.wholes.addr
            for a, b, x, y in zip(ea[~fits].tolist(), eb[~fits].tolist(), b0[~fits].tolist(), b1[~fits].tolist(),
                                  strict=True):
                src, sport, dst, dport = addr[a >> 16], a & 0xFFFF, addr[b >> 16], b & 0xFFFF
                self._add_one(newest, (src, sport, dst, dport), x)
                self._add_one(newest, (dst, dport, src, sport), y)
            ea, eb, b0, b1 = ea[fits], eb[fits], b0[fits], b1[fits]
        if len(ea):
            ua, ub = ea.astype(np.uint64), eb.astype(np.uint64)
            k = np.empty(2 * len(ea), dtype=np.uint64)
            k[0::2] = (ua << _S32) | ub         # (each record's two keys in add_pairs' order: the later one wins)
            k[1::2] = (ub << _S32) | ua
            g = np.uint64(self.gen << 32)
            v = np.empty(2 * len(ea), dtype=np.uint64)
            v[0::2] = b0.astype(np.uint64) | g
            v[1::2] = b1.astype(np.uint64) | g
            self._room(len(k))
            self.used += _put(self.table, k, v, self._oldest())
        self.forget(now)

    def get(self, key: tuple) -> int | None:
        k = self._pack(key)
        if k is None:
            return super().get(key)
        if not self.used:
            return None
        v = _get1(self.table, k, self.gen - len(self.gens) + 1)
        return None if v is None else v & _MASK

    def packed_found(self, ea: np.ndarray, eb: np.ndarray) -> np.ndarray:
        """Per 4-tuple of endpoints ``ea`` (sender), ``eb`` (global address id << 16 | port, int64 arrays): held
        by a live packed entry (the text entries are the caller's to look at)."""
        out = np.zeros(len(ea), dtype=bool)
        if not self.used:
            return out
        fits = (ea >= 0) & (ea < _LIMIT) & (eb >= 0) & (eb < _LIMIT)
        ks = (ea[fits].astype(np.uint64) << _S32) | eb[fits].astype(np.uint64)
        out[fits] = np.frombuffer(_get(self.table, ks, self._oldest()), dtype=np.int64) >= 0
        return out

    def __len__(self) -> int:
        """The 4-tuples remembered, each once (FinishedKeys counts a key once per generation holding it; the table
        holds a packed key's newest entry only)."""
        return self._live() + len({key for _start, entries in self.gens for key in entries})
