"""One semantics: :meth:`Pipeline.feed_headers` (header-only segments skip their decode) gives what
:meth:`Pipeline.feed` gives — every frame's layers, fields (in the same order), notes and failure, the text
line `analyzer read` prints, the connection rows, the HTTP records and DNS transactions — on every capture in
captures/ and ../shared/corpus and on synthetic web traffic (with segments lost upstream, so ACKs past a hole
hand held bytes or gaps to the HTTP sink). Frames that skipped their decode are decoded after the run for the
comparison (:meth:`HeaderOnly.packet`), when every later frame had its chance to add fields to them."""

from __future__ import annotations

from pathlib import Path

import pytest
import synthetic

from analyzer.apps.tls import parse_keylog
from analyzer.apps.transactions import Transactions
from analyzer.capture import open_capture
from analyzer.flows.quick import quick_headers
from analyzer.pipeline import HeaderOnly, Pipeline
from analyzer.report.summary import Summary

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
CAPTURES = sorted((REPO / "captures").glob("*.pcap*"))
CORPUS_FILES = sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else []


def _keylog(path: Path):
    keys = path.with_suffix(".keys")
    return parse_keylog(keys.read_bytes()) if keys.exists() else None


def _run(path: Path, headers: bool, any_segment: bool = False) -> tuple[list, Pipeline, Transactions, int]:
    tx = Transactions(keylog=_keylog(path))
    pipe = Pipeline(transactions=tx)
    out = []
    skipped = 0
    with open_capture(path) as reader:
        for frame in reader:
            if headers:
                res = pipe.feed_headers(frame, quick_headers(frame.data, frame.linktype, origlen=frame.origlen),
                                         any_segment=any_segment)
                if res.__class__ is HeaderOnly:
                    skipped += 1
                out.append(res)
            else:
                out.append(pipe.feed(frame))
    pipe.finish()
    packets = [res.packet() if res.__class__ is HeaderOnly else res for res in out]
    return packets, pipe, tx, skipped


def _view(pkt) -> tuple:
    return ([(layer.name, list(layer.fields.items())) for layer in pkt.layers], list(pkt.notes),
            repr(pkt.failure), list(pkt.fields.items()), pkt.payload)


def _same(path: Path, any_segment: bool = False) -> int:
    full, pipe_a, tx_a, _ = _run(path, headers=False)
    fast, pipe_b, tx_b, skipped = _run(path, headers=True, any_segment=any_segment)
    assert len(fast) == len(full)
    lines_a, lines_b = Summary(), Summary()
    for a, b in zip(full, fast, strict=True):
        assert _view(b) == _view(a), f"{path.name}: frame {a.frame.number} differs"
        assert lines_b.line(b) == lines_a.line(a), f"{path.name}: frame {a.frame.number} read line differs"
    assert pipe_b.frames == pipe_a.frames and pipe_b.first_ts_ns == pipe_a.first_ts_ns
    assert pipe_b.tcp_connections == pipe_a.tcp_connections
    assert pipe_b.udp_conversations == pipe_a.udp_conversations
    assert [repr(r) for r in tx_b.http.sorted_records()] == [repr(r) for r in tx_a.http.sorted_records()]
    assert [repr(t) for t in tx_b.dns.transactions] == [repr(t) for t in tx_a.dns.transactions]
    return skipped


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_captures(path):
    _same(path)
    _same(path, any_segment=True)


@pytest.mark.skipif(not CORPUS_FILES, reason=f"corpus folder {CORPUS} not present")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus(path):
    _same(path)
    _same(path, any_segment=True)


def test_synthetic_skips_most_acks_and_keeps_the_gap_deliveries(tmp_path):
    path = tmp_path / "synthetic.pcap"
    synthetic.generate(path, 6_000, seed=5, clients=100, sites=100)
    skipped = _same(path)
    assert skipped > 1000           # the pure ACKs of the responses' flights
    assert _same(path, any_segment=True) > skipped


def test_an_ack_past_a_hole_makes_its_packet_for_the_sink(tmp_path):
    """Two pipelined requests; the end of the first response is lost before the capture point and the second
    response, whole, is held out of order: the client's pure ACK of everything gives the HTTP sink the gap
    and the second response with the ACK's frame, so the response ends on that frame and its packet is made
    after all (with the http layer), equal to what feed() gives; the bytes of a segment that end no message
    make no packet."""
    from fixtures.tcp.craft import C, S, Talk
    from scapy.all import wrpcap

    ts_opt = [("NOP", None), ("NOP", None), ("Timestamp", (1, 1))]
    t = Talk()
    t.handshake()
    t.send(C, "PA", b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n", options=ts_opt)
    t.send(S, "A", options=ts_opt)
    t.send(S, "PA", b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789", options=ts_opt)
    lost = t.send(S, "PA", b"abcdefghij", options=ts_opt)
    t.send(S, "PA", b"HTTP/1.1 204 No Content\r\n\r\n", options=ts_opt)
    t.send(C, "A", options=ts_opt)                     # acknowledges both responses
    t.send(C, "PA", b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n", options=ts_opt)
    t.send(S, "PA", b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789", options=ts_opt)
    t.send(S, "PA", b"abcdefghij", options=ts_opt)
    t.send(C, "A", options=ts_opt)
    t.send(C, "FA")
    t.send(S, "FA")
    t.send(C, "A")
    packets = [p for p in t.packets if p is not lost]
    path = tmp_path / "lost_segment.pcap"
    wrpcap(str(path), packets)
    _same(path)
    tx = Transactions()
    pipe = Pipeline(transactions=tx)
    with open_capture(path) as reader:
        results = [pipe.feed_headers(frame) for frame in reader]
    ack = results[7]            # frame 8, the client's ACK past the hole: the 204 ends on it
    assert ack.__class__ is not HeaderOnly and ack.layer("http").fields["http.response.code"] == 204
    assert ack.layer("tcp").fields["tcp.stream"] == 0
    assert results[9].__class__ is HeaderOnly                  # /c's head and half its body: ends nothing
    assert results[10].__class__ is not HeaderOnly and results[10].layer("http") is not None     # its end
    assert results[11].__class__ is HeaderOnly and results[11].fields["tcp.ack"] == 1 + 59 + 27 + 59
    records = tx.http.sorted_records()
    assert [r.transaction.request.target for r in records] == ["/a", "/b", "/c"]


def test_a_fin_that_ends_a_response_gets_its_packet(tmp_path):
    """A response read until close ends at the server's FIN (no payload): the FIN frame's packet is made and
    carries the http layer, as feed() puts it there; SYNs with their options go header-only too."""
    from fixtures.tcp.craft import C, S, Talk
    from scapy.all import wrpcap

    t = Talk()
    t.handshake()
    t.send(C, "PA", b"GET / HTTP/1.0\r\n\r\n")
    t.send(S, "PA", b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello")
    t.send(S, "FA")
    t.send(C, "FA")
    t.send(S, "A")
    path = tmp_path / "read_until_close.pcap"
    wrpcap(str(path), t.packets)
    _same(path, any_segment=True)
    pipe = Pipeline(transactions=Transactions())
    with open_capture(path) as reader:
        results = [pipe.feed_headers(frame, any_segment=True) for frame in reader]
    assert results[0].__class__ is HeaderOnly and results[0].fields["tcp.stream"] == 0      # the SYN
    fin = results[5]
    assert fin.__class__ is not HeaderOnly and fin.layer("http").fields["http.response.code"] == 200
    assert results[6].__class__ is HeaderOnly
