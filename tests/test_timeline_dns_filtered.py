"""A fetch with no DNS lookup before it says what the file can and cannot show (issue 10 item 4: every "no X"
claim is checked against the file, and phrased as what was looked for).

"No DNS query for NAME in this file: the client already knew the address" is an inference. It is the likely one
when the file holds other DNS traffic; it is not when the file holds no DNS packet at all (a capture filter such
as ``tcp port 80``, the commonest way a capture is taken, keeps DNS out), when the file begins with the fetch,
when the capture recorded a filter (pcapng ``if_filter``: dumpcap and ``analyzer capture -f`` write it), or when
``-Y`` showed the timeline only some frames. Crafted stories, the facts checked with tshark and capinfos.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from fixtures.timeline import craft

import analyzer
from analyzer.capture import open_capture
from analyzer.capture.writer import PcapngWriter

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")


def _tshark(path: Path, fields: list[str], display: str = "") -> list[list[str]]:
    argv = ["tshark", "-r", str(path), "-T", "fields"] + [a for f in fields for a in ("-e", f)]
    if display:
        argv += ["-Y", display]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def _story(with_arp: bool, with_dns_for_other: bool = False) -> craft.Story:
    story = craft.Story()
    if with_arp:
        story.arp(craft.GATEWAY, craft.CLIENT, "02:00:00:00:00:01")
    if with_dns_for_other:
        story.dns(craft.CLIENT, craft.RESOLVER, "other.test", [("other.test", "A", craft.SERVER_B)], 0x4242)
    c = craft.Conn(story, (craft.CLIENT, 40001), (craft.SERVER_A, 80))
    c.handshake()
    c.get(craft.request("/", "www.a.test"), craft.response("200 OK", b"x" * 50, "text/plain"))
    c.close_four(craft.C)
    return story


def _dns_step(fetches):
    (fetch,) = [f for f in fetches if f.host == "www.a.test"]
    (step,) = [s for s in fetch.steps if s.kind.startswith("dns.none")]
    return step


def _first_syn(path: Path) -> int:
    return int(_tshark(path, ["frame.number"], "tcp.flags.syn == 1 && tcp.flags.ack == 0")[0][0])


def test_no_dns_packet_at_all_says_the_capture_may_have_left_it_out(tmp_path):
    path = tmp_path / "nodns.pcap"
    _story(with_arp=True).write(path)
    assert _tshark(path, ["frame.number"], "dns") == []         # the file holds no DNS packet
    step = _dns_step(analyzer.open(path).timeline().fetches)
    assert step.kind == "dns.none.nodns" and step.facts["before"] == _first_syn(path)
    assert "capture filter" in step.text and "already knew" in step.text


def test_dns_of_other_names_keeps_the_cached_inference(tmp_path):
    path = tmp_path / "otherdns.pcap"
    _story(with_arp=True, with_dns_for_other=True).write(path)
    assert [r[0] for r in _tshark(path, ["dns.qry.name"], "dns")] == ["other.test", "other.test"]
    step = _dns_step(analyzer.open(path).timeline().fetches)
    assert step.kind == "dns.none.cached" and step.facts["before"] == _first_syn(path)


def test_a_file_that_begins_with_the_fetch(tmp_path):
    path = tmp_path / "first.pcap"
    _story(with_arp=False).write(path)
    assert _first_syn(path) == 1
    step = _dns_step(analyzer.open(path).timeline().fetches)
    assert step.kind == "dns.none.first" and step.facts["before"] == 1


def _with_filter(src: Path, dst: Path, bpf: str) -> None:
    """``src``'s frames in a pcapng whose interface records ``bpf`` as its capture filter (as a live capture
    with -f writes it)."""
    with open_capture(src) as reader, PcapngWriter(dst, capture_filter=bpf) as writer:
        for frame in reader:
            frame.iface, frame.iface_name = 0, "eth0"
            writer.write(frame)


@pytest.mark.parametrize("with_arp", [True, False])
def test_a_recorded_capture_filter_is_named(tmp_path, with_arp):
    plain, path = tmp_path / "plain.pcap", tmp_path / "filtered.pcapng"
    _story(with_arp=with_arp).write(plain)
    _with_filter(plain, path, "tcp port 80 or arp")
    info = subprocess.run(["capinfos", str(path)], capture_output=True, text=True, timeout=60, check=True).stdout
    assert "Filter string = tcp port 80 or arp" in info                # what Wireshark reads from the IDB
    with open_capture(path) as reader:
        list(reader)
        assert reader.capture_filter() == "tcp port 80 or arp"
    step = _dns_step(analyzer.open(path).timeline().fetches)
    first = _first_syn(path)
    assert step.kind == ("dns.none.filtered" if first > 1 else "dns.none.filtered.first")
    assert step.facts["filter"] == "tcp port 80 or arp" and step.facts["before"] == first
    assert '"tcp port 80 or arp"' in step.text
    zh = _dns_step(analyzer.open(path).timeline(lang="zh").fetches)
    assert "「tcp port 80 or arp」" in zh.text


def test_a_display_filter_is_named(tmp_path):
    path = tmp_path / "dns.pcap"
    story = craft.Story()
    story.dns(craft.CLIENT, craft.RESOLVER, "www.a.test", [("www.a.test", "A", craft.SERVER_A)], 0x1111)
    c = craft.Conn(story, (craft.CLIENT, 40001), (craft.SERVER_A, 80))
    c.handshake()
    c.get(craft.request("/", "www.a.test"), craft.response("200 OK", b"x" * 50, "text/plain"))
    c.close_four(craft.C)
    story.write(path)
    assert [r[0] for r in _tshark(path, ["dns.qry.name"], "dns")] == ["www.a.test", "www.a.test"]
    # the whole file: the lookup is told
    (fetch,) = analyzer.open(path).timeline().fetches
    assert [s.kind for s in fetch.steps if s.kind.startswith("dns")] == ["dns.query", "dns.answer"]
    # -Y tcp: the timeline sees no DNS, and says that is the filter's doing, not the client's cache
    step = _dns_step(analyzer.open(path, display_filter="tcp").timeline().fetches)
    assert step.kind == "dns.none.filtered.display" and step.facts["filter"] == "tcp"
    assert step.facts["before"] == _first_syn(path)


def _neighbour_step(fetches):
    (fetch,) = [f for f in fetches if f.host == "www.a.test"]
    (step,) = [s for s in fetch.steps if s.kind.startswith("arp.none")]
    return step


def test_no_arp_packet_at_all_says_the_capture_may_have_left_it_out(tmp_path):
    path = tmp_path / "noarp.pcap"
    _story(with_arp=False, with_dns_for_other=True).write(path)
    assert _tshark(path, ["frame.number"], "arp") == []
    step = _neighbour_step(analyzer.open(path).timeline().fetches)
    assert step.kind == "arp.none.cached.none" and step.facts["before"] == _first_syn(path)
    assert "capture filter" in step.text


def test_arp_of_other_hosts_keeps_the_cached_inference(tmp_path):
    path = tmp_path / "otherarp.pcap"
    story = craft.Story()
    story.arp(craft.LAN_SERVER, "192.168.1.30", "02:00:00:00:00:20")     # two other hosts of the link
    c = craft.Conn(story, (craft.CLIENT, 40001), (craft.SERVER_A, 80))
    c.handshake()
    c.get(craft.request("/", "www.a.test"), craft.response("200 OK", b"x" * 50, "text/plain"))
    c.close_four(craft.C)
    story.write(path)
    rows = _tshark(path, ["arp.src.proto_ipv4", "arp.dst.proto_ipv4"], "arp")
    assert rows and craft.CLIENT not in {r[0] for r in rows}               # none from the client
    step = _neighbour_step(analyzer.open(path).timeline().fetches)
    assert step.kind == "arp.none.cached" and step.facts["before"] == _first_syn(path)


def test_arp_absent_under_a_capture_filter_or_display_filter(tmp_path):
    plain, path = tmp_path / "plain.pcap", tmp_path / "filtered.pcapng"
    _story(with_arp=False, with_dns_for_other=True).write(plain)
    _with_filter(plain, path, "tcp or udp port 53")
    step = _neighbour_step(analyzer.open(path).timeline().fetches)
    assert step.kind == "arp.none.cached.filtered" and step.facts["filter"] == "tcp or udp port 53"
    arp_path = tmp_path / "arp.pcap"
    _story(with_arp=True).write(arp_path)
    assert [r[0] for r in _tshark(arp_path, ["arp.src.proto_ipv4"], "arp")] == [craft.CLIENT, craft.GATEWAY]
    (fetch,) = analyzer.open(arp_path).timeline().fetches
    assert next(s.kind for s in fetch.steps if s.layer == "arp").startswith("arp.request")
    step = _neighbour_step(analyzer.open(arp_path, display_filter="tcp").timeline().fetches)
    assert step.kind == "arp.none.cached.filtered.display" and step.facts["filter"] == "tcp"
    assert step.facts["before"] == _first_syn(arp_path)


def test_watch_feed_names_the_live_capture_filter(tmp_path):
    """``analyzer watch -f BPF`` hands its filter to the timeline (api.live.TimelineFeed) as a file's IDB does."""
    from analyzer.api.live import TimelineFeed

    path = tmp_path / "nodns.pcap"
    _story(with_arp=True).write(path)
    feed = TimelineFeed(capture_filter="tcp port 80")
    with open_capture(path) as reader:
        for frame in reader:
            feed.feed(frame)
    feed.finish()
    step = _dns_step(feed.timeline().fetches)
    assert step.kind == "dns.none.filtered" and step.facts["filter"] == "tcp port 80"
