"""The compiled helpers of analyzer.columnar.whole.take's per-record part give what their Python twins (the
fallbacks) give: ``_speedups.whole_enter`` (a new record's SYN and SYN-ACK option bytes entered) against
``whole._enter_py`` -- on option bytes where the rule decides: a TCP header of 20 bytes or less (no options: b""),
21, the longest (60), a header running past the buffer's end (Python's slice clamps), an offset past the end,
negative offsets (Python counts them from the end); rows used again (the old option bytes replaced) and arguments
that do not agree (an error, not a crash). And ``_speedups.whole_values`` (the summary row values of a sweep's
finished records, from the table's columns) against ``Finished._values_py`` and ``rows_values`` of the records:
times zero, negative, at the nanosecond's edges, either closer, port edges, history codes of 0 to 5 letters. And
the finishing's dict work: ``_speedups.finished_pairs`` (FinishedKeys.add_pairs' loop: entries there before
popped and set again last, a record to its own endpoint, one on another's endpoints the other way round) against
its Python twin. (The records' index: tests/test_columnar_pairs.py.)"""

from __future__ import annotations

import random

import numpy as np
import pytest

from analyzer.columnar import whole

enter_c = whole._compiled_enter()
pytestmark = pytest.mark.skipif(enter_c is None, reason="the compiled helper (with whole_enter) is not built")


def _offsets(rnd: random.Random, n: int, size: int) -> np.ndarray:
    rows = []
    for _ in range(n):
        row = []
        for _side in range(2):
            hl = rnd.choice([0, 8, 20, 20, 21, 24, 32, 40, 60])
            o = rnd.choice([rnd.randrange(size), size - 30, size - 21, size - 20, size, size + 5, -1, -25, 0])
            row += [o, hl]
        rows.append(row)
    return np.array(rows, dtype=np.int64)


@pytest.mark.parametrize("seed", range(8))
def test_enter_as_the_loop(seed):
    rnd = random.Random(seed)
    data = bytes(rnd.randrange(256) for _ in range(3000))
    n = 200
    nr = np.array(rnd.sample(range(400), n), dtype=np.int64)
    nr[-5:] = nr[:5]                    # rows used again within one call: the later values win
    offs = _offsets(rnd, n, len(data))
    base_opts = [(b"old", b"old") if rnd.random() < 0.5 else None for _ in range(400)]
    opts_c, opts_p = list(base_opts), list(base_opts)
    enter_c(opts_c, data, nr, offs)
    whole._enter_py(opts_p, data, nr, offs)
    assert opts_c == opts_p
    assert all(o.__class__ is bytes for pair in opts_c if pair is not None for o in pair)
    # the option bytes are where the rule puts them: past the 20 fixed bytes, up to the header's length
    r, (o, hl, _o1, _hl1) = int(nr[10]), offs[10].tolist()
    if n - 5 > 10:
        assert opts_c[r][0] == (data[o + 20:o + hl] if hl > 20 else b"")


def test_enter_with_columns_of_the_handshake_values():
    # take passes hsv[:, _OPT_COLS] (a copy) and rows from _alloc; also a view of a wider array
    rnd = random.Random(99)
    data = bytes(range(256)) * 4
    hsv = np.array([[rnd.randrange(900) if c in (9, 16) else rnd.choice([20, 24, 40]) if c in (10, 17)
                     else rnd.randrange(1 << 30) for c in range(22)] for _ in range(40)], dtype=np.int64)
    nr = np.arange(40, dtype=np.int64)
    got, want = [None] * 40, [None] * 40
    enter_c(got, data, nr, hsv[:, whole._OPT_COLS])
    whole._enter_py(want, data, nr, hsv[:, whole._OPT_COLS])
    assert got == want and all(pair is not None for pair in got)


def test_enter_refuses_what_does_not_agree():
    offs = np.zeros((2, 4), dtype=np.int64)
    offs[:, 1] = 24
    rows = np.array([0, 1], dtype=np.int64)
    with pytest.raises(ValueError):
        enter_c([None] * 2, b"x" * 100, rows[:1], offs)
    with pytest.raises(ValueError):
        enter_c([None] * 2, b"x" * 100, rows, offs[:1])
    with pytest.raises(IndexError):
        enter_c([None] * 1, b"x" * 100, rows, offs)
    # a buffer that is not bytes goes the Python way (its slices are what Python makes of it)
    opts = [None] * 2
    enter_c(opts, bytearray(b"y" * 100), rows, offs)
    assert opts[0] == (bytearray(b"y" * 4), b"")


def _finished(rnd: random.Random, n: int) -> whole.Finished:
    """n torn-down records in a Wholes table, their values where Finished.values decides: the SYN's time
    zero (no iRTT), negative, before the last ACK's (a negative duration), at the nanosecond's edges; either
    closer; ports 0 and 65535; IPv4 and IPv6 texts; history codes of 0 to 5 letters."""
    w = whole.Wholes(None)
    w.addr = ["10.0.0.1", "10.0.0.2", "2001:db8::1", "::", "192.168.100.200"]
    w.t = np.zeros((n + 3, whole._NCOL), dtype=np.int64)
    w.opts = [(b"", b"")] * (n + 3)
    edge = [0, 1, -1, 999_999_999, 1_000_000_000, -1_000_000_001, 1 << 50, -(1 << 50), 1_700_000_000_123_456_789]
    for r in range(n):
        row = w.t[r]
        row[whole.EA] = (rnd.randrange(len(w.addr)) << 16) | rnd.choice([0, 80, 65535, rnd.randrange(65536)])
        row[whole.EB] = (rnd.randrange(len(w.addr)) << 16) | rnd.choice([0, 443, 65535, rnd.randrange(65536)])
        for col in range(whole.HS, whole.HS + 14):
            row[col] = rnd.choice(edge) if rnd.random() < 0.3 else rnd.randrange(1 << 40)
        for col in range(whole.V, whole.V + 19):
            row[col] = rnd.choice(edge) if rnd.random() < 0.3 else rnd.randrange(1 << 40)
        row[whole.V + 8] = rnd.randrange(2)
        row[whole.HCODE] = rnd.choice([0, 1, 2, 3, 4, 5, 6 * 4 + 3, 1 + 6 * 2 + 36 * 3 + 216 * 4 + 1296 * 5])
        row[whole.DONE] = row[whole.LIVE] = 1
    return whole.Finished(w, np.array(rnd.sample(range(n), n), dtype=np.int64))


@pytest.mark.skipif(whole._whole_values is None, reason="the compiled helper (with whole_values) is not built")
@pytest.mark.parametrize("seed", range(6))
def test_finished_values_as_python(seed):
    fin = _finished(random.Random(seed), 300)
    got = fin.values()
    want = fin._values_py()
    assert got == want
    assert [tuple(map(type, g)) for g in got] == [tuple(map(type, x)) for x in want]
    # and as the records' own rows (the per-record form)
    assert got == whole.rows_values(fin.records())
    assert whole.Finished(fin.wholes, fin.rows[:0]).values() == []


@pytest.mark.skipif(whole._whole_values is None, reason="the compiled helper (with whole_values) is not built")
def test_finished_values_refuses_what_it_cannot_read():
    fin = _finished(random.Random(7), 5)
    t = fin.wholes.t[fin.rows]
    args = (whole._NCOL, whole._VALUE_COLS, fin.wholes.addr, {}, whole._VALUE_CONSTS)
    with pytest.raises(KeyError):               # a history code not given
        whole._whole_values(t, *args)
    full = {int(c): "ShA" for c in t[:, whole.HCODE]}
    bad = t.copy()
    bad[0, whole.V + 8] = 2
    with pytest.raises(ValueError):             # a closer that is neither side
        whole._whole_values(bad, whole._NCOL, whole._VALUE_COLS, fin.wholes.addr, full, whole._VALUE_CONSTS)
    bad = t.copy()
    bad[1, whole.EB] = 99 << 16
    with pytest.raises(IndexError):             # an address id past the list
        whole._whole_values(bad, whole._NCOL, whole._VALUE_COLS, fin.wholes.addr, full, whole._VALUE_CONSTS)
    with pytest.raises(ValueError):
        whole._whole_values(t, whole._NCOL + 1, whole._VALUE_COLS, fin.wholes.addr, full, whole._VALUE_CONSTS)


pairs_c = whole.compiled("finished_pairs")


@pytest.mark.skipif(pairs_c is None, reason="the compiled helper (with finished_pairs) is not built")
@pytest.mark.parametrize("seed", range(6))
def test_finishing_as_python(seed):
    rnd = random.Random(seed)
    addr = ["10.0.0.1", "10.0.0.2", "2001:db8::1", "::", "10.0.0.1 "]
    n = 150
    ea = np.array([(rnd.randrange(5) << 16) | rnd.choice([0, 80, 65535, rnd.randrange(65536)]) for _ in range(n)],
                  dtype=np.int64)
    eb = np.array([(rnd.randrange(5) << 16) | rnd.choice([0, 443, 65535, rnd.randrange(65536)]) for _ in range(n)],
                  dtype=np.int64)
    ea[7] = eb[7]                       # a record to its own endpoint: key and other direction are one
    ea[9], eb[9] = eb[8], ea[8]         # a record on another's endpoints the other way round
    b0 = np.array([rnd.randrange(1 << 32) for _ in range(n)], dtype=np.int64)
    b1 = np.array([rnd.randrange(1 << 32) for _ in range(n)], dtype=np.int64)
    # entries already there (an older finish of one of the 4-tuples, either direction): popped, set again last
    start = {("x", 1, "y", 2): 5}
    for i in rnd.sample(range(n), 20):
        start[(addr[ea[i] >> 16], int(ea[i] & 0xFFFF), addr[eb[i] >> 16], int(eb[i] & 0xFFFF))] = -1
        start[(addr[eb[i] >> 16], int(eb[i] & 0xFFFF), addr[ea[i] >> 16], int(ea[i] & 0xFFFF))] = -2
    got, want = dict(start), dict(start)
    pairs_c(got, addr, ea, eb, b0, b1)
    whole._finished_pairs_py(want, addr, ea, eb, b0, b1)
    assert list(got.items()) == list(want.items())
    # as FinishedKeys.add_pairs itself
    from analyzer.tcp.connection import FinishedKeys

    fk = FinishedKeys()
    fk.gens.append((0, dict(start)))
    keys = [(addr[a >> 16], a & 0xFFFF, addr[b >> 16], b & 0xFFFF) for a, b in zip(ea.tolist(), eb.tolist())]
    fk.add_pairs(list(zip(keys, b0.tolist(), b1.tolist(), strict=True)), 1)
    assert list(fk.gens[-1][1].items()) == list(got.items())

    with pytest.raises(IndexError):
        pairs_c({}, addr[:2], ea, eb, b0, b1)
    with pytest.raises(ValueError):
        pairs_c({}, addr, ea, eb[:3], b0, b1)
