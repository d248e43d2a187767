"""QUIC packet protection removed with TLS secrets (RFC 9001 5): the 0-RTT, Handshake and 1-RTT packets of a QUIC
version 1 or 2 connection opened with the traffic secrets of a key log (``SSLKEYLOGFILE``: CLIENT_EARLY_TRAFFIC_SECRET,
CLIENT/SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT/SERVER_TRAFFIC_SECRET_0), as Wireshark opens them with
``-o tls.keylog_file:KEYS``. Sans-IO: secrets and packet bytes in, plaintext out. Every cipher is the
``cryptography`` package's; this module only derives keys (HKDF-Expand-Label "quic key", "quic iv", "quic hp";
"quic ku" for a key update; "quicv2 ..." for QUIC version 2, RFC 9369 3.3.2) and lays out nonces, header
protection masks and packet numbers as RFC 9001 5.3-5.4 and 6 and RFC 9000 17.1 say.

Cipher suites: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 (AES header protection), and
TLS_CHACHA20_POLY1305_SHA256 (ChaCha20 header protection). A packet that does not open (wrong or missing key,
damage, a packet number far from the expected one) gives None, never an exception.

:class:`ConnectionKeys` holds one connection's state: the client random (from its ClientHello), the suite (from
the ServerHello; for 0-RTT, sent before it, the ClientHello's offered suites are tried in order and the one that
decrypts is kept: a resumed session's suite is among them), the secrets looked up in the key log, each side's
largest packet number per packet number space (to rebuild a truncated packet number) and the 1-RTT key phase
(RFC 9001 6: a flipped key phase bit means the next generation of keys, derived from the secret before with
"quic ku").
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from analyzer.apps.quic import V1, V2
from analyzer.apps.tls.crypto import hkdf_expand_label

# cipher suite -> (header protection and AEAD kind, key length, hash of HKDF)
SUITES: dict[int, tuple[str, int, str]] = {0x1301: ("aes", 16, "SHA256"), 0x1302: ("aes", 32, "SHA384"),
                                           0x1303: ("chacha", 32, "SHA256")}
EARLY, HANDSHAKE, APPLICATION = 1, 2, 3     # encryption levels (0: Initial, opened by apps.quic); 0-RTT packets
                                            # share the application packet number space (RFC 9000 12.3)
MAX_KEY_UPDATES = 64                    # key generations derived per side, at most (each needs a flipped bit)


class PacketProtection:
    """The keys of one side, one encryption level, one key generation: the AEAD with its IV, and the header
    protection key (which a key update keeps, RFC 9001 6)."""

    __slots__ = ("aead", "hash", "hp", "iv", "kind", "label", "secret")

    def __init__(self, secret: bytes, suite: int, hp: Any = None, version: int = V1):
        kind, key_len, hash_name = SUITES[suite]
        self.kind, self.hash, self.secret = kind, hash_name, secret
        self.label = "quicv2 " if version == V2 else "quic "       # RFC 9369 3.3.2: version 2's labels
        key = hkdf_expand_label(secret, self.label + "key", b"", key_len, hash_name)
        self.iv = hkdf_expand_label(secret, self.label + "iv", b"", 12, hash_name)
        self.aead = AESGCM(key) if kind == "aes" else ChaCha20Poly1305(key)
        if hp is None:
            hp_key = hkdf_expand_label(secret, self.label + "hp", b"", key_len, hash_name)
            hp = Cipher(algorithms.AES(hp_key), modes.ECB()).encryptor() if kind == "aes" else hp_key
        self.hp = hp

    def mask(self, sample: bytes) -> bytes:
        """The 5-byte header protection mask of a 16-byte sample (RFC 9001 5.4.3, 5.4.4)."""
        if self.kind == "aes":
            return self.hp.update(sample)[:5]
        # ChaCha20: the sample's first 4 bytes are the block counter (little-endian), the other 12 the nonce;
        # cryptography's ChaCha20 takes them together as its 16-byte nonce
        enc = Cipher(algorithms.ChaCha20(self.hp, sample), mode=None).encryptor()
        return enc.update(b"\x00" * 5)

    def open(self, number: int, header: bytes, ciphertext: bytes) -> bytes | None:
        """The payload of packet ``number`` (its header, unprotected, is the additional data), or None."""
        nonce = (int.from_bytes(self.iv, "big") ^ number).to_bytes(12, "big")
        try:
            return self.aead.decrypt(nonce, ciphertext, header)
        except (InvalidTag, ValueError, OverflowError):
            return None

    def updated(self) -> PacketProtection:
        """The next key generation (RFC 9001 6.1: the secret expanded with "quic ku"; the same header key)."""
        suite = next(s for s, v in SUITES.items() if v[0] == self.kind and v[2] == self.hash)
        secret = hkdf_expand_label(self.secret, self.label + "ku", b"", len(self.secret), self.hash)
        return PacketProtection(secret, suite, self.hp, V2 if self.label == "quicv2 " else V1)


def decode_packet_number(largest: int, truncated: int, pn_len: int) -> int:
    """The full packet number of one sent in ``pn_len`` bytes, the closest to ``largest`` + 1 (RFC 9000 A.3);
    ``largest`` is -1 before any packet of its space."""
    expected = largest + 1
    win = 1 << (8 * pn_len)
    half = win // 2
    candidate = (expected & ~(win - 1)) | truncated
    if candidate <= expected - half and candidate < (1 << 62) - win:
        return candidate + win
    if candidate > expected + half and candidate >= win:
        return candidate - win
    return candidate


def unprotect(data: bytes, pos: int, pn_offset: int, end: int, prot: PacketProtection, largest: int,
              long: bool) -> tuple[int, int, int, bytes] | None:
    """The header protection of the packet ``data[pos:end]`` removed (its packet number starts at ``pn_offset``):
    (the first byte in clear, the packet number's length, the full packet number, the header in clear, which the
    AEAD authenticates); None when the packet is too short to hold a sample."""
    sample = bytes(data[pn_offset + 4:pn_offset + 20])
    if len(sample) != 16 or pn_offset + 20 > end:
        return None
    mask = prot.mask(sample)
    first = data[pos] ^ (mask[0] & (0x0F if long else 0x1F))
    pn_len = (first & 0x03) + 1
    pn = bytes(b ^ m for b, m in zip(data[pn_offset:pn_offset + pn_len], mask[1:1 + pn_len]))
    number = decode_packet_number(largest, int.from_bytes(pn, "big"), pn_len)
    return first, pn_len, number, bytes([first]) + bytes(data[pos + 1:pn_offset]) + pn


class ConnectionKeys:
    """One QUIC connection's keys from a key log (``keylog``: an :class:`analyzer.apps.tls.keylog.KeyLog`, looked
    up when the ClientHello's random is known and the ServerHello has chosen the suite). ``missing``: why no key
    opens the connection's packets (no key log, no secret for this ClientHello, a suite not supported), None
    once they can open."""

    __slots__ = ("client_random", "keylog", "largest", "levels", "offered", "phase", "suite", "updates", "version")

    def __init__(self, keylog: Any):
        self.keylog = keylog
        self.client_random: bytes | None = None
        self.offered: tuple[int, ...] = ()          # the ClientHello's cipher suites, in its order
        self.version = V1                           # the connection's QUIC version (its Initial's): key labels
        self.suite: int | None = None
        self.levels: dict[tuple[int, bool], list[PacketProtection] | None] = {}
        self.largest: dict[tuple[int, bool], int] = {}       # (space, from server) -> largest packet number opened
        self.phase: dict[bool, int] = {}                      # from server -> 1-RTT key generation in use
        self.updates = 0

    @property
    def missing(self) -> str | None:
        if self.keylog is None or not len(self.keylog):
            return "no key log"
        if self.client_random is None:
            return "no ClientHello seen"
        if self.suite is None:
            return "no ServerHello seen"
        if self.suite not in SUITES:
            return f"cipher suite 0x{self.suite:04x} not supported"
        if self._generations(APPLICATION, False) is None and self._generations(HANDSHAKE, False) is None:
            return "no secrets of this connection in the key log"
        return None

    def _generations(self, space: int, server: bool) -> list[PacketProtection] | None:
        key = (space, server)
        if key in self.levels:
            return self.levels[key]
        got = None
        if space == EARLY:
            return self._early() if not server else None
        if self.keylog is not None and self.client_random is not None and self.suite in SUITES:
            label = ("SERVER_" if server else "CLIENT_") + ("HANDSHAKE_TRAFFIC_SECRET" if space == HANDSHAKE
                                                          else "TRAFFIC_SECRET_0")
            secret = self.keylog.lookup(label, self.client_random)
            if secret is not None and len(secret) == (48 if SUITES[self.suite][2] == "SHA384" else 32):
                got = [PacketProtection(secret, self.suite, version=self.version)]
        if got is not None or (self.client_random is not None and self.suite is not None):
            self.levels[key] = got          # looked up once both are known (None: not in the key log)
        return got

    def _early(self) -> list[PacketProtection] | None:
        """The client's 0-RTT keys, one per suite it may have used (its PSK's: the ServerHello's once seen, else
        each offered suite of the secret's hash length); :meth:`open` keeps the one that decrypts."""
        key = (EARLY, False)
        if key in self.levels:
            return self.levels[key]
        if self.keylog is None or self.client_random is None:
            return None
        secret = self.keylog.lookup("CLIENT_EARLY_TRAFFIC_SECRET", self.client_random)
        got = None
        if secret is not None:
            suites = (self.suite,) if self.suite is not None else self.offered
            fit = [s for s in dict.fromkeys(suites) if s in SUITES
                   and len(secret) == (48 if SUITES[s][2] == "SHA384" else 32)]
            got = [PacketProtection(secret, s, version=self.version) for s in fit] or None
        self.levels[key] = got
        return got

    def protection(self, space: int, server: bool) -> PacketProtection | None:
        """The keys of a side for the Handshake space, or its current 1-RTT generation (for the header)."""
        gens = self._generations(space, server)
        if gens is None:
            return None
        return gens[self.phase.get(server, 0)] if space == APPLICATION else gens[0]

    def open(self, data: bytes, pos: int, pn_offset: int, end: int, space: int, server: bool,
             long: bool) -> tuple[int, int, int, bytes | None] | None:
        """Open the packet ``data[pos:end]``: (first byte, packet number length, packet number, payload or None
        when it does not decrypt), None when there is no key for it. A 1-RTT packet whose key phase bit differs
        from the phase in use is tried with the next generation (a key update) and, when that opens it, the
        generation moves on."""
        if space == EARLY:
            return self._open_early(data, pos, pn_offset, end) if not server else None
        prot = self.protection(space, server)
        if prot is None:
            return None
        largest = self.largest.get((space, server), -1)
        got = unprotect(data, pos, pn_offset, end, prot, largest, long)
        if got is None:
            return None
        first, pn_len, number, header = got
        ciphertext = bytes(data[pn_offset + pn_len:end])
        payload = None
        if space == APPLICATION:
            gens = self.levels[(space, server)]
            phase = self.phase.get(server, 0)
            if (first >> 2) & 1 != phase & 1:
                # a key update (the next generation) or a late packet of the one before
                if phase + 1 >= len(gens) and len(gens) < MAX_KEY_UPDATES:
                    gens.append(gens[-1].updated())
                if phase + 1 < len(gens):
                    payload = gens[phase + 1].open(number, header, ciphertext)
                    if payload is not None:
                        self.phase[server] = phase + 1
                if payload is None and phase > 0:
                    payload = gens[phase - 1].open(number, header, ciphertext)
            else:
                payload = gens[phase].open(number, header, ciphertext)
        else:
            payload = prot.open(number, header, ciphertext)
        if payload is not None and number > largest:
            self.largest[(space, server)] = number
        return first, pn_len, number, payload

    def _open_early(self, data: bytes, pos: int, pn_offset: int, end: int) -> tuple[int, int, int, bytes | None] | None:
        """A client's 0-RTT packet opened with the first candidate key that decrypts it (kept from then on); its
        packet number counts in the application space, which 1-RTT packets continue."""
        gens = self._early()
        if not gens:
            return None
        largest = self.largest.get((APPLICATION, False), -1)
        shown = None
        for prot in gens:
            got = unprotect(data, pos, pn_offset, end, prot, largest, True)
            if got is None:
                return None
            first, pn_len, number, header = got
            payload = prot.open(number, header, bytes(data[pn_offset + pn_len:end]))
            if payload is not None:
                self.levels[(EARLY, False)] = [prot]
                if number > largest:
                    self.largest[(APPLICATION, False)] = number
                return first, pn_len, number, payload
            if shown is None:
                shown = (first, pn_len, number, None)
        return shown
