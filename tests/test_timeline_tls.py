"""HTTPS in the timeline (issue 11 part 4): a TLS fetch is a fetch with or without keys; the TLS handshake step
by step, time to secure connection, encrypted bytes, close_notify; with the key log the requests inside.

The captures are the tls developer's recordings (tests/fixtures/tls, made by scripts/record_tls_fixtures.py
with the project's own lab and their key logs); every expected frame is asked from tshark, with
``-o tls.keylog_file:KEYS`` where the keys matter.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.apps.tls import parse_keylog
from analyzer.capture import open_capture
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parents[1]
TLS = ROOT / "tests" / "fixtures" / "tls"
TSHARK = shutil.which("tshark")


def load(name: str, keys: bool = False, lang: str = "en"):
    path = TLS / f"{name}.pcap"
    keylog = parse_keylog((TLS / f"{name}.keys").read_bytes()) if keys else None
    with open_capture(path) as reader:
        return timeline(reader, lang, keylog=keylog)


def frames(name: str, display_filter: str, keys: bool = False, field: str = "frame.number") -> list[str]:
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    args = [TSHARK, "-r", str(TLS / f"{name}.pcap"), "-Y", display_filter, "-T", "fields", "-e", field]
    if keys:
        args[3:3] = ["-o", f"tls.keylog_file:{TLS / f'{name}.keys'}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout
    return out.split()


def ints(values: list[str]) -> list[int]:
    return [int(v) for v in values]


def step(fetch, kind: str):
    found = [s for s in fetch.steps if s.kind == kind]
    assert found, f"no {kind}: {[s.kind for s in fetch.steps]}"
    return found[0]


def test_tls13_without_keys_is_still_a_fetch():
    """TLS 1.3, no key log: ARP/DNS/TCP as usual, the ClientHello (SNI, ALPN in clear), the ServerHello (the
    certificate is encrypted in 1.3), the handshake done one round trip later, the encrypted records, the
    teardown; the title says why the requests are not shown."""
    (fetch,) = load("tls13_http11").fetches
    assert fetch.kind == "connection" and fetch.url == "https://analyzer.test/"
    ch = step(fetch, "tls.client_hello.sni")
    assert ch.frames == tuple(ints(frames("tls13_http11", "tls.handshake.type == 1")))
    assert ch.facts["sni"] == frames("tls13_http11", "tls.handshake.type == 1",
                                     field="tls.handshake.extensions_server_name")[0]
    sh = step(fetch, "tls.server_hello.13")
    assert sh.frames == tuple(ints(frames("tls13_http11", "tls.handshake.type == 2")))
    assert "certificate" in sh.text and not [s for s in fetch.steps if s.kind.startswith("tls.certificate")]
    # without keys, the client's Finished is its first application_data record after the ServerHello
    client_port = frames("tls13_http11", "tls.handshake.type == 1", field="tcp.srcport")[0]
    app = ints(frames("tls13_http11", f"(tls.record.opaque_type == 23 || tls.record.content_type == 23) && tcp.srcport == {client_port}"))
    (done,) = [s for s in fetch.steps if s.kind in ("tls.done.finished", "tls.done.guess13")]
    assert done.frames == (app[0],) and done.facts["trips"] == 1
    assert fetch.summary.tls_ms == pytest.approx(done.facts["secure_ms"])
    enc = step(fetch, "tls.encrypted")
    assert enc.facts["key_problem"] == "no_keylog" and enc.frames[0] == app[1]
    assert [c.tls["version"] for c in fetch.connections] == ["TLS 1.3"]


def test_tls13_with_keys_shows_the_requests_inside():
    (fetch,) = load("tls13_http11", keys=True).fetches
    assert fetch.kind == "page" and fetch.url == "https://analyzer.test/"
    assert [r.request_frame for r in fetch.requests] == ints(frames("tls13_http11", "http.request", keys=True))
    assert [r.response_frame for r in fetch.requests] == ints(frames("tls13_http11", "http.response", keys=True))
    cert = step(fetch, "tls.certificate.decrypted")
    assert cert.frames == tuple(ints(frames("tls13_http11", "tls.handshake.type == 11", keys=True)))
    client_port = frames("tls13_http11", "tls.handshake.type == 1", field="tcp.srcport")[0]
    finished = ints(frames("tls13_http11", f"tls.handshake.type == 20 && tcp.srcport == {client_port}", keys=True))
    assert step(fetch, "tls.done.finished").frames == (finished[0],)
    close = ints(frames("tls13_http11", "tls.alert_message.desc == 0", keys=True))
    assert [s.frames[0] for s in fetch.steps if s.kind == "tls.close_notify"] == close
    req = fetch.requests[0]
    assert req.ssl == pytest.approx(fetch.summary.tls_ms) and req.ssl > 0
    assert [p.name for p in req.phases][:3] == ["connect", "ssl", "send"]


@pytest.mark.parametrize("name", ["tls13_http11", "tls13_wget_page"])
def test_every_tls13_session_ticket_is_a_step(name):
    """OpenSSL servers send two NewSessionTickets, each in its own record: one step each, citing the frames
    tshark decrypts them in (the second was once left out)."""
    (fetch,) = [f for f in load(name, keys=True).fetches if any(s.layer == "tls" for s in f.steps)]
    tickets = [s for s in fetch.steps if s.kind.startswith("tls.ticket")]
    expected = ints(frames(name, "tls.handshake.type == 4", keys=True))
    assert len(expected) == 2 and [s.frames for s in tickets] == [(f,) for f in expected]
    assert [(s.kind, s.facts["n"]) for s in tickets] == [("tls.ticket", 1), ("tls.ticket.again", 2)]
    assert "a ticket" in tickets[0].text and "(ticket 2)" in tickets[1].text


def test_tls12_certificate_in_clear_and_two_round_trips():
    (fetch,) = load("tls12_gcm").fetches
    sh = step(fetch, "tls.server_hello.12")
    assert sh.facts["cipher"] == frames("tls12_gcm", "tls.handshake.type == 2",
                                        field="tls.handshake.ciphersuite")[0] or sh.facts["cipher"].startswith("TLS_")
    cert = step(fetch, "tls.certificate")
    assert cert.frames == tuple(ints(frames("tls12_gcm", "tls.handshake.type == 11")))
    assert cert.facts["subject"] and "analyzer.test" in cert.facts["san"]
    server_port = frames("tls12_gcm", "tls.handshake.type == 2", field="tcp.srcport")[0]
    ccs = ints(frames("tls12_gcm", f"tls.record.content_type == 20 && tcp.srcport == {server_port}"))
    done = step(fetch, "tls.done.ccs12.server")
    assert done.frames == (ccs[0],) and done.facts["trips"] == 2 and "two round trips" in done.text


def test_resumed_session_and_hello_retry():
    tl = load("tls13_chacha_resumed")
    kinds = [s.kind for f in tl.fetches for s in f.steps if s.kind.startswith("tls.server_hello")]
    assert "tls.server_hello.13.resumed" in kinds
    resumed_frames = ints(frames("tls13_chacha_resumed", "tls.handshake.type == 2 && tls.handshake.extension.type == 41"))
    assert [s.frames[0] for f in tl.fetches for s in f.steps if s.kind == "tls.server_hello.13.resumed"] == resumed_frames
    (hrr_fetch,) = [f for f in load("tls13_hrr").fetches if f.connections]
    hrr = step(hrr_fetch, "tls.hello_retry")
    assert hrr.frames[0] == ints(frames("tls13_hrr", "tls.handshake.type == 2"))[0]


def test_several_requests_over_one_tls_connection_with_keys():
    tl = load("tls13_wget_page", keys=True)
    requests = [r.request_frame for f in tl.fetches for r in f.requests if r.method]
    assert requests == ints(frames("tls13_wget_page", "http.request", keys=True))
    (page,) = [f for f in tl.fetches if f.kind == "page"]
    assert len({c.stream for c in page.connections}) == 1
    assert page.summary.http_bytes_received <= page.summary.bytes_received


def test_har_ssl_timing_and_zh(tmp_path):
    out = tmp_path / "x.har"
    r = subprocess.run([sys.executable, "-m", "analyzer", "har", str(TLS / "tls13_http11.pcap"), "--keylog",
                        str(TLS / "tls13_http11.keys"), "-o", str(out)], capture_output=True, cwd=ROOT, timeout=120,
                       check=False)
    assert r.returncode == 0, r.stderr
    (entry,) = json.loads(out.read_text())["log"]["entries"]
    t = entry["timings"]
    assert t["ssl"] > 0 and t["connect"] >= t["ssl"]          # HAR: ssl is included in connect
    assert entry["request"]["url"] == "https://analyzer.test/"
    zh = load("tls13_http11", lang="zh").fetches[0]
    assert "明文" in step(zh, "tls.client_hello.sni").text
    assert any("一个往返" in s.text for s in zh.steps if s.kind.startswith("tls.done"))
