"""QUIC connections opened with a TLS key log, and HTTP/3 over them (RFC 9000, RFC 9001 5, RFC 9114, RFC 9204):
the transaction stage's part for QUIC (:class:`analyzer.apps.transactions.Transactions` runs it on each packet
after the pipeline).

Theory of operation
-------------------
The decoder and the pipeline's :class:`analyzer.decode.quic.QuicConnections` read what anyone can: the clear
headers, the Initial packets, the ClientHello and ServerHello. :class:`Http3Tracker` keeps, per QUIC connection
(its UDP addresses and ports), the ClientHello's random and the ServerHello's cipher suite, which name the
connection's secrets in the key log (:class:`analyzer.apps.quic_crypto.ConnectionKeys`); a datagram holding
Handshake or 1-RTT packets the decoder could not open is read again with those keys
(:func:`analyzer.decode.quic.read_datagram`), and each opened packet's layer replaces the clear one, with its
frames' fields as tshark gives them with ``-o tls.keylog_file:KEYS``; the CRYPTO frames of those packets are put
back in order per side and packet number space, and each whole TLS message (the server's certificate among them)
becomes a ``tls`` layer of the frame that completed it.

The STREAM frames of the opened packets are put back in order per stream and direction, and read as HTTP/3: the
control streams' SETTINGS (the QPACK table capacity each side's decoder has), the QPACK encoder streams (fed to
a ``pylsqpack`` decoder per sending side, which keeps the dynamic table), and on each client-initiated
bidirectional stream a request's HEADERS and DATA frames and the server's answer. A stream that both sides ended
(FIN), or the end of the connection or the capture, gives an :class:`~analyzer.apps.http.sink.HttpRecord` with
messages of version ``HTTP/3``, the same records HTTP/1.x and HTTP/2 give (``analyzer http``, ``har``,
``export-objects``, the timeline).

Bounded: :data:`MAX_CONNECTIONS` connections (the oldest forgotten), :data:`MAX_STREAMS` open streams each, at
most :data:`MAX_HELD` out-of-order bytes per stream and :data:`MAX_HEADER_BLOCK` bytes of a header block;
bodies are kept up to the HTTP tracker's body limit.
"""

from __future__ import annotations

from typing import Any

from analyzer.apps.http.conversation import EMPTY_BODY, Transaction
from analyzer.apps.http.encoding import ContentDecoder
from analyzer.apps.http.events import CAPTURE_ENDED, CONNECTION_CLOSED, EndOfMessage, Request, Response
from analyzer.apps.http.headers import Headers, content_codings
from analyzer.apps.http.sink import STATUS_TEXT, HttpRecord
from analyzer.apps.http2.connection import DEFAULT_BODY_LIMIT, DEFAULT_MAX_DECODED, H2Headers, _Body, _target
from analyzer.apps.quic import _varint
from analyzer.decode.packet import Layer
from analyzer.decode.quic import QuicLayer, QuicTlsLayer, _add, long_type, messages_layer, read_datagram

VERSION = "HTTP/3"
MAX_CONNECTIONS = 4096
MAX_STREAMS = 1024
MAX_HELD = 1 << 20
MAX_HEADER_BLOCK = 256 * 1024
MAX_MESSAGE = 64 * 1024                 # a handshake message longer than this ends its CRYPTO stream's reading
MAX_EARLY_FRAMES = 64                   # frames with 0-RTT packets remembered per connection (the timeline's)
MAX_FINISHED = 4096                     # ended request streams remembered per connection (their late copies ignored)
CONNECTION_BUDGET = 64 << 20            # body bytes a connection may hold at once (http2's _Body budget)
# HTTP/3 frame types (RFC 9114 7.2) and unidirectional stream types (6.2)
DATA, HEADERS, CANCEL_PUSH, SETTINGS, PUSH_PROMISE, GOAWAY, MAX_PUSH_ID = 0x00, 0x01, 0x03, 0x04, 0x05, 0x07, 0x0D
FRAME_NAMES = {DATA: "DATA", HEADERS: "HEADERS", CANCEL_PUSH: "CANCEL_PUSH", SETTINGS: "SETTINGS",
               PUSH_PROMISE: "PUSH_PROMISE", GOAWAY: "GOAWAY", MAX_PUSH_ID: "MAX_PUSH_ID"}
CONTROL, PUSH, QPACK_ENCODER, QPACK_DECODER = 0x00, 0x01, 0x02, 0x03
QPACK_MAX_TABLE_CAPACITY, QPACK_BLOCKED_STREAMS = 0x01, 0x07
CLIENT, SERVER = 0, 1


# SETTINGS identifiers tshark gives a field of their own (RFC 9204 5, RFC 9114 7.2.4.1, RFC 9220)
SETTING_FIELDS = {0x01: "http3.settings.qpack.max_table_capacity", 0x06: "http3.settings.max_field_section_size",
                  0x07: "http3.settings.qpack.blocked_streams", 0x08: "http3.settings.extended_connect"}


class Http3Layer(Layer):
    """The HTTP/3 of one STREAM frame (tshark's "Hypertext Transfer Protocol Version 3" under it): a
    unidirectional stream's type at its start, the frames whole in it (type, length, payload; SETTINGS'
    identifiers and values). ``info``: the datagram's Info text (its QUIC layer's, HTTP/3 frame names included);
    the Protocol column is HTTP3."""

    __slots__ = ("info",)

    def __init__(self, offset: int, length: int, fields: dict[str, Any], info: str):
        super().__init__("http3", offset, length, fields)
        self.info = info


def _settings(payload: bytes):
    """The (identifier, value) pairs of a SETTINGS frame's payload, up to the first one cut short."""
    pos = 0
    while pos < len(payload):
        ident, pos = _varint(payload, pos)
        value, pos = _varint(payload, pos) if ident is not None else (None, pos)
        if value is None:
            return
        yield ident, value


def is_http3(record: HttpRecord) -> bool:
    """A record of an HTTP/3 exchange (its ``stream`` is then the UDP conversation's, not a TCP stream)."""
    tx = record.transaction
    msg = tx.request if tx.request is not None else tx.response
    return msg is not None and msg.version == VERSION


class _Message:
    """A request or response being read: its header block's frame, its body, where it ended."""

    __slots__ = ("body", "end_frame", "end_ts", "ended", "first_frame", "first_ts", "head", "head_frame",
                 "head_ts", "headers_complete", "trailers", "wire")

    def __init__(self, head: H2Headers, frame: int, ts: int, first_frame: int, first_ts: int, body: _Body):
        self.head = head
        self.head_frame, self.head_ts = frame, ts
        self.first_frame, self.first_ts = first_frame, first_ts
        self.body = body
        self.headers_complete = True
        self.trailers: list[tuple[str, str]] = []
        self.ended = False
        self.end_frame, self.end_ts = frame, ts
        self.wire = 0


class _Exchange:
    """A client-initiated bidirectional stream: one request and its response (RFC 9114 4.1)."""

    __slots__ = ("index", "interim", "request", "response", "sid")

    def __init__(self, sid: int, index: int):
        self.sid = sid
        self.index = index
        self.request: _Message | None = None
        self.response: _Message | None = None
        self.interim: list[Response] = []


class _StreamIn:
    """One direction of one QUIC stream: its bytes put back in order, and the HTTP/3 frame being read."""

    __slots__ = ("buf", "data_left", "fin_at", "first", "held", "held_bytes", "kind", "next", "skip_left")

    def __init__(self) -> None:
        self.next = 0                       # stream offset of the next byte expected
        self.held: dict[int, bytes] = {}    # out-of-order pieces, by offset
        self.held_bytes = 0
        self.buf = bytearray()              # in-order bytes not read yet
        self.kind: int | None = None        # a unidirectional stream's type, once read
        self.data_left = 0                  # bytes of the current DATA frame's payload still to come
        self.skip_left = 0                  # bytes of a frame passed over still to come
        self.fin_at: int | None = None
        self.first: tuple[int, int] | None = None   # (frame, ts) of the current frame's first byte

    def add(self, offset: int, data: bytes, fin: bool) -> bool:
        """A STREAM frame's bytes; True when bytes in order were added."""
        if fin:
            self.fin_at = offset + len(data)
        if offset > self.next:
            if offset not in self.held and self.held_bytes + len(data) <= MAX_HELD:
                self.held[offset] = data
                self.held_bytes += len(data)
            return False
        if offset + len(data) <= self.next:
            return False
        self.buf += data[self.next - offset:]
        self.next = offset + len(data)
        while self.held:
            got = next((o for o in self.held if o <= self.next), None)
            if got is None:
                break
            piece = self.held.pop(got)
            self.held_bytes -= len(piece)
            if got + len(piece) > self.next:
                self.buf += piece[self.next - got:]
                self.next = got + len(piece)
        return True

    @property
    def ended(self) -> bool:
        return self.fin_at is not None and self.next >= self.fin_at and not self.buf


class QuicSession:
    """One QUIC connection seen with its ClientHello: its keys and its HTTP/3 state."""

    def __init__(self, tracker: Http3Tracker, client: tuple[Any, int], server: tuple[Any, int], stream: int,
                 first_frame: int = 0, first_ts: int = 0):
        from analyzer.apps.quic_crypto import ConnectionKeys

        self.tracker = tracker
        self.client, self.server, self.stream = client, server, stream
        # as an open sink of the HTTP tracker (its ``open``): no record of it starts before its ClientHello's frame
        self.conn = self
        self.first_frame, self.first_ts = first_frame, first_ts
        self.keys = ConnectionKeys(tracker.keylog)
        self.opened = 0                             # packets opened with the key log's keys
        self.early_frames: set[int] = set()         # frames whose 0-RTT packets opened (the first MAX_EARLY_FRAMES)
        self.streams: dict[tuple[int, int], _StreamIn] = {}
        self.exchanges: dict[int, _Exchange] = {}
        self.settings: list[dict[int, int]] = [{}, {}]     # each side's SETTINGS
        self.settings_seen = [False, False]
        self.decoders: list[Any] = [None, None]    # QPACK decoders of the header blocks each side sends
        self.blocked: dict[tuple[int, int], tuple[bytes, int, int, _Exchange]] = {}
        self.count = 0                              # requests seen (their index)
        self.finished: dict[tuple[int, int], None] = {}    # request streams' directions that ended (the last ones)
        self.budget = [CONNECTION_BUDGET]
        self.closed = False
        # what read shows (view): each stream direction's next HTTP/3 frame start, unidirectional streams' types
        self.boundary: dict[tuple[int, int], int] = {}
        self.kinds: dict[tuple[int, int], int] = {}
        self.crypto: dict[tuple[int, int], _StreamIn | None] = {}     # (space, side) -> its CRYPTO stream
        # the server's certificate chain read from its Handshake packets (analyzer.apps.tls.facts.CertificateFacts)
        self.certificates: list[Any] = []

    def crypto_messages(self, side: int, chunks: list[tuple[int, int, bytes]]) -> list[bytes]:
        """CRYPTO frames of opened Handshake or 1-RTT packets (space, offset, bytes) from ``side``: the handshake
        messages they make whole, in order (a stream whose message claims more than :data:`MAX_MESSAGE` bytes
        is read no further)."""
        out: list[bytes] = []
        for space, offset, data in chunks:
            key = (space, side)
            s = self.crypto.get(key, False)
            if s is None:
                continue
            if s is False:
                s = self.crypto[key] = _StreamIn()
            if not s.add(offset, data, False):
                continue
            buf = s.buf
            at = 0
            while len(buf) - at >= 4:
                size = int.from_bytes(buf[at + 1:at + 4], "big")
                if size > MAX_MESSAGE:
                    self.crypto[key] = None
                    break
                if len(buf) - at - 4 < size:
                    break
                out.append(bytes(buf[at:at + 4 + size]))
                at += 4 + size
            del buf[:at]
        return out

    def note_certificates(self, messages: list[bytes], frame: int, ts: int) -> None:
        """The server's Certificate message among ``messages``, if there: its chain as certificate facts (what
        the timeline says of a TLS 1.3 certificate opened with a key log)."""
        from analyzer.apps.tls.facts import CertificateFacts
        from analyzer.apps.tls.handshake import certificate
        from analyzer.decode.errors import DecodeError

        for message in messages:
            if message[0] != 11:
                continue
            try:
                chain = certificate(message[4:], {}, True)
            except DecodeError:
                return
            self.certificates = [CertificateFacts(frame, ts, c["subject"], c["issuer"], c["san"], c["not_before"],
                                                  c["not_after"], True, c["sha256"], False, c["der"])
                                 for c in chain if "error" not in c]
            return

    # -- what read shows ----------------------------------------------------------------------------
    def view(self, side: int, sid: int, offset: int, data: bytes,
             fin: bool = False) -> tuple[dict[str, Any], list[str]] | None:
        """The http3 fields and Info words of one STREAM frame, as tshark shows them: a unidirectional stream's
        type where it starts, and the HTTP/3 frames whole in the STREAM frame when it starts at a frame's start
        (a piece of a frame, a DATA frame's payload spread over packets, shows none); None when the STREAM frame
        is not HTTP/3's to show (the middle of a frame on a request stream)."""
        f: dict[str, Any] = {}
        words: list[str] = []
        pos = 0
        key = (sid, side)
        if sid & 2:
            if offset == 0:
                kind, pos = _varint(data, 0)
                if kind is None:
                    return f, words
                _add(f, "http3.stream_type", kind)
                if len(self.kinds) < MAX_STREAMS:
                    self.kinds[key] = kind
                    self.boundary[key] = pos        # its frames start after the type
            if self.kinds.get(key) != CONTROL:
                return f, words
        if offset + pos != self.boundary.get(key, 0):
            return (f, words) if sid & 2 else None
        while pos < len(data):
            ftype, at = _varint(data, pos)
            length, at = _varint(data, at) if ftype is not None else (None, at)
            if length is None:
                break
            if at + length > len(data):
                pos = at + length           # the frame goes on in later STREAM frames: its end is the next start
                break
            payload = data[at:at + length]
            _add(f, "http3.frame_type", ftype)
            _add(f, "http3.frame_length", length)
            _add(f, "http3.frame_payload", payload.hex())
            if ftype == SETTINGS:
                for ident, value in _settings(payload):
                    _add(f, "http3.settings.id", ident)
                    _add(f, "http3.settings.value", value)
                    if ident in SETTING_FIELDS:
                        _add(f, SETTING_FIELDS[ident], value)
            words.append(FRAME_NAMES.get(ftype, f"UNKNOWN(0x{ftype:x})"))
            pos = at + length
        if fin and not sid & 2:
            self.boundary.pop(key, None)        # a request stream's direction ends: nothing more to show of it
        elif len(self.boundary) < MAX_STREAMS or key in self.boundary:
            self.boundary[key] = offset + pos
        return f, words

    # -- frames -------------------------------------------------------------------------------------
    def stream_frame(self, side: int, sid: int, offset: int, data: bytes, fin: bool, frame: int, ts: int) -> None:
        key = (sid, side)
        s = self.streams.get(key)
        if s is None:
            if key in self.finished or len(self.streams) >= MAX_STREAMS or (sid & 2 == 0 and sid & 1):
                return      # a copy of an ended stream's bytes, too many streams, or a server-initiated
                            # bidirectional stream (not HTTP/3's)
            s = self.streams[key] = _StreamIn()
        if not s.add(offset, data, fin) and not (fin and s.ended):
            return
        if sid & 2:
            self._uni(side, sid, s, frame, ts)
        else:
            self._request_stream(side, sid, s, frame, ts)
        if s.ended and (sid & 2 == 0):
            ex = self.exchanges.get(sid)
            if ex is not None:
                msg = ex.request if side == CLIENT else ex.response
                if msg is not None and not msg.ended:
                    msg.ended = True
                    msg.end_frame, msg.end_ts = frame, ts
                    msg.body.finish()
                if ex.request is not None and ex.request.ended and ex.response is not None and ex.response.ended:
                    self._hand_out(ex, None)
            del self.streams[key]           # its direction is over: copies of its bytes are passed over
            self.finished[key] = None
            if len(self.finished) > MAX_FINISHED:
                del self.finished[next(iter(self.finished))]

    def _uni(self, side: int, sid: int, s: _StreamIn, frame: int, ts: int) -> None:
        if s.kind is None:
            kind, at = _varint(s.buf, 0)
            if kind is None:
                return
            s.kind = kind
            del s.buf[:at]
        if s.kind == QPACK_ENCODER:
            self._encoder_stream(side, s, frame, ts)
        elif s.kind == CONTROL:
            for ftype, payload in self._frames(s):
                if ftype == SETTINGS:
                    self.settings[side].update(_settings(payload))
                    self.settings_seen[side] = True
                    # the other side's encoder stream waited for these (its table's capacity)
                    for key, other in list(self.streams.items()):
                        if key[1] != side and other.kind == QPACK_ENCODER and other.buf:
                            self._encoder_stream(1 - side, other, frame, ts)
        else:
            s.buf.clear()               # QPACK decoder instructions, pushes, unknown types: not read

    def _encoder_stream(self, side: int, s: _StreamIn, frame: int, ts: int) -> None:
        """QPACK encoder instructions ``side`` sent: they fill the table its header blocks refer to. They wait
        (bounded) for the other side's SETTINGS, which size that table."""
        decoder = self._decoder(side)
        if decoder is None:
            if len(s.buf) > MAX_HEADER_BLOCK:
                s.buf.clear()
                self.decoders[side] = False
            return
        if decoder is False:
            s.buf.clear()
            return
        data = bytes(s.buf)
        s.buf.clear()
        import pylsqpack
        try:
            unblocked = decoder.feed_encoder(data)
        except pylsqpack.EncoderStreamError:
            self.decoders[side] = False         # the table is lost: no header block of this side decodes now
            return
        for blocked_sid in unblocked:
            got = self.blocked.pop((blocked_sid, side), None)
            if got is not None:
                self._resume(side, got, frame, ts)

    @staticmethod
    def _frames(s: _StreamIn):
        """Whole frames (type, payload) at the start of ``s.buf``, taken out of it."""
        while True:
            ftype, at = _varint(s.buf, 0)
            length, at = _varint(s.buf, at) if ftype is not None else (None, at)
            if length is None or len(s.buf) < at + length:
                if length is not None and length > MAX_HEADER_BLOCK:
                    s.buf.clear()
                return
            payload = bytes(s.buf[at:at + length])
            del s.buf[:at + length]
            yield ftype, payload

    def _request_stream(self, side: int, sid: int, s: _StreamIn, frame: int, ts: int) -> None:
        ex = self.exchanges.get(sid)
        if ex is None:
            if side == SERVER or len(self.exchanges) >= MAX_STREAMS:
                s.buf.clear()
                return
            ex = self.exchanges[sid] = _Exchange(sid, self.count)
            self.count += 1
        while s.buf:
            if s.first is None:
                s.first = (frame, ts)
            if s.data_left:
                piece = bytes(s.buf[:s.data_left])
                del s.buf[:len(piece)]
                s.data_left -= len(piece)
                msg = ex.request if side == CLIENT else ex.response
                if msg is not None:
                    msg.body.add(piece)
                if not s.data_left:
                    s.first = None
                continue
            if s.skip_left:
                n = min(s.skip_left, len(s.buf))
                del s.buf[:n]
                s.skip_left -= n
                if not s.skip_left:
                    s.first = None
                continue
            ftype, at = _varint(s.buf, 0)
            length, at = _varint(s.buf, at) if ftype is not None else (None, at)
            if length is None:
                return
            if ftype == DATA:
                del s.buf[:at]
                msg = ex.request if side == CLIENT else ex.response
                if msg is not None:
                    msg.body.wire += length
                s.data_left = length
                if not length:
                    s.first = None
                continue
            if ftype != HEADERS or length > MAX_HEADER_BLOCK:
                del s.buf[:at]
                s.skip_left = length
                if not length:
                    s.first = None
                continue
            if len(s.buf) < at + length:
                return                  # the header block is not whole yet
            block = bytes(s.buf[at:at + length])
            del s.buf[:at + length]
            first = s.first
            s.first = None
            self._header_block(side, ex, block, frame, ts, first)

    def _decoder(self, side: int) -> Any:
        """The QPACK decoder of the header blocks ``side`` sends (its table as the other side's SETTINGS size it);
        None while those SETTINGS were not seen, False once it failed."""
        decoder = self.decoders[side]
        if decoder is None and self.settings_seen[1 - side]:
            import pylsqpack
            peer = self.settings[1 - side]
            capacity = min(peer.get(QPACK_MAX_TABLE_CAPACITY, 0), 1 << 20)
            blocked = min(peer.get(QPACK_BLOCKED_STREAMS, 0), MAX_STREAMS)
            decoder = self.decoders[side] = pylsqpack.Decoder(capacity, blocked)
        return decoder

    def _header_block(self, side: int, ex: _Exchange, block: bytes, frame: int, ts: int,
                      first: tuple[int, int] | None) -> None:
        import pylsqpack

        decoder = self._decoder(side)
        if decoder is None:
            # before the other side's SETTINGS no dynamic table can be used: the static table decodes the block
            decoder = pylsqpack.Decoder(0, 0)
        if decoder is False:
            self._headers(side, ex, None, frame, ts, first)
            return
        try:
            _control, headers = decoder.feed_header(ex.sid, block)
        except pylsqpack.StreamBlocked:
            if len(self.blocked) < MAX_STREAMS:
                self.blocked[(ex.sid, side)] = (block, frame, ts, ex)
            return
        except pylsqpack.DecompressionFailed:
            headers = None
        self._headers(side, ex, headers, frame, ts, first)

    def _resume(self, side: int, got: tuple[bytes, int, int, _Exchange], frame: int, ts: int) -> None:
        import pylsqpack

        _block, head_frame, head_ts, ex = got
        try:
            _control, headers = self.decoders[side].resume_header(ex.sid)
        except (pylsqpack.DecompressionFailed, pylsqpack.StreamBlocked):
            headers = None
        self._headers(side, ex, headers, frame, ts, (head_frame, head_ts))

    def _headers(self, side: int, ex: _Exchange, pairs: list[tuple[bytes, bytes]] | None, frame: int, ts: int,
                 first: tuple[int, int] | None) -> None:
        head = H2Headers((n.decode("latin-1"), v.decode("latin-1")) for n, v in (pairs or ()))
        first_frame, first_ts = first if first is not None else (frame, ts)
        msg = ex.request if side == CLIENT else ex.response
        if msg is not None:
            if not msg.ended:
                msg.trailers = list(head)
            return
        status = head.get(":status")
        if side == SERVER and status is not None and status.isascii() and status.isdigit() and 100 <= int(status) < 200:
            code = int(status)
            ex.interim.append(Response(code, STATUS_TEXT.get(code, ""), VERSION, head, first_frame, first_ts,
                                       frame, ts, 0, 0, pairs is not None))
            return
        body = _Body(self.tracker.body_limit, self.budget)
        codings = content_codings(head)
        if codings and status != "206":
            body.decoder = ContentDecoder(codings, DEFAULT_MAX_DECODED)
        msg = _Message(head, frame, ts, first_frame, first_ts, body)
        msg.headers_complete = pairs is not None
        if side == CLIENT:
            ex.request = msg
        else:
            ex.response = msg

    # -- records ------------------------------------------------------------------------------------
    def _hand_out(self, ex: _Exchange, reason: str | None) -> None:
        self.exchanges.pop(ex.sid, None)
        record = self._record(ex, reason)
        for msg in (ex.request, ex.response):
            if msg is not None:     # the bodies now belong to the record: the connection's budget gets them back
                self.budget[0] += len(msg.body.raw) + len(msg.body.decoded)
        self.tracker.add(record)

    def open_records(self) -> list[HttpRecord]:
        """A snapshot for a live view (the HTTP tracker's ``open_records``): the exchanges not handed out yet."""
        return [self._record(ex, None) for ex in self.exchanges.values()
                if ex.request is not None or ex.response is not None]

    def finish(self, reason: str) -> None:
        """The connection ended (``reason``): its open exchanges are handed out, incomplete."""
        for ex in list(self.exchanges.values()):
            if ex.request is not None or ex.response is not None:
                self._hand_out(ex, reason)
        self.exchanges.clear()
        self.streams.clear()
        self.blocked.clear()
        self.closed = True
        if self.tracker.http is not None:
            self.tracker.http.open.discard(self)

    def _record(self, ex: _Exchange, reason: str | None) -> HttpRecord:
        request = response = None
        request_end = response_end = None
        request_body = response_body = EMPTY_BODY
        req, resp = ex.request, ex.response
        if req is not None:
            request = Request(req.head.get(":method") or "", _target(req.head), VERSION, req.head, req.first_frame,
                              req.first_ts, req.head_frame, req.head_ts, 0, 0, req.headers_complete)
            request_end = _end(req, reason)
            request_body = req.body.body()
        if resp is not None:
            status = resp.head.get(":status") or ""
            code = int(status) if status.isascii() and status.isdigit() and len(status) <= 3 else 0
            response = Response(code, STATUS_TEXT.get(code, ""), VERSION, resp.head, resp.first_frame, resp.first_ts,
                                resp.head_frame, resp.head_ts, 0, 0, resp.headers_complete)
            response_end = _end(resp, reason)
            response_body = resp.body.body()
        complete = bool(request_end is not None and request_end.complete and response_end is not None
                        and response_end.complete)
        why = None
        if not complete:
            if request is None:
                why = "no request"
            elif response is None:
                why = reason or "no response"
            else:
                why = (request_end.reason if not request_end.complete else response_end.reason) or reason \
                    or CAPTURE_ENDED
        tx = Transaction(ex.index, request, response, tuple(ex.interim), request_end, response_end, request_body,
                         response_body, complete, why)
        return HttpRecord(self.stream, self.client, self.server, tx,
                          req.end_frame if req is not None and req.ended else None,
                          req.end_ts if req is not None and req.ended else None,
                          resp.end_frame if resp is not None and resp.ended else None,
                          resp.end_ts if resp is not None and resp.ended else None,
                          (0, 0), scheme="https")


def _end(msg: _Message, reason: str | None) -> EndOfMessage:
    body = msg.body
    decoder = body.decoder
    decoded = body.length if decoder is None else (decoder.length if decoder.supported else None)
    complete = msg.ended and msg.headers_complete
    why = None if complete else (reason or CAPTURE_ENDED)
    return EndOfMessage(Headers(msg.trailers), msg.end_frame, msg.end_ts, msg.end_frame, msg.end_ts, body.wire,
                        body.length, decoded, 0, complete, why, decoder.error if decoder is not None else None,
                        decoder.truncated if decoder is not None else False)


class Http3Tracker:
    """The QUIC connections of one run opened with ``keylog`` (a :class:`~analyzer.apps.tls.keylog.KeyLog`, to
    which a pcapng's Decryption Secrets Blocks may add keys as the capture is read), their HTTP/3 transactions
    handed to ``http`` (an :class:`~analyzer.apps.http.sink.HttpTracker`) or kept in ``records``."""

    def __init__(self, keylog: Any, http: Any = None, *, fields: bool = True, body_limit: int | None = None):
        self.keylog = keylog
        self.http = http
        self.fields = fields
        self.body_limit = body_limit if body_limit is not None else getattr(http, "body_limit", DEFAULT_BODY_LIMIT)
        self.records: list[HttpRecord] = []
        self.sessions: dict[tuple, QuicSession] = {}

    def add(self, record: HttpRecord) -> None:
        if self.http is not None:
            self.http.add(record)
        else:
            self.records.append(record)

    def packet(self, pkt: Any) -> None:
        """A packet after the pipeline: a QUIC datagram's hellos are noted, its packets not opened yet opened."""
        layers = pkt.layers
        if not layers or layers[-1].__class__ not in _QUIC_LAST:
            return                  # not a QUIC datagram (its last layer is a QUIC packet or the hello in it)
        quic = [i for i, layer in enumerate(layers) if layer.__class__ is QuicLayer]
        addrs = _endpoints(layers)
        if addrs is None:
            return
        src, dst, stream = addrs
        key = (src, dst) if src < dst else (dst, src)
        session = self.sessions.get(key)
        for layer in layers:
            if layer.__class__ is QuicTlsLayer:
                f = layer.fields
                kind = f.get("tls.handshake.type")
                if kind == 1 and "tls.handshake.random" in f:
                    random = _bytes(f["tls.handshake.random"])
                    if session is None or session.keys.client_random != random:
                        if session is not None:
                            session.finish(CONNECTION_CLOSED)
                        if len(self.sessions) >= MAX_CONNECTIONS:
                            oldest = next(iter(self.sessions))
                            self.sessions.pop(oldest).finish(CAPTURE_ENDED)
                        session = self.sessions[key] = QuicSession(self, src, dst, stream, pkt.frame.number,
                                                                   pkt.frame.ts_ns)
                        session.keys.client_random = random
                        session.keys.offered = tuple(_suites(f.get("tls.handshake.ciphersuite")))
                        version = next((layers[i].fields.get("quic.version") for i in quic
                                        if "quic.version" in layers[i].fields), None)
                        if isinstance(version, str) and version.startswith("0x"):
                            session.keys.version = int(version, 16)     # version 2's key labels (RFC 9369)
                        if self.http is not None and len(self.keylog):
                            self.http.open.add(session)     # records to come: streamed output waits for them
                elif kind == 2 and session is not None and session.keys.suite is None:
                    suite = f.get("tls.handshake.ciphersuite")
                    if isinstance(suite, str):
                        session.keys.suite = int(suite, 16)
                    elif isinstance(suite, int):
                        session.keys.suite = suite
        if session is None or session.closed or self.keylog is None or not len(self.keylog):
            return
        todo = [i for i in quic if "quic.packet_number" not in layers[i].fields
                and (layers[i].fields.get("quic.header_form") == 0 or long_type(layers[i].fields) in (1, 2))]
        if not todo or session.keys.missing is not None and not (
                session.keys.suite is None and session.keys.offered and
                all(long_type(layers[i].fields) == 1 for i in todo)):
            return          # (0-RTT packets, sent before the ServerHello, are tried with the offered suites)
        side = SERVER if src == session.server else CLIENT
        first = layers[quic[0]]
        short_dcid = None
        if first.fields.get("quic.header_form") == 0:
            short_dcid = bytes.fromhex(first.fields.get("quic.dcid", ""))
        off, end = pkt.payload
        streams: list[tuple[int, int, bytes, bool]] = []
        later: list[tuple[int, int, bytes]] = []
        fresh, _crypto = read_datagram(pkt.frame.data, off, end, short_dcid, None, side == SERVER, session.keys,
                                       streams, later)
        changed = False
        by_offset = {layer.offset: layer for layer in fresh}
        h3: list[Http3Layer] = []
        at = 0                                      # the next STREAM frame of ``streams``
        for layer in fresh:
            n = len(_values(layer.fields, "quic.stream.stream_id"))
            mine, at = streams[at:at + n], at + n
            if n and self.fields and long_type(layer.fields) != 1:
                # (tshark 4.0 reads no HTTP/3 frame in a 0-RTT packet's STREAM frames: the view shows none either)
                words = layer.info.split(", ")
                out = []
                for word in words:
                    out.append(word)
                    if word.startswith("STREAM(") and mine:
                        sid, offset, data, fin = mine.pop(0)
                        got = session.view(side, sid, offset, data, fin)
                        if got is not None:
                            out += got[1]
                            h3.append(Http3Layer(layer.offset, layer.length, got[0], ""))
                layer.info = ", ".join(out)
        for i in todo:
            new = by_offset.get(layers[i].offset)
            if new is None or "quic.packet_number" not in new.fields:
                continue
            number = layers[i].fields.get("quic.connection.number")
            if number is not None:
                new.fields = {"quic.connection.number": number, **new.fields}
            layers[i] = new
            session.opened += 1
            if long_type(new.fields) == 1 and len(session.early_frames) < MAX_EARLY_FRAMES:
                session.early_frames.add(pkt.frame.number)
            changed = True
        if changed:
            pkt._flat = None
            last = layers[quic[-1]]
            messages = session.crypto_messages(side, later) if later else None
            if messages:
                if side == SERVER and not session.certificates:
                    session.note_certificates(messages, pkt.frame.number, pkt.frame.ts_ns)
                if self.fields:
                    layers.append(messages_layer(messages, off, end - off, last.info))
            for layer in layers:
                if layer.__class__ is QuicTlsLayer:
                    layer.info = [last.info]        # the Info column: the datagram's last packet's text
            for layer in h3:
                layer.info = last.info
            layers.extend(h3)
        frame, ts = pkt.frame.number, pkt.frame.ts_ns
        for sid, offset, data, fin in streams:
            session.stream_frame(side, sid, offset, data, fin, frame, ts)
        if any(0x1C in _types(layers[i].fields) or 0x1D in _types(layers[i].fields) for i in todo):
            session.finish(CONNECTION_CLOSED)

    def finish(self) -> None:
        """The end of the capture: every connection's open exchanges are handed out."""
        for session in self.sessions.values():
            session.finish(CAPTURE_ENDED)
        self.sessions.clear()


_QUIC_LAST = (QuicLayer, QuicTlsLayer)


def _suites(value: Any) -> list[int]:
    """A ClientHello's ``tls.handshake.ciphersuite`` values as numbers (one or a list; "0x1301" or 4865)."""
    out = []
    for v in value if isinstance(value, list) else [value] if value is not None else []:
        if isinstance(v, int):
            out.append(v)
        elif isinstance(v, str):
            try:
                out.append(int(v, 16))
            except ValueError:
                pass
    return out


def _values(f: dict[str, Any], name: str) -> list:
    got = f.get(name)
    return got if type(got) is list else [] if got is None else [got]


def _types(f: dict[str, Any]) -> list:
    return _values(f, "quic.frame_type")


def _bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    text = value if isinstance(value, str) else str(value)
    try:
        return bytes.fromhex(text.replace(":", ""))
    except ValueError:
        return b""


def _endpoints(layers: list) -> tuple[tuple[Any, int], tuple[Any, int], int] | None:
    """(source, destination, udp.stream) of a datagram's packet: the addresses of its IP layer, its ports."""
    src = dst = None
    for layer in layers:
        name = layer.name
        f = layer.fields
        if name == "ip":
            src, dst = f.get("ip.src"), f.get("ip.dst")
        elif name == "ipv6":
            src, dst = f.get("ipv6.src"), f.get("ipv6.dst")
        elif name == "udp":
            if src is None:
                return None
            sport, dport = f.get("udp.srcport"), f.get("udp.dstport")
            if sport is None or dport is None:
                return None
            return (str(src), sport), (str(dst), dport), f.get("udp.stream", 0)
    return None
