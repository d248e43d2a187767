"""The vectorized display filters (analyzer.filter._vector) give, on every frame they decide, what the
per-packet filter gives on the fully analysed packet — on every capture we have and on synthetic traffic;
and they decline (None) what the columns cannot answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import synthetic

from analyzer.api.packets import analyze
from analyzer.capture import open_capture
from analyzer.columnar.headers import parse
from analyzer.filter import compile_filter
from analyzer.filter._vector import conversation_filter, vector_filter

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])
FILTERS = [
    "tcp", "udp", "ip", "ipv6", "arp", "frame", "not arp", "!tcp && !udp",
    "tcp.port == 80", "tcp.port != 80", "tcp.port === 80", "tcp.port ~= 80", "udp.port == 53",
    "tcp.srcport > 1024 and tcp.dstport <= 1024", "tcp.len > 0", "tcp.port == 80 and tcp.len > 0",
    "tcp.flags.syn == 1 && tcp.flags.ack == 0", "tcp.flags == 0x12", "tcp.flags.reset == 1 or tcp.flags.fin == 1",
    "tcp.port in {80, 443, 8000..8080}", "tcp.port not in {80}", "udp.length < 100", "udp.srcport in {53 5353}",
    "ip.addr == 10.0.0.0/8", "ip.addr != 10.0.0.1", "ip.src == 192.168.0.0/16 or ip.dst == 172.16.0.0/12",
    "ip.proto == 17", "ip.ttl < 64", "ip.len >= 1000", "frame.len > 1000 xor tcp", "frame.number <= 10",
    "tcp.window_size_value == 0", "tcp.hdr_len > 20", "tcp.seq_raw > 2147483648", "tcp.ack_raw == 0",
    "frame.cap_len < frame.len", "tcp.flags.push == 1 and not ip.src == 10.0.0.0/24",
]

# Filters only partly answered by the columns: conversation_filter() can still rule conversations out.
CONVERSATION_ONLY = ["http and ip.addr == 10.0.0.0/8", "dns or tcp.port == 443",
                     "not (tcp.port == 80) and tcp.analysis.retransmission", "ip.src == 10.0.0.1 or tcp.stream == 2",
                     "!(udp or http)",
                     "tcp.port == 80 xor frame.len > 100", "ip.dst == 127.0.0.1 and tcp.len > 0"]


def _check(path: Path) -> int:
    compiled = [(text, compile_filter(text), vector_filter(text), conversation_filter(text))
                for text in FILTERS + CONVERSATION_ONLY]
    with open_capture(path) as reader:
        packets = list(analyze(reader))
    decided_total = 0
    with open_capture(path) as reader:
        for batch in reader.batches():
            c = parse(batch)
            pkts = packets[batch.first_number - 1:batch.first_number - 1 + len(batch)]
            for text, keep, vf, cf in compiled:
                expected = np.array([bool(keep(p)) for p in pkts])
                if cf is not None:
                    # a conversation ruled out has no matching frame
                    wrong = np.flatnonzero(cf.never(batch, c) & expected)
                    assert not len(wrong), f"{path.name}: {text!r} rules out frame {batch.first_number + wrong[0]}"
                if vf is None:
                    continue
                result, decided = vf.mask(batch, c)
                bad = np.flatnonzero(decided & (result != expected))
                assert not len(bad), f"{path.name}: {text!r} differs at frame {batch.first_number + bad[0]}"
                decided_total += int(decided.sum())
    return decided_total


def test_conversation_filter_declines_what_it_cannot_rule_out():
    for text in ("dns", "http.request", "tcp.stream == 3", "frame.number > 5", "not http"):
        compile_filter(text)
        assert conversation_filter(text) is None, text
    for text in ("tcp.port == 80", "ip.addr == 10.0.0.1 and http", "tcp.len > 0", "not udp"):
        assert conversation_filter(text) is not None, text


def test_declines_what_columns_cannot_answer():
    accepted = [t for t in FILTERS if vector_filter(t) is not None]
    assert accepted == [t for t in FILTERS if t != "frame.cap_len < frame.len"]
    for text in ("dns", "http.request", "tcp.stream == 3", "eth.src == 00:11:22:33:44:55",
                 "tcp.analysis.retransmission", "any tcp.port == 80", "len(dns.qry.name) > 4", 'frame contains "GET"'):
        compile_filter(text)
        assert vector_filter(text) is None, text


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_same_as_per_packet(path):
    _check(path)


def test_synthetic(tmp_path):
    path = tmp_path / "s.pcap"
    synthetic.generate(path, 6000, seed=11, clients=80, sites=60)
    assert _check(path) > 6000 * 30
