"""``analyzer read`` (text) and ``read -Y`` (a filter the header columns decide) make only summary lines, so
their pipeline runs with ``analyzed(..., lines=True)``: the http layers carry their Info text and no fields,
and the DNS transaction fields are not made. The lines printed are those of the per-packet path (every frame
decoded, every field made: ``analyze`` then ``Summary.line``), on every capture, every corpus file and
synthetic web traffic, through the command itself (in-process) and through ``analyzed`` frame by frame. A
segment in which HTTP messages end is not decoded when no other sink wants its packet: the HTTP tracker
holds the messages' Info texts and read's line is the header line with them (``header_only_line``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import synthetic
from click.testing import CliRunner

from analyzer.api.packets import analyze
from analyzer.capture import open_capture
from analyzer.cli.main import main
from analyzer.cli.read import header_only_line
from analyzer.filter import compile_filter
from analyzer.filter.apply import analyzed, matching_packets
from analyzer.pipeline import HeaderOnly
from analyzer.report.summary import Summary

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
CAPTURES = sorted((REPO / "captures").glob("*.pcap*"))
CORPUS_FILES = sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else []
# header-column filters (read -Y takes its lines=True path for them) and one that is not (http: per packet)
FILTERS = ["tcp.port == 80 and tcp.len > 0", "tcp.port == 53 or udp.port == 53", "not tcp", "http"]


def per_packet(path: Path, text: str | None = None) -> list[str]:
    """The lines of every packet (or of those the filter ``text`` accepts), every frame decoded and given
    every field."""
    with open_capture(path) as reader:
        summary = Summary(0, reader.time_digits)
        first = []

        def noted(frames):
            for frame in frames:
                if not first:
                    first.append(frame.ts_ns)
                yield frame

        packets = analyze(noted(reader)) if text is None else matching_packets(noted(reader), compile_filter(text))
        out = []
        for pkt in packets:
            if summary.t0_ns is None:
                summary.t0_ns = first[0]
            out.append(summary.line(pkt))
        return out


def command(path: Path, *args: str) -> list[str]:
    result = CliRunner().invoke(main, ["read", *args, str(path)])
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def lines_only(path: Path) -> tuple[list[str], int, int]:
    """The lines of ``analyzed(headers=True, lines=True)`` as read makes them; how many frames carried an
    http layer, and how many of those were not decoded (their Info texts held by the HTTP tracker)."""
    with open_capture(path) as reader:
        summary = Summary(0, reader.time_digits)
        out, http, undecoded = [], 0, 0
        pipelines: list = []
        for res in analyzed(reader, None, pipelines, headers=True, lines=True):
            if res.__class__ is HeaderOnly:
                tracker = pipelines[0].transactions.http
                held = res.frame.number in tracker.infos
                line = header_only_line(summary, res, tracker)
                http += held
                undecoded += held
                assert res.frame.number not in tracker.infos      # taken
                out.append(line)
            else:
                http += any(layer.name == "http" for layer in res.layers)
                out.append(summary.line(res))
        return out, http, undecoded


def check(path: Path) -> None:
    want = per_packet(path)
    got, _http, _undecoded = lines_only(path)
    assert len(got) == len(want), path.name
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        assert a == b, f"{path.name} line {i + 1}"
    assert command(path) == want, path.name
    for text in FILTERS:
        assert command(path, "-Y", text) == per_packet(path, text), f"{path.name} -Y {text!r}"


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_captures(path):
    check(path)


@pytest.mark.skipif(not CORPUS_FILES, reason=f"the shared corpus ({CORPUS}) is not here")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus(path):
    check(path)


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_synthetic_traffic(tmp_path, fmt):
    path = tmp_path / f"web.{fmt}"
    synthetic.generate(path, 3000, seed=7, clients=40, sites=60)
    check(path)
    _lines, http, undecoded = lines_only(path)
    assert http > 100       # the http layers this path thins out are there
    assert undecoded > http // 3        # and most are on segments not decoded


def test_info_texts_not_taken_are_forgotten():
    """Under -Y a segment whose HTTP Info texts wait in the tracker may not be shown (the filter rejects it):
    the texts of frames gone by are dropped when the next ones are held, so the tracker holds at most one
    frame's."""
    path = REPO / "captures" / "http_page_fetch_loopback.pcapng"
    held = []
    with open_capture(path) as reader:
        pipelines: list = []
        for _res in analyzed(reader, None, pipelines, headers=True, lines=True):
            held.append(len(pipelines[0].transactions.http.infos))
    assert max(held) == 1


def test_http_layers_carry_only_their_info():
    """What the lighter path leaves out: an http layer is its Info text alone (the per-packet path's layer of
    the same frame has the fields, and the same text)."""
    path = REPO / "captures" / "http_page_fetch_loopback.pcapng"
    light = {}
    with open_capture(path) as reader:
        pipelines: list = []
        for res in analyzed(reader, None, pipelines, headers=True, lines=True):
            if res.__class__ is HeaderOnly:     # not decoded: the texts are held for it
                light[res.frame.number] = [({}, info) for info in
                                           pipelines[0].transactions.http.take_infos(res.frame.number) or ()]
            else:
                light[res.frame.number] = [(layer.fields, layer.info) for layer in res.layers
                                           if layer.name == "http"]
    with open_capture(path) as reader:
        full = {pkt.frame.number: [(layer.fields, layer.info) for layer in pkt.layers if layer.name == "http"]
                for pkt in analyze(reader)}
    shown = {n: layers for n, layers in full.items() if layers}
    assert shown
    for number, layers in shown.items():
        assert [info for _f, info in light[number]] == [info for _f, info in layers]
        assert all(fields == {} for fields, _i in light[number])
        assert all("http.request.method" in f or "http.response.code" in f for f, _i in layers)


@pytest.mark.parametrize("name", ["lab_page_fetch.pcapng", "lab_lossy_fetch_retransmissions.pcapng"])
def test_mutated_captures(tmp_path, name):
    """Damaged copies of real captures (tests/mutants.py: lying IP lengths, other header lengths, flags,
    options, ports, addresses): the same lines as the per-packet path."""
    from mutants import mutated_pcaps

    for path in mutated_pcaps(name, tmp_path):
        got, _http, _undecoded = lines_only(path)
        assert got == per_packet(path), path.name
        assert command(path) == got, path.name


def test_frames_of_a_batch():
    """read -Y's frames from batches (filter.apply._frames_of) are those FrameBatch.frame makes, every slot,
    for pcap and pcapng (interface ids and names) captures, and a batch cut short (-c)."""
    from analyzer.filter.apply import _frames_of

    slots = ("number", "ts_ns", "caplen", "origlen", "iface", "iface_name", "linktype", "data")
    files = CAPTURES + CORPUS_FILES[:10]
    assert any(p.suffix == ".pcapng" for p in files) and any(p.suffix == ".pcap" for p in files)
    for path in files:
        with open_capture(path) as reader:
            for batch in reader.batches():
                for n in (len(batch), len(batch) // 2):
                    got = [tuple(getattr(f, s) for s in slots) for f in _frames_of(batch, n)]
                    assert got == [tuple(getattr(batch.frame(i), s) for s in slots) for i in range(n)], path.name


def test_no_udp_conversation_is_kept():
    """With lines=True the pipeline keeps no UDP conversation (no line shows udp.stream): on a capture of many
    DNS exchanges the per-packet path's table has one per query port, this one none; the lines are the same
    (check, above)."""
    path = REPO / "captures" / "lab_dns_mix.pcapng"
    pipelines: list = []
    with open_capture(path) as reader:
        for _res in analyzed(reader, None, pipelines, headers=True, lines=True):
            pass
    assert pipelines[0].udp.conversations == []
    full: list = []
    with open_capture(path) as reader:
        for _res in analyzed(reader, None, full, headers=True):
            pass
    assert len(full[0].udp.conversations) > 5


def test_body_bytes_counted_not_handed_out():
    """keep_body=False (read's parsers, no records): a chunk wholly inside a body of known length gives no
    Data event; every other event, the EndOfMessage's lengths and frames included, is the same."""
    from analyzer.apps.http.events import NEED_DATA, Data
    from analyzer.apps.http.parser import SERVER, HttpStreamParser

    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/css\r\nContent-Length: 3000\r\n\r\n"
    body = bytes(range(256)) * 11 + b"x" * 184
    chunks = [head + body[:500], body[500:1500], body[1500:2900], body[2900:] + head + b"ab"]

    def events(keep: bool) -> list:
        parser = HttpStreamParser(SERVER)
        parser.keep_body = keep
        parser.expect_response("GET")
        parser.expect_response("GET")
        out = []
        for frame, chunk in enumerate(chunks, 1):
            parser.receive_data(chunk, frame * 1000, frame)
            while (event := parser.next_event()) is not NEED_DATA:
                out.append(event)
        return out

    every, counted = events(True), events(False)
    assert [e for e in every if not isinstance(e, Data) or e.frame in (1, 4)] == counted
    assert sum(len(e.data) for e in every if isinstance(e, Data)) == 3000 + 2     # and the next body's first 2
    assert len(every) - len(counted) == 2      # the chunks of frames 2 and 3


def http_scenarios() -> dict[str, list]:
    """Crafted HTTP/1 connections where the lean head scan and the body count decide (scapy, via
    fixtures.tcp.craft.Talk)."""
    from fixtures.tcp.craft import C, S, Talk

    out = {}
    def conn(port):
        return Talk(cli=("10.0.0.1", port), srv=("10.0.0.2", 80))
    t = conn(40001); t.handshake()           # odd case, blanks before the colon, body holding a blank line
    t.send(C, "PA", b"POST /form HTTP/1.1\r\nhOST: a\r\ncontent-LENGTH : 12\r\ncontent-type:text/plain\r\n\r\nab\r\n\r\ncd\r\n\r\n")
    t.send(S, "PA", b"HTTP/1.1 200 OK\r\nCONTENT-TYPE:  text/html ; charset=utf-8\r\ncontent-length:\t9\r\n\r\n<p>\r\n\r\n</p>"[:60])
    t.send(S, "PA", b"HTTP/1.1 200 OK\r\nCONTENT-TYPE:  text/html ; charset=utf-8\r\ncontent-length:\t9\r\n\r\n<p>\r\n\r\n</p>"[60:])
    t.send(C, "FA"); t.send(S, "FA"); t.send(C, "A")
    out["odd_case"] = t.packets
    t = conn(40002); t.handshake()           # obs-fold, head split across segments, HEAD, 304, 1xx
    t.send(C, "PA", b"HEAD /h HTTP/1.1\r\nHost: a\r\n\r\nGET /c HTTP/1.1\r\nHost: a\r\nIf-None-Match: x\r\n\r\n")
    t.send(S, "PA", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Len")
    t.send(S, "PA", b"gth: 500\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Type: text/css\r\nContent-Length: 9\r\n\r\n")
    t.send(C, "PA", b"POST /u HTTP/1.1\r\nExpect: 100-continue\r\nContent-Type: a/b\r\n folded\r\nContent-Length: 4\r\n\r\n")
    t.send(S, "PA", b"HTTP/1.1 100 Continue\r\n\r\n")
    t.send(C, "PA", b"data")
    t.send(S, "PA", b"HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\n  ; folded\r\nContent-Length: 2\r\n\r\nok")
    t.send(C, "FA"); t.send(S, "FA"); t.send(C, "A")
    out["fold_head_304_1xx"] = t.packets
    t = conn(40003); t.handshake()           # chunked with extensions and trailers, pipelined, duplicate length
    t.send(C, "PA", b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n")
    t.send(S, "PA", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n5;ext=1\r\n{\"a\":\r\n")
    t.send(S, "PA", b"3 ; q=\"x\"\r\n\r\n}\r\n0\r\nX-Trailer: yes\r\nExpires: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nhi")
    t.send(S, "PA", b"HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: gzip, chunked\r\nContent-Length: 99\r\nContent-Type: text/x\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    t.send(C, "FA"); t.send(S, "FA"); t.send(C, "A")
    out["chunked_pipelined"] = t.packets
    t = conn(40004); t.handshake()           # invalid and conflicting Content-Length
    t.send(C, "PA", b"GET /bad HTTP/1.1\r\nHost: a\r\n\r\n")
    t.send(S, "PA", b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\nContent-Type: text/plain\r\n\r\nabcd")
    t.send(C, "PA", b"GET /bad2 HTTP/1.1\r\nHost: a\r\n\r\n")
    t.send(S, "PA", b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\nContent-Type: text/plain\r\n\r\nabcd")
    t.send(C, "PA", b"GET /ok HTTP/1.1\r\nHost: a\r\n\r\n")
    t.send(S, "PA", b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
    t.send(C, "RA")
    out["bad_length"] = t.packets
    t = conn(40005); t.handshake()           # a body in many segments, one lost; a body until close
    t.send(C, "PA", b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
    body = bytes(range(256)) * 8
    t.send(S, "PA", b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 2048\r\n\r\n" + body[:500])
    t.send(S, "PA", body[500:1000])
    t.next[S] += 500                          # lost
    t.send(S, "PA", body[1500:2000])
    t.send(S, "PA", body[2000:] + b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nuntil\r\n\r\nclose")
    t.send(C, "PA", b"GET /n HTTP/1.1\r\nHost: a\r\n\r\n")
    t.send(S, "PA", b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nmore\r\n\r\n")
    t.send(S, "FA"); t.send(C, "FA"); t.send(S, "A")
    out["lost_and_close"] = t.packets
    t = conn(40006)                           # picked up mid-stream: no handshake, a body tail first
    t.send(S, "A", b"tail of an earlier body\r\n\r\n")
    t.send(C, "PA", b"GET /m HTTP/1.1\r\nHost: a\r\n\r\n")
    t.send(S, "PA", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 4\r\n\r\nbody")
    out["midstream"] = t.packets
    t = conn(40007); t.handshake()           # content-coded bodies (not decoded by the lean parser): gzip, broken
    import gzip
    packed = gzip.compress(b"<html>" + b"x" * 3000 + b"</html>")
    t.send(C, "PA", b"GET /z HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\nGET /y HTTP/1.1\r\n\r\n")
    t.send(S, "PA", b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: text/html\r\nContent-Length: "
           + str(len(packed)).encode() + b"\r\n\r\n" + packed[:20])
    t.send(S, "PA", packed[20:])
    t.send(S, "PA", b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"
           b"Content-Type: text/css\r\n\r\n5\r\nnot g\r\n0\r\n\r\n")
    t.send(C, "FA"); t.send(S, "FA"); t.send(C, "A")
    out["content_coded"] = t.packets
    return out


def test_crafted_http(tmp_path):
    """HTTP/1 heads and bodies crafted where read's lean parser decides (readers.framing_fields,
    HttpStreamParser.count_body; tests/test_http1_lean.py compares their events with the full parser's): header
    names in odd case, blanks before the colon, obs-fold, a head split across segments, HEAD, 304, 100
    Continue, chunked with extensions and trailers, pipelined requests, duplicate, conflicting and invalid
    Content-Length, a body holding blank lines, a body segment lost, a body until close, a connection picked
    up mid-stream, gzip and broken content-coded bodies; each alone, and all interleaved in one capture (through the command too, with -Y): the lines
    are the per-packet path's."""
    from scapy.all import wrpcap

    everything = []
    for name, packets in http_scenarios().items():
        path = tmp_path / f"{name}.pcap"
        wrpcap(str(path), packets)
        assert lines_only(path)[0] == per_packet(path), name
        everything += packets
    path = tmp_path / "all.pcap"
    wrpcap(str(path), sorted(everything, key=lambda p: p.time))
    check(path)
    _lines, http, undecoded = lines_only(path)
    assert http >= 15 and undecoded >= 5


# (scenario, frame) -> why read's line differs from tshark's on the crafted HTTP captures (the per-packet path's
# line too: test_crafted_http); every other line where either shows HTTP is tshark's
_HEAD_BODY = ("tshark 4.0 gives the 200 answering the pipelined HEAD its Content-Length of body (500 bytes) and reads "
              "the responses after it as that body; a response to HEAD has none (RFC 9110 9.3.2)")
TSHARK_DIFFERENCES = {
    ("odd_case", 4): "'content-LENGTH : 12' (a blank before the colon) is no Content-Length to tshark, so the body's "
                     "first line shows as a Continuation; read takes the field, leniently",
    ("fold_head_304_1xx", 6): _HEAD_BODY,
    ("fold_head_304_1xx", 8): _HEAD_BODY,
    ("fold_head_304_1xx", 10): _HEAD_BODY,
    ("fold_head_304_1xx", 9): "tshark shows the obs-folded line of the head as a Continuation and no media type; read "
                              "unfolds it into Content-Type (RFC 9112 5.2)",
    ("chunked_pipelined", 6): "tshark's JSON dissector adds ', JavaScript Object Notation'; read decodes no bodies",
    ("chunked_pipelined", 7): "'Transfer-Encoding: gzip, chunked' with a Content-Length: tshark waits for the length, "
                              "read reads chunks (RFC 9112 6.3: Transfer-Encoding wins)",
    ("bad_length", 5): "conflicting Content-Length values (3, 4): tshark takes one, read calls the message malformed "
                       "(RFC 9112 6.3: an unrecoverable error) and shows no HTTP",
    ("content_coded", 7): "a gzip body that does not decompress: tshark shows no media type, read shows the "
                          "Content-Type (it decodes no bodies for the Info text)",
}


def test_crafted_http_against_tshark(tmp_path):
    """The crafted HTTP connections through ``read`` against ``tshark -n -r``: on every frame where either
    shows HTTP, the line after the time column is tshark's, but for the differences listed (each with its
    reason) -- so a lean path that changed an Info text would show here as well as against the per-packet
    path."""
    import shutil

    from scapy.all import wrpcap
    from tshark_run import tshark_output

    if shutil.which("tshark") is None:
        pytest.skip("tshark not installed")
    seen = set()
    for name, packets in http_scenarios().items():
        path = tmp_path / f"{name}.pcap"
        wrpcap(str(path), packets)
        ours = command(path)
        theirs = tshark_output(["tshark", "-n", "-r", str(path)], path).splitlines()
        assert len(ours) == len(theirs), name
        for a, b in zip(ours, theirs, strict=True):
            number, _time, a_rest = a.split(None, 2)
            b_rest = b.split(None, 2)[2]
            if " HTTP " not in f" {a_rest} " and " HTTP " not in f" {b_rest} ":
                continue
            key = (name, int(number))
            if key in TSHARK_DIFFERENCES:
                seen.add(key)
                assert a_rest != b_rest, f"{key} is listed as a difference but equals tshark's line"
            else:
                assert a_rest == b_rest, f"{key}: {a_rest!r} != tshark's {b_rest!r}"
    assert seen == set(TSHARK_DIFFERENCES)
