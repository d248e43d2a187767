"""HTTP/2 streams as HTTP transactions: the same HttpRecords HTTP/1.x makes (what `analyzer http`,
export-objects, HAR and the timeline read), with the stream id, version HTTP/2, bodies decoded, several
requests in flight on one connection.

The recordings are real nginx traffic (scripts/record_http2.py): the expected bodies are the files nginx
served (the demo site, ``analyzer.demo.site``), the expected requests what the recording client sent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.http2 import craft
from fixtures.http_dns.harness import run_capture

from analyzer.demo.site import site

HERE = Path(__file__).resolve().parent / "fixtures" / "http2"
SITE = site("www.example.test")


def records(path):
    _packets, tx = run_capture(path)
    return sorted(tx.http.records, key=lambda r: (r.stream, r.http2_stream or 0))


@pytest.fixture(scope="module")
def page():
    return {r.http2_stream: r for r in records(HERE / "h2c_page.pcapng")}


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    return craft.build(tmp_path_factory.mktemp("h2tx"))


def test_every_stream_is_a_transaction_with_its_stream_id(page):
    assert sorted(page) == [1, 3, 5, 7, 9, 11, 13, 15]
    paths = {sid: r.transaction.request.target for sid, r in page.items()}
    assert paths == {1: "/", 3: "/style.css", 5: "/app.js", 7: "/logo.png", 9: "/big.bin", 11: "/missing.png",
                     13: "/form", 15: "/big.bin"}
    for r in page.values():
        tx = r.transaction
        assert tx.request.version == tx.response.version == "HTTP/2"
        assert r.stream == 0                                   # one TCP connection
        assert r.client[1] != 18080 and r.server[1] == 18080
        assert tx.request.headers.get("host") == "www.example.test:18080"     # from :authority


def test_statuses_and_decoded_bodies_are_the_files_served(page):
    for sid, path in ((1, "/"), (3, "/style.css"), (5, "/app.js"), (7, "/logo.png")):
        tx = page[sid].transaction
        assert tx.complete and tx.response.status == 200
        assert tx.response_body.decoded == SITE[path][1]
    assert page[1].transaction.response.headers.get("content-encoding") == "gzip"
    assert page[1].transaction.response_end.body_length < len(SITE["/"][1])       # sent compressed
    big = page[9].transaction
    assert big.complete and big.response_end.body_length == 200_000 and len(big.response_body.data) == 200_000
    missing = page[11].transaction
    assert missing.response.status == 404 and missing.response.reason == "Not Found"


def test_post_body_and_the_cancelled_download(page):
    post = page[13].transaction
    assert post.request.method == "POST" and post.request_body.data == b"name=demo&answer=42\r\n"
    assert post.response_body.data == b"thanks\n"
    cancelled = page[15].transaction
    assert not cancelled.complete
    assert cancelled.reason == "stream reset by the client (CANCEL)"
    assert 0 < cancelled.response_end.body_length < 200_000


def test_requests_in_flight_together(page):
    """The six resource requests left in one TCP segment (frame 14) before any of their responses."""
    batch = [page[sid] for sid in (3, 5, 7, 9, 11, 13)]
    assert {r.transaction.request.first_frame for r in batch} == {14}
    first_response = min(r.transaction.response.first_frame for r in batch)
    assert all(r.request_frame <= first_response for r in batch)
    # big.bin's response spans the others': it started before the 404 and ended after it
    assert page[9].transaction.response.first_frame < page[11].response_frame < page[9].response_frame


def test_frames_of_the_records_are_the_frames_tshark_names(page):
    """request_frame/response_frame: the frames holding END_STREAM (tshark shows HEADERS[1]: GET / in 8 and
    DATA[1] ending the page in 10)."""
    assert (page[1].request_frame, page[1].response_frame) == (8, 10)
    assert page[9].response_frame == 71


def test_http_report_rows(page):
    from analyzer.api.build import http_record
    from analyzer.report.http import row

    r = row(http_record(page[3])[0])
    assert r["http2_stream"] == 3
    assert (r["method"], r["uri"], r["status_code"], r["version"]) == ("GET", "/style.css", 200, "2")
    assert r["referrer"] == "http://www.example.test:18080/"
    assert r["response_body_len"] == len(SITE["/style.css"][1])


def test_curl_prior_knowledge_two_connections():
    got = records(HERE / "h2c_curl.pcapng")
    assert [(r.stream, r.http2_stream, r.transaction.request.target, r.transaction.response.status)
            for r in got] == [(0, 1, "/", 200), (1, 1, "/style.css", 200)]
    assert got[0].transaction.request.headers.get("user-agent").startswith("Mozilla/5.0")


def test_crafted_push_interim_trailers(crafted):
    got = {r.http2_stream: r.transaction for r in records(crafted["h2_features"])}
    assert got[2].request.target == "/style.css"                         # the PUSH_PROMISE's request
    assert got[2].response_body.data == b"body { color: #123; }\n" * 20
    upload = got[3]
    assert [r.status for r in upload.interim] == [100] and upload.response.status == 201
    assert upload.request_body.data == b"name=demo&answer=42&more=yes_ok"          # padding left out
    assert list(upload.response_end.trailers) == [("x-checksum", "abc123")]
    assert got[1].response_body.decoded.startswith(b"<!DOCTYPE html>")            # gzip over two DATA frames
    assert got[5].reason == "stream reset by the client (CANCEL)"
    assert got[9].response.status == 204 and got[9].complete


def test_crafted_gap_inside_data(crafted):
    got = {r.http2_stream: r.transaction for r in records(crafted["h2_gap"])}
    assert not got[1].complete and got[1].reason == "gap"
    assert got[1].response_end.lost_length == 2000
    assert got[3].complete and got[3].response.status == 404      # the frame after the gap still decodes


def test_crafted_upgrade(crafted):
    got = [r for r in records(crafted["h2_upgrade"]) if r.http2_stream is not None]
    assert [(r.http2_stream, r.transaction.request.target, r.transaction.request.version,
             r.transaction.response.status, r.transaction.response.version) for r in got] == [
        (1, "/up", "HTTP/1.1", 200, "HTTP/2"), (3, "/after", "HTTP/2", 204, "HTTP/2")]
    assert got[0].transaction.response_body.data == b"upgraded!\n"


def test_h2_over_tls_with_keys_gives_the_same_transactions(page):
    """The same page load over TLS 1.3 (ALPN h2), decrypted with the key log: same streams, same bodies."""
    from analyzer.apps.tls.keylog import parse_keylog

    _packets, tx = run_capture(HERE / "h2_tls13_page.pcapng",
                               keylog=parse_keylog((HERE / "h2_tls13_page.keys").read_bytes()))
    tls = {r.http2_stream: r for r in tx.http.records}
    assert sorted(tls) == sorted(page)
    for sid, r in tls.items():
        assert r.scheme == "https" and r.transaction.request.headers.get(":scheme") == "https"
        assert r.transaction.request.target == page[sid].transaction.request.target
        assert r.transaction.response_body.decoded == page[sid].transaction.response_body.decoded or sid == 15
    curl = records(HERE / "h2_tls13_curl.pcapng")
    assert curl == []                                   # without the keys nothing is HTTP/2 to us


def test_http_command_and_har(tmp_path):
    from analyzer.cli.main import main

    result = CliRunner().invoke(main, ["http", "--json", str(HERE / "h2c_page.pcapng")])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 8 and {row["version"] for row in rows} == {"2"}
    result = CliRunner().invoke(main, ["har", str(HERE / "h2c_page.pcapng"), "-o", str(tmp_path / "x.har")])
    assert result.exit_code == 0, result.output
    entries = json.loads((tmp_path / "x.har").read_text())["log"]["entries"]
    assert {e["request"]["httpVersion"] for e in entries} == {"HTTP/2"}
    assert {e["response"]["httpVersion"] for e in entries} == {"HTTP/2"}


def test_export_objects(tmp_path):
    from analyzer.cli.main import main

    result = CliRunner().invoke(main, ["export-objects", str(HERE / "h2c_page.pcapng"), str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    files = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    assert SITE["/style.css"][1] in files.values()
    assert SITE["/logo.png"][1] in files.values()
    assert any(len(data) == 200_000 for data in files.values())


def test_tree_lines_for_a_learner():
    """-V: one "HyperText Transfer Protocol 2" block per frame, laid out as tshark's, with notes."""
    from analyzer.report.tree import render_tree

    packets, _tx = run_capture(HERE / "h2c_page.pcapng")
    text = render_tree(next(p for p in packets if p.frame.number == 8))
    assert "HyperText Transfer Protocol 2\n    Stream: HEADERS, Stream ID: 1, Length 110, GET /" in text
    assert "Flags: 0x25, Priority, End Headers, End Stream" in text
    assert "Header: :method: GET\n            Representation: Indexed Header Field\n            Index: 2" in text
    assert "[field from the static table: 1 byte on the wire for 10 bytes of header]" in text
    assert "[Full request URI: http://www.example.test:18080/]" in text
    text = render_tree(next(p for p in packets if p.frame.number == 79))
    assert "Error: CANCEL (8)" in text and "stream 15 reset by the client: CANCEL" in text
