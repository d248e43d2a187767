"""The one error a display filter can raise: what is wrong, and where."""

from __future__ import annotations

import re

# Shown escaped in the rendered filter, so the caret line stays aligned and a terminal is never driven by
# the filter's text: controls, DEL, C1, lone surrogates (bytes that were not UTF-8), bidi controls.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _shown(text: str) -> str:
    def esc(m: re.Match) -> str:
        code = ord(m.group())
        if code in (9, 10, 13):
            return " "
        if 0xDC80 <= code <= 0xDCFF:
            return f"\\x{code - 0xDC00:02x}"
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    return _UNSAFE.sub(esc, text)


class FilterError(Exception):
    """A display filter that cannot be compiled.

    ``message`` says what is wrong in Wireshark's words where Wireshark has them; ``text`` is the filter,
    ``position`` the offset of the offending token in it (``len(text)`` when the filter ended too soon) and
    ``length`` that token's length. ``str()`` is the message; :meth:`render` adds the filter and a caret
    line under the token, as tshark prints it.
    """

    def __init__(self, message: str, text: str = "", position: int = 0, length: int = 1):
        super().__init__(message)
        self.message = message
        self.text = text
        self.position = max(0, min(position, len(text)))
        self.length = max(1, length)

    def __str__(self) -> str:
        return self.message

    def render(self, indent: str = "    ") -> str:
        """The message, the filter, and ``^~~~`` under the offending token (three lines)."""
        before = _shown(self.text[:self.position])
        token = _shown(self.text[self.position:self.position + self.length])
        text = before + token + _shown(self.text[self.position + self.length:])
        caret = " " * len(before) + "^" + "~" * (max(1, len(token)) - 1)
        return f"{_shown(self.message)}\n{indent}{text}\n{indent}{caret}"
