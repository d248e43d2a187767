"""The compiled helper (analyzer/columnar/_speedups.c) and the pure-Python code give the same output
(fuzz/differential.py): read's text lines, -Y on the header columns, -T fields and conversations, on the shipped
captures, the TLS fixtures, every capture fuzzing kept (fuzz/regressions) and the crafted seeds (fuzz/seeds.py),
and on damaged copies of them (every byte of the first frames' headers, each frame cut). A difference between
the two is a bug in one of them; the damaged copies were where the compiled readers decide by hand what to
decline."""

from __future__ import annotations

import random
import struct
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.compiled import compiled
from fuzz import differential
from fuzz.adversarial import pcap_bytes
from fuzz.seeds import redirect_with_interim

pytestmark = pytest.mark.skipif(compiled("tcp_line") is None, reason="the compiled helper is not built")


def compare(paths: list[Path], capsys) -> None:
    code = differential.main([*map(str, paths), "--show", "20"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert " 0 different, 0 crashed" in out, out


def test_shipped_captures_and_fuzz_regressions_the_same_both_ways(capsys, tmp_path):
    crafted = tmp_path / "redirect_with_interim.pcap"
    crafted.write_bytes(pcap_bytes(redirect_with_interim()))
    compare([ROOT / "captures", ROOT / "tests" / "fixtures" / "tls", ROOT / "fuzz" / "regressions" / "pipeline",
             ROOT / "fuzz" / "regressions" / "timeline", crafted], capsys)


def _pcap(frames: list[tuple[int, bytes, int]], linktype: int) -> bytes:
    out = [struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, linktype)]
    for ts, data, orig in frames:
        out.append(struct.pack("<IIII", ts // 1_000_000_000, ts % 1_000_000_000, len(data), orig) + data)
    return b"".join(out)


def test_damaged_headers_the_same_both_ways(capsys, tmp_path):
    """Each of the first 60 bytes of a TCP, a UDP (DNS) and an IPv6 frame set to values that cross the readers'
    checks, and each frame cut at random lengths (origlen kept: a frame cut short by the snap length)."""
    from analyzer.capture import open_capture

    rng = random.Random(5)
    n = 0
    for name in ("lab_page_fetch.pcapng", "lab_dns_mix.pcapng", "lab_ipv6_page_fetch.pcapng"):
        with open_capture(ROOT / "captures" / name) as reader:
            frames = [(f.ts_ns, f.data, f.origlen, f.linktype) for f in reader][:12]
        linktype = frames[0][3]
        for at in range(60):
            for value in (0, 0xFF, rng.randrange(256)):
                which = rng.randrange(len(frames))
                out = []
                for i, (ts, data, orig, _lt) in enumerate(frames):
                    if i == which and at < len(data):
                        data = data[:at] + bytes([value]) + data[at + 1:]
                    out.append((ts, data, orig))
                (tmp_path / f"{name}-{at}-{value}").write_bytes(_pcap(out, linktype))
                n += 1
        for k in range(20):
            out = [(ts, data[:rng.randrange(len(data) + 1)] if rng.random() < 0.5 else data, orig)
                   for ts, data, orig, _lt in frames]
            (tmp_path / f"{name}-cut-{k}").write_bytes(_pcap(out, linktype))
            n += 1
    assert n > 500
    compare([tmp_path], capsys)
