"""The compiled header reader (analyzer.columnar._speedups.headers, used by analyzer.columnar.headers.parse)
gives exactly the columns of the numpy reader (headers._parse_py, the fallback): on every capture in captures/
and ../shared/corpus, on damaged copies of real captures (tests/mutants.py), and on random bytes framed with
every link type the reader knows (and some it does not), caplens cut anywhere, frames at the buffer's end and
an empty buffer -- where each length check, VLAN stack, loopback family and IP/TCP/UDP rule decides."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from analyzer.capture import open_capture
from analyzer.capture.batches import FrameBatch
from analyzer.columnar import headers

pytestmark = pytest.mark.skipif(headers._headers is None, reason="the compiled helper (with headers) is not built: "
                                "pip install -e . builds it")

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])
LINKTYPES = [0, 1, 1, 1, 12, 14, 101, 113, 228, 229, 276, 105, 9999]


def _same(batch) -> None:
    assert headers._headers is not None          # the compiled reader is what parse() runs
    want, got = headers._parse_py(batch), headers.parse(batch)
    for slot in headers.Columns.__slots__:
        a, b = getattr(want, slot), getattr(got, slot)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype, slot
            bad = np.flatnonzero(a != b)
            assert not len(bad), f"{slot} differs at frames {bad[:5].tolist()}"
        else:
            assert a == b, slot


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_captures(path):
    with open_capture(path) as reader:
        for batch in reader.batches():
            _same(batch)


@pytest.mark.parametrize("name", ["lab_page_fetch.pcapng", "lab_ipv6_page_fetch.pcapng", "lab_dns_mix.pcapng"])
def test_mutated(tmp_path, name):
    from mutants import mutated_pcaps

    for path in mutated_pcaps(name, tmp_path):
        with open_capture(path) as reader:
            for batch in reader.batches():
                _same(batch)


def _header(rng: random.Random, lt: int) -> bytes:
    """A plausible frame start: a link header (VLAN tags, loopback families), IPv4/IPv6, TCP/UDP, each field
    now and then set to an edge value."""
    ip4 = bytes([rng.choice([0x45, 0x46, 0x44, 0x55, 0x4F]), 0]) + rng.choice([b"\x00\x28", b"\x00\x14", b"\x05\xdc",
                                                                             b"\x00\x00", b"\xff\xff"])
    ip4 += b"\x00\x01" + rng.choice([b"\x40\x00", b"\x20\x00", b"\x00\x01", b"\x80\x00"]) + b"\x40"
    ip4 += bytes([rng.choice([6, 17, 1, 6, 17])]) + b"\x00\x00" + rng.randbytes(8)
    ip6 = bytes([rng.choice([0x60, 0x40, 0x6F])]) + b"\x00\x00\x00" + rng.choice([b"\x00\x14", b"\x00\x00",
                                                                                  b"\x00\x08", b"\xff\xff"])
    ip6 += bytes([rng.choice([6, 17, 0, 58])]) + b"\x40" + rng.randbytes(32)
    tcp = rng.randbytes(12) + bytes([rng.choice([0x50, 0x80, 0x40, 0xF0, 0x5F]), rng.randrange(256)]) + \
        rng.randbytes(6)
    udp = rng.randbytes(4) + rng.choice([b"\x00\x08", b"\x00\x00", b"\x00\x20", b"\xff\xff"]) + b"\x00\x00"
    ip = rng.choice([ip4 + tcp, ip4 + udp, ip6 + tcp, ip6 + udp, ip4, rng.randbytes(30)])
    eth_type = rng.choice([b"\x08\x00", b"\x86\xdd", b"\x08\x06", b"\x81\x00", b"\x88\xa8", b"\x91\x00", b"\x12\x34"])
    tags = b"".join(rng.choice([b"\x81\x00", b"\x88\xa8", b"\x91\x00"]) + b"\x00\x01"
                    for _ in range(rng.choice([0, 0, 1, 2, 5])))
    fam = rng.choice([2, 10, 24, 28, 30, 7])
    if rng.random() < 0.1:
        lt = rng.choice(LINKTYPES)                       # now and then a frame of another link type
    if lt == 1:
        return rng.randbytes(12) + tags + eth_type + ip
    if lt == 113:
        return rng.randbytes(14) + eth_type + ip
    if lt == 276:
        return eth_type + rng.randbytes(18) + ip
    if lt == 0:
        return fam.to_bytes(4, rng.choice(["little", "big"])) + ip
    if lt in (12, 14, 101, 228, 229):
        return ip
    return rng.randbytes(rng.randrange(0, 60))


@pytest.mark.parametrize("seed", range(8))
def test_random_frames(seed):
    rng = random.Random(seed)
    lts = [rng.choice(LINKTYPES) for _ in range(2000)]
    frames = [_header(rng, lt) for lt in lts]
    data = b"".join(frames)
    offset, pos = [], 0
    for f in frames:
        offset.append(pos)
        pos += len(f)
    n = len(frames)
    # caplens cut anywhere (never past the buffer), wire lengths shorter or longer than the capture
    caplen = [max(0, min(len(f) - rng.choice([0, 0, 0, 1, 5, 20]), len(data) - o)) for f, o in zip(frames, offset,
                                                                                                strict=True)]
    origlen = [c + rng.choice([0, 0, 10, -3]) for c in caplen]
    batch = FrameBatch(data, np.array(offset, dtype=np.int64), np.array(caplen, dtype=np.int64),
                       np.array([max(o, 0) for o in origlen], dtype=np.int64), np.zeros(n, dtype=np.int64),
                       np.array(lts, dtype=np.int32), None, 1)
    _same(batch)
    kinds = set(headers.parse(batch).kind.tolist())
    assert kinds >= {headers.KIND_SLOW, headers.KIND_TCP, headers.KIND_UDP}


def test_empty_buffer():
    batch = FrameBatch(b"", np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64),
                       np.zeros(3, dtype=np.int64), np.array([1, 101, 0], dtype=np.int32), None, 1)
    _same(batch)
