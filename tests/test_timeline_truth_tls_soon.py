"""No ServerHello in a capture that ends right after the ClientHello is no failed handshake (F37): the step says how
long the capture ran after the ClientHello beside the connection's round trip, and that this is too soon to tell;
a capture that runs on for seconds with no ServerHello still says the handshake did not get through.

Expected values from tshark at test time (tls.handshake.type, frame.time_relative, tcp.analysis.initial_rtt); the
crafted captures are written with scapy on the timeline scenarios' story, the ClientHello record built here (a
minimal TLS 1.2 hello: version, random, no session, one suite, null compression). The corpus file (MANIFEST) is
skipped with the reason when ../shared/corpus is absent.
"""

from __future__ import annotations

import struct

import pytest
from fixtures.timeline import craft

from analyzer.capture import open_capture
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CORPUS, rows

MACOS = CORPUS / "pcapng_11_interfaces_macos_dumpcap.pcapng"


def _hello() -> bytes:
    body = struct.pack("!H", 0x0303) + bytes(32) + b"\0" + struct.pack("!H", 2) + b"\x13\x01" + b"\x01\0" + b"\0\0"
    msg = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack("!H", len(msg)) + msg


def _steps(path):
    with open_capture(path) as reader:
        tl = timeline(reader)
    return [s for f in tl.fetches for s in f.steps if s.kind.startswith("tls.no_server_hello")]


def _crafted(tmp_path, tail_us: int):
    story = craft.Story()
    c = craft.Conn(story, (craft.CLIENT, 43400), (craft.SERVER_A, 443))
    c.handshake(rtt_us=20_000)
    c.send(craft.C, "PA", _hello(), dt_us=300)
    c.send(craft.S, "A", dt_us=5000)
    if tail_us:
        story.arp(craft.GATEWAY, craft.LAN_SERVER, craft.GATEWAY_MAC, dt_us=tail_us)
    path = tmp_path / f"hello_{tail_us}.pcap"
    story.write(path)
    return path


def _expect(path, stream: int = 0):
    ((ch, t_ch),) = rows(path, f"tls.handshake.type == 1 && tcp.stream == {stream}", "frame.time_relative")
    assert not rows(path, f"tls.handshake.type == 2 && tcp.stream == {stream}")
    end = max(float(r[1]) for r in rows(path, "frame", "frame.time_relative"))
    (irtt,) = {float(r[1]) for r in rows(path, f"tcp.stream == {stream} && tcp.analysis.initial_rtt",
                                          "tcp.analysis.initial_rtt")}
    return int(ch), (end - float(t_ch)) * 1000, irtt * 1000


def test_capture_ends_right_after_the_client_hello(tmp_path):
    """The ClientHello, the server's ACK of it 5 ms later, and the end of the capture."""
    path = _crafted(tmp_path, 0)
    _ch, waited, irtt = _expect(path)
    (step,) = _steps(path)
    assert step.kind == "tls.no_server_hello.soon" and not step.problem
    assert step.facts["waited_ms"] == pytest.approx(waited, abs=0.002)
    assert step.facts["rtt_ms"] == pytest.approx(irtt, abs=0.002)
    assert "too soon to tell" in step.text and "did not get through" not in step.text


def test_no_server_hello_for_seconds(tmp_path):
    """The same, then 3 s of capture (an ARP exchange) with no ServerHello."""
    path = _crafted(tmp_path, 3_000_000)
    _ch, waited, _irtt = _expect(path)
    assert waited > 1000
    (step,) = _steps(path)
    assert step.kind == "tls.no_server_hello" and step.problem and "did not get through" in step.text


def test_capture_ends_right_after_the_client_hello_corpus():
    """pcapng_11_interfaces_macos_dumpcap: connection 1's ClientHello (frame 56) is 1.9 ms before the file's last
    frame, its round trip 251 ms. Was: "No ServerHello in the capture: the TLS handshake did not get through"."""
    if not MACOS.exists():
        pytest.skip(f"{MACOS} is not there (the corpus lives in ../shared/corpus)")
    _ch, waited, irtt = _expect(MACOS, 1)
    (step,) = _steps(MACOS)
    assert step.kind == "tls.no_server_hello.soon"
    assert step.facts["waited_ms"] == pytest.approx(waited, abs=0.002)
    assert step.facts["rtt_ms"] == pytest.approx(irtt, abs=0.002)
