"""An ACK of data no frame of the capture carries (Wireshark: "ACKed segment that wasn't captured") says which bytes:
the relative range it acknowledges that no earlier segment of the other side carried (from the acker's previous
highest ACK to this one), how many bytes, and the hole that showed them missing, and that the capture point missed
the copy of them that reached the receiver (issue 10 item 4; F42, corpus tcp_out_of_order_sack_gaps_rst_http frame 74: was "acknowledges
data this capture never showed: it was sent before the capture started or was missed by the capture").

Expected values from tshark at test time: the flagged frame (``tcp.analysis.ack_lost_segment``), every segment's
relative ``tcp.seq``/``tcp.len``/``tcp.ack`` and the ``tcp.analysis.lost_segment`` frames; the uncovered ranges are
computed here from those numbers. The crafted captures are written with scapy (tests/fixtures/timeline/craft.py).
"""

from __future__ import annotations

import pytest
from fixtures.timeline import craft

from analyzer.capture import open_capture
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CORPUS, rows

GAPS = CORPUS / "tcp_out_of_order_sack_gaps_rst_http.pcap"


def _oracle(path) -> dict:
    """The flagged ACK's uncovered ranges, from tshark's numbers."""
    ((frame, ack, acker),) = rows(path, "tcp.analysis.ack_lost_segment", "tcp.ack", "ip.src")
    frame, ack = int(frame), int(ack)
    segs = [(int(f), src, int(seq), int(n), int(a or 0), flag) for f, src, seq, n, a, flag in
            rows(path, "tcp", "ip.src", "tcp.seq", "tcp.len", "tcp.ack", "tcp.analysis.lost_segment")]
    before = [s for s in segs if s[0] < frame]
    lo = max(a for _f, src, _s, _n, a, _l in before if src == acker and a)
    covered = sorted((seq, seq + n) for _f, src, seq, n, _a, _l in segs if src != acker and n)     # the whole file
    gaps, cur = [], lo
    for a, b in covered:
        if b <= cur:
            continue
        if a > cur and cur < ack:
            gaps.append((cur, min(a, ack)))
        cur = max(cur, b)
    if cur < ack:
        gaps.append((cur, ack))
    # the hole: a segment of the data side tshark flags "previous segment not captured" after the first missing
    # byte, with nothing before it reaching past that byte
    holes = []
    for f, src, seq, _n, _a, lost in before:
        if src != acker and lost and seq > gaps[0][0]:
            reach = max((s2 + n2 for f2, src2, s2, n2, _a2, _l2 in before if src2 == src and f2 < f and n2),
                        default=1)
            if reach <= gaps[0][0]:
                holes.append((f, reach, seq - 1))
    return {"frame": frame, "ack": ack, "acker": acker, "gaps": gaps, "hole": holes[0] if holes else None}


def steps_of(path, prefix: str, lang="en") -> list:
    with open_capture(path) as reader:
        tl = timeline(reader, lang)
    return [s for f in tl.fetches for s in f.steps if s.kind.startswith(prefix)]


def _step(path, lang="en"):
    with open_capture(path) as reader:
        tl = timeline(reader, lang)
    (step,) = [s for f in tl.fetches for s in f.steps if s.kind.startswith("tcp.acked_unseen")]
    return step


def _check(path, client: str) -> dict:
    want = _oracle(path)
    step = _step(path)
    f = step.facts
    assert step.kind == "tcp.acked_unseen.bytes" and step.problem and want["frame"] in step.frames
    assert f["sender"] == ("client" if want["acker"] == client else "server")
    (a, b) = want["gaps"][0]
    assert (f["ack"], f["unseen_from"], f["unseen_to"]) == (want["ack"], a, b - 1)
    assert f["unseen_bytes"] == sum(y - x for x, y in want["gaps"])
    assert f["unseen_ranges"] == len(want["gaps"])
    if want["hole"] is None:
        assert f["hole_frame"] is None
    else:
        assert (f["hole_frame"], f["hole_from"], f["hole_to"]) == want["hole"]
        assert f"part of the hole frame {want['hole'][0]} showed (seq {want['hole'][1]}-{want['hole'][2]})" \
            in step.text
    assert f"covers seq {a}-{b - 1} of the" in step.text
    assert f"({f['unseen_bytes']:,} bytes)" in step.text and "capture point saw no copy of them" in step.text
    assert "before the capture started" not in step.text
    zh = _step(path, "zh")
    assert f"序号 {a}–{b - 1}" in zh.text and f"{f['unseen_bytes']:,} 字节" in zh.text
    return want


def test_acked_unseen_corpus():
    """tcp_out_of_order_sack_gaps frame 74: the client's ACK covers 1,288 bytes after frame 71's ACK that no server
    frame carried, the start of the hole frame 72 shows."""
    if not GAPS.exists():
        pytest.skip(f"{GAPS} is not there (the corpus lives in ../shared/corpus)")
    ((_f, client),) = rows(GAPS, "tcp.flags.syn == 1 && tcp.flags.ack == 0 && !tcp.analysis.retransmission", "ip.src")
    want = _check(GAPS, client)
    assert want["hole"] is not None and len(want["gaps"]) == 1


def _crafted(tmp_path, holes: int, ack_us: int = 400_000):
    """A response of 1,400-byte segments; each hole is one segment lost before the capture point (the receiver got
    it); the client's ACKs: one after the first segment, then one covering everything ``ack_us`` later (past 300 ms
    its own step; sooner, in the loss's step)."""
    story = craft.Story()
    c = craft.Conn(story, (craft.CLIENT, 44101), (craft.SERVER_A, 80))
    c.handshake()
    c.send(craft.C, "PA", craft.request("/big", "www.a.test"))
    body = 1400 * (2 + 2 * holes)
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {body}\r\n\r\n".encode()
    c.send(craft.S, "A", head + b"x" * 1400, dt_us=20_000)
    c.send(craft.C, "A", dt_us=100)
    for _ in range(holes):
        c.lose(craft.S, b"y" * 1400)
        c.send(craft.S, "A", b"z" * 1400, dt_us=300)
    c.send(craft.C, "A", dt_us=ack_us)
    c.send(craft.S, "PA", b"w" * 1400, dt_us=300)
    c.close_four(craft.C)
    path = tmp_path / f"acked_unseen_{holes}_{ack_us}.pcap"
    story.write(path)
    return path


def test_acked_unseen_crafted_one_hole(tmp_path):
    want = _check(_crafted(tmp_path, 1), craft.CLIENT)
    assert want["hole"] is not None and len(want["gaps"]) == 1


def test_acked_unseen_crafted_two_ranges(tmp_path):
    """Two holes before one ACK: the first range is told, with the count of ranges and the bytes of both."""
    path = _crafted(tmp_path, 2)
    want = _check(path, craft.CLIENT)
    assert len(want["gaps"]) == 2
    assert "(the first of 2 such ranges)" in _step(path).text


def _loss(path, lang="en"):
    with open_capture(path) as reader:
        tl = timeline(reader, lang)
    (step,) = [s for f in tl.fetches for s in f.steps if s.kind.startswith("tcp.loss")]
    return step


def test_loss_acked_soon_is_missed_not_lost(tmp_path):
    """The ACK 20 ms after the hole, in the loss's own step: the whole hole acknowledged, so the step says the capture
    point missed it; it was "A segment was lost ... The capture holds no retransmission of the missing bytes", beside
    the client's ACK of those very bytes."""
    path = _crafted(tmp_path, 1, ack_us=20_000)
    want = _oracle(path)
    ((lost_frame, seq),) = rows(path, "tcp.analysis.lost_segment", "tcp.seq")
    step = _loss(path)
    (a, b) = want["gaps"][0]
    assert step.kind == "tcp.loss.missed" and {int(lost_frame), want["frame"]} <= set(step.frames)
    assert (step.facts["lost_from"], step.facts["lost_to"]) == (a, b - 1) == (a, int(seq) - 1)
    assert (step.facts["acked_frame"], step.facts["acked_ack"]) == (want["frame"], want["ack"])
    assert step.text.startswith("Missed by the capture: ")
    assert f"ACK in frame {want['frame']} (relative ack {want['ack']}) covers them" in step.text
    assert "no retransmission" not in step.text and not step.text.endswith(" ")
    zh = _loss(path, "zh")
    assert zh.text.startswith("是抓包漏掉了：") and f"第 {want['frame']} 帧的 ACK" in zh.text


def _never_carried(segs, lo: int, hi: int) -> list[tuple[int, int]]:
    """The parts of [lo, hi) no segment (seq, len) carries."""
    out, cur = [], lo
    for a, b in sorted((q, q + n) for q, n in segs if n):
        if b <= cur:
            continue
        if a >= hi:
            break
        if a > cur:
            out.append((cur, a))
        cur = max(cur, b)
    if cur < hi:
        out.append((cur, hi))
    return out


def test_loss_steps_say_what_the_receiver_acknowledged_corpus():
    """tcp_out_of_order_sack_gaps: each hole's bytes that no server frame of the file carries and that the client's
    highest ACK covers are told in the loss step (the first ACK past the first of them, the bytes, their range):
    frame 72's hole, 1,288 of 5,152 bytes (frame 74, the ACK tshark flags), and frame 52's, the 1,288 bytes that
    never came (frame 55: an ACK tshark does not flag, its bytes in no frame all the same); frames 20 and 56, whose
    holes later segments filled, none. Expected values computed here from tshark's seq/len/ack."""
    if not GAPS.exists():
        pytest.skip(f"{GAPS} is not there (the corpus lives in ../shared/corpus)")
    ((_f, client, server),) = rows(GAPS, "tcp.flags.syn == 1 && tcp.flags.ack == 0 && !tcp.analysis.retransmission",
                                   "ip.src", "ip.dst")
    data = [(int(q), int(n)) for _f, q, n in rows(GAPS, f"ip.src == {server}", "tcp.seq", "tcp.len")]
    acks = [(int(f), int(a)) for f, a in rows(GAPS, f"ip.src == {client} && tcp.flags.ack == 1", "tcp.ack")]
    top = max(a for _f, a in acks)
    told = {s.frames[0]: s for s in steps_of(GAPS, "tcp.loss")}
    # (frame 21's hole is told in frame 20's step, in short)
    holes = [(f, q) for f, q in rows(GAPS, f"tcp.analysis.lost_segment && ip.src == {server}", "tcp.seq")
             if int(f) in told]
    assert len(holes) == len(told) == 4
    acked = {}
    for f, q in holes:
        step = told[int(f)]
        lo, hi = step.facts["lost_from"], int(q)
        assert hi == step.facts["gap_seq"]
        got = _never_carried(data, lo, min(top, hi))
        if not got:
            assert step.facts.get("acked_frame") is None and step.kind == "tcp.loss"
            continue
        first = next(fr for fr, a in acks if a > got[0][0])
        n = sum(b - a for a, b in got)
        acked[int(f)] = n
        assert (step.facts["acked_frame"], step.facts["acked_bytes"]) == (first, n)
        assert (step.facts["acked_from"], step.facts["acked_to"]) == (got[0][0], got[-1][1] - 1)
        assert step.kind == ("tcp.loss.missed" if n == hi - lo else "tcp.loss")
        assert f"The client acknowledged {n:,} bytes of them that no frame of the capture carries (seq " \
            f"{got[0][0]}-{got[-1][1] - 1}), first in frame {first}" in step.text
    assert len(acked) == 2 and all(0 < n < 5152 for n in acked.values())


def test_loss_acked_before_the_gap_midstream(tmp_path):
    """Crafted, the capture beginning mid-stream (no handshake): the server's first 1,000 bytes, 1,000 lost before the
    capture point, the client's ACK of both (before the next segment shows the hole), then 1,000 more. tshark flags
    the ACK "ACKed segment that wasn't captured" and the next segment "previous segment not captured"; the client
    had no earlier ACK, so the unseen bytes run from the first byte the capture holds. The loss step says the capture
    missed them (was "A segment was lost ... The capture holds no retransmission")."""
    story = craft.Story()
    c = craft.Conn(story, (craft.CLIENT, 44301), (craft.SERVER_A, 80))
    c.send(craft.S, "A", b"a" * 1000)
    c.lose(craft.S, b"b" * 1000)
    c.send(craft.C, "A", dt_us=20_000)
    c.send(craft.S, "A", b"c" * 1000, dt_us=300)
    c.send(craft.C, "A", dt_us=20_000)
    path = tmp_path / "midstream.pcap"
    story.write(path)
    (ack_frame, ack), *_later = [(int(f), int(a)) for f, a in rows(path, "tcp.analysis.ack_lost_segment", "tcp.ack")]
    ((gap_frame, gap_seq),) = [(int(f), int(q)) for f, q in rows(path, "tcp.analysis.lost_segment", "tcp.seq")]
    ((first_seq, first_len),) = [(int(q), int(n)) for _f, q, n in
                                 rows(path, f"ip.src == {craft.SERVER_A}", "tcp.seq", "tcp.len")][:1]
    assert ack_frame < gap_frame and ack == gap_seq
    step = _loss(path)
    assert step.kind == "tcp.loss.missed" and (step.facts["acked_frame"], step.facts["acked_ack"]) == (ack_frame, ack)
    assert (step.facts["lost_from"], step.facts["lost_to"]) == (first_seq + first_len, gap_seq - 1)
    assert step.facts["acked_bytes"] == gap_seq - first_seq - first_len
