"""HTTP transactions over reassembled TCP (analyzer.apps.http.sink): crafted captures, one story each.

The captures are built by ``tests/fixtures/http_dns/craft.py`` (scapy); the expected values follow from
how each was built (frame numbers are those of the packets the story sends). The same captures are
checked against tshark in ``test_http_tx_tshark.py``.
"""

from __future__ import annotations

import gzip
from types import SimpleNamespace

import pytest
from fixtures.http_dns import craft
from fixtures.http_dns.harness import run_capture

from analyzer.apps.http.headers import Headers
from analyzer.apps.http.sink import HttpLayer, HttpTracker, full_uri, header_fields


@pytest.fixture(scope="module")
def captures(tmp_path_factory):
    return craft.build(tmp_path_factory.mktemp("http_dns"))


def _run(captures, name, **options):
    packets, tx = run_capture(captures[name], dns=False, **options)
    return {p.frame.number: p for p in packets}, tx.http.sorted_records()


def _http(pkt):
    return [layer for layer in pkt.layers if layer.name == "http"]


# -- keep-alive ---------------------------------------------------------------------------------------
def test_keepalive_two_transactions_on_one_connection(captures):
    _pkts, records = _run(captures, "http_keepalive")
    assert [(r.transaction.request.target, r.transaction.response.status) for r in records] == [
        ("/index.html", 200), ("/style.css", 200)]
    first, second = records
    assert first.stream == second.stream == 0
    assert first.client == ("10.0.0.1", 40000) and first.server == ("10.0.0.2", 80)
    assert (first.request_frame, first.response_frame) == (4, 7)      # the body's last segment
    assert (second.request_frame, second.response_frame) == (9, 10)
    assert first.transaction.complete and second.transaction.complete
    assert first.transaction.response_body.decoded == craft.PAGE
    assert [r.depth for r in records] == [1, 2]


def test_fields_land_on_the_frame_that_completes_each_message(captures):
    pkts, _ = _run(captures, "http_keepalive")
    with_http = [n for n, p in pkts.items() if "http" in p]
    assert with_http == [4, 7, 9, 10]
    assert "http" not in pkts[5] and "http" not in pkts[6]            # segments of the first response
    req, resp = pkts[4], pkts[7]
    assert req["http.request.method"] == "GET"
    assert req["http.request.uri"] == "/index.html"
    assert req["http.request.version"] == "HTTP/1.1"
    assert req["http.host"] == "www.example.com"
    assert req["http.user_agent"] == "craft/1.0"
    assert req["http.referer"] == "http://www.example.com/"
    assert req["http.request.full_uri"] == "http://www.example.com/index.html"
    assert req["http.request"] == 1
    assert req["http.response_in"] == 7            # added when the response completed
    assert "Host: www.example.com\r\n" in req["http.request.line"]
    assert resp["http.response.code"] == 200
    assert resp["http.response.phrase"] == "OK"
    assert resp["http.response.version"] == "HTTP/1.1"
    assert resp["http.content_type"] == "text/html; charset=utf-8"
    assert resp["http.content_length_header"] == str(len(craft.PAGE))
    assert resp["http.content_length"] == len(craft.PAGE)
    assert resp["http.request_in"] == 4
    assert resp["http.time"] == "0.020200000"      # frame 7 minus frame 4
    assert resp["http.response_for.uri"] == "http://www.example.com/index.html"
    assert pkts[9]["http.prev_request_in"] == 4
    assert pkts[10]["http.prev_response_in"] == 7
    layer = _http(resp)[0]
    assert isinstance(layer, HttpLayer)
    assert layer.info == "HTTP/1.1 200 OK  (text/html)"
    assert _http(req)[0].info == "GET /index.html HTTP/1.1 "


# -- pipelining -----------------------------------------------------------------------------------------
def test_pipelined_requests_pair_in_order(captures):
    pkts, records = _run(captures, "http_pipelined")
    assert [(r.transaction.request.target, r.transaction.response.status) for r in records] == [
        ("/a", 200), ("/b", 404), ("/c", 200)]
    assert [r.request_frame for r in records] == [4, 4, 4]
    assert [r.response_frame for r in records] == [5, 5, 6]
    assert len(_http(pkts[4])) == 3 and len(_http(pkts[5])) == 2
    assert pkts[4]["http.request.uri"] == ["/a", "/b", "/c"]
    assert pkts[5]["http.response.code"] == [200, 404]
    assert pkts[6]["http.request_in"] == 4
    assert pkts[4]["http.response_in"] == [5, 5, 6]
    assert records[1].transaction.response_body.data == b"missing"


# -- framing ---------------------------------------------------------------------------------------------
def test_chunked_gzip_body_is_decoded(captures):
    pkts, (record,) = _run(captures, "http_chunked_gzip")
    tx = record.transaction
    assert tx.complete
    assert tx.response_body.decoded == craft.JSON_DOC * 20
    assert tx.response_end.body_length == len(gzip.compress(craft.JSON_DOC * 20, mtime=0))
    assert tx.response_end.trailers.get("x-trailer") == "done"
    resp = pkts[record.response_frame]
    assert resp["http.transfer_encoding"] == "chunked"
    assert resp["http.content_encoding"] == "gzip"
    assert "http.content_length" not in resp
    assert record.server == ("10.0.0.3", 8080)
    assert pkts[record.request_frame]["http.request.full_uri"] == "http://api.example:8080/data.json"


def test_head_304_204_have_no_body(captures):
    pkts, records = _run(captures, "http_head_304")
    assert [(r.transaction.request.method, r.transaction.response.status) for r in records] == [
        ("HEAD", 200), ("GET", 304), ("DELETE", 204)]
    assert all(r.transaction.complete for r in records)
    assert all(r.transaction.response_end.body_length == 0 for r in records)
    assert [r.response_frame for r in records] == [5, 8, 11]
    assert pkts[5]["http.content_length"] == 5000       # the header, though no body follows a HEAD
    assert _http(pkts[5])[0].info == "HTTP/1.1 200 OK "    # no " (type)": nothing was sent


def test_100_continue_is_interim(captures):
    pkts, (record,) = _run(captures, "http_100_continue")
    tx = record.transaction
    assert [r.status for r in tx.interim] == [100]
    assert tx.response.status == 201
    assert tx.request_body.data == b"name=upload&size=20!"
    assert (record.request_frame, record.response_frame) == (6, 7)
    assert pkts[5]["http.response.code"] == 100
    assert "http.request_in" not in pkts[5]            # the request was not whole yet (as tshark)
    assert pkts[7]["http.request_in"] == 6
    assert pkts[7]["http.prev_response_in"] == 5
    assert pkts[6]["http.response_in"] == 7


def test_post_body_split_across_segments(captures):
    pkts, (record,) = _run(captures, "http_post")
    tx = record.transaction
    assert tx.request.method == "POST"
    assert tx.request_body.data == b"user=alice&password=secret&remember=1"
    assert record.request_frame == 5                  # the segment with the body's end
    assert "http" not in pkts[4]
    assert pkts[5]["http.content_length"] == 37


def test_response_cut_by_end_of_capture(captures):
    pkts, records = _run(captures, "http_cut")
    whole, cut = records
    assert whole.transaction.complete
    assert not cut.transaction.complete
    assert cut.transaction.reason == "capture ended"
    assert cut.request_frame == 7 and cut.response_frame is None
    assert cut.transaction.response.status == 200
    assert cut.transaction.response_end.body_length == 2000 - cut.transaction.response.head_length
    assert not any("http.response" in pkts[n] for n in (8, 9))
    assert "http.response_in" not in pkts[7]


def test_body_read_until_close_completes_on_the_fin_frame(captures):
    pkts, (record,) = _run(captures, "http_until_close")
    tx = record.transaction
    assert tx.complete
    assert tx.response_body.data == b"line one\nline two\n"
    assert record.response_frame == 7                 # the server's FIN
    assert pkts[7]["http.response.code"] == 200
    assert pkts[7]["http.time"] == "0.003200000"
    assert pkts[4]["http.response_in"] == 7


# -- gaps, strangers ---------------------------------------------------------------------------------
def test_gap_in_the_middle(captures):
    pkts, records = _run(captures, "http_gap")
    first, second = records[0], records[1]
    assert first.transaction.request.target == "/a"
    assert not first.transaction.complete and first.transaction.reason == "gap"
    assert first.transaction.response_end.lost_length == 1400
    assert first.response_frame is None and "http.response" not in pkts[7]
    assert second.transaction.complete and second.transaction.request.target == "/b"
    assert (second.request_frame, second.response_frame) == (8, 9)
    assert all(r.gaps[1] >= 1 for r in records)    # the server's gap is counted


def test_gap_in_a_request_header_keeps_later_pairs_right(captures):
    pkts, records = _run(captures, "http_gap")
    by_uri = {r.transaction.request.target: r for r in records if r.transaction.request is not None}
    assert (by_uri["/d"].request_frame, by_uri["/d"].response_frame) == (15, 16)
    assert pkts[16]["http.request_in"] == 15


def test_non_http_streams_are_left_alone(captures):
    pkts, records = _run(captures, "http_not_http")
    assert [(r.stream, r.transaction.request.target) for r in records] == [(2, "/odd-port")]
    streams_with_http = {p["tcp.stream"] for p in pkts.values() if "http" in p}
    assert streams_with_http == {2}
    assert records[0].server == ("10.0.0.4", 31337)


def test_midstream_pickup_starts_at_a_message(captures):
    _pkts, records = _run(captures, "http_midstream")
    assert len(records) == 1
    tx = records[0].transaction
    assert (tx.request.target, tx.response.status, tx.response.reason) == ("/next", 200, "OK")
    assert records[0].client == ("10.0.0.1", 40300)


def test_no_fields_when_asked(captures):
    pkts, records = _run(captures, "http_keepalive", fields=False)
    assert len(records) == 2
    assert not any("http" in p for p in pkts.values())


def test_records_not_kept_when_asked(captures):
    seen = []
    _packets, tx = run_capture(captures["http_keepalive"], dns=False, keep=False, on_record=seen.append)
    assert tx.http.records == [] and len(seen) == 2


# -- the sink alone: the same bytes in any segmentation give the same transactions (h11 style) --------
class _Side(SimpleNamespace):
    pass


def _conn(stream=0):
    sides = (_Side(addr="10.0.0.1", port=40000, syn_frame=1, fin_frame=0, fin_ts=0, rst_frame=0, rst_ts=0),
             _Side(addr="10.0.0.2", port=80, syn_frame=2, fin_frame=0, fin_ts=0, rst_frame=0, rst_ts=0))
    return SimpleNamespace(stream=stream, sides=sides)


REQUESTS = (b"GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
            b"POST /two HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            b"HEAD /three HTTP/1.1\r\nHost: h\r\n\r\n")
RESPONSES = (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
             b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
             b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n")


def _feed(pieces_c, pieces_s):
    tracker = HttpTracker(fields=False)
    sink = tracker(_conn())
    for i, piece in enumerate(pieces_c):
        sink.data(0, piece, None, 1000 + i)
    for i, piece in enumerate(pieces_s):
        sink.data(1, piece, None, 5000 + i)
    sink.close()
    out = []
    for r in tracker.records:
        tx = r.transaction
        out.append((tx.request.method if tx.request else None, tx.request.target if tx.request else None,
                    tx.response.status if tx.response else None, tx.request_body.data, tx.response_body.data,
                    tx.complete))
    return out


def _split(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [None, 1, 2, 7])
def test_segmentation_does_not_matter(size):
    if size is None:
        pieces = ([REQUESTS], [RESPONSES])
    else:
        pieces = (_split(REQUESTS, size), _split(RESPONSES, size))
    assert _feed(*pieces) == [("GET", "/one", 200, b"", b"hello", True),
                              ("POST", "/two", 201, b"abc", b"ok", True),
                              ("HEAD", "/three", 200, b"", b"", True)]


def test_trailing_bytes_stay_pending():
    got = _feed([REQUESTS + b"GET /four HTTP/1.1\r\nHo"], [RESPONSES + b"HTTP/1.1 2"])
    assert got[:3] == _feed([REQUESTS], [RESPONSES])
    assert got[3] == ("GET", "/four", None, b"", b"", False)      # cut by the end of the capture
    assert len(got) == 4


def test_response_first_in_capture_still_finds_the_client():
    tracker = HttpTracker(fields=False)
    sink = tracker(_conn())
    sink.data(1, b"HTTP/1.1 204 No Content\r\n\r\n", None, 1)     # the originator is the server here
    sink.data(0, b"GET / HTTP/1.1\r\n\r\n", None, 2)
    sink.close()
    assert sink.client_dir == 0
    orphan, request = tracker.records
    assert orphan.transaction.response.status == 204 and orphan.transaction.request is None
    assert orphan.transaction.reason == "no request"
    assert request.transaction.request.target == "/" and request.transaction.response is None


def test_dns_port_gets_no_http_sink():
    conn = _conn()
    conn.sides[1].port = 53
    assert HttpTracker()(conn) is None


def test_full_uri_and_header_fields():
    assert full_uri("/x?y", "h:8080") == "http://h:8080/x?y"
    assert full_uri("/x", None) == "http:///x"                     # tshark, without a Host header
    assert full_uri("http://a.example/b", "ignored") == "http://a.example/b"
    f = header_fields(Headers([("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("Cookie", "x=1; y=2"),
                               ("Content-Length", "12"), ("X-Other", "v")]), "http.response.line")
    assert f["http.set_cookie"] == ["a=1", "b=2"]
    assert f["http.cookie_pair"] == ["x=1", "y=2"]
    assert f["http.content_length_header"] == "12" and f["http.content_length"] == 12
    assert f["http.response.line"][-1] == "X-Other: v\r\n"
