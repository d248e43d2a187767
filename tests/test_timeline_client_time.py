"""Where the time went, on the client: the time between the DNS answer and the client's next packet (its SYN,
or an ARP request for the next hop), and between the end of the handshake and its first data, when nothing of
the fetch is on the network. Captures recorded by the lab; times and frames read with tshark."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tshark_run import tshark_output

from analyzer.capture import open_capture
from analyzer.timeline import timeline

CAPTURES = Path(__file__).resolve().parent.parent / "captures"
pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark (the oracle) is not installed")


def first(path: Path, display_filter: str) -> tuple[int, float]:
    """(frame number, time in ms) of the first frame matching ``display_filter``."""
    line = tshark_output(["tshark", "-r", str(path), "-Y", display_filter, "-T", "fields", "-e", "frame.number",
                          "-e", "frame.time_epoch"], path).splitlines()[0]
    frame, epoch = line.split("\t")
    return int(frame), float(epoch) * 1000


def delays(path: Path) -> dict:
    with open_capture(path) as reader:
        (fetch,) = [f for f in timeline(list(reader)).fetches if f.kind != "lookup"]
    return {d.what: d for d in fetch.breakdown}


def test_the_client_between_the_dns_answer_and_its_syn():
    # lab_page_fetch: 4.8 ms of a 6.6 ms fetch pass between the answer and the SYN: most of the fetch
    path = CAPTURES / "lab_page_fetch.pcapng"
    answer, t_answer = first(path, "dns.flags.response == 1")
    syn, t_syn = first(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0")
    got = delays(path)
    d = got["client_dns"]
    assert d.frames == (answer, syn) and d.ms == pytest.approx(t_syn - t_answer, abs=0.002)
    assert "client_dns_arp" not in got and f"frame {answer}" in d.text and f"frame {syn}" in d.text


def test_an_arp_request_ends_the_clients_time():
    # lab_hub-client: the server is on the client's own network: the client asks ARP for it 12 ms after the DNS
    # answer, and sends its SYN right after the ARP reply; the ARP is network time, not the client's
    path = CAPTURES / "lab_hub-client.pcapng"
    answer, t_answer = first(path, "dns.flags.response == 1")
    arp, t_arp = first(path, f"arp.opcode == 1 && frame.number > {answer}")
    ack, t_ack = first(path, "tcp.flags.syn == 0 && tcp.flags.ack == 1 && tcp.len == 0 && tcp.srcport != 80")
    data, t_data = first(path, "tcp.len > 0 && tcp.dstport == 80")
    got = delays(path)
    d = got["client_dns_arp"]
    assert d.frames == (answer, arp) and d.ms == pytest.approx(t_arp - t_answer, abs=0.002)
    assert "client_dns" not in got
    s = got["client_send"]
    assert s.frames == (ack, data) and s.ms == pytest.approx(t_data - t_ack, abs=0.002)
