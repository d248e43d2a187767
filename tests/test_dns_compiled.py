"""``parse_message`` reads a DNS message of the common shapes in one compiled pass (``_speedups.c`` ``dns_message``)
and gives the same DnsMessage as its Python, value for value and type for type; anything else it declines and the
Python reads it. Compared on every DNS message over UDP in captures/, the corpus and the test fixtures, on crafted
messages (compression, the record types it decodes and some it leaves to the Python, the root name, names the Python
escapes, forward and looping pointers, OPT options, trailing bytes), on every prefix of them and on seeded random
mutations of them."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest

from analyzer.compiled import compiled
from analyzer.decode import dns
from analyzer.decode.errors import DecodeError

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
COMPILED = compiled("dns_message")
needs_built = pytest.mark.skipif(COMPILED is None, reason="the compiled helper is not built (or ANALYZER_PURE_PYTHON)")
PORTS = {53, 5353, 5355}


def _typed(v):
    """A value with the type of every tuple in it, for a comparison that tells a Soa from a plain tuple."""
    if isinstance(v, tuple):
        return (type(v).__name__,) + tuple(_typed(x) for x in v)
    return (type(v).__name__, v)


def _python(buf: bytes, off: int, end: int):
    """The Python's parse (lenient: what it read, and its errors), or the error a short header raises."""
    saved, dns._dns_message = dns._dns_message, None
    try:
        return dns.parse_message(buf, off, end, lenient=True)
    except DecodeError as err:
        return err
    finally:
        dns._dns_message = saved


def _check(buf: bytes, off: int = 0, end: int | None = None) -> bool:
    """The compiled parse equals the Python's or declines; True when it took the message."""
    end = len(buf) if end is None else end
    got = COMPILED(buf, off, end, dns._CLASSES)
    if got is None:
        return False
    want = _python(buf, off, end)
    assert isinstance(want, dns.DnsMessage) and not want.errors, f"taken but the Python says {want!r}"
    assert _typed(got) == _typed(want)
    assert dns.parse_message(buf, off, end) == want          # strict: the same message, through the hook
    return True


def _udp_payloads(path: Path) -> list[bytes]:
    from analyzer.capture import open_capture
    from analyzer.decode.packet import decode

    out = []
    with open_capture(path) as reader:
        for frame in reader:
            pkt = decode(frame)
            udp = next((lay for lay in pkt.layers if lay.name == "udp"), None)
            if udp is None or pkt.payload is None:
                continue
            if udp.fields.get("udp.srcport") in PORTS or udp.fields.get("udp.dstport") in PORTS:
                off, end = pkt.payload
                out.append(bytes(frame.data[off:end]))
    return out


def _name(text: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in text.split(".") if p) + b"\x00"


def _rr(name: bytes, rtype: int, rdata: bytes, rclass: int = 1, ttl: int = 300) -> bytes:
    return name + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def _msg(qd: list[bytes], an: list[bytes] = (), ns: list[bytes] = (), ar: list[bytes] = (), flags: int = 0x8180,
         tail: bytes = b"") -> bytes:
    return struct.pack("!6H", 0x1234, flags, len(qd), len(an), len(ns), len(ar)) + b"".join(qd) + b"".join(an) + \
        b"".join(ns) + b"".join(ar) + tail


PTR_QNAME = b"\xc0\x0c"         # the question's name (right after the header)
Q = _name("www.example.com") + b"\x00\x01\x00\x01"
OPT = _rr(b"\x00", 41, struct.pack("!HH", 10, 8) + b"\x01\x02\x03\x04\x05\x06\x07\x08" + struct.pack("!HH", 12, 0),
          rclass=1232, ttl=0x00008000)
SOA = _rr(_name("example.com"), 6, _name("ns1.example.com") + b"\x05admin\xc0\x1d" + struct.pack("!5I", 1, 2, 3, 4, 5))
CRAFTED = {
    "query": _msg([Q], flags=0x0100),
    "query_opt": _msg([Q], ar=[_rr(b"\x00", 41, b"", rclass=1232)], flags=0x0120),
    "a": _msg([Q], [_rr(PTR_QNAME, 1, bytes([93, 184, 216, 34]))]),
    "aaaa": _msg([Q], [_rr(PTR_QNAME, 28, bytes.fromhex("20010db8000000000000000000000001")),
                       _rr(PTR_QNAME, 28, bytes.fromhex("fe800000000000000202b3fffe1e8329")),
                       _rr(PTR_QNAME, 28, bytes.fromhex("00000000000000000000ffff5db8d822"))]),
    "cname_chain": _msg([Q], [_rr(PTR_QNAME, 5, b"\x03cdn\xc0\x10"), _rr(b"\xc0\x2d", 1, b"\x01\x02\x03\x04")]),
    "soa_nxdomain": _msg([Q], ns=[SOA], flags=0x8183),
    "opt_options": _msg([Q], [_rr(PTR_QNAME, 1, b"\x0a\x00\x00\x01")], ar=[OPT]),
    "ns_ptr": _msg([_name("34.216.184.93.in-addr.arpa") + b"\x00\x0c\x00\x01"],
                   [_rr(PTR_QNAME, 12, _name("example.com")), _rr(PTR_QNAME, 2, _name("a.iana-servers.net"))]),
    "root": _msg([b"\x00\x00\x02\x00\x01"], [_rr(b"\x00", 2, _name("a.root-servers.net"))]),
    "label_named_root": _msg([_name("<Root>") + b"\x00\x01\x00\x01"]),
    "trailing_bytes": _msg([Q], [_rr(PTR_QNAME, 1, b"\x01\x02\x03\x04")], tail=b"\xde\xad"),
    "zero_rdlength_a": _msg([Q], [_rr(PTR_QNAME, 1, b"")]),
    "space_and_dot_in_label": _msg([b"\x04a b.\x03com\x00\x00\x01\x00\x01"]),     # printable: shown as is
    # left to the Python
    "mx_txt": _msg([Q], [_rr(PTR_QNAME, 15, b"\x00\x0a\x04mail\xc0\x10"), _rr(PTR_QNAME, 16, b"\x05hello")]),
    "escaped_label": _msg([_name("we\x01ird.example") + b"\x00\x01\x00\x01"]),

    "forward_pointer": _msg([b"\xc0\x12\x00\x01\x00\x01" + _name("later.example")]),
    "pointer_loop": _msg([b"\x01a\xc0\x0c\x00\x01\x00\x01"]),
    "pointer_to_itself": _msg([b"\xc0\x0c\x00\x01\x00\x01"]),
    "pointer_to_its_target": _msg([Q], [_rr(b"\xc0\x21", 1, b"\x01\x02\x03\x04")]),    # 0x21: this pointer
    "a_length_5": _msg([Q], [_rr(PTR_QNAME, 1, b"\x01\x02\x03\x04\x05")]),
    "name_past_rdata": _msg([Q], [_rr(PTR_QNAME, 5, b"\x03cdn")]),
    "reserved_label_type": _msg([b"\x41abc\x00\x00\x01\x00\x01"]),
    "long_name": _msg([_name(".".join(["a" * 63] * 4)) + b"\x00\x01\x00\x01"]),
    "counts_past_the_end": _msg([Q])[:5] + b"\x05" + _msg([Q])[6:],
}
TAKEN = {"query", "query_opt", "a", "aaaa", "cname_chain", "soa_nxdomain", "opt_options", "ns_ptr", "root",
         "label_named_root", "trailing_bytes", "zero_rdlength_a", "space_and_dot_in_label"}


@needs_built
@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted(name):
    data = CRAFTED[name]
    assert _check(data) == (name in TAKEN)
    assert _check(b"\xff" * 7 + data + b"\xee" * 3, 7, 7 + len(data)) == (name in TAKEN)    # inside a frame


@needs_built
@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_every_prefix(name):
    data = CRAFTED[name]
    for n in range(len(data) + 1):
        _check(data, 0, n)


@needs_built
def test_mutations():
    rng = random.Random(1017)
    taken = 0
    for data in CRAFTED.values():
        for _ in range(300):
            b = bytearray(data)
            for _ in range(rng.randint(1, 3)):
                b[rng.randrange(len(b))] = rng.choice((0, 1, 4, 0x3F, 0x40, 0xC0, 0xC1, 0xFF, rng.randrange(256)))
            taken += _check(bytes(b))
    assert taken > 1000


@needs_built
def test_declines_what_is_not_bytes():
    data = CRAFTED["a"]
    assert COMPILED(bytearray(data), 0, len(data), dns._CLASSES) is None
    assert COMPILED(data, 0, len(data) + 1, dns._CLASSES) is None
    assert COMPILED(data, -1, len(data), dns._CLASSES) is None


FILES = sorted((REPO / "captures").glob("*.pcap*")) + sorted((REPO / "tests" / "fixtures").rglob("*.pcap*"))


@needs_built
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_captures(path):
    for data in _udp_payloads(path):
        _check(data)


@needs_built
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")
def test_corpus():
    n = taken = 0
    for path in sorted(CORPUS.glob("*.pcap*")):
        for data in _udp_payloads(path):
            n += 1
            taken += _check(data)
    assert taken > n // 2
