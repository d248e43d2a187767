"""FinishedKeys (analyzer.tcp.connection) answers as a plain model of its contract -- generations of
``memory_ns // 4``, an entry kept at least ``memory_ns`` after it was added, the latest base of a 4-tuple wins,
``len`` counting each generation's keys -- through add, add_pair, add_pairs and forget, on keys that expire and
come back with a new base. The keys are the ones a compact form (keys packed into ints or bytes; tried, see
benchmarks/README.md "the finished 4-tuples packed into ints") could merge by mistake: ports past 16 bits, texts
``inet_aton`` reads as one address, IPv6 texts of one address, a 4-tuple and its other direction. A compact
table must pass it unchanged."""

from __future__ import annotations

import random
from collections import deque

import pytest

from analyzer.tcp.connection import FinishedKeys


class TupleKeys:
    """The table as it was before packing: generations of tuple key -> base (the model)."""

    def __init__(self, memory_ns: int):
        self.memory_ns, self.step, self.gens = memory_ns, max(memory_ns // 4, 1), deque()

    def add(self, key, base, now):
        if not self.gens or now >= self.gens[-1][0] + self.step:
            self.gens.append((now, {}))
        newest = self.gens[-1][1]
        newest.pop(key, None)
        newest[key] = base
        while self.gens and now - self.gens[0][0] - self.step >= self.memory_ns:
            self.gens.popleft()

    def get(self, key):
        for _start, entries in reversed(self.gens):
            if key in entries:
                return entries[key]
        return None

    def __len__(self):
        return sum(len(e) for _s, e in self.gens)


# different 4-tuples that would meet in a careless packing
KEYS = [
    ("10.0.0.1", 1, "10.0.0.2", 65538),      # 1 << 16 | 65538 == 2 << 16 | 2
    ("10.0.0.1", 2, "10.0.0.2", 2),
    ("10.0.0.1", 0, "10.0.0.2", 131074),
    ("10.0.0.1", -1, "10.0.0.2", 80),
    ("10.0.0.2", 2, "10.0.0.1", 2),          # the other direction of the second
    ("10.0.0.1", 443, "10.0.0.2", 51000),
    ("10.0.0.2", 51000, "10.0.0.1", 443),
    ("010.0.0.1", 443, "10.0.0.2", 51000),   # inet_aton would read these as 10.0.0.1 / 8.0.0.1
    ("10.0.0.01", 443, "10.0.0.2", 51000),
    ("10.1", 443, "10.0.0.2", 51000),        # inet_aton: 10.0.0.1
    ("::ffff:10.0.0.1", 443, "::ffff:10.0.0.2", 51000),
    ("::a00:1", 443, "::a00:2", 51000),
    ("2001:db8::1", 443, "2001:db8::2", 51000),
    ("2001:db8:0::1", 443, "2001:db8::2", 51000),   # the same address as another text: a different key
    ("0.0.0.0", 0, "0.0.0.0", 0),
    ("255.255.255.255", 65535, "255.255.255.255", 65535),
    ("10.0.0.1\x00", 443, "10.0.0.2", 51000),
    ("", 443, "10.0.0.2", 51000),
]


def test_the_keys_are_distinct():
    assert len(set(KEYS)) == len(KEYS)


@pytest.mark.parametrize("seed", range(6))
def test_answers_as_the_tuple_table(seed):
    rng = random.Random(seed)
    fk, model = FinishedKeys(memory_ns=400), TupleKeys(400)
    now = 0
    for _ in range(1500):
        now += rng.choice((0, 0, 1, 7, 40, 150, 600))      # 600: everything expires, keys come back after
        op = rng.random()
        key = rng.choice(KEYS)
        src, sport, dst, dport = key
        other = (dst, dport, src, sport)
        if op < 0.3:
            base = rng.randrange(1 << 32)
            fk.add(key, base, now)
            model.add(key, base, now)
        elif op < 0.45:
            x, y = rng.randrange(1 << 32), rng.randrange(1 << 32)
            fk.add_pair(key, x, other, y, now)
            model.add(key, x, now)
            model.add(other, y, now)
        elif op < 0.6:
            items = [(rng.choice(KEYS), rng.randrange(1 << 32), rng.randrange(1 << 32)) for _ in range(3)]
            fk.add_pairs(items, now)
            for k, x, y in items:
                model.add(k, x, now)
                model.add((k[2], k[3], k[0], k[1]), y, now)
        elif op < 0.7:
            fk.forget(now)
            while model.gens and now - model.gens[0][0] - model.step >= model.memory_ns:
                model.gens.popleft()
        assert len(fk) == len(model) and bool(fk.gens) == bool(model.gens)
        assert [fk.get(k) for k in KEYS] == [model.get(k) for k in KEYS]
        assert [k in fk for k in KEYS] == [model.get(k) is not None for k in KEYS]
