"""Time `analyzer nat INSIDE OUTSIDE` against tshark reading the same two files, in one run, across sizes.

    python benchmarks/bench_nat.py                          # 2,000, 8,000 and 32,000 flows a side
    python benchmarks/bench_nat.py --flows 1000,100000 --repeat 3

The captures are crafted (tests/fixtures/nat/craft.py ``many``: short TCP connections one after another
through a random-port masquerade, a DNS query before every tenth; 8.2 frames per flow a side), written once
to a temporary folder. The peer is tshark printing, from each file, the fields the pairing needs
(`-T fields -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e tcp.seq_raw -e ip.ttl -e dns.id`): it
pairs nothing, so the ratio flatters tshark. Printed per size: CPU seconds, microseconds of CPU per frame,
peak RSS; the analyzer's CPU as a ratio to tshark's (both files); whether CPU per frame stays flat and memory
stays bounded (flows are closed and handed out as they end). A benchmark, never run by the tests.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from common import BenchError, measure, require_analyzer, require_tshark

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fixtures.nat import craft


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", default="2000,8000,32000", help="flow counts, comma-separated")
    ap.add_argument("--repeat", type=int, default=1, help="best CPU time of N runs")
    args = ap.parse_args()
    nat = require_analyzer("nat")
    tshark = require_tshark()
    fields = [x for f in ("ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", "tcp.seq_raw", "ip.ttl", "dns.id")
              for x in ("-e", f)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-nat-") as tmp:
        for n in (int(x) for x in args.flows.split(",")):
            folder = Path(tmp) / str(n)
            folder.mkdir()
            inside, outside = craft.many(folder, n)
            frames = n * 8 + (n + 9) // 10 * 2
            ours = min((measure("analyzer nat", [*nat, "nat", str(inside), str(outside)], 2 * frames)
                        for _ in range(args.repeat)), key=lambda r: r.cpu_seconds)
            peer_cpu, peer_rss = [], []
            for path in (inside, outside):
                best = min((measure("tshark", [tshark, "-r", str(path), "-T", "fields", *fields], frames)
                            for _ in range(args.repeat)), key=lambda r: r.cpu_seconds)
                peer_cpu.append(best.cpu_seconds)
                peer_rss.append(best.max_rss_kib)
            rows.append((n, 2 * frames, ours.cpu_seconds, ours.max_rss_kib, sum(peer_cpu), max(peer_rss)))
    print(f"{'flows':>8} {'frames':>9} {'nat CPU s':>10} {'µs/frame':>9} {'nat MiB':>8} "
          f"{'tshark CPU s':>13} {'tshark MiB':>11} {'nat/tshark':>11}")
    for n, frames, cpu, rss, tcpu, trss in rows:
        print(f"{n:>8,} {frames:>9,} {cpu:>10.2f} {cpu / frames * 1e6:>9.1f} {rss / 1024:>8.1f} "
              f"{tcpu:>13.2f} {trss / 1024:>11.1f} {cpu / tcpu:>11.2f}")
    per = [cpu / frames for _, frames, cpu, *_ in rows]
    if len(per) > 1:
        print(f"CPU per frame, largest over smallest size: {per[-1] / per[0]:.2f} (1.00 = linear); "
              f"peak RSS {rows[0][3] / 1024:.0f} -> {rows[-1][3] / 1024:.0f} MiB")


if __name__ == "__main__":
    try:
        main()
    except BenchError as exc:
        sys.exit(f"bench_nat: {exc}")
