"""HPACK header blocks (RFC 7541) of one direction, decoded fragment by fragment with the ``hpack`` package.

Theory of operation
-------------------
Each direction of a connection has one dynamic table, shared by every header block it sends, so one
:class:`BlockDecoder` per direction decodes every HEADERS, PUSH_PROMISE and CONTINUATION fragment in the
order they were sent. ``hpack.Decoder`` does the decoding proper (Huffman, static and dynamic tables); this
module only walks the *representations* (RFC 7541 section 6) to find where each one ends, because:

* a header block may be split over HEADERS and CONTINUATION frames at any byte, even inside a
  representation. Like tshark (nghttp2's streaming inflater), each fragment yields the fields whose
  representation it completes; the incomplete tail waits for the next fragment. ``hpack`` itself wants
  whole blocks and would read past a cut silently, so it is given the complete representations only (in
  one call; after an error, again one by one from the table as it was, to report the fields before it);
* tshark shows each field's representation kind and index (``http2.header.repr``, ``http2.header.index``),
  which ``hpack`` does not report.

Errors (a bad index, bad Huffman code, a table size update over the allowed size or after a field, a
block that ends inside a representation, a string over :data:`MAX_FIELD_BYTES`) are reported once, with
the fields decoded before them; the direction's dynamic table is then unknown, so
:attr:`BlockDecoder.failed` stays set and every later block of the direction is refused (as nghttp2's
inflater does).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import hpack

MAX_FIELD_BYTES = 256 * 1024      # one name or value (tshark stops decompressing a frame at 256 KiB)

INDEXED = 1
INCREMENTAL_INDEXED_NAME = 2
INCREMENTAL_NEW_NAME = 3
NOT_INDEXED_INDEXED_NAME = 4
NOT_INDEXED_NEW_NAME = 5
NEVER_INDEXED_INDEXED_NAME = 6
NEVER_INDEXED_NEW_NAME = 7
SIZE_UPDATE = 8

# tshark's http2.header.repr text for each kind.
REPR_NAMES = {
    INDEXED: "Indexed Header Field",
    INCREMENTAL_INDEXED_NAME: "Literal Header Field with Incremental Indexing - Indexed Name",
    INCREMENTAL_NEW_NAME: "Literal Header Field with Incremental Indexing - New Name",
    NOT_INDEXED_INDEXED_NAME: "Literal Header Field without Indexing - Indexed Name",
    NOT_INDEXED_NEW_NAME: "Literal Header Field without Indexing - New Name",
    NEVER_INDEXED_INDEXED_NAME: "Literal Header Field never Indexed - Indexed Name",
    NEVER_INDEXED_NEW_NAME: "Literal Header Field never Indexed - New Name",
    SIZE_UPDATE: "Maximum Header Table Size Change",
}


class HpackError(Exception):
    """The header block cannot be decoded; the direction's dynamic table is lost from here on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Field:
    """One decoded header field and how it was encoded."""

    kind: int              # INDEXED ... NEVER_INDEXED_NEW_NAME
    index: int | None      # the table index (of the field, or of its name); None for a new name
    name: bytes
    value: bytes
    size: int              # bytes of its representation


@dataclass(frozen=True, slots=True)
class SizeUpdate:
    """A dynamic table size update (RFC 7541 6.3)."""

    size: int
    length: int            # bytes of its representation


def _integer(data: bytes, pos: int, prefix: int) -> tuple[int, int] | None:
    """RFC 7541 5.1: the integer at ``pos`` with a ``prefix``-bit prefix, and the position after it;
    None when the data ends first."""
    if pos >= len(data):
        return None
    mask = (1 << prefix) - 1
    value = data[pos] & mask
    pos += 1
    if value < mask:
        return value, pos
    shift = 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        value += (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 28:
            raise HpackError("integer encoding longer than 5 bytes")
    return None


def _string_end(data: bytes, pos: int) -> int | None:
    """RFC 7541 5.2: where the string literal at ``pos`` ends, None when the data ends first."""
    got = _integer(data, pos, 7)
    if got is None:
        return None
    length, pos = got
    if length > MAX_FIELD_BYTES:
        raise HpackError(f"a header name or value of {length} bytes (over {MAX_FIELD_BYTES})")
    end = pos + length
    return end if end <= len(data) else None


def representation(data: bytes, pos: int) -> tuple[int, int | None, int] | None:
    """``(kind, index, end)`` of the representation at ``pos``; None when it is not complete in ``data``."""
    c = data[pos]
    if c & 0x80:
        kind, prefix = INDEXED, 7
    elif c & 0x40:
        kind, prefix = INCREMENTAL_INDEXED_NAME, 6
    elif c & 0x20:
        kind, prefix = SIZE_UPDATE, 5
    elif c & 0x10:
        kind, prefix = NEVER_INDEXED_INDEXED_NAME, 4
    else:
        kind, prefix = NOT_INDEXED_INDEXED_NAME, 4
    got = _integer(data, pos, prefix)
    if got is None:
        return None
    index, end = got
    if kind in (INDEXED, SIZE_UPDATE):
        return kind, index, end
    if index == 0:                      # the name is a literal too
        kind += 1
        end = _string_end(data, end)
        if end is None:
            return None
        index = None
    end = _string_end(data, end)
    if end is None:
        return None
    return kind, index, end


class BlockDecoder:
    """The header blocks sent in one direction of one connection (see the module docstring)."""

    __slots__ = ("_fields_in_block", "_hpack", "_pending", "failed")

    def __init__(self) -> None:
        self._hpack = hpack.Decoder(max_header_list_size=1 << 62)   # limits are the caller's
        self._pending = b""
        self._fields_in_block = False
        self.failed: str | None = None

    @property
    def table_size(self) -> int:
        return self._hpack.header_table_size

    def allow_table_size(self, size: int) -> None:
        """The receiver announced SETTINGS_HEADER_TABLE_SIZE ``size``: the sender may grow its table to it.
        (Never shrunk here: an observer cannot know when the sender applied a smaller value.)"""
        self._hpack.max_allowed_table_size = max(self._hpack.max_allowed_table_size, size)

    def feed(self, fragment: bytes, end_of_block: bool) -> tuple[list[Field | SizeUpdate], str | None]:
        """Decode the representations this fragment completes; ``end_of_block`` when END_HEADERS was set.
        Returns ``(fields, error)``: on an error, the fields decoded before it (as nghttp2 emits them one by
        one) and the reason; the decoder then stays failed."""
        if self.failed is not None:
            return [], f"not decoded: the dynamic table was lost earlier ({self.failed})"
        out: list[Field | SizeUpdate] = []
        try:
            self._feed(fragment, end_of_block, out)
        except HpackError as err:
            self._fail(err.reason)
            return out, err.reason
        except (hpack.HPACKError, ValueError, IndexError, TypeError) as err:
            self._fail(_describe(err))
            return out, self.failed
        return out, None

    def lose(self, reason: str) -> None:
        """Bytes of a header block were lost (a capture gap): the dynamic table is unknown from now on."""
        if self.failed is None:
            self._fail(reason)

    def _fail(self, reason: str) -> None:
        self.failed = reason
        self._pending = b""

    def _feed(self, fragment: bytes, end_of_block: bool, out: list[Field | SizeUpdate]) -> None:
        data = self._pending + fragment if self._pending else bytes(fragment)
        n = len(data)
        reps: list[tuple[int, int | None, int, int]] = []     # kind, index, start, end
        problem = None
        in_block = self._fields_in_block
        pos = 0
        while pos < n:
            got = representation(data, pos)
            if got is None:
                break
            kind, index, end = got
            if kind == SIZE_UPDATE and in_block:
                problem = "dynamic table size update after a header field"
                break
            if kind == INDEXED and index == 0:
                problem = "index 0 in an indexed header field"
                break
            in_block = in_block or kind != SIZE_UPDATE
            reps.append((kind, index, pos, end))
            pos = end
        if reps:
            self._decode(data, reps, out)
        if problem is not None:
            raise HpackError(problem)
        self._fields_in_block = in_block
        rest = data[pos:]
        if end_of_block:
            self._pending = b""
            self._fields_in_block = False
            if rest:
                raise HpackError(f"header block ends inside a field representation ({len(rest)} bytes left)")
        else:
            self._pending = rest

    def _decode(self, data: bytes, reps: list[tuple[int, int | None, int, int]],
                out: list[Field | SizeUpdate]) -> None:
        """Decode complete representations in one ``hpack`` call; on an error, again one by one from the
        table as it was, so the fields before the bad one are still reported."""
        decoder = self._hpack
        table = decoder.header_table
        saved = copy.copy(table)
        saved.dynamic_entries = table.dynamic_entries.copy()
        try:
            headers = decoder.decode(data[:reps[-1][3]], raw=True)
        except (hpack.HPACKError, ValueError, IndexError, TypeError):
            decoder.header_table = saved
            for kind, index, start, end in reps:
                got = decoder.decode(data[start:end], raw=True)      # raises at the bad one
                out.append(_item(kind, index, end - start, got))
            raise
        fields = iter(headers)
        for kind, index, start, end in reps:
            out.append(_item(kind, index, end - start, () if kind == SIZE_UPDATE else (next(fields),)))


def _item(kind: int, index: int | None, size: int, headers) -> Field | SizeUpdate:
    if kind == SIZE_UPDATE:
        return SizeUpdate(index, size)
    name, value = headers[0]
    return Field(kind, index, bytes(name), bytes(value), size)


def _describe(err: Exception) -> str:
    text = str(err) or type(err).__name__
    if isinstance(err, hpack.InvalidTableIndex):
        return f"invalid table index ({text})"
    if isinstance(err, hpack.InvalidTableSizeError):
        return f"table size update over the allowed size ({text})"
    return f"HPACK decoding failed ({text})"
