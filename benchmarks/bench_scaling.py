"""Does a command stay linear in the file, with memory bounded by open connections? Each command runs on two
synthetic files of different sizes (the same traffic, cut at N frames); printed: CPU seconds and peak RSS of
each, CPU per frame at each size and its growth (1.00: linear; 2.00: twice the work per frame on the bigger
file, i.e. quadratic-looking), and the RSS growth in MiB and bytes per frame.

    nice -n 10 python benchmarks/bench_scaling.py                          # 50k and 200k frames
    nice -n 10 python benchmarks/bench_scaling.py --sizes 100000,1000000 --only conversations,http
    nice -n 10 python benchmarks/bench_scaling.py --sizes 100000,1000000 --only read,read-Y,dns   # issue 12's memory
    python benchmarks/bench_scaling.py --markdown

A benchmark, never run by the tests (issue 12: http, dns, timeline, har, report, logs linear in the file).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile

from common import (
    BenchError,
    count_frames,
    measure,
    parse_sizes,
    require_analyzer,
    synthetic_capture,
    warm_cache,
)

COMMANDS = {
    "read": ["read", "{f}"],
    "read-Y": ["read", "-Y", "tcp.port == 80 and tcp.len > 0", "{f}"],
    "conversations": ["conversations", "{f}"],
    "http": ["http", "--json", "{f}"],
    "dns": ["dns", "--json", "{f}"],
    "timeline": ["timeline", "--json", "{f}"],
    "har": ["har", "-o", "-", "{f}"],
    "report": ["report", "-o", "-", "{f}"],
    "logs": ["logs", "--format", "jsonl", "-j", "1", "-o", "{out}", "{f}"],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_scaling", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[50_000, 200_000])
    parser.add_argument("--only", help="comma-separated: " + ",".join(COMMANDS))
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    small, big = sorted(args.sizes)[:1] + sorted(args.sizes)[-1:]
    rows = []
    try:
        analyzer = require_analyzer("read")
        files = {n: synthetic_capture(n) for n in (small, big)}
        frames = {n: count_frames(p) for n, p in files.items()}
        for name, argv_ in COMMANDS.items():
            if args.only and name not in args.only.split(","):
                continue
            probe = subprocess.run([*analyzer, argv_[0], "--help"], capture_output=True, check=False)
            if probe.returncode != 0:
                print(f"{name}: not available ({' '.join(analyzer)} {argv_[0]} --help failed); skipped",
                      file=sys.stderr)
                continue
            runs = {}
            try:
                for n, path in files.items():
                    warm_cache(path)
                    with tempfile.TemporaryDirectory() as out:
                        cmd = [*analyzer, *(a.replace("{f}", str(path)).replace("{out}", out) for a in argv_)]
                        print(f"{name} {n:,}: {shlex.join(cmd[1:])}", file=sys.stderr)
                        runs[n] = measure(name, cmd, frames[n])
            except BenchError as exc:       # one command failing does not lose the others' numbers
                print(f"bench_scaling: {exc}", file=sys.stderr)
                continue
            rows.append((name, runs))
    except BenchError as exc:
        print(f"bench_scaling: {exc}", file=sys.stderr)
        return 2
    print(f"\n{'command':<14} {'CPU s ' + format(small, ','):>16} {'CPU s ' + format(big, ','):>16} "
          f"{'us/frame':>9} {'us/frame':>9} {'growth':>7} {'RSS MiB':>8} {'RSS MiB':>8} {'B/frame':>8}")
    for name, runs in rows:
        a, b = runs[small], runs[big]
        pa, pb = a.cpu_seconds / frames[small] * 1e6, b.cpu_seconds / frames[big] * 1e6
        grow = (b.max_rss_kib - a.max_rss_kib) * 1024 / (frames[big] - frames[small])
        print(f"{name:<14} {a.cpu_seconds:>16.2f} {b.cpu_seconds:>16.2f} {pa:>9.1f} {pb:>9.1f} {pb / pa:>7.2f} "
              f"{a.rss_mib:>8.1f} {b.rss_mib:>8.1f} {grow:>8.0f}")
    if args.markdown:
        print(f"\n| command | CPU s at {small:,} / {big:,} frames | µs per frame | growth (1.00 = linear) | "
              f"peak RSS MiB | RSS growth, bytes/frame |")
        print("|---|--:|--:|--:|--:|--:|")
        for name, runs in rows:
            a, b = runs[small], runs[big]
            pa, pb = a.cpu_seconds / frames[small] * 1e6, b.cpu_seconds / frames[big] * 1e6
            grow = (b.max_rss_kib - a.max_rss_kib) * 1024 / (frames[big] - frames[small])
            print(f"| `analyzer {shlex.join(COMMANDS[name]).replace('{f}', 'FILE').replace('{out}', 'DIR')}` | {a.cpu_seconds:.2f} / "
                  f"{b.cpu_seconds:.2f} | {pa:.1f} / {pb:.1f} | {pb / pa:.2f} | {a.rss_mib:.0f} / {b.rss_mib:.0f} | "
                  f"{grow:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
