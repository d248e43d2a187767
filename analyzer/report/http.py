"""Rows, JSON lines and the text table of ``analyzer http``: one per HTTP transaction.

Builders only (they return values and strings); the CLI prints. They format
:class:`analyzer.api.records.HttpTransaction` records. A row is a dict whose first keys are the
issue's (``request_frame``, ``response_frame``, ``stream``, ``method``, ``host``, ``uri``, ``version``,
``status_code``, ``status_msg``, ``content_type``, ``request_body_len``, ``response_body_len``, ``time``,
``ttfb``), then Zeek's http.log names (``ts``, ``uid``, ``id.orig_h`` ... ``resp_mime_types``), then details.

Times: ``time`` is tshark's http.time (the frame that completed the response minus the one that completed
the request); ``ttfb`` the first byte of the final response minus the last byte of the request;
``total_time`` the frame that completed the response minus the request's first byte. All are seconds
(numbers), None when a message needed for them was not seen whole. ``uid`` is the connection's (the same
in ``conversations --json`` and ``analyzer logs``). ``version`` is Zeek's ("1.1").
Body lengths are after de-chunking and content decoding (Zeek's), ``response_encoded_len`` before
content decoding. Text from packets goes through :func:`analyzer.report.safe.visible` in the table and
:func:`~analyzer.report.safe.json_safe` in JSON.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from analyzer.api.records import HttpTransaction
from analyzer.report.columns import cut as _cut
from analyzer.report.columns import endpoint as _endpoint
from analyzer.report.safe import visible
from analyzer.report.units import seconds as _seconds_text

# Rows whose client endpoints set the width of a streamed table's Client column (table_lines).
WIDTH_ROWS = 1000

JSON_KEYS = ("request_frame", "response_frame", "stream", "method", "host", "uri", "version", "status_code",
             "status_msg", "content_type", "request_body_len", "response_body_len", "time", "ttfb")

def _secs(ns: int | None) -> float | None:
    return None if ns is None else ns / 1e9


# the keys of a row whose values may be floats (the _secs values below; the details hold none): what
# analyzer.report.jsonlines.row_lines checks before orjson writes a row
JSON_FLOAT_KEYS = ("time", "ttfb", "ts", "total_time")


def row(tx: HttpTransaction) -> dict[str, Any]:
    """One transaction as a report row (see the module docstring for the keys)."""
    out: dict[str, Any] = {
        "request_frame": tx.request_frame,
        "response_frame": tx.response_frame,
        "stream": tx.stream,
        "method": tx.method,
        "host": tx.host,
        "uri": tx.uri,
        "version": tx.version,
        "status_code": tx.status_code,
        "status_msg": tx.status_msg,
        "content_type": tx.content_type,
        "request_body_len": tx.request_body_len,
        "response_body_len": tx.response_body_len,
        "time": _secs(tx.time_ns),
        "ttfb": _secs(tx.ttfb_ns),
        # Zeek http.log
        "ts": _secs(tx.ts_ns),
        "uid": tx.uid,
        "id.orig_h": tx.orig_h,
        "id.orig_p": tx.orig_p,
        "id.resp_h": tx.resp_h,
        "id.resp_p": tx.resp_p,
        "trans_depth": tx.trans_depth,
        "referrer": tx.referrer,
        "user_agent": tx.user_agent,
        "origin": tx.origin,
        "info_code": tx.info_code,
        "info_msg": tx.info_msg,
        "username": tx.username,
        "orig_fuids": list(tx.orig_fuids),
        "orig_mime_types": list(tx.orig_mime_types),
        "resp_fuids": list(tx.resp_fuids),
        "resp_mime_types": list(tx.resp_mime_types),
        # details
        "total_time": _secs(tx.total_ns),
        "complete": tx.complete,
        "reason": tx.reason,
    }
    out.update(tx.details)
    return out


def rows(records: Iterable[HttpTransaction]) -> list[dict[str, Any]]:
    return [row(r) for r in records]


def _ms(value: float | None) -> str:
    return _seconds_text(value)


def table(items: list[dict[str, Any]], capture_start_ns: int | None = None) -> str:
    """The transactions as a text table, one line each (long hosts and URIs are cut with "...")."""
    return "\n".join(table_lines(items, capture_start_ns, width_rows=None))


def table_lines(items: Iterable[dict[str, Any]], capture_start_ns: int | None | Callable[[], int | None] = None,
                width_rows: int | None = WIDTH_ROWS) -> Iterator[str]:
    """:func:`table`'s lines, made as ``items`` come: the Client column is as wide as the widest client of
    the first ``width_rows`` rows (None: of all rows), the only rows held; a wider one later overflows its
    column. ``capture_start_ns`` (or a function giving it, asked once those rows are read): the time the
    Time column counts from (None: the first row's). The note on incomplete transactions comes last."""
    items = iter(items)
    first = [it for _, it in zip(range(width_rows), items)] if width_rows is not None else list(items)
    start = capture_start_ns() if callable(capture_start_ns) else capture_start_ns
    starts = [it["ts"] for it in first if it["ts"] is not None]
    t0 = start / 1e9 if start is not None else (min(starts) if starts else 0.0)
    w = max([22] + [len(_endpoint(it["id.orig_h"], it["id.orig_p"])) for it in first])
    yield (f"{'Time':>10} {'Client':<{w}} {'Method':<7} {'Host':<24} {'URI':<40} {'Status':>6} "
           f"{'Content type':<24} {'Size':>9} {'TTFB':>9} {'Total':>9} {'Stream':>6}")
    reasons: set[str] | None = None         # of the incomplete transactions (None: every one complete)
    for it in itertools.chain(first, items):
        when = f"{it['ts'] - t0:10.6f}" if it["ts"] is not None else f"{'-':>10}"
        status = str(it["status_code"]) if it["status_code"] is not None else "-"
        if not it["complete"] and it["reason"]:
            status += "*"
        if not it["complete"]:
            reasons = reasons if reasons is not None else set()
            reasons.add(visible(it["reason"] or "?"))
        yield (
            f"{when} {_endpoint(it['id.orig_h'], it['id.orig_p']):<{w}} {_cut(it['method'], 7):<7} "
            f"{_cut(it['host'], 24):<24} {_cut(it['uri'], 40):<40} {status:>6} "
            f"{_cut(it['content_type'], 24):<24} {it['response_body_len']:>9} {_ms(it['ttfb']):>9} "
            f"{_ms(it['total_time']):>9} {it['stream']:>6}")
    if reasons is not None:
        yield "* incomplete: " + ", ".join(sorted(reasons))


def info_text(pkt) -> str:
    """tshark's Info column for a frame with http layers: each message's text, one after the other."""
    return "".join(getattr(layer, "info", "") for layer in pkt.layers if layer.name == "http")
