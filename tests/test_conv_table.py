"""The conversations table's lines from the compiled helper (analyzer.columnar._speedups.table_line) are the
lines the Python formatter writes (report/conversations.py, the fallback): on the rows of real captures and
synthetic traffic, and on random rows made to hit each formatting rule -- sizes on either side of 10 kB / 10 MB /
10 GB, widths of long IPv6 endpoints and big stream numbers, guessed originators, missing iRTT / closer /
TIME_WAIT, empty and odd histories, negative relative times; rows it must leave to Python (text that is not
printable ASCII, values of other types, ints beyond 64 bits) give None and come out the same."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.columnar.rows import connection_rows
from analyzer.report import conversations as report

line_c = report._compiled_line()
pytestmark = pytest.mark.skipif(line_c is None, reason="the compiled helper (with table_line) is not built")
REPO = Path(__file__).resolve().parents[1]


def _both(monkeypatch, rows, proto, start):
    """(Python lines, compiled lines, how many lines the compiled helper wrote)."""
    made = []

    def counting(*args):
        text = line_c(*args)
        made.append(text is not None)
        return text

    monkeypatch.setattr(report, "_compiled_line", lambda: None)
    want = list(report.table_lines(rows, proto, start, "tcp.port == 80"))
    monkeypatch.setattr(report, "_compiled_line", lambda: counting)
    got = list(report.table_lines(rows, proto, start, "tcp.port == 80"))
    return want, got, sum(made)


@pytest.mark.parametrize("name", ["lab_page_fetch.pcapng", "lab_ipv6_page_fetch.pcapng", "lab_dns_mix.pcapng",
                                  "lab_lossy_fetch_retransmissions.pcapng", "lab_refused_connection_rst.pcapng"])
def test_capture_rows(monkeypatch, name):
    with open_capture(REPO / "captures" / name) as reader:
        tcp, udp, start = connection_rows(reader, keys=report.TABLE_KEYS)
    for rows, proto in ((tcp, "tcp"), (udp, "udp")):
        want, got, made = _both(monkeypatch, rows, proto, start)
        assert got == want
        assert made == len(want) - 5            # every row line (5 header and footer lines)


def test_synthetic_rows(monkeypatch, tmp_path):
    import synthetic

    path = tmp_path / "s.pcap"
    synthetic.generate(path, 20_000, seed=3, clients=300, sites=400)
    with open_capture(path) as reader:
        tcp, udp, start = connection_rows(reader, keys=report.TABLE_KEYS)
    for rows, proto in ((tcp, "tcp"), (udp, "udp")):
        want, got, made = _both(monkeypatch, rows, proto, start)
        assert got == want and made > 100


def _row(rng: random.Random, proto: str) -> dict:
    sizes = [0, 1, 9999, 10_000, 12_345, 9_999_999, 10_000_000, 99_999_999_999, 100_000_000_000, 10**15]
    addrs = ["10.0.0.1", "192.168.100.200", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", "::1", "fe80::1%eth0"]
    return {
        "proto": proto, "stream": rng.choice([0, 7, 12345, 10**7]),
        "id.orig_h": rng.choice(addrs), "id.orig_p": rng.choice([0, 80, 65535]),
        "id.resp_h": rng.choice(addrs), "id.resp_p": rng.choice([53, 443, 50000]),
        "first_ts_ns": rng.choice([1_700_000_000_000_000_000, 1_700_000_000_123_456_789, 1_699_999_999_000_000_001]),
        "orig_pkts": rng.choice([0, 1, 123456789]), "resp_pkts": rng.choice([0, 3, 10**9]),
        "orig_frame_bytes": rng.choice(sizes), "resp_frame_bytes": rng.choice(sizes),
        "duration": rng.choice(["0.000000000", "1.234567890", "0.000050000", "123456.999950000", "-0.000000001",
                                "-0.000000000", "999999.999949999", "1000000.000049999", "12.5", "1e3"]),
        "orig_guessed": rng.choice([False, True]),
        "irtt": rng.choice([None, "0.000123456", "0.000000500", "1.999999500", "", "-0.000000000", "0.000000499"]),
        "conn_state": rng.choice(["SF", "RSTOS0", "OTH", "S0", ""]),
        "history": rng.choice(["ShADadFf", "", "D", "Dd", "ShADTdtafF^", "x" * 30, "ShA\x07d", "Shé"]),
        "closed_by": rng.choice([None, "orig", "resp", ""]), "time_wait": rng.choice([None, "orig", "both", ""]),
    }


@pytest.mark.parametrize("seed", range(6))
def test_random_rows(monkeypatch, seed):
    rng = random.Random(seed)
    for proto in ("tcp", "udp"):
        rows = [_row(rng, proto) for _ in range(300)]
        # (a capture start after some rows' first time: negative relative starts)
        start = None if seed % 2 else 1_700_000_000_100_000_000
        want, got, made = _both(monkeypatch, rows, proto, start)
        assert got == want
        assert made > 100                       # most rows are the compiled helper's


@pytest.mark.parametrize("seed", range(4))
def test_times_written_from_their_nanoseconds(monkeypatch, seed):
    # the relative start, duration and iRTT are written from their integer nanoseconds where that gives the
    # float's text, else as the float: random times of every size, and those half way between two outputs
    rng = random.Random(100 + seed)
    rows = []
    for _ in range(400):
        row = _row(rng, "tcp")
        ns = [rng.randrange(10**k) for k in (3, 6, 9, 12, 15, 16)] + [rng.randrange(10**5) * 10**5 + 50_000,
                                                                      rng.randrange(10**9) * 1000 + 500]
        d, i = rng.choice(ns) * rng.choice((1, 1, 1, -1)), rng.choice(ns)
        row["duration"] = f"{'-' if d < 0 else ''}{abs(d) // 10**9}.{abs(d) % 10**9:09d}"
        row["irtt"] = f"{i // 10**9}.{i % 10**9:09d}"
        row["first_ts_ns"] = 1_700_000_000_000_000_000 + rng.choice(ns) * rng.choice((1, -1))
        row["history"] = "ShADadFf"           # (a history the compiled line takes)
        rows.append(row)
    want, got, made = _both(monkeypatch, rows, "tcp", 1_700_000_000_000_000_000)
    assert got == want and made == len(rows)


def test_rows_left_to_python(monkeypatch):
    """Rows the compiled line does not take come out the same (the Python formatter writes them)."""
    base = _row(random.Random(1), "tcp")
    odd = [dict(base, history="Sh\x1b[31m"), dict(base, **{"id.orig_h": "10.0.0.é"}), dict(base, orig_pkts=2**70),
           dict(base, closed_by=3), dict(base, stream=True)]
    for row in odd:
        text = line_c(tuple(map(row.get, report._LINE_KEYS)), {row["id.orig_h"]: "a:", row["id.resp_h"]: "b:"},
                      5, 21, 0, True)
        assert text is None, row
    want, got, _made = _both(monkeypatch, odd, "tcp", 0)
    assert got == want
