"""Where `timeline --json`'s time goes, stage by stage, in one process (CPU seconds per stage).

    python benchmarks/bench_timeline_stages.py /work/bench-out/synthetic_100000.pcap
    python benchmarks/bench_timeline_stages.py --every 100000 --gc FILE      # progress lines, GC time

The run is what the CLI does (``Capture.stream_fetches``' loop: ``TimelineRun.feed`` per frame, then
``finishing``, each fetch written as ``fetch.json_text()``, the CLI's GC threshold), with process CPU
time summed per stage: ``collect`` (``Collector.feed``: decode, TCP tracking, reassembly, HTTP/DNS parsing,
the segment logs), ``close`` (``TimelineRun._close``: connection facts and grouping of a complete activity),
``resolve`` (``TimelineRun._resolve``: a kept-alive connection's facts), ``build`` (``build_fetch``), ``json``;
``other`` is the rest (reading frames, the run's checks). ``--gc``: the cyclic GC's collections per generation and their CPU
time (``gc.callbacks``), also counted inside the stages. A benchmark, never run by the tests.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # run from a checkout without installing

import analyzer
from analyzer.cli.timeline import TIMELINE_GC_YOUNGEST
from analyzer.report.safe import json_safe
from analyzer.timeline import TimelineRun
from analyzer.timeline import run as runmod


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_timeline_stages", description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--every", type=int, default=0, help="a progress line every N frames")
    parser.add_argument("--gc", action="store_true", help="time the cyclic GC's collections")
    parser.add_argument("--no-ladder", action="store_true", help="as timeline --json runs (no ladder rows)")
    args = parser.parse_args(argv)
    clock = time.process_time
    spent = {"collect": 0.0, "close": 0.0, "resolve": 0.0, "build": 0.0, "json": 0.0}

    def timed(stage, fn):
        def wrapper(*a, **k):
            t = clock()
            try:
                return fn(*a, **k)
            finally:
                spent[stage] += clock() - t
        return wrapper

    runmod.build_fetch = timed("build", runmod.build_fetch)
    TimelineRun._close = timed("close", TimelineRun._close)
    TimelineRun._resolve = timed("resolve", TimelineRun._resolve)
    collections = {0: [0, 0.0], 1: [0, 0.0], 2: [0, 0.0]}
    started = [0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = clock()
        else:
            c = collections[info["generation"]]
            c[0] += 1
            c[1] += clock() - started[0]

    if args.gc:
        gc.callbacks.append(on_gc)
    young, *older = gc.get_threshold()
    gc.set_threshold(max(young, TIMELINE_GC_YOUNGEST), *older)
    run = TimelineRun("en", ladder=not args.no_ladder)
    run.collector.feed = timed("collect", run.collector.feed)
    fetches = 0

    def write(out: list) -> None:
        nonlocal fetches
        for f in out:
            t = clock()
            json_safe(f.json_text())
            spent["json"] += clock() - t
            fetches += 1

    t0 = clock()
    with analyzer.open(args.file).open() as reader:
        feed = run.feed
        for n, frame in enumerate(reader, 1):
            write(feed(frame))
            if args.every and not n % args.every:
                print(f"{n:,} frames {clock() - t0:.1f} s", _shown(spent), flush=True)
        write(list(run.finishing()))
    total = clock() - t0
    shown = _shown(spent)
    print(f"total {total:.2f} s CPU, {fetches:,} fetches;", shown, f"other {total - sum(shown.values()):.2f}")
    if args.gc:
        print("gc (collections, CPU s) per generation:", {g: (c[0], round(c[1], 2)) for g, c in collections.items()})
    return 0


def _shown(spent: dict) -> dict:
    return {k: round(v, 2) for k, v in spent.items()}


if __name__ == "__main__":
    sys.exit(main())
