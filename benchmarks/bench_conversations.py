"""Time `analyzer conversations FILE` against `tshark -r FILE -q -z conv,tcp` on the same files.

    python benchmarks/bench_conversations.py                 # 250k and 1M packets, generated if missing
    python benchmarks/bench_conversations.py --sizes 1000000 --repeat 3
    python benchmarks/bench_conversations.py --tshark-only   # the baseline alone

For each file both commands run as child processes in one go, on a warm page cache, output to /dev/null.
Printed: packets/s of each, the ratio, the peak RSS of each, and how each one's memory changes from the
smallest file to the largest (issue 3's goal: 5x faster than tshark with a tenth of its memory, flat as the
file grows; at the least faster and smaller). A benchmark, never run by the tests. See benchmarks/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import bench_main

GOAL = ("analyzer conversations 5x tshark -z conv,tcp packets/s with 1/10 of its peak RSS, "
        "flat as the file grows")


def commands(analyzer: list[str] | None, tshark: str, path: Path) -> dict[str, list[str]]:
    cmds = {}
    if analyzer:
        cmds["analyzer"] = [*analyzer, "conversations", str(path)]
    cmds["tshark"] = [tshark, "-r", str(path), "-q", "-z", "conv,tcp"]
    return cmds


def main(argv: list[str] | None = None) -> int:
    return bench_main("bench_conversations", __doc__, "conversations", "analyzer conversations vs tshark -q -z conv,tcp", GOAL, commands, argv)


if __name__ == "__main__":
    sys.exit(main())
