"""JSON Lines: one object per frame whose keys are Wireshark field names and values those of ``Packet.fields``.

Values are what the decoders put in the packet, which follow tshark's ``-T fields`` text: numbers are JSON
numbers, hex-shown fields keep tshark's text (``"eth.type": "0x0800"``), addresses are strings, a field
repeated in a frame is a list in packet order. ``bytes`` values (an unknown DNS record's data) become hex
text, as tshark prints them.

``frame.time_epoch`` is written as a JSON number with exactly 9 decimals (``1663807554.585086000``): the
decoder gives it as that text and we splice the text into the JSON ourselves, because a float would lose the
nanoseconds. Parse it with ``json.loads(line, parse_float=decimal.Decimal)`` to keep them.

This is the hot path of ``analyzer read --json`` (benchmarked over >1M packets): one C-accelerated encode per
frame (orjson when it is installed, else the standard library's encoder), a bounded ``str.replace`` for the
timestamp, and a check for terminal-unsafe characters done with C string scans for the usual lines (ASCII,
or ASCII plus the middle dots of ``tcp.flags.str``), the regex of :func:`json_safe` only for the others.
:func:`json_line_bytes` gives the same line as UTF-8 bytes straight from orjson, for a binary stdout.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from analyzer.compiled import compiled
from analyzer.decode.packet import EMPTY_BYTES, Packet
from analyzer.report.safe import json_safe

TIME_EPOCH = "frame.time_epoch"


def _default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex() or EMPTY_BYTES
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"field value of type {type(value).__name__} is not JSON serializable")


# The standard library's C encoder is markedly slower when given a ``default`` hook, so the common case
# (only str/int/list values) runs without it and a frame with bytes values is encoded again with it.
_plain = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_with_default = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False,
                                 default=_default).encode


def _encode_stdlib(fields: dict[str, Any]) -> str:
    try:
        return _plain(fields)
    except TypeError:
        return _with_default(fields)


try:  # optional accelerator, same JSON values (several times faster than the standard library)
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None


def _encode_orjson(fields: dict[str, Any]) -> str:
    try:
        return orjson.dumps(fields, default=_default).decode()
    except TypeError:  # e.g. an int beyond 64 bits: the standard library handles anything
        return _encode_stdlib(fields)


encode_fields = _encode_orjson if orjson is not None else _encode_stdlib


# U+00B7 MIDDLE DOT: the unset flags of tcp.flags.str ("·······A···F"), the usual non-ASCII character here.
_DOT = "\u00b7"
_DOT_UTF8 = _DOT.encode()


def _safe_text(text: str) -> str:
    """:func:`json_safe`, with a fast exit: a line that is ASCII once middle dots are taken out can hold no
    terminal-unsafe character the encoder left raw except DEL."""
    if (text.isascii() or text.replace(_DOT, "").isascii()) and "\x7f" not in text:
        return text
    return json_safe(text)


def json_line(pkt: Packet) -> str:
    """One frame as a JSON object on one line (no newline)."""
    fields = pkt.fields
    text = encode_fields(fields)
    epoch = fields.get(TIME_EPOCH)
    if type(epoch) is str:
        # Only the first occurrence, which is the frame layer's, near the start: the scan stops there.
        text = text.replace(f'"{TIME_EPOCH}":"{epoch}"', f'"{TIME_EPOCH}":{epoch}', 1)
    return _safe_text(text)


_EPOCH_KEY = f'"{TIME_EPOCH}":'.encode()
# the epoch splice and the terminal check below in C (analyzer/columnar/_speedups.c ``json_tail``): the same bytes,
# or None where the line needs escapes (tests/test_read_fast_json.py); None where the helper is not built
_JSON_TAIL = compiled("json_tail")


def json_line_bytes(pkt: Packet) -> bytes:
    """``json_line(pkt)`` encoded as UTF-8 (no newline), without a round trip through ``str`` when orjson
    is the encoder (valid UTF-8 and no lone surrogates: orjson refuses them, and then the text path runs)."""
    if encode_fields is not _encode_orjson:
        return json_line(pkt).encode()
    fields = pkt.fields
    try:
        data = orjson.dumps(fields, default=_default)
    except TypeError:
        return json_line(pkt).encode()
    epoch = fields.get(TIME_EPOCH)
    if _JSON_TAIL is not None:
        line = _JSON_TAIL(data, epoch)      # what follows, in one C pass; None where escapes are needed
        if line is not None:
            return line
    if type(epoch) is str:
        e = epoch.encode()
        data = data.replace(_EPOCH_KEY + b'"' + e + b'"', _EPOCH_KEY + e, 1)
    # Deleting the bytes C2 and B7 leaves ASCII only if every non-ASCII character was U+00B7 (in valid
    # UTF-8 a C2 lead byte needs a continuation byte, and B7 a lead byte, and no other is left).
    if (data.isascii() or data.translate(None, _DOT_UTF8).isascii()) and b"\x7f" not in data:
        return data
    return json_safe(data.decode()).encode()


def write_json_lines(packets: Iterable[Packet], out: TextIO, batch: int = 512) -> int:
    """Write one line per packet to ``out`` in batches; the number of lines written."""
    lines: list[str] = []
    append = lines.append
    count = 0
    for pkt in packets:
        append(json_line(pkt))
        if len(lines) >= batch:
            lines.append("")
            out.write("\n".join(lines))
            count += len(lines) - 1
            lines.clear()
    if lines:
        lines.append("")
        out.write("\n".join(lines))
        count += len(lines) - 1
    return count


# -- report rows (http --json, dns --json) ---------------------------------------------------------------------
def _json_float(value: Any) -> bool:
    """orjson writes this float as ``json.dumps`` does: 0, or a finite magnitude from 1e-4 up to 1e16, where
    both give the shortest round-trip digits without an exponent (orjson writes ``1e-7`` and ``0.000025`` where
    the standard library writes ``1e-07`` and ``2.5e-05``; tests/test_json_rows.py holds the range)."""
    return value == 0.0 or 1e-4 <= abs(value) < 1e16       # NaN and the infinities fail both


_ROW_TEXT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def row_lines(items: Iterable[dict[str, Any]], float_keys: tuple[str, ...]) -> Iterator[str]:
    """:func:`analyzer.report.columns.json_lines` of report rows, the same lines, orjson writing those it writes
    as the standard library does. ``float_keys``: the only keys whose values may be floats (the row maker's:
    :func:`analyzer.report.http.row`, :func:`analyzer.report.dns.row`); a row with a float there outside
    :func:`_json_float`'s range, or anything orjson refuses (an int beyond 64 bits, a lone surrogate, a key that
    is not a string), goes through the standard library."""
    dumps = orjson.dumps if orjson is not None else None
    for item in items:
        text = None
        if dumps is not None:
            for key in float_keys:
                value = item.get(key)
                if type(value) is float and not _json_float(value):
                    break
            else:
                try:
                    text = dumps(item).decode()
                except TypeError:
                    pass
        if text is None:
            text = _ROW_TEXT(item)
        yield json_safe(text)
