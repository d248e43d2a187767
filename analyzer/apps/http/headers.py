"""Header fields: an ordered, case-preserving list with case-insensitive lookup, and the few fields
whose meaning the parser needs (Content-Length, Transfer-Encoding, Content-Encoding, Connection).

Names and values are ``str`` decoded as ISO-8859-1, which maps every byte to one character, so the wire
bytes are always recoverable (``value.encode("latin-1")``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self


class Headers(tuple):
    """A tuple of ``(name, value)`` pairs in wire order, names as sent; lookups ignore case.

    ``headers.get("content-type")``, ``headers.get_all("set-cookie")``, ``"host" in headers``.
    """

    __slots__ = ()

    def __new__(cls, pairs: Iterable[tuple[str, str]] = ()) -> Self:
        return super().__new__(cls, pairs)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of field ``name`` (any case), or ``default``."""
        key = name.lower()
        for n, v in self:
            if n.lower() == key:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        """Every value of field ``name`` (any case), in wire order."""
        key = name.lower()
        return [v for n, v in self if n.lower() == key]

    def combined(self, name: str) -> str | None:
        """The field's values joined with ", " (RFC 9110 5.3), or None when absent."""
        values = self.get_all(name)
        return ", ".join(values) if values else None

    def tokens(self, name: str) -> list[str]:
        """A list-valued field split on commas, lowercased, empty members dropped."""
        out = []
        for value in self.get_all(name):
            for item in value.split(","):
                item = item.strip().lower()
                if item:
                    out.append(item)
        return out

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            key = item.lower()
            return any(n.lower() == key for n, _ in self)
        return tuple.__contains__(self, item)

    def __repr__(self) -> str:
        return f"Headers({list(self)!r})"


def content_length(headers: Headers) -> tuple[int | None, str | None]:
    """``(length, None)``, ``(None, None)`` when absent, or ``(None, reason)`` when invalid.

    RFC 9112 6.3: a list of identical values ("5, 5", or the field repeated) may be taken as one value;
    anything else is an unrecoverable framing error.
    """
    values = headers.get_all("content-length")
    if not values:
        return None, None
    seen = set()
    for value in values:
        for item in value.split(","):
            item = item.strip(" \t")
            if not item.isdigit() or not item.isascii() or len(item) > 19:
                return None, f"invalid Content-Length {value!r}"
            seen.add(int(item))
    if len(seen) != 1:
        return None, f"conflicting Content-Length values {', '.join(values)!r}"
    return seen.pop(), None


def content_codings(headers: Headers) -> list[str]:
    """Content-Encoding in the order the codings were applied, "identity" dropped, "x-gzip" -> "gzip"."""
    out = []
    for coding in headers.tokens("content-encoding"):
        if coding == "identity":
            continue
        out.append("gzip" if coding == "x-gzip" else coding)
    return out
