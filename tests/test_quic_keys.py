"""QUIC Handshake and 1-RTT packets opened with a TLS key log (analyzer.apps.quic_crypto, analyzer.apps.http3), as
tshark opens them with ``-o tls.keylog_file:KEYS`` (issue 10: "it works on HTTPS (most real fetches)": an HTTP/3
fetch is QUIC).

tests/fixtures/quic/http3_keys.pcap (TLS_AES_256_GCM_SHA384) and http3_chacha.pcap (TLS_CHACHA20_POLY1305_SHA256,
the client updating its 1-RTT keys before the third GET) are recorded by scripts/record_quic_fixture.py --keys
[--chacha] (aioquic on a private loopback), each with the key log aioquic wrote beside it (.keys). Expected field
values are tshark's on the same bytes with the same keys; the paths, statuses and bodies of the requests are those
the recording script served (its constants), never our own output."""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from scapy.all import UDP, rdpcap, wrpcap
from tshark_query import fields

from analyzer.apps.quic_crypto import ConnectionKeys, decode_packet_number
from analyzer.apps.tls.keylog import parse_keylog
from analyzer.cli.main import main

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "quic"
KEYED = FIXTURES / "http3_keys.pcap"
CHACHA = FIXTURES / "http3_chacha.pcap"
_spec = importlib.util.spec_from_file_location("record_quic_fixture", Path(__file__).resolve().parent.parent
                                               / "scripts" / "record_quic_fixture.py")
RECORDING = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(RECORDING)

# the QUIC fields of opened Handshake and 1-RTT packets (and every clear one); the TLS messages their CRYPTO frames
# carry are compared below (TLS_FIELDS)
KEYED_FIELDS = (
    "frame.number", "quic.connection.number", "quic.packet_length", "quic.header_form", "quic.fixed_bit",
    "quic.long.packet_type", "quic.long.reserved", "quic.packet_number_length", "quic.version", "quic.dcil",
    "quic.dcid", "quic.scil", "quic.scid", "quic.token_length", "quic.length", "quic.packet_number", "quic.payload",
    "quic.remaining_payload", "quic.spin_bit", "quic.short.reserved", "quic.key_phase", "quic.protected_payload",
    "quic.frame_type", "quic.padding_length", "quic.crypto.offset", "quic.crypto.length",
    "quic.ack.largest_acknowledged", "quic.ack.ack_delay", "quic.ack.ack_range_count", "quic.ack.first_ack_range",
    "quic.ack.gap", "quic.ack.ack_range", "quic.stream.fin", "quic.stream.len", "quic.stream.off",
    "quic.stream.stream_id", "quic.stream.initiator", "quic.stream.direction", "quic.stream.offset",
    "quic.stream.length", "quic.stream_data", "quic.nci.sequence", "quic.nci.retire_prior_to",
    "quic.nci.connection_id.length", "quic.nci.connection_id", "quic.nci.stateless_reset_token",
    "quic.cc.error_code", "quic.cc.error_code.app", "quic.cc.frame_type", "quic.cc.reason_phrase.length",
)

# the TLS messages of the CRYPTO frames, Initial and Handshake alike: the hellos, EncryptedExtensions with the
# transport parameters, the server's certificate, CertificateVerify, both Finished
TLS_FIELDS = (
    "frame.number", "tls.handshake.type", "tls.handshake.length", "tls.handshake.extensions_length",
    "tls.handshake.extension.type", "tls.handshake.extension.len", "tls.handshake.extensions_alpn_str",
    "tls.quic.parameter.type", "tls.quic.parameter.length", "tls.quic.parameter.value",
    "tls.quic.parameter.original_destination_connection_id", "tls.quic.parameter.max_idle_timeout",
    "tls.quic.parameter.stateless_reset_token", "tls.quic.parameter.initial_max_data",
    "tls.quic.parameter.initial_max_stream_data_bidi_local", "tls.quic.parameter.initial_max_stream_data_uni",
    "tls.quic.parameter.initial_max_streams_bidi", "tls.quic.parameter.ack_delay_exponent",
    "tls.quic.parameter.max_ack_delay", "tls.quic.parameter.active_connection_id_limit",
    "tls.quic.parameter.initial_source_connection_id", "tls.quic.parameter.vi.chosen_version",
    "tls.quic.parameter.vi.other_version", "tls.handshake.certificate_request_context_length",
    "tls.handshake.certificates_length", "tls.handshake.certificate_length", "tls.handshake.certificate",
    "x509af.serialNumber", "x509af.algorithm.id", "x509af.utcTime", "x509sat.uTF8String", "x509af.extension.id",
    "x509ce.dNSName", "x509ce.SubjectKeyIdentifier", "x509ce.keyIdentifier", "pkcs1.namedCurve",
    "x509af.subjectPublicKey", "x509af.encrypted", "tls.handshake.sig_hash_alg",
    "tls.handshake.client_cert_vrfy.sig_len", "tls.handshake.client_cert_vrfy.sig", "tls.handshake.verify_data",
)


def keys_of(path: Path) -> Path:
    return path.with_suffix(".keys")


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def ours(path: Path, *names: str, keys: Path | None = None) -> list[list[str]]:
    args = ["read", str(path), "-T", "fields", "-E", "separator=/t"]
    if keys is not None:
        args += ["--keylog", str(keys)]
    for name in names:
        args += ["-e", name]
    return [line.split("\t") for line in run(*args).splitlines()]


@pytest.mark.parametrize("path", [KEYED, CHACHA], ids=["aes256", "chacha_key_update"])
def test_every_opened_packet_s_quic_fields_are_tshark_s(path: Path):
    theirs = fields(path, "frame", *KEYED_FIELDS, keys=keys_of(path))
    assert ours(path, *KEYED_FIELDS, keys=keys_of(path)) == theirs
    # the recordings hold what the test is about: Handshake packets, 1-RTT ones, STREAM frames; the second a key
    # update (key phase 1 after 0) with ChaCha20
    column = {name: [row[i] for row in theirs] for i, name in enumerate(KEYED_FIELDS)}
    assert any("2" in v.split(",") for v in column["quic.long.packet_type"])
    assert any(v for v in column["quic.stream.stream_id"])
    suites = [v for (v,) in fields(path, "tls.handshake.type == 2", "tls.handshake.ciphersuite", keys=keys_of(path))]
    if path == CHACHA:
        assert suites == ["0x1303"]
        assert {"0", "1"} <= set(column["quic.key_phase"])
    else:
        assert suites == ["0x1302"]


@pytest.mark.parametrize("path", [KEYED, CHACHA], ids=["aes256", "chacha_key_update"])
def test_the_tls_messages_in_crypto_frames_are_tshark_s(path: Path):
    theirs = fields(path, "frame", *TLS_FIELDS, keys=keys_of(path))
    assert ours(path, *TLS_FIELDS, keys=keys_of(path)) == theirs
    # what the comparison is about: the server's flight (EncryptedExtensions, Certificate, CertificateVerify,
    # Finished) read from Handshake packets, the client's Finished, the certificate the recording made
    types = [row[1] for row in theirs if row[1]]
    assert "2,8,11,15,20" in types and "20" in types
    names = {v for row in theirs for v in row[TLS_FIELDS.index("x509sat.uTF8String")].split(",") if v}
    assert names == {"analyzer.test"}
    # without the key log only the hellos are read, as tshark reads them
    theirs = fields(path, "frame", *TLS_FIELDS)
    assert ours(path, *TLS_FIELDS) == theirs
    assert sorted(row[1] for row in theirs if row[1]) == ["1", "2"]


def test_crypto_streams_are_put_back_in_order_and_bounded():
    from analyzer.apps.http3 import MAX_MESSAGE, Http3Tracker, QuicSession
    from analyzer.decode.quic import APPLICATION, HANDSHAKE

    session = QuicSession(Http3Tracker(None), ("10.0.0.1", 5000), ("10.0.0.2", 443), 0)
    finished = bytes([20, 0, 0, 4]) + b"abcd"
    certificate = bytes([11, 0, 0, 6]) + b"012345"
    both = finished + certificate
    # the second half first: nothing whole; then the first half: both messages, in order
    assert session.crypto_messages(1, [(HANDSHAKE, 5, both[5:])]) == []
    assert session.crypto_messages(1, [(HANDSHAKE, 0, both[:5])]) == [finished, certificate]
    # a copy of bytes already read gives nothing again; the other side and the 1-RTT space are streams of their own
    assert session.crypto_messages(1, [(HANDSHAKE, 0, both)]) == []
    assert session.crypto_messages(0, [(HANDSHAKE, 0, finished)]) == [finished]
    assert session.crypto_messages(0, [(APPLICATION, 0, certificate)]) == [certificate]
    # a message that claims more than MAX_MESSAGE bytes ends its stream's reading: nothing after it is kept
    huge = bytes([11]) + (MAX_MESSAGE + 1).to_bytes(3, "big")
    assert session.crypto_messages(0, [(HANDSHAKE, len(finished), huge + finished)]) == []
    assert session.crypto_messages(0, [(HANDSHAKE, len(finished) + 4, b"x" * 100)]) == []
    assert session.crypto[(HANDSHAKE, 0)] is None


def test_a_transport_parameter_cut_short_keeps_the_hello_s_other_fields():
    from analyzer.apps.tls.handshake import Cursor, _ext_quic_transport_parameters

    fields: dict = {}
    # max_idle_timeout = 60000 (a 4-byte varint), then initial_max_data claiming 4 bytes with 2 left
    data = bytes([0x01, 0x04, 0x80, 0x00, 0xEA, 0x60, 0x04, 0x04, 0x80, 0x10])
    _ext_quic_transport_parameters(Cursor(data), fields, {}, "client_hello")
    assert fields["tls.quic.parameter.max_idle_timeout"] == 60000
    assert fields["tls.quic.parameter.type"] == [1, 4]
    assert "tls.quic.parameter.initial_max_data" not in fields


def test_without_keys_or_with_wrong_keys_the_packets_stay_as_tshark_shows_them_unopened(tmp_path: Path):
    names = ("frame.number", "quic.packet_number", "quic.remaining_payload", "quic.frame_type")
    assert ours(KEYED, *names) == fields(KEYED, "frame", *names)
    # the other recording's keys: the names (client randoms) differ, so nothing is looked up
    assert ours(KEYED, *names, keys=keys_of(CHACHA)) == fields(KEYED, "frame", *names)
    # this connection's client random with other secrets: nothing decrypts, nothing is shown opened
    lines = keys_of(KEYED).read_text().split("\n")
    wrong = tmp_path / "wrong.keys"
    wrong.write_text("\n".join(" ".join(line.split()[:2] + ["ab" * 48]) for line in lines if line.strip()) + "\n")
    assert ours(KEYED, *names, keys=wrong) == fields(KEYED, "frame", *names)
    assert json.loads(run("http", "--json", "--keylog", str(wrong), str(KEYED)) or "[]") == []


def test_the_http3_requests_are_the_ones_the_recording_made():
    """``analyzer http`` lists the three GETs with the statuses, types and sizes the script served; request and
    response frames are tshark's frames of the HEADERS frames on streams 0, 4 and 8 (the last DATA for a body
    over several packets: the frame that ends the stream)."""
    for path in (KEYED, CHACHA):
        rows = [json.loads(line) for line in run("http", "--json", "--keylog", str(keys_of(path)), str(path)).splitlines()]
        served = [("/", RECORDING.RESOURCES["/"]), ("/style.css", RECORDING.RESOURCES["/style.css"]),
                  ("/missing", (404, "text/plain", RECORDING.MISSING))]
        assert [(r["method"], r["host"], r["uri"], r["status_code"], r["response_body_len"]) for r in rows] == [
            ("GET", "analyzer.test", p, status, len(body)) for p, (status, _t, body) in served]
        # the frames: the client's HEADERS on stream 0/4/8 (tshark: http3.frame_type 1 from the client), the
        # server's stream end (FIN) on each
        requests = [int(f) for f, sid in fields(path, "http3.frame_type == 1 && udp.dstport == 443", "frame.number",
                                                "quic.stream.stream_id", keys=keys_of(path))]
        ends = {}
        for f, sids, fins in fields(path, "udp.srcport == 443 && quic.stream.fin == 1", "frame.number",
                                    "quic.stream.stream_id", "quic.stream.fin", keys=keys_of(path)):
            for sid, fin in zip(sids.split(","), fins.split(",")):
                if fin == "1":
                    ends[int(sid)] = int(f)
        assert [r["request_frame"] for r in rows] == requests
        assert [r["response_frame"] for r in rows] == [ends[0], ends[4], ends[8]]


def test_damaged_and_cut_datagrams_give_no_traceback(tmp_path: Path):
    """Every datagram of the keyed recording cut short, or with bytes flipped, in turn: the commands end
    normally; a damaged packet is not shown opened (it fails its AEAD tag)."""
    rng = random.Random(10)
    packets = rdpcap(str(KEYED))
    damaged = []
    for i, p in enumerate(packets):
        raw = bytes(p[UDP].payload)
        if i % 2:
            raw = raw[:rng.randrange(1, len(raw))]
        else:
            at = rng.randrange(len(raw))
            raw = raw[:at] + bytes([raw[at] ^ 0x5A]) + raw[at + 1:]
        q = p.copy()
        q[UDP].remove_payload()
        q[UDP].len = None
        q[UDP].chksum = None
        q[UDP].add_payload(raw)
        damaged.append(q)
    out = tmp_path / "damaged.pcap"
    wrpcap(str(out), damaged)
    for command in (["read", "-V"], ["read", "--json"], ["http"], ["har"], ["timeline"]):
        run(*command, "--keylog", str(keys_of(KEYED)), str(out))


def test_packet_numbers_are_rebuilt_as_rfc_9000_appendix_a_says():
    # RFC 9000 A.3's example: largest 0xa82f30ea, 2 bytes 0x9b32 sent -> 0xa82f9b32
    assert decode_packet_number(0xA82F30EA, 0x9B32, 2) == 0xA82F9B32
    assert decode_packet_number(-1, 0, 1) == 0
    assert decode_packet_number(255, 1, 1) == 257


def test_missing_keys_are_said():
    keys = ConnectionKeys(parse_keylog(b""))
    assert keys.missing == "no key log"
    keys = ConnectionKeys(parse_keylog(keys_of(KEYED).read_bytes()))
    assert keys.missing == "no ClientHello seen"
    keys.client_random = b"\x01" * 32
    keys.suite = 0x1301
    assert keys.missing == "no secrets of this connection in the key log"
    keys.suite = 0x1304
    assert keys.missing == "cipher suite 0x1304 not supported"


@pytest.mark.parametrize("path", [KEYED, CHACHA], ids=["aes256", "chacha_key_update"])
def test_read_s_columns_and_http3_fields_are_tshark_s(path: Path):
    """The Protocol column says HTTP3 and the Info column lists the HTTP/3 frames after their STREAM frame
    (``STREAM(2), SETTINGS, MAX_PUSH_ID``) where tshark does: on the STREAM frames that start an HTTP/3 frame
    (a DATA frame's payload spread over several packets shows none); the http3.* fields likewise."""
    keys = keys_of(path)
    names = ("frame.number", "http3.stream_type", "http3.frame_type", "http3.frame_length", "http3.frame_payload",
             "http3.settings.id", "http3.settings.value", "http3.settings.qpack.max_table_capacity",
             "http3.settings.qpack.blocked_streams", "http3.settings.extended_connect")
    assert ours(path, *names, keys=keys) == fields(path, "frame", *names, keys=keys)
    lines = run("read", "--keylog", str(keys), str(path)).splitlines()
    got = [line.split(" → ", 1)[1].split(None, 3)[1:] for line in lines]
    got = [[proto, info.split(None, 1)[1]] for proto, info in ((g[0], g[1] + " " + g[2]) for g in got)]
    assert got == fields(path, "frame", "_ws.col.Protocol", "_ws.col.Info", keys=keys)
    assert sum(proto == "HTTP3" for proto, _i in got) >= 8


def _fetch(path: Path, keys: Path | None, lang: str = "en"):
    import analyzer
    from analyzer.timeline import timeline

    cap = analyzer.open(str(path), keylog=str(keys) if keys is not None else None)
    with cap.open() as reader:
        (fetch,) = timeline(reader, lang, keylog=cap.keylog).fetches
    return fetch


def test_the_timeline_tells_each_http3_request_and_response():
    """The fetch's steps: each GET at the frame of its HEADERS, each response from its HEADERS' frame to the
    frame that ends its stream, with the status and size the script served and tshark's times for TTFB."""
    keys = keys_of(KEYED)
    fetch = _fetch(KEYED, keys)
    assert "HTTP/3" in fetch.steps[0].text or fetch.kind == "quic"
    requests = [s for s in fetch.steps if s.kind == "http3.request"]
    responses = [s for s in fetch.steps if s.kind == "http3.response"]
    assert [s.facts["uri"] for s in requests] == ["/", "/style.css", "/missing"]
    served = [RECORDING.RESOURCES["/"], RECORDING.RESOURCES["/style.css"], (404, "text/plain", RECORDING.MISSING)]
    assert [(s.facts["status"], s.facts["content_type"], s.facts["size"]) for s in responses] == [
        (status, ctype, len(body)) for status, ctype, body in served]
    times = {int(f): float(t) for f, t in fields(KEYED, "frame", "frame.number", "frame.time_epoch")}
    heads = [(int(f), sid) for f, sid in fields(KEYED, "http3.frame_type == 1", "frame.number",
                                                 "quic.stream.stream_id", keys=keys)]
    client = [f for f, _s in heads if f in {int(x) for (x,) in fields(KEYED, "udp.dstport == 443", "frame.number")}]
    server = [f for f, _s in heads if f not in client]
    assert [s.frames[0] for s in requests] == client
    assert [s.frames[0] for s in responses] == server
    for req, resp in zip(requests, responses):
        assert resp.facts["ttfb_ms"] == pytest.approx((times[resp.frames[0]] - times[req.frames[-1]]) * 1000, abs=0.01)
    assert responses[2].problem and not responses[0].problem
    data = next(s for s in fetch.steps if s.kind == "quic.data.keys")
    assert data.facts["requests"] == 3 and data.facts["packets"] == len(fields(
        KEYED, "quic.long.packet_type == 2 || quic.header_form == 0", "frame.number", keys=keys)) + 1
    assert [(r.method, r.uri, r.status, r.http_version) for r in fetch.requests] == [
        ("GET", "/", 200, "HTTP/3"), ("GET", "/style.css", 200, "HTTP/3"), ("GET", "/missing", 404, "HTTP/3")]
    (zh,) = [_fetch(KEYED, keys, "zh")]
    assert any(s.kind == "http3.response" and "HTTP/3 响应" in s.text for s in zh.steps)
    # the fetch is named by its first request's URL, and its first step does not say that only the clear
    # headers could be read (it said so, with the key log's three exchanges told below it)
    # (tshark 4.0 has no QPACK to read :authority: the recording asked the SNI's host for "/" first)
    ((sni,),) = fields(KEYED, "tls.handshake.type == 1", "tls.handshake.extensions_server_name")
    assert fetch.url == f"https://{sni}/" == "https://analyzer.test/"
    assert fetch.steps[0].kind == "quic.initial.hello.keys"
    assert "reads only" not in fetch.steps[0].text and "the key log opens the rest" in fetch.steps[0].text
    # the server's certificate, opened from its Handshake packets, at the frame tshark reads it in
    ((frame, subject, not_after),) = fields(KEYED, "tls.handshake.type == 11", "frame.number", "x509sat.uTF8String",
                                            "x509af.utcTime", keys=keys)
    (cert,) = [s for s in fetch.steps if s.kind == "tls.certificate.decrypted"]
    assert cert.frames == (int(frame),)
    assert cert.facts["subject"] == f"CN={subject.split(',')[-1]}" and cert.facts["chain"] == 1
    assert cert.facts["not_after"].replace("T", " ").rstrip("Z") == not_after.split(",")[-1].removesuffix(" (UTC)")
    # without the key log the certificate stays unread: no such step
    assert not [s for s in _fetch(KEYED, None).steps if s.kind.startswith("tls.certificate")]


def test_the_timeline_says_when_the_key_log_does_not_open_the_connection():
    fetch = _fetch(KEYED, keys_of(CHACHA))
    missing = [s for s in fetch.steps if s.kind == "quic.keys.missing"]
    assert len(missing) == 1 and missing[0].problem
    assert "no secrets of this connection in the key log" in missing[0].text
    assert not [s for s in fetch.steps if s.kind.startswith("http3.")]
    assert fetch.steps[0].kind == "quic.initial.hello" and "only its packets' clear headers" in fetch.steps[0].text
    # without any key log: as before, the encrypted rest is counted and not opened
    plain = _fetch(KEYED, None)
    assert not [s for s in plain.steps if s.kind in ("quic.keys.missing", "quic.data.keys")]
    assert any(s.kind == "quic.data" for s in plain.steps)


def test_har_has_one_entry_per_http3_request():
    har = json.loads(run("har", "--keylog", str(keys_of(KEYED)), str(KEYED)))
    entries = har["log"]["entries"]
    assert [(e["request"]["method"], e["request"]["url"], e["request"]["httpVersion"], e["response"]["status"],
             e["response"]["content"]["size"]) for e in entries] == [
        ("GET", "https://analyzer.test/", "HTTP/3", 200, len(RECORDING.KEYS_PAGE)),
        ("GET", "https://analyzer.test/style.css", "HTTP/3", 200, len(RECORDING.STYLE)),
        ("GET", "https://analyzer.test/missing", "HTTP/3", 404, len(RECORDING.MISSING))]
    assert {e["connection"] for e in entries} == {"udp 0"}
    times = {int(f): float(t) for f, t in fields(KEYED, "frame", "frame.number", "frame.time_epoch")}
    ((initial,),) = fields(KEYED, "frame.number == 1", "frame.number")
    ((server,),) = fields(KEYED, "udp.srcport == 443", "frame.number")[:1]
    # the first entry carries the QUIC handshake: connect from the Initial to the server's first datagram
    assert entries[0]["timings"]["connect"] == pytest.approx(
        (times[int(server)] - times[int(initial)]) * 1000 + entries[0]["timings"]["ssl"], abs=0.002)
    assert all(e["timings"]["connect"] == -1 for e in entries[1:])


def test_export_objects_writes_the_bodies_the_recording_served(tmp_path: Path):
    out = tmp_path / "objects"
    run("export-objects", "--keylog", str(keys_of(KEYED)), str(KEYED), str(out))
    written = {p.read_bytes() for p in out.iterdir()}
    assert written == {RECORDING.KEYS_PAGE, RECORDING.STYLE, RECORDING.MISSING}


def test_garbage_on_http3_streams_is_bounded_and_raises_nothing():
    """Random STREAM frames (any stream, offset, bytes, FIN) into one session: no exception; what it holds stays
    within its bounds (streams, out-of-order bytes per stream); what it hands out are records."""
    from analyzer.apps import http3

    tracker = http3.Http3Tracker(parse_keylog(b""))
    session = http3.QuicSession(tracker, ("10.0.0.1", 5000), ("10.0.0.2", 443), 0)
    rng = random.Random(3)
    for frame in range(1, 3000):
        sid = rng.choice([0, 2, 3, 4, 6, 7, 10, 11, rng.randrange(1 << 20)])
        offset = rng.choice([0, rng.randrange(64), rng.randrange(1 << 30)])
        data = rng.randbytes(rng.randrange(0, 300))
        if rng.random() < 0.3:      # an HTTP/3 frame header first: HEADERS, DATA, SETTINGS of any length
            data = bytes([rng.choice([0, 1, 4]), rng.randrange(64)]) + data
        session.stream_frame(rng.randrange(2), sid, offset, data, rng.random() < 0.1, frame, frame * 1000)
        session.view(rng.randrange(2), sid, offset, data)
        assert len(session.streams) <= http3.MAX_STREAMS
        assert all(s.held_bytes <= http3.MAX_HELD for s in session.streams.values())
    session.finish("capture ended")
    assert all(isinstance(r, http3.HttpRecord) for r in tracker.records)


def test_the_quic_conversation_is_said_quic_and_its_http3_transactions_name_it():
    """conn.log's service (Zeek says quic for a QUIC connection; with the key log, its HTTP/3 makes it http
    too), and each HTTP/3 transaction's uid is the UDP conversation's (tshark -z conv,udp: one conversation)."""
    import analyzer

    convs = [line for line in subprocess_tshark_conv(KEYED) if "<->" in line]
    assert len(convs) == 1
    for keys, service, n in ((keys_of(KEYED), "http,quic", 3), (None, "quic", 0)):
        cap = analyzer.open(str(KEYED), keylog=str(keys) if keys else None)
        (udp,) = cap.udp
        assert udp.service == service
        assert [h.uid for h in cap.http] == [udp.uid] * n


def subprocess_tshark_conv(path: Path) -> list[str]:
    import subprocess

    from tshark_query import TSHARK
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    return subprocess.run([TSHARK, "-r", str(path), "-q", "-z", "conv,udp"], capture_output=True, text=True,
                          check=True).stdout.splitlines()


def test_logs_put_http3_on_its_udp_conversation(tmp_path: Path):
    """analyzer logs: conn has the one UDP conversation (service http,quic), http its three transactions and
    files their three bodies, all under the conversation's uid (not a TCP stream's of the same number)."""
    out = tmp_path / "logs"
    run("logs", "--format", "jsonl", "--keylog", str(keys_of(KEYED)), str(KEYED), "-o", str(out))

    def rows(name: str) -> list[dict]:
        return [json.loads(line) for p in sorted((out / name).rglob("*.jsonl")) for line in p.read_text().splitlines()]

    (conn,) = rows("conn")
    assert (conn["proto"], conn["service"], conn["id.resp_p"]) == ("udp", "http,quic", 443)
    http, files = rows("http"), rows("files")
    assert [h["uri"] for h in http] == ["/", "/style.css", "/missing"]
    assert {h["uid"] for h in http} == {conn["uid"]}
    assert sorted(f["seen_bytes"] for f in files) == sorted(
        len(b) for b in (RECORDING.KEYS_PAGE, RECORDING.STYLE, RECORDING.MISSING))


def test_without_keys_the_timeline_says_what_would_open_quic():
    """Without a key log the steps say the session's keys are missing (and how to give them), not that the
    analyzer cannot read QUIC: with the key log of the same recording it opens the HTTP/3 requests."""
    for lang, words in (("en", ("without the session's keys", "--keylog")), ("zh", ("没有这次会话的密钥", "--keylog"))):
        plain = _fetch(KEYED, None, lang)
        for kind in ("quic.initial.hello", "quic.data"):
            (step,) = [s for s in plain.steps if s.kind == kind]
            assert all(w in step.text for w in words), (lang, kind, step.text)
            assert "not decoded here" not in step.text and "不解码" not in step.text
    assert [s.kind for s in _fetch(KEYED, keys_of(KEYED)).steps if s.kind.startswith("http3.request")]
