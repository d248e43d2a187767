"""Generate a large synthetic web capture for the speed benchmarks (benchmarks only, never the tests).

    python benchmarks/gen_synthetic.py                       # 1,000,000 packets -> benchmarks/out/
    python benchmarks/gen_synthetic.py --packets 250000 --format pcapng --out /tmp/web.pcapng

Theory of operation
-------------------
The capture is what a mirror port on an office LAN would see: a few thousand clients (10.0.0.0/20) browse
web sites through the gateway 10.0.0.1, which is also their DNS resolver. Every frame is Ethernet II; client
frames go to the gateway's MAC, server frames come from it. Times are those at the capture point, next to
the clients: a client's reply to a server packet appears a few microseconds later, a server's reply to a
client packet one round trip later.

Each TCP connection is a Python generator that yields ``(ts_ns, frame bytes)`` in time order:

1. ARP for the gateway when the client's ARP cache entry (60 s) has expired;
2. DNS over UDP when the client has no live cache entry for the host name (A, sometimes AAAA in parallel
   answered with no data and an SOA, CNAMEs for the ``static.`` hosts of a CDN, EDNS on some clients, a few
   NXDOMAINs for mistyped names that then open no connection);
3. the three-way handshake with the client's OS flavour of SYN options (MSS, SACK-permitted, window scale,
   timestamps), a SYN retransmitted after 1 s now and then, a few refused connections (RST, ACK);
4. one or more HTTP/1.1 GETs with browser headers on a keep-alive connection; each response (200 with a
   Content-Length body, 304, a few 404) is cut into MSS-sized segments sent in slow-start flights, the
   client ACKing every second segment; a segment lost upstream now and then gives duplicate ACKs with SACK
   blocks and a fast retransmission (or a timeout retransmission when too few duplicates came back);
5. the end: FIN teardown in four segments or in three (FIN piggy-backed on the ACK) by the client or the
   server (server keep-alive timeout, ``Connection: close``), or a client RST that aborts the connection.

A min-heap merges the generators by timestamp. New connections are started whenever fewer are open than a
target that drifts between 100 and 500, so many connections overlap at any time. Timestamps are made
strictly increasing. The capture stops after ``--packets`` frames, like ``tcpdump -c``, so connections
still open at the end are cut short, as in any real capture.

Speed: headers are built with one precompiled ``struct`` per frame and checksums are computed arithmetically
(the Internet checksum is the byte string's value modulo 0xFFFF, because 2**16 = 1 mod 0xFFFF), so only
payloads are ever scanned, by ``int.from_bytes`` in C. Output goes through the project's capture writer
(:func:`analyzer.capture.open_writer`). Everything is seeded: the same arguments give the same file.
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import struct
import sys
import time
import zlib
from bisect import bisect
from email.utils import formatdate
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

# --- wire formats -----------------------------------------------------------------------------------

_ETH_IP_TCP = struct.Struct("!14s2BHHH2BH4s4s2H2I4H")  # Ethernet + IPv4 (no options) + TCP (options follow)
_ETH_IP_UDP = struct.Struct("!14s2BHHH2BH4s4s4H")  # Ethernet + IPv4 + UDP
_ARP = struct.Struct("!HHBBH6s4s6s4s")
_U32x2 = struct.Struct("!II")
_DNS_HDR = struct.Struct("!6H")
_QTAIL = struct.Struct("!HH")
_RR_HDR = struct.Struct("!HHIH")  # type, class, ttl, rdlength (after the owner name)
_SOA_TAIL = struct.Struct("!5I")
_SACK_BLOCK = struct.Struct("!BBII")

ETH_IPV4 = 0x0800
ETH_ARP = 0x0806
IP_DF = 0x4000
PROTO_TCP = 6
PROTO_UDP = 17
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
LINKTYPE_ETHERNET = 1

MS = 1_000_000  # ns
SEC = 1_000_000_000
START_NS = 1_710_234_000 * SEC  # 2024-03-12 09:00:00 UTC: a Tuesday morning


def _mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def _ip(text: str) -> bytes:
    return bytes(int(part) for part in text.split("."))


def _u(data: bytes) -> int:
    """The bytes as one big-endian integer: the 16-bit words' sum modulo 0xFFFF when ``len`` is even."""
    return int.from_bytes(data, "big")


def _payload_sum(payload: bytes) -> int:
    """Congruent (mod 0xFFFF) to the Internet-checksum word sum of ``payload``; an odd tail is zero-padded."""
    value = int.from_bytes(payload, "big")
    return value << 8 if len(payload) & 1 else value


class Side:
    """One direction of one conversation as seen at the capture point: the constant parts of every header.

    ``ip_sum`` and ``l4_sum`` hold the constant words of the IPv4 header and of the TCP/UDP pseudo header and
    ports, so a frame only adds its variable fields before folding the checksum.
    """

    __slots__ = (
        "dport",
        "dst",
        "eth",
        "ip_sum",
        "ipid",
        "l4_sum",
        "proto",
        "sport",
        "src",
        "ts_base",
        "tsval",
        "ttl",
        "win",
    )

    def __init__(self, eth: bytes, src: bytes, dst: bytes, sport: int, dport: int, ttl: int, proto: int,
                 rng: random.Random):
        self.eth, self.src, self.dst, self.sport, self.dport = eth, src, dst, sport, dport
        self.ttl, self.proto = ttl, proto
        self.ipid = rng.randrange(0x10000)
        self.ip_sum = 0x4500 + IP_DF + (ttl << 8 | proto) + _u(src) + _u(dst)
        self.l4_sum = _u(src) + _u(dst) + proto + sport + dport
        self.ts_base = rng.randrange(1 << 32)  # TCP timestamp clock (ms ticks), random per connection
        self.tsval = 0
        self.win = 0

    def tcp(self, seq: int, ack: int, flags: int, opts: bytes, payload: bytes = b"") -> bytes:
        hdr_len = 20 + len(opts)
        seg_len = hdr_len + len(payload)
        ipid = self.ipid = (self.ipid + 1) & 0xFFFF
        ip_ck = -(self.ip_sum + 20 + seg_len + ipid) % 0xFFFF
        off_flags = hdr_len << 10 | flags  # data offset in 32-bit words, in the top 4 bits
        win = self.win
        # seq and ack go in whole: hi * 65536 + lo = hi + lo (mod 0xFFFF)
        s = self.l4_sum + seg_len + seq + ack + off_flags + win
        if opts:
            s += _u(opts)
        if payload:
            s += _payload_sum(payload)
        return _ETH_IP_TCP.pack(self.eth, 0x45, 0, 20 + seg_len, ipid, IP_DF, self.ttl, PROTO_TCP, ip_ck,
                                self.src, self.dst, self.sport, self.dport, seq, ack, off_flags, win,
                                -(s % 0xFFFF) % 0xFFFF, 0) + opts + payload

    def udp(self, payload: bytes) -> bytes:
        udp_len = 8 + len(payload)
        ipid = self.ipid = (self.ipid + 1) & 0xFFFF
        ip_ck = -(self.ip_sum + 20 + udp_len + ipid) % 0xFFFF
        ck = -((self.l4_sum + 2 * udp_len + _payload_sum(payload)) % 0xFFFF) % 0xFFFF
        return _ETH_IP_UDP.pack(self.eth, 0x45, 0, 20 + udp_len, ipid, IP_DF, self.ttl, PROTO_UDP, ip_ck,
                                self.src, self.dst, self.sport, self.dport, udp_len,
                                ck or 0xFFFF) + payload  # RFC 768: a computed 0 is sent as all ones


# --- the network --------------------------------------------------------------------------------------

GATEWAY_IP = _ip("10.0.0.1")
GATEWAY_MAC = _mac("e4:8d:8c:3a:10:01")
BROADCAST = b"\xff" * 6
ARP_TTL_NS = 60 * SEC

_OUIS = ["3c:22:fb", "a4:83:e7", "f0:18:98", "00:1b:21", "b4:2e:99", "dc:a6:32", "70:85:c2", "8c:16:45"]
_USER_AGENTS = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/122.0.0.0 Safari/537.36"),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.3.1 Safari/605.1.15"),
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
]
_WORDS = ("alpine", "blue", "cedar", "delta", "ember", "falcon", "granite", "harbor", "indigo", "juniper",
          "kestrel", "lumen", "maple", "nimbus", "orchid", "pioneer", "quartz", "river", "summit",
          "tundra", "umber", "violet", "willow", "xenon", "yonder", "zephyr", "atlas", "beacon", "canyon",
          "dune", "echo", "fjord", "grove", "horizon", "island", "jasper", "koala", "lagoon", "meadow",
          "nova")


def _syn_options(flavour: str, mss: int, wscale: int, tsval: int, tsecr: int) -> bytes:
    """SYN / SYN-ACK options in the order each stack sends them."""
    mss_opt = b"\x02\x04" + mss.to_bytes(2, "big")
    ts_opt = b"\x08\x0a" + _U32x2.pack(tsval, tsecr)
    ws_opt = b"\x03\x03" + bytes((wscale,))
    if flavour == "linux":  # MSS, SACK_PERM, TS, NOP, WS
        return mss_opt + b"\x04\x02" + ts_opt + b"\x01" + ws_opt
    if flavour == "macos":  # MSS, NOP, WS, NOP, NOP, TS, SACK_PERM, EOL
        return mss_opt + b"\x01" + ws_opt + b"\x01\x01" + ts_opt + b"\x04\x02\x00\x00"
    return mss_opt + b"\x01" + ws_opt + b"\x01\x01\x04\x02"  # windows: MSS, NOP, WS, NOP, NOP, SACK_PERM


class Client:
    __slots__ = (
        "arp_until",
        "dns_cache",
        "edns",
        "flavour",
        "from_gw",
        "ip",
        "mac",
        "next_port",
        "to_gw",
        "ua",
    )

    def __init__(self, index: int, rng: random.Random):
        self.ip = _ip(f"10.0.{(index + 10) >> 8}.{(index + 10) & 0xFF}")
        self.mac = _mac(rng.choice(_OUIS)) + rng.randbytes(3)
        self.to_gw = GATEWAY_MAC + self.mac + ETH_IPV4.to_bytes(2, "big")
        self.from_gw = self.mac + GATEWAY_MAC + ETH_IPV4.to_bytes(2, "big")
        self.flavour = rng.choices(("linux", "windows", "macos"), (3, 5, 2))[0]
        self.ua = rng.choice(_USER_AGENTS)
        self.edns = rng.random() < 0.5
        self.next_port = rng.randrange(32768, 60000)
        self.arp_until = START_NS + rng.randrange(-ARP_TTL_NS, ARP_TTL_NS)  # most entries still fresh
        self.dns_cache: dict[str, int] = {}


class Site:
    """A web site: ``www.NAME.example`` (A record) and ``static.NAME.example`` (CNAME to a CDN edge)."""

    __slots__ = (
        "cdn_ip",
        "cdn_rtt",
        "hops",
        "keepalive_ns",
        "mss",
        "name",
        "rtt",
        "server",
        "timestamps",
        "ttl",
        "wscale",
        "www_ip",
    )

    def __init__(self, name: str, rng: random.Random):
        self.name = name
        self.www_ip = _ip(f"{rng.choice(('192.0.2', '198.51.100'))}.{rng.randrange(1, 255)}")
        self.cdn_ip = _ip(f"203.0.113.{rng.randrange(1, 255)}")
        self.rtt = int(rng.lognormvariate(math.log(40 * MS), 0.6))
        self.cdn_rtt = int(rng.uniform(4, 20) * MS)
        self.ttl = rng.choice((60, 300, 300, 600, 3600, 86400))
        self.server = rng.choice(("nginx/1.22.1", "Apache/2.4.57 (Debian)", "nginx", "cloudflare",
                                  "Microsoft-IIS/10.0", "LiteSpeed"))
        self.mss = rng.choice((1460, 1460, 1460, 1400, 1380))
        self.wscale = rng.choice((7, 7, 9, 10, 8))
        self.timestamps = rng.random() < 0.75
        self.keepalive_ns = rng.choice((5, 5, 15, 20, 60)) * SEC
        self.hops = rng.randrange(8, 22)


def _dns_name(name: str, table: dict[str, int], at: int) -> bytes:
    """Wire form of ``name`` at message offset ``at``, compressing against suffixes in ``table`` (RFC 1035
    4.1.4) and recording the new ones."""
    out = b""
    labels = name.split(".")
    for i in range(len(labels)):
        suffix = ".".join(labels[i:])
        if suffix in table:
            return out + (0xC000 | table[suffix]).to_bytes(2, "big")
        if at + len(out) < 0x3FFF:
            table[suffix] = at + len(out)
        out += bytes((len(labels[i]),)) + labels[i].encode()
    return out + b"\x00"


# --- HTTP content ---------------------------------------------------------------------------------------

_RESOURCES = {  # kind: (content type, median body size, lognormal sigma, share of 304 answers)
    "html": ("text/html; charset=utf-8", 14_000, 0.8, 0.0),
    "css": ("text/css", 6_000, 0.9, 0.35),
    "js": ("application/javascript", 12_000, 1.1, 0.35),
    "img": ("image/jpeg", 7_000, 1.2, 0.3),
    "png": ("image/png", 3_000, 0.9, 0.4),
    "font": ("font/woff2", 25_000, 0.4, 0.5),
    "ico": ("image/x-icon", 1_150, 0.3, 0.5),
    "api": ("application/json", 900, 0.9, 0.0),
}
_ACCEPT = {
    "html": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    "css": "text/css,*/*;q=0.1",
    "js": "*/*",
    "img": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8",
    "png": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8",
    "font": "application/font-woff2;q=1.0,*/*;q=0.9",
    "ico": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8",
    "api": "application/json, text/plain, */*",
}
_BINARY = {"img", "png", "font", "ico"}


def _text_pool(rng: random.Random, size: int) -> bytes:
    parts = []
    total = 0
    while total < size:
        words = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(6, 30)))
        tag = rng.choice(("p", "li", "span", "div", "h2", "a"))
        line = f'<{tag} class="{rng.choice(_WORDS)}">{words}</{tag}>\n'
        parts.append(line)
        total += len(line)
    return "".join(parts).encode()[:size]


# --- the simulation ---------------------------------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.connections = self.refused = self.requests = self.dns_queries = self.nxdomain = 0
        self.arp = self.resets = self.retransmissions = self.lost = 0
        self.fin4 = self.fin3 = 0
        self.peak_open = 0


class Synth:
    """The generator state: clients, sites, random source, counters. :meth:`frames` yields the capture."""

    POOL = 1 << 20

    def __init__(self, seed: int, clients: int, sites: int):
        self.rng = rng = random.Random(seed)
        self.clients = [Client(i, rng) for i in range(clients)]
        self.client_weights = list(_cumulative(1 / (i + 1) ** 0.6 for i in range(clients)))
        names: set[str] = set()
        while len(names) < sites:
            number = rng.randrange(100) if rng.random() < 0.3 else ""
            names.add(f"{rng.choice(_WORDS)}{rng.choice(_WORDS)}{number}")
        self.sites = [Site(n, rng) for n in sorted(names)]
        rng.shuffle(self.sites)
        self.site_weights = list(_cumulative(1 / (i + 1) ** 0.9 for i in range(sites)))
        self.text = _text_pool(rng, self.POOL)
        self.binary = rng.randbytes(self.POOL)
        self.binary_no_ff = self.binary.replace(b"\xff", b"\xfe")  # JPEG entropy data holds no markers
        self.stats = Stats()
        self._resolver_cache: set[str] = set()  # names the gateway's resolver has looked up already

    # -- helpers that yield frames and return the time after them --

    def _arp(self, c: Client, t: int):
        rng = self.rng
        pad = bytes(18)  # 42-byte ARP frames reach the capture padded to the 60-byte minimum
        yield t, (BROADCAST + c.mac + ETH_ARP.to_bytes(2, "big")
                  + _ARP.pack(1, ETH_IPV4, 6, 4, 1, c.mac, c.ip, bytes(6), GATEWAY_IP) + pad)
        t += int(rng.uniform(0.15, 0.9) * MS)
        yield t, (c.mac + GATEWAY_MAC + ETH_ARP.to_bytes(2, "big")
                  + _ARP.pack(1, ETH_IPV4, 6, 4, 2, GATEWAY_MAC, GATEWAY_IP, c.mac, c.ip) + pad)
        self.stats.arp += 1
        c.arp_until = t + ARP_TTL_NS
        return t + int(rng.uniform(0.02, 0.1) * MS)

    def _dns(self, c: Client, site: Site, host: str, t: int, nxdomain: bool):
        rng = self.rng
        port = rng.randrange(32768, 61000)
        q_side = Side(c.to_gw, c.ip, GATEWAY_IP, port, 53, 64, PROTO_UDP, rng)
        r_side = Side(c.from_gw, GATEWAY_IP, c.ip, 53, port, 64, PROTO_UDP, rng)
        with_aaaa = not nxdomain and host.startswith("www.") and rng.random() < 0.35
        queries = [1, 28] if with_aaaa else [1]
        ids = [rng.randrange(0x10000) for _ in queries]
        qname = _dns_name(host, {}, 12)
        opt = b"\x00" + _RR_HDR.pack(41, 1232, 0, 0) if c.edns else b""
        for qid, qtype in zip(ids, queries):
            self.stats.dns_queries += 1
            yield t, q_side.udp(_DNS_HDR.pack(qid, 0x0100, 1, 0, 0, 1 if opt else 0) + qname
                                + _QTAIL.pack(qtype, 1) + opt)
            t += int(rng.uniform(0.03, 0.3) * MS)
        cached = host in self._resolver_cache and rng.random() < 0.8
        t += int((rng.uniform(0.2, 2) if cached else rng.lognormvariate(math.log(18), 0.7)) * MS)
        self._resolver_cache.add(host)
        for qid, qtype in zip(ids, queries):
            yield t, r_side.udp(self._dns_response(site, host, qid, qtype, opt, nxdomain))
            t += int(rng.uniform(0.02, 0.4) * MS)
        return t

    def _dns_response(self, site: Site, host: str, qid: int, qtype: int, opt: bytes, nxdomain: bool) -> bytes:
        table: dict[str, int] = {}
        msg = bytearray(_DNS_HDR.size)
        msg += _dns_name(host, table, 12) + _QTAIL.pack(qtype, 1)
        answers = authority = 0
        zone = f"{site.name}.example"
        if nxdomain or qtype == 28:  # no such name, or no AAAA: the zone's SOA in the authority section
            owner = _dns_name(zone, table, len(msg))
            head = len(msg) + len(owner) + _RR_HDR.size
            mname = _dns_name(f"ns1.{zone}", table, head)
            rname = _dns_name(f"hostmaster.{zone}", table, head + len(mname))
            rdata = mname + rname + _SOA_TAIL.pack(2024031101, 7200, 3600, 1209600, 300)
            msg += owner + _RR_HDR.pack(6, 1, 300, len(rdata)) + rdata
            authority = 1
        elif host.startswith("static."):  # CDN: CNAME to an edge name, then its A record
            target = f"{site.name}.edge.cdn-example.net"
            at = len(msg) + 2 + _RR_HDR.size
            rdata = _dns_name(target, table, at)
            msg += b"\xc0\x0c" + _RR_HDR.pack(5, 1, site.ttl, len(rdata)) + rdata
            msg += (0xC000 | table[target]).to_bytes(2, "big") + _RR_HDR.pack(1, 1, 60, 4) + site.cdn_ip
            answers = 2
        else:
            msg += b"\xc0\x0c" + _RR_HDR.pack(1, 1, site.ttl, 4) + site.www_ip
            answers = 1
        msg += opt
        flags = 0x8183 if nxdomain else 0x8180  # QR RD RA, rcode NXDOMAIN or NOERROR
        _DNS_HDR.pack_into(msg, 0, qid, flags, 1, answers, authority, 1 if opt else 0)
        return bytes(msg)

    # -- one connection --

    def connection(self, c: Client, t: int):
        """Yield one connection's frames ``(ts_ns, bytes)`` in time order, ARP and DNS included."""
        rng = self.rng
        st = self.stats
        site = self.sites[_pick(rng, self.site_weights)]
        static = rng.random() < 0.35
        host = f"{'static' if static else 'www'}.{site.name}.example"

        if c.arp_until < t:
            t = yield from self._arp(c, t)
        if c.dns_cache.get(host, -1) < t:
            nxdomain = rng.random() < 0.01
            c.dns_cache[host] = t + site.ttl * SEC
            if nxdomain:
                st.nxdomain += 1
                typo = "statc." + host[7:] if static else "wwww." + host[4:]
                yield from self._dns(c, site, typo, t, True)
                return
            t = yield from self._dns(c, site, host, t, False)
            t += int(rng.uniform(0.05, 1.5) * MS)

        st.connections += 1
        server_ip = site.cdn_ip if static else site.www_ip
        rtt = site.cdn_rtt if static else site.rtt
        rtt = int(rtt * rng.uniform(0.9, 1.25))
        port = c.next_port
        c.next_port = port + 1 if port < 60999 else 32768
        server_ttl = (64 if site.server.startswith(("nginx", "Apache", "LiteSpeed")) else
                      128 if site.server.startswith("Microsoft") else 255) - site.hops
        cs = Side(c.to_gw, c.ip, server_ip, port, 80, 64, PROTO_TCP, rng)  # client -> server
        ss = Side(c.from_gw, server_ip, c.ip, 80, port, server_ttl, PROTO_TCP, rng)  # server -> client
        use_ts = c.flavour != "windows" and site.timestamps
        client_ws = {"linux": 7, "windows": 8, "macos": 6}[c.flavour]
        client_delay = int(rng.uniform(0.015, 0.09) * MS)  # client stack turnaround seen at the capture
        gap = int(1448 * 8 * SEC / (rng.choice((20, 50, 100, 300, 900)) * 1e6))  # bottleneck spacing

        def opts(side: Side, peer: Side, now: int) -> bytes:
            if not use_ts:
                return b""
            side.tsval = (side.ts_base + now // MS) & 0xFFFFFFFF
            return b"\x01\x01\x08\x0a" + _U32x2.pack(side.tsval, peer.tsval)

        # handshake
        cisn, sisn = rng.randrange(1 << 32), rng.randrange(1 << 32)
        cs.win = 64240 if c.flavour != "macos" else 65535
        cs.tsval = (cs.ts_base + t // MS) & 0xFFFFFFFF
        syn = cs.tcp(cisn, 0, SYN, _syn_options(c.flavour, 1460, client_ws, cs.tsval, 0))
        yield t, syn
        if rng.random() < 0.01:  # SYN lost upstream: retransmitted after the initial RTO
            st.retransmissions += 1
            t += SEC
            cs.tsval = (cs.ts_base + t // MS) & 0xFFFFFFFF
            yield t, cs.tcp(cisn, 0, SYN, _syn_options(c.flavour, 1460, client_ws, cs.tsval, 0))
        t += rtt
        if rng.random() < 0.005:  # nothing listens: RST, ACK
            st.refused += 1
            st.resets += 1
            ss.win = 0
            yield t, ss.tcp(0, (cisn + 1) & 0xFFFFFFFF, RST | ACK, b"")
            return
        ss.win = 65160 if site.server != "Microsoft-IIS/10.0" else 65535
        ss.tsval = (ss.ts_base + t // MS) & 0xFFFFFFFF
        flavour = "linux" if use_ts else "windows"
        yield t, ss.tcp(sisn, (cisn + 1) & 0xFFFFFFFF, SYN | ACK,
                        _syn_options(flavour, site.mss, site.wscale, ss.tsval, cs.tsval if use_ts else 0))
        t += client_delay
        cseq, sseq = (cisn + 1) & 0xFFFFFFFF, (sisn + 1) & 0xFFFFFFFF
        cs.win = {"linux": 502, "windows": 1026, "macos": 2058}[c.flavour]
        ss.win = 509 if site.wscale == 7 else max(30, 65160 >> site.wscale)
        yield t, cs.tcp(cseq, sseq, ACK, opts(cs, ss, t))
        mss = min(1460, site.mss) - (12 if use_ts else 0)

        # requests on a keep-alive connection
        nreq = 1 if rng.random() < 0.5 else min(12, 1 + int(rng.expovariate(1 / 2.5)))
        ending = rng.choices(("server_timeout", "client_idle", "conn_close", "client_rst"),
                             (45, 36, 16, 3))[0]
        kinds = ["html", "api", "ico"] if not static else ["css", "js", "img", "png", "font"]
        cwnd = 10
        win_cap = min(0xFFFF, (6 << 20) >> client_ws)
        t += int(rng.uniform(0.05, 2) * MS)
        for i in range(nreq):
            st.requests += 1
            kind = kinds[0] if i == 0 and not static else rng.choice(kinds[1:] if not static else kinds)
            path, req = self._request(site, host, c, kind, last=(i == nreq - 1 and ending == "conn_close"))
            yield t, cs.tcp(cseq, sseq, PSH | ACK, opts(cs, ss, t), req)
            cseq = (cseq + len(req)) & 0xFFFFFFFF
            think = int(rng.lognormvariate(math.log(8 * MS), 1.2)) if kind in ("html", "api") else \
                int(rng.uniform(0.1, 3) * MS)
            if think > 40 * MS:  # the server's delayed ACK comes before the answer
                t += rtt + 40 * MS
                yield t, ss.tcp(sseq, cseq, ACK, opts(ss, cs, t))
                t += think - 40 * MS
            else:
                t += rtt + think
            resp = self._response(site, kind, path, t, close=(i == nreq - 1 and ending == "conn_close"))
            # the response in slow-start flights; the client ACKs every second segment and the last one
            segs = [resp[o:o + mss] for o in range(0, len(resp), mss)]
            n = len(segs)
            k = 0
            while k < n:
                flight = segs[k:k + cwnd]
                t_flight = t
                lost = rng.randrange(len(flight)) if len(flight) > 3 and rng.random() < 0.04 else -1
                lost_seq = 0
                dupacks = 0
                t_dup3 = 0
                unacked = 0
                for j, seg in enumerate(flight):
                    last = k + j == n - 1
                    flags = PSH | ACK if last else ACK
                    if j == lost:  # dropped before the capture point: never seen
                        st.lost += 1
                        lost_seq = sseq
                        lost_seg, lost_flags = seg, flags
                        ss.tcp(sseq, cseq, flags, opts(ss, cs, t), seg)  # keeps the IP id sequence
                    else:
                        yield t, ss.tcp(sseq, cseq, flags, opts(ss, cs, t), seg)
                    sseq = (sseq + len(seg)) & 0xFFFFFFFF
                    if lost >= 0 and j > lost:  # out of order: an immediate duplicate ACK with SACK
                        received_upto = sseq
                        t += min(client_delay, gap // 2)
                        sack = b"\x01\x01\x05\x0a" + _U32x2.pack((lost_seq + len(lost_seg)) & 0xFFFFFFFF,
                                                                   received_upto)
                        o = opts(cs, ss, t)
                        yield t, cs.tcp(cseq, lost_seq, ACK, o + sack if o else sack)
                        dupacks += 1
                        if dupacks == 3:
                            t_dup3 = t
                    elif lost < 0 or j < lost:
                        unacked += 1
                        if unacked == 2 or last:
                            t += min(client_delay, gap // 2)
                            cs.win = min(cs.win + (2 * len(seg) >> client_ws), win_cap)  # rcv window grows
                            yield t, cs.tcp(cseq, sseq, ACK, opts(cs, ss, t))
                            unacked = 0
                    t += gap
                if lost >= 0:  # fast retransmission after three duplicate ACKs, else after the RTO
                    st.retransmissions += 1
                    t = max(t, (t_dup3 + rtt) if dupacks >= 3 else t_flight + rtt + 200 * MS)
                    yield t, ss.tcp(lost_seq, cseq, lost_flags, opts(ss, cs, t), lost_seg)
                    t += client_delay
                    yield t, cs.tcp(cseq, sseq, ACK, opts(cs, ss, t))
                    cwnd = max(2, cwnd // 2)
                else:
                    cwnd = min(cwnd * 2, 80)
                k += len(flight)
                if k < n:
                    t = max(t, t_flight + rtt)
            if i < nreq - 1:  # the browser asks for the next resource
                t += int(rng.uniform(0.3, 30) * MS) if rng.random() < 0.85 else int(rng.uniform(1, 8) * SEC)

        # the end
        if ending == "client_rst":
            t += int(rng.uniform(0.5, 3) * SEC)
            st.resets += 1
            cs.win = 0
            yield t, cs.tcp(cseq, sseq, RST | ACK, b"")
            return
        if ending == "server_timeout":
            t += site.keepalive_ns
            closer, other, a_seq, b_seq, close_rtt = ss, cs, sseq, cseq, client_delay
        elif ending == "conn_close":
            t += int(rng.uniform(0.05, 0.5) * MS)
            closer, other, a_seq, b_seq, close_rtt = ss, cs, sseq, cseq, client_delay
        else:
            t += int(rng.uniform(1, 30) * SEC)
            closer, other, a_seq, b_seq, close_rtt = cs, ss, cseq, sseq, rtt
        back_rtt = rtt if closer is ss else client_delay  # from the peer's FIN to the closer's last ACK
        yield t, closer.tcp(a_seq, b_seq, FIN | ACK, opts(closer, other, t))
        a_seq = (a_seq + 1) & 0xFFFFFFFF
        t += close_rtt
        if rng.random() < 0.6:  # four segments: ACK, then the peer's own FIN later
            st.fin4 += 1
            yield t, other.tcp(b_seq, a_seq, ACK, opts(other, closer, t))
            t += int(rng.uniform(0.05, 5) * MS)
        else:  # three: the peer's FIN rides on its ACK
            st.fin3 += 1
        yield t, other.tcp(b_seq, a_seq, FIN | ACK, opts(other, closer, t))
        b_seq = (b_seq + 1) & 0xFFFFFFFF
        t += back_rtt
        yield t, closer.tcp(a_seq, b_seq, ACK, opts(closer, other, t))

    def _request(self, site: Site, host: str, c: Client, kind: str, last: bool) -> tuple[str, bytes]:
        rng = self.rng
        w = rng.choice(_WORDS)
        path = {
            "html": rng.choice(("/", "/", f"/news/2024/03/{w}-{rng.randrange(1000)}.html", f"/{w}/",
                                f"/search?q={w}+{rng.choice(_WORDS)}")),
            "api": f"/api/v1/{w}?page={rng.randrange(1, 9)}",
            "ico": "/favicon.ico",
            "css": f"/assets/css/{w}.{rng.randrange(1 << 32):08x}.css",
            "js": f"/assets/js/{rng.choice(('app', 'vendor', 'runtime', w))}.{rng.randrange(1 << 32):08x}.js",
            "img": f"/images/{w}-{rng.randrange(1, 500)}.jpg",
            "png": f"/images/icons/{w}.png",
            "font": "/fonts/inter-var.woff2",
        }[kind]
        referer = "" if kind == "html" else f"Referer: http://www.{site.name}.example/\r\n"
        cookie = f"Cookie: sid={rng.randrange(1 << 64):016x}\r\n" if not host.startswith("static.") and \
            rng.random() < 0.4 else ""
        etag = (f'If-None-Match: "{rng.randrange(1 << 40):x}"\r\n'
                if kind in _BINARY and rng.random() < 0.3 else "")
        text = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {c.ua}\r\nAccept: {_ACCEPT[kind]}\r\n"
                f"Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\n"
                f"{referer}{cookie}{etag}"
                f"Connection: {'close' if last else 'keep-alive'}\r\n\r\n")
        return path, text.encode()

    def _response(self, site: Site, kind: str, path: str, t: int, close: bool) -> bytes:
        rng = self.rng
        ctype, median, sigma, not_modified = _RESOURCES[kind]
        date = formatdate(t / SEC, usegmt=True)
        conn = "close" if close else "keep-alive"
        if rng.random() < not_modified:
            return (f"HTTP/1.1 304 Not Modified\r\nServer: {site.server}\r\nDate: {date}\r\n"
                    f'ETag: "{rng.randrange(1 << 40):x}"\r\nCache-Control: max-age=86400\r\n'
                    f"Connection: {conn}\r\n\r\n").encode()
        status = "200 OK"
        if kind != "html" and rng.random() < 0.02:
            status, ctype, size = "404 Not Found", "text/html; charset=utf-8", rng.randrange(150, 600)
        else:
            size = min(int(rng.lognormvariate(math.log(median), sigma)) + 40, 800_000)
        if status != "200 OK" or kind not in _BINARY:
            off = rng.randrange(self.POOL - size)
            body = self.text[off:off + size]
        elif kind == "img":
            body = self._jpeg(size)
        elif kind == "png":
            body = self._png(size)
        else:
            off = rng.randrange(self.POOL - size)
            body = self.binary[off:off + size]
        head = (f"HTTP/1.1 {status}\r\nServer: {site.server}\r\nDate: {date}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\n"
                f"Last-Modified: Mon, 04 Mar 2024 10:{rng.randrange(60):02d}:00 GMT\r\n"
                f"Cache-Control: {'no-cache' if kind in ('html', 'api') else 'max-age=86400'}\r\n"
                f"Connection: {conn}\r\n\r\n")
        return head.encode() + body

    def _jpeg(self, size: int) -> bytes:
        """A baseline JFIF of about ``size`` bytes: real headers around entropy-coded bytes free of 0xFF."""
        width, height = 64 * self.rng.randrange(5, 30), 48 * self.rng.randrange(5, 30)
        head = (b"\xff\xd8" + b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
                + b"\xff\xdb\x00\x43\x00" + bytes(range(1, 65))
                + b"\xff\xc0\x00\x11\x08" + struct.pack("!HH", height, width)
                + b"\x03\x01\x22\x00\x02\x11\x00\x03\x11\x00"
                + b"\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00")
        n = max(0, size - len(head) - 2)
        off = self.rng.randrange(self.POOL - n)
        return head + self.binary_no_ff[off:off + n] + b"\xff\xd9"

    def _png(self, size: int) -> bytes:
        """A PNG of about ``size`` bytes: signature, IHDR, one IDAT, IEND, with correct chunk CRCs."""
        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))

        width, height = self.rng.randrange(16, 512), self.rng.randrange(16, 512)
        ihdr = chunk(b"IHDR", struct.pack("!IIBBBBB", width, height, 8, 6, 0, 0, 0))
        n = max(0, size - 8 - len(ihdr) - 12 - 12)
        off = self.rng.randrange(self.POOL - n)
        return b"\x89PNG\r\n\x1a\n" + ihdr + chunk(b"IDAT", self.binary[off:off + n]) + chunk(b"IEND", b"")

    # -- the whole capture --

    def frames(self, count: int):
        """Yield ``count`` frames ``(ts_ns, bytes)`` with strictly increasing timestamps."""
        rng = self.rng
        heap: list = []
        push, pop = heapq.heappush, heapq.heappop
        serial = 0
        open_conns = 0
        target = 300
        retarget_at = START_NS
        next_start = START_NS
        now = START_NS
        last_ts = 0
        st = self.stats
        clients = self.clients
        weights = self.client_weights
        for _ in range(count):
            while open_conns < target:  # start connections until the target is met
                next_start = max(next_start, now) + int(rng.expovariate(1 / (4 * MS)))
                gen = self.connection(clients[_pick(rng, weights)], next_start)
                first = next(gen, None)
                if first is not None:
                    serial += 1
                    push(heap, (first[0], serial, first[1], gen))
                    open_conns += 1
            st.peak_open = max(st.peak_open, open_conns)
            ts, _serial, data, gen = pop(heap)
            now = ts
            if ts <= last_ts:
                ts = last_ts + 1
            last_ts = ts
            yield ts, data
            nxt = next(gen, None)
            if nxt is None:
                open_conns -= 1
            else:
                serial += 1
                push(heap, (nxt[0], serial, nxt[1], gen))
            if now >= retarget_at:  # the office's load drifts between 100 and 500 open connections
                target = min(500, max(100, target + rng.randrange(-60, 61)))
                retarget_at = now + 10 * SEC


def _cumulative(values):
    total = 0.0
    for v in values:
        total += v
        yield total


def _pick(rng: random.Random, cum_weights: list[float]) -> int:
    return bisect(cum_weights, rng.random() * cum_weights[-1])


# --- output -----------------------------------------------------------------------------------------------


def _open_writer(path: Path):
    from analyzer.capture import open_writer  # the project's one capture writer

    if path.suffix in (".pcapng", ".ntar"):
        return open_writer(path, linktype=LINKTYPE_ETHERNET)
    return open_writer(path, linktype=LINKTYPE_ETHERNET, nanosecond=True)


def generate(path: Path, packets: int, seed: int = 1, clients: int = 1500, sites: int = 2500,
             progress: bool = False) -> Stats:
    """Write ``packets`` frames of synthetic web traffic to ``path`` (pcap or pcapng by its extension)."""
    from analyzer.capture.frame import Frame

    synth = Synth(seed, clients, sites)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _open_writer(path) as writer:
        write = writer.write
        for number, (ts, data) in enumerate(synth.frames(packets), 1):
            write(Frame(number, ts, len(data), 0, LINKTYPE_ETHERNET, data))
            if progress and number % 100_000 == 0:
                print(f"  {number:,} packets", file=sys.stderr)
    return synth.stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a large synthetic web capture (Ethernet, ARP, "
                                     "DNS, TCP, HTTP/1.1) for the benchmarks.")
    parser.add_argument("--packets", type=int, default=1_000_000, help="frames to write (default 1,000,000)")
    parser.add_argument("--format", choices=("pcap", "pcapng"), help="default: from --out, else pcap")
    parser.add_argument("--out", type=Path, help="default: benchmarks/out/synthetic_<packets>.<format>")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=1500)
    parser.add_argument("--sites", type=int, default=2500)
    args = parser.parse_args(argv)
    fmt = args.format or ("pcapng" if args.out and args.out.suffix in (".pcapng", ".ntar") else "pcap")
    out = args.out or HERE / "out" / f"synthetic_{args.packets}.{fmt}"
    if (out.suffix in (".pcapng", ".ntar")) != (fmt == "pcapng"):
        parser.error(f"--out {out} does not end in .{fmt} (the writer picks the format by extension)")
    try:
        import analyzer.capture  # noqa: F401
    except ImportError as exc:
        print(f"gen_synthetic: the project's capture writer is not importable ({exc})", file=sys.stderr)
        return 2
    started = time.perf_counter()
    st = generate(out, args.packets, args.seed, args.clients, args.sites, progress=sys.stderr.isatty())
    elapsed = time.perf_counter() - started
    size = out.stat().st_size
    print(f"wrote {out} ({fmt}): {args.packets:,} packets, {size / 1e6:,.1f} MB in {elapsed:.1f} s "
          f"({args.packets / elapsed:,.0f} packets/s)")
    print(f"  {st.connections:,} TCP connections ({st.refused} refused), peak {st.peak_open} open at once, "
          f"{st.requests:,} HTTP requests")
    print(f"  {st.dns_queries:,} DNS queries ({st.nxdomain} NXDOMAIN), {st.arp:,} ARP exchanges, "
          f"{st.resets:,} resets, {st.lost:,} segments lost upstream, {st.retransmissions:,} retransmissions")
    print(f"  teardowns: {st.fin4:,} in four segments, {st.fin3:,} in three")
    return 0


if __name__ == "__main__":
    sys.exit(main())
