"""Key derivation and record decryption against published values: RFC 8448's TLS 1.3 trace (the handshake
traffic keys), and records encrypted here with the cryptography package (an independent encryption of a
known plaintext), including a wrong key."""

from __future__ import annotations

import struct

import pytest
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from analyzer.apps.tls.crypto import (
    DecryptError,
    Decryptor,
    hkdf_expand_label,
    suite_params,
    tls13_keys,
)


def test_rfc8448_server_handshake_keys():
    # RFC 8448 section 3, "Simple 1-RTT Handshake": derive write traffic keys for handshake data
    secret = bytes.fromhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
    params = suite_params(0x1301)
    key, iv = tls13_keys(params, secret)
    assert key == bytes.fromhex("3fce516009c21727d0f2e4e86ee403bc")
    assert iv == bytes.fromhex("5d313eb2671276ee13000b30")
    assert hkdf_expand_label(secret, "key", b"", 16, "SHA256") == key


@pytest.mark.parametrize(("suite", "kind", "key_len", "prf"), [
    (0x1301, "gcm", 16, "SHA256"), (0x1302, "gcm", 32, "SHA384"), (0x1303, "chacha", 32, "SHA256"),
    (0xC02F, "gcm", 16, "SHA256"), (0xC030, "gcm", 32, "SHA384"), (0xCCA8, "chacha", 32, "SHA256"),
    (0xC028, "cbc", 32, "SHA384"), (0xC013, "cbc", 16, "SHA256"), (0x1304, "ccm", 16, "SHA256"),
])
def test_suite_params(suite, kind, key_len, prf):
    p = suite_params(suite)
    assert (p.kind, p.key_len, p.prf) == (kind, key_len, prf)


def test_unsupported_suites():
    assert suite_params(0x000A) is None         # 3DES
    assert suite_params(0x00FF) is None         # the renegotiation SCSV
    assert suite_params(0x4242) is None


def _tls13_record(key: bytes, iv: bytes, seq: int, inner: bytes, chacha: bool = False) -> bytes:
    nonce = bytes(a ^ b for a, b in zip(iv, struct.pack("!Q", seq).rjust(12, b"\0"), strict=True))
    aad = struct.pack("!BHH", 23, 0x0303, len(inner) + 16)
    aead = ChaCha20Poly1305(key) if chacha else AESGCM(key)
    return aead.encrypt(nonce, inner, aad)


def test_tls13_records_in_sequence_and_padding():
    key, iv = bytes(range(16)), bytes(range(100, 112))
    dec = Decryptor(suite_params(0x1301), key, iv, version=0x0304)
    first = _tls13_record(key, iv, 0, b"GET / HTTP/1.1\r\n\r\n" + b"\x17")
    second = _tls13_record(key, iv, 1, b"\x01\x00" + b"\x15" + b"\0" * 7)    # an alert, padded
    assert dec.decrypt(23, 0x0303, first) == (23, b"GET / HTTP/1.1\r\n\r\n")
    assert dec.decrypt(23, 0x0303, second) == (21, b"\x01\x00")


def test_wrong_key_is_a_decrypt_error():
    key, iv = bytes(32), bytes(12)
    record = _tls13_record(key, iv, 0, b"hello\x17", chacha=True)
    dec = Decryptor(suite_params(0x1303), bytes([1]) * 32, iv, version=0x0304)
    with pytest.raises(DecryptError):
        dec.decrypt(23, 0x0303, record)


def test_tls12_gcm_explicit_nonce():
    key, salt = bytes(range(16)), b"\x01\x02\x03\x04"
    plain = b"HTTP/1.1 200 OK\r\n\r\n"
    explicit = struct.pack("!Q", 7)
    aad = struct.pack("!QBHH", 0, 23, 0x0303, len(plain))
    record = explicit + AESGCM(key).encrypt(salt + explicit, plain, aad)
    dec = Decryptor(suite_params(0xC02F), key, salt, version=0x0303)
    assert dec.decrypt(23, 0x0303, record) == (23, plain)


@pytest.mark.parametrize("etm", [False, True])
def test_tls12_cbc_hmac_sha384(etm):
    key, mac_key, iv = bytes(range(32)), bytes(range(48)), bytes(range(16))
    plain = b"GET /app.js HTTP/1.1\r\n\r\n"
    header = struct.pack("!QBH", 0, 23, 0x0303)

    def mac(data: bytes) -> bytes:
        h = hmac.HMAC(mac_key, hashes.SHA384())
        h.update(data)
        return h.finalize()

    def cbc(data: bytes) -> bytes:
        n = 16 - (len(data) + 1) % 16
        padded = data + bytes([n]) * (n + 1)
        enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        return iv + enc.update(padded) + enc.finalize()

    if etm:
        body = cbc(plain)
        record = body + mac(header + struct.pack("!H", len(body)) + body)
    else:
        record = cbc(plain + mac(header + struct.pack("!H", len(plain)) + plain))
    dec = Decryptor(suite_params(0xC028), key, b"", version=0x0303, mac_key=mac_key, etm=etm)
    assert dec.decrypt(23, 0x0303, record) == (23, plain)
    bad = Decryptor(suite_params(0xC028), key, b"", version=0x0303, mac_key=bytes(48), etm=etm)
    with pytest.raises(DecryptError):
        bad.decrypt(23, 0x0303, record)
