"""Which was lost, the SYN or the SYN-ACK: after a retransmitted SYN, the server's SYN-ACK echoes in its TSecr
the TSval of the SYN it answers (RFC 7323 4.3). When that is an earlier SYN than the last one, the server had
got the earlier SYN and its first SYN-ACK is what never reached the capture point (F8).

Expected values: the SYNs' TSval and the SYN-ACKs' TSecr are asked from tshark at test time
(tcp.options.timestamp.tsval / tsecr); the crafted captures (scapy, on the timeline scenarios' story) carry
the values written here, checked with tshark where it is installed.
"""

from __future__ import annotations

import pytest
from fixtures.timeline import craft
from fixtures.timeline.craft import C, S

from analyzer.capture import open_capture
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CAPTURES, TSHARK, load, rows, steps

LOSSY = CAPTURES / "lab_lossy_fetch_retransmissions.pcapng"
SYN_LOSS = CAPTURES / "lab_syn_loss_rto_doubling.pcapng"


def _handshake(path):
    """(frame, TSval) of the SYNs and (frame, TSecr) of the SYN-ACKs, -1 without the option (tshark)."""
    syns = [(int(f), int(v or -1)) for f, v in rows(path, "tcp.flags == 0x002", "tcp.options.timestamp.tsval")]
    synacks = [(int(f), int(e or -1)) for f, e in rows(path, "tcp.flags == 0x012", "tcp.options.timestamp.tsecr")]
    return syns, synacks


def test_synack_echoing_the_first_syn_says_the_synack_was_lost():
    """lab_lossy (README: segments lost at the router, the SYN-ACK among them): two SYNs, and the first
    SYN-ACK echoes the first SYN's TSval."""
    syns, synacks = _handshake(LOSSY)
    assert len(syns) == 2
    f1, tsecr = synacks[0]
    before = [s for s in syns if s[0] < f1]
    echoed = [f for f, v in before if v == tsecr]
    assert echoed and echoed[0] != before[-1][0] and before[-1][1] != tsecr
    fetch = load(LOSSY).fetches[0]
    (step,) = steps(fetch, "tcp.synack.echo_earlier")
    assert step.frames == (echoed[0], f1) and step.problem
    assert (step.facts["tsecr"], step.facts["last_frame"], step.facts["last_tsval"]) == (tsecr, *before[-1])
    assert f"TSecr {tsecr}" in step.text and "not the client's SYN" in step.text
    zh = [s for s in load(LOSSY, "zh").fetches[0].steps if s.kind == "tcp.synack.echo_earlier"]
    assert zh and f"第 {echoed[0]} 帧" in zh[0].text and "丢失的是服务器的 SYN-ACK" in zh[0].text


def test_synack_echoing_the_last_syn_tells_nothing_more():
    """lab_syn_loss_rto_doubling (README: the router drops the first two SYNs): the SYN-ACK echoes the third
    SYN; the timestamps do not tell more than the retransmissions already say."""
    syns, synacks = _handshake(SYN_LOSS)
    assert len(syns) == 3 and synacks[0][1] == syns[-1][1]
    assert not steps(load(SYN_LOSS).fetches[0], "tcp.synack.echo_earlier")


def _two_syns(path, stamps: bool, echo: int) -> dict:
    """A lookup, a SYN, its retransmission 1 s later, the SYN-ACK echoing SYN number ``echo`` (with the
    timestamps option when ``stamps``), the ACK."""
    story = craft.Story()
    f: dict = {}
    f["dns"] = story.dns(craft.CLIENT, craft.RESOLVER, "ts.example", [("ts.example", "A", craft.SERVER_A)], 0x5151)
    c = craft.Conn(story, (craft.CLIENT, 41000), (craft.SERVER_A, 80))
    tsvals = (700_000, 701_003)
    opts = (lambda v, e: [("MSS", 1460), ("Timestamp", (v, e))]) if stamps else (lambda v, e: [("MSS", 1460)])
    f["syn1"] = c.send(C, "S", options=opts(tsvals[0], 0), advance=False)
    f["syn2"] = c.send(C, "S", options=opts(tsvals[1], 0), dt_us=1_003_000)
    f["synack"] = c.send(S, "SA", options=opts(9_000, tsvals[echo - 1]), dt_us=300)
    f["ack"] = c.send(C, "A", dt_us=300)
    f["tsvals"] = tsvals
    story.write(path)
    return f


@pytest.mark.parametrize(("stamps", "echo", "told"), [(True, 1, True), (True, 2, False), (False, 1, False)])
def test_crafted(tmp_path, stamps, echo, told):
    path = tmp_path / f"two_syns_{stamps}_{echo}.pcap"
    f = _two_syns(path, stamps, echo)
    if TSHARK is not None:
        syns, synacks = _handshake(path)
        assert [s[0] for s in syns] == [f["syn1"], f["syn2"]] and synacks[0][0] == f["synack"]
        if stamps:
            assert [s[1] for s in syns] == list(f["tsvals"]) and synacks[0][1] == f["tsvals"][echo - 1]
    with open_capture(path) as reader:
        (fetch,) = timeline(reader).fetches
    got = steps(fetch, "tcp.synack.echo_earlier")
    assert [s.frames for s in got] == ([(f["syn1"], f["synack"])] if told else [])
    # the rest of the handshake is told as before
    assert [s.frames for s in steps(fetch, "tcp.syn.retransmission")] == [(f["syn2"],)]
