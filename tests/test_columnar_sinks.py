"""connection_rows(sinks=...): the connections given a sink receive exactly the reassembled bytes, gaps,
FINs and RSTs the per-packet pipeline gives them (frame numbers standing for frames), while the rows stay
those of the per-packet pass; connections without a sink are counted from columns."""

from __future__ import annotations

from pathlib import Path

import pytest
import synthetic

from analyzer.capture import open_capture
from analyzer.columnar.rows import connection_rows
from analyzer.pipeline import Pipeline

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])


class Recorder:
    def __init__(self, log: list, key):
        self.log = log
        self.key = key

    def data(self, direction, data, frame, ts_ns):
        number = frame if frame is None or isinstance(frame, int) else frame.frame.number
        self.log.append((self.key, "data", direction, bytes(data), number, ts_ns))

    def gap(self, direction, nbytes):
        self.log.append((self.key, "gap", direction, nbytes))

    def fin(self, direction):
        self.log.append((self.key, "fin", direction))

    def rst(self, direction):
        self.log.append((self.key, "rst", direction))

    def close(self):
        self.log.append((self.key, "close"))


def _factory(log: list):
    def factory(conn):
        o, r = conn.sides
        if 80 not in (o.port, r.port) and 53 not in (o.port, r.port) and r.port < 1024:
            return None                 # some connections get none: they stay on the column path
        return Recorder(log, (o.addr, o.port, r.addr, r.port, conn.first_frame))
    return factory


def _compare(path: Path) -> None:
    ref: list = []
    pipe = Pipeline(sinks=_factory(ref), dns_over_tcp=False)
    with open_capture(path) as reader:
        for _ in pipe.run(reader):
            pass
    got: list = []
    with open_capture(path) as reader:
        tcp, _udp, _first = connection_rows(reader, details=True, sinks=_factory(got))
    assert got == ref
    rows = [dict(r) for r in tcp]
    expected = Pipeline(analysis=False, dns_over_tcp=False, sinks=_factory([]))
    with open_capture(path) as reader:
        for _ in expected.run(reader):
            pass
    assert [r["stream"] for r in rows] == list(range(len(rows)))
    assert len(rows) == len(expected.tcp_connections)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_sinks_see_what_the_pipeline_gives(path):
    _compare(path)


def test_synthetic(tmp_path):
    path = tmp_path / "s.pcap"
    synthetic.generate(path, 5000, seed=9, clients=60, sites=50)
    _compare(path)
