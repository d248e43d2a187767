"""The text renderer's fast paths (report/timeline_text) against its general ones: the lines of a fetch added
as strings for an output without colour (``Out.line``) against the styled pieces, the ASCII wrap of a text
already spaced against the one that splits and joins its words, the unit glue written with lookarounds
against the regex that took the digit and the unit."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from analyzer.report import timeline_text as tt
from analyzer.timeline.texts import TEMPLATES

CAPTURES = Path(__file__).resolve().parent.parent / "captures"
# a capture per kind of fetch: a page with resources, IPv6 with ND, refused and unanswered connections, losses
FILES = ["lab_page_fetch.pcapng", "lab_ipv6_page_fetch.pcapng", "lab_refused_connection_rst.pcapng",
         "lab_silent_host_syn_timeout.pcapng", "lab_lossy_fetch_retransmissions.pcapng", "lab_wget_page_robots.pcapng",
         "lab_https_page_fetch.pcapng", "lab_dns_mix.pcapng"]


def _fetches(name: str, lang: str):
    from analyzer.cli.timeline import stream

    path = CAPTURES / name
    return list(stream(str(path), lang))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", FILES)
def test_plain_lines_are_the_styled_pieces_joined(name, lang):
    fetches = _fetches(name, lang)
    assert fetches
    for f in fetches:
        for width in (40, 80, 100, 160):
            plain = tt.fetch_out(f, width, plain=True)
            styled = tt.fetch_out(f, width, plain=False)
            assert any(line.__class__ is str for line in plain.lines)       # the fast path was taken
            assert not any(line.__class__ is str for line in styled.lines)
            assert plain.text(False, width) == styled.text(False, width)
            assert tt.render_fetch(f, width=width) == styled.text(False, width)


def test_plain_lines_through_rich_are_the_styled_ones_unstyled():
    # a line added as one string is one unstyled piece for rich: the colour output of a plain Out is the
    # styled one with its styles left out
    out = tt.Out(plain=True)
    out.line("  a  b   ")
    out.add("  a", ("  b", "red"), "   ")
    got = out.text(True, 40).split("\n")
    assert got[0] == "  a  b" and got[1].endswith("\x1b[0m") and "\x1b[31m" in got[1]


_OLD_UNIT = re.compile(r"(\d) (µs|ms|s|min|h|d|微秒|毫秒|秒|分|小时|天)(?![\w\u4e00-\u9fff])")


def test_unit_glue_is_the_old_substitution():
    rng = random.Random(3)
    pieces = ["1", "12.5", " ", " ", "  ", "ms", "s", "min", "mins", "µs", "微秒", "毫秒", "秒", "分", "分钟", "x",
              "s.", "ms,", "9", "\t", "(", "sa", "号", "h", "d", "hd", "h.", "小时", "天", "天气"]
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 20)))
        assert tt._UNIT.sub("\0", text) == _OLD_UNIT.sub("\\1\0\\2", text), repr(text)
    assert tt._UNIT.sub("\0", "5 ms 7 s 3 mins 4 秒") == "5\0ms 7\0s 3 mins 4\0秒"
    assert tt._UNIT.sub("\0", "2 h 05 min, 3,948 d 2 h, 3 hd, 2 小时 05 分") == \
        "2\0h 05\0min, 3,948\0d 2\0h, 3 hd, 2\0小时 05\0分"


def test_spaced_ascii_wrap_is_the_split_one():
    # wrap() skips split/join for a printable ASCII text with single spaces and no space at its ends: the
    # same lines as the general ASCII wrap, long words (cut) and durations (glued) included
    rng = random.Random(11)
    taken = 0
    for _ in range(4000):
        width = rng.randint(10, 90)
        words = [rng.choice(["x" * rng.choice([1, 2, 3, 5, 8, 13, width - 1, width, width + 1, 2 * width + 3]),
                             "12.5 ms", "3 s", "7 min", "(145 µs)" if rng.random() < 0.1 else "145", "a,", "#5"])
                 for _ in range(rng.randint(1, 40))]
        text = "".join(w + (rng.choice(["\t", "\n", "\x1f", "\x0b"]) if rng.random() < 0.02 else " ")
                       for w in words)[:-1]      # now and then a single other blank: not spaced
        spaced = text.isascii() and text.isprintable() and "  " not in text and text[:1] != " " != text[-1:]
        taken += spaced
        glued = tt._UNIT.sub("\0", text) if width >= 20 else text
        general = [line.replace("\0", " ") for line in tt._wrap_ascii(glued, width)]
        if text.isascii() and len(text) <= width and "\0" not in text:
            general = [" ".join(text.split())]
        assert tt.wrap(text, width) == general, (text, width)
        assert tt._wrap_ascii(glued, width, True) == tt._wrap_ascii(glued, width) or not spaced
    assert 1000 < taken < 3900


def test_wrap_of_every_english_template_is_unchanged_by_the_fast_path():
    # the templates as texts (their fields left in): spaced, with durations and long words
    for text in TEMPLATES["en"].values():
        for width in (20, 33, 60, 79):
            glued = tt._UNIT.sub("\0", text) if width >= 20 else text
            expect = [line.replace("\0", " ") for line in tt._wrap_ascii(glued, width)] if text.isascii() \
                else tt.wrap(text, width)
            if text.isascii() and len(text) <= width:
                expect = [" ".join(text.split())]
            assert tt.wrap(text, width) == expect


_COMPILED = pytest.mark.skipif(tt._STEPS_PLAIN is None,
                               reason="the compiled helper is not built here (or ANALYZER_PURE_PYTHON is set)")


def _step_lines(steps, text_w: int, compiled: bool, monkeypatch) -> list:
    from types import SimpleNamespace

    monkeypatch.setattr(tt, "STEPS_COMPILED", compiled)
    out = tt.Out(plain=True)
    tt._steps_plain(out, SimpleNamespace(steps=tuple(steps)), 11, 10, text_w, " " * 31)
    return out.lines


@_COMPILED
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", FILES)
def test_compiled_step_lines_are_the_python_ones(name, lang, monkeypatch):
    fetches = _fetches(name, lang)
    for f in fetches:
        for width in (40, 80, 110, 160):
            got = _step_lines(f.steps, width - 31, True, monkeypatch)
            assert got == _step_lines(f.steps, width - 31, False, monkeypatch)
            assert all(line.__class__ is str for line in got)


@_COMPILED
def test_compiled_step_lines_on_random_steps(monkeypatch):
    # texts with durations (in µs too: taken, but not when a word is longer than a line), long words, runs of
    # blanks, control and other non-ASCII characters (declined: written by Python), times either side of 100 s, frames of every shape frames_text takes, odd layers
    from analyzer.timeline.model import Step

    rng = random.Random(5)
    words = ["x", "abc", "12.5 ms", "3 s", "7 min", "9 mins", "5 ms2", "4 s.", "(145 µs)", "a,", "#5", "", " ",
             "\t", "\x1b[2J", "页面", "y" * 30, "z" * 75, "8 min)", "0 s_", "820 µs", "3 µsx", "9 µs.", "5µs", "µ",
             "1 µsµ", "2 sµ", "4 msµ", "µ" * 30, "é", "\xa0", "\x85", "2 h", "05 min", "3,948 d", "7 hx", "8 d."]
    frames = [None, (), (1,), (3, 4), (5, 6, 7), tuple(range(10, 30)), (1 << 62,), (1 << 70, 2), [1, 2], 7,
              (True,), (-3, 0)]
    steps = []
    for _ in range(3000):
        text = "".join(rng.choice(words) + rng.choice([" ", " ", " ", "  ", ""]) for _ in range(rng.randint(0, 25)))
        t = rng.choice([0.0, -0.0, 1e-9, 0.0995, 99.9999, 100.0, 123.4567, 1e7, rng.random() * 200])
        steps.append(Step(rng.choice(frames), t, None, rng.choice(["tcp", "http", "dns", "tls", "nd", "quic!",
                                                                   "ç", ""]),
                          "k", text, {}, rng.random() < 0.2))
    taken = 0
    for width in (10, 19, 20, 21, 49, 79, 129):
        for i in range(0, len(steps), 30):
            chunk = steps[i:i + 30]
            got = _step_lines(chunk, width, True, monkeypatch)
            assert got == _step_lines(chunk, width, False, monkeypatch), (width, chunk)
        i = 0
        while i < len(steps):                   # the steps the compiled code wrote (the others it declined)
            j = tt._STEPS_PLAIN([], steps, i, width)
            taken += j - i
            i = j + 1
    assert 2000 < taken < 7 * 2500


def _ladder_lines(rows, width: int, compiled: bool, monkeypatch) -> list:
    from types import SimpleNamespace

    monkeypatch.setattr(tt, "STEPS_COMPILED", compiled)
    out = tt.Out(plain=True)
    tt.ladder_part(out, SimpleNamespace(ladder=tuple(rows), client="10.0.0.2"), "en", width)
    return out.lines


@_COMPILED
def test_compiled_ladder_lines_on_random_rows(monkeypatch):
    # labels short and longer than the arrow, repeated (drawn once by Python, then taken from its table) and
    # not, with control and wide characters (declined), rows with and without a frame, both directions
    from analyzer.timeline.model import LadderRow

    rng = random.Random(8)
    labels = ["SYN", "ACK", "GET / HTTP/1.1", "data seq=1 len=1448", "x" * 40, "y" * 120, "\x1b]0;t\x07", "应答",
              "", "µs 5", "[3 segments]"]
    peers = ["198.51.100.80:80", "DNS 8.8.8.8", "ARP", "[2001:db8::1]:443" * 3, "页面.example:80"]
    rows = [LadderRow(rng.choice([0, 1, 17, 123456, 1 << 40, -5, 1 << 64]),
                      rng.choice([0.0, -0.0, 0.0123, 99.5, 12345.678912, rng.random()]),
                      rng.choice(["client", "peer"]), rng.choice(peers), "tcp",
                      rng.choice(labels) + (str(rng.randrange(100)) if rng.random() < 0.5 else ""))
            for _ in range(3000)]
    for width in (40, 63, 80, 110, 200):
        for i in range(0, len(rows), 40):
            chunk = rows[i:i + 40]
            assert _ladder_lines(chunk, width, True, monkeypatch) == _ladder_lines(chunk, width, False, monkeypatch)
    got: list = []          # an ASCII label's arrow is drawn by the compiled code: every row taken
    assert tt._LADDER_PLAIN(got, [LadderRow(5, 0.5, "client", "p", "tcp", "SYN")] * 5, 0, {}, {"p": "p"}, 40) == 5
    # 4 + the time in 10 columns, 2 + the frame in 6, 2 + "-- SYN " and 40 - 5 - 3 dashes + ">", 2 + the peer
    assert got == ["    " + "   500.000" + "  " + "     5" + "  " + "-- SYN " + "-" * 32 + ">" + "  p"] * 5
