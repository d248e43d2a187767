"""The functions of the one compiled helper (analyzer/columnar/_speedups.c, built by setup.py where a C compiler
is present), looked up by name: None where it was not built, was built before that function existed, or the
environment sets ANALYZER_PURE_PYTHON; each caller then runs its Python/numpy code (the same results)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_NAME = "analyzer.columnar._speedups"


def compiled(name: str) -> Callable[..., Any] | None:
    if os.environ.get("ANALYZER_PURE_PYTHON"):
        return None
    module = sys.modules.get(_NAME)
    if module is None:
        try:
            module = _load()
        except ImportError:
            return None
    return getattr(module, name, None)


def _load() -> Any:
    """The helper module. While analyzer.columnar is not imported, it is loaded from its file as that import
    would load it (the same loader and name, registered in sys.modules, where a later import finds it) but
    without running analyzer/columnar/__init__.py, which imports numpy: read's text lines use the helper and
    never need numpy (tests/test_read_fast_quick.py); ~0.1 s of start-up."""
    if "analyzer.columnar" not in sys.modules:
        from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader
        from importlib.util import module_from_spec, spec_from_file_location

        folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "columnar")
        for suffix in EXTENSION_SUFFIXES:
            path = os.path.join(folder, "_speedups" + suffix)
            if os.path.isfile(path):
                loader = ExtensionFileLoader(_NAME, path)
                spec = spec_from_file_location(_NAME, path, loader=loader)
                if spec is None:
                    break
                module = module_from_spec(spec)
                loader.exec_module(module)
                sys.modules[_NAME] = module
                return module
    from analyzer.columnar import _speedups

    return _speedups
