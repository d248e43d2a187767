"""The library API: ``analyzer.open(paths)`` and the typed tables it answers with.

See :mod:`analyzer.api.capture` (the :class:`Capture`), :mod:`analyzer.api.records` (the objects),
:mod:`analyzer.api.tables` (columns, Arrow and pandas) and :mod:`analyzer.api.packets` (packets as rows).
"""

__all__ = ["DEFAULT_FIELDS", "Analysis", "Capture", "Connection", "ConnectionTable", "DnsTable", "DnsTransaction",
           "FetchTable", "FileTable", "HttpFile", "HttpTable", "HttpTransaction", "MissingDependency", "Packets",
           "Results", "Table", "open"]

# name -> the module defining it, imported on first use (PEP 562): ``analyzer.open`` reaches
# analyzer.api.capture through this package, and a command that only counts connections never needs the
# analysis pass's modules (apps, HTTP/2, TLS) these names pull in
_WHERE = {"Analysis": "build", "Results": "build", "Capture": "capture", "open": "capture",
          "DEFAULT_FIELDS": "packets", "Packets": "packets", "Connection": "records", "DnsTransaction": "records",
          "HttpFile": "records", "HttpTransaction": "records", "ConnectionTable": "tables", "DnsTable": "tables",
          "FetchTable": "tables", "FileTable": "tables", "HttpTable": "tables", "MissingDependency": "tables",
          "Table": "tables"}


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'analyzer.api' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"analyzer.api.{module}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
