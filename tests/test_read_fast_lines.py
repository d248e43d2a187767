"""``analyzer read`` (text) and ``read -Y`` (a filter the header columns decide) make only summary lines, so
their pipeline runs with ``analyzed(..., lines=True)``: the http layers carry their Info text and no fields,
and the DNS transaction fields are not made. The lines printed are those of the per-packet path (every frame
decoded, every field made: ``analyze`` then ``Summary.line``), on every capture, every corpus file and
synthetic web traffic, through the command itself (in-process) and through ``analyzed`` frame by frame."""

from __future__ import annotations

from pathlib import Path

import pytest
import synthetic
from click.testing import CliRunner

from analyzer.api.packets import analyze
from analyzer.capture import open_capture
from analyzer.cli.main import main
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


def lines_only(path: Path) -> tuple[list[str], int]:
    """The lines of ``analyzed(headers=True, lines=True)``, and how many frames carried an http layer."""
    with open_capture(path) as reader:
        summary = Summary(0, reader.time_digits)
        out, http = [], 0
        for res in analyzed(reader, None, headers=True, lines=True):
            if res.__class__ is HeaderOnly:
                line = summary.header_line(res)
                out.append(summary.line(res.packet()) if line is None else line)
            else:
                http += any(layer.name == "http" for layer in res.layers)
                out.append(summary.line(res))
        return out, http


def check(path: Path) -> None:
    want = per_packet(path)
    got, _http = lines_only(path)
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
    _lines, http = lines_only(path)
    assert http > 100       # the http layers this path thins out are there


def test_http_layers_carry_only_their_info():
    """What the lighter path leaves out: an http layer is its Info text alone (the per-packet path's layer of
    the same frame has the fields, and the same text)."""
    path = REPO / "captures" / "http_page_fetch_loopback.pcapng"
    with open_capture(path) as reader:
        light = {res.frame.number: [(layer.fields, layer.info) for layer in res.layers if layer.name == "http"]
                 for res in analyzed(reader, None, headers=True, lines=True) if res.__class__ is not HeaderOnly}
    with open_capture(path) as reader:
        full = {pkt.frame.number: [(layer.fields, layer.info) for layer in pkt.layers if layer.name == "http"]
                for pkt in analyze(reader)}
    shown = {n: layers for n, layers in full.items() if layers}
    assert shown
    for number, layers in shown.items():
        assert [info for _f, info in light[number]] == [info for _f, info in layers]
        assert all(fields == {} for fields, _i in light[number])
        assert all("http.request.method" in f or "http.response.code" in f for f, _i in layers)
