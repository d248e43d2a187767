"""The typed objects of the library API: one per connection, DNS transaction, HTTP transaction, HTTP body,
TLS session, WebSocket session.

They are Zeek's log rows as Python values: a :class:`Connection` is a ``conn.log`` row, a
:class:`DnsTransaction` a ``dns.log`` row, an :class:`HttpTransaction` an ``http.log`` row, an :class:`HttpFile`
a ``files.log`` row, each with a few more facts the analyzer knows (frame numbers, ``tcp.stream``, who closed,
TIME_WAIT); a :class:`TlsConnection` is an ``ssl.log`` row, a :class:`WebSocketSession` a ``websocket.log`` row. Attribute names are Zeek's column names made
Python names (``id.orig_h`` -> ``orig_h``, ``AA`` -> ``aa``); :mod:`analyzer.api.tables` gives the columns
their Zeek names back.

Times are integer nanoseconds since the epoch (``ts_ns``), durations integer nanoseconds (``*_ns``), with
``ts``/``duration``/``rtt`` properties as ``datetime`` (UTC) and float seconds. Frame numbers count from 1 in
the (merged) capture, ``stream`` is Wireshark's ``tcp.stream`` / ``udp.stream``. Strings from packets are kept
as they were (escaping is the printers' job).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def to_datetime(ts_ns: int | None) -> datetime | None:
    """A UTC datetime (microsecond precision) for integer nanoseconds since the epoch."""
    if ts_ns is None:
        return None
    return datetime.fromtimestamp(ts_ns // 1000 / 1e6, tz=UTC)


def seconds(ns: int | None) -> float | None:
    return None if ns is None else ns / 1e9


@dataclass(frozen=True, slots=True)
class Connection:
    """One TCP connection or UDP conversation, as Zeek's conn.log and ``tshark -z conv`` see it.

    ``orig`` is the side that opened it (the SYN's sender; for UDP the first sender, unless that one is on
    a server's port and the other is not); ``orig_guessed`` says the capture began mid-connection and the
    roles were guessed from the ports. ``orig_bytes``/``resp_bytes`` count payload bytes once (no
    retransmissions), ``orig_frame_bytes``/``resp_frame_bytes`` whole frames, as tshark's conversation table.
    ``service`` names the application protocols found on it (``http``, ``dns``), comma-separated.
    ``orig_ip_bytes``/``resp_ip_bytes`` sum the IP total lengths each side sent (Zeek's; 0 from the fast
    ``count`` pass, which reads no IP lengths); ``missed_bytes`` were lost in sequence gaps never filled;
    ``local_orig``/``local_resp``: the address is in the local nets (``analyzer.open(..., local_nets=...)``; by
    default Zeek's, its private address space, :data:`analyzer.api.iplevel.LOCAL_NETS`; None with no local
    nets). ICMP flows (``proto`` ``icmp``) are formed as Zeek forms them
    (:mod:`analyzer.api.iplevel`): the ports are the ICMP type and its counterpart type or code, and
    ``history`` is None. ``details`` holds the handshake, teardown and reset facts of ``analyzer conversations --json``.
    """

    uid: str
    proto: str
    ts_ns: int
    orig_h: str
    orig_p: int
    resp_h: str
    resp_p: int
    service: str | None
    duration_ns: int
    orig_bytes: int
    resp_bytes: int
    conn_state: str
    history: str | None
    orig_pkts: int
    resp_pkts: int
    orig_frame_bytes: int
    resp_frame_bytes: int
    missed_bytes: int
    stream: int
    first_frame: int
    last_frame: int
    irtt_ns: int | None = None
    closed_by: str | None = None
    time_wait: str | None = None
    orig_guessed: bool = False
    orig_ip_bytes: int = 0
    resp_ip_bytes: int = 0
    local_orig: bool | None = None
    local_resp: bool | None = None
    details: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ts(self) -> datetime:
        return to_datetime(self.ts_ns)

    @property
    def duration(self) -> float:
        return self.duration_ns / 1e9

    @property
    def irtt(self) -> float | None:
        return seconds(self.irtt_ns)

    @property
    def last_ts_ns(self) -> int:
        return self.ts_ns + self.duration_ns

    @property
    def bytes(self) -> int:
        """Payload bytes both ways."""
        return self.orig_bytes + self.resp_bytes


@dataclass(frozen=True, slots=True)
class DnsTransaction:
    """One DNS query with its response (over UDP or TCP), as Zeek's dns.log and tshark pair them.

    ``rtt_ns`` is tshark's ``dns.time`` (None when unanswered); ``answers`` as Zeek lists them (addresses,
    names; for MX the exchange) with their ``ttls`` (seconds); ``rejected``: a response without any record.
    ``tc_retry_frame``: for a truncated (TC) answer over UDP, the frame of the query the client then sent
    over TCP for the same name and type (None when it did not).
    """

    uid: str
    proto: str
    ts_ns: int
    orig_h: str
    orig_p: int
    resp_h: str
    resp_p: int
    trans_id: int
    rtt_ns: int | None
    query: str | None
    qclass: int | None
    qclass_name: str | None
    qtype: int | None
    qtype_name: str | None
    rcode: int | None
    rcode_name: str | None
    aa: bool
    tc: bool
    rd: bool
    ra: bool
    z: int
    answers: tuple[str, ...]
    ttls: tuple[int, ...]
    rejected: bool
    service: str
    stream: int | None
    query_frame: int | None
    response_frame: int | None
    retransmissions: tuple[int, ...] = ()
    response_retransmissions: tuple[int, ...] = ()
    extra_responses: tuple[int, ...] = ()
    cname_chain: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    answer_types: tuple[str, ...] = ()
    malformed: bool = False
    tc_retry_frame: int | None = None

    @property
    def ts(self) -> datetime:
        return to_datetime(self.ts_ns)

    @property
    def rtt(self) -> float | None:
        return seconds(self.rtt_ns)

    @property
    def answered(self) -> bool:
        return self.response_frame is not None

    @property
    def unsolicited(self) -> bool:
        return self.query_frame is None


@dataclass(frozen=True, slots=True)
class HttpTransaction:
    """One HTTP request with its response, as Zeek's http.log (plus tshark's frames and times).

    ``time_ns`` is tshark's ``http.time`` (the frame completing the response minus the one completing the
    request); ``ttfb_ns`` the first byte of the response minus the last byte of the request; ``total_ns`` the
    frame completing the response minus the request's first byte. Body lengths are after de-chunking and
    content decoding (Zeek's). ``complete`` is False when a message was not seen whole (``reason`` says why).
    ``resp_fuids``/``orig_fuids`` name the bodies' :class:`HttpFile` rows.
    """

    uid: str
    ts_ns: int | None
    orig_h: str
    orig_p: int
    resp_h: str
    resp_p: int
    trans_depth: int
    method: str | None
    host: str | None
    uri: str | None
    referrer: str | None
    version: str | None
    user_agent: str | None
    origin: str | None
    request_body_len: int
    response_body_len: int
    status_code: int | None
    status_msg: str | None
    info_code: int | None
    info_msg: str | None
    username: str | None
    orig_fuids: tuple[str, ...]
    orig_mime_types: tuple[str, ...]
    resp_fuids: tuple[str, ...]
    resp_mime_types: tuple[str, ...]
    stream: int
    request_frame: int | None
    response_frame: int | None
    time_ns: int | None
    ttfb_ns: int | None
    total_ns: int | None
    content_type: str | None
    complete: bool
    reason: str | None
    details: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ts(self) -> datetime | None:
        return to_datetime(self.ts_ns)

    @property
    def ttfb(self) -> float | None:
        return seconds(self.ttfb_ns)

    @property
    def time(self) -> float | None:
        return seconds(self.time_ns)

    @property
    def total_time(self) -> float | None:
        return seconds(self.total_ns)


@dataclass(frozen=True, slots=True)
class HttpFile:
    """One HTTP body (request or response), as Zeek's files.log: sizes and hashes of the decoded bytes.

    ``seen_bytes`` were seen, ``total_bytes`` announced (Content-Length, None when not announced),
    ``missing_bytes`` lost in capture gaps. The hashes are of the whole body after content decoding; None
    when it was not seen whole or was longer than the analyzer keeps (``overflow_bytes`` > 0).
    """

    fuid: str
    uid: str
    ts_ns: int
    orig_h: str
    orig_p: int
    resp_h: str
    resp_p: int
    source: str
    depth: int
    mime_type: str | None
    duration_ns: int
    is_orig: bool
    seen_bytes: int
    total_bytes: int | None
    missing_bytes: int
    overflow_bytes: int
    md5: str | None
    sha1: str | None
    sha256: str | None
    stream: int
    frame: int | None

    @property
    def ts(self) -> datetime:
        return to_datetime(self.ts_ns)

    @property
    def duration(self) -> float:
        return self.duration_ns / 1e9


@dataclass(frozen=True, slots=True)
class TlsConnection:
    """One TCP connection that carried TLS, as Zeek's ssl.log (from the TLS decoder's session facts,
    :class:`analyzer.apps.tls.TlsSession`).

    ``ts_ns`` is the first TLS record's time. ``version`` and ``cipher`` are Zeek's names (``TLSv13``,
    ``TLS_AES_128_GCM_SHA256``), ``curve`` the key-exchange group (``x25519``), ``server_name`` the SNI,
    ``next_protocol`` the ALPN protocol the server chose. ``established``: both sides finished the handshake
    (each side's Finished seen, in clear, decrypted, or as the encrypted record that must hold it).
    ``last_alert``: the last alert that could be read (Zeek's names: ``close_notify``...). Certificates
    are listed when visible (TLS 1.2 in clear, TLS 1.3 only when decrypted): ``cert_chain_fps`` their SHA-256
    fingerprints (hex), ``subject``/``issuer`` the server's own certificate's (RFC 4514 strings), the
    ``client_*`` ones a client certificate's. ``decrypted``/``key_problem`` say whether keys opened it.
    ``ssl_history``: Zeek's letters for what was read in clear, in order, uppercase for the client (``CsxknGIi``:
    ClientHello, ServerHello, Certificate, ServerKeyExchange, ServerHelloDone, ClientKeyExchange, each side's
    ChangeCipherSpec; see :func:`analyzer.api.build.ssl_history`). ``validation_status``: the server's chain
    against the system's trust store at the capture's time, in OpenSSL's words as Zeek logs them (``ok``,
    ``self-signed certificate``, ``unable to get local issuer certificate``...; None without a certificate;
    :mod:`analyzer.api.trust`).
    """

    uid: str
    ts_ns: int
    orig_h: str
    orig_p: int
    resp_h: str
    resp_p: int
    version: str | None
    cipher: str | None
    curve: str | None
    server_name: str | None
    resumed: bool
    last_alert: str | None
    next_protocol: str | None
    established: bool
    ssl_history: str
    cert_chain_fps: tuple[str, ...]
    client_cert_chain_fps: tuple[str, ...]
    subject: str | None
    issuer: str | None
    client_subject: str | None
    client_issuer: str | None
    sni_matches_cert: bool | None
    validation_status: str | None
    client_alpn: tuple[str, ...]
    decrypted: bool
    key_problem: str | None
    stream: int
    first_frame: int

    @property
    def ts(self) -> datetime:
        return to_datetime(self.ts_ns)


@dataclass(frozen=True, slots=True)
class WebSocketSession:
    """One HTTP/1.1 connection switched to WebSocket (RFC 6455: a 101 answering ``Upgrade: websocket``), as
    Zeek's websocket.log: the opening handshake's host, URI and user agent (as in http.log), the subprotocol
    the server chose and what the client offered, the extensions each side named (``permessage-deflate;
    client_max_window_bits``: one entry per comma-separated item, as Zeek splits them; None when the header was
    not sent, as Zeek leaves the field unset). ``ts_ns`` is the 101's
    (Zeek logs at ``websocket_established``); ``request_frame``/``response_frame`` the handshake's."""

    uid: str
    ts_ns: int | None
    orig_h: str
    orig_p: int
    resp_h: str
    resp_p: int
    host: str | None
    uri: str | None
    user_agent: str | None
    subprotocol: str | None
    client_protocols: tuple[str, ...] | None
    server_extensions: tuple[str, ...] | None
    client_extensions: tuple[str, ...] | None
    stream: int
    request_frame: int | None
    response_frame: int | None

    @property
    def ts(self) -> datetime | None:
        return to_datetime(self.ts_ns)


def websocket_of(h: HttpTransaction) -> WebSocketSession | None:
    """The WebSocket session an HTTP transaction opened (its ``details["websocket"]``: the handshake's
    headers), None for any other transaction."""
    ws = h.details.get("websocket")
    if ws is None:
        return None
    ts = h.ts_ns + h.total_ns if h.ts_ns is not None and h.total_ns is not None else h.ts_ns     # the 101's
    return WebSocketSession(
        uid=h.uid, ts_ns=ts, orig_h=h.orig_h, orig_p=h.orig_p, resp_h=h.resp_h, resp_p=h.resp_p,
        host=h.host, uri=h.uri, user_agent=h.user_agent, subprotocol=ws["subprotocol"],
        client_protocols=_tuple(ws["client_protocols"]), server_extensions=_tuple(ws["server_extensions"]),
        client_extensions=_tuple(ws["client_extensions"]), stream=h.stream, request_frame=h.request_frame,
        response_frame=h.response_frame)


def _tuple(items: list[str] | None) -> tuple[str, ...] | None:
    return tuple(items) if items is not None else None
