"""The functions of the one compiled helper (analyzer/columnar/_speedups.c, built by setup.py where a C compiler
is present), looked up by name: None where it was not built, was built before that function existed, or the
environment sets ANALYZER_PURE_PYTHON; each caller then runs its Python/numpy code (the same results)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


def compiled(name: str) -> Callable[..., Any] | None:
    if os.environ.get("ANALYZER_PURE_PYTHON"):
        return None
    try:
        from analyzer.columnar import _speedups
    except ImportError:
        return None
    return getattr(_speedups, name, None)
