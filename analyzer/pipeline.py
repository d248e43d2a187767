"""The analysis chain that capture files and live capture share: decode -> IP defragmentation -> flow table
and TCP analysis -> reassembly sinks.

Usage::

    pipe = Pipeline(sinks=[my_factory])
    for pkt in pipe.run(frames):          # or analyze(frames, sinks=[my_factory])
        ...                               # tcp.stream, tcp.seq, tcp.analysis.* are on pkt's tcp layer
    pipe.finish()                         # end of input: sinks closed, summaries final
    pipe.tcp_connections, pipe.udp_conversations, pipe.incomplete_datagrams

Stages, in order, for each frame:

1. :func:`analyzer.decode.decode`.
2. IP fragments (:mod:`analyzer.flows.defrag`): a fragment loses any upper layer its first bytes let the
   decoder read; the frame that completes a datagram comes out as a :class:`ReassembledPacket` whose upper
   layers were decoded on the whole datagram (``pkt.frame`` holds the rebuilt bytes, ``pkt.wire_frame``
   the frame as captured; the IP layer keeps the captured header's fields plus ``ip.fragment``,
   ``ip.fragment.count`` and ``ip.reassembled.length``, or the ``ipv6.`` ones).
3. UDP: ``udp.stream`` added; conversations counted (:class:`analyzer.flows.UdpTable`).
4. TCP (:class:`analyzer.tcp.TcpTracker`): ``tcp.stream``, relative ``tcp.seq``/``tcp.ack``/``tcp.nxtseq``,
   ``tcp.window_size`` and ``tcp.analysis.*`` are added to the packet's tcp layer in place; then the
   connection's sinks receive reassembled bytes (a sink may add layers to the packet it is handed — DNS
   over TCP does).

Sink factories (``sinks=``) are called once per connection with the :class:`~analyzer.tcp.Connection` and
return a sink or None; several sinks per connection are fanned out. DNS over TCP is always one of them
(``dns_over_tcp=False`` turns it off); on its connections the decoder's per-segment DNS layers are replaced
by the reassembled ones. The factories of ``sinks=`` are called when a connection starts; those of
``transactions`` and DNS over TCP, which only want bytes, at its first byte, FIN, RST or gap (a connection
that carries none, a SYN flood's, costs no sink: :class:`analyzer.tcp.connection.SinksDue`).

Header-only segments (:meth:`Pipeline.feed_headers`, for per-frame commands that read header columns)::

    h = quick_headers(frame.data, frame.linktype)     # or a row of analyzer.columnar.headers, as that tuple
    res = pipe.feed_headers(frame, h)                 # instead of pipe.feed(frame)
    if res.__class__ is HeaderOnly:                   # no Packet was made for this frame
        res.fields                                    # what feed() adds to its tcp layer: tcp.stream, tcp.seq...
        res.packet()                                  # the Packet feed() would have returned (decoded now)
    else:
        res                                           # the Packet, exactly as feed() returns it

A TCP segment with none of SYN/FIN/RST whose options are none or exactly NOP, NOP, Timestamps (with
``any_segment=True``: any segment whose options are well formed and hold no SACK block, as the tracker
makes the decoder's SACK edges relative in place), not on a DNS-over-TCP port, in a shape :func:`~analyzer.flows.quick.quick_headers` reads (``h`` is
its tuple: ``("tcp", src, sport, dst, dport, seq, ack, flags, window, seglen, options[, payload])``; without
the twelfth item the payload is read here when ``seglen`` says there is one), goes through the TCP tracker
without being decoded: the tracker's per-frame fields land in a fresh dict (``HeaderOnly.fields``) and the
frame's packet is made only when something is put on it: a message that ends in the segment's bytes gets its
http layer there (the HTTP sink takes the packet handle as a :class:`analyzer.tcp.reassembly.Deferred`), or
the bytes go to a sink that wants packets (TLS, HTTP/2 and DNS sinks, and every sink at a connection's first
bytes, while the TLS and HTTP/2 sinks have not given up yet), or a FIN or RST ends an HTTP message (the
transaction stage puts its layer on this frame). Then it is the Packet ``feed`` returns, fields and
transaction stage included. Every other frame goes through :meth:`feed`. The transaction stage
(:meth:`Transactions.packet <analyzer.apps.transactions.Transactions.packet>`) is skipped for a frame without
a packet: it adds fields only to frames with DNS layers or frames a FIN completed an HTTP message on. Same
state, same fields, in the same order, as :meth:`feed` (tests/test_pipeline_headers.py runs both on every
capture).

``compact_attempts=True`` keeps a lone SYN of a new 4-tuple as the tracker's compact
:class:`~analyzer.tcp.connection.Attempt` (about half a kilobyte) even when ``sinks=`` factories are given: they
are then called when the attempt becomes a connection (its next segment in either direction, or when it is
finished), with the SYN not yet replayed into it; a caller that wants to know of the attempt at its SYN sees
it as what :meth:`TcpTracker.segment` returns. Without it (the default) the factories see every connection at
its first segment, as a full connection.
"""

from __future__ import annotations

import gc
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from analyzer.capture.frame import Frame
from analyzer.decode import decode
from analyzer.decode.decode_as import DNS_TCP_PORTS
from analyzer.decode.packet import Packet
from analyzer.decode.quic import QUIC_PORTS, QuicConnections, QuicLayer, QuicTlsLayer
from analyzer.flows.defrag import Defragmenter
from analyzer.flows.quick import address_pair, quick_headers
from analyzer.flows.udp import UdpTable
from analyzer.tcp.analysis import seconds
from analyzer.tcp.connection import Connection, TcpTracker
from analyzer.tcp.dns import dns_sink_factory
from analyzer.tcp.options import MALFORMED
from analyzer.tcp.options import walk as walk_options
from analyzer.tcp.reassembly import Deferred

_TCP_HEAD = struct.Struct("!HHIIBBH").unpack_from
_UDP_HEAD = struct.Struct("!HHH").unpack_from
_QUIC_LAYERS = (QuicLayer, QuicTlsLayer)       # a datagram the QUIC decoder (port or heuristic) read


class ReassembledPacket(Packet):
    """A packet decoded from a reassembled IP datagram: ``frame`` holds the rebuilt bytes (link header of the
    completing frame, IP header, whole payload); ``wire_frame`` is the frame as captured."""

    __slots__ = ("wire_frame",)


_TS_ONLY = b"\x01\x01\x08\x0a"         # NOP, NOP, Timestamps (kind 8, length 10): the usual ACK's options


class HeaderOnly:
    """A TCP segment :meth:`Pipeline.feed_headers` ran from its headers, no Packet made: ``frame``, the header
    tuple ``headers`` and ``fields``, what :meth:`Pipeline.feed` would have added to its tcp layer (in that
    order). :meth:`packet` decodes it into the Packet ``feed`` would have returned."""

    __slots__ = ("clock", "fields", "frame", "headers")

    def __init__(self, frame: Frame, headers: tuple, fields: dict[str, Any], clock: tuple[int, int] | None = None):
        self.frame = frame
        self.headers = headers
        self.fields = fields
        self.clock = clock      # (first frame's time, previous frame's time): frame_times; None: none wanted

    def packet(self) -> Packet:
        pkt = decode(self.frame)
        if self.clock is not None:
            frame_times(pkt, self.frame.ts_ns, *self.clock)
        _merge_tcp_fields(pkt, self.fields)
        return pkt


_TIME_TEXT: list = [None, ""]       # the last whole second's local-time text, frame.time's start


def frame_times(pkt: Packet, ts: int, first: int, prev: int) -> None:
    """tshark's frame times on the packet's frame layer: ``frame.time`` (local time, as tshark prints it, with
    the zone's abbreviation), ``frame.time_delta`` (since the previous captured frame) and
    ``frame.time_relative`` (since the first); ``frame.time_delta_displayed`` too, the same as the delta while
    every frame is shown (a display filter's :class:`analyzer.filter.apply.Selector` sets it again: since the
    previous frame it showed)."""
    sec, ns = divmod(ts, 1_000_000_000)
    if _TIME_TEXT[0] != sec:
        try:
            t = time.localtime(sec)
            _TIME_TEXT[1] = f"{time.strftime('%b %e, %Y %H:%M:%S', t)}.{{:09d}} {time.strftime('%Z', t)}"
        except (OverflowError, OSError, ValueError):        # beyond the platform's calendar
            _TIME_TEXT[1] = f"{sec}.{{:09d}}"
        _TIME_TEXT[0] = sec
    f = pkt.layers[0].fields
    f["frame.time"] = _TIME_TEXT[1].format(ns)
    f["frame.time_delta"] = f["frame.time_delta_displayed"] = seconds(ts - prev)
    f["frame.time_relative"] = seconds(ts - first)
    pkt._flat = None


def _sack_free(opts: bytes) -> bool:
    """The TCP options are well formed and hold no SACK block (kind 5): the tracker's fields for the segment
    need none of the decoder's (it makes the SACK edges relative in place)."""
    if len(opts) == 12 and opts[:4] == _TS_ONLY:
        return True
    return all(kind != 5 and kind != MALFORMED for kind, _at, _length in walk_options(opts))


def _merge_tcp_fields(pkt: Packet, fields: dict[str, Any]) -> None:
    """Put the tracker's fields on the packet's tcp layer as if they had been added there in place (a key
    the decoder set keeps its place, new ones follow in the tracker's order)."""
    for layer in pkt.layers:
        if layer.name == "tcp":
            layer.fields.update(fields)
            break
    pkt._flat = None


class FanOutSink:
    """Several sinks for one connection, each given every event. A sink that gives up (its ``dead``
    attribute turns true: the HTTP sink on a stream that is not HTTP, the TLS sink on one that is not TLS) is
    dropped; when none is left the connection's bytes are no longer reassembled (``conn.sink = None``)."""

    takes_deferred = True       # a Deferred packet handle goes on to the sinks that take one, made for the rest

    def __init__(self, sinks: list[Any], conn: Any = None):
        self.sinks = sinks
        self.conn = conn

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name == "sinks" and not value:
            # no sink left (the last gave up, here or by replacing this list): the connection is not needed
            # again, and the reassemblers that still hold this object must not make a cycle with it (a finished
            # connection is then freed at once, not left to the cyclic collector: issue 12)
            object.__setattr__(self, "conn", None)

    def data(self, direction: int, data: bytes, frame: Any, ts_ns: int) -> None:
        dead = False
        deferred = frame.__class__ is Deferred
        if deferred and len(self.sinks) > 1 and self._give_up_first(direction, data, frame.number, ts_ns):
            return
        for s in self.sinks:
            if deferred and not getattr(s, "takes_deferred", False):
                frame = frame.get()
                deferred = False
            s.data(direction, data, frame, ts_ns)
            if getattr(s, "dead", False):
                dead = True
        if dead:
            conn = self.conn
            self.sinks = [s for s in self.sinks if not getattr(s, "dead", False)]
            if not self.sinks and conn is not None and conn.sink is self:
                conn.sink = None

    def _give_up_first(self, direction: int, data: bytes, number: int, ts_ns: int) -> bool:
        """Before a packet handle is handed out: the sinks that want packets and give up on these bytes (their
        ``gives_up_on``: the TLS and HTTP/2 sinks at an HTTP/1 connection's first bytes) are given them first,
        with the frame's number, and dropped, so that the packet is not made for them and the sinks left know
        whether they are alone (the HTTP sink then holds its Info texts rather than making the packet). True
        when no sink is left."""
        gave_up = False
        for s in self.sinks:
            if not getattr(s, "takes_deferred", False):
                gives_up = getattr(s, "gives_up_on", None)
                if gives_up is not None and gives_up(direction, data):
                    s.data(direction, data, number, ts_ns)
                    gave_up = True
        if not gave_up:
            return False
        conn = self.conn
        self.sinks = [s for s in self.sinks if not getattr(s, "dead", False)]
        if not self.sinks:
            if conn is not None and conn.sink is self:
                conn.sink = None
            return True
        return False

    def gap(self, direction: int, nbytes: int) -> None:
        for s in self.sinks:
            s.gap(direction, nbytes)

    def fin(self, direction: int) -> None:
        for s in self.sinks:
            s.fin(direction)

    def rst(self, direction: int) -> None:
        for s in self.sinks:
            s.rst(direction)

    def close(self) -> None:
        for s in self.sinks:
            s.close()


SinkFactory = Callable[[Connection], Any]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: the flow tables hold many long-lived objects without cycles,
    which the collector would otherwise rescan over and over while they are built."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


class Pipeline:
    """One analysis run: holds the flow tables, the defragmenter and, at the end, the connection table."""

    def __init__(self, *, tcp: bool = True, sinks: SinkFactory | Iterable[SinkFactory] | None = None,
                 dns_over_tcp: bool = True, analysis: bool = True, defragment: bool = True,
                 tracker_options: dict[str, Any] | None = None, transactions: Any = None,
                 compact_attempts: bool = False):
        if sinks is None:
            factories: list[SinkFactory] = []
        elif callable(sinks):
            factories = [sinks]
        else:
            factories = list(sinks)
        # HTTP and DNS transactions (analyzer.apps.transactions.Transactions): their sinks see the reassembled
        # streams, and each packet is handed to them after the TCP stage, so http.* and dns.response_in etc.
        # land on the frames as tshark shows them.
        self.transactions = transactions
        payload: list[SinkFactory] = []         # called at a connection's first byte (they want only bytes)
        if transactions is not None and tcp:
            payload.extend(transactions.factories)
        self.dns_over_tcp = dns_over_tcp and tcp
        if self.dns_over_tcp:
            payload.append(dns_sink_factory)
        self.first_factories = factories
        self.payload_factories = payload
        self.factories = factories + payload
        self.tcp = TcpTracker(analysis=analysis, sink_factory=self._sink_for if factories else None,
                              payload_sink_factory=self._payload_sinks if payload else None,
                              **(tracker_options or {})) if tcp else None
        if compact_attempts and self.tcp is not None:
            self.tcp.compact_attempts = True
        self.udp = UdpTable()
        # tshark's [Timestamps] of a datagram, udp.time_relative and udp.time_delta, with the analysis (the TCP
        # tracker's ``timestamps`` does the same for segments); off where no output reads them
        self.timestamps = analysis
        # tshark's frame.time, frame.time_delta, frame.time_relative on every packet made (frame_times): off where
        # no output reads them or not every frame passes through feed / feed_headers (read's text lines)
        self.frame_times = analysis
        self.prev_ts_ns: int | None = None
        self.quic = QuicConnections()       # short-header datagrams and ClientHellos over several Initials
        self.defrag = Defragmenter() if defragment else None
        self.frames = 0
        self.first_ts_ns: int | None = None
        self.finished = False
        self._tcp_rows: list[dict[str, Any]] | None = None

    # -- sinks ---------------------------------------------------------------------------------------
    def _sink_for(self, conn: Connection) -> Any:
        """The sinks of ``sinks=`` for a connection that starts (with ``compact_attempts``, also for an attempt
        that becomes one; not for the connection the tracker makes, unregistered, only to give an attempt's
        SYN its per-frame fields)."""
        if self.tcp.compact_attempts and self.first_factories:
            o, r = conn.sides
            hit = self.tcp.flows.lookup((o.addr, o.port, r.addr, r.port))
            if hit is None or hit[0] is not conn:
                return None
        return self._join([], self.first_factories, conn)

    def _payload_sinks(self, conn: Connection) -> Any:
        """At a connection's first byte: the sinks it has (``conn.sink``) and those of the payload factories,
        in that order (the order of the factories when all were called at the start)."""
        first = conn.sink
        sinks = [] if first is None else list(first.sinks) if isinstance(first, FanOutSink) else [first]
        return self._join(sinks, self.payload_factories, conn)

    @staticmethod
    def _join(sinks: list, factories: list[SinkFactory], conn: Connection) -> Any:
        for factory in factories:
            sink = factory(conn)
            if sink is not None:
                sinks.append(sink)
        if not sinks:
            return None
        return sinks[0] if len(sinks) == 1 else FanOutSink(sinks, conn)

    # -- running -------------------------------------------------------------------------------------
    def run(self, frames: Iterable[Frame], headers: bool = False) -> Iterator[Packet | HeaderOnly]:
        """Analyse frames one by one, yielding each packet with the fields of every stage; then finish.
        ``headers``: a segment :meth:`feed_headers` (``any_segment``) runs from its headers comes as its
        :class:`HeaderOnly`, not decoded."""
        if headers:
            feed_headers = self.feed_headers
            for frame in frames:
                yield feed_headers(frame, any_segment=True)
        else:
            feed = self.feed
            for frame in frames:
                yield feed(frame)
        self.finish()

    def count(self, frames: Iterable[Frame]) -> Pipeline:
        """Only the flow tables (no packets, no per-frame fields), for connection summaries: frames of the
        common shapes are read headers-only (:mod:`analyzer.flows.quick`), the rest go through
        :meth:`feed`; the tables come out the same. Finishes the pipeline."""
        with gc_paused():
            return self._count(frames)

    def _count(self, frames: Iterable[Frame]) -> Pipeline:
        tcp = self.tcp
        segment = tcp.segment if tcp is not None else None
        datagram = self.udp.datagram
        feed = self.feed
        n = 0
        tcp_head = _TCP_HEAD
        pair = address_pair
        for frame in frames:
            if n == 0 and self.first_ts_ns is None:
                self.first_ts_ns = frame.ts_ns
            n += 1
            data = frame.data
            # the commonest shape, inline: Ethernet, IPv4 without options or fragmentation, TCP
            if (segment is not None and frame.linktype == 1 and len(data) >= 54 and data[12] == 8
                    and data[13] == 0 and data[14] == 0x45 and data[23] == 6
                    and not (data[20] & 0x3F or data[21])):
                sport, dport, seq, ack, offres, flagbyte, window = tcp_head(data, 34)
                hl = (offres >> 4) << 2
                seglen = min(data[16] << 8 | data[17], frame.origlen - 14) - 20 - hl   # a lying length: cut
                if hl >= 20 and seglen >= 0 and len(data) >= 34 + hl:
                    src, dst = pair(data[26:34])
                    segment(frame.ts_ns, frame.number, src, sport, dst, dport, seq, ack,
                            ((offres & 0x0F) << 8) | flagbyte, window, seglen,
                            data[54:34 + hl] if flagbyte & 0x02 and hl > 20 else b"", b"", frame.origlen)
                    continue
            h = quick_headers(data, frame.linktype, origlen=frame.origlen)
            if h is None or (h[0] == "tcp" and segment is None):
                self.frames += n - 1
                n = 0
                feed(frame)
                continue
            if h[0] == "tcp":
                segment(frame.ts_ns, frame.number, h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10],
                        b"", frame.origlen)
            else:
                datagram(frame.ts_ns, frame.number, h[1], h[2], h[3], h[4], h[5], frame.origlen)
        self.frames += n
        return self.finish()

    def feed(self, frame: Frame) -> Packet:
        """One frame through every stage (live capture calls this directly)."""
        pkt = self._feed(frame)
        if self.transactions is not None:
            self.transactions.packet(pkt)
        return pkt

    def feed_headers(self, frame: Frame, h: tuple | None = None, make_packet: Callable[[], Packet] | None = None,
                     *, any_segment: bool = False) -> Packet | HeaderOnly:
        """One frame, skipping its decode when nothing needs its packet (see the module docstring): a
        :class:`HeaderOnly`, else the Packet :meth:`feed` returns. ``h``: the frame's
        :func:`~analyzer.flows.quick.quick_headers` tuple (read here, with the payload, when not given).
        ``make_packet``: how the packet is made if a sink needs it (default: ``decode(frame)``).
        ``any_segment``: SYN, FIN and RST segments and any well-formed options without a SACK block go
        header-only too; without it only segments with none of SYN/FIN/RST whose options are none or exactly
        NOP, NOP, Timestamps (what a caller making the read line from the headers handles)."""
        if h is None:
            h = quick_headers(frame.data, frame.linktype, True, frame.origlen)
        tcp = self.tcp
        if h is None or tcp is None or h[0] != "tcp":
            return self.feed(frame)
        opts = h[10]
        if not any_segment and (h[7] & 0x07 or (opts and (len(opts) != 12 or opts[:4] != _TS_ONLY))):
            return self.feed(frame)
        if (opts and not _sack_free(opts)) or (
                self.dns_over_tcp and (h[2] in DNS_TCP_PORTS or h[4] in DNS_TCP_PORTS)):
            return self.feed(frame)
        seglen = h[9]
        if not seglen:
            payload = b""
        elif len(h) > 11:
            payload = h[11]
        else:
            payload = quick_headers(frame.data, frame.linktype, True, frame.origlen)[11]
        self.frames += 1
        if self.first_ts_ns is None:
            self.first_ts_ns = frame.ts_ns
        number = frame.number
        handle = Deferred(make_packet or (lambda: decode(frame)), number)
        out: dict[str, Any] = {}
        tcp.segment(frame.ts_ns, number, h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], seglen, opts, payload,
                    frame.origlen, handle, out)
        return self.segment_result(frame, h, handle, out)

    def _clock(self, frame: Frame) -> tuple[int, int]:
        """(first frame's time, previous frame's time) for :func:`frame_times`, the frame then the previous one."""
        prev = frame.ts_ns if self.prev_ts_ns is None else self.prev_ts_ns
        self.prev_ts_ns = frame.ts_ns
        return self.first_ts_ns, prev

    def segment_result(self, frame: Frame, h: tuple, handle: Deferred, out: dict[str, Any]) -> Packet | HeaderOnly:
        """What :meth:`feed_headers` returns for a segment the tracker has taken (``handle``, its packet handle,
        ``out`` the tracker's fields for it)."""
        clock = self._clock(frame) if self.frame_times else None
        pkt = handle.value
        if pkt is None:
            tx = self.transactions
            if tx is None or tx.http is None or not tx.http.pending or frame.number not in tx.http.pending:
                return HeaderOnly(frame, h, out, clock)
            # a FIN or RST ended an HTTP message here: its http layer goes on this frame's packet
            pkt = handle.get()
        # an ACK that gave a sink held bytes (or their gap) with this frame: the packet feed() would have made
        if clock is not None:
            frame_times(pkt, frame.ts_ns, *clock)
        _merge_tcp_fields(pkt, out)
        if self.transactions is not None:
            self.transactions.packet(pkt)
        return pkt

    def _feed(self, frame: Frame) -> Packet:
        self.frames += 1
        if self.first_ts_ns is None:
            self.first_ts_ns = frame.ts_ns
        pkt = decode(frame)
        clock = None
        if self.frame_times:
            clock = self._clock(frame)
            frame_times(pkt, frame.ts_ns, *clock)
        layers = pkt.layers
        ip_i = -1
        tcp_l = udp_l = None
        frag = False
        for i, layer in enumerate(layers):
            name = layer.name
            if name == "ip" or name == "ipv6":
                if tcp_l is None and udp_l is None:
                    ip_i = i
                    if name == "ip":
                        f = layer.fields
                        frag = bool(f.get("ip.flags.mf") or f.get("ip.frag_offset"))
                    else:
                        frag = False
            elif name == "ipv6.fraghdr" and ip_i >= 0:
                frag = True
                break
            elif name == "tcp":
                tcp_l = layer
                break
            elif name == "udp":
                udp_l = layer
                break
            elif name == "icmp" or name == "icmpv6":
                # a quoted datagram inside an ICMP error: Wireshark still numbers its UDP conversation
                for inner in range(i + 1, len(layers)):
                    if layers[inner].name == "udp" and layers[inner - 1].name in ("ip", "ipv6"):
                        self._udp(pkt, layers[inner - 1], layers[inner], count=False)
                        break
                break
            elif frag and name != "ip" and name != "ipv6":
                break
        if frag and self.defrag is not None:
            whole = self._fragment(pkt, ip_i)
            if whole is None:
                return pkt
            pkt = whole
            if clock is not None:
                frame_times(pkt, frame.ts_ns, *clock)
            tcp_l = udp_l = None
            for layer in pkt.layers[ip_i + 1:]:
                if layer.name == "tcp":
                    tcp_l = layer
                    break
                if layer.name == "udp":
                    udp_l = layer
                    break
                if layer.name in ("icmp", "icmpv6", "ip", "ipv6"):
                    break
        if ip_i < 0:
            return pkt
        if tcp_l is not None and self.tcp is not None:
            self._tcp(pkt, layers[ip_i] if pkt.layers is layers else pkt.layers[ip_i], tcp_l)
        elif udp_l is not None:
            self._udp(pkt, pkt.layers[ip_i], udp_l)
        return pkt

    def _tcp(self, pkt: Packet, ip_l: Any, tcp_l: Any) -> None:
        f = tcp_l.fields
        seglen = f.get("tcp.len")
        if seglen is None or "tcp.seq_raw" not in f:
            return      # a quoted or broken header: nothing to track
        frame = pkt.frame
        data = frame.data
        off = tcp_l.offset
        sport, dport, seq, ack, offres, flagbyte, window = _TCP_HEAD(data, off)
        hdr_len = (offres >> 4) << 2
        opts = data[off + 20:off + hdr_len] if hdr_len > 20 else b""
        ipf = ip_l.fields
        if ip_l.name == "ip":
            src, dst = ipf["ip.src"], ipf["ip.dst"]
        else:
            src, dst = ipf["ipv6.src"], ipf["ipv6.dst"]
        if self.dns_over_tcp and (sport in DNS_TCP_PORTS or dport in DNS_TCP_PORTS):
            self._drop_segment_dns(pkt)
        wire = getattr(pkt, "wire_frame", None) or frame
        self.tcp.segment(frame.ts_ns, frame.number, src, sport, dst, dport, seq, ack,
                                    ((offres & 0x0F) << 8) | flagbyte, window, seglen, opts,
                                    pkt.payload_bytes(), wire.origlen, pkt, f)
        pkt._flat = None    # fields were added to a layer in place: drop the flattened cache

    @staticmethod
    def _drop_segment_dns(pkt: Packet) -> None:
        """Remove the decoder's per-segment DNS layers: reassembly puts whole messages on the right frame."""
        if not any(layer.name == "dns" for layer in pkt.layers):
            if pkt.failure is not None and pkt.failure.layer == "dns":
                pkt.failure = None
            return
        pkt.layers[:] = [layer for layer in pkt.layers if layer.name != "dns"]
        pkt.notes[:] = [n for n in pkt.notes if n[0] != "dns"]
        if pkt.failure is not None and pkt.failure.layer == "dns":
            pkt.failure = None
        pkt._flat = None

    def _udp(self, pkt: Packet, ip_l: Any, udp_l: Any, count: bool = True) -> None:
        frame = pkt.frame
        data = frame.data
        if udp_l.offset + 6 > len(data):
            return
        sport, dport, length = _UDP_HEAD(data, udp_l.offset)
        ipf = ip_l.fields
        if ip_l.name == "ip":
            src, dst = ipf["ip.src"], ipf["ip.dst"]
        else:
            src, dst = ipf["ipv6.src"], ipf["ipv6.dst"]
        wire = getattr(pkt, "wire_frame", None) or frame
        conv, _d = self.udp.datagram(frame.ts_ns, frame.number, src, sport, dst, dport, max(length - 8, 0),
                                     wire.origlen, count)
        fields = udp_l.fields
        fields["udp.stream"] = conv.stream
        if count and self.timestamps:       # (tshark gives a datagram quoted in an ICMP error none)
            fields["udp.time_relative"] = seconds(frame.ts_ns - conv.first_ts)
            fields["udp.time_delta"] = seconds(frame.ts_ns - self.udp.prev_ts)
        pkt._flat = None
        if not count:
            return
        quic = self.quic
        if sport in QUIC_PORTS or dport in QUIC_PORTS or pkt.layers[-1].__class__ in _QUIC_LAYERS:
            # QUIC's connections by their addresses and ports (not udp.stream: read's lines number none)
            quic.datagram(pkt, (src, sport, dst, dport) if (src, sport) < (dst, dport) else (dst, dport, src, sport),
                          sport)
        elif quic.conns and pkt.layers[-1] is udp_l:
            # a conversation the QUIC heuristic claimed (decode_quic_heuristic) on other ports: its later
            # datagrams are QUIC too, short headers included, as tshark's conversation dissector makes them
            key = (src, sport, dst, dport) if (src, sport) < (dst, dport) else (dst, dport, src, sport)
            if key in quic.conns:
                quic.datagram(pkt, key, sport)

    # -- IP fragments --------------------------------------------------------------------------------
    def _fragment(self, pkt: Packet, ip_i: int) -> Packet | None:
        """File a fragment; return the reassembled packet when this frame completes a datagram."""
        layers = pkt.layers
        ip_l = layers[ip_i]
        data = pkt.frame.data
        frame = pkt.frame
        if ip_l.name == "ip":
            f = ip_l.fields
            ihl = (data[ip_l.offset] & 0x0F) << 2
            start = ip_l.offset + ihl
            stop = min(ip_l.offset + f["ip.len"], len(data))
            ident = data[ip_l.offset + 4:ip_l.offset + 6]
            key = (4, f["ip.src"], f["ip.dst"], f["ip.proto"], ident)
            offset = (int.from_bytes(data[ip_l.offset + 6:ip_l.offset + 8], "big") & 0x1FFF) << 3
            more = bool(f.get("ip.flags.mf"))
            header = ("ip", bytes(data[ip_l.offset:start]), 0)
            cut = ip_i + 1
        else:
            fh_i = next(i for i in range(ip_i, len(layers)) if layers[i].name == "ipv6.fraghdr")
            fh = layers[fh_i]
            ff = fh.fields
            start = fh.offset + 8
            plen = ip_l.fields.get("ipv6.plen") or 0
            stop = min(ip_l.offset + 40 + plen, len(data)) if plen else len(data)
            key = (6, ip_l.fields["ipv6.src"], ip_l.fields["ipv6.dst"], ff["ipv6.fraghdr.ident"])
            offset = ff["ipv6.fraghdr.offset"] << 3
            more = bool(ff["ipv6.fraghdr.more"])
            prev = layers[fh_i - 1]
            patch = 6 if prev is ip_l else prev.offset - ip_l.offset
            header = ("ipv6", bytes(data[ip_l.offset:fh.offset]), patch, ff["ipv6.fraghdr.nxt"])
            cut = fh_i + 1
        # the fragment's own upper layers (a first fragment's partial transport header) are not kept
        if len(layers) > cut:
            names = {layer.name for layer in layers[cut:]}
            del layers[cut:]
            pkt.notes[:] = [n for n in pkt.notes if n[0] not in names]
            if pkt.failure is not None and pkt.failure.layer in names:
                pkt.failure = None
            pkt.payload = None
            pkt._flat = None
        if pkt.failure is not None:
            return None
        dgram = self.defrag.add(key, offset, more, bytes(data[start:stop]), frame.number, frame.ts_ns, header)
        if dgram is None:
            return None
        h = dgram.header
        if h[0] == "ip":
            hdr = bytearray(h[1])
            total = len(hdr) + len(dgram.payload)
            hdr[2:4] = total.to_bytes(2, "big")
            hdr[6] &= 0x40          # keep DF, clear MF and the offset
            hdr[7] = 0
            hdr[10:12] = b"\0\0"
            hdr[10:12] = _ip_checksum(hdr).to_bytes(2, "big")
        else:
            hdr = bytearray(h[1])
            hdr[h[2]] = h[3]
            hdr[4:6] = (len(hdr) - 40 + len(dgram.payload)).to_bytes(2, "big")
        rebuilt = bytes(data[:ip_l.offset]) + bytes(hdr) + dgram.payload
        synthetic = Frame(frame.number, frame.ts_ns, len(rebuilt), frame.iface, frame.linktype, rebuilt,
                          frame.iface_name, frame.comments)
        whole = decode(synthetic)
        out = ReassembledPacket(synthetic)
        out.wire_frame = frame
        out.layers = whole.layers
        out.layers[0] = layers[0]                      # frame.* fields of the captured frame
        new_ip = out.layers[ip_i]
        fields = dict(ip_l.fields)
        prefix = "ip" if h[0] == "ip" else "ipv6"
        fields[prefix + ".fragment"] = list(dgram.frames)
        fields[prefix + ".fragment.count"] = len(dgram.frames)
        fields[prefix + ".reassembled.length"] = len(dgram.payload)
        if dgram.overlap:
            fields[prefix + ".fragment.overlap"] = 1
        if dgram.conflict:
            fields[prefix + ".fragment.overlap.conflict"] = 1
            out.note(prefix, "warning", "overlapping fragments with conflicting data (first copy kept)")
        new_ip.fields = fields
        if h[0] == "ipv6" and layers[-1].name == "ipv6.fraghdr":
            # the rebuilt datagram has no fragment header: show the captured one after the IPv6 layers
            at = ip_i + 1
            while at < len(out.layers) and out.layers[at].name.startswith("ipv6."):
                at += 1
            out.layers.insert(at, layers[-1])
        keep = {layer.name for layer in out.layers[:ip_i + 1]}
        out.notes = list(pkt.notes) + [n for n in whole.notes if n[0] not in keep]
        out.failure = whole.failure
        out.payload = whole.payload
        return out

    # -- the end -------------------------------------------------------------------------------------
    def finish(self) -> Pipeline:
        """End of input: close every connection's sinks and make the summaries final (idempotent)."""
        if not self.finished:
            self.finished = True
            if self.tcp is not None:
                self.tcp.close_all()
            if self.transactions is not None:
                self.transactions.finish()
            if self.defrag is not None:
                self.defrag.finish()
        return self

    @property
    def tcp_connections(self) -> list[dict[str, Any]]:
        """Summary rows of the TCP connections (final after :meth:`finish`)."""
        if self.tcp is None:
            return []
        if self._tcp_rows is None or len(self._tcp_rows) != len(self.tcp.finished):
            with gc_paused():
                self._tcp_rows = self.tcp.summaries()
        return self._tcp_rows

    def tcp_rows(self, details: bool = True, release: bool = False) -> list[dict[str, Any]]:
        """Like :attr:`tcp_connections`; ``details=False`` leaves out the handshake/teardown facts (faster);
        ``release=True`` forgets the connections as their rows are made (a last call, to save memory)."""
        if details and not release:
            return self.tcp_connections
        if self.tcp is None:
            return []
        with gc_paused():
            return self.tcp.summaries(details=details, release=release)

    @property
    def udp_conversations(self) -> list[dict[str, Any]]:
        return self.udp.summaries()

    @property
    def incomplete_datagrams(self) -> list[dict[str, Any]]:
        return self.defrag.incomplete if self.defrag is not None else []


def _ip_checksum(hdr: bytes) -> int:
    total = sum(int.from_bytes(hdr[i:i + 2], "big") for i in range(0, len(hdr) - 1, 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def analyze(frames: Iterable[Frame], *, tcp: bool = True,
            sinks: SinkFactory | Iterable[SinkFactory] | None = None,
            pipeline: Pipeline | None = None, **options: Any) -> Iterator[Packet]:
    """Run ``frames`` through the analysis chain, yielding each packet with every stage's fields.

    Pass ``pipeline=Pipeline(...)`` to keep the connection table for reports after iterating (it is
    finished when the frames run out); without it, finished connections are not kept (memory holds only
    the open ones). Other keyword options go to :class:`Pipeline`.
    """
    if pipeline is None:
        # nobody can ask this pipeline for connection summaries: keep only the open connections
        options["tracker_options"] = {"keep_summaries": False, **(options.get("tracker_options") or {})}
        if "transactions" not in options:
            from analyzer.apps.transactions import Transactions

            options["transactions"] = Transactions(keep=False)
        pipeline = Pipeline(tcp=tcp, sinks=sinks, **options)
    pipe = pipeline
    return pipe.run(frames)
