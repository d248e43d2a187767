"""The compiled reader of classic pcap record headers (analyzer.columnar._speedups.pcap_heads, used by
analyzer.capture.batches.pcap_batches) gives exactly the times, caplens and wire lengths numpy reads (the
fallback): on every classic pcap of captures/ and ../shared/corpus, in both byte orders, with microsecond and
nanosecond fractions, extreme times and lengths, and batches cut every few records."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from capture_builders import pcap_header, pcap_record

from analyzer.capture import batches, open_capture

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
PCAPS = [p for p in sorted((REPO / "captures").glob("*.pcap")) + (sorted(CORPUS.glob("*.pcap"))
                                                                   if CORPUS.is_dir() else [])
         if p.read_bytes()[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")]
compiled = batches._compiled_heads()
pytestmark = pytest.mark.skipif(compiled is None, reason="the compiled helper (with pcap_heads) is not built")


def _columns(path: Path, monkeypatch, heads) -> list:
    monkeypatch.setattr(batches, "record_heads", heads)
    out = []
    with open_capture(path) as reader:
        for b in reader.batches():
            out.append([b.offset.tolist(), b.caplen.tolist(), b.origlen.tolist(), b.ts_ns.tolist(),
                        b.caplen.dtype, b.origlen.dtype, b.ts_ns.dtype, b.first_number])
    return out


def _same(path: Path, monkeypatch) -> None:
    used = []

    def counting(*args):
        used.append(1)
        return compiled(*args)

    want = _columns(path, monkeypatch, None)
    got = _columns(path, monkeypatch, counting)
    assert got == want
    assert used or not want


@pytest.mark.parametrize("path", PCAPS, ids=lambda p: p.name)
def test_captures(path, monkeypatch):
    _same(path, monkeypatch)


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("nanosecond", [False, True])
def test_crafted(tmp_path, monkeypatch, order, nanosecond):
    rng = random.Random(order + str(nanosecond))
    top = (1 << 32) - 1
    records = []
    for _ in range(200):
        data = rng.randbytes(rng.choice([0, 1, 14, 60, 1514]))
        sec = rng.choice([0, 1, 1_700_000_000, top])
        frac = rng.choice([0, 1, 999_999, 999_999_999 if nanosecond else 999_999, top])
        origlen = rng.choice([None, len(data), len(data) + 1000, top])
        records.append(pcap_record(sec, frac, data, origlen=origlen, order=order))
    path = tmp_path / "crafted.pcap"
    path.write_bytes(pcap_header(order, nanosecond) + b"".join(records))
    _same(path, monkeypatch)
    monkeypatch.setattr(batches, "MAX_BATCH_FRAMES", 3)        # batches cut every 3 records
    _same(path, monkeypatch)


def test_bad_arguments():
    ts, cap, orig = np.empty(1, np.int64), np.empty(1, np.int64), np.empty(1, np.int64)
    with pytest.raises(ValueError):
        compiled(b"\x00" * 20, np.array([8], dtype=np.int64).tobytes(), False, 1000, ts, cap, orig)
    with pytest.raises(ValueError):
        compiled(b"\x00" * 20, np.array([0, 0], dtype=np.int64).tobytes(), False, 1000, ts, cap, orig)
