"""A uid's 17 characters are the low 17 base62 digits of its 128-bit digest, least significant first
(:func:`analyzer.api.uid._base62` takes them two at a time): checked against the digit-by-digit definition."""

from __future__ import annotations

import hashlib
import random

import pytest

from analyzer.api.uid import _base62, connection_uid

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


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
