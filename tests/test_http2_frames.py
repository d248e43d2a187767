"""The HTTP/2 frame layer, HPACK blocks and the connection on crafted bytes: every type's layout, padding,
header blocks cut anywhere, bad input (lying lengths, HPACK errors, huge blocks, garbage), bytes fed whole,
one at a time or with a tail that must wait, and gaps.

Expected values come from RFC 9113/7541 layouts written out by hand here, never from the code under test.
"""

from __future__ import annotations

import random
import struct

import hpack
import pytest
from fixtures.http2 import craft
from fixtures.http2.craft import (
    ACK,
    CONTINUATION,
    DATA,
    END_HEADERS,
    END_STREAM,
    GOAWAY,
    HEADERS,
    PADDED,
    PING,
    PREFACE,
    PRIO,
    PRIORITY,
    PUSH_PROMISE,
    RST_STREAM,
    SETTINGS,
    WINDOW_UPDATE,
    frame,
    padded,
    request_headers,
    settings,
)
from fixtures.http_dns.harness import run_capture

from analyzer.apps.http2 import frames as fr
from analyzer.apps.http2.connection import MAX_FRAME_HELD, Http2Connection
from analyzer.apps.http2.headerblock import (
    INCREMENTAL_NEW_NAME,
    INDEXED,
    NEVER_INDEXED_INDEXED_NAME,
    BlockDecoder,
    Field,
    SizeUpdate,
)


# -- frame header and payloads --------------------------------------------------------------------------
def test_header_fields_by_hand():
    raw = bytes.fromhex("00006e" "01" "25" "80000001")           # length 110, HEADERS, flags 0x25, R set, 1
    h = fr.parse_header(raw)
    assert (h.length, h.type, h.flags, h.stream, h.reserved) == (110, 1, 0x25, 1, 0x80000000)
    f = fr.header_fields(h)
    assert f["http2.flags"] == "0x25" and f["http2.r"] == "0x80000000" and f["http2.streamid"] == 1
    assert (f["http2.flags.end_stream"], f["http2.flags.eh"], f["http2.flags.padded"],
            f["http2.flags.priority"], f["http2.flags.unused_headers"]) == (1, 1, 0, 1, "0x00")


def decode(ftype, flags, payload, stream=1):
    h = fr.FrameHeader(len(payload), ftype, flags, stream, 0)
    fields = {}
    return fr.decode_payload(h, payload, fields), fields


def test_padded_headers_with_priority():
    block = b"\x82\x84"
    p, f = decode(HEADERS, END_HEADERS | PADDED | PRIO, b"\x03" + b"\x80\x00\x00\x05" + b"\x0f" + block + b"\0\0\0")
    assert (p.pad_length, p.exclusive, p.dependency, p.weight, p.block) == (3, True, 5, 15, block)
    assert f["http2.padding"] == "0x03" and f["http2.pad_length"] == 3 and f["http2.headers.weight_real"] == 16
    assert f["http2.headers.padding"] == b"\0\0\0"


def test_data_padding_is_not_data():
    p, f = decode(DATA, PADDED | END_STREAM, b"\x02hello\0\0")
    assert p.data == b"hello" and p.padding == b"\0\0" and f["http2.data.data"] == b"hello"


@pytest.mark.parametrize("ftype, flags, payload, reason", [
    (RST_STREAM, 0, b"\0\0", "RST_STREAM payload is 2 bytes"),
    (SETTINGS, 0, b"\0\1\0\0\0", "not a multiple of 6"),
    (PING, 0, b"1234567", "PING payload is 7 bytes"),
    (GOAWAY, 0, b"\0" * 7, "GOAWAY payload is 7 bytes"),
    (WINDOW_UPDATE, 0, b"\0\0", "WINDOW_UPDATE payload is 2 bytes"),
    (DATA, PADDED, b"\x05abc", "padding of 5 bytes"),
    (DATA, PADDED, b"", "no Pad Length octet"),
    (HEADERS, PADDED, b"\x09\x82", "padding of 9 bytes"),
    (HEADERS, PRIO, b"\0\0\0", "priority fields need 5 bytes"),
    (PRIORITY, 0, b"\0\0\0\1", "priority fields need 5 bytes"),
    (PUSH_PROMISE, 0, b"\0\0", "too short for the promised stream id"),
])
def test_short_payloads_are_frame_errors(ftype, flags, payload, reason):
    with pytest.raises(fr.FrameError, match=reason):
        decode(ftype, flags, payload)


def test_control_frames():
    p, f = decode(SETTINGS, 0, settings((1, 4096), (4, 1 << 20), (0x99, 3)), stream=0)
    assert p.settings == ((1, 4096), (4, 1 << 20), (0x99, 3))
    assert f["http2.settings.id"] == [1, 4, 0x99] and f["http2.settings.unknown"] == 3
    p, f = decode(GOAWAY, 0, struct.pack("!II", 0x80000007, 2) + b"dbg", stream=0)
    assert (p.last_stream, p.error, p.debug, f["http2.goway.r"]) == (7, 2, b"dbg", "0x80000000")
    p, f = decode(WINDOW_UPDATE, 0, struct.pack("!I", 0x80001000), stream=0)
    assert p.increment == 0x1000 and f["http2.window_update.r"] == "0x80000000"
    p, f = decode(PING, ACK, b"abcdefgh", stream=0)
    assert f["http2.pong"] == b"abcdefgh" and "http2.ping" not in f
    p, f = decode(0xEE, 0, b"??", stream=0)
    assert f["http2.unknown"] == b"??" and fr.type_name(0xEE) == "Unknown type (238)"


# -- HPACK, fragment by fragment ---------------------------------------------------------------------------
def test_block_cut_at_every_byte_decodes_the_same():
    headers = request_headers("/x?y=1", cookie="c=1") + [hpack.NeverIndexedHeaderTuple("authorization", "s3cr3t")]
    block = hpack.Encoder().encode(headers)
    whole, error = BlockDecoder().feed(block, True)
    assert error is None
    assert [(f.name.decode(), f.value.decode()) for f in whole] == [(n, v) for n, v in headers]
    assert whole[0].kind == INDEXED and whole[0].index == 2                      # :method GET is static 2
    assert (whole[-1].kind, whole[-1].index) == (NEVER_INDEXED_INDEXED_NAME, 23)    # static 23: authorization
    for cut in range(1, len(block)):
        d = BlockDecoder()
        first, e1 = d.feed(block[:cut], False)
        rest, e2 = d.feed(block[cut:], True)
        assert e1 is None and e2 is None
        assert first + rest == whole


def test_dynamic_table_is_shared_across_blocks():
    enc, dec = hpack.Encoder(), BlockDecoder()
    one, _ = dec.feed(enc.encode([("x-custom", "value-1")]), True)
    two, _ = dec.feed(enc.encode([("x-custom", "value-1")]), True)
    assert (one[0].kind, one[0].index) == (INCREMENTAL_NEW_NAME, None)
    assert two[0].kind == INDEXED and two[0].index == 62                         # first dynamic entry
    assert two[0].value == b"value-1"


def test_size_update_and_errors():
    dec = BlockDecoder()
    got, err = dec.feed(b"\x3f\xe1\x1f" + b"\x82", True)                        # size update to 4096, :method GET
    assert err is None and got[0] == SizeUpdate(4096, 3) and isinstance(got[1], Field)
    dec = BlockDecoder()
    got, err = dec.feed(b"\x82\xff\x7f", True)                                   # index 254: no such entry
    assert [f.value for f in got] == [b"GET"] and "invalid table index" in err
    later, err2 = dec.feed(b"\x82", True)
    assert later == [] and "lost earlier" in err2
    got, err = BlockDecoder().feed(b"\x82\x40\x05ab", True)                      # ends inside a literal
    assert "ends inside a field representation" in err
    got, err = BlockDecoder().feed(b"\x82\x3f\xe1\x1f", True)                    # size update after a field
    assert "after a header field" in err
    got, err = BlockDecoder().feed(b"\x40\xff\xff\xff\xff\x7f", True)            # a 2^35-byte name
    assert "integer encoding longer" in err or "bytes (over" in err
    got, err = BlockDecoder().feed(b"\x3f\xe1\xff\x03", True)                   # table bigger than allowed
    assert "table size" in err


def test_random_blocks_never_raise():
    rng = random.Random(11)
    for _ in range(300):
        dec = BlockDecoder()
        for _ in range(3):
            blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60)))
            got, err = dec.feed(blob, rng.random() < 0.7)
            assert isinstance(got, list) and (err is None or isinstance(err, str))


# -- the connection --------------------------------------------------------------------------------------
def conversation() -> list[tuple[int, bytes]]:
    p = craft.Peer()
    css = b"p { color: red }\n" * 30
    block = p.block(0, request_headers("/a"))
    return [
        (0, PREFACE + frame(SETTINGS, 0, 0, settings((4, 1000)))),
        (1, frame(SETTINGS, 0, 0) + frame(SETTINGS, ACK, 0)),
        (0, frame(HEADERS, END_STREAM | PADDED, 1, padded(block[:9], 2))
         + frame(CONTINUATION, END_HEADERS, 1, block[9:])),
        (1, frame(HEADERS, END_HEADERS, 1, p.block(1, [(":status", "200"), ("content-type", "text/css")]))
         + frame(DATA, 0, 1, css[:500]) + frame(DATA, END_STREAM | PADDED, 1, padded(css[500:], 7))),
    ]


def run(chunks, split=None) -> tuple[list, Http2Connection]:
    conn = Http2Connection(client_direction=0)
    frames = []
    n = 0
    for direction, data in chunks:
        pieces = [data] if split is None else [data[i:i + split] for i in range(0, len(data), split)]
        for piece in pieces:
            n += 1
            frames += conn.receive_data(direction, piece, n, n * 1000)
    conn.close()
    return frames, conn


def _summary(frames):
    """What must not depend on how the bytes were cut (frame numbers do: each piece is its own frame)."""
    return [(f.direction, f.info, sorted((k, str(v)) for k, v in f.fields.items() if k != "http2.body.fragment"),
             f.notes) for f in frames]


def test_whole_or_byte_by_byte_gives_the_same_frames():
    chunks = conversation()
    whole, c1 = run(chunks)
    ones, c2 = run(chunks, split=1)
    assert _summary(whole) == _summary(ones)
    t1, t2 = c1.take(), c2.take()
    assert [r.transaction.response_body.data for r in t1] == [r.transaction.response_body.data for r in t2]
    assert t1[0].transaction.response_body.data == b"p { color: red }\n" * 30


def test_a_frame_waits_for_its_last_byte():
    conn = Http2Connection(client_direction=0)
    wire = PREFACE + frame(PING, 0, 0, b"12345678")
    assert [f.info for f in conn.receive_data(0, wire[:-1], 1, 1)] == ["Magic"]
    assert [f.info for f in conn.receive_data(0, wire[-1:], 2, 2)] == ["PING[0]"]


def test_lying_length_holds_no_memory():
    conn = Http2Connection(client_direction=0)
    conn.receive_data(0, PREFACE, 1, 1)
    conn.receive_data(1, b"\xff\xff\xff\x00\x00\x00\x00\x00\x01", 2, 2)
    for i in range(100):
        conn.receive_data(1, b"z" * 10_000, 3 + i, 3 + i)
    r = conn.readers[1]
    assert len(r.buf) == 0 and r.skip == 0xFFFFFF - 1_000_000             # passed through, not held
    assert MAX_FRAME_HELD < 0xFFFFFF


def test_gap_inside_a_frame_and_gap_between_frames():
    conn = Http2Connection(client_direction=0)
    conn.receive_data(0, PREFACE, 1, 1)
    wire = frame(DATA, 0, 1, b"a" * 1000) + frame(PING, 0, 0, b"12345678")
    conn.receive_data(1, wire[:400], 2, 2)
    assert conn.receive_gap(1, 300) == []
    frames = conn.receive_data(1, wire[700:], 3, 3)
    assert [(f.info, f.lost) for f in frames] == [("DATA[1]", 300), ("PING[0]", 0)]
    conn.receive_gap(1, 5)                                                # between frames: framing lost
    assert conn.readers[1].lost and conn.receive_data(1, frame(PING, 0, 0, b"x" * 8), 4, 4) == []


def test_garbage_after_the_preface_never_raises():
    rng = random.Random(5)
    for _ in range(200):
        conn = Http2Connection(client_direction=0)
        conn.receive_data(0, PREFACE, 1, 1)
        for i in range(8):
            blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
            conn.receive_data(rng.randrange(2), blob, i, i)
            if rng.random() < 0.2:
                conn.receive_gap(rng.randrange(2), rng.randrange(1, 50))
        conn.close()
        conn.take()


def test_flow_control_stall_and_reopen():
    conn = Http2Connection(client_direction=0)
    conn.receive_data(0, PREFACE + frame(SETTINGS, 0, 0, settings((4, 100))), 1, 10)
    p = craft.Peer()
    conn.receive_data(0, frame(HEADERS, END_STREAM | END_HEADERS, 1, p.block(0, request_headers("/"))), 2, 20)
    conn.receive_data(1, frame(HEADERS, END_HEADERS, 1, p.block(1, [(":status", "200")]))
                      + frame(DATA, 0, 1, b"x" * 100), 3, 30)
    conn.receive_data(0, frame(WINDOW_UPDATE, 0, 1, struct.pack("!I", 100)), 4, 40)
    frames = conn.receive_data(1, frame(DATA, END_STREAM, 1, b"y" * 150), 5, 50)
    [stall] = conn.stalls
    assert (stall.sender, stall.stream, stall.frame, stall.reopened_frame) == ("server", 1, 3, 4)
    assert any("beyond stream 1's flow-control window (by 50 bytes" in t for _s, t in frames[0].notes)


# -- whole captures ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    return craft.build(tmp_path_factory.mktemp("h2bad"))


def _http2_frames(packets):
    return [layer.frame for pkt in packets for layer in pkt.layers if layer.name == "http2"]


def test_malformed_frames_are_flagged_and_the_next_ones_decode(crafted):
    packets, tx = run_capture(crafted["h2_bad"])
    frames = _http2_frames(packets)
    malformed = [f.malformed for f in frames if f.malformed]
    assert len(malformed) == 3                       # short RST_STREAM, SETTINGS of 5 bytes, padding too long
    notes = [text for f in frames for _sev, text in f.notes]
    assert any("increment of 0" in t for t in notes)
    assert [r.transaction.response.status for r in tx.http.records] == [200]
    from analyzer.apps.http2 import info_text

    [bad] = [p for p in packets if "Malformed" in info_text(p)]
    assert info_text(bad) == ("RST_STREAM[1][Malformed Packet], SETTINGS[0][Malformed Packet], WINDOW_UPDATE[0], "
                              "DATA[0][Malformed Packet], HEADERS[1]: GET /ok")      # tshark's Info for frame 7


def test_huge_header_block_is_not_kept(crafted):
    _packets, tx = run_capture(crafted["h2_huge_header"])
    [record] = tx.http.records
    req = record.transaction.request
    assert not req.headers_complete and len(req.headers) < 400
    assert record.transaction.reason.startswith("header block over")
    assert record.transaction.response.status == 431          # the table stayed in step: the reply decodes


def test_garbage_and_lying_length_captures(crafted):
    for name in ("h2_garbage", "h2_lying_length"):
        packets, _tx = run_capture(crafted[name])
        assert any(layer.name == "http2" for p in packets for layer in p.layers)


def test_memory_per_connection_is_bounded():
    """Streams opened and never closed stop being followed at MAX_STREAMS; closed ones are forgotten (their
    ids at most MAX_CLOSED_REMEMBERED); bodies are cut at the connection's budget."""
    from analyzer.apps.http2.connection import MAX_CLOSED_REMEMBERED, MAX_STREAMS

    conn = Http2Connection(client_direction=0, body_limit=1000, budget=5000)
    p = craft.Peer()
    conn.receive_data(0, PREFACE, 1, 1)
    for i in range(MAX_STREAMS + 200):
        sid = 2 * i + 1
        conn.receive_data(0, frame(HEADERS, END_HEADERS, sid, p.block(0, request_headers("/up", "POST")))
                          + frame(DATA, 0, sid, b"x" * 100), 2 + i, 2 + i)
    assert len(conn.streams) == MAX_STREAMS
    assert sum(len(s.request.body.raw) for s in conn.streams.values()) <= 5000        # the budget
    for i in range(MAX_STREAMS):
        conn.receive_data(0, frame(RST_STREAM, 0, 2 * i + 1, struct.pack("!I", 8)), 5000 + i, 5000 + i)
    assert conn.streams == {} and len(conn.closed) <= MAX_CLOSED_REMEMBERED
    assert len(conn.take()) == MAX_STREAMS
