"""The timeline on crafted captures: which fetches, which steps, which frames each step cites.

The captures are written by ``tests/fixtures/timeline/craft.py``; the expected frame numbers come from the
story each scenario tells (the script numbers frames as it writes them), the expected times from its
hand-set delays (DNS answers 2 ms after the query, handshakes take 20 ms, servers think 30 ms...). Where a
step cites Wireshark's TCP analysis (a retransmission, a duplicate ACK, a lost segment), the frames are also
asked from tshark.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from fixtures.timeline import craft

from analyzer.capture import open_capture
from analyzer.timeline import fetches, timeline
from analyzer.timeline.model import Timeline

TSHARK = shutil.which("tshark")


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> dict:
    return craft.build(tmp_path_factory.mktemp("timeline"))


def load(path: Path, lang: str = "en") -> Timeline:
    with open_capture(path) as reader:
        return timeline(reader, lang)


def kinds(fetch) -> list[tuple[str, tuple[int, ...]]]:
    return [(s.kind, s.frames) for s in fetch.steps]


def step(fetch, kind: str, n: int = 0):
    found = [s for s in fetch.steps if s.kind == kind]
    assert len(found) > n, f"no step {kind} #{n}: {[s.kind for s in fetch.steps]}"
    return found[n]


def tshark_frames(path: Path, display_filter: str) -> list[int]:
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run([TSHARK, "-r", str(path), "-Y", display_filter, "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    return [int(x) for x in out.split()]


# -- pages ------------------------------------------------------------------------------------------------
def test_two_pages_make_two_fetches(crafted):
    path, f = crafted["two_pages"]
    tl = load(path)
    assert [x.url for x in tl.fetches] == ["http://www.a.test/", "http://www.b.test/index.html"]
    a, b = tl.fetches
    assert [(r.method, r.uri, r.status, r.request_frame, r.response_frame) for r in a.requests] == [
        ("GET", "/", 200, f["a_get_html"], f["a_html"][-1]), ("GET", "/a.css", 200, f["a_get_css"], f["a_css"][-1])]
    assert [(r.uri, r.request_frame, r.response_frame) for r in b.requests] == [
        ("/index.html", f["b_get_html"], f["b_html"][-1]), ("/b.png", f["b_get_png"], f["b_png"][-1])]
    assert (a.client, a.server, b.server) == (craft.CLIENT, craft.SERVER_A, craft.SERVER_B)
    assert kinds(a) == [
        ("arp.request.gateway", (f["arp_req"],)), ("arp.reply", (f["arp_rep"],)),
        ("dns.query", (f["dns_a_q"],)), ("dns.answer", (f["dns_a_r"],)),
        ("tcp.handshake.1", (f["a_syn"],)), ("tcp.handshake.2", (f["a_synack"],)), ("tcp.handshake.3", (f["a_ack"],)),
        ("http.request", (f["a_get_html"],)), ("http.response", tuple(f["a_html"])),
        ("http.request.resource", (f["a_get_css"],)), ("http.response", (f["a_css"][0],)),
        ("tcp.teardown4.1", (f["a_close"][0],)), ("tcp.teardown4.2", (f["a_close"][1],)),
        ("tcp.teardown4.3", (f["a_close"][2],)), ("tcp.teardown4.4", (f["a_close"][3],)),
        ("tcp.time_wait", (f["a_close"][3],))]
    # page B: the ARP was done for page A (frame 1) and the gateway is still cached
    absent = step(b, "arp.none.earlier")
    assert (absent.facts["frame"], absent.facts["fetch"], absent.facts["target"]) == (f["arp_rep"], 1, craft.GATEWAY)
    assert step(b, "dns.answer.cname").facts["cnames"] == ["cdn.b.test"]


def test_times_and_handshake_numbers(crafted):
    path, _f = crafted["two_pages"]
    a = load(path).fetches[0]
    assert a.steps[0].time == 0.0
    assert step(a, "dns.query").time == pytest.approx(0.0013)      # 1 ms + 0.3 ms after the ARP request
    assert step(a, "tcp.handshake.1").time == pytest.approx(0.0043)
    s1, s2, s3 = (step(a, f"tcp.handshake.{i}") for i in (1, 2, 3))
    assert s1.facts["seq_raw"] == 100_000 and (s2.facts["seq_raw"], s2.facts["ack_raw"]) == (900_000, 100_001)
    assert s3.facts["ack_raw"] == 900_001
    assert s3.facts["connect_ms"] == pytest.approx(20.0) and s3.facts["irtt_ms"] == pytest.approx(20.0)
    assert "ack = server ISN + 1 = 900001" in s3.text
    assert a.summary.dns_ms == pytest.approx(2.0) and a.summary.connect_ms == pytest.approx(20.0)
    assert a.summary.ttfb_ms == pytest.approx(30.0)


def test_byte_counts_add_up(crafted):
    """Per fetch: HTTP bytes (heads + bodies) <= TCP payload bytes of the fetch's segments; every payload
    byte of a connection is in exactly one fetch."""
    for name in ("two_pages", "wget_robots", "navigation", "http10", "parallel", "browser_parallel"):
        path, _f = crafted[name]
        tl = load(path)
        for fetch in tl.fetches:
            s = fetch.summary
            assert s.http_bytes_sent <= s.bytes_sent and s.http_bytes_received <= s.bytes_received, (name, fetch.index)
        if name == "navigation":                 # one connection shared by three fetches
            with open_capture(path) as reader:
                payload = sum(max(len(fr.data) - 54, 0) for fr in reader)
            assert sum(x.summary.bytes_sent + x.summary.bytes_received for x in tl.fetches) == payload


def test_keep_alive_connection_shared_by_three_pages(crafted):
    """navigation: three pages on one connection. The handshake goes with the first page, the teardown with
    the last; the first two say the connection stays open for the next fetch."""
    path, f = crafted["navigation"]
    tl = load(path)
    assert [x.url for x in tl.fetches] == ["http://nav.test/", "http://nav.test/next.html",
                                           "http://nav.test/later.html"]
    first, second, third = tl.fetches
    assert [r.uri for r in first.requests] == ["/", "/frame.html"]          # a frame of a page still loading
    assert [r.uri for r in second.requests] == ["/next.html", "/next.css"]   # Sec-Fetch navigate: a new page
    assert [r.uri for r in third.requests] == ["/later.html", "/img.png"]    # a link followed 5 s later
    assert step(first, "tcp.handshake.1").frames == (f["syn"],)
    assert step(first, "tcp.kept").facts["next_frame"] == f["get_next"]
    assert step(second, "tcp.kept").facts["next_frame"] == f["get_later"]
    assert not [s for s in second.steps if s.kind.startswith(("tcp.handshake", "tcp.teardown", "arp.", "dns."))]
    assert [s.frames for s in third.steps if s.kind.startswith("tcp.teardown")] == [(x,) for x in f["close"]]


def test_parallel_connections_without_referer_join_by_window(crafted):
    path, f = crafted["parallel"]
    (fetch,) = load(path).fetches
    assert [r.uri for r in fetch.requests] == ["/", "/a.css", "/app.js"]
    assert [c.stream for c in fetch.connections] == [0, 1, 2]
    assert [s.frames for s in fetch.steps if s.kind.startswith("tcp.handshake.1")] == [
        (f["c1_syn"],), (f["c2_syn"],), (f["c3_syn"],)]
    assert step(fetch, "tcp.handshake.1.brief").facts["first_stream"] == 0       # explained once in full


def test_browser_page_with_fetch_metadata(crafted):
    path, f = crafted["browser_parallel"]
    (fetch,) = load(path).fetches
    assert [r.uri for r in fetch.requests] == ["/", "/a.css", "/app.js", "/favicon.ico"]
    assert [r.side for r in fetch.requests] == [False, False, False, True]
    assert [s.frames for s in fetch.steps if s.kind.startswith("http.request")] == [(f["get_doc"],)] + [
        (x,) for x in f["gets"]]
    assert step(fetch, "http.request.resource").facts["why"] == "referer"
    assert fetch.summary.connections == 4 and [c.outcome for c in fetch.connections] == ["open"] * 4


def test_two_curl_runs_are_two_fetches(crafted):
    """Two separate curl runs a second apart (no Referer, each with its own DNS lookup and connection):
    two fetches, each with its own lookups (A and AAAA), handshake and teardown."""
    path, f = crafted["two_curl_runs"]
    tl = load(path)
    assert len(tl.fetches) == 2
    for fetch, run in zip(tl.fetches, f["runs"]):
        assert [r.request_frame for r in fetch.requests] == [run["get"]]
        assert [(lk.qtype, lk.query_frame) for lk in fetch.lookups] == [("A", run["dns_a"][0]),
                                                                        ("AAAA", run["dns_aaaa"][0])]
        assert step(fetch, "dns.answer.empty").frames == (run["dns_aaaa"][1],)
        assert step(fetch, "tcp.handshake.1").frames == (run["syn"],)
        assert [s.frames[0] for s in fetch.steps if s.kind.startswith("tcp.teardown")] == list(run["close"])
        assert fetch.summary.connection_mode == "single request"


def test_wget_robots_txt_is_a_side_request_of_the_page(crafted):
    """wget -p: /, then /robots.txt with no Referer, then the page's requisites, on one keep-alive
    connection: one fetch; robots.txt is a side request; the teardown is in that fetch; every segment of
    the connection is in it and the byte counts add up."""
    path, f = crafted["wget_robots"]
    (fetch,) = load(path).fetches
    assert [(r.uri, r.side) for r in fetch.requests] == [("/", False), ("/robots.txt", True), ("/site.css", False),
                                                        ("/logo.png", False)]
    side = step(fetch, "http.request.side")
    assert side.frames == (f["get_robots"],) and "robots.txt" in side.text
    assert step(fetch, "http.response.error").frames == (f["robots"][0],)
    assert [s.frames[0] for s in fetch.steps if s.kind.startswith("tcp.teardown")] == list(f["close"])
    ladder = {row.frame for row in fetch.ladder}
    assert set(range(f["syn"], f["close"][-1] + 1)) <= ladder
    assert fetch.summary.http_bytes_received <= fetch.summary.bytes_received


def test_http10_short_connections_to_a_lan_server(crafted):
    path, f = crafted["http10"]
    (fetch,) = load(path).fetches
    assert step(fetch, "arp.request.server").frames == (f["arp_req"],)
    assert fetch.summary.connection_mode == "one connection per request"
    assert [s.frames for s in fetch.steps if s.kind == "tcp.teardown3.1"] == [(c["close"][0],) for c in f["conns"]]
    assert [s.facts["closer"] for s in fetch.steps if s.kind == "tcp.teardown3.1"] == ["server"] * 3


def test_ipv6_neighbor_discovery(crafted):
    path, f = crafted["ipv6_nd"]
    (fetch,) = load(path).fetches
    assert kinds(fetch)[:4] == [("nd.request.gateway", (f["ns"],)), ("nd.reply", (f["na"],)),
                                ("dns.query", (f["dns"][0],)), ("dns.answer", (f["dns"][1],))]
    assert step(fetch, "nd.reply").facts["mac"] == craft.GATEWAY_MAC
    assert "Neighbor Discovery" in step(fetch, "nd.request.gateway").text and not fetch.steps[0].text.startswith("No")
    assert "[2001:db8:2::80]:80" in step(fetch, "tcp.handshake.1").text


# -- failures and loss ---------------------------------------------------------------------------------------
def test_refused_port(crafted):
    path, f = crafted["refused"]
    (fetch,) = load(path).fetches
    assert fetch.kind == "connection" and fetch.url == "www.a.test:81"
    assert kinds(fetch) == [("arp.request.gateway", (f["arp"][0],)), ("arp.reply", (f["arp"][1],)),
                            ("dns.query", (f["dns"][0],)), ("dns.answer", (f["dns"][1],)),
                            ("tcp.handshake.1", (f["syn"],)), ("tcp.refused", (f["rst"],))]
    refused = step(fetch, "tcp.refused")
    assert refused.problem and refused.facts["rtt_ms"] == pytest.approx(20.0)
    assert [(c.stream, c.outcome) for c in fetch.connections] == [(0, "refused")]
    assert fetch.requests[0].error == "refused" and fetch.summary.failed_connections == 1


def tshark_rows(path: Path, display_filter: str, *fields: str) -> list[list[str]]:
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run([TSHARK, "-r", str(path), "-Y", display_filter, "-T", "fields", "-E", "occurrence=f",
                          *(x for f in fields for x in ("-e", f))], capture_output=True, text=True, check=True,
                         timeout=120).stdout
    return [line.split("\t") for line in out.splitlines()]


def test_icmp_host_unreachable_answering_a_syn_is_why_the_connection_failed(crafted):
    path, f = crafted["icmp_unreachable"]
    fetch = load(path).fetches[0]
    # tshark: the ICMP error's frame, sender, type/code and the TCP ports of the SYN it quotes
    ((frame, sender, kind, code, sport, dport),) = tshark_rows(path, "icmp", "frame.number", "ip.src", "icmp.type",
                                                               "icmp.code", "tcp.srcport", "tcp.dstport")
    assert int(frame) == f["icmp"] and (kind, code) == ("3", "1")
    (conn,) = fetch.connections
    assert (conn.client_port, conn.server_port) == (int(sport), int(dport))
    assert kinds(fetch)[-2:] == [("tcp.handshake.1", (f["syn"],)), ("tcp.icmp.unreachable", (f["icmp"],))]
    err = step(fetch, "tcp.icmp.unreachable")
    assert err.problem and err.facts["sender"] == sender and err.facts["syn"] == f["syn"]
    assert err.facts["rtt_ms"] == pytest.approx(3.0) and not err.facts["retried"]
    assert "host unreachable" in err.text and "No SYN followed" in err.text
    assert not [s for s in fetch.steps if s.kind.startswith("tcp.unanswered")]      # it was answered
    assert (conn.outcome, conn.syn_frames) == ("unreachable", (f["syn"],))
    assert fetch.requests[0].error == "unreachable" and fetch.summary.failed_connections == 1
    assert fetch.requests[0].connect == pytest.approx(3.0)                  # SYN to the error


def test_icmp_admin_prohibited_each_syn_cited(crafted):
    path, f = crafted["icmp_prohibited"]
    fetch = load(path).fetches[0]
    rows = tshark_rows(path, "icmp", "frame.number", "ip.src", "icmp.type", "icmp.code")
    assert [int(r[0]) for r in rows] == [f["icmp1"], f["icmp2"]]
    assert {(r[1], r[2], r[3]) for r in rows} == {(craft.FIREWALL, "3", "13")}
    errs = [s for s in fetch.steps if s.kind == "tcp.icmp.prohibited"]
    assert [(s.frames, s.facts["syn"], s.facts["retried"]) for s in errs] == [
        ((f["icmp1"],), f["syn1"], True), ((f["icmp2"],), f["syn2"], False)]
    assert tshark_frames(path, "tcp.analysis.retransmission") == [f["syn2"]] == list(
        step(fetch, "tcp.syn.retransmission").frames)
    assert fetch.connections[0].outcome == "unreachable"
    zh = load(path, "zh").fetches[0]
    assert "客户端仍然再次发送了 SYN" in step(zh, "tcp.icmp.prohibited").text


def test_fetches_are_numbered_in_the_order_they_began(crafted):
    """CLIENT's page began first but is complete last (its connection stays open); CLIENT2's began 100 ms later
    and closed at once. Numbered by their first frame (before: CLIENT2's was fetch 1); handed out when complete."""
    path, f = crafted["overlapping_clients"]
    with open_capture(path) as reader:
        streamed = list(fetches(reader))
    order = [x.index for x in streamed]
    assert sorted(order) == [1, 2, 3] and order.index(2) < order.index(1)     # 1 waited for its open connection
    got = load(path).fetches                                 # timeline(): by number
    assert [(x.index, x.client, x.steps[0].frames or x.steps[1].frames) for x in got] == [
        (1, craft.CLIENT, (f["dns_a"][0],)), (2, craft.CLIENT2, (f["dns_b"][0],)),
        (3, "192.168.1.99", (f["later"][0],))]
    # the same first frames, from tshark: each host's first DNS query
    for x in got:
        assert tshark_frames(path, f"dns.flags.response == 0 and ip.src == {x.client}")[0] == min(
            fr for s in x.steps for fr in s.frames)
    assert got[0].connections[0].outcome == "open"


def test_silent_host_syn_retransmissions_then_given_up(crafted):
    path, f = crafted["silent_host"]
    first, later = load(path).fetches
    assert first.kind == "connection" and later.kind == "lookup"
    retries = [s for s in first.steps if s.kind == "tcp.syn.retransmission"]
    assert [s.frames for s in retries] == [(x,) for x in f["syns"][1:]]
    assert [s.facts["waited_ms"] for s in retries] == pytest.approx([1000.0, 2000.0, 4000.0, 8000.0])
    assert [s.facts["doubled"] for s in retries] == [False, True, True, True]
    assert [x for s in retries for x in s.frames] == tshark_frames(path, "tcp.analysis.retransmission")
    gave_up = step(first, "tcp.unanswered.gave_up")
    assert gave_up.frames == tuple(f["syns"]) and gave_up.problem
    assert [(c.outcome, c.syn_frames) for c in first.connections] == [("unanswered", tuple(f["syns"]))]


def test_lost_syn_explains_connect_time(crafted):
    """TCP connect (first SYN -> ACK) = the wait for the retransmitted SYN + the iRTT of the attempt that got
    through: both figures are given and they add up."""
    path, f = crafted["syn_loss"]
    (fetch,) = load(path).fetches
    assert step(fetch, "tcp.syn.retransmission").frames == (f["syn2"],)
    third = step(fetch, "tcp.handshake.3.retried")
    assert third.frames == (f["ack"],)
    assert third.facts["waits_ms"] == pytest.approx(1000.0) and third.facts["irtt_ms"] == pytest.approx(20.0)
    assert third.facts["connect_ms"] == pytest.approx(third.facts["waits_ms"] + third.facts["irtt_ms"])
    assert fetch.connections[0].connect_ms == pytest.approx(1020.0)
    assert fetch.breakdown[0].what == "syn_retry" and fetch.breakdown[0].ms == pytest.approx(1000.0)


def test_segment_lost_mid_transfer(crafted):
    path, f = crafted["loss_mid_transfer"]
    (fetch,) = load(path).fetches
    loss = step(fetch, "tcp.loss")
    lost = tshark_frames(path, "tcp.analysis.lost_segment")
    dups = tshark_frames(path, "tcp.analysis.duplicate_ack")
    fast = tshark_frames(path, "tcp.analysis.fast_retransmission")
    assert lost == [f["segs"][0]] and fast == [f["retrans"]]
    assert loss.frames == tuple(sorted(lost + dups + fast))
    assert loss.facts["lost_from"] == f["lost_rel_seq"] and loss.facts["lost_bytes"] == 1000
    assert loss.facts["fill_frame"] == f["retrans"] and loss.facts["fast"]
    assert fetch.summary.retransmitted_bytes == 1000
    assert fetch.requests[0].response_body_bytes == f["body"]


def test_nagle_delayed_ack_stall(crafted):
    path, f = crafted["nagle_stall"]
    (fetch,) = load(path).fetches
    stall = step(fetch, "tcp.stall.nagle")
    assert stall.frames == (f["head"], f["delayed_ack"], f["body"])
    assert stall.facts["ack_ms"] == pytest.approx(40.0) and stall.problem
    assert "Nagle" in stall.text and "delayed ACK" in stall.text
    assert any(d.what == "stall" for d in fetch.breakdown)


def test_zero_window(crafted):
    path, f = crafted["zero_window"]
    (fetch,) = load(path).fetches
    zero = step(fetch, "tcp.zero_window")
    assert zero.frames[0] == f["zero"] == tshark_frames(path, "tcp.analysis.zero_window")[0]
    assert zero.facts["resumed_frame"] == f["update"] and zero.facts["stall_ms"] == pytest.approx(200.0)


def test_reset_in_the_middle_of_a_response(crafted):
    path, f = crafted["reset_mid"]
    (fetch,) = load(path).fetches
    reset = step(fetch, "tcp.reset")
    assert reset.frames == (f["rst"],) and reset.facts["by"] == "server" and reset.facts["after"] == f["seg1"]
    incomplete = step(fetch, "http.incomplete.bytes")        # told in TCP terms: who reset, which frame
    assert incomplete.facts["why"] == "connection reset"
    assert (incomplete.facts["how"], incomplete.facts["ender"], incomplete.facts["end_frame"]) == ("reset", "server", f["rst"])
    assert fetch.connections[0].outcome == "reset"


def test_dns_retry_failure_and_truncation(crafted):
    path, f = crafted["dns_trouble"]
    slow, rest = load(path).fetches
    assert slow.kind == rest.kind == "lookup"
    assert step(slow, "dns.retransmission").frames == (f["q1_again"],)
    assert step(slow, "dns.retransmission").facts["waited_ms"] == pytest.approx(1000.0)
    assert step(slow, "dns.answer").facts["rtt_ms"] == pytest.approx(1003.0)       # from the first query
    assert step(rest, "dns.answer.nxdomain").frames == (f["nx"][1],)
    assert step(rest, "dns.answer.servfail").frames == (f["servfail"][1],)
    assert step(rest, "dns.answer.truncated.empty").frames == (f["tc_a"],)     # the story sent no record
    assert step(rest, "dns.tcp.connect").frames == (f["tcp_syn"], f["tcp_synack"], f["tcp_ack"])
    assert step(rest, "dns.query.tcp").frames == (f["tcp_q"],)
    assert step(rest, "dns.answer.records").frames == (f["tcp_a"],)
    # the TCP retry belongs to the lookup, not to a fetch of its own
    assert [(c.server_port, c.outcome) for c in rest.connections] == [(53, "closed")]


# -- streaming ------------------------------------------------------------------------------------------------
def test_fetches_stream_out_before_the_end(crafted):
    """two_pages: page A is complete (closed, 3 s of quiet) long before the capture ends; it comes out
    while page B's frames are still being read, and equals what the whole-capture timeline holds."""
    path, f = crafted["two_pages"]
    with open_capture(path) as reader:
        frames = list(reader)
    seen_at = []

    def counting():
        for frame in frames:
            seen_at.append(frame.number)
            yield frame

    gen = fetches(counting())
    first = next(gen)
    assert first.url == "http://www.a.test/" and seen_at[-1] < f["b_get_html"]
    rest = list(gen)
    whole = load(path)
    assert [x.as_dict() for x in [first, *rest]] == [x.as_dict() for x in whole.fetches]


def test_a_resource_without_referer_joins_the_page_that_links_to_it(tmp_path):
    """Rule 2c: no Referer, but the page's HTML (seen) links to it: it joins the page, on another connection;
    a URL the page does not link to starts a fetch of its own (the page's body is contrary evidence)."""
    story = craft.Story()
    a = craft.Conn(story, (craft.CLIENT, 40101), (craft.SERVER_A, 80), cisn=1, sisn=2)
    a.handshake()
    page = a.get(craft.request("/", "www.a.test"), craft.response("200 OK", craft.HTML_A, "text/html"))[0]
    story.us += 1_000_000
    b = craft.Conn(story, (craft.CLIENT, 40102), (craft.SERVER_A, 80), cisn=3, sisn=4)
    b.handshake()
    css = b.get(craft.request("/a.css", "www.a.test"), craft.response("200 OK", craft.CSS, "text/css"))[0]
    c = craft.Conn(story, (craft.CLIENT, 40103), (craft.SERVER_A, 80), cisn=5, sisn=6)
    c.handshake()
    other = c.get(craft.request("/other.js", "www.a.test"), craft.response("200 OK", craft.JS, "text/javascript"))[0]
    path = tmp_path / "linked.pcap"
    story.write(path)
    tl = load(path)
    assert [[r.request_frame for r in f.requests] for f in tl.fetches] == [[page, css], [other]]
    assert step(tl.fetches[0], "http.request.resource").facts["why"] == "linked"


def test_a_response_whose_first_segment_was_lost_and_resent(tmp_path):
    """The server's first response segment is lost before the capture point; the later ones arrive and wait;
    the resent first segment completes the response. Time to first byte runs to the resent segment (tshark's
    http.time), and the transfer is not "0 µs": the later segments came first, and the text says so."""
    story = craft.Story()
    c = craft.Conn(story, (craft.CLIENT, 40201), (craft.SERVER_A, 80), cisn=1, sisn=2)
    c.handshake()
    body = bytes(range(256)) * 12
    data = craft.response("200 OK", body, "application/octet-stream")
    parts = [data[i:i + 1000] for i in range(0, len(data), 1000)]
    get = c.send(craft.C, "PA", craft.request("/f.bin", "www.a.test"), dt_us=500)
    lost = c.lose(craft.S, parts[0])
    later = []
    for part in parts[1:]:
        later.append(c.send(craft.S, "A", part, dt_us=30_000 if not later else 100))
        c.send(craft.C, "A", dt_us=50, ack=lost, options=[("SAck", (lost + len(parts[0]), c.next[craft.S]))])
    resent = c.send(craft.S, "A", parts[0], dt_us=60_000, seq=lost)
    c.send(craft.C, "A", dt_us=100)
    path = tmp_path / "first_lost.pcap"
    story.write(path)
    (fetch,) = load(path).fetches
    resp = step(fetch, "http.response")
    # tshark reassembling out-of-order segments (as our reassembly does) finds the response in the resent one
    ooo = subprocess.run([TSHARK, "-o", "tcp.reassemble_out_of_order:TRUE", "-r", str(path), "-Y", "http.response",
                          "-T", "fields", "-e", "frame.number"], capture_output=True, text=True, check=True,
                         timeout=120).stdout.split()
    assert ooo == [str(resent)]
    assert tshark_frames(path, "tcp.analysis.retransmission") == [resent]
    assert resp.facts["early_frames"] == later == tshark_frames(path, "tcp.srcport == 80 && tcp.len > 0")[:-1]
    t = {f: float(x) for f, x in zip(tshark_frames(path, "tcp"), _times(path))}
    assert resp.facts["early_ms"] == pytest.approx((t[resent] - t[later[0]]) * 1000, abs=1e-3)
    assert resp.facts["transfer_ms"] == pytest.approx((t[resent] - t[later[0]]) * 1000, abs=1e-3)
    assert resp.facts["ttfb_ms"] == pytest.approx((t[resent] - t[get]) * 1000, abs=1e-3)
    assert "0.0 µs" not in resp.text and f"frame {resent} (resent)" in resp.text


def _times(path: Path) -> list[str]:
    out = subprocess.run([TSHARK, "-r", str(path), "-Y", "tcp", "-T", "fields", "-e", "frame.time_relative"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    return out.split()
