"""The helpers a compiled filter calls at match time (the namespace of the generated code).

A field's value on a packet is None (absent), one value, or a list (the field occurs several times). Every
helper takes the value as found plus the kind's conversion (``conv``, None when the values are already in
comparable form, see :mod:`analyzer.filter._values`), and says whether *any*/*all*/*none* of the
occurrences satisfies ``pred(value, constant)``.
"""

from __future__ import annotations

from operator import eq, ge, gt, le, lt, ne

from analyzer.filter._fields import TCP_OPTION_NAMED, computed_value, label_value
from analyzer.filter._values import CONVERTERS, Net, to_bytes


def any_of(v, conv, pred, k) -> bool:
    """Some occurrence satisfies the predicate (Wireshark's default for every comparison)."""
    if v is None:
        return False
    if type(v) is list:
        for x in v:
            if conv is not None:
                x = conv(x)
            if x is not None and pred(x, k):
                return True
        return False
    if conv is not None:
        v = conv(v)
    return v is not None and pred(v, k)


def all_of(v, conv, pred, k) -> bool:
    """The field is there and every occurrence satisfies the predicate (``===``, ``all x ...``)."""
    if v is None:
        return False
    if type(v) is list:
        if not v:
            return False
        for x in v:
            if conv is not None:
                x = conv(x)
            if x is None or not pred(x, k):
                return False
        return True
    if conv is not None:
        v = conv(v)
    return v is not None and pred(v, k)


def none_of(v, conv, pred, k) -> bool:
    """The field is there and no occurrence satisfies the predicate (``!=``: "all not equal")."""
    if v is None or v == []:
        return False
    return not any_of(v, conv, pred, k)


def _values(v, conv) -> list:
    if v is None:
        return []
    items = v if type(v) is list else [v]
    if conv is None:
        return [x for x in items if x is not None]
    out = []
    for x in items:
        x = conv(x)
        if x is not None:
            out.append(x)
    return out


def any_pair(a, ca, b, cb, pred) -> bool:
    """Field against field: some pair of occurrences satisfies the predicate."""
    right = _values(b, cb)
    return any(pred(x, y) for x in _values(a, ca) for y in right)


def all_pairs(a, ca, b, cb, pred) -> bool:
    left, right = _values(a, ca), _values(b, cb)
    return bool(left and right) and all(pred(x, y) for x in left for y in right)


def no_pair(a, ca, b, cb, pred) -> bool:
    left, right = _values(a, ca), _values(b, cb)
    return bool(left and right) and not any(pred(x, y) for x in left for y in right)


# -- predicates beyond the operator module ------------------------------------------------------------------
def in_net(x, net: Net) -> bool:
    return x & net.mask == net.network


def not_in_net(x, net: Net) -> bool:
    return x & net.mask != net.network


def contains(x, k) -> bool:
    return k in x


def matches(x, search) -> bool:
    return search(x) is not None


def member(x, members) -> bool:
    return members.has(x)


def nonzero(x, _k) -> bool:
    return x != 0


class Members:
    """The constant set of ``in {...}``: plain values, inclusive ranges, and networks."""

    __slots__ = ("nets", "ranges", "values")

    def __init__(self, values: frozenset, ranges: tuple, nets: tuple):
        self.values = values
        self.ranges = ranges
        self.nets = nets

    def has(self, x) -> bool:
        if x in self.values:
            return True
        for low, high in self.ranges:
            if low <= x <= high:
                return True
        for net in self.nets:
            if x & net.mask == net.network:
                return True
        return False

    def __repr__(self) -> str:
        return f"Members({sorted(self.values, key=repr)!r}, {self.ranges!r}, {self.nets!r})"


# -- finding values on a packet -----------------------------------------------------------------------------
def both(fields: dict, name: str, src: str, dst: str):
    """``ip.addr`` and friends: the field when the packet carries it, else source and destination."""
    v = fields.get(name)
    if v is not None:
        return v
    a, b = fields.get(src), fields.get(dst)
    if a is None:
        return b
    if b is None:
        return a
    return (a if type(a) is list else [a]) + (b if type(b) is list else [b])


def has_layer(layers, name: str) -> bool:
    for layer in layers:
        if layer.name == name:
            return True
    return False


LINK_LAYERS = frozenset(("eth", "vlan", "ieee8021ad", "sll", "null", "raw"))


def payload(pkt, fields: dict, name: str, proto: str):
    """``tcp.payload``/``udp.payload``: the field if a stage put one, else the bytes after each TCP/UDP
    header (a datagram quoted in an ICMP error too); absent when empty, as in tshark."""
    v = fields.get(name)
    if v is not None:
        return v
    data = pkt.frame.data
    out = []
    for layer in pkt.layers:
        if layer.name != proto:
            continue
        start = layer.offset + (8 if proto == "udp" else layer.length)
        span = pkt.payload
        if span is not None and span[0] == start:
            end = span[1]
        elif proto == "udp":
            length = layer.fields.get("udp.length")
            end = layer.offset + length if type(length) is int and length >= 8 else len(data)
        else:
            length = layer.fields.get("tcp.len")
            end = start + length if type(length) is int else start
        end = min(end, len(data))
        if end > start:
            out.append(bytes(data[start:end]))
    if not out:
        return None
    return out[0] if len(out) == 1 else out


def proto_bytes(pkt, fields: dict, name: str):
    """A protocol's bytes, one entry per layer of that name, spanning what it carries as Wireshark's
    protocol items do: a link layer to the end of the frame, IPv4/IPv6 to the end of the datagram (as
    captured: a fragment's own bytes), any other layer over its own span, the layers after it and the
    transport payload. ``frame`` is the frame as captured."""
    wire = getattr(pkt, "wire_frame", None) or pkt.frame
    if name == "frame":
        return bytes(wire.data)
    layers = pkt.layers
    data = pkt.frame.data
    out = []
    network_seen = False
    for i, layer in enumerate(layers):
        lname = layer.name
        outer = not network_seen       # at or before the first IP layer: the captured bytes
        if lname == "ip" or lname == "ipv6":
            network_seen = True
        if lname != name:
            continue
        start = layer.offset
        if outer and (lname in LINK_LAYERS or lname == "ip" or lname == "ipv6"):
            source = wire.data
            end = len(source)
            if lname == "ip":
                total = layer.fields.get("ip.len")
                if type(total) is int and total >= 20:
                    end = min(end, start + total)
            elif lname == "ipv6":
                plen = layer.fields.get("ipv6.plen")
                if type(plen) is int and plen > 0:
                    end = min(end, start + 40 + plen)
            out.append(bytes(source[start:end]))
            continue
        end = start + layer.length
        for inner in layers[i + 1:]:
            if inner.offset >= start:
                end = max(end, inner.offset + inner.length)
        span = pkt.payload
        if span is not None and span[0] >= start:
            end = max(end, span[1])
        out.append(bytes(data[start:min(end, len(data))]))
    if not out:
        return fields.get(name)     # a sub-protocol the decoders keep as a field
    return out[0] if len(out) == 1 else out


def tcp_options(fields: dict, kinds):
    """The TCP options of the given kinds (``tcp.options.mss`` and friends), each as its bytes, read from
    the ``tcp.options`` bytes; ``kinds`` None means the kinds tshark has no name for."""
    v = fields.get("tcp.options")
    if v is None:
        return None
    out = []
    for text in v if type(v) is list else [v]:
        raw = to_bytes(text) or b""
        i, n = 0, len(raw)
        while i < n:
            kind = raw[i]
            if kind in (0, 1):
                size = 1
            elif i + 1 < n and raw[i + 1] >= 2:
                size = raw[i + 1]
            else:
                break
            if (kind in kinds) if kinds is not None else (kind not in TCP_OPTION_NAMED):
                out.append(raw[i:i + size])
            if kind == 0:
                break
            i += size
    if not out:
        return None
    return out[0] if len(out) == 1 else out


def present(v) -> bool:
    return v is not None and v != []


# -- derived values: slices, functions, bitwise and ---------------------------------------------------------
def take_slice(v, conv, ranges, as_text: bool):
    """``x[ranges]`` of every occurrence (bytes, or text for strings); an occurrence too short is dropped."""
    out = []
    for x in _values(v, conv):
        if not as_text and type(x) is not bytes:
            continue
        n = len(x)
        parts = []
        for how, a, b in ranges:
            start = a if a >= 0 else n + a
            if how == "len":
                stop = n if b is None else start + b
            elif how == "to":
                stop = (b if b >= 0 else n + b) + 1
            else:
                stop = start + 1
            if start < 0 or stop > n or start > stop:
                parts = None
                break
            parts.append(x[start:stop])
        if parts is not None:
            out.append(("" if as_text else b"").join(parts))
    if not out:
        return None
    return out[0] if len(out) == 1 else out


def apply(v, conv, fn):
    out = [fn(x) for x in _values(v, conv)]
    if not out:
        return None
    return out[0] if len(out) == 1 else out


def count(v):
    if v is None:
        return None
    return len(v) if type(v) is list else 1


def bit_and(v, conv, mask):
    out = [x & mask for x in _values(v, conv)]
    if not out:
        return None
    return out[0] if len(out) == 1 else out


NAMESPACE = {
    "_any": any_of, "_all": all_of, "_none": none_of,
    "_any2": any_pair, "_all2": all_pairs, "_none2": no_pair,
    "_eq": eq, "_ne": ne, "_lt": lt, "_le": le, "_gt": gt, "_ge": ge,
    "_in_net": in_net, "_not_in_net": not_in_net, "_contains": contains, "_matches": matches,
    "_member": member, "_nonzero": nonzero,
    "_both": both, "_has_layer": has_layer, "_payload": payload, "_proto_bytes": proto_bytes,
    "_tcp_options": tcp_options, "_label": label_value, "_computed": computed_value,
    "_present": present, "_slice": take_slice, "_apply": apply, "_count": count, "_band": bit_and,
    **{f"_to_{kind}": fn for kind, fn in CONVERTERS.items()},
    "__builtins__": {"type": type, "int": int, "str": str, "list": list, "len": len},
}
