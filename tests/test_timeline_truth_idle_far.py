"""F53: a pause before a side's data that follows the other side's segment holds the round trip between the
capture point and that side: it is not the side's own time. trunc_snaplen68_tcp_smtp (MANIFEST) was captured next
to the server (SYN to SYN-ACK 0.2 ms, SYN-ACK to the client's ACK 198.5 ms); "Where the time went" said "199.7 ms
with nothing of the fetch on the network, from frame 8 until the client sent 58 bytes ...: waiting for the client
to go on (its program, or a person at it), not for the network" three times, for gaps of one round trip.

Expected values from tshark (frame times, tcp.len, directions); the crafted capture (an SMTP-like exchange seen
next to the server, the client 100 ms away and thinking 500 ms) is written with scapy.
"""

from __future__ import annotations

import itertools

import pytest
from scapy.all import IP, TCP, Ether, Raw, wrpcap
from tshark_query import fields

from analyzer.capture import open_capture
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CORPUS

SMTP = CORPUS / "trunc_snaplen68_tcp_smtp.pcap"


def _fetch(path, lang="en"):
    with open_capture(path) as reader:
        (fetch,) = timeline(reader, lang).fetches
    return fetch


def test_round_trips_to_a_far_client_are_not_its_time():
    if not SMTP.exists():
        pytest.skip(f"{SMTP.name} is not in ../shared/corpus (the shared captures are not beside this tree)")
    ((client,),) = fields(SMTP, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "ip.src")
    ((t_sa,),) = fields(SMTP, "tcp.flags.syn == 1 && tcp.flags.ack == 1", "frame.time_epoch")
    ((t_ack,),) = fields(SMTP, "frame.number == 3", "frame.time_epoch")
    far = float(t_ack) - float(t_sa)
    rows = [(int(f), s == client, int(n), float(t)) for f, s, n, t in fields(
        SMTP, "tcp", "frame.number", "ip.src", "tcp.len", "frame.time_epoch")]
    # the server's data, then the client's next data: each gap within 1.1 round trips to the client
    pairs = [(a[0], b[0], b[3] - a[3]) for a, b in itertools.pairwise(rows) if not a[1] and a[2] and b[1]
             and b[2]]
    assert len(pairs) >= 3 and all(gap < 1.1 * far for _a, _b, gap in pairs)
    fetch = _fetch(SMTP)
    assert not [d for d in fetch.breakdown if d.what == "idle_data"]
    assert all("waiting for the client to go on" not in d.text for d in fetch.breakdown)


def test_a_far_client_thinking_is_told_without_the_round_trip(tmp_path):
    client, server = "10.0.0.2", "10.0.0.80"
    up = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / IP(src=client, dst=server)
    down = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src=server, dst=client)
    banner, cmd = b"220 mail.example ESMTP\r\n", b"HELO client.example\r\n"
    pk = [(0.0, up / TCP(sport=40000, dport=25, flags="S", seq=100)),
          (0.0002, down / TCP(sport=25, dport=40000, flags="SA", seq=900, ack=101)),
          (0.1002, up / TCP(sport=40000, dport=25, flags="A", seq=101, ack=901)),
          (0.1010, down / TCP(sport=25, dport=40000, flags="PA", seq=901, ack=101) / Raw(banner)),
          (0.7010, up / TCP(sport=40000, dport=25, flags="PA", seq=101, ack=901 + len(banner)) / Raw(cmd)),
          (0.7012, down / TCP(sport=25, dport=40000, flags="A", seq=901 + len(banner), ack=101 + len(cmd)))]
    for t, p in pk:
        p.time = 1_700_000_000 + t
    path = tmp_path / "far_client.pcap"
    wrpcap(str(path), [p for _t, p in pk])
    times = {int(f): float(t) for f, t in fields(path, "tcp", "frame.number", "frame.time_epoch")}
    ((data,),) = fields(path, "tcp.len > 0 && ip.src == 10.0.0.2", "frame.number")
    ((banner_f,),) = fields(path, "tcp.len > 0 && ip.src == 10.0.0.80", "frame.number")
    far = times[3] - times[2]
    gap = times[int(data)] - times[int(banner_f)]
    (d,) = [d for d in _fetch(path).breakdown if d.what == "idle_data"]
    assert d.ms == pytest.approx((gap - far) * 1e3, abs=0.01)
    assert f"the other {far * 1e3:.1f} ms is the round trip between the capture point and the client" in d.text
    assert "frames 2 and 3" in d.text
    (z,) = [d for d in _fetch(path, "zh").breakdown if d.what == "idle_data"]
    assert "是抓包点与客户端之间的往返时间" in z.text
