"""Run the analysis chain over a capture's frames and keep what the timeline needs (:class:`CaptureFacts`).

This is a thin adapter over :mod:`analyzer.pipeline`: one HTTP sink per TCP connection feeding an
:class:`~analyzer.apps.http.HttpConversation`, DNS messages over UDP (and over TCP, through the pipeline's
DNS-over-TCP sink) parsed with :func:`analyzer.decode.dns.parse_message` and paired query -> response by
(client, client port, server, server port, id), ARP messages, and a compact record per TCP segment for the
ladder diagram. It reads no file itself: the caller opens the capture and passes the frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from analyzer.apps.http import CLIENT, CONNECTION_CLOSED, CONNECTION_RESET, SERVER, HttpConversation
from analyzer.decode.dns import T_A, T_AAAA, DnsMessage, parse_message, type_name
from analyzer.decode.errors import DecodeError
from analyzer.pipeline import Pipeline
from analyzer.tcp.dns import DNS_PORT, DnsTcpSink
from analyzer.timeline.facts import (
    ArpMessage,
    CaptureFacts,
    DnsAnswer,
    DnsLookup,
    HttpExchange,
    TcpConnection,
    TcpSegment,
)

_RETRANSMISSION_FIELDS = ("tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
                          "tcp.analysis.spurious_retransmission")


class HttpSink:
    """Reassembly sink for one connection: both byte streams into an HttpConversation, transactions out.

    The originator (direction 0) is the HTTP client. A direction picked up mid-stream (its SYN was not
    captured) starts with a zero-length gap so the parser resynchronises on the next start line.
    """

    def __init__(self, conn: Any, out: list[HttpExchange]):
        self.conn = conn
        self.out = out
        self.conv = HttpConversation()
        self.started = [False, False]
        self.ended = [False, False]
        self.last = (0, 0)

    def _take(self, transactions: list) -> None:
        for tx in transactions:
            self.out.append(HttpExchange(self.conn.stream, tx))

    def data(self, direction: int, data: bytes, frame: Any, ts_ns: int) -> None:
        if self.ended[direction]:
            return
        number = getattr(getattr(frame, "frame", None), "number", None) or self.last[1]
        role = CLIENT if direction == 0 else SERVER
        if not self.started[direction]:
            self.started[direction] = True
            if self.conn.sides[direction].isn is None:
                self._take(self.conv.receive_gap(role, 0))
        self.last = (ts_ns, number)
        self._take(self.conv.receive_data(role, data, ts_ns, number))

    def gap(self, direction: int, nbytes: int) -> None:
        if not self.ended[direction]:
            self.started[direction] = True
            self._take(self.conv.receive_gap(CLIENT if direction == 0 else SERVER, nbytes))

    def _eof(self, direction: int, ts_ns: int, frame: int, reason: str) -> None:
        if self.ended[direction]:
            return
        self.ended[direction] = True
        self._take(self.conv.receive_eof(CLIENT if direction == 0 else SERVER, ts_ns or self.last[0],
                                         frame or self.last[1], reason))

    def fin(self, direction: int) -> None:
        side = self.conn.sides[direction]
        self._eof(direction, side.fin_ts, side.fin_frame, CONNECTION_CLOSED)

    def rst(self, direction: int) -> None:
        side = self.conn.sides[direction]
        for d in (0, 1):
            self._eof(d, side.rst_ts, side.rst_frame, CONNECTION_RESET)

    def close(self) -> None:
        self._take(self.conv.close())


class _Dns:
    """Pairs DNS queries with responses as messages arrive."""

    def __init__(self) -> None:
        self.pending: dict[tuple, dict[str, Any]] = {}
        self.done: list[DnsLookup] = []

    def message(self, msg: DnsMessage, src: str, sport: int, dst: str, dport: int, transport: str,
                frame: int, ts_ns: int) -> None:
        if not msg.questions:
            return
        if not msg.is_response:
            key = (src, sport, dst, dport, msg.id)
            held = self.pending.get(key)
            if held is not None:
                held["retransmissions"].append(frame)
                return
            q = msg.questions[0]
            self.pending[key] = {"client": src, "client_port": sport, "server": dst, "server_port": dport,
                                 "transport": transport, "id": msg.id, "qname": q.name,
                                 "qtype": type_name(q.qtype), "query_frame": frame, "query_ts_ns": ts_ns,
                                 "retransmissions": []}
            return
        held = self.pending.pop((dst, dport, src, sport, msg.id), None)
        if held is None:
            return  # a response whose query was not captured: not part of any fetch we can show
        answers = tuple(DnsAnswer(rr.name, type_name(rr.rtype), _rdata_text(rr), rr.ttl)
                        for rr in msg.answers)
        held["retransmissions"] = tuple(held["retransmissions"])
        self.done.append(DnsLookup(response_frame=frame, response_ts_ns=ts_ns, rcode=msg.rcode,
                                   answers=answers, **held))

    def finish(self) -> tuple[DnsLookup, ...]:
        for held in self.pending.values():
            held["retransmissions"] = tuple(held["retransmissions"])
            self.done.append(DnsLookup(**held))
        self.pending.clear()
        return tuple(sorted(self.done, key=lambda d: d.query_frame))


def _rdata_text(rr: Any) -> str:
    if rr.rdata is None:
        return ""
    if rr.rtype in (T_A, T_AAAA) or isinstance(rr.rdata, str):
        return str(rr.rdata)
    if isinstance(rr.rdata, bytes):
        return rr.rdata.hex()
    return str(rr.rdata)[:200]


class _DnsTcpSink(DnsTcpSink):
    """The pipeline's DNS-over-TCP sink, also handing each whole message to the pairing."""

    def __init__(self, conn: Any, dns: _Dns):
        super().__init__()
        self.conn = conn
        self.dns = dns

    def data(self, direction: int, data: bytes, frame: Any, ts_ns: int) -> None:
        self._direction, self._ts = direction, ts_ns
        super().data(direction, data, frame, ts_ns)

    def _emit(self, message: bytes, frame: Any) -> None:
        super()._emit(message, frame)
        try:
            msg = parse_message(message, 2, len(message), lenient=True)
        except DecodeError:
            return
        me, peer = self.conn.sides[self._direction], self.conn.sides[1 - self._direction]
        number = getattr(getattr(frame, "frame", None), "number", 0)
        self.dns.message(msg, me.addr, me.port, peer.addr, peer.port, "tcp", number, self._ts)


def collect(frames: Iterable) -> CaptureFacts:
    """Analyse ``frames`` (e.g. a :func:`analyzer.capture.open_capture` reader) and return the facts."""
    exchanges: list[HttpExchange] = []
    conns: dict[int, Any] = {}
    dns = _Dns()

    def factory(conn: Any) -> Any:
        conns[conn.stream] = conn
        o, r = conn.sides
        if o.port == DNS_PORT or r.port == DNS_PORT:
            return _DnsTcpSink(conn, dns)
        return HttpSink(conn, exchanges)

    pipe = Pipeline(sinks=factory, dns_over_tcp=False)
    arp: list[ArpMessage] = []
    segments: list[TcpSegment] = []
    for pkt in pipe.run(frames):
        frame = pkt.frame
        ip = None
        for layer in pkt.layers:
            name = layer.name
            if name == "ip" or name == "ipv6":
                ip = layer
            elif name == "tcp":
                _segment(layer.fields, ip, frame, conns, segments)
                break
            elif name == "udp":
                _udp_dns(pkt, layer, ip, dns)
                break
            elif name == "arp":
                f = layer.fields
                if "arp.src.proto_ipv4" in f:
                    arp.append(ArpMessage(frame.number, frame.ts_ns, f.get("arp.opcode", 0),
                                          f["arp.src.proto_ipv4"], f.get("arp.src.hw_mac", ""),
                                          f.get("arp.dst.proto_ipv4", ""), f.get("arp.dst.hw_mac", "")))
                break
            elif name in ("icmp", "icmpv6"):
                break
    pipe.finish()
    connections = {}
    for row in pipe.tcp_connections:
        connections[row["stream"]] = TcpConnection(row["stream"], row["id.orig_h"], row["id.orig_p"],
                                                   row["id.resp_h"], row["id.resp_p"], row)
    return CaptureFacts(connections=connections, http=tuple(exchanges), dns=dns.finish(), arp=tuple(arp),
                        segments=tuple(segments), first_ts_ns=pipe.first_ts_ns, frames=pipe.frames)


def _segment(f: dict, ip: Any, frame: Any, conns: dict[int, Any], out: list[TcpSegment]) -> None:
    stream = f.get("tcp.stream")
    conn = conns.get(stream)
    if conn is None or ip is None or "tcp.seq" not in f:
        return
    orig = conn.sides[0]
    src = ip.fields.get(ip.name + ".src")
    direction = 0 if f["tcp.srcport"] == orig.port and src == orig.addr else 1
    flags = f.get("tcp.flags", "0x0")
    out.append(TcpSegment(frame.number, frame.ts_ns, stream, direction,
                          int(flags, 16) if isinstance(flags, str) else int(flags),
                          f.get("tcp.seq", 0), f.get("tcp.ack", 0), f.get("tcp.seq_raw", 0),
                          f.get("tcp.ack_raw", 0), f.get("tcp.len", 0), f.get("tcp.window_size", 0),
                          any(k in f for k in _RETRANSMISSION_FIELDS)))


def _udp_dns(pkt: Any, udp: Any, ip: Any, dns: _Dns) -> None:
    f = udp.fields
    sport, dport = f.get("udp.srcport"), f.get("udp.dstport")
    if sport != DNS_PORT and dport != DNS_PORT:
        return
    data = pkt.payload_bytes()
    if not data:
        return
    try:
        msg = parse_message(data, 0, len(data), lenient=True)
    except DecodeError:
        return
    if ip is None:
        return
    prefix = ip.name
    src, dst = ip.fields.get(prefix + ".src"), ip.fields.get(prefix + ".dst")
    dns.message(msg, src, sport, dst, dport, "udp", pkt.frame.number, pkt.frame.ts_ns)
