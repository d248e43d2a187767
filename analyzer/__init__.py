"""analyzer: a packet capture and protocol analyzer.

The library API, for notebooks and scripts (see :mod:`analyzer.api`)::

    import analyzer
    cap = analyzer.open("captures/lab_page_fetch.pcapng")      # or several files, merged by time
    cap.dns.to_pandas()[["query", "qtype_name", "rtt"]]        # which names, how long each lookup took
    conns = cap.connections.to_pandas()                        # TCP connections, Zeek's conn.log columns
    for pkt in cap.packets():                                  # every packet, fields by Wireshark's names
        print(pkt.frame.number, pkt.get("ip.src"), pkt.get("dns.time"))

Every command of the ``analyzer`` program is built on this API.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["CaptureError", "CaptureWarning", "open", "open_capture", "packets"]


def open(paths, *, keylog=None, display_filter=None, on_warning=None, local_nets=None):
    """Open one capture or several, merged by time (a path, ``"-"``, a directory, a glob, or a list of
    them): an :class:`analyzer.api.Capture` whose ``packets()``, ``connections``, ``udp``, ``dns``, ``http``,
    ``files``, ``tls`` and ``fetches`` answer with typed tables (``.to_pandas()``, ``.to_arrow()``).
    ``local_nets``: Zeek's Site::local_nets for ``local_orig``/``local_resp`` (``"10.0.0.0/8,..."``).
    See :func:`analyzer.api.capture.open`."""
    from analyzer.api.capture import open as _open

    return _open(paths, keylog=keylog, display_filter=display_filter, on_warning=on_warning,
                 local_nets=local_nets)


def open_capture(path):
    """Open a pcap, pcapng or gzip-compressed capture; iterate it for :class:`Frame` values."""
    from analyzer.capture import open_capture as _open

    return _open(path)


def packets(paths):
    """Iterate the decoded packets of one capture or several (merged by time), with every field of the
    analysis chain (``tcp.stream``, ``tcp.analysis.*``, ``dns.time``, ``http.*``): ``pkt["ip.src"]``."""
    return iter(open(paths).packets())


def __getattr__(name: str):
    if name in ("CaptureError", "CaptureWarning"):
        from analyzer.capture import reader

        return getattr(reader, name)
    raise AttributeError(f"module 'analyzer' has no attribute {name!r}")
