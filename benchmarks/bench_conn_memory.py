"""Bytes of Python memory per open TCP connection that carried nothing but a SYN (issue 14: at most 1 KB),
measured with tracemalloc on the library's own stages, not through process RSS (which also counts the
interpreter, the allocator's free lists and the frames being read).

    python benchmarks/bench_conn_memory.py                    # 100,000 SYN-only connections, every path
    python benchmarks/bench_conn_memory.py --n 20000 --path count

Paths (each in a fresh pipeline, frames built beforehand and not counted):

* ``count``: ``Pipeline.count`` as ``analyzer conversations`` runs it (headers only, no per-frame fields);
* ``feed``: ``Pipeline.feed`` with the per-frame analysis (``read``, ``-Y``), no transactions;
* ``transactions``: ``Pipeline.feed`` with the HTTP/DNS transaction sinks (``http``, ``dns``);
* ``timeline``: :class:`analyzer.timeline.TimelineRun` fed frame by frame (``timeline``, ``har``, ``report``):
  the tracker's attempt, the collector's pending log and the run's entries for it.

The connections stay open (no idle timeout reached: the SYNs are 1 us apart), so what is measured is the
live per-connection state: an unanswered SYN's compact record (``analyzer.tcp.connection.Attempt``) and its
table entry, the addresses and numbers it holds, and the decoders' bounded caches filled on the way
(address and checksum texts, ``feed`` and ``transactions``); the HTTP/TLS/DNS sinks are made only at a
connection's first byte. The decoded packets are dropped as they are made. Each path runs in a fresh
interpreter.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def frames(n: int) -> list:
    from analyzer.capture.frame import Frame
    from fuzz.adversarial import half_open

    return [Frame(i + 1, ts, len(data), len(data), 1, data) for i, (ts, data) in enumerate(half_open(n))]


def pipeline(path: str):
    from analyzer.pipeline import Pipeline

    if path == "transactions":
        from analyzer.apps.transactions import Transactions

        return Pipeline(transactions=Transactions())
    return Pipeline()


def measure(path: str, n: int) -> tuple[int, int]:
    """(bytes per connection, connections open) for ``n`` SYN-only connections through ``path``."""
    fs = frames(n)
    run = None
    if path == "timeline":
        from analyzer.timeline import TimelineRun

        run = TimelineRun()
        pipe = run.collector.pipe
    else:
        pipe = pipeline(path)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    if path == "count":
        # Pipeline.count finishes the pipeline at the end: feed every frame but the ending
        pipe.finish = lambda: pipe
        pipe.count(fs)
    elif run is not None:
        feed = run.feed
        for frame in fs:
            feed(frame)
    else:
        feed = pipe.feed
        for frame in fs:
            feed(frame)
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    open_now = pipe.tcp.open_count()
    return used // max(open_now, 1), open_now


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="SYN-only connections (default 100,000)")
    parser.add_argument("--path", action="append", choices=("count", "feed", "transactions", "timeline"),
                        help="which path (default: all)")
    args = parser.parse_args()
    paths = args.path or ["count", "feed", "transactions", "timeline"]
    if len(paths) > 1:
        # each path in a fresh interpreter: the decoders' bounded caches (address texts, checksum texts) are
        # filled by the first run and would otherwise be counted for it alone
        for path in paths:
            subprocess.run([sys.executable, __file__, "--n", str(args.n), "--path", path], check=True)
        return 0
    per, open_now = measure(paths[0], args.n)
    print(f"{paths[0]:13s} {open_now:>8,} open connections  {per:>6,} bytes per connection", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
