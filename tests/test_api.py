"""The Python API for notebooks: ``analyzer.open_capture()`` and ``analyzer.packets()``, end to end."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from report_builders import (
    BROADCAST,
    ETH_ARP,
    MAC_A,
    SYN,
    arp,
    dns_query,
    eth,
    ipv4,
    pcap,
    tcp,
    tcp_options,
    udp,
)

import analyzer

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")


@pytest.fixture
def capture(tmp_path) -> Path:
    c, s = "192.168.1.10", "93.184.216.34"
    frames = [
        eth(arp(1, MAC_A, c, "00:00:00:00:00:00", "192.168.1.1"), ETH_ARP, dst=BROADCAST),
        eth(ipv4(c, "8.8.8.8", 17, udp(c, "8.8.8.8", 52000, 53, dns_query(0x33BE, (b"www", b"example", b"com"))))),
        eth(ipv4(c, s, 6, tcp(c, s, 52084, 80, 1000, 0, SYN, options=tcp_options(mss=1460)))),
    ]
    path = tmp_path / "api.pcap"
    path.write_bytes(pcap(frames))
    return path


def test_open_capture_yields_frames(capture):
    with analyzer.open_capture(capture) as reader:
        frames = list(reader)
    assert [f.number for f in frames] == [1, 2, 3]
    assert frames[0].ts_ns == 1_700_000_000_000_000_000 and frames[1].ts_ns == 1_700_000_000_001_000_000
    assert frames[0].caplen == frames[0].origlen == 42 and frames[0].linktype == 1
    assert isinstance(frames[0].data, bytes)


def test_packets_read_fields_by_wireshark_names(capture):
    pkts = list(analyzer.packets(capture))
    assert len(pkts) == 3
    first, second, third = pkts
    assert "arp" in first and first["arp.opcode"] == 1 and first["arp.dst.proto_ipv4"] == "192.168.1.1"
    assert second.get("ip.src") == "192.168.1.10" and second.get("dns.qry.name") == "www.example.com"
    assert second["dns.id"] == "0x33be" and "dns" in second and "tcp" not in second
    assert third["tcp.dstport"] == 80 and third["tcp.options.mss_val"] == 1460
    assert third.get("dns.qry.name") is None
    assert third.frame.number == 3 and third.protocols == ["frame", "eth", "ip", "tcp"]


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus folder {CORPUS} absent")
@pytest.mark.skipif(TSHARK is None, reason="tshark not installed")
def test_packets_agree_with_tshark_on_a_real_capture():
    path = CORPUS / "dns_udp_mixed_rrtypes_wireshark_sample.pcap"
    if not path.exists():
        pytest.skip("corpus file absent")
    rows = subprocess.run([TSHARK, "-r", str(path), "-T", "fields", "-e", "frame.number", "-e", "ip.src",
                           "-e", "dns.qry.name", "-e", "dns.id"], capture_output=True, check=False,
                          timeout=60).stdout.decode().splitlines()
    ours = [f"{p['frame.number']}\t{p['ip.src']}\t{p.get('dns.qry.name', '')}\t{p['dns.id']}"
            for p in analyzer.packets(path)]
    assert ours == rows
