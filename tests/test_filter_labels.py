"""Wireshark's labels (fields with no value of their own: ``tls.handshake``, ``tls.record``,
``tls.alert_message``, ``tcp.analysis``, ``quic.frame``, ``icmpv6.opt``): a display filter may test them and
``-T fields`` prints 1 for each time tshark shows one. The expected lines and frames are tshark's, asked at
test time, on every capture of captures/, tests/fixtures and the shared corpus."""

from __future__ import annotations

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

LABELS = ("tls.record", "tls.handshake", "tls.alert_message", "tcp.analysis", "quic.frame", "icmpv6.opt")
FILES = sorted([*ROOT.glob("captures/*.pcap*"), *ROOT.glob("tests/fixtures/**/*.pcap*"),
                *(CORPUS.glob("*.pcap*") if CORPUS.is_dir() else [])])

# file -> {frame: why the analyzer's line differs from tshark's}: where our fields tell less than tshark's tree
DIFFERENT = {
    "tcp_handshake_synack_before_syn.pcap": {2: "tcp.analysis: tshark shows an empty SEQ/ACK analysis on the SYN "
                                                "that follows its SYN-ACK"},
    "http3_split_hello.pcap": {1: "tls.handshake: a ClientHello fragment in a QUIC CRYPTO frame is a handshake "
                                  "label to tshark; the analyzer has no field for a fragment",
                               2: "tls.handshake: the same fragment counted again beside the whole message"},
}

RENUMBERED = {"pcapng_bigendian_3_sections_all_blocks.pcapng":
              "tshark 4.0 numbers pcapng Custom Blocks as frames (docs/DIFFERENCES.md): every frame number differs"}


def args(path: Path) -> tuple[list[str], list[str]]:
    keys = path.with_suffix(".keys")
    if keys.exists():
        return ["--keylog", str(keys)], ["-o", f"tls.keylog_file:{keys}"]
    return [], []


def fields(names) -> list[str]:
    return [a for n in ("frame.number", *names) for a in ("-e", n)]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_labels_as_tshark_prints_them(path):
    if path.name in RENUMBERED:
        pytest.skip(RENUMBERED[path.name])
    ours_args, theirs_args = args(path)
    theirs = tshark_output([TSHARK, "-r", str(path), *theirs_args, "-o", "tcp.reassemble_out_of_order:TRUE",
                            "-T", "fields", *fields(LABELS)], path, allow_empty=True).splitlines()
    result = CliRunner().invoke(main, ["read", "-r", str(path), *ours_args, "-T", "fields", *fields(LABELS)])
    # a damaged file: a warning (stderr, mixed in by the runner), the lines before and after it still compared
    ours = [line for line in result.output.splitlines() if not line.startswith("analyzer:")]
    known = DIFFERENT.get(path.name, {})
    differ = [(a, b) for a, b in zip(ours, theirs) if a != b and int(b.split("\t")[0]) not in known]
    assert differ == [] and len(ours) == len(theirs), differ[:5]


@pytest.mark.parametrize("name, display_filter", [
    ("tests/fixtures/tls/tls13_wget_page.pcap", "tls.handshake"),
    ("tests/fixtures/tls/tls13_wget_page.pcap", "count(tls.record) > 1"),
    ("tests/fixtures/tls/tls13_wget_page.pcap", "tls.record and not tls.handshake"),
    ("tests/fixtures/tls/tls12_cert_unknown_ca.pcap", "tls.alert_message"),
    ("captures/lab_lossy_fetch_retransmissions.pcapng", "tcp.analysis and tcp.len > 0"),
    ("captures/lab_ipv6_page_fetch.pcapng", "icmpv6.opt"),
])
def test_filters_on_labels_select_tsharks_frames(name, display_filter):
    path = ROOT / name
    ours_args, theirs_args = args(path)
    theirs = tshark_output([TSHARK, "-r", str(path), *theirs_args, "-Y", display_filter, "-T", "fields",
                            "-e", "frame.number"], path).split()
    result = CliRunner().invoke(main, ["read", "-r", str(path), *ours_args, "-Y", display_filter, "-T", "fields",
                                       "-e", "frame.number"])
    assert result.exit_code == 0, result.output
    assert result.output.split() == theirs


def test_a_label_has_no_value_to_compare():
    result = CliRunner().invoke(main, ["read", "-r", str(ROOT / "tests/fixtures/tls/tls13_wget_page.pcap"),
                                       "-Y", "tls.handshake == 1"])
    assert result.exit_code == 2
    assert "tls.handshake (type=Label) cannot participate in == comparison" in result.output
