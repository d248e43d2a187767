"""WebSocket (RFC 6455) after an HTTP/1.1 upgrade, read passively from both directions (sans-IO).

Once a server answers a request carrying ``Upgrade: websocket`` with 101 Switching Protocols, the connection
carries WebSocket frames: a 2-byte header (FIN, three reserved bits, a 4-bit opcode; MASK and a 7-bit length,
126 or 127 announcing a 16- or 64-bit length after it), a 4-byte masking key on every client frame, then the
payload. Data messages are Text (1) or Binary (2), possibly fragmented into Continuation (0) frames up to one
with FIN; control frames (Close 8, Ping 9, Pong 10) are never fragmented, carry at most 125 bytes and may come
between the fragments of a message. A Close frame's payload starts with a 2-byte status code and a UTF-8 reason.

:class:`WebSocketSession` takes the bytes of each direction in order (``data``; ``gap`` for bytes the capture
lost) and keeps what an explanation needs: per direction the messages, frames and payload bytes, pings and
pongs, each side's Close (frame, time, code, reason), and the first :data:`KEEP_FRAMES` frames themselves for
citations. Payloads are skipped, not stored (only a Close frame's, at most 125 bytes, is unmasked and read):
memory per connection is bounded however long the session runs. Bytes that break the framing (a reserved
opcode, a fragmented or oversized control frame) or a hole in the capture end the reading of that direction
with ``error`` set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10

#: tshark's names for the opcodes (websocket.opcode's value strings)
OPCODE_NAMES = {CONTINUATION: "Continuation", TEXT: "Text", BINARY: "Binary", CLOSE: "Connection Close",
                PING: "Ping", PONG: "Pong"}

KEEP_FRAMES = 64            # frames kept per session for citations; later ones are only counted
_MAX_HEADER = 14            # 2 + 8 (64-bit length) + 4 (mask)


@dataclass(slots=True)
class WsFrame:
    """One WebSocket frame: its direction (0 = client, 1 = server), header fields, and the capture frames of
    its first and last bytes."""

    direction: int
    fin: bool
    opcode: int
    masked: bool
    length: int
    first_frame: int
    first_ts_ns: int
    last_frame: int = 0
    last_ts_ns: int = 0


@dataclass(slots=True)
class WsClose:
    """A Close frame: who sent it, where, and the status code and reason it carried (None: no code)."""

    direction: int
    frame: int
    ts_ns: int
    code: int | None
    reason: str


@dataclass(slots=True)
class WsSide:
    """What one direction carried."""

    messages: int = 0           # complete data messages (a frame with FIN ending Text/Binary + continuations)
    frames: int = 0
    data_frames: int = 0
    payload_bytes: int = 0      # of data frames (Text, Binary, Continuation)
    pings: int = 0
    pongs: int = 0
    masked: int = 0             # frames with the MASK bit
    lost: int = 0               # bytes the capture lost in this direction after the upgrade
    # why reading stopped: "closed" (a Close was sent: nothing may follow), "lost" (bytes missing from the
    # capture), or the framing broken: "reserved_opcode", "control_fragmented", "control_too_long" (error_value:
    # the opcode, or the control frame's length), "bad_length"
    error: str | None = None
    error_frame: int | None = None
    error_value: int = 0
    # the frame being read
    _head: bytearray = field(default_factory=bytearray)
    _cur: WsFrame | None = None
    _left: int = 0
    _close: bytearray | None = None
    _mask: bytes = b""
    _hframe: int = 0            # where the header being read began
    _hts: int = 0


class WebSocketSession:
    """Both directions of one WebSocket connection, from the first byte after the 101 (see the module
    docstring). ``frames`` holds the first :data:`KEEP_FRAMES` frames in the order they were completed."""

    __slots__ = ("closes", "end_frame", "end_ts_ns", "frames", "sides", "start_frame", "start_ts_ns")

    def __init__(self, start_frame: int, start_ts_ns: int):
        self.sides = (WsSide(), WsSide())
        self.frames: list[WsFrame] = []
        self.closes: list[WsClose] = []
        self.start_frame = start_frame          # the 101 response's first frame
        self.start_ts_ns = start_ts_ns
        self.end_frame: int | None = None       # the last frame that carried WebSocket bytes
        self.end_ts_ns: int | None = None

    def data(self, direction: int, data: bytes, ts_ns: int, frame: int) -> None:
        """In-order bytes of ``direction`` (0 = client, 1 = server) carried by ``frame``."""
        side = self.sides[direction]
        if side.error is not None or not data:
            return
        self.end_frame, self.end_ts_ns = frame, ts_ns
        pos, n = 0, len(data)
        while pos < n and side.error is None:
            if side._cur is None:
                pos = self._header(side, direction, data, pos, ts_ns, frame)
                continue
            take = min(side._left, n - pos)
            if side._close is not None:
                side._close += data[pos:pos + take]
            pos += take
            side._left -= take
            if side._left == 0:
                self._end(side, ts_ns, frame)

    def gap(self, direction: int, nbytes: int) -> None:
        """``nbytes`` of ``direction`` were lost: the framing can no longer be followed in it (a frame's length
        field may have been in the hole) unless the hole lies inside a payload being skipped."""
        side = self.sides[direction]
        side.lost += nbytes
        if side.error is not None:
            return
        if side._cur is not None and side._close is None and 0 < nbytes < side._left:
            side._left -= nbytes
            return
        side.error, side.error_frame = "lost", None
        side._cur = None

    # -- one frame -----------------------------------------------------------------------------------
    def _header(self, side: WsSide, direction: int, data: bytes, pos: int, ts_ns: int, frame: int) -> int:
        """Read (more of) a frame header from ``data[pos:]``; return the position after what was taken."""
        head = side._head
        if not head:
            side._hframe, side._hts = frame, ts_ns       # the frame's first byte
        if len(head) < 2:
            take = min(2 - len(head), len(data) - pos)
            head += data[pos:pos + take]
            pos += take
            if len(head) < 2:
                return pos
        b0, b1 = head[0], head[1]
        size7 = b1 & 0x7F
        need = 2 + (2 if size7 == 126 else 8 if size7 == 127 else 0) + (4 if b1 & 0x80 else 0)
        take = min(need - len(head), len(data) - pos)
        head += data[pos:pos + take]
        pos += take
        if len(head) < need:
            return pos
        opcode, fin, masked = b0 & 0x0F, bool(b0 & 0x80), bool(b1 & 0x80)
        off = 2
        if size7 == 126:
            length, off = int.from_bytes(head[2:4], "big"), 4
        elif size7 == 127:
            length, off = int.from_bytes(head[2:10], "big"), 10
        else:
            length = size7
        error = None
        if opcode not in OPCODE_NAMES:
            error = "reserved_opcode"
        elif opcode >= CLOSE and not fin:
            error = "control_fragmented"
        elif opcode >= CLOSE and length > 125:
            error = "control_too_long"
        elif length >> 63:
            error = "bad_length"
        if error is not None:
            side.error, side.error_frame, side.error_value = error, side._hframe, opcode if error != "control_too_long" else length
            side._head = bytearray()
            return len(data)
        side._mask = bytes(head[off:off + 4]) if masked else b""
        side._head = bytearray()
        side._cur = WsFrame(direction, fin, opcode, masked, length, side._hframe, side._hts)
        side._left = length
        side._close = bytearray() if opcode == CLOSE else None
        if length == 0:
            self._end(side, ts_ns, frame)
        return pos

    def _end(self, side: WsSide, ts_ns: int, frame: int) -> None:
        cur = side._cur
        assert cur is not None
        cur.last_frame, cur.last_ts_ns = frame, ts_ns
        side._cur = None
        side.frames += 1
        side.masked += cur.masked
        op = cur.opcode
        if op in (TEXT, BINARY, CONTINUATION):
            side.data_frames += 1
            side.payload_bytes += cur.length
            if cur.fin:
                side.messages += 1
        elif op == PING:
            side.pings += 1
        elif op == PONG:
            side.pongs += 1
        elif op == CLOSE:
            body = bytes(side._close or b"")
            if side._mask:
                mask = side._mask
                body = bytes(b ^ mask[i & 3] for i, b in enumerate(body))
            code = int.from_bytes(body[:2], "big") if len(body) >= 2 else None
            reason = body[2:].decode("utf-8", "replace") if len(body) > 2 else ""
            self.closes.append(WsClose(cur.direction, cur.first_frame, cur.first_ts_ns, code, reason))
            side.error = "closed"       # nothing may follow a Close in this direction
        side._close = None
        if len(self.frames) < KEEP_FRAMES:
            self.frames.append(cur)

    # -- what the explanation reads ------------------------------------------------------------------
    def frame_numbers(self) -> tuple[int, ...]:
        """The capture frames that carried the kept WebSocket frames (first and last bytes), in order."""
        out: set[int] = set()
        for f in self.frames:
            out.add(f.first_frame)
            out.add(f.last_frame)
        return tuple(sorted(out))
