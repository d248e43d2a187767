"""HTTP and DNS transactions of one analysis run, wired to :class:`analyzer.pipeline.Pipeline`.

Usage::

    tx = Transactions()
    pipe = Pipeline(sinks=tx.factories)
    for pkt in pipe.run(frames):
        tx.packet(pkt)          # after the pipeline: DNS pairing, fields of messages a FIN completed
    tx.finish()
    tx.http.sorted_records(), tx.dns.transactions, tx.tls.sessions

TLS (:mod:`analyzer.apps.tls`): ``tx.tls`` is a sink factory too; it puts ``tls`` layers on the frames that
complete records, decrypts with ``keylog`` (an :class:`~analyzer.apps.tls.keylog.KeyLog`) and feeds the
plaintext to ``tx.http``'s sinks, so decrypted HTTP becomes the same records as cleartext HTTP.

What lands on packets (as tshark shows it in one pass): the ``http`` layers of
:mod:`analyzer.apps.http.sink`, the ``http2`` layers of :mod:`analyzer.apps.http2` (whose transactions join the
HTTP tracker's records), and on ``dns``/``mdns``/``llmnr`` layers ``dns.response_to``, ``dns.time``,
``dns.retransmission``, ``dns.retransmit_request_in``, ``dns.retransmit_response_in`` and
``dns.unsolicited``; ``dns.response_in`` is added to a query's layer when its response arrives (a later
frame, as tshark's second pass shows it).

DNS over TCP: the pipeline's own DNS-over-TCP sink puts each reassembled message's layer on the frame that
completes it, but those bytes are not in the frame; :class:`DnsTcpTap` (one of ``factories``) cuts the same
streams the same way and keeps each message for :meth:`Transactions.packet` to pair with those layers. It
relies on the pipeline's DNS-over-TCP reassembly being on (the default).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from analyzer.apps.dns_tx import DnsTracker
from analyzer.apps.http.sink import HttpTracker
from analyzer.apps.http.udp import SSDP_PORT, HttpUdpTracker
from analyzer.apps.http2 import Http2Tracker
from analyzer.apps.tls import KeyLog, TlsTracker
from analyzer.decode.decode_as import DNS_TCP_PORTS, HTTP_UDP_PORTS
from analyzer.decode.dns import _CLASSES, DnsLayer, Header, _dns_message, decode_dns, parse_message
from analyzer.decode.errors import DecodeError
from analyzer.decode.packet import Packet
from analyzer.decode.tables import TABLES
from analyzer.flows.quick import _U16, _UDP, _network_offset, address_pair
from analyzer.tcp.dns import DnsTcpSink

DNS_LAYERS = frozenset(("dns", "mdns", "llmnr"))
MAX_WAITING_QUERIES = 100_000      # query layers kept for a later dns.response_in


class DnsTcpTap(DnsTcpSink):
    """Cuts a DNS-over-TCP connection into messages like the pipeline's sink, and keeps the bytes."""

    def __init__(self, queue: dict[int, list[bytes]]):
        super().__init__()
        self.queue = queue

    def _emit(self, message: bytes, frame: Any) -> None:
        self.messages += 1
        if isinstance(frame, Packet):
            self.queue.setdefault(frame.frame.number, []).append(message[2:])


class Transactions:
    """The HTTP, DNS and TLS trackers of one run (each can be off). ``keylog``: TLS secrets for decryption."""

    def __init__(self, *, http: bool = True, dns: bool = True, tls: bool = True, fields: bool = True,
                 keep: bool = True, keylog: KeyLog | None = None, **http_options: Any):
        self.fields = fields
        self.http = HttpTracker(fields=fields, keep=keep, **http_options) if http else None
        # HTTP/2 (h2c on any port; h2 over TLS through http2.tls_sink): its records go to self.http
        self.http2 = Http2Tracker(self.http, fields=fields) if http else None
        self.http_udp = HttpUdpTracker(fields=fields) if http else None     # SSDP and HTTP over UDP
        self.dns = DnsTracker(keep=keep, fields=fields) if dns else None
        self.tls = TlsTracker(keylog=keylog, http=self.http, http2=self.http2, fields=fields,
                              keep=keep) if tls else None
        # QUIC opened with the key log, HTTP/3 over it (analyzer.apps.http3): its records go to self.http
        self.http3 = None
        if tls and keylog is not None:
            from analyzer.apps.http3 import Http3Tracker
            self.http3 = Http3Tracker(keylog, self.http, fields=fields)
        self._tcp_messages: dict[int, list[bytes]] = {}
        self._waiting: dict[int, tuple[Any, Packet, Any]] = {}    # id(trans) -> query's (trans, pkt, layer)

    @property
    def factories(self) -> list:
        """Sink factories to give the pipeline (``Pipeline(sinks=...)``)."""
        out = []
        if self.http is not None:
            out.append(self.http)
            out.append(self.http2)
        if self.dns is not None:
            out.append(self._dns_tap)
        if self.tls is not None:
            out.append(self.tls)
        return out

    def _dns_tap(self, conn: Any) -> DnsTcpTap | None:
        o, r = conn.sides
        if o.port in DNS_TCP_PORTS or r.port in DNS_TCP_PORTS:
            return DnsTcpTap(self._tcp_messages)
        return None

    # -- per packet ------------------------------------------------------------------------------------
    def packet(self, pkt: Packet) -> None:
        """Run after the pipeline processed ``pkt`` (in capture order)."""
        if self.http3 is not None:
            self.http3.packet(pkt)
        if self.http is not None:
            self.http.packet(pkt)
            self.http_udp.packet(pkt)
        if self.dns is not None:
            self._dns(pkt)

    def _dns(self, pkt: Packet) -> None:
        number = pkt.frame.number
        queued = None
        if self._tcp_messages:
            queued = self._tcp_messages.pop(number, None)
            for stale in [n for n in self._tcp_messages if n < number]:
                del self._tcp_messages[stale]
        layers = pkt.layers
        for layer in layers:
            if layer.name in DNS_LAYERS:
                break
        else:
            return
        addr = None
        transport = None
        quoted = False
        changed = False
        for layer in layers:
            name = layer.name
            if name == "ip":
                f = layer.fields
                addr = (f.get("ip.src"), f.get("ip.dst"))
            elif name == "ipv6":
                f = layer.fields
                addr = (f.get("ipv6.src"), f.get("ipv6.dst"))
            elif name == "udp" or name == "tcp":
                transport = layer
            elif name == "icmp" or name == "icmpv6":
                quoted = True
            elif name in DNS_LAYERS and addr is not None and transport is not None:
                proto = transport.name
                if proto == "tcp" and not quoted:
                    data = queued.pop(0) if queued else None
                    if data is None:
                        continue
                    off, end = 0, len(data)
                elif layer.__class__ is DnsLayer:
                    # the message the decoder parsed from these very bytes (lenient, the same bounds)
                    data = None
                    msg = layer.message
                    header = msg.header
                else:
                    data = pkt.frame.data
                    off, end = layer.offset, min(layer.offset + layer.length, len(pkt.frame.data))
                    if "dns.length" in layer.fields:
                        off += 2
                if data is not None:
                    msg, header = _parse(data, off, end)
                if header is None:
                    continue
                tf = transport.fields
                src = (addr[0], tf.get(proto + ".srcport"))
                dst = (addr[1], tf.get(proto + ".dstport"))
                fields, trans = self.dns.message(
                    msg, header, service=name, proto=proto, stream=tf.get(proto + ".stream"), src=src,
                    dst=dst, frame=number, ts_ns=pkt.frame.ts_ns, quoted=quoted)
                if not self.fields:
                    continue
                if fields and msg is not None and not msg.errors:
                    # tshark adds these after the records: a malformed or cut message never gets them
                    layer.fields.update(fields)
                    changed = True
                if trans is None:
                    continue
                if trans.query_frame == number and not (header.flags & 0x8000) \
                        and "dns.retransmission" not in fields:
                    self._wait(trans, pkt, layer)
                elif trans.response_frame == number and "dns.response_to" in fields:
                    waiting = self._waiting.pop(id(trans), None)
                    if waiting is not None:
                        _, qpkt, qlayer = waiting
                        qlayer.fields["dns.response_in"] = number
                        qpkt._flat = None
        if changed:
            pkt._flat = None

    def dns_datagrams(self, pipe: Any) -> Callable[[Any], bool] | None:
        """``analyzer dns``'s quick path (:func:`analyzer.api.stream.dns_stream`) for DNS over UDP, on ``pipe`` (the
        :class:`~analyzer.pipeline.Pipeline` this stage follows): a callable that, given a frame, takes it (True) or
        leaves it to the pipeline (False, nothing done). It takes a frame whose IP datagram (IPv4 unfragmented, or
        IPv6 with UDP as its next header) is whole in the frame (nothing cut, the UDP length exactly the IP
        payload's, a payload of at least one byte) and whose ports decode as DNS (Decode As rules included) and
        as nothing the HTTP-over-UDP tracker reads, while nothing waits for a later packet (DNS-over-TCP
        messages, HTTP fields): it counts the datagram in the UDP table as :meth:`Pipeline._udp
        <analyzer.pipeline.Pipeline._udp>` does, parses the message as the decoder does (no Packet, no fields)
        and pairs it as :meth:`_dns` does. None when this stage makes fields, the pipeline frame times, or a key
        log may make a datagram QUIC (the caller also asks for none when something looks at the packets)."""
        keylog = self.http3.keylog if self.http3 is not None else None
        if self.fields or pipe.frame_times or self.dns is None or (keylog is not None and len(keylog)):
            return None
        datagram = pipe.udp.datagram
        message = self.dns.message
        http = self.http
        tx = self

        def take(frame: Any) -> bool:
            data = frame.data
            where = _network_offset(data, frame.linktype)
            if where is None or frame.caplen < frame.origlen:
                return False
            off, version = where
            n = len(data)
            if version == 4:
                if n < off + 20 or data[off] >> 4 != 4 or data[off + 9] != 17:
                    return False
                ihl = (data[off] & 0x0F) << 2
                if ihl < 20 or (data[off + 6] & 0x3F) or data[off + 7]:
                    return False
                u = off + ihl
                ip_end = off + _U16(data, off + 2)[0]
                addrs = data[off + 12:off + 20]
            else:
                if n < off + 40 or data[off] >> 4 != 6 or data[off + 6] != 17:
                    return False
                u = off + 40
                ip_end = u + _U16(data, off + 4)[0]
                addrs = data[off + 8:off + 40]
            if ip_end > n or ip_end > frame.origlen or ip_end < u + 9:
                return False
            sport, dport, length = _UDP(data, u)
            if length != ip_end - u:
                return False
            if not plain_dns_ports(sport, dport) or tx._tcp_messages \
                    or (http is not None and (http.pending or http.infos)):
                return False
            ts = frame.ts_ns
            pipe.frames += 1
            if pipe.first_ts_ns is None:
                pipe.first_ts_ns = ts
            src, dst = address_pair(addrs)
            number = frame.number
            conv, _d = datagram(ts, number, src, sport, dst, dport, length - 8, frame.origlen)
            # the compiled parse first (parse_message's own first step), the whole _parse for what it leaves
            msg = _dns_message(data, u + 8, ip_end, _CLASSES) if _dns_message is not None else None
            if msg is not None:
                header = msg.header
            else:
                msg, header = _parse(data, u + 8, ip_end)
            if header is not None:
                message(msg, header, service="dns", proto="udp", stream=conv.stream, src=(src, sport), dst=(dst, dport),
                        frame=number, ts_ns=ts)
            return True
        return take

    def _wait(self, trans: Any, pkt: Packet, layer: Any) -> None:
        waiting = self._waiting
        waiting[id(trans)] = (trans, pkt, layer)
        if len(waiting) > MAX_WAITING_QUERIES:
            del waiting[next(iter(waiting))]

    def finish(self) -> None:
        """End of the run (after the pipeline finished): forget what waited for later frames."""
        self._waiting.clear()
        self._tcp_messages.clear()
        if self.http3 is not None:
            self.http3.finish()
        if self.http is not None:
            self.http.pending.clear()


def _parse(data: bytes, off: int, end: int):
    """``(message, header)``: leniently parsed; a message shorter than its header gives ``(None, header)``
    when at least the ID and flags are there (tshark pairs on those), else ``(None, None)``."""
    try:
        msg = parse_message(data, off, end, lenient=True)
    except DecodeError:
        if end - off < 4:
            return None, None
        return None, Header(data[off] << 8 | data[off + 1], data[off + 2] << 8 | data[off + 3], 0, 0, 0, 0)
    return msg, msg.header


def plain_dns_ports(sport: int, dport: int) -> bool:
    """A datagram between these UDP ports decodes as DNS (the udp.port table, Decode As rules included) and as
    nothing the HTTP-over-UDP tracker reads (SSDP, HTTP over UDP): one a quick DNS path may take without a Packet
    (:meth:`Transactions.dns_datagrams`, the timeline collector's ``_dns_udp``)."""
    ports = TABLES["udp.port"]
    lo, hi = (sport, dport) if sport <= dport else (dport, sport)
    return (ports.get(lo) or ports.get(hi)) is decode_dns and sport != SSDP_PORT and dport != SSDP_PORT \
        and sport not in HTTP_UDP_PORTS and dport not in HTTP_UDP_PORTS
