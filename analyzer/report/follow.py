"""``analyzer follow``: one TCP connection's reassembled bytes, like ``tshark -z follow,tcp,ascii|hex,N``.

:class:`FollowSink` is a reassembly sink that keeps the connection's chunks in the order they were
delivered (one chunk per delivery, as tshark shows one per segment); :func:`ascii_text` and :func:`hex_text`
lay them out. Node 0 is the originator, node 1 the responder; node 1's chunks are indented with a tab.
Bytes are shown as tshark shows them in ASCII mode — printable ASCII and newlines as they are — except that
every other byte, carriage return included, becomes ".", so nothing from a packet can drive the terminal
(tshark passes CR through). A hole in the stream is shown as
``[N bytes missing in capture file]`` (tshark 4.0 shows nothing there, not even for payload cut by the
snapshot length). Node 0 is the originator (the client) even when the capture's first packet came from
the server; tshark makes the first packet's sender node 0.
"""

from __future__ import annotations

from typing import Any

from analyzer.report.safe import visible

_ASCII = bytes(b if 0x20 <= b <= 0x7E or b == 0x0A else 0x2E for b in range(256))
RULE = "=" * 67


class FollowSink:
    """Collects (direction, bytes) chunks and gaps of one connection."""

    def __init__(self) -> None:
        self.chunks: list[tuple[int, Any]] = []    # (direction, bytes) or (direction, int gap)
        self.closed = False

    def data(self, direction: int, data: bytes, frame: Any, ts_ns: int) -> None:
        self.chunks.append((direction, data))

    def gap(self, direction: int, nbytes: int) -> None:
        self.chunks.append((direction, nbytes))

    def fin(self, direction: int) -> None:
        pass

    def rst(self, direction: int) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def stream(self, direction: int) -> bytes:
        """All bytes one direction delivered (gaps left out)."""
        return b"".join(c for d, c in self.chunks if d == direction and isinstance(c, bytes))


def _header(mode: str, stream: int, node0: str, node1: str, proto: str = "tcp") -> list[str]:
    return ["", RULE, f"Follow: {proto},{mode}", f"Filter: tcp.stream eq {stream}", f"Node 0: {node0}",
            f"Node 1: {node1}"]


def _node(addr: str, port: int) -> str:
    addr = visible(addr)
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def ascii_text(sink: FollowSink, stream: int, summary: dict[str, Any], proto: str = "tcp") -> str:
    """``proto``: ``tls`` for decrypted TLS data (``Follow: tls,ascii``, one chunk per record)."""
    node0 = _node(summary["id.orig_h"], summary["id.orig_p"])
    node1 = _node(summary["id.resp_h"], summary["id.resp_p"])
    lines = _header("ascii", stream, node0, node1, proto)
    for direction, chunk in sink.chunks:
        indent = "\t" if direction else ""
        if isinstance(chunk, int):
            lines.append(f"{indent}[{chunk} bytes missing in capture file]")
            continue
        lines.append(f"{indent}{len(chunk)}")
        lines.append(chunk.translate(_ASCII).decode("ascii"))
    lines.append(RULE)
    return "\n".join(lines)


def hex_text(sink: FollowSink, stream: int, summary: dict[str, Any], proto: str = "tcp") -> str:
    node0 = _node(summary["id.orig_h"], summary["id.orig_p"])
    node1 = _node(summary["id.resp_h"], summary["id.resp_p"])
    lines = _header("hex", stream, node0, node1, proto)
    offsets = [0, 0]
    for direction, chunk in sink.chunks:
        indent = "\t" if direction else ""
        if isinstance(chunk, int):
            lines.append(f"{indent}[{chunk} bytes missing in capture file]")
            offsets[direction] += chunk
            continue
        for i in range(0, len(chunk), 16):
            part = chunk[i:i + 16]
            hexes = " ".join(f"{b:02x}" for b in part[:8]) + "  " + " ".join(f"{b:02x}" for b in part[8:])
            text = part.translate(_ASCII).replace(b"\n", b".").decode("ascii")
            text = text[:8] + " " + text[8:] if len(text) > 8 else text
            lines.append(f"{indent}{offsets[direction] + i:08X}  {hexes:<48}  {text}")
        offsets[direction] += len(chunk)
    lines.append(RULE)
    return "\n".join(lines)
