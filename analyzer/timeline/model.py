"""The timeline's output model: fetches, their steps, connections, lookups, request timings (frozen).

A :class:`Timeline` holds the fetches of one capture, in the order they began (how they are made:
:mod:`analyzer.timeline.group` and :mod:`analyzer.timeline.build`). A :class:`Fetch` is what one client did
to get one thing: a web page with its resources (``kind`` "page"), a connection that carried no HTTP the
analyzer could read, failed attempts included ("connection"), or name/neighbour lookups followed by no
connection ("lookup"). Each fetch has

* ``steps``: what happened, in capture order, each citing its frame(s), its time since the fetch began, its
  layer (``arp``, ``nd``, ``dns``, ``tcp``, ``tls``, ``http``), a template key (``kind``) and the
  explanation in the language asked for (``text``); ``problem`` marks what went wrong (a lost segment, a
  refused connection, an unanswered query...);
* ``connections``: every TCP connection the fetch used, with its outcome; ``lookups``: its DNS queries;
* ``requests``: one :class:`RequestTiming` per HTTP request (HAR's phases, in ms);
* ``summary`` and ``breakdown`` (where the time went), ``ladder`` (the messages as arrows).

Times: ``time``/``start``/``end`` are seconds (float) since the fetch's first frame; ``*_ms`` milliseconds;
``*_ns`` ns since the epoch. A value that does not apply (a phase that did not happen, a figure that
cannot be known from the capture) is ``None`` (``null`` in JSON), never -1. Strings that came from packets
(URIs, header values, DNS names) are stored as they were: escaping is the printers' job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from analyzer.compiled import compiled
from analyzer.report.safe import json_safe
from analyzer.timeline.frozen import fast_init

LAYERS = ("arp", "nd", "dns", "tcp", "tls", "http")
PHASES = ("blocked", "dns", "connect", "ssl", "send", "wait", "receive")


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


@fast_init
@dataclass(frozen=True, slots=True)
class Step:
    """One step of a fetch: what happened (or, with no frame, what the capture shows did not happen)."""

    frames: tuple[int, ...]
    time: float
    ts_ns: int | None
    layer: str
    kind: str  # the explanation's template key, e.g. "tcp.handshake.1"
    text: str
    facts: dict[str, Any]
    problem: bool = False

    @property
    def frame(self) -> int | None:
        """The first frame the step cites (None for a step about something absent)."""
        return self.frames[0] if self.frames else None

    def as_dict(self) -> dict[str, Any]:
        return {"frames": list(self.frames), "time": round(self.time, 6), "layer": self.layer, "kind": self.kind,
                "text": self.text, "problem": self.problem, "facts": dict(self.facts)}


_STEP_TEXT = Step.__dict__["text"]      # the slot's own descriptor: reads and sets it past the property below


class LazyStep(Step):
    """A :class:`Step` whose ``text`` is made when it is first read, by ``make(*args)`` given to :meth:`lazy`
    (then kept): ``har`` reads no step text, so it formats none (a text is ~3 us a step; ~58,000 steps per
    100k frames). The same fields, values, equality (between lazy steps) and frozenness as a Step's."""

    __slots__ = ("_make",)

    @classmethod
    def lazy(cls, frames: tuple[int, ...], time: float, ts_ns: int | None, layer: str, kind: str,
             facts: dict[str, Any], problem: bool, make: Any, args: tuple) -> LazyStep:
        step = cls(frames, time, ts_ns, layer, kind, None, facts, problem)
        _SET_MAKE(step, (make, args))
        return step

    @property
    def text(self) -> str:
        text = _STEP_TEXT.__get__(self)
        if text is None:
            try:
                make, args = self._make
            except AttributeError:      # made with text=None (not through lazy())
                return text
            text = make(*args)
            _STEP_TEXT.__set__(self, text)
        return text

    @text.setter
    def text(self, value: str) -> None:   # object.__setattr__ (copy, pickle); a plain assignment stays refused
        _STEP_TEXT.__set__(self, value)


_SET_MAKE = LazyStep.__dict__["_make"].__set__


@fast_init
@dataclass(frozen=True, slots=True)
class Phase:
    """A part of a request's life, drawn to scale in the waterfall: seconds since the fetch began."""

    name: str  # one of PHASES
    start: float
    end: float


@fast_init
@dataclass(frozen=True, slots=True)
class RequestTiming:
    """One HTTP request of a fetch (or a connection attempt that never carried one: ``method`` "",
    ``error`` says why) and how its time was spent (ms; None when a phase did not happen)."""

    method: str
    uri: str
    url: str
    host: str
    status: int | None
    status_text: str
    request_frame: int | None
    response_frame: int | None
    stream: int
    client: str
    client_port: int
    server: str
    server_port: int
    http_version: str
    response_version: str
    start: float
    started_ns: int
    blocked: float | None
    dns: float | None
    connect: float | None
    ssl: float | None
    send: float | None
    wait: float | None
    receive: float | None
    phases: tuple[Phase, ...]
    content_type: str
    request_headers: tuple[tuple[str, str], ...]
    response_headers: tuple[tuple[str, str], ...]
    request_head_bytes: int
    request_body_bytes: int
    response_head_bytes: int
    response_body_bytes: int  # as sent (de-chunked, still content-encoded)
    response_decoded_bytes: int | None  # after content decoding (None: coding not supported)
    request_body: bytes = b""
    response_body: bytes = b""
    response_body_encoded: bool = False
    reused_connection: bool = False
    document: bool = False
    side: bool = False  # a side request (robots.txt, favicon.ico...): joined the page it came with
    complete: bool = True
    reason: str | None = None
    error: str | None = None  # a failed connection attempt: "refused", "unanswered", "reset"...
    frames: tuple[int, ...] = ()
    # an exchange inferred from the encrypted records of a TLS connection whose HTTP could not be read
    # (:class:`analyzer.timeline.encrypted.Exchange`; ``encrypted`` the connection's EncryptedView); None else
    exchange: Any = None
    encrypted: Any = None
    # a 101 to WebSocket: the session that followed (analyzer.apps.websocket.WebSocketSession; the HAR's messages)
    websocket: Any = field(default=None, compare=False)

    @property
    def total(self) -> float:
        return sum(v for v in (self.blocked, self.dns, self.connect, self.ssl, self.send, self.wait, self.receive)
                   if v is not None and v > 0)

    def as_dict(self) -> dict[str, Any]:
        # the phases' values read once: rounded for "timings", summed as :attr:`total` sums them
        values = (self.blocked, self.dns, self.connect, self.ssl, self.send, self.wait, self.receive)
        timings = {name: None if v is None else round(v, 3) for name, v in zip(PHASES, values)}
        total = sum(v for v in values if v is not None and v > 0)
        return {"method": self.method, "uri": self.uri, "url": self.url, "host": self.host,
                "status": self.status, "status_text": self.status_text, "request_frame": self.request_frame,
                "response_frame": self.response_frame, "stream": self.stream,
                "client": f"{self.client}:{self.client_port}", "server": _endpoint(self.server, self.server_port),
                "http_version": self.http_version, "start": round(self.start, 6),
                "timings": timings, "total_ms": round(total, 3), "content_type": self.content_type,
                "request_bytes": self.request_head_bytes + self.request_body_bytes,
                "response_bytes": self.response_head_bytes + self.response_body_bytes,
                "response_body_bytes": self.response_body_bytes, "reused_connection": self.reused_connection,
                "document": self.document, "side": self.side, "complete": self.complete, "reason": self.reason,
                "error": self.error, **({"encrypted": self.exchange.as_dict()} if self.exchange is not None else {})}


@fast_init
@dataclass(frozen=True, slots=True)
class Connection:
    """A TCP connection as a fetch used it.

    ``outcome``: "closed" (FIN teardown), "reset", "refused" (RST answering the SYN), "unanswered" (no
    SYN-ACK), "unreachable" (no SYN-ACK; an ICMP error answered the last SYN), "open" (still open when the fetch's report was made), "midstream" (the handshake happened
    before the capture). ``syn_frames``: the client's SYNs (more than one: retransmitted; a SYN the capture saw
    twice is one SYN). ``retransmissions`` counts segments sent again, ``copies`` the packets the capture saw
    twice (:func:`analyzer.timeline.tcp.copies`).
    ``connect_ms``: first SYN to the client's handshake ACK (retransmission waits included);
    ``irtt_ms``: the handshake round trip of the SYN that got through (SYN-ACK -> ACK included, as
    Wireshark's iRTT), so ``connect_ms`` = waits for retransmissions + ``irtt_ms``.
    """

    stream: int
    client: str
    client_port: int
    server: str
    server_port: int
    outcome: str
    syn_frames: tuple[int, ...]
    synack_frames: tuple[int, ...]
    irtt_ms: float | None
    connect_ms: float | None
    requests: int
    opened_by_earlier_fetch: int | None  # the index of the fetch that opened it, when not this one
    closed_by: str | None  # "client", "server"
    teardown: str | None  # "four-way", "three-way", "simultaneous", "half-close", "one FIN", "reset"
    time_wait: str | None  # "client", "server", "both"
    reset_by: str | None
    retransmissions: int
    bytes_sent: int
    bytes_received: int
    tls: dict[str, Any] | None = None
    continued: bool = False  # still open: its later life is reported with a later fetch
    copies: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"stream": self.stream, "client": f"{self.client}:{self.client_port}",
                "server": _endpoint(self.server, self.server_port), "outcome": self.outcome,
                "syn_frames": list(self.syn_frames), "synack_frames": list(self.synack_frames),
                "irtt_ms": _r(self.irtt_ms), "connect_ms": _r(self.connect_ms), "requests": self.requests,
                "opened_by_earlier_fetch": self.opened_by_earlier_fetch, "closed_by": self.closed_by,
                "teardown": self.teardown, "time_wait": self.time_wait, "reset_by": self.reset_by,
                "retransmissions": self.retransmissions, "copies": self.copies, "bytes_sent": self.bytes_sent,
                "bytes_received": self.bytes_received, "tls": self.tls, "continued": self.continued}


@fast_init
@dataclass(frozen=True, slots=True)
class Lookup:
    """A DNS query of a fetch and its answer."""

    qname: str
    qtype: str
    server: str
    transport: str
    query_frame: int
    response_frame: int | None
    rcode: str | None  # "NOERROR", "NXDOMAIN", ... None without a response
    addresses: tuple[str, ...]
    cnames: tuple[str, ...]
    rtt_ms: float | None
    retransmissions: tuple[int, ...]
    truncated: bool

    def as_dict(self) -> dict[str, Any]:
        return {"qname": self.qname, "qtype": self.qtype, "server": self.server, "transport": self.transport,
                "query_frame": self.query_frame, "response_frame": self.response_frame, "rcode": self.rcode,
                "addresses": list(self.addresses), "cnames": list(self.cnames), "rtt_ms": _r(self.rtt_ms),
                "retransmissions": list(self.retransmissions), "truncated": self.truncated}


@fast_init
@dataclass(frozen=True, slots=True)
class FetchSummary:
    """The numbers of one fetch (ms; None when it did not happen or cannot be known)."""

    dns_ms: float | None  # the first request's lookups (of its host, answered before its SYN): first query ->
    # last answer; when it has none, the fetch's answered lookups (its DNS steps); None: no answer in the fetch
    connect_ms: float | None  # the first connection: first SYN -> the client's handshake ACK
    tls_ms: float | None  # the first connection: ClientHello -> handshake done (time to secure connection)
    ttfb_ms: float | None  # the first request: its last byte sent -> first byte of the response
    total_ms: float  # first frame of the fetch -> its last frame
    requests: int
    connections: int
    failed_connections: int
    requests_per_connection: tuple[tuple[int, int], ...]  # (stream, requests)
    connection_mode: str  # "keep-alive", "multiplexed" (HTTP/2), "one connection per request", "separate connections" (one request each, no "close"), "single request", "no request"
    bytes_sent: int  # TCP payload client -> server of the fetch's segments (first copies)
    bytes_received: int
    http_bytes_sent: int  # HTTP messages (heads + bodies as sent)
    http_bytes_received: int
    retransmitted_bytes: int
    dns_lookups: int
    problems: int
    encrypted_requests: int = 0  # exchanges inferred from encrypted records (a client burst and the server's
    #                              burst after it): very likely requests and their responses; no HTTP read
    encrypted_multiplexed: bool = False  # ... on an HTTP/2 connection: bursts, not requests
    copied_bytes: int = 0  # TCP payload of the packets the capture saw twice (copies, not sent again)
    retransmitted_sent: int = 0  # retransmitted_bytes the client sent (client -> server); the rest the server's
    copied_sent: int = 0  # copied_bytes of the client's packets; the rest the server's
    # the fetch's name resolutions (analyzer.timeline.build.resolutions): per name, each resolution's time, its
    # first query to its last answer (None: unanswered), in the order the names were first asked for
    dns_names: tuple[tuple[str, tuple[float | None, ...]], ...] = ()
    # the lookups whose answer came after the client had stopped waiting (it sent back an ICMP error quoting it):
    # (name, type, ms from the query to that answer, query frame, answer frame, ICMP error frame); the lookup
    # failed for the client, and none of the figures above counts that answer (its dns_names time is None)
    dns_late: tuple[tuple[str, str, float, int, int, int], ...] = ()
    quic_connections: int = 0  # QUIC connections (UDP) of the fetch, beside its TCP ones (not in ``connections``)

    def as_dict(self) -> dict[str, Any]:
        extra: dict[str, Any] = ({"encrypted_requests": self.encrypted_requests,
                                  "encrypted_multiplexed": self.encrypted_multiplexed} if self.encrypted_requests else {})
        if self.quic_connections:
            extra["quic_connections"] = self.quic_connections
        if self.dns_late:
            extra["dns_late"] = [{"name": n, "type": t, "answer_ms": _r(ms), "query_frame": q, "answer_frame": a,
                                  "refused_frame": r} for n, t, ms, q, a, r in self.dns_late]
        return {**self._dict(), **extra}

    def _dict(self) -> dict[str, Any]:
        return {"dns_ms": _r(self.dns_ms), "connect_ms": _r(self.connect_ms), "tls_ms": _r(self.tls_ms),
                "ttfb_ms": _r(self.ttfb_ms), "total_ms": _r(self.total_ms), "requests": self.requests,
                "connections": self.connections, "failed_connections": self.failed_connections,
                "requests_per_connection": {str(s): n for s, n in self.requests_per_connection},
                "connection_mode": self.connection_mode, "bytes_sent": self.bytes_sent,
                "bytes_received": self.bytes_received, "http_bytes_sent": self.http_bytes_sent,
                "http_bytes_received": self.http_bytes_received, "retransmitted_bytes": self.retransmitted_bytes,
                "retransmitted_sent": self.retransmitted_sent,
                "retransmitted_received": self.retransmitted_bytes - self.retransmitted_sent,
                "copied_bytes": self.copied_bytes, "copied_sent": self.copied_sent,
                "copied_received": self.copied_bytes - self.copied_sent,
                "dns_names": {name: [_r(ms) for ms in times] for name, times in self.dns_names}, "dns_lookups": self.dns_lookups, "problems": self.problems}


@fast_init
@dataclass(frozen=True, slots=True)
class Delay:
    """One part of where a fetch's time went: ``what`` ("dns", "connect", "syn_retransmission", "tls",
    "server", "transfer", "loss", "stall"...), its duration, the frames that show it and a sentence. The list
    ends with what it does not say by itself: "left_out" (the parts under a tenth of the total, together, each
    named in the sentence), then "rest" (the time no part covers) or "overlap" (``ms`` 0: the parts add up to
    more than the total, some run at the same time)."""

    what: str
    ms: float
    frames: tuple[int, ...]
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"what": self.what, "ms": round(self.ms, 3), "frames": list(self.frames), "text": self.text}


@fast_init
@dataclass(frozen=True, slots=True)
class LadderRow:
    """One message in the ladder diagram: ``sender`` is "client" or "peer"; ``peer`` names the other end
    ("198.51.100.80:80", "DNS 8.8.8.8", "ARP", "ND"); ``label`` says what the message does. A row with
    ``frame`` 0 stands for segments left out (``label`` says which)."""

    frame: int
    time: float
    sender: str
    peer: str
    layer: str
    label: str
    stream: int | None = None
    problem: bool = False


@fast_init
@dataclass(frozen=True, slots=True)
class Fetch:
    """One fetch (see the module docstring)."""

    index: int
    kind: str  # "page", "connection", "lookup", "quic" (a QUIC connection, not decoded, and its lookups)
    url: str
    host: str
    client: str
    server: str
    server_port: int | None
    start_ns: int
    steps: tuple[Step, ...]
    requests: tuple[RequestTiming, ...]
    connections: tuple[Connection, ...]
    lookups: tuple[Lookup, ...]
    summary: FetchSummary
    breakdown: tuple[Delay, ...]
    ladder: tuple[LadderRow, ...]
    notes: tuple[str, ...] = ()
    lang: str = "en"
    continues: int | None = None  # a later stretch of connections first reported with fetch N

    @property
    def end(self) -> float:
        """Seconds since the fetch began of its last step or phase."""
        times = [s.time for s in self.steps] + [p.end for r in self.requests for p in r.phases]
        return max(times, default=0.0)

    def as_dict(self) -> dict[str, Any]:
        return self._dict([s.as_dict() for s in self.steps])

    def json_text(self, safe: bool = False) -> str:
        """``json.dumps(self.as_dict(), ensure_ascii=False)``, the same text, made without :meth:`as_dict`'s
        copies of each step: its frames tuple is written as a list, its facts dict as it is (they are the steps'
        own; nothing here changes them). A step's dict is :meth:`Step.as_dict`'s, written out here
        (tests/test_timeline_json_text.py compares the two texts on every capture). The text is written by the
        compiled :data:`_JSON_TEXT` where it was built and knows every value, else by ``_JSON``. ``safe``: what
        ``timeline --json`` prints, that text as :func:`analyzer.report.safe.json_safe` makes it (the characters
        a terminal could act on as ``\\uXXXX``), written so by the compiled writer (no scan of the text after)."""
        d = self._dict([{"frames": s.frames, "time": round(s.time, 6), "layer": s.layer, "kind": s.kind,
                         "text": s.text, "problem": s.problem, "facts": s.facts} for s in self.steps])
        text = _JSON_TEXT(d, safe) if _JSON_TEXT is not None else None
        if text is not None:
            return text
        return json_safe(_JSON.encode(d)) if safe else _JSON.encode(d)

    def _dict(self, steps: list[dict[str, Any]]) -> dict[str, Any]:
        return {"index": self.index, "kind": self.kind, "url": self.url, "host": self.host, "client": self.client,
                "server": self.server, "server_port": self.server_port, "start_ns": self.start_ns,
                "continues": self.continues,
                "steps": steps,
                "requests": [r.as_dict() for r in self.requests],
                "connections": [c.as_dict() for c in self.connections],
                "lookups": [x.as_dict() for x in self.lookups],
                "summary": self.summary.as_dict(),
                "breakdown": [d.as_dict() for d in self.breakdown],
                "notes": list(self.notes)}


@fast_init
@dataclass(frozen=True, slots=True)
class Timeline:
    """The fetches of a capture, in the order they began."""

    fetches: tuple[Fetch, ...]
    lang: str = "en"
    frames: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"fetches": [f.as_dict() for f in self.fetches]}


# json.dumps(..., ensure_ascii=False)'s encoder without its check for circular references (a fetch's values are
# trees made here; the text is the same): Fetch.json_text
_JSON = json.JSONEncoder(ensure_ascii=False, check_circular=False)
# the same text written by the compiled helper (None for a value it does not know: _JSON writes it then);
# tests/test_timeline_json_compiled.py compares the two
_JSON_TEXT = compiled("json_text")


def _endpoint(addr: str, port: int | None) -> str:
    a = f"[{addr}]" if ":" in addr else addr
    return a if port is None else f"{a}:{port}"
