"""TCP options read straight from header bytes: what the handshake negotiates and the SACK blocks.

Kinds (RFC 9293, 7323, 2018): 0 end, 1 no-op, 2 MSS (4 bytes), 3 window scale (3), 4 SACK permitted (2),
5 SACK (2 + 8n), 8 timestamps (10). A malformed length ends parsing: what was read so far stands.
"""

from __future__ import annotations

from collections.abc import Iterator


class SynOptions:
    """What one side offered in its SYN or SYN-ACK."""

    __slots__ = ("mss", "sack_perm", "timestamps", "wscale")

    def __init__(self) -> None:
        self.mss: int | None = None
        self.wscale: int | None = None
        self.sack_perm = False
        self.timestamps = False

    def as_dict(self) -> dict:
        return {"mss": self.mss, "wscale": self.wscale, "sack_perm": self.sack_perm,
                "timestamps": self.timestamps}


MALFORMED = -1      # the kind :func:`walk` gives a length that cannot be (and then stops)


def walk(opts: bytes) -> Iterator[tuple[int, int, int]]:
    """``(kind, offset, length)`` of each option after the no-ops, up to an end-of-options; an option whose
    length byte is missing, below 2 or past the end gives ``(MALFORMED, offset, 0)`` and ends the walk."""
    i, n = 0, len(opts)
    while i < n:
        kind = opts[i]
        if kind == 0:
            return
        if kind == 1:
            i += 1
            continue
        if i + 1 >= n:
            yield MALFORMED, i, 0
            return
        length = opts[i + 1]
        if length < 2 or i + length > n:
            yield MALFORMED, i, 0
            return
        yield kind, i, length
        i += length


def parse_syn_options(opts: bytes) -> SynOptions:
    """MSS, window scale, SACK-permitted and timestamps from a SYN's option bytes."""
    so = SynOptions()
    for kind, i, length in walk(opts):
        if kind == 2 and length == 4:
            so.mss = opts[i + 2] << 8 | opts[i + 3]
        elif kind == 3 and length == 3:
            so.wscale = opts[i + 2]
        elif kind == 4:
            so.sack_perm = True
        elif kind == 8:
            so.timestamps = True
    return so


def sack_blocks(opts: bytes) -> tuple[tuple[int, int], ...]:
    """The SACK blocks (left edge, right edge) of a segment's options, or ()."""
    if 5 not in opts:
        return ()
    for kind, i, length in walk(opts):
        if kind == 5:
            return tuple((int.from_bytes(opts[j:j + 4], "big"), int.from_bytes(opts[j + 4:j + 8], "big"))
                         for j in range(i + 2, i + length - 7, 8))
    return ()
