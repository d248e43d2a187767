"""The ladder's ack of a connection whose other side sent nothing in the file is Wireshark's relative one: its
base is the byte before the first ack sent to that side (tshark "Ack=1"). Was, on
tcp_retransmission_rto_backoff (the client's data retransmitted 6 times, nothing from the server):
"PSH, ACK seq=1 ack=7118811". Likewise a side whose first segment in the file comes after the other side's ack to
it: its base is the byte before that ack (tcp_zero_window_then_update: the client's ACKs "ack=4294958537", the
server's data "seq=1" where tshark shows Ack=1 and Seq=8761).

Expected values from tshark at test time (tcp.seq, tcp.ack, frame numbers), on the compiled and the pure-Python
segment paths; the crafted capture is written with scapy (the client's side only, no SYN). The corpus file
(MANIFEST) is skipped with the reason when ../shared/corpus is absent.
"""

from __future__ import annotations

import re

import pytest
from fixtures.timeline import craft

from analyzer.capture import open_capture
from analyzer.timeline import tcp, timeline
from tests.test_timeline_corpus import CORPUS, rows

RTO = CORPUS / "tcp_retransmission_rto_backoff.pcapng"
ZERO = CORPUS / "tcp_zero_window_then_update.pcapng"


def _check(path) -> None:
    want = {int(f): (int(seq), int(ack)) for f, seq, ack in rows(path, "tcp.flags.ack == 1", "tcp.seq", "tcp.ack")}
    assert want
    with open_capture(path) as reader:
        tl = timeline(reader)
    got = {}
    for fetch in tl.fetches:
        for r in fetch.ladder:
            m = re.search(r"seq=(\d+) ack=(\d+)", r.label)
            if r.layer in ("tcp", "http") and m:
                got[r.frame] = (int(m[1]), int(m[2]))
    assert got and got.items() <= want.items()


@pytest.mark.parametrize("compiled", [True, False])
def test_corpus_server_silent(monkeypatch, compiled):
    """tcp_retransmission_rto_backoff: 6 segments from the client, none from the server; tshark: Ack=1."""
    if not RTO.exists():
        pytest.skip(f"{RTO} is not there (the corpus lives in ../shared/corpus)")
    monkeypatch.setattr(tcp, "SEGMENTS_COMPILED", compiled)
    _check(RTO)


@pytest.mark.parametrize("compiled", [True, False])
def test_corpus_acked_before_it_sent(monkeypatch, compiled):
    """tcp_zero_window_then_update: the client's ACKs (frames 1-5) come before the server's first data (frame 6),
    8760 bytes past the first ack; tshark numbers the server's bytes from the first ack."""
    if not ZERO.exists():
        pytest.skip(f"{ZERO} is not there (the corpus lives in ../shared/corpus)")
    monkeypatch.setattr(tcp, "SEGMENTS_COMPILED", compiled)
    _check(ZERO)


@pytest.mark.parametrize("compiled", [True, False])
def test_crafted_client_side_only(tmp_path, monkeypatch, compiled):
    """Crafted: no handshake in the file, the client's request and its retransmission; nothing from the server."""
    story = craft.Story()
    c = craft.Conn(story, (craft.CLIENT, 43600), (craft.SERVER_A, 80), cisn=123_456, sisn=3_000_000_000)
    get = craft.request("/", craft.SERVER_A)
    c.send(craft.C, "PA", get)
    c.send(craft.C, "PA", get, dt_us=200_000, seq=123_456)
    path = tmp_path / "client_only.pcap"
    story.write(path)
    monkeypatch.setattr(tcp, "SEGMENTS_COMPILED", compiled)
    _check(path)


@pytest.mark.parametrize("compiled", [True, False])
def test_crafted_acked_before_it_sent(tmp_path, monkeypatch, compiled):
    """Crafted: no handshake in the file; the client acks the server's bytes up to S, then the server's next data
    seen starts 5000 bytes past S (those bytes passed unseen), then the client's request."""
    story = craft.Story()
    c = craft.Conn(story, (craft.CLIENT, 43601), (craft.SERVER_A, 80), cisn=77_000, sisn=4_294_960_000)
    c.send(craft.C, "A")
    c.next[craft.S] += 5000
    c.send(craft.S, "PA", b"x" * 100)
    c.send(craft.C, "PA", craft.request("/", craft.SERVER_A))
    path = tmp_path / "acked_first.pcap"
    story.write(path)
    monkeypatch.setattr(tcp, "SEGMENTS_COMPILED", compiled)
    _check(path)
