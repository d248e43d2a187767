"""Lean HTTP/1 heads (read's lines, no records): ``HttpStreamParser.lean`` finds only the header fields a
message's framing and Info text read (``readers.framing_fields``) and ``count_body`` counts a chunk inside a
body without an event. What they give must be what the full parser gives, projected on what the lines read:
the same events, in the same order, with the same frames, framing and lengths, whose headers are the full
parser's framing fields (names lowercase) -- on crafted streams whose heads take every path of the scan (odd
case, blanks before the colon, obs-fold, duplicate or invalid Content-Length, chunked with extensions and
trailers, a body holding a blank line, HEAD/304/1xx/101/CONNECT, pipelining), fed whole, a byte at a time and
in random pieces, with gaps and every kind of end."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from analyzer.apps.http.conversation import HttpConversation
from analyzer.apps.http.events import (
    CAPTURE_ENDED,
    CONNECTION_CLOSED,
    CONNECTION_RESET,
    Data,
    EndOfMessage,
    Request,
    Response,
)
from analyzer.apps.http.headers import Headers
from analyzer.apps.http.parser import CLIENT, SERVER
from analyzer.apps.http.readers import FRAMING_FIELDS, framing_fields, parse_fields, split_lines

NAMES = {key[1:].decode() for key in FRAMING_FIELDS}


def projected(headers: Headers) -> Headers:
    """The full parser's headers as a lean head holds them: the framing fields, names lowercase."""
    return Headers([(n.lower(), v) for n, v in headers if n.lower() in NAMES])


def full_fields(block: bytes) -> Headers:
    lines, _bare = split_lines(block)
    return projected(parse_fields(lines[1:], {}))


def by_name(headers: Headers) -> dict[str, list[str]]:
    """What any lookup of a Headers sees: each name's values in wire order (the order between names is not
    read by get, get_all, tokens or ``in``)."""
    out: dict[str, list[str]] = {}
    for n, v in headers:
        out.setdefault(n, []).append(v)
    return out


BLOCKS = [
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/html; charset=utf-8\r\n\r\n",
    b"HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh:5\r\nCONTENT-TYPE:   image/png  \r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length : 7\r\nContent-Type\t:\ttext/plain\t\r\n\r\n",     # blanks before ':'
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",                # duplicate, same
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",                # conflicting
    b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 12345678901234567890\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Lengthy: 5\r\nX-Content-Length: 9\r\nContent-Length 4\r\n\r\n",  # not it
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 10\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Encoding: x-gzip, identity\r\n\r\n",
    b"HTTP/1.1 200 OK\nContent-Length: 3\nContent-Type: a/b\n\n",                        # bare LF
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\r\nContent-Type: a/b\r\n\r\n",              # CR CR
    b"HTTP/1.1 200 OK\r\nContent-Type: \xe9t\xe9\r\nUpgrade: websocket\r\n\r\n",         # latin-1
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n folded; charset=x\r\n\r\n",         # obs-fold
    b"HTTP/1.1 200 OK\r\nX: y\r\n\tContent-Length: 5\r\n\r\n",                           # fold, not a field
    b"GET / HTTP/1.1\r\nUpgrade: h2c\r\nUpgrade:\r\nupgrade : x\r\n\r\n",
    b"GET / HTTP/1.1\r\n: empty name\r\nContent-Type\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Type: a\r\ncontent-type: b\r\nContent-Length: 0\r\n\r\n",
    b"GET / HTTP/1.1\r\nContent-Type:\r\n\r\n",
    b"GET /content-length: HTTP/1.1\r\n\r\n",                                               # in the start line
]


@pytest.mark.parametrize("block", BLOCKS)
def test_framing_fields_are_parse_fields(block):
    got = framing_fields(block)
    if b"\n " in block or b"\n\t" in block:
        assert got is None          # obsolete line folding: the full parser decides
        return
    assert by_name(got) == by_name(full_fields(block))
    cut = block[: block.rstrip(b"\r\n").rfind(b"\n") + 1]      # a head cut by a gap: its whole lines
    assert by_name(framing_fields(cut)) == by_name(full_fields(cut))


_PIECES = [b"Content-Length", b"content-length", b"CONTENT-TYPE", b"Content-Type", b"Transfer-Encoding",
           b"transfer-encoding", b"Content-Encoding", b"Upgrade", b"upgradE", b"Content-Lengths", b"X-Upgrade",
           b":", b" ", b"\t", b"\r", b"5", b"12", b"chunked", b"gzip", b",", b"text/html", b";", b"\xff", b"a"]


def test_framing_fields_random_blocks():
    """Random header lines made of the names and the characters the scan decides on: the same fields as
    parse_fields, or None for a block with a line that begins with a blank."""
    rng = random.Random(12)
    checked = 0
    for _ in range(4000):
        lines = [b"".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(0, 6))]
        end = rng.choice([b"\r\n", b"\n"])
        block = b"HTTP/1.1 200 OK" + end + b"".join(line + rng.choice([b"\r\n", b"\n"]) for line in lines
                                                   if line not in (b"", b"\r")) + end
        got = framing_fields(block)
        if got is None:
            assert b"\n " in block or b"\n\t" in block
            continue
        assert by_name(got) == by_name(full_fields(block)), block
        checked += 1
    assert checked > 2000


REQUESTS = [
    b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
    b"HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /c HTTP/1.1\r\ncontent-LENGTH: 11\r\nContent-Type: text/plain\r\n\r\nhello\r\n\r\nab",
    (b"POST /d HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;ext=1\r\nhello\r\n3 ; a=b\r\n\r\n\r\n0\r\nTrailer: x\r\n\r\n"),
    b"GET /e HTTP/1.1\r\nHost: x\r\n\r\n",
    b"PUT /f HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
    b"GET /g HTTP/1.1\r\nX: y\r\n folded\r\n\r\n",
    b"GET /h HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
]
RESPONSES = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/html\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: text/html\r\n\r\n",    # HEAD: no body
    (b"HTTP/1.1 201 Created\r\nTRANSFER-ENCODING: chunked\r\nContent-Type: a/b; q=1\r\n\r\n"
    b"4;x=y\r\n\r\n\r\n\r\n0\r\nExpires: never\r\n\r\n"),
    b"HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\nContent-Type:x/y\r\n\r\nok",
    b"HTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n folded\r\nContent-Length: 1\r\n\r\n!",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc",
]


def _streams(case: str) -> tuple[list[bytes], list[bytes], str]:
    if case == "pipelined":
        return REQUESTS, RESPONSES, CONNECTION_CLOSED
    if case == "until close":
        return ([b"GET / HTTP/1.0\r\n\r\n"],
                [b"HTTP/1.0 200 OK\r\nContent-type: text/plain\r\n\r\nall of it\r\n\r\nuntil the end"], CONNECTION_CLOSED)
    if case == "bad length":
        return ([b"GET / HTTP/1.1\r\n\r\n", b"GET /2 HTTP/1.1\r\n\r\n"],
                [b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
                 b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"], CONNECTION_RESET)
    if case == "switch":
        return ([b"GET /ws HTTP/1.1\r\nupgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello"],
                [b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi"], CAPTURE_ENDED)
    if case == "connect":
        return ([b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n\x16\x03\x01"],
                [b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03"], CAPTURE_ENDED)
    if case == "cut body":      # the end comes inside a body of known length: its last frame is a counted one
        return ([b"GET / HTTP/1.1\r\n\r\n"],
                [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: a/b\r\n\r\n" + b"x" * 30], CAPTURE_ENDED)
    raise AssertionError(case)


def _split(data: bytes, how: str, rng: random.Random) -> list[bytes]:
    if how == "whole":
        return [data]
    if how == "bytes":
        return [data[i:i + 1] for i in range(len(data))]
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(1, 12))))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


def _tap(conv: HttpConversation, events: list) -> None:
    """Record in ``events`` each (role, message event) the conversation's two parsers hand to it."""
    for parser, role in ((conv.client, CLIENT), (conv.server, SERVER)):
        original = parser.next_event

        def tap(original=original, role=role):
            event = original()
            if isinstance(event, Request | Response | Data | EndOfMessage):
                events.append((role, event))
            return event
        parser.next_event = tap


def _run(case: str, how: str, lean: bool, seed: int, gap: bool) -> list:
    """The events of a conversation fed the case's streams (the client's whole stream first in pieces, then
    the server's, each piece a frame), as the parsers hand them to the conversation."""
    requests, responses, end = _streams(case)
    rng = random.Random(seed)
    conv = HttpConversation()
    events: list = []
    for parser in (conv.client, conv.server):
        parser.keep_lines = parser.keep_body = False
        parser.lean = lean
    _tap(conv, events)
    frame = 0

    def feed(role, parser, data):
        nonlocal frame
        for piece in _split(data, how, rng):
            frame += 1
            if lean and conv.count_body(parser, piece, frame * 10, frame):
                events.append((role, "counted", frame))
            else:
                conv.receive_data(role, piece, frame * 10, frame)
    feed(CLIENT, conv.client, b"".join(requests))
    server = b"".join(responses)
    if gap:         # a hole in the middle of the server's stream: resync, or a body stepped over
        cut = len(server) // 2
        feed(SERVER, conv.server, server[:cut])
        conv.receive_gap(SERVER, 7)
        feed(SERVER, conv.server, server[cut + 7:])
    else:
        feed(SERVER, conv.server, server)
    frame += 1
    conv.receive_eof(CLIENT, frame * 10, frame, end)
    conv.receive_eof(SERVER, frame * 10, frame, end)
    conv.close()
    return [_key(e) for e in events]


def _key(item):
    role, event = item[0], item[1]
    if event == "counted":
        return item
    if isinstance(event, Request | Response):
        # a lean head's headers are the framing fields (what a lookup sees of them); its notes the start line's
        return role, replace(event, headers=tuple(sorted(by_name(projected(event.headers)).items())), notes=())
    if isinstance(event, EndOfMessage):
        # a lean body is not content-decoded: the decoded form's length, error and truncation are not known
        return role, replace(event, decoded_length=None, decode_error=None, decoded_truncated=False)
    return role, event


def _read(events: list) -> list:
    """What read's lines take of the events: heads and ends (the Data events hold body bytes, which only
    records keep: a lean body chunk of known length is counted without one, a decoded form is not made)."""
    return [e for e in events if e[1] != "counted" and not isinstance(e[1], Data)]


CASES = ["pipelined", "until close", "bad length", "switch", "connect", "cut body"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("how", ["whole", "bytes", "random"])
@pytest.mark.parametrize("gap", [False, True])
def test_lean_events_are_the_full_parsers(case, how, gap):
    for seed in range(3 if how == "random" else 1):
        full = _run(case, how, False, seed, gap)
        lean = _run(case, how, True, seed, gap)
        assert _read(lean) == _read(full)
        if case != "pipelined":     # no content-coding: the same Data events (a counted chunk: none)
            assert [e for e in lean if e[1] != "counted"] == full
        assert any(isinstance(e[1], Request) for e in lean)
        assert gap or any(isinstance(e[1], Response) for e in lean)
        if how == "bytes" and case == "pipelined" and not gap:
            assert sum(e[1] == "counted" for e in lean) > 10       # the counting path ran
