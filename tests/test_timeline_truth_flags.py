"""Every segment Wireshark flags is told (issue 10, item 3), and the steps stay in time order after a hole
(item 4). Expected values come from tshark at test time (tcp.analysis.*, frame times, sequence numbers) or
from how a capture was crafted here (scapy, on the timeline scenarios' story: frames numbered as written).
"""

from __future__ import annotations

import pytest
from fixtures.timeline import craft
from fixtures.timeline.craft import C, S

from analyzer.capture import open_capture
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CAPTURES, CORPUS, ROOT, TSHARK, frames, load, rows, steps

FLAGGED = [
    CORPUS / "http_post_urlencoded.pcap",
    CORPUS / "http_gzip_content_length_simultaneous_close.pcap",
    CORPUS / "tcp_dupframes_retrans_keepalive_post_chunked.pcap",
    CORPUS / "tcp_out_of_order_sack_gaps_rst_http.pcap",
    CORPUS / "tcp_retransmission_rto_backoff.pcapng",
    CORPUS / "tcp_zero_window_persist_probes.pcapng",
    CORPUS / "linktype_sll_http_post_arp.pcap",         # a keep-alive and its ACK, nothing else flagged
    CAPTURES / "lab_lossy_fetch_retransmissions.pcapng",
    ROOT / "tests" / "fixtures" / "websocket" / "ws_binary.pcap",
]
SIMULTANEOUS = [CORPUS / "http_post_urlencoded.pcap", CORPUS / "http_gzip_content_length_simultaneous_close.pcap"]


def _there(path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is not there (the corpus lives in ../shared/corpus; captures/ is recorded by "
                    f"scripts/record_captures.py)")


@pytest.mark.parametrize("path", FLAGGED, ids=lambda p: p.name)
def test_every_flagged_frame_is_cited(path):
    """The frames tshark flags (tcp.analysis.flags; window updates are no trouble and are not told) are each
    cited by some step of some fetch."""
    _there(path)
    flagged = frames(path, "tcp.analysis.flags && !tcp.analysis.window_update")
    assert flagged
    tl = load(path)
    cited = {f for fetch in tl.fetches for s in fetch.steps for f in s.frames}
    assert sorted(set(flagged) - cited) == []


@pytest.mark.parametrize("path", SIMULTANEOUS, ids=lambda p: p.name)
def test_crossing_fins_repeat_and_duplicate_ack_are_no_loss(path):
    """A simultaneous close (corpus MANIFEST): tshark flags the client's FIN sent again with the ACK of the
    server's FIN (a retransmission, milliseconds after the first) and the client's last ACK (a duplicate ACK).
    They are told as part of the close, not as a timeout or a missing segment."""
    _there(path)
    (fin1,) = frames(path, "tcp.flags.fin == 1 && tcp.srcport != 80 && !tcp.analysis.retransmission")
    ((again, t_again, ack),) = rows(path, "tcp.flags.fin == 1 && tcp.analysis.retransmission", "frame.time_relative",
                                    "tcp.ack")
    (t_fin1,) = [r[1] for r in rows(path, f"frame.number == {fin1}", "frame.time_relative")]
    ((dup, dup_ack),) = rows(path, "tcp.analysis.duplicate_ack", "tcp.ack")
    fetch = load(path).fetches[0]
    (step,) = steps(fetch, "tcp.teardown.fin_again")
    assert step.frames == (int(again),) and not step.problem
    assert step.facts["first"] == fin1 and step.facts["ack"] == int(ack)
    assert step.facts["gap_ms"] == pytest.approx((float(t_again) - float(t_fin1)) * 1000, abs=0.002)
    (d,) = steps(fetch, "tcp.teardown.dup_ack")
    assert d.frames == (int(dup),) and d.facts["ack"] == int(dup_ack) and not d.problem
    assert not [s for s in fetch.steps if s.kind.startswith(("tcp.retransmission", "tcp.dup_ack"))]
    zh = load(path, "zh").fetches[0]
    assert any("重复 ACK" in s.text for s in zh.steps if s.kind == "tcp.teardown.dup_ack")


@pytest.mark.parametrize("path", [ROOT / "tests" / "fixtures" / "websocket" / "ws_binary.pcap",
                                  ROOT / "tests" / "fixtures" / "http2" / "h2_tls13_curl.pcapng"], ids=lambda p: p.name)
def test_window_full_is_told_with_the_ack_that_ends_the_wait(path):
    """tshark flags window full on segments (ws_binary: 32 KiB segments of both sides; h2_tls13_curl: the
    client answers with a zero window first): each side's step cites them and names the other side's next ACK
    above the first one's sequence number with a window open (not zero)."""
    full = rows(path, "tcp.analysis.window_full", "tcp.srcport", "tcp.seq_raw", "frame.time_relative")
    fetch = load(path).fetches[0]
    told = steps(fetch, "tcp.window_full")
    assert sorted(f for s in told for f in s.frames) == sorted(int(r[0]) for r in full)
    for step in told:
        first = int(step.frames[0])
        (f, port, seq, t) = next(r for r in full if int(r[0]) == first)
        acks = rows(path, f"frame.number > {f} && tcp.dstport == {port} && tcp.ack_raw > {seq} "
                          "&& tcp.window_size_value > 0", "frame.time_relative")
        assert step.facts["ack_frame"] == int(acks[0][0])
        assert step.facts["wait_ms"] == pytest.approx((float(acks[0][1]) - float(t)) * 1000, abs=0.002)


def _times_in_order(tl) -> None:
    for fetch in tl.fetches:
        times = [s.time for s in fetch.steps]
        assert times == sorted(times), f"fetch {fetch.index}: steps out of time order"


@pytest.mark.parametrize("path", FLAGGED, ids=lambda p: p.name)
def test_steps_in_time_order(path):
    _times_in_order(load(path))


def test_incomplete_response_told_at_its_last_segment():
    """tcp_out_of_order_sack_gaps_rst_http (MANIFEST: gaps never filled): the response's bytes end with
    segments after a hole; "the response is incomplete" comes after them, at the last one's time (tshark:
    the server's last segment with data), not at the last byte before the hole."""
    path = CORPUS / "tcp_out_of_order_sack_gaps_rst_http.pcap"
    _there(path)
    last = rows(path, "tcp.srcport == 80 && tcp.len > 0", "frame.time_relative")[-1]
    first = rows(path, "frame.number == 1", "frame.time_relative")[0]
    fetch = load(path).fetches[0]
    (step,) = steps(fetch, "http.incomplete")
    assert next(s for s in fetch.steps if 1 in s.frames).time == 0    # times from the fetch's start: frame 1
    assert step.time == pytest.approx(float(last[1]) - float(first[1]), abs=2e-6)
    _times_in_order(load(path))


def test_a_long_loss_episode_counts_its_other_holes(tmp_path):
    """Nine segments lost in one burst (crafted: each followed by one that arrives): the loss step tells the
    first holes one by one and counts the rest, with their frames and bytes."""
    story = craft.Story()
    story.dns(craft.CLIENT, craft.RESOLVER, "holes.example", [("holes.example", "A", craft.SERVER_A)], 0x7171)
    c = craft.Conn(story, (craft.CLIENT, 42000), (craft.SERVER_A, 80))
    c.handshake()
    body = b"y" * 1400 * 40
    resp = craft.response("200 OK", body, "application/octet-stream")
    c.send(C, "PA", craft.request("/holes", "holes.example"))
    chunks = [resp[i:i + 1400] for i in range(0, len(resp), 1400)]
    after_hole = []
    for i, ch in enumerate(chunks):
        if i % 3 == 1 and i < 28:
            c.lose(S, ch)
            continue
        f = c.send(S, "A", ch, dt_us=100)
        if i % 3 == 2 and i < 29:
            after_hole.append(f)
    c.close_four(C)
    path = tmp_path / "holes.pcap"
    story.write(path)
    if TSHARK is not None:
        assert frames(path, "tcp.analysis.lost_segment") == after_hole
    with open_capture(path) as reader:
        fetch = timeline(reader).fetches[0]
    (loss,) = steps(fetch, "tcp.loss")
    assert len(after_hole) == 9 and loss.frames[0] == after_hole[0]
    holes = loss.facts["more_holes"]
    assert [h["frame"] for h in holes] == after_hole[1:]
    told = [h["frame"] for h in holes[:5]]
    assert all(f"Frame {f} shows another hole" in loss.text for f in told)
    assert f"Frame {after_hole[6]} shows" not in loss.text
    assert f"3 more holes follow in this episode (frames {after_hole[6]} to {after_hole[8]}, 4,200 bytes" in loss.text


@pytest.mark.parametrize("resent", [True, False])
def test_keepalive_probe_and_its_ack_are_told(tmp_path, resent):
    """Crafted: a GET answered (the answer resent once, or not: then the keep-alive is all tshark flags), then 10 s
    of silence and the client's keep-alive probe (no data, one byte below its next sequence number) that the
    server acknowledges. tshark flags the probe and its ACK (tcp.analysis.keep_alive, keep_alive_ack); one step
    cites both, with the idle time."""
    story = craft.Story()
    story.dns(craft.CLIENT, craft.RESOLVER, "ka.example", [("ka.example", "A", craft.SERVER_A)], 0x7272)
    c = craft.Conn(story, (craft.CLIENT, 43000), (craft.SERVER_A, 80))
    c.handshake()
    c.send(C, "PA", craft.request("/", "ka.example"))
    resp = craft.response("200 OK", b"ok", "text/plain")
    seq = c.next[S]
    c.send(S, "PA", resp, dt_us=2000)
    if resent:
        c.send(S, "PA", resp, seq=seq, advance=False, dt_us=250_000)
    last = c.send(C, "A", dt_us=300)
    probe = c.send(C, "A", seq=c.next[C] - 1, advance=False, dt_us=10_000_000)
    answer = c.send(S, "A", dt_us=400)
    path = tmp_path / "keepalive.pcap"
    story.write(path)
    if TSHARK is not None:
        assert frames(path, "tcp.analysis.keep_alive") == [probe]
        assert frames(path, "tcp.analysis.keep_alive_ack") == [answer]
    with open_capture(path) as reader:
        fetch = timeline(reader).fetches[0]
    (step,) = steps(fetch, "tcp.keepalive")
    assert step.frames == (probe, answer) and step.facts["prev_frame"] == last
    assert step.facts["idle_ms"] == pytest.approx(10_000.0) and step.facts["ack_ms"] == pytest.approx(0.4)
    assert f"frame {probe}" in step.text and f"(frame {answer}," in step.text
