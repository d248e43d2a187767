"""What the timeline is built from: plain, frozen records of what the analysis chain saw.

These are the inputs of :func:`analyzer.timeline.build.build`, produced from a capture by
:mod:`analyzer.timeline.collect` (or written by hand in tests). Times are integer ns since the epoch, frame
numbers 1-based, addresses strings as the decoders show them. Nothing here refers back to packets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analyzer.apps.http.sink import HttpRecord

# TCP flag bits (RFC 9293 3.1)
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


@dataclass(frozen=True, slots=True)
class ArpMessage:
    """One ARP request (opcode 1: "who has target_ip? tell sender_ip") or reply (opcode 2)."""

    frame: int
    ts_ns: int
    opcode: int
    sender_ip: str
    sender_mac: str
    target_ip: str
    target_mac: str


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """One record of a response's answer section: ``value`` is the address, the CNAME target, or the
    record's data as text."""

    name: str
    rtype: str
    value: str
    ttl: int


@dataclass(frozen=True, slots=True)
class DnsLookup:
    """A DNS query and its response (None fields when no response was captured). ``cnames`` is the CNAME
    chain from ``qname`` to the canonical name, ``addresses`` that name's A/AAAA addresses."""

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
    cnames: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TcpSegment:
    """One TCP segment: ``direction`` 0 from the connection's originator (the client), 1 back;
    ``seq``/``ack`` relative (as Wireshark shows them), ``*_raw`` as on the wire."""

    frame: int
    ts_ns: int
    stream: int
    direction: int
    flags: int
    seq: int
    ack: int
    seq_raw: int
    ack_raw: int
    length: int
    window: int = 0
    retransmission: bool = False


@dataclass(frozen=True, slots=True)
class TcpConnection:
    """A TCP connection: endpoints (the originator is the client) and the tracker's summary row
    (:func:`analyzer.tcp.connection.summarize`: handshake, teardown, resets, TIME_WAIT...)."""

    stream: int
    client: str
    client_port: int
    server: str
    server_port: int
    summary: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class CaptureFacts:
    """Everything the timeline needs from one capture."""

    connections: dict[int, TcpConnection]
    http: tuple[HttpRecord, ...]     # the shared HTTP tracker's records (stream, client, server, transaction)
    dns: tuple[DnsLookup, ...] = ()
    arp: tuple[ArpMessage, ...] = ()
    segments: tuple[TcpSegment, ...] = ()
    first_ts_ns: int | None = None
    frames: int = 0
