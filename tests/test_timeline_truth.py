"""The timeline's sentences checked against tshark on the project's recordings (the audit of issue 10: what a
step, a summary line or a "where the time went" line says must hold for the frames it cites). Every expected
value is asked from tshark at test time or comes from how the capture was recorded (captures/README.md),
never from our own output.
"""

from __future__ import annotations

import subprocess

import pytest

from analyzer.apps.tls import parse_keylog
from analyzer.capture import open_capture
from analyzer.report.har import har
from analyzer.report.timeline_text import summary_rows
from analyzer.timeline import timeline
from analyzer.timeline.texts import duration
from tests.test_timeline_corpus import CAPTURES, CORPUS, ROOT, TSHARK, frames, load, rows, steps

TWO_CURLS = CAPTURES / "lab_two_curl_runs.pcapng"
WGET = CAPTURES / "lab_wget_page_robots.pcapng"


@pytest.mark.parametrize("path", [TWO_CURLS, WGET], ids=lambda p: p.stem)
def test_arp_of_a_dual_stack_client_is_for_its_ipv4_resolver_not_the_ipv6_server(path):
    """README: the client asks for A and AAAA over IPv4 and connects over IPv6. Its ARP (IPv4) finds the
    gateway on the way to the resolver; the IPv6 server is reached through the router Neighbor Discovery
    found: the ARP step must not say every frame to the server goes to the ARP-resolved MAC."""
    fetch = load(path).fetches[0]
    (arp_req,) = frames(path, "arp.opcode == 1 && arp.src.proto_ipv4 == 192.0.2.10")[:1]
    resolver = rows(path, "dns.flags.response == 0", "ip.dst")[0][1]
    server = rows(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "ipv6.dst")[0][1]
    assert ":" in server and ":" not in resolver
    (arp,) = [s for s in steps(fetch, "arp.request") if s.frames == (arp_req,)]
    assert arp.kind == "arp.request.gateway_dns" and arp.facts["resolver"] == resolver
    assert server not in arp.text and resolver in arp.text
    # the ND request is the one about the server's next hop
    ns = frames(path, "icmpv6.type == 135 && ipv6.src == 2001:db8:1::10")[0]
    (nd,) = [s for s in steps(fetch, "nd.request") if s.frames == (ns,)]
    assert nd.kind == "nd.request.gateway" and server in nd.text


def test_client_time_before_a_neighbor_solicitation_names_it_so():
    """lab_two_curl_runs fetch 1: after the AAAA answer the client's next frame is an ICMPv6 Neighbor
    Solicitation (tshark: icmpv6.type 135), not an ARP request."""
    fetch = load(TWO_CURLS).fetches[0]
    ns = frames(TWO_CURLS, "icmpv6.type == 135 && ipv6.src == 2001:db8:1::10")[0]
    gap = [d for d in fetch.breakdown if ns in d.frames]
    assert gap and all("Neighbor Solicitation" in d.text and "ARP" not in d.text for d in gap)


def _dns_times(path) -> dict[int, float]:
    return {int(r[0]): float(r[1]) * 1000 for r in rows(path, "dns", "frame.time_relative")}


def test_dns_time_tells_the_client_gap_between_sequential_queries():
    """wget -p (README): A then AAAA over IPv4, one after the other. The resolver answered each quickly; most
    of the DNS time is the client between the A answer and the AAAA query (tshark's times), and the line
    says so with those frames instead of "resolving the name" for all of it."""
    (fetch,) = load(WGET).fetches
    q = [int(r[0]) for r in rows(WGET, "dns.flags.response == 0")]
    a = [int(r[0]) for r in rows(WGET, "dns.flags.response == 1")]
    t = _dns_times(WGET)
    assert len(q) == len(a) == 2 and q[0] < a[0] < q[1] < a[1]
    gap, net = t[q[1]] - t[a[0]], (t[a[0]] - t[q[0]]) + (t[a[1]] - t[q[1]])
    assert gap > 4 * net            # the recording's point: the client, not the resolver
    (dns,) = [d for d in fetch.breakdown if d.what == "dns"]
    assert dns.ms == pytest.approx(t[a[1]] - t[q[0]], abs=0.002)
    assert dns.frames == (q[0], a[0], q[1])
    assert duration(gap) in dns.text and duration(net) in dns.text
    assert f"frame {a[0]}" in dns.text and f"frame {q[1]}" in dns.text


def test_dns_line_says_the_retry_wait_is_part_of_it():
    """lab_dns_failover_next_resolver: the first resolver never answers, the same query goes to the next one
    after ~2 s. The DNS line and the wait line overlap: the DNS line says the wait is part of it (the lines
    must not read as two 2 s parts of a 2 s fetch)."""
    path = CAPTURES / "lab_dns_failover_next_resolver.pcapng"
    fetch = load(path).fetches[0]
    q = [int(r[0]) for r in rows(path, "dns.flags.response == 0")]
    t = _dns_times(path)
    (dns,) = [d for d in fetch.breakdown if d.what == "dns"]
    (wait,) = [d for d in fetch.breakdown if d.what == "dns_retry"]
    assert wait.ms == pytest.approx(t[q[1]] - t[q[0]], abs=0.002)
    assert dns.ms + wait.ms > fetch.summary.total_ms          # they overlap ...
    assert f"The {duration(wait.ms)} wait below is part of it." in dns.text      # ... and the text says so


HTTPS = CAPTURES / "lab_https_page_fetch.pcapng"


def test_https_response_starts_with_the_first_segment_of_its_tls_record():
    """lab_https_page_fetch: the logo's response is one TLS record that tshark reassembles from frames 24, 25
    and 27 (tcp.segment). Its first byte came with the first of them: the response step cites them all,
    its time to first byte runs from the request to that frame (tshark's http.time runs to the last one)."""
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run([TSHARK, "-r", str(HTTPS), "-o", f"tls.keylog_file:{HTTPS.with_suffix('.keys')}",
                          "-Y", "http.response", "-T", "fields", "-E", "separator=\t", "-e", "frame.number",
                          "-e", "tcp.segment", "-e", "http.request_in"], capture_output=True, text=True,
                         check=True).stdout
    t = {int(r[0]): float(r[1]) * 1000 for r in rows(HTTPS, "frame", "frame.time_relative")}
    if not HTTPS.exists():
        pytest.skip(f"{HTTPS} is not there (captures/ is recorded by scripts/record_captures.py)")
    with open_capture(HTTPS) as reader:
        fetch = timeline(reader, "en", keylog=parse_keylog(HTTPS.with_suffix(".keys").read_bytes())).fetches[0]
    spanned = 0
    for line in out.splitlines():
        frame, segs, req = line.split("\t")
        carried = [int(x) for x in segs.split(",")] if segs else [int(frame)]
        spanned += len(carried) > 1
        (st,) = [s for s in steps(fetch, "http.response") if int(frame) in s.frames]
        assert st.frames == tuple(carried)
        assert st.facts["ttfb_ms"] == pytest.approx(t[carried[0]] - t[int(req)], abs=0.002)
        (timing,) = [r for r in fetch.requests if r.request_frame == int(req)]
        assert timing.wait == pytest.approx(t[carried[0]] - t[int(req)], abs=0.002)
    assert spanned          # the recording holds a record over several segments


def test_a_truncated_answer_without_records_is_not_said_to_hold_part_of_them():
    """lab_dns_mix: the TXT answer too big for UDP comes back with TC and, as tshark counts, no answer record
    (dns.count.answers 0): the step must not say the resolver "sent only part of it"."""
    path = CAPTURES / "lab_dns_mix.pcapng"
    tl = load(path)
    ((tc, count),) = [(int(r[0]), int(r[1])) for r in rows(path, "dns.flags.truncated == 1", "dns.count.answers")]
    (st,) = [s for f in tl.fetches for s in f.steps if s.kind.startswith("dns.answer.truncated")]
    assert st.frames == (tc,)
    assert count == 0 and st.kind == "dns.answer.truncated.empty" and "part of it" not in st.text


def test_unanswered_syns_are_where_the_time_went():
    """lab_silent_host_syn_timeout (README: SYNs 1 s apart that nothing answers): the SYNs' span (tshark's
    times of the first and the last SYN) is where the fetch's time went, said with their frames."""
    path = CAPTURES / "lab_silent_host_syn_timeout.pcapng"
    (fetch,) = [f for f in load(path).fetches if f.connections]
    syns = {int(r[0]): float(r[1]) * 1000 for r in rows(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0",
                                                       "frame.time_relative")}
    assert len(syns) > 1 and not frames(path, "tcp.flags.syn == 1 && tcp.flags.ack == 1")
    (d,) = [d for d in fetch.breakdown if d.what == "syn_unanswered"]
    first, last = min(syns), max(syns)
    assert d.frames == tuple(sorted(syns))
    assert d.ms == pytest.approx(syns[last] - syns[first], abs=0.002)
    assert d.ms <= fetch.summary.total_ms and f"frames {first} to {last}" in d.text


CLASSIC = CORPUS / "http_fetch_dns_handshake_teardown_classic.pcap"


def test_requests_on_separate_keep_alive_connections_are_not_called_short_connections():
    """The Wireshark sample http.cap (corpus MANIFEST: 2 HTTP/1.1 GETs): each GET on its own connection, but both
    ask "Connection: keep-alive" (tshark http.connection) and the server closes the first only 14 s after its
    response: no short connections, just no reuse in this capture."""
    tl = load(CLASSIC)
    said = [r[1].lower() for r in rows(CLASSIC, "http.request", "http.connection")]
    versions = {r[1] for r in rows(CLASSIC, "http.request", "http.request.version")}
    assert len(said) == 2 and all(v == "keep-alive" for v in said) and versions == {"HTTP/1.1"}
    (fetch,) = [f for f in tl.fetches if f.summary.requests == 2]
    assert fetch.summary.connections == 2 and fetch.summary.connection_mode == "separate connections"


OOO = CORPUS / "tcp_out_of_order_sack_gaps_rst_http.pcap"


def test_a_hole_filled_later_out_of_order_is_not_said_never_resent():
    """Corpus: a lossy real download whose gaps are filled later by out-of-order segments (MANIFEST: 13 out of
    order segments, gaps never filled for some). For each hole tshark flags (tcp.analysis.lost_segment on the
    server's data), the later server segments carrying its missing bytes are read from tshark's seq/nxtseq: the
    loss step names them, or says none came only when none did."""
    tl = load(OOO)
    data = [(int(r[0]), int(r[1]), int(r[2]), r[3] == "1") for r in
            rows(OOO, "tcp.srcport == 80 && tcp.len > 0", "tcp.seq", "tcp.nxtseq", "tcp.analysis.lost_segment")]
    losses = {s.facts["gap_frame"]: s for f in tl.fetches for s in f.steps if s.kind == "tcp.loss"}
    more = {h["frame"]: h for st in losses.values() for h in st.facts.get("more_holes", ())}
    checked = {"late": 0, "none": 0, "more": 0}
    for n, (frame, seq, _nxt, lost) in enumerate(data):
        if not lost:
            continue
        hole_from = max(e for _f, _s, e, _l in data[:n])
        later = [f for f, s, e, _l in data[n + 1:] if s < seq and e > hole_from]
        if frame in more:       # a second hole of a loss episode: told in short in the first hole's step
            checked["more"] += 1
            assert (more[frame]["lost_from"], more[frame]["lost_to"] + 1) == (hole_from, seq)
            assert bool(more[frame]["late"]) == bool(later)
            continue
        st = losses[frame]
        assert (st.facts["lost_from"], st.facts["gap_seq"]) == (hole_from, seq)
        if later:
            checked["late"] += 1
            assert st.facts["late_frames"] == later[:50] and "no retransmission" not in st.text
        else:
            checked["none"] += 1
            assert "late_frames" not in st.facts and "no retransmission of the missing bytes" in st.text
    assert checked["late"] and checked["none"] and checked["more"]


@pytest.mark.parametrize("name", ["lab_refused_connection_rst", "lab_silent_host_syn_timeout"])
def test_har_entry_of_a_failed_connection_spans_the_query_to_its_last_segment(name):
    """A refused port (SYN -> RST) and a silent host (SYNs, no answer): the HAR entry's blocked is the client's
    time from the DNS answer to its first SYN, dns the lookup, connect the SYN(s) to the RST (or the last SYN),
    all from tshark's times; the entry's time is their sum (the attempt's connect is not also taken off the
    time before the SYN)."""
    path = CAPTURES / f"{name}.pcapng"
    tl = load(path)
    t = {int(r[0]): float(r[1]) * 1000 for r in rows(path, "frame", "frame.time_relative")}
    q, a = frames(path, "dns.flags.response == 0")[0], frames(path, "dns.flags.response == 1")[0]
    tcp = frames(path, "tcp.port == 80 || tcp.port == 81")
    syn = frames(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0")[0]
    (entry,) = [e for e in har(tl)["log"]["entries"] if e["response"]["status"] == 0]
    timings = entry["timings"]
    assert timings["dns"] == pytest.approx(t[a] - t[q], abs=0.002)
    assert timings["blocked"] == pytest.approx(t[syn] - t[a], abs=0.002)
    assert timings["connect"] == pytest.approx(t[tcp[-1]] - t[syn], abs=0.002)
    assert entry["time"] == pytest.approx(t[tcp[-1]] - t[q], abs=0.005)


def test_summary_dns_of_a_later_request_says_whose_it_is():
    """http.cap: the page's host has no lookup in the file (the first GET's Host, tshark http.host, is never a
    dns.qry.name); the one lookup is the ad server's, for the second GET. The summary's DNS figure names it."""
    tl = load(CLASSIC)
    hosts = [r[1] for r in rows(CLASSIC, "http.request", "http.host")]
    names = {r[1] for r in rows(CLASSIC, "dns.flags.response == 0", "dns.qry.name")}
    assert hosts[0] not in names and hosts[1] in names
    (fetch,) = [f for f in tl.fetches if f.summary.requests == 2]
    (dns,) = [v for k, v in summary_rows(fetch) if k == "DNS lookup"]
    assert hosts[1] in dns and "for a later request" in dns


WGET_TLS = ROOT / "tests" / "fixtures" / "tls" / "tls13_wget_page.pcap"


@pytest.mark.parametrize("keyed", [True, False], ids=["keys", "no-keys"])
def test_a_nagle_stall_inside_the_tls_handshake_is_told(keyed):
    """tls13_wget_page (wget on loopback): the client sends its ChangeCipherSpec alone (a small segment), the
    server's bare ACK of it comes ~40 ms later (its delayed ACK), and the client's Finished goes right after:
    Nagle with a delayed ACK inside the handshake, read from tshark (tls.record.content_type, tcp.ack, times).
    Told as a stall, with or without the key log, and the TLS line of 'where the time went' says it holds it."""
    recs = rows(WGET_TLS, "tcp.len > 0 || tcp.ack", "frame.time_relative", "tcp.srcport", "tcp.len", "tcp.nxtseq",
                "tcp.ack", "tls.record.content_type")
    t = {int(r[0]): float(r[1]) * 1000 for r in recs}
    client = recs[0][2]
    ccs = next(int(r[0]) for r in recs if r[2] == client and r[6] == "20")         # alone in its segment
    nxt = next(r for r in recs if r[2] == client and int(r[0]) > ccs and int(r[3]) > 0)
    end = next(r[4] for r in recs if int(r[0]) == ccs)
    ack = next(int(r[0]) for r in recs if r[2] != client and ccs < int(r[0]) < int(nxt[0]) and r[5] == end)
    assert 35 < t[ack] - t[ccs] < 500 and t[int(nxt[0])] - t[ack] < 1       # the recording holds the stall
    with open_capture(WGET_TLS) as reader:
        keys = parse_keylog(WGET_TLS.with_suffix(".keys").read_bytes()) if keyed else None
        fetch = timeline(reader, "en", keylog=keys).fetches[0]
    (stall,) = [s for s in steps(fetch, "tcp.stall.nagle") if s.frames[0] == ccs]
    assert stall.frames == (ccs, ack, int(nxt[0]))
    assert stall.facts["gap_ms"] == pytest.approx(t[int(nxt[0])] - t[ccs], abs=0.002)
    (tls,) = [d for d in fetch.breakdown if d.what == "tls"]
    assert f"the {duration(stall.facts['gap_ms'])} Nagle stall below included" in tls.text
