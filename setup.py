"""Build step for the one compiled helper (analyzer/columnar/_speedups.c, the pcap record walk); everything
else is in pyproject.toml. ``optional=True``: where no C compiler or Python headers are present the install
goes on without it and the pure-Python walk is used (same results, slower)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("analyzer.columnar._speedups", ["analyzer/columnar/_speedups.c"], optional=True)])
