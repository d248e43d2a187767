"""TCP: connections and their state, Wireshark's per-frame analysis, stream reassembly with sinks.

* :mod:`analyzer.tcp.state` — the state tables (per-side endpoint and RFC 793 states, Zeek's conn_state grid,
  history letter rules); every transition lives there.
* :mod:`analyzer.tcp.analysis` — ``tcp.analysis.*``, relative sequence numbers, window scaling (Wireshark 4.0's
  heuristics, with the documented SACK improvement).
* :mod:`analyzer.tcp.connection` — :class:`TcpTracker` (flow table, ``tcp.stream`` numbers, port reuse,
  handshake/teardown/TIME_WAIT/reset facts, summaries).
* :mod:`analyzer.tcp.reassembly` — per-direction reassembly and the sink interface.
* :mod:`analyzer.tcp.dns` — the first sink: DNS over TCP.
"""

from analyzer.tcp.connection import ORIG, RESP, Connection, Side, TcpTracker, summarize
from analyzer.tcp.reassembly import CollectingSink, Sink, SinkFactory, StreamReassembler

__all__ = ["ORIG", "RESP", "CollectingSink", "Connection", "Side", "Sink", "SinkFactory", "StreamReassembler",
           "TcpTracker", "summarize"]
