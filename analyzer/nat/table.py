"""From paired flows to the NAT table: which side is the inside, each pair as a translation row (inside
address:port, outside address:port, remote), the flows seen on one side only with the likeliest reason, and
the kind of translator all of it implies. Pure functions over the matcher's records.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable

from analyzer.nat.match import Lone, Pair
from analyzer.nat.model import Endpoint, NatResult, NatType, SideFlow, SideInfo, Translation, Unmatched


def is_private(addr: str) -> bool:
    """An address that the Internet does not route: RFC 1918, shared (RFC 6598, carrier-grade NAT),
    link-local, loopback, unique local (fc00::/7)."""
    try:
        ip = ipaddress.ip_address(addr.split("%")[0])
    except ValueError:
        return False
    if ip.version == 4:
        return ip.is_private and not _documentation(ip) or ip in _SHARED
    return ip.is_link_local or ip.is_loopback or ip in _ULA


_SHARED = ipaddress.ip_network("100.64.0.0/10")
_ULA = ipaddress.ip_network("fc00::/7")
_DOC4 = tuple(ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))


def _documentation(ip) -> bool:
    """Documentation ranges (RFC 5737) stand for public addresses in examples: not private here."""
    return any(ip in n for n in _DOC4)


def _changed(a: SideFlow, b: SideFlow) -> tuple[bool, bool]:
    """(initiator rewritten, responder rewritten) between two views of a flow."""
    return a.initiator != b.initiator, a.responder != b.responder


def orientation(pairs: list[Pair]) -> tuple[int, str]:
    """Which side (0 or 1) is the inside, and how that was told: "private-addresses" (the rewritten
    endpoint has a private address on that side), "timing" (a flow opened from the inside appears there
    first), or "order" (no evidence: the first input)."""
    private = [0, 0]
    timing = [0, 0]
    for p in pairs:
        a, b = p.flows
        init, resp = _changed(a, b)
        if not (init or resp):
            continue
        for side, flow in enumerate(p.flows):
            ep = flow.initiator if init else flow.responder
            if is_private(ep.addr):
                private[side] += 1
        first = 0 if a.first_ts_ns < b.first_ts_ns else 1 if b.first_ts_ns < a.first_ts_ns else None
        if first is not None:
            # a rewritten initiator: the flow came from the inside, seen there first; a rewritten
            # responder: it came from outside to a forwarded port, seen outside first
            timing[first if init else 1 - first] += 1
    if private[0] != private[1]:
        return (0 if private[0] > private[1] else 1), "private-addresses"
    if timing[0] != timing[1]:
        return (0 if timing[0] > timing[1] else 1), "timing"
    return 0, "order"


def _diff(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a - b


def _through(entered: SideFlow, left: SideFlow) -> int:
    """The delay through the router of a flow's first packet: from the last copy of it that entered (a lost
    SYN is sent again) to the first that left."""
    sent = [t for t in (entered.first_ts_ns, *entered.resent_ts_ns) if t <= left.first_ts_ns]
    return left.first_ts_ns - (max(sent) if sent else entered.first_ts_ns)


def translation(p: Pair, inside_side: int) -> Translation:
    ins, out = p.flows[inside_side], p.flows[1 - inside_side]
    init, resp = _changed(ins, out)
    if init or (not resp and ins.first_ts_ns <= out.first_ts_ns):
        direction = "outbound" if init or resp else "untranslated"
        inside, outside, remote, remote_inside = ins.initiator, out.initiator, out.responder, ins.responder
        delay_out = _through(ins, out)
        delay_back = _diff(ins.first_rev_ts_ns, out.first_rev_ts_ns)
        ttl_out, ttl_back = _diff(ins.ttl_fwd, out.ttl_fwd), _diff(out.ttl_rev, ins.ttl_rev)
    else:
        direction = "inbound" if resp else "untranslated"
        inside, outside, remote, remote_inside = ins.responder, out.responder, out.initiator, ins.initiator
        delay_out = _through(out, ins)
        delay_back = _diff(out.first_rev_ts_ns, ins.first_rev_ts_ns)
        ttl_out, ttl_back = _diff(out.ttl_fwd, ins.ttl_fwd), _diff(ins.ttl_rev, out.ttl_rev)
    if p.proto.startswith("icmp") and direction == "inbound":
        inside, outside = Endpoint(inside.addr, ins.initiator.port), Endpoint(outside.addr, out.initiator.port)
    return Translation(p.proto, direction, inside, outside, remote, remote_inside, p.matched_by, p.key, p.service,
                       p.dns, ins, out, delay_out, delay_back, ttl_out, ttl_back)


def _reason(lone: Lone, where: str, other: SideInfo, public: set[str]) -> str:
    """Why a flow has no twin, as far as both captures tell (see :data:`REASONS`)."""
    f = lone.flow
    covered = (other.first_ts_ns is not None and other.first_ts_ns <= f.first_ts_ns
               and (other.last_ts_ns or 0) >= f.last_ts_ns)
    if where == "inside":
        if is_private(f.responder.addr) or f.responder.addr in public:
            return "local"
        return "no-twin" if covered else "other-silent"
    if f.responder.addr in public:
        if f.frames_rev:
            return "router-answered"
        return "not-forwarded" if covered else "other-silent"
    if f.initiator.addr in public:
        return "router-own" if covered else "other-silent"
    return "not-ours"


# Each reason of an Unmatched, said once (the reports' sentences live with their renderers).
REASONS = {
    "local": "to the router or the inside network itself: nothing to translate",
    "no-twin": "the outside capture covers that time and holds no copy: the router did not forward it",
    "other-silent": "the other capture holds no frames over that time: it cannot tell what the router did",
    "router-answered": "to the router's public address, which answered it itself: no port forwarding for it",
    "not-forwarded": "to the router's public address, with no copy inside: not forwarded (no mapping)",
    "router-own": "sent from the public address with no copy inside: the router's own traffic",
    "not-ours": "neither end is the router's public address: other traffic on the outside link",
}


def nat_type(rows: Iterable[Translation]) -> NatType:
    preserved = rewritten = inbound = 0
    icmp_same = icmp_changed = 0
    addresses: list[str] = []
    hops: set[int] = set()
    by_inside: dict[tuple, dict[Endpoint, set[Endpoint]]] = defaultdict(lambda: defaultdict(set))
    for t in rows:
        for d in (t.ttl_out, t.ttl_back):
            if d is not None:
                hops.add(d)
        if t.direction == "inbound":
            inbound += 1
        if t.direction != "outbound":
            continue
        if t.outside.addr not in addresses:
            addresses.append(t.outside.addr)
        if t.proto.startswith("icmp"):
            if t.port_preserved:
                icmp_same += 1
            else:
                icmp_changed += 1
            continue
        if t.port_preserved:
            preserved += 1
        else:
            rewritten += 1
        by_inside[(t.proto, t.inside)][t.remote].add(t.outside)
    evidence = []
    mapping = None
    for (proto, ep), remotes in by_inside.items():
        if len(remotes) < 2:
            continue
        outsides = set().union(*remotes.values())
        evidence.append(f"{proto} {ep.text(proto)} -> {len(remotes)} remotes via "
                        + ", ".join(sorted(o.text(proto) for o in outsides)))
        kind = "endpoint-independent" if len(outsides) == 1 else "endpoint-dependent"
        if mapping is None or kind == "endpoint-dependent":
            mapping = kind
    return NatType(_share(preserved, rewritten), preserved, rewritten, tuple(addresses), mapping, tuple(evidence),
                   tuple(sorted(hops)), _share(icmp_same, icmp_changed), inbound)


def _share(same: int, changed: int) -> str | None:
    if not same and not changed:
        return None
    return "preserved" if not changed else "rewritten" if not same else "mixed"


def result(records: Iterable[Pair | Lone], sides: tuple[SideInfo, SideInfo], ignored: int = 0) -> NatResult:
    """The NAT table from the matcher's records and both sides' spans."""
    pairs: list[Pair] = []
    lones: list[Lone] = []
    for r in records:
        (pairs if isinstance(r, Pair) else lones).append(r)
    inside_side, how = orientation(pairs)
    rows = sorted((translation(p, inside_side) for p in pairs),
                  key=lambda t: (t.inside_flow.first_ts_ns, t.inside_flow.first_frame))
    public = {t.outside.addr for t in rows if t.direction != "untranslated"}
    names = ("inside", "outside") if inside_side == 0 else ("outside", "inside")
    unmatched = []
    for lone in sorted(lones, key=lambda x: (x.flow.first_ts_ns, x.flow.side, x.flow.first_frame)):
        where = names[lone.flow.side]
        other = sides[1 - lone.flow.side]
        unmatched.append(Unmatched(lone.proto, where, lone.flow, lone.key, lone.service, lone.dns,
                                   _reason(lone, where, other, public)))
    delays = sorted(t.delay_out_ns for t in rows if t.delay_out_ns is not None)
    delay = {"min": delays[0], "median": delays[len(delays) // 2], "max": delays[-1]} if delays else {}
    return NatResult(sides[inside_side], sides[1 - inside_side], inside_side, how, tuple(rows), tuple(unmatched),
                     nat_type(rows), ignored, delay)
