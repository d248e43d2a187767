"""Happy Eyeballs (RFC 8305) in the timeline (issue 10: "every connection attempt ... appears and is explained";
"never say nothing was on the network when something was"). A dual-stack client asks for A and AAAA over IPv4,
tries IPv6 first, gets no SYN-ACK, and 250 ms later connects over IPv4, which carries the request.

Before: the IPv6 attempt was a fetch of its own by another client ("no DNS answer in this file" for an address
the AAAA answer gave), and the page's fetch said "252 ms on the client between the DNS answer and its SYN:
nothing of the fetch was on the network" while the IPv6 SYN was. Crafted with scapy (the client's IPv4 and IPv6
packets leave from one MAC, as from one NIC); every expected frame comes from tshark."""

from __future__ import annotations

from pathlib import Path

import pytest
from scapy.all import DNS, DNSQR, DNSRR, IP, TCP, UDP, CookedLinux, Ether, IPv6, Raw, wrpcap
from tshark_query import fields

from analyzer.capture import open_capture
from analyzer.timeline import timeline

C4, C6, S4, S6, RESOLVER = "10.0.0.2", "2001:db8::2", "93.184.216.34", "2001:db8:1::34", "10.0.0.1"
NAME = "www.example.com"


def load(path: Path, lang: str = "en"):
    with open_capture(path) as reader:
        return timeline(reader, lang).fetches


def craft(path: Path, client_mac: str = "02:00:00:00:00:02", v6_mac: str | None = None, cooked: bool = False) -> None:
    """The race; ``v6_mac``: the MAC the IPv6 packets leave from (another host when it differs); ``cooked``: as
    ``tcpdump -i any`` records it on the client (Linux cooked capture, SLL: the sender's address only)."""
    gw = "02:00:00:00:00:01"
    up4, up6, down = Ether(src=client_mac, dst=gw), Ether(src=v6_mac or client_mac, dst=gw), Ether(src=gw,
                                                                                                 dst=client_mac)
    if cooked:
        def sll(mac: str, outgoing: bool) -> CookedLinux:
            return CookedLinux(pkttype=4 if outgoing else 0, lladdrtype=1, lladdrlen=6,
                               src=bytes.fromhex(mac.replace(":", "")) + b"\x00\x00")
        up4, up6, down = sll(client_mac, True), sll(v6_mac or client_mac, True), sll(gw, False)
    req = f"GET / HTTP/1.1\r\nHost: {NAME}\r\n\r\n".encode()
    body = b"<html>hi</html>"
    resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 15\r\n\r\n" + body
    q = len(req)
    r = len(resp)
    pk = [
        (0.0, up4 / IP(src=C4, dst=RESOLVER) / UDP(sport=40001, dport=53) / DNS(id=1, rd=1, qd=DNSQR(qname=NAME))),
        (0.0001, up4 / IP(src=C4, dst=RESOLVER) / UDP(sport=40002, dport=53) /
         DNS(id=2, rd=1, qd=DNSQR(qname=NAME, qtype="AAAA"))),
        (0.010, down / IP(src=RESOLVER, dst=C4) / UDP(sport=53, dport=40001) /
         DNS(id=1, qr=1, rd=1, ra=1, qd=DNSQR(qname=NAME), an=DNSRR(rrname=NAME, rdata=S4, ttl=60))),
        (0.011, down / IP(src=RESOLVER, dst=C4) / UDP(sport=53, dport=40002) /
         DNS(id=2, qr=1, rd=1, ra=1, qd=DNSQR(qname=NAME, qtype="AAAA"),
             an=DNSRR(rrname=NAME, type="AAAA", rdata=S6, ttl=60))),
        (0.012, up6 / IPv6(src=C6, dst=S6) / TCP(sport=50000, dport=80, flags="S", seq=1000)),
        (0.262, up4 / IP(src=C4, dst=S4) / TCP(sport=50001, dport=80, flags="S", seq=2000)),
        (0.282, down / IP(src=S4, dst=C4) / TCP(sport=80, dport=50001, flags="SA", seq=5000, ack=2001)),
        (0.2821, up4 / IP(src=C4, dst=S4) / TCP(sport=50001, dport=80, flags="A", seq=2001, ack=5001)),
        (0.2822, up4 / IP(src=C4, dst=S4) / TCP(sport=50001, dport=80, flags="PA", seq=2001, ack=5001) / Raw(req)),
        (0.303, down / IP(src=S4, dst=C4) / TCP(sport=80, dport=50001, flags="PA", seq=5001, ack=2001 + q) /
         Raw(resp)),
        (0.304, up4 / IP(src=C4, dst=S4) / TCP(sport=50001, dport=80, flags="FA", seq=2001 + q, ack=5001 + r)),
        (0.324, down / IP(src=S4, dst=C4) / TCP(sport=80, dport=50001, flags="FA", seq=5001 + r, ack=2002 + q)),
        (0.3241, up4 / IP(src=C4, dst=S4) / TCP(sport=50001, dport=80, flags="A", seq=2002 + q, ack=5002 + r)),
    ]
    for t, p in pk:
        p.time = 1_700_000_000 + t
    wrpcap(str(path), [p for _t, p in pk], linktype=113 if cooked else 1)


def oracle(path: Path) -> dict:
    syn = {ip: (int(f), float(t)) for f, ip, t in fields(
        path, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "frame.number", "ipv6.dst", "frame.time_relative")}
    ((aaaa,),) = fields(path, "dns.flags.response == 1 && dns.qry.type == 28", "frame.number")
    ((get,),) = fields(path, "http.request", "frame.number")
    return {"v6": syn[S6], "v4": next(v for k, v in syn.items() if k != S6), "aaaa": int(aaaa), "get": int(get)}


@pytest.mark.parametrize("cooked", [False, True], ids=["ethernet", "cooked"])
def test_the_losing_ipv6_attempt_goes_with_the_page_and_is_told(tmp_path, cooked):
    """Also in a Linux cooked capture (``-i any``), whose frames name only their sender's address: the client's
    own interface's for what it sent."""
    path = tmp_path / "race.pcap"
    craft(path, cooked=cooked)
    assert cooked == bool(fields(path, "sll", "frame.number"))
    o = oracle(path)
    (fetch,) = load(path)
    assert fetch.kind == "page" and sorted(c.stream for c in fetch.connections) == [0, 1]
    (race,) = [s for s in fetch.steps if s.kind == "tcp.race.unanswered"]
    assert race.frames == (o["v6"][0], o["v4"][0])
    after_ms = round((o["v4"][1] - o["v6"][1]) * 1000, 1)
    assert "tried IPv6 first" in race.text and f"{after_ms} ms later it started IPv4" in race.text
    assert any(s.kind == "dns.answer" and s.frames == (o["aaaa"],) for s in fetch.steps)
    assert not any("nothing of the fetch was on the network" in d.text for d in fetch.breakdown)
    (delay,) = [d for d in fetch.breakdown if d.what == "race"]
    assert delay.frames == (o["v6"][0], o["v4"][0])
    (lone,) = [s for s in fetch.steps if s.kind.startswith("tcp.unanswered")]
    assert lone.kind == "tcp.unanswered.capture_end.one" and lone.frames == (o["v6"][0],)
    assert "too soon to tell a lost SYN" in lone.text and "over 0.0" not in lone.text     # was "1 SYN ... over 0.0 µs"
    first_tcp = next(s for s in fetch.steps if s.layer == "tcp")
    assert first_tcp.frames == (o["v6"][0],) and "Step 1/3" in first_tcp.text
    (zh,) = load(path, "zh")
    assert any(s.kind == "tcp.race.unanswered" and "Happy Eyeballs" in s.text for s in zh.steps)


@pytest.mark.parametrize("cooked", [False, True], ids=["ethernet", "cooked"])
def test_another_host_behind_another_mac_is_not_joined(tmp_path, cooked):
    """The IPv6 SYN leaves from another MAC: nothing says it is the same host, so it stays a fetch of its own."""
    path = tmp_path / "two_hosts.pcap"
    craft(path, v6_mac="02:00:00:00:00:03", cooked=cooked)
    o = oracle(path)
    fetches = load(path)
    assert len(fetches) == 2
    (v6,) = [f for f in fetches if any(s.frames[:1] == (o["v6"][0],) for s in f.steps if s.layer == "tcp")]
    assert v6.client == C6 and not any(s.kind.startswith("tcp.race") for f in fetches for s in f.steps)
