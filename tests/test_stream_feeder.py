"""The streamed record paths' frame feeder (:meth:`analyzer.api.build.Analysis.stream_feeder`) and the HTTP
transaction without its files rows (``http_record(files=False)``), against the general path.

* ``http_stream`` on the header path reads each TCP segment's header tuple with the compiled ``quick_tcp``
  (or ``quick_headers`` without it) and only counts a UDP datagram ``quick_headers`` reads, without decoding it
  or running it through the transaction stage: the transactions are those of the path that decodes every frame
  (``Analysis(headers=False)``), and the UDP table is the same (captures/ and the corpus). The spy on ``Pipeline.feed`` proves the
  datagrams were not decoded (the test fails if they are), and a datagram damaged where ``quick_headers``
  decides (a UDP header cut short, an IP fragment, a bad IP header length) goes to the decoder.
* ``http_record(files=False)`` gives the same transaction as with its files rows (the fuids included), on
  every capture whose transactions carry bodies; the rows are not made.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

import analyzer
from analyzer.api import build
from analyzer.api.build import Analysis, http_record
from analyzer.capture import open_capture
from analyzer.capture.frame import Frame
from analyzer.flows.quick import quick_headers

REPO = Path(__file__).resolve().parents[1]
CAPTURES = sorted((REPO / "captures").glob("*.pcap*"))
CORPUS = REPO.parent / "shared" / "corpus"
FILES = CAPTURES + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])
# DNS over UDP and HTTP in one file, and files with bodies
MIXED = ["lab_page_fetch.pcapng", "lab_dns_mix.pcapng", "lab_lossy_fetch_retransmissions.pcapng"]


def _frames(path: Path) -> list[Frame]:
    with open_capture(path) as reader:
        return list(reader)


def _stream(frames: list[Frame], headers: bool) -> tuple[list, list[int], Analysis]:
    analysis = Analysis(headers=headers)
    fed: list[int] = []
    feed = analysis.pipe.feed

    def spy(frame):
        fed.append(frame.number)
        return feed(frame)

    analysis.pipe.feed = spy
    got = list(analysis.http_stream(iter(frames), every=1))
    return got, fed, analysis


def _udp_numbers(frames: list[Frame]) -> set[int]:
    out = set()
    for f in frames:
        h = quick_headers(f.data, f.linktype, False, f.origlen)
        if h is not None and h[0] == "udp":
            out.add(f.number)
    return out


def _check(frames: list[Frame]) -> tuple[list, list[int]]:
    want, _, general = _stream(frames, headers=False)
    got, fed, fast = _stream(frames, headers=True)
    assert got == want
    assert fast.pipe.udp.summaries() == general.pipe.udp.summaries()
    assert fast.pipe.frames == general.pipe.frames
    assert fast.pipe.first_ts_ns == general.pipe.first_ts_ns
    return got, fed


@pytest.mark.parametrize("pure", [False, True], ids=["compiled", "pure"])
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_http_stream_counts_datagrams_without_decoding_them(path, pure, monkeypatch):
    taken = []
    if pure:
        monkeypatch.setenv("ANALYZER_PURE_PYTHON", "1")
    else:
        quick = build.compiled("quick_tcp")
        if quick is None:
            pytest.skip("the compiled helper is not built")

        def counted(frame, *args):
            h = quick(frame, *args)
            taken.append(h is not None)
            return h

        monkeypatch.setattr(build, "compiled", lambda name: counted if name == "quick_tcp" else None)
    frames = _frames(path)
    _got, fed = _check(frames)
    udp = _udp_numbers(frames)
    assert not udp & set(fed), "a datagram quick_headers reads was decoded"
    tcp = sum(1 for f in frames if (h := quick_headers(f.data, f.linktype, False, f.origlen)) and h[0] == "tcp")
    if not pure and tcp:
        assert any(taken), "quick_tcp read no segment"


def test_the_file_has_datagrams_and_transactions():
    # the test above must be able to fail: these files have UDP datagrams (DNS) and HTTP transactions
    frames = _frames(REPO / "captures" / "lab_page_fetch.pcapng")
    got, _fed = _check(frames)
    assert got and _udp_numbers(frames)


def _damaged(frames: list[Frame]) -> tuple[list[Frame], list[int]]:
    """The capture's Ethernet/IPv4/UDP frames, every third one damaged where quick_headers decides: the UDP
    header cut short, a fragment (MF set), an IP header length under 20; their numbers."""
    out = []
    damaged = []
    k = 0
    for f in frames:
        d = f.data
        if f.linktype == 1 and len(d) >= 42 and d[12:14] == b"\x08\x00" and d[14] == 0x45 and d[23] == 17:
            kind = k % 6
            k += 1
            if kind == 0:
                d = d[:38]                                        # 4 bytes of the UDP header
            elif kind == 2:
                d = d[:20] + struct.pack("!H", 0x2000) + d[22:]  # more fragments
            elif kind == 4:
                d = d[:14] + b"\x44" + d[15:]                      # IHL 4: 16 bytes
            if kind in (0, 2, 4):
                damaged.append(f.number)
                f = Frame(f.number, f.ts_ns, len(d) if kind == 0 else f.origlen, f.iface, f.linktype, d)
        out.append(f)
    return out, damaged


@pytest.mark.parametrize("pure", [False, True], ids=["compiled", "pure"])
@pytest.mark.parametrize("name", MIXED)
def test_damaged_datagrams_go_to_the_decoder(name, pure, monkeypatch):
    if pure:
        monkeypatch.setenv("ANALYZER_PURE_PYTHON", "1")
    frames, damaged = _damaged(_frames(REPO / "captures" / name))
    assert damaged
    _got, fed = _check(frames)
    assert set(damaged) <= set(fed)
    assert not _udp_numbers(frames) & set(fed)


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_http_record_without_files(path):
    cap = analyzer.open(path)
    records = []
    analysis = Analysis(on_record=lambda record: records.append((record, analysis._endpoints_of(record.stream))),
                        keylog=cap.keylog)
    with cap.open() as reader:
        analysis.run(reader)
    fuids = 0
    for record, ends in records:
        full, rows = http_record(record, ends)
        bare, none = http_record(record, ends, files=False)
        assert bare == full
        assert none == []
        assert [r.fuid for r in rows] == [*full.orig_fuids, *full.resp_fuids]
        fuids += len(rows)
    if path.name == "lab_page_fetch.pcapng":
        assert fuids      # bodies: the comparison above covered fuids
