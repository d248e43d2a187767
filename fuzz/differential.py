"""The compiled helper against the pure-Python code, on any inputs (a fuzz corpus, captures): each input through the
commands whose output the compiled functions of analyzer/columnar/_speedups.c write or feed (``read``'s text
lines and header tuples, ``-Y`` on the header columns, ``conversations``' whole rule and table lines, the
record walks of both capture formats), once in a process with the helper and once with ANALYZER_PURE_PYTHON=1;
the exit codes and outputs must be the same (a difference is a bug in one of them).

    python -m fuzz.differential fuzz/corpus/pipeline captures [--show N]

Each side runs every input in one process (in-process through click, as :mod:`fuzz.targets` runs commands), so
a corpus of thousands of inputs takes minutes, not hours. Exits 1 when any output differs, and prints which.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

COMMANDS = (
    ("read", "{in}"),
    ("read", "{in}", "-Y", "tcp.port == 80 or udp.port == 53 or ip.ttl < 64"),
    ("read", "{in}", "-Y", "tcp"),
    ("read", "{in}", "-T", "fields", "-e", "frame.number", "-e", "ip.src", "-e", "tcp.srcport", "-e", "udp.length"),
    ("conversations", "{in}"),
    ("conversations", "{in}", "--json"),
    ("conversations", "{in}", "-Y", "tcp.port in {{80 443}} or udp.port == 53"),
)


def _files(paths: list[Path]) -> list[Path]:
    out = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix != ".md"))
        elif path.is_file():
            out.append(path)
    return out


class _Kept(io.BytesIO):
    """The output's bytes, kept when a command (or the wrapper's collection) closes its stream."""

    def close(self) -> None:
        pass


def _run(args: list[str]) -> tuple[str, str]:
    """``analyzer ARGS`` in-process: its ending (exit code or exception name) and a digest of its stdout."""
    import click

    from fuzz.targets import command

    buf = _Kept()
    out, err = sys.stdout, sys.stderr
    sys.stdout = io.TextIOWrapper(buf, encoding="utf-8", errors="strict", write_through=True)
    sys.stderr = io.StringIO()
    try:
        try:
            command(args[0]).main(args[1:], prog_name=f"analyzer {args[0]}", standalone_mode=False)
            ending = "0"
        except SystemExit as exc:
            ending = str(exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1))
        except click.exceptions.UsageError:
            ending = "2"
        except Exception as exc:     # noqa: BLE001 - an exception is an ending to compare (and a fuzz failure)
            ending = f"{type(exc).__name__}: {exc}"[:300]
        with contextlib.suppress(Exception):
            sys.stdout.flush()
    finally:
        sys.stdout, sys.stderr = out, err
    return ending, hashlib.sha1(buf.getvalue()).hexdigest()


def child(files: list[Path]) -> None:
    for path in files:
        for args in COMMANDS:
            ending, digest = _run([a.format(**{"in": str(path)}) for a in args])
            print(json.dumps([str(path), " ".join(args).replace("{in}", "F"), ending, digest]), flush=True)


def side(files: list[Path], pure: bool) -> dict[tuple[str, str], tuple[str, str]]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("ANALYZER_PURE_PYTHON", None)
    if pure:
        env["ANALYZER_PURE_PYTHON"] = "1"
    proc = subprocess.run([sys.executable, "-m", "fuzz.differential", "--child", *map(str, files)], cwd=REPO,
                          env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-5000:])
    results = {}
    for line in proc.stdout.splitlines():
        path, cmd, ending, digest = json.loads(line)
        results[path, cmd] = ending, digest
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.differential", description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--show", type=int, default=20, help="differences printed (default 20)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    files = _files(args.paths)
    if args.child:
        child(files)
        return 0
    compiled, pure = side(files, False), side(files, True)
    differ = sorted(k for k in compiled.keys() | pure.keys() if compiled.get(k) != pure.get(k))
    crashed = sorted(k for k, v in compiled.items() if v[0] not in ("0", "1", "2"))
    for key in differ[:args.show]:
        print(f"differs: {key[0]}: {key[1]}: compiled {compiled.get(key)} pure {pure.get(key)}")
    for key in crashed[:args.show]:
        print(f"crashed: {key[0]}: {key[1]}: {compiled[key][0]}")
    print(f"differential: {len(files)} input(s), {len(COMMANDS)} commands, {len(compiled)}/{len(pure)} runs, "
          f"{len(differ)} different, {len(crashed)} crashed")
    return 1 if differ or crashed or len(compiled) != len(files) * len(COMMANDS) else 0


if __name__ == "__main__":
    sys.exit(main())
