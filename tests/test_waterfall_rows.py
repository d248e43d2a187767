"""The waterfall's rows for connections that carried no readable HTTP request (an HTTPS fetch without keys, a
refused port): named by their connection and how it ended, and "failed" only when the connection never
opened; its legend names every letter its bars use. How each connection ended is asked from tshark."""

from __future__ import annotations

import re
from pathlib import Path

from test_timeline_grouping import tshark_frames as frames

from analyzer.capture import open_capture
from analyzer.report.html import waterfall_svg
from analyzer.report.timeline_text import render_fetch
from analyzer.timeline import timeline

CAPTURES = Path(__file__).resolve().parents[1] / "captures"


def waterfall(path: Path, lang: str = "en") -> tuple[list[str], str, str]:
    with open_capture(path) as reader:
        (fetch,) = timeline(reader, lang).fetches
    lines = render_fetch(fetch, width=100).splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith(("Waterfall", "瀑布")))
    rows = []
    for line in lines[at + 2:]:
        if "|" not in line:
            break
        rows.append(line)
    return rows, lines[at + 1], waterfall_svg(fetch, lang)


def test_https_without_keys_is_a_closed_connection_not_a_failure():
    path = CAPTURES / "lab_https_page_fetch.pcapng"
    # tshark: the client's SYN was answered, both sides sent FIN, nobody reset
    assert frames(path, "tcp.flags.syn == 1 && tcp.flags.ack == 1")
    assert frames(path, "tcp.flags.fin == 1 && tcp.srcport == 443") and frames(path, "tcp.flags.fin == 1 && tcp.dstport == 443")
    assert frames(path, "tcp.flags.reset == 1") == []
    # without keys its rows are the exchanges inferred from the encrypted records (issue 10; their frames are
    # checked against tshark with the key log in test_tls_exchanges.py), none of them a failure
    rows, legend, svg = waterfall(path)
    assert rows and all(row.strip().startswith("encrypted exchange") for row in rows)
    for row in rows:
        assert row.rstrip().split()[-2:] == ["enc", "#0"] and "failed" not in row and "?" not in row.split("|")[0]
    used = set(rows[0].split("|")[1]) - {" "}
    assert "t" in used and used <= set(re.findall(r"\b(\w) = ", legend))
    assert "encrypted exchange 1" in svg and "failed" not in svg


def test_refused_connection_is_a_failure():
    path = CAPTURES / "lab_refused_connection_rst.pcapng"
    syn = frames(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0")
    rst = frames(path, "tcp.flags.reset == 1")
    assert syn and rst and rst[0] > syn[0] and not frames(path, "tcp.flags.syn == 1 && tcp.flags.ack == 1")
    (row,), _legend, svg = waterfall(path)
    assert row.strip().startswith("connection 0: refused") and row.rstrip().split()[-2:] == ["failed", "#0"]
    rows_zh, _l, _s = waterfall(path, "zh")
    assert "失败" in rows_zh[0] and "被拒绝" in rows_zh[0]
    assert "connection 0: refused" in svg
