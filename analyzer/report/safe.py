"""Terminal safety: text that came from packets is shown with its control characters made visible.

Packet data is attacker-controlled. A DNS name or an HTTP header can carry ESC sequences (CSI ``ESC [``,
OSC ``ESC ]`` that sets the window title or writes the clipboard, screen clears), BEL, DEL or the 8-bit C1
controls (U+0080-U+009F, e.g. U+009B, a one-character CSI). Printed raw, they would drive the terminal of
whoever reads the output. Every string a report prints goes through :func:`visible` first, which shows each
such character as a backslash escape (``\\x1b``, ``\\x07``, ``\\x9b``) and leaves the rest alone.

Also escaped: tab, CR and LF (one frame stays one line), lone surrogates (bytes that were not valid UTF-8,
decoded with ``surrogateescape``: shown as the original byte ``\\xNN``) and the Unicode bidirectional
overrides and isolates (U+202A-U+202E, U+2066-U+2069), which can make text display in another order than
it is stored. A backslash that was in the data is left as it is.

:func:`json_safe` does the same for JSON text: the characters json.dumps leaves raw with
``ensure_ascii=False`` (DEL, C1, bidi controls, line/paragraph separators, lone surrogates) become ``\\uXXXX`` escapes, which
parse back to the same string.
"""

from __future__ import annotations

import re

# C0 controls (incl. TAB, LF, CR, ESC), DEL, C1 controls, lone surrogates, bidi embedding/override/isolate
# controls, and LINE/PARAGRAPH SEPARATOR (some terminals and editors break lines on them).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

# What json.dumps(ensure_ascii=False) does not escape by itself but a terminal or viewer might act on.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the original byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def visible(text: str | bytes) -> str:
    """``text`` with every control character shown as a visible escape; safe to print to a terminal.

    ``bytes`` are shown as ASCII with the other bytes as ``\\xNN``.
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        text = bytes(text).decode("latin-1")
        if text.isascii() and text.isprintable():
            return text
        return re.sub("[^\x20-\x7e]", _escape, text)
    if text.isprintable():  # fast path: no Cc/Cf/Zl/Zp/Cs characters at all
        return text
    return _UNSAFE.sub(_escape, text)


def _json_escape(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_safe(line: str) -> str:
    """A JSON text with the characters a terminal could act on escaped as ``\\uXXXX`` (same JSON value)."""
    if line.isascii():  # O(1) in CPython; then only DEL can be left raw by the encoder
        if "\x7f" not in line:
            return line
    elif _JSON_UNSAFE.search(line) is None:
        return line
    return _JSON_UNSAFE.sub(_json_escape, line)


def utc_fields(ns: int) -> tuple[int, int, int, int, int, int, int]:
    """``(year, month, day, hour, minute, second, microsecond)`` in UTC of ``ns`` nanoseconds since the
    epoch, for any integer: the proleptic Gregorian calendar that ``datetime`` uses, without its limit of
    years 1-9999 (a capture whose timestamps are damaged can say year 58870, and must still be shown).
    Days to a civil date by the well-known era arithmetic (400-year eras of 146097 days, years from March)."""
    secs, frac = divmod(ns, 1_000_000_000)
    days, rem = divmod(secs, 86400)
    z = days + 719468                      # days since 0000-03-01
    era = z // 146097
    doe = z - era * 146097                 # day of the era, 0..146096
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153              # month from March, 0..11
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    return year, month, day, rem // 3600, rem % 3600 // 60, rem % 60, frac // 1000


def utc_text(ns: int) -> str:
    """``ns`` since the epoch as "YYYY-MM-DD HH:MM:SS.ffffff UTC", whatever the year."""
    y, mo, d, h, mi, s, us = utc_fields(ns)
    return f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}.{us:06d} UTC"
