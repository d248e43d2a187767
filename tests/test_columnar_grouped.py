"""The grouped handshake and plain-segment paths of the columnar pass (analyzer.columnar.count: the decision
rule in its docstring) against the per-packet pass, on synthetic web traffic whose TCP segments were damaged
where the rule decides: flags changed (a SYN-ACK where the ACK was, a FIN or RST in the handshake, a SYN
with data), sequence and acknowledgment numbers off by one, windows of zero, segments duplicated, dropped or
swapped with the next one. Every row of `conversations --json` must be the same on both paths, and the
grouped paths must have been taken (most connections of the file are still ordinary)."""

from __future__ import annotations

import random
import struct

import pytest
import synthetic
from capture_builders import pcap_file
from test_columnar_equal import _same

from analyzer.capture import open_capture
from analyzer.tcp.connection import TcpTracker

FLAGS = (0x02, 0x12, 0x10, 0x11, 0x04, 0x14, 0x03, 0x18, 0x00, 0x06, 0x19, 0x52)


def _tcp_at(data: bytes) -> int:
    """Offset of the TCP header of an Ethernet/IPv4/TCP frame, else -1."""
    if len(data) < 54 or data[12:14] != b"\x08\x00" or data[23] != 6:
        return -1
    return 14 + (data[14] & 0x0F) * 4


def _damaged(path, out, seed: int, rate: float):
    with open_capture(path) as reader:
        frames = [(f.ts_ns, bytes(f.data)) for f in reader]
    rng = random.Random(seed)
    records = []
    i = 0
    while i < len(frames):
        ts, data = frames[i]
        t = _tcp_at(data)
        if t < 0 or rng.random() >= rate:
            records.append((ts, data))
            i += 1
            continue
        data = bytearray(data)
        what = rng.randrange(8)
        if what == 0:
            data[t + 13] = rng.choice(FLAGS)
        elif what in (1, 2):
            at = t + 4 if what == 1 else t + 8
            v = (struct.unpack_from("!I", data, at)[0] + rng.choice((1, -1))) & 0xFFFFFFFF
            struct.pack_into("!I", data, at, v)
        elif what == 3:
            data[t + 14:t + 16] = b"\x00\x00"
        elif what == 4:                                     # duplicated
            records.append((ts, bytes(data)))
            ts += 1000
        elif what == 5:                                     # dropped
            i += 1
            continue
        elif what == 6 and i + 1 < len(frames):             # swapped with the next frame (times kept)
            ts2, data2 = frames[i + 1]
            records.append((ts, data2))
            records.append((ts2, bytes(data)))
            i += 2
            continue
        else:                                               # a payload byte on a segment that had none
            if len(data) == t + (data[t + 12] >> 4) * 4:
                data.append(0x41)
                struct.pack_into("!H", data, 16, struct.unpack_from("!H", data, 16)[0] + 1)
        records.append((ts, bytes(data)))
        i += 1
    records.sort(key=lambda r: r[0])
    out.write_bytes(pcap_file([(ts // 10**9, ts % 10**9 // 1000, d) for ts, d in records]))
    return out


@pytest.mark.parametrize("seed,rate", [(1, 0.03), (2, 0.08), (3, 0.15)])
def test_damaged_synthetic(tmp_path, monkeypatch, seed, rate):
    base = tmp_path / "synthetic.pcap"
    # ~16 s of traffic: two sweeps of the tracker, so windows cut connections too
    synthetic.generate(base, 15_000, seed=seed, clients=200, sites=150)
    path = _damaged(base, tmp_path / "damaged.pcap", seed, rate)
    taken = {"handshake": 0, "plain": 0}
    for name in taken:
        method = getattr(TcpTracker, name)

        def counted(self, *args, _m=method, _n=name):
            taken[_n] += 1
            return _m(self, *args)
        monkeypatch.setattr(TcpTracker, name, counted)
    _same(path)
    assert taken["handshake"] > 100 and taken["plain"] > 500, taken
