"""The ladder rows of a connection short enough to be shown whole (timeline/build.LADDER_ALL_SHOWN: no sets of
kept and flagged segments) are those the general rule gives: on captures with losses, resets, refused and
unanswered connections, a page with its resources, and a generated one with many fetches."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.timeline import build

CAPTURES = Path(__file__).resolve().parent.parent / "captures"
FILES = ["lab_page_fetch.pcapng", "lab_lossy_fetch_retransmissions.pcapng", "lab_refused_connection_rst.pcapng",
         "lab_silent_host_syn_timeout.pcapng", "lab_syn_loss_rto_doubling.pcapng", "lab_wget_page_robots.pcapng",
         "lab_https_page_fetch.pcapng", "lab_ipv6_page_fetch.pcapng", "lab_two_curl_runs.pcapng"]


def _ladders(name: str, lang: str = "en") -> list:
    from analyzer.cli.timeline import stream

    return [f.ladder for f in stream(str(CAPTURES / name), lang)]


@pytest.mark.parametrize("name", FILES)
def test_short_connection_rows_are_the_general_ones(name, monkeypatch):
    fast = _ladders(name)
    monkeypatch.setattr(build, "LADDER_ALL_SHOWN", False)
    general = _ladders(name)
    assert fast == general
    assert sum(len(rows) for rows in fast) > 5


@pytest.mark.parametrize("shown", range(2, 30))
@pytest.mark.parametrize("name", ["lab_page_fetch.pcapng", "lab_lossy_fetch_retransmissions.pcapng"])
def test_a_long_connection_still_leaves_segments_out(name, shown, monkeypatch):
    # with the head and the tail made short (every sum up to 29 segments), connections on both sides of the
    # bound and on it: rows stand for segments left out, and both paths agree
    head, tail = shown - shown // 3, shown // 3
    monkeypatch.setattr(build, "LADDER_HEAD", head)
    monkeypatch.setattr(build, "LADDER_TAIL", tail)
    monkeypatch.setattr(build, "LADDER_PROBLEMS", 0)
    fast = _ladders(name)
    monkeypatch.setattr(build, "LADDER_ALL_SHOWN", False)
    assert fast == _ladders(name)
    assert any(r.frame == 0 for ladder in fast for r in ladder) or shown > 16
