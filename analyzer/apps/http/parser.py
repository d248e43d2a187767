"""HttpStreamParser: one direction of an HTTP/1.x connection, parsed passively (sans-IO).

Theory of operation
-------------------
The TCP reassembler feeds one parser per direction: role "client" parses the requests a client sends,
role "server" the responses. It calls ``receive_data(data, ts_ns, frame)`` with in-order stream bytes,
``receive_gap(nbytes)`` where it lost bytes, ``receive_eof(ts_ns, frame, reason)`` once at the end, and
after each call drains ``next_event()`` until it returns :data:`NEED_DATA`. Parsing is eager: each call
turns every byte it can into events at once, so each event knows the frame of the chunk that completed
it (a message can only complete in the chunk that brings its last byte).

The parser is never in doubt about what it is doing; its state says it, and every transition lives in
this file::

    state      on bytes                                  on a gap                   on eof
    IDLE       skip empty lines; any other byte -> HEAD  RESYNC                     CLOSED
    HEAD       start line + header block -> BODY, or     (partial head events)      (partial head events)
               IDLE when there is no body; bytes that    RESYNC                     CLOSED
               are not a start line -> Malformed, then
               NOT_HTTP at stream start, else RESYNC
    BODY       body reader -> Data...; EndOfMessage      stay, message incomplete,  EndOfMessage
               -> IDLE (SWITCHED after 101/CONNECT)      if the framing counts the  -> CLOSED
                                                         lost bytes; else RESYNC
    RESYNC     drop bytes up to a line that looks like   RESYNC                     CLOSED
               a start line -> IDLE
    NOT_HTTP   ignore                                    RESYNC                     CLOSED
    SWITCHED   ignore (the connection left HTTP/1.x)     SWITCHED                   CLOSED
    CLOSED     programming error                         programming error          programming error

Rules the table does not show:

* "Not HTTP" is decided only at the start of a stream: its first bytes must be a prefix of a start line
  (checked byte by byte, so binary data is rejected at once) and its first line a whole one. Garbage
  after a valid message only costs a resync. A stream picked up mid-connection should be started with
  ``receive_gap(0)`` so that it resyncs instead of being judged on a mid-message first byte.
* A response's framing depends on its request: HEAD gets no body, CONNECT 2xx switches protocols. The
  server-side parser learns request methods, in order, through ``expect_response(method)`` (the
  :class:`~analyzer.apps.http.conversation.HttpConversation` does this); an unknown method counts as GET.
  1xx responses other than 101 are interim: they do not use up a method.
* Body framing (RFC 9112 6.3): no body for 1xx, 204, 304 and HEAD responses; Transfer-Encoding ending in
  chunked -> chunked (and wins over Content-Length); other Transfer-Encoding -> until close (a request
  with one is malformed); Content-Length -> that many bytes (invalid -> malformed); otherwise a request
  has no body and a response runs until the connection closes.
* A body read until close is complete only when the stream ends with reason "connection closed".
* Malformed input never raises: it becomes a Malformed event. Only misuse raises (data after eof, a
  negative gap, an unknown role).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from analyzer.apps.http.buffer import ReceiveBuffer
from analyzer.apps.http.encoding import ContentDecoder
from analyzer.apps.http.events import (
    CAPTURE_ENDED,
    CONNECTION_CLOSED,
    GAP,
    MALFORMED,
    NEED_DATA,
    Data,
    EndOfMessage,
    Event,
    Malformed,
    Request,
    Response,
)
from analyzer.apps.http.headers import Headers, content_codings, content_length
from analyzer.apps.http.readers import (
    END,
    HEAD_END,
    KNOWN_METHODS,
    PREFIX_CHECK_LENGTH,
    REQUEST_AFTER_NEWLINE,
    STATUS_AFTER_NEWLINE,
    ChunkedReader,
    ContentLengthReader,
    FramingError,
    UntilCloseReader,
    framing_fields,
    parse_fields,
    parse_request_line,
    parse_status_line,
    plausible_start,
    raw_lines,
    split_lines,
)
from analyzer.compiled import compiled

CLIENT = "client"
SERVER = "server"

IDLE = "IDLE"
HEAD = "HEAD"
BODY = "BODY"
RESYNC = "RESYNC"
NOT_HTTP = "NOT_HTTP"
SWITCHED = "SWITCHED"
CLOSED = "CLOSED"

DEFAULT_MAX_HEAD_SIZE = 64 * 1024
MAX_SWITCHED_HELD = 64      # chunks kept after a switch of protocols between two take_switched calls
DEFAULT_MAX_DECODED_SIZE = 64 * 1024 * 1024
MAX_PENDING_METHODS = 1024  # requests awaiting a response that the server side remembers
HEAD_LENGTH = 16          # body bytes kept at the start of each message (EndOfMessage.body_head: what sniffs a body)
_MAX_RESYNC_LINE = 8192  # an unfinished line kept while resynchronising, at most
_SAMPLE = 64  # bytes of offending data kept in a Malformed event

_Reader = ContentLengthReader | ChunkedReader | UntilCloseReader

# A plain head read in one pass (analyzer/columnar/_speedups.c, http_head: see there what "plain" is and what it
# gives back); None without the compiled helper or with ANALYZER_PURE_PYTHON: every head takes the Python path.
_http_head = compiled("http_head")
_TE, _CL, _UPGRADE, _CE = 1, 2, 4, 8       # http_head's flags: these fields are present


class _Message:
    """The message being parsed: where it started, how its body is read, what it has seen so far."""

    __slots__ = (
        "body_head",
        "body_length",
        "body_offset",
        "counted",
        "decoder",
        "first_frame",
        "first_ts",
        "last_frame",
        "last_ts",
        "lost",
        "might_switch",
        "offset",
        "reader",
        "reason",
        "start",
        "start_note",
        "switch",
    )

    def __init__(self, offset: int, frame: int, ts_ns: int):
        self.offset = offset
        self.start_note: str | None = None  # what is malformed in a start line read leniently
        self.first_frame = self.last_frame = frame
        self.first_ts = self.last_ts = ts_ns
        self.start: tuple | None = None  # the parsed start line, once its line end arrived
        self.reader: _Reader | None = None
        self.decoder: ContentDecoder | None = None
        self.body_offset: int | None = None  # stream offset where the body starts
        self.body_length = 0
        self.body_head = b""  # the body's first bytes as received (HEAD_LENGTH; frame.protocols sniffs them)
        self.counted = False  # its body is counted, not handed out (HttpStreamParser.want_body said no)
        self.lost = 0  # body bytes lost in gaps the reader stepped over
        self.reason: str | None = None  # first reason the message became incomplete
        self.switch = False  # the connection leaves HTTP/1.x after this message (101, CONNECT 2xx)
        self.might_switch = False  # a request asking to switch (Upgrade, CONNECT)


class HttpStreamParser:
    """Parse one direction of an HTTP/1.x connection: requests (role "client") or responses ("server").

    ``max_head_size`` caps a header block (and a trailer section); ``max_decoded_size`` caps what content
    decoding may produce per message.

    Read-only attributes: ``not_http`` (the stream did not start like HTTP and no resync found HTTP
    since), ``switched`` (the connection left HTTP/1.x: 101 or CONNECT), ``skipped`` (bytes dropped
    unparsed), ``eof_reason`` (the reason given to ``receive_eof``), ``state`` (the state's name).
    """

    keep_lines = True   # a head's raw lines (Request/Response.lines, for http.*.line fields); () when False
    # a Data event for a chunk wholly inside a body of known length without content-coding (False: the bytes
    # are counted, not handed out -- the message's body_length and its end are the same)
    keep_body = True
    # lean heads (read's lines, no records): a head's Headers hold only the fields its framing and Info text
    # read (readers.FRAMING_FIELDS, names lowercase), found without parsing every line, its notes only the
    # start line's, and a body is not content-decoded (its Data events and the EndOfMessage's decoded_* say
    # nothing of the decoded form); what the lines need of a message is the same (tests/test_http1_lean.py)
    lean = False
    # per message: called with the head's Headers when a body without content-coding follows; False: its bytes
    # are counted, not handed out as Data events (the EndOfMessage is the same; the timeline keeps only HTML
    # bodies). None: every body is handed out (as keep_body says)
    want_body: Callable[[Headers], bool] | None = None
    # keep the chunks of the stream after it left HTTP/1.x (SWITCHED), the rest of the chunk that ended the
    # switching message included, for ``take_switched`` (the WebSocket after a 101 is read so; a flag and a
    # list, not a callback: a bound method of the conversation would make a reference cycle, and the analysis
    # runs without the cyclic garbage collector)
    keep_switched = False

    def __init__(
        self,
        role: str,
        *,
        max_head_size: int = DEFAULT_MAX_HEAD_SIZE,
        max_decoded_size: int = DEFAULT_MAX_DECODED_SIZE,
    ):
        if role not in (CLIENT, SERVER):
            raise ValueError(f"role must be 'client' or 'server', not {role!r}")
        self.role = role
        self.max_head_size = max_head_size
        self.max_decoded_size = max_decoded_size
        self.skipped = 0
        self.not_http = False
        self.switched = False
        self.eof_reason: str | None = None
        self._client = role == CLIENT
        self._buf = ReceiveBuffer()
        self._events: deque[Event] = deque()
        self._state = IDLE
        self._methods: deque[str] = deque(maxlen=MAX_PENDING_METHODS)
        self._seen_message = False  # a valid start line was seen: garbage no longer means "not HTTP"
        self._might_switch = False  # client: the last request asked to switch protocols
        self._switch_after_message = False  # switch_protocols() arrived while a body was being read
        self._msg: _Message | None = None
        self._scan = 0  # HEAD: how far the buffer was searched for the end of the first line / block
        self._resync_line_start = False  # RESYNC: the buffer starts at a line start (after a gap)
        self._frame = 0  # frame and time of the chunk being parsed
        self._ts = 0
        self.held_switched: list[tuple[bytes, int, int]] | None = None  # see keep_switched

    # ----------------------------------------------------------------- public API

    @property
    def state(self) -> str:
        """The state name: IDLE, HEAD, BODY, RESYNC, NOT_HTTP, SWITCHED or CLOSED."""
        return self._state

    def receive_data(self, data: bytes, ts_ns: int, frame: int) -> None:
        """Parse the next in-order bytes of the stream, carried by ``frame`` captured at ``ts_ns``."""
        if self._state == CLOSED:
            raise RuntimeError("receive_data() after receive_eof()")
        if not data:
            return
        self._frame, self._ts = frame, ts_ns
        if self._state in (NOT_HTTP, SWITCHED):
            self.skipped += len(data)
            self._buf.advance(len(data))
            if self._state == SWITCHED and self.keep_switched:
                self._hold_switched(bytes(data), ts_ns, frame)
            return
        if self._state == BODY and not len(self._buf):
            msg = self._msg
            reader = msg.reader
            if reader.__class__ is ContentLengthReader and reader.remaining > len(data):
                # Inside a body of known length, the whole chunk is body and the body goes on: what
                # _step_body would do after buffering it (one Data event; the buffer stays empty)
                n = len(data)
                reader.remaining -= n
                self._buf.offset += n
                msg.last_frame, msg.last_ts = frame, ts_ns
                if not msg.body_length:
                    msg.body_head = bytes(data[:HEAD_LENGTH])
                msg.body_length += n
                if (self.keep_body and not msg.counted) or msg.decoder is not None:
                    out = bytes(data)
                    self._events.append(Data(out, out if msg.decoder is None else msg.decoder.feed(out), frame,
                                             ts_ns))
                return
        self._buf.append(data, frame, ts_ns)
        self._run()
        self._buf.compact()

    def count_body(self, data: bytes, ts_ns: int, frame: int) -> bool:
        """What :meth:`receive_data` does with a chunk wholly inside a body of known length without
        content-coding when no Data event is wanted (``keep_body`` False): count it. True when the chunk was
        taken so (no event follows); False, having done nothing, for any other chunk."""
        if self._state != BODY or len(self._buf):
            return False
        msg = self._msg
        if self.keep_body and not msg.counted:
            return False
        reader = msg.reader
        n = len(data)
        if reader.__class__ is not ContentLengthReader or reader.remaining <= n or msg.decoder is not None:
            return False
        self._frame, self._ts = frame, ts_ns
        reader.remaining -= n
        self._buf.offset += n
        msg.last_frame, msg.last_ts = frame, ts_ns
        if not msg.body_length:
            msg.body_head = bytes(data[:HEAD_LENGTH])
        msg.body_length += n
        return True

    def take_body(self, data: bytes, ts_ns: int, frame: int) -> bool:
        """What :meth:`receive_data` does with a chunk wholly inside a kept body of known length without
        content-coding (``keep_body``, not counted), less its Data event: the caller stores the chunk where the
        event would have gone (:meth:`HttpConversation.take_body`). True when the chunk was taken so (the body
        goes on after it: no other event could follow); False, having done nothing, for any other chunk or when
        an event is still waiting to be read."""
        if self._state != BODY or len(self._buf) or self._events or not self.keep_body:
            return False
        msg = self._msg
        reader = msg.reader
        n = len(data)
        if msg.counted or reader.__class__ is not ContentLengthReader or reader.remaining <= n or not n \
                or msg.decoder is not None:
            return False
        self._frame, self._ts = frame, ts_ns
        reader.remaining -= n
        self._buf.offset += n
        msg.last_frame, msg.last_ts = frame, ts_ns
        if not msg.body_length:
            msg.body_head = bytes(data[:HEAD_LENGTH])
        msg.body_length += n
        return True

    def receive_gap(self, nbytes: int) -> None:
        """The reassembler lost ``nbytes`` of the stream here (0: unknown, e.g. picked up mid-stream)."""
        if self._state == CLOSED:
            raise RuntimeError("receive_gap() after receive_eof()")
        if nbytes < 0:
            raise ValueError(f"negative gap: {nbytes}")
        buf = self._buf
        state = self._state
        if state == SWITCHED:
            buf.advance(nbytes)
            return
        msg = self._msg
        if state == BODY and msg is not None and not len(buf) and msg.reader.skip_gap(nbytes):
            # The framing counts bytes: the message is incomplete but the stream stays in step.
            msg.lost += nbytes
            msg.reason = msg.reason or GAP
            if msg.decoder is not None:
                msg.decoder.stop("gap in body")
            buf.advance(nbytes)
            self._run()  # the gap may have ended exactly where the body ends
            buf.compact()
            return
        if state == BODY:
            buf.discard()
            self._end_message(False, GAP)
        elif state == HEAD:
            self._abandon_head(GAP)
        else:
            self.skipped += buf.discard()
        buf.advance(nbytes)
        buf.compact()
        self._enter_resync(at_line_start=True)

    def receive_eof(self, ts_ns: int, frame: int, reason: str = CAPTURE_ENDED) -> None:
        """The stream ended, at ``frame``/``ts_ns``, because of ``reason``: "connection closed" (FIN),
        "connection reset" (RST) or "capture ended". Only "connection closed" completes a body read until
        close; a message cut by any other end is incomplete with that reason."""
        if self._state == CLOSED:
            raise RuntimeError("receive_eof() called twice")
        buf = self._buf
        if self._state == BODY:
            buf.discard()
            complete = self._msg.reader.completes_at_eof and reason == CONNECTION_CLOSED
            self._end_message(complete, None if complete else reason, end=(frame, ts_ns))
        elif self._state == HEAD:
            self._abandon_head(reason)
        else:
            self.skipped += buf.discard()
        buf.compact()
        self._state = CLOSED
        self.eof_reason = reason

    def restart(self, reason: str) -> None:
        """The bytes received so far never reached the peer (TLS 1.3 early data the server refused, RFC 8446
        4.2.10) and the sender will send its messages again: a message in progress ends incomplete with
        ``reason`` (a head cut short is reported as on a gap; a start line not yet whole is dropped), and the
        next byte is judged as the stream's first."""
        state = self._state
        if state == CLOSED:
            return
        buf = self._buf
        if state == BODY:
            buf.discard()
            self._end_message(False, reason)
        elif state == HEAD and self._msg.start is not None:
            self._abandon_head(reason)
        else:
            self._msg = None
            self.skipped += buf.discard()
        buf.compact()
        self._state = IDLE
        self._seen_message = self.not_http = self.switched = False
        self._might_switch = self._switch_after_message = self._resync_line_start = False
        self._scan = 0

    def next_event(self) -> Event | object:
        """The next event, or :data:`NEED_DATA` when the bytes received so far are all accounted for."""
        return self._events.popleft() if self._events else NEED_DATA

    def expect_response(self, method: str) -> None:
        """Server role: the client sent a request with ``method``; responses frame by it, in order."""
        self._methods.append(method)

    def forget_requests(self, count: int) -> None:
        """Server role: ``count`` more of the oldest requests were answered by bytes lost in a capture gap
        (see :class:`~analyzer.apps.http.conversation.HttpConversation`): their methods no longer frame
        responses."""
        for _ in range(min(count, len(self._methods))):
            self._methods.popleft()

    def switch_protocols(self) -> None:
        """Client role: the server agreed to switch protocols (101, or 2xx to CONNECT); what follows the
        current request is no longer HTTP/1.x."""
        state = self._state
        if state in (CLOSED, NOT_HTTP, SWITCHED):
            return
        if state == BODY:
            self._switch_after_message = True
            return
        self._msg = None
        self._state = SWITCHED
        if self.keep_switched and len(self._buf):
            self._switched_rest()
        self.skipped += self._buf.discard()
        self._buf.compact()
        self.switched = True

    # ----------------------------------------------------------------- the state machine

    def _run(self) -> None:
        """Step the state machine until it needs more bytes."""
        steps = _STEPS
        while steps[self._state](self):
            pass

    def _step_idle(self) -> bool:
        buf = self._buf
        data, pos, end = buf.data, buf.pos, len(buf.data)
        i = pos
        while i < end and data[i] in b"\r\n":  # RFC 9112 2.2: ignore empty lines before a start line
            i += 1
        buf.skip(i - pos)
        if i == end:
            return False
        # The first byte may have been kept from an earlier chunk (a start line split while resyncing).
        frame, ts_ns = buf.origin(buf.offset) or (self._frame, self._ts)
        self._msg = _Message(buf.offset, frame, ts_ns)
        self._scan = 0
        self._state = HEAD
        return True

    def _step_head(self) -> bool:
        buf = self._buf
        msg = self._msg
        msg.last_frame, msg.last_ts = self._frame, self._ts
        if msg.start is None:
            if not self._scan and _http_head is not None:
                head = _http_head(buf.data, buf.pos, self._client, self.lean, self.keep_lines, self.max_head_size)
                if head is not None and (not self._client or head[1] in KNOWN_METHODS):
                    self._finish_plain_head(head)
                    return True
            nl = buf.find(b"\n", self._scan)
            if nl < 0:
                if len(buf) > self.max_head_size:
                    return self._bad_head("start line longer than the header size limit")
                if not plausible_start(self._client, buf.peek(PREFIX_CHECK_LENGTH)):
                    return self._bad_head(self._not_start_line_reason())
                self._scan = len(buf)
                return False
            line = buf.peek(nl)
            if line.endswith(b"\r"):
                line = line[:-1]
            start, error = (parse_request_line if self._client else parse_status_line)(line)
            if start is None:
                return self._bad_head(error)
            msg.start = start
            msg.start_note = error
            self._scan = nl
        m = HEAD_END.search(buf.data, buf.pos + self._scan)
        if m is None or m.end() - buf.pos > self.max_head_size:
            if len(buf) > self.max_head_size:
                return self._bad_head(f"header block larger than {self.max_head_size} bytes")
            self._scan = max(len(buf) - 2, 0)
            return False
        self._finish_head(buf.take(m.end() - buf.pos), complete=True)
        return True

    def _step_body(self) -> bool:
        buf = self._buf
        msg = self._msg
        before = buf.offset
        try:
            out = msg.reader.read(buf)
        except FramingError as exc:
            offset, sample = buf.offset, buf.peek(_SAMPLE)
            frame, ts_ns = buf.origin(offset) or (self._frame, self._ts)
            self._end_message(False, MALFORMED)
            self._events.append(Malformed(exc.reason, offset, frame, ts_ns, sample))
            self._enter_resync(at_line_start=False)
            return True
        if buf.offset != before:
            msg.last_frame, msg.last_ts = self._frame, self._ts
        if out is None:
            return False
        if out is END:
            self._end_message(True, None)
            return True
        if not msg.body_length:
            msg.body_head = bytes(out[:HEAD_LENGTH])
        msg.body_length += len(out)
        if msg.counted:
            return True
        decoded = out if msg.decoder is None else msg.decoder.feed(out)
        self._events.append(Data(out, decoded, self._frame, self._ts))
        return True

    def _step_resync(self) -> bool:
        buf = self._buf
        data, pos = buf.data, buf.pos
        if pos == len(data):
            return False
        if self._resync_line_start:
            # Right after a gap: the stream may resume exactly at a message start.
            nl = data.find(b"\n", pos)
            if nl < 0:
                if len(data) - pos <= _MAX_RESYNC_LINE and plausible_start(
                    self._client, bytes(data[pos : pos + PREFIX_CHECK_LENGTH])
                ):
                    return False
            else:
                line = bytes(data[pos:nl])
                if self._is_start_line(line[:-1] if line.endswith(b"\r") else line):
                    self._state = IDLE
                    return True
            self._resync_line_start = False
        pattern = REQUEST_AFTER_NEWLINE if self._client else STATUS_AFTER_NEWLINE
        m = pattern.search(data, pos)
        if m is not None:
            self.skipped += buf.skip(m.start() + 1 - pos)
            self._state = IDLE
            return True
        last = data.rfind(b"\n", pos)
        tail = last + 1
        if last >= 0 and len(data) - tail <= _MAX_RESYNC_LINE and plausible_start(
            self._client, bytes(data[tail : tail + PREFIX_CHECK_LENGTH])
        ):
            self.skipped += buf.skip(last - pos)  # keep the line break: the next search needs it
        else:
            self.skipped += buf.discard()
        return False

    def _step_ignore(self) -> bool:
        if self._state == SWITCHED and self.keep_switched and len(self._buf):
            self._switched_rest()
        self.skipped += self._buf.discard()
        return False

    def _switched_rest(self) -> None:
        """The bytes buffered after the message that switched protocols, kept with the frame that brought their
        first byte."""
        buf = self._buf
        origin = buf.origin(buf.offset) or (self._frame, self._ts)
        self._hold_switched(buf.peek(len(buf)), origin[1], origin[0])

    def _hold_switched(self, data: bytes, ts_ns: int, frame: int) -> None:
        held = self.held_switched
        if held is None:
            held = self.held_switched = []
        if len(held) < MAX_SWITCHED_HELD:       # (taken after each chunk: more means nobody takes them)
            held.append((data, ts_ns, frame))

    def take_switched(self) -> list[tuple[bytes, int, int]]:
        """The chunks kept since the last call (see ``keep_switched``; ``held_switched`` is None when there
        are none): (bytes, ts_ns, frame) each."""
        held = self.held_switched
        if held is None:
            return []
        self.held_switched = None
        return held

    # ----------------------------------------------------------------- helpers

    def _is_start_line(self, line: bytes) -> bool:
        start, _ = (parse_request_line if self._client else parse_status_line)(line)
        return start is not None

    def _not_start_line_reason(self) -> str:
        what = "request line" if self._client else "status line"
        return f"bytes {self._buf.peek(16)!r} cannot begin a {what}"

    def _enter_resync(self, at_line_start: bool) -> None:
        self._state = RESYNC
        self._resync_line_start = at_line_start
        self._might_switch = False

    def _bad_head(self, reason: str) -> bool:
        """The bytes where a message should start are not one."""
        msg = self._msg
        self._msg = None
        if self._might_switch:
            # The request asked to switch protocols and what follows is not HTTP: it switched.
            self._state = SWITCHED
            self.switched = True
            return True
        is_http = self._seen_message or msg.start is not None  # a valid start line is evidence enough
        if not is_http:
            reason = f"not HTTP: {reason}"
        self._events.append(Malformed(reason, msg.offset, msg.first_frame, msg.first_ts, self._buf.peek(_SAMPLE)))
        if is_http:
            self._enter_resync(at_line_start=False)
        else:
            self._state = NOT_HTTP
            self.not_http = True
        return True

    def _abandon_head(self, reason: str) -> None:
        """A gap or the end of the stream cut a header block: report what was seen, then drop it."""
        buf = self._buf
        msg = self._msg
        if msg.start is not None:
            seen = buf.peek(len(buf))
            self._finish_head(seen[: seen.rfind(b"\n") + 1], complete=False, reason=reason)
        else:
            sample = buf.peek(_SAMPLE)
            self._msg = None
            self._events.append(
                Malformed(f"start line cut by {reason}", msg.offset, msg.first_frame, msg.first_ts, sample)
            )
        buf.discard()

    def _finish_head(self, block: bytes, complete: bool, reason: str | None = None) -> None:
        """Emit the Request/Response for a header block and choose how its body is read."""
        msg = self._msg
        notes: dict[str, None] = {}
        if msg.start_note:
            notes[msg.start_note] = None
        headers = framing_fields(block) if self.lean else None
        if headers is None:
            lines, bare_lf = split_lines(block)
            if bare_lf:
                notes["bare LF line endings"] = None
            headers = parse_fields(lines[1:], notes)
        head_frame, head_ts = (self._frame, self._ts) if complete else (None, None)
        self._seen_message = True
        self.not_http = False
        self._might_switch = False
        reader: _Reader | None = None
        error: str | None = None
        if self._client:
            method, target, version = msg.start
            if complete:
                reader, error = self._request_framing(headers, version, notes)
            msg.might_switch = method == "CONNECT" or "upgrade" in headers
            event: Event = Request(
                method, target, version, headers, msg.first_frame, msg.first_ts, head_frame, head_ts,
                msg.offset, len(block), complete, tuple(notes), raw_lines(block) if self.keep_lines else (),
            )
        else:
            status, phrase, version = msg.start
            method = self._methods[0] if self._methods else "GET"
            if (status >= 200 or status == 101) and self._methods:
                self._methods.popleft()  # a final response answers the oldest request
            msg.switch = status == 101 or (method == "CONNECT" and 200 <= status < 300)
            if complete:
                reader, error = self._response_framing(headers, status, method, msg.switch, notes)
            event = Response(
                status, phrase, version, headers, msg.first_frame, msg.first_ts, head_frame, head_ts,
                msg.offset, len(block), complete, tuple(notes), raw_lines(block) if self.keep_lines else (),
            )
        self._events.append(event)
        if not complete:
            msg.last_frame, msg.last_ts = self._frame, self._ts
            self._end_message(False, reason)
            return
        self._start_body(reader, error, headers, True)

    def _start_body(self, reader: _Reader | None, error: str | None, headers: Headers, coded: bool) -> None:
        """After a whole head's event: its framing error (Malformed, then resync), no body (the message ends),
        or its body's reader, with a content decoder when ``coded`` (the head may name a Content-Encoding) and
        the lines are not lean (nobody reads the decoded body then)."""
        msg = self._msg
        if error is not None:
            offset, sample = self._buf.offset, self._buf.peek(_SAMPLE)
            self._end_message(False, MALFORMED)
            self._events.append(Malformed(error, offset, self._frame, self._ts, sample))
            self._enter_resync(at_line_start=True)
            return
        if reader is None:
            self._end_message(True, None)
            return
        codings = content_codings(headers) if coded and not self.lean else None
        if codings:
            msg.decoder = ContentDecoder(codings, self.max_decoded_size)
        elif self.want_body is not None and self.keep_body and not self.want_body(headers):
            msg.counted = True
        msg.reader = reader
        msg.body_offset = self._buf.offset
        self._state = BODY

    def _finish_plain_head(self, head: tuple) -> None:
        """:meth:`_finish_head` of a whole head that ``_http_head`` read (no notes from its lines: they are plain),
        with the framing facts it found: the same events and state."""
        length, a, b, version, fields, lines, flags, clen = head
        msg = self._msg
        buf = self._buf
        msg.start = (a, b, version)
        buf.skip(length)
        headers = Headers(fields)
        self._seen_message = True
        self.not_http = False
        self._might_switch = False
        notes: dict[str, None] = {}
        if self._client:
            # _request_framing, where the facts decide it
            if flags & _TE or (flags & _CL and clen < 0):
                reader, error = self._request_framing(headers, version, notes)
            else:
                reader, error = (ContentLengthReader(clen) if clen > 0 else None), None
            msg.might_switch = a == "CONNECT" or flags & _UPGRADE != 0
            event: Event = Request(a, b, version, headers, msg.first_frame, msg.first_ts, self._frame, self._ts,
                                   msg.offset, length, True, tuple(notes), lines)
        else:
            status = a
            method = self._methods[0] if self._methods else "GET"
            if (status >= 200 or status == 101) and self._methods:
                self._methods.popleft()  # a final response answers the oldest request
            msg.switch = status == 101 or (method == "CONNECT" and 200 <= status < 300)
            if status < 200 or status in (204, 304) or method == "HEAD" or msg.switch:
                reader, error = None, None
            elif flags & _TE or (flags & _CL and clen < 0):
                reader, error = self._response_framing(headers, status, method, msg.switch, notes)
            elif flags & _CL:
                reader, error = (ContentLengthReader(clen) if clen else None), None
            else:
                reader, error = UntilCloseReader(), None
            event = Response(status, b, version, headers, msg.first_frame, msg.first_ts, self._frame, self._ts,
                             msg.offset, length, True, tuple(notes), lines)
        self._events.append(event)
        self._start_body(reader, error, headers, flags & _CE != 0)

    def _request_framing(
        self, headers: Headers, version: str, notes: dict[str, None]
    ) -> tuple[_Reader | None, str | None]:
        codings = headers.tokens("transfer-encoding")
        if codings:
            self._note_transfer_encoding(headers, version, notes)
            if codings[-1] == "chunked":
                return ChunkedReader(self.max_head_size), None
            return None, f"request Transfer-Encoding {', '.join(codings)!r} does not end in chunked"
        length, error = content_length(headers)
        if error is not None:
            return None, error
        return (ContentLengthReader(length) if length else None), None

    def _response_framing(
        self, headers: Headers, status: int, method: str, switch: bool, notes: dict[str, None]
    ) -> tuple[_Reader | None, str | None]:
        if status < 200 or status in (204, 304) or method == "HEAD" or switch:
            return None, None
        codings = headers.tokens("transfer-encoding")
        if codings:
            self._note_transfer_encoding(headers, version="", notes=notes)
            if codings[-1] == "chunked":
                return ChunkedReader(self.max_head_size), None
            return UntilCloseReader(), None
        length, error = content_length(headers)
        if error is not None:
            return None, error
        if length is None:
            return UntilCloseReader(), None
        return (ContentLengthReader(length) if length else None), None

    @staticmethod
    def _note_transfer_encoding(headers: Headers, version: str, notes: dict[str, None]) -> None:
        if "content-length" in headers:
            notes["Transfer-Encoding and Content-Length both present: Transfer-Encoding used"] = None
        if version == "HTTP/1.0":
            notes["Transfer-Encoding in an HTTP/1.0 message"] = None

    def _end_message(self, complete: bool, reason: str | None, end: tuple[int, int] | None = None) -> None:
        """Emit the EndOfMessage of the current message and return to IDLE (or SWITCHED)."""
        msg = self._msg
        self._msg = None
        if msg.reason is not None:  # a gap already made it incomplete: that is the first cause
            complete, reason = False, msg.reason
        decoder = msg.decoder
        if decoder is not None:
            rest = decoder.finish()
            if rest:
                self._events.append(Data(b"", rest, msg.last_frame, msg.last_ts))
        end_frame, end_ts = end if end is not None else (msg.last_frame, msg.last_ts)
        wire = 0 if msg.body_offset is None else self._buf.offset - msg.body_offset - msg.lost
        decode_error = None if decoder is None else decoder.error
        if decoder is None:
            decoded_length: int | None = msg.body_length
        elif decoder.supported:
            decoded_length = decoder.length
        elif msg.body_length:
            decoded_length = None
        else:  # an empty body decodes to nothing, whatever its coding
            decoded_length, decode_error = 0, None
        self._events.append(
            EndOfMessage(
                trailers=msg.reader.trailers if msg.reader is not None else Headers(),
                last_frame=msg.last_frame,
                last_ts_ns=msg.last_ts,
                end_frame=end_frame,
                end_ts_ns=end_ts,
                wire_length=wire,
                body_length=msg.body_length,
                body_head=msg.body_head,
                chunk_sizes=tuple(msg.reader.sizes) if msg.reader.__class__ is ChunkedReader else (),
                decoded_length=decoded_length,
                lost_length=msg.lost,
                complete=complete,
                reason=None if complete else reason,
                decode_error=decode_error,
                decoded_truncated=False if decoder is None else decoder.truncated,
            )
        )
        switch = complete and (msg.switch or self._switch_after_message)
        self._switch_after_message = False
        if switch:
            self._state = SWITCHED
            self.switched = True
        else:
            self._state = IDLE
            self._might_switch = msg.might_switch


# state -> step function; a step returns True while it makes progress, False when it needs more bytes.
_STEPS = {
    IDLE: HttpStreamParser._step_idle,
    HEAD: HttpStreamParser._step_head,
    BODY: HttpStreamParser._step_body,
    RESYNC: HttpStreamParser._step_resync,
    NOT_HTTP: HttpStreamParser._step_ignore,
    SWITCHED: HttpStreamParser._step_ignore,
}
