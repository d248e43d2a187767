"""HTTP/1.1 pipelining and the data a server sends again after its FIN (issue 10: "every loss a capture holds
appears and is explained"; "each segment belongs to the request/response whose bytes it carries").

../shared/corpus/http_pipelined_requests.pcap: a scanner sends 40 GETs pipelined on one connection (8 of them in
frame 4, before any response); the server answers in order, closes with its last response (FIN in frame 19), and
then sends again six response segments the client had not got (its duplicate ACKs, SACK blocks beyond them).
Every expected frame comes from tshark.

Before: no step said the requests were pipelined ("keep-alive"); in a fetch whose response shared its segments
with others, "stays open (keep-alive)" came before the request; and the six resent segments went to the last
fetch's teardown, told as one retransmission "a copy of frame 19", while the fetches whose bytes they carried
said nothing of a loss."""

from __future__ import annotations

from pathlib import Path

import pytest
from tshark_query import fields

from analyzer.capture import open_capture
from analyzer.timeline import timeline

CAPTURE = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "http_pipelined_requests.pcap"
pytestmark = pytest.mark.skipif(not CAPTURE.exists(), reason="the shared corpus (../shared/corpus) is not here")


def load(lang: str = "en"):
    with open_capture(CAPTURE) as reader:
        return timeline(reader, lang).fetches


def test_requests_sent_before_the_previous_answer_are_told_pipelined():
    ((first_response,),) = fields(CAPTURE, "http.response", "frame.number")[:1]
    ((methods,),) = fields(CAPTURE, "frame.number == 4", "http.request.method")
    at_once = methods.split(",")
    assert int(first_response) > 4 and len(at_once) >= 2
    fetches = load()
    steps = [[s for s in f.steps if s.kind == "http.pipelined"] for f in fetches]
    assert steps[0] == []
    for told in steps[1:len(at_once)]:
        (step,) = told
        assert step.frames[0] == 4 and step.frames[1] >= int(first_response)
        assert "HTTP/1.1 answers pipelined requests in order" in step.text
    for f in fetches:       # a step never comes before the request it follows
        kinds = [s.kind for s in f.steps]
        if "tcp.kept" in kinds:
            assert kinds.index("tcp.kept") > kinds.index(next(k for k in kinds if k.startswith("http.request")))
    (zh,) = [s for s in load("zh")[1].steps if s.kind == "http.pipelined"]
    assert "队头阻塞" in zh.text


def test_data_sent_again_after_the_fin_is_told_with_the_response_it_carries():
    segs = {int(f): (int(q), bool(r)) for f, q, r in fields(CAPTURE, "tcp.srcport == 80 && tcp.len > 0",
                                                              "frame.number", "tcp.seq",
                                                              "tcp.analysis.retransmission")}
    ((fin,),) = fields(CAPTURE, "tcp.srcport == 80 && tcp.flags.fin == 1 && !tcp.analysis.retransmission",
                       "frame.number")
    first_copy = {}
    for f in sorted(segs):
        first_copy.setdefault(segs[f][0], f)
    resent = {f: first_copy[q] for f, (q, r) in segs.items() if r and first_copy[q] != int(fin)}
    assert len(resent) == 6 and all(f > int(fin) for f in resent)
    fetches = load()
    for again, original in resent.items():
        told = [f for f in fetches for s in f.steps if s.kind.startswith("tcp.retransmission") and again in s.frames]
        assert len(told) == 1, again
        (fetch,) = told
        assert any(s.kind.startswith("http.response") and original in s.frames for s in fetch.steps), again
        (step,) = [s for s in fetch.steps if s.kind.startswith("tcp.retransmission") and again in s.frames]
        assert f"a copy of frame {original} " in step.text and "duplicate ACKs asked for it" in step.text
        assert any("duplicate ACKs asked for it" in d.text for d in fetch.breakdown)
