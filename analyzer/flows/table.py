"""The flow table: both directions of a flow reach one entry in a single dict lookup.

Each entry is stored under its two directional 4-tuples ``(src, sport, dst, dport)`` with the direction the
tuple stands for (0: the entry's originator sends, 1: the responder sends). Addresses are whatever the
caller uses consistently (text from the decoders, or raw bytes).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class FlowTable:
    """Directional 4-tuple -> (entry, direction)."""

    __slots__ = ("_map", "lookup")

    def __init__(self) -> None:
        self._map: dict[tuple, tuple[Any, int]] = {}
        self.lookup = self._map.get     # lookup((src, sport, dst, dport)) -> (entry, direction) or None

    def add(self, key: tuple, entry: Any, direction: int = 0) -> None:
        """Insert ``entry`` for the flow whose packet in ``direction`` has 4-tuple ``key``."""
        src, sport, dst, dport = key
        self._map[key] = (entry, direction)
        self._map[(dst, dport, src, sport)] = (entry, 1 - direction)

    def remove(self, key: tuple, entry: Any) -> None:
        """Remove both directions of ``key`` if they still point at ``entry``."""
        src, sport, dst, dport = key
        for k in (key, (dst, dport, src, sport)):
            hit = self._map.get(k)
            if hit is not None and hit[0] is entry:
                del self._map[k]

    def entries(self) -> Iterator[Any]:
        """Each entry once."""
        for entry, direction in self._map.values():
            if direction == 0:
                yield entry

    def idle_entries(self, before: int) -> list[Any]:
        """Each entry whose ``last_ts`` is below ``before``, once (the idle sweep's candidates)."""
        return [entry for entry, direction in self._map.values() if direction == 0 and entry.last_ts < before]

    def __len__(self) -> int:
        return len(self._map) // 2

    def __contains__(self, key: tuple) -> bool:
        return key in self._map
