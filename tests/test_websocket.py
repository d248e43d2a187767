"""WebSocket after an HTTP/1.1 upgrade (analyzer.apps.websocket) and how the timeline tells it (issue 10: every
exchange a capture holds is explained; before this the 101's step cited every WebSocket frame as its own
"6 segments took 0.0 us" and the frames were `data` in the ladder).

Fixtures recorded by scripts/record_websocket.py (the `websockets` library on both ends, tcpdump on the
loopback): ws_echo (three text messages, one in three frames, a ping, a 300-byte message with a 16-bit length,
the client closes with 1000 "bye"), ws_server_close (the server closes first with 1001), wss_echo (ws_echo over
TLS 1.3, with the client's key log). Every expected frame, opcode, length and close code is tshark's."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from tshark_query import fields

from analyzer.apps.tls import parse_keylog
from analyzer.apps.websocket import CLOSE, TEXT, WebSocketSession
from analyzer.capture import open_capture
from analyzer.timeline import timeline

WS = Path(__file__).resolve().parent / "fixtures" / "websocket"
CAPTURES = ["ws_echo", "ws_server_close", "wss_echo"]
WS_FIELDS = ("frame.number", "tcp.srcport", "websocket.opcode", "websocket.fin", "websocket.mask",
             "websocket.payload_length", "websocket.payload_length_ext_16", "websocket.payload.close.status_code",
             "websocket.payload.close.reason")


def _keys(name: str) -> Path | None:
    keys = WS / f"{name}.keys"
    return keys if keys.exists() else None


def tshark_frames(name: str) -> list[tuple[int, int, int, bool, bool, int, int | None]]:
    """(capture frame, direction 0 client / 1 server, opcode, fin, masked, payload length, close code) of each
    WebSocket frame tshark decodes, one row a WebSocket frame (several in one packet are comma-joined)."""
    path = WS / f"{name}.pcap"
    ((port,),) = fields(path, "http.request", "tcp.srcport", keys=_keys(name))
    out = []
    for row in fields(path, "websocket", *WS_FIELDS, keys=_keys(name)):
        frame, src, ops, fins, masks, lens, ext16, codes, _reasons = row
        ext = iter(ext16.split(",")) if ext16 else iter(())
        code_list = iter(codes.split(",")) if codes else iter(())
        for op, fin, mask, ln in zip(ops.split(","), fins.split(","), masks.split(","), lens.split(","), strict=True):
            length = int(next(ext)) if int(ln) == 126 else int(ln)
            code = int(next(code_list)) if int(op) == CLOSE else None
            out.append((int(frame), 0 if src == port else 1, int(op), fin in ("1", "True"), mask in ("1", "True"),
                        length, code))
    return out


def load(name: str):
    keys = _keys(name)
    with open_capture(WS / f"{name}.pcap") as reader:
        return timeline(reader, "en", keylog=parse_keylog(keys.read_bytes()) if keys else None)


@pytest.mark.parametrize("name", ["ws_echo", "ws_server_close"])
def test_the_session_reads_the_frames_tshark_reads(name):
    """The parser alone, fed each direction's TCP payload after the 101 as tshark gives it (in chunks of every
    size, down to one byte), finds the frames tshark finds: where each ends, opcode, FIN, MASK, length, close."""
    path = WS / f"{name}.pcap"
    ((switch,),) = fields(path, "http.response.code == 101", "frame.number")
    ((port,),) = fields(path, "http.request", "tcp.srcport")
    rows = fields(path, f"tcp.len > 0 and frame.number > {switch}", "frame.number", "tcp.srcport", "tcp.payload")
    want = tshark_frames(name)
    for chunk in (None, 1, 3, 7):
        ws = WebSocketSession(int(switch), 0)
        for frame, src, payload in rows:
            data = bytes.fromhex(payload)
            step = chunk or len(data)
            for i in range(0, len(data), step):
                ws.data(0 if src == port else 1, data[i:i + step], int(frame), int(frame))
        got = [(f.last_frame, f.direction, f.opcode, f.fin, f.masked, f.length,
                next((c.code for c in ws.closes if c.frame == f.first_frame and c.direction == f.direction), None))
               for f in ws.frames]
        assert got == want, chunk
        assert all(s.error in (None, "closed") for s in ws.sides)


@pytest.mark.parametrize("name", CAPTURES)
def test_the_timeline_tells_the_session_with_tsharks_frames(name):
    want = tshark_frames(name)
    (fetch,) = load(name).fetches
    kinds = [s.kind for s in fetch.steps]
    assert "http.switch.websocket" in kinds and "http.response" not in kinds
    ((switch,),) = fields(WS / f"{name}.pcap", "http.response.code == 101", "frame.number", keys=_keys(name))
    (resp,) = [s for s in fetch.steps if s.kind == "http.switch.websocket"]
    assert resp.frames == (int(switch),)           # the 101's own frame, not the WebSocket frames after it
    (session,) = [s for s in fetch.steps if s.kind == "websocket.session"]
    data = [w for w in want if w[2] != CLOSE]
    assert session.frames == tuple(sorted({w[0] for w in data}))
    for tag, d in (("c", 0), ("s", 1)):
        mine = [w for w in data if w[1] == d]
        assert session.facts[f"{tag}_messages"] == sum(1 for w in mine if w[2] in (0, 1, 2) and w[3])
        assert session.facts[f"{tag}_frames"] == sum(1 for w in mine if w[2] in (0, 1, 2))
        assert session.facts[f"{tag}_bytes"] == sum(w[5] for w in mine if w[2] in (0, 1, 2))
        assert session.facts[f"{tag}_pings"] == sum(1 for w in mine if w[2] == 9)
        assert session.facts[f"{tag}_masked"] == sum(1 for w in want if w[1] == d and w[4])   # Close too
    closes = [w for w in want if w[2] == CLOSE]
    told = [s for s in fetch.steps if s.kind.startswith("websocket.close")]
    assert [(s.frames, s.facts["who"], s.facts["code"]) for s in told] == \
        [((w[0],), "client" if w[1] == 0 else "server", w[6]) for w in closes]
    assert [s.kind for s in told] == ["websocket.close", "websocket.close.answer"]
    ladder = {row.frame: row.label for row in fetch.ladder}
    for w in want:      # the ladder names each packet's WebSocket frame (the first one that starts in it)
        assert "  WebSocket " in ladder[w[0]], (w, ladder[w[0]])


def test_the_sentences():
    (fetch,) = load("ws_echo").fetches
    text = {s.kind: " ".join(s.text.split()) for s in fetch.steps}
    assert text["websocket.session"].startswith(
        "WebSocket messages over 485 µs: the client sent 3 messages (315 bytes of payload in 5 data frames), every "
        "frame masked with a 4-byte key as RFC 6455 requires of a client, the server 3 messages (315 bytes in 3 data "
        "frames); the client sent 1 ping (a check that the other end is still there)")
    assert text["websocket.close"] == ('The client closes the WebSocket: a Close frame with status 1000 (normal '
                                       'closure) and the reason "bye".')
    (fetch,) = load("ws_server_close").fetches
    text = {s.kind: " ".join(s.text.split()) for s in fetch.steps}
    assert text["websocket.close"].startswith("The server closes the WebSocket: a Close frame with status 1001 "
                                              "(going away)")
    with open_capture(WS / "ws_server_close.pcap") as reader:
        zh = timeline(reader, "zh")
    (close,) = [s for s in zh.fetches[0].steps if s.kind == "websocket.close"]
    assert close.text == "服务器关闭 WebSocket：发送 Close 帧，状态码 1001（离开），原因“going away”。"


def _frame(opcode: int, payload: bytes, fin: bool = True, mask: bytes | None = None) -> bytes:
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    mbit = 0x80 if mask else 0
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([mbit | 127]) + n.to_bytes(8, "big")
    if mask:
        return head + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
    return head + payload


def test_lengths_masks_and_a_gap_inside_a_payload():
    ws = WebSocketSession(1, 0)
    big = _frame(2, b"x" * 70000)                     # a 64-bit length
    ws.data(1, big[:5000], 0, 2)
    ws.gap(1, 10000)                                  # lost inside the payload being skipped: still in step
    ws.data(1, big[15000:] + _frame(TEXT, b"after"), 0, 3)
    ws.data(0, _frame(CLOSE, (1000).to_bytes(2, "big") + b"done", mask=b"\x11\x22\x33\x44"), 0, 4)
    assert [(f.opcode, f.length, f.first_frame, f.last_frame) for f in ws.frames] == \
        [(2, 70000, 2, 3), (TEXT, 5, 3, 3), (CLOSE, 6, 4, 4)]
    assert ws.sides[1].messages == 2 and ws.sides[1].lost == 10000 and ws.sides[1].error is None
    assert [(c.direction, c.code, c.reason) for c in ws.closes] == [(0, 1000, "done")]
    ws.gap(1, 3)                                      # between frames: the boundaries are lost
    ws.data(1, _frame(TEXT, b"unread"), 0, 5)
    assert ws.sides[1].error == "lost" and len(ws.frames) == 3


@pytest.mark.parametrize("raw,error", [
    (bytes([0x83, 0]), "reserved_opcode"),
    (bytes([0x09, 0]), "control_fragmented"),            # a Ping without FIN
    (bytes([0x89, 126, 0, 200]) + b"p" * 200, "control_too_long"),
    (bytes([0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1]), "bad_length"),
])
def test_broken_framing_stops_the_direction(raw, error):
    ws = WebSocketSession(1, 0)
    ws.data(0, raw + _frame(TEXT, b"never read"), 0, 7)
    assert ws.sides[0].error == error and ws.sides[0].error_frame == 7 and ws.frames == []


def test_garbage_never_raises_and_memory_stays_bounded():
    rnd = random.Random(6455)
    for _ in range(300):
        ws = WebSocketSession(1, 0)
        for i in range(20):
            ws.data(rnd.randrange(2), rnd.randbytes(rnd.randrange(0, 64)), i, i)
            if rnd.random() < 0.1:
                ws.gap(rnd.randrange(2), rnd.randrange(0, 100))
        assert len(ws.frames) <= 64
    ws = WebSocketSession(1, 0)
    one = _frame(TEXT, b"hi", mask=b"abcd")
    for i in range(10000):
        ws.data(0, one, i, i)
    assert ws.sides[0].messages == 10000 and len(ws.frames) == 64
