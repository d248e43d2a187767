"""The flow table: both directions of a flow reach one entry in a single dict lookup.

Each entry is stored under its two directional 4-tuples ``(src, sport, dst, dport)`` with the direction the
tuple stands for (0: the entry's originator sends, 1: the responder sends). Addresses are whatever the
caller uses consistently (text from the decoders, or raw bytes).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class FlowTable:
    """Directional 4-tuple -> (entry, direction). ``index``: also keep the entries by the 4-tuple of their
    direction 0, one per entry (a mirror of the table's direction-0 keys, kept exact at every change), so
    that :meth:`entries` and :meth:`idle_entries` visit each entry once instead of every key: the TCP
    tracker's idle sweep, which runs every 10 s of packet time over every open and lingering connection."""

    __slots__ = ("_first", "_map", "lookup")

    def __init__(self, index: bool = False) -> None:
        self._map: dict[tuple, tuple[Any, int]] = {}
        self._first: dict[tuple, Any] | None = {} if index else None
        self.lookup = self._map.get     # lookup((src, sport, dst, dport)) -> (entry, direction) or None

    def add(self, key: tuple, entry: Any, direction: int = 0) -> None:
        """Insert ``entry`` for the flow whose packet in ``direction`` has 4-tuple ``key``."""
        src, sport, dst, dport = key
        rev = (dst, dport, src, sport)
        self._map[key] = (entry, direction)
        self._map[rev] = (entry, 1 - direction)
        first = self._first
        if first is not None:
            k0, k1 = (key, rev) if direction == 0 else (rev, key)
            first.pop(k1, None)
            first[k0] = entry

    def remove(self, key: tuple, entry: Any) -> None:
        """Remove both directions of ``key`` if they still point at ``entry``."""
        src, sport, dst, dport = key
        first = self._first
        for k in (key, (dst, dport, src, sport)):
            hit = self._map.get(k)
            if hit is not None and hit[0] is entry:
                del self._map[k]
                if first is not None:
                    first.pop(k, None)

    def entries(self) -> Iterator[Any]:
        """Each entry once."""
        if self._first is not None:
            yield from list(self._first.values())
            return
        for entry, direction in self._map.values():
            if direction == 0:
                yield entry

    def idle_entries(self, before: int) -> list[Any]:
        """Each entry whose ``last_ts`` is below ``before``, once (the idle sweep's candidates)."""
        if self._first is not None:
            return [entry for entry in self._first.values() if entry.last_ts < before]
        return [entry for entry, direction in self._map.values() if direction == 0 and entry.last_ts < before]

    def __len__(self) -> int:
        return len(self._map) // 2

    def __contains__(self, key: tuple) -> bool:
        return key in self._map
