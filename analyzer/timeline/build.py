"""From one fetch's plan (:class:`~analyzer.timeline.group.Plan`) to a :class:`~analyzer.timeline.model.Fetch`:
its steps explained, request timings, connections, summary, where the time went, ladder (sans-IO).

Theory of operation
-------------------
* **Steps** come in capture order (by their first frame; a step about something absent goes just before the
  frame it explains). Each cites its frames and names a template of :mod:`analyzer.timeline.texts`.
* **Which segments are the fetch's**: those of its connections that belong to its transactions
  (:func:`analyzer.timeline.tcp.owners`); the handshake if it opened the connection; the teardown if it made
  the connection's last request (or the connection carried no request). Byte counts add up over those.
* **Absences** are checked before they are said, against everything before the fetch in the file (the
  client's earlier lookups and neighbour resolutions, in :class:`History`), and phrased as what was looked
  for: "no DNS query for NAME in this file before frame N".
* **Figures, defined once**: *TCP connect* is the client's first SYN to its handshake ACK (waits for
  retransmitted SYNs included); *iRTT* (Wireshark's) is the last SYN to that ACK: the round trip of the
  attempt that got through, seen from the capture point. So connect = retransmission waits + iRTT, always.
  *Time to first byte* is the request's last byte to the response's first; *server think time* is TTFB
  minus the iRTT (the network's share of the wait). A *lookup* (:func:`resolutions`) is one resolver call's
  queries for one name (its record types, search domains, a retry), first query to last answer; a fetch's DNS
  time without the first request's own is its lookups' times, two at once counted once: never the span from the
  first query to the last answer, which holds the client's other work (connections opened between lookups).
* **Where the time went** names every part it measures: those under a tenth of the total in one line, then
  the time no part covers (or that parts overlap); one sender's retransmission timeouts are one line.
* **Problems** (``problem=True``) are explained with their evidence: retransmitted SYN/SYN-ACK (with the RTO
  doubling), refused and unanswered connections, lost segments (Wireshark's "previous segment not
  captured"), retransmissions, duplicate ACKs, zero windows, resets, unanswered or failed DNS queries, an
  answer later than the 5 s a resolver waits (told where it comes, :meth:`FetchBuilder._dns_strays`), a
  truncated answer retried over TCP; a delay much longer than the round trip is put down to what the
  capture shows (a lost answer retransmitted after the minimum RTO, Nagle with a delayed ACK, the server).
"""

from __future__ import annotations

import ipaddress
import itertools
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import itemgetter
from typing import Any

from analyzer.apps.http.headers import content_length
from analyzer.apps.http.sink import authority_form
from analyzer.apps.quic import gquic_version_name, version_name
from analyzer.apps.tls.facts import EARLY_REFUSED
from analyzer.apps.websocket import CLOSE, OPCODE_NAMES, WebSocketSession
from analyzer.decode.dns import LOOP_NAME, RCODE_NAMES
from analyzer.tcp.analysis import (
    A_ACK_LOST_PACKET,
    A_DUPLICATE_ACK,
    A_FAST_RETRANSMISSION,
    A_KEEP_ALIVE,
    A_KEEP_ALIVE_ACK,
    A_LOST_PACKET,
    A_OUT_OF_ORDER,
    A_RETRANSMISSION,
    A_SPURIOUS_RETRANSMISSION,
    A_WINDOW_FULL,
    A_ZERO_WINDOW,
    A_ZERO_WINDOW_PROBE,
)
from analyzer.timeline.encrypted import EncryptedView
from analyzer.timeline.encrypted import exchanges as encrypted_exchanges
from analyzer.timeline.facts import (
    ACK,
    FIN,
    PSH,
    RST,
    SYN,
    ConnFacts,
    DnsLookup,
    IcmpError,
    NeighbourMessage,
    QuicFlow,
    Segment,
    StrayAnswer,
)
from analyzer.timeline.group import Plan, Unit, is_ip, is_tunnel_setup, name_matches, tunnel_url
from analyzer.timeline.model import (
    Connection,
    Delay,
    Fetch,
    FetchSummary,
    LadderRow,
    LazyStep,
    Lookup,
    Phase,
    RequestTiming,
    Step,
)
from analyzer.timeline.redirect import followed as followed_redirects
from analyzer.timeline.tcp import HANDSHAKE, RESENT, TEARDOWN, TWICE_NS, _Intervals, owners, payload_bytes
from analyzer.timeline.texts import TEMPLATES, connection_prefix, duration, explain, label, names_text, note
from analyzer.timeline.texts import note as note_text  # where a function has a local "note"

_ROLE = {"orig": "client", "resp": "server", "both": "both", None: None}
EXPECT_WAIT_MS = 100.0      # a body held back this long after an Expect: 100-continue head is a wait worth telling
CLIENT_TLS_WAIT_MS = 10.0   # a client this long (and more than half the handshake) before its TLS Finished: told
RCODE_MNEMONICS = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN",
                   7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE"}
TLS_WAIT_MS = 1000.0        # a capture ending sooner after a ClientHello cannot tell that no ServerHello came
RESOLVER_TIMEOUT_MS = 5000.0    # a stub resolver's wait for an answer before it asks again (glibc's RES_TIMEOUT)
MIN_RTO_MS = 200.0          # Linux's minimum retransmission timeout (TCP_RTO_MIN)
DELAYED_ACK_MS = (35.0, 500.0)   # delayed-ACK timers: Linux 40 ms min, Windows 200 ms, BSD 100 ms
LADDER_HEAD, LADDER_TAIL, LADDER_PROBLEMS = 24, 12, 24
# a connection of at most LADDER_HEAD + LADDER_TAIL segments shows them all: its rows are made without the sets
# of kept and flagged segments (most connections; tests/test_timeline_ladder_rows.py turns this off to compare)
LADDER_ALL_SHOWN = True
RACE_NS = 300_000_000       # a QUIC connection and a TCP one to the same server begun this close: a browser's race
QUIET_NS = 1_000_000_000     # an incomplete response's connection silent this long before the capture's end: told so
EPISODE_NS = 300_000_000    # flagged segments closer than this (and of one transaction) make one step
KARN_MIN_MS = 20.0          # an iRTT longer than the data's round trip by less than this is not worth a word
NAME_HOLD_NS = 600_000_000_000   # a client's answered lookups are remembered this long (History)
STRAYS_TOLD = 10            # DNS answers to no open lookup told one by one in a fetch (the rest are counted)
LONE_LOOKED_NS = 300_000_000_000     # how far back a query is paired with its answer (dns_tx.UNANSWERED_HOLD_NS)
# where the time went: the parts told whatever their length (a problem's wait); the others need a tenth of the total
PROBLEM_DELAYS = frozenset(("syn_retry", "late_synack", "lost_answer", "lost_flight", "stall", "loss", "dns_retry", "syn_unanswered",
                            "dns_late", "release"))
TROUBLE = (A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION | A_LOST_PACKET | A_ACK_LOST_PACKET
           | A_DUPLICATE_ACK | A_ZERO_WINDOW | A_OUT_OF_ORDER | A_ZERO_WINDOW_PROBE)
COPY_FLAGS = TROUBLE | A_KEEP_ALIVE   # a copy the capture made is told with the others whatever Wireshark calls it


@dataclass(slots=True)
class CaptureSeen:
    """What the run saw of the whole capture so far, for the "none in this file" steps: the first frame that held a
    DNS message (0: none yet), an ARP message, a Neighbor Discovery message, the capture filter the file (pcapng if_filter) or the live capture recorded
    (None: none recorded, or a format that keeps none), and the display filter (-Y) the run's frames passed.
    One per run, shared by its clients' histories."""

    first_dns_frame: int = 0
    first_arp_frame: int = 0        # ... and ARP / Neighbor Discovery message
    first_nd_frame: int = 0
    capture_filter: str | None = None
    display_filter: str | None = None


@dataclass(slots=True)
class History:
    """What the client's earlier fetches left behind (bounded by names and addresses): the last lookups of
    each name, the last resolutions of each neighbour (a few each, in frame order: a fetch explained after one
    that began later asks for the last one *before* its own frames), which fetch last used each open
    connection.

    The lookups are also bounded by capture time: a name none of whose lookups was answered in the last
    :data:`NAME_HOLD_NS` (600 s) of packet time is forgotten (a client that keeps visiting new names would
    otherwise fill 4,096 names x 4 lookups). 600 s outlasts browsers' own caches (Firefox 60 s, Chrome a
    minute) and the usual TTL (300 s), so "resolved earlier, at frame N" is still said wherever a cache
    could have kept the answer; nscd's hour is not covered. Once a client's lookup was forgotten, "no query
    for NAME" is said for the 600 s before the frame, not for the whole file (``forgot_ns``)."""

    names: dict[str, list[tuple[int, int, tuple[str, ...], int, int]]] = field(default_factory=dict)  # name ->
    # [(query frame, response ts, addresses, ttl, fetch index)]
    neighbours: dict[str, list[tuple[int, str, int]]] = field(default_factory=dict)    # ip -> [(frame, mac, fetch)]
    macs: dict[str, str] = field(default_factory=dict)                            # mac -> ip
    asked: dict[str, tuple[int, str, int]] = field(default_factory=dict)       # asker -> its last (frame, target, fetch)
    conn_fetch: dict[int, int] = field(default_factory=dict)                      # stream -> fetch index
    conn_requests: dict[int, int] = field(default_factory=dict)                   # stream -> requests so far
    unanswered: dict[str, DnsLookup] = field(default_factory=dict)               # "name/type" -> last unanswered
    # the latest answered lookup of a name by any client of the run (None: not known)
    others: Callable[[str], DnsLookup | None] | None = None
    forgot_ns: int = 0      # the newest answer of a name forgotten by time (0: none was)
    # when ``others`` last forgot a name (0: never): its names are bounded too (TimelineRun.lookup)
    others_forgot: Callable[[], int] | None = None
    # whether the run's index of the addresses lookups gave (which names a server) forgot any (its bound)
    addr_forgot: Callable[[], bool] | None = None
    capture: CaptureSeen = field(default_factory=CaptureSeen)

    def remember_lookup(self, lk: DnsLookup, fetch: int) -> None:
        if lk.response_frame is None:
            return
        ttl = min((a.ttl for a in lk.answers), default=0)
        ts = lk.response_ts_ns or 0
        _keep(self.names, lk.qname.lower().rstrip("."), (lk.query_frame, ts, lk.addresses, ttl, fetch))
        # the least recently remembered names first: forgotten while none of their answers is recent
        names = self.names
        while names:
            key = next(iter(names))
            newest = max(e[1] for e in names[key])
            if newest >= ts - NAME_HOLD_NS:
                break
            del names[key]
            self.forgot_ns = max(self.forgot_ns, newest)

    def remember_neighbour(self, m: NeighbourMessage, fetch: int) -> None:
        mac = m.mac or m.link_mac      # (an NA answering a unicast NS: the MAC its frame came from)
        if m.kind == "request" and not m.gratuitous:
            self.asked.pop(m.sender, None)
            self.asked[m.sender] = (m.frame, m.target, fetch)
            if len(self.asked) > 4096:
                del self.asked[next(iter(self.asked))]
        if m.kind == "reply" and mac:
            # (an NA with no link-layer address option answers a unicast NS: a reachability check, RFC 4861 7.2.4)
            _keep(self.neighbours, m.sender, (m.frame, mac, fetch, not m.mac))
            self.macs[mac] = m.sender
            if len(self.macs) > 4096:
                del self.macs[next(iter(self.macs))]

    def name_before(self, name: str, frame: int) -> tuple[int, int, tuple[str, ...], int, int] | None:
        """The last remembered lookup of ``name`` sent before ``frame``."""
        return next((e for e in reversed(self.names.get(name, ())) if e[0] < frame), None)

    def neighbour_before(self, ip: str, frame: int) -> tuple[int, str, int, bool] | None:
        """The last remembered resolution of ``ip`` before ``frame``: (frame, MAC, fetch, whether it was a
        reachability check's answer rather than a resolution)."""
        return next((e for e in reversed(self.neighbours.get(ip, ())) if e[0] < frame), None)


def _client_dns_gaps(lookups: list[DnsLookup] | tuple[DnsLookup, ...], window_ms: float
                     ) -> tuple[float, float, int, int] | None:
    """The client's own time inside a fetch's DNS time (``window_ms`` from its first query): between an answer
    and its next query, no query outstanding (a resolver library that asks A, then AAAA, one after the other).
    An unanswered query stays outstanding until the next one (that wait is a retry's, told apart). (total ms,
    longest ms, the answer's frame and the next query's frame of the longest) or None when there is none."""
    order = sorted(lookups, key=lambda lk: (lk.query_ts_ns, lk.query_frame))
    if len(order) < 2:
        return None
    end_ns = order[0].query_ts_ns + int(window_ms * 1e6)
    last_answer, answer_frame, waiting = 0, 0, False
    total, longest = 0, (0, 0, 0)
    for n, lk in enumerate(order):
        if n and not waiting and last_answer < lk.query_ts_ns <= end_ns:
            gap = lk.query_ts_ns - last_answer
            total += gap
            if gap > longest[0]:
                longest = (gap, answer_frame, lk.query_frame)
        if lk.response_ts_ns is None:
            waiting = True
        else:
            waiting = False         # (a query asked again, or of the next resolver, got its answer)
            if lk.response_ts_ns > last_answer:
                last_answer, answer_frame = lk.response_ts_ns, lk.response_frame or 0
    if not total:
        return None
    return _ms(total), _ms(longest[0]), longest[1], longest[2]


def resolutions(lookups: list[DnsLookup] | tuple[DnsLookup, ...]) -> list[tuple[str, list[DnsLookup]]]:
    """A fetch's DNS queries as name resolutions, in the order they began: the queries one resolver call makes
    for one name (its record types, the name with a search domain appended), each (name, its queries). A
    question the resolution asked already (the same name and type, a new query: not a retransmission, which
    stays in its query) after its answer came begins a new resolution of the name: a browser asking again for
    each connection makes one per connection; asked again with no answer yet (the next resolver, a retry) it is
    the same resolution. Resolutions of different names may run at the same time."""
    out: list[tuple[str, list[DnsLookup]]] = []
    latest: dict[str, tuple[list[DnsLookup], dict[tuple[str, str], DnsLookup]]] = {}  # name -> its last resolution
    for lk in sorted(lookups, key=lambda x: (x.query_ts_ns, x.query_frame)):
        name = lk.qname.lower().rstrip(".")
        base = next((b for b in latest if name == b or name.startswith(b + ".")), name)
        run = latest.get(base)
        asked = run[1].get((name, lk.qtype)) if run is not None else None
        # asked again after its answer: a new resolution (without an answer, or after a truncated one: the same
        # one, retried, over TCP for a truncated answer)
        if run is None or asked is not None and asked.response_ts_ns is not None and not asked.truncated \
                and asked.response_ts_ns <= lk.query_ts_ns:
            run = latest[base] = ([], {})
            out.append((base, run[0]))
        run[0].append(lk)
        run[1][name, lk.qtype] = lk
    return out


def resolution_ms(queries: list[DnsLookup]) -> float | None:
    """One resolution's time: its first query to its last answer (None: no answer)."""
    answers = [lk.response_ts_ns for lk in queries if lk.response_ts_ns is not None]
    return _ms(max(answers) - queries[0].query_ts_ns) if answers else None


def resolving_ms(runs: list[tuple[str, list[DnsLookup]]]) -> float | None:
    """The time some answered resolution was under way (their spans merged: two at once count once; the time
    between them, the client doing something else, not at all). None: none was answered."""
    spans = sorted((q[0].query_ts_ns, max(lk.response_ts_ns for lk in q if lk.response_ts_ns is not None))
                   for _n, q in runs if any(lk.response_ts_ns is not None for lk in q))
    if not spans:
        return None
    total, (a, b) = 0, spans[0]
    for c, d in spans[1:]:
        if c > b:
            total, a, b = total + b - a, c, d
        else:
            b = max(b, d)
    return _ms(total + b - a)


def _names(runs: list[tuple[str, list[DnsLookup]]]) -> tuple[tuple[str, tuple[float | None, ...]], ...]:
    """FetchSummary.dns_names: per name, the times of its resolutions."""
    by_name: dict[str, list[float | None]] = {}
    for name, queries in runs:
        by_name.setdefault(name, []).append(resolution_ms(queries))
    return tuple((name, tuple(times)) for name, times in by_name.items())


def _said_close(r: RequestTiming) -> bool:
    """The request or its response said its connection carries no other (short connections): "Connection:
    close", or HTTP/1.0 without "keep-alive"."""
    heads = [v.lower() for k, v in (*r.request_headers, *r.response_headers) if k.lower() == "connection"]
    if any("close" in v for v in heads):
        return True
    return "HTTP/1.0" in (r.http_version, r.response_version) and not any("keep-alive" in v for v in heads)


def _keep(table: dict[str, list], key: str, entry: tuple, per_key: int = 4, keys: int = 4096) -> None:
    """Remember ``entry`` (frame first) under ``key``: the last ``per_key`` in frame order, ``keys`` keys."""
    entries = table.pop(key, [])            # re-inserted: the least recently used key goes first
    entries.append(entry)
    entries.sort(key=lambda e: e[0])
    del entries[:-per_key]
    table[key] = entries
    if len(table) > keys:
        del table[next(iter(table))]


@dataclass(slots=True)
class _Raw:
    order: float
    ts_ns: int | None
    frames: tuple[int, ...]
    layer: str
    kind: str
    facts: dict[str, Any]
    problem: bool = False



# the TCP steps whose text begins with "Connection {stream}": no "Connection N: " before them
SELF_NAMED = frozenset(k for k, t in TEMPLATES["en"].items() if k.startswith("tcp.")
                       and t.startswith("Connection {stream}"))


def _step_text(kind: str, facts: dict[str, Any], lang: str, frames: tuple[int, ...], stream: int | None) -> str:
    """A step's explanation; ``stream``: the connection it names first (a fetch's TLS and teardown steps of
    all but its first connection), else None."""
    text = explain(kind, facts, lang, frames)
    return text if stream is None else connection_prefix(stream, lang) + text


def _data_direction(s: Segment) -> int:
    """The direction of the data a flagged segment is about: its own for data, retransmissions and losses; the
    other one for a receiver's bare duplicate ACK, zero window or ACK of unseen data."""
    if not s.length and s.analysis & (A_DUPLICATE_ACK | A_ZERO_WINDOW | A_ACK_LOST_PACKET):
        return 1 - s.direction
    return s.direction


def data_rtt(conn: ConnFacts) -> dict[str, Any] | None:
    """The round trip measured on a connection's data, for when the handshake's iRTT is ambiguous (a SYN or
    SYN-ACK was retransmitted: Karn's rule). Each half is timed where the capture sees it: the client's data
    to the server's ACK of it, and the server's data to the client's ACK (a SYN-ACK to the handshake's ACK
    when the server sent no data); the round trip is the sum of each half's least sample. A segment that was
    sent again or out of order gives no sample, and an ACK times the segment that ends where it points, as
    Wireshark's tcp.analysis.ack_rtt does; a packet the capture saw twice counts once. None when either half
    has no sample."""
    pending: tuple[list, list] = ([], [])
    best: list[tuple[int, int, int] | None] = [None, None]
    copies = conn.copies
    for seg in conn.segments:
        if seg.frame in copies:
            continue
        d = seg.direction
        if seg.flags & ACK and pending[1 - d]:
            waiting = pending[1 - d]
            hit = next((p for p in waiting if p[0] == seg.rel_ack), None)
            if hit is not None:
                sample = (seg.ts_ns - hit[1], hit[2], seg.frame)
                if best[1 - d] is None or sample[0] < best[1 - d][0]:
                    best[1 - d] = sample
            waiting[:] = [p for p in waiting if p[0] > seg.rel_ack]
        if seg.length and not seg.flags & SYN:
            if seg.analysis & RESENT:
                pending[d][:] = [p for p in pending[d] if p[0] <= seg.rel_seq]
            elif not seg.analysis & A_OUT_OF_ORDER:
                pending[d].append((seg.rel_seq + seg.length, seg.ts_ns, seg.frame))
    if best[1] is None and len(conn.synacks) == 1 and conn.handshake_ack:
        (f1, t1), (fa, ta) = conn.synacks[0], conn.handshake_ack
        best[1] = (ta - t1, f1, fa)
    if best[0] is None or best[1] is None:
        return None
    (c_ns, c_data, c_ack), (s_ns, s_data, s_ack) = best
    return {"rtt_ms": _ms(c_ns + s_ns), "c_ms": _ms(c_ns), "c_data": c_data, "c_ack": c_ack, "s_ms": _ms(s_ns),
            "s_data": s_data, "s_ack": s_ack}


def _reordered(conn: ConnFacts) -> bool:
    """The connection's first SYN-ACK carries an earlier time than the first SYN (which it answers): the capture's
    timestamps are out of order (frames merged from two capture points, or written out of order), and the
    handshake measures no round trip."""
    return bool(conn.syns and conn.synacks and conn.synacks[0][1] < conn.syns[0][1])


def _ms(ns: float) -> float:
    return ns / 1e6


_TIME_FRAME = itemgetter(0, 1)      # FetchBuilder._idle's events: (time, frame, ...)


@lru_cache(maxsize=4096)
def _is_loopback(addr: str) -> bool:
    try:
        return ipaddress.ip_address(addr).is_loopback
    except ValueError:
        return False


_FLAG_NAMES: dict[int, str] = {}


def flag_names(flags: int) -> str:
    """TCP flags as Wireshark lists them: "SYN, ACK", "FIN, PSH, ACK"."""
    text = _FLAG_NAMES.get(flags)
    if text is None:
        names = [n for bit, n in ((FIN, "FIN"), (SYN, "SYN"), (RST, "RST"), (PSH, "PSH"), (ACK, "ACK"),
                                  (0x20, "URG"), (0x40, "ECE"), (0x80, "CWR")) if flags & bit]
        text = _FLAG_NAMES[flags & 0xFFF] = ", ".join(names) or "<none>"
    return text


def options_facts(opts: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """SYN options as (key, value) pairs, translated by the texts: mss, wscale, sack_perm, timestamps."""
    out: list[tuple[str, Any]] = []
    if not opts:
        return out
    if opts.get("mss"):
        out.append(("mss", opts["mss"]))
    if opts.get("wscale") is not None:
        out.append(("wscale", opts["wscale"]))
    if opts.get("sack_perm"):
        out.append(("sack_perm", True))
    if opts.get("timestamps"):
        out.append(("timestamps", True))
    return out


class FetchBuilder:
    """Builds one :class:`Fetch` from a :class:`Plan` (see the module docstring)."""

    def __init__(self, plan: Plan, index: int, history: History, lang: str, *, capture_end_ns: int | None,
                 links_of: dict[tuple[int, int], bytes], keep_bodies: bool = False, ladder: bool = True):
        self.plan = plan
        self.want_ladder = ladder
        self.index = index
        self.history = history
        self.lang = lang
        self.capture_end_ns = capture_end_ns
        self.links_of = links_of
        self.keep_bodies = keep_bodies
        self.steps: list[_Raw] = []
        self.notes: dict[int, str] = {}          # frame -> short ladder label
        self.cited_icmp: dict[int, tuple[IcmpError, int | None]] = {}   # frame -> (error, its stream)
        self.problem_frames: set[int] = set()
        self._harmless_frames: set[int] | None = None       # _harmless, made once the steps are all there
        # query frame -> the ICMP error the client sent back quoting its answer (the answer came after it had
        # stopped waiting, :meth:`_refusal`); ``usable``: the lookups with those answers taken as none (the
        # client threw them away): the figures (a request's DNS time, the Summary's, where the time went) use it
        self.refused: dict[int, IcmpError] = {}
        if plan.icmp:
            for lk in plan.lookups:
                e = self._refusal(lk)
                if e is not None:
                    self.refused[lk.query_frame] = e
        self.usable = tuple(replace(lk, response_frame=None, response_ts_ns=None) if lk.query_frame in self.refused
                            else lk for lk in plan.lookups) if self.refused else plan.lookups
        # id(unit) -> the frames of its response's first and last bytes (its step cites them), and the
        # segments the response owns (the step's frames before a shared first or last segment was added)
        self.resp_frames: dict[int, tuple[tuple[int, ...], set[int]]] = {}
        # the server's think time of answers too quick for a step of their own (TTFB under 20 ms, yet ten round
        # trips or more): (ttfb, rtt, the response's first frame, its request's target), for "where the time went"
        self.quiet_waits: list[tuple[float, float, int, str]] = []
        self.quiet_waits_tls: list[tuple[float, float, int, int]] = []     # ... of encrypted exchanges (their n)
        self.explained: set[int] = set()        # flagged frames a step already explains
        self.twice_told: set[int] = set()       # connections whose packets seen twice were explained in full
        self.shown_handshake: int | None = None  # the connection whose handshake was explained in full
        self.conns = plan.conns
        self.redirects = followed_redirects(self.conns)      # connection -> the redirect it follows
        # connections that carried nothing of the client's in a fetch whose other connections did (a browser's
        # spare ones: group._join_spares puts them in the fetch when its requests were seen)
        used = {(c.stream, c.epoch): _client_sent(c) for c in self.conns}
        unused = {(c.stream, c.epoch) for c in self.conns if c.epoch == 0 and not c.records
                  and not used[(c.stream, c.epoch)]} if any(used.values()) else set()
        self.spares = {(c.stream, c.epoch) for c in self.conns if (c.stream, c.epoch) in unused and c.synacks}
        # ... and a dual-stack client's attempt of one family that lost the race to a connection of the other
        # (group._join_races records the winner on the unit): the race loser -> the winner
        self.races: dict[tuple[int, int], ConnFacts] = {
            (u.conn.stream, u.conn.epoch): u.raced for u in plan.units
            if u.raced is not None and (u.conn.stream, u.conn.epoch) in unused}
        self.spares.difference_update(self.races)
        ordered = self.ordered = sorted(self.conns, key=lambda c: (c.first_ts_ns, c.stream))
        self.named = {c.stream for c in ordered[1:]} - {ordered[0].stream} if ordered else set()
        # transactions of this fetch per connection
        self.mine: dict[tuple[int, int], set[int]] = defaultdict(set)
        for u in plan.units:
            if u.record is not None:
                self.mine[(u.conn.stream, u.conn.epoch)].add(u.record.transaction.index)
                if u.refused is not None:       # its first copy, refused as TLS 1.3 early data
                    self.mine[(u.conn.stream, u.conn.epoch)].add(u.refused.transaction.index)
        self.owner = {(c.stream, c.epoch): owners(c) for c in self.conns}
        self._owned_by: dict[tuple[int, int], dict[int, list]] = {}     # (stream, epoch) -> owner -> segments
        # a response that answers no request the analyzer could read (a 400 for bytes that were no request, a
        # request sent before the capture) goes with the fetch of the request before it on its connection (the
        # one after it, when none came before), and is told after that request's exchange
        self.unrequested: dict[tuple[int, int, int], list[Any]] = {}
        for c in self.conns:
            key = (c.stream, c.epoch)
            if key not in self.mine:
                continue
            recs = sorted(c.records, key=lambda r: r.transaction.index)
            asked = [r.transaction.index for r in recs if r.transaction.request is not None]
            for r in recs:
                tx = r.transaction
                if tx.request is not None or tx.response is None or not asked:
                    continue
                host = max((i for i in asked if i < tx.index), default=asked[0])
                if host in self.mine[key]:
                    self.mine[key].add(tx.index)
                    self.unrequested.setdefault((c.stream, c.epoch, host), []).append(r)
        # stream -> the ICMP errors quoting a SYN of a connection that got no SYN-ACK (in frame order): its
        # 4-tuple and, where the error quotes it, its ISN (a later connection on the same 4-tuple has its own)
        self.syn_errors: dict[int, list[IcmpError]] = {}
        for c in self.conns:
            if c.outcome == "unanswered" and c.syns:
                syn = next((s for s in c.segments if s.frame == c.syns[0][0]), None)
                isn = syn.seq if syn is not None else None
                errs = [e for e in plan.icmp if e.quoted_proto == "tcp" and e.quoted_dst == c.server
                        and e.quoted_dport == c.server_port and e.quoted_src == c.client
                        and e.quoted_sport == c.client_port and e.frame > c.syns[0][0]
                        and (e.quoted_seq is None or isn is None or e.quoted_seq == isn)]
                if errs:
                    self.syn_errors[c.stream] = sorted(errs, key=lambda e: e.frame)
        self._uses: dict[tuple[int, int], tuple[bool, bool]] = {}          # (stream, epoch) -> ...
        self._segs: dict[tuple[int, int], list[tuple[Segment, int]]] = {}
        self._tx_index: dict[tuple[int, int], dict[int, Any]] = {}     # _records_by_index
        self._rtts: dict[tuple[int, int], tuple[float | None, dict[str, Any] | None]] = {}
        self._frames: dict[tuple[int, int], dict[int, Segment]] = {}
        # per connection and direction of data, the bytes the file carries and the other side's rising ACKs
        # (_acked_index): found once (a loss step asks for every hole)
        self._acked: dict[tuple[int, int, int], Any] = {}
        # per TLS connection: (from the client?, frame) -> the length of the last application-data record ending there
        self._record_ends: dict[tuple[int, int], dict[tuple[bool, int], int]] = {}
        # per (stream, epoch, direction): a side's first copies with bytes, in frame order, their frames and the
        # running highest end of their bytes (_record_start: the segment holding a byte, found by bisection)
        self._data_index: dict[tuple[int, int, int], tuple[list[Segment], list[int], list[int]]] = {}
        self._seq_indexes: dict[tuple[int, int, int], tuple[list[int], list[int], list[Segment], list[int]]] = {}
        self._ends_of: dict[tuple[int, int], dict[tuple[int, int], int]] = {}
        # (stream, epoch) -> the exchanges inferred on a TLS connection with no HTTP read (issue 10: HTTPS
        # without keys); the unit of each request timing (a unit gives one timing per encrypted exchange)
        self.encrypted: dict[tuple[int, int], EncryptedView] = {}
        self.req_units: list[Unit] = []

    # -- entry -----------------------------------------------------------------------------------------
    def build(self) -> Fetch:
        plan = self.plan
        self._neighbour_steps()
        self._dns_steps()
        # a spare connection opened before the others is the fetch's first: its handshake is the one told in full
        first = self.ordered[0] if self.ordered else None
        for conn in sorted(self.conns, key=lambda c: c is not first or (c.stream, c.epoch) not in self.spares
                           and (c.stream, c.epoch) not in self.races):
            self._tcp_steps(conn)
        for flow in plan.quic:
            self._quic_steps(flow)
        self._forwarded()
        timings = self._http_steps()
        self.steps.sort(key=lambda s: (s.order, s.ts_ns or 0))
        times = [s.ts_ns for s in self.steps if s.ts_ns is not None]
        times += [u.start_ns for u in plan.units]
        start_ns = min(times) if times else plan.first_ns
        done: list[Step] = []
        for raw in self.steps:          # a step with no instant of its own is shown at the one before it
            done.append(self._finish(raw, start_ns, done[-1].time if done else 0.0))
        steps = tuple(done)
        timed = [(u, r) for n, u in enumerate(plan.units) for r in self._timings(u, timings[n], start_ns)]
        # HTTP/3 over a QUIC connection opened with a key log: its requests have no unit (no TCP connection)
        timed += [(None, r) for q in plan.quic for r in self._quic_timings(q, start_ns)]
        self.req_units = [u for u, _r in timed]
        requests = tuple(r for _u, r in timed)
        connections = tuple(self._connection(c) for c in list(plan.dns_conns) + self.conns)
        lookups = tuple(self._lookup(lk) for lk in plan.lookups)
        seg_bytes = self._bytes()
        summary = self._summary(requests, connections, start_ns, steps, seg_bytes)
        breakdown = tuple(self._breakdown(requests, connections, summary, steps))
        ladder = self._ladder(start_ns) if self.want_ladder else ()
        doc = next((u for u in plan.units if u.request), None)
        first = plan.units[0] if plan.units else None
        if doc is not None:
            url, host = doc.url, doc.host
        elif first is not None:
            host = first.host or first.conn.server
            if first.conn.tls is not None:
                url = _conn_url(first.conn, host)
            else:
                url = _endpoint(host, first.conn.server_port) if ":" in host and not host.startswith("[") else \
                    f"{host}:{first.conn.server_port}"
        elif plan.quic and any(q.records for q in plan.quic):
            # opened with a key log: the URL of its first HTTP/3 request, as a fetch of HTTP/1 or 2 has
            q, rec = min(((q, r) for q in plan.quic for r in q.records if r.transaction.request is not None),
                         key=lambda qr: qr[1].transaction.request.first_frame, default=(plan.quic[0], None))
            req = rec.transaction.request if rec is not None else None
            host = (req.headers.get(":authority") if req is not None else None) or q.sni or \
                _endpoint(q.server, q.server_port)
            url = f"https://{host}{req.target if req is not None else '/'}"
        elif plan.quic and not plan.lookups:
            q = plan.quic[0]
            url = host = q.sni or _endpoint(q.server, q.server_port)
        else:
            names = list(dict.fromkeys([lk.qname for lk in plan.lookups] + [a.qname for a in plan.strays
                                                                                   if not _unread_name(a)]))
            if not names:       # only queries that cannot be read: their IDs (fetch_title says what they are)
                names = [f"0x{a.id:04x}" for a in plan.strays]
            if not names:
                names = list(dict.fromkeys(m.target for m in plan.neighbours if m.kind == "request")) or \
                    [m.sender for m in plan.neighbours[:1]]
            url = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            host = names[0] if names else ""
        dns = plan.lookups[0] if plan.lookups else plan.strays[0] if plan.strays else None
        server = first.conn.server if first is not None else plan.quic[0].server if plan.quic else (
            dns.server if dns is not None else "")
        port = first.conn.server_port if first is not None else plan.quic[0].server_port if plan.quic else (
            dns.server_port if dns is not None else None)
        fetch = Fetch(index=self.index, kind=plan.kind, url=url, host=host, client=plan.client, server=server,
                      server_port=port, start_ns=start_ns, steps=steps, requests=requests,
                      connections=connections, lookups=lookups, summary=summary, breakdown=breakdown,
                      ladder=ladder, lang=self.lang, continues=plan.continues)
        self._remember()
        return fetch

    def _remember(self) -> None:
        h = self.history
        for lk in self.usable:
            h.remember_lookup(lk, self.index)
        for m in self.plan.neighbours:
            h.remember_neighbour(m, self.index)
        for c in self.conns:
            if c.settled:
                h.conn_fetch.pop(c.stream, None)
                h.conn_requests.pop(c.stream, None)
            else:
                h.conn_fetch[c.stream] = self.index
                h.conn_requests[c.stream] = h.conn_requests.get(c.stream, 0) + len(self.mine.get((c.stream, c.epoch), ()))

    # -- helpers ---------------------------------------------------------------------------------------
    def _add(self, order: float, ts_ns: int | None, frames: tuple[int, ...], layer: str, kind: str,
             problem: bool = False, **facts: Any) -> None:
        self.steps.append(_Raw(order, ts_ns, tuple(frames), layer, kind, facts, problem))
        if problem:
            self.problem_frames.update(frames)

    def _note(self, key: str, **facts: Any) -> str:
        """A ladder label (none is made when the fetch gets no ladder: ``self.notes`` is read only by it)."""
        return note(key, facts, self.lang) if self.want_ladder else ""

    def _finish(self, s: _Raw, start_ns: int, before: float = 0.0) -> Step:
        """The step of ``s``, its text made when first read (:class:`LazyStep`: ``har`` reads none)."""
        t = (s.ts_ns - start_ns) / 1e9 if s.ts_ns is not None else before
        # a fetch with several connections: its TLS and TCP steps of all but the first say which one (those
        # whose own text begins with the connection's name excepted)
        stream = s.facts.get("stream") if s.layer == "tls" or s.layer == "tcp" and s.kind not in SELF_NAMED \
            else None
        return LazyStep.lazy(s.frames, max(t, 0.0), s.ts_ns, s.layer, s.kind, s.facts, s.problem,
                             _step_text, (s.kind, s.facts, self.lang, s.frames,
                                          stream if stream is not None and stream in self.named else None))

    def _first_event(self) -> tuple[int, int | None]:
        """The fetch's first frame and its time (lookups, neighbour messages, connections)."""
        events = [(lk.query_frame, lk.query_ts_ns) for lk in self.plan.lookups]
        events += [(m.frame, m.ts_ns) for m in self.plan.neighbours]
        events += [(a.frame, a.ts_ns) for a in self.plan.strays]
        events += [(c.first_frame, c.first_ts_ns) for c in self.conns if c.first_frame]
        return min(events, default=(0, None))

    def _opened_here(self, conn: ConnFacts) -> bool:
        return conn.epoch == 0

    def _uses_here(self, conn: ConnFacts) -> tuple[bool, bool]:
        """(this fetch made the connection's first request of this stretch, ... its last one); both when it
        carried none."""
        key = (conn.stream, conn.epoch)
        got = self._uses.get(key)
        if got is None:
            mine = self.mine.get((conn.stream, conn.epoch))
            if not mine:
                got = (True, True)
            else:
                indexes = [r.transaction.index for r in conn.records if r.transaction.request is not None
                           and not is_tunnel_setup(conn, r)]
                got = (min(mine) <= min(indexes, default=0), max(mine) >= max(indexes, default=-1))
            self._uses[key] = got
        return got

    def _outcome(self, conn: ConnFacts) -> str:
        """The connection's outcome; "unreachable": no SYN-ACK, and an ICMP error answered its last SYN."""
        errs = self.syn_errors.get(conn.stream)
        if errs and errs[-1].frame > conn.syns[-1][0]:
            return "unreachable"
        return conn.outcome

    def _last_use_here(self, conn: ConnFacts) -> bool:
        """This fetch made the connection's last request of this stretch (or it carried none)."""
        return self._uses_here(conn)[1]

    def _first_use_here(self, conn: ConnFacts) -> bool:
        return self._uses_here(conn)[0]

    def _conn_segments(self, conn: ConnFacts) -> list[tuple[Segment, int]]:
        """The connection's segments that are this fetch's, with their owner."""
        key = (conn.stream, conn.epoch)
        got = self._segs.get(key)
        if got is not None:
            return got
        own = self.owner.get((conn.stream, conn.epoch))
        if own is None:                     # a DNS-over-TCP connection: all of it
            got = [(s, TEARDOWN) for s in conn.segments]
        else:
            mine = self.mine.get((conn.stream, conn.epoch))
            first_here, last_here = self._uses_here(conn)
            if mine is None or (first_here and last_here and len(mine) == len(
                    {r.transaction.index for r in conn.records if r.transaction.request is not None})):
                got = list(zip(conn.segments, own))
            else:
                got = [(s, o) for s, o in zip(conn.segments, own)
                       if o in mine or (o == HANDSHAKE and first_here) or (o == TEARDOWN and last_here)]
        self._segs[key] = got
        return got

    # -- ARP / ND --------------------------------------------------------------------------------------
    def _neighbour_steps(self) -> None:
        plan = self.plan
        servers = dict.fromkeys(c.server for c in self.conns)          # ordered: the first connection's first
        resolvers = dict.fromkeys(lk.server for lk in plan.lookups)
        asked: dict[str, NeighbourMessage] = {}
        for m in plan.neighbours:
            nd = m.protocol == "nd"
            layer = "nd" if nd else "arp"
            if m.kind == "request":
                if m.gratuitous:
                    self._add(m.frame, m.ts_ns, (m.frame,), layer, f"{layer}.announcement", client=m.sender,
                              mac=m.mac)
                    continue
                # ARP finds the next hop of IPv4 packets, ND of IPv6 ones: a gateway asked for is on the way to
                # the servers (or else the resolvers) of its own family (a dual-stack client asks for the IPv4
                # gateway to reach its resolver, and connects over IPv6 through the router ND found)
                kin_servers = [s for s in servers if (":" in s) == nd]
                kin_resolvers = [r for r in resolvers if (":" in r) == nd]
                role = "server" if m.target in servers else "resolver" if m.target in resolvers else "gateway"
                if role == "gateway" and not kin_servers:
                    role = "gateway_dns" if kin_resolvers else "neighbour"
                asked[m.target] = m
                if m.unicast:       # a reachability check of a neighbour whose MAC address the client has
                    self._add(m.frame, m.ts_ns, (m.frame,), layer, "nd.request.unicast", client=m.sender,
                              target=m.target)
                    self.notes[m.frame] = self._note("note.nd.request.unicast", target=m.target)
                    continue
                self._add(m.frame, m.ts_ns, (m.frame,), layer, f"{layer}.request.{role}", client=m.sender,
                          target=m.target, server=next(iter(kin_servers), ""), mac=m.mac,
                          resolver=next(iter(kin_resolvers), ""))
                self.notes[m.frame] = self._note(f"note.{layer}.request", target=m.target)
            elif m.gratuitous and m.sender not in asked:
                # an ARP reply nobody asked for, about the sender's own address: an announcement
                self._add(m.frame, m.ts_ns, (m.frame,), layer, f"{layer}.announcement.reply", client=m.sender,
                          mac=m.mac)
                self.notes[m.frame] = self._note(f"note.{layer}.reply", target=m.sender, mac=m.mac)
            else:
                req = asked.pop(m.sender, None)
                rtt = _ms(m.ts_ns - req.ts_ns) if req is not None else None
                if nd and not m.mac:    # no link-layer address option: an answer to a reachability check
                    self._add(m.frame, m.ts_ns, (m.frame,), layer, "nd.reply.nomac", target=m.sender,
                              link_mac=m.link_mac or "?", rtt_ms=rtt, client=plan.client,
                              unicast=bool(req is not None and req.unicast))
                    self.notes[m.frame] = self._note("note.nd.reply.nomac", target=m.sender)
                    continue
                self._add(m.frame, m.ts_ns, (m.frame,), layer, f"{layer}.reply", target=m.sender, mac=m.mac,
                          rtt_ms=rtt, client=plan.client)
                self.notes[m.frame] = self._note(f"note.{layer}.reply", target=m.sender, mac=m.mac)
        for target, m in asked.items():
            nd = m.protocol == "nd"
            layer = "nd" if nd else "arp"
            tries = tuple(x.frame for x in plan.neighbours if x.kind == "request" and x.target == target
                          and x.sender == m.sender)
            tail = (self.capture_end_ns - m.ts_ns) if self.capture_end_ns else 0
            # a reply is unicast to the asker: unseen is not unanswered. Say "nobody answered" only when the
            # asker asked again, or kept quiet for a second while the capture went on and saw its own frames
            if len(tries) > 1 or (tail >= 1_000_000_000 and (plan.lookups or self.conns)):
                self._add(m.frame + 0.5, m.ts_ns, tries, layer, f"{layer}.unanswered", problem=True, target=target,
                          attempts=len(tries))
            else:
                kind = (f"{layer}.unseen" if tail >= 1_000_000_000 else f"{layer}.unseen.end" if tail > 0
                        or layer == "nd" else f"{layer}.unseen.last")
                self._add(m.frame + 0.5, m.ts_ns, tries, layer, kind, target=target,
                          client=m.sender, waited_ms=_ms(tail), own=bool(plan.lookups or self.conns))
        if plan.neighbours or plan.kind in ("lookup", "quic"):
            return
        if self.conns and not any(c.epoch == 0 and self._first_use_here(c) for c in self.conns):
            return                  # every connection was opened before: nothing to resolve
        self._neighbour_absent()

    def _neighbour_absent(self) -> None:
        plan = self.plan
        client = plan.client
        first, first_ts = self._first_event()
        v6 = ":" in client
        layer = "nd" if v6 else "arp"
        if _is_loopback(client):
            self._add(first - 0.75, first_ts, (), layer, f"{layer}.none.loopback", client=client)
            return
        mac = next((c.next_hop_mac for c in self.conns if c.next_hop_mac), "")
        # "none from the client in this file before frame N" only when the file holds none: else its last one
        asked = self.history.asked.get(client)
        seen = {"asked_frame": asked[0], "asked_target": asked[1], "asked_fetch": asked[2]} \
            if asked is not None and asked[0] < first else {}
        if mac == "00:00:00:00:00:00":
            self._add(first - 0.75, first_ts, (), layer, f"{layer}.none.nomac", client=client, before=first, **seen)
            return
        if not mac and not self.conns:
            return
        if not mac:
            # a client that resolved a server's own address had it on its link: that server is the next hop
            hop_ip = next((c.server for c in self.conns if self.history.neighbour_before(c.server, first)), "")
        else:
            hop_ip = self.history.macs.get(mac, "")
        earlier = self.history.neighbour_before(hop_ip, first) if hop_ip else None
        if not mac and earlier is None:
            # the client's own frames are here but show no MAC they went to: the capture's link layer records none
            sent = any(s.direction == 0 for c in self.conns for s in c.segments)
            self._add(first - 0.75, first_ts, (), layer, f"{layer}.none.unknown" + (".link" if sent else ""),
                      client=client, before=first, **seen)
            return
        if earlier is not None:
            frame, known_mac, fetch, checked = earlier
            self._add(first - 0.75, first_ts, (), layer, f"{layer}.none.earlier" + (".checked" if checked else ""),
                      client=client, target=hop_ip,
                      mac=mac or known_mac, frame=frame, fetch=fetch, before=first)
            return
        capture = self.history.capture
        any_first = capture.first_nd_frame if v6 else capture.first_arp_frame
        kind, facts = f"{layer}.none.cached", {}
        if not seen and (not any_first or any_first > first):
            # no ARP (ND) packet of any host before it: the capture may have left them out (its filter)
            if capture.display_filter:
                kind, facts = f"{layer}.none.cached.filtered.display", {"filter": capture.display_filter}
            elif capture.capture_filter:
                kind, facts = f"{layer}.none.cached.filtered", {"filter": capture.capture_filter}
            else:
                kind = f"{layer}.none.cached.none"
        self._add(first - 0.75, first_ts, (), layer, kind, client=client, mac=mac or "?",
                  before=first, server=self.conns[0].server if self.conns else "", **seen, **facts)

    # -- DNS -------------------------------------------------------------------------------------------
    def _dns_steps(self) -> None:
        plan = self.plan
        hosts = {u.host.lower() for u in plan.units if u.host}
        earlier_unanswered: dict[str, DnsLookup] = {}
        for lk in plan.lookups:
            host = next((h for h in sorted(hosts, key=len, reverse=True) if name_matches(lk.qname, h)), None)
            search = host is not None and lk.qname.lower().rstrip(".") != host
            common = {"qname": lk.qname, "qtype": lk.qtype, "id_hex": f"0x{lk.id:04x}", "resolver": lk.server,
                      "transport": lk.transport.upper(), "host": host or lk.qname, "client": lk.client,
                      "port": lk.server_port, "ip_version": "IPv6" if ":" in lk.server else "IPv4"}
            key = f"{lk.qname.lower()}/{lk.qtype}"
            prev = earlier_unanswered.pop(key, None) or self.history.unanswered.pop(key, None)
            extra: dict[str, Any] = {}
            if lk.transport == "tcp":
                # again over TCP after a truncated answer over UDP, or over TCP from the start (F51)
                kind = "dns.query.tcp" if self._tcp_retry(lk) else "dns.query.tcp.first"
            elif prev is not None:
                # another ID: asked anew; the same ID to another server: the next resolver in the client's list
                kind = "dns.query.again" if prev.id != lk.id else \
                    "dns.query.next_server" if prev.server != lk.server else "dns.query.again.same_id"
                common["prev_frame"] = prev.query_frame
                common["prev_resolver"] = prev.server
                extra = {"waited_ms": _ms(lk.query_ts_ns - _last_sent(prev))}     # (not common: later steps have theirs)
            else:
                kind = "dns.query.search" if search else "dns.query"
            self._add(lk.query_frame, lk.query_ts_ns, (lk.query_frame,), "dns", kind, **common, **extra)
            self.notes[lk.query_frame] = self._note("note.dns.query", qtype=lk.qtype, qname=lk.qname)
            t_prev = lk.query_ts_ns
            for n, (f, t) in enumerate(zip(lk.retransmissions, lk.retransmission_times or
                                             (lk.query_ts_ns,) * len(lk.retransmissions))):
                self._add(f, t, (f,), "dns", "dns.retransmission", problem=True, waited_ms=_ms(t - t_prev),
                          attempt=n + 2, first=lk.query_frame, **common)
                self.notes[f] = self._note("note.dns.query.again", qtype=lk.qtype, qname=lk.qname)
                t_prev = t
            if lk.response_frame is None:
                earlier_unanswered[key] = lk
                self.history.unanswered[key] = lk
                if len(self.history.unanswered) > 1024:
                    del self.history.unanswered[next(iter(self.history.unanswered))]
                after = _ms((self.capture_end_ns or lk.query_ts_ns) - t_prev)
                if lk.fragments:        # pieces of a datagram from the server never reassembled (F48)
                    (f0, t0) = lk.fragments[0]
                    self._add(f0, t0, tuple(f for f, _t in lk.fragments), "dns", "dns.answer.fragments",
                              problem=True, count=len(lk.fragments), rtt_ms=_ms(t0 - lk.query_ts_ns), **common)
                    for f, _t in lk.fragments:
                        self.notes[f] = self._note("note.dns.fragment")
                err = next((e for e in self.plan.icmp if e.quoted_proto == lk.transport and not e.by_client
                            and e.quoted_dst == lk.server
                            and e.quoted_dport == lk.server_port and e.quoted_sport == lk.client_port
                            and e.ts_ns >= lk.query_ts_ns), None)
                if err is not None:         # the network said why: cite it
                    self._add(err.frame, err.ts_ns, (err.frame,), "dns", "dns.icmp", problem=True,
                              rtt_ms=_ms(err.ts_ns - lk.query_ts_ns), sender=err.sender, icmp=err.text,
                              icmp_type=err.type, icmp_code=err.code, **common)
                    self._cite_icmp(err, None)
                    continue
                again = next((o for o in plan.lookups if o.query_frame > lk.query_frame and o.qtype == lk.qtype
                              and o.qname.lower() == lk.qname.lower()), None)
                if again is not None:       # the client asked again (the next step says so): no wait to the end
                    self._add(lk.query_frame + 0.5, None, (), "dns", "dns.no_answer.asked_again", problem=True,
                              waited_ms=_ms(again.query_ts_ns - t_prev), next_frame=again.query_frame, **common)
                    continue
                # a capture that ends sooner than a resolver library gives up cannot tell a lost answer
                kind = "dns.no_answer" if after >= RESOLVER_TIMEOUT_MS else "dns.no_answer.soon"
                if lk.fragments and kind == "dns.no_answer":
                    self._add(lk.fragments[-1][0] + 0.5, None, (), "dns", "dns.no_answer.fragmented", problem=True,
                              waited_ms=after, count=len(lk.fragments), **common)
                else:
                    self._add(lk.query_frame + 0.5, None, (), "dns", kind, problem=True, waited_ms=after, **common)
                continue
            self._dns_answer(lk, common, search)
        self._dns_strays()
        self._dns_tcp_conns()
        self._dns_absent(hosts)

    def _dns_strays(self) -> None:
        """DNS answers to no open lookup (:class:`~analyzer.timeline.facts.StrayAnswer`), told with their evidence:
        a late one (its lookup was told unanswered, 5 s after its last attempt, in an earlier fetch) was most
        likely thrown away, as a resolver library gives up then, unless the client connected to an address it gave
        after it, or the client had asked again (this fetch's lookup of the name); a lone one's query is not in the
        file: the capture began after it was sent (when it began less than 5 s before the answer), else the
        capture did not see it. The first :data:`STRAYS_TOLD` one by one, the rest counted."""
        plan = self.plan
        for a in plan.strays[:STRAYS_TOLD]:
            if a.unread:
                self._dns_unread(a)
                continue
            records = [f"{r.rtype} {_cut(r.value, 60)}" if r.value else r.rtype for r in a.answers[:3]]
            if len(a.answers) > 3:
                records.append(note_text("note.more_records", {"n": len(a.answers) - 3}, self.lang))
            if a.announced is not None and a.announced > len(a.answers):      # cut short (F52)
                records.append(note_text("note.records_cut", {"n": a.announced - len(a.answers),
                                                              "announced": a.announced}, self.lang))
            if a.rcode:
                what = RCODE_MNEMONICS.get(a.rcode, f"rcode {a.rcode}")
            else:
                what = ("；" if self.lang == "zh" else "; ").join(records) or \
                    note_text("note.dns.answer.none", {"qtype": a.qtype}, self.lang)
            facts: dict[str, Any] = {
                "qname": a.qname, "qtype": a.qtype, "id_hex": f"0x{a.id:04x}", "resolver": a.server,
                "client": a.client, "port": a.server_port, "transport": a.transport.upper(), "frame": a.frame,
                "what": what, "addresses": ", ".join(a.addresses) or "-", "address_list": list(a.addresses),
                "rcode": a.rcode}
            used = min(((c.syns[0][1], c.syns[0][0], c.server, c.stream) for c in self.conns
                        if c.epoch == 0 and c.syns and c.server in a.addresses and c.syns[0][1] >= a.ts_ns),
                       default=None)
            quic = min(((q.first_ts_ns, q.first_frame, q.server, q.stream) for q in plan.quic
                        if q.server in a.addresses and q.first_ts_ns >= a.ts_ns), default=None)
            if used is None or (quic is not None and quic < used):
                used = quic
            frames: tuple[int, ...] = (a.frame,)
            if used is not None:
                facts.update(used_frame=used[1], used_ms=_ms(used[0] - a.ts_ns), server=used[2])
                frames += (used[1],)
            if a.query_frame is not None and a.query_ts_ns is not None:
                facts.update(query_frame=a.query_frame, rtt_ms=_ms(a.ts_ns - a.query_ts_ns), attempts=a.attempts,
                             since_ms=_ms(a.ts_ns - (a.last_query_ts_ns or a.query_ts_ns)))
                name = a.qname.lower().rstrip(".")
                again = [lk for lk in plan.lookups if lk.qname.lower().rstrip(".") == name
                         and lk.query_frame > a.query_frame and lk.query_frame < a.frame]
                if used is not None:
                    kind = "dns.answer.late.used"
                elif again:
                    lk = again[-1]
                    facts["retry_frame"] = lk.query_frame
                    if lk.response_frame is not None and lk.response_frame < a.frame:
                        kind = "dns.answer.late.retried.answered"
                        facts["retry_answer"] = lk.response_frame
                    else:
                        kind = "dns.answer.late.retried"
                else:
                    kind = "dns.answer.late"
                self._add(a.frame, a.ts_ns, frames, "dns", kind, problem=True, **facts)
                self.notes[a.frame] = self._note("note.dns.answer.late", what=what)
                continue
            before = a.ts_ns - (a.capture_start_ns if a.capture_start_ns is not None else a.ts_ns)
            facts.update(before_ms=_ms(before), looked_ms=_ms(min(before, LONE_LOOKED_NS)))
            kind = "dns.answer.lone.first" if before <= 0 else "dns.answer.lone.start" \
                if before < RESOLVER_TIMEOUT_MS * 1e6 else "dns.answer.lone"
            if a.qname == LOOP_NAME:
                # its question's name has a compression pointer that loops (the decoder shows tshark's placeholder
                # for it): no name, so an answer for a question that cannot be read (as such a query is, F40)
                facts.update(lone=kind.rsplit(".", 1)[-1], used=used is not None, qname=None,
                             why=note_text("note.dns.answer.unread.loop", {}, self.lang))
                self._add(a.frame, a.ts_ns, frames, "dns", "dns.answer.lone.unread", problem=True, **facts)
                self.notes[a.frame] = self._note("note.dns.answer.unread", id_hex=facts["id_hex"], what=what)
                continue
            self._add(a.frame, a.ts_ns, frames, "dns", kind + (".used" if used is not None else ""), **facts)
            self.notes[a.frame] = self._note("note.dns.answer.lone", what=what)
        rest = [a for a in plan.strays[STRAYS_TOLD:] if not a.unread]
        if rest:
            self._add(rest[0].frame, rest[0].ts_ns, (rest[0].frame, rest[-1].frame), "dns", "dns.answer.stray.more",
                      count=len(rest), first=rest[0].frame, last=rest[-1].frame,
                      late=sum(1 for a in rest if a.query_frame is not None))
        rest = [a for a in plan.strays[STRAYS_TOLD:] if a.unread]
        if rest:
            self._add(rest[0].frame, rest[0].ts_ns, (rest[0].frame, rest[-1].frame), "dns", "dns.query.unread.more",
                      problem=True, count=len(rest), first=rest[0].frame, last=rest[-1].frame,
                      answered=sum(1 for a in rest if a.answer_frame is not None))

    def _dns_unread(self, a: StrayAnswer) -> None:
        """A query whose question cannot be read (``a.unread``): what is known of it (who asked whom, its ID, its
        copies) and whether an answer with its ID came; without one, whether the capture ran as long as a resolver
        library waits (as for an unanswered lookup)."""
        id_hex = f"0x{a.id:04x}"
        frames = (a.frame, *(f for f, _ts in a.copies))
        facts: dict[str, Any] = {
            "client": a.client, "resolver": a.server, "port": a.server_port, "transport": a.transport.upper(),
            "id_hex": id_hex, "malformed": a.malformed, "attempts": a.attempts,
            "copies": [f for f, _ts in a.copies], "sent": list(frames),
            "why": note_text("note.dns.query.unread.loop" if a.name_loops else "note.dns.query.unread.malformed"
                             if a.malformed else "note.dns.query.unread.empty", {}, self.lang)}
        sent = a.last_query_ts_ns if a.last_query_ts_ns is not None else a.ts_ns
        if a.answer_frame is not None and a.answer_ts_ns is not None:
            kind = "dns.query.unread.answered"
            facts.update(answer_frame=a.answer_frame, rtt_ms=_ms(a.answer_ts_ns - a.ts_ns),
                         rcode=RCODE_MNEMONICS.get(a.rcode, f"rcode {a.rcode}") if a.rcode is not None else "-")
            frames += (a.answer_frame,)
            self.notes[a.answer_frame] = self._note("note.dns.answer", what=facts["rcode"])
        else:
            waited = _ms((self.capture_end_ns or sent) - sent)
            kind = "dns.query.unread" if waited >= RESOLVER_TIMEOUT_MS else "dns.query.unread.soon"
            facts["waited_ms"] = waited
        if a.copies:
            kind += ".copies"
        self._add(a.frame, a.ts_ns, frames, "dns", kind, problem=True, **facts)
        self.notes[a.frame] = self._note("note.dns.query.unread", id_hex=id_hex)
        for f, _ts in a.copies:
            self.notes[f] = self._note("note.dns.query.unread", id_hex=id_hex)

    def _dns_answer(self, lk: DnsLookup, common: dict[str, Any], search: bool = False) -> None:
        rtt = _ms(lk.response_ts_ns - lk.query_ts_ns)
        addresses = lk.addresses
        chain = [lk.qname, *lk.cnames]
        ttl = min((a.ttl for a in lk.answers), default=0)
        problem = False
        if lk.truncated:
            # a resolver that truncates may send the records that fit, or none (an empty answer section)
            kind = "dns.answer.truncated" if lk.answers else "dns.answer.truncated.empty"
            problem = True
        elif lk.rcode == 3 and search:
            kind = "dns.answer.nxdomain.search"      # expected: the search-domain name does not exist
        elif lk.rcode == 3:
            kind = "dns.answer.nxdomain"
            problem = True
        elif lk.rcode == 2:
            kind = "dns.answer.servfail"
            problem = True
        elif lk.rcode:
            kind = "dns.answer.error"
            problem = True
        elif not addresses and lk.qtype in ("A", "AAAA"):
            kind = "dns.answer.empty"
        elif not lk.answers:
            kind = "dns.answer.nodata"      # NOERROR, nothing of the asked type (LOC, MX, TXT...)
        elif not addresses:
            kind = "dns.answer.records"
        elif lk.cnames:
            kind = "dns.answer.cname"
        else:
            kind = "dns.answer"
            # "the client can now open a connection to it" is false when the fetch's connections to that
            # address were all open before the capture started (no SYN in the file)
            to = [c for c in self.conns if c.server in addresses]
            if to and all(c.epoch == 0 and not c.syns for c in to):
                kind = "dns.answer.open"
                common = dict(common, stream=to[0].stream)
            elif not to and any(q.server in addresses for q in self.plan.quic):
                kind = "dns.answer.quic"        # the client connects over QUIC (UDP), not TCP
        records = [f"{a.rtype} {_cut(a.value, 60)}" if a.value else a.rtype for a in lk.answers[:3]]
        if len(lk.answers) > 3:
            records.append(note_text("note.more_records", {"n": len(lk.answers) - 3}, self.lang))   # in the step
        if lk.announced is not None and lk.announced > len(lk.answers):    # cut short (F52)
            records.append(note_text("note.records_cut", {"n": lk.announced - len(lk.answers),
                                                          "announced": lk.announced}, self.lang))
        frames: tuple[int, ...] = (lk.response_frame,)
        refusal = self.refused.get(lk.query_frame)
        if refusal is not None:     # the client's port was closed when the answer came: it had stopped waiting
            kind, problem, frames = "dns.answer.refused", True, (lk.response_frame, refusal.frame)
            common = dict(common, icmp=refusal.text, icmp_frame=refusal.frame, client_port=lk.client_port,
                          late_ms=_ms(refusal.ts_ns - lk.response_ts_ns))
            self._cite_icmp(refusal, None)
        shown = ", ".join(addresses) or "-"
        if addresses and lk.announced is not None and lk.announced > len(lk.answers):     # cut short (F52)
            shown += note_text("note.addresses_cut", {"n": lk.announced - len(lk.answers),
                                                      "announced": lk.announced}, self.lang)
        self._add(lk.response_frame, lk.response_ts_ns, frames, "dns", kind, problem=problem,
                  rtt_ms=rtt, addresses=shown, address_list=list(addresses),
                  cnames=list(lk.cnames), chain=" -> ".join(chain), ttl=ttl, rcode=lk.rcode,
                  rcode_name=RCODE_NAMES.get(lk.rcode or 0, str(lk.rcode)), records=("；" if self.lang == "zh" else "; ").join(records) or "-",
                  count=len(lk.answers), **common)
        if addresses:
            note = self._note("note.dns.answer", what=", ".join(addresses))
        elif lk.answers and not lk.rcode:
            note = self._note("note.dns.answer", what=", ".join(f"{a.rtype} {a.value}".rstrip() for a in lk.answers[:2])
                              + (" ..." if len(lk.answers) > 2 else ""))
        elif lk.truncated:
            note = self._note("note.dns.answer.truncated")
        elif lk.rcode:
            note = self._note("note.dns.answer", what=RCODE_NAMES.get(lk.rcode, f"rcode {lk.rcode}"))
        else:
            note = self._note("note.dns.answer.none", qtype=lk.qtype)
        self.notes[lk.response_frame] = note

    def _refusal(self, lk: DnsLookup) -> IcmpError | None:
        """The ICMP error the client sent quoting ``lk``'s answer (its port closed: the answer came after it
        stopped waiting): the first after the answer on the lookup's ports, unless another answer on those
        ports came between (the error quotes that one)."""
        if not self.plan.icmp or lk.response_frame is None:
            return None
        key = (lk.server, lk.server_port, lk.client_port)
        for e in self.plan.icmp:
            if e.by_client and e.quoted_proto == lk.transport and e.frame > lk.response_frame and e.peer == key:
                if any(o.response_frame is not None and lk.response_frame < o.response_frame < e.frame
                       and (o.server, o.server_port, o.client_port) == key for o in self.plan.lookups):
                    return None
                return e
        return None

    def _tcp_retry(self, lk: DnsLookup) -> bool:
        """A DNS lookup over TCP asks again what a UDP query of this fetch got a truncated answer (TC) to."""
        key = (lk.qname.lower().rstrip("."), lk.qtype)
        return any(o.transport == "udp" and o.truncated and o.query_ts_ns <= lk.query_ts_ns
                   and (o.qname.lower().rstrip("."), o.qtype) == key for o in self.plan.lookups)

    def _dns_tcp_conns(self) -> None:
        for conn in self.plan.dns_conns:
            frames = tuple(f for f, _t in conn.syns) + tuple(f for f, _t in conn.synacks)
            if conn.handshake_ack:
                frames += (conn.handshake_ack[0],)
            if frames:
                retry = any(lk.stream == conn.stream and self._tcp_retry(lk) for lk in self.plan.lookups
                            if lk.transport == "tcp")
                self._add(frames[0], conn.syns[0][1] if conn.syns else conn.first_ts_ns, frames, "tcp",
                          "dns.tcp.connect" if retry else "dns.tcp.connect.first", stream=conn.stream,
                          server=conn.server, port=conn.server_port)
            td = conn.summary.get("teardown")
            if td:
                fins = tuple(f for f in (td.get("first_fin_frame"), td.get("second_fin_frame")) if f)
                if fins:
                    ts = next((s.ts_ns for s in conn.segments if s.frame == fins[0]), None)
                    self._add(fins[0], ts, fins, "tcp", "dns.tcp.close", stream=conn.stream,
                              closer=_ROLE[td.get("active_closer")])
            for s in conn.segments:
                self.notes.setdefault(s.frame, "")

    def _dns_absent(self, hosts: set[str]) -> None:
        plan = self.plan
        looked = {lk.qname.lower().rstrip(".") for lk in plan.lookups}
        done: set[str] = set()
        for u in plan.units:
            host = (u.host or "").lower()
            if not u.first_on_conn or host in done or any(name_matches(q, host) for q in looked):
                continue
            if any(u.conn.server in lk.addresses for lk in plan.lookups) or \
                    any(u.conn.server in a.addresses for a in plan.strays):
                continue        # (a stray answer that gave its address is told: _dns_strays)
            done.add(host)
            first = u.conn.syns[0][0] if u.conn.syns else u.conn.first_frame
            order = first - 0.5
            ts = u.open_ns
            tunnel = u.conn.tls.tunnel if u.conn.tls is not None else None
            req = u.record.transaction.request if u.record is not None else None
            if tunnel is None and req is not None and req.method == "CONNECT":
                tunnel = req.target         # a CONNECT the proxy refused: the client still asked it for the name
            if tunnel is not None:          # the proxy looks the site's name up, not the client
                self._add(order, ts, (), "dns", "dns.none.proxy", host=u.host, target=tunnel,
                          proxy=_endpoint(u.conn.server, u.conn.server_port))
                continue
            if not host or host == u.conn.server.lower() or is_ip(host):
                if host and is_ip(host) and u.request:
                    self._add(order, ts, (), "dns", "dns.none.literal", host=u.host, server=u.conn.server)
                elif self.history.addr_forgot and self.history.addr_forgot():
                    self._add(order, ts, (), "dns", "dns.none.address.window", server=u.conn.server, before=first)
                else:
                    self._add(order, ts, (), "dns", "dns.none.address", server=u.conn.server, before=first)
                continue
            earlier = self.history.name_before(host, first)
            if earlier is not None:
                frame, resp_ts, addrs, ttl, fetch = earlier
                age = (ts - resp_ts) / 1e9 if resp_ts else 0.0
                kind = "dns.none.earlier" if age <= ttl else "dns.none.earlier_expired"
                self._add(order, ts, (), "dns", kind, host=u.host, server=u.conn.server, frame=frame, fetch=fetch,
                          ttl=ttl, age_s=age, addresses=", ".join(addrs) or "-")
                continue
            other = self.history.others(host) if self.history.others else None
            if other is not None and other.query_frame < first and other.client not in plan.addresses:
                self._add(order, ts, (), "dns", "dns.none.other_address", host=u.host, server=u.conn.server,
                          before=first, frame=other.query_frame, by=other.client, client=u.conn.client,
                          addresses=", ".join(other.addresses) or "-")
                continue
            if self.history.forgot_ns:      # older lookups of this client were forgotten (History)
                self._add(order, ts, (), "dns", "dns.none.cached.window", host=u.host, server=u.conn.server,
                          before=first, hold_s=NAME_HOLD_NS / 1e9)
                continue
            if self.history.others_forgot and self.history.others_forgot():     # ... of other clients
                self._add(order, ts, (), "dns", "dns.none.cached.window.any", host=u.host, server=u.conn.server,
                          before=first, hold_s=NAME_HOLD_NS / 1e9)
                continue
            seen = self.history.capture
            if not seen.first_dns_frame or seen.first_dns_frame > first:
                # no DNS message at all before it: the capture may have left DNS out (its filter)
                if seen.display_filter:
                    self._add(order, ts, (), "dns", "dns.none.filtered.display", host=u.host, server=u.conn.server,
                              before=first, filter=seen.display_filter)
                elif seen.capture_filter:
                    self._add(order, ts, (), "dns", "dns.none.filtered.first" if first <= 1 else "dns.none.filtered",
                              host=u.host, server=u.conn.server, before=first, filter=seen.capture_filter)
                else:       # (frame 1: nothing in the file comes before it)
                    self._add(order, ts, (), "dns", "dns.none.first" if first <= 1 else "dns.none.nodns",
                              host=u.host, server=u.conn.server, before=first)
            else:
                self._add(order, ts, (), "dns", "dns.none.cached", host=u.host, server=u.conn.server,
                          before=first)

    # -- QUIC ------------------------------------------------------------------------------------------
    def _quic_steps(self, q: QuicFlow) -> None:
        """A QUIC connection, from its packets' clear headers (analyzer.apps.quic): the client's Initial, the
        server's first answer (or none), the client's first 1-RTT packet, and the encrypted rest."""
        ends = {"server_ep": _endpoint(q.server, q.server_port), "port": q.server_port, "stream": q.stream,
                "client": q.client, "client_port": q.client_port, "server": q.server}
        initials = tuple(q.initials) or (q.first_frame,)
        if q.gquic:
            self._gquic_steps(q, initials, ends)
            return
        session = q.session
        opened = session is not None and session.opened > 0
        keyed = ".keys" if opened else ""       # (the sentence says what this analyzer could read of it)
        if q.sni is not None or q.alpn:
            self._add(q.first_frame, q.first_ts_ns, tuple(q.hello_frames) or (q.first_frame,), "quic",
                      "quic.initial.hello" + keyed, version=version_name(q.version), size=q.first_size,
                      sni=q.sni or "-", alpn=("、" if self.lang == "zh" else ", ").join(q.alpn) or "-", **ends)
        else:
            self._add(q.first_frame, q.first_ts_ns, (q.first_frame,), "quic", "quic.initial" + keyed,
                      version=version_name(q.version), size=q.first_size, **ends)
        asked = q.first_ts_ns
        if q.retry_frame is not None:
            # address validation: the server answers with a Retry, the client sends its Initial again
            retried = q.retried_frame
            self._add(q.retry_frame, q.retry_ts_ns, (q.retry_frame, retried) if retried is not None else
                      (q.retry_frame,), "quic", "quic.retry" if retried is not None else "quic.retry.unanswered",
                      problem=retried is None, rtt_ms=_ms(q.retry_ts_ns - q.first_ts_ns),
                      retried_frame=retried or 0,
                      resent_ms=_ms(q.retried_ts_ns - q.retry_ts_ns) if retried is not None else 0.0, **ends)
            if retried is not None:
                asked = q.retried_ts_ns
        if q.server_frame is None:
            if q.retry_frame is None:
                self._add(initials[-1] + 0.5, q.last_ts_ns, initials, "quic", "quic.unanswered", problem=True,
                          count=len(initials), waited_ms=_ms(q.last_ts_ns - q.first_ts_ns), **ends)
            return
        self._add(q.server_frame, q.server_ts_ns, (q.server_frame,), "quic",
                  "quic.server" if asked == q.first_ts_ns else "quic.server.after_retry",
                  rtt_ms=_ms(q.server_ts_ns - asked), **ends)
        if session is not None and session.certificates:
            # the key log opened the server's Handshake packets: its certificate, as for TLS 1.3
            self._certificate_step(session.certificates, ends)
        if q.done_frame is not None:
            self._add(q.done_frame, q.done_ts_ns, (q.done_frame,), "quic", "quic.done",
                      done_ms=_ms(q.done_ts_ns - q.first_ts_ns), **ends)
        start = q.done_frame if q.done_frame is not None else q.server_frame
        if session is not None and not opened and len(session.keys.keylog):
            # a key log was given, but nothing of this connection opened with it: say why
            self._add(start + 0.4, q.last_ts_ns, (start,), "quic", "quic.keys.missing", problem=True,
                      why=session.keys.missing or "its secrets do not decrypt the packets", **ends)
        early = session.early_frames if session is not None else set()
        for rec in sorted(q.records, key=lambda r: (r.transaction.request or r.transaction.response).first_frame):
            self._http3_steps(rec, ends, early)
        self._add(q.last_frame + 0.5, q.last_ts_ns, (start, q.last_frame) if q.last_frame != start else (start,),
                  "quic", "quic.data.keys" if opened else "quic.data", c_packets=q.packets[0], c_bytes=q.bytes[0],
                  s_packets=q.packets[1], s_bytes=q.bytes[1], first=start, last=q.last_frame,
                  span_ms=_ms(q.last_ts_ns - q.first_ts_ns), requests=len(q.records),
                  packets=session.opened if opened else 0, **ends)

    def _gquic_steps(self, q: QuicFlow, hellos: tuple[int, ...], ends: dict[str, Any]) -> None:
        """A Google QUIC connection (analyzer.apps.quic.gquic_hello): the client's hello in clear, the server's
        answer (a reject in clear, or encrypted: taken) or none, the encrypted rest, and the race against a TCP
        connection to the same server beside it."""
        self._add(q.first_frame, q.first_ts_ns, tuple(q.hello_frames) or (q.first_frame,), "quic", "quic.gquic.hello",
                  version=gquic_version_name(q.version), size=q.first_size, sni=q.sni, uaid=q.uaid,
                  complete={"STK", "SCID", "PUBS"} <= set(q.tags), **ends)
        if q.server_frame is None:
            self._add(hellos[-1] + 0.5, q.last_ts_ns, hellos, "quic", "quic.gquic.unanswered", problem=True,
                      count=len(hellos), waited_ms=_ms(q.last_ts_ns - q.first_ts_ns), **ends)
            return
        rtt = _ms(q.server_ts_ns - q.first_ts_ns)
        if q.reject_frame is not None:
            self._add(q.server_frame, q.server_ts_ns, (q.server_frame,), "quic", "quic.gquic.reject", rtt_ms=rtt,
                      **ends)
        elif len(hellos) > 1:
            last = q.initial_ts[len(hellos) - 1] if len(q.initial_ts) >= len(hellos) else q.first_ts_ns
            self._add(q.server_frame, q.server_ts_ns, hellos + (q.server_frame,), "quic", "quic.gquic.server.resent",
                      rtt_ms=rtt, count=len(hellos), hellos=hellos, resent_ms=_ms(last - q.first_ts_ns),
                      last_ms=_ms(q.server_ts_ns - last), **ends)
        else:
            self._add(q.server_frame, q.server_ts_ns, (q.server_frame,), "quic", "quic.gquic.server", rtt_ms=rtt,
                      **ends)
        self._quic_race(q, ends)
        self._add(q.last_frame + 0.5, q.last_ts_ns, (q.server_frame, q.last_frame) if q.last_frame != q.server_frame
                  else (q.server_frame,), "quic", "quic.gquic.data", c_packets=q.packets[0], c_bytes=q.bytes[0],
                  s_packets=q.packets[1], s_bytes=q.bytes[1], last=q.last_frame,
                  span_ms=_ms(q.last_ts_ns - q.first_ts_ns), **ends)

    def _quic_race(self, q: QuicFlow, ends: dict[str, Any]) -> None:
        """A QUIC connection the server answered, and a TCP connection of this fetch to the same server whose
        SYN went within :data:`RACE_NS` of its first packet (a browser races both): which one the client went on
        with after the QUIC answer, from what it sent on each after it."""
        near = [(abs(c.syns[0][1] - q.first_ts_ns), c) for c in self.conns
                if c.server == q.server and c.syns and abs(c.syns[0][1] - q.first_ts_ns) <= RACE_NS]
        if not near or q.server_ts_ns is None:
            return
        gap, conn = min(near, key=lambda gc: (gc[0], gc[1].stream))
        after = q.after
        if not after[0]:
            return
        sent = [s for s in conn.segments if s.direction == 0 and s.length and s.ts_ns > q.server_ts_ns]
        facts = dict(ends, stream=conn.stream, hello=q.first_frame, syn=conn.syns[0][0], gap_ms=_ms(gap),
                     answer=q.server_frame, after=after[0], after_bytes=after[1], after_first=after[2],
                     after_last=after[3], tail_ms=_ms(q.last_ts_ns - q.server_ts_ns))
        frames = (q.first_frame, conn.syns[0][0], q.server_frame, after[2], after[3])
        if sent:
            self._add(q.server_frame + 0.3, q.server_ts_ns, frames, "quic", "quic.race.both", tcp_after=len(sent),
                      tcp_bytes=sum(s.length for s in sent), **facts)
        else:
            self._add(q.server_frame + 0.3, q.server_ts_ns, frames, "quic", "quic.race.quic", **facts)

    def _certificate_step(self, chain: Any, base: dict[str, Any]) -> None:
        """The server's certificate (the first of its ``chain`` of CertificateFacts): in clear text (TLS 1.2) or
        opened with the key log (TLS 1.3, QUIC)."""
        cert = chain[0]
        kind = "tls.certificate.decrypted" if cert.encrypted else "tls.certificate"
        self._add(cert.frame + 0.1, cert.ts_ns, (cert.frame,), "tls", kind, subject=cert.subject,
                  issuer=cert.issuer, san=", ".join(cert.san[:4]) + (" ..." if len(cert.san) > 4 else ""),
                  not_after=cert.not_after, chain=len(chain), **base)

    def _http3_steps(self, rec: Any, ends: dict[str, Any], early: set[int]) -> None:
        """One HTTP/3 exchange of a QUIC connection opened with a key log (analyzer.apps.http3): the request
        (the frame of its HEADERS; sent as 0-RTT data when that frame's 0-RTT packet carried it: ``early``)
        and the response (its first frame to its last)."""
        tx = rec.transaction
        req, resp = tx.request, tx.response
        if req is not None:
            last = rec.request_frame or req.first_frame
            kind = "http3.request.early" if req.first_frame in early else "http3.request"
            self._add(req.first_frame + 0.1, req.first_ts_ns, (req.first_frame,) if last == req.first_frame else
                      (req.first_frame, last), "http", kind, method=req.method, uri=req.target,
                      host=req.headers.get(":authority") or req.headers.get("host") or "-",
                      size=tx.request_end.body_length if tx.request_end else 0, **ends)
        if resp is not None:
            end = tx.response_end
            last = rec.response_frame or (end.last_frame if end else resp.first_frame)
            sent = tx.request_end.last_ts_ns if req is not None and tx.request_end is not None else None
            self._add(resp.first_frame + 0.2, resp.first_ts_ns, (resp.first_frame,) if last == resp.first_frame
                      else (resp.first_frame, last), "http", "http3.response", problem=resp.status >= 400,
                      status=resp.status, reason=resp.reason or "-",
                      content_type=resp.headers.get("content-type") or "-", size=end.body_length if end else 0,
                      ttfb_ms=_ms(resp.first_ts_ns - sent) if sent is not None else 0.0,
                      transfer_ms=_ms(end.last_ts_ns - resp.first_ts_ns) if end is not None else 0.0, **ends)

    def _quic_timings(self, q: QuicFlow, start_ns: int) -> list[RequestTiming]:
        """The request timings of a QUIC connection's HTTP/3 exchanges (HAR entries): send, wait and receive as
        for HTTP/2; the first also the connection's handshake (``connect``: the Initial to the server's first
        answer; ``ssl``: from there to the client's first 1-RTT packet)."""
        out = []

        def rel(ns: int) -> float:
            return (ns - start_ns) / 1e9

        records = sorted(q.records, key=lambda r: (r.transaction.request or r.transaction.response).first_ts_ns)
        for n, rec in enumerate(records):
            tx = rec.transaction
            req, resp, qend, rend = tx.request, tx.response, tx.request_end, tx.response_end
            if req is None:
                continue
            spans: dict[str, tuple[int, int]] = {}
            if n == 0 and q.done_ts_ns is not None:
                # QUIC's transport and TLS handshakes are one: the Initial to the server's answer, then to the
                # client's first 1-RTT packet (HAR counts ssl inside connect)
                spans["connect"] = (q.first_ts_ns, q.server_ts_ns if q.server_ts_ns is not None else q.done_ts_ns)
                if q.server_ts_ns is not None:
                    spans["ssl"] = (q.server_ts_ns, q.done_ts_ns)
            if qend is not None:
                spans["send"] = (req.first_ts_ns, qend.last_ts_ns)
                if resp is not None:
                    spans["wait"] = (qend.last_ts_ns, max(resp.first_ts_ns, qend.last_ts_ns))
            if resp is not None and rend is not None:
                spans["receive"] = (resp.first_ts_ns, max(rend.last_ts_ns, resp.first_ts_ns))
            begin = min([req.first_ts_ns] + [a for a, _b in spans.values()])
            values = {k: _ms(b - a) for k, (a, b) in spans.items()}
            body = tx.response_body
            rbody, encoded = (body.decoded, False) if body.decoded is not None else (body.data, True)
            frames = (req.first_frame, rec.request_frame or req.first_frame)
            if resp is not None:
                frames += (resp.first_frame, rec.response_frame or (rend.last_frame if rend else resp.first_frame))
            out.append(RequestTiming(
                method=req.method, uri=req.target,
                url=f"https://{req.headers.get(':authority') or q.sni or _endpoint(q.server, q.server_port)}"
                    f"{req.target}",
                host=req.headers.get(":authority") or q.sni or q.server, status=resp.status if resp else None,
                status_text=resp.reason if resp else "", request_frame=rec.request_frame or req.first_frame,
                response_frame=(rec.response_frame or (rend.last_frame if rend else None)) if resp else None,
                stream=q.stream, client=q.client, client_port=q.client_port, server=q.server,
                server_port=q.server_port, http_version=req.version, response_version=resp.version if resp else "",
                start=rel(begin), started_ns=begin, blocked=None, dns=None, connect=values.get("connect"),
                ssl=values.get("ssl"), send=values.get("send"), wait=values.get("wait"),
                receive=values.get("receive"),
                phases=tuple(Phase(k, rel(a), rel(b)) for k, (a, b) in spans.items()),
                content_type=(resp.headers.get("content-type") or "") if resp else "",
                request_headers=tuple(req.headers), response_headers=tuple(resp.headers) if resp else (),
                request_head_bytes=0, request_body_bytes=qend.body_length if qend else 0,
                response_head_bytes=0, response_body_bytes=rend.body_length if rend else 0,
                response_decoded_bytes=rend.decoded_length if rend else None, request_body=tx.request_body.data,
                response_body=rbody, response_body_encoded=encoded, reused_connection=n > 0,
                complete=tx.complete, reason=tx.reason, frames=frames))
        return out

    # -- TCP -------------------------------------------------------------------------------------------
    def _ends(self, conn: ConnFacts) -> dict[str, Any]:
        return {"client": conn.client, "client_port": conn.client_port, "server": conn.server,
                "server_port": conn.server_port, "stream": conn.stream,
                "server_ep": _endpoint(conn.server, conn.server_port)}

    def _tcp_steps(self, conn: ConnFacts) -> None:
        ends = self._ends(conn)
        first_here = self._first_use_here(conn)
        if conn.epoch == 0 and first_here:
            self._handshake(conn, ends)
            if conn.tls is not None:
                if conn.tls.tunnel is not None:
                    self._tunnel_steps(conn, ends)
                self._tls_steps(conn, ends)
        if conn.epoch > 0 and first_here:
            earlier = self.history.conn_fetch.get(conn.stream)
            first = conn.first_frame
            if self.mine.get((conn.stream, conn.epoch)):
                self._add(first - 0.5, conn.first_ts_ns, (), "tcp", "tcp.reuse", fetch=earlier,
                          requests=self.history.conn_requests.get(conn.stream, 0), **ends)
            else:
                self._add(first - 0.5, conn.first_ts_ns, (), "tcp", "tcp.later", fetch=earlier, **ends)
        elif not first_here:
            u0 = min((u for u in self.plan.units if u.conn is conn), key=lambda u: u.start_ns, default=None)
            if u0 is not None:
                order = u0.record.transaction.request.first_frame - 0.5
                prev = sum(1 for r in conn.records if r.transaction.request is not None
                           and r.transaction.index < u0.record.transaction.index and not is_tunnel_setup(conn, r))
                self._add(order, u0.start_ns, (), "tcp", "tcp.reuse.same", requests=prev, **ends)
        self._trouble(conn, ends)
        won = self.races.get((conn.stream, conn.epoch))
        if won is not None and first_here:
            self._race(conn, won, ends)
        if conn.cut is not None and first_here:
            c_bytes, s_bytes, first, last = conn.cut
            seg = self._by_frame(conn).get(first)
            self._add(first - 0.3, seg.ts_ns if seg else None, (first, last) if last != first else (first,), "tcp",
                      "tcp.snaplen", problem=True, c_bytes=c_bytes, s_bytes=s_bytes, first=first, last=last,
                      no_http=not conn.records and conn.tls is None and conn.server_port in (80, 8000, 8008, 8080, 8888),
                      **ends)
        if self._last_use_here(conn):
            self._teardown(conn, ends)
            if (conn.stream, conn.epoch) in self.spares:
                self._spare(conn, ends)
        else:
            mine = self.mine.get((conn.stream, conn.epoch), set())
            later = [r.transaction.request for r in conn.records if r.transaction.request is not None
                     and r.transaction.index > max(mine, default=-1)]
            if later:
                # after this fetch's last segment and its last message on the connection (pipelined ones can share
                # their segments with other fetches, which own them)
                told = [f for u in self.plan.units if u.conn is conn and u.record is not None
                        for f in _message_frames(u.record.transaction)]
                last = max([s.frame for s, _o in self._conn_segments(conn)] + told, default=conn.first_frame)
                nxt = min(later, key=lambda q: q.first_frame)
                self._add(last + 0.5, None, (), "tcp", "tcp.kept", next_frame=nxt.first_frame,
                          next_uri=nxt.target, **ends)

    def _race(self, conn: ConnFacts, won: ConnFacts, ends: dict[str, Any]) -> None:
        """Happy Eyeballs (RFC 8305): ``conn``, an attempt of one address family that carried nothing, and
        ``won``, the connection of the other family opened after it that carried the requests."""
        syn, syn_ts = conn.syns[0]
        wsyn, wsyn_ts = won.syns[0]
        rst = next((s for s in conn.segments if s.flags & RST and s.direction == 1), None)
        if not conn.synacks:
            kind, end = "tcp.race.unanswered", None
        elif rst is not None and conn.handshake_ack is None:
            kind, end = "tcp.race.refused", rst.frame
        else:
            kind, end = "tcp.race.unused", None
        frames = tuple(sorted({syn, wsyn} | ({end} if end else set())))
        self._add(wsyn - 0.5, wsyn_ts, frames, "tcp", kind, syn=syn, wsyn=wsyn, winner=won.stream, end=end,
                  family="IPv6" if ":" in conn.server else "IPv4", other="IPv6" if ":" in won.server else "IPv4",
                  after_ms=_ms(wsyn_ts - syn_ts), server_ep=_endpoint(conn.server, conn.server_port),
                  won_ep=_endpoint(won.server, won.server_port), **{k: v for k, v in ends.items() if k != "server_ep"})

    def _spare(self, conn: ConnFacts, ends: dict[str, Any]) -> None:
        """A connection that carried no request in a fetch whose other connection did (group._join_spares): when
        it was opened, after which connection, its TLS handshake, and who closed it when."""
        if not conn.syns:
            return
        syn, syn_ts = conn.syns[0]
        # the connection opened before it (told "after connection N"), or when it was the first, the one opened
        # next (told "before connection N")
        others = [c for c in self.conns if c is not conn and c.syns]
        first = max((c for c in others if c.syns[0][1] <= syn_ts), key=lambda c: c.syns[0][1], default=None)
        kind = "tcp.spare"
        if first is None:
            first = min(others, key=lambda c: c.syns[0][1], default=None)
            kind = "tcp.spare.first"
            if first is None:
                return
        close = next((s for s in conn.segments if s.flags & (FIN | RST)), None)
        if close is None:
            return              # still open at the end of the capture: its own step says so
        done = tls_done(conn.tls, conn.client_port) if conn.tls is not None else None
        frames = tuple(sorted({syn, *((done[0],) if done else ()), close.frame}))
        self._add(close.frame + 0.6, close.ts_ns, frames, "tcp", kind, syn=syn, first=first.stream,
                  after_ms=_ms(abs(syn_ts - first.syns[0][1])), done=done[0] if done else None, close=close.frame,
                  closer="client" if close.direction == 0 else "server", life_ms=_ms(close.ts_ns - syn_ts), **ends)

    def _handshake(self, conn: ConnFacts, ends: dict[str, Any]) -> None:
        hs = conn.summary.get("handshake") or {}
        brief = self.shown_handshake is not None and not (len(conn.syns) > 1 or len(conn.synacks) > 1)
        suffix = ".brief" if brief else ""
        if self.shown_handshake is None and conn.syns and conn.synacks:
            self.shown_handshake = conn.stream
        ends = dict(ends, first_stream=self.shown_handshake)
        segs = {s.frame: s for s in conn.segments[:64]}
        # a SYN really sent again (not only seen twice by the capture: analyzer.timeline.tcp.copies)
        syn_resent = any(f not in conn.copies for f, _t in conn.syns[1:])
        if conn.outcome == "midstream" or not conn.syns and not conn.synacks:
            self._add(conn.first_frame - 0.5, conn.first_ts_ns, (), "tcp", "tcp.handshake.missing",
                      first=conn.first_frame, **ends)
            return
        if conn.syns:
            f0, t0 = conn.syns[0]
            s = segs.get(f0)
            r = self.redirects.get((conn.stream, conn.epoch))
            if r is not None:
                evidence = (r.frame, f0) if r.name_frame is None else (r.frame, f0, r.name_frame)
                self._add(f0 - 0.1, t0, evidence, "http", "http.redirect.followed", redirect_frame=r.frame,
                          status=r.status, location=r.location, host=r.host, host_source=r.host_source,
                          name_frame=r.name_frame, **ends)
            self._add(f0, t0, (f0,), "tcp", "tcp.handshake.1" + suffix, options=options_facts(hs.get("orig_options")),
                      seq_raw=s.seq if s else hs.get("orig_isn"), **ends)
            self.notes[f0] = self._note("note.syn")
            prev = t0
            last_wait = None
            said: set[str] = set()
            for n, (f, t) in enumerate(conn.syns[1:]):
                first = conn.copies.get(f)
                if first is not None:
                    ft = next((t0 for f0, t0 in conn.syns if f0 == first), prev)
                    self._add(f, t, (f,), "tcp", "tcp.syn.seen_twice", waited_ms=_ms(t - ft), first=first,
                              **self._copy_evidence(conn, ((f, first),)), **ends)
                    self.twice_told.add(conn.stream)
                    self.notes[f] = self._note("note.twice")
                    continue
                waited = _ms(t - prev)
                # the wait against the one before: doubled (RFC 6298 backoff) or the same (Linux 6.5+ keeps
                # the first SYN retransmissions 1 s apart: tcp_syn_linear_timeouts); otherwise say nothing
                ratio = waited / last_wait if last_wait else None
                backoff = ("doubled" if ratio is not None and 1.7 <= ratio <= 2.3 else
                           "linear" if ratio is not None and 0.85 <= ratio <= 1.15 else "")
                self._add(f, t, (f,), "tcp", "tcp.syn.retransmission", problem=True, attempt=n + 2,
                          waited_ms=waited, since_ms=_ms(t - t0), first=f0, doubled=backoff == "doubled",
                          backoff=(backoff + ".again" if backoff in said else backoff) or None, **ends)
                said.add(backoff)
                last_wait = waited
                self.notes[f] = self._note("note.syn.again", n=n + 2)
                prev = t
        else:
            # "the capture started just after it" only when the SYN-ACK is the file's first frame: later in the
            # file the SYN passed the capture point unseen (dropped by the capture, or another path)
            fsa = conn.synacks[0][0]
            self._add(fsa - 0.4, conn.synacks[0][1], (), "tcp", "tcp.syn.missing" if fsa == 1 else "tcp.syn.unseen",
                      synack_frame=fsa, **ends)
        if conn.outcome == "refused":
            rst = next(s for s in conn.segments if s.flags & RST and s.direction == 1)
            self._add(rst.frame, rst.ts_ns, (rst.frame,), "tcp", "tcp.refused", problem=True,
                      rtt_ms=_ms(rst.ts_ns - conn.syns[-1][1]) if conn.syns else None, **ends)
            self.notes[rst.frame] = self._note("note.refused")
            return
        if conn.outcome == "unanswered" and self._icmp_steps(conn, ends):
            return
        if conn.outcome == "unanswered":
            last_f, last_t = conn.syns[-1]
            end = self.capture_end_ns or last_t
            waited = _ms(end - last_t)
            gaps = [conn.syns[i + 1][1] - conn.syns[i][1] for i in range(len(conn.syns) - 1)]
            next_due = (gaps[-1] * 2 if gaps else 1_000_000_000) if gaps else 1_000_000_000
            gave_up = end - last_t > next_due * 1.5 if conn.settled or self.capture_end_ns else False
            kind = "tcp.unanswered.gave_up" if gave_up else "tcp.unanswered.capture_end"
            if kind == "tcp.unanswered.capture_end" and len(conn.syns) == 1:
                kind = "tcp.unanswered.capture_end.one"     # one SYN: no "over 0 s" of attempts
            self._add(last_f + 0.5, last_t, tuple(f for f, _t in conn.syns), "tcp", kind, problem=True,
                      attempts=len(conn.syns), waited_ms=waited, total_ms=_ms(last_t - conn.syns[0][1]), **ends)
            return
        reordered = _reordered(conn)
        if conn.synacks:
            f1, t1 = conn.synacks[0]
            s = segs.get(f1)
            kind = ("tcp.handshake.2" + suffix) if conn.syns else "tcp.handshake.2.nosyn"
            if reordered:       # stamped before the SYN it answers: no "after the SYN"
                kind = "tcp.handshake.2.before"
            self._add(f1, t1, (f1,) if not reordered else (f1, conn.syns[0][0]), "tcp", kind,
                      options=options_facts(hs.get("resp_options")),
                      seq_raw=s.seq if s else hs.get("resp_isn"), ack_raw=s.ack if s else None,
                      rtt_ms=_ms(t1 - conn.syns[-1][1]) if conn.syns else None,
                      before_ms=_ms(conn.syns[0][1] - t1) if reordered else None,
                      syn_frame=conn.syns[0][0] if conn.syns else None, **ends)
            self.notes[f1] = self._note("note.synack")
            self._synack_echo(conn, f1, t1, ends)
            for n, (f, t) in enumerate(conn.synacks[1:]):
                answer = next((x for x in conn.segments if x.frame > f and x.direction == 0), None)
                frames: tuple[int, ...] = (f,)
                if answer is not None and not answer.length and answer.analysis & A_DUPLICATE_ACK:
                    frames = (f, answer.frame)
                    self.explained.add(answer.frame)
                    self.notes[answer.frame] = self._note("note.ack.again")
                waited = _ms(t - conn.synacks[n][1])
                # a server answers each SYN it gets at once: a second SYN-ACK is a copy only when the client sent
                # one SYN (its others were copies themselves)
                first = conn.copies.get(f)
                if first is not None and not syn_resent:
                    self._add(f, t, frames, "tcp", "tcp.synack.seen_twice", waited_ms=waited, first=first,
                              **self._copy_evidence(conn, ((f, first),)), **ends)
                    self.twice_told.add(conn.stream)
                    self.notes[f] = self._note("note.twice")
                    continue
                self._add(f, t, frames, "tcp", "tcp.synack.retransmission", problem=True, attempt=n + 2,
                          waited_ms=waited, first=f1, answer=frames[1] if len(frames) > 1 else None, **ends)
                self.notes[f] = self._note("note.synack.again")
        elif conn.syns and conn.epoch == 0:
            # no SYN-ACK here, yet the client went on (an ACK, data: tcp._outcome): it had one the capture missed
            ack = next((x for x in conn.segments if x.direction == 0 and not x.flags & (SYN | RST)), None)
            if ack is not None:
                heard = sum(1 for x in conn.segments if x.direction == 1)
                self._add(ack.frame, ack.ts_ns, (ack.frame,), "tcp", "tcp.synack.unseen" + ("" if heard else ".one_sided"),
                          ack_frame=ack.frame, syn=conn.syns[-1][0], after_ms=_ms(ack.ts_ns - conn.syns[-1][1]),
                          **ends)
        irtt = conn.summary.get("irtt")
        irtt_ms = float(irtt) * 1000 if irtt else None
        if conn.handshake_ack:
            fa, ta = conn.handshake_ack
            s = segs.get(fa)
            connect = _ms(ta - conn.syns[0][1]) if conn.syns else None
            waits = _ms(conn.syns[-1][1] - conn.syns[0][1]) if len(conn.syns) > 1 else 0.0
            kind = ("tcp.handshake.3.retried" if syn_resent else "tcp.handshake.3.twice" if len(conn.syns) > 1
                    else "tcp.handshake.3.reordered" if reordered else "tcp.handshake.3" + suffix)
            if s is not None and s.length:
                kind = "tcp.handshake.3.data"
            more: dict[str, Any] = {}
            if kind == "tcp.handshake.3" and conn.syns and ta == conn.syns[-1][1]:
                # the ACK stamped as its SYN (a clock coarser than the round trip): Wireshark's iRTT is taken at
                # the first later ACK stamped apart, or never
                later = next((x.frame for x in conn.segments if x.frame > fa and x.flags & (SYN | ACK) == ACK
                              and x.ts_ns != ta), None)
                kind = "tcp.handshake.3.same_time" if later is not None and irtt_ms else "tcp.handshake.3.same_time.none"
                more = {"irtt_frame": later} if kind == "tcp.handshake.3.same_time" else {}
            elif kind == "tcp.handshake.3.retried" and ta == conn.syns[-1][1]:
                # the same with a resent SYN: all of the connect time went to the retransmission timer, and the
                # round trip of the SYN that got through is not seen (connect = waits + 0, no iRTT of 0)
                later = next((x.frame for x in conn.segments if x.frame > fa and x.flags & (SYN | ACK) == ACK
                              and x.ts_ns != ta), None)
                found = later is not None and irtt_ms
                kind = "tcp.handshake.3.retried.same_time" + ("" if found else ".none")
                more = {"irtt_frame": later} if found else {}
            self._add(fa, ta, (fa,), "tcp", kind, seq_raw=s.seq if s else None, ack_raw=s.ack if s else None,
                      irtt_ms=irtt_ms, connect_ms=connect, waits_ms=waits, attempts=len(conn.syns), **more, **ends)
            self.notes[fa] = self._note("note.ack3")
            rtt_ms, data = self._rtt(conn)
            if data is not None and irtt_ms is not None and rtt_ms is not None and conn.synacks:
                self._add(fa + 0.1, ta, (data["c_data"], data["c_ack"], data["s_data"], data["s_ack"]), "tcp",
                          "tcp.handshake.reordered" if reordered else "tcp.handshake.karn", irtt_ms=irtt_ms,
                          late_ms=irtt_ms - rtt_ms,
                          synack=conn.synacks[-1][0], s_handshake=data["s_data"] == conn.synacks[-1][0], **data,
                          **ends)

    def _trouble(self, conn: ConnFacts, ends: dict[str, Any]) -> None:
        """Retransmissions, losses, duplicate ACKs and zero windows among this fetch's segments, one step
        per episode (a run of flagged segments less than an RTO apart)."""
        if conn.conflicts:
            self._conflicts(conn, ends)
        pairs = [(s, o) for s, o in self._conn_segments(conn) if s.analysis & COPY_FLAGS and not s.flags & SYN
                 and s.frame not in self.explained]
        if conn.copies and pairs:
            # the same packets seen twice by the capture (Wireshark flags them too) are told apart from the
            # episodes of real trouble: they cost the connection nothing (a copy of an ACK that comes after the
            # sender's FIN is Wireshark's keep-alive)
            copied = [s for s, _o in pairs if s.frame in conn.copies]
            if copied:
                self._seen_twice(conn, copied, ends)
                pairs = [(s, o) for s, o in pairs if s.frame not in conn.copies]
        pairs = [(s, o) for s, o in pairs if s.analysis & TROUBLE]
        self._window_full(conn, ends)
        td = conn.summary.get("teardown") or {}
        if pairs and td.get("kind") == "simultaneous close" and td.get("first_fin_acked_frame") \
                and td.get("second_fin_acked_frame"):
            pairs = self._crossing_fins(conn, td, pairs, ends)
        if not pairs:
            self._keepalives(conn, ends)
            return
        # an episode is about the data of one direction: a retransmission, loss or reordering by its sender, the
        # duplicate ACKs, zero windows and ACKs of unseen data by its receiver (the client's FIN resent and the
        # server's data resent in the same instant are two episodes, each with its own cause)
        episodes: list[list[Segment]] = []
        for flow in (0, 1):
            mine = [(s, o) for s, o in pairs if _data_direction(s) == flow]
            if not mine:
                continue
            episodes.append([mine[0][0]])
            last_owner = mine[0][1]
            for s, o in mine[1:]:
                if s.ts_ns - episodes[-1][-1].ts_ns < EPISODE_NS and (o == last_owner or o < 0 or last_owner < 0):
                    episodes[-1].append(s)
                else:
                    episodes.append([s])
                last_owner = o
        episodes = [sub for ep in episodes for sub in self._by_range(conn, ep)]
        episodes.sort(key=lambda ep: ep[0].frame)
        by_frame = self._by_frame(conn)
        # every send of each retransmitted range, in frame order (a packet seen twice counts once): a
        # retransmission's wait is counted from the send before it (frame 1, resent at 0.2, 0.6, 1.2 s: waits
        # 0.2, 0.4, 0.6 s, not 0.2, 0.6, 1.2 s)
        keys = {(s.direction, s.rel_seq) for s, _o in pairs if s.analysis & A_RETRANSMISSION}
        sends: dict[tuple[int, int], list[Segment]] = {}
        if keys:
            for s in conn.segments:
                if s.length and (s.direction, s.rel_seq) in keys and s.frame not in conn.copies:
                    sends.setdefault((s.direction, s.rel_seq), []).append(s)
        for ep in episodes:
            if all(x.frame in self.explained for x in ep):
                continue        # told by an earlier step of this connection (a zero-window stall's repeats)
            self._episode(conn, ep, by_frame, ends, sends)
        self._keepalives(conn, ends)

    def _by_range(self, conn: ConnFacts, ep: list[Segment]) -> list[list[Segment]]:
        """An episode of losses and retransmissions split where a new wait began: each resend is one of the
        sender's decisions, and the ones taken at once (a burst after a timeout, the holes the receiver's SACKs
        name) are told together, while one made after a pause (a new loss, a timer fired again for the same
        bytes) or a FIN resent apart from data gets its own step, with its own wait. A hole (a segment after
        bytes the capture never saw) starts a step after a pause too, and the resend that fills it joins it,
        however late. The duplicate ACKs go with the step of the bytes they ask for (their ack is in its range),
        the other flagged segments with the step before them. An episode with a zero window is told whole."""
        events = [s for s in ep if s.analysis & RESENT and (s.length or s.flags & FIN) or s.analysis & A_LOST_PACKET]
        if len(events) < 2 or any(s.analysis & (A_ZERO_WINDOW | A_ZERO_WINDOW_PROBE) for s in ep):
            return [ep]
        rtt_ms, _data = self._rtt(conn)
        rtt_ns = (rtt_ms if rtt_ms is not None else 1.0) * 1e6
        again_ns = max(2 * rtt_ns, 1e6)                         # the same bytes sent again: a timer fired again
        new_ns = min(max(10 * rtt_ns, 1e6), EPISODE_NS)         # other bytes, after a pause: another loss
        # each step: [first byte, end, a bare FIN, its holes as (from, to), segments]
        subs: list[list[Any]] = []
        last: Segment | None = None
        for s in events:
            if s.analysis & A_LOST_PACKET:
                lo, hi, fin, hole = self._missing_from(conn, s), s.rel_seq, False, True
            else:
                fin = bool(s.flags & FIN and not s.length)
                lo, hi, hole = s.rel_seq, s.rel_seq + s.length + fin, False
            # a resend that fills a hole told before: with that hole
            filled = None if hole else next((sub for sub in reversed(subs)
                                             if any(a <= s.rel_seq < b for a, b in sub[3])), None)
            if filled is not None:
                filled[4].append(s)
            elif last is not None and fin == subs[-1][2] and s.ts_ns - last.ts_ns < (
                    again_ns if s.rel_seq == last.rel_seq and not hole else new_ns):
                sub = subs[-1]
                sub[0], sub[1] = min(sub[0], lo), max(sub[1], hi)
                if hole:
                    sub[3].append((lo, hi))
                sub[4].append(s)
            else:
                subs.append([lo, hi, fin, [(lo, hi)] if hole else [], [s]])
            last = s
        if len(subs) < 2:
            return [ep]
        starts = [sub[4][0].frame for sub in subs]
        taken = {s.frame for sub in subs for s in sub[4]}
        for s in ep:
            if s.frame in taken:
                continue
            i = bisect_right(starts, s.frame) - 1          # the step told before it, if any
            if s.analysis & A_DUPLICATE_ACK:
                asked = [k for k, sub in enumerate(subs) if sub[0] <= s.rel_ack <= sub[1]]
                if asked:
                    before = [k for k in asked if k <= i]
                    i = before[-1] if before else asked[0]
            subs[max(i, 0)][4].append(s)
        return [sorted(sub[4], key=lambda x: x.frame) for sub in subs]

    def _keepalives(self, conn: ConnFacts, ends: dict[str, Any]) -> None:
        """TCP keep-alive probes (Wireshark's keep-alive: no new data, one byte below the sender's next sequence
        number) not told already (a zero window's probes are), one step per sender: the first probe's idle time
        before it, and the peer's answer (Wireshark's keep-alive ACK) when the capture holds one."""
        kept = [s for s, _o in self._conn_segments(conn) if s.analysis & (A_KEEP_ALIVE | A_KEEP_ALIVE_ACK)
                and s.frame not in conn.copies and s.frame not in self.explained]
        for d in (0, 1):
            probes = [s for s in kept if s.direction == d and s.analysis & A_KEEP_ALIVE]
            if not probes:
                continue
            first = probes[0]
            answers = [s for s in kept if s.direction != d and s.analysis & A_KEEP_ALIVE_ACK and s.frame > first.frame]
            segs = conn.segments
            i = bisect_left(segs, first.frame, key=lambda x: x.frame)
            before = next((x for x in reversed(segs[:i]) if x.direction == d), None)
            frames = sorted({s.frame for s in probes} | {s.frame for s in answers})
            self._add(first.frame, first.ts_ns, tuple(frames), "tcp", "tcp.keepalive",
                      sender="client" if d == 0 else "server", receiver="server" if d == 0 else "client",
                      count=len(probes), probe_frames=[s.frame for s in probes[:50]],
                      idle_ms=_ms(first.ts_ns - before.ts_ns) if before is not None else None,
                      prev_frame=before.frame if before is not None else None,
                      ack_frame=answers[0].frame if answers else None,
                      ack_ms=_ms(answers[0].ts_ns - first.ts_ns) if answers else None, **ends)
            self.explained.update(frames)
            for f in frames:
                self.notes.setdefault(f, self._note("note.keepalive"))

    def _window_full(self, conn: ConnFacts, ends: dict[str, Any]) -> None:
        """The segments after which the sender's unacknowledged bytes filled the receiver's window (Wireshark's
        window full), one step per direction: they make the sender wait for an ACK. Copies the capture made are
        told with the other copies."""
        full = [s for s, _o in self._conn_segments(conn) if s.analysis & A_WINDOW_FULL and s.frame not in conn.copies
                and s.frame not in self.explained]
        for d in (0, 1):
            mine = [s for s in full if s.direction == d]
            if not mine:
                continue
            first = mine[0]
            segs = conn.segments
            i = bisect_right(segs, first.frame, key=lambda x: x.frame)
            # the receiver's first ACK past the segment's start that opens its window again (an ACK with a zero
            # window acknowledges the bytes but lets the sender send nothing)
            ack = next((x for x in segs[i:] if x.direction != d and x.flags & ACK and x.rel_ack > first.rel_seq
                        and x.window), None)
            self._add(first.frame, first.ts_ns, tuple(s.frame for s in mine), "tcp", "tcp.window_full",
                      sender="client" if d == 0 else "server", receiver="server" if d == 0 else "client",
                      count=len(mine), full_frames=[s.frame for s in mine[:50]], ack_frame=ack.frame if ack else None,
                      wait_ms=_ms(ack.ts_ns - first.ts_ns) if ack else None, **ends)
            for s in mine:
                self.notes.setdefault(s.frame, _analysis_note(s.analysis, self.lang))

    def _crossing_fins(self, conn: ConnFacts, td: dict[str, Any], pairs: list, ends: dict[str, Any]) -> list:
        """The segments Wireshark flags in a simultaneous close whose FINs were both acknowledged, told for what
        they are (the pairs left return): a FIN sent again in the segment that acknowledges the peer's FIN,
        sooner than any retransmission timeout (the FIN was still unacknowledged when the FINs crossed: the
        stack repeats it, nothing was lost), and an ACK after both FINs that repeats the acknowledgment of the
        peer's FIN (Wireshark's duplicate ACK: nothing is missing)."""
        by_frame = self._by_frame(conn)
        closer = 0 if td.get("active_closer") == "orig" else 1
        fin_of = {closer: by_frame.get(td["first_fin_frame"]), 1 - closer: by_frame.get(td.get("second_fin_frame"))}
        if fin_of[0] is None or fin_of[1] is None:
            return pairs
        last_fin = max(fin_of[0].frame, fin_of[1].frame)
        who = ("client", "server")
        rest = []
        for s, o in pairs:
            mine, peer = fin_of[s.direction], fin_of[1 - s.direction]
            acks_peer_fin = s.flags & ACK and s.rel_ack == peer.rel_seq + 1
            if s.frame <= last_fin or s.length or not acks_peer_fin:
                rest.append((s, o))
            elif s.flags & FIN and s.analysis & RESENT and s.rel_seq == mine.rel_seq \
                    and _ms(s.ts_ns - mine.ts_ns) < MIN_RTO_MS:
                self._add(s.frame + 0.1, s.ts_ns, (s.frame,), "tcp", "tcp.teardown.fin_again", sender=who[s.direction],
                          peer=who[1 - s.direction], first=mine.frame, peer_fin=peer.frame, ack=s.rel_ack,
                          gap_ms=_ms(s.ts_ns - mine.ts_ns), **ends)
                self.explained.add(s.frame)
                self.notes[s.frame] = self._note("note.fin.again")
            elif s.analysis & A_DUPLICATE_ACK and not s.flags & (FIN | SYN | RST):
                same = next((x for x in conn.segments if peer.frame < x.frame < s.frame
                             and x.direction == s.direction and x.rel_ack == s.rel_ack), None)
                after = next((x for x in reversed(conn.segments) if x.frame < s.frame
                              and x.direction != s.direction), None)
                if same is None or after is None:
                    rest.append((s, o))
                    continue
                self._add(s.frame, s.ts_ns, (s.frame,), "tcp", "tcp.teardown.dup_ack", sender=who[s.direction],
                          peer=who[1 - s.direction], same=same.frame, after=after.frame, ack=s.rel_ack, **ends)
                self.explained.add(s.frame)
                self.notes[s.frame] = self._note("note.ackfin.again")
            else:
                rest.append((s, o))
        return rest

    def _conflicts(self, conn: ConnFacts, ends: dict[str, Any]) -> None:
        """Segments that bring other bytes for a place in the stream an earlier segment filled
        (:meth:`ConnLog.add_payload`): two versions of the same bytes. A TCP resends what it sent, so one version
        came from elsewhere; the IP TTL of each against the sender's other packets says which one is odd."""
        mine = {s.frame for s, _o in self._conn_segments(conn)}
        by_frame = self._by_frame(conn)
        for frame, d, rel_seq, earlier in conn.conflicts:
            if frame not in mine or frame in self.explained:
                continue
            seg, first = by_frame.get(frame), by_frame.get(earlier)
            if seg is None or first is None:
                continue
            others = Counter(s.ttl for s in conn.segments if s.direction == d and s.ttl
                             and s.frame not in (frame, earlier))
            usual = others.most_common(1)[0][0] if others else 0
            odd = (earlier if first.ttl != usual and seg.ttl == usual else
                   frame if seg.ttl != usual and first.ttl == usual else None) if usual else None
            self.explained.add(frame)
            self.problem_frames.add(frame)
            self.notes[frame] = self._note("note.conflict")
            self._add(frame, seg.ts_ns, (earlier, frame), "tcp", "tcp.conflict", problem=True,
                      sender="client" if d == 0 else "server", receiver="server" if d == 0 else "client",
                      frame=frame, earlier=earlier, rel_seq=rel_seq, ttl_frame=seg.ttl, ttl_earlier=first.ttl,
                      ttl_usual=usual, odd=odd, ttl_odd=first.ttl if odd == earlier else seg.ttl,
                      same_ttl=bool(seg.ttl and seg.ttl == first.ttl), **ends)

    def _seen_twice(self, conn: ConnFacts, copied: list[Segment], ends: dict[str, Any]) -> None:
        """Steps for the packets the capture saw twice (:func:`analyzer.timeline.tcp.copies`): one per run of
        copies (each less than TWICE_NS after the one before: one exchange), the first of the connection in
        full, the others in short."""
        by_frame = self._by_frame(conn)
        runs: list[list[Segment]] = []
        for s in copied:
            if runs and s.ts_ns - runs[-1][-1].ts_ns < TWICE_NS:
                runs[-1].append(s)
            else:
                runs.append([s])
        for run in runs:
            pairs = tuple((s.frame, conn.copies[s.frame]) for s in run)
            gaps = [_ms(s.ts_ns - by_frame[f].ts_ns) for s, (_c, f) in zip(run, pairs)]
            again = conn.stream in self.twice_told
            self.twice_told.add(conn.stream)
            for s in run:
                self.notes[s.frame] = self._note("note.twice")
            evidence = {} if again else self._copy_evidence(conn, pairs)
            kind = ("tcp.seen_twice.again" if again else
                    "tcp.seen_twice.late" if max(gaps) >= TWICE_NS / 1e6 and evidence else "tcp.seen_twice")
            self._add(run[0].frame, run[0].ts_ns, tuple(c for c, _f in pairs), "tcp", kind, count=len(run),
                      max_ms=max(gaps),
                      copies=[c for c, _f in pairs], firsts=[f for _c, f in pairs], **evidence, **ends)

    def _copy_evidence(self, conn: ConnFacts, pairs: tuple[tuple[int, int], ...]) -> dict[str, Any]:
        """What the IP headers say about copies ((copy frame, first frame) pairs): the same IPv4 ID for each
        (the same packet: a resent one gets a new ID), and the TTL one lower each time (one router hop further)
        or the same (captured twice at one hop). Empty when an ID is missing."""
        by_frame = self._by_frame(conn)
        seen = [(by_frame.get(f), by_frame.get(c)) for c, f in pairs]
        if not seen or any(a is None or b is None or not a.ip_id or a.ip_id != b.ip_id for a, b in seen):
            return {}
        a, b = seen[0]
        hops = {x.ttl - y.ttl for x, y in seen if x.ttl and y.ttl}
        kind = "hop" if hops == {1} else "same" if hops == {0} else "id"
        return {"evidence": kind, "id_hex": f"0x{a.ip_id:04x}", "ttl_a": a.ttl, "ttl_b": b.ttl,
                "first_frame": a.frame, "copy_frame": b.frame}

    def _episode(self, conn: ConnFacts, ep: list[Segment], by_frame: dict[int, Segment],
                 ends: dict[str, Any], sends: dict[tuple[int, int], list[Segment]]) -> None:
        lost = [s for s in ep if s.analysis & A_LOST_PACKET]
        fast = [s for s in ep if s.analysis & A_FAST_RETRANSMISSION]
        spurious = [s for s in ep if s.analysis & A_SPURIOUS_RETRANSMISSION]
        retrans = [s for s in ep if s.analysis & A_RETRANSMISSION and not s.analysis & (A_FAST_RETRANSMISSION
                                                                                     | A_SPURIOUS_RETRANSMISSION)]
        dups = [s for s in ep if s.analysis & A_DUPLICATE_ACK]
        ooo = [s for s in ep if s.analysis & A_OUT_OF_ORDER]
        zero = [s for s in ep if s.analysis & (A_ZERO_WINDOW | A_ZERO_WINDOW_PROBE)]
        acked_unseen = [s for s in ep if s.analysis & A_ACK_LOST_PACKET]
        frames = tuple(s.frame for s in ep)
        t0 = ep[0].ts_ns
        for s in ep:
            self.notes[s.frame] = _analysis_note(s.analysis, self.lang)
        who = lambda s: "client" if s.direction == 0 else "server"
        if lost:
            g = lost[0]
            missing_from = self._missing_from(conn, g)
            fill = next((s for s in ep if s.analysis & RESENT and s.direction == g.direction), None)
            cost = _ms(fill.ts_ns - g.ts_ns) if fill is not None else None
            late: dict[str, Any] = {}
            if fill is None:        # the missing bytes may still come later in the file (out of order, resent)
                late = self._late_fill(conn, g, missing_from)
            # the episode's other holes (a segment after each one that was missed), each told in short
            more = []
            for h in lost[1:]:
                start = self._missing_from(conn, h)
                if start < h.rel_seq:
                    filled = self._late_fill(conn, h, start)
                    more.append({"frame": h.frame, "lost_from": start, "lost_to": h.rel_seq - 1,
                                 "lost_bytes": h.rel_seq - start, "late": "" if not filled else
                                 "part" if filled["never_bytes"] else "all"})
            if more:
                late["more_holes"] = more
            # the hole is a FIN's place (one sequence number, filled by a bare FIN): the FIN was lost, no byte
            fin_lost = bool(fill is not None and fill.flags & FIN and not fill.length and fill.rel_seq == missing_from
                            and g.rel_seq - missing_from == 1)
            # no copy of the missing bytes in the file, but the receiver acknowledged them (Wireshark: "ACKed segment
            # that wasn't captured"): it got them, so the capture point missed them; all of them: not a loss at all
            # bytes of the hole no frame of the file carries that the receiver acknowledged all the same: it got a
            # copy the capture point missed; all of the hole: missed by the capture (whether a copy was also lost
            # before it cannot be told)
            carried, acks = self._acked_index(conn, g.direction)
            top = acks[-1][2] if acks else 0
            got = _uncovered(carried, missing_from, min(top, g.rel_seq))
            if got:
                i = bisect_right(acks, got[0][0], key=itemgetter(2))
                acked = acks[i]
                late.update(acked_frame=acked[0], acked_ack=acked[2], acked_from=got[0][0], acked_to=got[-1][1] - 1,
                            acked_bytes=sum(b - a for a, b in got), acked_ranges=len(got))
            kind = ("tcp.loss.fin" if fin_lost else "tcp.loss.missed" if got
                    and late["acked_bytes"] == g.rel_seq - missing_from else "tcp.loss")
            self._add(g.frame, g.ts_ns, frames, "tcp", kind, problem=True, sender=who(g), **late,
                      receiver="server" if g.direction == 0 else "client", lost_from=missing_from,
                      lost_to=g.rel_seq - 1, gap_seq=g.rel_seq, lost_bytes=g.rel_seq - missing_from,
                      gap_frame=g.frame, dup_acks=len(dups),
                      dup_frames=", ".join(str(s.frame) for s in dups[:6]) or "-",
                      dup_list=[s.frame for s in dups[:6]],
                      ooo_frames=[s.frame for s in ooo if s.direction == g.direction
                                  and missing_from <= s.rel_seq < g.rel_seq][:6],
                      fill_frame=fill.frame if fill else None, cost_ms=cost,
                      fast=bool(fill is not None and fill.analysis & A_FAST_RETRANSMISSION), **ends)
            return
        if retrans or fast:
            r = min(retrans + fast, key=lambda x: x.frame)
            # Wireshark's rto_frame is the eldest segment still unacknowledged (its timer's start), not
            # always the one resent here: "a copy of frame N" names the first segment that carried the
            # resent bytes, when the capture has it
            timer = by_frame.get(r.rto_frame)
            orig = _first_copy(conn, r) if timer is not None else None
            waited = _ms(r.ts_ns - orig.ts_ns) if orig is not None else (
                _ms(r.ts_ns - timer.ts_ns) if timer is not None else None)
            kind = "tcp.retransmission.fast" if r.analysis & A_FAST_RETRANSMISSION else "tcp.retransmission"
            # the episode's other resent segments of the same sender (told with the first, F54)
            others = sorted((x for x in retrans + fast if x is not r and x.direction == r.direction),
                            key=lambda x: x.frame)
            if kind == "tcp.retransmission.fast" and others:
                kind = "tcp.retransmission.fast.more"
            # the sends before this one: the gap since the last of them is this retransmission's wait;
            # against the gap before it, doubled is the RTO's exponential backoff (RFC 6298 5.5)
            before = [c for c in sends.get((r.direction, r.rel_seq), ()) if c.frame < r.frame]
            prev = before[-1] if len(before) > 1 else None
            gap = _ms(r.ts_ns - prev.ts_ns) if prev is not None else waited
            prev_gap = _ms(prev.ts_ns - before[-2].ts_ns) if prev is not None else None
            # the receiver's duplicate ACKs that came before it, after its original was sent (earlier ones cannot ask
            # for it): on the whole connection, since they can belong to another fetch's bytes or to the teardown
            # (for a copy sent again: since the copy before it, those that came after asked for this one)
            asked = _dup_acks_between(conn, prev.frame if prev is not None else orig.frame if orig is not None
                                      else None, r)
            # a "retransmission" that also carries bytes never sent before (it resends the start and goes on)
            fresh = min(max(r.rel_seq + r.length - self._missing_from(conn, r), 0), r.length)
            end = r.rel_seq + r.length + bool(r.flags & FIN)
            # the receiver's duplicate ACKs in this episode: before the copy, naming its bytes (they asked for it)
            # and after it
            # (they acknowledge bytes already acknowledged: the copy came to bytes the receiver had)
            dups_before = [s for s in dups if s.frame < r.frame and s.direction != r.direction
                           and r.rel_seq <= s.rel_ack < end]
            dups_after = [s for s in dups if s.frame > r.frame and s.direction != r.direction and s.rel_ack >= end]
            had = next((s for s in conn.segments if s.direction != r.direction and s.flags & ACK
                        and s.rel_ack >= end and s.frame < dups_after[0].frame and s.frame > r.frame
                        and not s.analysis & A_DUPLICATE_ACK), None) if dups_after and len(before) == 1 else None
            # sent again sooner than any retransmission timeout and with nothing sent after the first copy: a tail
            # loss probe (RFC 8985 7): the last segment repeated to make the receiver's ACK tell what is missing
            probe = bool(orig is not None and prev is None and not dups_before and waited is not None
                         and waited < MIN_RTO_MS and _last_sent_before(conn, orig, r))
            self._add(r.frame, r.ts_ns, frames, "tcp", kind, problem=True, sender=who(r), count=len(retrans + fast),
                      receiver="server" if r.direction == 0 else "client",
                      orig_frame=orig.frame if orig is not None else None, waited_ms=waited, dup_acks=len(asked),
                      fin=bool(r.flags & FIN and not r.length), new_bytes=fresh, old_bytes=r.length - fresh,
                      length=r.length, rel_seq=r.rel_seq, resend=len(before), prev_frame=prev.frame if prev else None,
                      gap_ms=gap, prev_gap_ms=prev_gap, probe=probe,
                      asked_frames=[s.frame for s in dups_before[:6]],
                      asked_ack=dups_before[0].rel_ack if dups_before else None,
                      dup_after_frames=[s.frame for s in dups_after[:6]],
                      dup_after_ack=dups_after[0].rel_ack if dups_after else None,
                      had_frame=had.frame if had is not None else None,
                      doubled=bool(prev_gap and gap and 1.7 <= gap / prev_gap <= 2.3),
                      more=len(others), more_bytes=sum(x.length for x in others),
                      more_frames=[x.frame for x in others][:6], all_bytes=r.length + sum(x.length for x in others),
                      **ends)
            return
        if spurious:
            r = spurious[0]
            end = r.rel_seq + r.length + bool(r.flags & FIN)
            # the receiver's duplicate ACK answering the copy, and its earlier ACK of the same bytes
            after = [s for s in dups if s.frame > r.frame and s.direction != r.direction and s.rel_ack >= end]
            acked = next((s for s in conn.segments if s.frame < r.frame and s.direction != r.direction
                          and s.flags & ACK and s.rel_ack >= end), None) if after else None
            self._add(r.frame, r.ts_ns, frames, "tcp", "tcp.retransmission.spurious", problem=True,
                      sender=who(r), receiver="server" if r.direction == 0 else "client", count=len(spurious),
                      dup_after_frames=[s.frame for s in after[:6]], dup_after_ack=after[0].rel_ack if after else None,
                      acked_frame=acked.frame if acked is not None else None, **ends)
            return
        if zero:
            z = zero[0]
            later = [s for s in conn.segments if s.ts_ns > z.ts_ns and s.direction == z.direction and s.window]
            resumed = later[0] if later else None
            # the whole stall is one step: the receiver's repeated zero windows and the sender's probes (keep-alive
            # or one-byte window probes) until the window opens again, or to the connection's last frame
            end_ns = resumed.ts_ns if resumed else conn.last_ts_ns
            span = [s for s in conn.segments if z.ts_ns <= s.ts_ns <= end_ns and s.frame != z.frame]
            probes = [s for s in span if s.direction != z.direction and s.analysis & (A_KEEP_ALIVE | A_ZERO_WINDOW_PROBE)]
            repeats = [s for s in span if s.direction == z.direction and s.analysis & A_ZERO_WINDOW]
            self.explained.update(s.frame for s in probes + repeats)
            for s in probes:
                self.notes[s.frame] = _analysis_note(s.analysis, self.lang)
            gaps = [_ms(b - a) for a, b in itertools.pairwise([z.ts_ns] + [s.ts_ns for s in probes])]
            doubled = len(gaps) > 1 and all(1.7 <= b / a <= 2.3 for a, b in itertools.pairwise(gaps) if a)
            cited = tuple(sorted({*frames, *(s.frame for s in probes + repeats)}))
            self._add(z.frame, z.ts_ns, cited, "tcp", "tcp.zero_window", problem=True, receiver=who(z),
                      sender="server" if z.direction == 0 else "client",
                      resumed_frame=resumed.frame if resumed else None,
                      stall_ms=_ms(end_ns - z.ts_ns) if resumed or probes or repeats else None,
                      probes=len(probes), probe_frames=[s.frame for s in probes], probe_gaps=gaps, doubled=doubled,
                      keepalive_probes=bool(probes) and all(s.analysis & A_KEEP_ALIVE for s in probes),
                      repeats=len(repeats), **ends)
            return
        if dups:
            d = dups[0]
            self._add(d.frame, d.ts_ns, frames, "tcp", "tcp.dup_ack", problem=True, sender=who(d), count=len(dups),
                      **ends)
            return
        if ooo:
            o = ooo[0]
            self._add(o.frame, o.ts_ns, frames, "tcp", "tcp.out_of_order", problem=True, sender=who(o),
                      count=len(ooo), **ends)
            return
        if acked_unseen:
            a = acked_unseen[0]
            unseen = self._acked_unseen(conn, a)
            self._add(a.frame, t0, frames, "tcp", "tcp.acked_unseen.bytes" if unseen else "tcp.acked_unseen",
                      problem=True, sender=who(a), receiver="server" if a.direction == 0 else "client", **unseen,
                      **ends)

    def _unseen_gaps(self, conn: ConnFacts, a: Segment) -> list[tuple[int, int]]:
        """The byte ranges [from, to) an ACK acknowledges anew (from the acker's highest earlier ACK to this one, see
        :meth:`_acked_index`) that no frame of the connection carries, before it or after it."""
        carried, acks = self._acked_index(conn, 1 - a.direction)
        i = bisect_left(acks, a.frame, key=itemgetter(0))
        if i == len(acks) or acks[i][0] != a.frame:
            return []           # it acknowledges nothing new
        return _uncovered(carried, acks[i][1], acks[i][2])

    def _acked_index(self, conn: ConnFacts, d: int) -> tuple[tuple[list[int], list[int]], list[tuple[int, int, int]]]:
        """For the data of direction ``d``: the byte ranges some frame of the connection carries (merged starts and
        ends, the whole file), and the other side's ACKs that acknowledge something new, (frame, the highest ACK
        before it, its ACK) in order (their ACKs rise). Before the acker's first ACK, what it acknowledges begins
        at the first byte of ``d`` the capture holds (a capture begun mid-stream: what came before was sent before
        it). Found once per connection and direction."""
        key = (conn.stream, conn.epoch, d)
        got = self._acked.get(key)
        if got is not None:
            return got
        carried = _Intervals()
        acks: list[tuple[int, int, int]] = []
        high = first = None
        for s in conn.segments:
            if s.direction == d:
                end = s.rel_seq + s.length + bool(s.flags & FIN)      # a FIN's sequence number is carried too
                if end > s.rel_seq:
                    carried.add(s.rel_seq, end)
                    if first is None and s.length:
                        first = s.rel_seq
            elif s.flags & ACK:
                low = high if high is not None else first
                if low is not None and s.rel_ack > low:
                    acks.append((s.frame, low, s.rel_ack))
                if high is None or s.rel_ack > high:
                    high = s.rel_ack
        got = self._acked[key] = ((carried.starts, carried.ends), acks)
        return got

    def _acked_unseen(self, conn: ConnFacts, a: Segment) -> dict[str, Any]:
        """The bytes an ACK that covers data never captured (Wireshark: "ACKed segment that wasn't captured")
        acknowledges without any frame of the other side in the file carrying them: between the acker's highest
        earlier ACK and this one (:meth:`_unseen_gaps`). The first such range and their total; the hole (a segment after
        missing bytes) it lies in, when the capture showed one. Empty when nothing is uncovered."""
        gaps = self._unseen_gaps(conn, a)
        if not gaps:
            return {}
        first, last = gaps[0]
        segs = conn.segments
        before = segs[:bisect_left(segs, a.frame, key=lambda x: x.frame)]
        hole = next((s for s in before if s.direction != a.direction and s.analysis & A_LOST_PACKET
                     and self._missing_from(conn, s) <= first < s.rel_seq), None)
        return {"ack": a.rel_ack, "unseen_from": first, "unseen_to": last - 1,
                "unseen_bytes": sum(y - x for x, y in gaps), "unseen_ranges": len(gaps),
                "hole_frame": hole.frame if hole is not None else None,
                "hole_from": self._missing_from(conn, hole) if hole is not None else None,
                "hole_to": hole.rel_seq - 1 if hole is not None else None}

    def _forwarded(self) -> None:
        """The client is a NAT router, not the machine that made the fetch: it is on the capture's link (its own ARP
        request is in the fetch: ARP is not routed) and the first packets of its first connection all carry a TTL
        one below a sender's initial value (64, 128, 255): it forwarded them, under its own address (masquerade).
        Told once, at that connection's first packet, citing both."""
        plan = self.plan
        asked = next((m for m in plan.neighbours if m.protocol == "arp" and m.kind == "request"
                      and m.sender == plan.client and not m.gratuitous), None)
        conns = sorted((c for c in self.conns if c.first_frame and c.client == plan.client), key=lambda c: c.first_frame)
        if asked is None or not conns:
            return
        # its first packets (a long keep-alive connection is read no further than these, fetch after fetch)
        sent = list(itertools.islice((s for s in conns[0].segments if s.direction == 0), 16))
        ttls = {s.ttl for s in sent}
        if len(ttls) != 1 or not sent or (ttl := next(iter(ttls))) + 1 not in (64, 128, 255):
            return
        first = sent[0]
        self._add(first.frame + 0.2, first.ts_ns, (asked.frame, first.frame), "tcp", "tcp.forwarded",
                  client=plan.client, ttl=ttl, start=ttl + 1, arp_frame=asked.frame, frame=first.frame)

    def _icmp_steps(self, conn: ConnFacts, ends: dict[str, Any]) -> bool:
        """The ICMP errors that answered the connection's SYNs, each cited after the SYN it quotes; True when
        one answered the last SYN (the attempt ended there, nothing was left unanswered)."""
        errs = self.syn_errors.get(conn.stream)
        if not errs:
            return False
        for e in errs:
            syn_f, syn_t = max((s for s in conn.syns if s[0] < e.frame), key=lambda s: s[0])
            self._add(e.frame, e.ts_ns, (e.frame,), "tcp", "tcp.icmp." + icmp_reason(e), problem=True,
                      syn=syn_f, rtt_ms=_ms(e.ts_ns - syn_t), sender=e.sender, icmp=e.text, icmp_type=e.type,
                      icmp_code=e.code, retried=any(f > e.frame for f, _t in conn.syns), **ends)
            self._cite_icmp(e, conn.stream)
        return self._outcome(conn) == "unreachable"

    def _synack_echo(self, conn: ConnFacts, f1: int, t1: int, ends: dict[str, Any]) -> None:
        """After retransmitted SYNs, the first SYN-ACK's timestamp echo (TSecr: RFC 7323 4.3, the TSval of the
        segment being answered) may name an earlier SYN than the last one before it: then the server had that
        SYN, and its answer to it is what the capture point never saw. Said only then: a TSecr of the last SYN
        does not tell (a server may echo the latest SYN of a retransmission, FreeBSD does), nor does a SYN-ACK
        without the option."""
        if len(conn.syns) < 2 or not conn.stamps:
            return
        stamps = {f: (tsval, tsecr) for f, tsval, tsecr in conn.stamps}
        got = stamps.get(f1)
        before = [(f, t) for f, t in conn.syns if f < f1 and f not in conn.copies]
        if got is None or len(before) < 2 or before[-1][0] not in stamps:
            return
        tsecr = got[1]
        last_frame = before[-1][0]
        last_tsval = stamps[last_frame][0]
        echoed = next((f for f, _t in before[:-1] if f in stamps and stamps[f][0] == tsecr), None)
        if echoed is None or last_tsval == tsecr:
            return
        self._add(f1 + 0.2, t1, (echoed, f1), "tcp", "tcp.synack.echo_earlier", problem=True, tsecr=tsecr,
                  syn_frame=echoed, last_frame=last_frame, last_tsval=last_tsval, **ends)

    def _cite_icmp(self, e: IcmpError, stream: int | None) -> None:
        """An ICMP error a step cites is drawn in the ladder too, from its sender to the client."""
        self.notes[e.frame] = self._note("note.icmp", proto="ICMPv6" if ":" in e.sender else "ICMP", icmp=e.text)
        self.cited_icmp[e.frame] = (e, stream)

    def _teardown(self, conn: ConnFacts, ends: dict[str, Any]) -> None:
        summ = conn.summary
        if conn.outcome in ("refused", "unanswered"):
            return
        if not conn.settled:
            last = conn.last_frame
            if conn.next_request is not None:
                self._add(last + 0.5, conn.last_ts_ns, (), "tcp", "tcp.kept", next_frame=conn.next_request[0],
                          next_uri=conn.next_request[1], **ends)
            else:
                self._add(last + 0.5, conn.last_ts_ns, (), "tcp", "tcp.open.later", last=last, **ends)
            return
        td = summ.get("teardown") if conn.outcome != "reset" or summ.get("teardown") else None
        resets = summ.get("resets") or []
        mine = {s.frame for s, _o in self._conn_segments(conn)}
        if td and td.get("first_fin_frame") in mine | {td.get("first_fin_frame")}:
            self._fin_steps(conn, td, ends)
            self._release_late(conn, td, ends)
        for rst in resets:
            frame = rst["frame"]
            seg = next((s for s in conn.segments if s.frame == frame), None)
            data_before = [s for s in conn.segments if s.frame < frame and s.length]
            after = data_before[-1].frame if data_before else None
            after_fin = bool(td and td.get("first_fin_frame") and td["first_fin_frame"] < frame)
            kind = "tcp.reset.after_fin" if after_fin else "tcp.reset"
            self._add(frame, seg.ts_ns if seg else None, (frame,), "tcp", kind, problem=not after_fin,
                      by=_ROLE[rst["by"]], state=rst.get("state") or "?", after=after, **ends)
            self.notes[frame] = "RST"
        if resets:
            # the RSTs after the first: each side's answer to segments of a connection it no longer has
            told = {r["frame"] for r in resets}
            later = [x for x in conn.segments if x.flags & RST and x.frame not in told and x.frame in mine]
            for side in (0, 1):
                again = [x for x in later if x.direction == side]
                if again:
                    self._add(again[0].frame, again[0].ts_ns, tuple(x.frame for x in again), "tcp", "tcp.reset.again",
                              by="client" if side == 0 else "server", first_rst=resets[0]["frame"],
                              count=len(again), **ends)
                    for x in again:
                        self.notes[x.frame] = "RST"
        if not td and not resets:
            # "kept alive for more requests" only after a request that was answered; otherwise (no HTTP seen,
            # TLS without keys, a request still waiting) the capture simply ends while the connection is open
            answered = bool(conn.records) and conn.records[-1].response_frame is not None
            kind = "tcp.open" if answered else "tcp.open.plain"
            if conn.synacks and not conn.handshake_ack and not any(x.length or not x.flags & SYN
                                                                  for x in conn.segments):
                kind = "tcp.open.half"      # a SYN-ACK and nothing after it: never seen established
            self._add(conn.last_frame + 0.5, conn.last_ts_ns, (), "tcp", kind, last=conn.last_frame, **ends)

    def _release_late(self, conn: ConnFacts, td: dict[str, Any], ends: dict[str, Any]) -> None:
        """Why a FIN's ACK came late, when its sender sent segments again between the two: an ACK covers
        every byte before the one it names, so the FIN is acknowledged only once the bytes before it (a TLS
        close_notify, the end of a response) and the FIN itself have all arrived. The step cites the copies (the
        retransmission steps tell each one's wait) and says what they cost the release."""
        by_frame = self._by_frame(conn)
        segs = conn.segments
        for f1, a1 in ((td.get("first_fin_frame"), td.get("first_fin_acked_frame")),
                       (td.get("second_fin_frame"), td.get("second_fin_acked_frame"))):
            fin, ack = by_frame.get(f1) if f1 else None, by_frame.get(a1) if a1 else None
            if fin is None or ack is None or fin.length:
                continue        # (a FIN riding on data: that data's resends are the transfer's story)
            lo = bisect_right(segs, f1, key=lambda x: x.frame)
            hi = bisect_left(segs, a1, key=lambda x: x.frame)
            late = [x for x in segs[lo:hi] if x.direction == fin.direction and x.analysis & RESENT
                    and (x.length or x.flags & FIN) and x.frame not in conn.copies and x.frame not in self.explained]
            rtt_ms, _data = self._rtt(conn)
            if not late or rtt_ms is not None and _ms(ack.ts_ns - fin.ts_ns) <= 2 * rtt_ms:
                continue        # (no later than a round trip or so: nothing held the release up)
            data = [x for x in late if x.length]
            firsts = sorted({c.frame for c in (_first_copy(conn, x) for x in data) if c is not None})
            cover = _Intervals()
            nbytes = sum(b - a for x in data for a, b in cover.add(x.rel_seq, x.rel_seq + x.length))
            tls = conn.tls
            closing = {a.frame for a in tls.alerts if a.description == "Close Notify"} if tls is not None else set()
            self._add(a1 + 0.05, ack.ts_ns, (*(x.frame for x in late), a1), "tcp",
                      "tcp.teardown.late" if data else "tcp.teardown.late.fin", problem=True,
                      closer="client" if fin.direction == 0 else "server", fin_frame=f1, ack_frame=a1,
                      wait_ms=_ms(ack.ts_ns - fin.ts_ns), rtt_ms=rtt_ms, last_frame=late[-1].frame,
                      last_ms=_ms(ack.ts_ns - late[-1].ts_ns), nbytes=nbytes, firsts=firsts,
                      data_frames=[x.frame for x in data[:50]], close_notify=bool(closing & set(firsts)),
                      fin_frames=[x.frame for x in late if not x.length][:50], **ends)

    def _fin_steps(self, conn: ConnFacts, td: dict[str, Any], ends: dict[str, Any]) -> None:
        closer = _ROLE[td["active_closer"]]
        other = "server" if closer == "client" else "client"
        f1, a1 = td.get("first_fin_frame"), td.get("first_fin_acked_frame")
        f2, a2 = td.get("second_fin_frame"), td.get("second_fin_acked_frame")
        kind = td.get("kind", "")
        base = dict(closer=closer, other=other, **ends)
        segs = {s.frame: s for s in conn.segments[-64:]}
        seg_all = None

        def seg(frame: int) -> Segment | None:
            nonlocal seg_all
            s = segs.get(frame)
            if s is None:
                if seg_all is None:
                    seg_all = {x.frame: x for x in conn.segments}
                s = seg_all.get(frame)
            return s

        def add(frame: int, template: str, note: str, **extra: Any) -> None:
            s = seg(frame)
            facts = {**base, "seq": s.rel_seq if s else None, "ack": s.rel_ack if s else None, **extra}
            self._add(frame, s.ts_ns if s else None, (frame,), "tcp", template, **facts)
            if frame not in self.explained:     # a FIN repeated as the FINs crossed keeps its own label
                self.notes[frame] = note

        if kind == "four-way" and a1 and f2:
            # the ACK of the first FIN comes from past the other side's FIN in sequence space: that FIN was sent
            # before it and lost before the capture point (the FIN seen later is its copy)
            ack_seg, fin_seg = seg(a1), seg(f2)
            early = ack_seg is not None and fin_seg is not None and ack_seg.rel_seq > fin_seg.rel_seq
            add(f1, "tcp.teardown4.1", self._note("note.fin", n=1, m=4))
            if early:
                add(a1, "tcp.teardown4.2.fin_lost", self._note("note.ackfin", n=2, m=4), fin_seq=fin_seg.rel_seq)
            else:
                add(a1, "tcp.teardown4.2", self._note("note.ackfin", n=2, m=4))
            # a half-close: the side that has not closed yet may go on sending before its own FIN
            odir = 0 if other == "client" else 1
            late = [x for x in conn.segments if a1 < x.frame < f2 and x.length and x.direction == odir
                    and not x.analysis & RESENT]
            if late:
                acks = [x.frame for x in conn.segments if late[0].frame < x.frame < f2 and x.direction != odir
                        and not x.length and x.flags & ACK]
                self._add(late[0].frame, late[0].ts_ns, tuple(sorted({*(x.frame for x in late), *acks})), "tcp",
                          "tcp.teardown.half_data", nbytes=sum(x.length for x in late),
                          data_frames=[x.frame for x in late], ack_frames=acks, **base)
            add(f2, "tcp.teardown4.3.again" if early else "tcp.teardown4.3", self._note("note.fin", n=3, m=4))
            if a2:
                add(a2, "tcp.teardown4.4", self._note("note.ackfin", n=4, m=4))
            else:
                self._add(f2 + 0.5, None, (), "tcp", "tcp.teardown.unacked", **base)
        elif kind.startswith("three-way") and f2:
            add(f1, "tcp.teardown3.1", self._note("note.fin", n=1, m=3))
            add(f2, "tcp.teardown3.2", self._note("note.finack", n=2, m=3))
            if a2:
                add(a2, "tcp.teardown3.3", self._note("note.ackfin", n=3, m=3))
            else:
                self._add(f2 + 0.5, None, (), "tcp", "tcp.teardown.unacked", **base)
        else:
            fin, ackfin = self._note("note.fin.plain"), self._note("note.ackfin.plain")
            events = [(f1, "tcp.teardown.fin", fin, {})]
            if f2:
                events.append((f2, "tcp.teardown.fin2", fin, {}))
            if a1 and a1 != f2:
                events.append((a1, "tcp.teardown.ack", ackfin, {"sender": other, "peer": closer}))
            if a2:
                events.append((a2, "tcp.teardown.ack", ackfin, {"sender": closer, "peer": other}))
            for frame, template, note, extra in sorted(events, key=lambda e: e[0]):
                add(frame, template, note, **extra)
            if kind == "simultaneous close":
                last = max(e[0] for e in events)
                tw = td.get("orig_time_wait_from_frame") or td.get("resp_time_wait_from_frame")
                s_tw = seg(tw) if tw else None
                self._add(last + 0.25, s_tw.ts_ns if s_tw else None, (tw,) if tw else (), "tcp",
                          "tcp.teardown.simultaneous.time_wait" if tw else "tcp.teardown.simultaneous", tw=tw,
                          **base)
            elif kind in ("one FIN", "half-close") and not f2:
                self._add(f1 + 0.5, None, (), "tcp", "tcp.teardown.half", half=kind == "half-close", **base)
            elif f2 and not a2 and not kind.startswith("aborted"):      # a reset ended it: its step says so
                self._add(f2 + 0.5, None, (), "tcp", "tcp.teardown.unacked", **base)
        for role in ("orig", "resp"):
            tw = td.get(role + "_time_wait_from_frame")
            if tw and kind != "simultaneous close":     # there both sides' TIME_WAIT is one step
                s = seg(tw)
                self._add(tw + 0.1, s.ts_ns if s else None, (tw,), "tcp", "tcp.time_wait", side=_ROLE[role], **ends)

    # -- HTTP ------------------------------------------------------------------------------------------
    def _http_steps(self) -> list[dict[str, Any]]:
        """The HTTP steps; returns each unit's timings, in unit order."""
        plan = self.plan
        timings: list[dict[str, Any]] = []
        doc = next((u for u in plan.units if u.request), None)
        used_dns: set[int] = set()
        for u in plan.units:
            t: dict[str, Any] = {}
            timings.append(t)
            conn = u.conn
            if u.first_on_conn and conn.syns:
                end = conn.handshake_ack[1] if conn.handshake_ack else None
                if end is None and conn.outcome in ("refused", "unanswered"):
                    end = next((s.ts_ns for s in conn.segments if s.flags & RST and s.direction == 1),
                               conn.syns[-1][1])
                    if self._outcome(conn) == "unreachable":
                        end = self.syn_errors[conn.stream][-1].ts_ns
                t["connect"] = (conn.syns[0][1], end)
                if conn.tls is not None and conn.tls.client_hello is not None:
                    done = tls_done(conn.tls, conn.client_port)
                    if done is not None:
                        t["ssl"] = (conn.tls.client_hello.ts_ns, done[1])
                    else:
                        failed = tls_failure(conn.tls)      # the handshake's time, up to the alert that ended it
                        if failed is not None:
                            t["ssl"] = (conn.tls.client_hello.ts_ns, failed.ts_ns)
                mine = [lk for lk in self.usable if lk.query_frame not in used_dns and lk.response_ts_ns is not None
                        and lk.response_ts_ns <= conn.syns[0][1] and (name_matches(lk.qname, u.host)
                                                                    or conn.server in lk.addresses)]
                if mine:
                    # the same question asked before without an answer (a resolver that did not answer, then the
                    # next one): the lookup's time began with it
                    asked = {(lk.qname.lower(), lk.qtype): lk.query_ts_ns for lk in mine}
                    unanswered = [lk for lk in self.usable if lk.response_ts_ns is None and lk.query_frame not in used_dns
                                  and lk.query_ts_ns <= asked.get((lk.qname.lower(), lk.qtype), -1)]
                    used_dns.update(lk.query_frame for lk in mine + unanswered)
                    t["dns"] = (min(lk.query_ts_ns for lk in mine + unanswered), max(lk.response_ts_ns for lk in mine))
            if not u.request:
                continue
            self._request_steps(u, u is doc, t)
            if u.record is not None and self.unrequested:
                self._unrequested_steps(u)
        return timings

    def _owned(self, conn: ConnFacts, index: int) -> list:
        """The segments of ``conn`` its owner list gives to ``index``, in order: grouped once per connection
        (looking through every segment for each request was quadratic in a kept-alive connection's requests)."""
        key = (conn.stream, conn.epoch)
        by = self._owned_by.get(key)
        if by is None:
            by = self._owned_by[key] = defaultdict(list)
            for s, o in zip(conn.segments, self.owner[key]):
                by[o].append(s)
        return by.get(index, [])

    def _carrying(self, conn: ConnFacts, index: int, direction: int, span: tuple[int, int] | None = None
                  ) -> tuple[int, ...]:
        """The frames carrying a message: over TLS, those of ``span`` (its first and last frames)."""
        if conn.tls is not None and span is not None:
            lo, hi = span
            return tuple(s.frame for s in conn.segments if lo <= s.frame <= hi and s.direction == direction
                         and s.length and not s.analysis & RESENT and s.frame not in conn.copies)
        return tuple(s.frame for s in self._owned(conn, index) if s.direction == direction
                     and s.length and not s.analysis & RESENT and s.frame not in conn.copies)

    # -- TLS -------------------------------------------------------------------------------------------
    def _tls_steps(self, conn: ConnFacts, ends: dict[str, Any]) -> None:
        """The TLS handshake step by step, what it reveals, when the connection became secure, the
        encrypted records and why they were (not) decrypted (issue 11 part 4)."""
        tls = conn.tls
        ch, sh = tls.client_hello, tls.server_hello
        base = dict(ends, sni=tls.sni or "", version=tls.version or "?", cipher=tls.cipher_suite or "?",
                    alpn=tls.alpn or "", stream=conn.stream)
        if ch is None:
            first = tls.first_frame
            self._add(first, tls.first_ts_ns, (first,), "tls", "tls.midstream", **base)
            # a session that began before the capture: its records still show the exchanges
            view = None if conn.records or tls.decrypted else encrypted_exchanges(tls, conn.segments, 0)
            if view is not None and view.exchanges:
                self.encrypted[(conn.stream, conn.epoch)] = view
                self._encrypted_steps(conn, view, base)
            return
        comma = "、" if self.lang == "zh" else ", "       # a list in the sentence's language
        self._add(ch.frame, ch.ts_ns, (ch.frame,), "tls", "tls.client_hello" + (".sni" if ch.sni else ""),
                  versions=comma.join(ch.versions) or "?", ciphers=len(ch.cipher_suites),
                  offered_alpn=comma.join(ch.alpn) or "", psk=ch.psk_offered or ch.session_ticket_offered,
                  early_data=ch.early_data,
                  **{k: v for k, v in base.items() if k != "alpn"}, alpn=comma.join(ch.alpn))
        self.notes[ch.frame] = self._note("note.tls.client_hello", sni=ch.sni or "-")
        if tls.hello_retry is not None:
            hr = tls.hello_retry
            self._add(hr.frame, hr.ts_ns, (hr.frame,), "tls", "tls.hello_retry", group=hr.key_share_group or "?",
                      **base)
            self.notes[hr.frame] = self._note("note.tls.hello_retry")
        failure = tls_failure(tls)
        if sh is None:
            if failure is None:
                # a capture that ends less than a second after the ClientHello cannot tell a handshake that failed
                after = _ms((self.capture_end_ns or ch.ts_ns) - ch.ts_ns)
                if after < TLS_WAIT_MS:
                    self._add(ch.frame + 0.5, ch.ts_ns, (), "tls", "tls.no_server_hello.soon", waited_ms=after,
                              rtt_ms=self._rtt(conn)[0], **base)
                else:
                    self._add(ch.frame + 0.5, ch.ts_ns, (), "tls", "tls.no_server_hello", problem=True, **base)
            else:
                self._tls_failed(failure, base)
            return
        rtt = _ms(sh.ts_ns - ch.ts_ns)
        v13 = (sh.version or "").endswith("1.3")
        kind = "tls.server_hello.13" if v13 else "tls.server_hello.12"
        if tls.resumed:
            kind += ".resumed"
        self._add(sh.frame, sh.ts_ns, (sh.frame,), "tls", kind, rtt_ms=rtt, chosen_alpn=sh.alpn or "",
                  group=sh.key_share_group or "", **base)
        self.notes[sh.frame] = self._note("note.tls.server_hello", version=sh.version)
        self._server_hello_lost(conn, ch, sh, rtt, base)
        if tls.certificates and (tls.decrypted or not tls.certificates[0].encrypted):
            self._certificate_step(tls.certificates, base)
        done = tls_done(tls, conn.client_port)
        refused = ch.early_data and tls.early_data == EARLY_REFUSED
        if refused:
            self._early_refused(tls, done, base)
        # TLS False Start (RFC 7918): a TLS 1.2 client's application data before the server's ChangeCipherSpec
        false_start = () if v13 or done is None or tls.resumed else tuple(
            r for r in tls.app_data if r.direction == tls.client_dir and r.frame < done[0])
        if done is not None:
            frame, ts, how = done
            secure = _ms(ts - ch.ts_ns)
            trips = 0 if v13 and ch.early_data and tls.resumed and not refused else 1 if v13 or tls.resumed else 2
            self._add(frame + 0.2, ts, (frame,), "tls", f"tls.done.{how}", secure_ms=secure, trips=trips,
                      decrypted=tls.decrypted, **({"false_start": True} if false_start else {}), **base)
            self.notes.setdefault(frame, self._note("note.tls.done"))
            # a handshake message held back by Nagle until the peer's delayed ACK (a small ChangeCipherSpec
            # segment, then the Finished): the classic 40 ms, inside the time to a secure connection
            rtt_ms = self._rtt(conn)[0]
            for d in (0, 1):
                self._stalls(conn, -1, d, rtt_ms, [s for s in conn.segments if ch.frame <= s.frame <= frame
                                                   and s.length and s.direction == d and s.frame not in conn.copies])
        tickets: dict[int, list[Any]] = {}         # frame -> the NewSessionTickets it carried
        for m in tls.handshake:
            if m.kind == "new_session_ticket":
                tickets.setdefault(m.frame, []).append(m)
        n = 0
        for frame, ms in tickets.items():       # one step per frame: the first ticket(s), then each later one
            self._add(frame + 0.3, ms[0].ts_ns, (frame,), "tls", "tls.ticket.again" if n else "tls.ticket",
                      count=len(ms), n=n + 1, **base)
            self.notes.setdefault(frame, self._note("note.tls.ticket"))
            n += len(ms)
        totals = tls.app_data_totals
        if failure is not None:
            # nothing of an application came after a failed handshake: the step says how it failed
            self._tls_failed(failure, base)
        elif not tls.decrypted and (totals[0][0] or totals[1][0]):
            cut = done[0] if done else sh.frame
            # early data (TLS 1.3 0-RTT) and the server's answer to it come before the client's Finished
            # (refused early data never reached the server's application: neither an exchange nor in the counts;
            # a TLS 1.2 client's False Start data comes before the server's Finished)
            zero_rtt = tuple(r for r in tls.app_data if r.frame <= cut) if v13 and ch.early_data and not refused \
                else false_start
            app = [*zero_rtt, *(r for r in tls.app_data if r.frame > cut)]
            if app:
                c_dir = tls.client_dir
                # the totals count every record of type application_data; those up to the end of the
                # handshake carried the (encrypted) handshake itself, unless they were early data
                early = [r for r in tls.app_data if r.frame <= cut and not zero_rtt]
                n = [totals[d][0] - sum(1 for r in early if r.direction == d) for d in (0, 1)]
                b = [totals[d][1] - sum(r.length for r in early if r.direction == d) for d in (0, 1)]
                view = None if _http_inside(conn) else encrypted_exchanges(tls, conn.segments, cut, early=zero_rtt)
                # a connection the client asked nothing on (the server's tickets only) holds no request
                kind = "tls.encrypted" if n[c_dir] else "tls.encrypted.no_request"
                if not n[c_dir]:
                    base = {**base, "spare": (conn.stream, conn.epoch) in self.spares}   # its own step says why
                self._add(app[0].frame, app[0].ts_ns, tuple(sorted({app[0].frame, app[-1].frame})), "tls", kind,
                          sent_records=n[c_dir], sent_bytes=b[c_dir], recv_records=n[1 - c_dir],
                          recv_bytes=b[1 - c_dir],
                          first=app[0].frame, last=app[-1].frame, key_problem=tls.key_problem or "no_keylog",
                          key_note=tls.key_note or "", tickets=len(view.tickets) if view else 0,
                          alerts=len(view.alerts) if view else 0, **base)
                if view is not None and view.exchanges:
                    self.encrypted[(conn.stream, conn.epoch)] = view
                    self._encrypted_steps(conn, view, base)
        for a in tls.alerts:
            who = "client" if a.direction == tls.client_dir else "server"
            if failure is not None and a.frame == failure.frame:
                continue                        # told by tls.failed
            if a.description == "Close Notify":
                self._add(a.frame, a.ts_ns, (a.frame,), "tls", "tls.close_notify", who=who, **base)
                self.notes[a.frame] = self._note("note.tls.close_notify")
            elif a.description is not None:
                self._add(a.frame, a.ts_ns, (a.frame,), "tls", "tls.alert", problem=a.level == "Fatal", who=who,
                          level=a.level or "?", description=a.description, **base)
            elif a.encrypted:
                self._add(a.frame, a.ts_ns, (a.frame,), "tls", "tls.alert.encrypted", who=who, **base)

    def _tunnel_steps(self, conn: ConnFacts, ends: dict[str, Any]) -> None:
        """An HTTP proxy's CONNECT tunnel (RFC 9110 9.3.6) before the TLS: each CONNECT the client sent, the
        proxy's refusal (407 asking for credentials, 403 ...) or its 2xx, after which the connection carries
        the TLS to the site end to end (the proxy's own connection to the site is not on this path)."""
        asked = False
        for rec in sorted(conn.records, key=lambda r: r.transaction.index):
            if not is_tunnel_setup(conn, rec):
                continue
            tx = rec.transaction
            req, resp = tx.request, tx.response
            # its own frames only: the tunnel's bytes after the proxy's answer are TLS, not this message's
            frames = tuple(sorted({req.first_frame, tx.request_end.last_frame if tx.request_end else req.first_frame}))
            self._connect_asked(req, frames, asked, ends)
            asked = True
            if resp is None:
                continue
            end = tx.response_end
            rframes = tuple(sorted({resp.first_frame, end.last_frame if end is not None else resp.first_frame}))
            sent = tx.request_end.last_ts_ns if tx.request_end is not None else req.first_ts_ns
            self._connect_answer(req, resp, rframes, _ms(resp.first_ts_ns - sent), "http.connect.open", ends)

    def _connect_asked(self, req: Any, frames: tuple[int, ...], again: bool, ends: dict[str, Any]) -> None:
        """A CONNECT to the proxy: the connection's first, or ``again`` (with credentials, after a 407)."""
        self._add(req.first_frame, req.first_ts_ns, frames, "http", "http.connect.again" if again else "http.connect",
                  target=req.target, credentials=req.headers.get("proxy-authorization") is not None, **ends)
        self.notes.setdefault(req.first_frame, self._note("note.http.connect", target=req.target))

    def _connect_answer(self, req: Any, resp: Any, rframes: tuple[int, ...], wait: float, opened: str,
                        ends: dict[str, Any]) -> None:
        """The proxy's answer to a CONNECT: a 2xx told as step ``opened``, else its refusal (a 407 asking for
        credentials, with the scheme its Proxy-Authenticate names; a 403, 502 ...)."""
        if 200 <= resp.status < 300:
            self._add(resp.first_frame, resp.first_ts_ns, rframes, "http", opened, status=resp.status,
                      reason=resp.reason, wait_ms=wait, target=req.target, **ends)
            self.notes.setdefault(resp.first_frame, self._note("note.http.connect.open"))
            return
        challenge = resp.headers.get("proxy-authenticate") or ""
        self._add(resp.first_frame, resp.first_ts_ns, rframes, "http",
                  "http.connect.auth" if resp.status == 407 else "http.connect.refused", problem=True,
                  status=resp.status, reason=resp.reason, wait_ms=wait, target=req.target,
                  challenge=challenge.split(",")[0].strip(), **ends)
        self.notes.setdefault(resp.first_frame, self._note("note.http.connect.refused", status=resp.status))

    def _connect_request(self, u: Unit, conn: ConnFacts, tx: Any, cdir: int, frames: tuple[int, ...],
                         t: dict[str, Any]) -> None:
        """A CONNECT that opened no tunnel the TLS went through (the proxy refused it, 407 or 403 ..., or never
        answered): the request to the proxy and its answer told as what they are (not as the page's request
        and an error page), and that nothing of the site went through this connection."""
        ends = self._ends(conn)
        req, resp = tx.request, tx.response
        asked = any(r.transaction.index < tx.index and r.transaction.request is not None
                    and r.transaction.request.method == "CONNECT" for r in conn.records)
        self._connect_asked(req, frames, asked, ends)
        req_end_ns = tx.request_end.last_ts_ns if tx.request_end is not None else (req.head_ts_ns or req.first_ts_ns)
        t["send"] = (req.first_ts_ns, req_end_ns)
        if resp is None:
            why = tx.reason or "capture ended"
            if why == "capture ended" and not any(s.direction != cdir for s in conn.segments):
                why = "one sided"       # nothing from the server on the connection: the capture saw one side
            self._add((frames[-1] if frames else req.first_frame) + 0.5, req_end_ns, (), "http", "http.no_response",
                      problem=True, method=req.method, uri=req.target, why=why, server=conn.server)
            last = frames[-1] if frames else req.first_frame
            self._add(last + 0.6, req_end_ns, (last,), "http", "http.connect.none", problem=True, url=u.url, **ends)
            return
        rend = tx.response_end
        last_ns = rend.last_ts_ns if rend is not None else (resp.head_ts_ns or resp.first_ts_ns)
        t["wait"] = (req_end_ns, resp.first_ts_ns)
        t["receive"] = (resp.first_ts_ns, last_ns)
        resp_last = rend.last_frame if rend is not None else resp.first_frame
        owned = self._carrying(conn, tx.index, 1 - cdir, (resp.first_frame, resp_last))
        rframes = _with_ends(owned, resp.first_frame, resp_last)
        self.resp_frames[id(u)] = (tuple(dict.fromkeys((resp.first_frame, resp_last))), set(owned or (resp.first_frame,)))
        # a 2xx: the proxy opened the tunnel, but no TLS the analyzer saw went through it
        self._connect_answer(req, resp, rframes, _ms(max(resp.first_ts_ns - req_end_ns, 0)), "http.connect.open.other",
                             ends)
        if 200 <= resp.status < 300:
            return
        if not any(r.transaction.index > tx.index for r in conn.records):
            self._add(rframes[-1] + 0.5, last_ns, (rframes[-1],), "http", "http.connect.none", problem=True,
                      url=u.url, **ends)

    def _tls_failed(self, failure: TlsFailure, base: dict[str, Any]) -> None:
        """The handshake failed: the alert that ended it, what its kind means, and that no request went."""
        if failure.description is None:
            self._add(failure.frame, failure.ts_ns, (failure.frame,), "tls", "tls.failed.encrypted", problem=True,
                      who=failure.who, **base)
        else:
            self._add(failure.frame, failure.ts_ns, (failure.frame,), "tls", "tls.failed.alert", problem=True,
                      who=failure.who, description=failure.description, **base)
        self.notes[failure.frame] = self._note("note.tls.failed")

    def _early_refused(self, tls: Any, done: tuple[int, int, str] | None, base: dict[str, Any]) -> None:
        """The server refused the client's TLS 1.3 early data: the evidence, the records it skipped unread and,
        without keys, the client's record of the same size after the handshake (the same data sent again,
        very likely; with keys the request step tells it)."""
        first_hello = min(h.frame for h in (tls.hello_retry, tls.server_hello) if h is not None)
        early = [r for r in tls.app_data if r.direction == tls.client_dir and r.frame < first_hello]
        evidence = tls.early_data_frame
        if not early or evidence is None:
            return
        ts = next((m.ts_ns for m in tls.handshake if m.frame == evidence), None)
        if ts is None:
            ts = next(h.ts_ns for h in (tls.hello_retry, tls.server_hello) if h is not None and h.frame == evidence)
        resent = None
        if not tls.decrypted and done is not None:
            resent = next((r.frame for r in tls.app_data if r.direction == tls.client_dir and r.frame > done[0]
                           and r.length == early[0].length), None)
        frames = sorted({evidence, *(r.frame for r in early), *((resent,) if resent else ())})
        self._add(evidence + 0.15, ts, tuple(frames), "tls", "tls.early_data.refused", problem=False,
                  why=tls.early_data_why, evidence=evidence, early_records=len(early),
                  early_bytes=sum(r.length for r in early), early_frames=[r.frame for r in early], resent=resent,
                  **base)

    def _encrypted_steps(self, conn: ConnFacts, view: EncryptedView, base: dict[str, Any]) -> None:
        """The exchanges inferred from the records of an encrypted connection (:mod:`analyzer.timeline.encrypted`):
        the records taken for session tickets and alerts, one step per exchange, and a wait much longer than
        the round trip explained (Nagle holding the answer behind a ticket, or the server's think time)."""
        segs = self._by_frame(conn)
        if view.tickets:
            lengths = view.ticket_lengths     # (the frame of a ticket can carry a response's record too)
            self._add(view.tickets[0] + 0.3, segs[view.tickets[0]].ts_ns if view.tickets[0] in segs else None,
                      tuple(dict.fromkeys(view.tickets)), "tls", "tls.tickets.inferred", count=len(view.tickets),
                      lengths=", ".join(map(str, lengths)), **base)
        for client, frame in view.alerts:
            self._add(frame + 0.3, segs[frame].ts_ns if frame in segs else None, (frame,), "tls",
                      "tls.alert.inferred", who="client" if client else "server", **base)
        rtt_ms, _data = self._rtt(conn)
        frames = [sg.frame for sg in conn.segments]
        kind = "tls.exchange.h2" if view.multiplexed else "tls.exchange"
        for ex in view.exchanges:
            q, a = ex.request, ex.response
            k = kind if q and a else f"{kind}.request" if q else f"{kind}.server"
            if k == "tls.exchange.server" and ex.index == 0 and conn.tls.client_hello is None:
                k += ".midstream"       # the answer to a request sent before the capture, very likely
            first = (q or a).frames[0]      # type: ignore[union-attr]
            self._add(first, (q or a).first_ns, ex.frames, "tls", k, n=ex.index + 1,   # type: ignore[union-attr]
                      req_records=q.records if q else 0, req_bytes=q.bytes if q else 0,
                      req_frames=list(q.frames) if q else [], resp_records=a.records if a else 0,
                      resp_bytes=a.bytes if a else 0, resp_frames=list(a.frames) if a else [],
                      ttfb_ms=ex.ttfb_ms, transfer_ms=ex.transfer_ms, alpn_hidden=view.alpn_hidden,
                      early=ex.early, **self._maybe_ticket(ex), **base,
                      **({"false_start": True} if ex.early and not (conn.tls.version or "").endswith("1.3") else {}))
            if q is None or a is None or ex.ttfb_ms is None or rtt_ms is None or view.multiplexed:
                continue
            ttfb = ex.ttfb_ms
            if ttfb < 10 * rtt_ms:
                continue
            # the segments between the request's last record and the answer's first segment (frame order)
            span = conn.segments[bisect_right(frames, q.last_frame):bisect_left(frames, a.frames[0])]
            between = [s for s in span if s.length and s.direction != conn.tls.client_dir]
            if ttfb < 20.0:         # too short for a step: "where the time went" names it (as _wait_explained;
                # records the server sent meanwhile, TLS 1.3's tickets, cannot hold the answer back that briefly:
                # a delayed ACK takes 35 ms or more)
                if not any(s.analysis & RESENT for s in span):
                    self.quiet_waits_tls.append((ttfb, rtt_ms, a.frames[0], ex.index + 1))
                continue
            if between:
                ack = next((s for s in reversed(span) if s.direction == conn.tls.client_dir
                            and not s.length and s.flags & ACK and s.frame > between[-1].frame), None)
                if ack is not None and a.first_ns - ack.ts_ns <= max(1_000_000, 2 * rtt_ms * 1_000_000) \
                        and DELAYED_ACK_MS[0] <= _ms(ack.ts_ns - between[-1].ts_ns) <= DELAYED_ACK_MS[1]:
                    held = between[-1]
                    self._add(a.frames[0] - 0.1, a.first_ns, (held.frame, ack.frame, a.frames[0]), "tcp",
                              "tls.exchange.nagle", problem=True, n=ex.index + 1, first=held.frame,
                              first_len=held.length, ack_frame=ack.frame, ack_ms=_ms(ack.ts_ns - held.ts_ns),
                              second=a.frames[0], gap_ms=_ms(a.first_ns - held.ts_ns), ttfb_ms=ttfb,
                              stream=conn.stream)
                    self.notes[a.frames[0]] = self._note("note.nagle")
                    continue
            self._add(a.frames[0] + 0.2, a.first_ns, (q.last_frame, a.frames[0]), "tls", "tls.exchange.wait",
                      n=ex.index + 1, ttfb_ms=ttfb, rtt_ms=rtt_ms, think_ms=ttfb - rtt_ms, stream=conn.stream)
        sw = view.switched
        if sw is not None:      # the connection left HTTP/1.x: what follows is another protocol's messages
            segs_at = segs.get(sw.frame)
            self._add(sw.frame - 0.1, segs_at.ts_ns if segs_at is not None else None,
                      tuple(sorted({sw.frame, sw.first, sw.last})), "tls", "tls.switched", frame=sw.frame,
                      length=sw.length, data=sw.data, n=sw.after + 1, c_records=sw.client_records,
                      c_bytes=sw.client_bytes, s_records=sw.server_records, s_bytes=sw.server_bytes,
                      first=sw.first, last=sw.last, **base)

    @staticmethod
    def _maybe_ticket(ex: Any) -> dict[str, Any]:
        """The facts of an exchange whose answer's first record may be a TLS 1.3 session ticket (rule d of
        :mod:`analyzer.timeline.encrypted`): that record, and the answer's first frame and wait without it."""
        if ex.maybe_ticket is None or ex.response is None:
            return {}
        frame, size = ex.maybe_ticket
        return {"ticket_frame": frame, "ticket_bytes": size, "ttfb_if_ticket_ms": ex.ttfb_if_ticket_ms,
                "alt_frame": next((f for f in ex.response.frames if f > frame), ex.response.last_frame)}

    def _timings(self, u: Unit, t: dict[str, Any], start_ns: int) -> tuple[RequestTiming, ...]:
        """``u``'s request timing; for a connection whose exchanges were inferred from its encrypted records,
        one per exchange (the first with the connection's DNS, connect and TLS phases)."""
        r = self._timing(u, t, start_ns)
        view = self.encrypted.get((u.conn.stream, u.conn.epoch)) if u.record is None else None
        if view is None:
            return (r,)

        def rel(ns: int) -> float:
            return (ns - start_ns) / 1e9

        out = []
        for ex in view.exchanges:
            q, a = ex.request, ex.response
            phases = list(r.phases) if ex.index == 0 else []
            send = wait = receive = None
            if q is not None:
                phases.append(Phase("send", rel(q.first_ns), rel(q.last_ns)))
                send = _ms(q.last_ns - q.first_ns)
            if q is not None and a is not None:
                phases.append(Phase("wait", rel(q.last_ns), rel(max(a.first_ns, q.last_ns))))
                wait = ex.ttfb_ms
            if a is not None:
                phases.append(Phase("receive", rel(a.first_ns), rel(a.last_ns)))
                receive = ex.transfer_ms
            first = ex.index == 0
            blocked = r.blocked
            if first and q is not None and blocked is not None:
                # as for an HTTP request: the wait from the start to its first byte not spent in DNS/connect/TLS
                blocked = max(_ms(q.first_ns - r.started_ns) - (r.dns or 0) - (r.connect or 0) - (r.ssl or 0), 0.0)
            out.append(replace(
                r, phases=tuple(phases), send=send, wait=wait, receive=receive,
                start=r.start if first else rel(ex.start_ns), started_ns=r.started_ns if first else ex.start_ns,
                blocked=blocked if first else None, dns=r.dns if first else None,
                connect=r.connect if first else None, ssl=r.ssl if first else None,
                request_frame=q.frames[0] if q else None, response_frame=a.last_frame if a else None,
                reused_connection=not first, complete=a is not None, frames=ex.frames, exchange=ex,
                encrypted=view))
        return tuple(out)

    def _pipelined(self, conn: ConnFacts, tx: Any) -> None:
        """An HTTP/1.x request sent before the response to the previous request on its connection began: pipelined
        (RFC 9112 9.3.2). The server answers in order, so its answer waits for the earlier ones."""
        req = tx.request
        if tx.index == 0 or req.version == "HTTP/2":
            return
        prev = self._records_by_index(conn).get(tx.index - 1)
        if prev is None or prev.request is None or prev.response is None \
                or not prev.request.first_frame <= req.first_frame < prev.response.first_frame:
            return
        self._add(req.first_frame + 0.3, req.first_ts_ns, (req.first_frame, prev.response.first_frame), "http",
                  "http.pipelined", stream=conn.stream, prev_method=prev.request.method, prev_uri=prev.request.target,
                  prev_frame=prev.response.first_frame)

    def _records_by_index(self, conn: ConnFacts) -> dict[int, Any]:
        """The connection's transactions by index (made once per connection and fetch)."""
        key = (conn.stream, conn.epoch)
        got = self._tx_index.get(key)
        if got is None:
            got = self._tx_index[key] = {r.transaction.index: r.transaction for r in conn.records}
        return got

    def _request_steps(self, u: Unit, is_doc: bool, t: dict[str, Any]) -> None:
        rec = u.record
        tx = rec.transaction
        conn = u.conn
        req = tx.request
        cdir = 0 if (rec.client[0], rec.client[1]) == (conn.client, conn.client_port) else 1
        body = tx.request_end.body_length if tx.request_end is not None else 0
        req_last = tx.request_end.last_frame if tx.request_end is not None else req.first_frame
        carrying = self._carrying(conn, tx.index, cdir, (req.first_frame, req_last))
        if conn.tls is None and carrying:
            # not the client's bytes after the request's end that no HTTP message holds (told with the response
            # that answers them, when there is one)
            end = self._message_ends(conn).get((tx.index, cdir))
            if end is not None:
                segs = self._by_frame(conn)
                carrying = tuple(f for f in carrying if f not in segs or segs[f].rel_seq - 1 < end)
        frames = _with_ends(carrying, req.first_frame, req_last)
        if req.method == "CONNECT" and authority_form(req.target):
            self._connect_request(u, conn, tx, cdir, frames, t)
            return
        why = "page"
        moved = u.follows       # the request whose 3xx it follows (the grouper's rule 0 put it in this fetch)
        if moved is not None:
            why = "redirected"
        elif not is_doc:
            if u.side:
                why = "side"
            elif u.referer:
                why = "referer"
            elif u.url in self.plan.links:
                why = "linked"
            elif any(x.conn.stream == conn.stream and x is not u and x.start_ns < u.start_ns for x in self.plan.units):
                why = "same_conn"
            else:
                why = "window"
        kind = {"page": "http.request", "side": "http.request.side", "redirected": "http.request.redirected"}.get(
            why, "http.request.resource")
        extra: dict[str, Any] = {}     # what the fetch's first request got, or the redirect it follows
        if why == "page":       # a page, or something else
            resp = tx.response
            ctype = (resp.headers.get("content-type") or "").strip() if resp is not None else ""
            extra["answer"] = (     # (a 3xx with an HTML body is no page: the page is where it sends the client)
                "none" if resp is None else "not_modified" if resp.status == 304 else
                "websocket" if tx.websocket is not None else
                "redirect" if 300 <= resp.status < 400 else "page" if u.document else
                "error" if resp.status >= 400 else "other" if ctype else "untyped")
            if resp is not None:
                extra.update(status=resp.status, content_type=ctype)
        if moved is not None:
            extra = {"redirect_frame": moved[0], "redirect_status": moved[1]}
        if u.refused is not None:       # its first copy went as TLS 1.3 early data, which the server refused
            early = u.refused.transaction
            q = early.request
            last = early.request_end.last_frame if early.request_end is not None else q.first_frame
            eframes = _with_ends(self._carrying(conn, early.index, cdir, (q.first_frame, last)), q.first_frame, last)
            self._add(q.first_frame, q.first_ts_ns, eframes, "http",
                      "http.request.early_refused", method=req.method, uri=req.target, again_frame=req.first_frame,
                      evidence=conn.tls.early_data_frame if conn.tls is not None else None, stream=conn.stream)
        self._add(req.first_frame, req.first_ts_ns, frames, "http", kind, method=req.method, uri=req.target,
                  version=req.version, host=req.headers.get("host") or u.host, stream=conn.stream,
                  size=req.head_length + body, url=u.url, referer=u.referer or "", why=why, **extra)
        self._expect_wait(conn, tx, frames, body)
        self._pipelined(conn, tx)
        self.notes[req.first_frame] = f"{req.method} {req.target}"
        resp = tx.response
        req_end_ns = tx.request_end.last_ts_ns if tx.request_end is not None else (req.head_ts_ns or req.first_ts_ns)
        t["send"] = (req.first_ts_ns, req_end_ns)
        if resp is None:
            why = tx.reason or "capture ended"
            if why == "capture ended" and not any(s.direction != cdir for s in conn.segments):
                why = "one sided"       # nothing from the server on the connection: the capture saw one side
            self._add((frames[-1] if frames else req.first_frame) + 0.5, req_end_ns, (), "http", "http.no_response",
                      problem=True, method=req.method, uri=req.target, why=why, server=conn.server)
            return
        rend = tx.response_end
        size = rend.body_length if rend is not None else 0
        decoded = rend.decoded_length if rend is not None else None
        last_ns = rend.last_ts_ns if rend is not None else (resp.head_ts_ns or resp.first_ts_ns)
        # over TLS the response's first byte came with the first segment of the record that holds it
        first_frame, first_ts = (resp.first_frame, resp.first_ts_ns) if conn.tls is None else \
            self._record_start(conn, 1 - cdir, False, resp.first_frame, resp.first_ts_ns)
        t["wait"] = (req_end_ns, first_ts)
        t["receive"] = (first_ts, last_ns)
        codings = resp.headers.get("content-encoding")
        encoded = bool(codings and decoded is not None and decoded != size)
        ttfb = _ms(max(first_ts - req_end_ns, 0))
        transfer = _ms(last_ns - first_ts)
        ws = tx.websocket       # (a 101's only: the session that followed it)
        if resp.status == 304:
            kind = "http.response.not_modified"
        elif 300 <= resp.status < 400 and resp.headers.get("location"):
            kind = "http.response.redirect"
        elif resp.status >= 400:
            kind = "http.response.error"
        elif ws is not None:
            kind = "http.switch.websocket"
        else:
            kind = "http.response"
        resp_last = rend.last_frame if rend is not None else resp.first_frame
        owned = self._carrying(conn, tx.index, 1 - cdir, (first_frame, resp_last))
        if tx.interim:      # 100 Continue, 103 Early Hints: told on their own, not part of the answer
            interim = self._interim_steps(conn, tx, frames)
            owned = tuple(f for f in owned if f not in interim)
        if ws is not None:      # the bytes after the 101 are the WebSocket's (told by _websocket_steps)
            owned = tuple(f for f in owned if f <= resp_last)
        rframes = _with_ends(owned, first_frame, resp_last)
        segs = self._by_frame(conn)
        past = segs.get(rframes[-1]) if rframes and not tx.complete else None
        if past is not None and past.ts_ns > last_ns:
            # an incomplete response's segments after a hole (its last contiguous byte came before them): the step
            # cites them, so its transfer runs to the last of them
            resp_last, last_ns = past.frame, past.ts_ns
            transfer = _ms(last_ns - first_ts)
            t["receive"] = (first_ts, last_ns)
        # the transfer runs from the first byte (its first frame) to the last (the frame that completed it)
        ends = tuple(f for f in dict.fromkeys((first_frame, resp_last)) if f in rframes) or rframes[:1]
        self.resp_frames[id(u)] = (ends, set(owned or (first_frame,)))
        # segments of the response that came before its first byte (the first segment lost and resent): they
        # waited for it in the receiver's buffer; the transfer time then runs from the earliest of them
        early = [segs[f] for f in owned if f in segs and segs[f].ts_ns < first_ts]
        if early:
            transfer = _ms(last_ns - early[0].ts_ns)
        rtt_ms, rtt_data = self._rtt(conn)
        told = self._incomplete_bytes(conn, resp, 1 - cdir) if not tx.complete and tx.reason and conn.tls is None \
            else None
        # its body as reassembled stops at a hole never filled; more of it passed the capture point after that
        beyond = told[1]["received"] if told is not None and told[1]["holes"] and told[1]["received"] > size else None
        head_only = told is not None and told[0] == "http.incomplete.head"
        self._add(first_frame, first_ts, rframes, "http", kind, status=resp.status, reason=resp.reason,
                  version=resp.version, content_type=resp.headers.get("content-type") or "",
                  size=size, decoded_size=decoded, codings=(codings or "").strip(), encoded=encoded, ttfb_ms=ttfb,
                  transfer_ms=transfer, location=resp.headers.get("location") or "", uri=req.target,
                  stream=conn.stream, complete=tx.complete, why=tx.reason, segments=len(rframes),
                  early_ms=_ms(first_ts - early[0].ts_ns) if early else None,
                  early_frames=[x.frame for x in early], first_frame=first_frame, received=beyond, head_only=head_only,
                  problem=not tx.complete and tx.reason not in (None, "capture ended"))
        self.notes.setdefault(resp.first_frame, f"HTTP {resp.status} {resp.reason}")
        if ws is not None:
            self._websocket_steps(conn, ws)
        if not tx.complete and tx.reason:
            end = getattr(tx, "response_end", None)
            # told after the response's last segment (a hole leaves segments after its last contiguous byte): at
            # that segment's time, so that the steps stay in time order
            at = segs.get(rframes[-1])
            if told is not None:
                kind_, facts_ = told
                self._add(rframes[-1] + 0.5, max(last_ns, at.ts_ns) if at is not None else last_ns,
                          facts_.pop("cite"), "http", kind_, problem=True, why=tx.reason, uri=req.target, **facts_)
            else:
                self._add(rframes[-1] + 0.5, max(last_ns, at.ts_ns) if at is not None else last_ns, (), "http",
                          "http.incomplete", problem=True, why=tx.reason,
                          uri=req.target, lost=getattr(end, "lost_length", 0) or 0)
        self._wait_explained(u, conn, tx, cdir, req_end_ns, resp, ttfb, rtt_ms, rtt_data is not None)
        answer = [s for s in self._owned(conn, tx.index) if s.length and s.direction == 1 - cdir
                  and s.frame not in conn.copies]      # the response's segments: both checks read them
        self._stalls(conn, tx.index, 1 - cdir, rtt_ms, answer)
        self._stalls(conn, tx.index, cdir, rtt_ms)
        self._tail_lost(conn, 1 - cdir, rtt_ms, answer)

    def _incomplete_bytes(self, conn: ConnFacts, resp: Any, d: int) -> tuple[str, dict[str, Any]] | None:
        """What an incomplete response's body was in TCP terms (F21), from the segments of direction ``d`` in this
        file: the body announced (Content-Length, when there is one), the bytes of it that passed the capture point
        up to the last one seen, the holes before that, the bytes never seen after it, and how the connection ended
        (a RST or FIN: who, its frame, how long after the last data; else the connection's last frame when the
        capture ran on for more than a second after it, or the capture's end). When none of the body's bytes is in
        the file, the head's last segment is where its data ends (``http.incomplete.head``). None when the segments
        tell nothing (not even the head's end in the file)."""
        if not resp.headers_complete:
            return None
        lo = resp.offset + resp.head_length + 1       # the body's first relative seq (offset 0: the byte after SYN)
        chunked = "chunked" in (resp.headers.get("transfer-encoding") or "").lower()
        expected = None if chunked else content_length(resp.headers)[0]     # the parser's rule (RFC 9112 6.3)
        hi = lo + expected if expected is not None else None
        nxt = [m.start + 1 for m in conn.messages if m.direction == d and m.start + 1 > lo]
        if nxt:
            hi = min(nxt) if hi is None else min(hi, min(nxt))
        spans: list[tuple[int, int, int, int]] = []        # (start, end, frame, ts) of the body's bytes seen
        for sg in conn.segments:
            if sg.direction != d or not sg.length:
                continue
            a, b = max(sg.rel_seq, lo), sg.rel_seq + sg.length
            if hi is not None:
                b = min(b, hi)
            if a < b:
                spans.append((a, b, sg.frame, sg.ts_ns))
        kind = "http.incomplete.bytes"
        if not spans:
            # only the head passed the capture point: its last segment is where this side's data ends
            head = [(lo, lo, sg.frame, sg.ts_ns) for sg in conn.segments
                    if sg.direction == d and sg.length and sg.rel_seq < lo <= sg.rel_seq + sg.length]
            if not head:
                return None
            spans, kind = head[:1], "http.incomplete.head"
        spans.sort()
        got, holes, reach, cur = 0, [], lo, lo
        last = max(spans, key=lambda x: (x[1], -x[2]))     # the segment that reached furthest (its first copy)
        for a, b, _f, _t in spans:
            if a > cur:
                holes.append((cur, a))
            if b > cur:
                got += b - max(a, cur)
                cur = b
        reach = cur
        facts: dict[str, Any] = {
            "received": got, "holes": sum(b - a for a, b in holes), "hole_count": len(holes), "last_seq": reach,
            "last_frame": last[2], "body_start": lo, "expected": expected,
            "unseen": (lo + expected - reach) if expected is not None else 0}
        cite: tuple[int, ...] = (last[2],)
        if holes:
            # the holes' bytes the receiver acknowledged (its highest ACK in the file): they reached it, and the
            # capture point missed them (F47)
            acks = [(sg.rel_ack, sg.frame) for sg in conn.segments if sg.direction != d and sg.flags & ACK]
            top = max((k for k, _f in acks), default=0)
            acked = [(a, min(b, top)) for a, b in holes if top > a]
            if acked:
                # the first ACK that covers them all: its frame and value
                frame, upto = min((f, k) for k, f in acks if k >= acked[-1][1])
                facts.update(holes_acked=sum(b - a for a, b in acked), acked_to=upto, acked_frame=frame,
                             acker="client" if d == 1 else "server")
                cite += (frame,)
        last_data = max(t for _a, _b, _f, t in spans)
        ends = [s for s in conn.segments if s.flags & (RST | FIN) and s.ts_ns >= last_data]
        if ends:
            e = ends[0]
            facts.update(ender="client" if e.direction == 0 else "server", end_frame=e.frame,
                         end_ms=_ms(e.ts_ns - last_data), end_how="rst" if e.flags & RST else "fin")
            cite += (e.frame,)
            how = "reset" if e.flags & RST else "closed"
        elif self.capture_end_ns and self.capture_end_ns - conn.last_ts_ns > QUIET_NS:
            # the capture ran on without another frame of this connection (a file of several captures joined,
            # or the response stalled): its last frame, not the capture's end, is where what was seen of it ends
            quiet = max((s for s in conn.segments if s.ts_ns >= last_data), key=lambda s: s.frame)
            facts.update(quiet_frame=quiet.frame, end_ms=_ms(quiet.ts_ns - last_data),
                         more_ms=_ms(self.capture_end_ns - quiet.ts_ns))
            cite += (quiet.frame,) if quiet.frame != last[2] else ()
            how = "quiet"
        else:
            facts.update(end_ms=_ms((self.capture_end_ns or last_data) - last_data))
            how = "capture"
        facts.update(cite=tuple(sorted(set(cite))), how=how)
        return kind, facts

    def _websocket_steps(self, conn: ConnFacts, ws: WebSocketSession) -> None:
        """The WebSocket session that followed a 101 (analyzer.apps.websocket): what each side sent and the
        pings, where a side's bytes broke the framing or went missing, and how the session was closed."""
        ends = self._ends(conn)
        kept = ws.frames
        for f in kept:
            name = OPCODE_NAMES[f.opcode]
            self.notes[f.first_frame] = f"WebSocket {name}" + ("" if f.fin or f.opcode >= 8 else " (fragment)")
        sides = ws.sides
        if sides[0].frames or sides[1].frames:
            shown = [f for f in kept if f.opcode != CLOSE]
            cite = tuple(sorted({n for f in shown for n in (f.first_frame, f.last_frame)})) or (ws.start_frame,)
            first = min(shown, key=lambda f: f.first_frame) if shown else None
            last_ns = max((f.last_ts_ns for f in shown), default=ws.start_ts_ns)
            facts: dict[str, Any] = {}
            for tag, side in zip("cs", sides, strict=True):
                facts.update({f"{tag}_messages": side.messages, f"{tag}_frames": side.data_frames,
                              f"{tag}_bytes": side.payload_bytes, f"{tag}_pings": side.pings,
                              f"{tag}_pongs": side.pongs, f"{tag}_masked": side.masked, f"{tag}_all": side.frames})
            facts["unmasked"] = sides[0].frames - sides[0].masked
            facts["span_ms"] = _ms(last_ns - first.first_ts_ns) if first is not None else 0.0
            facts["kept"] = len(kept) if sides[0].frames + sides[1].frames > len(kept) else None
            self._add(cite[0] - 0.05, first.first_ts_ns if first is not None else ws.start_ts_ns, cite, "http",
                      "websocket.session", **facts, **ends)
        for n, side in enumerate(sides):
            if side.error in (None, "closed"):
                continue
            where = side.error_frame if side.error_frame is not None else (ws.end_frame or ws.start_frame)
            self._add(where + 0.05, ws.end_ts_ns or ws.start_ts_ns, (where,), "http", "websocket.error", problem=True,
                      who="client" if n == 0 else "server", error=side.error, value=side.error_value,
                      lost=side.lost, **ends)
        closes = ws.closes
        for i, c in enumerate(closes[:2]):
            self.notes[c.frame] = f"WebSocket Close {c.code}" if c.code is not None else "WebSocket Close"
            self._add(c.frame, c.ts_ns, (c.frame,), "http", "websocket.close.answer" if i else "websocket.close",
                      who="client" if c.direction == 0 else "server", code=c.code, reason=c.reason,
                      wait_ms=_ms(c.ts_ns - closes[0].ts_ns) if i else None, problem=c.code not in (None, 1000, 1001),
                      **ends)
        if not closes and ws.end_frame is not None:
            self._add(ws.end_frame + 0.05, ws.end_ts_ns, (ws.end_frame,), "http", "websocket.close.none", **ends)

    def _expect_wait(self, conn: ConnFacts, tx: Any, request_frames: tuple[int, ...], body: int) -> None:
        """A request head sent with ``Expect: 100-continue`` whose body left only after a long wait with no
        100 Continue before it: the client waited for the server's go-ahead until its own timer ran out."""
        req = tx.request
        if not body or not _expects_continue(req):
            return
        head_last = req.head_frame or req.first_frame
        first = self._sent_after(conn, request_frames, head_last)
        if first is None or any(im.first_frame < first.frame for im in tx.interim):
            return
        head_ns = req.head_ts_ns or req.first_ts_ns
        waited = _ms(first.ts_ns - head_ns)
        rtt_ms, _data = self._rtt(conn)
        if waited < EXPECT_WAIT_MS or (rtt_ms is not None and waited < 10 * rtt_ms):
            return
        self._add(first.frame - 0.5, first.ts_ns, (head_last, first.frame), "http", "http.request.expect_wait",
                  problem=True, waited_ms=waited, head_frame=head_last, body_frame=first.frame, body=body,
                  stream=conn.stream)

    def _interim_steps(self, conn: ConnFacts, tx: Any, request_frames: tuple[int, ...]) -> set[int]:
        """A step for each interim (1xx) response of a transaction; the frames that carried them. After a
        100 Continue that the request's ``Expect: 100-continue`` asked for, the step says when the body the
        client held back left (its first frame after the interim answer)."""
        req = tx.request
        head_ns = req.head_ts_ns or req.first_ts_ns
        expect = _expects_continue(req)
        body = tx.request_end.body_length if tx.request_end is not None else 0
        carried: set[int] = set()
        for im in tx.interim:
            last = im.head_frame or im.first_frame
            frames = tuple(dict.fromkeys((im.first_frame, last)))
            carried.update(frames)
            facts: dict[str, Any] = {"status": im.status, "reason": im.reason, "stream": conn.stream,
                                     "wait_ms": _ms(max(im.first_ts_ns - head_ns, 0))}
            kind = "http.response.interim"
            if im.status == 100 and expect and body:
                nxt = self._sent_after(conn, request_frames, last)
                if nxt is not None:
                    kind = "http.response.interim.continue"
                    facts.update(body=body, body_frame=nxt.frame, body_ms=_ms(max(nxt.ts_ns - im.first_ts_ns, 0)))
                    frames += (nxt.frame,)
            elif im.status == 103:
                kind = "http.response.interim.hints"
                facts["links"] = len(im.headers.get_all("link"))
            self._add(im.first_frame, im.first_ts_ns, frames, "http", kind, **facts)
            self.notes.setdefault(im.first_frame, f"HTTP {im.status} {im.reason}")
        return carried

    def _sent_after(self, conn: ConnFacts, request_frames: tuple[int, ...], frame: int) -> Segment | None:
        """The first segment of a request sent after ``frame`` (the body after its head, or after an interim
        answer)."""
        segs = self._by_frame(conn)
        return next((segs[f] for f in request_frames if f > frame and f in segs), None)

    def _message_ends(self, conn: ConnFacts) -> dict[tuple[int, int], int]:
        """(transaction index, direction) -> the stream offset where that HTTP message ends (its first one)."""
        key = (conn.stream, conn.epoch)
        got = self._ends_of.get(key)
        if got is None:
            got = self._ends_of[key] = {}
            for m in conn.messages:
                got.setdefault((m.index, m.direction), m.end)
        return got

    def _tls_done_frame(self, stream: int) -> int | None:
        """The frame that completed connection ``stream``'s TLS handshake (None: not done, no TLS)."""
        conn = next((c for c in self.conns if c.stream == stream and c.tls is not None), None)
        done = tls_done(conn.tls, conn.client_port) if conn is not None else None
        return done[0] if done else None

    def _record_start(self, conn: ConnFacts, direction: int, client: bool, frame: int, ts_ns: int
                      ) -> tuple[int, int]:
        """The frame (and time) that brought the first byte of the TLS record completed in ``frame`` (the last
        such record when several end there), from its length: a record bigger than a segment spans several,
        and the bytes it holds began to arrive with the first. Taking the record as ending with the frame's
        payload (or, when the frame filled a hole, with the highest byte seen by then) errs late, never early. ``frame`` itself when the record is not known (past the records kept)."""
        key = (conn.stream, conn.epoch)
        ends = self._record_ends.get(key)
        if ends is None:
            tls = conn.tls
            ends = self._record_ends[key] = {}
            for r in tls.app_data:          # (in frame order: the last record ending in a frame stays)
                ends[(r.direction == tls.client_dir, r.frame)] = r.length
        length = ends.get((client, frame))      # (``direction``: the segments' numbering of the same side)
        last = self._by_frame(conn).get(frame)
        if length is None or last is None or not last.length:
            return frame, ts_ns
        # the first segment (in frame order, before ``frame``) of the side's first copies whose bytes hold
        # ``start``: none before the first whose running highest end passes it (a bisection, not a walk from the
        # connection's start for every response: a long keep-alive connection would make that quadratic)
        index = self._data_index.get((conn.stream, conn.epoch, direction))
        if index is None:
            segs = [x for x in conn.segments if x.direction == direction and x.length and x.frame not in conn.copies]
            high, highs = 0, []
            for x in segs:
                high = max(high, x.rel_seq + x.length)
                highs.append(high)
            index = self._data_index[(conn.stream, conn.epoch, direction)] = (segs, [x.frame for x in segs], highs)
        segs, frames, highs = index
        # where the record ends: at the frame's payload's end, or further when the frame filled a hole (a
        # retransmission): the bytes held after the hole, up to the highest seen, were handed on with it, and
        # the record may end among them. The highest byte seen by then errs late, never early.
        at = bisect_right(frames, frame) - 1
        end = max(last.rel_seq + last.length, highs[at] if at >= 0 else 0)
        start = end - (length + 5)      # the record's first byte (its 5-byte header)
        if last.rel_seq <= start < last.rel_seq + last.length:
            return frame, ts_ns
        for i in range(bisect_right(highs, start), bisect_left(frames, frame)):
            x = segs[i]
            if x.rel_seq <= start < x.rel_seq + x.length:
                return x.frame, x.ts_ns
        return frame, ts_ns

    def _seq_index(self, conn: ConnFacts, direction: int) -> tuple[list[int], list[int], list[Segment], list[int]]:
        """One side's data segments (copies too) in frame order: their frames and the running highest end of
        the bytes seen (from relative seq 1), and the segments among them that began below that end before
        them (resent or out of order: the only ones that can bring bytes of a hole after it), with their
        frames. Built once per connection and side: a loss asks by bisection, not by a walk from the
        connection's start, which a long lossy connection made quadratic."""
        key = (conn.stream, conn.epoch, direction)
        index = self._seq_indexes.get(key)
        if index is None:
            frames: list[int] = []
            highs: list[int] = []
            back: list[Segment] = []
            high = 1
            for x in conn.segments:
                if x.direction == direction and x.length:
                    if x.rel_seq < high:
                        back.append(x)
                    high = max(high, x.rel_seq + x.length)
                    frames.append(x.frame)
                    highs.append(high)
            index = self._seq_indexes[key] = (frames, highs, back, [x.frame for x in back])
        return index

    def _missing_from(self, conn: ConnFacts, gap: Segment) -> int:
        """The next relative sequence number after the highest data seen before a segment in its direction: the
        first missing byte before a segment that follows a hole; the first new byte of a retransmission."""
        frames, highs, _back, _back_frames = self._seq_index(conn, gap.direction)
        i = bisect_left(frames, gap.frame)
        return highs[i - 1] if i else 1

    def _late_fill(self, conn: ConnFacts, gap: Segment, missing_from: int) -> dict[str, Any]:
        """The later segments of the whole connection (after the episode of ``gap``) that carry bytes of its hole
        [missing_from, gap's seq): their frames (the first few), how many of the missing bytes they bring, when
        the first came. Empty when none does: then the capture holds none of the missing bytes."""
        if gap.length:
            # every later segment of the side begins at or above gap's end, unless it is one of ``back``
            _frames, _highs, back, back_frames = self._seq_index(conn, gap.direction)
            later: Any = back[bisect_right(back_frames, gap.frame):]
        else:
            segs = conn.segments
            later = segs[bisect_right(segs, gap.frame, key=lambda x: x.frame):]
        got = [x for x in later if x.frame > gap.frame and x.direction == gap.direction and x.length
               and x.frame not in conn.copies and x.rel_seq < gap.rel_seq and x.rel_seq + x.length > missing_from]
        if not got:
            return {}
        cover = _Intervals()
        filled = sum(b - a for x in got for a, b in cover.add(max(x.rel_seq, missing_from),
                                                              min(x.rel_seq + x.length, gap.rel_seq)))
        return {"late_frames": [x.frame for x in got[:50]], "late_count": len(got),
                "late_bytes": filled, "late_ms": _ms(got[0].ts_ns - gap.ts_ns),
                "never_bytes": gap.rel_seq - missing_from - filled}

    def _by_frame(self, conn: ConnFacts) -> dict[int, Segment]:
        key = (conn.stream, conn.epoch)
        got = self._frames.get(key)
        if got is None:
            got = self._frames[key] = {sg.frame: sg for sg in conn.segments}
        return got

    def _unrequested_steps(self, u: Unit) -> None:
        """Responses on ``u``'s connection that answer no request the analyzer read, told after ``u``'s: with
        the client's bytes before each that were no HTTP request, when there are such."""
        conn = u.conn
        for rec in self.unrequested.get((conn.stream, conn.epoch, u.record.transaction.index), ()):
            tx = rec.transaction
            resp, rend = tx.response, tx.response_end
            cdir = 0 if (rec.client[0], rec.client[1]) == (conn.client, conn.client_port) else 1
            last = rend.last_frame if rend is not None else resp.first_frame
            rframes = _with_ends(self._carrying(conn, tx.index, 1 - cdir, (resp.first_frame, last)),
                                 resp.first_frame, last)
            # the client's data just before it that lies outside every HTTP message it sent
            spans = [(m.start, m.end) for m in conn.messages if m.direction == cdir]
            stray = []
            for sg in reversed(conn.segments):
                if sg.frame >= resp.first_frame or not sg.length or sg.direction != cdir:
                    continue
                if any(a <= sg.rel_seq - 1 < b for a, b in spans):
                    break
                stray.append(sg)
            stray.reverse()
            frames = tuple(sorted({*(x.frame for x in stray), *rframes}))
            self._add(resp.first_frame, resp.first_ts_ns, frames, "http", "http.response.unrequested",
                      problem=resp.status >= 400, status=resp.status, reason=resp.reason,
                      content_type=resp.headers.get("content-type") or "", size=rend.body_length if rend else 0,
                      stray=sum(x.length for x in stray), stray_frames=[x.frame for x in stray],
                      midstream=not conn.syns and not any(r.transaction.request for r in conn.records
                                                           if r.transaction.index < tx.index),
                      stream=conn.stream)
            self.notes.setdefault(resp.first_frame, f"HTTP {resp.status} {resp.reason}")

    def _rtt(self, conn: ConnFacts) -> tuple[float | None, dict[str, Any] | None]:
        """The connection's round trip in ms, and the data samples it came from when the iRTT is ambiguous:
        after a retransmitted SYN or SYN-ACK (Karn's rule) the round trip measured on the data is used when it is
        less than half the iRTT and at least KARN_MIN_MS shorter; else the iRTT."""
        key = (conn.stream, conn.epoch)
        if key not in self._rtts:
            irtt = conn.summary.get("irtt")
            rtt: tuple[float | None, dict[str, Any] | None] = (float(irtt) * 1000 if irtt else None, None)
            if rtt[0] is not None and _reordered(conn):
                # the SYN-ACK stamped before its SYN: the iRTT (SYN -> ACK) is no round trip at all
                data = data_rtt(conn)
                rtt = (data["rtt_ms"], data) if data is not None else (None, None)
            elif rtt[0] is not None and (len(conn.syns) > 1 or len(conn.synacks) > 1):
                data = data_rtt(conn)
                if data is not None and data["rtt_ms"] * 2 < rtt[0] and rtt[0] - data["rtt_ms"] >= KARN_MIN_MS:
                    rtt = (data["rtt_ms"], data)
            self._rtts[key] = rtt
        return self._rtts[key]

    def _wait_explained(self, u: Unit, conn: ConnFacts, tx: Any, cdir: int, req_end_ns: int, resp: Any,
                        ttfb: float, rtt_ms: float | None, on_data: bool = False) -> None:
        """A time to first byte much longer than the round trip: where did it go?"""
        if rtt_ms is None or ttfb < 10 * rtt_ms:
            return
        think = ttfb - rtt_ms
        between = [s for s in conn.segments if req_end_ns < s.ts_ns < resp.first_ts_ns and s.direction != cdir]
        if ttfb < 20.0:
            # too short for a step, but most of the fetch's time when the network is fast (a LAN, the loopback):
            # "where the time went" names it when nothing but the server's ACK came between request and answer
            if not any(s.length for s in between) and not any(
                    s.analysis & RESENT for s in conn.segments if req_end_ns < s.ts_ns <= resp.first_ts_ns):
                self.quiet_waits.append((ttfb, rtt_ms, resp.first_frame, tx.request.target if tx.request else ""))
            return
        sent = [s for s in between if s.length]
        if sent:
            # the server had sent something else (a TLS 1.3 session ticket...) and the response left right after
            # the client's ACK of it: held by Nagle, not thinking (the stall step explains it)
            acks = [s for s in conn.segments if s.direction == cdir and not s.length and s.flags & ACK
                    and sent[-1].ts_ns < s.ts_ns <= resp.first_ts_ns]
            if acks and resp.first_ts_ns - acks[-1].ts_ns <= max(1_000_000, 2 * rtt_ms * 1_000_000):
                return
        # the client sent its request again before the answer came: the wait went by in retransmission timers
        # (the retransmission step tells the resend), not in the server's thinking. Whether the request's first
        # copy or the server's first answer was lost, the segments' timestamps tell (the answer's TSecr: _which_copy);
        # without them both are said
        resend = next((s for s in conn.segments if s.direction == cdir and s.length and s.analysis & RESENT
                       and req_end_ns < s.ts_ns < resp.first_ts_ns), None)
        if resend is not None:
            kind, which = self._which_copy(conn, cdir, resend, req_end_ns, resp)
            self._add(resp.first_frame + 0.2, resp.first_ts_ns,
                      tuple(sorted({resend.frame, resp.first_frame, which.get("copy_frame") or resend.frame})), "http",
                      kind, problem=True, ttfb_ms=ttfb, rtt_ms=rtt_ms, resend_frame=resend.frame,
                      waited_ms=_ms(resend.ts_ns - req_end_ns), answer_ms=_ms(resp.first_ts_ns - resend.ts_ns),
                      on_data=on_data, stream=conn.stream, **which)
            return
        acked = next((s for s in between if not s.length and s.flags & ACK), None)
        resent = any(s.analysis & RESENT for s in conn.segments if s.frame == resp.first_frame)
        if acked is None and not resent and _timer_like(ttfb, rtt_ms):
            self._add(resp.first_frame + 0.2, resp.first_ts_ns, (resp.first_frame,), "http", "http.wait.lost",
                      problem=True, ttfb_ms=ttfb, rtt_ms=rtt_ms, rto_ms=MIN_RTO_MS, on_data=on_data,
                      stream=conn.stream)
            return
        self._add(resp.first_frame + 0.2, resp.first_ts_ns, (resp.first_frame,), "http",
                  "http.wait.server" if acked is not None else "http.wait.server_noack", ttfb_ms=ttfb, rtt_ms=rtt_ms,
                  think_ms=think, ack_frame=acked.frame if acked else None,
                  ack_ms=_ms(acked.ts_ns - req_end_ns) if acked else None, on_data=on_data, stream=conn.stream)

    def _which_copy(self, conn: ConnFacts, cdir: int, resend: Segment, req_end_ns: int, resp: Any
                    ) -> tuple[str, dict[str, Any]]:
        """Which copy of a resent request the server answered, by the TCP timestamps (RFC 7323 4.3: a receiver
        echoes in TSecr the TSval of the segment that last advanced its window; the collector keeps them for the
        resent segments and the answer after them): the answer's TSecr is a resend's TSval (that copy reached the
        server, the ones before it were lost: http.wait.resent.request_lost), or older than every resend's (an
        earlier copy, the first, had reached it: the answer or its ACK was lost, http.wait.resent.answer_lost).
        Without timestamps, or when the echo is neither, http.wait.resent (both causes)."""
        stamps = {f: (v, e) for f, v, e in conn.stamps} if conn.stamps else {}
        answer = stamps.get(resp.first_frame)
        first = _first_copy(conn, resend)
        if answer is None or first is None:
            return "http.wait.resent", {}
        copies = [s for s in conn.segments if s.direction == cdir and s.length and s.analysis & RESENT
                  and s.rel_seq == resend.rel_seq and req_end_ns < s.ts_ns < resp.first_ts_ns
                  and s.frame not in conn.copies]
        if not copies or any(c.frame not in stamps for c in copies):
            return "http.wait.resent", {}
        echo = answer[1]
        hit = next((c for c in copies if stamps[c.frame][0] == echo), None)
        if hit is not None:
            lost = [first.frame] + [c.frame for c in copies if c.frame < hit.frame]
            kind = "http.wait.resent.request_lost" if len(lost) == 1 else "http.wait.resent.request_lost.again"
            which = {"tsecr": echo, "copy_frame": hit.frame, "first_frame": first.frame, "lost_frames": lost}
            # the answer came a retransmission timeout or more after the copy the server had, and nothing at all
            # came from the server in between: a server that thinks long acknowledges the request after its
            # delayed-ACK timer (about 40 ms), and a receiver acknowledges at once a copy of bytes it already has
            # (RFC 9293 3.10.7.4: when the client sent yet another copy); none came, so what it sent in that
            # time (its answer, its ACKs) was lost before the capture point, and this answer is its retransmission
            later = [c for c in copies if c.frame > hit.frame]
            had = _ms(resp.first_ts_ns - hit.ts_ns)
            if had > MIN_RTO_MS and not any(
                    s.direction != cdir and hit.ts_ns < s.ts_ns < resp.first_ts_ns for s in conn.segments):
                last = later[-1] if later else hit
                kind += ".answer_lost" if later else ".answer_lost.quiet"
                which.update(later_frames=[c.frame for c in later], had_ms=had,
                             after_ms=_ms(resp.first_ts_ns - last.ts_ns), last_frame=last.frame)
            return kind, which
        tsval = stamps[copies[0].frame][0]
        if 0 < (tsval - echo) & 0xFFFFFFFF < 0x80000000:
            return "http.wait.resent.answer_lost", {"tsecr": echo, "tsval": tsval, "first_frame": first.frame}
        return "http.wait.resent", {}

    def _stalls(self, conn: ConnFacts, index: int, direction: int, rtt_ms: float | None,
                data: list[Segment] | None = None) -> None:
        """Nagle's algorithm waiting for a delayed ACK: a small segment of a message held until the
        receiver's ACK of the previous one, which came only after its delayed-ACK timer. ``data``: the
        segments to look at (default: transaction ``index``'s in ``direction``)."""
        if data is None:
            data = [s for s in self._owned(conn, index) if s.length and s.direction == direction
                    and s.frame not in conn.copies]
        if len(data) < 2:
            return
        mss = (conn.summary.get("handshake") or {}).get("mss") or 1460
        rtt = rtt_ms if rtt_ms is not None else 0.0
        for a, b in itertools.pairwise(data):
            if b.frame in self.problem_frames:
                continue        # (told already)
            gap = _ms(b.ts_ns - a.ts_ns)
            if gap < DELAYED_ACK_MS[0] or gap < 10 * rtt or a.length >= mss:
                continue
            # the receiver's ACK of the first segment, seen before the second one (an ACK of both, captured
            # right after the second at the same instant, held nothing back)
            ack = next((s for s in conn.segments if a.ts_ns < s.ts_ns <= b.ts_ns and s.frame < b.frame
                        and s.direction != direction and s.flags & ACK and not s.length
                        and a.rel_seq + a.length <= s.rel_ack < b.rel_seq + b.length), None)
            if ack is None:
                continue
            held = _ms(b.ts_ns - ack.ts_ns)
            if held > max(2 * rtt, 1.0):
                continue
            delay = _ms(ack.ts_ns - a.ts_ns)
            if not DELAYED_ACK_MS[0] <= delay <= DELAYED_ACK_MS[1]:
                continue
            self._add(b.frame - 0.1, b.ts_ns, (a.frame, ack.frame, b.frame), "tcp", "tcp.stall.nagle", problem=True,
                      first=a.frame, first_len=a.length, ack_frame=ack.frame, ack_ms=delay, second=b.frame,
                      gap_ms=gap, sender="client" if direction == 0 else "server",
                      receiver="server" if direction == 0 else "client", mss=mss, stream=conn.stream)
            self.notes[b.frame] = self._note("note.nagle")
            self.problem_frames.add(b.frame)

    def _server_hello_lost(self, conn: ConnFacts, ch: Any, sh: Any, wait_ms: float, base: dict[str, Any]) -> None:
        """A ServerHello a retransmission timeout after the ClientHello, with no copy of the ClientHello sent in
        between: a TLS server answers in about a millisecond, so its first flight was most likely lost before the
        capture point and this is the copy its timer sent again (as ``http.wait.lost`` for an HTTP answer). The
        server's ACK of the ClientHello, when it came at once, shows it had the ClientHello all along."""
        rtt_ms = self._rtt(conn)[0]
        if rtt_ms is None or not (_timer_like(wait_ms, rtt_ms) and wait_ms >= 10 * rtt_ms):
            return
        between = [s for s in conn.segments if ch.ts_ns < s.ts_ns < sh.ts_ns]
        if any(s.length and (s.analysis & TROUBLE) for s in between):
            return      # resent bytes in between: the retransmission steps tell that wait
        seg = self._by_frame(conn).get(sh.frame)
        if seg is None or seg.analysis & TROUBLE:
            return
        ack = next((s for s in between if s.direction == seg.direction and not s.length and s.flags & ACK), None)
        self._add(sh.frame + 0.05, sh.ts_ns, (ch.frame,) + ((ack.frame,) if ack else ()) + (sh.frame,), "tls",
                  "tls.server_hello.lost.ack" if ack is not None else "tls.server_hello.lost", problem=True,
                  wait_ms=wait_ms, rtt_ms=rtt_ms, rto_ms=MIN_RTO_MS, hello_frame=ch.frame,
                  ack_frame=ack.frame if ack else None, ack_ms=_ms(ack.ts_ns - ch.ts_ns) if ack else None,
                  lost_ms=max(wait_ms - rtt_ms, 0.0), **base)

    def _tail_lost(self, conn: ConnFacts, direction: int, rtt_ms: float | None, data: list[Segment]) -> None:
        """A tail loss the capture point cannot see: a segment of a message's ``data`` (its segments in
        ``direction`` that carry bytes, copies the capture made left out) sent a retransmission timeout after
        the one before it, although the receiver had acknowledged everything before it about that long
        before, and nothing in the capture is flagged.
        When the last segment of a flight is lost before the capture point, no later segment reaches the
        receiver, so no duplicate ACK and no hole show the loss; the sender's timer (Linux: at least 200 ms,
        MIN_RTO_MS) sends it again, and that copy is the only one captured. The same pause could be the
        sender's application writing late; the step says so. Only with a round trip known, and far shorter."""
        if rtt_ms is None:
            return
        for a, b in itertools.pairwise(data):
            if b.frame in self.problem_frames or b.analysis & TROUBLE or b.rel_seq != a.rel_seq + a.length:
                continue
            gap = _ms(b.ts_ns - a.ts_ns)
            if not (_timer_like(gap, rtt_ms) and gap >= 10 * rtt_ms):
                continue
            # the receiver's ACK of everything sent before b, long before b: no window, Nagle or congestion
            # window held b back (each is released by an ACK, and b left a timer's length after it)
            ack = next((s for s in conn.segments if a.ts_ns <= s.ts_ns < b.ts_ns and s.direction != direction
                        and s.flags & ACK and s.rel_ack >= a.rel_seq + a.length), None)
            if ack is None or _ms(b.ts_ns - ack.ts_ns) < 0.8 * MIN_RTO_MS:
                continue
            self._add(b.frame - 0.1, b.ts_ns, (a.frame, ack.frame, b.frame), "tcp", "tcp.loss.tail", problem=True,
                      first=a.frame, ack_frame=ack.frame, frame=b.frame, size=b.length, rel_seq=b.rel_seq,
                      gap_ms=gap, waited_ms=_ms(b.ts_ns - ack.ts_ns), rtt_ms=rtt_ms, rto_ms=MIN_RTO_MS,
                      sender="client" if direction == 0 else "server",
                      receiver="server" if direction == 0 else "client", stream=conn.stream)
            self.notes[b.frame] = self._note("note.tail")
            self.problem_frames.add(b.frame)

    # -- request timings, connections, bytes, summary ---------------------------------------------------
    def _timing(self, u: Unit, t: dict[str, Any], start_ns: int) -> RequestTiming:
        conn = u.conn

        def rel(ns: int) -> float:
            return (ns - start_ns) / 1e9

        phases = []
        values: dict[str, float | None] = {k: None for k in ("dns", "connect", "ssl", "send", "wait", "receive")}
        begin = u.start_ns
        for name in ("dns", "connect", "ssl", "send", "wait", "receive"):
            span = t.get(name)
            if span is None or span[1] is None:
                continue
            a, b = span
            values[name] = _ms(max(b - a, 0))
            phases.append(Phase(name, rel(a), rel(max(a, b))))
            begin = min(begin, a)
        blocked = None
        if values["dns"] is not None or values["connect"] is not None:
            # the time before the unit's start that no phase covers: a phase counts for its part before the start
            # (a failed attempt's unit starts at its SYN: its connect phase comes after, not before)
            spent = sum(max(min(t[n][1], u.start_ns) - max(t[n][0], begin), 0) for n in ("dns", "connect", "ssl")
                        if values[n] is not None)
            blocked = max(_ms(u.start_ns - begin - spent), 0.0)
        rec = u.record
        if rec is None:
            error = {"refused": "refused", "unanswered": "unanswered", "reset": "reset",
                     "unreachable": "unreachable"}.get(self._outcome(conn))
            if error == "unreachable" and icmp_reason(self.syn_errors[conn.stream][-1]) == "port":
                error = "refused"       # port unreachable: the client's connect() fails as refused
            failure = tls_failure(conn.tls) if conn.tls is not None else None
            if failure is not None:     # the connection opened; its TLS handshake did not
                error = "tls"
            return RequestTiming(
                method="", uri="", url=_conn_url(conn, u.host), host=u.host, status=None, status_text="",
                request_frame=None, response_frame=None, stream=conn.stream, client=conn.client,
                client_port=conn.client_port, server=conn.server, server_port=conn.server_port, http_version="",
                response_version="", start=rel(begin), started_ns=begin, blocked=blocked, dns=values["dns"],
                connect=values["connect"], ssl=values["ssl"], send=None, wait=None, receive=None,
                phases=tuple(phases),
                content_type="", request_headers=(), response_headers=(), request_head_bytes=0,
                request_body_bytes=0, response_head_bytes=0, response_body_bytes=0, response_decoded_bytes=None,
                complete=False, reason=(failure.description or "") if failure is not None else error, error=error,
                frames=tuple(f for f, _t in conn.syns))
        tx = rec.transaction
        req, resp = tx.request, tx.response
        rend, qend = tx.response_end, tx.request_end
        body = tx.response_body
        if body.decoded is not None:
            rbody, encoded = body.decoded, False
        else:
            rbody, encoded = body.data, True
        frames = (req.first_frame, rec.request_frame or req.first_frame)
        if resp is not None:
            frames += (resp.first_frame, rec.response_frame or (rend.last_frame if rend else resp.first_frame))
        return RequestTiming(
            method=req.method, uri=req.target, url=u.url, host=u.host, status=resp.status if resp else None,
            status_text=resp.reason if resp else "", request_frame=rec.request_frame or req.first_frame,
            response_frame=(rec.response_frame or (rend.last_frame if rend else None)) if resp else None,
            stream=conn.stream, client=conn.client, client_port=conn.client_port, server=conn.server,
            server_port=conn.server_port, http_version=req.version, response_version=resp.version if resp else "",
            start=rel(begin), started_ns=begin, blocked=blocked, dns=values["dns"], connect=values["connect"],
            ssl=values["ssl"], send=values["send"], wait=values["wait"], receive=values["receive"],
            phases=tuple(phases),
            content_type=(resp.headers.get("content-type") or "") if resp else "",
            request_headers=tuple(req.headers), response_headers=tuple(resp.headers) if resp else (),
            request_head_bytes=req.head_length, request_body_bytes=qend.body_length if qend else 0,
            response_head_bytes=resp.head_length if resp else 0, response_body_bytes=rend.body_length if rend else 0,
            response_decoded_bytes=rend.decoded_length if rend else None, request_body=tx.request_body.data,
            response_body=rbody, response_body_encoded=encoded, reused_connection=not u.first_on_conn,
            document=u.document and u is next((x for x in self.plan.units if x.request), None), side=u.side,
            complete=tx.complete, reason=tx.reason, frames=frames, websocket=tx.websocket)

    def _connection(self, conn: ConnFacts) -> Connection:
        if conn in self.plan.dns_conns:
            self.owner.setdefault((conn.stream, conn.epoch), [TEARDOWN] * len(conn.segments))
        summ = conn.summary
        td = summ.get("teardown")
        resets = summ.get("resets") or []
        teardown = closed_by = reset_by = None
        if td:
            kind = td.get("kind", "")
            teardown = ("three-way" if kind.startswith("three-way") else
                        "simultaneous" if kind.startswith("simultaneous") else
                        "reset" if kind.startswith("aborted") else kind)
            closed_by = _ROLE[td.get("active_closer")]
        if resets:
            reset_by = _ROLE[resets[0]["by"]]
            if not td:
                teardown, closed_by = "reset", reset_by
        irtt = summ.get("irtt")
        connect = None
        if conn.syns and conn.handshake_ack:
            connect = _ms(conn.handshake_ack[1] - conn.syns[0][1])
        sent = received = retrans = copied = 0
        for s, _o in self._conn_segments(conn):
            if s.frame in conn.copies:
                copied += 1
            elif s.analysis & RESENT:
                retrans += 1
            elif s.direction == 0:
                sent += s.length
            else:
                received += s.length
        outcome = self._outcome(conn)
        if outcome == "established":
            outcome = "open"
        return Connection(
            stream=conn.stream, client=conn.client, client_port=conn.client_port, server=conn.server,
            server_port=conn.server_port, outcome=outcome,
            syn_frames=tuple(f for f, _t in conn.syns if f not in conn.copies),
            synack_frames=tuple(f for f, _t in conn.synacks), irtt_ms=float(irtt) * 1000 if irtt else None,
            connect_ms=connect, requests=len(self.mine.get((conn.stream, conn.epoch), ())),
            opened_by_earlier_fetch=self.history.conn_fetch.get(conn.stream) if conn.epoch > 0 else None,
            closed_by=closed_by if conn.settled else None, teardown=teardown if conn.settled else None,
            time_wait=_ROLE.get(summ.get("time_wait")) if conn.settled else None, reset_by=reset_by,
            retransmissions=retrans, copies=copied, bytes_sent=sent, bytes_received=received,
            continued=not conn.settled,
            tls=_tls_dict(conn.tls))

    def _bytes(self) -> dict[str, int]:
        """The fetch's TCP payload each way (each byte once), the payload of the segments Wireshark calls
        retransmissions (their bytes may be new to the capture: the first copy was lost before it) that were
        sent again, and that of the packets the capture saw twice (copies, not sent again); of those two, the
        client's share (``resent_sent``, ``copied_sent``: who resent is said per direction)."""
        sent = received = resent = 0
        for conn in self.conns:
            mine = self.mine.get((conn.stream, conn.epoch))
            unique, _total = payload_bytes(conn, self.owner.get((conn.stream, conn.epoch)))
            edge = self._first_use_here(conn) or self._last_use_here(conn)
            for (index, d), n in unique.items():
                if mine is None or index in mine or (index == -1 and edge):
                    if d == 0:
                        sent += n
                    else:
                        received += n
        copied = copied_sent = resent_sent = 0
        for conn in self.conns:
            for s, _o in self._conn_segments(conn):
                if s.frame in conn.copies:
                    copied += s.length
                    if s.direction == 0:
                        copied_sent += s.length
                elif s.analysis & RESENT:
                    resent += s.length
                    if s.direction == 0:
                        resent_sent += s.length
        return {"sent": sent, "received": received, "resent": resent, "copied": copied, "resent_sent": resent_sent,
                "copied_sent": copied_sent}

    def _lookup(self, lk: DnsLookup) -> Lookup:
        rtt = _ms(lk.response_ts_ns - lk.query_ts_ns) if lk.response_ts_ns is not None else None
        return Lookup(qname=lk.qname, qtype=lk.qtype, server=lk.server, transport=lk.transport,
                      query_frame=lk.query_frame, response_frame=lk.response_frame,
                      rcode=RCODE_MNEMONICS.get(lk.rcode, str(lk.rcode)) if lk.rcode is not None else None,
                      addresses=lk.addresses, cnames=lk.cnames, rtt_ms=rtt, retransmissions=lk.retransmissions,
                      truncated=lk.truncated)

    def _summary(self, requests: tuple[RequestTiming, ...], connections: tuple[Connection, ...], start_ns: int,
                 steps: tuple[Step, ...], seg_bytes: dict[str, int]) -> FetchSummary:
        http = [r for r in requests if r.method]
        per_conn: dict[int, int] = {}
        for r in http:
            per_conn[r.stream] = per_conn.get(r.stream, 0) + 1
        if not http:
            mode = "no request"
        elif len(http) == 1:
            mode = "single request"
        elif _at_once([r for r in http if r.http_version == "HTTP/2"]):
            mode = "multiplexed"        # HTTP/2 streams: several requests at a time, not one after the other
        elif any(n > 1 for n in per_conn.values()) or any(r.reused_connection for r in http):
            mode = "keep-alive"
        elif all(_said_close(r) for r in http):
            mode = "one connection per request"
        else:       # no reuse seen, but nothing said the connections were for one request (a keep-alive request)
            mode = "separate connections"
        first = requests[0] if requests else None
        end_ns = max([s.ts_ns for s in steps if s.ts_ns is not None] + [start_ns])
        for r in requests:
            for p in r.phases:
                end_ns = max(end_ns, start_ns + int(p.end * 1e9))
        failed = sum(1 for c in connections if c.outcome in ("refused", "unanswered", "unreachable"))
        doc = http[0] if http else None
        return FetchSummary(
            dns_ms=first.dns if first is not None and first.dns is not None else self._first_lookup_ms(),
            connect_ms=first.connect if first else None,
            tls_ms=first.ssl if first else None, ttfb_ms=doc.wait if doc else None, total_ms=_ms(end_ns - start_ns), requests=len(http),
            connections=len(connections), failed_connections=failed, quic_connections=len(self.plan.quic),
            requests_per_connection=tuple(sorted(per_conn.items())), connection_mode=mode,
            bytes_sent=seg_bytes["sent"], bytes_received=seg_bytes["received"],
            http_bytes_sent=sum(r.request_head_bytes + r.request_body_bytes for r in http),
            http_bytes_received=sum(r.response_head_bytes + r.response_body_bytes for r in http) + sum(
                im.head_length for u in self.plan.units if u.record is not None
                for im in u.record.transaction.interim) + sum(
                r.transaction.response.head_length + (r.transaction.response_end.body_length
                                                      if r.transaction.response_end is not None else 0)
                for recs in self.unrequested.values() for r in recs),
            retransmitted_bytes=seg_bytes["resent"], copied_bytes=seg_bytes["copied"],
            retransmitted_sent=seg_bytes["resent_sent"], copied_sent=seg_bytes["copied_sent"],
            dns_names=_names(resolutions(self.usable)),
            dns_late=tuple((lk.qname, lk.qtype, _ms(lk.response_ts_ns - lk.query_ts_ns), lk.query_frame,
                            lk.response_frame, self.refused[lk.query_frame].frame)
                           for lk in self.plan.lookups if lk.query_frame in self.refused),
            dns_lookups=len(self.plan.lookups),
            problems=sum(1 for s in steps if s.problem),
            encrypted_requests=sum(1 for r in requests if r.exchange is not None and r.exchange.request is not None
                                   and r.exchange.response is not None),
            encrypted_multiplexed=any(r.encrypted is not None and r.encrypted.multiplexed for r in requests))

    def _tls_wait(self, stream: int) -> tuple[int, float, int, float] | None:
        """A TLS handshake's two parts: (the server's last handshake frame before the client's Finished, ms from
        the ClientHello to it, the Finished's frame, ms from that server frame to the Finished): the second is
        time on the client (certificate checks, a slow program) when the connection carried no data between."""
        conn = next((c for c in self.conns if c.stream == stream and c.tls is not None), None)
        if conn is None or conn.tls.client_hello is None:
            return None
        tls = conn.tls
        done = tls_done(tls, conn.client_port)
        if done is None or done[2] not in ("finished", "guess13"):
            return None
        server = [m for m in tls.handshake if m.direction != tls.client_dir and m.ts_ns <= done[1]]
        if not server:
            return None
        last = max(server, key=lambda m: (m.ts_ns, m.frame))
        if any(last.frame < s.frame < done[0] and s.length for s in conn.segments):
            return None         # data between them: not a wait of the client's alone
        return (last.frame, _ms(last.ts_ns - tls.client_hello.ts_ns), done[0], _ms(done[1] - last.ts_ns))

    def _first_lookup_ms(self) -> float | None:
        """The fetch's own answered lookups, first query -> last answer of each resolution, the times two ran at
        once counted once (:func:`resolving_ms`; the DNS steps it shows): the figure when its first request has
        no DNS time of its own (a fetch of lookups only; a first request on a
        connection opened before the capture, or whose host was cached, while the fetch looked up names)."""
        return resolving_ms(resolutions(self.usable))

    def _breakdown(self, requests: tuple[RequestTiming, ...], connections: tuple[Connection, ...],
                   summary: FetchSummary, steps: tuple[Step, ...]) -> list[Delay]:
        """Where the time went: the big parts of the fetch's total, each with its evidence."""
        out: list[Delay] = []
        total = summary.total_ms
        if total <= 0 or self.plan.kind == "quic" or self.plan.kind == "lookup" and not summary.dns_late:
            return out

        def add(what: str, ms: float, frames: tuple[int, ...], template: str = "", **facts: Any) -> None:
            out.append(Delay(what, ms, frames, explain(template or f"delay.{what}",
                                                        {"ms": ms, "total_ms": total, **facts}, self.lang)))

        # an answer the client refused (it came after it had stopped waiting): a wait for nothing, not a lookup
        for name, qtype, ms, query, answer, icmp in summary.dns_late:
            add("dns_late", ms, (query, answer, icmp), qname=name, qtype=qtype, query=query, answer=answer,
                icmp=icmp)
        if self.plan.kind == "lookup":
            out.sort(key=lambda d: -d.ms)
            return self._tally(out, total, None, set())

        lk_ms = summary.dns_ms
        runs = resolutions(self.usable)
        # refused answers whose resolution got an answer after all (the client asked again): inside its time
        late_in = {lk.query_frame for _n, q in runs if any(x.response_ts_ns is not None for x in q) for lk in q
                   if lk.query_frame in self.refused} if self.refused and lk_ms else set()
        late_ms = sum(d.ms for d in out if d.frames[0] in late_in)
        own = bool(requests) and requests[0].dns is not None and requests[0].dns == lk_ms
        if lk_ms is not None and lk_ms > 0 and len(runs) > 1 and not own:
            # several resolutions and none the first request's: each its own time, never the span across them
            # (the client went on with its connections and requests in between)
            answered = [lk for lk in self.usable if lk.response_ts_ns is not None]
            span = _ms(max(lk.response_ts_ns for lk in answered) - min(lk.query_ts_ns for lk in self.usable))
            add("dns", lk_ms, tuple(q[0].query_frame for _n, q in runs), "delay.dns.names",
                lookups=len(runs), names=len(summary.dns_names), queries=len(self.plan.lookups), span_ms=span,
                per_name=names_text(summary.dns_names, self.lang),
                tail=explain("delay.dns.late_included", {"late_ms": late_ms}, self.lang) if late_ms else "")
        elif lk_ms is not None and lk_ms > 0:
            frames = tuple(lk.query_frame for lk in self.plan.lookups)
            # the retry waits are told on lines of their own, below: the lookup's line says they are in it
            waits = sum(st.facts.get("waited_ms") or 0.0 for st in steps if st.kind == "dns.retransmission"
                        or st.kind in ("dns.query.next_server", "dns.query.again", "dns.query.again.same_id"))
            gap = _client_dns_gaps(self.usable, lk_ms)
            tail = explain("delay.dns.wait_included", {"wait_ms": waits}, self.lang) if waits > 0 else ""
            if late_ms:
                tail += explain("delay.dns.late_included", {"late_ms": late_ms}, self.lang)
            if gap is not None and gap[0] >= 1.0 and gap[0] >= 0.25 * lk_ms:
                gap_ms, longest_ms, answer, nxt = gap
                add("dns", lk_ms, (frames[0], answer, nxt),
                    "delay.dns.client_gap" if longest_ms == gap_ms else "delay.dns.client_gaps", count=len(frames),
                    net_ms=max(lk_ms - gap_ms - waits, 0.0), gap_ms=gap_ms, longest_ms=longest_ms, answer=answer,
                    next=nxt, tail=tail)
            else:
                add("dns", lk_ms, frames[:1], "delay.dns.waits" if tail else "", count=len(frames), tail=tail)
        for st in steps:
            if st.kind == "dns.retransmission":
                add("dns_retry", st.facts.get("waited_ms") or 0.0, st.frames, qname=st.facts.get("qname"))
            elif st.kind in ("dns.query.next_server", "dns.query.again", "dns.query.again.same_id") \
                    and st.facts.get("waited_ms"):
                add("dns_retry", st.facts["waited_ms"], (st.facts["prev_frame"], *st.frames),
                    "delay.dns_next_server" if st.kind == "dns.query.next_server" else "delay.dns_retry",
                    qname=st.facts.get("qname"), resolver=st.facts.get("prev_resolver"))
        cited = {f for st in steps for f in st.frames}
        for c in connections:
            if not c.syn_frames or c.syn_frames[0] not in cited:
                continue        # a connection opened by an earlier fetch: its handshake is not this fetch's time
            if len(c.syn_frames) > 1 and c.connect_ms is not None and c.irtt_ms is not None:
                add("syn_retry", c.connect_ms - c.irtt_ms, c.syn_frames, stream=c.stream, attempts=len(c.syn_frames))
            elif c.connect_ms is not None and c is connections[0]:
                add("connect", c.connect_ms, c.syn_frames[:1], stream=c.stream)
        held_frames: set[int] = set()       # the Nagle stalls the TLS handshake's line holds
        if summary.tls_ms is not None and summary.tls_ms > 0:
            stream = connections[0].stream if connections else 0
            split = self._tls_wait(stream)
            if split is not None and split[3] >= CLIENT_TLS_WAIT_MS and split[3] * 2 >= summary.tls_ms:
                server_frame, server_ms, fin_frame, client_ms = split
                add("tls", summary.tls_ms, (server_frame, fin_frame), "delay.tls.client", stream=stream,
                    server_frame=server_frame, server_ms=server_ms, fin_frame=fin_frame, client_ms=client_ms)
            else:
                fin = self._tls_done_frame(stream)
                in_tls = [st for st in steps if st.kind == "tcp.stall.nagle" and st.facts.get("stream") == stream
                          and fin is not None and st.frames[-1] <= fin]
                held = sum(st.facts.get("gap_ms") or 0.0 for st in in_tls)
                held_frames.update(f for st in in_tls for f in st.frames)
                # the server's first flight most likely lost: that wait is its own part, the rest the handshake's
                lost = next((st for st in steps if st.kind.startswith("tls.server_hello.lost")
                             and st.facts.get("stream") == stream), None)
                lost_ms = lost.facts["lost_ms"] if lost is not None else 0.0
                if lost is not None:
                    add("lost_flight", lost_ms, (lost.facts["hello_frame"], lost.frames[-1]), "delay.lost_answer.tls",
                        stream=stream)
                add("tls", summary.tls_ms - lost_ms, (), "delay.tls.stall" if held else "", stream=stream,
                    held_ms=held)
        self._client_time(add, cited)
        self._client_page(add, requests, total)
        # an episode's step cites all its frames (duplicate ACKs first, often); its delay cites the frames
        # its time is measured between: the step's own segment (``_Raw.order``: the lost segment's
        # successor, the retransmission, the zero window) and the one that ended the wait, when cited
        timeouts: dict[tuple[Any, Any], list[tuple[float, tuple[int, ...]]]] = defaultdict(list)
        # the copies sent while a FIN waited for its ACK: their waits are the release's (one part, its own)
        released = {x for st in steps if st.kind in ("tcp.teardown.late", "tcp.teardown.late.fin") for x in st.frames}
        for raw, st in zip(self.steps, steps):
            f = st.facts
            own = (int(raw.order),) if int(raw.order) in st.frames else st.frames[:1]
            if st.kind in ("http.wait.server", "http.wait.server_noack"):
                add("server", f.get("think_ms") or 0.0, st.frames, uri=_uri_of(steps, st))
            elif st.kind == "http.wait.lost":
                add("lost_answer", f.get("ttfb_ms") or 0.0, st.frames)
            elif st.kind.startswith("http.wait.resent.request_lost") and ".answer_lost" in st.kind:
                # after the client's last copy (its own timeouts are counted with its retransmissions)
                add("lost_answer", f["after_ms"], (f["last_frame"], st.frames[-1]), "delay.lost_answer.after",
                    last_frame=f["last_frame"])
            elif st.kind == "tcp.handshake.karn":
                add("late_synack", f.get("late_ms") or 0.0, (f["synack"],), stream=f.get("stream"))
            elif st.kind in ("tcp.loss", "tcp.loss.fin") and f.get("cost_ms"):
                add("loss", f["cost_ms"], own + tuple(x for x in (f.get("fill_frame"),) if x in st.frames),
                    "delay.loss.fin" if st.kind == "tcp.loss.fin" else "")
            elif st.kind in ("tcp.teardown.late", "tcp.teardown.late.fin"):
                add("release", f["wait_ms"], (f["fin_frame"], f["ack_frame"]),
                    "delay.release" if len(st.frames) > 2 else "delay.release.one", closer=f.get("closer"),
                    copies=list(st.frames[:-1]))
            elif st.kind == "tcp.retransmission" and own[0] in released:
                continue
            elif st.kind == "tcp.retransmission" and (f.get("gap_ms") or f.get("waited_ms")):
                if f.get("dup_acks"):       # the receiver's duplicate ACKs asked for it: the time is the wait for them
                    add("retransmission", f.get("gap_ms") or f["waited_ms"], own, "delay.retransmission.dup")
                else:                       # a timer: one sender's timeouts on a connection are told together
                    timeouts[f.get("stream"), f.get("sender")].append((f.get("gap_ms") or f["waited_ms"], own))
            elif st.kind.startswith("tcp.unanswered") and f.get("total_ms"):
                # from the first SYN to the last (the summary's "TCP connect" of a connection never made)
                add("syn_unanswered", f["total_ms"], st.frames, stream=f.get("stream"),
                    attempts=f.get("attempts") or len(st.frames), first=st.frames[0], last=st.frames[-1])
            elif st.kind == "tcp.race.unanswered":
                add("race", f["after_ms"], (f["syn"], f["wsyn"]), family=f["family"], other=f["other"],
                    stream=f["stream"])
            elif st.kind in ("tcp.stall.nagle", "tls.exchange.nagle"):
                add("stall", f.get("gap_ms") or 0.0, st.frames)
            elif st.kind == "tcp.loss.tail":
                add("loss", f["gap_ms"], (f["first"], f["frame"]), "delay.loss.tail", sender=f["sender"],
                    frame=f["frame"])
            elif st.kind == "http.request.expect_wait":
                add("expect_wait", f.get("waited_ms") or 0.0, st.frames)
            elif st.kind == "tls.exchange.wait":
                if any(x.kind == "tcp.retransmission" and x.facts.get("sender") == "client"
                       and x.facts.get("stream") == f.get("stream") and st.frames[0] < x.frames[0] < st.frames[-1]
                       for x in steps):
                    continue    # the client resent its request before the answer: that wait is the timer's, told
                add("server_encrypted", f.get("think_ms") or 0.0, st.frames, n=f.get("n"))
            elif st.kind == "tcp.zero_window" and f.get("stall_ms"):      # to the end when it never reopens
                add("zero_window", f["stall_ms"], own + tuple(x for x in (f.get("resumed_frame"),) if x in st.frames))
        for (stream, sender), waits in timeouts.items():
            if len(waits) == 1:
                add("retransmission", waits[0][0], waits[0][1])
            else:       # each wait since the copy before: they follow one another, their sum is the time lost
                add("retransmission", sum(ms for ms, _f in waits), tuple(x for _ms, fr in waits for x in fr),
                    "delay.retransmission.timeouts", count=len(waits), waits=[ms for ms, _f in waits],
                    stream=stream, sender=sender)
        self._idle(add, total, cited, requests, list(out))
        # the quick answers' server time: after the idle times, which leave a request's wait for its answer to it
        # (a part's first and last frames are a span _idle keeps out of, and these frames are apart)
        # one part for one answer (its TTFB, first byte and round trip), one for several (each its think time)
        for quiet, what, key in ((self.quiet_waits, "server", "uri"), (self.quiet_waits_tls, "server_encrypted", "n")):
            if len(quiet) == 1:
                ttfb, rtt, frame, name = quiet[0]
                add(what, ttfb - rtt, (frame,), f"delay.{what}.quiet", ttfb_ms=ttfb, rtt_ms=rtt, frame=frame,
                    **{key: name})
            elif quiet:
                waits = [t - r for t, r, _f, _x in quiet]
                firsts = [f for _t, _r, f, _x in quiet]
                add(what, sum(waits), tuple(firsts), f"delay.{what}.quiet.many", count=len(quiet), waits=waits,
                    firsts=firsts, **{key + "s": [x for _t, _r, _f, x in quiet]})
        # the transfer of a response, less the stalls already counted inside it (a Nagle stall between its
        # segments is not transfer time). A stall counts when the segment it held is one the response owns
        # (not a first segment it shares with the response before it: that wait came before its first byte).
        stalls = [(set(st.frames[-1:]), st.facts.get("gap_ms") or 0.0) for st in steps
                  if st.kind in ("tcp.stall.nagle", "tcp.loss.tail")]
        nothing: tuple[tuple[int, ...], set[int]] = ((), set())

        def receive(n: int) -> float:
            owned = self.resp_frames.get(id(self.req_units[n]), nothing)[1]
            return (requests[n].receive or 0.0) - sum(ms for held, ms in stalls if held & owned)

        transfer = [n for n, r in enumerate(requests) if r.receive is not None and r.receive > 0]
        inside: set[int] = set()        # the frames of the response told as a transfer (a wait among them is in it)
        if transfer:
            n = max(transfer, key=receive)
            ms = receive(n)
            if ms >= 0.2 * total and ms >= 1.0:
                inside = self.resp_frames.get(id(self.req_units[n]), nothing)[1]
                # frames its response step cites: those of its first and its last byte
                frames = self.resp_frames.get(id(self.req_units[n]), nothing)[0] or requests[n].frames[2:3]
                longest = requests[n]
                ex = longest.exchange
                if ex is not None and ex.response is not None:      # an encrypted exchange: its records
                    add("transfer_encrypted", ms, (ex.response.frames[0], ex.response.last_frame), n=ex.index + 1,
                        size=ex.response.bytes)
                else:
                    add("transfer", ms, frames, uri=longest.uri, size=longest.response_body_bytes)
        out.sort(key=lambda d: -d.ms)
        return self._tally(out, total, (min(inside), max(inside)) if inside else None, held_frames, late_in)

    def _tally(self, parts: list[Delay], total: float, within: tuple[int, int] | None, held: set[int],
               late_in: set[int] = frozenset()) -> list[Delay]:
        """The parts worth a line (a tenth of the total, or a problem's wait), then what the list does not say
        by itself: the smaller parts left out (each named, with its time), and how the parts compare with the
        total: the time none of them covers, or that some of them overlap. A part inside another is not
        counted twice: a DNS retry inside the lookup's time, a Nagle stall inside a TLS handshake's (``held``:
        its frames), a retransmission, loss or zero window among the frames of the response whose transfer is
        told (``within``: its first and last frame; the transfer's time already leaves its Nagle stalls out), the
        wait for a refused DNS answer inside the lookup's time (``late_in``: its query frame; the client asked again
        and used that answer)."""
        if not parts:
            return parts
        shown = [d for d in parts if d.ms >= 0.1 * total or d.what in PROBLEM_DELAYS]
        left = [d for d in parts if not (d.ms >= 0.1 * total or d.what in PROBLEM_DELAYS) and d.ms >= 0.0005]
        lang = self.lang
        if left:
            sep = "、" if lang == "zh" else ", "
            named = sep.join(f"{label(f'part.{d.what}', lang)} {duration(d.ms, lang)}" for d in left)
            ms = sum(d.ms for d in left)
            shown.append(Delay("left_out", ms, (), explain("delay.left_out" if shown else "delay.left_out.all", {
                "count": len(left), "ms": ms, "parts": named, "total_ms": total}, lang)))
        dns = any(d.what == "dns" for d in parts)
        counted_ms = 0.0
        for d in parts:
            if d.what == "dns_retry" and dns or d.what == "dns_late" and d.frames[0] in late_in:
                continue        # the lookup's line says the wait is part of it
            if d.what == "stall" and d.frames and set(d.frames) <= held:
                continue        # the TLS handshake's line says the stall is part of it
            if (d.what in ("retransmission", "loss", "zero_window") and within is not None and d.frames
                    and within[0] <= min(d.frames) and max(d.frames) <= within[1]):
                continue
            counted_ms += d.ms
        rest = total - counted_ms
        if counted_ms > total + 0.5:        # parts measured from different frames that run at the same time
            shown.append(Delay("overlap", 0.0, (), explain("delay.overlap", {"ms": counted_ms, "total_ms": total},
                                                            lang)))
        elif rest >= max(1.0, 0.05 * total):
            # what else took time, said by what the fetch holds (HTTP requests, encrypted records, a bare connection)
            units = [u for u in self.req_units if u is not None]
            carried = "rest.lookups" if self.plan.kind == "lookup" else "rest.requests" if any(
                u.record is not None for u in units) or any(q.records for q in self.plan.quic) else "rest.records" \
                if self.encrypted else "rest.data"
            shown.append(Delay("rest", rest, (), explain("delay.rest" if counted_ms > 0 else "delay.rest.all",
                                                         {"ms": rest, "total_ms": total,
                                                          "carried": label(carried, lang)}, lang)))
        return shown

    def _client_time(self, add: Any, cited: set[int]) -> None:
        """The client's own time before its first connection's traffic (nothing of the fetch on the network):
        from the DNS answer that gave the server's address to the SYN, and from the end of the handshake to
        the client's first data (a request, a ClientHello)."""
        # the first connection opened (a dual-stack client's race, a spare opened first: not always the first
        # listed): before its SYN, nothing of the fetch's connections was on the network
        conn = min((c for c in self.conns if c.syns and c.syns[0][0] in cited and c.epoch == 0),
                   key=lambda c: c.syns[0][1], default=None)
        if conn is None:
            return
        syn_f, syn_t = conn.syns[0]
        answered = [lk for lk in self.usable if lk.response_ts_ns is not None and lk.response_ts_ns <= syn_t]
        lk = max((x for x in answered if conn.server in x.addresses), default=None, key=lambda x: x.response_ts_ns)
        if lk is None and answered:
            lk = max(answered, key=lambda x: x.response_ts_ns)
        if lk is not None and lk.response_frame is not None:
            # the client's next packet: its SYN, or an ARP/ND request for the next hop sent before it
            arp = next((m for m in self.plan.neighbours if m.kind == "request" and m.sender in self.plan.addresses
                        and lk.response_ts_ns <= m.ts_ns <= syn_t), None)
            if arp is not None:
                add("client_dns_arp", _ms(arp.ts_ns - lk.response_ts_ns), (lk.response_frame, arp.frame),
                    "delay.client_dns_nd" if arp.protocol == "nd" else "", answer=lk.response_frame, arp=arp.frame)
            else:
                add("client_dns", _ms(syn_t - lk.response_ts_ns), (lk.response_frame, syn_f),
                    answer=lk.response_frame, syn=syn_f)
        if conn.handshake_ack is not None:
            ack_f, ack_t = conn.handshake_ack
            data = next((s for s in conn.segments if s.direction == 0 and s.length and s.frame > ack_f
                         and s.frame not in conn.copies), None)
            if data is not None and not any(s.direction == 1 and ack_f < s.frame < data.frame for s in conn.segments):
                add("client_send", _ms(data.ts_ns - ack_t), (ack_f, data.frame), ack=ack_f, data=data.frame)

    def _idle(self, add: Any, total: float, cited: set[int], requests: tuple[RequestTiming, ...],
              told: list[Delay]) -> None:
        """The times nothing of the fetch was on the network (keep-alive probes do not count), each told when it is
        a tenth of the total or more, by what ended it:

        * a FIN or RST (not after a FIN or RST: then the wait is the close's round trip; not a retransmission or
          a copy: its step tells that wait): the connection was
          kept open, then closed, or half-closed and kept so by the other side; the fetch's total runs to its
          close (``idle``);
        * data, a SYN or a DNS query, outside every request's phases (DNS, connect, TLS, send, wait, receive:
          their parts tell those) and every answered lookup's wait, and not a retransmission or a copy (their
          steps tell those): the fetch waited for the side that sent it, with nothing of the fetch left to
          carry (the side that sent it had all its own bytes acknowledged; for a request, every earlier request
          on its connection was answered): a connection open with no HTTP (LDAP, a shell) waiting for its
          program or a person, a client
          going on with its next request, connection or name (``idle_data``, ``idle_request``, ``idle_syn``,
          ``idle_dns``). A wait a part
          told already (the client's time after a DNS answer, before its first data, on the page: ``told``) is
          not told again.

        Each cites those of its two frames a step cites (the sentence names both)."""
        # (a Segment's ts_ns, frame and analysis read by index: this runs over every segment of the fetch)
        events: list[tuple[int, int, Segment | None, ConnFacts | DnsLookup | None]] = \
            [(s[1], s[0], s, c) for c in self.conns for s, _o in self._conn_segments(c) if not s[10] & A_KEEP_ALIVE]
        for lk in self.plan.lookups:
            events.append((lk.query_ts_ns, lk.query_frame, None, lk))
            if lk.response_ts_ns is not None:
                events.append((lk.response_ts_ns, lk.response_frame, None, None))
        for conn in self.plan.dns_conns:
            events += [(s.ts_ns, s.frame, None, None) for s in conn.segments]
        events += [(m.ts_ns, m.frame, None, None) for m in self.plan.neighbours]
        events.sort(key=_TIME_FRAME)    # stable: a segment before a lookup or message of the same time and frame
        # the times the parts of requests and lookups cover (a gap inside them is theirs)
        busy = [(r.started_ns - int(r.start * 1e9) + int(p.start * 1e9) - 1000,
                 r.started_ns - int(r.start * 1e9) + int(p.end * 1e9) + 1000) for r in requests for p in r.phases]
        busy += [(lk.query_ts_ns, lk.response_ts_ns) for lk in self.plan.lookups if lk.response_ts_ns is not None]
        spans = [(min(d.frames), max(d.frames)) for d in told if len(d.frames) > 1]
        asks = {r.frames[0]: f"{r.method} {_cut(r.uri, 60)}" for r in requests if r.method and r.frames}
        # the gaps long enough to be told (a tenth of the total and a millisecond), looked at one by one
        times = [e[0] for e in events]
        least = 0.1 * total
        gaps = [i for i, (t0, t1) in enumerate(itertools.pairwise(times))
                if not ((t1 - t0) / 1e6 < least or (t1 - t0) / 1e6 < 1.0)]
        for i in gaps:
            a, b = events[i], events[i + 1]
            ms = _ms(b[0] - a[0])
            last, nxt, owner = a[2], b[2], b[3]
            if last is not None and nxt is not None and nxt.flags & (FIN | RST):
                if last.flags & (FIN | RST) or nxt.analysis & COPY_FLAGS or any(
                        a[0] < (lk.response_ts_ns or lk.query_ts_ns) < b[0]
                                                   for lk in self.plan.lookups):
                    continue
                add("idle", ms, tuple(f for f in (a[1], b[1]) if f in cited), stream=owner.stream, last=a[1],
                    end=b[1], who="client" if nxt.direction == 0 else "server",
                    flag="RST" if nxt.flags & RST else "FIN")
                continue
            if any(lo <= a[0] and b[0] <= hi for lo, hi in busy) or any(lo <= a[1] and b[1] <= hi for lo, hi in spans):
                continue
            frames = tuple(f for f in (a[1], b[1]) if f in cited)
            if isinstance(owner, DnsLookup):
                add("idle_dns", ms, frames, last=a[1], end=b[1], qname=owner.qname)
            elif nxt is None or nxt.analysis & COPY_FLAGS or nxt.frame in owner.copies:
                continue
            elif nxt.flags & SYN and not nxt.flags & ACK:
                add("idle_syn", ms, frames, last=a[1], end=b[1], stream=owner.stream)
            elif not nxt.length or not _all_acked(owner, a[0], nxt.direction):
                continue        # its own data still in flight (or its ACK not captured): not an idle connection
            else:
                if nxt.frame in asks and any(r.stream == owner.stream and r.frames[0] < nxt.frame and (
                        r.response_frame is None or r.response_frame > a[1]) for r in requests if r.method):
                    continue    # an earlier request not answered yet: the server's time, not the client's
                # after the other side's segment, the sender could not move before it reached it: the round trip
                # between the capture point and the sender is the network's, not the sender's time (F53)
                far = self._far(owner, nxt.direction) if last is not None and last.direction != nxt.direction \
                    and a[3] is owner else None
                if far is not None and far[0] < (b[0] - a[0]) // 10:
                    far = None      # a round trip under a tenth of the gap: the gap is the side's own time
                extra: dict[str, Any] = {}
                if far is not None:
                    own = _ms(b[0] - a[0] - far[0])
                    if own < least or own < 1.0:
                        continue
                    extra = {"gap_ms": ms, "far_ms": _ms(far[0]), "hs_a": far[1], "hs_b": far[2]}
                    ms = own
                if nxt.frame in asks:
                    add("idle_request", ms, frames, "delay.idle_request.far" if far else "", last=a[1], end=b[1],
                        stream=owner.stream, request=asks[nxt.frame], **extra)
                else:
                    add("idle_data", ms, frames, "delay.idle_data.far" if far else "", last=a[1], end=b[1],
                        stream=owner.stream, size=nxt.length, who="client" if nxt.direction == 0 else "server",
                        **extra)

    @staticmethod
    def _far(conn: ConnFacts, side: int) -> tuple[int, int, int] | None:
        """The round trip between the capture point and ``side`` of ``conn`` (0 the client), from its handshake of
        one SYN and one SYN-ACK: SYN-ACK to the client's ACK (the client's side), SYN to SYN-ACK (the server's);
        (ns, the two frames), or None."""
        if len(conn.syns) != 1 or len(conn.synacks) != 1:
            return None
        (syn_f, syn_t), (sa_f, sa_t) = conn.syns[0], conn.synacks[0]
        if side == 1:
            return (sa_t - syn_t, syn_f, sa_f) if sa_t >= syn_t else None
        if conn.handshake_ack is None or conn.handshake_ack[1] < sa_t:
            return None
        return conn.handshake_ack[1] - sa_t, sa_f, conn.handshake_ack[0]

    def _client_page(self, add: Any, requests: tuple[RequestTiming, ...], total: float) -> None:
        """The client's time between the page's last byte and its next move for the fetch (a SYN, a request, a DNS
        query), when nothing of the fetch was on the network and no other request was under way: a browser
        working on the page (told when >= 10 ms and a tenth of the fetch)."""
        units = self.req_units
        doc = next((n for n, r in enumerate(requests) if r.document and r.method and n < len(units)), None)
        if doc is None:
            return
        tx = units[doc].record.transaction
        if tx.response_end is None:
            return
        end_ns, end_frame = tx.response_end.last_ts_ns, tx.response_end.last_frame
        later = [(u.record.transaction.request.first_ts_ns, u.record.transaction.request.first_frame, n)
                 for n, u in enumerate(units) if n != doc and u is not None and u.record is not None
                 and u.record.transaction.request is not None]
        nxt = min((x for x in later if x[0] >= end_ns), default=None)
        if nxt is None or any(ts < end_ns for ts, _f, _n in later):
            return          # another request under way with the page: not the client's time alone
        moves = [(s.ts_ns, s.frame) for c in self.conns for s in c.segments
                 if s.frame > end_frame and s.direction == 0 and (s.length or s.flags & SYN)]
        moves += [(lk.query_ts_ns, lk.query_frame) for lk in self.plan.lookups if lk.query_frame > end_frame]
        move_ns, move_frame = min(moves, default=(nxt[0], nxt[1]))
        ms = _ms(move_ns - end_ns)
        if ms < CLIENT_TLS_WAIT_MS or ms < 0.1 * total:
            return
        if any(end_frame < s.frame < move_frame and s.length for c in self.conns for s in c.segments):
            return
        add("client_page", ms, (end_frame, move_frame), page_frame=end_frame, next_frame=move_frame,
            uri=units[nxt[2]].record.transaction.request.target)

    # -- ladder ----------------------------------------------------------------------------------------
    def _ladder(self, start_ns: int) -> tuple[LadderRow, ...]:
        rows: list[LadderRow] = []

        def rel(ns: int) -> float:
            return (ns - start_ns) / 1e9

        plan = self.plan
        for m in plan.neighbours:
            proto = "ND" if m.protocol == "nd" else "ARP"
            sender = "client" if (m.kind == "request" and m.sender in plan.addresses) else "peer"
            peer = f"{proto} {m.target if sender == 'client' else m.sender}"
            rows.append(LadderRow(m.frame, rel(m.ts_ns), sender, peer, m.protocol, self.notes.get(m.frame, proto)))
        for lk in plan.lookups:
            if lk.transport == "tcp":
                continue        # its segments are in the ladder with the DNS notes
            peer = f"DNS {lk.server}"
            rows.append(LadderRow(lk.query_frame, rel(lk.query_ts_ns), "client", peer, "dns",
                                  self.notes.get(lk.query_frame, "DNS query")))
            times = lk.retransmission_times or (lk.query_ts_ns,) * len(lk.retransmissions)
            for f, t in zip(lk.retransmissions, times):
                rows.append(LadderRow(f, rel(t), "client", peer, "dns", self.notes.get(f, "DNS query (again)"),
                                      problem=True))
            if lk.response_frame is not None:
                rows.append(LadderRow(lk.response_frame, rel(lk.response_ts_ns), "peer", peer, "dns",
                                      self.notes.get(lk.response_frame, "DNS answer"),
                                      problem=lk.query_frame in self.refused))     # came too late: refused
            for f, t in lk.fragments:
                rows.append(LadderRow(f, rel(t), "peer", peer, "dns", self.notes.get(f, "IP fragment"), problem=True))
        for a in plan.strays[:STRAYS_TOLD]:
            if a.transport == "tcp":
                continue
            if a.unread:        # the query, its copies and the answer to its ID
                peer = f"DNS {a.server}"
                for f, ts in ((a.frame, a.ts_ns), *a.copies):
                    rows.append(LadderRow(f, rel(ts), "client", peer, "dns", self.notes.get(f, "DNS"), problem=True))
                if a.answer_frame is not None and a.answer_ts_ns is not None:
                    rows.append(LadderRow(a.answer_frame, rel(a.answer_ts_ns), "peer", peer, "dns",
                                          self.notes.get(a.answer_frame, "DNS")))
                continue
            rows.append(LadderRow(a.frame, rel(a.ts_ns), "peer", f"DNS {a.server}", "dns",
                                  self.notes.get(a.frame, "DNS answer"), problem=a.query_frame is not None))
        # a row of left-out segments (frame 0) sorts where its first segment would: it was sorted first, above
        # the SYN, with a time from the middle of the connection
        at: dict[int, int] = {}
        for conn in list(plan.dns_conns) + self.conns:
            segs = conn.segments if conn in plan.dns_conns else [s for s, _o in self._conn_segments(conn)]
            peer = f"[{conn.server}]:{conn.server_port}" if ":" in conn.server else f"{conn.server}:{conn.server_port}"
            rows += self._segment_rows(conn, segs, peer, rel, at)
        for q in plan.quic:     # its handshake's datagrams and the last one (the encrypted rest is counted in a step)
            peer = f"[{q.server}]:{q.server_port}" if ":" in q.server else f"{q.server}:{q.server_port}"
            g = "gquic.hello" if q.gquic else "quic.initial"
            hello = self._note(f"note.{g}.sni", sni=q.sni) if q.sni else self._note(f"note.{g}")
            marks = [(q.first_frame, q.first_ts_ns, "client", hello)]
            if q.gquic:
                marks += [(f, t, "client", hello) for f, t in zip(q.initials[1:], q.initial_ts[1:])]
            if q.retry_frame is not None:
                marks.append((q.retry_frame, q.retry_ts_ns, "peer", self._note("note.quic.retry")))
                if q.retried_frame is not None:
                    marks.append((q.retried_frame, q.retried_ts_ns, "client", self._note("note.quic.retried")))
            if q.server_frame is not None:
                marks.append((q.server_frame, q.server_ts_ns, "peer", self._note(
                    "note.quic.server" if not q.gquic else "note.gquic.reject" if q.reject_frame is not None
                    else "note.gquic.server")))
            if q.done_frame is not None:
                marks.append((q.done_frame, q.done_ts_ns, "client", self._note("note.quic.done")))
            if q.last_frame not in (f for f, _t, _s, _n in marks):
                marks.append((q.last_frame, q.last_ts_ns, "peer" if q.last_dir else "client",
                              self._note("note.quic.last")))
            for f, t, sender, text in marks:
                rows.append(LadderRow(f, rel(t), sender, peer, "quic", text, q.stream,
                                      problem=f == q.first_frame and q.server_frame is None))
        for e, stream in self.cited_icmp.values():      # an error cited in the steps: from whoever sent it
            if e.by_client:                             # the client's, to the peer whose answer it quotes
                sender, peer = "client", f"DNS {e.quoted_src}"
            else:
                sender, peer = "peer", f"ICMPv6 {e.sender}" if ":" in e.sender else f"ICMP {e.sender}"
            rows.append(LadderRow(e.frame, rel(e.ts_ns), sender, peer, "icmp", self.notes.get(e.frame, e.text),
                                  stream, problem=True))
        rows.sort(key=lambda row: (row.frame or at.get(id(row), 0), row.time))
        return tuple(rows)

    def _harmless(self) -> set[int]:
        """The frames only steps that are no problem cite (a FIN repeated as FINs crossed, the ACK of a FIN again,
        a packet the capture saw twice): a segment Wireshark flags is drawn red only when a step tells it as a
        problem, or none tells it."""
        got = self._harmless_frames
        if got is None:
            got = self._harmless_frames = {f for st in self.steps if not st.problem for f in st.frames} \
                - self.problem_frames
        return got

    def _segment_rows(self, conn: ConnFacts, segs: list[Segment], peer: str, rel: Any,
                      at: dict[int, int]) -> list[LadderRow]:
        """The ladder rows of a connection's segments; a run left out is one row, whose first frame goes in
        ``at`` (by the row's id) for sorting."""
        if LADDER_ALL_SHOWN and len(segs) <= LADDER_HEAD + LADDER_TAIL:
            keep = None         # the head and the tail are all of them (most connections): no set to look in
        else:
            keep = set(range(LADDER_HEAD)) | set(range(len(segs) - LADDER_TAIL, len(segs)))
            problems = [i for i, s in enumerate(segs) if s.frame in self.problem_frames or s.analysis & TROUBLE
                        or s.flags & (SYN | FIN | RST) or s.frame in self.notes]
            keep |= set(problems[:LADDER_PROBLEMS * 4])
        rows = []
        skipped: list[Segment] = []
        data_note = None
        notes = self.notes
        problem_frames = self.problem_frames
        harmless = self._harmless()
        stream = conn.stream
        names = _FLAG_NAMES
        for i, s in enumerate(segs):
            if keep is not None and i not in keep:
                skipped.append(s)
                continue
            if skipped:
                rows.append(row := _skipped_row(skipped, peer, rel, conn.stream, self.lang))
                at[id(row)] = skipped[0].frame
                skipped = []
            # the fields by unpacking, not by name (a NamedTuple's attribute is a descriptor call each)
            frame, ts_ns, direction, flags, _seq, _ack, rel_seq, rel_ack, length, window, analysis, _rto, _id, \
                _ttl = s
            fl = names.get(flags) or flag_names(flags)
            text = f"{fl} seq={rel_seq} ack={rel_ack}" if flags & ACK else f"{fl} seq={rel_seq}"
            if length:
                text += f" len={length}"
            if window == 0 and not flags & RST:
                text += " win=0"
            note = notes.get(frame)
            if note is None:
                if analysis & TROUBLE:
                    note = _analysis_note(analysis, self.lang)
                elif length:
                    if data_note is None:
                        data_note = self._note("note.data")
                    note = data_note
                else:
                    note = ""
            label_ = f"{text}  {note}" if note else text
            # red for a problem: what a problem step cites, and a flag no step tells as harmless
            problem = frame in problem_frames or bool(analysis & TROUBLE) and frame not in harmless
            rows.append(LadderRow(frame, rel(ts_ns), "client" if direction == 0 else "peer", peer,
                                  "http" if length and frame in notes else "tcp", label_, stream, problem))
        if skipped:
            rows.append(row := _skipped_row(skipped, peer, rel, conn.stream, self.lang))
            at[id(row)] = skipped[0].frame
        return rows


def _all_acked(conn: ConnFacts, ts_ns: int, side: int) -> bool:
    """Every byte (and SYN, FIN) ``side`` of ``conn`` (0 the client) sent by ``ts_ns`` was acknowledged by the
    other side by then, as the capture shows it (an ACK not captured leaves it unacknowledged)."""
    end, acked = [0, 0], [0, 0]
    for s in conn.segments:
        if s.ts_ns > ts_ns:
            break
        d = s.direction
        end[d] = max(end[d], s.rel_seq + s.length + (1 if s.flags & (SYN | FIN) else 0))
        if s.flags & ACK:
            acked[d] = max(acked[d], s.rel_ack)
    return end[side] <= acked[1 - side]


def _expects_continue(req: Any) -> bool:
    """The request asks for a 100 Continue before it sends its body (RFC 9110 10.1.1)."""
    return (req.headers.get("expect") or "").strip().lower() == "100-continue"


def _at_once(requests: list[RequestTiming]) -> bool:
    """A request began on a connection before the one before it there was over (its last phase ended)."""
    busy: dict[int, float] = {}         # stream -> when its requests so far were over
    for r in sorted(requests, key=lambda r: r.start):
        until = busy.get(r.stream)
        if until is not None and r.start < until:
            return True
        busy[r.stream] = max(until or 0.0, max((p.end for p in r.phases), default=r.start))
    return False


def _client_sent(conn: ConnFacts) -> bool:
    """The client sent data on the connection: an HTTP request, or any payload (over TLS: an application-data
    record after its handshake)."""
    if conn.records:
        return True
    if conn.tls is None:
        return any(s.length and s.direction == 0 for s in conn.segments)
    done = tls_done(conn.tls, conn.client_port)
    return done is not None and any(r.direction == conn.tls.client_dir and r.frame > done[0]
                                    for r in conn.tls.app_data)


def tls_done(tls: Any, client_port: int) -> tuple[int, int, str] | None:
    """When the client could send application data (the TLS handshake done, from its side): (frame, ts_ns,
    how). TLS 1.3: its own Finished (seen decrypted, or without keys the first client record of type
    application_data after the ServerHello, which is that Finished); TLS 1.2: the server's ChangeCipherSpec
    (its Finished follows), or, resumed, the client's own ChangeCipherSpec."""
    sh = tls.server_hello
    if sh is None:
        return None
    c = tls.client_dir
    v13 = (sh.version or "").endswith("1.3")
    finished = [m for m in tls.handshake if m.kind == "finished" and m.direction == c and m.ts_ns >= sh.ts_ns]
    if v13:
        if finished:
            return finished[0].frame, finished[0].ts_ns, "finished"
        first = next((r for r in tls.app_data if r.direction == c and r.frame >= sh.frame), None)
        if first is not None and first.length >= FINISHED_13_MIN:
            return first.frame, first.ts_ns, "guess13"
        return None         # none, or too short for a Finished: an alert in its place (tls_failure)
    ccs = [r for r in tls.change_cipher_spec if r.frame >= sh.frame]
    mine = [r for r in ccs if r.direction == c]
    theirs = [r for r in ccs if r.direction != c]
    if tls.resumed and mine:
        return mine[0].frame, mine[0].ts_ns, "ccs12.client"
    if theirs:
        return theirs[0].frame, theirs[0].ts_ns, "ccs12.server"
    return None


# The shortest TLS 1.3 Finished record: a 4-byte handshake header, verify_data of 32 bytes (SHA-256; 48 with
# SHA-384), the content type and a 16-byte AEAD tag (RFC 8446 4.4.4, 5.2)
FINISHED_13_MIN = 4 + 32 + 1 + 16


@dataclass(frozen=True, slots=True)
class TlsFailure:
    """How a TLS handshake failed: the record that ended it, who sent it and the alert's description when it
    could be read (None: an encrypted alert, known by its size only)."""

    frame: int
    ts_ns: int
    who: str
    description: str | None


def tls_failure(tls: Any) -> TlsFailure | None:
    """The TLS handshake failed: a fatal alert before the handshake was done, in clear (as TLS 1.2 sends its
    alerts, and a TLS 1.3 peer before it turns its own keys on) or decrypted with the key log; or, in TLS 1.3
    without keys, the encrypted alert a client sent in place of its Finished (:mod:`analyzer.apps.tls.session`
    tells it by its size, far too short for a Finished): it refused the server's flight, most often its
    certificate, which TLS 1.3 sends encrypted."""
    done = tls_done(tls, 0)
    c = tls.client_dir
    for a in tls.alerts:
        if done is not None and a.frame > done[0]:
            break
        if a.level == "Fatal" and a.description is not None:
            return TlsFailure(a.frame, a.ts_ns, "client" if a.direction == c else "server", a.description)
        if a.level is None and done is None and a.direction == c and tls.server_hello is not None:
            return TlsFailure(a.frame, a.ts_ns, "client", None)
    return None


def _tls_dict(tls: Any) -> dict[str, Any] | None:
    if tls is None:
        return None
    return {"version": tls.version, "cipher_suite": tls.cipher_suite, "alpn": tls.alpn, "sni": tls.sni,
            "resumed": tls.resumed, "decrypted": tls.decrypted, "key_problem": tls.key_problem,
            "client_hello_frame": tls.client_hello.frame if tls.client_hello else None,
            "server_hello_frame": tls.server_hello.frame if tls.server_hello else None,
            "failed": _failure_dict(tls_failure(tls))}


def _failure_dict(f: TlsFailure | None) -> dict[str, Any] | None:
    return None if f is None else {"frame": f.frame, "by": f.who, "alert": f.description}


def _skipped_row(skipped: list[Segment], peer: str, rel: Any, stream: int, lang: str) -> LadderRow:
    data = sum(1 for s in skipped if s.length)
    nbytes = sum(s.length for s in skipped)
    return LadderRow(0, rel(skipped[0].ts_ns), "client", peer, "tcp",
                     note("note.skipped", {"n": len(skipped), "a": skipped[0].frame, "b": skipped[-1].frame,
                                           "d": data, "nbytes": nbytes}, lang), stream)


def _analysis_note(a: int, lang: str = "en") -> str:
    for bit, key in ((A_FAST_RETRANSMISSION, "fast"), (A_SPURIOUS_RETRANSMISSION, "spurious"),
                     (A_RETRANSMISSION, "retransmission"), (A_LOST_PACKET, "lost"), (A_OUT_OF_ORDER, "ooo"),
                     (A_DUPLICATE_ACK, "dup"), (A_ZERO_WINDOW_PROBE, "zwp"), (A_ZERO_WINDOW, "zw"),
                     (A_ACK_LOST_PACKET, "ack_lost"), (A_KEEP_ALIVE, "keep_alive"), (A_WINDOW_FULL, "window_full")):
        if a & bit:
            return note(f"note.a.{key}", {}, lang)
    return ""


def _timer_like(ms: float, rtt_ms: float) -> bool:
    """A wait that matches a retransmission timer's first firing: Linux's minimum timeout (MIN_RTO_MS) up to a
    fifth more, plus three round trips and 5 ms of slack (a lost answer, a lost flight, a tail loss)."""
    return MIN_RTO_MS <= ms <= MIN_RTO_MS * 1.2 + 3 * rtt_ms + 5


def _first_copy(conn: ConnFacts, r: Segment) -> Segment | None:
    """The first segment before ``r``, the same way, that carried ``r``'s first sequence number (its
    original): a byte, or the FIN (or SYN) that takes one."""
    seq = r.rel_seq
    for s in conn.segments:
        if s.frame >= r.frame:
            return None
        if s.direction == r.direction and s.rel_seq <= seq < s.rel_seq + s.length + bool(s.flags & (FIN | SYN)):
            return s
    return None


def _last_sent_before(conn: ConnFacts, orig: Segment, r: Segment) -> bool:
    """Nothing was sent the same way as ``r`` between its first copy ``orig`` and it, and ``orig`` was the last
    segment of the sender with bytes or a FIN before that (the sender's tail: nothing after it to draw an ACK)."""
    segs = conn.segments
    lo = bisect_left(segs, orig.frame, key=lambda s: s.frame)
    hi = bisect_left(segs, r.frame, key=lambda s: s.frame)
    return not any(s.direction == r.direction and (s.length or s.flags & (FIN | SYN)) for s in segs[lo + 1:hi])


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 3] + "..."


def _endpoint(addr: str, port: int) -> str:
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def _last_sent(lk: DnsLookup) -> int:
    """When a lookup's query was last sent (its last retransmission, if any)."""
    return lk.retransmission_times[-1] if lk.retransmission_times else lk.query_ts_ns


def _http_inside(conn: ConnFacts) -> bool:
    """The connection's own HTTP was read (in clear, or decrypted): a proxy tunnel's CONNECTs do not count."""
    return any(not is_tunnel_setup(conn, r) for r in conn.records)


def _conn_url(conn: ConnFacts, host: str) -> str:
    if conn.tls is not None and conn.tls.tunnel is not None:
        return tunnel_url(conn.tls.tunnel if not host or is_ip(host) else
                          host + conn.tls.tunnel[conn.tls.tunnel.rfind(":"):])
    name = host or conn.server
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"
    scheme = "https" if conn.server_port == 443 or conn.tls is not None else "http"
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{name}/" if conn.server_port == default else f"{scheme}://{name}:{conn.server_port}/"


def _with_ends(frames: tuple[int, ...], first: int, last: int) -> tuple[int, ...]:
    """The frames of a message: those it owns (:func:`~analyzer.timeline.tcp.owners`: a segment belongs to
    the message its first byte is in; a FIN or RST segment to the teardown) and the frames of its first and
    last bytes. With pipelined messages a segment can end one message and start the next: the next one's
    step cites it too, as tshark lists it among the segments its PDU was reassembled from (and its time to
    first byte is measured to it); a response whose last bytes ride on the server's FIN cites that frame."""
    if not frames:
        return (first,) if last == first else tuple(sorted({first, last}))
    if (first in frames or first > frames[0]) and (last in frames or last < frames[-1]):
        return frames
    return tuple(sorted({first, last, *frames}))


def _uri_of(steps: tuple[Step, ...], st: Step) -> str:
    for s in steps:
        if s.kind == "http.response" and s.frames and st.frames and s.frames[0] == st.frames[0]:
            return s.facts.get("uri", "")
    return ""


def _dup_acks_between(conn: ConnFacts, after: int | None, r: Segment) -> list[Segment]:
    """The duplicate ACKs the receiver of ``r`` sent before it (and after frame ``after``, when given)."""
    segs = conn.segments
    hi = bisect_left(segs, r.frame, key=lambda s: s.frame)
    lo = bisect_right(segs, after, lo=0, hi=hi, key=lambda s: s.frame) if after is not None else 0
    return [d for d in segs[lo:hi] if d.analysis & A_DUPLICATE_ACK and d.direction != r.direction]


def _message_frames(tx: Any) -> tuple[int, ...]:
    """The first and last frames of a transaction's request and response (those it has)."""
    out = []
    for msg, end in ((tx.request, tx.request_end), (tx.response, tx.response_end)):
        if msg is not None:
            out.append(msg.first_frame)
            if end is not None:
                out.append(end.last_frame)
    return tuple(out)


def _uncovered(carried: tuple[list[int], list[int]], lo: int, hi: int) -> list[tuple[int, int]]:
    """The parts of [lo, hi) outside the merged ranges (starts, ends)."""
    starts, ends = carried
    out: list[tuple[int, int]] = []
    j = bisect_right(ends, lo)
    pos = lo
    while pos < hi:
        if j == len(starts) or starts[j] >= hi:
            out.append((pos, hi))
            break
        if starts[j] > pos:
            out.append((pos, starts[j]))
        pos = max(pos, ends[j])
        j += 1
    return out


def _unread_name(a: StrayAnswer) -> bool:
    """A query whose question cannot be read, or an answer whose question's name loops: neither names a host."""
    return a.unread or a.qname == LOOP_NAME


def build_fetch(plan: Plan, index: int, history: History, lang: str, *, capture_end_ns: int | None,
                links_of: dict[tuple[int, int], bytes], keep_bodies: bool = False, ladder: bool = True) -> Fetch:
    """One fetch from its plan (see the module docstring); ``ladder=False``: without its ladder rows
    (``Fetch.ladder`` empty: for outputs that print none, JSON and HAR)."""
    return FetchBuilder(plan, index, history, lang, capture_end_ns=capture_end_ns, links_of=links_of,
                        keep_bodies=keep_bodies, ladder=ladder).build()


def icmp_reason(e: IcmpError) -> str:
    """What an ICMP/ICMPv6 error says about a TCP SYN it quotes: "port" (nothing listens: the host's own
    stack answered), "prohibited" (a filter rejected it), "unreachable" (no route to the network or host),
    "other"."""
    v6 = ":" in e.quoted_dst
    kind = (e.type, e.code)
    if kind in (((1, 4),) if v6 else ((3, 3),)):
        return "port"
    if kind in (((1, 1), (1, 5), (1, 6)) if v6 else ((3, 9), (3, 10), (3, 13))):
        return "prohibited"
    if kind in (((1, 0), (1, 2), (1, 3)) if v6 else ((3, 0), (3, 1), (3, 6), (3, 7), (3, 11), (3, 12))):
        return "unreachable"
    return "other"
