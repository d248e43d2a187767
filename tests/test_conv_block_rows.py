"""Whole records' rows kept as int64 blocks (SpilledRows.add_block with analyzer.columnar.whole.WholeBlock): the
same rows, value tuples and table widths as the same rows added as values (add_values of block_values), among
rows of the other kinds (marshalled, pickled) in one store; with kept keys or not, renumbered or not, compiled
values or the Python twin, more rows than one read-back stretch (_RELEASE_ROWS)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from analyzer.columnar import rows as rows_mod
from analyzer.columnar import whole
from analyzer.columnar.rows import SpilledRows
from analyzer.report.conversations import TABLE_KEYS


def _finished(rng: random.Random, wholes: whole.Wholes, n: int, first: int) -> whole.Finished:
    """n torn-down records (first frames from ``first`` on, shuffled) in ``wholes``' table."""
    t = np.zeros((n, whole._NCOL), dtype=np.int64)
    na = len(wholes.addr)
    t[:, whole.EA] = np.array([rng.randrange(na) << 16 | rng.choice((0, 9, 10, 99, 100, 443, 9999, 10000, 65535,
                                                                       rng.randrange(65536))) for _ in range(n)])
    t[:, whole.EB] = np.array([rng.randrange(na) << 16 | rng.choice((7, 80, 50000, rng.randrange(65536)))
                               for _ in range(n)])
    for col in range(whole.HS, whole.V + 19):
        t[:, col] = [rng.choice((0, 1, -1, 1_700_000_000_123_456_789, rng.randrange(1 << 40))) for _ in range(n)]
    t[:, whole.HS + 1] = rng.sample(range(first, first + 3 * n), n)
    t[:, whole.V + 8] = [rng.randrange(2) for _ in range(n)]
    t[:, whole.HCODE] = [rng.choice((0, 1, 5, 6 * 4 + 3)) for _ in range(n)]
    wholes.t = t
    return whole.Finished(wholes, np.array(rng.sample(range(n), n), dtype=np.int64))


def _row(rng: random.Random, frame: int, odd: bool) -> dict:
    """A row as the tracker's own connections give it (summarize), for the marshalled/pickled kinds."""
    d = dict(zip(whole.ROW_KEYS, ("tcp", 5, "1.5", rng.choice(("10.9.9.9", "10.0.0.2")), rng.randrange(65536),
                                  "::1", 22, "S0", "S", 1, 0, 0, 0, 60, 0, "0.0", None, None, None, "SYN_SENT",
                                  "LISTEN", False, False, frame, frame, rng.randrange(1 << 40), 0), strict=True))
    if odd:
        d["history"] = _Odd()
    return d


class _Odd:
    """A value marshal does not take (pickle does)."""

    def __eq__(self, other) -> bool:
        return other.__class__ is _Odd

    def __hash__(self) -> int:
        return 1

    def __str__(self) -> str:
        return "odd"


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("keep", [None, TABLE_KEYS])
@pytest.mark.parametrize("renumber", [None, "stream"])
def test_block_rows_as_value_rows(monkeypatch, compiled, keep, renumber):
    if compiled and whole._whole_values is None:
        pytest.skip("the compiled helper (with whole_values) is not built")
    if not compiled:
        monkeypatch.setattr(whole, "_whole_values", None)
    rng = random.Random(hash((compiled, keep is None, renumber)) & 0xFFFF)
    wholes = whole.Wholes(None)
    wholes.addr = ["10.0.0.1", "10.0.0.2", "2001:db8::1", "::", "192.168.100.200", "10.0.0.3"]
    a, b = SpilledRows(keep, renumber=renumber), SpilledRows(keep, renumber=renumber)
    frame = 0
    for size in (0, 1, 7, 300, 4100, 2, 900):
        fin = _finished(rng, wholes, size, frame)
        a.add_block(fin.kind(), fin.block())
        values = fin.values()
        b.add_many_values(whole.ROW_KEYS, values, [v[23] for v in values])
        frame += 3 * size
        for _ in range(rng.randint(0, 3)):     # rows of the tracker's own connections between
            d = _row(rng, frame + rng.randrange(-50, 5), rng.random() < 0.3)
            a.add(d, d["first_frame"])
            b.add(d, d["first_frame"])
    assert len(a) == len(b) > 5000
    assert list(a.tuples(TABLE_KEYS)) == list(b.tuples(TABLE_KEYS))
    assert [dict(r) for r in a] == [dict(r) for r in b]
    for proto in ("tcp", "udp"):
        assert a.table_widths(proto) == b.table_widths(proto)
        assert a.table_widths(proto) == b.table_widths(proto)      # (asked again: the same)
    # and from the rows themselves: each address's longest port text, the earliest start
    ends: dict = {}
    for r in b:
        for addr, port in ((r["id.orig_h"], r["id.orig_p"]), (r["id.resp_h"], r["id.resp_p"])):
            ends[addr] = max(ends.get(addr, 0), len(str(port)))
    got = a.table_widths("tcp")
    assert got[0] == ends
    assert got[2] == min(r["first_ts_ns"] for r in b)
    a.close()
    b.close()


def test_block_rows_without_width_keys():
    """Kept keys without the width keys: no widths (as add_values)."""
    rng = random.Random(3)
    wholes = whole.Wholes(None)
    wholes.addr = ["10.0.0.1", "10.0.0.2"]
    fin = _finished(rng, wholes, 20, 0)
    s = SpilledRows(("stream", "history"), renumber="stream")
    s.add_block(fin.kind(), fin.block())
    assert s.table_widths("tcp") is None
    assert [r["stream"] for r in s] == list(range(20))
    s.close()


def test_one_kind_per_store():
    rng = random.Random(4)
    one, two = whole.Wholes(None), whole.Wholes(None)
    one.addr, two.addr = ["10.0.0.1"], ["10.0.0.1"]
    s = SpilledRows()
    fin = _finished(rng, one, 3, 0)
    s.add_block(fin.kind(), fin.block())
    fin = _finished(rng, two, 3, 0)
    s.add_block(fin.kind(), fin.block()[:0])        # (no rows: nothing to check)
    with pytest.raises(ValueError):
        s.add_block(fin.kind(), fin.block())
    s.close()
    assert rows_mod._BLOCK not in (0x6D, 0x70)     # (the marks of marshalled and pickled rows)


@pytest.mark.parametrize("port", [0, 9, 10, 99, 100, 999, 1000, 9999, 10000, 65535])
def test_block_widths_at_each_digit_count(port):
    """An address seen with one port only: its longest port text is that port's."""
    rng = random.Random(port)
    wholes = whole.Wholes(None)
    wholes.addr = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    fin = _finished(rng, wholes, 4, 0)
    fin.wholes.t[:, whole.EA] = 0 << 16 | 1        # 10.0.0.1:1
    fin.wholes.t[:, whole.EB] = 1 << 16 | 1
    fin.wholes.t[2, whole.EB] = 2 << 16 | port     # 10.0.0.3 once, with port
    s = SpilledRows(renumber="stream")
    s.add_block(fin.kind(), fin.block())
    assert s.table_widths("tcp")[0] == {"10.0.0.1": 1, "10.0.0.2": 1, "10.0.0.3": len(str(port))}
    s.close()
