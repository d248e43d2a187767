"""Every sentence cites the frames of the bytes it talks about (issue 10: "every sentence has its evidence").

A "where the time went" delay and the step it summarises cite the same frames; an HTTP request or response
step cites every frame carrying bytes of its message, as tshark lists them among the segments the message
was reassembled from (``tcp.segment``). With pipelined HTTP a segment can end one message and start the next:
both steps cite it. Expected frame numbers come from tshark's fields, never from our output.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "captures"
CORPUS = ROOT.parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")
PIPELINED = CORPUS / "http_pipelined_requests.pcap"


def load(path: Path):
    if not path.exists():
        pytest.skip(f"{path} is not there (the corpus lives in ../shared/corpus)")
    with open_capture(path) as reader:
        return timeline(reader)


def tshark_messages(path: Path) -> tuple[list[tuple[str, tuple[int, ...]]], list[tuple[int, ...]]]:
    """The HTTP requests (URI, frames) and responses (frames) in file order, each with the frames its bytes
    are in: a frame that completes a message reassembled from several segments lists them (``tcp.segment``);
    that message is the first one tshark dissects in the frame, the others lie wholly in it."""
    if not path.exists():
        pytest.skip(f"{path} is not there (the corpus lives in ../shared/corpus)")
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run([TSHARK, "-r", str(path), "-T", "fields", "-E", "occurrence=a", "-E", "separator=\t",
                          "-E", "aggregator=,", "-e", "frame.number", "-e", "tcp.segment",
                          "-e", "http.request.uri", "-e", "http.response.code"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    requests: list[tuple[str, tuple[int, ...]]] = []
    responses: list[tuple[int, ...]] = []
    for line in out.splitlines():
        frame, segs, uris, codes = (line.split("\t") + ["", "", ""])[:4]
        n = int(frame)
        first = tuple(int(x) for x in segs.split(",")) if segs else (n,)
        for i, uri in enumerate(x for x in uris.split(",") if x):
            requests.append((uri, first if i == 0 else (n,)))
        for i, _code in enumerate(x for x in codes.split(",") if x):
            responses.append(first if i == 0 else (n,))
    return requests, responses


def test_pipelined_steps_cite_every_frame_of_their_message():
    """OISF suricata-verify http-protocol-nodup: 40 GETs pipelined in 5 segments, 40 responses of 294 bytes
    in segments of 1,440: many messages start in one segment and end in the next."""
    tl = load(PIPELINED)        # (skips with the reason when the corpus is not there)
    requests, responses = tshark_messages(PIPELINED)
    assert len(requests) == len(responses) == 40
    expected = {uri: (req, resp) for (uri, req), resp in zip(requests, responses, strict=True)}
    seen = 0
    for fetch in tl.fetches:
        for r in fetch.requests:
            req_frames, resp_frames = expected[r.uri]
            (req_step,) = [s for s in fetch.steps if s.kind.startswith("http.request") and s.facts["uri"] == r.uri]
            (resp_step,) = [s for s in fetch.steps if s.kind.startswith("http.response")
                            and s.facts["uri"] == r.uri]
            assert (r.uri, req_step.frames) == (r.uri, req_frames)
            assert (r.uri, resp_step.frames) == (r.uri, resp_frames)
            seen += 1
    assert seen == 40
    # at least one message of each direction spans two segments (else the file proves nothing)
    assert any(len(f) > 1 for _u, f in requests) and any(len(f) > 1 for f in responses)


def test_pipelined_response_cites_its_segments_and_the_resend():
    """The fetch of /_vti_pvt/bots.cnf: its response starts in the segment that ends the response before it
    (tshark: reassembled from frames 10 and 15); its step cites both. Frame 15 was sent again after the server's
    FIN (tshark: a retransmission with frame 15's seq): the fetch tells it, and its delay cites the resend."""
    requests, responses = tshark_messages(PIPELINED)
    (k,) = [i for i, (uri, _f) in enumerate(requests) if uri == "/_vti_pvt/bots.cnf"]
    seg = tshark_segments(PIPELINED)
    last = responses[k][-1]
    (resend,) = [f for f, s in seg.items() if s[3] and s[0] == seg[last][0] and s[1] == seg[last][1]]
    tl = load(PIPELINED)
    (fetch,) = [f for f in tl.fetches if f.url.endswith("/_vti_pvt/bots.cnf")]
    (resp_step,) = [s for s in fetch.steps if s.kind.startswith("http.response")]
    assert resp_step.frames == responses[k]
    assert resp_step.facts["segments"] == len(responses[k])
    (delay,) = [d for d in fetch.breakdown if d.what == "retransmission"]
    assert delay.frames == (resend,)


def every_capture() -> list[str]:
    names = [str(p.relative_to(ROOT)) for p in sorted(CAPTURES.glob("*.pcap*"))]
    if CORPUS.exists():
        names += [f"corpus/{p.name}" for p in sorted(CORPUS.glob("*.pcap*"))]
    return names


@pytest.mark.parametrize("name", every_capture())
def test_delays_and_request_rows_cite_frames_the_steps_cite(name):
    """Every "where the time went" delay cites only frames some step of its fetch cites, and the request
    and response frames of every request row are cited by a step of the same fetch."""
    path = CORPUS / name.split("/", 1)[1] if name.startswith("corpus/") else ROOT / name
    if path.name == "lab_https_page_fetch.pcapng":
        pytest.skip("needs its key log to show HTTP (tests/test_timeline_tls.py)")
    tl = load(path)
    for fetch in tl.fetches:
        cited = {f for s in fetch.steps for f in s.frames}
        for d in fetch.breakdown:
            assert set(d.frames) <= cited, (fetch.index, d.what, d.frames)
        for r in fetch.requests:
            for f in (r.request_frame, r.response_frame):
                assert f is None or f in cited, (fetch.index, r.uri, f)


def tshark_segments(path: Path) -> dict[int, tuple[str, int, int, bool]]:
    """frame -> ("stream/source port", relative seq, sequence numbers taken (payload, +1 for a FIN or SYN),
    Wireshark calls it a retransmission)."""
    if not path.exists():
        pytest.skip(f"{path} is not there (the corpus lives in ../shared/corpus)")
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run([TSHARK, "-r", str(path), "-Y", "tcp", "-T", "fields", "-E", "separator=\t",
                          "-e", "frame.number", "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.seq", "-e", "tcp.len",
                          "-e", "tcp.analysis.retransmission", "-e", "tcp.flags.fin", "-e", "tcp.flags.syn"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    got = {}
    for line in out.splitlines():
        frame, stream, port, seq, length, retrans, fin, syn = (line.split("\t") + [""] * 7)[:8]
        taken = int(length or 0) + (fin in ("1", "True")) + (syn in ("1", "True"))
        got[int(frame)] = (f"{stream}/{port}", int(seq or 0), taken, bool(retrans))
    return got


def test_pipelined_retransmission_names_the_copy_it_resends():
    """Frame 22 resends the server's bytes from relative seq 10375, first sent in frame 19; Wireshark's RTO
    is measured from frame 9 (the eldest unacknowledged segment), which is not what frame 22 carries. The
    step's "a copy of frame N" and its wait, and the delay's frames, follow the bytes."""
    seg = tshark_segments(PIPELINED)
    resent = min(f for f, s in seg.items() if s[3])
    port, seq, _length, _ = seg[resent]
    original = min(f for f, s in seg.items() if f < resent and s[0] == port and s[2] and s[1] <= seq < s[1] + s[2])
    tl = load(PIPELINED)
    (step,) = [s for f in tl.fetches for s in f.steps if s.kind == "tcp.retransmission" and resent in s.frames]
    assert resent in step.frames and step.facts["rel_seq"] == seq
    assert step.facts["orig_frame"] == original
    assert f"a copy of frame {original} " in step.text
    (fetch,) = [f for f in tl.fetches if step in f.steps]
    (delay,) = [d for d in fetch.breakdown if d.what == "retransmission"]
    assert delay.frames == (resent,)


@pytest.mark.parametrize("name", every_capture())
def test_every_retransmission_copy_is_the_first_segment_with_its_bytes(name):
    """Wherever a retransmission step names the copy it resends, tshark shows that frame from the same side
    of the same stream carrying the resent first byte, and no earlier frame of that side carrying it."""
    path = CORPUS / name.split("/", 1)[1] if name.startswith("corpus/") else ROOT / name
    tl = load(path)
    named = [s for f in tl.fetches for s in f.steps if s.kind.startswith("tcp.retransmission")
             and s.facts.get("orig_frame")]
    if not named:
        return
    seg = tshark_segments(path)
    for st in named:
        orig, seq = st.facts["orig_frame"], st.facts["rel_seq"]
        port = seg[orig][0]
        carried = [f for f, s in seg.items() if s[0] == port and s[2] and s[1] <= seq < s[1] + s[2]]
        assert carried and carried[0] == orig, (st.frames, st.text)
