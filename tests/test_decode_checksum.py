"""The fast one's-complement arithmetic of analyzer.decode.checksum against a word-by-word reference."""

from __future__ import annotations

import random

import pytest

from analyzer.decode.checksum import (
    HEX2,
    HEX4,
    expected,
    fold,
    internet_checksum,
    is_good,
    sum_bytes,
)


def reference_sum(data: bytes) -> int:
    """RFC 1071's algorithm as written: add 16-bit words, fold carries back in (end-around carry)."""
    if len(data) % 2:
        data += b"\0"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return total


def reference_checksum(data: bytes) -> int:
    return ~reference_sum(data) & 0xFFFF


RNG = random.Random(20240605)
LENGTHS = [*range(64), 65, 127, 511, 1023, 1459, 1460, 1500, 9000]


@pytest.mark.parametrize("length", LENGTHS)
def test_sum_matches_reference_on_random_data(length):
    for _ in range(20):
        data = RNG.randbytes(length)
        assert fold(sum_bytes(data, 0, len(data))) == reference_sum(data)
        assert internet_checksum(data) == reference_checksum(data)


def test_sum_of_a_slice_in_the_middle():
    data = RNG.randbytes(200)
    for start, end in [(0, 0), (3, 4), (13, 101), (14, 200), (1, 199)]:
        assert fold(sum_bytes(data, start, end)) == reference_sum(data[start:end])


@pytest.mark.parametrize("data, total", [
    (b"", 0x0000),
    (b"\x00\x00\x00\x00", 0x0000),           # all zero: positive zero
    (b"\xff\xff", 0xFFFF),                   # negative zero, residue 0 but not zero
    (b"\xff\xff\xff\xff", 0xFFFF),
    (b"\x80\x00\x80\x00", 0x0001),           # carry folds back in
    (b"\x00\x01\xf2\x03\xf4\xf5\xf6\xf7", 0xDDF2),  # RFC 1071 section 3 example
    (b"\x01", 0x0100),                       # odd length: padded with a zero byte
])
def test_edges(data, total):
    assert reference_sum(data) == total
    assert fold(sum_bytes(data, 0, len(data))) == total


def test_rfc1071_example_checksum():
    assert internet_checksum(b"\x00\x01\xf2\x03\xf4\xf5\xf6\xf7") == 0x220D


def test_verification_and_the_value_that_should_have_been_sent():
    for _ in range(200):
        data = bytearray(RNG.randbytes(RNG.randrange(4, 300) & ~1))
        pos = RNG.randrange(0, len(data) - 1) & ~1
        data[pos:pos + 2] = b"\0\0"
        right = reference_checksum(bytes(data))
        data[pos:pos + 2] = right.to_bytes(2, "big")
        total = sum_bytes(data, 0, len(data))
        assert is_good(total)
        assert expected(total, right) == right
        wrong = (right + RNG.randrange(1, 0xFFFF)) & 0xFFFF
        if wrong in (right, (right + 0xFFFF) % 0x10000) or {wrong, right} == {0, 0xFFFF}:
            continue  # 0x0000 and 0xFFFF are the same one's-complement value
        data[pos:pos + 2] = wrong.to_bytes(2, "big")
        total = sum_bytes(data, 0, len(data))
        assert not is_good(total)
        assert expected(total, wrong) == right


def test_all_zero_bytes_do_not_verify():
    assert not is_good(sum_bytes(bytes(20), 0, 20))


def test_hex_texts():
    assert HEX4[0x0800] == "0x0800"
    assert HEX4[0xF41] == "0x0f41"
    assert HEX4[0xFFFF] == "0xffff"
    assert HEX2[2] == "0x02"
