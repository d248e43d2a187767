""""No ARP request (Neighbor Solicitation) from the client in this file before frame N" is said only when the file
holds none (F36): when the client sent one earlier (told in an earlier fetch), the step says "none in this fetch"
and cites its last one; a client that resolved a server's own address had it on its link, so that server is the
next hop even where the link layer shows no destination MAC (a Linux cooked capture); and "this fetch shows no frame
the client sent" is not said of a fetch full of the client's frames whose link layer records no destination.

Expected values from tshark at test time (arp.opcode, arp.src.proto_ipv4, icmpv6.type, ipv6.src, frame numbers);
the crafted capture is written with scapy on the timeline scenarios' story. The corpus files (MANIFEST) are skipped
with the reason when ../shared/corpus is absent.
"""

from __future__ import annotations

import pytest
from fixtures.timeline import craft

from analyzer.capture import open_capture
from analyzer.timeline import timeline
from analyzer.timeline.texts import NONE_FROM_CLIENT
from tests.test_timeline_corpus import CORPUS, rows


def _load(path, lang="en"):
    with open_capture(path) as reader:
        return timeline(reader, lang)


def _check(path) -> int:
    """Every "none from the client" step against tshark; returns how many said "in this fetch" (an earlier one)."""
    earlier = 0
    tl = _load(path)
    for fetch in tl.fetches:
        for s in fetch.steps:
            if s.kind not in NONE_FROM_CLIENT:
                continue
            c, before = fetch.client, s.facts["before"]
            asked = "icmpv6.type == 135 && ipv6.src == " if ":" in c else "arp.opcode == 1 && arp.src.proto_ipv4 == "
            sent = [int(r[0]) for r in rows(path, f"{asked}{c} && frame.number < {before}")]
            if sent:
                earlier += 1
                assert s.facts["asked_frame"] == sent[-1] and "in this fetch" in s.text, (fetch.index, s.text)
            else:
                assert "asked_frame" not in s.facts and "in this file before frame" in s.text, (fetch.index, s.text)
            if s.kind.endswith(".unknown"):     # "this fetch shows no frame the client sent"
                assert not rows(path, f"ip.src == {c} && frame.number >= {before}" if ":" not in c else
                                f"ipv6.src == {c} && frame.number >= {before}")
    return earlier


@pytest.mark.parametrize("name", ["linktype_sll_http_post_arp.pcap", "linktype_raw101_ipv4_ipv6_http_dns.pcap"])
def test_none_from_client_corpus(name):
    """linktype_sll_http_post_arp (Linux cooked): the client's ARP request for 172.16.238.11 is frame 6; its fetches
    from frame 32 on said "No ARP request from the client in this file before frame 32" and "this fetch shows no
    frame the client sent"."""
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} is not there (the corpus lives in ../shared/corpus)")
    told = _check(path)
    if name.startswith("linktype_sll"):
        assert told >= 2
        fetch = next(f for f in _load(path).fetches if any(s.kind == "arp.none.earlier" for s in f.steps))
        ((_f, mac),) = rows(path, "arp.opcode == 2 && arp.src.proto_ipv4 == 172.16.238.11", "arp.src.hw_mac")
        step = next(s for s in fetch.steps if s.kind == "arp.none.earlier")
        assert (step.facts["target"], step.facts["mac"]) == ("172.16.238.11", mac)


def test_none_from_client_crafted(tmp_path):
    """Crafted: the client asks ARP for a LAN host, then a minute later fetches a page through its gateway, whose
    MAC it never asked for: the page's ARP step says no request in this fetch, citing the earlier one."""
    story = craft.Story()
    req, _rep = story.arp(craft.LAN_SERVER, craft.CLIENT, craft.SERVER_MAC, dt_us=0)
    c = craft.Conn(story, (craft.CLIENT, 43300), (craft.SERVER_A, 80))
    c.send(craft.C, "S", dt_us=60_000_000)
    c.send(craft.S, "SA", dt_us=10_000)
    c.send(craft.C, "A", dt_us=10_000)
    c.get(craft.request("/", craft.SERVER_A), craft.response("200 OK", b"hi", "text/plain"))
    c.close_four(craft.C)
    path = tmp_path / "asked_earlier.pcap"
    story.write(path)
    assert _check(path) == 1
    (step,) = [s for f in _load(path).fetches for s in f.steps if s.kind in NONE_FROM_CLIENT]
    assert step.kind == "arp.none.cached" and step.facts["asked_frame"] == req
    assert step.facts["asked_target"] == craft.LAN_SERVER
    (zh,) = [s for f in _load(path, "zh").fetches for s in f.steps if s.kind in NONE_FROM_CLIENT]
    assert f"第 {req} 帧" in zh.text and "本次访问中没有客户端发出的 ARP 请求" in zh.text
