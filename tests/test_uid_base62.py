"""A uid's 17 characters are the low 17 base62 digits of its 128-bit digest, least significant first
(:func:`analyzer.api.uid._base62` takes them two at a time; the compiled ``base62_17`` of
analyzer/columnar/_speedups.c, which the uids use where built, one a division in 128-bit integers): both checked
against the digit-by-digit definition, on edge digests, shorter ones and random ones."""

from __future__ import annotations

import hashlib
import random

import pytest

from analyzer.api import uid
from analyzer.api.uid import _base62, connection_uid
from analyzer.compiled import compiled

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
base62_17 = compiled("base62_17")
needs_compiled = pytest.mark.skipif(base62_17 is None, reason="the compiled helper is not built (or pure Python)")


def by_digit(digest: bytes) -> str:
    n = int.from_bytes(digest, "big")
    return "".join(ALPHABET[(n // 62 ** i) % 62] for i in range(17))


EDGES = [bytes(16), b"\xff" * 16, (1).to_bytes(16, "big"), (61).to_bytes(16, "big"), (62).to_bytes(16, "big"),
         (3843).to_bytes(16, "big"), (3844).to_bytes(16, "big"), (62 ** 16).to_bytes(16, "big"),
         (62 ** 17 - 1).to_bytes(16, "big"), (62 ** 17).to_bytes(16, "big")]


@pytest.mark.parametrize("digest", EDGES + [random.Random(i).randbytes(16) for i in range(200)])
def test_digits(digest):
    assert _base62(digest) == by_digit(digest)


def test_connection_uid():
    key = b"udp|10.0.0.58|36992|10.0.0.1|53|1710234000005832000"
    assert connection_uid("udp", "10.0.0.58", 36992, "10.0.0.1", 53, 1710234000005832000) == \
        "C" + by_digit(hashlib.blake2b(key, digest_size=16).digest())



@needs_compiled
def test_compiled_digits():
    assert base62_17((61).to_bytes(16, "big")) == "z" + "0" * 16
    assert base62_17((62).to_bytes(16, "big")) == "01" + "0" * 15
    for digest in EDGES + [b"", b"\x3e", b"\xff" * 8, bytes(range(15))]:     # shorter: the same number
        assert base62_17(digest) == by_digit(digest), digest
    rnd = random.Random(19)
    for _ in range(20_000):
        digest = rnd.randbytes(16)
        assert base62_17(digest) == by_digit(digest), digest
    with pytest.raises(ValueError):
        base62_17(bytes(17))
    with pytest.raises(TypeError):
        base62_17("text")


@needs_compiled
def test_uids_compiled_and_python(monkeypatch):
    assert uid._b62 is base62_17
    ends = [("udp", "10.0.0.1", 40000 + i, "10.0.0.53", 53, 1_700_000_000_000_000_000 + i) for i in range(500)]
    fast = [connection_uid(*e) for e in ends] + [uid.file_uid("CabC", 3, True)]
    monkeypatch.setattr(uid, "_b62", _base62)
    assert fast == [connection_uid(*e) for e in ends] + [uid.file_uid("CabC", 3, True)]
