"""The part of a connection's row the timeline reads (tcp.connection.summarize_brief) against the whole row
(summarize): every value it holds is the whole row's, for every connection stretch the timeline looks at in the
project's captures, the fixtures and the corpus (handshakes with options, every kind of close, TIME_WAIT,
resets); and the timeline (text, --json, zh) prints the same with either, so a key the timeline starts to read
that the brief row lacks fails here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from analyzer.cli.main import main
from analyzer.tcp.connection import summarize, summarize_brief
from analyzer.timeline import run

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = sorted((ROOT / "captures").glob("*.pcap*"))
CORPUS = ROOT.parent / "shared" / "corpus"
FILES = CAPTURES + sorted((ROOT / "tests" / "fixtures").rglob("*.pcap*")) + sorted(CORPUS.glob("*.pcap*"))


def _args(path: Path) -> list[str]:
    keys = path.with_suffix(".keys")
    return [str(path)] + (["--keylog", str(keys)] if keys.exists() else [])


def _within(brief: Any, full: Any, where: str) -> None:
    if isinstance(brief, dict):
        assert isinstance(full, dict), where
        for key, value in brief.items():
            assert key in full, f"{where}.{key}"
            _within(value, full[key], f"{where}.{key}")
    elif isinstance(brief, list):
        assert isinstance(full, list) and len(brief) == len(full), where
        for i, (a, b) in enumerate(zip(brief, full)):
            _within(a, b, f"{where}[{i}]")
    else:
        assert brief == full and type(brief) is type(full), f"{where}: {brief!r} != {full!r}"


def test_brief_row_holds_the_whole_rows_values(monkeypatch):
    seen: dict[str, int] = {}

    def checked(conn):
        brief = summarize_brief(conn)
        _within(brief, summarize(conn), f"stream {conn.stream}")
        td = brief["teardown"]
        for name, present in (("teardown", td), ("reset", brief["resets"]), ("irtt", brief["irtt"]),
                              ("time_wait", td and any(k.endswith("_time_wait_from_frame") for k in td)),
                              ("options", "orig_options" in brief["handshake"])):
            seen[name] = seen.get(name, 0) + bool(present)
        if td:
            seen[td["kind"]] = seen.get(td["kind"], 0) + 1
        return brief

    monkeypatch.setattr(run, "summarize_brief", checked)
    runner = CliRunner()
    for path in FILES:
        runner.invoke(main, ["timeline", "--json", *_args(path)])
    # what the captures hold, so that each part of the row was compared
    for name in ("teardown", "reset", "irtt", "time_wait", "options", "four-way", "three-way (FIN+ACK piggy-backed)",
                 "aborted by reset after the first FIN"):
        assert seen.get(name), (name, seen)
    if CORPUS.exists():     # the corpus adds a simultaneous close (http_gzip_content_length_simultaneous_close)
        assert seen.get("simultaneous close"), seen


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_timeline_same_with_the_whole_row(path, monkeypatch):
    runner = CliRunner()
    modes = (["timeline", "--json"], ["timeline", "--width", "100", "--all"], ["timeline", "--lang", "zh"])
    brief = [runner.invoke(main, [*m, *_args(path)]) for m in modes]
    monkeypatch.setattr(run, "summarize_brief", summarize)
    whole = [runner.invoke(main, [*m, *_args(path)]) for m in modes]
    for a, b in zip(brief, whole):
        assert (a.exit_code, a.output) == (b.exit_code, b.output)
