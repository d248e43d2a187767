"""IPv4 (RFC 791): header, options, header checksum; trims the frame to the datagram's total length.

Checks run in tshark's order, and each failure keeps the fields read so far: a header length below 20, a
total length below the header length ("bogus"), then the header itself cut short by the capture. A total
length of 0 is taken as TCP segmentation offload (the datagram is whatever the frame carries).

The datagram's payload span handed on is ``[off + header length, min(end, off + total length))``: Ethernet
padding is excluded, and when the capture cut the frame (snaplen) the payload is what is left; transport
decoders learn the length on the wire from the ``ip.len`` field (see ``checksum.transport_context``).
A fragment other than the first is not decoded further: its payload starts mid-datagram.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from analyzer.decode.checksum import BAD, GOOD, HEX2, HEX4, UNVERIFIED, bad_checksum_text, expected
from analyzer.decode.errors import DecodeError
from analyzer.decode.packet import Packet

_HEADER = struct.Struct("!BBHHHBBH")  # addresses are read as one 8-byte key, see _addresses()
_unpack_header = _HEADER.unpack_from
_inet_ntoa = socket.inet_ntoa
_from_bytes = int.from_bytes
_HEX2 = HEX2
_HEX4 = HEX4
# (ip.flags text, rb, df, mf) for the 3 flag bits
_FLAGS = tuple((HEX2[f], f >> 2, (f >> 1) & 1, f & 1) for f in range(8))

# Text of recently seen (source, destination) pairs: a capture has far fewer address pairs than
# packets, and a dict hit is cheaper than two inet_ntoa calls. Cleared when it grows past the bound.
_ADDR_CACHE: dict[bytes, tuple[str, str]] = {}
_ADDR_CACHE_MAX = 1 << 16


# One string per address, shared by every pair (and every flow-table entry) that holds it.
_ONE_CACHE: dict[bytes, str] = {}


def _address(raw: bytes) -> str:
    text = _ONE_CACHE.get(raw)
    if text is None:
        if len(_ONE_CACHE) >= _ADDR_CACHE_MAX:
            _ONE_CACHE.clear()
        text = _ONE_CACHE[raw] = _inet_ntoa(raw)
    return text


def _addresses(pair: bytes) -> tuple[str, str]:
    texts = _ADDR_CACHE.get(pair)
    if texts is None:
        if len(_ADDR_CACHE) >= _ADDR_CACHE_MAX:
            _ADDR_CACHE.clear()
        texts = _ADDR_CACHE[pair] = (_address(pair[:4]), _address(pair[4:]))
    return texts

IPOPT_EOL = 0
IPOPT_NOP = 1


def _partial(pkt: Packet, off: int, fields: dict[str, Any], reason: str) -> None:
    pkt.add("ip", off, 0, fields)
    pkt.note("ip", "error", reason)
    raise DecodeError("ip", off, reason)


def decode_ipv4(pkt: Packet, data: bytes, off: int, end: int):
    if end - off < 20:
        if end > off and data[off] >> 4 == 6:
            return ("ethertype", 0x86DD, off, end)
        raise DecodeError("ip", off, f"truncated IPv4 header: need 20 bytes, have {max(end - off, 0)}")
    vhl, tos, total_len, ident, frag, ttl, proto, cksum = _unpack_header(data, off)
    version = vhl >> 4
    if version != 4:
        if version == 6:  # tshark's "ip" dissector hands version 6 to IPv6 whatever the EtherType said
            return ("ethertype", 0x86DD, off, end)
        _partial(pkt, off, {"ip.version": version}, f"bogus IP version ({version}, must be 4)")
    hdr_len = (vhl & 0x0F) << 2
    if hdr_len < 20:
        _partial(pkt, off, {"ip.version": 4, "ip.hdr_len": hdr_len},
                 f"bogus IP header length ({hdr_len}, must be at least 20)")
    if total_len == 0:
        # Reported as 0: "TCP segmentation offload" hands the capture a datagram larger than any length.
        total_len = max(pkt.frame.origlen - off, 0)
        pkt.note("ip", "note", "IPv4 total length 0, presumed to be because of TCP segmentation offload")
    if total_len < hdr_len:
        _partial(pkt, off, {"ip.version": 4, "ip.hdr_len": hdr_len, "ip.dsfield": HEX2[tos],
                            "ip.dsfield.dscp": tos >> 2, "ip.dsfield.ecn": tos & 3, "ip.len": total_len},
                 f"bogus IPv4 total length ({total_len}, less than header length {hdr_len})")

    pair = data[off + 12:off + 20]
    texts = _ADDR_CACHE.get(pair) or _addresses(pair)
    frag_offset = frag & 0x1FFF
    flags_text, rb, df, mf = _FLAGS[frag >> 13]
    hdr_end = off + hdr_len
    if hdr_end <= end:
        total = _from_bytes(data[off:hdr_end], "big")
        status = GOOD if total % 0xFFFF == 0 and total else BAD
    else:
        status = UNVERIFIED
    fields: dict[str, Any] = {
        "ip.version": 4,
        "ip.hdr_len": hdr_len,
        "ip.dsfield": _HEX2[tos],
        "ip.dsfield.dscp": tos >> 2,
        "ip.dsfield.ecn": tos & 3,
        "ip.len": total_len,
        "ip.id": _HEX4[ident],
        "ip.flags": flags_text,
        "ip.flags.rb": rb,
        "ip.flags.df": df,
        "ip.flags.mf": mf,
        "ip.frag_offset": frag_offset,
        "ip.ttl": ttl,
        "ip.proto": proto,
        "ip.checksum": _HEX4[cksum],
        "ip.checksum.status": status,
        "ip.src": texts[0],
        "ip.addr": list(texts),
        "ip.dst": texts[1],
    }
    if status is BAD:
        pkt.note("ip", "warning", bad_checksum_text(cksum, expected(total, cksum)))
    if hdr_len > 20:
        _options(pkt, fields, data, off + 20, min(hdr_end, end))
    pkt.add("ip", off, hdr_len, fields)
    if hdr_end > end:
        pkt.note("ip", "warning", "IPv4 header cut short by the capture (snaplen)")
        raise DecodeError("ip", off, f"truncated IPv4 options: need {hdr_len} bytes, have {end - off}")

    datagram_end = off + total_len
    if datagram_end < end:
        end = datagram_end  # Ethernet padding or trailer follows the datagram
    elif datagram_end > end and pkt.frame.caplen >= pkt.frame.origlen and not _quoted(pkt):
        pkt.note("ip", "warning",
                 f"IPv4 total length {total_len} exceeds the {end - off} bytes the frame carries")
    if frag_offset:
        return None  # a later fragment: its payload is the middle of a datagram (reassembly comes later)
    return ("ip.proto", proto, hdr_end, end)


def _quoted(pkt: Packet) -> bool:
    """Is the datagram being decoded quoted inside an ICMP error (so short on purpose)?"""
    for layer in reversed(pkt.layers):
        if layer.name == "icmp" or layer.name == "icmpv6":
            return True
    return False


def _options(pkt: Packet, fields: dict[str, Any], data: bytes, off: int, end: int) -> None:
    """IPv4 options as tshark lists them: ``ip.opt.type`` (with its copy/class/number parts) for each,
    ``ip.opt.len`` where one is present, and the contents of the common ones (record route, timestamps,
    router alert, stream id, MTU probe/reply)."""
    add = _adder(fields)
    while off < end:
        kind = data[off]
        add("ip.opt.type", kind)
        add("ip.opt.type.copy", kind >> 7)
        add("ip.opt.type.class", (kind >> 5) & 3)
        add("ip.opt.type.number", kind & 0x1F)
        if kind == IPOPT_EOL:
            break
        if kind == IPOPT_NOP:
            off += 1
            continue
        if off + 1 >= end:
            pkt.note("ip", "warning", f"IPv4 option {kind}: length byte past end of options")
            break
        length = data[off + 1]
        if length < 2:
            pkt.note("ip", "warning", f"IPv4 option {kind} with too-short option length = {length} bytes")
            break
        if off + length > end:
            pkt.note("ip", "warning",
                     f"IPv4 option {kind}: option length = {length} bytes says option goes past end of options")
            break
        add("ip.opt.len", length)
        body = data[off + 2:off + length]
        if kind in (IPOPT_RR, IPOPT_LSRR, IPOPT_SSRR) and body:
            pointer = body[0]
            add("ip.opt.ptr", pointer)
            if kind == IPOPT_RR:        # addresses before the pointer are recorded, the rest still empty
                for slot in range(1, len(body) - 3, 4):
                    add("ip.rec_rt" if slot + 3 < pointer else "ip.empty_rt", _address(body[slot:slot + 4]))
        elif kind == IPOPT_TS and len(body) >= 2:
            pointer, flag = body[0], body[1]
            add("ip.opt.ptr", pointer)
            add("ip.opt.overflow", flag >> 4)
            add("ip.opt.flag", f"0x{flag & 0x0F:02x}")
            step = 4 if flag & 0x0F == 0 else 8
            slot = 2
            while slot + step <= len(body):       # tshark lists every slot, filled or not
                if step == 8:
                    add("ip.opt.time_stamp_addr", _address(body[slot:slot + 4]))
                    add("ip.opt.time_stamp", int.from_bytes(body[slot + 4:slot + 8], "big"))
                else:
                    add("ip.opt.time_stamp", int.from_bytes(body[slot:slot + 4], "big"))
                slot += step
        elif kind == IPOPT_RA and len(body) == 2:
            add("ip.opt.ra", int.from_bytes(body, "big"))
        elif kind == IPOPT_SID and len(body) == 2:
            add("ip.opt.sid", int.from_bytes(body, "big"))
        elif kind in (IPOPT_MTU_PROBE, IPOPT_MTU_REPLY) and len(body) == 2:
            add("ip.opt.mtu", int.from_bytes(body, "big"))
        off += length


IPOPT_RR, IPOPT_TS, IPOPT_LSRR, IPOPT_SSRR, IPOPT_SID, IPOPT_RA = 7, 68, 131, 137, 136, 148
IPOPT_MTU_PROBE, IPOPT_MTU_REPLY = 11, 12


def _adder(fields: dict[str, Any]):
    def add(key: str, value: Any) -> None:
        old = fields.get(key)
        if old is None:
            fields[key] = value
        elif type(old) is list:
            old.append(value)
        else:
            fields[key] = [old, value]
    return add
