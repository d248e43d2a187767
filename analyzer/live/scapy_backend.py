"""Live capture through scapy's Linux packet socket, read the way libpcap reads it.

Theory of operation
-------------------
scapy opens the ``AF_PACKET`` socket (:class:`scapy.arch.linux.L2ListenSocket`): it compiles the capture
filter with libpcap and attaches it to the socket *before* binding it to the interface, so the kernel
filters from the first packet on; then it binds, turns on promiscuous mode and drains anything queued
before the filter. It also asks the kernel for nanosecond receive timestamps (``SO_TIMESTAMPNS``) and for
``PACKET_AUXDATA`` with every packet.

We then read the socket ourselves with ``recvmsg`` so that nothing is lost on the way:

- the timestamp comes as an integer ``struct timespec`` (scapy would hand a float);
- the sender address says which way the packet went (``sll_pkttype``). On a loopback interface every
  packet passes the socket twice, once leaving (``PACKET_OUTGOING``) and once arriving; libpcap drops the
  outgoing copy there (pcap-linux.c, ``pcap_read_packet``), and so do we. On other interfaces both
  directions are real and kept;
- ``PACKET_AUXDATA`` gives the packet's length on the wire (``tp_len``) and the VLAN tag the NIC took
  off, which is put back after the MAC addresses as libpcap does;
- ``PACKET_STATISTICS`` gives the kernel's drop count (reading resets it, so it is added up). It is read
  once when the socket is ready and that count dropped: scapy's socket was created listening to every
  interface with no filter and no buffer, so everything that passed before the filter was in place counts as
  a drop, traffic the capture never asked for ("17 dropped by the kernel" on a busy host, 0 captured).
"""

from __future__ import annotations

import errno
import logging
import select
import socket
import struct
import time

from analyzer.live.errors import BadFilter, FilterUnavailable, LiveError, NeedPrivilege, UnknownInterface
from analyzer.live.interfaces import LINKTYPE_ETHERNET, find_interface, interface_names

SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_STATISTICS = 6
PACKET_OUTGOING = 4
SCM_TIMESTAMPNS = 35
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6
_AUXDATA = struct.Struct("IIIHHHH")    # tp_status, tp_len, tp_snaplen, tp_mac, tp_net, tp_vlan_tci, tp_vlan_tpid
_TIMESPEC = struct.Struct("qq")
_STATS = struct.Struct("II")            # tp_packets, tp_drops
_ANC_SIZE = socket.CMSG_SPACE(_AUXDATA.size) + socket.CMSG_SPACE(_TIMESPEC.size) + 64
BATCH = 256
BUFFER_BYTES = 4 << 20       # libpcap's default is 2 MB; lo carries 64 KB GSO packets, so give it room
SO_RCVBUFFORCE = 33


class ScapySource:
    """Frames from one interface: :meth:`read` returns what arrived within a timeout (a small batch)."""

    backend = "scapy"

    def __init__(self, iface: str, bpf: str | None = None, snaplen: int = 262144, promisc: bool = True):
        info = find_interface(iface)
        if info is None:
            raise UnknownInterface(iface, interface_names())
        if info.linktype is None:
            raise LiveError(f"cannot capture on {iface}: its link type (ARPHRD {info.arphrd}) is not supported")
        self.iface = iface
        self.filter = bpf
        self.snaplen = snaplen
        self.linktype = info.linktype
        self.loopback = info.loopback
        self.received = 0          # packets handed out (after dropping loopback's outgoing copies)
        self.kernel_drops = 0
        self._sock = self._open(iface, bpf, promisc)
        self._raw: socket.socket = self._sock.ins
        self._raw.setblocking(False)
        self._grow_buffer(BUFFER_BYTES)
        self._closed = False
        # scapy's socket listened to every interface, unfiltered and with no buffer, from its creation until
        # the filter and the bind: the kernel counted what it dropped then (traffic this capture never asked
        # for) as drops. Reading the counters resets them; from here on a drop is a packet of this capture.
        self.poll_stats()
        self.kernel_drops = 0

    # -- opening ---------------------------------------------------------------------------------------
    @staticmethod
    def _open(iface: str, bpf: str | None, promisc: bool):
        try:
            from scapy.arch.linux import L2ListenSocket
            from scapy.error import Scapy_Exception
        except ImportError as exc:   # scapy missing, or not Linux
            raise LiveError(f"the scapy capture backend is not available ({exc}); install scapy "
                            f"(pip install scapy) or use --backend tshark") from None
        quiet = logging.getLogger("scapy.runtime")
        level = quiet.level
        quiet.setLevel(logging.ERROR)   # "Unable to guess type" for lo: we read raw bytes, not scapy layers
        try:
            return L2ListenSocket(iface=iface, filter=bpf or None, promisc=promisc)
        except PermissionError:
            raise NeedPrivilege(iface) from None
        except OSError as exc:
            if exc.errno in (errno.EPERM, errno.EACCES):
                raise NeedPrivilege(iface) from None
            if exc.errno in (errno.ENODEV, errno.ENXIO):
                raise UnknownInterface(iface, interface_names()) from None
            raise LiveError(f"cannot capture on {iface}: {exc.strerror or exc}") from None
        except ValueError as exc:   # scapy: "Interface 'x' not found !"
            raise UnknownInterface(iface, interface_names()) from exc
        except Scapy_Exception as exc:
            text = str(exc).removeprefix("Cannot set filter: ")
            if "libpcap is not available" in text or "pcap" in text and "not available" in text:
                raise FilterUnavailable(bpf or "", "libpcap was not found") from None
            why = text.rsplit("(", 1)[-1].rstrip(")") if "(" in text else text
            raise BadFilter(bpf or "", why) from None
        except ImportError as exc:
            raise FilterUnavailable(bpf or "", str(exc)) from None
        finally:
            quiet.setLevel(level)

    def _grow_buffer(self, size: int) -> None:
        """A receive buffer big enough for bursts (above rmem_max with SO_RCVBUFFORCE when allowed)."""
        for option in (SO_RCVBUFFORCE, socket.SO_RCVBUF):
            try:
                self._raw.setsockopt(socket.SOL_SOCKET, option, size)
                return
            except OSError:
                continue

    # -- reading ---------------------------------------------------------------------------------------
    def fileno(self) -> int:
        return self._raw.fileno()

    def read(self, timeout: float | None) -> list[tuple[int, int, int, bytes]]:
        """Wait up to ``timeout`` seconds for packets; return them as (ts_ns, origlen, linktype, data)."""
        if self._closed:
            return []
        if timeout is None or timeout > 0:
            try:
                ready, _, _ = select.select([self._raw], [], [], timeout)
            except InterruptedError:
                return []
            if not ready:
                return []
        return self.drain(BATCH)

    def drain(self, limit: int | None = None) -> list[tuple[int, int, int, bytes]]:
        """Every packet already queued on the socket (up to ``limit``), without waiting."""
        out: list[tuple[int, int, int, bytes]] = []
        recvmsg = self._raw.recvmsg
        bufsize = self.snaplen
        loopback = self.loopback
        while limit is None or len(out) < limit:
            try:
                data, ancdata, _flags, addr = recvmsg(bufsize, _ANC_SIZE)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                if exc.errno == errno.ENETDOWN:
                    raise LiveError(f"interface {self.iface} went down") from None
                raise
            if loopback and addr[2] == PACKET_OUTGOING:
                continue                # the same packet comes back as PACKET_HOST: keep that one
            ts_ns = 0
            origlen = len(data)
            for level, kind, value in ancdata:
                if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS and len(value) >= _TIMESPEC.size:
                    sec, nsec = _TIMESPEC.unpack_from(value)
                    ts_ns = sec * 1_000_000_000 + nsec
                elif level == SOL_PACKET and kind == PACKET_AUXDATA and len(value) >= _AUXDATA.size:
                    status, tp_len, _snap, _mac, _net, tci, tpid = _AUXDATA.unpack_from(value)
                    origlen = tp_len
                    if status & TP_STATUS_VLAN_VALID and self.linktype == LINKTYPE_ETHERNET and len(data) >= 12:
                        if not status & TP_STATUS_VLAN_TPID_VALID or not tpid:
                            tpid = 0x8100
                        data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
                        origlen += 4
            if not ts_ns:
                ts_ns = time.time_ns()
            out.append((ts_ns, max(origlen, len(data)), self.linktype, data))
        self.received += len(out)
        return out

    def poll_stats(self) -> None:
        """Add the kernel's counters since the last call (the getsockopt resets them)."""
        if self._closed:
            return
        try:
            raw = self._raw.getsockopt(SOL_PACKET, PACKET_STATISTICS, _STATS.size)
        except OSError:
            return
        _packets, drops = _STATS.unpack(raw)
        self.kernel_drops += drops

    def stop(self) -> None:
        """Nothing to stop: the socket is read until :meth:`close`."""

    def close(self) -> None:
        if self._closed:
            return
        self.poll_stats()
        self._closed = True
        try:
            self._sock.close()
        except OSError:
            pass
