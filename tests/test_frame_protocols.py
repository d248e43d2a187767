"""``frame.protocols`` against tshark: every frame of every capture in captures/, the shared corpus and the
test fixtures (QUIC, HTTP/2, WebSocket, TLS), and the crafted frames of the decoder tests.

Our value (``read -T fields -e frame.protocols``; :func:`analyzer.decode.protocols.frame_protocols`, which
``read -V``'s "[Protocols in frame: ...]" and ``-Y 'frame.protocols ...'`` use too) must be tshark's
``-T fields -e frame.protocols`` string. Where tshark decodes a protocol the analyzer does not, ours must
stop exactly before it (:data:`NOT_DECODED`: tshark's string begins with ours and goes on with that
protocol). The other differences are listed frame by frame with their reason (:data:`KNOWN`) and must
still be differences (a fix shows as a failure to update the list).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from tshark_run import NOT_FRAME_BY_FRAME, every_capture, tshark_output

from analyzer.cli.main import main
from analyzer.decode.protocols import frame_protocols

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "captures"
CORPUS = ROOT.parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark not installed")

FILES = every_capture()
SKIPPED_FILES = NOT_FRAME_BY_FRAME
# Protocols tshark decodes after the last layer the analyzer decodes (ours stops before them)
NOT_DECODED = frozenset(["ssh", "ripng", "nbns", "llc", "bjnp", "dhcp", "pptp", "gre", "db-lsp-disc", "ntp", "echo",
                         "ftp-data"])

_TWICE = ("a segment that ends a response begun earlier and holds others: tshark dissects it twice "
          "(http:...:http:...), one http here")
_X509 = ("a certificate in the clear: tshark names x509sat for each name attribute and x509ce for each "
         "extension it hands to those dissectors (tls:x509sat:...:x509ce); here the tls layer holds them")
_H2C = "cleartext HTTP/2 (h2c) on a port tshark has no dissector for: 'data' there, http2 here"
_TLS_FRAME = "tshark shows the TLS record in another frame of the lost/retransmitted stretch"
# (file, frame) -> why our value differs from tshark's
KNOWN: dict[tuple[str, int], str] = {
    **{("tcp_dupframes_retrans_keepalive_post_chunked.pcap", n):
       "a fast retransmission tshark dissects as HTTP again (on a port found by its heuristics)" for n in (42, 86)},
    **{("http_pipelined_requests.pcap", n): _TWICE for n in (9, 10, 15, 16)},
    ("http_fetch_dns_handshake_teardown_classic.pcap", 38):
        "text/html body that begins '<?xml': tshark's text dissector hands it to xml (data-text-lines:xml)",
    ("http_post_multipart_duplicated_frames.pcap", 18):
        "tshark shows each part of a multipart body after mime_multipart (its parts are not decoded here)",
    **{("tcp_halfclose_server_fin_client_keeps_sending.pcap", n):
       "client bytes on port 80 that are no HTTP message: tshark's HTTP shows them as http:data" for n in (10, 15, 17)},
    **{("pcapng_11_interfaces_macos_dumpcap.pcapng", n):
       "Google QUIC on UDP 443 (tshark's gquic heuristics; the analyzer decodes IETF QUIC only)"
       for n in (51, 57, 59, 60, 61, 62, 63, 64)},
    ("lab_lossy_fetch_retransmissions.pcapng", 24):
        "the PNG response ends in another frame for tshark (a retransmitted stretch)",
    ("h2_tls13_curl.pcapng", 52): _TWICE.replace("response", "TLS record").replace("http", "tls"),
    ("h2_tls13_curl.pcapng", 56): _TWICE.replace("response", "TLS record").replace("http", "tls"),
    ("http3_split_hello.pcap", 1): "the first half of a ClientHello split over two QUIC packets: tshark shows tls",
    **{(name, 6): _X509 for name in ("tls12_cbc.pcap", "tls12_cert_unknown_ca.pcap", "tls12_chacha.pcap",
                                     "tls12_false_start.pcap", "tls12_gcm.pcap", "tls13_http11_dsb.pcapng")},
    ("lab_https_answer_lost.pcapng", 28): _TLS_FRAME,
    ("lab_https_close_lost.pcapng", 29): _TLS_FRAME,
    ("lab_https_close_lost.pcapng", 33): _TLS_FRAME,
    ("lab_https_page_fetch.pcapng", 24): _TLS_FRAME,
    ("lab_https_request_lost.pcapng", 31): _TLS_FRAME,
    ("lab_https_answer_lost_quiet.pcapng", 27): _TLS_FRAME,
    **{("lab_https_hole_filled.pcapng", n): _TLS_FRAME for n in (21, 23, 36, 40)},
}


# file -> (why, which of its frames: tshark's value, ours -> True) for differences throughout a file
FILE_KNOWN = {
    name: (_H2C, lambda t, o: t.endswith(":tcp:data") and o == t[:-len("data")] + "http2")
    for name in ("h2c_curl.pcapng", "h2c_page.pcapng")
}


def _tshark(path: Path, *args: str) -> list[str]:
    out = tshark_output([TSHARK, "-r", str(path), *args, "-T", "fields", "-e", "frame.protocols"], path,
                        allow_empty=True)
    return out.splitlines()


def _ours(path: Path) -> list[str]:
    result = CliRunner().invoke(main, ["read", "-T", "fields", "-e", "frame.protocols", str(path)])
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def _not_decoded(theirs: str, ours: str) -> bool:
    return theirs.startswith(ours + ":") and theirs[len(ours) + 1:].split(":")[0] in NOT_DECODED


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_frame_protocols_match_tshark(path: Path):
    if path.name in SKIPPED_FILES:
        pytest.skip(SKIPPED_FILES[path.name])
    theirs, ours = _tshark(path), _ours(path)
    assert len(ours) == len(theirs)
    wrong = []
    for number, (t, o) in enumerate(zip(theirs, ours, strict=True), 1):
        known = (path.name, number) in KNOWN or (path.name in FILE_KNOWN and FILE_KNOWN[path.name][1](t, o))
        if t == o:
            assert not known, f"frame {number} now matches tshark ({t}): remove it from KNOWN"
        elif not known and not _not_decoded(t, o):
            wrong.append(f"frame {number}: tshark {t!r}, ours {o!r}")
    assert not wrong, "\n".join(wrong[:20])


def test_the_comparison_covers_the_stacks():
    """The files hold the stacks this is about (a corpus that lost them would prove little)."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus folder {CORPUS} absent")
    seen = set()
    for path in FILES:
        if path.name not in SKIPPED_FILES:
            seen.update(_tshark(path))
    for stack in ("eth:ethertype:arp", "eth:ethertype:vlan:ethertype:ip:tcp:http:data-text-lines",
                  "eth:ethertype:ip:tcp:http:png", "eth:ethertype:ip:tcp:http:json", "sll:ethertype:ip:tcp:data",
                  "eth:ethertype:ip:data", "eth:ethertype:ipv6:icmpv6:ipv6:udp:data", "raw:ipv6:tcp:http:image-jfif",
                  "eth:ethertype:ip:tcp:http:urlencoded-form", "eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:arp",
                  "eth:ethertype:ip:icmp:data", "null:ipv6:tcp:data", "eth"):
        assert stack in seen, stack


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_read_fields_tree_and_filter_give_tshark_s_value():
    """The three ways a user meets the field: -T fields, -V's line, -Y (a string field: contains, ==)."""
    path = CAPTURES / "http_page_fetch_loopback.pcapng"
    theirs = _tshark(path)
    out = _cli("read", "-T", "fields", "-e", "frame.number", "-e", "frame.protocols", str(path))
    assert [line.split("\t")[1] for line in out.splitlines()] == theirs
    tree = _cli("read", "-V", str(path))
    assert [line.strip()[len("[Protocols in frame: "):-1] for line in tree.splitlines()
            if line.strip().startswith("[Protocols in frame: ")] == theirs
    for expr in ('frame.protocols contains "png"', 'frame.protocols == "eth:ethertype:ip:tcp:http"',
                 "frame.protocols", 'frame.protocols matches "data-text-lines$"'):
        want = tshark_output([TSHARK, "-r", str(path), "-Y", expr, "-T", "fields", "-e", "frame.number"], expr)
        got = _cli("read", "-Y", expr, "-T", "fields", "-e", "frame.number", str(path))
        assert got.split() == want.split(), expr


def test_no_warning_for_frame_protocols():
    result = CliRunner().invoke(main, ["read", "-T", "fields", "-e", "frame.protocols",
                                       str(CAPTURES / "lab_dns_mix.pcapng")])
    assert result.exit_code == 0
    assert "does not produce" not in result.stderr
    assert result.stdout.splitlines()[0] == _tshark(CAPTURES / "lab_dns_mix.pcapng")[0]


# crafted frames of the decoder tests (tshark's frame.protocols written down with them)
CRAFTED_KNOWN = {
    "SLL_IPGRE_IPV4": "UDP port 5000 has a Wireshark dissector (tapa) that rejects these bytes: tshark shows "
                      "data; here no data is claimed on a port Wireshark dissects",
    "IPV4_FIRST_FRAGMENT": "tshark hands a first fragment's TCP payload on port 80 to HTTP; no HTTP layer here "
                           "(the datagram is not whole)",
}
for _name in ("NULL_LE_AF2_IPV4", "NULL_BE_AF2_IPV4", "NULL_BE_AF28_IPV6", "NULL_LE_AF24_IPV6",
              "NULL_ETHERTYPE_IPV4", "RAW12_IPV4_UDP", "RAW229_IPV6_UDP", "IPV4_BAD_CHECKSUM"):
    CRAFTED_KNOWN[_name] = CRAFTED_KNOWN["SLL_IPGRE_IPV4"]


def _crafted():
    import importlib

    from test_decode_support import Fixture

    out = {}
    for module in ("test_decode_link", "test_decode_ip", "test_decode_transport"):
        for name, value in vars(importlib.import_module(module)).items():
            if isinstance(value, Fixture) and value.protocols:
                out[name] = value
    return out


def test_crafted_frames_match_tshark():
    crafted = _crafted()
    assert len(crafted) >= 60
    wrong = []
    for name, fx in crafted.items():
        ours, theirs = frame_protocols(fx.decode()), fx.protocols
        if ours == theirs:
            assert name not in CRAFTED_KNOWN, f"{name} now matches tshark: remove it from CRAFTED_KNOWN"
        elif name not in CRAFTED_KNOWN and not _not_decoded(theirs, ours):
            wrong.append(f"{name}: tshark {theirs!r}, ours {ours!r}")
    assert not wrong, "\n".join(wrong)
