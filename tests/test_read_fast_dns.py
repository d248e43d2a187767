"""read's line of a DNS datagram made without a decode (``report.dns_lines.dns_line_of`` then
``Summary.dns_line``) is the line of the decoded packet (``Summary.line``): on every frame it takes in the
captures and the corpus, and on DNS frames damaged just where it decides (VLAN tag, snap length, IPv4 options,
fragments, lengths of IP and UDP, Ethernet padding, the ports it leaves to mDNS, LLMNR, SSDP and HTTP over UDP,
Decode As on either port, a message that does not parse whole: cut, or counting more records than it holds) and at
random. Where it declines, the frame goes through the pipeline; read's output is the same with and without it."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest
import synthetic

from analyzer.capture import open_capture
from analyzer.capture.frame import Frame
from analyzer.decode import decode
from analyzer.decode.decode_as import HTTP_UDP_PORTS
from analyzer.decode.dns import decode_llmnr
from analyzer.report import dns_lines
from analyzer.report.summary import Summary

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])


def _agree(frame: Frame, digits=None) -> bool:
    """dns_line_of declines the frame, or its line is the decoded packet's; True when it took it."""
    res = dns_lines.dns_line_of(frame)
    if res is None:
        return False
    fast, slow = Summary(digits_of=digits), Summary(digits_of=digits)
    fast.t0_ns = slow.t0_ns = frame.ts_ns - 1234567
    assert fast.dns_line(res) == slow.line(decode(frame)), (frame.number, frame.data.hex())
    return True


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_captures(path):
    with open_capture(path) as reader:
        for frame in reader:
            _agree(frame, getattr(reader, "time_digits", None))


def test_synthetic_takes_the_dns_frames(tmp_path):
    path = tmp_path / "s.pcap"
    synthetic.generate(path, 4_000, seed=4, clients=60, sites=40)
    taken = dns = 0
    with open_capture(path) as reader:
        for frame in reader:
            dns += any(layer.name == "dns" for layer in decode(frame).layers)
            taken += _agree(frame)
    assert dns > 100 and taken == dns


def _query(name: bytes = b"\x03www\x07example\x03com\x00", v6: bool = False, sport: int = 40000,
           dport: int = 53, message: bytes | None = None, pad: int = 0) -> bytes:
    """An Ethernet frame holding one DNS query over UDP (lengths consistent)."""
    if message is None:
        message = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + name + b"\x00\x01\x00\x01"
    udp = struct.pack("!HHHH", sport, dport, 8 + len(message), 0) + message
    if v6:
        ip = b"\x60\x00\x00\x00" + struct.pack("!H", len(udp)) + b"\x11\x40" + bytes(range(16)) + bytes(16) + udp
        return bytes(6) + b"\x02" * 6 + b"\x86\xdd" + ip + bytes(pad)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0x4000, 64, 17, 0, b"\x0a\x00\x00\x05",
                     b"\x0a\x00\x00\x01") + udp
    return bytes(6) + b"\x02" * 6 + b"\x08\x00" + ip + bytes(pad)


def _frame(data: bytes, origlen: int | None = None, number: int = 7) -> Frame:
    return Frame(number, 1_700_000_000_123_456_789, len(data) if origlen is None else origlen, None, 1, data)


RESPONSE = (b"\x12\x34\x81\x80\x00\x01\x00\x02\x00\x00\x00\x00\x03www\x07example\x03com\x00\x00\x01\x00\x01"
            b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x06\x03cdn\xc0\x10"
            b"\xc0\x2d\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x5d\xb8\xd8\x22")


def test_damaged_where_it_decides(monkeypatch):
    good = [_query(), _query(v6=True), _query(message=RESPONSE), _query(sport=53, dport=40000, message=RESPONSE),
            _query(pad=6), _query(v6=True, pad=3)]
    for data in good:
        assert _agree(_frame(data)), data.hex()
    q, v6 = _query(), _query(v6=True)
    declines = {
        "VLAN tag": q[:12] + b"\x81\x00\x00\x05" + q[12:],
        "IPv4 options": q[:14] + b"\x46" + q[15:24] + q[24:34] + b"\x01\x01\x01\x01" + q[34:],
        "more fragments": q[:20] + b"\x20" + q[21:],
        "fragment offset": q[:21] + b"\x01" + q[22:],
        "not UDP": q[:23] + b"\x06" + q[24:],
        "IP length past the frame": q[:16] + struct.pack("!H", len(q) - 14 + 1) + q[18:],
        "UDP length short": q[:38] + struct.pack("!H", len(q) - 34 - 1) + q[40:],
        "UDP length long": q[:38] + struct.pack("!H", len(q) - 34 + 1) + q[40:],
        "TSO length 0": q[:16] + b"\x00\x00" + q[18:],
        "mDNS port": _query(sport=5353),
        "LLMNR port": _query(dport=5355, sport=5353),
        "SSDP port": _query(sport=1900),
        "no DNS port": _query(dport=54),
        "empty payload": _query(message=b""),
        "qdcount past the end": _query(message=b"\x12\x34\x01\x00\x00\x02" + bytes(6) + b"\x00\x00\x01\x00\x01"),
        "answer count above the answers": _query(message=RESPONSE[:7] + b"\x03" + RESPONSE[8:]),
        "message cut": _query(message=RESPONSE[:-3]),
        "short header": _query(message=b"\x12\x34\x01"),
        "IPv6 extension header": v6[:20] + b"\x00" + v6[21:],
        "IPv6 length past the frame": v6[:18] + struct.pack("!H", len(v6) - 54 + 1) + v6[20:],
        "IPv6 version nibble": v6[:14] + b"\x40" + v6[15:],
        "ARP": q[:12] + b"\x08\x06" + q[14:],
    }
    for why, data in declines.items():
        assert dns_lines.dns_line_of(_frame(data)) is None, why
    assert dns_lines.dns_line_of(_frame(q, origlen=len(q) + 10)) is None      # cut by the snap length
    assert dns_lines.dns_line_of(Frame(1, 0, len(q), None, 113, q)) is None   # another link type
    # Decode As: a port read as another protocol, or port 53 not as DNS
    low = _query(sport=40)          # the lower port is looked up first
    assert _agree(_frame(low))
    monkeypatch.setitem(dns_lines._PORT_DECODERS, 40, decode_llmnr)
    assert dns_lines.dns_line_of(_frame(low)) is None
    monkeypatch.setitem(dns_lines._PORT_DECODERS, 40000, decode_llmnr)     # the higher one: DNS still
    assert _agree(_frame(q))
    monkeypatch.delitem(dns_lines._PORT_DECODERS, 40)
    monkeypatch.setitem(dns_lines._PORT_DECODERS, 53, decode_llmnr)
    assert dns_lines.dns_line_of(_frame(q)) is None
    monkeypatch.undo()
    HTTP_UDP_PORTS.add(40000)       # -d udp.port==40000,http
    try:
        assert dns_lines.dns_line_of(_frame(q)) is None
    finally:
        HTTP_UDP_PORTS.discard(40000)
    assert _agree(_frame(q))
    # a name pointing at itself: whatever the parser makes of it, the line is the decoded packet's
    _agree(_frame(_query(message=b"\x12\x34\x01\x00\x00\x01" + bytes(6) + b"\xc0\x0c\x00\x01\x00\x01")))
    # a name with control characters and odd bytes: escaped as the decoded line escapes it
    assert _agree(_frame(_query(name=b"\x05a\x1b[2J\x04\xff\xfe.b\x00")))


def test_random_damage():
    rng = random.Random(21)
    bases = [_query(), _query(v6=True), _query(message=RESPONSE), _query(pad=5)]
    taken = 0
    for i in range(5000):
        data = bytearray(rng.choice(bases))
        for _flip in range(rng.randint(1, 2)):
            at = rng.randrange(12, len(data)) if rng.random() < 0.5 else rng.randrange(42, len(data))
            data[at] = rng.randrange(256)
        taken += _agree(_frame(bytes(data), number=i + 1))
    assert taken > 500


def test_through_the_command(tmp_path, monkeypatch):
    """read's output is the same with and without DNS lines (every frame through the pipeline)."""
    from click.testing import CliRunner

    from analyzer.cli.main import main

    path = tmp_path / "s.pcapng"
    synthetic.generate(path, 3_000, seed=8, clients=40, sites=30)
    calls = []
    original = dns_lines.dns_line_of

    def counting(frame):
        res = original(frame)
        calls.append(res is not None)
        return res

    monkeypatch.setattr(dns_lines, "dns_line_of", counting)
    fast = CliRunner().invoke(main, ["read", str(path)])
    monkeypatch.setattr(dns_lines, "dns_line_of", lambda frame: None)
    slow = CliRunner().invoke(main, ["read", str(path)])
    assert fast.exit_code == slow.exit_code == 0
    assert fast.output == slow.output
    assert sum(calls) > 50
