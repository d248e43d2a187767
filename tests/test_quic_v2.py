"""QUIC version 2 (RFC 9369) with a key log: its Handshake and 1-RTT packets opened with version 2's key labels
("quicv2 key", "quicv2 iv", "quicv2 hp") and its renumbered long-header types, as tshark opens them; before, the
HTTP/3 requests of a version 2 connection stayed encrypted with the right key log (issue 10: HTTPS fetches).

tests/fixtures/quic/http3_v2.pcap is recorded by scripts/record_quic_fixture.py --v2 (aioquic, version 2 offered
first; the --keys GETs), its key log beside it. Expected values are tshark's and the recording script's."""

from __future__ import annotations

from pathlib import Path

from test_quic_keys import KEYED_FIELDS, RECORDING, TLS_FIELDS, ours
from tshark_query import fields

import analyzer
from analyzer.timeline import timeline

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "quic" / "http3_v2.pcap"
KEYS = FIXTURE.with_suffix(".keys")
NAMES = KEYED_FIELDS + ("quic.long.packet_type_v2",)


def test_version_2_packets_open_as_tshark_opens_them():
    assert {v for (v,) in fields(FIXTURE, "quic.version", "quic.version") for v in v.split(",")} == {"0x6b3343cf"}
    theirs = fields(FIXTURE, "frame", *NAMES, keys=KEYS)
    assert ours(FIXTURE, *NAMES, keys=KEYS) == theirs
    assert ours(FIXTURE, *TLS_FIELDS, keys=KEYS) == fields(FIXTURE, "frame", *TLS_FIELDS, keys=KEYS)
    # what the comparison is about: version 2 Handshake packets (type bits 3) and 1-RTT ones opened
    column = {name: [row[i] for row in theirs] for i, name in enumerate(NAMES)}
    opened_handshake = [pn for t, pn in zip(column["quic.long.packet_type_v2"], column["quic.packet_number"])
                        if "3" in t.split(",") and pn]
    assert opened_handshake and any(column["quic.stream.stream_id"])
    assert ours(FIXTURE, *NAMES) == fields(FIXTURE, "frame", *NAMES)        # without keys: closed for both


def test_version_2_http3_requests_are_read_and_told():
    cap = analyzer.open(str(FIXTURE), keylog=str(KEYS))
    assert [(h.uri, h.status_code, h.response_body_len) for h in cap.http] == [
        ("/", 200, len(RECORDING.KEYS_PAGE)), ("/style.css", 200, len(RECORDING.STYLE)),
        ("/missing", 404, len(RECORDING.MISSING))]
    with cap.open() as reader:
        (fetch,) = timeline(reader, "en", keylog=cap.keylog).fetches
    assert "QUIC version 2" in fetch.steps[0].text
    assert [s.facts["uri"] for s in fetch.steps if s.kind == "http3.request"] == ["/", "/style.css", "/missing"]
    assert any(s.kind == "tls.certificate.decrypted" for s in fetch.steps)
