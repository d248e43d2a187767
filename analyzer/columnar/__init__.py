"""The columnar core: captures read in batches into numpy columns of header fields, so that the aggregate
commands touch Python objects only where a connection's state can change.

* :mod:`analyzer.columnar.headers`: link-to-transport header columns of a batch of frames;
* :mod:`analyzer.columnar.tcp_batch`: the TCP tracker's fast path applied to runs of segments at once;
* :mod:`analyzer.columnar.count`: a pipeline's flow tables filled from the columns (``conversations``).

One semantics: everything here produces exactly what the per-packet path produces (tests/test_columnar_*).
"""

from analyzer.columnar.count import count

__all__ = ["count"]
