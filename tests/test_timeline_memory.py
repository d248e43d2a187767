"""Timeline memory bounded by the open connections (issues 10 and 14).

An attempt nobody answered (one SYN of a new 4-tuple) is kept by the timeline as the tracker's compact
``Attempt`` and a pending log (analyzer/timeline/collect.py) until it becomes a connection: it must cost less
than 1 KB (measured with tracemalloc, as tests/test_tcp_bounds.py measures the tracker alone; the benchmark
``benchmarks/bench_conn_memory.py --path timeline`` gives the figure), and the fetches must be those of the
collector that made a full connection and log at every SYN (the tracker without compact attempts, as the
timeline ran before), step for step, frame for frame.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from pathlib import Path

import pytest
from fixtures.timeline import craft

from analyzer.capture import open_capture
from analyzer.capture.frame import Frame
from analyzer.flows import quick
from analyzer.timeline import TimelineRun
from analyzer.timeline.collect import ConnLog

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fuzz.adversarial import ACK, RST, eth, half_open, ipv4, tcp

CAPTURES = ROOT / "captures"


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> dict:
    return craft.build(tmp_path_factory.mktemp("timeline"))


def read(path: Path) -> list:
    with open_capture(path) as reader:
        return list(reader)


def syn_frames(n: int, t0: int = 0, refuse_every: int = 0) -> list[Frame]:
    """``n`` SYNs from 10.0.0.1 to distinct hosts and ports, 0.1 ms apart (fuzz/adversarial.py ``half_open``),
    from ``t0`` when given; every ``refuse_every``-th answered 5 ms later by RST, ACK. Numbered from 1."""
    out = []
    for i, (ts, data) in enumerate(half_open(n)):
        ts = t0 + ts - half_open(1)[0][0] if t0 else ts
        out.append((ts, data))
        if refuse_every and i % refuse_every == 0:
            server, port = f"10.1.{(i >> 8) & 0xFF}.{i & 0xFF}", 1 + i % 60000
            rst = tcp(server, "10.0.0.1", port, 40000 + i % 20000, 0, 7 * i + 1, RST | ACK)
            out.append((ts + 5_000_000, eth(ipv4(server, "10.0.0.1", 6, rst))))
    out.sort(key=lambda x: x[0])
    return [Frame(i + 1, ts, len(data), None, 1, data) for i, (ts, data) in enumerate(out)]


class Spy(TimelineRun):
    """A run that counts the logs it was given still pending (the compact path was taken)."""

    pending = 0

    def connection(self, log: ConnLog) -> None:
        self.pending += log.is_pending
        super().connection(log)


def run(frames: list, compact: bool = True) -> tuple[list[dict], int]:
    """The fetches (as their JSON dicts, in number order) and how many logs were pending when handed over."""
    r = Spy()
    if not compact:
        r.collector.pipe.tcp.compact_attempts = False     # a full connection and log at every SYN
    out = []
    for frame in frames:
        out += r.feed(frame)
    out += r.finish()
    out.sort(key=lambda f: f.index)
    return [f.as_dict() for f in out], r.pending


def test_an_unanswered_syn_costs_the_timeline_less_than_1_kb():
    """Everything the run keeps for an open attempt: the tracker's Attempt and table entry, the pending log,
    the collector's and the activity's entries (frames built beforehand, not counted)."""
    n = 4000
    frames = syn_frames(n)
    r = TimelineRun()
    # the address-text caches (bounded, shared by every capture of the process) start empty, as in a fresh
    # process: filled by earlier tests, a resize or clear during the measure was counted (1,105 B after 3,870
    # other tests, 958 B alone)
    quick._cache.clear()
    quick._one.clear()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for frame in frames:
            r.feed(frame)
        gc.collect()
        per = (tracemalloc.get_traced_memory()[0] - base) / n
    finally:
        tracemalloc.stop()
    assert r.collector.pipe.tcp.open_count() == n and len(r.collector.logs) == n
    assert all(log.is_pending for log in r.collector.logs.values())
    assert per < 1024, per
    # they are still told as attempts nobody answered, one fetch each, citing their SYN
    fetches = r.finish()
    assert len(fetches) == n
    assert all(f.connections[0].outcome == "unanswered" for f in fetches)
    assert sorted(f.connections[0].syn_frames for f in fetches) == [(i + 1,) for i in range(n)]


@pytest.mark.parametrize("name", ["refused", "silent_host", "syn_loss", "icmp_unreachable", "icmp_prohibited",
                                  "two_servers"])
def test_attempts_kept_compact_tell_the_same_fetches(crafted, name):
    path, _f = crafted[name]
    frames = read(path)
    compact, pending = run(frames)
    full, none = run(frames, compact=False)
    assert pending >= 1 and none == 0
    assert compact == full


def test_refused_and_unanswered_steps_cite_the_story_frames(crafted):
    """The steps as the crafted stories write them (frame numbers counted by the script that wrote them)."""
    path, f = crafted["refused"]
    (fetch,) = run(read(path))[0]
    assert [(s["kind"], s["frames"]) for s in fetch["steps"]][-2:] == [("tcp.handshake.1", [f["syn"]]),
                                                                       ("tcp.refused", [f["rst"]])]
    path, f = crafted["silent_host"]
    fetch = next(x for x in run(read(path))[0] if x["connections"])
    syns = f["syns"]
    assert [c["outcome"] for c in fetch["connections"]] == ["unanswered"]
    cited = [(s["kind"], s["frames"]) for s in fetch["steps"] if s["layer"] == "tcp"]
    assert cited[0] == ("tcp.handshake.1", [syns[0]])
    assert [fr[0] for kind, fr in cited if kind == "tcp.syn.retransmission"] == syns[1:]


@pytest.mark.parametrize("name", ["lab_refused_connection_rst.pcapng", "lab_silent_host_syn_timeout.pcapng",
                                  "lab_syn_loss_rto_doubling.pcapng", "lab_page_fetch.pcapng"])
def test_recorded_attempts_tell_the_same_fetches(name):
    frames = read(CAPTURES / name)
    compact, pending = run(frames)
    assert pending >= 1
    assert compact == run(frames, compact=False)[0]


def test_a_syn_flood_beside_a_page_fetch_changes_nothing(crafted):
    """Unanswered SYNs of another client during a page fetch, every fifth refused by a RST 5 ms later: the
    same fetches as with full connections."""
    path, _f = crafted["two_pages"]
    page = read(path)
    flood = syn_frames(300, t0=page[0].ts_ns + 1, refuse_every=5)
    frames = sorted(page + flood, key=lambda fr: fr.ts_ns)
    frames = [Frame(i + 1, fr.ts_ns, fr.origlen, fr.iface, fr.linktype, fr.data) for i, fr in enumerate(frames)]
    compact, pending = run(frames)
    assert pending >= 300
    assert sum(c["outcome"] == "refused" for f in compact for c in f["connections"]) == 60
    assert compact == run(frames, compact=False)[0]


def dns_message(ident: int, name: str, response: bool) -> bytes:
    """A DNS query for the A record of ``name``, or its answer (10.9.0.1, TTL 60 s), as raw bytes."""
    import struct

    from fuzz.adversarial import _dns_name

    head = struct.pack("!HHHHHH", ident, 0x8180 if response else 0x0100, 1, 1 if response else 0, 0, 0)
    rr = b"\xc0\x0c\0\1\0\1\0\0\0\x3c\0\4\x0a\x09\x00\x01" if response else b""
    return head + _dns_name(name) + b"\0\1\0\1" + rr


def lookups_every_second(n: int) -> list[Frame]:
    """A client looking a new name up every second for ``n`` s, each from its own source port (a new UDP
    conversation each), answered 2 ms later; query 10 (frame 21) is sent again 0.5 s later (frame 22), then
    answered."""
    from fuzz.adversarial import udp

    out = []
    for i in range(n):
        t, port, name = 1_700_000_000 * 10**9 + i * 10**9, 20000 + i, f"n{i}.test"
        sends = [t, t + 5 * 10**8] if i == 10 else [t]
        for ts in sends:
            out.append((ts, eth(ipv4("10.0.0.7", "10.0.0.53", 17, udp("10.0.0.7", "10.0.0.53", port, 53,
                                                                       dns_message(i, name, False))))))
        out.append((sends[-1] + 2_000_000, eth(ipv4("10.0.0.53", "10.0.0.7", 17, udp("10.0.0.53", "10.0.0.7", 53,
                                                                                      port, dns_message(i, name, True))))))
    out.sort(key=lambda x: x[0])
    return [Frame(i + 1, ts, len(data), None, 1, data) for i, (ts, data) in enumerate(out)]


def test_dns_and_udp_state_are_bounded_by_packet_time():
    """700 s of lookups: the UDP conversations, the DNS pairing index and the DNS times the run keeps are those of
    the last few minutes (apps/dns_tx.py and timeline/collect.py docstrings), not of the file; the fetches are
    those of a run whose UDP table keeps every conversation."""
    from analyzer.flows.udp import UdpTable

    frames = lookups_every_second(700)
    r = TimelineRun()
    got = []
    for frame in frames:
        got += r.feed(frame)
    c = r.collector
    assert len(c.pipe.udp.flows) <= 330                 # 300 s idle + a 30 s sweep, not 700
    assert len(c.tx.dns._last) <= 41                     # answered: 30 s + a 10 s sweep
    assert c.dns_times == {22: frames[21].ts_ns}         # only the resent query
    got += r.finish()
    full = TimelineRun()
    full.collector.pipe.udp = UdpTable()
    want = []
    for frame in frames:
        want += full.feed(frame)
    want += full.finish()
    udp = full.collector.pipe.udp
    assert len(udp.flows) + len(udp.compact) == 700     # every one kept (the idle ones compact)
    assert [f.as_dict() for f in sorted(got, key=_index)] == [f.as_dict() for f in sorted(want, key=_index)]
    lk = [x for f in got for x in f.as_dict()["lookups"] if x.get("query_frame") == 21]
    assert lk and lk[0]["retransmissions"] == [22]


def _index(fetch) -> int:
    return fetch.index
