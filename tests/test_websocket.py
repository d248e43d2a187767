"""WebSocket after an HTTP/1.1 upgrade (analyzer.apps.websocket) and how the timeline tells it (issue 10: every
exchange a capture holds is explained; before this the 101's step cited every WebSocket frame as its own
"6 segments took 0.0 us" and the frames were `data` in the ladder).

Fixtures recorded by scripts/record_websocket.py (the `websockets` library on both ends, tcpdump on the
loopback): ws_echo (three text messages, one in three frames, a ping, a 300-byte message with a 16-bit length,
the client closes with 1000 "bye"), ws_server_close (the server closes first with 1001), wss_echo (ws_echo over
TLS 1.3, with the client's key log). Every expected frame, opcode, length and close code is tshark's."""

from __future__ import annotations

import base64
import json
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
    # the Chinese sentence holds the same facts: the closing side's code and its reason, word for word
    assert "服务器" in close.text and "1001" in close.text and "going away" in close.text, close.text


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


# -- read: the websocket layer of every frame, against tshark ---------------------------------------------------
# Crafted sessions (report_builders' Ethernet/IPv4/TCP, this file's _frame): a handshake, the upgrade request and
# its 101, then WebSocket bytes segment by segment: each shape tshark reassembles differently.
_REQ = (b"GET /chat HTTP/1.1\r\nHost: s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
_RESP = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
_M = b"\x01\x02\x03\x04"


def _session(segments: list[tuple[int, bytes | None]], after_101: bytes = b"", request: bytes = _REQ,
             response: bytes = _RESP) -> bytes:
    """A pcap of one connection: (direction 0 client / 1 server, bytes) after the 101; None: 100 bytes lost.
    ``after_101``: the server's first WebSocket frames, sent in the 101's own segment; ``request``/``response``:
    the upgrade's two messages."""
    from report_builders import eth, ipv4, pcap, tcp

    hosts = (("10.0.0.1", 40000), ("10.0.0.2", 8080))
    seq, out = [999, 4999], []

    def seg(d: int, flags: int, payload: bytes = b"") -> None:
        (src, sp), (dst, dp) = hosts[d], hosts[1 - d]
        out.append(eth(ipv4(src, dst, 6, tcp(src, dst, sp, dp, seq[d], seq[1 - d], flags, payload=payload))))
        seq[d] += len(payload) + (1 if flags & 0x03 else 0)

    seg(0, 0x02)
    seg(1, 0x12)
    seg(0, 0x10)
    for d, data in [(0, request), (1, response + after_101), *segments]:
        if data is None:
            seq[d] += 100
        else:
            seg(d, 0x18, data)
    seg(0, 0x11)
    seg(1, 0x11)
    seg(0, 0x10)
    return pcap(out)


_SPLIT = _frame(TEXT, b"a" * 40, mask=_M)
_BIG = _frame(2, bytes(range(256)) * 256)            # 64 KiB: a 64-bit length, across five segments
CRAFTED = {
    "several_in_one": [(0, _frame(TEXT, b"one", mask=_M) + _frame(TEXT, b"two", mask=_M) + _frame(2, b"\0\xff", mask=_M)),
                       (1, _frame(TEXT, b"echo") + _frame(9, b""))],
    "across_segments": [(0, _SPLIT[:10]), (0, _SPLIT[10:30]), (0, _SPLIT[30:] + _frame(TEXT, b"next", mask=_M)[:3]),
                        (0, _frame(TEXT, b"next", mask=_M)[3:])],
    "header_split": [(1, _frame(2, b"b" * 300)[:1]), (1, _frame(2, b"b" * 300)[1:])],
    "big": [(1, _BIG[i:i + 16000]) for i in range(0, len(_BIG), 16000)],
    "fragmented": [(1, _frame(TEXT, b"ab", fin=False)), (1, _frame(0, b"cd", fin=False)), (1, _frame(0, b"ef")),
                   (1, _frame(2, b"\1\2", fin=False)), (1, _frame(9, b"hi")), (1, _frame(0, b"\3"))],
    "empty": [(1, _frame(TEXT, b"")), (1, _frame(2, b"")), (0, _frame(TEXT, b"", mask=_M)), (1, _frame(10, b""))],
    "utf8": [(1, _frame(TEXT, "héllo\n wörld\t".encode())), (1, _frame(TEXT, b"\xff\xfe"))],
    "closes": [(1, _frame(CLOSE, b"")), (0, _frame(CLOSE, b"\3", mask=_M))],
    "after_close": [(0, _frame(CLOSE, (1000).to_bytes(2, "big") + b"bye", mask=_M)), (0, _frame(TEXT, b"late", mask=_M))],
    "reserved_opcode": [(1, bytes([0x83, 2]) + b"zz"), (1, _frame(TEXT, b"later"))],
    "rsv_bits": [(1, bytes([0xC1, 2]) + b"zz")],
    "bad_control": [(1, _frame(9, b"p" * 130)), (1, bytes([0x09, 0]))],
    "with_101": [(0, _frame(TEXT, b"x", mask=_M))],
    "two_with_101": [(0, _frame(TEXT, b"x", mask=_M))],
}
# the server's first frames in the 101's segment: tshark's Info is the 101's text, then the last frame's
AFTER_101 = {"with_101": _frame(9, b""), "two_with_101": _frame(9, b"") + _frame(TEXT, b"hi")}
READ_FIELDS = ("frame.number", "websocket.fin", "websocket.rsv", "websocket.pmc", "websocket.opcode", "websocket.mask",
               "websocket.payload_length", "websocket.payload_length_ext_16", "websocket.payload_length_ext_64",
               "websocket.masking_key", "websocket.payload", "websocket.masked_payload", "websocket.payload.text",
               "websocket.payload.continue", "websocket.payload.ping", "websocket.payload.pong",
               "websocket.payload.unknown", "websocket.payload.close", "websocket.payload.close.status_code",
               "websocket.payload.close.reason")


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ws")
    out = {}
    for name, segments in CRAFTED.items():
        out[name] = folder / f"{name}.pcap"
        out[name].write_bytes(_session(segments, AFTER_101.get(name, b"")))
    return out


def _capture(name: str, crafted: dict[str, Path]) -> tuple[Path, Path | None]:
    if name in crafted:
        return crafted[name], None
    return WS / f"{name}.pcap", _keys(name)


def _read(*args: str) -> str:
    from click.testing import CliRunner

    from analyzer.cli.main import main

    result = CliRunner().invoke(main, ["read", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _tshark(path: Path, keys: Path | None, *args: str) -> list[str]:
    from tshark_run import tshark_output

    cmd = ["tshark", "-r", str(path), *args]
    if keys is not None:
        cmd[3:3] = ["-o", f"tls.keylog_file:{keys}"]
    return tshark_output(cmd, allow_empty=True).splitlines()


# recorded with the websockets library too (scripts/record_websocket.py): 64 KiB and fragmented binary messages
# (with a retransmission and a SACK on the loopback), and permessage-deflate
READ_CAPTURES = [*CAPTURES, "ws_binary", "ws_deflate"]


@pytest.mark.parametrize("name", [*READ_CAPTURES, *CRAFTED])
def test_read_lines_name_websocket_frames_as_tshark(name, crafted):
    """Each line: the same Protocol and Info as tshark's where tshark shows WebSocket (several frames in one
    segment: the last frame's text; a frame across segments: on the segment of its last byte). Every other line
    names the same protocol (a segment that holds only the start of a frame is a TCP line: tshark adds "[TCP
    segment of a reassembled PDU]", which read does not, analyzer.report.summary's documented difference)."""
    path, keys = _capture(name, crafted)
    theirs = _tshark(path, keys)
    ours = _read(*(["--keylog", str(keys)] if keys else []), str(path)).splitlines()
    assert len(ours) == len(theirs)
    websocket = 0
    for mine, tshark_line in zip(ours, theirs, strict=True):
        if " WebSocket " in tshark_line:
            websocket += 1
            assert mine == tshark_line
        else:
            assert " WebSocket " not in mine
            assert mine.split()[5] == tshark_line.split()[5]        # the Protocol column
    assert websocket


@pytest.mark.parametrize("name", [*READ_CAPTURES, *CRAFTED])
def test_read_fields_and_filters_are_tsharks(name, crafted):
    """-T fields of every websocket.* field tshark prints, and -Y on them, over TLS with the key log too."""
    path, keys = _capture(name, crafted)
    opts = ["--keylog", str(keys)] if keys else []
    args = [a for f in READ_FIELDS for a in ("-e", f)]
    for display in ("websocket", "websocket.opcode == 1", "websocket.mask == 0 && websocket.fin",
                    'websocket.payload.text contains "e"', "websocket.payload.close.status_code"):
        theirs = _tshark(path, keys, "-Y", display, "-T", "fields", *args)
        assert _read(*opts, "-Y", display, "-T", "fields", *args, str(path)).splitlines() == theirs, display


def test_read_verbose_and_json_show_the_frame():
    path = WS / "ws_echo.pcap"
    ((close,),) = fields(path, "websocket.opcode == 8 && websocket.mask == 1", "frame.number")
    tree = _read("-V", "-Y", f"frame.number == {close}", str(path))
    ws = [line for line in tree.split("\nWebSocket\n", 1)[1].splitlines() if line]
    code, reason, key = fields(path, f"frame.number == {close}", "websocket.payload.close.status_code",
                               "websocket.payload.close.reason", "websocket.masking_key")[0]
    assert ws == ["    Fin: True", "    Reserved: 0x0", "    Opcode: Connection Close (8)", "    Mask: True",
                  f"    Payload length: {2 + len(reason)}", f"    Masking-Key: {key}", "    Masked payload",
                  "    Payload", "        Close", f"            Status code: Normal Closure ({code})",
                  f"            Reason: {reason}"]
    rows = {}
    for line in _read("--json", str(path)).splitlines():
        obj = json.loads(line)
        if "websocket.opcode" in obj:
            rows[obj["frame.number"]] = (obj["websocket.opcode"], obj.get("websocket.payload.text"))
    want = {int(n): (int(op), text or None) for n, op, text in
            fields(path, "websocket", "frame.number", "websocket.opcode", "websocket.payload.text")}
    assert rows == want


def test_bad_input_is_marked_and_never_raises(tmp_path):
    """A length of 2^63 or more: the frame's header is shown, the packet malformed, nothing read after it in
    that direction; a hole: the segment after it is read as starting a frame (as tshark does)."""
    huge = tmp_path / "huge.pcap"
    huge.write_bytes(_session([(1, bytes([0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1]) + b"xx"), (1, _frame(TEXT, b"later"))]))
    lines = _read(str(huge)).splitlines()
    assert lines[5].endswith(" WebSocket 66 WebSocket Binary [FIN] [Malformed Packet]")
    assert " TCP " in lines[6]
    assert "[Malformed Packet: WebSocket]" in _read("-V", "-Y", "frame.number == 6", str(huge))
    hole = tmp_path / "hole.pcap"
    hole.write_bytes(_session([(1, _frame(TEXT, b"first")), (1, None), (1, _frame(TEXT, b"after"))]))
    texts = [t for (t,) in fields(hole, "websocket", "websocket.payload.text")]
    assert _read("-Y", "websocket", "-T", "fields", "-e", "websocket.payload.text", str(hole)).split() == texts
    rnd = random.Random(6455)
    for i in range(40):         # garbage after the 101: no traceback in any output
        path = tmp_path / f"g{i}.pcap"
        path.write_bytes(_session([(rnd.randrange(2), rnd.randbytes(rnd.randrange(1, 40))) for _ in range(6)]))
        _read(str(path))
        _read("-V", str(path))


# -- HAR: the 101's _webSocketMessages ---------------------------------------------------------------------------
# the messages whose last frame tshark shows no payload of (a fragmented message sent by the client: tshark 4.0
# reassembles the server's only), as scripts/record_websocket.py sent them
RECORDED_FRAGMENTED = {"ws_echo": b"fragmented", "wss_echo": b"fragmented", "ws_binary": b"\x00\x01\x02\xff"}


def tshark_messages(name: str) -> list[dict]:
    """The data messages of a recorded session as Chrome's _webSocketMessages should hold them, from tshark: each
    frame with FIN ending a Text/Binary message (its opcode the message's first frame's), its direction and time,
    its text (websocket.payload.text) or binary data (data.data, in base64)."""
    import base64

    path = WS / f"{name}.pcap"
    keys = _keys(name)
    ((port,),) = fields(path, "http.request", "tcp.srcport", keys=keys)
    out, first = [], {}
    for _n, epoch, src, op, fin, text, data in fields(path, "websocket", "frame.number", "frame.time_epoch",
                                                       "tcp.srcport", "websocket.opcode", "websocket.fin",
                                                       "websocket.payload.text", "data.data", keys=keys):
        op = int(op)
        if op > 2:
            continue
        d = 0 if src == port else 1
        if op:
            first[d] = op
        if fin not in ("1", "True"):
            continue
        kind = first[d]
        if kind == 1:
            value = text if text else RECORDED_FRAGMENTED[name].decode()
        else:
            value = base64.b64encode(bytes.fromhex(data) if data else RECORDED_FRAGMENTED[name]).decode()
        out.append({"type": "send" if d == 0 else "receive", "time": round(float(epoch), 6), "opcode": kind,
                    "data": value})
    return out


@pytest.mark.parametrize("name", READ_CAPTURES)
def test_har_has_the_sessions_messages_as_chrome_writes_them(name):
    from analyzer.report.har import har

    doc = har(load(name))
    (entry,) = [e for e in doc["log"]["entries"] if e["response"]["status"] == 101]
    assert entry["_resourceType"] == "websocket"
    assert entry["_webSocketMessages"] == tshark_messages(name)
    assert "_webSocketMessagesOmitted" not in entry and "comment" not in entry


def test_har_messages_are_bounded(tmp_path):
    """More messages than a session keeps: the first MAX_MESSAGES, MESSAGE_BYTES of payload in all; the entry
    says how many were left out and cut."""
    from analyzer.apps.websocket import MAX_MESSAGES, MESSAGE_BYTES
    from analyzer.report.har import har

    one = _frame(2, b"z" * 3000)
    path = tmp_path / "many.pcap"
    path.write_bytes(_session([(1, one * 10) for _ in range(MAX_MESSAGES // 10 + 5)]))
    with open_capture(path) as reader:
        (entry,) = har(timeline(reader, "en"))["log"]["entries"]
    messages = entry["_webSocketMessages"]
    assert len(messages) == MAX_MESSAGES
    sizes = [len(base64.b64decode(m["data"])) for m in messages]
    assert sum(sizes) == MESSAGE_BYTES and sizes[0] == 3000 and sizes[-1] == 0
    assert entry["_webSocketMessagesOmitted"] == (MAX_MESSAGES // 10 + 5) * 10 - MAX_MESSAGES
    assert "WebSocket messages bounded" in entry["comment"]


def _deflated(data: bytes, ctx=None) -> bytes:
    """``data`` as permessage-deflate sends it (RFC 7692 7.2.1: raw DEFLATE, a sync flush, its 00 00 ff ff cut)."""
    import zlib

    ctx = ctx or zlib.compressobj(wbits=-15)
    out = ctx.compress(data) + ctx.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def test_deflate_is_bounded_and_never_raises():
    """A message that inflates past what a session keeps (a "zip bomb": 10 MiB of zeros in a few KiB), or bytes
    that are not DEFLATE, is not inflated; nor are that direction's later messages (their window is lost); the
    other direction goes on."""
    import zlib

    from analyzer.apps.websocket import KEEP_PAYLOAD

    def compressed(opcode: int, body: bytes) -> bytes:
        raw = bytearray(_frame(opcode, body))
        raw[0] |= 0x40          # RSV1: this message is compressed
        return bytes(raw)

    ws = WebSocketSession(1, 0, "permessage-deflate; client_no_context_takeover")
    bomb = _deflated(bytes(10 << 20))
    assert len(bomb) < KEEP_PAYLOAD
    ws.data(1, compressed(TEXT, bomb), 0, 2)
    ws.data(1, compressed(TEXT, _deflated(b"later")), 0, 3)
    client = zlib.compressobj(wbits=-15)
    ws.data(0, compressed(TEXT, _deflated(b"hi there", client)), 0, 4)
    ws.data(0, compressed(TEXT, _deflated(b"hi there", zlib.compressobj(wbits=-15))), 0, 5)   # no takeover: afresh
    ws.data(0, compressed(2, b"\xff\xfe not deflate"), 0, 6)
    assert [(m.direction, m.data) for m in ws.messages] == [(1, b""), (1, b""), (0, b"hi there"), (0, b"hi there"),
                                                            (0, b"")]
    assert ws.sides[1].inflate_failed and ws.sides[0].inflate_failed
    assert ws.sides[0].messages == 3 and ws.sides[1].messages == 2
