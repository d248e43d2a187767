"""The project's own DNS: message encoding (RFC 1035 4.1), a small zone, a UDP+TCP responder, a stub resolver.

The responder answers from a :class:`Zone` of a handful of records around the demo name
(``www.example.test``): A and AAAA, a CNAME (``web.`` -> ``www.``), an MX for ``example.test``, a name whose
TXT answer is too big for a 512-byte UDP reply (the answer is truncated, ``TC`` set, and the resolver asks
again over TCP, as RFC 7766 says it must), and NXDOMAIN with the zone's SOA for every other name. It
listens on UDP and TCP on the same port, in one thread driven by ``selectors``.
"""

from __future__ import annotations

import ipaddress
import random
import selectors
import socket
import struct
from dataclasses import dataclass, field

from analyzer.demo.loop import SelectorServer

DEMO_NAME = "www.example.test"
ZONE_NAME = "example.test"

TYPE_A, TYPE_NS, TYPE_CNAME, TYPE_SOA, TYPE_MX, TYPE_TXT, TYPE_AAAA = 1, 2, 5, 6, 15, 16, 28
TYPE_NAMES = {TYPE_A: "A", TYPE_NS: "NS", TYPE_CNAME: "CNAME", TYPE_SOA: "SOA", TYPE_MX: "MX", TYPE_TXT: "TXT",
              TYPE_AAAA: "AAAA"}
TYPES = {v: k for k, v in TYPE_NAMES.items()}
CLASS_IN = 1
RCODE_NOERROR, RCODE_FORMERR, RCODE_NXDOMAIN, RCODE_NOTIMP = 0, 1, 3, 4
UDP_LIMIT = 512           # RFC 1035 4.2.1, without EDNS
TTL = 300

_HEADER = struct.Struct("!6H")          # id, flags, qdcount, ancount, nscount, arcount
_QTAIL = struct.Struct("!HH")           # qtype, qclass
_RR = struct.Struct("!HHIH")            # type, class, ttl, rdlength (after the owner name)


class DnsError(Exception):
    """A DNS message that cannot be used (too short, wrong id, a label past the end)."""


def encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("ascii")
            if len(raw) > 63:
                raise DnsError(f"label {label!r} longer than 63 bytes")
            out += bytes((len(raw),)) + raw
    return out + b"\0"


def read_name(msg: bytes, pos: int) -> tuple[str, int]:
    """The (possibly compressed) name at ``pos`` and the offset after it; pointers must go backwards."""
    labels: list[str] = []
    end = None
    bound = pos
    while True:
        if pos >= len(msg):
            raise DnsError("name runs past the end of the message")
        length = msg[pos]
        if length & 0xC0 == 0xC0:
            if pos + 1 >= len(msg):
                raise DnsError("truncated compression pointer")
            target = ((length & 0x3F) << 8) | msg[pos + 1]
            if target >= bound:
                raise DnsError("compression pointer does not point backwards")
            if end is None:
                end = pos + 2
            bound = pos = target
            continue
        if length == 0:
            return ".".join(labels), (end if end is not None else pos + 1)
        labels.append(msg[pos + 1:pos + 1 + length].decode("ascii", "replace"))
        pos += 1 + length


def build_query(qid: int, name: str, qtype: int, recursion: bool = True) -> bytes:
    return (_HEADER.pack(qid, 0x0100 if recursion else 0, 1, 0, 0, 0) + encode_name(name)
            + _QTAIL.pack(qtype, CLASS_IN))


def _rdata(rtype: int, value) -> bytes:
    if rtype == TYPE_A:
        return socket.inet_pton(socket.AF_INET, value)
    if rtype == TYPE_AAAA:
        return socket.inet_pton(socket.AF_INET6, value)
    if rtype in (TYPE_CNAME, TYPE_NS):
        return encode_name(value)
    if rtype == TYPE_MX:
        pref, host = value
        return struct.pack("!H", pref) + encode_name(host)
    if rtype == TYPE_TXT:
        return b"".join(bytes((len(s),)) + s for s in (t.encode() for t in value))
    if rtype == TYPE_SOA:
        mname, rname, serial = value
        return encode_name(mname) + encode_name(rname) + struct.pack("!5I", serial, 3600, 600, 86400, 60)
    raise DnsError(f"no encoder for type {rtype}")


def _record(name: str, rtype: int, value) -> bytes:
    rdata = _rdata(rtype, value)
    return encode_name(name) + _RR.pack(rtype, CLASS_IN, TTL, len(rdata)) + rdata


@dataclass
class Zone:
    """Records by (name, type); names are lower case without the final dot."""

    records: dict[tuple[str, int], list] = field(default_factory=dict)
    origin: str = ZONE_NAME

    def add(self, name: str, rtype: int, value) -> Zone:
        self.records.setdefault((name.lower().rstrip("."), rtype), []).append(value)
        return self

    def names(self) -> set[str]:
        return {n for n, _t in self.records}

    @classmethod
    def demo(cls, addr4: str = "127.0.0.1", addr6: str | None = "::1", name: str = DEMO_NAME) -> Zone:
        """The demo zone: the web server's name and a few records of each kind the DNS mix shows."""
        zone = cls()
        zone.add(name, TYPE_A, addr4)
        if addr6:
            zone.add(name, TYPE_AAAA, addr6)
        zone.add(f"web.{ZONE_NAME}", TYPE_CNAME, name)
        zone.add(ZONE_NAME, TYPE_MX, (10, f"mail.{ZONE_NAME}"))
        zone.add(f"mail.{ZONE_NAME}", TYPE_A, addr4)
        zone.add(ZONE_NAME, TYPE_NS, f"ns.{ZONE_NAME}")
        zone.add(ZONE_NAME, TYPE_SOA, (f"ns.{ZONE_NAME}", f"hostmaster.{ZONE_NAME}", 2024010101))
        # a TXT set larger than a UDP reply may be: the answer over UDP is truncated, the resolver uses TCP
        for i in range(8):
            zone.add(f"big.{ZONE_NAME}", TYPE_TXT,
                     [f"v=demo{i}; this record is long so the answer does not fit 512 bytes of UDP"])
        return zone

    def answer(self, query: bytes, over_udp: bool) -> bytes | None:
        """The reply to ``query`` (None for something that is not a query worth answering)."""
        if len(query) < _HEADER.size:
            return None
        qid, flags, qdcount, _an, _ns, _ar = _HEADER.unpack_from(query)
        if flags & 0x8000:
            return None                           # a response: never answer those
        rd = flags & 0x0100
        opcode = (flags >> 11) & 0xF
        if qdcount != 1 or opcode != 0:
            return _HEADER.pack(qid, 0x8000 | (opcode << 11) | rd | (RCODE_NOTIMP if opcode else RCODE_FORMERR),
                                0, 0, 0, 0)
        try:
            qname, pos = read_name(query, _HEADER.size)
        except DnsError:
            return _HEADER.pack(qid, 0x8000 | rd | RCODE_FORMERR, 0, 0, 0, 0)
        if pos + _QTAIL.size > len(query):
            return _HEADER.pack(qid, 0x8000 | rd | RCODE_FORMERR, 0, 0, 0, 0)
        qtype, _qclass = _QTAIL.unpack_from(query, pos)
        question = encode_name(qname) + _QTAIL.pack(qtype, CLASS_IN)
        name = qname.lower()
        answers: list[bytes] = []
        # follow CNAMEs inside the zone, as an authoritative server does (RFC 1034 4.3.2)
        seen = set()
        while name not in seen:
            seen.add(name)
            if qtype != TYPE_CNAME and (name, TYPE_CNAME) in self.records:
                target = self.records[(name, TYPE_CNAME)][0]
                answers.append(_record(name, TYPE_CNAME, target))
                name = target.lower()
                continue
            for value in self.records.get((name, qtype), []):
                answers.append(_record(name, qtype, value))
            break
        authority: list[bytes] = []
        rcode = RCODE_NOERROR
        known = self.names()
        if not answers and name not in known:
            rcode = RCODE_NXDOMAIN
        if not answers and (self.origin, TYPE_SOA) in self.records:   # negative answer: the SOA (RFC 2308)
            authority.append(_record(self.origin, TYPE_SOA, self.records[(self.origin, TYPE_SOA)][0]))
        reply_flags = 0x8000 | 0x0400 | rd | rcode               # QR, AA, RD copied
        reply = (_HEADER.pack(qid, reply_flags, 1, len(answers), len(authority), 0) + question
                 + b"".join(answers) + b"".join(authority))
        if over_udp and len(reply) > UDP_LIMIT:                  # RFC 1035 4.2.1: truncate and set TC
            reply = _HEADER.pack(qid, reply_flags | 0x0200, 1, 0, 0, 0) + question
        return reply


# -- parsing answers (the resolver's side) ----------------------------------------------------------------

@dataclass
class DnsAnswer:
    qid: int
    rcode: int
    truncated: bool
    records: list[tuple[str, str, object]]      # (name, type name, value)

    def values(self, rtype: str) -> list:
        return [v for _n, t, v in self.records if t == rtype]


def parse_response(msg: bytes) -> DnsAnswer:
    if len(msg) < _HEADER.size:
        raise DnsError(f"DNS reply of {len(msg)} bytes is shorter than its header")
    qid, flags, qdcount, ancount, _ns, _ar = _HEADER.unpack_from(msg)
    pos = _HEADER.size
    for _ in range(qdcount):
        _name, pos = read_name(msg, pos)
        pos += _QTAIL.size
    records = []
    for _ in range(ancount):
        name, pos = read_name(msg, pos)
        if pos + _RR.size > len(msg):
            raise DnsError("answer record runs past the end of the message")
        rtype, _rclass, _ttl, rdlength = _RR.unpack_from(msg, pos)
        pos += _RR.size
        rdata = msg[pos:pos + rdlength]
        if rtype == TYPE_A and rdlength == 4:
            value: object = socket.inet_ntop(socket.AF_INET, rdata)
        elif rtype == TYPE_AAAA and rdlength == 16:
            value = socket.inet_ntop(socket.AF_INET6, rdata)
        elif rtype in (TYPE_CNAME, TYPE_NS):
            value = read_name(msg, pos)[0]
        elif rtype == TYPE_MX:
            value = (struct.unpack_from("!H", msg, pos)[0], read_name(msg, pos + 2)[0])
        else:
            value = rdata
        records.append((name, TYPE_NAMES.get(rtype, str(rtype)), value))
        pos += rdlength
    return DnsAnswer(qid, flags & 0xF, bool(flags & 0x0200), records)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise DnsError("the DNS server closed the TCP connection early")
        data += chunk
    return data


def query(server: str, name: str, qtype: int | str = TYPE_A, port: int = 53, tcp: bool = False,
          timeout: float = 2.0, retries: int = 2) -> DnsAnswer:
    """One question to ``server`` as a stub resolver asks it: UDP first, TCP when the reply is truncated."""
    if isinstance(qtype, str):
        qtype = TYPES[qtype.upper()]
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    qid = random.randrange(0x10000)
    msg = build_query(qid, name, qtype)
    if not tcp:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.settimeout(timeout)
            for attempt in range(retries + 1):
                sock.sendto(msg, (server, port))
                try:
                    while True:
                        reply, _ = sock.recvfrom(4096)
                        if len(reply) >= 2 and reply[:2] == msg[:2]:
                            break
                    break
                except TimeoutError:
                    if attempt == retries:
                        raise DnsError(f"no DNS answer from {server} port {port} for {name}") from None
        answer = parse_response(reply)
        if not answer.truncated:
            return answer
    with socket.create_connection((server, port), timeout=timeout) as sock:
        sock.sendall(struct.pack("!H", len(msg)) + msg)
        length = struct.unpack("!H", _recv_exact(sock, 2))[0]
        reply = _recv_exact(sock, length)
    return parse_response(reply)


def resolve(name: str, server: str, port: int = 53, family: int = socket.AF_INET) -> str:
    """The first address of ``name`` (A, or AAAA for AF_INET6), following CNAMEs; DnsError when there is none."""
    rtype = TYPE_AAAA if family == socket.AF_INET6 else TYPE_A
    answer = query(server, name, rtype, port)
    addrs = answer.values(TYPE_NAMES[rtype])
    if answer.rcode or not addrs:
        what = "NXDOMAIN" if answer.rcode == RCODE_NXDOMAIN else f"rcode {answer.rcode}, no {TYPE_NAMES[rtype]}"
        raise DnsError(f"{name}: {what}")
    return str(addrs[0])


# -- the responder ----------------------------------------------------------------------------------------

class DnsResponder(SelectorServer):
    """Answers on UDP and TCP ``addr:port`` from ``zone`` in a background thread until :meth:`stop`."""

    def __init__(self, zone: Zone, addr: str = "127.0.0.1", port: int = 53):
        self.zone = zone
        family = socket.AF_INET6 if ipaddress.ip_address(addr).version == 6 else socket.AF_INET
        self.udp = socket.socket(family, socket.SOCK_DGRAM)
        self.tcp = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.udp.bind((addr, port))
            port = self.udp.getsockname()[1]           # port 0: the one the kernel picked, for both
            self.tcp.bind((addr, port))
            self.tcp.listen(16)
        except OSError:
            self.udp.close()
            self.tcp.close()
            raise
        self.addr, self.port = addr, port
        self.answered = 0
        self._conns: dict[socket.socket, bytes] = {}
        self._init_loop((self.udp, self.tcp))

    thread_name = "dns"

    def serve_forever(self) -> None:
        """Serve until :meth:`stop` (in the calling thread, e.g. ``python -m analyzer.demo.server``, or in the
        one :meth:`start` made)."""
        try:
            while not self._stopped:
                for key, _ev in self._sel.select(1.0):
                    sock = key.fileobj
                    if sock is self._wake_r:
                        return
                    if sock is self.udp:
                        self._udp_ready()
                    elif sock is self.tcp:
                        self._accept()
                    else:
                        self._tcp_ready(sock)
        finally:
            self._close_connections()

    def _close_connections(self) -> None:
        for conn in list(self._conns):
            self._drop(conn)

    def _udp_ready(self) -> None:
        while True:
            try:
                msg, client = self.udp.recvfrom(4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            reply = self.zone.answer(msg, over_udp=True)
            if reply:
                self.answered += 1
                try:
                    self.udp.sendto(reply, client)
                except OSError:
                    pass

    def _accept(self) -> None:
        try:
            conn, _ = self.tcp.accept()
        except OSError:
            return
        conn.setblocking(False)
        self._conns[conn] = b""
        self._sel.register(conn, selectors.EVENT_READ)

    def _tcp_ready(self, conn: socket.socket) -> None:
        try:
            data = conn.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(conn)
            return
        buf = self._conns[conn] + data
        while len(buf) >= 2:                     # RFC 1035 4.2.2: two-byte length, then the message
            length = struct.unpack_from("!H", buf)[0]
            if len(buf) < 2 + length:
                break
            reply = self.zone.answer(buf[2:2 + length], over_udp=False)
            buf = buf[2 + length:]
            if reply:
                self.answered += 1
                conn.setblocking(True)
                conn.settimeout(2)
                try:
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
                except OSError:
                    self._drop(conn)
                    return
                conn.setblocking(False)
        self._conns[conn] = buf

    def _drop(self, conn: socket.socket) -> None:
        self._conns.pop(conn, None)
        try:
            self._sel.unregister(conn)
        except (KeyError, ValueError):
            pass
        conn.close()
