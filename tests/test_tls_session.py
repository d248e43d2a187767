"""The TLS sink and its session facts on the recorded fixtures (what the timeline builds on), fed whole and
one byte at a time; and bad input: truncated records, lying lengths, records over 2^14 + 2048 bytes, garbage
after a ClientHello, a wrong key, unbounded streams. Never an exception; a note or a DecodeFailure."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from analyzer.apps.http.sink import HttpTracker
from analyzer.apps.tls import TlsTracker, parse_keylog
from analyzer.apps.tls.facts import MAX_RECORDS_KEPT
from analyzer.apps.tls.session import MAX_HANDSHAKE_MESSAGE
from analyzer.apps.transactions import Transactions
from analyzer.capture import open_capture, open_writer
from analyzer.capture.frame import Frame
from analyzer.decode.packet import Packet
from analyzer.pipeline import Pipeline

FIXTURES = Path(__file__).parent / "fixtures" / "tls"


def run(name: str, keys: bool = True, keylog=None):
    if keylog is None and keys:
        keylog = parse_keylog((FIXTURES / name.replace(".pcap", ".keys")).read_bytes())
    tx = Transactions(keylog=keylog)
    pipe = Pipeline(transactions=tx)
    with open_capture(FIXTURES / name) as reader:
        packets = list(pipe.run(reader))
    return tx, packets


# -- facts on real handshakes ---------------------------------------------------------------------------
def test_tls13_fetch_facts():
    tx, _ = run("tls13_http11.pcap")
    (s,) = tx.tls.sessions
    assert (s.version, s.alpn, s.sni, s.resumed, s.decrypted, s.key_note) == (
        "TLS 1.3", "http/1.1", "analyzer.test", False, True, None)
    assert s.client == ("127.0.0.1", s.client[1]) and s.server[1] == 443 and s.client_dir == 0
    kinds = [(m.kind, m.frame, m.encrypted) for m in s.handshake]
    assert kinds[:2] == [("client_hello", 4, False), ("server_hello", 6, False)]
    assert ("certificate", 6, True) in kinds and ("finished", 8, True) in kinds
    assert [m.frame for m in s.messages("new_session_ticket")] == [11, 12]
    assert s.client_hello.versions[0] == "TLS 1.3" and "x25519" in s.client_hello.key_share_groups
    assert s.server_hello.key_share_group == "x25519"
    (cert,) = s.certificates
    assert cert.encrypted and "analyzer.test" in cert.san and cert.subject.startswith("CN=analyzer.test")
    assert [(a.frame, a.description) for a in s.close_notify] == [(15, "Close Notify")]
    assert [(r.frame, r.direction) for r in s.app_data] == [(9, 0), (14, 1)]


def test_tls13_without_keys_still_tells_the_handshake():
    tx, _ = run("tls13_http11.pcap", keys=False)
    (s,) = tx.tls.sessions
    assert s.version == "TLS 1.3" and not s.decrypted and "no key log" in s.key_note
    assert s.alpn is None and not s.certificates            # both are encrypted in TLS 1.3
    assert [m.frame for m in s.handshake if m.kind == "encrypted_handshake"] == [6, 6, 6, 6]
    assert [(m.frame, m.direction) for m in s.messages("finished")] == [(8, 0)]
    assert s.alerts == ()                                    # the close_notify is opaque application data
    assert s.app_data_totals[0][0] == 2 and s.app_data_totals[1][0] == 3


def test_tls12_certificate_in_clear_and_resumption():
    tx, _ = run("tls12_cbc.pcap", keys=False)
    first, second = tx.tls.sessions
    assert first.version == "TLS 1.2" and first.cipher_suite == "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"
    assert first.certificates and not first.certificates[0].encrypted and not first.resumed
    assert second.resumed and not second.certificates
    assert [m.kind for m in second.handshake[:3]] == ["client_hello", "server_hello", "finished"]
    assert second.key_note and "no key log" in second.key_note


def test_tls13_psk_resumption_and_hello_retry():
    tx, _ = run("tls13_chacha_resumed.pcap")
    assert [s.resumed for s in tx.tls.sessions] == [False, True]
    assert tx.tls.sessions[1].client_hello.psk_offered
    tx, _ = run("tls13_hrr.pcap")
    (s,) = tx.tls.sessions
    assert s.hello_retry is not None and s.hello_retry.hello_retry and s.hello_retry.key_share_group == "secp384r1"
    assert [m.kind for m in s.handshake[:4]] == ["client_hello", "hello_retry_request", "client_hello",
                                                 "server_hello"]
    assert s.decrypted


def test_wrong_key_is_a_note_and_the_handshake_still_decodes():
    text = (FIXTURES / "tls12_gcm.keys").read_text().split()
    wrong = parse_keylog(f"CLIENT_RANDOM {text[1]} {'00' * 48}\n")
    tx, packets = run("tls12_gcm.pcap", keylog=wrong)
    (s,) = tx.tls.sessions
    assert not s.decrypted and "decryption failed" in s.key_note
    assert not tx.http.records
    assert any("not decrypted" in n[2] for p in packets for n in p.notes)
    assert s.certificates and s.server_hello.cipher_suite == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"


def test_key_for_another_connection():
    other = (FIXTURES / "tls13_http11.keys").read_bytes()
    tx, _ = run("tls13_hrr.pcap", keylog=parse_keylog(other))
    assert "no key for this connection" in tx.tls.sessions[0].key_note


# -- fed whole and one byte at a time ------------------------------------------------------------------------
class Recorder:
    def __init__(self, out: list):
        self.out = out

    def data(self, direction, data, frame, ts_ns):
        self.out.append((direction, bytes(data), frame.frame.number if isinstance(frame, Packet) else 0, ts_ns))

    def gap(self, direction, nbytes):
        pass

    def fin(self, direction):
        pass

    def rst(self, direction):
        pass

    def close(self):
        pass


class Side:
    def __init__(self, addr, port):
        self.addr, self.port, self.syn_frame = addr, port, 1
        self.fin_ts = self.fin_frame = self.rst_ts = self.rst_frame = None


class Conn:
    def __init__(self, stream=0):
        self.stream = stream
        self.sides = (Side("10.0.0.1", 40000), Side("10.0.0.2", 443))
        self.sink = None


def chunks_of(name: str) -> list:
    out: list = []
    pipe = Pipeline(sinks=lambda conn: Recorder(out) if conn.stream == 0 else None, dns_over_tcp=False)
    with open_capture(FIXTURES / name) as reader:
        for _ in pipe.run(reader):
            pass
    return out


def replay(chunks, keylog, split: bool):
    http = HttpTracker(fields=True)
    tracker = TlsTracker(keylog=keylog, http=http)
    conn = Conn()
    sink = tracker(conn)
    for direction, data, number, ts in chunks:
        pieces = [data[i:i + 1] for i in range(len(data))] if split else [data]
        pkt = Packet(Frame(number, ts, 60, 0, 1, b"\0" * 60))
        for piece in pieces:
            sink.data(direction, piece, pkt, ts)
    sink.close()
    return tracker.sessions, http.records


@pytest.mark.parametrize("name", ["tls13_aes256_multi.pcap", "tls12_cbc.pcap"])
def test_whole_and_byte_by_byte_give_the_same_facts(name):
    chunks = chunks_of(name)
    keylog = parse_keylog((FIXTURES / name.replace(".pcap", ".keys")).read_bytes())
    whole, whole_http = replay(chunks, keylog, split=False)
    split, split_http = replay(chunks, keylog, split=True)
    assert whole == split
    assert whole[0].decrypted
    assert [r.transaction.request.target for r in whole_http] == [r.transaction.request.target for r in split_http]
    assert len(whole_http) >= 1


# -- bad input ---------------------------------------------------------------------------------------------
def record(ctype: int, body: bytes, version: int = 0x0303) -> bytes:
    return struct.pack("!BHH", ctype, version, len(body)) + body


def client_hello(extensions: bytes = b"") -> bytes:
    body = struct.pack("!H", 0x0303) + bytes(32) + b"\0" + struct.pack("!H", 2) + b"\x13\x01" + b"\x01\0"
    body += struct.pack("!H", len(extensions)) + extensions
    return b"\x01" + len(body).to_bytes(3, "big") + body


def feed(*chunks):
    """Feed (direction, bytes) chunks, one packet each; the tracker and the packets."""
    tracker = TlsTracker(http=HttpTracker())
    sink = tracker(Conn())
    packets = []
    for i, (direction, data) in enumerate(chunks, 1):
        pkt = Packet(Frame(i, i * 1000, 60, 0, 1, b"\0" * 60))
        packets.append(pkt)
        sink.data(direction, data, pkt, i * 1000)
    sink.close()
    return tracker, packets


def test_truncated_record_is_held_then_dropped_at_close():
    tracker, packets = feed((0, record(22, client_hello())[:40]))
    (s,) = tracker.sessions
    assert s.client_hello is None and packets[0].failure is None


def test_lying_extension_length_is_a_decode_failure_with_the_fields_before_it():
    bad = bytearray(client_hello(struct.pack("!HH", 0, 200) + b"\0\x05"))
    _tracker, packets = feed((0, record(22, bytes(bad))))
    pkt = packets[0]
    assert pkt.failure is not None and pkt.failure.layer == "tls" and "Client Hello" in pkt.failure.reason
    assert pkt.fields["tls.handshake.ciphersuite"] == "0x1301"


def test_record_longer_than_the_maximum_stops_the_direction_with_a_note():
    huge = struct.pack("!BHH", 23, 0x0303, (1 << 14) + 2049) + b"\0" * 100
    _tracker, packets = feed((0, record(22, client_hello())), (0, huge), (0, record(23, b"x" * 40)))
    assert any("exceeds the maximum" in n[2] for n in packets[1].notes)
    assert packets[1].layer("tls").info == ["Ignored Unknown Record"]
    assert packets[2].layer("tls") is None        # nothing more is read in that direction


def test_records_of_2_14_bytes_and_more_are_read():
    big = record(23, b"\xab" * ((1 << 14) + 100))
    tracker, packets = feed((0, record(22, client_hello())), (0, big))
    assert packets[1].fields["tls.record.length"] == (1 << 14) + 100
    assert tracker.sessions[0].app_data_totals[0] == (1, (1 << 14) + 100)


def test_garbage_after_a_client_hello():
    tracker, packets = feed((0, record(22, client_hello()) + b"\x00GARBAGE\xff" * 50), (1, b"HTTP/1.1 200 OK\r\n"))
    assert packets[0].layer("tls").info[0] == "Client Hello"
    assert packets[0].layer("tls").info[-1] == "Ignored Unknown Record"
    assert any("not a TLS record" in n[2] for n in packets[0].notes)
    assert tracker.sessions[0].client_hello is not None


def test_not_tls_at_all_gives_up_at_once():
    tracker = TlsTracker()
    conn = Conn()
    sink = tracker(conn)
    conn.sink = sink
    sink.data(0, b"GET / HTTP/1.1\r\n\r\n", None, 1)
    assert sink.dead and conn.sink is None and not tracker.open


def test_memory_is_bounded_per_connection():
    # a handshake message that claims 16 MB: refused, not buffered
    claim = b"\x0b" + (1 << 24 - 1).to_bytes(3, "big")
    tracker, packets = feed((0, record(22, client_hello())), (1, record(22, claim + b"\0" * 1000)))
    assert packets[1].failure is not None and str(MAX_HANDSHAKE_MESSAGE) in packets[1].failure.reason
    # many application-data records: the facts keep a bounded list, the totals count them all
    tracker = TlsTracker()
    sink = tracker(Conn())
    sink.data(0, record(22, client_hello()), None, 1)
    one = record(23, b"z" * 30)
    for i in range(MAX_RECORDS_KEPT + 500):
        sink.data(0, one, None, i)
    sink.close()
    (s,) = tracker.sessions
    assert len(s.app_data) == MAX_RECORDS_KEPT and s.app_data_totals[0] == (MAX_RECORDS_KEPT + 500,
                                                                              30 * (MAX_RECORDS_KEPT + 500))


# -- Decryption Secrets Blocks ------------------------------------------------------------------------------
def test_dsb_capture_decrypts_without_a_key_log_and_the_writer_keeps_it(tmp_path):
    from analyzer.apps.tls.keylog import KeyLog, secrets_receiver

    keylog = KeyLog()
    tx = Transactions(keylog=keylog)
    pipe = Pipeline(transactions=tx)
    out = tmp_path / "copy.pcapng"
    with open_writer(out) as writer, open_capture(FIXTURES / "tls13_http11_dsb.pcapng",
                                                   on_secrets=lambda k, d: (secrets_receiver(keylog)(k, d),
                                                                            writer.write_secrets(k, d))) as r:
        for pkt in pipe.run(r):
            writer.write(pkt.frame)
    assert tx.tls.sessions[0].decrypted and len(tx.http.records) == 1
    with open_capture(out) as again:
        frames = list(again)
        assert len(again.secrets) == 1 and again.secrets[0][0] == 0x544C534B
    assert len(frames) == 18


def test_verbose_tree_explains_the_handshake():
    from analyzer.report.tree import Tree

    _tx, packets = run("tls13_http11.pcap", keys=False)
    tree = Tree()
    text = "\n".join(tree.render(p) for p in packets)
    assert "Transport Layer Security" in text
    assert "Server Name (SNI): analyzer.test  [sent in clear text" in text
    assert "[TLS 1.3: everything after this message is encrypted, the certificate included]" in text
    assert "[Encrypted with keys this capture does not hold: no key log given" in text
    _tx, packets = run("tls12_gcm.pcap")
    text = "\n".join(Tree().render(p) for p in packets)
    assert "Names (SAN): analyzer.test, www.analyzer.test, hrr.analyzer.test" in text
    assert "Handshake Protocol: Finished (decrypted)" in text
