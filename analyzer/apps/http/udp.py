"""HTTP over UDP: each datagram is one message (SSDP on port 1900, the common case on real LANs, and any UDP
port Decode As gives to HTTP), with the ``http.*`` fields tshark gives it, on a layer named as tshark names
it ("ssdp": tshark reads HTTP over UDP only through its SSDP dissector).

Theory of operation
-------------------
:class:`HttpUdpTracker` sees every packet after the pipeline (``packet(pkt)``). A UDP datagram on an HTTP-
over-UDP port whose payload begins a request or a status line is parsed by the same
:class:`~analyzer.apps.http.parser.HttpStreamParser` as TCP streams, ended at the datagram's end (a body
without a length runs to the end of the datagram). Numbering and pairing are tshark's, per UDP conversation
(the two endpoints, either direction): a request takes the next number; a response answers the last request
of its conversation when that one has no response yet (``http.request_in``, ``http.time``), else takes the
next number. SSDP answers to a multicast M-SEARCH come from another conversation, so they pair with nothing,
as in tshark. The conversations kept are bounded (least recently used dropped first).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from analyzer.apps.http.events import CONNECTION_CLOSED, NEED_DATA, EndOfMessage, Request, Response
from analyzer.apps.http.parser import CLIENT, SERVER, HttpStreamParser
from analyzer.apps.http.sink import (
    NOTIFICATION_METHODS,
    STATUS_TEXT,
    HttpLayer,
    _starts_message,
    full_uri,
    header_fields,
    info_text,
    notification_fields,
    text,
)
from analyzer.decode.decode_as import HTTP_UDP_PORTS
from analyzer.decode.packet import Packet
from analyzer.tcp.analysis import seconds

SSDP_PORT = 1900
MAX_CONVERSATIONS = 65536


class _Conversation:
    __slots__ = ("last_request", "last_response", "number", "tail")

    def __init__(self) -> None:
        self.number = 0
        self.tail: list | None = None    # [number, frame, ts_ns, uri, answered, previous request's frame]
        self.last_request: int | None = None     # frame of the last request
        self.last_response: int | None = None


class HttpUdpTracker:
    """HTTP messages in UDP datagrams: on 1900 (SSDP) and the ports Decode As gives to HTTP."""

    def __init__(self, *, fields: bool = True):
        self.fields = fields
        self.messages = 0
        self._convs: OrderedDict[tuple, _Conversation] = OrderedDict()

    def packet(self, pkt: Packet) -> None:
        udp = None
        ip = None
        for layer in pkt.layers:
            name = layer.name
            if name in ("icmp", "icmpv6"):
                return                  # a datagram quoted in an ICMP error is not a message
            if name == "ip" or name == "ipv6":
                ip = layer
            elif name == "udp":
                udp = layer
                break
        if udp is None or ip is None or pkt.payload is None:
            return
        f = udp.fields
        sport, dport = f.get("udp.srcport"), f.get("udp.dstport")
        if sport != SSDP_PORT and dport != SSDP_PORT and sport not in HTTP_UDP_PORTS \
                and dport not in HTTP_UDP_PORTS:
            return
        data = pkt.payload_bytes()
        if not data:
            return
        client = _starts_message(True, data)
        if not client and not _starts_message(False, data):
            return
        self._message(pkt, ip, sport, dport, data, client)

    def _message(self, pkt: Packet, ip: Any, sport: int, dport: int, data: bytes, client: bool) -> None:
        frame, ts = pkt.frame.number, pkt.frame.ts_ns
        parser = HttpStreamParser(CLIENT if client else SERVER)
        parser.receive_data(data, ts, frame)
        parser.receive_eof(ts, frame, CONNECTION_CLOSED)
        message = end = None
        while (event := parser.next_event()) is not NEED_DATA:
            if isinstance(event, (Request, Response)) and message is None:
                message = event
            elif type(event) is EndOfMessage and end is None:
                end = event
        if message is None or end is None or not message.headers_complete:
            return
        self.messages += 1
        conv = self._conversation(ip, sport, dport)
        if not client:
            fields = response_fields(message, conv, ts)
        elif message.method in NOTIFICATION_METHODS:
            fields = notification_fields(message)
        else:
            fields = request_fields(message, conv)
        if not self.fields:
            return
        off, stop = pkt.payload
        pkt.layers.append(HttpLayer(off, stop - off, fields, info_text(message, end), "ssdp"))
        pkt._flat = None

    def _conversation(self, ip: Any, sport: int, dport: int) -> _Conversation:
        f = ip.fields
        src, dst = (f.get("ip.src"), f.get("ip.dst")) if ip.name == "ip" else (f.get("ipv6.src"), f.get("ipv6.dst"))
        a, b = (src, sport), (dst, dport)
        key = (a, b) if (str(a[0]), a[1]) <= (str(b[0]), b[1]) else (b, a)
        convs = self._convs
        conv = convs.get(key)
        if conv is None:
            conv = convs[key] = _Conversation()
            if len(convs) > MAX_CONVERSATIONS:
                convs.popitem(last=False)
        else:
            convs.move_to_end(key)
        return conv


def request_fields(request: Request, conv: _Conversation) -> dict[str, Any]:
    frame, ts = request.first_frame, request.first_ts_ns
    conv.number += 1
    fields: dict[str, Any] = {"http.request.method": request.method}
    if request.target:
        fields["http.request.uri"] = text(request.target)
    if request.version:
        fields["http.request.version"] = request.version
    fields.update(header_fields(request.headers, "http.request.line", request.lines))
    host = request.headers.get("host")
    target = text(request.target)
    uri = full_uri(target, text(host)) if host is not None else target
    if host is not None:
        fields["http.request.full_uri"] = uri
    fields["http.request"] = 1
    fields["http.request_number"] = conv.number
    if conv.last_request is not None:
        fields["http.prev_request_in"] = conv.last_request
    conv.tail = [conv.number, frame, ts, uri, False, conv.last_request]
    conv.last_request = frame
    return fields


def response_fields(response: Response, conv: _Conversation, ts: int) -> dict[str, Any]:
    frame = response.first_frame
    fields: dict[str, Any] = {"http.response.version": response.version, "http.response.code": response.status}
    desc = STATUS_TEXT.get(response.status)
    if desc is not None:
        fields["http.response.code.desc"] = desc
    fields["http.response.phrase"] = text(response.reason)
    fields.update(header_fields(response.headers, "http.response.line", response.lines))
    fields["http.response"] = 1
    tail = conv.tail
    if tail is not None and not tail[4]:
        number, req_frame, req_ts, uri, _answered, prev_request = tail
        tail[4] = True
        fields["http.response_number"] = number
        fields["http.time"] = seconds(ts - req_ts)
        fields["http.request_in"] = req_frame
        fields["http.response_for.uri"] = uri
        if prev_request is not None:
            fields["http.prev_request_in"] = prev_request
    else:
        conv.number += 1
        fields["http.response_number"] = conv.number
        if tail is not None:
            fields["http.response_for.uri"] = tail[3]
        if conv.last_request is not None:
            fields["http.prev_request_in"] = conv.last_request
    if conv.last_response is not None:
        fields["http.prev_response_in"] = conv.last_response
    conv.last_response = frame
    return fields
