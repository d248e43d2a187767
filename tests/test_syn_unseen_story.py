"""A SYN-ACK whose SYN is not in the file, in the middle of a capture, is not explained by "the capture
started just after it": the capture had been running for seconds. Which frame is the SYN-ACK, that the file
holds no SYN of that client, and that frames came before it are asked from tshark.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_timeline_grouping import tshark_frames  # tshark -Y FILTER: the frame numbers

from analyzer.capture import open_capture
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT.parent / "shared" / "corpus" / "http_fetch_wikipedia_dns_multiconn.pcap"
TSHARK = shutil.which("tshark")
CLIENT = "141.142.220.235"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_synack_without_syn_mid_capture(lang):
    if not CAPTURE.exists():
        pytest.skip(f"the shared corpus is not here ({CAPTURE})")
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    (synack,) = tshark_frames(CAPTURE, f"ip.dst == {CLIENT} and tcp.flags.syn == 1 and tcp.flags.ack == 1")
    assert not tshark_frames(CAPTURE, f"ip.src == {CLIENT} and tcp.flags.syn == 1")
    assert synack > 1
    with open_capture(CAPTURE) as reader:
        fetches = [f for f in timeline(reader, lang=lang).fetches if f.client == CLIENT]
    (step,) = [s for f in fetches for s in f.steps if s.kind.startswith("tcp.syn.")]
    assert step.kind == "tcp.syn.unseen"
    assert str(synack) in step.text
    assert "just after" not in step.text and "刚好在它之后开始" not in step.text
