"""Link layers: Ethernet II / 802.3, 802.1Q and 802.1ad tags, Linux cooked capture v1/v2, BSD NULL, raw IP.

Each decoder reads one header and names the next layer by EtherType (table ``ethertype``), Linux protocol
type (``sll.ltype``) or BSD address family (``null.family``). Field names and value texts are tshark 4.0's.
A link layer never trims ``end``: the frame's trailing bytes (Ethernet padding, FCS) are cut off by the IP
layer's own length field, as tshark does.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from analyzer.decode.checksum import HEX4
from analyzer.decode.errors import DecodeError
from analyzer.decode.packet import Packet

_SLL = struct.Struct("!HHH")         # pkttype, hatype, halen (address follows, protocol at 14)
_SLL2 = struct.Struct("!HHIHBB")     # protocol, reserved, ifindex, hatype, pkttype, halen

ETHERTYPE_VLAN = 0x8100
ETHERTYPE_QINQ = 0x88A8
IEEE_802_3_MAX_LEN = 1500
_HEX4 = HEX4  # a type/length field up to this value is an 802.3 length


def _short(layer: str, data_len: int, off: int, n: int) -> None:
    raise DecodeError(layer, off, f"truncated {layer} header: need {n} bytes, have {max(data_len - off, 0)}")


# -- Ethernet ------------------------------------------------------------------------------------------------
# Text of recently seen (destination, source) MAC pairs; cleared when it grows past the bound.
_MAC_CACHE: dict[bytes, tuple[str, str]] = {}
_MAC_CACHE_MAX = 1 << 14


def _macs(pair: bytes) -> tuple[str, str]:
    texts = _MAC_CACHE.get(pair)
    if texts is None:
        if len(_MAC_CACHE) >= _MAC_CACHE_MAX:
            _MAC_CACHE.clear()
        texts = _MAC_CACHE[pair] = (pair[:6].hex(":"), pair[6:].hex(":"))
    return texts


def decode_eth(pkt: Packet, data: bytes, off: int, end: int):
    """Ethernet II (type >= 0x0600) or IEEE 802.3 (length <= 1500, LLC follows: not decoded here)."""
    if end - off < 14:
        _short("eth", end, off, 14)
    pair = data[off:off + 12]
    dst, src = _MAC_CACHE.get(pair) or _macs(pair)
    etype = (data[off + 12] << 8) | data[off + 13]
    if etype <= IEEE_802_3_MAX_LEN:
        pkt.add("eth", off, 14, {"eth.dst": dst, "eth.src": src, "eth.addr": [dst, src], "eth.len": etype})
        return None  # 802.2 LLC / raw 802.3 payload: no decoder here
    pkt.add("eth", off, 14, {"eth.dst": dst, "eth.src": src, "eth.addr": [dst, src], "eth.type": _HEX4[etype]})
    return ("ethertype", etype, off + 14, end)


def _tag_fields(prefix: str, tci: int) -> dict[str, Any]:
    return {
        prefix + ".priority": tci >> 13,
        prefix + ".dei": (tci >> 12) & 1,
        prefix + ".id": tci & 0x0FFF,
    }


def decode_vlan(pkt: Packet, data: bytes, off: int, end: int):
    """IEEE 802.1Q customer tag (also 0x9100, Wireshark's default extra Q-in-Q EtherType)."""
    if end - off < 4:
        _short("vlan", end, off, 4)
    tci = (data[off] << 8) | data[off + 1]
    etype = (data[off + 2] << 8) | data[off + 3]
    if etype <= IEEE_802_3_MAX_LEN:
        pkt.add("vlan", off, 4, {"vlan.priority": tci >> 13, "vlan.dei": (tci >> 12) & 1,
                                 "vlan.id": tci & 0x0FFF, "vlan.len": etype})
        return None
    pkt.add("vlan", off, 4, {"vlan.priority": tci >> 13, "vlan.dei": (tci >> 12) & 1,
                             "vlan.id": tci & 0x0FFF, "vlan.etype": HEX4[etype]})
    return ("ethertype", etype, off + 4, end)


def decode_ieee8021ad(pkt: Packet, data: bytes, off: int, end: int):
    """IEEE 802.1ad service tag (S-tag, EtherType 0x88a8); tshark names its type field ieee8021ah.etype."""
    if end - off < 4:
        _short("ieee8021ad", end, off, 4)
    tci = (data[off] << 8) | data[off + 1]
    etype = (data[off + 2] << 8) | data[off + 3]
    fields = _tag_fields("ieee8021ad", tci)
    fields["ieee8021ah.etype"] = HEX4[etype]
    pkt.add("ieee8021ad", off, 4, fields)
    return ("ethertype", etype, off + 4, end)


# -- Linux cooked capture ------------------------------------------------------------------------------------
ARPHRD_IPGRE = 778
ARPHRD_NETLINK = 824
SLL_PROTOCOL_MAX = 1536  # "yes, 1536 - that's how Linux does it": at or below, a Linux protocol type


def _sll_address(fields: dict[str, Any], data: bytes, addr_off: int, halen: int) -> None:
    # Wireshark guesses the address kind from its length alone: 4 -> IPv4, 6 -> Ethernet.
    if halen == 6:
        fields["sll.src.eth"] = data[addr_off:addr_off + 6].hex(":")
    elif halen == 4:
        fields["sll.src.ipv4"] = socket.inet_ntoa(data[addr_off:addr_off + 4])
    elif halen:
        fields["sll.src.other"] = data[addr_off:addr_off + min(halen, 8)].hex()
    if halen < 8:
        fields["sll.unused"] = data[addr_off + halen:addr_off + 8].hex()


def _sll_next(fields: dict[str, Any], protocol: int, hatype: int, off: int, end: int):
    if protocol <= SLL_PROTOCOL_MAX:
        fields["sll.ltype"] = HEX4[protocol]
        return ("sll.ltype", protocol, off, end)
    if hatype == ARPHRD_IPGRE:
        fields["sll.gretype"] = HEX4[protocol]  # a GRE protocol type: EtherType values
    else:
        fields["sll.etype"] = HEX4[protocol]
    return ("ethertype", protocol, off, end)


def decode_sll(pkt: Packet, data: bytes, off: int, end: int):
    """Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113): 16-byte pseudo-header."""
    if end - off < 16:
        _short("sll", end, off, 16)
    pkttype, hatype, halen = _SLL.unpack_from(data, off)
    if hatype == ARPHRD_NETLINK:
        return None  # tshark hands the whole frame to its netlink dissector; no sll layer
    fields: dict[str, Any] = {"sll.pkttype": pkttype, "sll.hatype": hatype, "sll.halen": halen}
    _sll_address(fields, data, off + 6, halen)
    protocol = (data[off + 14] << 8) | data[off + 15]
    nxt = _sll_next(fields, protocol, hatype, off + 16, end)
    pkt.add("sll", off, 16, fields)
    return nxt


def decode_sll2(pkt: Packet, data: bytes, off: int, end: int):
    """Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276): 20-byte pseudo-header; tshark's layer is ``sll``."""
    if end - off < 20:
        _short("sll", end, off, 20)
    protocol, _reserved, ifindex, hatype, pkttype, halen = _SLL2.unpack_from(data, off)
    if hatype == ARPHRD_NETLINK:
        return None
    fields: dict[str, Any] = {}
    nxt = _sll_next(fields, protocol, hatype, off + 20, end)
    fields["sll.ifindex"] = ifindex
    fields["sll.hatype"] = hatype
    fields["sll.pkttype"] = pkttype
    fields["sll.halen"] = halen
    _sll_address(fields, data, off + 12, halen)
    pkt.add("sll", off, 20, fields)
    return nxt


# -- BSD loopback --------------------------------------------------------------------------------------------
def null_family(header: bytes) -> int:
    """The address family of a DLT_NULL header, in whichever byte order it was written.

    The family is a small number in the capturing host's byte order; tshark reads the 4 bytes as a
    little-endian host would (x86) and byte-swaps values that cannot be a family (upper 16 bits set),
    also recognising IRIX's 2-byte family in either order (Wireshark's packet-null.c).
    """
    value = int.from_bytes(header, "little")
    if value & 0xFFFF0000:
        if not value & 0xFF000000 and (value & 0x00FF0000) < 0x00060000:
            return value >> 16
        return int.from_bytes(header, "big")
    if not value & 0x000000FF and (value & 0x0000FF00) < 0x00000600:
        return ((value & 0xFF) << 8) | ((value >> 8) & 0xFF)
    return value


def decode_null(pkt: Packet, data: bytes, off: int, end: int):
    """BSD loopback / DLT_NULL (LINKTYPE 0): a 4-byte address family, host or network byte order."""
    if end - off < 4:
        _short("null", end, off, 4)
    if data[off] == 0xFF and data[off + 1] == 0x03:
        return None  # PPP in HDLC framing (FreeBSD ISDN): not decoded here
    family = null_family(data[off:off + 4])
    if family > IEEE_802_3_MAX_LEN:
        # Old Linux DLT_NULL: an EtherType in place of the family.
        pkt.add("null", off, 4, {"null.type": HEX4[family & 0xFFFF]})
        return ("ethertype", family & 0xFFFF, off + 4, end)
    pkt.add("null", off, 4, {"null.family": family})
    return ("null.family", family, off + 4, end)


# -- Raw IP --------------------------------------------------------------------------------------------------
def decode_raw(pkt: Packet, data: bytes, off: int, end: int):
    """LINKTYPE_RAW (101, and 12/14 as written by some platforms): IPv4 or IPv6 by the version nibble."""
    pkt.add("raw", off, 0, {})
    if off >= end:
        raise DecodeError("raw", off, "empty raw IP frame")
    version = data[off] >> 4
    if version == 4:
        return ("ethertype", 0x0800, off, end)
    if version == 6:
        return ("ethertype", 0x86DD, off, end)
    return None
