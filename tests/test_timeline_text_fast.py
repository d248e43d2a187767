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


_OLD_UNIT = re.compile(r"(\d) (µs|ms|s|min|微秒|毫秒|秒|分)(?![\w\u4e00-\u9fff])")


def test_unit_glue_is_the_old_substitution():
    rng = random.Random(3)
    pieces = ["1", "12.5", " ", " ", "  ", "ms", "s", "min", "mins", "µs", "微秒", "毫秒", "秒", "分", "分钟", "x",
              "s.", "ms,", "9", "\t", "(", "sa", "号"]
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 20)))
        assert tt._UNIT.sub("\0", text) == _OLD_UNIT.sub("\\1\0\\2", text), repr(text)
    assert tt._UNIT.sub("\0", "5 ms 7 s 3 mins 4 秒") == "5\0ms 7\0s 3 mins 4\0秒"


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
