"""The compiled join of a batch buffer's tail with the next read (analyzer.columnar._speedups.read_joined, used
by analyzer.capture.batches.pcap_batches) gives exactly ``tail + read(n)`` (batches._joined_py, the fallback):
on sources that give every byte asked, fewer (a pipe), none, or None; a source that claims more than the view
holds, or a negative count, is an error, not a buffer read past its end. And the batches of every classic pcap
of captures/ cut every few hundred bytes are the same frames either way."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from analyzer.capture import batches, open_capture
from analyzer.compiled import compiled

REPO = Path(__file__).resolve().parents[1]
PCAPS = [p for p in sorted((REPO / "captures").glob("*.pcap"))
         if p.read_bytes()[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")]
joined = compiled("read_joined")
pooled = compiled("read_joined_pool")
pytestmark = pytest.mark.skipif(joined is None, reason="the compiled helper (with read_joined) is not built")


class _Short(io.RawIOBase):
    """A source that gives at most a few bytes per call (as a pipe may), and None now and then."""

    def __init__(self, data: bytes, seed: int):
        self.data = data
        self.pos = 0
        self.rng = random.Random(seed)

    def readable(self) -> bool:
        return True

    def readinto(self, view) -> int | None:
        if self.rng.random() < 0.1:
            return None
        k = min(len(view), len(self.data) - self.pos, self.rng.randint(0, 7))
        view[:k] = self.data[self.pos:self.pos + k]
        self.pos += k
        return k

    def read(self, n: int = -1) -> bytes:
        b = bytearray(n)
        k = self.readinto(memoryview(b)) or 0
        return bytes(b[:k])


@pytest.mark.parametrize("seed", range(20))
def test_same_as_tail_plus_read(seed):
    rng = random.Random(seed)
    data = rng.randbytes(rng.randint(0, 300))
    a, b = _Short(data, seed), _Short(data, seed)      # the same reads each side
    full_a, full_b = io.BytesIO(data), io.BytesIO(data)
    for _ in range(40):
        tail = rng.randbytes(rng.choice((0, 1, 5, 16)))
        n = rng.choice((0, 1, 3, 8, 64))
        got = joined(tail, a.readinto, n)
        assert got.__class__ is bytes
        assert got == batches._joined_py(tail, b.read, n)
        assert joined(tail, full_a.readinto, n) == tail + full_b.read(n)


@pytest.mark.parametrize("count", [-1, 9, 1 << 40, "3"])
def test_a_bad_count_is_an_error(count):
    def readinto(view):
        return count

    with pytest.raises((ValueError, TypeError)):
        joined(b"ab", readinto, 8)


def test_the_view_is_released():
    held = []

    def readinto(view):
        held.append(view)
        view[:2] = b"xy"
        return 2

    assert joined(b"ab", readinto, 4) == b"abxy"
    with pytest.raises(ValueError):         # released: writing through it later cannot touch the bytes
        held[0][:1] = b"z"


def _frames(path: Path, target: int) -> list:
    out = []
    with open_capture(path) as reader:
        for b in reader.batches():
            out.append((b.first_number, [bytes(b.data[o:o + c]) for o, c in
                                         zip(b.offset.tolist(), b.caplen.tolist(), strict=True)],
                        b.ts_ns.tolist(), b.origlen.tolist()))
        out.append([str(w) for w in reader.warnings])
    return out


@pytest.mark.parametrize("path", PCAPS, ids=lambda p: p.name)
def test_batches_same_either_way(path, monkeypatch):
    used = []

    def spy(tail, readinto, n):
        used.append(n)
        return joined(tail, readinto, n)

    def pooled_spy(tail, readinto, n, pool):
        used.append(n)
        return pooled(tail, readinto, n, pool)

    for target in (batches.BATCH_BYTES, 333):
        monkeypatch.setattr(batches.pcap_batches, "__defaults__", (1, target))
        monkeypatch.setattr(batches, "compiled", lambda name: None if name == "read_joined_pool" else
                            spy if name == "read_joined" else compiled(name))
        fast = _frames(path, target)
        assert used
        used.clear()
        if pooled is not None:
            monkeypatch.setattr(batches, "compiled", lambda name: pooled_spy if name == "read_joined_pool" else
                                None if name == "read_joined" else compiled(name))
            assert _frames(path, target) == fast
            assert used
            used.clear()
        monkeypatch.setattr(batches, "compiled", lambda name: None if name in ("read_joined", "read_joined_pool")
                            else compiled(name))
        assert _frames(path, target) == fast
        assert not used


def test_cut_short_file_same_warning(tmp_path, monkeypatch):
    path = PCAPS[0]
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(path.read_bytes()[:-7])
    monkeypatch.setattr(batches.pcap_batches, "__defaults__", (1, 500))
    fast = _frames(cut, 500)
    assert "cut short" in fast[-1][0]
    monkeypatch.setattr(batches, "compiled", lambda name: None if name in ("read_joined", "read_joined_pool")
                        else compiled(name))
    assert _frames(cut, 500) == fast


needs_pool = pytest.mark.skipif(pooled is None, reason="the compiled helper (with read_joined_pool) is not built")


@needs_pool
@pytest.mark.parametrize("seed", range(20))
def test_pooled_same_as_tail_plus_read(seed):
    """read_joined_pool gives tail + read(n) call after call, its buffers used again (held or not)."""
    rng = random.Random(seed)
    data = rng.randbytes(rng.randint(0, 3000))
    a, b = _Short(data, seed), _Short(data, seed)
    pool: list = []
    held = []
    for _ in range(60):
        tail = rng.randbytes(rng.choice((0, 1, 5, 16, 300)))
        n = rng.choice((0, 1, 3, 8, 64, 2000))
        got = pooled(tail, a.readinto, n, pool)
        assert got.__class__ is bytes
        want = batches._joined_py(tail, b.read, n)
        assert got == want
        assert hash(got) == hash(want)
        if rng.random() < 0.3:
            held.append((got, want))            # kept: must never change
    for got, want in held:
        assert got == want
    assert 1 <= len(pool) <= 2


def _equal(a, b) -> bool:
    """(outside an assert: pytest's rewritten asserts keep their operands referenced)"""
    return a == b


@needs_pool
def test_pooled_buffer_used_again_only_when_free():
    """A pooled buffer is written again only once nothing refers to it: a batch, a memoryview or a numpy
    array of it keeps its bytes; its cached hash is not kept over new contents."""
    np = pytest.importorskip("numpy")
    src = io.BytesIO(bytes(range(256)) * 64)
    pool: list = []
    first = pooled(b"", src.readinto, 100, pool)
    first_id = id(first)
    copy = bytes(bytearray(first))     # (bytes(first) would be first itself)
    hash(first)
    view = memoryview(first)
    arr = np.frombuffer(first, dtype=np.uint8)
    second = pooled(b"t", src.readinto, 100, pool)
    third = pooled(b"", src.readinto, 100, pool)        # (first is still seen: a new buffer, not pooled)
    same = _equal(first, copy) and _equal(bytes(view), copy) and _equal(arr.tobytes(), copy)
    assert same
    assert id(third) != first_id
    del view, arr, third
    fourth = pooled(b"", src.readinto, 100, pool)       # (first is still named here)
    same = _equal(first, copy)
    assert same
    del first, fourth
    fifth = pooled(b"xy", src.readinto, 100, pool)
    assert id(fifth) == first_id            # used again, now that nothing refers to it
    assert fifth[:2] == b"xy" and len(fifth) == 102
    assert hash(fifth) == hash(bytes(fifth))
    assert second[:1] == b"t"


@needs_pool
def test_pooled_read_error_and_bad_count():
    pool: list = []

    def boom(view):
        raise OSError("gone")

    with pytest.raises(OSError):
        pooled(b"ab", boom, 8, pool)
    for count in (-1, 9, 1 << 40, "3"):
        with pytest.raises((ValueError, TypeError)):
            pooled(b"ab", lambda view, c=count: c, 8, pool)
    assert pooled(b"ab", io.BytesIO(b"cdef").readinto, 8, pool) == b"abcdef"


PCAPNGS = [p for p in sorted((REPO / "captures").glob("*.pcapng")) if p.stat().st_size > 2000][:4]


@needs_pool
@pytest.mark.parametrize("path", PCAPNGS, ids=lambda p: p.name)
def test_pcapng_batches_pooled_same_as_not(path, monkeypatch):
    """pcapng_batches reads through the same pooled join as pcap_batches: the same frames, times and warnings
    with the pooled buffers (small targets: many batches, buffers used again) as with tail + read(n)."""
    used = []

    def pooled_spy(tail, readinto, n, pool):
        used.append(n)
        return pooled(tail, readinto, n, pool)

    for target in (batches.BATCH_BYTES, 333, 4096):
        monkeypatch.setattr(batches.pcapng_batches, "__defaults__", (1, target))
        monkeypatch.setattr(batches, "compiled", lambda name: None if name in ("read_joined", "read_joined_pool")
                            else compiled(name))
        plain = _frames(path, target)
        assert not used
        monkeypatch.setattr(batches, "compiled", lambda name: pooled_spy if name == "read_joined_pool" else
                            None if name == "read_joined" else compiled(name))
        assert _frames(path, target) == plain
        assert used                     # (the pooled join read the file)
        used.clear()
