"""The summary of a fetch says what its steps show (issue 10: "a student believes every sentence").

The summary's DNS and TCP connect rows and the "where the time went" list are checked against the steps of
the same fetch: a DNS time only when the fetch shows a DNS answer, "none in this fetch" only when it shows no
query, "(its DNS step says why)" only beside a step that says why, a handshake time only for a handshake the
fetch's own steps cite, the frames of a DNS or handshake delay among the frames the steps cite.

The crafted captures come from ``tests/fixtures/timeline/craft.py`` (frames numbered as the story writes
them, times from its hand-set delays); the frame numbers of the DNS query and answer are also asked from
tshark.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.timeline import craft
from test_timeline_grouping import tshark_frames  # tshark -Y FILTER: the frame numbers

from analyzer.capture import open_capture
from analyzer.report.timeline_text import summary_rows
from analyzer.timeline import timeline
from analyzer.timeline.texts import label

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def midstream_story(story: craft.Story) -> dict:
    """A lookup of www.a.test, then two requests for it on connection 0, whose handshake came before the
    capture started (no SYN in the file), then the client closes it."""
    f: dict = {}
    f["q"], f["a"] = story.dns(craft.CLIENT, craft.RESOLVER, "www.a.test", [("www.a.test", "A", craft.SERVER_A)],
                               0x2222)
    c = craft.Conn(story, (craft.CLIENT, 40001), (craft.SERVER_A, 80), cisn=100_000, sisn=900_000)
    f["get1"], f["r1"] = c.get(craft.request("/", "www.a.test"), craft.response("200 OK", b"hello" * 20, "text/html"))
    f["get2"], f["r2"] = c.get(craft.request("/x.css", "www.a.test", "http://www.a.test/"),
                               craft.response("200 OK", craft.CSS, "text/css"))
    f["close"] = c.close_four(craft.C)
    return f


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("summary")
    got = craft.build(out)
    story = craft.Story()
    frames = midstream_story(story)
    story.write(out / "midstream.pcap")
    got["midstream"] = (out / "midstream.pcap", frames)
    return got


def load(path: Path):
    with open_capture(path) as reader:
        return timeline(reader)


def row(fetch, key: str) -> str:
    return dict(summary_rows(fetch))[label(key)]


def test_lookup_before_requests_on_a_connection_opened_before_the_capture(crafted):
    """The fetch's steps show the lookup (frames 1 and 2, 2 ms apart in the story); the summary said "DNS
    lookup: none in this fetch". It now gives the lookup's time, from the same two frames."""
    path, f = crafted["midstream"]
    assert tshark_frames(path, "dns.flags.response == 0") == [f["q"]] == [1]
    assert tshark_frames(path, "dns.flags.response == 1") == [f["a"]] == [2]
    (fetch,) = load(path).fetches
    q = next(s for s in fetch.steps if s.kind == "dns.query")
    a = next(s for s in fetch.steps if s.kind.startswith("dns.answer"))
    assert (q.frames, a.frames) == ((f["q"],), (f["a"],))
    # the answer does not say the client can now open a connection: connection 0 was open already
    assert a.kind == "dns.answer.open" and a.facts["stream"] == 0 and "can now open" not in a.text
    assert fetch.summary.dns_ms == pytest.approx(2.0) == pytest.approx((a.ts_ns - q.ts_ns) / 1e6)
    assert row(fetch, "dns_time") == "2.000 ms"
    # no handshake in the file: "not in the capture" is true, and the step says the connection was open
    assert any(s.kind == "tcp.handshake.missing" for s in fetch.steps)
    assert fetch.summary.connect_ms is None and row(fetch, "connect_time") == label("not captured")


def test_fetch_on_a_connection_opened_by_an_earlier_fetch(crafted):
    """navigation: pages 2 and 3 go over connection 0, opened (with its handshake, frames 1-3) by page 1.
    Their summaries said "TCP connect: not in the capture" and "DNS lookup: none in this fetch (its DNS step
    says why)" with no DNS step, and "where the time went" put page 1's 20 ms handshake in each."""
    path, f = crafted["navigation"]
    first, *later = load(path).fetches
    assert first.summary.connect_ms == pytest.approx(20.0)
    for fetch in later:
        assert not any(s.kind.startswith("dns") for s in fetch.steps)
        assert not any(f["syn"] in s.frames for s in fetch.steps)
        assert fetch.summary.connect_ms is None
        assert row(fetch, "connect_time") == label("connect.open").replace("{stream}", "0")
        assert row(fetch, "dns_time") == label("dns.none.open")
        assert [d.what for d in fetch.breakdown if d.what in ("connect", "syn_retry")] == []


def check_fetch(fetch, where: str) -> None:
    """The summary rows and the breakdown of one fetch against its steps."""
    kinds = [s.kind for s in fetch.steps]
    cited = {n for s in fetch.steps for n in s.frames}
    answered = any(k.startswith("dns.answer") for k in kinds)
    assert (fetch.summary.dns_ms is not None) == answered, (where, fetch.summary.dns_ms, kinds)
    if fetch.kind != "lookup":
        dns = row(fetch, "dns_time")
        if any(k.startswith("dns.query") for k in kinds):
            assert not dns.startswith("none in this fetch"), (where, dns)
        if dns == label("dns.none"):
            assert any(k.startswith("dns.none") for k in kinds), (where, kinds)
        if fetch.summary.connect_ms is not None:
            first = next(c for c in fetch.connections if c.stream == fetch.requests[0].stream)
            assert first.syn_frames and first.syn_frames[0] in cited, (where, first.stream)
        elif row(fetch, "connect_time") == label("not captured") and fetch.requests:
            first = next(c for c in fetch.connections if c.stream == fetch.requests[0].stream)
            assert not first.syn_frames, (where, first.stream)
    for d in fetch.breakdown:
        if d.what in ("dns", "dns_retry", "connect", "syn_retry"):
            assert set(d.frames) <= cited, (where, d.what, d.frames)


def test_every_summary_agrees_with_its_steps(crafted):
    for name, (path, _f) in sorted(crafted.items()):
        for fetch in load(path).fetches:
            check_fetch(fetch, f"{name} fetch {fetch.index}")


@pytest.mark.parametrize("name", ["http_fetch_dns_handshake_teardown_classic.pcap",
                                  "http_fetch_wikipedia_dns_multiconn.pcap", "http_keepalive_vlan_11_requests.pcap",
                                  "http_pipelined_requests.pcap", "http_post_multipart_duplicated_frames.pcap",
                                  "tcp_dupframes_retrans_keepalive_post_chunked.pcap"])
def test_corpus_summaries_agree_with_their_steps(name):
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} is not there (the corpus lives in ../shared/corpus)")
    for fetch in load(path).fetches:
        check_fetch(fetch, f"{name} fetch {fetch.index}")


def test_captures_summaries_agree_with_their_steps():
    for path in sorted((ROOT / "captures").glob("*.pcap*")):
        for fetch in load(path).fetches:
            check_fetch(fetch, f"{path.name} fetch {fetch.index}")
