"""Seed inputs of each fuzz target, made from the captures the project ships (``captures/``), small crafted
captures (:mod:`fuzz.adversarial`, a gzip-compressed and a cut copy), the real-world corpus when it is beside
the repository (``../shared/corpus``, files up to 64 KB), and the regression inputs (``fuzz/regressions``)."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CAPTURES = REPO / "captures"
CORPUS = REPO.parent / "shared" / "corpus"
REGRESSIONS = HERE / "regressions"
MAX_SEED = 64 * 1024

# Display filters: the language's every construct, and shapes that once escaped as other errors.
FILTERS = (
    "tcp", "udp and not dns", "ip.addr == 10.0.0.0/8", "tcp.port in {80, 443, 8000..8080}",
    'http.request.uri contains "css"', "not arp and frame.len > 100", "tcp.analysis.retransmission",
    "tcp.flags.syn == 1 && tcp.flags.ack == 0", "dns.qry.name matches \"^www\\\\.\"", "eth.src[0:3] == 00:11:22",
    "len(http.host) > 3", "count(dns.a) >= 2", "upper(http.request.method) == \"GET\"", "tcp.flags & 0x12",
    "ip.src != 192.0.2.1", "ipv6.addr == fe80::/10", "frame.time_relative >= 0.5", "any tcp.port == 80",
    "all ip.addr == 10.0.0.1", "dns.flags.response == 1 ^^ dns.flags.rcode != 0", "tcp.stream eq 1",
    "http.response.code in {200 301..304}", "!(tcp || udp)", "ip.checksum.status == \"Good\"",
    "frame.time >= \"2012-11-07 10:00:53\"", "tcp.payload contains 47:45:54", "dns.qry.type == 28",
    "'a' in {tcp.len}", "ip.ttl < 65 and ip.ttl > 10", "(" * 8 + "tcp" + ")" * 8,
    " or ".join(["tcp.port == 80"] * 20), "frame.time_relative in {1e3}", 'http.host == "\\x41\\101"',
)


TLS_FIXTURES = REPO / "tests" / "fixtures" / "tls"
QUIC_FIXTURES = REPO / "tests" / "fixtures" / "quic"       # HTTP/3 recordings: Initials the decoder opens


def capture_files() -> Iterator[Path]:
    yield from sorted(CAPTURES.glob("*.pcap*"))
    yield from sorted(TLS_FIXTURES.glob("*.pcap*"))
    yield from sorted(QUIC_FIXTURES.glob("*.pcap*"))
    if CORPUS.is_dir():
        yield from sorted(p for p in CORPUS.iterdir() if p.is_file() and p.stat().st_size <= MAX_SEED
                          and p.suffix in (".pcap", ".pcapng", ".cap", ".gz"))


def _crafted() -> Iterator[bytes]:
    from fuzz.adversarial import CASES, pcap_bytes

    for name, build in CASES.items():
        yield pcap_bytes(build(3 if name != "fragments" else 6))
    yield pcap_bytes(redirect_with_interim())
    page = (CAPTURES / "lab_page_fetch.pcapng").read_bytes()
    yield gzip.compress(page, mtime=0)
    yield page[: len(page) * 2 // 3]
    yield from _hostile()


def _hostile() -> Iterator[bytes]:
    """The damaged captures of :mod:`fuzz.hostile` (cut, snaplen-cut, odd pcapng blocks, if_tsresol extremes,
    another byte order mid-file), the fuzz-repro files left out (they are seeds as corpus files already)."""
    from fuzz.hostile import inputs, page_frames

    for name, data in inputs(page_frames()).items():
        if data and not name.startswith("repro-") and len(data) <= MAX_SEED:
            yield data


def redirect_with_interim() -> list[tuple[int, bytes]]:
    """A page fetch the timeline's newer rules read: a DNS answer for the host, a POST answered with interim
    responses (100 Continue, 103 Early Hints) and then a 302 whose Location names another port of that host,
    followed on a new connection (timeline/redirect.py, group.py's redirect rule, build.py's 1xx responses)."""
    import struct

    from fuzz.adversarial import MAC_C, MAC_S, STEP, T0, _Conn, _dns_name, _response, eth, ipv4, udp

    name = _dns_name("www.example.com")
    q = struct.pack("!HHHHHH", 0x4321, 0x0100, 1, 0, 0, 0) + name + b"\0\1\0\1"
    a = (struct.pack("!HHHHHH", 0x4321, 0x8180, 1, 1, 0, 0) + name + b"\0\1\0\1"
         + b"\xc0\x0c\0\1\0\1\0\0\0\x3c\0\4" + bytes([10, 0, 0, 2]))
    frames = [(T0, eth(ipv4("10.0.0.1", "10.0.0.53", 17, udp("10.0.0.1", "10.0.0.53", 40000, 53, q)))),
              (T0 + STEP, eth(ipv4("10.0.0.53", "10.0.0.1", 17, udp("10.0.0.53", "10.0.0.1", 53, 40000, a)),
                              MAC_S, MAC_C))]
    first = _Conn(frames, "10.0.0.1", 41000, "10.0.0.2", 80)
    first.handshake()
    first.send(True, b"POST /form HTTP/1.1\r\nHost: www.example.com\r\nExpect: 100-continue\r\n"
                     b"Content-Length: 3\r\n\r\n")
    first.send(False, b"HTTP/1.1 100 Continue\r\n\r\n")
    first.send(True, b"a=1")
    first.send(False, b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
                      b"HTTP/1.1 302 Found\r\nLocation: http://www.example.com:8080/next\r\n"
                      b"Content-Length: 0\r\n\r\n")
    first.close()
    second = _Conn(frames, "10.0.0.1", 41001, "10.0.0.2", 8080)
    second.handshake()
    second.send(True, b"GET /next HTTP/1.1\r\nHost: www.example.com:8080\r\n\r\n")
    second.send(False, _response(b"<html><link href=/s.css></html>"))
    second.close()
    return frames


def seeds(target: str) -> Iterator[bytes]:
    """The seed inputs of ``target``."""
    if target == "filter":
        for text in FILTERS:
            yield text.encode("utf-8")
    elif target == "decode":
        yield from _frames()
    elif target == "keylog":
        for path in sorted(TLS_FIXTURES.glob("*.keys")):
            yield path.read_bytes()[:4096]
    elif target == "tls":
        yield from _tls_streams()
    elif target == "explain":
        from fuzz.scenario import seed_programs

        yield from seed_programs()
    else:
        for path in capture_files():
            data = path.read_bytes()
            if len(data) <= MAX_SEED:
                yield data
        yield from _crafted()
    folder = REGRESSIONS / target
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.name != "README.md":
                yield path.read_bytes()


def _frames() -> Iterator[bytes]:
    """One input per distinct frame of the shipped captures: the link type's index, then the bytes."""
    from analyzer.capture import open_capture
    from fuzz.targets import LINKTYPES

    seen = set()
    for path in capture_files():
        try:
            with open_capture(path) as reader:
                for frame in reader:
                    if frame.linktype not in LINKTYPES:
                        continue
                    data = bytes([LINKTYPES.index(frame.linktype)]) + frame.data
                    key = hashlib.sha1(data[:96]).digest()
                    if key not in seen:
                        seen.add(key)
                        yield data
        except Exception:       # noqa: BLE001, S112 - a corpus file the reader refuses gives no seed frames
            continue


def _tls_streams() -> Iterator[bytes]:
    """Each TLS fixture's TCP streams, both directions interleaved as the connection carried them, in the
    ``tls`` target's chunk format."""
    from analyzer.capture import open_capture
    from analyzer.pipeline import Pipeline

    class Chunks:
        def __init__(self):
            self.out = bytearray()

        def data(self, direction, data, frame, ts_ns):
            for i in range(0, len(data), 65535):
                piece = data[i:i + 65535]
                self.out += bytes([direction]) + len(piece).to_bytes(2, "big") + piece

        def gap(self, direction, nbytes):
            pass

        def fin(self, direction):
            pass

        def rst(self, direction):
            pass

        def close(self):
            pass

    for path in sorted(TLS_FIXTURES.glob("*.pcap*")):
        sinks = []

        def factory(conn, sinks=sinks):
            sinks.append(Chunks())
            return sinks[-1]

        pipe = Pipeline(sinks=factory, dns_over_tcp=False)
        with open_capture(path) as reader:
            for _pkt in pipe.run(reader):
                pass
        for sink in sinks:
            if sink.out:
                yield bytes(sink.out[:MAX_SEED // 2])


def write_seeds(target: str, folder: Path) -> int:
    """Write the seeds of ``target`` into ``folder`` (libFuzzer's corpus layout); how many."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for data in seeds(target):
        (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
        n += 1
    return n
