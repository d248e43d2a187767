"""QUIC in the per-packet path (analyzer.decode.quic): ``read`` text, ``-V``, ``--json``, ``-T fields`` and
display filters know QUIC as tshark does (issue 10: "it works on HTTPS (most real fetches)").

tshark is the oracle: every field and column value below is read from it on the same bytes. Where tshark
knows something from keys it holds and we do not, the test says so and leaves it out; nothing here is left
out on the recorded fixture (tshark derives the Initial keys from the packets too, as we do).
tests/fixtures/quic/http3_get.pcap is recorded by scripts/record_quic_fixture.py (aioquic, loopback)."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from scapy.all import IP, UDP, Ether, Raw, rdpcap, wrpcap
from tshark_query import fields

from analyzer.cli.main import main
from analyzer.decode import decode_as
from analyzer.decode.packet import Packet
from analyzer.decode.quic import decode_quic, read_datagram

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "quic"
RECORDED = FIXTURES / "http3_get.pcap"
SPLIT = FIXTURES / "http3_split_hello.pcap"

# every field the decoder gives: header fields of every packet, the opened Initials' frames, the hellos
QUIC_FIELDS = (
    "quic.connection.number", "quic.packet_length", "quic.header_form", "quic.fixed_bit", "quic.long.packet_type", "quic.long.reserved",
    "quic.packet_number_length", "quic.version", "quic.dcil", "quic.dcid", "quic.scil", "quic.scid",
    "quic.token_length", "quic.length", "quic.packet_number", "quic.payload", "quic.remaining_payload",
    "quic.short", "quic.spin_bit", "quic.frame_type", "quic.padding_length", "quic.crypto.offset",
    "quic.crypto.length", "quic.ack.largest_acknowledged", "quic.ack.ack_delay", "quic.ack.ack_range_count",
    "quic.ack.first_ack_range",
    "tls.handshake.type", "tls.handshake.length", "tls.handshake.version", "tls.handshake.ciphersuite",
    "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str",
    "tls.handshake.extensions.supported_version", "tls.handshake.extensions_key_share_group",
)


def run(*args: str) -> str:
    saved = decode_as.snapshot()        # -d holds for the process, as in the CLI: restored after each run
    try:
        result = CliRunner().invoke(main, list(args))
    finally:
        decode_as.restore(saved)
    assert result.exit_code == 0, result.output
    return result.output


def ours(path: Path, *names: str, extra: tuple[str, ...] = ()) -> list[list[str]]:
    args = ["read", str(path), *extra, "-T", "fields", "-E", "separator=/t"]
    for name in names:
        args += ["-e", name]
    return [line.split("\t") for line in run(*args).splitlines()]


def theirs(path: Path, *names: str) -> list[list[str]]:
    return fields(path, "frame", *names)


def test_resent_initials_of_no_answer_are_read_as_tshark_reads_them(tmp_path: Path):
    """The timeline test's crafted capture of an unanswered client (three Initials, each with a new DCID, their
    rest random): tshark takes each for a new connection, removes the header protection with that DCID's
    keys (packet numbers from random bytes) and fails to decrypt the payload; so do we."""
    from test_timeline_quic import _craft

    path = tmp_path / "unanswered.pcap"
    _craft(path, answer=False)
    names = QUIC_FIELDS + ("frame.number",)
    assert ours(path, *names) == theirs(path, *names)
    got = [line.split(" → ", 1)[1].split(None, 3)[3] for line in run("read", str(path)).splitlines()]
    assert got == [row[0] for row in theirs(path, "_ws.col.Info")]


@pytest.mark.parametrize("path", [RECORDED, SPLIT], ids=["http3_get", "split_hello"])
def test_every_quic_field_of_every_frame_is_tshark_s(path: Path):
    want = theirs(path, *QUIC_FIELDS)
    got = ours(path, *QUIC_FIELDS)
    assert len(got) == len(want)
    for number, (g, w) in enumerate(zip(got, want), 1):
        for name, a, b in zip(QUIC_FIELDS, g, w):
            assert a == b, f"frame {number} {name}: ours {a!r}, tshark {b!r}"
    assert any(row[QUIC_FIELDS.index("quic.short")] for row in want)            # short headers were compared
    assert any(row[QUIC_FIELDS.index("tls.handshake.extensions_server_name")] for row in want)


@pytest.mark.parametrize("path", [RECORDED, SPLIT], ids=["http3_get", "split_hello"])
def test_the_protocol_and_info_columns_are_tshark_s(path: Path):
    want = [row for row in theirs(path, "_ws.col.Protocol", "_ws.col.Info")]
    got = []
    for line in run("read", str(path)).splitlines():
        # "    1   0.000000    127.0.0.1 → 127.0.0.1    QUIC 1242 Initial, ..."
        rest = line.split(" → ", 1)[1].split(None, 3)
        got.append([rest[1], rest[3]])
    assert got == want
    assert {row[0] for row in want} == {"QUIC"}


@pytest.mark.parametrize("display", [
    "quic", "quic.short", "quic.long.packet_type == 2", "quic.long.packet_type == 0 && udp.srcport == 443",
    "quic.frame_type == 6", "quic.dcid == e1:34:6f:b7:25:c0:6b:14", "quic.packet_number == 1",
    'tls.handshake.extensions_server_name == "analyzer.test"', "tls.handshake.type == 2",
    'tls.handshake.extensions_alpn_str == "h3"', "quic.version == 1", "udp && !quic",
])
def test_display_filters_keep_the_frames_tshark_keeps(display: str):
    want = [row[0] for row in fields(RECORDED, display, "frame.number")]
    got = ours(RECORDED, "frame.number", extra=("-Y", display))
    assert [row[0] for row in got] == want


def test_v_and_json_show_the_quic_layers(tmp_path: Path):
    tree = run("read", "-V", "-c", "2", str(RECORDED))
    # frame 1: one QUIC packet and its ClientHello; frame 2: the server's Initial and Handshake (tshark's tree)
    assert tree.count("QUIC IETF") == 3
    assert "Header Form: Long Header (1)" in tree and "Packet Type: Handshake (2)" in tree
    assert "Version: 1 (0x00000001)" in tree and "Frame Type: CRYPTO (0x0000000000000006)" in tree
    ((sni,),) = fields(RECORDED, "frame.number == 1", "tls.handshake.extensions_server_name")
    assert f"Server Name (SNI): {sni}" in tree
    lines = [json.loads(line) for line in run("read", "--json", str(RECORDED)).splitlines()]
    want = theirs(RECORDED, "quic.dcid")
    assert [",".join(x if isinstance(x, list) else [x]) if (x := obj.get("quic.dcid")) else ""
            for obj in lines] == [row[0] for row in want]


def _moved(tmp_path: Path, port: int) -> Path:
    """The recording with the server on another UDP port (the bytes otherwise the same)."""
    packets = rdpcap(str(RECORDED))
    for p in packets:
        if p[UDP].sport == 443:
            p[UDP].sport = port
        if p[UDP].dport == 443:
            p[UDP].dport = port
        del p[UDP].chksum
    out = tmp_path / f"quic_{port}.pcap"
    wrpcap(str(out), packets)
    return out


def _tshark(path: Path, *args: str) -> list[list[str]]:
    from tshark_query import TSHARK
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run([TSHARK, "-r", str(path), *args], capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def test_another_port_is_quic_by_the_heuristic_and_by_decode_as(tmp_path: Path):
    """On another port than 443 tshark finds QUIC by its heuristic (udp/quic, on by default: a long header of a
    known version on a datagram no port decoder claims, then every datagram of that conversation) and by Decode
    As; both read it as on 443 (tests/test_quic_heuristic.py has the heuristic's cases)."""
    moved = _moved(tmp_path, 4433)
    names = ("frame.number", "quic.dcid", "quic.packet_number", "tls.handshake.extensions_server_name")
    for extra in ((), ("-d", "udp.port==4433,quic")):
        got = ours(moved, *names, extra=extra)
        args = [*extra, "-T", "fields"]
        for name in names:
            args += ["-e", name]
        assert got == _tshark(moved, *args)
        assert all(row[1] for row in got)
    # a later rule wins: 443 read as DNS is no longer QUIC
    assert ours(RECORDED, "frame.number", extra=("-d", "udp.port==443,dns", "-Y", "quic")) == []


def _datagram_packet(payload: bytes):
    from analyzer.capture.frame import Frame
    from analyzer.decode.packet import decode
    raw = bytes(Ether() / IP(src="10.0.0.2", dst="10.0.0.9") / UDP(sport=50000, dport=443) / Raw(payload))
    return decode(Frame(1, 0, len(raw), None, 1, raw, None))


@pytest.mark.parametrize("payload", [
    b"", b"\x00", b"\xc0", b"\xc0\x00\x00\x00\x01", b"\xc0\x00\x00\x00\x00\x08" + bytes(20),   # version 0
    b"\xc3\xff\xff\xff\xff\x08" + bytes(40),                                                       # unknown
    b"\xc3\x00\x00\x00\x01\x15" + bytes(40),                                                       # DCID > 20
    b"\xc3\x00\x00\x00\x01\x08" + bytes(8) + b"\x08" + bytes(8) + b"\x00\x7f\xff",                 # cut
    b"\x40" + bytes(30), b"GET / HTTP/1.1\r\n\r\n", bytes(1200),
])
def test_a_datagram_that_is_not_quic_stays_udp(payload: bytes):
    pkt = _datagram_packet(payload)
    assert pkt.failure is None
    assert pkt.layers[-1].name == "udp"


def test_mutated_datagrams_never_raise():
    frames = [bytes(p[UDP].payload) for p in rdpcap(str(RECORDED))]
    rng = random.Random(10)
    for _ in range(600):
        data = bytearray(rng.choice(frames))
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(data))
            data[at] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[:rng.randrange(1, len(data) + 1)]
        pkt = Packet.__new__(Packet)
        Packet.__init__(pkt, None)
        decode_quic(pkt, bytes(data), 0, len(data))
        for cid in (None, b"\xe1\x34\x6f\xb7\x25\xc0\x6b\x14"):
            read_datagram(bytes(data), 0, len(data), cid, bytes.fromhex("ec60b77496d8d1cf"))


# -- crafted Initials: a browser's frames (PING, PADDING, CRYPTO out of order) and QUIC version 2 -----------
def _seal(version: int, dcid: bytes, scid: bytes, pn: int, payload: bytes, pad_to: int = 1200) -> bytes:
    """A client Initial packet sealed as RFC 9001 5 says (AEAD_AES_128_GCM, header protection), its payload
    padded with PADDING frames so that the datagram is ``pad_to`` bytes."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from analyzer.apps.quic import V2, initial_keys
    key, iv, hp = initial_keys(version, dcid)
    first = 0xC0 | ((1 if version == V2 else 0) << 4) | 0x01          # Initial, 2-byte packet number
    head = bytes([first]) + version.to_bytes(4, "big") + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid
    head += b"\x00"                                                     # no token
    size = len(head) + 2 + 2 + len(payload) + 16
    payload += bytes(max(pad_to - size, 0))
    length = 2 + len(payload) + 16
    head += bytes([0x40 | length >> 8, length & 0xFF])
    pn_bytes = pn.to_bytes(2, "big")
    nonce = bytes(a ^ b for a, b in zip(iv, pn.to_bytes(12, "big")))
    sealed = AESGCM(key).encrypt(nonce, payload, head + pn_bytes)
    packet = bytearray(head + pn_bytes + sealed)
    at = len(head)
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = enc.update(bytes(packet[at + 4:at + 20])) + enc.finalize()
    packet[0] ^= mask[0] & 0x0F
    for i in range(2):
        packet[at + i] ^= mask[1 + i]
    return bytes(packet)


def _crypto(offset: int, data: bytes) -> bytes:
    def varint(v: int) -> bytes:
        return bytes([v]) if v < 64 else (0x4000 | v).to_bytes(2, "big")
    return b"\x06" + varint(offset) + varint(len(data)) + data


def _hello() -> bytes:
    """The recorded ClientHello (CRYPTO data of the recording's first Initial)."""
    from analyzer.apps.quic import initial_keys, open_initial_packet
    data = bytes(rdpcap(str(RECORDED))[0][UDP].payload)
    payload = open_initial_packet(data, initial_keys(1, bytes.fromhex("ec60b77496d8d1cf")))[3]
    assert payload[0] == 6 and payload[1] == 0 and payload[2] >> 6 == 1     # CRYPTO at 0, a 2-byte length
    size = int.from_bytes(payload[2:4], "big") & 0x3FFF
    return payload[4:4 + size]


def _crafted(tmp_path: Path) -> Path:
    from analyzer.apps.quic import V2
    hello = _hello()
    dcid, scid = bytes.fromhex("0011223344556677"), bytes.fromhex("8899aabb")
    browser = (b"\x01" + _crypto(300, hello[300:]) + bytes(7) + _crypto(0, hello[:300]))   # PING, CRYPTO, PADDING
    up = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / IP(src="10.0.0.2", dst="10.0.0.9")
    packets = [up / UDP(sport=50001, dport=443) / Raw(_seal(1, dcid, scid, 1, browser)),
               up / UDP(sport=50002, dport=443) / Raw(_seal(V2, dcid[::-1], scid, 0, _crypto(0, hello)))]
    for i, p in enumerate(packets):
        p.time = 1_700_000_000 + i
    path = tmp_path / "crafted_initials.pcap"
    wrpcap(str(path), packets)
    return path


def test_a_browser_s_frames_and_version_2_are_read_as_tshark_reads_them(tmp_path: Path):
    path = _crafted(tmp_path)
    names = QUIC_FIELDS + ("quic.long.packet_type_v2",)
    want = theirs(path, *names)
    assert want[0][QUIC_FIELDS.index("quic.frame_type")] == "1,6,0,6,0"        # what was built, as tshark reads
    assert want[1][QUIC_FIELDS.index("tls.handshake.extensions_server_name")] == "analyzer.test"
    assert ours(path, *names) == want
    got = [line.split(" → ", 1)[1].split(None, 3)[3] for line in run("read", str(path)).splitlines()]
    assert got == [row[0] for row in theirs(path, "_ws.col.Info")]


def test_a_retry_is_read_and_a_lone_version_negotiation_stays_udp(tmp_path: Path):
    """A server's Retry (no Length: the rest is its token and a 16-byte integrity tag) and a Version
    Negotiation packet (version 0) of no connection seen: tshark shows the Retry as QUIC and the Version
    Negotiation as UDP (it reads one only for a connection it knows)."""
    dcid, scid = bytes.fromhex("0011223344556677"), bytes.fromhex("8899aabb")
    down = Ether() / IP(src="10.0.0.9", dst="10.0.0.2")
    retry = (bytes([0xF5]) + (1).to_bytes(4, "big") + bytes([len(scid)]) + scid + bytes([8]) +
             bytes.fromhex("a1a2a3a4a5a6a7a8") + b"TOKEN-bytes-here" + bytes(range(16)))
    vn = (bytes([0x8A]) + bytes(4) + bytes([len(scid)]) + scid + bytes([len(dcid)]) + dcid +
          (1).to_bytes(4, "big") + (0x6B3343CF).to_bytes(4, "big"))
    path = tmp_path / "retry_vn.pcap"
    wrpcap(str(path), [down / UDP(sport=443, dport=50001) / Raw(retry), down / UDP(sport=443, dport=50002) / Raw(vn)])
    names = ("frame.number", *QUIC_FIELDS, "quic.retry_token", "quic.retry_integrity_tag")
    want = theirs(path, *names)
    assert want[0][-2:] == [b"TOKEN-bytes-here".hex(), bytes(range(16)).hex()]     # as built
    assert ours(path, *names) == want
    got = [line.split(" → ", 1)[1].split(None, 3)[1:] for line in run("read", str(path)).splitlines()]
    assert got == [[p, n, i] for p, n, i in theirs(path, "_ws.col.Protocol", "frame.len", "_ws.col.Info")]


def test_a_capture_begun_after_the_client_s_first_initial(tmp_path: Path):
    """The recording without its first frame (the client's Initial): the server's Initial comes first. Its
    DCID opens nothing (the keys come from the client's first DCID, not captured), and the connection is known
    from the client's next datagram; the CID length of each side from the long headers (a Handshake packet's
    DCID is one its receiver chose). The columns, DCIDs and short headers are tshark's. Left out: the packet
    numbers of the Initials neither side can open (tshark removes header protection with keys that cannot be
    the right ones, giving numbers from noise)."""
    from scapy.all import PcapWriter

    path = tmp_path / "from_server.pcap"
    with PcapWriter(str(path), linktype=1) as out:
        for p in rdpcap(str(RECORDED))[1:]:
            out.write(p)
    names = ("frame.number", "quic.dcid", "quic.scid", "quic.short", "quic.header_form", "quic.length")
    assert ours(path, *names) == theirs(path, *names)
    got = [line.split(" → ", 1)[1].split(None, 3)[1:] for line in run("read", str(path)).splitlines()]
    assert got == [[p, n, i] for p, n, i in theirs(path, "_ws.col.Protocol", "frame.len", "_ws.col.Info")]
    assert {row[0] for row in got} == {"QUIC"}


def test_draft_versions_initials_are_opened_as_tshark_opens_them(tmp_path: Path):
    """Initials of IETF draft versions (0xff0000NN): their salt is the draft's (23-28, 29-32; 33 and 34 took
    version 1's), their labels version 1's. Built with the recording's ClientHello, one connection each."""
    hello = _hello()
    up = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / IP(src="10.0.0.2", dst="10.0.0.9")
    packets = []
    for i, version in enumerate((0xFF00001D, 0xFF00001B, 0xFF000022)):     # drafts 29, 27, 34
        p = up / UDP(sport=50001 + i, dport=443) / Raw(_seal(version, bytes([i + 1]) * 8, b"\x88\x99", 0,
                                                             _crypto(0, hello)))
        p.time = 1_700_000_000 + i
        packets.append(p)
    path = tmp_path / "drafts.pcap"
    wrpcap(str(path), packets)
    names = ("frame.number", *QUIC_FIELDS)
    want = theirs(path, *names)
    assert [row[names.index("tls.handshake.extensions_server_name")] for row in want] == ["analyzer.test"] * 3
    assert ours(path, *names) == want
    got = [line.split(" → ", 1)[1].split(None, 3)[3] for line in run("read", str(path)).splitlines()]
    assert got == [row[0] for row in theirs(path, "_ws.col.Info")]
