"""The compiled head scanner (``_speedups.http_head``, HttpStreamParser's fast path for plain heads) against the
Python path: where it reads a head, what it gives must be what readers.py's functions give for the same bytes
(start line, fields as parse_fields or framing_fields give them, raw lines, the head's length, the framing
facts); where the Python path would note a leniency (bare LF, obs-fold, blanks before a colon, a bad name, a
malformed or lowercase request line...) it must decline; and the parser must give the same events with it as
without it -- on crafted heads, on heads damaged byte by byte, whole, cut, and fed in random pieces."""

from __future__ import annotations

import random

import pytest

from analyzer.apps.http import parser as parser_mod
from analyzer.apps.http.events import CAPTURE_ENDED, CONNECTION_CLOSED
from analyzer.apps.http.headers import content_length
from analyzer.apps.http.parser import CLIENT, SERVER, HttpStreamParser
from analyzer.apps.http.readers import (
    HEAD_END,
    KNOWN_METHODS,
    framing_fields,
    parse_fields,
    parse_request_line,
    parse_status_line,
    raw_lines,
    split_lines,
)
from analyzer.compiled import compiled

http_head = compiled("http_head")
pytestmark = pytest.mark.skipif(http_head is None, reason="the compiled helper (with http_head) is not built")

MAX = 64 * 1024

REQUESTS = [
    b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    b"GET /index.html?q=1&r=%20 HTTP/1.1\r\nHost: a\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n\r\n",
    b"POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n",
    b"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"POST /up HTTP/1.0\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n",
    b"PUT /x HTTP/1.1\r\ncontent-length:0\r\n\r\n",
    b"HEAD / HTTP/1.0\r\n\r\n",
    b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET   /spaces   HTTP/1.1 \t\r\nX-Empty:\r\nX-Blank: \t \r\nX-Inner: a \t b\r\n\r\n",
    b"GET /\xc3\xa9t\xe9 HTTP/1.1\r\nHost: h\xe9st\r\nCookie: a=1; b=2\r\n\r\n",
    b"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\n\r\n",
    b"M-SEARCH * HTTP/1.1\r\nHost: 239.255.255.250:1900\r\nMan: \"ssdp:discover\"\r\n\r\n",
    b"POST /a HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello",
    b"POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    b"POST /a HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
    b"POST /a HTTP/1.1\r\nContent-Length: \r\n\r\n",
    b"POST /a HTTP/1.1\r\nContent-Length: 0005\r\n\r\nhello",
    b"POST /a HTTP/1.1\r\nContent-Length: 123456789012345678\r\n\r\n",
    b"POST /a HTTP/1.1\r\nContent-Length: 1234567890123456789\r\n\r\n",
    b"POST /a HTTP/1.1\r\nContent-Length: 12345678901234567890\r\n\r\n",
    b"POST /a HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
    b"POST /a HTTP/1.1\r\nContent-Length: \xb2\r\n\r\n",
    b"POST /a HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nabcd",
    b"GET / HTTP/1.1\r\nTransfer-Encoding: \r\nContent-Length: 2\r\n\r\nok",
    b"FOO / HTTP/1.1\r\nHost: a\r\n\r\n",                          # a token no list knows: the Python path
    b"get / HTTP/1.1\r\nHost: a\r\n\r\n",                          # lowercase: a note
    b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1x\r\nHost: a\r\n\r\n",
    b"GET /\r\n\r\n",
    b"GET / HTTP/1.\r\nHost: a\r\n\r\n",
    b"GET /a b HTTP/1.1\r\n\r\n",
    b"GET\t/ HTTP/1.1\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n\r\n",                                     # a status line where a request goes
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG / HTTP/1.1\r\n\r\n",       # a 33-byte method
]

RESPONSES = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/html; charset=utf-8\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
    b"HTTP/1.0 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz",
    b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nxyz",
    b"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\n",
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 \t\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1  404  Not   Found \r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200\tOK\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 Ok \xe9\xff\x7f\r\nServer: s\xe9rver\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close",
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
    b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabc",
    b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nabc",
    b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 2000 OK\r\n\r\n",
    b"HTTP/1.1 20 OK\r\n\r\n",
    b"HTTP/2.0 200 OK\r\n\r\n",
    b"HTTP/1.1200 OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n\r\n",
    b"GET / HTTP/1.1\r\n\r\n",                                       # a request line where a status goes
]

ODD_HEADS = [     # (role, head): the Python path notes something or reads them its own way: the scanner declines
    (CLIENT, b"GET / HTTP/1.1\nHost: a\n\n"),                                   # bare LF
    (CLIENT, b"GET / HTTP/1.1\r\nHost: a\n\r\n"),
    (CLIENT, b"GET / HTTP/1.1\r\nHost: a\r\n\n"),
    (CLIENT, b"GET / HTTP/1.1\r\nHost: a\r\r\n\r\n"),                           # CR alone
    (CLIENT, b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"),
    (CLIENT, b"GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n"),                        # NUL
    (CLIENT, b"GET / HTTP/1.1\r\nHost: a\x1b\r\n\r\n"),
    (CLIENT, b"GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n"),                        # obs-fold
    (CLIENT, b"GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\n\r\n"),
    (CLIENT, b"GET / HTTP/1.1\r\n Host: a\r\n\r\n"),
    (CLIENT, b"GET / HTTP/1.1\r\nHost : a\r\n\r\n"),                            # blanks before the colon
    (CLIENT, b"GET / HTTP/1.1\r\nContent-Length\t: 5\r\n\r\nhello"),
    (CLIENT, b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n"),
    (CLIENT, b"GET / HTTP/1.1\r\n: empty name\r\n\r\n"),
    (CLIENT, b"GET / HTTP/1.1\r\nBad(name): x\r\n\r\n"),
    (CLIENT, b"GET / HTTP/1.\r\n\r\n"),
    (CLIENT, b"GET / HTTP/2.0\r\n\r\n"),
    (CLIENT, b"GET / HTTP/1.1"),                                                # not whole yet
    (CLIENT, b"GET / HTTP/1.1\r\nHost: a\r\n"),
    (CLIENT, b"GET / HTTP/1.1\r\nHost: a\r\n\r"),
    (SERVER, b"HTTP/1.1 200 OK\nContent-Length: 0\n\n"),
    (SERVER, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n \r\n\r\n"),
    (SERVER, b"HTTP/1.1 200 O\x00K\r\n\r\n"),
    (SERVER, b"HTTP/1.1 200 OK\r\r\n\r\n"),
    (SERVER, b"HTTP/1.1 2000\r\n\r\n"),
    (SERVER, b"HTTP/3.0 200 OK\r\n\r\n"),
    (SERVER, b"HTTP/1.1 200 OK\r\nX: 1\r\n"),
]


def _scan(head: bytes, client: bool, lean: bool, keep_lines: bool, pos: int = 0, max_head: int = MAX):
    return http_head(bytearray(head), pos, client, lean, keep_lines, max_head)


def python_reading(head: bytes, client: bool, lean: bool, keep_lines: bool):
    """What readers.py makes of a whole head at the start of ``head``, in http_head's shape, or None when it
    notes a leniency (a plain head has none)."""
    nl = head.find(b"\n")
    line = head[:nl]
    line = line[:-1] if line.endswith(b"\r") else line
    start, note = (parse_request_line if client else parse_status_line)(line)
    if start is None or (note is not None and not note.startswith("method ")):  # the caller checks the method
        return None
    m = HEAD_END.search(head, nl)
    block = head[: m.end()]
    lines, bare_lf = split_lines(block)
    notes: dict[str, None] = {}
    headers = parse_fields(lines[1:], notes)
    if bare_lf or notes:
        return None
    if lean:
        headers = framing_fields(block)
    names = [n.lower() for n, _ in parse_fields(lines[1:], {})]
    flags = sum(bit for bit, name in ((1, "transfer-encoding"), (2, "content-length"), (4, "upgrade"),
                                       (8, "content-encoding")) if name in names)
    return (len(block), *start[:2], start[2], list(headers), raw_lines(block) if keep_lines else (), flags)


def check_head(head: bytes, client: bool) -> bool:
    """The scanner on ``head`` (every option) against the Python reading; True when it read the head."""
    read = False
    for lean in (False, True):
        for keep_lines in (False, True):
            got = _scan(head, client, lean, keep_lines)
            if got is None:
                continue
            read = True
            expected = python_reading(head, client, lean, keep_lines)
            assert expected is not None, (head, "read by the scanner, noted by the Python path")
            assert got[:7] == expected, (head, lean, keep_lines)
            length, error = content_length(parse_fields(split_lines(head[: got[0]])[0][1:], {}))
            clen = got[7]
            if clen >= 0:
                assert (length, error) == (clen, None), head
            else:   # -1: the Python path decides; never for a single plain value it could have given
                values = [v for n, v in parse_fields(split_lines(head[: got[0]])[0][1:], {})
                          if n.lower() == "content-length"]
                assert not (len(values) == 1 and values[0].isascii() and values[0].isdigit()
                            and len(values[0]) <= 18), head
    return read


def events(role: str, chunks: list[bytes], fast: bool, monkeypatch, *, lean=False, keep_lines=True,
           methods=("GET",), end=CONNECTION_CLOSED, gap_at=None):
    monkeypatch.setattr(parser_mod, "_http_head", http_head if fast else None)
    p = HttpStreamParser(role)
    p.lean, p.keep_lines = lean, keep_lines
    if lean:
        p.keep_body = False
    for method in methods:
        p.expect_response(method)
    out = []
    for i, chunk in enumerate(chunks):
        if gap_at == i:
            p.receive_gap(7)
        p.receive_data(chunk, 1000 + i, i + 1)
        while (ev := p.next_event()) is not parser_mod.NEED_DATA:
            out.append(ev)
    p.receive_eof(9999, len(chunks) + 1, end)
    while (ev := p.next_event()) is not parser_mod.NEED_DATA:
        out.append(ev)
    return out, (p.state, p.skipped, p.not_http, p.switched)


def same_events(role: str, chunks: list[bytes], monkeypatch, **kw) -> None:
    assert events(role, chunks, True, monkeypatch, **kw) == events(role, chunks, False, monkeypatch, **kw)


@pytest.mark.parametrize("head", REQUESTS)
def test_requests_read_as_the_python_path_reads_them(head):
    check_head(head, True)


@pytest.mark.parametrize("head", RESPONSES)
def test_responses_read_as_the_python_path_reads_them(head):
    check_head(head, False)


def test_plain_heads_are_read():
    """The fast path is taken: every plain head of the lists is read (not declined wholesale)."""
    plain = [h for h in REQUESTS if python_reading(h, True, False, True) is not None] + \
        [h for h in RESPONSES if python_reading(h, False, False, True) is not None]
    assert len(plain) > 40
    for head in plain:
        client = not head.startswith(b"HTTP/")
        assert _scan(head, client, False, True) is not None or (
            client and head.split(b" ", 1)[0].decode() not in KNOWN_METHODS), head


def test_read_parts():
    """One head read by hand: the tuple's parts as documented in _speedups.c."""
    head = b"POST /a?b HTTP/1.0\r\nHost:  x \r\nContent-Length: 12\r\ncontent-TYPE:text/html\r\n\r\nbody"
    assert _scan(head, True, False, True) == (
        len(head) - 4, "POST", "/a?b", "HTTP/1.0",
        [("Host", "x"), ("Content-Length", "12"), ("content-TYPE", "text/html")],
        ("Host:  x \r\n", "Content-Length: 12\r\n", "content-TYPE:text/html\r\n"), 2, 12)
    assert _scan(head, True, True, False) == (
        len(head) - 4, "POST", "/a?b", "HTTP/1.0", [("content-length", "12"), ("content-type", "text/html")],
        (), 2, 12)
    assert _scan(b"xx" + head, True, False, False, pos=2)[:3] == (len(head) - 4, "POST", "/a?b")
    resp = b"HTTP/1.1 503  Busy \r\nTransfer-Encoding: chunked\r\nUpgrade: h2c\r\nContent-Encoding: br\r\n\r\n"
    assert _scan(resp, False, False, False) == (
        len(resp), 503, "Busy ", "HTTP/1.1",
        [("Transfer-Encoding", "chunked"), ("Upgrade", "h2c"), ("Content-Encoding", "br")], (), 1 | 4 | 8, -1)


@pytest.mark.parametrize("role,head", ODD_HEADS)
def test_odd_heads_are_left_to_the_python_path(role, head):
    for lean in (False, True):
        assert _scan(head, role == CLIENT, lean, True) is None


@pytest.mark.parametrize("method", ["get", "FOO", "Post"])
def test_methods_not_known_take_the_python_path(method, monkeypatch):
    """The scanner reads any token as a method; the parser takes only the known ones from it (a lowercase one
    gets the Python path's note)."""
    head = method.encode() + b" / HTTP/1.1\r\nHost: a\r\n\r\n"
    assert _scan(head, True, False, True)[1] == method
    same_events(CLIENT, [head], monkeypatch)
    (request, _end), _ = events(CLIENT, [head], True, monkeypatch)
    assert request.notes == (() if method == "FOO" else
                             (f"method {method!r} is not {method.upper()!r}: methods are case-sensitive (RFC 9110 9.1)",))


def test_head_size_limit():
    head = b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 200 + b"\r\n\r\n"
    assert _scan(head, True, False, False, max_head=len(head))[0] == len(head)
    assert _scan(head, True, False, False, max_head=len(head) - 1) is None


@pytest.mark.parametrize("seed", range(40))
def test_damaged_heads(seed, monkeypatch):
    """Heads damaged byte by byte (a byte replaced, inserted or removed): the scanner reads them as the Python
    path does or declines, and the parser's events are the same with it and without it."""
    rng = random.Random(seed)
    noise = b"\r\n\t :\x00\x7f\xe9,;/0123456789aAzZ-"
    read = 0
    for _ in range(60):
        client = rng.random() < 0.5
        head = bytearray(rng.choice(REQUESTS if client else RESPONSES))
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(head) + 1)
            kind = rng.random()
            if kind < 0.4 and i < len(head):
                head[i] = rng.choice(noise)
            elif kind < 0.8:
                head[i:i] = bytes([rng.choice(noise)])
            elif i < len(head):
                del head[i]
        head = bytes(head)
        read += check_head(head, client)
        role = CLIENT if client else SERVER
        tail = rng.choice([b"", b"GET /next HTTP/1.1\r\n\r\n" if client else b"HTTP/1.1 200 OK\r\n\r\n"])
        same_events(role, [head + tail], monkeypatch)
        same_events(role, [head + tail], monkeypatch, lean=True, keep_lines=False)
    assert read    # some damaged heads stay plain: the scanner reads them (and agrees)


@pytest.mark.parametrize("seed", range(20))
def test_streams_in_pieces(seed, monkeypatch):
    """Several messages in a row, cut anywhere (heads split over segments), with a gap or a reset sometimes,
    the methods a server needs (HEAD, CONNECT): the same events with the scanner as without."""
    rng = random.Random(1000 + seed)
    for role, pool in ((CLIENT, REQUESTS), (SERVER, RESPONSES)):
        stream = b"".join(rng.choice(pool[:20]) for _ in range(rng.randint(1, 6)))
        cuts = sorted(rng.sample(range(1, len(stream)), min(len(stream) - 1, rng.randint(0, 8))))
        chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
        methods = tuple(rng.choice(["GET", "GET", "HEAD", "POST", "CONNECT"]) for _ in range(8))
        gap_at = rng.choice([None, None, rng.randrange(len(chunks))])
        end = rng.choice([CONNECTION_CLOSED, CAPTURE_ENDED])
        for lean in (False, True):
            same_events(role, chunks, monkeypatch, lean=lean, keep_lines=not lean, methods=methods, end=end,
                        gap_at=gap_at)


def test_the_fast_path_is_taken(monkeypatch):
    """The parser calls the scanner for a new head and uses what it read."""
    calls = []

    def spy(*args):
        out = http_head(*args)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(parser_mod, "_http_head", spy)
    p = HttpStreamParser(CLIENT)
    p.receive_data(REQUESTS[0] + REQUESTS[2] + b"hello world", 1, 1)
    assert calls == [True, True]
    assert [type(e).__name__ for e in iter(p.next_event, parser_mod.NEED_DATA)] == \
        ["Request", "EndOfMessage", "Request", "Data", "EndOfMessage"]


@pytest.mark.parametrize("upgrade", [b"Upgrade: websocket\r\n", b"uPgRaDe:h2c\r\n", b""])
def test_a_request_asking_to_switch(upgrade, monkeypatch):
    """A request with Upgrade, then bytes that are not HTTP: the client switched (no Malformed); without
    Upgrade they are not HTTP. The same with the scanner as without."""
    chunks = [b"GET /chat HTTP/1.1\r\nHost: a\r\n" + upgrade + b"\r\n", b"\x81\x05hello"]
    same_events(CLIENT, chunks, monkeypatch)
    same_events(CLIENT, chunks, monkeypatch, lean=True, keep_lines=False)
    evs, (_state, _skipped, _not_http, switched) = events(CLIENT, chunks, True, monkeypatch)
    assert switched == bool(upgrade)
    assert [type(e).__name__ for e in evs] == ["Request", "EndOfMessage"] + ([] if upgrade else ["Malformed"])


def test_content_coding_is_decoded(monkeypatch):
    """A gzip body after a plain head: decoded as the Python path decodes it."""
    import gzip
    body = gzip.compress(b"<html>hi</html>")
    stream = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    same_events(SERVER, [stream], monkeypatch)
    evs, _ = events(SERVER, [stream], True, monkeypatch)
    assert b"".join(e.decoded for e in evs if type(e).__name__ == "Data") == b"<html>hi</html>"
