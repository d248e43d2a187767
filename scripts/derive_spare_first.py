"""Derive tests/fixtures/tls/tls13_chromium_spare_first.pcap from the recorded tls13_chromium_page.pcap: the same
page load with the browser's unused connection opened *before* the one that carries the requests.

    python scripts/derive_spare_first.py

In the recording, headless Chromium opens its second connection 9 ms after the first and closes it unused. A
browser also opens the unused one first: a preconnect its requests cannot take (Chromium keeps connections for
credentialed and anonymous requests apart), or the loser of two raced connections. The capture is made from real
bytes: every packet of the unused connection moves 10 ms earlier, so its SYN comes 0.8 ms before the other's,
and the packets are put in time order. Nothing else changes, so the key log still decrypts both. Needs scapy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from scapy.all import TCP, rdpcap, wrpcap

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "tls"
SOURCE, OUT = FIXTURES / "tls13_chromium_page.pcap", FIXTURES / "tls13_chromium_spare_first.pcap"
SHIFT_S = 0.010


def derive() -> None:
    packets = list(rdpcap(str(SOURCE)))
    client_ports = [p[TCP].sport for p in packets if TCP in p and p[TCP].flags == "S"]
    unused = client_ports[1]            # the second connection the browser opened: it carried nothing

    for p in packets:
        if TCP in p and unused in (p[TCP].sport, p[TCP].dport):
            p.time -= SHIFT_S
    packets.sort(key=lambda p: p.time)
    wrpcap(str(OUT), packets)
    shutil.copyfile(SOURCE.with_suffix(".keys"), OUT.with_suffix(".keys"))


if __name__ == "__main__":
    derive()
    print(f"{OUT.name}: {OUT.stat().st_size} bytes")
