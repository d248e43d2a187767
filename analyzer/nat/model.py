"""What the NAT analysis finds (frozen values): each flow with its translated twin, the flows seen on one side
only, and the kind of translator these imply.

Sides: the analysis reads two views of the same traffic, side 0 and side 1 (two capture files, or two
interfaces of one pcapng). :class:`NatResult` says which of them is the inside (the private network) and
gives every row already oriented: ``inside`` is the host's own address as its network sees it,
``outside`` the address the router gave it on the Internet side, ``remote`` the far end as seen outside.

Times are integer nanoseconds (``*_ns``); frame numbers are each side's own (``frame.number`` in that file,
as tshark numbers it), so that a row can be checked with ``tshark -r FILE -Y frame.number==N``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An address with its port (TCP/UDP) or ICMP echo identifier (``port`` is then the identifier)."""

    addr: str
    port: int | None

    def text(self, proto: str) -> str:
        if self.port is None:
            return self.addr
        if proto.startswith("icmp"):
            return f"{self.addr} id {self.port:#06x}"
        return f"[{self.addr}]:{self.port}" if ":" in self.addr else f"{self.addr}:{self.port}"


@dataclass(frozen=True, slots=True)
class SideFlow:
    """One flow as one side saw it: who sent its first packet (``initiator``) to whom (``responder``), its
    first frame, how many frames each way, the TTL (hop limit) of the first packet each way, and when its
    first packet was sent again (the copy the router forwarded may be a retransmission)."""

    side: int
    initiator: Endpoint
    responder: Endpoint
    first_frame: int
    first_ts_ns: int
    last_ts_ns: int
    frames_fwd: int          # initiator -> responder
    frames_rev: int          # responder -> initiator
    ttl_fwd: int | None
    ttl_rev: int | None
    first_rev_frame: int | None
    first_rev_ts_ns: int | None
    resent_ts_ns: tuple[int, ...] = ()   # later copies of the first packet (a SYN retransmitted), at most 8
    last_frame: int | None = None
    dns_ids: tuple[str, ...] = ()        # the DNS ids of its queries (the first 16)


@dataclass(frozen=True, slots=True)
class Translation:
    """One flow paired with its twin on the other side.

    ``direction``: "outbound" (opened from the inside: the router rewrote the source, SNAT/masquerade),
    "inbound" (opened from outside to a forwarded port: the router rewrote the destination, DNAT), or
    "untranslated" (both views carry the same addresses: the router only routed it). ``matched_by`` says
    what tied the two views together (``tcp.seq_raw`` of the SYN, the UDP payload with its DNS id, the
    ICMP echo sequence number and data). ``delay_out_ns``: from the first packet on the side it entered the
    router to its copy on the other side; ``delay_back_ns`` the same for the first reply. ``ttl_out``/
    ``ttl_back``: how much the router decremented the TTL (hop limit) each way (None when not seen).
    """

    proto: str                 # "tcp", "udp", "icmp", "icmpv6"
    direction: str
    inside: Endpoint
    outside: Endpoint
    remote: Endpoint           # the far end, as seen outside
    remote_inside: Endpoint    # the far end as the inside saw it (differs only for a translated destination)
    matched_by: str
    key: str                   # the matching value: the ISN, the DNS id, the echo sequence number
    service: str | None        # "dns", "http"... when known from the port or payload
    dns: str | None            # for a DNS flow: "0x4e41 A www.example.test"
    inside_flow: SideFlow
    outside_flow: SideFlow
    delay_out_ns: int | None
    delay_back_ns: int | None
    ttl_out: int | None
    ttl_back: int | None

    @property
    def port_preserved(self) -> bool:
        return self.inside.port == self.outside.port

    @property
    def address_translated(self) -> bool:
        return self.inside.addr != self.outside.addr

    def as_dict(self) -> dict[str, Any]:
        return {
            "proto": self.proto, "direction": self.direction,
            "inside": _ep(self.inside), "outside": _ep(self.outside), "remote": _ep(self.remote),
            "remote_inside": _ep(self.remote_inside),
            "port_preserved": self.port_preserved, "matched_by": self.matched_by, "key": self.key,
            "service": self.service, "dns": self.dns,
            "inside_frame": self.inside_flow.first_frame, "outside_frame": self.outside_flow.first_frame,
            "inside_reply_frame": self.inside_flow.first_rev_frame,
            "outside_reply_frame": self.outside_flow.first_rev_frame,
            "first_ts_ns": min(self.inside_flow.first_ts_ns, self.outside_flow.first_ts_ns),
            "delay_out_ns": self.delay_out_ns, "delay_back_ns": self.delay_back_ns,
            "ttl_out": self.ttl_out, "ttl_back": self.ttl_back,
            "frames": {"inside": [self.inside_flow.frames_fwd, self.inside_flow.frames_rev],
                       "outside": [self.outside_flow.frames_fwd, self.outside_flow.frames_rev]},
        }


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A flow seen on one side only, with the likeliest reason from what the other side shows."""

    proto: str
    side: str                  # "inside" or "outside"
    flow: SideFlow
    key: str
    service: str | None
    dns: str | None
    reason: str                # "to-router", "local", "not-forwarded", "other-not-running", "no-twin"

    def as_dict(self) -> dict[str, Any]:
        return {"proto": self.proto, "side": self.side, "from": _ep(self.flow.initiator),
                "to": _ep(self.flow.responder), "frame": self.flow.first_frame, "first_ts_ns": self.flow.first_ts_ns,
                "key": self.key, "service": self.service, "dns": self.dns, "reason": self.reason,
                "frames": [self.flow.frames_fwd, self.flow.frames_rev]}


@dataclass(frozen=True, slots=True)
class NatType:
    """What the translations imply about the translator (RFC 4787's vocabulary where it applies).

    ``ports``: "preserved" (every outbound flow kept its source port), "rewritten" (none did: random port
    allocation), "mixed" (kept where free), None (no outbound translation seen). ``outside_addresses``: the
    public addresses used (one: masquerade/NAPT; several: a pool). ``mapping``: "endpoint-independent"
    (one inside address:port kept the same outside address:port toward different remotes),
    "endpoint-dependent" (it got a different one per remote: a symmetric NAT), None (no inside endpoint
    was seen talking to two remotes). ``hops``: the TTL decrements seen (normally ``(1,)``: one router).
    """

    ports: str | None
    preserved: int
    rewritten: int
    outside_addresses: tuple[str, ...]
    mapping: str | None
    mapping_evidence: tuple[str, ...]
    hops: tuple[int, ...]
    icmp_ids: str | None      # "preserved"/"rewritten"/"mixed"/None for ICMP echo identifiers
    inbound: int              # flows opened from outside to a forwarded port

    def as_dict(self) -> dict[str, Any]:
        return {"ports": self.ports, "preserved": self.preserved, "rewritten": self.rewritten,
                "outside_addresses": list(self.outside_addresses), "mapping": self.mapping,
                "mapping_evidence": list(self.mapping_evidence), "ttl_decrements": list(self.hops),
                "icmp_ids": self.icmp_ids, "inbound": self.inbound}


@dataclass(frozen=True, slots=True)
class SideInfo:
    """One side's input: its name (file or interface), frames read, first and last frame time."""

    name: str
    frames: int
    first_ts_ns: int | None
    last_ts_ns: int | None


@dataclass(frozen=True, slots=True)
class NatResult:
    """The translation table of two views of the same traffic, oriented inside/outside."""

    inside: SideInfo
    outside: SideInfo
    inside_side: int           # which input (0 or 1) is the inside
    oriented_by: str           # "private-addresses", "timing" or "order" (as given)
    translations: tuple[Translation, ...]
    unmatched: tuple[Unmatched, ...]
    nat_type: NatType
    ignored: int = 0           # frames that are not IPv4/IPv6 TCP, UDP or ICMP echo (ARP, ICMP errors...)
    delay_ns: dict[str, int | None] = field(default_factory=dict)   # min/median/max of delay_out_ns

    @property
    def translated(self) -> tuple[Translation, ...]:
        return tuple(t for t in self.translations if t.direction != "untranslated")

    def as_dict(self) -> dict[str, Any]:
        return {
            "inside": {"name": self.inside.name, "frames": self.inside.frames},
            "outside": {"name": self.outside.name, "frames": self.outside.frames},
            "oriented_by": self.oriented_by, "nat_type": self.nat_type.as_dict(), "delay_ns": dict(self.delay_ns),
            "translations": [t.as_dict() for t in self.translations],
            "unmatched": [u.as_dict() for u in self.unmatched], "ignored_frames": self.ignored,
        }


def _ep(e: Endpoint) -> dict[str, Any]:
    return {"addr": e.addr, "port": e.port}
