"""The compiled JSON writer of ``Fetch.json_text`` (``_speedups.json_text``) writes the text of
``json.dumps(value, ensure_ascii=False)`` for every value it knows (None, bools, str and its subclasses, int and its
subclasses, float and its subclasses, lists, tuples, exact dicts with str keys), and gives None, having written
nothing, for any other (``Fetch.json_text`` then asks the stdlib's encoder): on crafted values (every escape, every
string width, the edges of int and float), on random trees of them, and on the fetches of captures/ (where it is the
path taken)."""

from __future__ import annotations

import enum
import json
import math
import random
from collections import OrderedDict, namedtuple
from pathlib import Path

import pytest

from analyzer.timeline import model, timeline
from tests.test_timeline_collect_paths import _frames

JT = model._JSON_TEXT
CAPTURES = Path(__file__).resolve().parent.parent / "captures"

pytestmark = pytest.mark.skipif(JT is None, reason="the compiled helper is not built here (or ANALYZER_PURE_PYTHON "
                                                   "is set): Fetch.json_text uses the stdlib's encoder alone")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


class Text(str):
    def __str__(self):          # neither the encoder nor the writer calls it
        return "other"


class Number(int):
    def __repr__(self):
        return "other"


class Ratio(float):
    def __repr__(self):
        return "other"


class Color(enum.IntEnum):
    RED = 1
    BIG = 2**70


Point = namedtuple("Point", "x y")

STRINGS = ["", "plain", "a\"b\\c", "\x00\x01\x1f\x20\x7f\x80\x85\xa0\xb5\xff", "\b\f\n\r\t", "\"", "\\", "tail\n",
           "\nhead", "µs 毫秒", "\u2028\u2029\u202e", "\ud800", "\udfff x \ud83d", "😀 \U0010ffff",
           "\U0001f600\n\x01", "é" * 300 + "\x02", "测" * 100 + "\"" + "测", "x" * 10000,
           "".join(chr(c) for c in range(0x300)), Text("sub\x03class"), Text("")]
INTS = [0, 1, -1, 255, 2**31, 2**63 - 1, -2**63, 2**63, -2**63 - 1, 10**40, -10**40, Number(7), Number(-2**80),
        Color.RED, Color.BIG]
FLOATS = [0.0, -0.0, 1.0, -1.5, 0.1 + 0.2, 1 / 3, 1e16, 1e15, 1e-5, 1e-4, 2e-7, 5e-324, 1.7976931348623157e308,
          123456789.125, math.nan, math.inf, -math.inf, Ratio(2.5), Ratio(math.nan), round(1.0000005, 6)]


@pytest.mark.parametrize("value", STRINGS + INTS + FLOATS + [None, True, False], ids=repr)
def test_scalars(value):
    assert JT(value) == _dumps(value)


def test_containers():
    values = [[], (), {}, [[]], [{}], {"a": []}, {"a": {}}, list(STRINGS), tuple(INTS), FLOATS,
              {s: s for s in STRINGS}, {"": None, "k": True, "\n": False}, Point(1, "b"), [Point(2.5, (None,))],
              {"frames": (1, 2, 3), "time": 0.123457, "facts": {"opts": [("mss", 1460), ("wscale", 7)]}},
              [1, [2, [3, [4, [5, (6, {"7": [8]})]]]]]]
    for v in values:
        assert JT(v) == _dumps(v), v


def test_unknown_values_give_none():
    deep: list = []
    for _ in range(100):
        deep = [deep]
    for v in [{1: "int key"}, {None: 1}, {1.5: 2}, {True: 0}, {"a": {2: 3}}, OrderedDict(a=1), set(), [frozenset()],
              {"x": object()}, b"bytes", bytearray(b"x"), deep, [1, 2, {"k": [{3: 4}]}]]:
        assert JT(v) is None, v
    # ... which the stdlib's encoder writes, or refuses, as it always did
    assert json.loads(_dumps(deep)) == deep


def test_random_trees():
    rnd = random.Random(20261205)
    pool = STRINGS + INTS + FLOATS + [None, True, False]

    def tree(depth: int):
        r = rnd.random()
        if depth > 5 or r < 0.45:
            if rnd.random() < 0.3:
                return "".join(chr(rnd.choice([rnd.randrange(0x20), rnd.randrange(0x80), rnd.randrange(0x100),
                                               rnd.randrange(0x10000), rnd.randrange(0x110000)]))
                               for _ in range(rnd.randrange(12)))
            if rnd.random() < 0.2:
                return rnd.uniform(-1e9, 1e9) if rnd.random() < 0.5 else rnd.randrange(-2**70, 2**70)
            return rnd.choice(pool)
        if r < 0.7:
            items = [tree(depth + 1) for _ in range(rnd.randrange(5))]
            return items if rnd.random() < 0.5 else tuple(items)
        return {str(tree(6)): tree(depth + 1) for _ in range(rnd.randrange(5))}

    for _ in range(3000):
        v = tree(0)
        assert JT(v) == _dumps(v), v


@pytest.mark.parametrize("name", ["lab_page_fetch.pcapng", "lab_lossy_fetch_retransmissions.pcapng",
                                  "lab_refused_connection_rst.pcapng"])
def test_fetches_take_the_compiled_path(name, monkeypatch):
    """The fetches' dicts are values it knows (it does not give them back to the stdlib's encoder), and the texts
    are those of json.dumps of as_dict."""
    fetches = timeline(_frames(CAPTURES / name)).fetches
    assert fetches
    calls = []

    def counting(value):
        got = JT(value)
        calls.append(got is not None)
        return got

    monkeypatch.setattr(model, "_JSON_TEXT", counting)
    for f in fetches:
        assert f.json_text() == _dumps(f.as_dict())
    assert calls and all(calls)
