"""The one exception type a decoder may raise: a layer is truncated or malformed."""

from __future__ import annotations


class DecodeError(Exception):
    """A layer could not be decoded; ``layer`` names it, ``offset`` is the byte offset in the frame."""

    def __init__(self, layer: str, offset: int, reason: str):
        super().__init__(f"{layer}: {reason} (offset {offset})")
        self.layer = layer
        self.offset = offset
        self.reason = reason


def need(layer: str, data_len: int, off: int, n: int, what: str) -> None:
    """Raise DecodeError unless ``n`` bytes of ``what`` are available at ``off``."""
    if off + n > data_len:
        raise DecodeError(layer, off, f"truncated {what}: need {n} bytes, have {max(data_len - off, 0)}")
