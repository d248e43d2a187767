"""One NAT analysis over frames: which side each frame belongs to, decoding, the matcher, the table.

Two views of the same traffic are two inputs read as one (``analyzer.open([inside, outside])``: frames
merged by time, each keeping its input, see :mod:`analyzer.capture.merge`), or one pcapng holding two
interfaces. :class:`NatRun` is fed those frames one by one (sans-IO: nothing here opens a file) and
:meth:`NatRun.finish` gives the :class:`~analyzer.nat.model.NatResult`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from analyzer.decode.packet import decode
from analyzer.nat.match import WINDOW_NS, NatMatcher, frame_view, packet_view
from analyzer.nat.model import NatResult, SideInfo
from analyzer.nat.table import result


class NatInputError(Exception):
    """The frames are not two views of traffic (one side only, or more than two); the message says which."""


class NatRun:
    """Frames in (:meth:`feed`), the NAT table out (:meth:`finish`).

    ``interfaces``: the merged reader's interface list (``reader.interfaces``: each frame's side is its
    input file, ``file_index``), or None for one capture, whose sides are its first two interfaces
    (``frame.iface``). Frame numbers in the result are each side's own: for two files, the frame's number
    in its file, as ``tshark -r FILE`` numbers it; with ``numbering="merged"``, the number in the merged
    capture (as ``analyzer read INSIDE OUTSIDE`` and ``timeline`` number frames)."""

    def __init__(self, interfaces: list | None = None, names: tuple[str, str] | None = None,
                 window_ns: int = WINDOW_NS, path: str | None = None, numbering: str = "file"):
        self.interfaces = interfaces
        self.merged_numbers = numbering == "merged"
        self.path = path or "the capture"
        self.names = list(names) if names else [None, None]
        self.matcher = NatMatcher(window_ns=window_ns)
        self.records: list = []
        self._ifaces: list[Any] = []        # one capture: the interface ids seen, in order (side = index)
        self._count = [0, 0]

    def side_of(self, frame: Any) -> int:
        if self.interfaces is not None:
            index = self.interfaces[frame.iface].file_index
            if index > 1:
                raise NatInputError(f"{self.interfaces[frame.iface].path}: a NAT is read from two views, "
                                    "inside and outside: give two captures")
            if self.names[index] is None:
                self.names[index] = self.interfaces[frame.iface].path
            return index
        iface = frame.iface
        if iface not in self._ifaces:
            if len(self._ifaces) == 2:
                raise NatInputError("the capture holds more than two interfaces: give the inside and the outside "
                                    "as two captures")
            self._ifaces.append(iface)
            side = len(self._ifaces) - 1
            if self.names[side] is None:
                self.names[side] = frame.iface_name or f"{self.path} interface {iface}"
        return self._ifaces.index(iface)

    def feed(self, frame: Any) -> None:
        side = self.side_of(frame)
        self._count[side] += 1
        number = self._count[side] if self.interfaces is not None and not self.merged_numbers else frame.number
        view = frame_view(frame)           # TCP from the bytes; anything else decoded
        if view is None:
            view = packet_view(decode(frame))
        self.records += self.matcher.feed_view(side, number, frame.ts_ns, view)

    def not_two_views(self, flows: int) -> bool:
        """At least ``flows`` flows begun on each side and none of them paired: these are not two views of the
        same traffic (two rotated files, two unrelated captures)."""
        m = self.matcher
        return not m.paired and min(m.started) >= flows

    def finish(self) -> NatResult:
        m = self.matcher
        self.records += m.finish()
        if not m.frames[0] or not m.frames[1]:
            if self.interfaces is None:
                raise NatInputError(f"{self.path}: one interface only; a NAT is read from two views: give the inside "
                                    "and the outside captures (analyzer nat INSIDE OUTSIDE)")
            empty = self.names[1] if m.frames[0] else self.names[0]
            raise NatInputError(f"{empty}: no frames")
        sides = tuple(SideInfo(self.names[i] or f"side {i}", m.frames[i], m.first_ts[i], m.last_ts[i])
                      for i in (0, 1))
        return result(self.records, sides, m.ignored)


def nat_table(frames: Iterable[Any], interfaces: list | None = None, names: tuple[str, str] | None = None,
              window_ns: int = WINDOW_NS, path: str | None = None, numbering: str = "file",
              give_up_after: int | None = None) -> NatResult:
    """The NAT table of ``frames`` (see :class:`NatRun`; ``path``: the one capture's name, for messages).
    ``give_up_after``: stop with :class:`NatInputError` once that many flows begun on each side have no
    twin (:meth:`NatRun.not_two_views`): a caller only probing whether two captures are the sides
    of a NAT reads no further."""
    run = NatRun(interfaces, names, window_ns, path, numbering)
    for n, frame in enumerate(frames):
        run.feed(frame)
        if give_up_after is not None and not n & 0xFF and run.not_two_views(give_up_after):
            raise NatInputError(f"no flow pairs among the first {give_up_after} of each side: not two views of "
                                "the same traffic")
    return run.finish()
