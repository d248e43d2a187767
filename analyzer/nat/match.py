"""Pairs each flow seen on one side of a router with its translated twin on the other (sans-IO: decoded
packets in, pairs out).

Theory of operation
-------------------
A translating router rewrites addresses and ports, and leaves the rest of a packet alone. So each flow is
known on each side by what the router does not touch in its *first* packet, its signature:

* TCP: ``tcp.seq_raw``, ``tcp.ack_raw``, the flags and the payload length (for a SYN: its ISN);
* UDP: the payload (for DNS this holds the transaction id and the question);
* ICMP echo: the type, ``icmp.seq`` and the data (the identifier is a NAT's "port" and may be rewritten).

Each side keeps its own flow table (flows are direction-free 5-tuples; an ICMP echo flow is the two
addresses and the identifier). A new flow looks for a flow of the other side with the same signature that
began (or sent its first packet again) at most ``window_ns`` earlier; if there is none it waits for one for
``window_ns`` after its first packet's last copy. Both sides'
frames come merged by time, so each wait is short and the waiting list is bounded by the flows that began
within one window. Flows end on packet time (TCP: FIN both ways or RST, then ``linger_ns``; any flow: idle
for its protocol's timeout); a pair is handed out when both its flows have ended, a lone flow when it ends.
Memory: the open flows and the pending signatures, never the whole capture.

ICMP errors (they quote another packet), ARP, fragments after the first and other protocols are counted in
``ignored`` and not paired.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

from analyzer.flows.quick import _network_offset, quick_headers
from analyzer.nat.model import Endpoint, SideFlow

NS = 1_000_000_000
WINDOW_NS = 2 * NS              # the longest delay through the router (plus clock offset) that still pairs
TCP_IDLE_NS = 300 * NS
OTHER_IDLE_NS = 60 * NS
LINGER_NS = 5 * NS              # a closed TCP flow waits this long for its last ACKs

_TCP_SYN, _TCP_RST, _TCP_FIN, _TCP_ACK = 0x02, 0x04, 0x01, 0x10
_ECHO = {("icmp", 8): "request", ("icmp", 0): "reply", ("icmpv6", 128): "request", ("icmpv6", 129): "reply"}
_SERVICES = {53: "dns", 80: "http", 443: "https", 8080: "http", 123: "ntp", 22: "ssh", 25: "smtp", 853: "dot"}


@dataclass(frozen=True, slots=True)
class Pair:
    """Two views of one flow: ``flows[0]`` on side 0, ``flows[1]`` on side 1 (``matched_by``, ``key``: what
    tied them)."""

    proto: str
    flows: tuple[SideFlow, SideFlow]
    matched_by: str
    key: str
    service: str | None
    dns: str | None


@dataclass(frozen=True, slots=True)
class Lone:
    """A flow seen on one side only."""

    proto: str
    flow: SideFlow
    key: str
    service: str | None
    dns: str | None


class _Flow:
    __slots__ = ("closed_ts", "dns", "dns_ids", "done", "fin", "first_frame", "first_rev_frame", "first_rev_ts",
                 "first_ts", "fwd", "init", "isn", "key", "keytext", "last_frame", "last_ts", "matched_by", "proto",
                 "resend", "resp", "rev", "service", "side", "sig", "ttl_fwd", "ttl_rev", "twin")

    def frozen(self) -> SideFlow:
        return SideFlow(self.side, self.init, self.resp, self.first_frame, self.first_ts, self.last_ts, self.fwd,
                        self.rev, self.ttl_fwd, self.ttl_rev, self.first_rev_frame, self.first_rev_ts,
                        tuple(self.resend), self.last_frame, tuple(self.dns_ids))


def _int(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError:
            return None
    return None


def packet_view(pkt: Any) -> tuple | None:
    """What the matcher needs of one decoded packet, or None when it is not a TCP, UDP or ICMP echo packet
    over IP: ``(proto, src, sport, dst, dport, ttl, flags, signature, matched_by, keytext, service, dns)``.
    ``sport``/``dport`` are the ICMP identifier for an echo. Only the first IP header counts (an ICMP error's
    quoted packet is not a flow)."""
    ip = transport = None
    for layer in pkt.layers:
        name = layer.name
        if ip is None:
            if name in ("ip", "ipv6"):
                ip = layer
            continue
        if name in ("tcp", "udp", "icmp", "icmpv6"):
            transport = layer
        break
    if ip is None or transport is None:
        return None
    f = ip.fields
    if ip.name == "ip":
        src, dst, ttl = f.get("ip.src"), f.get("ip.dst"), f.get("ip.ttl")
    else:
        src, dst, ttl = f.get("ipv6.src"), f.get("ipv6.dst"), f.get("ipv6.hlim")
    if not isinstance(src, str) or not isinstance(dst, str):
        return None
    t = transport.fields
    proto = transport.name
    data = pkt.frame.data
    if proto == "tcp":
        sport, dport = t.get("tcp.srcport"), t.get("tcp.dstport")
        seq, ack, flags = t.get("tcp.seq_raw"), t.get("tcp.ack_raw"), _int(t.get("tcp.flags"))
        if sport is None or dport is None or seq is None or flags is None:
            return None
        length = t.get("tcp.len", 0)
        syn = flags & (_TCP_SYN | _TCP_ACK) == _TCP_SYN
        sig = ("tcp", seq, ack if flags & _TCP_ACK else 0, flags, length)
        keytext = f"ISN {seq}" if syn else f"seq {seq} ack {ack}"
        service = _service(pkt, sport, dport)
        return (proto, src, sport, dst, dport, ttl, flags, sig, "tcp.seq_raw" if syn else "tcp.seq_raw+ack_raw",
                keytext, service, None)
    if proto == "udp":
        sport, dport = t.get("udp.srcport"), t.get("udp.dstport")
        if sport is None or dport is None:
            return None
        payload = pkt.payload_bytes()
        sig = ("udp", len(payload), hash(payload))
        dns = None
        dns_id = None
        for layer in pkt.layers:
            if layer.name in ("dns", "mdns", "llmnr"):
                d = layer.fields
                dns_id = d.get("dns.id")
                name = d.get("dns.qry.name")
                if isinstance(name, list):
                    name = name[0] if name else None
                qtype = d.get("dns.qry.type")
                if isinstance(qtype, list):
                    qtype = qtype[0] if qtype else None
                from analyzer.decode.dns import type_name

                dns = " ".join(str(x) for x in (dns_id, type_name(qtype) if isinstance(qtype, int) else None, name)
                               if x is not None)
                break
        if dns_id is not None:
            return (proto, src, sport, dst, dport, ttl, 0, sig, "dns.id+payload", f"DNS id {dns_id}", "dns", dns)
        return (proto, src, sport, dst, dport, ttl, 0, sig, "udp payload", f"{len(payload)} payload bytes",
                _service(pkt, sport, dport), None)
    kind = _ECHO.get((proto, t.get(f"{proto}.type")))
    if kind is None:
        return None
    if proto == "icmp":
        ident, seq = _int(t.get("icmp.ident")), _int(t.get("icmp.seq"))
    else:
        ident, seq = _int(t.get("icmpv6.echo.identifier")), _int(t.get("icmpv6.echo.sequence_number"))
    if ident is None or seq is None:
        return None
    body = data[transport.offset + 8:]
    sig = (proto, kind, seq, len(body), hash(body))
    return (proto, src, ident, dst, ident, ttl, 1 if kind == "request" else 0, sig, f"{proto}.seq+data",
            f"echo seq {seq}", None, None)


def frame_view(frame: Any) -> tuple | None:
    """:func:`packet_view` of a TCP segment read straight from the frame's bytes (the common shapes of
    :func:`analyzer.flows.quick.quick_headers`: no Packet object, the same values); None for anything else,
    which then goes through the decoder and :func:`packet_view`."""
    data = frame.data
    where = _network_offset(data, frame.linktype)
    if where is None:
        return None
    off, version = where
    if version == 4:
        if len(data) < off + 20 or data[off + 9] != 6:
            return None
        ttl = data[off + 8]
    else:
        if len(data) < off + 40 or data[off + 6] != 6:
            return None
        ttl = data[off + 7]
    h = quick_headers(data, frame.linktype, origlen=frame.origlen)
    if h is None or h[0] != "tcp":
        return None
    _, src, sport, dst, dport, seq, ack, flags, _window, length, _options = h
    syn = flags & (_TCP_SYN | _TCP_ACK) == _TCP_SYN
    sig = ("tcp", seq, ack if flags & _TCP_ACK else 0, flags, length)
    return ("tcp", src, sport, dst, dport, ttl, flags, sig, "tcp.seq_raw" if syn else "tcp.seq_raw+ack_raw",
            f"ISN {seq}" if syn else f"seq {seq} ack {ack}", _SERVICES.get(dport) or _SERVICES.get(sport), None)


def _service(pkt: Any, sport: int, dport: int) -> str | None:
    for layer in pkt.layers:
        if layer.name in ("http", "http2", "tls", "dns", "ssdp"):
            return layer.name
    return _SERVICES.get(dport) or _SERVICES.get(sport)


class NatMatcher:
    """Feed the packets of both sides merged by time (:meth:`feed`), then :meth:`finish`; each returns the
    :class:`Pair` and :class:`Lone` records whose flows have ended."""

    def __init__(self, window_ns: int = WINDOW_NS, tcp_idle_ns: int = TCP_IDLE_NS,
                 other_idle_ns: int = OTHER_IDLE_NS, linger_ns: int = LINGER_NS):
        self.window_ns = window_ns
        self.idle = {"tcp": tcp_idle_ns, "other": other_idle_ns}
        self.linger_ns = max(linger_ns, 2 * window_ns)
        self.flows: tuple[dict, dict] = ({}, {})
        self.open: dict[str, OrderedDict] = {"tcp": OrderedDict(), "other": OrderedDict()}
        self.closed: deque = deque()                     # (closed_ts, flow), in time order
        self.pending: tuple[dict, dict] = ({}, {})       # side -> signature -> deque of flows awaiting a twin
        self.pending_order: deque = deque()              # (first_ts, flow), in time order
        self.frames = [0, 0]
        self.first_ts: list[int | None] = [None, None]
        self.last_ts: list[int | None] = [None, None]
        self.ignored = 0
        self.started = [0, 0]          # flows begun on each side
        self.paired = 0
        self._out: list = []

    def feed(self, side: int, number: int, ts_ns: int, pkt: Any) -> list:
        """One decoded packet of ``side`` (0 or 1), its frame number there and time (ns)."""
        return self.feed_view(side, number, ts_ns, packet_view(pkt))

    def feed_view(self, side: int, number: int, ts_ns: int, view: tuple | None) -> list:
        """One packet given as :func:`packet_view` (or :func:`frame_view`) reads it; None: not a flow's."""
        self.frames[side] += 1
        if self.first_ts[side] is None:
            self.first_ts[side] = ts_ns
        self.last_ts[side] = ts_ns
        self._expire(ts_ns)
        if view is None:
            self.ignored += 1
            return self._take()
        proto, src, sport, dst, dport, ttl, flags, sig, matched_by, keytext, service, dns = view
        a, b = (src, sport), (dst, dport)
        key = (proto, a, b) if a <= b else (proto, b, a)
        table = self.flows[side]
        flow = table.get(key)
        if (flow is not None and proto == "tcp" and flags & (_TCP_SYN | _TCP_ACK) == _TCP_SYN
                and flow.closed_ts is not None and sig[1] != flow.isn):
            self._end(flow)                                 # the port is reused by a new connection
            flow = None
        if flow is None:
            flow = self._new(side, number, ts_ns, key, proto, a, b, ttl, sig, matched_by, keytext, service, dns)
            if proto == "tcp" and flags & (_TCP_SYN | _TCP_ACK) == _TCP_SYN:
                flow.isn = sig[1]
        else:
            flow.last_ts, flow.last_frame = ts_ns, number
            if a == (flow.init.addr, flow.init.port):
                flow.fwd += 1
                if dns is not None and len(flow.dns_ids) < 16:
                    flow.dns_ids.append(dns.split(" ", 1)[0])
                if sig == flow.sig and len(flow.resend) < 8:
                    flow.resend.append(ts_ns)
                    if flow.twin is None:
                        self.pending_order.append((ts_ns, flow))     # still awaiting a twin: waits anew
            else:
                flow.rev += 1
                if flow.first_rev_frame is None:
                    flow.first_rev_frame, flow.first_rev_ts, flow.ttl_rev = number, ts_ns, ttl
                if flow.dns is None and dns is not None:
                    flow.dns = dns
            if flow.closed_ts is None:
                self.open["tcp" if proto == "tcp" else "other"].move_to_end(key + (side,))
        if proto == "tcp" and flow.closed_ts is None:
            if flags & _TCP_FIN:
                flow.fin |= 1 if a == (flow.init.addr, flow.init.port) else 2
            if flags & _TCP_RST or flow.fin == 3:
                flow.closed_ts = ts_ns
                del self.open["tcp"][key + (side,)]
                self.closed.append((ts_ns, flow))
        return self._take()

    def finish(self) -> list:
        """Ends every open flow (the end of the input)."""
        for table in self.flows:
            for flow in list(table.values()):
                self._end(flow)
        return self._take()

    # -- flows -------------------------------------------------------------------------------------------------
    def _new(self, side, number, ts, key, proto, a, b, ttl, sig, matched_by, keytext, service, dns) -> _Flow:
        f = _Flow()
        f.side, f.key, f.proto, f.sig = side, key, proto, sig
        f.init, f.resp = Endpoint(a[0], a[1]), Endpoint(b[0], None if proto.startswith("icmp") else b[1])
        f.first_frame, f.first_ts, f.last_ts, f.last_frame = number, ts, ts, number
        f.dns_ids = [dns.split(" ", 1)[0]] if dns is not None else []
        f.fwd, f.rev, f.ttl_fwd, f.ttl_rev, f.resend = 1, 0, ttl, None, []
        f.first_rev_frame = f.first_rev_ts = None
        f.matched_by, f.keytext, f.service, f.dns = matched_by, keytext, service, dns
        f.closed_ts, f.done, f.twin, f.fin, f.isn = None, False, None, 0, None
        self.flows[side][key] = f
        self.started[side] += 1
        self.open["tcp" if proto == "tcp" else "other"][key + (side,)] = f
        # a twin that began on the other side at most one window ago?
        waiting = self.pending[1 - side].get(sig)
        if waiting:
            for g in waiting:
                sent = g.resend[-1] if g.resend else g.first_ts
                if g.proto == proto and min(abs(ts - g.first_ts), abs(ts - sent)) <= self.window_ns:
                    waiting.remove(g)
                    if not waiting:
                        del self.pending[1 - side][sig]
                    f.twin, g.twin = g, f
                    self.paired += 1
                    return f
        self.pending[side].setdefault(sig, deque()).append(f)
        self.pending_order.append((ts, f))
        return f

    def _unpend(self, f: _Flow) -> None:
        waiting = self.pending[f.side].get(f.sig)
        if waiting and f in waiting:
            waiting.remove(f)
            if not waiting:
                del self.pending[f.side][f.sig]

    def _expire(self, now: int) -> None:
        order = self.pending_order
        while order and order[0][0] < now - self.window_ns:
            f = order.popleft()[1]
            if not f.resend or f.resend[-1] < now - self.window_ns:
                self._unpend(f)
        for kind, table in self.open.items():
            idle = self.idle[kind]
            while table:
                f = next(iter(table.values()))
                if f.last_ts + idle >= now:
                    break
                self._end(f)
        closed = self.closed
        while closed and closed[0][0] + self.linger_ns < now:
            self._end(closed.popleft()[1])

    def _end(self, f: _Flow) -> None:
        if f.done:
            return
        f.done = True
        if self.flows[f.side].get(f.key) is f:
            del self.flows[f.side][f.key]
        self.open["tcp" if f.proto == "tcp" else "other"].pop(f.key + (f.side,), None)
        self._unpend(f)
        g = f.twin
        if g is None:
            self._out.append(Lone(f.proto, f.frozen(), f.keytext, f.service, f.dns))
        elif g.done:
            a, b = (f, g) if f.side == 0 else (g, f)
            self._out.append(Pair(f.proto, (a.frozen(), b.frozen()), f.matched_by, f.keytext,
                                  f.service or g.service, f.dns or g.dns))

    def _take(self) -> list:
        out, self._out = self._out, []
        return out
