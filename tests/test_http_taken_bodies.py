"""Kept bodies stored without Data events (``HttpTracker.take_bodies``, the timeline's: HTML bodies, every body
with ``keep_bodies``): a chunk wholly inside a body of known length without content-coding goes straight into
its transaction's body (``HttpConversation.take_body``), and everything the conversation gives is what it gives
when every chunk goes through ``receive_data``: the same heads and ends, the same transactions with the same
bodies (bytes, truncation at the body limit). On tests/test_http1_lean.py's streams (every framing: lengths,
chunked with trailers, until close, HEAD/304/1xx/101/CONNECT, pipelining, gzip), fed whole, a byte at a time
and in random pieces, with and without a gap, alone and after the counting path (``want_body``), as
``HttpSink.data`` runs them."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from test_http1_lean import CASES, _split, _streams, _tap

from analyzer.apps.http.conversation import HttpConversation
from analyzer.apps.http.events import Data
from analyzer.apps.http.parser import CLIENT, SERVER

REPO = Path(__file__).resolve().parents[1]


def html(headers) -> bool:
    return (headers.get("content-type") or "").split(";", 1)[0].strip().lower() == "text/html"


def _run(case: str, how: str, take: bool, seed: int, gap: bool, limit: int, counted: bool) -> tuple[list, list, int]:
    """The events (as the conversation takes them), the transactions, and how many chunks take_body took."""
    requests, responses, end = _streams(case)
    rng = random.Random(seed)
    conv = HttpConversation(body_limit=limit)
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
            if counted and conv.count_body(parser, piece, frame * 10, frame):      # as HttpSink.data does
                continue
            if take and conv.take_body(parser, piece, frame * 10, frame):
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


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("how", ["whole", "bytes", "random"])
@pytest.mark.parametrize("gap", [False, True])
@pytest.mark.parametrize("limit", [1 << 20, 3])
@pytest.mark.parametrize("counted", [False, True])
def test_taken_bodies_are_the_data_events_bodies(case, how, gap, limit, counted):
    for seed in range(3 if how == "random" else 1):
        full_events, full_txs, _ = _run(case, how, False, seed, gap, limit, counted)
        events, txs, taken = _run(case, how, True, seed, gap, limit, counted)
        # no Data event for a taken chunk; every other event the same
        assert [e for e in events if not isinstance(e[1], Data)] == [e for e in full_events
                                                                   if not isinstance(e[1], Data)]
        assert txs == full_txs and len(txs) > 0
        if how == "bytes" and case == "pipelined" and not gap:
            assert taken >= 4                                   # the path ran (4 of "hello"s 5 bytes) ...
            assert any(tx.response_body.data for tx in txs)     # ... and stored bodies
            if limit == 3:
                assert any(tx.response_body.truncated for tx in txs)
            if not counted:
                assert any(tx.request_body.data for tx in txs)   # a request's body too


def test_the_timeline_takes_kept_bodies(monkeypatch):
    """The timeline's HTTP tracker takes the chunks of the bodies it keeps: lab_page_fetch.pcapng's HTML page
    (``tshark -r lab_page_fetch.pcapng -Y 'http.content_type contains "html"'``) comes in several segments, and
    with every body kept (har, report) its other bodies too."""
    from analyzer.capture import open_capture
    from analyzer.timeline import timeline

    calls = []
    original = HttpConversation.take_body

    def spy(self, parser, data, ts_ns, frame):
        got = original(self, parser, data, ts_ns, frame)
        calls.append(got)
        return got

    monkeypatch.setattr(HttpConversation, "take_body", spy)
    with open_capture(REPO / "captures" / "lab_page_fetch.pcapng") as reader:
        frames = list(reader)
    tl = timeline(frames, keep_bodies=True)
    assert sum(calls) > 0 and tl.fetches
