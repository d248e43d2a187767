"""Display filters never fail with anything but a FilterError with a caret (issue 14).

Each case is a minimized form of what fuzzing found (../shared/fuzz-repro/filters.jsonl): deep nesting
(RecursionError in the parser, the compiler or ``re``, SyntaxError "too many nested parentheses" from Python compiling
the generated code), a long chain of one operator, a deeply nested regular expression, ``inf``/``nan`` as a
time, a lone surrogate (what a non-UTF-8 byte in ``-Y`` becomes). Long flat chains are valid filters and must
compile and give the right answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_filter_language import web_get, web_syn

from analyzer.filter import FilterError, compile_filter
from analyzer.filter._parser import MAX_DEPTH

ROOT = Path(__file__).resolve().parents[1]
REPRO = ROOT.parent / "shared" / "fuzz-repro" / "filters.jsonl"
CAPTURE = ROOT / "captures" / "lab_page_fetch.pcapng"


def rejected(text: str) -> FilterError:
    compile_filter.cache_clear()
    with pytest.raises(FilterError) as info:
        compile_filter(text)
    err = info.value
    rendered = err.render()
    lines = rendered.split("\n")
    assert len(lines) == 3 and lines[2].strip().startswith("^"), rendered
    return err


DEEP = MAX_DEPTH + 1


@pytest.mark.parametrize("text, where", [
    ("(" * 130 + "tcp" + ")" * 130, "("),
    ("not " * 200 + "tcp", "not"),
    ("! " * 200 + "tcp", "!"),
    ("len(" * 300 + "http.host" + ")" * 300 + " > 1", "len"),
    ("eth.src" + "[0:1]" * 250 + " == 00", "[0:1]"),
    ("(" * DEEP + "tcp" + ")" * DEEP, "("),
    ("(" * 10_000, "("),
])
def test_deep_nesting_is_a_filter_error_at_the_first_level_too_deep(text, where):
    err = rejected(text)
    assert "nests more than" in err.message
    assert text[err.position:].startswith(where)


def test_nesting_up_to_the_bound_compiles_and_matches():
    syn = web_syn()
    levels = MAX_DEPTH - 1
    assert compile_filter("(" * levels + "tcp" + ")" * levels)(syn)
    assert compile_filter("not " * 40 + "tcp")(syn)          # an even number of nots
    assert not compile_filter("not " * 41 + "tcp")(syn)


@pytest.mark.parametrize("op", ["or", "and", "||", "&&"])
def test_long_chains_of_one_operator_compile_flat_and_match(op):
    syn, get = web_syn(), web_get()
    many = f" {op} ".join(["tcp.flags.syn == 1"] * 5000)
    keep = compile_filter(many)
    assert keep(syn) and not keep(get)
    mixed = " or ".join(f"tcp.srcport == {port}" for port in range(1, 3000)) + " or tcp.srcport == 40000"
    assert compile_filter(mixed)(syn)


def test_long_xor_chains_keep_their_meaning():
    syn = web_syn()
    # tcp xor udp xor ip: true, false, true -> false; with one more true -> true (parity of the terms)
    assert not compile_filter("tcp xor udp xor ip")(syn)
    assert compile_filter("tcp xor udp xor ip xor eth")(syn)
    assert compile_filter(" xor ".join(["tcp"] * 999))(syn)
    assert not compile_filter(" xor ".join(["tcp"] * 1000))(syn)


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_a_deeply_nested_regular_expression_compiles_and_matches(depth):
    """Python's ``re`` ran out of recursion on 1000 nested groups (a RecursionError once); RE2 parses them
    without recursing and matches as the flat pattern would."""
    from test_filter_language import packet

    keep = compile_filter('http.host matches "' + "(" * depth + "a" + ")" * depth + '"')
    assert keep(packet(http={"http.host": "xAx"}))
    assert not keep(packet(http={"http.host": "xyz"}))


def _bounded(seconds):
    """Fail (not hang) when a match runs away: Python's ``re`` takes 2**n steps on these patterns."""
    import signal

    def alarm(signum, frame):
        raise AssertionError("a regular expression ran away")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    return old


@pytest.mark.parametrize("pattern, found", [("(a+)+$", False), ("(a|aa)*c", False), ("(a*)*b", False),
                                            ("(.*a){30}x", False), ("^(a|a)*!$", True)])
def test_matches_cannot_run_away_on_a_crafted_value(pattern, found):
    """Catastrophic backtracking patterns on a 40 kB value: RE2's time is linear in the value (with ``re``
    each of these but the last takes longer than the age of the universe), and the answer is still right."""
    import signal

    from test_filter_language import packet

    keep = compile_filter(f'http.host matches "{pattern}"')
    old = _bounded(120)
    try:
        assert keep(packet(http={"http.host": "a" * 40_000 + "!"})) is found
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("pattern, construct", [(r"(a)\\1", "backreference"), ("(?=a)b", "lookahead"),
                                                ("(?<!a)b", "lookbehind")])
def test_what_re2_lacks_is_a_filter_error_that_says_why(pattern, construct):
    err = rejected(f'http.host matches "{pattern}"')
    assert "backreferences and lookaround are not supported" in err.message, construct


def test_matches_is_case_insensitive_unless_told_and_reads_bytes_as_bytes():
    from test_filter_language import packet

    pkt = packet(http={"http.host": "WWW.Example.COM"})
    assert compile_filter('http.host matches "^www\\\\.example"')(pkt)
    assert not compile_filter('http.host matches "(?-i)^www\\\\.example"')(pkt)
    assert compile_filter('http.host matches "(?<name>example)"')(pkt)       # PCRE's named group
    get = web_get()
    assert compile_filter('tcp.payload matches "^get /index\\\\.html http/1\\\\.[01]"')(get)
    assert compile_filter('frame matches "Host: www\\\\.example\\\\.com"')(get)


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity", "1e999999999", "-1e99999"])
def test_non_finite_or_huge_times_are_filter_errors(value):
    for text in (f"frame.time_relative in {{{value}}}", f"frame.time_relative == {value}",
                 f"frame.time_delta_displayed > {value}"):
        err = rejected(text)
        assert text[err.position:].startswith(value)


def test_a_time_with_many_digits_still_compiles():
    assert compile_filter("frame.time_relative < 1e15")(web_get()) in (True, False)
    assert compile_filter("frame.time_relative >= 0." + "0" * 400 + "1") is not None


def test_lone_surrogates_in_strings_and_characters():
    # a non-UTF-8 byte on the command line arrives as \udcNN (surrogateescape): it stands for that byte
    assert compile_filter('http.host == "\udcff"') is not None
    err = rejected("ip.addr all_ne '\udcff'")
    assert err.position == len("ip.addr all_ne ")
    err = rejected('http.host == "a\ud800b"')       # a surrogate that is no escaped byte
    assert err.position == len('http.host == "a')
    shown = err.render()
    assert "\ud800" not in shown and "\\ud800" in shown


def test_control_characters_are_shown_escaped_with_the_caret_aligned():
    err = rejected("tcp and \x1b[31m")
    _message, text, caret = err.render().split("\n")
    assert "\x1b" not in text and "\\x1b" in text
    assert text.index("\\x1b") == caret.index("^")


@pytest.mark.skipif(not REPRO.exists(), reason="../shared/fuzz-repro is not beside the repository")
def test_every_filter_fuzzing_found():
    for line in REPRO.read_text().splitlines():
        text = json.loads(line)["filter"]
        compile_filter.cache_clear()
        try:
            compile_filter(text)
        except FilterError as err:
            assert err.render().count("\n") == 2


def test_the_cli_answers_a_non_utf8_filter_with_exit_2_and_no_traceback(tmp_path):
    env = dict(os.environ, LC_ALL="C.UTF-8", PYTHONIOENCODING="utf-8")
    for arg in (b"http.host == \"\xff\" and (", b"(" * 300 + b"tcp", b"frame.time_relative == inf"):
        run = subprocess.run([sys.executable, "-m", "analyzer", "read", "-Y", arg, str(CAPTURE)],
                             check=False, capture_output=True, env=env, timeout=60)
        assert run.returncode == 2, run.stderr
        err = run.stderr.decode("utf-8", "replace")
        assert "Traceback" not in err and err.startswith("analyzer: error: bad display filter:")
        assert err.rstrip("\n").split("\n")[-1].strip().startswith("^")


def test_long_chains_through_the_column_filter_and_the_cli():
    """The vectorized filter (filter/_vector.py) combines a chain in a loop too: conversations -Y with 5000
    terms once hit the recursion limit there."""
    from analyzer.filter._vector import vector_filter

    text = " or ".join(["tcp.port == 80"] * 3000) + " or udp.port == 53"
    assert vector_filter(text) is not None
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-m", "analyzer", "conversations", "-Y", text, str(CAPTURE)],
                         check=False, capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0 and "Traceback" not in run.stderr and "internal error" not in run.stderr, \
        run.stderr[-2000:]
