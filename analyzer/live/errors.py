"""What can stop a live capture before it starts, each as one line a user can act on.

The CLI prints ``str(error)`` on stderr and exits 2; nothing here prints.
"""

from __future__ import annotations


class LiveError(Exception):
    """A live capture cannot start or go on; ``str()`` is one line saying what to do."""


class NeedPrivilege(LiveError):
    """Opening a packet socket needs root or CAP_NET_RAW."""

    def __init__(self, iface: str, tool: str = "analyzer"):
        super().__init__(
            f"capturing on {iface} needs root or the CAP_NET_RAW capability: run it with sudo, or grant the "
            f"capability to the interpreter once (sudo setcap cap_net_raw,cap_net_admin+eip "
            f"\"$(readlink -f \"$(command -v python3)\")\")" if tool == "analyzer" else
            f"capturing on {iface} with {tool} needs root or the CAP_NET_RAW capability: run it with sudo, "
            f"or add yourself to the wireshark group (sudo usermod -aG wireshark \"$USER\", then log in again)")
        self.iface = iface


class UnknownInterface(LiveError):
    """No interface by that name; the message lists the ones there are."""

    def __init__(self, iface: str, available: list[str]):
        names = ", ".join(available) if available else "(none)"
        super().__init__(f"no interface named {iface!r}; interfaces: {names}")
        self.iface = iface
        self.available = available


class FilterUnavailable(LiveError):
    """A capture filter was asked for but nothing here can compile BPF: never capture unfiltered instead."""

    def __init__(self, expression: str, why: str = ""):
        reason = f" ({why})" if why else ""
        super().__init__(
            f"cannot apply the capture filter {expression!r}: compiling it needs libpcap{reason}; install it "
            f"(Debian: apt-get install libpcap0.8, or tcpdump, which brings it), or capture without -f")
        self.expression = expression


class BadFilter(LiveError):
    """libpcap rejected the filter expression (syntax, or not valid for the link type)."""

    def __init__(self, expression: str, why: str):
        super().__init__(f"bad capture filter {expression!r}: {why}")
        self.expression = expression


class BackendUnavailable(LiveError):
    """The capture backend asked for is not installed."""
