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


MALFORMED = CORPUS / "dns_malformed_compression_pointer_loop.pcap"


LOOP = "<Name contains a pointer that loops>"      # tshark's placeholder for such a name


def test_unreadable_queries_are_told_corpus():
    """dns_malformed_compression_pointer_loop (MANIFEST): tshark calls two of its three queries malformed (their
    question does not parse) and shows the third's name as its placeholder for a compression pointer that loops.
    Each is told, with its ID and client, as a query that cannot be read (the third's name is no name: not shown
    as a host name, F40); the capture ends sooner than 5 s after each, so the step says the file cannot tell
    whether an answer came (tshark's times)."""
    if not MALFORMED.exists():
        pytest.skip(f"{MALFORMED} is not there (the corpus lives in ../shared/corpus)")
    fields = ("dns.id", "ip.src", "frame.time_relative")
    bad = rows(MALFORMED, "_ws.malformed && dns.flags.response == 0", *fields)
    loops = rows(MALFORMED, f'dns.flags.response == 0 && dns.qry.name == "{LOOP}"', *fields)
    end = max(float(r[1]) for r in rows(MALFORMED, "frame", "frame.time_relative"))
    assert len(bad) == 2 and len(loops) == 1
    tl = _load(MALFORMED)
    told = sorted((s.frames, s.facts["id_hex"], s.facts["client"], s.kind, s.facts["malformed"], s.facts["waited_ms"])
                  for _f, s in _steps(tl, "dns.query.unread"))
    assert told == sorted(((int(f),), i, c, "dns.query.unread.soon", True, pytest.approx((end - float(t)) * 1000))
                          for f, i, c, t in bad + loops)
    text = render(tl, width=200)
    assert "<Name" not in text and {s.kind for _f, s in _steps(tl, "")} == {"dns.query.unread.soon"}
    assert [ln for ln in text.splitlines() if ln.startswith("Fetch ")] == [
        f"Fetch {n}: DNS queries that cannot be read (ID {i}; no connection followed)"
        for n, (_f, i, _c, _t) in enumerate(sorted(bad + loops, key=lambda r: int(r[0])), 1)]
    ((_f, step),) = [(f, s) for f, s in _steps(tl, "dns.query.unread") if s.frames == (int(loops[0][0]),)]
    assert "compression pointer that loops" in step.text
    zh = _steps(_load(MALFORMED, "zh"), "dns.query.unread")
    assert all("无法读取" in s.text and "格式有误" in s.text and "看不出" in s.text for _f, s in zh)
    assert sum("循环的压缩指针" in s.text for _f, s in zh) == 1 and not any("<Name" in s.text for _f, s in zh)


def _unread_query(story, qid: int, dt_us: int = 1000, body: bytes = b"\x05ab") -> int:
    """A query whose header counts one question, followed by ``body`` (3 bytes: a label running past the end)."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw

    qd = 0 if not body else 1
    return story.add(Ether(src=craft.CLIENT_MAC, dst=craft.GATEWAY_MAC) / IP(src=craft.CLIENT, dst=craft.RESOLVER)
                     / UDP(sport=53000, dport=53) / Raw(qid.to_bytes(2, "big") + bytes.fromhex("0100")
                                                        + qd.to_bytes(2, "big") + bytes(6) + body), dt_us)


def test_query_name_pointer_loops_answered(tmp_path):
    """Crafted: a query whose question's name is a compression pointer to itself (offset 12), answered with its
    ID (FORMERR): tshark shows the name as its placeholder and pairs the answer with the query; the timeline tells
    a query whose name cannot be read, citing both, and shows no placeholder as a name (en and zh)."""
    story = craft.Story()
    q = _unread_query(story, 0x4611, 0, body=bytes.fromhex("c00c00010001"))
    a = story.answer(craft.CLIENT, craft.RESOLVER, NAME, [], 0x4611, rcode=1, rtt_us=2500)
    path = tmp_path / "loop.pcap"
    story.write(path)
    assert rows(path, "dns.flags.response == 0", "dns.qry.name") == [(str(q), LOOP)]
    ((_n, to, rcode),) = rows(path, "dns.flags.response == 1", "dns.response_to", "dns.flags.rcode")
    assert int(to) == q and rcode == "1"
    tl = _load(path)
    ((fetch, step),) = _steps(tl, "dns.query.unread")
    assert step.kind == "dns.query.unread.answered" and step.frames == (q, a) and step.facts["id_hex"] == "0x4611"
    assert "compression pointer that loops" in step.text and "FORMERR" in step.text
    assert not [s for _f, s in _steps(tl, "dns.") if not s.kind.startswith("dns.query.unread")]
    assert "<Name" not in render(tl, width=200)
    assert [(r.frame, r.sender) for r in fetch.ladder if r.layer == "dns"] == [(q, "client"), (a, "peer")]
    ((_f, zh),) = _steps(_load(path, "zh"), "dns.query.unread")
    assert "循环的压缩指针" in zh.text and "<Name" not in zh.text


def test_unreadable_query_answered(tmp_path):
    """Crafted: a query whose question runs past the message's end, answered by the resolver with the same ID
    (FORMERR): tshark calls the query malformed and pairs the answer with it (dns.response_to, dns.time,
    dns.flags.rcode); the step cites both and gives tshark's time and code."""
    story = craft.Story()
    q = _unread_query(story, 0x4601, 0)
    a = story.answer(craft.CLIENT, craft.RESOLVER, NAME, [], 0x4601, rcode=1, rtt_us=3500)
    path = tmp_path / "unread.pcap"
    story.write(path)
    assert [int(r[0]) for r in rows(path, "_ws.malformed")] == [q]
    ((_n, to, took, rcode),) = rows(path, "dns.flags.response == 1", "dns.response_to", "dns.time", "dns.flags.rcode")
    assert int(to) == q and rcode == "1"
    tl = _load(path)
    ((fetch, step),) = _steps(tl, "dns.query.unread")
    assert step.kind == "dns.query.unread.answered" and step.frames == (q, a) and step.facts["id_hex"] == "0x4601"
    assert step.facts["rtt_ms"] == pytest.approx(float(took) * 1000, abs=0.002) and step.facts["rcode"] == "FORMERR"
    assert f"frame {a}" in step.text and "FORMERR" in step.text and "malformed" in step.text
    assert [(r.frame, r.sender) for r in fetch.ladder if r.layer == "dns"] == [(q, "client"), (a, "peer")]
    ((_f, zh),) = _steps(_load(path, "zh"), "dns.query.unread")
    assert f"第 {a} 帧" in zh.text and "应答了这个 ID" in zh.text


def test_unreadable_query_resent_unanswered(tmp_path):
    """Crafted: the same unreadable query sent twice 1 s apart (tshark: the same ID and ports, both malformed; it
    marks no retransmission on a malformed query, so the bytes are the evidence), no answer, and the capture runs
    on 6 s (an ARP exchange): the step cites both copies and says no answer came within the 5 s a resolver library
    waits."""
    story = craft.Story()
    q1 = _unread_query(story, 0x4701, 0)
    q2 = _unread_query(story, 0x4701, 1_000_000)
    story.arp(craft.GATEWAY, craft.LAN_SERVER, craft.GATEWAY_MAC, dt_us=6_000_000)
    path = tmp_path / "unread_resent.pcap"
    story.write(path)
    sent = rows(path, "_ws.malformed", "dns.id", "udp.srcport", "ip.dst", "frame.time_relative")
    assert [int(r[0]) for r in sent] == [q1, q2] and len({r[1:4] for r in sent}) == 1
    assert float(sent[1][4]) - float(sent[0][4]) < 5
    ((_f, step),) = _steps(_load(path), "dns.query.unread")
    assert step.kind == "dns.query.unread.copies" and step.frames == (q1, q2) and step.facts["attempts"] == 2
    assert f"2 times, with the same ID from the same port (frames {q1} and {q2})" in step.text
    assert "within 5 s of the last copy" in step.text
    ((_f, zh),) = _steps(_load(path, "zh"), "dns.query.unread")
    assert f"一共发送了 2 次（第 {q1} 和 {q2} 帧）" in zh.text


def test_unreadable_query_late_answer(tmp_path):
    """Crafted: an unreadable query, and 7 s later an answer with its ID (tshark pairs it: dns.response_to): the
    query is told unanswered within 5 s, and the answer is told as a late one, citing the query (not dropped)."""
    story = craft.Story()
    q = _unread_query(story, 0x4801, 0)
    a = story.answer(craft.CLIENT, craft.RESOLVER, NAME, [(NAME, "A", craft.SERVER_B)], 0x4801, rtt_us=7_000_000)
    story.arp(craft.GATEWAY, craft.LAN_SERVER, craft.GATEWAY_MAC, dt_us=3_000_000)
    path = tmp_path / "unread_late.pcap"
    story.write(path)
    to, took = _dns_time(path, a)
    assert to == q and took > 5000
    tl = _load(path)
    assert [(s.kind, s.frames) for _f, s in _steps(tl, "dns.query.unread")] == [("dns.query.unread", (q,))]
    ((_f, step),) = _steps(tl, "dns.answer.late")
    assert step.frames == (a,) and step.facts["query_frame"] == to
    assert step.facts["rtt_ms"] == pytest.approx(took, abs=0.002)


def test_unreadable_queries_past_the_told_ones_are_counted_as_queries(tmp_path):
    """Crafted: 13 unreadable queries (IDs 0x4900..) in a burst: the first 10 are told one by one, the other 3 in a
    step that counts them as queries that cannot be read (not as "DNS answers"); tshark marks all 13 malformed."""
    story = craft.Story()
    frames = [_unread_query(story, 0x4900 + n, 1000) for n in range(13)]
    path = tmp_path / "unread_many.pcap"
    story.write(path)
    assert [int(r[0]) for r in rows(path, "_ws.malformed")] == frames
    tl = _load(path)
    told = _steps(tl, "dns.query.unread")
    assert [s.frames[0] for _f, s in told if s.kind != "dns.query.unread.more"] == frames[:10]
    (more,) = [s for _f, s in told if s.kind == "dns.query.unread.more"]
    assert more.frames == (frames[10], frames[12]) and more.facts["count"] == 3 and more.facts["answered"] == 0
    assert not _steps(tl, "dns.answer")


def test_query_without_a_question(tmp_path):
    """Crafted: a query whose header counts no question (QDCOUNT 0; tshark: dns.count.queries 0, not malformed):
    told as a query that asks for no name, not as a malformed one."""
    story = craft.Story()
    q = _unread_query(story, 0x4a01, 0, body=b"")
    story.arp(craft.GATEWAY, craft.LAN_SERVER, craft.GATEWAY_MAC, dt_us=6_000_000)
    path = tmp_path / "no_question.pcap"
    story.write(path)
    ((_n, count, bad),) = rows(path, "dns", "dns.count.queries", "_ws.malformed")
    assert (count, bad) == ("0", "")
    ((_f, step),) = _steps(_load(path), "dns.query.unread")
    assert step.frames == (q,) and step.facts["malformed"] is False and "no question" in step.text


def _answer_name_loops(story, qid: int, dt_us: int) -> int:
    """A response (no query before it) with one question whose name is a compression pointer to itself (offset 12)
    and one A record whose owner name points at that question: both names loop."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw

    head = qid.to_bytes(2, "big") + bytes.fromhex("8180 0001 0001 0000 0000")
    question = bytes.fromhex("c00c 0001 0001")
    record = bytes.fromhex("c00c 0001 0001 0000012c 0004") + bytes([93, 184, 216, 34])
    return story.add(Ether(src=craft.GATEWAY_MAC, dst=craft.CLIENT_MAC) / IP(src=craft.RESOLVER, dst=craft.CLIENT)
                     / UDP(sport=53, dport=53000) / Raw(head + question + record), dt_us)


def test_lone_answer_name_pointer_loops(tmp_path):
    """Crafted: an answer with no query in the file whose question's name loops (F44). tshark shows its placeholder
    as the name; the timeline tells an answer whose question cannot be read (its ID, type and records, why, and
    that its query is not in the file, the capture having begun shortly before), never the placeholder as a name
    (step, title, ladder; en and zh). Was: "Fetch 2: lookups of <Name contains a pointer that loops>" and "DNS
    answer for <Name contains a pointer that loops> (A)"."""
    story = craft.Story()
    story.arp(craft.GATEWAY, craft.CLIENT, craft.GATEWAY_MAC)
    a = _answer_name_loops(story, 0x4711, 2000)
    path = tmp_path / "answer_loop.pcap"
    story.write(path)
    ((frame, name, qid, qtype, to, t),) = rows(path, "dns", "dns.qry.name", "dns.id", "dns.qry.type",
                                               "dns.response_to", "frame.time_relative")
    assert (int(frame), name, to) == (a, LOOP, "") and qtype == "1"
    tl = _load(path)
    ((fetch, step),) = _steps(tl, "dns.")
    assert step.kind == "dns.answer.lone.unread" and step.frames == (a,) and step.problem
    assert (step.facts["id_hex"], step.facts["qtype"], step.facts["lone"]) == (qid, "A", "start")
    assert step.facts["before_ms"] == pytest.approx(float(t) * 1000, abs=0.002)
    assert "whose question cannot be read" in step.text and "compression pointer that loops" in step.text
    assert "A 93.184.216.34" in step.text
    text = render(tl, width=200)
    assert "<Name" not in text
    assert f"Fetch {fetch.index}: DNS messages whose question cannot be read (ID {qid}; no connection followed)" \
        in text
    zh = _load(path, "zh")
    ((_f, zstep),) = _steps(zh, "dns.")
    assert "问题无法读取" in zstep.text and "循环的压缩指针" in zstep.text and "<Name" not in render(zh, width=200)
