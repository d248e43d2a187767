"""The compiled decode of the commonest frames (``analyzer.columnar._speedups.decode_fast``, which
``decode.packet.decode`` runs first) makes the Packet the Python decoders make: the same layers (names, offsets,
lengths), the same fields in the same order with the same values and types, the same notes, failure and payload,
on every frame of the captures, the corpus and synthetic web traffic (pcap and pcapng). It declines (None) at
each of its checks: a frame damaged just there is not taken, and decode() (the Python) still gives what the
decoders give; the undamaged neighbour is taken. read --json's lines are the same with and without it."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import synthetic

from analyzer.capture.frame import Frame
from analyzer.compiled import compiled
from analyzer.decode import packet
from analyzer.decode.checksum import internet_checksum

fast = compiled("decode_fast")
pytestmark = pytest.mark.skipif(fast is None, reason="the compiled helper (with decode_fast) is not built")
REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
packet._dispatch or packet._load_dispatch()     # sets packet._FAST, which _python() takes away for a while
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])


def _shape(pkt) -> tuple:
    """Everything of a Packet an output can read, values by repr (True is not 1, "80" is not 80)."""
    return ([(layer.name, layer.offset, layer.length, [(k, repr(v)) for k, v in layer.fields.items()])
             for layer in pkt.layers],
            repr(pkt.failure), list(pkt.notes), pkt.payload, pkt.frame)


def _python(frame, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(packet, "_FAST", None)
        return packet.decode(frame)


def _same(frame, monkeypatch) -> bool:
    """decode() with and without the helper agree; True when the helper took the frame."""
    want = _shape(_python(frame, monkeypatch))
    got = packet.decode(frame)
    assert packet._FAST is not None
    assert _shape(got) == want
    return fast(frame) is not None


def test_captures_corpus_and_synthetic(tmp_path, monkeypatch):
    import analyzer

    pcap = tmp_path / "s.pcap"
    synthetic.generate(pcap, 3_000, seed=29, clients=40, sites=30)
    taken = total = 0
    for p in [*FILES, pcap]:
        with analyzer.open([str(p)]).open() as reader:
            for frame in reader:
                total += 1
                taken += _same(frame, monkeypatch)
    assert total > 5_000 and taken > 0.5 * total


# -- frames built here, damaged at each check ----------------------------------------------------------------
MAC = bytes.fromhex("0a0000000001" "0a0000000002")
SRC, DST = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])


def _ip(proto: int, payload: bytes, *, vhl=0x45, total=None, frag=0x4000, ck_fix=0, options=b"") -> bytes:
    total = 20 + len(options) + len(payload) if total is None else total
    head = struct.pack("!BBHHHBBH4s4s", vhl, 0, total, 0x1234, frag, 64, proto, 0, SRC, DST) + options
    ck = (internet_checksum(head) + ck_fix) & 0xFFFF
    return head[:10] + struct.pack("!H", ck) + head[12:] + payload


def _pseudo(proto: int, length: int) -> bytes:
    return SRC + DST + struct.pack("!BBH", 0, proto, length)


def _tcp(payload=b"GET / HTTP/1.1\r\n\r\n", *, flags=0x18, options=b"\x01\x01\x08\x0a" + bytes(range(8)),
         hdr_words=None, ck_fix=0, sport=40000, dport=80) -> bytes:
    words = (20 + len(options)) // 4 if hdr_words is None else hdr_words
    head = struct.pack("!HHIIBBHHH", sport, dport, 1000, 2000, words << 4 | flags >> 8, flags & 0xFF, 512, 0, 0)
    seg = head + options + payload
    ck = (internet_checksum(_pseudo(6, len(seg)) + seg) + ck_fix) & 0xFFFF
    return seg[:16] + struct.pack("!H", ck) + seg[18:]


SYN_OPTS = b"\x02\x04\x05\xb4\x04\x02\x08\x0a" + bytes(range(8)) + b"\x01\x03\x03\x07"


def _udp(payload=None, *, length=None, ck=None, ck_fix=0, sport=53000, dport=53) -> bytes:
    if payload is None:   # a DNS query for example.com, A
        payload = bytes.fromhex("abcd01000001000000000000") + b"\x07example\x03com\x00" + b"\x00\x01\x00\x01"
    length = 8 + len(payload) if length is None else length
    dgram = struct.pack("!HHHH", sport, dport, length, 0) + payload
    if ck is None:
        ck = (internet_checksum(_pseudo(17, length) + dgram[:length]) + ck_fix) & 0xFFFF
    return dgram[:6] + struct.pack("!H", ck) + dgram[8:]


def _frame(l3: bytes, *, etype=0x0800, pad=b"", ts=1_700_000_000_123_456_789, iface=None, iface_name=None,
           linktype=1) -> Frame:
    data = MAC + struct.pack("!H", etype) + l3 + pad
    return Frame(7, ts, len(data), iface, linktype, data, iface_name)


GOOD = {
    "tcp with timestamps and a payload": _frame(_ip(6, _tcp())),
    "tcp, no options, no payload": _frame(_ip(6, _tcp(b"", flags=0x10, options=b""))),
    "tcp to port 53 (its decoder runs after)": _frame(_ip(6, _tcp(b"\x00\x1d" + _udp()[8:], dport=53))),
    "tcp a new flags value": _frame(_ip(6, _tcp(b"", flags=0xFC1, options=b""))),
    "udp dns": _frame(_ip(17, _udp())),
    "udp, checksum 0": _frame(_ip(17, _udp(ck=0))),
    "udp, no payload": _frame(_ip(17, _udp(b"", dport=9999))),
    "udp, odd length": _frame(_ip(17, _udp(b"abc", dport=9999))),
    "udp shorter than the datagram": _frame(_ip(17, _udp(b"abcd", length=10, dport=9999))),
    "ethernet padding": _frame(_ip(17, _udp(b"x", dport=9999)), pad=bytes(20)),
    "pcapng interface without a name": _frame(_ip(6, _tcp()), iface=0),
    "pcapng interface named": _frame(_ip(6, _tcp()), iface=2, iface_name="eth1"),
    "pcapng interface named ''": _frame(_ip(6, _tcp()), iface=1, iface_name=""),
    "ip reserved bit, no DF": _frame(_ip(6, _tcp(), frag=0x8000)),
    "ts 0": _frame(_ip(6, _tcp()), ts=0),
    "syn options": _frame(_ip(6, _tcp(b"", flags=0x002, options=SYN_OPTS))),
    "syn-ack options": _frame(_ip(6, _tcp(b"", flags=0x012, options=b"\x02\x04\x05\xb4\x01\x01\x04\x02\x01\x03\x03\x07"))),
    "mss then eol padding": _frame(_ip(6, _tcp(b"", flags=0x002, options=b"\x02\x04\x05\xb4\x00\x00\x00\x00"))),
    "eol alone": _frame(_ip(6, _tcp(b"", options=b"\x00\x00\x00\x00"))),
    "nops only": _frame(_ip(6, _tcp(b"", options=b"\x01\x01\x01\x01"))),
    "timestamps not after two nops": _frame(_ip(6, _tcp(options=b"\x08\x0a" + bytes(range(8)) + b"\x01\x01"))),
    "tcp option mss alone": _frame(_ip(6, _tcp(options=b"\x02\x04\x05\xb4"))),
    "nop nop ts, then nops and eol (16 bytes)": _frame(_ip(6, _tcp(options=b"\x01\x01\x08\x0a" + bytes(8) + b"\x01\x01\x01\x00"))),
    "window scale 14": _frame(_ip(6, _tcp(b"", flags=0x002, options=b"\x01\x03\x03\x0e"))),
}

DAMAGED = {
    "etype ipv6": _frame(_ip(6, _tcp()), etype=0x86DD),
    "etype arp": _frame(_ip(6, _tcp()), etype=0x0806),
    "etype vlan": _frame(_ip(6, _tcp()), etype=0x8100),
    "802.3 length": _frame(_ip(6, _tcp()), etype=0x0100),
    "ip version 6": _frame(_ip(6, _tcp(), vhl=0x65)),
    "ip version 5": _frame(_ip(6, _tcp(), vhl=0x55)),
    "ip header length 16": _frame(_ip(6, _tcp(), vhl=0x44)),
    "ip options": _frame(_ip(6, _tcp(), vhl=0x46, options=b"\x01\x01\x01\x00")),
    "ip total 0 (TSO)": _frame(_ip(6, _tcp(), total=0)),
    "ip total below header": _frame(_ip(6, _tcp(), total=19)),
    "ip total past the frame": _frame(_ip(6, _tcp(), total=200)),
    "ip more fragments": _frame(_ip(6, _tcp(), frag=0x2000)),
    "ip fragment offset": _frame(_ip(6, _tcp(), frag=0x0001)),
    "ip checksum bad": _frame(_ip(6, _tcp(), ck_fix=1)),
    "ip proto icmp": _frame(_ip(1, b"\x08\x00\xf7\xff\x00\x00\x00\x00")),
    "ip proto 99": _frame(_ip(99, b"abcdefgh")),
    "tcp header length 16": _frame(_ip(6, _tcp(hdr_words=4))),
    "tcp header past the segment": _frame(_ip(6, _tcp(b"", options=b"", hdr_words=15))),
    "tcp options 12 bytes not nop nop ts": _frame(_ip(6, _tcp(options=b"\x01\x01\x05\x0a" + bytes(8)))),
    "tcp checksum bad": _frame(_ip(6, _tcp(ck_fix=1))),
    "syn options, checksum bad": _frame(_ip(6, _tcp(b"", flags=0x002, options=SYN_OPTS, ck_fix=1))),
    "option eol, then not zero": _frame(_ip(6, _tcp(b"", options=b"\x02\x04\x05\xb4\x00\x01\x00\x00"))),
    "option length 1": _frame(_ip(6, _tcp(b"", options=b"\x01\x01\x02\x01"))),
    "option length 0": _frame(_ip(6, _tcp(b"", options=b"\x02\x00\x01\x01"))),
    "option past the header": _frame(_ip(6, _tcp(b"", options=b"\x01\x01\x02\x04"))),
    "option kind last, no length": _frame(_ip(6, _tcp(b"", options=b"\x01\x01\x01\x02"))),
    "mss length 5": _frame(_ip(6, _tcp(b"", options=b"\x02\x05\x05\xb4\x00\x01\x01\x01"))),
    "window scale 15": _frame(_ip(6, _tcp(b"", flags=0x002, options=b"\x01\x03\x03\x0f"))),
    "sack": _frame(_ip(6, _tcp(b"", options=b"\x01\x01\x05\x0a" + bytes(range(8)) + b"\x01\x01\x01\x01"))),
    "mss twice": _frame(_ip(6, _tcp(b"", options=b"\x02\x04\x05\xb4\x02\x04\x05\xb4"))),
    "kind 30 (multipath)": _frame(_ip(6, _tcp(b"", options=b"\x1e\x04\x00\x00"))),
    "kind 99 (unknown)": _frame(_ip(6, _tcp(b"", options=b"\x63\x04\x00\x00"))),
    "tcp shorter than 20": _frame(_ip(6, _tcp()[:12])),
    "udp length 7": _frame(_ip(17, _udp(length=7))),
    "udp length past the datagram": _frame(_ip(17, _udp(length=200))),
    "udp checksum bad": _frame(_ip(17, _udp(ck_fix=1))),
    "udp shorter than 8": _frame(_ip(17, b"\x00\x35\x00\x35")),
    "negative ts": _frame(_ip(6, _tcp()), ts=-5),
    "linktype raw": _frame(_ip(6, _tcp()), linktype=101),
    "frame too short": _frame(b"\x45\x00\x00\x14"),
}
_whole = _frame(_ip(6, _tcp()))
DAMAGED["cut by snaplen"] = Frame(7, _whole.ts_ns, _whole.origlen, None, 1, _whole.data[:-4])
DAMAGED["wire shorter than the datagram"] = Frame(7, _whole.ts_ns, _whole.origlen - 2, None, 1, _whole.data)
DAMAGED["caplen not len(data)"] = _frame(_ip(6, _tcp()))
DAMAGED["caplen not len(data)"].caplen -= 1


class _Bytes(bytes):
    pass


DAMAGED["data not exactly bytes"] = Frame(7, _whole.ts_ns, _whole.origlen, None, 1, _Bytes(_whole.data))


@pytest.mark.parametrize("name", sorted(GOOD))
def test_taken(name, monkeypatch):
    assert _same(GOOD[name], monkeypatch), name


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_declined(name, monkeypatch):
    frame = DAMAGED[name]
    assert fast(frame) is None
    assert _shape(packet.decode(frame)) == _shape(_python(frame, monkeypatch))


def test_the_payload_decoder_runs(monkeypatch):
    """A DNS payload over UDP and over TCP/53: decode() runs the port's decoder after the compiled layers."""
    for frame in (GOOD["udp dns"], GOOD["tcp to port 53 (its decoder runs after)"]):
        got = fast(frame)
        assert type(got) is tuple and got[1] in ("udp.port", "tcp.port")
        pkt = packet.decode(frame)
        assert [layer.name for layer in pkt.layers][-1] == "dns"
        assert pkt.fields["dns.qry.name"] == "example.com"


def test_read_json_with_and_without(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from analyzer.cli.main import main

    path = tmp_path / "s.pcap"
    synthetic.generate(path, 1_500, seed=31, clients=20, sites=10)
    runner = CliRunner()
    args = ["read", "--json", str(path)]
    with_fast = runner.invoke(main, args)
    with monkeypatch.context() as m:
        m.setattr(packet, "_FAST", None)
        without = runner.invoke(main, args)
    assert with_fast.exit_code == 0 and without.exit_code == 0
    assert with_fast.stdout_bytes == without.stdout_bytes and with_fast.stdout_bytes.count(b"\n") == 1_500


# -- Packet.fields' flattening in C (``_speedups.flat_fields``) --------------------------------------------------
flat = compiled("flat_fields")


def _merged_py(pkt) -> dict:
    """Packet.fields without the helper (the Python's update loop, or its merge where a name repeats)."""
    saved, packet._FLAT = packet._FLAT, None
    try:
        pkt._flat = None
        return pkt.fields
    finally:
        packet._FLAT = saved
        pkt._flat = None


def test_flat_fields_on_analysed_packets(tmp_path):
    """Every analysed packet (its http, dns, tls layers too) of captures, corpus and synthetic traffic: the
    helper's dict is the Python's, key order and values, or None exactly where a field name repeats."""
    import analyzer
    from analyzer.api.packets import analyze

    pcap = tmp_path / "s.pcap"
    synthetic.generate(pcap, 2_000, seed=37, clients=30, sites=20)
    taken = repeated = 0
    for p in [*FILES, pcap]:
        with analyzer.open([str(p)]).open() as reader:
            for pkt in analyze(reader):
                want = _merged_py(pkt)
                got = flat(pkt.layers)
                names = [k for layer in pkt.layers for k in layer.fields]
                if len(names) != len(set(names)):
                    repeated += 1
                    assert got is None
                else:
                    taken += 1
                    assert got is not None and list(got.items()) == list(want.items())
                    assert pkt.fields == want
    assert taken > 4_000 and repeated > 0


def test_flat_fields_declines():
    frame = GOOD["tcp with timestamps and a payload"]
    pkt = packet.decode(frame)
    assert flat(pkt.layers) is not None and list(flat(pkt.layers).items()) == list(_merged_py(pkt).items())

    class Fields(dict):
        pass

    for damage in ("repeat", "not a dict", "dict subclass", "not a layer", "not a list"):
        pkt = packet.decode(frame)
        layers = pkt.layers
        if damage == "repeat":
            layers[2].fields["tcp.len"] = 5
        elif damage == "not a dict":
            layers[1].fields = list(layers[1].fields.items())
        elif damage == "dict subclass":
            layers[1].fields = Fields(layers[1].fields)
        elif damage == "not a layer":
            layers.append(object())
        else:
            layers = tuple(layers)
        assert flat(layers) is None, damage
    pkt = packet.decode(frame)
    pkt.layers[2].fields["tcp.len"] = 5
    assert pkt.fields["tcp.len"] == [5, pkt.layers[3].fields["tcp.len"]]     # the Python's merge
