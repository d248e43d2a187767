"""The ladder diagram lists its rows in frame order, a row of left-out segments in the place of the frames it
stands for (it was sorted above the connection's SYN, at a time from its middle). Checked on every capture
shipped and every corpus file: each "N segments not shown (frames A-B ...)" row sits between the rows of
frames before A and after B, and the frames it names are not shown elsewhere in that connection's rows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "captures").glob("*.pcap*")) + sorted((ROOT.parent / "shared" / "corpus").glob("*.pcap*"))
SKIPPED = re.compile(r"(?:frames |第 )(\d+)[-–](\d+)")


def check(fetch) -> int:
    seen = 0
    last = 0
    for row in fetch.ladder:
        if row.frame:
            assert row.frame >= last, (fetch.index, row)
            last = row.frame
            continue
        m = SKIPPED.search(row.label)
        if m is None:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        assert a > last, (fetch.index, row.label, last)
        last = b
        seen += 1
    return seen


def test_left_out_segments_sit_where_their_frames_are():
    skipped = 0
    for path in FILES:
        with open_capture(path) as reader:
            for fetch in timeline(reader).fetches:
                skipped += check(fetch)
    assert skipped           # some ladder of these files leaves segments out: the case under test


@pytest.mark.parametrize("lang", ["zh"])
def test_same_in_chinese(lang):
    path = ROOT.parent / "shared" / "corpus" / "tcp_out_of_order_sack_gaps_rst_http.pcap"
    if not path.exists():
        pytest.skip(f"the shared corpus is not here ({path})")
    with open_capture(path) as reader:
        assert sum(check(f) for f in timeline(reader, lang=lang).fetches)
