"""A QUIC server's Retry (address validation, RFC 9000 8.1 and 17.2.5) and a client's Initial sent again: read as
tshark reads them, and told in the timeline (issue 10: the Retry was told as "its first packets carry the
ServerHello", and the client's second Initial was opened with the wrong keys).

tests/fixtures/quic/http3_retry.pcap is recorded by scripts/record_quic_fixture.py --retry (aioquic's server with
retry on); the capture with an Initial sent twice is made here from http3_get.pcap (its first datagram repeated).
Expected values are tshark's on the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from scapy.all import rdpcap, wrpcap
from test_quic_keys import KEYED_FIELDS, ours, run
from tshark_query import TSHARK, fields

import analyzer
from analyzer.timeline import timeline

QUIC = Path(__file__).resolve().parent / "fixtures" / "quic"
RETRY = QUIC / "http3_retry.pcap"
NAMES = KEYED_FIELDS + ("quic.retry_token", "quic.retry_integrity_tag", "tls.handshake.type",
                        "tls.handshake.extensions_server_name")


def _lines(path: Path) -> list[str]:
    import subprocess

    if TSHARK is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run([TSHARK, "-r", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.rstrip() for line in out.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def resent(tmp_path_factory) -> Path:
    packets = rdpcap(str(QUIC / "http3_get.pcap"))
    again = packets[0].copy()
    again.time = packets[0].time + 0.0001
    out = tmp_path_factory.mktemp("quic") / "initial_twice.pcap"
    wrpcap(str(out), [packets[0], again, *packets[1:]])
    return out


@pytest.mark.parametrize("which", ["retry", "resent"])
def test_read_is_tsharks(which, resent):
    path = RETRY if which == "retry" else resent
    assert run("read", str(path)).splitlines() == _lines(path)
    theirs = fields(path, "frame", *NAMES)
    assert ours(path, *NAMES) == theirs
    # the ClientHello is shown once per connection (tshark does not show CRYPTO bytes it has had again)
    hellos = [row[0] for row in theirs if "1" in row[NAMES.index("tls.handshake.type")].split(",")]
    assert hellos == ["1"]


def _retry_frames() -> tuple[int, int, int]:
    """tshark's Retry frame, the client's next Initial, the server's first datagram after it."""
    (retry,) = [int(f) for (f,) in fields(RETRY, "quic.long.packet_type == 3", "frame.number")]
    client = [int(f) for f, sport in fields(RETRY, "quic.long.packet_type == 0", "frame.number", "udp.srcport")
              if sport != "443"]
    server = [int(f) for (f,) in fields(RETRY, "udp.srcport == 443", "frame.number")]
    return retry, next(f for f in client if f > retry), next(f for f in server if f > retry)


def test_the_timeline_tells_the_retry():
    cap = analyzer.open(str(RETRY))
    with cap.open() as reader:
        (fetch,) = timeline(reader, "en").fetches
    retry, again, answer = _retry_frames()
    steps = {s.kind: s for s in fetch.steps}
    assert steps["quic.retry"].frames == (retry, again)
    assert "address validation" in steps["quic.retry"].text and f"frame {again}" in steps["quic.retry"].text
    assert steps["quic.server.after_retry"].frames == (answer,)
    assert "quic.server" not in steps and "quic.unanswered" not in steps
    times = {int(f): float(t) for f, t in fields(RETRY, "frame", "frame.number", "frame.time_relative")}
    assert steps["quic.server.after_retry"].facts["rtt_ms"] == pytest.approx((times[answer] - times[again]) * 1000,
                                                                               abs=0.002)
    assert [row.frame for row in fetch.ladder][:4] == [1, retry, again, answer]
    with cap.open() as reader:
        zh = timeline(reader, "zh").fetches[0]
    assert any(s.kind == "quic.retry" and "地址验证" in s.text for s in zh.steps)


def test_a_retry_never_followed_is_said(tmp_path):
    retry, _again, _answer = _retry_frames()
    cut = tmp_path / "retry_only.pcap"
    wrpcap(str(cut), rdpcap(str(RETRY))[:retry])
    with analyzer.open(str(cut)).open() as reader:
        (fetch,) = timeline(reader, "en").fetches
    kinds = [s.kind for s in fetch.steps]
    assert "quic.retry.unanswered" in kinds and "quic.unanswered" not in kinds and "quic.server" not in kinds
    assert next(s for s in fetch.steps if s.kind == "quic.retry.unanswered").problem
