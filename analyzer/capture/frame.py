"""One captured frame as it comes out of a capture source: integer-nanosecond time, lengths, link type, bytes.

Everything downstream (decoders, flows, reports) starts from this value; no stage needs the file again.
"""

from __future__ import annotations


class Frame:
    """A captured frame. ``number`` is 1-based in capture order, as Wireshark numbers frames; ``iface`` is
    the interface id, None where the format has no interfaces (classic pcap), as tshark shows it;
    ``iface_name`` the interface's name (pcapng ``if_name``; for several captures read as one, see
    :mod:`analyzer.capture.merge`), None when it has none; ``comments`` the packet's pcapng comments
    (opt_comment: tshark's frame.comment), None without any."""

    __slots__ = ("caplen", "comments", "data", "iface", "iface_name", "linktype", "number", "origlen", "ts_ns")

    def __init__(self, number: int, ts_ns: int, origlen: int, iface: int | None, linktype: int, data: bytes,
                 iface_name: str | None = None, comments: tuple[str, ...] | None = None):
        self.number = number
        self.ts_ns = ts_ns
        self.caplen = len(data)
        self.origlen = origlen
        self.iface = iface
        self.linktype = linktype
        self.data = data
        self.iface_name = iface_name
        self.comments = comments

    @property
    def truncated(self) -> bool:
        """True when the capture kept fewer bytes than were on the wire (snaplen)."""
        return self.caplen < self.origlen

    def __repr__(self) -> str:
        return (f"Frame(number={self.number}, ts_ns={self.ts_ns}, caplen={self.caplen}, "
                f"origlen={self.origlen}, iface={self.iface}, linktype={self.linktype})")
