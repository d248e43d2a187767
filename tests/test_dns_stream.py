"""``analyzer dns`` streams (issue 12: memory bounded by what is open, not by the file).

:meth:`analyzer.api.build.Analysis.dns_stream` (:func:`analyzer.api.stream.dns_stream`) hands out each DNS
transaction once no later message can pair with it; ``dns`` and ``dns --json`` print them as they come.
Checked here:

* the records are those of the whole pass (``Analysis.run(...).dns``), in the same order, field for field
  (uids and TC retry frames included), with a look after every frame, every 7 and every 2,048, with and
  without the HTTP/TLS trackers, on every capture, every corpus file and damaged copies; with ``-Y`` (a :class:`~analyzer.api.stream.WindowMatcher`)
  those of ``Capture(display_filter=...).dns``;
* the CLI prints the table and the JSON lines of ``analyze().dns`` (uid and query frames from tshark);
* a transaction goes out while the capture goes on (30 s of packet time after its answer), and what the pass
  holds in its own code (analyzer/api, analyzer/apps: allocations alive when the last frame was read,
  tracemalloc) stays level when the lookups go on 4x longer, where the whole pass grows with them; the
  matcher's frame numbers too;
* a truncated UDP answer waits for the client's retry over TCP, and goes out without it 30 s later.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import analyzer
from analyzer.api.build import Analysis
from analyzer.api.stream import TC_RETRY_HOLD_NS, WindowMatcher
from analyzer.capture.frame import Frame
from analyzer.cli.main import main
from analyzer.filter import compile_filter
from analyzer.report import dns as report

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from test_http_stream import CAPTURES, CORPUS, CORPUS_FILES, _keys
from test_http_stream import held_at_end as http_stream_held
from test_timeline_memory import dns_message, lookups_every_second

from fuzz.adversarial import _dns_name, eth, ipv4, udp

MUTATED = ["lab_dns_mix.pcapng", "lab_page_fetch.pcapng"]


def _same(path: Path, everies=(1, 7, 2048)) -> list:
    cap = analyzer.open(path, keylog=_keys(path))
    want = cap.analyze().dns
    for every in everies:
        for http in (True, False):      # False: no HTTP/TLS tracker (what the dns command runs without -Y)
            with cap.open() as reader:
                got = list(Analysis(keylog=cap.keylog, http=http).dns_stream(reader, every=every))
            assert got == want, (path.name, every, http)
    return want


def _same_filtered(path: Path, text: str) -> list:
    want = analyzer.open(path, keylog=_keys(path), display_filter=text).analyze().dns
    cap = analyzer.open(path, keylog=_keys(path))
    with cap.open() as reader:
        got = list(Analysis(matcher=WindowMatcher(compile_filter(text)), keylog=cap.keylog).dns_stream(reader, 3))
    assert got == want, (path.name, text)
    return got


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_captures(path):
    _same(path)
    _same_filtered(path, "dns.flags.response == 1")


@pytest.mark.skipif(not CORPUS_FILES, reason=f"corpus folder {CORPUS} not present")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus(path):
    _same(path)
    _same_filtered(path, "udp")


@pytest.mark.parametrize("name", MUTATED)
def test_mutated(tmp_path, name):
    from mutants import mutated_pcaps

    for path in mutated_pcaps(name, tmp_path, rounds=2):
        _same(path, everies=(1,))


def test_cli_prints_the_rows_of_the_pass():
    path = REPO / "captures" / "lab_dns_mix.pcapng"
    cap = analyzer.open(path)
    out = CliRunner().invoke(main, ["dns", "--json", str(path)])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert rows == json.loads(json.dumps(report.rows(cap.dns)))
    # tshark -r FILE -Y "dns.flags.response == 0" -T fields -e frame.number -e dns.qry.name (the first five)
    assert [(r["query_frame"], r["query"]) for r in rows][:5] == [
        (3, "www.example.test"), (5, "www.example.test"), (7, "web.example.test"), (9, "example.test"),
        (11, "nosuch.example.test")]
    uids = {c.stream: c.uid for c in cap.udp}
    assert all(r["uid"] == uids[r["stream"]] for r in rows if r["proto"] == "udp")
    table = CliRunner().invoke(main, ["dns", str(path)])
    assert table.output == report.table(report.rows(cap.dns), cap.analyze().first_ts_ns) + "\n"


def test_transactions_go_out_while_the_capture_goes_on():
    """Lookups every second, each answered 2 ms later: a transaction is final 30 s (and one sweep) after its
    answer, so by the time the last frame is read, all but the last ~40 went out."""
    frames = lookups_every_second(200)
    out: list = []
    at_end = {}

    def feed():
        yield from frames
        at_end["out"] = len(out)

    out.extend(Analysis().dns_stream(feed(), every=1))
    assert [d.query for d in out] == [f"n{i}.test" for i in range(200)]
    assert 200 - 45 <= at_end["out"] <= 200 - 30, at_end
    assert out[10].retransmissions == (22,)       # query 10 sent twice (frames 21, 22)


def held_at_end(frames: list[Frame], stream: bool, matcher: bool = False) -> int:
    """Bytes allocated in analyzer/api and analyzer/apps still alive when the last frame was read (dns_stream)."""
    analysis = Analysis(matcher=WindowMatcher(compile_filter("udp")) if matcher else None)
    return http_stream_held(frames, stream, analysis, kind="dns", collect=True)


def test_memory_level_with_the_file():
    small, large = lookups_every_second(150), lookups_every_second(600)
    whole = held_at_end(large, False) / held_at_end(small, False)
    assert whole > 2.5, whole          # the measure sees the records a whole pass keeps
    stream = held_at_end(large, True) / held_at_end(small, True)
    assert stream < 1.5, stream
    filtered = held_at_end(large, True, True) / held_at_end(small, True, True)
    assert filtered < 1.5, filtered


def test_window_matcher_forgets_below_the_floor():
    class Pkt:
        def __init__(self, n):
            self.frame = Frame(n, 0, 0, None, 1, b"")

    m = WindowMatcher(lambda pkt: pkt.frame.number % 2 == 0)
    for n in range(1, 11):
        m(Pkt(n))
    assert m.any(1, 4) and not m.any(3, None)
    m.forget_before(6)
    assert m.numbers == {6, 8, 10}
    assert not m.any(4) and m.any(6)
    assert WindowMatcher(None).any(None)


def _truncated_then_retry(delay_ns: int) -> list[Frame]:
    """10.0.0.7 asks big.test over UDP (frame 1); the answer (frame 2) is truncated (TC); the client asks again
    over TCP ``delay_ns`` later (frame 3: its SYN; the query in frame 6)."""
    from fuzz.adversarial import _Conn

    t0 = 1_700_000_000 * 10**9
    query = dns_message(7, "big.test", False)
    truncated = bytearray(dns_message(7, "big.test", True)[:12 + len(_dns_name("big.test")) + 4])
    truncated[2:4] = (0x8380).to_bytes(2, "big")        # QR, RD, TC, RA
    truncated[6:8] = b"\0\0"                            # no answer records
    frames = [(t0, eth(ipv4("10.0.0.7", "10.0.0.53", 17, udp("10.0.0.7", "10.0.0.53", 30000, 53, query)))),
              (t0 + 10**6, eth(ipv4("10.0.0.53", "10.0.0.7", 17, udp("10.0.0.53", "10.0.0.7", 53, 30000,
                                                                      bytes(truncated)))))]
    tcp_frames: list = []
    conn = _Conn(tcp_frames, "10.0.0.7", 40000, "10.0.0.53", 53)
    conn.handshake()
    conn.send(True, len(query).to_bytes(2, "big") + query)
    answer = dns_message(7, "big.test", True)
    conn.send(False, len(answer).to_bytes(2, "big") + answer)
    conn.close()
    base = tcp_frames[0][0]
    frames += [(t0 + 2 * 10**6 + delay_ns + ts - base, data) for ts, data in tcp_frames]
    return [Frame(i + 1, ts, len(data), None, 1, data) for i, (ts, data) in enumerate(frames)]


@pytest.mark.parametrize("every", [1, 2048])
def test_truncated_answer_waits_for_the_retry_over_tcp(every):
    frames = _truncated_then_retry(2 * 10**9)
    want = Analysis().run(frames).dns
    got = list(Analysis().dns_stream(frames, every=every))
    assert got == want
    assert [(d.proto, d.tc, d.tc_retry_frame) for d in got] == [("udp", True, 6), ("tcp", False, None)]


def test_a_retry_later_than_the_hold_is_not_linked():
    """The deliberate difference from the whole pass: a retry more than TC_RETRY_HOLD_NS after the truncated
    answer is not named (the whole pass names it however late); everything else is the same."""
    frames = _truncated_then_retry(TC_RETRY_HOLD_NS + 10**9)
    want = Analysis().run(frames).dns
    got = list(Analysis().dns_stream(frames, every=1))
    assert want[0].tc_retry_frame == 6
    assert got[0].tc_retry_frame is None
    assert got[1:] == want[1:]
