"""IPv6 neighbour unreachability detection (RFC 4861 7.3) told as what it is (F34, F35): a Neighbor Solicitation
sent unicast to the neighbour's own address is a reachability check by a host that has the MAC address (not a
question "who has"), and the Neighbor Advertisement answering it may carry no link-layer address option (7.2.4):
it was told "is at , 331 µs after the solicitation". Its frame's source MAC is remembered, so that a later fetch
does not say "no Neighbor Solicitation from the client in this file" while the file holds one.

Expected values from tshark at test time (icmpv6.type, ipv6.dst, icmpv6.opt.linkaddr, eth.src, frame numbers);
the crafted capture is written with scapy on the timeline scenarios' story. The corpus file (MANIFEST) is skipped
with the reason when ../shared/corpus is absent.
"""

from __future__ import annotations

import pytest
from fixtures.timeline import craft
from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6ND_NS, IPv6
from scapy.layers.l2 import Ether

from analyzer.capture import open_capture
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CORPUS, rows

V6 = CORPUS / "dns_udp_over_ipv6_wireshark_v6.pcap"


def _load(path, lang="en"):
    with open_capture(path) as reader:
        return timeline(reader, lang)


def _steps(tl) -> dict[int, object]:
    return {s.frames[0]: s for f in tl.fetches for s in f.steps if s.frames and s.layer == "nd"}


def _check(path) -> None:
    unicast_ns = [int(r[0]) for r in rows(path, "icmpv6.type == 135 && !(ipv6.dst == ff00::/8)")]
    bare_na = [(int(f), mac) for f, mac in rows(path, "icmpv6.type == 136 && !icmpv6.opt.linkaddr", "eth.src")]
    assert unicast_ns and bare_na
    tl = _load(path)
    told = _steps(tl)
    assert [(f, told[f].kind) for f in unicast_ns] == [(f, "nd.request.unicast") for f in unicast_ns]
    assert [(f, told[f].kind, told[f].facts["link_mac"]) for f, _m in bare_na] == \
        [(f, "nd.reply.nomac", mac) for f, mac in bare_na]
    assert not [s for s in told.values() if "is at ," in s.text or "who has" in s.text.lower()]
    # a "none in this file" claim of ND holds against the whole file (tshark's NS from that client before it)
    for fetch in tl.fetches:
        for s in fetch.steps:
            if s.kind.startswith("nd.none") and not s.kind.startswith("nd.none.earlier") and "before" in s.facts:
                sent = rows(path, f"icmpv6.type == 135 && ipv6.src == {fetch.client} && "
                                  f"frame.number < {s.facts['before']}")
                assert not sent, (fetch.index, s.kind, sent)
    # a fetch that cites one of those NAs as where the next hop's MAC came from says it was a check, not a resolution
    for fetch in tl.fetches:
        for s in fetch.steps:
            if s.kind.startswith("nd.none.earlier"):
                bare = s.facts["frame"] in dict(bare_na)
                assert s.kind == ("nd.none.earlier.checked" if bare else "nd.none.earlier"), (fetch.index, s.kind)
    zh = _steps(_load(path, "zh"))
    assert "单播" in zh[unicast_ns[0]].text and "可达" in zh[bare_na[0][0]].text


def test_nud_corpus():
    """dns_udp_over_ipv6_wireshark_v6: unicast NS at frames 3, 5, 9, 11 (tshark), each answered by an NA without
    a link-layer address option; the SSH connection's fetch (frame 14 on) said "No Neighbor Solicitation from the
    client in this file before frame 14" while frame 9 is one, for its router."""
    if not V6.exists():
        pytest.skip(f"{V6} is not there (the corpus lives in ../shared/corpus)")
    _check(V6)


def test_nud_crafted(tmp_path):
    """Crafted: the client checks its router with a unicast NS (answered by an NA with no option), then a minute
    later looks a name up and connects through that router: the connection's fetch (a fetch of its own, told after
    the NS/NA's) cites the NA as where the router's MAC came from."""
    story = craft.Story()
    ns = story.add(Ether(src=craft.CLIENT_MAC, dst=craft.GATEWAY_MAC) / IPv6(src=craft.CLIENT6, dst=craft.ROUTER6,
                                                                          hlim=255) / ICMPv6ND_NS(tgt=craft.ROUTER6),
                   0)
    na = story.add(Ether(src=craft.GATEWAY_MAC, dst=craft.CLIENT_MAC) / IPv6(src=craft.ROUTER6, dst=craft.CLIENT6,
                                                                          hlim=255)
                   / ICMPv6ND_NA(tgt=craft.ROUTER6, R=1, S=1, O=0), 300)
    story.dns(craft.CLIENT6, craft.RESOLVER6, "v6.example", [("v6.example", "AAAA", craft.SERVER6)], 0x6001,
              qtype="AAAA", dt_us=60_000_000)
    c = craft.Conn(story, (craft.CLIENT6, 45001), (craft.SERVER6, 80))
    c.handshake()
    c.get(craft.request("/", "v6.example"), craft.response("200 OK", b"hi", "text/plain"))
    c.close_four(craft.C)
    path = tmp_path / "nud.pcap"
    story.write(path)
    _check(path)
    tl = _load(path)
    (fetch,) = [f for f in tl.fetches if f.requests]
    (none,) = [s for s in fetch.steps if s.kind.startswith("nd.none")]
    # the NA answered a reachability check (tshark: no link-layer address option), not a resolution
    assert none.kind == "nd.none.earlier.checked" and none.facts["frame"] == na
    assert none.facts["mac"] == craft.GATEWAY_MAC and "resolved" not in none.text
    assert ns < na
