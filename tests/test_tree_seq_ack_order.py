"""``-V``'s SEQ/ACK analysis lines in Wireshark's order on every frame of two recordings: the ACKed frame, the
RTT to ACK it, the iRTT, bytes in flight, bytes since the last PSH; tshark's ``-V`` is asked at test time."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from tshark_run import tshark_output

from analyzer.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
TSHARK = shutil.which("tshark")

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed")

THEIRS = {"This is an ACK to the segment in frame": "acks", "The RTT to ACK the segment was": "ack_rtt",
          "iRTT": "irtt", "Bytes in flight": "flight", "Bytes sent since last PSH flag": "push"}
OURS = {"This is an ACK to frame": "acks", "Round-trip time to ACK, seconds": "ack_rtt",
        "Initial round-trip time, seconds": "irtt", "Bytes in flight": "flight",
        "Bytes sent since last PSH flag": "push"}


def _orders(text: str, labels: dict[str, str]) -> list[list[str]]:
    """Per frame, the SEQ/ACK lines' kinds in the order they are printed."""
    frames = re.split(r"^Frame \d+:", text, flags=re.MULTILINE)[1:]
    pattern = re.compile(r"^\s*\[(" + "|".join(re.escape(k) for k in labels) + r")[\]:]", re.MULTILINE)
    return [[labels[m.group(1)] for m in pattern.finditer(f)] for f in frames]


@pytest.mark.parametrize("name", ["lab_page_fetch.pcapng", "lab_lossy_fetch_retransmissions.pcapng"])
def test_seq_ack_lines_in_tsharks_order(name):
    path = ROOT / "captures" / name
    theirs = _orders(tshark_output([TSHARK, "-r", str(path), "-V"], path), THEIRS)
    result = CliRunner().invoke(main, ["read", "-r", str(path), "-V"])
    assert result.exit_code == 0, result.output
    ours = _orders(result.output, OURS)
    assert ours == theirs
    assert any(len(kinds) >= 3 for kinds in theirs)     # frames with several of them: else the order proves nothing
