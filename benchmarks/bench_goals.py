"""Every speed goal of issue 12 in one run: each analyzer command against its tshark counterpart on the same
file, both as child processes, stdout to /dev/null, CPU time from os.wait4 (see common.py).

    nice -n 10 python benchmarks/bench_goals.py --sizes 1000000                  # all goals, 1M frames
    nice -n 10 python benchmarks/bench_goals.py --sizes 250000 --only read,json  # some of them
    nice -n 10 python benchmarks/bench_goals.py --sizes 1000000 --only conversations --repeat 3  # best of 3
    python benchmarks/bench_goals.py --file captures/lab_page_fetch.pcapng

Printed per goal: both tools' wall and CPU seconds and peak RSS, the ratio tshark/analyzer by CPU time and
by wall time (above 1: the analyzer is faster) and the goal's target ratio; ``--markdown`` adds the rows of
the table in benchmarks/README.md. A benchmark, never run by the tests.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from common import (
    BenchError,
    count_frames,
    measure,
    parse_sizes,
    require_analyzer,
    require_tshark,
    synthetic_capture,
    warm_cache,
)

FIELDS = ["frame.number", "frame.time_epoch", "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "tcp.len"]
FILTER = "tcp.port == 80 and tcp.len > 0"
# A filter on one host, as a user looking at one client types it (10.0.0.58 is a client of the seed-1 synthetic
# capture): read -Y leaves out every conversation it rules out from the addresses.
HOST_FILTER = "ip.addr == 10.0.0.58"


def goals(analyzer: list[str], tshark: str, path: Path) -> dict[str, tuple[list[str], list[str], float]]:
    """name -> (analyzer argv, tshark argv, target speed-up: tshark CPU / analyzer CPU)."""
    p = str(path)
    e = [a for f in FIELDS for a in ("-e", f)]
    return {
        "conversations": ([*analyzer, "conversations", p], [tshark, "-n", "-r", p, "-q", "-z", "conv,tcp"], 5.0),
        "read": ([*analyzer, "read", p], [tshark, "-n", "-r", p], 1.0),
        "filter": ([*analyzer, "read", "-Y", FILTER, p], [tshark, "-n", "-r", p, "-Y", FILTER], 2.0),
        "filter-host": ([*analyzer, "read", "-Y", HOST_FILTER, p], [tshark, "-n", "-r", p, "-Y", HOST_FILTER], 2.0),
        "startup": ([*analyzer, "read", "-c", "1", p], [tshark, "-n", "-r", p, "-c", "1"], 1.0),
        "fields": ([*analyzer, "read", "-T", "fields", *e, p], [tshark, "-n", "-r", p, "-T", "fields", *e], 3.0),
        "json": ([*analyzer, "read", "--json", p], [tshark, "-n", "-r", p, "-T", "ek"], 5.0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_goals", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[1_000_000])
    parser.add_argument("--file", type=Path, action="append")
    parser.add_argument("--only", help="comma-separated goals: conversations,read,filter,filter-host,startup,"
                                       "fields,json")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each pair N times (alternating) and keep each tool's run with the least CPU")
    args = parser.parse_args(argv)
    rows = []
    try:
        tshark = require_tshark()
        analyzer = require_analyzer("read")
        files = args.file or [synthetic_capture(n) for n in args.sizes]
        for path in files:
            packets = count_frames(path)
            warm_cache(path)
            for name, (ours, theirs, target) in goals(analyzer, tshark, path).items():
                if args.only and name not in args.only.split(","):
                    continue
                print(f"{name}: {' '.join(ours[1:])}", file=sys.stderr)
                a = t = None
                for _ in range(max(args.repeat, 1)):
                    ra = measure("analyzer", ours, packets)
                    rt = measure("tshark", theirs, packets)
                    a = ra if a is None or ra.cpu_seconds < a.cpu_seconds else a
                    t = rt if t is None or rt.cpu_seconds < t.cpu_seconds else t
                rows.append((name, packets, a, t, target, ours, theirs))
    except BenchError as exc:
        print(f"bench_goals: {exc}", file=sys.stderr)
        return 2
    print(f"\n{'goal':<14} {'packets':>9} {'ours CPU s':>10} {'tshark CPU s':>12} {'ours MiB':>9} "
          f"{'tshark MiB':>10} {'x CPU':>6} {'x wall':>6} {'target':>6}")
    for name, packets, a, t, target, _o, _t in rows:
        print(f"{name:<14} {packets:>9,} {a.cpu_seconds:>10.2f} {t.cpu_seconds:>12.2f} {a.rss_mib:>9.1f} "
              f"{t.rss_mib:>10.1f} {t.cpu_seconds / a.cpu_seconds:>6.2f} {t.seconds / a.seconds:>6.2f} "
              f"{target:>6.1f}")
    if args.markdown:
        print("\n| goal | packets | analyzer CPU s (wall) | tshark CPU s (wall) | speed-up CPU (wall) | target | "
              "RSS MiB ours / tshark | commands |")
        print("|---|--:|--:|--:|--:|--:|--:|---|")
        for name, packets, a, t, target, ours, theirs in rows:
            cmd = shlex.join(["analyzer", *ours[len(analyzer):]]).replace(str(files[0]), "FILE")
            tcmd = shlex.join(["tshark", *theirs[1:]]).replace(str(files[0]), "FILE")
            print(f"| {name} | {packets:,} | {a.cpu_seconds:.2f} ({a.seconds:.2f}) | {t.cpu_seconds:.2f} "
                  f"({t.seconds:.2f}) | {t.cpu_seconds / a.cpu_seconds:.2f} ({t.seconds / a.seconds:.2f}) | "
                  f"{target:.0f}x | {a.rss_mib:.0f} / {t.rss_mib:.0f} | `{cmd}` vs `{tcmd}` |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
