"""``pipeline.FanOutSink`` with a packet handle (a ``Deferred``, read's header-only path): the sinks that want
packets and give up on the bytes (``TlsSink.gives_up_on``, ``Http2Sink.gives_up_on``: an HTTP/1 connection's
first bytes) are given them first, with the frame number, and dropped, so the HTTP sink is alone and holds its
Info text rather than making the packet. Checked here: each ``gives_up_on`` that says True is followed by a
sink that has given up (on captures, the corpus, the TLS, HTTP/2 and WebSocket fixtures with their keys, crafted
CONNECT tunnels and h2c upgrades, synthetic traffic), and no packet is made for those first segments; the
lines are those of the per-packet path (tests/test_read_fast_lines.py, test_read_fast_steady_line.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import synthetic

from analyzer.apps.http2.sink import Http2Sink
from analyzer.apps.tls.keylog import KeyLog, parse_keylog
from analyzer.apps.tls.session import TlsSink
from analyzer.capture import open_capture
from analyzer.filter.apply import analyzed
from analyzer.tcp import reassembly

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = (sorted((REPO / "captures").glob("*.pcap*")) + sorted((REPO / "tests" / "fixtures").rglob("*.pcap*"))
         + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else []))


def _keylog(path: Path) -> KeyLog | None:
    keys = path.with_suffix(".keys")
    return parse_keylog(keys.read_bytes()) if keys.exists() else None


def watched(monkeypatch) -> dict[str, int]:
    """Wrap both sinks' data(): a gives_up_on that said True before the call must see the sink dead after."""
    seen = {"said": 0, "calls": 0}
    for cls in (TlsSink, Http2Sink):
        real = cls.data

        def data(self, direction, data, frame, ts_ns, _real=real):
            said = self.gives_up_on(direction, data)
            before = self.dead
            _real(self, direction, data, frame, ts_ns)
            seen["calls"] += 1
            if said:
                seen["said"] += 1
                assert self.dead, (type(self).__name__, bytes(data[:40]))
                if not before:
                    assert type(frame) is int or frame.__class__ is not reassembly.Deferred
        monkeypatch.setattr(cls, "data", data)
    return seen


def run(path: Path) -> None:
    with open_capture(path) as reader:
        for _res in analyzed(reader, _keylog(path), headers=True, lines=True):
            pass


def test_files(monkeypatch):
    seen = watched(monkeypatch)
    for path in FILES:
        run(path)
    assert seen["said"] > 20 and seen["calls"] > seen["said"]


def test_synthetic_no_first_segment_decoded(tmp_path, monkeypatch):
    """On web traffic over port 80 no packet is made at a connection's first bytes: the TLS and HTTP/2 sinks
    give up first, the HTTP sink is alone (its Info texts held, read's line made from the headers)."""
    path = tmp_path / "web.pcap"
    synthetic.generate(path, 3000, seed=3, clients=30, sites=30)
    made = []
    real = reassembly.Deferred.get

    def get(self):
        if self.value is None:
            made.append(self.number)
        return real(self)
    monkeypatch.setattr(reassembly.Deferred, "get", get)
    seen = watched(monkeypatch)
    run(path)
    assert seen["said"] > 100
    assert made == []


@pytest.mark.parametrize("head, gives_up", [
    (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", True),
    ((b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
      b"HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n"), False),     # asks for h2c: the HTTP/2 sink stays
    (b"GET / HTTP/1.1\r\nHost: a\r\n", False),                        # head not whole yet: wait
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", False),                      # the preface
    (b"PRI * HTT", False),
    (b"\x16\x03\x01\x00\x05hello", True),                              # not a request: not HTTP/2 (TLS's own)
    (b"get / HTTP/1.1\r\n\r\n", True),
])
def test_http2_gives_up_on(head, gives_up):
    from analyzer.apps.http2.sink import _DEAD
    from analyzer.apps.transactions import Transactions
    from analyzer.tcp.connection import Connection, Side

    conn = Connection(0, Side("10.0.0.1", 40000), Side("10.0.0.2", 80), 1000, 1)
    sink = Http2Sink(Transactions(keep=False).http2, conn)
    said = sink.gives_up_on(0, head)
    assert said is gives_up
    sink.data(0, head, 7, 1000)
    assert (sink.state == _DEAD) is gives_up
