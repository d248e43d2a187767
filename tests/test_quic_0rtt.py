"""QUIC 0-RTT with a key log: a resumed connection's early data (RFC 9001 4.6.1), opened with the key log's
CLIENT_EARLY_TRAFFIC_SECRET as tshark opens it, its HTTP/3 request in ``http`` and told in the timeline as sent
before the handshake was done (issue 10: every request a capture holds appears; we dropped this one).

tests/fixtures/quic/http3_0rtt.pcap is recorded by scripts/record_quic_fixture.py --zero-rtt (aioquic on a private
loopback, its key log beside it): GET / on a first connection, which leaves the client a session ticket; the second
connection resumes with it and sends GET /style.css in a 0-RTT packet, then GET /missing in 1-RTT. Expected values
are tshark's on the same bytes and keys, and the recording script's constants."""

from __future__ import annotations

from pathlib import Path

from test_quic_keys import KEYED_FIELDS, RECORDING, TLS_FIELDS, ours, run
from tshark_query import fields

import analyzer
from analyzer.timeline import timeline

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "quic" / "http3_0rtt.pcap"
KEYS = FIXTURE.with_suffix(".keys")


def _early_frames(keys: Path) -> list[int]:
    """Frames with a 0-RTT packet tshark opens (a packet number and a STREAM frame in it)."""
    return [int(f) for f, kinds, sids in fields(FIXTURE, "quic.long.packet_type == 1", "frame.number",
                                                "quic.long.packet_type", "quic.stream.stream_id", keys=keys) if sids]


def _without_early_secret(tmp_path: Path) -> Path:
    out = tmp_path / "no_early.keys"
    out.write_text("".join(line for line in KEYS.read_text().splitlines(keepends=True)
                           if not line.startswith("CLIENT_EARLY_TRAFFIC_SECRET")))
    return out


def test_0rtt_packets_open_as_tshark_opens_them(tmp_path: Path):
    assert len(_early_frames(KEYS)) == 1            # the recording holds what the test is about
    assert ours(FIXTURE, *KEYED_FIELDS, keys=KEYS) == fields(FIXTURE, "frame", *KEYED_FIELDS, keys=KEYS)
    assert ours(FIXTURE, *TLS_FIELDS, keys=KEYS) == fields(FIXTURE, "frame", *TLS_FIELDS, keys=KEYS)
    lines = run("read", str(FIXTURE), "--keylog", str(KEYS)).splitlines()
    (early,) = _early_frames(KEYS)
    assert "0-RTT" in lines[early - 1] and "PKN:" in lines[early - 1]
    # without the early secret the 0-RTT packet stays closed, for tshark and for us; the rest still opens
    partial = _without_early_secret(tmp_path)
    assert _early_frames(partial) == []
    assert ours(FIXTURE, *KEYED_FIELDS, keys=partial) == fields(FIXTURE, "frame", *KEYED_FIELDS, keys=partial)


def test_the_0rtt_request_is_an_http3_transaction(tmp_path: Path):
    served = {**{p: (status, ctype) for p, (status, ctype, _b) in RECORDING.RESOURCES.items()},
              "/missing": (404, "text/plain")}
    cap = analyzer.open(str(FIXTURE), keylog=str(KEYS))
    got = [(h.uri, h.status_code, h.version, h.response_body_len) for h in cap.http]
    assert got == [("/", 200, "3", len(RECORDING.KEYS_PAGE)), ("/style.css", 200, "3", len(RECORDING.STYLE)),
                   ("/missing", 404, "3", len(RECORDING.MISSING))]
    assert all(served[uri][0] == status for uri, status, _v, _n in got)
    (early,) = _early_frames(KEYS)
    assert next(h for h in cap.http if h.uri == "/style.css").request_frame == early
    # the early secret missing: the request cannot be read (the response on its stream has no request)
    partial = analyzer.open(str(FIXTURE), keylog=str(_without_early_secret(tmp_path)))
    assert "/style.css" not in [h.uri for h in partial.http]


def test_the_timeline_says_the_request_left_before_the_handshake():
    cap = analyzer.open(str(FIXTURE), keylog=str(KEYS))
    with cap.open() as reader:
        first, second = timeline(reader, "en", keylog=cap.keylog).fetches
    (early,) = _early_frames(KEYS)
    kinds = [(s.kind, s.frames[0], s.facts.get("uri")) for s in second.steps if s.kind.startswith("http3.request")]
    assert kinds == [("http3.request.early", early, "/style.css"), ("http3.request", kinds[1][1], "/missing")]
    step = next(s for s in second.steps if s.kind == "http3.request.early")
    assert "0-RTT" in step.text and "before the handshake was done" in step.text
    done = next(s for s in second.steps if s.kind == "quic.done")
    assert step.frames[0] < done.frames[0]          # it did leave before the client's first 1-RTT packet
    assert [s.kind for s in first.steps if s.kind.startswith("http3.request")] == ["http3.request"]
    with cap.open() as reader:
        zh = timeline(reader, "zh", keylog=cap.keylog).fetches[1]
    assert any(s.kind == "http3.request.early" and "0-RTT 数据" in s.text for s in zh.steps)
