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
* Bounds: at most ``max_held`` bytes and :data:`MAX_HELD_SEGMENTS` pieces held per direction, and, across every
  connection of a run, the :class:`ReassemblyBudget` (``--max-reassembly``, 256 MB by default): a direction
  whose new bytes take the total past it gives up its holes at once, and the frame that did so gets a note
  saying that its reassembly was given up. Held pieces are found by bisection and removed in batches, so
  many small out-of-order segments cost O(log n) each, not a rescan of everything held.
* FIN is reported once all bytes before it were delivered or skipped; RST at once.

A sink is made per connection by a factory (``factory(connection) -> sink or None``) and receives
``data(direction, bytes, frame, ts_ns)``, ``gap(direction, nbytes)``, ``fin(direction)``,
``rst(direction)`` and finally ``close()``. ``direction`` is 0 for originator -> responder, 1 for the
reverse. ``frame`` is the caller's handle of the segment that made the bytes available (the pipeline
passes the :class:`~analyzer.decode.packet.Packet` being processed, so a sink can add fields to it, as
tshark shows reassembled PDUs on the frame that completes them); it is None when bytes are released at the
end of the connection or capture (``close``). Bytes released because a hole timed out or the bound was
reached come with the segment being processed when that was noticed. A caller that has no packet yet may
pass a :class:`Deferred` instead: it is turned into the packet (made then) when bytes are handed with it to a
sink that wants packets, or a note is put on it; a sink whose class says ``takes_deferred = True`` (the HTTP
sink, :class:`~analyzer.pipeline.FanOutSink`) is handed the Deferred itself and makes the packet only if it
puts something on it. A segment whose bytes complete nothing then never needs its packet.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

M32 = 0xFFFFFFFF
HALF = 0x80000000
DEFAULT_MAX_HELD = 1 << 20          # bytes held out of order per direction
DEFAULT_TIMEOUT_NS = 30_000_000_000  # 30 s of packet time
MAX_HELD_SEGMENTS = 4096             # pieces held out of order per direction
DEFAULT_MAX_REASSEMBLY = 256 << 20   # bytes held out of order across all connections of a run
GIVEN_UP_NOTE = ("TCP reassembly given up here: out-of-order data of all connections reached the "
                 "reassembly limit (--max-reassembly); the hole before it is reported as missing bytes")


# The limit a run gets when it names none: the command line's ``analyzer --max-reassembly SIZE`` sets it for
# the process (one run of one command).
RUN_DEFAULTS = {"max_reassembly": DEFAULT_MAX_REASSEMBLY}


class ReassemblyBudget:
    """The bytes held out of order by every reassembler of one run, against one ``limit``; ``given_up``
    counts the times a direction gave up its holes because of it, ``peak`` the most held at once."""

    __slots__ = ("given_up", "held", "limit", "peak")

    def __init__(self, limit: int | None = None):
        self.limit = RUN_DEFAULTS["max_reassembly"] if limit is None else limit
        self.held = 0
        self.peak = 0
        self.given_up = 0


class Sink(Protocol):
    """What an application parser implements to consume one connection's byte streams."""

    def data(self, direction: int, data: bytes, frame: Any, ts_ns: int) -> None: ...

    def gap(self, direction: int, nbytes: int) -> None: ...

    def fin(self, direction: int) -> None: ...

    def rst(self, direction: int) -> None: ...

    def close(self) -> None: ...


SinkFactory = Callable[[Any], "Sink | None"]


class Deferred:
    """The handle of frame ``number``, made only when needed: ``make()`` returns it (once; ``value`` keeps it,
    None until then). Sinks get ``get()``, unless their class says ``takes_deferred = True``."""

    __slots__ = ("make", "number", "value")

    def __init__(self, make: Callable[[], Any], number: int):
        self.make = make
        self.number = number
        self.value: Any = None

    def get(self) -> Any:
        value = self.value
        if value is None:
            value = self.value = self.make()
        return value

    def note(self, *args: Any) -> None:
        self.get().note(*args)


class StreamReassembler:
    """One direction of a connection, delivering bytes in sequence order to a sink."""

    __slots__ = (
        "_arrivals",
        "_offsets",
        "budget",
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
        "sink",
        "timeout_ns",
    )

    def __init__(self, direction: int, sink: Sink, *, max_held: int = DEFAULT_MAX_HELD,
                 timeout_ns: int = DEFAULT_TIMEOUT_NS, budget: ReassemblyBudget | None = None):
        self.direction = direction
        self.sink = sink
        self.next: int | None = None      # sequence number of the next byte to deliver (None: not started)
        self.offset = 0                   # stream offset of ``next``
        # (offset, data, missing tail, ts_ns): disjoint, sorted; ``_offsets`` holds each one's offset (for
        # bisection), ``_arrivals`` (ts_ns, offset) in arrival order (for the oldest held piece)
        self.held: list[tuple[int, bytes, int, int]] = []
        self._offsets: list[int] = []
        self._arrivals: deque[tuple[int, int]] | None = None
        self.held_bytes = 0
        self.max_held = max_held
        self.timeout_ns = timeout_ns
        self.budget = budget
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
        if self.held:
            budget = self.budget
            if budget is not None and budget.held > budget.limit:
                budget.given_up += 1
                note = getattr(frame, "note", None)
                if note is not None:
                    note("tcp", "warning", GIVEN_UP_NOTE)
                self._give_up(frame, ts_ns, None)
            elif (self.held_bytes > self.max_held or len(self.held) > MAX_HELD_SEGMENTS
                  or ts_ns - self.oldest_ts > self.timeout_ns):
                self._give_up(frame, ts_ns, ts_ns - self.timeout_ns)
        self._maybe_fin()

    def in_order(self, seq: int, data: bytes, wire_len: int, frame: Any, ts_ns: int) -> bool:
        """:meth:`segment` (no FIN) in its common case: the segment brings the next bytes in sequence, all
        captured, nothing is held and no FIN was seen: they are delivered. False, having done nothing, for
        any other segment."""
        if seq != self.next or self.held or self.fin_offset is not None or len(data) != wire_len or not wire_len:
            return False
        sink = self.sink
        if frame.__class__ is Deferred and not getattr(sink, "takes_deferred", False):
            frame = frame.get()
        sink.data(self.direction, data, frame, ts_ns)
        self.delivered += wire_len
        self.offset += wire_len
        self.next = (seq + wire_len) & M32
        return True

    @property
    def oldest_ts(self) -> int:
        """Packet time of the oldest piece still held (0 when none is)."""
        arrivals = self._arrivals
        if not self.held or not arrivals:
            return 0
        while arrivals and arrivals[0][1] <= self.offset:      # drained: what is held lies past ``offset``
            arrivals.popleft()
        return arrivals[0][0] if arrivals else 0

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
            if frame.__class__ is Deferred and not getattr(self.sink, "takes_deferred", False):
                frame = frame.get()
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
        held, offsets = self.held, self._offsets
        end = off + len(data) + missing
        i = bisect_right(offsets, off) - 1               # the last held piece starting at or before off
        if i < 0 or _end(held[i]) <= off:
            i += 1
        pieces = []                                      # (index to insert at, piece) for the holes
        pos = off
        while pos < end:
            if i < len(held) and held[i][0] < end:
                h_off = held[i][0]
                if pos < h_off:
                    pieces.append((i, _slice(off, data, missing, pos, h_off)))
                pos = max(pos, _end(held[i]))
                i += 1
            else:
                pieces.append((i, _slice(off, data, missing, pos, end)))
                pos = end
        if not pieces:
            return
        if self._arrivals is None:
            self._arrivals = deque()
        added = 0
        for index, (p_off, p_data, p_missing) in reversed(pieces):
            held.insert(index, (p_off, p_data, p_missing, ts_ns))
            offsets.insert(index, p_off)
            self._arrivals.append((ts_ns, p_off))
            added += len(p_data)
        self.held_bytes += added
        budget = self.budget
        if budget is not None:
            budget.held += added
            budget.peak = max(budget.peak, budget.held)

    def _drain(self, frame: Any, ts_ns: int) -> None:
        held = self.held
        k = 0
        released = 0
        while k < len(held) and held[k][0] <= self.offset:
            off, data, missing, h_ts = held[k]
            k += 1
            released += len(data)
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
        if k:
            del held[:k]
            del self._offsets[:k]
            self.held_bytes -= released
            if self.budget is not None:
                self.budget.held -= released
            if not held:
                self._arrivals = None

    def _give_up(self, frame: Any, ts_ns: int, cutoff: int | None) -> None:
        """Skip holes: until the held bytes fit the bound and none is older than ``cutoff`` (packet
        time); with ``cutoff`` None, until nothing is held (end of connection)."""
        while self.held and (cutoff is None or self.held_bytes > self.max_held or len(self.held) > MAX_HELD_SEGMENTS
                             or self.oldest_ts <= cutoff):
            first = self.held[0][0]
            if first > self.offset:
                self._skip(first - self.offset)
            self._drain(frame, ts_ns)

    def _maybe_fin(self) -> None:
        if self.fin_offset is not None and not self.fin_sent and self.offset >= self.fin_offset:
            self.fin_sent = True
            self.sink.fin(self.direction)


def _end(piece: tuple) -> int:
    """Where a held piece ends (its captured bytes, then the ones the capture cut)."""
    return piece[0] + len(piece[1]) + piece[2]


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
