"""One semantics for the timeline's collector (analyzer.timeline.collect): its header paths (a TCP segment in a
common shape is read from its headers and handed to the tracker with its payload, never decoded; a whole DNS
message over UDP is parsed and paired without the decoder's fields; an Ethernet ARP for IPv4 is read from its
bytes) give the timeline that decoding every frame through ``Pipeline.feed`` gives (the header paths turned
off: every frame goes through ``Collector._full``). Compared on every capture in captures/ and ../shared/corpus and on damaged
copies (tests/mutants.py): the fetches as ``timeline --json`` prints them (steps, frames cited, ladder, bytes),
in both languages, with bodies kept (what ``har`` and ``report`` read)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.apps.tls import parse_keylog
from analyzer.capture import open_capture
from analyzer.timeline import collect, timeline
from analyzer.timeline.collect import Collector

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
CAPTURES = sorted((REPO / "captures").glob("*.pcap*"))
CORPUS_FILES = sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else []
MUTATED = ["lab_page_fetch.pcapng", "lab_ipv6_page_fetch.pcapng", "lab_lossy_fetch_retransmissions.pcapng"]
MAX_FRAMES = 20_000         # a larger corpus file is compared on its first frames (each test stays short)


def _frames(path: Path) -> list:
    out = []
    with open_capture(path) as reader:
        for frame in reader:
            out.append(frame)
            if len(out) >= MAX_FRAMES:
                break
    return out


def _keylog(path: Path):
    keys = path.with_suffix(".keys")
    return parse_keylog(keys.read_bytes()) if keys.exists() else None


def _fetches(frames: list, keylog, lang: str = "en", keep_bodies: bool = True) -> list:
    return [f.as_dict() for f in timeline(frames, lang, keep_bodies=keep_bodies, keylog=keylog).fetches]


def _full_only(m) -> None:
    """Every frame decoded (Collector._full): the header paths turned off; the HTTP heads' raw lines
    kept; every HTTP body handed out."""
    m.setattr(Collector, "_tcp", lambda self, *args: False)
    m.setattr(Collector, "_dns_quick", lambda self, *args: False)
    m.setattr(Collector, "_arp_quick", lambda self, *args: False)
    m.setattr(collect, "KEEP_HTTP_LINES", True)     # the HTTP heads' raw lines kept, as for fields
    m.setattr(collect, "COUNT_BODIES", False)       # every body handed out, chunk by chunk
    m.setattr(collect, "TAKE_BODIES", False)        # ... as Data events


def _same(path: Path, monkeypatch, langs: tuple[str, ...] = ("en",)) -> None:
    frames = _frames(path)
    keylog = _keylog(path)
    # with bodies kept (har, report) and without (timeline: only HTML bodies stored, the others counted)
    kinds = [(lang, keep) for lang in langs for keep in (True, False)]
    fast = {k: _fetches(frames, keylog, *k) for k in kinds}
    with monkeypatch.context() as m:
        _full_only(m)
        full = {k: _fetches(frames, keylog, *k) for k in kinds}
    for k in kinds:
        assert fast[k] == full[k], f"{path.name} ({k}): the header path's fetches differ"


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_captures(path, monkeypatch):
    _same(path, monkeypatch, ("en", "zh"))


@pytest.mark.skipif(not CORPUS_FILES, reason=f"corpus folder {CORPUS} not present")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus(path, monkeypatch):
    _same(path, monkeypatch)


@pytest.mark.parametrize("name", MUTATED)
def test_mutated(tmp_path, name, monkeypatch):
    from mutants import mutated_pcaps

    for path in mutated_pcaps(name, tmp_path):
        _same(path, monkeypatch)


@pytest.mark.skipif(not (CORPUS / "http_keepalive_vlan_11_requests.pcap").exists(), reason="corpus file missing")
def test_vlan_tagged_client_has_its_next_hop_mac():
    """Ethernet with an 802.1Q tag: the client's next hop is the destination MAC of its first frame, as on an
    untagged link (tshark -r http_keepalive_vlan_11_requests.pcap -c 1 -T fields -e eth.dst -e vlan.id:
    00:16:47:9d:f2:c2, VLAN 120). The header path once left it unknown for tagged frames."""
    path = CORPUS / "http_keepalive_vlan_11_requests.pcap"
    fetch = timeline(_frames(path)).fetches[0]
    arp = next(s for s in fetch.as_dict()["steps"] if s["layer"] == "arp")
    # (the file holds no ARP packet at all: "arp.none.cached.none" says the capture may have left ARP out)
    assert arp["kind"].startswith("arp.none.cached") and arp["facts"]["mac"] == "00:16:47:9d:f2:c2"


@pytest.mark.parametrize("rule", ["udp.port==53,mdns", "udp.port==53,http"])
def test_decode_as_keeps_dns_off_the_header_path(rule, monkeypatch):
    """A Decode As rule that reads port 53 as something else (mDNS, HTTP over UDP) sends those datagrams to
    the decoder: both paths give the same fetches, and the rule changes them (the lookups the default shows
    are gone)."""
    from analyzer.decode.decode_as import decoding_as

    path = REPO / "captures" / "lab_dns_mix.pcapng"
    frames = _frames(path)
    plain = _fetches(frames, None)
    with decoding_as([rule]):
        fast = _fetches(frames, None)
        with monkeypatch.context() as m:
            _full_only(m)
            full = _fetches(frames, None)
    assert fast == full
    assert fast != plain


def test_dns_and_arp_frames_skip_the_decoder(monkeypatch):
    """The header paths are taken: on lab_page_fetch.pcapng (Ethernet, IPv4; its DNS over UDP and its ARP
    request/reply: ``tshark -r lab_page_fetch.pcapng -Y 'dns or arp'`` lists frames 1-4) none reaches
    Collector._full."""
    path = REPO / "captures" / "lab_page_fetch.pcapng"
    decoded = []
    full = Collector._full

    def spy(self, frame):
        decoded.append(frame.number)
        return full(self, frame)

    monkeypatch.setattr(Collector, "_full", spy)
    frames = _frames(path)
    timeline(frames)
    others = [f.number for f in frames if f.data[12:14] == b"\x08\x06" or (len(f.data) > 23 and f.data[23] == 17)]
    assert others == [1, 2, 3, 4] and not set(others) & set(decoded)


@pytest.mark.skipif(not (CORPUS / "dns_tcp_query_handshake_teardown.pcap").exists(), reason="corpus file missing")
def test_decode_as_dns_over_tcp_on_another_port(tmp_path, monkeypatch):
    """dns_tcp_query_handshake_teardown with port 53 rewritten to 8053 and read with ``-d tcp.port==8053,dns``:
    tshark (with the same rule) sees the query in frame 4 and the answer in frame 6; the timeline's header path
    read those segments as a plain connection (it knew only port 53), so no lookup was told."""
    import shutil
    import struct
    import subprocess

    from analyzer.decode.decode_as import decoding_as

    data = bytearray((CORPUS / "dns_tcp_query_handshake_teardown.pcap").read_bytes())
    e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    pos = 24
    while pos + 16 <= len(data):                  # Ethernet, IPv4, TCP: the ports 53 become 8053
        cap = struct.unpack(e + "I", data[pos + 8:pos + 12])[0]
        ip = pos + 16 + 14
        if data[ip] >> 4 == 4 and data[ip + 9] == 6:
            t = ip + (data[ip] & 15) * 4
            for k in (t, t + 2):
                if data[k:k + 2] == b"\x00\x35":
                    data[k:k + 2] = struct.pack(">H", 8053)
        pos += 16 + cap
    path = tmp_path / "dns8053.pcap"
    path.write_bytes(bytes(data))
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run([tshark, "-r", str(path), "-d", "tcp.port==8053,dns", "-Y", "dns", "-T", "fields",
                          "-e", "frame.number", "-e", "dns.flags.response", "-e", "dns.qry.name"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    (query,) = [int(r[0]) for r in rows if r[1] in ("0", "False")]
    (answer,) = [int(r[0]) for r in rows if r[1] in ("1", "True")]
    frames = _frames(path)
    with decoding_as(["tcp.port==8053,dns"]):
        fast = _fetches(frames, None)
        with monkeypatch.context() as m:
            _full_only(m)
            full = _fetches(frames, None)
    assert fast == full
    (fetch,) = fast
    (lookup,) = fetch["lookups"]
    assert lookup["qname"].rstrip(".") == rows[0][2] and lookup["transport"] == "tcp"
    assert (lookup["query_frame"], lookup["response_frame"]) == (query, answer)


def test_non_html_bodies_are_counted(monkeypatch):
    """Without bodies kept, a chunk inside a non-HTML body of known length is counted (no Data event), and
    only then: lab_page_fetch.pcapng's last response (``tshark -r lab_page_fetch.pcapng -Y http.response -T
    fields -e frame.number -e http.content_type -e http.content_length``: text/html (524 bytes), text/css,
    text/javascript, then image/png, 2,830 bytes, the only body longer than a segment)."""
    from analyzer.apps.http.parser import HttpStreamParser

    counted = []
    count_body = HttpStreamParser.count_body

    def spy(self, *args):
        got = count_body(self, *args)
        counted.append(got)
        return got

    monkeypatch.setattr(HttpStreamParser, "count_body", spy)
    frames = _frames(REPO / "captures" / "lab_page_fetch.pcapng")
    _fetches(frames, None, keep_bodies=False)
    assert any(counted)
    counted.clear()
    _fetches(frames, None, keep_bodies=True)
    assert not any(counted)
    monkeypatch.setattr(collect, "COUNT_BODIES", False)
    _fetches(frames, None, keep_bodies=False)
    assert not any(counted)
