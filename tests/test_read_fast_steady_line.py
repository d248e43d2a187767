"""``read``'s text lines with the compiled ``read_steady`` (analyzer/columnar/_speedups.c, called from
``filter.apply.analyzed``: a steady TCP segment's header tuple, tracker step and summary line in one call) are the
lines without it (every frame through ``Pipeline.feed_headers`` and ``header_only_line``), on every capture, the
corpus, synthetic web traffic, damaged copies (bytes changed, frames lost, repeated and reordered, frames cut
by a snap length, VLAN tags, IPv6) and crafted HTTP/1 connections; and each of its answers (its line, a segment
taken whose line is made by Python, declined, not a TCP segment; the line with the Info texts of HTTP messages
that ended in the segment) happens on them. Under
``ANALYZER_PURE_PYTHON=1`` the helper is not built and the tests that need it skip."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
import synthetic
from capture_builders import pcap_header, pcap_record
from click.testing import CliRunner

from analyzer.capture import open_capture
from analyzer.cli.main import main
from analyzer.compiled import compiled
from analyzer.decode import decode_as
from analyzer.filter import apply

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
CAPTURES = sorted((REPO / "captures").glob("*.pcap*"))
CORPUS_FILES = sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else []
STEADY = compiled("read_steady")

pytestmark = pytest.mark.skipif(STEADY is None, reason="the compiled helper is not built (ANALYZER_PURE_PYTHON)")


def run(path: Path, monkeypatch, steady: bool, *args: str) -> tuple[str, str, int, Counter]:
    """``analyzer read ARGS PATH`` in-process with or without read_steady; its stdout, stderr, exit code and
    the kinds of read_steady's answers."""
    kinds: Counter = Counter()

    def counted(*a):
        r = STEADY(*a)
        if r.__class__ is str:
            kinds["line"] += 1
            kinds["http"] += " HTTP " in r      # where HTTP messages ended: their Info texts taken
        else:
            kinds["none" if r is None else "taken" if len(r) == 3 else "declined"] += 1
        return r

    real = apply.compiled
    monkeypatch.setattr(apply, "compiled",
                        lambda name: (counted if steady else None) if name == "read_steady" else real(name))
    saved = decode_as.snapshot()        # -d holds for the process, as in the CLI: restored after each run
    try:
        result = CliRunner().invoke(main, ["read", *args, str(path)])
    finally:
        decode_as.restore(saved)
        monkeypatch.setattr(apply, "compiled", real)
    return result.stdout, result.stderr, result.exit_code, kinds


def same(path: Path, monkeypatch, *args: str) -> Counter:
    with_it = run(path, monkeypatch, True, *args)
    without = run(path, monkeypatch, False, *args)
    assert with_it[:3] == without[:3], path.name
    assert not without[3]
    return with_it[3]


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_captures(path, monkeypatch):
    kinds = same(path, monkeypatch)
    if path.name in ("lab_page_fetch.pcapng", "http10_short_connections_loopback.pcap"):
        assert kinds["line"] and kinds["declined"]


@pytest.mark.skipif(not CORPUS_FILES, reason=f"the shared corpus ({CORPUS}) is not here")
def test_corpus(monkeypatch):
    total: Counter = Counter()
    for path in CORPUS_FILES:
        total += same(path, monkeypatch)
    assert total["line"] and total["http"] and total["taken"] and total["declined"] and total["none"]


def frames_of(path: Path) -> list[tuple[int, int, bytes]]:
    with open_capture(path) as reader:
        return [(f.ts_ns, f.origlen, f.data) for f in reader]


def write(path: Path, frames: list[tuple[int, int, bytes]]) -> Path:
    """A nanosecond pcap of (ts_ns, origlen, data) frames."""
    path.write_bytes(pcap_header("<", True, 1) + b"".join(
        pcap_record(ts // 10**9, ts % 10**9, data, origlen) for ts, origlen, data in frames))
    return path


@pytest.fixture(scope="module")
def web(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("steady") / "web.pcap"
    synthetic.generate(path, 4000, seed=11, clients=30, sites=40)
    return path


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_synthetic_traffic(tmp_path, monkeypatch, fmt):
    path = tmp_path / f"web.{fmt}"
    synthetic.generate(path, 3000, seed=5, clients=40, sites=60)
    kinds = same(path, monkeypatch)
    assert kinds["line"] > 1000 and kinds["http"] > 100 and kinds["declined"] and kinds["none"]
    same(path, monkeypatch, "-c", "777")


def damaged_frames(web, seed: int) -> list:
    """The frames of ``web`` with some lost, some repeated later and some neighbours swapped (by ``seed``)."""
    rng = random.Random(seed)
    out: list = []
    for frame in frames_of(web):
        r = rng.random()
        if r < 0.03:
            continue
        out.append(frame)
        if r < 0.06:
            out.insert(max(0, len(out) - rng.randint(1, 4)), frame)
        elif r < 0.09 and len(out) > 1:
            out[-1], out[-2] = out[-2], out[-1]
    return out


@pytest.mark.parametrize("seed", range(4))
def test_lost_repeated_reordered(tmp_path, monkeypatch, web, seed):
    """Holes (frames dropped), retransmissions (frames repeated, later), reordering (neighbours swapped)."""
    out = damaged_frames(web, seed)
    kinds = same(write(tmp_path / "damaged.pcap", out), monkeypatch)
    assert kinds["line"] and kinds["declined"]


@pytest.mark.parametrize("snaplen", [54, 60, 66, 80, 200])
def test_cut_by_snaplen(tmp_path, monkeypatch, web, snaplen):
    """Frames cut: a segment's line is made, but not the HTTP line of one in which messages ended (its packet's
    line says it was cut)."""
    frames = [(ts, origlen, data[:snaplen]) for ts, origlen, data in frames_of(web)]
    kinds = same(write(tmp_path / "cut.pcap", frames), monkeypatch)
    assert kinds["http"] == 0


def test_vlan_tagged(tmp_path, monkeypatch, web):
    frames = [(ts, origlen + 4, data[:12] + b"\x81\x00\x00\x2a" + data[12:]) for ts, origlen, data in frames_of(web)]
    same(write(tmp_path / "vlan.pcap", frames), monkeypatch)


def test_ipv6(tmp_path, monkeypatch, web):
    """The same traffic over IPv6 (the TCP checksums left as they were: tshark and the decoder only flag them)."""
    out = []
    for ts, _origlen, data in frames_of(web):
        if data[12:14] == b"\x08\x00" and data[14] == 0x45:
            total = data[16] << 8 | data[17]
            payload = data[34:14 + total]
            head = (b"\x86\xdd" + b"\x60\x00\x00\x00" + len(payload).to_bytes(2, "big") + bytes([data[23], 64])
                    + b"\x20\x01\x0d\xb8" + b"\0" * 8 + data[26:30] + b"\x20\x01\x0d\xb8" + b"\0" * 8 + data[30:34])
            data = data[:12] + head + payload
        out.append((ts, len(data), data))
    kinds = same(write(tmp_path / "v6.pcap", out), monkeypatch)
    assert kinds["line"] > 1000


@pytest.mark.parametrize("name", ["lab_page_fetch.pcapng", "lab_lossy_fetch_retransmissions.pcapng"])
def test_mutated_captures(tmp_path, monkeypatch, name):
    from mutants import mutated_pcaps

    for path in mutated_pcaps(name, tmp_path):
        same(path, monkeypatch)


def test_crafted_http(tmp_path, monkeypatch):
    """The crafted HTTP/1 connections of test_read_fast_lines (heads split across segments, pipelining, lost
    body segments, bodies until close, a connection picked up mid-stream...), all in one capture."""
    from scapy.all import wrpcap
    from test_read_fast_lines import http_scenarios

    everything = [p for packets in http_scenarios().values() for p in packets]
    path = tmp_path / "all.pcap"
    wrpcap(str(path), sorted(everything, key=lambda p: p.time))
    kinds = same(path, monkeypatch)
    assert kinds["line"] and kinds["http"]


def test_decode_as_dns_port(monkeypatch, web):
    """-d tcp.port==80,dns: port 80 is a DNS-over-TCP port for the tracker: no segment of it is taken."""
    kinds = same(web, monkeypatch, "-d", "tcp.port==80,dns")
    assert not kinds["line"]


def test_idle_sweep_comes_first(tmp_path, monkeypatch):
    """An ACK after more than the idle timeout (an hour) of silence: the tracker's sweep finishes the connection
    first, so the ACK starts another (its own stream, its numbers from its own base): read_steady leaves such
    a segment (at or past the tracker's next sweep) to Python."""
    from fixtures.tcp.craft import C, S, Talk
    from scapy.all import wrpcap

    t = Talk(cli=("10.0.0.1", 40010), srv=("10.0.0.2", 80))
    t.handshake()
    t.send(C, "PA", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    t.send(S, "PA", b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Type: text/plain\r\n\r\nbody")
    t.send(C, "A")
    t.send(C, "PA", b"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
    t.send(S, "A")                  # both sides have sent a bare ACK: the next is a steady segment
    t.send(S, "A", dt=3700.0)
    t.send(C, "A")
    path = tmp_path / "idle.pcap"
    wrpcap(str(path), t.packets)
    out = run(path, monkeypatch, True)[0].splitlines()
    assert out == run(path, monkeypatch, False)[0].splitlines()
    assert "80 → 40010 [ACK] Seq=1 Ack=1 " in out[-2]      # a new connection's numbers, not Seq=69 Ack=56


def test_fixtures(monkeypatch):
    """Every capture under tests/fixtures (TLS with its key log when it has one, HTTP/2, WebSocket, QUIC...)."""
    total: Counter = Counter()
    for path in sorted((REPO / "tests" / "fixtures").rglob("*.pcap*")):
        keys = path.with_suffix(".keys")
        total += same(path, monkeypatch, *(["--keylog", str(keys)] if keys.exists() else []))
    assert total["line"] > 100


# decided by the header columns but the last (http.request: every packet goes to the filter); the frame.number
# one shows nothing before frame 60, while read_steady takes the steady segments before it, the capture's
# first frames (ARP, DNS) left out: the lines' times still count from the capture's first frame
FILTERS = ["tcp.port == 80 and tcp.len > 0", "ip.addr == 10.0.0.58", "tcp.flags.syn == 1", "tcp.len > 0",
           "tcp.port == 443 or tcp.dstport == 80", "frame.number > 60 and tcp.port == 80", "http.request"]


def test_filtered_captures(monkeypatch):
    """``read -Y F``: where the header columns decide the filter, read_steady takes a steady segment and its
    line is shown when the frame matched (none when not); the same lines as without it, on captures/."""
    total: Counter = Counter()
    for path in CAPTURES:
        for f in FILTERS:
            total += same(path, monkeypatch, "-Y", f)
    assert total["line"] and total["http"] and total["declined"]


@pytest.mark.parametrize("seed", range(2))
def test_filtered_damaged(tmp_path, monkeypatch, web, seed):
    """``read -Y F`` on synthetic traffic with frames lost, repeated and reordered, cut at 66 bytes, VLAN-tagged,
    and with -c (stopping mid-capture)."""
    out = damaged_frames(web, seed)
    damaged = write(tmp_path / "damaged.pcap", out)
    cut = write(tmp_path / "cut.pcap", [(ts, origlen, data[:66]) for ts, origlen, data in out])
    vlan = write(tmp_path / "vlan.pcap", [(ts, origlen + 4, data[:12] + b"\x81\x00\x00\x2a" + data[12:])
                                          for ts, origlen, data in out])
    total: Counter = Counter()
    for path in (web, damaged, cut, vlan):
        for f in FILTERS:
            total += same(path, monkeypatch, "-Y", f)
    total += same(damaged, monkeypatch, "-c", "1500", "-Y", FILTERS[0])
    assert total["line"] > 1000 and total["http"] > 50 and total["declined"]
