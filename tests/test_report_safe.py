"""Terminal safety: control characters and escape sequences from packets never reach the terminal raw."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from report_builders import ETH_IPV4, dns_query, eth, ipv4, pcap, tcp, udp

from analyzer.report.safe import json_safe, visible

ROOT = Path(__file__).resolve().parents[1]

# Anything a terminal acts on: C0 controls (ESC, BEL, BS, CR, LF...), DEL, C1 controls, bidi overrides.
TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

ATTACKS = {
    "ESC": "\x1b",
    "BEL": "\x07",
    "CSI red": "\x1b[31m",
    "clear screen": "\x1b[2J\x1b[H",
    "OSC title": "\x1b]0;pwned\x07",
    "OSC 52 clipboard": "\x1b]52;c;ZWNobyBoaQ==\x1b\\",
    "C1 CSI": "\x9b31m",
    "DEL and backspace": "abc\x7f\x08\x08",
    "CR overwrite": "safe\rEVIL",
    "bidi override": "\u202eexe.txt",
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_visible_escapes_control_sequences(name):
    shown = visible("before " + ATTACKS[name] + " after")
    assert not TERMINAL_CONTROL.search(shown), shown
    assert "\n" not in shown and "\r" not in shown
    assert shown.startswith("before ") and shown.endswith(" after")


def test_visible_spelling():
    assert visible("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert visible("\x07") == "\\x07"
    assert visible("\x9b") == "\\x9b"
    assert visible("\x7f") == "\\x7f"
    assert visible("tab\there\nnext") == "tab\\x09here\\x0anext"
    assert visible("\u202e") == "\\u202e"
    assert visible("x\udcff") == "x\\xff"  # an undecodable byte kept by surrogateescape
    assert visible(b"GET /\x1b]0;t\x07") == "GET /\\x1b]0;t\\x07"


def test_visible_keeps_ordinary_text():
    for text in ("www.example.com", "Standard query 0x33be A www.example.com", "52084 \u2192 80 [SYN]",
                 "caf\u00e9.example", "\u4f8b\u3048.jp", ""):
        assert visible(text) == text


def test_json_safe_keeps_the_value():
    value = {"dns.qry.name": "a\x1b[2J\x9b\x7f\u202eb", "n": 1}
    text = json_safe(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    assert not TERMINAL_CONTROL.search(text)
    assert json.loads(text) == value


def _run(*args):
    return subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, cwd=ROOT, timeout=60, check=False)


def _hostile_capture(tmp_path: Path) -> Path:
    """A DNS query whose name carries ESC/OSC/CSI/BEL/C1 bytes, and an HTTP-like request with an OSC title."""
    name = (b"a\x1b]0;pwned\x07", b"b\x1b[2J\x1b[H", b"c\x9b1m\x7f", b"example", b"com")
    dns = ipv4("10.0.0.1", "10.0.0.2", 17, udp("10.0.0.1", "10.0.0.2", 40000, 53, dns_query(0x4242, name)))
    http = b"GET /\x1b]0;owned\x07 HTTP/1.1\r\nHost: \x1b[31mred\r\nX: \x1bc\r\n\r\n"
    seg = ipv4("10.0.0.1", "10.0.0.2", 6, tcp("10.0.0.1", "10.0.0.2", 40001, 80, 1, 1, 0x18, payload=http))
    path = tmp_path / "hostile.pcap"
    path.write_bytes(pcap([eth(dns, ETH_IPV4), eth(seg, ETH_IPV4)]))
    return path


@pytest.mark.parametrize("mode", [[], ["-V"], ["-x"], ["--json"], ["-V", "-x"]])
def test_read_never_prints_raw_control_characters(tmp_path, mode):
    path = _hostile_capture(tmp_path)
    result = _run("read", *mode, str(path))
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode("utf-8")
    assert out
    for line in out.splitlines():
        assert not TERMINAL_CONTROL.search(line), repr(line)
    assert b"\x1b" not in result.stdout and b"\x07" not in result.stdout and b"\xc2\x9b" not in result.stdout


def test_hostile_dns_name_is_shown_escaped(tmp_path):
    path = _hostile_capture(tmp_path)
    out = _run("read", str(path)).stdout.decode()
    first = out.splitlines()[0]
    assert "DNS" in first and "0x4242" in first
    assert "pwned" in first  # shown, but as text: the escape sequence is spelled out
    assert "\\x1b" in first or "\\033" in first or "\\u001b" in first
    records = [json.loads(line) for line in _run("read", "--json", str(path)).stdout.decode().splitlines()]
    name = records[0]["dns.qry.name"]
    assert "pwned" in name and "example.com" in name


def test_utc_fields_agree_with_datetime_and_go_past_its_years():
    import random
    from datetime import UTC, datetime, timedelta

    from analyzer.report.har import iso8601
    from analyzer.report.safe import utc_fields, utc_text

    rng = random.Random(14)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for _ in range(5000):                   # years 1..9999, where datetime is the reference
        ns = rng.randrange(-62_135_596_800 * 10**9, 253_402_300_799 * 10**9)
        t = epoch + timedelta(seconds=ns // 10**9)
        assert utc_fields(ns) == (t.year, t.month, t.day, t.hour, t.minute, t.second, ns % 10**9 // 1000)
    # one second after 9999-12-31 23:59:59, where datetime stops: a damaged capture can say so, and more
    assert utc_text(253_402_300_800 * 10**9) == "10000-01-01 00:00:00.000000 UTC"
    assert iso8601(253_402_300_800 * 10**9 + 5 * 10**6) == "+10000-01-01T00:00:00.005+00:00"
    assert utc_text((253_402_300_800 + 146097 * 86400 * 100) * 10**9).startswith("50000-01-01 00:00:00")
    assert iso8601(1_700_000_000_123_456_789) == "2023-11-14T22:13:20.123+00:00"
    assert utc_text(-1) == "1969-12-31 23:59:59.999999 UTC"
