"""Frame builders for the read/report tests: real wire bytes for Ethernet, ARP, IPv4/IPv6, ICMP, UDP, TCP, DNS.

Written from the RFCs, independently of analyzer.decode, with correct checksums (so a bad one is a
deliberate choice of the test). Each builder returns bytes; :func:`pcap` wraps frames in a classic pcap.
"""

from __future__ import annotations

import ipaddress
import struct

ETH_IPV4, ETH_ARP, ETH_IPV6, ETH_VLAN = 0x0800, 0x0806, 0x86DD, 0x8100
MAC_A = "00:1a:6b:6c:0c:cc"
MAC_B = "00:1d:09:f0:92:ab"
BROADCAST = "ff:ff:ff:ff:ff:ff"

FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20


def mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def eth(payload: bytes, ethertype: int = ETH_IPV4, src: str = MAC_A, dst: str = MAC_B) -> bytes:
    return mac(dst) + mac(src) + struct.pack("!H", ethertype) + payload


def vlan(payload: bytes, vid: int, ethertype: int = ETH_IPV4, prio: int = 0) -> bytes:
    return struct.pack("!HH", (prio << 13) | vid, ethertype) + payload


def arp(op: int, sha: str, spa: str, tha: str, tpa: str) -> bytes:
    return (struct.pack("!HHBBH", 1, ETH_IPV4, 6, 4, op) + mac(sha) + ipaddress.IPv4Address(spa).packed
            + mac(tha) + ipaddress.IPv4Address(tpa).packed)


def ipv4(src: str, dst: str, proto: int, payload: bytes, ttl: int = 64, ident: int = 0x1234,
         df: bool = True, bad_checksum: bool = False) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000 if df else 0, ttl, proto,
                         0, ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    cks = checksum(header) ^ (0x0101 if bad_checksum else 0)
    return header[:10] + struct.pack("!H", cks) + header[12:] + payload


def ipv6(src: str, dst: str, nxt: int, payload: bytes, hlim: int = 64) -> bytes:
    return (struct.pack("!IHBB", 6 << 28, len(payload), nxt, hlim) + ipaddress.IPv6Address(src).packed
            + ipaddress.IPv6Address(dst).packed + payload)


def _pseudo(src: str, dst: str, proto: int, length: int) -> bytes:
    a, b = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if a.version == 4:
        return a.packed + b.packed + struct.pack("!BBH", 0, proto, length)
    return a.packed + b.packed + struct.pack("!IxxxB", length, proto)


def udp(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    cks = checksum(_pseudo(src, dst, 17, len(seg)) + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", cks) + seg[8:]


def tcp_options(mss: int | None = None, sack_perm: bool = False, ts: tuple[int, int] | None = None,
                ws: int | None = None) -> bytes:
    """Options in the order Linux sends them on a SYN: MSS, SACK_PERM+TS (or NOPs), NOP+WS."""
    out = b""
    if mss is not None:
        out += struct.pack("!BBH", 2, 4, mss)
    if sack_perm and ts:
        out += struct.pack("!BB", 4, 2) + struct.pack("!BBII", 8, 10, *ts)
    elif ts:
        out += b"\x01\x01" + struct.pack("!BBII", 8, 10, *ts)
    elif sack_perm:
        out += b"\x01\x01\x04\x02"
    if ws is not None:
        out += b"\x01" + struct.pack("!BBB", 3, 3, ws)
    return out + b"\0" * (-len(out) % 4)


def tcp(src: str, dst: str, sport: int, dport: int, seq: int, ack: int, flags: int, window: int = 64240,
        options: bytes = b"", payload: bytes = b"", urgent: int = 0) -> bytes:
    hdr_len = 20 + len(options)
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (hdr_len // 4) << 4, flags, window, 0,
                      urgent) + options + payload
    cks = checksum(_pseudo(src, dst, 6, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", cks) + seg[18:]


def icmp_echo(request: bool, ident: int, seq: int, payload: bytes = b"abcdefgh") -> bytes:
    msg = struct.pack("!BBHHH", 8 if request else 0, 0, 0, ident, seq) + payload
    return msg[:2] + struct.pack("!H", checksum(msg)) + msg[4:]


def dns_name(*labels: bytes) -> bytes:
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\0"


def dns_query(ident: int, labels: tuple[bytes, ...], qtype: int = 1) -> bytes:
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + dns_name(*labels) + struct.pack("!HH", qtype, 1)


def dns_response_a(ident: int, labels: tuple[bytes, ...], addresses: list[str], ttl: int = 300) -> bytes:
    msg = struct.pack("!HHHHHH", ident, 0x8180, 1, len(addresses), 0, 0) + dns_name(*labels)
    msg += struct.pack("!HH", 1, 1)
    for addr in addresses:
        msg += struct.pack("!HHHIH", 0xC00C, 1, 1, ttl, 4) + ipaddress.IPv4Address(addr).packed
    return msg


def pcap(frames: list[bytes | tuple[int, bytes]], linktype: int = 1, start: int = 1_700_000_000,
         step_us: int = 1000, snaplen: int = 262144) -> bytes:
    """A little-endian microsecond pcap; a frame given as (origlen, data) is recorded as cut to data."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)
    for i, item in enumerate(frames):
        origlen, data = item if isinstance(item, tuple) else (len(item), item)
        usec = i * step_us
        out += struct.pack("<IIII", start + usec // 1_000_000, usec % 1_000_000, len(data), origlen) + data
    return out
