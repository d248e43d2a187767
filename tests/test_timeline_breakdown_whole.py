""""Where the time went" says it whole (issue 10 item 3): on every capture of captures/ and of the corpus, the
parts that are not worth a line of their own are named in one "left out" line (with their times), and the list
ends by saying how it compares with the fetch's total (the time no part covers, or that parts overlap) unless the
parts cover it. In Chinese the step times and the HTML report's times say 毫秒, as the rest of the text does.

The expected times here are the fetch's own parts: the invariant checked is that nothing is cut without a word.
The figures of single parts are checked against tshark where they are made (tests/test_retransmission_backoff_
story.py for the retransmission timeouts, the connect and DNS tests for theirs)."""

from __future__ import annotations

import re
import shutil
import subprocess
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


IDLE = CORPUS / "tcp_fast_retransmit_sack_headers_only.pcap"


@pytest.mark.skipif(not IDLE.exists() or not shutil.which("tshark"), reason=f"needs tshark and {IDLE}")
def test_idle_until_the_close_is_a_part():
    """A connection left open with nothing on it, then reset a minute later: the fetch's total runs to the RST,
    and "where the time went" says that minute was idle (tshark: the segment before the first FIN/RST, and it)
    instead of leaving it as time not broken down."""
    out = subprocess.run(["tshark", "-r", str(IDLE), "-Y", "tcp && !tcp.analysis.keep_alive", "-T", "fields", "-e",
                          "frame.number", "-e", "frame.time_epoch", "-e", "tcp.flags.fin", "-e", "tcp.flags.reset"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    rows = [(int(f), float(t), fin in ("1", "True"), rst in ("1", "True"))
            for f, t, fin, rst in (line.split("\t") for line in out.splitlines())]
    n = next(i for i, r in enumerate(rows) if r[2] or r[3])
    (prev, t0, *_x), (close, t1, _fin, rst) = rows[n - 1], rows[n]
    assert rst and t1 - t0 > 30     # the file is what this test is about
    for lang in ("en", "zh"):
        (f,) = timeline(_frames(IDLE), lang).fetches
        (idle,) = [d for d in f.breakdown if d.what == "idle"]
        cited = {x for s in f.steps for x in s.frames}
        assert idle.frames == tuple(x for x in (prev, close) if x in cited) and close in idle.frames
        assert idle.ms == pytest.approx((t1 - t0) * 1000, abs=0.002)
        assert duration(idle.ms, lang) in idle.text and str(close) in idle.text and str(prev) in idle.text
        assert ("RST" in idle.text) and not any(d.what == "rest" and d.ms > 0.5 * f.summary.total_ms
                                                for d in f.breakdown)
