"""Display-filter text -> tokens, each with its span in the text (for carets).

A *word* is a run of letters, digits and ``_ - . : /``: field names (``tcp.port``), numbers (``80``,
``0x12``), addresses (``10.0.0.0/8``, ``fe80::1``, ``00:11:22:33:44:55``) and byte strings (``aa:bb``)
are all words; the compiler decides which a word is once it knows the field on the other side, as Wireshark
does. ``..`` ends a word (``{1..1023}``). Keywords are lowercase only, as in Wireshark.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.filter._errors import FilterError

# Comparison operators, canonical names (Wireshark 4.0's: "==" is any_eq, "!=" is all_ne).
COMPARISONS = {
    "==": "any_eq", "eq": "any_eq", "any_eq": "any_eq",
    "!=": "all_ne", "ne": "all_ne", "all_ne": "all_ne",
    "===": "all_eq", "all_eq": "all_eq",
    "!==": "any_ne", "~=": "any_ne", "any_ne": "any_ne",
    "<": "lt", "lt": "lt", "<=": "le", "le": "le", ">": "gt", "gt": "gt", ">=": "ge", "ge": "ge",
    "contains": "contains", "matches": "matches", "~": "matches",
}
LOGICAL = {"and": "and", "&&": "and", "or": "or", "||": "or", "xor": "xor", "^^": "xor",
           "not": "not", "!": "not"}
KEYWORDS = {"in": "in", "any": "quant", "all": "quant"}
SYMBOLS = ("===", "!==", "==", "!=", "~=", "<=", ">=", "&&", "||", "^^", "..",
           "<", ">", "!", "~", "&", "(", ")", "{", "}", ",")
SYMBOL_KINDS = {"..": "..", "&": "&", "(": "(", ")": ")", "{": "{", "}": "}", ",": ","}
WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:/")
SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34, "'": 39,
                  "?": 63}
HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True, slots=True)
class Token:
    """``kind``: ``word``, ``string`` (value: bytes), ``char`` (value: int), ``cmp`` (value: canonical
    operator), ``and``/``or``/``xor``/``not``, ``in``, ``quant`` (value: any/all), ``slice`` (value: the
    text between the brackets), a punctuation mark (``( ) { } , .. &``) or ``end``."""

    kind: str
    text: str
    start: int
    end: int
    value: object = None


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c == '"' or (c == "r" and text.startswith('r"', i)):
            tok = _string(text, i)
        elif c == "'":
            tok = _char(text, i)
        elif c == "[":
            close = text.find("]", i + 1)
            if close < 0:
                raise FilterError('"[" has no matching "]".', text, i, 1)
            tok = Token("slice", text[i:close + 1], i, close + 1, text[i + 1:close])
        elif c in WORD_CHARS:
            j = i
            while j < n and text[j] in WORD_CHARS and not text.startswith("..", j):
                j += 1
            if j == i:      # ".." itself
                tok = Token("..", "..", i, i + 2)
            else:
                word = text[i:j]
                if word in COMPARISONS:
                    tok = Token("cmp", word, i, j, COMPARISONS[word])
                elif word in LOGICAL:
                    tok = Token(LOGICAL[word], word, i, j)
                elif word in KEYWORDS:
                    tok = Token(KEYWORDS[word], word, i, j, word)
                else:
                    tok = Token("word", word, i, j, word)
        else:
            for sym in SYMBOLS:
                if text.startswith(sym, i):
                    end = i + len(sym)
                    if sym in COMPARISONS:
                        tok = Token("cmp", sym, i, end, COMPARISONS[sym])
                    elif sym in LOGICAL:
                        tok = Token(LOGICAL[sym], sym, i, end)
                    else:
                        tok = Token(SYMBOL_KINDS[sym], sym, i, end)
                    break
            else:
                raise FilterError(f'"{c}" was unexpected in this context.', text, i, 1)
        tokens.append(tok)
        i = tok.end
    tokens.append(Token("end", "", n, n))
    return tokens


def _string(text: str, start: int) -> Token:
    """A double-quoted string (``r"..."``: raw, no escapes); its value is the bytes it stands for."""
    raw = text[start] == "r"
    i = start + (2 if raw else 1)
    out = bytearray()
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            return Token("string", text[start:i + 1], start, i + 1, bytes(out))
        if c == "\\":
            if raw:
                out += b"\\"
                if i + 1 < n:   # a raw string still cannot hold a bare quote: \" is both characters
                    out += _utf8(text, i + 1)
                i += 2
                continue
            i = _escape(text, i, out)
            continue
        out += _utf8(text, i)
        i += 1
    raise FilterError("The string literal is not terminated (no closing \").", text, start, n - start)


def _utf8(text: str, i: int) -> bytes:
    """The bytes of the character at ``text[i]``. A filter given on a command line that was not valid UTF-8
    arrives with each bad byte as a lone surrogate (Python's ``surrogateescape``): it stands for that byte.
    Any other lone surrogate is no character at all."""
    try:
        return text[i].encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise FilterError(f"\\u{ord(text[i]):04x} is not a valid character.", text, i, 1) from None


def _escape(text: str, i: int, out: bytearray) -> int:
    """Append the escape sequence at ``text[i]`` (a backslash) to ``out``; the index after it."""
    n = len(text)
    if i + 1 >= n:
        raise FilterError("\\ is not a valid character escape sequence", text, i, 1)
    e = text[i + 1]
    if e in SIMPLE_ESCAPES:
        out.append(SIMPLE_ESCAPES[e])
        return i + 2
    if e == "x":
        j = i + 2
        while j < n and j < i + 4 and text[j] in HEX:
            j += 1
        if j == i + 2:
            raise FilterError("\\x is not a valid character escape sequence", text, i, 2)
        out.append(int(text[i + 2:j], 16))
        return j
    if e in "01234567":
        j = i + 1
        while j < n and j < i + 4 and text[j] in "01234567":
            j += 1
        value = int(text[i + 1:j], 8)
        if value > 255:
            raise FilterError(f"\\{text[i + 1:j]} is not a valid octal escape (more than 255)", text, i, j - i)
        out.append(value)
        return j
    if e in "uU":
        width = 4 if e == "u" else 8
        digits = text[i + 2:i + 2 + width]
        if len(digits) != width or any(d not in HEX for d in digits) or int(digits, 16) > 0x10FFFF \
                or 0xD800 <= int(digits, 16) <= 0xDFFF:
            raise FilterError(f"\\{e}{digits} is not a valid universal character name", text, i,
                              2 + len(digits))
        out += chr(int(digits, 16)).encode("utf-8")
        return i + 2 + width
    raise FilterError(f"\\{e} is not a valid character escape sequence", text, i, 2)


def _char(text: str, start: int) -> Token:
    """A character constant: ``'a'``, ``'\\n'``, ``'\\x41'``; its value is the byte."""
    out = bytearray()
    i = start + 1
    if i < len(text) and text[i] == "\\":
        i = _escape(text, i, out)
    elif i < len(text):
        out += _utf8(text, i)
        i += 1
    if i >= len(text) or text[i] != "'" or len(out) != 1:
        end = text.find("'", start + 1)
        end = len(text) if end < 0 else end + 1
        raise FilterError(f"{text[start:end]} is not a valid character constant.", text, start, end - start)
    return Token("char", text[start:i + 1], start, i + 1, out[0])
