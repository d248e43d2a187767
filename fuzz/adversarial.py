"""Adversarial captures that grow with ``n``: the inputs of the complexity tests (tests/test_complexity.py)
and of benchmarks/bench_adversarial.py. Each builder returns the frames of a classic pcap (Ethernet) as a
list of ``(ts_ns, bytes)``; :func:`pcap_bytes` makes the file.

Each case is the shape that made some part of the analyzer quadratic or unbounded, or could:

* ``same_uri``: ``n`` responses to one URI (export-objects' name collisions), 50 keep-alive requests per
  connection;
* ``fragments``: ``n`` fragments of one IPv4 datagram that never completes (the first and last fragment never
  come);
* ``half_open``: ``n`` SYNs to distinct ports, never answered (per-connection state);
* ``gaps``: ``n`` connections, each with a hole in the client's bytes followed by 8 KB the reassembler must
  hold (reassembly buffers);
* ``dns_same_id``: ``n`` DNS queries with the same id and ports, each answered (transaction pairing);
* ``pipelined``: one connection carrying ``n`` pipelined requests, then their ``n`` responses;
* ``tiny_segments``: one connection with a hole, then ``n`` one-byte segments the reassembler must hold;
* ``dns_tiny_queries``: ``n`` DNS queries from distinct ports with distinct ids, never answered (queries waiting
  for an answer);
* ``dns_pointer_loops``: ``n`` DNS responses whose answers are compression pointers in a loop and in a long
  chain of pointers (name decompression);
* ``endless_headers``: one request whose head is ``n`` header lines and never ends, sent in full segments (the
  head buffer and its search for the blank line);
* ``huge_chunks``: a chunked response whose chunk sizes are huge (16 hex digits), then ``n`` segments of body
  (the chunk reader);
* ``h2_continuation``: an HTTP/2 connection (prior knowledge) whose HEADERS is followed by ``n`` CONTINUATION
  frames of a few bytes each (header block decoding);
* ``keepalive_requests``: one kept-alive connection carrying ``n`` requests (subresources of one page), each
  answered before the next (the timeline's steps per request of a fetch);
* ``tls_big_records``: a TLS connection with ``n`` records of the largest length allowed and one past it
  (record reassembly).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

MAC_C = bytes.fromhex("020000000001")
MAC_S = bytes.fromhex("020000000002")
SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10
T0 = 1_700_000_000_000_000_000
STEP = 100_000                     # 0.1 ms between frames


def _ip(text: str) -> bytes:
    return bytes(int(p) for p in text.split("."))


def _sum16(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def _check(data: bytes) -> int:
    return ~_sum16(data) & 0xFFFF


def eth(payload: bytes, src: bytes = MAC_C, dst: bytes = MAC_S) -> bytes:
    return dst + src + b"\x08\x00" + payload


def ipv4(src: str, dst: str, proto: int, payload: bytes, ident: int = 1, frag: int = 0, more: bool = False,
         total: int | None = None) -> bytes:
    flags = (0x2000 if more else 0) | (frag // 8)
    length = total if total is not None else 20 + len(payload)
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, ident, flags, 64, proto, 0, _ip(src), _ip(dst))
    return head[:10] + struct.pack("!H", _check(head)) + head[12:] + payload


def tcp(src: str, dst: str, sport: int, dport: int, seq: int, ack: int, flags: int, payload: bytes = b"") -> bytes:
    head = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    pseudo = _ip(src) + _ip(dst) + struct.pack("!BBH", 0, 6, len(head) + len(payload))
    csum = _check(pseudo + head + payload)
    return head[:16] + struct.pack("!H", csum) + head[18:] + payload


def udp(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    head = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    pseudo = _ip(src) + _ip(dst) + struct.pack("!BBH", 0, 17, len(head) + len(payload))
    csum = _check(pseudo + head + payload) or 0xFFFF
    return head[:6] + struct.pack("!H", csum) + payload


def pcap_bytes(frames: list[tuple[int, bytes]]) -> bytes:
    """A little-endian nanosecond pcap of Ethernet frames."""
    out = [struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1)]
    for ts, data in frames:
        out.append(struct.pack("<IIII", ts // 1_000_000_000, ts % 1_000_000_000, len(data), len(data)) + data)
    return b"".join(out)


class _Conn:
    """One TCP connection's frames, with sequence numbers kept."""

    def __init__(self, frames: list, client: str, cport: int, server: str, sport: int):
        self.frames, self.c, self.cp, self.s, self.sp = frames, client, cport, server, sport
        self.cseq, self.sseq = 1000, 5000

    def _add(self, from_client: bool, flags: int, payload: bytes = b"") -> None:
        ts = T0 + len(self.frames) * STEP
        if from_client:
            seg = tcp(self.c, self.s, self.cp, self.sp, self.cseq, self.sseq, flags, payload)
            self.frames.append((ts, eth(ipv4(self.c, self.s, 6, seg))))
            self.cseq += len(payload) + (1 if flags & (SYN | FIN) else 0)
        else:
            seg = tcp(self.s, self.c, self.sp, self.cp, self.sseq, self.cseq, flags, payload)
            self.frames.append((ts, eth(ipv4(self.s, self.c, 6, seg), MAC_S, MAC_C)))
            self.sseq += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def handshake(self) -> None:
        self._add(True, SYN)
        self._add(False, SYN | ACK)
        self._add(True, ACK)

    def send(self, from_client: bool, data: bytes, mss: int = 1400) -> None:
        for i in range(0, len(data), mss):
            self._add(from_client, PSH | ACK, data[i:i + mss])

    def close(self) -> None:
        self._add(True, FIN | ACK)
        self._add(False, FIN | ACK)
        self._add(True, ACK)


def _response(body: bytes) -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + str(len(body)).encode()
            + b"\r\n\r\n" + body)


def same_uri(n: int) -> list[tuple[int, bytes]]:
    frames: list = []
    per_conn = 50
    for c in range((n + per_conn - 1) // per_conn):
        conn = _Conn(frames, "10.0.0.1", 20000 + c % 40000, "10.0.0.2", 80)
        conn.handshake()
        for _ in range(min(per_conn, n - c * per_conn)):
            conn.send(True, b"GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n\r\n")
            conn.send(False, _response(b"<html>x</html>"))
        conn.close()
    return frames


def fragments(n: int) -> list[tuple[int, bytes]]:
    """Fragments 1..n of 8 bytes (offsets 8..8n) of one UDP datagram; offset 0 and the last never come.
    Past 8190 fragments the offsets wrap and repeat (duplicates of held bytes)."""
    frames = []
    for i in range(n):
        offset = 8 * (1 + i % 8000)
        data = bytes([i & 0xFF]) * 8 if i < 8000 else bytes([(i % 8000) & 0xFF]) * 8
        packet = ipv4("10.0.0.1", "10.0.0.2", 17, data, ident=0x4242, frag=offset, more=True,
                      total=20 + 8)
        frames.append((T0 + i * STEP, eth(packet)))
    return frames


def half_open(n: int) -> list[tuple[int, bytes]]:
    frames = []
    for i in range(n):
        seg = tcp("10.0.0.1", f"10.1.{(i >> 8) & 0xFF}.{i & 0xFF}", 40000 + i % 20000, 1 + i % 60000, 7 * i, 0, SYN)
        frames.append((T0 + i * STEP, eth(ipv4("10.0.0.1", f"10.1.{(i >> 8) & 0xFF}.{i & 0xFF}", 6, seg))))
    return frames


def gaps(n: int, held: int = 8192) -> list[tuple[int, bytes]]:
    frames: list = []
    for i in range(n):
        conn = _Conn(frames, f"10.2.{(i >> 8) & 0xFF}.{i & 0xFF}", 30000 + i % 30000, "10.0.0.2", 80)
        conn.handshake()
        conn.cseq += 1000                                   # 1000 bytes never captured
        conn.send(True, b"x" * held)
    return frames


def _dns_name(name: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def dns_same_id(n: int) -> list[tuple[int, bytes]]:
    frames = []
    for i in range(n):
        q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + _dns_name(f"h{i}.example.com") + b"\0\1\0\1"
        a = (struct.pack("!HHHHHH", 0x1234, 0x8180, 1, 1, 0, 0) + _dns_name(f"h{i}.example.com") + b"\0\1\0\1"
             + b"\xc0\x0c\0\1\0\1\0\0\0\x3c\0\4" + bytes([10, 9, (i >> 8) & 0xFF, i & 0xFF]))
        frames.append((T0 + 2 * i * STEP, eth(ipv4("10.0.0.1", "10.0.0.53", 17,
                                                    udp("10.0.0.1", "10.0.0.53", 5353, 53, q)))))
        frames.append((T0 + (2 * i + 1) * STEP, eth(ipv4("10.0.0.53", "10.0.0.1", 17,
                                                          udp("10.0.0.53", "10.0.0.1", 53, 5353, a)),
                                                     MAC_S, MAC_C)))
    return frames


def pipelined(n: int) -> list[tuple[int, bytes]]:
    frames: list = []
    conn = _Conn(frames, "10.0.0.1", 45000, "10.0.0.2", 80)
    conn.handshake()
    for i in range(n):
        conn.send(True, f"GET /r{i} HTTP/1.1\r\nHost: www.example.com\r\n\r\n".encode())
    for i in range(n):
        conn.send(False, _response(f"<p>{i}</p>".encode()))
    conn.close()
    return frames


def tiny_segments(n: int) -> list[tuple[int, bytes]]:
    frames: list = []
    conn = _Conn(frames, "10.0.0.1", 46000, "10.0.0.2", 80)
    conn.handshake()
    conn.cseq += 10                                         # 10 bytes never captured
    for _ in range(n):
        conn.send(True, b"x")
    return frames


def dns_tiny_queries(n: int) -> list[tuple[int, bytes]]:
    frames = []
    for i in range(n):
        q = struct.pack("!HHHHHH", i & 0xFFFF, 0x0100, 1, 0, 0, 0) + b"\1a\0\0\1\0\1"
        src = f"10.3.{(i >> 8) & 0xFF}.{i & 0xFF}"
        frames.append((T0 + i * STEP, eth(ipv4(src, "10.0.0.53", 17, udp(src, "10.0.0.53", 1024 + i % 60000, 53, q)))))
    return frames


def dns_pointer_loops(n: int) -> list[tuple[int, bytes]]:
    """Each response: a question, an answer whose name is a pointer to itself, two whose names point to each
    other, a NULL record whose data is a name and a chain of 100 pointers each to the one before, and an
    answer whose name is the chain's last pointer."""
    rest = b"\0\1\0\1\0\0\0\x3c\0\4\x0a\0\0\1"          # type A, class IN, TTL 60, 4 bytes of address
    frames = []
    for i in range(n):
        body = bytearray(struct.pack("!HHHHHH", i & 0xFFFF, 0x8180, 1, 5, 0, 0) + b"\1a\0\0\1\0\1")
        body += struct.pack("!H", 0xC000 | len(body)) + rest                      # points to itself
        first = len(body)
        body += struct.pack("!H", 0xC000 | (first + 16)) + rest                   # to the next one ...
        body += struct.pack("!H", 0xC000 | first) + rest                          # ... which points back
        chain = bytearray(b"\1b\0")
        start = len(body) + 12                                                    # where the chain's data begins
        for k in range(100):
            chain += struct.pack("!H", 0xC000 | (start + (0 if k == 0 else 3 + 2 * (k - 1))))
        body += b"\x01b\0\0\x0a\0\1\0\0\0\x3c" + struct.pack("!H", len(chain)) + chain  # NULL record
        body += struct.pack("!H", 0xC000 | (start + 3 + 2 * 99)) + rest
        frames.append((T0 + i * STEP, eth(ipv4("10.0.0.53", "10.0.0.1", 17,
                                               udp("10.0.0.53", "10.0.0.1", 53, 1024 + i % 60000, bytes(body))),
                                          MAC_S, MAC_C)))
    return frames


def endless_headers(n: int) -> list[tuple[int, bytes]]:
    frames: list = []
    conn = _Conn(frames, "10.0.0.1", 47000, "10.0.0.2", 80)
    conn.handshake()
    head = b"GET / HTTP/1.1\r\nHost: www.example.com\r\n" + b"".join(
        b"X-Header-%d: %s\r\n" % (i, b"v" * 20) for i in range(n))
    conn.send(True, head)
    return frames


def huge_chunks(n: int) -> list[tuple[int, bytes]]:
    frames: list = []
    conn = _Conn(frames, "10.0.0.1", 48000, "10.0.0.2", 80)
    conn.handshake()
    conn.send(True, b"GET /big HTTP/1.1\r\nHost: www.example.com\r\n\r\n")
    conn.send(False, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFF0\r\n")
    for _ in range(n):
        conn.send(False, b"y" * 1400)
    conn.close()
    return frames


def h2_continuation(n: int) -> list[tuple[int, bytes]]:
    def frame(ftype: int, flags: int, stream: int, payload: bytes) -> bytes:
        return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + stream.to_bytes(4, "big") + payload

    frames: list = []
    conn = _Conn(frames, "10.0.0.1", 49000, "10.0.0.2", 8080)
    conn.handshake()
    conn.send(True, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b""))
    conn.send(False, frame(4, 0, 0, b""))
    # :method GET, :scheme http, :path /, then literal headers without indexing, split over CONTINUATIONs
    conn.send(True, frame(1, 0, 1, b"\x82\x86\x84"))
    literal = b"\x00\x03x-a\x03aaa"
    for i in range(n):
        conn.send(True, frame(9, 0, 1, literal))
    return frames


def keepalive_requests(n: int) -> list[tuple[int, bytes]]:
    frames: list = []
    conn = _Conn(frames, "10.0.0.1", 51000, "10.0.0.2", 80)
    conn.handshake()
    for i in range(n):
        conn.send(True, f"GET /a{i}.css HTTP/1.1\r\nHost: www.example.com\r\nReferer: http://www.example.com/\r\n"
                        f"\r\n".encode())
        conn.send(False, _response(b"x"))
    conn.close()
    return frames


def tls_big_records(n: int) -> list[tuple[int, bytes]]:
    frames: list = []
    conn = _Conn(frames, "10.0.0.1", 50000, "10.0.0.2", 443)
    conn.handshake()
    hello = b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    conn.send(True, b"\x16\x03\x01" + struct.pack("!H", len(hello) + 4) + b"\x01"
              + len(hello).to_bytes(3, "big") + hello)
    for i in range(n):
        length = (1 << 14) + 2048 + (i % 2)                 # the largest allowed, and one past it
        conn.send(False, b"\x17\x03\x03" + struct.pack("!H", length) + bytes([i & 0xFF]) * length)
    conn.close()
    return frames


CASES: dict[str, Callable[[int], list[tuple[int, bytes]]]] = {
    "same_uri": same_uri,
    "fragments": fragments,
    "half_open": half_open,
    "gaps": gaps,
    "dns_same_id": dns_same_id,
    "pipelined": pipelined,
    "tiny_segments": tiny_segments,
    "dns_tiny_queries": dns_tiny_queries,
    "dns_pointer_loops": dns_pointer_loops,
    "endless_headers": endless_headers,
    "huge_chunks": huge_chunks,
    "h2_continuation": h2_continuation,
    "tls_big_records": tls_big_records,
    "keepalive_requests": keepalive_requests,
}
