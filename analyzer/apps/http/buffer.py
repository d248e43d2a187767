"""The receive buffer: one direction's unconsumed bytes, without quadratic copying.

Bytes are appended to a ``bytearray`` and consumed by moving a read position; the consumed prefix is
deleted once per ``receive_data`` call (``compact``), so a large body fed in many chunks costs time
linear in its size. ``offset`` is the stream offset of the first unconsumed byte: it counts every byte
the connection carried, including those the reassembler reported lost (``advance``).

The buffer also remembers which frame brought each byte still buffered (``origin``): a message may start
with bytes kept from an earlier chunk, and its first frame must be that chunk's.
"""

from __future__ import annotations

from collections import deque


class ReceiveBuffer:
    """Unconsumed bytes of one stream direction, with their stream offset."""

    __slots__ = ("_marks", "data", "offset", "pos")

    def __init__(self) -> None:
        self.data = bytearray()  # data[pos:] is unconsumed; searches run on it directly
        self.pos = 0
        self.offset = 0  # stream offset of data[pos]
        self._marks: deque[tuple[int, int, int]] = deque()  # (end offset, frame, ts_ns) per chunk buffered

    def __len__(self) -> int:
        return len(self.data) - self.pos

    def append(self, chunk: bytes, frame: int, ts_ns: int) -> None:
        """Add bytes received from the stream in ``frame`` at ``ts_ns``."""
        self.data += chunk
        self._marks.append((self.offset + len(self.data) - self.pos, frame, ts_ns))

    def origin(self, offset: int) -> tuple[int, int] | None:
        """``(frame, ts_ns)`` of the chunk that brought the buffered byte at stream ``offset``."""
        for end, frame, ts_ns in self._marks:
            if offset < end:
                return frame, ts_ns
        return None

    def take(self, n: int) -> bytes:
        """Consume and return the next ``n`` bytes (fewer if fewer are buffered)."""
        start = self.pos
        end = min(start + n, len(self.data))
        self.pos = end
        self.offset += end - start
        return bytes(self.data[start:end])

    def skip(self, n: int) -> int:
        """Consume up to ``n`` bytes without copying them; return how many were consumed."""
        n = min(n, len(self.data) - self.pos)
        self.pos += n
        self.offset += n
        return n

    def discard(self) -> int:
        """Consume everything buffered; return how many bytes that was."""
        return self.skip(len(self.data) - self.pos)

    def advance(self, n: int) -> None:
        """Account for ``n`` bytes the stream carried but the buffer never saw (a gap, an ignored stream)."""
        self.offset += n

    def peek(self, n: int) -> bytes:
        """The next ``n`` bytes, not consumed."""
        return bytes(self.data[self.pos : self.pos + n])

    def find(self, sub: bytes, start: int = 0) -> int:
        """Index of ``sub`` relative to the read position, searching from relative ``start``; -1 if absent."""
        i = self.data.find(sub, self.pos + start)
        return -1 if i < 0 else i - self.pos

    def compact(self) -> None:
        """Drop the consumed prefix (bytearray deletes from the front in amortised O(1))."""
        if self.pos:
            del self.data[: self.pos]
            self.pos = 0
        marks = self._marks
        while marks and marks[0][0] <= self.offset:
            marks.popleft()
