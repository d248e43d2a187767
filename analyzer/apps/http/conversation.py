"""HttpConversation: both directions of one connection, requests paired with responses in order.

Theory of operation
-------------------
HTTP/1.x answers requests in the order they were sent, pipelined or not (RFC 9112 9.3.2), so pairing is
a queue: each request joins ``pending``; a final response (status >= 200, or 101) answers the oldest
pending request; an interim 1xx response (100 Continue, 103 Early Hints) is attached to it without
answering it. The conversation tells the server-side parser each request's method, because a response
to HEAD has no body and a 2xx to CONNECT leaves HTTP, and tells the client-side parser when the server
switched protocols.

A :class:`Transaction` is handed out, as the return value of the ``receive_*`` call that finished it,
once both of its messages have ended, in request order; ``close()`` hands out the rest at the end of the
capture. Feed the two directions in capture order, so a request is parsed before its response.

Bodies are stored up to ``body_limit`` bytes each (as sent and decoded), so memory stays bounded; the
lengths in the EndOfMessage events are exact whatever was stored.

After a hole in the server's stream. A gap inside a body whose length is known keeps the parser in step (the
response is incomplete, reason "gap"); any other gap makes the parser re-synchronise on the next status
line. The lost bytes may have held whole responses, so the queue alone would pair every later response
with the request before its own. The first final response after a server gap therefore answers the
*latest* pending request sent before that response began, and the pending requests before it are handed
out unanswered with reason "gap" (their responses were in the hole), as long as the connection has not
shown pipelining (several requests outstanding when a response began, outside a gap); with pipelining the
queue is kept, since nothing on the wire tells how many responses the hole held. ``gaps`` counts the gaps
of each direction so a report can say how far to trust the pairing.

Refused early data. A TLS 1.3 client may send its first requests as early data (0-RTT), before the handshake
is done; a server that refuses the early data never reads them (RFC 8446 4.2.10), and the client sends them
again after the handshake. The TLS layer says so once it knows (:meth:`refuse_client`): the requests awaiting
an answer are handed out unanswered with reason "early data refused", and responses pair with the requests
sent after.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from analyzer.apps.http.events import (
    CAPTURE_ENDED,
    EARLY_DATA_REFUSED,
    GAP,
    NEED_DATA,
    NO_REQUEST,
    NO_RESPONSE,
    NOT_HTTP,
    Data,
    EndOfMessage,
    Malformed,
    Request,
    Response,
)
from analyzer.apps.http.parser import (
    CLIENT,
    CLOSED,
    DEFAULT_MAX_DECODED_SIZE,
    DEFAULT_MAX_HEAD_SIZE,
    MAX_PENDING_METHODS,
    SERVER,
    SWITCHED,
    HttpStreamParser,
)
from analyzer.apps.websocket import WebSocketSession

DEFAULT_BODY_LIMIT = 1024 * 1024
MAX_MALFORMED_KEPT = 100


def _asks_websocket(request: Request | None, response: Response) -> bool:
    """A 101 that switched the connection to WebSocket: the request asked for it (Upgrade: websocket) and the
    response agreed (its Upgrade says websocket, or is absent as lenient servers send it)."""
    if request is None or "websocket" not in (request.headers.get("upgrade") or "").lower():
        return False
    agreed = response.headers.get("upgrade")
    return agreed is None or "websocket" in agreed.lower()


@dataclass(frozen=True, slots=True)
class Body:
    """A message body as stored: at most the conversation's ``body_limit`` bytes of each form.

    ``data`` is the body as sent (de-chunked, still content-encoded); ``decoded`` has the content-codings
    undone (the same object when there are none; None when the coding is not supported).
    """

    data: bytes = b""
    decoded: bytes | None = b""
    truncated: bool = False  # data holds less than the body received
    decoded_truncated: bool = False  # decoded holds less than the whole decoded body (storage or cap)


EMPTY_BODY = Body()


@dataclass(frozen=True, slots=True)
class Transaction:
    """One request and its response, with the interim responses between them.

    ``request`` is None for a response whose request was never seen, ``response`` None for a request
    left unanswered. ``complete`` is True when both messages were seen whole; otherwise ``reason`` says
    why not: "gap", "capture ended", "connection closed", "connection reset", "malformed", "not HTTP",
    "no request" or "no response".
    """

    index: int  # 0-based, in request order within the connection
    request: Request | None
    response: Response | None
    interim: tuple[Response, ...]
    request_end: EndOfMessage | None
    response_end: EndOfMessage | None
    request_body: Body
    response_body: Body
    complete: bool
    reason: str | None
    # a 101 to an ``Upgrade: websocket`` request: the WebSocket session that followed on the connection
    # (analyzer.apps.websocket), still filled as its frames arrive after this transaction was handed out
    websocket: WebSocketSession | None = field(default=None, compare=False)

    @property
    def request_complete(self) -> bool:
        """The whole request was seen."""
        return self.request_end is not None and self.request_end.complete

    @property
    def response_complete(self) -> bool:
        """The whole final response was seen."""
        return self.response_end is not None and self.response_end.complete


class _BodyStore:
    """Accumulates one body's Data events, keeping at most ``limit`` bytes of each form."""

    __slots__ = ("decoded", "decoded_truncated", "identity", "limit", "raw", "raw_truncated", "undecodable")

    def __init__(self, limit: int):
        self.limit = limit
        self.raw = bytearray()
        self.decoded = bytearray()
        self.identity = True  # no content-coding: decoded is data
        self.undecodable = False
        self.raw_truncated = False
        self.decoded_truncated = False

    def add(self, event: Data) -> None:
        if event.data:
            self.raw_truncated |= _append(self.raw, event.data, self.limit)
        if event.decoded is None:
            self.undecodable = True
        elif event.decoded is not event.data:
            self.identity = False
            self.decoded_truncated |= _append(self.decoded, event.decoded, self.limit)

    def body(self, end: EndOfMessage | None) -> Body:
        if not (self.raw or self.raw_truncated or self.decoded or self.undecodable):
            return EMPTY_BODY
        data = bytes(self.raw)
        if self.undecodable:
            return Body(data, None, self.raw_truncated, False)
        if self.identity:
            return Body(data, data, self.raw_truncated, self.raw_truncated)
        capped = end is not None and end.decoded_truncated
        return Body(data, bytes(self.decoded), self.raw_truncated, self.decoded_truncated or capped)


def _append(store: bytearray, data: bytes, limit: int) -> bool:
    """Append what fits under ``limit``; return True if something did not fit."""
    room = limit - len(store)
    if len(data) <= room:
        store += data
        return False
    if room > 0:
        store += data[:room]
    return True


class _Pair:
    """A transaction being assembled."""

    __slots__ = (
        "gave_up",
        "index",
        "interim",
        "refused",
        "request",
        "request_body",
        "request_end",
        "response",
        "response_body",
        "response_end",
        "server_gap",
        "websocket",
    )

    def __init__(self, index: int, request: Request | None, body_limit: int):
        self.index = index
        self.request = request
        self.response: Response | None = None
        self.interim: list[Response] = []
        self.request_end: EndOfMessage | None = None
        self.response_end: EndOfMessage | None = None
        self.request_body = _BodyStore(body_limit)
        self.response_body = _BodyStore(body_limit)
        self.server_gap = False  # the server stream had a gap while this request awaited its response
        self.gave_up = False  # too many requests awaited responses: this one's answer is not awaited
        self.refused = False  # sent as TLS 1.3 early data that the server refused (never read)
        self.websocket: WebSocketSession | None = None


class HttpConversation:
    """Both directions of one HTTP/1.x connection; ``role`` arguments name the sender of the bytes."""

    def __init__(
        self,
        *,
        body_limit: int = DEFAULT_BODY_LIMIT,
        max_head_size: int = DEFAULT_MAX_HEAD_SIZE,
        max_decoded_size: int = DEFAULT_MAX_DECODED_SIZE,
        first_index: int = 0,
    ):
        self.client = HttpStreamParser(CLIENT, max_head_size=max_head_size, max_decoded_size=max_decoded_size)
        self.server = HttpStreamParser(SERVER, max_head_size=max_head_size, max_decoded_size=max_decoded_size)
        self.body_limit = body_limit
        self.malformed: list[tuple[str, Malformed]] = []  # the first MAX_MALFORMED_KEPT, with their role
        self.malformed_count = 0
        self.gaps = {CLIENT: 0, SERVER: 0}
        self._unfinished: deque[_Pair] = deque()  # every pair not yet handed out, in request order
        self._pending: deque[_Pair] = deque()  # pairs awaiting their final response
        self._client_pair: _Pair | None = None  # receiving the client's current message
        self._server_pair: _Pair | None = None  # receiving the server's current final response
        self._server_interim = False  # the server's current message is an interim response
        self._count = first_index  # the next transaction's index (after a proxy tunnel's CONNECTs: their count)
        self._last = (0, 0)  # ts_ns, frame of the last chunk fed
        self._server_gap = False  # a server gap since the last final response began
        self.pipelined = False  # a response began with several requests outstanding, outside a gap
        # the bytes after a switch of protocols are a WebSocket session's after a 101 to Upgrade: websocket
        # (the parsers keep them until _drain has read the switching response: the server's first frames can
        # share its segment)
        self.websocket: WebSocketSession | None = None
        self.client.keep_switched = self.server.keep_switched = True

    def receive_data(self, role: str, data: bytes, ts_ns: int, frame: int) -> list[Transaction]:
        """Bytes sent by ``role`` ("client" or "server"); returns the transactions this finished."""
        self._last = (ts_ns, frame)
        self._parser(role).receive_data(data, ts_ns, frame)
        return self._drain(role)

    def count_body(self, parser: HttpStreamParser, data: bytes, ts_ns: int, frame: int) -> bool:
        """:meth:`receive_data` for bytes of ``parser`` (``self.client`` or ``self.server``) that it only
        counts (:meth:`HttpStreamParser.count_body`: no event, so no transaction can finish); True when they
        were taken so, False (nothing done) for any others."""
        if parser.count_body(data, ts_ns, frame):
            self._last = (ts_ns, frame)
            return True
        return False

    def take_body(self, parser: HttpStreamParser, data: bytes, ts_ns: int, frame: int) -> bool:
        """:meth:`receive_data` for a chunk of a kept body that :meth:`HttpStreamParser.take_body` takes: stored
        in its transaction's body as its Data event would be (no content-coding: the decoded form is the bytes),
        with no event; True when taken so, False (nothing done) for any other chunk."""
        if not parser.take_body(data, ts_ns, frame):
            return False
        self._last = (ts_ns, frame)
        if parser is self.client:
            pair = self._client_pair
            store = pair.request_body if pair is not None else None
        else:
            pair = None if self._server_interim else self._server_pair
            store = pair.response_body if pair is not None else None
        if store is not None:       # _BodyStore.add of Data(data, data)
            store.raw_truncated |= _append(store.raw, data, store.limit)
        return True

    def receive_gap(self, role: str, nbytes: int) -> list[Transaction]:
        """The reassembler lost ``nbytes`` sent by ``role``."""
        parser = self._parser(role)
        self.gaps[role] += 1
        if self.websocket is not None and parser.state == SWITCHED:
            self.websocket.gap(0 if role == CLIENT else 1, nbytes)
        if role == SERVER:
            self._server_gap = True
            for pair in self._pending:
                pair.server_gap = True
        parser.receive_gap(nbytes)
        return self._drain(role)

    def refuse_client(self) -> list[Transaction]:
        """The client's bytes so far were TLS 1.3 early data that the server refused (see the module docstring):
        the requests awaiting an answer will get none, one sent in part ends there, and the client's stream starts
        again; returns the transactions this finished."""
        self.client.restart(EARLY_DATA_REFUSED)
        out = self._drain(CLIENT)
        refused = list(self._pending)
        for pair in refused:
            pair.refused = True
            pair.gave_up = True
        self._pending.clear()
        self.server.forget_requests(len(refused))
        return out + self._ready()

    def receive_eof(self, role: str, ts_ns: int, frame: int, reason: str = CAPTURE_ENDED) -> list[Transaction]:
        """``role``'s stream ended (see :meth:`HttpStreamParser.receive_eof` for ``reason``)."""
        self._parser(role).receive_eof(ts_ns, frame, reason)
        return self._drain(role)

    def close(self, reason: str = CAPTURE_ENDED) -> list[Transaction]:
        """End both directions still open (with ``reason``) and hand out every remaining transaction."""
        ts_ns, frame = self._last
        out: list[Transaction] = []
        for role, parser in ((CLIENT, self.client), (SERVER, self.server)):
            if parser.state != CLOSED:
                parser.receive_eof(ts_ns, frame, reason)
                out += self._drain(role)
        while self._unfinished:
            out.append(self._build(self._unfinished.popleft()))
        return out

    # ----------------------------------------------------------------- event routing

    def _parser(self, role: str) -> HttpStreamParser:
        if role == CLIENT:
            return self.client
        if role == SERVER:
            return self.server
        raise ValueError(f"role must be 'client' or 'server', not {role!r}")

    def _drain(self, role: str) -> list[Transaction]:
        parser = self._parser(role)
        on_event = self._on_client_event if role == CLIENT else self._on_server_event
        while (event := parser.next_event()) is not NEED_DATA:
            if isinstance(event, Malformed):
                self.malformed_count += 1
                if len(self.malformed) < MAX_MALFORMED_KEPT:
                    self.malformed.append((role, event))
            else:
                on_event(event)
        if self.client.held_switched is not None or self.server.held_switched is not None:
            self._feed_websocket()
        return self._ready()

    def _feed_websocket(self) -> None:
        """The bytes the parsers kept after the switch to WebSocket (and the server's first frames that shared
        the 101's segment) to the session, client's first."""
        ws = self.websocket
        for direction, side in ((0, self.client), (1, self.server)):
            for data, ts_ns, frame in side.take_switched():
                if ws is not None:
                    ws.data(direction, data, ts_ns, frame)

    def _new_pair(self, request: Request | None) -> _Pair:
        pair = _Pair(self._count, request, self.body_limit)
        self._count += 1
        self._unfinished.append(pair)
        return pair

    def _on_client_event(self, event) -> None:
        if isinstance(event, Request):
            pair = self._new_pair(event)
            self._pending.append(pair)
            if len(self._pending) > MAX_PENDING_METHODS:  # the server parser forgets the same one
                self._pending.popleft().gave_up = True
            self._client_pair = pair
            self.server.expect_response(event.method)
        elif self._client_pair is None:
            return
        elif isinstance(event, Data):
            self._client_pair.request_body.add(event)
        elif isinstance(event, EndOfMessage):
            self._client_pair.request_end = event
            self._client_pair = None

    def _on_server_event(self, event) -> None:
        if isinstance(event, Response):
            if 100 <= event.status < 200 and event.status != 101:
                if not self._pending:  # its request was never seen
                    self._pending.append(self._new_pair(None))
                self._pending[0].interim.append(event)
                self._server_interim = True
                self._server_pair = None
                return
            pair = self._answered_by(event)
            pair.response = event
            self._server_interim = False
            self._server_pair = pair
            method = pair.request.method if pair.request is not None else None
            if event.status == 101 or (method == "CONNECT" and 200 <= event.status < 300):
                if event.status == 101 and _asks_websocket(pair.request, event):
                    pair.websocket = self.websocket = WebSocketSession(
                        event.first_frame, event.first_ts_ns, event.headers.get("sec-websocket-extensions"))
                else:       # a switch to no protocol read here (a CONNECT tunnel, h2c): nothing to keep after it
                    self.client.keep_switched = self.server.keep_switched = False
                self.client.switch_protocols()
        elif self._server_interim or self._server_pair is None:
            return
        elif isinstance(event, Data):
            self._server_pair.response_body.add(event)
        elif isinstance(event, EndOfMessage):
            self._server_pair.response_end = event
            self._server_pair = None

    def _answered_by(self, response: Response) -> _Pair:
        """The pair a final response answers (see the module docstring, "After a hole")."""
        pending = self._pending
        if not pending:
            self._server_gap = False
            return self._new_pair(None)
        began = response.first_frame
        before = [p for p in pending if p.request is not None and p.request.first_frame <= began]
        if not self._server_gap:
            if len(before) > 1:
                self.pipelined = True
            return pending.popleft()
        self._server_gap = False
        if self.pipelined or len(before) < 2 or before[0] is not pending[0]:
            return pending.popleft()
        lost = before[:-1]
        for pair in lost:               # their responses were in the hole
            pending.popleft()
            pair.server_gap = True
            pair.gave_up = True
        self.server.forget_requests(len(lost))
        return pending.popleft()

    # ----------------------------------------------------------------- transactions

    def _ready(self) -> list[Transaction]:
        """Hand out the finished pairs at the head of the queue (order is kept)."""
        out = []
        while self._unfinished and self._finished(self._unfinished[0]):
            out.append(self._build(self._unfinished.popleft()))
        return out

    def _finished(self, pair: _Pair) -> bool:
        request_done = pair.request is None or pair.request_end is not None or self.client.state == CLOSED
        response_done = pair.response_end is not None or pair.gave_up or (
            self.server.state == CLOSED and pair is not self._server_pair
        )
        return request_done and response_done

    def _build(self, pair: _Pair) -> Transaction:
        request_ok = pair.request is not None and pair.request_end is not None and pair.request_end.complete
        response_ok = pair.response is not None and pair.response_end is not None and pair.response_end.complete
        complete = request_ok and response_ok
        return Transaction(
            index=pair.index,
            request=pair.request,
            response=pair.response,
            interim=tuple(pair.interim),
            request_end=pair.request_end,
            response_end=pair.response_end,
            request_body=pair.request_body.body(pair.request_end),
            response_body=pair.response_body.body(pair.response_end),
            complete=complete,
            reason=None if complete else self._reason(pair, request_ok),
            websocket=pair.websocket,
        )

    def _reason(self, pair: _Pair, request_ok: bool) -> str:
        if pair.request is None:
            if self.client.not_http:
                return NOT_HTTP
            return GAP if self.gaps[CLIENT] else NO_REQUEST
        if not request_ok:
            if pair.request_end is not None and pair.request_end.reason:
                return pair.request_end.reason
            return self.client.eof_reason or CAPTURE_ENDED
        if pair.response is None:
            if self.server.not_http:
                return NOT_HTTP
            if pair.refused:
                return EARLY_DATA_REFUSED
            if pair.server_gap:
                return GAP
            if pair.gave_up:
                return NO_RESPONSE
            return self.server.eof_reason or CAPTURE_ENDED
        if pair.response_end is not None and pair.response_end.reason:
            return pair.response_end.reason
        return self.server.eof_reason or CAPTURE_ENDED
