"""Issue 13's crafted captures against tshark 4.0 (the oracle): every field of ``analyzer verify``'s vocabulary,
frame by frame, and the Info column of ``analyzer read`` (tests/fixtures/parity/craft.py tells each story)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from click.testing import CliRunner
from fixtures.parity import craft

from analyzer import verify
from analyzer.cli.main import main

TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed")


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    return craft.build(tmp_path_factory.mktemp("parity"))


@needs_tshark
@pytest.mark.parametrize("scenario", sorted(craft.SCENARIOS))
def test_every_field_matches_tshark(crafted, scenario):
    summary, _rejected = verify.run(str(crafted[scenario]))
    assert summary.frames_ours == summary.frames_tshark > 0
    assert summary.ok, "\n".join(d.describe() for d in summary.first)


def _info(lines: str) -> list[str]:
    """The Info column of ``tshark -r`` / ``analyzer read`` lines: what follows the length column."""
    out = []
    for line in lines.splitlines():
        rest = line.partition(" \u2192 ")[2]
        parts = rest.split(None, 3)
        out.append(parts[3] if len(parts) > 3 else "")
    return out


@needs_tshark
@pytest.mark.parametrize("scenario", sorted(craft.SCENARIOS))
def test_info_column_matches_tshark(crafted, scenario):
    path = str(crafted[scenario])
    theirs = subprocess.run([TSHARK, *verify.TSHARK_ARGS, "-r", path], capture_output=True, text=True,
                            check=False).stdout
    result = CliRunner().invoke(main, ["read", path], catch_exceptions=False)
    assert result.exit_code == 0
    assert _info(result.stdout) == _info(theirs)


def test_dns_types_decoded_with_tsharks_names(crafted):
    """A few values spelled out (not only "same as tshark"): what each new record type shows."""
    from analyzer.capture import open_capture
    from analyzer.pipeline import analyze

    with open_capture(crafted["dns_types"]) as reader:
        pkts = list(analyze(reader))
    assert pkts[0]["dns.nsec3.hash_value"] == "000g40o40k30e209185go38e1s8124gj"
    assert pkts[2]["dns.naptr.regex"] == ["!^.*$!sip:info@example.com!", ""]
    assert pkts[2]["dns.naptr.replacement"] == ["<Root>", "_sip._udp.example.com"]
    assert pkts[4]["dns.caa.issue"] == "letsencrypt.org" and pkts[4]["dns.caa.unknown"] == "bar"
    assert pkts[5]["dns.data"].startswith("000a0001")          # URI: tshark 4.0 shows only its bytes
    assert pkts[6]["dns.svcb.svcparam.alpn"] == ["h2", "h3"] and pkts[6]["dns.svcb.svcparam.port"] == 8443
    assert pkts[8]["dns.tsig.algorithm_name"] == "hmac-sha256" and pkts[8]["dns.tsig.mac_size"] == 32
    assert pkts[12]["dns.count.updates"] == 3 and pkts[12]["dns.count.zones"] == 1
    assert pkts[14]["dns.qry.name"] == "a.fwd.example"                  # a forward pointer is followed
    assert pkts[15]["dns.qry.name"] == "<Name contains a pointer that loops>"
    assert pkts[16]["dns.resp.name"] == "<Name contains a pointer that loops>" and pkts[16]["dns.a"] == "1.2.3.4"
