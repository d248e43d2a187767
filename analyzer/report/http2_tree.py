"""``-V`` lines of an ``http2`` layer: one HTTP/2 frame laid out as tshark lays it out, with notes for a learner
(what a stream id, a flag, a setting, a window update or an HPACK representation means).

Builders only: :func:`lines` returns the lines (not indented, not escaped; :mod:`analyzer.report.tree` does
both) of an :class:`~analyzer.apps.http2.sink.Http2Layer`.
"""

from __future__ import annotations

from typing import Any

from analyzer.apps.http2 import frames as fr
from analyzer.apps.http2.headerblock import INDEXED, REPR_NAMES, Field, SizeUpdate

TITLE = "HyperText Transfer Protocol 2"
INDENT = "    "
STATIC_TABLE_SIZE = 61          # RFC 7541 Appendix A

_TYPE_MEANING = {
    fr.DATA: "body bytes of a request or response",
    fr.HEADERS: "a header block: opens a stream (request), answers it (response) or ends it (trailers)",
    fr.PRIORITY: "how the sender would like this stream weighed against others",
    fr.RST_STREAM: "ends one stream at once, leaving the connection open",
    fr.SETTINGS: "the sender's parameters for this connection (the peer must ACK them)",
    fr.PUSH_PROMISE: "the server announces a response it will push without a request",
    fr.PING: "measures the round trip / keeps the connection alive (the peer echoes it with ACK)",
    fr.GOAWAY: "the sender will open or accept no new streams: the connection is being closed",
    fr.WINDOW_UPDATE: "flow control: the receiver lets the sender send more bytes",
    fr.CONTINUATION: "the rest of a header block too long for one frame",
}

_SETTING_MEANING = {
    fr.HEADER_TABLE_SIZE: "the HPACK dynamic table size the sender's decoder allows",
    fr.ENABLE_PUSH: "whether the server may push responses (0: no)",
    fr.MAX_CONCURRENT_STREAMS: "how many streams the peer may have open at once",
    fr.INITIAL_WINDOW_SIZE: "each new stream's flow-control window for data sent to the sender",
    fr.MAX_FRAME_SIZE: "the largest frame payload the sender accepts",
    fr.MAX_HEADER_LIST_SIZE: "the largest header list the sender accepts",
}


def lines(layer: Any) -> list[str]:
    """The layer's lines: the "Stream:" line and the frame's fields under it."""
    f = layer.frame
    fields = f.fields
    h = f.header
    if h is None:
        return ["Stream: Magic", INDENT + f"Magic: {fields.get('http2.magic', '')!r}"[:200],
                INDENT + "    [the client's connection preface: it speaks HTTP/2 from its first byte]"]
    summary = f"Stream: {fr.type_name(h.type)}, Stream ID: {h.stream}, Length {h.length}"
    if ": " in f.info:
        summary += ", " + f.info.split(": ", 1)[1].split(" (", 1)[0]
    out = [summary]
    add = out.append
    i = INDENT
    add(f"{i}Length: {h.length}")
    add(f"{i}Type: {fr.type_name(h.type)} ({h.type})")
    meaning = _TYPE_MEANING.get(h.type)
    if meaning:
        add(f"{i}    [{meaning}]")
    names = fr.flag_names(h.type, h.flags)
    add(f"{i}Flags: 0x{h.flags:02x}" + "".join(f", {n}" for n in names))
    add(f"{i}Reserved: 0x{h.reserved:x}")
    add(f"{i}Stream Identifier: {h.stream}")
    if h.stream == 0:
        add(f"{i}    [stream 0: the connection itself]")
    else:
        who = "client" if h.stream % 2 else "server (push)"
        add(f"{i}    [{'odd' if h.stream % 2 else 'even'}: a stream opened by the {who}]")
    p = f.payload
    if p is not None:
        out.extend(i + line for line in _payload_lines(h, p, fields))
    if f.decoded:
        out.extend(i + line for line in _header_lines(f.decoded, fields))
    if "http2.request.full_uri" in fields:
        add(f"{i}[Full request URI: {fields['http2.request.full_uri']}]")
    if "http2.body.fragment.count" in fields:
        add(f"{i}[{fields['http2.body.fragment.count']} DATA frames reassembled into a body of "
            f"{fields.get('http2.body.reassembled.length')} bytes]")
    for severity, text in f.notes:
        add(f"{i}[Expert Info ({severity.capitalize()}): {text}]")
    if f.malformed:
        add(f"{i}[Malformed frame: {f.malformed}]")
    return out


def _payload_lines(h: fr.FrameHeader, p: fr.Payload, fields: dict[str, Any]) -> list[str]:
    out = []
    add = out.append
    t = h.type
    if "http2.pad_length" in fields:
        add(f"[Pad Length: {p.pad_length}]")
    if p.weight is not None:
        add(f"Exclusive: {p.exclusive}")
        add(f"Stream Dependency: {p.dependency}")
        add(f"Weight: {p.weight}")
        add(f"[Weight real: {p.weight + 1}]")
    if t == fr.DATA:
        add(f"Data: {len(p.data)} bytes" + (f" (+{p.pad_length} bytes of padding)" if p.pad_length else ""))
        if h.flags & fr.END_STREAM:
            add("    [END_STREAM: the sender's last frame on this stream]")
    elif t in (fr.HEADERS, fr.PUSH_PROMISE, fr.CONTINUATION):
        if t == fr.PUSH_PROMISE:
            add(f"Promised-Stream-ID: {p.promised}")
        add(f"Header Block Fragment: {p.block[:36].hex()}{'…' if len(p.block) > 36 else ''}")
        if not h.flags & fr.END_HEADERS:
            add("    [no END_HEADERS: the block continues in a CONTINUATION frame]")
    elif t == fr.RST_STREAM:
        add(f"Error: {fr.error_name(p.error)} ({p.error})")
    elif t == fr.SETTINGS:
        if h.flags & fr.ACK:
            add("[ACK: the sender applied the peer's SETTINGS]")
        for ident, value in p.settings:
            name = fr.SETTINGS_FIELDS.get(ident, ("", f"Unknown ({ident})"))[1]
            add(f"Settings - {name} : {value}")
            meaning = _SETTING_MEANING.get(ident)
            if meaning:
                add(f"    [{meaning}]")
    elif t == fr.PING:
        add(f"{'Pong' if h.flags & fr.ACK else 'Ping'}: {p.opaque.hex()}")
    elif t == fr.GOAWAY:
        add(f"Last-Stream-ID: {p.last_stream}")
        add(f"    [streams above {p.last_stream} were not and will not be processed]")
        add(f"Error: {fr.error_name(p.error)} ({p.error})")
        if p.debug:
            add(f"Additional Debug Data: {p.debug[:64]!r}")
    elif t == fr.WINDOW_UPDATE:
        add(f"Window Size Increment: {p.increment}")
        scope = "the connection" if h.stream == 0 else f"stream {h.stream}"
        add(f"    [the receiver lets the peer send {p.increment} more bytes on {scope}]")
    elif "http2.unknown" in fields:
        add(f"Unknown: {len(fields['http2.unknown'])} bytes")
    return out


def _header_lines(decoded: list[Field | SizeUpdate], fields: dict[str, Any]) -> list[str]:
    out = []
    if "http2.header.length" in fields:
        out.append(f"[Header Length: {fields['http2.header.length']}]")
        out.append(f"[Header Count: {fields['http2.header.count']}]")
        plain = sum(len(i.name) + len(i.value) for i in decoded if type(i) is Field)
        wire = sum(i.size if type(i) is Field else i.length for i in decoded)
        if plain:
            out.append(f"    [HPACK: {_bytes(plain)} of names and values sent as {_bytes(wire)}; the "
                       f"dynamic table makes repeated headers cost 1-2 bytes]")
    for item in decoded:
        if type(item) is SizeUpdate:
            out.append("Header table size update")
            out.append(f"    Header table size: {item.size}")
            continue
        name = item.name.decode("latin-1")
        value = item.value.decode("latin-1")
        out.append(f"Header: {name}: {value}")
        out.append(f"    Representation: {REPR_NAMES[item.kind]}")
        if item.index is not None:
            table = "static" if item.index <= STATIC_TABLE_SIZE else "dynamic"
            what = "field" if item.kind == INDEXED else "name"
            out.append(f"    Index: {item.index}")
            out.append(f"        [{what} from the {table} table: {_bytes(item.size)} on the wire for "
                       f"{_bytes(len(item.name) + len(item.value))} of header]")
    return out


def _bytes(n: int) -> str:
    return "1 byte" if n == 1 else f"{n} bytes"
