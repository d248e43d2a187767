"""TCP connections: the tracker that owns the flow table, stream numbers, per-side state and the facts of
each connection's handshake and teardown.

Theory of operation
-------------------
:class:`TcpTracker` is sans-IO: :meth:`TcpTracker.segment` takes one segment as plain values (addresses,
ports, raw sequence numbers, flags, window, lengths, option bytes, captured payload) and returns the
:class:`Connection` and the direction (0: originator -> responder, 1: reverse); it fills ``out`` with the
fields Wireshark shows for the frame (``tcp.stream``, relative ``tcp.seq``/``tcp.ack``/``tcp.nxtseq``,
``tcp.analysis.*``; see :mod:`analyzer.tcp.analysis`).

* One table entry per direction (``(src, sport, dst, dport) -> (connection, direction)``), so a lookup is a
  single dict access and both directions reach the same connection.
* Stream numbers follow Wireshark: in order of first appearance; a SYN (without ACK) whose sequence number
  differs from the one its sender's side already has starts a new stream, flagged
  ``tcp.analysis.reused_ports`` (Wireshark 4.0 does this whether or not the old connection had closed:
  after a RST, after segments of a connection whose SYN was not captured, after an aborted attempt).
  Each such attempt is its own connection row, as Zeek logs repeated SYN->RST attempts (one REJ row each;
  Zeek's ``connection_reused`` event, https://docs.zeek.org/en/current/scripts/base/bif/event.bif.zeek.html).
  A SYN-ACK with a new sequence number keeps the stream (as Wireshark 4.0 does), is flagged
  ``reused_ports`` and restarts its side's relative numbers at its ISN.
* Originator: the sender of the SYN; the receiver of a SYN-ACK seen first (history starts with ``^``);
  otherwise a guess from the ports (the side on a well-known port, < 1024, or else on the lower port when
  only one is in the ephemeral range 49152-65535, is the responder), said in ``orig_guessed``.
* Per side: Zeek's endpoint state and the RFC 793 state, moved only by the tables of
  :mod:`analyzer.tcp.state`; counters; the SYN options; FIN and RST facts.
* Memory: a connection that has closed (both FINs acknowledged, or a RST) and stayed idle for
  ``closed_linger_ns`` of packet time, a half-open one (its originator's SYNs never answered) idle for
  ``half_open_timeout_ns``, or any connection idle for ``idle_timeout_ns``, is finished: its
  sink is closed and only the compact connection is kept for its summary row (nothing at all with
  ``keep_summaries=False``). :meth:`TcpTracker.finish` finishes the rest. A finished connection's 4-tuples
  are remembered for ``reuse_memory_ns`` of packet time (10 minutes), for ``tcp.analysis.reused_ports``
  (:class:`FinishedKeys`: bounded by capture time; where that departs from tshark is said there).
* Memory of what never got an answer: a lone SYN of a new 4-tuple is kept as an :class:`Attempt` (its
  values, no sides), replayed into its :class:`Connection` when anything more of it arrives or it is
  finished, so the result is the same as if it had been a connection all along (only when no
  ``sink_factory`` must see every connection as it starts). With ``finish_attempts`` (and no summaries
  kept: the timeline) an attempt still pending when finished is finished as itself, ``on_finish`` given the
  :class:`Attempt`, and :meth:`TcpTracker.finished_attempt` makes its connection when a reader wants it: the
  end of a SYN flood holds no connection per attempt. Sinks that only want bytes
  (``payload_sink_factory``: HTTP, TLS, DNS) are made at a connection's first byte, FIN, RST or gap
  (:class:`SinksDue`), not at its SYN. ``python benchmarks/bench_conn_memory.py`` measures the bytes per
  SYN-only connection.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from analyzer.compiled import compiled
from analyzer.flows.table import FlowTable
from analyzer.tcp import state as S
from analyzer.tcp.analysis import (
    A_REUSED_PORTS,
    ACK,
    FIN,
    RST,
    SYN,
    ConnAnalysis,
    SeqState,
    analyze,
    analyze_compiled,
    seconds,
    window_scaling_on_syn,
)
from analyzer.tcp.options import SynOptions, parse_syn_options, sack_blocks
from analyzer.tcp.options import walk as walk_options
from analyzer.tcp.reassembly import Deferred, ReassemblyBudget, StreamReassembler

M32 = 0xFFFFFFFF
HALF = 0x80000000
ORIG, RESP = 0, 1
LINUX_TIME_WAIT_NS = 60_000_000_000     # 2MSL as Linux implements it (TCP_TIMEWAIT_LEN)
_LOG_MARKS = frozenset(10 ** k for k in range(12))
# the originator's letters: the interpreter's shared one-character strings (``str.upper`` makes a new object
# each time, 50 bytes in every connection's history)
_UPPER = {chr(c): chr(c).upper() for c in range(ord("a"), ord("z") + 1)}
# Packet-time timeouts a run gets when it names none; ``analyzer --tcp-idle-timeout S --tcp-closed-linger S``
# set them for the process. A closed connection lingers 2 minutes (a retransmitted FIN or the last ACK still
# belongs to it); an idle one is finished after an hour. Not shorter by default: tshark never expires a
# connection, and a packet of an expired 4-tuple starts a new tcp.stream where tshark would continue the old.
# A half-open connection (SYNs its responder never answered, Zeek's S0) is finished after 150 s idle: longer
# than a client's whole SYN retry schedule (Linux: 1+2+4+8+16+32+64 = 127 s with tcp_syn_retries 6), so
# retransmitted SYNs stay in their stream as tshark numbers them, and a SYN flood's attempts leave memory
# after two and a half minutes instead of an hour (``--tcp-half-open-timeout``; Zeek's tcp_attempt_delay,
# after which it gives up on an attempt, is 5 s).
RUN_DEFAULTS = {"closed_linger_ns": 120_000_000_000, "idle_timeout_ns": 3_600_000_000_000,
                "half_open_timeout_ns": 150_000_000_000}
# How long a finished connection's 4-tuples are remembered (packet time after it was finished) so that a SYN
# reusing them with a new sequence number is flagged ``tcp.analysis.reused_ports`` (:class:`FinishedKeys`).
REUSE_MEMORY_NS = 600_000_000_000
_RFC = S.RFC
_ENDPOINT = S.ENDPOINT
_ESTABLISHED = S.ESTABLISHED


# TcpTracker._steady_out in C (analyzer/columnar/_speedups.c ``tcp_steady``) for an in-order segment that changes no
# history letter but a side's first bytes or first bare ACK; with its last argument, _STEADY_STATES (steps of the
# tables of tcp/state.py), also what _apply takes of a side's first segment after its SYN or SYN-ACK, the
# handshake's ACK, and the teardown: a side's first FIN (with or without bytes; _fin_sent, the FIN handed to the
# reassembler's sink once the bytes before it were), the ACKs after a FIN and the ACK of the peer's FIN
# (_fin_acked): the same fields, slots and sink calls, or None (having changed nothing the Python would not set
# alike) for any other; None where the helper is not built (tests/test_read_fast_steady.py and
# tests/test_tcp_steady_compiled.py compare it with the Python, the latter on each way a connection ends).
steady_compiled = compiled("tcp_steady")


class Side:
    """One endpoint of a connection: what it sent and the state it is in."""

    __slots__ = (
        "addr",
        "data_after_peer_fin",
        "data_base",
        "endpoint",
        "fin_acked_frame",
        "fin_acked_ts",
        "fin_frame",
        "fin_seq",
        "fin_ts",
        "first_ts",
        "frame_bytes",
        "isn",
        "last_ts",
        "max_end",
        "payload_bytes",
        "pkts",
        "port",
        "reasm",
        "retransmissions",
        "rfc",
        "rst_frame",
        "rst_in_state",
        "rst_ts",
        "sa",
        "syn_acked_frame",
        "syn_frame",
        "syn_opts",
        "syn_ts",
        "time_wait_frame",
        "time_wait_ts",
        "zero_windows",
    )

    def __init__(self, addr: Any, port: int):
        self.addr = addr
        self.port = port
        self.sa = SeqState()
        self.endpoint = S.INACTIVE
        self.rfc = S.R_CLOSED
        self.pkts = 0
        self.frame_bytes = 0
        self.payload_bytes = 0
        self.first_ts = 0
        self.last_ts = 0
        self.isn: int | None = None
        self.syn_opts: SynOptions | None = None
        self.syn_frame = 0
        self.syn_ts = 0
        self.syn_acked_frame = 0
        self.fin_seq: int | None = None
        self.fin_frame = 0
        self.fin_ts = 0
        self.fin_acked_frame = 0
        self.fin_acked_ts = 0
        self.rst_frame = 0
        self.rst_ts = 0
        self.rst_in_state = ""
        self.time_wait_frame = 0
        self.time_wait_ts = 0
        self.data_base: int | None = None
        self.max_end: int | None = None
        self.reasm: StreamReassembler | None = None
        self.data_after_peer_fin = 0
        self.zero_windows = 0
        self.retransmissions = 0

    def unique_payload(self) -> int:
        """Payload bytes by sequence numbers (Zeek's orig_bytes/resp_bytes)."""
        if self.max_end is None or self.data_base is None:
            return 0
        d = (self.max_end - self.data_base) & M32
        return d if d < HALF else 0


class _Marks(dict):
    """History-letter bookkeeping of one connection (see ``Connection.letter``): a dict, with ``add`` for the
    letters logged once."""

    __slots__ = ()

    def add(self, key: str) -> None:
        self[key] = True


class Connection:
    """Both sides of one TCP connection (one ``tcp.stream``)."""

    __slots__ = (
        "_counts",
        "_once",
        "_seqs",
        "ca",
        "finished",
        "first_fin",
        "first_frame",
        "first_ts",
        "flipped",
        "handshake_ack_frame",
        "handshake_ack_ts",
        "history",
        "last_frame",
        "last_ts",
        "orig_guessed",
        "port_reuse",
        "resets",
        "sides",
        "simultaneous_open",
        "sink",
        "stream",
        "synack_frame",
        "synack_ts",
    )

    def __init__(self, stream: int, orig: Side, resp: Side, ts: int, frame: int):
        self.stream = stream
        self.sides = (orig, resp)
        self.orig_guessed = False
        self.flipped = False
        self.ca = ConnAnalysis()
        self.history: list[str] = []
        # Zeek's repetition rules need, per history letter, "seen", a count or the last sequence number; each
        # letter has one of the three, so one small dict serves as all three (``_once`` membership and
        # ``add``, ``_counts`` and ``_seqs`` values): a connection that saw one SYN keeps one dict, not three
        self._once = self._counts = self._seqs = _Marks()
        self.simultaneous_open = False
        self.first_fin = -1               # side that sent the first FIN (the active closer)
        self.port_reuse = False
        self.first_ts = ts
        self.last_ts = ts
        self.first_frame = frame
        self.last_frame = frame
        self.sink: Any = None
        self.handshake_ack_frame = 0
        self.handshake_ack_ts = 0
        self.synack_frame = 0
        self.synack_ts = 0
        self.resets = 0
        self.finished = False

    @property
    def orig(self) -> Side:
        return self.sides[0]

    @property
    def resp(self) -> Side:
        return self.sides[1]

    def letter(self, d: int, ch: str, seq: int = 0) -> None:
        """Record a history letter for direction ``d`` by Zeek's repetition rules."""
        key = _UPPER[ch] if d == 0 else ch
        if ch in S.ONCE:
            if key in self._once:
                return
            self._once.add(key)
        elif ch in S.PER_SEQ:
            if self._seqs.get(key) == seq:
                return
            self._seqs[key] = seq
        else:
            n = self._counts.get(key, 0) + 1
            self._counts[key] = n
            if n not in _LOG_MARKS:
                return
        self.history.append(key)

    @property
    def closed(self) -> bool:
        """Both FINs acknowledged, or a RST seen."""
        o, r = self.sides
        return bool(self.resets or (o.fin_acked_frame and r.fin_acked_frame))

    def conn_state(self) -> str:
        return S.conn_state(self.sides[0].endpoint, self.sides[1].endpoint)

    def summary(self) -> dict[str, Any]:
        """The connection as one report row (Zeek conn.log names plus handshake/teardown details)."""
        return summarize(self)


class SinksDue:
    """``conn.sink`` of a connection whose payload sinks (HTTP, TLS, DNS: the tracker's
    ``payload_sink_factory``) are made at its first byte, FIN, RST or gap, not at its SYN: a connection that
    never carries any (a SYN flood's, a port scan's) costs no sink. ``first`` holds the sinks made at its start
    (``sink_factory``), which are given nothing before that either. Not None, so the fast paths that skip a
    connection with a sink skip this one too."""

    __slots__ = ("first",)

    def __init__(self, first: Any = None):
        self.first = first


SINKS_DUE = SinksDue()          # the one without sinks made at the start (shared)
_ANALYZED = 1 << 16             # Attempt.flags: the SYN was analysed (``out`` given): its replay is too


class Attempt:
    """A connection attempt nobody answered yet, as values: the one SYN (no ACK, FIN, RST or payload) that
    opened it, about a quarter of a :class:`Connection` with its sides. The tracker keeps it instead of a
    connection, by the SYN's 4-tuple, and replays the SYN into the connection it stands for (same stream
    number, state and fields) at the connection's next segment in either direction, when it is finished
    (idle, end of capture) or when the open connections are asked for: a SYN flood's or a port scan's
    unanswered attempts take this much memory each (issue 14: at most 1 KB with the flow table)."""

    __slots__ = ("ack", "flags", "frame_len", "key", "num", "opts", "seq", "stream", "ts", "window")

    sink = SINKS_DUE    # never a fast path's (``analyzer.columnar`` checks the sink of what segment() returned)

    def __init__(self, key: tuple, stream: int, ts: int, num: int, seq: int, ack: int, flags: int, window: int,
                 opts: bytes, frame_len: int):
        self.key = key
        self.stream = stream
        self.ts = ts
        self.num = num
        self.seq = seq
        self.ack = ack
        self.flags = flags
        self.window = window
        self.opts = opts
        self.frame_len = frame_len

    @property
    def first_frame(self) -> int:
        return self.num


class FinishedKeys:
    """The 4-tuples of finished connections -> the base sequence number their sender had, so that a SYN of a
    new connection on one of them with another sequence number is flagged ``tcp.analysis.reused_ports``
    (a SYN with the same number is the old connection's, retransmitted: no flag), as Wireshark flags it.

    Bounded by capture time, not by count: an entry is kept for ``memory_ns`` of packet time after its
    connection was finished (by the tracker's clock: the idle sweep's time, which runs every 10 s of packet
    time, or the segment's that finished it) and forgotten at most a quarter of that later: entries live in
    generations of ``memory_ns // 4`` each, and a whole generation goes at once. Memory is then the
    connections finished in the last ~``1.25 * memory_ns`` (about 150 bytes each), whatever the file's length.

    Where it departs from tshark: Wireshark never forgets a conversation, so it flags a reuse however long
    after; here, a 4-tuple used again more than ``memory_ns`` (default :data:`REUSE_MEMORY_NS`, 10 minutes)
    after its connection was finished — which itself is 2 minutes after a close or reset
    (``closed_linger_ns``), an hour after the last segment of an idle one — starts a new stream without the
    flag (the stream numbers are the same either way)."""

    __slots__ = ("gens", "memory_ns", "step")

    def __init__(self, memory_ns: int = REUSE_MEMORY_NS):
        self.memory_ns = memory_ns
        self.step = max(memory_ns // 4, 1)
        self.gens: deque[tuple[int, dict[tuple, int]]] = deque()   # (start time, key -> base seq), oldest first

    def _newest(self, now: int) -> dict[tuple, int]:
        """The generation a key finished at ``now`` goes into (a new one every ``step``)."""
        gens = self.gens
        if not gens or now >= gens[-1][0] + self.step:
            gens.append((now, {}))
        return gens[-1][1]

    def add(self, key: tuple, base: int, now: int) -> None:
        newest = self._newest(now)
        newest.pop(key, None)
        newest[key] = base
        self.forget(now)

    def add_pair(self, key: tuple, base: int, other: tuple, other_base: int, now: int) -> None:
        """``add`` of both directions of a connection (``key`` and ``other``) at once."""
        newest = self._newest(now)
        newest.pop(key, None)
        newest[key] = base
        newest.pop(other, None)
        newest[other] = other_base
        self.forget(now)

    def add_pairs(self, items: list[tuple[tuple, int, int]], now: int) -> None:
        """``add_pair`` of each connection of ``items`` (its 4-tuple as the originator sent, the originator's and
        the responder's base sequence numbers), all finished at ``now``, in that order."""
        newest = self._newest(now)
        pop = newest.pop
        for key, base, other_base in items:
            src, sport, dst, dport = key
            other = (dst, dport, src, sport)
            pop(key, None)
            newest[key] = base
            pop(other, None)
            newest[other] = other_base
        self.forget(now)

    def forget(self, now: int) -> None:
        """Drop the generations whose every entry was finished more than ``memory_ns`` before ``now``."""
        gens = self.gens
        # a generation's entries were all added before its start + step
        while gens and now - gens[0][0] - self.step >= self.memory_ns:
            gens.popleft()

    def get(self, key: tuple) -> int | None:
        """The base sequence number of the latest finished connection on ``key`` (None: none remembered)."""
        for _start, entries in reversed(self.gens):
            base = entries.get(key)
            if base is not None:
                return base
        return None

    def __contains__(self, key: tuple) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return sum(len(entries) for _start, entries in self.gens)


def _steps(table: dict[str, dict[str, str]], event: str) -> dict[str, str]:
    """One event's column of a state table: state -> the state it moves to (states it leaves alone: absent)."""
    return {state: steps[event] for state, steps in table.items() if event in steps}


# What the compiled tcp_steady reads of the tables of tcp/state.py (its last argument): the ENDPOINT steps "ack"
# and "fin", the RFC steps "syn_acked", "snd_data", "rcv_fin", "fin_acked" and "snd_fin", the RFC states CLOSED
# and TIME_WAIT (the ones _apply and _fin_acked compare with).
_STEADY_STATES = (_steps(_ENDPOINT, "ack"), _steps(_RFC, "syn_acked"), _steps(_ENDPOINT, "fin"),
                  _steps(_RFC, "snd_data"), _steps(_RFC, "rcv_fin"), _steps(_RFC, "fin_acked"), _steps(_RFC, "snd_fin"),
                  S.R_CLOSED, S.R_TIME_WAIT)


def _rfc(side: Side, event: str) -> None:
    new = _RFC[side.rfc].get(event)
    if new is not None:
        side.rfc = new


class TcpTracker:
    """The TCP flow table: connections by 4-tuple, stream numbers, per-frame analysis."""

    def __init__(self, *, analysis: bool = True, sink_factory: Callable[[Connection], Any] | None = None,
                 payload_sink_factory: Callable[[Connection], Any] | None = None,
                 closed_linger_ns: int | None = None, idle_timeout_ns: int | None = None,
                 half_open_timeout_ns: int | None = None,
                 max_held: int = 1 << 20, reassembly_timeout_ns: int = 30_000_000_000,
                 max_reassembly: int | None = None,
                 on_finish: Callable[[Connection], None] | None = None, keep_summaries: bool = True,
                 reuse_memory_ns: int = REUSE_MEMORY_NS, finish_attempts: bool = False, timestamps: bool | None = None):
        self.analysis = analysis
        # tshark's [Timestamps] of a segment with fields (``out``): ``tcp.time_relative`` (since its stream's
        # first frame) and ``tcp.time_delta`` (since its stream's previous frame); with the analysis unless told
        self.timestamps = analysis if timestamps is None else timestamps
        self.keep_summaries = keep_summaries
        # an attempt still pending when finished (idle, end of capture) is finished as itself, never made into
        # its connection: ``on_finish`` gets the Attempt (:meth:`finished_attempt` makes the connection it
        # stands for when a reader wants it); only with keep_summaries=False (no rows kept) and for a caller
        # whose sink factories need not see the connection (they are not called for it)
        self.finish_attempts = finish_attempts and not keep_summaries
        self.sink_factory = sink_factory
        self.payload_sink_factory = payload_sink_factory
        # unanswered SYNs as compact records: only when no sink factory must see each connection at its start
        self.compact_attempts = sink_factory is None
        self.attempts: dict[tuple, Attempt] = {}      # the SYN's 4-tuple -> its attempt
        self.closed_linger_ns = RUN_DEFAULTS["closed_linger_ns"] if closed_linger_ns is None else closed_linger_ns
        self.idle_timeout_ns = RUN_DEFAULTS["idle_timeout_ns"] if idle_timeout_ns is None else idle_timeout_ns
        self.half_open_timeout_ns = (RUN_DEFAULTS["half_open_timeout_ns"] if half_open_timeout_ns is None
                                     else half_open_timeout_ns)
        self.max_held = max_held
        self.reassembly_timeout_ns = reassembly_timeout_ns
        # out-of-order bytes held by every connection's reassemblers, against one limit (--max-reassembly)
        self.reassembly = ReassemblyBudget(max_reassembly)
        self.on_finish = on_finish
        self.flows = FlowTable(index=True)
        # finished connections (compact), in finishing order; left empty with keep_summaries=False (a
        # caller that only wants the per-frame fields: memory then holds only the open connections)
        self.finished: list[Connection] = []
        self.next_stream = 0
        # finished 4-tuples -> base seq (port reuse), for REUSE_MEMORY_NS of packet time
        self.finished_keys = FinishedKeys(reuse_memory_ns)
        self._next_expire = 0
        self._clock = 0                 # packet time of the last idle sweep (when finished keys were finished)
        # whole connections kept as compact records by the columnar pass (analyzer.columnar.whole.Wholes,
        # by both directions of their 4-tuple), else None: a segment of one makes it its connection first
        self.wholes: Any = None

    @property
    def wants_payload(self) -> bool:
        """Some sink may want segments' payload bytes (a caller reading headers only passes none otherwise)."""
        return self.sink_factory is not None or self.payload_sink_factory is not None

    # -- the per-segment entry point -----------------------------------------------------------------
    def segment(self, ts: int, num: int, src: Any, sport: int, dst: Any, dport: int, seq: int, ack: int,
                flags: int, raw_window: int, seglen: int, opts: bytes, payload: bytes, frame_len: int,
                handle: Any = None, out: dict[str, Any] | None = None) -> tuple[Connection | Attempt, int]:
        """One segment; the connection it belongs to and its direction (a lone SYN of a new 4-tuple: its
        :class:`Attempt`, direction 0)."""
        if ts >= self._next_expire:
            self.expire(ts)
        key = (src, sport, dst, dport)
        hit = self.flows.lookup(key)
        if hit is not None and out is None and not flags & 0x07:
            # fast path (counting only): an ACK/data segment of an established connection whose peer has
            # neither an unacknowledged SYN nor a FIN: no state or handshake fact can change
            conn, d = hit
            me = conn.sides[d]
            peer = conn.sides[1 - d]
            if (me.endpoint is _ESTABLISHED and conn.sink is None and peer.fin_seq is None
                    and peer.syn_acked_frame and peer.data_base is not None):
                conn.last_ts = ts
                conn.last_frame = num
                me.pkts += 1
                me.frame_bytes += frame_len
                me.payload_bytes += seglen
                me.last_ts = ts
                if flags & ACK:
                    ca = conn.ca
                    if ca.mru_syn and not ca.first_rtt:
                        ca.first_rtt = ts - ca.mru_syn
                _steady(conn, me, peer, d, seq, ack, seglen, raw_window, flags & ACK)
                return conn, d
        if hit is not None and out is None and flags & 0x17 == ACK:
            # fast path (with sinks): an ACK without SYN/FIN/RST of an established connection whose sinks are
            # made and whose peer has neither an unacknowledged SYN nor a FIN: _apply's branches such a
            # segment reaches (_steady_sink), the reassembler's in-order case without its general walk
            conn, d = hit
            sink = conn.sink
            if sink is not None and sink.__class__ is not SinksDue:
                me = conn.sides[d]
                peer = conn.sides[1 - d]
                if (me.endpoint is _ESTABLISHED and peer.fin_seq is None and peer.syn_acked_frame
                        and peer.data_base is not None):
                    self._steady_sink(conn, me, peer, d, ts, num, seq, ack, raw_window, seglen, payload, frame_len,
                                      handle)
                    return conn, d
        if hit is not None and out is not None and flags & 0x16 == ACK and self._steady_out(
                hit, ts, num, seq, ack, flags, raw_window, seglen, opts, payload, frame_len, handle, out):
            return hit
        if hit is None and self.wholes and self.wholes.promote(key):
            hit = self.flows.lookup(key)
        if hit is None and self.attempts:
            # the answer to an attempt, or its originator's next segment: the attempt becomes a connection
            att = self.attempts.get(key) or self.attempts.get((dst, dport, src, sport))
            if att is not None:
                self.promote(att)
                hit = self.flows.lookup(key)
        reused = False
        if hit is None:
            old_base = self.finished_keys.get(key) if self.finished_keys.gens else None
            if self.compact_attempts and flags & 0x17 == SYN and not seglen and old_base is None:
                return self._attempt(key, ts, num, seq, ack, flags, raw_window, opts, frame_len, out), 0
            conn, d = self._new(key, flags, ts, num)
            if flags & (SYN | ACK) == SYN and old_base is not None and old_base != seq:
                reused = True
        else:
            conn, d = hit
            syn_ack = flags & (SYN | ACK)
            if syn_ack == SYN:
                base = conn.sides[d].sa.base_seq
                if base is not None and base != seq:
                    self._finish(conn, ts)
                    conn, d = self._new(key, flags, ts, num)
                    reused = True
            elif syn_ack == SYN | ACK:
                # A SYN-ACK whose sequence number is not the base its sender's side already has (from
                # segments of an earlier use of these ports): Wireshark 4.0 keeps the conversation and
                # stream, flags the reuse and counts this side's numbers from the new ISN.
                sa = conn.sides[d].sa
                if sa.base_seq is not None and sa.base_seq != seq:
                    sa.base_seq = seq
                    reused = True
        self._apply(conn, d, reused, ts, num, seq, ack, flags, raw_window, seglen, opts, payload, frame_len, handle,
                    out)
        return conn, d

    # -- grouped entry points (analyzer.columnar): the same state as segment() for segments known in advance --
    def handshake(self, key: tuple, t0: int, n0: int, x: int, w0: int, o0: bytes, f0: int,
                  t1: int, n1: int, y: int, w1: int, o1: bytes, f1: int,
                  t2: int, n2: int, w2: int, f2: int) -> Connection | None:
        """An ordinary three-way handshake of a new 4-tuple, given whole: the connection it opens, in the state
        :meth:`segment` leaves it in after its three segments (stream number, sides, SYN options, RFC and
        endpoint states, history ``ShA``, initial RTT, handshake facts), made at once, without the
        :class:`Attempt` the SYN would first be kept as and without three passes through the tracker.

        The caller guarantees the segments: ``key``'s sender sent a SYN (SYN alone among SYN/ACK/FIN/RST, no
        payload; sequence number ``x``, raw window ``w0``, option bytes ``o0``, frame length ``f0``), the
        other end then a SYN-ACK (no FIN/RST, no payload, acknowledging ``x + 1``; ``y``, ...), then the first
        end a pure ACK (no SYN/FIN/RST, no payload, sequence number ``x + 1``, acknowledging ``y + 1``), no
        window zero, nothing else of the 4-tuple between them and no idle sweep due before the last. Returns
        None, changing nothing, where the tracker's state makes it another case: the 4-tuple (either way)
        open or pending as an attempt, finished recently enough to be remembered (a port reuse), or sinks
        wanted (they must see the segments). ``tests/test_tcp_grouped.py`` compares every slot with the
        per-segment result."""
        if (self.sink_factory is not None or self.payload_sink_factory is not None
                or self.flows.lookup(key) is not None):
            return None
        if self.attempts and (key in self.attempts or (key[2], key[3], key[0], key[1]) in self.attempts):
            return None
        if self.wholes and key in self.wholes:
            return None
        if self.finished_keys.gens and self.finished_keys.get(key) is not None:
            return None
        src, sport, dst, dport = key
        a, b = Side(src, sport), Side(dst, dport)
        stream = self.next_stream
        self.next_stream += 1
        conn = Connection(stream, a, b, t0, n0)
        self.flows.add(key, conn, 0)
        # the SYN (direction 0)
        a.first_ts = t0
        a.pkts = 2
        a.frame_bytes = f0 + f2
        a.last_ts = t2
        so = a.syn_opts = _shared_syn_options(o0)
        window_scaling_on_syn(a.sa, b.sa, so.wscale, False)
        a.sa.base_seq = x
        ca = conn.ca
        ca.mru_syn = t0
        _rfc(a, "snd_syn")
        a.endpoint = _ENDPOINT[a.endpoint].get("syn", a.endpoint)
        a.isn = x
        a.syn_frame, a.syn_ts = n0, t0
        a.data_base = (x + 1) & M32
        # the SYN-ACK (direction 1): acknowledges the SYN
        b.first_ts = t1
        b.pkts = 1
        b.frame_bytes = f1
        b.last_ts = t1
        so = b.syn_opts = _shared_syn_options(o1)
        window_scaling_on_syn(b.sa, a.sa, so.wscale, True)
        b.sa.base_seq = y
        a.syn_acked_frame = n1
        _rfc(a, "syn_acked")
        _rfc(b, "snd_synack")
        b.endpoint = _ENDPOINT[b.endpoint].get("synack", b.endpoint)
        conn.synack_frame, conn.synack_ts = n1, t1
        b.isn = y
        b.syn_frame, b.syn_ts = n1, t1
        b.data_base = (y + 1) & M32
        # the ACK (direction 0): acknowledges the SYN-ACK
        if t0:                          # (a SYN at time 0 leaves no "most recent SYN" to measure from)
            ca.first_rtt = t2 - t0
        b.syn_acked_frame = n2
        _rfc(b, "syn_acked")
        conn.handshake_ack_frame, conn.handshake_ack_ts = n2, t2
        a.endpoint = _ENDPOINT[a.endpoint].get("ack", a.endpoint)
        if a.rfc == S.R_CLOSED:
            _rfc(a, "snd_data")
        marks = conn._once
        marks["S"] = x
        marks["h"] = y
        marks["A"] = True
        conn.history += ("S", "h", "A")
        conn.last_ts = t2
        conn.last_frame = n2
        return conn

    def plain(self, conn: Connection, d: int, ts: int, num: int, seq: int, ack: int, flags: int,
              raw_window: int, seglen: int, frame_len: int) -> None:
        """One segment of a known open connection, as :meth:`segment` takes it (counting only, no ``out``),
        for a *plain* segment: ACK set, neither SYN nor RST, sent in direction ``d`` of ``conn``, which has no
        sink, is not finished, and has both SYNs acknowledged and both data starts known (the caller checks:
        :func:`plain_ok`). Where :meth:`segment` would take its fast path this is that code, else the
        branches of :meth:`_apply` such a segment can reach, in the same order (the two orders of history
        letters differ: ``g`` first on the fast path, last in ``_apply``). No idle sweep runs (the caller
        knows none is due)."""
        me = conn.sides[d]
        peer = conn.sides[1 - d]
        conn.last_ts = ts
        conn.last_frame = num
        me.pkts += 1
        me.frame_bytes += frame_len
        me.payload_bytes += seglen
        me.last_ts = ts
        ca = conn.ca
        if ca.mru_syn and not ca.first_rtt:
            ca.first_rtt = ts - ca.mru_syn
        pfs = peer.fin_seq
        if pfs is None and me.endpoint is _ESTABLISHED and not flags & FIN:
            _steady(conn, me, peer, d, seq, ack, seglen, raw_window, True)     # segment()'s fast path
            return
        if pfs is not None and not peer.fin_acked_frame and 0 <= ((ack - pfs - 1) & M32) < HALF:
            _fin_acked(me, peer, num, ts)
        if not flags & FIN:
            if me.endpoint is not _ESTABLISHED:
                me.endpoint = _ENDPOINT[me.endpoint].get("ack", me.endpoint)
                if me.rfc == S.R_CLOSED:
                    _rfc(me, "snd_data")
            if not seglen and ("A" if d == 0 else "a") not in conn._once:
                conn.letter(d, "a")
        if seglen:
            end = (seq + seglen) & M32
            new_data = True
            if me.max_end is not None and ((seq - me.max_end) & M32) >= HALF:   # resent (or reordered)
                conn.letter(d, "t")
                me.retransmissions += 1
                new_data = 0 < ((end - me.max_end) & M32) < HALF
            if new_data:
                me.max_end = end
                if peer.fin_frame:
                    me.data_after_peer_fin += 1
            if ("D" if d == 0 else "d") not in conn._once:
                conn.letter(d, "d")
        if flags & FIN:
            _fin_sent(conn, me, d, seq, seglen, num, ts)
        if raw_window == 0:
            me.zero_windows += 1
            conn.letter(d, "w")
        seen = peer.max_end if peer.max_end is not None else peer.data_base
        if pfs is not None:
            seen = (pfs + 1) & M32
        if 0 < ((ack - seen) & M32) < HALF:
            conn.letter(1 - d, "g")

    def _apply(self, conn: Connection, d: int, reused: bool, ts: int, num: int, seq: int, ack: int, flags: int,
               raw_window: int, seglen: int, opts: bytes, payload: bytes, frame_len: int, handle: Any,
               out: dict[str, Any] | None) -> None:
        """One segment of ``conn`` sent in direction ``d``: counters, analysis, states, reassembly."""
        if reused:
            conn.port_reuse = True
        me = conn.sides[d]
        peer = conn.sides[1 - d]
        prev_ts = conn.last_ts
        conn.last_ts = ts
        conn.last_frame = num
        if not me.pkts:
            me.first_ts = ts
        me.pkts += 1
        me.frame_bytes += frame_len
        me.payload_bytes += seglen
        me.last_ts = ts

        # -- Wireshark analysis (or just the initial RTT) ------------------------------------------
        if flags & SYN and (me.syn_opts is None or not me.syn_frame):
            me.syn_opts = _shared_syn_options(opts)
            if flags & ACK:
                window_scaling_on_syn(me.sa, peer.sa, me.syn_opts.wscale, True)
            else:
                window_scaling_on_syn(me.sa, peer.sa, me.syn_opts.wscale, False)
        if out is not None:
            out["tcp.stream"] = conn.stream
            if self.timestamps:
                out["tcp.time_relative"] = seconds(ts - conn.first_ts)
                out["tcp.time_delta"] = seconds(ts - prev_ts)
        if out is not None and self.analysis:
            me.sa.sack = sack_blocks(opts) if opts else ()
            if analyze_compiled is None or analyze_compiled(conn.ca, me.sa, peer.sa, ts, num, seq, ack, seglen, flags,
                                                            raw_window, out, A_REUSED_PORTS if reused else 0) is None:
                analyze(conn.ca, me.sa, peer.sa, ts, num, seq, ack, seglen, flags, raw_window, out,
                        A_REUSED_PORTS if reused else 0)
        else:
            if me.sa.base_seq is None:      # what port reuse is judged by (analysis sets it otherwise)
                me.sa.base_seq = seq if flags & SYN else (seq - 1) & M32
            ca = conn.ca
            if flags & (SYN | ACK) == ACK:
                if ca.mru_syn and not ca.first_rtt:
                    ca.first_rtt = ts - ca.mru_syn
            elif flags & (SYN | ACK) == SYN:
                ca.mru_syn = ts

        # -- handshake facts and states ------------------------------------------------------------
        if flags & ACK:
            if peer.isn is not None and not peer.syn_acked_frame and 0 <= ((ack - peer.isn - 1) & M32) < HALF:
                peer.syn_acked_frame = num
                _rfc(peer, "syn_acked")
                if not flags & SYN and not conn.handshake_ack_frame and d == 0:
                    conn.handshake_ack_frame = num
                    conn.handshake_ack_ts = ts
            if peer.fin_seq is not None and not peer.fin_acked_frame \
                    and 0 <= ((ack - peer.fin_seq - 1) & M32) < HALF:
                _fin_acked(me, peer, num, ts)
        if flags & SYN:
            if flags & ACK:
                _rfc(me, "snd_synack")
                me.endpoint = _ENDPOINT[me.endpoint].get("synack", me.endpoint)
                conn.letter(d, "h", seq)
                if not conn.synack_frame:
                    conn.synack_frame, conn.synack_ts = num, ts
            else:
                _rfc(me, "snd_syn")
                me.endpoint = _ENDPOINT[me.endpoint].get("syn", me.endpoint)
                conn.letter(d, "s", seq)
                if peer.syn_frame and not peer.syn_acked_frame and peer.isn is not None and not flags & ACK \
                        and me.isn is None:
                    conn.simultaneous_open = True
            if me.isn is None:
                me.isn = seq
                me.syn_frame, me.syn_ts = num, ts
                me.data_base = (seq + 1) & M32
            if flags & (FIN | RST):
                conn.letter(d, "q")
                if flags & RST:
                    conn.letter(d, "i")
        elif not flags & (FIN | RST):
            if me.endpoint is not _ESTABLISHED:
                me.endpoint = _ENDPOINT[me.endpoint].get("ack", me.endpoint)
                if me.rfc == S.R_CLOSED:
                    _rfc(me, "snd_data")
            if not seglen and flags & ACK and ("A" if d == 0 else "a") not in conn._once:
                conn.letter(d, "a")
        if seglen:
            if me.data_base is None:
                me.data_base = seq
            end = (seq + seglen) & M32
            new_data = True
            if me.max_end is not None and ((seq - me.max_end) & M32) >= HALF:   # resent (or reordered)
                conn.letter(d, "t")
                me.retransmissions += 1
                new_data = 0 < ((end - me.max_end) & M32) < HALF
            if new_data:
                me.max_end = end
                if peer.fin_frame and not flags & RST:
                    me.data_after_peer_fin += 1
            if ("D" if d == 0 else "d") not in conn._once:
                conn.letter(d, "d")
        if flags & FIN:
            _fin_sent(conn, me, d, seq, seglen, num, ts)
        if flags & RST:
            conn.letter(d, "r", seq)
            conn.resets += 1
            if not me.rst_frame:
                me.rst_frame, me.rst_ts, me.rst_in_state = num, ts, me.rfc
            me.endpoint = _ENDPOINT[me.endpoint].get("rst", me.endpoint)
            _rfc(me, "snd_rst")
            _rfc(peer, "rcv_rst")
        if raw_window == 0 and not flags & RST:
            me.zero_windows += 1
            conn.letter(d, "w")
        if flags & ACK and peer.data_base is not None:
            # a content gap: the receiver acknowledges bytes of the peer that the capture never showed
            seen = peer.max_end if peer.max_end is not None else peer.data_base
            if peer.fin_seq is not None:
                seen = (peer.fin_seq + 1) & M32
            if 0 < ((ack - seen) & M32) < HALF:
                conn.letter(1 - d, "g")

        # -- reassembly ----------------------------------------------------------------------------
        sink = conn.sink
        if sink is not None:
            if sink.__class__ is SinksDue:
                # the payload sinks are made at the first event that reaches a sink: bytes, a FIN, a RST, or
                # an ACK of peer bytes the capture missed (a gap); until then no reassembler has changed
                if not (seglen or flags & (FIN | RST) or (flags & ACK and peer.isn is not None
                                                          and 0 < ((ack - peer.isn - 1) & M32) < HALF)):
                    return
                if self._make_sinks(conn, sink) is None:
                    return
            r = me.reasm
            if r is None:
                r = me.reasm = StreamReassembler(d, conn.sink, max_held=self.max_held // 2,
                                                 timeout_ns=self.reassembly_timeout_ns, budget=self.reassembly)
            if flags & SYN:
                r.syn(seq)
            # The ACK covers bytes the peer sent earlier: give up the peer's holes it acknowledges first, so
            # a response acknowledging a request the capture lost is not parsed before that request's gap.
            if flags & ACK and peer.reasm is not None:
                peer.reasm.acked(ack, handle, ts)
            if seglen or flags & FIN:
                r.segment(seq, payload, seglen, bool(flags & FIN), handle, ts)
            if flags & RST:
                r.rst()

    def _steady_sink(self, conn: Connection, me: Side, peer: Side, d: int, ts: int, num: int, seq: int, ack: int,
                     raw_window: int, seglen: int, payload: bytes, frame_len: int, handle: Any) -> None:
        """:meth:`_apply` for what :meth:`segment`'s fast path with sinks takes (ACK without SYN/FIN/RST, not a
        reuse, no per-frame fields; ``me`` established, its sinks made, ``peer``'s SYN acknowledged, its data
        start known, no FIN from it): the branches of :meth:`_apply` such a segment reaches, in the same
        order (tests/test_tcp_steady_sink.py compares every slot and every sink event with ``_apply``'s)."""
        conn.last_ts = ts
        conn.last_frame = num
        if not me.pkts:
            me.first_ts = ts
        me.pkts += 1
        me.frame_bytes += frame_len
        me.payload_bytes += seglen
        me.last_ts = ts
        if me.sa.base_seq is None:      # what port reuse is judged by
            me.sa.base_seq = (seq - 1) & M32
        ca = conn.ca
        if ca.mru_syn and not ca.first_rtt:
            ca.first_rtt = ts - ca.mru_syn
        if seglen:
            if me.data_base is None:
                me.data_base = seq
            end = (seq + seglen) & M32
            new_data = True
            m = me.max_end
            if m is not None and ((seq - m) & M32) >= HALF:   # resent (or reordered)
                conn.letter(d, "t")
                me.retransmissions += 1
                new_data = 0 < ((end - m) & M32) < HALF
            if new_data:
                me.max_end = end
                if peer.fin_frame:
                    me.data_after_peer_fin += 1
            if ("D" if d == 0 else "d") not in conn._once:
                conn.letter(d, "d")
        elif ("A" if d == 0 else "a") not in conn._once:
            conn.letter(d, "a")
        if raw_window == 0:
            me.zero_windows += 1
            conn.letter(d, "w")
        # a content gap: the receiver acknowledges bytes of the peer that the capture never showed
        seen = peer.max_end if peer.max_end is not None else peer.data_base
        if 0 < ((ack - seen) & M32) < HALF:
            conn.letter(1 - d, "g")
        if conn.sink is None:       # nobody wants the bytes (none did, or every sink gave up): _apply stops here
            return
        r = me.reasm
        if r is None:
            r = me.reasm = StreamReassembler(d, conn.sink, max_held=self.max_held // 2,
                                             timeout_ns=self.reassembly_timeout_ns, budget=self.reassembly)
        pr = peer.reasm
        if pr is not None:
            nxt = pr.next
            if nxt is not None and 0 < ((ack - nxt) & M32) < HALF:     # (what acked() does nothing for)
                pr.acked(ack, handle, ts)
        if seglen and not r.in_order(seq, payload, seglen, handle, ts):
            r.segment(seq, payload, seglen, False, handle, ts)

    def _steady_out(self, hit: tuple[Connection, int], ts: int, num: int, seq: int, ack: int, flags: int,
                    raw_window: int, seglen: int, opts: bytes, payload: bytes, frame_len: int, handle: Any, out: dict[str, Any]) -> bool:
        """:meth:`segment` with per-frame fields (``out``) for an ACK without SYN/RST of a known connection (with a
        FIN: only its compiled twin's),
        when :meth:`_steady_sink` can take it (the conditions of segment()'s fast path with sinks: ``me``
        established, the sinks made, ``peer``'s SYN acknowledged, its data start known, no FIN from it), or with
        no sink at all (then, as in _apply, no reassembler is touched): the stream number and Wireshark's
        analysis, as :meth:`_apply` gives them, then :meth:`_steady_sink` (its compiled twin, ``tcp_steady``,
        takes the commonest of these segments in one call). False, having done nothing, for any other segment
        (tests/test_read_fast_steady.py compares every slot, sink event and field with ``_apply``)."""
        conn, d = hit
        if steady_compiled is not None and analyze_compiled is not None and self.analysis and steady_compiled(
                conn, d, ts, num, seq, ack, flags, raw_window, seglen, opts, payload, frame_len, handle, out,
                _ESTABLISHED, SinksDue, Deferred, _STEADY_STATES, self.timestamps) is not None:
            return True
        if flags & FIN or conn.sink.__class__ is SinksDue:
            return False
        sides = conn.sides
        me = sides[d]
        peer = sides[1 - d]
        if not (me.endpoint is _ESTABLISHED and peer.fin_seq is None and peer.syn_acked_frame
                and peer.data_base is not None):
            return False
        out["tcp.stream"] = conn.stream
        if self.timestamps:
            out["tcp.time_relative"] = seconds(ts - conn.first_ts)
            out["tcp.time_delta"] = seconds(ts - conn.last_ts)
        sa = me.sa
        ca = conn.ca
        if self.analysis:
            sa.sack = sack_blocks(opts) if opts and 5 in opts else ()
            if analyze_compiled is None or analyze_compiled(ca, sa, peer.sa, ts, num, seq, ack, seglen, flags,
                                                            raw_window, out) is None:
                analyze(ca, sa, peer.sa, ts, num, seq, ack, seglen, flags, raw_window, out)
        self._steady_sink(conn, me, peer, d, ts, num, seq, ack, raw_window, seglen, payload, frame_len, handle)
        return True

    # -- connection life ---------------------------------------------------------------------------
    def _new(self, key: tuple, flags: int, ts: int, num: int, stream: int | None = None,
             register: bool = True, sinks: bool = True) -> tuple[Connection, int]:
        src, sport, dst, dport = key
        guessed = False
        if flags & (SYN | ACK) == SYN:
            d = 0
        elif flags & (SYN | ACK) == SYN | ACK:
            d = 1
        else:
            d = 1 if _service_rank(sport) > _service_rank(dport) else 0
            guessed = True
        a, b = Side(src, sport), Side(dst, dport)
        orig, resp = (a, b) if d == 0 else (b, a)
        if stream is None:
            stream = self.next_stream
            self.next_stream += 1
        conn = Connection(stream, orig, resp, ts, num)
        conn.orig_guessed = guessed
        if d == 1:
            conn.flipped = True
            conn.history.append("^")
        if register:
            self.flows.add(key, conn, d)
        if not sinks:
            return conn, d
        if self.sink_factory is not None:
            conn.sink = self.sink_factory(conn)
        if self.payload_sink_factory is not None:
            conn.sink = SINKS_DUE if conn.sink is None else SinksDue(conn.sink)
        return conn, d

    def _make_sinks(self, conn: Connection, due: SinksDue) -> Any:
        """The connection's first event for a sink: make its payload sinks (joined to the sinks made at its
        start, ``due.first``) and the reassemblers of the sides that sent something, as they stand when
        made at the start (next byte after the side's SYN); the sink, or None when nobody wants the bytes."""
        conn.sink = due.first
        sink = conn.sink = self.payload_sink_factory(conn)
        if sink is not None:
            for d, side in enumerate(conn.sides):
                if side.pkts and side.reasm is None:
                    r = side.reasm = StreamReassembler(d, sink, max_held=self.max_held // 2,
                                                       timeout_ns=self.reassembly_timeout_ns, budget=self.reassembly)
                    if side.isn is not None:
                        r.syn(side.isn)
        return sink

    # -- attempts nobody answered (compact) ----------------------------------------------------------
    def _attempt(self, key: tuple, ts: int, num: int, seq: int, ack: int, flags: int, raw_window: int, opts: bytes,
                 frame_len: int, out: dict[str, Any] | None) -> Attempt:
        """A SYN (no ACK, FIN, RST or payload) of a new 4-tuple: kept as an :class:`Attempt`. With ``out``, its
        fields are those of a connection's first SYN: a connection made for it and dropped gives them."""
        stream = self.next_stream
        self.next_stream += 1
        if opts.__class__ is not bytes:
            opts = bytes(opts)          # never a view holding a whole buffer of frames alive
        att = Attempt(key, stream, ts, num, seq, ack, flags | (_ANALYZED if out is not None else 0), raw_window,
                      opts, frame_len)
        if out is not None:
            conn, _d = self._new(key, flags, ts, num, stream, register=False)
            self._apply(conn, 0, False, ts, num, seq, ack, flags, raw_window, 0, opts, b"", frame_len, None, out)
        self.attempts[key] = att
        return att

    def promote(self, att: Attempt) -> Connection:
        """The attempt as the connection it stands for, made now: its SYN replayed (the same state, stream
        number and fields as if it had been one all along). The tracker does this itself at the attempt's next
        segment, when it is finished or when :meth:`connections` is asked; a reader that needs the connection
        earlier (a summary row of an attempt still pending) calls it. ``att`` must still be pending
        (``tracker.attempts[att.key] is att``)."""
        del self.attempts[att.key]
        flags = att.flags & ~_ANALYZED
        conn, _d = self._new(att.key, flags, att.ts, att.num, att.stream)
        self._apply(conn, 0, False, att.ts, att.num, att.seq, att.ack, flags, att.window, 0, att.opts, b"",
                    att.frame_len, None, {} if att.flags & _ANALYZED else None)
        return conn

    def open_count(self) -> int:
        """Connections open now (attempts included)."""
        return len(self.flows) + len(self.attempts) + (len(self.wholes) if self.wholes else 0)

    def finished_attempt(self, att: Attempt) -> Connection:
        """The connection a finished attempt (one :meth:`_finish_attempt` finished, ``finish_attempts``) stands
        for, made now and not kept: the same values as the attempt made into its connection and finished
        (its SYN replayed, the heavy state released), registered nowhere, no sink factory's."""
        flags = att.flags & ~_ANALYZED
        conn, _d = self._new(att.key, flags, att.ts, att.num, att.stream, register=False, sinks=False)
        self._apply(conn, 0, False, att.ts, att.num, att.seq, att.ack, flags, att.window, 0, att.opts, b"",
                    att.frame_len, None, {} if att.flags & _ANALYZED else None)
        conn.finished = True
        self._release(conn)
        return conn

    def _finish_attempt(self, att: Attempt, now: int | None = None) -> None:
        """Finish a pending attempt as itself (``finish_attempts``): what :meth:`_finish` of its connection
        would do to the tracker (its 4-tuple remembered with its SYN's sequence number as the base; the
        responder's side has none), without making the connection: the end of a SYN flood stays flat."""
        del self.attempts[att.key]
        self.finished_keys.add(att.key, att.seq, self._clock if now is None else now)
        if self.on_finish is not None:
            self.on_finish(att)

    def _finish_pending(self, conn: Connection | Attempt) -> None:
        if conn.__class__ is Attempt:
            if self.finish_attempts:
                self._finish_attempt(conn)
                return
            conn = self.promote(conn)
        self._finish(conn)

    def _finish(self, conn: Connection, now: int | None = None) -> None:
        """Close the sink, free the heavy state, keep the compact connection for its summary row; its 4-tuples
        are remembered as finished at packet time ``now`` (default: the last idle sweep's)."""
        if conn.finished:
            return
        conn.finished = True
        o, r = conn.sides
        if self.keep_summaries:
            self.finished.append(conn)
        when = self._clock if now is None else now
        for d, key in ((0, (o.addr, o.port, r.addr, r.port)), (1, (r.addr, r.port, o.addr, o.port))):
            if self.flows.lookup(key) is not None and conn.sides[d].sa.base_seq is not None:
                self.finished_keys.add(key, conn.sides[d].sa.base_seq, when)
        self.flows.remove((o.addr, o.port, r.addr, r.port), conn)
        self._release(conn)
        if self.on_finish is not None:
            self.on_finish(conn)

    def _release(self, conn: Connection) -> None:
        """A finished connection's sinks closed and its heavy state freed (what a summary row needs stays)."""
        sink = conn.sink
        if sink is not None and sink.__class__ is SinksDue:
            sink = conn.sink = sink.first        # no event reached a sink: the payload sinks were never made
        if sink is not None:
            for side in conn.sides:
                if side.reasm is not None:
                    side.reasm.close()      # may release held bytes: a sink giving up on them unsets conn.sink
                    side.reasm.sink = None
            sink.close()
        for side in conn.sides:
            side.sa = None          # the analysis state and its unacknowledged segments
        conn._once = conn._counts = conn._seqs = None
        conn.sink = None

    def tick(self, ts: int) -> None:
        """Packet time reached ``ts`` at a frame the tracker is not given: the idle sweep runs if it is due,
        as it would at a segment (``segment`` does the same test inline, on the hot path)."""
        if ts >= self._next_expire:
            self.expire(ts)

    def expire(self, now: int) -> None:
        """Finish connections idle long enough (packet time): closed ones after ``closed_linger_ns``,
        half-open ones (the originator sent a SYN, the responder nothing at all) after
        ``half_open_timeout_ns``, any after ``idle_timeout_ns``."""
        self._next_expire = now + 10_000_000_000
        self._clock = now
        self.finished_keys.forget(now)
        if self.wholes:
            # whole records idle long enough finished, open ones made connections for the tests below
            self.wholes.expire(now)
        linger, idle, half = self.closed_linger_ns, self.idle_timeout_ns, self.half_open_timeout_ns
        # only what has been idle longer than the shortest timeout is tested further (most open connections,
        # and the closed ones lingering, are not: one comparison each)
        done = [conn for conn in self.flows.idle_entries(now - min(linger, idle, half))
                if now - conn.last_ts > idle or (now - conn.last_ts > linger and conn.closed)
                or (now - conn.last_ts > half and not conn.sides[1].pkts and conn.sides[0].syn_frame)]
        if self.attempts:
            # as the same test reads for a connection that saw only its SYN (never closed)
            done += [att for att in self.attempts.values()
                     if now - att.ts > idle or (now - att.ts > half and att.num)]
        for conn in sorted(done, key=_stream_of):
            self._finish_pending(conn)

    def finish(self) -> list[dict[str, Any]]:
        """End of capture: finish every connection; return all summary rows in stream order."""
        self.close_all()
        return self.summaries()

    def close_all(self) -> None:
        """End of capture: finish every connection (sinks closed), without building summary rows."""
        if self.wholes:
            self.wholes.close_all()         # (open ones become connections, finished below)
        pending = sorted([*self.flows.entries(), *self.attempts.values()], key=_stream_of)
        for i, conn in enumerate(pending):
            pending[i] = None           # each one released once finished (the end of a SYN flood stays flat)
            self._finish_pending(conn)
        self.finished.sort(key=_stream_of)

    def summaries(self, details: bool = True, release: bool = False) -> list[dict[str, Any]]:
        """Summary rows of the finished connections, in stream order (``details``: with the handshake,
        teardown and reset facts). ``release``: forget each connection once its row is made (a last call:
        memory then holds the rows or the connections, not both)."""
        conns = sorted(self.finished, key=_stream_of)
        if not release:
            return [summarize(conn, details) for conn in conns]
        self.finished = []
        rows = []
        for i, conn in enumerate(conns):
            conns[i] = None
            rows.append(summarize(conn, details))
        return rows

    def connections(self) -> list[Connection]:
        """The connections still in the table (not yet finished), in stream order (attempts become
        connections)."""
        for att in list(self.attempts.values()):
            self.promote(att)
        if self.wholes:
            self.wholes.promote_all()
        return sorted(self.flows.entries(), key=_stream_of)


# SynOptions are never changed once read, and a capture has few distinct ones: sides share them.
_SYN_OPTIONS: dict[tuple, SynOptions] = {}


# Option bytes already read -> their SynOptions, the eight value bytes of a timestamps option left out of the
# key: (length, offset of those bytes, the option bytes without them). A walk over option bytes that equal a read
# one's everywhere but there takes the same steps (every kind and length byte is the same) and gives the same
# result (timestamps is a yes/no), so most SYNs of a capture need no walk. _TS_AT: option length -> offsets.
_SYN_BY_LAYOUT: dict[tuple[int, int, bytes], SynOptions] = {}
_TS_AT: dict[int, tuple[int, ...]] = {}


def _fin_acked(me: Side, peer: Side, num: int, ts: int) -> None:
    """``me`` acknowledges ``peer``'s FIN in frame ``num``: both RFC 793 states move, and whichever enters
    TIME_WAIT by it records when."""
    peer.fin_acked_frame = num
    peer.fin_acked_ts = ts
    old_me, old_peer = me.rfc, peer.rfc
    _rfc(me, "rcv_fin")
    _rfc(peer, "fin_acked")
    if me.rfc == S.R_TIME_WAIT and old_me != S.R_TIME_WAIT:
        me.time_wait_frame, me.time_wait_ts = num, ts
    if peer.rfc == S.R_TIME_WAIT and old_peer != S.R_TIME_WAIT:
        peer.time_wait_frame, peer.time_wait_ts = num, ts


def _fin_sent(conn: Connection, me: Side, d: int, seq: int, seglen: int, num: int, ts: int) -> None:
    """A FIN from ``me`` (direction ``d``): the history letter, and on its first FIN where it sits in the
    stream, when, whether it closed first, and its states."""
    conn.letter(d, "f", seq)
    if me.fin_seq is None:
        me.fin_seq = (seq + seglen) & M32
        me.fin_frame, me.fin_ts = num, ts
        if conn.first_fin < 0:
            conn.first_fin = d
        _rfc(me, "snd_fin")
        me.endpoint = _ENDPOINT[me.endpoint].get("fin", me.endpoint)


def _steady(conn: Connection, me: Side, peer: Side, d: int, seq: int, ack: int, seglen: int, raw_window: int,
            has_ack: Any) -> None:
    """An established connection's segment on :meth:`TcpTracker.segment`'s fast path (and :meth:`TcpTracker.plain`'s
    copy of it), after the counters: the history letters in that path's order (g, a, t, d, w), the highest
    sequence number sent, retransmissions and zero windows."""
    if has_ack:
        seen = peer.max_end if peer.max_end is not None else peer.data_base
        if 0 < ((ack - seen) & M32) < HALF:
            conn.letter(1 - d, "g")
        if not seglen and ("A" if d == 0 else "a") not in conn._once:
            conn.letter(d, "a")
    if seglen:
        end = (seq + seglen) & M32
        m = me.max_end
        if m is None:
            me.max_end = end
        elif ((seq - m) & M32) >= HALF:
            conn.letter(d, "t")
            me.retransmissions += 1
            if 0 < ((end - m) & M32) < HALF:
                me.max_end = end
        else:
            me.max_end = end
        if ("D" if d == 0 else "d") not in conn._once:
            conn.letter(d, "d")
    if raw_window == 0:
        me.zero_windows += 1
        conn.letter(d, "w")


def _shared_syn_options(opts: bytes) -> SynOptions:
    n = len(opts)
    for at in _TS_AT.get(n, ()):
        shared = _SYN_BY_LAYOUT.get((n, at, opts[:at] + opts[at + 8:]))
        if shared is not None:
            return shared
    so = parse_syn_options(opts) if opts else SynOptions()
    key = (so.mss, so.wscale, so.sack_perm, so.timestamps)
    shared = _SYN_OPTIONS.get(key)
    if shared is None:
        if len(_SYN_OPTIONS) >= 4096:
            _SYN_OPTIONS.clear()
        shared = _SYN_OPTIONS[key] = so
    at = -1
    for kind, i, length in walk_options(opts):
        if kind == 8:
            if at >= 0 or length != 10:
                return shared       # two timestamps options, or one of another length: not remembered
            at = i + 2
    if len(_SYN_BY_LAYOUT) >= 4096:
        _SYN_BY_LAYOUT.clear()
        _TS_AT.clear()
    if at < 0:
        at = n          # no timestamps: the whole bytes are the key
    _SYN_BY_LAYOUT[(n, at, opts[:at] + opts[at + 8:])] = shared
    offsets = _TS_AT.get(n, ())
    if at not in offsets and len(offsets) < 8:
        _TS_AT[n] = (*offsets, at)
    return shared


def plain_ok(conn: Connection | Attempt) -> bool:
    """True when :meth:`TcpTracker.plain` may take a plain segment (ACK, no SYN/RST) of ``conn``: a
    connection (not an attempt) without sink, not finished, both SYNs acknowledged, both data starts known."""
    if conn.__class__ is not Connection or conn.sink is not None or conn.finished:
        return False
    o, r = conn.sides
    return bool(o.syn_acked_frame and r.syn_acked_frame and o.data_base is not None and r.data_base is not None)


def _stream_of(conn: Connection) -> int:
    return conn.stream


def _service_rank(port: int) -> int:
    """How much a port looks like a server's: well-known 2, registered 1, ephemeral 0."""
    if port < 1024:
        return 2
    if port < 49152:
        return 1
    return 0


# -- summaries ---------------------------------------------------------------------------------------
def _side_name(d: int) -> str:
    return "orig" if d == 0 else "resp"


def summarize(conn: Connection, details: bool = True) -> dict[str, Any]:
    """One connection as a report row: Zeek conn.log names, tshark-like counters, handshake/teardown."""
    o, r = conn.sides
    tw = [d for d in (0, 1) if conn.sides[d].rfc == S.R_TIME_WAIT]
    time_wait = _time_wait(tw)
    row: dict[str, Any] = {
        "proto": "tcp",
        "stream": conn.stream,
        "ts": seconds(conn.first_ts),
        "id.orig_h": _addr(o.addr), "id.orig_p": o.port,
        "id.resp_h": _addr(r.addr), "id.resp_p": r.port,
        "conn_state": conn.conn_state(),
        "history": "".join(conn.history),
        "orig_pkts": o.pkts, "resp_pkts": r.pkts,
        "orig_bytes": o.unique_payload(), "resp_bytes": r.unique_payload(),
        "orig_frame_bytes": o.frame_bytes, "resp_frame_bytes": r.frame_bytes,
        "duration": seconds(conn.last_ts - conn.first_ts),
        "irtt": seconds(conn.ca.first_rtt) if conn.ca.first_rtt else None,
        "closed_by": None if conn.first_fin < 0 else _side_name(conn.first_fin),
        "time_wait": time_wait,
        "orig_state": o.rfc, "resp_state": r.rfc,
        "orig_guessed": conn.orig_guessed,
        "port_reuse": conn.port_reuse,
        "first_frame": conn.first_frame, "last_frame": conn.last_frame,
        "first_ts_ns": conn.first_ts, "last_ts_ns": conn.last_ts,
    }
    if not details:
        return row
    row["handshake"] = _handshake(conn)
    row["teardown"] = _teardown(conn, tw)
    row["resets"] = _resets(conn)
    # segments whose data starts below the highest byte already seen (resent or reordered)
    row["orig_retransmissions"], row["resp_retransmissions"] = o.retransmissions, r.retransmissions
    row["orig_zero_windows"], row["resp_zero_windows"] = o.zero_windows, r.zero_windows
    row["open_at_end"] = not conn.closed
    for name, side in (("orig", o), ("resp", r)):
        row[name + "_payload_bytes"] = side.payload_bytes        # every payload byte sent, resent ones too
        row[name + "_first_ts"] = seconds(side.first_ts) if side.pkts else None
        row[name + "_last_ts"] = seconds(side.last_ts) if side.pkts else None
    if o.reasm is not None or r.reasm is not None:
        row["gaps"] = {"orig": o.reasm.gap_bytes if o.reasm else 0, "resp": r.reasm.gap_bytes if r.reasm else 0}
    return row


def summarize_brief(conn: Connection) -> dict[str, Any]:
    """The keys of :func:`summarize`'s row that the timeline reads (its connection facts and steps), with the
    same values: the addresses, the iRTT, TIME_WAIT, the handshake's ACK frame, ISNs and options, the
    teardown's kind, closer and frames, the resets' side, frame and state. Left out: the counters, the history
    and every other time as a seconds text (a dozen texts a connection), which reports showing a row want; the
    timeline makes a row for each stretch of every connection. tests/test_timeline_summary_brief.py: its
    outputs are the same with the whole row."""
    o, r = conn.sides
    tw = [d for d in (0, 1) if conn.sides[d].rfc == S.R_TIME_WAIT]
    hs: dict[str, Any] = {"ack_frame": conn.handshake_ack_frame or None, "orig_isn": o.isn, "resp_isn": r.isn}
    _syn_options(hs, o, r)
    td: dict[str, Any] | None = None
    if conn.first_fin >= 0:
        a = conn.sides[conn.first_fin]
        b = conn.sides[1 - conn.first_fin]
        td = {"active_closer": _side_name(conn.first_fin), "kind": _close_kind(a, b),
              "first_fin_frame": a.fin_frame, "first_fin_acked_frame": a.fin_acked_frame or None,
              "second_fin_frame": b.fin_frame or None, "second_fin_acked_frame": b.fin_acked_frame or None}
        for d in tw:
            td[_side_name(d) + "_time_wait_from_frame"] = conn.sides[d].time_wait_frame
    return {
        "id.orig_h": _addr(o.addr), "id.resp_h": _addr(r.addr),
        "irtt": seconds(conn.ca.first_rtt) if conn.ca.first_rtt else None,
        "time_wait": _time_wait(tw),
        "handshake": hs,
        "teardown": td,
        "resets": [{"by": _side_name(d), "frame": side.rst_frame, "state": side.rst_in_state}
                   for d, side in enumerate(conn.sides) if side.rst_frame],
    }


def _time_wait(tw: list[int]) -> str | None:
    """Who holds TIME_WAIT (the sides in ``tw``): "orig", "resp", "both" or None."""
    return None if not tw else ("both" if len(tw) == 2 else _side_name(tw[0]))


def _addr(a: Any) -> str:
    if isinstance(a, bytes):
        import ipaddress
        return str(ipaddress.ip_address(a))
    return str(a)


def _handshake(conn: Connection) -> dict[str, Any]:
    o, r = conn.sides
    hs: dict[str, Any] = {
        "syn_frame": o.syn_frame or None, "syn_ts": seconds(o.syn_ts) if o.syn_frame else None,
        "synack_frame": conn.synack_frame or None,
        "synack_ts": seconds(conn.synack_ts) if conn.synack_frame else None,
        "ack_frame": conn.handshake_ack_frame or None,
        "ack_ts": seconds(conn.handshake_ack_ts) if conn.handshake_ack_frame else None,
        "simultaneous_open": conn.simultaneous_open,
        "orig_isn": o.isn, "resp_isn": r.isn,
        "complete": bool(o.syn_frame and r.syn_frame and o.syn_acked_frame and r.syn_acked_frame),
    }
    _syn_options(hs, o, r)
    return hs


def _syn_options(hs: dict[str, Any], o: Side, r: Side) -> None:
    """Adds to ``hs`` each side's SYN options and what the two agreed on."""
    for name, side in (("orig", o), ("resp", r)):
        if side.syn_opts is not None:
            hs[name + "_options"] = side.syn_opts.as_dict()
    ws_o = o.syn_opts.wscale if o.syn_opts else None
    ws_r = r.syn_opts.wscale if r.syn_opts else None
    hs["window_scaling"] = ws_o is not None and ws_r is not None
    hs["sack"] = bool(o.syn_opts and r.syn_opts and o.syn_opts.sack_perm and r.syn_opts.sack_perm)
    hs["timestamps"] = bool(o.syn_opts and r.syn_opts and o.syn_opts.timestamps and r.syn_opts.timestamps)
    mss = [s.syn_opts.mss for s in (o, r) if s.syn_opts and s.syn_opts.mss]
    hs["mss"] = min(mss) if mss else None


def _teardown(conn: Connection, tw: list[int]) -> dict[str, Any] | None:
    if conn.first_fin < 0:
        return None
    a = conn.sides[conn.first_fin]
    b = conn.sides[1 - conn.first_fin]
    td: dict[str, Any] = {
        "active_closer": _side_name(conn.first_fin),
        "kind": _close_kind(a, b),
        "half_close": bool(b.data_after_peer_fin),
        "data_after_fin": b.data_after_peer_fin,
        "first_fin_frame": a.fin_frame, "first_fin_ts": seconds(a.fin_ts),
        "first_fin_acked_frame": a.fin_acked_frame or None,
        "second_fin_frame": b.fin_frame or None, "second_fin_ts": seconds(b.fin_ts) if b.fin_frame else None,
        "second_fin_acked_frame": b.fin_acked_frame or None,
    }
    for d in tw:
        side = conn.sides[d]
        td[_side_name(d) + "_time_wait_from_frame"] = side.time_wait_frame
        td[_side_name(d) + "_time_wait_until"] = seconds(side.time_wait_ts + LINUX_TIME_WAIT_NS)
    return td


def _close_kind(a: Side, b: Side) -> str:
    """How the close went, ``a`` having sent the first FIN."""
    rst = [side.rst_frame for side in (a, b) if side.rst_frame and side.rst_frame > a.fin_frame]
    if rst and (not b.fin_frame or min(rst) < b.fin_frame or not b.fin_acked_frame):
        return "aborted by reset after the first FIN"
    if b.fin_frame == 0:
        return "half-close" if b.data_after_peer_fin else "one FIN"
    if a.fin_acked_frame and a.fin_acked_frame == b.fin_frame:
        return "three-way (FIN+ACK piggy-backed)"
    if a.fin_acked_frame and a.fin_acked_frame < b.fin_frame:
        return "four-way"
    return "simultaneous close"


def _resets(conn: Connection) -> list[dict[str, Any]]:
    out = []
    for d in (0, 1):
        side = conn.sides[d]
        if side.rst_frame:
            out.append({"by": _side_name(d), "frame": side.rst_frame, "ts": seconds(side.rst_ts),
                        "state": side.rst_in_state})
    return out
