"""The bounded hand-over of live frames from the capture thread to a slower consumer (``watch``'s timeline).

The capture thread must never wait (the kernel would drop what it cannot queue, and the file written by the
capture keeps every packet), and the frames waiting for the consumer must not grow without bound when packets
outpace it. :class:`Backlog` holds at most ``max_bytes`` of frames (their bytes plus a fixed cost each);
when a frame does not fit, it is skipped -- not analyzed, still in the capture's file -- and so is every frame
after it until the consumer takes what waits: the frames not analyzed come as a few whole
runs, not one in every few, and :attr:`skipped` and :attr:`runs` say exactly which (by frame number).
"""

from __future__ import annotations

import threading
from collections import deque

from analyzer.capture.frame import Frame

FRAME_COST = 200                # bytes a held Frame costs besides its data (the object, its ints, the deque slot)
MAX_BYTES = 64 << 20            # ~250,000 frames of 60 bytes, ~43,000 of 1,514
KEEP_RUNS = 20                  # the first runs of skipped frames kept by number (the count is always exact)


class Backlog:
    """``put`` (capture thread, never blocks) and ``take`` (the consumer: everything waiting, in order)."""

    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._frames: deque[Frame] = deque()
        self.bytes = 0                  # what the waiting frames cost
        self.peak = 0                   # the most they cost at once
        self.handed = 0                 # frames put, taken or skipped
        self.skipped = 0                # frames not handed on
        self.runs: list[list[int]] = []  # the first KEEP_RUNS runs of skipped frames: [first, last] numbers
        self._skipping = False

    def put(self, frame: Frame) -> None:
        cost = len(frame.data) + FRAME_COST
        with self._lock:
            self.handed += 1
            if self._skipping or self.bytes + cost > self.max_bytes:
                self._skipping = True
                self._skip(frame.number)
                return
            self._frames.append(frame)
            self.bytes += cost
            self.peak = max(self.peak, self.bytes)

    def _skip(self, number: int) -> None:
        self.skipped += 1
        runs = self.runs
        if runs and runs[-1][1] == number - 1:
            runs[-1][1] = number
        elif len(runs) < KEEP_RUNS:
            runs.append([number, number])

    def take(self) -> list[Frame]:
        """The frames waiting, oldest first (the backlog is then empty)."""
        with self._lock:
            out = list(self._frames)
            self._frames.clear()
            self.bytes = 0
            self._skipping = False
        return out

    def runs_text(self) -> str:
        """The skipped frames by number: ``12-15, 40-90`` (``...`` when there were more runs than kept)."""
        parts = [f"{a:,}" if a == b else f"{a:,}-{b:,}" for a, b in self.runs]
        kept = sum(b - a + 1 for a, b in self.runs)
        return ", ".join(parts) + (", ..." if kept < self.skipped else "")
