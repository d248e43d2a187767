""""Where the time went" says it whole (issue 10 item 3): on every capture of captures/ and of the corpus, the
parts that are not worth a line of their own are named in one "left out" line (with their times), and the list
ends by saying how it compares with the fetch's total (the time no part covers, or that parts overlap) unless the
parts cover it. In Chinese the step times and the HTML report's times say 毫秒, as the rest of the text does.

The expected times here are the fetch's own parts: the invariant checked is that nothing is cut without a word.
The figures of single parts are checked against tshark where they are made (tests/test_retransmission_backoff_
story.py for the retransmission timeouts, the connect and DNS tests for theirs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzer.report.html import html_report
from analyzer.report.timeline_text import render_fetch
from analyzer.timeline import timeline
from analyzer.timeline.texts import duration
from tests.test_timeline_collect_paths import CAPTURES, CORPUS, CORPUS_FILES, _frames

TALLY = ("left_out", "rest", "overlap")
RTO = CORPUS / "tcp_retransmission_rto_backoff.pcapng"


def _check(path: Path) -> int:
    n = 0
    for lang in ("en", "zh"):
        for f in timeline(_frames(path), lang).fetches:
            if not f.breakdown:
                continue
            n += 1
            total = f.summary.total_ms
            whats = [d.what for d in f.breakdown]
            assert all(w not in TALLY for w in whats[:len(whats) - sum(w in TALLY for w in whats)]), whats
            parts = [d for d in f.breakdown if d.what not in TALLY]
            left = [d for d in f.breakdown if d.what == "left_out"]
            # the line that leaves parts out gives their time, and each part's name and time
            for d in left:
                assert duration(d.ms, lang) in d.text and re.search(r"[:：] ?\S+.*\d", d.text), d.text
            if not any(w in ("rest", "overlap") for w in whats):
                # no word about the rest: the parts (with the ones left out) cover the total
                assert sum(d.ms for d in parts + left) >= 0.95 * total - 1.0, (path.name, f.index, whats)
            for d in f.breakdown:
                if d.what == "rest":
                    assert duration(d.ms, lang) in d.text and duration(total, lang) in d.text
                    assert d.ms <= total + 0.001
    return n


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_breakdown_is_whole_captures(path):
    _check(path)


@pytest.mark.skipif(not CORPUS_FILES, reason=f"corpus folder {CORPUS} not present")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_breakdown_is_whole_corpus(path):
    _check(path)


@pytest.mark.skipif(not RTO.exists(), reason=f"the shared corpus is not here ({RTO})")
def test_zh_times_say_haomiao():
    """The step times of a Chinese timeline, its ladder's column and the HTML report's times: 毫秒, not "ms"."""
    (f,) = timeline(_frames(RTO), "zh").fetches
    text = render_fetch(f, width=110)
    steps = text.split("摘要")[0]
    assert "206.000 毫秒" in steps and " ms" not in steps
    assert "时间（毫秒）" in text and not re.search(r"\d ms\b", text)
    page = html_report(timeline(_frames(RTO), "zh"))
    assert not re.search(r"\d ms\b", page) and "206.000 毫秒" in page and "时间（毫秒）" in page
    (en,) = timeline(_frames(RTO), "en").fetches
    assert "206.000 ms" in render_fetch(en, width=110)
