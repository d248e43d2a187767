"""Content-Encoding: undo gzip and deflate incrementally, never producing more than a size cap.

A decompression bomb is a small body that inflates enormously (1 KiB of deflate can become 1 MiB). Each
``zlib.decompressobj`` call is given ``max_length`` so no call returns more than ``_STEP`` bytes, and
the decoder stops, marked ``truncated``, as soon as its output reaches ``limit``: memory stays bounded
whatever the input. Corrupt input stops decoding with ``error`` set; nothing here raises.

"deflate" is meant to be a zlib stream (RFC 9110 8.4.1.2) but some servers send raw deflate, and a few
send gzip: the first two bytes decide. A gzip body may hold several members, decoded one after another.
"""

from __future__ import annotations

import zlib

SUPPORTED = ("gzip", "deflate")
_STEP = 1 << 20  # most bytes one decompress call may return
_GZIP_MAGIC = b"\x1f\x8b"


def _looks_like_zlib(head: bytes) -> bool:
    """RFC 1950: CM is 8 (deflate) and the two header bytes, big-endian, are a multiple of 31."""
    return head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


class _Stage:
    """Undo one coding; output is returned in pieces of at most ``_STEP`` bytes."""

    __slots__ = ("coding", "done", "head", "obj", "trailing")

    def __init__(self, coding: str):
        self.coding = coding
        self.obj = None  # created once the first two bytes are known
        self.head = b""
        self.done = False  # a complete stream was decoded and what follows is not another member
        self.trailing = 0  # bytes after the end of the compressed data, ignored

    def _start(self, head: bytes) -> None:
        if head[:2] == _GZIP_MAGIC:
            wbits = 31
        elif self.coding == "gzip":
            wbits = 47  # let zlib sniff: some "gzip" bodies are zlib streams
        elif _looks_like_zlib(head):
            wbits = 15
        else:
            wbits = -15  # raw deflate
        self.obj = zlib.decompressobj(wbits)

    def pieces(self, data: bytes):
        """Feed ``data``; yield decoded pieces. Raises ``zlib.error`` on corrupt input."""
        while data and not self.done:
            if self.obj is None:
                data = self.head + data
                if len(data) < 2:
                    self.head = data
                    return
                self.head = b""
                self._start(data)
            obj = self.obj
            while True:
                out = obj.decompress(data, _STEP)
                data = obj.unconsumed_tail
                if out:
                    yield out
                if obj.eof or (not data and len(out) < _STEP):
                    break
            if obj.eof:
                data = obj.unused_data
                if self.coding == "gzip" and (len(data) < 2 or data[:2] == _GZIP_MAGIC):
                    self.obj = None  # another member may follow
                else:
                    self.done = True
                    self.trailing += len(data)

    def finish(self) -> tuple[bytes, bool]:
        """Flush; return the last output and whether the compressed data ended properly."""
        if self.obj is None:
            return b"", not self.head  # between gzip members (or nothing at all) is a clean end
        if self.done or self.obj.eof:
            return b"", True
        return self.obj.flush(), False


class ContentDecoder:
    """Undo a message's content-codings (listed in the order they were applied) up to ``limit`` bytes.

    ``length`` counts the bytes produced, ``truncated`` says the cap stopped decoding, ``error`` says why
    decoding stopped otherwise (unsupported coding, corrupt data, a gap). ``supported`` is False when
    some coding is unknown: the body is then not decoded at all.
    """

    __slots__ = ("_fed", "_stages", "error", "length", "limit", "supported", "truncated")

    def __init__(self, codings: list[str], limit: int):
        self.limit = limit
        self.length = 0
        self.truncated = False
        self.error: str | None = None
        unsupported = [c for c in codings if c not in SUPPORTED]
        self.supported = not unsupported
        if unsupported:
            self.error = f"unsupported content-coding {unsupported[0]!r}"
        self._stages = [_Stage(c) for c in reversed(codings)] if self.supported else []
        self._fed = False

    @property
    def active(self) -> bool:
        """True while more input can still produce output."""
        return self.supported and self.error is None and not self.truncated

    def stop(self, reason: str) -> None:
        """Stop decoding (e.g. a gap made the rest of the stream undecodable)."""
        if self.active:
            self.error = reason

    def feed(self, data: bytes) -> bytes | None:
        """Decode the next body piece; None when the coding is unsupported, b"" once decoding stopped."""
        if not self.supported:
            return None
        if not self.active or not data:
            return b""
        self._fed = True
        out: list[bytes] = []
        try:
            self._push(0, data, out)
        except zlib.error as exc:
            self.error = f"invalid {self._stages[0].coding} data: {exc}"
        return b"".join(out)

    def finish(self) -> bytes | None:
        """The body ended: flush what the decompressors still hold; note data that ended early."""
        if not self.supported:
            return None
        if not self.active or not self._fed:
            return b""
        out: list[bytes] = []
        try:
            for i, stage in enumerate(self._stages):
                rest, clean = stage.finish()
                if rest:
                    self._push(i + 1, rest, out)
                if not clean and self.active:
                    self.error = f"{stage.coding} data ended early"
        except zlib.error as exc:
            self.error = f"invalid data at end of body: {exc}"
        return b"".join(out)

    def _push(self, i: int, data: bytes, out: list[bytes]) -> None:
        """Run ``data`` through stage ``i`` and the stages after it, appending final output to ``out``."""
        if i == len(self._stages):
            room = self.limit - self.length
            if len(data) > room:
                data = data[:room]
                self.truncated = True
            self.length += len(data)
            if data:
                out.append(data)
            return
        for piece in self._stages[i].pieces(data):
            self._push(i + 1, piece, out)
            if not self.active:
                return
