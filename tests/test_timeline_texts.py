"""The timeline's sentences (analyzer.timeline.texts) and the terminal's line breaking (report/timeline_text)."""

from __future__ import annotations

import re
import string

import pytest

from analyzer.report.timeline_text import NO_LINE_END, NO_LINE_START, width_of, wrap
from analyzer.timeline import texts
from analyzer.timeline.texts import LABELS, NOTES, PHRASES, TEMPLATES, count, duration, explain, frames_list

FULL_WIDTH = set("，。：；（）「」、！？")


def fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _lit, name, _spec, _conv in string.Formatter().parse(template)
            if name}


def sample(name: str):
    """A plausible value for any fact: numbers for numbers, text for text."""
    if name in ("options",):
        return [("mss", 1460), ("wscale", 7), ("sack_perm", True), ("timestamps", True)]
    if name in ("frames",):
        return [5, 7, 9]
    if name in ("closer", "other", "side", "by", "sender", "peer", "receiver"):
        return "client"
    if name.endswith(("_ms", "_s")) or name in ("ms", "total_ms"):
        return 12.5
    if name in ("count", "attempts", "attempt", "dup_acks", "requests", "segments", "size", "length", "ttl",
                "first_len", "decoded_size", "lost_bytes", "n", "early", "req_records", "early_records"):
        return 3
    return "X"


def test_every_template_has_a_chinese_twin_with_the_same_facts():
    en, zh = TEMPLATES["en"], TEMPLATES["zh"]
    assert set(en) == set(zh)
    for key, text in en.items():
        assert fields(text) == fields(zh[key]), key
    assert set(PHRASES["en"]) == set(PHRASES["zh"])
    assert set(NOTES["en"]) == set(NOTES["zh"])
    assert set(LABELS["en"]) == set(LABELS["zh"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_template_fills_without_a_missing_fact(lang):
    phrase_fields = set().union(*(fields(t) for t in PHRASES[lang].values()))
    for key, text in TEMPLATES[lang].items():
        facts = {name: sample(name) for name in fields(text) | phrase_fields}
        facts.update({"why": "referer", "qtype": "AAAA", "fill_frame": 9, "fast": True, "orig_frame": 3,
                      "resumed_frame": 8, "after": 4, "half": True, "doubled": True, "answer": 12,
                      "encoded": True, "codings": "gzip", "referer": "http://x/"})
        out = explain(key, facts, lang)
        literal = re.sub(r"\{[^}]*\}", "", text).count("?")
        assert out.count("?") == literal, (key, out)
        assert "{" not in out and "}" not in out, (key, out)


def test_chinese_uses_full_width_punctuation():
    for key, text in TEMPLATES["zh"].items():
        plain = re.sub(r"\{[^}]*\}", "", text)
        # ASCII punctuation between Chinese characters would read as a typo
        assert not re.search(r"[\u4e00-\u9fff][,.;:()!?][\u4e00-\u9fff]?", plain), (key, plain)
        assert any(ch in FULL_WIDTH for ch in plain), key


def test_durations_read_naturally():
    assert duration(0.0005) == "0.5 µs"
    assert duration(0.145) == "145 µs"
    assert duration(12.34) == "12.34 ms" and duration(1.006) == "1.006 ms" and duration(206.6) == "206.6 ms"
    assert duration(1006.4) == "1.006 s"
    assert duration(0.145, "zh") == "145 微秒" and duration(1006.4, "zh") == "1.006 秒"
    assert count(1, "request") == "1 request" and count(3, "request") == "3 requests"
    assert count(2, "DNS query/DNS queries") == "2 DNS queries" and count(2, "x", "zh") == "2"
    assert frames_list([5, 7, 9]) == "5, 7 and 9" and frames_list([5, 7], "zh") == "5 和 7"


def test_wrap_counts_wide_characters_twice_and_keeps_words():
    text = "HTTP 响应：200 OK，text/html，正文 524 字节。首字节时间（TTFB）为请求发出后 166 微秒。"
    for width in (20, 30, 47):
        lines = wrap(text, width)
        assert all(width_of(line) <= width for line in lines), lines
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        assert all("524" in line or "52" not in line for line in lines)      # a number is not cut
    assert wrap("a" * 30, 10) == ["a" * 10] * 3
    assert wrap("one two three", 7) == ["one two", "three"]


def test_wrap_keeps_a_duration_with_its_unit():
    """"1.006 s" is never cut into "1.006" at the end of a line and "s" at the start of the next, in English or
    Chinese, at any width from 20 columns (narrower, no line may be wider than asked: that comes first); the
    words and spaces are all still there."""
    import itertools
    import re

    texts = [("TCP connect (first SYN -> this ACK): 1.006 s = 1.006 s spent waiting to retransmit the SYN (2 "
              "attempts in all) + 145 µs for the round trip, 12.5 ms later, 2 min 5 s in all."),
             ("TCP 建连耗时（首个 SYN 到这个 ACK）为 6.982 秒 = 等待重传 SYN 的 3.010 秒（共尝试 2 次）+ 成功那次 "
              "SYN 的往返时间 3.972 秒，另有 145 微秒和 12.5 毫秒。")]
    unit = re.compile(r"^(µs|ms|s|min|微秒|毫秒|秒|分)(\W|$)")
    for text in texts:
        for width in range(10, 70):
            lines = wrap(text, width)
            assert all(width_of(line) <= width for line in lines), (width, lines)
            assert "".join(lines).replace(" ", "") == text.replace(" ", "")
            for a, b in itertools.pairwise(lines if width >= 20 else ()):
                assert not (a[-1].isdigit() and unit.match(b)), (width, a, b)
            assert "\0" not in "".join(lines)


def test_wrap_never_starts_a_line_with_closing_punctuation():
    for text in ("客户端确认服务器的 SYN（ack = 服务器 ISN + 1 = 900001，相对 1），连接建立。这是第二句话：没有问题。",
                 # a narrow word between two commas: the carried word must not bring the first comma along
                 "HTTP 响应：200 OK，text/css，正文 243 字节。首字节时间（TTFB）为请求发出后 3.293 毫秒。"):
        for width in range(12, 50):
            lines = wrap(text, width)
            assert "".join(lines).replace(" ", "") == text.replace(" ", "")
            for line in lines:
                assert line[0] not in NO_LINE_START, (width, line)
                assert line[-1] not in NO_LINE_END, (width, line)


def test_ascii_wrap_is_the_greedy_wrap():
    """wrap() of ASCII text (a line per rfind, not a step per word) gives the greedy wrap by definition: each
    line as many of the remaining words as fit with one space between, a word longer than a line cut into
    pieces of the width; on random texts with runs of spaces, tabs and long words."""
    import random

    def greedy(text: str, width: int) -> list[str]:
        lines: list[str] = []
        line = ""
        for word in text.split():
            while len(word) > width:
                if line:
                    lines.append(line)
                    line = ""
                lines.append(word[:width])
                word = word[width:]
            if not line:
                line = word
            elif len(line) + 1 + len(word) <= width:
                line += " " + word
            else:
                lines.append(line)
                line = word
        if line:
            lines.append(line)
        return lines or [""]

    rng = random.Random(10)
    for _ in range(3000):
        width = rng.randint(10, 90)
        words = ["x" * rng.choice([1, 2, 3, 5, 8, 13, width - 1, width, width + 1, 2 * width + 3])
                 for _ in range(rng.randint(0, 40))]
        text = "".join(w + rng.choice([" ", "  ", "\t", " \n "]) for w in words)
        text = rng.choice(["", " ", "\t"]) + text
        assert wrap(text, width) == greedy(text, width), (text, width)


class _Reading(dict):
    """Facts that note being read: a template whose :func:`_derived` branch reads any fact has derived facts."""

    read = False

    def get(self, key, default=None):
        self.read = True
        return default

    def __getitem__(self, key):
        self.read = True
        raise KeyError(key)

    def __contains__(self, key):
        self.read = True
        return False


def _has_derived(template: str, lang: str) -> bool:
    probe = _Reading()
    try:
        extra = texts._derived(template, probe, lang)
    except Exception:       # noqa: BLE001 - a branch that needs its facts
        return True
    return bool(extra) or probe.read


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_derived_table_names_every_template_with_derived_facts(lang):
    # explain() calls _derived only for the templates DERIVED and DERIVED_PREFIXES cover: one left out would
    # lose its phrases
    names = {name for table in TEMPLATES.values() for name in table}
    with_derived = {name for name in names if _has_derived(name, lang)}
    covered = {name for name in names if name in texts.DERIVED or name.startswith(texts.DERIVED_PREFIXES)}
    assert with_derived - covered == set()          # a branch of _derived not in the table
    assert covered - with_derived == set()          # in the table, but nothing derived
    assert texts.DERIVED <= names                   # no name of a template that is gone
    assert all(any(n.startswith(p) for n in names) for p in texts.DERIVED_PREFIXES)
    assert {"http.response", "tcp.retransmission", "tls.exchange.h2"} <= covered


def test_derived_facts_reach_the_text():
    # a template of the table gets its phrase in explain(): the reason given changes the sentence
    facts = {"why": "gap", "lost": 100, "method": "GET", "uri": "/x"}
    for lang in ("en", "zh"):
        why = texts._derived("http.no_response", dict(facts), lang)["why_text"]
        assert why and why in explain("http.no_response", facts, lang)
        assert explain("http.no_response", facts, lang) != explain("http.no_response", {**facts, "why": "rst"}, lang)


def test_narrow_wrap_is_the_token_wrap():
    """A text with non-ASCII but narrow characters ("145 µs", "…", "’") and no word longer than a line takes
    the ASCII wrap (report/timeline_text._narrow_words): the same lines as the token loop every other text
    takes, closing and opening marks included (on random texts; a wide character keeps the token loop)."""
    import random

    from analyzer.report import timeline_text as tt

    rng = random.Random(7)
    pieces = ["µs", "12.5", "ms", "é", "naïve", "—", "…", "’", "”", "“", "(", ")", ",", ".", "%", "a", "word",
              "\0µs", "frames", "·", "§3"]
    wide = [*pieces, "毫秒", "）"]          # a text with wide characters: the token loop
    blanks = [" ", " ", " ", "  ", "\t", "\xa0", " \n "]
    fast = 0
    for i in range(3000):
        some = wide if i % 3 == 0 else pieces
        words = ["".join(rng.choice(some) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(0, 30))]
        text = "".join(w + rng.choice(blanks) for w in words)
        width = rng.randint(10, 50)
        fast += tt._narrow_words(text, width)
        assert tt._wrap(text, width) == tt._wrap_tokens(text, width), (text, width)
    assert fast > 1200
    assert not tt._narrow_words("3.972 毫秒", 80) and tt._narrow_words("3.972 ms, 145 µs", 80)


def test_long_durations_read_in_hours_and_days():
    # a capture of hours, and a file that joins captures taken years apart (linktype_raw101: ~10.8 years)
    minute, hour, day = 60_000, 3_600_000, 86_400_000
    assert duration(119 * minute + 59_000) == "119 min 59 s"
    assert duration(2 * hour) == "2 h 00 min" and duration(2 * hour + 5 * minute + 59_000) == "2 h 05 min"
    assert duration(47 * hour + 59 * minute) == "47 h 59 min"
    assert duration(3948 * day + 2 * hour + 30 * minute) == "3,948 d 2 h"
    assert duration(3 * hour, "zh") == "3 小时 00 分" and duration(2 * day, "zh") == "2 天 0 小时"


def test_frames_list_of_nothing_and_of_empty_items():
    # (a fuzzed capture once reached a phrase with an empty list of frames: IndexError in both languages)
    assert frames_list([]) == "" and frames_list([], "zh") == ""
    assert frames_list(["", ""]) == " and " and frames_list(["", "x"], "zh") == " 和 x"
    assert frames_list([5, 7, 9], "zh") == "5、7 和 9" and frames_list(["页面", "脚本"], "zh") == "页面和脚本"
