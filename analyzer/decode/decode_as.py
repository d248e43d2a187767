"""Decode As (tshark's ``-d``): read the payload of a TCP or UDP port as a protocol the port does not say.

    -d udp.port==5353,dns      DNS on 5353 instead of mDNS
    -d udp.port==5300,dns      a DNS server on another port (``analyzer demo --dns-port 0``)
    -d tcp.port==8053,dns      DNS over TCP on 8053
    -d udp.port==1901,ssdp     HTTP over UDP, as SSDP on 1900 (``http`` is accepted for UDP too)
    -d udp.port==4433,quic     QUIC (HTTP/3) on another port than 443
    -d tcp.port==8080,http     accepted: HTTP is recognised on every TCP port by its first bytes

The spelling is tshark's: ``LAYER==SELECTOR,PROTOCOL`` with a port, a range ``8080-8090`` or a start and
count ``8080:3`` as SELECTOR. A rule changes the dispatch tables of :mod:`analyzer.decode.tables` (UDP and
TCP ports to decoders) and the two port sets the later stages read: :data:`DNS_TCP_PORTS` (TCP connections
reassembled as DNS messages) and :data:`HTTP_UDP_PORTS` (datagrams read as HTTP messages, beside SSDP's 1900).
Like Wireshark's Decode As table it holds for the whole process: the CLI applies the rules once, before
reading; the library uses :func:`decoding_as` to apply them for a ``with`` block and restore the tables after.

Heuristic decoders (:data:`analyzer.decode.tables.HEURISTICS`, run where no port claims a payload) are switched
the same way, with tshark's ``--disable-heuristic NAME`` / ``--enable-heuristic NAME`` and its short names
(:data:`HEURISTIC_NAMES`: ``quic``, QUIC on any UDP port): a :class:`Heuristic` goes wherever a rule goes,
spelled ``heuristic:quic=off`` in text (a worker process parses it back; :func:`tshark_args` gives tshark's
options for it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from analyzer.decode import tables
from analyzer.decode.dns import decode_dns, decode_dns_tcp, decode_llmnr, decode_mdns
from analyzer.decode.quic import QUIC_PORTS, decode_quic, decode_quic_heuristic

DNS_TCP_PORTS: set[int] = {53}      # TCP connections whose bytes are DNS messages (2-byte length prefix)
HTTP_UDP_PORTS: set[int] = set()    # UDP ports whose datagrams are HTTP messages (1900 is always one)

# protocol name -> decoder for the port table (None: handled by a later stage, by the port sets above)
PROTOCOLS = {
    "udp.port": {"dns": decode_dns, "mdns": decode_mdns, "llmnr": decode_llmnr, "http": None, "ssdp": None,
                 "quic": decode_quic},
    "tcp.port": {"dns": decode_dns_tcp, "http": None},
}
# tshark's short name of a heuristic decoder -> (the table whose misses it reads, the decoder)
HEURISTIC_NAMES = {"quic": ("udp.port", decode_quic_heuristic)}
_HEURISTIC_SPEC = re.compile(r"\s*heuristic:([A-Za-z0-9_.-]+)=(on|off)\s*")
_SPEC = re.compile(r"\s*(tcp\.port|udp\.port)\s*==\s*(\d+)(?:\s*([-:])\s*(\d+))?\s*,\s*([A-Za-z0-9_.-]+)\s*")
MAX_PORTS_PER_RULE = 65536


class DecodeAsError(ValueError):
    """A ``-d`` rule that cannot be read or names what we cannot decode (the message says which)."""


@dataclass(frozen=True, slots=True)
class Rule:
    table: str          # "tcp.port" or "udp.port"
    ports: tuple[int, ...]
    protocol: str


@dataclass(frozen=True, slots=True)
class Heuristic:
    name: str           # tshark's short name (a key of HEURISTIC_NAMES)
    enabled: bool


def heuristic(name: str, enabled: bool) -> Heuristic:
    """``--enable-heuristic NAME`` / ``--disable-heuristic NAME``, as tshark spells the name."""
    key = name.strip().lower()
    if key not in HEURISTIC_NAMES:
        raise DecodeAsError(f"no heuristic decoder named {name!r}: the analyzer has {', '.join(sorted(HEURISTIC_NAMES))} "
                            "(tshark -G heuristic-decodes lists tshark's)")
    return Heuristic(key, enabled)


def _switch(text: str) -> Heuristic | None:
    """A heuristic's switch as :func:`spelling` writes it (``heuristic:quic=off``); None for any other text."""
    m = _HEURISTIC_SPEC.fullmatch(text)
    return heuristic(m.group(1), m.group(2) == "on") if m is not None else None


def parse(spec: str) -> Rule | Heuristic:
    """One ``-d`` argument, as tshark spells it (``udp.port==5353,dns``), or a heuristic's switch as
    :func:`spelling` writes it (``heuristic:quic=off``)."""
    switch = _switch(spec)
    if switch is not None:
        return switch
    m = _SPEC.fullmatch(spec)
    if m is None:
        raise DecodeAsError(f"bad decode-as rule {spec!r}: expected LAYER==PORT,PROTOCOL with LAYER tcp.port "
                            "or udp.port (e.g. tcp.port==8080,http or udp.port==5353,dns)")
    table, first, sep, other, protocol = m.groups()
    start = int(first)
    if sep is None:
        ports = (start,)
    elif sep == "-":
        ports = tuple(range(start, int(other) + 1))
    else:
        ports = tuple(range(start, start + int(other)))
    if not ports or ports[-1] > 65535 or len(ports) > MAX_PORTS_PER_RULE:
        raise DecodeAsError(f"bad decode-as rule {spec!r}: ports must lie in 0-65535")
    protocol = protocol.lower()
    known = PROTOCOLS[table]
    if protocol not in known:
        raise DecodeAsError(f"bad decode-as rule {spec!r}: {table} can be decoded as "
                            f"{', '.join(sorted(known))}, not {protocol!r}")
    return Rule(table, ports, protocol)


def spelling(rule: Rule | Heuristic | str) -> str:
    """A rule as tshark spells it (``udp.port==5300,dns``; a range as ``first-last``); a heuristic's switch as
    ``heuristic:NAME=on|off``."""
    if isinstance(rule, str):
        return rule
    if isinstance(rule, Heuristic):
        return f"heuristic:{rule.name}={'on' if rule.enabled else 'off'}"
    ports = str(rule.ports[0]) if len(rule.ports) == 1 else f"{rule.ports[0]}-{rule.ports[-1]}"
    protocol = "ssdp" if rule.table == "udp.port" and rule.protocol == "http" else rule.protocol
    return f"{rule.table}=={ports},{protocol}"     # tshark knows HTTP over UDP only as "ssdp"


def tshark_args(rule: Rule | Heuristic | str) -> list[str]:
    """tshark's options for a rule: ``-d RULE`` or ``--disable-heuristic NAME`` / ``--enable-heuristic NAME``.
    A text other than a heuristic's switch goes to tshark as it is (``-d tcp.port==N,http2``, which names a
    protocol tshark has and the analyzer's own rules do not)."""
    if isinstance(rule, str):
        switch = _switch(rule)
        if switch is None:
            return ["-d", rule]
        rule = switch
    if isinstance(rule, Heuristic):
        return ["--enable-heuristic" if rule.enabled else "--disable-heuristic", rule.name]
    return ["-d", spelling(rule)]


def apply(rules: Iterable[Rule | Heuristic]) -> None:
    """Make the rules hold from now on (later rules win, as in tshark)."""
    for rule in rules:
        if isinstance(rule, Heuristic):
            table_name, decoder = HEURISTIC_NAMES[rule.name]
            if rule.enabled:
                tables.HEURISTICS[table_name] = decoder
            else:
                tables.HEURISTICS.pop(table_name, None)
            continue
        table = tables.TABLES[rule.table]
        decoder = PROTOCOLS[rule.table][rule.protocol]
        for port in rule.ports:
            if decoder is not None:
                table[port] = decoder
            else:
                table.pop(port, None)
            if rule.table == "tcp.port":
                if rule.protocol == "dns":
                    DNS_TCP_PORTS.add(port)
                else:
                    DNS_TCP_PORTS.discard(port)
            elif rule.protocol in ("http", "ssdp"):
                HTTP_UDP_PORTS.add(port)
            else:
                HTTP_UDP_PORTS.discard(port)
            if rule.table == "udp.port":
                if rule.protocol == "quic":
                    QUIC_PORTS.add(port)
                else:
                    QUIC_PORTS.discard(port)


def snapshot() -> tuple:
    return ({name: dict(tables.TABLES[name]) for name in PROTOCOLS}, set(DNS_TCP_PORTS), set(HTTP_UDP_PORTS),
            set(QUIC_PORTS), dict(tables.HEURISTICS))


def restore(saved: tuple) -> None:
    port_tables, dns_tcp, http_udp, quic, heuristics = saved
    tables.HEURISTICS.clear()           # (the same dict the decode loop holds: changed in place)
    tables.HEURISTICS.update(heuristics)
    for name, table in port_tables.items():
        tables.TABLES[name].clear()
        tables.TABLES[name].update(table)
    DNS_TCP_PORTS.clear()
    DNS_TCP_PORTS.update(dns_tcp)
    HTTP_UDP_PORTS.clear()
    HTTP_UDP_PORTS.update(http_udp)
    QUIC_PORTS.clear()
    QUIC_PORTS.update(quic)


@contextmanager
def decoding_as(rules: Iterable[Rule | Heuristic | str]) -> Iterator[None]:
    """Apply ``rules`` (Rule, Heuristic or their text) for the ``with`` block; the tables are restored after."""
    parsed = [rule if isinstance(rule, (Rule, Heuristic)) else parse(rule) for rule in rules]
    if not parsed:         # nothing to change (and nothing to restore under another thread's feet)
        yield
        return
    saved = snapshot()
    apply(parsed)
    try:
        yield
    finally:
        restore(saved)
