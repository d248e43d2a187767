"""Values of each kind of field: reading a literal of the filter, converting a packet's value.

Each kind has a comparable form; a literal is converted to it once, when the filter is compiled, and a packet
value (as the decoders store it: ``Packet.fields`` text or int) at match time:

========  =============================================  ====================================================
kind      comparable form                                literals
========  =============================================  ====================================================
int       int (``"0x0012"`` -> 18)                       ``80``, ``0x50``, ``0120`` (octal), ``0b101``,
                                                         ``'P'``
bool      0 or 1                                         ``1``/``0`` (any nonzero is set), ``True``/``False``
float     float                                          ``1.5``
time      int nanoseconds (``"0.000291000"`` -> 291000)  ``0.2`` (seconds)
abstime   int nanoseconds since the epoch                ``"Nov  7, 2012 10:00:53"``, ``"2012-11-07 10:00:53
                                                         UTC"``
ipv4      int                                            ``10.0.0.1``, ``10.0.0.0/8``
ipv6      int                                            ``fe80::1``, ``2001:db8::/32``
ether     bytes                                          ``00:11:22:33:44:55``, ``00-11-..``, ``0011.2233.4455``
bytes     bytes                                          ``aa:bb:cc``, ``aa-bb``, ``aa.bb``, ``"text"``
proto     bytes (the protocol's bytes in the frame)      as bytes
string    str                                            ``"text"``, a bare word
none      (presence only: Wireshark's "Label" fields)    none
========  =============================================  ====================================================

Unconvertible packet values give None: they never satisfy a comparison.
"""

from __future__ import annotations

import ipaddress
import re
from calendar import timegm
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from time import mktime

from analyzer.filter._parser import Char, Str

# Wireshark's names of the kinds, for its error messages.
KIND_NAMES = {
    "int": "Unsigned integer", "bool": "Boolean", "float": "Floating point", "time": "Time offset",
    "abstime": "Date and time", "ipv4": "IPv4 address", "ipv6": "IPv6 address", "ether": "Ethernet or other MAC address",
    "bytes": "Byte sequence", "proto": "Protocol", "string": "Character string", "none": "Label",
}
# tshark's checksum status values (proto.h); the decoders store the names.
CHECKSUM_STATUS = {"Bad": 0, "Good": 1, "Unverified": 2, "Not present": 3, "Illegal": 4}
TRUE_WORDS = {"true": 1, "false": 0}
NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Net:
    """An address literal with a prefix length (``10.0.0.0/8``): matches every address inside."""
    network: int
    mask: int

    def __contains__(self, address: int) -> bool:
        return address & self.mask == self.network


# -- packet values -> comparable form --------------------------------------------------------------------
def to_int(value):
    if type(value) is int:
        return value
    if type(value) is str:
        try:
            if value.startswith(("0x", "0X")):
                return int(value, 16)
            return int(value)
        except ValueError:
            return CHECKSUM_STATUS.get(value)
    if isinstance(value, int):          # bool
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def to_bool(value):
    if type(value) is str and value.lower() in TRUE_WORDS:
        return TRUE_WORDS[value.lower()]
    number = to_int(value)
    return None if number is None else (1 if number else 0)


def to_float(value):
    if type(value) is float or type(value) is int:
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def to_time(value):
    """Seconds (tshark's ``0.000291000`` text, or a number) -> int nanoseconds."""
    if type(value) is str:
        whole, _dot, frac = value.partition(".")
        if whole.lstrip("-").isdigit() and (not frac or frac.isdigit()):
            ns = int(whole.lstrip("-")) * NS + int((frac + "000000000")[:9] or 0)
            return -ns if whole.startswith("-") else ns
        try:
            return decimal_ns(Decimal(value))
        except InvalidOperation:
            return None
    if type(value) is int:
        return value * NS
    if type(value) is float:
        return decimal_ns(Decimal(repr(value)))
    return None


def decimal_ns(seconds: Decimal) -> int | None:
    """Seconds -> int nanoseconds; None for infinity, NaN or 10**16 s and more: too large to be a time
    (``1e999999999`` would otherwise be built as an integer of a billion digits)."""
    if not seconds.is_finite() or seconds.adjusted() > 15:
        return None
    return int(seconds * NS)


_DATE = re.compile(r"\s*(?P<date>[A-Za-z]{3}\s+\d{1,2},\s*\d{4}|\d{4}-\d{2}-\d{2})[ T]+"
                   r"(?P<time>\d{1,2}:\d{2}(?::\d{2})?)(?:\.(?P<frac>\d{1,9}))?\s*(?P<zone>[A-Za-z][A-Za-z0-9+-]{0,5})?\s*$")


def to_abstime(value):
    """``Nov  7, 2012 10:00:53.000000000 UTC`` (tshark) or ``2012-11-07 10:00:53`` -> ns since the epoch.
    Without UTC/Z the time is local, as Wireshark reads it; a local zone's abbreviation (``CET``, what
    ``frame.time`` ends with outside UTC) says the same."""
    if type(value) is int or type(value) is float:
        return decimal_ns(Decimal(repr(value)))
    if type(value) is not str:
        return None
    m = _DATE.match(value)
    if m is None:
        ns = to_time(value)
        return ns
    date = " ".join(m["date"].replace(",", " ").split())
    clock = m["time"] if m["time"].count(":") == 2 else m["time"] + ":00"
    fmt = "%Y-%m-%d %H:%M:%S" if "-" in date else "%b %d %Y %H:%M:%S"
    try:
        parsed = datetime.strptime(f"{date} {clock}", fmt)
    except ValueError:
        return None
    seconds = timegm(parsed.timetuple()) if m["zone"] in ("UTC", "Z") else int(mktime(parsed.timetuple()))
    return seconds * NS + int(((m["frac"] or "") + "000000000")[:9])


_cache_v4: dict = {}
_cache_v6: dict = {}
_cache_mac: dict = {}
CACHE_LIMIT = 1 << 16


def to_ipv4(value):
    got = _cache_v4.get(value)
    if got is None:
        try:
            got = int(ipaddress.IPv4Address(value))
        except (ValueError, TypeError):
            return None
        if len(_cache_v4) >= CACHE_LIMIT:
            _cache_v4.clear()
        _cache_v4[value] = got
    return got


def to_ipv6(value):
    got = _cache_v6.get(value)
    if got is None:
        try:
            got = int(ipaddress.IPv6Address(value))
        except (ValueError, TypeError):
            return None
        if len(_cache_v6) >= CACHE_LIMIT:
            _cache_v6.clear()
        _cache_v6[value] = got
    return got


def to_ether(value):
    if type(value) is bytes:
        return value
    got = _cache_mac.get(value)
    if got is None:
        got = hex_bytes(value) if type(value) is str else None
        if got is None:
            return None
        if len(_cache_mac) >= CACHE_LIMIT:
            _cache_mac.clear()
        _cache_mac[value] = got
    return got


def to_bytes(value):
    if type(value) is bytes:
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if type(value) is str:
        return hex_bytes(value)
    return None


def to_string(value):
    if type(value) is str:
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "surrogateescape")
    if value is None:
        return None
    return str(value)


def hex_bytes(text: str) -> bytes | None:
    """``aa:bb:cc``, ``aa-bb-cc``, ``aabb.cc``, ``aabbcc`` -> bytes; None when it is not hex."""
    digits = text.replace(":", "").replace("-", "").replace(".", "")
    if len(digits) % 2:
        return None
    try:
        return bytes.fromhex(digits)
    except ValueError:
        return None


CONVERTERS = {
    "int": to_int, "bool": to_bool, "float": to_float, "time": to_time, "abstime": to_abstime,
    "ipv4": to_ipv4, "ipv6": to_ipv6, "ether": to_ether, "bytes": to_bytes, "proto": to_bytes,
    "string": to_string,
}


# -- literals -> comparable form ---------------------------------------------------------------------------
class LiteralError(Exception):
    """A literal that does not fit the field's kind (the compiler adds the position)."""


def literal(kind: str, node, field: str, text_of) -> object:
    """The comparable value of literal ``node`` (Word, Str or Char) for a field of ``kind``.

    ``text_of(node)`` gives the literal as written. May return a :class:`Net` for ipv4/ipv6.
    Raises LiteralError with Wireshark's wording.
    """
    written = text_of(node)
    if kind == "none":
        raise LiteralError(f"{field} (type=Label) cannot be compared with a value.")
    if isinstance(node, Char):
        if kind in ("int", "bool", "float"):
            return {"int": node.value, "bool": 1 if node.value else 0, "float": float(node.value)}[kind]
        if kind in ("bytes", "proto", "ether"):
            return bytes([node.value])
        if kind == "string":
            return chr(node.value)
        raise LiteralError(f"{written} cannot be converted to {_a(kind)}.")
    if isinstance(node, Str):
        raw = node.value
        if kind == "string":
            return raw.decode("utf-8", "surrogateescape")
        if kind in ("bytes", "proto"):
            return raw
        if kind == "abstime":
            ns = to_abstime(raw.decode("utf-8", "replace"))
            if ns is None:
                raise LiteralError(f'"{raw.decode("utf-8", "replace")}" is not a valid absolute time '
                                   f'(like "Nov  7, 2012 10:00:53" or "2012-11-07 10:00:53 UTC").')
            return ns
        if kind == "int" and field.endswith(".checksum.status") and raw.decode("utf-8", "replace") in \
                CHECKSUM_STATUS:
            return CHECKSUM_STATUS[raw.decode()]
        raise LiteralError(f'{KIND_NAMES[kind]} cannot be converted from a string ({written}).')
    text = node.text
    if kind == "int":
        number = parse_int(text)
        if number is None:
            if field.endswith(".checksum.status") and text in CHECKSUM_STATUS:
                return CHECKSUM_STATUS[text]
            raise LiteralError(f'"{text}" is not a valid number.')
        return number
    if kind == "bool":
        if text.lower() in TRUE_WORDS:
            return TRUE_WORDS[text.lower()]
        number = parse_int(text)
        if number is None:
            raise LiteralError(f'"{text}" cannot be found among the possible values for {field}.')
        return 1 if number else 0
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            raise LiteralError(f'"{text}" is not a valid number.') from None
    if kind in ("time", "abstime"):
        try:
            ns = decimal_ns(Decimal(text))
        except InvalidOperation:
            ns = None
        if ns is None:
            raise LiteralError(f'"{text}" is not a valid time.')
        return ns
    if kind == "ipv4":
        return parse_address(text, 4)
    if kind == "ipv6":
        return parse_address(text, 6)
    if kind == "ether":
        value = parse_bytes(text)
        if value is None:
            raise LiteralError(f'"{text}" is not a valid Ethernet address.')
        if len(value) < 6:
            raise LiteralError(f'"{text}" contains too few bytes to be a valid Ethernet address.')
        if len(value) > 6:
            raise LiteralError(f'"{text}" contains too many bytes to be a valid Ethernet address.')
        return value
    if kind in ("bytes", "proto"):
        value = parse_bytes(text)
        if value is None:
            raise LiteralError(f'"{text}" is not a valid byte string (write bytes as aa:bb:cc, or quote a '
                               f'string).')
        return value
    return text     # string: a bare word is its own text


def parse_int(text: str) -> int | None:
    """Wireshark's integer literals: decimal, 0x hex, leading-0 octal, 0b binary, optional sign."""
    sign = -1 if text.startswith("-") else 1
    body = text[1:] if text[:1] in "+-" else text
    try:
        if body[:2] in ("0x", "0X", "0b", "0B"):
            return sign * int(body, 0)
        if len(body) > 1 and body.startswith("0"):
            return sign * int(body[1:], 8)
        if body.isdigit():
            return sign * int(body)
    except ValueError:
        return None
    return None


_BYTE_SEPARATED = re.compile(r"^[0-9A-Fa-f]{1,2}([:.-])[0-9A-Fa-f]{1,2}(\1[0-9A-Fa-f]{1,2})*$")
_DOTTED_QUADS = re.compile(r"^[0-9A-Fa-f]{4}(\.[0-9A-Fa-f]{4})+$")


def parse_bytes(text: str) -> bytes | None:
    """``aa:bb:cc`` (``:``, ``-`` or ``.`` between bytes, one separator throughout), ``0011.2233.4455``,
    one byte ``aa``, or an even run of hex digits (``001122334455``)."""
    if _BYTE_SEPARATED.match(text):
        return bytes(int(part, 16) for part in re.split(r"[:.-]", text))
    if _DOTTED_QUADS.match(text):
        return bytes.fromhex(text.replace(".", ""))
    if len(text) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in text) and text:
        return bytes.fromhex(text)
    return None


def parse_address(text: str, version: int):
    """An IPv4/IPv6 address, or a network with ``/bits`` (a :class:`Net`)."""
    address, slash, bits = text.partition("/")
    width = 32 if version == 4 else 128
    cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    try:
        value = int(cls(address))
    except ValueError:
        raise LiteralError(f'"{text}" is not a valid IPv{version} address (host names are not resolved).') \
            from None
    if not slash:
        return value
    if not bits.isdigit():
        raise LiteralError(f'"{bits}" is not a valid CIDR prefix length in "{text}".')
    if int(bits) > width:
        raise LiteralError(f"Netmask bits in a CIDR IPv{version} address should be <= {width}, not {bits}")
    mask = ((1 << width) - 1) ^ ((1 << (width - int(bits))) - 1)
    return Net(value & mask, mask)


def _a(kind: str) -> str:
    name = KIND_NAMES[kind]
    return ("an " if name[0] in "AEIOU" else "a ") + name

