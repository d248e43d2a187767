"""The order of the TCP analysis prefixes in read's Info column, as tshark prepends them (packet-tcp.c prints a
segment's analysis items in groups, reused ports, retransmissions, lost segments, window, keep-alive, duplicate
ACKs, zero window, each prepending its text: the last group that applies comes first).

tests/fixtures/websocket/ws_binary.pcap (scripts/record_websocket.py: a 64 KiB WebSocket message on loopback with
a small receive window) holds a retransmission that also fills the receiver's window: tshark says
"[TCP Window Full] [TCP Retransmission]"."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli.main import main

TSHARK = shutil.which("tshark")
CAPTURE = Path(__file__).parent / "fixtures" / "websocket" / "ws_binary.pcap"
REASSEMBLED = " [TCP segment of a reassembled PDU]"     # tshark's, which read does not print (docs/DIFFERENCES.md)


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_every_line_with_analysis_prefixes_is_tsharks():
    theirs = subprocess.run([TSHARK, "-n", "-r", str(CAPTURE)], capture_output=True, text=True, check=True,
                            timeout=120).stdout.splitlines()
    result = CliRunner().invoke(main, ["read", str(CAPTURE)])
    assert result.exit_code == 0, result.output
    ours = result.output.splitlines()
    assert len(ours) == len(theirs)
    pairs = [(o, t.removesuffix(REASSEMBLED)) for o, t in zip(ours, theirs) if "[TCP " in t.removesuffix(REASSEMBLED)]
    assert any("[TCP Window Full] [TCP Retransmission]" in t for _o, t in pairs)
    assert [o for o, _t in pairs] == [t for _o, t in pairs]
