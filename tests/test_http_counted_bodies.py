"""Bodies counted, not handed out (``HttpStreamParser.want_body``: the timeline stores only HTML bodies): a
message whose head the predicate refuses, with no content-coding, gives no Data events -- its chunks inside a
body of known length are counted by ``count_body``, the rest by the general steps -- and everything else is
what the parser gives without the predicate: the same heads and ends (frames, lengths, completeness), the same
transactions, their bodies empty for the counted messages only. On tests/test_http1_lean.py's streams (every
framing: lengths, chunked with trailers, until close, HEAD/304/1xx/101/CONNECT, pipelining), fed whole, a byte
at a time and in random pieces, with and without a gap."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from test_http1_lean import CASES, _split, _streams, _tap

from analyzer.apps.http.conversation import EMPTY_BODY, HttpConversation
from analyzer.apps.http.events import Data
from analyzer.apps.http.headers import content_codings
from analyzer.apps.http.parser import CLIENT, SERVER


def html(headers) -> bool:
    return (headers.get("content-type") or "").split(";", 1)[0].strip().lower() == "text/html"


def _run(case: str, how: str, counted: bool, seed: int, gap: bool) -> tuple[list, list, int]:
    """The events (as the conversation takes them), the transactions, and how many chunks count_body took."""
    requests, responses, end = _streams(case)
    rng = random.Random(seed)
    conv = HttpConversation()
    events: list = []
    taken = 0
    if counted:
        conv.client.want_body = conv.server.want_body = html
    _tap(conv, events)
    txs: list = []
    frame = 0

    def feed(role, parser, data):
        nonlocal frame, taken
        for piece in _split(data, how, rng):
            frame += 1
            if counted and conv.count_body(parser, piece, frame * 10, frame):     # as HttpSink.data does
                taken += 1
            else:
                txs.extend(conv.receive_data(role, piece, frame * 10, frame))
    feed(CLIENT, conv.client, b"".join(requests))
    server = b"".join(responses)
    if gap:
        cut = len(server) // 2
        feed(SERVER, conv.server, server[:cut])
        txs.extend(conv.receive_gap(SERVER, 7))
        feed(SERVER, conv.server, server[cut + 7:])
    else:
        feed(SERVER, conv.server, server)
    frame += 1
    txs.extend(conv.receive_eof(CLIENT, frame * 10, frame, end))
    txs.extend(conv.receive_eof(SERVER, frame * 10, frame, end))
    txs.extend(conv.close())
    return events, txs, taken


def _kept(head) -> bool:
    return head is not None and (html(head.headers) or bool(content_codings(head.headers)))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("how", ["whole", "bytes", "random"])
@pytest.mark.parametrize("gap", [False, True])
def test_counted_bodies_are_the_full_parsers_less_their_bytes(case, how, gap):
    for seed in range(3 if how == "random" else 1):
        full_events, full_txs, _ = _run(case, how, False, seed, gap)
        events, txs, taken = _run(case, how, True, seed, gap)
        assert [e for e in events if not isinstance(e[1], Data)] == [e for e in full_events
                                                                   if not isinstance(e[1], Data)]
        expected = [replace(tx, request_body=tx.request_body if _kept(tx.request) else EMPTY_BODY,
                            response_body=tx.response_body if _kept(tx.response) else EMPTY_BODY)
                    for tx in full_txs]
        assert txs == expected
        assert len(txs) == len(full_txs) > 0
        if how == "bytes" and case == "pipelined" and not gap:
            assert taken > 10                                   # the counting path ran
            assert any(tx.response_body.data for tx in txs)     # an HTML body (and a gzip one) still kept
            assert any(tx.request_body is EMPTY_BODY and full.request_body.data
                       for tx, full in zip(txs, full_txs, strict=True))
