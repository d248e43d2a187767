"""``analyzer read`` against tshark on the shared corpus: summary lines and ``--json`` field values.

Summary lines are compared with ``tshark -n -r FILE`` (``-n``: tshark prints MAC addresses plainly too, instead
of ``Dell_f0:92:ab`` / ``Broadcast`` from its OUI and ethers files, which we do not have). The time column
is compared to 6 decimals (tshark prints 9 for nanosecond captures). Compared: every ARP, DNS (UDP and TCP,
mDNS, LLMNR), ICMP and ICMPv6 line (Neighbor Discovery included), every TCP line whose flags include SYN (handshakes) and every
other TCP line except those tshark tags with its own reassembly (``[TCP segment of a reassembled PDU]``,
``Reassembly error``) -- we do not decode HTTP in ``read``.

JSON values are compared with ``tshark -T fields`` for the issue's required field list, on every frame of
every file (a repeated field is compared as the list tshark prints).

Deliberate differences, each listed below with its reason, are skipped and counted.
"""

from __future__ import annotations

import decimal
import functools
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from tshark_run import NOT_FRAME_BY_FRAME, tshark_output

from analyzer.cli.main import main

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")

pytestmark = [
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus folder {CORPUS} absent"),
    pytest.mark.skipif(TSHARK is None, reason="tshark not installed"),
]

FILES = sorted(p.name for p in CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else []

REQUIRED_FIELDS = [
    "frame.number", "frame.time_epoch", "frame.len", "frame.cap_len", "eth.src", "eth.dst", "eth.type",
    "vlan.id", "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac",
    "arp.dst.proto_ipv4", "ip.version", "ip.hdr_len", "ip.len", "ip.id", "ip.flags.df", "ip.flags.mf",
    "ip.frag_offset", "ip.ttl", "ip.proto", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ipv6.nxt",
    "ipv6.hlim", "ipv6.plen", "icmp.type", "icmp.code", "udp.srcport", "udp.dstport", "udp.length",
    "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.len",
    "tcp.window_size_value", "tcp.options.mss_val", "tcp.options.wscale.shift", "dns.id",
    "dns.flags.response", "dns.flags.rcode", "dns.qry.name", "dns.qry.type", "dns.count.answers", "dns.a",
    "dns.aaaa", "dns.cname", "dns.mx.mail_exchange", "dns.ptr.domain_name",
]

# (file, frame) -> why our summary line differs from tshark's on purpose.
SUMMARY_DIFFERENCES: dict[tuple[str, int], str] = {}
# file -> why its JSON cannot be compared frame by frame.
JSON_FILE_DIFFERENCES = NOT_FRAME_BY_FRAME
# (file, frame, field) -> why our value differs.
JSON_DIFFERENCES: dict[tuple[str, int, str], str] = {}


def _run_ours(*args: str) -> str:
    """``analyzer read ARGS`` through click's test runner: the real command, without an interpreter start."""
    result = CliRunner().invoke(main, ["read", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@functools.cache
def _run_tshark(*args: str) -> str:
    # a capture of no frame prints nothing: the tests compare the counts first
    return tshark_output([TSHARK, *args], " ".join(args), errors="replace", allow_empty=True)


def parse_line(line: str) -> tuple[str, ...]:
    """(number, time to 6 decimals, source, destination, protocol, length, info) of a summary line."""
    left, _, right = line.partition(" \u2192 ")
    head = left.split()
    number = head[0]
    time = head[1] if len(head) > 1 else ""
    src = head[2] if len(head) > 2 else ""
    if right.startswith(" "):  # empty destination column
        dst, rest = "", right.lstrip(" ")
    else:
        dst, _, rest = right.partition(" ")
        rest = rest.lstrip(" ")
    protocol, _, rest = rest.partition(" ")
    length, _, info = rest.partition(" ")
    match = re.fullmatch(r"(-?\d+)\.(\d+)", time)
    if match:
        time = f"{match.group(1)}.{match.group(2)[:6]}"
    return number, time, src, dst, protocol, length, info


def compared(tshark_line: tuple[str, ...]) -> bool:
    protocol, info = tshark_line[4], tshark_line[6]
    if protocol in ("ARP", "RARP", "DNS", "MDNS", "LLMNR", "ICMP"):
        return True
    if protocol == "ICMPv6":
        return True         # echo, errors, Neighbor Discovery (with its options), MLD
    if protocol == "TCP":
        return "reassembled PDU" not in info and "Reassembly error" not in info
    return False


@pytest.mark.parametrize("name", FILES)
def test_summary_lines_match_tshark(name):
    if name in JSON_FILE_DIFFERENCES:
        pytest.skip(JSON_FILE_DIFFERENCES[name])
    path = str(CORPUS / name)
    theirs = [parse_line(line) for line in _run_tshark("-n", "-r", path).splitlines()]
    ours = [parse_line(line) for line in _run_ours(path).splitlines()]
    assert len(ours) == len(theirs)
    mismatches = []
    checked = 0
    for t, o in zip(theirs, ours, strict=True):
        if not compared(t) or (name, int(t[0])) in SUMMARY_DIFFERENCES:
            continue
        checked += 1
        if t != o:
            mismatches.append(f"\n  tshark: {t}\n  ours:   {o}")
    assert not mismatches, f"{len(mismatches)} of {checked} lines differ:" + "".join(mismatches[:10])


def test_summary_covers_the_required_kinds():
    """The corpus has ARP, DNS, ICMP and TCP handshake lines, so the comparison above means something."""
    seen = set()
    for name in FILES:
        for line in _run_tshark("-n", "-r", str(CORPUS / name)).splitlines():
            t = parse_line(line)
            if compared(t):
                seen.add("SYN" if "[SYN" in t[6] else t[4])
    assert {"ARP", "DNS", "ICMP", "SYN", "TCP"} <= seen


def _tshark_fields(path: str) -> list[list[str]]:
    args = ["-r", path, "-T", "fields", "-E", "aggregator=\x1f", "-E", "occurrence=a"]
    for field in REQUIRED_FIELDS:
        args += ["-e", field]
    return [line.split("\t") for line in _run_tshark(*args).splitlines()]


def _as_tshark_text(value) -> str:
    if isinstance(value, list):
        return "\x1f".join(_as_tshark_text(v) for v in value)
    return str(value)


@pytest.mark.parametrize("name", FILES)
def test_json_fields_match_tshark(name):
    if name in JSON_FILE_DIFFERENCES:
        pytest.skip(JSON_FILE_DIFFERENCES[name])
    path = str(CORPUS / name)
    theirs = _tshark_fields(path)
    ours = [json.loads(line, parse_float=decimal.Decimal) for line in _run_ours("--json", path).splitlines()]
    assert len(ours) == len(theirs)
    mismatches = []
    for number, (row, obj) in enumerate(zip(theirs, ours, strict=True), 1):
        for field, expected in zip(REQUIRED_FIELDS, row, strict=True):
            got = _as_tshark_text(obj[field]) if field in obj else ""
            if got != expected and (name, number, field) not in JSON_DIFFERENCES:
                mismatches.append(f"\n  frame {number} {field}: tshark {expected!r}, ours {got!r}")
    assert not mismatches, f"{len(mismatches)} values differ:" + "".join(mismatches[:15])


def test_json_time_epoch_is_a_number_with_9_decimals():
    path = CORPUS / "pcap_nanosec_sll_tcp_handshake.pcap"
    if not path.exists():
        pytest.skip("nanosecond corpus file absent")
    lines = _run_ours("--json", str(path)).splitlines()
    expected = [row[1] for row in _tshark_fields(str(path))]
    assert expected, "tshark gave no frames"
    for line, want in zip(lines, expected, strict=True):
        assert re.search(r'"frame\.time_epoch":\d+\.\d{9}[,}]', line), line
        assert str(json.loads(line, parse_float=decimal.Decimal)["frame.time_epoch"]) == want


def test_tcp_analysis_words_begin_an_http_line():
    """TCP's analysis words are fenced in tshark's Info column: an HTTP message that ends in a retransmission
    reads "[TCP Retransmission] HTTP/1.1 200 OK ..." (lab_lossy_fetch_retransmissions, frame 24, with tshark
    reassembling out-of-order segments as read does); the fast lines path says the same."""
    path = Path(__file__).resolve().parents[1] / "captures" / "lab_lossy_fetch_retransmissions.pcapng"
    theirs = tshark_output([TSHARK, "-n", "-o", "tcp.reassemble_out_of_order:TRUE", "-r", str(path), "-Y",
                            "http.response and tcp.analysis.flags", "-T", "fields", "-e", "frame.number", "-e",
                            "_ws.col.Info"], path)
    rows = [line.split("\t") for line in theirs.splitlines()]
    assert rows
    ours = CliRunner().invoke(main, ["read", str(path)]).output.splitlines()
    for frame, info in rows:
        prefix = info[:info.index("]") + 2]
        line = ours[int(frame) - 1]
        assert line.split()[0] == frame and " HTTP " in line
        assert line[line.index(" HTTP ") + 6:].split(" ", 1)[1].startswith(prefix), (line, info)
