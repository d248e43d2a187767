"""The quick path of ``analyzer dns`` (:meth:`analyzer.apps.transactions.Transactions.dns_datagrams`): a DNS message over UDP whose
datagram is whole in its frame is paired without decoding the frame (no Packet, no fields).

Checked here: the records are those of the whole pass (``analyze().dns``, which decodes every frame) on a
crafted capture of every shape the quick path must leave to the decoder (an IP fragment, a UDP length short of
the IP payload, an empty or 3-byte payload, a frame the capture cut, another port, mDNS, a Decode As rule
that makes another port DNS) and of shapes it takes (IPv4, IPv6, a payload shorter than the DNS header), and
the frames it takes are exactly those; on the captures it takes every DNS-over-UDP frame of a plain lookup
(tests/test_dns_stream.py compares the streamed records with the whole pass on every capture and corpus file).
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

import analyzer
from analyzer.api import stream
from analyzer.api.build import Analysis
from analyzer.decode import decode_as

ROOT = Path(__file__).resolve().parents[1]
C, S, C6, S6 = "10.0.0.2", "10.0.0.1", "2001:db8::2", "2001:db8::1"


def query(qid: int, name: str = "a.example") -> DNS:
    return DNS(id=qid, rd=1, qd=DNSQR(qname=name))


def answer(qid: int, name: str = "a.example") -> DNS:
    return DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name), an=DNSRR(rrname=name, rdata="192.0.2.7"))


def v4(payload, sport: int = 40000, dport: int = 53, **ip) -> bytes:
    return bytes(Ether() / IP(src=C, dst=S, **ip) / UDP(sport=sport, dport=dport) / payload)


def v4_back(payload, port: int = 40000, sport: int = 53) -> bytes:
    return bytes(Ether() / IP(src=S, dst=C) / UDP(sport=sport, dport=port) / payload)


def short_udp_length() -> bytes:
    """A UDP length 4 bytes short of the IP payload (the IP datagram carries 4 more bytes)."""
    frame = bytearray(v4(bytes(query(5)) + b"\0\0\0\0"))
    struct.pack_into("!H", frame, 14 + 20 + 4, 8 + len(bytes(query(5))))
    struct.pack_into("!H", frame, 14 + 20 + 6, 0)       # no UDP checksum
    return bytes(frame)


# (frame bytes, captured bytes or None for all, taken by the quick path)
FRAMES = [
    (v4(query(1)), None, True),
    (v4_back(answer(1)), None, True),
    (bytes(Ether() / IPv6(src=C6, dst=S6) / UDP(sport=40001, dport=53) / query(2)), None, True),
    (bytes(Ether() / IPv6(src=S6, dst=C6) / UDP(sport=53, dport=40001) / answer(2)), None, True),
    (v4(bytes(query(3))[:3], sport=40002), None, True),                 # shorter than the header: no message
    (v4(bytes(query(4))[:6], sport=40003), None, True),                 # ID and flags only
    (v4(query(6), sport=40004, flags="MF"), None, False),               # a first fragment
    (short_udp_length(), None, False),
    (v4(b"", sport=40005), None, False),
    (v4(query(7), sport=40006), 50, False),                             # cut by the capture
    (v4_back(answer(7), port=40006), None, True),                       # its answer
    (v4(query(8), dport=5300), None, False),                            # not DNS (without the rule)
    (v4(query(9), sport=5353, dport=5353), None, False),                # mDNS
]


def write_pcap(path: Path, frames) -> None:
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, (frame, cut, _taken) in enumerate(frames):
        kept = frame[:cut] if cut else frame
        out += struct.pack("<IIII", 1_700_000_000, i * 1000, len(kept), len(frame)) + kept
    path.write_bytes(bytes(out))


def streamed(path: Path) -> tuple[list, list[int]]:
    """The dns command's records of ``path`` (no filter: the quick path on) and the frames it took."""
    taken: list[int] = []
    analysis = Analysis(http=False)
    quick = analysis.tx.dns_datagrams(analysis.pipe)
    assert quick is not None

    def take(frame):
        if quick(frame):
            taken.append(frame.number)
            return True
        return False

    analysis.tx.dns_datagrams = lambda pipe: take      # (this instance's: the stream asks it once)
    with analyzer.open(path).open() as reader:
        records = list(analysis.dns_stream(reader))
    return records, taken


def test_crafted_shapes(tmp_path):
    path = tmp_path / "shapes.pcap"
    write_pcap(path, FRAMES)
    records, taken = streamed(path)
    assert records == analyzer.open(path).analyze().dns
    assert taken == [i + 1 for i, (_f, _c, took) in enumerate(FRAMES) if took]
    assert len(records) >= 6


@pytest.fixture
def port_5300_is_dns():
    saved = decode_as.snapshot()
    decode_as.apply([decode_as.parse("udp.port==5300,dns")])
    yield
    decode_as.restore(saved)


def test_decode_as_rule(tmp_path, port_5300_is_dns):
    path = tmp_path / "dns5300.pcap"
    frames = [(v4(query(11), dport=5300), None, True), (v4_back(answer(11), sport=5300), None, True)]
    write_pcap(path, frames)
    records, taken = streamed(path)
    assert records == analyzer.open(path).analyze().dns
    assert taken == [1, 2]
    assert [(r.query_frame, r.response_frame, r.resp_p) for r in records] == [(1, 2, 5300)]


def test_a_filter_or_fields_turn_it_off():
    with_fields = Analysis(http=False, fields=True)
    assert with_fields.tx.dns_datagrams(with_fields.pipe) is None
    assert not Analysis(http=False, matcher=stream.WindowMatcher(None)).headers     # dns_stream asks for none


@pytest.mark.parametrize("name", ["lab_dns_mix.pcapng", "lab_page_fetch.pcapng"])
def test_captures_take_their_dns_frames(name):
    path = ROOT / "captures" / name
    if not path.exists():
        pytest.skip(f"{name} is not in captures/")
    records, taken = streamed(path)
    assert records == analyzer.open(path).analyze().dns
    udp = {n for r in records if r.proto == "udp" and r.service == "dns"
           for n in (r.query_frame, r.response_frame) if n is not None}
    assert udp and udp <= set(taken)
