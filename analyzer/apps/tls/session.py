"""TLS over the TCP reassembler: a sink per connection that cuts each direction's bytes into records, decodes
them (Wireshark's ``tls.*`` fields on the frame that completes each record), decrypts them when the key log
has the connection's secrets, hands the plaintext to the HTTP/1.x or HTTP/2 sink, and at the end hands out a
:class:`~analyzer.apps.tls.facts.TlsSession`.

Theory of operation
-------------------
:class:`TlsTracker` is a sink factory for :class:`analyzer.pipeline.Pipeline`; every TCP connection gets a
:class:`TlsSink`, on any port. The sink judges a direction by its first bytes: a record header (content type
20-24, version 3.x, a length no record may exceed) or the connection is not TLS and the sink gives up for
good (so non-TLS connections cost nothing after their first segment). A direction whose SYN was not seen
(capture started mid-connection) or that lost bytes waits for a segment that starts with a record header.

Each direction is in one of the *key epochs* of :data:`EPOCH_AFTER` — ``clear`` until its keys change, then
``early`` / ``handshake`` / ``application`` (TLS 1.3) or ``application`` (TLS 1.2, after its
ChangeCipherSpec); the table is the whole state machine: (version family, message, sender's side) -> the new
epoch of (the sender's direction, the other direction). Records of an epoch other than ``clear`` are
decrypted with that epoch's key when the key log has it; otherwise they are shown as tshark shows them
without keys (``Application Data``, ``Encrypted Handshake Message``, ``Encrypted Alert``).

Bad input never raises: a byte stream that stops looking like records (garbage after a ClientHello, a lying
length, a record longer than 2^14 + 2048 bytes) ends that direction's decoding with a note and a
:class:`~analyzer.decode.packet.DecodeFailure` on the frame; a malformed handshake message gets the same and
the next message is read. Memory per connection is bounded: one record (at most 18 KiB) and one handshake
message (at most :data:`MAX_HANDSHAKE_MESSAGE`) per direction, and at most
:data:`~analyzer.apps.tls.facts.MAX_RECORDS_KEPT` application-data records per direction in the facts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analyzer.apps.tls import facts as F
from analyzer.apps.tls import handshake as H
from analyzer.apps.tls.keylog import (
    CLIENT_EARLY,
    CLIENT_HANDSHAKE,
    CLIENT_RANDOM,
    CLIENT_TRAFFIC,
    SERVER_HANDSHAKE,
    SERVER_TRAFFIC,
    KeyLog,
)
from analyzer.apps.tls.tables import (
    ALERT,
    ALERT_DESCRIPTIONS,
    ALERT_LEVELS,
    APPLICATION_DATA,
    CHANGE_CIPHER_SPEC,
    CIPHER_SUITES,
    CONTENT_TYPES,
    GROUPS,
    HANDSHAKE,
    HANDSHAKE_TYPES,
    HEARTBEAT,
    VERSIONS,
    is_grease,
    name_of,
    suite_name,
    tag_length,
    version_name,
)
from analyzer.decode.errors import DecodeError
from analyzer.decode.packet import DecodeFailure, Layer, Packet, add_field

if TYPE_CHECKING:       # the crypto module imports ``cryptography`` (~0.1 s): only a connection with keys needs it
    from analyzer.apps.tls.crypto import Decryptor, TrialDecryptor

MAX_RECORD = (1 << 14) + 2048           # RFC 5246 6.2.3: TLSCiphertext.length may not exceed 2^14 + 2048
MAX_HANDSHAKE_MESSAGE = 1 << 18         # handshake bytes held for one message (certificate chains fit)
PICKUP_SEGMENTS = 32                    # segments searched for a record start after a loss or mid-stream
MAX_PROXY_HEAD = 16384                  # a longer HTTP head before the tunnel is no proxy's: not followed
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"     # an HTTP/2 client's first bytes (RFC 9113 3.4)

# Application protocols, by ALPN and by well-known TLS port (Wireshark's tls.alpn and tls.port tables), with
# the protocol's long name tshark puts in tls.app_data_proto.
HTTP, HTTP2 = "Hypertext Transfer Protocol", "HyperText Transfer Protocol 2"
ALPN_PROTOCOLS = {"http/1.1": HTTP, "http/1.0": HTTP, "h2": HTTP2, "imap": "Internet Message Access Protocol",
                  "pop3": "Post Office Protocol", "dot": "Domain Name System"}
PORT_PROTOCOLS = {443: HTTP, 853: "Domain Name System", 993: "Internet Message Access Protocol",
                  995: "Post Office Protocol", 465: "Simple Mail Transfer Protocol",
                  636: "Lightweight Directory Access Protocol", 5061: "Session Initiation Protocol",
                  8883: "MQ Telemetry Transport Protocol"}

CLEAR, EARLY, HANDSHAKE_KEYS, APPLICATION = "clear", "early", "handshake", "application"
CLIENT, SERVER = "client", "server"
# (family, event, sender) -> (sender's direction's new epoch, the other direction's new epoch); None = same.
EPOCH_AFTER = {
    ("1.3", "server_hello", SERVER): (HANDSHAKE_KEYS, HANDSHAKE_KEYS),
    ("1.3", "client_hello_early", CLIENT): (EARLY, None),
    ("1.3", "end_of_early_data", CLIENT): (HANDSHAKE_KEYS, None),
    ("1.3", "finished", SERVER): (APPLICATION, None),
    ("1.3", "finished", CLIENT): (APPLICATION, None),
    ("1.3", "key_update", SERVER): ("next", None),
    ("1.3", "key_update", CLIENT): ("next", None),
    ("1.2", "change_cipher_spec", SERVER): (APPLICATION, None),
    ("1.2", "change_cipher_spec", CLIENT): (APPLICATION, None),
}
TLS13_SECRETS = {(EARLY, CLIENT): CLIENT_EARLY, (HANDSHAKE_KEYS, CLIENT): CLIENT_HANDSHAKE,
                 (HANDSHAKE_KEYS, SERVER): SERVER_HANDSHAKE, (APPLICATION, CLIENT): CLIENT_TRAFFIC,
                 (APPLICATION, SERVER): SERVER_TRAFFIC}


class TlsLayer(Layer):
    """The ``tls`` layer of one frame: every record that completed in it. ``info`` holds each record's
    Info text (tshark joins them with ", "), ``protocol`` the Protocol column (``TLSv1.3``), ``tree`` the
    lines of ``read -V`` (each record, its messages and what they mean), as (depth, text) pairs."""

    __slots__ = ("info", "protocol", "tree")

    def __init__(self, offset: int, length: int):
        super().__init__("tls", offset, length, {})
        self.info: list[str] = []
        self.protocol = "TLS"
        self.tree: list[tuple[int, str]] = []


class _Side:
    """The state of one TCP direction."""

    __slots__ = (
        "app",
        "buf",
        "dead",
        "decryptor",
        "epoch",
        "gap_lost",
        "hs",
        "hs_encrypted",
        "pickup",
        "records",
        "secret",
        "seen",
    )

    def __init__(self) -> None:
        self.buf = bytearray()          # bytes of an unfinished record
        self.hs = bytearray()           # bytes of an unfinished handshake message
        self.hs_encrypted = False
        self.epoch = CLEAR
        self.decryptor: Decryptor | TrialDecryptor | None = None
        self.secret: bytes | None = None     # TLS 1.3: the current traffic secret (for KeyUpdate)
        self.dead = False               # stopped decoding (not records any more)
        self.pickup = 0                 # >0: waiting for a segment that starts with a record header
        self.gap_lost = False           # bytes were lost: later records cannot be decrypted
        self.seen = False
        self.records = [0, 0]           # application-data records, bytes (all of them)
        self.app: list[F.RecordRef] = []


class _Tunnel:
    """An HTTP proxy's CONNECT tunnel (RFC 9110 9.3.6) ahead of the TLS: the client's CONNECT request and the
    proxy's answer are skipped (the HTTP sink reads them); from the proxy's 2xx on, each direction's bytes are
    the tunnelled stream, read as TLS as on a direct connection (tshark reads them so too). A refusal (407
    asking for credentials, 403, 502 ...) and its body are skipped and the client's next CONNECT awaited."""

    __slots__ = ("client", "frame", "heads", "open", "requests", "skip", "target", "ts_ns")

    def __init__(self, client: int):
        self.client = client                    # the direction that sent CONNECT
        self.heads = (bytearray(), bytearray())  # each direction's bytes not yet read as heads
        self.skip = 0                           # body bytes of a refusal still to skip
        self.open = False
        self.target: str | None = None          # the CONNECT request's host:port
        self.requests = 0                       # CONNECT requests read
        self.frame: int | None = None           # the frame of the proxy's 2xx
        self.ts_ns: int | None = None


def _head(buf: bytearray) -> bytes | None:
    """The HTTP head at the start of ``buf`` (removed from it), None while it is not whole."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buf[:end])
    del buf[:end + 4]
    return head


def plausible_header(data: bytes | bytearray, at: int = 0) -> bool:
    """Do the bytes at ``at`` start a TLS record header (type 20-24, version 3.0-3.4, sane length)?"""
    if len(data) - at < 3:
        return len(data) - at > 0 and 20 <= data[at] <= 24 and (len(data) - at < 2 or data[at + 1] == 3)
    if not (20 <= data[at] <= 24 and data[at + 1] == 3 and data[at + 2] <= 4):
        return False
    return len(data) - at < 5 or (data[at + 3] << 8 | data[at + 4]) <= MAX_RECORD


class TlsSink:
    """The reassembly sink of one TCP connection (see the module docstring)."""

    def __init__(self, tracker: TlsTracker, conn: Any):
        self.tracker = tracker
        self.conn = conn
        self.sides = (_Side(), _Side())
        self.dead = False               # not TLS: nothing more is done
        self.started = False
        self.client_dir = 0
        self._layer: tuple[Any, TlsLayer | None] = (None, None)
        self._last = (0, 0)
        self._numbered = False          # the caller hands frame numbers, not Packets (headers-only)
        # what the handshake said
        self.family: str | None = None          # "1.3" or "1.2" (1.0-1.2) once the ServerHello is seen
        self.version: int | None = None
        self.suite: int | None = None
        self.client_random: bytes | None = None
        self.server_random: bytes | None = None
        self.ch: dict[str, Any] | None = None
        self.alpn: str | None = None
        self.etm = False
        self.resumed = False
        self.resumed_marked = False
        self.cert_seen = False
        self.curve: str | None = None           # the ECDHE group of a TLS 1.2 ServerKeyExchange
        self.early_records = 0                  # TLS 1.3 early data records the client sent (not decrypted)
        self.early: tuple[str, str, int] | None = None  # (EARLY_ACCEPTED/EARLY_REFUSED, why, frame): _early_is
        self.flight_frame: int | None = None    # the frame of the server's first encrypted handshake record
        # facts
        self.client_hello: F.ClientHelloFacts | None = None
        self.server_hello: F.ServerHelloFacts | None = None
        self.hello_retry: F.ServerHelloFacts | None = None
        self.certificates: list[F.CertificateFacts] = []
        self.handshake: list[F.HandshakeMessage] = []
        self.alerts: list[F.AlertFacts] = []
        self.ccs: list[F.RecordRef] = []
        self.clear_sequence: list[tuple[int, str]] = []
        self.first: tuple[int, int] | None = None
        self.decrypted = False
        self.key_note: str | None = None
        self.key_problem: str | None = None
        self.app_sink: Any = None
        self.app_sink_made = False
        self._explain: list[tuple[int, str]] = []
        self.tunnel: _Tunnel | None = None      # through an HTTP proxy: TLS starts after its CONNECT answer

    # -- the sink interface ----------------------------------------------------------------------------
    def gives_up_on(self, direction: int, data: bytes) -> bool:
        """:meth:`data` of these bytes would do nothing (given up already) or give up (the connection's first
        bytes in this direction, after its SYN, are neither a TLS record nor a CONNECT), reading nothing of the
        frame but its number (``pipeline.FanOutSink`` then gives it the number, not the packet)."""
        if self.dead:
            return True
        side = self.sides[direction]
        return side.dead or (self.tunnel is None and not side.seen and not self.started and bool(data)
                             and not b"CONNECT ".startswith(data[:8]) and not plausible_header(data)
                             and bool(self.conn.sides[direction].syn_frame))

    def data(self, direction: int, data: bytes, frame: Any, ts_ns: int) -> None:
        if self.dead:
            return
        side = self.sides[direction]
        if side.dead:
            return
        pkt = frame if isinstance(frame, Packet) else None
        if pkt is not None:
            number = pkt.frame.number
        else:           # a frame number from a headers-only caller, or None when bytes are released at close
            number = frame if isinstance(frame, int) else self._last[0]
        self._last = (number, ts_ns)
        self._numbered = isinstance(frame, int)
        tunnel = self.tunnel
        if tunnel is None and not side.seen and not self.started and data and \
                b"CONNECT ".startswith(data[:8]) and self.conn.sides[direction].syn_frame:
            # (a first segment that is only the start of the word too: _connect_head gives up if it is not)
            tunnel = self.tunnel = _Tunnel(direction)
        if tunnel is not None and not tunnel.open:
            data = self._proxy(tunnel, direction, data, frame, number, ts_ns)
            if not data or self.dead:
                return
        if not side.seen and not self._first_bytes(direction, side, data):
            return
        if side.pickup:
            if not plausible_header(data):
                side.pickup -= 1
                if side.pickup == 0:
                    side.dead = True
                return
            side.pickup = 0
            side.buf.clear()
        buf = side.buf
        buf += data
        at = 0
        end = len(buf)
        while end - at >= 5:
            ctype, major, minor = buf[at], buf[at + 1], buf[at + 2]
            length = buf[at + 3] << 8 | buf[at + 4]
            if not (20 <= ctype <= 25 and major == 3 and minor <= 4) or length > MAX_RECORD:
                self._desync(direction, side, pkt, buf, at, ctype, major << 8 | minor, length)
                return
            if end - at - 5 < length:
                break
            fragment = bytes(buf[at + 5:at + 5 + length])
            at += 5 + length
            self._record(direction, side, ctype, major << 8 | minor, fragment, pkt, number, ts_ns)
            if side.dead or self.dead:
                buf.clear()
                return
        if at:
            del buf[:at]

    def gap(self, direction: int, nbytes: int) -> None:
        if self.dead:
            return
        side = self.sides[direction]
        if not side.seen:
            return
        side.buf.clear()
        side.hs.clear()
        side.pickup = PICKUP_SEGMENTS
        if side.epoch != CLEAR and not side.gap_lost:
            side.gap_lost = True
            if side.decryptor is not None:
                self.key_note = (f"{nbytes} bytes lost in the {self._who(direction)}'s direction: its later "
                                 "records were not decrypted")
                self.key_problem = "bytes_lost"
                self._note(None, "warning", f"{nbytes} bytes lost in the {self._who(direction)}'s direction: "
                           "its later records cannot be decrypted (their sequence numbers are unknown)")
            side.decryptor = None
        if self.app_sink is not None:
            self.app_sink.gap(direction, nbytes)

    def fin(self, direction: int) -> None:
        if self.app_sink is not None and not self.dead:
            self.app_sink.fin(direction)

    def rst(self, direction: int) -> None:
        if self.app_sink is not None and not self.dead:
            self.app_sink.rst(direction)

    def close(self) -> None:
        self.tracker.open.discard(self)
        if self.dead:
            return
        if self.app_sink is not None:
            self.app_sink.close()
        if self.started:
            self.tracker.add(self.session())
        self.dead = True

    # -- judging the stream ----------------------------------------------------------------------------
    def _first_bytes(self, direction: int, side: _Side, data: bytes) -> bool:
        if plausible_header(data):
            side.seen = True
            if not self.started:
                self.started = True
                # the client speaks first; a capture picked up mid-connection: the originator
                self.client_dir = direction if (len(data) > 5 and data[0] == HANDSHAKE and data[5] == 1) else 0
            return True
        if self.conn.sides[direction].syn_frame and not self.started:
            self._give_up()         # the connection's first bytes are not a TLS record: not TLS
            return False
        side.seen = True            # mid-stream or after a loss: wait for a record start
        side.pickup = PICKUP_SEGMENTS
        return True

    def _proxy(self, tunnel: _Tunnel, direction: int, data: bytes, frame: Any, number: int, ts_ns: int) -> bytes:
        """Bytes of a connection to an HTTP proxy before its tunnel opened: the heads are set aside; what
        follows the proxy's 2xx (in this direction's ``data``) is returned to be read as TLS."""
        buf = tunnel.heads[direction]
        buf += data
        if len(buf) > MAX_PROXY_HEAD + len(data):
            self._give_up()
            return b""
        c = tunnel.client
        if direction == c:
            # the client's CONNECT; bytes after it wait for the answer (from a client that does not wait)
            if tunnel.target is None:
                if not (buf.startswith(b"CONNECT ") or b"CONNECT ".startswith(bytes(buf))):
                    self._give_up()             # another method (COPY, CHECKOUT ...): no tunnel
                    return b""
                self._connect_head(tunnel)
            return b""
        while not self.dead:
            if tunnel.skip:
                n = min(tunnel.skip, len(buf))
                del buf[:n]
                tunnel.skip -= n
                if tunnel.skip:
                    return b""
            head = _head(buf)
            if head is None:
                return b""
            line = head.split(b"\r\n", 1)[0].split(b" ", 2)
            code = int(line[1]) if len(line) > 1 and line[1].isdigit() and line[0].startswith(b"HTTP/") else 0
            if 200 <= code < 300:
                tunnel.open = True
                tunnel.frame, tunnel.ts_ns = number, ts_ns
                held, rest = bytes(tunnel.heads[c]), bytes(buf)
                tunnel.heads = (bytearray(), bytearray())
                if held:                        # sent before the answer: the tunnel's first bytes
                    self.data(c, held, frame, ts_ns)
                return rest
            if not 100 <= code < 200:           # an interim answer is skipped as it is
                if not code:
                    self._give_up()             # no HTTP answer: not a proxy
                    return b""
                # refused: its body is skipped; the client may ask again (with credentials) on this connection
                length = next((v.strip() for k, _, v in (h.partition(b":") for h in head.split(b"\r\n")[1:])
                               if k.strip().lower() == b"content-length"), b"0")
                tunnel.skip = int(length) if length.isdigit() else 0
                tunnel.target = None
                self._connect_head(tunnel)      # the next CONNECT may be here already
        return b""

    def _connect_head(self, tunnel: _Tunnel) -> None:
        """The client's CONNECT request head, when it is whole: its target."""
        head = _head(tunnel.heads[tunnel.client])
        if head is None:
            return
        parts = head.split(b"\r\n", 1)[0].split(b" ")
        if len(parts) != 3 or parts[0] != b"CONNECT":
            self._give_up()
            return
        tunnel.target = parts[1].decode("ascii", "replace")
        tunnel.requests += 1

    def _give_up(self) -> None:
        self.dead = True
        self.tracker.open.discard(self)
        if getattr(self.conn, "sink", None) is self:
            self.conn.sink = None

    def _desync(self, direction: int, side: _Side, pkt: Packet | None, buf: bytearray, at: int, ctype: int,
                version: int, length: int) -> None:
        """Bytes that cannot be a record header where one must start: stop decoding this direction."""
        if length > MAX_RECORD and 20 <= ctype <= 25:
            reason = f"record length {length} exceeds the maximum {MAX_RECORD} (2^14 + 2048)"
        else:
            reason = f"not a TLS record (content type {ctype}, version 0x{version:04x}): ignored unknown record"
        side.dead = True
        buf.clear()
        layer = self._layer_for(pkt)
        if layer is not None:
            layer.info.append("Ignored Unknown Record")
        self._note(pkt, "warning", reason + f"; the rest of the {self._who(direction)}'s stream is not decoded")

    # -- records ---------------------------------------------------------------------------------------
    def _record(self, direction: int, side: _Side, ctype: int, version: int, fragment: bytes,
                pkt: Packet | None, number: int, ts: int) -> None:
        if self.first is None:
            self.first = (number, ts)
        layer = self._layer_for(pkt)
        fields = layer.fields if layer is not None else {}
        tls13 = self.family == "1.3"
        opaque = ctype == APPLICATION_DATA and (tls13 and side.epoch != CLEAR or self._early_data(direction))
        if opaque:
            add_field(fields, "tls.record.opaque_type", ctype)
        else:
            add_field(fields, "tls.record.content_type", ctype)
        add_field(fields, "tls.record.version", f"0x{version:04x}")
        add_field(fields, "tls.record.length", len(fragment))
        info: list[str] = []
        self._explain = []
        # TLS 1.3 gives every protected record the outer type application_data (RFC 8446 5.2): one of another
        # type is in clear even once keys are in use (an alert a client sends before it turns its own keys on,
        # as OpenSSL's refusing a certificate: tshark reads it so too)
        encrypted = side.epoch != CLEAR and ctype != CHANGE_CIPHER_SPEC and not (tls13 and ctype != APPLICATION_DATA)
        if encrypted:
            inner = self._decrypt(direction, side, ctype, version, fragment, pkt)
            if inner is None:
                if opaque:
                    self._opaque_fact(direction, side, len(fragment), number, ts)
                self._undecrypted(direction, side, ctype, fragment, fields, info, number, ts, opaque)
            else:
                itype, plain = inner
                if opaque:
                    add_field(fields, "tls.record.content_type", itype)
                self._content(direction, side, itype, plain, fragment, fields, info, pkt, number, ts, True)
        else:
            self._content(direction, side, ctype, fragment, fragment, fields, info, pkt, number, ts, False)
        if layer is not None:
            layer.info.extend(info)
            layer.protocol = self._protocol(version)
            shown = self._protocol(version)
            kind = CONTENT_TYPES.get(ctype, f"Unknown ({ctype})")
            layer.tree.append((0, f"{shown} Record Layer: {kind} Protocol: {', '.join(info) or kind}"))
            layer.tree.append((1, f"Content Type: {kind} ({ctype})"
                                  + (" (the real type is inside the encryption)" if opaque else "")))
            layer.tree.append((1, f"Version: {version_name(version)} (0x{version:04x})"))
            layer.tree.append((1, f"Length: {len(fragment)}"))
            layer.tree.extend(self._explain)

    def _say(self, depth: int, text: str) -> None:
        self._explain.append((depth, text))

    def _protocol(self, record_version: int) -> str:
        version = self.version if self.version is not None else record_version
        return VERSIONS.get(version, ("", "TLS"))[1] or "TLS"

    def _content(self, direction: int, side: _Side, ctype: int, plain: bytes, fragment: bytes,
                 fields: dict[str, Any], info: list[str], pkt: Packet | None, number: int, ts: int,
                 decrypted: bool) -> None:
        if ctype == HANDSHAKE:
            self._handshake_bytes(direction, side, plain, fields, info, pkt, number, ts, decrypted)
        elif ctype == CHANGE_CIPHER_SPEC:
            add_field(fields, "tls.change_cipher_spec", 1)
            info.append("Change Cipher Spec")
            self._say(1, "[TLS 1.3 sends this only for compatibility with old middleboxes: it changes nothing]"
                      if self.family == "1.3" else
                      "[From the next record on, this side encrypts with the keys just agreed]")
            self.ccs.append(F.RecordRef(direction, number, ts, len(fragment)))
            self._in_clear(direction, "change_cipher_spec", decrypted)
            if self.family != "1.3":
                self._event("change_cipher_spec", direction)
        elif ctype == ALERT:
            if len(plain) < 2:
                info.append("Encrypted Alert" if not decrypted else "Alert")
                self._fail(pkt, "alert shorter than 2 bytes")
                return
            level, desc = plain[0], plain[1]
            add_field(fields, "tls.alert_message.level", level)
            add_field(fields, "tls.alert_message.desc", desc)
            lname = ALERT_LEVELS.get(level, f"Unknown ({level})")
            dname = ALERT_DESCRIPTIONS.get(desc, f"Unknown ({desc})")
            info.append(f"Alert (Level: {lname}, Description: {dname})")
            self._say(1, f"Alert: Level {lname} ({level}), Description {dname} ({desc})")
            if desc == 0:
                self._say(2, "[close_notify: the sender ends the TLS session cleanly; a TCP FIN usually follows. "
                             "Without it, a cut connection could not be told from a truncation attack]")
            self.alerts.append(F.AlertFacts(direction, number, ts, lname, dname, decrypted))
            self._in_clear(direction, "alert", decrypted)
        elif ctype == APPLICATION_DATA:
            add_field(fields, "tls.app_data", fragment)
            proto = self._app_proto()
            if proto is not None:
                add_field(fields, "tls.app_data_proto", proto)
            info.append("Application Data")
            self._say(1, f"[Decrypted: {len(plain)} bytes of {self.alpn or 'application'} data, shown in the "
                         f"layer that follows]" if decrypted else f"[{len(fragment)} bytes of application data]")
            self._app_fact(direction, side, len(fragment), number, ts)
            if decrypted and plain:
                self._deliver(direction, plain, pkt, ts)
        elif ctype == HEARTBEAT:
            info.append("Heartbeat")
            self._in_clear(direction, "heartbeat", decrypted)
        else:
            info.append("Connection ID" if ctype == 25 else "Ignored Unknown Record")

    def _in_clear(self, direction: int, kind: str, decrypted: bool) -> None:
        if not decrypted and len(self.clear_sequence) < F.MAX_CLEAR_SEQUENCE:
            self.clear_sequence.append((direction, kind))

    def _undecrypted(self, direction: int, side: _Side, ctype: int, fragment: bytes, fields: dict[str, Any],
                     info: list[str], number: int, ts: int, opaque: bool) -> None:
        """An encrypted record we could not decrypt, shown as tshark shows it without keys."""
        self._say(1, "[Encrypted with keys this capture does not hold: " + (self.key_note or "no key") + "]")
        if ctype == APPLICATION_DATA:
            add_field(fields, "tls.app_data", fragment)
            proto = self._app_proto()
            if proto is not None:
                add_field(fields, "tls.app_data_proto", proto)
            info.append("Application Data")
            if not opaque:
                self._app_fact(direction, side, len(fragment), number, ts)
        elif ctype == HANDSHAKE:
            info.append("Encrypted Handshake Message")
            kind = "finished" if self.family == "1.2" and not any(
                m.direction == direction and m.kind == "finished" for m in self.handshake) else "encrypted_handshake"
            self.handshake.append(F.HandshakeMessage(kind, direction, number, ts, True))
        elif ctype == ALERT:
            info.append("Encrypted Alert")
            self.alerts.append(F.AlertFacts(direction, number, ts, None, None, True))
        elif ctype == HEARTBEAT:
            info.append("Encrypted Heartbeat")
        else:
            info.append("Ignored Unknown Record")

    def _opaque_fact(self, direction: int, side: _Side, length: int, number: int, ts: int) -> None:
        """A TLS 1.3 record we cannot open: the server's records before the client's first encrypted one are
        its encrypted handshake flight (EncryptedExtensions ... Finished); the client's first one after the
        ServerHello is its Finished, unless it has the size of an encrypted alert (2 bytes, the content type and
        the tag: far too short for a Finished), which a client sends in its place when it refuses the server's
        flight (most often its certificate); the rest is application data (post-handshake messages such as
        NewSessionTicket cannot be told apart).

        Early data (0-RTT, a ClientHello with the early_data extension): the client's records before the
        ServerHello are its early data; its first record after it is then EndOfEarlyData when it has that
        message's size (4 bytes, the content type and the tag), and the next one its Finished. In a resumed
        session (the only kind that takes early data) the server's flight after the ServerHello is
        EncryptedExtensions and Finished, sent at once: its records in the frame of its first one are that
        flight, those in later frames before the client's Finished its answer to the early data (0.5-RTT)."""
        client = direction == self.client_dir
        client_done = any(m.kind == "finished" and m.direction == self.client_dir for m in self.handshake)
        if not client_done:
            if self._early_data(direction):
                pass
            elif client and length == 2 + 1 + tag_length(CIPHER_SUITES.get(self.suite or 0)):
                self.alerts.append(F.AlertFacts(direction, number, ts, None, None, True))
                return
            elif client:
                kind = "finished"
                if self.early_records and length == self._end_of_early_data_size() and not any(
                        m.kind == "end_of_early_data" for m in self.handshake):
                    kind = "end_of_early_data"
                if self.early_records:
                    # a client whose early data was accepted ends it with EndOfEarlyData before its Finished
                    self._early_is(F.EARLY_ACCEPTED if kind == "end_of_early_data" else F.EARLY_REFUSED,
                                   "end_of_early_data", number)
                self.handshake.append(F.HandshakeMessage(kind, direction, number, ts, True))
                return
            elif self.early_records and self.resumed and self.flight_frame is not None and number > self.flight_frame:
                pass        # the server's answer to the early data, before the client's Finished
            else:
                if self.flight_frame is None:
                    self.flight_frame = number
                self.handshake.append(F.HandshakeMessage("encrypted_handshake", direction, number, ts, True))
                return
        self._app_fact(direction, side, length, number, ts)

    def _end_of_early_data_size(self) -> int:
        """An encrypted EndOfEarlyData record's length: its 4 bytes, the inner content type and the AEAD tag
        (:func:`~analyzer.apps.tls.tables.tag_length`)."""
        return 4 + 1 + tag_length(CIPHER_SUITES.get(self.suite or 0))

    def _early_is(self, status: str, why: str, frame: int) -> None:
        """The server's answer to the client's early data, from the first evidence (later evidence agrees):
        ``why`` is "hello_retry" (a HelloRetryRequest refuses it), "no_psk" (a ServerHello that does not
        resume: early data needs the offered session), "tls12" (the server chose TLS 1.2), "extension" (EncryptedExtensions, decrypted: with or
        without the early_data extension) or "end_of_early_data" (without keys: the client's first encrypted
        handshake record is, or is not, EndOfEarlyData, which it sends only when the early data was accepted;
        RFC 8446 4.2.10). Refused early data was never read by the server: the application sink forgets what
        it was given of it (``refused(direction)``, when the sink has that method)."""
        if self.early is not None or self.ch is None or not self.ch.get("early_data"):
            return
        self.early = (status, why, frame)
        if status == F.EARLY_REFUSED and self.app_sink is not None:
            refused = getattr(self.app_sink, "refused", None)
            if refused is not None:
                refused(self.client_dir)

    def _early_data(self, direction: int) -> bool:
        """A client record before the ServerHello after a ClientHello with the early_data extension: TLS 1.3
        early data (0-RTT), encrypted whether or not this capture holds its key."""
        return direction == self.client_dir and self.server_hello is None and self.ch is not None \
            and bool(self.ch.get("early_data"))

    def _app_fact(self, direction: int, side: _Side, length: int, number: int, ts: int) -> None:
        if self._early_data(direction):
            self.early_records += 1
        side.records[0] += 1
        side.records[1] += length
        if len(side.app) < F.MAX_RECORDS_KEPT:
            side.app.append(F.RecordRef(direction, number, ts, length))

    def _app_proto(self) -> str | None:
        if self.alpn is not None:
            return ALPN_PROTOCOLS.get(self.alpn)
        if self.tunnel is not None:     # through a proxy's CONNECT: HTTP's tunnel, as tshark names it
            return "Hypertext Transfer Protocol"
        o, r = self.conn.sides
        return PORT_PROTOCOLS.get(r.port) or PORT_PROTOCOLS.get(o.port)

    # -- handshake messages ------------------------------------------------------------------------------
    def _handshake_bytes(self, direction: int, side: _Side, plain: bytes, fields: dict[str, Any],
                         info: list[str], pkt: Packet | None, number: int, ts: int, decrypted: bool) -> None:
        hs = side.hs
        hs += plain
        side.hs_encrypted = decrypted
        at = 0
        while len(hs) - at >= 4:
            mtype = hs[at]
            length = hs[at + 1] << 16 | hs[at + 2] << 8 | hs[at + 3]
            if length > MAX_HANDSHAKE_MESSAGE:
                self._fail(pkt, f"handshake message of {length} bytes is longer than the "
                                f"{MAX_HANDSHAKE_MESSAGE} this analyzer keeps")
                hs.clear()
                return
            if len(hs) - at - 4 < length:
                break
            body = bytes(hs[at + 4:at + 4 + length])
            at += 4 + length
            self._message(direction, mtype, body, fields, info, pkt, number, ts, decrypted)
        if at:
            del hs[:at]
        if hs and not info:
            info.append("Handshake Fragment" if decrypted or self.family is None or side.epoch == CLEAR
                        else "Encrypted Handshake Message")

    def _message(self, direction: int, mtype: int, body: bytes, fields: dict[str, Any], info: list[str],
                 pkt: Packet | None, number: int, ts: int, decrypted: bool) -> None:
        add_field(fields, "tls.handshake.type", mtype)
        add_field(fields, "tls.handshake.length", len(body))
        name, kind = HANDSHAKE_TYPES.get(mtype, (f"Unknown Handshake Message ({mtype})", "unknown"))
        tls13 = self.family == "1.3"
        try:
            if mtype == 1:
                self._client_hello(direction, body, fields, number, ts)
            elif mtype == 2:
                summary = H.server_hello(body, fields)
                if summary["hello_retry"]:
                    name, kind = HANDSHAKE_TYPES[6]
                self._server_hello(direction, summary, fields, number, ts)
            elif mtype == 4:
                H.new_session_ticket(body, fields, tls13)
            elif mtype == 8:
                s = H.extensions_block(body, fields, "encrypted_extensions")
                if s["alpn"]:
                    self.alpn = s["alpn"]
                self._early_is(F.EARLY_ACCEPTED if s["early_data"] else F.EARLY_REFUSED, "extension", number)
            elif mtype == 11:
                for cert in H.certificate(body, fields, tls13):
                    if "error" in cert:
                        self._note(pkt, "warning", cert["error"])
                        continue
                    self.certificates.append(F.CertificateFacts(number, ts, cert["subject"], cert["issuer"],
                                                                cert["san"], cert["not_before"],
                                                                cert["not_after"], decrypted, cert["sha256"],
                                                                direction == self.client_dir, cert["der"]))
                self.cert_seen = True
            elif mtype == 12:
                kx = H.server_key_exchange(body, fields, H.key_exchange_of(suite_name(self.suite or 0)),
                                           self.version or 0x0303)
                if kx.get("group") is not None:
                    self.curve = name_of(GROUPS, kx["group"])
            elif mtype == 15:
                H.certificate_verify(body, fields)
            elif mtype == 16:
                H.client_key_exchange(body, fields, H.key_exchange_of(suite_name(self.suite or 0)))
            elif mtype == 20:
                H.finished(body, fields)
            elif mtype == 24:
                H.key_update(body, fields)
        except DecodeError as err:
            self._fail(pkt, f"{name}: {err.reason}")
        info.append(name if mtype != 1 or not self.client_hello or not self.client_hello.sni
                    else f"{name} (SNI={self.client_hello.sni})")
        self._say(1, f"Handshake Protocol: {name}" + (" (decrypted)" if decrypted else ""))
        for line in self._meaning(mtype, kind, direction):
            self._say(2, line)
        self.handshake.append(F.HandshakeMessage(kind, direction, number, ts, decrypted))
        self._in_clear(direction, kind, decrypted)
        if tls13 and kind in ("finished", "key_update", "end_of_early_data"):
            self._event(kind, direction)

    def _meaning(self, mtype: int, kind: str, direction: int) -> list[str]:
        """What a handshake message tells a learner (lines of the -V tree)."""
        ch, sh = self.client_hello, self.server_hello
        if kind == "client_hello" and ch is not None:
            out = ["[The client opens the TLS handshake: the versions, cipher suites and key shares it supports]"]
            if ch.sni:
                out.append(f"Server Name (SNI): {ch.sni}  [sent in clear text: anyone on the path sees the site]")
            if ch.alpn:
                out.append(f"ALPN: {', '.join(ch.alpn)}  [the application protocols the client can speak]")
            out.append(f"Supported Versions: {', '.join(ch.versions)}")
            out.append(f"Cipher Suites ({len(ch.cipher_suites)}): {', '.join(ch.cipher_suites[:6])}"
                       + (", ..." if len(ch.cipher_suites) > 6 else ""))
            if ch.key_share_groups:
                out.append(f"Key Share: {', '.join(ch.key_share_groups)}  [the client's half of the key "
                           "exchange, sent at once so TLS 1.3 needs one round trip]")
            if ch.psk_offered:
                out.append("[Offers a pre-shared key from an earlier session: asks to resume]")
            return out
        if kind == "hello_retry_request" and self.hello_retry is not None:
            return [(f"[The server wants a key share for {self.hello_retry.key_share_group}: the client must send "
                    "a second Client Hello, one more round trip]")]
        if kind == "server_hello" and sh is not None:
            out = [f"Chosen: {sh.version}, {sh.cipher_suite}" + (f", ALPN {sh.alpn}" if sh.alpn else "")]
            if sh.version == "TLS 1.3":
                out.append("[TLS 1.3: everything after this message is encrypted, the certificate included]")
            else:
                out.append("[TLS 1.2: the certificate and key exchange that follow are in clear text; "
                           "encryption starts after Change Cipher Spec, two round trips in all]")
            if self.resumed:
                out.append("[Resumed session: no certificate, a shorter handshake]")
            return out
        if kind == "certificate" and self.certificates:
            c = self.certificates[-1]
            return [f"Subject: {c.subject}", f"Issuer: {c.issuer}", f"Validity: {c.not_before} to {c.not_after}",
                    f"Names (SAN): {', '.join(c.san) or '(none)'}",
                    "[The server's identity; the client checks it against trusted authorities]"]
        if kind == "server_key_exchange":
            return [("[The server's Diffie-Hellman public key, signed with its certificate's key: both sides "
                    "derive the same secret without ever sending it]")]
        if kind == "client_key_exchange":
            return ["[The client's Diffie-Hellman public key: the shared secret is now known to both ends]"]
        if kind == "finished":
            return ["[A MAC over the whole handshake: proves nobody altered it; this side is ready]"]
        if kind == "new_session_ticket":
            return ["[A ticket the client may present later to resume without a full handshake]"]
        if kind == "encrypted_extensions":
            return [f"[Extensions sent encrypted (TLS 1.3){': ALPN ' + self.alpn if self.alpn else ''}]"]
        if kind == "certificate_verify":
            return ["[A signature with the certificate's private key over the handshake so far]"]
        return []

    def _client_hello(self, direction: int, body: bytes, fields: dict[str, Any], number: int, ts: int) -> None:
        s = H.client_hello(body, fields, tls13=self.family == "1.3")
        if self.ch is None:
            self.ch = s
            self.client_dir = direction
            self.client_random = s["random"]
        versions = [v for v in s["versions"] if not is_grease(v)] or [s["version"]]
        self.client_hello = F.ClientHelloFacts(
            number, ts, s["sni"], tuple(s["alpn"]), tuple(version_name(v) for v in versions),
            tuple(suite_name(v) for v in s["suites"] if not is_grease(v)),
            tuple(name_of(GROUPS, g) for g in s["key_share_groups"] if not is_grease(g)),
            bool(s["psk"]), bool(s["ticket"]), s["session_id"].hex(), bool(s["early_data"]))
        if s["early_data"] and s["psk"] and self._keylog_has(CLIENT_EARLY):
            self.family = "1.3"
            self._event("client_hello_early", direction)

    def _server_hello(self, direction: int, s: dict[str, Any], fields: dict[str, Any], number: int,
                      ts: int) -> None:
        real = s["real_version"]
        group = s["key_share_group"]
        facts = F.ServerHelloFacts(number, ts, version_name(real), suite_name(s["suite"]), s["alpn"],
                                   name_of(GROUPS, group) if group is not None else None, s["psk"] is not None,
                                   s["session_id"].hex(), s["hello_retry"])
        if s["hello_retry"]:
            self.hello_retry = facts
            self.version = real
            self.family = "1.3"
            self._early_is(F.EARLY_REFUSED, "hello_retry", number)
            return
        self.server_hello = facts
        self.version = real
        self.suite = s["suite"]
        self.server_random = s["random"]
        if s["alpn"]:
            self.alpn = s["alpn"]
        self.family = "1.3" if real >= 0x0304 else "1.2"
        if self.family == "1.3":
            self.resumed = s["psk"] is not None
            if not self.resumed:
                self._early_is(F.EARLY_REFUSED, "no_psk", number)
            self._event("server_hello", direction)
        else:
            self._early_is(F.EARLY_REFUSED, "tls12", number)        # early data is TLS 1.3 only
            ch = self.ch or {}
            self.etm = bool(s["etm"] and ch.get("etm"))
            sid = s["session_id"]
            if sid and sid == ch.get("session_id"):
                self.resumed = True
                self.resumed_marked = True
                add_field(fields, "tls.resumed", 1)

    # -- keys ------------------------------------------------------------------------------------------------
    def _who(self, direction: int) -> str:
        return CLIENT if direction == self.client_dir else SERVER

    def _keylog_has(self, label: str) -> bool:
        keylog = self.tracker.keylog
        return keylog is not None and self.client_random is not None and \
            keylog.lookup(label, self.client_random) is not None

    def _event(self, event: str, direction: int) -> None:
        """Apply :data:`EPOCH_AFTER` for ``event`` sent in ``direction``."""
        change = EPOCH_AFTER.get((self.family or "1.2", event, self._who(direction)))
        if change is None:
            return
        if event == "change_cipher_spec" and self.server_hello is not None and not self.cert_seen \
                and not self.resumed_marked and self._who(direction) == SERVER:
            self.resumed = True         # abbreviated handshake (ticket): ChangeCipherSpec right after hello
        for d, epoch in ((direction, change[0]), (1 - direction, change[1])):
            # a client sending early data keeps its early keys until its EndOfEarlyData (RFC 8446 4.5), which
            # they encrypt; if the server refused the early data, its next record does not decrypt under them
            # and _decrypt moves on to the handshake keys
            if epoch is not None and not (self.sides[d].epoch == EARLY and event != "end_of_early_data"):
                self._enter(d, epoch)

    def _enter(self, direction: int, epoch: str) -> None:
        side = self.sides[direction]
        if epoch == "next":
            side.decryptor = self._next_decryptor(side)
            return
        side.epoch = epoch
        side.secret = None
        side.decryptor = None if side.gap_lost else self._decryptor(direction, epoch, side)

    def _decryptor(self, direction: int, epoch: str, side: _Side) -> Decryptor | TrialDecryptor | None:
        from analyzer.apps.tls.crypto import Decryptor, suite_params, tls12_key_block, tls13_keys
        keylog: KeyLog | None = self.tracker.keylog
        who = self._who(direction)
        if self.suite is None:
            return self._early_decryptor(side) if epoch == EARLY else None
        params = suite_params(self.suite)
        if params is None:
            self._why(f"cipher suite {suite_name(self.suite or 0)} is not one this analyzer can decrypt",
                      "unsupported_cipher")
            return None
        if not keylog:
            self._why("no key log given (--keylog FILE, or a pcapng with a Decryption Secrets Block)",
                      "no_keylog")
            return None
        if self.client_random is None:
            self._why("the ClientHello was not captured: its random names the connection in the key log",
                      "no_client_hello")
            return None
        if self.family == "1.3":
            secret = keylog.lookup(TLS13_SECRETS[(epoch, who)], self.client_random)
            if secret is None:
                self._why(f"no key for this connection in the key log (client random "
                          f"{self.client_random.hex()[:16]}...)", "no_key")
                return None
            side.secret = secret
            key, iv = tls13_keys(params, secret)
            return Decryptor(params, key, iv, version=0x0304)
        master = keylog.lookup(CLIENT_RANDOM, self.client_random)
        if master is None or self.server_random is None:
            self._why(f"no key for this connection in the key log (client random "
                      f"{self.client_random.hex()[:16]}...)", "no_key")
            return None
        version = self.version or 0x0303
        client_keys, server_keys = tls12_key_block(params, version, master, self.client_random,
                                                   self.server_random)
        k = client_keys if who == CLIENT else server_keys
        return Decryptor(params, k.key, k.iv, version=version, mac_key=k.mac_key,
                         etm=self.etm and params.kind == "cbc")

    def _early_decryptor(self, side: _Side) -> TrialDecryptor | None:
        """Early data comes before the ServerHello names the suite (the resumed session's): one decryptor per
        TLS 1.3 suite the ClientHello offered whose hash has the secret's length; the first that verifies a
        record is kept (:class:`~analyzer.apps.tls.crypto.TrialDecryptor`)."""
        from analyzer.apps.tls.crypto import Decryptor, TrialDecryptor, hash_len, suite_params, tls13_keys
        keylog: KeyLog | None = self.tracker.keylog
        if not keylog or self.client_random is None or self.ch is None:
            return None
        secret = keylog.lookup(CLIENT_EARLY, self.client_random)
        if secret is None:
            return None
        candidates = []
        for suite in dict.fromkeys(self.ch["suites"]):         # a suite offered twice is one candidate
            params = None if is_grease(suite) else suite_params(suite)
            if params is not None and params.tls13 and hash_len(params) == len(secret):
                key, iv = tls13_keys(params, secret)
                candidates.append(Decryptor(params, key, iv, version=0x0304))
        side.secret = secret
        return TrialDecryptor(candidates) if candidates else None

    def _next_decryptor(self, side: _Side) -> Decryptor | None:
        if side.decryptor is None or side.secret is None or self.suite is None:
            return None
        from analyzer.apps.tls.crypto import Decryptor, next_traffic_secret, suite_params, tls13_keys
        params = suite_params(self.suite)
        side.secret = next_traffic_secret(params, side.secret)
        key, iv = tls13_keys(params, side.secret)
        return Decryptor(params, key, iv, version=0x0304)

    def _why(self, reason: str, code: str) -> None:
        if self.key_note is None:
            self.key_note = reason
            self.key_problem = code

    def _decrypt(self, direction: int, side: _Side, ctype: int, version: int, fragment: bytes,
                 pkt: Packet | None) -> tuple[int, bytes] | None:
        dec = side.decryptor
        if dec is None:
            return None
        from analyzer.apps.tls.crypto import DecryptError  # imported already: ``dec`` is one of its objects
        try:
            out = dec.decrypt(ctype, version, fragment)
        except DecryptError as exc:
            if side.epoch == EARLY:         # early data the server refused: the client moved on
                self._enter(direction, HANDSHAKE_KEYS)
                if side.decryptor is not None:
                    return self._decrypt(direction, side, ctype, version, fragment, pkt)
            side.decryptor = None
            self.key_note = f"decryption failed in the {self._who(direction)}'s direction: {exc}"
            self.key_problem = "decrypt_failed"
            self._note(pkt, "warning", f"TLS record not decrypted: {exc}")
            return None
        self.decrypted = True
        return out

    # -- plaintext -------------------------------------------------------------------------------------------
    def _deliver(self, direction: int, plain: bytes, pkt: Packet | None, ts: int) -> None:
        if not self.app_sink_made:
            self.app_sink_made = True
            alpn = self.alpn
            if alpn is None and plain.startswith(H2_PREFACE):
                # early data goes before the EncryptedExtensions name the protocol: the bytes say HTTP/2
                alpn = "h2"
            self.app_sink = self.tracker.app_sink(self.conn, alpn)
            if self.tunnel is not None and hasattr(self.app_sink, "first_index"):
                # the proxy's CONNECTs were this connection's first transactions: the tunnel's come after them
                self.app_sink.first_index = self.tunnel.requests
        if self.app_sink is not None:
            # a headers-only caller gave a frame number, not a Packet: hand the number on
            handle = pkt if pkt is not None else (self._last[0] if self._numbered else None)
            self.app_sink.data(direction, plain, handle, ts)

    # -- packets ---------------------------------------------------------------------------------------------
    def _layer_for(self, pkt: Packet | None) -> TlsLayer | None:
        if pkt is None or not self.tracker.fields:
            return None
        owner, layer = self._layer
        if owner is pkt and layer is not None:
            return layer
        off, end = pkt.payload if pkt.payload is not None else (0, 0)
        layer = TlsLayer(off, end - off)
        pkt.layers.append(layer)
        pkt._flat = None
        self._layer = (pkt, layer)
        return layer

    def _fail(self, pkt: Packet | None, reason: str) -> None:
        if pkt is None:
            return
        if pkt.failure is None:
            off = pkt.payload[0] if pkt.payload is not None else 0
            pkt.failure = DecodeFailure("tls", off, reason)
        else:
            pkt.note("tls", "warning", reason)

    def _note(self, pkt: Packet | None, severity: str, text: str) -> None:
        if pkt is not None:
            pkt.note("tls", severity, text)

    # -- facts -----------------------------------------------------------------------------------------------
    def session(self) -> F.TlsSession:
        """The connection's facts as they stand now."""
        conn = self.conn
        c, s = conn.sides[self.client_dir], conn.sides[1 - self.client_dir]
        first = self.first or (0, 0)
        note, problem = (None, None) if self.decrypted and not self.key_note else (self.key_note, self.key_problem)
        if note is None and not self.decrypted and self.server_hello is not None:
            if not self.tracker.keylog:
                note, problem = "no key log given", "no_keylog"
            else:
                note, problem = "no encrypted record of this connection was decrypted", "no_key"
        apps = sorted(self.sides[0].app + self.sides[1].app, key=lambda r: (r.frame, r.ts_ns))
        return F.TlsSession(
            stream=conn.stream, client=(c.addr, c.port), server=(s.addr, s.port), client_dir=self.client_dir,
            version=version_name(self.version) if self.server_hello is not None and self.version else None,
            cipher_suite=suite_name(self.suite) if self.suite is not None else None,
            alpn=self.alpn, sni=self.client_hello.sni if self.client_hello else None, resumed=self.resumed,
            decrypted=self.decrypted, key_note=note, key_problem=problem, client_hello=self.client_hello,
            server_hello=self.server_hello, hello_retry=self.hello_retry, certificates=tuple(self.certificates),
            handshake=tuple(self.handshake), alerts=tuple(self.alerts), change_cipher_spec=tuple(self.ccs),
            app_data=tuple(apps),
            app_data_totals=(tuple(self.sides[0].records), tuple(self.sides[1].records)),
            first_frame=first[0], first_ts_ns=first[1],
            curve=self.server_hello.key_share_group or self.curve if self.server_hello is not None else None,
            clear_sequence=tuple(self.clear_sequence),
            early_data=self.early[0] if self.early else None, early_data_why=self.early[1] if self.early else None,
            early_data_frame=self.early[2] if self.early else None,
            tunnel=self.tunnel.target if self.tunnel is not None and self.tunnel.open else None,
            tunnel_frame=self.tunnel.frame if self.tunnel is not None and self.tunnel.open else None)


class TlsTracker:
    """Sink factory for the pipeline: a :class:`TlsSink` per TCP connection, the sessions they hand out.

    ``keylog``: the secrets (:class:`~analyzer.apps.tls.keylog.KeyLog`; more can be added while running
    with :meth:`add_keys`, as a pcapng's Decryption Secrets Blocks arrive). ``http``: the
    :class:`~analyzer.apps.http.sink.HttpTracker` whose sinks get decrypted HTTP/1.x; ``http2``: an object
    with ``tls_sink(conn, alpn)`` for ALPN ``h2``. ``app_sinks``: instead of those, a callable
    ``(conn, alpn) -> sink or None`` for the plaintext (``analyzer follow --tls``). ``fields``: put tls
    layers on packets. ``keep``: keep every session in ``sessions``; ``on_session`` sees each one.
    """

    def __init__(self, *, keylog: KeyLog | None = None, http: Any = None, http2: Any = None,
                 app_sinks: Any = None, fields: bool = True, keep: bool = True, on_session: Any = None):
        self.keylog = keylog if keylog is not None else KeyLog()
        self.http = http
        self.http2 = http2
        self.app_sinks = app_sinks
        self.fields = fields
        self.keep = keep
        self.on_session = on_session
        self.sessions: list[F.TlsSession] = []
        self.open: set[TlsSink] = set()

    def __call__(self, conn: Any) -> TlsSink:
        sink = TlsSink(self, conn)
        self.open.add(sink)
        return sink

    def add_keys(self, keylog: KeyLog) -> None:
        """More secrets (a Decryption Secrets Block read mid-capture): used by connections from now on."""
        self.keylog.merge(keylog)

    def app_sink(self, conn: Any, alpn: str | None) -> Any:
        """The sink for one connection's decrypted application data."""
        if self.app_sinks is not None:
            return self.app_sinks(conn, alpn)
        if alpn == "h2":
            return self.http2.tls_sink(conn, alpn) if self.http2 is not None else None
        if alpn not in (None, "http/1.1", "http/1.0"):
            return None
        if self.http is None:
            return None
        sink = self.http(conn)
        if sink is not None:
            sink.scheme = "https"
        return sink

    def add(self, session: F.TlsSession) -> None:
        if self.keep:
            self.sessions.append(session)
        if self.on_session is not None:
            self.on_session(session)

    def open_sessions(self) -> list[F.TlsSession]:
        """A snapshot of the connections still open (a live view); each is handed out again when it ends."""
        return [sink.session() for sink in self.open if sink.started and not sink.dead]

    def sorted_sessions(self, include_open: bool = False) -> list[F.TlsSession]:
        """The sessions in the order of their first TLS record."""
        sessions = self.sessions + self.open_sessions() if include_open else self.sessions
        return sorted(sessions, key=lambda s: (s.first_ts_ns, s.first_frame, s.stream))


class _FuzzSide:
    __slots__ = ("addr", "fin_frame", "fin_ts", "port", "rst_frame", "rst_ts", "syn_frame")

    def __init__(self, addr: str, port: int):
        self.addr, self.port, self.syn_frame = addr, port, 1
        self.fin_ts = self.fin_frame = self.rst_ts = self.rst_frame = None


class _FuzzConn:
    """A stand-in TCP connection for :func:`decode_stream` (both SYNs seen, port 443)."""

    def __init__(self) -> None:
        self.stream = 0
        self.sides = (_FuzzSide("192.0.2.1", 50000), _FuzzSide("192.0.2.2", 443))
        self.sink = None


def decode_stream(chunks: Any, keylog: KeyLog | None = None) -> F.TlsSession | None:
    """The TLS sink on its own (sans-IO, for tests and fuzzing): ``chunks`` is an iterable of
    ``(direction, bytes)`` delivered in order, each as one packet; returns the session facts, or None when the
    bytes were not TLS. Raises nothing on any input (the contract the fuzzer checks)."""
    from analyzer.capture.frame import Frame

    tracker = TlsTracker(keylog=keylog)
    sink = tracker(_FuzzConn())
    for number, (direction, data) in enumerate(chunks, 1):
        pkt = Packet(Frame(number, number * 1000, 60, 0, 1, bytes(60)))
        pkt.payload = (0, 0)
        sink.data(direction & 1, bytes(data), pkt, number * 1000)
    sink.close()
    return tracker.sessions[0] if tracker.sessions else None


def decode_records(data: bytes, keylog: KeyLog | None = None) -> F.TlsSession | None:
    """:func:`decode_stream` of one client-to-server byte stream."""
    return decode_stream([(0, data)], keylog)
