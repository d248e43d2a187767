"""The library API: ``analyzer.open(paths)`` and the typed tables it answers with.

See :mod:`analyzer.api.capture` (the :class:`Capture`), :mod:`analyzer.api.records` (the objects),
:mod:`analyzer.api.tables` (columns, Arrow and pandas) and :mod:`analyzer.api.packets` (packets as rows).
"""

from analyzer.api.build import Analysis, Results
from analyzer.api.capture import Capture, open
from analyzer.api.packets import DEFAULT_FIELDS, Packets
from analyzer.api.records import Connection, DnsTransaction, HttpFile, HttpTransaction
from analyzer.api.tables import (
    ConnectionTable,
    DnsTable,
    FetchTable,
    FileTable,
    HttpTable,
    MissingDependency,
    Table,
)

__all__ = ["DEFAULT_FIELDS", "Analysis", "Capture", "Connection", "ConnectionTable", "DnsTable", "DnsTransaction",
           "FetchTable", "FileTable", "HttpFile", "HttpTable", "HttpTransaction", "MissingDependency", "Packets",
           "Results", "Table", "open"]
