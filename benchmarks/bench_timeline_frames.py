"""Where the timeline collector's time goes, by kind of frame (CPU per frame class, one process).

    python benchmarks/bench_timeline_frames.py /work/bench-out/synthetic_100000.pcap

The frames are read first, then fed one by one to a :class:`~analyzer.timeline.collect.Collector` with a listener
that keeps nothing (the per-frame side of ``timeline``: decoding, TCP tracking, reassembly, HTTP/DNS parsing, the
segment logs; no fetch is explained), the cyclic GC off; each feed is timed in CPU time (``time.thread_time_ns``:
the numbers hold on a loaded machine; ~0.5 us of its own per frame) and put in its class:

* ``non-tcp``: DNS over UDP, ARP, ICMP, anything not TCP;
* ``tcp-control``: a segment with SYN, FIN or RST;
* ``pure-ack``: no payload, no SYN/FIN/RST;
* ``body-counted`` / ``body-stored``: a data segment wholly inside an HTTP body of known length, counted
  (``HttpConversation.count_body``) or stored without a Data event (``HttpConversation.take_body``);
* ``data-parsed``: every other data segment (HTTP heads, the segment that ends a message, chunked bodies,
  anything the HTTP parser reads byte by byte; TLS, other protocols).

What the columnar idea of issue 12 could take off the per-frame Python is at most the ``pure-ack`` and ``body-*``
rows (their work is bookkeeping); ``data-parsed`` is the HTTP parser's. A benchmark, never run by the tests.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # run from a checkout without installing

import analyzer
from analyzer.apps.http.conversation import HttpConversation
from analyzer.timeline.collect import Collector

CLASSES = ("non-tcp", "tcp-control", "pure-ack", "body-counted", "body-stored", "data-parsed")


class _Quiet:
    """A listener that keeps nothing."""

    def connection(self, log) -> None:
        pass

    def lookup(self, trans) -> None:
        pass

    def neighbour(self, msg) -> None:
        pass

    def icmp(self, err) -> None:
        pass

    def finished(self, log) -> None:
        pass


def _tcp_shape(frame) -> tuple[int, int] | None:
    """(TCP flags, payload length) of an Ethernet/IPv4/IPv6 TCP frame without extension headers; else None."""
    d = frame.data
    if frame.linktype != 1 or len(d) < 54:
        return None
    et = d[12] << 8 | d[13]
    if et == 0x0800 and d[23] == 6:
        ihl = (d[14] & 0x0F) * 4
        t = 14 + ihl
        end = 14 + (d[16] << 8 | d[17])
    elif et == 0x86DD and d[20] == 6:
        t = 54
        end = 54 + (d[18] << 8 | d[19])
    else:
        return None
    if len(d) < t + 14:
        return None
    return d[t + 13], end - (t + ((d[t + 12] >> 4) * 4))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_timeline_frames", description=__doc__.splitlines()[0])
    parser.add_argument("file")
    args = parser.parse_args(argv)
    taken: list[str | None] = [None]
    count_body = HttpConversation.count_body
    take_body = getattr(HttpConversation, "take_body", None)     # (a tree before it: kept bodies are parsed)

    def counted(self, *a):
        got = count_body(self, *a)
        if got:
            taken[0] = "body-counted"
        return got

    def stored(self, *a):
        got = take_body(self, *a)
        if got:
            taken[0] = "body-stored"
        return got

    HttpConversation.count_body = counted
    if take_body is not None:
        HttpConversation.take_body = stored
    with analyzer.open(args.file).open() as reader:
        frames = list(reader)
    gc.disable()
    collector = Collector(_Quiet())
    spent = dict.fromkeys(CLASSES, 0)
    seen = dict.fromkeys(CLASSES, 0)
    clock = time.thread_time_ns
    cpu0 = time.process_time()
    for frame in frames:
        taken[0] = None
        t = clock()
        collector.feed(frame)
        t = clock() - t
        shape = _tcp_shape(frame)
        if shape is None:
            kind = "non-tcp"
        elif shape[0] & 0x07:
            kind = "tcp-control"
        elif shape[1] <= 0:
            kind = "pure-ack"
        else:
            kind = taken[0] or "data-parsed"
        spent[kind] += t
        seen[kind] += 1
    collector.finish()
    cpu = time.process_time() - cpu0
    total = sum(spent.values())
    print(f"{len(frames):,} frames, collector {cpu:.2f} s CPU ({total / 1e9:.2f} s of it timed feed by feed)")
    for kind in CLASSES:
        n = seen[kind]
        print(f"  {kind:13s} {n:9,} frames {spent[kind] / 1e9:7.3f} s {100 * spent[kind] / (total or 1):5.1f}% "
              f"{spent[kind] / (n or 1) / 1e3:7.2f} us/frame")
    return 0


if __name__ == "__main__":
    sys.exit(main())
