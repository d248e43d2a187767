"""Wireshark's per-frame TCP sequence analysis (``tcp.analysis.*``), relative numbers and window scaling.

Theory of operation
-------------------
Each direction of a connection has a :class:`SeqState` (Wireshark's ``tcp_flow_t`` plus its
``tcp_analyze_seq_info``). :func:`analyze` takes one segment in raw (absolute) numbers, updates both
directions' state and returns the fields Wireshark 4.0 puts on that frame: ``tcp.seq``, ``tcp.ack``,
``tcp.nxtseq``, ``tcp.window_size``, ``tcp.window_size_scalefactor`` and, when there is anything to say,
``tcp.analysis.*``.

The checks and their order are Wireshark's (``tcp_analyze_sequence_number`` in packet-tcp.c): zero window
probe, zero window, lost segment, keep-alive, window update, window full, keep-alive ACK, zero window probe
ACK, duplicate ACK; then ACKed-unseen; then retransmission / fast retransmission / out-of-order / spurious
retransmission for segments that carry data, SYN or FIN. As in Wireshark, a value of 0 in ``nextseq``,
``lastack`` and ``maxseqtobeacked`` means "not seen yet" and sequence comparisons are modulo 2**32
(``GT_SEQ(a, b)`` is ``(int32)(a - b) > 0``). Unacknowledged segments are kept per direction (at most
``MAX_UNACKED`` of them) to match ACKs to the frames they acknowledge (``ack_rtt``, ``acks_frame``) and to
compute ``bytes_in_flight`` (and, beside it, ``push_bytes_sent``: the bytes sent since the last PSH).

How a resent segment is named (Wireshark 4.0, in this order): *spurious* when the receiver already
acknowledged all of it; *fast retransmission* when it starts at the receiver's last ACK, which was repeated
at least twice, within 20 ms of that ACK; *out-of-order* when it arrives within one initial RTT (3 ms while
the RTT is unknown) of the segment that carried the highest sequence number and does not exactly end there;
otherwise a *retransmission*, whose ``rto`` is the time since the eldest segment still unacknowledged (since
the highest one when none is). The out-of-order rule is a timing guess that ignores SACK; we keep it as it
is, because these fields are Wireshark's vocabulary (the connection summaries count resent bytes by sequence
numbers instead). SACK edges are shown relative, in the acknowledgment number's space.
"""

from __future__ import annotations

from typing import Any

from analyzer.compiled import compiled

M32 = 0xFFFFFFFF
HALF = 0x80000000
MAX_UNACKED = 10000          # Wireshark's TCP_MAX_UNACKED_SEGMENTS
DEFAULT_OOO_NS = 3_000_000   # out-of-order threshold while the initial RTT is unknown (3 ms)

# TCP header flag bits
FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80

# Analysis flag bits (Wireshark's TCP_A_*), each with its field name.
A_RETRANSMISSION = 0x0001
A_LOST_PACKET = 0x0002
A_ACK_LOST_PACKET = 0x0004
A_KEEP_ALIVE = 0x0008
A_DUPLICATE_ACK = 0x0010
A_ZERO_WINDOW = 0x0020
A_ZERO_WINDOW_PROBE = 0x0040
A_ZERO_WINDOW_PROBE_ACK = 0x0080
A_KEEP_ALIVE_ACK = 0x0100
A_OUT_OF_ORDER = 0x0200
A_FAST_RETRANSMISSION = 0x0400
A_WINDOW_UPDATE = 0x0800
A_WINDOW_FULL = 0x1000
A_REUSED_PORTS = 0x2000
A_SPURIOUS_RETRANSMISSION = 0x4000

FLAG_FIELDS: tuple[tuple[int, str], ...] = (
    (A_RETRANSMISSION, "tcp.analysis.retransmission"),
    (A_FAST_RETRANSMISSION, "tcp.analysis.fast_retransmission"),
    (A_SPURIOUS_RETRANSMISSION, "tcp.analysis.spurious_retransmission"),
    (A_OUT_OF_ORDER, "tcp.analysis.out_of_order"),
    (A_LOST_PACKET, "tcp.analysis.lost_segment"),
    (A_ACK_LOST_PACKET, "tcp.analysis.ack_lost_segment"),
    (A_KEEP_ALIVE, "tcp.analysis.keep_alive"),
    (A_KEEP_ALIVE_ACK, "tcp.analysis.keep_alive_ack"),
    (A_DUPLICATE_ACK, "tcp.analysis.duplicate_ack"),
    (A_ZERO_WINDOW, "tcp.analysis.zero_window"),
    (A_ZERO_WINDOW_PROBE, "tcp.analysis.zero_window_probe"),
    (A_ZERO_WINDOW_PROBE_ACK, "tcp.analysis.zero_window_probe_ack"),
    (A_WINDOW_UPDATE, "tcp.analysis.window_update"),
    (A_WINDOW_FULL, "tcp.analysis.window_full"),
    (A_REUSED_PORTS, "tcp.analysis.reused_ports"),
)
# Flags Wireshark counts as "expert" analysis (tcp.analysis.flags present); window update is one too.
ANALYSIS_FIELD = dict(FLAG_FIELDS)


def seq_gt(a: int, b: int) -> bool:
    """``a`` after ``b`` modulo 2**32 (Wireshark's GT_SEQ)."""
    return 0 < ((a - b) & M32) < HALF


def seq_lt(a: int, b: int) -> bool:
    """``a`` before ``b`` modulo 2**32 (Wireshark's LT_SEQ)."""
    return ((a - b) & M32) >= HALF


def seconds(ns: int) -> str:
    """A relative time as tshark prints it: seconds with nine decimals."""
    if ns < 0:
        return "-" + seconds(-ns)
    s, f = divmod(ns, 1_000_000_000)
    return f"{s}.{f:09d}"


class SeqState:
    """One direction's sequence-analysis state (what Wireshark keeps per flow)."""

    __slots__ = (
        "base_seq",
        "dupacknum",
        "lastack",
        "lastacktime",
        "lastnondupack",
        "lastsegmentflags",
        "maxseqtobeacked",
        "nextseq",
        "nextseqframe",
        "nextseqtime",
        "push_bytes_sent",
        "push_set_last",
        "sack",
        "segments",
        "valid_bif",
        "win_scale",
        "window",
    )

    def __init__(self) -> None:
        self.base_seq: int | None = None
        self.nextseq = 0
        self.nextseqframe = 0
        self.nextseqtime = 0
        self.maxseqtobeacked = 0
        self.lastack = 0
        self.lastacktime = 0
        self.lastnondupack = 0
        self.dupacknum = 0
        self.window = M32            # last (scaled) window this direction advertised; unknown = max
        self.win_scale = -1          # -1 unknown, -2 no scaling in use, else the shift count
        self.lastsegmentflags = 0
        self.valid_bif = True
        self.push_bytes_sent = 0     # bytes sent since the last segment with PSH (its own included), mod 2**32
        self.push_set_last = False   # the last data segment counted there had PSH
        # unacknowledged segments, oldest first: [seq, nextseq, frame, ts_ns]; () until the first one (a side
        # that never sent data keeps no list: memory per half-open connection), None once released
        self.segments: list[list[int]] | tuple | None = ()
        self.sack: tuple[tuple[int, int], ...] = ()   # last SACK blocks this direction sent

    def release(self) -> None:
        """Drop the unacknowledged-segment list (the connection is over; keep the small counters)."""
        self.segments = None


class ConnAnalysis:
    """Connection-wide analysis state: the initial RTT and the time of the most recent SYN."""

    __slots__ = ("first_rtt", "mru_syn", "rtt_text")

    def __init__(self) -> None:
        self.first_rtt = 0
        self.mru_syn = 0
        self.rtt_text: tuple[int, str] | None = None   # (first_rtt, its text): most frames show it

    def first_rtt_text(self) -> str:
        """``first_rtt`` as tshark prints it, made once per value."""
        cached = self.rtt_text
        if cached is None or cached[0] != self.first_rtt:
            cached = self.rtt_text = (self.first_rtt, seconds(self.first_rtt))
        return cached[1]


def window_scaling_on_syn(fwd: SeqState, rev: SeqState, shift: int | None, is_synack: bool) -> None:
    """Record the window-scale option of a SYN or SYN-ACK (Wireshark's verify_tcp_window_scaling)."""
    if shift is not None:
        fwd.win_scale = min(shift, 14)
    if fwd.win_scale == -1:
        fwd.win_scale = -2
        rev.win_scale = -2
    elif is_synack and rev.win_scale == -2:
        fwd.win_scale = -2


_SACK_EDGES = ("tcp.options.sack_le", "tcp.options.sack_re", "tcp.options.sack.dsack_le",
               "tcp.options.sack.dsack_re")


def _relative_sack(out: dict[str, Any], base: int) -> None:
    """SACK edges in the acknowledgment number's space, relative as ``tcp.ack`` is (tshark's default)."""
    for name in _SACK_EDGES:
        v = out.get(name)
        if v is None:
            continue
        out[name] = [(e - base) & M32 for e in v] if type(v) is list else (v - base) & M32


def analyze(ca: ConnAnalysis, fwd: SeqState, rev: SeqState, ts: int, num: int, seq: int, ack: int,
            seglen: int, flags: int, raw_window: int, out: dict[str, Any], a: int = 0) -> int:
    """Analyse one segment sent in direction ``fwd``; add Wireshark's fields to ``out``.

    ``a`` holds flags already decided by the caller (``A_REUSED_PORTS``). Returns the analysis flag bits.
    """
    M = M32
    H = HALF
    is_syn = flags & SYN
    # -- relative numbers ----------------------------------------------------------------------------
    if fwd.base_seq is None:
        fwd.base_seq = seq if is_syn else (seq - 1) & M
    if rev.base_seq is None and flags & ACK:
        rev.base_seq = (ack - 1) & M
    # -- initial RTT: first pure ACK after the most recent SYN --------------------------------------
    if flags & (SYN | ACK) == ACK:
        if ca.mru_syn and not ca.first_rtt:
            # (a zero RTT is "not measured yet", as tshark has it: the next ACK stamped apart from the SYN measures)
            ca.first_rtt = ts - ca.mru_syn
    elif flags & (SYN | ACK) == SYN:
        ca.mru_syn = ts
    if flags & ACK:
        rev.valid_bif = True
    # -- calculated window ---------------------------------------------------------------------------
    if is_syn or fwd.win_scale < 0:
        window = raw_window
    else:
        window = raw_window << fwd.win_scale
    out["tcp.window_size"] = window
    if not is_syn:      # the factor this side's windows are multiplied by: -1 not known (no SYN seen), -2 none
        ws = fwd.win_scale
        out["tcp.window_size_scalefactor"] = ws if ws < 0 else 1 << ws

    have_ta = False
    fwd_nextseq = fwd.nextseq
    no_sfr = not flags & (SYN | FIN | RST)

    # ZERO WINDOW PROBE: 1 byte at the next expected seq while the peer's window is 0
    if seglen == 1 and seq == fwd_nextseq and rev.window == 0:
        a |= A_ZERO_WINDOW_PROBE
    else:
        if window == 0 and not flags & (RST | FIN | SYN):
            a |= A_ZERO_WINDOW
        if fwd_nextseq and 0 < ((seq - fwd_nextseq) & M) < H and not flags & RST:
            a |= A_LOST_PACKET
            fwd.valid_bif = False
        if seglen <= 1 and seq == ((fwd_nextseq - 1) & M) and no_sfr:
            a |= A_KEEP_ALIVE
        same_seq_ack = seglen == 0 and seq == fwd_nextseq and ack == fwd.lastack and no_sfr
        if same_seq_ack and window and window != fwd.window:
            a |= A_WINDOW_UPDATE
        if (seglen > 0 and rev.win_scale != -1 and no_sfr and rev.window != M
                and ((seq + seglen) & M) == ((rev.lastack + rev.window) & M)):
            a |= A_WINDOW_FULL
        if same_seq_ack and window and window == fwd.window and rev.lastsegmentflags & A_KEEP_ALIVE:
            a |= A_KEEP_ALIVE_ACK
        elif (seglen == 0 and window == 0 and window == fwd.window and seq == fwd_nextseq
              and (ack == fwd.lastack or ack == ((fwd.lastack + 1) & M))
              and rev.lastsegmentflags & A_ZERO_WINDOW_PROBE and no_sfr):
            a |= A_ZERO_WINDOW_PROBE_ACK
        elif same_seq_ack and window and window == fwd.window:
            fwd.dupacknum += 1
            a |= A_DUPLICATE_ACK
            out["tcp.analysis.duplicate_ack_num"] = fwd.dupacknum
            out["tcp.analysis.duplicate_ack_frame"] = fwd.lastnondupack
    # (every path continues here: Wireshark's finished_fwd label)

    if ack != fwd.lastack:
        fwd.lastnondupack = num
        fwd.dupacknum = 0

    # ACKED LOST PACKET: acknowledges data of the other direction that we never saw
    if flags & ACK and rev.maxseqtobeacked and 0 < ((ack - rev.maxseqtobeacked) & M) < H:
        a |= A_ACK_LOST_PACKET
        rev.maxseqtobeacked = rev.nextseq

    # RETRANSMISSION / FAST RETRANSMISSION / OUT-OF-ORDER / SPURIOUS
    if (seglen > 0 or flags & (SYN | FIN)) and not a & A_KEEP_ALIVE:
        seq_not_advanced = bool(fwd_nextseq) and ((seq - fwd_nextseq) & M) >= H
        if seglen > 1 and ((fwd_nextseq - 1) & M) == seq:
            seq_not_advanced = False
        kind = 0
        if (seq_not_advanced and rev.dupacknum >= 2 and rev.lastack == seq
                and ts - rev.lastacktime < 20_000_000):
            kind = A_FAST_RETRANSMISSION
        else:
            end = (seq + seglen) & M
            ooo_thres = ca.first_rtt or DEFAULT_OOO_NS
            if seglen > 0 and rev.lastack and (end == rev.lastack or ((end - rev.lastack) & M) >= H):
                kind = A_SPURIOUS_RETRANSMISSION    # LE_SEQ(seq + seglen, rev.lastack): already acked
            elif (seq_not_advanced and ts - fwd.nextseqtime < ooo_thres
                    and fwd_nextseq != (end + (1 if flags & (SYN | FIN) else 0)) & M):
                kind = A_OUT_OF_ORDER
            elif seq_not_advanced:
                kind = A_RETRANSMISSION
                # the time since the eldest segment still unacknowledged (what is most likely resent here),
                # or since the highest sequence number was sent when none is waiting
                segs = fwd.segments
                if segs:
                    out["tcp.analysis.rto"] = seconds(ts - segs[0][3])
                    out["tcp.analysis.rto_frame"] = segs[0][2]
                else:
                    out["tcp.analysis.rto"] = seconds(ts - fwd.nextseqtime)
                    out["tcp.analysis.rto_frame"] = fwd.nextseqframe
        a |= kind

    # remember this segment until it is acknowledged
    nextseq = (seq + seglen + (1 if flags & (SYN | FIN) else 0)) & M
    base = fwd.base_seq
    out["tcp.seq"] = (seq - base) & M
    out["tcp.nxtseq"] = (nextseq - base) & M
    out["tcp.ack"] = (ack - rev.base_seq) & M if flags & ACK else ack
    if "tcp.options.sack_le" in out and rev.base_seq is not None:
        # (before the peer's first segment its base is unknown: the edges stay raw, as tshark gives them)
        _relative_sack(out, rev.base_seq)
    segs = fwd.segments
    if (seglen or flags & (SYN | FIN)) and segs is not None and len(segs) < MAX_UNACKED:
        if segs == ():
            segs = fwd.segments = []
        segs.append([seq, nextseq, num, ts])
    if not a & A_ZERO_WINDOW_PROBE:
        if not fwd_nextseq or 0 < ((nextseq - fwd_nextseq) & M) < H:
            fwd.nextseq = nextseq
            fwd.nextseqframe = num
            fwd.nextseqtime = ts
        if seq == fwd.maxseqtobeacked or not fwd.maxseqtobeacked:
            fwd.maxseqtobeacked = fwd.nextseq
    fwd.lastsegmentflags = a
    fwd.window = window
    fwd.lastack = ack
    fwd.lastacktime = ts

    # remove what this ACK acknowledges from the other direction's list
    rsegs = rev.segments
    if rsegs:
        acked = None
        keep = []
        for s in rsegs:
            s_next = s[1]
            if s_next == ack:
                if acked is None:
                    acked = s
                continue
            if 0 < ((ack - s[0]) & M) < H and ((ack - s_next) & M) >= H:   # partly acknowledged
                s[0] = ack
                keep.append(s)
            elif 0 < ((s_next - ack) & M) < H:                            # not yet acknowledged
                keep.append(s)
        rev.segments = keep
        if acked is not None:
            have_ta = True
            out["tcp.analysis.acks_frame"] = acked[2]
            if ts != acked[3]:
                out["tcp.analysis.ack_rtt"] = seconds(ts - acked[3])

    # bytes in flight after this frame was sent
    if seglen and segs and fwd.valid_bif:
        first = (segs[0][0] - base) & M
        last = (segs[0][1] - base) & M
        for s in segs:
            lo = (s[0] - base) & M
            hi = (s[1] - base) & M
            last = max(last, hi)
            first = min(first, lo)
        in_flight = (last - first) & M
        for le, re in rev.sack:             # bytes the receiver reported holding are not in flight
            in_flight = (in_flight - ((re - le) & M)) & M
        if flags & FIN:                     # the FIN's sequence number is not a byte
            in_flight = (in_flight - 1) & M
        # bytes since the last PSH: a PSH segment ends a count that includes it (tshark 4.0's push_bytes_sent)
        if flags & PSH:
            fwd.push_bytes_sent = seglen if fwd.push_set_last else (fwd.push_bytes_sent + seglen) & M
            fwd.push_set_last = True
        elif fwd.push_set_last:
            fwd.push_bytes_sent = seglen
            fwd.push_set_last = False
        else:
            fwd.push_bytes_sent = (fwd.push_bytes_sent + seglen) & M
        # tshark makes the SEQ/ACK analysis of every data segment it counts here (so the initial RTT is shown
        # on it), and shows the count only beside the bytes in flight
        have_ta = True
        if 0 < in_flight < 2_000_000_000:
            out["tcp.analysis.bytes_in_flight"] = in_flight
            out["tcp.analysis.push_bytes_sent"] = fwd.push_bytes_sent

    if a:
        have_ta = True
        if a & (A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION):
            out["tcp.analysis.retransmission"] = 1     # Wireshark shows both items for these
        for bit, name in FLAG_FIELDS:
            if a & bit:
                out[name] = 1
        if a & A_DUPLICATE_ACK:
            # tshark lists this one twice: once among the analysis flags, once beside the dup-ACK number
            out["tcp.analysis.duplicate_ack"] = [1, 1]
        out["tcp.analysis.flags"] = 1
    if have_ta and ca.first_rtt:
        out["tcp.analysis.initial_rtt"] = ca.first_rtt_text()
    return a


# :func:`analyze` in C (analyzer/columnar/_speedups.c ``tcp_analyze``): the same state changes, fields (in the same
# order) and bits, or None, having changed nothing, where it declines (a value its 64-bit arithmetic might not
# take as Python does, state not shaped as analyze() keeps it): the caller then runs :func:`analyze`. None where
# the helper is not built (tests/test_read_fast_analyze.py compares the two).
analyze_compiled = compiled("tcp_analyze")
