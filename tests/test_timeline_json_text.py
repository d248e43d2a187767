"""``Fetch.json_text`` (what ``timeline --json`` prints per fetch) is ``json.dumps(fetch.as_dict(),
ensure_ascii=False)``: the same text, made without as_dict's copies of each step, on every capture of captures/,
the TLS and QUIC fixtures with their key logs, the WebSocket fixtures and the corpus (first frames), in both
languages; and a fetch whose values need escaping (control, non-ASCII and line-separator characters, floats
that round, nested facts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.timeline import timeline
from analyzer.timeline.model import Fetch, FetchSummary, LazyStep, Step
from tests.test_timeline_collect_paths import CAPTURES, CORPUS, CORPUS_FILES, _frames, _keylog

REPO = Path(__file__).resolve().parent.parent
FIXTURES = sorted((REPO / "tests" / "fixtures" / "tls").glob("*.pcap*")) \
    + sorted((REPO / "tests" / "fixtures" / "quic").glob("*.pcap*")) \
    + sorted((REPO / "tests" / "fixtures" / "websocket").glob("*.pcap*"))


def _same(path: Path, langs: tuple[str, ...] = ("en", "zh")) -> int:
    frames = _frames(path)
    n = 0
    for lang in langs:
        for f in timeline(frames, lang, keylog=_keylog(path)).fetches:
            assert f.json_text() == json.dumps(f.as_dict(), ensure_ascii=False), (path.name, lang, f.index)
            n += 1
    return n


@pytest.mark.parametrize("path", CAPTURES + FIXTURES, ids=lambda p: p.name)
def test_json_text_is_dumps_of_as_dict(path):
    assert _same(path) > 0


@pytest.mark.skipif(not CORPUS_FILES, reason=f"corpus folder {CORPUS} not present")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_json_text_is_dumps_of_as_dict_corpus(path):
    _same(path, ("en",))


def test_json_text_escapes_as_dumps():
    facts = {"uri": "/a\x00b\x7f\x85\u2028\"\\", "name": "exämple.测试", "ms": 0.1 + 0.2, "nested": {"t": (1, 2.5)},
             "none": None, "flag": True, "big": 10**20, "opts": [("mss", 1460)]}
    steps = (Step((1, 2), 1 / 3, 5, "http", "http.request", "GET /a\x01 \u00b5s \u202e", facts, True),
             LazyStep.lazy((), 2e-7, None, "tcp", "tcp.x", {}, False, lambda: "made later \ud800", ()))
    summary = FetchSummary(None, 1.23456, None, None, 2.0004999, 1, 1, 0, ((3, 1),), "single request", 10, 20, 5, 6, 0,
                           1, 0, encrypted_requests=2)
    f = Fetch(1, "page", "http://exämple/\x1b[31m", "exämple", "10.0.0.1", "fe80::1", 80, 123, steps, (), (), (),
              summary, (), (), ("note\n",))
    assert f.json_text() == json.dumps(f.as_dict(), ensure_ascii=False)
    assert json.loads(f.json_text())["steps"][1]["text"] == "made later \ud800"
