"""HttpTracker.open (OpenSinks): the set of open sinks and, in constant time, whether a connection still has one
(analyzer.api's retirement asked it by walking every open sink: quadratic in open connections, against issue 12's
"http linear")."""

from __future__ import annotations

from analyzer.apps.http.sink import OpenSinks


class _Conn:
    pass


class _Sink:
    def __init__(self, conn):
        self.conn = conn


def test_a_connection_has_a_sink_until_its_last_one_is_discarded():
    a, b = _Conn(), _Conn()
    http1, http2, other = _Sink(a), _Sink(a), _Sink(b)
    opened = OpenSinks()
    for s in (http1, http2, other, http1):          # adding one twice counts once
        opened.add(s)
    assert len(opened) == 3 and opened.has_conn(a) and opened.has_conn(b)
    opened.discard(http1)
    opened.discard(http1)                           # discarding one twice counts once
    assert opened.has_conn(a)
    opened.discard(http2)
    assert not opened.has_conn(a) and opened.has_conn(b)
    opened.discard(other)
    assert not opened and not opened.has_conn(b) and opened._conns == {}
