"""``python -m analyzer.lab.ping ADDR``: ICMP echo requests and their replies, for the lab's NAT lesson (a NAT
maps an echo's identifier the way it maps a port). Raw socket (root, inside the lab's client namespace)."""

from __future__ import annotations

import argparse
import os
import select
import socket
import struct
import sys
import time


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit words."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int, payload: bytes) -> bytes:
    header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, checksum(header + payload), ident, seq) + payload


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("addr")
    p.add_argument("--count", type=int, default=2)
    p.add_argument("--timeout", type=float, default=2.0)
    args = p.parse_args(argv)
    ident = os.getpid() & 0xFFFF
    got = 0
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
        for seq in range(1, args.count + 1):
            payload = struct.pack("!d", time.time()) + bytes(range(48))
            sent = time.monotonic()
            s.sendto(echo_request(ident, seq, payload), (args.addr, 0))
            deadline, replied = sent + args.timeout, False
            while (left := deadline - time.monotonic()) > 0:
                if not select.select([s], [], [], left)[0]:
                    break
                data, (src, _port) = s.recvfrom(2048)
                ihl = (data[0] & 0x0F) * 4
                typ, _code, _ck, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                if typ == 0 and rid == ident and rseq == seq and src == args.addr:
                    got += 1
                    replied = True
                    print(f"ping {args.addr}: echo reply id {ident:#06x} seq {seq} ttl {data[8]} "
                          f"time {(time.monotonic() - sent) * 1000:.2f} ms")
                    break
            if not replied:
                print(f"ping {args.addr}: no reply to seq {seq}")
            if seq < args.count:
                time.sleep(0.2)
    return 0 if got == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
