"""One HTTP/2 connection, both directions, seen passively (sans-IO): bytes in; frames with tshark's fields,
and HTTP transactions, out.

Theory of operation
-------------------
:class:`Http2Connection` is fed each direction's bytes in order (``receive_data``), told of lost bytes
(``receive_gap``) and of the end (``receive_eof``, ``close``). Each call returns the :class:`Frame` s that its
bytes completed; finished transactions collect in :attr:`Http2Connection.finished`.

* Framing. Per direction a :class:`_Reader` cuts the byte stream into the connection preface ("Magic",
  24 bytes, wherever a frame could start, as tshark looks for it) and frames (9-byte header + payload).
  A payload up to :data:`MAX_FRAME_HELD` is held whole; a longer one (the protocol allows 16 MiB) is not:
  a DATA payload is passed on piece by piece, any other is skipped, so memory stays bounded whatever
  length a frame claims.
* Header blocks. HEADERS / PUSH_PROMISE and their CONTINUATIONs are decoded fragment by fragment by the
  direction's :class:`~analyzer.apps.http2.headerblock.BlockDecoder`; the fields each fragment completes
  go on that frame (tshark shows them so). The block, once END_HEADERS arrives, becomes a request head,
  a response head (1xx ones are interim), trailers, or a promised request (server push).
* Streams. The state of each stream follows :mod:`analyzer.apps.http2.streams`; a stream that reaches
  "closed" (or is reset) hands out its transaction: request and response as the HTTP/1 records have them
  (version ``HTTP/2``), bodies with their content-coding undone, in the order the streams close. A stream
  is one transaction; a pushed stream's request is the PUSH_PROMISE's header block.
* Flow control (RFC 9113 6.9): the send windows of both sides, per connection and per stream, follow
  SETTINGS_INITIAL_WINDOW_SIZE, WINDOW_UPDATE and DATA. DATA beyond a window is flagged; a window that
  DATA brings to zero is recorded in :attr:`Http2Connection.stalls` (the sender had to wait for a
  WINDOW_UPDATE), with the frame that reopened it.
* Loss. A gap inside a frame's payload is skipped, the frame is marked incomplete, and reading goes on
  at the next frame; a gap inside a header block loses that direction's HPACK table (later blocks cannot
  be decoded); a gap that swallows a frame boundary loses the framing of that direction for good.
* Bounds. At most :data:`MAX_STREAMS` open streams are tracked; bodies are kept up to ``body_limit`` bytes
  each and ``budget`` bytes for the whole connection; header blocks beyond :data:`MAX_HEADER_BLOCK`
  bytes are decoded (to keep the table in step) but not kept.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from analyzer.apps.http.conversation import EMPTY_BODY, Body, Transaction
from analyzer.apps.http.encoding import ContentDecoder
from analyzer.apps.http.events import (
    CAPTURE_ENDED,
    CONNECTION_CLOSED,
    EARLY_DATA_REFUSED,
    GAP,
    EndOfMessage,
    Request,
    Response,
)
from analyzer.apps.http.headers import Headers, content_codings
from analyzer.apps.http.sink import STATUS_TEXT
from analyzer.apps.http2 import frames as fr
from analyzer.apps.http2 import streams as st
from analyzer.apps.http2.headerblock import REPR_NAMES, BlockDecoder, Field, SizeUpdate

MAX_FRAME_HELD = 1 << 20          # a payload longer than this is streamed (DATA) or skipped, never held
MAX_HEADER_BLOCK = 1 << 20        # decoded header bytes kept per block (RFC 9113 leaves it to SETTINGS)
MAX_STREAMS = 1000                # open streams tracked per connection
MAX_CLOSED_REMEMBERED = 1000      # closed stream ids remembered (to tell late frames from errors)
MAX_STALLS = 1000
MAX_NOTES_PER_FRAME = 8
DEFAULT_BODY_LIMIT = 1 << 20
DEFAULT_MAX_DECODED = 64 << 20
# tshark stops showing a frame's decoded headers after 200 lines or 256 KiB (MAX_HTTP2_HEADER_LINES/SIZE)
FIELD_LINES_SHOWN = 200
FIELD_BYTES_SHOWN = 256 * 1024
VERSION = "HTTP/2"
DEFAULT_WINDOW = 65535
MAX_WINDOW = (1 << 31) - 1

CLIENT, SERVER = 0, 1             # roles
_ROLE_NAMES = ("client", "server")

# Header fields tshark names (packet-http2.c's static header fields): name -> (field, numeric).
NAMED_HEADERS: dict[str, tuple[str, bool]] = {
    ":authority": ("http2.headers.authority", False),
    ":status": ("http2.headers.status", True),
    ":path": ("http2.headers.path", False),
    ":method": ("http2.headers.method", False),
    ":scheme": ("http2.headers.scheme", False),
    "accept": ("http2.headers.accept", False),
    "accept-charset": ("http2.headers.accept_charset", False),
    "accept-encoding": ("http2.headers.accept_encoding", False),
    "accept-language": ("http2.headers.accept_language", False),
    "accept-ranges": ("http2.headers.accept_ranges", False),
    "access-control-allow-origin": ("http2.headers.access_control_allow_origin", False),
    "age": ("http2.headers.age", True),
    "allow": ("http2.headers.allow", False),
    "authorization": ("http2.headers.authorization", False),
    "cache-control": ("http2.headers.cache_control", False),
    "content-disposition": ("http2.headers.content_disposition", False),
    "content-encoding": ("http2.headers.content_encoding", False),
    "content-language": ("http2.headers.content_language", False),
    "content-length": ("http2.headers.content_length", True),
    "content-location": ("http2.headers.content_location", False),
    "content-range": ("http2.headers.content_range", False),
    "content-type": ("http2.headers.content_type", False),
    "cookie": ("http2.headers.cookie", False),
    "date": ("http2.headers.date", False),
    "etag": ("http2.headers.etag", False),
    "expect": ("http2.headers.expect", False),
    "expires": ("http2.headers.expires", False),
    "from": ("http2.headers.from", False),
    "if-match": ("http2.headers.if_match", False),
    "if-modified-since": ("http2.headers.if_modified_since", False),
    "if-none-match": ("http2.headers.if_none_match", False),
    "if-range": ("http2.headers.if_range", False),
    "if-unmodified-since": ("http2.headers.if_unmodified_since", False),
    "last-modified": ("http2.headers.last_modified", False),
    "link": ("http2.headers.link", False),
    "location": ("http2.headers.location", False),
    "max-forwards": ("http2.headers.max_forwards", True),
    "proxy-authenticate": ("http2.headers.proxy_authenticate", False),
    "proxy-authorization": ("http2.headers.proxy_authorization", False),
    "range": ("http2.headers.range", False),
    "referer": ("http2.headers.referer", False),
    "refresh": ("http2.headers.refresh", False),
    "retry-after": ("http2.headers.retry_after", False),
    "server": ("http2.headers.server", False),
    "set-cookie": ("http2.headers.set_cookie", False),
    "strict-transport-security": ("http2.headers.strict_transport_security", False),
    "user-agent": ("http2.headers.user_agent", False),
    "vary": ("http2.headers.vary", False),
    "via": ("http2.headers.via", False),
    "www-authenticate": ("http2.headers.www_authenticate", False),
}

# What tshark's media-type dissectors add for a body of each type, on the frame that completes it (tshark
# 4.0.17, measured type by type): the Line-based text dissector appends " (type)", JSON appends its own
# text and names the protocol column "HTTP2/JSON", XML and SDP name the column only. Types without a
# dissector add nothing; image/png adds " (PNG)" when the body is a PNG.
_TEXT_MEDIA = frozenset(("text/html", "text/plain", "text/css", "text/javascript", "text/richtext", "text/enriched",
                         "application/x-javascript", "application/x-www-form-urlencoded", "message/http"))
_JSON_MEDIA = frozenset(("application/json", "application/json-rpc", "application/jsonrequest",
                         "application/x-ndjson"))
_XML_MEDIA = frozenset(("text/xml", "application/xml", "image/svg+xml", "application/soap+xml",
                        "application/rss+xml", "application/atom+xml", "text/vnd.wap.wml"))
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class H2Headers(Headers):
    """A decoded HPACK header list, pseudo-header fields (``:method``, ``:path``, ...) included, names
    lowercase as HTTP/2 requires. ``get("host")`` falls back to ``:authority``, which carries what Host
    carries in HTTP/1.1 (RFC 9113 8.3.1), so consumers written for HTTP/1 find the host."""

    __slots__ = ()

    def get(self, name: str, default: str | None = None) -> str | None:
        value = super().get(name)
        if value is None and name.lower() == "host":
            value = super().get(":authority")
        return default if value is None else value

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str) and item.lower() == "host":
            return Headers.__contains__(self, "host") or Headers.__contains__(self, ":authority")
        return Headers.__contains__(self, item)


# -- what the connection hands out ----------------------------------------------------------------------
@dataclass(slots=True)
class Frame:
    """One frame (or the Magic) as decoded, with tshark's fields and Info text."""

    direction: int
    offset: int                           # stream offset of its first byte in its direction
    size: int                             # bytes on the wire (header + payload), 24 for the Magic
    header: fr.FrameHeader | None         # None for the Magic
    fields: dict[str, Any]
    info: str
    payload: fr.Payload | None = None
    decoded: list[Field | SizeUpdate] = field(default_factory=list)   # header fields this frame completed
    notes: list[tuple[str, str]] = field(default_factory=list)        # (severity, text)
    malformed: str | None = None
    lost: int = 0                         # payload bytes not captured (gap)
    protocol: str | None = None           # the protocol column a body's media type gives ("HTTP2/JSON")

    def note(self, severity: str, text: str) -> None:
        if len(self.notes) < MAX_NOTES_PER_FRAME:
            self.notes.append((severity, text))


@dataclass(frozen=True, slots=True)
class Stall:
    """A send window that DATA brought to zero: the sender had to wait for the receiver's WINDOW_UPDATE."""

    sender: str                   # "client" or "server"
    stream: int                   # 0: the connection window
    frame: int                    # the DATA frame that used the window up
    ts_ns: int
    reopened_frame: int | None = None     # the WINDOW_UPDATE (or SETTINGS) that gave credit back
    reopened_ts_ns: int | None = None


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """A finished stream's transaction and where it lived."""

    stream_id: int
    transaction: Transaction
    request_frame: int | None
    request_ts_ns: int | None
    response_frame: int | None
    response_ts_ns: int | None
    pushed: bool = False


# -- bodies and messages --------------------------------------------------------------------------------
class _Body:
    """One message body as DATA frames bring it: stored up to a limit, content-coding undone."""

    __slots__ = (
        "budget",
        "decoded",
        "decoded_truncated",
        "decoder",
        "finished",
        "fragment_bytes",
        "frames",
        "length",
        "limit",
        "lost",
        "raw",
        "raw_truncated",
        "wire",
    )

    def __init__(self, limit: int, budget: list[int]):
        self.limit = limit
        self.budget = budget              # [bytes the connection may still store], shared
        self.raw = bytearray()
        self.decoded = bytearray()
        self.decoder: ContentDecoder | None = None
        self.raw_truncated = False
        self.decoded_truncated = False
        self.length = 0                   # data bytes received (padding excluded)
        self.wire = 0                     # DATA payload bytes (padding included)
        self.lost = 0
        self.frames: list[int] = []       # frame numbers of the DATA frames (tshark's body fragments)
        self.fragment_bytes = 0           # tshark's reassembled length
        self.finished = False

    def _store(self, into: bytearray, data: bytes) -> bool:
        room = min(self.limit - len(into), self.budget[0])
        if room <= 0:
            return bool(data)
        piece = data[:room]
        into += piece
        self.budget[0] -= len(piece)
        return len(piece) < len(data)

    def add(self, data: bytes) -> None:
        self.length += len(data)
        if data:
            self.raw_truncated |= self._store(self.raw, data)
            if self.decoder is not None:
                out = self.decoder.feed(data)
                if out:
                    self.decoded_truncated |= self._store(self.decoded, out)

    def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        if self.decoder is not None:
            out = self.decoder.finish()
            if out:
                self.decoded_truncated |= self._store(self.decoded, out)

    def body(self) -> Body:
        if not (self.raw or self.raw_truncated or self.decoder is not None and not self.decoder.supported):
            return EMPTY_BODY
        data = bytes(self.raw)
        if self.decoder is None:
            return Body(data, data, self.raw_truncated, self.raw_truncated)
        if not self.decoder.supported:
            return Body(data, None, self.raw_truncated, False)
        return Body(data, bytes(self.decoded), self.raw_truncated,
                    self.decoded_truncated or self.decoder.truncated)

    def decoded_bytes(self) -> bytes:
        """The body as tshark shows it reassembled: decoded when a supported coding could be undone."""
        if self.decoder is not None and self.decoder.supported and self.decoder.error is None:
            return bytes(self.decoded)
        return bytes(self.raw)


class _Message:
    """A request or response being assembled on a stream."""

    __slots__ = (
        "body",
        "end_frame",
        "end_ts",
        "ended",
        "first_frame",
        "first_ts",
        "head",
        "head_frame",
        "head_length",
        "head_ts",
        "headers_complete",
        "media",
        "offset",
        "reason",
        "trailers",
        "version",
    )

    def __init__(self, block: _Block, body: _Body):
        self.head = block.headers
        self.first_frame = block.first_frame
        self.first_ts = block.first_ts
        self.head_frame = block.last_frame
        self.head_ts = block.last_ts
        self.offset = block.offset
        self.head_length = block.wire
        self.headers_complete = not block.truncated
        self.body = body
        self.trailers: list[tuple[str, str]] = []
        self.ended = False
        self.end_frame: int | None = None
        self.end_ts: int | None = None
        self.reason: str | None = block.problem
        self.media: str | None = None     # tshark's content type (lowercase, parameters cut)
        self.version = VERSION            # HTTP/1.1 for the request of a connection upgraded to h2c


class _Block:
    """A header block being received (HEADERS or PUSH_PROMISE, then CONTINUATIONs)."""

    __slots__ = ("end_stream", "first_frame", "first_ts", "headers", "kind", "last_frame", "last_ts", "offset",
                 "problem", "promised", "role", "size", "stream", "truncated", "wire")

    def __init__(self, role: int, kind: int, stream: int, promised: int, end_stream: bool, frame: int,
                 ts: int, offset: int):
        self.role = role
        self.kind = kind                  # fr.HEADERS or fr.PUSH_PROMISE
        self.stream = stream
        self.promised = promised
        self.end_stream = end_stream
        self.headers: list[tuple[str, str]] = []
        self.size = 0
        self.truncated = False
        self.first_frame = self.last_frame = frame
        self.first_ts = self.last_ts = ts
        self.offset = offset
        self.wire = 0
        self.problem: str | None = None   # why the headers are not all there


class _Stream:
    __slots__ = ("data_started", "id", "index", "interim", "media", "promised_in", "request", "reset",
                 "response", "state")

    def __init__(self, sid: int, index: int):
        self.id = sid
        self.index = index
        self.state = st.IDLE
        self.request: _Message | None = None
        self.response: _Message | None = None
        self.interim: list[Response] = []
        self.reset: tuple[int, int, int, int] | None = None     # (role, error code, frame, ts)
        self.promised_in: int | None = None
        self.data_started = [False, False]   # a request/response head was seen in that role (tshark reassembles)
        self.media: list[str | None] = [None, None]   # first content type seen per role


class _Reader:
    """Cuts one direction's bytes into the Magic and frames (see the module docstring).

    A frame not held whole (too long, or cut by a gap) is "passed through": its header is kept in
    ``skip_header`` and its payload bytes go by as they come (``skip`` of them still to come).
    """

    __slots__ = ("buf", "lost", "offset", "skip", "skip_header", "skip_lost", "skip_pad", "skip_seen",
                 "skip_start")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.offset = 0              # stream offset of buf[0]
        self.lost: str | None = None     # framing lost: why
        self.skip = 0
        self.skip_header: fr.FrameHeader | None = None
        self.skip_start = 0          # stream offset of that frame's header
        self.skip_seen = 0           # payload bytes gone by (captured or lost)
        self.skip_lost = 0           # payload bytes lost in gaps
        self.skip_pad: int | None = None     # a padded DATA frame's pad length, once its first byte went by


# -- the connection ---------------------------------------------------------------------------------------
class Http2Connection:
    """Both directions of one HTTP/2 connection (see the module docstring).

    ``client_direction``: which direction (0 or 1) the client sends in, if known; otherwise the side that
    sends the connection preface, or failing that the side opening odd-numbered streams, is the client.
    """

    def __init__(self, *, client_direction: int | None = None, body_limit: int = DEFAULT_BODY_LIMIT,
                 budget: int | None = None, max_decoded: int = DEFAULT_MAX_DECODED, fields: bool = True):
        self.client_direction = client_direction
        self.fields = fields          # build tshark's decoded-header and body fields (False: transactions only)
        self.body_limit = body_limit
        self.budget = [budget if budget is not None else max(4 * body_limit, 16 << 20)]
        self.max_decoded = max_decoded
        self.readers = (_Reader(), _Reader())
        self.hpack = (BlockDecoder(), BlockDecoder())          # by direction
        self.blocks: list[_Block | None] = [None, None]        # by direction: a block awaiting CONTINUATION
        self.streams: dict[int, _Stream] = {}
        self.closed: OrderedDict[int, bool] = OrderedDict()    # closed stream id -> closed by RST_STREAM
        self.finished: list[StreamRecord] = []
        self.count = 0
        self.last_stream = [0, 0]                              # highest stream id opened, by role
        self.settings: list[list[tuple[int, int, int]]] = [[], []]   # by role: (frame, id, value)
        self.initial_window = [DEFAULT_WINDOW, DEFAULT_WINDOW]       # by sender role: its streams' window
        self.conn_window = [DEFAULT_WINDOW, DEFAULT_WINDOW]          # by sender role
        self.stream_windows: list[dict[int, int]] = [{}, {}]         # by sender role
        self.max_frame_size = [16384, 16384]                          # by sender role (receiver's setting)
        self.stalls: list[Stall] = []
        self._stalled: dict[tuple[int, int], int] = {}               # (role, stream) -> index in stalls
        self.goaway: list[tuple[int, int, int, int, bytes]] = []     # (role, frame, last stream, error, debug)
        self.pings: list[tuple[int, int, int, bytes]] = []           # (role, frame, ts, opaque), acks by role
        self.ping_rtts: list[tuple[int, int]] = []                   # (ping frame, rtt ns)
        self.gaps = [0, 0]                                           # by role
        self.frame_count = 0
        self.eof = [False, False]
        self._now = (0, 0)

    # -- roles ---------------------------------------------------------------------------------------
    def role(self, direction: int) -> int:
        if self.client_direction is None:
            return CLIENT if direction == 0 else SERVER
        return CLIENT if direction == self.client_direction else SERVER

    # -- input -----------------------------------------------------------------------------------------
    def receive_data(self, direction: int, data: bytes, frame: int, ts_ns: int) -> list[Frame]:
        """In-order bytes of ``direction``; returns the frames they completed."""
        self._now = (frame, ts_ns)
        r = self.readers[direction]
        if r.lost is not None or not data:
            return []
        out: list[Frame] = []
        if r.skip:
            data = self._pass_through(direction, r, data, frame, ts_ns, out)
            if not data:
                return out
        r.buf += data
        self._cut(direction, r, frame, ts_ns, out)
        return out

    def receive_gap(self, direction: int, nbytes: int) -> list[Frame]:
        """``nbytes`` of ``direction`` were not captured. Inside a frame's payload the frame ends incomplete
        and reading goes on after it; anywhere else the direction's framing is lost."""
        self.gaps[self.role(direction)] += 1
        r = self.readers[direction]
        if r.lost is not None or nbytes <= 0:
            return []
        out: list[Frame] = []
        frame, ts = self._now
        if not r.skip and len(r.buf) >= fr.HEADER_LENGTH and r.buf[:3] != b"PRI":
            h = fr.parse_header(r.buf)
            have = len(r.buf) - fr.HEADER_LENGTH
            if have < h.length:
                held = bytes(r.buf[fr.HEADER_LENGTH:])
                start = r.offset
                r.buf = bytearray()
                r.offset = start + fr.HEADER_LENGTH
                self._begin_skip(direction, r, h, start)
                self._pass_through(direction, r, held, frame, ts, out)
        if r.skip and not r.buf and nbytes <= r.skip:
            r.skip -= nbytes
            r.skip_seen += nbytes
            r.skip_lost += nbytes
            r.offset += nbytes
            if r.skip == 0:
                out.append(self._skip_done(direction, r, frame, ts))
            return out
        r.lost = f"{nbytes} bytes were not captured where a frame could start: framing lost"
        r.buf = bytearray()
        r.skip = 0
        self.blocks[direction] = None
        self.hpack[direction].lose("bytes were not captured")
        return out

    def receive_eof(self, direction: int, reason: str = CONNECTION_CLOSED) -> None:
        """``direction`` ended (FIN or RST): messages it was still sending end incomplete."""
        if self.eof[direction]:
            return
        self.eof[direction] = True
        role = self.role(direction)
        for s in list(self.streams.values()):
            msg = s.request if role == CLIENT else s.response
            if msg is not None and not msg.ended:
                msg.reason = reason

    def close(self, reason: str = CAPTURE_ENDED) -> None:
        """The end: every stream still open hands out its transaction (to :meth:`take`), incomplete."""
        for s in sorted(self.streams.values(), key=lambda s: s.index):
            self._finish(s, reason)
        self.streams.clear()

    def refuse_client(self) -> None:
        """What the client sent so far was TLS 1.3 early data that the server refused, unread (RFC 8446
        4.2.10): the streams it opened end unanswered ("early data refused", handed out to :meth:`take`), and the
        connection starts again as it was before the client's first byte, since the server saw none of them: the
        client sends its preface, SETTINGS and requests again, with stream ids and HPACK tables from the start.
        Stream indexes go on counting, so the transactions of the connection stay distinct."""
        for s in sorted(self.streams.values(), key=lambda s: s.index):
            if s.id % 2 == 1:
                self._finish(s, EARLY_DATA_REFUSED)
        count, frame_count, finished, gaps = self.count, self.frame_count, self.finished, self.gaps
        offsets = [r.offset + len(r.buf) for r in self.readers]      # where each direction's next byte sits
        self.__init__(client_direction=self.client_direction, body_limit=self.body_limit, budget=self.budget[0],
                      max_decoded=self.max_decoded, fields=self.fields)
        self.count, self.frame_count, self.finished, self.gaps = count, frame_count, finished, gaps
        for r, offset in zip(self.readers, offsets):
            r.offset = offset

    def take(self) -> list[StreamRecord]:
        out = self.finished
        self.finished = []
        return out

    # -- framing ------------------------------------------------------------------------------------------
    def _cut(self, direction: int, r: _Reader, frame: int, ts: int, out: list[Frame]) -> None:
        buf = r.buf
        pos = 0
        n = len(buf)
        plen = len(fr.PREFACE)
        while pos < n:
            if buf[pos] == 0x50:                                # "P": maybe the Magic
                if n - pos >= plen and buf[pos:pos + plen] == fr.PREFACE:
                    out.append(self._magic(direction, r.offset + pos))
                    pos += plen
                    continue
                if n - pos < plen and fr.PREFACE.startswith(bytes(buf[pos:n])):
                    break                                       # wait: it may still be the Magic
            if n - pos < fr.HEADER_LENGTH:
                break
            h = fr.parse_header(buf, pos)
            if h.length > MAX_FRAME_HELD:
                # too long to hold: pass its payload through as it comes
                start = r.offset + pos
                rest = bytes(buf[pos + fr.HEADER_LENGTH:])
                buf.clear()
                r.offset = start + fr.HEADER_LENGTH
                self._begin_skip(direction, r, h, start)
                rest = self._pass_through(direction, r, rest, frame, ts, out)
                if r.skip:
                    return
                buf += rest
                pos = 0
                n = len(buf)
                continue
            end = pos + fr.HEADER_LENGTH + h.length
            if end > n:
                break
            payload = bytes(buf[pos + fr.HEADER_LENGTH:end])
            out.append(self._frame(direction, r.offset + pos, h, payload, frame, ts))
            pos = end
        if pos:
            del buf[:pos]
            r.offset += pos

    def _begin_skip(self, direction: int, r: _Reader, h: fr.FrameHeader, start: int) -> None:
        r.skip = h.length
        r.skip_header = h
        r.skip_start = start
        r.skip_seen = 0
        r.skip_lost = 0
        r.skip_pad = None
        if h.type in (fr.HEADERS, fr.PUSH_PROMISE, fr.CONTINUATION):
            self.hpack[direction].lose(f"a {fr.type_name(h.type)} frame not decoded (stream offset {start})")
            self.blocks[direction] = None

    def _pass_through(self, direction: int, r: _Reader, data: bytes, frame: int, ts: int,
                      out: list[Frame]) -> bytes:
        """Let a passed-through frame's payload bytes go by; returns the bytes after the frame."""
        take = min(len(data), r.skip)
        h = r.skip_header
        if take and h.type == fr.DATA:
            piece = data[:take]
            lo, hi = 0, h.length
            if h.flags & fr.PADDED:
                if r.skip_seen == 0:
                    r.skip_pad = piece[0]
                lo = 1
                hi = h.length - (r.skip_pad or 0)
            a, b = max(lo, r.skip_seen), min(hi, r.skip_seen + take)
            if a < b:
                self._data_piece(direction, h, piece[a - r.skip_seen:b - r.skip_seen])
        r.skip -= take
        r.skip_seen += take
        r.offset += take
        if r.skip == 0:
            out.append(self._skip_done(direction, r, frame, ts))
        return data[take:]

    def _skip_done(self, direction: int, r: _Reader, frame: int, ts: int) -> Frame:
        """A passed-through frame has ended: its layer (header fields only) and its effects."""
        h = r.skip_header
        r.skip_header = None
        self.frame_count += 1
        f = Frame(direction, r.skip_start, fr.HEADER_LENGTH + h.length, h, fr.header_fields(h),
                  self._base_info(h), lost=r.skip_lost)
        if h.length > MAX_FRAME_HELD:
            f.note("note", f"payload of {h.length} bytes not decoded (longer than {MAX_FRAME_HELD} bytes)")
        if r.skip_lost:
            f.note("warning", f"{r.skip_lost} bytes of this frame were not captured")
        role = self.role(direction)
        if h.type == fr.DATA:
            self._flow(role, h.stream, h.length, f, frame, ts)
            s = self._stream_for(h.stream, role, fr.DATA, f)
            if s is not None:
                self._event(s, st.C_DATA if role == CLIENT else st.S_DATA, f)
                msg = s.request if role == CLIENT else s.response
                if msg is not None:
                    msg.body.wire += h.length
                    msg.body.lost += r.skip_lost
                if h.flags & fr.END_STREAM:
                    if msg is not None:
                        msg.body.finish()
                    self._end(s, role, f, frame, ts)
        return f

    def _magic(self, direction: int, offset: int) -> Frame:
        if self.client_direction is None:
            self.client_direction = direction
        return Frame(direction, offset, len(fr.PREFACE), None,
                     {"http2.stream": 1, "http2.magic": fr.PREFACE.decode("ascii")}, "Magic")

    # -- one frame -------------------------------------------------------------------------------------
    @staticmethod
    def _base_info(h: fr.FrameHeader) -> str:
        return f"{fr.type_name(h.type)}[{h.stream}]"

    def _frame(self, direction: int, offset: int, h: fr.FrameHeader, payload: bytes, frame: int,
               ts: int) -> Frame:
        self.frame_count += 1
        fields = fr.header_fields(h)
        f = Frame(direction, offset, fr.HEADER_LENGTH + h.length, h, fields, self._base_info(h))
        try:
            p = fr.decode_payload(h, payload, fields)
        except fr.FrameError as err:
            f.malformed = err.reason
            f.info += "[Malformed Packet]"            # tshark marks the frame's own Info part
            f.note("error", err.reason)
            if h.type in (fr.HEADERS, fr.PUSH_PROMISE, fr.CONTINUATION):
                self.hpack[direction].lose(f"a malformed {fr.type_name(h.type)} frame")
                self.blocks[direction] = None
            return f
        f.payload = p
        role = self.role(direction)
        self._check_size(role, h, f)
        t = h.type
        if t in (fr.HEADERS, fr.PUSH_PROMISE, fr.CONTINUATION):
            self._header_frame(direction, role, h, p, f, frame, ts, payload)
        else:
            if self.blocks[direction] is not None:
                f.note("error", f"{fr.type_name(t)} frame where a CONTINUATION of stream "
                                f"{self.blocks[direction].stream} was due (PROTOCOL_ERROR)")
                self.hpack[direction].lose("a header block was interrupted")
                self.blocks[direction] = None
            if t == fr.DATA:
                self._data(direction, role, h, p, f, frame, ts, len(payload))
            elif t == fr.RST_STREAM:
                self._rst(role, h, p, f, frame, ts)
            elif t == fr.SETTINGS:
                self._settings(direction, role, h, p, f, frame, ts)
            elif t == fr.WINDOW_UPDATE:
                self._window_update(role, h, p, f, frame, ts)
            elif t == fr.PING:
                self._ping(role, h, p, f, frame, ts)
            elif t == fr.GOAWAY:
                self._goaway(role, h, p, f, frame)
            elif t == fr.PRIORITY and h.stream == 0:
                f.note("error", "PRIORITY frame on stream 0 (PROTOCOL_ERROR)")
        return f

    def _check_size(self, role: int, h: fr.FrameHeader, f: Frame) -> None:
        limit = self.max_frame_size[role]
        if h.length > limit:
            f.note("warning", f"frame of {h.length} bytes is over the peer's SETTINGS_MAX_FRAME_SIZE {limit} "
                              "(FRAME_SIZE_ERROR)")
        zero = h.type in (fr.SETTINGS, fr.PING, fr.GOAWAY)
        if zero and h.stream:
            f.note("error", f"{fr.type_name(h.type)} frame on stream {h.stream}, not 0 (PROTOCOL_ERROR)")
        if h.type in (fr.DATA, fr.HEADERS, fr.PRIORITY, fr.RST_STREAM, fr.PUSH_PROMISE, fr.CONTINUATION) \
                and h.stream == 0:
            f.note("error", f"{fr.type_name(h.type)} frame on stream 0 (PROTOCOL_ERROR)")

    # -- streams -------------------------------------------------------------------------------------
    def _stream_for(self, sid: int, role: int, ftype: int, f: Frame, create: bool = False) -> _Stream | None:
        if sid == 0:
            return None
        s = self.streams.get(sid)
        if s is not None:
            return s
        if sid in self.closed:
            if not self.closed[sid]:
                f.note("warning", f"{fr.type_name(ftype)} on stream {sid}, which is closed (STREAM_CLOSED)")
            return None
        if not create:
            if ftype not in (fr.PRIORITY, fr.WINDOW_UPDATE, fr.RST_STREAM):
                f.note("warning", f"{fr.type_name(ftype)} on stream {sid}, which was not opened by a "
                                  "HEADERS frame seen in this capture")
            return None
        if len(self.streams) >= MAX_STREAMS:
            f.note("warning", f"more than {MAX_STREAMS} streams open at once: stream {sid} not followed")
            return None
        s = _Stream(sid, self.count)
        self.count += 1
        self.streams[sid] = s
        return s

    def _event(self, s: _Stream, event: str, f: Frame) -> None:
        new, error = st.transition(s.state, event)
        if error is not None:
            f.note("warning", f"stream {s.id}: {error}")
        s.state = new
        if new == st.CLOSED:
            self._close_stream(s)

    def _close_stream(self, s: _Stream) -> None:
        self._finish(s, None)
        self.streams.pop(s.id, None)
        self.closed[s.id] = s.reset is not None
        if len(self.closed) > MAX_CLOSED_REMEMBERED:
            self.closed.popitem(last=False)
        for windows in self.stream_windows:
            windows.pop(s.id, None)
        for role in (CLIENT, SERVER):
            self._stalled.pop((role, s.id), None)

    # -- header blocks ---------------------------------------------------------------------------------
    def _header_frame(self, direction: int, role: int, h: fr.FrameHeader, p: fr.Payload, f: Frame, frame: int,
                      ts: int, payload: bytes) -> None:
        if h.type == fr.HEADERS and h.flags & fr.END_STREAM:
            s = self.streams.get(h.stream)        # trailers end a body: tshark shows it reassembled here
            msg = None if s is None else (s.request if role == CLIENT else s.response)
            if msg is not None and not msg.ended and msg.body.frames:
                msg.body.finish()
                self._body_fields(s, role, msg, f, None)
        block = self.blocks[direction]
        if h.type == fr.CONTINUATION:
            if block is None:
                f.note("error", "CONTINUATION frame without a HEADERS or PUSH_PROMISE before it (PROTOCOL_ERROR)")
            elif block.stream != h.stream:
                f.note("error", f"CONTINUATION on stream {h.stream} where stream {block.stream}'s was due "
                                "(PROTOCOL_ERROR)")
                block = None
        else:
            if block is not None:
                f.note("error", f"{fr.type_name(h.type)} where a CONTINUATION of stream {block.stream} was due "
                                "(PROTOCOL_ERROR)")
                self.hpack[direction].lose("a header block was interrupted")
            block = _Block(role, h.type, h.stream, p.promised, bool(h.type == fr.HEADERS and h.flags & fr.END_STREAM),
                           frame, ts, f.offset)
        if block is not None:
            block.last_frame, block.last_ts = frame, ts
            block.wire += fr.HEADER_LENGTH + h.length
        end = bool(h.flags & fr.END_HEADERS)
        self.blocks[direction] = None if end else block
        decoded, error = self.hpack[direction].feed(p.block, end)
        if error is not None:
            f.note("error", f"header block not decoded: {error}")
            if block is not None:
                block.truncated = True
                block.problem = block.problem or "header block not decoded (HPACK)"
        f.decoded = decoded
        if self.fields:
            self._header_fields(direction, role, h, f, decoded, block)
        if block is not None:
            for item in decoded:
                if type(item) is Field:
                    block.size += len(item.name) + len(item.value) + 32
                    if block.size > MAX_HEADER_BLOCK:
                        if not block.truncated:
                            f.note("warning", f"header block over {MAX_HEADER_BLOCK} bytes: the rest is not kept")
                        block.truncated = True
                        block.problem = block.problem or f"header block over {MAX_HEADER_BLOCK} bytes (not kept)"
                        continue
                    block.headers.append((item.name.decode("latin-1"), item.value.decode("latin-1")))
            if end:
                self._block_done(block, f, frame, ts)

    def _header_fields(self, direction: int, role: int, h: fr.FrameHeader, f: Frame,
                       decoded: list[Field | SizeUpdate], block: _Block | None) -> None:
        """tshark's decoded-header fields for one frame, and the Info suffix."""
        if not decoded:
            if h.type in (fr.HEADERS, fr.PUSH_PROMISE) and block is not None:
                self._full_uri(f, block, {})
            return
        total = 0
        shown = 0
        values: dict[str, str] = {}
        method = path = None
        status_text = None
        # one list per field, in order (assigned at the end: a field seen once is a plain value)
        names, name_lengths, texts, value_lengths, reprs, indexes, unescaped_texts = [], [], [], [], [], [], []
        named: dict[str, list] = {}
        sizes: list[int] = []
        for item in decoded:
            if shown >= FIELD_LINES_SHOWN:
                f.note("note", f"decompression stopped after {FIELD_LINES_SHOWN} header lines")
                break
            if type(item) is SizeUpdate:
                sizes.append(item.size)
                shown += 1
                continue
            raw_name, raw_value = item.name, item.value
            name = _ascii(raw_name)
            value = _ascii(raw_value)
            size = 8 + len(raw_name) + len(raw_value)
            if total + size >= FIELD_BYTES_SHOWN:
                f.note("note", f"decompression stopped after {total} bytes ({total + size} attempted)")
                break
            total += size
            shown += 1
            names.append(name)
            name_lengths.append(len(raw_name))
            texts.append(value)
            value_lengths.append(len(raw_value))
            known = NAMED_HEADERS.get(name)
            if known is not None:
                key, numeric = known
                if numeric:
                    number = _unsigned(value, 32 if key == "http2.headers.status" else 64)
                    if number is not None:
                        named.setdefault(key, []).append(number)
                else:
                    named.setdefault(key, []).append(value)
            unescaped = uri_unescape(value) if "%" in value else value
            if unescaped is not None:
                unescaped_texts.append(unescaped)
            reprs.append(REPR_NAMES[item.kind])
            if item.index is not None:
                indexes.append(item.index)
            if name not in values:
                values[name] = value
            if name == ":method":
                method = value
            elif name == ":path":
                path = value
            elif name == ":status":
                number = _unsigned(value, 32)
                status_text = f"{value} {STATUS_TEXT.get(number, 'Unknown') if number is not None else 'Unknown'}"
        fields = f.fields
        if names:
            _put(fields, "http2.header", [1] * len(names))
            _put(fields, "http2.header.name.length", name_lengths)
            _put(fields, "http2.header.name", names)
            _put(fields, "http2.header.value.length", value_lengths)
            _put(fields, "http2.header.value", texts)
            _put(fields, "http2.header.unescaped", unescaped_texts)
            _put(fields, "http2.header.repr", reprs)
            _put(fields, "http2.header.index", indexes)
            for key, found in named.items():
                _put(fields, key, found)
        if sizes:
            _put(fields, "http2.header_table_size_update", [1] * len(sizes))
            _put(fields, "http2.header_table_size_update.header_table_size", sizes)
        if shown:
            fields["http2.header.length"] = total
            fields["http2.header.count"] = shown
        if method is not None and path is not None:
            f.info += f": {method} {path}"
        if status_text is not None:
            f.info += f": {status_text}"
        if h.type in (fr.HEADERS, fr.PUSH_PROMISE) and block is not None:
            self._full_uri(f, block, values)

    def _full_uri(self, f: Frame, block: _Block, values: dict[str, str]) -> None:
        """tshark's http2.request.full_uri on a HEADERS or PUSH_PROMISE frame once the block named an
        :authority: scheme://authority + path from the block's fields so far ("(null)" for a part not seen
        yet, as tshark prints it)."""
        known = {name: value for name, value in block.headers}
        known.update(values)
        authority = known.get(":authority")
        if authority is None:
            return
        f.fields["http2.request.full_uri"] = (f"{known.get(':scheme', '(null)')}://{authority}"
                                              f"{known.get(':path', '(null)')}")

    def _block_done(self, block: _Block, f: Frame, frame: int, ts: int) -> None:
        headers = H2Headers(block.headers)
        role = block.role
        if block.kind == fr.PUSH_PROMISE:
            if role != SERVER:
                f.note("error", "PUSH_PROMISE sent by the client (PROTOCOL_ERROR)")
            s = self._stream_for(block.promised, role, fr.PUSH_PROMISE, f, create=True)
            if s is None:
                return
            s.promised_in = frame
            self._event(s, st.S_PUSH, f)
            s.request = _Message(block, _Body(self.body_limit, self.budget))
            s.request.ended = True
            s.request.end_frame, s.request.end_ts = frame, ts
            s.data_started[CLIENT] = True
            return
        s = self.streams.get(block.stream)
        if s is None:
            if role == CLIENT:
                if block.stream % 2 == 0:
                    f.note("warning", f"the client opened even-numbered stream {block.stream} (PROTOCOL_ERROR)")
                elif block.stream <= self.last_stream[CLIENT] and block.stream not in self.closed:
                    f.note("warning", f"stream {block.stream} opened after stream {self.last_stream[CLIENT]} "
                                      "(stream ids must increase: PROTOCOL_ERROR)")
                self.last_stream[CLIENT] = max(self.last_stream[CLIENT], block.stream)
            s = self._stream_for(block.stream, role, fr.HEADERS, f, create=role == CLIENT)
            if s is None:
                if role == SERVER and block.stream not in self.closed:
                    s = self._stream_for(block.stream, role, fr.HEADERS, f, create=True)
                    if s is not None:      # the request was not captured: a response without its request
                        s.state = st.HALF_CLOSED_CLIENT
                if s is None:
                    return
        if role == CLIENT:
            self._event(s, st.C_HEADERS, f)
            if s.request is None:
                s.request = self._message(s, role, block, headers, f)
            elif not s.request.ended:
                s.request.trailers = list(headers)
            if block.end_stream:
                self._end(s, role, f, frame, ts)
        else:
            self._event(s, st.S_HEADERS, f)
            status = _unsigned(headers.get(":status") or "", 32)
            if s.response is None and status is not None and 100 <= status < 200 and status != 101:
                s.interim.append(self._response(block, headers, status))
            elif s.response is None:
                s.response = self._message(s, role, block, headers, f)
            elif not s.response.ended:
                s.response.trailers = list(headers)
            if block.end_stream:
                self._end(s, role, f, frame, ts)

    def _message(self, s: _Stream, role: int, block: _Block, headers: H2Headers, f: Frame) -> _Message:
        body = _Body(self.body_limit, self.budget)
        codings = content_codings(headers)
        status = headers.get(":status")
        if codings and status != "206":
            body.decoder = ContentDecoder(codings, self.max_decoded)
        msg = _Message(block, body)
        ctype = headers.get("content-type")
        if ctype is not None:
            msg.media = re.split(r"[;\s]", ctype, maxsplit=1)[0].lower()
            if s.media[role] is None:
                s.media[role] = msg.media
        if headers.get(":method") is not None or status is not None:
            s.data_started[role] = True
        if block.truncated:
            pass                          # the block was not all decoded: its fields cannot be judged
        elif role == CLIENT:
            for name in (":method", ":path", ":scheme"):
                if headers.get(name) is None and headers.get(":method") != "CONNECT":
                    f.note("warning", f"request on stream {s.id} without {name} (malformed request)")
        elif status is None:
            f.note("warning", f"response on stream {s.id} without :status (malformed response)")
        return msg

    @staticmethod
    def _response(block: _Block, headers: H2Headers, status: int) -> Response:
        return Response(status, STATUS_TEXT.get(status, ""), VERSION, headers, block.first_frame, block.first_ts,
                        block.last_frame, block.last_ts, block.offset, block.wire, not block.truncated)

    # -- DATA ----------------------------------------------------------------------------------------
    def _data(self, direction: int, role: int, h: fr.FrameHeader, p: fr.Payload, f: Frame, frame: int, ts: int,
              wire: int) -> None:
        self._flow(role, h.stream, wire, f, frame, ts)
        s = self._stream_for(h.stream, role, fr.DATA, f)
        if s is None:
            return
        self._event(s, st.C_DATA if role == CLIENT else st.S_DATA, f)
        msg = s.request if role == CLIENT else s.response
        if msg is None:
            f.note("warning", f"DATA on stream {s.id} before the {'request' if role == CLIENT else 'response'} "
                              "headers (PROTOCOL_ERROR)")
        else:
            body = msg.body
            body.add(p.data)
            body.wire += wire
            if s.data_started[role] and (p.data or not h.flags & fr.END_STREAM):
                body.frames.append(frame)           # tshark's body fragments (an empty END_STREAM adds none)
                body.fragment_bytes += len(p.data)
        if h.flags & fr.END_STREAM:
            if msg is not None:
                msg.body.finish()
                self._body_fields(s, role, msg, f, p if p.data else None)
            self._end(s, role, f, frame, ts)

    def _data_piece(self, direction: int, h: fr.FrameHeader, piece: bytes) -> None:
        """Data bytes of a DATA frame that is passed through (not held whole)."""
        role = self.role(direction)
        s = self.streams.get(h.stream)
        msg = None if s is None else (s.request if role == CLIENT else s.response)
        if msg is not None:
            msg.body.add(piece)

    def _body_fields(self, s: _Stream, role: int, msg: _Message, f: Frame, own: fr.Payload | None) -> None:
        """tshark's reassembled-body fields (and Info suffix) on the frame that ends a body: a DATA frame
        with END_STREAM (``own`` its payload when it carried data) or trailers.

        tshark reassembles a body only when it saw the message's header block. A body that is one DATA
        frame ending the stream is shown as that frame's data (padding included: tshark 4.0.17 takes the
        rest of the payload); any other gets the fragment list, the reassembled bytes, and the body again
        as ``http2.data.data``, decoded when its content-coding could be undone.
        """
        body = msg.body
        if not self.fields or not s.data_started[role] or not body.frames:
            return
        data = body.decoded_bytes()
        fields = f.fields
        if own is not None and len(body.frames) == 1:
            fields["http2.data.data"] = data if body.decoder is not None else own.data + own.padding
        else:
            fields["http2.body.fragments"] = 1
            fields["http2.body.fragment"] = list(body.frames) if len(body.frames) > 1 else body.frames[0]
            fields["http2.body.fragment.count"] = len(body.frames)
            fields["http2.body.reassembled.length"] = body.fragment_bytes
            fields["http2.body.reassembled.data"] = bytes(body.raw)
            if data:
                fields["http2.data.data"] = data    # instead of the frame's own piece, as tshark shows it
        if f.header is not None and f.header.type != fr.DATA:
            return                          # trailers: tshark adds no media text there
        suffix, protocol = media_info(s.media[role], data)
        f.info += suffix
        if protocol is not None:
            f.protocol = protocol

    def _end(self, s: _Stream, role: int, f: Frame, frame: int, ts: int) -> None:
        msg = s.request if role == CLIENT else s.response
        if msg is not None and not msg.ended:
            msg.ended = True
            msg.end_frame, msg.end_ts = frame, ts
        self._event(s, st.C_END if role == CLIENT else st.S_END, f)

    # -- control frames --------------------------------------------------------------------------------
    def _rst(self, role: int, h: fr.FrameHeader, p: fr.Payload, f: Frame, frame: int, ts: int) -> None:
        f.note("note", f"stream {h.stream} reset by the {_ROLE_NAMES[role]}: {fr.error_name(p.error)}")
        s = self._stream_for(h.stream, role, fr.RST_STREAM, f)
        if s is None:
            return
        s.reset = (role, p.error, frame, ts)
        self._event(s, st.RST, f)

    def _settings(self, direction: int, role: int, h: fr.FrameHeader, p: fr.Payload, f: Frame, frame: int,
                  ts: int) -> None:
        if h.flags & fr.ACK:
            if h.length:
                f.note("error", "SETTINGS with ACK and a payload (FRAME_SIZE_ERROR)")
            return
        other = 1 - role
        other_direction = 1 - direction
        for ident, value in p.settings:
            self.settings[role].append((frame, ident, value))
            if ident == fr.HEADER_TABLE_SIZE:
                self.hpack[other_direction].allow_table_size(value)
            elif ident == fr.INITIAL_WINDOW_SIZE:
                if value > MAX_WINDOW:
                    f.note("error", f"SETTINGS_INITIAL_WINDOW_SIZE {value} over 2^31-1 (FLOW_CONTROL_ERROR)")
                    continue
                delta = value - self.initial_window[other]
                self.initial_window[other] = value
                windows = self.stream_windows[other]
                for sid in windows:
                    windows[sid] += delta
                if delta > 0:
                    for key in [k for k in self._stalled if k[0] == other and k[1] != 0]:
                        self._reopen(key, frame, ts)
            elif ident == fr.MAX_FRAME_SIZE:
                if not 16384 <= value <= 16777215:
                    f.note("error", f"SETTINGS_MAX_FRAME_SIZE {value} outside 16384..16777215 (PROTOCOL_ERROR)")
                else:
                    self.max_frame_size[other] = value
            elif ident == fr.ENABLE_PUSH and value > 1:
                f.note("error", f"SETTINGS_ENABLE_PUSH {value} (only 0 or 1: PROTOCOL_ERROR)")

    def _window_update(self, role: int, h: fr.FrameHeader, p: fr.Payload, f: Frame, frame: int, ts: int) -> None:
        if p.increment == 0:
            f.note("error", "WINDOW_UPDATE with an increment of 0 (PROTOCOL_ERROR)")
            return
        sender = 1 - role          # the receiver gives credit to the other side
        if h.stream == 0:
            self.conn_window[sender] += p.increment
            if self.conn_window[sender] > MAX_WINDOW:
                f.note("error", "connection flow-control window over 2^31-1 (FLOW_CONTROL_ERROR)")
        else:
            windows = self.stream_windows[sender]
            if h.stream in windows or h.stream in self.streams:
                windows[h.stream] = windows.get(h.stream, self.initial_window[sender]) + p.increment
                if windows[h.stream] > MAX_WINDOW:
                    f.note("error", f"stream {h.stream} flow-control window over 2^31-1 (FLOW_CONTROL_ERROR)")
        key = (sender, h.stream)
        if key in self._stalled:
            self._reopen(key, frame, ts)

    def _flow(self, role: int, sid: int, wire: int, f: Frame, frame: int, ts: int) -> None:
        """DATA of ``wire`` payload bytes sent by ``role`` on ``sid`` uses both windows."""
        if not wire:
            return
        self.conn_window[role] -= wire
        windows = self.stream_windows[role]
        window = windows.get(sid, self.initial_window[role]) - wire
        if sid in self.streams:
            windows[sid] = window
        who = _ROLE_NAMES[role]
        if self.conn_window[role] < 0:
            f.note("warning", f"the {who} sent DATA beyond the connection flow-control window "
                              f"(by {-self.conn_window[role]} bytes: FLOW_CONTROL_ERROR)")
        elif self.conn_window[role] == 0:
            self._stall(role, 0, frame, ts)
        if window < 0:
            f.note("warning", f"the {who} sent DATA beyond stream {sid}'s flow-control window "
                              f"(by {-window} bytes: FLOW_CONTROL_ERROR)")
        elif window == 0 and sid in self.streams:
            self._stall(role, sid, frame, ts)

    def _stall(self, role: int, sid: int, frame: int, ts: int) -> None:
        key = (role, sid)
        if key in self._stalled or len(self.stalls) >= MAX_STALLS:
            return
        self._stalled[key] = len(self.stalls)
        self.stalls.append(Stall(_ROLE_NAMES[role], sid, frame, ts))

    def _reopen(self, key: tuple[int, int], frame: int, ts: int) -> None:
        i = self._stalled.pop(key)
        s = self.stalls[i]
        self.stalls[i] = Stall(s.sender, s.stream, s.frame, s.ts_ns, frame, ts)

    def _ping(self, role: int, h: fr.FrameHeader, p: fr.Payload, f: Frame, frame: int, ts: int) -> None:
        if h.flags & fr.ACK:
            for i, (prole, pframe, pts, opaque) in enumerate(self.pings):
                if prole != role and opaque == p.opaque:
                    self.ping_rtts.append((pframe, ts - pts))
                    f.note("note", f"PING answered: round trip {(ts - pts) / 1e6:.3f} ms (PING in frame {pframe})")
                    del self.pings[i]
                    break
        elif len(self.pings) < 64:
            self.pings.append((role, frame, ts, p.opaque))

    def _goaway(self, role: int, h: fr.FrameHeader, p: fr.Payload, f: Frame, frame: int) -> None:
        self.goaway.append((role, frame, p.last_stream, p.error, p.debug[:256]))
        who = _ROLE_NAMES[role]
        text = f"the {who} is closing the connection: GOAWAY {fr.error_name(p.error)}, last stream {p.last_stream}"
        if p.debug:
            text += f", debug data {p.debug[:64]!r}"
        f.note("note" if p.error == 0 else "warning", text)

    # -- transactions ----------------------------------------------------------------------------------
    def snapshot(self) -> list[StreamRecord]:
        """The open streams' transactions as they stand now (for a live view; nothing is consumed)."""
        out = []
        for s in sorted(self.streams.values(), key=lambda s: s.index):
            record = self._record(s, CAPTURE_ENDED)
            if record is not None:
                out.append(record)
        return out

    def _finish(self, s: _Stream, reason: str | None) -> None:
        """Hand out the stream's transaction (``reason``: why it is incomplete, when the stream did not close)."""
        record = self._record(s, reason)
        if record is None:
            return
        self.finished.append(record)
        for msg in (s.request, s.response):
            if msg is not None:        # the bodies now belong to the transaction: free the budget
                self.budget[0] += len(msg.body.raw) + len(msg.body.decoded)
                msg.body.raw = bytearray()
                msg.body.decoded = bytearray()

    def _record(self, s: _Stream, reason: str | None) -> StreamRecord | None:
        req_msg, resp_msg = s.request, s.response
        if req_msg is None and resp_msg is None and not s.interim:
            return None
        request = response = None
        request_end = response_end = None
        request_body = response_body = EMPTY_BODY
        why = None
        if s.reset is not None:
            role, code, _frame, _ts = s.reset
            why = f"stream reset by the {_ROLE_NAMES[role]} ({fr.error_name(code)})"
        refused = self._refused(s)
        if req_msg is not None:
            head = H2Headers(req_msg.head)
            request = Request(head.get(":method") or "", _target(head), req_msg.version, head, req_msg.first_frame,
                              req_msg.first_ts, req_msg.head_frame, req_msg.head_ts, req_msg.offset,
                              req_msg.head_length, req_msg.headers_complete)
            request_end = self._end_of(req_msg, CLIENT, why or refused or reason)
            request_body = req_msg.body.body()
        if resp_msg is not None:
            head = H2Headers(resp_msg.head)
            status = _unsigned(head.get(":status") or "", 32) or 0
            response = Response(status, STATUS_TEXT.get(status, ""), VERSION, head, resp_msg.first_frame,
                                resp_msg.first_ts, resp_msg.head_frame, resp_msg.head_ts, resp_msg.offset,
                                resp_msg.head_length, resp_msg.headers_complete)
            response_end = self._end_of(resp_msg, SERVER, why or reason)
            response_body = resp_msg.body.body()
        request_ok = request_end is not None and request_end.complete and request.headers_complete
        response_ok = response_end is not None and response_end.complete and response.headers_complete
        complete = request_ok and response_ok
        if complete:
            why = None
        elif why is None:
            if request is None:
                why = "no request"
            elif not request_ok:
                why = (request_end.reason if request_end is not None else None) or reason or CAPTURE_ENDED
            elif response is None:
                why = refused or self._eof_reason(SERVER) or reason or CAPTURE_ENDED
            else:
                why = (response_end.reason if response_end is not None else None) or reason or CAPTURE_ENDED
        tx = Transaction(s.index, request, response, tuple(s.interim), request_end, response_end, request_body,
                         response_body, complete, why)
        return StreamRecord(
            s.id, tx,
            req_msg.end_frame if req_msg is not None and req_msg.ended else None,
            req_msg.end_ts if req_msg is not None and req_msg.ended else None,
            resp_msg.end_frame if resp_msg is not None and resp_msg.ended else None,
            resp_msg.end_ts if resp_msg is not None and resp_msg.ended else None,
            s.promised_in is not None)

    def _refused(self, s: _Stream) -> str | None:
        """A GOAWAY from the server whose last stream is below this client stream: it was never processed."""
        for role, frame, last, _error, _debug in self.goaway:
            if role == SERVER and s.id % 2 == 1 and s.id > last:
                return f"not processed: the server's GOAWAY in frame {frame} covers streams up to {last}"
        return None

    def _eof_reason(self, role: int) -> str | None:
        direction = (self.client_direction or 0) if role == CLIENT else 1 - (self.client_direction or 0)
        return CONNECTION_CLOSED if self.eof[direction] else None

    def _end_of(self, msg: _Message, role: int, reason: str | None) -> EndOfMessage:
        body = msg.body
        complete = msg.ended and not body.lost and msg.headers_complete
        last_frame = msg.end_frame if msg.ended else self._now[0]
        last_ts = msg.end_ts if msg.ended else self._now[1]
        decoder = body.decoder
        decoded_length = body.length if decoder is None else (decoder.length if decoder.supported else None)
        why = None
        if not complete:
            why = msg.reason or (GAP if body.lost else None) or reason or CAPTURE_ENDED
        return EndOfMessage(Headers(msg.trailers), last_frame, last_ts, last_frame, last_ts, body.wire,
                            body.length, decoded_length, body.lost, complete, why,
                            decoder.error if decoder is not None else None,
                            decoder.truncated if decoder is not None else False)


# -- helpers ----------------------------------------------------------------------------------------------
def _add(fields: dict[str, Any], key: str, value: Any) -> None:
    old = fields.get(key)
    if old is None:
        fields[key] = value
    elif type(old) is list:
        old.append(value)
    else:
        fields[key] = [old, value]


def _put(fields: dict[str, Any], key: str, values: list) -> None:
    """A field with these values, in order: a plain value when there is one, none when there are none."""
    if values:
        fields[key] = values[0] if len(values) == 1 else values


def _ascii(data: bytes) -> str:
    """A header name or value as tshark's ENC_ASCII string: bytes over 0x7F become U+FFFD."""
    if data.isascii():
        nul = data.find(b"\0")
        return (data if nul < 0 else data[:nul]).decode("ascii")
    return fr._ascii_text(data)


def _unsigned(text: str, bits: int) -> int | None:
    """``ws_strtou32``/``ws_strtou64``: the whole text is a decimal number that fits, else None."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value < (1 << bits) else None


_HEX = "0123456789abcdefABCDEF"


def uri_unescape(value: str) -> str | None:
    """GLib's ``g_uri_unescape_string(value, NULL)``, which tshark shows as ``http2.header.unescaped``:
    %XX escapes decoded; None for a malformed escape or an escaped NUL."""
    if "%" not in value:
        return value
    out = bytearray()
    i = 0
    raw = value.encode("utf-8", "surrogateescape")
    n = len(raw)
    while i < n:
        c = raw[i]
        if c == 0x25:
            if i + 2 >= n:
                return None
            hi, lo = chr(raw[i + 1]), chr(raw[i + 2])
            if hi not in _HEX or lo not in _HEX:
                return None
            byte = int(hi + lo, 16)
            if byte == 0:
                return None
            out.append(byte)
            i += 3
        else:
            out.append(c)
            i += 1
    return out.decode("utf-8", "replace")


def media_info(media: str | None, data: bytes) -> tuple[str, str | None]:
    """(Info suffix, protocol column or None) that tshark's media dissector gives a body of this type."""
    if not media or not data:
        return "", None
    if media in _TEXT_MEDIA:
        return f" ({media})", None
    if media in _JSON_MEDIA:
        return f", JavaScript Object Notation ({media})", "HTTP2/JSON"
    if media in _XML_MEDIA:
        return "", "HTTP2/XML"
    if media == "application/sdp":
        return "", "HTTP2/SDP"
    if media == "image/png" and data.startswith(_PNG_MAGIC):
        return " (PNG)", None
    return "", None


def _target(head: H2Headers) -> str:
    """The request target: ``:path``; a CONNECT request's is ``:authority`` (RFC 9113 8.5)."""
    path = head.get(":path")
    if path is not None:
        return path
    if (head.get(":method") or "").upper() == "CONNECT":
        return head.get(":authority") or ""
    return ""
