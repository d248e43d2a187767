"""analyzer.flows.table.FlowTable with its direction-0 index (the TCP tracker's, for the idle sweep) answers
as the table without one: the same lookups, entries and idle entries after random adds and removes, those
that overwrite another entry's keys included."""

from __future__ import annotations

import random

from analyzer.flows.table import FlowTable


class _Entry:
    __slots__ = ("last_ts", "name")

    def __init__(self, name: int, last_ts: int):
        self.name = name
        self.last_ts = last_ts


def test_index_mirrors_the_table():
    rng = random.Random(3)
    hosts = [("10.0.0.1", 80), ("10.0.0.2", 40000), ("10.0.0.3", 40001), ("10.0.0.4", 53), ("10.0.0.2", 40002)]
    for _round in range(50):
        plain, indexed = FlowTable(), FlowTable(index=True)
        live = []
        for i in range(200):
            a, b = rng.sample(hosts, 2)
            key = (*a, *b)
            if live and rng.random() < 0.35:
                k, e = live.pop(rng.randrange(len(live)))
                if rng.random() < 0.3:
                    k = (k[2], k[3], k[0], k[1])          # removed by the other direction's key
                for t in (plain, indexed):
                    t.remove(k, e)
                continue
            if rng.random() < 0.7 and plain.lookup(key) is not None:
                continue                                  # the tracker adds only new keys; sometimes not
            e = _Entry(i, rng.randrange(1000))
            d = rng.randrange(2)
            for t in (plain, indexed):
                t.add(key, e, d)
            live.append((key, e))
            assert {id(x) for x in indexed.entries()} == {id(x) for x in plain.entries()}
            assert len(indexed) == len(plain)
        for a in hosts:
            for b in hosts:
                assert indexed.lookup((*a, *b)) == plain.lookup((*a, *b))
        assert {id(x) for x in indexed.entries()} == {id(x) for x in plain.entries()}
        cut = rng.randrange(1000)
        assert {id(x) for x in indexed.idle_entries(cut)} == {id(x) for x in plain.idle_entries(cut)}


def test_index_keeps_order_without_overwrites():
    """Entries come in the order they were added, as the table without index gives them (the tracker never
    adds a key that is there)."""
    plain, indexed = FlowTable(), FlowTable(index=True)
    entries = [_Entry(i, i) for i in range(50)]
    for i, e in enumerate(entries):
        for t in (plain, indexed):
            t.add(("10.0.0.1", 1000 + i, "10.0.0.2", 80), e, i % 2)
    for i in range(0, 50, 3):
        for t in (plain, indexed):
            t.remove(("10.0.0.2", 80, "10.0.0.1", 1000 + i), entries[i])
    assert [e.name for e in indexed.entries()] == [e.name for e in plain.entries()]
    assert [e.name for e in indexed.idle_entries(30)] == [e.name for e in plain.idle_entries(30)]
