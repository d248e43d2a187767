"""The ``tls`` log (Zeek's ssl.log) against tshark on the recorded HTTPS fixtures, and TLS keys (a key log,
or a pcapng's Decryption Secrets Block) in parallel runs: the units of work and stitch tasks hold the keys
one process holds, so the decrypted HTTP rows and the tls rows equal the single-process run."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import analyzer
from analyzer.apps.tls.keylog import KeyLog, parse_keylog
from analyzer.capture.frame import Frame
from analyzer.logs import engine

FIXTURES = Path(__file__).parent / "fixtures" / "tls"
TSHARK = shutil.which("tshark")
CAPTURES = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".pcap", ".pcapng"))
# Zeek's SSL::version_strings for the names tshark shows
ZEEK_VERSIONS = {"TLS 1.0": "TLSv10", "TLS 1.1": "TLSv11", "TLS 1.2": "TLSv12", "TLS 1.3": "TLSv13"}
RDN = {"id-at-commonName": "CN", "id-at-organizationName": "O", "id-at-countryName": "C",
       "id-at-organizationalUnitName": "OU", "id-at-localityName": "L", "id-at-stateOrProvinceName": "ST"}


def _keys(name: str) -> Path | None:
    keys = FIXTURES / (name.rsplit(".", 1)[0] + ".keys")
    return keys if keys.exists() else None


def _name(showname: str) -> str:
    """``"Cipher Suite: TLS_AES_256_GCM_SHA384 (0x1302)"`` -> ``"TLS_AES_256_GCM_SHA384"``."""
    return showname.split(": ", 1)[1].rsplit(" (", 1)[0]


def _tshark_sessions(name: str, keys: Path | None) -> dict[int, dict]:
    """What tshark shows of each TCP stream's handshake (its PDML), as the ssl.log columns."""
    cmd = [TSHARK, "-n", "-r", str(FIXTURES / name), "-Y", "tls.handshake", "-T", "pdml"]
    if keys is not None:
        cmd[2:2] = ["-o", f"tls.keylog_file:{keys}"]
    pdml = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    out: dict[int, dict] = {}
    for packet in ET.fromstring(pdml).iter("packet"):
        stream = int(next(f for f in packet.iter("field") if f.get("name") == "tcp.stream").get("show"))
        s = out.setdefault(stream, {"cert_chain_fps": [], "subject": None, "curve": None, "next_protocol": None,
                                    "ch_sid": None})
        for hs in packet.iter("field"):
            if hs.get("name") != "tls.handshake":
                continue
            fields = {}
            for f in hs.iter("field"):
                fields.setdefault(f.get("name"), []).append(f)
            kind = fields.get("tls.handshake.type", [None])[0]
            if kind is None:
                continue
            kind = int(kind.get("show"))

            def shown(field: str, fields=fields) -> str | None:
                got = fields.get(field)
                return got[0].get("showname") if got else None

            if kind == 1:
                sni = fields.get("tls.handshake.extensions_server_name")
                s["server_name"] = sni[0].get("show") if sni else None
                sid = fields.get("tls.handshake.session_id")
                s["ch_sid"] = sid[0].get("value") if sid else None
            elif kind == 2:        # the last ServerHello wins (a HelloRetryRequest comes first)
                version = shown("tls.handshake.extensions.supported_version") or shown("tls.handshake.version")
                s["version"] = ZEEK_VERSIONS[_name(version)]
                s["cipher"] = _name(shown("tls.handshake.ciphersuite"))
                group = shown("tls.handshake.extensions_key_share_group")
                s["curve"] = _name(group) if group else s["curve"]
                alpn = fields.get("tls.handshake.extensions_alpn_str")
                s["next_protocol"] = alpn[0].get("show") if alpn else None
                types = {int(f.get("show")) for f in fields.get("tls.handshake.extension.type", [])}
                sid = fields.get("tls.handshake.session_id")
                s["resumed"] = (41 in types) if s["version"] == "TLSv13" else bool(
                    sid and s["ch_sid"] and sid[0].get("value") == s["ch_sid"])
            elif kind == 8:        # EncryptedExtensions (TLS 1.3): the ALPN answer, seen with keys only
                alpn = fields.get("tls.handshake.extensions_alpn_str")
                if alpn:
                    s["next_protocol"] = alpn[0].get("show")
            elif kind == 11:
                for cert in fields.get("tls.handshake.certificate", []):
                    s["cert_chain_fps"].append(hashlib.sha256(bytes.fromhex(cert.get("value"))).hexdigest())
                    if s["subject"] is None:
                        rdns = cert.get("showname").rsplit(" (", 1)[1].rstrip(")")
                        s["subject"] = ",".join(f"{RDN[k]}={v}" for k, v in
                                                (p.split("=", 1) for p in rdns.split(",")))
            elif kind == 12:
                curve = shown("tls.handshake.server_named_curve")
                if curve:
                    s["curve"] = _name(curve)
    for s in out.values():
        del s["ch_sid"]
    return out


# every fixture carried TLS but this one (a proxy's 407: no tunnel was opened)
NO_TLS = "connect_proxy_refused.pcap"
# recorded so that the handshake fails: a client refusing the certificate (in clear, or encrypted in place of
# its Finished), a server refusing the TLS version
FAILED = {"tls13_cert_unknown_ca.pcap", "tls12_cert_unknown_ca.pcap", "tls13_cert_rejected_gnutls.pcap",
          "tls_version_refused.pcap"}


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed")
@pytest.mark.parametrize("with_keys", [False, True], ids=["no-keys", "keylog"])
@pytest.mark.parametrize("name", CAPTURES)
def test_tls_rows_equal_tshark(name, with_keys):
    keys = _keys(name) if with_keys else None
    if with_keys and keys is None:
        pytest.skip("no key log beside this capture: its keys are inside it (a pcapng's Decryption Secrets Block), "
                    "or its handshake failed before any secret was made")
    expected = _tshark_sessions(name, keys)
    cap = analyzer.open(str(FIXTURES / name), keylog=str(keys) if keys else None)
    rows = {t.stream: t for t in cap.tls}
    assert set(rows) == set(expected) and bool(rows) == (name != NO_TLS)
    conns = {c.stream: c for c in cap.connections}
    for stream, want in expected.items():
        got = rows[stream]
        assert got.uid == conns[stream].uid and got.orig_h == conns[stream].orig_h
        assert {k: getattr(got, k) for k in want} == {**want, "cert_chain_fps": tuple(want["cert_chain_fps"])}, \
            (name, stream)
        # every fixture's handshake completed but those recorded to fail (scripts/record_tls_fixtures.py)
        assert got.established == (name not in FAILED), (name, stream)
        if got.cert_chain_fps:
            assert got.sni_matches_cert is True
    # the certificates of TLS 1.3 are encrypted: only seen with keys (as tshark sees them)
    if any(r.version == "TLSv13" for r in rows.values()) and keys is None and name.endswith(".pcap"):
        assert not any(r.cert_chain_fps for r in rows.values())


# Zeek's ssl_history letters (base/protocols/ssl/main.zeek's table) by TLS handshake type; 20 ChangeCipherSpec,
# 21 alert, 24 heartbeat by content type. Written here from Zeek's documentation, not from the analyzer.
ZEEK_HS_LETTERS = {0: "h", 1: "c", 2: "s", 3: "v", 4: "t", 5: "e", 6: "j", 8: "o", 11: "x", 12: "k", 13: "r",
                   14: "n", 15: "y", 16: "g", 20: "f", 21: "w", 22: "u", 23: "a", 24: "p", 254: "m"}
HRR_RANDOM = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"     # RFC 8446 4.1.3


def _tshark_ssl_history(name: str) -> dict[int, str]:
    """Each TCP stream's ssl_history as Zeek would write it, from what tshark reads without keys: per record in
    frame order, a letter for each handshake message in clear, each ChangeCipherSpec, each readable alert and
    heartbeat; uppercase when the ClientHello's sender sent it. (tshark cannot be kept from a pcapng's own
    secrets: the records it decrypted are left out here.)"""
    cmd = [TSHARK, "-n", "-r", str(FIXTURES / name), "-o", "tls.keylog_file:", "-Y", "tls", "-T", "pdml"]
    pdml = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    history: dict[int, list[str]] = {}
    client: dict[int, str] = {}
    for packet in ET.fromstring(pdml).iter("packet"):
        fields = {f.get("name"): f.get("show") for f in packet.iter("field") if f.get("name", "").startswith("tcp.")}
        stream, sender = int(fields["tcp.stream"]), fields["tcp.srcport"]
        letters = history.setdefault(stream, [])
        for record in (f for f in packet.iter("field") if f.get("name") == "tls.record"):
            inside = list(record.iter("field"))
            if any(f.get("name") == "tls.record.opaque_type" for f in inside):
                continue        # TLS 1.3 encrypted (a pcapng's secrets block lets tshark open it): not in clear
            ctype = next((int(f.get("show")) for f in inside if f.get("name") == "tls.record.content_type"), None)
            found = []
            if ctype == 22:
                for f in inside:
                    if f.get("name") == "tls.handshake.type":
                        kind = int(f.get("show"))
                        if kind == 1:
                            client.setdefault(stream, sender)
                        found.append(ZEEK_HS_LETTERS.get(kind, "z"))
                    elif f.get("name") == "tls.handshake.random" and f.get("value") == HRR_RANDOM:
                        found[-1] = "j"
            elif ctype == 20:
                found.append("i")
            elif ctype == 21 and any(f.get("name") == "tls.alert_message.level" for f in inside):
                found.append("l")
            elif ctype == 24:
                found.append("b")
            letters += [(sender, letter) for letter in found]
    return {s: "".join(c.upper() if who == client.get(s) else c for who, c in letters)
            for s, letters in history.items()}


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed")
@pytest.mark.parametrize("name", CAPTURES)
def test_ssl_history_is_what_tshark_reads_in_clear(name):
    """Zeek's documented ssl_history (TLS 1.2 ``CsxknGIi``, TLS 1.3 ``CsiI``), from tshark's records; the keys
    change nothing (Zeek decrypts application data only)."""
    expected = _tshark_ssl_history(name)
    keys = _keys(name)
    for keylog in (None, keys) if keys else (None,):
        rows = {t.stream: t.ssl_history for t in analyzer.open(str(FIXTURES / name), keylog=keylog).tls}
        assert rows == {s: h for s, h in expected.items() if s in rows}, (name, keylog)
        assert bool(rows) == (name != NO_TLS) == bool(expected), (name, keylog)


def test_validation_status_of_the_fixtures_self_signed_certificate():
    """The fixtures' server certificate is signed by itself (tshark: issuer = subject): OpenSSL's, so Zeek's,
    ``self-signed certificate``; with no certificate visible (TLS 1.3 without keys) there is no status."""
    for keylog in (None, FIXTURES / "tls13_http11.keys"):
        (row,) = analyzer.open(str(FIXTURES / "tls13_http11.pcap"), keylog=keylog).tls
        if keylog is not None:
            assert row.subject == row.issuer and row.subject
        assert row.validation_status == ("self-signed certificate" if keylog else None)


def _copies(tmp_path: Path, name: str, n: int = 4) -> Path:
    """The capture ``n`` times over, each copy 1000 s after the one before and on its own client port (a
    file the tests cut into chunks holding whole connections and pieces of others). A pcapng's Decryption
    Secrets Blocks are written once, at the start, as editcap --inject-secrets puts them."""
    from analyzer.capture.writer import PcapngWriter

    src = FIXTURES / name
    out = tmp_path / ("copies" + src.suffix)
    with analyzer.open(str(src)).open() as reader:
        frames = list(reader)
        secrets = list(getattr(reader, "secrets", []))
    client = None
    with PcapngWriter(out) as writer:
        for kind, data in secrets:
            writer.write_secrets(kind, data)
        for rep in range(n):
            for f in frames:
                data = bytearray(f.data)
                if data[12:14] == b"\x08\x00" and data[23] == 6:
                    at = 14 + (data[14] & 0x0F) * 4
                    sport, dport = int.from_bytes(data[at:at + 2], "big"), int.from_bytes(data[at + 2:at + 4], "big")
                    client = client or (sport if dport in (443, 8443, 4443) else dport)
                    for off, port in ((at, sport), (at + 2, dport)):
                        if port == client:
                            data[off:off + 2] = (port + rep).to_bytes(2, "big")
                writer.write(Frame(f.number, f.ts_ns + rep * 1000 * 10**9, f.origlen, f.iface, f.linktype,
                                   bytes(data)))
    return out


@pytest.mark.parametrize("name", ["tls13_http11_dsb.pcapng", "tls12_cbc.pcap", "tls13_aes256_multi.pcap"])
def test_keys_reach_every_unit_of_a_parallel_run(name, tmp_path):
    """Chunks of 1.5 kB: the Decryption Secrets Block (or the key log) is far from most chunks; some
    connections lie inside one chunk, most cross chunk boundaries (stitched). Same HTTP, files and tls rows
    as one process, every connection decrypted."""
    keys = _keys(name)
    path = _copies(tmp_path, name)
    keylog = KeyLog().merge(parse_keylog(keys.read_bytes())) if keys else None
    single = analyzer.open(str(path), keylog=keylog).analyze()
    assert len(single.tls) >= 4 and all(t.decrypted for t in single.tls)
    assert len(single.http) >= 4
    units = engine.plan_units([str(path)], 1, 1500)
    assert len(units) > 10
    got = engine.run_parallel([str(path)], "tx", workers=1, chunk_size=1500,
                              keylog=KeyLog().merge(keylog) if keylog else None)
    for table in ("connections", "udp", "dns", "http", "files", "tls"):
        assert getattr(got, table) == getattr(single, table), table


def test_a_secrets_block_is_in_force_from_the_frame_after_it():
    """The rule of engine.secrets_in_force: a block after the k-th frame of its file is in force from that
    frame's merged number + 1; before a file's first frame, from frame 1 (one file and merges alike)."""
    units = [engine.Unit(0, 0, "a"), engine.Unit(1, 1, "b")]
    counts = {0: engine.Census(0, frames=5, secrets=[(0, 1, b"x"), (3, 1, b"y")]),
              1: engine.Census(1, frames=4, secrets=[(0, 1, b"z"), (4, 1, b"w")])}
    numbering = {0: engine.Numbering(0), 1: engine.Numbering(5)}
    assert engine.secrets_in_force(units, counts, numbering) == [
        (1, 1, b"x"), (1, 1, b"z"), (4, 1, b"y"), (10, 1, b"w")]
    # a chunk of the same file: a block before its first frame follows the previous chunk's last frame
    units = [engine.Unit(0, 0, "a"), engine.Unit(1, 0, "a")]
    counts = {0: engine.Census(0, frames=5), 1: engine.Census(1, frames=4, secrets=[(0, 1, b"z")])}
    assert engine.secrets_in_force(units, counts, numbering) == [(6, 1, b"z")]


def _run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analyzer", *map(str, args)], capture_output=True, text=True,
                          timeout=300, check=False)


def test_logs_and_http_commands_decrypt_the_same_with_two_processes(tmp_path):
    pytest.importorskip("distributed")
    pytest.importorskip("pyarrow")
    from analyzer.logs.write import LOGS, read_logs

    dsb = _copies(tmp_path, "tls13_http11_dsb.pcapng")
    one, two = tmp_path / "one", tmp_path / "two"
    r1 = _run("logs", dsb, "-o", one, "-j", "1")
    r2 = _run("logs", dsb, "-o", two, "-j", "2")
    assert r1.returncode == r2.returncode == 0, r2.stderr
    for log in LOGS:
        assert read_logs(str(two), log) == read_logs(str(one), log), log
    assert len(read_logs(str(one), "http")) == 4 and len(read_logs(str(one), "tls")) == 4
    name = "tls13_aes256_multi.pcap"
    h1 = _run("http", "--json", "--keylog", _keys(name), FIXTURES / name, "-j", "1")
    h2 = _run("http", "--json", "--keylog", _keys(name), FIXTURES / name, "-j", "2")
    assert h1.returncode == h2.returncode == 0, h2.stderr
    assert h2.stdout == h1.stdout and len(h1.stdout.splitlines()) == 3
