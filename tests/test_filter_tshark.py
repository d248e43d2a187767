"""Display filters against tshark: the same filter over the same capture selects the same frames.

For every capture in captures/ and ../shared/corpus, every filter of FILTERS runs over the analyzer's packets
(:func:`analyzer.filter.apply.analyzed`: pipeline + HTTP/DNS stage, single pass) and over tshark's. tshark's
frame lists come from one tshark run per capture: a Lua script registers one display-filter tap per filter
(``Listener.new(nil, FILTER)``: the filter engine ``-Y`` uses, on the same single-pass dissection) and writes
the frame numbers each one saw; ``test_lua_taps_are_tshark_dash_y`` checks that against ``tshark -r FILE
-Y FILTER -T fields -e frame.number`` itself, which is also what runs when tshark has no Lua.

Where the analyzer's decoders or stages disagree with tshark's about a capture (not the filter's doing),
the filters reading those fields are skipped for that capture, with the reason (KNOWN_DIFFERENCES).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

from analyzer.capture import CaptureError, open_capture
from analyzer.filter import compile_filter
from analyzer.filter.apply import analyzed

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
CAPTURES = ROOT / "captures"
TSHARK = shutil.which("tshark")

FILTERS = [
    # protocols present
    "frame", "eth", "ip", "ipv6", "tcp", "udp", "arp", "icmp", "icmpv6", "dns", "http", "vlan", "sll", "mdns",
    "llmnr", "icmp or icmpv6",
    # comparison operators, in both spellings, and Wireshark 4.0's != / ~= / ===
    "tcp.port == 80", "tcp.port != 80", "tcp.port ~= 80", "tcp.port === 80", "udp.port == 53", "udp.port eq 53",
    "tcp.srcport > 1023", "tcp.dstport <= 1023", "tcp.dstport lt 1024", "ip.ttl ge 64",
    "ip.ttl gt 64 and ip.ttl le 128", "frame.len >= 1000", "frame.len < 100", "any tcp.port == 80",
    "all tcp.port > 1023", "all ip.ttl > 10",
    # tcp.flags: hex text compared as a number, bit fields, bitwise and
    "tcp.flags == 0x12", "tcp.flags == 0x002", "tcp.flags & 0x04", "tcp.flags & 0x12 == 0x12",
    "tcp.flags.syn == 1", "tcp.flags.syn == 1 and tcp.flags.ack == 0", "tcp.flags.reset == 1",
    "tcp.flags.fin == True", "tcp.flags.push", "tcp.flags.push == 0", 'tcp.flags.str contains "F"',
    # addresses, CIDR, MAC spellings, slices
    "ip.addr == 10.0.0.0/8", "ip.addr == 192.168.0.0/16", "ip.src == 192.168.0.0/16 && ip.dst != 192.168.0.0/16",
    "ip.addr != 192.168.0.0/16", "ip.dst == 255.255.255.255", "ip.src > 100.0.0.0", "all ip.addr == 10.0.0.0/8",
    "ipv6.addr == fe80::/10", "ipv6.dst == ff02::/16", "ipv6.src == ::", "ipv6.addr != fe80::/10",
    "eth.addr == ff:ff:ff:ff:ff:ff", "eth.dst == ff-ff-ff-ff-ff-ff", "eth.dst == ffff.ffff.ffff",
    "eth.src[0:3] == 00:00:00", "eth.dst[0] == 33", "eth.dst[0:2] == 33:33", "eth.type == 0x0800",
    "eth.type == 0x86dd", "vlan.id == 123", "arp.opcode == 1", "arp.opcode == 2",
    "arp.src.proto_ipv4 == arp.dst.proto_ipv4", "arp.isgratuitous", "icmp.type == 8", "icmpv6.type == 135",
    # membership
    "eth.type in {0x0800, 0x86dd}", "vlan.id in {100..200}", "icmp.type in {0, 8}", "icmpv6.type in {133..137}",
    "tcp.port in {80, 443}", "tcp.port in {1..1023}", "tcp.port not in {80}", "not tcp.port in {80}",
    "udp.port in {53, 5353, 5355}", "ip.addr in {10.0.0.0/8, 192.168.0.0/16}", "frame.number in {1..3, 10}",
    "tcp.srcport in {49152..65535} and tcp.flags.syn == 1",
    # TCP fields of the analysis stage
    "tcp.len > 0", "tcp.len == 0 && tcp.flags.ack == 1", "tcp.stream == 0", "tcp.stream in {1, 2}", "tcp.seq == 1",
    "tcp.ack == 1", "tcp.nxtseq > 1000", "tcp.window_size < 1000", "tcp.window_size_value == 0",
    "tcp.hdr_len > 20", "tcp.options.mss_val == 1460", "tcp.options.mss", "tcp.options.sack_perm",
    "tcp.options.wscale.shift >= 7", "tcp.options.timestamp.tsval", "tcp.option_kind == 8",
    "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "tcp.analysis.spurious_retransmission",
    "tcp.analysis.duplicate_ack", "tcp.analysis.duplicate_ack_num >= 2", "tcp.analysis.lost_segment",
    "tcp.analysis.ack_lost_segment", "tcp.analysis.out_of_order", "tcp.analysis.keep_alive",
    "tcp.analysis.keep_alive_ack", "tcp.analysis.zero_window", "tcp.analysis.window_update",
    "tcp.analysis.window_full", "tcp.analysis.zero_window_probe", "tcp.analysis.flags",
    "tcp.analysis.flags && !tcp.analysis.window_update", "tcp.analysis.ack_rtt > 0.1",
    "tcp.analysis.ack_rtt < 0.001", "tcp.analysis.initial_rtt > 0.05", "tcp.analysis.bytes_in_flight > 1000",
    "tcp.analysis.acks_frame", "tcp.srcport == tcp.dstport", "tcp.len > tcp.hdr_len", "ip.src == ip.dst",
    "udp.length > 512", "udp.stream == 0", "udp.checksum == 0x0000",
    # DNS
    "dns.flags.response == 0", "dns.flags.response == 1", "dns.flags.rcode == 3", "dns.flags.rcode != 0",
    "dns.flags.truncated == 1", "dns.flags == 0x8180", "dns.id == 0x2222", "dns.qry.type == 1",
    "dns.qry.type == 28", "dns.qry.type in {1, 28}", 'dns.qry.name == "www.ethereal.com"',
    'dns.qry.name contains "google"', r'dns.qry.name matches "^www\\."', r'dns.qry.name matches "\\.COM$"',
    r'dns.qry.name matches "(?-i)\\.COM$"', 'dns.qry.name ~ "wiki"',
    'dns.qry.name in {"www.wikipedia.org", "en.wikipedia.org"}', "dns.a == 216.239.59.104",
    "dns.a == 208.80.152.0/22", "dns.aaaa", "dns.cname", 'dns.cname contains "wikimedia"', "dns.count.answers > 2",
    "dns.count.answers == 0 && dns.flags.response == 1", "dns.resp.ttl > 3600", "dns.resp.type == 5",
    'dns.txt contains "spf"', "dns.mx.preference < 20", "dns.ns", "dns.soa.mname", "len(dns.qry.name) > 20",
    "count(dns.a) > 3", "count(dns.resp.name) >= 2", 'upper(dns.qry.name) contains "GOOGLE"',
    'lower(dns.qry.name) == "www.ethereal.com"', 'dns.qry.name[0:4] == "www."', "dns.response_in",
    "dns.response_to", "dns.time > 0.1", "dns.retransmission",
    'dns.rrsig.signature_expiration < "Nov  7, 2012 10:00:54 UTC"', 'dns.rrsig.signature_inception >= "2012-10-08 09:00:53Z"',
    # HTTP
    "http.request", "http.response", 'http.request.method == "GET"', "http.request.method == GET",
    'http.request.method == "POST"', 'http.request.method in {"GET", "HEAD"}', 'http.request.method != "GET"',
    'http.request.uri contains ".js"', r'http.request.uri matches "\\.(png|jpg|gif)$"', 'http.request.uri == "/"',
    'http.request.version == "HTTP/1.0"', 'http.request.full_uri contains "wikipedia"',
    'http.host == "en.wikipedia.org"', 'http.host contains "example"', 'http.host matches "^www"',
    'http.user_agent contains "Mozilla"', "http.response.code == 200", "http.response.code != 200",
    "http.response.code >= 300", "http.response.code in {301, 302, 304}", "http.response.code in {400..599}",
    'http.response.phrase == "OK"', 'http.content_type contains "html"', "http.content_length > 1000",
    'http.content_encoding == "gzip"', 'http.transfer_encoding == "chunked"', 'http.connection == "close"',
    'http.server contains "Apache"', "http.referer", "http.cookie", "http.set_cookie", "http.location",
    "http.request_in", "http.time > 0.5", "http.request_number > 1", "http.response_number == 1",
    "http.prev_request_in", 'http.request.line contains "Accept"', 'http.response.line contains "Content-Type"',
    'http.response_for.uri contains ".css"',
    # bytes of protocols and payloads
    'frame contains "GET"', "frame contains 47:45:54", r'frame matches "http/1\\.[01]"', 'tcp contains "HTTP"',
    'udp contains "google"', "ip contains 00:50", 'tcp.payload contains "GET"', "udp.payload",
    'eth contains "GET"', 'tcp.payload[0:4] == "HTTP"',
    # frame, IP, IPv6, link fields
    "frame.time_epoch > 1084443430", "frame.time_epoch >= 1084443432.158193000", "frame.cap_len < frame.len",
    "frame.interface_id == 1", "ip.flags.df == 1", "ip.flags.mf", "ip.frag_offset > 0", "ip.fragment",
    "ip.id == 0x0f45", "ip.dsfield.dscp != 0", "ip.proto == 17", "ip.proto == 6 or ip.proto == 17",
    "ip.hdr_len > 20", "ip.len > 1000", "ipv6.nxt == 58", "ipv6.hlim == 255", "ipv6.plen > 100",
    "ipv6.flow != 0", "ipv6.fraghdr", "ipv6.fraghdr.more == 1", "sll.pkttype == 4", "sll.etype == 0x0806",
    "null.family == 30",
    # logic and precedence
    "tcp and not http", "(tcp or udp) and not (dns or http)", "!(tcp.port == 80) && ip",
    "tcp.port == 80 || udp.port == 53 && ip.ttl > 100",
]
# Syntax tshark 4.0 lacks (xor came with 4.2, spaces between set elements went with 4.0): ours -> the
# equivalent tshark filter.
EQUIVALENT = {
    "tcp xor udp": "(tcp || udp) && !(tcp && udp)",
    "ip ^^ tcp.flags.syn == 1": "(ip || tcp.flags.syn == 1) && !(ip && tcp.flags.syn == 1)",
    "tcp.port in {80 443 8080}": "tcp.port in {80, 443, 8080}",
    "udp.port in {53 5353..5355}": "udp.port in {53, 5353..5355}",
}

# Captures where the analyzer's decoding or stages differ from tshark's (found by these tests and by
# `analyzer verify`); filters reading fields under the prefix are skipped there. None: the whole capture.
KNOWN_DIFFERENCES = {
    "pcapng_bigendian_3_sections_all_blocks.pcapng": (
        None, ("tshark 4.0 numbers the pcapng Custom Blocks as frames (1, 7, 10); the reader skips them, so "
               "every frame number differs")),
    "http_pipelined_requests.pcap": (
        "http", ("HTTP stage: pipelined responses are paired with other requests than tshark's "
                 "(http.request_in, http.prev_request_in, http.response_number)")),
    "tcp_dupframes_retrans_keepalive_post_chunked.pcap": (
        "http", "HTTP stage: tshark shows the responses on frames 42 and 86, the analyzer on other copies"),
    "tcp_halfclose_server_fin_client_keeps_sending.pcap": (
        "http", "HTTP stage: tshark shows http on frames 10, 15 and 17 (the client's cruft), the analyzer not"),
    "lab_lossy_fetch_retransmissions.pcapng": (
        "http", "HTTP stage: the analyzer completes a response at frame 24, tshark does not"),
}


def captures() -> list[Path]:
    files = []
    for folder in (CAPTURES, CORPUS):
        if folder.is_dir():
            files += sorted(p for p in folder.iterdir() if ".pcap" in p.name)
    return files


FILES = captures()


def _skip_reason(path: Path, text: str) -> str | None:
    known = KNOWN_DIFFERENCES.get(path.name)
    fields = compile_filter(text).fields
    if known is not None:
        prefix, reason = known
        if prefix is None or any(f == prefix or f.startswith(prefix + ".") for f in fields):
            return reason
    return None


# -- tshark's side ----------------------------------------------------------------------------------------
@cache
def tshark_has_lua() -> bool:
    return "with Lua" in subprocess.run([TSHARK, "-v"], capture_output=True, text=True, check=False).stdout


def tshark_dash_y(path: Path, text: str) -> list[int]:
    out = subprocess.run([TSHARK, "-n", "-r", str(path), "-Y", text, "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True, check=False)
    assert "was unexpected" not in out.stderr and "neither a field" not in out.stderr, out.stderr
    return [int(line) for line in out.stdout.split()]


def tshark_taps(path: Path, filters: list[str]) -> dict[str, list[int]]:
    """One tshark run: a display-filter tap per filter, each writing the frame numbers it saw."""
    if not tshark_has_lua():
        return {text: tshark_dash_y(path, text) for text in filters}
    lines = []
    for i, text in enumerate(filters):
        lines.append(f"do local hits = {{}} local tap = Listener.new(nil, [==[{text}]==]) "
                     f"function tap.packet(pinfo) hits[#hits + 1] = pinfo.number end "
                     f"function tap.draw() io.write('#{i}:', table.concat(hits, ' '), '\\n') end end")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines))
    try:
        out = subprocess.run([TSHARK, "-n", "-q", "-r", str(path), "-X", f"lua_script:{script.name}"],
                             capture_output=True, text=True, check=False)
    finally:
        os.unlink(script.name)
    found = {}
    for line in out.stdout.splitlines():
        if line.startswith("#"):
            index, _, numbers = line[1:].partition(":")
            found[filters[int(index)]] = [int(n) for n in numbers.split()]
    assert len(found) == len(filters), out.stderr
    return found


@cache
def tshark_results() -> dict[Path, dict[str, list[int]]]:
    """Every capture's frame lists (EQUIVALENT under our spelling), the tshark runs in parallel."""
    asked = FILTERS + list(EQUIVALENT.values())
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        runs = dict(zip(FILES, pool.map(lambda p: tshark_taps(p, asked), FILES)))
    for found in runs.values():
        for ours, theirs in EQUIVALENT.items():
            found[ours] = found[theirs]
    return runs


# -- our side -----------------------------------------------------------------------------------------------
def our_results(path: Path, filters: list[str]) -> dict[str, list[int]]:
    compiled = [(text, compile_filter(text)) for text in filters]
    found: dict[str, list[int]] = {text: [] for text in filters}
    try:
        with open_capture(path) as reader:
            for pkt in analyzed(reader):
                number = pkt.frame.number
                for text, keep in compiled:     # at once: later frames may add fields to this one
                    if keep(pkt):
                        found[text].append(number)
    except CaptureError:
        pass        # an unreadable file: no frames on our side; tshark's side says what it saw
    return found


needs_tshark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")


def test_the_table_compiles_and_covers_the_captures():
    for text in FILTERS + list(EQUIVALENT):
        compile_filter(text)
    assert len(FILTERS) == len(set(FILTERS))
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    assert len(FILES) > 40


@needs_tshark
@pytest.mark.skipif(not FILES, reason="no captures in captures/ or ../shared/corpus")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_filters_select_the_frames_tshark_selects(path: Path):
    expected = tshark_results()[path]
    table = FILTERS + list(EQUIVALENT)
    got = our_results(path, table)
    wrong = []
    skipped = []
    for text in table:
        reason = _skip_reason(path, text)
        if reason is not None:
            skipped.append(text)
            continue
        if got[text] != expected[text]:
            missing = sorted(set(expected[text]) - set(got[text]))
            extra = sorted(set(got[text]) - set(expected[text]))
            wrong.append(f"{text!r}: tshark also {missing[:10]}, analyzer also {extra[:10]}")
    assert not wrong, f"{path.name}:\n" + "\n".join(wrong)
    if len(skipped) == len(table):
        pytest.skip(KNOWN_DIFFERENCES[path.name][1])


def test_every_known_difference_names_a_capture_that_exists():
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    names = {p.name for p in FILES}
    assert {name for name in KNOWN_DIFFERENCES if not name.startswith("lab_")} <= names


CROSS_CHECK = [
    ("http_fetch_dns_handshake_teardown_classic.pcap", "tcp.port != 3371"),
    ("http_fetch_dns_handshake_teardown_classic.pcap", "tcp.analysis.retransmission"),
    ("http_fetch_dns_handshake_teardown_classic.pcap", 'http.request.method == "GET"'),
    ("http_fetch_wikipedia_dns_multiconn.pcap", "ipv6.addr == fe80::/10 || arp"),
    ("http_fetch_wikipedia_dns_multiconn.pcap", r'dns.qry.name matches "wiki" && dns.flags.response == 1'),
    ("arp_gratuitous_reply_in_vlan.pcap", "vlan.id in {100..200} and eth.dst == ff:ff:ff:ff:ff:ff"),
    ("tcp_dupframes_retrans_keepalive_post_chunked.pcap", "tcp.flags == 0x012 or tcp.analysis.duplicate_ack"),
]


@needs_tshark
@pytest.mark.parametrize("name, text", CROSS_CHECK)
def test_lua_taps_are_tshark_dash_y(name: str, text: str):
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} is not there")
    expected = tshark_dash_y(path, text)
    assert expected, "a filter that selects nothing proves little"
    assert tshark_taps(path, [text])[text] == expected
    assert our_results(path, [text])[text] == expected
