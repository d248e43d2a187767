"""The benchmarks' synthetic web traffic (benchmarks/gen_synthetic.py) for the tests that compare two code
paths on it: one way to reach the generator, which lives outside the package and the tests."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def generate(path: Path, packets: int, **options) -> None:
    """Write ``packets`` frames of synthetic web traffic to ``path`` (``gen_synthetic.generate``'s options)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import gen_synthetic
    finally:
        sys.path.remove(str(BENCHMARKS))
    gen_synthetic.generate(path, packets, **options)
