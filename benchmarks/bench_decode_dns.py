"""DNS message decoding speed, messages per second (moved here from the unit tests, issue 14: performance
numbers live in benchmarks, never in timed unit tests).

    python benchmarks/bench_decode_dns.py [--repeat 2000]

Every DNS message of captures/lab_dns_mix.pcapng is parsed ``--repeat`` times; the rate is printed per
message size class and in all.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analyzer.capture import open_capture
from analyzer.decode import decode
from analyzer.decode.dns import parse_message


def messages(path: Path) -> list[bytes]:
    out = []
    with open_capture(path) as reader:
        for frame in reader:
            pkt = decode(frame)
            udp, dns = pkt.layer("udp"), pkt.layer("dns")
            if udp is not None and dns is not None:
                out.append(bytes(frame.data[udp.offset + 8:]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    msgs = messages(REPO / "captures" / "lab_dns_mix.pcapng")
    if not msgs:
        print("no DNS message found", file=sys.stderr)
        return 2
    for label, group in (("queries (< 64 bytes)", [m for m in msgs if len(m) < 64]),
                         ("responses (>= 64 bytes)", [m for m in msgs if len(m) >= 64]), ("all", msgs)):
        if not group:
            continue
        start = time.perf_counter()
        for _ in range(args.repeat):
            for m in group:
                parse_message(m)
        rate = args.repeat * len(group) / (time.perf_counter() - start)
        print(f"parse_message {label}: {len(group)} messages, {rate:,.0f} messages/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
