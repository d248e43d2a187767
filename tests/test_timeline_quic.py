"""QUIC (HTTP/3's transport, over UDP) in the timeline (issue 10: "every connection attempt a capture holds
appears"). A browser fetches most HTTPS pages over QUIC now; before, the timeline said of such a capture
"lookups of NAME (no connection followed)" and "the client can now open a TCP connection to it".

tests/fixtures/quic/http3_get.pcap is recorded by scripts/record_quic_fixture.py (an aioquic HTTP/3 GET on a
private loopback). Expected frames and counts come from tshark's QUIC dissector; the crafted captures (scapy)
hold what the recording cannot: a DNS lookup before, an unanswered Initial, a TCP connection raced beside."""

from __future__ import annotations

import random
from pathlib import Path

from scapy.all import DNS, DNSQR, DNSRR, IP, TCP, UDP, Ether, Raw, wrpcap
from tshark_query import fields

from analyzer.apps.quic import client_initial, long_header, short_header
from analyzer.capture import open_capture
from analyzer.timeline import timeline

RECORDED = Path(__file__).resolve().parent / "fixtures" / "quic" / "http3_get.pcap"
CLIENT, SERVER, RESOLVER = "10.0.0.2", "93.184.216.34", "10.0.0.1"
_RANDOM = random.Random(7)          # the encrypted-looking bytes of the crafted packets, the same each run


def _noise(n: int) -> bytes:
    return _RANDOM.randbytes(n)


def load(path: Path, lang: str = "en"):
    with open_capture(path) as reader:
        return timeline(reader, lang).fetches


def test_a_recorded_http3_get_is_told_from_its_clear_headers():
    rows = [(int(f), int(sp), h.split(","), int(n) - 8) for f, sp, h, n in fields(
        RECORDED, "quic", "frame.number", "udp.srcport", "quic.header_form", "udp.length")]
    client = [r for r in rows if r[1] != 443]
    server = [r for r in rows if r[1] == 443]
    ((initial,),) = fields(RECORDED, "quic.long.packet_type == 0 && udp.dstport == 443", "frame.number")[:1]
    done = next(f for f, _p, forms, _n in client if "0" in forms)       # the client's first short header
    ((sni, alpn),) = fields(RECORDED, f"frame.number == {initial}", "tls.handshake.extensions_server_name",
                            "tls.handshake.extensions_alpn_str")
    (fetch,) = load(RECORDED)
    assert fetch.kind == "quic" and fetch.url == sni
    steps = {s.kind: s for s in fetch.steps}
    hello = steps["quic.initial.hello"]
    assert hello.frames == (int(initial),) and "QUIC version 1" in hello.text
    assert (hello.facts["sni"], hello.facts["alpn"]) == (sni, alpn)
    assert steps["quic.server"].frames == (server[0][0],)
    assert steps["quic.done"].frames == (done,)
    data = steps["quic.data"]
    assert data.frames == (done, rows[-1][0])
    assert (data.facts["c_packets"], data.facts["s_packets"]) == (len(client), len(server))
    assert (data.facts["c_bytes"], data.facts["s_bytes"]) == (sum(r[3] for r in client), sum(r[3] for r in server))
    ladder = [(r.frame, r.sender, r.layer) for r in fetch.ladder]
    assert ladder == [(int(initial), "client", "quic"), (server[0][0], "peer", "quic"), (done, "client", "quic"),
                      (rows[-1][0], "peer" if rows[-1][1] == 443 else "client", "quic")]
    (zh,) = load(RECORDED, "zh")
    assert zh.steps[0].text.startswith("客户端通过 UDP") and f"SNI = {sni}" in zh.steps[0].text


def test_the_header_readers_agree_with_tshark_on_every_datagram():
    from scapy.all import rdpcap
    forms = {int(f): h.split(",") for f, h in fields(RECORDED, "quic", "frame.number", "quic.header_form")}
    for n, pkt in enumerate(rdpcap(str(RECORDED)), 1):
        data = bytes(pkt[UDP].payload)
        assert short_header(data) == ("0" in forms[n]), n
        assert (long_header(data) is not None) == (forms[n][0] == "1"), n
    assert client_initial(bytes(rdpcap(str(RECORDED))[0][UDP].payload)) is not None


def _initial(size: int = 1250) -> bytes:
    """A QUIC version 1 Initial packet's clear header with a random (encrypted-looking) rest, ``size`` bytes."""
    head = bytes([0xC3]) + (1).to_bytes(4, "big") + bytes([8]) + _noise(8) + bytes([0]) + bytes([0])
    return head + bytes([0x40 | (size - len(head) - 2) >> 8, (size - len(head) - 2) & 0xFF]) + \
        _noise(size - len(head) - 2)


def _craft(path: Path, answer: bool = True, tcp: bool = False, lookup: bool = True) -> None:
    up = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
    down = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    pk = []
    if lookup:
        pk.append(up / IP(src=CLIENT, dst=RESOLVER) / UDP(sport=40000, dport=53) /
                  DNS(id=1, rd=1, qd=DNSQR(qname="www.example.com", qtype="A")))
        pk.append(down / IP(src=RESOLVER, dst=CLIENT) / UDP(sport=53, dport=40000) /
                  DNS(id=1, qr=1, rd=1, ra=1, qd=DNSQR(qname="www.example.com", qtype="A"),
                      an=DNSRR(rrname="www.example.com", rdata=SERVER, ttl=60)))
    if tcp:       # a browser races a TCP connection beside QUIC: opened, then closed unused
        pk += [up / IP(src=CLIENT, dst=SERVER) / TCP(sport=50000, dport=443, flags="S", seq=100),
               down / IP(src=SERVER, dst=CLIENT) / TCP(sport=443, dport=50000, flags="SA", seq=500, ack=101),
               up / IP(src=CLIENT, dst=SERVER) / TCP(sport=50000, dport=443, flags="A", seq=101, ack=501)]
    pk.append(up / IP(src=CLIENT, dst=SERVER) / UDP(sport=51000, dport=443) / Raw(_initial()))
    if answer:
        pk.append(down / IP(src=SERVER, dst=CLIENT) / UDP(sport=443, dport=51000) /
                  Raw(bytes([0xC1]) + (1).to_bytes(4, "big") + bytes([0, 8]) + _noise(8) + _noise(1150)))
        for _ in range(3):
            pk.append(up / IP(src=CLIENT, dst=SERVER) / UDP(sport=51000, dport=443) / Raw(bytes([0x41]) + _noise(60)))
            pk.append(down / IP(src=SERVER, dst=CLIENT) / UDP(sport=443, dport=51000) /
                      Raw(bytes([0x41]) + _noise(900)))
    else:
        pk += [up / IP(src=CLIENT, dst=SERVER) / UDP(sport=51000, dport=443) / Raw(_initial()) for _ in range(2)]
    if tcp:
        pk += [up / IP(src=CLIENT, dst=SERVER) / TCP(sport=50000, dport=443, flags="FA", seq=101, ack=501),
               down / IP(src=SERVER, dst=CLIENT) / TCP(sport=443, dport=50000, flags="FA", seq=501, ack=102),
               up / IP(src=CLIENT, dst=SERVER) / TCP(sport=50000, dport=443, flags="A", seq=102, ack=502)]
    for i, p in enumerate(pk):
        p.time = 1_700_000_000 + i * 0.01
    wrpcap(str(path), pk)


def test_the_lookup_before_a_quic_connection_is_its_fetch(tmp_path):
    path = tmp_path / "lookup_quic.pcap"
    _craft(path)
    ((query, answer),) = [(int(q), int(a)) for q, a in fields(path, "dns.flags.response == 1", "dns.response_to",
                                                                "frame.number")]
    ((initial,),) = fields(path, "quic.long.packet_type == 0 && udp.dstport == 443", "frame.number")
    (fetch,) = load(path)
    assert fetch.kind == "quic" and fetch.url == "www.example.com"
    assert "no connection followed" not in fetch.url
    kinds = [(s.kind, s.frames[0]) for s in fetch.steps if s.frames]
    assert ("dns.query", query) in kinds and ("dns.answer.quic", answer) in kinds
    assert ("quic.initial", int(initial)) in kinds
    assert not any("open a TCP connection" in s.text for s in fetch.steps)


def test_an_unanswered_initial_is_a_problem_with_its_resends(tmp_path):
    path = tmp_path / "unanswered.pcap"
    _craft(path, answer=False)
    initials = tuple(int(f) for (f,) in fields(path, "quic.long.packet_type == 0 && udp.dstport == 443", "frame.number"))
    assert len(initials) == 3
    (fetch,) = load(path)
    (step,) = [s for s in fetch.steps if s.kind == "quic.unanswered"]
    assert step.frames == initials and step.problem
    assert "3 Initial packets" in step.text and "UDP to port 443" in step.text


def test_quic_raced_beside_a_tcp_connection_goes_with_it(tmp_path):
    path = tmp_path / "race.pcap"
    _craft(path, tcp=True)
    ((syn,),) = fields(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "frame.number")
    ((initial,),) = fields(path, "quic.long.packet_type == 0 && udp.dstport == 443", "frame.number")
    (fetch,) = load(path)
    frames = {f for s in fetch.steps for f in s.frames}
    assert int(syn) in frames and int(initial) in frames
    assert [s.kind for s in fetch.steps if s.kind == "quic.initial"] == ["quic.initial"]


def test_a_clienthello_over_two_initials_is_told_from_both():
    """tests/fixtures/quic/http3_split_hello.pcap (scripts/record_quic_fixture.py --split: 120 ALPN values
    besides h3, as a post-quantum key share makes Chrome's ClientHello > 1200 bytes): the ClientHello's CRYPTO
    frames are in two Initial datagrams; tshark reassembles them and shows the handshake on the second."""
    split = RECORDED.with_name("http3_split_hello.pcap")
    crypto = [int(f) for (f,) in fields(split, "quic.crypto.offset && udp.dstport == 443", "frame.number")]
    ((hello, sni, alpn),) = fields(split, "tls.handshake.type == 1", "frame.number",
                                   "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str")
    assert len(crypto) == 2 and int(hello) == crypto[-1]
    (fetch,) = load(split)
    step = next(s for s in fetch.steps if s.kind == "quic.initial.hello")
    assert step.frames == tuple(crypto)
    assert (step.facts["sni"], step.facts["alpn"]) == (sni, alpn.replace(",", ", "))
