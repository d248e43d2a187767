"""One timeline run over a stream of frames: fetches come out as soon as they are complete (sans-IO).

Theory of operation
-------------------
The :class:`~analyzer.timeline.collect.Collector` hands over, as it reads, each new TCP connection, DNS
transaction, ARP/ND message and ICMP error. They are filed under their *client* (the connection's
originator, the query's sender, the host asking for a neighbour) in that client's open *activity*: what it
did since it was last quiet. An activity is complete when the packet-time clock has passed every member's
hold time:

* a connection: its last segment + :data:`QUIET_NS`; once closed (both FINs acknowledged, or a RST):
  + :data:`SETTLE_NS`; while its SYN is unanswered: until the next retransmission would be due (the RTO
  doubles: last SYN + (last SYN - first SYN) + :data:`SYN_FIRST_RTO_NS` + :data:`SETTLE_NS`, at most
  :data:`SYN_HOLD_NS`); while an
  HTTP request awaits its response: up to :data:`HOLD_NS` after its last segment; once established but with
  nothing sent yet (its first request is coming): up to :data:`UNUSED_HOLD_NS`;
* a DNS query: its answer + :data:`SETTLE_NS`, or its last retransmission + :data:`DNS_WAIT_NS`;
* a DNS answer to no open lookup (a *stray*, :class:`~analyzer.timeline.facts.StrayAnswer`): its time +
  :data:`SETTLE_NS`. It is either *late*, answering a lookup closed unanswered (told in an earlier fetch: the
  run watches those for as long as the pairing tracker would pair an answer with them, 300 s, at most
  :data:`CLOSED_MAX`), or *lone*, its query not in the file; it is filed under its client as it comes, as an ICMP
  error is, and the fetch it joins tells it (:func:`analyzer.timeline.group.group` places it);
* an ARP/ND message or ICMP error: its time + :data:`QUIET_NS`.

A client is a host: its IPv4 and IPv6 addresses are one client once the capture shows they share a link-layer
address (its own ARP request and Neighbor Solicitation carry the same MAC), since a dual-stack host asks for
the AAAA record over IPv4 and then connects over IPv6. Two addresses of the same family are never merged
(behind a router every client's frames carry the router's MAC).

A complete activity is cut into fetches (:func:`analyzer.timeline.group.group`) and each fetch is explained
(:func:`analyzer.timeline.build.build_fetch`) — at once, unless one of its connections is still open (kept
alive): the connection's teardown belongs to the fetch that made its last request, so the fetch waits until
each such connection is closed (its teardown joins the fetch), carries a new request (the fetch says so; the
new request starts the connection's next stretch, reported with a later fetch), or has been idle for
:data:`IDLE_RELEASE_NS` — then the fetch goes out saying the connection stays open, and whatever the
connection does later is reported as a fetch of its own (``Fetch.continues`` names the earlier one). At the
end of the input everything still waiting goes out.

Fetches are numbered in the order they *began* (their first frame's time), not the order they were complete:
a fetch cut from a complete activity waits in a queue until no open activity began before it (new frames
begin later: activities are open for seconds, so the queue stays short), then takes the next number, in
start order; it is explained and handed out then, or, when it waits for a kept-alive connection, once that
is decided (it keeps its number: ``fetches()`` hands it out after fetches that began later, ``timeline()``
sorts by number).

Memory is bounded by the open connections and activities: a reported stretch is dropped (its log, its
records), and the per-client history keeps one entry per name and neighbour. The names any client asked for
(so that a fetch can say another address of its host looked the name up, ``dns.none.other_address``) are
kept for :data:`~analyzer.timeline.build.NAME_HOLD_NS` (600 s) of packet time after they were last asked,
at most :data:`NAMES_MAX` of them (past ~7 new names a second, the oldest go sooner); once one was
forgotten, "no query for NAME" is said for the 600 s before the frame (``dns.none.cached.window.any``),
not for the whole file.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from analyzer.apps.dns_tx import UNANSWERED_HOLD_NS
from analyzer.columnar.headers import parse as parse_headers
from analyzer.compiled import compiled
from analyzer.tcp.connection import summarize_brief
from analyzer.timeline.build import NAME_HOLD_NS, CaptureSeen, History, build_fetch
from analyzer.timeline.collect import Collector, ConnLog, asks, lookup, stray_answer, unread_query
from analyzer.timeline.facts import ConnFacts, DnsLookup, IcmpError, NeighbourMessage, QuicFlow, StrayAnswer
from analyzer.timeline.group import BURST_NS, LOOKBACK_NS, PAGE_WINDOW_NS, Plan, group
from analyzer.timeline.model import Fetch, Timeline
from analyzer.timeline.tcp import connection_facts

QUIET_NS = 3_000_000_000
SETTLE_NS = 1_000_000_000
DNS_WAIT_NS = 5_000_000_000
ADDR_NAMES_MAX = 65_536         # (client, address) pairs whose naming lookups are remembered (addr_names)
HOLD_NS = 300_000_000_000
SYN_HOLD_NS = 130_000_000_000
SYN_FIRST_RTO_NS = 3_000_000_000
IDLE_RELEASE_NS = 60_000_000_000
UNUSED_HOLD_NS = 30_000_000_000
CHECK_NS = 500_000_000
FOREVER = 1 << 62
SLICE_MIN = 2048                # connections of a slice of a long activity (see TimelineRun._slice)
SLICE_AGE_NS = 150_000_000_000  # before the end of the input, a slice is of connections quiet for this long
SLICE_EVERY_NS = 10_000_000_000  # packet time between two tries to cut slices of one activity
NAMES_MAX = 4096                # names asked by any client kept at most (TimelineRun.lookup)
CLOSED_MAX = 65_536             # lookups closed unanswered watched for a late answer at most (TimelineRun.answered)
_held_todo = compiled("held_todo")  # _resolve_held's first test for every waiter at once (None: the loop makes it)


class _Activity:
    __slots__ = ("blocker", "client", "conns", "icmp", "last_first_ts", "lookups", "neighbours", "next_slice",
                 "ordered", "quic", "start_ns", "strays", "tuples")

    def __init__(self, client: str, start_ns: int):
        self.client = client
        self.start_ns = start_ns
        self.conns: dict[int, ConnLog] = {}
        self.lookups: list[Any] = []          # DnsTransaction, updated in place
        self.neighbours: list[NeighbourMessage] = []
        self.icmp: list[IcmpError] = []
        self.quic: list[QuicFlow] = []        # updated in place by the collector while it sends
        self.strays: list[StrayAnswer] = []   # DNS answers to no open lookup (late, or their query not captured)
        self.ordered = True                   # ``conns`` in the order they began (a slice is a prefix of it)
        self.last_first_ts = 0
        self.next_slice = 0
        # hashes of the connections' 4-tuples, counted: made by _slice once the activity has an ICMP error (None:
        # not made; an activity without one pays nothing per attempt), then kept by add_conn and _slice
        self.tuples: dict[int, int] | None = None
        self.blocker = -1       # the stream of the connection that kept it open at the last check (TimelineRun._done)

    def add_conn(self, log: ConnLog, first_ts: int) -> None:
        if first_ts < self.last_first_ts or log.conn.stream in self.conns:
            self.ordered = False
        self.last_first_ts = max(self.last_first_ts, first_ts)
        self.conns[log.conn.stream] = log
        if self.tuples is not None:
            key = hash(_four(log.conn))
            self.tuples[key] = self.tuples.get(key, 0) + 1


@dataclass(slots=True, eq=False)
class _Held:
    """A fetch waiting for its kept-alive connections, its number, or both (see the module docstring). Compared
    by identity:
    ``held in self.held`` / ``remove`` with the generated field-by-field ``__eq__`` compared whole plans
    against every waiting fetch (quadratic; 11% of the CPU at 100k frames)."""

    plan: Plan
    client: str
    waiting: dict[int, tuple[ConnLog, int]] = field(default_factory=dict)   # stream -> (log, records seen)
    resolved: dict[int, ConnFacts] = field(default_factory=dict)
    arrival: int = 0
    index: int | None = None            # its number, once every fetch that began before it has one
    end_ns: int | None = None           # the capture's end as its report sees it, once it waits for nothing


class TimelineRun:
    """Frames in, complete fetches out (see the module docstring).

    ``feed(frame)`` and ``tick(now_ns)`` return the fetches completed by then, ``finish()`` the rest.
    ``keep_bodies``: keep HTTP bodies in the request timings (HAR, HTML report). ``keylog``: TLS secrets
    (:class:`analyzer.apps.tls.KeyLog`) to decrypt HTTPS with. ``ladder=False``: fetches without their ladder
    rows (for outputs that print none: JSON, HAR; the ladder is about a quarter of build_fetch).
    """

    def __init__(self, lang: str = "en", *, keep_bodies: bool = False, keylog: Any = None, ladder: bool = True,
                 capture_filter: str | None = None):
        self.lang = lang
        # the first DNS frame and the capture filter (set later by a reader that learns it from the file's IDBs)
        self.capture = CaptureSeen(capture_filter=capture_filter)
        self.keep_bodies = keep_bodies
        self.ladder = ladder
        self.collector = Collector(self, keep_bodies=keep_bodies, keylog=keylog)
        self.activities: dict[str, _Activity] = {}
        self.history: dict[str, History] = {}
        self.held: dict[int, _Held] = {}                      # arrival -> a fetch waiting for connections
        # stream -> (its log, records seen, the fetches waiting for it): each waited-for log decided once
        self.waiters: dict[int, tuple[ConnLog, int, list[_Held]]] = {}
        # stream -> (what its log looked like when it was last found undecided, when time alone may decide it)
        self.undecided: dict[int, tuple[tuple[int, int, bool], int]] = {}
        self.dormant: dict[int, tuple[ConnLog, int]] = {}     # stream -> (log, last_ts when reported)
        self.done: set[int] = set()                           # streams the tracker finished
        self.ready: list[Fetch] = []
        # fetches waiting for their number (see the module docstring): a heap of (start ns, first frame,
        # arrival, the fetch); those also waiting for open connections are in ``held`` too
        self.queued: list[tuple[int, int, int, _Held]] = []
        self.arrivals = 0
        self.next_index = 1
        self.next_check = 0
        self.ended = False
        self.host_key: dict[str, str] = {}                    # address -> its host's key (first address seen)
        self.host_addrs: dict[str, frozenset[str]] = {}       # key -> the host's addresses
        self.mac_addrs: dict[tuple[str, int], str] = {}       # (mac, 4|6) -> the address that announced it
        # name -> (when asked, the latest query for it by any client): the transaction while its activity is
        # open, its DnsLookup once answered and closed (_close); see lookup() for the bound
        self.all_names: dict[str, tuple[int, Any]] = {}
        self.names_forgot_ns = 0                              # newest query forgotten by the bound (0: none)
        # (client, address) -> [(query ts, query frame, name)] of the last answers that gave the client that
        # address, from the lookups of closed activities (_close): a server is named by a lookup of any earlier
        # activity, not only of its own (see _named); at most ADDR_NAMES_MAX keys, least recent forgotten
        self.addr_names: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
        self.addr_names_forgot = False
        self._scanned: dict[int, tuple[int, tuple[Any, int], bool]] = {}   # while cutting slices (_slice)
        # id(transaction) -> the transaction, of the lookups closed unanswered (_close): an answer that comes later
        # is told (answered); in closing order, kept as long as the pairing tracker could still pair an answer
        # with them (its UNANSWERED_HOLD_NS after the query), at most CLOSED_MAX
        self.closed_unanswered: dict[int, Any] = {}

    # -- the collector's listener ----------------------------------------------------------------------
    def _activity(self, client: str, ts: int) -> _Activity:
        client = self.host_key.get(client, client)
        act = self.activities.get(client)
        if act is None:
            act = self.activities[client] = _Activity(client, ts)
        return act

    def connection(self, log: ConnLog) -> None:
        conn = log.conn
        first_ts = conn.first_ts
        client = str(conn.sides[0].addr)
        if client not in self.host_key:
            self._dual_stack(client, str(conn.sides[1].addr), first_ts)
        self._activity(client, first_ts).add_conn(log, first_ts)

    def lookup(self, trans: Any) -> None:
        got, seen = trans.query_frame or trans.response_frame, self.capture
        if got and (not seen.first_dns_frame or got < seen.first_dns_frame):
            seen.first_dns_frame = got      # (over TCP a message can be handed on after later ones)
        if trans.query_frame is None:       # a response to no query in the file
            stray = stray_answer(trans, capture_start_ns=self.collector.first_ts_ns)
            if stray is not None:
                self._activity(stray.client, stray.ts_ns).strays.append(stray)
            return
        ts = trans.query_ts_ns if trans.query_ts_ns is not None else trans.response_ts_ns or 0
        if asks(trans.query):
            name = trans.question.name.lower().rstrip(".")
            names = self.all_names
            names.pop(name, None)
            names[name] = (ts, trans)
            # the least recently asked first: bounded by packet time (History's NAME_HOLD_NS, 600 s), and by
            # count (NAMES_MAX) only past ~7 new names a second
            while names:
                first = next(iter(names))
                asked = names[first][0]
                if asked >= ts - NAME_HOLD_NS and len(names) <= NAMES_MAX:
                    break
                del names[first]
                self.names_forgot_ns = max(self.names_forgot_ns, asked)
        self._activity(str(trans.client[0]), ts).lookups.append(trans)

    def answered(self, trans: Any) -> None:
        """A response answered ``trans``: when its lookup was closed unanswered already (told in a fetch), the answer
        is late, filed under the client as it comes (a step of the fetch it joins says so)."""
        if self.closed_unanswered.pop(id(trans), None) is not trans:
            return
        stray = stray_answer(trans, self.collector.dns_times, self.collector.first_ts_ns)
        if stray is not None:
            self._activity(stray.client, stray.ts_ns).strays.append(stray)

    def neighbour(self, msg: NeighbourMessage) -> None:
        if msg.kind == "request" or msg.gratuitous or not msg.target or msg.target.startswith("ff02:"):
            client = msg.sender
        else:
            client = msg.target
        if msg.kind == "request" and msg.mac and not msg.gratuitous:
            self._same_host(msg.sender, msg.mac)
        seen = self.capture
        if msg.protocol == "nd":
            if not seen.first_nd_frame:
                seen.first_nd_frame = msg.frame
        elif not seen.first_arp_frame:
            seen.first_arp_frame = msg.frame
        self._activity(client, msg.ts_ns).neighbours.append(msg)

    def _same_host(self, addr: str, mac: str) -> None:
        """``addr`` announced ``mac`` in its own request: join it to the host of the other family's address
        that announced the same MAC (see the module docstring)."""
        if mac in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff") or addr in ("0.0.0.0", "::") or \
                addr.startswith("fe80:") or addr in self.host_key:
            return
        family = 6 if ":" in addr else 4
        self.mac_addrs.setdefault((mac, family), addr)
        other = self.mac_addrs.get((mac, 10 - family))
        if other is None or self.mac_addrs[(mac, family)] != addr or len(self.host_key) > 65536:
            return
        self._join(addr, other)

    def _dual_stack(self, client: str, server: str, ts: int) -> None:
        """``client`` connects to ``server``, an address a lookup sent by the host's address of the other family
        was answered with shortly before (within LOOKBACK_NS), and both addresses sent their queries and SYNs
        from one link-layer address (:meth:`Collector.senders_of`: a router's, which many addresses send from,
        proves nothing): one host, as a dual-stack client asks for AAAA over IPv4 and connects over IPv6 (or the
        reverse), and races both families (Happy Eyeballs)."""
        if client in self.host_key or len(self.host_key) > 65536:
            return
        v6 = ":" in client
        times = self.collector.dns_times
        for other in self.collector.senders_of(client):
            if (":" in other) == v6:
                continue
            act = self.activities.get(self.host_key.get(other, other))
            if act is None:
                continue
            for t in reversed(act.lookups):
                answered = t.response_ts_ns
                if answered is None or answered > ts or ts - answered > LOOKBACK_NS:
                    continue
                lk = lookup(t, times)
                if lk is not None and server in lk.addresses:
                    self._join(client, other)
                    return

    def _join(self, addr: str, other: str) -> None:
        """``addr`` and ``other`` (of the other family) are one host: one key, one activity."""
        key = self.host_key.get(other, other)
        self.host_key[addr] = key
        self.host_key.setdefault(other, key)
        self.host_addrs[key] = self.host_addrs.get(key, frozenset({key})) | {addr, other}
        mine = self.activities.pop(addr, None)
        if mine is not None:                 # it did something before the proof came: one activity now
            act = self._activity(key, mine.start_ns)
            act.start_ns = min(act.start_ns, mine.start_ns)
            act.conns.update(mine.conns)
            act.tuples = None
            act.ordered = False
            act.lookups += mine.lookups
            act.neighbours += mine.neighbours
            act.icmp += mine.icmp
            act.quic += mine.quic
            act.strays += mine.strays

    def icmp(self, err: IcmpError) -> None:
        self._activity(err.client, err.ts_ns).icmp.append(err)

    def quic(self, flow: QuicFlow) -> None:
        self._activity(flow.client, flow.first_ts_ns).quic.append(flow)

    def finished(self, log: ConnLog) -> None:
        self.done.add(log.conn.stream)

    # -- frames --------------------------------------------------------------------------------------
    def feed(self, frame: Any) -> list[Fetch]:
        """One frame; the fetches completed by its time (often none). The check comes first, so that a frame
        never joins an activity that was already complete when it arrived."""
        ts = frame.ts_ns
        if ts >= self.next_check:
            self.next_check = ts + CHECK_NS
            self._check(ts)
        self.collector.feed(frame)
        return self._take()

    def feed_batch(self, batch: Any) -> list[Fetch]:
        """The frames of a :class:`~analyzer.capture.batches.FrameBatch`, each as :meth:`feed` takes it (the check
        before the first frame at or past its time, :meth:`Collector.feed_batch`); the fetches completed by the
        batch's end, in the order :meth:`feed` would have handed them out frame by frame."""
        cols = parse_headers(batch)
        n = len(batch)
        i = 0
        feed = self.collector.feed_batch
        while i < n:
            i = feed(batch, cols, i, self.next_check)
            if i < n:
                ts = int(batch.ts_ns[i])
                self.next_check = ts + CHECK_NS
                self._check(ts)
        return self._take()

    def tick(self, now_ns: int) -> list[Fetch]:
        """The packet-time clock moved on without frames (a live capture): fetches completed by then."""
        self._check(now_ns)
        return self._take()

    def finish(self) -> list[Fetch]:
        """End of input: every remaining fetch."""
        return list(self.finishing())

    def finishing(self) -> Iterator[Fetch]:
        """End of input: every remaining fetch, handed out as it is explained (a long activity in slices:
        see :meth:`_slice`), so that they need not all be in memory at once."""
        if not self.ended:
            self.ended = True
            self.collector.finish()
            self._check(FOREVER, final=True)
            for log, _ts in list(self.dormant.values()):
                if log.count or log.records:
                    self._wake(log)
            self.dormant.clear()
            yield from self._take()
            for client in sorted(self.activities, key=lambda c: self.activities[c].start_ns):
                act = self.activities[client]
                while len(act.conns) > SLICE_MIN and self._slice(act, FOREVER, final=True):
                    self._flush(self._barrier())
                    yield from self._take()
                self._scanned.clear()
                self._close(act, FOREVER, final=True)
            self.activities.clear()
            self._resolve_held(FOREVER, final=True)
            self._flush(None)
        yield from self._take()

    def _take(self) -> list[Fetch]:
        out, self.ready = self.ready, []
        return out

    # -- completion ----------------------------------------------------------------------------------
    def _check(self, now: int, final: bool = False) -> None:
        if self.held:
            self._resolve_held(now, final)
        for stream, (log, ts) in list(self.dormant.items()):
            if log.conn.last_ts > ts or log.records:
                self._wake(log)
        if not final:
            closed = self.closed_unanswered
            while closed:
                first = next(iter(closed))
                if len(closed) <= CLOSED_MAX and (closed[first].query_ts_ns or 0) >= now - UNANSWERED_HOLD_NS:
                    break
                del closed[first]
            done = [act for act in self.activities.values() if self._done(act, now)]
            for act in sorted(done, key=lambda a: a.start_ns):
                del self.activities[act.client]
                self._close(act, now)
            for act in [a for a in self.activities.values() if len(a.conns) > SLICE_MIN and a.next_slice <= now]:
                act.next_slice = now + SLICE_EVERY_NS
                while len(act.conns) > SLICE_MIN and self._slice(act, now):
                    pass
                self._scanned.clear()
        if self.queued:
            self._flush(self._barrier())

    def _barrier(self) -> int:
        """The earliest time a fetch not queued yet may begin at: an open activity's start, else the latest
        frame's (frames come in time order)."""
        return min(self.collector.last_ts_ns, min((a.start_ns for a in self.activities.values()), default=FOREVER))

    def _flush(self, barrier: int | None) -> None:
        """Number, in the order they began, the queued fetches that began before ``barrier`` (None: all);
        explain those that wait for nothing."""
        queued = self.queued
        while queued and (barrier is None or queued[0][0] < barrier):
            held = heapq.heappop(queued)[3]
            held.index = self.next_index
            self.next_index += 1
            if held.end_ns is not None:
                self._build(held)

    def _queue(self, held: _Held) -> None:
        start, frame = _plan_start(held.plan)
        heapq.heappush(self.queued, (start, frame, self.arrivals, held))
        self.arrivals += 1

    def _wake(self, log: ConnLog) -> None:
        self.dormant.pop(log.conn.stream, None)
        conn = log.conn
        # the activity begins with the new stretch's first segment (the barrier must not pass it)
        first_ts = log.first_ts()
        self._activity(str(conn.sides[0].addr), first_ts).add_conn(log, first_ts)

    def _done(self, act: _Activity, now: int) -> bool:
        """``self._hold(act, now) <= now``: the activity is complete. The connection that kept it open at the last
        check is asked first: while it still does, the answer is no without the rest (each part of the hold is
        read without side effects, and the answer is whether any part is past ``now``, in any order)."""
        log = act.conns.get(act.blocker)
        if log is not None and self._conn_hold(log, now) > now:
            return False
        return self._hold(act, now) <= now

    def _hold(self, act: _Activity, now: int) -> int:
        hold = 0
        dns_times = self.collector.dns_times
        for t in act.lookups:
            hold = max(hold, _last_dns(t, dns_times) + (SETTLE_NS if t.response_ts_ns is not None else DNS_WAIT_NS))
        for m in act.neighbours:
            hold = max(hold, m.ts_ns + QUIET_NS)
        for e in act.icmp:
            hold = max(hold, e.ts_ns + QUIET_NS)
        for q in act.quic:
            hold = max(hold, q.last_ts_ns + QUIET_NS)
        for a in act.strays:
            hold = max(hold, a.ts_ns + SETTLE_NS)
        for log in act.conns.values():
            hold = max(hold, self._conn_hold(log, now))
            if hold > now:
                act.blocker = log.conn.stream
                return hold
        return hold

    def _conn_hold(self, log: ConnLog, now: int) -> int:
        conn = log.conn
        last = conn.last_ts
        if conn.stream in self.done:
            return last
        if conn.closed:
            return last + SETTLE_NS
        o = conn.sides[0]
        if o.syn_frame and not conn.synack_frame and not conn.resets:
            # the next SYN is due after the last wait doubled: (last - first) + the first RTO (1 s on Linux,
            # 3 s on older stacks and Windows)
            return last + min(last - o.syn_ts + SYN_FIRST_RTO_NS + SETTLE_NS, SYN_HOLD_NS)
        hold = last + QUIET_NS
        if hold <= now and _awaiting_response(log):
            return last + HOLD_NS
        if hold <= now and not log.records and not o.payload_bytes and not conn.sides[1].payload_bytes \
                and conn.synack_frame:
            return last + UNUSED_HOLD_NS         # established, nothing sent yet: the request is coming
        return hold

    def _settled(self, log: ConnLog, now: int, final: bool) -> bool:
        """Over: finished by the tracker, closed and quiet, or its SYN left unanswered past the time the next
        retransmission was due (the client gave up)."""
        conn = log.conn
        if final or conn.stream in self.done or (conn.closed and now >= conn.last_ts + SETTLE_NS):
            return True
        o = conn.sides[0]
        return bool(o.syn_frame and not conn.synack_frame and not conn.resets and now >= self._conn_hold(log, now))

    def _close(self, act: _Activity, now: int, final: bool = False) -> None:
        times = self.collector.dns_times
        lookups = []
        names = self.all_names
        closed = self.closed_unanswered
        unread: list[StrayAnswer] = []
        for t in act.lookups:
            lk = lookup(t, times, self.collector.fragments)
            if lk is None:
                q = unread_query(t, times)      # a query whose question cannot be read: told, no lookup
                if q is not None:
                    unread.append(q)
                    if q.answer_frame is None and not final:    # an answer after its step: told as a late one
                        closed.pop(id(t), None)
                        closed[id(t)] = t
                continue
            lookups.append(lk)
            if lk.response_frame is None and not final:
                closed.pop(id(t), None)
                closed[id(t)] = t
            key = lk.qname.lower().rstrip(".")
            got = names.get(key)
            if got is not None and got[1] is t and lk.response_frame is not None:
                names[key] = (got[0], lk)       # its facts (~1 KB), not the parsed messages (~2.4 KB)
        conns: list[ConnFacts] = []
        open_logs: dict[int, tuple[ConnLog, int]] = {}
        for log in sorted(act.conns.values(), key=lambda lg: lg.conn.first_ts):
            # an attempt still compact (PendingConn) becomes its connection here, once: what follows reads
            # a dozen attributes of it and its sides, each a detour through the proxies otherwise (what a
            # proxy answers on its own is what the connection says)
            conn = log.conn.real() if log.is_pending else log.conn
            settled = self._settled(log, now, final)
            if not log.count and log.epoch > 0 and not log.records:
                if not settled:
                    self.dormant[conn.stream] = (log, conn.last_ts)
                continue
            if settled:
                self._add_open_records(log)
            conns.append(connection_facts(log, summarize_brief(conn), settled=settled, tls=log.tls_session()))
            if settled:
                self._forget(log)
            else:
                open_logs[conn.stream] = (log, len(log.records))
        history = self._history(act.client)
        self._remember_addresses(act.client, lookups)

        def host_of(conn: ConnFacts, lookups: list[DnsLookup]) -> str:
            return _sni(conn) or self._name(act.client, conn.server, conn.first_ts_ns, lookups)

        plans = group(act.client, conns, lookups, act.neighbours, act.icmp, self.collector.links,
                      host_of, history.conn_fetch, self.host_addrs.get(act.client), quic=act.quic,
                      strays=sorted(act.strays + unread, key=lambda a: a.frame) if unread else act.strays)
        for plan in plans:
            waiting = {c.stream: open_logs[c.stream] for c in plan.conns if c.stream in open_logs and not c.settled}
            held = _Held(plan, act.client, waiting, arrival=self.arrivals)
            if waiting:
                self.held[held.arrival] = held
                for stream, (log, seen) in waiting.items():
                    self.waiters.setdefault(stream, (log, seen, []))[2].append(held)
            else:
                held.end_ns = now if not final else self.collector.last_ts_ns
            self._queue(held)
        if len(self.history) > 65536:
            del self.history[next(iter(self.history))]

    def _slice(self, act: _Activity, now: int, final: bool = False) -> bool:
        """Close the oldest :data:`SLICE_MIN` connections of a long activity as an activity of its own, when
        that gives the same fetches as closing it whole; True when a slice was cut.

        A slice is the activity's connections that began first (in the order they began), every one settled
        and carrying nothing but TCP (no HTTP, no TLS), in an activity with no lookup, neighbour message or
        ICMP error (a SYN flood, a port scan), or whose lookups and neighbour messages are all over and
        older than the rest could claim (:meth:`_settled_lookups`: they go with the slice; its lookups still name
        the rest's servers through ``addr_names``). ICMP errors are read by the fetch builder only for the
        connection (or lookup) whose 4-tuple they quote: those quoting a connection of the slice (or a lookup
        it takes) go with it, the others stay; an error quoting a 4-tuple that a connection of the slice and
        one left both use goes to both (each builder reads it for its own connection, as the whole would). Their fetches are then made by rule 2's connection grouping
        alone, which joins a connection to an earlier fetch only of the same server and port within
        :data:`~analyzer.timeline.group.PAGE_WINDOW_NS`: the slice is cut only where no later connection
        could join a fetch of the slice (none with the same server and port begins within the window of the
        slice's last segments). Its fetches are grouped, numbered and handed out then, and its connections
        leave memory: at the end of the input, the last activity of a flood of 200,000 attempts is explained
        slice by slice, not all at once. Before the end, a slice is of connections quiet for
        :data:`SLICE_AGE_NS` (the tracker's half-open timeout: it forgot those attempts by then), so a flood
        of an hour holds the attempts of its last minutes, not of the hour; an unanswered SYN's step then
        measures the capture's wait after it up to the cut (as for any activity closed before the end: the
        capture went on at least that long), not up to the end of the capture."""
        if not act.ordered or act.quic:
            return False
        window = PAGE_WINDOW_NS
        horizon = now - SLICE_AGE_NS                # a slice's connections are quiet since (all known after)
        cut: list[ConnLog] = []
        last = 0
        # with lookups or neighbour messages, the slice takes them: it goes on until the rest begins after
        # any fetch of the rest could claim one (rule 3 of analyzer.timeline.group: a lookup up to LOOKBACK_NS
        # before a connection opened, or a burst of them BURST_NS apart; ARP/ND from LOOKBACK_NS before the
        # fetch's first lookup), and only when they are over (_settled_lookups)
        need = max([_last_dns(t, self.collector.dns_times) for t in act.lookups] +
                   [m.ts_ns for m in act.neighbours] + [a.ts_ns for a in act.strays], default=None)
        if need is not None:
            need += 2 * LOOKBACK_NS + BURST_NS
        for log in act.conns.values():
            conn = log.conn
            if len(cut) >= SLICE_MIN and (need is None or conn.first_ts > need):
                break
            if not final and conn.last_ts > horizon:
                break
            if not (log.epoch == 0 and self._settled(log, now, final) and _bare(log)):
                break
            cut.append(log)
            last = max(last, conn.last_ts)
        if len(cut) < SLICE_MIN or len(cut) == len(act.conns):
            return False
        if need is not None:
            first_rest = next(islice(act.conns.values(), len(cut), None)).conn.first_ts
            if first_rest <= need or not self._settled_lookups(act, now, final):
                return False
        # the connections after the slice that begin within the window: none may share a server and port,
        # or the name a lookup gave its address (rule 2 joins those too), with a connection of the slice
        # still within the window then
        times = self.collector.dns_times
        own = [lk for lk in (lookup(t, times) for t in act.lookups) if lk is not None]

        def name_of(addr: Any, ts: int) -> str | None:       # the name grouping gives it (_close's host_of)
            server = str(addr)
            name = self._name(act.client, server, ts, own)
            return name.lower() if name != server else None

        recent: dict[Any, int] = {}
        for log in cut:
            conn = log.conn
            if conn.last_ts >= cut[-1].conn.first_ts - window:
                side = conn.sides[1]
                for key in ((side.addr, side.port), name_of(side.addr, conn.first_ts)):
                    if key is not None:
                        recent[key] = max(recent.get(key, 0), conn.last_ts)
        rest = iter(act.conns.items())
        for _ in range(len(cut)):
            next(rest)
        scanned = self._scanned              # stream -> (first ts, (server, port), bare): read once per run
        for stream, log in rest:
            info = scanned.get(stream)
            if info is None:
                conn = log.conn
                side = conn.sides[1]
                info = scanned[stream] = (conn.first_ts, (side.addr, side.port), _bare(log))
            first, key, bare = info
            if first > last + window:
                break
            if not bare:
                return False
            for k in (key, name_of(key[0], first)):     # its name: not kept (a closing slice may name it)
                seen = recent.get(k) if k is not None else None
                if seen is not None and seen >= first - window:
                    return False
        errors: list[IcmpError] = []
        if act.icmp:
            if act.tuples is None:
                act.tuples = {}
                for log in act.conns.values():
                    h = hash(_four(log.conn))
                    act.tuples[h] = act.tuples.get(h, 0) + 1
            mine: dict[tuple[str, int, str, int], int] = {}
            for log in cut:
                key = _four(log.conn)
                mine[key] = mine.get(key, 0) + 1
            # 4-tuples a connection left after the slice uses again (a hash clash counts as one): an error
            # quoting one goes to both parts, as the whole activity would read it (the builder cites an error
            # for a connection of its own whose SYN it follows and, where it quotes one, whose ISN it quotes)
            shared = {key for key, n in mine.items() if act.tuples.get(hash(key), 0) > n}
            asked = {(str(t.server[0]), t.server[1], t.client[1]) for t in act.lookups}
            keep: list[IcmpError] = []
            for e in act.icmp:
                quoted = (e.quoted_src, e.quoted_sport, e.quoted_dst, e.quoted_dport)
                if e.quoted_proto == "tcp" and quoted in mine:
                    errors.append(e)
                    if quoted in shared:
                        keep.append(e)
                elif e.quoted_proto == "udp" and e.peer in asked:
                    errors.append(e)
                else:
                    keep.append(e)
            act.icmp = keep
        part = _Activity(act.client, act.start_ns)
        part.icmp = errors
        if act.lookups or act.neighbours or act.strays:     # they go with the slice; its lookups still name
            part.lookups, part.neighbours, part.strays = act.lookups, act.neighbours, act.strays    # servers
            act.lookups, act.neighbours, act.strays = [], [], []        # (addr_names, filled by _close)
        for log in cut:
            stream = log.conn.stream
            part.conns[stream] = act.conns.pop(stream)
            scanned.pop(stream, None)
            if act.tuples is not None:
                h = hash(_four(log.conn))
                left = act.tuples.pop(h, 1) - 1
                if left:
                    act.tuples[h] = left
        act.start_ns = next(iter(act.conns.values())).conn.first_ts
        self._close(part, now, final)
        return True

    def _remember_addresses(self, client: str, lookups: list[DnsLookup]) -> None:
        table = self.addr_names
        for lk in lookups:
            if lk.response_frame is None:
                continue
            name = lk.qname.rstrip(".")
            for addr in set(lk.addresses):
                entries = table.pop((client, addr), [])     # re-inserted: the least recent key goes first
                entries.append((lk.query_ts_ns, lk.query_frame, name))
                entries.sort()
                table[(client, addr)] = entries[-4:]
        while len(table) > ADDR_NAMES_MAX:
            del table[next(iter(table))]
            self.addr_names_forgot = True

    def _name(self, client: str, server: str, at_ns: int, lookups: list[DnsLookup]) -> str:
        """The name the client's last lookup sent by ``at_ns`` gave the address ``server``: one of ``lookups``
        (the activity's own), else one of a closed activity's (``addr_names``); else the address."""
        name = _resolved(server, at_ns, lookups)
        if name is not None:
            return name
        for ts, _frame, name in reversed(self.addr_names.get((client, server), ())):
            if ts <= at_ns:
                return name
        return server

    def _addr_forgot(self) -> bool:
        return self.addr_names_forgot

    def _settled_lookups(self, act: _Activity, now: int, final: bool) -> bool:
        """The activity's lookups and neighbour messages are over, so a slice can take them: none is still
        waiting for its answer, every ARP/ND request has its reply among them (a later reply would go to the
        oldest request), and none went over TCP (its connection could be in the rest)."""
        times = self.collector.dns_times
        for t in act.lookups:
            if t.proto == "tcp":
                return False
            if t.response_ts_ns is None and not final and _last_dns(t, times) + DNS_WAIT_NS > now:
                return False
        replied: dict[str, int] = {}            # target -> frame of its last reply
        for m in act.neighbours:
            if m.kind == "reply":
                replied[m.sender] = max(replied.get(m.sender, 0), m.frame)
        return all(replied.get(m.target, 0) > m.frame for m in act.neighbours if m.kind == "request")

    def _add_open_records(self, log: ConnLog) -> None:
        seen = {r.transaction.index for r in log.records}
        log.records += [self.collector.slim(r) for r in log.open_records() if r.transaction.index not in seen]

    def _forget(self, log: ConnLog) -> None:
        stream = log.conn.stream
        if self.collector.logs.get(stream) is log:
            del self.collector.logs[stream]
        self.done.discard(stream)

    def _resolve_held(self, now: int, final: bool) -> None:
        """Decide, once per waited-for connection, whether it settled, carries a new request or has idled
        long enough; every fetch waiting for it gets the same facts; fetches left waiting for nothing go
        out."""
        free: list[_Held] = []
        undecided = self.undecided
        done = self.done
        # the waiters the test below may not pass over (the compiled helper leaves out the others: the same test)
        items = None if final or _held_todo is None else _held_todo(self.waiters, undecided, done, now, ConnLog)
        if items is None:
            items = list(self.waiters.items())
        for stream, (log, seen, waiting) in items:
            conn = log.conn
            # a log with no new segment or record since it was found undecided stays so until its due time (most
            # waiters at most checks: compared field by field, no stamp made for them)
            known = undecided.get(stream)
            if known is not None and not final and now < known[1]:
                last_ts, n_records, was_done = known[0]
                if last_ts == conn.last_ts and n_records == log.records_count() and was_done == (stream in done):
                    continue
            facts = self._resolve(log, seen, now, final)
            if facts is None:
                stamp = (conn.last_ts, log.records_count(), stream in done)
                undecided[stream] = (stamp, self._due(log, now))
                continue
            undecided.pop(stream, None)
            del self.waiters[stream]
            for held in waiting:
                held.resolved[stream] = facts
                del held.waiting[stream]
                if not held.waiting:
                    free.append(held)
        for held in sorted(free, key=lambda h: h.arrival):
            self._release(held, now, final)

    def _due(self, log: ConnLog, now: int) -> int:
        """When packet time alone may decide an undecided log (:meth:`_resolve`): settled once closed and
        quiet, or its unanswered SYN given up; released once idle."""
        conn = log.conn
        due = conn.last_ts + IDLE_RELEASE_NS
        if conn.closed:
            due = min(due, conn.last_ts + SETTLE_NS)
        o = conn.sides[0]
        if o.syn_frame and not conn.synack_frame and not conn.resets:
            due = min(due, self._conn_hold(log, now))
        return due

    def _resolve(self, log: ConnLog, seen: int, now: int, final: bool) -> ConnFacts | None:
        conn = log.conn
        settled = self._settled(log, now, final)
        if settled:
            self._add_open_records(log)
        reuse = _next_request(log, seen)
        if reuse is not None:
            frame, target = reuse
            facts = connection_facts(log, summarize_brief(conn), settled=False, until_frame=frame,
                                     records=log.records[:seen], next_request=(frame, target),
                                     tls=log.tls_session())
            log.reset(from_frame=frame, records_from=seen)
            self._wake(log)
            return facts
        if settled:
            facts = connection_facts(log, summarize_brief(conn), settled=True,
                                     records=log.records[:seen] + _answers_only(log, seen), tls=log.tls_session())
            self._forget(log)
            return facts
        if now - conn.last_ts >= IDLE_RELEASE_NS:
            facts = connection_facts(log, summarize_brief(conn), settled=False, records=log.records[:seen],
                                     tls=log.tls_session())
            log.reset(records_from=seen)
            self.dormant[conn.stream] = (log, conn.last_ts)
            return facts
        return None

    def _release(self, held: _Held, now: int, final: bool) -> None:
        self.held.pop(held.arrival, None)
        plan = held.plan
        for u in plan.units:
            new = held.resolved.get(u.conn.stream)
            if new is not None and new.epoch == u.conn.epoch:
                u.conn = new
        held.end_ns = self.collector.last_ts_ns if final else now
        if held.index is not None:
            self._build(held)

    def _history(self, client: str) -> History:
        history = self.history.get(client)
        if history is None:
            history = self.history[client] = History(others=self._other_lookup, others_forgot=self._names_forgot,
                                                     addr_forgot=self._addr_forgot, capture=self.capture)
        return history

    def _other_lookup(self, name: str) -> DnsLookup | None:
        """The latest answered query for ``name`` by any client (History.others)."""
        got = self.all_names.get(name)
        if got is None or got[1].response_frame is None:
            return None
        t = got[1]
        return t if isinstance(t, DnsLookup) else lookup(t, self.collector.dns_times)

    def _names_forgot(self) -> int:
        return self.names_forgot_ns

    def _build(self, held: _Held) -> None:
        plan, client = held.plan, held.client
        history = self._history(client)
        first = plan.units[0] if plan.units else None
        if first is not None and not first.request and first.conn.epoch > 0:
            # a later stretch of a connection: the fetch that used it last (built by now: it began earlier)
            plan.continues = history.conn_fetch.get(first.conn.stream, plan.continues)
        fetch = build_fetch(plan, held.index or 0, history, self.lang, capture_end_ns=held.end_ns,
                            links_of=self.collector.links, keep_bodies=self.keep_bodies, ladder=self.ladder)
        self.ready.append(fetch)

        for c in plan.conns:
            for rec in c.records:
                self.collector.links.pop((rec.stream, rec.transaction.index), None)


def _plan_start(plan: Plan) -> tuple[int, int]:
    """(time, frame) of a plan's first event: a lookup, a neighbour message, a stray DNS answer, the SYN of a
    connection it opened,
    its first request on a connection opened before, a connection's first segment when it carried none."""
    events = [(lk.query_ts_ns, lk.query_frame) for lk in plan.lookups]
    events += [(m.ts_ns, m.frame) for m in plan.neighbours]
    events += [(c.first_ts_ns, c.first_frame) for c in plan.dns_conns]
    events += [(a.ts_ns, a.frame) for a in plan.strays]
    for u in plan.units:
        conn = u.conn
        if u.first_on_conn and conn.syns:
            events.append(conn.syns[0][::-1])
        elif u.request:
            events.append((u.start_ns, u.record.transaction.request.first_frame))
        else:
            events.append((u.start_ns, conn.first_frame))
    return min(events, default=(plan.first_ns, 0))


def _four(conn: Any) -> tuple[str, int, str, int]:
    """A connection's (client, client port, server, server port), as ICMP errors quote them."""
    c, s = conn.sides
    return (str(c.addr), c.port, str(s.addr), s.port)


def _last_dns(t: Any, times: dict[int, int]) -> int:
    """When a lookup (a DnsTransaction) was last active: its answer, else its last query sent."""
    if t.response_ts_ns is not None:
        return t.response_ts_ns
    return max([t.query_ts_ns or 0] + [times.get(f, 0) for f in t.retransmissions])


def _bare(log: ConnLog) -> bool:
    """The connection carried nothing but TCP so far: no HTTP record, no TLS (an attempt the tracker still
    keeps compact never did)."""
    if log.is_pending:
        return True
    return not log.records and log.tls is None and not log.open_records() and log.tls_session() is None


def _awaiting_response(log: ConnLog) -> bool:
    return any(r.transaction.response is None or r.transaction.response_end is None for r in log.open_records())


def _answers_only(log: ConnLog, seen: int) -> list:
    """Records handed out after the snapshot that are not new requests (a response completed at the
    close, no request of its own)."""
    return [r for r in log.records[seen:] if r.transaction.request is None]


def _next_request(log: ConnLog, seen: int) -> tuple[int, str] | None:
    """The first frame and target of a request on the connection after the first ``seen`` records."""
    for r in log.records[seen:]:
        req = r.transaction.request
        if req is not None:
            return req.first_frame, req.target
    if log.conn.last_ts:
        for r in log.open_records():
            req = r.transaction.request
            if req is not None and r.transaction.index >= _first_unseen_index(log, seen):
                return req.first_frame, req.target
    return None


def _first_unseen_index(log: ConnLog, seen: int) -> int:
    indexes = [r.transaction.index for r in log.records[:seen]]
    return max(indexes) + 1 if indexes else 0


def _sni(conn: ConnFacts) -> str | None:
    tls = conn.tls
    return (getattr(tls, "sni", None) or None) if tls is not None else None


def _resolved(server: str, at_ns: int, lookups: list[DnsLookup]) -> str | None:
    """The name the latest of ``lookups`` sent by ``at_ns`` resolved to the address ``server``."""
    for lk in sorted(lookups, key=lambda x: -x.query_ts_ns):
        if lk.query_ts_ns <= at_ns and server in lk.addresses:
            return lk.qname.rstrip(".")
    return None


def fetches(frames: Iterable, lang: str = "en", *, keep_bodies: bool = False, keylog: Any = None) -> Iterator[Fetch]:
    """Each fetch of ``frames`` as soon as it is complete, numbered in the order they began (see the module
    docstring)."""
    run = TimelineRun(lang, keep_bodies=keep_bodies, keylog=keylog)
    feed = run.feed
    for frame in frames:
        out = feed(frame)
        if out:
            yield from out
    yield from run.finishing()


def timeline(frames: Iterable, lang: str = "en", *, keep_bodies: bool = False, keylog: Any = None) -> Timeline:
    """The whole capture's fetches, in the order they began."""
    run = TimelineRun(lang, keep_bodies=keep_bodies, keylog=keylog)
    out: list[Fetch] = []
    for frame in frames:
        got = run.feed(frame)
        if got:
            out += got
    out += run.finish()
    out.sort(key=lambda f: f.index)
    return Timeline(tuple(out), lang, run.collector.frames)
