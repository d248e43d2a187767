"""Connection summary rows kept out of memory: each finished connection becomes one row the moment it
finishes (the tracker forgets it), written to a temporary file, so memory holds the open connections and
16 bytes per finished one, not every connection until the end.

:func:`connection_rows` is the columnar counterpart of ``Pipeline.count(frames)`` followed by
``pipe.tcp_rows()`` and ``pipe.udp.summaries()``: the same rows (tests/test_columnar_equal.py), as
:class:`Row` mappings (``row["conn_state"]``, ``row.get("irtt")``, ``dict(row)``), TCP in stream order then
UDP in stream order. Each row keeps ``first_frame`` and ``first_ts_ns``. The UDP rows are read from the
conversations' columns (:class:`analyzer.columnar.udp.ColumnRows`: ~110 bytes per conversation, kept
to the end anyway), not spilled.
"""

from __future__ import annotations

import marshal
import mmap
import pickle
import tempfile
from array import array
from collections.abc import Iterator
from operator import itemgetter
from typing import Any

import numpy as np

from analyzer.columnar.count import count
from analyzer.columnar.udp import ColumnRows, UdpColumns
from analyzer.columnar.whole import ROW_KEYS, Finished, Whole, row_values
from analyzer.columnar.whole import row as whole_row
from analyzer.tcp.connection import summarize


class Row(dict):
    """One summary row, read back from the spill file: a plain dict (C-speed lookups for the table's ~20
    reads per row; rows are made one at a time as the store is iterated, so nothing is kept)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Row({dict.__repr__(self)})"


class SpilledRows:
    """Rows written to an unnamed temporary file as they come (marshalled value tuples, or int64 blocks a
    kind reads: :meth:`add_block`), read back in order of a sort key: memory holds 16 bytes per row (its offset
    and key), not the row. Iterate as often as
    needed (each pass reads the file again); ``renumber``: the key named so is replaced by the row's
    position (stream numbers in first-frame order)."""

    def __init__(self, keep: tuple[str, ...] | None = None, renumber: str | None = None) -> None:
        # what a table's width pass reads (see table_widths), kept as the rows come: per protocol, each
        # address's longest port text, the longest stream number text, the earliest start; False once a row
        # lacks one of them (then there is no summary)
        self._ends: dict[Any, dict[Any, int]] | bool = {}
        self._streams: dict[Any, int] = {}
        self._firsts: dict[Any, int] = {}
        self._wget: dict[tuple, Any] = {}
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the rows; close() ends it
        self._indexes: list[dict[str, int]] = []
        self._index_of: dict[tuple, int] = {}
        self._keep = keep
        self._pick: dict[tuple, Any] = {}         # keys of add_values -> their values in ``keep`` order
        self._renumber = renumber
        self._offsets = array("q")
        self._sort_keys = array("q")
        self._size = 0
        self._order: list[int] | None = None
        self._map = None
        # rows kept as int64 blocks (add_block): how they are read (one kind per store), the longest port
        # text (digits) by the kind's address id, for table_widths
        self._kind = None
        self._digits = np.zeros(0, dtype=np.int8)

    def add(self, d: dict[str, Any], sort_key: int) -> None:
        keep = self._keep
        if keep is not None:
            self._put(keep, tuple(map(d.get, keep)), sort_key)
        else:
            self._put(tuple(d), tuple(d.values()), sort_key)

    def add_values(self, keys: tuple[str, ...], values: tuple, sort_key: int) -> None:
        """As ``add(dict(zip(keys, values)), sort_key)``, without the mapping."""
        keep = self._keep
        if keep is not None:
            get = self._pick.get(keys)
            if get is None:
                get = self._pick[keys] = _getter({k: n for n, k in enumerate(keys)}, keep)
            self._put(keep, get(values), sort_key)
        else:
            self._put(keys, values, sort_key)

    def add_many_values(self, keys: tuple[str, ...], rows: list[tuple], sort_keys: list[int]) -> None:
        """``add_values(keys, values, sort_key)`` of each row of ``rows`` and its sort key, written at once."""
        keep = self._keep
        if keep is not None:
            get = self._pick.get(keys)
            if get is None:
                get = self._pick[keys] = _getter({k: n for n, k in enumerate(keys)}, keep)
            rows = list(map(get, rows))
            keys = keep
        i = self._index(keys)
        dumps = marshal.dumps
        try:
            blobs = [dumps((i, values)) for values in rows]
        except ValueError:          # (a value marshal does not take: each row as add_values would)
            for values, sort_key in zip(rows, sort_keys, strict=True):
                self._put(keys, values, sort_key)
            return
        if not blobs:
            return
        self._file.write(b"m" + b"m".join(blobs))      # each row's blob as _put writes it
        if self._ends is not False:
            self._widths(keys, rows)
        offsets = self._offsets
        at = self._size
        for blob in blobs:
            offsets.append(at)
            at += len(blob) + 1
        self._size = at
        self._sort_keys.extend(sort_keys)
        self._order = None

    def add_block(self, kind, block: np.ndarray) -> None:
        """Rows given as an int64 block (one row per line) that ``kind`` reads (e.g.
        :class:`analyzer.columnar.whole.WholeBlock`: ``kind.values(block)`` -> the value tuples of ``kind.keys``;
        the sort key in column ``kind.sort_col``): written as they are, the value tuples made only when the
        rows are read (no marshal round trip). One kind per store."""
        k = len(block)
        if not k:
            return
        if self._kind is None:
            self._kind = kind
            self._index(kind.keys if self._keep is None else self._keep)
        elif kind.__class__ is not self._kind.__class__ or kind.addr is not self._kind.addr:
            raise ValueError("SpilledRows.add_block: one kind of block per store")
        block = np.ascontiguousarray(block, dtype=np.int64)
        width = 1 + 8 * kind.ncol
        out = np.empty((k, width), dtype=np.uint8)
        out[:, 0] = _BLOCK
        out[:, 1:] = block.view(np.uint8).reshape(k, width - 1)
        self._file.write(out)
        if self._ends is not False:
            self._block_widths(kind, block)
        at = self._size
        self._offsets.frombytes(np.arange(at, at + k * width, width, dtype=np.int64).tobytes())
        self._sort_keys.frombytes(block[:, kind.sort_col].tobytes())
        self._size = at + k * width
        self._order = None

    def _block_widths(self, kind, block: np.ndarray) -> None:
        """:meth:`_widths` of a block's rows: the ports' digits kept by address id (merged into the texts'
        table in :meth:`table_widths`)."""
        keys = kind.keys if self._keep is None else self._keep
        if not all(k in keys for k in _WIDTH_KEYS):
            self._ends = False
            return
        proto = kind.proto
        first = kind.first_ts(block)
        if proto not in self._ends:
            self._ends[proto] = {}
            self._firsts[proto] = first
            self._streams[proto] = 0
        self._firsts[proto] = min(self._firsts[proto], first)
        if self._renumber is None:
            self._streams[proto] = max(self._streams[proto], len(str(kind.stream)))
        ids, ports = kind.endpoints(block)
        digits = (1 + (ports >= 10) + (ports >= 100) + (ports >= 1000) + (ports >= 10000)).astype(np.int8)
        top = int(ids.max()) + 1
        if top > len(self._digits):
            grown = np.zeros(max(top, 2 * len(self._digits)), dtype=np.int8)
            grown[:len(self._digits)] = self._digits
            self._digits = grown
        np.maximum.at(self._digits, ids, digits)

    def _index(self, keys: tuple[str, ...]) -> int:
        """The number of ``keys``' index (key -> position) in the rows written."""
        i = self._index_of.get(keys)
        if i is None:
            i = self._index_of[keys] = len(self._indexes)
            self._indexes.append({k: n for n, k in enumerate(keys)})
        return i

    def _put(self, keys: tuple[str, ...], values: tuple, sort_key: int) -> None:
        i = self._index(keys)
        try:
            blob = b"m" + marshal.dumps((i, values))
        except ValueError:          # a value marshal does not take: pickle takes anything a row holds
            blob = b"p" + pickle.dumps((i, values), protocol=pickle.HIGHEST_PROTOCOL)
        self._file.write(blob)
        if self._ends is not False:
            self._widths(keys, (values,))
        self._offsets.append(self._size)
        self._sort_keys.append(sort_key)
        self._size += len(blob)
        self._order = None

    def _widths(self, keys: tuple[str, ...], rows: list[tuple] | tuple[tuple, ...]) -> None:
        """What :meth:`table_widths` answers, updated with ``rows`` (value tuples of ``keys``)."""
        get = self._wget.get(keys)
        if get is None:
            get = self._wget[keys] = (itemgetter(*(keys.index(k) for k in _WIDTH_KEYS))
                                      if all(k in keys for k in _WIDTH_KEYS) else False)
        if get is False:
            self._ends = False
            return
        all_ends, firsts, streams = self._ends, self._firsts, self._streams
        numbered = self._renumber is None
        for proto, stream, oh, op, rh, rp, ts in map(get, rows):
            if ts.__class__ is not int:
                self._ends = False
                return
            ends = all_ends.get(proto)
            if ends is None:
                ends = all_ends[proto] = {}
                firsts[proto] = ts
                streams[proto] = 0
            n = len(str(op))
            if ends.get(oh, -1) < n:
                ends[oh] = n
            n = len(str(rp))
            if ends.get(rh, -1) < n:
                ends[rh] = n
            firsts[proto] = min(firsts[proto], ts)
            if numbered:
                n = len(str(stream))
                streams[proto] = max(streams[proto], n)

    def table_widths(self, proto: str) -> tuple[dict[Any, int], int, int | None] | None:
        """What a table of ``proto``'s rows needs before its first line, without reading the rows: (each
        address -> the longest text of a port it was seen with, in the rows of ``proto``; the longest stream
        number text; the earliest ``first_ts_ns``), or None where the rows do not tell (a row without those
        keys, a start that is not an int, renumbered rows of several protocols)."""
        ends = self._ends
        if ends is False or (self._renumber is not None and len(ends) > 1):
            return None
        if proto not in ends:
            return {}, 0, None
        kind = self._kind
        if kind is not None and kind.proto == proto:
            # (the block rows' ports by address id, into the texts' table)
            mine = ends[proto]
            get = mine.get
            addr = kind.addr
            at = np.flatnonzero(self._digits)
            for i, n in zip(at.tolist(), self._digits[at].tolist(), strict=True):
                a = addr[i]
                if get(a, -1) < n:
                    mine[a] = n
        streams = len(str(len(self) - 1)) if self._renumber is not None else self._streams[proto]
        return ends[proto], streams, self._firsts[proto]

    def __len__(self) -> int:
        return len(self._offsets)

    def __iter__(self) -> Iterator[Row]:
        for index, values in self._records():
            yield Row(zip(index, values))

    def tuples(self, keys: tuple[str, ...]) -> Iterator[tuple]:
        """Each row's values of ``keys`` (None for a key the row lacks), as a tuple, in the same order as
        iterating: no mapping is made per row."""
        getters: dict[int, Any] = {}
        for index, values in self._records():
            get = getters.get(id(index))
            if get is None:
                get = getters[id(index)] = _getter(index, keys)
            yield get(values)

    def _records(self) -> Iterator[tuple[dict[str, int], tuple]]:
        """(key -> position, values) of each row, in sort-key order, the renumbered key replaced."""
        if self._order is None:
            keys = self._sort_keys
            self._order = sorted(range(len(keys)), key=keys.__getitem__)
            self._file.flush()
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ) if self._size else b""
        data, offsets, size = self._map, self._offsets, self._size
        m_loads, p_loads = marshal.loads, pickle.loads
        renumber = self._renumber
        indexes = self._indexes
        last = len(offsets) - 1
        # the mapped pages read so far are let go every _RELEASE_ROWS rows (MADV_DONTNEED: the file's pages
        # stay in the page cache, out of this process's resident set, which would otherwise grow by the whole
        # spill: at 1M synthetic frames ~5 MB, with --json's details ~20 MB of peak RSS)
        release = 0 if data.__class__ is mmap.mmap and _DONTNEED is not None else -1
        kind = self._kind
        if kind is None:
            for position, n in enumerate(self._order):
                if position & _RELEASE_MASK == release:
                    data.madvise(_DONTNEED)
                end = offsets[n + 1] if n < last else size
                start = offsets[n]
                i, values = (m_loads if data[start] == 0x6D else p_loads)(data[start + 1:end])
                index = indexes[i]
                if renumber is not None and values[index[renumber]] != position:
                    values = _renumbered(values, index[renumber], position)
                yield index, values
            return
        # block rows among them: read a stretch of the order at a time, its block rows made at once
        u8 = np.frombuffer(data, dtype=np.uint8)
        starts_all = np.frombuffer(offsets, dtype=np.int64).copy()     # (the array stays growable)
        lanes = np.arange(1, 1 + 8 * kind.ncol, dtype=np.int64)
        keep = self._keep
        b_index = indexes[self._index(kind.keys if keep is None else keep)]
        pick = None
        if keep is not None:
            pick = self._pick.get(kind.keys)
            if pick is None:
                pick = self._pick[kind.keys] = _getter({k: n for n, k in enumerate(kind.keys)}, keep)
        order = self._order
        for j in range(0, len(order), _RELEASE_ROWS):
            part = order[j:j + _RELEASE_ROWS]
            if release == 0:
                data.madvise(_DONTNEED)
            starts = starts_all[part]
            marks = u8[starts]
            is_block = marks == _BLOCK
            made = iter(())
            if is_block.any():
                rows = u8[starts[is_block][:, None] + lanes].view(np.int64)
                made = iter(kind.values(rows)) if pick is None else map(pick, kind.values(rows))
            for position, n, mark, start in zip(range(j, j + len(part)), part, marks.tolist(), starts.tolist(),
                                                strict=True):
                if mark == _BLOCK:
                    index, values = b_index, next(made)
                else:
                    end = offsets[n + 1] if n < last else size
                    i, values = (m_loads if mark == 0x6D else p_loads)(data[start + 1:end])
                    index = indexes[i]
                if renumber is not None and values[index[renumber]] != position:
                    values = _renumbered(values, index[renumber], position)
                yield index, values

    def close(self) -> None:
        if self._map:
            self._map.close()
        self._file.close()


# how often the spill's mapped pages read are let go (rows; a power of two: every _RELEASE_ROWS-th row)
_RELEASE_ROWS = 4096
_RELEASE_MASK = _RELEASE_ROWS - 1
_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)
_BLOCK = 0x62        # (b"b": a row of add_block; b"m" marshal, b"p" pickle)

# the keys a table's width pass reads (analyzer.report.conversations), in its order
_WIDTH_KEYS = ("proto", "stream", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "first_ts_ns")


def _getter(index: dict[str, int], keys: tuple[str, ...]):
    """values -> the tuple of ``keys``' values (None for a key ``index`` lacks)."""
    if all(k in index for k in keys) and len(keys) > 1:
        return itemgetter(*(index[k] for k in keys))
    at = [index.get(k) for k in keys]
    return lambda values: tuple(None if i is None else values[i] for i in at)


def connection_rows(reader, *, details: bool = False, tcp: bool = True, udp: bool = True,
                    keys: tuple[str, ...] | None = None, display_filter=None,
                    sinks=None) -> tuple[SpilledRows, SpilledRows | ColumnRows, int | None]:
    """(TCP rows, UDP rows, time of the first frame) of a capture reader (anything with ``batches()``,
    e.g. :class:`analyzer.capture.CaptureReader`); ``details`` adds the handshake/teardown/reset facts;
    ``keys`` keeps only those keys of each row; ``display_filter`` (one the columns answer) counts only the
    frames it matches, as ``conversations -Y`` does. ``sinks``: sink factories as
    :class:`analyzer.pipeline.Pipeline` takes them (called once per TCP connection; a sink gets the
    connection's reassembled bytes, the frame *number* standing for the frame): only the connections given a
    sink are followed segment by segment, every other one is counted from columns. The rows are :class:`SpilledRows`
    (UDP's :class:`~analyzer.columnar.udp.ColumnRows`; iterate them, in stream order, as often as needed;
    ``close()`` when done)."""
    from analyzer.pipeline import Pipeline

    tcp_rows = SpilledRows(keys, renumber="stream")
    udp_rows = SpilledRows(keys)

    def keep(conn) -> None:
        # stream numbers in order of first appearance: the columnar pass may finish them in another order
        if conn.__class__ is Whole:
            if details:
                tcp_rows.add(whole_row(conn, True), conn.hs[1])
            else:
                tcp_rows.add_values(ROW_KEYS, row_values(conn), conn.hs[1])
        else:
            tcp_rows.add(summarize(conn, details), conn.first_frame)

    def keep_wholes(fin: Finished) -> None:
        # the records a sweep finishes: their columns spilled as one int64 block (the rows are made from it
        # when the store is read)
        if details:
            for w in fin.records():
                tcp_rows.add(whole_row(w, True), w.hs[1])
        else:
            tcp_rows.add_block(fin.kind(), fin.block())

    pipe = Pipeline(tcp=tcp, analysis=False, dns_over_tcp=False, sinks=sinks,
                    tracker_options={"keep_summaries": False, "on_finish": keep})
    count(pipe, reader, display_filter, whole=True, on_wholes=keep_wholes)
    if udp and pipe.udp.__class__ is UdpColumns:
        udp_rows.close()
        return tcp_rows, pipe.udp.rows(keys), pipe.first_ts_ns       # (read from the columns, no spill)
    if udp:
        for row in pipe.udp.release_summaries():     # never all rows in memory at once
            udp_rows.add(row, row["stream"])
    return tcp_rows, udp_rows, pipe.first_ts_ns


def _renumbered(values: tuple, at: int, number: int) -> tuple:
    """``values`` with the renumbered key (at ``at``) set to the row's position in the sorted order."""
    out = list(values)
    out[at] = number
    return tuple(out)
