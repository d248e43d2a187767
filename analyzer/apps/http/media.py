"""Which Wireshark protocol shows an HTTP message's body in ``frame.protocols`` (``http:data-text-lines``).

tshark hands a body to the dissector its Content-Type names (its "media_type" table); a type with none goes
to the ``media`` dissector, which first tries the image heuristics (a PNG or JPEG signature shows ``png`` or
``image-jfif`` whatever the type says); a body without a Content-Type, or ``application/octet-stream``, is
``data``. The table holds the types whose names were checked against tshark 4.0 on crafted responses (a
response per type, body ``hello world``, ``{"a": [1, 2]}``, a PNG, a JPEG and a GIF signature) and the text
types Wireshark's line-based text dissector registers.

A JSON body that cannot be JSON (its first byte begins no JSON value) is ``json:data-text-lines``, as tshark's
JSON dissector gives it up to its text. Known differences (the body's bytes beyond the first
:data:`analyzer.apps.http.parser.HEAD_LENGTH` are not kept, and a content-coded body's first bytes are not
decoded for this): a JSON body that goes wrong later, or a compressed one that is no JSON, is ``json``
here; tshark's text dissector shows a text body that begins ``<?xml`` as ``data-text-lines:xml``, and each
part of a multipart body after ``mime_multipart``; here the type's name alone.
"""

from __future__ import annotations

TEXT_LINES = frozenset(["text/plain", "text/richtext", "text/enriched", "text/parameters", "text/html", "text/xml-external-parsed-entity", "text/css", "application/xml-external-parsed-entity", "text/javascript", "application/x-javascript", "application/x-tia-p25-issi", "application/x-tia-p25-sndcp", "application/x-ns-proxy-autoconfig", "text/vnd.sun.j2me.app-descriptor", "application/vnd.poc.refer-to", "application/vnd.drm.message", "application/x-wms-logplaystats", "application/x-rtsp-udp-packetpair"])
XML = frozenset(["text/xml", "application/xml", "application/rss+xml", "application/atom+xml", "image/svg+xml", "application/soap+xml", "application/mathml+xml", "application/xslt+xml", "application/xml-dtd", "application/rdf+xml", "application/pidf+xml", "application/reginfo+xml", "application/resource-lists+xml", "application/xcap-el+xml"])
JSON = frozenset(["application/json", "application/json-rpc", "application/jsonrequest", "application/problem+json", "application/x-ndjson"])
MULTIPART = frozenset(["multipart/form-data", "multipart/mixed", "multipart/related", "multipart/byteranges"])

# content type -> the protocol tshark names for its body
BY_TYPE = {
    **dict.fromkeys(TEXT_LINES, "data-text-lines"),
    **dict.fromkeys(XML, "xml"),
    **dict.fromkeys(JSON, "json"),
    **dict.fromkeys(MULTIPART, "mime_multipart"),
    "application/x-www-form-urlencoded": "urlencoded-form",
    "application/octet-stream": "data",
}
# the media dissector's image heuristics: signature -> protocol
SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8", "image-jfif"))


# what a JSON text can begin with (RFC 8259: a value, after optional whitespace)
_JSON_START = frozenset(b'{["-0123456789tfn')


def body_protocol(content_type: str | None, body_length: int, head: bytes, coded: bool = False) -> str | None:
    """The protocol name of a body of ``body_length`` bytes beginning ``head`` sent with ``content_type``
    (the header's text, None without one); None for an empty body. ``coded``: the body has a
    content-coding (``head`` is not what tshark dissects: nothing is sniffed from it)."""
    if not body_length:
        return None
    if content_type is None:
        return "data"
    media = content_type.split(";", 1)[0].strip().lower()
    name = BY_TYPE.get(media)
    if name is not None:
        if name == "json" and not coded:
            text = head.lstrip(b" \t\r\n")
            if text and text[0] not in _JSON_START:
                return "json:data-text-lines"   # tshark's JSON dissector gives up: its text is shown as lines
        return name
    if not coded:
        for signature, sniffed in SIGNATURES:
            if head.startswith(signature):
                return sniffed
    return "media"
