"""What an observer without keys can still tell of an encrypted (TLS) connection: its exchanges (sans-IO).

Theory of operation
-------------------
Without keys the TLS record layer stays readable: each record's direction, length and the frame its last
byte arrived in. On a connection whose HTTP could not be read, the application-data records after the
handshake are cut into **bursts** (consecutive records of one direction) and the bursts into **exchanges**:
a client burst (very likely a request) and the server burst after it (very likely its response). This is an
inference from directions and timing, never a reading: nothing here knows a method, a URL or a status.

Records that are not a request or a response are set aside first, by what is known of TLS 1.3 (RFC 8446),
where every record after the ServerHello travels as opaque type 23 (application_data):

* **Session tickets** (NewSessionTicket, RFC 8446 4.6.1): the server sends them after it receives the
  client's Finished. A server record of TLS 1.3 is taken for a ticket when it is (a) the server's first
  record, came before the client's first record after the handshake (an HTTP/1 server does not speak first)
  and is :data:`TICKET_MIN` to :data:`TICKET_MAX` bytes long (an HTTP/2 server's first SETTINGS is shorter),
  (b) before any other server record and with the length of a ticket already found (servers send their
  tickets alike: OpenSSL two of one size), or (c) as one of a leading run of two or more server records of one length, :data:`TICKET_MIN` to
  :data:`TICKET_MAX` bytes each, followed by more server data, all before the client's next record (the
  client sent its request with its Finished, so the tickets came after it, in the answer's burst; equal
  records with a client record between them are answers to separate requests).
* **A ticket that may be one** (rule d): a TLS 1.3 server that sends a single ticket (Go's crypto/tls does)
  after a client that sent its request right behind its Finished (any client on a path with a round trip)
  puts the ticket between the request and the response, where nothing about it tells it from a short
  first record of the response. When no ticket was found by (a)-(c) and the server's first record after the
  client's first is :data:`TICKET_MIN` to :data:`TICKET_MAX` bytes, alone in its segment and followed by more
  server records, it stays in the response (the timings are then a lower bound) and the exchange names it
  (:attr:`Exchange.maybe_ticket`) with the time to first byte if it was a ticket
  (:attr:`Exchange.ttfb_if_ticket_ms`): the texts give both.
* **Alerts**: a TLS 1.3 record of exactly :data:`ALERT_13` bytes (a 2-byte alert, its content type and a
  16-byte AEAD tag) is an encrypted alert; the last one of a direction is very likely its close_notify. The
  same holds in a session that began before the capture (version unknown), where a TLS 1.2 record of that
  size is all but impossible.

**Early data** (TLS 1.3 0-RTT, RFC 8446 2.3): a client resuming a session may send its request with the
ClientHello, before the handshake; the server may answer it before the client's Finished. Those records
(told apart by :mod:`analyzer.apps.tls.session`) come before the end of the handshake and are passed in as
``early``; an exchange counts the request records sent so (:attr:`Exchange.early`): its time to first byte
then includes the server's part of the handshake.

A session that began before the capture (no ClientHello) is read the same way from its first record; a
server burst before any client record is then very likely the answer to a request sent before the capture.

**A switch of protocol** (HTTP/1.x only): an HTTP/1.x request starts with its request line and the blank line
that ends its header, :data:`MIN_HTTP1_REQUEST` bytes at the least (``GET / HTTP/1.0`` and two line ends). A
TLS 1.3 record with a 16-byte tag holds at most its length less :data:`TLS13_OVERHEAD` bytes of data, so a client
burst whose first record holds fewer cannot start a request: from the first such burst after the first exchange
on, the connection speaks another protocol, as after a 101 Switching Protocols answer (a WebSocket). Those bursts
are not exchanges (:attr:`EncryptedView.switched` counts them); the exchange before them was very likely the
upgrade.

**HTTP/2** (ALPN ``h2``) multiplexes streams in both directions (SETTINGS, WINDOW_UPDATE, PING share the
records with requests and responses): bursts are not request/response pairs there. The exchanges are
still made, but :attr:`EncryptedView.multiplexed` says they are bursts only, and the texts say so. In TLS 1.3
the server's ALPN choice is encrypted: a client that offered ``h2`` may be speaking either, and is treated
as possibly multiplexed (:attr:`EncryptedView.alpn_hidden`); one that offered only ``http/1.1`` speaks it.

Frames: a record names only the frame of its last byte. A burst's frames are its direction's payload
segments after the frame of that direction's previous record, up to its last record's frame
(retransmitted copies left out).

Timings (from the capture point): **TTFB estimate** = the server burst's first payload segment minus the
client burst's last record; **transfer** = the server burst's last record minus its first segment.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from analyzer.apps.tls.tables import tag_length
from analyzer.timeline.facts import Segment
from analyzer.timeline.tcp import RESENT

TICKET_MAX = 1024        # longest record taken for a session ticket by when it came or its length alone
TICKET_MIN = 80          # shortest: a ticket message with a 32-byte ticket, its content type and a 16-byte tag;
#                          shorter server records before the request are something else (HTTP/2's SETTINGS)
ALERT_13 = 19            # a TLS 1.3 encrypted alert: 2 bytes + content type + 16-byte AEAD tag
TLS13_OVERHEAD = 17      # a TLS 1.3 record's bytes that are not data: its inner content type and a 16-byte tag
MIN_HTTP1_REQUEST = 18   # the shortest HTTP/1.x request: "GET / HTTP/1.0" and two CRLFs


@dataclass(frozen=True, slots=True)
class Burst:
    """Consecutive application-data records of one direction: ``client`` True for the TLS client's."""

    client: bool
    records: int
    bytes: int                    # record payload bytes (the TLS record lengths, headers left out)
    frames: tuple[int, ...]       # the payload segments that carried it
    first_ns: int                 # its first segment
    last_ns: int                  # its last record's last byte
    last_frame: int
    first_length: int = 0         # its first record's length
    first_record_frame: int = 0   # the frame of that record's last byte

    def as_dict(self) -> dict[str, Any]:
        return {"client": self.client, "records": self.records, "bytes": self.bytes, "frames": list(self.frames)}


@dataclass(frozen=True, slots=True)
class Exchange:
    """A client burst and the server burst after it (either may be missing: a server that spoke first, a
    request the capture has no answer to). ``ttfb_ms``: request's last record -> response's first segment;
    ``transfer_ms``: response's first segment -> its last record."""

    index: int
    request: Burst | None
    response: Burst | None
    ttfb_ms: float | None
    transfer_ms: float | None
    maybe_ticket: tuple[int, int] | None = None     # (frame, bytes) of a first response record that may be a ticket
    ttfb_if_ticket_ms: float | None = None          # the time to first byte if it was (rule d, module docstring)
    early: int = 0              # records of the request sent as TLS 1.3 early data (0-RTT), before the handshake

    @property
    def frames(self) -> tuple[int, ...]:
        return (self.request.frames if self.request else ()) + (self.response.frames if self.response else ())

    @property
    def start_ns(self) -> int:
        return (self.request or self.response).first_ns    # type: ignore[union-attr]

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "request": self.request.as_dict() if self.request else None,
                "response": self.response.as_dict() if self.response else None,
                "ttfb_ms": None if self.ttfb_ms is None else round(self.ttfb_ms, 3),
                "transfer_ms": None if self.transfer_ms is None else round(self.transfer_ms, 3),
                "maybe_ticket": None if self.maybe_ticket is None else {"frame": self.maybe_ticket[0],
                                                                        "bytes": self.maybe_ticket[1]},
                "ttfb_if_ticket_ms": None if self.ttfb_if_ticket_ms is None else round(self.ttfb_if_ticket_ms, 3),
                "early_records": self.early}


@dataclass(frozen=True, slots=True)
class EncryptedView:
    """The inferred exchanges of one TLS connection, with the records set aside."""

    alpn: str | None                           # the server's choice, or what the ClientHello leaves possible
    version: str | None
    multiplexed: bool                          # ALPN h2 (or possibly h2): bursts, not request/response pairs
    exchanges: tuple[Exchange, ...]
    tickets: tuple[int, ...]                   # frames of the records taken for session tickets
    alerts: tuple[tuple[bool, int], ...]       # (client?, frame) of the records taken for encrypted alerts
    client_records: int
    client_bytes: int
    server_records: int
    server_bytes: int
    alpn_hidden: bool = False                  # the client offered h2, the server's choice is encrypted (1.3)
    ticket_lengths: tuple[int, ...] = ()       # the lengths of those records (a frame may carry others too)
    switched: Switched | None = None           # the bursts after a switch of protocol (module docstring)


@dataclass(frozen=True, slots=True)
class Switched:
    """The bursts of a connection after it switched from HTTP/1.x to another protocol: ``after`` is the index
    of the exchange before the switch (very likely the upgrade), ``frame`` and ``length`` the client record
    too short to start a request, the counts and frames those of every burst from it on."""

    after: int
    frame: int
    length: int
    client_records: int
    client_bytes: int
    server_records: int
    server_bytes: int
    first: int
    last: int

    @property
    def data(self) -> int:
        """The most data bytes the short record can hold."""
        return self.length - TLS13_OVERHEAD


def _ms(ns: int) -> float:
    return ns / 1e6


def _tickets(server: list[Any], client_frames: list[int]) -> set[int]:
    """Indexes (in ``server``) of the records taken for TLS 1.3 session tickets (module docstring);
    ``client_frames``: the frames of the client's records, in order."""
    first_client_frame = client_frames[0] if client_frames else None
    found: set[int] = set()
    lengths: set[int] = set()
    for i, r in enumerate(server):
        before_client = first_client_frame is None or r.frame < first_client_frame
        if (before_client and not lengths and TICKET_MIN <= r.length <= TICKET_MAX) or r.length in lengths:
            found.add(i)
            lengths.add(r.length)
            continue
        break
    if found or not server:
        return found
    # rule c: a leading run of >= 2 records of one length, followed by more server data, all before the client
    # says anything more (records the server sent between requests are answers, not tickets)
    k = bisect_right(client_frames, server[0].frame)
    end = client_frames[k] if k < len(client_frames) else None
    burst = [r for r in server if end is None or r.frame < end]
    run = 1
    while run < len(burst) and burst[run].length == burst[0].length:
        run += 1
    if run >= 2 and run < len(burst) and TICKET_MIN <= burst[0].length <= TICKET_MAX:
        found.update(range(run))
    return found


def exchanges(tls: Any, segments: tuple[Segment, ...] | list[Segment], after_frame: int,
              client_dir: int | None = None, early: tuple[Any, ...] = ()) -> EncryptedView | None:
    """The exchanges of ``tls`` (a :class:`~analyzer.apps.tls.facts.TlsSession`) from its application-data
    records after frame ``after_frame`` (the end of the handshake) and the ``early`` ones before it (TLS 1.3
    early data and the server's answer to it); ``segments`` the connection's TCP segments
    (:class:`~analyzer.timeline.facts.Segment`, direction 0 = the TCP originator). None when there is no
    such record."""
    cdir = tls.client_dir if client_dir is None else client_dir
    zero_rtt = {id(r) for r in early if r.direction == cdir}
    records = [*early, *(r for r in tls.app_data if r.frame > after_frame)]
    if not records:
        return None
    v13 = (tls.version or "").endswith("1.3")
    alerts: list[tuple[bool, int]] = []
    aside: set[int] = set()             # ids of records set aside (tickets, alerts)
    # an alert is told by its size in TLS 1.3, and in a session whose version is not known (it began before
    # the capture): a TLS 1.2 record of type 23 and 19 bytes would hold 3 bytes of data (ChaCha20) or be
    # impossible (GCM: 8-byte nonce and 16-byte tag; CBC: at least two blocks)
    if (v13 or tls.version is None) and tag_length(tls.cipher_suite) == 16:     # (8: an alert is 11 bytes, not told apart)
        for r in records:
            if r.length == ALERT_13:
                aside.add(id(r))
                alerts.append((r.direction == cdir, r.frame))
    ticket_frames: list[int] = []
    ticket_lengths: set[int] = set()
    maybe: Any = None                   # rule d: the record that may be a ticket
    if v13:
        server = [r for r in records if r.direction != cdir and id(r) not in aside]
        client = [r.frame for r in records if r.direction == cdir and id(r) not in aside]
        first_client = client[0] if client else None
        picked = _tickets(server, client)
        for i in sorted(picked):
            aside.add(id(server[i]))
            ticket_frames.append(server[i].frame)
            ticket_lengths.add(server[i].length)
        if not picked and first_client is not None and len(server) >= 2 and server[0].frame > first_client \
                and TICKET_MIN <= server[0].length <= TICKET_MAX and server[1].frame > server[0].frame:
            maybe = server[0]
    # the frame of each direction's previous record (any record: handshake, ticket, alert), for burst frames
    every = sorted(tls.app_data, key=lambda r: (r.frame, r.ts_ns))
    prev_frame: dict[int, int] = {}
    previous: dict[int, int] = {}       # id(record) -> frame of the previous record of its direction
    hs_last = {d: max((m.frame for m in tls.handshake if m.direction == d), default=0) for d in (0, 1)}
    for r in every:
        if r.frame > after_frame:
            hs = hs_last.get(r.direction, 0)
        else:           # early data and its answer: only the handshake messages before them
            hs = max((m.frame for m in tls.handshake if m.direction == r.direction and m.frame < r.frame), default=0)
        previous[id(r)] = max(prev_frame.get(r.direction, 0), hs)
        prev_frame[r.direction] = r.frame
    # each direction's payload segments in frame order, and their frame numbers (bisected per burst)
    data = {d: [s for s in segments if s.length and not s.analysis & RESENT and s.direction == d] for d in (0, 1)}
    data_frames = {d: [s.frame for s in data[d]] for d in (0, 1)}
    bursts: list[list[Any]] = []
    for r in records:
        if id(r) in aside:
            continue
        if bursts and bursts[-1][0].direction == r.direction:
            bursts[-1].append(r)
        else:
            bursts.append([r])

    def burst(recs: list[Any]) -> Burst:
        d = recs[0].direction
        lo, hi = previous[id(recs[0])], recs[-1].frame
        segs = data[d][bisect_right(data_frames[d], lo):bisect_right(data_frames[d], hi)]
        frames = tuple(s.frame for s in segs) or (hi,)
        first_ns = segs[0].ts_ns if segs else recs[0].ts_ns
        return Burst(client=d == cdir, records=len(recs), bytes=sum(r.length for r in recs), frames=frames,
                     first_ns=min(first_ns, recs[0].ts_ns), last_ns=recs[-1].ts_ns, last_frame=hi,
                     first_length=recs[0].length, first_record_frame=recs[0].frame)

    out: list[Exchange] = []
    i = 0
    while i < len(bursts):
        req = resp = None
        if bursts[i][0].direction == cdir:
            req = burst(bursts[i])
            i += 1
        if i < len(bursts) and bursts[i][0].direction != cdir:
            resp = burst(bursts[i])
            i += 1
        ttfb = _ms(max(resp.first_ns - req.last_ns, 0)) if req and resp else None
        transfer = _ms(max(resp.last_ns - resp.first_ns, 0)) if resp else None
        maybe_ticket = if_ticket = None
        if maybe is not None and req and resp and resp.records > 1 and bursts[i - 1][0] is maybe:
            # the answer's first segment after the one that ended the record that may be a ticket
            d = maybe.direction
            k = bisect_right(data_frames[d], maybe.frame)
            if k < len(data[d]):
                maybe_ticket = (maybe.frame, maybe.length)
                if_ticket = _ms(max(data[d][k].ts_ns - req.last_ns, 0))
        sent_early = sum(1 for r in bursts[i - 1 - (resp is not None)] if id(r) in zero_rtt) if req else 0
        out.append(Exchange(len(out), req, resp, ttfb, transfer, maybe_ticket, if_ticket, sent_early))
    kept = [r for r in records if id(r) not in aside]
    alpn, hidden = tls.alpn, False
    if alpn is None:
        # TLS 1.3 sends the server's ALPN choice encrypted (EncryptedExtensions). A client that offered only
        # http/1.1 speaks HTTP/1.1; one that offered h2 may speak either: say so rather than guess.
        offered = tuple(tls.client_hello.alpn) if tls.client_hello is not None else ()
        if "h2" in offered:
            hidden = True
        elif offered and all(p.startswith("http/1") for p in offered):
            alpn = "http/1.1" if "http/1.1" in offered else offered[0]
    switched = None
    if v13 and tag_length(tls.cipher_suite) == 16 and alpn != "h2" and not hidden:
        k = next((ex.index for ex in out[1:] if ex.request is not None
                  and ex.request.first_length - TLS13_OVERHEAD < MIN_HTTP1_REQUEST), None)
        if k is not None:
            tail = [b for ex in out[k:] for b in (ex.request, ex.response) if b is not None]
            short = out[k].request
            switched = Switched(k - 1, short.first_record_frame, short.first_length,
                                sum(b.records for b in tail if b.client), sum(b.bytes for b in tail if b.client),
                                sum(b.records for b in tail if not b.client),
                                sum(b.bytes for b in tail if not b.client),
                                min(b.frames[0] for b in tail), max(b.last_frame for b in tail))
            out = out[:k]
    return EncryptedView(
        alpn=alpn, version=tls.version, multiplexed=alpn == "h2" or hidden, exchanges=tuple(out), alpn_hidden=hidden,
        tickets=tuple(ticket_frames), alerts=tuple(alerts), ticket_lengths=tuple(sorted(ticket_lengths)),
        client_records=sum(1 for r in kept if r.direction == cdir),
        client_bytes=sum(r.length for r in kept if r.direction == cdir),
        server_records=sum(1 for r in kept if r.direction != cdir),
        server_bytes=sum(r.length for r in kept if r.direction != cdir), switched=switched)
