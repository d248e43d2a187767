"""``http --json`` and ``dns --json`` lines written by orjson (:func:`analyzer.report.jsonlines.row_lines`) are those
of the standard library's encoder (:func:`analyzer.report.columns.json_lines`), byte for byte.

* Every HTTP and DNS row of captures/ and the corpus: the same lines, and orjson wrote them (a spy counts it).
* The rows hold floats only under the row makers' ``JSON_FLOAT_KEYS`` (what ``row_lines`` checks).
* Floats: orjson and ``json.dumps`` agree from 1e-4 up to 1e16 (and on 0), and disagree below it (``1e-07`` /
  ``1e-7``), so a row with such a float goes to the standard library (spy: orjson not used), as do rows orjson
  refuses (an int beyond 64 bits, a lone surrogate, a key that is not a string) and NaN or the infinities.
* Without orjson, the standard library writes every line.
"""

from __future__ import annotations

import json
import math
import random
import struct
from pathlib import Path

import orjson
import pytest

import analyzer
from analyzer.report import dns as dns_report
from analyzer.report import http as http_report
from analyzer.report import jsonlines
from analyzer.report.columns import json_lines
from analyzer.report.jsonlines import _json_float, row_lines

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])


class Spy:
    """orjson with the lines its dumps wrote counted (not those it refused)."""

    def __init__(self):
        self.calls = 0

    def dumps(self, value):
        out = orjson.dumps(value)
        self.calls += 1
        return out


@pytest.fixture
def spy(monkeypatch):
    s = Spy()
    monkeypatch.setattr(jsonlines, "orjson", s)
    return s


def _keys(path: Path):
    keys = path.with_suffix(".keys")
    return keys if keys.exists() else None


def _floats(value, at="") -> list[str]:
    if type(value) is float:
        return [at]
    if isinstance(value, dict):
        return [k for key, v in value.items() for k in _floats(v, f"{at}.{key}")]
    if isinstance(value, (list, tuple)):
        return [k for v in value for k in _floats(v, at + "[]")]
    return []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_rows_of_every_file(path, spy):
    cap = analyzer.open(path, keylog=_keys(path))
    for report, records in ((http_report, cap.analyze().http), (dns_report, cap.dns)):
        rows = report.rows(records)
        for r in rows:
            assert {k.lstrip(".") for k in _floats(r)} <= set(report.JSON_FLOAT_KEYS)
        before = spy.calls
        assert list(row_lines(rows, report.JSON_FLOAT_KEYS)) == list(json_lines(rows))
        usual = sum(all(type(r.get(k)) is not float or _json_float(r[k]) for k in report.JSON_FLOAT_KEYS)
                    for r in rows)
        assert spy.calls - before == usual


def test_some_file_has_rows():
    # the test above must see rows of both kinds
    cap = analyzer.open(REPO / "captures" / "lab_page_fetch.pcapng")
    assert cap.analyze().http and cap.dns


def test_float_range():
    rng = random.Random(12)
    values = [0.0, -0.0, 1e-4, -1e-4, 9.999999999999998e15, 1710234000.0252273, 0.010568041]
    for _ in range(20000):
        values.append(rng.random() * 10 ** rng.randint(-4, 15))
        values.append(struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0])
    inside = [v for v in values if math.isfinite(v) and _json_float(v)]
    assert len(inside) > 19000
    for v in inside:
        assert orjson.dumps(v).decode() == json.dumps(v), v
    # just outside: the two differ, so the check is needed
    for v in (9.99e-05, 2.5e-05, 1e-07, -5e-06):
        assert not _json_float(v)
        assert orjson.dumps(v).decode() != json.dumps(v)
    for v in (1e16, 1.5e300, math.nan, math.inf, -math.inf):
        assert not _json_float(v)


def _row(**changes):
    row = {"query_frame": 3, "rtt": 0.008684326, "ts": 1710234000.005832, "query": "a.example",
           "answers": ["192.0.2.1"], "gaps": {"client": 0}, "malformed": False, "uid": None}
    row.update(changes)
    return row


@pytest.mark.parametrize("changes, orjson_writes", [
    ({}, True),
    ({"rtt": 2.5e-05}, False),                  # orjson: 0.000025
    ({"rtt": 1e-07}, False),                    # orjson: 1e-7
    ({"ts": 1e-05}, False),
    ({"rtt": 0.0}, True),
    ({"rtt": -0.0001}, True),
    ({"rtt": math.nan}, False),                 # json: NaN, orjson: null
    ({"ts": math.inf}, False),
    ({"query_frame": 2 ** 70}, False),          # orjson refuses
    ({"query": "a\udcffb"}, False),             # a lone surrogate: orjson refuses
    ({"gaps": {1: 2}}, False),                  # a key that is not a string: orjson refuses
    ({"query": "a\x1b[31m\u2028\x7f\u00b7\"\\\n"}, True),
])
def test_damaged_rows(changes, orjson_writes, spy):
    rows = [_row(**changes)]
    assert list(row_lines(rows, ("rtt", "ts"))) == list(json_lines(rows))
    assert spy.calls == (1 if orjson_writes else 0)


def test_without_orjson(monkeypatch):
    monkeypatch.setattr(jsonlines, "orjson", None)
    rows = [_row(), _row(rtt=1e-07), _row(query="\x00\u00e9")]
    assert list(row_lines(rows, ("rtt", "ts"))) == list(json_lines(rows))
