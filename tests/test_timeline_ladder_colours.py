"""The ladder's colours say what the steps say: a segment Wireshark flags that its step tells as harmless (a FIN
repeated as the FINs crossed, the ACK of a FIN again) is drawn in its layer's colour, a real problem in red; on
a 16-colour terminal TCP is not drawn in (bright) red; the HTML ladder draws every layer's arrows and has a
legend.

The flagged frames come from tshark (tcp.analysis.*), never from our output; the corpus tests skip when
../shared/corpus is absent.
"""

from __future__ import annotations

import re

import pytest

from analyzer.report.html import LADDER_COLORS, html_report
from analyzer.report.timeline_text import render_fetch
from tests.test_timeline_corpus import CORPUS, TSHARK, load, rows

CROSSING = CORPUS / "http_gzip_content_length_simultaneous_close.pcap"
RTO = CORPUS / "tcp_retransmission_rto_backoff.pcapng"
RED = re.compile(r"\x1b\[(?:1;)?(?:31|91)m")


def _need(path):
    if not path.exists():
        pytest.skip(f"{path} is not there (the corpus lives in ../shared/corpus)")
    if TSHARK is None:
        pytest.skip("tshark is not installed: the flagged frames come from it")


def _ladder_line(text: str, frame: int) -> str:
    (line,) = [x for x in text.splitlines() if re.match(rf"\s+\d+\.\d{{3}}\s+{frame}\s", re.sub(r"\x1b\[[0-9;]*m", "", x))]
    return line


def test_crossing_fins_are_not_red():
    """The segments tshark flags after both FINs of the simultaneous close (a retransmitted FIN, a duplicate
    ACK) are cited by steps that are no problem, so their ladder rows are not problems, nor red on a terminal
    or in the HTML; their labels say what they are."""
    _need(CROSSING)
    fins = [int(r[0]) for r in rows(CROSSING, "tcp.flags.fin == 1")]
    flagged = [int(r[0]) for r in rows(CROSSING, "tcp.analysis.retransmission || tcp.analysis.duplicate_ack")
               if int(r[0]) > sorted(fins)[1]]
    assert len(flagged) == 2
    (fetch,) = load(CROSSING).fetches
    for frame in flagged:
        citing = [s for s in fetch.steps if frame in s.frames]
        assert citing and not any(s.problem for s in citing)
        (row,) = [r for r in fetch.ladder if r.frame == frame]
        assert not row.problem and row.layer == "tcp"
    labels = {r.frame: r.label for r in fetch.ladder}
    assert "FIN again" in labels[flagged[0]] and "ACK of FIN again" in labels[flagged[1]]
    text = render_fetch(fetch, width=160, color=True)
    for frame in flagged:
        assert not RED.search(_ladder_line(text, frame))
    page = html_report(load(CROSSING))
    for frame in flagged:
        (g,) = re.findall(rf'<g class="message" data-frame="{frame}">.*?</g>', page, re.DOTALL)
        assert 'class="arrow tcp"' in g and "problem" not in g
    assert 'class="legend ladder-legend"' in page


def test_retransmissions_stay_red():
    """tcp_retransmission_rto_backoff: the retransmissions tshark flags are problems in the steps and red in
    the ladder (terminal and HTML); no TCP row is bright red (rich's dark_orange on 16 colours)."""
    _need(RTO)
    resent = {int(r[0]) for r in rows(RTO, "tcp.analysis.retransmission")}
    assert resent
    tl = load(RTO)
    drawn = [(f, r) for f in tl.fetches for r in f.ladder if r.frame in resent]
    assert drawn and all(r.problem for _f, r in drawn)
    fetch = drawn[0][0]
    text = render_fetch(fetch, width=160, color=True)
    assert "\x1b[1;31m" in _ladder_line(text, drawn[0][1].frame)
    assert "\x1b[91m" not in text
    page = html_report(tl)
    (g,) = re.findall(rf'<g class="message" data-frame="{drawn[0][1].frame}">.*?</g>', page, re.DOTALL)
    assert f'class="arrow {drawn[0][1].layer} problem"' in g and "a problem (its step says what went wrong)" in page


def test_every_ladder_layer_has_a_colour_in_html():
    """Every layer the ladder uses has a stroke in the page's CSS (a line without one is not drawn)."""
    for layer in ("arp", "nd", "dns", "tcp", "tls", "http", "quic", "icmp"):
        assert layer in LADDER_COLORS
    from analyzer.report.html import CSS
    for layer, colour in LADDER_COLORS.items():
        assert f"svg .arrow.{layer} {{ stroke: {colour}; }}" in CSS
