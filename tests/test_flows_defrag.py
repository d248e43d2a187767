"""IP fragment reassembly: unit tests of the sans-IO defragmenter and the corpus against tshark."""

from __future__ import annotations

import pytest
from tcp_helpers import run
from tcp_oracle import CORPUS

from analyzer.flows.defrag import Defragmenter

KEY = (4, "10.0.0.1", "10.0.0.2", 6, b"\x00\x01")


def test_in_order_and_reversed():
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        d = Defragmenter()
        parts = [(0, True, b"a" * 8), (8, True, b"b" * 8), (16, False, b"c" * 3)]
        out = None
        for i in order:
            off, more, data = parts[i]
            out = d.add(KEY, off, more, data, i + 1, 0, header="hdr" if off == 0 else None)
        assert out is not None and out.payload == b"a" * 8 + b"b" * 8 + b"ccc"
        assert out.header == "hdr" and sorted(out.frames) == [1, 2, 3] and not out.overlap


def test_overlap_first_copy_wins_and_conflict_is_marked():
    d = Defragmenter()
    d.add(KEY, 0, True, b"AAAAAAAA", 1, 0, "h")
    d.add(KEY, 8, True, b"BBBBBBBB", 2, 0)
    out = d.add(KEY, 4, False, b"XXXXXXXXXXXXXXXX", 3, 0)
    assert out.payload == b"AAAAAAAABBBBBBBBXXXX" and out.overlap and out.conflict
    d = Defragmenter()
    d.add(KEY, 0, True, b"AAAAAAAA", 1, 0, "h")
    out = d.add(KEY, 0, False, b"AAAAAAAA", 2, 0)          # a duplicated frame: same bytes
    assert out.payload == b"AAAAAAAA" and out.overlap and not out.conflict


def test_timeout_on_packet_time_and_reports():
    d = Defragmenter(timeout_ns=1000)
    d.add(KEY, 0, True, b"x" * 8, 1, 0, "h")
    other = (4, "10.0.0.3", "10.0.0.2", 6, b"\x00\x02")
    d.add(other, 0, True, b"y" * 8, 2, 5000, "h")
    assert [r["frames"] for r in d.incomplete] == [[1]] and d.incomplete[0]["reason"] == "timed out"
    d.finish()
    assert d.incomplete[1]["reason"] == "capture ended" and d.held_bytes == 0


def test_bounds():
    d = Defragmenter(max_datagrams=2)
    for i in range(4):
        d.add((4, "a", "b", 17, i), 0, True, b"z" * 8, i, 0, "h")
    assert len(d.pending) == 2 and len(d.incomplete) == 2
    d = Defragmenter()
    assert d.add(KEY, 65528, False, b"z" * 16, 1, 0) is None
    assert d.incomplete[0]["reason"].startswith("fragment reaches past")


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus folder {CORPUS} not present")
def test_corpus_ipv4_fragments_like_tshark():
    pipe, packets = run(CORPUS / "ipv4_fragments_http_request.pcap")
    assert [p.frame.number for p in packets if p.has("tcp")] == [11]
    last = packets[-1]
    assert last["ip.fragment"] == list(range(1, 12)) and last["ip.fragment.count"] == 11
    assert last["ip.reassembled.length"] == 1480 and last["tcp.len"] == 1460 and last["tcp.stream"] == 0
    assert pipe.incomplete_datagrams == []


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus folder {CORPUS} not present")
def test_corpus_ipv6_fragments_one_lost():
    pipe, packets = run(CORPUS / "ipv6_fragments_dns_txt_one_lost.pcap")
    last = packets[-1]
    assert last["ipv6.fragment"] == [6, 7, 8] and last["ipv6.reassembled.length"] == 3238
    assert last["udp.stream"] == 1 and last.has("udp")
    (lost,) = pipe.incomplete_datagrams
    assert lost["frames"] == [4] and lost["total"] == 3238


def _reference(fragments):
    """The same rules written the slow, obvious way: a byte map where the first copy wins."""
    held, total, conflict, overlap = {}, None, False, False
    for offset, more, data in fragments:
        for k, byte in enumerate(data):
            if offset + k in held:
                overlap = True
                conflict |= held[offset + k] != byte
            else:
                held[offset + k] = byte
        if not more:
            end = offset + len(data)
            if total is None or total == end:
                total = end
            else:
                conflict = True
        if total is not None and all(i in held for i in range(total)):
            return bytes(held[i] for i in range(total)), conflict, overlap
    return None


def test_random_overlapping_fragments_agree_with_a_byte_map():
    import random
    rng = random.Random(14)
    for _case in range(400):
        size = rng.randrange(1, 120)
        truth = bytes(rng.randrange(256) for _ in range(size))
        fragments = []
        for _ in range(rng.randrange(1, 14)):
            lo = rng.randrange(0, size)
            hi = rng.randrange(lo + 1, size + 1)
            data = bytearray(truth[lo:hi])
            if rng.random() < 0.15:                 # a conflicting copy
                data[rng.randrange(len(data))] ^= 0xFF
            fragments.append((lo, hi < size, bytes(data)))
        if rng.random() < 0.8:                      # usually everything arrives at last
            fragments.append((0, True, truth[:-1] or truth))
            fragments.append((size - 1, False, truth[-1:]))
        expected = _reference(fragments)
        d = Defragmenter()
        out = None
        for n, (offset, more, data) in enumerate(fragments):
            out = d.add(KEY, offset, more, data, n + 1, 0, header="h" if offset == 0 else None)
            if out is not None:
                break
        if expected is None:
            assert out is None
            continue
        assert out is not None, fragments
        assert (out.payload, out.conflict, out.overlap) == expected, fragments
