"""HTTP/1.0 and 1.1 over reassembled TCP streams, parsed passively and sans-IO (after h11).

The TCP reassembler owns one :class:`HttpConversation` per connection and feeds it the bytes of each
direction with their frame numbers and times; it gets back :class:`Transaction` records, each a request
paired with its response. :class:`HttpStreamParser` parses one direction alone and produces the events
of :mod:`analyzer.apps.http.events`.

Modules: ``events`` (what comes out), ``headers`` (header fields), ``buffer`` (the receive buffer),
``readers`` (start lines, header blocks, bodies by framing), ``encoding`` (gzip/deflate with a size cap),
``parser`` (the state machine of one direction), ``conversation`` (pairing both directions).
"""

from analyzer.apps.http.conversation import Body, HttpConversation, Transaction
from analyzer.apps.http.events import (
    CAPTURE_ENDED,
    CONNECTION_CLOSED,
    CONNECTION_RESET,
    GAP,
    MALFORMED,
    NEED_DATA,
    NO_REQUEST,
    NO_RESPONSE,
    NOT_HTTP,
    Data,
    EndOfMessage,
    Event,
    Malformed,
    Request,
    Response,
)
from analyzer.apps.http.headers import Headers
from analyzer.apps.http.parser import CLIENT, SERVER, HttpStreamParser

__all__ = [
    "CAPTURE_ENDED",
    "CLIENT",
    "CONNECTION_CLOSED",
    "CONNECTION_RESET",
    "GAP",
    "MALFORMED",
    "NEED_DATA",
    "NOT_HTTP",
    "NO_REQUEST",
    "NO_RESPONSE",
    "SERVER",
    "Body",
    "Data",
    "EndOfMessage",
    "Event",
    "Headers",
    "HttpConversation",
    "HttpStreamParser",
    "Malformed",
    "Request",
    "Response",
    "Transaction",
]
