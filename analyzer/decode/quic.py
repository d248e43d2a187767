"""QUIC in the per-packet path (RFC 9000 17, RFC 9001 5, RFC 9369): the ``quic`` layers of one UDP datagram,
with Wireshark's field names and values, as ``tshark`` shows them (sans-IO: the decoder reads one datagram).

A datagram holds one QUIC packet or several coalesced ones (RFC 9000 12.2): long-header packets (Initial,
0-RTT, Handshake, Retry), then at most one short-header (1-RTT) packet, last. Each packet is a layer of its
own, as in tshark (``quic.dcid`` of a datagram of three packets is a list of three). What is read:

- every long header in clear: ``quic.header_form``, ``quic.fixed_bit``, ``quic.long.packet_type``,
  ``quic.version``, ``quic.dcil``/``quic.dcid``, ``quic.scil``/``quic.scid``, ``quic.token_length`` (Initial),
  ``quic.length``, ``quic.packet_length``;
- a client's first Initial packets, opened with the keys anyone can derive from their Destination Connection
  ID (:mod:`analyzer.apps.quic`): ``quic.long.reserved``, ``quic.packet_number_length``,
  ``quic.packet_number``, ``quic.payload`` and the frames (``quic.frame_type``; CRYPTO offset and length, ACK
  fields, PADDING length); the ClientHello the CRYPTO frames carry, once whole in the datagram, becomes a
  ``tls`` layer with tshark's ``tls.handshake.*`` fields (server name, ALPN, ...);
- a packet it cannot open (the server's, a Handshake, 0-RTT, 1-RTT: their keys come from the handshake, or
  from the connection's first Initial, which this stateless decoder does not keep) keeps its clear header
  and ``quic.remaining_payload``, as tshark shows packets it has no keys for; with a TLS key log, the
  transaction stage (:mod:`analyzer.apps.http3`) reads the datagram again with the connection's keys
  (``read_datagram(keys=...)``): its Handshake, 0-RTT and 1-RTT packets opened, every frame of RFC 9000 19 with
  tshark's fields (``quic.stream.*``, ``quic.nci.*``, ``quic.cc.*``...) and Info words (``STREAM(0)``, ``NCI``,
  ``DONE``...), and the key phase of a short header; the TLS messages their CRYPTO frames carry (put back in
  order per side by the stage) become a ``tls`` layer on the frame that completes them (:func:`messages_layer`:
  EncryptedExtensions, Certificate with its x509 fields, CertificateVerify, Finished, NewSessionTicket);
- a short header coalesced after long ones: ``quic.short``, ``quic.spin_bit`` and its Destination Connection
  ID, which RFC 9000 12.2 makes the same as the long headers' before it. A datagram that *starts* with a short
  header has a Destination Connection ID of a length only the connection knows: the decoder leaves it UDP
  (so does tshark when it has not seen the connection), and :class:`QuicConnections` (the pipeline's stage)
  gives it its layer when its connection's long headers were seen.

The Info column is tshark's: each packet's text replaces the one before (the last packet's shows):
``Initial, DCID=..., SCID=..., PKN: 0, CRYPTO`` for an opened Initial, ``Handshake, DCID=..., SCID=...`` for
one not opened, ``Protected Payload (KP0), DCID=...`` for a short header (the key phase bit is under header
protection: tshark, without keys, says 0). A datagram whose first bytes are not a QUIC packet of a known
version stays UDP: the decoder adds nothing and never raises.

UDP port 443 is read as QUIC (tshark's registration), other ports by Decode As (``-d udp.port==N,quic``) or by
tshark's heuristic (:func:`decode_quic_heuristic`): a datagram on ports no decoder claims whose first bytes are
a long header of a version QUIC knows is QUIC, and so is every later datagram of its conversation (the
pipeline's :class:`QuicConnections` remembers it, as tshark sets the conversation's dissector).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analyzer.apps.quic import (
    V1,
    V2,
    _varint,
    handshake_message,
    initial_keys,
    known_version,
    open_initial_packet,
)
from analyzer.decode.errors import DecodeError
from analyzer.decode.packet import Layer, Packet

if TYPE_CHECKING:       # the keys come with a key log only (analyzer.apps.http3): no cipher module loads without one
    from analyzer.apps.quic_crypto import ConnectionKeys

QUIC_PORTS: set[int] = {443}            # UDP ports read as QUIC (Decode As adds and removes)
EARLY, HANDSHAKE, APPLICATION = 1, 2, 3     # encryption levels (analyzer.apps.quic_crypto's)
MAX_PACKETS = 16                        # coalesced packets read in one datagram, at most
_TYPE_NAMES = ("Initial", "0-RTT", "Handshake", "Retry")     # by the version 1 type (RFC 9000 17.2)
_V2_TYPES = (3, 0, 1, 2)                # RFC 9369 3.2: a version 2 type's bits -> the version 1 type (index)


def long_type(f: dict[str, Any]) -> int | None:
    """A long header's packet type as version 1 numbers it (0 Initial, 1 0-RTT, 2 Handshake, 3 Retry), whichever
    version sent it (its layer's ``quic.long.packet_type``, or version 2's ``quic.long.packet_type_v2``); None
    for a short header."""
    kind = f.get("quic.long.packet_type")
    if kind is None and "quic.long.packet_type_v2" in f:
        kind = _V2_TYPES[f["quic.long.packet_type_v2"] & 3]
    return kind
_FRAME_NAMES = {0x00: "PADDING", 0x01: "PING", 0x02: "ACK", 0x03: "ACK", 0x06: "CRYPTO", 0x1C: "CC",
                0x1D: "CC"}


class QuicLayer(Layer):
    """One QUIC packet of a datagram: its fields, and ``info``, the Info text tshark gives it. ``crypto``: on
    a datagram's last layer, the CRYPTO frames (offset, bytes) of its opened Initials when they do not hold a
    whole ClientHello (the rest comes in the client's next Initial: :class:`QuicConnections` joins them)."""

    __slots__ = ("crypto", "info")

    def __init__(self, offset: int, length: int, fields: dict[str, Any], info: str):
        super().__init__("quic", offset, length, fields)
        self.info = info
        self.crypto: list[tuple[int, bytes]] | None = None


class QuicTlsLayer(Layer):
    """The ClientHello carried in a client's Initial CRYPTO frames (tshark's ``tls`` layer under ``quic``):
    ``tls.handshake.*`` fields; the Protocol and Info columns stay QUIC's (``protocol``, ``info``, as
    :class:`analyzer.apps.tls.session.TlsLayer` has them), ``tree`` the lines of ``read -V``."""

    __slots__ = ("info", "protocol", "tree")

    def __init__(self, offset: int, length: int, fields: dict[str, Any], info: str,
                 tree: list[tuple[int, str]]):
        super().__init__("tls", offset, length, fields)
        self.info = [info]
        self.protocol = "QUIC"
        self.tree = tree


def _hex(data: bytes) -> str:
    return bytes(data).hex()


def decode_quic(pkt: Packet, data: bytes, off: int, end: int):
    """The decoder of the ``udp.port`` table: the datagram's QUIC packets as layers; nothing (UDP stays the
    top layer) when its first packet is not a long header of a known version."""
    layers, crypto = read_datagram(data, off, end)
    if not layers:
        return
    for layer in layers:
        pkt.add_layer(layer)
    if crypto:
        hello = first_message(crypto)
        if hello is not None:
            pkt.add_layer(hello_layer(hello, off, end - off, layers[-1].info))
        else:
            layers[-1].crypto = crypto
    return


def decode_quic_heuristic(pkt: Packet, data: bytes, off: int, end: int):
    """The ``udp.port`` heuristic (tried when neither port has a decoder), tshark's test for QUIC on any port:
    at least 13 bytes, the long-header bit, version 1, version 2 or an IETF draft from 11 on, connection IDs of
    at most 20 bytes; then the datagram is decoded as on port 443. A datagram that fails the test is left UDP."""
    if end - off < 13 or not data[off] & 0x80:
        return None
    version = int.from_bytes(data[off + 1:off + 5], "big")
    if not (version in (V1, V2) or 0xFF00000B <= version <= 0xFF0000FF):
        return None
    dlen = data[off + 5]
    if dlen > 20 or off + 6 + dlen >= end or data[off + 6 + dlen] > 20:
        return None
    return decode_quic(pkt, data, off, end)


def first_message(chunks: list[tuple[int, bytes]]) -> bytes | None:
    """The first TLS handshake message of CRYPTO frames once whole: a ClientHello (type 1) or a ServerHello
    (type 2); None while bytes are missing, or for anything else."""
    return handshake_message(chunks, (1, 2))


class QuicConnections:
    """The pipeline's QUIC stage (state across datagrams, which the decoder has not), per UDP conversation (its
    two addresses and ports) that carried QUIC long headers, as tshark keeps its connections:

    - the client (the sender of the first Initial) and the length of the connection IDs each side chose
      (their long headers' Source Connection ID), so that a datagram starting with a short header (1-RTT) gets
      its ``quic`` layer with a Destination Connection ID of the length its receiver chose (tshark too shows
      such a datagram as UDP when it knows no connection);
    - the client's first Destination Connection ID, whose keys open every Initial of the connection (RFC
      9001 5.2: the server's with the server's keys): each later datagram with an Initial is read again with
      them;
    - the CRYPTO frames of a side's Initials while its hello spans several datagrams (a post-quantum key
      share makes a ClientHello > 1200 bytes): the ``tls`` layer goes on the frame that completes it, as
      tshark puts it.

    Bounded: :data:`MAX_CONVERSATIONS` conversations (the oldest forgotten first), a hello given up after
    :data:`MAX_HELLO_DATAGRAMS` datagrams."""

    MAX_CONVERSATIONS = 65536
    MAX_HELLO_DATAGRAMS = 8

    def __init__(self) -> None:
        # conversation -> [client port, client's first DCID, client's SCID length, server's SCID length,
        #                  server's SCID, connection number, hellos shown (1 the client's, 2 the server's)]
        self.conns: dict[tuple, list] = {}
        self.numbered = 0           # connections seen: the next one's quic.connection.number (tshark's)
        self.hellos: dict[tuple, list[tuple[int, bytes]]] = {}      # (conversation, sender port) -> CRYPTO
        self.hello_datagrams: dict[tuple, int] = {}

    def datagram(self, pkt: Packet, stream: tuple, sport: int) -> None:
        """A UDP datagram to or from a QUIC port (``sport``: its source port), after the decoder; ``stream``:
        its conversation, the same key both ways (its addresses and ports in an order of their own)."""
        conn = self.conns.get(stream)
        cls = pkt.layers[-1].__class__
        if cls is QuicLayer or cls is QuicTlsLayer:
            if conn is None:
                conn = self._new(pkt, stream, sport)
                if conn is None:
                    return
            elif pkt.payload is not None:
                initial = next((layer.fields for layer in pkt.layers if layer.__class__ is QuicLayer
                                and "quic.token_length" in layer.fields), None)
                if initial is not None:
                    if sport != conn[0]:
                        self._again(pkt, conn[1], True)             # the server's: keys of the client's DCID
                    elif conn[4] is not None and initial["quic.dcid"] == conn[4]:
                        self._again(pkt, conn[1], False)            # the client's, to the server's own CID
                    elif initial["quic.dcid"] != conn[1].hex():
                        conn[1] = bytes.fromhex(initial["quic.dcid"])   # a new connection (new keys), as tshark
                        conn[2] = conn[3] = conn[4] = None
                        conn[5] = self.numbered
                        conn[6] = 0
                        self.numbered += 1
            self._learn(pkt, conn, sport)
            self._number(pkt, conn)
            last = pkt.layers[-1]
            if last.__class__ is QuicLayer and last.crypto is not None:
                self._hello(pkt, (stream, sport), last)
            self._once(pkt, conn, sport != conn[0])
            return
        if conn is None or pkt.payload is None:
            return
        off, end = pkt.payload
        data = pkt.frame.data
        if end <= off or data[off] & 0xC0 != 0x40:
            return
        size = conn[2] if sport != conn[0] else conn[3]     # the receiver's connection IDs' length
        if size is None or end - off < 1 + size:
            return
        layers, _crypto = read_datagram(data, off, end, bytes(data[off + 1:off + 1 + size]))
        for layer in layers:
            pkt.add_layer(layer)
        if layers:
            self._number(pkt, conn)

    @staticmethod
    def _once(pkt: Packet, conn: list, server: bool) -> None:
        """A side's hello is shown once per connection: an Initial sent again (unanswered, or after a Retry)
        carries the same CRYPTO bytes, which tshark's reassembly has already had and does not show again."""
        bit = 2 if server else 1
        if not any(layer.__class__ is QuicTlsLayer for layer in pkt.layers):
            return
        if conn[6] & bit:
            pkt.layers[:] = [layer for layer in pkt.layers if layer.__class__ is not QuicTlsLayer]
            pkt._flat = None
        else:
            conn[6] |= bit

    @staticmethod
    def _number(pkt: Packet, conn: list) -> None:
        """tshark's ``quic.connection.number`` (its "QUIC Connection information"), first in the datagram's
        first QUIC layer."""
        for layer in pkt.layers:
            if layer.__class__ is QuicLayer:
                layer.fields = {"quic.connection.number": conn[5], **layer.fields}
                pkt._flat = None
                return

    def _new(self, pkt: Packet, stream: tuple, sport: int) -> list | None:
        """A conversation's first QUIC datagram: a client's Initial opens a connection; else nothing is kept (a
        server's Initial, sent from a QUIC port and not opened by its own DCID's keys, is not a client's: the
        capture began after the client's)."""
        first = next(layer for layer in pkt.layers if layer.__class__ is QuicLayer)
        f = first.fields
        if "quic.token_length" not in f or (sport in QUIC_PORTS and "quic.frame_type" not in f):
            return None
        if len(self.conns) >= self.MAX_CONVERSATIONS:
            del self.conns[next(iter(self.conns))]
        conn = self.conns[stream] = [sport, bytes.fromhex(f["quic.dcid"]), None, None, None, self.numbered, 0]
        self.numbered += 1
        return conn

    @staticmethod
    def _learn(pkt: Packet, conn: list, sport: int) -> None:
        """The connection IDs' lengths each side chose (its long headers' SCID); a Handshake packet's DCID is
        always one its receiver chose, which tells the other side's when its own packets were not seen (a
        capture begun after the first Initials)."""
        server = sport != conn[0]
        for layer in pkt.layers:
            f = layer.fields
            if layer.__class__ is QuicLayer and f.get("quic.header_form") == 1:
                if server and long_type(f) == 3:
                    # a Retry (RFC 9000 17.2.5): the client's next Initial goes to the connection ID it names,
                    # and the Initials from then on, both ways, take their keys from that ID (RFC 9001 5.2)
                    conn[1] = bytes.fromhex(f["quic.scid"])
                    conn[4] = None
                    continue
                conn[3 if server else 2] = f["quic.scil"]
                if server:
                    conn[4] = f["quic.scid"]
                peer = 2 if server else 3
                if conn[peer] is None and long_type(f) == 2:
                    conn[peer] = f["quic.dcil"]

    @staticmethod
    def _again(pkt: Packet, odcid: bytes, from_server: bool) -> None:
        """Read the datagram's packets again with the keys of the connection's first DCID."""
        off, end = pkt.payload
        layers, crypto = read_datagram(pkt.frame.data, off, end, None, odcid, from_server)
        if not layers:
            return
        first = next(i for i, layer in enumerate(pkt.layers) if layer.__class__ is QuicLayer)
        del pkt.layers[first:]
        pkt._flat = None
        for layer in layers:
            pkt.add_layer(layer)
        if crypto:
            message = first_message(crypto)
            if message is not None:
                pkt.add_layer(hello_layer(message, off, end - off, layers[-1].info))
            else:
                layers[-1].crypto = crypto

    def _hello(self, pkt: Packet, key: tuple, last: QuicLayer) -> None:
        crypto = last.crypto
        got = self.hellos.get(key)
        if got is None:
            if not any(offset == 0 for offset, _data in crypto):
                return                      # not a hello's start (one begun before the capture)
            if len(self.hellos) >= self.MAX_CONVERSATIONS:
                oldest = next(iter(self.hellos))
                del self.hellos[oldest]
                del self.hello_datagrams[oldest]
            got = self.hellos[key] = []
            self.hello_datagrams[key] = 0
        got.extend(crypto)
        self.hello_datagrams[key] += 1
        message = first_message(got)
        if message is not None:
            off, end = pkt.payload
            pkt.add_layer(hello_layer(message, off, end - off, last.info))
        if message is not None or self.hello_datagrams[key] >= self.MAX_HELLO_DATAGRAMS:
            del self.hellos[key]
            del self.hello_datagrams[key]


def read_datagram(data: bytes, off: int, end: int, short_dcid: bytes | None = None, odcid: bytes | None = None,
                  from_server: bool = False, keys: ConnectionKeys | None = None,
                  streams: list | None = None,
                  later_crypto: list | None = None) -> tuple[list[QuicLayer], list[tuple[int, bytes]]]:
    """The QUIC packets of ``data[off:end]`` as layers, and the CRYPTO frames of the Initial packets opened
    (offset, bytes). ``short_dcid``: the Destination Connection ID of a datagram that starts with a short
    header (its length known from the connection); without it such a datagram gives no layer. ``odcid``: the
    client's first Destination Connection ID, known from the connection, whose keys open every Initial of it
    (RFC 9001 5.2: the server's with ``from_server``); without it an Initial is taken for a client's first,
    opened with its own Destination Connection ID. ``keys``: the connection's keys from a key log
    (:class:`analyzer.apps.quic_crypto.ConnectionKeys`), which open its 0-RTT, Handshake and 1-RTT packets (sent by the
    server with ``from_server``); the STREAM frames of those go in ``streams`` (stream id, offset, bytes, fin),
    their CRYPTO frames in ``later_crypto`` (packet number space, offset, bytes)."""
    layers: list[QuicLayer] = []
    crypto: list[tuple[int, bytes]] = []
    pos = off
    dcid = short_dcid
    while pos < end and len(layers) < MAX_PACKETS:
        first = data[pos]
        if first & 0x80:
            got = _long_packet(data, pos, end, crypto, odcid, from_server, keys, streams, later_crypto)
            if got is None:
                break
            layer, pos = got
            dcid = bytes.fromhex(layer.fields["quic.dcid"])
            layers.append(layer)
            if long_type(layer.fields) == 3:
                break                       # Retry: no Length, nothing coalesced after it
        else:
            if dcid is None or first & 0x40 == 0 or end - pos < 1 + len(dcid):
                break
            layers.append(_short_packet(data, pos, end, dcid, keys, from_server, streams, later_crypto))
            break
    return layers, crypto


def _keys(version: int, dcid: bytes, server: bool) -> tuple[bytes, bytes, bytes] | None:
    """:func:`analyzer.apps.quic.initial_keys`, remembered (a connection's Initials share them)."""
    key = (version, dcid, server)
    got = _KEYS.get(key)
    if got is None:
        if len(_KEYS) >= 256:
            _KEYS.clear()
        got = _KEYS[key] = initial_keys(version, dcid, server)
    return got


_KEYS: dict[tuple[int, bytes, bool], tuple[bytes, bytes, bytes] | None] = {}


def _long_packet(data: bytes, pos: int, end: int, crypto: list, odcid: bytes | None = None,
                 from_server: bool = False, keys: ConnectionKeys | None = None,
                 streams: list | None = None, later_crypto: list | None = None) -> tuple[QuicLayer, int] | None:
    """One long-header packet at ``pos``: its layer and where the next packet starts; None when it is not
    one (fixed bit clear, unknown version, lengths past the datagram's end)."""
    if end - pos < 7 or data[pos] & 0x40 == 0:
        return None
    version = int.from_bytes(data[pos + 1:pos + 5], "big")
    if not known_version(version):
        return None
    dlen = data[pos + 5]
    if dlen > 20 or end - pos < 7 + dlen:
        return None
    dcid = bytes(data[pos + 6:pos + 6 + dlen])
    slen = data[pos + 6 + dlen]
    if slen > 20 or end - pos < 7 + dlen + slen:
        return None
    scid = bytes(data[pos + 7 + dlen:pos + 7 + dlen + slen])
    bits = (data[pos] >> 4) & 0x03
    kind = _V2_TYPES[bits] if version == V2 else bits
    at = pos + 7 + dlen + slen
    token_len = token = None
    if kind == 0:
        token_len, at = _vi(data, at, end)
        if token_len is None or at + token_len > end:
            return None
        token = bytes(data[at:at + token_len])
        at += token_len
    if kind == 3:                           # Retry: the rest is the token and the integrity tag
        length, stop = None, end
    else:
        length, at = _vi(data, at, end)
        if length is None or (at + length > end and end - at < 20):
            return None     # (tshark: QUIC [Malformed Packet], its packet number and sample not there)
        stop = min(at + length, end)        # a Length past the datagram's end: the packet is what is there (tshark)
    f: dict[str, Any] = {"quic.packet_length": stop - pos, "quic.header_form": 1}
    if kind != 3:
        f["quic.fixed_bit"] = 1            # tshark shows none for a Retry
    f["quic.long.packet_type_v2" if version == V2 else "quic.long.packet_type"] = bits if version == V2 else kind
    opened = None
    initial = _keys(version, odcid or dcid, from_server) if kind == 0 else None
    handshake = False
    if initial is not None:
        # header protection comes off with the keys (a mask: always); the payload opens only with the right ones
        opened = open_initial_packet(bytes(data[pos:stop]), initial)
    elif kind in (1, 2) and keys is not None and version in (V1, V2) and (kind == 2 or not from_server):
        # a Handshake packet with the key log's handshake secrets, a client's 0-RTT packet with its early
        # traffic secret: shown opened only when it decrypts
        opened = keys.open(data, pos, at, stop, HANDSHAKE if kind == 2 else EARLY, from_server, True)
        if opened is not None and opened[3] is None:
            opened = None
        handshake = opened is not None
    if opened is not None:
        first, pn_len, pn, payload = opened
        f["quic.long.reserved"] = (first >> 2) & 0x03
        f["quic.packet_number_length"] = pn_len - 1
    f["quic.version"] = f"0x{version:08x}"
    f["quic.dcil"] = dlen
    f["quic.dcid"] = _hex(dcid)
    f["quic.scil"] = slen
    f["quic.scid"] = _hex(scid)
    if kind == 0:
        f["quic.token_length"] = token_len
        if token_len:
            f["quic.token"] = _hex(token)
    if length is not None:
        f["quic.length"] = length
    info = f"{_TYPE_NAMES[kind]}"
    if dcid:
        info += f", DCID={_hex(dcid)}"
    if scid:
        info += f", SCID={_hex(scid)}"
    if opened is not None:
        f["quic.packet_number"] = pn
        f["quic.payload"] = _hex(data[at + pn_len:stop])
        info += f", PKN: {pn}"
        if payload is not None:
            if handshake:
                mine: list[tuple[int, bytes]] = []
                names = _frames(payload, f, mine, streams if streams is not None else [])
                if later_crypto is not None and kind == 2:      # (0-RTT carries no CRYPTO frame: RFC 9000 12.4)
                    later_crypto.extend((HANDSHAKE, offset, chunk) for offset, chunk in mine)
            else:
                names = _frames(payload, f, crypto)
            info += "".join(f", {name}" for name in names)
    elif kind != 3:
        f["quic.remaining_payload"] = _hex(data[at:stop])
    elif stop - at >= 16:                   # Retry: its token, then the 16-byte integrity tag (RFC 9001 5.8)
        f["quic.retry_token"] = _hex(data[at:stop - 16])
        f["quic.retry_integrity_tag"] = _hex(data[stop - 16:stop])
    return QuicLayer(pos, stop - pos, f, info), stop


def _vi(data: bytes, at: int, end: int) -> tuple[int | None, int]:
    """A variable-length integer (RFC 9000 16) at ``at`` that must end by ``end``: (value, after), or (None, at)."""
    if at >= end:
        return None, at
    size = 1 << (data[at] >> 6)
    if at + size > end:
        return None, at
    return int.from_bytes(data[at:at + size], "big") & ((1 << (8 * size - 2)) - 1), at + size


def _short_packet(data: bytes, pos: int, end: int, dcid: bytes, keys: ConnectionKeys | None = None,
                  from_server: bool = False, streams: list | None = None,
                  later_crypto: list | None = None) -> QuicLayer:
    """A short-header (1-RTT) packet: its clear header; opened with ``keys`` when they decrypt it (its frames'
    fields, the key phase and packet number tshark shows then)."""
    first = data[pos]
    opened = None
    if keys is not None:
        opened = keys.open(data, pos, pos + 1 + len(dcid), end, APPLICATION, from_server, False)
        if opened is not None and opened[3] is None:
            opened = None
    f: dict[str, Any] = {"quic.packet_length": end - pos, "quic.short": 1, "quic.header_form": 0,
                         "quic.fixed_bit": 1, "quic.spin_bit": (first >> 5) & 1}
    if opened is None:
        info = "Protected Payload (KP0)"
        if dcid:
            f["quic.dcid"] = _hex(dcid)
            info += f", DCID={_hex(dcid)}"
        f["quic.remaining_payload"] = _hex(data[pos + 1 + len(dcid):end])
        return QuicLayer(pos, end - pos, f, info)
    clear, pn_len, pn, payload = opened
    phase = (clear >> 2) & 1
    f["quic.short.reserved"] = (clear >> 3) & 0x03
    f["quic.key_phase"] = phase
    f["quic.packet_number_length"] = pn_len - 1
    info = f"Protected Payload (KP{phase})"
    if dcid:
        f["quic.dcid"] = _hex(dcid)
        info += f", DCID={_hex(dcid)}"
    f["quic.packet_number"] = pn
    f["quic.protected_payload"] = _hex(data[pos + 1 + len(dcid) + pn_len:end])
    info += f", PKN: {pn}"
    mine: list[tuple[int, bytes]] = []
    info += "".join(f", {name}" for name in _frames(payload, f, mine, streams if streams is not None else []))
    if later_crypto is not None:
        later_crypto.extend((APPLICATION, offset, chunk) for offset, chunk in mine)
    return QuicLayer(pos, end - pos, f, info)


# the frames of Handshake and 1-RTT packets besides PADDING, PING, ACK, CRYPTO and STREAM (RFC 9000 19), as a table:
# type -> (tshark's Info word, the fields in order: (name, how it is read)). "v": a variable-length integer;
# "id": one, a stream ID, also shown in the Info word ("MSD(4)"); "n": a one-byte length; "lenv": a variable-length
# length; "data": the bytes the length before gives; "8"/"16": so many bytes; "rest": the rest of the payload.
# Frames whose fields this table does not name (DATA_BLOCKED...) keep their frame type only, as read past.
_FRAME_TABLE: dict[int, tuple[str, tuple[tuple[str | None, str], ...]]] = {
    0x04: ("RS", (("quic.rsts.stream_id", "id"), ("quic.rsts.application_error_code", "v"),
                  ("quic.rsts.final_size", "v"))),
    0x05: ("SS", (("quic.ss.stream_id", "id"), ("quic.ss.application_error_code", "v"))),
    0x07: ("NT", (("quic.nt.length", "lenv"), ("quic.nt.token", "data"))),
    0x10: ("MD", (("quic.md.maximum_data", "v"),)),
    0x11: ("MSD", (("quic.msd.stream_id", "id"), ("quic.msd.maximum_stream_data", "v"))),
    0x12: ("MS", (("quic.ms.max_streams", "v"),)),
    0x13: ("MS", (("quic.ms.max_streams", "v"),)),
    0x14: ("DB", ((None, "v"),)),
    0x15: ("SDB", ((None, "id"), (None, "v"))),
    0x16: ("SB", ((None, "v"),)),
    0x17: ("SB", ((None, "v"),)),
    0x18: ("NCI", (("quic.nci.sequence", "v"), ("quic.nci.retire_prior_to", "v"),
                   ("quic.nci.connection_id.length", "n"), ("quic.nci.connection_id", "data"),
                   ("quic.nci.stateless_reset_token", "16"))),
    0x19: ("", (("quic.rci.sequence", "v"),)),
    0x1A: ("PC", (("quic.path_challenge.data", "8"),)),
    0x1B: ("PR", (("quic.path_response.data", "8"),)),
    0x1C: ("CC", (("quic.cc.error_code", "v"), ("quic.cc.frame_type", "v"), ("quic.cc.reason_phrase.length", "lenv"),
                  ("quic.cc.reason_phrase", "text"))),
    0x1D: ("CC", (("quic.cc.error_code.app", "v"), ("quic.cc.reason_phrase.length", "lenv"),
                  ("quic.cc.reason_phrase", "text"))),
    0x1E: ("DONE", ()),
    0x30: ("DG", (("quic.dg", "rest"),)),
    0x31: ("DG", (("quic.dg.length", "lenv"), ("quic.dg", "data"))),
}


def _frames(payload: bytes, f: dict[str, Any], crypto: list, streams: list | None = None) -> list[str]:
    """The frames of an opened packet's payload: their fields go in ``f``, CRYPTO data in ``crypto``; the Info
    words, in order (a run of PADDING is one frame, as in tshark). Without ``streams`` (an Initial packet: RFC
    9000 12.4, PADDING, PING, ACK, CRYPTO, CONNECTION_CLOSE) it stops quietly at any other type; with it (a
    Handshake or 1-RTT packet) every frame of RFC 9000 19 is read, the STREAM frames' data going in ``streams``
    as (stream id, offset, bytes, fin). A frame cut short ends the reading, its fields left out."""
    names: list[str] = []
    pos, n = 0, len(payload)
    while pos < n:
        kind = payload[pos]
        if kind == 0x00:
            start = pos
            while pos < n and payload[pos] == 0:
                pos += 1
            _add(f, "quic.frame_type", 0)
            _add(f, "quic.padding_length", pos - start)
            names.append("PADDING")
            continue
        pos += 1
        if kind == 0x01:
            _add(f, "quic.frame_type", 1)
        elif kind == 0x06:
            offset, pos = _varint(payload, pos)
            size, pos = _varint(payload, pos) if offset is not None else (None, pos)
            if size is None or pos + size > n:
                break
            _add(f, "quic.frame_type", 6)
            _add(f, "quic.crypto.offset", offset)
            _add(f, "quic.crypto.length", size)
            crypto.append((offset, bytes(payload[pos:pos + size])))
            pos += size
        elif kind in (0x02, 0x03):
            values = []
            for _ in range(4):              # largest acknowledged, delay, range count, first range
                v, pos = _varint(payload, pos)
                if v is None:
                    return names
                values.append(v)
            extra = []
            for _ in range(2 * min(values[2], 256) + (3 if kind == 0x03 else 0)):
                v, pos = _varint(payload, pos)
                if v is None:
                    return names
                extra.append(v)
            _add(f, "quic.frame_type", kind)
            for name, value in zip(("quic.ack.largest_acknowledged", "quic.ack.ack_delay",
                                    "quic.ack.ack_range_count", "quic.ack.first_ack_range"), values):
                _add(f, name, value)
            ranges = 2 * min(values[2], 256)
            for i in range(0, ranges, 2):
                _add(f, "quic.ack.gap", extra[i])
                _add(f, "quic.ack.ack_range", extra[i + 1])
            if kind == 0x03:
                for name, value in zip(("quic.ack.ect0_count", "quic.ack.ect1_count", "quic.ack.ecn_ce_count"),
                                       extra[ranges:]):
                    _add(f, name, value)
        elif streams is None:
            if kind in (0x1C, 0x1D):
                _add(f, "quic.frame_type", kind)
                names.append("CC")
            break                           # CONNECTION_CLOSE: the rest says why; else not an Initial's frame
        elif 0x08 <= kind <= 0x0F:
            sid, pos = _varint(payload, pos)
            offset = 0
            if sid is not None and kind & 0x04:
                offset, pos = _varint(payload, pos)
            size = n - pos
            if offset is not None and kind & 0x02:
                size, pos = _varint(payload, pos)
            if sid is None or offset is None or size is None or pos + size > n:
                break
            _add(f, "quic.frame_type", kind)
            _add(f, "quic.stream.fin", kind & 1)
            _add(f, "quic.stream.len", (kind >> 1) & 1)
            _add(f, "quic.stream.off", (kind >> 2) & 1)
            _add(f, "quic.stream.stream_id", sid)
            _add(f, "quic.stream.initiator", sid & 1)
            _add(f, "quic.stream.direction", (sid >> 1) & 1)
            if kind & 0x04:
                _add(f, "quic.stream.offset", offset)
            if kind & 0x02:
                _add(f, "quic.stream.length", size)
            _add(f, "quic.stream_data", _hex(payload[pos:pos + size]))
            streams.append((sid, offset, bytes(payload[pos:pos + size]), bool(kind & 1)))
            pos += size
            names.append(f"STREAM({sid})")
            continue
        else:
            spec = _FRAME_TABLE.get(kind)
            if spec is None:
                break                       # an unknown frame type: its length is unknown, nothing after it is read
            word, parts = spec
            got: list[tuple[str, Any]] = []
            length = 0
            for name, how in parts:
                if how in ("v", "id", "lenv"):
                    value, pos = _varint(payload, pos)
                    if value is None:
                        return names
                    if how == "lenv":
                        length = value
                    elif how == "id":
                        word += f"({value})"
                elif how == "n":
                    if pos >= n:
                        return names
                    value = length = payload[pos]
                    pos += 1
                else:
                    size = {"8": 8, "16": 16, "rest": n - pos}.get(how, length)
                    if pos + size > n:
                        return names
                    raw = payload[pos:pos + size]
                    value = bytes(raw).decode("utf-8", "replace") if how == "text" else _hex(raw)
                    pos += size
                if name is not None:
                    got.append((name, value))
            _add(f, "quic.frame_type", kind)
            for name, value in got:
                _add(f, name, value)
            if word:
                names.append(word)
            continue
        names.append(_FRAME_NAMES[kind])
    return names


def _add(f: dict[str, Any], name: str, value: Any) -> None:
    old = f.get(name)
    if old is None:
        f[name] = value
    elif type(old) is list:
        old.append(value)
    else:
        f[name] = [old, value]


def hello_layer(message: bytes, offset: int, length: int, info: str) -> QuicTlsLayer:
    """The ``tls`` layer of a whole ClientHello or ServerHello (handshake type, its length, its body; QUIC
    carries TLS 1.3 only, and no records)."""
    from analyzer.apps.tls.handshake import _EXTENSIONS, client_hello, server_hello

    mtype = message[0]
    name = "Client Hello" if mtype == 1 else "Server Hello"
    fields: dict[str, Any] = {"tls.handshake.type": mtype, "tls.handshake.length": len(message) - 4}
    tree = [(0, f"TLSv1.3 Record Layer: Handshake Protocol: {name} (in QUIC CRYPTO frames, no record)"),
            (1, f"Handshake Protocol: {name}"), (2, f"Handshake Type: {name} ({mtype})"),
            (2, f"Length: {len(message) - 4}")]
    try:
        summary = client_hello(message[4:], fields, True) if mtype == 1 else server_hello(message[4:], fields)
    except DecodeError as err:
        tree.append((2, f"[Malformed: {err.reason}]"))
        return QuicTlsLayer(offset, length, fields, info, tree)
    # the QUIC transport parameters (extension 57; 0xffa5 in drafts) are QUIC's, which tshark reads as such:
    # not an unknown extension's data
    data = fields.get("tls.handshake.extension.data")
    if data is not None:
        types = fields.get("tls.handshake.extension.type")
        lens = fields.get("tls.handshake.extension.len")
        types = types if type(types) is list else [types]
        lens = lens if type(lens) is list else [lens]
        data = data if type(data) is list else [data]
        kept = [d for d, t in zip(data, [t for t, n in zip(types, lens) if t not in _EXTENSIONS and n])
                if t not in (57, 0xFFA5)]
        if kept:
            fields["tls.handshake.extension.data"] = kept if len(kept) > 1 else kept[0]
        else:
            del fields["tls.handshake.extension.data"]
    if summary.get("sni"):
        sni = summary["sni"]
        tree.append((2, f"Server Name (SNI): {sni}  [sent in clear text: anyone on the path can read it]"))
    if summary.get("alpn"):
        alpn = ", ".join(summary["alpn"])
        tree.append((2, f"ALPN: {alpn}  [the application protocols offered: h3 is HTTP/3]"))
    return QuicTlsLayer(offset, length, fields, info, tree)


# the handshake messages that travel in Handshake and 1-RTT packets (RFC 9001 4.1.4), by type: their names
_LATER_MESSAGES = {4: "New Session Ticket", 8: "Encrypted Extensions", 11: "Certificate", 13: "Certificate Request",
                   15: "Certificate Verify", 20: "Finished", 24: "Key Update"}


def messages_layer(messages: list[bytes], offset: int, length: int, info: str) -> QuicTlsLayer:
    """The ``tls`` layer of whole handshake messages that CRYPTO frames of Handshake or 1-RTT packets carried
    (opened with a key log): EncryptedExtensions with the server's transport parameters, Certificate with each
    certificate's x509 fields, CertificateVerify, Finished, NewSessionTicket, as tshark shows them."""
    from analyzer.apps.tls import handshake as H

    fields: dict[str, Any] = {}
    names = [_LATER_MESSAGES.get(m[0], f"Unknown Handshake Message ({m[0]})") for m in messages]
    title = names[0] if len(names) == 1 else "Multiple Handshake Messages"
    tree = [(0, f"TLSv1.3 Record Layer: Handshake Protocol: {title} (in QUIC CRYPTO frames, no record)")]
    for message, name in zip(messages, names):
        mtype, body = message[0], message[4:]
        _add(fields, "tls.handshake.type", mtype)
        _add(fields, "tls.handshake.length", len(body))
        tree += [(1, f"Handshake Protocol: {name} (decrypted)"), (2, f"Handshake Type: {name} ({mtype})"),
                 (2, f"Length: {len(body)}")]
        try:
            if mtype == 8:
                summary = H.extensions_block(body, fields, "encrypted_extensions")
                if summary["alpn"]:
                    tree.append((2, f"ALPN: {summary['alpn']}  [the application protocol the server chose]"))
            elif mtype == 11:
                for cert in H.certificate(body, fields, True):
                    if "error" in cert:
                        tree.append((2, f"[{cert['error']}]"))
                        continue
                    tree += [(2, f"Subject: {cert['subject']}"), (2, f"Issuer: {cert['issuer']}"),
                             (2, f"Validity: {cert['not_before']} to {cert['not_after']}"),
                             (2, f"Names (SAN): {', '.join(cert['san']) or '(none)'}")]
            elif mtype == 15:
                H.certificate_verify(body, fields)
            elif mtype == 20:
                H.finished(body, fields)
            elif mtype == 4:
                H.new_session_ticket(body, fields, True)
            elif mtype == 24:
                H.key_update(body, fields)
        except DecodeError as err:
            tree.append((2, f"[Malformed: {err.reason}]"))
    return QuicTlsLayer(offset, length, fields, info, tree)
