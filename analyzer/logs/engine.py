"""Many captures, or one large capture, analysed on several cores or machines (Dask), with the same results as
one process on the merged input, row for row.

Theory of operation
-------------------
The input (files merged by time, as :mod:`analyzer.capture.merge` reads them) is cut into *units*: each file,
and a large uncompressed file into chunks at record boundaries (:mod:`analyzer.capture.chunks`). Then:

1. **Census and numbering** (one task per unit, cheap: each frame's headers). Each unit's frame count and
   times give every frame its number in the merged capture: when the files follow one another in time this
   is an offset per unit; when they overlap, the merge is replayed on their timestamps (the frames of each
   file keep their order; between files the earliest goes first, ties in input order). A file whose chunks
   do not read exactly as the whole file would (damage inside a non-final chunk) becomes one unit again. The
   census also lists the flow keys of each frame (:mod:`analyzer.logs.keys`), so the flows whose frames lie
   in more than one unit (a connection across a file or chunk boundary) are known before any analysis.
2. **Analysis** (one task per unit): the unit's frames, numbered as in the merged capture, through one
   analysis pass (:class:`analyzer.api.build.Analysis`, or the connection count of ``conversations``),
   leaving out the frames of the flows that cross units.
3. **Stitching**: the flows that cross units are analysed from all their frames, in merged order, by the
   stitch tasks. Everything a flow's rows hold depends only on that flow's frames, so the result is the
   single-process one, and every frame is analysed once.
4. **Merging**: rows are put in the order one process gives them (connections by first frame, DNS by the
   frame that began each transaction, HTTP by the first byte of each transaction), and ``tcp.stream`` /
   ``udp.stream`` are renumbered as Wireshark numbers them: by the first frame of each flow.

Where the work runs: ``workers=N`` starts a local Dask cluster of N processes (gone at the end);
``scheduler="tcp://host:8786"`` uses a running cluster (its workers must see the same file paths). Dask
retries a task whose worker died; the tasks return values and write nothing, so a retried task neither loses
nor duplicates a row (``analyzer logs`` writes its files itself, see :mod:`analyzer.logs.write`).
"""

from __future__ import annotations

import heapq
import itertools
import os
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Self

from analyzer.api.build import Analysis, Results, count, tc_retries, with_local_nets
from analyzer.api.iplevel import LocalNets
from analyzer.capture.chunks import Chunk, ChunkReader, plan_chunks, splittable
from analyzer.capture.merge import expand_inputs
from analyzer.capture.reader import CaptureReader, CaptureWarning
from analyzer.decode.decode_as import decoding_as, spelling
from analyzer.logs.keys import Components, Key, flow_key, frame_keys
from analyzer.pipeline import gc_paused

CHUNK_SIZE = 64 << 20           # bytes per chunk of a large file (about 130k frames of a web capture)
MIN_CHUNK_SIZE = 4 << 20
WORKERS_PER_CORE = 4            # local processes per core, at most (-j 99999 started 99,999 and never finished)


class ParallelError(Exception):
    """The parallel run cannot start (Dask missing, scheduler unreachable); the message says why."""


# -- units -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Unit:
    """One piece of work: input file number ``file`` (its order among the inputs), whole or one chunk."""

    id: int
    file: int
    path: str
    chunk: Chunk | None = None

    def open(self, on_warning: Callable[[CaptureWarning], None] | None = None,
             on_secrets: Callable[[int, bytes], None] | None = None):
        if self.chunk is None:
            return CaptureReader(self.path, on_warning, on_secrets)
        return ChunkReader(self.chunk, on_warning, on_secrets)


def plan_units(paths: list[str], workers: int, chunk_size: int | None = None) -> list[Unit]:
    """Each file a unit; a large uncompressed one cut into chunks of equal size, as few as keep every worker
    busy (every chunk boundary is crossed by connections that must be analysed again): a multiple of the
    workers when the input is one file, none smaller than :data:`MIN_CHUNK_SIZE` nor larger than
    ``chunk_size`` (default :data:`CHUNK_SIZE`)."""
    workers = max(workers, 1)
    limit = chunk_size or CHUNK_SIZE
    sizes = [os.path.getsize(p) if splittable(p) else 0 for p in paths]
    share = (sum(sizes) or 1) // workers + 1          # a worker's share of the input
    units: list[Unit] = []
    for i, path in enumerate(paths):
        size = sizes[i]
        want = min(limit, max(MIN_CHUNK_SIZE, share)) if chunk_size is None else chunk_size
        if size > want * 5 // 4:
            parts = -(-size // want)
            if len(paths) == 1 and chunk_size is None:
                parts = -(-parts // workers) * workers          # equal chunks, a multiple of the workers
            for chunk in plan_chunks(path, size // parts + 1):
                units.append(Unit(len(units), i, path, chunk))
        else:
            units.append(Unit(len(units), i, path))
    return units


# -- task 1: numbering ------------------------------------------------------------------------------------------
@dataclass(slots=True)
class Census:
    """What numbering needs of a unit: frame count, first and last time, whether its times never go back,
    whether it read exactly to its end, and (when asked) every frame's time."""

    unit: int
    frames: int = 0
    first_ts: int | None = None
    last_ts: int | None = None
    ordered: bool = True
    exact: bool = True
    times: bytes | None = None
    # the unit's Decryption Secrets Blocks: (frames of the unit read before it, secrets type, bytes)
    secrets: list[tuple[int, int, bytes]] = field(default_factory=list)
    # the flows of its frames (not when asked for times): every key, the groups of keys seen on one frame, and
    # which keys each frame has: ``frame_keys[i]`` indexes ``key_sets`` (-1: none); from these the driver knows,
    # before any analysis, which flows cross units and which frames belong to them (see :func:`positions`)
    keys: set[Key] = field(default_factory=set)
    groups: set[tuple[Key, ...]] = field(default_factory=set)
    key_sets: list[tuple[Key, ...]] = field(default_factory=list)
    frame_keys: bytes = b""


def census(unit: Unit, times: bool = False, decode_as: tuple[str, ...] = ()) -> Census:
    """Task 1: a unit's frame count and times (see :class:`Census`), and unless ``times``, its flows."""
    out = Census(unit.id)
    ts_list = array("q")
    problems: list[CaptureWarning] = []
    n = 0
    sets: dict[tuple[Key, ...], int] = {}
    per_frame = array("i")
    mark = per_frame.append

    def secret(kind: int, data: bytes) -> None:
        if not times:
            out.secrets.append((n, kind, data))

    with gc_paused(), decoding_as(decode_as), unit.open(problems.append, secret) as reader:
        if not times and _pcap_reader(unit, reader):
            _census_columns(reader, out, sets, per_frame)
        else:
            last = None
            for frame in reader:
                ts = frame.ts_ns
                if last is not None and ts < last:
                    out.ordered = False
                if out.first_ts is None:
                    out.first_ts = ts
                last = ts
                n += 1
                if times:
                    ts_list.append(ts)
                    continue
                ks = frame_keys(frame)
                if not ks:
                    mark(-1)
                    continue
                i = sets.get(ks)
                mark(_new_key_set(out, sets, ks) if i is None else i)
            out.frames = n
            out.last_ts = last
        if not times:
            out.key_sets = list(sets)
            out.frame_keys = per_frame.tobytes()
        if unit.chunk is not None:
            out.exact = not problems and not reader.stopped
    if times:
        out.times = ts_list.tobytes()
    return out


def _new_key_set(out: Census, sets: dict[tuple[Key, ...], int], ks: tuple[Key, ...]) -> int:
    """A frame's key set not seen before in the unit: its index in ``sets``, its keys (and the set, when it
    has several: a group) added to the census."""
    i = sets[ks] = len(sets)
    out.keys.update(ks)
    if len(ks) > 1:
        out.groups.add(ks)
    return i


def _pcap_reader(unit: Unit, reader: Any) -> bool:
    """A classic pcap (no Decryption Secrets Blocks, whose positions the census counts frame by frame): its
    census reads batches of records with the columnar core's header parser."""
    if unit.chunk is not None:
        return unit.chunk.format == "pcap"
    return getattr(reader, "format", None) == "pcap"


def _census_columns(reader: Any, out: Census, sets: dict[tuple[Key, ...], int], per_frame: array) -> None:
    """:func:`census` over the reader's batches: times from the columns, the keys of TCP segments and UDP
    datagrams from the header columns (:mod:`analyzer.columnar.headers` reads what
    :func:`~analyzer.flows.quick.quick_headers` reads, the addresses as the columnar core writes them), the
    other frames' keys by :func:`~analyzer.logs.keys.frame_keys`."""
    import numpy as np

    from analyzer.columnar.count import _addresses  # the columnar core's address texts (speed's module)
    from analyzer.columnar.headers import KIND_SLOW, KIND_TCP, KIND_UDP, parse

    by_ints: dict[tuple, int] = {}
    n = 0
    last = None
    for batch in reader.batches():
        size = len(batch)
        if not size:
            continue
        ts = batch.ts_ns
        if out.first_ts is None:
            out.first_ts = int(ts[0])
        if out.ordered and ((last is not None and int(ts[0]) < last) or (size > 1 and bool((np.diff(ts) < 0).any()))):
            out.ordered = False
        last = int(ts[-1])
        n += size
        c = parse(batch)
        kind = c.kind
        marks = np.full(size, -1, dtype=np.int32)
        fast = np.flatnonzero((kind == KIND_TCP) | (kind == KIND_UDP))
        if len(fast):
            si, di, texts = _addresses(c, fast)
            got = []
            for k, s, sp, d, dp in zip(kind[fast].tolist(), si.tolist(), c.sport[fast].tolist(), di.tolist(),
                                       c.dport[fast].tolist(), strict=True):
                a, b = texts[s], texts[d]
                ints = (k, a, sp, b, dp)
                m = by_ints.get(ints)
                if m is None:
                    ks = (flow_key("tcp" if k == KIND_TCP else "udp", a, sp, b, dp),)
                    m = sets.get(ks)
                    if m is None:
                        m = _new_key_set(out, sets, ks)
                    by_ints[ints] = m
                got.append(m)
            marks[fast] = got
        for i in np.flatnonzero(kind == KIND_SLOW).tolist():
            ks = frame_keys(batch.frame(i))
            if ks:
                m = sets.get(ks)
                marks[i] = _new_key_set(out, sets, ks) if m is None else m
        per_frame.frombytes(marks.tobytes())
    out.frames = n
    out.last_ts = last


@dataclass(frozen=True, slots=True)
class Numbering:
    """The merged numbers of a unit's frames: ``offset + i`` (i from 1), or ``numbers[i - 1]``."""

    offset: int = 0
    numbers: bytes | None = None

    def number(self, position: int) -> int:
        """The merged number of the unit's frame at ``position`` (from 0)."""
        if self.numbers is None:
            return self.offset + position + 1
        return int.from_bytes(self.numbers[8 * position:8 * position + 8], sys.byteorder, signed=True)

    def apply(self, frames: Iterable[Any]) -> Iterator[Any]:
        if self.numbers is None:
            offset = self.offset
            for i, frame in enumerate(frames, 1):
                frame.number = offset + i
                yield frame
            return
        numbers = array("q")
        numbers.frombytes(self.numbers)
        for frame, number in zip(frames, numbers, strict=False):
            frame.number = number
            yield frame


# -- TLS keys ----------------------------------------------------------------------------------------------------
# A pcapng's Decryption Secrets Blocks give their keys to the analysis as they are read. One process reads a
# block when it asks its file for the frame after it, that is once the file's previous frame was analysed
# (a merge of files reads each file's next frame right after handing out its last one, and every file's
# first frame, with the blocks before it, at the start). So a block is *in force from* merged frame
# ``number(previous frame of its file) + 1``, or 1 before a file's first frame. A unit of work, or a stitch
# task, merges each block's keys into its key log before it analyses the first frame numbered at least that:
# every task holds the keys the single process held at each frame (see :func:`with_keys`).
Secrets = list[tuple[int, int, bytes]]          # (in force from frame number, secrets type, bytes), sorted


def secrets_in_force(units: list[Unit], counts: dict[int, Census], numbering: dict[int, Numbering]) -> Secrets:
    """Every unit's Decryption Secrets Blocks with the merged frame number they are in force from."""
    out: Secrets = []
    last_of_file: dict[int, int] = {}       # the merged number of the file's last frame in the units so far
    for u in units:
        c = counts[u.id]
        numbers = None
        if numbering[u.id].numbers is not None:
            numbers = array("q")
            numbers.frombytes(numbering[u.id].numbers)
        for k, kind, data in c.secrets:
            if k > 0:
                at = (numbers[k - 1] if numbers is not None else numbering[u.id].offset + k) + 1
            else:
                at = last_of_file.get(u.file, 0) + 1
            out.append((at, kind, data))
        if c.frames:
            last_of_file[u.file] = (numbers[c.frames - 1] if numbers is not None
                                    else numbering[u.id].offset + c.frames)
    out.sort(key=lambda s: s[0])
    return out


def with_keys(frames: Iterable[Any], secrets: Secrets, keylog: Any) -> Iterator[Any]:
    """The frames (numbered, in merged order), each block of ``secrets`` merged into ``keylog`` before the
    first frame it is in force for."""
    if not secrets:
        yield from frames
        return
    from analyzer.apps.tls.keylog import secrets_receiver

    receive = secrets_receiver(keylog)
    i = 0
    for frame in frames:
        while i < len(secrets) and secrets[i][0] <= frame.number:
            receive(secrets[i][1], secrets[i][2])
            i += 1
        yield frame


def _task_keylog(keylog: Any) -> Any:
    """A task's own key log: a copy of the one given (blocks are merged into it as the frames go)."""
    from analyzer.apps.tls.keylog import KeyLog

    return KeyLog().merge(keylog) if keylog is not None else KeyLog()


def number_units(units: list[Unit], counts: dict[int, Census], get_times: Callable[[list[Unit]], dict[int, bytes]]
                 ) -> tuple[dict[int, Numbering], int | None]:
    """The numbering of every unit, and the time of the merged capture's first frame."""
    files: dict[int, list[Unit]] = {}
    for u in units:
        files.setdefault(u.file, []).append(u)
    spans = []
    for f, us in files.items():
        cs = [counts[u.id] for u in us if counts[u.id].frames]
        if cs:
            ordered = all(c.ordered for c in cs) and all(a.last_ts <= b.first_ts for a, b in itertools.pairwise(cs))
            spans.append((cs[0].first_ts, cs[-1].last_ts, f, ordered))
    spans.sort(key=lambda s: (s[0], s[2]))
    # files that follow one another: each starts after the last frame of the one before (ties: input order)
    chained = all(s[3] for s in spans) and all(
        a[1] < b[0] or (a[1] == b[0] and a[2] < b[2]) for a, b in itertools.pairwise(spans))
    numbering: dict[int, Numbering] = {}
    first_ts = spans[0][0] if spans else None
    if chained or len(spans) <= 1:
        offset = 0
        for _first, _last, f, _ordered in spans:
            for u in files[f]:
                numbering[u.id] = Numbering(offset)
                offset += counts[u.id].frames
        for u in units:
            numbering.setdefault(u.id, Numbering(0))
        return numbering, first_ts
    # overlapping files: replay the merge on the times
    times = get_times(units)

    def tagged(f: int) -> Iterator[tuple[int, int, int, int]]:
        for u in files[f]:
            ts = array("q")
            ts.frombytes(times[u.id])
            for i, t in enumerate(ts):
                yield t, f, u.id, i

    per_unit = {u.id: array("q", bytes(8 * counts[u.id].frames)) for u in units}
    for number, (_t, _f, uid, i) in enumerate(heapq.merge(*(tagged(f) for f in sorted(files))), 1):
        per_unit[uid][i] = number
    return {uid: Numbering(numbers=arr.tobytes()) for uid, arr in per_unit.items()}, first_ts


# -- task 2: analysis ---------------------------------------------------------------------------------------------
@dataclass
class UnitResult:
    """A unit's (or a stitch task's) rows."""

    source: int
    results: Results
    stitched: bool = False


def _analyse(frames: Iterable[Any], kind: str, display_filter: str | None, keylog: Any = None,
             secrets: Secrets | None = None) -> Results:
    if kind == "tx":
        keylog = _task_keylog(keylog)
        frames = with_keys(frames, secrets or [], keylog)
    if kind == "count":
        if display_filter:
            from analyzer.filter import compile_filter
            from analyzer.filter.apply import matching_frames

            frames = matching_frames(frames, compile_filter(display_filter))
        return count(frames)
    if display_filter:
        from analyzer.filter import compile_filter
        from analyzer.filter.apply import FrameMatcher

        matcher = FrameMatcher(compile_filter(display_filter))
        results = Analysis(matcher=matcher, keylog=keylog).run(frames)
        results.dns = [d for d in results.dns if matcher.any(d.query_frame, d.response_frame)]
        results.http = [h for h in results.http if matcher.any(h.request_frame, h.response_frame)]
        kept = {(h.uid, h.trans_depth) for h in results.http}
        results.files = [f for f in results.files if (f.uid, f.depth) in kept]
        results.tls = [t for t in results.tls if matcher.any(t.first_frame)]
        return results
    return Analysis(keylog=keylog).run(frames)


def analyse_unit(unit: Unit, numbering: Numbering, kind: str, display_filter: str | None = None,
                 keylog: Any = None, secrets: Secrets | None = None, decode_as: tuple[str, ...] = (),
                 skip: bytes = b"") -> UnitResult:
    """Task 2: the unit's frames, numbered as in the merged capture, analysed, but for those at the positions
    ``skip`` (the frames of flows that cross units: their stitch task analyses them, see :func:`positions`).
    ``decode_as``: tshark's ``-d`` rules, in force for the task (a worker is another process)."""
    with decoding_as(decode_as), unit.open() as reader:
        if kind == "count" and not display_filter and numbering.numbers is None:
            # the columnar core counts every frame (those of the crossing flows too: cheaper than cutting the
            # batches around them; their rows are dropped at the merge, the stitch task's kept)
            return UnitResult(unit.id, count(_Batched(reader, numbering.offset)))
        frames = numbering.apply(reader)
        if skip:
            frames = _skipping(frames, skip)
        return UnitResult(unit.id, _analyse(frames, kind, display_filter, keylog, secrets))


class _Batched:
    """A unit's reader offered to the columnar core (:func:`count`), its frames numbered from ``offset + 1``."""

    def __init__(self, reader: Any, offset: int):
        self.reader = reader
        self.offset = offset

    def __iter__(self) -> Iterator[Any]:
        return iter(Numbering(self.offset).apply(self.reader))

    def batches(self) -> Iterator[Any]:
        offset = self.offset
        for batch in self.reader.batches():
            batch.first_number += offset
            yield batch


def _skipping(frames: Iterable[Any], skip: bytes) -> Iterator[Any]:
    left = array("i")
    left.frombytes(skip)
    nxt, k, end = left[0], 0, len(left)
    for i, frame in enumerate(frames):
        if i == nxt:
            k += 1
            nxt = left[k] if k < end else -1
            continue
        yield frame


def positions(c: Census, wanted: set[Key] | frozenset[Key]) -> bytes:
    """The positions (from 0) of the unit's frames that belong to the flows ``wanted`` (an array of ints)."""
    hit = [any(k in wanted for k in ks) for ks in c.key_sets]
    if not any(hit):
        return b""
    marks = array("i")
    marks.frombytes(c.frame_keys)
    return array("i", [i for i, m in enumerate(marks) if m >= 0 and hit[m]]).tobytes()


# -- task 3: stitching -------------------------------------------------------------------------------------------
def stitch(units: list[Unit], numbering: dict[int, Numbering], picks: dict[int, bytes], kind: str,
           display_filter: str | None, source: int, keylog: Any = None,
           secrets: Secrets | None = None, decode_as: tuple[str, ...] = ()) -> UnitResult:
    """Task 3: the frames of some flows (``picks[unit id]``: positions in the unit, see :func:`positions`)
    from every unit that has some, in merged order, analysed together."""

    def selected(unit: Unit) -> Iterator[tuple[int, Any]]:
        wanted = array("i")
        wanted.frombytes(picks[unit.id])
        if not wanted:
            return
        nxt, k = wanted[0], 0
        with unit.open() as reader:
            if _pcap_reader(unit, reader):
                # records in batches: a Frame made only for the frames wanted (most of a unit is not)
                number = numbering[unit.id].number
                base = 0
                for batch in reader.batches():
                    n = len(batch)
                    while nxt < base + n:
                        frame = batch.frame(nxt - base)
                        frame.number = number(nxt)
                        yield frame.number, frame
                        k += 1
                        if k == len(wanted):
                            return
                        nxt = wanted[k]
                    base += n
                return
            for i, frame in enumerate(numbering[unit.id].apply(reader)):
                if i == nxt:
                    yield frame.number, frame
                    k += 1
                    if k == len(wanted):
                        return
                    nxt = wanted[k]

    frames = (frame for _n, frame in heapq.merge(*(selected(u) for u in units)))
    with decoding_as(decode_as):
        return UnitResult(source, _analyse(frames, kind, display_filter, keylog, secrets), stitched=True)


# -- merging -----------------------------------------------------------------------------------------------------
def _conn_key(c: Any) -> Key:
    return flow_key(c.proto, c.orig_h, c.orig_p, c.resp_h, c.resp_p)


def _dns_key(d: Any) -> Key:
    return flow_key(d.proto, d.orig_h, d.orig_p, d.resp_h, d.resp_p)


def _http_key(h: Any) -> Key:
    return flow_key("tcp", h.orig_h, h.orig_p, h.resp_h, h.resp_p)


def merge(parts: list[UnitResult], cross: set[Key], frames: int, first_ts: int | None) -> Results:
    """The rows of every part in single-process order, flows in ``cross`` taken only from stitch parts,
    streams renumbered by first frame."""
    tcp: list[tuple[int, int, Any]] = []
    udp: list[tuple[int, int, Any]] = []
    icmp: list[tuple[int, int, Any]] = []
    dns: list[tuple[int, Any]] = []
    http: list[tuple[int, Any, list]] = []
    tls: list[tuple[int, Any]] = []
    for part in parts:
        r = part.results
        keep = (lambda key: key in cross) if part.stitched else (lambda key: key not in cross)
        tcp += [(c.first_frame, part.source, c) for c in r.connections if keep(_conn_key(c))]
        udp += [(c.first_frame, part.source, c) for c in r.udp if keep(_conn_key(c))]
        icmp += [(c.first_frame, part.source, c) for c in r.icmp if keep(_conn_key(c))]
        dns += [(part.source, d) for d in r.dns if keep(_dns_key(d))]
        files_of: dict[tuple[str, int], list] = {}
        for f in r.files:
            files_of.setdefault((f.uid, f.depth), []).append(f)
        http += [(part.source, h, files_of.get((h.uid, h.trans_depth), [])) for h in r.http if keep(_http_key(h))]
        tls += [(part.source, t) for t in r.tls if keep(_http_key(t))]
    tcp.sort(key=lambda t: t[0])
    udp.sort(key=lambda t: t[0])
    icmp.sort(key=lambda t: t[0])
    streams: dict[tuple[str, int, int], int] = {}
    for proto, items in (("tcp", tcp), ("udp", udp), ("icmp", icmp)):
        for new, (_first, source, c) in enumerate(items):
            streams[(proto, source, c.stream)] = new
    connections = [replace(c, stream=streams[("tcp", s, c.stream)]) for _f, s, c in tcp]
    udps = [replace(c, stream=streams[("udp", s, c.stream)]) for _f, s, c in udp]
    icmps = [replace(c, stream=streams[("icmp", s, c.stream)]) for _f, s, c in icmp]
    dns_rows = [replace(d, stream=streams.get((d.proto, s, d.stream), d.stream)) for s, d in dns]
    dns_rows.sort(key=lambda d: d.query_frame if d.query_frame is not None else d.response_frame)
    http_rows = []
    for s, h, files in http:
        stream = streams.get(("tcp", s, h.stream), h.stream)
        http_rows.append((replace(h, stream=stream), [replace(f, stream=stream) for f in files]))
    http_rows.sort(key=lambda item: _http_order(item[0]))
    tls_rows = [replace(t, stream=streams.get(("tcp", s, t.stream), t.stream)) for s, t in tls]
    tls_rows.sort(key=lambda t: (t.ts_ns, t.first_frame, t.stream))
    return Results(connections=connections, udp=udps, icmp=icmps, dns=tc_retries(dns_rows), http=[h for h, _ in http_rows],
                   files=[f for _, fs in http_rows for f in fs], tls=tls_rows, frames=frames, first_ts_ns=first_ts)


def _http_order(h: Any) -> tuple:
    """The HTTP tracker's order: first byte of the request (else the response), its frame, stream, depth."""
    if h.ts_ns is None:
        return (0, 0, h.stream, h.trans_depth)
    first = h.details.get("request_first_frame") or h.details.get("response_first_frame") or 0
    return (h.ts_ns, first, h.stream, h.trans_depth)


# -- the driver --------------------------------------------------------------------------------------------------
# Dask settings of the local cluster: what its processes do while they wait or work, besides the tasks. The
# defaults suit an interactive cluster with a dashboard: event-loop ticks every 20 ms in every process, a system
# monitor every 0.5 s, a memory monitor every 0.1 s, a statistical profiler sampling each task's stack every
# 10 ms. A local cluster of 2 running 2 short tasks then idling 10 s: 14.3-14.8 s CPU with those defaults,
# 9.2-10.0 s with these (two paired runs each, load 8-11).
LOCAL_CLUSTER_CONFIG = {
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.worker.profile.enabled": False,
}


class Runner:
    """Runs functions as tasks: on a Dask cluster (local or remote), or in this process."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None, progress: bool = False):
        self.progress = progress
        self.client = None
        self.cluster = None
        if scheduler is None and (workers or 1) <= 1:
            return
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ParallelError("more than one process needs Dask's distributed package, which is not "
                                "installed: pip install 'analyzer[dask]'") from None
        if scheduler is not None:
            try:
                self.client = Client(scheduler, timeout="10s")
            except OSError as exc:
                raise ParallelError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        else:
            import logging

            import dask

            logging.getLogger("distributed").setLevel(logging.ERROR)
            # the servers' bookkeeping for dashboards nobody opens here, slowed down (the nannies keep the
            # setting for the workers they restart)
            with dask.config.set(LOCAL_CLUSTER_CONFIG):
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.ERROR)
                self.client = Client(self.cluster)

    @property
    def workers(self) -> int:
        if self.client is None:
            return 1
        return max(len(self.client.scheduler_info().get("workers", {})), 1)

    def map(self, fn: Callable[..., Any], calls: list[tuple], label: str = "") -> list[Any]:
        """``[fn(*args) for args in calls]``, as tasks; results in the order of ``calls``."""
        if self.client is None:
            return [fn(*args) for args in calls]
        futures = [self.client.submit(fn, *args, pure=False) for args in calls]
        if self.progress and futures and label:
            from distributed import progress

            print(label, file=sys.stderr)
            progress(futures)
            print(file=sys.stderr)
        return self.client.gather(futures)

    def submit(self, fn: Callable[..., Any], calls: list[tuple], label: str = "") -> list[Any]:
        """``fn(*args)`` for each call as tasks whose results stay where they were computed: Dask futures
        (pass them to :meth:`map`/:meth:`submit` as arguments, or :meth:`gather` them), or in this process
        the results themselves."""
        if self.client is None:
            return [fn(*args) for args in calls]
        futures = [self.client.submit(fn, *args, pure=False) for args in calls]
        if self.progress and futures and label:
            from distributed import progress, wait

            print(label, file=sys.stderr)
            progress(futures)
            print(file=sys.stderr)
            wait(futures)
        return futures

    def gather(self, handles: list[Any]) -> list[Any]:
        """The results of :meth:`submit`'s handles, here."""
        if self.client is None:
            return list(handles)
        return self.client.gather(handles)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def run_parallel(inputs: Any, kind: str, *, workers: int | None = None, scheduler: str | None = None,
                 display_filter: str | None = None, chunk_size: int | None = None, progress: bool = False,
                 runner: Runner | None = None, keylog: Any = None, decode_as: Iterable[Any] = (),
                 local_nets: LocalNets | None = None) -> Results:
    """The :class:`Results` of ``inputs`` (paths, directories, globs) merged by time, computed by units of
    work on a Dask cluster; ``kind`` is ``"tx"`` (connections, DNS, HTTP, files, TLS: :class:`Analysis`) or
    ``"count"`` (connections only, as ``analyzer conversations`` counts them). ``keylog``: TLS secrets (an
    :class:`~analyzer.apps.tls.KeyLog`); the captures' Decryption Secrets Blocks are used as one process
    uses them. ``decode_as``: tshark's ``-d`` rules (text or :class:`~analyzer.decode.decode_as.Rule`), in
    force in every task. ``local_nets``: see :func:`analyzer.open` (None: Zeek's default). Equal to one
    process's."""
    return _run(inputs, kind, workers=workers, scheduler=scheduler, display_filter=display_filter,
                chunk_size=chunk_size, progress=progress, runner=runner, keylog=keylog, decode_as=decode_as,
                local_nets=local_nets)


def write_parallel(inputs: Any, directory: str, fmt: str = "parquet", *, workers: int | None = None,
                   scheduler: str | None = None, chunk_size: int | None = None, progress: bool = False,
                   runner: Runner | None = None, keylog: Any = None, decode_as: Iterable[Any] = (),
                   local_nets: LocalNets | None = None) -> dict[str, int]:
    """``analyzer logs`` on many processes: as :func:`run_parallel` (kind ``"tx"``), but each task writes
    its own rows (:func:`analyzer.logs.write.write_logs`, files ``part-NNNNN`` named by the task, so a
    retried task rewrites the same files) into ``directory`` and hands back only their counts; the rows
    never travel to this process. The rows of the files are those one process writes (a flow across units
    only in its stitch task's files). Returns the rows of each log, and ``frames``."""
    return _run(inputs, "tx", workers=workers, scheduler=scheduler, chunk_size=chunk_size, progress=progress,
                runner=runner, keylog=keylog, decode_as=decode_as, write=(directory, fmt), local_nets=local_nets)


def kept(part: UnitResult, cross: set[Key]) -> Results:
    """A part's rows of the flows it owns: a unit's flows not in ``cross``, a stitch task's in ``cross``."""
    r = part.results
    keep = (lambda key: key in cross) if part.stitched else (lambda key: key not in cross)
    http = [h for h in r.http if keep(_http_key(h))]
    owned = {(h.uid, h.trans_depth) for h in http}
    return Results(connections=[c for c in r.connections if keep(_conn_key(c))],
                   udp=[c for c in r.udp if keep(_conn_key(c))], icmp=[c for c in r.icmp if keep(_conn_key(c))],
                   dns=[d for d in r.dns if keep(_dns_key(d))], http=http,
                   files=[f for f in r.files if (f.uid, f.depth) in owned],
                   tls=[t for t in r.tls if keep(_http_key(t))], frames=r.frames, first_ts_ns=r.first_ts_ns)


def write_part(part: UnitResult, cross: set[Key], directory: str, fmt: str,
               local_nets: LocalNets | None = None) -> dict[str, int]:
    """Task: write a part's own rows as logs (``part-NNNNN`` after the part's number); their counts."""
    from analyzer.logs.write import log_rows, write_logs

    with gc_paused():
        results = with_local_nets(kept(part, cross), local_nets)
        write_logs(results, directory, fmt, part=f"part-{part.source:05d}")
        return {name: len(rows) for name, rows in log_rows(results).items()}


def _run(inputs: Any, kind: str, *, workers: int | None, scheduler: str | None, display_filter: str | None = None,
         chunk_size: int | None, progress: bool, runner: Runner | None, keylog: Any, decode_as: Iterable[Any],
         write: tuple[str, str] | None = None, local_nets: LocalNets | None = None) -> Any:
    # absolute paths: a worker of a running cluster has its own working folder (it must see the same files)
    paths = [os.path.abspath(p) for p in expand_inputs(inputs)]
    rules = tuple(spelling(rule) for rule in decode_as)
    own = runner is None
    if scheduler is None and workers:
        workers = min(workers, WORKERS_PER_CORE * (os.cpu_count() or 1))
    runner = runner or Runner(workers, scheduler, progress)
    try:
        units = plan_units(paths, workers or runner.workers, chunk_size)
        counts = {c.unit: c for c in runner.map(census, [(u, False, rules) for u in units],
                                                 "reading record headers and flows")}
        units = _regroup(units, counts, runner, rules)
        counts = {u.id: counts[u.id] for u in units}

        def get_times(us: list[Unit]) -> dict[int, bytes]:
            return {c.unit: c.times for c in runner.map(census, [(u, True) for u in us], "reading times")}

        numbering, first_ts = number_units(units, counts, get_times)
        frames = sum(c.frames for c in counts.values())
        secrets = secrets_in_force(units, counts, numbering) if kind == "tx" else []
        keys = keylog if keylog is not None and len(keylog) else None
        # which flows cross units is known from the census: the units leave those flows' frames to the stitch
        # tasks, so every frame is analysed once
        cross, groups = _cross([(u.id, counts[u.id].keys, counts[u.id].groups) for u in units],
                               workers or runner.workers)
        skips = {u.id: positions(counts[u.id], cross) for u in units} if cross else {}
        # the units' rows stay where they were made (a Dask future each) until merged or written
        held = runner.submit(analyse_unit, [(u, numbering[u.id], kind, display_filter, keys, secrets, rules,
                                             skips.get(u.id, b"")) for u in units], "analysing")
        if groups:
            calls = []
            for i, group in enumerate(groups):
                picks = {u.id: positions(counts[u.id], group) for u in units if counts[u.id].keys & group}
                us = [u for u in units if u.id in picks]
                calls.append((us, {u.id: numbering[u.id] for u in us}, picks, kind, display_filter, len(units) + i,
                              keys, secrets, rules))
            held += runner.submit(stitch, calls, "stitching flows across files and chunks")
        skips.clear()
        for c in counts.values():       # the flows' marks are no longer needed here
            c.key_sets, c.frame_keys = [], b""
        if write is not None:
            directory, fmt = write
            written = runner.map(write_part, [(h, cross, directory, fmt, local_nets) for h in held], "writing")
            totals: dict[str, int] = {"frames": frames}
            for w in written:
                for name, n in w.items():
                    totals[name] = totals.get(name, 0) + n
            return totals
        with gc_paused():       # many new objects and no cycles: the collector's rescans tripled the merge
            parts: list[UnitResult] = runner.gather(held)
            return with_local_nets(merge(parts, cross, frames, first_ts), local_nets)
    finally:
        if own:
            runner.close()


def _regroup(units: list[Unit], counts: dict[int, Census], runner: Runner, rules: tuple[str, ...] = ()
             ) -> list[Unit]:
    """Files whose chunks did not read exactly as the whole file (damage in a chunk) become one unit again."""
    bad = {u.file for u in units if u.chunk is not None and not counts[u.id].exact
           and u.chunk.index < _last_chunk(units, u.file)}
    if not bad:
        return units
    out: list[Unit] = []
    redo = []
    for u in units:
        if u.file in bad:
            if u.chunk is not None and u.chunk.index > 0:
                continue
            u = Unit(u.id, u.file, u.path)
            redo.append(u)
        out.append(u)
    for c in runner.map(census, [(u, False, rules) for u in redo], "re-reading damaged files whole"):
        counts[c.unit] = c
    return out


def _last_chunk(units: list[Unit], file: int) -> int:
    return max(u.chunk.index for u in units if u.file == file and u.chunk is not None)


def _cross(parts: list[tuple[int, set[Key], set[tuple[Key, ...]]]], tasks: int
           ) -> tuple[set[Key], list[frozenset[Key]]]:
    """The keys of flows in more than one unit (with every key of their components), and those keys grouped
    into at most ``tasks`` stitch tasks (one per worker: each reads the units once). ``parts``: each unit's
    (id, keys, groups of keys seen on one frame)."""
    seen: dict[Key, int] = {}
    comps = Components()
    crossing = []
    for source, keys, groups in parts:
        for key in keys:
            if seen.setdefault(key, source) != source:
                crossing.append(key)
        for group in groups:
            comps.union(group)
    if not crossing:
        return set(), []
    roots = {comps.find(k) for k in crossing}
    members: dict[Key, set[Key]] = {}
    for _source, keys, _groups in parts:
        for key in keys:
            root = comps.find(key)
            if root in roots:
                members.setdefault(root, set()).add(key)
    cross = set().union(*members.values())
    n = max(1, min(tasks, len(members)))
    buckets: list[set[Key]] = [set() for _ in range(n)]
    for i, root in enumerate(sorted(members, key=repr)):
        buckets[i % n] |= members[root]
    return cross, [frozenset(b) for b in buckets if b]
