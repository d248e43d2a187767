"""Zeek's websocket.log (``analyzer logs``, ``cap.websocket``): one row per connection an HTTP/1.1 101 switched
to WebSocket, with the opening handshake's host, URI, user agent, the subprotocol the server chose, the ones the
client offered and each side's extensions (Zeek splits the headers at commas).

The recordings are tests/fixtures/websocket (scripts/record_websocket_fixture.py, wss_echo with its key log); a
crafted session names subprotocols. Expected values are tshark's header fields on the same frames (its
``http.sec_websocket_*``, split at commas as Zeek splits them), never our own output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_websocket import _session
from tshark_query import fields

import analyzer
from analyzer.cli.main import main

WS = Path(__file__).resolve().parent / "fixtures" / "websocket"
RECORDED = ["ws_echo", "ws_server_close", "ws_binary", "ws_deflate", "wss_echo"]


_KEY = b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
CRAFTED = {
    # two subprotocols offered in two header lines, one chosen; extensions with parameters, two items
    "subprotocols": ((b"GET /feed?x=1 HTTP/1.1\r\nHost: ws.example:8080\r\nUser-Agent: crafted/1\r\n"
                      b"Upgrade: websocket\r\nConnection: Upgrade\r\n" + _KEY +
                      b"Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Protocol: v2.json\r\n"
                      b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-webkit-deflate-frame\r\n"
                      b"\r\n"),
                     (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: superchat\r\n"
                      b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n")),
    # a 101 to another protocol: an http.log row, no websocket.log row
    "h2c": ((b"GET / HTTP/1.1\r\nHost: h2.example\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n"
             b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"),
            b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"),
}


@pytest.fixture(scope="module")
def captures(tmp_path_factory) -> dict[str, tuple[Path, Path | None]]:
    folder = tmp_path_factory.mktemp("wslog")
    out: dict[str, tuple[Path, Path | None]] = {}
    for name in RECORDED:
        keys = WS / f"{name}.keys"
        out[name] = (WS / f"{name}.pcap", keys if keys.exists() else None)
    for name, (request, response) in CRAFTED.items():
        path = folder / f"{name}.pcap"
        path.write_bytes(_session([], request=request, response=response))
        out[name] = (path, None)
    return out


def _items(value: str) -> tuple[str, ...] | None:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else None


def expected(path: Path, keys: Path | None) -> list[dict]:
    """The rows tshark's fields give: each 101 answering ``Upgrade: websocket``, with its request's headers."""
    requests = {int(f): (host, uri, ua, proto, ext) for f, host, uri, ua, proto, ext in fields(
        path, "http.request", "frame.number", "http.host", "http.request.uri", "http.user_agent",
        "http.sec_websocket_protocol", "http.sec_websocket_extensions", keys=keys)}
    rows = []
    for frame, epoch, request_in, upgrade, proto, ext in fields(
            path, "http.response.code == 101", "frame.number", "frame.time_epoch", "http.request_in", "http.upgrade",
            "http.sec_websocket_protocol", "http.sec_websocket_extensions", keys=keys):
        if "websocket" not in upgrade.lower():
            continue
        host, uri, ua, offered, offered_ext = requests[int(request_in)]
        sec, frac = epoch.split(".")
        rows.append({"ts": int(sec) * 1_000_000_000 + int(frac.ljust(9, "0")), "host": host, "uri": uri,
                     "user_agent": ua or None, "subprotocol": proto or None, "client_protocols": _items(offered),
                     "server_extensions": _items(ext), "client_extensions": _items(offered_ext),
                     "request_frame": int(request_in), "response_frame": int(frame)})
    return rows


@pytest.mark.parametrize("name", RECORDED + list(CRAFTED))
def test_websocket_rows_are_the_handshakes_tshark_reads(name, captures):
    path, keys = captures[name]
    cap = analyzer.open(str(path), keylog=str(keys) if keys is not None else None)
    got = [{k: row[k] for k in ("ts", "host", "uri", "user_agent", "subprotocol", "client_protocols",
                                "server_extensions", "client_extensions", "request_frame", "response_frame")}
           for row in cap.websocket.rows()]
    assert got == expected(path, keys)
    uids = {c.stream: c.uid for c in cap.connections}
    assert all(w.uid == uids[w.stream] for w in cap.websocket)
    if name == "subprotocols":
        # the crafted values, not only tshark's: two header lines of offers, the server's choice
        (w,) = cap.websocket
        assert (w.subprotocol, w.client_protocols) == ("superchat", ("chat", "superchat", "v2.json"))
        assert w.client_extensions == ("permessage-deflate; client_max_window_bits", "x-webkit-deflate-frame")
    if name == "h2c":
        assert not cap.websocket and 101 in [h.status_code for h in cap.http]
    if name == "ws_deflate":
        (w,) = cap.websocket
        assert w.server_extensions[0].startswith("permessage-deflate")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_logs_write_the_websocket_log(tmp_path, captures, jobs):
    out = tmp_path / "logs"
    inputs = [str(captures[name][0]) for name in ("ws_echo", "ws_deflate", "subprotocols", "h2c")]
    result = CliRunner().invoke(main, ["logs", *inputs, "-o", str(out), "--format", "jsonl", "-j", jobs])
    assert result.exit_code == 0, result.output
    assert "websocket 3 rows" in result.output
    rows = [json.loads(line) for p in sorted(out.glob("websocket/*/*/*.jsonl")) for line in p.read_text().splitlines()]
    conns = {r["uid"]: r for p in out.glob("conn/*/*/*.jsonl") for r in map(json.loads, p.read_text().splitlines())}
    assert len(rows) == 3 and all(r["uid"] in conns for r in rows)
    assert [r["ts"] for r in rows] == sorted(r["ts"] for r in rows)      # hour folders in order, rows by ts
    crafted = next(r for r in rows if r["uri"] == "/feed?x=1")
    assert crafted["subprotocol"] == "superchat" and crafted["client_protocols"] == ["chat", "superchat", "v2.json"]
    # Zeek leaves a field unset (out of its JSON) when the handshake had no such header
    echo = next(r for r in rows if r["id.resp_p"] != 8080 and "server_extensions" not in r)
    assert "subprotocol" not in echo and "client_protocols" not in echo
