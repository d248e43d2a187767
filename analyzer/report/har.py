"""HTTP Archive (HAR 1.2) from a timeline: one page per fetch, one entry per request.

Follows the HAR 1.2 spec (the W3C draft by Jan Odvarko) field by field so browser developer tools import
it: every required field is present with its type (``cookies`` and ``headers`` lists of name/value
objects, ``queryString``, ``headersSize``/``bodySize`` as integers, ``cache`` an object, ``timings`` with
``send``/``wait``/``receive`` never negative and ``blocked``/``dns``/``connect``/``ssl`` -1 when they do
not apply, ``time`` their sum), ``startedDateTime`` in ISO 8601 with a time zone.

Bodies: ``content.text`` is the response body with its content-coding undone; text types that decode in
their charset are written as text, anything else as base64 with ``content.encoding = "base64"``. A
request body goes in ``postData`` (text, or base64 marked with the custom field ``_encoding``). A body cut
at the analyzer's storage limit or left in a coding we cannot undo says so in ``comment``.

HTTPS without keys: one entry per exchange inferred from the encrypted records (:func:`encrypted_entry`).
QUIC (most likely HTTP/3, never decoded): one entry per QUIC connection of a fetch (:func:`quic_entries`),
an unanswered one with ``_error`` as a failed TCP connection has.

WebSocket: the entry of a 101 that switched to WebSocket has ``_resourceType`` "websocket" and the session's data
messages in ``_webSocketMessages`` as Chrome DevTools writes them (:func:`websocket_messages`): bounded, the first
:data:`~analyzer.apps.websocket.MAX_MESSAGES` with :data:`~analyzer.apps.websocket.MESSAGE_BYTES` of payload in all;
``_webSocketMessagesOmitted`` counts the messages left out and ``comment`` says which were cut.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl

from analyzer import __version__
from analyzer.apps.websocket import MAX_MESSAGES, MESSAGE_BYTES
from analyzer.report.safe import utc_fields
from analyzer.timeline.model import Fetch, RequestTiming, Step, Timeline

TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/x-javascript",
              "application/ecmascript", "application/xml", "application/xhtml+xml", "image/svg+xml",
              "application/x-www-form-urlencoded", "application/ld+json", "application/manifest+json")


def iso8601(ns: int) -> str:
    """``ns`` since the epoch as ISO 8601 in UTC with milliseconds: "2024-01-02T03:04:05.678+00:00" (years past
    9999, which a damaged capture's clock can give, in ISO 8601's expanded form "+58870-...")."""
    y, mo, d, h, mi, s, us = utc_fields(ns)
    year = f"{y:04d}" if 0 <= y <= 9999 else f"{y:+05d}"
    return f"{year}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}.{us // 1000:03d}+00:00"


def _headers(pairs: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"name": n, "value": v} for n, v in pairs]


def _get(pairs: tuple[tuple[str, str], ...], name: str) -> str | None:
    key = name.lower()
    for n, v in pairs:
        if n.lower() == key:
            return v
    return None


def request_cookies(pairs: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
    out = []
    for n, v in pairs:
        if n.lower() != "cookie":
            continue
        for item in v.split(";"):
            if "=" in item:
                name, value = item.split("=", 1)
                out.append({"name": name.strip(), "value": value.strip()})
            elif item.strip():
                out.append({"name": item.strip(), "value": ""})
    return out


def response_cookies(pairs: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
    out = []
    for n, v in pairs:
        if n.lower() != "set-cookie":
            continue
        parts = v.split(";")
        if "=" not in parts[0]:
            continue
        name, value = parts[0].split("=", 1)
        cookie: dict[str, Any] = {"name": name.strip(), "value": value.strip()}
        for attr in parts[1:]:
            key, _, val = attr.strip().partition("=")
            key = key.lower()
            if key in ("path", "domain"):
                cookie[key] = val
            elif key == "expires":
                try:
                    cookie["expires"] = parsedate_to_datetime(val).astimezone(UTC).isoformat()
                except (TypeError, ValueError, IndexError, OverflowError):
                    pass
            elif key == "httponly":
                cookie["httpOnly"] = True
            elif key == "secure":
                cookie["secure"] = True
        out.append(cookie)
    return out


def _charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip().strip('"')
    return "utf-8"


def body_text(body: bytes, content_type: str) -> tuple[str, str | None]:
    """``(text, None)`` for a text body, ``(base64, "base64")`` for anything else (also for a charset that
    names no codec or a codec that refuses these bytes: any error of the lookup or the decoding)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media.startswith(TEXT_TYPES) or not media:
        try:
            return body.decode(_charset(content_type)), None
        except (LookupError, ValueError, TypeError):      # UnicodeError is a ValueError; NUL in a name too
            pass
    return base64.b64encode(body).decode("ascii"), "base64"


def _query(url: str) -> str:
    """The query of a URL (no parsing of the authority, which may be anything a packet said)."""
    return url.split("#", 1)[0].partition("?")[2]


def _ms(v: float) -> float:
    return round(v, 3)


def timings(r: RequestTiming) -> dict[str, float]:
    """HAR timings: -1 for a phase that does not apply (HAR's own convention), never negative otherwise."""
    def opt(v: float | None) -> float:
        return _ms(max(v, 0.0)) if v is not None else -1

    # HAR 1.2: "ssl ... If this field is defined then the time is also included in the connect field"
    connect = r.connect if r.ssl is None or r.connect is None else r.connect + r.ssl
    return {
        "blocked": opt(r.blocked),
        "dns": opt(r.dns),
        "connect": opt(connect),
        "send": _ms(max(r.send or 0.0, 0.0)),
        "wait": _ms(max(r.wait or 0.0, 0.0)),
        "receive": _ms(max(r.receive or 0.0, 0.0)),
        "ssl": opt(r.ssl),
    }


# What Chromium's devtools put in a HAR entry's _error for a connection that failed.
NET_ERRORS = {"refused": "net::ERR_CONNECTION_REFUSED", "unanswered": "net::ERR_CONNECTION_TIMED_OUT",
              "reset": "net::ERR_CONNECTION_RESET", "unreachable": "net::ERR_ADDRESS_UNREACHABLE"}
# A failed TLS handshake (error "tls"; the alert's description in ``reason``, "" when it was encrypted): the
# error Chromium reports for the same cause
TLS_NET_ERRORS = {"Unknown CA": "net::ERR_CERT_AUTHORITY_INVALID", "Certificate Expired": "net::ERR_CERT_DATE_INVALID",
                  "Certificate Revoked": "net::ERR_CERT_REVOKED", "Bad Certificate": "net::ERR_CERT_INVALID",
                  "Protocol Version": "net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH",
                  "Handshake Failure": "net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH",
                  "Insufficient Security": "net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH",
                  "Certificate Required": "net::ERR_SSL_CLIENT_AUTH_CERT_NEEDED"}


def net_error(r: RequestTiming) -> str:
    if r.error == "tls":
        return TLS_NET_ERRORS.get(r.reason or "", "net::ERR_SSL_PROTOCOL_ERROR")
    return NET_ERRORS.get(r.error or "", "net::ERR_FAILED")


def failed_entry(r: RequestTiming, page_id: str) -> dict[str, Any]:
    """A connection attempt that carried no request (refused, unanswered, reset): an entry with status 0
    and ``_error``, as devtools shows a failed request. The capture holds no request, so the URL is the
    server's name and port only (``comment`` says so)."""
    t = timings(r)
    total = round(sum(v for k, v in t.items() if k != "ssl" and v > 0), 3)
    return {
        "pageref": page_id,
        "startedDateTime": iso8601(r.started_ns),
        "time": total,
        "request": {"method": "GET", "url": r.url, "httpVersion": "", "cookies": [], "headers": [],
                    "queryString": [], "headersSize": -1, "bodySize": -1},
        "response": {"status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
                     "content": {"size": 0, "mimeType": "x-unknown"}, "redirectURL": "", "headersSize": -1,
                     "bodySize": -1, "_transferSize": 0, "_error": net_error(r)},
        "cache": {},
        "timings": t,
        "serverIPAddress": r.server,
        "connection": str(r.stream),
        "_error": net_error(r),
        "comment": (f"TLS handshake failed ({r.reason or 'an encrypted alert'}): no request was sent, the path "
                    "and method are not known" if r.error == "tls" else
                    f"connection {r.error or 'failed'} (no request was sent: the path and method are not known)"),
    }


# ALPN -> HAR httpVersion ("HTTP/2.0" is what Chromium's HAR importer maps to its "h2" protocol)
ALPN_VERSIONS = {"http/1.1": "HTTP/1.1", "http/1.0": "HTTP/1.0", "h2": "HTTP/2.0"}


def encrypted_entry(r: RequestTiming, page_id: str) -> dict[str, Any]:
    """An exchange inferred from the records of an HTTPS connection without keys
    (:mod:`analyzer.timeline.encrypted`): an entry so that a HAR viewer shows the fetch, with nothing claimed
    that the capture does not show. The method, path and status cannot be seen: ``method`` is "" and
    ``status`` 0 (HAR 1.2 requires both fields and has no value for "unknown"; 0 is what devtools writes for a
    request with no response status), the URL is the site the ClientHello named (SNI) with the root path (HAR
    needs an absolute URL; ``comment`` says the path is unknown), ``content.size``/``headersSize``/``bodySize``
    -1 (unknown: Chromium's HAR importer reads a negative size as 0) and ``_transferSize`` the response's
    encrypted record bytes (the importer's transfer size: the "Size" column). ``httpVersion`` is the ALPN
    protocol when it is known. The inference is in ``_``-prefixed custom fields (HAR 1.2 allows them)."""
    ex, view = r.exchange, r.encrypted
    q, a = ex.request, ex.response
    t = timings(r)
    total = round(sum(v for k, v in t.items() if k != "ssl" and v > 0), 3)
    version = ALPN_VERSIONS.get((view.alpn or "").lower(), "") if view is not None else ""
    multiplexed = bool(view is not None and view.multiplexed)
    if multiplexed:
        comment = ("encrypted HTTP/2 (no key): a burst of client records and the server's burst after it; HTTP/2 "
                   "multiplexes, so this is not one request and its response. Method, path and status unknown")
    else:
        comment = ("encrypted (no key): probably one request and its response, inferred from the TLS records' "
                   "directions, sizes and times. Method, path (the URL's /) and status unknown")
    return {
        "pageref": page_id,
        "startedDateTime": iso8601(r.started_ns),
        "time": total,
        "request": {"method": "", "url": r.url, "httpVersion": version, "cookies": [], "headers": [],
                    "queryString": [], "headersSize": -1, "bodySize": -1},
        "response": {"status": 0, "statusText": "", "httpVersion": version, "cookies": [], "headers": [],
                     "content": {"size": -1, "mimeType": "x-unknown"}, "redirectURL": "", "headersSize": -1,
                     "bodySize": -1, "_transferSize": a.bytes if a else 0},
        "cache": {},
        "timings": t,
        "serverIPAddress": r.server,
        "connection": str(r.stream),
        "comment": comment,
        "_encrypted": True,
        "_inferred": "h2-bursts" if multiplexed else "request-response",
        "_alpn": view.alpn if view is not None else None,
        "_requestRecords": q.records if q else 0,
        "_requestBytes": q.bytes if q else 0,
        "_requestFrames": list(q.frames) if q else [],
        "_responseRecords": a.records if a else 0,
        "_responseBytes": a.bytes if a else 0,
        "_responseFrames": list(a.frames) if a else [],
        "_ttfbEstimateMs": None if ex.ttfb_ms is None else round(ex.ttfb_ms, 3),
        "_transferMs": None if ex.transfer_ms is None else round(ex.transfer_ms, 3),
    }


def quic_entries(f: Fetch, page_id: str) -> list[tuple[int, int, dict[str, Any]]]:
    """The fetch's QUIC connections (the timeline's ``quic.*`` steps, one connection per UDP stream) as
    entries, (start, first frame, entry): what a keyless HTTPS fetch's entry says, from the packets' clear
    headers and the client's Initial (analyzer.apps.quic). The URL is the site the ClientHello named (SNI,
    else the name the fetch looked up, else the server's address) with the root path; method "" and status 0 (not visible); ``connect`` (and
    ``ssl``, inside it: QUIC's transport and TLS handshakes are one) from the Initial to the client's first
    1-RTT packet; ``receive`` from there to the connection's last datagram; ``_transferSize`` the server's
    UDP payload bytes. In a fetch of its own (kind "quic") the first connection's entry starts with the name
    lookup the fetch claims: ``dns`` from the query to the answer, ``blocked`` from the answer to the Initial.
    An Initial never answered gives status 0 and ``_error`` (the capture holds no request, as for a TCP
    connection that was never answered)."""
    by_stream: dict[Any, dict[str, Step]] = {}
    for st in f.steps:
        if st.layer == "quic" and st.kind.startswith("quic.") and st.ts_ns is not None:
            by_stream.setdefault(st.facts.get("stream"), {})[st.kind] = st
    out = []
    for stream, steps in by_stream.items():
        first = steps.get("quic.initial.hello") or steps.get("quic.initial")
        if first is None:
            continue
        facts = first.facts
        sni = facts.get("sni") if facts.get("sni") not in (None, "-") else None
        server = str(facts.get("server"))
        host = sni or f.host or (f"[{server}]" if ":" in server else server)    # f.host: the name looked up
        port = facts.get("port")
        url = f"https://{host}{'' if port == 443 else f':{port}'}/"
        start = first.ts_ns
        done, data, lost = steps.get("quic.done"), steps.get("quic.data"), steps.get("quic.unanswered")
        connect = (done.ts_ns - start) / 1e6 if done is not None else None
        receive = (data.ts_ns - done.ts_ns) / 1e6 if done is not None and data is not None else 0.0
        t = {"blocked": -1, "dns": -1, "connect": -1 if connect is None else _ms(connect), "send": 0.0,
             "wait": 0.0, "receive": _ms(max(receive, 0.0)), "ssl": -1 if connect is None else _ms(connect)}
        if lost is not None:
            t["connect"] = _ms((lost.ts_ns - start) / 1e6)
        if f.kind == "quic" and not out:
            # a fetch of its own: the name lookup it claims comes first (dns), then the wait for the Initial
            query = next((st for st in f.steps if st.kind == "dns.query" and st.ts_ns is not None), None)
            answer = next((st for st in reversed(f.steps) if st.kind.startswith("dns.answer")
                           and st.ts_ns is not None and st.ts_ns <= start), None)
            if query is not None and answer is not None and query.ts_ns <= answer.ts_ns:
                t["dns"] = _ms((answer.ts_ns - query.ts_ns) / 1e6)
                t["blocked"] = _ms((start - answer.ts_ns) / 1e6)
                start = query.ts_ns
        total = round(sum(v for k, v in t.items() if k != "ssl" and v > 0), 3)
        df = data.facts if data is not None else {}
        alpn = facts.get("alpn") if facts.get("alpn") not in (None, "-") else None
        entry: dict[str, Any] = {
            "pageref": page_id,
            "startedDateTime": iso8601(start),
            "time": total,
            "request": {"method": "", "url": url, "httpVersion": "", "cookies": [], "headers": [],
                        "queryString": [], "headersSize": -1, "bodySize": -1},
            "response": {"status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
                         "content": {"size": -1, "mimeType": "x-unknown"}, "redirectURL": "", "headersSize": -1,
                         "bodySize": -1, "_transferSize": df.get("s_bytes", 0)},
            "cache": {},
            "timings": t,
            "serverIPAddress": facts.get("server"),
            "connection": f"udp {stream}",
            "comment": ("QUIC (most likely HTTP/3: ALPN offered " + alpn + ")" if alpn else "QUIC") +
                       ", encrypted and not decoded: method, path (the URL's /) and status unknown",
            "_quic": True,
            "_quicVersion": facts.get("version"),
            "_alpn": alpn,
            "_requestBytes": df.get("c_bytes", 0),
            "_requestDatagrams": df.get("c_packets", 0),
            "_responseBytes": df.get("s_bytes", 0),
            "_responseDatagrams": df.get("s_packets", 0),
            "_initialFrames": list(first.frames),
        }
        if lost is not None:
            error = NET_ERRORS["unanswered"]
            entry["response"]["_error"] = error
            entry["_error"] = error
            for key in ("_requestBytes", "_requestDatagrams", "_responseBytes", "_responseDatagrams"):
                del entry[key]
            entry["comment"] = (f"QUIC connection unanswered: {lost.facts.get('count')} Initial packets, no reply "
                                "(a network that blocks UDP to port 443 looks like this); no request was sent")
            entry["_initialFrames"] = list(lost.frames)
        out.append((start, first.frames[0] if first.frames else 0, entry))
    return out


def websocket_messages(ws: Any) -> tuple[list[dict[str, Any]], int, int]:
    """A WebSocket session's data messages (:class:`analyzer.apps.websocket.WebSocketSession`) as Chrome DevTools'
    ``_webSocketMessages``: ``type`` "send" (the client's) or "receive", ``time`` in seconds since the epoch,
    ``opcode`` 1 (text: ``data`` the text) or 2 (binary: ``data`` in base64); and how many messages were left
    out, how many kept were cut (the session's bounds)."""
    out = []
    cut = 0
    for m in ws.messages:
        data = m.data
        cut += len(data) < m.length
        out.append({"type": "send" if m.direction == 0 else "receive", "time": round(m.ts_ns / 1e9, 6),
                    "opcode": m.opcode,
                    "data": data.decode("utf-8", "replace") if m.opcode == 1 else base64.b64encode(data).decode()})
    total = ws.sides[0].messages + ws.sides[1].messages
    return out, max(total - len(out), 0), cut


def entry(r: RequestTiming, page_id: str) -> dict[str, Any]:
    if r.exchange is not None:
        return encrypted_entry(r, page_id)
    if not r.method:
        return failed_entry(r, page_id)
    t = timings(r)
    total = round(sum(v for k, v in t.items() if k != "ssl" and v > 0), 3)      # ssl is inside connect
    request: dict[str, Any] = {
        "method": r.method,
        "url": r.url,
        "httpVersion": r.http_version,
        "cookies": request_cookies(r.request_headers),
        "headers": _headers(r.request_headers),
        "queryString": [{"name": n, "value": v} for n, v in parse_qsl(_query(r.url), keep_blank_values=True)],
        "headersSize": r.request_head_bytes,
        "bodySize": r.request_body_bytes,
    }
    if r.request_body or r.request_body_bytes:
        mime = _get(r.request_headers, "content-type") or ""
        text, enc = body_text(r.request_body, mime)
        post: dict[str, Any] = {"mimeType": mime, "params": [], "text": text}
        if mime.split(";", 1)[0].strip().lower() == "application/x-www-form-urlencoded" and enc is None:
            post["params"] = [{"name": n, "value": v} for n, v in parse_qsl(text, keep_blank_values=True)]
        if enc:
            post["_encoding"] = enc
        request["postData"] = post
    content_type = r.content_type
    body = r.response_body
    size = r.response_decoded_bytes if r.response_decoded_bytes is not None else r.response_body_bytes
    content: dict[str, Any] = {"size": size, "mimeType": content_type or "x-unknown"}
    if size > r.response_body_bytes:
        content["compression"] = size - r.response_body_bytes
    if body:
        text, enc = body_text(body, content_type)
        content["text"] = text
        if enc:
            content["encoding"] = enc
    notes = []
    if len(body) < size and not r.response_body_encoded:
        notes.append(f"body truncated: {len(body)} of {size} bytes stored")
    if r.response_body_encoded:
        notes.append("content-coding could not be undone: text holds the body as sent")
    if notes:
        content["comment"] = "; ".join(notes)
    has_response = r.status is not None
    response = {
        "status": r.status if has_response else 0,
        "statusText": r.status_text,
        "httpVersion": r.response_version or r.http_version,
        "cookies": response_cookies(r.response_headers),
        "headers": _headers(r.response_headers),
        "content": content,
        "redirectURL": _get(r.response_headers, "location") or "",
        "headersSize": r.response_head_bytes if has_response else -1,
        "bodySize": r.response_body_bytes if has_response else -1,
    }
    out: dict[str, Any] = {
        "pageref": page_id,
        "startedDateTime": iso8601(r.started_ns),
        "time": total,
        "request": request,
        "response": response,
        "cache": {},
        "timings": t,
        "serverIPAddress": r.server,
        # HTTP/3: the QUIC connection's UDP conversation (as a keyless QUIC entry names it)
        "connection": f"udp {r.stream}" if r.http_version == "HTTP/3" else str(r.stream),
    }
    notes = []
    if not r.complete and r.reason:
        notes.append(f"incomplete: {r.reason}")
        out["_incomplete"] = r.reason          # machine-readable: the response was not seen whole
    if r.websocket is not None:
        out["_resourceType"] = "websocket"
        messages, omitted, cut = websocket_messages(r.websocket)
        out["_webSocketMessages"] = messages
        if omitted or cut:
            out["_webSocketMessagesOmitted"] = omitted
            notes.append(f"WebSocket messages bounded: {omitted} left out, {cut} cut (the first "
                         f"{MAX_MESSAGES} messages are kept, {MESSAGE_BYTES} bytes of payload in all)")
    if notes:
        out["comment"] = "; ".join(notes)
    return out


def page_of(f: Fetch) -> tuple[dict[str, Any] | None, list[tuple[int, int, dict[str, Any]]]]:
    """One fetch's HAR page and its entries, each with its sort key (start time, request frame): (None, [])
    for a fetch with nothing to show (no request and no QUIC exchange)."""
    page_id = f"page_{f.index}"
    reqs = [r for r in f.requests if r.method or r.error       # encrypted: a client burst and an answer
            or (r.exchange is not None and r.exchange.request is not None and r.exchange.response is not None)]
    quic = quic_entries(f, page_id) if f.kind == "quic" or any(st.layer == "quic" for st in f.steps) else []
    # a QUIC connection opened with a key log has its HTTP/3 requests as entries: no keyless entry for it
    h3 = {f"udp {r.stream}" for r in reqs if r.http_version == "HTTP/3"}
    quic = [e for e in quic if e[2]["connection"] not in h3]
    if not reqs and not quic:
        return None, []
    page = {"startedDateTime": iso8601(f.start_ns), "id": page_id, "title": f.url,
            "pageTimings": {"onContentLoad": -1, "onLoad": round(f.summary.total_ms, 3)}}
    return page, [(r.started_ns, r.request_frame or 0, entry(r, page_id)) for r in reqs] + quic


def _log(pages: list[dict[str, Any]], entries: list[dict[str, Any]], source: str | None) -> dict[str, Any]:
    log: dict[str, Any] = {
        "version": "1.2",
        "creator": {"name": "analyzer", "version": __version__},
        "pages": pages,
        "entries": entries,
    }
    if source:
        log["comment"] = f"from capture {source}"
    return {"log": log}


def har(timeline: Timeline, source: str | None = None) -> dict[str, Any]:
    """The HAR 1.2 document (a dict ready for json.dumps)."""
    pages = []
    entries: list[tuple[int, int, dict[str, Any]]] = []
    for f in timeline.fetches:
        page, got = page_of(f)
        if page is not None:
            pages.append(page)
            entries += got
    entries.sort(key=lambda e: (e[0], e[1]))
    return _log(pages, [e[2] for e in entries], source)


# An entry's place in the document: inside {"log": {"entries": [ ... ]}}, three levels down
_ENTRY_INDENT = " " * 6


def entry_text(e: dict[str, Any]) -> str:
    """An entry as ``json.dumps(har(...), indent=2, ensure_ascii=True)`` writes it in the document (its lines
    indented for their depth), for a writer that keeps the entries' texts instead of the fetches (:func:`
    document_parts`: the HAR of a large capture in memory bounded by its open fetches)."""
    return json.dumps(e, indent=2, ensure_ascii=True).replace("\n", "\n" + _ENTRY_INDENT)


def document_parts(pages: list[dict[str, Any]], entry_texts: Iterable[str], source: str | None) -> Iterator[str]:
    """The text of ``json.dumps(har(...), indent=2, ensure_ascii=True)``, in pieces, from the pages and the
    entries' texts (:func:`entry_text`) in their order: the same bytes as the document made at once."""
    head, mark, tail = json.dumps(_log(pages, [], source), indent=2, ensure_ascii=True).rpartition(
        '\n    "entries": []')
    if not mark:        # (cannot happen: every quote inside a text is escaped)
        raise ValueError("HAR document without its entries")
    yield head + '\n    "entries": ['
    first = True
    for text in entry_texts:
        yield ("\n" if first else ",\n") + _ENTRY_INDENT + text
        first = False
    yield ('\n    ]' if not first else "]") + tail
