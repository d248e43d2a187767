"""UDP conversations as columns: the columnar counting pass's counterpart of :class:`analyzer.flows.UdpTable`,
with the same conversations, stream numbers and summary rows, counted a batch at a time with numpy instead of
one Python call per datagram.

A conversation is one row of an int64 table (endpoints as ``address id << 16 | port``, first and last time
and frame, packets, frame bytes and payload bytes each way, whether the originator was guessed); a dict maps
the direction-free key of its two endpoints to the row. Per batch (:meth:`UdpColumns.add`) the datagrams are
grouped by that key (one sort); each group is one dict lookup; the groups not seen before become new
conversations numbered in the order of their first datagram (``udp.stream``: first appearance, as
:class:`~analyzer.flows.UdpTable` numbers them), their originator chosen from the first datagram as
:class:`~analyzer.flows.UdpTable` chooses it (the sender, unless its port looks like a server's and the
receiver's does not); each datagram's direction is whether it was sent from the originator's endpoint; the
counters are summed per group and direction (``np.bincount``) and the last time and frame are the group's
last datagram's. :meth:`UdpColumns.datagram` takes one datagram as :meth:`UdpTable.datagram` does (the frames
the header columns cannot read, and datagrams quoted in ICMP errors). Nothing is ever compacted or forgotten
before the end: a conversation is 104 bytes of table plus its index entry; the table's older rows (past the
newest ``KEEP_ROWS``, 2048) are written to an unnamed temporary file, a row at ``row * 104``, and read, changed and
written back there when a datagram reaches one of their conversations again (memory holds the newest rows and
the index, not every conversation: ~3.4 MB of table at 1M synthetic frames). The index is two numpy arrays
(the key as one uint64 -- both endpoints' ``id << 16 | port``, the lower one high -- sorted, and the row of
each: 16 bytes a conversation, found for a whole batch by one ``np.searchsorted``), and a dict of the ones
:meth:`UdpColumns.datagram` adds between batches (merged into the arrays at the next batch); once an address
id reaches ``2 ** 16`` (a key no longer fits in 64 bits) the index becomes one dict of Python int keys, as it
was before (~100 bytes a conversation), for the rest of the capture.

tests/test_conv_udp.py compares the rows with :class:`~analyzer.flows.UdpTable`'s on captures and on
datagrams made to hit each rule (a reply first, equal port ranks, a datagram to itself, a conversation
spanning batches, ICMP-quoted datagrams).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import Any

import numpy as np

from analyzer.columnar.whole import numbered
from analyzer.flows.udp import _addr, _seconds

# the table's columns
ORIG, RESP, FIRST_TS, LAST_TS, FIRST_FRAME, LAST_FRAME, PKTS, FBYTES, PBYTES, GUESSED = 0, 1, 2, 3, 4, 5, 6, 8, 10, 12
_WIDTH = 13
_ROW_BYTES = _WIDTH * 8

# the keys of a summary row, in UdpConversation.summary()'s order
ROW_KEYS = ("proto", "stream", "ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "conn_state", "history",
            "orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes", "orig_frame_bytes", "resp_frame_bytes",
            "duration", "irtt", "closed_by", "time_wait", "orig_guessed", "first_frame", "last_frame",
            "first_ts_ns", "last_ts_ns")

_STATE = {(True, True): ("SF", "Dd"), (True, False): ("S0", "D"), (False, True): ("SHR", "d"),
          (False, False): ("OTH", "")}
_FROM_TABLE = {"orig_pkts": PKTS, "resp_pkts": PKTS + 1, "orig_bytes": PBYTES, "resp_bytes": PBYTES + 1,
               "orig_frame_bytes": FBYTES, "resp_frame_bytes": FBYTES + 1, "first_frame": FIRST_FRAME,
               "last_frame": LAST_FRAME, "first_ts_ns": FIRST_TS, "last_ts_ns": LAST_TS}
_ENDPOINT = {"id.orig_h": (ORIG, True), "id.orig_p": (ORIG, False), "id.resp_h": (RESP, True),
             "id.resp_p": (RESP, False)}
_CONSTANT = {"proto": "udp", "irtt": None, "closed_by": None, "time_wait": None}
# the keys a conversations table's width pass reads
_WIDTH_KEYS = ("proto", "stream", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "first_ts_ns")
_U16 = np.uint64(16)
_PORT = np.uint64(0xFFFF)


def _rank(ports: np.ndarray) -> np.ndarray:
    """:func:`analyzer.flows.udp._service_rank` of each port: 2 below 1024, 1 below 49152, else 0."""
    return (ports < 1024).astype(np.int8) + (ports < 49152)


class Stream:
    """What :meth:`UdpColumns.datagram` returns for the conversation: its ``udp.stream`` number."""

    __slots__ = ("stream",)

    def __init__(self, stream: int) -> None:
        self.stream = stream


class UdpColumns:
    """All UDP conversations of a capture as one table (see the module docstring)."""

    def __init__(self) -> None:
        self._ids: dict[Any, int] = {}          # address -> id
        self.addresses: list[Any] = []          # id -> address
        # the index (see the module docstring): sorted keys (low endpoint << 32 | high endpoint) and their rows;
        # ``_index``: keys datagram() added since the last batch (key -> row), or, once ``_wide``, every key as
        # (low endpoint << 48) | high endpoint
        self._keys = np.zeros(0, dtype=np.uint64)
        self._rows = np.zeros(0, dtype=np.int64)
        self._index: dict[int, int] = {}
        self._wide = False
        self._table = np.zeros((1024, _WIDTH), dtype=np.int64)     # rows base.. (row r at r - base)
        self.n = 0
        self._base = 0          # the rows below it are in the file
        self._file = None

    def __len__(self) -> int:
        return self.n

    # -- counting --------------------------------------------------------------------------------------------
    def ids(self, addresses: list) -> np.ndarray:
        """The ids of ``addresses`` (new ones numbered as they come)."""
        out = numbered(self._ids, self.addresses, addresses)
        if len(self.addresses) > self.NARROW_IDS and not self._wide:
            self._widen()
        return np.array(out, dtype=np.uint64)

    # the address ids below which a key fits in 64 bits; how many keys datagram() adds before they are merged
    # into the arrays (tests lower both)
    NARROW_IDS = 1 << 16
    PENDING_MAX = 4096
    # the table's rows kept in memory: once more than 1.5 * KEEP_ROWS, all but the newest KEEP_ROWS go to the file
    # (the table then stays within 4096 rows: a batch's new conversations are a few hundred)
    KEEP_ROWS = 2048

    def _merge(self) -> None:
        """The keys datagram() added since the last batch put in the sorted arrays."""
        pending = self._index
        if pending and not self._wide:
            keys = np.fromiter(pending.keys(), dtype=np.uint64, count=len(pending))
            rows = np.fromiter(pending.values(), dtype=np.int64, count=len(pending))
            self._insert(keys, rows)
            pending.clear()

    def _insert(self, keys: np.ndarray, rows: np.ndarray) -> None:
        """New keys (none of them in the arrays) and their rows into the sorted arrays."""
        o = np.argsort(keys, kind="stable")
        keys, rows = keys[o], rows[o]
        at = np.searchsorted(self._keys, keys)
        self._keys = np.insert(self._keys, at, keys)
        self._rows = np.insert(self._rows, at, rows)

    def _find(self, keys: np.ndarray) -> np.ndarray:
        """The row of each key (uint64) in the sorted arrays, -1 for none."""
        have = self._keys
        if not len(have):
            return np.full(len(keys), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(have, keys), len(have) - 1)
        return np.where(have[at] == keys, self._rows[at], -1)

    def _widen(self) -> None:
        """Every key into one dict of (low << 48) | high keys (an address id past NARROW_IDS)."""
        self._merge()
        keys = self._keys
        wide = ((keys >> np.uint64(32)).tolist(), (keys & np.uint64(0xFFFFFFFF)).tolist())
        self._index = {(lo << 48) | hi: r for lo, hi, r in zip(*wide, self._rows.tolist(), strict=True)}
        self._keys = np.zeros(0, dtype=np.uint64)
        self._rows = np.zeros(0, dtype=np.int64)
        self._wide = True

    def _grow(self, need: int) -> np.ndarray:
        """The table, with room for rows up to ``need`` (a row number)."""
        table = self._table
        need -= self._base
        if need > len(table):
            bigger = np.zeros((max(need, 2 * len(table)), _WIDTH), dtype=np.int64)
            bigger[:self.n - self._base] = table[:self.n - self._base]
            table = self._table = bigger
        return table

    def _spill(self) -> None:
        """The rows but the newest KEEP_ROWS to the file, once more than 1.5 times that many are in memory."""
        keep = self.KEEP_ROWS
        held = self.n - self._base
        if held <= keep + (keep >> 1):
            return
        out = held - keep
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the table
        table = self._table
        os.pwrite(self._file.fileno(), table[:out].tobytes(), self._base * _ROW_BYTES)
        table[:keep] = table[out:held]
        table[keep:held] = 0
        self._base += out

    def _load(self, rows: np.ndarray, at: int) -> np.ndarray:
        """Rows from the file (row numbers below base) copied into the table from ``at`` (a table position past
        the live rows, made room for); their table positions."""
        fd = self._file.fileno()
        table = self._table
        for i, r in enumerate(rows.tolist()):
            table[at + i] = np.frombuffer(os.pread(fd, _ROW_BYTES, r * _ROW_BYTES), dtype=np.int64)
        return np.arange(at, at + len(rows), dtype=np.int64)

    def _store(self, rows: np.ndarray, at: np.ndarray) -> None:
        """Rows loaded by :meth:`_load` (table positions ``at``) written back to the file, the positions
        cleared."""
        fd = self._file.fileno()
        table = self._table
        for r, i in zip(rows.tolist(), at.tolist(), strict=True):
            os.pwrite(fd, table[i].tobytes(), r * _ROW_BYTES)
        table[at] = 0

    def block(self, lo: int, hi: int) -> np.ndarray:
        """The table's rows ``lo`` to ``hi`` (row numbers, within 0..n) as one array, the file's ones read."""
        base = self._base
        if lo >= base:
            return self._table[lo - base:hi - base]
        cut = min(hi, base)
        data = os.pread(self._file.fileno(), (cut - lo) * _ROW_BYTES, lo * _ROW_BYTES)
        old = np.frombuffer(data, dtype=np.int64).reshape(cut - lo, _WIDTH)
        if hi <= base:
            return old
        return np.concatenate((old, self._table[:hi - base]))

    def add(self, ts: np.ndarray, num: np.ndarray, src: np.ndarray, sport: np.ndarray, dst: np.ndarray,
            dport: np.ndarray, payload_len: np.ndarray, frame_len: np.ndarray) -> None:
        """Count datagrams (arrays in capture order; ``src``/``dst``: address ids from :meth:`ids`)."""
        m = len(ts)
        if not m:
            return
        self._spill()
        sport = sport.astype(np.uint64)
        dport = dport.astype(np.uint64)
        a = (src.astype(np.uint64) << _U16) | sport
        b = (dst.astype(np.uint64) << _U16) | dport
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        order = np.lexsort((np.arange(m), hi, lo))
        lo_s, hi_s = lo[order], hi[order]
        edge = np.empty(m + 1, dtype=bool)
        edge[0] = edge[m] = True
        np.not_equal(lo_s[1:], lo_s[:-1], out=edge[1:m])
        edge[1:m] |= hi_s[1:] != hi_s[:-1]
        bounds = np.flatnonzero(edge)
        first = order[bounds[:-1]]              # each group's first datagram (capture position)
        last = order[bounds[1:] - 1]
        g = len(first)
        if self._wide:
            get = self._index.get
            keys = [(lo_ << 48) | hi_ for lo_, hi_ in zip(lo[first].tolist(), hi[first].tolist(), strict=True)]
            rows = np.fromiter((get(k, -1) for k in keys), dtype=np.int64, count=g)
        else:
            self._merge()
            keys64 = (lo[first] << np.uint64(32)) | hi[first]
            rows = self._find(keys64)
        new = np.flatnonzero(rows < 0)
        if len(new):
            new = new[np.argsort(first[new], kind="stable")]        # numbered in order of first appearance
            n0 = self.n
            table = self._grow(n0 + len(new))
            made = np.arange(n0, n0 + len(new))
            rows[new] = made
            if self._wide:
                index = self._index
                for k, r in zip([keys[i] for i in new.tolist()], made.tolist(), strict=True):
                    index[k] = r
            else:
                self._insert(keys64[new], made)
            f = first[new]
            flip = _rank(sport[f]) > _rank(dport[f])
            block = table[n0 - self._base:n0 - self._base + len(new)]
            block[:, ORIG] = np.where(flip, b[f], a[f]).astype(np.int64)
            block[:, RESP] = np.where(flip, a[f], b[f]).astype(np.int64)
            block[:, FIRST_TS] = ts[f]
            block[:, FIRST_FRAME] = num[f]
            block[:, GUESSED] = flip
            self.n = n0 + len(new)
        # the groups' table positions (rows the file holds loaded past the live ones, written back at the end)
        found = rows
        rows = rows - self._base
        old = np.flatnonzero(rows < 0)
        if len(old):
            self._grow(self.n + len(old))
            rows[old] = self._load(found[old], self.n - self._base)
        table = self._table
        group = np.empty(m, dtype=np.int64)
        group[order] = np.repeat(np.arange(g), np.diff(bounds))
        orig = table[rows, ORIG].astype(np.uint64)
        d = (a != orig[group]).astype(np.int64)           # 1: sent by the responder
        loop = a == b
        if loop.any():
            # a datagram to its own endpoint: the flow table's two keys are one, the second write (the
            # reverse, direction 1) wins, so only the datagram that made the conversation counts as the
            # originator's
            d[loop] = 1
            if len(new):
                made_by = first[new]
                d[made_by[loop[made_by]]] = 0
        slot = group * 2 + d
        pk = np.bincount(slot, minlength=2 * g).reshape(g, 2)
        fb = np.bincount(slot, weights=frame_len, minlength=2 * g).reshape(g, 2)
        pb = np.bincount(slot, weights=payload_len, minlength=2 * g).reshape(g, 2)
        table[rows, PKTS:PKTS + 2] += pk
        table[rows, FBYTES:FBYTES + 2] += fb.astype(np.int64)
        table[rows, PBYTES:PBYTES + 2] += pb.astype(np.int64)
        table[rows, LAST_TS] = ts[last]
        table[rows, LAST_FRAME] = num[last]
        if len(old):
            self._store(found[old], rows[old])

    def datagram(self, ts: int, num: int, src: Any, sport: int, dst: Any, dport: int, payload_len: int,
                 frame_len: int, count: bool = True) -> tuple[Stream, int]:
        """One datagram, as :meth:`analyzer.flows.UdpTable.datagram` takes it: its conversation (only the
        ``stream`` number) and direction (0 from the originator); ``count=False`` only finds or numbers the
        conversation (a datagram quoted in an ICMP error)."""
        ids = self.ids([src, dst]).tolist()
        a = (ids[0] << 16) | sport
        b = (ids[1] << 16) | dport
        if self._wide:
            key = (min(a, b) << 48) | max(a, b)
            r = self._index.get(key)
        else:
            key = (min(a, b) << 32) | max(a, b)
            r = self._index.get(key)
            if r is None and len(self._keys):
                found = int(self._find(np.array([key], dtype=np.uint64))[0])
                r = found if found >= 0 else None
        if r is None:
            r = self._index[key] = self.n
            if len(self._index) >= self.PENDING_MAX and not self._wide:
                self._merge()
            self._spill()
            table = self._grow(r + 1)
            self.n = r + 1
            flip = (2 if sport < 1024 else 1 if sport < 49152 else 0) > \
                (2 if dport < 1024 else 1 if dport < 49152 else 0)
            row = table[r - self._base]
            row[ORIG], row[RESP] = (b, a) if flip else (a, b)
            row[FIRST_TS] = row[LAST_TS] = ts
            row[FIRST_FRAME] = row[LAST_FRAME] = num
            row[GUESSED] = flip
            made = True
        else:
            made = False
        old = None
        if r < self._base:          # (a row the file holds: loaded past the live ones, written back)
            self._grow(self.n + 1)
            old = np.array([r], dtype=np.int64)
            at = self._load(old, self.n - self._base)
            row = self._table[at[0]]
        else:
            row = self._table[r - self._base]
        # (to its own endpoint: the originator's only for the datagram that made the conversation, see add())
        d = (0 if made else 1) if a == b else (0 if int(row[ORIG]) == a else 1)
        if count:
            row[PKTS + d] += 1
            row[FBYTES + d] += frame_len
            row[PBYTES + d] += payload_len
            row[LAST_TS] = ts
            row[LAST_FRAME] = num
        if old is not None:
            self._store(old, at)
        return Stream(r), d

    # -- rows ------------------------------------------------------------------------------------------------
    def column(self, key: str, lo: int = 0, hi: int | None = None, texts: list | None = None) -> list:
        """The values of one key of the summary rows (:data:`ROW_KEYS`), in stream order (of the
        conversations ``lo`` to ``hi``; ``texts``: the addresses' texts by id, if made already)."""
        n = self.n if hi is None else min(hi, self.n)
        lo = min(lo, n)
        return self._column(key, self.block(lo, n), lo, texts)

    def _column(self, key: str, t: np.ndarray, lo: int, texts: list | None) -> list:
        """:meth:`column` of the rows ``t`` (from row ``lo`` on)."""
        n = len(t)
        if key in _FROM_TABLE:
            return t[:, _FROM_TABLE[key]].tolist()
        if key in _ENDPOINT:
            col, addr = _ENDPOINT[key]
            ep = t[:, col].astype(np.uint64)
            if not addr:
                return (ep & _PORT).tolist()
            if texts is None:
                texts = self.texts()
            return [texts[i] for i in (ep >> _U16).tolist()]
        if key == "stream":
            return list(range(lo, lo + n))
        if key == "ts":
            return list(map(_seconds, t[:, FIRST_TS].tolist()))
        if key == "duration":
            return list(map(_seconds, (t[:, LAST_TS] - t[:, FIRST_TS]).tolist()))
        if key == "orig_guessed":
            return (t[:, GUESSED] == 1).tolist()
        if key in ("conn_state", "history"):
            o, r = (t[:, PKTS] > 0).tolist(), (t[:, PKTS + 1] > 0).tolist()
            i = 0 if key == "conn_state" else 1
            return [_STATE[x][i] for x in zip(o, r, strict=True)]
        if key in _CONSTANT:
            return [_CONSTANT[key]] * n
        return [None] * n

    def texts(self) -> list:
        """The addresses' texts by id."""
        return [_addr(a) for a in self.addresses]

    def values(self, keys: tuple[str, ...] = ROW_KEYS) -> Iterator[tuple]:
        """Each conversation's values of ``keys`` (None for a key rows lack), in stream order (made
        _VALUES_ROWS conversations at a time: the columns of every conversation at once were ~5 MB at 1M
        synthetic frames, the end's peak of memory)."""
        texts = self.texts() if any(_ENDPOINT.get(k, (0, False))[1] for k in keys) else None
        n = self.n
        for lo in range(0, n, _VALUES_ROWS):
            t = self.block(lo, min(n, lo + _VALUES_ROWS))
            yield from zip(*(self._column(k, t, lo, texts) for k in keys), strict=True)

    def summaries(self, release: bool = False) -> list[dict[str, Any]]:
        """Summary rows in stream order, as :meth:`analyzer.flows.UdpTable.summaries` gives them
        (``release``: the table is emptied)."""
        rows = [dict(zip(ROW_KEYS, v, strict=True)) for v in self.values()]
        if release:
            self.__init__()
        return rows

    def release_summaries(self) -> Iterator[dict[str, Any]]:
        yield from self.summaries(release=True)

    def rows(self, keep: tuple[str, ...] | None = None) -> ColumnRows:
        """The rows as a re-readable store (:class:`ColumnRows`); the index is dropped (no more counting)."""
        self._index = {}
        self._keys = np.zeros(0, dtype=np.uint64)
        self._rows = np.zeros(0, dtype=np.int64)
        self._ids = {}
        return ColumnRows(self, keep)


_VALUES_ROWS = 4096      # conversations whose values UdpColumns.values makes at once


class ColumnRows:
    """The summary rows of a :class:`UdpColumns`, read like :class:`analyzer.columnar.rows.SpilledRows`: iterate
    (a dict per row, only ``keep``'s keys if given) or ``tuples(keys)``, as often as needed, in stream order."""

    def __init__(self, table: UdpColumns, keep: tuple[str, ...] | None = None) -> None:
        self._table = table
        self._keep = keep

    def __len__(self) -> int:
        return self._table.n

    def __iter__(self) -> Iterator[dict[str, Any]]:
        from analyzer.columnar.rows import Row

        keep = self._keep
        if keep is None:
            for v in self._table.values():
                yield Row(zip(ROW_KEYS, v))
            return
        keys = tuple(k for k in keep if k in ROW_KEYS)
        for v in self._table.values(keys):
            yield Row(zip(keys, v))

    def table_widths(self, proto: str) -> tuple[dict[Any, int], int, int | None] | None:
        """What a table's width pass would read (see :meth:`analyzer.columnar.rows.SpilledRows.table_widths`),
        from the columns: each address -> the longest text of a port it has in a row, the longest stream
        number text, the earliest start; None when ``keep`` left out one of those keys."""
        keep = self._keep
        if keep is not None and any(k not in keep for k in _WIDTH_KEYS):
            return None
        table = self._table
        n = table.n
        if proto != _CONSTANT["proto"] or not n:
            return {}, 0, None
        longest = np.zeros(len(table.addresses), dtype=np.int64)
        seen = np.zeros(len(table.addresses), dtype=bool)
        first = None
        for lo in range(0, n, _VALUES_ROWS):
            t = table.block(lo, min(n, lo + _VALUES_ROWS))
            ep = np.concatenate([t[:, ORIG], t[:, RESP]]).astype(np.uint64)
            ids = (ep >> _U16).astype(np.int64)
            ports = (ep & _PORT).astype(np.int64)
            digits = 1 + (ports >= 10) + (ports >= 100) + (ports >= 1000) + (ports >= 10000)
            np.maximum.at(longest, ids, digits)
            seen[ids] = True
            least = int(t[:, FIRST_TS].min())
            first = least if first is None else min(first, least)
        ends: dict[Any, int] = {}
        # the ids in use, ascending (np.unique would do, but its first plain call imports numpy.ma: ~10 ms)
        at = np.flatnonzero(seen)
        for i, k in zip(at.tolist(), longest[at].tolist(), strict=True):
            text = _addr(table.addresses[i])
            ends[text] = max(k, ends.get(text, 0))
        return ends, len(str(n - 1)), first

    def tuples(self, keys: tuple[str, ...]) -> Iterator[tuple]:
        """Each row's values of ``keys`` (None for a key a row lacks, or that ``keep`` left out)."""
        keep = self._keep
        if keep is not None and any(k not in keep for k in keys):
            keys = tuple(k if k in keep else "" for k in keys)       # ("": a key no row has)
        return self._table.values(keys)

    def close(self) -> None:
        pass
