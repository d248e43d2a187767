"""Live capture: packets from an interface as :class:`~analyzer.capture.Frame` values, as they arrive.

``LiveCapture(iface, bpf, backend="scapy"|"tshark", write=PATH, on_frame=fn)`` opens the interface
(scapy's packet socket by default; Wireshark's dumpcap with ``backend="tshark"``), applies the capture
filter in the kernel, and numbers, writes (flushed as it goes) and hands on each frame. Frames then go
through :class:`analyzer.pipeline.Pipeline` like frames read from a file. Everything a user can get wrong
(privilege, interface, filter, missing backend) raises :class:`LiveError` with a one-line message.
"""

from analyzer.live.errors import (
    BackendUnavailable,
    BadFilter,
    FilterUnavailable,
    LiveError,
    NeedPrivilege,
    UnknownInterface,
)
from analyzer.live.interfaces import Interface, list_interfaces
from analyzer.live.session import (
    BACKENDS,
    CaptureStats,
    LiveCapture,
    open_source,
    parse_autostop,
    stop_on_signals,
)

__all__ = ["BACKENDS", "BackendUnavailable", "BadFilter", "CaptureStats", "FilterUnavailable", "Interface",
           "LiveCapture", "LiveError", "NeedPrivilege", "UnknownInterface", "list_interfaces", "open_source",
           "parse_autostop", "stop_on_signals"]
