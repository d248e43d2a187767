"""Page fetches written from a script of bytes: the input of the ``explain`` fuzz target (issue 14).

Mutating a capture's bytes mostly breaks its framing and checksums, so few mutants reach the explaining side
(fetch grouping, redirects, interim answers, HAR pages, the report's waterfall). Here each input is a program:
every step is one byte choosing an operation and the bytes after it choosing its arguments, and
:func:`build` plays it into a capture of well-formed frames: DNS lookups and their answers (or none, or an
error), TCP connections (answered, refused, never answered), HTTP requests and responses of every shape the
timeline tells apart (1xx, redirects to another host or port, chunked, cut), time passing, teardowns, holes,
retransmissions, ARP, ICMP errors, and raw bytes from the input in a connection. Any byte string is a
program; a short one is a short capture.

:func:`encode` writes a program from readable steps: the seeds (:func:`seed_programs`) are the fetches the
lab captures show, written this way, so the fuzzer starts from what the timeline explains fully.
"""

from __future__ import annotations

import struct

from fuzz.adversarial import ACK, FIN, MAC_C, MAC_S, PSH, RST, SYN, _check, _dns_name, eth, ipv4, tcp, udp

T0 = 1_700_000_000_000_000_000
CLIENTS = ("10.0.0.1", "10.0.0.3")
SERVERS = ("10.0.0.2", "10.0.0.4", "192.0.2.80")
RESOLVER = "10.0.0.53"
NAMES = ("www.example.com", "cdn.example.com", "api.example.net", "example.org")
PORTS = (80, 8080, 443, 8000)
PATHS = (b"/", b"/index.html", b"/s.css", b"/app.js", b"/img/a.png", b"/next", b"/form", b"/robots.txt")
STATUSES = (200, 204, 301, 302, 303, 307, 304, 100, 103, 404, 500, 206)
MAX_CONNS = 8
MAX_STEPS = 400

# operations, by the first byte of a step modulo their number
OPS = ("dns", "connect", "request", "response", "wait", "close", "retransmit", "hole", "arp", "icmp", "raw",
       "ack")


class _Input:
    def __init__(self, data: bytes):
        self.data, self.i = data, 0

    def byte(self) -> int:
        if self.i >= len(self.data):
            return 0
        self.i += 1
        return self.data[self.i - 1]

    def take(self, n: int) -> bytes:
        out = self.data[self.i:self.i + n]
        self.i += len(out)
        return out

    def done(self) -> bool:
        return self.i >= len(self.data)


class _Conn:
    def __init__(self, play: _Play, client: str, cport: int, server: str, sport: int):
        self.play, self.c, self.cp, self.s, self.sp = play, client, cport, server, sport
        self.seq = [1000 + cport * 7, 5000 + cport * 13]      # client's, server's next sequence numbers
        self.last: tuple[bool, int, bytes, int] | None = None

    def segment(self, from_client: bool, flags: int, payload: bytes = b"", advance: bool = True) -> None:
        me, peer = (0, 1) if from_client else (1, 0)
        src, dst, sp, dp = (self.c, self.s, self.cp, self.sp) if from_client else (self.s, self.c, self.sp, self.cp)
        ack = self.seq[peer] if flags & ACK else 0
        seg = tcp(src, dst, sp, dp, self.seq[me], ack, flags, payload)
        self.play.frame(eth(ipv4(src, dst, 6, seg), *((MAC_C, MAC_S) if from_client else (MAC_S, MAC_C))))
        self.last = (from_client, flags, payload, self.seq[me])
        if advance:
            self.seq[me] += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def send(self, from_client: bool, data: bytes, mss: int = 1400) -> None:
        for i in range(0, len(data), mss):
            self.segment(from_client, PSH | ACK, data[i:i + mss])
            self.play.tick()


class _Play:
    def __init__(self):
        self.frames: list[tuple[int, bytes]] = []
        self.now = T0
        self.conns: list[_Conn] = []
        self.ports = 40000

    def frame(self, data: bytes) -> None:
        self.frames.append((self.now, data))

    def tick(self, ns: int = 200_000) -> None:
        self.now += ns


def _request(inp: _Input) -> bytes:
    method = (b"GET", b"POST", b"HEAD", b"PUT")[inp.byte() % 4]
    path = PATHS[inp.byte() % len(PATHS)]
    host = NAMES[inp.byte() % len(NAMES)].encode()
    extra = inp.byte()
    head = method + b" " + path + b" HTTP/1." + (b"0" if extra & 0x80 else b"1") + b"\r\nHost: " + host + b"\r\n"
    if extra & 1:
        head += b"Referer: http://" + NAMES[0].encode() + b"/\r\n"
    body = b""
    if method in (b"POST", b"PUT"):
        body = b"a=1&b=" + b"x" * (extra & 0x3F)
        if extra & 2:
            head += b"Expect: 100-continue\r\n"
        head += b"Content-Length: " + str(len(body)).encode() + b"\r\n"
    return head + b"\r\n" + body


def _response(inp: _Input) -> bytes:
    status = STATUSES[inp.byte() % len(STATUSES)]
    shape = inp.byte()
    head = b"HTTP/1.1 %d X\r\n" % status
    if status in (301, 302, 303, 307):
        target = (b"http://" + NAMES[shape % len(NAMES)].encode() + b"/next",
                  b"http://" + NAMES[0].encode() + b":8080/next", b"/next", b"//cdn.example.com/a")[(shape >> 2) % 4]
        head += b"Location: " + target + b"\r\n"
    if status in (100, 103, 204, 304):
        return head + (b"Link: </s.css>; rel=preload\r\n" if status == 103 else b"") + b"\r\n"
    body = (b"<html><link href=/s.css><script src=/app.js></script><img src=/img/a.png>"
            + b"y" * (shape & 0x7F) + b"</html>")
    kind = (shape >> 4) % 4
    head += b"Content-Type: " + (b"text/html", b"text/css", b"application/javascript; charset=utf-8",
                                 b"image/png")[(shape >> 6) % 4] + b"\r\n"
    if kind == 0:
        return head + b"Content-Length: %d\r\n\r\n" % len(body) + body
    if kind == 1:
        return head + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    if kind == 2:
        return head + b"Content-Length: %d\r\n\r\n" % (len(body) + 50) + body       # cut short
    return head + b"Connection: close\r\n\r\n" + body                                   # ends with the connection


def _conn(play: _Play, inp: _Input) -> _Conn | None:
    if not play.conns:
        return None
    return play.conns[inp.byte() % len(play.conns)]


def _dns(play: _Play, inp: _Input) -> None:
    client = CLIENTS[inp.byte() % 2]
    name = _dns_name(NAMES[inp.byte() % len(NAMES)])
    how = inp.byte()
    qtype = 28 if how & 1 else 1
    ident = inp.byte() << 8 | inp.byte()
    port = 30000 + (ident % 30000)
    q = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + name + struct.pack("!HH", qtype, 1)
    play.frame(eth(ipv4(client, RESOLVER, 17, udp(client, RESOLVER, port, 53, q))))
    answer = (how >> 1) % 4                    # 0 address, 1 NXDOMAIN, 2 no answer, 3 CNAME then address
    if answer == 2:
        return
    play.tick(1_000_000 + (how >> 3) * 500_000)
    server = SERVERS[(how >> 5) % len(SERVERS)]
    rdata = bytes(int(p) for p in server.split(".")) if qtype == 1 else bytes(15) + b"\x02"
    rr = b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 60, len(rdata)) + rdata
    if answer == 1:
        a = struct.pack("!HHHHHH", ident, 0x8183, 1, 0, 0, 0) + name + struct.pack("!HH", qtype, 1)
    elif answer == 3:
        cname = _dns_name("cdn.example.com")
        a = (struct.pack("!HHHHHH", ident, 0x8180, 1, 2, 0, 0) + name + struct.pack("!HH", qtype, 1)
             + b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 60, len(cname)) + cname
             + bytes([0xC0, 12 + len(name) + 4 + 12]) + rr[2:])
    else:
        a = struct.pack("!HHHHHH", ident, 0x8180, 1, 1, 0, 0) + name + struct.pack("!HH", qtype, 1) + rr
    play.frame(eth(ipv4(RESOLVER, client, 17, udp(RESOLVER, client, 53, port, a)), MAC_S, MAC_C))


def _connect(play: _Play, inp: _Input) -> None:
    if len(play.conns) >= MAX_CONNS:
        play.conns.pop(0)
    how = inp.byte()
    play.ports += 1 + (how & 3)
    conn = _Conn(play, CLIENTS[(how >> 2) & 1], play.ports, SERVERS[(how >> 3) % len(SERVERS)],
                 PORTS[(how >> 5) % len(PORTS)])
    play.conns.append(conn)
    shape = inp.byte() % 6                      # 0-2 answered, 3 refused, 4 never answered, 5 SYN resent
    conn.segment(True, SYN)
    if shape == 5:
        play.tick(1_000_000_000)
        conn.seq[0] -= 1
        conn.segment(True, SYN)
    play.tick(300_000)
    if shape == 3:
        conn.segment(False, RST | ACK, advance=False)
        return
    if shape == 4:
        return
    conn.segment(False, SYN | ACK)
    play.tick(300_000)
    conn.segment(True, ACK)


def _step(play: _Play, inp: _Input) -> None:
    op = OPS[inp.byte() % len(OPS)]
    if op == "dns":
        _dns(play, inp)
    elif op == "connect":
        _connect(play, inp)
    elif op == "request":
        conn = _conn(play, inp)
        if conn:
            conn.send(True, _request(inp))
    elif op == "response":
        conn = _conn(play, inp)
        if conn:
            conn.send(False, _response(inp))
    elif op == "wait":
        b = inp.byte()
        play.tick((b & 0x3F) * (1_000_000, 100_000_000, 1_000_000_000, 30_000_000_000)[b >> 6])
    elif op == "close":
        conn = _conn(play, inp)
        if conn:
            how = inp.byte() % 4
            if how == 0:
                conn.segment(True, FIN | ACK)
                conn.segment(False, FIN | ACK)
                conn.segment(True, ACK)
            elif how == 1:
                conn.segment(False, FIN | ACK)
                conn.segment(True, FIN | ACK)
                conn.segment(False, ACK)
            else:
                conn.segment(how == 2, RST | ACK, advance=False)
            play.conns.remove(conn)
    elif op == "retransmit":
        conn = _conn(play, inp)
        if conn and conn.last:
            from_client, flags, payload, seq = conn.last
            me = 0 if from_client else 1
            saved = conn.seq[me]
            conn.seq[me] = seq
            play.tick(200_000_000)
            conn.segment(from_client, flags, payload, advance=False)
            conn.seq[me] = saved
    elif op == "hole":
        conn = _conn(play, inp)
        if conn:
            conn.seq[inp.byte() & 1] += 1 + inp.byte()
    elif op == "arp":
        client = CLIENTS[inp.byte() & 1]
        ip = bytes(int(p) for p in client.split("."))
        gw = bytes(int(p) for p in SERVERS[0].split("."))
        req = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + MAC_C + ip + bytes(6) + gw
        play.frame(b"\xff" * 6 + MAC_C + b"\x08\x06" + req)
        play.tick(100_000)
        rep = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + MAC_S + gw + MAC_C + ip
        play.frame(MAC_C + MAC_S + b"\x08\x06" + rep)
    elif op == "icmp":
        client = CLIENTS[inp.byte() & 1]
        quoted = ipv4(client, RESOLVER, 17, udp(client, RESOLVER, 30000 + inp.byte(), 53, b"\0" * 12))[:28]
        body = struct.pack("!BBHI", 3, 3, 0, 0) + quoted
        body = body[:2] + struct.pack("!H", _check(body)) + body[4:]
        play.frame(eth(ipv4(RESOLVER, client, 1, body), MAC_S, MAC_C))
    elif op == "raw":
        conn = _conn(play, inp)
        if conn:
            flags = inp.byte()
            conn.send(bool(flags & 1), inp.take(flags >> 1))
    elif op == "ack":
        conn = _conn(play, inp)
        if conn:
            conn.segment(bool(inp.byte() & 1), ACK)
    play.tick()


def build(data: bytes) -> list[tuple[int, bytes]]:
    """The frames the program ``data`` plays (``(ts_ns, Ethernet bytes)``)."""
    play, inp = _Play(), _Input(data)
    steps = 0
    while not inp.done() and steps < MAX_STEPS:
        _step(play, inp)
        steps += 1
    return play.frames


def encode(*steps: tuple) -> bytes:
    """A program from steps ``(op name, argument bytes...)``."""
    return b"".join(bytes([OPS.index(op), *args]) for op, *args in steps)


def seed_programs() -> list[bytes]:
    """Fetches the timeline explains: a page with its resources, a redirect followed to another port, a POST
    answered 100 Continue then 103 and 302, a refused connection, an unanswered SYN, a lookup that fails, a
    chunked page cut by a hole, keep-alive reuse after a long wait, two clients."""
    page = [("arp", 0), ("dns", 0, 0, 0, 0x12, 0x34), ("connect", 0, 0), ("request", 0, 0, 0, 0, 0),
            ("response", 0, 0, 0), ("request", 0, 0, 2, 0, 1), ("response", 0, 0, 0x40), ("close", 0, 0)]
    redirect = [("dns", 0, 0, 0, 1, 1), ("connect", 0, 0), ("request", 0, 0, 1, 0, 0), ("response", 0, 4, 0x04),
                ("close", 0, 0), ("connect", 0x20, 0), ("request", 0, 0, 5, 0, 0), ("response", 0, 0, 0),
                ("close", 0, 1)]
    interim = [("dns", 0, 0, 0, 2, 2), ("connect", 0, 0), ("request", 0, 1, 6, 0, 3), ("response", 0, 7, 0),
               ("response", 0, 8, 0), ("response", 0, 4, 0x08), ("close", 0, 0)]
    failures = [("dns", 0, 1, 2, 3, 3), ("dns", 0, 2, 4, 4, 4), ("connect", 0, 3), ("connect", 0x08, 4),
                ("wait", 0x85), ("icmp", 0, 7), ("connect", 0x10, 5)]
    cut = [("dns", 0, 0, 0, 5, 5), ("connect", 0, 0), ("request", 0, 0, 0, 0, 0), ("hole", 0, 1, 40),
           ("response", 0, 0, 0x10), ("retransmit", 0, 0), ("wait", 0xC3), ("request", 0, 0, 3, 0, 0),
           ("response", 0, 0, 0x20), ("close", 0, 2)]
    keepalive = [("dns", 1, 0, 0, 6, 6), ("connect", 0x04, 0), ("request", 0, 0, 0, 0, 0), ("response", 0, 0, 0),
                 ("wait", 0xC2), ("request", 0, 0, 4, 0, 0), ("response", 0, 0, 0xC0), ("ack", 0, 1),
                 ("dns", 0, 3, 0, 7, 7), ("connect", 0x08, 0),
                 ("raw", 1, 0x21, *b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[:16]), ("close", 1, 3)]
    return [encode(*p) for p in (page, redirect, interim, failures, cut, keepalive)]
