"""HTTP/2 (RFC 9113) seen passively: frames with tshark's ``http2.*`` fields, HPACK header blocks (through the
``hpack`` package), stream states, flow control, and each stream's request and response as the same HTTP
records HTTP/1.x makes. h2c (prior knowledge, or ``Upgrade: h2c``) over TCP, and h2 over decrypted TLS.

Modules: :mod:`.frames` (frame layout and fields), :mod:`.headerblock` (HPACK, fragment by fragment),
:mod:`.streams` (the stream state table), :mod:`.connection` (one connection, sans-IO), :mod:`.sink`
(the reassembly sink, packet layers, records).
"""

from analyzer.apps.http2.connection import Frame, H2Headers, Http2Connection, Stall, StreamRecord
from analyzer.apps.http2.frames import PREFACE
from analyzer.apps.http2.sink import Http2Layer, Http2Sink, Http2Tracker, info_text, protocol_text

__all__ = ["PREFACE", "Frame", "H2Headers", "Http2Connection", "Http2Layer", "Http2Sink", "Http2Tracker",
           "Stall", "StreamRecord", "info_text", "protocol_text"]
