"""The next hop of a client whose connection's first captured frame came from the server.

A connection already open when the capture started (or whose SYN-ACK was captured before its SYN) may show
the server's frame first. The client's next hop is the destination MAC of the first frame the *client*
sent, not "unknown" because the first frame was not the client's. Expected MACs come from tshark's
``eth.dst`` of the client's first frame.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")

# file -> the client's address (the receiver of the zero-window probes; the sender of the SYN)
CASES = {"tcp_zero_window_persist_probes.pcapng": "172.31.136.85",
         "tcp_handshake_synack_before_syn.pcap": "141.142.228.5"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_arp_step_names_the_mac_of_the_clients_first_frame(name):
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"the shared corpus is not here ({path})")
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    client = CASES[name]
    out = subprocess.run([TSHARK, "-r", str(path), "-Y", f"ip.src == {client} and tcp", "-T", "fields",
                          "-e", "frame.number", "-e", "eth.dst"], capture_output=True, text=True, check=True,
                         timeout=120).stdout.split("\n")[0].split("\t")
    first_client_frame, mac = int(out[0]), out[1]
    assert first_client_frame > 1                       # the server's frame came first: the case under test
    with open_capture(path) as reader:
        fetch = timeline(reader).fetches[0]
    assert fetch.client == client
    (arp,) = [s for s in fetch.steps if s.layer == "arp"]
    assert mac in arp.text and "not known" not in arp.text, arp.text
