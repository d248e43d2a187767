"""One TCP connection's facts for the timeline, from its segment log (sans-IO).

Theory of operation
-------------------
:func:`connection_facts` turns a :class:`~analyzer.timeline.collect.ConnLog` (the packed segments of one
stretch of a connection's life, the tracker's connection state, the HTTP records it carried) into a frozen
:class:`~analyzer.timeline.facts.ConnFacts`:

* relative sequence numbers as Wireshark shows them (the side's ISN, or the byte before its first seen
  data when the handshake was not captured);
* the SYN attempts of the client and the SYN-ACKs of the server (more than one: retransmitted), the outcome
  (refused, unanswered, established, reset, closed, mid-stream);
* Wireshark's sequence analysis (:func:`analyzer.tcp.analysis.analyze`: retransmission, fast
  retransmission, duplicate ACK, zero window, previous segment not captured...) replayed over the log, only
  when the tracker's counters show trouble (a resent byte, a gap, a zero window, a repeated SYN or SYN-ACK);
  otherwise there is nothing it could flag but window updates and keep-alives, which the timeline does not
  explain. The replay state lives on across the stretches of a long keep-alive connection.
* the byte range of each HTTP message in its TCP stream (:class:`Message`): stream offset 0 is the byte after
  the SYN; a request spans its head and its body as sent (chunk framing included).

:func:`owners` then says which transaction each segment belongs to: a data segment to the message its first
byte is in, a bare ACK to the message whose byte it acknowledges last, the handshake to the first
transaction and the teardown (FIN, RST and what follows) to the last one.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

from analyzer.compiled import compiled
from analyzer.tcp.analysis import (
    A_FAST_RETRANSMISSION,
    A_RETRANSMISSION,
    A_SPURIOUS_RETRANSMISSION,
    ConnAnalysis,
    SeqState,
    analyze,
    window_scaling_on_syn,
)
from analyzer.timeline.collect import REC, ConnLog, PendingConn
from analyzer.timeline.facts import ACK, FIN, RST, SYN, ConnFacts, Message, Segment

M32 = 0xFFFFFFFF
HALF = 0x80000000
RESENT = A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION
HANDSHAKE, TEARDOWN = -1, -2
PAYLOAD_FAST = True   # payload_bytes: an in-order segment inside one message counted without the general loop
# connection_facts: the segments made by the compiled conn_segments (tests/test_timeline_conn_segments.py turns it
# off to compare); the log's record layout is the one it reads
_SEGMENTS = compiled("conn_segments") if REC.format == "<IqIIHIHHB" else None
SEGMENTS_COMPILED = True
# owners: its loop over the segments made by the compiled conn_owners (tests/test_timeline_owners_compiled.py turns
# it off to compare)
_OWNERS = compiled("conn_owners")
_PAYLOAD = compiled("conn_payload")     # payload_bytes' loop, the same way (OWNERS_COMPILED turns both off)
OWNERS_COMPILED = True
# _keepalive_shaped's loop made by the compiled keepalive_shaped (tests/test_timeline_keepalive_compiled.py compares)
_KEEPALIVE = compiled("keepalive_shaped")
KEEPALIVE_COMPILED = True
_I62 = 1 << 62
TWICE_NS = 10_000_000       # a copy sooner than this, unasked, is no retransmission: no TCP timer fires that fast
SAME_ID_NS = 1_000_000_000  # a copy with its original's IPv4 ID: at most this late (a mirror port's queue, a slow tap)


class _Replay:
    """Wireshark's analysis state for one connection, kept across its stretches, and the flags found so far
    (a stretch's facts may be asked for twice: each segment is analysed once)."""

    __slots__ = ("ca", "last_frame", "results", "sides")

    def __init__(self) -> None:
        self.ca = ConnAnalysis()
        self.sides = (SeqState(), SeqState())
        self.results: dict[int, tuple[int, int]] = {}
        self.last_frame = 0


def _troubled(conn: Any, syns: int, synacks: int, summary: dict[str, Any]) -> bool:
    """Whether Wireshark's analysis flags may be set on some segment: the replay runs only then. Two cases
    where the tracker counts no retransmission: a hole never filled (a side's payload short of its sequence
    span, with no ACK of the unseen bytes either: a capture of one direction), and a simultaneous close (a FIN
    sent again with the ACK of the peer's, the ACKs after it that repeat an acknowledgment)."""
    o, r = conn.sides
    if syns > 1 or synacks > 1 or o.retransmissions or r.retransmissions or o.zero_windows or r.zero_windows:
        return True
    if "g" in conn.history or "G" in conn.history:
        return True
    if o.payload_bytes < o.unique_payload() or r.payload_bytes < r.unique_payload():
        return True         # bytes of its sequence space never seen: a hole (Wireshark's lost segment)
    td = summary.get("teardown")
    return td is not None and td.get("kind") == "simultaneous close"


def _keepalive_shaped(segments: list[Segment]) -> bool:
    """A segment shaped like Wireshark's keep-alive (no SYN, FIN or RST, at most 1 byte, at its sender's next
    sequence number - 1): the replay then runs, so that a keep-alive on a connection with nothing else to flag is
    told too (the tracker counts no retransmission for it). Every segment of a connection with nothing else to
    flag is looked at: by the compiled ``keepalive_shaped`` where it was built (its Python twin below)."""
    if _KEEPALIVE is not None and KEEPALIVE_COMPILED:
        got = _KEEPALIVE(segments)
        if got is not None:
            return got
    return _keepalive_loop(segments)


def _keepalive_loop(segments: list[Segment]) -> bool:
    """:func:`_keepalive_shaped` in Python (the compiled one declines a value it does not know)."""
    nxt = [0, 0]
    for s in segments:
        d = s.direction
        length = s.length
        end = s.rel_seq + length
        if length <= 1 and not s.flags & 0x07 and s.rel_seq == nxt[d] - 1 and nxt[d] > 1:
            return True
        if s.flags & 0x03:
            end += 1
        nxt[d] = max(nxt[d], end)
    return False


def _fin_trouble(conn: Any, segments: list, summary: dict[str, Any]) -> bool:
    """Whether the close had trouble the tracker counts nowhere: a FIN sent again (the tracker counts resent bytes,
    not FINs), or a side's segment that comes after its FIN in sequence space before the FIN itself was seen (the
    FIN was lost before the capture point). Only the segments around the close are looked at (a few)."""
    td = summary.get("teardown")
    if td is None or not segments:
        return False
    i = bisect_left(segments, td.get("first_fin_frame") or 0, key=lambda s: s.frame)
    tail = segments[max(i - 8, 0):i + 56]
    sides = conn.sides
    fins = [0, 0]
    for s in tail:
        d = s.direction
        side = sides[d]
        if s.flags & FIN:
            fins[d] += 1
            if fins[d] > 1:
                return True         # a second FIN (a copy the capture made counts too: the replay tells them apart)
        elif side.fin_seq is not None and s.seq == (side.fin_seq + 1) & M32 and s.frame < side.fin_frame:
            return True             # past the FIN before the FIN: it was lost before the capture point
    return False


def _base(side: Any, first_seq: int | None, first_ack: int | None = None, first: bool = True) -> int | None:
    """Wireshark's base sequence number of a side: its ISN; else, when the other side's ack (``first_ack``)
    came before anything the side sent (in the connection's ``first`` stretch, or it sent no data), the byte
    before that ack; else the byte before its first seen data, else before its first segment's seq."""
    if side.isn is not None:
        return side.isn
    if first_ack is not None and (first or side.data_base is None):
        return (first_ack - 1) & M32
    if side.data_base is not None:
        return (side.data_base - 1) & M32
    if first_seq is not None:
        return (first_seq - 1) & M32
    return None


def connection_facts(log: ConnLog, summary: dict[str, Any], *, settled: bool, until_frame: int | None = None,
                     records: list | None = None, next_request: tuple[int, str] | None = None,
                     tls: Any = None) -> ConnFacts:
    """The facts of the stretch of ``log``'s connection that ``log`` holds (see the module docstring): its
    segments before ``until_frame`` when given, and ``records`` (default: the log's)."""
    conn = log.conn
    o, r = conn.sides
    if conn.__class__ is PendingConn:
        conn.real()             # its SYN is logged now (as log.rows() would)
    if records is None:
        records = log.records
    until = until_frame if until_frame is not None else 1 << 40
    base = log.base_ts
    packed = None
    # the bases (Wireshark's): a side's ISN; without its SYN, the first of its own first segment and the other
    # side's first ack to it ("Ack=1" where the side sent nothing, or sent only later); the scan stops once both
    # are known for both sides (at the first or second record, mostly)
    first_seq: list[int | None] = [None, None]
    first_ack: list[int | None] = [None, None]      # by the side acked, when before anything that side sent
    if o.isn is None or r.isn is None:
        for frame, _t, seq, ack, fl, _length, _win, _id, _ttl in REC.iter_unpack(log.log):
            if frame >= until:
                continue
            d = fl >> 15
            if first_seq[d] is None:
                first_seq[d] = seq
            if fl & ACK and first_seq[1 - d] is None and first_ack[1 - d] is None:
                first_ack[1 - d] = ack
            if first_ack[1 - d] is not None or first_seq[1 - d] is not None:
                break       # both sides' bases are known (this side's: its first segment, here at the latest)
    first = not log.epoch
    b0, b1 = _base(o, first_seq[0], first_ack[0], first), _base(r, first_seq[1], first_ack[1], first)
    # one pass: the segments (no analysis flags yet) and the SYN/SYN-ACK attempts; in C when it was built
    got = _SEGMENTS(log.log, until, base, -1 if b0 is None else b0, -1 if b1 is None else b1, Segment) \
        if _SEGMENTS is not None and SEGMENTS_COMPILED and -_I62 < base < _I62 and until < _I62 \
        and (b0 is None or 0 <= b0 <= M32) and (b1 is None or 0 <= b1 <= M32) else None
    if got is not None:
        segments, syns, synacks = got
    else:
        if packed is None:
            packed = list(REC.iter_unpack(log.log))
        segments, syns, synacks = _segments(packed, until, base, b0, b1)
    if log.replay is not None or _troubled(conn, len(syns), len(synacks), summary) or _keepalive_shaped(segments) \
            or _fin_trouble(conn, segments, summary):
        if packed is None:
            packed = list(REC.iter_unpack(log.log))
        rows = [(frame, t + base, seq, ack, fl, length, win)
                for frame, t, seq, ack, fl, length, win, _id, _ttl in packed if frame < until]
        analysis = _replay(log, rows, o, r)
        if analysis:
            get = analysis.get
            for i, s in enumerate(segments):
                got_flags = get(s[0])
                if got_flags is not None:
                    segments[i] = s._replace(analysis=got_flags[0], rto_frame=got_flags[1])
        twice = copies(segments)
    else:
        twice = {}
    hs = summary.get("handshake") or {}
    ack_frame = hs.get("ack_frame")
    handshake_ack = (ack_frame, conn.handshake_ack_ts) if ack_frame else None
    outcome = _outcome(log, summary, syns, synacks, segments, settled)
    messages = _messages(records, o) if tls is None else []     # decrypted HTTP: plaintext offsets
    first = segments[0] if segments else None
    last = segments[-1] if segments else None
    return ConnFacts(
        stream=conn.stream, client=summary.get("id.orig_h", str(o.addr)), client_port=o.port,
        server=summary.get("id.resp_h", str(r.addr)), server_port=r.port, outcome=outcome,
        syns=tuple(syns), synacks=tuple(synacks), handshake_ack=handshake_ack, segments=tuple(segments),
        records=tuple(records), messages=tuple(messages), summary=summary,
        first_ts_ns=first.ts_ns if first else conn.first_ts, last_ts_ns=last.ts_ns if last else conn.last_ts,
        first_frame=first.frame if first else conn.first_frame, last_frame=last.frame if last else conn.last_frame,
        epoch=log.epoch, settled=settled, truncated=log.truncated, cut=log.cut, next_hop_mac=log.next_hop_mac,
        dns=log.dns,
        http_sink=bool(records), next_request=next_request, tls=tls, copies=twice,
        stamps=tuple(log.stamps) if log.stamps else (),
        conflicts=tuple((f, d, _relative(seq, b0 if d == 0 else b1), e) for f, d, seq, e in log.conflicts or ()
                        if (first is None or f >= first.frame) and f < until))


def _relative(seq: int, base: int | None) -> int:
    return (seq - base) & M32 if base is not None else seq


def _segments(packed: list, until: int, base: int, b0: int | None, b1: int | None) -> tuple[list, list, list]:
    """:func:`connection_facts`' one pass in Python (the compiled ``conn_segments`` is the same): the Segments of
    the records before ``until``, the client's SYNs and the server's SYN-ACKs as (frame, time)."""
    syns: list[tuple[int, int]] = []
    synacks: list[tuple[int, int]] = []
    segments: list[Segment] = []
    append = segments.append
    make = tuple.__new__
    for frame, t, seq, ack, fl, length, win, ip_id, ttl in packed:
        if frame >= until:
            continue
        ts = t + base
        d = fl >> 15
        flags = fl & 0x0FFF
        if flags & SYN:
            if flags & ACK:
                if d == 1:
                    synacks.append((frame, ts))
            elif d == 0:
                syns.append((frame, ts))
        if d == 0:
            rel_seq = (seq - b0) & M32 if b0 is not None else seq
            rel_ack = ((ack - b1) & M32 if b1 is not None else ack) if flags & ACK else 0
        else:
            rel_seq = (seq - b1) & M32 if b1 is not None else seq
            rel_ack = ((ack - b0) & M32 if b0 is not None else ack) if flags & ACK else 0
        append(make(Segment, (frame, ts, d, flags, seq, ack, rel_seq, rel_ack, length, win, 0, 0, ip_id, ttl)))
    return segments, syns, synacks


def copies(segments: list[Segment]) -> dict[int, int]:
    """The segments that are the same packet seen again by the capture, not sent again: {frame: frame of the
    first copy}.

    A later segment is a copy of an earlier one when everything TCP writes is the same (direction, sequence and
    acknowledgment numbers, flags, window, payload length) and either

    * both carry the same non-zero IPv4 ID (a stack gives every packet it sends its own ID, a retransmission
      included) and the copy comes less than :data:`SAME_ID_NS` after it, or
    * an ID is missing (IPv6, or 0), the copy comes less than :data:`TWICE_NS` after it (no TCP timer fires
      that soon: Linux's shortest, the tail-loss probe, waits at least 10 ms), and the other side sent nothing
      in between (but copies) that the sender could have answered by sending again (a duplicate ACK answers
      a segment that arrived out of order).

    Two different IDs are two packets, however close. A capture on both sides of a router, or on two
    interfaces, sees every packet twice this way (the second time with the TTL one lower: one more hop).
    Wireshark calls such a copy a retransmission (or a duplicate ACK, or out-of-order); the IP ID tells them
    apart.
    """
    out: dict[int, int] = {}
    last: dict[tuple, Segment] = {}
    latest = [0, 0]         # per direction: its last frame that is not a copy
    for s in segments:
        d = s[2]
        key = (d, s[4], s[5], s[3], s[9], s[8])     # direction, seq, ack, flags, window, length
        prev = last.get(key)
        if prev is not None:
            gap = s[1] - prev[1]
            if (s.ip_id == prev.ip_id != 0 and gap < SAME_ID_NS
                    or (not s.ip_id or not prev.ip_id) and gap < TWICE_NS and latest[1 - d] < prev[0]):
                out[s[0]] = prev[0]
                continue
        last[key] = s
        latest[d] = s[0]
    return out


def _outcome(log: ConnLog, summary: dict[str, Any], syns: list, synacks: list, segments: list[Segment],
             settled: bool) -> str:
    conn = log.conn
    if log.epoch == 0 and not syns and not synacks:
        if not settled:
            return "midstream"
        if summary.get("teardown"):
            return "closed"
        return "reset" if summary.get("resets") else "midstream"
    if syns and not synacks and not conn.synack_frame:
        if any(s.flags & RST and s.direction == 1 for s in segments):
            return "refused"
        # a client that went on after its SYN (an ACK, data) had a SYN-ACK the capture did not show
        if not any(s.direction == 0 and not s.flags & (SYN | RST) for s in segments):
            return "unanswered"
    if not settled:
        return "established"
    td = summary.get("teardown")
    if summary.get("resets"):
        first_rst = min(x["frame"] for x in summary["resets"])
        if not td or first_rst < (td.get("second_fin_frame") or 1 << 62):
            return "reset"
    if td:
        return "closed"
    return "established"


def _replay(log: ConnLog, rows: list, o: Any, r: Any) -> dict[int, tuple[int, int]]:
    """Wireshark's analysis flags per frame: {frame: (flags, rto_frame)} for the flagged ones."""
    rp = log.replay
    if rp is None:
        rp = log.replay = _Replay()
    ca, sides = rp.ca, rp.sides
    opts = (o.syn_opts, r.syn_opts)
    out = rp.results
    first = rows[0][0] if rows else 0
    for k in [k for k in out if k < first]:
        del out[k]                  # an earlier stretch's
    for frame, ts, seq, ack, fl, length, win in rows:
        if frame <= rp.last_frame:
            continue
        rp.last_frame = frame
        d = fl >> 15
        flags = fl & 0x0FFF
        fwd, rev = sides[d], sides[1 - d]
        if flags & SYN:
            so = opts[d]
            window_scaling_on_syn(fwd, rev, so.wscale if so is not None else None, bool(flags & ACK))
        fields: dict[str, Any] = {}
        a = analyze(ca, fwd, rev, ts, frame, seq, ack, length, flags, win, fields)
        if a & ~0x0800:         # window updates are not explained
            out[frame] = (a, fields.get("tcp.analysis.rto_frame", 0))
    for s in sides:
        if len(s.segments or ()) > 4096:
            del s.segments[:-4096]
    return out


def _messages(records: list, o: Any) -> list[Message]:
    out = []
    for rec in records:
        tx = rec.transaction
        cdir = 0 if (rec.client[0], rec.client[1]) == (o.addr, o.port) else 1
        req, resp = tx.request, tx.response
        if req is not None:
            wire = tx.request_end.wire_length if tx.request_end is not None else 0
            out.append(Message(cdir, req.offset, req.offset + req.head_length + wire, tx.index, True))
        if resp is not None:
            wire = tx.response_end.wire_length if tx.response_end is not None else 0
            start = resp.offset
            for interim in tx.interim:
                start = min(start, interim.offset)
            out.append(Message(1 - cdir, start, resp.offset + resp.head_length + wire, tx.index, False))
    return out


def owners(facts: ConnFacts) -> list[int]:
    """Per segment of ``facts``: the index of the transaction it belongs to, :data:`HANDSHAKE` or
    :data:`TEARDOWN` (see the module docstring). Over TLS the HTTP messages' bytes are not the TCP stream's:
    a transaction owns the segments from its request's first frame to the next request's."""
    if facts.tls is not None:
        return _owners_by_frame(facts)
    by_dir: list[list[Message]] = [[], []]
    for m in facts.messages:
        by_dir[m.direction].append(m)
    starts = []
    for msgs in by_dir:
        msgs.sort(key=lambda m: m.start)
        starts.append([m.start for m in msgs])
    if _OWNERS is not None and OWNERS_COMPILED:
        a, b = by_dir
        got = _OWNERS(facts.segments, starts[0], [m.end for m in a], [m.index for m in a],
                      starts[1], [m.end for m in b], [m.index for m in b])
        if got is not None:
            return got

    def find(d: int, off: int) -> int | None:
        msgs = by_dir[d]
        i = bisect_right(starts[d], off) - 1
        if i >= 0 and off < msgs[i].end:
            return msgs[i].index
        return None

    out: list[int] = []
    append = out.append
    current = HANDSHAKE
    closing = False
    for _frame, _ts, d, fl, _seq, _ack, rel_seq, rel_ack, length, _win, _a, _rto, _id, _ttl in facts.segments:
        if closing and length and not fl & (FIN | RST | SYN):
            # data sent again once the close began (a response lost after the capture point, resent): it is
            # the bytes of the message it carries, not the teardown's
            owner = find(d, rel_seq - 1)
            if owner is not None:
                append(owner)
                continue
        if closing or fl & (FIN | RST):
            closing = closing or bool(fl & FIN and not length) or bool(fl & RST)
            if length:
                owner = find(d, rel_seq - 1)
                if owner is not None:
                    current = owner
            append(TEARDOWN)
            if fl & FIN and not closing:
                closing = True
            continue
        if fl & SYN:
            append(HANDSHAKE)
            continue
        if length:
            owner = find(d, rel_seq - 1)
            if owner is not None:
                current = owner
            append(current)
            continue
        if fl & ACK and rel_ack >= 2:
            owner = find(1 - d, rel_ack - 2)
            if owner is not None and current != HANDSHAKE:
                append(owner)
                continue
        append(current)
    return out


def _owners_by_frame(facts: ConnFacts) -> list[int]:
    starts = sorted((r.transaction.request.first_frame, r.transaction.index) for r in facts.records
                    if r.transaction.request is not None)
    out = []
    current = HANDSHAKE
    i = 0
    closing = False
    for s in facts.segments:
        while i < len(starts) and s.frame >= starts[i][0]:
            current = starts[i][1]
            i += 1
        if s.flags & (FIN | RST):
            closing = True
        out.append(TEARDOWN if closing else current)
    return out


def payload_bytes(facts: ConnFacts, own: list[int] | None = None) -> tuple[dict[tuple[int, int], int],
                                                                          dict[tuple[int, int], int]]:
    """TCP payload bytes per (transaction index, direction): ``(unique, sent)`` — each byte of the stream
    counted once, whatever copy brought it (a retransmission may bring bytes the capture never saw), and
    every byte of every segment (copies included). A segment's bytes go to the messages they overlap;
    bytes outside every message go to key (-1, direction) for ``unique``, and a segment's owner for
    ``sent``. ``own``: :func:`owners` of ``facts`` when the caller has it already."""
    unique: dict[tuple[int, int], int] = {}
    sent: dict[tuple[int, int], int] = {}
    by_dir: list[list[Message]] = [[], []]
    for m in facts.messages:
        by_dir[m.direction].append(m)
    if _PAYLOAD is not None and OWNERS_COMPILED:
        if own is None:
            own = owners(facts)
        a, b = sorted(by_dir[0], key=_start), sorted(by_dir[1], key=_start)
        got = _PAYLOAD(facts.segments, own, [m.start for m in a], [m.end for m in a], [m.index for m in a],
                       [m.start for m in b], [m.end for m in b], [m.index for m in b], PAYLOAD_FAST)
        if got is not None:
            return got
    reach: list[list[int]] = []          # per direction: the furthest end of the messages up to each one
    apart = [True, True]                 # per direction: no two messages overlap
    for d, msgs in enumerate(by_dir):
        msgs.sort(key=lambda m: m.start)
        far, ends = 0, []
        for m in msgs:
            if m.start < far:
                apart[d] = False
            far = max(far, m.end)
            ends.append(far)
        reach.append(ends)
    covered: list[_Intervals] = [_Intervals(), _Intervals()]
    for s, owner in zip(facts.segments, owners(facts) if own is None else own):
        length = s[8]
        if not length:
            continue
        d = s[2]
        key = (owner if owner >= 0 else -1, d)
        sent[key] = sent.get(key, 0) + length
        lo = s[6] - 1
        if PAYLOAD_FAST and apart[d]:
            # the common case: the segment's bytes follow the bytes seen so far (none of them seen before)
            # and lie in one message: the general loop below would count all of them for it, and nothing else
            cov = covered[d]
            ends = cov.ends
            if ends and lo >= ends[-1]:
                i = bisect_right(reach[d], lo)
                msgs = by_dir[d]
                if i < len(msgs) and msgs[i].start <= lo and lo + length <= msgs[i].end:
                    if lo == ends[-1]:
                        ends[-1] = lo + length
                    else:
                        cov.starts.append(lo)
                        ends.append(lo + length)
                    k = (msgs[i].index, d)
                    unique[k] = unique.get(k, 0) + length
                    continue
        for a, b in covered[d].add(lo, lo + length):
            left = b - a
            msgs = by_dir[d]
            for i in range(bisect_right(reach[d], a), len(msgs)):   # those before all end by a
                m = msgs[i]
                if m.end <= a:
                    continue
                if m.start >= b:
                    break
                n = min(b, m.end) - max(a, m.start)
                if n > 0:
                    unique[(m.index, d)] = unique.get((m.index, d), 0) + n
                    left -= n
            if left > 0:
                unique[(-1, d)] = unique.get((-1, d), 0) + left
    return unique, sent


def _start(m: Message) -> int:
    return m.start


class _Intervals:
    """Disjoint sorted byte ranges; :meth:`add` returns the parts of a range not covered before."""

    __slots__ = ("ends", "starts")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def add(self, lo: int, hi: int) -> list[tuple[int, int]]:
        starts, ends = self.starts, self.ends
        if not starts or lo >= ends[-1]:                   # the common case: in order
            if starts and lo == ends[-1]:
                ends[-1] = hi
            else:
                starts.append(lo)
                ends.append(hi)
            return [(lo, hi)]
        i = bisect_right(ends, lo)                          # first range ending after lo
        new: list[tuple[int, int]] = []
        pos = lo
        j = i
        while j < len(starts) and starts[j] < hi:
            if starts[j] > pos:
                new.append((pos, starts[j]))
            pos = max(pos, ends[j])
            j += 1
        if pos < hi:
            new.append((pos, hi))
        merged_lo = min(lo, starts[i]) if i < len(starts) else lo
        merged_hi = max(hi, ends[j - 1]) if j > i else hi
        starts[i:j] = [merged_lo]
        ends[i:j] = [merged_hi]
        return new

