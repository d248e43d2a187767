"""A SYN with no SYN-ACK in the capture, after which the client sends an ACK and data on the connection, is no
unanswered SYN (F38): the client does so only once a SYN-ACK came, so the SYN-ACK passed the capture point unseen.
Was, on a capture of the client's side only: "No answer to 1 SYN (53) over 0.0 µs ... the client gave up
(connection timed out). Nothing came back from 82.102.152.19: the host is down", then 10 requests on it.

Expected values from tshark at test time (tcp.stream, tcp.flags, ip.src, frame numbers); the crafted capture is
written with scapy on the timeline scenarios' story. The corpus file (MANIFEST) is skipped with the reason when
../shared/corpus is absent.
"""

from __future__ import annotations

import pytest
from fixtures.timeline import craft

from analyzer.capture import open_capture
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CORPUS, rows

RAW = CORPUS / "linktype_raw101_ipv4_ipv6_http_dns.pcap"


def _check(path, stream: int, server: str, one_sided: bool) -> None:
    ((syn,),) = rows(path, f"tcp.stream == {stream} && tcp.flags.syn == 1 && tcp.flags.ack == 0")
    assert not rows(path, f"tcp.stream == {stream} && tcp.flags.syn == 1 && tcp.flags.ack == 1")
    ack = int(rows(path, f"tcp.stream == {stream} && tcp.flags.syn == 0 && ip.dst == {server}")[0][0])
    assert bool(rows(path, f"tcp.stream == {stream} && ip.src == {server}")) is not one_sided
    with open_capture(path) as reader:
        tl = timeline(reader)
    (fetch,) = [f for f in tl.fetches if any(c.stream == stream for c in f.connections)]
    (conn,) = [c for c in fetch.connections if c.stream == stream]
    assert conn.outcome not in ("unanswered", "refused", "unreachable") and fetch.summary.failed_connections == 0
    assert not [s for s in fetch.steps if s.kind.startswith("tcp.unanswered")]
    (step,) = [s for s in fetch.steps if s.kind.startswith("tcp.synack.unseen")]
    assert step.kind == "tcp.synack.unseen" + (".one_sided" if one_sided else "")
    assert step.frames == (ack,) and step.facts["syn"] == int(syn)
    assert "gave up" not in step.text and "host is down" not in step.text
    # a request with no response on a connection the capture saw one side of: not "the capture ended first"
    gone = [s for s in fetch.steps if s.kind == "http.no_response"]
    assert all(s.facts["why"] == ("one sided" if one_sided else "capture ended") for s in gone)
    assert len(gone) == (len(rows(path, f"tcp.stream == {stream} && http.request")) if one_sided else 0)


def test_client_side_only_corpus():
    """linktype_raw101: connection 2 (SYN frame 53 to 82.102.152.19), then the client's ACK and 10 GETs; tshark
    shows no frame from the server on it."""
    if not RAW.exists():
        pytest.skip(f"{RAW} is not there (the corpus lives in ../shared/corpus)")
    ((stream,),) = [r[1:] for r in rows(RAW, "tcp.flags.syn == 1 && ip.dst == 82.102.152.19", "tcp.stream")]
    _check(RAW, int(stream), "82.102.152.19", True)


def test_synack_missed_by_the_capture(tmp_path):
    """Crafted: the SYN, the SYN-ACK missed (not written), the client's ACK and request, the server's answer."""
    story = craft.Story()
    c = craft.Conn(story, (craft.CLIENT, 43500), (craft.SERVER_A, 80))
    c.send(craft.C, "S")
    c.next[craft.S] += 1            # the SYN-ACK the capture missed: its sequence number is used
    c.send(craft.C, "A", dt_us=20_000)
    c.get(craft.request("/", craft.SERVER_A), craft.response("200 OK", b"hi", "text/plain"))
    c.close_four(craft.C)
    path = tmp_path / "synack_missed.pcap"
    story.write(path)
    _check(path, 0, craft.SERVER_A, False)
