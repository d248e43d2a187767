"""Syntax tree -> one Python function, generated as source and compiled once.

Theory of operation
-------------------
:func:`compile_filter` parses the text, checks every name against the field table and every literal against
the kind of the field it is compared with (so a bad filter fails before any packet is read), and writes the
whole expression as the body of ``def _match(pkt)``. Constants (converted literals, compiled regexes, sets)
are bound in the function's globals as ``_k0``, ``_k1``...; the helpers of :mod:`analyzer.filter._runtime`
are there too. Matching a packet is then one call of a plain Python function: no tree walk, no parsing.

Per comparison the generated code reads the field once (``f.get(name)``, ``f`` being ``pkt.fields``), and for
the common case (an integer, boolean or string field that occurs once) compares it inline; several
occurrences, hex text (``"0x0012"``) and the other kinds go through one helper call that converts each
occurrence and applies the predicate with Wireshark's quantifier (any / all / none).

Semantics are Wireshark 4.0's: ``==`` any occurrence equal; ``!=`` all not equal (the field must be there:
``ip.src != 1.2.3.4`` does not match ARP); ``~=``/``!==`` any not equal; ``===`` all equal; ``<``... any;
``contains`` and ``matches`` (case-insensitive regular expression, ``(?-i)`` turns that off) any;
``x in {...}`` any; ``not x in {...}`` and ``x not in {...}`` are the negation (true without the field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer.filter import _fields
from analyzer.filter._errors import FilterError
from analyzer.filter._fields import BOTH_DIRECTIONS, PAYLOAD_FIELDS, TCP_OPTIONS, UnknownField
from analyzer.filter._parser import (
    BitAnd,
    Call,
    Char,
    Compare,
    Exists,
    Logic,
    Member,
    Not,
    Slice,
    Str,
    Word,
    parse,
)
from analyzer.filter._runtime import NAMESPACE, Members
from analyzer.filter._values import KIND_NAMES, LiteralError, Net, literal

OP_TEXT = {"any_eq": "==", "all_ne": "!=", "all_eq": "===", "any_ne": "!==", "lt": "<", "le": "<=",
           "gt": ">", "ge": ">=", "contains": "contains", "matches": "matches"}
SWAPPED = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}
ORDER_PRED = {"lt": "_lt", "le": "_le", "gt": "_gt", "ge": "_ge"}
INLINE_OP = {"_eq": "==", "_ne": "!=", "_lt": "<", "_le": "<=", "_gt": ">", "_ge": ">="}
BYTES_LIKE = ("bytes", "ether", "proto")
CONTAINS_KINDS = ("string", "bytes", "ether", "proto")
MATCHES_KINDS = ("string", "bytes", "proto")
_SLICE_LEN = re.compile(r"^\s*(-?\d+)?\s*:\s*(\d+)?\s*$")
_SLICE_TO = re.compile(r"^\s*(-?\d+)\s*-\s*(-?\d+)\s*$")
_SLICE_ONE = re.compile(r"^\s*(-?\d+)\s*$")


@dataclass(frozen=True, slots=True)
class Operand:
    """Code giving a value as found (None, one value, or a list), its kind and its conversion."""
    code: str
    kind: str
    conv: str | None        # name of the conversion in the namespace, None when already comparable
    label: str              # for messages: the field name or the expression
    node: object
    plain: bool             # a field read straight from Packet.fields (the inline fast path applies)


class _Compiler:
    def __init__(self, text: str):
        self.text = text
        self.namespace = dict(NAMESPACE, _odd=_odd)
        self.n_const = 0
        self.n_var = 0
        self.fields: set[str] = set()
        self.unproduced: set[str] = set()

    # -- helpers -------------------------------------------------------------------------------------------
    def error(self, message: str, node) -> FilterError:
        return FilterError(message, self.text, node.start, node.end - node.start)

    def const(self, value) -> str:
        name = f"_k{self.n_const}"
        self.n_const += 1
        self.namespace[name] = value
        return name

    def var(self) -> str:
        self.n_var += 1
        return f"_v{self.n_var}"

    def written(self, node) -> str:
        return self.text[node.start:node.end]

    # -- the whole filter ----------------------------------------------------------------------------------
    def compile(self):
        tree = parse(self.text)
        body = self.test(tree)
        # the flat field dict only when a field is read (``tcp`` alone looks at the layers)
        prologue = "    f = pkt.fields\n" if re.search(r"\bf\b", body) else ""
        source = f"def _match(pkt):\n{prologue}    return {body}\n"
        try:
            code = compile(source, "<display filter>", "exec")
        except (SyntaxError, RecursionError, MemoryError):
            # The parser's depth bound keeps generated code far from Python's own limits; this is the net
            # behind it, so that no filter ever escapes as anything but a FilterError.
            raise FilterError("The filter is too complex to compile.", self.text, 0, len(self.text)) from None
        exec(code, self.namespace)      # noqa: S102 - our own generated code, from a checked tree
        fn = self.namespace["_match"]
        return fn, source

    # -- tests ---------------------------------------------------------------------------------------------
    def test(self, node) -> str:
        if isinstance(node, Logic):
            # A chain of one operator is written flat, (a or b or c ...), however long: no recursion per
            # term here, nor in Python's compiler.
            terms = [self.test(term) for term in _chain(node)]
            if node.op == "xor":
                if len(terms) == 2:
                    return f"({terms[0]} != {terms[1]})"
                return f"_odd(({', '.join(terms)},))"
            return "(" + f" {node.op} ".join(terms) + ")"
        if isinstance(node, Not):
            return f"(not {self.test(node.test)})"
        if isinstance(node, Exists):
            return self.exists(node.operand)
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, Member):
            return self.member(node)
        raise AssertionError(f"unknown node {node!r}")

    def exists(self, node) -> str:
        if isinstance(node, Word):
            info = self.field(node)
            if info.access == "field":
                return f"({info.name!r} in f)"
            if info.access == "both":
                src, dst = BOTH_DIRECTIONS[info.name]
                return f"({info.name!r} in f or {src!r} in f or {dst!r} in f)"
            if info.access == "payload":
                return f"(_payload(pkt, f, {info.name!r}, {PAYLOAD_FIELDS[info.name]!r}) is not None)"
            if info.access == "tcpopt":
                return f"(_tcp_options(f, {self.const(TCP_OPTIONS[info.name])}) is not None)"
            if info.access == "label":
                return f"(_label(f, {info.name!r}) is not None)"
            if info.access == "computed":
                return f"(_computed(pkt, {info.name!r}) is not None)"
            if "." in info.name:        # a sub-protocol kept as a field (tcp.options.mss) or a layer
                return f"({info.name!r} in f or _has_layer(pkt.layers, {info.name!r}))"
            return f"_has_layer(pkt.layers, {info.name!r})"
        if isinstance(node, BitAnd):
            operand = self.operand(node, required=True)
            return f"_any({operand.code}, None, _nonzero, None)"
        if isinstance(node, Slice):
            operand = self.operand(node, required=True)
            return f"_present({operand.code})"
        if isinstance(node, Call):
            raise self.error(f"{node.name}() gives a value, not a test: compare it (like "
                             f"{node.name}(...) > 0).", node)
        raise self.error(f"{self.written(node)} is a value, not a test: compare a field with it.", node)

    def field(self, word: Word) -> _fields.FieldInfo:
        try:
            info = _fields.lookup(word.text)
        except UnknownField as exc:
            raise self.error(str(exc), word) from None
        self.fields.add(info.name)
        if not info.produced:
            self.unproduced.add(info.name)
        return info

    # -- operands ------------------------------------------------------------------------------------------
    def is_literal(self, node) -> bool:
        if isinstance(node, (Str, Char)):
            return True
        return isinstance(node, Word) and not _fields.is_field(node.text)

    def operand(self, node, required: bool = False) -> Operand:
        """The code for a field, slice, function or bitwise and (not a literal)."""
        if isinstance(node, Word):
            info = self.field(node)
            if info.access == "field":
                code = f"f.get({info.name!r})"
            elif info.access == "both":
                src, dst = BOTH_DIRECTIONS[info.name]
                code = f"_both(f, {info.name!r}, {src!r}, {dst!r})"
            elif info.access == "payload":
                code = f"_payload(pkt, f, {info.name!r}, {PAYLOAD_FIELDS[info.name]!r})"
            elif info.access == "tcpopt":
                code = f"_tcp_options(f, {self.const(TCP_OPTIONS[info.name])})"
            elif info.access == "label":
                code = f"_label(f, {info.name!r})"
            elif info.access == "computed":
                code = f"_computed(pkt, {info.name!r})"
            else:
                code = f"_proto_bytes(pkt, f, {info.name!r})"
            conv = None if info.kind == "none" else f"_to_{info.kind}"
            return Operand(code, info.kind, conv, info.name, node, info.access == "field")
        if isinstance(node, Slice):
            inner = self.operand(node.operand, required=True)
            if inner.kind not in ("string", *BYTES_LIKE):
                raise self.error(f"{inner.label} (type={KIND_NAMES[inner.kind]}) cannot be sliced.",
                                 node.operand)
            ranges = self.slice_ranges(node)
            as_text = inner.kind == "string"
            code = f"_slice({inner.code}, {inner.conv}, {self.const(ranges)}, {as_text})"
            return Operand(code, "string" if as_text else "bytes", None, self.written(node), node, False)
        if isinstance(node, Call):
            inner = self.operand(node.arg, required=True)
            if node.name == "count":
                if not isinstance(node.arg, Word):
                    raise self.error("count() takes a field.", node.arg)
                return Operand(f"_count({inner.code})", "int", None, self.written(node), node, False)
            if node.name == "len":
                if inner.kind not in ("string", *BYTES_LIKE):
                    raise self.error(f"len() takes a string or bytes field, and {inner.label} is "
                                     f"{KIND_NAMES[inner.kind]}.", node.arg)
                return Operand(f"_apply({inner.code}, {inner.conv}, len)", "int", None, self.written(node),
                               node, False)
            if inner.kind != "string":
                raise self.error(f"{node.name}() takes a string field, and {inner.label} is "
                                 f"{KIND_NAMES[inner.kind]}.", node.arg)
            fn = self.const(str.upper if node.name == "upper" else str.lower)
            return Operand(f"_apply({inner.code}, {inner.conv}, {fn})", "string", None, self.written(node),
                           node, False)
        if isinstance(node, BitAnd):
            inner = self.operand(node.operand, required=True)
            if inner.kind not in ("int", "bool"):
                raise self.error(f"{inner.label} (type={KIND_NAMES[inner.kind]}) cannot be used with &.",
                                 node.operand)
            if not self.is_literal(node.mask):
                raise self.error("The right side of & must be a number.", node.mask)
            mask = self.literal("int", node.mask, inner.label)
            code = f"_band({inner.code}, {inner.conv}, {self.const(mask)})"
            return Operand(code, "int", None, self.written(node), node, False)
        if required:
            raise self.error(f"{self.written(node)} is a value, where a field was expected.", node)
        raise AssertionError(node)

    def slice_ranges(self, node: Slice) -> tuple:
        ranges = []
        offset = node.spec_start
        for part in node.spec.split(","):
            m = _SLICE_LEN.match(part)
            if m and (m[1] is not None or m[2] is not None):
                ranges.append(("len", int(m[1] or 0), None if m[2] is None else int(m[2])))
            elif _SLICE_TO.match(part):
                m = _SLICE_TO.match(part)
                ranges.append(("to", int(m[1]), int(m[2])))
            elif _SLICE_ONE.match(part):
                ranges.append(("one", int(part), None))
            else:
                raise FilterError(f'"{part.strip()}" is not a valid slice (use [i:len], [i-j], [i], [i:] or '
                                  f'[:len]).', self.text, offset, max(1, len(part)))
            offset += len(part) + 1
        return tuple(ranges)

    def literal(self, kind: str, node, label: str):
        if not isinstance(node, (Word, Str, Char)):
            raise self.error(f"{self.written(node)} must be a value here.", node)
        try:
            return literal(kind, node, label, self.written)
        except LiteralError as exc:
            raise self.error(str(exc), node) from None

    # -- comparisons ---------------------------------------------------------------------------------------
    def compare(self, node: Compare) -> str:
        op = node.op
        left_lit, right_lit = self.is_literal(node.left), self.is_literal(node.right)
        left, right = node.left, node.right
        if left_lit and right_lit:
            if isinstance(left, Word):
                self.field(left)          # raises: the word is meant as a field
            raise self.error("Constant expression is invalid: one side of a comparison must be a field.",
                             node)
        if left_lit:
            if op in ("contains", "matches"):
                raise self.error(f'The left side of "{OP_TEXT[op]}" must be a field.', left)
            left, right = right, left
            op = SWAPPED.get(op, op)
            right_lit = True
        a = self.operand(left, required=True)
        op_text = self.text[node.op_start:node.op_end]
        if a.kind == "none":
            raise self.error(f"{a.label} (type=Label) cannot participate in {op_text} comparison.", left)
        if op == "contains" and a.kind not in CONTAINS_KINDS or op == "matches" and a.kind not in MATCHES_KINDS:
            raise self.error(f"{a.label} (type={KIND_NAMES[a.kind]}) cannot participate in {op_text} "
                             f"comparison.", left)
        mode, pred = self.mode(op, node.quant)
        if not right_lit:
            return self.compare_fields(a, self.operand(right, required=True), op, mode, pred, node)
        if op == "matches":
            value = self.regex(a.kind, right)
            pred = "_matches"
        elif op == "contains":
            value = self.literal("bytes" if a.kind in BYTES_LIKE else "string", right, a.label)
        else:
            value = self.literal(a.kind, right, a.label)
        if isinstance(value, Net):
            if op not in ("any_eq", "all_ne", "all_eq", "any_ne"):
                raise self.error(f'A network ({self.written(right)}) can only be tested with ==, !=, === or '
                                 f'~=.', right)
            pred = "_in_net" if pred == "_eq" else "_not_in_net"
        k = self.const(value)
        return self.emit(a, mode, pred, k)

    @staticmethod
    def mode(op: str, quant: str | None) -> tuple[str, str]:
        """(quantifier mode, predicate) for an operator: ``!=`` is "none equal", ``===`` "all equal"."""
        if op == "any_eq":
            return ("all" if quant == "all" else "any"), "_eq"
        if op == "all_ne":
            return ("any", "_ne") if quant == "any" else ("none", "_eq")
        if op == "all_eq":
            return "all", "_eq"
        if op == "any_ne":
            return ("all" if quant == "all" else "any"), "_ne"
        if op in ORDER_PRED:
            return ("all" if quant == "all" else "any"), ORDER_PRED[op]
        return ("all" if quant == "all" else "any"), ("_contains" if op == "contains" else "_matches")

    def emit(self, a: Operand, mode: str, pred: str, k: str) -> str:
        helper = {"any": "_any", "all": "_all", "none": "_none"}[mode]
        generic = f"{helper}({{v}}, {a.conv}, {pred}, {k})"
        if a.plain and mode == "any":
            v = self.var()
            inline = None
            if a.kind == "int" and pred in INLINE_OP:
                inline, guard = f"{v} {INLINE_OP[pred]} {k}", "int"
            elif a.kind == "bool" and pred in INLINE_OP:
                inline, guard = f"({v} != 0) {INLINE_OP[pred]} {k}", "int"
            elif a.kind == "string" and pred in INLINE_OP:
                inline, guard = f"{v} {INLINE_OP[pred]} {k}", "str"
            elif a.kind == "string" and pred == "_contains":
                inline, guard = f"{k} in {v}", "str"
            elif a.kind == "string" and pred == "_matches":
                inline, guard = f"{k}({v}) is not None", "str"
            if inline is not None:
                return f"({inline} if type({v} := {a.code}) is {guard} else {generic.format(v=v)})"
        return generic.format(v=a.code)

    def compare_fields(self, a: Operand, b: Operand, op: str, mode: str, pred: str, node: Compare) -> str:
        if op == "matches":
            raise self.error("The right side of matches must be a string.", node.right)
        if b.kind == "none":
            raise self.error(f"{b.label} (type=Label) cannot participate in a comparison.", node.right)
        if not _compatible(a.kind, b.kind):
            raise self.error(f"{a.label} and {b.label} are not of compatible types.", node.right)
        helper = {"any": "_any2", "all": "_all2", "none": "_none2"}[mode]
        return f"{helper}({a.code}, {a.conv}, {b.code}, {b.conv}, {pred})"

    def regex(self, kind: str, node):
        """The search function of a ``matches`` pattern. Patterns run on RE2 (``google-re2``), whose matching
        time is linear in the length of the value whatever the pattern: no filter can make the analyzer
        backtrack for ever on a crafted packet (Python's ``re`` and Wireshark's PCRE2 can). What RE2 does not
        have (backreferences, lookaround, possessive quantifiers) is a FilterError saying so."""
        if isinstance(node, Str):
            raw = node.value
        elif isinstance(node, Word):
            raw = node.text.encode("utf-8")
        else:
            raise self.error("matches needs a regular expression in a string.", node)
        import re2  # (here: only a filter with matches needs it)

        opts = re2.Options()
        opts.log_errors = False
        opts.never_capture = True       # a yes/no answer: RE2's DFA, no per-group bookkeeping per byte
        opts.case_sensitive = False
        if raw.startswith(b"(?-i)"):
            raw, opts.case_sensitive = raw[5:], True
        if kind != "string":
            opts.encoding = re2.Options.Encoding.LATIN1      # a byte value: each byte one character
        try:
            search = re2.compile(raw, opts).search
        except re2.error as exc:
            why = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) \
                else str(exc)
            hint = ""
            if "invalid escape sequence: \\" in why and why[-1:].isdigit() or "perl operator" in why:
                hint = (" (backreferences and lookaround are not supported: regular expressions run in linear "
                        "time here, on RE2)")
            raise self.error(f"{self.written(node)} is not a valid regular expression: {why}{hint}.",
                             node) from None
        if kind == "string":
            # string values are text; RE2 reads UTF-8 (a value's undecodable bytes as they came)
            return lambda value: search(value.encode("utf-8", "surrogateescape"))
        return search

    # -- membership ----------------------------------------------------------------------------------------
    def member(self, node: Member) -> str:
        a = self.operand(node.operand, required=True)
        if a.kind == "none":
            raise self.error(f"{a.label} (type=Label) cannot participate in a membership test.", node.operand)
        values, ranges, nets = set(), [], []
        for element in node.elements:
            if isinstance(element, tuple):
                low = self.literal(a.kind, element[0], a.label)
                high = self.literal(a.kind, element[1], a.label)
                for value, where in ((low, element[0]), (high, element[1])):
                    if isinstance(value, Net):
                        raise self.error("A network cannot be the end of a range.", where)
                ranges.append((low, high))
            else:
                value = self.literal(a.kind, element, a.label)
                if isinstance(value, Net):
                    nets.append(value)
                else:
                    values.add(value)
        k = self.const(Members(frozenset(values), tuple(ranges), tuple(nets)))
        mode = "all" if node.quant == "all" else "any"
        if a.plain and mode == "any" and a.kind == "int" and not ranges and not nets:
            v = self.var()
            fast = self.const(frozenset(values))
            test = f"({v} in {fast} if type({v} := {a.code}) is int else _any({v}, {a.conv}, _member, {k}))"
        else:
            test = f"{'_all' if mode == 'all' else '_any'}({a.code}, {a.conv}, _member, {k})"
        return f"(not {test})" if node.negated else test


def _odd(terms: tuple) -> bool:
    """``a xor b xor c ...``: true when an odd number of the terms are."""
    return sum(map(bool, terms)) % 2 == 1


def _chain(node: Logic) -> list:
    """The terms of a chain of one logical operator (``a or b or (c or d)``), left to right, found without
    recursion."""
    terms, stack = [], [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Logic) and n.op == node.op:
            stack.append(n.right)
            stack.append(n.left)
        else:
            terms.append(n)
    return terms


def _compatible(a: str, b: str) -> bool:
    if a == b:
        return True
    groups = ({"int", "bool"}, set(BYTES_LIKE))
    return any(a in g and b in g for g in groups)


def compile_tree(text: str):
    """(function, generated source, field names used, fields the analyzer never produces)."""
    compiler = _Compiler(text)
    fn, source = compiler.compile()
    return fn, source, frozenset(compiler.fields), frozenset(compiler.unproduced)
