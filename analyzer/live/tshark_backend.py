"""Live capture through Wireshark's dumpcap (found the way pyshark finds tshark), read as a pcapng stream.

dumpcap opens the interface with libpcap (so the filter is compiled and attached in the kernel, and the
loopback's outgoing copies are dropped by libpcap itself) and writes pcapng to a pipe; we parse that
stream with the project's own pcapng parser as it arrives. Stopping sends dumpcap SIGTERM; it flushes
and exits, and the rest of the pipe is read to its end. The kernel's drop count is the ``dropped`` of
dumpcap's closing report on stderr.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import subprocess
import threading
import time
from collections import deque

from analyzer.capture.pcapng import PcapngParser
from analyzer.live.errors import BackendUnavailable, BadFilter, LiveError, NeedPrivilege, UnknownInterface
from analyzer.live.interfaces import find_interface, interface_names

_DROPS = re.compile(r"received/dropped on interface '[^']*': (\d+)/(\d+)")


def find_dumpcap() -> str | None:
    """dumpcap's path: beside the tshark pyshark would use, else on PATH."""
    try:
        from pyshark.tshark.tshark import get_process_path

        path = get_process_path(process_name="dumpcap")
        if path and os.path.exists(path):
            return path
    except Exception:  # noqa: BLE001, S110 - pyshark missing, or its own not-found error: look on PATH
        pass
    return shutil.which("dumpcap")


class TsharkSource:
    backend = "tshark"

    def __init__(self, iface: str, bpf: str | None = None, snaplen: int = 262144, promisc: bool = True):
        if find_interface(iface) is None:
            raise UnknownInterface(iface, interface_names())
        dumpcap = find_dumpcap()
        if dumpcap is None:
            raise BackendUnavailable("--backend tshark needs Wireshark's dumpcap (Debian: apt-get install "
                                     "tshark; pip install pyshark), or use the default scapy backend")
        self.iface = iface
        self.filter = bpf
        self.snaplen = snaplen
        self.loopback = False
        self.received = 0
        self.kernel_drops = 0
        self.linktype = find_interface(iface).linktype or 1
        argv = [dumpcap, "-i", iface, "-s", str(snaplen), "-B", "4", "-q", "-w", "-"]   # -B: a 4 MiB buffer
        if not promisc:
            argv.append("-p")
        if bpf:
            argv += ["-f", bpf]
        self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, bufsize=0)
        self._stderr: list[str] = []
        self._err_thread = threading.Thread(target=self._read_stderr, daemon=True)
        self._err_thread.start()
        self._ready = threading.Event()
        self._queue: deque = deque()
        self._done = threading.Event()
        self._error: LiveError | None = None
        self._wake_r, self._wake_w = os.pipe()
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 10
        while not self._ready.is_set():
            if self._done.is_set() or time.monotonic() > deadline:
                self.close()
                raise self._startup_error()
            time.sleep(0.02)

    def _startup_error(self) -> LiveError:
        text = " ".join(line.strip() for line in self._stderr
                        if line.strip() and not line.startswith(("Capturing on", "Running as user")))
        low = text.lower()
        if "permission" in low or "operation not permitted" in low or "don't have permission" in low:
            return NeedPrivilege(self.iface, "dumpcap")
        if "no such device" in low or "doesn't exist" in low:
            return UnknownInterface(self.iface, interface_names())
        if "invalid capture filter" in low or "can't parse filter" in low:
            m = re.search(r"\((can't parse filter expression[^)]*)\)", text)
            return BadFilter(self.filter or "", m.group(1) if m else text)
        return LiveError(f"dumpcap could not capture on {self.iface}: {text or 'it exited at once'}")

    def _read_stderr(self) -> None:
        for raw in iter(self._proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace")
            self._stderr.append(line)

    def _read_stdout(self) -> None:
        stdout = self._proc.stdout
        try:
            head = stdout.read(4)
            if len(head) < 4:
                return
            parser = PcapngParser(stdout.read, head, lambda off, msg: None)
            self._ready.set()       # dumpcap writes its section header once the interface and filter are set
            for frame in parser.frames():
                self._queue.append((frame.ts_ns, frame.origlen, frame.linktype, frame.data))
                os.write(self._wake_w, b"x")
        except (OSError, ValueError) as exc:
            self._error = LiveError(f"dumpcap's output could not be read: {exc}")
        finally:
            self._done.set()
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                pass

    def fileno(self) -> int:
        return self._wake_r

    def read(self, timeout: float | None) -> list[tuple[int, int, int, bytes]]:
        if not self._queue and timeout != 0:
            try:
                select.select([self._wake_r], [], [], timeout)
            except InterruptedError:
                pass
        return self.drain()

    def drain(self, limit: int | None = None) -> list[tuple[int, int, int, bytes]]:
        try:
            while select.select([self._wake_r], [], [], 0)[0]:
                if not os.read(self._wake_r, 4096):
                    break
        except OSError:
            pass
        out = []
        while self._queue and (limit is None or len(out) < limit):
            out.append(self._queue.popleft())
        self.received += len(out)
        if not out and self._error is not None:
            raise self._error
        return out

    @property
    def exited(self) -> bool:
        return self._done.is_set() and not self._queue

    def poll_stats(self) -> None:
        pass

    def stop(self) -> None:
        """Stop dumpcap (it flushes its last packets), read the pipe to its end, take the drop count."""
        proc = self._proc
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._reader.join(5)
        self._err_thread.join(2)
        for line in self._stderr:
            m = _DROPS.search(line)
            if m:
                self.kernel_drops = int(m.group(2))

    def close(self) -> None:
        self.stop()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._wake_r = self._wake_w = -1
        proc = self._proc
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
