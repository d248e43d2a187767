"""Run one fuzz target under atheris (coverage-guided, libFuzzer's engine), or replay inputs through it.

    python -m fuzz.run TARGET [--seconds N] [--corpus DIR] [--artifacts DIR] [-- LIBFUZZER_FLAGS...]
    python -m fuzz.run TARGET --replay FILE_OR_DIR...

From the repository root. The run starts from the target's seeds (:mod:`fuzz.seeds`) plus the inputs already in
``--corpus`` (new interesting inputs are added there; a temporary folder when not given), stops after
``--seconds``, and exits 0 when the invariant held. A failure (any exception but the documented ones, an input
that runs longer than ``--timeout`` seconds, the process past ``--rss-mb`` MB) prints the traceback, writes the
input to ``--artifacts`` as ``crash-...``/``timeout-...``/``oom-...`` and exits non-zero.

The last line printed is a summary for the suite and the reports: ``fuzz TARGET: N inputs in S s, coverage C
edges (F features), corpus K``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# Per target: the longest input libFuzzer makes (whole captures need room) and the modules it reaches, all
# imported under instrumentation before the first input.
MAX_LEN = {"decode": 4096, "capture": 65536, "pipeline": 32768, "timeline": 32768, "explain": 4096, "filter": 2048,
           "tls": 32768, "keylog": 4096}
COMMAND_MODULES = ("read", "conversations", "follow", "flow", "http", "dns", "export_objects", "timeline", "har",
                   "report", "nat", "logs")
SKIP = ("analyzer.lab", "analyzer.demo", "analyzer.live", "analyzer.cli")


def _import_instrumented() -> None:
    import importlib
    import pkgutil

    import atheris

    with atheris.instrument_imports(include=["analyzer"]):
        import analyzer

        for info in pkgutil.walk_packages(analyzer.__path__, "analyzer."):
            if not info.name.startswith(SKIP) and info.name != "analyzer.__main__":
                importlib.import_module(info.name)
        importlib.import_module("analyzer.cli.main")
        for name in COMMAND_MODULES:
            importlib.import_module(f"analyzer.cli.{name}")


def fuzz(target: str, seconds: int, corpus: Path | None, artifacts: Path, timeout: int, rss_mb: int,
         extra: list[str], work: Path) -> None:
    import atheris

    _import_instrumented()
    from fuzz.seeds import write_seeds
    from fuzz.targets import TARGETS

    fn = TARGETS[target]
    seed_dir = work / "seeds"
    write_seeds(target, seed_dir)
    corpus = corpus or work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    flags = [f"-timeout={timeout}", f"-rss_limit_mb={rss_mb}", f"-max_len={MAX_LEN[target]}",
             f"-artifact_prefix={artifacts}/", "-print_final_stats=1", *extra]
    if not any(not e.startswith("-") for e in extra):      # inputs given (e.g. -minimize_crash=1 FILE): as is
        flags = [f"-max_total_time={seconds}", *flags, str(corpus), str(seed_dir)]
    atheris.Setup([sys.argv[0], *flags], fn)
    atheris.Fuzz()


def replay(target: str, paths: list[Path]) -> int:
    """Run each input once (no atheris needed); the number that failed."""
    from fuzz.targets import TARGETS

    fn = TARGETS[target]
    failed = 0
    files = [p for path in paths for p in (sorted(path.iterdir()) if path.is_dir() else [path]) if p.is_file()]
    for path in files:
        try:
            fn(path.read_bytes())
        except Exception as exc:       # noqa: BLE001 - every failure is reported, then counted
            failed += 1
            print(f"{path}: {type(exc).__name__}: {exc}", file=sys.stderr)
    print(f"replayed {len(files)} input(s) through {target}: {failed} failed")
    return failed


_DONE = re.compile(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)")
_STAT_RUNS = re.compile(r"stat::number_of_executed_units: (\d+)")


def summary(target: str, log: str, seconds: float) -> str:
    """The summary line from libFuzzer's output: inputs run, coverage (edges, features), corpus size."""
    done = _DONE.findall(log)
    runs = _STAT_RUNS.findall(log)
    if done:
        n, cov, ft, corp = done[-1]
    else:
        n, cov, ft, corp = (runs[-1] if runs else "?"), "?", "?", "?"
    return (f"fuzz {target}: {runs[-1] if runs else n} inputs in {seconds:.0f} s, coverage {cov} edges "
            f"({ft} features), corpus {corp}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("target")
    parser.add_argument("--seconds", type=int, default=60, help="how long to fuzz (default 60)")
    parser.add_argument("--corpus", type=Path, default=None, help="a folder that keeps the inputs found")
    parser.add_argument("--artifacts", type=Path, default=Path("fuzz-artifacts"),
                        help="where failing inputs are written (default ./fuzz-artifacts)")
    parser.add_argument("--timeout", type=int, default=30, help="seconds one input may take (default 30)")
    parser.add_argument("--rss-mb", type=int, default=3072, help="memory bound of the process (default 3072)")
    parser.add_argument("--replay", nargs="+", type=Path, default=None, help="run these inputs once and stop")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, default=None, help=argparse.SUPPRESS)
    args, extra = parser.parse_known_args(argv)
    extra = [e for e in extra if e != "--"]
    sys.path.insert(0, str(REPO))
    # (fuzz.targets imports the analyzer: not before the child has imported it under instrumentation)
    if args.target not in MAX_LEN:
        parser.error(f"unknown target {args.target!r} (targets: {', '.join(MAX_LEN)})")
    if args.replay is not None:
        return 1 if replay(args.target, args.replay) else 0
    if args.child:
        fuzz(args.target, args.seconds, args.corpus, args.artifacts, args.timeout, args.rss_mb, extra,
             args.workdir)
        return 0
    # The fuzzer runs in a child so that its output can be read for the summary line, whatever ends it, and
    # so that its scratch files are removed here (libFuzzer leaves without running Python's exit handlers).
    started = time.monotonic()
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    work = Path(tempfile.mkdtemp(prefix=f"analyzer-fuzz-{args.target}-", dir=shm))
    # (--child first: anything after a "--" in the arguments is libFuzzer's)
    cmd = [sys.executable, "-m", "fuzz.run", "--child", "--workdir", str(work),
           *(argv if argv is not None else sys.argv[1:])]
    env = dict(os.environ, PYTHONPATH=str(REPO), ANALYZER_FUZZ_SCRATCH=str(work / "scratch"))
    try:
        proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              errors="replace", env=env, check=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log = proc.stdout
    if proc.returncode != 0:
        sys.stdout.write(log[-20000:])
    print(summary(args.target, log, time.monotonic() - started))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
