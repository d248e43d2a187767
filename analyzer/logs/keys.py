"""Which flow a frame belongs to, for cutting the work of one analysis into independent pieces.

The analysis of a TCP connection or UDP conversation (its summary, its DNS and HTTP transactions, their
bodies) depends only on that flow's own frames. A parallel run (:mod:`analyzer.logs.engine`) analyses each
file or chunk alone; the flows whose frames fall into more than one piece are analysed again, together, from
their frames alone. This module names the flows: a *key* is

* ``("tcp"|"udp", (addr, port), (addr, port))`` with the two endpoints in sorted order (both directions);
* ``("icmp", (addr, type), (addr, counterpart type or code))`` for an ICMP flow (:mod:`analyzer.api.iplevel`);
* ``("frag", version, src, dst, proto, id)`` for the fragments of one IP datagram (reassembled, it joins
  the flow its first fragment names).

:func:`frame_keys` gives the keys of one frame: the flow of its TCP segment or UDP datagram, the flow of a
UDP datagram quoted in an ICMP error (the pipeline numbers that conversation), and for an IP fragment its
datagram's key plus, for the first fragment, the flow its transport header names. Keys that occur on one
frame belong together (:class:`Components`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from analyzer.api.iplevel import icmp_ports
from analyzer.decode import decode
from analyzer.flows.quick import quick_headers

Key = tuple


def flow_key(proto: str, a: str, ap: int, b: str, bp: int) -> Key:
    ea, eb = (str(a), ap), (str(b), bp)
    return (proto, ea, eb) if ea <= eb else (proto, eb, ea)


def frame_keys(frame: Any) -> tuple[Key, ...]:
    """The keys of one frame (see the module docstring); () for a frame of no flow (ARP, ...)."""
    h = quick_headers(frame.data, frame.linktype, origlen=frame.origlen)
    if h is not None:
        return (flow_key(h[0], h[1], h[2], h[3], h[4]),)
    return packet_keys(decode(frame))


def packet_keys(pkt: Any) -> tuple[Key, ...]:
    """The keys of a decoded frame (as :func:`analyzer.decode.decode` gives it, before the pipeline)."""
    keys: list[Key] = []
    ip = None
    frag = None
    layers = pkt.layers
    for i, layer in enumerate(layers):
        name = layer.name
        f = layer.fields
        if name in ("ip", "ipv6"):
            if ip is not None and frag is not None:
                break
            ip = layer
            if name == "ip" and (f.get("ip.flags.mf") or f.get("ip.frag_offset")):
                frag = ("frag", 4, f.get("ip.src"), f.get("ip.dst"), f.get("ip.proto"), f.get("ip.id"))
        elif name == "ipv6.fraghdr" and ip is not None:
            ff = f
            frag = ("frag", 6, ip.fields.get("ipv6.src"), ip.fields.get("ipv6.dst"), ff.get("ipv6.fraghdr.nxt"),
                    ff.get("ipv6.fraghdr.ident"))
        elif name in ("tcp", "udp") and ip is not None:
            src = ip.fields.get(ip.name + ".src")
            dst = ip.fields.get(ip.name + ".dst")
            sport, dport = f.get(name + ".srcport"), f.get(name + ".dstport")
            if sport is not None and dport is not None and src is not None and dst is not None:
                keys.append(flow_key(name, src, sport, dst, dport))
            break
        elif name in ("icmp", "icmpv6"):
            # the ICMP flow (as analyzer.api.iplevel forms it)
            itype, code = f.get(name + ".type"), f.get(name + ".code")
            if ip is not None and itype is not None and code is not None:
                src, dst = ip.fields.get(ip.name + ".src"), ip.fields.get(ip.name + ".dst")
                if src is not None and dst is not None:
                    version = 4 if ip.name == "ip" else 6
                    keys.append(flow_key("icmp", src, itype, dst, icmp_ports(version, itype, code)))
            # an ICMP error quoting a UDP datagram: the pipeline finds (or numbers) that conversation
            for inner in range(i + 1, len(layers)):
                if layers[inner].name == "udp" and layers[inner - 1].name in ("ip", "ipv6"):
                    qip, qudp = layers[inner - 1].fields, layers[inner].fields
                    src, dst = qip.get(layers[inner - 1].name + ".src"), qip.get(layers[inner - 1].name + ".dst")
                    sport, dport = qudp.get("udp.srcport"), qudp.get("udp.dstport")
                    if None not in (src, dst, sport, dport):
                        keys.append(flow_key("udp", src, sport, dst, dport))
                    break
            break
    if frag is not None:
        keys.append(frag)
    return tuple(keys)


class Components:
    """Union-find over keys: keys seen on one frame are one component."""

    def __init__(self) -> None:
        self.parent: dict[Key, Key] = {}

    def find(self, key: Key) -> Key:
        parent = self.parent
        root = parent.setdefault(key, key)
        while root != parent[root]:
            root = parent[root]
        while key != root:          # path compression
            parent[key], key = root, parent[key]
        return root

    def union(self, keys: Iterable[Key]) -> None:
        keys = list(keys)
        if not keys:
            return
        first = self.find(keys[0])
        for key in keys[1:]:
            root = self.find(key)
            if root != first:
                self.parent[root] = first
