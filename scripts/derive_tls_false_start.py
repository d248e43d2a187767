"""Derive tests/fixtures/tls/tls12_false_start.pcap from the recorded tls12_gcm.pcap: the same TLS 1.2 fetch as a
client doing TLS False Start (RFC 7918) would send it, with its request sent right after its own Finished,
before the server's ChangeCipherSpec and Finished arrive.

    python scripts/derive_tls_false_start.py

No client on this machine does False Start (OpenSSL and curl do not; NSS and Chrome did), so the capture is made
from real bytes: the client's first application-data segment (the GET) moves to just after its Finished (0.03
ms later), its TCP acknowledgment is what the client had received by then (the ServerHelloDone), and the
server's ChangeCipherSpec + Finished follow it. Every record keeps its bytes and its place in its own
direction, so the key log still decrypts both (tshark reads the GET in the moved frame). Needs scapy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from scapy.all import TCP, rdpcap, wrpcap

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "tls"
SOURCE, OUT = FIXTURES / "tls12_gcm.pcap", FIXTURES / "tls12_false_start.pcap"


def derive() -> None:
    packets = list(rdpcap(str(SOURCE)))
    client = packets[0][TCP].sport

    def payload(p) -> bytes:
        return bytes(p[TCP].payload)

    # the client's Finished (a record of type 20, ChangeCipherSpec, in its segment), the server's CCS + Finished
    # after it, and the client's first application-data record (type 23)
    fin = next(i for i, p in enumerate(packets) if p[TCP].sport == client and payload(p)[:1] == b"\x16"
               and b"\x14\x03\x03\x00\x01\x01" in payload(p))
    server_fin = next(i for i in range(fin + 1, len(packets)) if packets[i][TCP].sport != client
                      and payload(packets[i])[:1] == b"\x14")
    get = next(i for i in range(server_fin + 1, len(packets)) if packets[i][TCP].sport == client
               and payload(packets[i])[:1] == b"\x17")
    moved = packets[get]
    moved[TCP].ack = packets[fin][TCP].ack          # what the client had received: up to the ServerHelloDone
    moved.time = packets[fin].time + 0.00003
    del moved[TCP].chksum
    if moved.haslayer("IP"):
        del moved["IP"].chksum
    order = packets[:fin + 1] + [moved] + packets[fin + 1:get] + packets[get + 1:]
    wrpcap(str(OUT), order)
    shutil.copyfile(SOURCE.with_suffix(".keys"), OUT.with_suffix(".keys"))


if __name__ == "__main__":
    derive()
    print(f"{OUT.name}: {OUT.stat().st_size} bytes")
