"""The index of :class:`~analyzer.columnar.whole.Wholes`' records: both directions of a record's endpoint pair
(``global address id << 16 | port``, the sender's first) -> its row in the record table, as the flow table finds a
connection by either direction of its 4-tuple.

:class:`PairIndex` keeps the pairs in one open-addressing hash table of int64 slots (24 bytes a slot, at most 3/4
used; a deleted pair leaves a mark a later pair of its probe chain may take, and a rebuild drops the marks), probed
by compiled calls of a window's or a sweep's records at once (``_speedups.pi_rows``, ``pi_enter``, ``pi_forget``,
``pi_row``, ``pi_rehash``, the "h-conv8" block): no Python tuple or int per pair. :class:`DictPairs` is its Python
twin (a dict of pair tuples), used where the compiled helper is not built or under ANALYZER_PURE_PYTHON;
tests/test_columnar_pairs.py holds the two to a plain dict on random enters, lookups and deletions.
"""

from __future__ import annotations

from itertools import repeat

import numpy as np

from analyzer.compiled import compiled

_rows = compiled("pi_rows")
_row = compiled("pi_row")
_enter = compiled("pi_enter")
_forget = compiled("pi_forget")
_rehash = compiled("pi_rehash")
_MIN_SLOTS = 1024


def _table(slots: int) -> bytearray:
    return bytearray(b"\xff" * (24 * slots))         # (every slot's first word -1: never used)


def _i64(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


class DictPairs:
    """The index as a dict of (a, b) tuples (the Python twin of :class:`PairIndex`)."""

    __slots__ = ("d",)

    def __init__(self) -> None:
        self.d: dict[tuple[int, int], int] = {}

    def __len__(self) -> int:
        """Entries (two a record)."""
        return len(self.d)

    def row(self, a: int, b: int) -> int | None:
        return self.d.get((a, b))

    def rows(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The row of each pair (``a[i]``, ``b[i]``), -1 for none (int64 arrays of one length)."""
        return np.fromiter(map(self.d.get, zip(a.tolist(), b.tolist()), repeat(-1)), np.int64, len(a))

    def enter(self, rows: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        """Records ``rows`` on endpoints ``a`` (originator), ``b``: both directions, in order."""
        d = self.d
        for r, x, y in zip(rows.tolist(), a.tolist(), b.tolist(), strict=True):
            d[(x, y)] = r
            d[(y, x)] = r

    def forget(self, a: np.ndarray, b: np.ndarray) -> None:
        """Both directions of each pair deleted (a KeyError at the first missing one)."""
        d = self.d
        for x, y in zip(a.tolist(), b.tolist(), strict=True):
            del d[(x, y)]
            del d[(y, x)]


class PairIndex:
    """The index as a compiled hash table (see the module docstring); the same calls as :class:`DictPairs`."""

    __slots__ = ("live", "table", "used")

    def __init__(self) -> None:
        self.table = _table(_MIN_SLOTS)
        self.used = 0           # slots taken since the table was made (entries and deletion marks)
        self.live = 0           # entries

    def __len__(self) -> int:
        return self.live

    def row(self, a: int, b: int) -> int | None:
        return _row(self.table, a, b)

    def rows(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.frombuffer(_rows(self.table, _i64(a), _i64(b)), dtype=np.int64)

    def enter(self, rows: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        k = 2 * len(rows)
        if 4 * (self.used + k) > 3 * (len(self.table) // 24):
            size = _MIN_SLOTS
            while 2 * size < 3 * (self.live + k):
                size *= 2
            table = _table(size)
            self.used = _rehash(self.table, table)
            self.table = table
        taken, added = _enter(self.table, _i64(rows), _i64(a), _i64(b))
        self.used += taken
        self.live += added

    def forget(self, a: np.ndarray, b: np.ndarray) -> None:
        try:
            self.live -= _forget(self.table, _i64(a), _i64(b))
        except KeyError:
            s = np.frombuffer(self.table, dtype=np.int64)
            self.live = int(np.count_nonzero(s[0::3] >= 0))
            raise


def new_index() -> PairIndex | DictPairs:
    """A :class:`PairIndex`, or a :class:`DictPairs` where the compiled helper is not there."""
    return PairIndex() if None not in (_rows, _row, _enter, _forget, _rehash) else DictPairs()
