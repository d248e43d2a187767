"""The columnar counting pass: a :class:`analyzer.pipeline.Pipeline`'s flow tables filled from batches of
header columns, with the same result as :meth:`Pipeline.count` (one semantics: the tracker's own code runs
on every segment that can change a connection's state).

Per batch (:mod:`analyzer.capture.batches`, :mod:`analyzer.columnar.headers`):

* a batch holding a frame the header columns cannot read (IP fragments, options the quick reader does not
  take, ICMP, odd link types) goes frame by frame as :meth:`Pipeline.count` would take it;
* otherwise ARP frames are skipped (the analysis never looks at them), UDP datagrams are counted as columns,
  the batch's datagrams at once (:class:`analyzer.columnar.udp.UdpColumns`, which :func:`count` puts in
  place of the pipeline's :class:`~analyzer.flows.UdpTable`: the same conversations and rows; the frames
  taken frame by frame go to its ``datagram``), and TCP segments are grouped by connection (4-tuple). Within each group the segments that can
  change state (SYN, FIN, RST, the first of the group in a window, anything while the connection is not
  steady) go through :meth:`TcpTracker.segment`; runs of steady segments between them are applied by
  :func:`analyzer.columnar.tcp_batch.apply_runs`, many runs of many connections per numpy pass.
  The tracker is also entered without its per-segment lookups where the group shows what the segments are
  (the decision rule, made per window with numpy, :func:`_grouped_marks`, and checked against the tracker's
  state at the call):

  - an *ordinary handshake* goes to :meth:`TcpTracker.handshake` as one call, with no :class:`Attempt` kept
    in between: the group's first three segments in the window are a SYN (SYN alone of SYN/ACK/FIN/RST, no
    payload), a SYN-ACK from the other end acknowledging its sequence number + 1 (no FIN/RST, no payload),
    and a pure ACK from the first end (no SYN/FIN/RST, no payload) with the SYN's sequence number + 1,
    acknowledging the SYN-ACK's + 1; none with window 0 or after an idle gap; the two ends differ; and, at
    the call, the 4-tuple is neither open nor pending as an attempt (either way) nor remembered as finished
    (port reuse), and no sink is wanted. Anything else -- a retransmitted SYN, a SYN-ACK first, a RST, a
    SYN with payload, a handshake cut by a window or batch boundary -- goes segment by segment;
  - a *plain* segment (ACK set, neither SYN nor RST, not after an idle gap) of a connection that is not
    steady goes to :meth:`TcpTracker.plain` (the tracker's own state changes, without the lookups) when the
    connection has no sink, both SYNs acknowledged and both data starts known (:func:`plain_ok`): the data
    right after the handshake, the FINs and ACKs of the teardown, what comes after them, and the steady
    stretches shorter than ``_RUN_MIN`` segments. It stops where a longer steady run can start.

  - a *whole ordinary connection* (only for :func:`analyzer.columnar.rows.connection_rows`, ``whole=True``:
    a tracker that keeps no summaries, has an ``on_finish`` and wants no payload) never becomes a
    :class:`~analyzer.tcp.connection.Connection`: it is kept as one compact record
    (:mod:`analyzer.columnar.whole`) carried from window to window, and its row is made from the record
    when the tracker would finish it. The rule, decided per window (compiled, or numpy) over the group's segments
    (:func:`analyzer.columnar.whole.take`), starting either with an ordinary handshake (as above, at the
    group's first segment, its ACK stamped apart from its SYN -- else the iRTT is measured later, as tshark
    does --, the 4-tuple free as above and not held by a record) or with the open record of
    the 4-tuple: every later segment has ACK and neither SYN nor RST, a window other than 0 and no idle gap
    before it; each side's data segments and its FIN start exactly where its bytes so far end (no
    retransmission, reordering or hole; less than 2 GB each way); before the first FIN no ACK covers bytes
    the other side was not seen sending; and either there is no FIN (the record stays open) or the group
    ends with the teardown, with no payload: a FIN from one side, then an ACK of it and a FIN from the other
    side or that FIN+ACK alone, then the first side's ACK of it, and no other FIN (the record is torn down:
    SF, history in the order the letters occur, the closer in TIME_WAIT). A group the rule does not take
    goes the ways above, its record (if any) first made its connection (as is a record reached by any
    later segment, or an open record as idle as the sweep's shortest timeout, or at the end); a torn-down
    record is finished as a closed connection would be (idle longer than the closed-connection linger).

  tests/test_tcp_grouped.py compares the first two with :meth:`TcpTracker.segment` slot by slot on random
  connections; tests/test_columnar_whole.py the records (made connections, and their rows) with the
  per-packet tracker, and connections damaged at each condition of the whole rule.

  Groups are independent except for the tracker's idle-expiry sweep, which runs on packet time every 10 s:
  the batch is cut into windows at exactly the segments where the per-packet run would sweep, and the
  sweep runs between windows. Stream numbers (first-appearance order) are restored at the end from each
  connection's first frame.
"""

from __future__ import annotations

import heapq

import numpy as np

from analyzer.columnar.headers import KIND_SLOW, KIND_TCP, KIND_UDP, parse
from analyzer.columnar.tcp_batch import apply_runs, steady
from analyzer.columnar.udp import UdpColumns
from analyzer.columnar.whole import Wholes, take
from analyzer.compiled import compiled
from analyzer.flows.quick import _text
from analyzer.flows.udp import UdpTable
from analyzer.tcp.connection import plain_ok

_INF = 1 << 62
# a steady run shorter than this goes through TcpTracker.plain segment by segment (~3 us each) rather than
# apply_runs (~15 us of Python per run whatever its length)
_RUN_MIN = 8
_SYN = 0x02
M32 = 0xFFFFFFFF


def _addresses(c, sel: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """Small integer ids of the selected frames' source and destination addresses, and the text of each id
    (shared strings, cached): equal ids, equal addresses."""
    ver = c.ipver[sel]
    m = len(sel)
    lo = np.concatenate([c.src_lo[sel], c.dst_lo[sel]])
    v6 = np.concatenate([ver, ver]) == 6
    if not v6.any():
        uniq, inv = _unique_inverse(lo)
        ul = uniq.tolist()
        texts = list(map(_V4.get, ul))
        if None in texts:
            if len(_V4) >= 1 << 16:
                _V4.clear()
            for i, u in enumerate(ul):
                if texts[i] is None:
                    texts[i] = _V4[u] = _text(u.to_bytes(4, "big"))
    else:
        hi = np.concatenate([c.src_hi[sel], c.dst_hi[sel]])
        pairs = np.stack([np.where(v6, hi, 0), lo, v6.astype(np.uint64)], axis=1)
        uniq, inv = np.unique(pairs, axis=0, return_inverse=True)
        texts = [_text(h.to_bytes(8, "big") + lo_.to_bytes(8, "big")) if v else _text(lo_.to_bytes(4, "big"))
                 for h, lo_, v in uniq.tolist()]
    inv = inv.reshape(-1)
    return inv[:m], inv[m:], texts


# IPv4 address (as an int) -> its text (the same shared string _text gives), for the batches' address ids
_V4: dict[int, str] = {}


def _unique_py(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct uint64 ``values`` in ascending order and each value's position among them."""
    return np.unique(values, return_inverse=True)


def _compiled_unique():
    """:func:`_unique_py` by the compiled ``_speedups.factorize_u64`` (one hash pass and a sort of the distinct
    values only; a batch has a few hundred distinct addresses among thousands), unless it was not built or
    ANALYZER_PURE_PYTHON is set (then None)."""
    c = compiled("factorize_u64")
    if c is None:
        return None

    def unique_c(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inv, uniq = c(np.ascontiguousarray(values, dtype=np.uint64))
        return np.frombuffer(uniq, dtype=np.uint64), np.frombuffer(inv, dtype=np.int64)

    return unique_c


_unique_inverse = _compiled_unique() or _unique_py


class _Filtered:
    """A display filter the columns answer (:func:`analyzer.filter._vector.vector_filter`), and for the frames
    they cannot decide, the per-packet filter on a decode-only pipeline of those frames (fragments are held
    and released with the frame that completes them, as :func:`analyzer.filter.apply.select` does)."""

    def __init__(self, keep):
        from analyzer.filter._vector import vector_filter
        from analyzer.filter.apply import Selector
        from analyzer.pipeline import Pipeline

        self.vector = vector_filter(keep.text)
        if self.vector is None:
            raise ValueError(f"the columns cannot answer the filter {keep.text!r}")
        self.pipe = Pipeline(tcp=False, dns_over_tcp=False)
        self.selector = Selector(keep)


def count(pipe, reader, display_filter=None, whole: bool = False, on_wholes=None) -> None:
    """Fill ``pipe``'s flow tables from ``reader`` (a :class:`analyzer.capture.CaptureReader`) and finish it:
    the same tables as ``pipe.count(reader)``; with ``display_filter`` (compiled, and answerable by the
    columns: :func:`analyzer.filter._vector.vector_filter`), as
    ``pipe.count(matching_frames(reader, display_filter))``. ``whole``: ordinary connections are kept as
    :class:`analyzer.columnar.whole.Whole` records, never made connections, and ``on_finish`` is given those
    (only for a tracker that keeps no summaries, has an ``on_finish`` and wants no payload);
    ``on_wholes``: given the records a sweep (or the end) finishes, as one list, in place of ``on_finish``
    per record."""
    from analyzer.pipeline import gc_paused

    filtered = _Filtered(display_filter) if display_filter is not None else None
    if pipe.udp.__class__ is UdpTable and not pipe.udp.conversations:
        pipe.udp = UdpColumns()        # the same conversations and rows, counted a batch at a time
        pipe.timestamps = False         # no per-datagram fields are read here
    tracker = pipe.tcp
    if (whole and tracker is not None and not tracker.keep_summaries and tracker.on_finish is not None
            and not tracker.wants_payload):
        tracker.wholes = Wholes(tracker, on_wholes)
    with gc_paused():
        for batch in reader.batches():
            _batch(pipe, batch, filtered)
        pipe.finish()
        if tracker is not None:
            tracker.wholes = None
            # stream numbers in order of first appearance, as the per-packet run gives them
            conns = sorted(tracker.finished, key=_first_frame)
            for i, conn in enumerate(conns):
                conn.stream = i
            tracker.finished = conns
            tracker.next_stream = len(conns)


def _first_frame(conn) -> int:
    return conn.first_frame


def _batch(pipe, batch, filtered: _Filtered | None = None) -> None:
    n = len(batch)
    if not n:
        return
    c = parse(batch)
    kind = c.kind
    slow = kind == KIND_SLOW
    tracker = pipe.tcp
    if filtered is not None:
        result, decided = filtered.vector.mask(batch, c)
        if slow.any():
            items: list = []
            for i, (r, d) in enumerate(zip(result.tolist(), decided.tolist(), strict=True)):
                if d:
                    if r:
                        items.append(i)
                else:
                    for _pkt, own in filtered.selector.push(filtered.pipe.feed(batch.frame(i))):
                        items.extend(own)
            _frame_by_frame(pipe, batch, c, items)
            return
        kind = c.kind = np.where(result, kind, -1)        # frames the filter drops: not there at all
        picked = np.flatnonzero(result)
        if not len(picked):
            return
        if pipe.first_ts_ns is None:
            pipe.first_ts_ns = int(batch.ts_ns[picked[0]])
        pipe.frames += len(picked)
    else:
        if pipe.first_ts_ns is None:
            pipe.first_ts_ns = int(batch.ts_ns[0])
        if slow.any():
            _frame_by_frame(pipe, batch, c, range(n))
            return
        pipe.frames += n          # ARP frames (KIND_NONIP) are counted and need nothing else
    udp = np.flatnonzero(kind == KIND_UDP)
    if len(udp) and pipe.udp.__class__ is UdpColumns:
        # the batch's datagrams counted as columns (analyzer.columnar.udp)
        si, di, texts = _addresses(c, udp)
        table = pipe.udp
        ids = table.ids(texts)
        table.add(batch.ts_ns[udp], batch.first_number + udp, ids[si], c.sport[udp], ids[di], c.dport[udp],
                  c.payload_len[udp], batch.origlen[udp])
    elif len(udp):
        si, di, texts = _addresses(c, udp)
        src = [texts[i] for i in si.tolist()]
        dst = [texts[i] for i in di.tolist()]
        datagram = pipe.udp.datagram
        for i, s, sp, d, dp, pl, ts, fl in zip(udp.tolist(), src, c.sport[udp].tolist(), dst,
                                               c.dport[udp].tolist(), c.payload_len[udp].tolist(),
                                               batch.ts_ns[udp].tolist(), batch.origlen[udp].tolist(),
                                               strict=True):
            datagram(ts, batch.first_number + i, s, sp, d, dp, pl, fl)
    tcp = np.flatnonzero(kind == KIND_TCP)
    if len(tcp) and tracker is not None:      # without a tracker, TCP segments need nothing
        _tcp(tracker, batch, c, tcp)


def _grouped_marks(gs, a, b, fl, ln, seq, ack, win, a_first, gap) -> tuple[np.ndarray, np.ndarray]:
    """Per segment (group order): does an ordinary handshake start here (the tracker's
    :meth:`~analyzer.tcp.connection.TcpTracker.handshake` may take it and the next two whole), and is the
    segment *plain* (:meth:`~analyzer.tcp.connection.TcpTracker.plain`: ACK set, no SYN, no RST, not after
    an idle gap)? See the module docstring for the rule."""
    n = len(gs)
    f6 = fl & 0x3F
    plain = ((fl & 0x16) == 0x10) & ~gap
    hs = np.zeros(n, dtype=bool)
    if n >= 3:
        p0, p1, p2 = slice(0, n - 2), slice(1, n - 1), slice(2, n)
        s0 = seq[p0]
        nxt0 = (s0 + 1) & M32
        hs[p0] = ((gs[p0] == gs[p1]) & (gs[p0] == gs[p2]) & (a[p0] != b[p0])
                  & (f6[p0] == 0x02) & (ln[p0] == 0) & (win[p0] != 0)
                  & (f6[p1] == 0x12) & (ln[p1] == 0) & (win[p1] != 0) & (a_first[p1] != a_first[p0])
                  & (ack[p1] == nxt0) & ~gap[p1]
                  & (f6[p2] == 0x10) & (ln[p2] == 0) & (win[p2] != 0) & (a_first[p2] == a_first[p0])
                  & (seq[p2] == nxt0) & (ack[p2] == ((seq[p1] + 1) & M32)) & ~gap[p2])
    return hs, plain


def _frame_by_frame(pipe, batch, c, items) -> None:
    """The batch as Pipeline.count takes it, frame by frame (header columns where they were read): ``items``
    are indices of the batch's frames, or Frame values (taken through the full decoder)."""
    tracker = pipe.tcp
    segment = tracker.segment if tracker is not None else None
    datagram = pipe.udp.datagram
    kinds = c.kind.tolist()
    ts_l = batch.ts_ns.tolist()
    orig_l = batch.origlen.tolist()
    si, di, texts = _addresses(c, np.arange(len(batch)))
    src = [texts[i] for i in si.tolist()]
    dst = [texts[i] for i in di.tolist()]
    data = batch.data
    for i in items:
        if not isinstance(i, int):
            pipe.feed(i)
            continue
        k = kinds[i]
        if pipe.first_ts_ns is None:
            pipe.first_ts_ns = ts_l[i]
        if k == KIND_TCP and segment is not None:
            pipe.frames += 1
            flags = int(c.flags[i])
            t = int(c.t[i])
            hl = int(c.hdr_len[i])
            seglen = int(c.payload_len[i])
            payload = b""
            if seglen and tracker.wants_payload:
                payload = data[t + hl:min(int(c.ip_end[i]), int(batch.offset[i] + batch.caplen[i]))]
            segment(ts_l[i], batch.first_number + i, src[i], int(c.sport[i]), dst[i], int(c.dport[i]),
                    int(c.seq[i]), int(c.ack[i]), flags, int(c.window[i]), seglen,
                    data[t + 20:t + hl] if hl > 20 else b"", payload, orig_l[i], batch.first_number + i)
        elif k == KIND_UDP:
            pipe.frames += 1
            datagram(ts_l[i], batch.first_number + i, src[i], int(c.sport[i]), dst[i], int(c.dport[i]),
                     int(c.payload_len[i]), orig_l[i])
        else:
            pipe.feed(batch.frame(i))


def _tcp(tracker, batch, c, tcp: np.ndarray) -> None:
    ts = batch.ts_ns[tcp]
    si, di, texts = _addresses(c, tcp)      # (ids for the whole batch: each window takes its slice)
    # windows: the per-packet run sweeps idle connections at the first segment at or after _next_expire
    pos = 0
    n = len(tcp)
    swept = False
    while pos < n:
        # a window that starts right after a sweep starts with the segment that triggered it: that one
        # cannot trigger another (the sweep moved _next_expire 10 s past it)
        start = pos + 1 if swept else pos
        later = np.flatnonzero(ts[start:] >= tracker._next_expire)
        stop = start + int(later[0]) if len(later) else n
        if stop > pos:
            saved = tracker._next_expire
            tracker._next_expire = _INF
            try:
                _window(tracker, batch, c, tcp[pos:stop], si[pos:stop], di[pos:stop], texts)
            finally:
                tracker._next_expire = saved
        if stop < n:
            tracker.expire(int(ts[stop]))
            pos = stop
            swept = True
        else:
            pos = n


def _fill_rows_py(rows: np.ndarray, cols: list) -> None:
    """``rows[:, i]`` = the ``i``-th of ``cols``: an array, or a pair (array, positions) meaning the array's values
    at those positions. The fallback and twin of the compiled ``_speedups.fill_rows`` (one pass, row by row)."""
    for i, col in enumerate(cols):
        rows[:, i] = col[0][col[1]] if col.__class__ is tuple else col


_fill_rows_c = compiled("fill_rows")


def _wholes(tracker, batch, rows: np.ndarray, texts: list, gs: np.ndarray, bounds: np.ndarray, hs_a, a_first_s,
            gap_s) -> np.ndarray | None:
    """The window's whole ordinary connections taken as records (:func:`analyzer.columnar.whole.take`; the
    window's segments in group order, as :func:`_window` has them): a mask of the segments left (group
    order), None when none was taken."""
    taken = take(tracker, rows, texts, batch.data, bounds, hs_a, a_first_s, gap_s)
    if not len(taken):
        return None
    gone = np.zeros(len(bounds) - 1, dtype=bool)
    gone[taken] = True
    return ~gone[gs]


def _window(tracker, batch, c, sel: np.ndarray, si: np.ndarray, di: np.ndarray, texts: list) -> None:
    """TCP segments ``sel`` (frame indices, capture order; ``si``/``di``: their address ids in ``texts``)
    between two sweeps."""
    n = len(sel)
    # connection groups: the 4-tuple without direction, as one integer (address id, port) x 2
    sp, dp = c.sport[sel], c.dport[sel]
    a = (si.astype(np.uint64) << np.uint64(16)) | sp.astype(np.uint64)
    b = (di.astype(np.uint64) << np.uint64(16)) | dp.astype(np.uint64)
    key = (np.minimum(a, b) << np.uint64(32)) | np.maximum(a, b)
    # one stable sort: the groups in key order, a group's segments in capture order; gs numbers the groups
    # 0, 1, ... in that order
    order = np.argsort(key, kind="stable")
    ks = key[order]
    gs = np.zeros(n, dtype=np.int64)
    np.cumsum(ks[1:] != ks[:-1], out=gs[1:])
    # everything below in group order (a group's segments together, in capture order)
    frame_i = sel[order]
    ts_s = batch.ts_ns[frame_i]
    num_s = batch.first_number + frame_i
    seq_s, ack_s, fl_s = c.seq[frame_i], c.ack[frame_i], c.flags[frame_i]
    win_s, len_s, flen_s = c.window[frame_i], c.payload_len[frame_i], batch.origlen[frame_i]
    a_s, b_s = a[order], b[order]
    a_first_s = a_s <= b_s
    # a segment after more idle time than the tracker allows is never part of a run (it may be a new
    # connection's first)
    gap_s = np.zeros(n, dtype=bool)
    gap_s[1:] = (np.diff(ts_s) > min(tracker.idle_timeout_ns, tracker.closed_linger_ns)) & (gs[1:] == gs[:-1])
    sinks = tracker.wants_payload
    # the values of one segment's tracker call as one row (group order): only the segments the tracker takes
    # (about a quarter) become Python ints, not every segment of the window; column 15 (the next special
    # segment) is filled in below
    # (a pair: the column's values at those positions)
    cols = [ts_s, num_s, (si, order), (sp, order), (di, order), (dp, order), seq_s, ack_s, fl_s, win_s, len_s,
            flen_s, (c.t, frame_i), (c.hdr_len, frame_i), a_first_s]
    rows = np.empty((n, 17 if sinks else 16), dtype=np.int64)
    if _fill_rows_c is None or _fill_rows_c(rows, cols) is None:
        _fill_rows_py(rows, cols)
    if sinks:
        # connections with a sink get their payload (and the frame number as the frame's handle)
        rows[:, 16] = np.minimum(c.ip_end[frame_i], batch.offset[frame_i] + batch.caplen[frame_i])
    grouped = not sinks
    if grouped:
        bounds = np.flatnonzero(np.concatenate(([True], gs[1:] != gs[:-1], [True])))
        hs_a, plain_a = _grouped_marks(gs, a_s, b_s, fl_s, len_s, seq_s, ack_s, win_s, a_first_s, gap_s)
        if tracker.wholes is not None:
            # whole ordinary connections: one compact record each, no tracker calls (analyzer.columnar.whole);
            # the rest goes on below
            keep = _wholes(tracker, batch, rows, texts, gs, bounds, hs_a, a_first_s, gap_s)
            if keep is not None:
                if not keep.any():
                    return
                order, gs, rows, hs_a, plain_a = order[keep], gs[keep], rows[keep], hs_a[keep], plain_a[keep]
                ts_s, num_s, seq_s, ack_s, fl_s = ts_s[keep], num_s[keep], seq_s[keep], ack_s[keep], fl_s[keep]
                win_s, len_s, flen_s, a_first_s, gap_s = (win_s[keep], len_s[keep], flen_s[keep], a_first_s[keep],
                                                          gap_s[keep])
                n = len(order)
    bounds = np.flatnonzero(np.concatenate(([True], gs[1:] != gs[:-1], [True])))
    sp_sorted = ((fl_s & 0x07) != 0) | gap_s
    # in group order: the next special segment at or after each position (a run stops before it)
    nxt = np.where(sp_sorted, np.arange(n), n)
    nxt = np.minimum.accumulate(nxt[::-1])[::-1]
    # runs never cross into the next group
    gend = np.repeat(bounds[1:], np.diff(bounds))
    nxt = np.minimum(nxt, gend)
    rows[:, 15] = nxt
    sp_flag = sp_sorted.tolist()
    data = batch.data
    segment = tracker.segment
    nxt_l = nxt.tolist()
    if not grouped:
        plain_l = [False] * n     # (every steady stretch is a run, as before)
    else:
        hs_l, plain_l = hs_a.tolist(), plain_a.tolist()
        af_l = a_first_s.tolist()
        handshake, plain = tracker.handshake, tracker.plain
        flows_lookup = tracker.flows.lookup
    dirs = np.zeros(n, dtype=np.int8)

    ptr = bounds[:-1].tolist()
    ends = bounds[1:].tolist()
    state: list = [None] * len(ptr)        # (conn, direction of the group's "a" end) of the last segment
    order_l = order.tolist()
    active = list(range(len(ptr)))
    heappop, heappush = heapq.heappop, heapq.heappush
    while active:
        runs = []
        run_groups = []
        # the groups' state-changing segments in capture order (a new connection's stream number is then
        # the one the per-packet run gives it), each group up to its next run of steady segments
        heap = [(order_l[ptr[g]], g) for g in active]
        heapq.heapify(heap)
        while heap:
            _, g = heappop(heap)
            j = ptr[g]
            st = state[g]
            if st is None and grouped and not hs_l[j] and not rows[j, 8] & 0x06:
                # the group's first segment in the window, neither SYN nor RST: its connection, if open, from
                # the flow table (segment() finds the same), so that it may go on as plain or as a run
                row = rows[j].tolist()
                hit = flows_lookup((texts[row[2]], row[3], texts[row[4]], row[5]))
                if hit is not None:
                    st = state[g] = (hit[0], hit[1] if row[14] else 1 - hit[1])
            if st is not None and not sp_flag[j] and steady(st[0]) and (nxt_l[j] - j >= _RUN_MIN or not plain_l[j]):
                k = nxt_l[j]
                runs.append((st[0], j, k))
                run_groups.append(g)
                ptr[g] = k
                continue
            if grouped:
                if st is None:
                    if hs_l[j]:
                        # an ordinary handshake of a new 4-tuple: one call for its three segments
                        ts, num, s, spt, d_, dpt, seq, _a, _f, win, _l, flen, t, hl, af, _n = rows[j].tolist()
                        r1 = rows[j + 1].tolist()
                        r2 = rows[j + 2].tolist()
                        conn = handshake((texts[s], spt, texts[d_], dpt), ts, num, seq, win,
                                         data[t + 20:t + hl] if hl > 20 else b"", flen,
                                         r1[0], r1[1], r1[6], r1[9],
                                         data[r1[12] + 20:r1[12] + r1[13]] if r1[13] > 20 else b"", r1[11],
                                         r2[0], r2[1], r2[9], r2[11])
                        if conn is not None:
                            state[g] = (conn, 0 if af else 1)
                            ptr[g] = j = j + 3
                            if j < ends[g]:
                                heappush(heap, (order_l[j], g))
                            continue
                elif plain_l[j] and plain_ok(st[0]):
                    # plain segments (ACK, no SYN/RST) of a connection not steady, or steady for fewer than
                    # _RUN_MIN segments: the tracker's own state changes without its lookups, until a steady
                    # run of at least _RUN_MIN segments can start or a segment is not plain
                    conn, da = st
                    end = ends[g]
                    while True:
                        ts, num, _s, _sp, _d, _dp, seq, ack, f, win, ln, flen = rows[j, :12].tolist()
                        plain(conn, da if af_l[j] else 1 - da, ts, num, seq, ack, f, win, ln, flen)
                        j += 1
                        if j >= end or not plain_l[j] or (not sp_flag[j] and nxt_l[j] - j >= _RUN_MIN
                                                          and steady(conn)):
                            break
                    ptr[g] = j
                    if j < end:
                        heappush(heap, (order_l[j], g))
                    continue
            if sinks:
                ts, num, s, spt, d_, dpt, seq, ack, f, win, ln, flen, t, hl, af, _n, pay_end = rows[j].tolist()
                conn, d = segment(ts, num, texts[s], spt, texts[d_], dpt, seq, ack, f, win, ln,
                                  data[t + 20:t + hl] if hl > 20 else b"",
                                  data[t + hl:pay_end] if ln else b"", flen, num)
            else:
                ts, num, s, spt, d_, dpt, seq, ack, f, win, ln, flen, t, hl, af, _n = rows[j].tolist()
                conn, d = segment(ts, num, texts[s], spt, texts[d_], dpt, seq, ack, f, win, ln,
                                  data[t + 20:t + hl] if f & _SYN and hl > 20 else b"", b"", flen)
            state[g] = (conn, d if af else 1 - d)
            ptr[g] = j = j + 1
            if j < ends[g]:
                heappush(heap, (order_l[j], g))
        if runs:
            # each run's segments' directions, all runs in one pass: the run's "a" end direction where the
            # segment was sent from "a", else the other one
            k = len(runs)
            starts = np.fromiter((r[1] for r in runs), np.int64, k)
            lens = np.fromiter((r[2] for r in runs), np.int64, k) - starts
            das = np.fromiter((state[g][1] for g in run_groups), np.int8, k)
            at = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(int(lens.sum()))
            da = np.repeat(das, lens)
            dirs[at] = np.where(a_first_s[at], da, 1 - da)
            cuts = apply_runs(runs, ts_s, num_s, seq_s, ack_s, fl_s, win_s, len_s, flen_s, dirs)
            for (conn, start, stop), g, cut in zip(runs, run_groups, cuts, strict=True):
                if cut < stop:
                    # the run could not take the segment at ``cut`` (its data lies more than 2 GB before
                    # the side's first byte or its end past 2 GB after it): the tracker takes it, else the
                    # next pass would start the same run at the same segment again, forever
                    ptr[g] = cut
                    sp_flag[cut] = True
        still = run_groups
        active = [g for g in still if ptr[g] < ends[g]]
