"""A SYN-ACK stamped before the SYN it answers (the capture's times out of order: frames merged from two capture
points, or written out of order): the handshake measures no round trip (F31). Wireshark's iRTT (SYN -> ACK) is
then only the client's turnaround; the timeline says so, does not tell the SYN-ACK as "0 µs after the SYN", and
takes the round trip from the data, so that a server that answered in about a millisecond is not told as
thinking for the whole round trip.

Expected values: frame numbers, times, tshark's tcp.analysis.initial_rtt and tcp.analysis.ack_rtt, read at test
time; the crafted capture (scapy, on the timeline scenarios' story) swaps the first two frames' bytes of an
ordinary fetch, checked with tshark.
"""

from __future__ import annotations

import pytest
from fixtures.timeline import craft
from fixtures.timeline.craft import C, S

from analyzer.capture import open_capture
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CORPUS, rows

REORDERED = CORPUS / "tcp_handshake_synack_before_syn.pcap"


def _load(path, lang="en"):
    with open_capture(path) as reader:
        return timeline(reader, lang)


def _data_rtt_ms(path, client: str) -> float:
    """tshark's round trip on the data: the least ack_rtt of the server's ACKs of the client's data, plus the least
    of the client's ACKs of the server's data."""
    def least(src: str) -> float:
        return min(float(r[1]) for r in rows(path, f"ip.src == {src} && tcp.analysis.ack_rtt", "tcp.analysis.ack_rtt"))
    (server,) = {r[1] for r in rows(path, "tcp.flags == 0x012", "ip.src")}
    return (least(server) + least(client)) * 1000


def _check(path) -> None:
    ((synack, t_sa),) = rows(path, "tcp.flags == 0x012", "frame.time_epoch")
    ((syn, t_syn, client),) = rows(path, "tcp.flags == 0x002", "frame.time_epoch", "ip.src")
    irtt = {float(r[1]) for r in rows(path, "tcp.analysis.initial_rtt", "tcp.analysis.initial_rtt")}
    assert float(t_sa) < float(t_syn) and len(irtt) == 1
    rtt = _data_rtt_ms(path, client)
    assert rtt > 10 * irtt.pop() * 1000       # the handshake's "round trip" is no round trip
    (fetch,) = _load(path).fetches
    by_kind = {s.kind: s for s in fetch.steps}
    two = by_kind["tcp.handshake.2.before"]
    assert two.frames == (int(synack), int(syn))
    assert two.facts["before_ms"] == pytest.approx((float(t_syn) - float(t_sa)) * 1000, abs=0.002)
    assert "after the SYN" not in two.text and "out of order" in two.text
    assert "tcp.handshake.3.reordered" in by_kind and "tcp.handshake.karn" not in by_kind
    data = by_kind["tcp.handshake.reordered"]
    assert data.facts["rtt_ms"] == pytest.approx(rtt, abs=0.002)
    # no server think time of the whole round trip: TTFB - RTT with the data's RTT is under 10 % of the TTFB here
    assert "http.wait.server" not in by_kind
    assert not [d for d in fetch.breakdown if d.what in ("server", "late_synack")]
    zh = {s.kind: s for s in _load(path, "zh").fetches[0].steps}
    assert "乱" in zh["tcp.handshake.2.before"].text and "往返" in zh["tcp.handshake.reordered"].text


def test_synack_before_syn_corpus():
    """tcp_handshake_synack_before_syn (MANIFEST: the SYN-ACK captured before the SYN)."""
    if not REORDERED.exists():
        pytest.skip(f"{REORDERED} is not there (the corpus lives in ../shared/corpus)")
    _check(REORDERED)


def test_synack_before_syn_crafted(tmp_path):
    """An ordinary fetch (30 ms round trip, the server answers 1 ms after its ACK of the request) whose SYN and
    SYN-ACK bytes are swapped: the SYN-ACK is frame 1, stamped 30 ms before the SYN."""
    story = craft.Story()
    c = craft.Conn(story, (craft.CLIENT, 43100), (craft.SERVER_B, 80))
    c.send(C, "S")
    c.send(S, "SA", dt_us=30_000)
    c.send(C, "A", dt_us=200)
    c.send(C, "PA", craft.request("/", "b.test"), dt_us=200)
    c.send(S, "A", dt_us=30_000)
    c.send(S, "PA", craft.response("200 OK", b"hello", "text/plain"), dt_us=1000)
    c.send(C, "A", dt_us=200)
    c.send(C, "FA", dt_us=1000)
    c.send(S, "FA", dt_us=30_000)
    c.send(C, "A", dt_us=200)
    (t0, syn), (t1, synack) = story.frames[:2]
    story.frames[:2] = [(t0, synack), (t1, syn)]
    path = tmp_path / "reordered.pcap"
    story.write(path)
    _check(path)
