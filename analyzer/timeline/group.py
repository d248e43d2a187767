"""Which connections, requests and lookups of one client make one fetch (sans-IO).

Theory of operation
-------------------
The input is one client's activity between two quiet moments (:mod:`analyzer.timeline.run` cuts it): its TCP
connections (:class:`~analyzer.timeline.facts.ConnFacts`, with the HTTP transactions each carried), its DNS
lookups and its ARP / Neighbor Discovery messages. Every connection attempt becomes part of exactly one
fetch.

1. **Units.** Each HTTP request is a unit; so is each connection that carried none (a refused or unanswered
   attempt, TLS whose keys are unknown, any other protocol). A connection that carries DNS (a query retried
   over TCP after a truncated answer) is not a unit: it belongs to that lookup.
2. **Grouping, in the order the units began, by evidence, strongest first** (each rule needs the same
   client):

   0. *Redirect.* A request for the URL a fetch's 3xx answer sent the client to (its Location, made
      absolute), begun after that answer and within :data:`PAGE_WINDOW_NS` of it, continues that fetch: the
      same navigation (``http://`` answered with a move to ``https://`` is how most page fetches begin),
      whatever its fetch metadata, Referer or host say.
   a. *Fetch metadata.* ``Sec-Fetch-Dest: document`` with ``Sec-Fetch-Mode: navigate`` is a new page;
      ``Sec-Fetch-Dest: iframe/frame`` is a resource of the page its Referer names.
   b. *Referer.* A request joins the latest fetch holding a request for its Referer URL (a Referer that is
      only an origin, as sent cross-origin: the latest fetch with a request to that origin). An HTML
      document with a Referer is a page of its own (a link followed) unless that fetch was still loading
      (:data:`EMBED_WINDOW_NS` after its last activity: a frame).
   c. *Links.* A request with no Referer joins the latest fetch whose HTML document links to its URL
      (``href``/``src`` in a body the analyzer saw), unless there is contrary evidence (below).
   d. *Side requests.* ``/robots.txt``, ``/favicon.ico`` and the like join the fetch that last used their
      connection (else the latest fetch of their host within :data:`PAGE_WINDOW_NS`), marked as side
      requests.
   e. *Same connection.* A request joins the fetch that last used its connection, unless contrary evidence.
   f. *Time window.* Otherwise the client's latest fetch of the same host whose last activity ended at
      most :data:`PAGE_WINDOW_NS` before, unless contrary evidence.
   g. Otherwise it starts a fetch of its own.

   *Contrary evidence* against joining fetch F, for a request with no Referer: it is an HTML document (a
   page of its own, except after a fetch holding only side requests); its host differs from F's hosts; its
   connection was opened after a new DNS lookup of its host (sent after F began); or F's document body was
   seen and does not link to it (side requests excepted).
   A connection unit joins the latest fetch that used the same server (address and port, or the same host
   name) within the window with no new lookup of it since; else it starts a fetch of its own.
3. **Claims** (in fetch order, so the first fetch that can use a lookup gets it): the DNS lookups of each
   connection the fetch opened — queries for its host name (or that name with a search domain appended)
   or answered with its server address, sent before its first SYN, the latest burst of them
   (:data:`BURST_NS` apart at most) within :data:`LOOKBACK_NS`; their retransmissions travel with them; the
   ARP/ND requests of the client from :data:`LOOKBACK_NS` before the fetch's first lookup or SYN until its
   first request, with their replies. What nobody claimed becomes "lookup" fetches, one per burst.
   A DNS answer to no open lookup (a *stray*: late, or its query not in the file) goes with the fetch that
   connected to an address it gave after it (the client used it), else with a fetch holding a lookup of its name
   (the client asked again), else into a "lookup" fetch of stray answers, one per burst.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

from analyzer.apps.http.events import EARLY_DATA_REFUSED
from analyzer.apps.http.sink import authority_form
from analyzer.timeline.facts import ConnFacts, DnsLookup, IcmpError, NeighbourMessage, QuicFlow, StrayAnswer

PAGE_WINDOW_NS = 3_000_000_000
EMBED_WINDOW_NS = 1_000_000_000
LOOKBACK_NS = 5_000_000_000
BURST_NS = 1_000_000_000
NEIGHBOUR_RETRY_NS = 3_000_000_000      # a neighbour request this soon after the same one is its retry
# the longest a resolver library waits for an answer before it asks again (glibc: RES_MAXRETRANS 30 s; its
# default time-out per server is 5 s, Windows' 1-4 s): an unanswered query that far before the same question
# asked again is part of the lookup (a server that did not answer, then the next one in the list)
RETRY_NS = 30_000_000_000
DOCUMENT_TYPES = ("text/html", "application/xhtml+xml")
SIDE_PATHS = ("/robots.txt", "/favicon.ico", "/apple-touch-icon.png", "/apple-touch-icon-precomposed.png",
              "/browserconfig.xml", "/crossdomain.xml", "/sitemap.xml", "/humans.txt", "/ads.txt")
SIDE_PREFIXES = ("/.well-known/",)


# -- helpers on URLs and names ------------------------------------------------------------------------
def strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def host_name(host_header: str) -> str:
    h = host_header.strip()
    if h.startswith("["):
        return h[1:].split("]", 1)[0]
    if h.count(":") == 1:
        return h.split(":", 1)[0]
    return h


def split_url(url: str) -> tuple[str, str, str]:
    """(scheme, authority, path-and-query) of an absolute URL, without judging the authority (a packet may
    hold anything there); ("", "", url) for anything else."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.isalpha():
        return "", "", url
    authority, slash, path = rest.partition("/")
    return scheme, authority, slash + path


def origin(url: str) -> str | None:
    scheme, authority, _path = split_url(url)
    if not scheme or not authority:
        return None
    return f"{scheme.lower()}://{authority.lower()}"


def make_url(target: str, host_header: str, server: str, server_port: int, scheme: str = "http") -> str:
    if "://" in target[:16]:
        return target
    default = 443 if scheme == "https" else 80
    if not host_header:
        addr = f"[{server}]" if ":" in server else server
        host_header = addr if server_port == default else f"{addr}:{server_port}"
    if target.startswith("/"):
        return f"{scheme}://{host_header}{target}"
    if target == "*":
        return f"{scheme}://{host_header}"
    if authority_form(target):     # a CONNECT's (host:port): the site the tunnel is for, over TLS
        return tunnel_url(target)
    return f"{scheme}://{host_header}/{target}"


def tunnel_url(target: str) -> str:
    """The URL of the site an HTTP proxy's CONNECT tunnel (``host:port``) leads to: HTTPS, as nearly every
    tunnel carries (the TLS inside says so when it was seen)."""
    return f"https://{target.removesuffix(':443')}/"


def is_tunnel_setup(conn: ConnFacts, rec: Any) -> bool:
    """A CONNECT request of a connection whose tunnel opened (TLS followed its proxy's 2xx): the tunnel's
    set-up, told with the connection (build's _tunnel_steps), no request of a fetch."""
    tls = conn.tls
    req = rec.transaction.request
    return tls is not None and tls.tunnel is not None and req is not None and req.method == "CONNECT"


@lru_cache(maxsize=4096)
def is_ip(host: str) -> bool:
    """``host`` is an IPv4 or IPv6 address (cached: a fetch asks for each of its hosts several times)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def name_matches(qname: str, host: str) -> bool:
    """A query for ``host`` itself, or for ``host`` with a search domain appended."""
    name = qname.lower().rstrip(".")
    host = host.lower().rstrip(".")
    return bool(host) and (name == host or name.startswith(host + "."))


def media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def is_side(path: str) -> bool:
    p = path.split("?", 1)[0].lower()
    return p in SIDE_PATHS or p.startswith(SIDE_PREFIXES)


# -- units ----------------------------------------------------------------------------------------------
@dataclass(slots=True)
class Unit:
    """A request, or a connection that carried none."""

    conn: ConnFacts
    start_ns: int
    end_ns: int
    host: str
    record: Any = None  # the HttpRecord of a request unit
    url: str = ""
    referer: str | None = None
    dest: str = ""
    mode: str = ""
    document: bool = False
    side: bool = False
    links: Any = None  # a callable giving the URLs the document links to (found only when a rule asks)
    first_on_conn: bool = False
    open_ns: int = 0  # when its connection was opened (its first SYN), for a first request
    location: str = ""  # where a 3xx answer to it sends the client (absolute, no fragment)
    refused: Any = None  # the HttpRecord of its first copy, sent as TLS 1.3 early data that the server refused
    follows: tuple[int, int] | None = None  # (frame, status) of the 3xx answer it follows (the grouper's rule 0)
    raced: Any = None  # a connection that carried none: the other family's connection it lost a race to (_join_races)

    @property
    def request(self) -> bool:
        return self.record is not None


@dataclass(slots=True)
class Plan:
    """The units of one fetch and what it claimed."""

    client: str
    units: list[Unit] = field(default_factory=list)
    last_ns: int = 0
    addresses: frozenset[str] = frozenset()   # every address of the client's host (IPv4 and IPv6), client's too
    first_ns: int = 0
    hosts: set[str] = field(default_factory=set)
    servers: set[tuple[str, int]] = field(default_factory=set)
    urls: dict[str, Unit] = field(default_factory=dict)
    documents: list[Any] = field(default_factory=list)  # the link finders of its HTML documents
    _links: set[str] | None = None

    def __post_init__(self) -> None:
        if not self.addresses:
            self.addresses = frozenset({self.client})

    @property
    def documents_seen(self) -> bool:
        """An HTML body of this fetch was seen (so its links are known)."""
        return bool(self.documents)

    @property
    def links(self) -> set[str]:
        """The absolute URLs its documents link to (found on first use)."""
        if self._links is None:
            self._links = set()
            for find in self.documents:
                self._links |= find()
        return self._links
    lookups: list[DnsLookup] = field(default_factory=list)
    neighbours: list[NeighbourMessage] = field(default_factory=list)
    icmp: list[IcmpError] = field(default_factory=list)
    dns_conns: list[ConnFacts] = field(default_factory=list)  # DNS retried over TCP
    kind: str = "page"
    continues: int | None = None
    quic: list[QuicFlow] = field(default_factory=list)     # QUIC connections (see _place_quic)
    strays: list[StrayAnswer] = field(default_factory=list)     # DNS answers to no open lookup (see _place_strays)

    def add(self, u: Unit) -> None:
        if not self.units:
            self.first_ns = u.start_ns
        self.units.append(u)
        self.last_ns = max(self.last_ns, u.end_ns, u.start_ns)
        if u.host:
            self.hosts.add(u.host.lower())
        self.servers.add((u.conn.server, u.conn.server_port))
        if u.url:
            self.urls[u.url] = u
        if u.links is not None:
            self.documents.append(u.links)
            self._links = None

    @property
    def conns(self) -> list[ConnFacts]:
        seen: dict[tuple[int, int], ConnFacts] = {}
        for u in self.units:
            seen.setdefault((u.conn.stream, u.conn.epoch), u.conn)
        return list(seen.values())

    @property
    def only_side(self) -> bool:
        return bool(self.units) and all(u.side for u in self.units)


def request_units(conn: ConnFacts, links_of: dict[tuple[int, int], bytes], scheme: str = "http") -> list[Unit]:
    """The request units of a connection, in request order. A request sent as TLS 1.3 early data that the server
    refused (it never read it) and sent again after the handshake is no unit of its own: the copy sent again
    carries it (``Unit.refused``)."""
    out = []
    first = True
    open_ns = conn.syns[0][1] if conn.syns else conn.first_ts_ns
    records = sorted(conn.records, key=lambda r: r.transaction.index)
    again = _sent_again(records)
    for rec in records:
        tx = rec.transaction
        req = tx.request
        if req is None or (id(rec) in again and tx.reason == EARLY_DATA_REFUSED):
            continue        # told with its copy sent again
        if is_tunnel_setup(conn, rec):
            continue        # a proxy's tunnel: the requests inside it (with keys) are the fetch's
        h = req.headers
        host_header = h.get("host") or ""
        host = host_name(host_header) if host_header else conn.server
        url = strip_fragment(make_url(req.target, host_header, conn.server, conn.server_port, scheme))
        if "://" in req.target[:16]:
            host = host_name(split_url(req.target)[1].rsplit("@", 1)[-1]) or host
        resp = tx.response
        end = tx.response_end
        end_ns = (end.last_ts_ns if end is not None else resp.first_ts_ns) if resp is not None else (
            tx.request_end.last_ts_ns if tx.request_end is not None else req.first_ts_ns)
        ctype = media_type(resp.headers.get("content-type")) if resp is not None and resp.status < 400 else ""
        moved = resp.headers.get("location") if resp is not None and 300 <= resp.status < 400 else None
        body = links_of.get((rec.stream, tx.index))
        links = _finder(body, url) if body else None
        referer = h.get("referer")
        dest = (h.get("sec-fetch-dest") or "").strip().lower()
        out.append(Unit(conn=conn, start_ns=req.first_ts_ns, end_ns=end_ns, host=host, record=rec, url=url,
                        referer=strip_fragment(referer.strip()) if referer else None, dest=dest,
                        mode=(h.get("sec-fetch-mode") or "").strip().lower(),
                        document=ctype in DOCUMENT_TYPES or dest == "document",
                        side=is_side(split_url(url)[2]), links=links, first_on_conn=first and conn.epoch == 0,
                        open_ns=open_ns, location=_absolute(url, moved.strip()) if moved else "",
                        refused=again.get(id(rec))))     # (a refused one was skipped above)
        first = False
    return out


def _sent_again(records: list[Any]) -> dict[int, Any]:
    """Refused early-data requests and their copies sent again: the first later request with the same method
    and target. Maps id() of each to the other (a refused one to its copy, the copy to the refused one)."""
    pairs: dict[int, Any] = {}
    for i, rec in enumerate(records):
        tx = rec.transaction
        if tx.request is None or tx.complete or tx.reason != EARLY_DATA_REFUSED:
            continue
        key = (tx.request.method, tx.request.target)
        for later in records[i + 1:]:
            q = later.transaction.request
            if q is not None and later.transaction.reason != EARLY_DATA_REFUSED and id(later) not in pairs \
                    and (q.method, q.target) == key:
                pairs[id(rec)], pairs[id(later)] = later, rec
                break
    return pairs


def _finder(body: bytes, url: str) -> Any:
    from analyzer.timeline.collect import html_links

    found: list[set[str]] = []

    def links() -> set[str]:
        if not found:
            found.append({_absolute(url, x) for x in html_links(body)} - {url})
        return found[0]

    return links


def _absolute(base: str, link: str) -> str:
    try:
        return strip_fragment(urljoin(base, link))
    except ValueError:
        return link


class _LastSeen:
    """Each plan's last_ns by position, kept as a min segment tree: where `_place_connection`'s newest-first
    scan of the plans would stop (the newest plan whose last activity is older than the window) in
    O(log plans) instead of by walking every plan in between."""

    def __init__(self) -> None:
        self.size = 1
        self.tree = [_NEVER, _NEVER]

    def set(self, pos: int, value: int) -> None:
        if pos >= self.size:
            leaves = self.tree[self.size:]
            while pos >= self.size:
                self.size *= 2
            self.tree = [_NEVER] * self.size + leaves + [_NEVER] * (self.size - len(leaves))
            for i in range(self.size - 1, 0, -1):
                self.tree[i] = min(self.tree[2 * i], self.tree[2 * i + 1])
        i = pos + self.size
        self.tree[i] = value
        i //= 2
        while i:
            self.tree[i] = min(self.tree[2 * i], self.tree[2 * i + 1])
            i //= 2

    def last_below(self, threshold: int) -> int:
        """The highest position whose value is below ``threshold``; -1 when there is none."""
        if self.tree[1] >= threshold:
            return -1
        i = 1
        while i < self.size:
            i = 2 * i + 1 if self.tree[2 * i + 1] < threshold else 2 * i
        return i - self.size


_NEVER = 1 << 62                                    # an empty slot: never below any threshold


# -- grouping -------------------------------------------------------------------------------------------
class Grouper:
    """Rules 2a-2g of the module docstring over one client's units, in the order they began.

    Each rule asks for the *latest* plan with some property (holding a URL, a URL of an origin, linking to a
    URL, of a host, of a server) or whether a lookup of a name or address was sent in a time span; indexes
    kept as units are added answer each in O(1) or O(log n) instead of walking every plan or lookup, so
    grouping stays linear in the number of units (tests/test_complexity.py)."""

    def __init__(self, client: str, lookups: list[DnsLookup], last_use: dict[int, int] | None = None,
                 addresses: frozenset[str] = frozenset()):
        self.client = client
        self.addresses = addresses or frozenset({client})
        self.lookups = lookups
        self.plans: list[Plan] = []
        self.by_conn: dict[int, Plan] = {}
        self.last_use = last_use or {}     # stream -> index of the (earlier, reported) fetch that used it
        self.last_seen = _LastSeen()
        self.position: dict[int, int] = {}          # id(plan) -> its place in self.plans (plans live as long)
        self.with_key: dict[tuple | str, list[int]] = {}  # (server, port) or host -> positions of its plans, ascending
        self.with_url: dict[str, int] = {}          # URL -> the latest plan holding a request for it
        self.with_origin: dict[str | None, int] = {}    # origin of such a URL -> the latest plan
        self.hostless: list[int] = []               # positions of plans created with no host (lazily pruned)
        self.linking: dict[str, list[int]] = {}     # URL -> positions of plans whose documents link to it
        self.unindexed: list[tuple[int, Any]] = []  # (position, link finder) of documents not in `linking` yet
        # a 3xx answer's absolute Location -> (its plan, its end, its last frame, its status)
        self.redirects: dict[str, tuple[int, int, int, int]] = {}
        self.queried = _LookupIndex(lookups)    # also rule 3's free lookups, once grouping is done

    def add(self, u: Unit) -> None:
        target = self._place(u) if u.request else self._place_connection(u)
        if target is None:
            target = Plan(self.client, addresses=self.addresses)
            self.position[id(target)] = len(self.plans)
            self.hostless.append(len(self.plans))
            self.plans.append(target)
            if not u.request and u.conn.epoch > 0:
                target.continues = self.last_use.get(u.conn.stream)
        target.add(u)
        self.by_conn[u.conn.stream] = target
        pos = self.position[id(target)]
        self.last_seen.set(pos, target.last_ns)
        keys: list[tuple | str] = [(u.conn.server, u.conn.server_port)] + ([u.host.lower()] if u.host else [])
        for key in keys:
            _insert(self.with_key.setdefault(key, []), pos)
        if u.url:
            if self.with_url.get(u.url, -1) < pos:
                self.with_url[u.url] = pos
            o = origin(u.url)
            if self.with_origin.get(o, -1) < pos:
                self.with_origin[o] = pos
        if u.links is not None:
            self.unindexed.append((pos, u.links))
        if u.location:
            tx = u.record.transaction
            frame = tx.response_end.last_frame if tx.response_end is not None else tx.response.first_frame
            self.redirects[u.location] = (pos, u.end_ns, frame, tx.response.status)

    def _place(self, u: Unit) -> Plan | None:
        moved = self.redirects.get(u.url)
        if moved is not None and moved[1] <= u.start_ns <= moved[1] + PAGE_WINDOW_NS:
            u.follows = moved[2:]
            return self.plans[moved[0]]                 # 0: the redirect followed
        if u.dest == "document" and u.mode == "navigate":
            return None                                 # 2a: a page of its own
        by_ref = self._referer(u)
        if u.dest in ("iframe", "frame", "embed", "object"):
            return by_ref                               # 2a: an embedded document
        if by_ref is not None:
            if u.document and not u.dest and u.start_ns > by_ref.last_ns + EMBED_WINDOW_NS:
                return None                             # 2b: a link followed
            return by_ref                               # 2b
        if u.referer:
            return None                                 # a Referer naming nothing here: a page of its own
        if u.document:
            prev = self.by_conn.get(u.conn.stream) or self._latest(u)
            if prev is not None and prev.only_side and not self._contrary(u, prev, links=False):
                return prev                             # a crawler asked for robots.txt first
            return None
        for pos in reversed(self._linking(u.url)):      # 2c: linked from a document
            plan = self.plans[pos]
            if not self._contrary(u, plan, links=False):
                return plan
        same_conn = self.by_conn.get(u.conn.stream)
        if u.side:                                      # 2d
            if same_conn is not None:
                return same_conn
            latest = self._latest(u)
            if latest is not None and u.start_ns - latest.last_ns <= PAGE_WINDOW_NS:
                return latest
            return None
        if same_conn is not None and not self._contrary(u, same_conn):
            return same_conn                            # 2e
        latest = self._latest(u)                        # 2f
        if latest is not None and u.start_ns - latest.last_ns <= PAGE_WINDOW_NS and not self._contrary(u, latest):
            return latest
        return None

    def _linking(self, url: str) -> list[int]:
        """Positions (ascending) of the plans whose documents link to ``url``. The documents' links are found
        here, the first time rule 2c asks after they were added, each document once."""
        for pos, find in self.unindexed:
            for link in find():
                _insert(self.linking.setdefault(link, []), pos)
        self.unindexed.clear()
        return self.linking.get(url, [])

    def _latest(self, u: Unit) -> Plan | None:
        """The latest plan of ``u``'s host, or with no host at all."""
        hostless = self.hostless
        while hostless and self.plans[hostless[-1]].hosts:
            hostless.pop()                              # a plan's hosts never empty again
        best = hostless[-1] if hostless else -1
        same = self.with_key.get(u.host.lower()) if u.host else None
        if same and same[-1] > best:
            best = same[-1]
        return self.plans[best] if best >= 0 else None

    def _referer(self, u: Unit) -> Plan | None:
        if not u.referer:
            return None
        pos = self.with_url.get(u.referer)
        if pos is not None:
            return self.plans[pos]
        if split_url(u.referer)[2] in ("", "/"):
            pos = self.with_origin.get(origin(u.referer))
            if pos is not None:
                return self.plans[pos]
        return None

    def _contrary(self, u: Unit, plan: Plan, links: bool = True) -> bool:
        if u.host.lower() not in plan.hosts and plan.hosts:
            return True
        if u.first_on_conn and self._new_lookup(u, plan):
            return True
        return bool(links and plan.documents_seen and u.url not in plan.links and not u.side)

    def _new_lookup(self, u: Unit, plan: Plan) -> bool:
        """A lookup of ``u``'s host (or answered with its server) sent after ``plan`` began, up to the
        opening of ``u``'s connection."""
        return self.queried.between(u.host, u.conn.server, plan.first_ns, u.open_ns)

    def _place_connection(self, u: Unit) -> Plan | None:
        conn = u.conn
        if conn.epoch > 0:
            return self.by_conn.get(conn.stream)
        # newest first, back to the newest plan idle for longer than the window (the scan stops there): only
        # the plans with this server or this host name, found by index, not by walking every plan between
        stop = self.last_seen.last_below(u.start_ns - PAGE_WINDOW_NS)
        same = self.with_key.get((conn.server, conn.server_port), [])
        named = self.with_key.get(u.host.lower(), []) if u.host and not is_ip(u.host) else []
        probe = Unit(conn, u.start_ns, u.end_ns, u.host, first_on_conn=True, open_ns=u.open_ns)
        for pos in _descending(same, named):
            if pos <= stop:
                break
            if not self._new_lookup(probe, self.plans[pos]):
                return self.plans[pos]
        return None


SPARE_CANDIDATES = 8     # fetches of one server and port looked at for a spare connection (newest first)


def _join_spares(plans: list[Plan]) -> list[Plan]:
    """A connection that carried no request, opened to a server and port that a fetch's connection opened
    earlier and still used then, goes with that fetch, not as a fetch of its own: a browser's spare connection
    (opened ahead of need, or raced against the first, then closed unused). Failing that, one opened *before*
    the first connection of such a fetch, which opened while the spare was still open, goes with the first of
    those fetches (a preconnect the requests could not take, or the loser of two raced connections). The
    grouper met it first: units are placed by start, a connection's at its SYN, a request's when it was sent,
    after the handshake. The same host name (SNI) when both have one. Linear: the fetches of each server and
    port by their first connection's opening, a binary search and at most :data:`SPARE_CANDIDATES` looked at
    per spare."""
    spans: dict[tuple[str, int], list[tuple[int, int, int]]] = {}    # (server, port) -> (opened, last, plan index)
    for i, plan in enumerate(plans):
        if any(u.request for u in plan.units):
            for u in plan.units:
                if u.first_on_conn:
                    spans.setdefault((u.conn.server, u.conn.server_port), []).append((u.open_ns, plan.last_ns, i))
    if not spans:
        return plans
    for got in spans.values():
        got.sort()
    gone: set[int] = set()
    for i, plan, u in _lone_unused(plans):
        got = spans.get((u.conn.server, u.conn.server_port))
        if not got:
            continue
        at = bisect.bisect_left(got, (u.open_ns, -1, -1))
        for opened, last, k in reversed(got[max(0, at - SPARE_CANDIDATES):at]):
            target = plans[k]
            if opened < u.open_ns <= last and (not u.host or not target.hosts or u.host.lower() in target.hosts):
                target.add(u)
                gone.add(i)
                break
        else:
            for opened, _last, k in got[at:at + SPARE_CANDIDATES]:
                if opened > plan.last_ns:
                    break
                target = plans[k]
                if not u.host or not target.hosts or u.host.lower() in target.hosts:
                    target.add(u)
                    gone.add(i)
                    break
    return [p for i, p in enumerate(plans) if i not in gone] if gone else plans


RACE_NS = 2_000_000_000     # a dual-stack client's second family starts within this of the first (RFC 8305)


def _lone_unused(plans: list[Plan]) -> Iterator[tuple[int, Plan, Unit]]:
    """(index, plan, its unit) of each fetch that is one connection opened in this capture (its SYN seen) and
    carried no request: a spare or the loser of a race, which _join_spares and _join_races place."""
    for i, plan in enumerate(plans):
        if len(plan.units) == 1 and not plan.units[0].request and plan.continues is None:
            u = plan.units[0]
            if u.conn.epoch == 0 and u.conn.syns:
                yield i, plan, u


def _join_races(plans: list[Plan]) -> list[Plan]:
    """A connection that carried no request, to one address of a host name, goes with the fetch whose first
    connection went to an address of the *other* family of the same name (same port), opened after it within
    :data:`RACE_NS`: Happy Eyeballs (RFC 8305), a dual-stack client racing IPv6 and IPv4 (the loser unanswered,
    refused, or closed unused). Linear: the fetches by (host, port) of their first connection."""
    firsts: dict[tuple[str, int], list[tuple[int, int, ConnFacts]]] = {}    # (host, port) -> (opened, plan, conn)
    for i, plan in enumerate(plans):
        u = next((x for x in plan.units if x.request and x.first_on_conn), None)
        if u is not None and u.host and not is_ip(u.host):
            firsts.setdefault((u.host.lower(), u.conn.server_port), []).append((u.open_ns, i, u.conn))
    if not firsts:
        return plans
    for got in firsts.values():
        got.sort()
    gone: set[int] = set()
    for i, _plan, u in _lone_unused(plans):
        if not u.host or is_ip(u.host):
            continue
        got = firsts.get((u.host.lower(), u.conn.server_port))
        if not got:
            continue
        v6 = ":" in u.conn.server
        at = bisect.bisect_left(got, (u.open_ns, -1))      # (ties on the plan index: no conn is compared)
        for opened, k, won in got[at:at + SPARE_CANDIDATES]:
            if opened - u.open_ns > RACE_NS:
                break
            if (":" in won.server) != v6 and k != i:
                u.raced = won
                plans[k].add(u)
                gone.add(i)
                break
    return [p for i, p in enumerate(plans) if i not in gone] if gone else plans


def _insert(places: list[int], pos: int) -> None:
    """Adds ``pos`` to the ascending list ``places`` unless it holds it (new plans come last: O(1) then)."""
    if not places or places[-1] < pos:
        places.append(pos)
        return
    i = bisect.bisect_left(places, pos)
    if places[i] != pos:
        places.insert(i, pos)


def _descending(a: list[int], b: list[int]) -> Any:
    """The union of two ascending lists of positions, largest first, each once."""
    i, j = len(a) - 1, len(b) - 1
    while i >= 0 or j >= 0:
        x = a[i] if i >= 0 else -1
        y = b[j] if j >= 0 else -1
        if x >= y:
            i -= 1
            if x == y:
                j -= 1
            yield x
        else:
            j -= 1
            yield y


def _name_keys(qname: str) -> list[str]:
    """The names ``qname`` answers for under :func:`name_matches`: itself and each prefix ending before a dot
    (``www.a.test.lan`` is a query for ``www.a.test`` with the search domain ``lan`` appended)."""
    name = qname.lower().rstrip(".")
    keys = [name[:i] for i, ch in enumerate(name) if ch == "."]
    keys.append(name)
    return [k for k in keys if k]


class _LookupIndex:
    """A client's lookups in frame order (a lookup's rank: its place there), by the name they ask for
    (:func:`_name_keys`) and by each address they were answered with, in query-time order: whether one was sent
    in a time span (rules 2b/2e) and which ones no fetch has claimed yet (rule 3: a claimed one stays in the
    lists, marked) are binary searches, not walks over them all."""

    def __init__(self, lookups: list[DnsLookup]):
        self.order = sorted(lookups, key=lambda lk: lk.query_frame)
        self.taken = [False] * len(self.order)
        self.by_name: dict[str, list[tuple[int, int]]] = {}             # key -> ascending (query ts, rank)
        self.by_addr: dict[str, list[tuple[int, int]]] = {}
        for rank, lk in enumerate(self.order):
            for key in _name_keys(lk.qname):
                self.by_name.setdefault(key, []).append((lk.query_ts_ns, rank))
            for addr in set(lk.addresses):
                self.by_addr.setdefault(addr, []).append((lk.query_ts_ns, rank))
        for table in (self.by_name, self.by_addr):
            for entries in table.values():
                entries.sort()

    def between(self, host: str, server: str, after: int, upto: int) -> bool:
        """A query for ``host`` (:func:`name_matches`) or answered with ``server``, sent in ``(after, upto]``,
        claimed or not."""
        name = host.lower().rstrip(".")
        past = (after, len(self.order))                 # after every entry sent at ``after``
        for entries in (self.by_name.get(name) if name else None, self.by_addr.get(server)):
            if entries:
                i = bisect.bisect_right(entries, past)
                if i < len(entries) and entries[i][0] <= upto:
                    return True
        return False

    def within(self, names: set[str], server: str | None, lo: int, hi: int) -> list[int]:
        """Ranks, ascending, of the free lookups sent in ``[lo, hi]`` that ask for one of ``names`` or (with
        ``server``) were answered with it."""
        lists = [self.by_name.get(n.rstrip(".")) for n in names]
        if server is not None:
            lists.append(self.by_addr.get(server))
        found: set[int] = set()
        for entries in lists:
            if not entries:
                continue
            i = bisect.bisect_left(entries, (lo, -1))
            while i < len(entries) and entries[i][0] <= hi:
                rank = entries[i][1]
                if not self.taken[rank]:
                    found.add(rank)
                i += 1
        return sorted(found)

    def take(self, rank: int) -> DnsLookup:
        self.taken[rank] = True
        return self.order[rank]

    def rest(self) -> list[DnsLookup]:
        return [lk for lk, taken in zip(self.order, self.taken) if not taken]


class _FreeNeighbours:
    """The ARP/ND messages no fetch has claimed yet (rule 3), in frame order: requests by sender in time order,
    replies by sender in frame order (a claimed one stays there, marked)."""

    def __init__(self, messages: list[NeighbourMessage]):
        self.order = sorted(messages, key=lambda m: m.frame)           # a message's rank: its place here
        self.taken = [False] * len(self.order)
        self.requests: dict[str, list[tuple[int, int]]] = {}           # sender -> ascending (ts, rank)
        self.replies: dict[str, list[int]] = {}                        # sender -> ascending ranks
        for rank, m in enumerate(self.order):
            if m.kind == "request":
                self.requests.setdefault(m.sender, []).append((m.ts_ns, rank))
            elif m.kind == "reply":
                self.replies.setdefault(m.sender, []).append(rank)
        for entries in self.requests.values():
            entries.sort()

    def claim(self, addresses: frozenset[str], begin: int, end: int) -> list[NeighbourMessage]:
        """Rule 3 for ARP/ND: the requests sent by ``addresses`` in ``[begin, end]`` and, for each (in frame
        order), the first later reply from its target to one of ``addresses`` (or to nobody, or to all
        nodes), in frame order."""
        asked: list[int] = []
        for addr in addresses:
            entries = self.requests.get(addr, [])
            i = bisect.bisect_left(entries, (begin, -1))
            while i < len(entries) and entries[i][0] <= end:
                if not self.taken[entries[i][1]]:
                    asked.append(entries[i][1])
                i += 1
        out = []
        for rank in sorted(asked):
            m = self.order[rank]
            self.taken[rank] = True
            out.append(m)
            replies = self.replies.get(m.target, [])
            for r_rank in replies[bisect.bisect_right(replies, rank):]:
                r = self.order[r_rank]
                if not self.taken[r_rank] and r.frame > m.frame and (
                        r.target == "" or r.target in addresses or r.target.startswith("ff02:")):
                    self.taken[r_rank] = True
                    out.append(r)
                    break
        out.sort(key=lambda m: m.frame)
        return out

    def rest(self) -> list[NeighbourMessage]:
        return [m for m, taken in zip(self.order, self.taken) if not taken]


def group(client: str, conns: list[ConnFacts], lookups: list[DnsLookup], neighbours: list[NeighbourMessage],
          icmp: list[IcmpError], links_of: dict[tuple[int, int], bytes], host_of: Any,
          last_use: dict[int, int] | None = None, addresses: frozenset[str] | None = None,
          quic: list[QuicFlow] | None = None, strays: list[StrayAnswer] | None = None) -> list[Plan]:
    """Rules 1-3 of the module docstring. ``host_of(conn, lookups)`` names a connection's server when it
    carried no request (SNI, or the name a lookup resolved to its address). ``addresses``: every address of
    the client's host (a dual-stack host asks for AAAA over IPv4 and connects over IPv6); each plan's
    ``client`` is then the address that made its connections (or its first lookup). Returns the plans in the
    order they began."""
    addresses = frozenset(addresses or ()) | {client}
    units: list[Unit] = []
    dns_streams = {lk.stream for lk in lookups if lk.stream is not None}
    for conn in conns:
        if conn.dns and conn.stream in dns_streams:
            continue
        reqs = request_units(conn, links_of, "https" if conn.tls is not None else "http")
        if reqs:
            units += reqs
        else:
            units.append(Unit(conn=conn, start_ns=conn.first_ts_ns, end_ns=conn.last_ts_ns,
                              host=host_of(conn, lookups), first_on_conn=conn.epoch == 0,
                              open_ns=conn.syns[0][1] if conn.syns else conn.first_ts_ns))
    units.sort(key=lambda u: (u.start_ns, u.conn.stream))
    grouper = Grouper(client, lookups, last_use, addresses)
    for u in units:
        grouper.add(u)
    plans = _join_races(_join_spares(grouper.plans))
    for plan in plans:
        if not any(u.request for u in plan.units):
            plan.kind = "connection"
    free = grouper.queried
    for plan in plans:
        plan.lookups = claim_lookups(plan, free)
    if quic:
        plans += _place_quic(quic, plans, free, client, addresses)
    tcp_dns = [c for c in conns if c.dns and c.stream in dns_streams]
    free_nb = _FreeNeighbours(neighbours)
    for plan in plans:
        plan.neighbours = claim_neighbours(plan, free_nb)
    errors_to: dict[tuple[str, int], list[int]] = {}        # (the peer, its port) -> positions in icmp
    for i, e in enumerate(icmp):
        errors_to.setdefault(e.peer[:2], []).append(i)
    for plan in plans:
        keys = {(c.server, c.server_port) for c in plan.conns} | {(lk.server, lk.server_port) for lk in plan.lookups}
        plan.icmp = [icmp[i] for i in sorted({i for key in keys for i in errors_to.get(key, ())})]
    # lookups and neighbour messages nobody claimed: a "lookup" fetch per burst
    stray = _place_strays(strays or (), plans)
    rest: list[tuple[int, int, Any]] = []
    for lk in free.rest():
        rest.append((lk.query_ts_ns, lk.query_frame, lk))
    for m in free_nb.rest():
        rest.append((m.ts_ns, m.frame, m))
    rest.sort(key=lambda x: (x[0], x[1]))
    burst: Plan | None = None
    for ts, _frame, item in rest:
        # a neighbour request asked again (an unanswered asker repeats it about once a second) stays with the
        # burst of its first (F49): its fetch then sees every try
        again = burst is not None and not isinstance(item, DnsLookup) and item.kind == "request" and any(
            m.kind == "request" and m.sender == item.sender and m.target == item.target
            and ts - m.ts_ns <= NEIGHBOUR_RETRY_NS for m in burst.neighbours[-8:])
        if burst is None or ts - burst.last_ns > BURST_NS and not again:
            burst = Plan(client, kind="lookup", first_ns=ts, last_ns=ts, addresses=addresses)
            plans.append(burst)
        burst.last_ns = max(burst.last_ns, ts)
        if isinstance(item, DnsLookup):
            burst.lookups.append(item)
        else:
            burst.neighbours.append(item)
    # stray answers no fetch took: with a burst holding a lookup of their name, else a "lookup" fetch per burst
    burst = None
    for a in _place_strays(stray, [p for p in plans if p.kind == "lookup"]):
        if burst is None or a.ts_ns - burst.last_ns > BURST_NS:
            burst = Plan(client, kind="lookup", first_ns=a.ts_ns, last_ns=a.ts_ns, addresses=addresses)
            plans.append(burst)
        burst.last_ns = max(burst.last_ns, a.ts_ns)
        burst.strays.append(a)
    errors_from: dict[str, list[int]] = {}                  # the peer -> positions in icmp
    for i, e in enumerate(icmp):
        errors_from.setdefault(e.peer[0], []).append(i)
    dns_conns: dict[int | None, list[int]] = {}              # stream -> positions in tcp_dns
    for i, c in enumerate(tcp_dns):
        dns_conns.setdefault(c.stream, []).append(i)
    for plan in plans:
        if plan.kind == "lookup":
            plan.icmp = [icmp[i] for i in sorted({i for lk in plan.lookups for i in errors_from.get(lk.server, ())})]
        streams = {lk.stream for lk in plan.lookups if lk.stream is not None}
        plan.dns_conns = [tcp_dns[i] for i in sorted({i for st in streams for i in dns_conns.get(st, ())})]
    for plan in plans:
        own = next((u.conn.client for u in plan.units), None) or next((q.client for q in plan.quic), None)
        if own is None:
            own = next((str(lk.client) for lk in plan.lookups), next((a.client for a in plan.strays),
                       next((m.sender for m in plan.neighbours if m.kind == "request"), client)))
        plan.client = own if own in addresses else client
    plans.sort(key=lambda p: p.first_ns)
    return plans


def claim_lookups(plan: Plan, free: _LookupIndex) -> list[DnsLookup]:
    """Rule 3 for DNS: takes the claimed lookups out of ``free``."""
    claimed: list[DnsLookup] = []
    for u in plan.units:
        if not u.first_on_conn:
            continue
        names = {u.host.lower()} if u.host and not is_ip(u.host) else set()
        claimed += _claim_burst(free, names, u.conn.server, u.open_ns)
    claimed.sort(key=lambda lk: lk.query_frame)
    return claimed


def _claim_burst(free: _LookupIndex, names: set[str], server: str, before: int) -> list[DnsLookup]:
    """The latest burst of free lookups for ``names`` or answered with ``server`` within :data:`LOOKBACK_NS`
    before ``before``, and their companions, taken out of ``free``."""
    found = free.within(names, server, before - LOOKBACK_NS, before)
    if not found:
        return []
    # the latest burst: walk back from the last related query while they follow each other closely
    related = sorted(found, key=lambda r: free.order[r].query_ts_ns)       # ranks, in time then frame order
    names = names | {free.order[r].qname.lower().rstrip(".") for r in related if server in free.order[r].addresses}
    burst = [related[-1]]
    for r in reversed(related[:-1]):
        if free.order[burst[0]].query_ts_ns - _last_activity(free.order[r]) <= BURST_NS:
            burst.insert(0, r)
        else:
            break
    # the same question asked before without an answer (a resolver that timed out, then the next one): chained
    # back while each unanswered attempt's last activity is at most RETRY_NS before the next attempt
    asked = {(free.order[r].qname.lower().rstrip("."), free.order[r].qtype) for r in burst}
    first_ns = free.order[burst[0]].query_ts_ns
    for r in reversed(free.within(names, None, first_ns - RETRY_NS, first_ns)):
        lk = free.order[r]
        if r in burst or lk.response_frame is not None or (lk.qname.lower().rstrip("."), lk.qtype) not in asked:
            continue
        if first_ns - _last_activity(lk) > RETRY_NS:
            break
        burst.insert(0, r)
        first_ns = lk.query_ts_ns
    claimed = [free.take(r) for r in burst]
    # companions: queries for the same names in the burst's span (AAAA beside A, search domains)
    claimed += [free.take(r) for r in free.within(names, None, free.order[burst[0]].query_ts_ns, before)]
    return claimed


def _place_quic(flows: list[QuicFlow], plans: list[Plan], free: _LookupIndex, client: str,
                addresses: frozenset[str]) -> list[Plan]:
    """QUIC connections (HTTP/3 over UDP; only their clear headers are read) go with the fetch that connected to
    the same server by TCP around the same time (a browser races both); failing that, each is a fetch of its own
    ("quic") that takes the lookups that gave its server's address, as a TCP connection would (rule 3). Returns
    the new plans."""
    by_server: dict[str, list[Plan]] = {}
    for plan in plans:
        for c in plan.conns:
            by_server.setdefault(c.server, []).append(plan)
    new: list[Plan] = []
    for flow in sorted(flows, key=lambda q: q.first_ts_ns):
        ts = flow.first_ts_ns
        near = [p for p in by_server.get(flow.server, ()) if p.first_ns - PAGE_WINDOW_NS <= ts <= p.last_ns + PAGE_WINDOW_NS]
        if near:
            min(near, key=lambda p: abs(p.first_ns - ts)).quic.append(flow)
            continue
        names = {flow.sni.lower()} if flow.sni and not is_ip(flow.sni) else set()
        lookups = sorted(_claim_burst(free, names, flow.server, ts), key=lambda lk: lk.query_frame)
        first = min([ts] + [lk.query_ts_ns for lk in lookups])
        plan = Plan(client, kind="quic", first_ns=first, last_ns=max(ts, flow.last_ts_ns), addresses=addresses)
        plan.lookups = lookups
        plan.quic.append(flow)
        new.append(plan)
    return new


def _place_strays(strays: Any, plans: list[Plan]) -> list[StrayAnswer]:
    """DNS answers to no open lookup (:class:`~analyzer.timeline.facts.StrayAnswer`: late, or their query not in the
    file) go with the fetch that opened a connection (or a QUIC one) to an address they gave, after them (the
    client used the answer: the first such), else with the fetch holding a lookup of the same name (the client
    asked again); returns the others."""
    opened: dict[str, list[tuple[int, int, int]]] = {}       # server -> ascending (opened at, frame, plan)
    named: dict[str, int] = {}                               # a name looked up -> the first plan that did
    for n, plan in enumerate(plans):
        for u in plan.units:
            if u.first_on_conn and u.conn.syns:
                opened.setdefault(u.conn.server, []).append((u.conn.syns[0][1], u.conn.syns[0][0], n))
        for q in plan.quic:
            opened.setdefault(q.server, []).append((q.first_ts_ns, q.first_frame, n))
        for lk in plan.lookups:
            named.setdefault(lk.qname.lower().rstrip("."), n)
    for entries in opened.values():
        entries.sort()
    rest = []
    for a in strays:
        used = [entries[i] for entries in (opened.get(addr) for addr in a.addresses) if entries
                for i in (bisect.bisect_left(entries, (a.ts_ns, a.frame, -1)),) if i < len(entries)]
        n = min(used)[2] if used else named.get(a.qname.lower().rstrip("."))
        if n is None:
            rest.append(a)
        else:
            plans[n].strays.append(a)
    return rest


def _last_activity(lk: DnsLookup) -> int:
    return lk.response_ts_ns if lk.response_ts_ns is not None else lk.query_ts_ns


def claim_neighbours(plan: Plan, free: _FreeNeighbours) -> list[NeighbourMessage]:
    """Rule 3 for ARP/ND: the client's requests before the fetch's first request, and their replies."""
    starts = [lk.query_ts_ns for lk in plan.lookups] + [u.open_ns or u.start_ns for u in plan.units] + \
        [q.first_ts_ns for q in plan.quic]
    if not starts:
        return []
    begin = min(starts) - LOOKBACK_NS
    firsts = [u.start_ns for u in plan.units if u.request]
    end = min(firsts) if firsts else max((u.start_ns for u in plan.units), default=max(starts))
    return free.claim(plan.addresses, begin, end)
