"""What the parallel path costs in CPU, without a cluster: one process's pass against ``run_parallel`` with
``workers=1`` (every task in this process, no transfer), each engine task timed by ``time.process_time()``.

    python benchmarks/bench_parallel_split.py                         # 60k frames, 2 chunks, tx and count
    python benchmarks/bench_parallel_split.py --sizes 250000 --chunks 4 --kinds tx

``tx`` is the pass of ``dns``/``http``/``logs`` (connections, DNS, HTTP, files, TLS), ``count`` that of
``conversations``. Both runs' rows are compared (every table). Run it twice and pair the lines: the machine's
load moves single numbers.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time

from common import parse_sizes, synthetic_capture

TASKS = ("census", "analyse_unit", "stitch", "merge", "positions", "_cross")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_parallel_split", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[60_000])
    parser.add_argument("--chunks", type=int, default=2)
    parser.add_argument("--kinds", default="tx,count")
    args = parser.parse_args(argv)
    import analyzer
    from analyzer.logs import engine

    spent: dict[str, float] = {}

    def timed(name, fn):
        @functools.wraps(fn)
        def run(*a, **k):
            t = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - t
        return run

    for name in TASKS:
        if hasattr(engine, name):       # (an older engine has other task names)
            setattr(engine, name, timed(name, getattr(engine, name)))
    for n in args.sizes:
        path = str(synthetic_capture(n))
        size = os.path.getsize(path)
        for kind in args.kinds.split(","):
            spent.clear()
            t = time.process_time()
            cap = analyzer.open(path)
            one = cap.analyze() if kind == "tx" else cap.count()
            single = time.process_time() - t
            t = time.process_time()
            par = engine.run_parallel([path], kind, workers=1, chunk_size=size // args.chunks + 1)
            parallel = time.process_time() - t
            tables = ("connections", "udp", "icmp", "dns", "http", "files", "tls") if kind == "tx" else \
                ("connections", "udp")
            same = all(getattr(one, name) == getattr(par, name) for name in tables)
            print(f"{n} frames {kind:<5} one process {single:6.2f} s CPU   parallel path ({args.chunks} chunks) "
                  f"{parallel:6.2f} s CPU = {parallel / single:.2f}x   "
                  + "  ".join(f"{k} {v:.2f}" for k, v in spent.items())
                  + f"   load {os.getloadavg()[0]:.1f}   ({'same rows' if same else 'ROWS DIFFER'})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
