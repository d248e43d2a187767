"""What the benchmark scripts share: the synthetic files, the two commands, and one measured child run.

Each measured command runs as a child process with its output sent to /dev/null. Wall time is taken around
the child; peak memory is the child's own ``ru_maxrss`` from ``os.wait4`` (the number ``/usr/bin/time -v``
prints as "Maximum resident set size", read the same way). Before the runs the capture is read once so
both tools start from a warm page cache.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"

# The fields of issue 2's `analyzer read --json` contract, in its order; tshark prints the same ones.
READ_FIELDS = (
    "frame.number", "frame.time_epoch", "frame.len", "frame.cap_len", "eth.src", "eth.dst", "eth.type",
    "vlan.id", "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac", "arp.dst.proto_ipv4",
    "ip.version", "ip.hdr_len", "ip.len", "ip.id", "ip.flags.df", "ip.flags.mf", "ip.frag_offset", "ip.ttl",
    "ip.proto", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.hlim", "ipv6.plen",
    "icmp.type", "icmp.code", "udp.srcport", "udp.dstport", "udp.length", "tcp.srcport", "tcp.dstport",
    "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.len", "tcp.window_size_value", "tcp.options.mss_val",
    "tcp.options.wscale.shift", "dns.id", "dns.flags.response", "dns.flags.rcode", "dns.qry.name",
    "dns.qry.type", "dns.count.answers", "dns.a", "dns.aaaa", "dns.cname", "dns.mx.mail_exchange",
    "dns.ptr.domain_name",
)

DEFAULT_SIZES = (250_000, 1_000_000)


class BenchError(Exception):
    """A benchmark cannot run (a tool is missing, a command failed); the message says what to do."""


@dataclass
class Run:
    tool: str
    packets: int
    seconds: float
    max_rss_kib: int
    cpu_seconds: float = 0.0     # the child's user + system CPU time (robust when the machine is shared)

    @property
    def rate(self) -> float:
        return self.packets / self.seconds

    @property
    def cpu_rate(self) -> float:
        return self.packets / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def rss_mib(self) -> float:
        return self.max_rss_kib / 1024


def analyzer_command() -> list[str]:
    """``analyzer`` from PATH when installed, else ``python -m analyzer`` on this checkout."""
    exe = shutil.which("analyzer")
    return [exe] if exe else [sys.executable, "-m", "analyzer"]


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # Run the analyzer as an installed package runs: with its bytecode cached (pip compiles it on install).
    # Without this, PYTHONDONTWRITEBYTECODE=1 in the environment makes every run recompile every module.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def require_analyzer(subcommand: str) -> list[str]:
    """The analyzer command line, after checking that ``analyzer SUBCOMMAND`` exists."""
    cmd = analyzer_command()
    try:
        proc = subprocess.run([*cmd, subcommand, "--help"], capture_output=True, text=True, env=_child_env(),
                              timeout=120, check=False)
    except OSError as exc:
        raise BenchError(f"cannot run {' '.join(cmd)}: {exc}") from None
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise BenchError(f"`analyzer {subcommand}` is not available yet ({' '.join(cmd)} {subcommand} --help "
                         f"exited {proc.returncode}: {detail[-1] if detail else 'no output'})")
    return cmd


def require_tshark() -> str:
    exe = shutil.which("tshark")
    if not exe:
        raise BenchError("tshark is not installed (Debian: apt-get install -y tshark)")
    return exe


def synthetic_capture(packets: int, fmt: str = "pcap") -> Path:
    """benchmarks/out/synthetic_<packets>.<fmt>, generated (seed 1) when it is not there yet."""
    path = OUT / f"synthetic_{packets}.{fmt}"
    if not path.exists():
        print(f"generating {path.relative_to(REPO)} ...", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "gen_synthetic.py"), "--packets", str(packets),
                        "--format", fmt, "--out", str(path)], check=True, env=_child_env())
    return path


def count_frames(path: Path) -> int:
    """Frames in ``path``, counted by capinfos (shipped with tshark)."""
    proc = subprocess.run(["capinfos", "-M", "-T", "-r", "-c", str(path)], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise BenchError(f"capinfos could not count {path}: {proc.stderr.strip()}")
    return int(proc.stdout.split("\t")[-1])


def warm_cache(path: Path) -> None:
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def measure(tool: str, argv: list[str], packets: int) -> Run:
    """Run ``argv`` with stdout to /dev/null; its wall time and its own peak RSS."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                env=_child_env())
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-5:]
            raise BenchError(f"{tool} failed (exit {proc.returncode}): {' '.join(argv)}\n  "
                             + "\n  ".join(tail))
    # Linux: ru_maxrss is in KiB
    return Run(tool, packets, seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)


def report(title: str, runs: list[Run], goal: str) -> None:
    """Print a table per file size, the analyzer/tshark ratios and how memory grows with the file."""
    print(f"\n{title}")
    print(f"{'tool':<10} {'packets':>10} {'seconds':>9} {'packets/s':>11} {'CPU s':>8} {'packets/CPU s':>14} "
          f"{'peak RSS MiB':>13}")
    for r in runs:
        print(f"{r.tool:<10} {r.packets:>10,} {r.seconds:>9.2f} {r.rate:>11,.0f} {r.cpu_seconds:>8.2f} "
              f"{r.cpu_rate:>14,.0f} {r.rss_mib:>13.1f}")
    by_size: dict[int, dict[str, Run]] = {}
    for r in runs:
        by_size.setdefault(r.packets, {})[r.tool] = r
    for packets, pair in by_size.items():
        if {"analyzer", "tshark"} <= pair.keys():
            a, t = pair["analyzer"], pair["tshark"]
            cpu = f", {a.cpu_rate / t.cpu_rate:.2f}x by CPU time" if a.cpu_rate and t.cpu_rate else ""
            print(f"{packets:,} packets: analyzer is {a.rate / t.rate:.2f}x tshark's rate (wall time){cpu} "
                  f"and uses {a.max_rss_kib / t.max_rss_kib:.2f}x its memory")
    sizes = sorted(by_size)
    if len(sizes) > 1:
        small, big = sizes[0], sizes[-1]
        for tool in ("analyzer", "tshark"):
            if tool in by_size[small] and tool in by_size[big]:
                grow = by_size[big][tool].max_rss_kib - by_size[small][tool].max_rss_kib
                print(f"{tool} memory from {small:,} to {big:,} packets: {grow / 1024:+.1f} MiB "
                      f"({grow * 1024 / (big - small):+.1f} bytes per packet)")
    print(f"goal: {goal}")


def markdown(runs: list[Run]) -> str:
    """The runs as rows for the table in benchmarks/README.md."""
    rows = ["| tool | packets | seconds | packets/s | CPU seconds | packets/CPU s | peak RSS (MiB) |",
            "|---|--:|--:|--:|--:|--:|--:|"]
    rows += [f"| {r.tool} | {r.packets:,} | {r.seconds:.2f} | {r.rate:,.0f} | {r.cpu_seconds:.2f} | "
             f"{r.cpu_rate:,.0f} | {r.rss_mib:.1f} |" for r in runs]
    return "\n".join(rows)


def parse_sizes(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def bench_main(name: str, doc: str, subcommand: str, title: str, goal: str,
               commands: Callable[[list[str] | None, str, Path], dict[str, list[str]]],
               argv: list[str] | None = None) -> int:
    """The command line every benchmark shares: pick or generate the files, run each tool's command on each
    (``commands(analyzer, tshark, path)``), keep the run with least CPU per tool, print the report."""
    parser = argparse.ArgumentParser(prog=name, description=doc.splitlines()[0])
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
        analyzer = None if args.tshark_only else require_analyzer(subcommand)
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
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    report(title, runs, goal)
    if args.markdown:
        print("\n" + markdown(runs))
    return 0
