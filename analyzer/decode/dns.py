"""DNS (RFC 1035), mDNS (RFC 6762) and LLMNR (RFC 4795) messages: wire bytes to a DnsMessage and dns.* fields.

Theory of operation
-------------------
:func:`parse_message` reads one message from ``buf[off:end]`` with a bounded cursor (:class:`WireReader`,
after dnspython's ``Parser``): every read checks the bound, and the RDATA of a record is read with the bound
narrowed to RDLENGTH (``restrict_to``) and must be consumed exactly. It is pure and sans-IO; the decode-loop
entries (:func:`decode_dns`, :func:`decode_mdns`, :func:`decode_llmnr`, :func:`decode_dns_tcp`) and later
stages (DNS transactions, timelines) share it.

Names. A compression pointer may point anywhere inside the message (tshark follows forward pointers too);
each name remembers the targets it followed, so a pointer loop ends at the first target seen twice, and the
name is then shown as tshark shows it, ``<Name contains a pointer that loops>``, with parsing going on after
the name's first pointer. A name longer than 255 bytes on the wire, a pointer past the message and the
reserved label types (0x40, 0x80) are errors. Names are shown as tshark shows them: labels joined by ".", the root as ``<Root>``,
bytes passed through Wireshark's ``format_text`` (C escapes for ASCII control bytes, ``\\uXXXX`` for
non-printable code points, U+FFFD for invalid UTF-8).

Leniency. Like tshark, a malformed or cut message keeps everything read before the problem: in lenient mode
``parse_message`` returns the partial message with the error in ``errors`` (a record whose RDATA is malformed
or cut is kept with ``rdata=None``; its fields are shown unless it runs past the data, as tshark does). The
decoders add the layer with those fields and then raise the error, which the decode loop records as
``pkt.failure``. Strict mode (the default) raises at once. Where tshark shows a placeholder instead of failing
("<Name too long>") or reads past a short RDATA, this module raises: those messages are malformed.

Fields. :func:`message_fields` gives the fields ``tshark -T fields`` prints, by the same names and in tree
order; values follow analyzer.decode.packet's rules (hex-shown fields keep tshark's text such as "0x33be",
other numbers and booleans are ints, names and addresses strings, a field repeated in one message is a list).
Fields tshark computes across packets (dns.response_to, dns.time, dns.retransmission, dns.unsolicited) belong
to the DNS transaction stage and are not produced here, nor are expert-info items. RDATA is decoded for A,
NS, MD, MF, CNAME, SOA, MB, MG, MR, NULL, PTR, HINFO, MX, TXT, AAAA, SRV, DNAME, OPT (EDNS and its common
options), NSEC, NSEC3/NSEC3PARAM, SPF, DS/CDS/DLV, DNSKEY/CDNSKEY, RRSIG/SIG, NAPTR, LOC, CAA, SVCB/HTTPS,
TKEY and TSIG (times in UTC, as tshark prints them with TZ=UTC); other types are kept as bytes (URI among
them: tshark 4.0 has no URI dissector and shows its bytes as ``dns.data``, and so do we). UPDATE messages
(RFC 2136) name their counts zones/prerequisites/updates; the sections themselves are read as questions and
records, as tshark shows them.
"""

from __future__ import annotations

import base64
import socket
import struct
import time
import unicodedata
from collections.abc import Callable
from typing import Any, NamedTuple

from analyzer.compiled import compiled
from analyzer.decode.errors import DecodeError
from analyzer.decode.packet import EMPTY_BYTES, Layer

__all__ = [
    "TCP_PORTS", "TYPE_NAMES", "UDP_PORTS", "DnsMessage", "Dnskey", "Ds", "Edns", "EdnsOption", "Header",
    "Hinfo", "Mx", "Nsec", "Question", "ResourceRecord", "Rrsig", "Soa", "Srv", "WireReader", "decode_dns",
    "decode_dns_tcp", "decode_llmnr", "decode_mdns", "format_name", "info_text", "message_fields",
    "parse_message", "summarize", "type_name",
]

LAYER = "dns"
HEADER_LEN = 12
MAX_NAME_WIRE = 255         # RFC 1035 2.3.4: a name is at most 255 octets on the wire

_HEADER = struct.Struct("!6H")
_QFIXED = struct.Struct("!HH")
_RRFIXED = struct.Struct("!HHIH")
_U16 = struct.Struct("!H").unpack_from
_U32 = struct.Struct("!I").unpack_from
_inet_ntop = socket.inet_ntop
_AF_INET6 = socket.AF_INET6

# Record types (tshark's dns_types_vals, including its swap of MAILA/MAILB names).
T_A, T_NS, T_MD, T_MF, T_CNAME, T_SOA, T_MB, T_MG, T_MR, T_NULL = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
T_PTR, T_HINFO, T_MX, T_TXT, T_AAAA, T_SRV, T_DNAME, T_OPT = 12, 13, 15, 16, 28, 33, 39, 41
T_NSEC, T_SPF = 47, 99
T_SIG, T_DS, T_RRSIG, T_DNSKEY, T_CDS, T_CDNSKEY, T_DLV = 24, 43, 46, 48, 59, 60, 32769
T_LOC, T_NAPTR, T_NSEC3, T_NSEC3PARAM, T_SVCB, T_HTTPS, T_TKEY, T_TSIG, T_CAA = (
    29, 35, 50, 51, 64, 65, 249, 250, 257)

TYPE_NAMES: dict[int, str] = {
    0: "Unused", 1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR",
    10: "NULL", 11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB",
    19: "X25", 20: "ISDN", 21: "RT", 22: "NSAP", 23: "NSAP-PTR", 24: "SIG", 25: "KEY", 26: "PX", 27: "GPOS",
    28: "AAAA", 29: "LOC", 30: "NXT", 31: "EID", 32: "NIMLOC", 33: "SRV", 34: "ATMA", 35: "NAPTR", 36: "KX",
    37: "CERT", 38: "A6", 39: "DNAME", 40: "SINK", 41: "OPT", 42: "APL", 43: "DS", 44: "SSHFP",
    45: "IPSECKEY", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 49: "DHCID", 50: "NSEC3", 51: "NSEC3PARAM",
    52: "TLSA", 55: "HIP", 57: "RKEY", 58: "TALINK", 59: "CDS", 60: "CDNSKEY", 61: "OPENPGPKEY", 62: "CSYNC",
    63: "ZONEMD", 64: "SVCB", 65: "HTTPS", 99: "SPF", 100: "UINFO", 101: "UID", 102: "GID", 103: "UNSPEC",
    104: "NID", 105: "L32", 106: "L64", 107: "LP", 108: "EUI48", 109: "EUI64", 249: "TKEY", 250: "TSIG",
    251: "IXFR", 252: "AXFR", 253: "MAILA", 254: "MAILB", 255: "ANY", 256: "URI", 257: "CAA", 32768: "TA",
    32769: "DLV", 65281: "WINS", 65282: "WINS-R", 65422: "XPF",
}

# Types tshark 4.0 has an RDATA dissector for; any other type gets its bytes shown as dns.data.
_TSHARK_DISSECTED = frozenset((
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
    30, 33, 35, 36, 37, 38, 39, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 55, 59, 60, 61, 62, 63, 64,
    65, 99, 104, 105, 106, 107, 108, 109, 249, 250, 257, 32769, 65281, 65282, 65422,
))
# Types whose Info-column text is the owner name (tshark appends the record's name, not its data).
_INFO_OWNER = frozenset((3, 4, 7, 8, 9, 10, 14, 17, 18, 19, 20, 21, 22, 23, 26, 27, 42, 49, 51, 52, 55))

OPCODE_NAMES = {0: "Standard query", 1: "Inverse query", 2: "Server status request",
                4: "Zone change notification", 5: "Dynamic update", 6: "DNS Stateful operations (DSO)"}
RCODE_NAMES = {
    0: "No error", 1: "Format error", 2: "Server failure", 3: "No such name", 4: "Not implemented",
    5: "Refused", 6: "Name exists", 7: "RRset exists", 8: "RRset does not exist", 9: "Not authoritative",
    10: "Name out of zone", 11: "DSO-Type not implemented",
    16: "Bad OPT Version or TSIG Signature Failure", 17: "Key not recognized",
    18: "Signature out of time window", 19: "Bad TKEY Mode", 20: "Duplicate key name",
    21: "Algorithm not supported", 22: "Bad Truncation", 23: "Bad/missing Server Cookie",
}
OPCODE_UPDATE = 5

# EDNS option codes with sub-fields in tshark.
O_DAU, O_DHU, O_N3U, O_CLIENT_SUBNET, O_COOKIE, O_TCP_KEEPALIVE, O_PADDING, O_CHAIN, O_EXT_ERROR = (
    5, 6, 7, 8, 10, 11, 12, 13, 15)
O_CLIENT_SUBNET_EXP = 0x50FA


def type_name(rtype: int) -> str:
    """tshark's short name of a record type ("A", "MX", "Unknown (65280)")."""
    name = TYPE_NAMES.get(rtype)
    return name if name is not None else f"Unknown ({rtype})"


# -- values ---------------------------------------------------------------------------------------------
class Header(NamedTuple):
    """The fixed 12-byte header; ``flags`` is the raw 16-bit word (properties pick its bits)."""

    id: int
    flags: int
    qdcount: int
    ancount: int
    nscount: int
    arcount: int

    @property
    def qr(self) -> int:
        """1 for a response, 0 for a query."""
        return self.flags >> 15

    @property
    def opcode(self) -> int:
        return (self.flags >> 11) & 0xF

    @property
    def aa(self) -> int:
        """Authoritative answer (LLMNR: conflict)."""
        return (self.flags >> 10) & 1

    @property
    def tc(self) -> int:
        """Truncated."""
        return (self.flags >> 9) & 1

    @property
    def rd(self) -> int:
        """Recursion desired (LLMNR: tentative)."""
        return (self.flags >> 8) & 1

    @property
    def ra(self) -> int:
        return (self.flags >> 7) & 1

    @property
    def z(self) -> int:
        return (self.flags >> 6) & 1

    @property
    def ad(self) -> int:
        """Authenticated data."""
        return (self.flags >> 5) & 1

    @property
    def cd(self) -> int:
        """Checking disabled."""
        return (self.flags >> 4) & 1

    @property
    def rcode(self) -> int:
        return self.flags & 0xF


class Question(NamedTuple):
    """One question; ``name`` as tshark shows it, ``name_raw`` the wire labels joined by b"."."""

    name: str
    qtype: int
    qclass: int         # raw 16 bits: in mDNS the top bit is the "QU" (unicast response) bit
    name_raw: bytes
    offset: int         # byte offset of the question in the buffer


class ResourceRecord(NamedTuple):
    """One resource record. ``rdata`` is decoded by type (see the RDATA classes), bytes for other types,
    ``None`` when the RDATA was malformed or ran past the data (lenient mode only)."""

    name: str
    rtype: int
    rclass: int         # raw 16 bits: OPT -> UDP payload size; mDNS -> top bit is "cache flush"
    ttl: int            # raw 32 bits: OPT -> extended rcode, version, flags
    rdlength: int
    rdata: Any
    offset: int         # byte offset of the record in the buffer
    rdata_offset: int   # byte offset of its RDATA


class Mx(NamedTuple):
    preference: int
    exchange: str


class Soa(NamedTuple):
    mname: str
    rname: str
    serial: int
    refresh: int
    retry: int
    expire: int
    minimum: int


class Srv(NamedTuple):
    priority: int
    weight: int
    port: int
    target: str


class Hinfo(NamedTuple):
    cpu: bytes
    os: bytes


class Nsec(NamedTuple):
    next_name: str
    types: tuple[int, ...]


class Ds(NamedTuple):
    """DS, CDS and DLV (RFC 4034 5.1)."""

    key_tag: int
    algorithm: int
    digest_type: int
    digest: bytes


class Dnskey(NamedTuple):
    """DNSKEY and CDNSKEY (RFC 4034 2.1); ``key_tag`` per RFC 4034 Appendix B (None below 4 bytes)."""

    flags: int
    protocol: int
    algorithm: int
    public_key: bytes
    key_tag: int | None


class Rrsig(NamedTuple):
    """RRSIG and SIG (RFC 4034 3.1); times are seconds since the epoch."""

    type_covered: int
    algorithm: int
    labels: int
    original_ttl: int
    expiration: int
    inception: int
    key_tag: int
    signer: str
    signature: bytes


class Nsec3(NamedTuple):
    """NSEC3 (RFC 5155 3.2) and NSEC3PARAM (4.2, with no hash and no types)."""

    algorithm: int
    flags: int
    iterations: int
    salt: bytes
    next_hash: bytes | None
    types: tuple[int, ...]


class Naptr(NamedTuple):
    """NAPTR (RFC 3403 4.1); the three character-strings as wire bytes."""

    order: int
    preference: int
    flags: bytes
    service: bytes
    regex: bytes
    replacement: str


class Loc(NamedTuple):
    """LOC (RFC 1876 2): the wire values as they are (tshark shows them raw); ``rest``, for a version other
    than 0, is the whole RDATA."""

    version: int
    size: int
    horizontal_precision: int
    vertical_precision: int
    latitude: int
    longitude: int
    altitude: int
    rest: bytes


class Caa(NamedTuple):
    """CAA (RFC 8659 4.1)."""

    flags: int
    tag: bytes
    value: bytes


class Svcb(NamedTuple):
    """SVCB and HTTPS (RFC 9460 2.2): the SvcParams as (key, value bytes) in wire order."""

    priority: int
    target: str
    params: tuple[tuple[int, bytes], ...]


class Tkey(NamedTuple):
    """TKEY (RFC 2930 2); times are seconds since the epoch."""

    algorithm: str
    inception: int
    expiration: int
    mode: int
    error: int
    key: bytes
    other: bytes


class Tsig(NamedTuple):
    """TSIG (RFC 8945 4.2); ``time_signed`` is the 48-bit seconds since the epoch."""

    algorithm: str
    time_signed: int
    fudge: int
    mac: bytes
    original_id: int
    error: int
    other: bytes


class EdnsOption(NamedTuple):
    code: int
    data: bytes


class Edns(NamedTuple):
    """The OPT pseudo-record's meaning (RFC 6891 6.1.3): its class and TTL fields reused."""

    udp_payload_size: int
    ext_rcode: int
    version: int
    dnssec_ok: int
    z: int              # the 16 flag bits, DO included
    options: tuple[EdnsOption, ...]


class DnsMessage(NamedTuple):
    """A parsed message. ``extraneous`` holds bytes after the last record; ``errors`` the DecodeErrors of a
    lenient parse (empty when the whole message was read)."""

    header: Header
    questions: tuple[Question, ...]
    answers: tuple[ResourceRecord, ...]
    authorities: tuple[ResourceRecord, ...]
    additionals: tuple[ResourceRecord, ...]
    extraneous: bytes
    errors: tuple[DecodeError, ...]
    offset: int
    length: int

    @property
    def id(self) -> int:
        return self.header.id

    @property
    def is_response(self) -> bool:
        return bool(self.header.flags & 0x8000)

    @property
    def rcode(self) -> int:
        return self.header.flags & 0xF

    @property
    def records(self) -> tuple[ResourceRecord, ...]:
        """Answers, authorities and additionals in wire order."""
        return self.answers + self.authorities + self.additionals

    @property
    def edns(self) -> Edns | None:
        for rr in self.additionals:
            if rr.rtype == T_OPT and rr.rdata is not None:
                return rr.rdata
        return None


# -- name display (Wireshark's format_text) ---------------------------------------------------------------
_C_ESCAPES = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}
_NONPRINT_CATEGORIES = frozenset(("Cc", "Cf", "Cn", "Cs"))   # GLib's g_unichar_isprint() is false for these
_category = unicodedata.category


def _format_text(raw: bytes) -> str:
    """Wireshark's format_text(): printable ASCII as is, other ASCII as C escapes (octal when no letter),
    UTF-8 sequences decoded permissively (overlong forms accepted, invalid ones -> U+FFFD), non-printable
    code points as \\uXXXX / \\UXXXXXXXX."""
    out = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        i += 1
        if 0x20 <= c < 0x7F:
            out.append(chr(c))
            continue
        if c < 0x80:
            esc = _C_ESCAPES.get(c)
            out.append(esc if esc is not None else f"\\{c:03o}")
            continue
        if c & 0xE0 == 0xC0:
            more, uc = 1, c & 0x1F
        elif c & 0xF0 == 0xE0:
            more, uc = 2, c & 0x0F
        elif c & 0xF8 == 0xF0:
            more, uc = 3, c & 0x07
        elif c & 0xFC == 0xF8:
            more, uc = 4, c & 0x03
        elif c & 0xFE == 0xFC:
            more, uc = 5, c & 0x01
        else:                       # 0xfe, 0xff or a stray continuation byte
            more, uc = 0, 0xFFFD
        for _ in range(more):
            if i >= n:
                uc = 0xFFFD
                break
            c = raw[i]
            if c & 0xC0 != 0x80:    # not a continuation: replace, and read this byte again
                uc = 0xFFFD
                break
            i += 1
            uc = (uc << 6) | (c & 0x3F)
        if uc >= 0x110000 or 0xD800 <= uc <= 0xDFFF:
            uc = 0xFFFD
        ch = chr(uc)
        if _category(ch) not in _NONPRINT_CATEGORIES:
            out.append(ch)
        elif uc <= 0xFFFF:
            out.append(f"\\u{uc:04X}")
        else:
            out.append(f"\\U{uc:08X}")
    return "".join(out)


def format_name(raw: bytes) -> str:
    """A wire name (labels joined by b".") as tshark shows it: "<Root>" for the root."""
    if not raw:
        return "<Root>"
    if raw.isascii():
        text = raw.decode("ascii")
        if text.isprintable():
            return text
    return _format_text(raw)


def _ascii_string(data: bytes) -> str:
    """A character-string as tshark's ENC_ASCII shows it: bytes >= 0x80 -> U+FFFD, cut at the first NUL."""
    cut = data.find(b"\0")
    if cut >= 0:
        data = data[:cut]
    return data.decode("ascii", "replace")


def _utf8_string(data: bytes) -> str:
    """A character-string as tshark's ENC_UTF_8 shows it (mDNS TXT): maximal invalid subparts -> U+FFFD."""
    text = data.decode("utf-8", "replace")
    cut = text.find("\0")
    return text if cut < 0 else text[:cut]


def _ipv4(b: bytes) -> str:
    return f"{b[0]}.{b[1]}.{b[2]}.{b[3]}"


# -- the bounded cursor ---------------------------------------------------------------------------------
class WireReader:
    """A bounded cursor over one message: ``buf[pos:end]`` with names resolved against the message start.

    Every ``get_*`` checks the bound and raises DecodeError("dns", offset, reason). ``restrict_to(n)``
    narrows the bound to the next ``n`` bytes and returns the previous bound; ``release(saved)`` checks that
    the narrowed span was consumed exactly and restores the bound.
    """

    __slots__ = ("_names", "base", "buf", "end", "msg_end", "pos")

    def __init__(self, buf: bytes, pos: int, end: int, base: int | None = None):
        self.buf = buf
        self.pos = pos
        self.end = end
        self.msg_end = end
        self.base = pos if base is None else base
        self._names: dict[int, tuple[str, bytes]] = {}    # offset -> (display, raw) of the name read there

    def _short(self, n: int, what: str) -> DecodeError:
        have = max(self.end - self.pos, 0)
        return DecodeError(LAYER, self.pos, f"truncated {what}: need {n} bytes, have {have}")

    def remaining(self) -> int:
        return self.end - self.pos

    def get_u8(self, what: str = "field") -> int:
        pos = self.pos
        if pos >= self.end:
            raise self._short(1, what)
        self.pos = pos + 1
        return self.buf[pos]

    def get_u16(self, what: str = "field") -> int:
        pos = self.pos
        if pos + 2 > self.end:
            raise self._short(2, what)
        self.pos = pos + 2
        return _U16(self.buf, pos)[0]

    def get_u32(self, what: str = "field") -> int:
        pos = self.pos
        if pos + 4 > self.end:
            raise self._short(4, what)
        self.pos = pos + 4
        return _U32(self.buf, pos)[0]

    def get_struct(self, st: struct.Struct, what: str) -> tuple:
        pos = self.pos
        if pos + st.size > self.end:
            raise self._short(st.size, what)
        self.pos = pos + st.size
        return st.unpack_from(self.buf, pos)

    def get_bytes(self, n: int, what: str = "data") -> bytes:
        pos = self.pos
        if pos + n > self.end:
            raise self._short(n, what)
        self.pos = pos + n
        return self.buf[pos:pos + n]

    def restrict_to(self, n: int, what: str = "RDATA") -> int:
        if self.pos + n > self.end:
            raise self._short(n, what)
        saved = self.end
        self.end = self.pos + n
        return saved

    def release(self, saved: int, what: str = "RDATA") -> None:
        if self.pos != self.end:
            left = self.end - self.pos
            raise DecodeError(LAYER, self.pos, f"{what} not consumed exactly: {left} bytes left")
        self.end = saved

    def get_name(self) -> tuple[str, bytes]:
        """Read a (possibly compressed) name; return (display text, raw labels joined by b".")."""
        buf, end, names = self.buf, self.end, self._names
        pos = start = self.pos
        if pos + 2 <= end and buf[pos] >= 0xC0:
            # Fast path: the whole name is one pointer to a name already read (c0 0c and friends).
            target = self.base + (((buf[pos] & 0x3F) << 8) | buf[pos + 1])
            if target < start:
                hit = names.get(target)
                if hit is not None:
                    self.pos = pos + 2
                    return hit
        labels: list[bytes] = []
        targets: list[tuple[int, int]] | None = None
        after = -1
        visited: set[int] | None = None     # pointer targets followed for this name
        wire = 1                        # the root label's byte
        tail: bytes | None = None       # raw suffix found in the cache
        while True:
            if pos >= end:
                self.pos = pos
                raise self._short(1, "name")
            n = buf[pos]
            if n == 0:
                pos += 1
                break
            if n < 0x40:
                nxt = pos + 1 + n
                if nxt > end:
                    self.pos = pos + 1
                    raise self._short(n, "name label")
                wire += n + 1
                if wire > MAX_NAME_WIRE:
                    raise DecodeError(LAYER, start, f"name longer than {MAX_NAME_WIRE} bytes")
                labels.append(buf[pos + 1:nxt])
                pos = nxt
                continue
            if n < 0xC0:
                raise DecodeError(LAYER, pos, f"unsupported label type 0x{n & 0xC0:02x}")
            if pos + 2 > end:
                self.pos = pos
                raise self._short(2, "compression pointer")
            target = self.base + (((n & 0x3F) << 8) | buf[pos + 1])
            if after < 0:
                after = pos + 2
            if target >= self.msg_end:
                raise DecodeError(LAYER, pos, f"compression pointer to offset {target - self.base} "
                                              f"is past the end of the message")
            # Any target inside the message is followed, forward ones too, as tshark does; a target seen
            # before for this name is a loop: tshark then shows this placeholder for the whole name and
            # goes on after the name's first pointer (not an error in tshark).
            if visited is None:
                visited = {target}
            elif target in visited:
                self.pos = after
                return LOOP_NAME, LOOP_NAME_RAW
            else:
                visited.add(target)
            hit = names.get(target)
            if hit is not None:
                tail = hit[1]
                if tail:
                    wire += len(tail) + 1
                    if wire > MAX_NAME_WIRE:
                        raise DecodeError(LAYER, start, f"name longer than {MAX_NAME_WIRE} bytes")
                break
            if targets is None:
                targets = []
            targets.append((target, len(labels)))
            pos = target
            end = self.msg_end          # after a jump, labels may lie anywhere earlier in the message
        self.pos = after if after >= 0 else pos
        if tail:
            raw = b".".join(labels) + b"." + tail if labels else tail
        else:
            raw = b".".join(labels)
        result = (format_name(raw), raw)
        names[start] = result
        if targets is not None:         # remember the names found at each pointer target, for later pointers
            for target, index in targets:
                if index == 0:
                    names[target] = result
                else:
                    rest = labels[index:]
                    if tail:
                        rest.append(tail)
                    suffix = b".".join(rest)
                    names[target] = (format_name(suffix), suffix)
        return result


LOOP_NAME = "<Name contains a pointer that loops>"
LOOP_NAME_RAW = LOOP_NAME.encode()


# -- RDATA parsers: each reads exactly RDLENGTH bytes (the reader is restricted to them) ------------------
def _rd_bytes(r: WireReader, n: int) -> bytes:
    return r.get_bytes(n, "RDATA")


def _rd_a(r: WireReader, n: int) -> str:
    return _ipv4(r.get_bytes(4, "A address"))


def _rd_aaaa(r: WireReader, n: int) -> str:
    return _inet_ntop(_AF_INET6, r.get_bytes(16, "AAAA address"))


def _rd_name(r: WireReader, n: int) -> str:
    return r.get_name()[0]


def _rd_mx(r: WireReader, n: int) -> Mx:
    pref = r.get_u16("MX preference")
    return Mx(pref, r.get_name()[0])


def _rd_soa(r: WireReader, n: int) -> Soa:
    mname = r.get_name()[0]
    rname = r.get_name()[0]
    return Soa(mname, rname, *r.get_struct(_SOA_TIMES, "SOA numbers"))


def _rd_srv(r: WireReader, n: int) -> Srv:
    priority, weight, port = r.get_struct(_SRV_FIXED, "SRV priority/weight/port")
    return Srv(priority, weight, port, r.get_name()[0])


def _rd_strings(r: WireReader, n: int) -> tuple[bytes, ...]:
    out = []
    while r.pos < r.end:
        out.append(r.get_bytes(r.get_u8("string length"), "character-string"))
    return tuple(out)


def _rd_hinfo(r: WireReader, n: int) -> Hinfo:
    cpu = r.get_bytes(r.get_u8("HINFO CPU length"), "HINFO CPU")
    return Hinfo(cpu, r.get_bytes(r.get_u8("HINFO OS length"), "HINFO OS"))


def _rd_nsec(r: WireReader, n: int) -> Nsec:
    next_name = r.get_name()[0]
    return Nsec(next_name, _type_bitmap(r, "NSEC"))


def _rd_opt(r: WireReader, n: int) -> tuple[EdnsOption, ...]:
    options = []
    while r.pos < r.end:
        code = r.get_u16("EDNS option code")
        options.append(EdnsOption(code, r.get_bytes(r.get_u16("EDNS option length"), "EDNS option data")))
    return tuple(options)


def _key_tag(rdata: bytes, algorithm: int) -> int | None:
    """RFC 4034 Appendix B key tag of a DNSKEY RDATA (the whole RDATA); tshark gives none below 4 bytes."""
    if len(rdata) < 4:
        return None
    if algorithm == 1:          # RSA/MD5: the third-to-last and second-to-last octets
        return (rdata[-3] << 8) | rdata[-2]
    if len(rdata) & 1:
        rdata += b"\0"
    acc = sum(struct.unpack(f"!{len(rdata) // 2}H", rdata))
    acc += (acc >> 16) & 0xFFFF
    return acc & 0xFFFF


def _rd_ds(r: WireReader, n: int) -> Ds:
    key_tag, algorithm, digest_type = r.get_struct(_DS_FIXED, "DS key tag/algorithm/digest type")
    return Ds(key_tag, algorithm, digest_type, r.get_bytes(r.end - r.pos, "DS digest"))


def _rd_dnskey(r: WireReader, n: int) -> Dnskey:
    start = r.pos
    flags, protocol, algorithm = r.get_struct(_DNSKEY_FIXED, "DNSKEY flags/protocol/algorithm")
    public_key = r.get_bytes(r.end - r.pos, "DNSKEY public key")
    return Dnskey(flags, protocol, algorithm, public_key, _key_tag(r.buf[start:r.pos], algorithm))


def _rd_rrsig(r: WireReader, n: int) -> Rrsig:
    fixed = r.get_struct(_RRSIG_FIXED, "RRSIG fixed fields")
    signer = r.get_name()[0]
    return Rrsig(*fixed, signer, r.get_bytes(r.end - r.pos, "RRSIG signature"))


def _type_bitmap(r: WireReader, what: str) -> tuple[int, ...]:
    """The type bit maps of NSEC and NSEC3 (RFC 4034 4.1.2) up to the end of the RDATA."""
    types = []
    while r.pos < r.end:
        window = r.get_u8(f"{what} window") << 8
        bitmap = r.get_bytes(r.get_u8(f"{what} bitmap length"), f"{what} bitmap")
        for i, octet in enumerate(bitmap):
            if octet:
                base = window + i * 8
                for bit in range(8):
                    if octet & (0x80 >> bit):
                        types.append(base + bit)
    return tuple(types)


def _rd_nsec3(r: WireReader, n: int) -> Nsec3:
    algorithm, flags, iterations = r.get_struct(_NSEC3_FIXED, "NSEC3 algorithm/flags/iterations")
    salt = r.get_bytes(r.get_u8("NSEC3 salt length"), "NSEC3 salt")
    next_hash = r.get_bytes(r.get_u8("NSEC3 hash length"), "NSEC3 next hashed owner")
    return Nsec3(algorithm, flags, iterations, salt, next_hash, _type_bitmap(r, "NSEC3"))


def _rd_nsec3param(r: WireReader, n: int) -> Nsec3:
    algorithm, flags, iterations = r.get_struct(_NSEC3_FIXED, "NSEC3PARAM algorithm/flags/iterations")
    return Nsec3(algorithm, flags, iterations, r.get_bytes(r.get_u8("NSEC3PARAM salt length"), "salt"),
                 None, ())


def _rd_naptr(r: WireReader, n: int) -> Naptr:
    order, preference = r.get_struct(_TWO_U16, "NAPTR order/preference")
    flags = r.get_bytes(r.get_u8("NAPTR flags length"), "NAPTR flags")
    service = r.get_bytes(r.get_u8("NAPTR service length"), "NAPTR service")
    regex = r.get_bytes(r.get_u8("NAPTR regex length"), "NAPTR regex")
    return Naptr(order, preference, flags, service, regex, r.get_name()[0])


def _rd_loc(r: WireReader, n: int) -> Loc:
    version = r.buf[r.pos] if r.pos < r.end else r.get_u8("LOC version")
    if version != 0:        # tshark shows the whole RDATA, version byte included
        return Loc(version, 0, 0, 0, 0, 0, 0, r.get_bytes(r.end - r.pos, "LOC data"))
    r.pos += 1
    return Loc(version, *r.get_struct(_LOC_FIXED, "LOC fields"), b"")


def _rd_caa(r: WireReader, n: int) -> Caa:
    flags = r.get_u8("CAA flags")
    tag = r.get_bytes(r.get_u8("CAA tag length"), "CAA tag")
    return Caa(flags, tag, r.get_bytes(r.end - r.pos, "CAA value"))


def _rd_svcb(r: WireReader, n: int) -> Svcb:
    priority = r.get_u16("SVCB priority")
    target = r.get_name()[0]
    params = []
    while r.pos < r.end:
        key = r.get_u16("SvcParamKey")
        params.append((key, r.get_bytes(r.get_u16("SvcParam length"), "SvcParamValue")))
    return Svcb(priority, target, tuple(params))


def _rd_tkey(r: WireReader, n: int) -> Tkey:
    algorithm = r.get_name()[0]
    inception, expiration, mode, error = r.get_struct(_TKEY_FIXED, "TKEY times/mode/error")
    key = r.get_bytes(r.get_u16("TKEY key size"), "TKEY key data")
    other = r.get_bytes(r.get_u16("TKEY other size"), "TKEY other data")
    return Tkey(algorithm, inception, expiration, mode, error, key, other)


def _rd_tsig(r: WireReader, n: int) -> Tsig:
    algorithm = r.get_name()[0]
    high, low, fudge = r.get_struct(_TSIG_TIME, "TSIG time signed/fudge")
    mac = r.get_bytes(r.get_u16("TSIG MAC size"), "TSIG MAC")
    original_id, error = r.get_struct(_TWO_U16, "TSIG original id/error")
    other = r.get_bytes(r.get_u16("TSIG other length"), "TSIG other data")
    return Tsig(algorithm, (high << 32) | low, fudge, mac, original_id, error, other)


_NSEC3_FIXED = struct.Struct("!BBH")
_TWO_U16 = struct.Struct("!HH")
_LOC_FIXED = struct.Struct("!BBBIII")
_TKEY_FIXED = struct.Struct("!IIHH")
_TSIG_TIME = struct.Struct("!HIH")
_SOA_TIMES = struct.Struct("!5I")
_SRV_FIXED = struct.Struct("!3H")
_DS_FIXED = struct.Struct("!HBB")
_DNSKEY_FIXED = struct.Struct("!HBB")
_RRSIG_FIXED = struct.Struct("!HBBIIIH")

_RDATA: dict[int, Callable[[WireReader, int], Any]] = {
    T_A: _rd_a, T_NS: _rd_name, T_MD: _rd_name, T_MF: _rd_name, T_CNAME: _rd_name, T_SOA: _rd_soa,
    T_MB: _rd_name, T_MG: _rd_name, T_MR: _rd_name, T_NULL: _rd_bytes, T_PTR: _rd_name, T_HINFO: _rd_hinfo,
    T_MX: _rd_mx, T_TXT: _rd_strings, T_AAAA: _rd_aaaa, T_SRV: _rd_srv, T_DNAME: _rd_name, T_OPT: _rd_opt,
    T_NSEC: _rd_nsec, T_SPF: _rd_strings, T_SIG: _rd_rrsig, T_DS: _rd_ds, T_RRSIG: _rd_rrsig,
    T_DNSKEY: _rd_dnskey, T_CDS: _rd_ds, T_CDNSKEY: _rd_dnskey, T_DLV: _rd_ds, T_NSEC3: _rd_nsec3,
    T_NSEC3PARAM: _rd_nsec3param, T_NAPTR: _rd_naptr, T_LOC: _rd_loc, T_CAA: _rd_caa, T_SVCB: _rd_svcb,
    T_HTTPS: _rd_svcb, T_TKEY: _rd_tkey, T_TSIG: _rd_tsig,
}
# With RDLENGTH 0 these still mean something (no strings, no options); others get b"" (e.g. UPDATE deletes).
_EMPTY_OK = frozenset((T_TXT, T_SPF, T_OPT))


# -- the parser -----------------------------------------------------------------------------------------
# analyzer/columnar/_speedups.c dns_message (None without the compiled helper or with ANALYZER_PURE_PYTHON), and the
# classes it builds the message of
_dns_message = compiled("dns_message")
_CLASSES = (Header, Question, ResourceRecord, DnsMessage, Soa, Edns, EdnsOption)
def parse_message(buf: bytes, off: int = 0, end: int | None = None, *, lenient: bool = False) -> DnsMessage:
    """Parse the DNS message in ``buf[off:end]`` (without a TCP length prefix).

    Strict (default): raise DecodeError("dns", offset, reason) at the first problem. ``lenient=True``: return
    what was read, with the error in ``errors``; a header shorter than 12 bytes raises in both modes. Bytes
    after the last record are returned in ``extraneous`` (tshark's "Extraneous Data"), not an error.
    """
    if end is None:
        end = len(buf)
    if _dns_message is not None:
        # a message of the common shapes read whole in one compiled pass (the same DnsMessage; None: this code
        # reads it, and says what is wrong with it)
        msg = _dns_message(buf, off, end, _CLASSES)
        if msg is not None:
            return msg
    if end - off < HEADER_LEN:
        raise DecodeError(LAYER, off, f"truncated header: need {HEADER_LEN} bytes, have {max(end - off, 0)}")
    header = Header._make(_HEADER.unpack_from(buf, off))
    r = WireReader(buf, off + HEADER_LEN, end, off)
    questions: list[Question] = []
    sections: tuple[list, list, list] = ([], [], [])
    errors: tuple[DecodeError, ...] = ()
    try:
        get_name, get_struct = r.get_name, r.get_struct
        for _ in range(header.qdcount):
            qoff = r.pos
            name, raw = get_name()
            qtype, qclass = get_struct(_QFIXED, "question type/class")
            questions.append(Question(name, qtype, qclass, raw, qoff))
        rr_unpack, parsers = _RRFIXED.unpack_from, _RDATA
        for out, count in zip(sections, header[3:]):
            append = out.append
            for _ in range(count):
                rr_off = r.pos
                name = get_name()[0]
                pos = r.pos
                if pos + 10 > end:
                    raise r._short(10, "record type/class/TTL/length")
                rtype, rclass, ttl, rdlength = rr_unpack(buf, pos)
                rd_off = r.pos = pos + 10
                if rdlength == 0 and rtype not in _EMPTY_OK:
                    rdata: Any = b""            # e.g. the RRset deletions of an UPDATE
                else:
                    try:
                        saved = r.restrict_to(rdlength)
                        rdata = parsers.get(rtype, _rd_bytes)(r, rdlength)
                        r.release(saved)
                    except DecodeError:         # keep what was read of the record
                        append(ResourceRecord(name, rtype, rclass, ttl, rdlength, None, rr_off, rd_off))
                        raise
                    if rtype == T_OPT:
                        rdata = Edns(rclass, ttl >> 24, (ttl >> 16) & 0xFF, (ttl >> 15) & 1, ttl & 0xFFFF,
                                     rdata)
                append(ResourceRecord(name, rtype, rclass, ttl, rdlength, rdata, rr_off, rd_off))
    except DecodeError as err:
        if not lenient:
            raise
        errors = (err,)
    extraneous = b"" if errors or r.pos >= end else buf[r.pos:end]
    return DnsMessage(header, tuple(questions), tuple(sections[0]), tuple(sections[1]), tuple(sections[2]),
                      extraneous, errors, off, end - off)


# -- tshark fields -------------------------------------------------------------------------------------
def _hex(data: bytes) -> str:
    return data.hex() if data else EMPTY_BYTES


def _header_fields(msg_id: int, flags: int, counts: tuple[int, ...], proto: str) -> dict[str, Any]:
    """The header's fields in tshark's order; which flags tshark shows depends on QR and on LLMNR."""
    response = flags >> 15
    opcode = (flags >> 11) & 0xF
    fields: dict[str, Any] = {"dns.id": f"0x{msg_id:04x}", "dns.flags": f"0x{flags:04x}",
                              "dns.flags.response": response, "dns.flags.opcode": opcode}
    if proto == "llmnr":
        fields["dns.flags.conflict"] = (flags >> 10) & 1
        fields["dns.flags.truncated"] = (flags >> 9) & 1
        fields["dns.flags.tentative"] = (flags >> 8) & 1
    else:
        if response:
            fields["dns.flags.authoritative"] = (flags >> 10) & 1
        fields["dns.flags.truncated"] = (flags >> 9) & 1
        fields["dns.flags.recdesired"] = (flags >> 8) & 1
        if response:
            fields["dns.flags.recavail"] = (flags >> 7) & 1
        fields["dns.flags.z"] = (flags >> 6) & 1
        if response or flags & 0x20:     # in a query tshark shows the AD bit only when set
            fields["dns.flags.authenticated"] = (flags >> 5) & 1
        fields["dns.flags.checkdisable"] = (flags >> 4) & 1
    if response:
        fields["dns.flags.rcode"] = flags & 0xF
    fields.update(zip(_UPDATE_COUNT_FIELDS if opcode == OPCODE_UPDATE else _COUNT_FIELDS, counts))
    return fields


_COUNT_FIELDS = ("dns.count.queries", "dns.count.answers", "dns.count.auth_rr", "dns.count.add_rr")
_UPDATE_COUNT_FIELDS = ("dns.count.zones", "dns.count.prerequisites", "dns.count.updates", "dns.count.add_rr")


def _opt_fields(add: Callable[[str, Any], None], edns: Edns) -> None:
    for code, data in edns.options:
        n = len(data)
        add("dns.opt", 1)
        add("dns.opt.code", code)
        add("dns.opt.len", n)
        add("dns.opt.data", _hex(data))
        if code in (O_DAU, O_DHU, O_N3U):
            field = ("dns.opt.dau", "dns.opt.dhu", "dns.opt.n3u")[code - O_DAU]
            for algorithm in data:
                add(field, algorithm)
        elif code in (O_CLIENT_SUBNET, O_CLIENT_SUBNET_EXP) and n >= 4:
            family = _U16(data, 0)[0]
            add("dns.opt.client.family", family)
            add("dns.opt.client.netmask", data[2])
            add("dns.opt.client.scope", data[3])
            address = data[4:20]
            if family == 1:
                add("dns.opt.client.addr4", _ipv4(address.ljust(4, b"\0")))
            elif family == 2:
                add("dns.opt.client.addr6", _inet_ntop(_AF_INET6, address.ljust(16, b"\0")))
            else:
                add("dns.opt.client.addr", _hex(data[4:]))
        elif code == O_COOKIE and n >= 8:
            add("dns.opt.cookie.client", data[:8].hex())
            add("dns.opt.cookie.server", _hex(data[8:]))
        elif code == O_TCP_KEEPALIVE and n == 2:
            add("dns.opt.edns_tcp_keepalive.timeout", _U16(data, 0)[0])
        elif code == O_PADDING:
            add("dns.opt.padding", _hex(data))
        elif code == O_CHAIN and n:
            add("dns.opt.chain.fqdn", _ascii_string(data))
        elif code == O_EXT_ERROR and n >= 2:
            add("dns.opt.ext_error.info_code", _U16(data, 0)[0])
            if n > 2:
                add("dns.opt.ext_error.extra_text", _utf8_string(data[2:]))


def _f_txt(add, strings, mdns, length_field="dns.txt.length", field="dns.txt"):
    convert = _utf8_string if mdns else _ascii_string
    for s in strings:
        add(length_field, len(s))
        add(field, convert(s))


def _f_spf(add, strings, mdns):
    for s in strings:
        add("dns.spf.length", len(s))
        add("dns.spf", _ascii_string(s))


def _f_soa(add, soa, mdns):
    add("dns.soa.mname", soa.mname)
    add("dns.soa.rname", soa.rname)
    add("dns.soa.serial_number", soa.serial)
    add("dns.soa.refresh_interval", soa.refresh)
    add("dns.soa.retry_interval", soa.retry)
    add("dns.soa.expire_limit", soa.expire)
    add("dns.soa.minimum_ttl", soa.minimum)


def _f_srv(add, srv, mdns):
    add("dns.srv.priority", srv.priority)
    add("dns.srv.weight", srv.weight)
    add("dns.srv.port", srv.port)
    add("dns.srv.target", srv.target)


def _f_mx(add, mx, mdns):
    add("dns.mx.preference", mx.preference)
    add("dns.mx.mail_exchange", mx.exchange)


def _f_hinfo(add, hinfo, mdns):
    add("dns.hinfo.cpu_length", len(hinfo.cpu))
    add("dns.hinfo.cpu", _ascii_string(hinfo.cpu))
    add("dns.hinfo.os_length", len(hinfo.os))
    add("dns.hinfo.os", _ascii_string(hinfo.os))


def _f_nsec(add, nsec, mdns):
    add("dns.nsec.next_domain_name", nsec.next_name)
    for t in nsec.types:            # tshark lists the bitmap's types as dns.resp.type items
        add("dns.resp.type", t)


def _f_ds(add, ds, mdns):
    add("dns.ds.key_id", f"0x{ds.key_tag:04x}")
    add("dns.ds.algorithm", ds.algorithm)
    add("dns.ds.digest_type", ds.digest_type)
    add("dns.ds.digest", _hex(ds.digest))


def _f_dnskey(add, key, mdns):
    flags = key.flags
    add("dns.dnskey.flags", f"0x{flags:04x}")
    add("dns.dnskey.flags.zone_key", (flags >> 8) & 1)
    add("dns.dnskey.flags.key_revoked", (flags >> 7) & 1)
    add("dns.dnskey.flags.secure_entry_point", flags & 1)
    add("dns.dnskey.flags.reserved", f"0x{(flags & 0xFE7E) >> 1:04x}")   # tshark shifts masked values
    add("dns.dnskey.protocol", key.protocol)
    add("dns.dnskey.algorithm", key.algorithm)
    if key.key_tag is not None:
        add("dns.dnskey.key_id", key.key_tag)
    add("dns.dnskey.public_key", _hex(key.public_key))


def _utc_text(seconds: int) -> str:
    """An absolute time as tshark prints it with TZ=UTC ("Nov  7, 2012 10:00:53.000000000 UTC")."""
    t = time.gmtime(seconds)
    clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{_MONTHS[t.tm_mon - 1]} {t.tm_mday:2d}, {t.tm_year} {clock}.000000000 UTC"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _f_rrsig(add, sig, mdns):
    add("dns.rrsig.type_covered", sig.type_covered)
    add("dns.rrsig.algorithm", sig.algorithm)
    add("dns.rrsig.labels", sig.labels)
    add("dns.rrsig.original_ttl", sig.original_ttl)
    add("dns.rrsig.signature_expiration", _utc_text(sig.expiration))
    add("dns.rrsig.signature_inception", _utc_text(sig.inception))
    add("dns.rrsig.key_tag", sig.key_tag)
    add("dns.rrsig.signers_name", sig.signer)
    if sig.signature:
        add("dns.rrsig.signature", sig.signature.hex())


def _f_nsec3(add, nsec3, mdns):
    add("dns.nsec3.algo", nsec3.algorithm)
    add("dns.nsec3.flags", nsec3.flags)
    if nsec3.next_hash is not None:          # NSEC3 shows the opt-out bit, NSEC3PARAM does not
        add("dns.nsec3.flags.opt_out", nsec3.flags & 1)
    add("dns.nsec3.iterations", nsec3.iterations)
    add("dns.nsec3.salt_length", len(nsec3.salt))
    add("dns.nsec3.salt_value", _hex(nsec3.salt))
    if nsec3.next_hash is not None:
        add("dns.nsec3.hash_length", len(nsec3.next_hash))
        add("dns.nsec3.hash_value", base64.b32hexencode(nsec3.next_hash).decode().rstrip("=").lower())
        for t in nsec3.types:
            add("dns.resp.type", t)


def _f_naptr(add, naptr, mdns):
    add("dns.naptr.order", naptr.order)
    add("dns.naptr.preference", naptr.preference)
    add("dns.naptr.flags_length", len(naptr.flags))
    add("dns.naptr.flags", _ascii_string(naptr.flags))
    add("dns.naptr.service_length", len(naptr.service))
    add("dns.naptr.service", _ascii_string(naptr.service))
    add("dns.naptr.regex_length", len(naptr.regex))
    add("dns.naptr.regex", _ascii_string(naptr.regex))
    add("dns.naptr.replacement_length", len(naptr.replacement))   # tshark measures the shown name
    add("dns.naptr.replacement", naptr.replacement)


def _f_loc(add, loc, mdns):
    add("dns.loc.version", loc.version)
    if loc.version != 0:
        add("dns.loc.unknown_data", _hex(loc.rest))
        return
    add("dns.loc.size", loc.size)
    add("dns.loc.horizontal_precision", loc.horizontal_precision)
    add("dns.loc.vertical_precision", loc.vertical_precision)
    add("dns.loc.latitude", loc.latitude)
    add("dns.loc.longitude", loc.longitude)
    add("dns.loc.altitude", loc.altitude)


_CAA_TAG_FIELDS = {b"issue": "dns.caa.issue", b"issuewild": "dns.caa.issuewild", b"iodef": "dns.caa.iodef"}


def _f_caa(add, caa, mdns):
    add("dns.caa.flags", f"0x{caa.flags:02x}")
    add("dns.caa.flags.issuer_critical", caa.flags >> 7)
    value = _ascii_string(caa.value)
    add(_CAA_TAG_FIELDS.get(caa.tag, "dns.caa.unknown"), value)
    add("dns.caa.tag_length", len(caa.tag))
    add("dns.caa.tag", _ascii_string(caa.tag))
    add("dns.caa.value", value)


# SvcParamKeys (RFC 9460 14.3.2) with a field of their own in tshark.
SVC_MANDATORY, SVC_ALPN, SVC_NO_DEFAULT_ALPN, SVC_PORT, SVC_IPV4HINT, SVC_ECH, SVC_IPV6HINT = range(7)
SVC_ODOH = 32769


def _f_svcb(add, svcb, mdns):
    add("dns.svcb.svcpriority", svcb.priority)
    add("dns.svcb.targetname", svcb.target)
    for key, value in svcb.params:
        n = len(value)
        add("dns.svcb.svcparam.key", key)
        add("dns.svcb.svcparam.value.length", n)
        if key == SVC_MANDATORY:
            for i in range(0, n - 1, 2):
                add("dns.svcb.svcparam.mandatory.key", _U16(value, i)[0])
        elif key == SVC_ALPN:
            i = 0
            while i < n:
                size = value[i]
                add("dns.svcb.svcparam.alpn.length", size)
                add("dns.svcb.svcparam.alpn", _ascii_string(value[i + 1:i + 1 + size]))
                i += 1 + size
        elif key == SVC_NO_DEFAULT_ALPN:
            pass
        elif key == SVC_PORT and n == 2:
            add("dns.svcb.svcparam.port", _U16(value, 0)[0])
        elif key == SVC_IPV4HINT:
            for i in range(0, n - 3, 4):
                add("dns.svcb.svcparam.ipv4hint.ip", _ipv4(value[i:i + 4]))
        elif key == SVC_ECH:
            add("dns.svcb.svcparam.echconfig", _hex(value))
        elif key == SVC_IPV6HINT:
            for i in range(0, n - 15, 16):
                add("dns.svcb.svcparam.ipv6hint.ip", _inet_ntop(_AF_INET6, value[i:i + 16]))
        elif key == SVC_ODOH:
            add("dns.svcb.svcparam.odohconfig", _hex(value))
        else:
            add("dns.svcb.svcparam.value", _hex(value))


def _f_tkey(add, tkey, mdns):
    add("dns.tkey.algo_name", tkey.algorithm)
    add("dns.tkey.signature_inception", _utc_text(tkey.inception))
    add("dns.tkey.signature_expiration", _utc_text(tkey.expiration))
    add("dns.tkey.mode", tkey.mode)
    add("dns.tkey.error", tkey.error)
    add("dns.tkey.key_size", len(tkey.key))
    if tkey.key:
        add("dns.tkey.key_data", tkey.key.hex())
    add("dns.tkey.other_size", len(tkey.other))
    if tkey.other:
        add("dns.tkey.other_data", tkey.other.hex())


def _f_tsig(add, tsig, mdns):
    add("dns.tsig.algorithm_name", tsig.algorithm)
    add("dns.tsig.time_signed", _utc_text(tsig.time_signed))
    add("dns.tsig.fudge", tsig.fudge)
    add("dns.tsig.mac_size", len(tsig.mac))
    add("dns.tsig.original_id", tsig.original_id)
    add("dns.tsig.error", tsig.error)
    add("dns.tsig.other_len", len(tsig.other))
    if tsig.other:
        add("dns.tsig.other_data", tsig.other.hex())


def _simple(field: str) -> Callable[[Callable[[str, Any], None], Any, bool], None]:
    def emit(add, value, mdns):
        add(field, value)
    return emit


_RDATA_FIELDS: dict[int, Callable[[Callable[[str, Any], None], Any, bool], None]] = {
    T_A: _simple("dns.a"), T_NS: _simple("dns.ns"), T_MD: _simple("dns.md"), T_MF: _simple("dns.mf"),
    T_CNAME: _simple("dns.cname"), T_SOA: _f_soa, T_MB: _simple("dns.mb"), T_MG: _simple("dns.mg"),
    T_MR: _simple("dns.mr"), T_NULL: lambda add, value, mdns: add("dns.null", _hex(value)),
    T_PTR: _simple("dns.ptr.domain_name"), T_HINFO: _f_hinfo, T_MX: _f_mx, T_TXT: _f_txt,
    T_AAAA: _simple("dns.aaaa"), T_SRV: _f_srv, T_DNAME: _simple("dns.dname"), T_NSEC: _f_nsec,
    T_SPF: _f_spf, T_SIG: _f_rrsig, T_DS: _f_ds, T_RRSIG: _f_rrsig, T_DNSKEY: _f_dnskey, T_CDS: _f_ds,
    T_CDNSKEY: _f_dnskey, T_DLV: _f_ds, T_NSEC3: _f_nsec3, T_NSEC3PARAM: _f_nsec3, T_NAPTR: _f_naptr,
    T_LOC: _f_loc, T_CAA: _f_caa, T_SVCB: _f_svcb, T_HTTPS: _f_svcb, T_TKEY: _f_tkey, T_TSIG: _f_tsig,
}


def message_fields(msg: DnsMessage, proto: str = "dns") -> dict[str, Any]:
    """tshark's dns.* fields of a message, in tree order. ``proto`` is the layer: "dns", "mdns" (class top
    bit is QU / cache flush, TXT is UTF-8) or "llmnr" (its own flag names)."""
    h = msg.header
    fields = _header_fields(h.id, h.flags, h[2:], proto)
    acc: dict[str, list] = {}               # the other fields, which may repeat

    def add(key: str, value: Any) -> None:
        values = acc.get(key)
        if values is None:
            acc[key] = [value]
        else:
            values.append(value)

    mdns = proto == "mdns"
    for q in msg.questions:
        raw = q.name_raw
        add("dns.qry.name", q.name)
        if raw:     # tshark counts the raw name's bytes and dots; it reports 0/0 for one-byte names
            add("dns.qry.name.len", len(raw) if len(raw) > 1 else 0)
            add("dns.count.labels", raw.count(b".") + 1 if len(raw) > 1 else 0)
        else:       # the root: tshark measures its display text "<Root>"
            add("dns.qry.name.len", 6)
            add("dns.count.labels", 1)
        add("dns.qry.type", q.qtype)
        if mdns:
            add("dns.qry.class", f"0x{q.qclass & 0x7FFF:04x}")
            add("dns.qry.qu", q.qclass >> 15)
        else:
            add("dns.qry.class", f"0x{q.qclass:04x}")
    records = msg.answers + msg.authorities + msg.additionals
    if records:
        # The per-record fields go straight into their lists (the hot loop); the rest through add().
        names: list = []
        types: list = []
        classes: list = []
        flushes: list = []
        ttls: list = []
        lengths: list = []
        acc.update((("dns.resp.name", names), ("dns.resp.type", types), ("dns.resp.class", classes),
                    ("dns.resp.cache_flush", flushes), ("dns.resp.ttl", ttls), ("dns.resp.len", lengths)))
        msg_end = msg.offset + msg.length
        for rr in records:
            rtype, rclass, rdata = rr.rtype, rr.rclass, rr.rdata
            if rdata is None and rr.rdata_offset + rr.rdlength > msg_end:
                continue                # tshark shows nothing of a record running past the data
            if rtype == T_OPT:
                names.append(rr.name)
                types.append(rtype)
                if mdns:
                    add("dns.rr.udp_payload_size", f"0x{rclass & 0x7FFF:04x}")
                    flushes.append(rclass >> 15)
                else:
                    add("dns.rr.udp_payload_size", rclass)
                ttl = rr.ttl
                add("dns.resp.ext_rcode", f"0x{ttl >> 24:02x}")
                add("dns.resp.edns0_version", (ttl >> 16) & 0xFF)
                add("dns.resp.z", f"0x{ttl & 0xFFFF:04x}")
                add("dns.resp.z.do", (ttl >> 15) & 1)
                add("dns.resp.z.reserved", f"0x{ttl & 0x7FFF:04x}")
                lengths.append(rr.rdlength)
                if type(rdata) is Edns:
                    _opt_fields(add, rdata)
                continue
            if rtype == T_SRV:
                # tshark splits an SRV owner name into service, protocol and the rest.
                parts = rr.name.split(".", 2)
                add("dns.srv.service", parts[0])
                if len(parts) > 1:
                    add("dns.srv.proto", parts[1])
                    if len(parts) > 2:
                        add("dns.srv.name", parts[2])
            else:
                names.append(rr.name)
            types.append(rtype)
            if mdns:
                classes.append(f"0x{rclass & 0x7FFF:04x}")
                flushes.append(rclass >> 15)
            else:
                classes.append(f"0x{rclass:04x}")
            ttls.append(rr.ttl)
            lengths.append(rr.rdlength)
            if rdata is None or rr.rdlength == 0:
                continue
            emit = _RDATA_FIELDS.get(rtype)
            if emit is not None:
                emit(add, rdata, mdns)
            elif rtype not in _TSHARK_DISSECTED:
                add("dns.data", _hex(rdata))
    if msg.extraneous:
        add("dns.extraneous.data", msg.extraneous.hex())
        add("dns.extraneous.length", len(msg.extraneous))
    fields.update((key, values[0] if len(values) == 1 else values) for key, values in acc.items() if values)
    return fields


def _partial_header_fields(buf: bytes, off: int, end: int, proto: str) -> dict[str, Any]:
    """The fields tshark shows for a message shorter than its header: id and flags, then whole counts."""
    n = end - off
    if n < 4:
        return {}
    msg_id, flags = struct.unpack_from("!HH", buf, off)
    counts = tuple(_U16(buf, off + i)[0] for i in range(4, min(n, HEADER_LEN) - 1, 2))
    return _header_fields(msg_id, flags, counts, proto)


# -- Info column ---------------------------------------------------------------------------------------
def _rr_info(rr: ResourceRecord, mdns: bool) -> str:
    rtype, rdata = rr.rtype, rr.rdata
    text = " " + type_name(rtype)
    if mdns and rr.rclass & 0x8000:
        text += ", cache flush"
    if rdata is None or rr.rdlength == 0:
        return text
    if rtype in (T_A, T_AAAA, T_CNAME, T_NS, T_PTR, T_DNAME):
        return f"{text} {rdata}"
    if rtype == T_MX:
        return f"{text} {rdata.preference} {rdata.exchange}"
    if rtype == T_SOA:
        return f"{text} {rdata.mname}"
    if rtype == T_SRV:
        return f"{text} {rdata.priority} {rdata.weight} {rdata.port} {rdata.target}"
    if rtype == T_NSEC:
        return f"{text} {rdata.next_name}"
    if rtype == T_HINFO:
        return f"{text} {_ascii_string(rdata.cpu)} {_ascii_string(rdata.os)}"
    if rtype == T_NAPTR:
        return f"{text} {rdata.order} {rdata.preference} {_ascii_string(rdata.flags)}"
    if rtype in _INFO_OWNER:
        return f"{text} {rr.name}"
    return text


def _head_info(msg_id: int, flags: int) -> str:
    opcode = (flags >> 11) & 0xF
    text = OPCODE_NAMES.get(opcode) or f"Unknown operation ({opcode})"
    if flags & 0x8000:
        text += f" response 0x{msg_id:04x}"
        rcode = flags & 0xF
        if rcode:
            text += " " + (RCODE_NAMES.get(rcode) or f"Unknown error ({rcode})")
        return text
    return f"{text} 0x{msg_id:04x}"


def summarize(msg: DnsMessage, proto: str = "dns") -> str:
    """tshark's Info column for one message, e.g. "Standard query response 0x1032 TXT google.com TXT".

    For a TCP segment holding several messages tshark shows the last message's text (see :func:`info_text`).
    tshark appends "[Malformed Packet]" or "[Packet size limited during capture]" itself; that is the
    report's business.
    """
    parts = [_head_info(msg.header.id, msg.header.flags)]
    mdns = proto == "mdns"
    for q in msg.questions:
        parts.append(f" {type_name(q.qtype)} {q.name}")
        if mdns:
            parts.append(', "QU" question' if q.qclass & 0x8000 else ', "QM" question')
    for rr in msg.answers + msg.authorities + msg.additionals:
        parts.append(_rr_info(rr, mdns))
    return "".join(parts)


_LAYER_NAMES = frozenset(("dns", "mdns", "llmnr"))


def info_text(pkt) -> str | None:
    """The Info text tshark shows for a decoded packet's DNS layer (the last one in a TCP segment holding
    several messages), re-read from the frame. None when the packet has no dns/mdns/llmnr layer, or when the
    message is quoted in an ICMP error (tshark's Info is then the ICMP message's)."""
    layer = None
    for candidate in pkt.layers:
        if candidate.name in _LAYER_NAMES:
            layer = candidate
        elif candidate.name in ("icmp", "icmpv6"):
            return None
    if layer is None:
        return None
    data = pkt.frame.data
    off = layer.offset + (2 if "dns.length" in layer.fields else 0)
    end = layer.offset + layer.length
    try:
        msg = parse_message(data, off, end, lenient=True)
    except DecodeError:         # shorter than the header: tshark shows the id and flags if it has them
        return _head_info(*struct.unpack_from("!HH", data, off)) if end - off >= 4 else ""
    return summarize(msg, layer.name)


# -- decode-loop entries -----------------------------------------------------------------------------------
_LAYER_FIELDS = Layer.fields     # the base class's slot: DnsLayer fills it on first read


class DnsLayer(Layer):
    """A dns/mdns/llmnr layer as the decoder made it, holding the parsed message too: the Info column
    (``analyzer.report.summary.dns_info``) summarizes it instead of parsing the frame's bytes a second time.

    Its ``fields`` (:func:`message_fields`, after ``prefix``: the ``dns.length`` of a message over TCP) are made
    on first read: a run that only pairs queries and answers (``analyzer dns``, the transaction stage reads
    ``message``) never reads them, and making them was the largest part of such a run's decode. Whoever reads
    them (a display filter, ``read -V/--json/-T fields``, the tracker's ``dns.response_in``) gets the same dict,
    made once; a set replaces it."""

    __slots__ = ("message", "prefix")

    def __init__(self, name: str, offset: int, length: int, message: DnsMessage,
                 prefix: dict[str, Any] | None = None):
        self.name = name
        self.offset = offset
        self.length = length
        self.message = message
        self.prefix = prefix

    @property
    def fields(self) -> dict[str, Any]:
        try:
            return _LAYER_FIELDS.__get__(self)
        except AttributeError:          # not made yet
            fields = message_fields(self.message, self.name)
            if self.prefix:
                fields = {**self.prefix, **fields}
            _LAYER_FIELDS.__set__(self, fields)
            return fields

    @fields.setter
    def fields(self, value: dict[str, Any]) -> None:
        _LAYER_FIELDS.__set__(self, value)


def _decode_message(pkt, data: bytes, off: int, end: int, proto: str, prefix: dict[str, Any] | None,
                    layer_off: int) -> DnsMessage | None:
    """Add one layer for the message in data[off:end]; raise its error after the layer is added."""
    try:
        msg = parse_message(data, off, end, lenient=True)
    except DecodeError:
        fields = _partial_header_fields(data, off, end, proto)
        pkt.add(proto, layer_off, end - layer_off, {**prefix, **fields} if prefix else fields)
        raise
    pkt.add_layer(DnsLayer(proto, layer_off, end - layer_off, msg, prefix))
    if msg.errors:
        raise msg.errors[0]
    return msg


def decode_dns(pkt, data: bytes, off: int, end: int) -> None:
    """Decode-loop entry for DNS over UDP (port 53): one message filling the datagram."""
    if off < end:
        _decode_message(pkt, data, off, end, "dns", None, off)


def decode_mdns(pkt, data: bytes, off: int, end: int) -> None:
    """Multicast DNS (UDP 5353): tshark names the layer "mdns"; its fields are still dns.*."""
    if off < end:
        _decode_message(pkt, data, off, end, "mdns", None, off)


def decode_llmnr(pkt, data: bytes, off: int, end: int) -> None:
    """Link-local Multicast Name Resolution (UDP 5355): layer "llmnr", fields dns.*."""
    if off < end:
        _decode_message(pkt, data, off, end, "llmnr", None, off)


def decode_dns_tcp(pkt, data: bytes, off: int, end: int) -> None:
    """DNS over TCP (port 53): each whole 2-byte-length-prefixed message in the segment becomes one "dns"
    layer (tshark shows several in one frame the same way). A message that continues in the next segment is
    left for TCP reassembly, which will feed whole messages to :func:`parse_message`; one cut by the
    capture's snaplen is decoded as far as it goes, like a cut UDP message."""
    frame = pkt.frame
    # Bytes of this segment the capture did not keep (snaplen): they end the frame, hence the segment.
    uncaptured = frame.origlen - frame.caplen if end == len(data) else 0
    pos = off
    while end - pos >= 2:
        length = _U16(data, pos)[0]
        msg_end = pos + 2 + length
        if msg_end > end:
            if msg_end <= end + uncaptured:     # whole on the wire, cut by the capture: show what is there
                _decode_message(pkt, data, pos + 2, end, "dns", {"dns.length": length}, pos)
            elif pos > off:
                pkt.note(LAYER, "note", f"DNS message at offset {pos} continues past the segment "
                                        f"({end - pos - 2} of {length} bytes)")
            break
        _decode_message(pkt, data, pos + 2, msg_end, "dns", {"dns.length": length}, pos)
        pos = msg_end


UDP_PORTS = {53: decode_dns, 5353: decode_mdns, 5355: decode_llmnr}
TCP_PORTS = {53: decode_dns_tcp}
