"""Shared helpers for the link/network/transport decoder tests (no tests of its own beyond sanity checks).

A :class:`Fixture` is one frame as hex (from a corpus capture or built with scapy once; the comment above each
fixture says which) and the fields tshark 4.0 printed for it with ``-T fields -E occurrence=a`` under
:data:`TSHARK_PREFS`, converted to this project's value types (decimal numbers and booleans as ints, hex and
address fields as tshark's text, repeated fields as lists, checksum status by name). Expected values come
from tshark only, never from the decoders under test.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from analyzer.capture.frame import Frame
from analyzer.decode import DecodeFailure, Packet, decode

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")

# tshark preferences that make its per-frame output comparable with a per-frame decoder: checksums verified
# (tshark's default is not to), no IP reassembly (a later stage), raw TCP sequence numbers (relative ones
# and D-SACK/SACK edges relative to the ISN belong to the TCP analysis stage).
TSHARK_PREFS = [
    "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
    "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE", "-o", "tcp.relative_sequence_numbers:FALSE",
]

# tshark's checksum status values (-T fields prints the number) by the names the decoders use.
CHECKSUM_STATUS = {"0": "Bad", "1": "Good", "2": "Unverified", "3": "Not present", "4": "Illegal"}

# The L2-L4 fields these decoders produce and the tests compare with tshark.
_FIELD_NAMES = """
eth.src eth.dst eth.type eth.len eth.addr vlan.id vlan.etype vlan.priority vlan.dei vlan.len
ieee8021ad.id ieee8021ad.priority ieee8021ad.dei ieee8021ah.etype
sll.pkttype sll.hatype sll.halen sll.src.eth sll.src.ipv4 sll.src.other sll.unused sll.etype sll.ltype sll.gretype
sll.ifindex null.family null.type
arp.hw.type arp.proto.type arp.hw.size arp.proto.size arp.opcode arp.src.hw_mac arp.src.proto_ipv4 arp.dst.hw_mac
arp.dst.proto_ipv4 arp.isgratuitous arp.isannouncement arp.isprobe arp.src.hw arp.dst.hw arp.src.proto arp.dst.proto
ip.version ip.hdr_len ip.dsfield ip.dsfield.dscp ip.dsfield.ecn ip.len ip.id ip.flags ip.flags.rb ip.flags.df
ip.flags.mf ip.frag_offset ip.ttl ip.proto ip.checksum ip.checksum.status ip.src ip.dst ip.addr ip.opt.type ip.opt.len
ipv6.version ipv6.tclass ipv6.tclass.dscp ipv6.tclass.ecn ipv6.flow ipv6.plen ipv6.nxt ipv6.hlim ipv6.src ipv6.dst
ipv6.addr ipv6.hopopts.nxt ipv6.hopopts.len ipv6.hopopts.len_oct ipv6.dstopts.nxt ipv6.dstopts.len
ipv6.dstopts.len_oct ipv6.routing.nxt ipv6.routing.len ipv6.routing.len_oct ipv6.routing.type ipv6.routing.segleft
ipv6.routing.src.addr ipv6.routing.srh.last_entry ipv6.routing.srh.flags ipv6.routing.srh.tag ipv6.routing.srh.addr
ipv6.routing.mipv6.home_address ipv6.fraghdr.nxt ipv6.fraghdr.reserved_octet ipv6.fraghdr.offset
ipv6.fraghdr.reserved_bits ipv6.fraghdr.more ipv6.fraghdr.ident ipv6.opt.type ipv6.opt.length
ipv6.opt.router_alert ipv6.opt.jumbo
icmp.type icmp.code icmp.checksum icmp.checksum.status icmp.ident icmp.seq icmp.ident_le icmp.seq_le icmp.mtu
icmp.redir_gw icmp.pointer icmp.originate_timestamp icmp.receive_timestamp icmp.transmit_timestamp icmp.address_mask
icmpv6.type icmpv6.code icmpv6.checksum icmpv6.checksum.status icmpv6.echo.identifier icmpv6.echo.sequence_number
icmpv6.mtu icmpv6.pointer
udp.srcport udp.dstport udp.port udp.length udp.checksum udp.checksum.status
tcp.srcport tcp.dstport tcp.port tcp.seq_raw tcp.ack_raw tcp.hdr_len tcp.flags tcp.flags.res tcp.flags.ae
tcp.flags.cwr tcp.flags.ece tcp.flags.urg tcp.flags.ack tcp.flags.push tcp.flags.reset tcp.flags.syn tcp.flags.fin
tcp.flags.str tcp.window_size_value tcp.checksum tcp.checksum.status tcp.urgent_pointer tcp.len tcp.options
tcp.option_kind tcp.option_len tcp.options.mss_val tcp.options.wscale.shift tcp.options.wscale.multiplier
tcp.options.sack_perm tcp.options.sack_le tcp.options.sack_re tcp.options.sack.count tcp.options.sack.dsack_le
tcp.options.sack.dsack_re tcp.options.timestamp.tsval tcp.options.timestamp.tsecr tcp.options.unknown.payload
"""
FIELDS = _FIELD_NAMES.split()


# Layer names these decoders produce; tshark's frame.protocols is compared up to the first other name.
LAYERS = frozenset({"eth", "vlan", "ieee8021ad", "sll", "null", "raw", "arp", "ip", "ipv6", "ipv6.hopopts",
                    "ipv6.routing", "ipv6.fraghdr", "ipv6.dstopts", "icmp", "icmpv6", "udp", "tcp"})


def our_part_of(protocols: str) -> list[str]:
    """tshark's frame.protocols up to where these decoders stop ("ethertype" is not a layer here)."""
    names = []
    for name in protocols.split(":"):
        if name == "ethertype":
            continue
        if name not in LAYERS:
            break
        names.append(name)
    return names


class Fixture:
    """One captured or crafted frame and what tshark said about it."""

    def __init__(self, linktype: int, hex: str, tshark: dict[str, Any], protocols: str = "", origlen: int = 0):
        self.linktype = linktype
        self.data = bytes.fromhex(hex)
        self.origlen = origlen or len(self.data)
        self.tshark = tshark
        self.protocols = protocols  # tshark's frame.protocols

    def frame(self, data: bytes | None = None, origlen: int | None = None) -> Frame:
        data = self.data if data is None else data
        return Frame(1, 1_000_000_000_000_000_000, self.origlen if origlen is None else origlen, 0,
                     self.linktype, data)

    def decode(self, data: bytes | None = None, origlen: int | None = None) -> Packet:
        return decode(self.frame(data, origlen))


def compared_fields(pkt: Packet) -> dict[str, Any]:
    """The packet's fields that tshark is compared on."""
    fields = pkt.fields
    return {name: fields[name] for name in FIELDS if name in fields}


def assert_matches_tshark(fx: Fixture, deviations: dict[str, Any] | None = None) -> Packet:
    """Decode ``fx`` and check every compared field against tshark's, one by one.

    ``deviations`` names fields where this project deliberately differs from tshark (value None: the
    field is absent here); each use says why next to it.
    """
    pkt = fx.decode()
    expected = dict(fx.tshark)
    for name, value in (deviations or {}).items():
        if value is None:
            expected.pop(name, None)
        else:
            expected[name] = value
    assert our_part_of(":".join(pkt.protocols[1:])) == our_part_of(fx.protocols)
    ours = compared_fields(pkt)
    for name, value in expected.items():
        assert name in ours, f"{name} missing (tshark: {value!r}); failure={pkt.failure}"
        assert ours[name] == value, f"{name}: {ours[name]!r} != tshark {value!r}"
    extra = sorted(set(ours) - set(expected))
    assert not extra, f"fields tshark does not show: {[(n, ours[n]) for n in extra]}"
    return pkt


def assert_truncations_safe(fx: Fixture) -> None:
    """Every prefix of the frame decodes to layers plus at most a DecodeFailure, never another exception.

    The prefix is presented as a snaplen cut (the wire length stays the fixture's), the way a capture with
    a small snaplen would deliver it.
    """
    for n in range(len(fx.data)):
        pkt = fx.decode(fx.data[:n])
        assert pkt.failure is None or isinstance(pkt.failure, DecodeFailure)
        for layer in pkt.layers[1:]:
            assert 0 <= layer.offset <= n
        if pkt.payload is not None:
            start, end = pkt.payload
            assert start <= end <= n


def fixtures_of(namespace: dict[str, Any]) -> dict[str, Fixture]:
    return {name: value for name, value in namespace.items() if isinstance(value, Fixture)}


def test_fields_listed_once():
    assert len(FIELDS) == len(set(FIELDS))


def test_our_part_of_protocols():
    assert our_part_of("eth:ethertype:ip:icmp:ip:udp:dns") == ["eth", "ip", "icmp", "ip", "udp"]
    assert our_part_of("null:ppp:ip:udp") == ["null"]
