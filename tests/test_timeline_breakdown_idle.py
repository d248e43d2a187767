"""Where the time went breaks down the time a fetch's connections sat idle, whatever ended it (data, a SYN, a
request; a FIN or RST was told before), by who ended it; the "rest" line is worded by what the fetch holds; the
Summary's requests per connection are in stream order.

Expected values come from tshark (frames, times, senders and lengths of the fetch's TCP streams) or from the
crafted story (``tests/fixtures/timeline/craft.py``); the corpus tests skip when ../shared/corpus is absent.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest
from fixtures.timeline import craft

from analyzer.capture import open_capture
from analyzer.report.timeline_text import summary_rows
from analyzer.timeline import timeline
from analyzer.timeline.texts import duration, label
from tests.test_timeline_corpus import CORPUS, TSHARK, load, rows

ROOT = Path(__file__).resolve().parent.parent
SLL = CORPUS / "linktype_sll_http_post_arp.pcap"
WIKI = CORPUS / "http_fetch_wikipedia_dns_multiconn.pcap"


def _need(path):
    if not path.exists():
        pytest.skip(f"{path} is not there (the corpus lives in ../shared/corpus)")
    if TSHARK is None:
        pytest.skip("tshark is not installed: the expected values come from it")


def _longest_gap(path, streams: set[int]) -> tuple[float, int, int, str, int]:
    """The longest time between two consecutive frames of the TCP ``streams`` (ms, frame before, frame after,
    the later frame's source address, its TCP payload length)."""
    got = rows(path, " || ".join(f"tcp.stream == {s}" for s in sorted(streams)), "frame.time_epoch", "ip.src",
               "tcp.len")
    frames = [(int(f), float(t), src, int(n)) for f, t, src, n in got]
    best = max(itertools.pairwise(frames), key=lambda p: p[1][1] - p[0][1])
    (f0, t0, _s0, _n0), (f1, t1, src, n) = best
    return (t1 - t0) * 1000, f0, f1, src, n


def test_idle_that_ends_in_data_is_broken_down_corpus():
    """linktype_sll fetch of GET /Exploit.class: its LDAP connection (port 1389) stays open 17.7 s after the
    HTTP connection closed, then the client sends 36 bytes and closes it. That wait is a part of its own
    (frames and time from tshark), waiting for the client; no "rest" line holds it."""
    _need(SLL)
    tl = load(SLL)
    ((req_frame,),) = [r[:1] for r in rows(SLL, 'http.request.uri == "/Exploit.class"')][:1]
    (fetch,) = [f for f in tl.fetches if any(r.frames and r.frames[0] == int(req_frame) for r in f.requests)]
    streams = {c.stream for c in fetch.connections}
    ms, before, after, src, length = _longest_gap(SLL, streams)
    assert ms > 0.9 * fetch.summary.total_ms
    (idle,) = [d for d in fetch.breakdown if d.what.startswith("idle")]
    assert idle.what == "idle_data" and idle.ms == pytest.approx(ms, abs=0.002)
    who = "client" if src == fetch.client else "server"
    assert who == "client"
    assert f"from frame {before} until the client sent {length} bytes" in idle.text and f"(frame {after})" in idle.text
    assert duration(ms, "en") in idle.text and "waiting for the client" in idle.text
    assert not any(d.what == "rest" and d.ms >= 0.1 * fetch.summary.total_ms for d in fetch.breakdown)
    zh = next(f for f in load(SLL, "zh").fetches if f.index == fetch.index)
    (zidle,) = [d for d in zh.breakdown if d.what == "idle_data"]
    assert f"从第 {before} 帧起" in zidle.text and f"第 {after} 帧" in zidle.text and "客户端" in zidle.text


def test_a_connection_without_http_idle_and_rest_corpus():
    """The same file's reverse shell (port 9001, no HTTP): its longest silence (frames and time from tshark) is
    told with the side that broke it, and the rest line speaks of the data the connection carried, not of
    requests."""
    _need(SLL)
    tl = load(SLL)
    (fetch,) = [f for f in tl.fetches if f.kind == "connection" and f.summary.connections == 1
                and f.connections[0].server_port == 9001 and f.connections[0].outcome != "refused"]
    ms, before, after, src, length = _longest_gap(SLL, {fetch.connections[0].stream})
    parts = [d for d in fetch.breakdown if d.what == "idle_data"]
    longest = max(parts, key=lambda d: d.ms)
    who = "client" if src == fetch.client else "server"
    assert longest.ms == pytest.approx(ms, abs=0.002)
    assert f"from frame {before} until the {who} sent {length} byte" in longest.text and f"(frame {after})" in \
        longest.text
    (rest,) = [d for d in fetch.breakdown if d.what == "rest"]
    assert "the data the connections carried" in rest.text and "request" not in rest.text
    zh = next(f for f in load(SLL, "zh").fetches if f.index == fetch.index)
    (zrest,) = [d for d in zh.breakdown if d.what == "rest"]
    assert "连接上传送的数据" in zrest.text and "请求" not in zrest.text


def test_requests_per_connection_in_stream_order_corpus():
    """http_fetch_wikipedia: the page's requests per connection, counted by tshark per tcp.stream, listed in
    stream order (they were in the order the connections' first requests were met)."""
    _need(WIKI)
    tl = load(WIKI)
    (fetch,) = [f for f in tl.fetches if f.summary.requests > 5]
    per = fetch.summary.requests_per_connection
    streams = [s for s, _n in per]
    assert streams == sorted(streams)
    counts = Counter(int(r[1]) for r in rows(WIKI, "http.request", "tcp.stream"))
    assert {s: n for s, n in per} == {s: counts[s] for s in streams}
    text = dict(summary_rows(fetch))[label("requests_per_connection")]
    assert text == ", ".join(f"#{s}: {n}" for s, n in per)


def test_idle_before_the_next_request_is_the_clients(tmp_path):
    """Crafted: an API call (JSON, no page: the client's time after a page is a part of its own), then 400 ms
    with nothing on the network, then the client's next request on the same connection (everything answered
    and acknowledged before): told as the client's time before its next request, frames from the story."""
    story = craft.Story()
    c = craft.Conn(story, (craft.CLIENT, 40200), (craft.SERVER_A, 80))
    c.handshake()
    _g1, r1 = c.get(craft.request("/api", "www.a.test"), craft.response("200 OK", b'{"a": 1}', "application/json"))
    ack = len(story.frames)
    g2, _r2 = c.get(craft.request("/next", "www.a.test"),
                    craft.response("200 OK", b"x" * 50, "text/plain"), dt_us=400_000)
    c.close_four(craft.C)
    path = tmp_path / "idle_request.pcap"
    story.write(path)
    with open_capture(path) as reader:
        tl = timeline(reader)
    (fetch,) = tl.fetches
    (idle,) = [d for d in fetch.breakdown if d.what == "idle_request"]
    assert idle.ms == pytest.approx(400.0)
    assert f"from frame {ack} until the client sent its next request, GET /next" in idle.text
    assert f"(frame {g2})" in idle.text and r1
    (rest,) = [d for d in fetch.breakdown if d.what == "rest"] or [None]
    assert rest is None or "the sending of the requests" in rest.text


def test_one_sided_requests_are_not_idle(tmp_path):
    """Crafted: the client sends three requests 30 ms apart and the capture holds nothing from the server
    after its SYN-ACK (no ACK of the requests): nothing says the client was idle between them."""
    story = craft.Story()
    c = craft.Conn(story, (craft.CLIENT, 40300), (craft.SERVER_A, 80))
    c.handshake()
    for n in range(3):
        c.send(craft.C, "PA", craft.request(f"/r{n}", "www.a.test"), dt_us=30_000)
    path = tmp_path / "one_sided.pcap"
    story.write(path)
    with open_capture(path) as reader:
        tl = timeline(reader)
    assert not any(d.what.startswith("idle") for f in tl.fetches for d in f.breakdown)


PIPELINED = CORPUS / "http_pipelined_requests.pcap"
REQUEST_LOST = ROOT / "captures" / "lab_https_request_lost.pcapng"


def test_a_resent_fin_is_not_an_idle_close_corpus():
    """http_pipelined_requests: the server's FIN goes out again as a retransmission (tshark flags it); the wait
    before it is the retransmission's part, not also 'idle until the server's FIN closed the connection'."""
    _need(PIPELINED)
    resent_fins = {int(r[0]) for r in rows(PIPELINED, "tcp.flags.fin == 1 && tcp.analysis.retransmission")}
    assert resent_fins
    tl = load(PIPELINED)
    told = [d for f in tl.fetches for d in f.breakdown if d.what == "idle"]
    assert not any(f"(frame {x})" in d.text for d in told for x in resent_fins)
    assert any(d.what == "retransmission" and set(d.frames) & resent_fins for f in tl.fetches for d in f.breakdown)


def test_a_resent_encrypted_request_is_not_server_time():
    """captures/lab_https_request_lost (no key log given): the client resent two encrypted requests (tshark:
    its retransmissions); the waits before their answers are the retransmission timers' (one line), not also
    server think time: no part overlaps another."""
    if TSHARK is None:
        pytest.skip("tshark is not installed: the expected values come from it")
    client = rows(REQUEST_LOST, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "ip.src")[0][1]
    resent = {int(r[0]) for r in rows(REQUEST_LOST, f"tcp.analysis.retransmission && ip.src == {client} && tcp.len > 0")}
    assert len(resent) == 2
    (fetch,) = [f for f in load(REQUEST_LOST).fetches if f.connections]
    (timers,) = [d for d in fetch.breakdown if d.what == "retransmission"]
    assert resent <= set(timers.frames)
    assert not [d for d in fetch.breakdown if d.what in ("server_encrypted", "overlap")]
