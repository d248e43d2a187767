"""The end of a ``read --json`` line in C (``analyzer.columnar._speedups.json_tail``, which
``report.jsonlines.json_line_bytes`` runs after orjson's encode): the frame.time_epoch splice and the check that
the line needs no escape for a terminal give the bytes the Python gives, on every frame of the captures, the
corpus and synthetic web traffic; it declines (None: the Python then escapes) exactly where a byte is neither
ASCII nor one of the middle dots' C2 B7, or is DEL, or the epoch is not ASCII text; each such case is damaged on
its own and its undamaged neighbour taken. read --json's output is the same with and without it."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import synthetic

from analyzer.compiled import compiled
from analyzer.report import jsonlines

tail = compiled("json_tail")
pytestmark = pytest.mark.skipif(tail is None, reason="the compiled helper (with json_tail) is not built")
REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])


class _Pkt:
    def __init__(self, fields):
        self.fields = fields


def _python(pkt, monkeypatch) -> bytes:
    with monkeypatch.context() as m:
        m.setattr(jsonlines, "_JSON_TAIL", None)
        return jsonlines.json_line_bytes(pkt)


def _same(fields, monkeypatch) -> bool:
    """json_line_bytes with and without the helper agree; True when the helper gave the line."""
    pkt = _Pkt(fields)
    want = _python(pkt, monkeypatch)
    assert jsonlines.json_line_bytes(pkt) == want
    data = orjson.dumps(fields, default=jsonlines._default)
    got = tail(data, fields.get(jsonlines.TIME_EPOCH))
    if got is not None:
        assert got == want
    return got is not None


def test_captures_corpus_and_synthetic(tmp_path, monkeypatch):
    import analyzer
    from analyzer.api.packets import analyze

    if jsonlines.encode_fields is not jsonlines._encode_orjson:
        pytest.skip("json_line_bytes uses the helper only with orjson")
    path = tmp_path / "s.pcap"
    synthetic.generate(path, 2_000, seed=23, clients=40, sites=30)
    taken = total = 0
    for p in [*FILES, path]:
        with analyzer.open([str(p)]).open() as reader:
            for pkt in analyze(reader):
                total += 1
                taken += _same(pkt.fields, monkeypatch)
    assert taken > 0.95 * total and total > 3000


BASE = {"frame.number": 1, "frame.time_epoch": "1710234000.068840500", "frame.len": 60,
        "tcp.flags.str": "\u00b7\u00b7\u00b7\u00b7\u00b7\u00b7\u00b7A\u00b7\u00b7\u00b7F", "http.host": "example"}
GONE = object()


def _fields(change: dict | None, last: bool = False) -> dict | None:
    """BASE with ``change`` (GONE: the key taken out); ``last``: the changed keys moved to the end."""
    if change is None:
        return None
    d = {k: v for k, v in BASE.items() if not (last and k in change)}
    for k, v in change.items():
        if v is GONE:
            d.pop(k, None)
        else:
            d[k] = v
    return d


# (what is damaged, its fields, the undamaged neighbour's): the first is declined, the second taken
CASES = [
    ("a non-ASCII letter", _fields({"http.host": "exampl\u00e9"}), _fields({"http.host": "exampl\u00b7"})),
    ("a C2 lead byte with another character", _fields({"http.host": "\u0080"}), _fields({"http.host": "\u00b7"})),
    ("B7 after another lead byte", _fields({"http.host": "\u0177"}), _fields({"http.host": "w"})),
    ("a 3-byte character", _fields({"http.host": "\u2192"}), _fields({"http.host": "->"})),
    ("DEL", _fields({"http.host": "a\x7fb"}), _fields({"http.host": "a\x7eb"})),
    ("an escape character (orjson escapes it)", None, _fields({"http.host": "a\x1bb"})),
    ("a non-ASCII epoch", _fields({"frame.time_epoch": "1710234000.06884050\u00b7"}),
     _fields({"frame.time_epoch": "1710234000.068840501"})),
    ("an epoch not a str", None, _fields({"frame.time_epoch": 1710234000.5})),
    ("no epoch", None, _fields({"frame.time_epoch": GONE})),
    ("an empty epoch", None, _fields({"frame.time_epoch": ""})),
    ("the epoch last", None, _fields({"frame.time_epoch": "1.000000000"}, last=True)),
    ("the epoch's text quoted in an earlier value", None,
     _fields({"frame.number": '"frame.time_epoch":"1.000000000"', "frame.time_epoch": "1.000000000"})),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_declines_where_it_cannot_decide(case, monkeypatch):
    _name, damaged, neighbour = case
    if damaged is not None:
        assert not _same(damaged, monkeypatch)
    assert _same(neighbour, monkeypatch)


def test_declines_what_is_not_bytes():
    assert tail("{}", None) is None
    assert tail(bytearray(b"{}"), None) is None
    assert tail(b"{}", None) == b"{}"


def test_through_the_command(tmp_path, monkeypatch):
    """read --json's lines are the same with and without the helper."""
    from click.testing import CliRunner

    from analyzer.cli.main import main

    path = tmp_path / "s.pcap"
    synthetic.generate(path, 2_000, seed=29, clients=40, sites=30)
    calls = []

    def counting(data, epoch):
        line = tail(data, epoch)
        calls.append(line is not None)
        return line

    outputs = []
    for helper in (counting, None):
        monkeypatch.setattr(jsonlines, "_JSON_TAIL", helper)
        result = CliRunner().invoke(main, ["read", "--json", str(path)])
        assert result.exit_code == 0
        outputs.append(result.stdout_bytes)
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) == 2_000
    assert sum(calls) > 1900


@pytest.mark.parametrize("data, epoch", [
    (b'{"frame.time_epoch":"1.00","x":1}', "1.0"),           # the epoch a prefix of the quoted text: no splice
    (b'{"frame.time_epoch":"1.0","frame.time_epoch":"1.0"}', "1.0"),   # the first one only
    (b'{"frame.time_epoch":"1.0"', "1.0"),
    (b'{"frame.time_epoch":"1.', "1.0"),                      # cut inside the epoch
    (b'"frame.time_epoch":""', ""),
])
def test_splice_on_crafted_bytes(data, epoch):
    """The splice is bytes.replace's (as json_line_bytes writes it) on bytes orjson would not write."""
    key = jsonlines._EPOCH_KEY
    e = epoch.encode()
    assert tail(data, epoch) == data.replace(key + b'"' + e + b'"', key + e, 1)
