"""A connection's segments made from its packed log by the compiled conn_segments (timeline/tcp.connection_facts)
are those of the Python loop: on the connections of captures with losses, resets, refused and unanswered
attempts, IPv6, TLS and a generated file, and on random logs (every field's range, bases missing, frames cut
at ``until``, SYN/SYN-ACK in either direction)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from analyzer.timeline import tcp
from analyzer.timeline.collect import REC
from analyzer.timeline.facts import Segment

CAPTURES = Path(__file__).resolve().parent.parent / "captures"
FILES = ["lab_page_fetch.pcapng", "lab_lossy_fetch_retransmissions.pcapng", "lab_refused_connection_rst.pcapng",
         "lab_silent_host_syn_timeout.pcapng", "lab_syn_loss_rto_doubling.pcapng", "lab_ipv6_page_fetch.pcapng",
         "lab_https_page_fetch.pcapng", "lab_two_curl_runs.pcapng", "demo_timewait_reuseaddr_loopback.pcapng"]

pytestmark = pytest.mark.skipif(tcp._SEGMENTS is None,
                                reason="the compiled helper is not built here (or ANALYZER_PURE_PYTHON is set)")


def _python(log: bytes, until: int, base: int, b0: int, b1: int) -> tuple:
    return tcp._segments(list(REC.iter_unpack(log)), until, base, None if b0 < 0 else b0, None if b1 < 0 else b1)


@pytest.mark.parametrize("name", FILES)
def test_captures(name, monkeypatch):
    from analyzer.cli.timeline import stream

    real = tcp._SEGMENTS
    seen = []

    def both(log, until, base, b0, b1, cls):
        got = real(log, until, base, b0, b1, cls)
        assert got == _python(bytes(log), until, base, b0, b1)
        assert all(s.__class__ is Segment for s in got[0])
        seen.append(len(got[0]))
        return got

    monkeypatch.setattr(tcp, "_SEGMENTS", both)
    assert list(stream(str(CAPTURES / name), "en"))
    assert seen and sum(seen) >= 2


def test_random_logs():
    rng = random.Random(12)
    for _ in range(2000):
        n = rng.randint(0, 40)
        recs = []
        for _ in range(n):
            fl = rng.choice([0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x0FFF, 0]) | rng.choice([0, 1 << 15])
            recs.append(REC.pack(rng.choice([1, 2, rng.randrange(1 << 32)]), rng.choice([0, 5, -7, (1 << 63) - 1,
                                 -(1 << 63), rng.randrange(-(1 << 40), 1 << 40)]),
                                 rng.randrange(1 << 32), rng.randrange(1 << 32), fl, rng.choice([0, 1, (1 << 32) - 1]),
                                 rng.randrange(1 << 16), rng.randrange(1 << 16), rng.randrange(256)))
        log = bytearray(b"".join(recs))
        until = rng.choice([1 << 40, 2, rng.randrange(1 << 32)])
        base = rng.choice([0, 1_700_000_000_000_000_000, -5, (1 << 62) - 1])
        b0, b1 = (rng.choice([-1, 0, rng.randrange(1 << 32), (1 << 32) - 1]) for _ in range(2))
        expect = _python(bytes(log), until, base, b0, b1)
        got = tcp._SEGMENTS(log, until, base, b0, b1, Segment)
        if got is None:         # a time beyond 64 bits: declined
            assert any(not -(1 << 63) <= s.ts_ns < (1 << 63) for s in expect[0]) or any(
                not -(1 << 63) <= t + base < (1 << 63) for _f, t, *_ in REC.iter_unpack(bytes(log)))
            continue
        assert got == expect


def test_python_path_when_turned_off(monkeypatch):
    from analyzer.cli.timeline import stream

    monkeypatch.setattr(tcp, "SEGMENTS_COMPILED", False)
    monkeypatch.setattr(tcp, "_SEGMENTS", lambda *a: pytest.fail("called"))
    assert list(stream(str(CAPTURES / FILES[0]), "en"))
