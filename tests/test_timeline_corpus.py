"""The timeline on real captures: the project's recordings in captures/ and the shared corpus. Every expected
frame number is asked from tshark (display filters over its fields), never copied from our output; what a
recording is for comes from captures/README.md or the corpus MANIFEST.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "captures"
CORPUS = ROOT.parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")


def load(path: Path, lang: str = "en"):
    if not path.exists():
        pytest.skip(f"{path} is not there (captures/ is recorded by scripts/record_captures.py; the corpus "
                    f"lives in ../shared/corpus)")
    with open_capture(path) as reader:
        return timeline(reader, lang)


def rows(path: Path, display_filter: str, *fields: str) -> list[tuple[str, ...]]:
    """tshark's values; TCP segments reassembled out of order too (a lost segment's retransmission then
    completes the message, as in our reassembly); a file cut short still gives the frames before the cut."""
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    args = [TSHARK, "-r", str(path), "-o", "tcp.reassemble_out_of_order:TRUE", "-Y", display_filter,
            "-T", "fields", "-E", "separator=\t"]
    for f in ("frame.number", *fields):
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True, check=False, timeout=120).stdout
    return [tuple(line.split("\t")) for line in out.splitlines() if line]


def frames(path: Path, display_filter: str) -> list[int]:
    return [int(r[0]) for r in rows(path, display_filter)]


def steps(fetch, prefix: str) -> list:
    return [s for s in fetch.steps if s.kind.startswith(prefix)]


def cited(fetch, prefix: str) -> list[int]:
    return [f for s in steps(fetch, prefix) for f in s.frames]


def pages(tl) -> list:
    return [f for f in tl.fetches if f.kind == "page"]


def check_http(path: Path, fetch) -> None:
    """The fetch's requests and responses are tshark's, frame for frame."""
    assert [r.request_frame for r in fetch.requests] == frames(path, "http.request")
    assert sorted(r.response_frame for r in fetch.requests) == frames(path, "http.response")
    assert [r.uri for r in fetch.requests] == [x[1] for x in rows(path, "http.request", "http.request.uri")]


def check_handshakes(path: Path, fetch) -> None:
    assert cited(fetch, "tcp.handshake.1") == frames(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0 "
                                                           "&& !tcp.analysis.retransmission")
    assert cited(fetch, "tcp.handshake.2") == frames(path, "tcp.flags.syn == 1 && tcp.flags.ack == 1 "
                                                           "&& !tcp.analysis.retransmission")


# -- captures/ -------------------------------------------------------------------------------------------
def test_loopback_keepalive_page_and_its_nagle_stalls():
    """captures/README.md: DNS, handshake, GET / then three resources with Referer on one connection, the
    client closes; the head and the body of a response go out as two segments, the second waiting ~40 ms
    for the client's delayed ACK (Nagle)."""
    path = CAPTURES / "http_page_fetch_loopback.pcapng"
    (fetch,) = load(path).fetches
    check_http(path, fetch)
    check_handshakes(path, fetch)
    assert cited(fetch, "dns.") == frames(path, "dns")
    assert steps(fetch, "arp.")[0].kind == "arp.none.loopback"
    assert cited(fetch, "tcp.teardown")[:2] == frames(path, "tcp.flags.fin == 1")
    assert steps(fetch, "tcp.time_wait")[0].facts["side"] == "client"
    assert fetch.summary.connection_mode == "keep-alive" and fetch.summary.requests_per_connection == ((0, 4),)
    # every stall: a server segment, then the client's bare ACK of it ~40 ms later, then the next server
    # segment right after it (tshark's view of the segments of each response)
    seg = {int(r[0]): (r[1], int(r[2] or 0), int(r[3]), int(r[4])) for r in
           rows(path, "tcp", "tcp.srcport", "tcp.len", "tcp.seq", "tcp.ack")}
    time = {int(r[0]): float(r[1]) for r in rows(path, "tcp", "frame.time_relative")}
    stalls = steps(fetch, "tcp.stall.nagle")
    assert len(stalls) == 3
    for st in stalls:
        first, ack, second = st.frames
        assert seg[first][0] == seg[second][0] == "8080" and seg[ack][0] != "8080" and seg[ack][1] == 0
        assert seg[ack][3] == seg[second][2] == seg[first][2] + seg[first][1]     # it ACKs the first
        assert 0.035 < time[ack] - time[first] < 0.05 and time[second] - time[ack] < 0.001
    http_time = {int(r[0]): float(r[1]) for r in rows(path, "http.response", "http.time")}
    assert [s.frames[2] for s in stalls] == [f for f, t in http_time.items() if t > 0.035]


def test_lab_page_fetch():
    path = CAPTURES / "lab_page_fetch.pcapng"
    (fetch,) = load(path).fetches
    check_http(path, fetch)
    check_handshakes(path, fetch)
    assert [s.frames for s in steps(fetch, "arp.")] == [(f,) for f in frames(path, "arp")]
    assert steps(fetch, "arp.request")[0].kind == "arp.request.gateway"
    assert cited(fetch, "dns.") == frames(path, "dns")
    assert cited(fetch, "tcp.teardown") == frames(path, "tcp.flags.fin == 1") + frames(
        path, "tcp.flags.fin == 0 && tcp.flags.ack == 1 && tcp.len == 0 && tcp.srcport != 80")[-1:]
    assert fetch.summary.http_bytes_received <= fetch.summary.bytes_received


def test_lab_lossy_fetch_every_loss_explained():
    """lab --loss 20: the first SYN got no answer (retransmitted), the server sent its SYN-ACK twice, two
    responses came only after ~200 ms (their first copy lost before the capture point: tshark cannot see
    it), and a data segment was lost (previous segment not captured, then retransmitted)."""
    path = CAPTURES / "lab_lossy_fetch_retransmissions.pcapng"
    (fetch,) = load(path).fetches
    check_http(path, fetch)
    syn_retx = frames(path, "tcp.analysis.retransmission && tcp.flags.syn == 1 && tcp.flags.ack == 0")
    assert cited(fetch, "tcp.syn.retransmission") == syn_retx
    synack_retx = frames(path, "tcp.analysis.retransmission && tcp.flags.syn == 1 && tcp.flags.ack == 1")
    assert [s.frames[0] for s in steps(fetch, "tcp.synack.retransmission")] == synack_retx
    retried = steps(fetch, "tcp.handshake.3.retried")[0]
    (_syn_time,) = [float(r[1]) for r in rows(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0 && "
                                              "!tcp.analysis.retransmission", "frame.time_relative")]
    (irtt,) = {float(r[1]) for r in rows(path, "tcp.analysis.initial_rtt", "tcp.analysis.initial_rtt")}
    assert retried.facts["irtt_ms"] == pytest.approx(irtt * 1000, abs=0.001)
    assert retried.facts["connect_ms"] == pytest.approx(retried.facts["waits_ms"] + retried.facts["irtt_ms"])
    lost = frames(path, "tcp.analysis.lost_segment")
    loss = steps(fetch, "tcp.loss")
    assert [s.frames[0] for s in loss] == [f for f in lost]
    refill = frames(path, "tcp.analysis.retransmission && tcp.len > 0")
    assert [s.facts["fill_frame"] for s in loss] == refill
    slow = [int(r[0]) for r in rows(path, "http.response", "http.time") if float(r[1]) > 0.15]
    assert [s.frames[0] for s in steps(fetch, "http.wait.lost")] == slow
    assert sum(1 for s in fetch.steps if s.problem) >= len(syn_retx) + len(synack_retx) + len(lost) + len(slow)


def test_lab_ipv6_neighbor_discovery():
    """lab -6: the Neighbor Solicitation/Advertisement for the gateway are frames 1-2 (not ARP, and
    certainly not "none captured"), then DNS over IPv6 and the page."""
    path = CAPTURES / "lab_ipv6_page_fetch.pcapng"
    (fetch,) = load(path).fetches
    check_http(path, fetch)
    assert cited(fetch, "nd.request") == frames(path, "icmpv6.type == 135")
    assert cited(fetch, "nd.reply") == frames(path, "icmpv6.type == 136")
    assert not steps(fetch, "arp.") and not steps(fetch, "nd.none")
    assert cited(fetch, "dns.") == frames(path, "dns")


def test_lab_refused_connection():
    path = CAPTURES / "lab_refused_connection_rst.pcapng"
    tl = load(path)
    (fetch,) = [f for f in tl.fetches if f.connections]
    assert fetch.kind == "connection" and fetch.connections[0].outcome == "refused"
    assert cited(fetch, "tcp.handshake.1") == frames(path, "tcp.flags.syn == 1")
    assert cited(fetch, "tcp.refused") == frames(path, "tcp.flags.reset == 1")
    assert cited(fetch, "dns.") == frames(path, "dns") and cited(fetch, "arp.") == frames(path, "arp")


def test_lab_dns_mix():
    """A, AAAA, a CNAME chain, MX, NXDOMAIN and a TXT answer truncated (TC) then asked again over TCP: one
    lookup fetch; the TCP connection belongs to the lookup."""
    path = CAPTURES / "lab_dns_mix.pcapng"
    tl = load(path)
    (fetch,) = tl.fetches
    assert fetch.kind == "lookup" and [c.server_port for c in fetch.connections] == [53]
    assert [lk.query_frame for lk in fetch.lookups] == frames(path, "dns.flags.response == 0")
    assert cited(fetch, "dns.answer.nxdomain") == frames(path, "dns.flags.rcode == 3")
    assert cited(fetch, "dns.answer.truncated") == frames(path, "dns.flags.truncated == 1")
    assert cited(fetch, "dns.tcp.connect") == frames(path, "tcp.flags.syn == 1 || (tcp.seq == 1 && tcp.ack == 1 "
                                                           "&& tcp.len == 0 && tcp.srcport != 53)")
    assert cited(fetch, "dns.query.tcp") == frames(path, "dns.flags.response == 0 && tcp")


def test_lab_http10_short_connections():
    path = CAPTURES / "lab_http10_short_connections.pcap"
    (fetch,) = load(path).fetches
    check_http(path, fetch)
    check_handshakes(path, fetch)
    assert fetch.summary.connection_mode == "one connection per request" and fetch.summary.connections == 4
    firsts = steps(fetch, "tcp.teardown3.1") + steps(fetch, "tcp.teardown4.1")
    assert sorted(s.frames[0] for s in firsts) == frames(path, "tcp.flags.fin == 1 && tcp.srcport == 80")
    assert {s.facts["closer"] for s in firsts} == {"server"}


def test_loopback_http10_short_connections():
    path = CAPTURES / "http10_short_connections_loopback.pcap"
    (fetch,) = load(path).fetches
    check_http(path, fetch)
    assert fetch.summary.connections == len(frames(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0"))


def test_demo_time_wait_three_fetches():
    """demo --reuse-addr: three separate one-request connections; the server closes each first and keeps
    TIME_WAIT."""
    path = CAPTURES / "demo_timewait_reuseaddr_loopback.pcapng"
    tl = load(path)
    assert [r.request_frame for f in tl.fetches for r in f.requests] == frames(path, "http.request")
    firsts = [s for f in tl.fetches for s in f.steps if s.kind in ("tcp.teardown3.1", "tcp.teardown4.1")]
    assert [s.frames[0] for s in firsts] == frames(path, "tcp.flags.fin == 1 && tcp.srcport != tcp.dstport "
                                                         "&& tcp.srcport < 50000 && tcp.srcport != 53")[:3] or \
        all(s.facts["closer"] == "server" for s in firsts)
    assert [s.facts["side"] for f in tl.fetches for s in steps(f, "tcp.time_wait")] == ["server"] * 3


# -- the shared corpus -----------------------------------------------------------------------------------------
def test_classic_fetch_with_ad_on_second_connection():
    """http.cap: the page and an ad found by Referer, the ad's connection open before the capture."""
    path = CORPUS / "http_fetch_dns_handshake_teardown_classic.pcap"
    (fetch,) = pages(load(path))
    check_http(path, fetch)
    assert fetch.url == "http://www.ethereal.com/download.html"
    assert cited(fetch, "tcp.handshake.1") == frames(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0")
    assert [s.kind for s in fetch.steps if s.kind.startswith("tcp.handshake")][-1] == "tcp.handshake.missing"
    assert cited(fetch, "dns.") == frames(path, "dns")
    answer = steps(fetch, "dns.answer")[0]
    cnames = rows(path, "dns.flags.response == 1", "dns.cname")[0][1].split(",")
    assert answer.facts["cnames"] == cnames
    assert steps(fetch, "dns.none")[0].facts["host"] == "www.ethereal.com"
    fins = frames(path, "tcp.flags.fin == 1")
    acks = [f for f in frames(path, "tcp.stream == 0 && tcp.len == 0 && tcp.flags.fin == 0") if f > fins[0]]
    assert cited(fetch, "tcp.teardown") == sorted(fins + acks)
    assert steps(fetch, "tcp.time_wait")[0].facts["side"] == "server"


@pytest.mark.parametrize("name", ["http_fetch_dns_handshake_teardown_classic.pcap",
                                  "tcp_dupframes_retrans_keepalive_post_chunked.pcap"])
def test_a_nagle_stall_needs_the_ack_before_the_held_segment(name):
    """A stall is told only when the receiver's ACK of the first segment was seen *before* the second one
    left: in http.cap the ad's 1,430-byte segment (frame 26) is followed 40 ms later by 160 bytes (frame 27),
    and the client's only ACK (frame 28, same instant, after it) acknowledges both; nothing waited for it."""
    path = CORPUS / name
    tl = load(path)
    seg = {int(r[0]): (r[1], int(r[2]), int(r[3] or 0), int(r[4])) for r in
           rows(path, "tcp", "tcp.stream", "tcp.seq", "tcp.len", "tcp.ack")}
    stalls = [s for f in tl.fetches for s in steps(f, "tcp.stall.nagle")]
    for st in stalls:
        first, ack, second = st.frames
        assert seg[first][0] == seg[ack][0] == seg[second][0] and seg[ack][2] == 0
        assert ack < second
        assert seg[first][1] + seg[first][2] <= seg[ack][3] < seg[second][1] + seg[second][2]
    if name.startswith("http_fetch"):
        served = frames(path, "tcp.stream == 1 && tcp.srcport == 80 && tcp.len > 0")
        acks = frames(path, "tcp.stream == 1 && tcp.dstport == 80 && tcp.len == 0")
        ack = next(f for f in acks if f > served[0])
        assert ack > served[1] and seg[ack][3] == seg[served[1]][1] + seg[served[1]][2]   # it covers both
        assert stalls == []
    else:
        assert len(stalls) == 4


def test_karn_round_trip_after_a_retransmitted_syn():
    """After a retransmitted SYN the iRTT (tshark's tcp.analysis.initial_rtt, 3.97 s here) spans a
    retransmission and is no round trip (Karn's rule); the data's round trip is each half's least
    tcp.analysis.ack_rtt (SYN-ACKs aside), and the 12 s wait for the response is then told as server think
    time against that round trip, not hidden because the iRTT was large."""
    path = CORPUS / "tcp_out_of_order_sack_gaps_rst_http.pcap"
    (fetch,) = pages(load(path))
    assert len(frames(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0")) == 2
    (irtt,) = {float(r[1]) for r in rows(path, "tcp.analysis.initial_rtt", "tcp.analysis.initial_rtt")}

    def least(src: str) -> tuple[float, int, int]:
        got = rows(path, f"tcp.analysis.ack_rtt && tcp.flags.syn == 0 && tcp.srcport == {src}",
                   "tcp.analysis.ack_rtt", "tcp.analysis.acks_frame")
        return min((float(r[1]), int(r[2]), int(r[0])) for r in got)

    c_rtt, c_data, c_ack = least("80")           # the server's ACKs time the client's data
    s_rtt, s_data, s_ack = least("49309")
    (karn,) = steps(fetch, "tcp.handshake.karn")
    f = karn.facts
    assert karn.frames == (c_data, c_ack, s_data, s_ack)
    assert f["c_ms"] == pytest.approx(c_rtt * 1000, abs=1e-3) and f["s_ms"] == pytest.approx(s_rtt * 1000, abs=1e-3)
    assert f["irtt_ms"] == pytest.approx(irtt * 1000, abs=1e-3)
    assert f["rtt_ms"] == pytest.approx((c_rtt + s_rtt) * 1000, abs=1e-3) and f["rtt_ms"] * 2 < f["irtt_ms"]
    # the response's first byte: the server's first data (tshark finds no http.response across the holes)
    (req,) = rows(path, "http.request", "frame.time_relative")
    first = rows(path, "tcp.srcport == 80 && tcp.len > 0", "frame.time_relative")[0]
    ttfb_ms = (float(first[1]) - float(req[1])) * 1000
    (wait,) = steps(fetch, "http.wait.server")
    assert wait.frames == (int(first[0]),) and wait.facts["on_data"] and wait.facts["ttfb_ms"] > 10_000
    assert wait.facts["think_ms"] == pytest.approx(ttfb_ms - f["rtt_ms"], abs=1e-3)
    (synack,) = frames(path, "tcp.flags.syn == 1 && tcp.flags.ack == 1")
    (late,) = [d for d in fetch.breakdown if d.what == "late_synack"]
    assert late.frames == (synack,) and late.ms == pytest.approx((irtt - c_rtt - s_rtt) * 1000, abs=1e-3)


def test_fin_then_reset_corpus():
    """qi_internet_SYNACK_curl_jsonip: the client's FIN is resent (a retransmission step, the FIN called a FIN,
    no duplicate ACK before it); the server's "retransmission" (frame 9) brings other bytes than frame 5 for the
    same place in its stream (frame 5 was injected: see test_two_versions_of_the_same_bytes); the client resets
    after its FIN and answers the rest with RST; no "last FIN not acknowledged" (a reset ended it), and no step
    is shown at 0 ms after the steps before it."""
    path = CORPUS / "tcp_http_fin_then_rst.pcap"
    (fetch,) = pages(load(path))
    resent = rows(path, "tcp.analysis.retransmission", "tcp.srcport", "tcp.flags.fin", "tcp.len")
    assert len(resent) == 2
    told = steps(fetch, "tcp.retransmission")
    conflict = steps(fetch, "tcp.conflict")
    assert sorted([s.frames[0] for s in told] + [s.facts["frame"] for s in conflict]) == [int(r[0]) for r in resent]
    for st in told:
        _f, sport, fin, length = next(r for r in resent if int(r[0]) == st.frames[0])
        assert st.facts["sender"] == ("server" if sport == "80" else "client")
        assert st.facts["fin"] == (fin in ("1", "True") and length == "0")
        dups = [f for f in frames(path, "tcp.analysis.duplicate_ack") if f < st.frames[0]]
        assert st.facts["dup_acks"] == len(dups) == 0
    rsts = frames(path, "tcp.flags.reset == 1")
    assert cited(fetch, "tcp.reset.after_fin") == rsts[:1] and cited(fetch, "tcp.reset.again") == rsts[1:]
    assert not steps(fetch, "tcp.teardown.unacked")
    times = [s.time for s in fetch.steps]
    assert times == sorted(times)


def test_two_versions_of_the_same_bytes():
    """qi_internet_SYNACK_curl_jsonip is a "quantum insert": frame 5 (TTL 56) answers the GET with a fake
    response, frame 9 (TTL 54, like the server's other packets) brings the real one for the same sequence
    numbers. tshark calls frame 9 a retransmission; its payload differs from frame 5's from some byte on. The
    timeline says so, with the first byte that differs and the TTL that gives frame 5 away, and does not say
    frame 9 resends frame 5's bytes."""
    path = CORPUS / "tcp_http_fin_then_rst.pcap"
    (fetch,) = pages(load(path))
    server = rows(path, "tcp.srcport == 80", "tcp.seq", "tcp.len", "tcp.payload", "ip.ttl")
    data = [(int(f), int(q), bytes.fromhex(p)) for f, q, n, p, _t in server if int(n) > 0]
    (first, q0, p0), (later, _q1, p1) = [d for d in data if d[1] == 1][:2]
    at = next(i for i in range(min(len(p0), len(p1))) if p0[i] != p1[i])
    ttl = {int(f): int(t) for f, _q, _n, _p, t in server}
    usual = max(set(ttl.values()), key=list(ttl.values()).count)
    (st,) = steps(fetch, "tcp.conflict")
    assert (st.facts["earlier"], st.facts["frame"], st.facts["rel_seq"]) == (first, later, q0 + at)
    assert st.frames == (first, later) and st.problem and st.facts["sender"] == "server"
    assert st.facts["ttl_usual"] == usual and ttl[first] != usual == ttl[later] and st.facts["odd"] == first
    assert f"TTL {ttl[first]}" in st.text and f"TTL {usual}" in st.text
    assert not [s for s in steps(fetch, "tcp.retransmission") if later in s.frames]
    assert "partly again" not in " ".join(s.text for s in fetch.steps)


def test_a_response_to_no_request_and_data_after_a_fin():
    """http-11-request-then-cruft: after GET / and its 301, the client sends 10 bytes that are no request; the
    server answers 400 Bad Request (tshark's second http.response) and closes; the client goes on sending
    after the server's FIN. The 400 is told, with the stray bytes (not cited by the GET), the summary counts
    every byte the server sent, and the data after the FIN has its step."""
    path = CORPUS / "tcp_halfclose_server_fin_client_keeps_sending.pcap"
    (fetch,) = pages(load(path))
    ok, bad = frames(path, "http.response")
    (get,) = frames(path, "http.request")
    client = rows(path, "tcp.len > 0 && tcp.dstport == 80", "tcp.len")
    (req,) = steps(fetch, "http.request")          # the request's segments: the client's data up to tshark's frame
    assert req.frames == tuple(int(r[0]) for r in client if int(r[0]) <= get)
    assert req.facts["size"] == sum(int(r[1]) for r in client if int(r[0]) <= get)
    (unreq,) = steps(fetch, "http.response.unrequested")
    stray = [r for r in client if ok < int(r[0]) < bad]
    assert unreq.facts["stray_frames"] == [int(r[0]) for r in stray] and unreq.facts["status"] == 400
    assert unreq.facts["stray"] == sum(int(r[1]) for r in stray) and bad in unreq.frames
    server = sum(int(r[1]) for r in rows(path, "tcp.len > 0 && tcp.srcport == 80", "tcp.len"))
    assert fetch.summary.bytes_received == fetch.summary.http_bytes_received == server
    (fin,) = frames(path, "tcp.flags.fin == 1 && tcp.srcport == 80")
    (cfin,) = frames(path, "tcp.flags.fin == 1 && tcp.dstport == 80")
    (late,) = steps(fetch, "tcp.teardown.half_data")
    assert late.facts["data_frames"] == [int(r[0]) for r in client if fin < int(r[0]) < cfin]


def test_empty_noerror_answers_say_no_record_of_that_type():
    """dns-wiresharkrepo: every NOERROR answer with an empty answer section (tshark: rcode 0, no answers) is
    told as "no <type> record", never as "0 records ...: -"; answers with records keep their count."""
    path = CORPUS / "dns_udp_mixed_rrtypes_wireshark_sample.pcap"
    tl = load(path)
    told = {s.frames[0]: s for f in tl.fetches for s in f.steps if s.kind.startswith("dns.answer")}
    answers = rows(path, "dns.flags.response == 1", "dns.flags.rcode", "dns.count.answers")
    empty = [int(r[0]) for r in answers if r[1] == "0" and r[2] == "0"]
    assert empty and all(f in told for f in empty)
    for f in empty:
        assert told[f].kind in ("dns.answer.empty", "dns.answer.nodata") and "0 records" not in told[f].text
    for f, rcode, n in answers:
        if rcode == "0" and n != "0" and int(f) in told and told[int(f)].kind == "dns.answer.records":
            assert told[int(f)].facts["count"] == int(n)


def test_gratuitous_arp_replies_are_announcements():
    """icmp_dot1q: frames tshark marks arp.isgratuitous (replies about the sender's own address, no request
    before them) are told as announcements, not as a unicast answer "? after the request"."""
    path = CORPUS / "arp_gratuitous_reply_in_vlan.pcap"
    tl = load(path)
    told = {f: s for fetch in tl.fetches for s in fetch.steps for f in s.frames if s.layer == "arp"}
    grat = frames(path, "arp.isgratuitous == 1 && arp.opcode == 2")
    assert grat
    for f in grat:
        assert told[f].kind == "arp.announcement.reply" and "?" not in told[f].text
    for f in frames(path, "arp.opcode == 2 && !arp.isgratuitous"):
        assert told[f].kind == "arp.reply"


@pytest.mark.parametrize("name", ["tcp_fast_retransmit_sack_headers_only.pcap", "trunc_snaplen68_tcp_smtp.pcap"])
def test_payload_cut_by_the_snaplen_is_said(name):
    """Frames cut by the snaplen (tshark: frame.cap_len < frame.len) carry TCP payload that is not in the file:
    the timeline says how many of each side's payload bytes are missing, from which frame to which, and (on
    the HTTP port) that this is why no HTTP is shown."""
    path = CORPUS / name
    tl = load(path)
    cut = rows(path, "tcp.len > 0 && frame.cap_len < frame.len", "frame.len", "frame.cap_len", "tcp.len", "tcp.srcport")
    assert cut
    (step,) = [s for f in tl.fetches for s in f.steps if s.kind == "tcp.snaplen"]
    missing = [(min(int(r[1]) - int(r[2]), int(r[3])), r[4]) for r in cut]
    client = rows(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "tcp.srcport")[0][1]
    assert step.facts["c_bytes"] == sum(n for n, port in missing if port == client)
    assert step.facts["s_bytes"] == sum(n for n, port in missing if port != client)
    assert (step.facts["first"], step.facts["last"]) == (int(cut[0][0]), int(cut[-1][0]))
    assert step.facts["no_http"] == name.startswith("tcp_fast")      # port 80 there, SMTP in the other


def test_simultaneous_close_is_one_time_wait_step():
    """get-gzip: the two FINs crossed (tshark: the server's FIN acknowledges only up to the client's FIN, not
    past it), so both sides end in TIME_WAIT through CLOSING: one step says so, citing the server's ACK of the
    client's FIN, instead of two steps each claiming its side "sent the last ACK of the close"."""
    path = CORPUS / "http_gzip_content_length_simultaneous_close.pcap"
    (fetch,) = pages(load(path))
    (cfin,) = rows(path, "tcp.flags.fin == 1 && tcp.dstport == 80 && !tcp.analysis.retransmission", "tcp.seq")
    (sfin,) = rows(path, "tcp.flags.fin == 1 && tcp.srcport == 80", "tcp.ack")
    assert int(sfin[0]) > int(cfin[0]) and sfin[1] == cfin[1]         # crossed: sent before the other's arrived
    last = frames(path, f"tcp.srcport == 80 && tcp.len == 0 && tcp.flags.fin == 0 && tcp.ack == {int(cfin[1]) + 1}")
    assert not steps(fetch, "tcp.time_wait")
    (both,) = steps(fetch, "tcp.teardown.simultaneous")
    assert both.kind == "tcp.teardown.simultaneous.time_wait" and both.frames == (last[0],)


def test_a_lone_syn_ack_is_not_called_an_open_connection():
    """wikipedia.pcap: one TCP stream is a single SYN-ACK (tshark). Its fetch does not say the connection "is still
    open at the end of the capture": the handshake does not complete in the file."""
    path = CORPUS / "http_fetch_wikipedia_dns_multiconn.pcap"
    tl = load(path)
    per: dict[str, list[tuple[int, str]]] = {}
    for f, stream, flags in rows(path, "tcp", "tcp.stream", "tcp.flags"):
        per.setdefault(stream, []).append((int(f), flags))
    lone = [seg[0][0] for seg in per.values() if len(seg) == 1 and int(seg[0][1], 16) & 0x12 == 0x12]
    assert lone
    for frame in lone:
        (fetch,) = [f for f in tl.fetches if any(frame in s.frames for s in f.steps)]
        (half,) = steps(fetch, "tcp.open.half")
        assert half.facts["last"] == frame and not [s for s in fetch.steps if s.kind in ("tcp.open", "tcp.open.plain")]


def test_the_same_packet_seen_twice_is_not_a_retransmission():
    """http-post-upload: every packet is captured twice, before and after a router (tshark: the same IP ID and
    TCP seq/len, the TTL one lower, microseconds apart), which tshark flags as retransmissions. No step says a
    timer fired or a SYN was retried for them: each is told as the same packet seen twice."""
    path = CORPUS / "http_post_multipart_duplicated_frames.pcap"
    tl = load(path)
    got = rows(path, "tcp", "ip.id", "ip.ttl", "tcp.stream", "tcp.seq", "tcp.len", "tcp.flags", "frame.time_relative")
    seen: dict[tuple, tuple[int, int, float]] = {}
    copies: dict[int, int] = {}         # copy frame -> its first copy's frame
    length_of: dict[int, int] = {}
    for f, ipid, ttl, stream, seq, length, flags, t in got:
        key = (ipid, stream, seq, length, flags)
        length_of[int(f)] = int(length)
        if key in seen and int(ttl) == seen[key][1] - 1 and float(t) - seen[key][2] < 0.01:
            copies[int(f)] = seen[key][0]
        else:
            seen[key] = (int(f), int(ttl), float(t))
    flagged = set(frames(path, "tcp.analysis.retransmission"))
    assert copies and flagged and flagged <= set(copies)
    told = {}
    for fetch in tl.fetches:
        for st in fetch.steps:
            for f in st.frames:
                told.setdefault(f, []).append(st)
    for f in flagged:
        kinds = {st.kind for st in told.get(f, [])}
        assert kinds and all("seen_twice" in k for k in kinds if k.startswith("tcp.")), (f, kinds)
        assert not any("timer" in st.text and "fired" in st.text or "expired" in st.text for st in told[f]), f
    assert not [st for fetch in tl.fetches for st in fetch.steps if st.kind == "tcp.handshake.3.retried"]
    # every copy after the handshake is told with the frame it repeats (the SYN's and SYN-ACK's by their steps)
    said = {}
    for fetch in tl.fetches:
        for st in fetch.steps:
            if st.kind.startswith("tcp.seen_twice"):
                said.update(zip(st.facts["copies"], st.facts["firsts"]))
            elif st.kind in ("tcp.syn.seen_twice", "tcp.synack.seen_twice"):
                said[st.frames[0]] = st.facts["first"]
    assert said == copies
    # the IP headers are the evidence: the same ID, the TTL one lower
    ev = [st.facts for fetch in tl.fetches for st in fetch.steps if st.facts.get("evidence")]
    assert ev and {e["evidence"] for e in ev} == {"hop"} and all(e["ttl_a"] - e["ttl_b"] == 1 for e in ev)
    # nothing was sent twice: no retransmitted bytes, no time spent waiting for a SYN timer, no SYN counted twice
    assert [fetch.summary.retransmitted_bytes for fetch in tl.fetches] == [0] * len(tl.fetches)
    assert sum(fetch.summary.copied_bytes for fetch in tl.fetches) == sum(length_of[f] for f in copies)
    assert not [d for fetch in tl.fetches for d in fetch.breakdown if d.what == "syn_retry"]
    assert [c.syn_frames for c in tl.fetches[0].connections] == [(1,)]
    assert sum(c.retransmissions for fetch in tl.fetches for c in fetch.connections) == 0


def test_wikipedia_page_load():
    """wikipedia.pcap: a browser's page load: every HTTP request in one fetch (the page, then resources found
    by Referer on 9 connections), the lookups of upload.wikimedia.org (AAAA, search-domain AAAA, A) before
    its connections; mDNS/LLMNR are not lookups of the page; the connection whose SYN-ACK alone is in the
    capture is a fetch of its own."""
    path = CORPUS / "http_fetch_wikipedia_dns_multiconn.pcap"
    tl = load(path)
    (page,) = pages(tl)
    check_http(path, page)
    assert page.summary.connections == len({r[1] for r in rows(path, "http.request", "tcp.stream")})
    assert [lk.query_frame for lk in page.lookups] == frames(path, "dns && dns.flags.response == 0 && !mdns "
                                                                   "&& !llmnr")
    nx = steps(page, "dns.answer.nxdomain")
    assert [s.frames[0] for s in nx] == frames(path, "dns.flags.rcode == 3 && !mdns && !llmnr")
    assert all(not s.problem for s in nx)           # a search-domain name that does not exist: expected
    others = [f for f in tl.fetches if f.kind == "connection"]
    synack_only = frames(path, "tcp.flags.syn == 1 && tcp.flags.ack == 1 && ip.src == 173.192.163.128")
    assert [c.synack_frames for f in others for c in f.connections] == [tuple(synack_only)]


def test_ipv6_http10_fetch():
    path = CORPUS / "http10_ipv6_fetch_fin_teardown.pcap"
    (fetch,) = pages(load(path))
    check_http(path, fetch)
    assert steps(fetch, "nd.")[0].kind.startswith("nd.")
    fins = frames(path, "tcp.flags.fin == 1")
    assert [s.frames[0] for s in steps(fetch, "tcp.teardown") if s.frames] == fins
    assert steps(fetch, "tcp.teardown")[-1].kind == "tcp.teardown.unacked"


def test_keepalive_vlan_eleven_requests():
    path = CORPUS / "http_keepalive_vlan_11_requests.pcap"
    tl = load(path)
    assert [r.request_frame for f in pages(tl) for r in f.requests] == frames(path, "http.request")
    last = pages(tl)[-1]
    assert [s.frames[0] for s in steps(last, "tcp.teardown")] == sorted(
        frames(path, "tcp.flags.fin == 1") + frames(path, "tcp.flags.fin == 0 && frame.number > 91 && tcp.len == 0"))


def test_refused_and_retransmission_corpus():
    refused = CORPUS / "tcp_syn_refused_rst.pcap"
    (fetch,) = load(refused).fetches
    assert cited(fetch, "tcp.refused") == frames(refused, "tcp.flags.reset == 1")
    rto = CORPUS / "tcp_retransmission_rto_backoff.pcapng"
    (fetch,) = load(rto).fetches
    assert cited(fetch, "tcp.retransmission") == frames(rto, "tcp.analysis.retransmission") or sorted(
        cited(fetch, "tcp.retransmission")) == sorted(frames(rto, "tcp.analysis.flags"))


def test_fast_retransmit_corpus():
    path = CORPUS / "tcp_fast_retransmit_sack_headers_only.pcap"
    (fetch,) = load(path).fetches
    flagged = frames(path, "tcp.analysis.duplicate_ack || tcp.analysis.retransmission")
    assert sorted(cited(fetch, "tcp.retransmission")) == flagged


def test_zero_window_corpus():
    # one stall, one step: the zero windows and the sender's probes during it (keep-alive form or one-byte probes)
    for name in ("tcp_zero_window_persist_probes.pcapng", "tcp_zero_window_then_update.pcapng"):
        path = CORPUS / name
        (fetch,) = load(path).fetches
        assert sorted(cited(fetch, "tcp.zero_window")) == frames(path, "tcp.analysis.zero_window || "
                                                                       "tcp.analysis.zero_window_probe || "
                                                                       "tcp.analysis.keep_alive"), name


def test_tc_bit_then_tcp_retry_corpus():
    path = CORPUS / "dns_udp_tc_bit_then_tcp_retry.pcapng"
    (fetch,) = load(path).fetches
    assert cited(fetch, "dns.answer.truncated") == frames(path, "dns.flags.truncated == 1")
    assert cited(fetch, "dns.query.tcp") == frames(path, "dns.flags.response == 0 && tcp")


def test_same_page_over_ipv4_then_ipv6():
    path = CORPUS / "http_same_page_ipv4_then_ipv6.pcapng"
    tl = load(path)
    assert [r.request_frame for f in tl.fetches for r in f.requests] == frames(path, "http.request")
    assert [f.url for f in tl.fetches] == ["http://172.16.16.139/", "http://[2001:db8:1:2::1000]/"]


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.pcap*")) if CORPUS.exists() else [])
def test_every_corpus_file_gives_a_timeline_whose_bytes_add_up(name):
    """No traceback; every TCP connection tshark sees is in some fetch; HTTP bytes <= TCP payload bytes."""
    path = CORPUS / name
    tl = load(path)
    ours = {(c.stream, c.client_port) for f in tl.fetches for c in f.connections}
    for f in tl.fetches:
        assert f.summary.http_bytes_sent <= f.summary.bytes_sent, (f.index, f.summary)
        assert f.summary.http_bytes_received <= f.summary.bytes_received, (f.index, f.summary)
    streams = {int(r[1]) for r in rows(path, "tcp && !dns", "tcp.stream")}
    assert {s for s, _p in ours} >= streams or not streams
