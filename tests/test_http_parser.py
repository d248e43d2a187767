"""Tests for analyzer.apps.http: the passive HTTP/1.x parser and the conversation that pairs messages.

The h11 way: every fixture is fed whole, one byte at a time, in random pieces, and with the start of the
next message trailing it (those bytes must stay buffered and then parse as the next message). Expected
values are written by hand from the fixture text and RFC 9112, never copied from the parser's output.
Fuzzing (random bytes, mutated fixtures, fixed seeds) checks that no input makes the parser raise and
that its events always follow the grammar of analyzer.apps.http.events.
"""

from __future__ import annotations

import gzip
import random
import time
import zlib

import pytest

from analyzer.apps.http import (
    CAPTURE_ENDED,
    CONNECTION_CLOSED,
    CONNECTION_RESET,
    GAP,
    MALFORMED,
    NEED_DATA,
    NO_REQUEST,
    NOT_HTTP,
    Data,
    EndOfMessage,
    Headers,
    HttpConversation,
    HttpStreamParser,
    Malformed,
    Request,
    Response,
)

# ---------------------------------------------------------------------------------------------- helpers


def drain(parser: HttpStreamParser) -> list:
    events = []
    while (event := parser.next_event()) is not NEED_DATA:
        events.append(event)
    return events


def feed(parser: HttpStreamParser, data: bytes, mode: str, first_frame: int = 1, seed: int = 0) -> list:
    """Feed ``data`` whole, one byte per frame, or in random pieces; return the events."""
    if mode == "whole":
        parser.receive_data(data, first_frame * 1000, first_frame)
    elif mode == "bytewise":
        for i in range(len(data)):
            parser.receive_data(data[i : i + 1], (first_frame + i) * 1000, first_frame + i)
    elif mode == "random":
        rng = random.Random(seed)
        i, frame = 0, first_frame
        while i < len(data):
            n = rng.randint(1, 40)
            parser.receive_data(data[i : i + n], frame * 1000, frame)
            i, frame = i + n, frame + 1
    else:
        raise AssertionError(mode)
    return drain(parser)


def shape(events: list) -> list:
    """Events without frames and times, adjacent Data merged (chunking must not change the result)."""
    out: list = []
    for ev in events:
        if isinstance(ev, Data):
            if out and out[-1][0] == "data":
                _, data, decoded = out[-1]
                merged = None if decoded is None or ev.decoded is None else decoded + ev.decoded
                out[-1] = ("data", data + ev.data, merged)
            else:
                out.append(("data", ev.data, ev.decoded))
        elif isinstance(ev, Request):
            out.append(("request", ev.method, ev.target, ev.version, list(ev.headers), ev.headers_complete))
        elif isinstance(ev, Response):
            out.append(("response", ev.status, ev.reason, ev.version, list(ev.headers), ev.headers_complete))
        elif isinstance(ev, EndOfMessage):
            out.append(
                ("end", list(ev.trailers), ev.wire_length, ev.body_length, ev.decoded_length, ev.lost_length,
                 ev.complete, ev.reason, ev.decode_error, ev.decoded_truncated)
            )
        elif isinstance(ev, Malformed):
            out.append(("malformed",))
        else:
            pytest.fail(f"unexpected event {ev!r}")
    return out


def end(wire=0, body=None, decoded=..., *, trailers=(), lost=0, complete=True, reason=None, error=None,
        capped=False):
    """An expected EndOfMessage shape; body defaults to wire, decoded to body."""
    body = wire if body is None else body
    decoded = body if decoded is ... else decoded
    return ("end", list(trailers), wire, body, decoded, lost, complete, reason, error, capped)


def check_grammar(events: list, role: str, closed: bool) -> None:
    """Events follow ( Malformed | (Request|Response) Data* EndOfMessage )*, with consistent lengths."""
    head_type = Request if role == "client" else Response
    other_head = Response if role == "client" else Request
    open_ = False
    body = decoded = 0
    decodable = True
    for ev in events:
        assert not isinstance(ev, other_head), ev
        if isinstance(ev, head_type):
            assert not open_, "a message started inside another"
            open_, body, decoded, decodable = True, 0, 0, True
        elif isinstance(ev, Data):
            assert open_, "Data outside a message"
            assert isinstance(ev.data, bytes)
            body += len(ev.data)
            if ev.decoded is None:
                decodable = False
            else:
                decoded += len(ev.decoded)
        elif isinstance(ev, EndOfMessage):
            assert open_, "EndOfMessage outside a message"
            open_ = False
            assert ev.body_length == body
            assert ev.wire_length >= ev.body_length
            if decodable:
                assert ev.decoded_length == decoded
            else:
                assert ev.decoded_length is None
            assert ev.complete == (ev.reason is None)
        elif isinstance(ev, Malformed):
            assert not open_, "Malformed inside a message"
            assert isinstance(ev.reason, str) and len(ev.sample) <= 64
        else:
            pytest.fail(f"unexpected event {ev!r}")
    if closed:
        assert not open_, "the stream ended with a message still open"


# ---------------------------------------------------------------------------------------------- fixtures

_WORDS = b"the quick brown fox jumps over lazy dog packet capture stream header body chunk".split()
_rng = random.Random(7)
TEXT = b" ".join(_rng.choice(_WORDS) for _ in range(600))  # varied enough that gzip leaves over 1 KiB
TEXT_GZ = gzip.compress(TEXT, mtime=0)


def chunked(data: bytes, size: int) -> bytes:
    """``data`` in chunks of ``size`` bytes, then the last chunk and an empty trailer section."""
    pieces = [b"%x\r\n%s\r\n" % (len(data[i : i + size]), data[i : i + size]) for i in range(0, len(data), size)]
    return b"".join(pieces) + b"0\r\n\r\n"


RESP_CONTENT_LENGTH = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Length: 13\r\n"
    b"\r\n"
    b"Hello, world!"
)

RESP_CHUNKED_TRAILERS = (
    b"HTTP/1.1 200 OK\r\n"
    b"Transfer-Encoding: chunked\r\n"
    b"Trailer: X-Checksum\r\n"
    b"\r\n"
    b"5;name=value\r\n"  # 14 bytes on the wire
    b"Hello\r\n"  # 7
    b"8\r\n"  # 3
    b", world!\r\n"  # 10
    b"0\r\n"  # 3
    b"X-Checksum: abc123\r\n"  # 20
    b"\r\n"  # 2 -> 59 in all
)

GZ_CHUNKED_BODY = chunked(TEXT_GZ, 100)
RESP_CHUNKED_GZIP = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Encoding: gzip\r\n"
    b"Transfer-Encoding: chunked\r\n"
    b"\r\n" + GZ_CHUNKED_BODY
)

RESP_UNTIL_CLOSE = (
    b"HTTP/1.0 200 OK\r\n"
    b"Content-Type: text/html\r\n"
    b"\r\n"
    b"<html>bye</html>"  # 16 bytes, ended by the server closing the connection
)

RESP_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/html\r\n"
    b"Content-Length: 1234\r\n"  # the size a GET would get: no body follows a response to HEAD
    b"\r\n"
)

RESP_304 = (
    b"HTTP/1.1 304 Not Modified\r\n"
    b'ETag: "abc"\r\n'
    b"Content-Length: 500\r\n"  # 304 never has a body, whatever Content-Length says
    b"\r\n"
)

RESP_204 = (
    b"HTTP/1.1 204 No Content\r\n"
    b"Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
    b"\r\n"
)

RESP_100_CONTINUE = (
    b"HTTP/1.1 100 Continue\r\n"
    b"\r\n"
    b"HTTP/1.1 201 Created\r\n"
    b"Content-Length: 2\r\n"
    b"\r\n"
    b"ok"
)

REQ_100_CONTINUE = (
    b"POST /upload HTTP/1.1\r\n"
    b"Host: example.com\r\n"
    b"Expect: 100-continue\r\n"
    b"Content-Length: 11\r\n"
    b"\r\n"
    b"hello world"
)

REQ_POST_FORM = (
    b"POST /login HTTP/1.1\r\n"
    b"Host: example.com\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 27\r\n"
    b"\r\n"
    b"user=alice&password=secret1"
)

REQ_POST_CHUNKED = (
    b"POST /stream HTTP/1.1\r\n"
    b"Host: example.com\r\n"
    b"Transfer-Encoding: chunked\r\n"
    b"\r\n"
    b"A\r\n"  # 3: chunk sizes are hex, either case
    b"0123456789\r\n"  # 12
    b"3\r\n"  # 3
    b"abc\r\n"  # 5
    b"0\r\n"  # 3
    b"\r\n"  # 2 -> 28
)

REQ_PIPELINED = (
    b"GET /one HTTP/1.1\r\nHost: example.com\r\n\r\n"
    b"HEAD /two HTTP/1.1\r\nHost: example.com\r\n\r\n"
    b"GET /three HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"
)

RESP_PIPELINED = (  # answers REQ_PIPELINED: GET, HEAD, GET
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nthree"
)

REQ_FOLDED = (
    b"GET /folded HTTP/1.1\r\n"
    b"Host: example.com\r\n"
    b"X-Folded: first\r\n"
    b" second\r\n"
    b"\tthird\r\n"
    b"\r\n"
)

RESP_BARE_LF = b"HTTP/1.1 200 OK\nContent-Length: 2\n\nhi"

REQ_HTTP10_LEADING_CRLF = (
    b"\r\n"  # RFC 9112 2.2: empty lines before a request line are ignored
    b"GET /old HTTP/1.0\r\n"
    b"User-Agent: test/1.0\r\n"
    b"\r\n"
)

REQ_REPEATED_HEADERS = (
    b"GET /cookies HTTP/1.1\r\n"
    b"Host: example.com\r\n"
    b"Cookie: a=1\r\n"
    b"cookie: b=2\r\n"
    b"Accept:   text/html  \r\n"  # optional whitespace around the value is not part of it
    b"\r\n"
)

RESP_DEFLATE_ZLIB = (
    b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n" % len(zlib.compress(TEXT))
    + zlib.compress(TEXT)
)

_raw = zlib.compressobj(wbits=-15)
TEXT_RAW_DEFLATE = _raw.compress(TEXT) + _raw.flush()
RESP_DEFLATE_RAW = (
    b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n" % len(TEXT_RAW_DEFLATE)
    + TEXT_RAW_DEFLATE
)

GZ_CL_HEADERS = [("Content-Encoding", "gzip"), ("Content-Length", str(len(TEXT_GZ)))]
RESP_GZIP_CL = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(TEXT_GZ) + TEXT_GZ

OK = ("response", 200, "OK", "HTTP/1.1")

# name -> (role, request methods for the server side, bytes, eof reason or None, expected shape)
FIXTURES = {
    "content-length": (
        "server", (), RESP_CONTENT_LENGTH, None,
        [(*OK, [("Content-Type", "text/plain"), ("Content-Length", "13")], True),
         ("data", b"Hello, world!", b"Hello, world!"),
         end(13)],
    ),
    "chunked-trailers": (
        "server", (), RESP_CHUNKED_TRAILERS, None,
        [(*OK, [("Transfer-Encoding", "chunked"), ("Trailer", "X-Checksum")], True),
         ("data", b"Hello, world!", b"Hello, world!"),
         end(59, 13, trailers=[("X-Checksum", "abc123")])],
    ),
    "chunked-gzip": (
        "server", (), RESP_CHUNKED_GZIP, None,
        [(*OK, [("Content-Type", "text/plain"), ("Content-Encoding", "gzip"),
                ("Transfer-Encoding", "chunked")], True),
         ("data", TEXT_GZ, TEXT),
         end(len(GZ_CHUNKED_BODY), len(TEXT_GZ), len(TEXT))],
    ),
    "gzip-content-length": (
        "server", (), RESP_GZIP_CL, None,
        [(*OK, GZ_CL_HEADERS, True), ("data", TEXT_GZ, TEXT), end(len(TEXT_GZ), len(TEXT_GZ), len(TEXT))],
    ),
    "deflate-zlib": (
        "server", (), RESP_DEFLATE_ZLIB, None,
        [(*OK, [("Content-Encoding", "deflate"), ("Content-Length", str(len(zlib.compress(TEXT))))], True),
         ("data", zlib.compress(TEXT), TEXT),
         end(len(zlib.compress(TEXT)), len(zlib.compress(TEXT)), len(TEXT))],
    ),
    "deflate-raw": (
        "server", (), RESP_DEFLATE_RAW, None,
        [(*OK, [("Content-Encoding", "deflate"), ("Content-Length", str(len(TEXT_RAW_DEFLATE)))], True),
         ("data", TEXT_RAW_DEFLATE, TEXT),
         end(len(TEXT_RAW_DEFLATE), len(TEXT_RAW_DEFLATE), len(TEXT))],
    ),
    "until-close": (
        "server", (), RESP_UNTIL_CLOSE, CONNECTION_CLOSED,
        [("response", 200, "OK", "HTTP/1.0", [("Content-Type", "text/html")], True),
         ("data", b"<html>bye</html>", b"<html>bye</html>"),
         end(16)],
    ),
    "head": (
        "server", ("HEAD",), RESP_HEAD, None,
        [(*OK, [("Content-Type", "text/html"), ("Content-Length", "1234")], True), end(0)],
    ),
    "304": (
        "server", ("GET",), RESP_304, None,
        [("response", 304, "Not Modified", "HTTP/1.1", [("ETag", '"abc"'), ("Content-Length", "500")], True),
         end(0)],
    ),
    "204": (
        "server", ("DELETE",), RESP_204, None,
        [("response", 204, "No Content", "HTTP/1.1", [("Date", "Mon, 01 Jan 2024 00:00:00 GMT")], True),
         end(0)],
    ),
    "100-continue-response": (
        "server", ("POST",), RESP_100_CONTINUE, None,
        [("response", 100, "Continue", "HTTP/1.1", [], True), end(0),
         ("response", 201, "Created", "HTTP/1.1", [("Content-Length", "2")], True),
         ("data", b"ok", b"ok"), end(2)],
    ),
    "100-continue-request": (
        "client", (), REQ_100_CONTINUE, None,
        [("request", "POST", "/upload", "HTTP/1.1",
          [("Host", "example.com"), ("Expect", "100-continue"), ("Content-Length", "11")], True),
         ("data", b"hello world", b"hello world"), end(11)],
    ),
    "post-form": (
        "client", (), REQ_POST_FORM, None,
        [("request", "POST", "/login", "HTTP/1.1",
          [("Host", "example.com"), ("Content-Type", "application/x-www-form-urlencoded"),
           ("Content-Length", "27")], True),
         ("data", b"user=alice&password=secret1", b"user=alice&password=secret1"), end(27)],
    ),
    "post-chunked": (
        "client", (), REQ_POST_CHUNKED, None,
        [("request", "POST", "/stream", "HTTP/1.1",
          [("Host", "example.com"), ("Transfer-Encoding", "chunked")], True),
         ("data", b"0123456789abc", b"0123456789abc"), end(28, 13)],
    ),
    "pipelined-requests": (
        "client", (), REQ_PIPELINED, None,
        [("request", "GET", "/one", "HTTP/1.1", [("Host", "example.com")], True), end(0),
         ("request", "HEAD", "/two", "HTTP/1.1", [("Host", "example.com")], True), end(0),
         ("request", "GET", "/three", "HTTP/1.1", [("Host", "example.com"), ("Connection", "close")], True),
         end(0)],
    ),
    "pipelined-responses": (
        "server", ("GET", "HEAD", "GET"), RESP_PIPELINED, None,
        [(*OK, [("Content-Length", "3")], True), ("data", b"one", b"one"), end(3),
         (*OK, [("Content-Length", "3")], True), end(0),
         (*OK, [("Content-Length", "5"), ("Connection", "close")], True), ("data", b"three", b"three"), end(5)],
    ),
    "obsolete-folding": (
        "client", (), REQ_FOLDED, None,
        [("request", "GET", "/folded", "HTTP/1.1",
          [("Host", "example.com"), ("X-Folded", "first second third")], True), end(0)],
    ),
    "bare-lf": (
        "server", (), RESP_BARE_LF, None,
        [(*OK, [("Content-Length", "2")], True), ("data", b"hi", b"hi"), end(2)],
    ),
    "http10-leading-crlf": (
        "client", (), REQ_HTTP10_LEADING_CRLF, None,
        [("request", "GET", "/old", "HTTP/1.0", [("User-Agent", "test/1.0")], True), end(0)],
    ),
    "repeated-headers": (
        "client", (), REQ_REPEATED_HEADERS, None,
        [("request", "GET", "/cookies", "HTTP/1.1",
          [("Host", "example.com"), ("Cookie", "a=1"), ("cookie", "b=2"), ("Accept", "text/html")], True),
         end(0)],
    ),
}

# The start of a message that trails each fixture, and the shape it has once completed.
NEXT = {
    "client": (b"GET /next HTTP/1.1\r\nHost: ex", b"ample.org\r\n\r\n",
               [("request", "GET", "/next", "HTTP/1.1", [("Host", "example.org")], True), end(0)]),
    "server": (b"HTTP/1.1 204 No Con", b"tent\r\n\r\n",
               [("response", 204, "No Content", "HTTP/1.1", [], True), end(0)]),
}


def make_parser(role: str, methods=(), **kwargs) -> HttpStreamParser:
    parser = HttpStreamParser(role, **kwargs)
    for method in methods:
        parser.expect_response(method)
    return parser


# ---------------------------------------------------------------------------------------------- framing


@pytest.mark.parametrize("mode", ["whole", "bytewise", "random"])
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture(name, mode):
    role, methods, data, eof, expected = FIXTURES[name]
    parser = make_parser(role, methods)
    events = feed(parser, data, mode, seed=zlib.crc32(name.encode()))
    if eof is not None:
        parser.receive_eof(10**9, 10**6, eof)
        events += drain(parser)
    check_grammar(events, role, closed=eof is not None)
    assert shape(events) == expected
    assert not any(isinstance(ev, Malformed) for ev in events)


@pytest.mark.parametrize("mode", ["whole", "bytewise"])
@pytest.mark.parametrize("name", sorted(n for n, f in FIXTURES.items() if f[3] is None))
def test_fixture_with_trailing_bytes(name, mode):
    """Bytes after a message stay buffered and become the next message once it is complete."""
    role, methods, data, _, expected = FIXTURES[name]
    start, rest, next_expected = NEXT[role]
    parser = make_parser(role, (*methods, "GET"))
    events = feed(parser, data + start, mode)
    assert shape(events) == expected
    assert parser.state == "HEAD"  # the next message's first bytes are waiting for the rest
    events = feed(parser, rest, mode, first_frame=10_000)
    assert shape(events) == next_expected


def test_content_length_frames_and_times_bytewise():
    """One byte per frame: each event's frames are the positions of its bytes in the fixture, plus 1."""
    parser = make_parser("server")
    events = feed(parser, RESP_CONTENT_LENGTH, "bytewise", first_frame=1)
    response, end_ = events[0], events[-1]
    head_end = RESP_CONTENT_LENGTH.index(b"\r\n\r\n") + 4  # bytes in the header block
    assert (response.first_frame, response.first_ts_ns) == (1, 1000)
    assert (response.head_frame, response.head_ts_ns) == (head_end, head_end * 1000)
    assert response.head_length == head_end
    assert response.offset == 0
    assert (end_.last_frame, end_.last_ts_ns) == (len(RESP_CONTENT_LENGTH), len(RESP_CONTENT_LENGTH) * 1000)
    assert end_.end_frame == end_.last_frame
    data_frames = [ev.frame for ev in events if isinstance(ev, Data)]
    assert data_frames == list(range(head_end + 1, len(RESP_CONTENT_LENGTH) + 1))


def test_frames_across_chunks_and_messages():
    """A message starting in one chunk and ending in another; the next one starting mid-chunk."""
    parser = make_parser("client")
    parser.receive_data(b"POST /a HTTP/1.1\r\nContent-", 100, 7)
    parser.receive_data(b"Length: 4\r\n\r\nab", 200, 8)
    parser.receive_data(b"cdGET /b HTTP/1.1\r\n", 300, 9)
    parser.receive_data(b"\r\n", 400, 10)
    first, data1, data2, end1, second, end2 = drain(parser)
    assert (first.first_frame, first.first_ts_ns, first.head_frame, first.head_ts_ns) == (7, 100, 8, 200)
    assert (data1.data, data1.frame, data2.data, data2.frame) == (b"ab", 8, b"cd", 9)
    assert (end1.last_frame, end1.last_ts_ns) == (9, 300)
    assert (second.first_frame, second.head_frame, second.offset) == (9, 10, len(b"POST /a HTTP/1.1\r\n"
                                                                                 b"Content-Length: 4\r\n\r\nabcd"))
    assert end2.last_frame == 10


def test_until_close_body_takes_every_byte_until_the_close():
    """Bytes after a body without length are more body, even when they look like a response."""
    parser = make_parser("server")
    parser.receive_data(RESP_UNTIL_CLOSE + NEXT["server"][0], 1, 1)
    parser.receive_eof(2, 2, CONNECTION_CLOSED)
    body = b"<html>bye</html>" + NEXT["server"][0]
    assert shape(drain(parser))[1:] == [("data", body, body), end(len(body))]


def test_until_close_end_frame_is_the_fin():
    parser = make_parser("server")
    parser.receive_data(RESP_UNTIL_CLOSE, 5000, 3)
    parser.receive_eof(9000, 4, CONNECTION_CLOSED)
    end_ = drain(parser)[-1]
    assert (end_.last_frame, end_.end_frame, end_.end_ts_ns, end_.complete) == (3, 4, 9000, True)


def test_headers_lookup():
    headers = Headers([("Host", "example.com"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2"),
                       ("Connection", "keep-alive, Upgrade")])
    assert headers.get("HOST") == "example.com"
    assert headers.get("x-missing") is None
    assert headers.get("x-missing", "dflt") == "dflt"
    assert headers.get_all("SET-COOKIE") == ["a=1", "b=2"]
    assert headers.combined("set-cookie") == "a=1, b=2"
    assert headers.tokens("connection") == ["keep-alive", "upgrade"]
    assert "connection" in headers and "Connection" in headers and "via" not in headers
    assert headers[0] == ("Host", "example.com")  # still a tuple of pairs, in wire order
    assert hash(headers) == hash(Headers(list(headers)))


def test_notes_record_leniencies():
    parser = make_parser("client")
    events = feed(parser, REQ_FOLDED, "whole")
    assert events[0].notes == ("obsolete line folding",)
    parser = make_parser("server")
    assert feed(parser, RESP_BARE_LF, "whole")[0].notes == ("bare LF line endings",)
    parser = make_parser("server")
    events = feed(parser, b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"2\r\nhi\r\n0\r\n\r\n", "whole")
    assert shape(events)[1:] == [("data", b"hi", b"hi"), end(len(b"2\r\nhi\r\n0\r\n\r\n"), 2)]
    assert events[0].notes == ("Transfer-Encoding and Content-Length both present: Transfer-Encoding used",)


def test_header_lines_that_cannot_be_fields_are_skipped():
    parser = make_parser("client")
    events = feed(parser, b"GET / HTTP/1.1\r\nHost: a\r\nno colon here\r\nBad Name: x\r\nOK : y\r\n\r\n", "whole")
    assert list(events[0].headers) == [("Host", "a"), ("OK", "y")]
    assert set(events[0].notes) == {"header line without a colon ignored", "header line with an invalid name ignored",
                                    "whitespace between header name and colon"}


def test_status_line_without_reason_and_http10_request_without_length():
    parser = make_parser("server")
    events = feed(parser, b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", "whole")
    assert shape(events) == [("response", 200, "", "HTTP/1.1", [("Content-Length", "0")], True), end(0)]
    parser = make_parser("client")
    events = feed(parser, b"GET / HTTP/1.0\r\n\r\nGET /2 HTTP/1.0\r\n\r\n", "whole")
    assert [ev.target for ev in events if isinstance(ev, Request)] == ["/", "/2"]


def test_content_length_list_of_equal_values_is_accepted():
    parser = make_parser("server")
    events = feed(parser, b"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc", "whole")
    assert shape(events)[1:] == [("data", b"abc", b"abc"), end(3)]


# ---------------------------------------------------------------------------------------------- truncation


def test_response_cut_by_end_of_capture():
    parser = make_parser("server")
    parser.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 40, 1000, 1)
    parser.receive_eof(2000, 2, CAPTURE_ENDED)
    events = drain(parser)
    check_grammar(events, "server", closed=True)
    assert shape(events)[1:] == [("data", b"x" * 40, b"x" * 40), end(40, complete=False, reason=CAPTURE_ENDED)]
    assert events[-1].last_frame == 1 and events[-1].end_frame == 2


def test_until_close_body_is_incomplete_unless_the_connection_closed():
    for reason in (CAPTURE_ENDED, CONNECTION_RESET):
        parser = make_parser("server")
        parser.receive_data(RESP_UNTIL_CLOSE, 1000, 1)
        parser.receive_eof(2000, 2, reason)
        assert shape(drain(parser))[-1] == end(16, complete=False, reason=reason)


def test_header_block_cut_by_end_of_capture():
    parser = make_parser("server")
    parser.receive_data(b"HTTP/1.1 404 Not Found\r\nServer: x\r\nContent-Ty", 1000, 5)
    parser.receive_eof(2000, 6)
    events = drain(parser)
    assert shape(events) == [("response", 404, "Not Found", "HTTP/1.1", [("Server", "x")], False),
                             end(0, complete=False, reason=CAPTURE_ENDED)]
    assert events[0].head_frame is None and events[0].first_frame == 5


def test_chunked_body_cut_inside_a_size_line():
    parser = make_parser("server")
    parser.receive_data(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n1", 1, 1)
    parser.receive_eof(2, 2, CONNECTION_CLOSED)
    assert shape(drain(parser))[1:] == [("data", b"abc", b"abc"),
                                        end(len(b"3\r\nabc\r\n1"), 3, complete=False, reason=CONNECTION_CLOSED)]


def test_start_line_cut_by_end_of_capture():
    parser = make_parser("client")
    parser.receive_data(b"GET /inde", 1, 1)
    parser.receive_eof(2, 2)
    (malformed,) = drain(parser)
    assert isinstance(malformed, Malformed) and "capture ended" in malformed.reason


# ---------------------------------------------------------------------------------------------- gaps


def test_gap_inside_content_length_body_stays_in_step():
    """The framing counts bytes, so the parser steps over the lost ones and the next message parses."""
    parser = make_parser("server")
    parser.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234", 1, 1)
    parser.receive_gap(10)
    parser.receive_data(b"fghijHTTP/1.1 204 No Content\r\n\r\n", 3, 3)
    events = drain(parser)
    check_grammar(events, "server", closed=False)
    assert shape(events) == [
        (*OK, [("Content-Length", "20")], True),
        ("data", b"01234fghij", b"01234fghij"),
        end(10, lost=10, complete=False, reason=GAP),
        ("response", 204, "No Content", "HTTP/1.1", [], True), end(0),
    ]


def test_gap_ending_exactly_at_end_of_body():
    parser = make_parser("server")
    parser.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nabc", 1, 1)
    parser.receive_gap(5)
    events = drain(parser)  # the message ends at once: its last bytes were the lost ones
    assert shape(events)[-1] == end(3, lost=5, complete=False, reason=GAP)
    assert parser.state == "IDLE"


def test_gap_inside_chunk_data_stays_in_step():
    parser = make_parser("server")
    parser.receive_data(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123", 1, 1)
    parser.receive_gap(4)
    parser.receive_data(b"89\r\n0\r\n\r\n", 2, 2)
    events = drain(parser)
    assert shape(events)[1:] == [("data", b"012389", b"012389"),
                                 end(len(b"a\r\n0123" b"89\r\n0\r\n\r\n"), 6, lost=4, complete=False, reason=GAP)]


def test_gap_then_resync_on_next_message():
    """A gap past the end of the body: the message is cut, bytes are dropped up to the next status line."""
    parser = make_parser("server")
    parser.receive_data(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123", 1, 1)
    parser.receive_gap(500)
    parser.receive_data(b"rest of an unknown body\r\nmore HTTP/1.1 200 OK in a line\r\n", 2, 2)
    parser.receive_data(b"HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n", 3, 3)
    events = drain(parser)
    check_grammar(events, "server", closed=False)
    assert shape(events) == [
        (*OK, [("Transfer-Encoding", "chunked")], True),
        ("data", b"0123", b"0123"),
        end(len(b"10\r\n0123"), 4, complete=False, reason=GAP),
        ("response", 302, "Found", "HTTP/1.1", [("Location", "/x"), ("Content-Length", "0")], True), end(0),
    ]
    assert events[3].first_frame == 3


def test_gap_inside_header_block_reports_partial_head_then_resyncs():
    parser = make_parser("client")
    parser.receive_data(b"GET /a HTTP/1.1\r\nHost: x\r\nUser-Ag", 1, 1)
    parser.receive_gap(100)
    parser.receive_data(b"ent: foo\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 2, 2)
    events = drain(parser)
    assert shape(events) == [
        ("request", "GET", "/a", "HTTP/1.1", [("Host", "x")], False), end(0, complete=False, reason=GAP),
        ("request", "GET", "/b", "HTTP/1.1", [], True), end(0),
    ]


def test_gap_resumes_exactly_at_a_message_start():
    parser = make_parser("client")
    parser.receive_data(b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", 1, 1)
    parser.receive_gap(3 + 40)  # the end of the body and a whole request we never see
    parser.receive_data(b"GET /c HTTP/1.1\r\n\r\n", 2, 2)
    events = drain(parser)
    assert [ev.target for ev in events if isinstance(ev, Request)] == ["/a", "/c"]
    assert shape(events)[2] == end(2, complete=False, reason=GAP)


def test_resync_keeps_a_start_line_split_across_chunks():
    parser = make_parser("server")
    parser.receive_gap(0)
    parser.receive_data(b"junk\r\nHTTP/1.", 100, 1)
    parser.receive_data(b"1 200 OK\r\nContent-Length: 1\r\n\r\nz", 200, 2)
    events = drain(parser)
    assert shape(events) == [(*OK, [("Content-Length", "1")], True), ("data", b"z", b"z"), end(1)]
    assert (events[0].first_frame, events[0].first_ts_ns, events[0].head_frame) == (1, 100, 2)
    assert events[0].offset == len(b"junk\r\n")


def test_stream_picked_up_mid_connection_resyncs_after_gap_zero():
    parser = make_parser("server")
    parser.receive_gap(0)
    parser.receive_data(b"\x00\x01binary tail of a body\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1, 1)
    events = drain(parser)
    assert shape(events) == [(*OK, [("Content-Length", "0")], True), end(0)]
    assert parser.skipped == len(b"\x00\x01binary tail of a body\n")


# ---------------------------------------------------------------------------------------------- not HTTP

TLS_CLIENT_HELLO = bytes.fromhex("16030100c4010000c00303") + bytes(range(32))
SSH_BANNER = b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n"


def test_http09_and_other_malformed_request_lines_are_requests_with_a_note():
    """What tshark reads as a request (a known method, then a target or version that is missing or bad) is
    one here too, with a note saying what is malformed."""
    parser = make_parser("client")
    parser.receive_data(b"GET /\r\n\r\nOPTIONS HTTP/1.1\r\nHost: h\r\n\r\n", 1, 1)
    events = drain(parser)
    requests = [ev for ev in events if type(ev).__name__ == "Request"]
    assert [(r.method, r.target, r.version) for r in requests] == [("GET", "/", ""), ("OPTIONS", "HTTP/1.1", "")]
    assert requests[0].notes == ("malformed request line: no HTTP version (an HTTP/0.9 request)",)
    assert requests[1].notes == ("malformed request line: no request target",)
    assert not parser.not_http


@pytest.mark.parametrize("mode", ["whole", "bytewise"])
@pytest.mark.parametrize(
    "role,data",
    [("client", TLS_CLIENT_HELLO), ("client", SSH_BANNER), ("server", SSH_BANNER), ("server", TLS_CLIENT_HELLO),
     ("client", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), ("client", b"HTTP/1.1 200 OK\r\n\r\n"),
     ("server", b"GET / HTTP/1.1\r\n\r\n"), ("client", b"FOO\x01 /\r\n")],
)
def test_non_http_stream_is_ignored(role, data, mode):
    parser = make_parser(role)
    events = feed(parser, data, mode)
    assert [type(ev) for ev in events] == [Malformed]
    assert events[0].reason.startswith("not HTTP")
    assert (events[0].offset, events[0].frame) == (0, 1)
    assert parser.not_http
    # Whatever follows is ignored, even bytes that look like HTTP...
    later = b"GET / HTTP/1.1\r\n\r\n" if role == "client" else b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    assert feed(parser, later, "whole") == []
    # ...until a gap allows a resync.
    parser.receive_gap(10)
    events = feed(parser, later, "whole")
    assert [type(ev) for ev in events] == [Request if role == "client" else Response, EndOfMessage]
    assert not parser.not_http


def test_binary_first_byte_is_rejected_at_once():
    parser = make_parser("client")
    parser.receive_data(b"\x16", 1, 1)
    assert [type(ev) for ev in drain(parser)] == [Malformed]


def test_garbage_after_a_message_resyncs_without_declaring_not_http():
    parser = make_parser("server")
    data = (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA BYTES the server should not have sent\r\n"
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz")
    events = feed(parser, data, "whole")
    assert [type(ev) for ev in events] == [Response, Data, EndOfMessage, Malformed, Response, Data, EndOfMessage]
    assert not events[3].reason.startswith("not HTTP")
    assert not parser.not_http


# ---------------------------------------------------------------------------------------------- malformed


def test_invalid_content_length_closes_the_message_then_resyncs():
    parser = make_parser("client")
    data = b"POST /a HTTP/1.1\r\nContent-Length: 12abc\r\n\r\nbody bytes\r\nGET /b HTTP/1.1\r\n\r\n"
    events = feed(parser, data, "whole")
    check_grammar(events, "client", closed=False)
    assert [type(ev) for ev in events] == [Request, EndOfMessage, Malformed, Request, EndOfMessage]
    assert (events[1].complete, events[1].reason) == (False, MALFORMED)
    assert "Content-Length" in events[2].reason
    assert events[3].target == "/b"


def test_conflicting_content_lengths_are_malformed():
    parser = make_parser("server")
    events = feed(parser, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "whole")
    assert [type(ev) for ev in events] == [Response, EndOfMessage, Malformed]
    assert "conflicting" in events[2].reason


def test_invalid_chunk_size_closes_the_message():
    parser = make_parser("server")
    events = feed(parser, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\nzz\r\n", "whole")
    assert [type(ev) for ev in events] == [Response, Data, EndOfMessage, Malformed]
    assert events[2].reason == MALFORMED and "chunk" in events[3].reason


def test_request_transfer_encoding_not_chunked_is_malformed():
    parser = make_parser("client")
    events = feed(parser, b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "whole")
    assert [type(ev) for ev in events] == [Request, EndOfMessage, Malformed]


def test_response_transfer_encoding_not_chunked_reads_until_close():
    parser = make_parser("server")
    parser.receive_data(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc", 1, 1)
    parser.receive_eof(2, 2, CONNECTION_CLOSED)
    # The body stays encoded: only Content-Encoding is undone.
    assert shape(drain(parser))[1:] == [("data", b"abc", b"abc"), end(3)]


def test_header_block_over_the_cap():
    parser = make_parser("client", max_head_size=1024)
    data = b"GET / HTTP/1.1\r\n" + b"X-Filler: " + b"a" * 2000 + b"\r\n\r\nGET /after HTTP/1.1\r\n\r\n"
    events = feed(parser, data, "whole")
    assert isinstance(events[0], Malformed) and "larger than 1024" in events[0].reason
    assert not events[0].reason.startswith("not HTTP")  # the start line was valid
    assert [ev.target for ev in events if isinstance(ev, Request)] == ["/after"]


def test_start_line_over_the_cap_is_not_http_at_stream_start():
    parser = make_parser("client", max_head_size=1024)
    events = feed(parser, b"GET /" + b"a" * 5000, "whole")
    assert [type(ev) for ev in events] == [Malformed] and parser.not_http


# ---------------------------------------------------------------------------------------------- encoding


def test_gzip_bomb_is_capped():
    bomb = gzip.compress(bytes(16 << 20), mtime=0)  # 16 MiB of zeros in about 16 KiB
    assert len(bomb) < 64 * 1024
    parser = make_parser("server", max_decoded_size=1 << 20)
    data = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb) + bomb
    events = feed(parser, data, "whole")
    check_grammar(events, "server", closed=False)
    end_ = events[-1]
    assert (end_.complete, end_.body_length, end_.decoded_length, end_.decoded_truncated) == (
        True, len(bomb), 1 << 20, True)
    assert sum(len(ev.decoded) for ev in events if isinstance(ev, Data)) == 1 << 20


def test_gzip_bomb_default_cap_is_64_mib():
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    bomb = b"".join(compressor.compress(block) for _ in range(80)) + compressor.flush()  # 80 MiB of zeros
    parser = make_parser("server")
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb)
    parser.receive_data(head, 1, 1)
    for i in range(0, len(bomb), 1460):
        parser.receive_data(bomb[i : i + 1460], 2, 2)
    end_ = drain(parser)[-1]
    assert (end_.decoded_length, end_.decoded_truncated) == (64 << 20, True)


def test_corrupt_gzip_is_reported_not_raised():
    body = TEXT_GZ[:20] + b"\xff" * 30 + TEXT_GZ[50:]
    parser = make_parser("server")
    events = feed(parser, b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body)
                  + body, "bytewise")
    check_grammar(events, "server", closed=False)
    assert events[-1].complete and events[-1].body_length == len(body)
    assert events[-1].decode_error.startswith("invalid gzip data")


def test_truncated_gzip_is_reported():
    body = TEXT_GZ[:-10]
    parser = make_parser("server")
    events = feed(parser, b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body)
                  + body, "whole")
    assert events[-1].decode_error == "gzip data ended early"


def test_unsupported_content_coding():
    parser = make_parser("server")
    events = feed(parser, b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 4\r\n\r\n\x0b\x01\x80\x03",
                  "whole")
    assert shape(events)[1:] == [("data", b"\x0b\x01\x80\x03", None),
                                 end(4, 4, None, error="unsupported content-coding 'br'")]
    assert events[-1].decoded_length is None


def test_multi_member_gzip_and_x_gzip():
    body = gzip.compress(b"first ", mtime=0) + gzip.compress(b"second", mtime=0)
    parser = make_parser("server")
    events = feed(parser, b"HTTP/1.1 200 OK\r\nContent-Encoding: x-gzip\r\nContent-Length: %d\r\n\r\n" % len(body)
                  + body, "bytewise")
    assert shape(events)[1] == ("data", body, b"first second")


def test_gap_stops_decoding():
    parser = make_parser("server")
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(TEXT_GZ)
    parser.receive_data(head + TEXT_GZ[:100], 1, 1)
    parser.receive_gap(100)
    parser.receive_data(TEXT_GZ[200:], 2, 2)
    end_ = drain(parser)[-1]
    assert (end_.complete, end_.reason, end_.decode_error, end_.lost_length) == (False, GAP, "gap in body", 100)


# ---------------------------------------------------------------------------------------------- switching


def test_websocket_upgrade_switches_both_directions():
    conv = HttpConversation()
    out = conv.receive_data("client", b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                      b"Connection: Upgrade\r\n\r\n", 1, 1)
    out += conv.receive_data("server", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                       b"Connection: Upgrade\r\n\r\n\x81\x05hello", 2, 2)
    out += conv.receive_data("client", b"\x81\x85\x01\x02\x03\x04abcde", 3, 3)
    out += conv.close()
    assert conv.malformed == []
    assert conv.client.switched and conv.server.switched
    (tx,) = out
    assert (tx.request.target, tx.response.status, tx.complete, tx.interim) == ("/chat", 101, True, ())


def test_client_might_switch_without_conversation():
    parser = make_parser("client")
    events = feed(parser, b"GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x85abcd",
                  "whole")
    assert [type(ev) for ev in events] == [Request, EndOfMessage] and parser.switched


def test_upgrade_refused_keeps_parsing_http():
    parser = make_parser("client")
    events = feed(parser, b"GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\nGET /2 HTTP/1.1\r\n\r\n",
                  "whole")
    assert [ev.target for ev in events if isinstance(ev, Request)] == ["/", "/2"]


def test_switch_announced_while_the_request_body_is_read_waits_for_its_end():
    parser = make_parser("client")
    parser.receive_data(b"POST /up HTTP/1.1\r\nUpgrade: x\r\nContent-Length: 4\r\n\r\nab", 1, 1)
    parser.switch_protocols()
    parser.receive_data(b"cd\x00\x01GET / HTTP/1.1\r\n\r\n", 2, 2)
    events = drain(parser)
    assert shape(events)[1:] == [("data", b"abcd", b"abcd"), end(4)]
    assert parser.switched and parser.skipped == len(b"\x00\x01GET / HTTP/1.1\r\n\r\n")


def test_connect_tunnel():
    conv = HttpConversation()
    out = conv.receive_data("client", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 1, 1)
    out += conv.receive_data("server", b"HTTP/1.1 200 Connection established\r\n\r\n", 2, 2)
    out += conv.receive_data("client", TLS_CLIENT_HELLO, 3, 3)
    out += conv.receive_data("server", bytes.fromhex("160303003d020000390303") + bytes(50), 4, 4)
    out += conv.close()
    assert conv.malformed == []
    (tx,) = out
    assert (tx.request.method, tx.response.status, tx.complete) == ("CONNECT", 200, True)
    assert tx.response_end.body_length == 0


# ---------------------------------------------------------------------------------------------- conversation


def run_conversation(parts, **kwargs):
    """Feed (role, bytes) parts in order, one frame each; close; return (conversation, transactions)."""
    conv = HttpConversation(**kwargs)
    out = []
    for frame, (role, data) in enumerate(parts, 1):
        if data is None:
            out += conv.receive_eof(role, frame * 1000, frame, CONNECTION_CLOSED)
        elif isinstance(data, int):
            out += conv.receive_gap(role, data)
        else:
            out += conv.receive_data(role, data, frame * 1000, frame)
    out += conv.close()
    return conv, out


def test_conversation_pipelining_pairs_in_order_and_frames_head_response():
    _conv, txs = run_conversation([("client", REQ_PIPELINED), ("server", RESP_PIPELINED)])
    assert [(t.request.method, t.request.target, t.response.status) for t in txs] == [
        ("GET", "/one", 200), ("HEAD", "/two", 200), ("GET", "/three", 200)]
    assert [t.response_body.data for t in txs] == [b"one", b"", b"three"]
    assert all(t.complete and t.reason is None for t in txs)
    assert [t.index for t in txs] == [0, 1, 2]


@pytest.mark.parametrize("mode", ["whole", "bytewise"])
def test_conversation_keep_alive(mode):
    conv = HttpConversation()
    txs = []
    frame = 0
    for i in range(3):
        request = b"GET /page%d HTTP/1.1\r\nHost: example.com\r\n\r\n" % i
        response = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\npage%d" % i
        for role, data in (("client", request), ("server", response)):
            pieces = [data] if mode == "whole" else [data[j : j + 1] for j in range(len(data))]
            for piece in pieces:
                frame += 1
                txs += conv.receive_data(role, piece, frame, frame)
        assert len(txs) == i + 1  # each transaction is handed out as soon as its response ends
    txs += conv.close()
    assert [t.response_body.data for t in txs] == [b"page0", b"page1", b"page2"]
    assert all(t.complete for t in txs)


def test_conversation_100_continue():
    _conv, txs = run_conversation([
        ("client", REQ_100_CONTINUE[: REQ_100_CONTINUE.index(b"hello")]),
        ("server", RESP_100_CONTINUE[: RESP_100_CONTINUE.index(b"HTTP/1.1 201")]),
        ("client", b"hello world"),
        ("server", RESP_100_CONTINUE[RESP_100_CONTINUE.index(b"HTTP/1.1 201") :]),
    ])
    (tx,) = txs
    assert [r.status for r in tx.interim] == [100]
    assert tx.response.status == 201 and tx.complete
    assert tx.request_body.data == b"hello world" and tx.response_body.data == b"ok"
    assert tx.interim[0].first_frame == 2 and tx.response.first_frame == 4


def test_conversation_gzip_body_stored_raw_and_decoded():
    _conv, txs = run_conversation([("client", b"GET /t HTTP/1.1\r\n\r\n"), ("server", RESP_CHUNKED_GZIP)])
    (tx,) = txs
    assert tx.response_body.data == TEXT_GZ and tx.response_body.decoded == TEXT
    assert not tx.response_body.truncated and not tx.response_body.decoded_truncated


def test_conversation_body_storage_is_bounded():
    _conv, txs = run_conversation([("client", b"GET /t HTTP/1.1\r\n\r\n"), ("server", RESP_CHUNKED_GZIP)],
                                 body_limit=100)
    (tx,) = txs
    body = tx.response_body
    assert (body.data, body.truncated) == (TEXT_GZ[:100], True)
    assert (body.decoded, body.decoded_truncated) == (TEXT[:100], True)
    assert tx.response_end.body_length == len(TEXT_GZ) and tx.response_end.decoded_length == len(TEXT)
    assert tx.complete  # storage limits do not make the message incomplete


def test_conversation_response_cut_by_end_of_capture():
    _conv, txs = run_conversation([("client", b"GET / HTTP/1.1\r\n\r\n"),
                                  ("server", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")])
    (tx,) = txs
    assert (tx.complete, tx.reason, tx.request_complete, tx.response_complete) == (False, CAPTURE_ENDED, True, False)


def test_conversation_request_without_response():
    _conv, txs = run_conversation([("client", b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"),
                                  ("server", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
                                  ("server", None)])
    assert [(t.request.target, t.complete, t.reason) for t in txs] == [
        ("/a", True, None), ("/b", False, CONNECTION_CLOSED)]


def test_conversation_gap_reasons():
    _conv, txs = run_conversation([
        ("client", b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"),
        ("server", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01"),
        ("server", 3000),  # the rest of /a's response and /b's whole response are lost
    ])
    assert [(t.request.target, t.complete, t.reason) for t in txs] == [("/a", False, GAP), ("/b", False, GAP)]


def test_conversation_server_not_http():
    conv, txs = run_conversation([("client", b"GET / HTTP/1.1\r\n\r\n"), ("server", b"\x15\x03\x01\x00\x02\x02\x46")])
    (tx,) = txs
    assert (tx.complete, tx.reason, tx.response) == (False, NOT_HTTP, None)
    assert [role for role, _ in conv.malformed] == ["server"]


def test_conversation_response_without_request():
    _conv, txs = run_conversation([("client", 0), ("server", RESP_CONTENT_LENGTH)])
    (tx,) = txs
    assert tx.request is None and tx.response.status == 200 and tx.reason == GAP
    _conv, txs = run_conversation([("server", RESP_CONTENT_LENGTH)])
    assert txs[0].reason == NO_REQUEST


def test_conversation_early_final_response_while_request_body_is_sent():
    _conv, txs = run_conversation([
        ("client", b"POST /big HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234"),
        ("server", b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n"),
        ("client", b"56789"),
    ])
    (tx,) = txs
    assert tx.response.status == 413 and tx.request_body.data == b"0123456789" and tx.complete


# ---------------------------------------------------------------------------------------------- misuse


def test_programming_errors_raise():
    with pytest.raises(ValueError):
        HttpStreamParser("proxy")
    parser = make_parser("client")
    with pytest.raises(ValueError):
        parser.receive_gap(-1)
    parser.receive_eof(1, 1)
    with pytest.raises(RuntimeError):
        parser.receive_data(b"GET / HTTP/1.1\r\n\r\n", 2, 2)
    with pytest.raises(RuntimeError):
        parser.receive_eof(3, 3)
    with pytest.raises(ValueError):
        HttpConversation().receive_data("proxy", b"x", 1, 1)


def test_events_are_frozen():
    parser = make_parser("client")
    (request, _) = feed(parser, b"GET / HTTP/1.1\r\n\r\n", "whole")
    with pytest.raises(AttributeError):
        request.method = "POST"


# ---------------------------------------------------------------------------------------------- fuzz


def random_session(rng: random.Random, parser: HttpStreamParser, data: bytes) -> list:
    """Feed ``data`` in random pieces with occasional gaps, then end the stream; return every event."""
    events = []
    i = frame = 0
    while i < len(data):
        n = rng.choice((1, 2, 3, 7, 64, 500, 5000))
        frame += 1
        if rng.random() < 0.03:
            parser.receive_gap(rng.choice((0, 1, n)))
        else:
            parser.receive_data(data[i : i + n], frame, frame)
        i += n
        events += drain(parser)
    parser.receive_eof(frame + 1, frame + 1, rng.choice((CAPTURE_ENDED, CONNECTION_CLOSED, CONNECTION_RESET)))
    return events + drain(parser)


def mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        if not buf:
            break
        op = rng.random()
        pos = rng.randrange(len(buf))
        if op < 0.3:
            buf[pos] = rng.randrange(256)
        elif op < 0.5:
            buf[pos:pos] = rng.choice((b"\r\n", b"\n", b":", b" ", b"0", b"\r\n\r\n", b"HTTP/1.1 ", bytes([rng.randrange(256)])))
        elif op < 0.7:
            del buf[pos : pos + rng.randint(1, 8)]
        elif op < 0.85:
            buf[pos:pos] = buf[rng.randrange(len(buf)) :][: rng.randint(1, 40)]
        else:
            del buf[pos:]
    return bytes(buf)


ALL_BY_ROLE = {
    role: [data for r, _, data, _, _ in FIXTURES.values() if r == role] for role in ("client", "server")
}


@pytest.mark.parametrize("role", ["client", "server"])
def test_fuzz_random_bytes(role):
    rng = random.Random(1234 if role == "client" else 4321)
    for _ in range(300):
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
        if rng.random() < 0.5:  # sometimes behind a valid message, so resync paths run
            data = rng.choice(ALL_BY_ROLE[role]) + data
        parser = make_parser(role, rng.choice(((), ("HEAD",), ("CONNECT",), ("GET", "HEAD"))))
        if rng.random() < 0.2:
            parser.receive_gap(0)
        check_grammar(random_session(rng, parser, data), role, closed=True)


@pytest.mark.parametrize("role", ["client", "server"])
def test_fuzz_mutated_fixtures(role):
    rng = random.Random(99 if role == "client" else 77)
    fixtures = ALL_BY_ROLE[role]
    for _ in range(1500):
        data = b"".join(mutate(rng, rng.choice(fixtures)) for _ in range(rng.randint(1, 3)))
        parser = make_parser(role, rng.choice(((), ("HEAD",), ("GET", "GET", "GET"))), max_head_size=rng.choice((256, 65536)))
        check_grammar(random_session(rng, parser, data), role, closed=True)


def test_fuzz_conversation():
    rng = random.Random(2024)
    for _ in range(300):
        conv = HttpConversation(body_limit=rng.choice((0, 10, 1 << 20)))
        client = b"".join(mutate(rng, rng.choice(ALL_BY_ROLE["client"])) for _ in range(2))
        server = b"".join(mutate(rng, rng.choice(ALL_BY_ROLE["server"])) for _ in range(2))
        pos = {"client": 0, "server": 0}
        streams = {"client": client, "server": server}
        out, frame = [], 0
        while any(pos[r] < len(streams[r]) for r in streams):
            role = rng.choice([r for r in streams if pos[r] < len(streams[r])])
            n = rng.randint(1, 200)
            frame += 1
            if rng.random() < 0.03:
                out += conv.receive_gap(role, n)
            else:
                out += conv.receive_data(role, streams[role][pos[role] : pos[role] + n], frame, frame)
            pos[role] += n
        out += conv.close()
        assert [t.index for t in out] == sorted(t.index for t in out)
        for t in out:
            assert t.complete == (t.reason is None)
            assert t.request is not None or t.response is not None or t.interim


# ---------------------------------------------------------------------------------------------- performance


def test_large_body_in_small_chunks_is_linear():
    body = bytes(range(256)) * (16 * 1024 * 4)  # 16 MiB
    parser = make_parser("server")
    parser.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body), 1, 1)
    started = time.perf_counter()
    total = 0
    for i in range(0, len(body), 1448):
        parser.receive_data(body[i : i + 1448], 2, 2)
        while (ev := parser.next_event()) is not NEED_DATA:
            if isinstance(ev, Data):
                total += len(ev.data)
    assert total == len(body)
    assert time.perf_counter() - started < 20  # about 0.1 s; quadratic buffering would take minutes


def test_large_header_block_one_byte_at_a_time_is_linear():
    head = b"GET / HTTP/1.1\r\n" + b"".join(b"X-Header-%05d: %s\r\n" % (i, b"v" * 40) for i in range(1000)) + b"\r\n"
    assert len(head) < 64 * 1024
    parser = make_parser("client")
    started = time.perf_counter()
    events = feed(parser, head, "bytewise")
    assert len(events[0].headers) == 1000
    assert time.perf_counter() - started < 20  # about 0.3 s; re-searching the buffer would be quadratic
