"""The records' index of analyzer.columnar.whole.Wholes (analyzer.columnar.pairs): PairIndex (the compiled hash
table) and DictPairs (its Python twin) answer as a plain dict of (a, b) -> row through random enters (both
directions of each pair; pairs held entered again with a new row), bulk and single lookups (pairs held, held only the other way round,
never held, negative endpoints, endpoints past 32 bits), deletions (a missing pair a KeyError), and enough churn
that the table is rebuilt many times and its deletion marks are reused; the count of entries follows."""

from __future__ import annotations

import random

import numpy as np
import pytest

from analyzer.columnar import pairs

COMPILED = pairs.new_index().__class__ is pairs.PairIndex
KINDS = [pairs.DictPairs, pytest.param(pairs.PairIndex, marks=pytest.mark.skipif(
    not COMPILED, reason="the compiled helper (with pi_rows) is not built"))]


def _endpoint(rnd: random.Random) -> int:
    pick = [0, 1, 80 | (1 << 16), (5 << 16) | 443, (1 << 40) | 7, (1 << 62) - 1, 65535]
    return rnd.choice(pick) if rnd.random() < 0.2 else (rnd.randrange(3000) << 16 | rnd.randrange(65536))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(6))
def test_answers_as_a_dict(kind, seed):
    rnd = random.Random(seed)
    index, model = kind(), {}
    held: list[tuple[int, int]] = []        # pairs entered (one direction), not yet deleted
    for step in range(400):
        op = rnd.random()
        if op < 0.45:
            # a batch of new records (no pair held either way round, a != b, none twice)
            n = rnd.randrange(1, 60)
            a, b, r = [], [], []
            for _ in range(n):
                x, y = _endpoint(rnd), _endpoint(rnd)
                if x == y or (x, y) in model or (y, x) in model or (x, y) in zip(a, b) or (y, x) in zip(a, b):
                    continue
                a.append(x)
                b.append(y)
                r.append(rnd.randrange(1 << 40))
            index.enter(np.array(r, dtype=np.int64), np.array(a, dtype=np.int64), np.array(b, dtype=np.int64))
            for x, y, v in zip(a, b, r, strict=True):
                model[(x, y)] = model[(y, x)] = v
                held.append((x, y))
        elif op < 0.55 and held:
            # records entered again on pairs they hold (a row moved): the new row either way round
            again = rnd.sample(held, min(len(held), rnd.randrange(1, 20)))
            r = [rnd.randrange(1 << 40) for _ in again]
            index.enter(np.array(r, dtype=np.int64), np.array([p[0] for p in again], dtype=np.int64),
                        np.array([p[1] for p in again], dtype=np.int64))
            for (x, y), v in zip(again, r, strict=True):
                model[(x, y)] = model[(y, x)] = v
        elif op < 0.8 and held:
            # a sweep's records deleted (in any order, either direction given)
            k = rnd.randrange(1, min(len(held), 80) + 1)
            gone = rnd.sample(held, k)
            for p in gone:
                held.remove(p)
            gone = [p if rnd.random() < 0.5 else (p[1], p[0]) for p in gone]
            index.forget(np.array([p[0] for p in gone], dtype=np.int64),
                         np.array([p[1] for p in gone], dtype=np.int64))
            for x, y in gone:
                del model[(x, y)]
                del model[(y, x)]
        assert len(index) == len(model)
        if step % 7 == 0:
            probe = [p for p in rnd.sample(held, min(len(held), 50))]
            probe += [(p[1], p[0]) for p in probe[:10]]
            probe += [(_endpoint(rnd), _endpoint(rnd)) for _ in range(20)] + [(-1, 5), (5, -1), (-2, -2)]
            a = np.array([p[0] for p in probe], dtype=np.int64)
            b = np.array([p[1] for p in probe], dtype=np.int64)
            want = [model.get(p, -1) for p in probe]
            assert index.rows(a, b).tolist() == want
            assert index.rows(np.stack([a, b], axis=1)[:, 0], np.stack([a, b], axis=1)[:, 1]).tolist() == want
            assert [index.row(x, y) for x, y in probe] == [model.get(p) for p in probe]
    assert index.rows(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)).tolist() == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_missing_pair_is_a_key_error(kind):
    index = kind()
    index.enter(np.array([7, 8], dtype=np.int64), np.array([1, 3], dtype=np.int64), np.array([2, 4], dtype=np.int64))
    with pytest.raises(KeyError):
        index.forget(np.array([1, 5], dtype=np.int64), np.array([2, 6], dtype=np.int64))
    # (the pair before the missing one went, and the count says so)
    assert len(index) == 2 and index.row(3, 4) == 8 and index.row(1, 2) is None and index.row(2, 1) is None


@pytest.mark.skipif(not COMPILED, reason="the compiled helper (with pi_rows) is not built")
def test_the_table_stays_as_large_as_its_entries():
    # records come and go for a long time: the deletion marks are dropped at rebuilds, the table does not grow
    index = pairs.PairIndex()
    for round_ in range(300):
        a = np.arange(round_ * 100, round_ * 100 + 100, dtype=np.int64) << 16
        b = np.full(100, 80, dtype=np.int64)
        index.enter(np.arange(100, dtype=np.int64), a, b)
        if round_:
            prev = np.arange((round_ - 1) * 100, round_ * 100, dtype=np.int64) << 16
            index.forget(prev, b)
    assert len(index) == 200
    assert len(index.table) == 24 * pairs._MIN_SLOTS


@pytest.mark.skipif(not COMPILED, reason="the compiled helper (with pi_rows) is not built")
def test_calls_that_do_not_agree_are_refused():
    index = pairs.PairIndex()
    with pytest.raises(ValueError):
        index.enter(np.zeros(2, dtype=np.int64), np.zeros(1, dtype=np.int64), np.ones(2, dtype=np.int64))
    with pytest.raises(ValueError):
        index.rows(np.zeros(2, dtype=np.int64), np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError):
        index.enter(np.zeros(1, dtype=np.int64), np.array([-1], dtype=np.int64), np.ones(1, dtype=np.int64))
