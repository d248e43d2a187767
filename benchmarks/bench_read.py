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

import sys
from pathlib import Path

from common import READ_FIELDS, bench_main

GOAL = "analyzer read --json >= 3x tshark -T fields packets/s; memory flat as the file grows"


def commands(analyzer: list[str] | None, tshark: str, path: Path) -> dict[str, list[str]]:
    cmds = {}
    if analyzer:
        cmds["analyzer"] = [*analyzer, "read", "--json", str(path)]
    cmds["tshark"] = [tshark, "-r", str(path), "-T", "fields", *[a for f in READ_FIELDS for a in ("-e", f)]]
    return cmds


def main(argv: list[str] | None = None) -> int:
    return bench_main("bench_read", __doc__, "read", "analyzer read --json vs tshark -T fields (same fields)", GOAL, commands, argv)


if __name__ == "__main__":
    sys.exit(main())
