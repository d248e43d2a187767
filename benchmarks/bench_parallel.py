"""The speed-up of ``-j N`` (Dask, a local cluster of N processes) over one process, on the same capture.

    python benchmarks/bench_parallel.py                     # 250k frames, -j 1 against -j 2
    python benchmarks/bench_parallel.py --sizes 1000000 --jobs 2 --repeat 2
    python benchmarks/bench_parallel.py --file day/         # a folder of rotated captures

For each command (``conversations``, ``dns --json``, ``http --json``, ``logs``) it runs ``-j 1`` and ``-j N``
with output to /dev/null (logs into a fresh folder), keeps the fastest of ``--repeat`` runs, checks that
both printed the same thing (``logs``: the same rows), and prints wall times, CPU seconds (the command and the
processes it started: Dask's scheduler, nannies and workers), the speed-up and the machine's load average
(1 min, after each run). The ``-j N`` time includes starting the local cluster (about 2-4 s). On a shared
machine the numbers move with its load: run it on an idle one.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import BenchError, _child_env, parse_sizes, require_analyzer, synthetic_capture, warm_cache

COMMANDS = (("conversations",), ("dns", "--json"), ("http", "--json"), ("logs",))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(argv: list[str], out_dir: str | None) -> tuple[float, str, float]:
    """Wall seconds of one run, a digest of what it produced (stdout, or the logs' rows), and the CPU seconds
    of the command and every process it started and waited for (the Dask scheduler, nannies and workers)."""
    cpu = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, env=_child_env(), check=False)
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.decode()[-400:]}")
    if out_dir is None:
        return seconds, hashlib.sha1(proc.stdout).hexdigest(), cpu
    from analyzer.logs.write import LOGS, read_logs

    digest = hashlib.sha1(repr([read_logs(out_dir, name) for name in LOGS]).encode()).hexdigest()
    return seconds, digest, cpu


def bench(cmd: list[str], target: list[str], jobs: int, repeat: int,
          only: tuple[str, ...] = ()) -> list[tuple[str, float, float]]:
    rows = []
    for command in COMMANDS:
        if only and command[0] not in only:
            continue
        best: dict[int, float] = {}
        cpus: dict[int, float] = {}
        digests: dict[int, str] = {}
        loads = []
        for j in (1, jobs):
            for _ in range(repeat):
                out_dir = tempfile.mkdtemp(prefix="bench-logs-") if command[0] == "logs" else None
                argv = [*cmd, *command, *target, "-j", str(j)] + (["-o", out_dir] if out_dir else [])
                try:
                    seconds, digest, cpu = run(argv, out_dir)
                finally:
                    if out_dir:
                        shutil.rmtree(out_dir, ignore_errors=True)
                loads.append(os.getloadavg()[0])
                if seconds < best.get(j, float("inf")):
                    best[j], cpus[j] = seconds, cpu
                digests[j] = digest
        same = "same output" if digests[1] == digests[jobs] else "OUTPUT DIFFERS"
        name = " ".join(command)
        rows.append((name, best[1], best[jobs]))
        print(f"{name:<20} -j 1 {best[1]:7.2f} s wall {cpus[1]:7.2f} s CPU   -j {jobs} {best[jobs]:7.2f} s wall "
              f"{cpus[jobs]:7.2f} s CPU   speed-up {best[1] / best[jobs]:.2f}x   CPU {cpus[jobs] / cpus[1]:.2f}x   "
              f"load {min(loads):.1f}-{max(loads):.1f}   ({same})", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_parallel", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[250_000])
    parser.add_argument("--format", choices=("pcap", "pcapng"), default="pcap")
    parser.add_argument("--file", action="append", help="a capture or folder of captures instead (repeatable)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--commands", default="conversations,dns,http,logs",
                        help="which of conversations, dns, http, logs to run (comma-separated)")
    args = parser.parse_args(argv)
    try:
        cmd = require_analyzer("logs")
        targets = [[f] for f in args.file] if args.file else [[str(synthetic_capture(n, args.format))]
                                                               for n in args.sizes]
        print(f"{os.cpu_count()} cores; -j 1 (one process) against -j {args.jobs} (local Dask cluster)")
        for target in targets:
            for t in target:
                if Path(t).is_file():
                    warm_cache(Path(t))
            print(f"\n{' '.join(target)}")
            bench(cmd, target, args.jobs, args.repeat, tuple(args.commands.split(",")))
    except BenchError as exc:
        print(f"bench_parallel: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
