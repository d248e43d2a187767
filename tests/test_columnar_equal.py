"""One semantics: the columnar counting pass (analyzer.columnar.count) fills the flow tables exactly as the
per-packet pass (Pipeline.count) does — every row of `analyzer conversations --json`, details included — on
every capture in captures/ and ../shared/corpus, and on synthetic web traffic large enough to go through
the batched fast path (several batches, idle sweeps, retransmissions, resets), as pcap and as pcapng."""

from __future__ import annotations

from pathlib import Path

import pytest
import synthetic

from analyzer.capture import open_capture
from analyzer.columnar import count
from analyzer.columnar.rows import connection_rows
from analyzer.pipeline import Pipeline

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
CAPTURES = sorted((REPO / "captures").glob("*.pcap*"))
CORPUS_FILES = sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else []


def _rows(path: Path, columnar: bool) -> tuple[int, int | None, list[dict]]:
    if columnar:
        # the rows as the conversations command gets them: compact, made as each connection finishes
        with open_capture(path) as reader:
            tcp, udp, first = connection_rows(reader, details=True)
        pipe = Pipeline(analysis=False, dns_over_tcp=False)
        with open_capture(path) as reader:
            count(pipe, reader)
        rows = [dict(r) for r in tcp] + [dict(r) for r in udp]
        assert pipe.tcp_rows(details=True) + pipe.udp.summaries() == rows
        assert [dict(r) for r in tcp] + [dict(r) for r in udp] == rows      # a second pass reads the same
        tcp.close()
        udp.close()
        return pipe.frames, first, rows
    pipe = Pipeline(analysis=False, dns_over_tcp=False)
    with open_capture(path) as reader:
        if columnar:
            count(pipe, reader)
        else:
            pipe.count(reader)
    return pipe.frames, pipe.first_ts_ns, pipe.tcp_rows(details=True) + pipe.udp.summaries()


def _same(path: Path) -> None:
    frames, first, rows = _rows(path, columnar=False)
    frames2, first2, rows2 = _rows(path, columnar=True)
    assert (frames2, first2) == (frames, first)
    assert len(rows2) == len(rows)
    for a, b in zip(rows, rows2, strict=True):
        assert b == a, f"{path.name}: {a['proto']} stream {a['stream']} differs"


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_captures(path):
    _same(path)


@pytest.mark.parametrize("name", ["lab_page_fetch.pcapng", "lab_ipv6_page_fetch.pcapng",
                                  "lab_lossy_fetch_retransmissions.pcapng"])
def test_mutated_headers(tmp_path, name):
    """Damaged copies of real captures (tests/mutants.py): lying IP lengths and odd headers give the same rows
    on both paths."""
    from mutants import mutated_pcaps

    for path in mutated_pcaps(name, tmp_path):
        _same(path)


@pytest.mark.skipif(not CORPUS_FILES, reason=f"corpus folder {CORPUS} not present")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus(path):
    _same(path)


@pytest.mark.parametrize("fmt,seed,packets", [("pcap", 1, 25_000), ("pcap", 7, 10_000), ("pcapng", 3, 10_000)])
def test_synthetic(tmp_path, fmt, seed, packets):
    path = tmp_path / f"synthetic.{fmt}"
    synthetic.generate(path, packets, seed=seed, clients=300, sites=400)
    frames, _first, rows = _rows(path, columnar=True)
    assert frames == packets
    # the file must exercise what it is here for: many connections, resets, retransmissions
    tcp = [r for r in rows if r["proto"] == "tcp"]
    assert len(tcp) > 100
    assert any(r["conn_state"] in ("RSTO", "RSTR", "REJ") for r in tcp)
    assert any("t" in r["history"].lower() for r in tcp)
    _same(path)
    expected, got = _filtered(path, "tcp.port == 80 and tcp.len > 0 or udp.port == 53")
    assert got == expected


FILTERS = ["tcp.port == 80", "tcp.len > 0 or udp", "not arp and ip.addr == 10.0.0.0/8", "tcp.flags.syn == 1",
           "udp.port == 53 || tcp.port in {80 443}", "frame.number > 7"]


def _filtered(path: Path, text: str) -> tuple:
    from analyzer.filter import compile_filter
    from analyzer.filter.apply import matching_frames

    keep = compile_filter(text)
    pipe = Pipeline(analysis=False, dns_over_tcp=False)
    with open_capture(path) as reader:
        pipe.count(matching_frames(reader, keep))
    expected = (pipe.frames, pipe.first_ts_ns, pipe.tcp_rows(details=True) + pipe.udp.summaries())
    with open_capture(path) as reader:
        tcp, udp, first = connection_rows(reader, details=True, display_filter=keep)
    pipe2 = Pipeline(analysis=False, dns_over_tcp=False)
    with open_capture(path) as reader:
        count(pipe2, reader, keep)
    return expected, (pipe2.frames, first, [dict(r) for r in tcp] + [dict(r) for r in udp])


@pytest.mark.parametrize("path", CAPTURES + CORPUS_FILES, ids=lambda p: p.name)
def test_display_filter(path):
    """conversations -Y with a filter the columns answer: the rows of the per-packet -Y pass."""
    for text in FILTERS:
        expected, got = _filtered(path, text)
        assert got == expected, text
