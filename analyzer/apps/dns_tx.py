"""DNS transactions: queries paired with responses, over UDP and TCP, the way tshark pairs them.

Theory of operation
-------------------
A transaction lives in a conversation — the two endpoints of a UDP datagram in either direction, or one TCP
connection — and is found by the message ID. This is tshark's first-pass rule (packet-dns.c), kept so
that ``dns.response_to``, ``dns.time`` and ``dns.retransmit_*`` match it frame for frame:

* A query whose ID has no transaction in the conversation, or whose last transaction was answered,
  opens a new one. A query repeating an unanswered ID within ``retransmission_timer`` (5 s, tshark's
  ``dns.retransmission_timer``) of the first one is a retransmission of it; later, a new transaction.
* A response answers the conversation's last transaction with its ID. If that one was answered already,
  the response is a retransmission — unless the question was AXFR/IXFR, which are answered by several
  messages. A response with no transaction is unsolicited.
* ``dns.time`` is the response time minus the first query's time (retransmissions do not reset it).
* Messages quoted in ICMP errors are not tracked; a quoted response is marked unsolicited, as tshark does.

Transactions are kept in query order (``transactions``) when ``keep`` is true; the conversation index
keeps only the last transaction per (conversation, ID), which is all the rule above ever looks at.

Memory: the index is bounded by capture time, not by the file (issue 10). tshark remembers every transaction
of the file; the index forgets, on packet time (swept every :data:`SWEEP_NS`):

* an answered transaction once its response is :data:`ANSWERED_HOLD_NS` (30 s) old: what it could still
  pair with is a retransmitted response (a server answers each copy of a query the client resent within its
  5 s retry timer, so the copies come seconds apart) — a copy later than that is called unsolicited, where
  tshark calls it a retransmission; a query with its ID opens a new transaction either way;
* an unanswered one once its query is :data:`UNANSWERED_HOLD_NS` (300 s) old: a response that late (no
  resolver waits that long; the timeline holds nothing longer) is called unsolicited, where tshark pairs
  it; a query with its ID is a new transaction either way (past the retransmission timer). A zone transfer
  (AXFR/IXFR: answered by many messages, for as long as the zone takes) is kept as long.

Without ``keep`` (a pass that only annotates packets) the parsed messages are not stored and the index is
also bounded in entries (``MAX_TRACKED``, oldest dropped first): a response to a query that many lookups ago
would be called unsolicited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from analyzer.decode.dns import T_A, T_AAAA, T_CNAME, DnsMessage, Header, Question
from analyzer.tcp.analysis import seconds

RETRANSMISSION_TIMER_NS = 5_000_000_000
MAX_TRACKED = 200_000       # (conversation, ID) entries remembered; the oldest go first beyond this
ANSWERED_HOLD_NS = 30_000_000_000       # an answered transaction is forgotten when its response is this old
UNANSWERED_HOLD_NS = 300_000_000_000    # an unanswered one when its query is this old
SWEEP_NS = 10_000_000_000              # how often (packet time) the index is swept
MULTIPLE_RESPONSE_TYPES = frozenset((251, 252))     # IXFR, AXFR


@dataclass(slots=True)
class DnsTransaction:
    """One query (with its retransmissions) and its response(s).

    ``client`` sent the query (for an unsolicited response: received the response); endpoints are
    ``(address, port)``. ``query``/``response`` are the parsed messages (None when not seen or not
    parseable past the header); ``header`` fields of a message too short to parse are in
    ``query_header``/``response_header``.
    """

    proto: str                       # "udp" or "tcp"
    service: str                     # "dns", "mdns" or "llmnr" (the decoder's layer name)
    stream: int | None               # udp.stream / tcp.stream
    client: tuple[Any, int]
    server: tuple[Any, int]
    trans_id: int
    query_frame: int | None = None
    query_ts_ns: int | None = None
    query: DnsMessage | None = None
    query_header: Header | None = None
    response_frame: int | None = None
    response_ts_ns: int | None = None
    response: DnsMessage | None = None
    response_header: Header | None = None
    # (each an empty tuple until it gets a frame, then a list: most transactions have none, and 200,000 queries
    # waiting for their answer held 3 empty lists each, 168 bytes)
    retransmissions: list[int] | tuple[()] = ()            # query frames resent
    response_retransmissions: list[int] | tuple[()] = ()   # response frames resent
    extra_responses: list[int] | tuple[()] = ()            # AXFR/IXFR: later responses
    multiple: bool = False           # the question asks for several responses (AXFR, IXFR)

    @property
    def rtt_ns(self) -> int | None:
        """Response time minus first query time (tshark's dns.time), None when either is missing."""
        if self.query_ts_ns is None or self.response_ts_ns is None:
            return None
        return self.response_ts_ns - self.query_ts_ns

    @property
    def question(self) -> Question | None:
        """The first question of the query (of the response when no query was parsed), or None."""
        msg = self.query if self.query is not None else self.response
        return msg.questions[0] if msg is not None and msg.questions else None

    @property
    def rcode(self) -> int | None:
        """The response code (from the header, so a response cut short still has one); None unanswered."""
        return self.response_header.rcode if self.response_header is not None else None

    @property
    def answered(self) -> bool:
        return self.response_frame is not None

    @property
    def unsolicited(self) -> bool:
        return self.query_frame is None


def answer_text(rr) -> str:
    """One answer as Zeek's dns.log ``answers`` shows it: the address or name it points to (for MX the
    exchange), TXT strings joined by spaces, ``<unknown type=N>`` for the rest."""
    data = rr.rdata
    if data is None:
        return f"<malformed type={rr.rtype}>"
    if isinstance(data, str):
        return data
    rtype = rr.rtype
    if isinstance(data, (bytes, bytearray)):    # an empty RDATA (an UPDATE's deletion) or a type kept as bytes
        return f"<unknown type={rtype}>"
    if rtype == 15:
        return data.exchange
    if rtype == 33:
        return data.target
    if rtype == 6:
        return data.mname
    if rtype in (16, 99):
        return " ".join(s.decode("utf-8", "surrogateescape") for s in data)
    if rtype == 13:
        return f"{data.cpu.decode('latin-1')} {data.os.decode('latin-1')}"
    return f"<unknown type={rtype}>"


def _fold(name: str) -> str:
    return name.rstrip(".").lower()


def cname_chain(msg: DnsMessage | None, qname: str) -> tuple[list[str], list[str]]:
    """Follow the answers' CNAMEs from ``qname``: ``(chain, addresses)`` — the names from the query to the
    canonical name, and the A/AAAA addresses of that last name. A loop stops the chain."""
    if msg is None:
        return [qname], []
    answers = msg.answers
    cnames = {}
    for rr in answers:
        if rr.rtype == T_CNAME and isinstance(rr.rdata, str):
            cnames.setdefault(_fold(rr.name), rr.rdata)
    chain = [qname]
    current = _fold(qname)
    if cnames:
        seen = {current}
        while current in cnames:
            target = cnames[current]
            if _fold(target) in seen:
                break
            chain.append(target)
            current = _fold(target)
            seen.add(current)
    last = chain[-1]        # current is its folded name: a record named as it is needs no fold
    addresses = [rr.rdata for rr in answers if rr.rtype in (T_A, T_AAAA) and isinstance(rr.rdata, str)
                 and (rr.name == last or _fold(rr.name) == current)]
    return chain, addresses


class DnsTracker:
    """Pairs DNS messages into :class:`DnsTransaction` records (see the module docstring)."""

    def __init__(self, *, keep: bool = True, retransmission_timer_ns: int = RETRANSMISSION_TIMER_NS,
                 fields: bool = True):
        """``fields`` False (a pass that puts no fields on packets): :meth:`message` leaves out an answer's
        ``dns.response_to`` and ``dns.time``, the fields it would make for every lookup."""
        self.keep = keep
        self.fields = fields
        self.timer = retransmission_timer_ns
        self.transactions: list[DnsTransaction] = []
        self._last: dict[tuple, DnsTransaction] = {}     # (conversation, id) -> its last transaction
        self._next_sweep: int | None = None
        # called with (frame, ts_ns) of each query that is a retransmission (the timeline keeps their times)
        self.on_retransmission: Callable[[int, int], None] | None = None
        # called with each transaction a response answers first (not a copy, not an unsolicited one): the timeline
        # learns of an answer to a lookup it had already told as unanswered
        self.on_answer: Callable[[DnsTransaction], None] | None = None

    def message(self, msg: DnsMessage | None, header: Header, *, service: str, proto: str, stream: int | None,
                src: tuple[Any, int], dst: tuple[Any, int], frame: int, ts_ns: int,
                quoted: bool = False) -> tuple[dict[str, Any], DnsTransaction | None]:
        """One message seen in ``frame``; returns the fields tshark adds to its layer and its transaction.

        ``msg`` is the parsed message (None when only ``header`` could be read); ``quoted``: inside an ICMP
        error (not tracked).
        """
        response = bool(header.flags & 0x8000)
        if quoted:
            return ({"dns.unsolicited": 1} if response else {}), None
        if self._next_sweep is None or ts_ns >= self._next_sweep:
            self._sweep(ts_ns)
        key = _index_key(proto, stream, src, dst, header.id)
        kept = msg if self.keep else None
        trans = self._last.get(key)
        if msg is not None:
            questions = msg.questions
            if len(questions) == 1:
                multiple = questions[0].qtype in MULTIPLE_RESPONSE_TYPES
            else:
                multiple = any(q.qtype in MULTIPLE_RESPONSE_TYPES for q in questions)
        else:
            multiple = False
        fields: dict[str, Any] = {}
        if not response:
            if trans is None or trans.response_frame is not None or ts_ns - trans.query_ts_ns >= self.timer:
                trans = DnsTransaction(proto, service, stream, src, dst, header.id, query_frame=frame,
                                       query_ts_ns=ts_ns, query=kept, query_header=header)
                self._remember(key, trans)
                if self.keep:
                    self.transactions.append(trans)
            else:
                trans.retransmissions = _appended(trans.retransmissions, frame)
                if self.on_retransmission is not None:
                    self.on_retransmission(frame, ts_ns)
                fields["dns.retransmit_request_in"] = trans.query_frame
                fields["dns.retransmission"] = 1
            if msg is not None and msg.questions:
                trans.multiple = multiple
            return fields, trans
        if trans is None:
            # no query: an unsolicited response, a transaction of its own that nothing can join (tshark
            # does not remember it either: the next one with this ID is unsolicited too)
            trans = DnsTransaction(proto, service, stream, dst, src, header.id, response_frame=frame,
                                   response_ts_ns=ts_ns, response=kept, response_header=header)
            if self.keep:
                self.transactions.append(trans)
            return {"dns.unsolicited": 1}, trans
        if msg is not None and msg.questions:
            trans.multiple = multiple
        if trans.response_frame is None:
            trans.response_frame, trans.response_ts_ns = frame, ts_ns
            trans.response, trans.response_header = kept, header
            if self.on_answer is not None:
                self.on_answer(trans)
        elif not trans.multiple:
            trans.response_retransmissions = _appended(trans.response_retransmissions, frame)
            fields["dns.retransmit_response_in"] = trans.response_frame
            fields["dns.retransmission"] = 1
            return fields, trans
        else:
            trans.extra_responses = _appended(trans.extra_responses, frame)
        if self.fields:
            fields["dns.response_to"] = trans.query_frame
            fields["dns.time"] = seconds(ts_ns - trans.query_ts_ns)
        return fields, trans

    def pairable(self, trans: DnsTransaction) -> bool:
        """Can a later message still change ``trans`` (it is its conversation's last transaction with its ID,
        still in the index)? Once not, the transaction is final: a stream of records can hand it out."""
        return self._last.get(_index_key(trans.proto, trans.stream, trans.client, trans.server,
                                         trans.trans_id)) is trans

    def _sweep(self, now: int) -> None:
        """Forget the transactions nothing can pair with any more (see the module docstring)."""
        self._next_sweep = now + SWEEP_NS
        answered, unanswered = now - ANSWERED_HOLD_NS, now - UNANSWERED_HOLD_NS
        last = self._last
        old = [key for key, t in last.items()
               if (t.response_ts_ns < answered if t.response_ts_ns is not None and not t.multiple
                   else t.query_ts_ns is not None and t.query_ts_ns < unanswered)]
        for key in old:
            del last[key]

    def _remember(self, key: tuple, trans: DnsTransaction) -> None:
        last = self._last
        last.pop(key, None)             # re-inserted: the newest entries are last
        last[key] = trans
        if not self.keep and len(last) > MAX_TRACKED:
            del last[next(iter(last))]


def _key(endpoint: tuple[Any, int]) -> tuple[str, int]:
    return str(endpoint[0]), endpoint[1]


def _index_key(proto: str, stream: int | None, a: tuple[Any, int], b: tuple[Any, int], trans_id: int) -> tuple:
    """The index's key of a message: its conversation (a TCP connection; the two endpoints of a UDP
    datagram, either way round) and ID, as one flat tuple (one tuple, not two nested: 48 bytes less a query)."""
    if proto == "tcp" and stream is not None:
        return (proto, stream, trans_id)
    if a[0].__class__ is str and b[0].__class__ is str:     # _key is the endpoint itself
        return (proto, a, b, trans_id) if a <= b else (proto, b, a, trans_id)
    return (proto, a, b, trans_id) if _key(a) <= _key(b) else (proto, b, a, trans_id)


def _appended(frames: list[int] | tuple[()], frame: int) -> list[int]:
    if frames:
        frames.append(frame)
        return frames
    return [frame]
