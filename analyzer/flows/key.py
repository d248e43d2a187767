"""A flow key: transport protocol and the two endpoints, with ``reverse()`` and a direction-free form."""

from __future__ import annotations

from typing import Any, NamedTuple


class FlowKey(NamedTuple):
    """One direction of a flow: ``proto`` ("tcp"/"udp"), source address and port, destination address and
    port. ``canonical()`` is the same value for both directions, so it keys a connection."""

    proto: str
    src: Any
    sport: int
    dst: Any
    dport: int

    def reverse(self) -> FlowKey:
        """The other direction of the same flow."""
        return FlowKey(self.proto, self.dst, self.dport, self.src, self.sport)

    def canonical(self) -> FlowKey:
        """The direction-free key: of the two directions, the one whose (address, port) sorts first."""
        a = (str(self.src), self.sport)
        b = (str(self.dst), self.dport)
        return self if a <= b else self.reverse()

    def __str__(self) -> str:
        return f"{self.proto} {_ep(self.src, self.sport)} -> {_ep(self.dst, self.dport)}"


def _ep(addr: Any, port: int) -> str:
    text = str(addr)
    return f"[{text}]:{port}" if ":" in text else f"{text}:{port}"
