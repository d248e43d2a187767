"""The field vocabulary: which names a filter may use, of what kind, and how to find them on a packet.

The table (:mod:`analyzer.filter._vocabulary`, generated from tshark) lists every field tshark defines for
the protocols the analyzer decodes, with its kind, and marks the ones the analyzer produces. A filter may
name any of them, as in Wireshark: a field the analyzer never produces simply never matches, and
:func:`lookup` says so (``FieldInfo.produced``) so that a command can warn. A name that is not in the table is
an error, worded by what it is: unknown to Wireshark, or a protocol (or a field of one) that the analyzer
does not decode.

How a field is found on a packet (``FieldInfo.access``):

* ``field``: ``Packet.fields[name]`` (a list when it occurs several times);
* ``both``: ``ip.addr``, ``ipv6.addr``, ``tcp.port``, ``udp.port``, ``eth.addr``: the field when the packet
  carries it, else the source and destination fields together;
* ``layer``: a protocol (``tcp``, ``dns``): present when the packet has a layer of that name (or a field:
  tshark's sub-protocols such as ``tcp.options.mss``); its value is its bytes in the frame;
* ``payload``: ``tcp.payload`` / ``udp.payload``, the bytes after each TCP/UDP header;
* ``tcpopt``: ``tcp.options.mss`` and the other TCP option sub-protocols, read from ``tcp.options``;
* ``label``: a Wireshark label (a subtree with no value of its own: ``tls.handshake``, ``tls.record``,
  ``tcp.analysis`` ...), there as often as tshark shows it, told by the fields under it (:data:`LABELS`);
* ``computed``: made from the whole packet when asked for (:data:`COMPUTED`: ``frame.protocols``,
  ``tcp.pdu.size``), never kept in its fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from analyzer.filter import _vocabulary as vocab

BOTH_DIRECTIONS = {
    "ip.addr": ("ip.src", "ip.dst"),
    "ipv6.addr": ("ipv6.src", "ipv6.dst"),
    "tcp.port": ("tcp.srcport", "tcp.dstport"),
    "udp.port": ("udp.srcport", "udp.dstport"),
    "eth.addr": ("eth.src", "eth.dst"),
}
PAYLOAD_FIELDS = {"tcp.payload": "tcp", "udp.payload": "udp"}
# tshark's TCP option sub-protocols -> option kinds (RFC 793, 7323, 2018, 7413, ...); "unknown" is the rest.
TCP_OPTIONS = {
    "tcp.options.eol": (0,), "tcp.options.nop": (1,), "tcp.options.mss": (2,), "tcp.options.wscale": (3,),
    "tcp.options.sack_perm": (4,), "tcp.options.sack": (5,), "tcp.options.echo": (6,),
    "tcp.options.echoreply": (7,), "tcp.options.timestamp": (8,), "tcp.options.cc": (11,),
    "tcp.options.ccnew": (12,), "tcp.options.ccecho": (13,), "tcp.options.md5": (19,),
    "tcp.options.scps": (20,), "tcp.options.snack": (21,), "tcp.options.scpsrec": (22,),
    "tcp.options.scpscor": (23,), "tcp.options.qs": (27,), "tcp.options.user_to": (28,),
    "tcp.options.ao": (29,), "tcp.options.tfo": (34,), "tcp.options.rvbd.probe": (76,),
    "tcp.options.rvbd.trpy": (78,), "tcp.options.acc_ecn": (172, 174), "tcp.options.experimental": (253, 254),
    "tcp.options.unknown": None,
}
TCP_OPTION_NAMED = frozenset(k for kinds in TCP_OPTIONS.values() if kinds for k in kinds) | {30}  # 30: mptcp


def _occurrences(value) -> int:
    return 0 if value is None else len(value) if type(value) is list else 1


def _tls_handshake(f: dict) -> int:
    """A handshake message read, or a handshake record it could not read (tshark's "Encrypted Handshake
    Message")."""
    n = _occurrences(f.get("tls.handshake.type"))
    types = f.get("tls.record.content_type")
    records = types.count(22) if type(types) is list else int(types == 22)
    return max(n, records)      # a record may hold several messages; one it could not read shows once


@cache
def _analysis_fields() -> tuple[str, ...]:
    return tuple(n for n in vocab.PRODUCED.split() if n.startswith("tcp.analysis."))


def _tcp_analysis(f: dict) -> int:
    return int(any(n in f for n in _analysis_fields()))


# Label (FT_NONE) fields a filter or -T fields may name -> how many times a packet's fields show it
LABELS = {
    "tls.record": lambda f: _occurrences(f.get("tls.record.content_type")),
    "tls.handshake": _tls_handshake,
    "tls.alert_message": lambda f: _occurrences(f.get("tls.alert_message.level")),
    "tcp.analysis": _tcp_analysis,
    "quic.frame": lambda f: _occurrences(f.get("quic.frame_type")),
    "icmpv6.opt": lambda f: _occurrences(f.get("icmpv6.opt.type")),
}


def _frame_protocols(pkt) -> str:
    from analyzer.decode.protocols import frame_protocols

    return frame_protocols(pkt)


def _tcp_pdu_sizes(pkt):
    from analyzer.decode.protocols import tcp_pdu_sizes

    return tcp_pdu_sizes(pkt)


# Fields made from the packet (its layers, not its field dict) only when a filter or -T fields names them
COMPUTED = {"frame.protocols": _frame_protocols, "tcp.pdu.size": _tcp_pdu_sizes}


def computed_value(pkt, name: str):
    """A computed field's value for ``pkt`` (see :data:`COMPUTED`)."""
    return COMPUTED[name](pkt)


def label_value(f: dict, name: str):
    """A label's value as a field's: None when absent, 1 once, [1, 1, ...] when repeated (``-T fields``
    prints 1 for each, as tshark does; ``count()`` counts them)."""
    n = LABELS[name](f)
    return None if not n else 1 if n == 1 else [1] * n


@dataclass(frozen=True, slots=True)
class FieldInfo:
    name: str
    kind: str           # see analyzer.filter._values
    access: str         # "field", "both", "layer", "payload", "tcpopt", "label" or "computed"
    produced: bool      # does the analyzer ever put it on a packet?


class UnknownField(Exception):
    """The message for a name that cannot be used (the compiler adds the position)."""


@cache
def _kinds() -> dict[str, str]:
    table: dict[str, str] = {}
    for kind, names in vocab.FIELDS_BY_KIND.items():
        for name in names.split():
            table[name] = kind
    return table


@cache
def _produced() -> frozenset[str]:
    return (frozenset(vocab.PRODUCED.split()) | vocab.DECODED_PROTOCOLS | set(PAYLOAD_FIELDS) | set(TCP_OPTIONS)
            | set(LABELS) | set(COMPUTED))


@cache
def _wireshark_protocols() -> frozenset[str]:
    return frozenset(vocab.WIRESHARK_PROTOCOLS.split())


def is_field(name: str) -> bool:
    """Is ``name`` in the table (a field or protocol of the decoded protocols)?"""
    return name in _kinds()


def lookup(name: str) -> FieldInfo:
    """The table entry for ``name``; UnknownField with the reason when a filter cannot use it."""
    kind = _kinds().get(name)
    if kind is None:
        raise UnknownField(_unknown_reason(name))
    if name in BOTH_DIRECTIONS:
        access = "both"
    elif name in PAYLOAD_FIELDS:
        access = "payload"
    elif name in TCP_OPTIONS:
        access = "tcpopt"
    elif name in LABELS:
        access = "label"
    elif name in COMPUTED:
        access = "computed"
    elif kind == "proto":
        access = "layer"
    else:
        access = "field"
    return FieldInfo(name, kind, access, name in _produced())


def _unknown_reason(name: str) -> str:
    protocols = _wireshark_protocols()
    if name in protocols:
        return f'"{name}" is a Wireshark protocol the analyzer does not decode.'
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in protocols:
            if prefix in vocab.DECODED_PROTOCOLS:
                break
            return f'"{name}" is a field of {prefix}, a Wireshark protocol the analyzer does not decode.'
    return f'"{name}" is neither a field nor a protocol name.'


def produced_fields() -> frozenset[str]:
    """Every field and protocol name the analyzer may put on a packet."""
    return _produced()


def field_kind(name: str) -> str | None:
    return _kinds().get(name)
