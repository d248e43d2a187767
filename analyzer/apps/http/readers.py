"""Reading messages out of the receive buffer: start lines, header blocks, and bodies by framing.

Start lines are recognised by shape (RFC 9112 3 and 4)::

    request-line = method SP request-target SP HTTP-version
    status-line  = HTTP-version SP status-code [ SP reason-phrase ]

leniently: several spaces where one is meant, trailing blanks, bare LF line ends, an absent reason. The
``*_PREFIX`` patterns accept every prefix of a valid line, so a stream can be rejected as not HTTP from
its first bytes without waiting for a line end that binary data may never send.

A body reader's ``read(buf)`` returns body bytes, :data:`END` once the body is over, or None when it
needs more bytes; it raises :class:`FramingError` (caught by the parser, never escaping it) when the
bytes break the framing. ``skip_gap(n)`` says whether the reader can step over ``n`` lost bytes and stay
in step with the stream, which is possible wherever the framing counts bytes.
"""

from __future__ import annotations

import re

from analyzer.apps.http.buffer import ReceiveBuffer
from analyzer.apps.http.headers import Headers

_TCHAR = rb"[-!#$%&'*+.^_`|~0-9A-Za-z]"
_TARGET = rb"[^\x00-\x20\x7f]+"
_REQUEST = _TCHAR + rb"{1,32} +" + _TARGET + rb" +HTTP/\d\.\d[ \t]*"
_STATUS = rb"HTTP/\d\.\d +\d{3}(?:[ \t][^\r\n]*)?"

REQUEST_LINE = re.compile(rb"(" + _TCHAR + rb"{1,32}) +(" + _TARGET + rb") +HTTP/(\d)\.(\d)[ \t]*")
STATUS_LINE = re.compile(rb"HTTP/(\d)\.(\d) +(\d{3})(?:[ \t]+([^\r\n]*)|[ \t]*)")

# Every prefix of a valid line (a trailing CR included) matches these in full.
REQUEST_PREFIX = re.compile(
    _TCHAR + rb"{1,32}(?: +(?:" + _TARGET + rb"(?: +(?:H(?:T(?:T(?:P(?:/(?:\d(?:\.(?:\d[ \t]*\r?)?)?)?)?)?)?)?)?)?)?)?"
)
STATUS_PREFIX = re.compile(
    rb"H(?:T(?:T(?:P(?:/(?:\d(?:\.(?:\d(?: +(?:\d(?:\d(?:\d(?:[ \t][^\r\n]*)?\r?)?)?)?)?)?)?)?)?)?)?)?"
)

# A line break followed by a whole start line: where a resync may resume.
REQUEST_AFTER_NEWLINE = re.compile(rb"\n(?=" + _REQUEST + rb"\r?\n)")
STATUS_AFTER_NEWLINE = re.compile(rb"\n(?=" + _STATUS + rb"\r?\n)")

HEAD_END = re.compile(rb"\n\r?\n")  # the empty line that ends a header block, CRLF or bare LF
_FIELD_NAME = re.compile(_TCHAR + rb"+")
_CHUNK_SIZE = re.compile(rb"[ \t]*([0-9A-Fa-f]{1,16})[ \t]*(?:;.*)?")

PREFIX_CHECK_LENGTH = 64  # bytes of an unfinished first line checked against the *_PREFIX patterns
MAX_CHUNK_LINE = 4096  # a chunk-size line (extensions included) longer than this is malformed


class FramingError(Exception):
    """The bytes break the message framing (internal: the parser turns it into a Malformed event)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _End:
    __slots__ = ()

    def __repr__(self) -> str:
        return "END"


END = _End()  # a body reader's "the body is over"


def plausible_start(client: bool, prefix: bytes) -> bool:
    """Could a request line (``client``) or status line begin with ``prefix`` (no line end yet)?"""
    prefix = prefix[:PREFIX_CHECK_LENGTH]
    if not prefix:
        return True
    pattern = REQUEST_PREFIX if client else STATUS_PREFIX
    if pattern.fullmatch(prefix) is not None:
        return True
    # a line tshark reads as a request although it is malformed: a known method, then anything printable
    if client:
        word = _METHOD_PREFIX.match(prefix)
        if word is not None and (word.end() == len(prefix) or prefix[word.end()] in b" \r"):
            method = word.group().decode("ascii")
            if word.end() == len(prefix):
                return any(known.startswith(method) for known in KNOWN_METHODS)
            return method in KNOWN_METHODS and _PRINTABLE_REST.fullmatch(prefix, word.end()) is not None
    return False


# The methods tshark's HTTP dissector knows (packet-http.c, is_http_request_or_reply), case-sensitive: a line
# that starts with one of them and a space (or is the bare method) is a request line for tshark even when the
# rest is malformed ("OPTIONS HTTP/1.1", "GET / HTTP/1.", "GET /"), and so it is here, with a note.
KNOWN_METHODS = frozenset((
    "GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY", "BMOVE", "MKCOL", "TRACE", "LABEL",
    "MERGE", "DELETE", "SEARCH", "UNLOCK", "REPORT", "UPDATE", "NOTIFY", "BDELETE", "CONNECT", "OPTIONS",
    "CHECKIN", "PROPFIND", "CHECKOUT", "CCM_POST", "SUBSCRIBE", "PROPPATCH", "BPROPFIND", "BPROPPATCH",
    "UNCHECKOUT", "MKACTIVITY", "MKWORKSPACE", "UNSUBSCRIBE", "RPC_CONNECT", "VERSION-CONTROL",
    "BASELINE-CONTROL", "M-SEARCH", "PATCH", "MKCALENDAR", "ACL", "ORDERPATCH", "RPC_IN_DATA", "RPC_OUT_DATA",
))
_LENIENT_REQUEST = re.compile(rb"([-A-Z_]{3,16})(?: +(" + _TARGET + rb"))?(?: +([^ \t]+))?[ \t]*")
_METHOD_PREFIX = re.compile(rb"[-A-Z_]{1,16}")
_PRINTABLE_REST = re.compile(rb"[\x20-\x7e]*\r?")


def parse_request_line(line: bytes) -> tuple[tuple[str, str, str] | None, str | None]:
    """``((method, target, version), None)`` for a valid request line; ``((method, target, version), note)``
    for one tshark still reads as a request (a known method, then a target and a version that may be
    missing or malformed: empty strings when missing); ``(None, reason)`` otherwise. ``line`` has no line
    end."""
    m = REQUEST_LINE.fullmatch(line)
    if m is not None:
        method, target, major, minor = m.groups()
        if major == b"1":
            name = method.decode("ascii")
            note = None
            if name not in KNOWN_METHODS and name.upper() in KNOWN_METHODS:
                note = f"method {name!r} is not {name.upper()!r}: methods are case-sensitive (RFC 9110 9.1)"
            return (name, target.decode("latin-1"), f"HTTP/1.{minor.decode()}"), note
    lenient = _LENIENT_REQUEST.fullmatch(line)
    if lenient is not None and lenient.group(1).decode("ascii") in KNOWN_METHODS:
        method, target, version = (g.decode("latin-1") if g else "" for g in lenient.groups())
        if not target:
            note = "malformed request line: no request target and no HTTP version"
        elif not version:
            note = ("malformed request line: no request target" if target.startswith("HTTP/") else
                    "malformed request line: no HTTP version (an HTTP/0.9 request)")
        else:
            note = f"malformed request line: invalid HTTP version {version!r}"
        return (method, target, version), note
    if m is not None:
        major, minor = m.group(3), m.group(4)
        return None, f"unsupported version HTTP/{major.decode()}.{minor.decode()}"
    if STATUS_LINE.fullmatch(line):
        return None, "expected a request line, got a status line"
    return None, f"not a request line: {bytes(line[:40])!r}"


def parse_status_line(line: bytes) -> tuple[tuple[int, str, str] | None, str | None]:
    """``((status, reason, version), None)`` or ``(None, reason)``; ``line`` has no line end."""
    m = STATUS_LINE.fullmatch(line)
    if m is None:
        if REQUEST_LINE.fullmatch(line):
            return None, "expected a status line, got a request line"
        return None, f"not a status line: {bytes(line[:40])!r}"
    major, minor, status, reason = m.groups()
    if major != b"1":
        return None, f"unsupported version HTTP/{major.decode()}.{minor.decode()}"
    return (int(status), (reason or b"").decode("latin-1"), f"HTTP/1.{minor.decode()}"), None


def split_lines(block: bytes) -> tuple[list[bytes], bool]:
    """A header block's lines without their CRLF or LF, trailing empty lines dropped; and whether any
    line ended in a bare LF."""
    bare_lf = block.count(b"\n") != block.count(b"\r\n")
    lines = [line[:-1] if line.endswith(b"\r") else line for line in block.split(b"\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines, bare_lf


def raw_lines(block: bytes) -> tuple[str, ...]:
    """The header lines of a head (start line and the empty line that ends the head left out), each with
    its own line ending, as ISO-8859-1 text: what tshark shows as ``http.request.line``."""
    out = []
    start = block.find(b"\n") + 1
    if start == 0:
        return ()
    n = len(block)
    while start < n:
        nl = block.find(b"\n", start)
        end = n if nl < 0 else nl + 1
        line = block[start:end]
        if line in (b"\r\n", b"\n"):
            break
        out.append(line.decode("latin-1"))
        start = end
    return tuple(out)


def parse_fields(lines: list[bytes], notes: dict[str, None]) -> Headers:
    """Header (or trailer) lines to Headers, leniently; each leniency applied is added to ``notes``."""
    fields: list[tuple[str, str]] = []
    for line in lines:
        if not line:
            continue
        if line[0] in b" \t":
            # RFC 9112 5.2: a recipient of obs-fold may replace it with one SP before interpreting.
            if fields:
                name, value = fields[-1]
                more = line.strip(b" \t").decode("latin-1")
                fields[-1] = (name, f"{value} {more}" if value else more)
                notes["obsolete line folding"] = None
            else:
                notes["whitespace-led line before the first header ignored"] = None
            continue
        name, colon, value = line.partition(b":")
        if not colon:
            notes["header line without a colon ignored"] = None
            continue
        stripped = name.rstrip(b" \t")
        if len(stripped) != len(name):
            notes["whitespace between header name and colon"] = None
            name = stripped
        if _FIELD_NAME.fullmatch(name) is None:
            notes["header line with an invalid name ignored"] = None
            continue
        fields.append((name.decode("ascii"), value.strip(b" \t").decode("latin-1")))
    return Headers(fields)


# The header fields a message's framing and its Info text read (lean heads: see framing_fields), each with the
# line break before it, lowercase.
FRAMING_FIELDS = (b"\ncontent-length", b"\ntransfer-encoding", b"\ncontent-encoding", b"\ncontent-type",
                  b"\nupgrade")
# one of them at a line start, blanks, a colon, and the rest of the line (re.I on bytes folds ASCII only)
_FRAMING_LINE = re.compile(rb"\n(" + b"|".join(key[1:] for key in FRAMING_FIELDS) + rb")[ \t]*:([^\n]*)",
                           re.IGNORECASE)


def framing_fields(block: bytes) -> Headers | None:
    """The fields of FRAMING_FIELDS in a header block (start line to the empty line, or the whole lines of a
    cut one), as :func:`parse_fields` gives them (names lowercase), found by one search for their lines
    instead of splitting every line; None when a line begins with a blank (obsolete line folding, which can
    continue any field: then only :func:`parse_fields` can tell). A match is that field's line when only
    blanks stand between the name and a colon (a longer name, or a line without a colon, is another field
    or none, as :func:`parse_fields` reads it); the value runs to the line end (one CR dropped) without its
    surrounding blanks."""
    if b"\n " in block or b"\n\t" in block:
        return None
    fields = []
    for m in _FRAMING_LINE.finditer(block):
        name, value = m.groups()
        if value.endswith(b"\r"):
            value = value[:-1]
        fields.append((name.decode("ascii").lower(), value.strip(b" \t").decode("latin-1")))
    return Headers(fields)


class ContentLengthReader:
    """A body of exactly ``length`` bytes."""

    __slots__ = ("remaining",)
    trailers = Headers()
    completes_at_eof = False

    def __init__(self, length: int):
        self.remaining = length

    def read(self, buf: ReceiveBuffer) -> bytes | _End | None:
        if not self.remaining:
            return END
        if not len(buf):
            return None
        data = buf.take(self.remaining)
        self.remaining -= len(data)
        return data

    def skip_gap(self, nbytes: int) -> bool:
        if nbytes > self.remaining:
            return False
        self.remaining -= nbytes
        return True


class UntilCloseReader:
    """A response body without length: everything until the server closes the connection."""

    __slots__ = ()
    trailers = Headers()
    completes_at_eof = True

    def read(self, buf: ReceiveBuffer) -> bytes | None:
        return buf.take(len(buf)) if len(buf) else None

    def skip_gap(self, nbytes: int) -> bool:
        return True


# ChunkedReader states
_SIZE, _DATA, _DATA_END, _TRAILERS, _DONE = range(5)


class ChunkedReader:
    """RFC 9112 7.1: chunk-size [; extensions] CRLF, data CRLF, ..., 0 CRLF, trailer fields, CRLF."""

    __slots__ = ("max_trailers", "remaining", "scan", "sizes", "state", "trailers")
    completes_at_eof = False

    def __init__(self, max_trailers: int):
        self.state = _SIZE
        self.remaining = 0  # bytes left in the current chunk
        self.sizes: list[int] = []  # every chunk's size as its line gives it, the last (0) included
        self.scan = 0  # how far the current line has been searched for its end
        self.trailers = Headers()
        self.max_trailers = max_trailers

    def read(self, buf: ReceiveBuffer) -> bytes | _End | None:
        while True:
            state = self.state
            if state == _DATA:
                if not len(buf):
                    return None
                data = buf.take(self.remaining)
                self.remaining -= len(data)
                if not self.remaining:
                    self.state = _DATA_END
                return data
            if state == _SIZE:
                nl = buf.find(b"\n", self.scan)
                if nl < 0:
                    if len(buf) > MAX_CHUNK_LINE:
                        raise FramingError("chunk-size line too long")
                    self.scan = len(buf)
                    return None
                line = buf.peek(nl).rstrip(b"\r")
                m = _CHUNK_SIZE.fullmatch(line)
                if m is None:
                    raise FramingError(f"invalid chunk-size line {line[:40]!r}")
                buf.skip(nl + 1)
                self.scan = 0
                self.remaining = int(m.group(1), 16)
                self.sizes.append(self.remaining)
                self.state = _DATA if self.remaining else _TRAILERS
            elif state == _DATA_END:
                ending = buf.peek(2)
                if ending[:1] == b"\n":
                    buf.skip(1)
                elif ending == b"\r\n":
                    buf.skip(2)
                elif ending in (b"", b"\r"):
                    return None
                else:
                    raise FramingError("chunk data not followed by CRLF")
                self.state = _SIZE
            elif state == _TRAILERS:
                if not self.scan:
                    ending = buf.peek(2)
                    if ending in (b"", b"\r"):
                        return None
                    if ending[:1] == b"\n" or ending == b"\r\n":
                        buf.skip(len(ending) if ending == b"\r\n" else 1)
                        self.state = _DONE
                        return END
                m = HEAD_END.search(buf.data, buf.pos + max(self.scan - 2, 0))
                if m is None or m.end() - buf.pos > self.max_trailers:
                    if len(buf) > self.max_trailers:
                        raise FramingError("trailer section too large")
                    self.scan = max(len(buf), 1)
                    return None
                lines, _ = split_lines(buf.take(m.end() - buf.pos))
                self.trailers = parse_fields(lines, {})
                self.state = _DONE
                return END
            else:
                return END

    def skip_gap(self, nbytes: int) -> bool:
        if self.state != _DATA or nbytes > self.remaining:
            return False
        self.remaining -= nbytes
        if not self.remaining:
            self.state = _DATA_END
        return True
