"""Tokens -> syntax tree, by recursive descent.

Precedence, loosest first (Wireshark's grammar): ``or``, ``xor``, ``and``, ``not``; then one test: a
field or protocol alone (presence), a comparison, or a membership test. Words stay unresolved here (``Word``):
whether ``ip`` is a protocol or ``10.0.0.1`` an address is the compiler's business.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.filter._errors import FilterError
from analyzer.filter._lexer import Token, tokenize

FUNCTIONS = ("len", "count", "upper", "lower")
# Parentheses, "not"s, function calls and slices nest at most this deep. Real filters stay under ten
# levels; the bound keeps the parser, the compiler and the generated Python (whose own parser refuses 200
# nested parentheses) far from their recursion limits, so a deeper filter is a FilterError like any other.
MAX_DEPTH = 50


# -- values (operands) -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Word:
    """An unquoted word: a field or protocol name, or a literal (number, address, bytes, bare string)."""
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Str:
    """A quoted string; ``value`` is its bytes (escapes applied)."""
    value: bytes
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Char:
    """A character constant ``'a'``; ``value`` is its byte value."""
    value: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Call:
    """``len(x)``, ``count(x)``, ``upper(x)``, ``lower(x)``."""
    name: str
    arg: object
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Slice:
    """``x[i:j]`` and friends; ``spec`` is the text between the brackets."""
    operand: object
    spec: str
    start: int
    end: int
    spec_start: int


@dataclass(frozen=True, slots=True)
class BitAnd:
    """``x & mask``: the bits of an integer field."""
    operand: object
    mask: object
    start: int
    end: int


# -- tests -------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Exists:
    operand: object
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Compare:
    """``left OP right``; ``op`` is the canonical name (any_eq, all_ne, all_eq, any_ne, lt, le, gt, ge,
    contains, matches); ``quant`` is "any", "all" or None (Wireshark's default, any)."""
    op: str
    left: object
    right: object
    quant: str | None
    start: int
    end: int
    op_start: int
    op_end: int


@dataclass(frozen=True, slots=True)
class Member:
    """``x in {a, b, c..d}``; ``elements`` holds values and (low, high) pairs."""
    operand: object
    elements: tuple
    negated: bool
    quant: str | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Not:
    test: object
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Logic:
    """``and``, ``or`` or ``xor`` of two tests."""
    op: str
    left: object
    right: object
    start: int
    end: int


def parse(text: str):
    """The syntax tree of a display filter; FilterError with the position of the first problem."""
    if not text.strip():
        raise FilterError("The filter is empty.", text, 0, 1)
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    # -- helpers -------------------------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def enter(self, tok: Token) -> None:
        """One level deeper (a parenthesis, "not", function call or slice at ``tok``)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FilterError(f"The filter nests more than {MAX_DEPTH} levels deep (parentheses, not, "
                              f"functions, slices).", self.text, tok.start, tok.end - tok.start)

    def unexpected(self, tok: Token, hint: str = "") -> FilterError:
        if tok.kind == "end":
            return FilterError("Unexpected end of filter expression." + hint, self.text, len(self.text), 1)
        return FilterError(f'"{tok.text}" was unexpected in this context.{hint}', self.text, tok.start,
                           tok.end - tok.start)

    # -- grammar -------------------------------------------------------------------------------------------
    def parse(self):
        tree = self.or_test()
        tok = self.tok
        if tok.kind != "end":
            raise self.unexpected(tok)
        return tree

    def _binary(self, kind: str, operand):
        left = operand()
        while self.tok.kind == kind:
            self.take()
            right = operand()
            left = Logic(kind, left, right, left.start, right.end)
        return left

    def or_test(self):
        return self._binary("or", self.xor_test)

    def xor_test(self):
        return self._binary("xor", self.and_test)

    def and_test(self):
        return self._binary("and", self.not_test)

    def not_test(self):
        if self.tok.kind == "not":
            self.enter(self.tok)
            start = self.take().start
            inner = self.not_test()
            self.depth -= 1
            return Not(inner, start, inner.end)
        return self.test()

    def test(self):
        tok = self.tok
        if tok.kind == "(":
            self.enter(tok)
            self.take()
            inner = self.or_test()
            close = self.tok
            if close.kind != ")":
                if close.kind == "end":
                    raise FilterError('"(" has no matching ")".', self.text, tok.start, 1)
                raise self.unexpected(close, ' (expected ")")')
            self.take()
            self.depth -= 1
            return inner
        quant = None
        if tok.kind == "quant":
            quant = self.take().value
        left = self.operand()
        nxt = self.tok
        if nxt.kind == "cmp":
            op = self.take()
            if self.tok.kind in ("end", "and", "or", "xor", ")", "cmp", "in"):
                raise self.unexpected(self.tok, f' A value is missing after "{op.text}".')
            right = self.operand()
            return Compare(op.value, left, right, quant, left.start, right.end, op.start, op.end)
        if nxt.kind == "in" or (nxt.kind == "not" and self.peek().kind == "in"):
            negated = nxt.kind == "not"
            if negated:
                self.take()
            self.take()
            elements, end = self.set_body()
            return Member(left, elements, negated, quant, left.start, end)
        if quant is not None:
            raise self.unexpected(nxt, f' "{quant}" needs a comparison after its operand.')
        return Exists(left, left.start, left.end)

    def operand(self):
        depth = self.depth
        value = self.atom()
        while self.tok.kind == "slice":
            self.enter(self.tok)
            tok = self.take()
            value = Slice(value, tok.value, value.start, tok.end, tok.start + 1)
        if self.tok.kind == "&":
            self.take()
            mask = self.atom()
            value = BitAnd(value, mask, value.start, mask.end)
        self.depth = depth
        return value

    def atom(self):
        tok = self.tok
        if tok.kind == "word":
            self.take()
            if self.tok.kind == "(" and tok.text in FUNCTIONS:
                self.enter(tok)
                self.take()
                arg = self.operand()
                close = self.tok
                if close.kind != ")":
                    raise self.unexpected(close, f' (expected ")" to close {tok.text}())')
                self.take()
                self.depth -= 1
                return Call(tok.text, arg, tok.start, close.end)
            if self.tok.kind == "(":
                raise FilterError(f'"{tok.text}" is not a function this filter language knows '
                                  f'(functions: {", ".join(FUNCTIONS)}).', self.text, tok.start,
                                  tok.end - tok.start)
            return Word(tok.text, tok.start, tok.end)
        if tok.kind == "string":
            self.take()
            return Str(tok.value, tok.start, tok.end)
        if tok.kind == "char":
            self.take()
            return Char(tok.value, tok.start, tok.end)
        raise self.unexpected(tok)

    def set_body(self) -> tuple[tuple, int]:
        """``{a, b, c..d}`` (commas, or Wireshark 3's spaces, between elements)."""
        tok = self.tok
        if tok.kind != "{":
            raise self.unexpected(tok, ' (expected "{" to start the set)')
        self.take()
        elements = []
        while True:
            if self.tok.kind == "}":
                if not elements or self.tokens[self.i - 1].kind == ",":
                    raise self.unexpected(self.tok, " (a value is missing in the set)")
                end = self.take().end
                return tuple(elements), end
            if self.tok.kind == "end":
                raise FilterError('"{" has no matching "}".', self.text, tok.start, 1)
            low = self.atom()
            if self.tok.kind == "..":
                self.take()
                high = self.atom()
                elements.append((low, high))
            else:
                elements.append(low)
            if self.tok.kind == ",":
                self.take()
