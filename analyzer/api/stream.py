"""Streamed passes: records handed out as soon as they are final, so memory follows the open connections (and
the transactions still waiting to be paired), not the size of the file.

:func:`dns_stream` is the DNS twin of :meth:`analyzer.api.build.Analysis.http_stream`: the DNS transactions of a
pass in the order :meth:`Analysis.finish <analyzer.api.build.Analysis.finish>` gives them (as they began), each
record the same. :class:`WindowMatcher` is :class:`analyzer.filter.apply.FrameMatcher`'s contract (``-Y``) for
such a pass: it remembers the matching frame numbers only from a floor the pass raises as its records go out.
Nothing here reads a file or prints: the caller passes frames and consumes the records.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

from analyzer.api.records import DnsTransaction
from analyzer.api.uid import connection_uid
from analyzer.pipeline import gc_paused

# A UDP answer cut short (TC) waits this long (packet time after it) for the client's retry over TCP, whose
# query frame its record names (``tc_retry_frame``): the first later TCP query for the same client, server,
# name and type, if it came within this time; else none. The whole pass links that query however late
# (analyzer.api.build.tc_retries); a resolver retries at once.
TC_RETRY_HOLD_NS = 30_000_000_000


class WindowMatcher:
    """Call it with each packet after the pass has seen it; :meth:`any` says whether one of some frames
    matched the filter ``keep``. :meth:`forget_before` drops the numbers below a frame no record still to come
    names, so the set is bounded by the records in flight, not by the file (frame numbers only grow)."""

    __slots__ = ("_order", "keep", "numbers")

    def __init__(self, keep: Callable[[Any], bool] | None):
        self.keep = keep
        self.numbers: set[int] = set()
        self._order: deque[int] = deque()

    def __call__(self, pkt: Any) -> None:
        if self.keep is not None and self.keep(pkt):
            n = pkt.frame.number
            self.numbers.add(n)
            self._order.append(n)

    def any(self, *frames: int | None) -> bool:
        """Did any of these frames match? (``keep`` None: always.)"""
        if self.keep is None:
            return True
        return any(n in self.numbers for n in frames if n is not None)

    def forget_before(self, frame: int) -> None:
        order, numbers = self._order, self.numbers
        while order and order[0] < frame:
            numbers.discard(order.popleft())


def _addr(a: Any) -> str:
    return str(ipaddress.ip_address(a)) if isinstance(a, bytes) else str(a)


class DnsRelease:
    """The DNS side of a streamed pass over ``analysis`` (an :class:`~analyzer.api.build.Analysis` not run
    yet): :meth:`take_new` after some frames, then :meth:`release` for the records now final, in the order
    ``analysis.run(frames).dns`` lists them (see :func:`dns_stream`). ``on_new(tx)``: each transaction of the
    tracker as it is taken (``analyzer logs`` notes its connection's service). ``make(tx, uid, tc_retry_frame)``:
    what goes out for each, in place of the record (``analyzer dns`` makes its report row straight from the
    tracker's transaction, :func:`analyzer.report.dns.transaction_row`); the records that decide a truncated
    answer's retry are made either way. ``uids`` False: ``make`` is given None for the uid (not made).

    Memory per waiting transaction (issue 12: a flood of unanswered queries waits 300 s each): the queue holds
    the tracker's transaction itself. A TCP one's uid is taken as it joins the queue (its connection is
    forgotten once finished) and kept beside it; a UDP one's is made when its record is, from its conversation,
    which the UDP table keeps to the end with the endpoints and first time the uid is made of (the same uid)."""

    def __init__(self, analysis: Any, on_new: Callable[[Any], None] | None = None,
                 make: Callable[..., Any] | None = None, uids: bool = True):
        self.make = make                    # (transaction, uid, tc_retry_frame) -> what goes out; None: records
        self.uids = uids                    # False: make is given None for the uid (what it makes shows none)
        self.tracker = analysis.tx.dns
        self.conns = analysis._conns        # tcp.stream -> the TCP tracker's connection (its uid)
        self.udp = analysis.pipe.udp        # the UDP conversations, in stream order (their uid)
        self.matcher = analysis.matcher
        self.on_new = on_new
        self.pending: deque[Any] = deque()  # the tracker's transactions waiting to go out, in order
        self._tcp_uids: dict[int, str | None] = {}      # id(transaction) -> its TCP connection's uid
        self._records: dict[int, DnsTransaction] = {}   # id(transaction) -> its final record, once made
        self._uids: dict[int, str] = {}     # tcp.stream -> uid, for one take_new
        self.ordered = True                 # packet time never went backwards
        self.last_ts: int | None = None     # of the last frame read
        self.frame: int | None = None       # its number

    def _tcp_uid(self, stream: int) -> str | None:
        uid = self._uids.get(stream)
        if uid is None:
            conn = self.conns.get(stream)
            if conn is None:
                return None
            o, r = conn.sides
            uid = self._uids[stream] = connection_uid("tcp", _addr(o.addr), o.port, _addr(r.addr), r.port,
                                                      conn.first_ts)
        return uid

    def _uid(self, t: Any) -> str | None:
        """The uid of ``t``'s connection (taken when ``t`` joined the queue for TCP, made now for UDP)."""
        stream = t.stream
        if stream is None:
            return None
        if t.proto == "tcp":
            return self._tcp_uids.get(id(t))
        conv = self.udp.conversations[stream]
        return connection_uid("udp", _addr(conv.orig_h), conv.orig_p, _addr(conv.resp_h), conv.resp_p,
                              conv.first_ts)

    def frame_read(self, frame: Any) -> None:
        ts = frame.ts_ns
        if self.last_ts is not None and ts < self.last_ts:
            self.ordered = False
        self.last_ts = ts
        self.frame = frame.number

    def take_new(self) -> None:
        """The tracker's new transactions join the queue with their uid; finished TCP connections are
        forgotten (no segment reaches them again)."""
        tracker = self.tracker
        new = tracker.transactions
        if new:
            tracker.transactions = []
            on_new = self.on_new
            tcp_uids = self._tcp_uids
            for t in new:
                if on_new is not None:
                    on_new(t)
                if t.proto == "tcp" and t.stream is not None:
                    tcp_uids[id(t)] = self._tcp_uid(t.stream)
            self.pending.extend(new)
        self._uids.clear()
        conns = self.conns
        for stream in [stream for stream, conn in conns.items() if conn.sides[0].sa is None]:
            del conns[stream]

    def _record(self, t: Any) -> DnsTransaction:
        """The record of ``t``, final (made once)."""
        record = self._records.get(id(t))
        if record is None:
            from analyzer.api.build import dns_record

            record = self._records[id(t)] = dns_record(t, self._uid(t))
        return record

    def _done(self, t: Any) -> None:
        """``t`` left the queue: forget what was kept beside it."""
        if self._records:
            self._records.pop(id(t), None)
        if self._tcp_uids:
            self._tcp_uids.pop(id(t), None)

    def _retry(self, d: DnsTransaction, end: bool) -> tuple[bool, int | None]:
        """``(known, frame)``: the query frame of the TCP retry of ``d`` (a truncated UDP answer), if known."""
        from analyzer.api.build import dns_record

        tracker, pending = self.tracker, self.pending
        key = (d.orig_h, d.resp_h, d.query.lower(), d.qtype)
        answered = pending[0].response_ts_ns
        for i, t in enumerate(pending):
            if i == 0 or t.proto != "tcp" or t.query_frame is None:
                continue
            if t.query is None and tracker.pairable(t) and not end:
                return False, None      # its name and type may come with its answer
            e = self._record(t) if not tracker.pairable(t) or end else dns_record(t, self._uid(t))
            if e.query is not None and (e.orig_h, e.resp_h, e.query.lower(), e.qtype) == key:
                late = answered is None or t.query_ts_ns is None or t.query_ts_ns - answered > TC_RETRY_HOLD_NS
                return True, None if late else e.query_frame
        if end or (self.ordered and answered is not None and self.last_ts - answered > TC_RETRY_HOLD_NS):
            return True, None
        return False, None

    def release(self, end: bool = False) -> Iterator[DnsTransaction]:
        """The records final now (``end``: all of them), in order; with a matcher, those that matched."""
        tracker, pending, matcher, make, uids = self.tracker, self.pending, self.matcher, self.make, self.uids
        pairable = tracker.pairable
        while pending:
            head = pending[0]
            if not end and pairable(head):
                break
            frame = None
            rheader = head.response_header
            if head.proto == "udp" and rheader is not None and rheader.flags & 0x200:     # TC
                d = self._record(head)
                if d.query is not None:
                    known, frame = self._retry(d, end)
                    if not known:
                        break
            pending.popleft()
            if matcher is None or matcher.any(head.query_frame, head.response_frame):
                if make is not None:
                    d = make(head, self._uid(head) if uids else None, frame)
                else:
                    d = self._record(head)
                    if frame is not None:
                        d = replace(d, tc_retry_frame=frame)
                self._done(head)
                yield d
            else:
                self._done(head)
        forget = getattr(matcher, "forget_before", None)
        if forget is not None:      # pending is in the order the transactions began: its head's frame is least
            t = pending[0] if pending else None
            floor = (t.query_frame if t.query_frame is not None else t.response_frame) if t else self.frame
            if floor is not None:
                forget(floor)


def dns_stream(analysis: Any, frames: Iterable[Any], every: int,
               make: Callable[..., Any] | None = None, uids: bool = True) -> Iterator[Any]:
    """The DNS transactions of ``frames`` (through ``analysis``, an :class:`~analyzer.api.build.Analysis` not
    run yet) as ``analysis.run(frames).dns`` lists them, each as soon as it is final: once the tracker's index
    forgot it, no later message can pair with it (:meth:`DnsTracker.pairable
    <analyzer.apps.dns_tx.DnsTracker.pairable>`; 30 s after its answer, 300 s unanswered, packet time). The
    records wait in the order they began, so one still pairable holds those behind it. A truncated UDP answer
    also waits for the client's retry over TCP (the first later TCP transaction for the same client, server,
    name and type), at most :data:`TC_RETRY_HOLD_NS`. With a matcher (``-Y``), only the records whose query
    or response frame matched. No connection, HTTP, files or TLS record is made on this path.

    Every ``every`` frames: the new transactions get their uid (the connection's, as in ``conn.log``), finished
    TCP connections are forgotten, the final records at the head go out. ``make``: what goes out in place of
    each record, ``uids`` False: given no uid (:class:`DnsRelease`)."""
    tx = analysis.tx
    if tx.http is not None:
        tx.http.on_record = lambda record: None      # no HTTP records here
    if tx.tls is not None:
        tx.tls.on_session = lambda session: None     # nor TLS ones
    analysis.want_files = False
    analysis.pipe.tcp.keep_summaries = False     # no connection rows are made here: none kept (issue 12)
    dns = DnsRelease(analysis, make=make, uids=uids)
    n = 0
    with gc_paused():
        pipe = analysis.pipe
        feed = analysis.stream_feeder()
        # a DNS message over UDP paired without its packet, where nothing looks at packets (no -Y)
        quick = analysis.tx.dns_datagrams(analysis.pipe) if analysis.headers else None
        last = None         # DnsRelease.frame_read's work, inline: its times given before each release
        frame = None
        for frame in frames:
            if quick is None or not quick(frame):
                feed(frame)
            ts = frame.ts_ns
            if last is not None and ts < last:
                dns.ordered = False
            last = ts
            n += 1
            if n % every:
                continue
            dns.last_ts, dns.frame = last, frame.number
            dns.take_new()
            yield from dns.release()
        if frame is not None:
            dns.last_ts, dns.frame = last, frame.number
        pipe.finish()
        tx.finish()
        dns.take_new()
        analysis._conns.clear()
        yield from dns.release(end=True)
