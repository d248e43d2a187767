"""TCP (RFC 9293): header, flags, options, checksum; hands the segment's payload to a port decoder.

Only what one segment says is decoded here. Relative sequence numbers, stream indexes and the
``tcp.analysis.*`` expert fields need the whole conversation and are added by the TCP analysis stage.

Options are read the way tshark 4.0 reads them. After End-of-List the rest is padding: each zero byte is
listed as another EOL, non-zero padding is noted. An option whose length field is below 2 or runs past the
header is noted and ends the walk; a known option with the wrong length is listed (kind and length) without
its values, and the walk goes on. An option tshark does not know keeps its kind, length and bytes
(``tcp.options.unknown.payload``). An option seen twice makes its fields lists, in order.

``tcp.len`` is the segment's length on the wire (from the IP length), even when the capture kept less;
``pkt.payload`` spans the payload bytes actually captured.
"""

from __future__ import annotations

import struct
from typing import Any

from analyzer.decode.checksum import (
    BAD,
    GOOD,
    HEX4,
    UNVERIFIED,
    bad_checksum_text,
    expected,
    transport_context,
)
from analyzer.decode.errors import DecodeError
from analyzer.decode.packet import Packet, add_field

_HEADER = struct.Struct("!HHIIBBHHH")
_unpack_header = _HEADER.unpack_from
_U32 = struct.Struct("!I")
_TS = struct.Struct("!II")
_unpack_u32 = _U32.unpack_from
_unpack_ts = _TS.unpack_from
_from_bytes = int.from_bytes
_HEX4 = HEX4
IPPROTO_TCP = 6

OPT_EOL, OPT_NOP, OPT_MSS, OPT_WSCALE, OPT_SACK_PERM, OPT_SACK, OPT_TIMESTAMP = 0, 1, 2, 3, 4, 5, 8
_FIXED_LEN = {OPT_MSS: 4, OPT_WSCALE: 3, OPT_SACK_PERM: 2, OPT_TIMESTAMP: 10}
_OPT_NAME = {OPT_MSS: "Maximum segment size", OPT_WSCALE: "Window scale", OPT_SACK_PERM: "SACK permitted",
             OPT_SACK: "SACK", OPT_TIMESTAMP: "Timestamps"}
# Option kinds tshark 4.0 dissects by name; any other kind is shown as unknown with its payload bytes.
_KNOWN_KINDS = frozenset({0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 19, 20, 21, 22, 23, 27, 28, 29, 30, 34,
                          76, 78, 253, 254})
_NOP_NOP_TS = b"\x01\x01\x08\x0a"  # the usual options of an established connection's segments
_FLAG_LETTERS = "RRRACEUAPRSF"  # bit 11 .. bit 0: 3 reserved, AE, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN


def _template(flags: int) -> dict[str, Any]:
    """The fixed-header fields in tshark's order with this flags value's bits filled (see _TEMPLATES)."""
    f = flags
    template = {
        "tcp.srcport": 0,
        "tcp.dstport": 0,
        "tcp.port": None,
        "tcp.seq_raw": 0,
        "tcp.ack_raw": 0,
        "tcp.hdr_len": 0,
        "tcp.flags": HEX4[f],
        "tcp.flags.res": f >> 9,
        "tcp.flags.ae": (f >> 8) & 1,
        "tcp.flags.cwr": (f >> 7) & 1,
        "tcp.flags.ece": (f >> 6) & 1,
        "tcp.flags.urg": (f >> 5) & 1,
        "tcp.flags.ack": (f >> 4) & 1,
        "tcp.flags.push": (f >> 3) & 1,
        "tcp.flags.reset": (f >> 2) & 1,
        "tcp.flags.syn": (f >> 1) & 1,
        "tcp.flags.fin": f & 1,
        "tcp.flags.str": "".join(_FLAG_LETTERS[i] if f & (1 << (11 - i)) else "\u00b7" for i in range(12)),
        "tcp.window_size_value": 0,
        "tcp.checksum": "",
        "tcp.urgent_pointer": 0,
    }
    _TEMPLATES[flags] = template
    return template


# Per 12-bit flags value, filled on first use: copying a ready dict and overwriting the per-segment values
# is faster than building a 21-entry dict literal, and the flag bits and tcp.flags.str come for free.
_TEMPLATES: list[dict[str, Any] | None] = [None] * 0x1000


def _seq_le(a: int, b: int) -> bool:
    """a <= b in 32-bit sequence space (RFC 9293 3.4)."""
    return ((b - a) & 0xFFFFFFFF) < 0x80000000


def decode_tcp(pkt: Packet, data: bytes, off: int, end: int):
    pseudo, reported_end, fragmented, in_error, _ipv6 = transport_context(pkt, data)
    if end - off < 20:
        if in_error and end - off >= 4:
            return _quoted_stub(pkt, data, off, end)
        raise DecodeError("tcp", off, f"truncated TCP header: need 20 bytes, have {max(end - off, 0)}")
    sport, dport, seq, ack, offres, flagbyte, window, cksum, urgent = _unpack_header(data, off)
    hdr_len = (offres >> 4) << 2
    if hdr_len < 20:
        return _bogus_header_length(pkt, off, sport, dport, seq, hdr_len,
                                    None if in_error or fragmented else reported_end - off - hdr_len)

    hdr_end = off + hdr_len
    flags = ((offres & 0x0F) << 8) | flagbyte
    fields = (_TEMPLATES[flags] or _template(flags)).copy()
    fields["tcp.srcport"] = sport
    fields["tcp.dstport"] = dport
    fields["tcp.port"] = [sport, dport]
    fields["tcp.seq_raw"] = seq
    fields["tcp.ack_raw"] = ack
    fields["tcp.hdr_len"] = hdr_len
    fields["tcp.window_size_value"] = window
    fields["tcp.checksum"] = _HEX4[cksum]
    fields["tcp.urgent_pointer"] = urgent
    if in_error:
        # No analysis runs on a quoted segment: like tshark, show its numbers as tcp.seq / tcp.ack too.
        fields["tcp.seq"] = seq
        fields["tcp.ack"] = ack
    elif not fragmented:
        if reported_end < hdr_end:
            pkt.add("tcp", off, hdr_len, fields)
            reason = f"bogus TCP header length ({hdr_len}, more than the {reported_end - off} bytes of the segment)"
            pkt.note("tcp", "error", reason)
            raise DecodeError("tcp", off, reason)
        fields["tcp.len"] = reported_end - hdr_end

    # -- checksum (RFC 9293 3.1: over the pseudo-header and the whole segment)
    if pseudo is None or fragmented or end < reported_end:
        fields["tcp.checksum.status"] = UNVERIFIED
    else:
        total = _from_bytes(data[off:end], "big")
        if (end - off) & 1:
            total <<= 8
        total += pseudo + IPPROTO_TCP + end - off
        if total % 0xFFFF == 0 and total:
            fields["tcp.checksum.status"] = GOOD
        else:
            fields["tcp.checksum.status"] = BAD
            if not in_error:
                pkt.note("tcp", "warning", bad_checksum_text(cksum, expected(total, cksum)))

    # -- options
    if hdr_len > 20:
        if hdr_len == 32 and hdr_end <= end and data[off + 20:off + 24] == _NOP_NOP_TS:
            tsval, tsecr = _unpack_ts(data, off + 24)
            fields["tcp.options"] = data[off + 20:hdr_end].hex()
            fields["tcp.option_kind"] = [1, 1, 8]
            fields["tcp.option_len"] = 10
            fields["tcp.options.timestamp.tsval"] = tsval
            fields["tcp.options.timestamp.tsecr"] = tsecr
        else:
            _options(pkt, fields, data, off + 20, min(hdr_end, end), hdr_end, ack)

    pkt.add("tcp", off, hdr_len, fields)
    if hdr_end > end:
        if not in_error:
            pkt.note("tcp", "warning", "TCP header cut short by the capture (snaplen)")
            raise DecodeError("tcp", off, f"truncated TCP header: need {hdr_len} bytes, have {end - off}")
        return None
    if in_error:
        return None  # a quoted segment's bytes are not this packet's payload
    pkt.payload = (hdr_end, end)
    if end < reported_end and pkt.frame.caplen < pkt.frame.origlen:
        pkt.note("tcp", "note", f"TCP payload cut by snaplen: {end - hdr_end} of "
                                f"{reported_end - hdr_end} bytes captured")
    if end <= hdr_end:
        return None
    if sport <= dport:
        return ("tcp.port", (sport, dport), hdr_end, end)
    return ("tcp.port", (dport, sport), hdr_end, end)


def _bogus_header_length(pkt: Packet, off: int, sport: int, dport: int, seq: int, hdr_len: int,
                         seg_len: int | None):
    """A data offset below 5 words: keep what tshark shows (ports, length, sequence) and fail."""
    fields: dict[str, Any] = {"tcp.srcport": sport, "tcp.dstport": dport, "tcp.port": [sport, dport]}
    if seg_len is not None:
        fields["tcp.len"] = seg_len
    fields["tcp.seq_raw"] = seq
    fields["tcp.hdr_len"] = hdr_len
    pkt.add("tcp", off, 20, fields)
    reason = f"bogus TCP header length ({hdr_len}, must be at least 20)"
    pkt.note("tcp", "error", reason)
    raise DecodeError("tcp", off, reason)


def _quoted_stub(pkt: Packet, data: bytes, off: int, end: int):
    """The first bytes of a segment quoted in an ICMP error (RFC 792 quotes 8): ports and sequence."""
    sport = (data[off] << 8) | data[off + 1]
    dport = (data[off + 2] << 8) | data[off + 3]
    fields: dict[str, Any] = {"tcp.srcport": sport, "tcp.dstport": dport, "tcp.port": [sport, dport]}
    if end - off >= 8:
        fields["tcp.seq_raw"] = fields["tcp.seq"] = _unpack_u32(data, off + 4)[0]
    pkt.add("tcp", off, end - off, fields)


def _options(pkt: Packet, fields: dict[str, Any], data: bytes, off: int, end: int, hdr_end: int,
             ack: int) -> None:
    """Walk the options in ``data[off:end]`` (``end`` < ``hdr_end`` when the capture cut the header)."""
    fields["tcp.options"] = data[off:end].hex()
    kinds: list[int] = []
    lens: list[int] = []
    sack_le: list[int] = []
    sack_re: list[int] = []
    sack_counts: list[int] = []
    unknown: list[str] = []
    p = off
    while p < end:
        kind = data[p]
        if kind == OPT_NOP:
            kinds.append(kind)
            p += 1
            continue
        if kind == OPT_EOL:
            # The rest is padding: tshark lists each zero byte as another EOL, or flags non-zero padding.
            rest = data[p + 1:end]
            if rest.count(0) == len(rest):
                kinds.extend([OPT_EOL] * (end - p))
            else:
                kinds.append(OPT_EOL)
                pkt.note("tcp", "error", "non-zero header padding after End of Option List")
            break
        if p + 1 >= end:
            if p + 1 >= hdr_end:
                pkt.note("tcp", "warning", f"TCP option kind {kind}: length byte past end of options")
            break
        length = data[p + 1]
        name = _OPT_NAME.get(kind, f"option kind {kind}")
        if length < 2:
            pkt.note("tcp", "warning", f"{name} (with too-short option length = {length} "
                                       f"byte{'' if length == 1 else 's'})")
            break
        if p + length > hdr_end:
            pkt.note("tcp", "warning", f"{name} (option length = {length} bytes says option goes past "
                                       f"end of options)")
            break
        kinds.append(kind)
        lens.append(length)
        if p + length > end:
            break  # the rest of this option was not captured
        want = _FIXED_LEN.get(kind)
        if want is not None and length != want:
            pkt.note("tcp", "note", f"{name}: option length should be {want}")
        elif kind == OPT_TIMESTAMP:
            tsval, tsecr = _unpack_ts(data, p + 2)
            add_field(fields, "tcp.options.timestamp.tsval", tsval)
            add_field(fields, "tcp.options.timestamp.tsecr", tsecr)
        elif kind == OPT_MSS:
            add_field(fields, "tcp.options.mss_val", (data[p + 2] << 8) | data[p + 3])
        elif kind == OPT_WSCALE:
            shift = data[p + 2]
            add_field(fields, "tcp.options.wscale.shift", shift)
            if shift > 14:
                # RFC 7323 2.3: a shift above 14 is logged and 14 is used instead.
                pkt.note("tcp", "note", f"window scale shift {shift} exceeds 14")
                shift = 14
            add_field(fields, "tcp.options.wscale.multiplier", 1 << shift)
        elif kind == OPT_SACK_PERM:
            add_field(fields, "tcp.options.sack_perm", data[p:p + 2].hex())
        elif kind == OPT_SACK:
            _sack(pkt, fields, data, p, length, ack, sack_le, sack_re, sack_counts)
        elif kind not in _KNOWN_KINDS and length > 2:
            unknown.append(data[p + 2:p + length].hex())
        p += length
    if hdr_end > end:
        pkt.note("tcp", "warning", "TCP options cut short by the capture (snaplen)")
    if kinds:
        fields["tcp.option_kind"] = kinds if len(kinds) > 1 else kinds[0]
    if lens:
        fields["tcp.option_len"] = lens if len(lens) > 1 else lens[0]
    if sack_counts:
        fields["tcp.options.sack.count"] = sack_counts if len(sack_counts) > 1 else sack_counts[0]
    if sack_le:
        fields["tcp.options.sack_le"] = sack_le if len(sack_le) > 1 else sack_le[0]
    if sack_re:
        fields["tcp.options.sack_re"] = sack_re if len(sack_re) > 1 else sack_re[0]
    if unknown:
        fields["tcp.options.unknown.payload"] = unknown if len(unknown) > 1 else unknown[0]


def _sack(pkt: Packet, fields: dict[str, Any], data: bytes, p: int, length: int, ack: int,
          sack_le: list[int], sack_re: list[int], sack_counts: list[int]) -> None:
    """SACK blocks (RFC 2018), raw sequence numbers; a first block reporting a duplicate is D-SACK (RFC 2883)."""
    q = p + 2
    stop = p + length
    blocks: list[tuple[int, int]] = []
    while q < stop:
        if stop - q < 8:
            if stop - q >= 4:
                sack_le.append(_unpack_u32(data, q)[0])
            pkt.note("tcp", "error", "SACK: suboption would go past end of option")
            break
        le, re = _unpack_ts(data, q)
        sack_le.append(le)
        sack_re.append(re)
        blocks.append((le, re))
        q += 8
    sack_counts.append(len(blocks))
    # RFC 2883 4: the first block is a D-SACK if it lies below the cumulative ACK or inside the second.
    if blocks:
        first_le, first_re = blocks[0]
        if _seq_le(first_re, ack) or (
                len(blocks) > 1 and _seq_le(blocks[1][0], first_re) and blocks[1][0] != first_re
                and _seq_le(first_re, blocks[1][1])):
            add_field(fields, "tcp.options.sack.dsack_le", first_le)
            add_field(fields, "tcp.options.sack.dsack_re", first_re)
            pkt.note("tcp", "note", "D-SACK: the first SACK block reports duplicate data")
