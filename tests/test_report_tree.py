"""``-V`` trees: the annotations a learner needs (address class and range, IPv6 scope, MAC kind, port range and
service, checksum status, TCP flags, DNS sections, expert info), on crafted frames decoded for real."""

from __future__ import annotations

import pytest
from report_builders import (
    ACK,
    BROADCAST,
    ETH_ARP,
    ETH_IPV6,
    MAC_A,
    SYN,
    arp,
    dns_response_a,
    eth,
    icmp_echo,
    ipv4,
    ipv6,
    tcp,
    tcp_options,
    udp,
)

from analyzer.capture.frame import Frame
from analyzer.decode import decode
from analyzer.report.tree import Tree, ipv4_class, ipv4_note, ipv6_note, mac_note, port_note, render_tree


def packet(data: bytes, number: int = 1, origlen: int | None = None, ts_ns: int = 1_700_000_000_123_456_789):
    return decode(Frame(number, ts_ns, len(data) if origlen is None else origlen, 0, 1, data))


@pytest.mark.parametrize("addr,cls", [("10.1.2.3", "A"), ("127.0.0.1", "A"), ("172.16.0.1", "B"),
                                      ("191.255.255.255", "B"), ("192.168.1.1", "C"), ("223.1.1.1", "C"),
                                      ("224.0.0.251", "D"), ("239.255.255.250", "D"), ("240.0.0.1", "E"),
                                      ("255.255.255.255", "E")])
def test_ipv4_class(addr, cls):
    assert ipv4_class(addr) == cls
    assert ipv4_note(addr).startswith(f"Class {cls}")


@pytest.mark.parametrize("addr,words", [
    ("10.0.0.1", "private network (RFC 1918: 10.0.0.0/8)"),
    ("172.31.255.254", "private network (RFC 1918: 172.16.0.0/12)"),
    ("172.32.0.1", "public"),
    ("192.168.0.1", "private network (RFC 1918: 192.168.0.0/16)"),
    ("127.0.0.1", "loopback"),
    ("169.254.10.20", "link-local"),
    ("224.0.0.251", "mDNS"),
    ("239.1.2.3", "multicast"),
    ("255.255.255.255", "limited broadcast"),
    ("192.0.2.1", "documentation range TEST-NET-1"),
    ("198.51.100.7", "TEST-NET-2"),
    ("203.0.113.9", "TEST-NET-3"),
    ("100.64.1.1", "carrier-grade NAT"),
    ("0.0.0.0", "unspecified"),
    ("8.8.8.8", "public (globally routable)"),
])
def test_ipv4_ranges(addr, words):
    assert words in ipv4_note(addr)


@pytest.mark.parametrize("addr,words", [
    ("::1", "oopback"), ("fe80::1", "scope: link-local"), ("fd00::1", "nique local"),
    ("2001:db8::1", "ocumentation range"), ("2606:4700::1111", "scope: global"), ("ff02::1", "all nodes"),
    ("ff05::2", "scope: site-local"), ("ff0e::1", "scope: global"), ("ff02::1:ff00:1234", "solicited-node"),
    ("::", "nspecified"), ("::ffff:10.0.0.1", "IPv4-mapped"),
])
def test_ipv6_scope(addr, words):
    assert words in ipv6_note(addr)


@pytest.mark.parametrize("port,words", [
    (80, "Well-known port (0-1023); service: http"), (53, "service: domain"), (21, "service: ftp"),
    (22, "service: ssh"), (25, "service: smtp"), (443, "service: https"), (123, "service: ntp"),
    (0, "Well-known port"), (1023, "Well-known port"), (1024, "Registered port (1024-49151)"),
    (8080, "Registered port (1024-49151); service: http-alt"), (49151, "Registered"),
    (49152, "Dynamic/ephemeral port (49152-65535)"), (65535, "Dynamic"),
])
def test_port_notes(port, words):
    assert words in port_note(port)


def test_mac_notes():
    assert "Broadcast" in mac_note(BROADCAST)
    assert "IPv4 multicast" in mac_note("01:00:5e:00:00:fb")
    assert "IPv6 multicast" in mac_note("33:33:00:00:00:01")
    assert "locally administered" in mac_note("02:42:ac:11:00:02")
    assert "globally unique" in mac_note(MAC_A) and "00:1a:6b" in mac_note(MAC_A)


def test_tcp_syn_tree():
    c, s = "10.1.2.3", "192.168.1.1"
    pkt = packet(eth(ipv4(c, s, 6, tcp(c, s, 51515, 80, 1000, 0, SYN,
                                      options=tcp_options(mss=1460, sack_perm=True, ts=(1, 0), ws=7)))))
    text = render_tree(pkt)
    assert text.startswith("Frame 1: 74 bytes on wire (592 bits), 74 bytes captured (592 bits)")
    assert "Arrival Time: Nov 14, 2023 22:13:20.123456789 UTC" in text
    assert "Internet Protocol Version 4, Src: 10.1.2.3, Dst: 192.168.1.1" in text
    assert "[Class A; private network (RFC 1918: 10.0.0.0/8)" in text
    assert "[Class C; private network (RFC 1918: 192.168.0.0/16)" in text
    assert "Transmission Control Protocol, Src Port: 51515, Dst Port: 80" in text
    assert "[Dynamic/ephemeral port (49152-65535)]" in text
    assert "[Well-known port (0-1023); service: http]" in text
    assert ".... .... ..1. = Syn: Set" in text and ".... ...0 .... = Acknowledgment: Not set" in text
    assert "Flags: 0x0002 (SYN)" in text or "Flags: 0x002 (SYN)" in text
    assert "Protocol: TCP (6)" in text and "Type: IPv4 (0x0800)" in text
    assert "Good" in text  # checksum status
    assert "MSS Value: 1460 bytes" in text


def test_bad_checksum_is_annotated():
    c, s = "10.0.0.1", "10.0.0.2"
    text = render_tree(packet(eth(ipv4(c, s, 1, icmp_echo(True, 1, 1), bad_checksum=True))))
    assert "Bad" in text and "checksum offload" in text
    assert "[Expert Info (Warning):" in text


def test_dns_sections_and_ports():
    c = "192.168.1.10"
    msg = dns_response_a(0x33BE, (b"www", b"example", b"com"), ["93.184.216.34", "93.184.216.35"])
    text = render_tree(packet(eth(ipv4("8.8.8.8", c, 17, udp("8.8.8.8", c, 53, 52000, msg)))))
    assert "Domain Name System (response)" in text
    assert "Transaction ID: 0x33be" in text
    assert "[Well-known port (0-1023); service: domain]" in text
    assert "[Class A; public (globally routable)]" in text
    lines = text.splitlines()
    queries = lines.index("    Queries")
    assert lines[queries + 1] == "        www.example.com: type A, class IN"
    answers = lines.index("    Answers")
    assert lines[answers + 1] == "        www.example.com: type A, TTL 300, 93.184.216.34"
    assert lines[answers + 2] == "        www.example.com: type A, TTL 300, 93.184.216.35"


def test_ipv6_and_arp_annotations():
    text = render_tree(packet(eth(ipv6("fe80::1", "ff02::1", 17, udp("fe80::1", "ff02::1", 40000, 5353, b"")),
                                  ETH_IPV6)))
    assert "Link-local unicast (fe80::/10); scope: link-local" in text
    assert "Multicast: all nodes on this link; scope: link-local" in text
    text = render_tree(packet(eth(arp(1, MAC_A, "192.168.1.10", "00:00:00:00:00:00", "192.168.1.1"), ETH_ARP,
                                  dst=BROADCAST)))
    assert "Address Resolution Protocol (request)" in text
    assert "Opcode: request (1)" in text
    assert "Broadcast (every station on the link)" in text


def test_failures_are_expert_lines():
    c, s = "10.0.0.1", "10.0.0.2"
    syn = eth(ipv4(c, s, 6, tcp(c, s, 40000, 443, 1, 0, SYN | ACK, options=tcp_options(mss=1460))))
    text = render_tree(packet(syn[:40], origlen=len(syn)))
    assert "[Packet size limited during capture: TCP truncated]" in text
    assert "the capture kept 40 of 58 bytes" in text
    malformed = eth(ipv4(c, s, 17, udp(c, s, 5000, 53, b"\x12\x34\x01")))
    text = render_tree(packet(malformed))
    assert "[Malformed Packet: DNS]" in text and "Expert Info (Error/Malformed)" in text


def test_tree_times_are_relative_to_the_first_frame():
    tree = Tree()
    c, s = "10.0.0.1", "10.0.0.2"
    data = eth(ipv4(c, s, 6, tcp(c, s, 40000, 80, 1, 0, ACK)))
    tree.render(packet(data, 1, ts_ns=5_000_000_000))
    second = tree.render(packet(data, 2, ts_ns=5_250_000_000))
    assert "[Time delta from previous captured frame: 0.250000000 seconds]" in second
    assert "[Time since reference or first frame: 0.250000000 seconds]" in second


def test_tree_escapes_control_characters():
    c, s = "10.0.0.1", "10.0.0.2"
    msg = dns_response_a(0x1, (b"a\x1b[2J", b"com"), ["1.2.3.4"])
    text = render_tree(packet(eth(ipv4(s, c, 17, udp(s, c, 53, 5000, msg)))))
    assert "\x1b" not in text
