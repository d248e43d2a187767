"""The summary line's fast path (``Summary.line`` for a link layer, IPv4/IPv6 and TCP/UDP with nothing or one
HTTP or DNS message decoded above) gives the same line as the general path (``Summary._line``) for every frame
of every capture we have and of synthetic web traffic (retransmissions, duplicate ACKs with SACK blocks, resets, window scaling);
the general path's lines are checked against tshark in tests/test_report_summary.py and test_read_tshark.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import synthetic

from analyzer.api.packets import analyze
from analyzer.capture import open_capture
from analyzer.report.summary import Summary

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])


def both(path: Path) -> tuple[list[str], list[str], int]:
    """(fast-path lines, general-path lines, frames that took the fast path)."""
    fast, general = [], []
    with open_capture(path) as reader:
        a, b = Summary(0, reader.time_digits), Summary(0, reader.time_digits)
        taken = 0
        for pkt in analyze(reader):
            line = a.line(pkt)
            fast.append(line)
            general.append(b._line(pkt))
            layers = pkt.layers
            taken += len(layers) in (4, 5) and layers[3].name in ("tcp", "udp") and pkt.failure is None
    return fast, general, taken


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_same_lines(path):
    fast, general, _taken = both(path)
    assert fast == general


def test_same_lines_synthetic(tmp_path):
    path = tmp_path / "web.pcap"
    synthetic.generate(path, 6000, seed=3, clients=50, sites=40)
    fast, general, taken = both(path)
    assert fast == general
    assert taken > len(fast) // 2      # the fast path did run


def test_several_interfaces_take_the_general_path():
    """With an interface column (several captures read as one), every line comes from the general path."""
    path = REPO / "captures" / "lab_page_fetch.pcapng"
    with open_capture(path) as reader:
        packets = list(analyze(reader))
    a, b = Summary(8), Summary(8)
    assert [a.line(p) for p in packets] == [b._line(p) for p in packets]


@pytest.mark.parametrize("path", [p for p in FILES if "dns" in p.name or "mdns" in p.name or "llmnr" in p.name]
                         + [REPO / "captures" / "lab_page_fetch.pcapng"], ids=lambda p: p.name)
def test_dns_info_from_the_decoders_message(path):
    """The DNS info text from the message the decoder kept on its layer is the text of the message parsed again
    from the frame's bytes (what dns_info does for a layer without one)."""
    from analyzer.decode.dns import DnsLayer
    from analyzer.decode.packet import Layer
    from analyzer.report.summary import dns_info

    seen = 0
    with open_capture(path) as reader:
        for pkt in analyze(reader):
            for layer in pkt.layers:
                if isinstance(layer, DnsLayer):
                    plain = Layer(layer.name, layer.offset, layer.length, layer.fields)
                    assert dns_info(pkt, layer) == dns_info(pkt, plain)
                    seen += 1
    assert seen


def test_timestamp_option_text_unrolled(tmp_path):
    """The option text of a segment whose options are NOP, NOP, Timestamps (the unrolled case) is the text the
    option loop gives (run here by leaving out tcp.option_kind, so the kinds are read from the header bytes)."""
    from analyzer.decode.packet import Layer
    from analyzer.report.summary import _tcp_option_texts

    path = tmp_path / "web.pcap"
    synthetic.generate(path, 3000, seed=5, clients=30, sites=20)
    seen = 0
    for source in (path, REPO / "captures" / "lab_page_fetch.pcapng"):
        with open_capture(source) as reader:
            for pkt in analyze(reader):
                layer = pkt.layer("tcp")
                if layer is None or layer.fields.get("tcp.option_kind") != [1, 1, 8]:
                    continue
                fields = {k: v for k, v in layer.fields.items() if k != "tcp.option_kind"}
                looped = _tcp_option_texts(pkt, Layer("tcp", layer.offset, layer.length, fields))
                assert _tcp_option_texts(pkt, layer) == looped
                assert looped[0].startswith("TSval=")
                seen += 1
    assert seen > 100
