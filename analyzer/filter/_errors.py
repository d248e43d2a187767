"""The one error a display filter can raise: what is wrong, and where."""

from __future__ import annotations


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
        text = self.text.replace("\t", " ").replace("\n", " ").replace("\r", " ")
        length = min(self.length, max(1, len(text) - self.position))
        caret = " " * self.position + "^" + "~" * (length - 1)
        return f"{self.message}\n{indent}{text}\n{indent}{caret}"
