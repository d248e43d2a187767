"""``read -Y`` leaves out the conversations its filter can never match (analyzer.filter.apply
.conversation_frames): the lines it prints are the same as when every frame is decoded and analysed — on every
capture we have, on synthetic traffic, and when the TCP tracker's idle sweep would have run at a left-out
segment; and where the header columns decide the filter, segments run from their headers alone (no
decode, lines from the headers) give the same lines too."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import synthetic
from report_builders import ACK, SYN, eth, ipv4, tcp

from analyzer.capture import open_capture
from analyzer.cli.read import header_only_line
from analyzer.filter import compile_filter
from analyzer.filter._vector import conversation_filter, vector_filter
from analyzer.filter.apply import conversation_frames, decided_filter, matching_packets
from analyzer.pipeline import HeaderOnly
from analyzer.report.summary import Summary

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])
FILTERS = ["tcp.port == 80 and tcp.len > 0", "tcp.port == 80", "udp.port == 53 or arp", "not tcp.port == 443",
           "ip.addr == 10.0.0.0/8 and http", "ip.src == 127.0.0.1", "tcp.port == 443 or dns",
           "tcp.flags.syn == 1 and not udp", 'frame.interface_name == "eth0" and tcp']


def lines(path, text: str, left_out: bool, count: int | None = None, seen: list | None = None) -> list[str]:
    """The text lines of ``read -Y text [-c count] path``: every frame analysed, or the left-out path (where
    the columns decide the filter, segments the TCP tracker alone answers for are run from their headers,
    not decoded, and their lines made from the headers: ``seen`` gets how many)."""
    keep = compile_filter(text)
    with open_capture(path) as reader:
        first: list[int] = []
        if left_out:
            # as read -Y does it: conversations left out, and the filter answered from the header columns
            # where they decide it
            pipelines: list = []
            never = conversation_filter(text)
            assert never is not None
            vector = vector_filter(text)
            verdicts: dict[int, bool] = {}
            frames = conversation_frames(reader.batches(), never, pipelines, count, first, vector, verdicts)
            packets = matching_packets(frames, keep if vector is None else decided_filter(keep, verdicts), None,
                                       None, pipelines, headers=vector is not None, lines=vector is not None)
        else:
            def noted(frames):
                for n, frame in enumerate(frames, 1):
                    if count is not None and n > count:
                        return
                    if not first:
                        first.append(frame.ts_ns)
                    yield frame
            packets = matching_packets(noted(reader), keep)
        summary = Summary(0, reader.time_digits)
        out = []
        from_headers = 0
        for pkt in packets:
            if summary.t0_ns is None:
                summary.t0_ns = first[0]
            if pkt.__class__ is HeaderOnly:
                line = summary.header_line(pkt)
                if line is None:
                    line = summary.line(pkt.packet())
                else:
                    from_headers += 1
                # as read makes it: with the Info texts of the HTTP messages that ended in it (lines=True)
                out.append(header_only_line(summary, pkt, pipelines[0].transactions.http))
            else:
                out.append(summary.line(pkt))
    if seen is not None:
        seen.append(from_headers)
    return out


def test_interface_name_of_a_pcapng_frame():
    """A frame read from batches keeps its pcapng interface's name (it was "unknown" there, so the filter
    matched nothing): 19 lines, as ``tshark -r lab_hub-client.pcapng -Y 'frame.interface_name == "eth0" and
    tcp' | wc -l``."""
    path = REPO / "captures" / "lab_hub-client.pcapng"
    assert len(lines(path, 'frame.interface_name == "eth0" and tcp', left_out=True)) == 19


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_same_lines(path):
    for text in FILTERS:
        assert lines(path, text, True) == lines(path, text, False), text
    assert lines(path, FILTERS[1], True, count=7) == lines(path, FILTERS[1], False, count=7)


def test_same_lines_synthetic(tmp_path):
    path = tmp_path / "s.pcap"
    synthetic.generate(path, 1500, seed=5, clients=40, sites=30)
    for text in ("tcp.port == 80 and tcp.len > 0", "ip.addr == 10.0.0.0/28", "tcp.len == 0"):
        want = lines(path, text, False)
        seen: list[int] = []
        assert want and lines(path, text, True, seen=seen) == want, text
        assert seen[0] > len(want) // 4, text      # lines made from headers alone: the path under test


def _pcap(frames: list[tuple[float, bytes]]) -> bytes:
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)
    for t, data in frames:
        usec = round(t * 1_000_000)
        out += struct.pack("<IIII", 1_700_000_000 + usec // 1_000_000, usec % 1_000_000, len(data), len(data))
        out += data
    return out


def _seg(src, dst, sport, dport, seq, ack, flags, payload: bytes = b"") -> bytes:
    return eth(ipv4(src, dst, 6, tcp(src, dst, sport, dport, seq, ack, flags, payload=payload)))


def test_idle_sweep_at_left_out_segments(tmp_path):
    # A connection on port 80 sends 100 bytes at t=0.03 and falls silent. Another one on port 443 (left out by
    # the filter) sends a segment every 10.5 s: the tracker sweeps idle connections at each of them, the last
    # one before t=3601 at t=3591.5, when the first connection has been idle for less than its 3600 s; so its
    # segment at t=3601 still belongs to it (Seq=101; the next sweep is due at t=3601.5). Without the sweeps at
    # the left-out segments that segment would sweep first and start a new connection (Seq=1).
    c, s, o = "10.0.0.1", "10.0.0.2", "10.0.0.3"
    frames = [(0.0, _seg(c, s, 40000, 80, 1000, 0, SYN)), (0.01, _seg(s, c, 80, 40000, 5000, 1001, SYN | ACK)),
              (0.02, _seg(c, s, 40000, 80, 1001, 5001, ACK)),
              (0.03, _seg(c, s, 40000, 80, 1001, 5001, ACK, b"x" * 100)),
              (0.05, _seg(s, c, 80, 40000, 5001, 1101, ACK))]
    t = 0.5
    while t < 3600:
        frames.append((t, _seg(o, s, 50000, 443, 7000, 9000, ACK)))
        t += 10.5
    frames.append((3601.0, _seg(c, s, 40000, 80, 1101, 5001, ACK)))
    frames.sort(key=lambda f: f[0])
    path = tmp_path / "idle.pcap"
    path.write_bytes(_pcap(frames))
    want = lines(path, "tcp.port == 80", False)
    assert len(want) == 6 and "Seq=101 Ack=1 " in want[-1]
    assert lines(path, "tcp.port == 80", True) == want


PCAPS = [p for p in FILES if p.suffix == ".pcap"]


@pytest.mark.parametrize("path", PCAPS, ids=lambda p: p.name)
def test_written_frames_are_the_same(path, tmp_path, monkeypatch):
    # read -Y F -w OUT from a classic pcap takes the left-out path too: the same file comes out as when every
    # frame is analysed (the conversation filter switched off)
    from click.testing import CliRunner

    import analyzer.filter._vector as vector
    from analyzer.cli.main import main

    def written(name: str) -> bytes:
        out = tmp_path / name
        result = CliRunner().invoke(main, ["read", "-Y", "tcp.port == 80 or udp.port == 53", "-w", str(out),
                                           str(path)])
        assert result.exit_code == 0, result.output
        return out.read_bytes()

    left_out = written("a.pcap")
    monkeypatch.setattr(vector, "conversation_filter", lambda text: None)
    assert written("b.pcap") == left_out
