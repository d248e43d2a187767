"""HTTP/2 stream states (RFC 9113 section 5.1) as an observer of both endpoints sees them.

Theory of operation
-------------------
An endpoint keeps its own view of each stream; an observer of both sees one state per stream, named here
by who may still send. Every transition lives in :data:`TRANSITIONS`, a table ``state -> event -> new
state``; an event missing from a state's row is a protocol error (RFC 9113 5.1: "an endpoint MUST treat
... as a connection error of type PROTOCOL_ERROR"), which the observer reports and otherwise ignores: the
frames still decode and the stream keeps its state.

Events, by sender (``C`` the client, ``S`` the server)::

    C_HEADERS  C_DATA  C_END      a header block, DATA, END_STREAM from the client
    S_HEADERS  S_DATA  S_END      the same from the server
    S_PUSH                        the server promised this stream (PUSH_PROMISE on another stream)
    RST                           RST_STREAM from either side

The diagram (``half-closed (client)``: the client has finished sending, the server has not)::

                              idle
              S_PUSH  /                 \\  C_HEADERS
            reserved (server)           open
         S_HEADERS  |              C_END /    \\ S_END
                    v                   v      v
              half-closed (client)  <-  .      half-closed (server)
                          S_END \\                / C_END
                                 ---> closed <---        (RST from any state: closed)
"""

from __future__ import annotations

IDLE = "idle"
RESERVED = "reserved (server)"
OPEN = "open"
HALF_CLOSED_CLIENT = "half-closed (client)"     # the client sent END_STREAM
HALF_CLOSED_SERVER = "half-closed (server)"     # the server sent END_STREAM
CLOSED = "closed"

C_HEADERS, C_DATA, C_END = "client HEADERS", "client DATA", "client END_STREAM"
S_HEADERS, S_DATA, S_END = "server HEADERS", "server DATA", "server END_STREAM"
S_PUSH = "server PUSH_PROMISE"
RST = "RST_STREAM"

TRANSITIONS: dict[str, dict[str, str]] = {
    IDLE: {C_HEADERS: OPEN, S_PUSH: RESERVED},
    RESERVED: {S_HEADERS: HALF_CLOSED_CLIENT, RST: CLOSED},
    OPEN: {C_HEADERS: OPEN, C_DATA: OPEN, C_END: HALF_CLOSED_CLIENT,
           S_HEADERS: OPEN, S_DATA: OPEN, S_END: HALF_CLOSED_SERVER, RST: CLOSED},
    HALF_CLOSED_CLIENT: {S_HEADERS: HALF_CLOSED_CLIENT, S_DATA: HALF_CLOSED_CLIENT, S_END: CLOSED,
                         RST: CLOSED},
    HALF_CLOSED_SERVER: {C_HEADERS: HALF_CLOSED_SERVER, C_DATA: HALF_CLOSED_SERVER, C_END: CLOSED,
                         RST: CLOSED},
    CLOSED: {},
}

def transition(state: str, event: str) -> tuple[str, str | None]:
    """``(new state, None)``, or ``(state, error text)`` when ``event`` is not allowed in ``state``."""
    new = TRANSITIONS[state].get(event)
    if new is not None:
        return new, None
    return state, f"{event} on a stream in state {state}"
