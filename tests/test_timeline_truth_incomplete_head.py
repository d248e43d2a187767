"""An incomplete response of which only the head passed the capture point is told in TCP terms, as F21 tells one with
part of its body (tests/test_timeline_truth_incomplete.py): the body its head announced, that none of it passed the
capture point, where the server's data ends (the head's last relative seq and frame), and what ended the connection:
a FIN or RST, or, when the capture runs on without another frame of the connection, its last frame (F43, corpus
linktype_raw101_ipv4_ipv6_http_dns fetch 2, frame 49: was "200 OK, image/jpeg, 0 bytes of body" and "incomplete (the
capture ended first)", the file running on for 11 years: it is several captures joined).

Expected values from tshark at test time: ``http.content_length`` (body desegmentation off), ``tcp.nxtseq`` of the
response's frame, the connection's frames and the file's last frame time. Crafted captures are written with scapy.
"""

from __future__ import annotations

import pytest
from fixtures.timeline import craft

from analyzer.capture import open_capture
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CORPUS
from tests.test_timeline_truth_incomplete import _tshark

RAW = CORPUS / "linktype_raw101_ipv4_ipv6_http_dns.pcap"




def _steps(path, lang="en"):
    with open_capture(path) as reader:
        tl = timeline(reader, lang)
    return [s for f in tl.fetches for s in f.steps]


def _oracle(path, response_frame: int) -> dict:
    ((length, stream, nxtseq, t_resp),) = _tshark(
        path, f"frame.number == {response_frame}", "http.content_length", "tcp.stream", "tcp.nxtseq",
        "frame.time_epoch", options=("-o", "http.desegment_body:FALSE"))
    conn = _tshark(path, f"tcp.stream == {stream}", "frame.number", "frame.time_epoch", "tcp.flags.fin",
                   "tcp.flags.reset", "ip.src", "ipv6.src")
    last = _tshark(path, "frame", "frame.time_epoch")[-1][0]
    return {"expected": int(length), "nxtseq": int(nxtseq), "t_resp": float(t_resp), "conn": conn,
            "capture_end": float(last)}


def _check(path, response_frame: int, lang_check: bool = True) -> tuple:
    want = _oracle(path, response_frame)
    steps = _steps(path)
    (inc,) = [s for s in steps if s.kind.startswith("http.incomplete")]
    (resp,) = [s for s in steps if s.kind.startswith("http.response") and s.frames[0] == response_frame]
    f = inc.facts
    assert inc.kind == "http.incomplete.head" and inc.problem
    assert (f["expected"], f["received"], f["last_seq"], f["last_frame"]) == \
        (want["expected"], 0, want["nxtseq"], response_frame)
    assert f"its head announced {want['expected']:,} bytes of body (Content-Length), and none of its body passed " \
        "the capture point" in inc.text
    assert f"ends with the head, at relative seq {want['nxtseq']} (frame {response_frame})" in inc.text
    assert "0 bytes of body (none of it passed the capture point: see below)" in resp.text
    if lang_check:
        (zh,) = [s for s in _steps(path, "zh") if s.kind.startswith("http.incomplete")]
        assert f"{want['expected']:,} 字节" in zh.text and f"相对序号 {want['nxtseq']}（第 {response_frame} 帧）" in zh.text
    return inc, want


def test_head_only_corpus():
    """linktype_raw101 frame 49: the head of a 1,151-byte image, the client's ACK (frame 50), then nothing more of
    the connection although the file runs on (to frames of 2017)."""
    if not RAW.exists():
        pytest.skip(f"{RAW} is not there (the corpus lives in ../shared/corpus)")
    ((req,),) = _tshark(RAW, 'http.request.uri == "/images/space23.jpg"', "frame.number")
    ((frame,),) = _tshark(RAW, f"http.request_in == {req}", "frame.number", options=("-o", "http.desegment_body:FALSE"))
    inc, want = _check(RAW, int(frame))
    last_frame, t_last = int(want["conn"][-1][0]), float(want["conn"][-1][1])
    assert not any(fin == "1" or rst == "1" for _f, _t, fin, rst, *_ip in want["conn"])
    assert want["capture_end"] - t_last > 1
    assert (inc.facts["how"], inc.facts["quiet_frame"]) == ("quiet", last_frame)
    assert inc.facts["end_ms"] == pytest.approx((t_last - want["t_resp"]) * 1000, abs=0.002)
    assert inc.frames == (int(frame), last_frame)
    assert f"No frame of this connection comes after frame {last_frame}" in inc.text


def _crafted(tmp_path, end: str):
    """A response head announcing 3,000 bytes, the client's ACK; then the server's FIN 2 s later ("fin"), or 5 s of
    another connection's traffic and nothing more of this one ("quiet")."""
    story = craft.Story()
    c = craft.Conn(story, (craft.CLIENT, 44201), (craft.SERVER_A, 80))
    c.handshake()
    c.send(craft.C, "PA", craft.request("/img.jpg", "www.a.test"))
    head = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 3000\r\n\r\n"
    resp = c.send(craft.S, "PA", head, dt_us=20_000)
    c.send(craft.C, "A", dt_us=100)
    if end == "fin":
        c.send(craft.S, "FA", dt_us=2_000_000)
        c.send(craft.C, "FA", dt_us=300)
        c.send(craft.S, "A", dt_us=300)
    else:
        other = craft.Conn(story, (craft.CLIENT, 44202), (craft.SERVER_B, 80))
        other.handshake()
        other.send(craft.C, "A", dt_us=5_000_000)
    path = tmp_path / f"head_only_{end}.pcap"
    story.write(path)
    return path, resp


def test_head_only_then_fin(tmp_path):
    path, resp = _crafted(tmp_path, "fin")
    inc, want = _check(path, resp)
    ((fin, t_fin),) = [(int(f), float(t)) for f, t, fin, *_r in want["conn"] if fin == "1"][:1]
    assert (inc.facts["how"], inc.facts["ender"], inc.facts["end_frame"]) == ("closed", "server", fin)
    assert inc.facts["end_ms"] == pytest.approx((t_fin - want["t_resp"]) * 1000, abs=0.002)
    assert "Then the server closed the connection (FIN" in inc.text


def test_head_only_then_quiet(tmp_path):
    path, resp = _crafted(tmp_path, "quiet")
    inc, want = _check(path, resp, lang_check=False)
    last_frame, t_last = int(want["conn"][-1][0]), float(want["conn"][-1][1])
    assert (inc.facts["how"], inc.facts["quiet_frame"]) == ("quiet", last_frame)
    assert inc.facts["more_ms"] == pytest.approx((want["capture_end"] - t_last) * 1000, abs=0.002)
