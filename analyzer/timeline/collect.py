"""Run the analysis chain over a capture's frames and keep what the timeline needs, as it goes.

This is the timeline's adapter over :mod:`analyzer.pipeline` and the shared trackers
(:class:`analyzer.apps.transactions.Transactions`: the HTTP records and DNS transactions ``analyzer http`` and
``analyzer dns`` use). It reads no file itself: the caller passes frames, one at a time.

Speed: a TCP segment in one of the common shapes (Ethernet/VLAN, Linux cooked, BSD loopback or raw IP;
IPv4 without fragmentation or IPv6 without extension headers) is read headers-only and handed straight to
the pipeline's TCP tracker with its payload (so the HTTP parser still sees every byte), without building a
:class:`~analyzer.decode.packet.Packet` or any per-frame field (a file read in batches, :meth:`Collector.feed_batch`:
from the batch's buffer and header columns, without a Frame, by the compiled loop ``_speedups.timeline_tcp``
where it was built, which also appends the segment's log record itself and takes a steady segment of a connection
with sinks without the tracker's Python call, the same steps: ``tl_steady``); so is a DNS message over UDP whole in its frame
(parsed as the decoder parses it and paired as the transaction stage pairs it: :meth:`Collector._dns_quick`; in a
batch, from the header columns without a Frame: :meth:`Collector._dns_udp`) and
an Ethernet ARP for IPv4 (:meth:`Collector._arp_quick`); every other frame (DNS over TCP, ICMP, fragments,
anything unusual) goes through the full :meth:`Pipeline.feed`; both give the same timeline
(tests/test_timeline_collect_paths.py turns the header reading off on every capture). The tracker runs without Wireshark's
per-frame analysis; :mod:`analyzer.timeline.tcp` replays that analysis later, only on the connections whose
counters show trouble (retransmissions, gaps, zero windows, repeated SYNs).

Memory: per open connection a compact log of its segments (28 bytes each, at most :data:`MAX_LOG` kept in
full; beyond, only segments with SYN/FIN/RST and the last ones) and its HTTP records until a report takes
them (:meth:`Collector.take`); DNS transactions and neighbour messages are handed on as they come. The
TCP tracker keeps no finished connection for summary rows (the timeline makes its own facts from the log).

An attempt nobody answered yet (one SYN of a new 4-tuple, no payload) stays the tracker's compact
:class:`~analyzer.tcp.connection.Attempt` (``Pipeline(compact_attempts=True)``), and its log is a pending one
(:meth:`ConnLog.pending`): no segment bytes, no record list, its connection a :class:`PendingConn` that answers
what a connection that saw one SYN says from the attempt's values. The listener is told of it at its SYN, as of
any connection. At the attempt's next segment, when the tracker finishes it, or when a reader asks its
connection for anything else (a summary row), the tracker replays the SYN into the connection the attempt
stands for (the same stream, state and fields) and the log replays its SYN record: from then on it is the
log it would have been from the start. An attempt the tracker finishes (idle, end of input) is finished as
itself (``TcpTracker(finish_attempts=True)``): its log stays pending when handed to ``listener.finished``, and
its connection is made (:meth:`~analyzer.tcp.connection.TcpTracker.finished_attempt`, as finishing it would
have left it) only when a reader asks. A SYN flood's or a port scan's attempt costs well under 1 KB in all
(``benchmarks/bench_conn_memory.py --path timeline``; issue 14), instead of a connection and a log (~2.5 KB).
"""

from __future__ import annotations

import re
import socket
import struct
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from analyzer.apps.dns_tx import DnsTransaction, answer_text, cname_chain
from analyzer.apps.http.conversation import EMPTY_BODY
from analyzer.apps.http.sink import HttpRecord, HttpSink
from analyzer.apps.http3 import is_http3
from analyzer.apps.quic import (
    MIN_INITIAL_DATAGRAM,
    client_hello_bytes,
    client_initial,
    crypto_frames,
    gquic_hello,
    gquic_reject,
    initial_keys,
    open_initial,
    retry,
    short_header,
)
from analyzer.apps.tls import TlsSink
from analyzer.apps.tls.handshake import client_hello
from analyzer.apps.transactions import Transactions, plain_dns_ports
from analyzer.apps.transactions import _parse as _parse_dns
from analyzer.columnar.headers import KIND_TCP, KIND_UDP
from analyzer.compiled import compiled
from analyzer.decode.decode_as import DNS_TCP_PORTS
from analyzer.decode.dns import LOOP_NAME, Dnskey, Ds, Nsec, Nsec3, Rrsig, type_name
from analyzer.decode.errors import DecodeError
from analyzer.flows.quick import _network_offset, address_pair
from analyzer.flows.udp import UdpTable
from analyzer.pipeline import FanOutSink, Pipeline, ReassembledPacket
from analyzer.tcp import state as tcp_state
from analyzer.tcp.connection import Attempt, SinksDue, TcpTracker
from analyzer.tcp.options import walk as walk_options
from analyzer.timeline.facts import DnsAnswer, DnsLookup, IcmpError, NeighbourMessage, QuicFlow, StrayAnswer

REC = struct.Struct("<IqIIHIHHB")    # frame, ts_ns - base, seq, ack, flags | direction << 15, length, window, IPv4 ID, TTL
REC_FLAGS = 20                      # offset of the flags field in a record (its low byte holds FIN, SYN, RST)
_I64 = (1 << 63) - 1
REC_SIZE = REC.size
_PACK = REC.pack
HEAD_BYTES = 512                    # the first stream bytes kept each way, to find two different versions of them
# the HTTP heads' raw lines (Request/Response.lines) are not kept: no fields are made of them and nothing in the
# timeline reads them (tests/test_timeline_collect_paths.py keeps them on its general path)
KEEP_HTTP_LINES = False
# without keep_bodies only HTML bodies are stored (slim() drops the rest): the others are counted as they come
# (apps/http HttpStreamParser.want_body), not handed out chunk by chunk (tests/test_timeline_collect_paths.py
# turns this off on its general path)
COUNT_BODIES = True
# the chunks of a kept body (HTML; every body with keep_bodies) inside its known length are stored in the
# transaction's body without a Data event each (apps/http HttpTracker.take_bodies; the records are the same:
# tests/test_timeline_collect_paths.py turns this off on its general path)
TAKE_BODIES = True
MAX_STAMPS = 32                     # SYN/SYN-ACK and data timestamps kept per connection (ConnLog.stamp)
MAX_LOG = 65536                     # segments kept in full per connection (and per stretch of its life)
TAIL = 1024                         # beyond MAX_LOG: the last ones kept
_TCP = struct.Struct("!HHIIBBH").unpack_from
_U16 = struct.Struct("!H").unpack_from
_UDP = struct.Struct("!HHH").unpack_from
_inet_ntoa = socket.inet_ntoa
HTML_TYPES = ("text/html", "application/xhtml+xml")
_LINK = re.compile(rb"""(?:href|src)\s*=\s*["']?([^"'\s<>]{1,2048})""")     # run on the lowered text
MAX_LINKS = 4096
MAX_LINK_SCAN = 1 << 20     # bytes of a document searched for links
DNS_TIMES_NS = 300_000_000_000      # how long the time of a DNS frame is kept (the run's longest hold)
UDP_IDLE_NS = 300_000_000_000       # a UDP conversation idle this long is forgotten (RecentUdp)
UDP_SWEEP_NS = 30_000_000_000
MAX_SENDER_MACS = 65_536            # link-layer addresses whose senders are remembered (Collector._sent)
SENDERS_PER_MAC = 4                 # more IP addresses sending from one MAC: a router's, not a host's
MAX_FRAGMENT_PAIRS = 4096           # (sender, receiver) pairs whose unreassembled UDP fragments are remembered
FRAGMENTS_KEPT = 32                 # of each pair, the last ones
FRAGMENT_WAIT_NS = 5_000_000_000    # a fragment this soon after a query's last copy may be a piece of its answer
QUIC_IDLE_NS = 60_000_000_000       # a QUIC connection quiet this long is forgotten by the collector (its fetch keeps it)
_NO_BYTES = b""                     # a pending log's segments (shared; replaced by a bytearray when it has one)
_MACS: dict[bytes, str] = {}        # next-hop MAC text, shared: a capture has few gateways
_timeline_tcp = compiled("timeline_tcp")    # Collector.feed_batch's compiled loop (None: the Python one)
# the compiled loop takes a steady segment itself (an ACK/data segment of an established connection with sinks where
# TcpTracker.segment's fast path with sinks would change only counts: the same steps; see _speedups.c, tl_steady)
# while the tracker's segment is TcpTracker.segment (not another class's, not replaced); tests turn it off
STEADY = True
_SEGMENT = TcpTracker.segment


def _kernel_table(batch: Any, cols: Any) -> np.ndarray:
    """The columns ``_speedups.timeline_tcp`` reads, as one C-ordered int64 table (a row each: kind, time,
    offset, captured and original length, link type, IP offset, IP version, TCP offset, IP end)."""
    return np.stack([cols.kind, batch.ts_ns, batch.offset, batch.caplen, batch.origlen, batch.linktype, cols.l3,
                     cols.ipver, cols.t, cols.ip_end]).astype(np.int64)


def _sender_mac(linktype: int, data: Any) -> str:
    """The link-layer address a frame was sent from, as text: Ethernet's source, or the address Linux's cooked
    capture (``tcpdump -i any``: SLL, SLL2) records for an Ethernet-like interface, which for a packet the host
    sent is its own interface's; "" for other link types."""
    if linktype == 1:
        return _mac_text(data[6:12])
    if linktype == 113 and len(data) >= 16 and data[4:6] == b"\x00\x06":        # SLL: halen 6
        return _mac_text(data[6:12])
    if linktype == 276 and len(data) >= 20 and data[11] == 6:                    # SLL2: halen 6
        return _mac_text(data[12:18])
    return ""


def _layer_mac(pkt: Any) -> str:
    """:func:`_sender_mac` from a decoded packet's link layer."""
    layers = pkt.layers
    if len(layers) < 2:
        return ""
    link = layers[1]
    if link.name == "eth":
        return link.fields.get("eth.src", "")
    if link.name == "sll":
        return link.fields.get("sll.src.eth", "")
    return ""


def _mac_text(raw: Any) -> str:
    raw = bytes(raw)
    text = _MACS.get(raw)
    if text is None:
        if len(_MACS) >= 4096:
            _MACS.clear()
        text = _MACS[raw] = raw.hex(":")
    return text


class _Count:
    """Stands for :class:`UdpTable`'s list of conversations where only their number is needed."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0

    def append(self, _conv: Any) -> None:
        self.n += 1

    def __len__(self) -> int:
        return self.n


class RecentUdp(UdpTable):
    """The pipeline's UDP table in a timeline run: conversations numbered as :class:`UdpTable` numbers them
    (``udp.stream``), and forgotten once idle for :data:`UDP_IDLE_NS` of packet time, instead of kept for the
    whole file for summary rows nobody asks for here (the timeline reads no UDP conversation: DNS over UDP is
    paired by its endpoints, :mod:`analyzer.apps.dns_tx`). One of a client's DNS source ports used again after
    that long starts a new conversation where Wireshark continues the old one: its later ``udp.stream``
    numbers differ, and no timeline output shows them."""

    def __init__(self) -> None:
        super().__init__()
        self.conversations = _Count()   # type: ignore[assignment]
        self._next_sweep = 0

    def datagram(self, ts: int, num: int, src: Any, sport: int, dst: Any, dport: int, payload_len: int,
                 frame_len: int, count: bool = True) -> tuple[Any, int]:
        if ts >= self._next_sweep:
            self._next_sweep = ts + UDP_SWEEP_NS
            cutoff = ts - UDP_IDLE_NS
            flows = self.flows
            for conv in [c for c in flows.entries() if c.last_ts < cutoff]:
                flows.remove((conv.orig_h, conv.orig_p, conv.resp_h, conv.resp_p), conv)
        return super().datagram(ts, num, src, sport, dst, dport, payload_len, frame_len, count)


class PendingConn:
    """The connection an unanswered attempt stands for, as a pending :class:`ConnLog`'s ``conn`` (see the module
    docstring). What a connection that saw nothing but one SYN says is answered from the
    :class:`~analyzer.tcp.connection.Attempt`: its stream, times and frames, not closed, no SYN-ACK, no reset, no
    sink; its sides' (:class:`PendingSide`) addresses and ports, the originator's SYN frame and time, one packet,
    no payload. Any other attribute makes the tracker replay the attempt into its connection (the log then
    holds it) and is read there; once that happened, every attribute is the connection's."""

    __slots__ = ("att", "log", "tracker")

    def __init__(self, att: Attempt, log: ConnLog, tracker: Any):
        self.att = att
        self.log = log
        self.tracker = tracker

    def real(self) -> Any:
        """The connection itself (made now when the attempt is still one)."""
        log = self.log
        if log.conn is self:
            att = self.att
            if self.tracker.attempts.get(att.key) is att:
                # the same replay its next segment or its end would cause (the tracker's own step)
                self.tracker.promote(att)
            else:
                # finished as an attempt (idle or at the end): its connection as finishing it would have left it
                log.replay_syn(self.tracker.finished_attempt(att))
            if log.conn is self:
                raise RuntimeError(f"tcp.stream {att.stream}: the attempt became a connection the log never saw")
        return log.conn

    def __getattr__(self, name: str) -> Any:
        log = self.log
        if log.conn is self:
            pending = _PENDING_CONN.get(name)
            if pending is not None:
                return pending(self)
        return getattr(self.real(), name)

    @property
    def stream(self) -> int:
        return self.att.stream

    @property
    def first_ts(self) -> int:
        return self.att.ts

    @property
    def first_frame(self) -> int:
        return self.att.num


class PendingSide:
    """One side of a :class:`PendingConn` (made when asked for; see there)."""

    __slots__ = ("d", "pc")

    def __init__(self, pc: PendingConn, d: int):
        self.pc = pc
        self.d = d

    def __getattr__(self, name: str) -> Any:
        pc = self.pc
        if pc.log.conn is pc:
            pending = _PENDING_SIDE.get(name)
            if pending is not None:
                return pending(pc.att, self.d)
        return getattr(pc.real().sides[self.d], name)

    @property
    def addr(self) -> Any:
        return self.pc.att.key[2 * self.d]

    @property
    def port(self) -> int:
        return self.pc.att.key[2 * self.d + 1]


# What a connection that saw nothing but its originator's SYN says, while its attempt is still one: attribute ->
# its value from the PendingConn (for its sides: from the Attempt and the direction, 0 the originator's)
_PENDING_CONN: dict[str, Callable[[PendingConn], Any]] = {
    "last_ts": lambda pc: pc.att.ts,
    "last_frame": lambda pc: pc.att.num,
    "closed": lambda pc: False,
    "synack_frame": lambda pc: 0,
    "resets": lambda pc: 0,
    "sink": lambda pc: None,
    "sides": lambda pc: (PendingSide(pc, 0), PendingSide(pc, 1)),
}
_PENDING_SIDE: dict[str, Callable[[Attempt, int], Any]] = {
    "syn_frame": lambda att, d: 0 if d else att.num,
    "syn_ts": lambda att, d: 0 if d else att.ts,
    "pkts": lambda att, d: 0 if d else 1,
    "payload_bytes": lambda att, d: 0,
}


def _id_ttl(pkt: Any, layer: Any) -> tuple[int, int]:
    """The IPv4 ID and TTL (IPv6: 0 and the hop limit) of the IP header right before a decoded TCP layer (the
    inner one of a tunnel): they tell a copy of a packet from one sent again. (0, 0) when there is none."""
    layers = pkt.layers
    i = layers.index(layer)
    below = layers[i - 1] if i > 0 else None
    if below is not None and below.name == "ip":
        try:
            return int(below.fields.get("ip.id", "0"), 16) & 0xFFFF, int(below.fields.get("ip.ttl", 0)) & 0xFF
        except (TypeError, ValueError):
            return 0, 0
    if below is not None and below.name == "ipv6":
        return 0, int(below.fields.get("ipv6.hlim", 0) or 0) & 0xFF
    return 0, 0


class ConnLog:
    """What is kept of one TCP connection while it is open (see the module docstring)."""

    __slots__ = ("_records", "_sinks", "base_ts", "conflicts", "conn", "count", "cut", "dns", "epoch", "heads", "log",
                 "next_hop_mac", "replay", "resends", "stamps", "syn_ip", "tail_start", "tls", "truncated", "watch")

    def __init__(self, conn: Any):
        self.conn = conn
        self.log = bytearray()
        self.count = 0              # segments logged in this stretch
        self.truncated = 0          # segments of this stretch not kept
        self.cut: tuple[int, int, int, int] | None = None   # payload bytes cut off by the snaplen: see add_cut
        self.tail_start = -1        # record index where the kept tail begins (-1: everything kept)
        self._records: list[HttpRecord] | None = []
        self.epoch = 0
        self.next_hop_mac = ""
        self.syn_ip = 0             # a pending attempt's SYN: its IPv4 ID << 8 | TTL (see replay_syn)
        self.heads: list | None = None      # per direction: [first seq, its first HEAD_BYTES bytes, [(offset, frame)]]
        self.conflicts: list | None = None  # (frame, direction, seq, earlier frame): the first byte that differs
        self.replay: Any = None     # the analysis replay state, once a stretch needed it
        self.stamps: list[tuple[int, int, int]] | None = None  # (frame, TSval, TSecr) of SYNs/SYN-ACKs: see stamp
        self.watch = 0              # bit d: the next data segment of direction d gets its timestamps kept (stamp_data)
        self.resends = 0            # the tracker's resent data segments on the connection when a data segment was
        # last looked at here (a data segment after which it changed was resent: see stamp_data)
        self.base_ts = conn.first_ts    # times are kept relative to it (a corrupt clock may not fit 64 bits)
        self.tls: Any = None            # the TLS session facts, once its sink handed them out
        self._sinks: tuple | None = None    # (conn.sink, its members, HTTP sink, TLS sink): see _sink
        o, r = conn.sides
        self.dns = o.port in DNS_TCP_PORTS or r.port in DNS_TCP_PORTS

    @classmethod
    def pending(cls, att: Attempt, tracker: Any, next_hop_mac: str, syn_ip: int = 0) -> ConnLog:
        """The log of an attempt the tracker keeps compact (see the module docstring): its SYN is logged
        when the attempt becomes a connection (:meth:`replay_syn`)."""
        log = cls.__new__(cls)
        log.conn = PendingConn(att, log, tracker)
        log.log = _NO_BYTES
        log.count = log.truncated = log.epoch = 0
        log.cut = None
        log.tail_start = -1
        log._records = None
        log.next_hop_mac = next_hop_mac
        log.syn_ip = syn_ip
        log.heads = log.conflicts = None
        log.replay = log.tls = log._sinks = log.stamps = None
        log.watch = log.resends = 0
        log.base_ts = att.ts
        key = att.key
        log.dns = key[1] in DNS_TCP_PORTS or key[3] in DNS_TCP_PORTS
        return log

    @property
    def is_pending(self) -> bool:
        """Its connection is still the tracker's compact attempt."""
        return self.conn.__class__ is PendingConn

    def stamp(self, frame: int, opts: bytes) -> None:
        """A SYN's or SYN-ACK's TCP timestamps option (RFC 7323), kept as (frame, TSval, TSecr), the first
        :data:`MAX_STAMPS` of the connection: a SYN-ACK's TSecr tells which SYN the server got."""
        got = ts_option(opts)
        if got is not None:
            if self.stamps is None:
                self.stamps = []
            if len(self.stamps) < MAX_STAMPS:
                self.stamps.append((frame, got[0], got[1]))

    def stamp_data(self, frame: int, d: int, opts: bytes, resent: bool) -> None:
        """A data segment's timestamps, kept as :meth:`stamp` keeps a SYN's: one the tracker counted as resent
        (``resent``: its count of resent segments changed with it, :attr:`resends`), and the other side's next
        data segment after such a one (its answer: ``watch``). The answer's TSecr tells which copy of resent bytes
        the peer had got (RFC 7323 4.3: it echoes the segment that last advanced its window). The compiled loop
        leaves exactly these segments to :meth:`Collector._logged` (``_speedups.timeline_tcp``: the same count,
        the watch bits); the bound stops the watching too."""
        self.watch &= ~(1 << d)
        if self.stamps is not None and len(self.stamps) >= MAX_STAMPS:
            return
        if resent:
            self.watch |= 1 << (1 - d)
        self.stamp(frame, opts)

    def replay_syn(self, conn: Any) -> None:
        """The attempt became ``conn`` (the tracker replays the SYN into it): log the SYN as it was logged
        when it came."""
        att = self.conn.att
        self.conn = conn
        self.log = bytearray()
        self.add(att.num, att.ts, att.seq, att.ack, att.flags, 0, 0, att.window, self.syn_ip >> 8, self.syn_ip & 0xFF)

    @property
    def records(self) -> list[HttpRecord]:
        """The connection's HTTP records handed out in this stretch."""
        records = self._records
        if records is None:
            records = self._records = []
        return records

    def records_count(self) -> int:
        """``len(self.records)``, without making the list."""
        records = self._records
        return 0 if records is None else len(records)

    @records.setter
    def records(self, value: list[HttpRecord]) -> None:
        self._records = value

    def add(self, number: int, ts: int, seq: int, ack: int, flags: int, d: int, length: int, window: int,
            ip_id: int = 0, ttl: int = 0) -> None:
        """Log one segment. ``ip_id``: its IPv4 identification (0: none, IPv6, or not known), ``ttl`` the IPv4 TTL
        or IPv6 hop limit (0: not known): together they tell a copy of a packet from a packet sent again."""
        self.count += 1
        if self.count > MAX_LOG:
            self._bounded(flags)
        delta = ts - self.base_ts
        if not -_I64 <= delta <= _I64:
            delta = _I64 if delta > 0 else -_I64
        # a lying IP total length can make the decoder's tcp.len negative: no payload is logged for it
        length = min(max(length, 0), 0xFFFFFFFF)
        self.log += REC.pack(number & 0xFFFFFFFF, delta, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, (flags & 0x7FFF) | d << 15,
                             length, window & 0xFFFF, ip_id & 0xFFFF, ttl & 0xFF)

    def _bounded(self, flags: int) -> None:
        """Past MAX_LOG: keep only the first MAX_LOG records plus a rolling tail of TAIL."""
        n = len(self.log) // REC_SIZE
        if self.tail_start < 0:
            self.tail_start = n
        elif n - self.tail_start >= 2 * TAIL:
            cut = n - TAIL
            keep_from = self.tail_start * REC_SIZE
            # keep SYN/FIN/RST records of the dropped stretch, and the other side's first segment after a FIN
            # (its ACK): the handshake and teardown steps cite them
            dropped = self.log[keep_from:cut * REC_SIZE]
            kept = bytearray()
            ack_from = -1
            for i in range(0, len(dropped), REC_SIZE):
                d = dropped[i + REC_FLAGS + 1] >> 7
                if dropped[i + REC_FLAGS] & 0x07:
                    kept += dropped[i:i + REC_SIZE]
                    if dropped[i + REC_FLAGS] & 0x01:
                        ack_from = 1 - d
                elif d == ack_from:
                    kept += dropped[i:i + REC_SIZE]
                    ack_from = -1
            self.truncated += len(dropped) // REC_SIZE - len(kept) // REC_SIZE
            self.log[keep_from:cut * REC_SIZE] = kept
            self.tail_start += len(kept) // REC_SIZE

    def first_ts(self) -> int:
        """The time of the first segment kept in this stretch (the connection's last time when none is)."""
        if not self.log:
            return self.conn.last_ts
        return self.base_ts + REC.unpack_from(self.log, 0)[1]

    def rows(self) -> list[tuple]:
        """The kept segments as (frame, ts_ns, seq, ack, flags | direction << 15, length, window, IPv4 ID, TTL)."""
        if self.conn.__class__ is PendingConn:
            self.conn.real()        # its SYN is logged now
        base = self.base_ts
        return [(f, t + base, *rest) for f, t, *rest in REC.iter_unpack(self.log)]

    def add_payload(self, frame: int, d: int, seq: int, data: bytes, start: int, end: int) -> None:
        """A segment's payload (``data[start:end]``, what the frame holds of it): the first HEAD_BYTES bytes of
        each direction's stream are kept as they first came, and a later segment that brings other bytes for
        the same place in the stream is a conflict (two versions of the same bytes: an injected packet racing
        the real one, or a sender that changed what it resends). Only the connection's first stretch. A frame cut
        by the snaplen inside the TCP header holds no payload (``start`` past ``end``): nothing to keep."""
        if end <= start:
            return
        heads = self.heads
        if heads is None:
            if self.epoch:
                return
            heads = self.heads = [None, None]
        h = heads[d]
        if h is None:
            h = heads[d] = [seq, bytearray(), []]
        buf = h[1]
        n = len(buf)
        off = (seq - h[0]) & 0xFFFFFFFF
        if off >= n:
            if off == n and n < HEAD_BYTES:
                h[2].append((n, frame))
                buf += data[start:min(end, start + HEAD_BYTES - n)]
            return
        m = min(end - start, n - off)
        if buf[off:off + m] != data[start:start + m]:
            i = next(k for k in range(m) if buf[off + k] != data[start + k])
            at = off + i
            earlier = next(f for o, f in reversed(h[2]) if o <= at)
            if self.conflicts is None:
                self.conflicts = []
            self.conflicts.append((frame, d, (h[0] + at) & 0xFFFFFFFF, earlier))
        if off + (end - start) > n and n < HEAD_BYTES:
            h[2].append((n, frame))
            buf += data[start + m:min(end, start + m + HEAD_BYTES - n)]

    def add_cut(self, frame: int, direction: int, missing: int) -> None:
        """``missing`` payload bytes of a segment were not captured (the frame was cut by the snaplen): kept as
        (client's bytes, server's bytes, first such frame, last such frame)."""
        c0, c1, first, _last = self.cut or (0, 0, frame, frame)
        self.cut = (c0 + missing, c1, first, frame) if direction == 0 else (c0, c1 + missing, first, frame)

    def reset(self, from_frame: int | None = None, records_from: int | None = None) -> None:
        """A stretch was reported: start the next one (with the segments from ``from_frame`` on and the
        records from index ``records_from`` on, when the next stretch began already)."""
        tail = bytearray()
        if from_frame is not None:
            for i in range(0, len(self.log), REC_SIZE):
                if REC.unpack_from(self.log, i)[0] >= from_frame:
                    tail = self.log[i:]
                    break
        self.log = tail
        self.count = len(tail) // REC_SIZE
        self.truncated = 0
        self.cut = None
        self.tail_start = -1
        self.records = self.records[records_from:] if records_from is not None else []
        self.epoch += 1

    def _sink(self, kind: type) -> Any:
        """The connection's sink of class ``kind`` (HttpSink or TlsSink), or None. Found once per state of
        ``conn.sink``: the sink object and, for a FanOutSink, its list of members (replaced when one gives up)."""
        sink = self.conn.sink
        if sink is None:
            self._sinks = None
            return None
        members = sink.sinks if sink.__class__ is FanOutSink else None
        found = self._sinks
        if found is None or found[0] is not sink or found[1] is not members:
            http = tls = None
            for s in (sink,) if members is None else members:
                if http is None and isinstance(s, HttpSink):
                    http = s
                elif tls is None and isinstance(s, TlsSink):
                    tls = s
            found = self._sinks = (sink, members, http, tls)
        return found[2] if kind is HttpSink else found[3] if kind is TlsSink else None

    def http_sink(self) -> HttpSink | None:
        """The connection's HTTP parser (for cleartext HTTP; a TLS connection's decrypted HTTP has its own
        sink behind the TLS one)."""
        return self._sink(HttpSink)

    def tls_session(self) -> Any:
        """The TLS session facts: handed out, or a snapshot of the open connection's; None without TLS."""
        if self.tls is not None:
            return self.tls
        sink = self._sink(TlsSink)
        if sink is not None and sink.started and not sink.dead:
            return sink.session()
        return None

    def open_records(self) -> list[HttpRecord]:
        """The connection's transactions not handed out yet, as they stand (decrypted ones too)."""
        sink = self.http_sink()
        out = sink.open_records() if sink is not None else []
        tls = self._sink(TlsSink)
        inner = tls.app_sink if tls is not None else None
        if isinstance(inner, HttpSink):
            out += inner.open_records()
        return out


class Collector:
    """One analysis run fed frame by frame; what it learns goes to ``listener`` as it comes.

    ``listener`` has ``connection(log)`` (a new TCP connection, its :class:`ConnLog`), ``lookup(trans)``
    (a new :class:`DnsTransaction`; it is updated in place as its response arrives), ``answered(trans)`` (a
    response answered that transaction, unsolicited ones excepted: they come as new ones), ``neighbour(msg)``,
    ``icmp(error)`` and ``finished(log)`` (the tracker finished the connection: idle or end of capture).
    ``keep_bodies``: keep every HTTP body (HAR, HTML report); otherwise only HTML documents (for their links).
    ``local_names``: mDNS and LLMNR lookups too (multicast name resolution on the link; ignored unless asked).
    ``keylog``: TLS secrets (:class:`analyzer.apps.tls.KeyLog`) to decrypt HTTPS with; a pcapng's Decryption
    Secrets Blocks add to it as they are read.
    """

    def __init__(self, listener: Any, *, keep_bodies: bool = False, local_names: bool = False,
                 keylog: Any = None):
        self.listener = listener
        self.keep_bodies = keep_bodies
        self.local_names = local_names      # mDNS and LLMNR lookups too (ignored by default)
        self.tx = Transactions(fields=False, keylog=keylog)
        self.tx.http.keep = False
        self.tx.http.keep_lines = KEEP_HTTP_LINES
        if not keep_bodies and COUNT_BODIES:
            self.tx.http.want_body = html_head      # the only bodies slim() keeps: the rest are counted
        self.tx.http.take_bodies = TAKE_BODIES
        self.tx.http.on_record = self._record
        if self.tx.tls is not None:
            self.tx.tls.keep = False
            self.tx.tls.on_session = self._session
        self.pipe = Pipeline(sinks=self._new_connection, transactions=self.tx, analysis=False, compact_attempts=True,
                             tracker_options={"on_finish": self._finished, "keep_summaries": False,
                                              "finish_attempts": True})
        self.pipe.udp = RecentUdp()
        self.logs: dict[int, ConnLog] = {}
        # (tcp stream, transaction index) -> its HTML body: the links are found when needed. Keyed by what
        # the capture says, never by id(): an object's id is reused once it dies
        self.links: dict[tuple[int, int], bytes] = {}
        # the link-layer addresses that DNS queries and SYNs came from, and the IP addresses seen sending from each
        # (see senders_of): a dual-stack host sends its IPv4 and IPv6 packets from one MAC
        self.sent_from: dict[str, list[str]] = {}
        self.sent_mac: dict[str, str] = {}
        # QUIC connections still sending, by (client, port, server, port): forgotten after QUIC_IDLE_NS of silence
        self.quic: dict[tuple[str, int, str, int], QuicFlow] = {}
        self._quic_check = 0
        self.dns_times: dict[int, int] = {}          # frame -> ts of the DNS queries that were retransmissions
        # (sender, receiver) -> [frame, ts] of the UDP datagrams' IP fragments not (yet) reassembled, the last few
        # (a frame leaves when its datagram is reassembled): what an unanswered DNS query got instead of an answer
        self.fragments: dict[tuple[str, str], list[list[int]]] = {}
        self._dns_times_max = 4096
        self.tx.dns.on_retransmission = self._dns_time
        self.tx.dns.on_answer = self._dns_answer
        self.frames = 0
        self.first_ts_ns: int | None = None
        self.last_ts_ns = 0

    # -- callbacks from the pipeline -------------------------------------------------------------------
    def _new_connection(self, conn: Any) -> None:
        log = self.logs.get(conn.stream)
        if log is not None and log.conn.__class__ is PendingConn:
            log.replay_syn(conn)        # an attempt became a connection: its log was made at the SYN
            return
        log = self.logs[conn.stream] = ConnLog(conn)
        self.listener.connection(log)
        # no reassembly sink of our own

    def _new_attempt(self, att: Attempt, next_hop_mac: str, syn_ip: int = 0, src_mac: str = "") -> None:
        log = self.logs[att.stream] = ConnLog.pending(att, self.pipe.tcp, next_hop_mac, syn_ip)
        if att.opts:
            log.stamp(att.num, att.opts)
        if src_mac:
            self._sent(str(log.conn.sides[0].addr), src_mac)
        self.listener.connection(log)

    def _finished(self, conn: Any) -> None:
        log = self.logs.pop(conn.stream, None)
        if log is not None:
            log._sinks = None           # the sinks are closed: hold none of them
        if log is not None and (log.conn is conn or (conn.__class__ is Attempt and log.conn.__class__ is PendingConn
                                                      and log.conn.att is conn)):
            self.listener.finished(log)     # an attempt finished as itself: its log stays pending (PendingConn)

    def _session(self, session: Any) -> None:
        log = self.logs.get(session.stream)
        if log is not None:
            log.tls = session

    def _record(self, record: HttpRecord) -> None:
        if is_http3(record):        # over QUIC: its stream is udp.stream, its connection a QuicFlow
            flow = self.quic.get((str(record.client[0]), record.client[1], str(record.server[0]), record.server[1]))
            if flow is not None:
                tx = record.transaction
                if not self.keep_bodies and (tx.request_body.data or tx.response_body.data):
                    record = replace(record, transaction=replace(tx, request_body=EMPTY_BODY,
                                                                 response_body=EMPTY_BODY))
                flow.records.append(record)
            return
        log = self.logs.get(record.stream)
        if log is None:
            return                  # its connection was reported already
        log.records.append(self.slim(record))

    def slim(self, record: HttpRecord) -> HttpRecord:
        """The record as the timeline keeps it: bodies dropped unless asked for; an HTML document's body kept
        aside (its links are found when page grouping rule 2c needs them), keyed by (stream, transaction index)."""
        tx = record.transaction
        html = None
        resp = tx.response
        if resp is not None and html_head(resp.headers):
            body = tx.response_body
            html = (body.decoded if body.decoded is not None else body.data)[:MAX_LINK_SCAN]
        if not self.keep_bodies and (tx.request_body.data or tx.response_body.data):
            record = replace(record, transaction=replace(tx, request_body=EMPTY_BODY, response_body=EMPTY_BODY))
        if html:
            self.links[(record.stream, tx.index)] = html
        return record

    # -- frames -------------------------------------------------------------------------------------
    def feed(self, frame: Any) -> None:
        """One frame through the analysis chain."""
        self.frames += 1
        ts = frame.ts_ns
        if self.first_ts_ns is None:
            self.first_ts_ns = ts
        self.last_ts_ns = max(self.last_ts_ns, ts)
        data = frame.data
        if frame.linktype == 1 and len(data) >= 54 and data[12] == 8 and data[13] == 0 and data[14] == 0x45 \
                and data[23] == 6 and not (data[20] & 0x3F or data[21]):
            if self._tcp(frame.number, ts, frame.origlen, 1, data, 0, len(data), 14, 34, data[26:34],
                         (data[16] << 8 | data[17]) + 14):
                return
        elif frame.linktype != 1 or data[12:14] != b"\x08\x06":
            where = _network_offset(data, frame.linktype)
            if where is not None and self._other_shape(frame, data, *where):
                return
        elif self._arp_quick(frame, data):
            return
        self._full(frame)
        if self.pipe.tcp is not None:
            self.pipe.tcp.tick(ts)

    def feed_batch(self, batch: Any, cols: Any, start: int, limit: int) -> int:
        """The frames of ``batch`` (an :class:`analyzer.capture.batches.FrameBatch`, ``cols`` its header columns:
        :func:`analyzer.columnar.headers.parse`) from index ``start`` on, each as :meth:`feed` takes it, until one
        whose time is ``limit`` or later (not fed: the caller's check comes first); returns its index, or the
        batch's length. A TCP segment the columns read (``KIND_TCP``: the shapes :meth:`feed` reads headers-only,
        the same offsets) goes to :meth:`_tcp` from the batch's buffer without a Frame; any other frame is made
        one and fed (tests/test_timeline_batch.py: the same timeline and segment logs as :meth:`feed`)."""
        n = len(batch)
        if start >= n:
            return n
        ts_all = batch.ts_ns
        stop = n
        if int(ts_all[start:].max()) >= limit:
            stop = start + int(np.argmax(ts_all[start:] >= limit))
            if stop == start:
                return start
        data = batch.data
        first = batch.first_number
        sl = slice(start, stop)
        ts_list = ts_all[sl].tolist()
        if self.first_ts_ns is None:
            self.first_ts_ns = ts_list[0]
        self.last_ts_ns = max(self.last_ts_ns, int(ts_all[sl].max()))
        self.frames += stop - start
        kinds = cols.kind[sl].tolist()
        offs, caps, origs = batch.offset[sl].tolist(), batch.caplen[sl].tolist(), batch.origlen[sl].tolist()
        links, l3s, ts_, ends = batch.linktype[sl].tolist(), cols.l3[sl].tolist(), cols.t[sl].tolist(), \
            cols.ip_end[sl].tolist()
        v6s = (cols.ipver[sl] == 6).tolist()
        tcp = self._tcp
        pipe = self.pipe
        kernel = _timeline_tcp
        if kernel is not None:
            table = _kernel_table(batch, cols)
            tracker = pipe.tcp
            segment = tracker.segment
            steady = (tracker, tcp_state.ESTABLISHED, SinksDue) if STEADY and type(tracker).segment is _SEGMENT else ()
        at = np.zeros(1, dtype=np.int64)       # the compiled loop's frame (see below)
        i = start
        try:
            while i < stop:
                if kernel is not None:
                    # the compiled loop: TCP segments from i on, up to the first frame it leaves to the code below
                    at[0] = i
                    j = kernel(data, first, i, stop, table, segment, address_pair, self.logs, Attempt, DNS_TCP_PORTS,
                               self._logged, ConnLog, MAX_LOG, at, *steady)
                    if j > i:
                        pipe.frames += j - i
                        if pipe.first_ts_ns is None:
                            pipe.first_ts_ns = ts_list[i - start]
                        i = j
                        if i >= stop:
                            break
                k = i - start
                off, l3, kind = offs[k], l3s[k], kinds[k]
                if kind == KIND_TCP:
                    done = tcp(first + i, ts_list[k], origs[k], links[k], data, off, off + caps[k], l3, ts_[k],
                               data[l3 + 8:l3 + 40] if v6s[k] else data[l3 + 12:l3 + 20], ends[k])
                elif kind == KIND_UDP:
                    # a DNS message as feed() would take it, from the frame's bytes (_other_shape: the IP length as
                    # the header says it)
                    frame, u, ip = data[off:off + caps[k]], ts_[k] - off, l3 - off
                    if v6s[k]:
                        done = self._dns_udp(first + i, ts_list[k], caps[k], origs[k], links[k], frame, u,
                                             frame[ip + 8:ip + 40], u + _U16(frame, ip + 4)[0])
                    else:
                        done = self._dns_udp(first + i, ts_list[k], caps[k], origs[k], links[k], frame, u,
                                             frame[ip + 12:ip + 20], ip + _U16(frame, ip + 2)[0])
                else:
                    done = False
                if not done:
                    self.frames -= 1        # (feed counts it)
                    self.feed(batch.frame(i))
                i += 1
        except Exception:
            # the frame being read, as a local Frame: what names it in an internal error (cli/main._frame_in)
            failed = batch.frame(max(i, int(at[0])))     # noqa: F841
            raise
        return stop

    def _other_shape(self, frame: Any, data: bytes, off: int, version: int) -> bool:
        n = len(data)
        if version == 4:
            if n < off + 20 or data[off] >> 4 != 4:
                return False
            proto = data[off + 9]
            if proto != 6 and proto != 17:
                return False
            ihl = (data[off] & 0x0F) << 2
            if ihl < 20 or (data[off + 6] & 0x3F) or data[off + 7]:
                return False
            if proto == 17:
                return self._dns_quick(frame, data, off + ihl, data[off + 12:off + 20], off + _U16(data, off + 2)[0])
            return self._tcp(frame.number, frame.ts_ns, frame.origlen, frame.linktype, data, 0, n, off, off + ihl,
                             data[off + 12:off + 20], off + _U16(data, off + 2)[0])
        if n < off + 40 or data[off] >> 4 != 6:
            return False
        proto = data[off + 6]
        if proto != 6 and proto != 17:
            return False
        plen = _U16(data, off + 4)[0]
        if not plen:
            return False
        if proto == 17:
            return self._dns_quick(frame, data, off + 40, data[off + 8:off + 40], off + 40 + plen)
        return self._tcp(frame.number, frame.ts_ns, frame.origlen, frame.linktype, data, 0, n, off, off + 40,
                         data[off + 8:off + 40], off + 40 + plen)

    def _quick_ok(self) -> bool:
        """Nothing waits for a later frame's Packet in the transaction stage (HTTP fields of messages a FIN
        completed, DNS-over-TCP messages): a frame that is not TCP may then skip that stage, which would only
        look for what is not there."""
        tx = self.tx
        http = tx.http
        return not (tx._tcp_messages or (http is not None and (http.pending or http.infos)))

    def _dns_quick(self, frame: Any, data: bytes, u: int, addrs: bytes, ip_end: int) -> bool:
        """A DNS message over UDP read headers-only: the datagram is whole in the frame (nothing cut, the UDP
        length exactly the IP payload's), its ports decode as DNS (Decode As rules included) and as nothing
        the HTTP-over-UDP tracker reads; then the message is parsed as the decoder parses it (no Wireshark
        fields made) and paired as :meth:`Transactions._dns <analyzer.apps.transactions.Transactions._dns>`
        pairs it. False (nothing done) for anything else: the full decoder takes it."""
        return self._dns_udp(frame.number, frame.ts_ns, frame.caplen, frame.origlen, frame.linktype, data, u, addrs,
                             ip_end)

    def _dns_udp(self, number: int, ts: int, caplen: int, origlen: int, linktype: int, data: bytes, u: int,
                 addrs: bytes, ip_end: int) -> bool:
        """:meth:`_dns_quick` of a frame given by its values and bytes, ``data`` (:meth:`feed_batch` takes a UDP
        frame the header columns read so, without making a Frame)."""
        if ip_end > len(data) or caplen < origlen or ip_end < u + 9:
            return False
        sport, dport, length = _UDP(data, u)
        if length != ip_end - u:
            return False
        if not plain_dns_ports(sport, dport) or not self._quick_ok():
            return False
        pipe = self.pipe
        pipe.frames += 1
        if pipe.first_ts_ns is None:
            pipe.first_ts_ns = ts
        src, dst = address_pair(addrs)
        conv, _d = pipe.udp.datagram(ts, number, src, sport, dst, dport, length - 8, origlen)
        dns = self.tx.dns
        before = len(dns.transactions)
        msg, header = _parse_dns(data, u + 8, ip_end)
        if header is not None:
            dns.message(msg, header, service="dns", proto="udp", stream=conv.stream, src=(src, sport),
                        dst=(dst, dport), frame=number, ts_ns=ts)
        self._hand_lookups(before, _sender_mac(linktype, data))
        if pipe.tcp is not None:
            pipe.tcp.tick(ts)
        return True

    def _arp_quick(self, frame: Any, data: bytes) -> bool:
        """An Ethernet ARP frame for IPv4 over Ethernet addresses, read without the decoder (what
        :meth:`_arp` reads of its fields); False for any other."""
        if len(data) < 42 or data[14:20] != b"\x00\x01\x08\x00\x06\x04" or not self._quick_ok():
            return False
        pipe = self.pipe
        ts = frame.ts_ns
        pipe.frames += 1
        if pipe.first_ts_ns is None:
            pipe.first_ts_ns = ts
        op = data[20] << 8 | data[21]
        if op == 1 or op == 2:
            sender, target = _inet_ntoa(data[28:32]), _inet_ntoa(data[38:42])
            self.listener.neighbour(NeighbourMessage(frame.number, ts, "arp", "request" if op == 1 else "reply",
                                                     sender, target, data[22:28].hex(":"),
                                                     gratuitous=sender == target))
        if pipe.tcp is not None:
            pipe.tcp.tick(ts)
        return True

    def _tcp(self, number: int, ts: int, origlen: int, linktype: int, data: bytes, base: int, n: int, ip_off: int,
             t: int, addrs: bytes, ip_end: int) -> bool:
        """A TCP segment read headers-only; False when it needs the full decoder. The frame is ``data[base:n]``
        (a frame's own bytes, or a batch's buffer); ``ip_off``, ``t`` (the TCP header) and ``ip_end`` (where the
        IP length says the packet ends) are offsets in ``data``."""
        if n < t + 20:
            return False
        sport, dport, seq, ack, offres, flagbyte, window = _TCP(data, t)
        if sport in DNS_TCP_PORTS or dport in DNS_TCP_PORTS:
            return False        # DNS over TCP: the pipeline's own DNS sink needs the packet
        hl = (offres >> 4) << 2
        ip_end = min(ip_end, base + origlen)    # a lying IP length: cut to the frame, as the decoder and tshark do
        p = t + hl                  # the payload's start
        seglen = ip_end - p
        if hl < 20 or seglen < 0 or n < p:
            return False
        end = min(ip_end, n)                # the payload's end in the frame
        src, dst = address_pair(addrs)
        flags = ((offres & 0x0F) << 8) | flagbyte
        # options: read by the tracker only on a SYN when no per-frame fields are asked for
        conn, d = self.pipe.tcp.segment(ts, number, src, sport, dst, dport, seq, ack, flags, window, seglen,
                                        data[t + 20:p] if hl > 20 and flagbyte & 0x02 else b"",
                                        data[p:end] if seglen else b"", origlen, number)
        # the IP header's ID and TTL (hop limit) tell a copy of a packet from one sent again
        if data[ip_off] >> 4 == 4:
            ip_id, ttl = data[ip_off + 4] << 8 | data[ip_off + 5], data[ip_off + 8]
        else:
            ip_id, ttl = 0, data[ip_off + 7]
        self._logged(conn, d, number, ts, seq, ack, flags, window, seglen, ip_id, ttl, linktype, data, base, n, p,
                     end, ip_end)
        self.pipe.frames += 1
        if self.pipe.first_ts_ns is None:
            self.pipe.first_ts_ns = ts
        return True

    def _logged(self, conn: Any, d: int, number: int, ts: int, seq: int, ack: int, flags: int, window: int,
                seglen: int, ip_id: int, ttl: int, linktype: int, data: bytes, base: int, n: int, p: int, end: int,
                ip_end: int) -> None:
        """A segment :meth:`_tcp` gave the tracker (``conn``, ``d``: what it said): a new attempt's log, or the
        segment in its connection's log (payload ``data[p:end]``, of ``ip_end - p`` bytes: the frame,
        ``data[base:n]``, may hold fewer). The compiled loop (``_speedups.timeline_tcp``) logs the commonest
        segments itself, exactly so, and calls this for the others."""
        if conn.__class__ is Attempt:
            # the next hop's address from Ethernet only (a cooked capture records the sender's alone)
            self._new_attempt(conn, _mac_text(data[base:base + 6]) if linktype == 1 else "", ip_id << 8 | ttl,
                              _sender_mac(linktype, data[base:n] if base or n != len(data) else data))
            return
        log = self.logs.get(conn.stream)
        if log is not None and log.conn is conn:
            if flags & 0x02:        # a SYN or SYN-ACK (the compiled loop leaves them all here): its timestamps
                log.stamp(number, _header_options(data, base, p, seq, ack))
            elif seglen:
                # a data segment the tracker counted as resent, or the answer watched for after one: its timestamps
                # (the compiled loop leaves exactly these here)
                o, r = conn.sides
                resends = o.retransmissions + r.retransmissions
                if resends != log.resends or log.watch >> d & 1:
                    log.stamp_data(number, d, _header_options(data, base, p, seq, ack), resends != log.resends)
                    log.resends = resends
            if not log.next_hop_mac and not log.epoch and d == 0 and linktype == 1:
                log.next_hop_mac = _mac_text(data[base:base + 6])
            # ConnLog.add, inline (every value is in range here: 32-bit sequence numbers, 12 flag bits,
            # 16-bit window and ID, a length from a 16-bit IP length)
            log.count += 1
            if log.count > MAX_LOG:
                log._bounded(flags)
            delta = ts - log.base_ts
            if not -_I64 <= delta <= _I64:
                delta = _I64 if delta > 0 else -_I64
            log.log += _PACK(number & 0xFFFFFFFF, delta, seq, ack, flags | d << 15, seglen, window, ip_id, ttl)
            if seglen:
                log.add_payload(number, d, seq, data, p, end)
                if ip_end > n:
                    log.add_cut(number, d, min(seglen, ip_end - n))

    def _full(self, frame: Any) -> None:
        tx = self.tx
        before = len(tx.dns.transactions)
        pkt = self.pipe.feed(frame)
        layers = pkt.layers
        if len(layers) > 1 and self._fragment(pkt, layers):
            return
        ip = None
        for i, layer in enumerate(layers):
            name = layer.name
            if name == "ip" or name == "ipv6":
                if ip is None:
                    ip = layer
            elif name == "tcp":
                self._logged_segment(pkt, ip, layer)
                break
            elif name == "arp":
                self._arp(frame, layer.fields)
                break
            elif name == "icmpv6":
                self._icmpv6(pkt, layer, ip, layers[i + 1:])
                break
            elif name == "icmp":
                self._icmp_error(pkt, layer, ip, layers[i + 1:])
                break
            elif name == "udp":
                if ip is not None and pkt.payload is not None:
                    self._quic(pkt, ip, layer)
                break
        self._hand_lookups(before, _layer_mac(pkt))

    def _quic(self, pkt: Any, ip: Any, layer: Any) -> None:
        """A UDP datagram: a client's QUIC Initial opens a :class:`QuicFlow` (handed to the listener), and each
        later datagram of the same 4-tuple, either way, counts in it."""
        f, g = layer.fields, ip.fields
        v6 = ip.name == "ipv6"
        src, dst = g.get("ipv6.src" if v6 else "ip.src"), g.get("ipv6.dst" if v6 else "ip.dst")
        sport, dport = f.get("udp.srcport"), f.get("udp.dstport")
        if src is None or dst is None or sport is None or dport is None:
            return
        src, dst = str(src), str(dst)
        off, end = pkt.payload
        raw = pkt.frame.data
        flows = self.quic
        flow = flows.get((src, sport, dst, dport))
        direction = 0
        if flow is None:
            flow = flows.get((dst, dport, src, sport))
            direction = 1
        if flow is None and end > off and raw[off] & 0xC3 == 0x01:
            hello = gquic_hello(raw[off:end])       # Google QUIC: a version and a hello in clear
            if hello is None:
                return
            self._quic_forget(pkt.frame.ts_ns)
            flow = QuicFlow(f.get("udp.stream", 0), src, sport, dst, dport, hello.version, pkt.frame.number,
                            pkt.frame.ts_ns, end - off, sni=hello.sni, uaid=hello.uaid, tags=hello.tags,
                            crypto=None, hello_frames=[pkt.frame.number])
            flows[(src, sport, dst, dport)] = flow
            direction = 0
            self.listener.quic(flow)
        if flow is None and (end - off < MIN_INITIAL_DATAGRAM or raw[off] & 0xC0 != 0xC0):
            return          # no QUIC connection of it, and not a long-header datagram big enough to open one
        data = raw[off:end]
        frame, ts = pkt.frame.number, pkt.frame.ts_ns
        if flow is None:
            h = client_initial(data)
            if h is None:
                return
            self._quic_forget(ts)
            flow = QuicFlow(f.get("udp.stream", 0), src, sport, dst, dport, h.version, frame, ts, len(data))
            flow.keys = initial_keys(h.version, h.dcid)
            flows[(src, sport, dst, dport)] = flow
            direction = 0
            self.listener.quic(flow)
        if flow.gquic:
            self._gquic(flow, data, frame, ts, direction)
            return
        if flow.session is None and self.tx.http3 is not None:
            # a key log: the connection's keys and HTTP/3 (apps.http3), known once its ClientHello is whole
            ends = ((src, sport), (dst, dport))
            flow.session = self.tx.http3.sessions.get(ends if ends[0] < ends[1] else ends[::-1])
        flow.packets[direction] += 1
        flow.bytes[direction] += len(data)
        flow.last_frame, flow.last_ts_ns, flow.last_dir = frame, ts, direction
        if direction == 1:
            if flow.server_frame is None:
                if retry(data) is not None:         # address validation first: the handshake comes after
                    if flow.retry_frame is None:
                        flow.retry_frame, flow.retry_ts_ns = frame, ts
                else:
                    flow.server_frame, flow.server_ts_ns = frame, ts
        else:
            if flow.server_frame is None and client_initial(data) is not None:
                if flow.retry_frame is None:
                    if len(flow.initials) < 8:
                        flow.initials.append(frame)     # the Initials sent before any answer (resent when unanswered)
                elif flow.retried_frame is None:
                    flow.retried_frame, flow.retried_ts_ns = frame, ts      # the Initial with the Retry's token
            if flow.done_frame is None and short_header(data):
                flow.done_frame, flow.done_ts_ns = frame, ts
            if flow.crypto is not None and flow.keys is not None:
                _quic_hello(flow, data, frame)

    def _fragment(self, pkt: Any, layers: list[Any]) -> bool:
        """An IP fragment of a UDP datagram that did not complete it: filed in :attr:`fragments` (True); a datagram
        reassembled at this frame takes its fragments out (False: the frame goes on as any other)."""
        last = layers[-1]
        name = last.name
        if name == "ip":
            f = last.fields
            if not (f.get("ip.flags.mf") or f.get("ip.frag_offset")) or f.get("ip.proto") != 17:
                return False
            src, dst = f.get("ip.src"), f.get("ip.dst")
        elif name == "ipv6.fraghdr":
            if last.fields.get("ipv6.fraghdr.nxt") != 17:
                return False
            f = next((x.fields for x in layers if x.name == "ipv6"), {})
            src, dst = f.get("ipv6.src"), f.get("ipv6.dst")
        else:
            if not isinstance(pkt, ReassembledPacket):
                return False
            for x in layers:
                done = x.fields.get("ip.fragment") or x.fields.get("ipv6.fragment") if x.name in ("ip", "ipv6") \
                    else None
                if done:
                    g = x.fields
                    key = (str(g.get("ip.src") or g.get("ipv6.src")), str(g.get("ip.dst") or g.get("ipv6.dst")))
                    got = self.fragments.get(key)
                    if got:
                        got[:] = [e for e in got if e[0] not in done]
                    break
            return False
        if src is None or dst is None:
            return True
        key = (str(src), str(dst))
        got = self.fragments.get(key)
        if got is None:
            if len(self.fragments) >= MAX_FRAGMENT_PAIRS:
                del self.fragments[next(iter(self.fragments))]
            got = self.fragments[key] = []
        got.append([pkt.frame.number, pkt.frame.ts_ns])
        if len(got) > FRAGMENTS_KEPT:
            del got[0]
        return True

    def _quic_forget(self, ts: int) -> None:
        """Forget the QUIC connections quiet for :data:`QUIC_IDLE_NS` (they stay with their fetch)."""
        if ts - self._quic_check > QUIC_IDLE_NS:
            self._quic_check = ts
            flows = self.quic
            for key in [k for k, q in flows.items() if ts - q.last_ts_ns > QUIC_IDLE_NS]:
                del flows[key]

    @staticmethod
    def _gquic(flow: QuicFlow, data: bytes, frame: int, ts: int, direction: int) -> None:
        """A datagram of a Google QUIC connection (the client's hello in clear, the rest encrypted): the client's
        hellos until the server answers, the server's first answer (a reject in clear, or encrypted), what the
        client sent after it."""
        flow.packets[direction] += 1
        flow.bytes[direction] += len(data)
        flow.last_frame, flow.last_ts_ns, flow.last_dir = frame, ts, direction
        if direction == 1:
            if flow.server_frame is None:
                flow.server_frame, flow.server_ts_ns = frame, ts
                if gquic_reject(data):
                    flow.reject_frame = frame
        elif flow.server_frame is None:
            if gquic_hello(data) is not None and len(flow.initials) < 8:
                flow.initials.append(frame)         # the hellos sent before any answer (resent when unanswered)
                flow.initial_ts.append(ts)
        else:
            after = flow.after
            after[0] += 1
            after[1] += len(data)
            after[2] = after[2] or frame
            after[3] = frame

    def _hand_lookups(self, before: int, mac: str = "") -> None:
        """The DNS transactions the frame started (after the first ``before``) go to the listener; ``mac``: the
        frame's source link-layer address (the query's sender's)."""
        dns = self.tx.dns.transactions
        if len(dns) > before:
            for trans in dns[before:]:
                if trans.service == "dns" or self.local_names:
                    if mac and trans.query is not None:
                        self._sent(str(trans.client[0]), mac)
                    self.listener.lookup(trans)
            dns.clear()     # handed on; the tracker keeps only what pairing needs

    def _sent(self, addr: str, mac: str) -> None:
        """``addr`` sent a frame from link-layer address ``mac`` (a DNS query or a SYN)."""
        macs = self.sent_mac
        if macs.get(addr) != mac:
            if len(macs) >= MAX_SENDER_MACS and addr not in macs:
                del macs[next(iter(macs))]
            macs[addr] = mac
        got = self.sent_from.get(mac)
        if got is None:
            if len(self.sent_from) >= MAX_SENDER_MACS:
                del self.sent_from[next(iter(self.sent_from))]
            got = self.sent_from[mac] = []
        if addr not in got and len(got) <= SENDERS_PER_MAC:
            got.append(addr)

    def senders_of(self, addr: str) -> list[str]:
        """The other IP addresses that sent DNS queries or SYNs from the link-layer address ``addr`` last sent
        one from; empty when that MAC sent for more than :data:`SENDERS_PER_MAC` addresses (a router's, in a
        capture taken behind it: it says nothing of hosts)."""
        mac = self.sent_mac.get(addr)
        got = self.sent_from.get(mac) if mac else None
        if not got or len(got) > SENDERS_PER_MAC:
            return []
        return [a for a in got if a != addr]

    def _dns_time(self, number: int, ts_ns: int) -> None:
        """A DNS query that was a retransmission (the pairing tracker's callback): its time, for the lookup's
        retransmission times."""
        times = self.dns_times
        times[number] = ts_ns
        if len(times) > self._dns_times_max:
            # bounded by time, not by the file: a retransmission is looked up while its lookup's activity is
            # open (the run holds nothing longer than DNS_TIMES_NS)
            cutoff = ts_ns - DNS_TIMES_NS
            self.dns_times = {k: t for k, t in times.items() if t >= cutoff}
            self._dns_times_max = max(4096, 2 * len(self.dns_times))

    def _dns_answer(self, trans: DnsTransaction) -> None:
        """A response answered ``trans`` (the pairing tracker's callback): the listener may have closed its lookup
        unanswered already (a late answer: ``listener.answered``)."""
        if trans.service == "dns" or self.local_names:
            self.listener.answered(trans)

    def _logged_segment(self, pkt: Any, ip: Any, layer: Any) -> None:
        f = layer.fields
        stream = f.get("tcp.stream")
        log = self.logs.get(stream)
        if log is None and stream is not None:
            attempts = self.pipe.tcp.attempts
            att = next(reversed(attempts.values())) if attempts else None
            if att is not None and att.stream == stream and att.num == pkt.frame.number:
                mac = ""
                if pkt.layers[0].name == "frame" and len(pkt.layers) > 1 and pkt.layers[1].name == "eth":
                    mac = pkt.layers[1].fields.get("eth.dst", "")
                src = _layer_mac(pkt)
                ip_id, ttl = _id_ttl(pkt, layer)
                self._new_attempt(att, mac, ip_id << 8 | ttl, src)
            return
        if log is None or ip is None or "tcp.seq_raw" not in f:
            return
        orig = log.conn.sides[0]
        src = ip.fields.get(ip.name + ".src")
        d = 0 if f.get("tcp.srcport") == orig.port and src == orig.addr else 1
        flags = f.get("tcp.flags", "0x0")
        flags = int(flags, 16) if isinstance(flags, str) else int(flags)
        if not log.next_hop_mac and not log.epoch and d == 0 and pkt.layers[0].name == "frame" and len(pkt.layers) > 1:
            log.next_hop_mac = pkt.layers[1].fields.get("eth.dst", "") if pkt.layers[1].name == "eth" else ""
        seglen = f.get("tcp.len", 0)
        ip_id, ttl = _id_ttl(pkt, layer)
        if flags & 0x02 and "tcp.options.timestamp.tsval" in f:
            t = layer.offset
            log.stamp(pkt.frame.number, bytes(pkt.frame.data[t + 20:t + layer.length]))
        elif seglen and not log.is_pending:     # as Collector._logged: a resent data segment, or a watched answer
            o, r = log.conn.sides
            resends = o.retransmissions + r.retransmissions
            if resends != log.resends or log.watch >> d & 1:
                t = layer.offset
                log.stamp_data(pkt.frame.number, d, bytes(pkt.frame.data[t + 20:t + layer.length]),
                               resends != log.resends)
                log.resends = resends
        log.add(pkt.frame.number, pkt.frame.ts_ns, f.get("tcp.seq_raw", 0), f.get("tcp.ack_raw", 0), flags, d,
                seglen, f.get("tcp.window_size_value", 0), ip_id, ttl)
        if seglen:      # the payload starts after the TCP header; what of it the frame holds
            start = layer.offset + layer.length
            log.add_payload(pkt.frame.number, d, f.get("tcp.seq_raw", 0), pkt.frame.data, start,
                            min(start + seglen, pkt.frame.caplen))
            held = max(pkt.frame.caplen - layer.offset - layer.length, 0)
            if held < seglen:
                log.add_cut(pkt.frame.number, d, seglen - held)

    def _arp(self, frame: Any, f: dict) -> None:
        if "arp.src.proto_ipv4" not in f:
            return
        op = f.get("arp.opcode", 0)
        sender, target = f["arp.src.proto_ipv4"], f.get("arp.dst.proto_ipv4", "")
        if op == 1:
            msg = NeighbourMessage(frame.number, frame.ts_ns, "arp", "request", sender, target,
                                   f.get("arp.src.hw_mac", ""), gratuitous=sender == target)
        elif op == 2:
            msg = NeighbourMessage(frame.number, frame.ts_ns, "arp", "reply", sender, target,
                                   f.get("arp.src.hw_mac", ""), gratuitous=sender == target)
        else:
            return
        self.listener.neighbour(msg)

    def _icmpv6(self, pkt: Any, layer: Any, ip: Any, rest: list) -> None:
        """Neighbor Solicitation/Advertisement (RFC 4861 4.3/4.4): type, code, checksum, 4 bytes of flags
        or reserved, the 16-byte target address, then options (type 1/2: source/target link-layer
        address); ICMPv6 errors (type < 128) quote a datagram."""
        data = pkt.frame.data
        off = layer.offset
        end = len(data)
        if end < off + 24 or ip is None:
            if end > off and data[off] < 128:
                self._icmp_error(pkt, layer, ip, rest)
            return
        kind = data[off]
        if kind < 128:
            self._icmp_error(pkt, layer, ip, rest)
            return
        if kind not in (135, 136):
            return
        target = address_pair(bytes(data[off + 8:off + 24]) * 2)[0]
        sender = ip.fields.get("ipv6.src", "")
        mac = ""
        o = off + 24
        while o + 8 <= end:
            otype, olen = data[o], data[o + 1] * 8
            if olen == 0:
                break
            if otype in (1, 2) and olen >= 8:
                mac = bytes(data[o + 2:o + 8]).hex(":")
            o += olen
        if kind == 135:
            if sender == "::":
                return      # duplicate address detection, not a resolution
            dst = ip.fields.get("ipv6.dst", "")
            msg = NeighbourMessage(pkt.frame.number, pkt.frame.ts_ns, "nd", "request", sender, target, mac,
                                   unicast=bool(dst) and not dst.lower().startswith("ff"))
        else:
            msg = NeighbourMessage(pkt.frame.number, pkt.frame.ts_ns, "nd", "reply", target,
                                   ip.fields.get("ipv6.dst", ""), mac, link_mac="" if mac else _layer_mac(pkt))
        self.listener.neighbour(msg)

    def _icmp_error(self, pkt: Any, layer: Any, ip: Any, rest: list) -> None:
        f = layer.fields
        is6 = layer.name == "icmpv6"
        kind = f.get(layer.name + ".type")
        code = f.get(layer.name + ".code", 0)
        if ip is None or kind is None or (is6 and kind not in (1, 2, 3, 4)) or \
                (not is6 and kind not in (3, 4, 5, 11, 12)):
            return
        qip = next((x for x in rest if x.name in ("ip", "ipv6")), None)
        qt = next((x for x in rest if x.name in ("udp", "tcp")), None)
        if qip is None or qt is None:
            return
        pre = qip.name
        sender = ip.fields.get(ip.name + ".src", "")
        qdst = qip.fields.get(pre + ".dst", "")
        sport = qt.fields.get(qt.name + ".srcport", 0)
        # the receiver of a DNS answer refusing it (its port closed: it had stopped waiting): the client sent it
        dns = next((x for x in rest if x.name == "dns"), None)
        by_client = qt.name == "udp" and sender == qdst and (
            dns.fields.get("dns.flags.response") == 1 if dns is not None else sport == 53)
        err = IcmpError(pkt.frame.number, pkt.frame.ts_ns, sender, kind, code,
                        icmp_text(is6, kind, code), qip.fields.get(pre + ".src", ""), qdst,
                        qt.name, sport, qt.fields.get(qt.name + ".dstport", 0),
                        qt.fields.get("tcp.seq_raw") if qt.name == "tcp" else None, by_client)
        self.listener.icmp(err)

    # -- end ----------------------------------------------------------------------------------------
    def finish(self) -> None:
        """End of input: every connection finished (their logs go to ``listener.finished``)."""
        self.pipe.finish()


ICMP_TEXT = {
    (3, 0): "network unreachable", (3, 1): "host unreachable", (3, 2): "protocol unreachable",
    (3, 3): "port unreachable", (3, 4): "fragmentation needed", (3, 9): "network administratively prohibited",
    (3, 10): "host administratively prohibited", (3, 13): "communication administratively prohibited",
    (11, 0): "time to live exceeded in transit",
}
ICMP6_TEXT = {
    (1, 0): "no route to destination", (1, 1): "communication administratively prohibited",
    (1, 3): "address unreachable", (1, 4): "port unreachable", (2, 0): "packet too big",
    (3, 0): "hop limit exceeded in transit",
}


def ts_option(opts: bytes) -> tuple[int, int] | None:
    """(TSval, TSecr) of the timestamps option (RFC 7323 2.2: kind 8, length 10) in a TCP header's option
    bytes; None when it holds none."""
    for kind, at, length in walk_options(opts):
        if kind == 8 and length == 10:
            return int.from_bytes(opts[at + 2:at + 6], "big"), int.from_bytes(opts[at + 6:at + 10], "big")
    return None


def _header_options(data: Any, base: int, p: int, seq: int, ack: int) -> bytes:
    """The option bytes of the TCP header that ends at ``p`` in ``data`` (its payload, if any, starts there), found by its length field with the segment's own sequence and acknowledgment numbers at their
    places; empty when no header length fits (then nothing is read)."""
    for hl in range(24, 64, 4):
        t = p - hl
        if t < base:
            break
        if data[t + 12] >> 4 == hl >> 2 and int.from_bytes(data[t + 4:t + 8], "big") == seq \
                and int.from_bytes(data[t + 8:t + 12], "big") == ack:
            return bytes(data[t + 20:p])
    return b""


def icmp_text(is6: bool, kind: int, code: int) -> str:
    table = ICMP6_TEXT if is6 else ICMP_TEXT
    return table.get((kind, code)) or f"ICMP{'v6' if is6 else ''} error type {kind} code {code}"


def html_head(headers: Any) -> bool:
    """A head whose Content-Type is an HTML document's (:data:`HTML_TYPES`): the body the timeline reads links in."""
    return (headers.get("content-type") or "").split(";", 1)[0].strip().lower() in HTML_TYPES


def html_links(body: bytes) -> set[str]:
    """The ``href``/``src`` attribute values of an HTML body (as written: relative or absolute)."""
    out = set()
    body = body[:MAX_LINK_SCAN]
    for m in _LINK.finditer(body.lower()):      # found case-insensitively, taken from the body as written
        out.add(body[m.start(1):m.end(1)].decode("utf-8", "replace"))
        if len(out) >= MAX_LINKS:
            break
    return out


# DNSSEC algorithm numbers (IANA "DNS Security Algorithm Numbers") by their mnemonic, as dig prints them
DNSSEC_ALGORITHMS = {1: "RSAMD5", 3: "DSA", 5: "RSASHA1", 6: "DSA-NSEC3-SHA1", 7: "RSASHA1-NSEC3-SHA1", 8: "RSASHA256",
                     10: "RSASHA512", 12: "ECC-GOST", 13: "ECDSAP256SHA256", 14: "ECDSAP384SHA384", 15: "ED25519",
                     16: "ED448"}


def record_value(rr) -> str:
    """One answer's data as the timeline shows it: Zeek's ``answers`` text (:func:`answer_text`: addresses,
    names, TXT...) where it has one; DNSSEC records in dig's presentation order without the key and signature
    bytes (DNSKEY "257 3 RSASHA1 id=47252", RRSIG "DNSKEY RSASHA1 1 3600 id=47252 ripe.net", DS "key tag,
    algorithm, digest type", NSEC "next name and types"); "" for a type it cannot show (the type alone is
    printed), never Zeek's ``<unknown type=N>`` beside the type's own name."""
    data = rr.rdata
    alg = lambda n: DNSSEC_ALGORITHMS.get(n, str(n))
    if isinstance(data, Dnskey):
        return f"{data.flags} {data.protocol} {alg(data.algorithm)}" + (
            f" id={data.key_tag}" if data.key_tag is not None else "")
    if isinstance(data, Rrsig):
        return (f"{type_name(data.type_covered)} {alg(data.algorithm)} {data.labels} {data.original_ttl} "
                f"id={data.key_tag} {data.signer}")
    if isinstance(data, Ds):
        return f"{data.key_tag} {alg(data.algorithm)} {data.digest_type}"
    if isinstance(data, Nsec):
        return " ".join([data.next_name, *(type_name(t) for t in data.types)])
    if isinstance(data, Nsec3):
        return " ".join([str(data.algorithm), str(data.flags), str(data.iterations), *(type_name(t) for t in data.types)])
    text = answer_text(rr)
    return "" if text.startswith("<unknown type=") else text


def asks(query: Any) -> bool:
    """Whether a parsed DNS query asks a question whose name could be read: a name whose compression pointer
    loops is no name (the decoder shows tshark's placeholder for it, ``LOOP_NAME``)."""
    return query is not None and bool(query.questions) and query.questions[0].name != LOOP_NAME


def lookup(t: DnsTransaction, times: dict[int, int] | None = None,
           fragments: dict[tuple[str, str], list[list[int]]] | None = None) -> DnsLookup | None:
    """A DNS transaction as the timeline shows it; None without a query that asked a question whose name could
    be read. ``times``: frame -> ts of DNS frames (for the retransmissions' times); ``fragments``: the collector's
    unreassembled UDP fragments by (sender, receiver), for an unanswered query (those from its server within
    :data:`FRAGMENT_WAIT_NS` of its last copy)."""
    if t.query_frame is None or not asks(t.query):
        return None
    pieces: tuple[tuple[int, int], ...] = ()
    if fragments and t.response_frame is None:
        got = fragments.get((str(t.server[0]), str(t.client[0])))
        if got:
            last = max([t.query_ts_ns] + [(times or {}).get(f, t.query_ts_ns) for f in t.retransmissions])
            pieces = tuple((f, ts) for f, ts in got if t.query_ts_ns < ts <= last + FRAGMENT_WAIT_NS)
    question = t.question
    resp = t.response
    answers = tuple(DnsAnswer(rr.name, type_name(rr.rtype), record_value(rr), rr.ttl)
                    for rr in (resp.answers if resp is not None else ()))
    chain, addresses = cname_chain(resp, question.name)
    header = t.response_header
    return DnsLookup(client=str(t.client[0]), client_port=t.client[1], server=str(t.server[0]),
                     server_port=t.server[1], transport=t.proto, id=t.trans_id, qname=question.name,
                     qtype=type_name(question.qtype), query_frame=t.query_frame, query_ts_ns=t.query_ts_ns,
                     response_frame=t.response_frame, response_ts_ns=t.response_ts_ns, rcode=t.rcode,
                     answers=answers, retransmissions=tuple(t.retransmissions),
                     retransmission_times=tuple((times or {}).get(f, t.query_ts_ns) for f in t.retransmissions),
                     cnames=tuple(chain[1:]),
                     addresses=tuple(addresses), truncated=bool(header is not None and header.flags & 0x0200),
                     stream=t.stream if t.proto == "tcp" else None, fragments=pieces,
                     announced=header.ancount if header is not None else None)


def stray_answer(t: DnsTransaction, times: dict[int, int] | None = None,
                 capture_start_ns: int | None = None) -> StrayAnswer | None:
    """A DNS response that answers no open lookup, as the timeline tells it: ``t`` unsolicited (no query in the
    file), or answered after its lookup was closed (``times``: frame -> ts of the query's copies). None without a
    response or a question."""
    resp = t.response
    question = t.question
    if question is None and resp is not None and resp.questions:    # the query's question could not be read
        question = resp.questions[0]
    if t.response_frame is None or resp is None or question is None:
        return None
    chain, addresses = cname_chain(resp, question.name)
    answers = tuple(DnsAnswer(rr.name, type_name(rr.rtype), record_value(rr), rr.ttl) for rr in resp.answers)
    header = t.response_header
    last = t.query_ts_ns
    if t.retransmissions and times:
        last = max([last or 0] + [times.get(f, 0) for f in t.retransmissions])
    return StrayAnswer(frame=t.response_frame, ts_ns=t.response_ts_ns, client=str(t.client[0]), client_port=t.client[1],
                       server=str(t.server[0]), server_port=t.server[1], transport=t.proto, id=t.trans_id,
                       qname=question.name, qtype=type_name(question.qtype),
                       rcode=header.rcode if header is not None else None, answers=answers,
                       addresses=tuple(addresses), cnames=tuple(chain[1:]), query_frame=t.query_frame,
                       query_ts_ns=t.query_ts_ns, last_query_ts_ns=last,
                       attempts=(1 + len(t.retransmissions)) if t.query_frame is not None else 0,
                       capture_start_ns=capture_start_ns, announced=header.ancount if header is not None else None)


def unread_query(t: DnsTransaction, times: dict[int, int] | None = None) -> StrayAnswer | None:
    """A DNS query whose question cannot be read (malformed: only its header parsed, or its header counts a question
    that did not parse, or whose name's compression pointer loops; or it holds no question, QDCOUNT 0), as the
    timeline tells it (no lookup is made of it). ``times``: frame -> ts of DNS frames (its copies' times).
    None for anything else."""
    if t.query_frame is None or asks(t.query):
        return None
    header = t.response_header
    copies = tuple((f, (times or {}).get(f, t.query_ts_ns or 0)) for f in t.retransmissions)
    last = max([t.query_ts_ns or 0] + [ts for _f, ts in copies])
    return StrayAnswer(frame=t.query_frame, ts_ns=t.query_ts_ns or 0, client=str(t.client[0]), client_port=t.client[1],
                       server=str(t.server[0]), server_port=t.server[1], transport=t.proto, id=t.trans_id, qname="",
                       qtype="", rcode=header.rcode if header is not None else None, query_frame=t.query_frame,
                       query_ts_ns=t.query_ts_ns, last_query_ts_ns=last, attempts=1 + len(t.retransmissions),
                       unread=True, malformed=t.query is None or t.query.header.qdcount > 0,
                       name_loops=t.query is not None and bool(t.query.questions), copies=copies,
                       answer_frame=t.response_frame, answer_ts_ns=t.response_ts_ns)


Listener = Callable[..., None]


def _quic_hello(flow: QuicFlow, data: bytes, frame: int) -> None:
    """A client datagram of a QUIC connection whose ClientHello is not whole yet: the CRYPTO frames of the Initial
    packet it starts with, opened with the keys its first Destination Connection ID gives (analyzer.apps.quic);
    once the ClientHello is whole, its server name and protocols. Gives up (``crypto`` None) after 8 datagrams
    or on a packet that does not open."""
    payload = open_initial(data, flow.keys)
    if payload is None:
        if flow.hello_frames or frame != flow.first_frame:
            return                  # a later datagram without an Initial (a Handshake, 1-RTT): not this one's
        flow.crypto = None
        return
    frames = crypto_frames(payload)
    if not frames:
        if frames is None or len(flow.hello_frames) >= 8:
            flow.crypto = None
        return
    flow.hello_frames.append(frame)
    flow.crypto += frames
    hello = client_hello_bytes(flow.crypto)
    if hello is None:
        if len(flow.hello_frames) >= 8:
            flow.crypto = None
        return
    flow.crypto = None
    try:
        summary = client_hello(hello[4:], {})
    except DecodeError:
        return
    flow.sni = summary.get("sni")
    flow.alpn = tuple(summary.get("alpn") or ())
