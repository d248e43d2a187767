"""The events a :class:`~analyzer.apps.http.parser.HttpStreamParser` produces: frozen dataclasses.

One direction of a connection yields events in this order (h11's grammar, made passive)::

    stream  = ( Malformed | message )*
    message = (Request | Response) Data* EndOfMessage

Every message that was opened is closed by exactly one :class:`EndOfMessage`, complete or not. A
:class:`Malformed` never falls inside a message: bytes that break a message's framing first close it
(``EndOfMessage(complete=False, reason="malformed")``), then the Malformed describes them.

Frames and times: the reassembler passes the frame number and ns timestamp of every chunk it feeds, and
each event records those of the chunks that held the bytes it describes: ``first_*`` the message's first
byte, ``head_*`` the byte that completed the header block (tshark's "frame that completes" for a bodiless
message), ``last_*`` the message's last byte, ``end_*`` where its end became known (the FIN frame for a
body read until close).
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.apps.http.headers import Headers

# Why a message or a transaction is incomplete (EndOfMessage.reason, Transaction.reason).
GAP = "gap"  # the reassembler lost bytes inside it
CAPTURE_ENDED = "capture ended"  # the capture stopped before it ended
CONNECTION_CLOSED = "connection closed"  # the sender closed the connection (FIN) before it ended
CONNECTION_RESET = "connection reset"  # the connection was reset (RST) before it ended
MALFORMED = "malformed"  # its framing broke (bad chunk size, invalid Content-Length...)
NOT_HTTP = "not HTTP"  # the stream that should carry it is not HTTP
NO_REQUEST = "no request"  # a response whose request was never seen
NO_RESPONSE = "no response"  # the server stream ended cleanly without answering
EARLY_DATA_REFUSED = "early data refused"  # sent as TLS 1.3 early data the server refused: never read, never answered


class _Sentinel:
    """A named singleton (h11 style): compare with ``is``."""

    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: Returned by ``next_event()`` when every byte received so far has been turned into events.
NEED_DATA = _Sentinel("NEED_DATA")


class Event:
    """Base class of every parser event."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Request(Event):
    """A request's start line and header block.

    ``headers_complete`` is False when a gap or the end of the stream cut the header block: ``headers``
    then holds the complete lines seen, ``head_frame``/``head_ts_ns`` are None, and the EndOfMessage
    that follows is incomplete.
    """

    method: str
    target: str
    version: str  # as on the wire: "HTTP/1.1"
    headers: Headers
    first_frame: int
    first_ts_ns: int
    head_frame: int | None
    head_ts_ns: int | None
    offset: int  # stream offset of the first byte (bytes lost in gaps are counted)
    head_length: int  # start line + header lines + the empty line, in bytes
    headers_complete: bool = True
    notes: tuple[str, ...] = ()  # leniencies applied: bare LF, obsolete folding, skipped lines...
    lines: tuple[str, ...] = ()  # the header lines as on the wire, each with its line ending (ISO-8859-1)


@dataclass(frozen=True, slots=True)
class Response(Event):
    """A response's status line and header block (fields as :class:`Request`)."""

    status: int
    reason: str
    version: str
    headers: Headers
    first_frame: int
    first_ts_ns: int
    head_frame: int | None
    head_ts_ns: int | None
    offset: int
    head_length: int
    headers_complete: bool = True
    notes: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Data(Event):
    """A piece of body from one chunk: ``data`` de-chunked but still content-encoded.

    ``decoded`` is ``data`` with its content-codings undone (the same object when there are none),
    ``b""`` once decoding stopped (cap reached, corrupt data), None when the coding is not supported.
    A final piece may have ``data == b""`` when the decompressor released output only at the end.
    """

    data: bytes
    decoded: bytes | None
    frame: int
    ts_ns: int


@dataclass(frozen=True, slots=True)
class EndOfMessage(Event):
    """The end of a message, complete or not, and its lengths.

    ``wire_length`` counts body bytes as received (chunk framing and trailers included),
    ``body_length`` the de-chunked body received, ``decoded_length`` what content decoding produced
    (None when the coding is not supported), ``lost_length`` body bytes lost in gaps (the framing was
    known, so the parser stayed in step).
    """

    trailers: Headers
    last_frame: int
    last_ts_ns: int
    end_frame: int
    end_ts_ns: int
    wire_length: int
    body_length: int
    decoded_length: int | None
    lost_length: int = 0
    complete: bool = True
    reason: str | None = None  # GAP, CAPTURE_ENDED, CONNECTION_CLOSED, CONNECTION_RESET, MALFORMED
    decode_error: str | None = None  # e.g. "unsupported content-coding 'br'", "invalid gzip data: ..."
    decoded_truncated: bool = False  # decoding stopped at the size cap (decompression bomb guard)
    chunk_sizes: tuple[int, ...] = ()  # a chunked body's chunk sizes, the last chunk's 0 included (http.chunk_size)
    body_head: bytes = b""  # the body's first bytes as received (parser.HEAD_LENGTH at most; before content decoding)


@dataclass(frozen=True, slots=True)
class Malformed(Event):
    """Bytes that are not HTTP where a message should start, or that broke a message's framing.

    ``sample`` holds at most the first 64 offending bytes. At the very start of a stream this means the
    stream is not HTTP: the parser ignores it from then on (until a gap, after which it may resync).
    """

    reason: str
    offset: int
    frame: int
    ts_ns: int
    sample: bytes
