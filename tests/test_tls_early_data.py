"""TLS 1.3 early data (0-RTT) refused and accepted, HTTP/1.1 and HTTP/2 (issue 10).

The server refused it: tests/fixtures/tls/tls13_early_data_rejected (and tls13_early_data_h2_rejected, the same
with HTTP/2), recorded by
scripts/record_tls_fixtures.py. openssl s_client saves a session on one nginx server, then offers it to a twin
server (same name, ticket keys of its own) with its GET as early data; the twin cannot open the ticket, does a
full handshake and skips the early data unread; s_client sends the GET again after the handshake.

Every expected frame is asked from tshark: the ClientHello, the ServerHello and its extensions (41,
pre_shared_key, is what accepts a resumption; without it early data is refused, RFC 8446 4.2.10), the two GETs
and the response with the key log. The accepted case (tls13_early_data) keeps its own story."""

from __future__ import annotations

from pathlib import Path

import pytest
from tshark_query import fields

from analyzer.apps.http.conversation import HttpConversation
from analyzer.apps.http.events import EARLY_DATA_REFUSED
from analyzer.apps.tls import parse_keylog
from analyzer.apps.tls.facts import EARLY_ACCEPTED, EARLY_REFUSED
from analyzer.apps.transactions import Transactions
from analyzer.capture import open_capture
from analyzer.pipeline import Pipeline
from analyzer.timeline import timeline

TLS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tls"
REFUSED = TLS / "tls13_early_data_rejected.pcap"
ACCEPTED = TLS / "tls13_early_data.pcap"
H2 = TLS / "tls13_early_data_h2.pcap"       # HTTP/2 (ALPN h2) sent as early data, accepted
H2_REFUSED = TLS / "tls13_early_data_h2_rejected.pcap"   # HTTP/2 sent as early data to the twin: refused
PARTIAL = TLS / "tls13_early_data_partial_rejected.pcap"  # a POST only begun in the early data: refused


def keys_of(path: Path) -> Path:
    return path.with_suffix(".keys")


def load(path: Path, keys: bool, lang: str = "en"):
    keylog = parse_keylog(keys_of(path).read_bytes()) if keys else None
    with open_capture(path) as reader:
        return timeline(reader, lang, keylog=keylog)


def analyze(path: Path, keys: bool) -> Transactions:
    tx = Transactions(keylog=parse_keylog(keys_of(path).read_bytes()) if keys else None)
    with open_capture(path) as reader:
        for _ in Pipeline(transactions=tx).run(reader):
            pass
    return tx


def sessions(path: Path, keys: bool) -> dict:
    return {s.stream: s for s in analyze(path, keys).tls.sorted_sessions()}


def oracle():
    """From tshark: the early stream, its ClientHello and ServerHello frames, the ServerHello's extension types,
    the GETs of that stream (with keys) and the frame of its response."""
    hellos = fields(REFUSED, "tls.handshake.extension.type == 42 && tls.handshake.type == 1", "frame.number",
                    "tcp.stream")
    (hello, stream), = [(int(f), int(s)) for f, s in hellos if int(s) == 1]
    (server_hello, exts), = fields(REFUSED, f"tls.handshake.type == 2 && tcp.stream == {stream}", "frame.number",
                                   "tls.handshake.extension.type")
    gets = [int(f) for (f,) in fields(REFUSED, f"http.request && tcp.stream == {stream}", "frame.number",
                                      keys=keys_of(REFUSED))]
    (response, request_in), = [(int(f), int(r)) for f, r in fields(
        REFUSED, f"http.response && tcp.stream == {stream}", "frame.number", "http.request_in",
        keys=keys_of(REFUSED))]
    return stream, hello, int(server_hello), exts.split(","), gets, response, request_in


def test_tshark_sees_a_refused_resumption_and_the_request_twice():
    _stream, hello, server_hello, exts, gets, response, request_in = oracle()
    assert "41" not in exts                 # no pre_shared_key: the offered session was not taken
    assert gets[0] == hello and len(gets) == 2 and gets[1] > server_hello
    assert request_in == gets[1] < response


@pytest.mark.parametrize("keys", [True, False], ids=["keys", "no-keys"])
def test_the_tls_session_says_the_early_data_was_refused(keys: bool):
    stream, _hello, server_hello, *_ = oracle()
    got = sessions(REFUSED, keys)
    assert (got[stream].early_data, got[stream].early_data_why, got[stream].early_data_frame) == (
        EARLY_REFUSED, "no_psk", server_hello)
    assert got[0].early_data is None        # the first connection offered no early data


def test_accepted_early_data_is_told_from_the_encrypted_extensions_or_the_end_of_early_data():
    """tshark with keys: the EncryptedExtensions of the resumed connection carry early_data (42), and the
    client's EndOfEarlyData (handshake type 5) follows. With keys the extension decides; without, the record
    of EndOfEarlyData's size."""
    ((ee, ee_exts),) = fields(ACCEPTED, "tls.handshake.type == 8 && tcp.stream == 1", "frame.number",
                              "tls.handshake.extension.type", keys=keys_of(ACCEPTED))
    ((eoed,),) = fields(ACCEPTED, "tls.handshake.type == 5", "frame.number", keys=keys_of(ACCEPTED))
    assert "42" in ee_exts.split(",")
    keyed, keyless = sessions(ACCEPTED, True), sessions(ACCEPTED, False)
    assert (keyed[1].early_data, keyed[1].early_data_why, keyed[1].early_data_frame) == (
        EARLY_ACCEPTED, "extension", int(ee))
    assert (keyless[1].early_data, keyless[1].early_data_why, keyless[1].early_data_frame) == (
        EARLY_ACCEPTED, "end_of_early_data", int(eoed))


def test_with_keys_the_response_answers_the_request_sent_again():
    """The early GET is never answered (tshark: the response's request_in is the second GET); before, the
    analyzer paired the response with the early GET and called the second one unanswered."""
    stream, _hello, _sh, _exts, gets, response, _request_in = oracle()
    txs = sorted((r for r in analyze(REFUSED, True).http.sorted_records() if r.stream == stream),
                 key=lambda r: r.transaction.index)
    assert [(r.transaction.request.first_frame, r.response_frame, r.incomplete) for r in txs] == [
        (gets[0], None, EARLY_DATA_REFUSED), (gets[1], response, None)]


def test_with_keys_the_timeline_tells_the_refused_request_once_and_the_one_sent_again():
    stream, hello, server_hello, _exts, gets, response, _ = oracle()
    (fetch,) = load(REFUSED, keys=True).fetches
    steps = [s for s in fetch.steps if s.facts.get("stream") == stream]
    (early,) = [s for s in steps if s.kind == "http.request.early_refused"]
    assert early.frames == (hello,)
    assert early.text == (f"GET /style.css went first as TLS 1.3 early data (0-RTT), with the ClientHello: the "
                          f"server refused the early data (frame {server_hello}) and never read it, so the client "
                          f"sent the request again after the handshake (frame {gets[1]}).")
    (refused,) = [s for s in steps if s.kind == "tls.early_data.refused"]
    assert refused.frames == (hello, server_hello)
    assert f"its ServerHello (frame {server_hello}) does not take the session the client offered" in refused.text
    assert not [s for s in steps if s.kind == "http.no_response"]
    requests = [s for s in steps if s.kind.startswith("http.request") and s.kind != "http.request.early_refused"]
    assert [s.frames[0] for s in requests] == [gets[1]]
    assert [s.frames[0] for s in steps if s.kind == "http.response"] == [response]
    assert fetch.summary.requests == 2          # one per connection: the refused copy is no request of its own
    done = [s for s in steps if s.kind.startswith("tls.done")]
    assert "did not wait" not in done[0].text   # a refused early request saves no round trip
    zh = [s for f in load(REFUSED, keys=True, lang="zh").fetches for s in f.steps
          if s.kind == "http.request.early_refused"]
    assert f"（第 {server_hello} 帧）" in zh[0].text and "。" in zh[0].text


def test_without_keys_the_early_record_is_no_exchange_and_its_copy_is_named():
    """Without keys the early record (frame of the ClientHello) was the request of an exchange answered by the
    session tickets. Now it is told as refused, the record of the same size after the handshake as very likely
    the same data again, and the one exchange is that copy and the response tshark finds with the keys."""
    stream, hello, server_hello, _exts, gets, response, _ = oracle()
    (fetch,) = load(REFUSED, keys=False).fetches
    steps = [s for s in fetch.steps if s.facts.get("stream") == stream]
    (refused,) = [s for s in steps if s.kind == "tls.early_data.refused"]
    assert refused.frames == (hello, server_hello, gets[1])
    assert f"the client's record of the same size after the handshake (frame {gets[1]})" in refused.text
    exchanges = [s for s in steps if s.kind.startswith("tls.exchange")]
    assert [(s.facts["req_frames"], s.facts["resp_frames"]) for s in exchanges] == [([gets[1]], [response])]
    assert all(not s.facts.get("early") for s in exchanges)


def test_the_conversation_hands_out_refused_requests_unanswered():
    """HttpConversation.refuse_client on bytes built here: two pipelined early requests refused, one sent again;
    the response answers the one sent again."""
    conv = HttpConversation()
    conv.receive_data("client", b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n", 1, 1)
    out = conv.refuse_client()
    assert [(t.request.target, t.reason) for t in out] == [("/a", EARLY_DATA_REFUSED), ("/b", EARLY_DATA_REFUSED)]
    conv.receive_data("client", b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n", 3, 3)
    out = conv.receive_data("server", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 4, 4)
    assert [(t.request.target, t.response.status, t.complete) for t in out] == [("/a", 200, True)]


def test_http2_sent_as_early_data_is_read_as_http2():
    """The early data comes before the EncryptedExtensions name the protocol (h2): the connection preface says
    it. tshark with keys reads the GET in the ClientHello's frame and its 200; before, the analyzer handed the
    early bytes to its HTTP/1.x parser and lost the whole connection's HTTP/2."""
    want = [(int(s), int(f), p) for f, s, p in fields(H2, "http2.headers.path", "frame.number", "tcp.stream",
                                                       "http2.headers.path", keys=keys_of(H2))]
    status = {int(s): int(c) for s, c in fields(H2, "http2.headers.status", "tcp.stream", "http2.headers.status",
                                                keys=keys_of(H2))}
    ((hello,),) = fields(H2, "tls.handshake.type == 1 && tcp.stream == 1", "frame.number")
    assert [w[:2] for w in want] == [(0, want[0][1]), (1, int(hello))]
    got = sorted(analyze(H2, True).http.sorted_records(), key=lambda r: r.stream)
    assert [(r.stream, r.transaction.request.first_frame, r.transaction.request.target, r.transaction.response.status)
            for r in got] == [(s, f, p, status[s]) for s, f, p in want]
    assert sessions(H2, True)[1].early_data == EARLY_ACCEPTED


def h2_oracle():
    """From tshark with keys, on the second connection (the one offering early data to the twin): its ClientHello
    and ServerHello frames, the ServerHello's extension types, the frames carrying stream 1's request (:path) and
    response (:status), and the frame times."""
    ((hello,),) = fields(H2_REFUSED, "tls.handshake.type == 1 && tcp.stream == 1", "frame.number")
    ((server_hello, exts),) = fields(H2_REFUSED, "tls.handshake.type == 2 && tcp.stream == 1", "frame.number",
                                     "tls.handshake.extension.type")
    keys = keys_of(H2_REFUSED)
    gets = [int(f) for f, _p in fields(H2_REFUSED, "http2.headers.path && tcp.stream == 1", "frame.number",
                                       "http2.headers.path", keys=keys)]
    ((response,),) = fields(H2_REFUSED, "http2.headers.status && tcp.stream == 1", "frame.number", keys=keys)
    times = {int(f): float(t) for f, t in fields(H2_REFUSED, "tcp.stream == 1", "frame.number",
                                                  "frame.time_relative")}
    return int(hello), int(server_hello), exts.split(","), gets, int(response), times


def test_http2_early_data_refused_is_withdrawn_and_the_response_answers_the_copy():
    """tshark: the ServerHello has no pre_shared_key (41): the resumption, and with it the early data, is refused
    (RFC 8446 4.2.10); stream 1's GET is in the ClientHello's frame and again after the handshake, one :status.
    A server never reads refused early data, so the response answers the copy. Before, the HTTP/2 sink had no
    refused(): the early GET took the response (TTFB from the ClientHello) and the copy was not seen at all."""
    hello, server_hello, exts, gets, response, _times = h2_oracle()
    assert "41" not in exts and len(gets) == 2 and gets[0] == hello < server_hello < gets[1] < response
    assert sessions(H2_REFUSED, True)[1].early_data == EARLY_REFUSED
    got = sorted((r for r in analyze(H2_REFUSED, True).http.sorted_records() if r.stream == 1),
                 key=lambda r: r.transaction.index)
    assert [(r.transaction.request.first_frame, r.http2_stream,
             r.transaction.response and r.transaction.response.first_frame, r.incomplete) for r in got] == [
        (gets[0], 1, None, EARLY_DATA_REFUSED), (gets[1], 1, response, None)]
    assert len({r.transaction.index for r in got}) == 2


def test_http2_early_data_refused_in_the_timeline():
    hello, server_hello, _exts, gets, response, times = h2_oracle()
    fetch = [f for f in load(H2_REFUSED, keys=True).fetches
             if any(s.facts.get("stream") == 1 for s in f.steps)][-1]
    steps = [s for s in fetch.steps if s.facts.get("stream") == 1]
    (early,) = [s for s in steps if s.kind == "http.request.early_refused"]
    assert early.frames == (hello,)
    assert f"(frame {server_hello})" in early.text and f"(frame {gets[1]})" in early.text
    requests = [s for s in steps if s.kind.startswith("http.request") and s.kind != "http.request.early_refused"]
    assert [s.frames[0] for s in requests] == [gets[1]]
    (answer,) = [s for s in steps if s.kind == "http.response"]
    assert answer.frames[0] == response
    ttfb_us = round((times[response] - times[gets[1]]) * 1e6)
    assert f"Time to first byte: {ttfb_us} µs after the request was sent" in answer.text


def test_the_http2_connection_starts_again_after_refused_early_data():
    """Http2Connection.refuse_client on frames built here with hpack: a GET on stream 1 sent as early data,
    refused; the client sends its preface and the same GET on stream 1 again, with a fresh HPACK encoder; the
    server's 200 on stream 1 answers the copy."""
    import hpack

    from analyzer.apps.http2.connection import Http2Connection

    def frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
        return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload

    def client_bytes(path: str) -> bytes:
        block = hpack.Encoder().encode([(":method", "GET"), (":scheme", "https"), (":authority", "x"),
                                        (":path", path)])
        return b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"") + frame(1, 0x5, 1, block)

    h2 = Http2Connection(client_direction=0)
    h2.receive_data(0, client_bytes("/early"), 1, 1)
    h2.refuse_client()
    (refused,) = h2.take()
    assert (refused.transaction.request.target, refused.transaction.reason) == ("/early", EARLY_DATA_REFUSED)
    h2.receive_data(0, client_bytes("/early"), 3, 3)
    h2.receive_data(1, frame(4, 0, 0, b"") + frame(1, 0x5, 1, hpack.Encoder().encode([(":status", "200")])), 4, 4)
    (answered,) = h2.take()
    assert (answered.transaction.request.target, answered.transaction.response.status,
            answered.transaction.complete, answered.request_frame) == ("/early", 200, True, 3)
    assert answered.transaction.index != refused.transaction.index


def test_a_request_only_begun_in_refused_early_data_ends_there():
    """tls13_early_data_partial_rejected: the head of a POST (Content-Length 16) and 8 body bytes went as early data
    to the twin server, which refused it (tshark: its ServerHello has no pre_shared_key, 41); the whole POST, body
    "name=analyzer123", went after the handshake (the recording script's bytes). The server never read the early
    bytes (RFC 8446 4.2.10): the 404 tshark finds answers the copy. tshark does not withdraw refused early data and
    reads the early half and the copy as one POST (its body "name=anaPOST /fo"); before, the analyzer did the same
    and then had a 404 with no request."""
    keys = keys_of(PARTIAL)
    ((hello,),) = fields(PARTIAL, "tls.handshake.type == 1 && tcp.stream == 1", "frame.number")
    ((exts,),) = fields(PARTIAL, "tls.handshake.type == 2 && tcp.stream == 1", "tls.handshake.extension.type")
    ((post, length),) = fields(PARTIAL, "http.request && tcp.stream == 1", "frame.number",
                               "http.content_length_header", keys=keys)
    ((response, status, request_in),) = fields(PARTIAL, "http.response && tcp.stream == 1", "frame.number",
                                                "http.response.code", "http.request_in", keys=keys)
    assert "41" not in exts.split(",") and request_in == post and length == "16"
    got = sorted((r for r in analyze(PARTIAL, True).http.sorted_records() if r.stream == 1),
                 key=lambda r: r.transaction.index)
    assert [(r.transaction.request.first_frame, r.transaction.request.method,
             r.transaction.response and r.transaction.response.status, r.incomplete) for r in got] == [
        (int(hello), "POST", None, EARLY_DATA_REFUSED), (int(post), "POST", int(status), None)]
    assert got[1].transaction.request_body.data == b"name=analyzer123"
    (fetch,) = [f for f in load(PARTIAL, keys=True).fetches if any(s.facts.get("stream") == 1 for s in f.steps)]
    kinds = [(s.kind, s.frames[0]) for s in fetch.steps if s.facts.get("stream") == 1 and s.kind.startswith("http")]
    assert kinds == [("http.request.early_refused", int(hello)), ("http.request.resource", int(post)),
                     ("http.response.error", int(response))]


def test_the_parser_starts_again_after_refused_early_data():
    """HttpConversation.refuse_client on bytes built here: the early data ends in a POST's body, in its head, or in
    its start line; each time the whole POST sent again is one request answered by the response."""
    post = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabcdefghij"
    for cut, refused in ((post.index(b"abc") + 3, 1), (post.index(b"Content"), 1), (8, 0)):
        conv = HttpConversation()
        assert conv.receive_data("client", post[:cut], 1, 1) == []
        out = conv.refuse_client()
        assert [(t.request.target, t.reason) for t in out] == [("/a", EARLY_DATA_REFUSED)] * refused
        assert conv.receive_data("client", post, 3, 3) == []
        out = conv.receive_data("server", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 4, 4)
        assert [(t.request.target, t.request.first_frame, t.response.status, t.complete, t.request_body.data)
                for t in out] == [("/a", 3, 200, True, b"abcdefghij")]
        assert conv.close() == [] and conv.malformed == []
