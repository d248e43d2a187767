"""Time `analyzer read --json FILE > /dev/null` against `tshark -r FILE -T fields -e ...` (same fields).

    python benchmarks/bench_read.py                          # 250k and 1M packets, generated if missing
    python benchmarks/bench_read.py --sizes 1000000 --repeat 3
    python benchmarks/bench_read.py --file some.pcapng       # any capture
    python benchmarks/bench_read.py --tshark-only            # the baseline alone

For each file both commands run as child processes in one go, on a warm page cache, output to /dev/null.
Printed: packets/s of each, the ratio, the peak RSS of each, and how each one's memory changes from the
smallest file to the largest (issue 2's goal: at least 3x tshark's rate, memory flat as the file grows).
A benchmark, never run by the tests. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common import (
    DEFAULT_SIZES,
    READ_FIELDS,
    BenchError,
    Run,
    count_frames,
    markdown,
    measure,
    parse_sizes,
    report,
    require_analyzer,
    require_tshark,
    synthetic_capture,
    warm_cache,
)

GOAL = "analyzer read --json >= 3x tshark -T fields packets/s; memory flat as the file grows"


def commands(analyzer: list[str] | None, tshark: str, path: Path) -> dict[str, list[str]]:
    cmds = {}
    if analyzer:
        cmds["analyzer"] = [*analyzer, "read", "--json", str(path)]
    cmds["tshark"] = [tshark, "-r", str(path), "-T", "fields", *[a for f in READ_FIELDS for a in ("-e", f)]]
    return cmds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES),
                        help="comma-separated packet counts of synthetic files (default 250000,1000000)")
    parser.add_argument("--format", choices=("pcap", "pcapng"), default="pcap")
    parser.add_argument("--file", type=Path, action="append",
                        help="benchmark this capture instead (repeatable)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per command; the fastest is kept")
    parser.add_argument("--tshark-only", action="store_true",
                        help="measure tshark alone (no analyzer needed)")
    parser.add_argument("--markdown", action="store_true", help="also print the rows for the README table")
    args = parser.parse_args(argv)
    try:
        tshark = require_tshark()
        analyzer = None if args.tshark_only else require_analyzer("read")
        files = args.file or [synthetic_capture(n, args.format) for n in args.sizes]
        runs: list[Run] = []
        for path in files:
            packets = count_frames(path)
            warm_cache(path)
            for tool, argv_ in commands(analyzer, tshark, path).items():
                print(f"{tool}: {' '.join(argv_[:6])}{' ...' if len(argv_) > 6 else ''}", file=sys.stderr)
                runs.append(min((measure(tool, argv_, packets) for _ in range(args.repeat)),
                                key=lambda r: r.cpu_seconds))
    except BenchError as exc:
        print(f"bench_read: {exc}", file=sys.stderr)
        return 2
    report("analyzer read --json vs tshark -T fields (same fields)", runs, GOAL)
    if args.markdown:
        print("\n" + markdown(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
