"""Time `analyzer timeline FILE` against `analyzer conversations FILE` and tshark, in one run, on the same files.

    python benchmarks/bench_timeline.py                            # 100k and 1M packets, generated if missing
    python benchmarks/bench_timeline.py --sizes 100000,250000,500000,1000000 --repeat 3
    python benchmarks/bench_timeline.py --file captures/lab_page_fetch.pcapng

Each command runs as a child process with its output to /dev/null, on a warm page cache (benchmarks/common.py):
the timeline as text (what a user reads, fetches streamed out as they complete) and as --json, the analyzer's
`conversations`, and tshark's `-q -z conv,tcp` (the connection table) and `-q -z http,tree` (the HTTP pass a
timeline needs at the least). Printed per file: seconds, CPU seconds, microseconds of CPU per packet and peak
RSS of each; the timeline's CPU time as a ratio to `conversations` and to each tshark run; and, across the
sizes, whether the timeline's CPU time per packet stays flat and how its memory grows (peak RSS of `timeline` and
`timeline --json` as a ratio to `conversations`' in the same run, and from each size to the next: memory bounded by
the open connections levels off once the capture is longer than the longest hold, a few minutes of packet time;
the synthetic capture's 250k frames span 290 s, 1M frames 1,053 s).

Issue 10's goals: time per packet flat from 100k to 1M packets; on 1M packets within 2x of `conversations`;
memory bounded by the open connections. A benchmark, never run by the tests. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys
from itertools import pairwise
from pathlib import Path

from common import (
    BenchError,
    Run,
    count_frames,
    measure,
    parse_sizes,
    require_analyzer,
    require_tshark,
    synthetic_capture,
    warm_cache,
)

GOAL = ("timeline CPU time per packet flat from 100k to 1M packets; within 2x of `analyzer conversations` on 1M "
        "packets; memory bounded by open connections")


def commands(analyzer: list[str], tshark: str, path: Path, json_too: bool) -> dict[str, list[str]]:
    cmds = {"timeline": [*analyzer, "timeline", str(path)]}
    if json_too:
        cmds["timeline --json"] = [*analyzer, "timeline", "--json", str(path)]
    cmds["conversations"] = [*analyzer, "conversations", str(path)]
    cmds["tshark conv,tcp"] = [tshark, "-r", str(path), "-q", "-z", "conv,tcp"]
    cmds["tshark http,tree"] = [tshark, "-r", str(path), "-q", "-z", "http,tree"]
    return cmds


def report(runs: dict[Path, dict[str, Run]]) -> None:
    print(f"\n{'tool':<18} {'packets':>10} {'seconds':>9} {'CPU s':>8} {'µs CPU/packet':>14} {'peak RSS MiB':>13}")
    for by_tool in runs.values():
        for tool, r in by_tool.items():
            per = r.cpu_seconds / r.packets * 1e6 if r.packets else 0.0
            print(f"{tool:<18} {r.packets:>10,} {r.seconds:>9.2f} {r.cpu_seconds:>8.2f} {per:>14.2f} "
                  f"{r.rss_mib:>13.1f}")
    print()
    for path, by_tool in runs.items():
        t = by_tool.get("timeline")
        if t is None:
            continue
        parts = [f"{name} {t.cpu_seconds / other.cpu_seconds:.2f}x" for name, other in by_tool.items()
                 if name != "timeline" and other.cpu_seconds]
        print(f"{path.name} ({t.packets:,} packets): timeline CPU time = " + ", ".join(parts))
        conv = by_tool.get("conversations")
        if conv is not None and conv.max_rss_kib:
            mem = [f"{name} {r.rss_mib:.1f} MiB = {r.max_rss_kib / conv.max_rss_kib:.2f}x"
                   for name, r in by_tool.items() if name.startswith("timeline")]
            print(f"  peak RSS against conversations ({conv.rss_mib:.1f} MiB): " + ", ".join(mem))
    timelines = sorted((r for by in runs.values() for name, r in by.items() if name == "timeline"),
                       key=lambda r: r.packets)
    if len(timelines) > 1:
        small, big = timelines[0], timelines[-1]
        per_small = small.cpu_seconds / small.packets * 1e6
        per_big = big.cpu_seconds / big.packets * 1e6
        grow = big.max_rss_kib - small.max_rss_kib
        print(f"timeline CPU per packet: {per_small:.2f} µs at {small.packets:,}, {per_big:.2f} µs at "
              f"{big.packets:,} ({per_big / per_small:.2f}x); memory {grow / 1024:+.1f} MiB "
              f"({grow * 1024 / (big.packets - small.packets):+.1f} bytes per packet)")
    for name in ("timeline", "timeline --json"):
        series = sorted((r for by in runs.values() for tool, r in by.items() if tool == name), key=lambda r: r.packets)
        steps = [f"{b.packets:,}: {b.max_rss_kib / a.max_rss_kib:.2f}x" for a, b in pairwise(series)]
        if steps:
            print(f"{name} peak RSS, each size against the one before: " + ", ".join(steps))
    print(f"goal: {GOAL}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_timeline", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[100_000, 1_000_000],
                        help="comma-separated packet counts of synthetic files (default 100000,1000000)")
    parser.add_argument("--format", choices=("pcap", "pcapng"), default="pcap")
    parser.add_argument("--file", type=Path, action="append", help="benchmark this capture instead (repeatable)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per command; the one with least CPU is kept")
    parser.add_argument("--json", action="store_true", help="also time `timeline --json`")
    parser.add_argument("--no-tshark", action="store_true", help="leave tshark out")
    args = parser.parse_args(argv)
    runs: dict[Path, dict[str, Run]] = {}
    try:
        tshark = require_tshark()
        analyzer = require_analyzer("timeline")
        files = args.file or [synthetic_capture(n, args.format) for n in args.sizes]
        for path in files:
            packets = count_frames(path)
            warm_cache(path)
            runs[path] = {}
            for tool, argv_ in commands(analyzer, tshark, path, args.json).items():
                if args.no_tshark and tool.startswith("tshark"):
                    continue
                print(f"{tool}: {' '.join(argv_)}", file=sys.stderr)
                runs[path][tool] = min((measure(tool, argv_, packets) for _ in range(args.repeat)),
                                       key=lambda r: r.cpu_seconds)
    except BenchError as exc:
        print(f"bench_timeline: {exc}", file=sys.stderr)
        return 2
    report(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
