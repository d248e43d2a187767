"""Record tests/fixtures/websocket/*.pcap: a WebSocket session (RFC 6455) after an HTTP/1.1 upgrade, for the
timeline's WebSocket steps and the WebSocket frame decoding, on the loopback.

    sudo python scripts/record_websocket.py [NAME...]   (needs the `websockets` library, tcpdump and openssl)

* ws_echo.pcap: GET /chat with Upgrade: websocket, 101 Switching Protocols, then the client sends three text
  messages (the second in two fragments) and a ping, the server echoes each message and answers the ping with a
  pong, and the client closes with 1000 "bye"; the server echoes the close and ends the TCP connection.
* wss_echo.pcap + wss_echo.keys: the same over TLS 1.3 (wss://), with the client's key log.
* ws_server_close.pcap: the server closes first, with 1001 "going away", after one message each way.
* ws_binary.pcap: binary messages: 64 KiB in one frame (a 64-bit length, many TCP segments), one in three
  fragments, then a text message sent in a burst with a ping (several frames in one segment), and a close.
* ws_deflate.pcap: permessage-deflate negotiated (RSV1 set on compressed frames): text messages each way, the
  second one repeated (the compressor's window makes it shorter), and a close.

Both peers are the `websockets` library (a well-kept implementation); tcpdump records the loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from record_quic_fixture import self_signed_certificate  # (this folder: the script's own sys.path[0])

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "websocket"
HOST = "127.0.0.1"
PORTS = {"ws_echo": 18765, "wss_echo": 18766, "ws_server_close": 18767, "ws_binary": 18768, "ws_deflate": 18769}


async def _session(name: str, tmp: Path) -> None:
    from websockets.asyncio.client import connect
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed

    port = PORTS[name]
    server_ssl = client_ssl = None
    if name == "wss_echo":
        key, cert = self_signed_certificate(tmp)    # (record_quic_fixture's: CN and SAN analyzer.test)
        server_ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_ssl.minimum_version = ssl.TLSVersion.TLSv1_3
        server_ssl.load_cert_chain(cert, key)
        client_ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client_ssl.load_verify_locations(cert)
        keys = FIXTURES / "wss_echo.keys"
        keys.unlink(missing_ok=True)
        client_ssl.keylog_filename = str(keys)

    async def echo(ws):
        if name == "ws_server_close":
            msg = await ws.recv()
            await ws.send(f"got {msg}")
            await asyncio.sleep(0.05)
            await ws.close(1001, "going away")
            return
        async for msg in ws:
            await ws.send(msg)

    compression = "deflate" if name == "ws_deflate" else None
    async with serve(echo, HOST, port, ssl=server_ssl, compression=compression, max_size=None):
        scheme = "wss" if server_ssl else "ws"
        async with connect(f"{scheme}://{HOST}:{port}/chat", ssl=client_ssl, compression=compression,
                           server_hostname="analyzer.test" if client_ssl else None, max_size=None) as ws:
            if name == "ws_binary":
                await ws.send(bytes(range(256)) * 256)        # 64 KiB: a 64-bit extended length
                await ws.recv()
                await ws.send([b"\x00\x01", b"\x02", b"\xff"])   # one binary message in three frames
                await ws.recv()
                pong = await ws.ping(b"")
                await ws.send("after the ping")
                await pong
                await ws.recv()
                await asyncio.sleep(0.02)
                await ws.close(1000, "done")
                return
            if name == "ws_deflate":
                for text in ("hello deflate", "the same words twice " * 4, "the same words twice " * 4):
                    await ws.send(text)
                    await ws.recv()
                await asyncio.sleep(0.02)
                await ws.close(1000, "bye")
                return
            if name == "ws_server_close":
                await ws.send("hello")
                await ws.recv()
                with contextlib.suppress(ConnectionClosed):     # the server's Close ends the session
                    await ws.recv()
                return
            await ws.send("hello")
            await ws.recv()
            await ws.send(["frag", "mented"])          # one message in two frames (text, continuation)
            await ws.recv()
            pong = await ws.ping(b"are you there")
            await pong
            await ws.send("x" * 300)                     # a 16-bit extended payload length
            await ws.recv()
            await asyncio.sleep(0.02)
            await ws.close(1000, "bye")


def record(name: str) -> Path:
    out = FIXTURES / f"{name}.pcap"
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        raw = tmp / "raw.pcap"
        dump = subprocess.Popen(["tcpdump", "-Z", "root", "-i", "lo", "-U", "-w", str(raw), f"tcp port {PORTS[name]}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert dump.stderr is not None
        dump.stderr.readline()          # "listening on lo ...": the capture has started
        time.sleep(0.2)
        try:
            asyncio.run(_session(name, tmp))
            time.sleep(2.0)
        finally:
            dump.terminate()
            dump.wait(10)
        shutil.copy(raw, out)
    return out


def main() -> int:
    if os.geteuid() != 0:
        print("record_websocket: run as root (tcpdump on the loopback)", file=sys.stderr)
        return 2
    FIXTURES.mkdir(parents=True, exist_ok=True)
    names = sys.argv[1:] or list(PORTS)     # (some of them: their names)
    for name in names:
        print(record(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
