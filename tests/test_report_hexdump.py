"""``-x``: the hex + ASCII dump, in tshark -x layout (byte-for-byte equal on the corpus)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.report.hexdump import hexdump

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")


def test_layout_full_and_partial_lines():
    data = bytes(range(0x41, 0x41 + 16)) + b"\x00\x1b\x7f\xff hi"
    assert hexdump(data) == (
        "0000  41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50   ABCDEFGHIJKLMNOP\n"
        "0010  00 1b 7f ff 20 68 69                              .... hi"
    )


def test_control_bytes_are_dots():
    dump = hexdump(b"\x1b[2J\x07\x9b\r\n")
    assert dump.endswith("  .[2J....")
    assert "\x1b" not in dump and "\x07" not in dump


def test_empty_and_long_frames():
    assert hexdump(b"") == ""
    long = hexdump(bytes(0x10010))
    lines = long.splitlines()
    assert lines[0].startswith("00000  ") and lines[-1].startswith("10000  ")


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus folder {CORPUS} absent")
@pytest.mark.skipif(TSHARK is None, reason="tshark not installed")
@pytest.mark.parametrize("name", ["dns_udp_mixed_rrtypes_wireshark_sample.pcap", "arp_request_reply.pcap",
                                  "linktype_sll2_icmp_icmpv6_arp.pcap"])
def test_cli_hexdump_equals_tshark(name):
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{name} not in the corpus")
    ours = subprocess.run([sys.executable, "-m", "analyzer", "read", "-x", str(path)], capture_output=True, check=False,
                          cwd=ROOT, timeout=60)
    assert ours.returncode == 0, ours.stderr.decode()
    theirs = subprocess.run([TSHARK, "-n", "-x", "-r", str(path)], capture_output=True, timeout=60, check=False)
    assert ours.stdout == theirs.stdout
