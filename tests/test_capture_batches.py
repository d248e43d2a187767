"""Batches (analyzer.capture.batches) give exactly the frames and warnings of the frame iterator, with the
compiled record walk and with its pure-Python twin, on every capture we have and on damaged copies
(cut inside a record header, inside a packet, an absurd caplen)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.capture import batches, open_capture

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])
WALKS = {"python": batches._walk_py}
try:
    from analyzer.columnar._speedups import walk as _compiled
    WALKS["compiled"] = _compiled
except ImportError:     # not built here: the pure-Python walk is what runs, and is tested
    pass


def _frames(path: Path) -> tuple[list, list]:
    with open_capture(path) as reader:
        frames = [(f.number, f.ts_ns, f.origlen, f.caplen, f.linktype, f.iface, f.data) for f in reader]
        return frames, [(w.offset, w.message) for w in reader.warnings]


def _batched(path: Path) -> tuple[list, list]:
    out = []
    with open_capture(path) as reader:
        for b in reader.batches():
            out += [(f.number, f.ts_ns, f.origlen, f.caplen, f.linktype, f.iface, f.data)
                    for f in (b.frame(i) for i in range(len(b)))]
        return out, [(w.offset, w.message) for w in reader.warnings]


@pytest.fixture(params=sorted(WALKS))
def walk(request, monkeypatch):
    monkeypatch.setattr(batches, "walk_records", WALKS[request.param])


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
