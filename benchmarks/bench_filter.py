"""Per-packet cost of compiled display filters (``analyzer.filter``), and what compiling costs once.

    python benchmarks/bench_filter.py                       # the synthetic capture's first 100k packets
    python benchmarks/bench_filter.py --file captures/http_page_fetch_loopback.pcapng --packets 50000
    python benchmarks/bench_filter.py --filter 'tcp.port == 80 && ip.addr == 10.0.0.0/8'

The packets are decoded and analysed once (pipeline + HTTP/DNS stage, :func:`analyzer.filter.apply.analyzed`)
and kept in memory, so only the filters are timed. For each filter: the compile time (once per command
run), then the best of ``--repeat`` passes over all packets as ns/packet, with the flat field dict already
built (what ``read --json`` builds anyway) and with it dropped before each packet (``pkt.fields`` rebuilt on
first use: the cost a command pays when nothing else needed the dict). The decode+analysis cost per packet is
printed beside them for scale. A benchmark, never run by the tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from itertools import islice
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from analyzer.capture import open_capture
from analyzer.filter import compile_filter
from analyzer.filter.apply import analyzed

DEFAULT_FILE = HERE / "out" / "synthetic_250000.pcap"
FILTERS = [
    "tcp",
    "tcp.port == 80",
    "tcp.flags.syn == 1 && tcp.flags.ack == 0",
    "tcp.flags == 0x12",
    "ip.addr == 10.0.0.0/8",
    "ip.src == 10.0.0.1",
    "eth.addr == 00:11:22:33:44:55",
    "tcp.port in {80, 443, 8080}",
    'dns.qry.name contains "example"',
    'dns.qry.name matches "^www\\\\."',
    'http.request.method == "GET" && http.host contains "example"',
    "tcp.analysis.retransmission || tcp.analysis.duplicate_ack",
    "!(arp or dns or icmp) and ip.ttl > 64 and frame.len < 1000",
    'frame contains "GET"',
]


def load(path: Path, limit: int) -> tuple[list, float]:
    start = time.perf_counter()
    with open_capture(path) as reader:
        packets = list(islice(analyzed(reader), limit))
    return packets, time.perf_counter() - start


def time_filter(keep, packets: list, repeat: int, cold: bool) -> tuple[float, int]:
    best = float("inf")
    hits = 0
    for _ in range(repeat):
        if cold:
            start = time.perf_counter()
            hits = 0
            for pkt in packets:
                pkt._flat = None
                if keep(pkt):
                    hits += 1
            elapsed = time.perf_counter() - start
            # the loop's own cost (clearing the cache) is not the filter's
            start = time.perf_counter()
            for pkt in packets:
                pkt._flat = None
            elapsed -= time.perf_counter() - start
        else:
            for pkt in packets:
                _ = pkt.fields
            start = time.perf_counter()
            hits = sum(1 for pkt in packets if keep(pkt))
            elapsed = time.perf_counter() - start
        best = min(best, elapsed)
    return best, hits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="capture to read (default: %(default)s)")
    parser.add_argument("--packets", type=int, default=100_000, help="packets to keep in memory")
    parser.add_argument("--repeat", type=int, default=3, help="passes per filter; the fastest is kept")
    parser.add_argument("--filter", action="append", help="time this filter instead (repeatable)")
    args = parser.parse_args(argv)
    if not args.file.exists():
        print(f"bench_filter: {args.file} is missing (python benchmarks/gen_synthetic.py --packets 250000 "
              f"writes the default one)", file=sys.stderr)
        return 2
    packets, load_s = load(args.file, args.packets)
    n = len(packets)
    if not n:
        print("bench_filter: no packets", file=sys.stderr)
        return 2
    start = time.perf_counter()
    for pkt in packets:
        pkt._flat = None
        _ = pkt.fields
    flatten_ns = (time.perf_counter() - start) / n * 1e9
    print(f"{args.file}: {n:,} packets; decode + analysis {load_s / n * 1e6:,.1f} us/packet, "
          f"building pkt.fields {flatten_ns:,.0f} ns/packet")
    print(f"{'filter':<62} {'compile':>9} {'warm ns/pkt':>12} {'cold ns/pkt':>12} {'matches':>9}")
    for text in args.filter or FILTERS:
        compile_filter.cache_clear()
        start = time.perf_counter()
        keep = compile_filter(text)
        compile_us = (time.perf_counter() - start) * 1e6
        warm, hits = time_filter(keep, packets, args.repeat, cold=False)
        cold, _ = time_filter(keep, packets, args.repeat, cold=True)
        shown = text if len(text) <= 62 else text[:59] + "..."
        print(f"{shown:<62} {compile_us:>7,.0f}us {warm / n * 1e9:>12,.0f} {cold / n * 1e9:>12,.0f} {hits:>9,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
