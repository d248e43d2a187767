"""The header tuple of a TCP segment read by the compiled helper (``analyzer.columnar._speedups.quick_tcp``, which
``filter.apply.analyzed`` hands to ``Pipeline.feed_headers`` on read's header path) is the tuple
``flows.quick.quick_headers(data, linktype, True, origlen)`` gives, and None exactly where that gives anything
but a TCP tuple (a UDP tuple or None; feed_headers then reads the frame itself): on every frame of the captures
and the corpus, on frames of every link type it reads, and on frames damaged at each of its checks (EtherType
and VLAN tags, the BSD loopback family in either byte order, the IP version, header length, fragment bits, total
and payload lengths, a length past the wire length, the protocol, the TCP header length, cuts at every length)
and at random. read's lines are the same with and without it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import synthetic

from analyzer.capture import open_capture
from analyzer.capture.frame import Frame
from analyzer.compiled import compiled
from analyzer.flows import quick

quick_tcp = compiled("quick_tcp")
pytestmark = pytest.mark.skipif(quick_tcp is None, reason="the compiled helper (with quick_tcp) is not built")
REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])


def _same(data: bytes, linktype: int, origlen: int | None = None) -> bool:
    """The helper's answer for this frame agrees with quick_headers'; True when it gave a tuple."""
    origlen = len(data) if origlen is None else origlen
    want = quick.quick_headers(data, linktype, True, origlen)
    got = quick_tcp(Frame(1, 0, origlen, None, linktype, data), quick._cache, quick.address_pair)
    if want is not None and want[0] == "tcp":
        assert got == want, (linktype, data.hex())
        assert [type(v) for v in got] == [type(v) for v in want]
        return True
    assert got is None, (linktype, data.hex(), want)
    return False


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_captures(path):
    with open_capture(path) as reader:
        for frame in reader:
            _same(frame.data, frame.linktype, frame.origlen)


def _segment(payload: bytes = b"GET / HTTP/1.1\r\n\r\n", options: bytes = b"\x01\x01\x08\x0a" + bytes(range(8)),
             v6: bool = False) -> bytes:
    """An IPv4 (or IPv6) TCP segment, no link layer."""
    hl = 20 + len(options)
    tcp = (b"\xc3\x50\x00\x50" + b"\x89\xab\xcd\xef" + b"\x01\x02\x03\x04" + bytes([(hl // 4) << 4, 0x18])
           + b"\xff\xf0" + b"\x00\x00\x00\x00" + options + payload)
    if v6:
        return (b"\x60\x00\x00\x00" + len(tcp).to_bytes(2, "big") + b"\x06\x40" + bytes(range(16))
                + bytes(range(16, 32)) + tcp)
    total = 20 + len(tcp)
    return b"\x45\x00" + total.to_bytes(2, "big") + b"\x12\x34\x40\x00\x40\x06\x00\x00" + \
        b"\x0a\x00\x00\x01\xc0\xa8\x01\x02" + tcp


ETH4 = bytes(6) + b"\x02" * 6 + b"\x08\x00"
ETH6 = bytes(6) + b"\x02" * 6 + b"\x86\xdd"


def test_link_types():
    ip4, ip6 = _segment(), _segment(v6=True)
    taken = 0
    cases = [
        (1, ETH4 + ip4), (1, ETH6 + ip6),
        (1, bytes(12) + b"\x81\x00\x00\x05\x08\x00" + ip4),                            # one VLAN tag
        (1, bytes(12) + b"\x88\xa8\x00\x05\x81\x00\x00\x06\x91\x00\x00\x07\x86\xdd" + ip6),   # three
        (1, bytes(12) + b"\x81\x00\x00\x05"),                                          # a tag cut short
        (1, bytes(12) + b"\x81\x00\x00"),
        (1, bytes(12) + b"\x08\x06" + ip4),                                            # ARP's EtherType
        (113, bytes(14) + b"\x08\x00" + ip4), (113, bytes(14) + b"\x86\xdd" + ip6), (113, bytes(15)),
        (276, b"\x08\x00" + bytes(18) + ip4), (276, b"\x86\xdd" + bytes(18) + ip6), (276, b"\x08\x00" + bytes(17)),
        (0, b"\x02\x00\x00\x00" + ip4), (0, b"\x00\x00\x00\x02" + ip4),                # either byte order
        (0, b"\x1e\x00\x00\x00" + ip6), (0, b"\x00\x00\x00\x18" + ip6), (0, b"\x1c\x00\x00\x00" + ip6),
        (0, b"\x0a\x00\x00\x00" + ip6), (0, b"\x03\x00\x00\x00" + ip4), (0, b"\x02\x00\x00"),
        (101, ip4), (12, ip6), (14, ip4), (228, ip4), (229, ip6), (228, ip6), (229, ip4), (101, b""),
        (101, b"\x55" + ip4[1:]), (105, ETH4 + ip4), (1, b"")]
    for lt, data in cases:
        taken += _same(data, lt)
    assert taken == 21


def _damaged() -> list[tuple[int, bytes, int | None]]:
    out = []
    for v6 in (False, True):
        eth = ETH6 if v6 else ETH4
        ip = _segment(v6=v6)
        frame = eth + ip
        out.append((1, frame, None))
        for cut in range(len(frame) + 1):
            out.append((1, frame[:cut], None))                     # a snaplen cut anywhere
            out.append((1, frame[:cut], len(frame)))
        out.append((1, frame, len(frame) - 7))                     # the wire length below the IP length
        out.append((1, frame, 20))
        for at in range(14, 14 + (40 if v6 else 20) + 20):         # each header byte
            for value in (0x00, 0x01, 0x06, 0x11, 0x45, 0x4F, 0x50, 0x60, 0xF0, 0xFF):
                out.append((1, frame[:at] + bytes([value]) + frame[at + 1:], None))
    plain = ETH4 + _segment(payload=b"", options=b"")
    out.append((1, plain, None))
    out.append((1, ETH4 + _segment(options=b"\x02\x04\x05\xb4\x01\x03\x03\x07"), None))
    return out


def test_damaged_where_it_decides():
    taken = sum(_same(data, lt, origlen) for lt, data, origlen in _damaged())
    assert taken > 500


def test_random_frames():
    rng = random.Random(12)
    bases = [ETH4 + _segment(), ETH6 + _segment(v6=True), ETH4 + _segment(payload=bytes(300), options=b"")]
    taken = 0
    for _ in range(6000):
        data = bytearray(rng.choice(bases))
        for _flip in range(rng.randint(1, 3)):
            data[rng.randrange(min(len(data), 80))] = rng.randrange(256)
        data = bytes(data[:rng.randint(0, len(data))]) if rng.random() < 0.3 else bytes(data)
        origlen = len(data) + rng.choice((0, 0, 10, -5)) if data else 0
        taken += _same(data, rng.choice((1, 1, 1, 113, 0, 101)), max(origlen, 0))
    assert taken > 1000


def test_address_texts_shared():
    """The address texts come from quick's cache (one string per address, as quick_headers gives them)."""
    data = ETH4 + _segment()
    want = quick.quick_headers(data, 1, True, len(data))
    got = quick_tcp(Frame(1, 0, len(data), None, 1, data), quick._cache, quick.address_pair)
    assert got[1] is want[1] and got[3] is want[3]


def test_through_the_command(tmp_path, monkeypatch):
    """read's and read -Y's lines are the same with and without the helper (the Python path alone)."""
    from click.testing import CliRunner

    from analyzer.cli.main import main
    from analyzer.filter import apply

    path = tmp_path / "s.pcap"
    synthetic.generate(path, 3_000, seed=11, clients=40, sites=30)
    calls = []

    def counting(*args):
        h = quick_tcp(*args)
        calls.append(h is not None)
        return h

    outputs = []
    for helper in (counting, None):
        monkeypatch.setattr(apply, "compiled", lambda name, helper=helper: helper if name == "quick_tcp" else None)
        for args in (["read", str(path)], ["read", "-Y", "tcp.port == 80 and tcp.len > 0", str(path)]):
            result = CliRunner().invoke(main, args)
            assert result.exit_code == 0
            outputs.append(result.output)
    assert outputs[:2] == outputs[2:]
    assert sum(calls) > 2000


def test_read_imports_no_numpy():
    """read's text lines (no -Y) need neither numpy nor the columnar core: the compiled helpers load without
    them (analyzer.columnar imports its count, and numpy, on first use), so start-up stays short."""
    import subprocess
    import sys

    code = ("import sys; from analyzer.cli.main import main\n"
            "try:\n    main(['read', '-c', '3', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
            "from analyzer.compiled import compiled\n"
            "assert compiled('quick_tcp') is not None and compiled('tcp_line') is not None\n"
            "print('numpy' in sys.modules, 'analyzer.columnar.count' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, str(REPO / "captures" / "lab_page_fetch.pcapng")],
                          capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.count("\n") == 3
    assert done.stderr.split() == ["False", "False"]
