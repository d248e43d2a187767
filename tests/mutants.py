"""Damaged copies of a shipped capture for differential tests: each frame gets up to three bytes of its IP and
TCP/UDP headers (and options) changed, from a fixed seed, so lying lengths, odd header lengths, flags, options,
ports and addresses reach every fast path that reads headers without the decoder."""

from __future__ import annotations

import random
from pathlib import Path

from capture_builders import pcap_file

from analyzer.capture import open_capture

REPO = Path(__file__).resolve().parents[1]


def mutated_pcaps(name: str, out: Path, rounds: int = 4) -> list[Path]:
    """``rounds`` pcap files in ``out``, each a differently damaged copy of the Ethernet frames of
    captures/``name``."""
    with open_capture(REPO / "captures" / name) as reader:
        frames = [(f.ts_ns, f.data) for f in reader if f.linktype == 1]
    assert frames, name
    rng = random.Random(name)
    paths = []
    for round_ in range(rounds):
        records = []
        for ts, data in frames:
            data = bytearray(data)
            for _ in range(rng.randint(0, 3)):
                at = rng.randrange(14, min(len(data), 14 + 40 + 40 + 20))   # IP header, TCP header, options
                data[at] = rng.randrange(256) if rng.random() < 0.7 else data[at] ^ (1 << rng.randrange(8))
            records.append((ts // 10**9, ts % 10**9 // 1000, bytes(data)))
        path = out / f"{Path(name).stem}_mutant{round_}.pcap"
        path.write_bytes(pcap_file(records))
        paths.append(path)
    return paths
