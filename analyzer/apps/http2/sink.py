"""HTTP/2 over the TCP reassembler (h2c) or over decrypted TLS (ALPN h2): a sink per connection that puts
tshark's ``http2`` layers on the frames and hands each stream's transaction to the HTTP tracker as an
:class:`~analyzer.apps.http.sink.HttpRecord`, the same records HTTP/1.x makes.

Theory of operation
-------------------
:class:`Http2Tracker` is one per run, beside the HTTP/1 :class:`~analyzer.apps.http.sink.HttpTracker` whose
records it adds to. It makes two kinds of sink, with the reassembly sink interface (``data(direction,
bytes, frame, ts_ns)``, ``gap``, ``fin``, ``rst``, ``close``):

* ``tracker(conn)`` (a pipeline sink factory) for cleartext TCP on any port. The sink decides from the
  first bytes: the client connection preface ``PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n`` (HTTP/2 with prior
  knowledge), or an HTTP/1.1 request with ``Upgrade: h2c`` that the server answers with ``101`` (HTTP/2
  starts after the 101's header block; the upgrade request is stream 1's request, RFC 7540 3.2). Anything
  else, or a connection picked up after its first bytes, is not HTTP/2 and the sink gives up at once.
* ``tracker.tls_sink(conn, alpn)`` for the decrypted bytes of a TLS connection whose ALPN chose ``h2``:
  HTTP/2 from the first byte, preface or not (a capture that starts mid-connection still decodes).

Frames become :class:`Http2Layer` s, one per HTTP/2 frame (and one for the Magic), on the packet handed in
with the bytes that completed them, in order: a packet's ``http2.*`` fields list every frame's values in
order, as ``tshark -T fields -E occurrence=a`` prints them. A malformed frame is marked in its own part of
the Info column (``RST_STREAM[1][Malformed Packet]``, as tshark marks it) and its layer's notes; the frames
after it in the packet still decode.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from analyzer.apps.http.events import CAPTURE_ENDED, CONNECTION_CLOSED, CONNECTION_RESET
from analyzer.apps.http.sink import HttpRecord
from analyzer.apps.http2 import frames as fr
from analyzer.apps.http2.connection import (
    DEFAULT_BODY_LIMIT,
    Frame,
    Http2Connection,
    StreamRecord,
    _Block,
    _Body,
    _Message,
)
from analyzer.apps.http2.streams import HALF_CLOSED_CLIENT
from analyzer.decode.packet import Layer, Packet

DNS_PORT = 53
MAX_UPGRADE_HEAD = 64 * 1024      # bytes of an HTTP/1.1 head read while looking for Upgrade: h2c

# Detection states of a cleartext connection.
_UNDECIDED, _UPGRADE_ASKED, _UPGRADED, _H2, _DEAD = range(5)


class Http2Layer(Layer):
    """The ``http2`` layer of one HTTP/2 frame: ``info`` is its part of tshark's Info column, ``frame`` the
    decoded :class:`~analyzer.apps.http2.connection.Frame` (header, payload, decoded header fields, notes)."""

    __slots__ = ("frame", "info")

    def __init__(self, offset: int, length: int, frame: Frame):
        super().__init__("http2", offset, length, frame.fields)
        self.info = frame.info
        self.frame = frame


def info_text(pkt: Packet) -> str:
    """tshark's Info column for a packet with http2 layers: each frame's text, joined with ", ", after the
    HTTP/1.1 message's text when the packet also ends one (the 101 of an h2c upgrade).

    (Over TLS, tshark clears the column each time it hands a reassembled piece of plaintext to HTTP/2, so
    a packet holding several TLS records lists only the last piece's frames there; every frame is listed
    here, as every frame is in the fields of both.)"""
    parts = [layer.info for layer in pkt.layers if layer.name == "http2"]
    http1 = "".join(getattr(layer, "info", "") for layer in pkt.layers if layer.name == "http")
    return ", ".join([http1] + parts if http1 else parts)


def protocol_text(pkt: Packet) -> str:
    """tshark's Protocol column for a packet with http2 layers: "HTTP2", or "HTTP2/JSON" when a body's
    media dissector named it (the last one wins)."""
    name = "HTTP2"
    for layer in pkt.layers:
        if layer.name == "http2" and layer.frame.protocol is not None:
            name = layer.frame.protocol
    return name


class Http2Sink:
    """The sink of one connection (see the module docstring)."""

    __slots__ = ("_head", "_pkt", "_upgrade", "conn", "h2", "state", "tls", "tracker")

    @property
    def dead(self) -> bool:
        """Gave up on this connection (not HTTP/2): a FanOutSink stops feeding it."""
        return self.state == _DEAD

    def __init__(self, tracker: Http2Tracker, conn: Any, h2: Http2Connection | None = None):
        self.tracker = tracker
        self.conn = conn
        self.h2 = h2
        self.tls = h2 is not None               # made by tls_sink: decrypted TLS
        self.state = _H2 if h2 is not None else _UNDECIDED
        self._head = [bytearray(), bytearray()]    # first bytes of each direction, while deciding
        self._upgrade: tuple[int, bytes] | None = None   # (client direction, the upgrade request head)
        self._pkt: Packet | None = None

    # -- the sink interface ----------------------------------------------------------------------------
    def gives_up_on(self, direction: int, data: bytes) -> bool:
        """:meth:`data` of these bytes would do nothing (given up already) or give up (a direction's first bytes
        are neither the preface nor an HTTP/1.1 request asking for h2c), reading nothing of the frame but its
        number (``pipeline.FanOutSink`` then gives it the number, not the packet)."""
        state = self.state
        if state == _DEAD:
            return True
        if state != _UNDECIDED or not data:
            return False
        head = bytes(self._head[direction]) + data
        n = min(len(head), len(fr.PREFACE))
        if head[:n] == fr.PREFACE[:n]:
            return False
        if not _maybe_request(head):
            return True
        end = head.find(b"\r\n\r\n")
        if end < 0:
            return len(head) > MAX_UPGRADE_HEAD
        return not _asks_h2c(head[:end + 4])

    def data(self, direction: int, data: bytes, frame: Any, ts_ns: int) -> None:
        state = self.state
        if state == _DEAD:
            return
        pkt = frame if isinstance(frame, Packet) else None
        if pkt is not None:
            number = pkt.frame.number
        elif type(frame) is int:
            number = frame                  # a caller without packets passes the frame number
        else:
            number = self.h2._now[0] if self.h2 is not None else 0
        if state != _H2:
            data = self._decide(direction, data, number, ts_ns, pkt)
            if self.state != _H2 or not data:
                return
        frames = self.h2.receive_data(direction, data, number, ts_ns)
        if frames:
            self._attach(frames, pkt)
        self._emit()

    def gap(self, direction: int, nbytes: int) -> None:
        if self.state == _H2:
            frames = self.h2.receive_gap(direction, nbytes)
            if frames:
                self._attach(frames, None)
            self._emit()
        elif self.state != _DEAD:
            self._give_up()             # bytes lost before HTTP/2 was recognised

    def fin(self, direction: int) -> None:
        if self.state == _H2:
            self.h2.receive_eof(direction, CONNECTION_CLOSED)
        elif self.state != _DEAD:
            self._give_up()

    def rst(self, direction: int) -> None:
        if self.state == _H2:
            self.h2.receive_eof(direction, CONNECTION_RESET)
            self.h2.receive_eof(1 - direction, CONNECTION_RESET)
        elif self.state != _DEAD:
            self._give_up()

    def refused(self, direction: int) -> None:
        """The TLS layer learnt that what ``direction`` sent so far was TLS 1.3 early data the server refused
        (:meth:`Http2Connection.refuse_client`)."""
        if self.state != _H2 or direction != self.h2.client_direction:
            return
        self.h2.refuse_client()
        self._emit()

    def close(self) -> None:
        self._forget()
        if self.state == _H2:
            reason = CAPTURE_ENDED
            if all(self.h2.eof):
                reason = CONNECTION_CLOSED
            self.h2.close(reason)
            self._emit()
        self.state = _DEAD

    def open_records(self) -> list[HttpRecord]:
        """The transactions of streams still open, as they stand now (nothing is consumed)."""
        if self.state != _H2:
            return []
        return [self._record(r) for r in self.h2.snapshot()]

    # -- deciding whether this is HTTP/2 ---------------------------------------------------------------
    def _decide(self, direction: int, data: bytes, frame: int, ts_ns: int, pkt: Packet | None) -> bytes:
        """Look at the first bytes; returns the bytes to feed as HTTP/2 once it is (else b"")."""
        head = self._head[direction]
        if self.state == _UNDECIDED:
            head += data
            n = min(len(head), len(fr.PREFACE))
            if head[:n] == fr.PREFACE[:n]:
                if len(head) < len(fr.PREFACE):
                    return b""
                return self._start(direction, bytes(head))
            if _maybe_request(head):
                end = head.find(b"\r\n\r\n")
                if end < 0:
                    if len(head) > MAX_UPGRADE_HEAD:
                        self._give_up()
                    return b""
                request = bytes(head[:end + 4])
                if not _asks_h2c(request):
                    self._give_up()
                    return b""
                self._upgrade = (direction, request)
                self.state = _UPGRADE_ASKED
                if pkt is not None and self.tracker.fields:
                    _settings_fields(pkt, request)
                rest = bytes(head[end + 4:])
                head.clear()
                head += rest          # a request body or the preface may follow
                return b""
            self._give_up()
            return b""
        # _UPGRADE_ASKED: the server's answer decides; the client's bytes wait (its preface follows the 101)
        client = self._upgrade[0]
        head += data
        if direction == client:
            if len(head) > MAX_UPGRADE_HEAD:
                self._give_up()
            return b""
        end = head.find(b"\r\n\r\n")
        if end < 0:
            if len(head) > MAX_UPGRADE_HEAD or not b"HTTP/1.1 101".startswith(bytes(head[:12])):
                self._give_up()
            return b""
        status = bytes(head[:end]).split(b"\r\n", 1)[0].split(b" ")
        if len(status) < 2 or status[1] != b"101":
            self._give_up()
            return b""
        rest = bytes(head[end + 4:])
        held = bytes(self._head[client])
        self._head = [bytearray(), bytearray()]
        self.h2 = self._connection(client)
        self.state = _H2
        self._upgraded_stream(frame, ts_ns)
        if held:                      # the client's preface and frames sent right after the 101
            self.h2.receive_data(client, held, frame, ts_ns)
        return rest

    def _start(self, client: int, data: bytes) -> bytes:
        self._head = [bytearray(), bytearray()]
        self.h2 = self._connection(client)
        self.state = _H2
        return data

    def _connection(self, client: int | None) -> Http2Connection:
        return Http2Connection(client_direction=client, body_limit=self.tracker.body_limit,
                               fields=self.tracker.fields)

    def _upgraded_stream(self, frame: int, ts_ns: int) -> None:
        """RFC 7540 3.2: the upgrade request is stream 1's request, half-closed by the client; its
        HTTP2-Settings header holds the client's SETTINGS."""
        client, request = self._upgrade
        h2 = self.h2
        lines = request.decode("latin-1").split("\r\n")
        method, _, rest = lines[0].partition(" ")
        target, _, version = rest.rpartition(" ")
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep and name:
                headers.append((name.strip().lower(), value.strip()))
        block = _Block(0, fr.HEADERS, 1, 0, True, frame, ts_ns, 0)
        block.headers = [(":method", method), (":path", target)] + headers
        block.wire = len(request)
        s = h2._stream_for(1, 0, fr.HEADERS, Frame(client, 0, 0, None, {}, ""), create=True)
        if s is None:
            return
        h2.last_stream[0] = 1
        s.state = HALF_CLOSED_CLIENT
        s.request = _Message(block, _Body(h2.body_limit, h2.budget))
        s.request.ended = True
        s.request.end_frame, s.request.end_ts = frame, ts_ns
        s.request.version = version or "HTTP/1.1"
        s.data_started[0] = True
        payload = _http2_settings(request)
        if payload is not None:
            h = fr.FrameHeader(len(payload), fr.SETTINGS, 0, 0, 0)
            h2._frame(client, 0, h, payload, frame, ts_ns)

    def _give_up(self) -> None:
        self.state = _DEAD
        self._head = [bytearray(), bytearray()]
        self._forget()
        if getattr(self.conn, "sink", None) is self:
            self.conn.sink = None       # nobody else wants this connection's bytes: stop reassembling

    def _forget(self) -> None:
        self.tracker.http_open.discard(self)

    # -- output ---------------------------------------------------------------------------------------------
    def _attach(self, frames: list[Frame], pkt: Packet | None) -> None:
        if pkt is None or not self.tracker.fields:
            return
        off, end = pkt.payload if pkt.payload is not None else (0, 0)
        for f in frames:
            pkt.layers.append(Http2Layer(off, end - off, f))
        pkt._flat = None

    def _emit(self) -> None:
        finished = self.h2.take() if self.h2 is not None else ()
        for r in finished:
            self.tracker.add(self._record(r))

    def _record(self, r: StreamRecord) -> HttpRecord:
        conn = self.conn
        client = self.h2.client_direction or 0
        c, s = conn.sides[client], conn.sides[1 - client]
        gaps = (self.h2.gaps[0], self.h2.gaps[1])
        request = r.transaction.request
        scheme = request.headers.get(":scheme") if request is not None else None
        if scheme not in ("http", "https"):
            scheme = "https" if self.tls else "http"
        return HttpRecord(conn.stream, (c.addr, c.port), (s.addr, s.port), r.transaction, r.request_frame,
                          r.request_ts_ns, r.response_frame, r.response_ts_ns, gaps, scheme=scheme,
                          http2_stream=r.stream_id)


def _http2_settings(request: bytes) -> bytes | None:
    """The SETTINGS payload an upgrade request carries in its HTTP2-Settings header (base64url, RFC 7540
    3.2.1), or None."""
    for line in request.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"http2-settings":
            text = value.strip()
            try:
                return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))
            except (binascii.Error, ValueError):
                return None
    return None


def _settings_fields(pkt: Packet, request: bytes) -> None:
    """tshark shows an upgrade request's HTTP2-Settings as http2.settings.* fields in its http layer."""
    payload = _http2_settings(request)
    layer = next((layer for layer in reversed(pkt.layers) if layer.name == "http"), None)
    if payload is None or layer is None:
        return
    fields: dict[str, Any] = {}
    try:
        fr.decode_payload(fr.FrameHeader(len(payload), fr.SETTINGS, 0, 0, 0), payload, fields)
    except fr.FrameError:
        pass
    layer.fields.update((k, v) for k, v in fields.items() if k.startswith("http2.settings"))
    pkt._flat = None


def _maybe_request(head: bytes | bytearray) -> bool:
    """Could these bytes begin an HTTP/1.1 request line (a token, a space)?"""
    sp = head.find(b" ", 0, 32)
    token = head[:sp] if sp >= 0 else head[:32]
    return bool(token) and bytes(token).isalpha() and bytes(token).isupper() and (sp >= 0 or len(head) < 32)


def _asks_h2c(request: bytes) -> bool:
    """An HTTP/1.1 request head whose Upgrade header offers h2c."""
    for line in request.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"upgrade" and \
                b"h2c" in [token.strip().lower() for token in value.split(b",")]:
            return True
    return False


class Http2Tracker:
    """Makes the HTTP/2 sinks of one run and hands their transactions to ``http`` (an
    :class:`~analyzer.apps.http.sink.HttpTracker`), or to ``on_record`` when there is none.

    ``fields``: put http2 layers on packets. ``body_limit``: bytes of each body kept in the records.
    """

    def __init__(self, http: Any = None, *, fields: bool = True, body_limit: int | None = None,
                 on_record=None):
        self.http = http
        self.fields = fields
        self.body_limit = body_limit if body_limit is not None else getattr(http, "body_limit", DEFAULT_BODY_LIMIT)
        self.on_record = on_record
        self.records: list[HttpRecord] = [] if http is None else None
        self.http_open: set[Http2Sink] = http.open if http is not None else set()

    def __call__(self, conn: Any) -> Http2Sink | None:
        """The sink for a cleartext TCP connection (h2c), or None for DNS."""
        o, r = conn.sides
        if o.port == DNS_PORT or r.port == DNS_PORT:
            return None
        sink = Http2Sink(self, conn)
        self.http_open.add(sink)
        return sink

    def tls_sink(self, conn: Any, alpn: str | None = "h2", client_direction: int | None = 0) -> Http2Sink:
        """The sink for the decrypted bytes of a TLS connection whose ALPN chose ``h2`` (``alpn`` is kept for
        the record; the bytes are taken as HTTP/2 whatever it says). ``client_direction``: the direction
        the TLS client (the ClientHello's sender) sends in."""
        sink = Http2Sink(self, conn, Http2Connection(client_direction=client_direction,
                                                     body_limit=self.body_limit, fields=self.fields))
        self.http_open.add(sink)
        return sink

    def add(self, record: HttpRecord) -> None:
        if self.http is not None:
            self.http.add(record)
        else:
            self.records.append(record)
            if self.on_record is not None:
                self.on_record(record)
