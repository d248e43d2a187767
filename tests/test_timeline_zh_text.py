"""The Chinese timeline (``--lang zh``) as a reader sees it: no English words in its sentences beyond the names a
student keeps in English (protocols, flags, fields, states, messages, header names, programs), full-width
punctuation beside Chinese characters, lines that never start with closing punctuation nor end with opening
punctuation, and lists cut short said as Chinese lists (a、b 等), on the captures of ``captures/`` at a narrow and
the default width; the HTML report's text too."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from analyzer.report import timeline_text as tt
from analyzer.report.timeline_text import NO_LINE_END, NO_LINE_START
from analyzer.timeline import texts
from analyzer.timeline.texts import LABELS, NOTES, PHRASES, TEMPLATES

CAPTURES = Path(__file__).resolve().parent.parent / "captures"
# a page with resources, DNS of every kind (several names in one fetch), loss and retransmissions, a refused
# connection, SYN loss, HTTPS without keys with a lost FIN, HTTP/1.0 at a width that put "，" first on a line
FILES = ["lab_page_fetch.pcapng", "lab_dns_mix.pcapng", "lab_lossy_fetch_retransmissions.pcapng",
         "lab_refused_connection_rst.pcapng", "lab_syn_loss_rto_doubling.pcapng", "lab_https_close_lost.pcapng",
         "http10_short_connections_loopback.pcap", "lab_post_expect_ignored.pcapng"]

# what stays in English inside a Chinese sentence: protocol names and acronyms, TCP flags, fields and options,
# TCP states, TLS/QUIC/HTTP message and frame names, header names and values, DNS codes, names of programs,
# files and settings, and the waterfall's one-letter phase marks (legend)
_KEPT_WORDS = """
ARP DNS HTTP HTTPS TCP UDP TLS QUIC ICMP ICMPv IP IPv ND MAC URL HTML RFC ALPN SNI CN TTL TTFB RTT iRTT RTO TLP MSS
MSL ISN ID KB SACK TSval TSecr SYN SYN-ACK ACK FIN RST seq ack C H h x c d r s t w
CLOSED CLOSE_WAIT CLOSING FIN_WAIT LAST_ACK TIME_WAIT
ClientHello ServerHello HelloRetryRequest EncryptedExtensions EndOfEarlyData Finished ChangeCipherSpec
NewSessionTicket close_notify early_data pre_shared_key Initial Handshake Retry CONNECTION_CLOSE PING SETTINGS
WINDOW_UPDATE Ping Pong Close WebSocket Sec-WebSocket-Key Sec-WebSocket-Accept Upgrade websocket
GET CONNECT Host Referer Connection close keep-alive Content-Length Content-Type Expect Continue continue Link
Not Modified Switching Protocols Proxy-Authenticate Proxy-Authorization authority
NOERROR NXDOMAIN SERVFAIL No such name Server failure rcode CNAME TC
Wireshark Linux SLL glibc OpenSSL curl wget nscd analyzer keylog SSLKEYLOGFILE FILE snaplen connect Y
SO_KEEPALIVE TCP_NODELAY tcp_syn_linear_timeouts ipv net resolv conf etc nameserver hosts robots txt favicon ico
Nagle Karn Happy Eyeballs False Start window full all NAT
gQUIC Google Chrome IETF Crypto CHLO SHLO REJ STK SCID PUBS EDNS MTU
"""
KEPT = set(_KEPT_WORDS.split())


def _literal(template: str) -> str:
    """The template's own text, without its {placeholders}."""
    return "".join(lit for lit, _name, _spec, _conv in string.Formatter().parse(template))


def test_chinese_sentences_keep_only_names_in_english():
    """Every ASCII word a Chinese sentence writes itself is a name kept in English: an English word left in
    ("DNS over TCP", "流水线（pipelining）", "tail loss probe") fails; its quotes are 「」."""
    left = {}
    for table in (TEMPLATES, LABELS, PHRASES, NOTES):
        for key, text in table["zh"].items():
            if not isinstance(text, str):
                continue
            assert not re.search("[“”‘’]", text), (key, text)     # 「」 quote: two columns in any terminal
            for word in re.findall(r"[A-Za-z][A-Za-z_-]*[A-Za-z]|[A-Za-z]", _literal(text)):
                if word not in KEPT:
                    left.setdefault(word, key)
    assert not left, left


def _fetches(name: str, lang: str):
    from analyzer.cli.timeline import stream

    return list(stream(str(CAPTURES / name), lang))


_CJK = r"[\u3400-\u9fff]"
_HALF_WIDTH = re.compile(_CJK + r"[,;:()?]|[,;:(?]" + _CJK)


@pytest.mark.parametrize("name", FILES)
def test_chinese_output_punctuation_and_line_breaks(name):
    if not (CAPTURES / name).exists():
        pytest.skip(f"{name} is not in captures/")
    fetches = _fetches(name, "zh")
    assert fetches
    for f in fetches:
        for width in (60, 80):
            text = tt.render_fetch(f, width=width)
            assert re.search(_CJK, text)
            for line in text.splitlines():
                body = line.strip()
                if not body:
                    continue
                assert not _HALF_WIDTH.search(body), (width, line)
                # quotes of ambiguous width (one column or two, by terminal): 「」 are two columns everywhere
                assert not re.search("[“”‘’]", body), (width, line)
                # the step lines start with the time and frames: what a wrapped sentence starts with is the
                # text after the column indent
                assert body[0] not in NO_LINE_START, (width, line)
                assert body[-1] not in NO_LINE_END, (width, line)
            # a list cut short in the summary ends in 等, not "..." (the steps' ladder cells may be cut with "...")
            assert "..." not in _summary(text), _summary(text)


def _summary(text: str) -> str:
    """The summary block of a rendered fetch (its rows, up to the next blank line)."""
    head = "  " + texts.label("summary", "zh")
    return next((block for block in text.split("\n\n") if block.startswith(head)), "")


def test_chinese_title_lists_the_names_looked_up_as_a_chinese_list():
    """A fetch of lookups only names what it looked up: "a、b、c 等" in Chinese where English writes "a, b, c, ..."
    (the same fetch in English has the commas, so the check is not vacuous)."""
    name = "lab_dns_mix.pcapng"
    if not (CAPTURES / name).exists():
        pytest.skip(f"{name} is not in captures/")
    en = [f for f in _fetches(name, "en") if f.kind == "lookup" and ", " in f.url]
    zh = {f.index: f for f in _fetches(name, "zh")}
    assert en
    for f in en:
        title = tt.fetch_title(zh[f.index])
        assert ", " not in title and "..." not in title, title
        names = [n for n in f.url.split(", ") if n != "..."]
        assert "、".join(names) in title, title
        assert title.count("、") == len(names) - 1
        assert ("等" in title) == f.url.endswith(", ...")
    # the summary's per-name DNS times, more names than it lists: the English row says so with "..." (not vacuous)
    assert any("..." in block for f in _fetches(name, "en") for block in tt.render_fetch(f, width=100).split("\n\n")
               if block.startswith("  " + texts.label("summary", "en")))


@pytest.mark.parametrize("name", ["lab_lossy_fetch_retransmissions.pcapng", "lab_dns_mix.pcapng"])
def test_chinese_html_report_text_punctuation(name):
    """The HTML report's text in Chinese (its head, legends, steps and summary): no half-width , ; : ( ) ?
    beside a Chinese character, nor around the source's name and the version."""
    import html

    from analyzer.report.html import fetch_section, report_head

    if not (CAPTURES / name).exists():
        pytest.skip(f"{name} is not in captures/")
    fetches = _fetches(name, "zh")
    head = "\n".join(report_head("zh", str(CAPTURES / name), True, 0))
    # the line naming the source: our own words around the file's path (and the version)
    source = html.unescape(re.sub(r"<[^>]+>", "", re.search(r'<p class="source">.*?</p>', head).group(0)))
    assert not re.search(r"[,;:()?]", source.replace(str(CAPTURES / name), "")), source
    page = head
    page += "\n".join(fetch_section(f, "zh") for f in fetches)
    page = re.sub(r"<style.*?</style>|<script.*?</script>", "", page, flags=re.DOTALL)
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert re.search(_CJK, text)
    for line in text.splitlines():
        assert not _HALF_WIDTH.search(line) and not re.search(_CJK + r"\s+\(", line), line
