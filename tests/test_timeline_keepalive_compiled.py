"""Whether a connection holds a segment shaped like a TCP keep-alive (timeline/tcp._keepalive_shaped: the replay
then runs) is the same from the compiled keepalive_shaped as from its Python loop: on the connections of captures
(a keep-alive, resets, IPv6, TLS) and on random segment lists (keep-alive shapes at and around the
sender's next sequence number, SYN and FIN counting a byte, both directions), and the compiled one declines
(None) what it does not read: a direction other than 0 or 1, a value that is not an int or does not fit."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from analyzer.timeline import tcp
from analyzer.timeline.facts import Segment

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = ROOT / "captures"
CORPUS = ROOT.parent / "shared" / "corpus"
# (connections with losses are replayed whatever their shape: their captures do not get here)
FILES = [CAPTURES / n for n in ("lab_page_fetch.pcapng", "lab_wget_page_robots.pcapng", "lab_two_curl_runs.pcapng",
                                "lab_refused_connection_rst.pcapng", "lab_ipv6_page_fetch.pcapng",
                                "lab_https_page_fetch.pcapng")]
KEEPALIVE_CORPUS = CORPUS / "linktype_sll_http_post_arp.pcap"     # tshark: one tcp.analysis.keep_alive

pytestmark = pytest.mark.skipif(tcp._KEEPALIVE is None,
                                reason="the compiled helper is not built here (or ANALYZER_PURE_PYTHON is set)")


def _seg(d: int, flags: int, rel_seq: int, length: int) -> Segment:
    return Segment(1, 0, d, flags, 0, 0, rel_seq, 0, length, 0)


def _run(path: Path, monkeypatch) -> list[bool]:
    from analyzer.cli.timeline import stream

    real = tcp._KEEPALIVE
    seen: list[bool] = []

    def both(segments):
        got = real(segments)
        assert got is tcp._keepalive_loop(segments)
        seen.append(got)
        return got

    monkeypatch.setattr(tcp, "_KEEPALIVE", both)
    assert list(stream(str(path), "en"))
    return seen


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_captures(path, monkeypatch):
    assert _run(path, monkeypatch)


def test_keepalive_capture(monkeypatch):
    """A capture with keep-alives (tshark shows tcp.analysis.keep_alive): the compiled answer True on one."""
    if not KEEPALIVE_CORPUS.exists():
        pytest.skip(f"the corpus is not here ({CORPUS})")
    assert True in _run(KEEPALIVE_CORPUS, monkeypatch)


def test_crafted():
    # a byte at the client's next sequence number - 1 after 100 bytes: shaped like a keep-alive
    data = [_seg(0, 0x02, 0, 0), _seg(1, 0x12, 0, 0), _seg(0, 0x18, 1, 100), _seg(1, 0x10, 1, 0)]
    assert tcp._KEEPALIVE(data + [_seg(0, 0x10, 100, 1)]) is True
    assert tcp._KEEPALIVE(data + [_seg(0, 0x10, 100, 0)]) is True
    assert tcp._KEEPALIVE(data + [_seg(0, 0x10, 100, 2)]) is False      # 2 bytes: no keep-alive
    assert tcp._KEEPALIVE(data + [_seg(0, 0x11, 100, 1)]) is False      # a FIN
    assert tcp._KEEPALIVE(data + [_seg(1, 0x10, 100, 1)]) is False      # the server's next number is 1
    assert tcp._KEEPALIVE(data + [_seg(0, 0x10, 101, 0)]) is False
    assert tcp._KEEPALIVE([_seg(0, 0x02, 0, 0), _seg(0, 0x10, 0, 0)]) is False     # next number 1: not above 1
    assert tcp._KEEPALIVE([]) is False
    for bad in ([_seg(2, 0x10, 5, 0)], [_seg(0, 0x10, 1.0, 0)], [_seg(0, 0x10, 1 << 64, 0)],
                [_seg(0, 0x10, (1 << 63) - 1, 1)], [(0, 0, 0)], ((_seg(0, 0, 0, 0),)), [_seg(True, 0x10, 1, 0)]):
        assert tcp._KEEPALIVE(bad) is None, bad


def test_random_lists():
    rng = random.Random(7)
    shaped = 0
    for _ in range(5000):
        nxt = [0, 0]
        segs = []
        for _ in range(rng.randint(0, 30)):
            d = rng.randint(0, 1)
            flags = rng.choice([0x10, 0x18, 0x11, 0x02, 0x12, 0x14, 0x04, 0x19, 0])
            length = rng.choice([0, 0, 1, 2, rng.randint(0, 1500)])
            rel_seq = max(0, nxt[d] + rng.choice([-1, -1, 0, 0, 0, 1, -rng.randint(0, 3000)]))
            if rng.random() < 0.02:
                rel_seq = rng.randrange(1 << 32)
            segs.append(_seg(d, flags, rel_seq, length))
            nxt[d] = max(nxt[d], rel_seq + length + (1 if flags & 0x03 else 0))
        got = tcp._KEEPALIVE(segs)
        assert got is tcp._keepalive_loop(segs), segs
        shaped += got
    assert 500 < shaped < 4500
