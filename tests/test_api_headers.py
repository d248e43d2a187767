"""One semantics for the API's pass: :class:`analyzer.api.build.Analysis` on its header path (TCP segments
nothing needs the packet of are run from their headers, :meth:`Pipeline.feed_headers`, their IP bytes read
from the IP header) gives the same :class:`~analyzer.api.build.Results` as with every frame decoded
(``headers=False``): connections with their IP bytes, UDP conversations, ICMP flows, DNS and HTTP
transactions, files, TLS sessions. On every capture in captures/ and ../shared/corpus, damaged copies
(tests/mutants.py) and synthetic web traffic; ``analyzer http --json``, ``dns --json`` and ``logs`` print
what they print from these records."""

from __future__ import annotations

from pathlib import Path

import pytest
import synthetic

import analyzer
from analyzer.api.build import Analysis
from analyzer.capture import open_capture
from analyzer.pipeline import HeaderOnly, Pipeline

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
CAPTURES = sorted((REPO / "captures").glob("*.pcap*"))
CORPUS_FILES = sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else []
MUTATED = ["lab_page_fetch.pcapng", "lab_ipv6_page_fetch.pcapng", "lab_lossy_fetch_retransmissions.pcapng"]


def _results(path: Path, headers: bool):
    """The pass as ``analyzer http``/``dns``/``logs`` run it (``Capture.analyze``: a pcapng's Decryption
    Secrets Blocks join the keys as they are read), with the capture's .keys file when it has one."""
    keys = path.with_suffix(".keys")
    return analyzer.open(path, keylog=keys if keys.exists() else None).analyze(headers=headers)


def _same(path: Path) -> None:
    full = _results(path, headers=False)
    fast = _results(path, headers=True)
    for name in ("connections", "udp", "icmp", "dns", "http", "files", "tls", "frames", "first_ts_ns"):
        assert getattr(fast, name) == getattr(full, name), f"{path.name}: {name} differ"


def _header_only(path: Path) -> int:
    """How many frames the header path runs without a packet (what the comparison exercises)."""
    pipe = Pipeline(transactions=Analysis().tx)
    with open_capture(path) as reader:
        return sum(pipe.feed_headers(frame, any_segment=True).__class__ is HeaderOnly for frame in reader)


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_captures(path):
    _same(path)


@pytest.mark.skipif(not CORPUS_FILES, reason=f"corpus folder {CORPUS} not present")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus(path):
    _same(path)


@pytest.mark.parametrize("name", MUTATED)
def test_mutated(tmp_path, name):
    from mutants import mutated_pcaps

    for path in mutated_pcaps(name, tmp_path):
        _same(path)


def test_synthetic_web_traffic_mostly_header_only(tmp_path):
    path = tmp_path / "synthetic.pcap"
    synthetic.generate(path, 4_000, seed=5, clients=100, sites=100)
    _same(path)
    results = _results(path, headers=True)
    assert results.http and results.dns
    # IP bytes: every frame of this traffic is Ethernet + IPv4, so each connection's two sides add up to the
    # IP total lengths of its frames, as tshark's ip.len sums them (checked against the frame lengths: 14 bytes
    # of Ethernet header each, no padding in frames this long)
    for c in results.connections[:20]:
        assert c.orig_ip_bytes == c.orig_frame_bytes - 14 * c.orig_pkts
        assert c.resp_ip_bytes == c.resp_frame_bytes - 14 * c.resp_pkts
    assert _header_only(path) > 2000


def test_hooks_that_read_packets_keep_the_full_path():
    """A matcher, on_packet, sinks or fields need every packet: the header path is off for them."""
    assert Analysis().headers
    assert not Analysis(on_packet=lambda pkt: None).headers
    assert not Analysis(fields=True).headers
    assert not Analysis(sinks=[lambda conn: None]).headers
    assert not Analysis(headers=False).headers


@pytest.mark.parametrize(("body", "mime"), [
    (b"hello\r\n\tworld", "text/plain"),            # CR, LF and TAB are text
    ("caf\u00e9 \u4e2d\u6587".encode(), "text/plain"),  # printable non-ASCII UTF-8
    (b"a\x00b", None),                               # NUL: binary
    (b"a\x1bb", None),                               # ESC: binary
    (b"a\x0bb", None),                               # vertical tab is not among the text controls
    ("a\u2028b".encode(), None),                     # LINE SEPARATOR is not printable (Zs/Zl/Zp other than space)
    (b"\xff\xfe", None),                             # not UTF-8
    (b'{"a": 1}', "text/json"),
])
def test_sniffed_text_bodies(body, mime):
    """files.log/http mime types of bodies no magic number names: text is UTF-8 of printable characters plus
    CR, LF and TAB (Python's str.isprintable: Unicode categories other than Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs
    except the space)."""
    from analyzer.api.build import sniff_mime

    assert sniff_mime(body) == mime
