"""Hex + ASCII dump of a frame's bytes, in tshark ``-x`` layout.

Each line: the offset (4 hex digits, more when the frame is longer than 64 KiB), two spaces, up to 16
bytes as ``xx `` each, padding, two more spaces, and the same bytes as ASCII with everything outside
0x20-0x7e shown as ``.`` (so the dump is safe to print by construction)::

    0000  00 c0 9f 32 41 8c 00 e0 18 b1 0c ad 08 00 45 00   ...2A.........E.
    0040  6d 00 00 10 00 01                                 m.....
"""

from __future__ import annotations

# Byte -> its ASCII column character.
_ASCII = "".join(chr(b) if 0x20 <= b <= 0x7E else "." for b in range(256))
_HEX = [f"{b:02x} " for b in range(256)]


def hexdump(data: bytes, width: int = 16) -> str:
    """The dump of ``data`` as lines joined by newlines (no trailing newline; "" for no bytes)."""
    digits = 4 if len(data) <= 0x10000 else len(f"{len(data) - 1:x}")
    lines = []
    for off in range(0, len(data), width):
        chunk = data[off:off + width]
        hexpart = "".join([_HEX[b] for b in chunk]).ljust(3 * width)
        lines.append(f"{off:0{digits}x}  {hexpart}  {chunk.decode('latin-1').translate(_TRANSLATE)}")
    return "\n".join(lines)


_TRANSLATE = {b: _ASCII[b] for b in range(256)}


def packet_hexdump(pkt) -> str:
    """A packet's bytes as tshark -x shows them: the frame; for a packet decoded from a reassembled IP
    datagram, ``Frame (N bytes):`` and then ``Reassembled IPv4 (M bytes):`` with the datagram's payload."""
    wire = getattr(pkt, "wire_frame", None)
    if wire is None:
        return hexdump(pkt.frame.data)
    parts = [f"Frame ({len(wire.data)} bytes):", hexdump(wire.data)]
    layers = pkt.layers
    for i, layer in enumerate(layers):
        if layer.name not in ("ip", "ipv6"):
            continue
        length = layer.fields.get(f"{layer.name}.reassembled.length")
        if not isinstance(length, int):
            continue
        # The datagram's payload starts where the first upper layer does (the rebuilt bytes carry no
        # fragment header), or right after the IP header when nothing above it was decoded.
        start = layer.offset + layer.length
        for upper in layers[i + 1:]:
            if not upper.name.startswith("ipv6."):
                start = upper.offset
                break
        payload = pkt.frame.data[start:start + length]
        version = "IPv4" if layer.name == "ip" else "IPv6"
        parts += [f"Reassembled {version} ({len(payload)} bytes):", hexdump(payload)]
        break
    return "\n".join(parts)
