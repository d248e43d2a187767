"""In a fetch with several connections, every TCP and TLS step of all but the first says which connection it is
about (issue 10, item 4: a student must be able to tell interleaved connections apart).

A lossy HTTP/1.0 fetch (one connection per request) told "Step 1/3 of the three-way handshake: the client
sends SYN from port 57310" and "Retransmission: the client sends its FIN again" between steps of connections 2
and 3 with no word of which; only the teardown and TLS steps were named. The connection a step names must be
the one tshark puts its frames in (tcp.stream), asked at test time.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FILES = [ROOT / "captures" / "http10_short_connections_loopback.pcap",
         ROOT / "captures" / "lab_http10_short_connections.pcap",
         CORPUS / "http_fetch_wikipedia_dns_multiconn.pcap",
         CORPUS / "linktype_null_ipv6_http_keepalive_chunked.pcap",
         CORPUS / "http_fetch_dns_handshake_teardown_classic.pcap"]
TSHARK = shutil.which("tshark")

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed")


def streams(path: Path) -> dict[int, int]:
    out = subprocess.run([TSHARK, "-r", str(path), "-Y", "tcp", "-T", "fields", "-e", "frame.number", "-e",
                          "tcp.stream"], capture_output=True, text=True, check=True, timeout=120).stdout
    return {int(a): int(b) for a, b in (line.split("\t") for line in out.splitlines())}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_step_of_a_later_connection_names_it(path, lang):
    if not path.exists():
        pytest.skip(f"{path} is not there (../shared/corpus holds the public captures)")
    tcp_stream = streams(path)
    with open_capture(path) as reader:
        fetches = timeline(reader, lang).fetches
    named = 0
    for f in fetches:
        if len(f.connections) < 2:
            continue
        first = f.connections[0].stream
        for s in f.steps:
            stream = s.facts.get("stream")
            if s.layer not in ("tcp", "tls") or stream is None:
                continue
            added = f"连接 {stream}：" if lang == "zh" else f"Connection {stream}: "
            if stream == first:     # (a text of its own may begin with its name: "Connection 0 (port ...) was")
                assert not s.text.startswith(added), s.text
                continue
            assert s.text.startswith(f"连接 {stream}" if lang == "zh" else f"Connection {stream}"), (s.kind, s.text)
            named += 1
            cited = [x for x in s.frames if x in tcp_stream]
            if cited:       # tshark numbers the same connections the same way
                assert tcp_stream[cited[0]] == stream, (s.kind, s.frames)
    assert named
