"""``-T fields`` output, as tshark prints it: one line per frame, the ``-e`` fields' values in order.

Values are the packets' field values as ``tshark -T fields`` text (:func:`analyzer.verify.tshark_text`);
a field that occurs several times in a frame prints all its occurrences joined by the aggregator (or only
the first or last, ``-E occurrence=f|l``); a field absent from a frame prints nothing. ``-E`` options as
tshark takes them: ``header=y|n``, ``separator=/t|/s|<char>``, ``aggregator=,|/s|<char>``,
``occurrence=f|l|a``, ``quote=d|s|n``. Builders only: the CLI prints.
"""

from __future__ import annotations

from typing import Any

from analyzer.verify import CHECKSUM_STATUS, tshark_text


class FieldsError(ValueError):
    """A ``-e``/``-E`` argument tshark would refuse too; the message says which."""


def _char(value: str, what: str) -> str:
    if value == "/t":
        return "\t"
    if value == "/s":
        return " "
    if len(value) != 1:
        raise FieldsError(f"-E {what}={value}: give one character, /t (tab) or /s (space)")
    return value


class FieldsFormat:
    """The ``-e`` names and ``-E`` options of one ``read -T fields`` run."""

    def __init__(self, names: list[str], options: list[str] = ()):
        from analyzer.filter._fields import COMPUTED, LABELS, is_field, lookup

        if not names:
            raise FieldsError("-T fields needs at least one field (-e NAME)")
        bad = [n for n in names if not is_field(n)]
        if bad:
            raise FieldsError("some fields aren't valid: " + ", ".join(bad))
        self.names = list(names)
        # Wireshark fields the analyzer never puts on a packet: their columns stay empty (the CLI warns, as -Y does)
        self.unproduced = [n for n in dict.fromkeys(names) if not lookup(n).produced]
        # labels (tls.handshake, tcp.analysis ...): told by the fields under them, 1 per occurrence as tshark prints
        self.labels = frozenset(n for n in names if n in LABELS)
        # fields made from the whole packet (frame.protocols): line() is then given the packet
        self.computed = frozenset(n for n in names if n in COMPUTED)
        self.header = False
        self.separator = "\t"
        self.aggregator = ","
        self.occurrence = "a"
        self.quote = ""
        for opt in options:
            key, eq, value = opt.partition("=")
            if not eq:
                raise FieldsError(f"-E {opt}: expected KEY=VALUE")
            if key == "header":
                if value not in ("y", "n"):
                    raise FieldsError(f"-E header={value}: y or n")
                self.header = value == "y"
            elif key == "separator":
                self.separator = _char(value, key)
            elif key == "aggregator":
                self.aggregator = _char(value, key)
            elif key == "occurrence":
                if value not in ("f", "l", "a"):
                    raise FieldsError(f"-E occurrence={value}: f (first), l (last) or a (all)")
                self.occurrence = value
            elif key == "quote":
                if value not in ("d", "s", "n"):
                    raise FieldsError(f"-E quote={value}: d (double), s (single) or n (none)")
                self.quote = {"d": '"', "s": "'", "n": ""}[value]
            else:
                raise FieldsError(f"-E {key}: not an option (header, separator, aggregator, occurrence, quote)")

    def header_line(self) -> str:
        return self.separator.join(self.names)

    def value(self, name: str, value: Any) -> str:
        """One field's cell from its value (a list for a repeated field; None when absent)."""
        if value is None:
            return ""
        if isinstance(value, list):
            if not value:
                return ""
            if self.occurrence == "f":
                value = value[:1]
            elif self.occurrence == "l":
                value = value[-1:]
            text = self.aggregator.join(_text(name, v) for v in value)
        else:
            text = _text(name, value)
        return f"{self.quote}{text}{self.quote}" if self.quote and text else text

    def line(self, fields: dict[str, Any], pkt: Any = None) -> str:
        """One frame's line from its fields (and, for computed fields, the packet)."""
        get = fields.get
        if self.computed:
            from analyzer.filter._fields import computed_value, label_value

            labels, computed = self.labels, self.computed
            return self.separator.join([
                self.value(name, computed_value(pkt, name) if name in computed else
                           label_value(fields, name) if name in labels else get(name))
                for name in self.names])
        if self.labels:
            from analyzer.filter._fields import label_value

            labels = self.labels
            return self.separator.join([self.value(name, label_value(fields, name) if name in labels else get(name))
                                        for name in self.names])
        return self.separator.join([self.value(name, get(name)) for name in self.names])


def _text(name: str, value: Any) -> str:
    if name.endswith(".checksum.status") and value in CHECKSUM_STATUS:
        return CHECKSUM_STATUS[value]
    return tshark_text(value)
