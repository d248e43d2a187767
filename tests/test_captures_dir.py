"""The capture files shipped in captures/: what tshark sees in them, and that our reader and decoders agree.

They were recorded from real loopback traffic by scripts/record_loopback_fetch.py (see captures/README.md):
a DNS lookup of www.example.test, then GET /, /style.css, /app.js and /logo.png over HTTP/1.1 keep-alive
(one connection, the client closes first) or HTTP/1.0 (one connection per request, the server closes first).
"""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

CAPTURES = Path(__file__).resolve().parent.parent / "captures"
KEEPALIVE = "http_page_fetch_loopback.pcapng"
HTTP10 = "http10_short_connections_loopback.pcap"
PAGE = ["/", "/style.css", "/app.js", "/logo.png"]
# name: (format, TCP connections, which side sends the first FIN on each)
SHIPPED = {KEEPALIVE: ("pcapng", 1, "client"), HTTP10: ("pcap", 4, "server")}

FIELDS = ("frame.number", "frame.time_epoch", "frame.len", "ip.src", "ip.dst", "udp.srcport", "udp.dstport",
          "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.len",
          "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset", "dns.flags.response",
          "dns.qry.name", "dns.a", "http.request.uri", "http.response.code")

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")


@cache
def tshark_frames(name: str) -> list[dict[str, str]]:
    """One dict per frame of what ``tshark -T fields`` prints for FIELDS (first occurrence)."""
    argv = ["tshark", "-r", str(CAPTURES / name), "-T", "fields", "-E", "occurrence=f"]
    argv += [arg for field in FIELDS for arg in ("-e", field)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return [dict(zip(FIELDS, line.split("\t"))) for line in out.splitlines()]


def is_set(value: str) -> bool:
    """A tshark flag field is set ("1" in tshark 4.0, "True" from 4.2 on)."""
    return value in ("1", "True")


def streams(frames: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for f in frames:
        if f["tcp.stream"]:
            out.setdefault(f["tcp.stream"], []).append(f)
    return out


def test_every_capture_is_documented() -> None:
    readme = (CAPTURES / "README.md").read_text()
    files = sorted(p.name for p in CAPTURES.iterdir() if p.name != "README.md")
    assert set(SHIPPED) <= set(files)
    for name in files:
        assert name in readme, f"captures/README.md does not say how {name} was made"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_format_by_magic(name: str) -> None:
    magic = (CAPTURES / name).read_bytes()[:4]
    expected = {"pcapng": {b"\x0a\x0d\x0d\x0a"},
                "pcap": {b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"}}
    assert magic in expected[SHIPPED[name][0]]


@needs_tshark
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_dns_lookup(name: str) -> None:
    frames = tshark_frames(name)
    assert frames, "tshark read no frames"
    queries = [f for f in frames
               if f["dns.qry.name"] == "www.example.test" and not is_set(f["dns.flags.response"])]
    answers = [f for f in frames if is_set(f["dns.flags.response"]) and f["dns.a"] == "127.0.0.1"]
    assert queries and answers
    assert int(queries[0]["frame.number"]) < int(answers[0]["frame.number"])
    first_tcp = next(f for f in frames if f["tcp.stream"])
    assert int(answers[0]["frame.number"]) < int(first_tcp["frame.number"]), "the name is resolved first"


@needs_tshark
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_handshakes(name: str) -> None:
    conns = streams(tshark_frames(name))
    assert len(conns) == SHIPPED[name][1]
    for stream, seg in conns.items():
        syn, synack, ack = seg[:3]
        assert is_set(syn["tcp.flags.syn"]) and not is_set(syn["tcp.flags.ack"]), f"stream {stream}"
        assert is_set(synack["tcp.flags.syn"]) and is_set(synack["tcp.flags.ack"]), f"stream {stream}"
        assert synack["tcp.srcport"] == syn["tcp.dstport"] == "8080"
        assert is_set(ack["tcp.flags.ack"]) and not is_set(ack["tcp.flags.syn"]), f"stream {stream}"
        assert int(ack["tcp.ack_raw"]) == int(synack["tcp.seq_raw"]) + 1


@needs_tshark
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_page_requests_and_responses(name: str) -> None:
    frames = tshark_frames(name)
    assert [f["http.request.uri"] for f in frames if f["http.request.uri"]] == PAGE
    assert [f["http.response.code"] for f in frames if f["http.response.code"]] == ["200"] * 4


@needs_tshark
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_fin_from_both_sides(name: str) -> None:
    first_closer = SHIPPED[name][2]
    for stream, seg in streams(tshark_frames(name)).items():
        client_port = seg[0]["tcp.srcport"]
        fins = [f for f in seg if is_set(f["tcp.flags.fin"])]
        assert {f["tcp.srcport"] for f in fins} == {client_port, "8080"}, f"stream {stream}"
        assert not any(is_set(f["tcp.flags.reset"]) for f in seg), f"stream {stream}"
        assert (fins[0]["tcp.srcport"] == client_port) == (first_closer == "client"), f"stream {stream}"
        last = seg[-1]
        assert is_set(last["tcp.flags.ack"]) and not is_set(last["tcp.flags.fin"]), "the last ACK is there"


# --- our reader and decoders on the same files ----------------------------------------------------------


@needs_tshark
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_reader_matches_tshark(name: str) -> None:
    from analyzer.capture import open_capture

    expected = tshark_frames(name)
    with open_capture(CAPTURES / name) as reader:
        frames = list(reader)
        assert reader.format == SHIPPED[name][0]
        assert reader.warnings == []
    assert len(frames) == len(expected)
    for frame, want in zip(frames, expected):
        assert frame.number == int(want["frame.number"])
        assert frame.ts_ns == int(Decimal(want["frame.time_epoch"]) * 10**9)
        assert frame.origlen == frame.caplen == int(want["frame.len"])


@needs_tshark
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_decode_matches_tshark(name: str) -> None:
    from analyzer.capture import open_capture
    from analyzer.decode import decode

    compared = ("ip.src", "ip.dst", "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport", "tcp.seq_raw",
                "tcp.ack_raw", "tcp.flags", "tcp.len")
    expected = tshark_frames(name)
    assert expected, f"tshark read no frames from {name}"
    with open_capture(CAPTURES / name) as reader:
        for frame, want in zip(reader, expected, strict=True):
            pkt = decode(frame)
            assert pkt.failure is None, f"frame {frame.number}: {pkt.failure}"
            for field in compared:
                got = pkt.get(field)
                assert ("" if got is None else str(got)) == want[field], f"frame {frame.number} {field}"
