"""The compiled JSON writer of ``Fetch.json_text`` (``_speedups.json_text``) writes the text of
``json.dumps(value, ensure_ascii=False)`` for every value it knows (None, bools, str and its subclasses, int and its
subclasses, float and its subclasses, lists, tuples, exact dicts with str keys), and gives None, having written
nothing, for any other (``Fetch.json_text`` then asks the stdlib's encoder): on crafted values (every escape, every
string width, the edges of int and float), on random trees of them, and on the fetches of captures/ (where it is the
path taken). With ``safe`` (what ``timeline --json`` prints) the text is ``analyzer.report.safe.json_safe``'s of that
text: the characters a terminal could act on (DEL, C1, U+2028-U+202E, U+2066-U+2069, lone surrogates) escaped."""

from __future__ import annotations

import enum
import json
import math
import random
from collections import OrderedDict, namedtuple
from pathlib import Path

import pytest

from analyzer.report.safe import json_safe
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
    assert JT(value, True) == json_safe(_dumps(value))


def test_containers():
    values = [[], (), {}, [[]], [{}], {"a": []}, {"a": {}}, list(STRINGS), tuple(INTS), FLOATS,
              {s: s for s in STRINGS}, {"": None, "k": True, "\n": False}, Point(1, "b"), [Point(2.5, (None,))],
              {"frames": (1, 2, 3), "time": 0.123457, "facts": {"opts": [("mss", 1460), ("wscale", 7)]}},
              [1, [2, [3, [4, [5, (6, {"7": [8]})]]]]]]
    for v in values:
        assert JT(v) == _dumps(v), v
        assert JT(v, True) == json_safe(_dumps(v)), v


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
        assert JT(v, True) == json_safe(_dumps(v)), v


@pytest.mark.parametrize("name", ["lab_page_fetch.pcapng", "lab_lossy_fetch_retransmissions.pcapng",
                                  "lab_refused_connection_rst.pcapng"])
def test_fetches_take_the_compiled_path(name, monkeypatch):
    """The fetches' dicts are values it knows (it does not give them back to the stdlib's encoder), and the texts
    are those of json.dumps of as_dict."""
    fetches = timeline(_frames(CAPTURES / name)).fetches
    assert fetches
    calls = []

    def counting(value, safe=False):
        got = JT(value, safe)
        calls.append(got is not None)
        return got

    monkeypatch.setattr(model, "_JSON_TEXT", counting)
    for f in fetches:
        assert f.json_text() == _dumps(f.as_dict())
        assert f.json_text(safe=True) == json_safe(_dumps(f.as_dict()))
    assert calls and all(calls)


def test_safe_escapes():
    """Every character json_safe escapes, and its neighbours that it leaves, in the three string widths, in keys
    and values; the stdlib's encoder's text made safe when the compiled writer declines."""
    edges = [0x7e, 0x7f, 0x80, 0x9f, 0xa0, 0xb5, 0x2027, 0x2028, 0x2029, 0x202a, 0x202e, 0x202f, 0x2065, 0x2066,
             0x2069, 0x206a, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0x1f600]
    for c in edges:
        for text in (chr(c), "a" + chr(c) + "\n\x01", "é" + chr(c), "测" + chr(c), "😀" + chr(c)):
            v = {text: [text, {"k": text}]}
            assert JT(v, True) == json_safe(_dumps(v)), hex(c)
            assert JT(v, False) == _dumps(v), hex(c)
    assert JT("\x7f\x9b\u202e\ud800", True) == '"\\u007f\\u009b\\u202e\\ud800"'
    assert JT({1: "\x9b"}, True) is None       # declined: Fetch.json_text makes the stdlib's text safe


def test_fallback_is_made_safe(monkeypatch):
    """Without the compiled writer, Fetch.json_text(safe=True) is json_safe of the stdlib's text."""
    fetches = timeline(_frames(CAPTURES / "lab_page_fetch.pcapng")).fetches
    want = [f.json_text(safe=True) for f in fetches]
    monkeypatch.setattr(model, "_JSON_TEXT", None)
    assert [f.json_text(safe=True) for f in fetches] == want == [json_safe(_dumps(f.as_dict())) for f in fetches]
