"""HTTPS without keys (issue 10): the exchanges inferred from the encrypted records
(:mod:`analyzer.timeline.encrypted`) are the HTTP requests and responses tshark finds with the key log.

Expected values come from tshark: with ``-o tls.keylog_file:KEYS`` it tells which frame carries each HTTP
request and response (and which TCP segments were reassembled into it), which records are NewSessionTickets
(handshake type 4) and which are alerts (content type 21). The analyzer reads the same capture without keys
and must find the same frames from the record directions and times alone.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from tshark_query import fields as tshark_fields

from analyzer.capture import open_capture
from analyzer.report.har import har
from analyzer.report.html import html_report
from analyzer.report.timeline_text import render
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "captures" / "lab_https_page_fetch.pcapng"
TLS = ROOT / "tests" / "fixtures" / "tls"
HTTP2 = ROOT / "tests" / "fixtures" / "http2"
CORPUS = ROOT.parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")

# (capture, its key log) recorded with keys: HTTP/1.1 over TLS 1.3 and TLS 1.2
KEYED = [
    (LAB, LAB.with_suffix(".keys")),
    (TLS / "tls13_wget_page.pcap", TLS / "tls13_wget_page.keys"),
    (TLS / "tls13_aes256_multi.pcap", TLS / "tls13_aes256_multi.keys"),
    (TLS / "tls13_http11.pcap", TLS / "tls13_http11.keys"),       # request sent with the Finished
    (TLS / "tls13_chacha_resumed.pcap", TLS / "tls13_chacha_resumed.keys"),   # two connections, resumed
    (TLS / "tls12_gcm.pcap", TLS / "tls12_gcm.keys"),
    (TLS / "tls13_one_ticket.pcap", TLS / "tls13_one_ticket.keys"),           # one ticket, before the request
    (TLS / "tls13_no_ticket.pcap", TLS / "tls13_no_ticket.keys"),     # no ticket; two equal small responses
    (TLS / "tls13_early_data.pcap", TLS / "tls13_early_data.keys"),   # resumed with the request as 0-RTT data
]
# one ticket that arrived after the request (recorded behind a relay that holds the server's bytes 10 ms)
ONE_TICKET_LATE = (TLS / "tls13_one_ticket_rtt.pcap", TLS / "tls13_one_ticket_rtt.keys")


def load(path: Path, lang: str = "en"):
    with open_capture(path) as reader:
        return timeline(reader, lang)


def tshark(path: Path, keys: Path | None, display: str, *names: str) -> list[list[str]]:
    return tshark_fields(path, display, *names, keys=keys)


def expected_pairs(path: Path, keys: Path) -> list[tuple[int, tuple[int, ...], tuple[int, ...]]]:
    """(stream, request frames, response frames) per HTTP request, as tshark reads them with the keys: the
    frame that completes each message and the TCP segments reassembled into it."""
    parts: dict[int, tuple[int, ...]] = {}       # a message's frame -> the TCP segments it was reassembled from
    for frame, segments in tshark(path, keys, "http", "frame.number", "tcp.segment"):
        parts[int(frame)] = tuple(int(x) for x in segments.split(",")) if segments else (int(frame),)
    pairs = []
    responses = {int(r[1]): int(r[0]) for r in tshark(path, keys, "http.response", "frame.number", "http.request_in")}
    for frame, stream in tshark(path, keys, "http.request", "frame.number", "tcp.stream"):
        req = int(frame)
        resp = responses.get(req)
        pairs.append((int(stream), parts[req], parts[resp] if resp else ()))
    return pairs


def encrypted_rows(tl):
    return [r for f in tl.fetches for r in f.requests if r.exchange is not None]


@pytest.mark.parametrize(("path", "keys"), KEYED, ids=lambda p: p.name if isinstance(p, Path) else p)
def test_exchanges_are_the_requests_tshark_decrypts(path: Path, keys: Path):
    """Without keys, each inferred exchange is one HTTP request (its records' frames) and its response (the
    frames tshark reassembles it from), in order, on the right connection; nothing else is an exchange."""
    want = expected_pairs(path, keys)
    assert want, "tshark found no HTTP request with the keys"
    got = [(r.stream, r.exchange.request.frames if r.exchange.request else (),
            r.exchange.response.frames if r.exchange.response else ()) for r in encrypted_rows(load(path))]
    assert got == want


@pytest.mark.parametrize(("path", "keys"), KEYED, ids=lambda p: p.name if isinstance(p, Path) else p)
def test_tickets_and_alerts_are_set_aside(path: Path, keys: Path):
    """TLS 1.3 sends NewSessionTickets and alerts as opaque application data: the records taken for tickets
    are tshark's handshake type 4 after the handshake, those taken for alerts its content type 21."""
    tl = load(path)
    views = {r.stream: r.encrypted for r in encrypted_rows(tl)}
    tickets = sorted(int(r[0]) for r in tshark(path, keys, "tls.handshake.type == 4 && tls.record.opaque_type == 23",
                                                   "frame.number"))
    got = sorted(f for v in views.values() for f in v.tickets)
    assert got == tickets
    # a record only said to be perhaps a ticket (rule d) is never one tshark reads as something else
    assert not [r.exchange.maybe_ticket for r in encrypted_rows(tl) if r.exchange.maybe_ticket]
    v13 = [r for r in tshark(path, None, "tls.handshake.type == 2", "tls.handshake.extensions.supported_version")
           if r and r[0] == "0x0304"]
    if v13:
        alerts = sorted(int(r[0]) for r in tshark(path, keys, "tls.record.content_type == 21", "frame.number"))
        assert sorted(f for v in views.values() for _c, f in v.alerts) == alerts


def test_one_ticket_after_the_request_is_named_not_hidden():
    """A server that sends a single TLS 1.3 ticket, received after the client's request (sent right behind its
    Finished): nothing without keys tells that record from a short first record of the response, so it stays
    in the response, and the exchange names it as perhaps a ticket with the wait if it was one. tshark with the
    keys: it is the NewSessionTicket, and the response begins at the next server frame."""
    path, keys = ONE_TICKET_LATE
    (ticket,) = [int(r[0]) for r in tshark(path, keys, "tls.handshake.type == 4", "frame.number")]
    (_stream, req, resp), *_rest = expected_pairs(path, keys)
    times = {int(n): float(t) for n, t in tshark(path, None, "frame", "frame.number", "frame.time_epoch")}
    tl = load(path)
    first = encrypted_rows(tl)[0].exchange
    assert first.request.frames == req
    assert first.maybe_ticket == (ticket, int(tshark(path, keys, "tls.handshake.type == 4", "tls.record.length")[0][0]))
    assert tuple(f for f in first.response.frames if f > ticket) == resp
    assert first.ttfb_if_ticket_ms == pytest.approx((times[resp[0]] - times[req[-1]]) * 1000, abs=0.002)
    assert first.ttfb_ms == pytest.approx((times[ticket] - times[req[-1]]) * 1000, abs=0.002)
    assert not any(r.exchange.maybe_ticket for r in encrypted_rows(tl)[1:])
    (step,) = [s for f in tl.fetches for s in f.steps if s.kind == "tls.exchange" and s.facts["n"] == 1]
    text = step.text
    assert (f"Its first record ({first.maybe_ticket[1]} bytes, frame {ticket}) may be a TLS 1.3 session ticket "
            f"instead") in text
    assert f"If so, the answer began at frame {resp[0]}, {first.ttfb_if_ticket_ms:.2f} ms after the request." in text
    text = render(tl, width=200)
    assert re.search(rf"time to first byte\s+{first.ttfb_ms:.2f} ms \(encrypted exchange 1: an estimate from the "
                     rf"record times; {first.ttfb_if_ticket_ms:.2f} ms if frame {ticket} was a session ticket\)", text)
    assert any("若是如此，应答从第" in s.text for f in load(path, "zh").fetches for s in f.steps)


def test_early_data_request_is_told_as_sent_before_the_handshake():
    """TLS 1.3 early data (0-RTT): tshark with the keys finds the second connection's request in the frame of
    its ClientHello and the client's EndOfEarlyData after the response. Without keys that frame's record is
    the request of an exchange (not left out as part of the handshake), counted as sent early, and the
    texts say the request did not wait for the handshake; the first connection sent no early data."""
    path, keys = TLS / "tls13_early_data.pcap", TLS / "tls13_early_data.keys"
    hello = {int(s): int(f) for f, s in tshark(path, None, "tls.handshake.type == 1", "frame.number", "tcp.stream")}
    requests = {int(s): int(f) for f, s in tshark(path, keys, "http.request", "frame.number", "tcp.stream")}
    (eoed,) = [int(r[0]) for r in tshark(path, keys, "tls.handshake.type == 5", "frame.number")]
    assert requests[1] == hello[1] < eoed
    tl = load(path)
    rows = {r.stream: r.exchange for r in encrypted_rows(tl)}
    assert rows[1].request.frames == (hello[1],) and rows[1].early == 1
    assert rows[0].early == 0 and rows[0].request.frames == (requests[0],)
    steps = [s for f in tl.fetches for s in f.steps]
    (ex,) = [s for s in steps if s.kind == "tls.exchange" and s.facts["stream"] == 1]
    assert "The client sent it as TLS 1.3 early data (0-RTT), with its ClientHello" in ex.text
    (done,) = [s for s in steps if s.kind.startswith("tls.done") and s.facts["stream"] == 1]
    assert done.frames == (eoed,) and "this client did not wait" in done.text
    hellos = {s.facts["stream"]: s.text for s in steps if s.kind.startswith("tls.client_hello")}
    assert "(TLS 1.3 early data, 0-RTT)" in hellos[1] and "early data" not in hellos[0]
    assert "no application protocol (no ALPN)" in hellos[0]      # openssl s_client offers none


@pytest.mark.parametrize(("path", "keys"), [k for k in KEYED if "tls12" not in k[0].name],
                         ids=lambda p: p.name if isinstance(p, Path) else p)
def test_encrypted_data_step_names_what_its_counts_hold(path: Path, keys: Path):
    """The step that counts the encrypted records says how many of them are tickets and alerts (tshark with
    the keys: handshake type 4 after the handshake, content type 21)."""
    def per_stream(display: str) -> dict[int, int]:
        out: dict[int, int] = {}
        for (stream,) in tshark(path, keys, display, "tcp.stream"):
            out[int(stream)] = out.get(int(stream), 0) + 1
        return out

    tickets = per_stream("tls.handshake.type == 4 && tls.record.opaque_type == 23")
    alerts = per_stream("tls.record.content_type == 21")
    steps = [s for f in load(path).fetches for s in f.steps if s.kind == "tls.encrypted"]
    assert {s.facts["stream"] for s in steps} == set(tickets) | set(alerts)
    for step in steps:
        counts = ((tickets.get(step.facts["stream"], 0), "session ticket"), (alerts.get(step.facts["stream"], 0), "alert"))
        parts = [f"{n} {word}{'s' if n > 1 else ''}" for n, word in counts if n]
        assert f"(among them {' and '.join(parts)}, told apart below)" in step.text


def test_ttfb_and_transfer_from_the_frame_times():
    """The TTFB estimate is the response's first segment minus the request's last record, the transfer its
    last record minus its first segment: read from tshark's frame times."""
    times = {int(n): float(t) for n, t in tshark(LAB, None, "frame", "frame.number", "frame.time_epoch")}
    for r in encrypted_rows(load(LAB)):
        q, a = r.exchange.request, r.exchange.response
        assert r.exchange.ttfb_ms == pytest.approx((times[a.frames[0]] - times[q.frames[-1]]) * 1000, abs=0.002)
        assert r.exchange.transfer_ms == pytest.approx((times[a.frames[-1]] - times[a.frames[0]]) * 1000, abs=0.002)
        assert r.wait == r.exchange.ttfb_ms and r.receive == r.exchange.transfer_ms


def test_lab_steps_summary_and_waterfall():
    """One step per exchange citing its frames, said as an inference; the Nagle stall behind the ticket is
    told (tshark: the response follows the client's ACK of the ticket segment); the summary counts the
    requests as encrypted; one waterfall row per exchange with s/w/r after the handshake's d/c/t."""
    (fetch,) = load(LAB).fetches
    want = expected_pairs(LAB, LAB.with_suffix(".keys"))
    steps = [s for s in fetch.steps if s.kind == "tls.exchange"]
    assert [s.frames for s in steps] == [q + a for _s, q, a in want]
    for s in steps:
        assert "Probably one request and its response" in s.text and "cannot be seen" in s.text
        assert not re.search(r"\b(GET|POST|200|OK)\b", s.text)
    (nagle,) = [s for s in fetch.steps if s.kind == "tls.exchange.nagle"]
    acks = tshark(LAB, None, "tcp.len == 0 && tcp.srcport == 52792 && tcp.ack_raw && frame.number > 14 "
                  "&& frame.number < 17", "frame.number")
    assert nagle.facts["ack_frame"] == int(acks[0][0]) and nagle.facts["second"] == want[0][2][0]
    assert fetch.summary.encrypted_requests == len(want) and fetch.summary.requests == 0
    text = render(load(LAB), width=110)
    assert f"about {len(want)} requests (encrypted), 1 connection" in text
    times = {int(n): float(t) for n, t in tshark(LAB, None, "frame", "frame.number", "frame.time_epoch")}
    ttfb = (times[want[0][2][0]] - times[want[0][1][-1]]) * 1000
    assert re.search(rf"time to first byte\s+{ttfb:.2f} ms \(encrypted exchange 1: an estimate", text)
    rows = [line for line in text.splitlines() if line.strip().startswith("encrypted exchange")]
    assert len(rows) == len(want)
    bar = rows[0].split("|")[1]
    assert bar.index("d") < bar.index("c") < bar.index("t") < bar.rindex("w") < bar.rindex("r")
    assert all(row.rstrip().endswith("enc #0") for row in rows)
    assert " - #0" not in text


def test_lab_har_entries():
    """One HAR entry per exchange: the SNI's root URL (the path is not known), status 0 and no method (not
    seen), the records in ``_`` fields, timings from the records; required HAR 1.2 fields present."""
    sni, offered = tshark(LAB, None, "tls.handshake.type == 1", "tls.handshake.extensions_server_name",
                          "tls.handshake.extensions_alpn_str")[0]
    assert offered == "http/1.1"            # only HTTP/1.1 offered: the session speaks it
    want = expected_pairs(LAB, LAB.with_suffix(".keys"))
    doc = har(load(LAB))
    entries = doc["log"]["entries"]
    assert len(entries) == len(want) and len(doc["log"]["pages"]) == 1
    for e, (_stream, q, a) in zip(entries, want):
        assert e["request"]["url"] == f"https://{sni}/" and e["request"]["method"] == ""
        assert e["response"]["status"] == 0 and e["_encrypted"] is True
        assert e["request"]["httpVersion"] == e["response"]["httpVersion"] == "HTTP/1.1"
        assert e["_requestFrames"] == list(q) and e["_responseFrames"] == list(a)
        assert e["timings"]["wait"] == e["_ttfbEstimateMs"] and e["timings"]["send"] >= 0
        for key in ("startedDateTime", "time", "cache", "timings"):
            assert key in e
        for key in ("cookies", "headers", "headersSize", "bodySize", "httpVersion"):
            assert key in e["request"] and key in e["response"]
    lengths = [int(x) for r in tshark(LAB, LAB.with_suffix(".keys"), "http.response", "tls.record.length")
               for x in r[0].split(",")]
    assert [e["response"]["_transferSize"] for e in entries] == lengths
    assert entries[0]["timings"]["dns"] > 0 and entries[0]["timings"]["ssl"] > 0
    # the first entry runs from the DNS query to its answer's last segment: its phases add up to that
    times = {int(n): float(t) for n, t in tshark(LAB, None, "frame", "frame.number", "frame.time_epoch")}
    (query,), = tshark(LAB, None, "dns.flags.response == 0", "frame.number")
    assert entries[0]["time"] == pytest.approx((times[want[0][2][-1]] - times[int(query)]) * 1000, abs=0.01)
    assert all(e["timings"]["connect"] == -1 for e in entries[1:])
    json.dumps(doc)


def test_lab_html_rows():
    """The HTML report shows the same rows as the text waterfall."""
    page = html_report(load(LAB))
    assert page.count('class="request encrypted"') == len(expected_pairs(LAB, LAB.with_suffix(".keys")))
    assert "encrypted exchange 1" in page


def test_zh_texts():
    """Every new sentence has its Chinese text, with full-width punctuation and measure words."""
    (fetch,) = load(LAB, "zh").fetches
    new = [s for s in fetch.steps if s.kind.startswith(("tls.exchange", "tls.tickets", "tls.alert.inferred"))]
    assert {s.kind for s in new} == {"tls.exchange", "tls.exchange.nagle", "tls.tickets.inferred",
                                     "tls.alert.inferred"}
    for s in new:
        assert re.search(r"[\u4e00-\u9fff]", s.text), s.text
        assert not re.search(r"[;:()]|,(?!\d{3})", s.text), s.text      # "2,986": a thousands separator
    assert all("个记录" in s.text for s in new if s.kind == "tls.exchange")
    text = render(load(LAB, "zh"), width=110)
    assert "约 4 个请求（加密），1 个连接" in text and "加密交换 1" in text


def test_http2_is_bursts_not_pairs():
    """ALPN h2 (or a TLS 1.3 client that offered h2, whose server's choice is encrypted): the texts speak of
    bursts, never of "one request and its response"; the tickets are still tshark's NewSessionTickets."""
    path, keys = TLS / "tls13_h2.pcap", TLS / "tls13_h2.keys"
    tl = load(path)
    rows = encrypted_rows(tl)
    assert rows and all(r.encrypted.multiplexed for r in rows)
    steps = [s for f in tl.fetches for s in f.steps if s.kind.startswith("tls.exchange")]
    assert steps and all("burst" in s.text and "Probably one request" not in s.text for s in steps)
    tickets = [int(r[0]) for r in tshark(path, keys, "tls.handshake.type == 4", "frame.number")]
    assert list(rows[0].encrypted.tickets) == tickets
    # the server's first HTTP/2 frames (SETTINGS) are no ticket: a burst of their own
    settings = [int(r[0]) for r in tshark(path, keys, "http2.type == 4 && tcp.srcport == 443", "frame.number")]
    assert settings[0] in [f for r in rows for f in r.frames]
    assert "encrypted bursts" in render(tl, width=110)
    entries = har(tl)["log"]["entries"]
    assert entries and all(e["_inferred"] == "h2-bursts" and "not one request" in e["comment"] for e in entries)
    assert all(e["request"]["httpVersion"] == "" for e in entries)      # TLS 1.3: the server's choice is hidden


def test_corpus_tls12_h2_bursts():
    """A real browser capture from the corpus (TLS 1.2, ALPN h2 in clear, no keys): the bursts are tshark's
    application-data records grouped by direction, and they are said to be bursts."""
    path = CORPUS / "pcapng_11_interfaces_macos_dumpcap.pcapng"
    if not path.exists():
        pytest.skip(f"the shared corpus is not here ({CORPUS}): it is not part of the repository")
    recs = tshark(path, None, "tcp.stream == 0 && tls.record.content_type == 23", "frame.number", "tcp.srcport")
    want: list[list[int]] = []
    last = None
    for frame, port in recs:
        if port != last:
            want.append([])
            last = port
        want[-1].append(int(frame))
    rows = [r for r in encrypted_rows(load(path)) if r.stream == 0]
    got = []
    for r in rows:
        got += [list(b.frames) for b in (r.exchange.request, r.exchange.response) if b is not None]
    assert got == want
    assert all(r.encrypted.multiplexed and r.encrypted.alpn == "h2" for r in rows)
    alpn = tshark(path, None, "tcp.stream == 0 && tls.handshake.type == 2", "tls.handshake.extensions_alpn_str")
    assert alpn == [["h2"]]
    entries = [e for e in har(load(path))["log"]["entries"] if e.get("_encrypted") and e["connection"] == "0"]
    assert entries and all(e["response"]["httpVersion"] == "HTTP/2.0" for e in entries)


def test_keys_change_nothing_when_given():
    """With the key log the requests are read: no exchange is inferred."""
    from analyzer.apps.tls import parse_keylog
    keylog = parse_keylog(LAB.with_suffix(".keys").read_bytes())
    with open_capture(LAB) as reader:
        tl = timeline(reader, keylog=keylog)
    assert not encrypted_rows(tl)
    assert not any(s.kind.startswith("tls.exchange") for f in tl.fetches for s in f.steps)


def _delayed(src: Path, dst: Path, first: int, delay_us: int) -> None:
    """A copy of the classic little-endian microsecond pcap ``src`` with every frame from ``first`` on
    ``delay_us`` later: a server that thought that much longer before its answer."""
    data = bytearray(src.read_bytes())
    assert data[:4] == b"\xd4\xc3\xb2\xa1"
    at, n = 24, 0
    while at + 16 <= len(data):
        n += 1
        sec, usec, incl = struct.unpack_from("<III", data, at)
        if n >= first:
            t = sec * 1_000_000 + usec + delay_us
            struct.pack_into("<II", data, at, t // 1_000_000, t % 1_000_000)
        at += 16 + incl
    dst.write_bytes(bytes(data))


def test_server_think_time_estimate(tmp_path: Path):
    """A response 150 ms late (tls13_http11 with every frame from the response on delayed by 150 ms): the
    step and "where the time went" give the server think time = TTFB - iRTT, both read with tshark."""
    src, keys = TLS / "tls13_http11.pcap", TLS / "tls13_http11.keys"
    (_stream, q, a), = expected_pairs(src, keys)
    path = tmp_path / "slow.pcap"
    _delayed(src, path, a[0], 150_000)
    times = {int(n): float(t) for n, t in tshark(path, None, "frame", "frame.number", "frame.time_epoch")}
    irtt = float(tshark(path, None, "tcp.analysis.initial_rtt", "tcp.analysis.initial_rtt")[0][0])
    ttfb = (times[a[0]] - times[q[-1]]) * 1000
    (fetch,) = load(path).fetches
    (wait,) = [s for s in fetch.steps if s.kind == "tls.exchange.wait"]
    assert wait.frames == (q[-1], a[0])
    assert wait.facts["think_ms"] == pytest.approx(ttfb - irtt * 1000, abs=0.01)
    (server,) = [d for d in fetch.breakdown if d.what == "server_encrypted"]
    assert server.ms == pytest.approx(ttfb - irtt * 1000, abs=0.01) and "estimate" in server.text
    (fetch_zh,) = load(path, "zh").fetches
    assert any(d.what == "server_encrypted" and "估计" in d.text for d in fetch_zh.breakdown)


def test_session_begun_before_the_capture(tmp_path: Path):
    """The lab capture cut after its first request (editcap -r frames 16-31): no handshake, the version
    unknown; the first server records are told as the answer to a request sent before the capture, the later
    exchanges are still tshark's requests and responses, and the client's 19-byte record is an alert."""
    editcap = shutil.which("editcap")
    if editcap is None or TSHARK is None:
        pytest.skip("editcap/tshark are not installed")
    keys = LAB.with_suffix(".keys")
    cut = 16
    path = tmp_path / "mid.pcapng"
    subprocess.run([editcap, "-r", str(LAB), str(path), f"{cut}-31"], check=True, capture_output=True, timeout=60)
    full = expected_pairs(LAB, keys)
    want = [(tuple(f - cut + 1 for f in q), tuple(f - cut + 1 for f in a)) for _s, q, a in full if q[0] >= cut]
    first_answer = next(tuple(f - cut + 1 for f in a) for _s, q, a in full if q[0] < cut <= a[0])
    (fetch,) = load(path).fetches
    rows = [r for r in fetch.requests if r.exchange is not None]
    assert rows[0].exchange.request is None and rows[0].exchange.response.frames == first_answer
    assert [(r.exchange.request.frames, r.exchange.response.frames) for r in rows[1:]] == want
    assert next(s.kind for s in fetch.steps if s.kind.startswith("tls.exchange")) == "tls.exchange.server.midstream"
    alerts = [int(r[0]) - cut + 1 for r in tshark(LAB, keys, "tls.record.content_type == 21", "frame.number")]
    assert [f for _c, f in rows[0].encrypted.alerts] == alerts
    assert fetch.summary.encrypted_requests == len(want)


def test_corpus_lone_client_record_is_no_request():
    """A session begun before the capture whose only record is one small client record (tshark: the stream's
    only TLS record, no server payload): told as client data with no answer, not counted as a request and
    no HAR entry."""
    path = CORPUS / "linktype_raw101_ipv4_ipv6_http_dns.pcap"
    if not path.exists():
        pytest.skip(f"the shared corpus is not here ({CORPUS}): it is not part of the repository")
    (frame, stream), = tshark(path, None, "tls", "frame.number", "tcp.stream")
    assert not tshark(path, None, f"tcp.stream == {stream} && tcp.srcport == 443 && tcp.len > 0", "frame.number")
    tl = load(path)
    (fetch,) = [f for f in tl.fetches if any(r.exchange is not None for r in f.requests)]
    (row,) = [r for r in fetch.requests if r.exchange is not None]
    assert row.exchange.request.frames == (int(frame),) and row.exchange.response is None
    assert fetch.summary.encrypted_requests == 0
    step = next(s for s in fetch.steps if s.kind == "tls.exchange.request")
    assert "Probably" not in step.text and "needs no answer" in step.text
    assert not any(e.get("_encrypted") for e in har(tl)["log"]["entries"])


def test_no_traceback_on_cut_captures():
    """Every prefix, suffix and one-frame-dropped copy of the lab capture (records cut anywhere, handshake or
    tickets missing): the timeline, its text in both languages, the HAR and the HTML report are made."""
    with open_capture(LAB) as reader:
        frames = list(reader)
    n = len(frames)
    variants = [frames[:k] for k in range(1, n + 1)] + [frames[k:] for k in range(1, n)]
    variants += [frames[:k] + frames[k + 1:] for k in range(n)]
    for v in variants:
        tl = timeline(iter(v))
        render(tl)
        har(tl)
        html_report(tl)
        render(timeline(iter(v), "zh"))


def test_a_websocket_after_its_101_is_not_told_as_requests():
    """wss_echo (scripts/record_websocket.py: a WebSocket over TLS 1.3, echoing messages): without keys the one
    exchange is the upgrade tshark decrypts (GET /chat and its 101); from the first record too short to start an
    HTTP/1.x request on (tshark's first WebSocket frame from the client) the records are told as another
    protocol's messages, counted as tshark counts the records, and no server think time is made of them."""
    path = ROOT / "tests" / "fixtures" / "websocket" / "wss_echo.pcap"
    keys = path.with_suffix(".keys")
    tl = load(path)
    rows = encrypted_rows(tl)
    got = [(r.stream, r.exchange.request.frames, r.exchange.response.frames) for r in rows]
    assert got == expected_pairs(path, keys)
    assert [s for s, in tshark(path, keys, "http.response", "http.response.code")] == ["101"]
    sw = rows[0].encrypted.switched
    client_port = int(tshark(path, None, "tls.handshake.type == 1", "tcp.srcport")[0][0])
    first_ws = next(int(f) for f, port in tshark(path, keys, "websocket", "frame.number", "tcp.srcport")
                    if int(port) == client_port)
    assert (sw.after, sw.frame) == (0, first_ws)
    alerts = {int(f) for f, in tshark(path, keys, "tls.record.content_type == 21", "frame.number")}
    counts = {True: [0, 0], False: [0, 0]}
    for frame, port, lengths in tshark(path, None, f"tls.record.opaque_type == 23 && frame.number >= {first_ws}",
                                       "frame.number", "tcp.srcport", "tls.record.length"):
        for n in lengths.split(","):
            if int(frame) in alerts and int(n) == 19:
                continue
            counts[int(port) == client_port][0] += 1
            counts[int(port) == client_port][1] += int(n)
    assert (sw.client_records, sw.client_bytes) == tuple(counts[True])
    assert (sw.server_records, sw.server_bytes) == tuple(counts[False])
    steps = [s for f in tl.fetches for s in f.steps]
    (step,) = [s for s in steps if s.kind == "tls.switched"]
    assert step.frames[0] == first_ws and "101 Switching Protocols" in step.text
    assert not [s for s in steps if s.kind in ("tls.exchange.wait", "tls.exchange.nagle")]
    # two tickets in one frame: the frame is cited once
    (tickets,) = [s for s in steps if s.kind == "tls.tickets.inferred"]
    assert len(tickets.frames) == len(set(tickets.frames)) and "frames" not in tickets.text.split("(")[1]
    (zh,) = [s for f in load(path, "zh").fetches for s in f.steps if s.kind == "tls.switched"]
    assert "101 Switching Protocols" in zh.text and "WebSocket" in zh.text


def test_quick_server_think_time_is_a_part(tmp_path: Path):
    """An answer 3 ms late: too quick for a step of its own (under 20 ms), yet a hundred round trips; "where the
    time went" names the estimate, TTFB - iRTT, both read with tshark (the TLS 1.3 tickets the server sent
    between request and answer cannot have held it back: a delayed ACK takes 35 ms or more)."""
    src, keys = TLS / "tls13_http11.pcap", TLS / "tls13_http11.keys"
    (_stream, q, a), = expected_pairs(src, keys)
    path = tmp_path / "quick.pcap"
    _delayed(src, path, a[0], 3_000)
    times = {int(n): float(t) for n, t in tshark(path, None, "frame", "frame.number", "frame.time_epoch")}
    irtt = float(tshark(path, None, "tcp.analysis.initial_rtt", "tcp.analysis.initial_rtt")[0][0]) * 1000
    ttfb = (times[a[0]] - times[q[-1]]) * 1000
    assert 10 * irtt <= ttfb < 20.0
    (fetch,) = load(path).fetches
    assert not [s for s in fetch.steps if s.kind == "tls.exchange.wait"]
    (server,) = [d for d in fetch.breakdown if d.what == "server_encrypted"]
    assert server.ms == pytest.approx(ttfb - irtt, abs=0.01) and server.frames == (a[0],)
    assert f"frame {a[0]}" in server.text and "estimate" in server.text


def test_summary_counts_the_client_bursts_the_waterfall_shows():
    """pcapng_11_interfaces_macos_dumpcap: an HTTP/2 connection without keys, whose last client burst (tshark: the
    stream's last TLS record is the client's) has no server record after it. The waterfall draws it as a row; the
    Summary counted only the answered exchanges ("2 exchanges") beside 3 rows: it now names the unanswered one."""
    import re

    from analyzer.report.timeline_text import render_fetch

    path = CORPUS / "pcapng_11_interfaces_macos_dumpcap.pcapng"
    if not path.exists():
        pytest.skip(f"the shared corpus is not here ({CORPUS}): it is not part of the repository")
    (fetch,) = [f for f in load(path).fetches if any(r.exchange is not None for r in f.requests)]
    stream = fetch.requests[0].stream
    records = tshark(path, None, f"tls.record.content_type == 23 && tcp.stream == {stream}", "tcp.srcport")
    assert records[-1][0] != "443"                       # the last application record is the client's
    text = render_fetch(fetch, width=200)
    rows = re.findall(r"^    encrypted exchange \d+ ", text, re.MULTILINE)
    line = next(x for x in text.splitlines() if re.match(r"    requests {2,}\S", x))     # the Summary's line
    answered = int(re.search(r"(\d+) exchanges? of encrypted bursts", line).group(1))
    alone = int(re.search(r"(\d+) more client bursts? with no answer", line).group(1))
    assert answered == fetch.summary.encrypted_requests and alone >= 1 and answered + alone == len(rows)
