"""Per-direction TCP stream reassembly with a sink interface (sans-IO; knows nothing of HTTP or DNS).

Theory of operation
-------------------
One :class:`StreamReassembler` per direction holds ``next``: the 32-bit sequence number of the next byte it
will deliver, and ``offset``: how many bytes of the stream (delivered plus skipped) lie before ``next`` — an
unbounded integer, so comparisons are safe across 32-bit wraparound: an incoming sequence number is turned
into a stream offset by its signed distance from ``next``.

* In order (offset == ``offset``): delivered at once, then any held segments that now follow.
* Overlap / retransmission rule: **the first copy of a byte wins**. Bytes already delivered are cut off
  the front of a segment; bytes already held (received earlier, out of order) are cut out of a newcomer.
  Later copies never replace earlier ones, whatever their content.
* Out of order (beyond ``offset``): held until the hole fills. The hole is given up — reported to the sink
  as ``gap(direction, nbytes)`` so it can resynchronise — when the other side ACKs past it (the receiver
  has the bytes, the capture missed them), when the held bytes exceed the per-direction bound, when the
  oldest held segment is older than ``timeout_ns`` of packet time, or when the connection ends.
* A segment whose payload was cut by the snapshot length delivers what was captured and reports the rest
  as a gap.
* FIN is reported once all bytes before it were delivered or skipped; RST at once.

A sink is made per connection by a factory (``factory(connection) -> sink or None``) and receives
``data(direction, bytes, frame, ts_ns)``, ``gap(direction, nbytes)``, ``fin(direction)``,
``rst(direction)`` and finally ``close()``. ``direction`` is 0 for originator -> responder, 1 for the
reverse. ``frame`` is the caller's handle of the segment that made the bytes available (the pipeline
passes the :class:`~analyzer.decode.packet.Packet` being processed, so a sink can add fields to it, as
tshark shows reassembled PDUs on the frame that completes them); it is None when bytes are released at the
end of the connection or capture (``close``). Bytes released because a hole timed out or the bound was
reached come with the segment being processed when that was noticed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

M32 = 0xFFFFFFFF
HALF = 0x80000000
DEFAULT_MAX_HELD = 1 << 20          # bytes held out of order per direction
DEFAULT_TIMEOUT_NS = 30_000_000_000  # 30 s of packet time


class Sink(Protocol):
    """What an application parser implements to consume one connection's byte streams."""

    def data(self, direction: int, data: bytes, frame: Any, ts_ns: int) -> None: ...

    def gap(self, direction: int, nbytes: int) -> None: ...

    def fin(self, direction: int) -> None: ...

    def rst(self, direction: int) -> None: ...

    def close(self) -> None: ...


SinkFactory = Callable[[Any], "Sink | None"]


class StreamReassembler:
    """One direction of a connection, delivering bytes in sequence order to a sink."""

    __slots__ = (
        "delivered",
        "direction",
        "fin_offset",
        "fin_sent",
        "gap_bytes",
        "gaps",
        "held",
        "held_bytes",
        "max_held",
        "next",
        "offset",
        "oldest_ts",
        "sink",
        "timeout_ns",
    )

    def __init__(self, direction: int, sink: Sink, *, max_held: int = DEFAULT_MAX_HELD,
                 timeout_ns: int = DEFAULT_TIMEOUT_NS):
        self.direction = direction
        self.sink = sink
        self.next: int | None = None      # sequence number of the next byte to deliver (None: not started)
        self.offset = 0                   # stream offset of ``next``
        self.held: list[tuple[int, bytes, int, int]] = []   # (offset, data, missing tail, ts_ns) sorted
        self.held_bytes = 0
        self.max_held = max_held
        self.timeout_ns = timeout_ns
        self.oldest_ts = 0
        self.fin_offset: int | None = None
        self.fin_sent = False
        self.gaps = 0
        self.gap_bytes = 0
        self.delivered = 0

    # -- input -----------------------------------------------------------------------------------------
    def syn(self, seq: int) -> None:
        """The side's SYN: its data starts at ``seq + 1``."""
        if self.next is None:
            self.next = (seq + 1) & M32

    def segment(self, seq: int, data: bytes, wire_len: int, fin: bool, frame: Any, ts_ns: int) -> None:
        """A segment with ``wire_len`` payload bytes on the wire, of which ``data`` were captured."""
        if self.next is None:
            self.next = seq
        d = (seq - self.next) & M32
        off = self.offset + (d - (1 << 32) if d >= HALF else d)
        if fin and self.fin_offset is None:
            self.fin_offset = off + wire_len
        if wire_len:
            missing = wire_len - len(data)
            end = off + wire_len
            if end > self.offset:
                if off < self.offset:                      # starts with bytes already delivered
                    cut = self.offset - off
                    if cut >= len(data):
                        data, missing = b"", end - self.offset
                    else:
                        data = data[cut:]
                    off = self.offset
                if off == self.offset:
                    self._deliver(data, missing, frame, ts_ns)
                    self._drain(frame, ts_ns)
                else:
                    self._hold(off, data, missing, ts_ns)
        if self.held and (self.held_bytes > self.max_held or ts_ns - self.oldest_ts > self.timeout_ns):
            self._give_up(frame, ts_ns, ts_ns - self.timeout_ns)
        self._maybe_fin()

    def acked(self, ack: int, frame: Any, ts_ns: int) -> None:
        """The receiver acknowledged up to ``ack``: bytes before it that we never saw are a gap."""
        if self.next is None:
            return
        d = (ack - self.next) & M32
        if d == 0 or d >= HALF:
            return
        upto = self.offset + d
        if self.fin_offset is not None and upto > self.fin_offset:
            upto = self.fin_offset
        while self.offset < upto:
            if self.held and self.held[0][0] <= self.offset:
                self._drain(frame, ts_ns)
                continue
            stop = min(upto, self.held[0][0]) if self.held else upto
            self._skip(stop - self.offset)
            self._drain(frame, ts_ns)
        self._maybe_fin()

    def rst(self) -> None:
        self.sink.rst(self.direction)

    def close(self) -> None:
        """End of the connection or capture: give up every hole, deliver what is held, report FIN."""
        if self.held:
            self._give_up(None, 0, None)
        self._maybe_fin()

    # -- internals -------------------------------------------------------------------------------------
    def _deliver(self, data: bytes, missing: int, frame: Any, ts_ns: int) -> None:
        if data:
            self.sink.data(self.direction, data, frame, ts_ns)
            self.delivered += len(data)
        self.offset += len(data)
        self.next = (self.next + len(data)) & M32
        if missing > 0:
            self._skip(missing)

    def _skip(self, n: int) -> None:
        self.sink.gap(self.direction, n)
        self.gaps += 1
        self.gap_bytes += n
        self.offset += n
        self.next = (self.next + n) & M32

    def _hold(self, off: int, data: bytes, missing: int, ts_ns: int) -> None:
        """Keep an out-of-order segment, minus any bytes already held (first copy wins)."""
        pieces = [(off, data, missing)]
        for h_off, h_data, h_missing, _ts in self.held:
            h_end = h_off + len(h_data) + h_missing
            cut = []
            for p_off, p_data, p_missing in pieces:
                p_end = p_off + len(p_data) + p_missing
                if p_end <= h_off or p_off >= h_end:
                    cut.append((p_off, p_data, p_missing))
                    continue
                if p_off < h_off:
                    cut.append(_slice(p_off, p_data, p_missing, p_off, h_off))
                if p_end > h_end:
                    cut.append(_slice(p_off, p_data, p_missing, h_end, p_end))
            pieces = cut
        if not pieces:
            return
        if not self.held:
            self.oldest_ts = ts_ns
        for p_off, p_data, p_missing in pieces:
            self.held.append((p_off, p_data, p_missing, ts_ns))
            self.held_bytes += len(p_data)
        self.held.sort(key=_first)

    def _drain(self, frame: Any, ts_ns: int) -> None:
        held = self.held
        while held and held[0][0] <= self.offset:
            off, data, missing, h_ts = held.pop(0)
            self.held_bytes -= len(data)
            end = off + len(data) + missing
            if end <= self.offset:
                continue
            cut = self.offset - off
            if cut > len(data):
                missing -= cut - len(data)
                data = b""
            else:
                data = data[cut:]
            self._deliver(data, missing, frame, ts_ns if frame is not None else h_ts)
        self.oldest_ts = min((h[3] for h in held), default=0)

    def _give_up(self, frame: Any, ts_ns: int, cutoff: int | None) -> None:
        """Skip holes: until the held bytes fit the bound and none is older than ``cutoff`` (packet
        time); with ``cutoff`` None, until nothing is held (end of connection)."""
        while self.held and (cutoff is None or self.held_bytes > self.max_held or self.oldest_ts <= cutoff):
            first = self.held[0][0]
            if first > self.offset:
                self._skip(first - self.offset)
            self._drain(frame, ts_ns)

    def _maybe_fin(self) -> None:
        if self.fin_offset is not None and not self.fin_sent and self.offset >= self.fin_offset:
            self.fin_sent = True
            self.sink.fin(self.direction)


def _first(item: tuple) -> int:
    return item[0]


def _slice(off: int, data: bytes, missing: int, lo: int, hi: int) -> tuple[int, bytes, int]:
    """The part [lo, hi) of a held piece (captured bytes then ``missing`` uncaptured ones)."""
    a = lo - off
    b = hi - off
    cap = len(data)
    part = data[min(a, cap):min(b, cap)]
    return lo, part, (hi - lo) - len(part)


class CollectingSink:
    """A sink that records everything it is given (for ``follow`` and for tests)."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def data(self, direction: int, data: bytes, frame: Any, ts_ns: int) -> None:
        number = getattr(getattr(frame, "frame", None), "number", frame)
        if self.events and self.events[-1][0] == "data" and self.events[-1][1] == direction \
                and self.events[-1][3] == number:
            self.events[-1] = ("data", direction, self.events[-1][2] + data, number, self.events[-1][4])
        else:
            self.events.append(("data", direction, data, number, ts_ns))

    def gap(self, direction: int, nbytes: int) -> None:
        self.events.append(("gap", direction, nbytes))

    def fin(self, direction: int) -> None:
        self.events.append(("fin", direction))

    def rst(self, direction: int) -> None:
        self.events.append(("rst", direction))

    def close(self) -> None:
        self.events.append(("close",))

    def stream(self, direction: int) -> bytes:
        return b"".join(e[2] for e in self.events if e[0] == "data" and e[1] == direction)
