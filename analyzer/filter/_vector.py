"""Display filters compiled a second time, to numpy masks over header columns.

When every field and protocol of a filter is one the columnar core reads (:data:`COLUMNS`: frame numbers
and lengths, IPv4/IPv6 addresses and header fields, TCP/UDP ports, lengths, flags ...),
:func:`vector_filter` turns the parser's syntax tree (``analyzer.filter._parser``) into a function of a batch
and its columns (``analyzer.columnar.headers``) giving, per frame, the filter's result. It decides only the
frames the columns fully describe (plain TCP, UDP and ARP frames); the others (``undecided``: fragments,
ICMP, odd link types) go to the ordinary per-packet filter, so together they give exactly what
``compile_filter(text)`` gives on every frame (tests/test_filter_vector.py). Anything else in the language
(strings, slices, functions, field-to-field comparisons, quantifiers) makes :func:`vector_filter` return
None: the caller then filters packet by packet.

Wireshark 4.0's meaning, as in :mod:`analyzer.filter._compiler`: a comparison with an absent field is false,
``==`` is "some occurrence equals", ``!=`` "the field is there and no occurrence equals", ``===`` "every
occurrence equals", ``~=`` "some occurrence differs"; ``tcp.port``, ``udp.port`` and ``ip.addr`` have two
occurrences (source, destination).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from analyzer.filter import _fields
from analyzer.filter._compiler import _chain
from analyzer.filter._parser import Compare, Exists, Logic, Member, Not, Word, parse
from analyzer.filter._values import LiteralError, Net, literal

KIND_TCP, KIND_UDP, KIND_NONIP = 1, 2, 3
_TCP_BITS = {"fin": 0, "syn": 1, "reset": 2, "push": 3, "ack": 4, "urg": 5, "ece": 6, "cwr": 7, "ns": 8}
PROTOCOLS = frozenset(["frame", "ip", "ipv6", "tcp", "udp", "arp"])
COLUMNS = frozenset(
    ["frame.number", "frame.len", "frame.cap_len", "ip.src", "ip.dst", "ip.addr", "ip.proto", "ip.len",
     "ip.ttl", "tcp.srcport", "tcp.dstport", "tcp.port", "tcp.len", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags",
     "tcp.hdr_len", "tcp.window_size_value", "udp.srcport", "udp.dstport", "udp.port", "udp.length"]
    + [f"tcp.flags.{b}" for b in _TCP_BITS])


class NotVector(Exception):
    """The filter uses something the columns cannot answer."""


class _Env:
    """One batch's columns, each field's (values per occurrence, presence) made once on first use."""

    def __init__(self, batch, c):
        self.batch = batch
        self.c = c
        self.n = len(batch)
        self.cache: dict[str, tuple[list[np.ndarray], np.ndarray]] = {}
        self._reversed: _Env | None = None

    def reversed(self) -> _Env:
        """The same frames seen from the other direction: source and destination addresses and ports
        swapped (everything else as it is)."""
        if self._reversed is None:
            from analyzer.columnar.headers import Columns

            c, r = self.c, Columns()
            for name in Columns.__slots__:
                if hasattr(c, name):
                    setattr(r, name, getattr(c, name))
            r.src_hi, r.src_lo, r.dst_hi, r.dst_lo = c.dst_hi, c.dst_lo, c.src_hi, c.src_lo
            r.sport, r.dport = c.dport, c.sport
            self._reversed = _Env(self.batch, r)
        return self._reversed

    def present(self, proto: str) -> np.ndarray:
        c = self.c
        ip = (c.kind == KIND_TCP) | (c.kind == KIND_UDP)
        if proto == "frame":
            return np.ones(self.n, dtype=bool)
        if proto == "ip":
            return ip & (c.ipver == 4)
        if proto == "ipv6":
            return ip & (c.ipver == 6)
        if proto == "tcp":
            return c.kind == KIND_TCP
        if proto == "udp":
            return c.kind == KIND_UDP
        return (c.kind == KIND_NONIP) & (c.ethertype == 0x0806)      # arp

    def field(self, name: str) -> tuple[list[np.ndarray], np.ndarray]:
        got = self.cache.get(name)
        if got is None:
            got = self.cache[name] = self._field(name)
        return got

    def _field(self, name: str) -> tuple[list[np.ndarray], np.ndarray]:
        b, c = self.batch, self.c
        proto, _, rest = name.partition(".")
        present = self.present(proto)
        if proto == "frame":
            values = {"number": np.arange(b.first_number, b.first_number + self.n, dtype=np.int64),
                      "len": b.origlen, "cap_len": b.caplen}[rest]
            return [values], present
        if proto == "ip":
            src, dst = c.src_lo.astype(np.int64), c.dst_lo.astype(np.int64)
            if rest in ("src", "dst", "addr"):
                return ({"src": [src], "dst": [dst], "addr": [src, dst]}[rest]), present
            if rest == "proto":
                return [c.proto], present
            if rest == "len":
                return [c.ip_end - c.l3], present
            return [_bytes_at(b.buf, c.l3 + 8)], present       # ttl
        if proto == "tcp" and rest.startswith("flags."):
            return [(c.flags >> _TCP_BITS[rest[6:]]) & 1], present
        ports = {"srcport": [c.sport], "dstport": [c.dport], "port": [c.sport, c.dport]}
        if rest in ports:
            return ports[rest], present
        if proto == "udp":      # length
            at = c.t + 4
            return [(_bytes_at(b.buf, at) << 8) | _bytes_at(b.buf, at + 1)], present
        values = {"len": c.payload_len, "seq_raw": c.seq, "ack_raw": c.ack, "flags": c.flags, "hdr_len": c.hdr_len,
                  "window_size_value": c.window}[rest]
        return [values], present


def _bytes_at(buf: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The bytes of ``buf`` at ``at`` (clipped), as int64. A batch whose frames kept no byte (caplen 0) has an
    empty buffer, which numpy cannot take from even clipped: zeros then (no frame has the layer: not present)."""
    if not len(buf):
        return np.zeros(len(at), dtype=np.int64)
    return buf.take(at, mode="clip").astype(np.int64)


Mask = Callable[[_Env], np.ndarray]


def _word_field(node) -> str:
    if not isinstance(node, Word) or not _fields.is_field(node.text):
        raise NotVector
    name = node.text
    if name not in COLUMNS and name not in PROTOCOLS:
        raise NotVector
    return name


def _value(kind: str, node, label: str, text: str):
    try:
        return literal(kind, node, label, lambda n: text[n.start:n.end])
    except LiteralError:
        raise NotVector from None


def _pred(op: str, value) -> Callable[[np.ndarray], np.ndarray]:
    if isinstance(value, Net):
        net, mask = value.network, value.mask
        inside = lambda v: (v & mask) == net
        if op == "eq":
            return inside
        return lambda v: ~inside(v)
    if not isinstance(value, int):
        raise NotVector
    return {"eq": lambda v: v == value, "ne": lambda v: v != value, "lt": lambda v: v < value,
            "le": lambda v: v <= value, "gt": lambda v: v > value, "ge": lambda v: v >= value}[op]


def _compile(node, text: str) -> Mask:
    if isinstance(node, Logic):
        # a chain of one operator (a or b or c ...) is combined in a loop, however long: no recursion per term
        masks = [_compile(term, text) for term in _chain(node)]
        op = node.op

        def combined(env):
            out = masks[0](env)
            for mask in masks[1:]:
                out = out & mask(env) if op == "and" else out | mask(env) if op == "or" else out ^ mask(env)
            return out
        return combined
    if isinstance(node, Not):
        t = _compile(node.test, text)
        return lambda env: ~t(env)
    if isinstance(node, Exists):
        name = _word_field(node.operand)
        if name in PROTOCOLS:
            return lambda env: env.present(name)
        return lambda env: env.field(name)[1]
    if isinstance(node, Compare):
        if node.quant is not None:
            raise NotVector
        left, right, op = node.left, node.right, node.op
        if isinstance(left, Word) and not _fields.is_field(left.text):
            left, right = right, left
            op = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}.get(op, op)
        name = _word_field(left)
        if name in PROTOCOLS or not isinstance(right, Word) or _fields.is_field(right.text):
            raise NotVector
        kind = _fields.lookup(name).kind
        if kind not in ("int", "bool", "ipv4"):
            raise NotVector
        value = _value(kind, right, name, text)
        if op == "any_eq":
            mode, pred = "any", _pred("eq", value)
        elif op == "all_ne":
            mode, pred = "none", _pred("eq", value)
        elif op == "all_eq":
            mode, pred = "all", _pred("eq", value)
        elif op == "any_ne":
            mode, pred = "any", _pred("ne", value)
        elif op in ("lt", "le", "gt", "ge"):
            if isinstance(value, Net):
                raise NotVector
            mode, pred = "any", _pred(op, value)
        else:
            raise NotVector
        return _quantified(name, mode, pred)
    if isinstance(node, Member):
        if node.quant is not None:
            raise NotVector
        name = _word_field(node.operand)
        if name in PROTOCOLS:
            raise NotVector
        kind = _fields.lookup(name).kind
        if kind not in ("int", "bool", "ipv4"):
            raise NotVector
        tests = []
        for element in node.elements:
            if isinstance(element, tuple):
                low, high = (_value(kind, e, name, text) for e in element)
                if not isinstance(low, int) or not isinstance(high, int):
                    raise NotVector
                tests.append(lambda v, lo=low, hi=high: (v >= lo) & (v <= hi))
            else:
                tests.append(_pred("eq", _value(kind, element, name, text)))

        def member(v, tests=tuple(tests)):
            out = np.zeros(len(v), dtype=bool)
            for t in tests:
                out |= t(v)
            return out

        m = _quantified(name, "any", member)
        if node.negated:
            return lambda env: ~m(env)
        return m
    raise NotVector


def _quantified(name: str, mode: str, pred) -> Mask:
    def mask(env: _Env) -> np.ndarray:
        values, present = env.field(name)
        hits = [pred(v) for v in values]
        if mode == "any":
            out = hits[0] if len(hits) == 1 else hits[0] | hits[1]
        elif mode == "all":
            out = hits[0] if len(hits) == 1 else hits[0] & hits[1]
        else:
            out = ~(hits[0] if len(hits) == 1 else hits[0] | hits[1])
        return out & present
    return mask


class VectorFilter:
    """``mask(batch, columns) -> (result, decided)``: boolean arrays over the batch's frames; ``result`` is
    meaningful where ``decided`` is true (the other frames need the per-packet filter)."""

    def __init__(self, text: str, fn: Mask):
        self.text = text
        self._fn = fn

    def mask(self, batch, c) -> tuple[np.ndarray, np.ndarray]:
        decided = c.kind != 0
        return self._fn(_Env(batch, c)) & decided, decided


def vector_filter(text: str) -> VectorFilter | None:
    """The filter as a :class:`VectorFilter`, or None when the columns cannot answer it. ``text`` must be a
    valid filter (compile it with :func:`analyzer.filter.compile_filter` first, which reports errors)."""
    try:
        return VectorFilter(text, _compile(parse(text), text))
    except (NotVector, KeyError):
        return None


# -- conversations a filter can never match ---------------------------------------------------------------
# Fields whose value is the same on every frame of one direction of a conversation (its addresses, ports and
# IP protocol), and the protocols whose presence is: a frame's other fields (lengths, flags, numbers) vary.
CONVERSATION_FIELDS = frozenset(["ip.src", "ip.dst", "ip.addr", "ip.proto", "tcp.srcport", "tcp.dstport",
                                 "tcp.port", "udp.srcport", "udp.dstport", "udp.port"])

Sure = Callable[[_Env, bool], tuple[np.ndarray, np.ndarray]]


class _Unknown(Exception):
    """A test the columns cannot evaluate at all: it is neither surely true nor surely false anywhere."""


def _atom(node, text: str) -> tuple[Sure, str]:
    """A test (no and/or/not) as (surely true, surely false) masks: from the columns when its field is one
    of the conversation's, else only where its field is absent (the test's value is then fixed); and the
    field's name."""
    try:
        fn = _compile(node, text)
    except (NotVector, KeyError):
        raise _Unknown from None
    name = _word_field(node.operand if isinstance(node, (Exists, Member)) else
                       node.left if isinstance(node.left, Word) and _fields.is_field(node.left.text) else node.right)
    proto = name.partition(".")[0]

    def sure(env: _Env, reverse: bool) -> tuple[np.ndarray, np.ndarray]:
        value = fn(env.reversed() if reverse else env)
        if name in CONVERSATION_FIELDS or name in PROTOCOLS:
            return value, ~value
        absent = ~env.present(proto)
        return value & absent, ~value & absent
    return sure, name


def _sure(node, text: str, known: list) -> Sure:
    """``node`` as (surely true, surely false) masks (Kleene's three-valued logic over the tests);
    ``known`` gets an entry for each test the columns evaluate."""
    if isinstance(node, Logic):
        parts = [_sure(term, text, known) for term in _chain(node)]
        op = node.op

        def combined(env: _Env, reverse: bool) -> tuple[np.ndarray, np.ndarray]:
            t, f = parts[0](env, reverse)
            for part in parts[1:]:
                t2, f2 = part(env, reverse)
                if op == "and":
                    t, f = t & t2, f | f2
                elif op == "or":
                    t, f = t | t2, f & f2
                else:       # xor
                    t, f = (t & f2) | (f & t2), (t & t2) | (f & f2)
            return t, f
        return combined
    if isinstance(node, Not):
        inner = _sure(node.test, text, known)

        def negated(env: _Env, reverse: bool) -> tuple[np.ndarray, np.ndarray]:
            t, f = inner(env, reverse)
            return f, t
        return negated
    try:
        atom, name = _atom(node, text)
        if name.partition(".")[0] != "frame":     # frame fields are never absent: never sure per conversation
            known.append(name)
        return atom
    except _Unknown:
        def unknown(env: _Env, reverse: bool) -> tuple[np.ndarray, np.ndarray]:
            none = np.zeros(env.n, dtype=bool)
            return none, none
        return unknown


class ConversationFilter:
    """``never(batch, columns)``: a boolean mask of the frames whose conversation (both directions of its
    addresses and ports, as the columns read them) the filter can match on no frame at all — whatever their
    lengths, flags or payloads. Sound, not complete: a frame it leaves out may still fail the filter."""

    def __init__(self, text: str, fn: Sure):
        self.text = text
        self._fn = fn

    def never(self, batch, c) -> np.ndarray:
        env = _Env(batch, c)
        decided = c.kind != 0
        _, forward = self._fn(env, False)
        if not forward.any():
            return forward
        _, backward = self._fn(env, True)
        return forward & backward & decided


def conversation_filter(text: str) -> ConversationFilter | None:
    """The filter as a :class:`ConversationFilter`, or None when no conversation can be ruled out from its
    addresses and ports (``http``, ``tcp.len > 0``: every TCP conversation might match). ``text`` must be a
    valid filter."""
    known: list = []
    fn = _sure(parse(text), text, known)
    return ConversationFilter(text, fn) if known else None
