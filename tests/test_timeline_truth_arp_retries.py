"""F49: a neighbour request asked again is one fetch with its retries, and never "did not ask again".
linktype_sll_arp_announcements (MANIFEST) holds 10.1.10.100 asking "who has 10.1.10.1?" nine times, about once a
second (frames 2-12), and no reply. The timeline made nine fetches, each saying "The asker did not ask again in the
8.192 s the capture went on ..., so it most likely got its answer": false of every one but the last (the requests
were 1.024 s apart, past the 1 s that cut a burst of lookups into fetches).

Expected values from tshark (arp.opcode, arp.src.proto_ipv4, arp.dst.proto_ipv4, frame numbers); the crafted
capture (two requests 1.5 s apart, no reply, then another host's frame 3 s on) is written with scapy.
"""

from __future__ import annotations

import pytest
from scapy.all import ARP, IP, UDP, Ether, wrpcap
from tshark_query import fields

from analyzer.capture import open_capture
from analyzer.report.timeline_text import render
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CORPUS

ANNOUNCE = CORPUS / "linktype_sll_arp_announcements.pcap"


def _load(path, lang="en"):
    with open_capture(path) as reader:
        return timeline(reader, lang)


def _requests(path) -> dict[tuple[str, str], list[int]]:
    """(asker, target) -> frames of its ARP requests (not announcements), and no reply from the target."""
    out: dict[tuple[str, str], list[int]] = {}
    for f, s, t in fields(path, "arp.opcode == 1 && arp.src.proto_ipv4 != arp.dst.proto_ipv4", "frame.number",
                          "arp.src.proto_ipv4", "arp.dst.proto_ipv4"):
        out.setdefault((s, t), []).append(int(f))
    replied = {s for (s,) in fields(path, "arp.opcode == 2", "arp.src.proto_ipv4")}
    return {k: v for k, v in out.items() if k[1] not in replied}


def test_arp_asked_again_is_one_fetch_told_unanswered():
    if not ANNOUNCE.exists():
        pytest.skip(f"{ANNOUNCE.name} is not in ../shared/corpus (the shared captures are not beside this tree)")
    asked = {k: v for k, v in _requests(ANNOUNCE).items() if len(v) > 1}
    ((asker, target), tries), = asked.items()
    assert len(tries) == 9
    tl = _load(ANNOUNCE)
    (fetch,) = [f for f in tl.fetches if any(tries[0] in s.frames for s in f.steps)]
    requests = [s for s in fetch.steps if s.kind.startswith("arp.request")]
    assert [s.frames for s in requests] == [(f,) for f in tries]
    (step,) = [s for s in fetch.steps if s.kind == "arp.unanswered"]
    assert step.frames == tuple(tries) and step.problem and f"No ARP reply for {target}" in step.text
    for f in tl.fetches:                # no fetch of that asker says it did not ask again
        assert not any(s.kind.startswith("arp.unseen") and s.facts.get("client") == asker for s in f.steps)
    assert "most likely got its answer" not in render(tl, width=100).split(f"ARP for {target}")[1].split("Fetch")[0]


def test_two_crafted_requests_one_and_a_half_seconds_apart(tmp_path):
    client, target = "10.0.0.5", "10.0.0.77"
    mac = "02:00:00:00:00:05"
    ask = Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac, psrc=client, pdst=target)
    pk = [ask.copy(), ask.copy(), Ether(src="02:00:00:00:00:09", dst="ff:ff:ff:ff:ff:ff") /
          IP(src="10.0.0.9", dst="10.0.0.255") / UDP(sport=137, dport=137) / b"x"]
    for p, t in zip(pk, (0.0, 1.5, 4.5), strict=True):
        p.time = 1_700_000_000 + t
    path = tmp_path / "arp_twice.pcap"
    wrpcap(str(path), pk)
    (((asker, tgt), tries),) = _requests(path).items()
    assert (asker, tgt, tries) == (client, target, [1, 2])
    tl = _load(path)
    (fetch,) = [f for f in tl.fetches if any(1 in s.frames for s in f.steps)]
    (step,) = [s for s in fetch.steps if s.kind == "arp.unanswered"]
    assert step.frames == (1, 2)
    assert not any(s.kind.startswith("arp.unseen") for f in tl.fetches for s in f.steps)


SLL2 = CORPUS / "linktype_sll2_icmp_icmpv6_arp.pcap"


def test_a_request_at_the_capture_end_is_not_called_its_last_frame():
    """F50: linktype_sll2_icmp_icmpv6_arp's ARP request (frame 5) has the file's latest time, but frame 6 (RARP, the
    same microsecond) comes after it: "This request is the capture's last frame" was false; the step now says the
    capture ends at its time."""
    if not SLL2.exists():
        pytest.skip(f"{SLL2.name} is not in ../shared/corpus (the shared captures are not beside this tree)")
    ((req, t_req),) = fields(SLL2, "arp.opcode == 1", "frame.number", "frame.time_epoch")
    times = [(int(f), float(t)) for f, t in fields(SLL2, "frame", "frame.number", "frame.time_epoch")]
    assert max(t for _f, t in times) == float(t_req) and max(f for f, _t in times) > int(req)
    (step,) = [s for f in _load(SLL2).fetches for s in f.steps if s.kind.startswith("arp.unseen")]
    assert step.kind == "arp.unseen.last" and step.frames == (int(req),)
    assert "last frame" not in step.text and "The capture ends at this request's time" in step.text
    (zh,) = [s for f in _load(SLL2, "zh").fetches for s in f.steps if s.kind.startswith("arp.unseen")]
    assert "抓包在这个请求的时刻就结束了" in zh.text
