"""NAT seen from both sides: pairs each flow captured on one side of a translating router with its twin on
the other (TCP by ISN, UDP/DNS by payload and DNS id, ICMP echo by sequence number and data, all within a
time window), and gives the translation table, the kind of NAT, the delay through the router and its TTL
decrement. Sans-IO: frames in, values out.

* :mod:`~analyzer.nat.match`: the streaming matcher (decoded packets of both sides -> pairs and lone flows);
* :mod:`~analyzer.nat.table`: orientation (which side is the inside), translation rows, NAT type;
* :mod:`~analyzer.nat.run`: frames of two inputs (or two interfaces) -> :class:`NatResult`;
* :mod:`~analyzer.nat.model`: the values.

Library use::

    import analyzer
    from analyzer.nat import nat_of
    result = nat_of(analyzer.open(["inside.pcap", "outside.pcap"]))
    for t in result.translations:
        print(t.inside.text(t.proto), "<->", t.outside.text(t.proto), "->", t.remote.text(t.proto))
"""

from __future__ import annotations

from typing import Any

from analyzer.nat.match import WINDOW_NS, NatMatcher
from analyzer.nat.model import Endpoint, NatResult, NatType, SideFlow, SideInfo, Translation, Unmatched
from analyzer.nat.run import NatInputError, NatRun, nat_table
from analyzer.nat.table import is_private


def nat_of(cap: Any, window_ns: int = WINDOW_NS, numbering: str = "file",
           give_up_after: int | None = None) -> NatResult:
    """The NAT table of an :func:`analyzer.open` capture made of two inputs (inside, outside), or of one
    pcapng with two interfaces (``numbering``: "file", each frame numbered in its own file, or "merged", as
    the merged capture numbers it; ``give_up_after``: see :func:`nat_table`). Raises :class:`NatInputError`
    when it is neither, CaptureError when a file cannot be read."""
    if len(cap.paths) > 2:
        raise NatInputError(f"{len(cap.paths)} captures given: a NAT is read from two views, the inside and the "
                            "outside")
    with cap.open() as reader:
        interfaces = reader.interfaces if len(cap.paths) == 2 else None
        return nat_table(reader, interfaces, tuple(cap.paths) if len(cap.paths) == 2 else None, window_ns,
                         cap.paths[0], numbering, give_up_after)


__all__ = ["WINDOW_NS", "Endpoint", "NatInputError", "NatMatcher", "NatResult", "NatRun", "NatType", "SideFlow",
           "SideInfo", "Translation", "Unmatched", "is_private", "nat_of", "nat_table"]
