"""What the timeline is built from (analyzer.timeline.collect): the shared HTTP and DNS trackers' results,
collected in one run, all at once or frame by frame (``analyzer watch``).

Crafted captures: ``tests/fixtures/http_dns/craft.py`` (expected values as in ``test_dns_tx.py`` and
``test_http_tx.py``, which check them against tshark) and ``tests/fixtures/timeline/craft.py``.
"""

from __future__ import annotations

import json

import pytest
from fixtures.http_dns import craft as tx_craft
from fixtures.timeline import craft as timeline_craft

from analyzer.apps.http.sink import HttpRecord, HttpTracker
from analyzer.capture import open_capture
from analyzer.timeline import build, collect
from analyzer.timeline.collect import Collector


@pytest.fixture(scope="module")
def captures(tmp_path_factory) -> dict:
    out = tx_craft.build(tmp_path_factory.mktemp("tx"), names={"dns_udp", "dns_tcp", "http_midstream"})
    out.update({name: path for name, (path, _frames) in
                timeline_craft.build(tmp_path_factory.mktemp("timeline")).items()})
    return out


def frames_of(path) -> list:
    with open_capture(path) as reader:
        return list(reader)


def test_http_facts_are_the_shared_records(captures):
    facts = collect(frames_of(captures["two_pages"]))
    assert facts.http and all(isinstance(r, HttpRecord) for r in facts.http)
    assert [r.transaction.request.target for r in facts.http] == ["/", "/a.css", "/index.html", "/b.png"]


def test_midstream_response_starts_where_tshark_shows_it(captures):
    # the capture begins inside an earlier body that happens to hold "HTTP/1.1 200 OK fake": tshark shows
    # the response in frame 4, after the request of frame 3
    (record,) = collect(frames_of(captures["http_midstream"])).http
    tx = record.transaction
    assert (tx.request.first_frame, tx.response.first_frame, tx.response.reason) == (3, 4, "OK")


def test_dns_lookups_follow_the_shared_pairing(captures):
    lookups = {lk.query_frame: lk for lk in collect(frames_of(captures["dns_udp"])).dns}
    # an unanswered query asked again 6 s later is a new lookup (tshark's 5 s retransmission timer)
    assert lookups[13].retransmissions == () and 14 in lookups
    nx = next(lk for lk in lookups.values() if lk.rcode == 3)
    assert nx.response_frame is not None and nx.addresses == ()
    chained = [lk for lk in lookups.values() if lk.cnames]
    assert chained and all(lk.addresses for lk in chained if lk.qtype in ("A", "AAAA"))
    # unsolicited responses are no lookups
    assert all(lk.query_frame is not None for lk in lookups.values())


def test_dns_over_tcp_lookups(captures):
    lookups = collect(frames_of(captures["dns_tcp"])).dns
    assert lookups and all(lk.transport == "tcp" for lk in lookups)
    assert all(lk.response_frame is not None for lk in lookups)


@pytest.mark.parametrize("name", ["two_pages", "parallel", "http10", "dns_udp", "http_midstream"])
def test_frame_by_frame_ends_as_collect(captures, name):
    frames = frames_of(captures[name])
    collector = Collector()
    for frame in frames:
        collector.feed(frame)
        build(collector.facts())          # a snapshot at every frame: never fails
    final = json.dumps(build(collector.finish()).as_dict(), default=str)
    assert final == json.dumps(build(collect(frames)).as_dict(), default=str)


def test_snapshot_shows_a_request_waiting_for_its_response(captures):
    frames = frames_of(captures["two_pages"])
    collector = Collector()
    for frame in frames:
        collector.feed(frame)
        if frame.number == 8:     # the first GET; its response starts in frame 9
            break
    (record,) = collector.facts().http
    assert record.transaction.request.target == "/" and record.transaction.response is None
    assert collector.transactions.http.records == []      # a snapshot consumes nothing
    tl = build(collector.facts())
    assert [f.url for f in tl.fetches] == ["http://www.a.test/"]


def test_open_records_of_a_tracker_are_dropped_with_their_connection(captures):
    from analyzer.pipeline import Pipeline

    tracker = HttpTracker(fields=False)
    pipe = Pipeline(sinks=tracker)
    for frame in frames_of(captures["two_pages"]):
        pipe.feed(frame)
    seen = [(r.stream, r.transaction.index) for r in tracker.records + tracker.open_records()]
    assert len(seen) == len(set(seen)) == 4       # each transaction once: handed out, or still open
    pipe.finish()
    assert not tracker.open and tracker.open_records() == []
    assert len(tracker.records) == 4
