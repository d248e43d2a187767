"""A step's text is made when first read (timeline/model.LazyStep): ``har`` formats none, and a text read after
the whole capture was explained (later fetches built, the run's history moved on) is the one the step had
when it was built, in both languages, the connection prefix of a fetch's later connections included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli.main import main
from analyzer.timeline import build
from analyzer.timeline.model import LazyStep

CAPTURES = Path(__file__).resolve().parent.parent / "captures"
FILES = ["lab_page_fetch.pcapng", "lab_lossy_fetch_retransmissions.pcapng", "lab_https_page_fetch.pcapng",
         "lab_two_curl_runs.pcapng", "lab_dns_mix.pcapng", "lab_http10_short_connections.pcap"]


def test_har_formats_no_step_text(monkeypatch):
    made = []
    real = build._step_text
    monkeypatch.setattr(build, "_step_text", lambda *a: made.append(a) or real(*a))
    got = CliRunner().invoke(main, ["har", str(CAPTURES / "lab_page_fetch.pcapng")])
    assert got.exit_code == 0, got.output
    assert len(json.loads(got.stdout)["log"]["entries"]) >= 2
    assert made == []
    got = CliRunner().invoke(main, ["timeline", "--width", "100", str(CAPTURES / "lab_page_fetch.pcapng")])
    assert got.exit_code == 0 and made       # the text output does read them


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", FILES)
def test_text_read_late_is_the_text_at_build_time(name, lang, monkeypatch):
    from analyzer.cli.timeline import stream

    at_build: dict[int, str] = {}
    real = LazyStep.lazy

    def lazy(*args):
        step = real(*args)
        at_build[id(step)] = args[-2](*args[-1])        # made now, as an eager step would have been
        return step

    monkeypatch.setattr(LazyStep, "lazy", lazy)
    fetches = list(stream(str(CAPTURES / name), lang))  # every fetch built before any text is read
    steps = [s for f in fetches for s in f.steps]
    assert steps and all(isinstance(s, LazyStep) for s in steps)
    assert [s.text for s in steps] == [at_build[id(s)] for s in steps]
    assert all(s.text for s in steps)
    if name == "lab_http10_short_connections.pcap":     # several connections: the later ones' teardowns say which
        assert any(s.text.startswith(("Connection ", "连接 ")) for s in steps)
