"""The timeline on real captures: the project's loopback recordings (expected frames asked from tshark, as
the files may be recorded again) and the shared corpus (expected frames read off ``tshark -r`` once and
written here with the lines they come from)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "captures"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")


def load(path: Path):
    if not path.exists():
        pytest.skip(f"{path} is not there (captures/ is recorded by scripts/record_loopback_fetch.py; the "
                    f"corpus lives in ../shared/corpus)")
    with open_capture(path) as reader:
        return timeline(reader)


def tshark_frames(path: Path, display_filter: str) -> list[int]:
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run([TSHARK, "-r", str(path), "-Y", display_filter, "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    return [int(x) for x in out.split()]


def steps(fetch, prefix: str) -> list:
    return [s for s in fetch.steps if s.step.startswith(prefix)]


# -- captures/: recorded by the project -------------------------------------------------------------------
def test_loopback_page_fetch():
    path = CAPTURES / "http_page_fetch_loopback.pcapng"
    tl = load(path)
    assert len(tl.fetches) == 1
    fetch = tl.fetches[0]
    assert [r.request_frame for r in fetch.requests] == tshark_frames(path, "http.request")
    assert [r.response_frame for r in fetch.requests] == tshark_frames(path, "http.response")
    assert [r.uri for r in fetch.requests] == ["/", "/style.css", "/app.js", "/logo.png"]   # captures/README.md
    assert [s.frame for s in steps(fetch, "dns.")] == tshark_frames(path, "dns")
    syn, synack, ack = (tshark_frames(path, "tcp.flags.syn==1 && tcp.flags.ack==0")
                        + tshark_frames(path, "tcp.flags.syn==1 && tcp.flags.ack==1")
                        + tshark_frames(path, "tcp.flags==0x010 && tcp.seq==1 && tcp.ack==1"))
    assert [s.frame for s in steps(fetch, "tcp.handshake")] == [syn, synack, ack]
    assert steps(fetch, "arp.")[0].template == "arp.none.loopback"
    # keep-alive: one connection, four requests; the client closes: FIN, FIN-ACK, ACK (captures/README.md)
    assert fetch.summary.connection_mode == "keep-alive"
    assert fetch.summary.requests_per_connection == ((0, 4),)
    fins = tshark_frames(path, "tcp.flags.fin==1")
    teardown = steps(fetch, "tcp.teardown")
    assert [s.frame for s in teardown][:2] == fins
    assert len(teardown) == 3 and teardown[1].template == "tcp.teardown3.2"
    assert steps(fetch, "tcp.time_wait")[0].facts["side"] == "client"
    # every request after the first rides the open connection
    assert [r.connect for r in fetch.requests][1:] == [-1, -1, -1]
    assert fetch.requests[0].connect > 0 and fetch.requests[0].dns > 0


def test_loopback_http10_short_connections():
    path = CAPTURES / "http10_short_connections_loopback.pcap"
    tl = load(path)
    assert len(tl.fetches) == 1
    fetch = tl.fetches[0]
    assert [r.request_frame for r in fetch.requests] == tshark_frames(path, "http.request")
    assert [r.response_frame for r in fetch.requests] == tshark_frames(path, "http.response")
    assert fetch.summary.connection_mode == "one connection per request"
    assert fetch.summary.connections == 4 == len(tshark_frames(path, "tcp.flags.syn==1 && tcp.flags.ack==0"))
    # the server sends the first FIN on every connection (captures/README.md)
    firsts = [s for s in fetch.steps if s.step == "tcp.teardown.1"]
    assert [s.facts["closer"] for s in firsts] == ["server"] * 4
    server_fins = tshark_frames(path, "tcp.flags.fin==1 && tcp.srcport==8080")
    assert [s.frame for s in firsts] == server_fins


# -- the shared corpus ------------------------------------------------------------------------------------
def test_classic_fetch_with_ad_on_second_connection():
    """http.cap: 1-3 handshake, 4 GET /download.html, 38 its 200 (reassembled), 13/17 DNS for
    pagead2.googlesyndication.com (CNAME pagead2.google.com, CNAME pagead.google.akadns.net, A
    216.239.59.104, A 216.239.59.99), 18 GET /pagead/ads... (Referer download.html), 27 its 200,
    40 server FIN, 41 ACK, 42 client FIN, 43 ACK; the ad connection's handshake is not captured."""
    tl = load(CORPUS / "http_fetch_dns_handshake_teardown_classic.pcap")
    assert len(tl.fetches) == 1
    fetch = tl.fetches[0]
    assert fetch.url == "http://www.ethereal.com/download.html"
    assert [(r.request_frame, r.response_frame, r.status) for r in fetch.requests] == [(4, 38, 200), (18, 27, 200)]
    assert [s.frame for s in steps(fetch, "tcp.handshake")] == [1, 2, 3, ()]
    assert steps(fetch, "tcp.handshake")[3].step == "tcp.handshake.missing"
    answer = steps(fetch, "dns.answer")[0]
    assert (steps(fetch, "dns.query")[0].frame, answer.frame) == (13, 17)
    assert answer.facts["cnames"] == ["pagead2.google.com", "pagead.google.akadns.net"]
    assert answer.facts["address_list"] == ["216.239.59.104", "216.239.59.99"]
    assert answer.facts["rtt_ms"] == pytest.approx(2914.190 - 2553.672, abs=0.001)
    assert steps(fetch, "dns.none")[0].facts["host"] == "www.ethereal.com"     # looked up before the capture
    assert [s.frame for s in steps(fetch, "tcp.teardown")] == [40, 41, 42, 43]
    assert steps(fetch, "tcp.teardown.1")[0].facts["closer"] == "server"
    assert steps(fetch, "tcp.time_wait")[0].facts["side"] == "server"
    assert fetch.summary.connect_ms == pytest.approx(911.310)
    assert fetch.requests[0].wait == pytest.approx(1682.419 - 911.310)


def test_wikipedia_parallel_connections():
    """wikipedia.pcap: 15 GETs (all answered 304) on 9 connections; connection 0 (GET / in frame 6) was open
    before the capture; upload.wikimedia.org is looked up (AAAA, search-domain AAAA, A) before connections."""
    tl = load(CORPUS / "http_fetch_wikipedia_dns_multiconn.pcap")
    assert len(tl.fetches) == 1
    fetch = tl.fetches[0]
    assert fetch.url == "http://www.wikipedia.org/"
    assert len(fetch.requests) == 15 and {r.status for r in fetch.requests} == {304}
    assert fetch.summary.connections == 9
    assert (fetch.requests[0].request_frame, fetch.requests[0].response_frame) == (6, 7)
    assert fetch.steps[2].step == "tcp.handshake.missing"
    queries = [s for s in fetch.steps if s.step == "dns.query"]
    assert [s.frame for s in queries][:3] == [16, 18, 20]
    assert queries[1].template == "dns.query.search"      # upload.wikimedia.org.ncsa.uiuc.edu
    assert [s.template for s in fetch.steps if s.frame == 19] == ["dns.answer.nxdomain"]
    assert all(s.template == "http.response.not_modified" for s in steps(fetch, "http.response"))
    assert fetch.summary.connection_mode == "keep-alive"


def test_ipv6_http10_fetch():
    """v6-http.pcap: 46-48 handshake, 49 GET / HTTP/1.0, 51 its 200, 52 server FIN, 55 client FIN+ACK; the
    last ACK is not in the capture."""
    tl = load(CORPUS / "http10_ipv6_fetch_fin_teardown.pcap")
    fetch = tl.fetches[0]
    assert steps(fetch, "arp.")[0].template == "arp.none.ipv6"
    assert [s.frame for s in steps(fetch, "tcp.handshake")] == [46, 47, 48]
    assert (fetch.requests[0].request_frame, fetch.requests[0].response_frame) == (49, 51)
    assert [s.frame for s in steps(fetch, "tcp.teardown")] == [52, 55, ()]
    assert steps(fetch, "tcp.teardown")[2].step == "tcp.teardown.unacked"


def test_keepalive_vlan_eleven_requests():
    """filecontainer-http.pcap: 11 requests on one keep-alive connection to :8000; FIN 91 (server), 92 ACK,
    93 FIN (client), 94 ACK."""
    tl = load(CORPUS / "http_keepalive_vlan_11_requests.pcap")
    assert sum(len(f.requests) for f in tl.fetches) == 11
    fetch = tl.fetches[-1]
    assert [s.frame for s in steps(fetch, "tcp.teardown")] == [91, 92, 93, 94]
    assert steps(fetch, "dns.none")[0].template == "dns.none.literal"
