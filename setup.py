"""Build step for the one compiled helper (analyzer/columnar/_speedups.c: the pcap/pcapng record walks, the
header columns of a batch, the conversations table's lines); everything else is in pyproject.toml.
``optional=True``: where no C compiler or Python headers are present the install goes on without it and the
pure-Python/numpy code is used (same results, slower; ANALYZER_PURE_PYTHON=1 forces it)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("analyzer.columnar._speedups", ["analyzer/columnar/_speedups.c"], optional=True)])
