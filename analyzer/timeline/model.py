"""The timeline's own model: page fetches, their steps, request timings, summary and ladder (frozen).

A :class:`Timeline` holds the page fetches of one capture (see :mod:`analyzer.timeline.build` for how
requests are grouped). Each :class:`Fetch` has

* ``steps``: what happened, in capture order, each with the frame(s) that show it, the time since the fetch
  began, the layer (``arp``, ``dns``, ``tcp``, ``http``), a short id (``tcp.handshake.2``) and a
  plain-language explanation (``text``, in the language asked for) built from ``facts``;
* ``requests``: one :class:`RequestTiming` per HTTP request, with the phases HAR and the waterfall use
  (blocked, dns, connect, send, wait, receive, in ms; -1 when a phase did not happen);
* ``summary``: DNS time, connect time, time to first byte, total, requests per connection, bytes each way;
* ``ladder``: the messages of the fetch as arrows between the client and its peers.

Times: ``time``/``start``/``end`` are seconds (float) since the fetch's first frame; the ``*_ms`` values
are milliseconds; ``start_ns`` is the fetch's first frame time in ns since the epoch. Strings that came from
packets (URIs, header values, DNS names) are stored as they were: escaping is the printers' job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LAYERS = ("arp", "dns", "tcp", "http")
PHASES = ("blocked", "dns", "connect", "send", "wait", "receive")
NOT_APPLICABLE = -1.0


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a fetch. ``frame`` is a frame number, or a tuple of them (empty for a step that says
    what the capture does not hold, such as a cached DNS answer)."""

    frame: int | tuple[int, ...]
    time: float
    layer: str
    step: str
    text: str
    template: str = ""  # the key of the explanation in analyzer.timeline.texts
    facts: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def frames(self) -> tuple[int, ...]:
        return self.frame if isinstance(self.frame, tuple) else (self.frame,)

    def as_dict(self) -> dict[str, Any]:
        return {"frame": list(self.frame) if isinstance(self.frame, tuple) else self.frame,
                "time": round(self.time, 6), "layer": self.layer, "step": self.step, "text": self.text,
                "facts": dict(self.facts)}


@dataclass(frozen=True, slots=True)
class Phase:
    """A part of a request's life, drawn to scale in the waterfall: seconds since the fetch began."""

    name: str  # one of PHASES
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class RequestTiming:
    """One HTTP request of a fetch and how its time was spent (ms, -1 when a phase did not happen)."""

    method: str
    uri: str
    url: str
    host: str
    status: int | None
    status_text: str
    request_frame: int
    response_frame: int | None
    stream: int
    client: str
    client_port: int
    server: str
    server_port: int
    http_version: str
    response_version: str
    start: float  # seconds since the fetch began: the first phase
    started_ns: int  # the same, ns since the epoch
    blocked: float
    dns: float
    connect: float
    send: float
    wait: float
    receive: float
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
    response_body: bytes = b""  # decoded when possible, else as sent
    response_body_encoded: bool = False  # response_body still has its content-coding
    reused_connection: bool = False  # the connection carried an earlier request
    document: bool = False  # the page's own document (the fetch's first request)
    complete: bool = True
    reason: str | None = None
    frames: tuple[int, ...] = ()  # request frames then response frames (first and last)

    @property
    def total(self) -> float:
        return sum(v for v in (self.blocked, self.dns, self.connect, self.send, self.wait, self.receive)
                   if v > 0)

    @property
    def ttfb(self) -> float:
        return self.wait

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "uri": self.uri, "url": self.url, "host": self.host,
                "status": self.status, "status_text": self.status_text, "request_frame": self.request_frame,
                "response_frame": self.response_frame, "stream": self.stream,
                "client": f"{self.client}:{self.client_port}", "server": f"{self.server}:{self.server_port}",
                "http_version": self.http_version, "start": round(self.start, 6),
                "timings": {name: round(getattr(self, name), 3) for name in PHASES},
                "total_ms": round(self.total, 3), "content_type": self.content_type,
                "request_bytes": self.request_head_bytes + self.request_body_bytes,
                "response_bytes": self.response_head_bytes + self.response_body_bytes,
                "response_body_bytes": self.response_body_bytes, "reused_connection": self.reused_connection,
                "document": self.document, "complete": self.complete, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ConnectionUse:
    """A TCP connection as the fetch used it."""

    stream: int
    client: str
    client_port: int
    server: str
    server_port: int
    requests: int
    handshake_seen: bool
    irtt_ms: float | None
    opened_by_earlier_fetch: bool
    closed_by: str | None  # "client", "server" or None (still open at the end of the capture)
    teardown: str | None  # "four-way", "three-way", "simultaneous", "half-close", "one FIN", "reset"
    time_wait: str | None  # "client", "server", "both" or None

    def as_dict(self) -> dict[str, Any]:
        return {"stream": self.stream, "client": f"{self.client}:{self.client_port}",
                "server": f"{self.server}:{self.server_port}", "requests": self.requests,
                "handshake_seen": self.handshake_seen, "irtt_ms": self.irtt_ms,
                "opened_by_earlier_fetch": self.opened_by_earlier_fetch, "closed_by": self.closed_by,
                "teardown": self.teardown, "time_wait": self.time_wait}


@dataclass(frozen=True, slots=True)
class FetchSummary:
    """The numbers of one fetch (ms; -1 when the phase was not captured)."""

    dns_ms: float  # the page host's lookup (first query -> last answer)
    connect_ms: float  # the document's connection: SYN -> the client's ACK
    ttfb_ms: float  # the document: request sent -> first byte of the response
    total_ms: float  # first frame of the fetch -> last byte of the last response
    requests: int
    connections: int
    requests_per_connection: tuple[tuple[int, int], ...]  # (stream, requests)
    connection_mode: str  # "keep-alive", "one connection per request", "single request"
    bytes_sent: int  # TCP payload client -> server on the fetch's connections (no retransmissions)
    bytes_received: int
    http_bytes_sent: int  # HTTP messages (headers + bodies as sent)
    http_bytes_received: int
    dns_lookups: int

    def as_dict(self) -> dict[str, Any]:
        return {"dns_ms": _r(self.dns_ms), "connect_ms": _r(self.connect_ms), "ttfb_ms": _r(self.ttfb_ms),
                "total_ms": _r(self.total_ms), "requests": self.requests, "connections": self.connections,
                "requests_per_connection": {str(s): n for s, n in self.requests_per_connection},
                "connection_mode": self.connection_mode, "bytes_sent": self.bytes_sent,
                "bytes_received": self.bytes_received, "http_bytes_sent": self.http_bytes_sent,
                "http_bytes_received": self.http_bytes_received, "dns_lookups": self.dns_lookups}


@dataclass(frozen=True, slots=True)
class LadderRow:
    """One message in the ladder diagram: ``sender`` is "client" or "peer"; ``peer`` names the other end
    ("127.0.0.1:8080", "DNS 8.8.8.8"); ``label`` says what the message does."""

    frame: int
    time: float
    sender: str
    peer: str
    layer: str
    label: str
    stream: int | None = None


@dataclass(frozen=True, slots=True)
class Fetch:
    """One page fetch: the document and the other resources of the page."""

    index: int
    url: str
    host: str
    client: str
    server: str  # address of the document's server
    server_port: int
    start_ns: int
    steps: tuple[Step, ...]
    requests: tuple[RequestTiming, ...]
    summary: FetchSummary
    connections: tuple[ConnectionUse, ...]
    ladder: tuple[LadderRow, ...]
    notes: tuple[str, ...] = ()

    @property
    def end(self) -> float:
        """Seconds since the fetch began of its last step."""
        times = [s.time for s in self.steps] + [p.end for r in self.requests for p in r.phases]
        return max(times, default=0.0)

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "url": self.url, "host": self.host, "client": self.client,
                "server": self.server, "server_port": self.server_port, "start_ns": self.start_ns,
                "steps": [s.as_dict() for s in self.steps],
                "requests": [r.as_dict() for r in self.requests],
                "summary": self.summary.as_dict(),
                "connections": [c.as_dict() for c in self.connections],
                "notes": list(self.notes)}


@dataclass(frozen=True, slots=True)
class Timeline:
    """The page fetches of a capture, in the order they began."""

    fetches: tuple[Fetch, ...]
    lang: str = "en"

    def as_dict(self) -> dict[str, Any]:
        return {"fetches": [f.as_dict() for f in self.fetches]}


def _r(v: float) -> float:
    return round(v, 3)
