"""TLS record decryption with the ``cryptography`` package: key derivation (TLS 1.3 HKDF-Expand-Label, the
TLS 1.0-1.2 PRF) and one :class:`Decryptor` per direction and key. Every cipher and hash is the library's;
this module only lays out nonces, additional data, padding and MACs as the RFCs say.

Supported: TLS 1.3 (AES-128/256-GCM, ChaCha20-Poly1305, AES-128-CCM/CCM_8), TLS 1.2 AEAD suites (AES-GCM,
AES-CCM, ChaCha20-Poly1305) and AES-CBC with HMAC (SHA-1/256/384) in TLS 1.0-1.2, with or without
encrypt-then-MAC (RFC 7366). What a suite needs is read from its IANA name (``TLS_<kx>_WITH_<cipher>_<hash>``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from analyzer.apps.tls.tables import CIPHER_SUITES

_HASHES = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA": hashes.SHA1, "MD5": hashes.MD5}
_HASH_LEN = {"SHA256": 32, "SHA384": 48, "SHA": 20, "MD5": 16}
_SEQ = struct.Struct("!Q")


class DecryptError(Exception):
    """A record did not decrypt: wrong key, corrupted record, or a record this connection cannot read."""


@dataclass(frozen=True, slots=True)
class SuiteParams:
    """How to decrypt records of one cipher suite: ``kind`` is ``gcm``, ``ccm``, ``chacha`` or ``cbc``."""

    name: str
    tls13: bool
    kind: str
    key_len: int
    iv_len: int          # TLS 1.3 / ChaCha: whole nonce; GCM/CCM 1.2: the fixed (implicit) part; CBC: block
    tag_len: int         # AEAD tag
    mac: str | None      # CBC: the HMAC hash name
    prf: str             # the PRF / HKDF hash name


def suite_params(suite: int) -> SuiteParams | None:
    """Decryption parameters of a cipher suite, None when it is not one we can decrypt."""
    name = CIPHER_SUITES.get(suite)
    if name is None:
        return None
    if "_WITH_" in name:
        tls13, cipher = False, name.split("_WITH_", 1)[1]
    elif name.startswith("TLS_") and not name.endswith("_SCSV"):
        tls13, cipher = True, name[4:]
    else:
        return None
    parts = cipher.split("_")
    last = parts[-1]
    if cipher.startswith("CHACHA20_POLY1305"):
        return SuiteParams(name, tls13, "chacha", 32, 12, 16, None, "SHA256")
    if parts[0] != "AES" or len(parts) < 3 or parts[1] not in ("128", "256"):
        return None
    key_len = int(parts[1]) // 8
    mode = parts[2]
    if mode == "GCM":
        return SuiteParams(name, tls13, "gcm", key_len, 12 if tls13 else 4, 16, None, last)
    if mode == "CCM":
        tag = 8 if len(parts) > 3 and parts[3] == "8" else 16
        return SuiteParams(name, tls13, "ccm", key_len, 12 if tls13 else 4, tag, None,
                           "SHA256" if last not in _HASHES else last)
    if mode == "CBC" and not tls13 and last in ("SHA", "SHA256", "SHA384"):
        return SuiteParams(name, False, "cbc", key_len, 16, 0, last, "SHA384" if last == "SHA384" else "SHA256")
    return None


# -- key derivation ------------------------------------------------------------------------------------------
def hkdf_expand_label(secret: bytes, label: str, context: bytes, length: int, hash_name: str) -> bytes:
    """RFC 8446 section 7.1: HKDF-Expand(secret, HkdfLabel, length), HkdfLabel = length, "tls13 " + label,
    context."""
    full = b"tls13 " + label.encode("ascii")
    info = struct.pack("!HB", length, len(full)) + full + bytes((len(context),)) + context
    return HKDFExpand(_HASHES[hash_name](), length, info).derive(secret)


def tls13_keys(params: SuiteParams, secret: bytes) -> tuple[bytes, bytes]:
    """(write key, write iv) of a TLS 1.3 traffic secret (RFC 8446 section 7.3)."""
    return (hkdf_expand_label(secret, "key", b"", params.key_len, params.prf),
            hkdf_expand_label(secret, "iv", b"", 12, params.prf))


def next_traffic_secret(params: SuiteParams, secret: bytes) -> bytes:
    """The traffic secret after a KeyUpdate (RFC 8446 section 7.2)."""
    return hkdf_expand_label(secret, "traffic upd", b"", len(secret), params.prf)


def _p_hash(hash_name: str, secret: bytes, seed: bytes, length: int) -> bytes:
    """RFC 5246 section 5: P_hash(secret, seed), expanded with HMAC to ``length`` bytes."""
    out = b""
    a = seed
    while len(out) < length:
        a = _hmac(hash_name, secret, a)
        out += _hmac(hash_name, secret, a + seed)
    return out[:length]


def _hmac(hash_name: str, key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, _HASHES[hash_name]())
    mac.update(data)
    return mac.finalize()


def prf(version: int, hash_name: str, secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    """The TLS PRF: P_<hash> for TLS 1.2; MD5 and SHA-1 halves XORed for TLS 1.0/1.1 (RFC 2246 5)."""
    if version >= 0x0303:
        return _p_hash(hash_name, secret, label + seed, length)
    half = (len(secret) + 1) // 2
    md5 = _p_hash("MD5", secret[:half], label + seed, length)
    sha = _p_hash("SHA", secret[len(secret) - half:], label + seed, length)
    return bytes(x ^ y for x, y in zip(md5, sha, strict=True))


@dataclass(frozen=True, slots=True)
class KeyBlock:
    """One side's keys from the TLS 1.2 key block."""

    mac_key: bytes
    key: bytes
    iv: bytes


def tls12_key_block(params: SuiteParams, version: int, master: bytes, client_random: bytes,
                    server_random: bytes) -> tuple[KeyBlock, KeyBlock]:
    """(client write keys, server write keys) from the master secret (RFC 5246 section 6.3)."""
    mac_len = _HASH_LEN[params.mac] if params.mac else 0
    iv_len = params.iv_len if params.kind != "cbc" else (16 if version <= 0x0301 else 0)
    total = 2 * (mac_len + params.key_len + iv_len)
    block = prf(version, params.prf, master, b"key expansion", server_random + client_random, total)
    cut = [mac_len, mac_len, params.key_len, params.key_len, iv_len, iv_len]
    pieces = []
    at = 0
    for n in cut:
        pieces.append(block[at:at + n])
        at += n
    return KeyBlock(pieces[0], pieces[2], pieces[4]), KeyBlock(pieces[1], pieces[3], pieces[5])


# -- records -----------------------------------------------------------------------------------------------
class Decryptor:
    """Decrypts the records of one direction under one key, counting their sequence numbers."""

    __slots__ = ("_aead", "_cbc_key", "etm", "iv", "mac_key", "params", "seq", "tls13", "version")

    def __init__(self, params: SuiteParams, key: bytes, iv: bytes, *, version: int, mac_key: bytes = b"",
                 etm: bool = False):
        self.params = params
        self.tls13 = params.tls13 and version >= 0x0304
        self.version = version
        self.iv = iv
        self.mac_key = mac_key
        self.etm = etm
        self.seq = 0
        self._cbc_key = key if params.kind == "cbc" else None
        if params.kind == "gcm":
            self._aead = AESGCM(key)
        elif params.kind == "chacha":
            self._aead = ChaCha20Poly1305(key)
        elif params.kind == "ccm":
            self._aead = AESCCM(key, tag_length=params.tag_len)
        else:
            self._aead = None

    def decrypt(self, content_type: int, version: int, fragment: bytes) -> tuple[int, bytes]:
        """(content type, plaintext) of one record; TLS 1.3 gives the inner content type. The sequence
        number advances whether or not the record decrypts (as the peer's did)."""
        seq = self.seq
        self.seq += 1
        try:
            if self.tls13:
                return self._tls13(seq, content_type, version, fragment)
            if self._aead is not None:
                return content_type, self._tls12_aead(seq, content_type, version, fragment)
            return content_type, self._cbc(seq, content_type, version, fragment)
        except InvalidTag:
            raise DecryptError("authentication failed (wrong key?)") from None
        except ValueError as exc:       # the library's own checks (e.g. a key or nonce of the wrong size)
            raise DecryptError(str(exc)) from None

    def _nonce(self, seq: int) -> bytes:
        """RFC 8446 5.3 / RFC 7905: the 64-bit sequence number, left-padded, XORed with the write IV."""
        padded = _SEQ.pack(seq).rjust(len(self.iv), b"\0")
        return bytes(a ^ b for a, b in zip(self.iv, padded, strict=True))

    def _tls13(self, seq: int, content_type: int, version: int, fragment: bytes) -> tuple[int, bytes]:
        aad = struct.pack("!BHH", content_type, version, len(fragment))
        inner = self._aead.decrypt(self._nonce(seq), fragment, aad)
        end = len(inner)
        while end and inner[end - 1] == 0:     # zero padding after the inner content type
            end -= 1
        if not end:
            raise DecryptError("decrypted record has no content type (all padding)")
        return inner[end - 1], inner[:end - 1]

    def _tls12_aead(self, seq: int, content_type: int, version: int, fragment: bytes) -> bytes:
        tag = self.params.tag_len
        if self.params.kind == "chacha":
            nonce, body = self._nonce(seq), fragment
        else:
            if len(fragment) < 8 + tag:
                raise DecryptError("record shorter than its nonce and tag")
            nonce, body = self.iv + fragment[:8], fragment[8:]
        if len(body) < tag:
            raise DecryptError("record shorter than its tag")
        aad = _SEQ.pack(seq) + struct.pack("!BHH", content_type, version, len(body) - tag)
        return self._aead.decrypt(nonce, body, aad)

    def _cbc(self, seq: int, content_type: int, version: int, fragment: bytes) -> bytes:
        mac_name = self.params.mac or "SHA"
        mac_len = _HASH_LEN[mac_name]
        header = _SEQ.pack(seq) + struct.pack("!BH", content_type, version)
        if self.etm:
            if len(fragment) < mac_len + 16:
                raise DecryptError("record shorter than its IV and MAC")
            body, mac = fragment[:-mac_len], fragment[-mac_len:]
            if not _mac_ok(mac_name, self.mac_key, header + struct.pack("!H", len(body)) + body, mac):
                raise DecryptError("MAC check failed (wrong key?)")
        else:
            body = fragment
        if version >= 0x0302:
            iv, body = body[:16], body[16:]
        else:
            iv = self.iv
        if not body or len(body) % 16:
            raise DecryptError("CBC ciphertext is not a whole number of blocks")
        if version < 0x0302:
            self.iv = body[-16:]        # TLS 1.0: the next record's IV is this one's last block
        dec = Cipher(algorithms.AES(self._cbc_key), modes.CBC(iv)).decryptor()
        plain = dec.update(body) + dec.finalize()
        pad = plain[-1]
        if pad + 1 > len(plain) or plain[-pad - 1:] != bytes((pad,)) * (pad + 1):
            raise DecryptError("bad CBC padding (wrong key?)")
        plain = plain[:-pad - 1]
        if self.etm:
            return plain
        if len(plain) < mac_len:
            raise DecryptError("record shorter than its MAC")
        content, mac = plain[:-mac_len], plain[-mac_len:]
        if not _mac_ok(mac_name, self.mac_key, header + struct.pack("!H", len(content)) + content, mac):
            raise DecryptError("MAC check failed (wrong key?)")
        return content


class TrialDecryptor:
    """Decrypts with the first of several candidate :class:`Decryptor` objects whose record verifies, and from
    then on only with that one: TLS 1.3 early data (0-RTT) is sent under the cipher suite of the session it
    resumes, which the ClientHello does not name (its ServerHello comes later). Each candidate counts the
    sequence numbers of the records tried on it, as the peer's single one did."""

    __slots__ = ("candidates",)

    def __init__(self, candidates: list[Decryptor]):
        self.candidates = candidates

    def decrypt(self, content_type: int, version: int, fragment: bytes) -> tuple[int, bytes]:
        failure = DecryptError("no cipher suite to try")
        for dec in self.candidates:
            try:
                out = dec.decrypt(content_type, version, fragment)
            except DecryptError as exc:
                failure = exc
                continue
            self.candidates = [dec]
            return out
        raise failure


def hash_len(params: SuiteParams) -> int:
    """Length of the suite's PRF/HKDF hash: the length of its TLS 1.3 traffic secrets."""
    return _HASH_LEN[params.prf]


def _mac_ok(hash_name: str, key: bytes, data: bytes, mac: bytes) -> bool:
    check = hmac.HMAC(key, _HASHES[hash_name]())
    check.update(data)
    try:
        check.verify(mac)
    except InvalidSignature:
        return False
    return True
