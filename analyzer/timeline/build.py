"""From what a capture holds (:class:`~analyzer.timeline.facts.CaptureFacts`) to page fetches (sans-IO).

Theory of operation
-------------------
1. Every HTTP transaction whose request was seen becomes a request record, with its absolute URL
   (``http://`` + Host header + target; the server address when there is no Host; an absolute-form target
   as it is) and its Referer (fragment dropped).
2. The records are taken in the order their requests began and **grouped into page fetches** by these
   rules, all of which need the same client address:

   a. *Document.* A request is a page document when its response is HTML (``text/html``,
      ``application/xhtml+xml``), when it says ``Sec-Fetch-Dest: document``, or when it got no
      Content-Type (a 304, no response) and another request of the client names it as Referer.
      A document starts a new fetch, except an *embedded* one (a frame): ``Sec-Fetch-Dest: iframe`` or
      ``frame``, or, without fetch metadata, a document whose Referer names a request of a fetch that is
      still loading (this request began before that fetch's last response ended, or at most
      :data:`EMBED_WINDOW_NS` (1 s) after). An embedded document is a resource of that fetch.
      ``Sec-Fetch-Mode: navigate`` with ``Sec-Fetch-Dest: document`` is always a new page (a link
      followed), and so is an HTML document whose Referer page finished loading more than 1 s earlier.
   b. *Referer.* Any other request joins the latest fetch holding a request whose URL equals its Referer;
      when the Referer is only an origin (``http://host/``, as sent cross-origin), the latest fetch
      with a request of that origin.
   c. *Same connection.* Without a usable Referer, a request joins the fetch that last used its TCP
      connection (keep-alive).
   d. *Window.* Otherwise it joins the client's latest fetch if it began at most
      :data:`PAGE_WINDOW_NS` (3 s) after that fetch's last activity (a request sent or a response
      ended): parallel connections of a page, HTTP/1.0 short connections without Referer.
   e. Otherwise it starts a fetch of its own (a lone download is a fetch too).
3. What else belongs to a fetch:

   * *DNS*: the client's lookups of a host name of the fetch (the name itself, or the name with a search
     domain appended: ``host.``...), sent at most :data:`LOOKBACK_NS` (5 s) before the fetch first used
     that host and no later than it last opened a connection or sent a request to it, not already taken
     by an earlier fetch. None for a host the fetch connected to: a step says the answer was cached
     (or that the URL names an IP address).
   * *ARP*: the client's ARP requests (not gratuitous) from :data:`LOOKBACK_NS` before the fetch's
     first DNS query or connection until its last request, and their replies. The target is called the
     server when it is one of the fetch's servers, the DNS server when it is the resolver, else the
     gateway. None: a step says why (cached, loopback, IPv6 uses Neighbor Discovery).
   * *TCP*: a connection's handshake belongs to the fetch that sent its first request; its teardown and
     resets to the fetch that sent its last one; a later fetch reusing it gets a "reused" step; its
     segments go to each fetch from the fetch's first request on it (from its first segment for the
     fetch that opened it) until the next fetch's first request on it.

4. Per request the timings follow HAR: ``dns`` (for the first request on a connection: the lookups of
   its host answered before the connection opened and not used by an earlier connection: first query
   to last answer), ``connect`` (first request on a connection whose SYN was captured: SYN to the
   client's handshake ACK, or to the request when the ACK rides on it), ``send`` (first to last byte of
   the request), ``wait`` (last request byte to first response byte: the time to first byte),
   ``receive`` (first to last response byte), ``blocked`` (the gaps between the phases before the
   request: -1 when there were none to have). A phase that did not happen is -1.

Steps are sorted in capture order (by their first frame; a step with no frame, such as "no DNS lookup
captured", goes just before the frame it explains). Times are seconds since the fetch's first frame.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from analyzer.decode.dns import RCODE_NAMES
from analyzer.timeline.facts import ACK, FIN, PSH, RST, SYN, CaptureFacts, DnsLookup, TcpSegment
from analyzer.timeline.model import (
    NOT_APPLICABLE,
    ConnectionUse,
    Fetch,
    FetchSummary,
    LadderRow,
    Phase,
    RequestTiming,
    Step,
    Timeline,
)
from analyzer.timeline.texts import explain

PAGE_WINDOW_NS = 3_000_000_000
EMBED_WINDOW_NS = 1_000_000_000
LOOKBACK_NS = 5_000_000_000
DOCUMENT_TYPES = ("text/html", "application/xhtml+xml")
_ROLE = {"orig": "client", "resp": "server", "both": "both", None: None}


# -- request records ----------------------------------------------------------------------------------
@dataclass(slots=True)
class _Req:
    stream: int
    index: int
    tx: Any
    client: str
    client_port: int
    server: str
    server_port: int
    method: str
    target: str
    version: str
    host_header: str
    host: str  # name or address, no port, no brackets
    url: str
    referer: str | None
    dest: str
    mode: str
    content_type: str
    start_ns: int
    req_end_ns: int
    resp_start_ns: int | None
    resp_end_ns: int | None
    request_frame: int
    response_frame: int | None

    @property
    def last_activity_ns(self) -> int:
        return self.resp_end_ns if self.resp_end_ns is not None else self.req_end_ns

    def is_html(self) -> bool:
        return self.content_type in DOCUMENT_TYPES or self.dest == "document"


@dataclass(slots=True)
class _Group:
    client: str
    requests: list[_Req] = field(default_factory=list)
    last_activity_ns: int = 0

    def add(self, r: _Req) -> None:
        self.requests.append(r)
        self.last_activity_ns = max(self.last_activity_ns, r.last_activity_ns, r.start_ns)


def _strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def _host_name(host_header: str) -> str:
    h = host_header.strip()
    if h.startswith("["):
        return h[1:].split("]", 1)[0]
    if h.count(":") == 1:
        return h.split(":", 1)[0]
    return h


def _url(target: str, host_header: str, server: str, server_port: int) -> str:
    if "://" in target[:16]:
        return target
    if not host_header:
        addr = f"[{server}]" if ":" in server else server
        host_header = addr if server_port == 80 else f"{addr}:{server_port}"
    if target.startswith("/"):
        return f"http://{host_header}{target}"
    if target == "*":
        return f"http://{host_header}"
    return f"http://{host_header}/{target}"


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def request_records(facts: CaptureFacts) -> list[_Req]:
    """The HTTP transactions with a request, as records in the order the requests began."""
    out = []
    for ex in facts.http:
        tx = ex.transaction
        req = tx.request
        if req is None:
            continue
        conn = facts.connections.get(ex.stream)
        client, cport, server, sport = ((conn.client, conn.client_port, conn.server, conn.server_port)
                                        if conn is not None else ("?", 0, "?", 0))
        h = req.headers
        host_header = h.get("host") or ""
        host = _host_name(host_header) if host_header else server
        url = _strip_fragment(_url(req.target, host_header, server, sport))
        if "://" in req.target[:16]:
            host = _split(req.target)[1].rsplit("@", 1)[-1] or host
            host = _host_name(host)
        referer = h.get("referer")
        resp = tx.response
        end = tx.request_end
        req_end_ns = end.last_ts_ns if end is not None else (req.head_ts_ns or req.first_ts_ns)
        request_frame = end.last_frame if end is not None else (req.head_frame or req.first_frame)
        resp_start = resp.first_ts_ns if resp is not None else None
        rend = tx.response_end
        resp_end = (rend.last_ts_ns if rend is not None else (resp.head_ts_ns or resp.first_ts_ns)) \
            if resp is not None else None
        response_frame = (rend.last_frame if rend is not None else (resp.head_frame or resp.first_frame)) \
            if resp is not None else None
        out.append(_Req(
            stream=ex.stream, index=tx.index, tx=tx, client=client, client_port=cport, server=server,
            server_port=sport, method=req.method, target=req.target, version=req.version,
            host_header=host_header, host=host, url=url,
            referer=_strip_fragment(referer.strip()) if referer else None,
            dest=(h.get("sec-fetch-dest") or "").strip().lower(),
            mode=(h.get("sec-fetch-mode") or "").strip().lower(),
            content_type=_media_type(resp.headers.get("content-type")) if resp is not None else "",
            start_ns=req.first_ts_ns, req_end_ns=req_end_ns, resp_start_ns=resp_start, resp_end_ns=resp_end,
            request_frame=request_frame, response_frame=response_frame))
    out.sort(key=lambda r: (r.start_ns, r.tx.request.first_frame))
    return out


# -- grouping -----------------------------------------------------------------------------------------
def _split(url: str) -> tuple[str, str, str]:
    """(scheme, authority, path-and-query) of an absolute URL, without judging the authority (a packet may
    hold anything there); ("", "", url) for anything else."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.isalpha():
        return "", "", url
    authority, slash, path = rest.partition("/")
    return scheme, authority, slash + path


def _origin(url: str) -> str | None:
    scheme, authority, _path = _split(url)
    if not scheme or not authority:
        return None
    return f"{scheme.lower()}://{authority.lower()}"


def group_requests(reqs: list[_Req]) -> list[_Group]:
    """Rules 2a-2e of the module docstring; ``reqs`` in the order they began."""
    groups: list[_Group] = []
    referenced = {(r.client, r.referer) for r in reqs if r.referer}
    by_url: dict[tuple[str, str], _Group] = {}
    by_stream: dict[int, _Group] = {}

    def referer_group(r: _Req) -> _Group | None:
        if not r.referer:
            return None
        g = by_url.get((r.client, r.referer))
        if g is not None:
            return g
        if _split(r.referer)[2] in ("", "/"):
            origin = _origin(r.referer)
            for cand in reversed(groups):
                if cand.client == r.client and any(_origin(x.url) == origin for x in cand.requests):
                    return cand
        return None

    def window_group(r: _Req) -> _Group | None:
        for cand in reversed(groups):
            if cand.client == r.client:
                if r.start_ns - cand.last_activity_ns <= PAGE_WINDOW_NS:
                    return cand
                return None
        return None

    for r in reqs:
        target: _Group | None = None
        document = r.is_html() or (not r.content_type and (r.client, r.url) in referenced)
        if document and r.dest not in ("iframe", "frame", "embed", "object"):
            navigate = r.dest == "document" and r.mode == "navigate"
            if not navigate:
                parent = referer_group(r)
                if parent is not None and r.start_ns <= parent.last_activity_ns + EMBED_WINDOW_NS:
                    target = parent  # a frame of a page still loading
        else:
            target = referer_group(r)
            if target is None:
                g = by_stream.get(r.stream)
                target = g if g is not None and g.client == r.client else None
            if target is None:
                target = window_group(r)
        if target is None:
            target = _Group(r.client)
            groups.append(target)
        target.add(r)
        by_url[(r.client, r.url)] = target
        by_stream[r.stream] = target
    return groups


# -- helpers ------------------------------------------------------------------------------------------
def _ms(ns: float) -> float:
    return ns / 1e6


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback(addr: str) -> bool:
    try:
        return ipaddress.ip_address(addr).is_loopback
    except ValueError:
        return False


def flag_names(flags: int) -> str:
    """TCP flags as Wireshark lists them: "SYN, ACK", "FIN, PSH, ACK"."""
    names = [n for bit, n in ((FIN, "FIN"), (SYN, "SYN"), (RST, "RST"), (PSH, "PSH"), (ACK, "ACK"),
                              (0x20, "URG"), (0x40, "ECE"), (0x80, "CWR")) if flags & bit]
    return ", ".join(names) or "<none>"


def _options_text(opts: dict[str, Any] | None) -> str:
    if not opts:
        return "no options"
    parts = []
    if opts.get("mss"):
        parts.append(f"MSS {opts['mss']}")
    if opts.get("wscale") is not None:
        parts.append(f"window scale {opts['wscale']} (x{1 << min(opts['wscale'], 14)})")
    if opts.get("sack_perm"):
        parts.append("SACK permitted")
    if opts.get("timestamps"):
        parts.append("timestamps")
    return ", ".join(parts) or "no options"


class _Segments:
    """The TCP segments, by frame and by stream (in frame order)."""

    def __init__(self, segments: tuple[TcpSegment, ...]):
        self.by_frame = {s.frame: s for s in segments}
        self.by_stream: dict[int, list[TcpSegment]] = defaultdict(list)
        for s in segments:
            self.by_stream[s.stream].append(s)
        self.frames = {k: [s.frame for s in v] for k, v in self.by_stream.items()}

    def ts(self, frame: int | None) -> int | None:
        s = self.by_frame.get(frame) if frame else None
        return s.ts_ns if s is not None else None

    def carrying(self, stream: int, direction: int, first: int, last: int) -> tuple[int, ...]:
        """Frames of ``stream`` with payload in ``direction`` between ``first`` and ``last``."""
        segs = self.by_stream.get(stream, [])
        frames = self.frames.get(stream, [])
        lo, hi = bisect_left(frames, first), bisect_right(frames, last)
        out = tuple(s.frame for s in segs[lo:hi] if s.direction == direction and s.length
                    and not s.retransmission)
        return out or (first,)

    def window(self, stream: int, lo_ns: int, hi_ns: int | None) -> list[TcpSegment]:
        return [s for s in self.by_stream.get(stream, []) if s.ts_ns >= lo_ns and (hi_ns is None or
                                                                                  s.ts_ns < hi_ns)]


@dataclass(slots=True)
class _RawStep:
    order: float
    ts_ns: int | None
    frames: tuple[int, ...]
    layer: str
    step: str
    template: str
    facts: dict[str, Any]


# -- building -----------------------------------------------------------------------------------------
def build(facts: CaptureFacts, lang: str = "en") -> Timeline:
    """Group the capture's HTTP requests into page fetches and explain each fetch step by step."""
    reqs = request_records(facts)
    groups = group_requests(reqs)
    segs = _Segments(facts.segments)
    first_use: dict[int, _Group] = {}
    last_use: dict[int, _Group] = {}
    first_index: dict[int, int] = {}
    for g in groups:
        for r in g.requests:
            first_use.setdefault(r.stream, g)
            last_use[r.stream] = g
            first_index[r.stream] = min(first_index.get(r.stream, r.index), r.index)
    claimed_dns: set[int] = set()
    claimed_arp: set[int] = set()
    fetches = []
    for i, g in enumerate(groups):
        fetches.append(_FetchBuilder(facts, g, groups, segs, first_use, last_use, first_index, claimed_dns,
                                     claimed_arp, lang).build(i + 1))
    return Timeline(tuple(fetches), lang)


def select(timeline: Timeline, host: str | None = None, url: str | None = None,
           client: str | None = None) -> Timeline:
    """The fetches whose page host is ``host`` (any case), whose page URL contains ``url``, whose client
    is ``client``; None selects all."""
    out = []
    for f in timeline.fetches:
        if host is not None and f.host.lower() != host.lower():
            continue
        if url is not None and url not in f.url:
            continue
        if client is not None and f.client != client:
            continue
        out.append(f)
    return Timeline(tuple(out), timeline.lang)


class _FetchBuilder:
    def __init__(self, facts: CaptureFacts, group: _Group, groups: list[_Group], segs: _Segments,
                 first_use: dict, last_use: dict, first_index: dict, claimed_dns: set, claimed_arp: set,
                 lang: str):
        self.facts = facts
        self.g = group
        self.groups = groups
        self.segs = segs
        self.first_use = first_use
        self.last_use = last_use
        self.first_index = first_index
        self.claimed_dns = claimed_dns
        self.claimed_arp = claimed_arp
        self.lang = lang
        self.steps: list[_RawStep] = []
        self.frame_notes: dict[int, str] = {}

    # -- the parts -----------------------------------------------------------------------------------
    def build(self, index: int) -> Fetch:
        g = self.g
        doc = g.requests[0]
        streams = list(dict.fromkeys(r.stream for r in g.requests))
        self.streams = streams
        self.conn_start = {s: self._conn_open_ns(s) for s in streams}
        lookups = self._dns()
        self._dns_steps(lookups)
        self._tcp_steps()
        timings_raw = self._timings(lookups)
        self._http_steps(timings_raw)
        self._arp_steps(lookups)
        self.steps.sort(key=lambda s: (s.order, s.ts_ns or 0))
        times = [s.ts_ns for s in self.steps if s.ts_ns is not None]
        times += [t for r in g.requests for t in (r.start_ns,) if t]
        start_ns = min(times)
        steps = tuple(self._finish_step(s, start_ns) for s in self.steps)
        requests = tuple(self._request_timing(r, timings_raw[id(r)], start_ns, r is doc) for r in g.requests)
        connections = tuple(self._connection_use(s) for s in streams)
        ladder = self._ladder(lookups, start_ns)
        summary = self._summary(requests, start_ns, lookups)
        return Fetch(index=index, url=doc.url, host=doc.host, client=g.client, server=doc.server,
                     server_port=doc.server_port, start_ns=start_ns, steps=steps, requests=requests,
                     summary=summary, connections=connections, ladder=ladder)

    def _add(self, order: float, ts_ns: int | None, frames: tuple[int, ...], layer: str, step: str,
             template: str, **facts: Any) -> None:
        self.steps.append(_RawStep(order, ts_ns, frames, layer, step, template, facts))

    def _finish_step(self, s: _RawStep, start_ns: int) -> Step:
        frame: int | tuple[int, ...] = s.frames[0] if len(s.frames) == 1 else s.frames
        t = (s.ts_ns - start_ns) / 1e9 if s.ts_ns is not None else 0.0
        return Step(frame=frame, time=max(t, 0.0), layer=s.layer, step=s.step,
                    text=explain(s.template, s.facts, self.lang), template=s.template, facts=s.facts)

    def _conn(self, stream: int):
        return self.facts.connections.get(stream)

    def _owner(self, stream: int) -> bool:
        return self.first_use.get(stream) is self.g

    def _conn_open_ns(self, stream: int) -> int:
        """When this fetch began to use the connection: its SYN (or first segment) if it opened it."""
        first_req = min(r.start_ns for r in self.g.requests if r.stream == stream)
        if self._owner(stream):
            conn = self._conn(stream)
            if conn is not None and conn.summary.get("first_ts_ns") is not None:
                return min(conn.summary["first_ts_ns"], first_req)
        return first_req

    # -- DNS -----------------------------------------------------------------------------------------
    def _dns(self) -> list[DnsLookup]:
        """The lookups of this fetch (rule 3, DNS), claimed so no later fetch takes them."""
        uses: dict[str, list[int]] = defaultdict(list)
        for r in self.g.requests:
            if _is_ip(r.host):
                continue
            uses[r.host.lower()].append(self.conn_start[r.stream] if r.index == self.first_index[r.stream]
                                        else r.start_ns)
        out = []
        for lk in self.facts.dns:
            if lk.query_frame in self.claimed_dns or lk.client != self.g.client:
                continue
            name = lk.qname.lower().rstrip(".")
            for host, times in uses.items():
                if (name == host or name.startswith(host + ".")) and \
                        min(times) - LOOKBACK_NS <= lk.query_ts_ns <= max(times):
                    out.append(lk)
                    self.claimed_dns.add(lk.query_frame)
                    break
        return out

    def _dns_steps(self, lookups: list[DnsLookup]) -> None:
        hosts_with_lookup = set()
        for lk in lookups:
            host = self._host_of(lk)
            hosts_with_lookup.add(host)
            resent = ""
            if lk.retransmissions:
                resent = f"; sent again in frame {', '.join(map(str, lk.retransmissions))}"
            common = {"qname": lk.qname, "qtype": lk.qtype, "id": lk.id, "id_hex": f"0x{lk.id:04x}",
                      "resolver": lk.server, "transport": lk.transport.upper(), "host": host,
                      "client": lk.client}
            template = "dns.query" if lk.qname.lower().rstrip(".") == host else "dns.query.search"
            self._add(lk.query_frame, lk.query_ts_ns, (lk.query_frame,) + lk.retransmissions, "dns",
                      "dns.query", template, resent=resent, **common)
            self.frame_notes[lk.query_frame] = f"DNS query {lk.qtype} {lk.qname}"
            if lk.response_frame is None:
                self._add(lk.query_frame + 0.5, lk.query_ts_ns, (), "dns", "dns.answer", "dns.no_answer", **common)
                continue
            rtt = _ms(lk.response_ts_ns - lk.query_ts_ns)
            addresses = lk.addresses
            chain = [lk.qname, *lk.cnames]
            ttl = min((a.ttl for a in lk.answers), default=0)
            if lk.rcode == 3:
                template = "dns.answer.nxdomain"
            elif lk.rcode:
                template = "dns.answer.error"
            elif not addresses:
                template = "dns.answer.empty"
            elif lk.cnames:
                template = "dns.answer.cname"
            else:
                template = "dns.answer"
            chain_note = f" (CNAME chain {' -> '.join(chain)})" if lk.cnames else ""
            self._add(lk.response_frame, lk.response_ts_ns, (lk.response_frame,), "dns", "dns.answer", template,
                      rtt_ms=rtt, addresses=", ".join(addresses) or "-", address_list=list(addresses),
                      cnames=list(lk.cnames), chain=" -> ".join(chain), chain_note=chain_note, ttl=ttl,
                      rcode=lk.rcode, rcode_name=RCODE_NAMES.get(lk.rcode or 0, str(lk.rcode)), **common)
            if addresses:
                note = ", ".join(addresses)
            elif lk.rcode:
                note = RCODE_NAMES.get(lk.rcode, f"rcode {lk.rcode}")
            else:
                note = f"no {lk.qtype} record"
            self.frame_notes[lk.response_frame] = f"DNS answer: {note}"
        # a host the fetch connected to without a lookup
        seen = set()
        for r in self.g.requests:
            host = r.host.lower()
            if host in seen or host in hosts_with_lookup:
                continue
            if r.index != self.first_index[r.stream] or not self._owner(r.stream):
                continue  # reused connection: no lookup expected
            seen.add(host)
            order = self._first_frame_of_stream(r.stream) - 0.5
            template = "dns.none.literal" if _is_ip(r.host) else "dns.none.cached"
            self._add(order, self.conn_start[r.stream], (), "dns", "dns.none", template, host=r.host,
                      server=r.server)

    def _host_of(self, lk: DnsLookup) -> str:
        name = lk.qname.lower().rstrip(".")
        hosts = sorted({r.host.lower() for r in self.g.requests}, key=len, reverse=True)
        for h in hosts:
            if name == h or name.startswith(h + "."):
                return h
        return name

    def _first_frame_of_stream(self, stream: int) -> int:
        if self._owner(stream):
            conn = self._conn(stream)
            if conn is not None and conn.summary.get("first_frame"):
                return conn.summary["first_frame"]
        return min(r.tx.request.first_frame for r in self.g.requests if r.stream == stream)

    # -- ARP -----------------------------------------------------------------------------------------
    def _arp_steps(self, lookups: list[DnsLookup]) -> None:
        g = self.g
        begin = min([lk.query_ts_ns for lk in lookups] + list(self.conn_start.values()))
        end = max(r.start_ns for r in g.requests)
        servers = {r.server for r in g.requests}
        resolvers = {lk.server for lk in lookups}
        first_frame = min([s.frames[0] for s in self.steps if s.frames] +
                          [r.tx.request.first_frame for r in g.requests])
        found = False
        for a in self.facts.arp:
            if a.opcode != 1 or a.frame in self.claimed_arp or a.sender_ip != g.client \
                    or a.target_ip == a.sender_ip or not begin - LOOKBACK_NS <= a.ts_ns <= end:
                continue
            found = True
            self.claimed_arp.add(a.frame)
            kind = "server" if a.target_ip in servers else "resolver" if a.target_ip in resolvers else "gateway"
            self._add(a.frame, a.ts_ns, (a.frame,), "arp", "arp.request", f"arp.request.{kind}",
                      client=g.client, target=a.target_ip, server=g.requests[0].server, role=kind)
            self.frame_notes[a.frame] = f"ARP who has {a.target_ip}?"
            for b in self.facts.arp:
                if b.opcode == 2 and b.frame > a.frame and b.frame not in self.claimed_arp \
                        and b.sender_ip == a.target_ip and b.target_ip == g.client:
                    self.claimed_arp.add(b.frame)
                    self._add(b.frame, b.ts_ns, (b.frame,), "arp", "arp.reply", "arp.reply", target=b.sender_ip,
                              mac=b.sender_mac, rtt_ms=_ms(b.ts_ns - a.ts_ns), client=g.client)
                    self.frame_notes[b.frame] = f"ARP {b.sender_ip} is at {b.sender_mac}"
                    break
        if not found:
            if _is_loopback(g.client):
                template = "arp.none.loopback"
            elif ":" in g.client:
                template = "arp.none.ipv6"
            else:
                template = "arp.none.cached"
            self._add(first_frame - 0.75, None, (), "arp", "arp.none", template, client=g.client,
                      server=g.requests[0].server)

    # -- TCP -----------------------------------------------------------------------------------------
    def _seg_facts(self, frame: int | None) -> dict[str, Any]:
        s = self.segs.by_frame.get(frame) if frame else None
        if s is None:
            return {}
        return {"seq": s.seq, "ack": s.ack, "seq_raw": s.seq_raw, "ack_raw": s.ack_raw, "len": s.length,
                "flags": flag_names(s.flags)}

    def _tcp_steps(self) -> None:
        for stream in self.streams:
            conn = self._conn(stream)
            if conn is None:
                continue
            summ = conn.summary
            ends = {"client": conn.client, "client_port": conn.client_port, "server": conn.server,
                    "server_port": conn.server_port, "stream": stream}
            first_req = min((r for r in self.g.requests if r.stream == stream), key=lambda r: r.start_ns)
            if self._owner(stream):
                self._handshake(stream, summ, ends, first_req)
            else:
                self._add(first_req.tx.request.first_frame - 0.5, first_req.start_ns, (), "tcp", "tcp.reuse",
                          "tcp.reuse", **ends)
            if self.last_use.get(stream) is self.g:
                self._teardown(stream, summ, ends)

    def _handshake(self, stream: int, summ: dict, ends: dict, first_req: _Req) -> None:
        hs = summ.get("handshake") or {}
        syn, synack, ack = hs.get("syn_frame"), hs.get("synack_frame"), hs.get("ack_frame")
        if not syn:
            self._add(first_req.tx.request.first_frame - 0.5, first_req.start_ns, (), "tcp",
                      "tcp.handshake.missing", "tcp.handshake.missing", **ends)
            return
        self._add(syn, self.segs.ts(syn), (syn,), "tcp", "tcp.handshake.1", "tcp.handshake.1",
                  options=_options_text(hs.get("orig_options")), isn=hs.get("orig_isn"),
                  **self._seg_facts(syn), **ends)
        self.frame_notes[syn] = "SYN: handshake 1/3"
        if synack:
            self._add(synack, self.segs.ts(synack), (synack,), "tcp", "tcp.handshake.2", "tcp.handshake.2",
                      options=_options_text(hs.get("resp_options")), isn=hs.get("resp_isn"),
                      **self._seg_facts(synack), **ends)
            self.frame_notes[synack] = "SYN-ACK: handshake 2/3"
        if synack and ack:
            irtt = summ.get("irtt")
            self._add(ack, self.segs.ts(ack), (ack,), "tcp", "tcp.handshake.3", "tcp.handshake.3",
                      irtt_ms=float(irtt) * 1000 if irtt else None, **self._seg_facts(ack), **ends)
            self.frame_notes[ack] = "ACK: handshake 3/3, established"
        elif synack:
            data = first_req.tx.request.first_frame
            self._add(data, self.segs.ts(data), (data,), "tcp", "tcp.handshake.3", "tcp.handshake.3.data",
                      **self._seg_facts(data), **ends)

    def _teardown(self, stream: int, summ: dict, ends: dict) -> None:
        td = summ.get("teardown")
        resets = summ.get("resets") or []
        if td:
            closer = _ROLE[td["active_closer"]]
            other = "server" if closer == "client" else "client"
            f1, a1 = td.get("first_fin_frame"), td.get("first_fin_acked_frame")
            f2, a2 = td.get("second_fin_frame"), td.get("second_fin_acked_frame")
            kind = td.get("kind", "")
            base = dict(closer=closer, other=other, **ends)
            n = 0

            def add(frame, template, note, **extra):
                nonlocal n
                n += 1
                facts = {**base, **self._seg_facts(frame), **extra}
                self._add(frame, self.segs.ts(frame), (frame,), "tcp", f"tcp.teardown.{n}", template, **facts)
                self.frame_notes[frame] = note

            if kind == "four-way" and a1 and f2:
                add(f1, "tcp.teardown4.1", "FIN: close 1/4")
                add(a1, "tcp.teardown4.2", "ACK of FIN: close 2/4")
                add(f2, "tcp.teardown4.3", "FIN: close 3/4")
                if a2:
                    add(a2, "tcp.teardown4.4", "ACK of FIN: close 4/4")
                else:
                    self._add(f2 + 0.5, self.segs.ts(f2), (), "tcp", "tcp.teardown.unacked", "tcp.teardown.unacked",
                              **base)
            elif kind.startswith("three-way") and f2:
                add(f1, "tcp.teardown3.1", "FIN: close 1/3")
                add(f2, "tcp.teardown3.2", "FIN+ACK: close 2/3")
                if a2:
                    add(a2, "tcp.teardown3.3", "ACK of FIN: close 3/3")
                else:
                    self._add(f2 + 0.5, self.segs.ts(f2), (), "tcp", "tcp.teardown.unacked", "tcp.teardown.unacked",
                              **base)
            else:
                events = [(f1, "tcp.teardown.fin", "FIN", {})]
                if f2:
                    events.append((f2, "tcp.teardown.fin2", "FIN", {}))
                if a1 and a1 != f2:
                    events.append((a1, "tcp.teardown.ack", "ACK of FIN", {"sender": other, "peer": closer}))
                if a2:
                    events.append((a2, "tcp.teardown.ack", "ACK of FIN", {"sender": closer, "peer": other}))
                for frame, template, note, extra in sorted(events, key=lambda e: e[0]):
                    add(frame, template, note, **extra)
                if kind == "simultaneous close":
                    last = max(e[0] for e in events)
                    self._add(last + 0.25, self.segs.ts(last), (), "tcp", "tcp.teardown.simultaneous",
                              "tcp.teardown.simultaneous", **base)
                elif f2 and not a2:
                    self._add(f2 + 0.5, self.segs.ts(f2), (), "tcp", "tcp.teardown.unacked", "tcp.teardown.unacked",
                              **base)
            for role in ("orig", "resp"):
                tw = td.get(role + "_time_wait_from_frame")
                if tw:
                    self._add(tw + 0.1, self.segs.ts(tw), (tw,), "tcp", "tcp.time_wait", "tcp.time_wait",
                              side=_ROLE[role], until=td.get(role + "_time_wait_until"), **ends)
        for rst in resets:
            frame = rst["frame"]
            self._add(frame, self.segs.ts(frame), (frame,), "tcp", "tcp.reset", "tcp.reset", by=_ROLE[rst["by"]],
                      state=rst.get("state") or "?", **ends)
            self.frame_notes[frame] = "RST: connection aborted"
        if not td and not resets:
            last = summ.get("last_frame") or 0
            self._add(last + 0.5, summ.get("last_ts_ns"), (), "tcp", "tcp.open", "tcp.open", **ends)

    # -- HTTP ----------------------------------------------------------------------------------------
    def _timings(self, lookups: list[DnsLookup]) -> dict[int, dict[str, Any]]:
        """Phase boundaries (ns) of each request (rule 4)."""
        out: dict[int, dict[str, Any]] = {}
        used: set[int] = set()
        for r in sorted(self.g.requests, key=lambda x: x.start_ns):
            t: dict[str, Any] = {"dns": None, "connect": None, "reused": r.index != self.first_index[r.stream]}
            first_on_conn = not t["reused"] and self._owner(r.stream)
            if first_on_conn:
                conn = self._conn(r.stream)
                hs = (conn.summary.get("handshake") or {}) if conn is not None else {}
                syn_ts = self.segs.ts(hs.get("syn_frame"))
                open_ns = syn_ts if syn_ts is not None else r.start_ns
                if syn_ts is not None and hs.get("synack_frame"):
                    ack_ts = self.segs.ts(hs.get("ack_frame")) or r.start_ns
                    t["connect"] = (syn_ts, min(ack_ts, r.start_ns))
                mine = [lk for lk in lookups if lk.query_frame not in used and lk.response_ts_ns is not None
                        and self._host_of(lk) == r.host.lower() and lk.response_ts_ns <= open_ns]
                if mine:
                    used.update(lk.query_frame for lk in mine)
                    t["dns"] = (min(lk.query_ts_ns for lk in mine), max(lk.response_ts_ns for lk in mine))
            out[id(r)] = t
        return out

    def _http_steps(self, timings: dict[int, dict[str, Any]]) -> None:
        doc = self.g.requests[0]
        for r in self.g.requests:
            tx = r.tx
            req = tx.request
            head = req.head_length
            body = tx.request_end.body_length if tx.request_end is not None else 0
            frames = self.segs.carrying(r.stream, 0, req.first_frame, r.request_frame)
            referer_note = f" (Referer: {r.referer})" if r.referer else ""
            self._add(req.first_frame, req.first_ts_ns, frames, "http", "http.request",
                      "http.request" if r is doc else "http.request.resource", method=r.method, uri=r.target,
                      version=r.version, host=r.host_header or r.host, stream=r.stream, size=head + body,
                      url=r.url, referer=r.referer, referer_note=referer_note)
            self.frame_notes[req.first_frame] = f"{r.method} {r.target}"
            resp = tx.response
            if resp is None:
                self._add(r.request_frame + 0.5, r.req_end_ns, (), "http", "http.no_response", "http.no_response",
                          method=r.method, uri=r.target, why=tx.reason or "capture ended")
                continue
            rend = tx.response_end
            size = rend.body_length if rend is not None else 0
            decoded = rend.decoded_length if rend is not None else None
            codings = resp.headers.get("content-encoding")
            encoding_note = ""
            if codings and decoded is not None and decoded != size:
                encoding_note = f" ({codings.strip()}; {decoded} bytes decoded)"
            ttfb = _ms(resp.first_ts_ns - r.req_end_ns)
            transfer = _ms((r.resp_end_ns or resp.first_ts_ns) - resp.first_ts_ns)
            if resp.status == 304:
                template = "http.response.not_modified"
            elif 300 <= resp.status < 400 and resp.headers.get("location"):
                template = "http.response.redirect"
            else:
                template = "http.response"
            frames = self.segs.carrying(r.stream, 1, resp.first_frame, r.response_frame or resp.first_frame)
            self._add(resp.first_frame, resp.first_ts_ns, frames, "http", "http.response", template,
                      status=resp.status, reason=resp.reason, version=resp.version,
                      content_type=resp.headers.get("content-type") or "no Content-Type", size=size,
                      decoded_size=decoded, encoding_note=encoding_note, ttfb_ms=max(ttfb, 0.0),
                      transfer_ms=transfer, location=resp.headers.get("location") or "", uri=r.target,
                      stream=r.stream, complete=tx.complete, why=tx.reason)
            self.frame_notes.setdefault(resp.first_frame, f"HTTP {resp.status} {resp.reason}")

    def _request_timing(self, r: _Req, t: dict[str, Any], start_ns: int, document: bool) -> RequestTiming:
        tx = r.tx
        req, resp = tx.request, tx.response
        phases = []

        def rel(ns: int) -> float:
            return (ns - start_ns) / 1e9

        dns = connect = NOT_APPLICABLE
        begin = r.start_ns
        if t["dns"] is not None:
            a, b = t["dns"]
            dns = _ms(b - a)
            phases.append(Phase("dns", rel(a), rel(b)))
            begin = min(begin, a)
        if t["connect"] is not None:
            a, b = t["connect"]
            connect = _ms(b - a)
            phases.append(Phase("connect", rel(a), rel(b)))
            begin = min(begin, a)
        blocked = NOT_APPLICABLE
        if t["dns"] is not None or t["connect"] is not None:
            blocked = max(_ms(r.start_ns - begin) - max(dns, 0) - max(connect, 0), 0.0)
        send = _ms(r.req_end_ns - r.start_ns)
        phases.append(Phase("send", rel(r.start_ns), rel(r.req_end_ns)))
        wait = receive = NOT_APPLICABLE
        if resp is not None:
            wait = max(_ms(resp.first_ts_ns - r.req_end_ns), 0.0)
            receive = _ms((r.resp_end_ns or resp.first_ts_ns) - resp.first_ts_ns)
            phases.append(Phase("wait", rel(r.req_end_ns), rel(max(resp.first_ts_ns, r.req_end_ns))))
            phases.append(Phase("receive", rel(resp.first_ts_ns), rel(r.resp_end_ns or resp.first_ts_ns)))
        rend, qend = tx.response_end, tx.request_end
        body = tx.response_body
        if body.decoded is not None:
            rbody, encoded = body.decoded, False
        else:
            rbody, encoded = body.data, True
        frames = (req.first_frame, r.request_frame) + ((resp.first_frame, r.response_frame) if resp else ())
        return RequestTiming(
            method=r.method, uri=r.target, url=r.url, host=r.host, status=resp.status if resp else None,
            status_text=resp.reason if resp else "", request_frame=r.request_frame,
            response_frame=r.response_frame, stream=r.stream, client=r.client, client_port=r.client_port,
            server=r.server, server_port=r.server_port, http_version=r.version,
            response_version=resp.version if resp else "", start=rel(begin), started_ns=begin,
            blocked=blocked, dns=dns, connect=connect, send=send, wait=wait, receive=receive,
            phases=tuple(phases), content_type=(resp.headers.get("content-type") or "") if resp else "",
            request_headers=tuple(req.headers), response_headers=tuple(resp.headers) if resp else (),
            request_head_bytes=req.head_length, request_body_bytes=qend.body_length if qend else 0,
            response_head_bytes=resp.head_length if resp else 0,
            response_body_bytes=rend.body_length if rend else 0,
            response_decoded_bytes=rend.decoded_length if rend else None,
            request_body=tx.request_body.data, response_body=rbody, response_body_encoded=encoded,
            reused_connection=t["reused"], document=document, complete=tx.complete, reason=tx.reason,
            frames=frames)

    # -- connections, summary, ladder ----------------------------------------------------------------
    def _connection_use(self, stream: int) -> ConnectionUse:
        conn = self._conn(stream)
        summ = conn.summary if conn is not None else {}
        hs = summ.get("handshake") or {}
        td = summ.get("teardown")
        resets = summ.get("resets") or []
        irtt = summ.get("irtt")
        if td:
            kind = td.get("kind", "")
            teardown = ("three-way" if kind.startswith("three-way") else
                        "simultaneous" if kind.startswith("simultaneous") else kind)
            closed_by = _ROLE[td.get("active_closer")]
        elif resets:
            teardown, closed_by = "reset", _ROLE[resets[0]["by"]]
        else:
            teardown = closed_by = None
        r0 = next(r for r in self.g.requests if r.stream == stream)
        return ConnectionUse(
            stream=stream, client=r0.client, client_port=r0.client_port, server=r0.server,
            server_port=r0.server_port, requests=sum(1 for r in self.g.requests if r.stream == stream),
            handshake_seen=bool(hs.get("syn_frame")), irtt_ms=float(irtt) * 1000 if irtt else None,
            opened_by_earlier_fetch=not self._owner(stream), closed_by=closed_by, teardown=teardown,
            time_wait=_ROLE.get(summ.get("time_wait")))

    def _fetch_segments(self) -> list[TcpSegment]:
        out = []
        for stream in self.streams:
            lo = self.conn_start[stream]
            hi = None
            later = False
            for g in self.groups:
                if g is self.g:
                    later = True
                    continue
                if later:
                    starts = [r.start_ns for r in g.requests if r.stream == stream]
                    if starts:
                        hi = min(starts)
                        break
            if self._owner(stream):
                lo = 0
            out += self.segs.window(stream, lo, hi)
        return out

    def _summary(self, requests: tuple[RequestTiming, ...], start_ns: int, lookups: list) -> FetchSummary:
        doc = requests[0]
        per_conn: dict[int, int] = {}
        for r in requests:
            per_conn[r.stream] = per_conn.get(r.stream, 0) + 1
        if len(requests) == 1:
            mode = "single request"
        elif any(n > 1 for n in per_conn.values()) or any(r.reused_connection for r in requests):
            mode = "keep-alive"
        else:
            mode = "one connection per request"
        ends = [r.phases[-1].end for r in requests if r.phases]
        sent = received = 0
        for s in self._fetch_segments():
            if s.retransmission:
                continue
            if s.direction == 0:
                sent += s.length
            else:
                received += s.length
        return FetchSummary(
            dns_ms=doc.dns, connect_ms=doc.connect, ttfb_ms=doc.wait, total_ms=max(ends, default=0.0) * 1000,
            requests=len(requests), connections=len(per_conn), requests_per_connection=tuple(per_conn.items()),
            connection_mode=mode, bytes_sent=sent, bytes_received=received,
            http_bytes_sent=sum(r.request_head_bytes + r.request_body_bytes for r in requests),
            http_bytes_received=sum(r.response_head_bytes + r.response_body_bytes for r in requests),
            dns_lookups=len(lookups))

    def _ladder(self, lookups: list[DnsLookup], start_ns: int) -> tuple[LadderRow, ...]:
        rows: list[LadderRow] = []

        def rel(ns: int) -> float:
            return (ns - start_ns) / 1e9

        for s in self.steps:
            if s.layer == "arp" and s.frames:
                a = next(x for x in self.facts.arp if x.frame == s.frames[0])
                sender = "client" if a.sender_ip == self.g.client else "peer"
                rows.append(LadderRow(a.frame, rel(a.ts_ns), sender, "ARP " + (a.target_ip if sender == "client"
                                                                                   else a.sender_ip),
                                      "arp", self.frame_notes.get(a.frame, "ARP")))
        for lk in lookups:
            peer = f"DNS {lk.server}"
            rows.append(LadderRow(lk.query_frame, rel(lk.query_ts_ns), "client", peer, "dns",
                                  self.frame_notes.get(lk.query_frame, "DNS query")))
            for f in lk.retransmissions:
                rows.append(LadderRow(f, rel(self.segs.ts(f) or lk.query_ts_ns), "client", peer, "dns",
                                      f"DNS query {lk.qtype} {lk.qname} (again)"))
            if lk.response_frame is not None:
                rows.append(LadderRow(lk.response_frame, rel(lk.response_ts_ns), "peer", peer, "dns",
                                      self.frame_notes.get(lk.response_frame, "DNS answer")))
        for s in self._fetch_segments():
            conn = self._conn(s.stream)
            peer = f"{conn.server}:{conn.server_port}" if conn is not None else "?"
            text = f"{flag_names(s.flags)} seq={s.seq} ack={s.ack}" if s.flags & ACK else \
                f"{flag_names(s.flags)} seq={s.seq}"
            if s.length:
                text += f" len={s.length}"
            note = self.frame_notes.get(s.frame)
            if note is None:
                note = "retransmission" if s.retransmission else ("data" if s.length else "")
            label = f"{text}  {note}" if note else text
            rows.append(LadderRow(s.frame, rel(s.ts_ns), "client" if s.direction == 0 else "peer", peer,
                                  "http" if s.length and s.frame in self.frame_notes else "tcp", label, s.stream))
        rows.sort(key=lambda row: row.frame)
        return tuple(rows)
