"""Google QUIC (gQUIC, Q0xx) in the timeline (issue 10 item 1: "every connection attempt of a client appears in
some fetch"). In ../shared/corpus/pcapng_11_interfaces_macos_dumpcap.pcapng, Chrome 44 races a gQUIC Q025
connection (UDP 443) beside a TCP/TLS one to the same Google server; the timeline said nothing of the UDP flow.

Expected values come from tshark's gQUIC dissector (gquic.version, gquic.cid, gquic.packet_number, gquic.tag_type,
gquic.tag.sni, gquic.tag.uaid) and its frame, UDP and TCP fields. The crafted captures hold what the corpus file
cannot: an unanswered hello and a reject (REJ). Their bytes follow the layout written down in
analyzer/apps/quic.py (public flags, connection ID, version, packet number; a 12-byte hash and the private flags;
a STREAM frame of stream 1 holding a handshake message: tag, entry count, padding, tag/end-offset pairs, values),
and tshark reads them back as gQUIC with the values written, before the timeline is asked."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from scapy.all import IP, UDP, Ether, Raw, wrpcap
from tshark_query import fields

from analyzer.apps.quic import gquic_hello, gquic_reject, gquic_version_name
from analyzer.capture import open_capture
from analyzer.report.timeline_text import render_fetch
from analyzer.timeline import timeline

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
MACOS = CORPUS / "pcapng_11_interfaces_macos_dumpcap.pcapng"
CLIENT, SERVER = "10.0.0.2", "216.58.192.4"
_RANDOM = random.Random(11)


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path.name} is not in ../shared/corpus (the shared captures are not beside this tree)")
    return path


def _udp_payloads(path: Path) -> dict[int, bytes]:
    """The UDP payload of every IPv4 UDP frame (Ethernet or BSD loopback), by frame number."""
    out = {}
    with open_capture(path) as reader:
        for frame in reader:
            d = frame.data
            if len(d) > 42 and d[12:14] == b"\x08\x00" and d[23] == 17:
                ihl = (d[14] & 15) * 4
                out[frame.number] = bytes(d[14 + ihl + 8:])
    return out


def load(path: Path, lang: str = "en"):
    with open_capture(path) as reader:
        return timeline(reader, lang).fetches


def test_the_hello_reader_agrees_with_tshark_on_every_udp_datagram():
    path = _need(MACOS)
    want = {int(f): (v, int(c), int(p), t.split(","), s, u) for f, v, c, p, t, s, u in fields(
        path, "gquic.tag == \"CHLO\"", "frame.number", "gquic.version", "gquic.cid", "gquic.packet_number",
        "gquic.tag_type", "gquic.tag.sni", "gquic.tag.uaid")}
    assert len(want) == 2
    payloads = _udp_payloads(path)
    for n, data in payloads.items():
        got = gquic_hello(data)
        if n not in want:
            assert got is None, n
            continue
        version, cid, pkn, tags, sni, uaid = want[n]
        assert got is not None, n
        assert (gquic_version_name(got.version), got.cid, got.packet_number) == (version, cid, pkn)
        assert list(got.tags) == tags and (got.sni, got.uaid) == (sni, uaid)
    assert not any(gquic_reject(d) for d in payloads.values())     # tshark finds no REJ either
    assert not fields(path, "gquic.tag == \"REJ\"", "frame.number")


def _time(path: Path, frame: int) -> float:
    ((t,),) = fields(path, f"frame.number == {frame}", "frame.time_epoch")
    return float(t)


def test_the_macos_capture_tells_the_gquic_race_beside_tcp():
    path = _need(MACOS)
    hellos = [(int(f), int(sp), s, u, v, int(n) - 8, ip) for f, sp, s, u, v, n, ip in fields(
        path, "gquic.tag == \"CHLO\"", "frame.number", "udp.srcport", "gquic.tag.sni", "gquic.tag.uaid",
        "gquic.version", "udp.length", "ip.dst")]
    (first, port, sni, uaid, version, size, server) = hellos[0]
    flow = f"ip.addr == {server} && udp.port == {port} && udp.port == 443"
    rows = [(int(f), sp == "443", int(n) - 8) for f, sp, n in fields(path, flow, "frame.number", "udp.srcport",
                                                                       "udp.length")]
    answer = next(f for f, down, _n in rows if down)
    after = [(f, n) for f, down, n in rows if not down and f > answer]
    syns = [int(f) for (f,) in fields(path, f"ip.dst == {server} && tcp.flags.syn == 1 && tcp.flags.ack == 0",
                                      "frame.number")]
    syn = min(syns, key=lambda f: abs(_time(path, f) - _time(path, first)))
    ((stream,),) = fields(path, f"frame.number == {syn}", "tcp.stream")
    later = fields(path, f"tcp.stream == {stream} && ip.src != {server} && tcp.len > 0 && frame.number > {answer}",
                   "frame.number")
    assert not later                            # nothing more on that TCP connection after the QUIC answer

    (fetch,) = [f for f in load(path) if any(first in s.frames for s in f.steps)]
    steps = {s.kind: s for s in fetch.steps if s.layer == "quic"}
    hello = steps["quic.gquic.hello"]
    assert hello.frames == (first,)
    assert (hello.facts["sni"], hello.facts["uaid"], hello.facts["version"], hello.facts["size"]) == \
        (sni, uaid, version, size)
    assert f"SNI = {sni}" in hello.text and "Google QUIC (gQUIC)" in hello.text
    assert any(s.kind == "tcp.handshake.syn" or syn in s.frames for s in fetch.steps if s.layer == "tcp")

    server_step = steps["quic.gquic.server.resent"]      # two hellos before the answer
    assert server_step.frames == tuple(f for f, *_ in hellos) + (answer,)
    assert server_step.facts["rtt_ms"] == pytest.approx((_time(path, answer) - _time(path, first)) * 1e3, abs=1e-3)
    assert "2 times" in server_step.text and "encrypted" in server_step.text

    race = steps["quic.race.quic"]
    assert race.facts["stream"] == int(stream) and race.facts["syn"] == syn and race.facts["answer"] == answer
    assert (race.facts["after"], race.facts["after_bytes"]) == (len(after), sum(n for _f, n in after))
    assert (race.facts["after_first"], race.facts["after_last"]) == (after[0][0], after[-1][0])
    assert "it went on over QUIC" in race.text

    data = steps["quic.gquic.data"]
    up = [n for _f, down, n in rows if not down]
    down = [n for _f, d, n in rows if d]
    assert (data.facts["c_packets"], data.facts["c_bytes"]) == (len(up), sum(up))
    assert (data.facts["s_packets"], data.facts["s_bytes"]) == (len(down), sum(down))
    assert data.facts["last"] == rows[-1][0]

    # the summary counts it beside the TCP connections (tcp.stream values with a SYN to that server)
    tcp = {st for (st,) in fields(path, f"ip.dst == {server} && tcp.flags.syn == 1 && tcp.flags.ack == 0",
                                  "tcp.stream")}
    quic = {st for (st,) in fields(path, "gquic.tag == \"CHLO\"", "udp.stream")}
    assert (fetch.summary.connections, fetch.summary.quic_connections) == (len(tcp), len(quic))
    assert fetch.summary.as_dict()["quic_connections"] == len(quic)
    assert f"{len(tcp)} connections, {len(quic)} QUIC connection (UDP)" in render_fetch(fetch, width=200)
    zh = next(f for f in load(path, "zh") if any(first in s.frames for s in f.steps))
    texts = {s.kind: s.text for s in zh.steps if s.layer == "quic"}
    assert set(texts) == set(steps)
    assert all(not any(w in t for w in ("The client", "the server", " over ", " after ")) for t in texts.values())
    assert "竞速" in texts["quic.race.quic"] and f"SNI = {sni}" in texts["quic.gquic.hello"]


# -- crafted ---------------------------------------------------------------------------------------------------
def _message(tag: bytes, entries: list[tuple[bytes, bytes]]) -> bytes:
    """A QUIC Crypto handshake message: tag, entry count (2 bytes LE), 2 bytes of padding, (tag, end offset LE)
    per entry, then the values."""
    table, values = b"", b""
    for t, v in entries:
        values += v
        table += t.ljust(4, b"\x00") + len(values).to_bytes(4, "little")
    return tag + len(entries).to_bytes(2, "little") + b"\x00\x00" + table + values


def _packet(message: bytes, pkn: int, version: bytes | None, cid: int) -> bytes:
    """A gQUIC Q025 packet sent without encryption: public flags (0x01 when a version follows, 0x0C an 8-byte
    connection ID, a 1-byte packet number), the ID (LE), the version, the packet number, a 12-byte hash, the
    private flags, a STREAM frame (0xA0: a 2-byte data length, stream 1) holding ``message``."""
    flags = 0x0C | (0x01 if version else 0)
    head = bytes([flags]) + cid.to_bytes(8, "little") + (version or b"") + bytes([pkn])
    return head + _RANDOM.randbytes(12) + b"\x00" + bytes([0xA0, 0x01]) + len(message).to_bytes(2, "little") + message


def _hello(pkn: int, cid: int) -> bytes:
    msg = _message(b"CHLO", [(b"PAD", b"-" * 900), (b"SNI", b"www.google.com"), (b"VER", b"Q025"),
                             (b"UAID", b"Chrome/45.0")])
    return _packet(msg, pkn, b"Q025", cid)


def _craft(path: Path, answer: str) -> None:
    up = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / IP(src=CLIENT, dst=SERVER) / UDP(sport=53000,
                                                                                                    dport=443)
    down = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src=SERVER, dst=CLIENT) / UDP(sport=443,
                                                                                                      dport=53000)
    cid = 0x1122334455667788
    pk = [up / Raw(_hello(1, cid))]
    if answer == "none":
        pk += [up / Raw(_hello(2, cid)), up / Raw(_hello(3, cid))]
    else:
        rej = _message(b"REJ\x00", [(b"STK", _RANDOM.randbytes(40)), (b"SNO", _RANDOM.randbytes(16))])
        pk += [down / Raw(_packet(rej, 1, None, cid)), up / Raw(_hello(2, cid))]
    for i, p in enumerate(pk):
        p.time = 1_700_000_000 + i * 0.05
    wrpcap(str(path), pk)


def test_an_unanswered_gquic_hello_is_a_problem_with_its_resends(tmp_path):
    path = tmp_path / "gquic_unanswered.pcap"
    _craft(path, "none")
    sent = [(int(f), s) for f, s in fields(path, "gquic.tag == \"CHLO\"", "frame.number", "gquic.tag.sni")]
    assert [s for _f, s in sent] == ["www.google.com"] * 3
    (fetch,) = load(path)
    assert fetch.kind == "quic" and fetch.url == "www.google.com"
    (step,) = [s for s in fetch.steps if s.kind == "quic.gquic.unanswered"]
    assert step.frames == tuple(f for f, _s in sent) and step.problem
    assert "3 hellos" in step.text and "UDP to port 443" in step.text
    hello = next(s for s in fetch.steps if s.kind == "quic.gquic.hello")
    assert "complete hello" not in hello.text       # no STK/SCID/PUBS: a first, inchoate hello
    (zh,) = load(path, "zh")
    assert "3 个问候数据包没有得到回应" in next(s.text for s in zh.steps if s.kind == "quic.gquic.unanswered")


def test_a_gquic_reject_is_told_as_a_reject(tmp_path):
    path = tmp_path / "gquic_rej.pcap"
    _craft(path, "rej")
    ((rej,),) = fields(path, "gquic.tag == \"REJ\"", "frame.number")
    ((first,),) = fields(path, "gquic.tag == \"CHLO\" && gquic.packet_number == 1", "frame.number")
    (fetch,) = load(path)
    steps = {s.kind: s for s in fetch.steps}
    assert "quic.gquic.server" not in steps and "quic.gquic.server.resent" not in steps
    step = steps["quic.gquic.reject"]
    assert step.frames == (int(rej),)
    assert step.facts["rtt_ms"] == pytest.approx((_time(path, int(rej)) - _time(path, int(first))) * 1e3, abs=1e-3)
    assert "reject (REJ, in clear)" in step.text
