"""Record tests/fixtures/quic/http3_get.pcap: an HTTP/3 GET over QUIC on a private loopback, as a browser that
speaks HTTP/3 makes it, for the timeline's QUIC steps (analyzer.apps.quic reads the packets' clear headers).

    sudo python scripts/record_quic_fixture.py      (needs aioquic, tcpdump, openssl; runs in its own network
                                                     namespace, so port 443 is free)
    sudo python scripts/record_quic_fixture.py --split      tests/fixtures/quic/http3_split_hello.pcap: the
                                                     client offers 120 ALPN values besides h3, so that its
                                                     ClientHello (~2 KB, as Chrome's with a post-quantum key
                                                     share) needs two Initial packets in two datagrams

An aioquic HTTP/3 server on 127.0.0.1:443/UDP answers GET / with a small page; an aioquic client asks for it,
then closes the connection; tcpdump records the loopback. Both peers are aioquic (a well-kept QUIC library):
no browser on this machine can be pointed at a QUIC server with a self-signed certificate headless.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "quic"
OUT = FIXTURES / "http3_get.pcap"
SPLIT_OUT = FIXTURES / "http3_split_hello.pcap"
# ALPN values offered besides h3 for --split (the server picks h3): 120 x 13 bytes make the hello > 1200 bytes
FILLER_ALPN = [f"x-filler-{i:03d}" for i in range(120)]
ADDR, PORT = "127.0.0.1", 443
PAGE = b"<!doctype html><title>analyzer</title><p>Hello over HTTP/3.</p>\n"


def _certificate(tmp: Path) -> tuple[Path, Path]:
    key, cert = tmp / "key.pem", tmp / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "365", "-subj",
                    "/CN=analyzer.test", "-addext", "subjectAltName=DNS:analyzer.test"],
                   check=True, capture_output=True)
    return key, cert


async def _run(tmp: Path, split: bool = False) -> None:
    from aioquic.asyncio import connect, serve
    from aioquic.asyncio.protocol import QuicConnectionProtocol
    from aioquic.h3.connection import H3_ALPN, H3Connection
    from aioquic.h3.events import DataReceived, HeadersReceived
    from aioquic.quic.configuration import QuicConfiguration

    class Server(QuicConnectionProtocol):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.h3 = H3Connection(self._quic)

        def quic_event_received(self, event):
            for ev in self.h3.handle_event(event):
                if isinstance(ev, HeadersReceived) and ev.stream_ended:
                    self.h3.send_headers(ev.stream_id, [(b":status", b"200"), (b"content-type", b"text/html"),
                                                        (b"content-length", str(len(PAGE)).encode())])
                    self.h3.send_data(ev.stream_id, PAGE, end_stream=True)
                    self.transmit()

    class Client(QuicConnectionProtocol):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.h3 = H3Connection(self._quic)
            self.done = asyncio.get_running_loop().create_future()
            self.body = b""

        def quic_event_received(self, event):
            for ev in self.h3.handle_event(event):
                if isinstance(ev, DataReceived):
                    self.body += ev.data
                    if ev.stream_ended and not self.done.done():
                        self.done.set_result(self.body)

    key, cert = _certificate(tmp)
    server_conf = QuicConfiguration(is_client=False, alpn_protocols=H3_ALPN)
    server_conf.load_cert_chain(str(cert), str(key))
    server = await serve(ADDR, PORT, configuration=server_conf, create_protocol=Server)
    client_conf = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN + (FILLER_ALPN if split else []),
                                    server_name="analyzer.test", verify_mode=0)
    async with connect(ADDR, PORT, configuration=client_conf, create_protocol=Client) as client:
        stream = client._quic.get_next_available_stream_id()
        client.h3.send_headers(stream, [(b":method", b"GET"), (b":scheme", b"https"),
                                        (b":authority", b"analyzer.test"), (b":path", b"/")], end_stream=True)
        client.transmit()
        body = await asyncio.wait_for(client.done, 5)
        assert body == PAGE, body
        client.close()
        await client.wait_closed()
    await asyncio.sleep(0.2)
    server.close()


def inside(split: bool = False) -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with tempfile.TemporaryDirectory(prefix="quicfix-") as name:
        tmp = Path(name)
        pcap = tmp / "out.pcap"
        dump = subprocess.Popen(["tcpdump", "-i", "lo", "-w", str(pcap), "-U", "udp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        try:
            asyncio.run(_run(tmp, split))
            time.sleep(0.3)
        finally:
            dump.terminate()
            dump.wait()
        out = SPLIT_OUT if split else OUT
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pcap, out)
    print(f"{out.name}: {out.stat().st_size} bytes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--split", action="store_true", help="a ClientHello over two Initial packets "
                                                             f"({SPLIT_OUT.name})")
    args = parser.parse_args()
    if args.inside:
        inside(args.split)
        return 0
    if os.geteuid() != 0:
        print("needs root (a network namespace)", file=sys.stderr)
        return 2
    return subprocess.run(["unshare", "--net", sys.executable, __file__, "--inside"] + ["--split"] * args.split,
                          check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
