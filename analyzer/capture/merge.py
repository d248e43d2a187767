"""Several captures read as one: their frames merged by timestamp, as ``mergecap`` merges files.

``open_inputs(["inside.pcap", "outside.pcapng"])`` gives one reader whose frames come in time order (of the
frames at the head of each file, the earliest goes first; equal times go in the order the files were given),
numbered 1..N in that order. Each frame keeps where it came from: ``frame.iface`` is an interface id of the
merged capture and ``frame.iface_name`` its name (``frame.interface_id`` / ``frame.interface_name``). Every
interface of every input is an interface of its own (unlike mergecap, which merges the interfaces of files
that describe the same ones: two machines' captures both on ``eth0`` stay apart here), numbered in input
order, and named after its file: ``inside.pcap`` for a file's interface without a name (every classic pcap),
``outside.pcapng:eth0`` for a pcapng interface named ``eth0`` (``outside.pcapng#1`` for a file's second
unnamed one). ``reader.interfaces[frame.iface]`` says which input it is (``path``, ``file_index``).

One input is read as it is, by :class:`~analyzer.capture.reader.CaptureReader` (a classic pcap file then has
no interface, as tshark shows it). ``-`` is standard input. A path may also be a directory (every capture
file in it, by name; files that are not captures are skipped with a warning) or a glob pattern.
"""

from __future__ import annotations

import glob
import heapq
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Self

from analyzer.capture.frame import Frame
from analyzer.capture.reader import STDIN, CaptureError, CaptureReader, CaptureWarning, is_capture_file


@dataclass(frozen=True, slots=True)
class Interface:
    """One interface of the merged capture: its id (``frame.iface``), its name there, its link type, the
    input it belongs to (``path``, ``file_index`` in input order) and its name in that file (``if_name``,
    None when the file gives none)."""

    id: int
    name: str
    linktype: int | None
    path: str
    file_index: int
    if_name: str | None


def expand_inputs(inputs: str | os.PathLike | Iterable[str | os.PathLike],
                  on_warning: Callable[[CaptureWarning], None] | None = None) -> list[str]:
    """The capture files named by ``inputs``: paths as given (``-`` is standard input), directories as the
    capture files in them sorted by name (anything else in them is skipped with a warning), glob patterns as
    the files they match, sorted. CaptureError when a directory or pattern names no capture file."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    out: list[str] = []
    for item in inputs:
        path = os.fspath(item)
        if path == STDIN or os.path.exists(path) and not os.path.isdir(path):
            out.append(path)
        elif os.path.isdir(path):
            found = _directory(path, on_warning)
            if not found:
                raise CaptureError(f"{path}: directory holds no capture file")
            out += found
        elif glob.has_magic(path):
            matched = sorted(p for p in glob.glob(path) if not os.path.isdir(p))
            if not matched:
                raise CaptureError(f"{path}: no file matches")
            out += matched
        else:
            out.append(path)        # missing: the reader says so, in its words
    if out.count(STDIN) > 1:
        raise CaptureError("standard input ('-') can be read only once")
    return out


def _directory(path: str, on_warning: Callable[[CaptureWarning], None] | None) -> list[str]:
    found = []
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        if name.startswith(".") or not os.path.isfile(full):
            continue
        if is_capture_file(full):
            found.append(full)
        elif on_warning is not None:
            on_warning(CaptureWarning(full, -1, "not a capture file; skipped"))
    return found


def open_inputs(inputs: str | os.PathLike | Iterable[str | os.PathLike],
                on_warning: Callable[[CaptureWarning], None] | None = None,
                on_secrets: Callable[[int, bytes], None] | None = None) -> CaptureReader | MergedReader:
    """One reader over ``inputs`` (see the module docstring): a :class:`CaptureReader` for one file, else a
    :class:`MergedReader`. CaptureError when an input cannot be read as a capture. ``on_secrets``: see
    :class:`CaptureReader` (the Decryption Secrets Blocks of every input)."""
    paths = expand_inputs(inputs, on_warning)
    if not paths:
        raise CaptureError("no capture file given")
    if len(paths) == 1:
        return CaptureReader(paths[0], on_warning, on_secrets)
    return MergedReader(paths, on_warning, on_secrets)


class MergedReader:
    """Several captures as one, frames in time order (see the module docstring).

    Attributes like :class:`CaptureReader`'s where they make sense: ``paths``, ``readers``, ``warnings`` (of
    all files), ``bytes_read`` and ``size`` (summed), ``format`` ("merged"), and ``interfaces`` (the merged
    capture's :class:`Interface` list, complete once every file's interface blocks were read).
    """

    def __init__(self, paths: list[str], on_warning: Callable[[CaptureWarning], None] | None = None,
                 on_secrets: Callable[[int, bytes], None] | None = None):
        self.paths = list(paths)
        self.path = ", ".join(self.paths)
        self.format = "merged"
        self.readers: list[CaptureReader] = []
        try:
            for path in self.paths:
                self.readers.append(CaptureReader(path, on_warning, on_secrets))
        except BaseException:
            for reader in self.readers:
                reader.close()
            raise
        self.interfaces: list[Interface] = []
        self._local: list[dict[int | None, tuple[int, str]]] = [{} for _ in self.paths]
        self._names = _display_names(self.paths)
        self._unnamed = [0] * len(self.paths)
        try:
            self._frames = self._merge(self._prime())
        except BaseException:
            self.close_files()
            raise

    @property
    def warnings(self) -> list[CaptureWarning]:
        return [w for reader in self.readers for w in reader.warnings]

    @property
    def bytes_read(self) -> int:
        return sum(reader.bytes_read for reader in self.readers)

    @property
    def size(self) -> int:
        return sum(reader.size for reader in self.readers)

    # -- interfaces -----------------------------------------------------------------------------------------
    def _interface(self, index: int, frame: Frame) -> tuple[int, str]:
        """The merged (id, name) of ``frame``'s interface in input ``index`` (its first frame: assign them)."""
        if_name = frame.iface_name
        if if_name:
            name = f"{self._names[index]}:{if_name}"
        else:
            unnamed = self._unnamed[index]
            self._unnamed[index] += 1
            name = self._names[index] + (f"#{unnamed}" if unnamed else "")
        gid = len(self.interfaces)
        self.interfaces.append(Interface(gid, name, frame.linktype, self.paths[index], index, if_name or None))
        return gid, name

    # -- frames ---------------------------------------------------------------------------------------------
    def _prime(self) -> list[Iterator[tuple[int, int, Frame]]]:
        """Read the first frame of every input, in input order (so interface ids follow the order of the
        inputs and ``interfaces`` names each input's first interface before any frame is handed out)."""
        streams = []
        for index, reader in enumerate(self.readers):
            frames = iter(reader)
            first = next(frames, None)
            if first is not None:
                self._local[index][first.iface] = self._interface(index, first)
                streams.append(_tagged(itertools.chain((first,), frames), index))
        return streams

    def _merge(self, streams: list[Iterator[tuple[int, int, Frame]]]) -> Iterator[Frame]:
        local = self._local
        for number, (_ts, index, frame) in enumerate(heapq.merge(*streams), 1):
            frame.number = number
            ids = local[index]
            hit = ids.get(frame.iface)
            if hit is None:
                hit = ids[frame.iface] = self._interface(index, frame)
            frame.iface, frame.iface_name = hit
            yield frame

    def __iter__(self) -> Iterator[Frame]:
        return self._frames

    def __next__(self) -> Frame:
        return next(self._frames)

    def close(self) -> None:
        """Stop reading and close every file; safe to call twice."""
        self._frames.close()
        self.close_files()

    def close_files(self) -> None:
        for reader in self.readers:
            reader.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MergedReader({self.paths!r}, warnings={len(self.warnings)})"


def _tagged(frames: Iterator[Frame], index: int) -> Iterator[tuple[int, int, Frame]]:
    """``(ts_ns, input index, frame)``: heapq.merge orders by time, then by input order; an input's frames
    keep their file order (the index is unique per input, so frames are never compared)."""
    for frame in frames:
        yield frame.ts_ns, index, frame


def _display_names(paths: list[str]) -> list[str]:
    """The name each input's unnamed interfaces get: the file's base name, or the whole path when two
    inputs share a base name."""
    bases = [os.path.basename(p) if p != STDIN else "stdin" for p in paths]
    return [b if bases.count(b) == 1 else p for b, p in zip(bases, paths)]
