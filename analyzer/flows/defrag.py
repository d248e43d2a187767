"""IPv4 and IPv6 fragment reassembly (sans-IO): fragments in, whole datagrams out.

Theory of operation
-------------------
Fragments of one datagram share a key: ``(4, src, dst, protocol, id)`` for IPv4 (RFC 791),
``(6, src, dst, id)`` for IPv6 (RFC 8200). :meth:`Defragmenter.add` files a fragment's payload at its byte
offset and returns a :class:`Datagram` when the last hole is filled (the fragment without "more fragments"
fixes the total length). The caller then decodes the upper layers on the frame that completed the datagram,
as Wireshark does.

Overlap rule: **the first copy of each byte wins.** A fragment that repeats bytes already held with the same
content (a duplicated frame) is harmless; one that brings different content for held bytes is an
overlap conflict: the held bytes stay, and the datagram is marked ``conflict`` (Wireshark's
``ip.fragment.overlap.conflict``), since overlapping fragments are a known evasion trick (RFC 5722 forbids
them for IPv6).

Bounds, all on packet time, never the wall clock:

* a datagram may not exceed 65,535 bytes of payload (a fragment reaching past it is dropped and noted);
* at most ``max_datagrams`` datagrams and ``max_bytes`` bytes are pending; past that the oldest pending
  datagram is given up;
* a datagram not completed within ``timeout_ns`` of its first fragment is given up (Linux waits 30 s).

Every datagram given up is reported in :attr:`Defragmenter.incomplete` (key, frames, bytes held, total
when known, reason).

Cost: a fragment costs O(log n + k) for the n pieces held and the k it overlaps (the held pieces are
found by bisection, never rescanned), so a datagram of many fragments that never completes stays linear.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

MAX_DATAGRAM = 65535


class Datagram:
    """A reassembled datagram: its payload, the frames of its fragments, the first fragment's header."""

    __slots__ = ("conflict", "frames", "header", "key", "overlap", "payload")

    def __init__(self, key: tuple, payload: bytes, frames: list[int], header: Any, conflict: bool,
                 overlap: bool):
        self.key = key
        self.payload = payload
        self.frames = frames
        self.header = header      # whatever the caller passed with the offset-0 fragment
        self.conflict = conflict
        self.overlap = overlap


class _Pending:
    __slots__ = ("conflict", "contiguous", "first_ts", "frames", "header", "held", "offsets", "overlap",
                 "pieces", "total")

    def __init__(self, ts: int):
        self.pieces: list[bytes] = []               # disjoint, in the order of their offsets
        self.offsets: list[int] = []                # the offset of each piece
        self.contiguous = 0                         # bytes [0, contiguous) are all held
        self.total: int | None = None
        self.frames: list[int] = []
        self.first_ts = ts
        self.header: Any = None
        self.held = 0
        self.conflict = False
        self.overlap = False


class Defragmenter:
    """Pending datagrams by fragment key."""

    def __init__(self, *, timeout_ns: int = 30_000_000_000, max_datagrams: int = 4096,
                 max_bytes: int = 32 << 20):
        self.timeout_ns = timeout_ns
        self.max_datagrams = max_datagrams
        self.max_bytes = max_bytes
        self.pending: dict[tuple, _Pending] = {}
        self.held_bytes = 0
        self.incomplete: list[dict[str, Any]] = []
        self.completed = 0

    def add(self, key: tuple, offset: int, more: bool, data: bytes, frame: int, ts: int,
            header: Any = None) -> Datagram | None:
        """File one fragment; return the datagram if this fragment completed it."""
        self.expire(ts)
        p = self.pending.get(key)
        if p is None:
            p = self.pending[key] = _Pending(ts)
        p.frames.append(frame)
        end = offset + len(data)
        if end > MAX_DATAGRAM:
            self._give_up(key, "fragment reaches past 65535 bytes")
            return None
        if offset == 0 and p.header is None:
            p.header = header
        if not more:
            if p.total is None or p.total == end:
                p.total = end
            else:
                p.conflict = True
        self._file(p, offset, data)
        while self.held_bytes > self.max_bytes or len(self.pending) > self.max_datagrams:
            oldest = next(iter(self.pending))
            self._give_up(oldest, "reassembly buffers full")
            if oldest == key:
                return None
        if p.total is None or p.header is None or p.contiguous < p.total:
            return None
        del self.pending[key]
        self.held_bytes -= p.held
        self.completed += 1
        payload = b"".join(p.pieces)[:p.total]
        return Datagram(key, payload, p.frames, p.header, p.conflict, p.overlap)

    def _file(self, p: _Pending, offset: int, data: bytes) -> None:
        """Add the bytes of [offset, offset+len) not already held (first copy wins)."""
        end = offset + len(data)
        offsets, pieces = p.offsets, p.pieces
        i = bisect_right(offsets, offset) - 1          # the last piece starting at or before offset
        if i < 0 or offsets[i] + len(pieces[i]) <= offset:
            i += 1                                     # it ends before offset: start with the next one
        pos = offset                                   # bytes before pos are settled
        while pos < end:
            if i < len(offsets) and offsets[i] < end:
                h_off, h_data = offsets[i], pieces[i]
                h_end = h_off + len(h_data)
                if pos < h_off:                        # a hole before this held piece: new bytes
                    self._insert(p, i, pos, data[pos - offset:h_off - offset])
                    i += 1
                    pos = h_off
                lo, hi = pos, min(end, h_end)
                if lo < hi:
                    p.overlap = True
                    if data[lo - offset:hi - offset] != h_data[lo - h_off:hi - h_off]:
                        p.conflict = True
                pos = max(pos, hi)
                i += 1
            else:                                      # nothing held in [pos, end)
                self._insert(p, i, pos, data[pos - offset:])
                pos = end
        # extend the contiguous prefix over the pieces that now touch it
        j = bisect_right(offsets, p.contiguous) - 1
        while 0 <= j < len(offsets) and offsets[j] <= p.contiguous:
            p.contiguous = max(p.contiguous, offsets[j] + len(pieces[j]))
            j += 1

    def _insert(self, p: _Pending, i: int, offset: int, data: bytes) -> None:
        if not data:
            return
        p.offsets.insert(i, offset)
        p.pieces.insert(i, data)
        p.held += len(data)
        self.held_bytes += len(data)

    def expire(self, now: int) -> None:
        """Give up datagrams whose first fragment is older than the timeout."""
        cutoff = now - self.timeout_ns
        while self.pending:
            key = next(iter(self.pending))
            if self.pending[key].first_ts > cutoff:
                break
            self._give_up(key, "timed out")

    def finish(self) -> list[dict[str, Any]]:
        """End of capture: every pending datagram is incomplete."""
        for key in list(self.pending):
            self._give_up(key, "capture ended")
        return self.incomplete

    def _give_up(self, key: tuple, reason: str) -> None:
        p = self.pending.pop(key)
        self.held_bytes -= p.held
        self.incomplete.append({"key": key, "frames": p.frames, "bytes": p.held, "total": p.total,
                                "reason": reason})
