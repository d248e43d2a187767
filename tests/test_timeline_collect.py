"""The run that turns frames into fetches (analyzer.timeline.collect and .run): the shared trackers' records,
streaming (fetches out as soon as complete, the same as the whole-capture timeline), bounded memory."""

from __future__ import annotations

import shutil

import pytest
from fixtures.http_dns import craft as tx_craft
from fixtures.timeline import craft as timeline_craft
from tshark_run import tshark_output

from analyzer.apps.http.sink import HttpRecord
from analyzer.capture import open_capture
from analyzer.timeline import TimelineRun, collect, fetches, timeline

C, S = timeline_craft.C, timeline_craft.S


@pytest.fixture(scope="module")
def captures(tmp_path_factory) -> dict:
    out = tx_craft.build(tmp_path_factory.mktemp("tx"), names={"dns_udp", "dns_tcp", "http_midstream"})
    out.update({name: path for name, (path, _frames) in
                timeline_craft.build(tmp_path_factory.mktemp("timeline")).items()})
    return out


def frames_of(path) -> list:
    with open_capture(path) as reader:
        return list(reader)


def test_requests_are_the_shared_http_records(captures):
    tl = timeline(frames_of(captures["two_pages"]))
    assert [r.uri for f in tl.fetches for r in f.requests] == ["/", "/a.css", "/index.html", "/b.png"]
    run = TimelineRun()
    for frame in frames_of(captures["two_pages"]):
        run.feed(frame)
    assert all(isinstance(r, HttpRecord) for log in run.collector.logs.values() for r in log.records)


def test_midstream_response_starts_where_tshark_shows_it(captures):
    # the capture begins inside an earlier body that happens to hold "HTTP/1.1 200 OK fake": tshark shows
    # the response in frame 4, after the request of frame 3
    (fetch,) = timeline(frames_of(captures["http_midstream"])).fetches
    (req,) = fetch.requests
    assert (req.request_frame, req.frames[2], req.status_text) == (3, 4, "OK")


def test_dns_lookups_follow_the_shared_pairing(captures):
    tl = timeline(frames_of(captures["dns_udp"]))
    lookups = {lk.query_frame: lk for f in tl.fetches for lk in f.lookups}
    # an unanswered query asked again 6 s later is a new lookup (tshark's 5 s retransmission timer)
    assert lookups[13].retransmissions == () and 14 in lookups
    nx = next(lk for lk in lookups.values() if lk.rcode == "NXDOMAIN")
    assert nx.response_frame is not None and nx.addresses == ()
    assert all(lk.query_frame is not None for lk in lookups.values())


def test_dns_over_tcp_lookups(captures):
    tl = timeline(frames_of(captures["dns_tcp"]))
    lookups = [lk for f in tl.fetches for lk in f.lookups]
    assert lookups and all(lk.transport == "tcp" for lk in lookups)
    assert all(lk.response_frame is not None for lk in lookups)


@pytest.mark.parametrize("name", ["two_pages", "parallel", "http10", "navigation", "silent_host", "dns_udp",
                                  "http_midstream", "loss_mid_transfer"])
def test_streamed_fetches_equal_the_whole_timeline(captures, name):
    frames = frames_of(captures[name])
    streamed = [f.as_dict() for f in fetches(iter(frames))]
    assert streamed == [f.as_dict() for f in timeline(frames).fetches]


def test_a_fetch_comes_out_while_the_file_is_read(captures):
    """silent_host: the unanswered connection is reported once the next SYN would have been due and did
    not come, before the capture's last lookup is read."""
    frames = frames_of(captures["silent_host"])
    run = TimelineRun()
    out_at = None
    for frame in frames:
        if run.feed(frame) and out_at is None:
            out_at = frame.number
    assert out_at is not None and out_at < frames[-1].number


def test_memory_holds_only_open_connections(captures):
    """Once a connection's fetch is out, its log is dropped: after a fetch, nothing of it is kept."""
    run = TimelineRun()
    for frame in frames_of(captures["two_pages"]):
        run.feed(frame)
        if frame.number == 19:                 # page A closed 10 s before: reported and forgotten
            assert list(run.collector.logs) == [] and not run.held and not run.waiters and not run.queued
    run.finish()
    assert not run.collector.logs and not run.activities and not run.held and not run.dormant
    assert not run.waiters and not run.queued and not run.collector.links


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark (the oracle) is not installed")
def test_a_long_connection_keeps_its_teardown_segments(tmp_path, monkeypatch):
    """Past MAX_LOG segments a connection's log keeps a rolling tail, but the SYN/FIN/RST segments of the
    stretch it drops (and the ACK of a FIN) stay: the teardown steps cite them with their numbers. Here the
    client half-closes in the middle of a long download (values read with tshark)."""
    story = timeline_craft.Story()
    conn, data = timeline_craft.get_and_response(story, b"x" * 30_000, ("10.0.0.80", 8080))
    chunks = [data[i:i + 1000] for i in range(0, len(data), 1000)]
    for chunk in chunks[:10]:
        conn.send(S, "A", chunk, dt_us=100)
    conn.send(C, "FA")
    for chunk in chunks[10:]:
        conn.send(S, "A", chunk, dt_us=100)
    conn.send(S, "FA")
    conn.send(C, "A")
    path = tmp_path / "long.pcap"
    story.write(path)
    monkeypatch.setattr(collect, "MAX_LOG", 8)
    monkeypatch.setattr(collect, "TAIL", 2)
    out = tshark_output(["tshark", "-r", str(path), "-Y", "tcp.flags.fin == 1", "-T", "fields", "-e",
                         "frame.number", "-e", "tcp.seq", "-e", "tcp.nxtseq"], path)
    (fin, seq, nxt), (sfin, sseq, _n) = [line.split("\t") for line in out.splitlines()]
    acks = tshark_output(["tshark", "-r", str(path), "-Y", f"tcp.ack == {nxt} && tcp.srcport == 8080", "-T",
                          "fields", "-e", "frame.number"], path).split()
    (fetch,) = timeline(frames_of(path)).fetches
    by_kind = {st.kind: st for st in fetch.steps}
    first, second = by_kind["tcp.teardown4.1"], by_kind["tcp.teardown4.2"]
    assert first.frames == (int(fin),) and f"seq = {seq}" in first.text
    assert second.frames == (int(acks[0]),) and f"ack = {nxt}" in second.text
    assert by_kind["tcp.teardown4.3"].frames == (int(sfin),) and f"seq = {sseq}" in by_kind["tcp.teardown4.3"].text
    assert "?" not in first.text + second.text
