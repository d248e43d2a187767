"""TcpTracker.segment's fast path with per-frame fields (``TcpTracker._steady_out``: an ACK without SYN/FIN/RST
of an established connection whose sinks are made, as ``read`` and ``read --json`` feed every segment) against
the general ``_apply`` it short-cuts: every packet's fields (in order), every connection's slots and history and
every HTTP record are the same with and without it, on the captures, the corpus and synthetic web traffic, with
and without the compiled analysis; on random connections (data both ways, retransmissions, holes, zero windows,
FINs in every order: tests/test_tcp_steady_sink.py's) every slot and sink event too. The segments where one of its
conditions fails (the peer's FIN seen, its SYN not yet acknowledged, the sinks not made or all gone, a SYN, FIN
or RST bit) go the general way: each is counted."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import synthetic
from test_tcp_grouped import _conn_state
from test_tcp_steady_sink import Recorder

from analyzer.tcp import connection
from analyzer.tcp.connection import TcpTracker

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])
REAL = TcpTracker._steady_out


def _packets(paths, fast: bool, monkeypatch) -> tuple[list, list, int]:
    """Every packet's fields and the HTTP records of read --json's pipeline; how often the fast path took one."""
    import analyzer
    from analyzer.apps.transactions import Transactions
    from analyzer.pipeline import Pipeline

    taken = [0]

    def counted(self, *args):
        ok = fast and REAL(self, *args)
        taken[0] += bool(ok)
        return ok

    monkeypatch.setattr(TcpTracker, "_steady_out", counted)
    fields, records, conns = [], [], []
    for path in paths:
        with analyzer.open([str(path)]).open() as reader:
            tx = Transactions()
            pipe = Pipeline(sinks=tx.factories)
            for pkt in pipe.run(reader):
                tx.packet(pkt)
                fields.append(list(pkt.fields.items()))
            tx.finish()
            records.append([(r.stream, r.request_frame, r.request_ts_ns, r.response_frame, r.response_ts_ns, r.gaps)
                            for r in tx.http.sorted_records()])
            conns.append(pipe.tcp.summaries())
    return fields, records + conns, taken[0]


@pytest.mark.parametrize("compiled_analysis", [True, False])
def test_captures_corpus_and_synthetic(tmp_path, monkeypatch, compiled_analysis):
    if not compiled_analysis:
        monkeypatch.setattr(connection, "analyze_compiled", None)
    path = tmp_path / "s.pcap"
    synthetic.generate(path, 3_000, seed=17, clients=40, sites=30)
    paths = [*FILES, path]
    want = _packets(paths, False, monkeypatch)
    got = _packets(paths, True, monkeypatch)
    assert want[2] == 0 and got[2] > 1500
    assert got[0] == want[0]
    assert got[1] == want[1]


def _segments(rng: random.Random, n: int):
    """Segments of one connection after its handshake (ISNs x and y), both ways, with payloads: in order
    mostly, some resent, some past a hole, zero windows; FINs and RSTs among the last 20."""
    x, y = rng.getrandbits(32), rng.getrandbits(32)
    nxt = [(x + 1) & 0xFFFFFFFF, (y + 1) & 0xFFFFFFFF]
    yield 0, x, 0, 0x02, 64240, b""
    yield 1, y, nxt[0], 0x12, 65160, b""
    yield 0, nxt[0], nxt[1], 0x10, 502, b""
    for i in range(n):
        d = rng.randrange(2)
        size = rng.choice((0, 0, 1, 10, 100, 1448))
        payload = bytes(rng.getrandbits(8) for _ in range(size))
        seq = nxt[d]
        r = rng.random()
        if r < 0.1:
            seq = (seq - rng.choice((1, 100, 1448))) & 0xFFFFFFFF
        elif r < 0.15:
            seq = (seq + 1448) & 0xFFFFFFFF
        ack = (nxt[1 - d] - rng.choice((0, 0, 0, 100))) & 0xFFFFFFFF
        flags = rng.choice((0x10, 0x10, 0x18, 0x18, 0x30, 0x90))
        if i >= n - 20 and rng.random() < 0.2:
            flags = rng.choice((0x11, 0x19, 0x14, 0x04))
        window = rng.choice((0, 502, 502, 1024))
        if seq == nxt[d]:
            nxt[d] = (seq + size + (1 if flags & 0x01 else 0)) & 0xFFFFFFFF
        yield d, seq, ack, flags, window, payload


@pytest.mark.parametrize("seed", range(30))
def test_random_connections(seed):
    """The tracker with the fast path and one without it, fed the same segments: the same fields for each, and
    the same connection slots and sink events after each."""
    rng = random.Random(9000 + seed)
    segs = list(_segments(rng, 200))
    sinks: list[list[Recorder]] = [[], []]
    trackers = []
    for k in range(2):
        trackers.append(TcpTracker(sink_factory=lambda conn, k=k: sinks[k].append(Recorder()) or sinks[k][-1]))
    trackers[1]._steady_out = lambda *args: False
    taken = [0]
    fast = trackers[0]._steady_out

    def counted(*args):
        ok = fast(*args)
        taken[0] += ok
        return ok

    trackers[0]._steady_out = counted
    hosts = (("10.0.0.2", 40000), ("10.0.0.1", 80))
    ts = 1_000_000_000
    for num, (d, seq, ack, flags, window, payload) in enumerate(segs, 1):
        ts += rng.choice((1000, 100_000, 5_000_000))
        (src, sport), (dst, dport) = hosts[d], hosts[1 - d]
        outs, conns = [], []
        opts = b"\x01\x01\x05\x0a" + (ack + 1000).to_bytes(4, "big") + (ack + 2000).to_bytes(4, "big") \
            if rng.random() < 0.1 else b""
        for t in trackers:
            out: dict = {}
            conn, _d = t.segment(ts, num, src, sport, dst, dport, seq, ack, flags, window, len(payload), opts,
                                 payload, 54 + len(payload), num, out)
            outs.append(list(out.items()))
            conns.append(_conn_state(conn))
        assert outs[0] == outs[1], num
        assert conns[0] == conns[1], num
        assert [s.events for s in sinks[0]] == [s.events for s in sinks[1]], num
    assert taken[0] > 20
