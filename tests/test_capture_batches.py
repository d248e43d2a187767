"""Batches (analyzer.capture.batches) give exactly the frames and warnings of the frame iterator, with the
compiled record walks (pcap records, pcapng EPBs) and with their pure-Python twins, on every capture we have,
on damaged copies (cut inside a record header, inside a packet, an absurd caplen) and on crafted pcapng files
with every block kind, several sections and byte orders, interfaces of other resolutions, bad blocks."""

from __future__ import annotations

from pathlib import Path

import pytest
from capture_builders import block, custom_block, epb, idb, isb, nrb, opb, packet, shb, spb

from analyzer.capture import batches, open_capture

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])
WALKS = {"python": (batches._walk_py, batches._walk_epb_py)}
try:
    from analyzer.columnar._speedups import walk as _compiled
    from analyzer.columnar._speedups import walk_epb as _compiled_epb
    WALKS["compiled"] = (_compiled, _compiled_epb)
except ImportError:     # not built here: the pure-Python walks are what runs, and are tested
    pass


def _frames(path: Path) -> tuple[list, list]:
    with open_capture(path) as reader:
        frames = [(f.number, f.ts_ns, f.origlen, f.caplen, f.linktype, f.iface, f.iface_name, f.data)
                  for f in reader]
        return frames, [(w.offset, w.message) for w in reader.warnings]


def _batched(path: Path) -> tuple[list, list]:
    out = []
    with open_capture(path) as reader:
        for b in reader.batches():
            out += [(f.number, f.ts_ns, f.origlen, f.caplen, f.linktype, f.iface, f.iface_name, f.data)
                    for f in (b.frame(i) for i in range(len(b)))]
        return out, [(w.offset, w.message) for w in reader.warnings]


@pytest.fixture(params=sorted(WALKS))
def walk(request, monkeypatch):
    monkeypatch.setattr(batches, "walk_records", WALKS[request.param][0])
    monkeypatch.setattr(batches, "walk_epbs", WALKS[request.param][1])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_same_frames(path, walk):
    assert _batched(path) == _frames(path)


def test_damaged(tmp_path, walk):
    src = (REPO / "captures" / "http10_short_connections_loopback.pcap").read_bytes()
    cases = {"cut_header": src[:24 + 16 + 60 + 8], "cut_packet": src[:-10], "header_only": src[:24]}
    absurd = bytearray(src)
    second = 24 + 16 + int.from_bytes(src[24 + 8:24 + 12], "little")
    absurd[second + 8:second + 12] = (1 << 20).to_bytes(4, "little")
    cases["absurd_caplen"] = bytes(absurd)
    for name, data in cases.items():
        path = tmp_path / f"{name}.pcap"
        path.write_bytes(data)
        frames, warnings = _frames(path)
        assert _batched(path) == (frames, warnings), name
        assert warnings or name == "header_only"


def test_small_batches_cross_buffer_edges(tmp_path, walk, monkeypatch):
    """Records cut by the read size and batches cut by the frame limit still come out whole, in order."""
    monkeypatch.setattr(batches, "BATCH_BYTES", 333)
    monkeypatch.setattr(batches, "MAX_BATCH_FRAMES", 3)
    monkeypatch.setattr(batches.pcap_batches, "__defaults__", (1, 333))
    path = REPO / "captures" / "http10_short_connections_loopback.pcap"
    assert _batched(path) == _frames(path)


SEC = 1_700_000_000
TOP = (1 << 64) - 1
PCAPNG = {
    "every_block_kind": (shb() + idb(1, 70, tsresol=0x94, name="eth0") + idb(113, 0, tsresol=3, tsoffset=100)
                         + idb(101, 0, tsresol=0x80 | 10) + idb(0, 0, name="lo")
                         + epb(0, (SEC << 20) + 123457, packet(1)) + epb(1, SEC * 1000 + 123, packet(2))
                         + custom_block() + nrb() + isb() + epb(2, (SEC << 10) + 1023, packet(3))
                         + opb(1, SEC * 1000 + 1999, packet(4)) + block(0x12345678, b"unknown block kind")
                         + spb(packet(5, 70), origlen=80) + epb(3, SEC * 10**6 + 5, packet(6, 44), origlen=1500)
                         + epb(3, SEC * 10**6 + 6, packet(7)) + epb(3, SEC * 10**6 + 7, packet(8))),
    "ns_and_us_names": (shb() + idb(1, name="eth0") + idb(1, tsresol=9, name="wlan0") + idb(1)
                        + b"".join(epb(i % 3, SEC * 10**9 + i, packet(i)) for i in range(40))
                        + spb(packet(99))),
    "sections_both_orders": (shb("<") + idb(1, name="a") + epb(0, 5, packet(1)) + epb(0, 6, packet(2))
                             + shb(">") + idb(113, order=">", name="b") + epb(0, 7, packet(3), order=">")
                             + epb(0, 8, packet(4), order=">") + shb("<") + idb(1) + epb(0, 9, packet(5))),
    "undefined_interface": shb() + idb(1) + epb(0, 1, packet(1)) + epb(5, 2, packet(2)) + epb(0, 3, packet(3)),
    "short_idb": shb() + block(1, b"") + idb(113) + epb(0, 1, packet(1)) + epb(1, 2, packet(2)),
    "timestamps_out_of_range": (shb() + idb(tsresol=9) + epb(0, TOP, packet(1)) + epb(0, TOP, packet(2))
                                + epb(0, 1, packet(3)) + spb(packet(4)) + epb(0, (1 << 62) + 5, packet(5))),
    "negative_tsoffset": shb() + idb(1, tsoffset=-100) + epb(0, 5, packet(1)) + epb(0, 6, packet(2)),
    "corrupt_framing": shb() + idb(1) + epb(0, 1, packet(1)) + block(6, b"\0" * 40, trailer=999)
    + epb(0, 2, packet(2)),
    "truncated": (shb() + idb(1) + epb(0, 1, packet(1)) + epb(0, 2, packet(2)) + epb(0, 3, packet(3))[:50]),
    "big_blocks": shb() + idb(1) + b"".join(epb(0, i, bytes([i]) * size) for i, size in
                                             enumerate([100, 200_000, 5, 131_072, 250_000, 64] * 2)),
}


@pytest.mark.parametrize("name", sorted(PCAPNG))
def test_pcapng_same_frames(tmp_path, walk, name):
    path = tmp_path / f"{name}.pcapng"
    path.write_bytes(PCAPNG[name])
    frames, warnings = _frames(path)
    assert frames
    assert _batched(path) == (frames, warnings)


@pytest.mark.parametrize("name", sorted(PCAPNG))
def test_pcapng_small_batches(tmp_path, walk, monkeypatch, name):
    monkeypatch.setattr(batches, "MAX_BATCH_FRAMES", 3)
    monkeypatch.setattr(batches, "BATCH_FRAMES", 2)
    monkeypatch.setattr(batches.pcapng_batches, "__defaults__", (1, 333))
    path = tmp_path / f"{name}.pcapng"
    path.write_bytes(PCAPNG[name])
    assert _batched(path) == _frames(path)


def test_pcapng_gzip(tmp_path, walk):
    import gzip

    path = tmp_path / "t.pcapng.gz"
    path.write_bytes(gzip.compress(PCAPNG["ns_and_us_names"]))
    assert _batched(path) == _frames(path)


def _chunk_frames(chunk, batched: bool) -> tuple[list, list]:
    from analyzer.capture.chunks import ChunkReader

    with ChunkReader(chunk) as reader:
        frames = (f for b in reader.batches() for f in (b.frame(i) for i in range(len(b)))) if batched else reader
        out = [(f.number, f.ts_ns, f.origlen, f.caplen, f.linktype, f.iface, f.iface_name, f.data) for f in frames]
        return out, [(w.offset, w.message) for w in reader.warnings]


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix == ".pcapng"], ids=lambda p: p.name)
def test_pcapng_chunks(path, walk):
    """The chunks of a pcapng file (parallel runs) in batches: the frames and warnings of each chunk's iterator."""
    from analyzer.capture.chunks import plan_chunks

    chunks = plan_chunks(str(path), max(path.stat().st_size // 3, 4096))
    for chunk in chunks:
        assert _chunk_frames(chunk, True) == _chunk_frames(chunk, False)


def test_pcapng_mutants(tmp_path, walk, monkeypatch):
    """Damaged pcapng files (bytes replaced, cut out, inserted; fixed seed) in batches, large and tiny: the
    frames and warnings of the frame iterator, or the same CaptureError."""
    import random

    from analyzer.capture import CaptureError

    rng = random.Random(12)
    seeds = list(PCAPNG.values())
    path = tmp_path / "m.pcapng"
    for _ in range(150):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            at, kind = rng.randrange(len(data)), rng.random()
            if kind < 0.6:
                data[at] = rng.randrange(256)
            elif kind < 0.8:
                del data[at:at + rng.randint(1, 40)]
            else:
                data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 12)))
        path.write_bytes(bytes(data))
        try:
            want = _frames(path)
        except CaptureError:
            with pytest.raises(CaptureError):
                _batched(path)
            continue
        for target in (batches.BATCH_BYTES, 333):
            monkeypatch.setattr(batches.pcapng_batches, "__defaults__", (1, target))
            assert _batched(path) == want
