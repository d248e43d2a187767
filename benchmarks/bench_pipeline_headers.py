"""The per-frame analysis stage alone, in-process: ``Pipeline.feed`` (decode every frame) against
``Pipeline.feed_headers`` (header-only segments skip their decode; default and ``any_segment=True``), and the
timeline's collector (``analyzer.timeline.collect.Collector`` with a listener that keeps nothing), on the same
frames in the same run.

The frames are read into memory first; each mode runs ``--repeat`` times, the modes alternating, and the run
with the least CPU time (``time.process_time``) is kept; the cyclic garbage collector is off during the runs
(the commands pause it too). Every mode is printed as a ratio to ``feed`` measured in the same run: that ratio
is the number to read on a shared machine. No output is made (``read`` adds its Summary line on top).

    python benchmarks/bench_pipeline_headers.py --file benchmarks/out/synthetic_100000.pcap --repeat 3

``--modes analysis,analysis_headers`` adds the API's pass (``analyzer.api.build.Analysis.run``: what ``http``,
``dns``, ``logs`` run, records made at the end) with every frame decoded and on its header path.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyzer.apps.transactions import Transactions
from analyzer.capture import open_capture
from analyzer.pipeline import HeaderOnly, Pipeline


class _Null:
    """A timeline listener that keeps nothing (the collector's own cost)."""

    def connection(self, log) -> None: ...

    def lookup(self, trans) -> None: ...

    def neighbour(self, msg) -> None: ...

    def icmp(self, err) -> None: ...

    def finished(self, log) -> None: ...


def _run(mode: str, frames: list) -> tuple[float, int]:
    """CPU seconds of one mode over ``frames`` and the frames that came back without a packet."""
    skipped = 0
    if mode == "collector":
        from analyzer.timeline.collect import Collector

        collector = Collector(_Null())
        t = time.process_time()
        feed = collector.feed
        for frame in frames:
            feed(frame)
        collector.finish()
        return time.process_time() - t, 0
    if mode in ("analysis", "analysis_headers"):
        from analyzer.api.build import Analysis

        analysis = Analysis(headers=mode == "analysis_headers")
        t = time.process_time()
        analysis.run(frames)
        return time.process_time() - t, 0
    pipe = Pipeline(transactions=Transactions(keep=False), tracker_options={"keep_summaries": False})
    t = time.process_time()
    if mode == "feed":
        feed = pipe.feed
        for frame in frames:
            feed(frame)
    else:
        feed_headers = pipe.feed_headers
        wide = mode == "any_segment"
        for frame in frames:
            if feed_headers(frame, any_segment=wide).__class__ is HeaderOnly:
                skipped += 1
    pipe.finish()
    return time.process_time() - t, skipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, action="append", required=True, help="a capture (repeatable)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--modes", default="feed,headers,any_segment,collector")
    args = parser.parse_args()
    modes = args.modes.split(",")
    if "feed" not in modes:
        modes.insert(0, "feed")
    for path in args.file:
        with open_capture(path) as reader:
            frames = list(reader)
        n = len(frames)
        best: dict[str, float] = {}
        skipped: dict[str, int] = {}
        gc.disable()
        try:
            for _ in range(args.repeat):
                for mode in modes:
                    cpu, skipped[mode] = _run(mode, frames)
                    best[mode] = min(best.get(mode, cpu), cpu)
        finally:
            gc.enable()
        print(f"{path.name}: {n:,} frames, least CPU of {args.repeat}")
        for mode in modes:
            extra = f", {skipped[mode]:,} frames without a packet ({skipped[mode] / n:.0%})" \
                if mode in ("headers", "any_segment") else ""
            print(f"  {mode:12} {best[mode]:7.2f} s  {best[mode] / n * 1e6:6.1f} us/frame  "
                  f"{best[mode] / best['feed']:.3f}x feed{extra}")


if __name__ == "__main__":
    main()
