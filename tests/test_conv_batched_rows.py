"""The rows of the whole records a sweep finishes are made and spilled as one batch
(analyzer.columnar.whole.rows_values, SpilledRows.add_many_values, FinishedKeys.add_pairs): the same store,
widths and remembered 4-tuples as the per-record calls (row_values, add_values, add_pair), on random rows with
the cases each batch function decides (a row marshal does not take, a start that is not an int, negative
times, kept keys, renumbered streams)."""

from __future__ import annotations

import random

import pytest

from analyzer.columnar.rows import SpilledRows
from analyzer.columnar.whole import ROW_KEYS, Whole, row_values, rows_values
from analyzer.report.conversations import TABLE_KEYS
from analyzer.tcp.connection import FinishedKeys


def _whole(rng: random.Random) -> Whole:
    t0 = rng.choice((0, 1, 999_999_999, 1_700_000_000_123_456_789, rng.randrange(1 << 40)))
    ut = t0 + rng.choice((0, 1, 5, -3, rng.randrange(1 << 34)))
    key = (rng.choice(("10.0.0.1", "10.0.0.22", "fe80::1")), rng.choice((1, 80, 443, 65535)),
           rng.choice(("192.168.1.9", "::1")), rng.choice((7, 8080, 50000)))
    hs = (t0, rng.randrange(1, 10 ** 6), rng.randrange(1 << 32), 0, b"", 60, t0 + 5, 2, rng.randrange(1 << 32),
          0, b"", 60, t0 + rng.choice((0, 7, 10 ** 9)), 3, 0, 54)
    v = (rng.randrange(1, 99), rng.randrange(1, 99), 1, 2, 3, 4, 5, 6, rng.randrange(2), 1, 2, 3, 4, 5, 6, 7, 8,
         rng.randrange(10 ** 6), ut)
    return Whole(key, hs, v, rng.choice(("ShAaDdFf", "ShADadfF")), ut, True)


@pytest.mark.parametrize("seed", range(10))
def test_rows_values_as_row_values(seed):
    rng = random.Random(seed)
    ws = [_whole(rng) for _ in range(50)]
    assert rows_values(ws) == [row_values(w) for w in ws]


def _store(keep, renumber, rows, batched: bool) -> SpilledRows:
    """``rows`` added in batches of 0 to 9 (batched) or one at a time."""
    s = SpilledRows(keep, renumber=renumber)
    rng = random.Random(7)
    at = 0
    while at < len(rows):
        part = rows[at:at + rng.randint(0, 9)]
        at += len(part)
        sort_keys = [r[23] for r in part]
        if batched:
            s.add_many_values(ROW_KEYS, part, sort_keys)
        else:
            for r, sk in zip(part, sort_keys, strict=True):
                s.add_values(ROW_KEYS, r, sk)
    return s


@pytest.mark.parametrize("keep", [None, TABLE_KEYS])
@pytest.mark.parametrize("renumber", [None, "stream"])
@pytest.mark.parametrize("odd", ["", "unmarshallable", "float_ts"])
def test_add_many_values_as_add_values(keep, renumber, odd):
    rng = random.Random(hash((keep is None, renumber, odd)) & 0xFFFF)
    rows = rows_values([_whole(rng) for _ in range(120)])
    rng.shuffle(rows)
    if odd == "unmarshallable":            # a value marshal refuses (pickle takes it)
        rows[17] = (*rows[17][:8], _Odd(), *rows[17][9:])
    elif odd == "float_ts":     # a start that is not an int: no widths kept
        rows[40] = (*rows[40][:25], 1.5, rows[40][26])
    a = _store(keep, renumber, rows, batched=True)
    b = _store(keep, renumber, rows, batched=False)
    assert len(a) == len(b) == len(rows)
    assert [dict(r) for r in a] == [dict(r) for r in b]
    assert list(a.tuples(TABLE_KEYS)) == list(b.tuples(TABLE_KEYS))
    for proto in ("tcp", "udp"):
        assert a.table_widths(proto) == b.table_widths(proto)
    if odd == "float_ts":
        assert a.table_widths("tcp") is None
    else:
        # from the rows themselves: each address's longest port text, the earliest start
        ends: dict = {}
        for r in rows:
            for addr, port in ((r[3], r[4]), (r[5], r[6])):
                ends[addr] = max(ends.get(addr, 0), len(str(port)))
        want_streams = len(str(len(rows) - 1)) if renumber else 1
        assert a.table_widths("tcp") == (ends, want_streams, min(r[25] for r in rows))
        assert a.table_widths("udp") == ({}, 0, None)
    a.close()
    b.close()


class _Odd:
    """A value marshal does not take (pickle does)."""

    def __eq__(self, other) -> bool:
        return other.__class__ is _Odd

    def __hash__(self) -> int:
        return 1

    def __len__(self) -> int:
        return 3

    def __str__(self) -> str:
        return "odd"


@pytest.mark.parametrize("seed", range(5))
def test_add_pairs_as_add_pair(seed):
    rng = random.Random(seed)
    a, b = FinishedKeys(memory_ns=100), FinishedKeys(memory_ns=100)
    now = 0
    keys = [(f"10.0.0.{i}", i, "10.0.0.99", 80) for i in range(12)]
    for _ in range(60):
        now += rng.choice((0, 1, 10, 30, 200))
        items = [(rng.choice(keys), rng.randrange(1 << 32), rng.randrange(1 << 32)) for _ in range(rng.randint(1, 4))]
        a.add_pairs(items, now)
        for key, base, other_base in items:
            b.add_pair(key, base, (key[2], key[3], key[0], key[1]), other_base, now)
        assert [(t, list(d.items())) for t, d in a.gens] == [(t, list(d.items())) for t, d in b.gens]
