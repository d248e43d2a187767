"""QUIC packet headers read in clear (RFC 8999 invariants, RFC 9000 17, RFC 9369 for version 2): enough to tell
a QUIC connection (HTTP/3's transport, over UDP), who opened it, its version and where its handshake ends, from
the datagrams alone (sans-IO: bytes in, values out). What the packets carry is encrypted and not decoded here.

A client opens a connection with an Initial packet (long header, its type Initial for the version) in a datagram
of at least 1200 bytes (RFC 9000 14.1: it pads it so); long-header packets carry the handshake; once a side has
its 1-RTT keys it sends short-header packets (the first bit 0)."""

from __future__ import annotations

from typing import NamedTuple

V1, V2 = 0x00000001, 0x6B3343CF
MIN_INITIAL_DATAGRAM = 1200                 # RFC 9000 14.1: a client's Initial datagram, at least
# the long-header packet type of Initial, by version (RFC 9000 17.2: 0b00; RFC 9369 3.2: 0b01)
_INITIAL_TYPE = {V1: 0, V2: 1}
_RETRY_TYPE = {V1: 3, V2: 0}                # Retry: no Length field, nothing coalesced after it


class LongHeader(NamedTuple):
    version: int
    initial: bool           # an Initial packet (the version's type for it)
    dcid: bytes
    scid: bytes


def known_version(version: int) -> bool:
    """Version 1, version 2, or an IETF draft version (0xff0000xx) that the Initial type rule of version 1 fits."""
    return version in _INITIAL_TYPE or version >> 8 == 0xFF0000


def long_header(data: bytes) -> LongHeader | None:
    """The long header at the start of ``data`` (a UDP payload), or None: not a long header, the fixed bit
    clear, an unknown version (0: version negotiation), or connection IDs longer than 20 bytes or cut short."""
    if len(data) < 7 or data[0] & 0xC0 != 0xC0:
        return None
    version = int.from_bytes(data[1:5], "big")
    if not known_version(version):
        return None
    dlen = data[5]
    if dlen > 20 or len(data) < 7 + dlen:
        return None
    dcid = bytes(data[6:6 + dlen])
    slen = data[6 + dlen]
    if slen > 20 or len(data) < 7 + dlen + slen:
        return None
    scid = bytes(data[7 + dlen:7 + dlen + slen])
    kind = (data[0] >> 4) & 0x03
    return LongHeader(version, kind == _INITIAL_TYPE.get(version, 0), dcid, scid)


def retry(data: bytes) -> LongHeader | None:
    """The long header of a datagram that is a server's Retry (RFC 9000 17.2.5: address validation, a token
    for the client's next Initial and a new connection ID); None for anything else."""
    h = long_header(data)
    return h if h is not None and (data[0] >> 4) & 0x03 == _RETRY_TYPE.get(h.version, 3) else None


def client_initial(data: bytes) -> LongHeader | None:
    """The long header of a datagram that opens a QUIC connection: an Initial packet of a known version in a
    datagram of at least :data:`MIN_INITIAL_DATAGRAM` bytes; None for anything else."""
    if len(data) < MIN_INITIAL_DATAGRAM:
        return None
    h = long_header(data)
    return h if h is not None and h.initial else None


def short_header(data: bytes) -> bool:
    """A 1-RTT packet (short header: first bit 0, fixed bit 1) is in the datagram: first, or after the
    long-header packets coalesced before it (RFC 9000 12.2; a short-header packet is always last)."""
    pos, n = 0, len(data)
    for _ in range(8):                          # coalesced packets: a few at most (Initial, 0-RTT, Handshake)
        if pos >= n:
            return False
        first = data[pos]
        if first & 0xC0 == 0x40:
            return True
        if first & 0xC0 != 0xC0:
            return False
        h = long_header(data[pos:pos + 48])
        if h is None:
            return False
        kind = (first >> 4) & 0x03
        at = pos + 7 + len(h.dcid) + len(h.scid)
        if kind == _INITIAL_TYPE.get(h.version, 0):
            token, at = _varint(data, at)
            if token is None:
                return False
            at += token
        elif kind == _RETRY_TYPE.get(h.version, 3):
            return False
        length, at = _varint(data, at)
        if length is None:
            return False
        pos = at + length
    return False


def _varint(data: bytes, at: int) -> tuple[int | None, int]:
    """A variable-length integer (RFC 9000 16) at ``at``: (value, the position after it), (None, at) if cut."""
    if at >= len(data):
        return None, at
    size = 1 << (data[at] >> 6)
    if at + size > len(data):
        return None, at
    value = data[at] & 0x3F
    for b in data[at + 1:at + size]:
        value = value << 8 | b
    return value, at + size


def version_name(version: int) -> str:
    if version == V1:
        return "1"
    if version == V2:
        return "2"
    if version >> 8 == 0xFF0000:
        return f"draft-{version & 0xFF}"
    return f"0x{version:08x}"


# -- the client's Initial packets, opened (RFC 9001 5): their keys come from the packet itself -------------------
# Initial packets are encrypted with keys derived from the client's first Destination Connection ID and a salt the
# version fixes, so that anyone on the path can read them (they only guard against off-path tampering): what the
# client's Initials carry, the TLS ClientHello in CRYPTO frames, is what tshark shows of them too.
_SALT = {V1: bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"),
         V2: bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9")}
_LABELS = {V1: ("quic key", "quic iv", "quic hp"), V2: ("quicv2 key", "quicv2 iv", "quicv2 hp")}
# IETF drafts (0xff0000NN) by NN: the initial salt of draft-ietf-quic-tls-23 (drafts 23-28), -29 (29-32); 33 and 34
# took version 1's; their labels are version 1's
_DRAFT_SALTS = ((23, 28, bytes.fromhex("c3eef712c72ebb5a11a7d2432bb46365bef9f502")),
                (29, 32, bytes.fromhex("afbfec289993d24c9e9786f19c6111e04390a899")),
                (33, 34, _SALT[V1]))


def _salt(version: int) -> bytes | None:
    salt = _SALT.get(version)
    if salt is None and version >> 8 == 0xFF0000:
        draft = version & 0xFF
        salt = next((s for low, high, s in _DRAFT_SALTS if low <= draft <= high), None)
    return salt
MAX_CRYPTO = 16384          # ClientHello bytes gathered at most (a post-quantum key share makes it ~1.8 KB)


def initial_keys(version: int, dcid: bytes, server: bool = False) -> tuple[bytes, bytes, bytes] | None:
    """(key, iv, header protection key) of the client's Initial packets (RFC 9001 5.2, RFC 9369 3.3), or with
    ``server`` the server's, both from the client's first Destination Connection ID ``dcid``; None for a
    version whose salt is not known here (drafts before 23)."""
    from cryptography.hazmat.primitives import hashes, hmac

    from analyzer.apps.tls.crypto import hkdf_expand_label
    salt = _salt(version)
    if salt is None:
        return None
    h = hmac.HMAC(salt, hashes.SHA256())
    h.update(dcid)
    secret = hkdf_expand_label(h.finalize(), "server in" if server else "client in", b"", 32, "SHA256")
    key, iv, hp = _LABELS.get(version, _LABELS[V1])
    return (hkdf_expand_label(secret, key, b"", 16, "SHA256"), hkdf_expand_label(secret, iv, b"", 12, "SHA256"),
            hkdf_expand_label(secret, hp, b"", 16, "SHA256"))


def open_initial(data: bytes, keys: tuple[bytes, bytes, bytes]) -> bytes | None:
    """The decrypted payload (its frames) of the Initial packet at the start of ``data``; None when it is not one
    or does not open (another connection's keys, damage)."""
    opened = open_initial_packet(data, keys)
    return None if opened is None else opened[3]


_HP: dict[bytes, object] = {}       # header protection key -> its AES-ECB encryptor


def open_initial_packet(data: bytes, keys: tuple[bytes, bytes, bytes]
                        ) -> tuple[int, int, int, bytes | None] | None:
    """The Initial packet at the start of ``data`` opened: (its first byte without header protection, the
    packet number's length in bytes, the packet number as sent, the decrypted payload, None when it does not
    decrypt: other keys, damage, a packet cut short); None when it is not an Initial packet or too short to sample."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    h = long_header(data)
    if h is None or not h.initial:
        return None
    at = 7 + len(h.dcid) + len(h.scid)
    token, at = _varint(data, at)
    if token is None:
        return None
    length, at = _varint(data, at + token)
    if length is None or length < 20:
        return None
    length = min(length, len(data) - at)    # a Length past the end: header protection still comes off (tshark)
    key, iv, hp = keys
    sample = bytes(data[at + 4:at + 20])
    if len(sample) != 16:
        return None
    enc = _HP.get(hp)
    if enc is None:             # an AES-ECB encryptor per key, kept: ECB has no state between blocks
        if len(_HP) >= 256:
            _HP.clear()
        enc = _HP[hp] = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = enc.update(sample)
    first = data[0] ^ (mask[0] & 0x0F)
    pn_len = (first & 0x03) + 1
    pn = bytes(b ^ m for b, m in zip(data[at:at + pn_len], mask[1:1 + pn_len]))
    header = bytes([first]) + bytes(data[1:at]) + pn
    number = int.from_bytes(pn, "big")
    nonce = bytes(a ^ b for a, b in zip(iv, number.to_bytes(12, "big")))
    try:
        payload = AESGCM(key).decrypt(nonce, bytes(data[at + pn_len:at + length]), header)
    except (InvalidTag, ValueError):
        payload = None
    return first, pn_len, number, payload


def crypto_frames(payload: bytes) -> list[tuple[int, bytes]] | None:
    """The CRYPTO frames (offset, data) of an Initial packet's decrypted payload; None when a frame type that an
    Initial may not hold, or a frame cut short, is met (RFC 9000 12.4: PADDING, PING, ACK, CRYPTO,
    CONNECTION_CLOSE)."""
    out: list[tuple[int, bytes]] = []
    pos, n = 0, len(payload)
    while pos < n:
        kind = payload[pos]
        pos += 1
        if kind == 0x00 or kind == 0x01:            # PADDING, PING
            continue
        if kind == 0x06:                            # CRYPTO
            offset, pos = _varint(payload, pos)
            size, pos = _varint(payload, pos) if offset is not None else (None, pos)
            if size is None or pos + size > n:
                return None
            out.append((offset, bytes(payload[pos:pos + size])))
            pos += size
        elif kind in (0x02, 0x03):                  # ACK (0x03: with ECN counts)
            values = []
            for _ in range(4):                      # largest, delay, range count, first range
                v, pos = _varint(payload, pos)
                if v is None:
                    return None
                values.append(v)
            for _ in range(2 * min(values[2], 256) + (3 if kind == 0x03 else 0)):
                v, pos = _varint(payload, pos)
                if v is None:
                    return None
        elif kind in (0x1C, 0x1D):                  # CONNECTION_CLOSE: the rest says why; nothing more to read
            return out
        else:
            return None
    return out


def handshake_message(chunks: list[tuple[int, bytes]], types: tuple[int, ...] = (1,)) -> bytes | None:
    """The first TLS handshake message of CRYPTO frames (offset, bytes), once whole from offset 0 (a type, a
    3-byte length); None while bytes are missing, or when its type is not one of ``types`` (by default the
    ClientHello, 1)."""
    have = bytearray()
    for offset, data in sorted(chunks):
        if offset > len(have):
            break
        have += data[len(have) - offset:]
        if len(have) > MAX_CRYPTO:
            return None
    if len(have) < 4 or have[0] not in types:
        return None
    need = 4 + int.from_bytes(have[1:4], "big")
    return bytes(have[:need]) if len(have) >= need else None


def client_hello_bytes(chunks: list[tuple[int, bytes]]) -> bytes | None:
    """The ClientHello the client's CRYPTO frames carry, once whole (:func:`handshake_message`)."""
    return handshake_message(chunks, (1,))


# -- Google QUIC (gQUIC, Q0xx): the QUIC Chrome spoke before RFC 9000 ----------------------------------------------
# Its public header (versions up to Q043) is not RFC 8999's: a flags byte (0x01 a version follows, 0x02 a public
# reset, 0x0C the connection ID's length: 0, 1, 4 or 8 bytes; 0x30 the packet number's: 1, 2, 4 or 6 bytes), the
# connection ID, the version (4 ASCII bytes, "Q025"; the client's packets until the server answers), the packet
# number. The client's first packets are not encrypted (a 12-byte hash guards them, then, before Q034, a private
# flags byte): a STREAM frame on stream 1 carries its hello, a QUIC Crypto handshake message "CHLO" (the tag,
# a 2-byte count of entries, 2 bytes of padding, then per entry a 4-byte tag and the 4-byte end offset of its
# value, all little-endian, then the values). The server's reject "REJ" goes in clear the same way; its answer to
# a complete hello (SHLO) is encrypted. Versions from Q046 on use RFC 8999's long header and are not read here.
_GQUIC_CID = (0, 1, 4, 8)
_GQUIC_PKN = (1, 2, 4, 6)
_GQUIC_OFFSET = (0, 2, 3, 4, 5, 6, 7, 8)
MAX_GQUIC_TAGS = 128


class GquicHello(NamedTuple):
    version: int            # the version's 4 bytes as a big-endian number (b"Q025": 0x51303235)
    cid: int                # the connection ID (little-endian before Q039, as tshark shows it)
    packet_number: int
    tags: tuple[str, ...]   # the hello's tags, in order ("SNI", "UAID", "SCID", ...: trailing NULs dropped)
    sni: str | None
    uaid: str | None        # the client's user agent


def gquic_version(version: int) -> bool:
    """``version`` is a gQUIC version with the old public header: b"Q0" and two digits, below Q046."""
    digits = version & 0xFFFF
    return version >> 16 == 0x5130 and 0x30 <= digits >> 8 <= 0x39 and 0x30 <= digits & 0xFF <= 0x39 and \
        int(f"{(digits >> 8) - 0x30}{(digits & 0xFF) - 0x30}") < 46


def gquic_version_name(version: int) -> str:
    return version.to_bytes(4, "big").decode("ascii", "replace")


def _gquic_header(data: bytes, client: bool) -> tuple[int, int, int, int] | None:
    """(version or 0, connection ID, packet number, the position after the header) of a gQUIC regular packet
    (not a public reset, no reserved bit); ``client``: a version is required (the client's first packets)."""
    if len(data) < 2:
        return None
    flags = data[0]
    if flags & 0x82 or (client and not flags & 0x01):
        return None
    at = 1
    clen = _GQUIC_CID[(flags >> 2) & 3]
    cid = int.from_bytes(data[at:at + clen], "little")
    at += clen
    version = 0
    if flags & 0x01:
        version = int.from_bytes(data[at:at + 4], "big")
        if not gquic_version(version):
            return None
        at += 4
    plen = _GQUIC_PKN[(flags >> 4) & 3]
    if len(data) < at + plen:
        return None
    big = version >= 0x51303339         # Q039 on: numbers in network order
    pkn = int.from_bytes(data[at:at + plen], "big" if big else "little")
    return version, cid, pkn, at + plen


def _gquic_message(data: bytes, at: int, version: int) -> int | None:
    """The position of the handshake message the first STREAM frame of stream 1 carries in the clear payload
    that starts at ``at`` (after the header); None when there is none there."""
    at += 12 + (1 if version < 0x51303334 else 0)       # the hash; the private flags before Q034
    if len(data) < at + 1:
        return None
    kind = data[at]
    if not kind & 0x80:                                 # not a STREAM frame
        return None
    slen = (kind & 3) + 1
    olen = _GQUIC_OFFSET[(kind >> 2) & 7]
    at += 1
    if int.from_bytes(data[at:at + slen], "big" if version >= 0x51303339 else "little") != 1:
        return None
    at += slen + olen + (2 if kind & 0x20 else 0)
    return at if len(data) >= at + 8 else None


def _gquic_tags(data: bytes, at: int) -> dict[str, bytes] | None:
    """The entries of the handshake message at ``at`` (its tag read by the caller): tag -> value."""
    count = int.from_bytes(data[at + 4:at + 6], "little")
    if count > MAX_GQUIC_TAGS:
        return None
    table, values = at + 8, at + 8 + 8 * count
    if len(data) < values:
        return None
    out: dict[str, bytes] = {}
    start = 0
    for i in range(count):
        entry = table + 8 * i
        end = int.from_bytes(data[entry + 4:entry + 8], "little")
        if end < start:
            return None
        tag = bytes(data[entry:entry + 4]).rstrip(b"\x00").decode("ascii", "replace")
        out[tag] = bytes(data[values + start:values + end])      # cut short at the datagram's end: what is there
        start = end
    return out


def gquic_hello(data: bytes) -> GquicHello | None:
    """A client's gQUIC packet with a version in its public header and a hello (CHLO) in clear in its first
    STREAM frame; None for anything else (an IETF QUIC packet, a later gQUIC packet, any other UDP payload)."""
    head = _gquic_header(data, True)
    if head is None:
        return None
    version, cid, pkn, at = head
    at = _gquic_message(data, at, version)
    if at is None or data[at:at + 4] != b"CHLO":
        return None
    tags = _gquic_tags(data, at)
    if tags is None:
        return None

    def text(tag: str) -> str | None:
        value = tags.get(tag)
        return value.decode("utf-8", "replace") if value else None

    return GquicHello(version, cid, pkn, tuple(tags), text("SNI"), text("UAID"))


def gquic_reject(data: bytes) -> bool:
    """A server's gQUIC packet whose first STREAM frame carries a reject (REJ) in clear: the server declines
    the client's hello and sends what a complete one needs (its config, a source-address token)."""
    head = _gquic_header(data, False)
    if head is None:
        return False
    at = _gquic_message(data, head[3], head[0] or 0x51303030)
    return at is not None and data[at:at + 4] == b"REJ\x00"
