"""Complexity curves on adversarial inputs (issue 14): each case of fuzz/adversarial.py at growing sizes,
through the command it stresses, as a child process: wall and CPU time, CPU microseconds per packet (flat
when linear), the ratio of that to the smallest size's, and the child's peak RSS (with, for the
connection-heavy cases, the bytes per connection above the smallest run's).

    python benchmarks/bench_adversarial.py                       # every case, 4 sizes each (a few minutes)
    python benchmarks/bench_adversarial.py --case fragments --case same_uri --sizes 2500,5000,10000,20000
    python benchmarks/bench_adversarial.py --markdown            # rows for benchmarks/README.md

The unit test tests/test_complexity.py checks the same shapes at two small sizes with generous slack.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from common import analyzer_command, measure

# case -> (default sizes, command; "{in}" the capture, "{out}" a scratch folder)
BENCH = {
    "same_uri": ((2500, 5000, 10000, 20000), ["export-objects", "{in}", "{out}/objects"]),
    "fragments": ((2500, 5000, 10000, 20000), ["conversations", "{in}"]),
    "half_open": ((25000, 50000, 100000, 200000), ["conversations", "{in}"]),
    "gaps": ((625, 1250, 2500, 5000), ["http", "{in}"]),
    "dns_same_id": ((2500, 5000, 10000, 20000), ["dns", "{in}"]),
    "pipelined": ((2500, 5000, 10000, 20000), ["http", "{in}"]),
    "tiny_segments": ((2500, 5000, 10000, 20000), ["http", "{in}"]),
    "dns_tiny_queries": ((25000, 50000, 100000, 200000), ["dns", "{in}"]),
    "dns_pointer_loops": ((2500, 5000, 10000, 20000), ["read", "-V", "{in}"]),
    "endless_headers": ((2500, 5000, 10000, 20000), ["http", "{in}"]),
    "huge_chunks": ((2500, 5000, 10000, 20000), ["export-objects", "{in}", "{out}/objects"]),
    "h2_continuation": ((2500, 5000, 10000, 20000), ["http", "{in}"]),
    "tls_big_records": ((250, 500, 1000, 2000), ["timeline", "{in}"]),
    "keepalive_requests": ((1000, 2000, 4000, 8000), ["timeline", "{in}"]),
}
CONNECTIONS = {"half_open": 1, "gaps": 1}       # connections per unit of n, for the bytes-per-connection column


def _generate(case: str, n: int, path: Path) -> int:
    """Write the capture in a child process (the number of packets): a child forked from a parent that held
    the frames would start with the parent's peak memory in its own ru_maxrss."""
    code = ("import sys; from fuzz.adversarial import CASES, pcap_bytes; f = CASES[sys.argv[1]](int(sys.argv[2])); "
            "open(sys.argv[3], 'wb').write(pcap_bytes(f)); print(len(f))")
    out = subprocess.run([sys.executable, "-c", code, case, str(n), str(path)], cwd=HERE.parent,
                         capture_output=True, text=True, check=True)
    return int(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", choices=list(BENCH), help="a case (default: all)")
    parser.add_argument("--sizes", help="comma-separated n for every case chosen (default: each case's own)")
    parser.add_argument("--markdown", action="store_true", help="print markdown table rows too")
    args = parser.parse_args()
    base = analyzer_command()
    rows = []
    scratch = Path(tempfile.mkdtemp(prefix="bench-adversarial-", dir="/dev/shm" if Path("/dev/shm").is_dir()
                                    else None))
    try:
        for case in args.case or list(BENCH):
            sizes, command = BENCH[case]
            if args.sizes:
                sizes = tuple(int(s) for s in args.sizes.split(","))
            first = None
            for n in sizes:
                capture = scratch / f"{case}_{n}.pcap"
                packets = _generate(case, n, capture)
                out = scratch / "out"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                argv = base + [a.format(**{"in": capture, "out": out}) for a in command]
                run = measure("analyzer", argv, packets)
                per = run.cpu_seconds / packets * 1e6
                first = first or (per, run.max_rss_kib, n)
                per_conn = ""
                if case in CONNECTIONS and n != first[2]:
                    per_conn = f"{(run.max_rss_kib - first[1]) * 1024 / ((n - first[2]) * CONNECTIONS[case]):.0f}"
                row = (case, command[0], n, packets, run.seconds, run.cpu_seconds, per, per / first[0],
                       run.max_rss_kib / 1024, per_conn)
                rows.append(row)
                print(f"{case:<12} {command[0]:<15} n={n:<7} {packets:>8} pkts  {run.seconds:7.2f} s  "
                      f"CPU {run.cpu_seconds:7.2f} s  {per:8.1f} us/pkt  x{per / first[0]:4.2f}  "
                      f"RSS {run.max_rss_kib / 1024:7.1f} MiB" + (f"  {per_conn} B/conn" if per_conn else ""),
                      flush=True)
                capture.unlink()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if args.markdown:
        print("\n| case | command | n | packets | wall s | CPU s | CPU us/packet | vs smallest | peak RSS MiB "
              "| B/connection |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r[0]} | {r[1]} | {r[2]:,} | {r[3]:,} | {r[4]:.2f} | {r[5]:.2f} | {r[6]:.1f} | "
                  f"{r[7]:.2f} | {r[8]:.1f} | {r[9]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
