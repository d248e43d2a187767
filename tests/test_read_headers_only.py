"""``analyzer read`` (text): a TCP segment the pipeline runs from its headers alone (``Pipeline.feed_headers``
returns a ``HeaderOnly``, no packet decoded) gets its line from the header tuple and the tracker's fields
(``Summary.header_line``). That line is the one the decoded packet gives (``Summary.line(res.packet())``),
frame by frame, and the whole output is the output of the per-packet path (``analyze`` then ``Summary.line``
on every packet), on every capture, every corpus file and synthetic web traffic."""

from __future__ import annotations

from pathlib import Path

import pytest
import synthetic

from analyzer.api.packets import analyze
from analyzer.capture import open_capture
from analyzer.filter.apply import analyzed
from analyzer.pipeline import HeaderOnly
from analyzer.report.summary import Summary

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])


def _lines(path: Path) -> tuple[list[str], list[str], int]:
    """(lines by the header path, lines of the decoded packets, frames whose line came from headers)."""
    fast, slow = Summary(), Summary()
    got, want, from_headers = [], [], 0
    with open_capture(path) as reader:
        digits = getattr(reader, "time_digits", None)
        fast.digits_of = slow.digits_of = digits
        for res in analyzed(reader, None, headers=True):
            if res.__class__ is HeaderOnly:
                pkt = res.packet()
                line = fast.header_line(res)
                if line is None:
                    line = fast.line(pkt)
                else:
                    from_headers += 1
                got.append(line)
                want.append(slow.line(pkt))
            else:
                got.append(fast.line(res))
                want.append(slow.line(res))
    full = Summary(digits_of=digits)
    with open_capture(path) as reader:
        per_packet = [full.line(pkt) for pkt in analyze(reader)]
    assert want == per_packet, f"{path.name}: the header path's packets differ from the per-packet path's"
    return got, want, from_headers


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_header_lines_are_the_decoded_packets_lines(path):
    got, want, _n = _lines(path)
    assert len(got) == len(want)
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        assert a == b, f"{path.name} line {i + 1}"


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_synthetic_traffic(tmp_path, fmt):
    path = tmp_path / f"web.{fmt}"
    synthetic.generate(path, 4000, seed=5, clients=60, sites=80)
    got, want, from_headers = _lines(path)
    assert got == want
    assert from_headers > len(got) // 3      # the path under test is the common one here



MUTATED = ["lab_page_fetch.pcapng", "lab_ipv6_page_fetch.pcapng", "lab_lossy_fetch_retransmissions.pcapng"]


@pytest.mark.parametrize("name", MUTATED)
def test_mutated_headers(tmp_path, name):
    """Damaged copies of real captures (tests/mutants.py: lying IP lengths, other header lengths, flags,
    options, ports, addresses). Wherever the header path gives a line it is the decoded packet's line, and the
    header path's packets are the per-packet path's (_lines checks both). Before the fast header readers cut
    an IP total length running past the frame (as the decoder and tshark do), a SYN claiming 15,420 bytes
    was 'Len=15360' on the header path and 'Len=0' on the decoded one."""
    from mutants import mutated_pcaps

    from_headers = frames = 0
    for path in mutated_pcaps(name, tmp_path):
        got, want, n = _lines(path)
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            assert a == b, f"{path.name} line {i + 1}"
        from_headers += n
        frames += len(got)
    assert from_headers > frames // 4         # the path under test still takes most mutants
