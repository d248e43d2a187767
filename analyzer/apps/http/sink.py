"""HTTP over the TCP reassembler: a sink per connection that feeds an :class:`HttpConversation`, puts
tshark's ``http.*`` fields on the frame that completes each message, and hands out one
:class:`HttpRecord` per transaction.

Theory of operation
-------------------
:class:`HttpTracker` is a sink factory (``tracker(connection) -> sink``) for
:class:`analyzer.pipeline.Pipeline`.
Every TCP connection gets an :class:`HttpSink`, on any port; the sink stays idle until a direction
delivers its first bytes, and gives up for good once both directions proved not to be HTTP (the parser
judges a stream by its first bytes, so non-HTTP payload is never taken for HTTP, port 80 or not).

* Roles. The client is the side whose first bytes begin a request line, the server the side whose first
  bytes begin a status line. A stream whose SYN was seen and whose first bytes can begin neither is not
  HTTP: the connection is dropped at once.
* Pick-up. A direction whose SYN was not captured (the capture started mid-connection), or whose first
  event is a gap, is parsed from the first segment that begins a message (as tshark does), so the tail of
  a body is never read as a message; the roles wait for that segment too.
* Fields. A message gets a layer named ``http`` (:class:`HttpLayer`, whose ``info`` is tshark's Info text)
  on the frame that completed it — the frame of its last byte, or the FIN frame for a body read until
  close — and only when it was seen whole, as tshark shows reassembled PDUs. Responses get
  ``http.request_in``, ``http.time`` (completion frame of the response minus that of the request) and
  ``http.prev_*``; a request gets ``http.response_in`` once its response completes (later frames:
  consumers that print each frame at once never see it, as with single-pass tshark).
* The sink receives the :class:`~analyzer.decode.packet.Packet` being processed with every byte it is
  given, but not with a FIN or RST; fields for a message that a FIN completed are kept in
  ``tracker.pending`` and put on the packet by :meth:`HttpTracker.packet`, which the caller runs after
  the pipeline has processed each packet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analyzer.apps.http.conversation import DEFAULT_BODY_LIMIT, HttpConversation, Transaction
from analyzer.apps.http.events import (
    CAPTURE_ENDED,
    CONNECTION_CLOSED,
    CONNECTION_RESET,
    EndOfMessage,
    Request,
    Response,
)
from analyzer.apps.http.headers import Headers, content_length
from analyzer.apps.http.media import body_protocol
from analyzer.apps.http.parser import CLIENT, CLOSED, NOT_HTTP, SERVER
from analyzer.apps.http.readers import (
    PREFIX_CHECK_LENGTH,
    parse_request_line,
    parse_status_line,
    plausible_start,
)
from analyzer.apps.websocket import KEEP_PAYLOAD, WsFrame
from analyzer.apps.websocket import frame_fields as websocket_fields
from analyzer.apps.websocket import frame_info as websocket_info
from analyzer.apps.websocket import layer_problem as websocket_problem
from analyzer.decode.decode_as import DNS_TCP_PORTS
from analyzer.decode.packet import Layer, Packet, add_field
from analyzer.tcp.analysis import seconds
from analyzer.tcp.reassembly import Deferred

MAX_START_LINE = 8192   # how far the first bytes are searched for the end of the first line

# Header fields tshark names (packet-http.c's headers[] table); the others only appear in *.line.
HEADER_FIELDS = {
    "authorization": "http.authorization",
    "proxy-authenticate": "http.proxy_authenticate",
    "proxy-authorization": "http.proxy_authorization",
    "www-authenticate": "http.www_authenticate",
    "content-type": "http.content_type",
    "content-length": "http.content_length_header",
    "content-encoding": "http.content_encoding",
    "transfer-encoding": "http.transfer_encoding",
    "upgrade": "http.upgrade",
    "user-agent": "http.user_agent",
    "host": "http.host",
    "connection": "http.connection",
    "cookie": "http.cookie",
    "accept": "http.accept",
    "referer": "http.referer",
    "accept-language": "http.accept_language",
    "accept-encoding": "http.accept_encoding",
    "date": "http.date",
    "cache-control": "http.cache_control",
    "server": "http.server",
    "location": "http.location",
    "sec-websocket-accept": "http.sec_websocket_accept",
    "sec-websocket-extensions": "http.sec_websocket_extensions",
    "sec-websocket-key": "http.sec_websocket_key",
    "sec-websocket-protocol": "http.sec_websocket_protocol",
    "sec-websocket-version": "http.sec_websocket_version",
    "set-cookie": "http.set_cookie",
    "last-modified": "http.last_modified",
    "x-forwarded-for": "http.x_forwarded_for",
    "http2-settings": "http.http2_settings",
}

# tshark's vals_status_code (http.response.code.desc).
STATUS_TEXT = {
    100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints",
    199: "Informational - Others",
    200: "OK", 201: "Created", 202: "Accepted", 203: "Non-authoritative Information", 204: "No Content",
    205: "Reset Content", 206: "Partial Content", 207: "Multi-Status", 208: "Already Reported",
    226: "IM Used", 299: "Success - Others",
    300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
    305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect", 399: "Redirection - Others",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 406: "Not Acceptable", 407: "Proxy Authentication Required",
    408: "Request Time-out", 409: "Conflict", 410: "Gone", 411: "Length Required",
    412: "Precondition Failed", 413: "Request Entity Too Large", 414: "Request-URI Too Long",
    415: "Unsupported Media Type", 416: "Requested Range Not Satisfiable", 417: "Expectation Failed",
    418: "I'm a teapot", 421: "Misdirected Request", 422: "Unprocessable Entity", 423: "Locked",
    424: "Failed Dependency", 425: "Too Early", 426: "Upgrade Required", 428: "Precondition Required",
    429: "Too Many Requests", 431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons",
    499: "Client Error - Others",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Time-out", 505: "HTTP Version not supported", 506: "Variant Also Negotiates",
    507: "Insufficient Storage", 508: "Loop Detected", 510: "Not Extended",
    511: "Network Authentication Required", 599: "Server Error - Others",
}


class HttpLayer(Layer):
    """The ``http`` layer of one message; ``info`` is the text tshark's Info column shows for it."""

    __slots__ = ("body", "info")

    def __init__(self, offset: int, length: int, fields: dict[str, Any], info: str, name: str = "http"):
        super().__init__(name, offset, length, fields)
        self.info = info
        self.body: str | None = None    # the protocol tshark shows its body as (analyzer.apps.http.media), if any


@dataclass(frozen=True, slots=True)
class HttpRecord:
    """One transaction of one connection, with where and when its messages completed.

    ``request_frame``/``response_frame`` are the frames that completed the messages (tshark's
    ``http.request_in`` and the frame showing the response), None when a message was not seen whole;
    ``client``/``server`` are ``(address, port)``; ``gaps`` counts the bytes-lost events of each
    direction (client, server) when the transaction was handed out; ``scheme`` is ``https`` for HTTP
    decrypted from TLS; ``http2_stream`` is the HTTP/2 stream id of a transaction carried by HTTP/2
    (:mod:`analyzer.apps.http2`; its messages' version is ``HTTP/2``), None for HTTP/1.x.
    """

    stream: int
    client: tuple[Any, int]
    server: tuple[Any, int]
    transaction: Transaction
    request_frame: int | None
    request_ts_ns: int | None
    response_frame: int | None
    response_ts_ns: int | None
    gaps: tuple[int, int] = (0, 0)
    scheme: str = "http"
    http2_stream: int | None = None

    @property
    def depth(self) -> int:
        """1-based position of the transaction on its connection (Zeek's trans_depth)."""
        return self.transaction.index + 1

    @property
    def incomplete(self) -> str | None:
        """Why the transaction was not seen whole, None when it was: "gap" (the capture lost bytes of it, or
        its whole response: then ``transaction.response`` is None), "capture ended", "connection closed",
        "connection reset", "malformed", "not HTTP", "no request", "no response"."""
        return None if self.transaction.complete else self.transaction.reason

    @property
    def response_lost_bytes(self) -> int:
        """Bytes of the response body the capture lost (its framing counted them), 0 when none."""
        end = self.transaction.response_end
        return end.lost_length if end is not None else 0

    @property
    def notes(self) -> tuple[str, ...]:
        """What was not by the book in the messages (a malformed request line, bare LF line ends...)."""
        tx = self.transaction
        return (tx.request.notes if tx.request is not None else ()) + \
            (tx.response.notes if tx.response is not None else ())


def text(value: str) -> str:
    """A header value, target or phrase as text: the parser keeps wire bytes as ISO-8859-1; shown here as
    UTF-8, with bytes that are not UTF-8 kept as surrogate escapes (the report layer shows them as \\xNN)."""
    if value.isascii():
        return value
    return value.encode("latin-1").decode("utf-8", "surrogateescape")


def authority_form(target: str) -> bool:
    """A CONNECT's request target, ``host:port`` (RFC 9110 7.1): not absolute, no "/" or "*" first."""
    return "://" not in target and target[:1] not in ("/", "*", "") and ":" in target


def full_uri(target: str, host: str | None, scheme: str = "http") -> str:
    """tshark's http.request.full_uri: an absolute-form target as it is, and so the authority-form target of a
    CONNECT, else ``http://`` (``https://`` over TLS) + the Host header + the target (tshark gives none when
    there is no Host header: see ``HttpSink.request_ended``)."""
    if "://" in target or authority_form(target):
        return target
    return f"{scheme}://{host or ''}{target}"


# Request methods tshark shows as notifications (GENA, SSDP): ``http.notification`` instead of
# ``http.request``, unknown header lines as ``http.unknown_header``, no request number.
NOTIFICATION_METHODS = frozenset(("NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE"))


def notification_fields(request: Request) -> dict[str, Any]:
    """The fields tshark gives a notification (NOTIFY, SUBSCRIBE, UNSUBSCRIBE): its request line, the named
    headers, the others as ``http.unknown_header`` lines, ``http.request.full_uri`` and ``http.notification``."""
    fields: dict[str, Any] = {"http.request.method": request.method}
    if request.target:
        fields["http.request.uri"] = text(request.target)
    if request.version:
        fields["http.request.version"] = request.version
    fields.update(header_fields(request.headers, "", ()))
    for line in request.lines:
        if line.partition(":")[0].strip().lower() not in HEADER_FIELDS:
            add_field(fields, "http.unknown_header", text(line))
    host = request.headers.get("host")
    if host is not None:
        fields["http.request.full_uri"] = full_uri(text(request.target), text(host))
    fields["http.notification"] = 1
    return fields


def header_fields(headers: Headers, line_field: str, lines: tuple[str, ...] = ()) -> dict[str, Any]:
    """The header block as tshark's fields: one named field per known header, every line in *.line (the
    wire ``lines`` when given, with their own spacing and line endings, as tshark shows them; no lines at
    all when ``line_field`` is empty)."""
    out: dict[str, Any] = {}
    for name, value in headers:
        value = text(value)
        key = HEADER_FIELDS.get(name.lower())
        if key is not None:
            add_field(out, key, value)
            if key == "http.cookie":
                for pair in value.split(";"):
                    pair = pair.strip()
                    if pair:
                        add_field(out, "http.cookie_pair", pair)
        if not lines and line_field:
            add_field(out, line_field, f"{name}: {value}\r\n")
    if line_field:
        for line in lines:
            add_field(out, line_field, text(line))
    length, error = content_length(headers)
    if length is not None and error is None:
        out["http.content_length"] = length
    return out


def info_text(message: Request | Response, end: EndOfMessage) -> str:
    """tshark's Info text for one message: the start line, a space, and " (type)" when it had a body."""
    if isinstance(message, Request):
        # a malformed request line lacks its version or target: tshark shows the parts that are there
        out = " ".join(part for part in (message.method, text(message.target), message.version) if part) + " "
    else:
        out = f"{message.version} {message.status} {text(message.reason)} "
    ctype = message.headers.get("content-type")
    if end.body_length and ctype:
        out += f" ({text(ctype).split(';')[0].strip()})"
    return out


class _Conversation(HttpConversation):
    """An HttpConversation that tells its sink when each message ends (for the frame fields)."""

    def __init__(self, sink: HttpSink, **options: Any):
        super().__init__(**options)
        self._sink = sink
        self._interim_response: Response | None = None

    def _on_client_event(self, event) -> None:
        pair = self._client_pair
        super()._on_client_event(event)
        if type(event) is EndOfMessage and pair is not None and pair.request is not None:
            self._sink.request_ended(pair.index, pair.request, event)

    def _on_server_event(self, event) -> None:
        pair = self._server_pair
        interim = self._server_interim
        super()._on_server_event(event)
        if type(event) is Response:
            ws = self.websocket
            if ws is not None and ws.listener is None and self._sink.tracker.fields:
                # a 101 to WebSocket: each frame that follows gets its websocket layer (read)
                ws.listener = self._sink.websocket_frame
                ws.keep_payload = KEEP_PAYLOAD
            if self._server_interim:
                self._interim_response = event
        elif type(event) is EndOfMessage:
            if interim:
                if self._interim_response is not None:
                    index = self._pending[0].index if self._pending else None
                    self._sink.response_ended(index, self._interim_response, event, interim=True)
                    self._interim_response = None
            elif pair is not None and pair.response is not None:
                self._sink.response_ended(pair.index, pair.response, event, interim=False)

    def unfinished(self) -> list[Transaction]:
        """The transactions not handed out yet, as they stand now (nothing is consumed)."""
        return [self._build(pair) for pair in self._unfinished]


class HttpSink:
    """The reassembly sink of one TCP connection (see the module docstring). Handed a
    :class:`~analyzer.tcp.reassembly.Deferred` for a segment's packet, it makes the packet only when a message
    ends in that segment (its http layer goes there)."""

    takes_deferred = True

    __slots__ = (
        "_last",
        "_last_uri",
        "_number",
        "_pkt",
        "_prev_request",
        "_prev_request_layer",
        "_prev_response",
        "_prev_response_layer",
        "_req",
        "client_dir",
        "conn",
        "conv",
        "dead",
        "fed",
        "first_index",
        "pickup",
        "scheme",
        "tracker",
    )

    def __init__(self, tracker: HttpTracker, conn: Any):
        self.tracker = tracker
        self.conn = conn
        self.scheme = "http"              # "https" when fed the plaintext of a TLS connection
        self.first_index = 0              # its first transaction's index (inside a proxy tunnel: after the CONNECTs)
        self.conv: _Conversation | None = None
        self.dead = False
        self.pickup = [False, False]      # direction picked up mid-stream: wait for a message start
        self.fed = [False, False]         # direction has delivered bytes
        self.client_dir: int | None = None
        self._pkt: Packet | Deferred | None = None   # the packet whose bytes are being parsed
        self._last = (0, 0)               # frame number, ts_ns of the last bytes fed
        # tshark's request/response numbers: a request takes the next number, its response the same one; a
        # response without a request of its own takes the next number too
        self._number = 0
        self._prev_request_layer: tuple[Packet, Layer] | None = None      # for http.next_request_in
        self._prev_response_layer: tuple[Packet, Layer] | None = None     # for http.next_response_in
        self._prev_request: int | None = None     # completion frame of the last complete request
        self._prev_response: int | None = None
        self._last_uri = ""                       # full URI of the last complete request
        # transaction index -> (frame, ts, previous request's frame, full URI, (packet, layer) or None)
        self._req: dict[int, tuple] = {}

    # -- the sink interface ----------------------------------------------------------------------------
    def data(self, direction: int, data: bytes, frame: Any, ts_ns: int) -> None:
        if self.dead:
            return
        if self.conv is None and not self._start(direction, data):
            return
        if not self.pickup[direction] and self.scheme == "http" and isinstance(frame, Packet):
            frame.taken = "http"        # the segment's payload is HTTP's (frame.protocols: no 'data' after tcp)
        client = direction == self.client_dir
        parser = self.conv.client if client else self.conv.server
        counting = parser.lean or parser.want_body is not None
        if counting or self.tracker.take_bodies:
            number = frame.number if frame.__class__ is Deferred else _number(frame, self._last[0])
            conv = self.conv
            if (counting and conv.count_body(parser, data, ts_ns, number)) \
                    or (self.tracker.take_bodies and conv.take_body(parser, data, ts_ns, number)):
                # a chunk inside a body, counted or stored as its Data event would be: no event, so nothing
                # below would do more than note its frame
                self._last = (number, ts_ns)
                return
        role = CLIENT if client else SERVER
        if parser.state == CLOSED:
            return
        if self.pickup[direction]:
            # picked up mid-stream: parsing starts with a segment that starts a message (as tshark's does)
            if not _starts_message(client, data):
                return
            self.pickup[direction] = False
        self.fed[direction] = True
        # the packet is made only if a message ends here (_attach); a caller without Packets (a headers-only
        # feeder) passes the frame number itself
        self._pkt = frame if frame.__class__ is Deferred or isinstance(frame, Packet) else None
        number = _number(frame, self._last[0])
        self._last = (number, ts_ns)
        self._done(self.conv.receive_data(role, data, ts_ns, number))
        self._pkt = None
        states = (self.conv.client.state, self.conv.server.state)
        if NOT_HTTP in states and all(state in (NOT_HTTP, CLOSED) for state in states):
            self._give_up()             # neither direction is (still) HTTP

    def gap(self, direction: int, nbytes: int) -> None:
        if self.dead:
            return
        if self.conv is None or not self.fed[direction]:
            self.pickup[direction] = True      # lost before the first byte: wait for a message start
            return
        role = CLIENT if direction == self.client_dir else SERVER
        if (self.conv.client if role == CLIENT else self.conv.server).state != CLOSED:
            self._done(self.conv.receive_gap(role, nbytes))

    def fin(self, direction: int) -> None:
        if self.dead or self.conv is None:
            return
        side = self.conn.sides[direction]
        self._eof(direction, side.fin_ts or self._last[1], side.fin_frame or self._last[0], CONNECTION_CLOSED)

    def rst(self, direction: int) -> None:
        if self.dead or self.conv is None:
            return
        side = self.conn.sides[direction]
        frame, ts = side.rst_frame or self._last[0], side.rst_ts or self._last[1]
        self._eof(direction, ts, frame, CONNECTION_RESET)
        self._eof(1 - direction, ts, frame, CONNECTION_RESET)

    def refused(self, direction: int) -> None:
        """The TLS layer learnt that what ``direction`` sent so far was TLS 1.3 early data the server refused
        (:meth:`HttpConversation.refuse_client`)."""
        if self.dead or self.conv is None or direction != self.client_dir:
            return
        self._done(self.conv.refuse_client())

    def close(self) -> None:
        self.tracker.open.discard(self)
        if self.dead or self.conv is None:
            return
        self._done(self.conv.close(CAPTURE_ENDED))
        self._req.clear()

    def open_records(self) -> list[HttpRecord]:
        """The transactions not handed out yet, as records of how they stand now (see
        :meth:`HttpTracker.open_records`)."""
        if self.dead or self.conv is None:
            return []
        gaps = (self.conv.gaps[CLIENT], self.conv.gaps[SERVER])
        return [self._record(tx, self._req.get(tx.index), gaps) for tx in self.conv.unfinished()]

    def earliest_start(self) -> tuple[int, int] | None:
        """``(ts_ns, frame)``: no transaction this sink hands out later can start (its first request byte,
        else response byte) before it, as far as the bytes delivered so far go; None when nothing delivered
        is still waiting to become a transaction (a later one starts with bytes of a later ``data`` call).
        A transaction with neither message (an interim response alone) gives ``(0, 0)``: it sorts first."""
        if self.dead or self.conv is None:
            return None
        conv = self.conv
        best = None
        for pair in conv._unfinished:
            msg = pair.request if pair.request is not None else pair.response
            key = (msg.first_ts_ns, msg.first_frame) if msg is not None else (0, 0)
            if best is None or key < best:
                best = key
        for parser in (conv.client, conv.server):
            msg = parser._msg
            if msg is not None:
                key = (msg.first_ts, msg.first_frame)
            else:
                buf = parser._buf
                origin = buf.origin(buf.offset) if len(buf.data) > buf.pos else None
                if origin is None:
                    continue
                key = (origin[1], origin[0])
            if best is None or key < best:
                best = key
        return best

    # -- helpers ---------------------------------------------------------------------------------------
    def _start(self, direction: int, data: bytes) -> bool:
        """First bytes of the connection: choose the roles, or give up on a stream that is not HTTP."""
        if _starts_message(False, data):
            self.client_dir = 1 - direction
        elif _starts_message(True, data):
            self.client_dir = direction
        elif self.conn.sides[direction].syn_frame and not self.pickup[direction]:
            self._give_up()             # a stream that begins with bytes no HTTP message can begin with
            return False
        else:
            return False                # picked up mid-stream: wait for a segment that starts a message
        self.conv = _Conversation(self, body_limit=self.tracker.body_limit, first_index=self.first_index)
        if self.tracker.want_body is not None:     # bodies it does not want are counted
            self.conv.client.want_body = self.conv.server.want_body = self.tracker.want_body
        if self.tracker.lines_only or not self.tracker.keep_lines:     # no fields are made of the heads' raw lines
            self.conv.client.keep_lines = self.conv.server.keep_lines = False
        if self.tracker.lines_only and not self.tracker.keep and self.tracker.on_record is None:
            # nor records of the bodies, nor of the heads: only their framing fields and Info texts are read
            self.conv.client.keep_body = self.conv.server.keep_body = False
            self.conv.client.lean = self.conv.server.lean = True
        for d in (0, 1):
            if not self.conn.sides[d].syn_frame:
                self.pickup[d] = True
        return True

    def _eof(self, direction: int, ts_ns: int, frame: int, reason: str) -> None:
        conv = self.conv
        if conv is None:            # retired by the other direction's end (a reset ends both)
            return
        role = CLIENT if direction == self.client_dir else SERVER
        if (conv.client if role == CLIENT else conv.server).state != CLOSED:
            self._done(conv.receive_eof(role, ts_ns, frame, reason))
            if conv.client.state == CLOSED and conv.server.state == CLOSED and not conv._unfinished:
                self._retire()

    def _retire(self) -> None:
        """Both directions ended and every transaction was handed out: nothing more can come from this
        connection (later bytes of a closed direction are ignored), so the parsers go now rather than when
        the connection is closed at the end of the capture (memory bounded by the open connections)."""
        self.dead = True
        self.tracker.open.discard(self)
        self.conv = None
        self._req = None
        self.pickup = self.fed = None          # read only by a live sink
        self._last_uri = ""
        self._prev_request_layer = self._prev_response_layer = None
        conn = self.conn
        holder = getattr(conn, "sink", None)
        if holder is self:
            conn.sink = None                    # as _give_up: the connection's bytes need no reassembly now
        elif isinstance(getattr(holder, "sinks", None), list) and self in holder.sinks:
            # one of several sinks (analyzer.pipeline.FanOutSink, which drops a dead one at its next bytes)
            rest = [s for s in holder.sinks if s is not self]
            holder.sinks = rest or ()
            if not rest:
                conn.sink = None
        if self.tracker.on_retire is not None:
            self.tracker.on_retire(conn)

    def _give_up(self) -> None:
        self.dead = True
        self.tracker.open.discard(self)
        self.conv = None
        self._req.clear()
        if getattr(self.conn, "sink", None) is self:
            # the only consumer of this connection's bytes: stop reassembling them (saves the reassembly
            # of every non-HTTP connection; the tracker skips a connection whose sink is None)
            self.conn.sink = None

    def _done(self, transactions: list[Transaction]) -> None:
        if not transactions:
            return
        tracker = self.tracker
        if not tracker.keep and tracker.on_record is None:
            # nobody takes records (read): only what the requests left for them goes
            for tx in transactions:
                self._req.pop(tx.index, None)
            return
        conv = self.conv
        gaps = (conv.gaps[CLIENT], conv.gaps[SERVER])
        for tx in transactions:
            self.tracker.add(self._record(tx, self._req.pop(tx.index, None), gaps))

    def _record(self, tx: Transaction, req: tuple | None, gaps: tuple[int, int]) -> HttpRecord:
        request_frame = req[0] if req else None
        request_ts = req[1] if req else None
        response_frame = response_ts = None
        if tx.response is not None and tx.response_end is not None and tx.response_end.complete:
            response_frame, response_ts = _completion(tx.response, tx.response_end)
        return HttpRecord(self.conn.stream, self._endpoint(self.client_dir), self._endpoint(1 - self.client_dir),
                          tx, request_frame, request_ts, response_frame, response_ts, gaps, self.scheme)

    def _endpoint(self, direction: int | None) -> tuple[Any, int]:
        side = self.conn.sides[direction or 0]
        return side.addr, side.port

    # -- frame fields (called by the conversation as messages end) ------------------------------------
    def request_ended(self, index: int, request: Request, end: EndOfMessage) -> None:
        if not (end.complete and request.headers_complete):
            return
        frame, ts = _completion(request, end)
        if self.tracker.lines_only:
            # only the Info text is wanted (read's summary lines): no fields, numbers or links between layers
            if self.tracker.fields:
                self._attach(frame, {}, info_text(request, end))
            if request.method not in NOTIFICATION_METHODS:
                self._req[index] = (frame, ts, None, None, None, None)     # what the record reads
            return
        if request.method in NOTIFICATION_METHODS:
            if self.tracker.fields:     # not a request for tshark: no number, nothing pairs with it
                self._attach(frame, notification_fields(request), info_text(request, end))
            return
        self._number += 1
        number = self._number
        prev = self._prev_request
        self._prev_request = frame
        host = request.headers.get("host")
        target = text(request.target)
        # without a Host header tshark gives no full URI, and the response names the bare target
        self._last_uri = uri = full_uri(target, text(host), self.scheme) if host is not None else target
        layer = None
        if self.tracker.fields:
            fields: dict[str, Any] = {"http.request.method": request.method}
            if request.target:
                fields["http.request.uri"] = text(request.target)
            if request.version:
                fields["http.request.version"] = request.version
            fields.update(header_fields(request.headers, "http.request.line", request.lines))
            _chunks(fields, end)
            if host is not None:
                fields["http.request.full_uri"] = uri
            fields["http.request"] = 1
            fields["http.request_number"] = number
            if prev is not None:
                fields["http.prev_request_in"] = prev
            layer = self._attach(frame, fields, info_text(request, end), _body(request, end))
            if layer is not None:
                for note in request.notes:
                    if note.startswith(_REQUEST_LINE_NOTES):   # tshark's expert items say as much
                        layer[0].note("http", "warning", note)
            _later(self._prev_request_layer, "http.next_request_in", frame)
            self._prev_request_layer = layer
        self._req[index] = (frame, ts, prev, uri, layer, number)

    def response_ended(self, index: int | None, response: Response, end: EndOfMessage, interim: bool) -> None:
        if not (end.complete and response.headers_complete):
            return
        frame, ts = _completion(response, end)
        if self.tracker.lines_only:
            if self.tracker.fields:
                self._attach(frame, {}, info_text(response, end))
            return
        prev_response = self._prev_response
        self._prev_response = frame
        if not self.tracker.fields:
            return
        fields: dict[str, Any] = {
            "http.response.version": response.version,
            "http.response.code": response.status,
        }
        desc = STATUS_TEXT.get(response.status)
        if desc is not None:
            fields["http.response.code.desc"] = desc
        fields["http.response.phrase"] = text(response.reason)
        fields.update(header_fields(response.headers, "http.response.line", response.lines))
        _chunks(fields, end)
        fields["http.response"] = 1
        req = self._req.get(index) if index is not None else None
        if req is None:
            self._number += 1
            fields["http.response_number"] = self._number
            if self._prev_request is not None:
                # no request of its own: tshark still names the last request seen and its URI
                fields["http.response_for.uri"] = self._last_uri
                fields["http.prev_request_in"] = self._prev_request
        else:
            req_frame, req_ts, prev_request, uri, req_layer, number = req
            fields["http.response_number"] = number
            fields["http.time"] = seconds(ts - req_ts)
            fields["http.request_in"] = req_frame
            fields["http.response_for.uri"] = uri
            if prev_request is not None:
                fields["http.prev_request_in"] = prev_request
            if req_layer is not None and not interim and "http.response_in" not in req_layer[1].fields:
                pkt, layer = req_layer
                layer.fields["http.response_in"] = frame
                pkt._flat = None
        if prev_response is not None:
            fields["http.prev_response_in"] = prev_response
        layer = self._attach(frame, fields, info_text(response, end), _body(response, end))
        _later(self._prev_response_layer, "http.next_response_in", frame)
        self._prev_response_layer = layer

    def _attach(self, frame: int, fields: dict[str, Any], info: str,
                body: str | None = None) -> tuple[Packet, Layer] | None:
        """Put an http layer on the packet of ``frame``: the one being parsed, or (a FIN frame) later;
        ``body``: its body's protocol (:func:`_body`)."""
        pkt = self._pkt
        if pkt is not None:
            if pkt.__class__ is Deferred:
                if pkt.number != frame:
                    return None
                if pkt.value is None and self.tracker.lines_only and self._alone():
                    # nothing else makes this packet now: its Info text waits in ``infos`` (read takes it)
                    self.tracker.defer(frame, info)
                    return None
                pkt = pkt.get()
            if pkt.frame.number == frame:
                return pkt, _add_layer(pkt, fields, info, body=body)
        else:
            self.tracker.pending.setdefault(frame, []).append((fields, info, "http", None, body))
        return None


    def websocket_frame(self, frame: WsFrame, payload: bytes, message: bytes | None) -> None:
        """A WebSocket frame after a 101 ended (the session's listener): its ``websocket`` layer goes on the
        packet of its last byte, as tshark shows a reassembled frame (several in one segment: one layer each)."""
        conv = self.conv
        if conv is None or conv.websocket is None:
            return
        ws = conv.websocket
        fields = websocket_fields(frame, payload, message, ws.message_opcode(frame.direction), ws.deflate)
        info = websocket_info(frame)
        number = frame.last_frame
        pkt = self._pkt
        if pkt is None:
            self.tracker.pending.setdefault(number, []).append((fields, info, "websocket", frame.problem))
            return
        if pkt.__class__ is Deferred:
            if pkt.number != number:
                return
            pkt = pkt.get()         # (rare: not deferred as an Info text, the line names another protocol)
            for text in self.tracker.take_infos(number) or ():
                _add_layer(pkt, {}, text)   # an HTTP message that ended in this segment first (the 101)
        if pkt.frame.number == number:
            _add_layer(pkt, fields, info, "websocket", frame.problem)

    def _alone(self) -> bool:
        """This sink is the only one its connection's bytes go to (no other can want the packet)."""
        sink = self.conn.sink
        if sink is self:
            return True
        others = getattr(sink, "sinks", None)       # a fan-out of the sinks left
        return others is not None and len(others) == 1 and others[0] is self


_REQUEST_LINE_NOTES = ("malformed request line", "method ")


def _later(held: tuple[Packet, Layer] | None, field: str, frame: int) -> None:
    """Add a field pointing forward (``http.next_request_in``...) to an earlier message's layer, once the
    later message is seen (a consumer that printed that frame already does not see it: single pass)."""
    if held is not None:
        pkt, layer = held
        if pkt.frame.number != frame:       # a message of the same frame: a single pass sees it, tshark not
            layer.fields.setdefault(field, frame)
            pkt._flat = None


def _number(frame: Any, last: int) -> int:
    """The frame number of what a sink is given with bytes: a Packet, a Deferred packet, or the number itself
    (``last`` for anything else)."""
    if frame.__class__ is Deferred:
        return frame.number
    if isinstance(frame, Packet):
        return frame.frame.number
    return frame if isinstance(frame, int) else last


def _starts_message(client: bool, data: bytes) -> bool:
    """Can ``data`` begin a request (``client``) or a response? Its first line must parse as a request or
    status line, or, unfinished, be the prefix of one."""
    head = data[:PREFIX_CHECK_LENGTH]
    nl = head.find(b"\n")
    if not plausible_start(client, head if nl < 0 else head[:nl]):     # rejects binary data at once
        return False
    nl = data.find(b"\n", 0, MAX_START_LINE)
    if nl < 0:
        return len(data) < MAX_START_LINE
    line = data[:nl]
    if line.endswith(b"\r"):
        line = line[:-1]
    return (parse_request_line if client else parse_status_line)(line)[0] is not None


def _completion(message: Request | Response, end: EndOfMessage) -> tuple[int, int]:
    """The frame and time where a message became whole: its last byte, or where its end became known
    (the FIN of a body read until close)."""
    if end.end_frame != end.last_frame or end.end_ts_ns != end.last_ts_ns:
        return end.end_frame, end.end_ts_ns
    return end.last_frame, end.last_ts_ns


def _chunks(fields: dict[str, Any], end: EndOfMessage) -> None:
    """http.chunk_size: a chunked body's chunk sizes (the last chunk's 0 too), as tshark lists them."""
    sizes = end.chunk_sizes
    if sizes:
        fields["http.chunk_size"] = sizes[0] if len(sizes) == 1 else list(sizes)


def _body(message: Request | Response, end: EndOfMessage) -> str | None:
    """What frame.protocols shows after a message's ``http``: its body's protocol (None without a body)."""
    headers = message.headers
    ctype = headers.get("content-type")
    return body_protocol(None if ctype is None else text(ctype), end.body_length, end.body_head,
                         headers.get("content-encoding") is not None)


def _add_layer(pkt: Packet, fields: dict[str, Any], info: str, name: str = "http",
               problem: str | None = None, body: str | None = None) -> HttpLayer:
    off, end = pkt.payload if pkt.payload is not None else (0, 0)
    layer = HttpLayer(off, end - off, fields, info, name)
    layer.body = body
    pkt.layers.append(layer)
    pkt._flat = None
    if problem is not None:         # a WebSocket frame that breaks RFC 6455 (analyzer.apps.websocket.PROBLEMS)
        websocket_problem(pkt, layer, problem)
    return layer


class OpenSinks(set):
    """The open sinks of a tracker (a set), and the connections they belong to: :meth:`has_conn` answers in
    constant time whether a connection still has one (a caller retiring connections asked it by walking every
    open sink: quadratic in open connections). Only ``add`` and ``discard`` change it."""

    def __init__(self) -> None:
        super().__init__()
        self._conns: dict[int, int] = {}        # id(connection) -> its open sinks (a live connection: ids unique)

    def add(self, sink: Any) -> None:
        if sink not in self:
            super().add(sink)
            key = id(sink.conn)
            self._conns[key] = self._conns.get(key, 0) + 1

    def discard(self, sink: Any) -> None:
        if sink in self:
            super().discard(sink)
            key = id(sink.conn)
            left = self._conns[key] - 1
            if left:
                self._conns[key] = left
            else:
                del self._conns[key]

    def has_conn(self, conn: Any) -> bool:
        return id(conn) in self._conns


class HttpTracker:
    """Sink factory for the pipeline: an :class:`HttpSink` per TCP connection, the records they hand out.

    ``fields``: put http.* layers on packets. ``keep``: keep every :class:`HttpRecord` in ``records``
    (else only ``on_record`` sees them). ``body_limit``: bytes of each body stored in the records.
    ``lines_only``: the layers carry their Info text and no fields (``read``'s summary lines need no more;
    the records are the same, without the heads' raw lines); and a message ending in a segment whose packet was not made (a
    :class:`~analyzer.tcp.reassembly.Deferred` no other sink takes) does not make it: its Info text waits in
    ``infos`` (frame number -> texts, in order), for the caller to :meth:`take_infos` as the frame comes out of
    the pipeline (or for :meth:`packet` to put on the packet if it was made after all).
    """

    def __init__(self, *, fields: bool = True, keep: bool = True, body_limit: int = DEFAULT_BODY_LIMIT,
                 on_record=None, lines_only: bool = False):
        self.fields = fields
        self.lines_only = lines_only
        # False: the heads' raw lines (Request/Response.lines) are not kept: for a caller that makes no fields
        # and reads no lines (the timeline), they are () in its records
        self.keep_lines = True
        # called with a head's Headers before a body without content-coding: False, the body is counted and not
        # stored (HttpStreamParser.want_body; the record's Body is empty, its EndOfMessage the same); None: all
        self.want_body = None
        # True: a chunk inside a kept body of known length without content-coding is stored in its transaction's
        # body directly (HttpConversation.take_body), not handed through a Data event (the timeline: HTML bodies,
        # every body for har/report); the records are the same
        self.take_bodies = False
        self.keep = keep
        self.body_limit = body_limit
        self.on_record = on_record
        self.records: list[HttpRecord] = []
        self.pending: dict[int, list[tuple[dict[str, Any], str]]] = {}
        self.infos: dict[int, list[str]] = {}     # lines_only: Info texts of frames whose packet was not made
        self.open = OpenSinks()     # sinks of connections not closed (nor given up) yet (HTTP/2's share it)
        self.on_retire = None       # called with the connection of a sink that both directions' end retired

    def __call__(self, conn: Any) -> HttpSink | None:
        o, r = conn.sides
        if o.port in DNS_TCP_PORTS or r.port in DNS_TCP_PORTS:
            return None
        sink = HttpSink(self, conn)
        self.open.add(sink)
        return sink

    def add(self, record: HttpRecord) -> None:
        if self.keep:
            self.records.append(record)
        if self.on_record is not None:
            self.on_record(record)

    def defer(self, frame: int, info: str) -> None:
        infos = self.infos
        if infos and frame not in infos:
            for stale in [n for n in infos if n < frame]:     # frames gone by that nobody took
                del infos[stale]
        infos.setdefault(frame, []).append(info)

    def take_infos(self, frame: int) -> list[str] | None:
        """The Info texts of the messages that ended in ``frame`` (lines_only, its packet not made), once."""
        return self.infos.pop(frame, None) if self.infos else None

    def packet(self, pkt: Packet) -> None:
        """After the pipeline processed ``pkt``: add the fields of messages its FIN completed (and, lines_only,
        the layers of messages that ended in its bytes before the packet was made)."""
        if self.infos:
            for info in self.infos.pop(pkt.frame.number, ()):
                _add_layer(pkt, {}, info)
        if self.pending:
            todo = self.pending.pop(pkt.frame.number, None)
            if todo:
                for entry in todo:      # (fields, info), or a WebSocket frame's (fields, info, name, problem)
                    _add_layer(pkt, *entry)
            if self.pending:
                number = pkt.frame.number
                for stale in [n for n in self.pending if n < number]:
                    del self.pending[stale]

    def open_records(self) -> list[HttpRecord]:
        """A snapshot for a live view: the transactions of open connections not handed out yet, as they
        stand now (a request still waiting for its response, a response still arriving). They are not
        consumed: each is handed out later, complete or not, as usual."""
        return [record for sink in self.open for record in sink.open_records()]

    def earliest_open_start(self) -> tuple[int, int] | None:
        """``(ts_ns, frame)``: no record the open connections hand out later starts before it (the least
        :meth:`HttpSink.earliest_start`; an HTTP/2 sink, or any other, by its connection's first frame); None
        when only bytes not delivered yet can make records (they start at the frame that delivers them)."""
        best = None
        for sink in self.open:
            if sink.__class__ is HttpSink:
                key = sink.earliest_start()
                if key is None:
                    continue
            else:
                conn = sink.conn
                key = (getattr(conn, "first_ts", 0), getattr(conn, "first_frame", 0))
            if best is None or key < best:
                best = key
        return best

    def sorted_records(self, include_open: bool = False) -> list[HttpRecord]:
        """The records in the order their transactions started (first request byte, else response);
        ``include_open``: with :meth:`open_records`."""
        records = self.records + self.open_records() if include_open else self.records
        return sorted(records, key=_start_key)


def _start_key(record: HttpRecord) -> tuple:
    tx = record.transaction
    msg = tx.request if tx.request is not None else tx.response
    if msg is None:
        return (0, 0, record.stream, tx.index)
    return (msg.first_ts_ns, msg.first_frame, record.stream, tx.index)
