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
citations, and the data messages themselves (``messages``, :class:`WsMessage`: the HAR's
``_webSocketMessages``), the first :data:`MAX_MESSAGES` with at most :data:`MESSAGE_BYTES` of payload in all; a
Close frame's payload (at most 125 bytes) is unmasked and read; other payloads are skipped: memory per
connection is bounded however long the session runs. Bytes that break the framing (a reserved opcode, a
fragmented or oversized control frame) or a hole in the capture end the reading of that direction with
``error`` set.

Following every frame (``read``): a ``listener`` set on the session is called with each frame as it
ends (:class:`WsFrame`, with ``payload``: its first ``keep_payload`` bytes unmasked, and for the frame that ends a
data message ``message``: the message's first ``keep_payload`` bytes). With a listener the framing goes on as
tshark's does where the bytes still tell where the next frame starts: after a Close, after a reserved opcode or
a control frame RFC 6455 forbids (the frame's ``problem`` names it), and after a hole in the capture from the
next chunk on (tshark takes a segment after a hole as starting a frame). Only a length of 2^63 or more (no frame
boundary left to find) ends it. What the counters, ``frames`` and ``closes`` say does not change: they stop at
the first error as above. Memory stays bounded: one frame's and one message's kept bytes per direction
(:data:`KEEP_PAYLOAD` each).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from analyzer.decode.packet import DecodeFailure

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10

#: tshark's names for the opcodes (websocket.opcode's value strings)
OPCODE_NAMES = {CONTINUATION: "Continuation", TEXT: "Text", BINARY: "Binary", CLOSE: "Connection Close",
                PING: "Ping", PONG: "Pong"}

#: bytes of one frame's payload, and of one data message, kept for what ``read`` and the HAR show of it
KEEP_PAYLOAD = 256 * 1024     # (tshark shows all of a longer text: read shows this much of it)

# the data messages a session keeps (the HAR's _webSocketMessages): the first MAX_MESSAGES, with at most
# MESSAGE_BYTES of their payloads in all (a message past that is kept with its first bytes, or none)
MAX_MESSAGES = 256
MESSAGE_BYTES = 256 * 1024

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
    rsv: int = 0                # the three reserved bits (RSV1 is permessage-deflate's "compressed")
    mask_key: bytes = b""
    size7: int = 0              # the 7-bit length field (126, 127: a 16- or 64-bit length follows)
    # what breaks RFC 6455 in this frame (an error name, see WsSide.error), for the listener
    problem: str | None = None


@dataclass(slots=True)
class WsClose:
    """A Close frame: who sent it, where, and the status code and reason it carried (None: no code)."""

    direction: int
    frame: int
    ts_ns: int
    code: int | None
    reason: str


@dataclass(slots=True)
class WsMessage:
    """A data message (Text or Binary, its fragments joined): who sent it, when its last frame was seen, its
    payload (unmasked; its first bytes only when ``length`` is larger: see :data:`MESSAGE_BYTES`)."""

    direction: int
    ts_ns: int
    opcode: int
    data: bytes
    length: int


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
    # the frame's payload and the data message's, kept up to keep_payload bytes each (for the listener, or a
    # message kept in ``messages``)
    _payload: bytearray | None = None
    _message: bytearray | None = None
    _message_opcode: int = 0
    _message_length: int = 0
    _message_compressed: bool = False   # permessage-deflate: RSV1 on the message's first frame
    _message_kept: bool = False         # its bytes were kept (else: no room left, or a lost start)
    _inflater: object = None            # the direction's zlib decompressor (its window spans messages)
    inflate_failed: bool = False        # a compressed message could not be inflated: later ones are not tried
    _resync: bool = False       # a hole: the next chunk starts a frame (with a listener)
    _stop: bool = False         # a length of 2^63 or more: no frame boundary can be found after it


class WebSocketSession:
    """Both directions of one WebSocket connection, from the first byte after the 101 (see the module
    docstring). ``frames`` holds the first :data:`KEEP_FRAMES` frames in the order they were completed."""

    __slots__ = ("closes", "deflate", "end_frame", "end_ts_ns", "frames", "keep_payload", "listener",
                 "message_budget", "messages", "no_takeover", "sides", "start_frame", "start_ts_ns")

    def __init__(self, start_frame: int, start_ts_ns: int, extensions: str | None = None):
        self.sides = (WsSide(), WsSide())
        self.frames: list[WsFrame] = []
        self.closes: list[WsClose] = []
        self.start_frame = start_frame          # the 101 response's first frame
        self.start_ts_ns = start_ts_ns
        self.end_frame: int | None = None       # the last frame that carried WebSocket bytes
        self.end_ts_ns: int | None = None
        # called with each frame as it ends, its payload and (a data message's last frame) the message's; see
        # the module docstring
        self.listener = None
        self.keep_payload = KEEP_PAYLOAD    # bytes of a frame's payload (and of a message's) kept
        # the first MAX_MESSAGES data messages, MESSAGE_BYTES of payload in all (message_budget: what is left)
        self.messages: list[WsMessage] = []
        self.message_budget = MESSAGE_BYTES
        # the 101's Sec-WebSocket-Extensions: permessage-deflate (RFC 7692) compresses the messages whose first
        # frame has RSV1; "<side>_no_context_takeover" starts that side's window afresh with each message
        ext = (extensions or "").lower()
        self.deflate = "permessage-deflate" in ext
        self.no_takeover = ("client_no_context_takeover" in ext, "server_no_context_takeover" in ext)

    def data(self, direction: int, data: bytes, ts_ns: int, frame: int) -> None:
        """In-order bytes of ``direction`` (0 = client, 1 = server) carried by ``frame``."""
        side = self.sides[direction]
        if not data or side._stop or (side.error is not None and self.listener is None):
            return
        if side._resync:        # after a hole: this chunk starts a frame, as tshark reads it
            side._resync = False
            side._cur, side._head = None, bytearray()
        if side.error is None:
            self.end_frame, self.end_ts_ns = frame, ts_ns
        pos, n = 0, len(data)
        while pos < n and not side._stop and (side.error is None or self.listener is not None):
            if side._cur is None:
                pos = self._header(side, direction, data, pos, ts_ns, frame)
                continue
            take = min(side._left, n - pos)
            if side._close is not None:
                side._close += data[pos:pos + take]
            kept = side._payload
            if kept is not None and len(kept) < self.keep_payload:
                kept += data[pos:pos + min(take, self.keep_payload - len(kept))]
            pos += take
            side._left -= take
            if side._left == 0:
                self._end(side, ts_ns, frame)

    def gap(self, direction: int, nbytes: int) -> None:
        """``nbytes`` of ``direction`` were lost: the framing can no longer be followed in it (a frame's length
        field may have been in the hole) unless the hole lies inside a payload being skipped."""
        side = self.sides[direction]
        side.lost += nbytes
        if side.error is None:
            if side._cur is not None and side._close is None and 0 < nbytes < side._left and self.listener is None:
                side._left -= nbytes
                return
            side.error, side.error_frame = "lost", None
        side._cur, side._head, side._resync = None, bytearray(), True
        side._message = side._payload = None

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
            if side.error is None:
                side.error, side.error_frame = error, side._hframe
                side.error_value = opcode if error != "control_too_long" else length
            if self.listener is None or error == "bad_length":
                side._stop = True
                if self.listener is not None:       # the header, told as broken; nothing after it can be read
                    bad = WsFrame(direction, fin, opcode, masked, length, side._hframe, side._hts, frame, ts_ns,
                                  b0 >> 4 & 7, bytes(head[off:off + 4]) if masked else b"", size7, error)
                    self.listener(bad, b"", None)
                side._head = bytearray()
                return len(data)
        side._mask = bytes(head[off:off + 4]) if masked else b""
        side._head = bytearray()
        side._cur = WsFrame(direction, fin, opcode, masked, length, side._hframe, side._hts, 0, 0, b0 >> 4 & 7,
                            side._mask, size7, error)
        side._left = length
        side._close = bytearray() if opcode == CLOSE else None
        listening = self.listener is not None
        if opcode in (TEXT, BINARY):
            side._message_opcode, side._message_length = opcode, 0
            side._message_compressed = self.deflate and bool(b0 & 0x40)
            keep = listening or (side.error is None and len(self.messages) < MAX_MESSAGES and self.message_budget > 0)
            side._message_kept = keep
            side._message = bytearray() if keep else None
        side._payload = bytearray() if listening or (opcode <= BINARY and side._message is not None) else None
        if length == 0:
            self._end(side, ts_ns, frame)
        return pos

    def _end(self, side: WsSide, ts_ns: int, frame: int) -> None:
        cur = side._cur
        assert cur is not None
        cur.last_frame, cur.last_ts_ns = frame, ts_ns
        side._cur = None
        op = cur.opcode
        message = None
        if op <= BINARY:
            side._message_length += cur.length
        if side._payload is not None:
            payload = bytes(side._payload)
            side._payload = None
            if cur.mask_key:
                payload = unmask(payload, cur.mask_key)
            if op <= BINARY and side._message is not None:       # a data frame of a message being kept
                kept = side._message
                room = self.keep_payload - len(kept)
                if room > 0:
                    kept += payload[:room]
                if cur.fin:
                    message = bytes(kept)
                    side._message = None
                    if side._message_compressed:
                        message = self._inflate(side, cur.direction, message)
        else:
            payload = b""
        if self.listener is not None:
            self.listener(cur, payload, message)
        if side.error is not None:      # read on for the listener only: the counts stopped at the error
            side._close = None
            return
        if op <= BINARY and cur.fin and side._message_opcode:
            if len(self.messages) < MAX_MESSAGES:
                # a message past the bytes kept, or not inflated, is kept with what it had (none: data b"")
                data = message[:self.message_budget] if message is not None and side._message_kept else b""
                self.message_budget -= len(data)
                size = len(message) if message is not None and side._message_compressed else side._message_length
                self.messages.append(WsMessage(cur.direction, cur.last_ts_ns, side._message_opcode, data, size))
            side._message_opcode = 0        # (a Continuation without a message before it is none)
        side.frames += 1
        side.masked += cur.masked
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
                body = unmask(body, mask)
            code = int.from_bytes(body[:2], "big") if len(body) >= 2 else None
            reason = body[2:].decode("utf-8", "replace") if len(body) > 2 else ""
            self.closes.append(WsClose(cur.direction, cur.first_frame, cur.first_ts_ns, code, reason))
            side.error = "closed"       # nothing may follow a Close in this direction
        side._close = None
        if len(self.frames) < KEEP_FRAMES:
            self.frames.append(cur)

    def _inflate(self, side: WsSide, direction: int, data: bytes) -> bytes | None:
        """A compressed message's payload inflated (RFC 7692 7.2.2: the 4 bytes 00 00 ff ff the sender removed put
        back), at most keep_payload bytes of it; None when it cannot be: its start was not kept, the inflated
        message is larger than what is kept, or the bytes are not DEFLATE; later messages of that direction are not
        tried then (the window they refer to is lost)."""
        if side.inflate_failed:
            return None
        if side._message_length > len(data):
            side.inflate_failed = True
            return None
        inflater = side._inflater
        if inflater is None:
            inflater = side._inflater = zlib.decompressobj(-15)
        try:
            out = inflater.decompress(data + b"\x00\x00\xff\xff", self.keep_payload)
        except zlib.error:
            out = None
        if out is None or inflater.unconsumed_tail:
            side.inflate_failed, side._inflater = True, None
            return None
        if self.no_takeover[direction]:
            side._inflater = None
        return out

    def message_opcode(self, direction: int) -> int:
        """The opcode (Text or Binary) of the data message being read in ``direction`` (with a listener)."""
        return self.sides[direction]._message_opcode

    # -- what the explanation reads ------------------------------------------------------------------
    def frame_numbers(self) -> tuple[int, ...]:
        """The capture frames that carried the kept WebSocket frames (first and last bytes), in order."""
        out: set[int] = set()
        for f in self.frames:
            out.add(f.first_frame)
            out.add(f.last_frame)
        return tuple(sorted(out))


def unmask(data: bytes, key: bytes) -> bytes:
    """``data`` XORed with the 4-byte masking ``key`` repeated (RFC 6455 section 5.3)."""
    if not data:
        return b""
    n = len(data)
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")


# -- what read shows of a frame (tshark's websocket layer) ------------------------------------------------------
#: a frame that breaks RFC 6455, as the expert note says it
PROBLEMS = {
    "reserved_opcode": "Reserved opcode: RFC 6455 defines 0-2 and 8-10",
    "control_fragmented": "A control frame without FIN: RFC 6455 forbids fragmented control frames",
    "control_too_long": "A control frame longer than 125 bytes: RFC 6455 forbids it",
    "bad_length": "Payload length of 2^63 or more (the most significant bit must be 0): the framing is lost",
}


def frame_info(frame: WsFrame) -> str:
    """tshark's Info column for one frame ("WebSocket Text [FIN] [MASKED]", "WebSocket Text[FRAGMENT]  ")."""
    name = OPCODE_NAMES.get(frame.opcode, "Unknown Opcode")
    return f"WebSocket {name}{' [FIN] ' if frame.fin else '[FRAGMENT]  '}{'[MASKED]' if frame.masked else ''}"


def frame_fields(frame: WsFrame, payload: bytes, message: bytes | None, message_opcode: int,
                 deflate: bool = False) -> dict:
    """The ``websocket.*`` fields tshark 4 gives one frame (its -T fields values): the header, and what the
    payload holds by opcode: a Text message's text (on its last frame, the fragments joined), a middle
    fragment's bytes (``websocket.payload.continue``), a Ping's or Pong's bytes, a Close's code and reason, a
    reserved opcode's bytes (``websocket.payload.unknown``). ``deflate``: permessage-deflate was negotiated
    (``websocket.pmc``, RSV1; ``message`` is then the inflated text)."""
    f: dict = {"websocket.fin": int(frame.fin), "websocket.rsv": f"0x{frame.rsv:02x}"}
    if deflate:
        f["websocket.pmc"] = frame.rsv >> 2
    f.update({"websocket.opcode": frame.opcode, "websocket.mask": int(frame.masked),
              "websocket.payload_length": frame.size7})
    if frame.size7 == 126:
        f["websocket.payload_length_ext_16"] = frame.length
    elif frame.size7 == 127:
        f["websocket.payload_length_ext_64"] = frame.length
    if frame.masked:
        f["websocket.masking_key"] = frame.mask_key
    if frame.length == 0 or frame.problem == "bad_length":
        return f
    if frame.masked:
        f["websocket.masked_payload"] = 1
    f["websocket.payload"] = 1
    op = frame.opcode
    if op == TEXT or op == CONTINUATION:
        if not frame.fin:
            if op == CONTINUATION:
                f["websocket.payload.continue"] = payload
        elif message is not None and (op == TEXT or message_opcode == TEXT):
            f["websocket.payload.text"] = message.decode("utf-8", "replace")
    elif op == PING:
        f["websocket.payload.ping"] = payload
    elif op == PONG:
        f["websocket.payload.pong"] = payload
    elif op == CLOSE:
        f["websocket.payload.close"] = 1
        if len(payload) >= 2:
            f["websocket.payload.close.status_code"] = int.from_bytes(payload[:2], "big")
            if len(payload) > 2:
                f["websocket.payload.close.reason"] = payload[2:].decode("utf-8", "replace")
    elif op not in OPCODE_NAMES:
        f["websocket.payload.unknown"] = payload
    return f


def layer_problem(pkt, layer, problem: str) -> None:
    """Mark a frame that breaks RFC 6455 on the packet its layer went on: a length of 2^63 or more as malformed
    (the packet's failure: "[Malformed Packet]" as tshark's _ws.malformed), the others as an expert note
    (a reserved opcode is tshark's Note "Dissector for Websocket Opcode (N) code not implemented")."""
    if problem == "bad_length":
        if pkt.failure is None:
            pkt.failure = DecodeFailure("websocket", layer.offset, PROBLEMS[problem])
        return
    if problem == "reserved_opcode":
        op = layer.fields.get("websocket.opcode")
        pkt.note("websocket", "note", f"Dissector for Websocket Opcode ({op}) code not implemented ({PROBLEMS[problem]})")
        return
    pkt.note("websocket", "warning", PROBLEMS.get(problem, problem))
