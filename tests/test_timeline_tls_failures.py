"""A TLS handshake that fails, and a TLS connection the client asks nothing on (issue 10: "every connection
attempt, failure ... appears and is explained"; the HTML report and HAR show failed connections).

Recorded by scripts/record_tls_fixtures.py against nginx with a self-signed certificate:
- tls13_cert_unknown_ca: curl (OpenSSL) without -k, TLS 1.3: the client refuses the certificate with a fatal
  alert Unknown CA, sent in clear (it had not turned its own keys on): the timeline called it "An encrypted TLS
  alert ... usually close_notify" and the title said "no key to see its requests".
- tls12_cert_unknown_ca: the same over TLS 1.2 (certificate in clear).
- tls13_cert_rejected_gnutls: gnutls-cli, TLS 1.3: an encrypted alert (19 bytes) in place of the client's
  Finished, which the timeline took for that Finished ("the handshake is done and the connection is secure").
- tls_version_refused: curl --tls-max 1.1: the server answers the ClientHello with a fatal alert Protocol
  Version ("No ServerHello in the capture: the TLS handshake did not get through").
- tls13_cert_closed_wget: wget (GnuTLS) finishes the handshake, checks the certificate after it and resets the
  connection, having sent nothing: "The HTTP requests and responses are inside".

Every expected frame and alert is asked from tshark (with the key log where only decryption shows it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tshark_query import fields

from analyzer.apps.tls import parse_keylog
from analyzer.apps.tls.tables import ALERT_DESCRIPTIONS
from analyzer.capture import open_capture
from analyzer.report.har import har
from analyzer.timeline import timeline

TLS = Path(__file__).resolve().parent / "fixtures" / "tls"


def load(name: str, keys: bool = False, lang: str = "en"):
    path = TLS / name
    keylog = parse_keylog(path.with_suffix(".keys").read_bytes()) if keys else None
    with open_capture(path) as reader:
        return timeline(reader, lang, keylog=keylog)


def fatal_alert(name: str, keys: bool = False) -> tuple[int, str, str]:
    """tshark's one fatal alert: (frame, sender "client"/"server", description)."""
    keyfile = (TLS / name).with_suffix(".keys") if keys else None
    ((frame, src_port, level, desc),) = fields(TLS / name, "tls.alert_message", "frame.number", "tcp.srcport",
                                              "tls.alert_message.level", "tls.alert_message.desc", keys=keyfile)
    assert level == "2"
    return int(frame), "server" if src_port == "443" else "client", ALERT_DESCRIPTIONS[int(desc)]


@pytest.mark.parametrize("name", ["tls13_cert_unknown_ca.pcap", "tls12_cert_unknown_ca.pcap",
                                  "tls_version_refused.pcap"])
def test_a_fatal_alert_in_clear_ends_the_handshake(name):
    frame, who, description = fatal_alert(name)
    (fetch,) = load(name).fetches
    kinds = [s.kind for s in fetch.steps]
    (failed,) = [s for s in fetch.steps if s.kind == "tls.failed.alert"]
    assert failed.frames == (frame,) and failed.problem
    assert failed.facts["who"] == who and failed.facts["description"] == description
    assert f"The {who} ends the TLS handshake with a fatal alert, {description}:" in failed.text
    assert "no request was sent on this connection" in failed.text
    assert not any(k.startswith("tls.done") or k in ("tls.alert", "tls.alert.encrypted", "tls.no_server_hello",
                                                     "tls.encrypted") for k in kinds)
    assert fetch.connections[0].tls["failed"] == {"frame": frame, "by": who, "alert": description}
    (r,) = fetch.requests
    assert r.error == "tls" and r.reason == description


def test_what_the_alert_means_is_said_and_the_har_names_chromiums_error():
    tl = load("tls13_cert_unknown_ca.pcap")
    (fetch,) = tl.fetches
    (failed,) = [s for s in fetch.steps if s.kind == "tls.failed.alert"]
    assert "does not trust the authority that signed the server's certificate" in failed.text
    (entry,) = har(tl)["log"]["entries"]
    assert entry["_error"] == "net::ERR_CERT_AUTHORITY_INVALID"
    assert entry["response"]["status"] == 0
    assert entry["timings"]["ssl"] > 0          # the handshake's time, up to the alert
    (refused,) = har(load("tls_version_refused.pcap"))["log"]["entries"]
    assert refused["_error"] == "net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH"


def test_the_title_says_the_handshake_failed_in_both_languages():
    from analyzer.report.timeline_text import fetch_title

    (fetch,) = load("tls12_cert_unknown_ca.pcap").fetches
    assert fetch_title(fetch) == "Fetch 1: https://analyzer.test/ (HTTPS: the TLS handshake failed, no request was sent)"
    (zh,) = load("tls12_cert_unknown_ca.pcap", lang="zh").fetches
    assert "TLS 握手失败" in fetch_title(zh)
    (failed,) = [s for s in zh.steps if s.kind == "tls.failed.alert"]
    assert failed.text.startswith("客户端以一个致命警报结束 TLS 握手，Unknown CA：客户端不信任签发服务器证书的机构")


def test_an_encrypted_alert_in_place_of_the_finished_is_a_failure_not_the_finished():
    name = "tls13_cert_rejected_gnutls.pcap"
    frame, who, description = fatal_alert(name, keys=True)      # only the key log shows what it was
    assert who == "client"
    (fetch,) = load(name).fetches
    kinds = [s.kind for s in fetch.steps]
    (failed,) = [s for s in fetch.steps if s.kind == "tls.failed.encrypted"]
    assert failed.frames == (frame,) and failed.problem
    assert "Instead of its Finished, the client sends one record of 19 bytes" in failed.text
    assert "not made for analyzer.test" in failed.text
    assert not any(k.startswith(("tls.done", "tls.exchange")) or k in ("tls.encrypted", "tls.alert.inferred")
                   for k in kinds)
    assert fetch.connections[0].tls["failed"] == {"frame": frame, "by": "client", "alert": None}
    (entry,) = har(load(name))["log"]["entries"]
    assert entry["_error"] == "net::ERR_SSL_PROTOCOL_ERROR"
    # with the key log the alert is read: its kind is said
    (keyed,) = load(name, keys=True).fetches
    (failed,) = [s for s in keyed.steps if s.kind == "tls.failed.alert"]
    assert failed.frames == (frame,) and failed.facts["description"] == description


def test_a_connection_the_client_asked_nothing_on_holds_no_request():
    name = "tls13_cert_closed_wget.pcap"
    keys = TLS / "tls13_cert_closed_wget.keys"
    # tshark with the keys: the client's Finished, then only the server's NewSessionTickets (type 4), no
    # application data from the client
    (finished,) = [int(f) for f, src in fields(TLS / name, "tls.handshake.type == 20", "frame.number", "tcp.srcport",
                                                keys=keys) if src != "443"]
    tickets = [int(f) for (f,) in fields(TLS / name, "tls.handshake.type == 4", "frame.number", keys=keys)]
    assert not fields(TLS / name, "tls.app_data and tcp.dstport == 443", "frame.number", keys=keys)
    (fetch,) = load(name).fetches
    (done,) = [s for s in fetch.steps if s.kind.startswith("tls.done")]
    assert done.frames == (finished,)
    (idle,) = [s for s in fetch.steps if s.kind == "tls.encrypted.no_request"]
    assert idle.frames == (tickets[0], tickets[-1])
    assert idle.text.startswith("No request on this connection: after the handshake the client sent no application")
    assert "some clients check the server's certificate only after their Finished" in idle.text
    assert not [s for s in fetch.steps if s.kind == "tls.encrypted"]
    assert fetch.connections[0].tls["failed"] is None


def test_a_browsers_spare_connection_is_not_given_the_guess():
    """Chromium's spare connection (its own step tells it) gets the facts only."""
    (fetch,) = load("tls13_chromium_spare_first.pcap").fetches
    (idle,) = [s for s in fetch.steps if s.kind == "tls.encrypted.no_request"]
    assert idle.facts["spare"] is True and "gave up" not in idle.text
    assert any(s.kind.startswith("tcp.spare") for s in fetch.steps)


def test_the_summary_says_the_handshake_failed():
    from click.testing import CliRunner

    from analyzer.cli.main import main

    out = CliRunner().invoke(main, ["timeline", "--width", "110", str(TLS / "tls13_cert_rejected_gnutls.pcap")])
    assert out.exit_code == 0, out.output
    (row,) = [line for line in out.output.splitlines() if line.strip().startswith("TLS handshake")]
    assert row.strip().endswith(", then failed (an alert): not secured")
    ok = CliRunner().invoke(main, ["timeline", "--width", "110", str(TLS / "tls13_http11.pcap")])
    (row,) = [line for line in ok.output.splitlines() if line.strip().startswith("TLS handshake")]
    assert "failed" not in row
