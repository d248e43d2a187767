"""Wireshark display filters (``-Y``) over decoded packets.

Usage::

    from analyzer.filter import FilterError, compile_filter

    try:
        keep = compile_filter('tcp.port in {80, 443} && ip.addr == 10.0.0.0/8')
    except FilterError as err:
        print(err.render())          # the message, the filter, a caret under the offending token
    packets = (pkt for pkt in packets if keep(pkt))

``compile_filter(text)`` parses and checks the filter once and returns a plain function ``Packet -> bool``
(generated Python, see :mod:`analyzer.filter._compiler`), with attributes:

* ``text``: the filter as given; ``source``: the generated code;
* ``fields``: the field and protocol names it reads (a command can tell from ``"http" in keep.protocols``
  that it needs the HTTP stage);
* ``protocols``: the protocols those names belong to (``tcp.port`` -> ``tcp``);
* ``unproduced``: names Wireshark knows for a decoded protocol that the analyzer never puts on a packet
  (``frame.time_delta``): they never match, and a command may say so.

The language is the part of Wireshark 4.0's people use daily, with the same meaning: presence (``dns``,
``tcp.analysis.retransmission``), ``== != === ~= < <= > >=`` (and ``eq ne any_eq all_ne all_eq any_ne lt le
gt ge``), ``contains``, ``matches``/``~``, ``in {80, 443, 8000..8080}`` and ``not in``, ``and or xor not``
(``&& || ^^ !``), parentheses, ``any``/``all`` quantifiers, slices (``eth.src[0:3]``), ``len() count()
upper() lower()``, ``field & mask``. A field that occurs several times matches if any occurrence does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Protocol

from analyzer.decode.packet import Packet
from analyzer.filter._errors import FilterError
from analyzer.filter._fields import FieldInfo, UnknownField, lookup, produced_fields


class DisplayFilter(Protocol):
    """What :func:`compile_filter` returns: a function of a packet, with a few attributes."""

    text: str
    source: str
    fields: frozenset[str]
    protocols: frozenset[str]
    unproduced: frozenset[str]

    def __call__(self, pkt: Packet) -> bool: ...


@lru_cache(maxsize=64)
def compile_filter(text: str) -> DisplayFilter:
    """Compile a display filter into a function ``Packet -> bool``; FilterError if it is not valid."""
    from analyzer.filter._compiler import compile_tree

    fn, source, fields, unproduced = compile_tree(text)
    fn.text = text
    fn.source = source
    fn.fields = fields
    fn.protocols = frozenset(name.split(".")[0] for name in fields)
    fn.unproduced = unproduced
    return fn


def match_all(_pkt: Packet) -> bool:
    """The filter of a command given no ``-Y``."""
    return True


def filter_packets(packets, keep: Callable[[Packet], bool] | None):
    """The packets ``keep`` accepts (all of them when ``keep`` is None)."""
    if keep is None:
        return packets
    return filter(keep, packets)


__all__ = ["DisplayFilter", "FieldInfo", "FilterError", "UnknownField", "compile_filter", "filter_packets",
           "lookup", "match_all", "produced_fields"]
