"""What Zeek's conn.log says of connections at the IP level, beside the flow tables: the IP bytes each side sent
(``orig_ip_bytes``/``resp_ip_bytes``), ICMP "connections" as Zeek forms them, and whether an address is local
(``local_orig``/``local_resp``).

* **IP bytes** (Zeek: "number of IP level bytes that the originator sent, as seen on the wire, taken from the
  IP total_length header field"): every IP packet of a TCP connection or UDP conversation adds its IPv4 total
  length, or 40 + the IPv6 payload length, to its sender's side, retransmissions included. A reassembled
  fragmented datagram counts once, whole; an ICMP error quoting a datagram counts for the ICMP flow.
* **ICMP flows** (Zeek's ICMP analyzer): a flow is the two addresses and the pair (type, counterpart type) for
  the messages that have a counterpart (echo request 8 / reply 0, timestamp 13/14, information 15/16, router
  solicitation 10 / advertisement 9, address mask 17/18; ICMPv6 echo 128/129, router 133/134, neighbour
  135/136, multicast listener query 130 / report 131, node information 139/140), else (type, code). ``id.orig_p``
  is the originator's type and ``id.resp_p`` the counterpart (or code); the first sender is the originator.
  ``orig_bytes``/``resp_bytes`` are ICMP message bytes after the 8-byte header; ``conn_state`` is ``OTH``;
  Zeek sets no history. A flow idle for :data:`ICMP_INACTIVITY_NS` (Zeek's ``icmp_inactivity_timeout``,
  1 minute) ends; the next message starts a new one. ``proto`` is ``icmp`` for ICMPv6 too, as in Zeek.
* **Local addresses**: Zeek's default ``Site::local_nets`` is its ``Site::private_address_space`` (since
  ``private_address_space_is_local`` is true): :data:`LOCAL_NETS` here. A user's own local nets
  (:class:`LocalNets`: ``analyzer logs --local-nets``, ``analyzer.open(..., local_nets=...)``) replace them: as
  Zeek run with ``Site::local_nets`` set and ``private_address_space_is_local`` false; the word ``private`` adds
  the private address space back (Zeek's default union). No local nets at all: ``local_orig``/``local_resp``
  are unset, as Zeek leaves them when ``Site::local_nets`` is empty.

Sans-IO: :class:`IpLevel` is fed the pipeline's packets (:meth:`IpLevel.packet`) and asked at the end.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

ICMP_INACTIVITY_NS = 60 * 1_000_000_000

# Zeek's ICMP4_counterpart / ICMP6_counterpart: the types that answer each other.
ICMP4_COUNTERPART = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17}
ICMP6_COUNTERPART = {128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135, 130: 131, 131: 130,
                     139: 140, 140: 139}

# Zeek's Site::private_address_space (base/utils/site.zeek): IANA's special-purpose blocks.
LOCAL_NETS = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32", "::/128", "::1/128", "::ffff:0:0/96",
    "64:ff9b::/96", "100::/64", "2001::/23", "2001:2::/48", "2001:db8::/32", "2001:10::/28", "2002::/16",
    "fc00::/7", "fe80::/10"))


@lru_cache(maxsize=65536)
def is_local(addr: str) -> bool:
    """Is ``addr`` in :data:`LOCAL_NETS` (Zeek's default Site::local_nets)?"""
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in LOCAL_NETS)


class LocalNets:
    """A user's local networks (Zeek's ``Site::local_nets``, see the module docstring): called with an address,
    says whether it is local, or None when there are no local nets."""

    __slots__ = ("_seen", "nets")

    def __init__(self, nets: Iterable[str | ipaddress.IPv4Network | ipaddress.IPv6Network] = ()):
        """``nets``: networks (``"10.0.0.0/8"``, ``"2001:db8::/32"``, an address for a host, ``ip_network``
        objects) and the word ``"private"`` for :data:`LOCAL_NETS`. Raises ValueError naming a bad one."""
        out: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for net in nets:
            if isinstance(net, str) and net.strip().lower() == "private":
                out += LOCAL_NETS
                continue
            try:
                out.append(net if isinstance(net, ipaddress.IPv4Network | ipaddress.IPv6Network)
                           else ipaddress.ip_network(str(net).strip(), strict=False))
            except ValueError:
                raise ValueError(f"not a network: {net!r} (expected e.g. 10.0.0.0/8, 2001:db8::/32 or "
                                 "'private')") from None
        self.nets = tuple(dict.fromkeys(out))
        self._seen: dict[str, bool | None] = {}

    @classmethod
    def parse(cls, text: str) -> LocalNets:
        """``"10.0.0.0/8,192.168.0.0/16"`` (commas or spaces); ``""`` or ``"none"``: no local nets."""
        words = [w for w in text.replace(",", " ").split() if w]
        return cls([] if [w.lower() for w in words] == ["none"] else words)

    def __call__(self, addr: str) -> bool | None:
        got = self._seen.get(addr, 0)
        if got != 0:
            return got
        if not self.nets:
            result = None
        else:
            try:
                ip = ipaddress.ip_address(addr)
                result = any(ip.version == net.version and ip in net for net in self.nets)
            except ValueError:
                result = False
        if len(self._seen) < 65536:
            self._seen[addr] = result
        return result

    def __getstate__(self):             # sent to Dask workers without the cache
        return self.nets

    def __setstate__(self, nets) -> None:
        self.nets = nets
        self._seen = {}

    def __repr__(self) -> str:
        return f"LocalNets({', '.join(map(str, self.nets)) or 'none'})"


def icmp_ports(version: int, icmp_type: int, code: int) -> int:
    """The responder's "port" of an ICMP message's flow: the counterpart type, else the code."""
    table = ICMP4_COUNTERPART if version == 4 else ICMP6_COUNTERPART
    answer = table.get(icmp_type)
    return answer if answer is not None else code


@dataclass(slots=True)
class IcmpFlow:
    """One ICMP flow (see the module docstring); ``orig``: (address, type), ``resp``: (address, port)."""

    index: int
    orig: tuple[str, int]
    resp: tuple[str, int]
    first_frame: int
    first_ts_ns: int
    last_frame: int = 0
    last_ts_ns: int = 0
    orig_pkts: int = 0
    resp_pkts: int = 0
    orig_bytes: int = 0
    resp_bytes: int = 0
    orig_ip_bytes: int = 0
    resp_ip_bytes: int = 0
    orig_frame_bytes: int = 0
    resp_frame_bytes: int = 0

    def row(self) -> dict[str, Any]:
        """The flow as a flow table's summary row (what :func:`analyzer.api.build.connection` reads)."""
        return {"proto": "icmp", "stream": self.index, "id.orig_h": self.orig[0], "id.orig_p": self.orig[1],
                "id.resp_h": self.resp[0], "id.resp_p": self.resp[1], "conn_state": "OTH", "history": None,
                "orig_pkts": self.orig_pkts, "resp_pkts": self.resp_pkts, "orig_bytes": self.orig_bytes,
                "resp_bytes": self.resp_bytes, "orig_frame_bytes": self.orig_frame_bytes,
                "resp_frame_bytes": self.resp_frame_bytes, "first_frame": self.first_frame,
                "last_frame": self.last_frame, "first_ts_ns": self.first_ts_ns, "last_ts_ns": self.last_ts_ns,
                "orig_ip_bytes": self.orig_ip_bytes, "resp_ip_bytes": self.resp_ip_bytes}


def _ip_total(layer: Any) -> int | None:
    f = layer.fields
    if layer.name == "ip":
        return f.get("ip.len")
    plen = f.get("ipv6.plen")
    return None if plen is None else plen + 40


class IpLevel:
    """IP bytes per (proto, stream, sender) and the ICMP flows of one pass (see the module docstring)."""

    def __init__(self) -> None:
        self.ip_bytes: dict[tuple[str, int, str, int], int] = {}
        self.icmp: list[IcmpFlow] = []
        self._open: dict[tuple, IcmpFlow] = {}

    def packet(self, pkt: Any) -> None:
        """One packet after the pipeline (its tcp.stream / udp.stream set)."""
        layers = pkt.layers
        ip = None
        for layer in layers:
            name = layer.name
            if name == "ip" or name == "ipv6":
                if ip is not None:
                    return          # a tunnel, or a datagram quoted after the transport: not ours
                ip = layer
            elif ip is None:
                continue
            elif name == "tcp" or name == "udp":
                f = layer.fields
                stream = f.get(name + ".stream")
                total = _ip_total(ip)
                if stream is None or total is None:
                    return
                src = ip.fields.get(ip.name + ".src")
                key = (name, stream, str(src), f.get(name + ".srcport"))
                self.ip_bytes[key] = self.ip_bytes.get(key, 0) + total
                return
            elif name == "icmp" or name == "icmpv6":
                self._icmp(pkt, ip, layer)
                return

    def _icmp(self, pkt: Any, ip: Any, layer: Any) -> None:
        f = layer.fields
        icmp_type = f.get(layer.name + ".type")
        code = f.get(layer.name + ".code")
        total = _ip_total(ip)
        if icmp_type is None or code is None or total is None:
            return
        version = 4 if ip.name == "ip" else 6
        src, dst = str(ip.fields.get(ip.name + ".src")), str(ip.fields.get(ip.name + ".dst"))
        ends = ((src, icmp_type), (dst, icmp_ports(version, icmp_type, code)))
        key = (version, *sorted(ends))
        frame = pkt.frame
        ts = frame.ts_ns
        flow = self._open.get(key)
        if flow is not None and ts - flow.last_ts_ns > ICMP_INACTIVITY_NS:
            flow = None
        if flow is None:
            flow = self._open[key] = IcmpFlow(len(self.icmp), ends[0], ends[1], frame.number, ts)
            self.icmp.append(flow)
        payload = max(ip.offset + total - layer.offset - 8, 0)
        wire = getattr(pkt, "wire_frame", None) or frame
        if (src, icmp_type) == flow.orig or (src == flow.orig[0] and src != flow.resp[0]):
            flow.orig_pkts += 1
            flow.orig_bytes += payload
            flow.orig_ip_bytes += total
            flow.orig_frame_bytes += wire.origlen
        else:
            flow.resp_pkts += 1
            flow.resp_bytes += payload
            flow.resp_ip_bytes += total
            flow.resp_frame_bytes += wire.origlen
        flow.last_frame = frame.number
        flow.last_ts_ns = max(flow.last_ts_ns, ts)

    def of(self, proto: str, stream: int, addr: str, port: int) -> int:
        """The IP bytes ``addr``:``port`` sent in ``proto`` stream ``stream``."""
        return self.ip_bytes.get((proto, stream, addr, port), 0)
