"""The timeline's sentences checked against tshark on the project's recordings (the audit of issue 10: what a
step, a summary line or a "where the time went" line says must hold for the frames it cites). Every expected
value is asked from tshark at test time or comes from how the capture was recorded (captures/README.md),
never from our own output.
"""

from __future__ import annotations

import pytest

from tests.test_timeline_corpus import CAPTURES, frames, load, rows, steps

TWO_CURLS = CAPTURES / "lab_two_curl_runs.pcapng"
WGET = CAPTURES / "lab_wget_page_robots.pcapng"


@pytest.mark.parametrize("path", [TWO_CURLS, WGET], ids=lambda p: p.stem)
def test_arp_of_a_dual_stack_client_is_for_its_ipv4_resolver_not_the_ipv6_server(path):
    """README: the client asks for A and AAAA over IPv4 and connects over IPv6. Its ARP (IPv4) finds the
    gateway on the way to the resolver; the IPv6 server is reached through the router Neighbor Discovery
    found: the ARP step must not say every frame to the server goes to the ARP-resolved MAC."""
    fetch = load(path).fetches[0]
    (arp_req,) = frames(path, "arp.opcode == 1 && arp.src.proto_ipv4 == 192.0.2.10")[:1]
    resolver = rows(path, "dns.flags.response == 0", "ip.dst")[0][1]
    server = rows(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "ipv6.dst")[0][1]
    assert ":" in server and ":" not in resolver
    (arp,) = [s for s in steps(fetch, "arp.request") if s.frames == (arp_req,)]
    assert arp.kind == "arp.request.gateway_dns" and arp.facts["resolver"] == resolver
    assert server not in arp.text and resolver in arp.text
    # the ND request is the one about the server's next hop
    ns = frames(path, "icmpv6.type == 135 && ipv6.src == 2001:db8:1::10")[0]
    (nd,) = [s for s in steps(fetch, "nd.request") if s.frames == (ns,)]
    assert nd.kind == "nd.request.gateway" and server in nd.text


def test_client_time_before_a_neighbor_solicitation_names_it_so():
    """lab_two_curl_runs fetch 1: after the AAAA answer the client's next frame is an ICMPv6 Neighbor
    Solicitation (tshark: icmpv6.type 135), not an ARP request."""
    fetch = load(TWO_CURLS).fetches[0]
    ns = frames(TWO_CURLS, "icmpv6.type == 135 && ipv6.src == 2001:db8:1::10")[0]
    gap = [d for d in fetch.breakdown if ns in d.frames]
    assert gap and all("Neighbor Solicitation" in d.text and "ARP" not in d.text for d in gap)
