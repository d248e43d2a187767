"""One analysis pass over frames -> the API's records (connections, UDP conversations, DNS, HTTP, files, TLS).

:class:`Analysis` runs the pipeline with the shared HTTP/DNS transaction stage
(:class:`analyzer.apps.transactions.Transactions`) once, and turns what it found into the typed objects of
:mod:`analyzer.api.records`: TCP connections and UDP conversations from the flow tables, DNS transactions from
the DNS tracker, HTTP transactions and their bodies (:class:`~analyzer.api.records.HttpFile`, with hashes)
as each is handed out, so that no body is kept, and TLS sessions (:func:`tls_record`) as their connections
end. It reads no file: the caller passes frames. The same pass serves ``analyzer.open(...)``,
``analyzer dns``/``http``, ``analyzer logs`` and each unit of work of a parallel run
(:mod:`analyzer.logs.engine`).

:func:`dns_record` and :func:`http_record` build one record from a tracker's transaction; the report rows
of ``analyzer dns --json`` and ``analyzer http --json`` are made from these records.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from analyzer.api.iplevel import IpLevel, LocalNets, is_local
from analyzer.api.records import Connection, DnsTransaction, HttpFile, HttpTransaction, TlsConnection
from analyzer.api.uid import connection_uid, file_uid
from analyzer.apps.dns_tx import DnsTransaction as DnsTx
from analyzer.apps.dns_tx import answer_text, cname_chain
from analyzer.apps.http.conversation import Body
from analyzer.apps.http.sink import HttpRecord, full_uri, text
from analyzer.apps.transactions import Transactions
from analyzer.compiled import compiled
from analyzer.decode.dns import T_OPT, type_name
from analyzer.flows.quick import _cache as _quick_cache
from analyzer.flows.quick import _network_offset, address_pair, quick_headers
from analyzer.pipeline import HeaderOnly, Pipeline, gc_paused

# Bytes of each HTTP body kept to hash it for files.log: a longer body gets sizes but no hashes.
FILES_BODY_LIMIT = 8 * 1024 * 1024

# Frames between two looks for HTTP transactions ready to go out (Analysis.http_stream).
STREAM_EVERY = 2048

# Zeek's base/protocols/dns/consts.zeek names.
RCODE_NAMES = {
    0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN",
    7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE", 16: "BADVERS", 17: "BADKEY", 18: "BADTIME",
    19: "BADMODE", 20: "BADNAME", 21: "BADALG", 22: "BADTRUNC", 23: "BADCOOKIE",
}
CLASS_NAMES = {1: "C_INTERNET", 2: "C_CSNET", 3: "C_CHAOS", 4: "C_HESIOD", 254: "C_NONE", 255: "C_ANY"}


def rcode_text(rcode: int) -> str:
    """Zeek's name of a DNS response code (:data:`RCODE_NAMES`), ``unknown-N`` for one it does not name."""
    name = RCODE_NAMES.get(rcode)
    return name if name is not None else f"unknown-{rcode}"


def parse_seconds(value: str | None) -> int | None:
    """Integer ns of a tshark-style seconds text (``"0.000123456"``, ``"-1.5"``), None for None."""
    if value is None:
        return None
    neg = value.startswith("-")
    whole, _, frac = value.lstrip("-").partition(".")
    ns = int(whole or 0) * 1_000_000_000 + int((frac + "000000000")[:9])
    return -ns if neg else ns


# -- connections ---------------------------------------------------------------------------------------------
# The keys of a flow table's summary row that Connection holds as fields; the rest go to ``details``.
_CORE = frozenset(("proto", "stream", "ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "conn_state",
                   "history", "orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes", "orig_frame_bytes",
                   "resp_frame_bytes", "duration", "irtt", "closed_by", "time_wait", "orig_guessed", "first_frame",
                   "last_frame", "first_ts_ns", "last_ts_ns", "orig_ip_bytes", "resp_ip_bytes"))


def connection(row: dict[str, Any], service: str | None = None) -> Connection:
    """A flow table's summary row (:func:`analyzer.tcp.connection.summarize`, or a UDP conversation's) as a
    :class:`Connection`; what it has beyond the fields (handshake, teardown, resets, RFC states...) is kept
    in ``details`` (:func:`summary_row` gives the row back)."""
    proto = row["proto"]
    first, last = row["first_ts_ns"], row["last_ts_ns"]
    gaps = row.get("gaps")
    return Connection(
        uid=connection_uid(proto, row["id.orig_h"], row["id.orig_p"], row["id.resp_h"], row["id.resp_p"], first),
        proto=proto, ts_ns=first, orig_h=row["id.orig_h"], orig_p=row["id.orig_p"], resp_h=row["id.resp_h"],
        resp_p=row["id.resp_p"], service=service, duration_ns=last - first, orig_bytes=row["orig_bytes"],
        resp_bytes=row["resp_bytes"], conn_state=row["conn_state"], history=row["history"],
        orig_pkts=row["orig_pkts"], resp_pkts=row["resp_pkts"], orig_frame_bytes=row["orig_frame_bytes"],
        resp_frame_bytes=row["resp_frame_bytes"],
        missed_bytes=(gaps["orig"] + gaps["resp"]) if gaps else 0, stream=row["stream"],
        first_frame=row["first_frame"], last_frame=row["last_frame"], irtt_ns=parse_seconds(row.get("irtt")),
        closed_by=row.get("closed_by"), time_wait=row.get("time_wait"), orig_guessed=bool(row.get("orig_guessed")),
        orig_ip_bytes=row.get("orig_ip_bytes", 0), resp_ip_bytes=row.get("resp_ip_bytes", 0),
        local_orig=is_local(str(row["id.orig_h"])), local_resp=is_local(str(row["id.resp_h"])),
        details={k: v for k, v in row.items() if k not in _CORE})


def _seconds_text(ns: int) -> str:
    sign = "-" if ns < 0 else ""
    s, f = divmod(abs(ns), 1_000_000_000)
    return f"{sign}{s}.{f:09d}"


def summary_row(c: Connection) -> dict[str, Any]:
    """The flow table's summary row of a :class:`Connection` (``analyzer conversations --json``), keys in the
    tracker's order."""
    row: dict[str, Any] = {
        "proto": c.proto, "stream": c.stream, "ts": _seconds_text(c.ts_ns), "id.orig_h": c.orig_h,
        "id.orig_p": c.orig_p, "id.resp_h": c.resp_h, "id.resp_p": c.resp_p, "conn_state": c.conn_state,
        "history": c.history, "orig_pkts": c.orig_pkts, "resp_pkts": c.resp_pkts, "orig_bytes": c.orig_bytes,
        "resp_bytes": c.resp_bytes, "orig_frame_bytes": c.orig_frame_bytes, "resp_frame_bytes": c.resp_frame_bytes,
        "duration": _seconds_text(c.duration_ns),
        "irtt": _seconds_text(c.irtt_ns) if c.irtt_ns is not None else None, "closed_by": c.closed_by,
        "time_wait": c.time_wait,
    }
    details = dict(c.details)
    for key in ("orig_state", "resp_state"):
        if key in details:
            row[key] = details.pop(key)
    row["orig_guessed"] = c.orig_guessed
    if "port_reuse" in details:
        row["port_reuse"] = details.pop("port_reuse")
    row.update({"first_frame": c.first_frame, "last_frame": c.last_frame, "first_ts_ns": c.ts_ns,
                "last_ts_ns": c.last_ts_ns})
    row.update(details)
    return row


# -- DNS -------------------------------------------------------------------------------------------------------
def dns_record(tx: DnsTx, uid: str | None = None) -> DnsTransaction:
    """One DNS transaction of the tracker as a :class:`DnsTransaction` (``uid``: its connection's)."""
    q = tx.query if tx.query is not None else tx.response
    question = q.questions[0] if q is not None and q.questions else None
    resp = tx.response
    rheader = tx.response_header
    qheader = tx.query_header if tx.query_header is not None else rheader
    answers = [rr for rr in resp.answers if rr.rtype != T_OPT] if resp is not None else []
    qname = question.name if question is not None else None
    chain, addresses = cname_chain(resp, qname) if qname is not None else ([], [])
    rcode = rheader.rcode if rheader is not None else None
    ts = tx.query_ts_ns if tx.query_ts_ns is not None else tx.response_ts_ns
    qclass = None
    if question is not None:
        qclass = question.qclass & 0x7FFF if tx.service == "mdns" else question.qclass
    return DnsTransaction(
        uid=uid or "", proto=tx.proto, ts_ns=ts, orig_h=str(tx.client[0]), orig_p=tx.client[1],
        resp_h=str(tx.server[0]), resp_p=tx.server[1], trans_id=tx.trans_id, rtt_ns=tx.rtt_ns, query=qname,
        qclass=qclass, qclass_name=CLASS_NAMES.get(qclass) if qclass is not None else None,
        qtype=question.qtype if question is not None else None,
        qtype_name=type_name(question.qtype) if question is not None else None,
        rcode=rcode, rcode_name=rcode_text(rcode) if rcode is not None else None,
        aa=bool(rheader.aa) if rheader is not None else False,
        tc=bool(rheader.tc) if rheader is not None else False,
        rd=bool(qheader.rd) if qheader is not None else False,
        ra=bool(rheader.ra) if rheader is not None else False,
        z=rheader.z if rheader is not None else 0,
        answers=tuple([answer_text(rr) for rr in answers]), ttls=tuple([rr.ttl for rr in answers]),
        rejected=rheader is not None and resp is not None
        and not (resp.answers or resp.authorities or resp.additionals),
        service=tx.service, stream=tx.stream, query_frame=tx.query_frame, response_frame=tx.response_frame,
        retransmissions=tuple(tx.retransmissions), response_retransmissions=tuple(tx.response_retransmissions),
        extra_responses=tuple(tx.extra_responses), cname_chain=tuple(chain) if len(chain) > 1 else (),
        addresses=tuple(addresses), answer_types=tuple([type_name(rr.rtype) for rr in answers]),
        malformed=bool((tx.query is not None and tx.query.errors) or (resp is not None and resp.errors)
                       or (tx.query is None and tx.query_header is not None)
                       or (resp is None and rheader is not None)))


def tc_retries(records: list[DnsTransaction]) -> list[DnsTransaction]:
    """The records (in the order they began), each UDP one whose answer was truncated (TC) given the query
    frame of the TCP transaction the client then made for the same name and type to the same server."""
    waiting: dict[tuple, list[int]] = {}
    retry: dict[int, int] = {}
    for i, d in enumerate(records):
        if d.query is None:
            continue
        key = (d.orig_h, d.resp_h, d.query.lower(), d.qtype)
        if d.proto == "udp" and d.tc:
            waiting.setdefault(key, []).append(i)
        elif d.proto == "tcp" and d.query_frame is not None and key in waiting:
            for j in waiting.pop(key):
                retry[j] = d.query_frame
    if not retry:
        return records
    return [replace(d, tc_retry_frame=retry[i]) if i in retry else d for i, d in enumerate(records)]


# -- HTTP --------------------------------------------------------------------------------------------------------
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


_TEXT_CONTROLS = str.maketrans("", "", "\r\n\t")      # the control characters a text body may hold


def _is_text(data: bytes) -> bool:
    """UTF-8 whose characters are all printable, or CR, LF or TAB."""
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return decoded.translate(_TEXT_CONTROLS).isprintable()


def _mime_types(body: Body, header: str | None) -> tuple[str, ...]:
    data = body.decoded if body.decoded is not None else body.data
    sniffed = sniff_mime(data)
    if sniffed is not None:
        return (sniffed,)
    if data and header:
        return (header.split(";")[0].strip().lower(),)
    return ()


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


@dataclass(frozen=True, slots=True)
class Endpoints:
    """A connection as the HTTP records need it: uid and Zeek's id.* (the connection's originator first)."""

    uid: str
    orig_h: str
    orig_p: int
    resp_h: str
    resp_p: int


def http_record(record: HttpRecord, conn: Endpoints | None = None,
                files: bool = True) -> tuple[HttpTransaction, list[HttpFile]]:
    """One transaction of the HTTP tracker as an :class:`HttpTransaction`, and its bodies as
    :class:`HttpFile` rows (``conn``: the connection it belongs to; without it the record's own client and
    server stand for it and the uid is empty). ``files`` False: no rows (an empty list), the transaction's
    fuids the same (:meth:`Analysis.http_stream`: its bodies are not sniffed or hashed)."""
    tx = record.transaction
    req, resp = tx.request, tx.response
    req_end, resp_end = tx.request_end, tx.response_end
    headers = req.headers if req is not None else None

    def header(name: str) -> str | None:
        value = headers.get(name) if headers is not None else None
        return text(value) if value is not None else None

    if conn is None:
        conn = Endpoints("", str(record.client[0]), record.client[1], str(record.server[0]), record.server[1])
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
    rows: list[HttpFile] = []
    orig_fuids: tuple[str, ...] = ()
    resp_fuids: tuple[str, ...] = ()
    for is_orig, msg, end, body in ((True, req, req_end, tx.request_body), (False, resp, resp_end, tx.response_body)):
        if not files:
            # the fuid of the row _file would make, without the row
            if msg is not None and end is not None and (_body_len(end) or end.lost_length):
                if is_orig:
                    orig_fuids = (file_uid(conn.uid, record.depth, True),)
                else:
                    resp_fuids = (file_uid(conn.uid, record.depth, False),)
            continue
        f = _file(record, conn, is_orig, msg, end, body)
        if f is not None:
            rows.append(f)
            if is_orig:
                orig_fuids = (f.fuid,)
            else:
                resp_fuids = (f.fuid,)
    out = HttpTransaction(
        uid=conn.uid, ts_ns=start.first_ts_ns if start is not None else None, orig_h=conn.orig_h,
        orig_p=conn.orig_p, resp_h=conn.resp_h, resp_p=conn.resp_p, trans_depth=record.depth,
        method=req.method if req is not None else None, host=host,
        uri=text(req.target) if req is not None else None, referrer=header("referer"),
        version=version[5:] if version else None, user_agent=header("user-agent"), origin=header("origin"),
        request_body_len=_body_len(req_end), response_body_len=_body_len(resp_end),
        status_code=resp.status if resp is not None else None,
        status_msg=text(resp.reason) if resp is not None else None,
        info_code=interim.status if interim is not None else None,
        info_msg=interim.reason if interim is not None else None, username=_username(headers),
        orig_fuids=orig_fuids,
        orig_mime_types=_mime_types(tx.request_body, headers.get("content-type") if headers else None),
        resp_fuids=resp_fuids, resp_mime_types=_mime_types(tx.response_body, content_type),
        stream=record.stream, request_frame=record.request_frame, response_frame=record.response_frame,
        time_ns=time_ns, ttfb_ns=ttfb_ns, total_ns=total_ns, content_type=content_type, complete=tx.complete,
        reason=tx.reason,
        details={
            "full_uri": full_uri(text(req.target), host, record.scheme) if req is not None else None,
            "request_first_frame": req.first_frame if req is not None else None,
            "response_first_frame": resp.first_frame if resp is not None else None,
            "request_complete": tx.request_complete, "response_complete": tx.response_complete,
            "content_encoding": resp.headers.get("content-encoding") if resp is not None else None,
            "transfer_encoding": resp.headers.get("transfer-encoding") if resp is not None else None,
            "response_encoded_len": resp_end.body_length if resp_end is not None else 0,
            "request_encoded_len": req_end.body_length if req_end is not None else 0,
            "response_lost_len": resp_end.lost_length if resp_end is not None else 0,
            "decode_error": resp_end.decode_error if resp_end is not None else None,
            "interim": [[r.status, r.reason] for r in tx.interim],
            "gaps": {"client": record.gaps[0], "server": record.gaps[1]},
            "http2_stream": record.http2_stream,
            "websocket": _websocket(req, resp),
        })
    return out, rows


def _items(value: str | None) -> list[str] | None:
    """A header's comma-separated items (Zeek: ``split_string(value, /, */)``), empty ones left out; None
    without the header (Zeek leaves the field unset)."""
    return [v.strip() for v in text(value).split(",") if v.strip()] if value is not None else None


def _websocket(req: Any, resp: Any) -> dict[str, Any] | None:
    """The WebSocket handshake's facts (:class:`~analyzer.api.records.WebSocketSession`) when the response is a
    101 switching to WebSocket (its ``Upgrade`` names it, RFC 6455 4.2.2), else None."""
    if resp is None or resp.status != 101 or req is None or \
            "websocket" not in [v.lower() for v in _items(resp.headers.combined("upgrade")) or ()]:
        return None
    chosen = resp.headers.get("sec-websocket-protocol")
    return {"subprotocol": text(chosen).strip() if chosen is not None else None,
            "client_protocols": _items(req.headers.combined("sec-websocket-protocol")),
            "server_extensions": _items(resp.headers.combined("sec-websocket-extensions")),
            "client_extensions": _items(req.headers.combined("sec-websocket-extensions"))}


def _file(record: HttpRecord, conn: Endpoints, is_orig: bool, msg, end, body: Body) -> HttpFile | None:
    """The files.log row of one message's body, or None when it had none."""
    if msg is None or end is None:
        return None
    seen = _body_len(end)
    if not seen and not end.lost_length:
        return None
    data = body.decoded if body.decoded is not None else body.data
    whole = (end.complete and not end.lost_length and not body.truncated and not body.decoded_truncated
             and data is not None and len(data) == seen)
    announced = msg.headers.get("content-length")
    try:
        total = int(announced) if announced is not None else None
    except ValueError:
        total = None
    ctype = msg.headers.get("content-type")
    mime = sniff_mime(data) or (ctype.split(";")[0].strip().lower() if ctype and data else None)
    return HttpFile(
        fuid=file_uid(conn.uid, record.depth, is_orig), uid=conn.uid, ts_ns=msg.first_ts_ns,
        orig_h=conn.orig_h, orig_p=conn.orig_p, resp_h=conn.resp_h, resp_p=conn.resp_p, source="HTTP",
        depth=record.depth, mime_type=mime, duration_ns=max(end.last_ts_ns - msg.first_ts_ns, 0),
        is_orig=is_orig, seen_bytes=seen, total_bytes=total, missing_bytes=end.lost_length,
        overflow_bytes=0 if whole or not data else max(seen - len(data), 0),
        md5=hashlib.md5(data).hexdigest() if whole else None,
        sha1=hashlib.sha1(data).hexdigest() if whole else None,
        sha256=hashlib.sha256(data).hexdigest() if whole else None,
        stream=record.stream, frame=record.request_frame if is_orig else record.response_frame)


def _start_key(record: HttpRecord) -> tuple:
    """The order the HTTP tracker sorts its records in (first request byte, else response)."""
    tx = record.transaction
    msg = tx.request if tx.request is not None else tx.response
    if msg is None:
        return (0, 0, record.stream, tx.index)
    return (msg.first_ts_ns, msg.first_frame, record.stream, tx.index)


# -- TLS -------------------------------------------------------------------------------------------------------
# Zeek's SSL::version_strings for the versions the TLS decoder names.
ZEEK_TLS_VERSIONS = {"SSL 3.0": "SSLv3", "TLS 1.0": "TLSv10", "TLS 1.1": "TLSv11", "TLS 1.2": "TLSv12",
                     "TLS 1.3": "TLSv13", "DTLS 1.0": "DTLSv10", "DTLS 1.2": "DTLSv12"}


# Zeek's ssl_history letters (base/protocols/ssl/main.zeek), by the TLS decoder's kinds of what it read in clear;
# uppercase for the TLS client, lowercase for the server; other handshake types are "z".
SSL_HISTORY_LETTERS = {
    "hello_request": "h", "client_hello": "c", "server_hello": "s", "hello_verify_request": "v",
    "new_session_ticket": "t", "end_of_early_data": "e", "hello_retry_request": "j", "encrypted_extensions": "o",
    "certificate": "x", "server_key_exchange": "k", "certificate_request": "r", "server_hello_done": "n",
    "certificate_verify": "y", "client_key_exchange": "g", "finished": "f", "certificate_url": "w",
    "certificate_status": "u", "supplemental_data": "a", "key_update": "p", "message_hash": "m",
    "change_cipher_spec": "i", "alert": "l", "heartbeat": "b"}


def ssl_history(session: Any) -> str:
    """Zeek's ``ssl_history``: a letter for each handshake message, ChangeCipherSpec, alert and heartbeat a
    passive observer reads in clear, in arrival order (what keys decrypted is left out, as Zeek, which decrypts
    application data only, never sees it); ``^`` first when the TLS client is the connection's responder."""
    client = session.client_dir
    letters = ("^" if client == 1 else "") + "".join(
        SSL_HISTORY_LETTERS.get(kind, "z").upper() if direction == client else SSL_HISTORY_LETTERS.get(kind, "z")
        for direction, kind in session.clear_sequence)
    return letters[:100]


def _zeek_alert(description: str | None) -> str | None:
    """Wireshark's alert name (``Close Notify``) as Zeek's SSL::alert_descriptions spells it (``close_notify``)."""
    return description.lower().replace(" ", "_") if description else None


def _name_matches(name: str, pattern: str) -> bool:
    """RFC 6125 6.4: a DNS name against a certificate's name, ``*`` as the whole left-most label only."""
    name, pattern = name.lower().rstrip("."), pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = name.partition(".")
        return bool(head) and rest == pattern[2:]
    return name == pattern


def _common_name(subject: str) -> str | None:
    for part in subject.split(","):
        key, _, value = part.partition("=")
        if key.strip().upper() == "CN":
            return value.strip()
    return None


def tls_record(session: Any, conn: Endpoints | None = None, validator: Any = None) -> TlsConnection:
    """One TLS session of the decoder (:class:`analyzer.apps.tls.TlsSession`) as a :class:`TlsConnection`
    (``conn``: its TCP connection; without it the session's client and server stand for it, uid empty;
    ``validator``: the :class:`analyzer.api.trust.Validator` that judges the server's chain, by default the
    system's trust store)."""
    if conn is None:
        conn = Endpoints("", str(session.client[0]), session.client[1], str(session.server[0]), session.server[1])
    client = session.client_dir
    server_certs = [c for c in session.certificates if not c.from_client]
    client_certs = [c for c in session.certificates if c.from_client]
    host = server_certs[0] if server_certs else None
    guest = client_certs[0] if client_certs else None
    finished = {m.direction for m in session.handshake if m.kind == "finished"}
    tls13 = session.version == "TLS 1.3"
    established = session.server_hello is not None and client in finished and (
        tls13 or (1 - client) in finished)
    alerts = [a for a in session.alerts if a.description is not None]
    sni = session.sni
    matches = None
    if sni and host is not None:
        names = host.san or tuple(n for n in (_common_name(host.subject),) if n)
        matches = any(_name_matches(sni, n) for n in names)
    status = None
    if host is not None and host.der:
        if validator is None:
            from analyzer.api.trust import default_validator  # cryptography: only when a chain is seen

            validator = default_validator()
        status = validator.status([c.der for c in server_certs if c.der], host.ts_ns)
    return TlsConnection(
        uid=conn.uid, ts_ns=session.first_ts_ns, orig_h=conn.orig_h, orig_p=conn.orig_p, resp_h=conn.resp_h,
        resp_p=conn.resp_p, version=ZEEK_TLS_VERSIONS.get(session.version, session.version) if session.version
        else None, cipher=session.cipher_suite, curve=session.curve, server_name=sni, resumed=session.resumed,
        last_alert=_zeek_alert(alerts[-1].description) if alerts else None, next_protocol=session.alpn,
        established=established, ssl_history=ssl_history(session),
        cert_chain_fps=tuple(c.sha256 for c in server_certs if c.sha256),
        client_cert_chain_fps=tuple(c.sha256 for c in client_certs if c.sha256),
        subject=host.subject if host is not None else None, issuer=host.issuer if host is not None else None,
        client_subject=guest.subject if guest is not None else None,
        client_issuer=guest.issuer if guest is not None else None, sni_matches_cert=matches,
        validation_status=status,
        client_alpn=session.client_hello.alpn if session.client_hello is not None else (),
        decrypted=session.decrypted, key_problem=session.key_problem, stream=session.stream,
        first_frame=session.first_frame)


# -- the pass ----------------------------------------------------------------------------------------------------
@dataclass
class Results:
    """What one pass found, in the orders the commands print: connections and UDP conversations by stream,
    DNS transactions as they began, HTTP transactions as they started, files with their transactions."""

    connections: list[Connection] = field(default_factory=list)
    udp: list[Connection] = field(default_factory=list)
    icmp: list[Connection] = field(default_factory=list)
    dns: list[DnsTransaction] = field(default_factory=list)
    http: list[HttpTransaction] = field(default_factory=list)
    files: list[HttpFile] = field(default_factory=list)
    tls: list[TlsConnection] = field(default_factory=list)
    frames: int = 0
    first_ts_ns: int | None = None


def count(frames: Iterable[Any], details: bool = True) -> Results:
    """Connections and UDP conversations only, from the flow tables (no application stage, so no
    ``service``): the fast pass of ``analyzer conversations`` (headers only for the common frame shapes).
    ``details``: with the handshake, teardown and reset facts."""
    pipe = Pipeline(analysis=False, dns_over_tcp=False)
    if hasattr(frames, "batches"):
        from analyzer.columnar import count as columnar_count

        columnar_count(pipe, frames)        # one capture file: the columnar core (the same tables)
    else:
        pipe.count(frames)
    tcp_rows = pipe.tcp_rows(details=details, release=True)
    udp_rows = pipe.udp.summaries(release=True)
    with gc_paused():
        return Results(connections=[connection(row) for row in tcp_rows], udp=[connection(row) for row in udp_rows],
                       frames=pipe.frames, first_ts_ns=pipe.first_ts_ns)


def with_local_nets(results: Results, local_nets: LocalNets | None) -> Results:
    """``results`` with ``local_orig``/``local_resp`` of every connection, UDP conversation and ICMP flow
    judged by ``local_nets`` (None: Zeek's default, as the pass made them)."""
    if local_nets is None:
        return results
    for rows in (results.connections, results.udp, results.icmp):
        rows[:] = [replace(c, local_orig=local_nets(c.orig_h), local_resp=local_nets(c.resp_h)) for c in rows]
    return results


class Analysis:
    """One pass: :meth:`feed` frames (or :meth:`run` them all), then :meth:`finish` for the :class:`Results`.

    ``matcher`` (a :class:`analyzer.filter.apply.FrameMatcher`, optional) sees each packet after the
    transaction stage; with it, packets carry every field a display filter may ask for.

    Header path: when nothing looks at the packets (no ``matcher``, ``on_packet``, ``sinks`` or ``fields``),
    :meth:`run` hands the frames to :meth:`Pipeline.feed_headers <analyzer.pipeline.Pipeline.feed_headers>`
    (``any_segment``): a TCP segment no sink needs the packet of is not decoded, and its IP bytes
    (:class:`~analyzer.api.iplevel.IpLevel`) are read from its IP header (:meth:`_ip_bytes`). The records are
    the same as with every frame decoded (``headers=False``; tests/test_api_headers.py runs both on every
    capture). :meth:`feed` always decodes: it returns the packet.
    """

    def __init__(self, *, matcher: Callable[[Any], None] | None = None, files: bool = True,
                 body_limit: int = FILES_BODY_LIMIT, sinks: Iterable[Callable[[Any], Any]] = (),
                 on_packet: Callable[[Any], None] | None = None,
                 on_record: Callable[[HttpRecord], None] | None = None, fields: bool = False, keylog: Any = None,
                 headers: bool = True, http: bool = True):
        """``matcher``: see the class docstring. ``files``: make files rows. ``body_limit``: bytes of each HTTP
        body kept (to hash it; :func:`http_record`). Hooks for the commands that need more than the records:
        ``sinks`` (TCP reassembly sink factories, called with each connection), ``on_packet`` (each packet
        after every stage), ``on_record`` (each HTTP transaction as the tracker hands it out, bodies
        included). ``fields``: put every field on the packets (as ``analyzer read`` shows them). ``keylog``:
        TLS secrets (:class:`analyzer.apps.tls.KeyLog`) to decrypt HTTPS with. ``headers``: :meth:`run` takes
        the header path where it can (see the class docstring); False decodes every frame. ``http`` False: no
        HTTP, HTTP/2 or TLS tracker (:meth:`dns_stream` needs none: a TCP segment off DNS ports then needs no
        packet)."""
        sinks = tuple(sinks)
        self.headers = headers and matcher is None and on_packet is None and not sinks and not fields
        self.matcher = matcher
        self.on_packet = on_packet
        self.on_record = on_record
        self.want_files = files
        self._conns: dict[int, Any] = {}                 # tcp.stream -> the tracker's connection
        self._endpoints: dict[int, Endpoints] = {}
        self._http: list[tuple[tuple, HttpTransaction, list[HttpFile]]] = []
        fields = fields or matcher is not None
        self.tx = Transactions(http=http, tls=http, fields=fields, on_record=self._record, body_limit=body_limit,
                               keylog=keylog)
        self._tls: list[tuple[tuple, TlsConnection]] = []
        if http:                            # else no HTTP, HTTP/2 or TLS tracker (a DNS-only pass)
            self.tx.http.keep = False       # each record is turned into rows at once; bodies are not kept
            self.tx.tls.keep = False        # each session is turned into its row as its connection ends
            self.tx.tls.on_session = self._tls_session
        self.pipe = Pipeline(sinks=[self._remember, *sinks], transactions=self.tx, analysis=fields)
        self.ip = IpLevel()                 # IP bytes per side and the ICMP flows (Zeek's conn.log)

    def _remember(self, conn: Any) -> None:
        self._conns[conn.stream] = conn     # its endpoints and first time make the uid; no sink of its own

    def _endpoints_of(self, stream: int) -> Endpoints | None:
        ends = self._endpoints.get(stream)
        if ends is None:
            conn = self._conns.get(stream)
            if conn is None:
                return None
            o, r = conn.sides
            oh, rh = str(o.addr), str(r.addr)
            ends = self._endpoints[stream] = Endpoints(connection_uid("tcp", oh, o.port, rh, r.port, conn.first_ts),
                                                       oh, o.port, rh, r.port)
        return ends

    def _record_endpoints(self, record: HttpRecord) -> Endpoints | None:
        """The connection of an HTTP record: its TCP connection's; for HTTP/3 (over QUIC: ``record.stream`` is
        then ``udp.stream``, not a TCP stream's number) its UDP conversation's, uid as its conn row's (None when
        the UDP table no longer has it: the record's own client and server stand for it)."""
        msg = record.transaction.request or record.transaction.response
        if msg is not None and msg.version == "HTTP/3":
            flows = getattr(self.pipe.udp, "flows", None)
            (ch, cp), (sh, sp) = record.client, record.server
            hit = flows.lookup((ch, cp, sh, sp)) if flows is not None else None
            if hit is None:
                return None
            c = hit[0]
            oh, rh = str(c.orig_h), str(c.resp_h)
            return Endpoints(connection_uid("udp", oh, c.orig_p, rh, c.resp_p, c.first_ts), oh, c.orig_p, rh,
                             c.resp_p)
        return self._endpoints_of(record.stream)

    def _record(self, record: HttpRecord) -> None:
        if self.on_record is not None:
            self.on_record(record)
        http, files = http_record(record, self._record_endpoints(record))
        self._http.append((_start_key(record), http, files if self.want_files else []))

    def _tls_session(self, session: Any) -> None:
        self._tls.append(((session.first_ts_ns, session.first_frame, session.stream),
                          tls_record(session, self._endpoints_of(session.stream))))

    def feed(self, frame: Any) -> Any:
        """One frame through the pipeline and the transaction stage; the packet."""
        pkt = self.pipe.feed(frame)
        self.ip.packet(pkt)
        if self.matcher is not None:
            self.matcher(pkt)
        if self.on_packet is not None:
            self.on_packet(pkt)
        return pkt

    def header_feeder(self) -> Callable[[Any], None]:
        """One frame on the header path, with its IP-level row: a segment read headers-only counts its bytes,
        a decoded packet goes to the IP level (what :meth:`run` and ``logs`` do per frame)."""
        feed_headers = self.pipe.feed_headers
        packet = self.ip.packet
        ip_bytes = self._ip_bytes

        def one(frame: Any) -> None:
            res = feed_headers(frame, any_segment=True)
            if res.__class__ is HeaderOnly:
                ip_bytes(res)
            else:
                packet(res)
        return one

    def stream_feeder(self, udp: bool = True) -> Callable[[Any], None]:
        """One frame on the streamed record paths (:meth:`http_stream`, ``dns_stream``), no IP-level row: the
        header path (a TCP segment's header tuple read by the compiled ``quick_tcp`` when built: the tuple
        :func:`~analyzer.flows.quick.quick_headers` gives), or the full decode with the display-filter matcher
        and the ``on_packet`` hook. ``udp`` False (:meth:`http_stream` on the header path: no record it makes
        depends on a UDP datagram's payload, nor a packet on its fields): a datagram quick_headers reads is
        only counted in the UDP table (as :meth:`Pipeline.count` does), not decoded nor run through the
        transaction stage (DNS, HTTP over UDP)."""
        feed_headers = self.pipe.feed_headers
        if self.headers:
            quick = compiled("quick_tcp")
            if quick is None and udp:
                return lambda frame: feed_headers(frame, any_segment=True)
            pipe = self.pipe
            feed = pipe.feed
            datagram = pipe.udp.datagram
            keylog = self.tx.http3.keylog if self.tx.http3 is not None else None

            def one_header(frame: Any) -> None:
                h = quick(frame, _quick_cache, address_pair) if quick is not None else None
                if h is None:
                    h = quick_headers(frame.data, frame.linktype, True, frame.origlen)
                    if h is None:
                        feed(frame)
                        return
                    if h[0] == "udp" and not udp and not (keylog is not None and len(keylog)):
                        # with a key log every datagram is decoded: QUIC opened with keys is HTTP/3, on port 443
                        # or wherever tshark's heuristic finds it (decode_quic_heuristic)
                        pipe.frames += 1
                        if pipe.first_ts_ns is None:
                            pipe.first_ts_ns = frame.ts_ns
                        datagram(frame.ts_ns, frame.number, h[1], h[2], h[3], h[4], h[5], frame.origlen)
                        return
                feed_headers(frame, h, any_segment=True)
            return one_header
        feed = self.pipe.feed
        matcher = self.matcher
        on_packet = self.on_packet

        def one(frame: Any) -> None:
            pkt = feed(frame)
            if matcher is not None:
                matcher(pkt)
            if on_packet is not None:
                on_packet(pkt)
        return one

    def run(self, frames: Iterable[Any]) -> Results:
        with gc_paused():
            feed = self.header_feeder() if self.headers else self.feed
            for frame in frames:
                feed(frame)
        return self.finish()

    def http_stream(self, frames: Iterable[Any], every: int = STREAM_EVERY) -> Iterator[HttpTransaction]:
        """The HTTP transactions of ``frames`` in the order :meth:`finish` gives them (as they started), each
        handed out as soon as nothing still open can start before it, so that memory holds the open
        connections' transactions and those waiting behind the oldest of them, not the file's. No other
        record is made (connections, DNS, files, TLS: use :meth:`run` for those).

        Every ``every`` frames the least start a transaction still to come can have is taken: the oldest
        unfinished transaction, message or buffered byte of an open connection
        (:meth:`HttpTracker.earliest_open_start <analyzer.apps.http.sink.HttpTracker.earliest_open_start>`),
        and the frame just read (later bytes come with later frames); what started before it goes out. A
        capture whose time goes backwards stops the releases from that frame on (the rest comes out sorted
        at the end); what went out before stays as it went.

        With a ``matcher`` (``-Y``), only the transactions whose request or response frame matched (as
        ``Capture.analyze`` keeps them), asked as they go out; a :class:`~analyzer.api.stream.WindowMatcher`
        is told at each look which frames no transaction still to come names, and forgets them."""
        import heapq

        held: list[tuple[tuple, int, HttpTransaction]] = []
        seq = 0
        http = self.tx.http
        self.want_files = False
        if self.tx.dns is not None:
            self.tx.dns.keep = False            # no DNS records are made here: none kept
        self.tx.tls.on_session = lambda session: None       # nor TLS ones

        def on_record(record: HttpRecord) -> None:
            nonlocal seq
            if self.on_record is not None:
                self.on_record(record)
            tx, _files = http_record(record, self._record_endpoints(record), files=False)
            heapq.heappush(held, (_start_key(record), seq, tx))
            seq += 1

        self.tx.http.on_record = on_record

        def retired(conn: Any) -> None:
            # nothing of this connection is to come (no other sink of it open): its uid is not needed again
            if not http.open.has_conn(conn):
                self._conns.pop(getattr(conn, "stream", None), None)

        http.on_retire = retired
        tracker = self.pipe.tcp
        tracker.keep_summaries = False          # no connection rows are made here: none kept (issue 12)
        finished_before = tracker.on_finish

        def finished(conn: Any) -> None:
            # a connection no HTTP sink took is never retired: forget it when the tracker finishes it (its sinks
            # are closed by then: every record of it is made), else _conns holds the file's (issue 12)
            retired(conn)
            if finished_before is not None:
                finished_before(conn)

        tracker.on_finish = finished
        ordered = True
        last_ts = None
        n = 0
        with gc_paused():
            feed = self.stream_feeder(udp=False)
            matcher = self.matcher
            forget = getattr(matcher, "forget_before", None)   # a WindowMatcher: frames no record names go
            for frame in frames:
                feed(frame)
                ts = frame.ts_ns
                if last_ts is not None and ts < last_ts:
                    ordered = False
                last_ts = ts
                n += 1
                if n % every or not ordered:
                    continue
                if forget is not None:
                    # no record to come names a frame before the least start still open, nor one held
                    opened = http.earliest_open_start()
                    floor = min([frame.number] + ([opened[1]] if opened is not None else [])
                                + [f for _k, _s, h in held for f in (h.request_frame, h.response_frame)
                                   if f is not None])
                if held:
                    bound = (ts, frame.number)
                    opened = http.earliest_open_start()
                    if opened is not None and opened < bound:
                        bound = opened
                    while held and held[0][0] < bound:
                        h = heapq.heappop(held)[2]
                        if matcher is None or matcher.any(h.request_frame, h.response_frame):
                            yield h
                    self._endpoints.clear()     # a cache: made again from the connection for its next record
                if forget is not None:
                    forget(floor)
            self.pipe.finish()
            self.tx.finish()
            self._conns.clear()
        while held:
            h = heapq.heappop(held)[2]
            if matcher is None or matcher.any(h.request_frame, h.response_frame):
                yield h

    def dns_stream(self, frames: Iterable[Any], every: int = STREAM_EVERY,
                   make: Callable[..., Any] | None = None, uids: bool = True) -> Iterator[DnsTransaction]:
        """The DNS transactions of ``frames`` in the order :meth:`finish` gives them, each as soon as it is
        final (:func:`analyzer.api.stream.dns_stream`); with a ``matcher`` (a
        :class:`~analyzer.api.stream.WindowMatcher`), those whose query or response frame matched. ``make(tx,
        uid, tc_retry_frame)``: what to hand out in place of each record, ``uids`` False: given no uid
        (:class:`~analyzer.api.stream.DnsRelease`)."""
        from analyzer.api.stream import dns_stream

        return dns_stream(self, frames, every, make, uids)

    def _ip_bytes(self, res: HeaderOnly) -> None:
        """What :meth:`IpLevel.packet <analyzer.api.iplevel.IpLevel.packet>` counts for a TCP segment run from
        its headers: the IPv4 total length (or 40 + the IPv6 payload length) as its header says, to its sender
        in its stream (the shapes :func:`~analyzer.flows.quick.quick_headers` reads: one IP header, no
        fragment)."""
        frame = res.frame
        data = frame.data
        off, version = _network_offset(data, frame.linktype)
        total = (data[off + 2] << 8 | data[off + 3]) if version == 4 else (data[off + 4] << 8 | data[off + 5]) + 40
        h = res.headers
        stream = res.fields.get("tcp.stream")
        if stream is None:
            return
        key = ("tcp", stream, h[1], h[2])
        ip_bytes = self.ip.ip_bytes
        ip_bytes[key] = ip_bytes.get(key, 0) + total

    def finish(self) -> Results:
        """End of input: every connection closed, the records made."""
        pipe = self.pipe
        pipe.finish()
        self.tx.finish()
        self._conns.clear()         # every record is made: the rows below release the connections one by one
        with gc_paused():
            tcp_rows = pipe.tcp_rows(details=True, release=True)
            udp_rows = pipe.udp.summaries(release=True)
        services: dict[tuple[str, int], set[str]] = {}
        dns_txs = self.tx.dns.transactions
        for t in dns_txs:
            if t.stream is not None:
                services.setdefault((t.proto, t.stream), set()).add("dns")
        http = sorted(self._http, key=lambda item: item[0])
        for _key, h, _files in http:
            if h.version == "3":        # HTTP/3: over QUIC, its stream a UDP conversation's
                services.setdefault(("udp", h.stream), set()).update(("quic", "http"))
            else:
                services.setdefault(("tcp", h.stream), set()).add("http")
        quic = pipe.quic.conns          # the UDP conversations that carried QUIC (decode/quic.QuicConnections)
        if quic:
            for row in udp_rows:
                ends = (str(row["id.orig_h"]), row["id.orig_p"], str(row["id.resp_h"]), row["id.resp_p"])
                if ends in quic or (ends[2], ends[3], ends[0], ends[1]) in quic:
                    services.setdefault(("udp", row["stream"]), set()).add("quic")

        def service(proto: str, stream: int) -> str | None:
            names = services.get((proto, stream))
            return ",".join(sorted(names)) if names else None

        ip = self.ip
        for proto, rows in (("tcp", tcp_rows), ("udp", udp_rows)):
            for row in rows:
                row["orig_ip_bytes"] = ip.of(proto, row["stream"], str(row["id.orig_h"]), row["id.orig_p"])
                row["resp_ip_bytes"] = ip.of(proto, row["stream"], str(row["id.resp_h"]), row["id.resp_p"])
        connections = [connection(row, service("tcp", row["stream"])) for row in tcp_rows]
        udp = [connection(row, service("udp", row["stream"])) for row in udp_rows]
        icmp = [connection(flow.row()) for flow in ip.icmp]
        ip.ip_bytes.clear()
        uids = {("tcp", c.stream): c.uid for c in connections}
        uids.update((("udp", c.stream), c.uid) for c in udp)
        dns = tc_retries([dns_record(t, uids.get((t.proto, t.stream))) for t in dns_txs])
        self.tx.dns.transactions = []
        # HTTP/3 transactions: the uid of their QUIC connection's UDP conversation, known now
        http = [(k, replace(h, uid=uids.get(("udp", h.stream), h.uid)) if h.version == "3" and not h.uid else h, f)
                for k, h, f in http]
        return Results(connections=connections, udp=udp, icmp=icmp, dns=dns, http=[h for _k, h, _f in http],
                       files=[f for _k, _h, files in http for f in files],
                       tls=[t for _k, t in sorted(self._tls, key=lambda item: item[0])], frames=pipe.frames,
                       first_ts_ns=pipe.first_ts_ns)
