"""A data segment resent again and again: each retransmission's wait is counted from the copy before it, the
doubling of the timeout is said only where the gaps double, and "where the time went" never adds up to more
than the fetch lasted (issue 10: "the retransmitted SYN ... and the RTO doubling a student can see").

The capture is the corpus's ``tcp_retransmission_rto_backoff.pcapng``: one 648-byte segment sent six times,
never acknowledged. Every expected value (which frames are copies, their times, the gaps, which gap doubles
the one before) is read from tshark, not from the analyzer.
"""

from __future__ import annotations

import shutil
import subprocess
from itertools import pairwise
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.report.timeline_text import summary_rows
from analyzer.timeline import timeline
from analyzer.timeline.texts import duration

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT.parent / "shared" / "corpus" / "tcp_retransmission_rto_backoff.pcapng"
TSHARK = shutil.which("tshark")


@pytest.fixture(scope="module")
def copies() -> list[tuple[int, float, bool]]:
    """(frame, seconds since the first frame, tshark calls it a retransmission) for each copy of the data."""
    if not CAPTURE.exists():
        pytest.skip(f"the shared corpus is not here ({CAPTURE})")
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run([TSHARK, "-r", str(CAPTURE), "-Y", "tcp.len > 0", "-T", "fields", "-e", "frame.number",
                          "-e", "frame.time_relative", "-e", "tcp.analysis.retransmission"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    got = [(int(f), float(t), r == "1") for f, t, r in rows]
    assert len(got) >= 4 and sum(r for *_x, r in got) >= 3     # the file is what this test is about
    return got


def fetch_of(lang: str = "en"):
    with open_capture(CAPTURE) as reader:
        (fetch,) = timeline(reader, lang=lang).fetches
    return fetch


def test_each_wait_is_counted_from_the_copy_before(copies):
    fetch = fetch_of()
    steps = {s.frames[0]: s for s in fetch.steps if s.kind == "tcp.retransmission"}
    resent = [c for c in copies if c[2]]
    assert sorted(steps) == [f for f, _t, _r in resent]
    for i, (frame, t, _r) in enumerate(copies[1:], start=1):
        prev_frame, prev_t, _ = copies[i - 1]
        facts = steps[frame].facts
        assert facts["gap_ms"] == pytest.approx((t - prev_t) * 1000, abs=0.001)
        assert facts["waited_ms"] == pytest.approx((t - copies[0][1]) * 1000, abs=0.001)
        if i > 1:
            assert facts["prev_frame"] == prev_frame
            assert f"(frame {prev_frame})" in steps[frame].text


def test_doubling_is_said_exactly_where_the_gaps_double(copies):
    fetch, zh = fetch_of(), fetch_of("zh")
    texts = {s.frames[0]: s.text for s in fetch.steps if s.kind == "tcp.retransmission"}
    zh_texts = {s.frames[0]: s.text for s in zh.steps if s.kind == "tcp.retransmission"}
    gaps = [b[1] - a[1] for a, b in pairwise(copies)]
    doubled = []
    for i in range(1, len(gaps)):
        frame = copies[i + 1][0]
        twice = 1.7 <= gaps[i] / gaps[i - 1] <= 2.3
        doubled.append(twice)
        assert ("exponential backoff" in texts[frame]) == twice, texts[frame]
        assert ("指数退避" in zh_texts[frame]) == twice, zh_texts[frame]
    assert any(doubled) and not all(doubled)    # this file has both: 206 -> 600 ms is not a doubling


def test_where_the_time_went_adds_up(copies):
    """The timeouts of one sender are one line that names every wait (none cut from the list for being short:
    206 ms and 600 ms are under a tenth of the 9.2 s), and the line's time is their sum."""
    fetch, zh = fetch_of(), fetch_of("zh")
    (wait,) = [d for d in fetch.breakdown if d.what == "retransmission"]
    resent = [(f, t) for f, t, r in copies if r]
    gaps = [(b[1] - a[1]) * 1000 for a, b in pairwise(copies)]
    assert wait.frames == tuple(f for f, _t in resent)
    assert wait.ms == pytest.approx(sum(gaps), abs=0.001)
    total = (copies[-1][1] - copies[0][1]) * 1000
    assert fetch.summary.total_ms == pytest.approx(total, abs=0.001)
    assert f"{len(resent)} retransmission timeouts of the client's data" in wait.text
    for gap, text in zip(gaps, [duration(g) for g in gaps]):
        assert text in wait.text, (gap, wait.text)
    (wait_zh,) = [d for d in zh.breakdown if d.what == "retransmission"]
    assert f"重传超时 {len(resent)} 次" in wait_zh.text and all(duration(g, "zh") in wait_zh.text for g in gaps)
    # nothing left out, nothing else to account for: the waits are the whole fetch
    assert [d.what for d in fetch.breakdown] == ["retransmission"]
    assert sum(d.ms for d in fetch.breakdown) <= total + 0.001


def test_retransmitted_bytes_are_the_senders(copies):
    """Summary: the resent bytes stand with the direction that resent them (tshark: the retransmissions' source
    address and length), not after both directions as if the server had resent them."""
    out = subprocess.run([TSHARK, "-r", str(CAPTURE), "-Y", "tcp.analysis.retransmission", "-T", "fields", "-e",
                          "ip.src", "-e", "tcp.len"], capture_output=True, text=True, check=True, timeout=120).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    fetch = fetch_of()
    by_client = sum(int(n) for src, n in rows if src == fetch.client)
    by_server = sum(int(n) for src, n in rows if src != fetch.client)
    assert by_client and not by_server        # the file is what this test is about
    s = fetch.summary
    assert (s.retransmitted_sent, s.retransmitted_bytes - s.retransmitted_sent) == (by_client, by_server)
    d = s.as_dict()
    assert (d["retransmitted_sent"], d["retransmitted_received"]) == (by_client, by_server)
    (row,) = [v for k, v in summary_rows(fetch) if k == "TCP payload bytes"]
    assert row.startswith(f"client -> server {s.bytes_sent:,} (+{by_client:,} retransmitted), server -> client ")
    assert row.count("retransmitted") == 1
    (row_zh,) = [v for k, v in summary_rows(fetch_of("zh"), "zh") if k == "TCP 载荷字节数"]
    assert f"（另有 {by_client:,} 字节重传），服务器 -> 客户端" in row_zh


def test_a_connection_with_no_request_is_not_said_to_be_kept_for_more():
    if not CAPTURE.exists():
        pytest.skip(f"the shared corpus is not here ({CAPTURE})")
    fetch = fetch_of()
    assert fetch.kind == "connection" and not any(r.method for r in fetch.requests)
    (end,) = [s for s in fetch.steps if s.kind.startswith("tcp.open")]
    assert end.kind == "tcp.open.plain" and "more requests" not in end.text
