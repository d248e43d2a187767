"""UDP conversations counted as columns (analyzer.columnar.udp.UdpColumns, the rule in its docstring) against
the per-datagram table (analyzer.flows.UdpTable): the same conversations, stream numbers, directions and
summary rows, on datagrams made to hit each condition of the rule -- the originator guessed from the ports
(a reply first, ports on either side of 1024 and 49152, equal ranks), a datagram to its own endpoint (the flow
table's two keys are one), a conversation spanning batches, conversations first numbered by an ICMP error's
quoted datagram, datagrams taken one by one between batches -- and end to end, `conversations` rows of
captures made of such datagrams, small batches, an ICMP error making one batch go frame by frame: the rows
equal Pipeline.count's, and the columns did count them."""

from __future__ import annotations

import random
import struct

import numpy as np
import pytest
from capture_builders import pcap_file

from analyzer.capture import batches, open_capture
from analyzer.columnar import udp as udp_cols
from analyzer.columnar.rows import connection_rows
from analyzer.flows.udp import UdpTable
from analyzer.pipeline import Pipeline
from analyzer.report import conversations as report

ADDRS = ["10.0.0.1", "10.0.0.2", "192.0.2.53", "fe80::1", "2001:db8::7"]
PORTS = [53, 123, 1023, 1024, 5353, 40000, 49151, 49152, 60000]


def _datagrams(rng: random.Random, n: int) -> list[tuple]:
    """(ts, num, src, sport, dst, dport, payload_len, frame_len, count) in capture order."""
    ends = [(a, p) for a in ADDRS for p in rng.sample(PORTS, 4)]
    out = []
    ts = 1_700_000_000_000_000_000
    for num in range(1, n + 1):
        ts += rng.randrange(0, 3_000_000_000)
        s = rng.choice(ends)
        d = s if rng.random() < 0.05 else rng.choice(ends)         # now and then, to its own endpoint
        if rng.random() < 0.3 and out:
            prev = out[rng.randrange(len(out))]                       # a reply to an earlier datagram
            s, d = (prev[4], prev[5]), (prev[2], prev[3])
        pl = rng.randrange(0, 1400)
        out.append((ts, num, s[0], s[1], d[0], d[1], pl, pl + 42 + rng.randrange(3), rng.random() > 0.03))
    return out


def _by_table(grams: list[tuple]) -> tuple[list, list]:
    table = UdpTable()
    got = []
    for ts, num, s, sp, d, dp, pl, fl, count in grams:
        conv, direction = table.datagram(ts, num, s, sp, d, dp, pl, fl, count)
        got.append((conv.stream, direction))
    return table.summaries(), got


def _by_columns(grams: list[tuple], rng: random.Random, one_by_one: float) -> tuple[list, list, int]:
    """The datagrams in random batches through UdpColumns.add, the quoted ones (count=False) and a fraction
    ``one_by_one`` of the rest through UdpColumns.datagram; returns the rows, the datagram() answers and how
    many datagrams add() counted (datagram()'s answers as (position, stream, direction))."""
    table = udp_cols.UdpColumns()
    got = []
    added = 0
    pending: list[tuple] = []

    def flush() -> None:
        nonlocal added
        if not pending:
            return
        cols = list(zip(*pending, strict=True))
        ids = table.ids(sorted(set(cols[2]) | set(cols[4])))
        pos = {a: i for i, a in enumerate(sorted(set(cols[2]) | set(cols[4])))}
        src = ids[np.array([pos[a] for a in cols[2]])]
        dst = ids[np.array([pos[a] for a in cols[4]])]
        table.add(np.array(cols[0], dtype=np.int64), np.array(cols[1], dtype=np.int64), src,
                  np.array(cols[3], dtype=np.uint16), dst, np.array(cols[5], dtype=np.uint16),
                  np.array(cols[6], dtype=np.int64), np.array(cols[7], dtype=np.int64))
        added += len(pending)
        pending.clear()

    for i, g in enumerate(grams):
        if not g[8] or rng.random() < one_by_one:
            flush()
            conv, direction = table.datagram(*g)
            got.append((i, conv.stream, direction))
        else:
            pending.append(g)
        if rng.random() < 0.01:
            flush()                       # a batch ends
    flush()
    return table.summaries(), got, added


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("index", ["arrays", "pending merged", "widened", "values in stretches", "spilled"])
def test_columns_equal_the_table(seed, index, monkeypatch):
    # the index as sorted arrays (datagram()'s keys merged at the next batch), merged after every 3 keys
    # datagram() adds, or made one dict of wide keys when the 4th address comes; the rows' values made 7
    # conversations at a time; all but the newest 3 rows kept in the file (a conversation reached again
    # read, counted and written back there)
    if index == "values in stretches":
        monkeypatch.setattr(udp_cols, "_VALUES_ROWS", 7)
    if index == "spilled":
        monkeypatch.setattr(udp_cols.UdpColumns, "KEEP_ROWS", 3)
        monkeypatch.setattr(udp_cols, "_VALUES_ROWS", 5)
    if index == "pending merged":
        monkeypatch.setattr(udp_cols.UdpColumns, "PENDING_MAX", 3)
    if index == "widened":
        monkeypatch.setattr(udp_cols.UdpColumns, "NARROW_IDS", 3)
    rng = random.Random(seed)
    grams = _datagrams(rng, 3000)
    rows, answers = _by_table(grams)
    for one_by_one in (0.0, 0.2):
        got_rows, got_answers, added = _by_columns(grams, random.Random(seed + 100), one_by_one)
        assert added > 2000                                   # the columns counted most of them
        assert len(got_rows) == len(rows)
        for a, b in zip(rows, got_rows, strict=True):
            assert b == a, f"stream {a['stream']} differs"
        assert got_answers and [(s, d) for _i, s, d in got_answers] == [answers[i] for i, _s, _d in got_answers]


def test_each_rule_condition():
    """One conversation per condition, each checked against the table row by row (the direction and the
    guessed originator are what the rule decides)."""
    t = 1_700_000_000_000_000_000
    grams = [
        (t + 1, 1, "10.0.0.1", 40000, "10.0.0.2", 53, 30, 72, True),       # query first
        (t + 2, 2, "10.0.0.2", 53, "10.0.0.1", 40000, 90, 132, True),
        (t + 3, 3, "10.0.0.2", 53, "10.0.0.3", 40001, 90, 132, True),      # a reply first: guessed
        (t + 4, 4, "10.0.0.3", 1024, "10.0.0.4", 1023, 1, 43, True),       # rank 1 -> rank 2: not flipped
        (t + 5, 5, "10.0.0.4", 1023, "10.0.0.3", 1025, 1, 43, True),       # rank 2 -> rank 1: flipped
        (t + 6, 6, "10.0.0.5", 49151, "10.0.0.6", 49152, 1, 43, True),     # rank 1 -> rank 0: flipped
        (t + 7, 7, "10.0.0.6", 60000, "10.0.0.5", 60001, 1, 43, True),     # equal ranks: the sender
        (t + 8, 8, "10.0.0.7", 5000, "10.0.0.7", 5000, 5, 47, True),       # to itself
        (t + 9, 9, "10.0.0.7", 5000, "10.0.0.7", 5000, 6, 48, True),       # to itself again: responder
        (t + 10, 10, "10.0.0.8", 7, "10.0.0.9", 8, 0, 42, False),          # quoted in an ICMP error
        (t + 11, 11, "10.0.0.9", 8, "10.0.0.8", 7, 3, 45, True),
        (t + 12, 12, "10.0.0.1", 40000, "10.0.0.2", 53, 31, 73, True),     # the first one again
    ]
    rows, _ = _by_table(grams)
    for one_by_one in (0.0, 1.0):
        got, _, _ = _by_columns(grams, random.Random(1), one_by_one)
        assert got == rows
    by_stream = {r["stream"]: r for r in rows}
    assert by_stream[1]["orig_guessed"] and by_stream[1]["id.orig_p"] == 40001
    assert [by_stream[6]["orig_pkts"], by_stream[6]["resp_pkts"]] == [1, 1]      # to itself


def _udp_frame(src: str, sport: int, dst: str, dport: int, size: int) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + size, 0) + b"q" * size
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    return b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + ip + udp


def _icmp_unreachable(quoted: bytes) -> bytes:
    """An ICMP port unreachable from the quoted datagram's destination, quoting its IP header and 8 bytes."""
    inner = quoted[14:14 + 28]
    icmp = struct.pack("!BBHI", 3, 3, 0, 0) + inner
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0, 0x4000, 64, 1, 0, inner[16:20], inner[12:16])
    return quoted[:14] + ip + icmp


@pytest.mark.parametrize("keep_rows", [4096, 2])
def test_conversations_rows_from_columns(tmp_path, monkeypatch, keep_rows):
    """End to end: the rows connection_rows gives (the conversations command's) equal Pipeline.count's on a
    capture of datagrams in small batches, one batch going frame by frame (an ICMP error quoting a datagram
    of a conversation not seen yet), and the columns counted the datagrams; with the table's rows but the
    newest 2 in the file too (the table and its widths as from the rows)."""
    rng = random.Random(5)
    hosts = ["10.0.0.1", "10.0.0.2", "192.0.2.53", "10.0.0.7"]
    records = []
    t = 1_700_000_000
    for i in range(600):
        s, d = rng.choice(hosts), rng.choice(hosts)
        sp = rng.choice([53, 1023, 1024, 40000, 49152])
        dp = sp if s == d and rng.random() < 0.5 else rng.choice([53, 1023, 1024, 40001, 49152])
        frame = _udp_frame(s, sp, d, dp, rng.randrange(0, 300))
        records.append((t + i, 0, frame))
        if i == 300:
            records.append((t + i, 1, _icmp_unreachable(_udp_frame("10.9.9.9", 4444, "10.0.0.1", 5555, 4))))
    path = tmp_path / "udp.pcap"
    path.write_bytes(pcap_file(records))
    pipe = Pipeline(analysis=False, dns_over_tcp=False)
    with open_capture(path) as reader:
        pipe.count(reader)
    expected = pipe.udp.summaries()
    assert any(r["orig_guessed"] for r in expected) and any(r["id.orig_h"] == r["id.resp_h"] for r in expected)

    calls = {"add": 0, "datagram": 0}
    add, datagram = udp_cols.UdpColumns.add, udp_cols.UdpColumns.datagram

    def counting_add(self, ts, *rest):
        calls["add"] += len(ts)
        return add(self, ts, *rest)

    def counting_datagram(self, *args, **kw):
        calls["datagram"] += 1
        return datagram(self, *args, **kw)

    monkeypatch.setattr(udp_cols.UdpColumns, "add", counting_add)
    monkeypatch.setattr(udp_cols.UdpColumns, "datagram", counting_datagram)
    monkeypatch.setattr(batches, "MAX_BATCH_FRAMES", 20)       # batches of 20 frames
    monkeypatch.setattr(udp_cols.UdpColumns, "KEEP_ROWS", keep_rows)
    with open_capture(path) as reader:
        _tcp, udp, first = connection_rows(reader, details=True)
    got = [dict(r) for r in udp]
    assert got == expected
    assert [dict(r) for r in udp] == expected             # a second read gives the same
    assert calls["add"] > 500 and calls["datagram"] > 0
    if keep_rows == 2:
        assert udp._table._base > len(expected) - 10      # (the file held them)
    ends: dict = {}
    for r in expected:
        for addr, port in ((r["id.orig_h"], r["id.orig_p"]), (r["id.resp_h"], r["id.resp_p"])):
            ends[addr] = max(ends.get(addr, 0), len(str(port)))
    assert udp.table_widths("udp") == (ends, len(str(len(expected) - 1)), min(r["first_ts_ns"] for r in expected))
    want = list(report.table_lines(expected, "udp", first, None))
    assert list(report.table_lines(udp, "udp", first, None)) == want
