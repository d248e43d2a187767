"""QUIC on ports other than 443, found as tshark finds it: its heuristic (a long header of a known version, on a
UDP datagram no port decoder claims) and its conversation rule (every later datagram of that conversation is QUIC,
short headers included). Issue 10: an HTTP/3 fetch to a server on port 4433 was told "encrypted, not decoded"
with the key log that opens it on 443.

The recording is tests/fixtures/quic/http3_keys.pcap (scripts/record_quic_fixture.py --keys) with its server's
port rewritten by scapy; the crafted datagrams are made here. Expected values are tshark's on the same bytes
(``tshark -r``, its default heuristics) and the recording script's constants."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from scapy.all import IP, UDP, Ether, rdpcap, wrpcap
from test_quic_keys import KEYED, KEYED_FIELDS, RECORDING, TLS_FIELDS, keys_of, ours, run
from tshark_query import TSHARK, fields


def _moved(tmp_path: Path, port: int) -> Path:
    """The keyed recording with the server on ``port`` (UDP checksums made again)."""
    packets = rdpcap(str(KEYED))
    for p in packets:
        u = p[UDP]
        u.sport = port if u.sport == 443 else u.sport
        u.dport = port if u.dport == 443 else u.dport
        del u.chksum
    out = tmp_path / f"http3_on_{port}.pcap"
    wrpcap(str(out), packets)
    return out


def _tshark_lines(path: Path) -> list[str]:
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run([TSHARK, "-r", str(path)], capture_output=True, text=True, check=True, timeout=120).stdout
    return [line.rstrip() for line in out.splitlines() if line.strip()]


def _long(first: int, version: int, dcid: bytes, scid: bytes, body: bytes) -> bytes:
    return bytes([first]) + version.to_bytes(4, "big") + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid + body


def _crafted(tmp_path: Path) -> Path:
    """One conversation per case (distinct ports and connection IDs): what tshark's heuristic takes and leaves."""
    client, server = "10.0.0.1", "10.0.0.2"
    rest = bytes(range(256)) * 4 + b"\x11" * 80
    initial_body = b"\x00" + (0x4000 | len(rest)).to_bytes(2, "big") + rest     # no token, Length: the rest
    cases = [
        (40000, 5555, _long(0xC1, 0x00000001, b"\x11" * 8, b"\x22" * 8, initial_body)),   # v1 Initial: QUIC
        (5555, 40000, bytes([0x41]) + b"\x22" * 8 + bytes(range(50))),     # its server's short header: QUIC
        (40001, 5556, _long(0xC1, 0xFF00001D, b"\x33" * 8, b"\x44" * 8, initial_body)),   # draft 29: QUIC
        (40002, 5557, _long(0xC1, 0xFF00000A, b"\x55" * 8, b"\x66" * 8, initial_body)),   # draft 10: UDP
        (40003, 5558, _long(0xC1, 0x12345678, b"\x77" * 8, b"\x88" * 8, initial_body)),   # unknown version: UDP
        (40004, 5559, _long(0x80, 0x00000000, b"\x99" * 8, b"\xaa" * 8, b"\x00\x00\x00\x01")),   # negotiation: UDP
        (40005, 5560, _long(0xC1, 0x00000001, b"\xbb" * 21, b"\xcc" * 8, initial_body)),  # DCID of 21 bytes: UDP
        (40006, 5561, b"\xc1\x00\x00\x00\x01\x08" + b"\xdd" * 6),              # 12 bytes: UDP
        (40007, 53, _long(0xC1, 0x00000001, b"\xee" * 8, b"\xff" * 8, initial_body)),     # port 53: DNS's
        (40008, 5562, _long(0xC1, 0x6B3343CF, b"\x12" * 8, b"\x34" * 8, b"\x56" * 40)),   # version 2 Retry: QUIC
        (5563, 40009, bytes([0x41]) + b"\x78" * 8 + bytes(range(50))),     # a short header nobody opened: UDP
        (40010, 5564, _long(0xC1, 0x00000001, b"\x9a" * 8, b"\xbc" * 8, b"\x00\x44\xd0" + bytes(300))),  # Length
        (40011, 443, _long(0xC1, 0x00000001, b"\xde" * 8, b"\xf0" * 8, b"\x00\x44\xd0" + bytes(300))),   # past the end
    ]
    packets = []
    for i, (sport, dport, payload) in enumerate(cases):
        src, dst = (client, server) if sport >= 40000 else (server, client)
        p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src=src, dst=dst) / UDP(
            sport=sport, dport=dport) / payload
        p.time = 1_700_000_000 + i / 1000
        packets.append(p)
    out = tmp_path / "quic_heuristic.pcap"
    wrpcap(str(out), packets)
    return out


def test_quic_on_port_4433_reads_as_tshark_reads_it(tmp_path: Path):
    moved = _moved(tmp_path, 4433)
    theirs = _tshark_lines(moved)
    assert run("read", str(moved)).splitlines() == theirs
    # every datagram of the recording is QUIC to tshark on the new port too, short headers included
    assert len(theirs) == len(rdpcap(str(KEYED))) and all(" QUIC " in line for line in theirs)
    assert any("Protected Payload" in line for line in theirs)
    keys = keys_of(KEYED)
    assert ours(moved, *KEYED_FIELDS, keys=keys) == fields(moved, "frame", *KEYED_FIELDS, keys=keys)
    assert ours(moved, *TLS_FIELDS, keys=keys) == fields(moved, "frame", *TLS_FIELDS, keys=keys)
    assert run("read", str(moved), "-Y", "quic.header_form == 0").splitlines() == [
        line for line, (short,) in zip(theirs, fields(moved, "frame", "quic.header_form")) if "0" in short.split(",")]


def test_http3_on_port_4433_is_decrypted_and_told(tmp_path: Path):
    """With the key log the fetch on 4433 is HTTP/3 with the recording's three requests, as on 443: in the
    timeline (it said "encrypted, not decoded") and in ``http`` (it listed none)."""
    import analyzer
    from analyzer.timeline import timeline

    moved = _moved(tmp_path, 4433)
    keys = keys_of(KEYED)
    cap = analyzer.open(str(moved), keylog=str(keys))
    with cap.open() as reader:
        (fetch,) = timeline(reader, "en", keylog=cap.keylog).fetches
    served = ["/", "/style.css", "/missing"]
    assert [(r.method, r.uri, r.status, r.http_version) for r in fetch.requests] == [
        ("GET", uri, RECORDING.RESOURCES[uri][0] if uri in RECORDING.RESOURCES else 404, "HTTP/3") for uri in served]
    assert fetch.steps[0].kind == "quic.initial.hello.keys"
    assert any(s.kind == "quic.data.keys" for s in fetch.steps)
    lines = run("http", str(moved), "--keylog", str(keys)).splitlines()
    assert [line.split()[4] for line in lines[1:]] == served
    # without the key log it is a QUIC fetch that says why its requests cannot be told
    with analyzer.open(str(moved)).open() as reader:
        (plain,) = timeline(reader, "en").fetches
    assert plain.steps[0].kind.startswith("quic.initial") and not plain.requests


def test_the_heuristic_takes_what_tshark_takes_and_leaves_the_rest(tmp_path: Path):
    crafted = _crafted(tmp_path)
    theirs = _tshark_lines(crafted)
    assert run("read", str(crafted)).splitlines() == theirs
    protocols = [line.split()[5] for line in theirs]
    assert protocols == ["QUIC", "QUIC", "QUIC", "UDP", "UDP", "UDP", "UDP", "UDP", "DNS", "QUIC", "UDP",
                         "QUIC", "QUIC"]
    names = ("frame.number", "quic.version", "quic.header_form", "quic.dcid", "quic.scid", "quic.long.packet_type",
             "quic.long.packet_type_v2", "quic.packet_number", "quic.length", "quic.packet_length", "quic.payload",
             "udp.stream")
    assert ours(crafted, *names) == fields(crafted, "frame", *names)


def _cli(*args: str, code: int = 0) -> subprocess.CompletedProcess:
    """The CLI in a process of its own: its heuristic switches hold for the whole process, as tshark's do."""
    import sys

    result = subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, text=True, timeout=300,
                            check=False, cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == code, result.stderr
    return result


@pytest.mark.parametrize("switches", [
    ["--disable-heuristic", "quic"],
    ["--disable-heuristic", "quic", "--enable-heuristic", "quic"],     # tshark: the disable wins, in any order
    ["--enable-heuristic", "quic", "--disable-heuristic", "quic"],
    ["--enable-heuristic", "quic"],
    ["--disable-heuristic", "quic", "-d", "udp.port==4433,quic"],       # a port rule still decodes QUIC
], ids=["off", "off-then-on", "on-then-off", "on", "off-with-rule"])
def test_heuristic_switches_read_as_tshark_reads(tmp_path: Path, switches: list[str]):
    """tshark's --disable-heuristic / --enable-heuristic with its short name: the lines are tshark's with the
    same options (off: every datagram of the recording on 4433 is plain UDP)."""
    moved = _moved(tmp_path, 4433)
    theirs = subprocess.run([TSHARK, "-r", str(moved), *switches], capture_output=True, text=True, check=True,
                            timeout=120).stdout.splitlines()
    assert theirs
    assert _cli("read", str(moved), *switches).stdout.splitlines() == [line.rstrip() for line in theirs]
    if switches == ["--disable-heuristic", "quic"]:
        assert all(" UDP " in line for line in theirs)


def test_heuristic_off_leaves_no_http3_on_other_ports(tmp_path: Path):
    """With the heuristic off, the key log opens nothing on 4433 (tshark too reads no QUIC there), in one process
    and in ``-j 2``'s workers, which get the switch with the rules; ``verify`` hands it to tshark (EQUAL)."""
    moved = _moved(tmp_path, 4433)
    keys = str(keys_of(KEYED))
    assert len(_cli("http", str(moved), "--keylog", keys, "--json").stdout.splitlines()) == 3
    for jobs in ("1", "2"):
        assert _cli("http", str(moved), "--keylog", keys, "--json", "-j", jobs, "--disable-heuristic",
                    "quic").stdout == ""
    assert "EQUAL" in _cli("verify", str(moved), "--disable-heuristic", "quic").stdout
    assert fields(moved, "frame", "udp.srcport") and not any(
        " QUIC " in line for line in _cli("read", str(moved), "--disable-heuristic", "quic").stdout.splitlines())


def test_an_unknown_heuristic_is_a_usage_error(tmp_path: Path):
    result = _cli("read", str(KEYED), "--disable-heuristic", "gquicx", code=2)
    assert result.stdout == "" and result.stderr.strip().splitlines() == [
        ("analyzer: error: no heuristic decoder named 'gquicx': the analyzer has quic "
         "(tshark -G heuristic-decodes lists tshark's)")]


def test_decoding_as_switches_a_heuristic_for_a_block_only(tmp_path: Path):
    """The library's spelling of a switch, ``heuristic:quic=off``: in force inside ``decoding_as``, the tables
    as they were after it."""
    from analyzer.capture import open_capture
    from analyzer.decode import decode, tables
    from analyzer.decode.decode_as import decoding_as, tshark_args

    moved = _moved(tmp_path, 4433)

    def names() -> set[str]:
        with open_capture(moved) as reader:
            return {layer.name for frame in reader for layer in decode(frame).layers}

    before = dict(tables.HEURISTICS)
    assert "quic" in names()
    with decoding_as(["heuristic:quic=off"]):
        assert "quic" not in names()
    assert tables.HEURISTICS == before and "quic" in names()
    assert tshark_args("heuristic:quic=off") == ["--disable-heuristic", "quic"]
    assert tshark_args("udp.port==4433,quic") == ["-d", "udp.port==4433,quic"]


def test_verify_hands_tshark_its_own_rules_unparsed():
    """``verify`` names h2c ports to tshark as ``-d tcp.port==N,http2``, a protocol of tshark's that the analyzer's
    own -d rules do not have: passed on as it is (a switch's text alone is turned into tshark's option). The
    recorded h2c fetch is on port 18080, not one of tshark's HTTP ports."""
    from analyzer.decode.decode_as import tshark_args

    assert tshark_args("tcp.port==18080,http2") == ["-d", "tcp.port==18080,http2"]
    h2c = Path(__file__).resolve().parent / "fixtures" / "http2" / "h2c_curl.pcapng"
    assert "EQUAL" in _cli("verify", str(h2c)).stdout
