"""Time per packet stays flat when an adversarial input grows 4x (issue 14).

Each case of fuzz/adversarial.py (many responses to one URI, one never-completed datagram of many fragments,
many half-open connections, many streams with gaps, many DNS transactions with one id, many pipelined
requests, many one-byte segments after a hole) runs through the command it stresses, in-process, at n and 4n.
The CPU time per packet at 4n may be at most twice the one at n: a linear command gives about 1, a quadratic
one about 4 (the quadratic cases found measured 3-5 at these sizes; one-byte segments 3.3 before the fix). No absolute times: benchmarks/bench_adversarial.py shows the whole
curve with timings and memory.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fuzz.adversarial import CASES, pcap_bytes
from fuzz.targets import run_command

SLACK = 2.0

# case[/command] -> (n, the command it stresses; "{in}" the capture, "{out}" a scratch folder)
RUNS = {
    "same_uri": (1000, ["export-objects", "{in}", "{out}/objects"]),
    "fragments": (1500, ["conversations", "{in}"]),
    "half_open": (1500, ["conversations", "{in}"]),
    "half_open/timeline": (2000, ["timeline", "--json", "{in}"]),   # 3.3 before the grouping index, 1.03 after
    "gaps": (150, ["http", "{in}"]),
    "dns_same_id": (750, ["dns", "{in}"]),
    "pipelined": (600, ["http", "{in}"]),
    "tiny_segments": (1500, ["http", "{in}"]),
}


def cpu_per_packet(case: str, n: int, tmp_path: Path) -> float:
    frames = CASES[case.partition("/")[0]](n)
    capture = tmp_path / f"{case.replace('/', '_')}_{n}.pcap"
    capture.write_bytes(pcap_bytes(frames))
    out = tmp_path / f"out_{n}"
    out.mkdir()
    argv = [a.format(**{"in": capture, "out": out}) for a in RUNS[case][1]]
    best = float("inf")
    # the better of two runs (a busy machine only ever adds time); one for export-objects, whose runs are long
    for _ in range(1 if case == "same_uri" else 2):
        for old in out.iterdir():
            for f in old.iterdir():
                f.unlink()
            old.rmdir()
        started = time.process_time()
        assert run_command(argv) == 0
        best = min(best, time.process_time() - started)
    return best / len(frames)


@pytest.fixture
def scratch(tmp_path):
    """In memory where /dev/shm exists: export-objects writes thousands of small files."""
    if Path("/dev/shm").is_dir():
        folder = Path(tempfile.mkdtemp(prefix="analyzer-complexity-", dir="/dev/shm"))
        yield folder
        shutil.rmtree(folder, ignore_errors=True)
    else:
        yield tmp_path


@pytest.mark.parametrize("case", list(RUNS))
def test_time_per_packet_is_flat_when_the_input_grows_4x(case, scratch):
    tmp_path = scratch
    n = RUNS[case][0]
    run_command([RUNS[case][1][0], "--help"])       # imports done before the clock starts
    small = cpu_per_packet(case, n, tmp_path)
    large = cpu_per_packet(case, 4 * n, tmp_path)
    assert large / small < SLACK, f"{case}: {small * 1e6:.1f} us/packet at n={n}, {large * 1e6:.1f} at {4 * n}"
