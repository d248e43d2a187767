"""Run the analysis chain over a capture's frames and keep what the timeline needs (:class:`CaptureFacts`).

This is a thin adapter over :mod:`analyzer.pipeline` and the shared transaction trackers
(:class:`analyzer.apps.transactions.Transactions`, the ones ``analyzer http`` and ``analyzer dns`` use): their
HTTP records and DNS transactions, ARP messages, and a compact record per TCP segment for the ladder
diagram. It reads no file itself: the caller opens the capture and passes the frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from analyzer.apps.dns_tx import DnsTransaction, answer_text, cname_chain
from analyzer.apps.transactions import Transactions
from analyzer.decode.dns import type_name
from analyzer.pipeline import Pipeline
from analyzer.tcp.connection import summarize
from analyzer.timeline.facts import (
    ArpMessage,
    CaptureFacts,
    DnsAnswer,
    DnsLookup,
    TcpConnection,
    TcpSegment,
)

_RETRANSMISSION_FIELDS = ("tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
                          "tcp.analysis.spurious_retransmission")


class Collector:
    """One analysis run fed frame by frame (``feed``), for a capture file or a live capture.

    :meth:`facts` may be asked at any time: a snapshot of what is known so far — the connections still
    open summarised as they stand, the HTTP transactions not finished yet as they stand (a request waiting
    for its response). :meth:`finish` ends the run (every connection closed) and returns the final facts,
    the same as :func:`collect` on the same frames.
    """

    def __init__(self, keylog: Any = None) -> None:
        self.transactions = Transactions(fields=False, keylog=keylog)
        self.pipe = Pipeline(sinks=self._remember, transactions=self.transactions)
        self.conns: dict[int, Any] = {}
        self.arp: list[ArpMessage] = []
        self.segments: list[TcpSegment] = []

    def _remember(self, conn: Any) -> None:
        self.conns[conn.stream] = conn      # for the direction of each segment; no sink of its own

    def feed(self, frame: Any) -> None:
        """One frame through the analysis chain."""
        pkt = self.pipe.feed(frame)
        frame = pkt.frame
        ip = None
        for layer in pkt.layers:
            name = layer.name
            if name == "ip" or name == "ipv6":
                ip = layer
            elif name == "tcp":
                _segment(layer.fields, ip, frame, self.conns, self.segments)
                break
            elif name == "arp":
                f = layer.fields
                if "arp.src.proto_ipv4" in f:
                    self.arp.append(ArpMessage(frame.number, frame.ts_ns, f.get("arp.opcode", 0),
                                               f["arp.src.proto_ipv4"], f.get("arp.src.hw_mac", ""),
                                               f.get("arp.dst.proto_ipv4", ""), f.get("arp.dst.hw_mac", "")))
                break
            elif name in ("udp", "icmp", "icmpv6"):
                break

    def finish(self) -> CaptureFacts:
        """End of input: the final facts."""
        self.pipe.finish()
        return self.facts()

    def facts(self) -> CaptureFacts:
        """What is known so far (final after :meth:`finish`)."""
        pipe = self.pipe
        rows = list(pipe.tcp_connections)
        if not pipe.finished and pipe.tcp is not None:
            rows += [summarize(conn) for conn in pipe.tcp.connections()]
        connections = {row["stream"]: TcpConnection(row["stream"], row["id.orig_h"], row["id.orig_p"],
                                                    row["id.resp_h"], row["id.resp_p"], row) for row in rows}
        tx = self.transactions
        lookups = (lookup(t) for t in tx.dns.transactions if t.service == "dns")
        return CaptureFacts(
            connections=connections, http=tuple(tx.http.sorted_records(include_open=not pipe.finished)),
            dns=tuple(sorted((lk for lk in lookups if lk is not None), key=lambda lk: lk.query_frame)),
            arp=tuple(self.arp), segments=tuple(self.segments), first_ts_ns=pipe.first_ts_ns, frames=pipe.frames)


def collect(frames: Iterable, keylog: Any = None) -> CaptureFacts:
    """Analyse ``frames`` (e.g. a :func:`analyzer.capture.open_capture` reader) and return the facts;
    ``keylog``: TLS secrets (:class:`analyzer.apps.tls.KeyLog`) to decrypt HTTPS with."""
    collector = Collector(keylog)
    feed = collector.feed
    for frame in frames:
        feed(frame)
    return collector.finish()


def lookup(t: DnsTransaction) -> DnsLookup | None:
    """A DNS transaction as the timeline shows it; None without a query that asked a question."""
    if t.query_frame is None or t.query is None or not t.query.questions:
        return None
    question = t.question
    resp = t.response
    answers = tuple(DnsAnswer(rr.name, type_name(rr.rtype), answer_text(rr), rr.ttl)
                    for rr in (resp.answers if resp is not None else ()))
    chain, addresses = cname_chain(resp, question.name)
    return DnsLookup(client=t.client[0], client_port=t.client[1], server=t.server[0], server_port=t.server[1],
                     transport=t.proto, id=t.trans_id, qname=question.name, qtype=type_name(question.qtype),
                     query_frame=t.query_frame, query_ts_ns=t.query_ts_ns, response_frame=t.response_frame,
                     response_ts_ns=t.response_ts_ns, rcode=t.rcode, answers=answers,
                     retransmissions=tuple(t.retransmissions), cnames=tuple(chain[1:]),
                     addresses=tuple(addresses))


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
