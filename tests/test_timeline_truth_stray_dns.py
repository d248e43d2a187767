"""DNS answers to no open lookup are told (issue 10 items 3-5: F18's rest, item 5's lone answers).

* A *late* answer: it came after the run had closed its lookup (5 s after the last attempt, run.DNS_WAIT_NS) and
  told it unanswered. The answer is told where it comes: the client had most likely given up (a resolver library
  waits 5 s), unless it connected to an address the answer gave after it, or had asked again meanwhile.
* A *lone* answer: its query is not in the file (the capture began after it was sent, or did not see it).

Expected values: frames and times from tshark at test time (``dns.time``, ``dns.response_to``, frame numbers of
the SYNs); the captures are crafted with scapy on the timeline scenarios' story (``tests/fixtures/timeline/
craft.py``: frames numbered as written, times as given). The corpus files (MANIFEST) are skipped with the reason
when ../shared/corpus is absent.
"""

from __future__ import annotations

import pytest
from fixtures.timeline import craft

from analyzer.capture import open_capture
from analyzer.report.timeline_text import render
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CORPUS, rows

NAME = "slow.example"


def _load(path, lang="en"):
    with open_capture(path) as reader:
        return timeline(reader, lang)


def _steps(tl, prefix: str) -> list:
    return [(f, s) for f in tl.fetches for s in f.steps if s.kind.startswith(prefix)]


def _dns_time(path, frame: int) -> tuple[int, float]:
    """tshark's (dns.response_to, dns.time in ms) of the response in ``frame``."""
    ((_n, to, took),) = rows(path, f"frame.number == {frame}", "dns.response_to", "dns.time")
    return int(to), float(took) * 1000


def test_late_answer_told_and_given_up(tmp_path):
    """1b6c4b1's capture: the answer 5.2 s after the query, then an ARP 3 s later. The query's step says no answer
    within 5 s; the answer is told as late, most likely thrown away, with tshark's dns.time and response_to."""
    story = craft.Story()
    q = story.query(craft.CLIENT, craft.RESOLVER, NAME, 0x4202)
    a = story.answer(craft.CLIENT, craft.RESOLVER, NAME, [(NAME, "A", craft.SERVER_B)], 0x4202, rtt_us=5_200_000)
    story.arp(craft.GATEWAY, craft.LAN_SERVER, craft.GATEWAY_MAC, dt_us=3_000_000)
    path = tmp_path / "late.pcap"
    story.write(path)
    to, took = _dns_time(path, a)
    assert to == q and took > 5000
    tl = _load(path)
    assert [s.kind for _f, s in _steps(tl, "dns.no_answer")] == ["dns.no_answer"]
    ((fetch, step),) = _steps(tl, "dns.answer.late")
    assert step.kind == "dns.answer.late" and step.frames == (a,) and step.problem
    assert step.facts["query_frame"] == to
    assert step.facts["rtt_ms"] == pytest.approx(took, abs=0.002)
    assert step.facts["since_ms"] == pytest.approx(took, abs=0.002)
    assert f"frame {q}" in step.text and "given up" in step.text and craft.SERVER_B in step.text
    assert [(r.frame, r.sender, r.problem) for r in fetch.ladder if r.layer == "dns"] == [(a, "peer", True)]
    ((_f, zh),) = _steps(_load(path, "zh"), "dns.answer.late")
    assert f"第 {q} 帧" in zh.text and "来晚了" in zh.text and "放弃" in zh.text


def test_late_answer_after_the_client_asked_again_and_got_its_answer(tmp_path):
    """The client asks again at 5 s (another ID and port: a new query) and gets that answer in 30 ms; the first
    query's answer comes at 5.2 s: told as too late to matter, citing the retry and its answer (tshark's
    response_to of each answer)."""
    story = craft.Story()
    q1 = story.query(craft.CLIENT, craft.RESOLVER, NAME, 0x4301, sport=53001)
    q2 = story.query(craft.CLIENT, craft.RESOLVER, NAME, 0x4302, sport=53002, dt_us=5_000_000)
    a2 = story.answer(craft.CLIENT, craft.RESOLVER, NAME, [(NAME, "A", craft.SERVER_B)], 0x4302, sport=53002,
                      rtt_us=30_000)
    a1 = story.answer(craft.CLIENT, craft.RESOLVER, NAME, [(NAME, "A", craft.SERVER_B)], 0x4301, sport=53001,
                      rtt_us=170_000)
    story.arp(craft.GATEWAY, craft.LAN_SERVER, craft.GATEWAY_MAC, dt_us=3_000_000)
    path = tmp_path / "retried.pcap"
    story.write(path)
    to1, took1 = _dns_time(path, a1)
    to2, _took2 = _dns_time(path, a2)
    assert (to1, to2) == (q1, q2) and took1 > 5000
    tl = _load(path)
    ((_f, step),) = _steps(tl, "dns.answer.late")
    assert step.kind == "dns.answer.late.retried.answered" and step.frames == (a1,)
    assert (step.facts["query_frame"], step.facts["retry_frame"], step.facts["retry_answer"]) == (to1, to2, a2)
    assert step.facts["rtt_ms"] == pytest.approx(took1, abs=0.002)
    assert f"frame {q2}" in step.text and f"frame {a2}" in step.text and "too late" in step.text
    ((_f, zh),) = _steps(_load(path, "zh"), "dns.answer.late")
    assert f"第 {a2} 帧" in zh.text and "没有用了" in zh.text


def test_late_answer_the_client_used(tmp_path):
    """The late answer, then the client connects to the address it gave (SYN 100 ms later) and fetches a page:
    the answer step says the client used it and cites the SYN (tshark's first SYN frame); the page's fetch does
    not say no lookup was captured."""
    story = craft.Story()
    q = story.query(craft.CLIENT, craft.RESOLVER, NAME, 0x4401)
    a = story.answer(craft.CLIENT, craft.RESOLVER, NAME, [(NAME, "A", craft.SERVER_B)], 0x4401, rtt_us=5_600_000)
    c = craft.Conn(story, (craft.CLIENT, 43001), (craft.SERVER_B, 80))
    syn = c.send(craft.C, "S", dt_us=100_000)
    c.send(craft.S, "SA", dt_us=10_000)
    c.send(craft.C, "A", dt_us=10_000)
    c.get(craft.request("/", NAME), craft.response("200 OK", b"hi", "text/plain"))
    c.close_four(craft.C)
    path = tmp_path / "used.pcap"
    story.write(path)
    to, took = _dns_time(path, a)
    ((first_syn, dst),) = rows(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "ip.dst")
    assert to == q and int(first_syn) == syn and dst == craft.SERVER_B
    tl = _load(path)
    ((fetch, step),) = _steps(tl, "dns.answer.late")
    assert step.kind == "dns.answer.late.used" and step.frames == (a, syn)
    assert step.facts["used_frame"] == syn and step.facts["server"] == dst
    assert step.facts["rtt_ms"] == pytest.approx(took, abs=0.002)
    assert fetch.requests and not [s for s in fetch.steps if s.kind.startswith("dns.none")]
    assert "used it" in step.text
    ((_f, zh),) = _steps(_load(path, "zh"), "dns.answer.late")
    assert "仍然用了它" in zh.text and f"第 {syn} 帧" in zh.text


def _lone(story, after_us: int, qid: int = 0x4501):
    return story.answer(craft.CLIENT, craft.RESOLVER, NAME, [(NAME, "A", craft.SERVER_B)], qid, rtt_us=after_us)


@pytest.mark.parametrize(("lead_us", "kind"), [(0, "dns.answer.lone.first"), (2_000_000, "dns.answer.lone.start"),
                                                (12_000_000, "dns.answer.lone")])
def test_lone_answer(tmp_path, lead_us, kind):
    """An answer whose query is not in the file: the file's first frame, 2 s after its first frame (an ARP
    exchange; the capture began after the query was sent), or 12 s after it (the capture did not see it).
    tshark pairs it with no query (no dns.response_to)."""
    story = craft.Story()
    if lead_us:
        story.arp(craft.GATEWAY, craft.LAN_SERVER, craft.GATEWAY_MAC, dt_us=0)
    a = _lone(story, lead_us)
    story.arp(craft.GATEWAY, craft.LAN_SERVER, craft.GATEWAY_MAC, dt_us=4_000_000)
    path = tmp_path / "lone.pcap"
    story.write(path)
    (row,) = rows(path, "dns.flags.response == 1", "dns.response_to", "dns.qry.name", "frame.time_relative")
    assert int(row[0]) == a and row[1] == "" and row[2] == NAME
    tl = _load(path)
    ((fetch, step),) = _steps(tl, "dns.answer.lone")
    assert step.kind == kind and step.frames == (a,) and not step.problem
    assert step.facts["before_ms"] == pytest.approx(float(row[3]) * 1000, abs=0.002)
    assert fetch.client == craft.CLIENT and "query is not in this file" in step.text
    text = render(tl, width=200)
    assert "Nothing to show" not in text and f"Fetch {fetch.index}" in text
    ((_f, zh),) = _steps(_load(path, "zh"), "dns.answer.lone")
    assert "它的查询不在本文件中" in zh.text


def test_lone_answer_the_client_used(tmp_path):
    """The capture begins with an answer, then the client connects to the address it gave: one fetch, whose DNS
    step is the lone answer (not "no DNS lookup in this file")."""
    story = craft.Story()
    a = _lone(story, 0)
    c = craft.Conn(story, (craft.CLIENT, 43002), (craft.SERVER_B, 80))
    syn, _sa, _ack = c.handshake()
    c.get(craft.request("/", NAME), craft.response("200 OK", b"hi", "text/plain"))
    c.close_four(craft.C)
    path = tmp_path / "lone_used.pcap"
    story.write(path)
    ((first_syn, dst),) = rows(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "ip.dst")
    assert int(first_syn) == syn and dst == craft.SERVER_B
    (fetch,) = _load(path).fetches
    ((_f, step),) = _steps(_load(path), "dns.answer.lone")
    assert step.kind == "dns.answer.lone.first.used" and step.frames == (a, syn)
    assert fetch.requests and not [s for s in fetch.steps if s.kind.startswith("dns.none")]


@pytest.mark.parametrize("name", ["dns_response_cut_by_snaplen.pcap", "trunc_file_ends_mid_packet.pcap"])
def test_lone_answer_corpus(name):
    """Corpus files (MANIFEST) whose one DNS message is a response at frame 1: tshark pairs it with no query. It is
    told as the capture's first frame, its name as tshark reads it, never "Nothing to show"."""
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} is not there (the corpus lives in ../shared/corpus)")
    ((frame, to, qname, dns_id),) = rows(path, "dns.flags.response == 1", "dns.response_to", "dns.qry.name", "dns.id")
    assert to == ""
    tl = _load(path)
    ((_f, step),) = _steps(tl, "dns.answer.lone")
    assert step.kind == "dns.answer.lone.first" and step.frames == (int(frame),)
    assert step.facts["qname"] == qname and step.facts["id_hex"] == dns_id
    assert "Nothing to show" not in render(tl, width=100)
