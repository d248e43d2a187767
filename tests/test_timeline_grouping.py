"""The timeline on crafted captures: how requests are grouped into page fetches, and each fetch's steps.

The captures are written by ``tests/fixtures/timeline/craft.py``; the expected frame numbers come from the
story each scenario tells (the script numbers frames as it writes them), the expected times from its
hand-set delays (DNS answers 2 ms after the query, handshakes take 20 ms, servers think 30 ms...).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.timeline import craft

from analyzer.capture import open_capture
from analyzer.timeline import build, collect, timeline
from analyzer.timeline.model import Timeline


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> dict:
    return craft.build(tmp_path_factory.mktemp("timeline"))


def load(path: Path, lang: str = "en") -> Timeline:
    with open_capture(path) as reader:
        return timeline(reader, lang)


def step(fetch, name: str, n: int = 0):
    found = [s for s in fetch.steps if s.step == name]
    assert len(found) > n, f"no step {name} #{n}: {[s.step for s in fetch.steps]}"
    return found[n]


def test_two_pages_make_two_fetches(crafted):
    path, f = crafted["two_pages"]
    tl = load(path)
    assert [x.url for x in tl.fetches] == ["http://www.a.test/", "http://www.b.test/index.html"]
    a, b = tl.fetches
    assert [(r.method, r.uri, r.status, r.request_frame, r.response_frame) for r in a.requests] == [
        ("GET", "/", 200, f["a_get_html"], f["a_html"][-1]),
        ("GET", "/a.css", 200, f["a_get_css"], f["a_css"][-1]),
    ]
    assert [(r.uri, r.request_frame, r.response_frame) for r in b.requests] == [
        ("/index.html", f["b_get_html"], f["b_html"][-1]), ("/b.png", f["b_get_png"], f["b_png"][-1])]
    assert (a.client, a.server, b.server) == (craft.CLIENT, craft.SERVER_A, craft.SERVER_B)


def test_steps_in_capture_order_with_frames(crafted):
    path, f = crafted["two_pages"]
    a = load(path).fetches[0]
    firsts = [s.frames[0] for s in a.steps if s.frames]
    assert firsts == sorted(firsts)
    assert a.steps[0].time == 0.0
    expected = [
        ("arp.request", f["arp_req"]), ("arp.reply", f["arp_rep"]),
        ("dns.query", f["dns_a_q"]), ("dns.answer", f["dns_a_r"]),
        ("tcp.handshake.1", f["a_syn"]), ("tcp.handshake.2", f["a_synack"]), ("tcp.handshake.3", f["a_ack"]),
        ("http.request", f["a_get_html"]), ("http.response", tuple(f["a_html"])),
        ("http.request", f["a_get_css"]), ("http.response", f["a_css"][0]),
        ("tcp.teardown.1", f["a_close"][0]), ("tcp.teardown.2", f["a_close"][1]),
        ("tcp.teardown.3", f["a_close"][2]), ("tcp.teardown.4", f["a_close"][3]),
        ("tcp.time_wait", f["a_close"][3]),
    ]
    assert [(s.step, s.frame) for s in a.steps] == expected
    # times since the fetch began (the ARP request): DNS query 1 ms + 0.3 ms later, SYN 1 ms after the answer
    assert step(a, "dns.query").time == pytest.approx(0.0013)
    assert step(a, "tcp.handshake.1").time == pytest.approx(0.0043)


def test_handshake_numbers_and_texts(crafted):
    path, _f = crafted["two_pages"]
    a = load(path).fetches[0]
    s1, s2, s3 = (step(a, f"tcp.handshake.{i}") for i in (1, 2, 3))
    assert (s1.facts["seq_raw"], s1.facts["seq"]) == (100_000, 0)
    assert (s2.facts["seq_raw"], s2.facts["ack_raw"], s2.facts["ack"]) == (900_000, 100_001, 1)
    assert (s3.facts["seq_raw"], s3.facts["ack_raw"], s3.facts["seq"], s3.facts["ack"]) == (100_001, 900_001, 1, 1)
    assert s3.facts["irtt_ms"] == pytest.approx(20.0)
    assert "step 3/3" in s3.text.lower() and "ack = server isn + 1 = 900001" in s3.text.lower()
    assert "established" in s3.text


def test_arp_gateway_and_dns_cname(crafted):
    path, _f = crafted["two_pages"]
    a, b = load(path).fetches
    assert step(a, "arp.request").template == "arp.request.gateway"
    assert craft.GATEWAY in step(a, "arp.request").text
    assert step(a, "arp.reply").facts["mac"] == craft.GATEWAY_MAC
    answer = step(b, "dns.answer")
    assert answer.template == "dns.answer.cname"
    assert answer.facts["cnames"] == ["cdn.b.test"] and answer.facts["address_list"] == [craft.SERVER_B]
    assert answer.facts["rtt_ms"] == pytest.approx(2.0)
    # the second page's ARP was not captured: the first page's answer is still cached
    assert step(b, "arp.none").template == "arp.none.cached"


def test_teardowns_four_and_three_segments(crafted):
    path, f = crafted["two_pages"]
    a, b = load(path).fetches
    assert [step(a, f"tcp.teardown.{i}").template for i in (1, 2, 3, 4)] == [
        "tcp.teardown4.1", "tcp.teardown4.2", "tcp.teardown4.3", "tcp.teardown4.4"]
    assert step(a, "tcp.teardown.1").facts["closer"] == "client"
    assert step(a, "tcp.time_wait").facts["side"] == "client"
    assert [s.frame for s in b.steps if s.step.startswith("tcp.teardown")] == list(f["b_close"])
    assert step(b, "tcp.teardown.2").template == "tcp.teardown3.2"
    assert step(b, "tcp.teardown.1").facts["closer"] == "server"
    assert step(b, "tcp.time_wait").facts["side"] == "server"
    assert a.connections[0].teardown == "four-way" and b.connections[0].teardown == "three-way"


def test_summary_and_timings(crafted):
    path, _f = crafted["two_pages"]
    a = load(path).fetches[0]
    s = a.summary
    assert s.dns_ms == pytest.approx(2.0)
    assert s.connect_ms == pytest.approx(20.0)
    assert s.ttfb_ms == pytest.approx(30.0)
    assert s.connection_mode == "keep-alive" and s.requests_per_connection == ((0, 2),)
    doc, css = a.requests
    assert (doc.dns, doc.connect, doc.wait) == pytest.approx((2.0, 20.0, 30.0))
    assert doc.receive == pytest.approx(0.2)        # two segments 200 us apart
    assert (css.dns, css.connect, css.blocked) == (-1, -1, -1)    # reused connection
    assert css.reused_connection and css.wait == pytest.approx(5.0)
    assert len(craft.HTML_A) + len(craft.CSS) < s.bytes_received == s.http_bytes_received


def test_parallel_connections_join_by_window(crafted):
    path, f = crafted["parallel"]
    tl = load(path)
    assert len(tl.fetches) == 1
    fetch = tl.fetches[0]
    assert [(r.uri, r.stream) for r in fetch.requests] == [("/", 0), ("/a.css", 1), ("/app.js", 2)]
    assert fetch.summary.connection_mode == "one connection per request"
    assert [s.frame for s in fetch.steps if s.step == "tcp.handshake.1"] == [f["c1_syn"], f["c2_syn"], f["c3_syn"]]
    css = fetch.requests[1]
    # SYN, +50 us the other SYN, +10 ms SYN-ACK, +50 us the other, +50 us ACK
    assert css.connect == pytest.approx(10.15)
    assert not css.reused_connection
    assert step(fetch, "dns.none").template == "dns.none.cached"


def test_cached_dns_no_arp_and_reset(crafted):
    path, f = crafted["cached_dns"]
    fetch = load(path).fetches[0]
    assert [s.step for s in fetch.steps][:2] == ["arp.none", "dns.none"]
    assert step(fetch, "dns.none").frame == ()
    assert "No DNS lookup for www.a.test was captured" in step(fetch, "dns.none").text
    assert fetch.summary.dns_ms == -1 and fetch.summary.dns_lookups == 0
    rst = step(fetch, "tcp.reset")
    assert rst.frame == f["rst"] and rst.facts["by"] == "client"
    assert fetch.summary.connection_mode == "single request"


def test_http10_short_connections(crafted):
    path, f = crafted["http10"]
    tl = load(path)
    assert len(tl.fetches) == 1
    fetch = tl.fetches[0]
    assert [(r.uri, r.request_frame, r.http_version) for r in fetch.requests] == [
        (p, c["get"], "HTTP/1.0") for p, c in zip(("/", "/b.png", "/app.js"), f["conns"], strict=True)]
    assert fetch.summary.connection_mode == "one connection per request"
    assert fetch.summary.requests_per_connection == ((0, 1), (1, 1), (2, 1))
    assert step(fetch, "arp.request").template == "arp.request.server"
    assert [s.frame for s in fetch.steps if s.step == "tcp.handshake.1"] == [c["syn"] for c in f["conns"]]
    assert [s.facts["side"] for s in fetch.steps if s.step == "tcp.time_wait"] == ["server"] * 3
    # only the first connection waited for the lookup
    assert [r.dns for r in fetch.requests] == [pytest.approx(2.0), -1, -1]
    assert [r.connect for r in fetch.requests] == [pytest.approx(0.4)] * 3


def test_navigation_frames_and_links(crafted):
    """Rule 2a: an embedded frame joins its page; a followed link (Sec-Fetch navigate, or an old browser's
    HTML request long after its Referer page loaded) starts a new one; rule 2c: same connection."""
    path, f = crafted["navigation"]
    tl = load(path)
    assert [[r.uri for r in x.requests] for x in tl.fetches] == [
        ["/", "/frame.html"], ["/next.html", "/next.css"], ["/later.html", "/img.png"]]
    first, second, third = tl.fetches
    assert next(s.frame for s in first.steps if s.step.startswith("tcp.handshake")) == f["syn"]
    assert not any(s.step.startswith("tcp.handshake") for s in second.steps + third.steps)
    assert [s.step for s in second.steps if s.layer == "tcp"] == ["tcp.reuse"]
    assert any(s.step == "tcp.teardown.1" for s in third.steps)
    assert not any(s.step.startswith("tcp.teardown") for s in first.steps + second.steps)
    assert second.requests[0].request_frame == f["get_next"] and second.requests[0].reused_connection
    assert third.requests[1].request_frame == f["get_img"]


def test_chinese_explanations(crafted):
    path, _f = crafted["two_pages"]
    a = load(path, "zh").fetches[0]
    assert "三次握手" in step(a, "tcp.handshake.1").text
    assert "TIME_WAIT" in step(a, "tcp.time_wait").text and "客户端" in step(a, "tcp.time_wait").text
    assert "ARP" in step(a, "arp.request").text and "网关" in step(a, "arp.request").text


def test_build_is_sans_io(crafted):
    """collect once, build twice in two languages: same structure, other words."""
    path, _f = crafted["two_pages"]
    with open_capture(path) as reader:
        facts = collect(reader)
    en, zh = build(facts, "en"), build(facts, "zh")
    assert [[s.step for s in f.steps] for f in en.fetches] == [[s.step for s in f.steps] for f in zh.fetches]
    assert en.fetches[0].steps[4].text != zh.fetches[0].steps[4].text
