"""A fetch whose DNS queries are several lookups of several names, made while the client was already opening
connections (issue 10, h-sum item 3): the Summary and "where the time went" tell each lookup of each name with its
time, and never count the span from the first query to the last answer as time spent resolving.

The capture is the corpus's ``http_fetch_wikipedia_dns_multiconn.pcap``, fetch 2: a browser (glibc's resolver:
AAAA, AAAA with the search domain, A) looks up upload.wikimedia.org four times, once before each new batch of
connections, and meta.wikimedia.org once. The lookups and their times are read from tshark: a lookup starts with a
query for the bare name's AAAA record and ends with the answer to its A query.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.report.timeline_text import summary_rows
from analyzer.timeline import timeline
from analyzer.timeline.texts import duration

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT.parent / "shared" / "corpus" / "http_fetch_wikipedia_dns_multiconn.pcap"
TSHARK = shutil.which("tshark")


@pytest.fixture(scope="module")
def lookups() -> dict[str, list[tuple[int, float, float]]]:
    """name -> [(first query frame, its time, the time of the answer to its A query)], from tshark."""
    if not CAPTURE.exists():
        pytest.skip(f"the shared corpus is not here ({CAPTURE})")
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run([TSHARK, "-r", str(CAPTURE), "-Y", "dns", "-T", "fields", "-e", "frame.number", "-e",
                          "frame.time_epoch", "-e", "dns.flags.response", "-e", "dns.qry.name", "-e", "dns.qry.type"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    got: dict[str, list[list]] = {}
    for line in out.splitlines():
        frame, t, response, name, qtype = line.split("\t")
        if name.endswith(".ncsa.uiuc.edu"):
            continue        # the search-domain try: inside its lookup
        if response == "0" and qtype == "28":
            got.setdefault(name, []).append([int(frame), float(t), None])
        elif response == "1" and qtype == "1" and name in got:
            got[name][-1][2] = float(t)
    return {n: [tuple(x) for x in v] for n, v in got.items()}


def _fetch(first_query: int, lang: str = "en"):
    with open_capture(CAPTURE) as reader:
        tl = timeline(reader, lang=lang)
    (f,) = [f for f in tl.fetches if any(lk.query_frame == first_query for lk in f.lookups)]
    return f


def test_each_lookup_of_each_name_with_its_time(lookups):
    upload = lookups["upload.wikimedia.org"]
    assert len(upload) == 4 and len(lookups["meta.wikimedia.org"]) == 1      # the file is what this test is about
    fetch = _fetch(upload[0][0])
    names = dict(fetch.summary.dns_names)
    assert set(names) == {"upload.wikimedia.org", "meta.wikimedia.org"}
    for name, want in lookups.items():
        assert [round(ms, 3) for ms in names[name]] == [round((a - q) * 1000, 3) for _f, q, a in want], name
    # the figure: the lookups' own time (they do not overlap), not the span from the first query to the last answer
    each = [(a - q) * 1000 for v in lookups.values() for _f, q, a in v]
    span = (max(a for v in lookups.values() for *_x, a in v) - upload[0][1]) * 1000
    assert fetch.summary.dns_ms == pytest.approx(sum(each), abs=0.002)
    assert span > 5 * sum(each)
    rows = dict(summary_rows(fetch))
    assert rows["DNS lookup"].startswith(duration(sum(each)) + " (5 lookups of 2 names")
    assert "upload.wikimedia.org 4 times (" + ", ".join(duration(x) for x in names["upload.wikimedia.org"][:3]) \
        in rows["DNS lookup"]
    assert rows["DNS lookups"] == f"{len(fetch.lookups)} queries: 5 lookups of 2 names"
    text = " ".join(d.text for d in fetch.breakdown)
    assert duration(span) not in rows["DNS lookup"] and "one question after the other" not in text
    zh = dict(summary_rows(_fetch(upload[0][0], "zh"), "zh"))
    assert "2 个名字，共解析 5 次" in zh["DNS 查询耗时"] and "upload.wikimedia.org 4 次（" in zh["DNS 查询耗时"]
