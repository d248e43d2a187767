"""The initial round-trip time of a handshake whose ACK carries the SYN's timestamp (a capture clock coarser
than the round trip: millisecond pcaps, a coarse pcapng if_tsresol). tshark leaves tcp.analysis.initial_rtt
unmeasured there and measures it at the first later ACK stamped apart from the SYN (which also sets the
out-of-order threshold); the analyzer printed 0.000000001 (a "never zero" sentinel) on every path.

The capture is crafted (scapy, tests/fixtures/tcp/craft.py): four connections, one after the other --

* ``a``: SYN, SYN-ACK and ACK at one time, then a GET 3 ms later and an answer (the repro of the board's
  h-fuzz2-zero-rtt.pcap); an ordinary connection otherwise, which the columnar core would keep as a whole
  record;
* ``b``: the handshake, the server's greeting and the client's first 20 data segments at one time, 20 more
  1 ms apart (steady runs: the columnar core's batched pass measures);
* ``c``: every segment at one time (tshark never measures);
* ``d``: an ordinary connection, 1 ms between segments (measured at the handshake ACK).

Expected values are tshark's fields; each path is checked: ``read`` (per packet, compiled and pure),
``conversations`` (the columnar core: whole records, the batched runs; compiled and numpy) and the timeline's
handshake step.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.tcp import craft
from tcp_oracle import TSHARK, differences, tshark_rows

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark not installed")

MODES = {"compiled": {}, "pure": {"ANALYZER_PURE_PYTHON": "1"}}


def _capture(folder: Path) -> Path:
    packets: list = []
    t0 = 1_700_000_000.0
    a = craft.Talk(cli=("10.0.0.1", 40001), t0=t0, packets=packets)
    a.send(craft.C, "S", dt=0)
    a.send(craft.S, "SA", dt=0)
    a.send(craft.C, "A", dt=0)
    a.send(craft.C, "PA", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", dt=0.003)
    a.send(craft.S, "PA", b"HTTP/1.1 204 No\r\n\r\n", dt=0.001)
    a.send(craft.C, "A")
    a.send(craft.C, "FA")
    a.send(craft.S, "FA")
    a.send(craft.C, "A")
    b = craft.Talk(cli=("10.0.0.1", 40002), t0=t0 + 1, packets=packets)
    b.send(craft.C, "S", dt=0)
    b.send(craft.S, "SA", dt=0)
    b.send(craft.C, "A", dt=0)
    b.send(craft.S, "PA", b"220 ready\r\n", dt=0)
    for i in range(40):
        b.send(craft.C, "PA", b"x" * 100, dt=0 if i < 20 else 0.001)
    b.send(craft.S, "A")
    b.send(craft.C, "FA")
    b.send(craft.S, "FA")
    b.send(craft.C, "A")
    c = craft.Talk(cli=("10.0.0.1", 40003), t0=t0 + 2, packets=packets)
    c.send(craft.C, "S", dt=0)
    c.send(craft.S, "SA", dt=0)
    c.send(craft.C, "A", dt=0)
    c.send(craft.C, "PA", b"GET /c HTTP/1.1\r\nHost: c\r\n\r\n", dt=0)
    c.send(craft.S, "PA", b"HTTP/1.1 204 No\r\n\r\n", dt=0)
    for flags, who in (("A", craft.C), ("FA", craft.C), ("FA", craft.S), ("A", craft.C)):
        c.send(who, flags, dt=0)
    d = craft.Talk(cli=("10.0.0.1", 40004), t0=t0 + 3, packets=packets)
    d.handshake()
    d.send(craft.C, "PA", b"GET /d HTTP/1.1\r\nHost: d\r\n\r\n")
    d.send(craft.S, "PA", b"HTTP/1.1 204 No\r\n\r\n")
    for flags, who in (("A", craft.C), ("FA", craft.C), ("FA", craft.S), ("A", craft.C)):
        d.send(who, flags)
    path = folder / "zero_rtt.pcap"
    craft.wrpcap(str(path), packets)
    return path


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> Path:
    return _capture(tmp_path_factory.mktemp("zero_rtt"))


@pytest.fixture(scope="module")
def theirs(capture) -> dict[int, dict[str, str]]:
    rows = tshark_rows(capture, ["tcp.stream", "tcp.analysis.initial_rtt", "frame.time_epoch"])
    # the construction: a, b and c measure nothing at their handshake ACK (frame 3 of each)
    return rows


def _run(args: list[str], mode: str) -> str:
    env = dict(os.environ, **MODES[mode])
    out = subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, text=True, env=env,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def _stream_irtt(theirs) -> dict[int, str | None]:
    """Per TCP stream, tshark's initial_rtt on its last frame showing one (None: never measured)."""
    out: dict[int, str | None] = {}
    for num in sorted(theirs):
        row = theirs[num]
        s = int(row["tcp.stream"])
        out.setdefault(s, None)
        if "tcp.analysis.initial_rtt" in row:
            out[s] = row["tcp.analysis.initial_rtt"]
    return out


def test_the_construction_is_what_tshark_sees(theirs):
    irtt = _stream_irtt(theirs)
    assert irtt == {0: "0.003000000", 1: "0.001000000", 2: None, 3: "0.002000000"}


def test_per_packet_analysis_matches_tshark(capture):
    for mode, env in MODES.items():
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            assert differences(capture) == [], mode
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


@pytest.mark.parametrize("mode", sorted(MODES))
def test_read_fields_match_tshark(capture, theirs, mode):
    out = _run(["read", "-T", "fields", "-e", "frame.number", "-e", "tcp.analysis.initial_rtt", str(capture)],
               mode)
    ours = {int(n): v for n, v in (line.split("\t") for line in out.splitlines())}
    assert ours == {n: row.get("tcp.analysis.initial_rtt", "") for n, row in theirs.items()}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_conversations_irtt_is_tsharks(capture, theirs, mode):
    want = {s: (float(v) if v is not None else None) for s, v in _stream_irtt(theirs).items()}
    rows = [json.loads(line) for line in _run(["conversations", "--json", str(capture)], mode).splitlines()]
    got = {r["stream"]: r["irtt"] for r in rows if r["proto"] == "tcp"}
    assert got == want
    table = _run(["conversations", str(capture)], mode)
    lines = {int(line.split()[0]): line for line in table.splitlines() if line[:1].isdigit()}
    for s, v in want.items():
        assert lines[s].split()[-3] == (f"{v:.6f}" if v is not None else "-"), lines[s]


def _handshake_steps(capture, lang="en") -> dict[int, dict]:
    doc = json.loads(_run(["timeline", "--json", "--lang", lang, str(capture)], "compiled"))
    out = {}
    fetches = doc["fetches"] if isinstance(doc, dict) else doc
    for fetch in fetches:
        for step in fetch["steps"]:
            if step["kind"].startswith("tcp.handshake.3"):
                out[step["frames"][0]] = step
    return out


def test_timeline_tells_where_the_irtt_is_measured(capture, theirs):
    firsts: dict[int, int] = {}
    for num in sorted(theirs):
        row = theirs[num]
        if "tcp.analysis.initial_rtt" in row:
            firsts.setdefault(int(row["tcp.stream"]), num)
    steps = _handshake_steps(capture)
    # connection a: the ACK (frame 3) measures nothing; tshark's first initial_rtt is at frame 4, 3 ms
    a = steps[3]
    assert a["kind"] == "tcp.handshake.3.same_time"
    assert a["facts"]["irtt_frame"] == firsts[0] == 4
    assert a["facts"]["irtt_ms"] == pytest.approx(float(theirs[4]["tcp.analysis.initial_rtt"]) * 1000)
    assert "frame 4: 3.000 ms" in " ".join(a["text"].split())
    # connection c: never measured
    c_ack = min(n for n, row in theirs.items() if row["tcp.stream"] == "2") + 2
    c = steps[c_ack]
    assert c["kind"] == "tcp.handshake.3.same_time.none"
    assert c["facts"]["irtt_ms"] is None
    # connection d: measured at its handshake ACK, as always
    d_ack = min(n for n, row in theirs.items() if row["tcp.stream"] == "3") + 2
    assert steps[d_ack]["kind"] == "tcp.handshake.3"
    assert firsts[3] == d_ack
    assert "这里测不出初始往返时间" in _handshake_steps(capture, "zh")[3]["text"]


def test_a_handshake_without_its_syn_is_told_without_one(tmp_path):
    """Found by fuzzing the timeline (fuzz/regressions/timeline/handshake-ack-without-a-syn): a SYN-ACK and the
    ACK at one time, the SYN not in the capture. There is no SYN to measure from (tshark: no initial_rtt); the
    step is the ordinary one and the timeline does not fail."""
    packets: list = []
    t = craft.Talk(cli=("10.0.0.1", 40005), t0=1_700_000_000.0, packets=packets)
    t.next[craft.C] += 1                    # the SYN's sequence number, as if it had been sent
    t.send(craft.S, "SA", dt=0)
    t.send(craft.C, "A", dt=0)
    t.send(craft.C, "PA", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", dt=0.003)
    t.send(craft.S, "PA", b"HTTP/1.1 204 No\r\n\r\n", dt=0.001)
    path = tmp_path / "no_syn.pcap"
    craft.wrpcap(str(path), packets)
    theirs = tshark_rows(path, ["tcp.analysis.initial_rtt"])
    assert not any(theirs.values())
    steps = _handshake_steps(path)
    assert [s["kind"] for s in steps.values()] == ["tcp.handshake.3"]


def _retried_capture(folder: Path, later: bool) -> Path:
    """A SYN, the same SYN resent 1 s later, then the SYN-ACK and the ACK stamped as the resent SYN (a coarse
    clock); with ``later``, a GET 3 ms later and its answer (the first ACK stamped apart from the SYN)."""
    packets: list = []
    t = craft.Talk(cli=("10.0.0.1", 40006), t0=1_700_000_000.0, packets=packets)
    t.send(craft.C, "S", dt=0, keep=True)
    t.send(craft.C, "S", dt=1.0)
    t.send(craft.S, "SA", dt=0)
    t.send(craft.C, "A", dt=0)
    if later:
        t.send(craft.C, "PA", b"GET / HTTP/1.1\r\nHost: e\r\n\r\n", dt=0.003)
        t.send(craft.S, "PA", b"HTTP/1.1 204 No\r\n\r\n", dt=0.001)
        t.send(craft.C, "A")
    path = folder / f"retried_same_time_{int(later)}.pcap"
    craft.wrpcap(str(path), packets)
    return path


@pytest.mark.parametrize("later", [True, False], ids=["measured_later", "never_measured"])
def test_a_resent_syn_whose_ack_shares_its_stamp_is_all_waiting(tmp_path, later):
    """The resent-SYN handshake told "connect = waits + iRTT" with Wireshark's iRTT, which a coarse clock moves to
    a later ACK (or leaves out): the equation did not add up. Now: all of the connect time is the wait for the
    retransmission, and the iRTT is said to be measured where tshark measures it, or not at all."""
    capture = _retried_capture(tmp_path, later)
    theirs = tshark_rows(capture, ["tcp.stream", "tcp.analysis.initial_rtt", "frame.time_epoch",
                                   "tcp.analysis.retransmission"])
    assert "tcp.analysis.retransmission" in theirs[2]      # the second SYN is a retransmission to tshark too
    measured = [n for n in sorted(theirs) if "tcp.analysis.initial_rtt" in theirs[n]]
    step = _handshake_steps(capture)[4]
    connect = (float(theirs[4]["frame.time_epoch"]) - float(theirs[1]["frame.time_epoch"])) * 1000
    assert step["facts"]["connect_ms"] == pytest.approx(connect)
    assert step["facts"]["waits_ms"] == pytest.approx(connect)      # 0 left for the round trip
    if later:
        assert step["kind"] == "tcp.handshake.3.retried.same_time"
        assert step["facts"]["irtt_frame"] == measured[0] == 5
        assert step["facts"]["irtt_ms"] == pytest.approx(float(theirs[5]["tcp.analysis.initial_rtt"]) * 1000)
        assert "frame 5: 3.000 ms" in " ".join(step["text"].split())
    else:
        assert measured == []
        assert step["kind"] == "tcp.handshake.3.retried.same_time.none"
        assert step["facts"]["irtt_ms"] is None
    assert "all of it spent waiting to retransmit the SYN (2 attempts in all)" in " ".join(step["text"].split())
