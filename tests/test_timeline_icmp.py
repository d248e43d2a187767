"""An ICMP/ICMPv6 error answering a SYN: cited in the steps and drawn in the ladder, from its sender to the
client, labelled as the step names it.

The captures are crafted here with scapy on the timeline scenarios' story (``tests/fixtures/timeline/craft.py``):
the frame numbers come from the story (numbered as written), the ICMPv6 type and code from tshark where it is
installed (``icmpv6.type``, ``icmpv6.code``), and from RFC 4443 section 3.1 otherwise (Destination
Unreachable is type 1; code 3 "address unreachable", code 4 "port unreachable").
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from fixtures.timeline import craft
from scapy.layers.inet6 import ICMPv6DestUnreach, IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from analyzer.capture import open_capture
from analyzer.report.timeline_text import render
from analyzer.timeline import timeline

TSHARK = shutil.which("tshark")


def _icmp6_for(story: craft.Story, syn_frame: int, sender: str, code: int, dt_us: int) -> int:
    """An ICMPv6 Destination Unreachable from ``sender`` quoting the SYN of frame ``syn_frame`` whole."""
    quoted = bytes(Ether(story.frames[syn_frame - 1][1])[IPv6])
    return story.add(Ether(src=craft.GATEWAY_MAC, dst=craft.CLIENT_MAC) / IPv6(src=sender, dst=craft.CLIENT6)
                     / ICMPv6DestUnreach(code=code) / Raw(quoted), dt_us)


def unreachable6(path: Path, sender: str, code: int) -> dict:
    """ND for the router, an AAAA lookup, one SYN, and ``sender``'s ICMPv6 error quoting it 3 ms later; the
    client gives up at once."""
    story = craft.Story()
    f: dict = {}
    f["ns"], f["na"] = craft._nd(story, craft.CLIENT6, craft.ROUTER6, craft.CLIENT_MAC, craft.GATEWAY_MAC)
    f["dns"] = story.dns(craft.CLIENT6, craft.RESOLVER6, "www.v6.test", [("www.v6.test", "AAAA", craft.SERVER6)],
                         0x6601, qtype="AAAA")
    c = craft.Conn(story, (craft.CLIENT6, 49101), (craft.SERVER6, 80), cisn=99)
    f["syn"] = c.send(craft.C, "S", dt_us=500)
    f["icmp"] = _icmp6_for(story, f["syn"], sender, code, 3000)
    story.write(path)
    return f


def tshark_icmp6(path: Path) -> list[tuple[int, str, int, int]]:
    """(frame, sender, type, code) of each ICMPv6 error, as tshark reads them."""
    out = subprocess.run([TSHARK, "-r", str(path), "-Y", "icmpv6.type == 1", "-T", "fields", "-E", "occurrence=f",
                          "-e", "frame.number", "-e", "ipv6.src", "-e", "icmpv6.type", "-e", "icmpv6.code"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    return [(int(a), b, int(c), int(d)) for a, b, c, d in (line.split("\t") for line in out.splitlines())]


@pytest.mark.parametrize(("sender", "code", "kind", "text"), [
    (craft.ROUTER6, 3, "tcp.icmp.unreachable", "address unreachable"),
    (craft.SERVER6, 4, "tcp.icmp.port", "port unreachable"),
])
def test_icmpv6_error_answering_a_syn_is_a_step_and_a_ladder_row(tmp_path, sender, code, kind, text):
    path = tmp_path / f"syn_icmp6_{code}.pcap"
    f = unreachable6(path, sender, code)
    if TSHARK is not None:
        assert tshark_icmp6(path) == [(f["icmp"], sender, 1, code)]
    with open_capture(path) as reader:
        (fetch,) = timeline(reader).fetches
    # the step: the error, after the SYN it quotes
    assert [(s.kind, s.frames) for s in fetch.steps][-2:] == [("tcp.handshake.1", (f["syn"],)),
                                                               (kind, (f["icmp"],))]
    step = fetch.steps[-1]
    assert step.problem and (step.facts["sender"], step.facts["syn"]) == (sender, f["syn"])
    assert (step.facts["icmp_type"], step.facts["icmp_code"]) == (1, code)
    assert step.facts["rtt_ms"] == pytest.approx(3.0) and text in step.text
    # the ladder: every cited frame has its row, the error's from its sender to the client
    assert [r.frame for r in fetch.ladder] == [f["ns"], f["na"], f["dns"][0], f["dns"][1], f["syn"], f["icmp"]]
    row = fetch.ladder[-1]
    assert (row.sender, row.peer, row.label, row.problem) == ("peer", f"ICMPv6 {sender}", f"ICMPv6 error: {text}",
                                                              True)
    assert row.time == pytest.approx(fetch.ladder[-2].time + 0.003)
    lines = render(timeline_of(path), width=120).splitlines()
    (line,) = [x for x in lines if f"  {f['icmp']}  <-- " in x]
    assert f"ICMPv6 error: {text}" in line and line.rstrip().endswith(f"ICMPv6 {sender}")
    # in Chinese, the error's name too (RFC 4443 3.1: code 3 address unreachable, code 4 port unreachable)
    (zh,) = [s for s in timeline_of(path, "zh").fetches[0].steps if s.kind == kind]
    assert {3: "（地址不可达）", 4: "（端口不可达）"}[code] in zh.text and "unreachable" not in zh.text


def timeline_of(path: Path, lang: str = "en"):
    with open_capture(path) as reader:
        return timeline(reader, lang)


def test_icmp_host_unreachable_in_the_ladder_ipv4(tmp_path):
    """The IPv4 scenario of the grouping tests: the gateway's host unreachable (type 3 code 1) drawn as the
    step cites it; in Chinese the label and the error's name (type 3 code 1: RFC 792 "host unreachable", 主机不可达)
    are translated, and so is the step."""
    crafted = craft.build(tmp_path)
    path, f = crafted["icmp_unreachable"]
    (fetch, _later) = timeline_of(path).fetches
    assert [r.frame for r in fetch.ladder] == [*f["dns"], f["syn"], f["icmp"]]
    row = fetch.ladder[-1]
    assert (row.sender, row.peer, row.label, row.layer) == ("peer", f"ICMP {craft.GATEWAY}",
                                                            "ICMP error: host unreachable", "icmp")
    zh_fetch = timeline_of(path, "zh").fetches[0]
    zh = zh_fetch.ladder[-1]
    assert (zh.frame, zh.label) == (f["icmp"], "ICMP 差错：主机不可达")
    (step,) = [s for s in zh_fetch.steps if f["icmp"] in s.frames]
    assert "（主机不可达）" in step.text and "unreachable" not in step.text
    path, f = crafted["icmp_prohibited"]
    fetch = timeline_of(path).fetches[0]
    assert [(r.frame, r.sender) for r in fetch.ladder] == [(f["syn1"], "client"), (f["icmp1"], "peer"),
                                                           (f["syn2"], "client"), (f["icmp2"], "peer")]
