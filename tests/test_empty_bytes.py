"""A byte field of length zero, as tshark writes it: ``<MISSING>`` in ``-T fields`` and in the JSON lines
(tshark's ``-T ek``), never an empty text that reads as "absent". The TLS extensions tshark shows as data
even when empty (a client's empty session_ticket, GREASE and other types it has no dissector for) and the
ones it reads itself (compress_certificate) are the cases real captures hold; every expected value is
tshark's, asked at test time."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from tshark_run import tshark_output

from analyzer.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed")

FIELDS = ("frame.number", "tls.handshake.extension.type", "tls.handshake.extension.data",
          "tls.compress_certificate.algorithm", "tls.handshake.session_ticket", "tls.handshake.session_ticket_nonce")
CASES = [
    ROOT / "tests/fixtures/tls/tls13_chromium_page.pcap",      # GREASE (empty and 1 byte), compress_certificate
    ROOT / "tests/fixtures/tls/tls13_wget_page.pcap",          # a client's empty session_ticket
    ROOT / "tests/fixtures/quic/http3_0rtt.pcap",              # a NewSessionTicket with an empty nonce
    CORPUS / "pcapng_11_interfaces_macos_dumpcap.pcapng",      # a client's ticket (180 bytes); channel_id empty
]


def path_of(case: Path) -> Path:
    if not case.exists():
        pytest.skip(f"{case} is not there (the corpus lives in ../shared/corpus)")
    return case


def keylog(path: Path) -> list[str]:
    keys = path.with_suffix(".keys")
    return ["--keylog", str(keys)] if keys.exists() else []


def tshark_keys(path: Path) -> list[str]:
    keys = path.with_suffix(".keys")
    return ["-o", f"tls.keylog_file:{keys}"] if keys.exists() else []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fields_lines_equal_tshark(case):
    path = path_of(case)
    cmd = [TSHARK, "-r", str(path), *tshark_keys(path), "-Y", "tls.handshake.type", "-T", "fields"]
    for f in FIELDS:
        cmd += ["-e", f]
    theirs = tshark_output(cmd, path).splitlines()
    args = ["read", "-r", str(path), *keylog(path), "-Y", "tls.handshake.type", "-T", "fields"]
    for f in FIELDS:
        args += ["-e", f]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == theirs
    assert any("<MISSING>" in line for line in theirs)        # the case holds an empty byte field


@pytest.mark.parametrize("case", CASES[:2], ids=[c.name for c in CASES[:2]])
def test_json_lines_write_empty_bytes_as_tshark_ek_does(case):
    path = path_of(case)
    field = "tls.handshake.extension.data"
    ek = tshark_output([TSHARK, "-r", str(path), *tshark_keys(path), "-Y", "tls.handshake.type == 1", "-T", "ek",
                        "-e", field], path)
    theirs = [json.loads(line)["layers"][field.replace(".", "_")] for line in ek.splitlines()
              if '"layers"' in line]
    result = CliRunner().invoke(main, ["read", "-r", str(path), *keylog(path), "-Y", "tls.handshake.type == 1",
                                       "--json"])
    assert result.exit_code == 0, result.output
    ours = [json.loads(line)[field] for line in result.output.splitlines()]
    ours = [v if isinstance(v, list) else [v] for v in ours]
    assert ours == theirs
