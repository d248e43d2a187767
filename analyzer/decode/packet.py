"""The decode loop: one frame's bytes in, a Packet of layers out (sans-IO).

Theory of operation
-------------------
A decoder is a function ``decode_x(pkt, data, off, end)``. It reads one layer from ``data[off:end]``
(``end`` is the layer's bound: the frame's captured end, or less when an outer length field trims padding),
appends a :class:`Layer` to ``pkt.layers`` and returns what comes next as ``(table, key, off, end)``, or
``None`` when nothing follows. Decoders never call each other: the loop looks ``key`` up in the dispatch
table named ``table`` (see :mod:`analyzer.decode.tables`). ``key`` may be a tuple of candidates (the two
ports of a UDP datagram): the first that has a decoder wins. An unknown key ends decoding quietly, as in
gopacket: unsupported is not an error.

A decoder may raise only :class:`DecodeError`. The loop turns it into ``pkt.failure`` (layer, offset,
reason); every layer decoded before it stays usable. Any other exception is a bug and propagates.

Field values follow tshark's ``-T fields`` output for the same field: fields tshark shows in hex keep
that exact text (``"0x0800"``, ``"0x0012"``); other integers and booleans (0/1) are ints; addresses and
names are strings; a field repeated within one layer is a list in packet order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from analyzer.capture.frame import Frame
from analyzer.compiled import compiled
from analyzer.decode.errors import DecodeError

# What tshark prints (-T fields, -T ek) for a byte field of length zero; field values stay bytes, the outputs
# (verify, -T fields, --json) write this for b"".
EMPTY_BYTES = "<MISSING>"


class Layer:
    """One decoded protocol layer: Wireshark protocol name, header span in the frame, fields by name."""

    __slots__ = ("fields", "length", "name", "offset")

    def __init__(self, name: str, offset: int, length: int, fields: dict[str, Any]):
        self.name = name
        self.offset = offset
        self.length = length
        self.fields = fields

    def __repr__(self) -> str:
        return f"Layer({self.name!r}, offset={self.offset}, length={self.length}, fields={self.fields!r})"


class DecodeFailure:
    """Where and why decoding stopped: the layer being decoded, the byte offset, the reason."""

    __slots__ = ("layer", "offset", "reason")

    def __init__(self, layer: str, offset: int, reason: str):
        self.layer = layer
        self.offset = offset
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.layer}: {self.reason} at offset {self.offset}"

    def __repr__(self) -> str:
        return f"DecodeFailure({self.layer!r}, {self.offset}, {self.reason!r})"


class Packet:
    """A decoded frame: its layers outermost first, an optional failure, expert notes.

    ``payload`` is the (offset, end) span of the transport payload (TCP/UDP data) in ``frame.data``, set by
    the transport decoder; ``notes`` holds (layer, severity, text) annotations such as a bad checksum;
    ``taken`` names the application tracker that took the transport payload into a stream it parses
    ("http"), None when none did (read it with ``getattr(pkt, "taken", None)``: the compiled decoder leaves
    it unset).
    """

    __slots__ = ("_flat", "failure", "frame", "layers", "notes", "payload", "taken")

    def __init__(self, frame: Frame):
        self.frame = frame
        self.layers: list[Layer] = []
        self.failure: DecodeFailure | None = None
        self.notes: list[tuple[str, str, str]] = []
        self.payload: tuple[int, int] | None = None
        self._flat: dict[str, Any] | None = None
        self.taken: str | None = None

    # -- building (used by decoders) -------------------------------------------------------------------
    def add(self, name: str, offset: int, length: int, fields: dict[str, Any]) -> Layer:
        layer = Layer(name, offset, length, fields)
        self.layers.append(layer)
        self._flat = None
        return layer

    def add_layer(self, layer: Layer) -> Layer:
        """Append a layer made by the decoder (a :class:`Layer` subclass that carries more than fields)."""
        self.layers.append(layer)
        self._flat = None
        return layer

    def note(self, layer: str, severity: str, text: str) -> None:
        self.notes.append((layer, severity, text))

    # -- reading ---------------------------------------------------------------------------------------
    @property
    def protocols(self) -> list[str]:
        return [layer.name for layer in self.layers]

    def layer(self, name: str) -> Layer | None:
        """The first layer called ``name`` (``"ip"``, ``"tcp"``, ...), or None."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        return None

    def has(self, name: str) -> bool:
        """Is there a layer or a field of this name (Wireshark's field-presence test)?"""
        if "." not in name:
            return any(layer.name == name for layer in self.layers)
        return name in self.fields

    @property
    def fields(self) -> dict[str, Any]:
        """All fields of all layers in one dict; a name that occurs in several layers becomes a list."""
        flat = self._flat
        if flat is not None:
            return flat
        if _FLAT is not None:
            flat = _FLAT(self.layers)   # the loop below in C; None where a name repeats (or before decode_setup)
            if flat is not None:
                self._flat = flat
                return flat
        # Fast path: no field name occurs in two layers (nearly every frame), so plain updates give the
        # same dict, in the same order, as the merge below; a repeated name shows as a smaller dict.
        flat = {}
        update = flat.update
        n = 0
        for layer in self.layers:
            f = layer.fields
            update(f)
            n += len(f)
        if len(flat) != n:
            flat = self._merged()
        self._flat = flat
        return flat

    def _merged(self) -> dict[str, Any]:
        flat: dict[str, Any] = {}
        for layer in self.layers:
            for key, value in layer.fields.items():
                if key in flat:
                    old = flat[key]
                    if not isinstance(old, list):
                        old = [old]
                    flat[key] = old + (value if isinstance(value, list) else [value])
                else:
                    flat[key] = value
        return flat

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def __contains__(self, name: str) -> bool:
        return self.has(name)

    def payload_bytes(self) -> bytes:
        """The transport payload (TCP/UDP data) of this frame, b"" when there is none."""
        if self.payload is None:
            return b""
        off, end = self.payload
        return self.frame.data[off:end]

    def __repr__(self) -> str:
        return f"Packet(frame={self.frame.number}, layers={self.protocols}, failure={self.failure!r})"


Decoder = Callable[[Packet, bytes, int, int], "tuple[str, Any, int, int] | None"]


def add_field(fields: dict[str, Any], name: str, value: Any) -> None:
    """Set a field in a layer's dict; when the name occurs again it becomes a list in packet order."""
    old = fields.get(name)
    if old is None:
        fields[name] = value
    elif type(old) is list:
        old.append(value)
    else:
        fields[name] = [old, value]


def frame_layer(frame: Frame) -> dict[str, Any]:
    """The ``frame.*`` fields tshark shows for every frame."""
    ts = frame.ts_ns
    fields = {
        "frame.number": frame.number,
        "frame.time_epoch": f"{ts // 1_000_000_000}.{ts % 1_000_000_000:09d}",
        "frame.len": frame.origlen,
        "frame.cap_len": frame.caplen,
    }
    if frame.iface is not None:     # pcapng; classic pcap has no interfaces, and tshark shows none
        fields["frame.interface_id"] = frame.iface
        fields["frame.interface_name"] = frame.iface_name or "unknown"     # tshark's word for no if_name
    if frame.comments is not None:
        _add_comments(fields, frame.comments)
    return fields


def _add_comments(fields: dict[str, Any], comments: tuple[str, ...]) -> None:
    """The packet's pcapng comments as tshark's frame.comment (a list when there are several)."""
    fields["frame.comment"] = comments[0] if len(comments) == 1 else list(comments)


def run(pkt: Packet, decoder: Decoder | None, data: bytes, off: int, end: int,
        tables: dict[str, dict[Any, Decoder]]) -> Packet:
    """Run decoders from ``decoder`` on ``data[off:end]`` until nothing follows or a layer fails."""
    while decoder is not None:
        try:
            nxt = decoder(pkt, data, off, end)
        except DecodeError as err:
            pkt.failure = DecodeFailure(err.layer, err.offset, err.reason)
            break
        if nxt is None:
            break
        table, key, off, end = nxt
        candidates = tables[table]
        if type(key) is tuple:
            decoder = None
            for k in key:
                decoder = candidates.get(k)
                if decoder is not None:
                    break
        else:
            decoder = candidates.get(key)
        if decoder is None:
            decoder = _heuristics.get(table)    # (analyzer.decode.tables.HEURISTICS: QUIC on any UDP port)
    return pkt


_dispatch: tuple[dict[int, Decoder], dict[str, dict[Any, Decoder]]] | None = None
_heuristics: dict[str, Decoder] = {}     # analyzer.decode.tables.HEURISTICS, once loaded
# The compiled decode of the commonest frames (Ethernet, IPv4, TCP or UDP: see decode()), None without it.
_FAST: Callable[[Frame], Any] | None = None
# Packet.fields' update loop in C (``_speedups.flat_fields``: None until decode_setup ran, and where a field name
# repeats: the Python then merges), None without the helper (tests/test_decode_fast.py).
_FLAT: Callable[[list], Any] | None = compiled("flat_fields")


def _load_dispatch() -> tuple[dict[int, Decoder], dict[str, dict[Any, Decoder]]]:
    """The dispatch tables, imported on first use (the decoders they hold import this module)."""
    global _dispatch, _FAST, _heuristics
    from analyzer.decode.tables import HEURISTICS, LINKTYPES, TABLES

    _heuristics = HEURISTICS
    _dispatch = (LINKTYPES, TABLES)
    _FAST = _load_fast()
    return _dispatch


def _load_fast() -> Callable[[Frame], Any] | None:
    """``_speedups.decode_fast`` given this module's types and the decoders' caches and texts, or None."""
    setup = compiled("decode_setup")
    if setup is None:
        return None
    from analyzer.decode import ipv4, link, tcp
    from analyzer.decode.checksum import HEX2

    if not setup(Packet, Layer, link._MAC_CACHE, link._macs, ipv4._ADDR_CACHE, ipv4._addresses,
                 tcp._TEMPLATES, tcp._template, HEX2):
        return None
    return compiled("decode_fast")


def decode(frame: Frame) -> Packet:
    """Decode one frame from its link type up.

    The compiled ``decode_fast`` decodes the commonest frame (classic pcap, Ethernet II, IPv4 without options
    or fragments with a good checksum, TCP with no options or NOP,NOP,Timestamps, or UDP, checksums good) into
    the same Packet the decoders below make; a payload it leaves to the port's decoder, run from here. It
    declines (None) every other frame: those are decoded here (tests/test_decode_fast.py)."""
    linktypes, tables = _dispatch or _load_dispatch()
    if _FAST is not None:
        got = _FAST(frame)
        if got is not None:
            if frame.comments is not None:      # (the compiled frame layer has no frame.comment)
                _add_comments((got if type(got) is not tuple else got[0]).layers[0].fields, frame.comments)
            if type(got) is not tuple:
                return got
            pkt, table, key, off, end = got
            candidates = tables[table]
            for k in key:
                decoder = candidates.get(k)
                if decoder is not None:
                    return run(pkt, decoder, frame.data, off, end, tables)
            return run(pkt, _heuristics.get(table), frame.data, off, end, tables)
    pkt = Packet(frame)
    pkt.layers.append(Layer("frame", 0, 0, frame_layer(frame)))
    data = frame.data
    return run(pkt, linktypes.get(frame.linktype), data, 0, len(data), tables)


def decode_all(frames: Iterator[Frame]) -> Iterator[Packet]:
    for frame in frames:
        yield decode(frame)
