"""What a lab's captures show about the path the packets took: TTL decrements per router, the ARP target
(the server itself on one link, the gateway across a router), a hub's flooding. Read from the capture files
through the library API (``analyzer.open``) after the run, so every number printed is in a file the user keeps.

Theory: a router decrements the TTL (IPv4) or hop limit (IPv6) of every packet it forwards by one
(RFC 791, RFC 8200); a host sends with its ``net.ipv4.ip_default_ttl`` (64 on Linux). So the TTL a capture
shows, set against the TTL the sender used, counts the routers in between; captured on both sides of one
router, the difference is that router's own decrement.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.lab.topology import NAT_OUTSIDE4, Topology


@dataclass
class Seen:
    """The TTL (hop limit) of the packets from ``src`` to ``dst`` in one capture: the most common value and
    the first frame that carried it, and how many such packets there were."""

    ttl: int
    frame: int
    packets: int


def _packets(path: str) -> Iterable[dict]:
    import analyzer

    for n, pkt in enumerate(analyzer.open(path).packets(), 1):
        fields = pkt.fields
        fields.setdefault("frame.number", n)
        yield fields


def ttl_seen(rows: list[dict], src: str, dst: str | None = None, v6: bool = False) -> Seen | None:
    """The TTL (hop limit with ``v6``) of ``src`` -> ``dst`` packets (``dst`` None: to anyone)."""
    key_src, key_dst, key_ttl = ("ipv6.src", "ipv6.dst", "ipv6.hlim") if v6 else ("ip.src", "ip.dst", "ip.ttl")
    ttls: Counter = Counter()
    first: dict[int, int] = {}
    for f in rows:
        ttl = f.get(key_ttl)
        if ttl is None or f.get(key_src) != src or (dst is not None and f.get(key_dst) != dst):
            continue
        ttls[ttl] += 1
        first.setdefault(ttl, f["frame.number"])
    if not ttls:
        return None
    ttl = ttls.most_common(1)[0][0]
    return Seen(int(ttl), first[ttl], sum(ttls.values()))


def _hops(n: int) -> str:
    return "no router" if n == 0 else "1 router" if n == 1 else f"{n} routers"


def describe_path(topo: Topology, captures: dict[str, str], sent_ttl: dict[str, int], macs: dict[str, str],
                  ipv6: bool = False) -> list[str]:
    """Sentences (each citing its frames) about the path, for the lab's output."""
    rows = {label: list(_packets(path)) for label, path in captures.items()}
    hosts = topo.hosts6 if ipv6 else topo.hosts
    if topo.name == "nat":
        return _nat(topo, rows, sent_ttl)
    lines = []
    first = next(iter(rows))
    client_rows = rows["client"] if "client" in rows else rows[first]
    server = hosts["web"]
    seen = ttl_seen(client_rows, server, hosts["client"], v6=ipv6)
    sent = sent_ttl.get("web6" if ipv6 else "web", 64)
    word, setting = ("hop limit", "net.ipv6.conf.eth0.hop_limit") if ipv6 else ("TTL", "net.ipv4.ip_default_ttl")
    if seen is not None:
        hops = sent - seen.ttl
        took = "" if hops <= 0 else ", it took 1" if hops == 1 else ", each took 1"
        lines.append(f"{word}: the web server {server} sends with {sent} (its {setting}); its packets reach the "
                     f"client with {seen.ttl} (frame {seen.frame}, {seen.packets} packets): {_hops(hops)} on the "
                     f"way{took}")
    lines += _arp_targets(client_rows, hosts["client"], topo)
    if "observer" in rows:
        lines += _observer(topo, rows["observer"], macs.get("observer", ""))
    return lines


def _arp_targets(rows: list[dict], client: str, topo: Topology) -> list[str]:
    asked = []
    for f in rows:
        if f.get("arp.opcode") == 1 and f.get("arp.src.proto_ipv4") == client:
            target = f.get("arp.dst.proto_ipv4")
            if target not in (t for t, _n in asked):
                asked.append((target, f["frame.number"]))
    if not asked:
        return []
    names = {a: r for r, a in topo.hosts.items()}
    said = ", ".join(f"{t} ({names.get(t, '?')}, frame {n})" for t, n in asked)
    if "router" in topo.hosts:
        why = "the servers are on another subnet, so the client asks for its gateway's MAC address"
    else:
        why = "the servers are on the client's own subnet: it asks for each server's MAC address itself, no gateway"
    return [f"ARP: the client asked who has {said}: {why}"]


def _observer(topo: Topology, rows: list[dict], own_mac: str) -> list[str]:
    others = Counter()
    first = 0
    for f in rows:
        dst, src = f.get("eth.dst"), f.get("eth.src")
        if not dst or int(dst.split(":")[0], 16) & 1 or own_mac in (dst, src):
            continue
        pair = tuple(sorted((f.get("ip.src") or f.get("arp.src.proto_ipv4") or src,
                             f.get("ip.dst") or f.get("arp.dst.proto_ipv4") or dst)))
        others[pair] += 1
        first = first or f["frame.number"]
    total = sum(others.values())
    group = [f for f in rows if f.get("eth.dst") and int(f["eth.dst"].split(":")[0], 16) & 1]
    broadcast = [f for f in group if f["eth.dst"] == "ff:ff:ff:ff:ff:ff"]
    flooded = _flooded_words(broadcast, len(group) - len(broadcast))
    names = {a: r for r, a in topo.hosts.items()}
    if total:
        pairs = ", ".join(f"{names.get(a, a)} <-> {names.get(b, b)}: {n}" for (a, b), n in others.most_common())
        why = ("a hub repeats every frame on every port" if topo.name == "hub" else
               "the switch flooded frames to MAC addresses it had not learned yet")
        return [(f"observer: its eth0 captured {total} unicast frames between other hosts (first: frame {first}; "
                f"{pairs}) and {flooded}: {why}")]
    return [(f"observer: its eth0 captured no unicast frame between other hosts, only {flooded}, which a switch "
            f"sends to every port: a switch learns which port each MAC address is on and sends a unicast "
            f"frame only there")]


def _flooded_words(broadcast: list[dict], multicast: int) -> str:
    """'2 broadcast frames (ARP requests) and 3 multicast frames': what every port of a switch receives."""
    arp = all(f.get("arp.opcode") == 1 for f in broadcast)
    words = f"{len(broadcast)} broadcast frame{'' if len(broadcast) == 1 else 's'}"
    if broadcast and arp:
        words += " (ARP requests)" if len(broadcast) > 1 else " (an ARP request)"
    if multicast:
        words += f" and {multicast} multicast frame{'' if multicast == 1 else 's'}"
    return words


def _nat(topo: Topology, rows: dict[str, list[dict]], sent_ttl: dict[str, int]) -> list[str]:
    client, web = topo.hosts["client"], topo.hosts["web"]
    inside, outside = rows.get("inside", []), rows.get("outside", [])
    lines = []
    out_in = ttl_seen(inside, client, web)
    out_out = ttl_seen(outside, NAT_OUTSIDE4, web)
    if out_in and out_out:
        lines.append(f"TTL, client -> web: {out_in.ttl} on the router's inside (lan0, frame {out_in.frame}), "
                     f"{out_out.ttl} on its outside (wan0, frame {out_out.frame}): the router took "
                     f"{out_in.ttl - out_out.ttl}")
    back_out = ttl_seen(outside, web, NAT_OUTSIDE4)
    back_in = ttl_seen(inside, web, client)
    if back_out and back_in:
        sent = sent_ttl.get("web", 64)
        lines.append(f"TTL, web -> client: the server sends {sent}; {back_out.ttl} on wan0 (frame {back_out.frame}: "
                     f"the provider's router took {sent - back_out.ttl}), {back_in.ttl} on lan0 (frame "
                     f"{back_in.frame}): the home router took {back_out.ttl - back_in.ttl}")
    leaked = [f["frame.number"] for f in outside if client in (f.get("ip.src"), f.get("ip.dst"))]
    carried = sum(1 for f in outside if f.get("ip.src") == NAT_OUTSIDE4)
    lines.append(f"addresses: on wan0 the client's {carried} packets carry the router's {NAT_OUTSIDE4}; "
                 + (f"{client} appears there in frames {leaked[:5]}" if leaked else f"{client} never appears there")
                 + " (analyzer nat INSIDE OUTSIDE pairs each flow with its translated twin)")
    return lines
