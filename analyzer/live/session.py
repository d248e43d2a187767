"""A live capture run: a source's packets become numbered frames, written and handed on as they arrive.

:class:`LiveCapture` owns one source (:mod:`~analyzer.live.scapy_backend` or
:mod:`~analyzer.live.tshark_backend`), an optional writer and an optional per-frame callback. ``run()`` loops
until :meth:`LiveCapture.stop` is called (from a signal handler or another thread), the packet count or the
duration is reached, or the source ends. Stopping is orderly whatever the cause: the packets the kernel
already queued are read and written, the file is flushed and closed, and :attr:`stats` holds the counts
for the closing line. The writer is flushed after every batch read from the source, so a crash loses at
most what arrived in the last few milliseconds and the file on disk is always a valid capture.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Self

from analyzer.capture import open_writer
from analyzer.capture.frame import Frame
from analyzer.live.errors import LiveError
from analyzer.live.interfaces import LINKTYPE_NAMES

BACKENDS = ("scapy", "tshark")
POLL_S = 0.1        # how often a waiting capture looks at the stop flag and the clock
DRAIN_BATCH = 1024  # packets read at a time from what the kernel queued before the stop


def open_source(iface: str, bpf: str | None = None, backend: str = "scapy", snaplen: int = 262144,
                promisc: bool = True):
    """The capture source for ``backend``; raises :class:`LiveError` with a line a user can act on."""
    if backend == "scapy":
        from analyzer.live.scapy_backend import ScapySource

        return ScapySource(iface, bpf, snaplen, promisc)
    if backend == "tshark":
        from analyzer.live.tshark_backend import TsharkSource

        return TsharkSource(iface, bpf, snaplen, promisc)
    raise LiveError(f"unknown capture backend {backend!r} (choose from {', '.join(BACKENDS)})")


@dataclass
class CaptureStats:
    iface: str
    captured: int = 0
    kernel_drops: int = 0
    filter: str | None = None
    reason: str = ""        # why it stopped: "count", "duration", "stopped", "source ended"

    def line(self) -> str:
        """The closing line: the count and the kernel's drop count."""
        packets = "packet" if self.captured == 1 else "packets"
        where = f" on {self.iface}" + (f" (filter: {self.filter})" if self.filter else "")
        return f"{self.captured} {packets} captured{where}, {self.kernel_drops} dropped by the kernel"


class LiveCapture:
    """One capture: ``open()`` (raises LiveError), ``run()`` until stopped, then :attr:`stats`."""

    def __init__(self, iface: str, bpf: str | None = None, *, backend: str = "scapy", snaplen: int = 262144,
                 count: int | None = None, duration: float | None = None, write: str | None = None,
                 on_frame: Callable[[Frame], None] | None = None, promisc: bool = True):
        self.iface = iface
        self.bpf = bpf
        self.backend = backend
        self.snaplen = snaplen
        self.count = count
        self.duration = duration
        self.write_path = write
        self.on_frame = on_frame
        self.promisc = promisc
        self.source = None
        self.writer = None
        self.stats = CaptureStats(iface, filter=bpf)
        self.ready = threading.Event()      # set once the source is open (the filter is in place)
        self.finished = threading.Event()
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._stop_ns = 0                   # when the stop was asked for (wall clock, as packets are stamped)
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------
    def open(self) -> LiveCapture:
        self.source = open_source(self.iface, self.bpf, self.backend, self.snaplen, self.promisc)
        if self.write_path is not None:
            try:
                self.writer = open_writer(self.write_path, linktype=self.source.linktype, snaplen=self.snaplen,
                                          nanosecond=True, capture_filter=self.bpf)
            except Exception:
                self.source.close()
                raise
            self.writer.flush()
        self.ready.set()
        return self

    @property
    def linktype_text(self) -> str:
        lt = self.source.linktype if self.source is not None else None
        return LINKTYPE_NAMES.get(lt, f"linktype {lt}")

    def stop(self) -> None:
        """Ask the capture to end (safe from a signal handler or any thread)."""
        if not self._stop_ns:
            self._stop_ns = time.time_ns()
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> CaptureStats:
        """Capture until stopped; the file is complete and closed when this returns (or raises)."""
        if self.source is None:
            self.open()
        source = self.source
        deadline = time.monotonic() + self.duration if self.duration else None
        reason = "stopped"
        try:
            while True:
                if self._stop.is_set():
                    break
                timeout = POLL_S
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        reason = "duration"
                        break
                    timeout = min(timeout, left)
                batch = source.read(timeout)
                if batch and self._take(batch):
                    reason = "count"
                    break
                if getattr(source, "exited", False):
                    reason = "source ended"
                    break
            # orderly end: what the kernel already queued for us is still "seen"; take it, then close
            source.stop()
            if reason != "count":
                self._take_queued(source, self._stop_ns or time.time_ns())
        finally:
            self._close()
        self.stats.reason = reason
        return self.stats

    def _take_queued(self, source, until_ns: int) -> None:
        """The packets the source had queued by ``until_ns`` (the stop), batch by batch, up to the first one
        stamped later. Under a burst that outlasts the stop the queue is never empty: reading it to its end
        went on taking (and holding) every packet that kept arriving, and the stop never came."""
        while True:
            batch = source.drain(DRAIN_BATCH)
            if not batch:
                return
            kept = [p for p in batch if p[0] <= until_ns]
            if (kept and self._take(kept)) or len(kept) < len(batch):
                return

    def _take(self, batch: list[tuple[int, int, int, bytes]]) -> bool:
        """Number, write and hand on a batch; True when the packet count is reached."""
        stats = self.stats
        writer = self.writer
        on_frame = self.on_frame
        limit = self.count
        done = False
        iface = self.iface
        for ts_ns, origlen, linktype, data in batch:
            stats.captured += 1
            frame = Frame(stats.captured, ts_ns, origlen, 0, linktype, data, iface)   # pcapng if_name, as dumpcap
            if writer is not None:
                writer.write(frame)
            if on_frame is not None:
                on_frame(frame)
            if limit is not None and stats.captured >= limit:
                done = True
                break
        if writer is not None:
            writer.flush()
        return done

    def _close(self) -> None:
        source, self.source = self.source, None
        try:
            if source is not None:
                try:
                    source.close()
                finally:
                    self.stats.kernel_drops = source.kernel_drops
        finally:
            writer, self.writer = self.writer, None
            if writer is not None:
                writer.close()
            self.finished.set()

    # -- in a thread (the demo, watch) -----------------------------------------------------------------
    def start(self) -> LiveCapture:
        """Open now (errors raise here), then capture in a background thread until :meth:`join`."""
        if self.source is None:
            self.open()
        self._thread = threading.Thread(target=self._thread_main, name=f"capture-{self.iface}", daemon=True)
        self._thread.start()
        return self

    def _thread_main(self) -> None:
        try:
            self.run()
        except BaseException as exc:  # noqa: BLE001 - handed to join(), which raises it in the caller's thread
            self.error = exc

    def join(self, settle: float = 0.0, timeout: float = 10.0) -> CaptureStats:
        """Stop after ``settle`` seconds (the last ACKs), wait for the file to be closed; re-raise errors."""
        if settle:
            time.sleep(settle)
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.stats

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
        if self._thread is not None:
            self._thread.join(10)
        elif self.source is not None:
            self._close()


@contextlib.contextmanager
def stop_on_signals(capture: LiveCapture, signals=(signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM stop ``capture`` cleanly instead of killing the process."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def handler(signum, frame) -> None:
        capture.stop()

    for sig in signals:
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def parse_autostop(conditions: list[str]) -> tuple[float | None, int | None]:
    """tshark-style ``-a`` conditions: ``duration:SECONDS`` and ``packets:N``; (duration, count)."""
    duration = count = None
    for cond in conditions:
        key, _, value = cond.partition(":")
        try:
            if key == "duration":
                duration = float(value)
                if not duration > 0:            # (NaN too: it compares false with everything)
                    raise ValueError
            elif key == "packets":
                count = int(value)
                if count <= 0:
                    raise ValueError
            else:
                raise LiveError(f"unknown autostop condition {cond!r} (use duration:SECONDS or packets:N)")
        except ValueError:
            raise LiveError(f"bad autostop condition {cond!r}: {value!r} is not a positive number") from None
    return duration, count
