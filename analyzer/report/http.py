"""Rows, JSON lines and the text table of ``analyzer http``: one per HTTP transaction.

Builders only (they return values and strings); the CLI prints. A row is a dict whose first keys are the
issue's (``request_frame``, ``response_frame``, ``stream``, ``method``, ``host``, ``uri``, ``version``,
``status_code``, ``status_msg``, ``content_type``, ``request_body_len``, ``response_body_len``, ``time``,
``ttfb``), then Zeek's http.log names (``ts``, ``uid``, ``id.orig_h`` ... ``resp_mime_types``), then details.

Times: ``time`` is tshark's http.time (the frame that completed the response minus the one that completed
the request); ``ttfb`` the first byte of the final response minus the last byte of the request;
``total_time`` the frame that completed the response minus the request's first byte. All are seconds
(numbers), None when a message needed for them was not seen whole. ``uid`` is ``T<tcp.stream>`` (Zeek's
uids are random; this one names the same connection in every report). ``version`` is Zeek's ("1.1").
Body lengths are after de-chunking and content decoding (Zeek's), ``response_encoded_len`` before
content decoding. Text from packets goes through :func:`analyzer.report.safe.visible` in the table and
:func:`~analyzer.report.safe.json_safe` in JSON.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import Any

from analyzer.apps.http.conversation import Body
from analyzer.apps.http.sink import HttpRecord, full_uri, text
from analyzer.report.columns import cut as _cut
from analyzer.report.columns import endpoint as _endpoint
from analyzer.report.safe import visible

JSON_KEYS = ("request_frame", "response_frame", "stream", "method", "host", "uri", "version", "status_code",
             "status_msg", "content_type", "request_body_len", "response_body_len", "time", "ttfb")

# Magic numbers for resp_mime_types/orig_mime_types (Zeek sniffs the body rather than trust the header).
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/x-gzip"),
    (b"\x00\x00\x01\x00", "image/x-icon"),
    (b"wOFF", "application/font-woff"),
    (b"wOF2", "font/woff2"),
)


def sniff_mime(data: bytes | None) -> str | None:
    """A MIME type from the first bytes of a body (a few common formats), None when unsure."""
    if not data:
        return None
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "text/html"
    if head.startswith(b"<?xml"):
        return "image/svg+xml" if b"<svg" in data[:1024].lower() else "text/xml"
    if head.startswith(b"<svg"):
        return "image/svg+xml"
    if head[:1] in (b"{", b"[") and _is_text(data[:512]):
        return "text/json"
    if _is_text(data[:512]):
        return "text/plain"
    return None


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\r\n\t" for c in text)


def _mime_types(body: Body, header: str | None) -> list[str]:
    data = body.decoded if body.decoded is not None else body.data
    sniffed = sniff_mime(data)
    if sniffed is not None:
        return [sniffed]
    if data and header:
        return [header.split(";")[0].strip().lower()]
    return []


def _secs(ns: int | None) -> float | None:
    return None if ns is None else ns / 1e9


def _body_len(end) -> int:
    if end is None:
        return 0
    return end.decoded_length if end.decoded_length is not None else end.body_length


def _username(headers) -> str | None:
    value = headers.get("authorization") if headers is not None else None
    if not value or not value.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(value[6:].strip(), validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        return None
    return decoded.partition(":")[0]


def row(record: HttpRecord) -> dict[str, Any]:
    """One transaction as a report row (see the module docstring for the keys)."""
    tx = record.transaction
    req, resp = tx.request, tx.response
    req_end, resp_end = tx.request_end, tx.response_end
    headers = req.headers if req is not None else None

    def header(name: str) -> str | None:
        value = headers.get(name) if headers is not None else None
        return text(value) if value is not None else None

    host = header("host")
    time_ns = ttfb_ns = total_ns = None
    if record.request_ts_ns is not None and record.response_ts_ns is not None:
        time_ns = record.response_ts_ns - record.request_ts_ns
    if resp is not None and req_end is not None and req_end.complete:
        ttfb_ns = resp.first_ts_ns - req_end.last_ts_ns
    if req is not None and record.response_ts_ns is not None:
        total_ns = record.response_ts_ns - req.first_ts_ns
    start = req if req is not None else resp
    version = (req or resp).version if (req or resp) is not None else None
    interim = tx.interim[-1] if tx.interim else None
    content_type = resp.headers.get("content-type") if resp is not None else None
    content_type = text(content_type) if content_type is not None else None
    out: dict[str, Any] = {
        "request_frame": record.request_frame,
        "response_frame": record.response_frame,
        "stream": record.stream,
        "method": req.method if req is not None else None,
        "host": host,
        "uri": text(req.target) if req is not None else None,
        "version": version[5:] if version else None,
        "status_code": resp.status if resp is not None else None,
        "status_msg": text(resp.reason) if resp is not None else None,
        "content_type": content_type,
        "request_body_len": _body_len(req_end),
        "response_body_len": _body_len(resp_end),
        "time": _secs(time_ns),
        "ttfb": _secs(ttfb_ns),
        # Zeek http.log
        "ts": _secs(start.first_ts_ns) if start is not None else None,
        "uid": f"T{record.stream}",
        "id.orig_h": record.client[0],
        "id.orig_p": record.client[1],
        "id.resp_h": record.server[0],
        "id.resp_p": record.server[1],
        "trans_depth": record.depth,
        "referrer": header("referer"),
        "user_agent": header("user-agent"),
        "origin": header("origin"),
        "info_code": interim.status if interim is not None else None,
        "info_msg": interim.reason if interim is not None else None,
        "username": _username(headers),
        "orig_mime_types": _mime_types(tx.request_body, headers.get("content-type") if headers else None),
        "resp_mime_types": _mime_types(tx.response_body, content_type),
        # details
        "total_time": _secs(total_ns),
        "full_uri": full_uri(text(req.target), host, record.scheme) if req is not None else None,
        "request_first_frame": req.first_frame if req is not None else None,
        "response_first_frame": resp.first_frame if resp is not None else None,
        "complete": tx.complete,
        "reason": tx.reason,
        "request_complete": tx.request_complete,
        "response_complete": tx.response_complete,
        "content_encoding": resp.headers.get("content-encoding") if resp is not None else None,
        "transfer_encoding": resp.headers.get("transfer-encoding") if resp is not None else None,
        "response_encoded_len": resp_end.body_length if resp_end is not None else 0,
        "request_encoded_len": req_end.body_length if req_end is not None else 0,
        "response_lost_len": resp_end.lost_length if resp_end is not None else 0,
        "decode_error": resp_end.decode_error if resp_end is not None else None,
        "interim": [[r.status, r.reason] for r in tx.interim],
        "gaps": {"client": record.gaps[0], "server": record.gaps[1]},
    }
    return out


def rows(records: Iterable[HttpRecord]) -> list[dict[str, Any]]:
    return [row(r) for r in records]








def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}ms"


def table(items: list[dict[str, Any]], capture_start_ns: int | None = None) -> str:
    """The transactions as a text table, one line each (long hosts and URIs are cut with "...")."""
    starts = [it["ts"] for it in items if it["ts"] is not None]
    t0 = capture_start_ns / 1e9 if capture_start_ns is not None else (min(starts) if starts else 0.0)
    w = max([22] + [len(_endpoint(it["id.orig_h"], it["id.orig_p"])) for it in items])
    head = (f"{'Time':>10} {'Client':<{w}} {'Method':<7} {'Host':<24} {'URI':<40} {'Status':>6} "
            f"{'Content type':<24} {'Size':>9} {'TTFB':>9} {'Total':>9} {'Stream':>6}")
    lines = [head]
    for it in items:
        when = f"{it['ts'] - t0:10.6f}" if it["ts"] is not None else f"{'-':>10}"
        status = str(it["status_code"]) if it["status_code"] is not None else "-"
        if not it["complete"] and it["reason"]:
            status += "*"
        lines.append(
            f"{when} {_endpoint(it['id.orig_h'], it['id.orig_p']):<{w}} {_cut(it['method'], 7):<7} "
            f"{_cut(it['host'], 24):<24} {_cut(it['uri'], 40):<40} {status:>6} "
            f"{_cut(it['content_type'], 24):<24} {it['response_body_len']:>9} {_ms(it['ttfb']):>9} "
            f"{_ms(it['total_time']):>9} {it['stream']:>6}")
    if any(not it["complete"] for it in items):
        lines.append("* incomplete: " + ", ".join(sorted({visible(it["reason"] or "?") for it in items
                                                          if not it["complete"]})))
    return "\n".join(lines)


def info_text(pkt) -> str:
    """tshark's Info column for a frame with http layers: each message's text, one after the other."""
    return "".join(getattr(layer, "info", "") for layer in pkt.layers if layer.name == "http")
