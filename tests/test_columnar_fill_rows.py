"""The compiled filling of a window's tracker-call rows (analyzer.columnar._speedups.fill_rows, used by
analyzer.columnar.count._window) writes exactly what its numpy twin count._fill_rows_py writes: every column kind
the header columns have (bool, signed and unsigned 8 to 64 bits), columns taken as they are and through an
index, tables wider than the columns and longer than one block of rows; and it declines (None), leaving the
caller to fill the table with numpy, for what it does not take: another dtype, a non-contiguous column or
table, another length, an index out of range, a uint64 that int64 cannot hold. The conversations of the
captures are the same with and without it."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
from tcp_helpers import connection_rows_of

from analyzer.compiled import compiled

count_mod = importlib.import_module("analyzer.columnar.count")     # (the package's ``count`` is the function)
REPO = Path(__file__).resolve().parents[1]
CAPTURES = sorted((REPO / "captures").glob("*.pcap*"))
fill_c = compiled("fill_rows")
pytestmark = pytest.mark.skipif(fill_c is None, reason="the compiled helper (with fill_rows) is not built")
DTYPES = (np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64)


def _column(rng, dtype, n: int) -> np.ndarray:
    if dtype is np.bool_:
        return rng.integers(0, 2, n).astype(bool)
    info = np.iinfo(dtype)
    hi = min(int(info.max), (1 << 63) - 1)
    values = rng.integers(int(info.min), hi, n, dtype=np.int64 if info.min < 0 else np.uint64, endpoint=True)
    col = values.astype(dtype)
    if n > 3:
        col[:2] = (info.min, hi)            # both ends of what the table can hold
    return col


def _both(rows_shape, cols):
    expect = np.full(rows_shape, -7, dtype=np.int64)
    count_mod._fill_rows_py(expect, cols)
    got = np.full(rows_shape, -7, dtype=np.int64)
    assert fill_c(got, cols) is True
    return expect, got


@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 1000, 4099])
def test_every_kind_as_is_and_through_an_index(n):
    rng = np.random.default_rng(n)
    cols = []
    for dtype in DTYPES:
        cols.append(_column(rng, dtype, n))
        src = _column(rng, dtype, n + 17)
        cols.append((src, rng.integers(0, n + 17, n)))
    expect, got = _both((n, len(cols) + 3), cols)
    assert np.array_equal(expect, got)
    assert (got[:, len(cols):] == -7).all()            # the columns past the list are not touched


def test_the_window_columns_as_count_has_them():
    # the columns of a window of synthetic-looking segments: sorted groups, gathers by order and frame index
    rng = np.random.default_rng(5)
    total, n = 9000, 4000
    sel = np.sort(rng.choice(total, n, replace=False))
    order = rng.permutation(n)
    frame_i = sel[order]
    si = rng.integers(0, 300, n)
    sport = rng.integers(0, 1 << 16, total).astype(np.uint16)
    seq = rng.integers(0, 1 << 32, total).astype(np.uint32)
    flags = rng.integers(0, 256, total).astype(np.uint8)
    t = rng.integers(14, 60, total).astype(np.int32)
    cols = [rng.integers(0, 1 << 62, n), 1 + frame_i, (si, order), (sport[sel], order), (si[::-1].copy(), order),
            (sport[sel], order), seq[frame_i], seq[frame_i], flags[frame_i], sport[frame_i], sport[frame_i],
            rng.integers(0, 1500, n), (t, frame_i), (flags, frame_i), rng.integers(0, 2, n).astype(bool)]
    expect, got = _both((n, 16), cols)
    assert np.array_equal(expect, got)


@pytest.mark.parametrize("case", ["float", "float_index", "strided", "short", "long_index", "index_high",
                                  "index_negative", "u64_high", "rows_float", "rows_narrow", "rows_strided",
                                  "rows_1d", "bad_pair", "rows_readonly"])
def test_declines_what_it_does_not_take(case):
    n = 100
    rng = np.random.default_rng(1)
    good = rng.integers(0, 1000, n)
    rows = np.zeros((n, 4), dtype=np.int64)
    cols = [good, good]
    if case == "float":
        cols.append(good.astype(np.float64))
    elif case == "float_index":
        cols.append((good, np.arange(n, dtype=np.float64)))
    elif case == "strided":
        cols.append(rng.integers(0, 9, 2 * n)[::2])
    elif case == "short":
        cols.append(good[:-1])
    elif case == "long_index":
        cols.append((good, np.arange(n + 1)))
    elif case == "index_high":
        ix = np.arange(n)
        ix[70] = n
        cols.append((good, ix))
    elif case == "index_negative":
        ix = np.arange(n)
        ix[3] = -1
        cols.append((good, ix))
    elif case == "u64_high":
        big = good.astype(np.uint64)
        big[99] = np.uint64(1 << 63)
        cols.append(big)
    elif case == "rows_float":
        rows = np.zeros((n, 4))
    elif case == "rows_narrow":
        rows = np.zeros((n, 1), dtype=np.int64)
    elif case == "rows_strided":
        rows = np.zeros((n, 8), dtype=np.int64)[:, ::2]
    elif case == "rows_1d":
        rows = np.zeros(n, dtype=np.int64)
    elif case == "bad_pair":
        cols.append((good, np.arange(n), None))
    elif case == "rows_readonly":
        rows.flags.writeable = False
    assert fill_c(rows, cols) is None


def test_the_numpy_twin_is_the_one_the_window_falls_back_to(monkeypatch):
    # the fallback fills the same table: every capture's connection rows (with details) either way
    assert CAPTURES
    for path in CAPTURES:
        with_c = connection_rows_of(path)
        monkeypatch.setattr(count_mod, "_fill_rows_c", None)
        without = connection_rows_of(path)
        monkeypatch.undo()
        assert with_c == without, path.name
