"""The spilled rows (analyzer.columnar.rows.SpilledRows) are read back through a map of their file whose pages
are let go every _RELEASE_ROWS rows (so that the process's resident set does not grow by the whole spill as
the rows are read): the rows come back the same, in sort-key order, renumbered, on every pass, whatever the
interval, and the pages are let go (MADV_DONTNEED) at each pass's first row and every interval after it."""

from __future__ import annotations

import mmap
import random

import pytest

import analyzer.columnar.rows as rows_mod
from analyzer.columnar.rows import SpilledRows

KEYS = ("proto", "stream", "id.orig_h", "id.orig_p", "first_ts_ns", "note")


def _rows(n: int, seed: int) -> list[tuple]:
    rng = random.Random(seed)
    return [("tcp", i, f"10.0.{i % 250}.{i % 7}", rng.randrange(1 << 16), rng.randrange(1 << 40),
             "x" * rng.randrange(300)) for i in range(n)]


@pytest.mark.parametrize(("n", "every"), [(0, 4), (3, 4), (4, 4), (5, 4), (1000, 8), (9000, 4096), (2049, 1)])
def test_rows_read_back_whatever_the_release_interval(monkeypatch, n, every):
    released = []
    real = mmap.mmap.madvise

    class Counted(mmap.mmap):
        def madvise(self, *args):
            released.append(args)
            return real(self, *args)

    monkeypatch.setattr(rows_mod.mmap, "mmap", Counted)
    monkeypatch.setattr(rows_mod, "_RELEASE_MASK", every - 1)
    rows = _rows(n, n)
    sort_keys = [random.Random(n + 1).randrange(1 << 30) for _ in rows]
    store = SpilledRows(renumber="stream")
    half = n // 2
    for values, key in zip(rows[:half], sort_keys[:half], strict=True):
        store.add_values(KEYS, values, key)
    store.add_many_values(KEYS, rows[half:], sort_keys[half:])
    order = sorted(range(n), key=sort_keys.__getitem__)
    expect = [dict(zip(KEYS, (*rows[i][:1], pos, *rows[i][2:]), strict=True)) for pos, i in enumerate(order)]
    for _ in range(2):
        released.clear()
        assert [dict(r) for r in store] == expect
        # position 0 of each pass, then every ``every`` rows
        assert len(released) == (0 if n == 0 else (n - 1) // every + 1)
        assert all(a == (mmap.MADV_DONTNEED,) for a in released)
    assert list(store.tuples(("stream", "note"))) == [(e["stream"], e["note"]) for e in expect]
    store.close()
