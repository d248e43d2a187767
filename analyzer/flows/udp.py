"""UDP conversations: packets and bytes each way, first and last time, ``udp.stream`` numbers.

A conversation is all datagrams between two (address, port) endpoints, numbered in order of first
appearance as Wireshark numbers ``udp.stream``. The originator is the first sender, unless that sender is
on a server-looking port and the receiver is not (a capture that starts with a reply). Zeek's summary for
UDP: ``SF`` when both sides sent, ``S0`` when only the originator did, ``SHR`` when only the responder did;
history ``D``/``d`` for data from the originator/responder.

Wireshark never ends a UDP conversation: a datagram on the same endpoints any time later carries on the old
one (same ``udp.stream``). So the table keeps every conversation to the end of the file, but one idle for
:data:`COMPACT_IDLE_NS` of packet time is kept compact (:class:`CompactConversation`: its counters packed in
one bytes object, one index key instead of the flow table's two), about a third of a live one's memory; a
later datagram on its endpoints makes it a live :class:`UdpConversation` again with every value it had.
Lossless either way: the rows and stream numbers are the same whenever it happens (issue 12).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

from analyzer.flows.table import FlowTable

# A conversation idle this long (packet time) is kept compact; the table looks for such every COMPACT_SWEEP_NS.
COMPACT_IDLE_NS = 60_000_000_000
COMPACT_SWEEP_NS = 15_000_000_000

# stream, first/last time, first/last frame, packets, frame bytes and payload bytes each way, guessed
_PACKED = struct.Struct("<qqqqqqqqqqq?")


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


class CompactConversation:
    """An idle :class:`UdpConversation` kept compact: the endpoints, and every counter packed in one bytes object.
    Reads like the conversation it stands for (its attributes and :meth:`summary`); :meth:`live` makes it
    one again."""

    __slots__ = ("orig_h", "orig_p", "packed", "resp_h", "resp_p")

    def __init__(self, conv: UdpConversation):
        self.orig_h, self.orig_p, self.resp_h, self.resp_p = conv.orig_h, conv.orig_p, conv.resp_h, conv.resp_p
        self.packed = _PACKED.pack(conv.stream, conv.first_ts, conv.last_ts, conv.first_frame, conv.last_frame,
                                   conv.orig_pkts, conv.resp_pkts, conv.orig_frame_bytes, conv.resp_frame_bytes,
                                   conv.orig_payload, conv.resp_payload, conv.orig_guessed)

    def live(self) -> UdpConversation:
        """The conversation this stands for, with every value it had."""
        (stream, first_ts, last_ts, first_frame, last_frame, o_pkts, r_pkts, o_fb, r_fb, o_pl, r_pl,
         guessed) = _PACKED.unpack(self.packed)
        conv = UdpConversation(stream, (self.orig_h, self.orig_p), (self.resp_h, self.resp_p), first_ts,
                               first_frame, guessed)
        conv.last_ts, conv.last_frame = last_ts, last_frame
        conv.orig_pkts, conv.resp_pkts = o_pkts, r_pkts
        conv.orig_frame_bytes, conv.resp_frame_bytes = o_fb, r_fb
        conv.orig_payload, conv.resp_payload = o_pl, r_pl
        return conv

    def __getattr__(self, name: str) -> Any:
        # every other attribute (stream, first_ts, pkts, ...) and summary() read from the live form
        return getattr(self.live(), name)


def _addr(a: Any) -> str:
    if isinstance(a, bytes):
        import ipaddress
        return str(ipaddress.ip_address(a))
    return str(a)


class UdpTable:
    """All UDP conversations of a capture (small per-conversation state: kept until the end)."""

    def __init__(self) -> None:
        self.flows = FlowTable()
        # in stream order; an idle one as its CompactConversation
        self.conversations: list[UdpConversation | CompactConversation] = []
        # the compact ones by (orig_h, orig_p, resp_h, resp_p); the flow table has only the live ones
        self.compact: dict[tuple, CompactConversation] = {}
        self._compact_at = -(1 << 63) - 1  # packet time of the next look for idle conversations
        self.prev_ts = 0                    # the last datagram's conversation's time before it (datagram())

    def datagram(self, ts: int, num: int, src: Any, sport: int, dst: Any, dport: int, payload_len: int,
                 frame_len: int, count: bool = True) -> tuple[UdpConversation, int]:
        """Count one datagram; return its conversation and direction (0 from the originator).

        ``count=False`` only finds or numbers the conversation (a datagram quoted in an ICMP error)."""
        if ts >= self._compact_at:
            self._compact_idle(ts)
        key = (src, sport, dst, dport)
        hit = self.flows.lookup(key)
        if hit is None and self.compact:
            hit = self._revive(key)
        if hit is None:
            flip = _service_rank(sport) > _service_rank(dport)
            orig, resp = ((dst, dport), (src, sport)) if flip else ((src, sport), (dst, dport))
            conv = UdpConversation(len(self.conversations), orig, resp, ts, num, flip)
            self.conversations.append(conv)
            d = 1 if flip else 0
            self.flows.add(key, conv, d)
        else:
            conv, d = hit
        # the conversation's previous time (tshark's udp.time_delta is this datagram's time minus it)
        self.prev_ts = conv.last_ts
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

    def _revive(self, key: tuple) -> tuple[UdpConversation, int] | None:
        """A compact conversation on ``key``'s endpoints made live again (back in the flow table): its hit."""
        src, sport, dst, dport = key
        compact = self.compact.pop(key, None)
        if compact is None:
            compact = self.compact.pop((dst, dport, src, sport), None)
            if compact is None:
                return None
        conv = compact.live()
        self.conversations[conv.stream] = conv
        self.flows.add((conv.orig_h, conv.orig_p, conv.resp_h, conv.resp_p), conv, 0)
        return self.flows.lookup(key)

    def _compact_idle(self, now: int) -> None:
        """Keep compact each live conversation idle for COMPACT_IDLE_NS (none when ``conversations`` is not a
        list: a subclass that forgets them itself)."""
        if self.conversations.__class__ is not list:
            self._compact_at = 1 << 64
            return
        self._compact_at = now + COMPACT_SWEEP_NS
        before = now - COMPACT_IDLE_NS
        flows, convs, compact = self.flows, self.conversations, self.compact
        for conv in flows.idle_entries(before):
            key = (conv.orig_h, conv.orig_p, conv.resp_h, conv.resp_p)
            flows.remove(key, conv)
            small = CompactConversation(conv)
            convs[conv.stream] = small
            compact[key] = small

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
        self.compact = {}
        for i, conv in enumerate(convs):
            convs[i] = None
            yield conv.summary()
