"""What the timeline is built from: plain records of what the analysis chain saw (sans-IO).

:mod:`analyzer.timeline.collect` makes them from a capture's frames; tests may write them by hand. Times are
integer ns since the epoch, frame numbers 1-based, addresses strings as the decoders show them. Nothing here
refers back to packets. Records compare by identity (one lookup, one connection), not field by field. The per-connection facts (:class:`ConnFacts`) are made by
:mod:`analyzer.timeline.tcp` from a connection's segment log when the connection (or a stretch of its life)
is over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from analyzer.apps.http.sink import HttpRecord
from analyzer.apps.quic import gquic_version
from analyzer.timeline.frozen import fast_init

# TCP flag bits (RFC 9293 3.1)
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


@fast_init
@dataclass(frozen=True, slots=True, eq=False)
class NeighbourMessage:
    """One ARP request/reply or IPv6 Neighbor Solicitation/Advertisement (RFC 4861 4.3, 4.4).

    ``kind``: "request" (ARP who-has, NS) or "reply" (ARP is-at, NA). ``sender`` asked (request) or
    answered (reply); ``target`` is the address asked about; ``mac`` the link-layer address the message
    gives for ``sender`` (request) or for ``target`` (reply), "" when it carries none. ``unicast``: an NS sent
    to the target's own address, not to its solicited-node multicast group (RFC 4861 7.3: the sender has the
    MAC address and checks that the neighbour is still reachable). ``link_mac``: the frame's link-layer source,
    for an NA that carries no link-layer address option (answering a unicast NS, RFC 4861 7.2.4).
    """

    frame: int
    ts_ns: int
    protocol: str  # "arp" or "nd"
    kind: str
    sender: str
    target: str
    mac: str
    gratuitous: bool = False  # ARP announcement / gratuitous ARP: sender == target
    unicast: bool = False
    link_mac: str = ""


@fast_init
@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """One record of a response's answer section: ``value`` is the address, the CNAME target, or the
    record's data as text."""

    name: str
    rtype: str
    value: str
    ttl: int


@dataclass(frozen=True, slots=True, eq=False)
class DnsLookup:
    """A DNS query and its response (None fields when no response was captured). ``cnames`` is the CNAME
    chain from ``qname`` to the canonical name, ``addresses`` that name's A/AAAA addresses; ``truncated``
    the response's TC bit; ``stream`` the tcp.stream of a lookup over TCP."""

    client: str
    client_port: int
    server: str
    server_port: int
    transport: str  # "udp" or "tcp"
    id: int
    qname: str
    qtype: str
    query_frame: int
    query_ts_ns: int
    response_frame: int | None = None
    response_ts_ns: int | None = None
    rcode: int | None = None
    answers: tuple[DnsAnswer, ...] = ()
    retransmissions: tuple[int, ...] = ()  # frames of the same query sent again before the answer
    retransmission_times: tuple[int, ...] = ()
    cnames: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    truncated: bool = False
    stream: int | None = None
    # unanswered: (frame, ts) of IP fragments from the server to the client while the client waited, of datagrams
    # never reassembled (the rest of them never passed the capture point): most likely pieces of the answer
    fragments: tuple[tuple[int, int], ...] = ()
    announced: int | None = None    # the answer's header count of answer records (ANCOUNT)


@dataclass(frozen=True, slots=True, eq=False)
class StrayAnswer:
    """A DNS response that answers no lookup still open. ``query_frame`` None: its query is not in the file (the
    capture began after it was sent, or did not see it; tshark calls it unsolicited). Else it is a *late* answer:
    the lookup it answers (query ``query_frame``, its copies ``attempts`` in all, the last at ``last_query_ts_ns``)
    had been closed :data:`~analyzer.timeline.run.DNS_WAIT_NS` after its last attempt and told unanswered in an
    earlier fetch; the answer is filed under the client as it comes (:meth:`analyzer.timeline.run.TimelineRun.answered`)."""

    frame: int
    ts_ns: int
    client: str
    client_port: int
    server: str
    server_port: int
    transport: str  # "udp" or "tcp"
    id: int
    qname: str
    qtype: str
    rcode: int | None = None
    answers: tuple[DnsAnswer, ...] = ()
    addresses: tuple[str, ...] = ()
    cnames: tuple[str, ...] = ()
    query_frame: int | None = None
    query_ts_ns: int | None = None
    last_query_ts_ns: int | None = None
    attempts: int = 0
    capture_start_ns: int | None = None     # the file's first frame's time (a lone answer: how long before it)
    # a DNS *query* whose question cannot be read (``malformed``: only its header parses; else it holds no question):
    # ``frame`` is the query's (``copies`` its retransmissions as (frame, ts_ns), ``attempts`` in all); no lookup is
    # made of it.
    # ``answer_frame``/``answer_ts_ns``: the response paired with it by ID, if any (``rcode`` its code)
    unread: bool = False
    malformed: bool = False
    name_loops: bool = False                # malformed: its question's name has a compression pointer that loops
    copies: tuple[tuple[int, int], ...] = ()
    answer_frame: int | None = None
    answer_ts_ns: int | None = None
    announced: int | None = None    # the answer's header count of answer records (ANCOUNT)


class Segment(NamedTuple):
    """One TCP segment of a connection: ``direction`` 0 from the originator (the client), 1 back; ``seq``
    and ``ack`` raw (as on the wire), ``rel_seq``/``rel_ack`` relative as Wireshark shows them;
    ``analysis`` Wireshark's tcp.analysis flag bits (:mod:`analyzer.tcp.analysis` ``A_*``), ``rto_frame``
    for a retransmission the frame it repeats; ``ip_id`` the IPv4 identification of its packet (0: IPv6, or not
    known), ``ttl`` the IPv4 TTL or IPv6 hop limit (0: not known)."""

    frame: int
    ts_ns: int
    direction: int
    flags: int
    seq: int
    ack: int
    rel_seq: int
    rel_ack: int
    length: int
    window: int  # raw (unscaled) window field
    analysis: int = 0
    rto_frame: int = 0
    ip_id: int = 0
    ttl: int = 0


@fast_init
@dataclass(frozen=True, slots=True)
class Message:
    """One HTTP message's place in its TCP stream: bytes ``[start, end)`` of ``direction`` (stream
    offsets, 0 = the byte after the SYN), the transaction it belongs to (index on the connection)."""

    direction: int
    start: int
    end: int
    index: int
    request: bool


@dataclass(frozen=True, slots=True, eq=False)
class ConnFacts:
    """One TCP connection (or the stretch of its life a report covers), as the timeline explains it.

    ``syns`` are the client's SYN frames with their times (more than one: retransmitted), ``synacks`` the
    server's; ``outcome``: "established" (still open at the end of what is covered), "closed" (FIN
    teardown), "reset" (RST after the handshake), "refused" (RST answering the SYN), "unanswered" (no
    SYN-ACK), "midstream" (the handshake happened before the capture). ``summary`` is the part of the
    tracker's row that the timeline reads (:func:`analyzer.tcp.connection.summarize_brief`): teardown,
    TIME_WAIT, resets. ``segments`` the segments covered, in frame order; ``records`` the HTTP transactions
    the connection carried (in this stretch); ``copies`` the segments that are the same packet seen again by
    the capture (:func:`analyzer.timeline.tcp.copies`), not sent again.
    """

    stream: int
    client: str
    client_port: int
    server: str
    server_port: int
    outcome: str
    syns: tuple[tuple[int, int], ...]
    synacks: tuple[tuple[int, int], ...]
    handshake_ack: tuple[int, int] | None
    segments: tuple[Segment, ...]
    records: tuple[HttpRecord, ...]
    messages: tuple[Message, ...]
    summary: dict[str, Any] = field(default_factory=dict, compare=False)
    first_ts_ns: int = 0
    last_ts_ns: int = 0
    first_frame: int = 0
    last_frame: int = 0
    epoch: int = 0  # 0: the connection's first stretch; n > 0: a later one (kept alive, used again)
    settled: bool = True  # the connection is over (False: open, continued in a later stretch)
    truncated: int = 0  # segments not kept (the per-connection bound was reached)
    cut: tuple[int, int, int, int] | None = None  # payload bytes not captured (snaplen): client, server, frames
    next_hop_mac: str = ""  # destination MAC of the client's first frame (the gateway's, off-link)
    tls: Any = None  # the TLS session facts (analyzer.apps.tls.facts.TlsSession) when there is one
    dns: bool = False  # the connection carries DNS (a query retried over TCP)
    http_sink: bool = False  # the HTTP parser saw its bytes as HTTP
    next_request: tuple[int, str] | None = None  # (frame, target) of the request that begins the next stretch
    copies: dict[int, int] = field(default_factory=dict)  # frame of a packet seen again -> its first copy's frame
    # (frame, direction, relative seq, earlier frame): a segment whose bytes differ from those an earlier one
    # brought for the same place in the stream (only the first bytes of each direction are compared)
    conflicts: tuple[tuple[int, int, int, int], ...] = ()
    # (frame, TSval, TSecr) of the SYNs and SYN-ACKs that carried the timestamps option (RFC 7323), the first few
    stamps: tuple[tuple[int, int, int], ...] = ()

    @property
    def established(self) -> bool:
        return bool(self.synacks) or self.outcome == "midstream"


@dataclass(slots=True, eq=False)
class QuicFlow:
    """A QUIC connection (HTTP/3's transport) on one UDP 4-tuple, opened by the client's Initial packet
    (:mod:`analyzer.apps.quic`), or a Google QUIC one (``version`` a gQUIC version: b"Q025"...) opened by its
    hello in clear: what its packets' clear headers tell, updated as its datagrams come; what they
    carry is encrypted and not read. ``done_*``: the client's first short-header (1-RTT) packet, sent once its
    side of the handshake is done."""

    stream: int              # udp.stream
    client: str
    client_port: int
    server: str
    server_port: int
    version: int
    first_frame: int         # the client's first Initial
    first_ts_ns: int
    first_size: int          # its UDP payload bytes
    initials: list[int] = field(default_factory=list)   # the client's Initial datagrams (frames, the first few)
    server_frame: int | None = None     # the server's first datagram of its handshake (not a Retry)
    server_ts_ns: int | None = None
    retry_frame: int | None = None      # the server's Retry, when it asked for address validation first
    retry_ts_ns: int | None = None
    retried_frame: int | None = None    # the client's Initial sent again after the Retry, with its token
    retried_ts_ns: int | None = None
    done_frame: int | None = None
    done_ts_ns: int | None = None
    last_frame: int = 0
    last_ts_ns: int = 0
    last_dir: int = 0                   # who sent the last datagram: 0 the client, 1 the server
    packets: list[int] = field(default_factory=lambda: [0, 0])     # datagrams from the client, from the server
    bytes: list[int] = field(default_factory=lambda: [0, 0])       # their UDP payload bytes
    # the ClientHello in the client's Initial packets (RFC 9001 5.2: keys anyone can derive): its server name and
    # offered protocols, the frames that carried it; ``crypto`` holds its pieces until it is whole
    sni: str | None = None
    alpn: tuple[str, ...] = ()
    hello_frames: list[int] = field(default_factory=list)
    crypto: list[tuple[int, bytes]] | None = field(default_factory=list)
    keys: tuple[bytes, bytes, bytes] | None = None
    # with a TLS key log (analyzer.apps.http3): the connection's QuicSession (its keys, how many packets they
    # opened) and its HTTP/3 transactions (HttpRecords, bodies dropped unless kept), in the order they ended
    session: Any = None
    records: list[Any] = field(default_factory=list)
    # Google QUIC (gQUIC, :func:`analyzer.apps.quic.gquic_hello`): the hello (CHLO) is in clear; its browser
    # (UAID), its tags, and the server's reject (REJ, in clear) when it sent one instead of its encrypted answer
    uaid: str | None = None
    tags: tuple[str, ...] = ()
    reject_frame: int | None = None
    initial_ts: list[int] = field(default_factory=list)     # the times of ``initials`` (gQUIC's hellos)
    # the client's datagrams after the server's first answer: how many, their UDP payload bytes, first and last
    after: list[int] = field(default_factory=lambda: [0, 0, 0, 0])

    @property
    def gquic(self) -> bool:
        return gquic_version(self.version)

@fast_init
@dataclass(frozen=True, slots=True, eq=False)
class IcmpError:
    """An ICMP/ICMPv6 error quoting a datagram the client sent (port or host unreachable...), or one the client
    itself sent quoting a DNS answer it got (``by_client``: its port was closed, it had stopped waiting)."""

    frame: int
    ts_ns: int
    sender: str
    type: int
    code: int
    text: str
    quoted_src: str
    quoted_dst: str
    quoted_proto: str  # "udp" or "tcp"
    quoted_sport: int
    quoted_dport: int
    quoted_seq: int | None = None   # the quoted TCP header's sequence number (a SYN's: the connection's ISN)
    by_client: bool = False         # sent by the quoted datagram's receiver, the client, about its peer's answer

    @property
    def client(self) -> str:
        """The client's address: the quoted datagram's sender, or its receiver when the client sent the error."""
        return self.quoted_dst if self.by_client else self.quoted_src

    @property
    def peer(self) -> tuple[str, int, int]:
        """(the peer's address, its port, the client's port) of the quoted datagram."""
        if self.by_client:
            return self.quoted_src, self.quoted_sport, self.quoted_dport
        return self.quoted_dst, self.quoted_dport, self.quoted_sport
