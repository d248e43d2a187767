"""ARP and RARP (RFC 826, RFC 903): one layer named ``arp``, as in tshark, for EtherTypes 0x0806 and 0x8035."""

from __future__ import annotations

import socket
import struct
from typing import Any

from analyzer.decode.checksum import HEX4
from analyzer.decode.errors import DecodeError
from analyzer.decode.packet import Packet

_FIXED = struct.Struct("!HHBBH")  # hardware type, protocol type, hardware size, protocol size, opcode
_inet_ntoa = socket.inet_ntoa

ARPHRD_ETHER = 1
ARPHRD_IEEE802 = 6
ARPHRD_ATM2225 = 19
ARPHRD_AX25 = 3
ETHERTYPE_IP = 0x0800
AX25_P_IP = 0xCC
OP_REQUEST = 1
OP_REPLY = 2
OP_DRARP_ERROR = 10
_ZERO_MAC = bytes(6)


def decode_arp(pkt: Packet, data: bytes, off: int, end: int):
    if end - off < 8:
        raise DecodeError("arp", off, f"truncated arp header: need 8 bytes, have {max(end - off, 0)}")
    hrd, pro, hln, pln, op = _FIXED.unpack_from(data, off)
    if hrd == ARPHRD_ATM2225 or hrd == ARPHRD_AX25:
        return  # tshark hands these to its ATMARP / AX.25 ARP dissectors; not decoded here
    total = 8 + 2 * hln + 2 * pln
    if end - off < total:
        raise DecodeError("arp", off, f"truncated arp message: need {total} bytes, have {end - off}")
    sha = off + 8
    spa = sha + hln
    tha = spa + pln
    tpa = tha + hln
    hw_ether = (hrd == ARPHRD_ETHER or hrd == ARPHRD_IEEE802) and hln == 6
    pro_ipv4 = (pro == ETHERTYPE_IP or pro == AX25_P_IP) and pln == 4

    fields: dict[str, Any] = {
        "arp.hw.type": hrd,
        "arp.proto.type": HEX4[pro],
        "arp.hw.size": hln,
        "arp.proto.size": pln,
        "arp.opcode": op,
    }
    # Same sender and target protocol address: a gratuitous ARP (RFC 5227 announcements and the like).
    if (op == OP_REQUEST or op == OP_REPLY) and data[spa:spa + pln] == data[tpa:tpa + pln]:
        fields["arp.isgratuitous"] = 1
        if op == OP_REQUEST and data[tha:tha + 6] == _ZERO_MAC:
            fields["arp.isannouncement"] = 1
    elif (op == OP_REQUEST and data[tha:tha + 6] == _ZERO_MAC
          and data[spa:spa + 4] == b"\0\0\0\0"):
        fields["arp.isprobe"] = 1  # RFC 5227 2.1.1: sender IP all zero, probing for a conflict

    if hln:
        if hw_ether:
            fields["arp.src.hw_mac"] = data[sha:spa].hex(":")
        else:
            fields["arp.src.hw"] = data[sha:spa].hex()
    if pln:
        fields["arp.src.proto_ipv4" if pro_ipv4 else "arp.src.proto"] = (
            _inet_ntoa(data[spa:tha]) if pro_ipv4 else data[spa:tha].hex())
    if hln:
        if hw_ether:
            fields["arp.dst.hw_mac"] = data[tha:tpa].hex(":")
        else:
            fields["arp.dst.hw"] = data[tha:tpa].hex()
    if pln:
        if op == OP_DRARP_ERROR:
            fields["arp.dst.drarp_error_status"] = data[tpa]
        elif pro_ipv4:
            fields["arp.dst.proto_ipv4"] = _inet_ntoa(data[tpa:tpa + 4])
        else:
            fields["arp.dst.proto"] = data[tpa:tpa + pln].hex()
    pkt.add("arp", off, total, fields)
    return
