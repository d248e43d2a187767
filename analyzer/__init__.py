"""analyzer: a packet capture and protocol analyzer.

Python API for notebooks::

    import analyzer
    for pkt in analyzer.packets("captures/page_fetch.pcapng"):
        print(pkt.frame.number, pkt.get("ip.src"), pkt.get("dns.qry.name"))
"""

__version__ = "0.1.0"


def open_capture(path):
    """Open a pcap, pcapng or gzip-compressed capture; iterate it for :class:`Frame` values."""
    from analyzer.capture import open_capture as _open

    return _open(path)


def packets(path):
    """Iterate the decoded packets of a capture file (fields by Wireshark names: ``pkt["ip.src"]``)."""
    from analyzer.decode import decode

    with open_capture(path) as reader:
        for frame in reader:
            yield decode(frame)
