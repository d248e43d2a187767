"""UDP conversations: packets and bytes each way, first and last time, ``udp.stream`` numbers.

A conversation is all datagrams between two (address, port) endpoints, numbered in order of first
appearance as Wireshark numbers ``udp.stream``. The originator is the first sender, unless that sender is
on a server-looking port and the receiver is not (a capture that starts with a reply). Zeek's summary for
UDP: ``SF`` when both sides sent, ``S0`` when only the originator did, ``SHR`` when only the responder did;
history ``D``/``d`` for data from the originator/responder.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from analyzer.flows.table import FlowTable


def _seconds(ns: int) -> str:
    return f"{'-' if ns < 0 else ''}{abs(ns) // 1_000_000_000}.{abs(ns) % 1_000_000_000:09d}"


def _service_rank(port: int) -> int:
    return 2 if port < 1024 else (1 if port < 49152 else 0)


class UdpConversation:
    """One conversation: flat counters per direction (no per-conversation lists or tuples: the table lives
    for the whole file, ~150 bytes per conversation instead of ~500)."""

    __slots__ = (
        "first_frame",
        "first_ts",
        "last_frame",
        "last_ts",
        "orig_frame_bytes",
        "orig_guessed",
        "orig_h",
        "orig_p",
        "orig_payload",
        "orig_pkts",
        "resp_frame_bytes",
        "resp_h",
        "resp_p",
        "resp_payload",
        "resp_pkts",
        "stream",
    )

    def __init__(self, stream: int, orig: tuple, resp: tuple, ts: int, frame: int, guessed: bool):
        self.stream = stream
        self.orig_h, self.orig_p = orig
        self.resp_h, self.resp_p = resp
        self.orig_pkts = self.resp_pkts = 0
        self.orig_frame_bytes = self.resp_frame_bytes = 0
        self.orig_payload = self.resp_payload = 0
        self.first_ts = ts
        self.last_ts = ts
        self.first_frame = frame
        self.last_frame = frame
        self.orig_guessed = guessed

    # the endpoints and per-direction counters as pairs (index 0: from the originator)
    @property
    def orig(self) -> tuple:
        return (self.orig_h, self.orig_p)

    @property
    def resp(self) -> tuple:
        return (self.resp_h, self.resp_p)

    @property
    def pkts(self) -> list[int]:
        return [self.orig_pkts, self.resp_pkts]

    @property
    def frame_bytes(self) -> list[int]:
        return [self.orig_frame_bytes, self.resp_frame_bytes]

    @property
    def payload_bytes(self) -> list[int]:
        return [self.orig_payload, self.resp_payload]

    def summary(self) -> dict[str, Any]:
        o, r = self.orig_pkts, self.resp_pkts
        state = "SF" if o and r else ("S0" if o else ("SHR" if r else "OTH"))
        return {
            "proto": "udp", "stream": self.stream, "ts": _seconds(self.first_ts),
            "id.orig_h": _addr(self.orig_h), "id.orig_p": self.orig_p,
            "id.resp_h": _addr(self.resp_h), "id.resp_p": self.resp_p,
            "conn_state": state, "history": ("D" if o else "") + ("d" if r else ""),
            "orig_pkts": o, "resp_pkts": r,
            "orig_bytes": self.orig_payload, "resp_bytes": self.resp_payload,
            "orig_frame_bytes": self.orig_frame_bytes, "resp_frame_bytes": self.resp_frame_bytes,
            "duration": _seconds(self.last_ts - self.first_ts), "irtt": None, "closed_by": None,
            "time_wait": None, "orig_guessed": self.orig_guessed,
            "first_frame": self.first_frame, "last_frame": self.last_frame,
            "first_ts_ns": self.first_ts, "last_ts_ns": self.last_ts,
        }


def _addr(a: Any) -> str:
    if isinstance(a, bytes):
        import ipaddress
        return str(ipaddress.ip_address(a))
    return str(a)


class UdpTable:
    """All UDP conversations of a capture (small per-conversation state: kept until the end)."""

    def __init__(self) -> None:
        self.flows = FlowTable()
        self.conversations: list[UdpConversation] = []

    def datagram(self, ts: int, num: int, src: Any, sport: int, dst: Any, dport: int, payload_len: int,
                 frame_len: int, count: bool = True) -> tuple[UdpConversation, int]:
        """Count one datagram; return its conversation and direction (0 from the originator).

        ``count=False`` only finds or numbers the conversation (a datagram quoted in an ICMP error)."""
        key = (src, sport, dst, dport)
        hit = self.flows.lookup(key)
        if hit is None:
            flip = _service_rank(sport) > _service_rank(dport)
            orig, resp = ((dst, dport), (src, sport)) if flip else ((src, sport), (dst, dport))
            conv = UdpConversation(len(self.conversations), orig, resp, ts, num, flip)
            self.conversations.append(conv)
            d = 1 if flip else 0
            self.flows.add(key, conv, d)
        else:
            conv, d = hit
        if not count:
            return conv, d
        if d:
            conv.resp_pkts += 1
            conv.resp_frame_bytes += frame_len
            conv.resp_payload += payload_len
        else:
            conv.orig_pkts += 1
            conv.orig_frame_bytes += frame_len
            conv.orig_payload += payload_len
        conv.last_ts = ts
        conv.last_frame = num
        return conv, d

    def summaries(self, release: bool = False) -> list[dict[str, Any]]:
        """Summary rows in stream order; ``release``: forget each conversation once its row is made (a last
        call, to save memory: the table is emptied)."""
        if not release:
            return [c.summary() for c in self.conversations]
        return list(self.release_summaries())

    def release_summaries(self) -> Iterator[dict[str, Any]]:
        """Summary rows in stream order, one at a time, each conversation forgotten as its row is made and
        the flow index dropped first: a caller that stores each row elsewhere (a spill file) never holds the
        table and all its rows at once. A last call: the table is emptied."""
        convs = self.conversations
        self.conversations = []
        self.flows = FlowTable()
        for i, conv in enumerate(convs):
            convs[i] = None
            yield conv.summary()
