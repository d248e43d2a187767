"""Text and JSON rows for ``analyzer conversations``: TCP connections and UDP conversations.

Builders only (they return strings); the CLI prints. The table follows ``tshark -z conv,tcp`` (endpoints,
frames and bytes each way, relative start, duration) with Zeek's state and history, the initial RTT and who
closed. Addresses and everything else from packets go through :func:`analyzer.report.safe.visible`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from analyzer.compiled import compiled
from analyzer.report.columns import endpoint as _endpoint
from analyzer.report.safe import json_safe, visible

# The keys every JSON line has (issue 3), in this order, then the details.
JSON_KEYS = ("proto", "stream", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "conn_state", "history",
             "orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes", "duration", "irtt", "closed_by",
             "time_wait")
_INTERNAL = ("first_ts_ns", "last_ts_ns")
# The keys :func:`table` reads (a caller may keep only these per row).
TABLE_KEYS = ("proto", "stream", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "orig_pkts", "resp_pkts",
              "orig_frame_bytes", "resp_frame_bytes", "first_ts_ns", "duration", "orig_guessed", "irtt",
              "conn_state", "history", "closed_by", "time_wait", "first_frame")




def _size(n: int) -> str:
    """Bytes as tshark's conversation table shows them."""
    if n < 10_000:
        return f"{n} bytes"
    for unit, div in (("kB", 1000), ("MB", 1000 ** 2), ("GB", 1000 ** 3)):
        if n < 10_000 * div or unit == "GB":
            return f"{n // div} {unit}"
    return f"{n} bytes"


def _seconds_to_float(text: str | None) -> float | None:
    return None if text is None else float(text)


def json_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One JSON object per connection, issue 3's keys first (durations in seconds as numbers)."""
    for row in rows:
        obj = {key: row.get(key) for key in JSON_KEYS}
        obj["duration"] = _seconds_to_float(row.get("duration"))
        obj["irtt"] = _seconds_to_float(row.get("irtt"))
        obj["ts"] = _seconds_to_float(row.get("ts"))
        for key, value in row.items():
            if key not in obj and key not in _INTERNAL:
                obj[key] = value
        yield json_safe(json.dumps(obj, ensure_ascii=False))


def table(rows: Iterable[Mapping[str, Any]], proto: str, capture_start_ns: int | None = None,
          filter_text: str | None = None) -> str:
    """The conversations of one protocol as a table (``orig -> resp`` is "->", as tshark's A -> B);
    ``filter_text`` is the display filter the frames were selected with, if any."""
    return "\n".join(table_lines(rows, proto, capture_start_ns, filter_text))


def table_lines(rows: Iterable[Mapping[str, Any]], proto: str, capture_start_ns: int | None = None,
                filter_text: str | None = None) -> Iterator[str]:
    """:func:`table` line by line. ``rows`` is iterated twice (widths first), so it may be a re-readable
    store rather than a list: nothing per row is kept here. A store with ``tuples(keys)`` (the spilled rows
    of :mod:`analyzer.columnar.rows`) is read as value tuples, without a mapping per row; one with
    ``table_widths(proto)`` that answers is read once (the widths were kept as its rows came)."""
    title = "TCP Conversations" if proto == "tcp" else "UDP Conversations"
    w, sw, first = 21, 2, None
    prefixes: dict[Any, str] = {}       # address -> "addr:" or "[addr]:" (the endpoint text without the port)

    def prefix(addr: Any) -> str:
        text = prefixes.get(addr)
        if text is None:
            text = prefixes[addr] = _endpoint(addr, "")
        return text

    longest = 0
    summary = getattr(rows, "table_widths", None)
    summary = summary(proto) if summary is not None else None
    if summary is not None:
        # (a store that kept them as its rows came: analyzer.columnar.rows.SpilledRows.table_widths)
        ends, streams, first = summary
        for addr, port_len in ends.items():
            longest = max(longest, len(prefix(addr)) + port_len)
        sw = max(sw, streams)
    else:
        for p_, stream, oh, op, rh, rp, ts in _tuples(rows, _WIDTH_KEYS):
            if p_ != proto:
                continue
            longest = max(longest, len(prefix(oh)) + len(str(op)), len(prefix(rh)) + len(str(rp)))
            sw = max(sw, len(str(stream)))
            if first is None or ts < first:
                first = ts
    w = max(w, longest)
    if capture_start_ns is None:
        capture_start_ns = first or 0
    head = (f"{'#':<{sw}} {'Originator':<{w}}     {'Responder':<{w}} {'<- Frames':>9} {'Bytes':>11} "
            f"{'-> Frames':>9} {'Bytes':>11} {'Total':>7} {'Bytes':>11} {'Rel Start':>12} {'Duration':>10}")
    tcp = proto == "tcp"
    if tcp:
        head += f"  {'State':<6} {'History':<16} {'iRTT':>9}  {'Closed':<6} {'TIME_WAIT':<9}"
    else:
        head += f"  {'State':<6} {'History':<16}"
    yield "=" * len(head)
    yield title
    # (escaped: a byte of -Y that was not UTF-8 cannot be written to a UTF-8 terminal, and a control must not
    # drive it)
    yield f"Filter:{visible(filter_text) if filter_text else '<No Filter>'}"
    yield head
    # (per line: the formats of the widths made once; the text after the durations made once per distinct
    # state, guess, history, closer and TIME_WAIT side, the iRTT formatted between)
    pre = prefixes.get
    left = f"{{:<{sw}}} {{:<{w}}} <-> {{:<{w}}} {{:>9}} {{:>11}} {{:>9}} {{:>11}} {{:>7}} {{:>11}} ".format
    tails: dict[tuple, tuple[str, str]] = {}
    # the compiled line (analyzer.columnar._speedups.table_line: the same text; None for a row it does not
    # take), the prefixes of every address being known from the width pass
    line_c = _compiled_line() if capture_start_ns.__class__ is int and abs(capture_start_ns) < 1 << 62 else None
    for row in _tuples(rows, _LINE_KEYS):
        if row[0] != proto:
            continue
        if line_c is not None:
            text = line_c(row, prefixes, sw, w, capture_start_ns, tcp)
            if text is not None:
                yield text
                continue
        (_p, stream, oh, op, rh, rp, ts, fo, fr, bo, br, duration, guessed, irtt, state, history, closed_by,
         time_wait) = row
        o = (pre(oh) or prefix(oh)) + str(op)
        p = (pre(rh) or prefix(rh)) + str(rp)
        line = left(stream, o, p, fr, f"{br} bytes" if br < 10_000 else _size(br), fo,
                    f"{bo} bytes" if bo < 10_000 else _size(bo), fo + fr,
                    f"{bo + br} bytes" if bo + br < 10_000 else _size(bo + br))
        line += f"{(ts - capture_start_ns) / 1e9:>12.9f} {float(duration):>10.4f}"
        key = (state, guessed, history, closed_by, time_wait)
        tail = tails.get(key)
        if tail is None:
            if len(tails) > 4096:
                tails.clear()           # (a bound, for captures with very many distinct histories)
            guess = "?" if guessed else ""
            if tcp:
                tail = tails[key] = (f"  {state + guess:<6} {visible(history):<16} ",
                                     f"  {closed_by or '-':<6} {time_wait or '-':<9}")
            else:
                tail = tails[key] = (f"  {state + guess:<6} {history:<16}", "")
        if tcp:
            yield f"{line}{tail[0]}{f'{float(irtt):.6f}' if irtt else '-':>9}{tail[1]}"
        else:
            yield line + tail[0]
    yield "=" * len(head)


def _compiled_line():
    """The compiled table line, unless it was not built or ANALYZER_PURE_PYTHON is set."""
    return compiled("table_line")


_WIDTH_KEYS = ("proto", "stream", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "first_ts_ns")
_LINE_KEYS = (*_WIDTH_KEYS, "orig_pkts", "resp_pkts", "orig_frame_bytes", "resp_frame_bytes", "duration",
              "orig_guessed", "irtt", "conn_state", "history", "closed_by", "time_wait")


def _tuples(rows: Iterable[Mapping[str, Any]], keys: tuple[str, ...]) -> Iterator[tuple]:
    """Each row's values of ``keys`` (None where a row has no such key), as a tuple."""
    tuples = getattr(rows, "tuples", None)
    if tuples is not None:
        return tuples(keys)
    return (tuple(map(r.get, keys)) for r in rows)


def legend() -> str:
    """What the state column means (Zeek's conn_state), for the footer."""
    from analyzer.tcp.state import CONN_STATE_MEANING

    return "\n".join(f"  {k:<6} {v}" for k, v in CONN_STATE_MEANING.items()) + \
        "\n  ?      originator guessed from the ports (the capture started mid-connection)"
