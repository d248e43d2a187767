"""Summary lines on crafted frames: wording, column layout, state (ICMP request/reply), failures; and the
same crafted capture compared line by line with ``tshark -n``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from report_builders import (
    ACK,
    BROADCAST,
    ETH_ARP,
    ETH_IPV6,
    ETH_VLAN,
    FIN,
    MAC_A,
    MAC_B,
    PSH,
    RST,
    SYN,
    URG,
    arp,
    dns_query,
    dns_response_a,
    eth,
    icmp_echo,
    ipv4,
    ipv6,
    pcap,
    tcp,
    tcp_options,
    udp,
    vlan,
)

from analyzer.capture import open_capture
from analyzer.decode import decode
from analyzer.report.summary import Summary, relative_time, tcp_flags_text

TSHARK = shutil.which("tshark")
C, S = "192.168.1.10", "93.184.216.34"


def crafted() -> list[bytes]:
    name = (b"www", b"example", b"com")
    return [
        eth(arp(1, MAC_A, C, "00:00:00:00:00:00", "192.168.1.1"), ETH_ARP, dst=BROADCAST),
        eth(arp(2, MAC_B, "192.168.1.1", MAC_A, C), ETH_ARP, src=MAC_B, dst=MAC_A),
        eth(arp(1, MAC_B, "192.168.1.1", "00:00:00:00:00:00", "192.168.1.1"), ETH_ARP, src=MAC_B, dst=BROADCAST),
        eth(arp(2, MAC_B, "192.168.1.1", BROADCAST, "192.168.1.1"), ETH_ARP, src=MAC_B, dst=BROADCAST),
        eth(arp(1, MAC_A, "0.0.0.0", "00:00:00:00:00:00", C), ETH_ARP, dst=BROADCAST),
        eth(ipv4(C, "8.8.8.8", 17, udp(C, "8.8.8.8", 52000, 53, dns_query(0x33BE, name)))),
        eth(ipv4("8.8.8.8", C, 17, udp("8.8.8.8", C, 53, 52000,
                                       dns_response_a(0x33BE, name, ["93.184.216.34", "93.184.216.35"])))),
        eth(ipv4(C, S, 6, tcp(C, S, 52084, 5001, 1000, 0, SYN,
                              options=tcp_options(mss=1460, sack_perm=True, ts=(3000, 0), ws=7)))),
        eth(ipv4(S, C, 6, tcp(S, C, 5001, 52084, 7000, 1001, SYN | ACK, 65160,
                              options=tcp_options(mss=1400, sack_perm=True, ts=(9000, 3000), ws=9)))),
        eth(ipv4(C, S, 6, tcp(C, S, 52084, 5001, 1001, 7001, ACK, 502, options=tcp_options(ts=(3001, 9000))))),
        eth(ipv4(C, S, 6, tcp(C, S, 52084, 5001, 1001, 7001, PSH | ACK, 502, payload=b"hello",
                              options=tcp_options(ts=(3002, 9000))))),
        eth(ipv4(C, S, 6, tcp(C, S, 52084, 5001, 1006, 7001, FIN | ACK | URG, 502, urgent=1))),
        eth(ipv4(S, C, 6, tcp(S, C, 5001, 52084, 7001, 1007, RST | ACK, 0))),
        eth(ipv4(C, "10.0.0.1", 1, icmp_echo(True, 0x2093, 1))),
        eth(ipv4("10.0.0.1", C, 1, icmp_echo(False, 0x2093, 1), ttl=63)),
        eth(ipv4(C, "10.0.0.1", 1, icmp_echo(True, 0x2093, 2))),
        eth(vlan(ipv4(C, "10.0.0.9", 17, udp(C, "10.0.0.9", 40000, 9999, b"x" * 12)), 42), ETH_VLAN),
        eth(ipv6("2001:db8::1", "2001:db8::2", 17, udp("2001:db8::1", "2001:db8::2", 5353, 5353,
                                                      dns_query(0, (b"printer", b"local"), 12))), ETH_IPV6),
    ]


def lines_of(frames: list[bytes], tmp_path: Path) -> list[str]:
    path = tmp_path / "crafted.pcap"
    path.write_bytes(pcap(frames))
    summary = Summary()
    with open_capture(path) as reader:
        return [summary.line(decode(frame)) for frame in reader]


def test_column_layout(tmp_path):
    lines = lines_of(crafted(), tmp_path)
    assert lines[0] == ("    1   0.000000 00:1a:6b:6c:0c:cc \u2192 ff:ff:ff:ff:ff:ff ARP 42 "
                        "Who has 192.168.1.1? Tell 192.168.1.10")
    assert lines[5] == ("    6   0.005000 192.168.1.10 \u2192 8.8.8.8      DNS 75 "
                        "Standard query 0x33be A www.example.com")


def test_wording(tmp_path):
    info = [line.split(" ", 1)[1] for line in lines_of(crafted(), tmp_path)]
    expected = [
        "Who has 192.168.1.1? Tell 192.168.1.10",
        "192.168.1.1 is at 00:1d:09:f0:92:ab",
        "ARP Announcement for 192.168.1.1",
        "Gratuitous ARP for 192.168.1.1 (Reply)",
        "Who has 192.168.1.10? (ARP Probe)",
        "Standard query 0x33be A www.example.com",
        "Standard query response 0x33be A www.example.com A 93.184.216.34 A 93.184.216.35",
        # decode only (no TCP analysis): raw sequence numbers, unscaled window
        "52084 \u2192 5001 [SYN] Seq=1000 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=3000 TSecr=0 WS=128",
        ("5001 \u2192 52084 [SYN, ACK] Seq=7000 Ack=1001 Win=65160 Len=0 MSS=1400 SACK_PERM TSval=9000 "
         "TSecr=3000 WS=512"),
        "52084 \u2192 5001 [ACK] Seq=1001 Ack=7001 Win=502 Len=0 TSval=3001 TSecr=9000",
        "52084 \u2192 5001 [PSH, ACK] Seq=1001 Ack=7001 Win=502 Len=5 TSval=3002 TSecr=9000",
        "52084 \u2192 5001 [FIN, ACK, URG] Seq=1006 Ack=7001 Win=502 Urg=1 Len=0",
        "5001 \u2192 52084 [RST, ACK] Seq=7001 Ack=1007 Win=0 Len=0",
        "Echo (ping) request  id=0x2093, seq=1/256, ttl=64",
        "Echo (ping) reply    id=0x2093, seq=1/256, ttl=63 (request in 14)",
        "Echo (ping) request  id=0x2093, seq=2/512, ttl=64",
        "40000 \u2192 9999 Len=12",
        'Standard query 0x0000 PTR printer.local, "QM" question',
    ]
    for got, want in zip(info, expected, strict=True):
        assert got.endswith(" " + want), (got, want)
    columns = [Summary().columns(decode_one(f)) for f in crafted()]
    assert [c[4] for c in columns] == ["ARP"] * 5 + ["DNS"] * 2 + ["TCP"] * 6 + ["ICMP"] * 3 + ["UDP", "MDNS"]


def decode_one(data: bytes):
    from analyzer.capture.frame import Frame

    return decode(Frame(1, 1_700_000_000_000_000_000, len(data), 0, 1, data))


def test_relative_time_truncates_and_signs():
    assert relative_time(1_000_000_123_999, 1_000_000_000_000) == "0.000123"
    assert relative_time(3_500_000_000, 1_000_000_000) == "2.500000"
    assert relative_time(1_000_000_000, 1_000_500_000) == "-0.000500"


def test_tcp_flag_names():
    assert tcp_flags_text(0x002) == "SYN"
    assert tcp_flags_text(0x012) == "SYN, ACK"
    assert tcp_flags_text(0x0C2) == "SYN, ECE, CWR"
    assert tcp_flags_text(0x100) == "AE"
    assert tcp_flags_text(0x000) == "<None>"
    assert tcp_flags_text(0x200) == "Reserved"


def test_failure_markers(tmp_path):
    syn = crafted()[7]
    frames = [(len(syn), syn[:60]),                                   # snaplen cut inside the TCP options
              eth(ipv4(C, S, 17, udp(C, S, 5000, 53, b"\x12\x34\x01")))]  # DNS shorter than its header
    lines = lines_of(frames, tmp_path)
    assert lines[0].endswith("[Packet size limited during capture]")
    assert " TCP 74 52084 \u2192 5001 [SYN]" in lines[0]
    assert " DNS " in lines[1] and lines[1].endswith("[Malformed Packet]")


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed")
def test_crafted_capture_matches_tshark(tmp_path):
    """Decode-only lines equal tshark's except where TCP analysis differs (relative numbers, scaled window)."""
    from analyzer.api.packets import analyze

    path = tmp_path / "crafted.pcap"
    path.write_bytes(pcap(crafted()))
    summary = Summary()
    with open_capture(path) as reader:
        ours = [summary.line(pkt) for pkt in analyze(reader)]
    theirs = subprocess.run([TSHARK, "-n", "-r", str(path)], capture_output=True, check=False,
                            timeout=60).stdout.decode().splitlines()
    assert ours == theirs


def test_dns_on_mdns_and_llmnr_ports_is_named_as_tshark_names_it(tmp_path):
    """tshark tries the lower UDP port first: DNS between 53 and 5353 is "DNS", 49152 -> 5353 "MDNS", 1000 ->
    5353 "MDNS" (1000 has no dissector), 5355 <-> 53 "DNS". The Protocol column said MDNS/LLMNR whenever either
    port was 5353/5355. Crafted with scapy, named by tshark."""
    from scapy.all import DNS, DNSQR, IP, UDP, Ether, wrpcap
    from tshark_query import fields

    pairs = ((53, 5353), (5353, 53), (5353, 5353), (49152, 5353), (5353, 49152), (5355, 53), (5355, 49152),
             (53, 5355), (1000, 5353))
    path = tmp_path / "mdns_ports.pcap"
    wrpcap(str(path), [Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=s, dport=d)
                       / DNS(rd=1, qd=DNSQR(qname="a.example")) for s, d in pairs])
    theirs = [p for (p,) in fields(path, "frame", "_ws.col.Protocol")]
    assert theirs.count("DNS") == 4 and theirs.count("MDNS") == 4
    out = subprocess.run([sys.executable, "-m", "analyzer", "read", str(path)], capture_output=True, text=True,
                         check=True).stdout
    assert [line.split()[5] for line in out.splitlines()] == theirs
