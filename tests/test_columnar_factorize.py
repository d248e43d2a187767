"""The compiled factorizing of a batch's addresses (analyzer.columnar._speedups.factorize_u64, used by
analyzer.columnar.count._addresses) gives exactly what np.unique(values, return_inverse=True) gives (the
fallback, count._unique_py): the distinct values ascending and each value's position among them, on values
that repeat, that are all distinct, that collide in its hash table, at both ends of the uint64 range, and on
the address columns of the captures; and the address ids and texts of every batch are the same either way."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

from analyzer.capture import open_capture
from analyzer.columnar.headers import KIND_TCP, KIND_UDP, parse
from analyzer.compiled import compiled

count_mod = importlib.import_module("analyzer.columnar.count")     # (the package's ``count`` is the function)
REPO = Path(__file__).resolve().parents[1]
CAPTURES = sorted((REPO / "captures").glob("*.pcap*"))
c_unique = count_mod._compiled_unique()
pytestmark = pytest.mark.skipif(c_unique is None, reason="the compiled helper (with factorize_u64) is not built")
TOP = (1 << 64) - 1


def _slot(v: int) -> int:
    """Where the C hash starts looking for ``v`` in a table of 16 slots (the size for up to 8 values)."""
    return (((v * 0x9E3779B97F4A7C15) & TOP) >> 17) & 15


def _probe_into_neighbour(k: int) -> list[int]:
    """Values (at most 8) whose last one, 2k, looking for a free slot from its own, passes fillers and reaches
    the slot of 2k + 1, put there just before it: it must be told apart from a value one bit away."""
    a, b = 2 * k + 1, 2 * k
    fillers = []
    want = _slot(b)
    v = 1 << 50
    while want != _slot(a):
        v += 1
        if _slot(v) == want:
            fillers.append(v)
            want = (want + 1) & 15
    assert len(fillers) <= 6
    return [*fillers, a, b]


def _cases() -> list[np.ndarray]:
    rng = np.random.default_rng(12)
    return [
        np.zeros(0, dtype=np.uint64),
        np.array([7], dtype=np.uint64),
        np.array([5, 5, 5, 5], dtype=np.uint64),
        np.array([TOP, 0, TOP, 1, 0], dtype=np.uint64),
        rng.integers(0, 300, 12_000).astype(np.uint64),                       # a batch's IPv4 addresses
        rng.integers(0, 1 << 63, 5_000, dtype=np.uint64) * 2,                  # nearly all distinct
        np.arange(70_000, dtype=np.uint64)[::-1].copy(),                      # all distinct, descending
        (np.arange(4_000, dtype=np.uint64) << np.uint64(47)) % np.uint64(1 << 63),  # colliding low bits
        np.repeat(rng.integers(0, TOP, 50, dtype=np.uint64, endpoint=True), 40),
        rng.permutation(np.repeat(np.array([3, 1 << 40, TOP - 1], dtype=np.uint64), 999)),
        *(np.array(_probe_into_neighbour(k), dtype=np.uint64) for k in (0, 1, 77, 1 << 40)),
    ]


@pytest.mark.parametrize("case", range(len(_cases())))
def test_same_as_numpy_unique(case):
    values = _cases()[case]
    uniq, inv = c_unique(values)
    want_uniq, want_inv = count_mod._unique_py(values)
    assert uniq.dtype == np.uint64 and inv.dtype == np.int64
    assert uniq.tolist() == want_uniq.tolist()
    assert inv.tolist() == want_inv.reshape(-1).tolist()
    assert (uniq[inv] == values).all()


def test_not_whole_values_is_an_error():
    with pytest.raises(ValueError):
        compiled("factorize_u64")(b"\x00" * 12)


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_addresses_same_either_way(path, monkeypatch):
    with open_capture(path) as reader:
        batches = list(reader.batches())
    for batch in batches:
        c = parse(batch)
        for kind in (KIND_TCP, KIND_UDP):
            sel = np.flatnonzero(c.kind == kind)
            monkeypatch.setattr(count_mod, "_unique_inverse", c_unique)
            fast = count_mod._addresses(c, sel)
            monkeypatch.setattr(count_mod, "_unique_inverse", count_mod._unique_py)
            slow = count_mod._addresses(c, sel)
            assert fast[0].tolist() == slow[0].tolist()
            assert fast[1].tolist() == slow[1].tolist()
            assert fast[2] == slow[2]
