"""DNS over TCP (RFC 1035 4.2.2, RFC 7766): a reassembly sink that cuts the byte streams into
length-prefixed messages — several per segment or one split across segments — and puts the ``dns`` layer on
the frame that completes each message, as tshark does.

The fields are the DNS decoder's own (:func:`analyzer.decode.dns.decode_dns_tcp` run on the whole message),
so DNS over TCP looks exactly like a message that arrived in one segment. After a gap in a direction the
current message is lost; if the gap ends inside it, its remaining bytes are skipped and parsing resumes at
the next length prefix; if the gap swallowed a message boundary the direction is given up (there is no way
to find the next prefix reliably).
"""

from __future__ import annotations

from typing import Any

from analyzer.decode.decode_as import DNS_TCP_PORTS
from analyzer.decode.dns import decode_dns_tcp
from analyzer.decode.errors import DecodeError
from analyzer.decode.packet import DecodeFailure, Packet

DNS_PORT = 53            # the port of the protocol; -d tcp.port==N,dns adds others (DNS_TCP_PORTS)
MAX_BUFFER = 1 << 17     # a DNS message is at most 65535 bytes plus its prefix


class DnsTcpSink:
    """Sink for one connection: buffers per direction, emits whole messages."""

    def __init__(self) -> None:
        self.buf = [bytearray(), bytearray()]
        self.skip = [0, 0]
        self.lost = [False, False]
        self.messages = 0

    def data(self, direction: int, data: bytes, frame: Any, ts_ns: int) -> None:
        if self.lost[direction]:
            return
        skip = self.skip[direction]
        if skip:
            n = min(skip, len(data))
            self.skip[direction] = skip - n
            data = data[n:]
        buf = self.buf[direction]
        buf += data
        pos = 0
        while len(buf) - pos >= 2:
            length = buf[pos] << 8 | buf[pos + 1]
            if len(buf) - pos < 2 + length:
                break
            self._emit(bytes(buf[pos:pos + 2 + length]), frame)
            pos += 2 + length
        if pos:
            del buf[:pos]
        if len(buf) > MAX_BUFFER:
            self.lost[direction] = True
            buf.clear()

    def _emit(self, message: bytes, frame: Any) -> None:
        self.messages += 1
        if not isinstance(frame, Packet):
            return
        try:
            decode_dns_tcp(frame, message, 0, len(message))
        except DecodeError as err:
            if frame.failure is None:
                frame.failure = DecodeFailure(err.layer, err.offset, err.reason)

    def gap(self, direction: int, nbytes: int) -> None:
        buf = self.buf[direction]
        if self.skip[direction]:
            self.skip[direction] = max(0, self.skip[direction] - nbytes)
            return
        if len(buf) >= 2:
            need = 2 + (buf[0] << 8 | buf[1]) - len(buf)
            if nbytes <= need:
                self.skip[direction] = need - nbytes
                buf.clear()
                return
        if buf or nbytes:
            self.lost[direction] = True
            buf.clear()

    def fin(self, direction: int) -> None:
        pass

    def rst(self, direction: int) -> None:
        pass

    def close(self) -> None:
        self.buf = [bytearray(), bytearray()]


def dns_sink_factory(conn: Any) -> DnsTcpSink | None:
    """A DNS-over-TCP sink for connections on port 53 (or one Decode As gives to DNS), None for the others."""
    o, r = conn.sides
    if o.port in DNS_TCP_PORTS or r.port in DNS_TCP_PORTS:
        return DnsTcpSink()
    return None
