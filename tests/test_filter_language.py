"""Display filters (analyzer.filter): the language on crafted packets, errors with their caret, compile-once.

Expected results follow Wireshark 4.0's meaning of each operator (checked against tshark on real captures
in test_filter_tshark.py); here each rule is pinned on a packet built for it.
"""

from __future__ import annotations

import shutil
import subprocess
import types
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from report_builders import ACK, PSH, SYN, arp, dns_query, eth, ipv4, ipv6, tcp, tcp_options, udp

from analyzer.capture.frame import Frame
from analyzer.decode import decode
from analyzer.decode.packet import Packet
from analyzer.filter import FilterError, compile_filter
from analyzer.filter.cli import display_filter_option

TSHARK = shutil.which("tshark")
EMPTY_PCAP = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "empty_header_only.pcap"


def frame(data: bytes, number: int = 1, ts_ns: int = 1_700_000_000_123_456_789) -> Frame:
    return Frame(number, ts_ns, len(data), 0, 1, data)


def packet(**layers: dict) -> Packet:
    """A packet whose layers are given by hand (name=fields), for rules that need no real bytes."""
    pkt = Packet(frame(b"\0" * 60))
    offset = 0
    for name, fields in layers.items():
        pkt.add(name.replace("_", "."), offset, 10, fields)
        offset += 10
    return pkt


def web_syn() -> Packet:
    """A real SYN from 10.1.2.3:40000 to 192.168.7.9:80 with MSS, SACK_PERM, timestamps, window scale."""
    seg = tcp("10.1.2.3", "192.168.7.9", 40000, 80, 1000, 0, SYN,
              options=tcp_options(mss=1460, sack_perm=True, ts=(7, 0), ws=7))
    return decode(frame(eth(ipv4("10.1.2.3", "192.168.7.9", 6, seg))))


def web_get() -> Packet:
    payload = b"GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n\r\n"
    seg = tcp("10.1.2.3", "192.168.7.9", 40000, 80, 1001, 5001, PSH | ACK, payload=payload)
    return decode(frame(eth(ipv4("10.1.2.3", "192.168.7.9", 6, seg, ttl=128))))


def dns_over_v6() -> Packet:
    msg = dns_query(0x1234, (b"www", b"Example", b"org"), qtype=28)
    return decode(frame(eth(ipv6("2001:db8::1", "2001:db8:1::53", 17, udp("2001:db8::1", "2001:db8:1::53",
                                                                             5353, 53, msg)), ethertype=0x86DD)))


def arp_request() -> Packet:
    return decode(frame(eth(arp(1, "00:1a:6b:6c:0c:cc", "10.1.2.3", "00:00:00:00:00:00", "10.1.2.1"),
                            ethertype=0x0806, dst="ff:ff:ff:ff:ff:ff")))


def matches(text: str, pkt: Packet) -> bool:
    result = compile_filter(text)(pkt)
    assert type(result) is bool, text
    return result


# -- what each operator means ----------------------------------------------------------------------------
TWO_PORTS = {"tcp.srcport": 80, "tcp.dstport": 1234, "tcp.port": [80, 1234]}
SAME_PORTS = {"tcp.srcport": 80, "tcp.dstport": 80, "tcp.port": [80, 80]}


@pytest.mark.parametrize("text, fields, expected", [
    # == is "any equal"; != is "all not equal" (Wireshark 4.0: the negation of ==, the field present)
    ("tcp.port == 80", TWO_PORTS, True),
    ("tcp.port != 80", TWO_PORTS, False),
    ("tcp.port != 443", TWO_PORTS, True),
    ("tcp.port ne 80", TWO_PORTS, False),
    ("tcp.port ~= 80", TWO_PORTS, True),        # any not equal
    ("tcp.port !== 80", TWO_PORTS, True),
    ("tcp.port === 80", TWO_PORTS, False),      # all equal
    ("tcp.port === 80", SAME_PORTS, True),
    ("tcp.port ~= 80", SAME_PORTS, False),
    ("any tcp.port == 1234", TWO_PORTS, True),
    ("all tcp.port == 1234", TWO_PORTS, False),
    ("all tcp.port > 10", TWO_PORTS, True),
    ("tcp.port > 1000", TWO_PORTS, True),
    ("tcp.port gt 5000", TWO_PORTS, False),
    ("tcp.port lt 81 and tcp.port ge 1234", TWO_PORTS, True),  # different occurrences may satisfy each
    ("tcp.port le 79", TWO_PORTS, False),
    ("tcp.port in {443, 1234}", TWO_PORTS, True),
    ("tcp.port in {1..79, 81..1000}", TWO_PORTS, False),
    ("tcp.port in {1000..2000}", TWO_PORTS, True),
    ("tcp.port not in {80}", TWO_PORTS, False),
    ("tcp.port in {443 1234}", TWO_PORTS, True),    # Wireshark 3's spaces between elements
    ("tcp.srcport == tcp.dstport", TWO_PORTS, False),
    ("tcp.srcport == tcp.dstport", SAME_PORTS, True),
    ("tcp.srcport < tcp.dstport", TWO_PORTS, True),
    ("80 == tcp.srcport", TWO_PORTS, True),         # a literal on the left
    ("1000 < tcp.dstport", TWO_PORTS, True),
])
def test_operators_over_occurrences(text, fields, expected):
    assert matches(text, packet(frame={"frame.number": 1}, tcp=fields)) is expected


@pytest.mark.parametrize("text, expected", [
    ("tcp.port != 80", False),          # != needs the field
    ("!(tcp.port == 80)", True),
    ("not tcp.port == 80", True),
    ("tcp.port not in {80}", True),     # not in is the negation of in
    ("not tcp.port in {80}", True),
    ("tcp.port ~= 80", False),
    ("all tcp.port == 80", False),
    ("udp.port == 53", True),
    ("udp", True),
    ("tcp", False),
])
def test_absent_fields(text, expected):
    pkt = packet(frame={"frame.number": 1}, udp={"udp.srcport": 5000, "udp.dstport": 53, "udp.port": [5000, 53]})
    assert matches(text, pkt) is expected


def test_both_directions_fields_fall_back_to_source_and_destination():
    pkt = packet(ip={"ip.src": "10.0.0.1", "ip.dst": "172.16.0.9"},
                 tcp={"tcp.srcport": 1025, "tcp.dstport": 443},
                 eth={"eth.src": "00:11:22:33:44:55", "eth.dst": "66:77:88:99:aa:bb"})
    assert matches("ip.addr == 172.16.0.9", pkt)
    assert matches("ip.addr == 10.0.0.0/8 && ip.addr == 172.16.0.0/12", pkt)
    assert not matches("ip.addr != 10.0.0.1", pkt)
    assert matches("tcp.port == 443 and tcp.port == 1025", pkt)
    assert matches("eth.addr == 66:77:88:99:aa:bb", pkt)
    assert matches("ip.addr", pkt) and matches("tcp.port", pkt)
    assert not matches("ipv6.addr", pkt) and not matches("udp.port", pkt)


def test_hex_text_fields_compare_as_numbers():
    pkt = web_syn()
    assert pkt["tcp.flags"] == "0x0002"
    for text in ("tcp.flags == 0x02", "tcp.flags == 2", "tcp.flags == 0x0002", "tcp.flags == 02",
                 "tcp.flags & 0x02", "tcp.flags & 0x12 == 0x02", "tcp.flags < 0x10", "eth.type == 0x0800",
                 "eth.type in {0x0800, 0x86dd}", "ip.id == 0x1234", "ip.id == 4660", "tcp.flags == 0b10"):
        assert matches(text, pkt), text
    for text in ("tcp.flags == 0x12", "tcp.flags & 0x10", "tcp.flags > 2"):
        assert not matches(text, pkt), text


def test_booleans():
    pkt = web_syn()
    for text in ("tcp.flags.syn == 1", "tcp.flags.syn", "tcp.flags.syn == True", "tcp.flags.syn == TRUE",
                 "tcp.flags.syn == 2", "tcp.flags.ack == 0", "tcp.flags.ack == False", "tcp.flags.syn > 0",
                 "tcp.flags.syn && tcp.flags.ack == 0", "tcp.flags.ack"):
        assert matches(text, pkt), text
    assert not matches("tcp.flags.ack == 1", pkt)
    assert not matches("!tcp.flags.ack", pkt)       # the field is there (value 0): presence is not truth


def test_addresses_and_networks():
    pkt = web_syn()
    for text in ("ip.src == 10.1.2.3", "ip.src == 10.0.0.0/8", "ip.dst == 192.168.7.9/32", "ip.src eq 10.1.2.3/24",
                 "ip.addr in {10.0.0.0/8, 172.16.0.0/12}", "ip.src > 10.1.2.2", "ip.src in {10.1.2.0 .. 10.1.2.9}",
                 "ip.src != 192.168.0.0/16", "ip.dst ~= 10.0.0.0/8", "ip.addr == 0.0.0.0/0"):
        assert matches(text, pkt), text
    assert not matches("ip.addr != 10.0.0.0/8", pkt)
    v6 = dns_over_v6()
    for text in ("ipv6.src == 2001:db8::1", "ipv6.addr == 2001:db8:1::/48", "ipv6.dst == 2001:DB8:1:0::53",
                 "ipv6.addr == ::/0", "ipv6.src < ipv6.dst"):
        assert matches(text, v6), text
    assert not matches("ipv6.addr == fe80::/10", v6)
    assert not matches("ip.addr == 0.0.0.0/0", v6)


@pytest.mark.parametrize("literal", ["00:1a:6b:6c:0c:cc", "00-1a-6b-6c-0c-cc", "001a.6b6c.0ccc", "001A6B6C0CCC",
                                     "00.1a.6b.6c.0c.cc"])
def test_mac_address_spellings(literal):
    pkt = web_syn()
    assert matches(f"eth.src == {literal}", pkt)
    assert matches(f"eth.addr == {literal}", pkt)
    assert not matches(f"eth.dst == {literal}", pkt)


def test_mac_slices_and_broadcast():
    pkt = arp_request()
    assert matches("eth.dst == ff:ff:ff:ff:ff:ff", pkt)
    assert matches("eth.src[0:3] == 00:1a:6b", pkt)        # the OUI
    assert matches("eth.src[:3] == 00:1a:6b and eth.src[3:] == 6c:0c:cc", pkt)
    assert matches("eth.src[1-2] == 1a:6b", pkt)
    assert matches("eth.src[-1] == cc", pkt)
    assert matches("eth.src[0:1,5] == 00:cc", pkt)
    assert not matches("eth.src[4:10] == 0c:cc", pkt)       # beyond the end: no value
    assert matches("arp.opcode == 1 && arp.dst.proto_ipv4 == 10.1.2.1", pkt)
    assert matches("arp.src.hw_mac == 00:1a:6b:6c:0c:cc", pkt)


def test_strings_contains_matches():
    pkt = packet(http={"http.host": "www.Example.com", "http.request.method": "GET",
                       "http.request.uri": "/a/b.PNG?x=1", "http.user_agent": 'say "hi"\tnow\n'})
    for text in ('http.host == "www.Example.com"', 'http.request.method == GET', 'http.host contains "Example"',
                 r'http.host matches "example\\.COM$"', 'http.host ~ "^WWW"', r'http.request.uri matches r"\.png\?"',
                 'http.host matches "(?-i)Example"', 'http.request.method in {"GET", "HEAD"}',
                 'http.request.method in {"A".."H"}', 'http.user_agent == "say \\"hi\\"\\tnow\\n"',
                 'http.user_agent contains "\\x22hi\\042"', 
                 'http.request.method[0] == "G"', 'http.host[4:3] == "Exa"', 'http.host[4:7] == "Example"', 'len(http.host) == 15',
                 'upper(http.host) == "WWW.EXAMPLE.COM"', 'lower(http.host) contains "example"',
                 'count(http.host) == 1', 'http.host > "www.A"', 'http.request.method != "POST"',
                 r'http.host matches "(?<sub>www)\\."'):
        assert matches(text, pkt), text
    for text in ('http.host contains "example"', 'http.host matches "(?-i)example"', 'http.host contains 45:78', 'http.host == "www.example.com"',
                 'http.request.method in {"POST", "PUT"}', 'http.request.method != "GET"'):
        assert not matches(text, pkt), text


def test_repeated_string_fields():
    pkt = packet(dns={"dns.qry.name": "a.example", "dns.a": ["10.0.0.1", "10.0.0.2", "192.0.2.7"]})
    assert matches("dns.a == 192.0.2.7", pkt)
    assert matches("count(dns.a) == 3", pkt)
    assert matches("dns.a == 10.0.0.0/8", pkt)
    assert not matches("dns.a != 10.0.0.0/8", pkt)
    assert matches("dns.a ~= 10.0.0.0/8", pkt)
    assert not matches("all dns.a == 10.0.0.0/8", pkt)


def test_protocol_bytes_and_payloads():
    pkt = web_get()
    for text in ('frame contains "GET"', 'tcp contains "Host:"', 'ip contains "GET /"', 'eth contains 47:45:54',
                 'tcp.payload contains "GET"', 'tcp.payload[0:3] == "GET"', r'frame matches "http/1\\.1"',
                 'tcp.payload matches "^get "', 'len(tcp.payload) == 51', 'frame[12:2] == 08:00',
                 'frame[0:6] == eth.dst'):
        assert matches(text, pkt), text
    for text in ('udp.payload', 'tcp.payload contains "POST"', 'tcp contains "\\r\\n\\r\\nX"'):
        assert not matches(text, pkt), text
    syn = web_syn()
    assert not matches("tcp.payload", syn)
    for text in ("tcp.options.mss", "tcp.options.mss == 02:04:05:b4", "tcp.options.sack_perm", "tcp.options.wscale",
                 "tcp.options.timestamp", "tcp.options.mss_val == 1460", "tcp.options contains 02:04:05:b4",
                 "tcp.option_kind == 3", "tcp.options.nop"):
        assert matches(text, syn), text
    assert not matches("tcp.options.sack", syn) and not matches("tcp.options.tfo", syn)


def test_times_and_frame_fields():
    pkt = packet(frame={"frame.number": 7, "frame.time_epoch": "1700000000.123456789", "frame.len": 60},
                 tcp={"tcp.analysis.ack_rtt": "0.000291000", "tcp.analysis.initial_rtt": "0.100000000"})
    for text in ("frame.time_epoch == 1700000000.123456789", "frame.time_epoch > 1700000000.123456788",
                 "frame.time_epoch < 1700000001", "tcp.analysis.ack_rtt > 0.0002", "tcp.analysis.ack_rtt < 0.001",
                 "tcp.analysis.initial_rtt == 0.1", "tcp.analysis.initial_rtt >= 0.1", "frame.number in {1..3, 7}",
                 "frame.len >= 60", "frame.number == 07", "frame.number == 0x7"):
        assert matches(text, pkt), text
    assert not matches("tcp.analysis.initial_rtt > 0.1", pkt)


def test_checksum_status_names_and_numbers():
    pkt = web_syn()      # good checksums: the decoders say "Good"; tshark's value for it is 1
    assert pkt["ip.checksum.status"] == "Good"
    assert matches("ip.checksum.status == 1", pkt)
    assert matches('ip.checksum.status == "Good"', pkt)
    assert matches("ip.checksum.status == Good", pkt)
    assert not matches("ip.checksum.status == 0", pkt)


def test_logic_and_precedence():
    syn, get, v6 = web_syn(), web_get(), dns_over_v6()
    # and binds tighter than xor, xor tighter than or; not tightest
    assert matches("udp or tcp.flags.syn == 1 and tcp.flags.ack == 0", syn)
    assert matches("udp or tcp.flags.syn == 1 and tcp.flags.ack == 0", v6)
    assert not matches("(udp or tcp.flags.syn == 1) and tcp.flags.ack == 0", v6)
    assert matches("tcp xor udp", syn) and matches("tcp ^^ udp", v6)
    assert not matches("tcp xor ip", syn)
    assert matches("ip || ipv6 && udp", syn)          # ip || (ipv6 && udp)
    assert matches("!tcp.flags.syn == 1 && tcp", get)
    assert matches("not not tcp", get)
    assert matches("tcp and not (udp or arp)", get)
    assert not matches("tcp && udp", get)
    assert matches("tcp.port==80&&ip.ttl>100", get)


def test_presence_of_protocols_and_fields():
    syn, v6, who = web_syn(), dns_over_v6(), arp_request()
    assert matches("frame", syn) and matches("eth", syn) and matches("ip", syn) and matches("tcp", syn)
    assert not matches("udp", syn) and not matches("dns", syn) and not matches("ipv6", syn)
    assert matches("ipv6 && udp && dns", v6)
    assert matches("dns.qry.name == \"www.Example.org\" && dns.qry.type == 28", v6)
    assert matches("dns.flags.response == 0 and dns.id == 0x1234", v6)
    assert matches("arp && !ip", who)
    assert not matches("tcp.analysis.retransmission", syn)


# -- errors: message and caret ----------------------------------------------------------------------------
BAD = [
    # filter, position, length, words of the message
    ("foo.bar", 0, 7, '"foo.bar" is neither a field nor a protocol name.'),
    ("tcp.port == 80 and foo", 19, 3, '"foo" is neither a field nor a protocol name.'),
    ("80", 0, 2, '"80" is neither a field nor a protocol name.'),
    ("80 == 443", 0, 2, "neither a field nor a protocol name"),
    ("sctp", 0, 4, '"sctp" is a Wireshark protocol the analyzer does not decode.'),
    ("sctp.port == 1", 0, 9, "a Wireshark protocol the analyzer does not decode"),
    ("(tcp.port == 80", 0, 1, '"(" has no matching ")".'),
    ("((tcp) or (udp)", 0, 1, '"(" has no matching ")".'),
    ("tcp.port == 80)", 14, 1, '")" was unexpected in this context.'),
    ("tcp udp", 4, 3, '"udp" was unexpected in this context.'),
    ("tcp.port ==", 11, 1, "Unexpected end of filter expression."),
    ("tcp.port == and udp", 12, 3, '"and" was unexpected in this context. A value is missing after "=="'),
    ("== 80", 0, 2, '"==" was unexpected in this context.'),
    ("tcp and", 7, 1, "Unexpected end of filter expression."),
    ("not", 3, 1, "Unexpected end of filter expression."),
    ("", 0, 1, "The filter is empty."),
    ("tcp.port @ 80", 9, 1, '"@" was unexpected in this context.'),
    ("tcp.port == 8x", 12, 2, '"8x" is not a valid number.'),
    ("tcp.port == 64.0", 12, 4, '"64.0" is not a valid number.'),
    ('tcp.port == "80"', 12, 4, 'Unsigned integer cannot be converted from a string ("80").'),
    ("ip.addr == 10.0.0.0/33", 11, 11, "Netmask bits in a CIDR IPv4 address should be <= 32, not 33"),
    ("ip.addr == 10.0.0.256", 11, 10, '"10.0.0.256" is not a valid IPv4 address'),
    ("ip.addr == example.com", 11, 11, "host names are not resolved"),
    ('ip.src == "1.2.3.4"', 10, 9, 'IPv4 address cannot be converted from a string ("1.2.3.4").'),
    ("ipv6.addr == fe80:::1", 13, 8, "is not a valid IPv6 address"),
    ("ip.addr == ::1", 11, 3, "is not a valid IPv4 address"),
    ("eth.addr == 00:11:22", 12, 8, '"00:11:22" contains too few bytes to be a valid Ethernet address.'),
    ("eth.addr == 00:11:22:33:44:55:66", 12, 20, "too many bytes"),
    ("eth.addr == 00:11:22:33:44:zz", 12, 17, "is not a valid Ethernet address"),
    ("tcp.options contains 0x:11", 21, 5, "is not a valid byte string"),
    ('dns.qry.name == "abc', 16, 4, "The string literal is not terminated"),
    ('http.host matches "\\d"', 19, 2, "\\d is not a valid character escape sequence"),
    ('http.host == "\\x"', 14, 2, "\\x is not a valid character escape sequence"),
    ('http.host matches "("', 18, 3, "is not a valid regular expression"),
    ("tcp.port in {80,}", 16, 1, '"}" was unexpected in this context. (a value is missing in the set)'),
    ("tcp.port in {80", 12, 1, '"{" has no matching "}".'),
    ("tcp.port in 80", 12, 2, 'expected "{"'),
    ("tcp.analysis.retransmission == 1", 0, 27,
     "tcp.analysis.retransmission (type=Label) cannot participate in == comparison."),
    ("tcp.port contains 80", 0, 8, "tcp.port (type=Unsigned integer) cannot participate in contains comparison."),
    ("ip.addr matches \"10\"", 0, 7, "cannot participate in matches comparison"),
    ("ip.src == tcp.port", 10, 8, "ip.src and tcp.port are not of compatible types."),
    ("tcp.flags.syn == maybe", 17, 5, '"maybe" cannot be found among the possible values for tcp.flags.syn.'),
    ("frob(tcp.port)", 0, 4, "is not a function"),
    ("len(tcp.port) > 1", 4, 8, "len() takes a string or bytes field"),
    ("eth.src[x] == 00", 8, 1, '"x" is not a valid slice'),
    ("eth.src[0:3 == 00", 7, 1, '"[" has no matching "]".'),
    ("any tcp.port", 12, 1, '"any" needs a comparison'),
    ("ip.addr > 10.0.0.0/8", 10, 10, "can only be tested with =="),
    ("tcp.flags & ip.ttl", 12, 6, "The right side of & must be a number."),
    ('"abc" contains http.host', 0, 5, 'The left side of "contains" must be a field.'),
    ("tcp.port == 80 or", 17, 1, "Unexpected end of filter expression."),
    ("'ab' == ip.ttl", 0, 4, "is not a valid character constant"),
]


@pytest.mark.parametrize("text, position, length, message", BAD, ids=[b[0] or "empty" for b in BAD])
def test_bad_filters_point_at_the_offending_token(text, position, length, message):
    with pytest.raises(FilterError) as info:
        compile_filter(text)
    err = info.value
    assert message in err.message
    assert (err.position, err.length) == (position, length)
    assert str(err) == err.message
    lines = err.render().split("\n")
    assert lines[0] == err.message
    assert lines[1] == "    " + text
    caret = lines[2][4:]
    assert caret.index("^") == position
    assert caret.strip() == "^" + "~" * (min(length, max(1, len(text) - position)) - 1)


# Rejected by us but accepted by tshark: protocols tshark knows that the analyzer does not decode, and host
# names (tshark resolves them; the analyzer never does).
TSHARK_ACCEPTS = {"sctp", "sctp.port == 1", "ip.addr == example.com",
                  # not supported here: len() of a number (its size in bytes), & with a field as mask,
                  # ordering against a network (Wireshark compares with the network address)
                  "len(tcp.port) > 1", "tcp.flags & ip.ttl", "ip.addr > 10.0.0.0/8"}


@pytest.mark.skipif(TSHARK is None or not EMPTY_PCAP.exists(), reason="tshark or the shared corpus is missing")
def test_tshark_rejects_the_same_filters(tmp_path):
    texts = [text for text, *_ in BAD if text and text not in TSHARK_ACCEPTS]
    if "with Lua" in subprocess.run([TSHARK, "-v"], capture_output=True, text=True, check=False).stdout:
        # one run: each filter is compiled by tshark's Lua API (a display-filter tap); pcall catches the errors
        script = tmp_path / "compile.lua"
        script.write_text("\n".join(
            f"if pcall(Listener.new, nil, [==[{text}]==]) then io.write('accepted {i}\\n') end"
            for i, text in enumerate(texts)))
        out = subprocess.run([TSHARK, "-n", "-q", "-r", str(EMPTY_PCAP), "-X", f"lua_script:{script}"],
                             capture_output=True, text=True, check=False).stdout
        accepted = [texts[int(line.split()[1])] for line in out.splitlines() if line.startswith("accepted ")]
    else:
        accepted = [text for text in texts if subprocess.run([TSHARK, "-n", "-r", str(EMPTY_PCAP), "-Y", text],
                                                             capture_output=True, check=False).returncode == 0]
    assert accepted == []


# -- compiled once, into a plain function -------------------------------------------------------------------
def test_compiles_once_into_a_plain_function(monkeypatch):
    from analyzer.filter import _compiler, _lexer, _parser

    keep = compile_filter('tcp.port in {80, 443} && ip.addr == 10.0.0.0/8 && !tcp.analysis.retransmission')
    assert isinstance(keep, types.FunctionType)
    assert keep.source.startswith("def _match(pkt):")
    assert keep.text.startswith("tcp.port in")
    assert keep.fields == {"tcp.port", "ip.addr", "tcp.analysis.retransmission"}
    assert keep.protocols == {"tcp", "ip"}
    assert compile_filter('tcp.port in {80, 443} && ip.addr == 10.0.0.0/8 && !tcp.analysis.retransmission') is keep

    def boom(*_args, **_kwargs):
        raise AssertionError("the filter text was looked at again while matching")

    for module, name in ((_compiler, "parse"), (_parser, "tokenize"), (_lexer, "tokenize"), (_compiler, "_Compiler")):
        monkeypatch.setattr(module, name, boom)
    monkeypatch.setattr("builtins.compile", boom)
    pkts = [web_syn(), web_get(), dns_over_v6(), arp_request()] * 250
    assert sum(keep(p) for p in pkts) == 500


def test_unproduced_fields_are_reported():
    keep = compile_filter("tcp.completeness > 5 or tcp.port == 80")
    assert keep.unproduced == {"tcp.completeness"}
    assert keep(web_get())
    assert compile_filter("tcp.payload or tcp.options.mss").unproduced == frozenset()


# -- the -Y option ------------------------------------------------------------------------------------------
@click.command()
@display_filter_option
def _probe(display_filter) -> None:
    click.echo("none" if display_filter is None else display_filter.text)


def test_option_compiles_and_reports_errors_with_a_caret():
    runner = CliRunner()
    ok = runner.invoke(_probe, ["-Y", "tcp.port == 80"])
    assert ok.exit_code == 0 and ok.stdout == "tcp.port == 80\n"
    assert runner.invoke(_probe, []).stdout == "none\n"
    bad = runner.invoke(_probe, ["--display-filter", "tcp.port == 80 && ip.adr == 1.2.3.4"])
    assert bad.exit_code == 2
    assert bad.stdout == ""
    assert bad.stderr.split("\n") == [
        'analyzer: error: bad display filter: "ip.adr" is neither a field nor a protocol name.',
        "    tcp.port == 80 && ip.adr == 1.2.3.4",
        "                      ^~~~~~",
        "",
    ]
    warned = runner.invoke(_probe, ["-Y", "tcp.completeness > 1"])
    assert warned.exit_code == 0
    assert "tcp.completeness is a Wireshark field the analyzer does not produce" in warned.stderr
