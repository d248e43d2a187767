"""PackedFinishedKeys (analyzer.columnar.finished: the finished 4-tuples in a compiled hash table of packed keys)
answers as FinishedKeys (analyzer.tcp.connection, the Python path it replaces) -- get, ``in``, whether any
generation is kept, the 4-tuples remembered -- through the tracker's text adds (add, add_pair, add_pairs) and the
records' adds (add_records) mixed on the same 4-tuples, keys that
expire and come back, address ids past what packs (kept as text), and tables rebuilt many times over; take()'s
check (text generations, then packed_found) finds exactly the 4-tuples FinishedKeys remembers. The conversations
of the captures (rows with details: port reuse among them) are the same with the packed table and without."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from tcp_helpers import connection_rows_of
from test_finished_keys import KEYS

import analyzer.columnar.finished as finished_mod
from analyzer.columnar.finished import PackedFinishedKeys
from analyzer.tcp.connection import FinishedKeys

pytestmark = pytest.mark.skipif(not finished_mod.AVAILABLE, reason="the compiled helper (with fk_put) is not built")
REPO = Path(__file__).resolve().parents[1]


class Ids:
    """The Wholes' part PackedFinishedKeys reads: address text -> global id, and back."""

    def __init__(self, first_id: int):
        self.gids: dict = {}
        self.addr: list = [None] * first_id

    def endpoint(self, text, port: int) -> int:
        g = self.gids.get(text)
        if g is None:
            g = self.gids[text] = len(self.addr)
            self.addr.append(text)
        return g << 16 | port


def _remembered(fk: FinishedKeys, keys) -> int:
    """The 4-tuples ``fk`` remembers among ``keys`` and their other directions."""
    return sum(1 for k in set(keys) | set(map(_other, keys)) if fk.get(k) is not None)


def _other(k):
    return (k[2], k[3], k[0], k[1])


def _run(seed: int, first_id: int, keys: list, steps: int, check_every: int = 1) -> None:
    rng = random.Random(seed)
    ids = Ids(first_id)
    fk, plain = PackedFinishedKeys(400, ids), FinishedKeys(400)
    record_keys = [k for k in keys if 0 <= k[1] < 65536 and 0 <= k[3] < 65536]
    now = 0
    for step in range(steps):
        now += rng.choice((0, 0, 1, 7, 40, 150, 600))      # 600: everything expires, keys come back after
        op = rng.random()
        key = rng.choice(keys)
        if op < 0.2:
            base = rng.choice((rng.randrange(1 << 32), 0, (1 << 32) - 1))
            fk.add(key, base, now)
            plain.add(key, base, now)
        elif op < 0.3:
            x, y = rng.randrange(1 << 32), rng.randrange(1 << 32)
            fk.add_pair(key, x, _other(key), y, now)
            plain.add_pair(key, x, _other(key), y, now)
        elif op < 0.4:
            items = [(rng.choice(keys), rng.randrange(1 << 32), rng.randrange(1 << 32)) for _ in range(3)]
            fk.add_pairs(items, now)
            plain.add_pairs(items, now)
        elif op < 0.7:
            # a sweep's finished records (distinct 4-tuples either way round, as records are)
            picked, seen = [], set()
            for k in rng.sample(record_keys, rng.randrange(1, min(40, len(record_keys)))):
                if k not in seen and _other(k) not in seen:
                    picked.append(k)
                    seen.update((k, _other(k)))
            ea = np.array([ids.endpoint(k[0], k[1]) for k in picked], dtype=np.int64)
            eb = np.array([ids.endpoint(k[2], k[3]) for k in picked], dtype=np.int64)
            b0 = np.array([rng.randrange(1 << 32) for _ in picked], dtype=np.int64)
            b1 = np.array([rng.randrange(1 << 32) for _ in picked], dtype=np.int64)
            fk.add_records(ea, eb, b0, b1, now)
            plain.add_pairs([(k, x, y) for k, x, y in zip(picked, b0.tolist(), b1.tolist(), strict=True)], now)
        elif op < 0.8:
            fk.forget(now)
            plain.forget(now)
        if step % check_every:
            continue
        assert bool(fk.gens) == bool(plain.gens)
        assert [fk.get(k) for k in keys] == [plain.get(k) for k in keys]
        assert [k in fk for k in keys] == [k in plain for k in keys]
        assert len(fk) == _remembered(plain, keys)
        # take()'s check of new records' 4-tuples: the text generations, then the packed entries
        text = {k for _s, entries in fk.gens for k in entries.keys() & set(record_keys) if fk.get(k) is not None}
        ea = np.array([ids.endpoint(k[0], k[1]) for k in record_keys], dtype=np.int64)
        eb = np.array([ids.endpoint(k[2], k[3]) for k in record_keys], dtype=np.int64)
        found = fk.packed_found(ea, eb).tolist()
        assert [k in text or f for k, f in zip(record_keys, found, strict=True)] == \
            [plain.get(k) is not None for k in record_keys]


@pytest.mark.parametrize("first_id", [0, 65533])
@pytest.mark.parametrize("seed", range(8))
def test_answers_as_finished_keys(seed, first_id):
    # KEYS: 4-tuples a careless packing would merge (tests/test_finished_keys.py); from id 65533 on, the
    # second address seen no longer packs
    _run(seed, first_id, KEYS, 1500)


@pytest.mark.parametrize("seed", range(3))
def test_answers_as_finished_keys_through_rebuilds(seed):
    # thousands of 4-tuples: the table is rebuilt (grown, and cleared of forgotten entries) many times
    rng = random.Random(100 + seed)
    hosts = [f"10.0.{i >> 8}.{i & 255}" for i in range(300)]
    keys = list({(rng.choice(hosts), rng.randrange(1024, 65536), rng.choice(hosts), rng.choice((80, 443, 53)))
                 for _ in range(6000)})
    _run(seed, 0, keys, 3000, check_every=97)


def test_forgotten_entries_free_their_slots():
    # generations forgotten again and again: the table stays as large as what is remembered needs
    ids = Ids(0)
    fk = PackedFinishedKeys(400, ids)
    for round_ in range(200):
        now = round_ * 1000
        ea = np.array([ids.endpoint("10.0.0.1", 1024 + round_ * 50 + i) for i in range(50)], dtype=np.int64)
        eb = np.array([ids.endpoint("10.0.0.2", 80)] * 50, dtype=np.int64)
        fk.add_records(ea, eb, np.arange(50, dtype=np.int64), np.arange(50, dtype=np.int64), now)
    assert len(fk) == 100
    assert len(fk.table) == 16 * finished_mod._MIN_SLOTS
    assert fk.get(("10.0.0.1", 1024 + 199 * 50, "10.0.0.2", 80)) == 0
    assert fk.get(("10.0.0.1", 1024 + 198 * 50, "10.0.0.2", 80)) is None


@pytest.mark.parametrize("base", [None, -1, 1 << 32, 7.0, True])
def test_a_base_not_32_bits_is_refused(base):
    fk = PackedFinishedKeys(400, Ids(0))
    with pytest.raises(ValueError):
        fk.add(("10.0.0.1", 1, "10.0.0.2", 2), base, 0)
    with pytest.raises(ValueError):
        fk.add(("10.0.0.1", 1, "10.0.0.2", 65538), base, 0)     # (a 4-tuple that does not pack either)


def test_conversations_as_with_the_plain_table(monkeypatch):
    # every capture's connection rows with the packed table and with FinishedKeys
    captures = sorted((REPO / "captures").glob("*.pcap*"))
    assert captures
    installed = []
    real = finished_mod.PackedFinishedKeys

    class Spy(real):
        def __init__(self, *args):
            super().__init__(*args)
            installed.append(self)

    for path in captures:
        monkeypatch.setattr(finished_mod, "PackedFinishedKeys", Spy)
        packed = connection_rows_of(path)
        monkeypatch.setattr(finished_mod, "AVAILABLE", False)
        plain = connection_rows_of(path)
        monkeypatch.undo()
        assert packed == plain, path.name
    assert installed        # (the packed table was used)
