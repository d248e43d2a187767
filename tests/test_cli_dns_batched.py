"""``analyzer dns`` writes a file's lines a batch at a time (:func:`analyzer.cli.dns.batched`), standard input's
one at a time: the same bytes either way, and the lines made before a failure are written before it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.cli.dns import BATCH_LINES, batched

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = ROOT / "captures" / "lab_dns_mix.pcapng"


@pytest.mark.parametrize("n", [0, 1, BATCH_LINES - 1, BATCH_LINES, BATCH_LINES + 1, 3 * BATCH_LINES + 5])
def test_the_same_text_in_batches(n):
    lines = [f"line {i} µ" for i in range(n)]
    chunks = list(batched(iter(lines)))
    assert "\n".join(chunks) == "\n".join(lines)
    assert [c.count("\n") + 1 for c in chunks] == [BATCH_LINES] * (n // BATCH_LINES) + (
        [n % BATCH_LINES] if n % BATCH_LINES else [])


def test_lines_before_a_failure_come_first():
    def lines():
        yield from ("a", "b", "c")
        raise ValueError("frame 4")

    got = batched(lines())
    assert next(got) == "a\nb\nc"
    with pytest.raises(ValueError, match="frame 4"):
        next(got)


@pytest.mark.skipif(not CAPTURE.exists(), reason=f"{CAPTURE.name} is not in captures/")
@pytest.mark.parametrize("args", [[], ["--json"]])
def test_a_file_and_standard_input_print_the_same(args):
    run = [sys.executable, "-m", "analyzer", "dns", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    from_file = subprocess.run([*run, str(CAPTURE)], capture_output=True, env=env, check=True).stdout
    from_stdin = subprocess.run([*run, "-"], input=CAPTURE.read_bytes(), capture_output=True, env=env,
                                check=True).stdout
    assert from_file == from_stdin
    assert from_file.count(b"\n") > 5
