"""timeline/tcp.owners' and payload_bytes' loops over a connection's segments, compiled (``_speedups.conn_owners``,
``conn_payload``), give the owners and the payload bytes per (transaction, direction) of the Python loops: on every connection of captures with losses, resets, refused and unanswered attempts,
pipelined and kept-alive requests, IPv6, and of the generated HTTP traffic; and on random connections (segments
of any flags, direction, lengths and relative numbers; messages overlapping, empty, out of order)."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from analyzer.timeline import tcp
from analyzer.timeline.facts import Message, Segment

CAPTURES = Path(__file__).resolve().parent.parent / "captures"
FILES = ["lab_page_fetch.pcapng", "lab_lossy_fetch_retransmissions.pcapng", "lab_refused_connection_rst.pcapng",
         "lab_silent_host_syn_timeout.pcapng", "lab_syn_loss_rto_doubling.pcapng", "lab_ipv6_page_fetch.pcapng",
         "lab_two_curl_runs.pcapng", "demo_timewait_reuseaddr_loopback.pcapng",
         "http10_short_connections_loopback.pcap", "http_page_fetch_loopback.pcapng"]

pytestmark = pytest.mark.skipif(tcp._OWNERS is None,
                                reason="the compiled helper is not built here (or ANALYZER_PURE_PYTHON is set)")


def _python(facts) -> list[int]:
    tcp.OWNERS_COMPILED = False
    try:
        return tcp.owners(facts)
    finally:
        tcp.OWNERS_COMPILED = True


def _python_payload(facts, own=None) -> tuple:
    tcp.OWNERS_COMPILED = False
    try:
        return tcp.payload_bytes(facts, own)
    finally:
        tcp.OWNERS_COMPILED = True


def _same_payload(facts) -> None:
    got = tcp.payload_bytes(facts)
    expect = _python_payload(facts)
    assert got == expect and [list(d) for d in got] == [list(d) for d in expect], (facts, got, expect)   # and order


@pytest.mark.parametrize("name", FILES)
def test_captures(name, monkeypatch):
    from analyzer.cli.timeline import stream
    from analyzer.timeline import build

    real = tcp.owners
    seen = []

    def both(facts):
        got = real(facts)
        assert got == _python(facts)
        _same_payload(facts)
        seen.append(len(got))
        return got

    monkeypatch.setattr(build, "owners", both)
    assert list(stream(str(CAPTURES / name), "en"))
    assert seen and sum(seen) >= 2


def test_generated_traffic(tmp_path, monkeypatch):
    import subprocess
    import sys

    from analyzer.cli.timeline import stream
    from analyzer.timeline import build

    out = tmp_path / "syn.pcap"
    gen = Path(__file__).resolve().parent.parent / "benchmarks" / "gen_synthetic.py"
    subprocess.run([sys.executable, str(gen), "--packets", "3000", "--out", str(out)], check=True,
                   capture_output=True)
    real = tcp.owners
    n = [0]

    def both(facts):
        got = real(facts)
        assert got == _python(facts)
        _same_payload(facts)
        n[0] += 1
        return got

    monkeypatch.setattr(build, "owners", both)
    assert list(stream(str(out), "en"))
    assert n[0] > 50


def test_random_connections():
    rng = random.Random(7)
    flags = [0x02, 0x12, 0x10, 0x18, 0x11, 0x19, 0x01, 0x04, 0x14, 0x00, 0x1F]
    for _ in range(3000):
        segs = []
        for k in range(rng.randint(0, 30)):
            length = rng.choice([0, 0, 1, 100, 1448])
            segs.append(Segment(k + 1, k, rng.randint(0, 1), rng.choice(flags), 0, 0,
                                rng.choice([0, 1, 2, 50, 101, rng.randrange(5000), (1 << 32) - 1]),
                                rng.choice([0, 1, 2, 3, 50, 101, rng.randrange(5000)]), length, 100))
        msgs = []
        for i in range(rng.randint(0, 6)):
            start = rng.choice([0, 0, 1, 100, rng.randrange(3000)])
            msgs.append(Message(rng.randint(0, 1), start, start + rng.choice([0, 1, 50, 700, 2000]),
                                rng.choice([i, i, 5, 0]), rng.random() < 0.5))
        facts = SimpleNamespace(tls=None, messages=tuple(msgs), segments=tuple(segs))
        assert tcp.owners(facts) == _python(facts), (segs, msgs)
        _same_payload(facts)


def test_random_payload_general_path(monkeypatch):
    """Segments resent, overlapping, out of order, over messages that overlap or leave gaps: the covered ranges'
    merge of both loops (with and without the in-order fast path)."""
    rng = random.Random(11)
    for fast in (True, False):
        monkeypatch.setattr(tcp, "PAYLOAD_FAST", fast)
        for _ in range(2000):
            msgs = []
            for i in range(rng.randint(0, 5)):
                start = rng.choice([0, 1, rng.randrange(400)])
                msgs.append(Message(rng.randint(0, 1), start, start + rng.choice([1, 30, 100, 250]), i, True))
            segs = []
            pos = [1, 1]
            for k in range(rng.randint(0, 25)):
                d = rng.randint(0, 1)
                if rng.random() < 0.6:
                    seq = pos[d]
                else:
                    seq = rng.randrange(1, 450)
                length = rng.choice([0, 1, 7, 30, 64, 120])
                pos[d] = max(pos[d], seq + length)
                segs.append(Segment(k + 1, k, d, rng.choice([0x10, 0x18, 0x11, 0x02, 0x04]), 0, 0, seq,
                                    rng.randrange(400), length, 100))
            _same_payload(SimpleNamespace(tls=None, messages=tuple(msgs), segments=tuple(segs)))


def test_declines_what_it_does_not_read():
    msgs = (Message(0, 0, 10, 1, True),)
    odd = SimpleNamespace(tls=None, messages=msgs, segments=(Segment(1, 0, 2, 0x10, 0, 0, 1, 1, 0, 0),))
    assert tcp._OWNERS(odd.segments, [0], [10], [1], [], [], []) is None      # direction 2: the Python loop's
    big = (Segment(1, 0, 0, 0x18, 0, 0, 1 << 70, 0, 5, 0),)
    assert tcp._OWNERS(big, [0], [10], [1], [], [], []) is None
    assert tcp.owners(SimpleNamespace(tls=None, messages=msgs, segments=big)) == _python(
        SimpleNamespace(tls=None, messages=msgs, segments=big))
