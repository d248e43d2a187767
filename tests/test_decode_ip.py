"""IPv4, IPv6 (extension headers, fragments), ICMP and ICMPv6 decoders, checked against tshark."""

from __future__ import annotations

import pytest
from test_decode_support import Fixture, assert_matches_tshark, assert_truncations_safe, fixtures_of

# Fixtures: hex of one frame; the comment gives its source (corpus file and frame, or the scapy expression
# that built it) and tshark's summary line; ``protocols`` and ``tshark`` hold tshark 4.0's frame.protocols
# and the fields it printed for the frame.

# ipv4_fragments_http_request.pcap frame 1
#   tshark: 172.16.133.54 -> 216.137.33.81 HTTP 178 GET /convert_data.js?partner_id=29 HTTP/1.1
IPV4_FIRST_FRAGMENT = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp:http',
    hex=("00907f3e02d0d4bed94b24790800450000a4425f20008006acd3ac108536d8892151fb9f0050888d248a39a869b45018"
         "40293e040000474554202f636f6e766572745f646174612e6a733f706172746e65725f69643d323920485454502f312e"
         "310d0a486f73743a206a732e62697a6f67726170686963732e636f6d0d0a557365722d4167656e743a204d6f7a696c6c"
         "612f352e30202857696e646f7773204e5420362e313b20574f5736343b2072763a31"),
    tshark={
        'eth.src': 'd4:be:d9:4b:24:79', 'eth.dst': '00:90:7f:3e:02:d0', 'eth.type': '0x0800',
        'eth.addr': ['00:90:7f:3e:02:d0', 'd4:be:d9:4b:24:79'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 164, 'ip.id': '0x425f',
        'ip.flags': '0x01', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 1, 'ip.frag_offset': 0,
        'ip.ttl': 128, 'ip.proto': 6, 'ip.checksum': '0xacd3', 'ip.checksum.status': 'Good',
        'ip.src': '172.16.133.54', 'ip.dst': '216.137.33.81', 'ip.addr': ['172.16.133.54', '216.137.33.81'],
        'tcp.srcport': 64415, 'tcp.dstport': 80, 'tcp.port': [64415, 80], 'tcp.seq_raw': 2290951306,
        'tcp.ack_raw': 967338420, 'tcp.hdr_len': 20, 'tcp.flags': '0x0018', 'tcp.flags.res': 0,
        'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0, 'tcp.flags.urg': 0, 'tcp.flags.ack': 1,
        'tcp.flags.push': 1, 'tcp.flags.reset': 0, 'tcp.flags.syn': 0, 'tcp.flags.fin': 0,
        'tcp.flags.str': '·······AP···', 'tcp.window_size_value': 16425, 'tcp.checksum': '0x3e04',
        'tcp.checksum.status': 'Unverified', 'tcp.urgent_pointer': 0,
    })

# ipv4_fragments_http_request.pcap frame 2
#   tshark: 172.16.133.54 -> 216.137.33.81 IPv4 178 Fragmented IP protocol (proto=TCP 6, off=144, ID=425f)
IPV4_LATER_FRAGMENT = Fixture(
    linktype=1, protocols='eth:ethertype:ip:data',
    hex=("00907f3e02d0d4bed94b24790800450000a4425f20128006acc1ac108536d8892151392e3029204765636b6f2f323031"
         "30303130312046697265666f782f31392e300d0a4163636570743a202a2f2a0d0a4163636570742d4c616e6775616765"
         "3a20656e2d55532c656e3b713d302e350d0a4163636570742d456e636f64696e673a20677a69702c206465666c617465"
         "0d0a526566657265723a20687474703a2f2f73777a2e73616c6172792e636f6d2f73"),
    tshark={
        'eth.src': 'd4:be:d9:4b:24:79', 'eth.dst': '00:90:7f:3e:02:d0', 'eth.type': '0x0800',
        'eth.addr': ['00:90:7f:3e:02:d0', 'd4:be:d9:4b:24:79'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 164, 'ip.id': '0x425f',
        'ip.flags': '0x01', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 1, 'ip.frag_offset': 18,
        'ip.ttl': 128, 'ip.proto': 6, 'ip.checksum': '0xacc1', 'ip.checksum.status': 'Good',
        'ip.src': '172.16.133.54', 'ip.dst': '216.137.33.81', 'ip.addr': ['172.16.133.54', '216.137.33.81'],
    })

# malformed_ipv4_total_length_lt_header.pcap frame 1
#   tshark: 78:31:c1:c6:3f:c2 -> d4:04:ff:ea:c8:f0 IPv4 34 Bogus IP length (20, less than header length 60)
IPV4_TOTAL_LENGTH_LT_HEADER = Fixture(
    linktype=1, protocols='eth:ethertype:ip',
    hex=("d404ffeac8f07831c1c63fc208004f0000146dec00004006bc7ea3fd30b7c096bb2b"),
    tshark={
        'eth.src': '78:31:c1:c6:3f:c2', 'eth.dst': 'd4:04:ff:ea:c8:f0', 'eth.type': '0x0800',
        'eth.addr': ['d4:04:ff:ea:c8:f0', '78:31:c1:c6:3f:c2'], 'ip.version': 4, 'ip.hdr_len': 60,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 20,
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='10.1.1.1', dst='10.2.2.2', tos=0x2b, ttl=1, id=0xbeef, flags='DF', options=[IPOption_RR(routers=['1.2.3.4']), IPOption_NOP(), IPOption_Router_Alert()])/UDP(sport=53, dport=53)/b'z'
#   tshark: 10.1.1.1 -> 10.2.2.2 DNS 55 [Malformed Packet]
IPV4_OPTIONS = Fixture(
    linktype=1, protocols='eth:ethertype:ip:udp:dns',
    hex=("66778899aabb0011223344550800482b0029beef40000111fb930a0101010a0202020707040102030401940400000035"
         "003500096e6c7a"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 32,
        'ip.dsfield': '0x2b', 'ip.dsfield.dscp': 10, 'ip.dsfield.ecn': 3, 'ip.len': 41, 'ip.id': '0xbeef',
        'ip.flags': '0x02', 'ip.flags.rb': 0, 'ip.flags.df': 1, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 1, 'ip.proto': 17, 'ip.checksum': '0xfb93', 'ip.checksum.status': 'Good',
        'ip.src': '10.1.1.1', 'ip.dst': '10.2.2.2', 'ip.addr': ['10.1.1.1', '10.2.2.2'],
        'ip.opt.type': [7, 1, 148], 'ip.opt.len': [7, 4], 'udp.srcport': 53, 'udp.dstport': 53,
        'udp.port': [53, 53], 'udp.length': 9, 'udp.checksum': '0x6e6c', 'udp.checksum.status': 'Good',
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='10.1.1.1', dst='10.2.2.2', chksum=0x1234)/UDP(sport=1024, dport=5000)/b'hello'
#   tshark: 10.1.1.1 -> 10.2.2.2 UDP 47 1024 -> 5000 Len=5
IPV4_BAD_CHECKSUM = Fixture(
    linktype=1, protocols='eth:ethertype:ip:udp:data',
    hex=("66778899aabb00112233445508004500002100010000401112340a0101010a02020204001388000d8d7468656c6c6f"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 33, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 17, 'ip.checksum': '0x1234', 'ip.checksum.status': 'Bad',
        'ip.src': '10.1.1.1', 'ip.dst': '10.2.2.2', 'ip.addr': ['10.1.1.1', '10.2.2.2'], 'udp.srcport': 1024,
        'udp.dstport': 5000, 'udp.port': [1024, 5000], 'udp.length': 13, 'udp.checksum': '0x8d74',
        'udp.checksum.status': 'Good',
    })

# IPV4_TSO_LENGTH_ZERO
#   tshark: 10.1.1.1 -> 10.2.2.2 TCP 60 1 -> 2 [ACK] Seq=0 Ack=0 Win=8192 Len=6
IPV4_TSO_LENGTH_ZERO = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp:data',
    hex=("66778899aabb00112233445508004500000000010000400600000a0101010a0202020001000200000000000000005010"
         "20004e990000616263646566"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 46, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x0000', 'ip.checksum.status': 'Bad',
        'ip.src': '10.1.1.1', 'ip.dst': '10.2.2.2', 'ip.addr': ['10.1.1.1', '10.2.2.2'], 'tcp.srcport': 1,
        'tcp.dstport': 2, 'tcp.port': [1, 2], 'tcp.seq_raw': 0, 'tcp.ack_raw': 0, 'tcp.hdr_len': 20,
        'tcp.flags': '0x0010', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0,
        'tcp.flags.urg': 0, 'tcp.flags.ack': 1, 'tcp.flags.push': 0, 'tcp.flags.reset': 0,
        'tcp.flags.syn': 0, 'tcp.flags.fin': 0, 'tcp.flags.str': '·······A····',
        'tcp.window_size_value': 8192, 'tcp.checksum': '0x4e99', 'tcp.checksum.status': 'Good',
        'tcp.urgent_pointer': 0, 'tcp.len': 6,
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='10.1.1.1', dst='10.2.2.2')/IP(src='192.168.1.1', dst='192.168.1.2')/UDP(sport=7, dport=8)/b'tunnel'
#   tshark: 192.168.1.1 -> 192.168.1.2 ECHO 68 Response
IPV4_IN_IPV4 = Fixture(
    linktype=1, protocols='eth:ethertype:ip:ip:udp:echo',
    hex=("66778899aabb00112233445508004500003600010000400463be0a0101010a02020245000022000100004011f776c0a8"
         "0101c0a8010200070008000e341f74756e6e656c"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': [4, 4], 'ip.hdr_len': [20, 20],
        'ip.dsfield': ['0x00', '0x00'], 'ip.dsfield.dscp': [0, 0], 'ip.dsfield.ecn': [0, 0],
        'ip.len': [54, 34], 'ip.id': ['0x0001', '0x0001'], 'ip.flags': ['0x00', '0x00'],
        'ip.flags.rb': [0, 0], 'ip.flags.df': [0, 0], 'ip.flags.mf': [0, 0], 'ip.frag_offset': [0, 0],
        'ip.ttl': [64, 64], 'ip.proto': [4, 17], 'ip.checksum': ['0x63be', '0xf776'],
        'ip.checksum.status': ['Good', 'Good'], 'ip.src': ['10.1.1.1', '192.168.1.1'],
        'ip.dst': ['10.2.2.2', '192.168.1.2'],
        'ip.addr': ['10.1.1.1', '10.2.2.2', '192.168.1.1', '192.168.1.2'], 'udp.srcport': 7,
        'udp.dstport': 8, 'udp.port': [7, 8], 'udp.length': 14, 'udp.checksum': '0x341f',
        'udp.checksum.status': 'Good',
    })

# http10_ipv6_fetch_fin_teardown.pcap frame 4
#   tshark: fe80::2d0:9ff:fee3:e8de -> ff02::16 ICMPv6 90 Multicast Listener Report Message v2
IPV6_HOPOPTS_MLD = Fixture(
    linktype=1, protocols='eth:ethertype:ipv6:ipv6.hopopts:icmpv6',
    hex=("33330000001600d009e3e8de86dd6000000000240001fe8000000000000002d009fffee3e8deff020000000000000000"
         "0000000000163a000502000001008f0074fe0000000104000000ff0200000000000000000001ff9806e1"),
    tshark={
        'eth.src': '00:d0:09:e3:e8:de', 'eth.dst': '33:33:00:00:00:16', 'eth.type': '0x86dd',
        'eth.addr': ['33:33:00:00:00:16', '00:d0:09:e3:e8:de'], 'ip.version': 6, 'ipv6.version': 6,
        'ipv6.tclass': '0x00000000', 'ipv6.tclass.dscp': 0, 'ipv6.tclass.ecn': 0, 'ipv6.flow': '0x000000',
        'ipv6.plen': 36, 'ipv6.nxt': 0, 'ipv6.hlim': 1, 'ipv6.src': 'fe80::2d0:9ff:fee3:e8de',
        'ipv6.dst': 'ff02::16', 'ipv6.addr': ['fe80::2d0:9ff:fee3:e8de', 'ff02::16'], 'ipv6.hopopts.nxt': 58,
        'ipv6.hopopts.len': 0, 'ipv6.hopopts.len_oct': 8, 'ipv6.opt.type': ['0x05', '0x01'],
        'ipv6.opt.length': [2, 0], 'ipv6.opt.router_alert': 0, 'icmpv6.type': 143, 'icmpv6.code': 0,
        'icmpv6.checksum': '0x74fe', 'icmpv6.checksum.status': 'Good',
    })

# ipv6_fragments_dns_txt_one_lost.pcap frame 6
#   tshark: 2607:f740:b::f93 -> 2001:470:1f11:81f:d138:5f55:6d4:1fe2 DNS 1494 Standard query response 0x9f91 TXT txtpadding_3230.n1.netalyzr.icsi.berkeley.edu TXT[BoundErrorUnreassembled Packet]
IPV6_FRAGMENT_FIRST = Fixture(
    linktype=1, protocols='eth:ethertype:ipv6:ipv6.fraghdr:udp:dns',
    hex=("c42c033b6caad8306248c5b586dd6000000005a02c352607f740000b00000000000000000f93200104701f11081fd138"
         "5f5506d41fe211000001000000020035ca8b0ca6688f9f91850000010001000100020f74787470616464696e675f3332"
         "3330026e31086e6574616c797a720469637369086265726b656c6579036564750000100001c00c00100001000000010c"
         "1b215468697320545854207265636f72642073686f756c642062652069676e6f726564154173206974206973206a7573"
         "742070616464696e67bd5858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "58585858585858bd58585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "5858585858bd585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858bd5858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "58bd58585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "5858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858bd"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858bd5858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858"),
    tshark={
        'eth.src': 'd8:30:62:48:c5:b5', 'eth.dst': 'c4:2c:03:3b:6c:aa', 'eth.type': '0x86dd',
        'eth.addr': ['c4:2c:03:3b:6c:aa', 'd8:30:62:48:c5:b5'], 'ip.version': 6, 'ipv6.version': 6,
        'ipv6.tclass': '0x00000000', 'ipv6.tclass.dscp': 0, 'ipv6.tclass.ecn': 0, 'ipv6.flow': '0x000000',
        'ipv6.plen': 1440, 'ipv6.nxt': 44, 'ipv6.hlim': 53, 'ipv6.src': '2607:f740:b::f93',
        'ipv6.dst': '2001:470:1f11:81f:d138:5f55:6d4:1fe2',
        'ipv6.addr': ['2607:f740:b::f93', '2001:470:1f11:81f:d138:5f55:6d4:1fe2'], 'ipv6.fraghdr.nxt': 17,
        'ipv6.fraghdr.reserved_octet': '0x00', 'ipv6.fraghdr.offset': 0, 'ipv6.fraghdr.reserved_bits': 0,
        'ipv6.fraghdr.more': 1, 'ipv6.fraghdr.ident': '0x00000002', 'udp.srcport': 53, 'udp.dstport': 51851,
        'udp.port': [53, 51851], 'udp.length': 3238, 'udp.checksum': '0x688f',
        'udp.checksum.status': 'Unverified',
    })

# ipv6_fragments_dns_txt_one_lost.pcap frame 4
#   tshark: 2607:f740:b::f93 -> 2001:470:1f11:81f:d138:5f55:6d4:1fe2 IPv6 404 IPv6 fragment (off=2896 more=n ident=0x00000001 nxt=17)
IPV6_FRAGMENT_LATER = Fixture(
    linktype=1, protocols='eth:ethertype:ipv6:ipv6.fraghdr:data',
    hex=("c42c033b6caad8306248c5b586dd60000000015e2c352607f740000b00000000000000000f93200104701f11081fd138"
         "5f5506d41fe211000b500000000158585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "5858585858585858585858c0585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858585858"
         "585858585858585858585858c01c0002000100000064001106726f6c616e640469636972036f72670000002910000000"
         "80000000cc7200010001000000640004c096bb1f"),
    tshark={
        'eth.src': 'd8:30:62:48:c5:b5', 'eth.dst': 'c4:2c:03:3b:6c:aa', 'eth.type': '0x86dd',
        'eth.addr': ['c4:2c:03:3b:6c:aa', 'd8:30:62:48:c5:b5'], 'ip.version': 6, 'ipv6.version': 6,
        'ipv6.tclass': '0x00000000', 'ipv6.tclass.dscp': 0, 'ipv6.tclass.ecn': 0, 'ipv6.flow': '0x000000',
        'ipv6.plen': 350, 'ipv6.nxt': 44, 'ipv6.hlim': 53, 'ipv6.src': '2607:f740:b::f93',
        'ipv6.dst': '2001:470:1f11:81f:d138:5f55:6d4:1fe2',
        'ipv6.addr': ['2607:f740:b::f93', '2001:470:1f11:81f:d138:5f55:6d4:1fe2'], 'ipv6.fraghdr.nxt': 17,
        'ipv6.fraghdr.reserved_octet': '0x00', 'ipv6.fraghdr.offset': 362, 'ipv6.fraghdr.reserved_bits': 0,
        'ipv6.fraghdr.more': 0, 'ipv6.fraghdr.ident': '0x00000001',
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IPv6(src='2001:db8::1', dst='2001:db8::2', tc=0xb8, fl=0x12345)/IPv6ExtHdrHopByHop(options=[RouterAlert()])/IPv6ExtHdrRouting(addresses=['2001:db8::99', '2001:db8::aa'], segleft=2)/IPv6ExtHdrDestOpt(options=[PadN(optdata=b'\0\0\0\0')])/IPv6ExtHdrFragment(id=0x1234, offset=0, m=1)/UDP(sport=1234, dport=53)/b'hello'
#   tshark: 2001:db8::1 -> 2001:db8::aa DNS 131 Unknown operation (13) 0x6865[BoundErrorUnreassembled Packet]
IPV6_EXT_CHAIN = Fixture(
    linktype=1, protocols='eth:ethertype:ipv6:ipv6.hopopts:ipv6.routing:ipv6.dstopts:ipv6.fraghdr:udp:dns',
    hex=("66778899aabb00112233445586dd6b812345004d004020010db800000000000000000000000120010db8000000000000"
         "0000000000022b000502000001003c0400020000000020010db800000000000000000000009920010db8000000000000"
         "0000000000aa2c00010400000000110000010000123404d20035000d5ade68656c6c6f"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x86dd',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 6, 'ipv6.version': 6,
        'ipv6.tclass': '0x000000b8', 'ipv6.tclass.dscp': 46, 'ipv6.tclass.ecn': 0, 'ipv6.flow': '0x012345',
        'ipv6.plen': 77, 'ipv6.nxt': 0, 'ipv6.hlim': 64, 'ipv6.src': '2001:db8::1',
        'ipv6.dst': '2001:db8::2', 'ipv6.addr': ['2001:db8::1', '2001:db8::2'], 'ipv6.hopopts.nxt': 43,
        'ipv6.hopopts.len': 0, 'ipv6.hopopts.len_oct': 8, 'ipv6.dstopts.nxt': 44, 'ipv6.dstopts.len': 0,
        'ipv6.dstopts.len_oct': 8, 'ipv6.routing.nxt': 60, 'ipv6.routing.len': 4, 'ipv6.routing.len_oct': 40,
        'ipv6.routing.type': 0, 'ipv6.routing.segleft': 2,
        'ipv6.routing.src.addr': ['2001:db8::99', '2001:db8::aa'], 'ipv6.fraghdr.nxt': 17,
        'ipv6.fraghdr.reserved_octet': '0x00', 'ipv6.fraghdr.offset': 0, 'ipv6.fraghdr.reserved_bits': 0,
        'ipv6.fraghdr.more': 1, 'ipv6.fraghdr.ident': '0x00001234',
        'ipv6.opt.type': ['0x05', '0x01', '0x01'], 'ipv6.opt.length': [2, 0, 4], 'ipv6.opt.router_alert': 0,
        'udp.srcport': 1234, 'udp.dstport': 53, 'udp.port': [1234, 53], 'udp.length': 13,
        'udp.checksum': '0x5ade', 'udp.checksum.status': 'Unverified',
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IPv6(src='2001:db8::1', dst='2001:db8::2')/IPv6ExtHdrRouting(type=0, addresses=['2001:db8::5', '2001:db8::6'], segleft=2)/UDP(sport=5, dport=6)/b'hello'
#   tshark: 2001:db8::1 -> 2001:db8::6 UDP 107 5 -> 6 Len=5
IPV6_ROUTING_TYPE0_UDP = Fixture(
    linktype=1, protocols='eth:ethertype:ipv6:ipv6.routing:udp:data',
    hex=("66778899aabb00112233445586dd6000000000352b4020010db800000000000000000000000120010db8000000000000"
         "000000000002110400020000000020010db800000000000000000000000520010db80000000000000000000000060005"
         "0006000d607e68656c6c6f"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x86dd',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 6, 'ipv6.version': 6,
        'ipv6.tclass': '0x00000000', 'ipv6.tclass.dscp': 0, 'ipv6.tclass.ecn': 0, 'ipv6.flow': '0x000000',
        'ipv6.plen': 53, 'ipv6.nxt': 43, 'ipv6.hlim': 64, 'ipv6.src': '2001:db8::1',
        'ipv6.dst': '2001:db8::2', 'ipv6.addr': ['2001:db8::1', '2001:db8::2'], 'ipv6.routing.nxt': 17,
        'ipv6.routing.len': 4, 'ipv6.routing.len_oct': 40, 'ipv6.routing.type': 0, 'ipv6.routing.segleft': 2,
        'ipv6.routing.src.addr': ['2001:db8::5', '2001:db8::6'], 'udp.srcport': 5, 'udp.dstport': 6,
        'udp.port': [5, 6], 'udp.length': 13, 'udp.checksum': '0x607e', 'udp.checksum.status': 'Good',
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IPv6(src='2001:db8::1', dst='2001:db8::2')/IPv6ExtHdrSegmentRouting(addresses=['2001:db8::10', '2001:db8::11'])/UDP(sport=5, dport=7)/b'x'
#   tshark: 2001:db8::1 -> 2001:db8::10 ECHO 103 Request
IPV6_SRH_UDP = Fixture(
    linktype=1, protocols='eth:ethertype:ipv6:ipv6.routing:udp:echo',
    hex=("66778899aabb00112233445586dd6000000000312b4020010db800000000000000000000000120010db8000000000000"
         "000000000002110404010100000020010db800000000000000000000001020010db80000000000000000000000110005"
         "000700092c4d78"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x86dd',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 6, 'ipv6.version': 6,
        'ipv6.tclass': '0x00000000', 'ipv6.tclass.dscp': 0, 'ipv6.tclass.ecn': 0, 'ipv6.flow': '0x000000',
        'ipv6.plen': 49, 'ipv6.nxt': 43, 'ipv6.hlim': 64, 'ipv6.src': '2001:db8::1',
        'ipv6.dst': '2001:db8::2', 'ipv6.addr': ['2001:db8::1', '2001:db8::2'], 'ipv6.routing.nxt': 17,
        'ipv6.routing.len': 4, 'ipv6.routing.len_oct': 40, 'ipv6.routing.type': 4, 'ipv6.routing.segleft': 1,
        'ipv6.routing.srh.last_entry': 1, 'ipv6.routing.srh.flags': '0x00', 'ipv6.routing.srh.tag': '0000',
        'ipv6.routing.srh.addr': ['2001:db8::10', '2001:db8::11'], 'udp.srcport': 5, 'udp.dstport': 7,
        'udp.port': [5, 7], 'udp.length': 9, 'udp.checksum': '0x2c4d', 'udp.checksum.status': 'Good',
    })

# arp_request_reply.pcap frame 3
#   tshark: 10.10.10.2 -> 10.10.10.1 ICMP 98 Echo (ping) request id=0x2093, seq=1/256, ttl=64
ICMP_ECHO_REQUEST = Fixture(
    linktype=1, protocols='eth:ethertype:ip:icmp:data',
    hex=("001d09f092ab001a6b6c0ccc08004500005400004000400112930a0a0a020a0a0a0108009d7b2093000188f79e501da5"
         "0a0008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435"
         "3637"),
    tshark={
        'eth.src': '00:1a:6b:6c:0c:cc', 'eth.dst': '00:1d:09:f0:92:ab', 'eth.type': '0x0800',
        'eth.addr': ['00:1d:09:f0:92:ab', '00:1a:6b:6c:0c:cc'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 84, 'ip.id': '0x0000',
        'ip.flags': '0x02', 'ip.flags.rb': 0, 'ip.flags.df': 1, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 1, 'ip.checksum': '0x1293', 'ip.checksum.status': 'Good',
        'ip.src': '10.10.10.2', 'ip.dst': '10.10.10.1', 'ip.addr': ['10.10.10.2', '10.10.10.1'],
        'icmp.type': 8, 'icmp.code': 0, 'icmp.checksum': '0x9d7b', 'icmp.checksum.status': 'Good',
        'icmp.ident': 8339, 'icmp.seq': 1, 'icmp.ident_le': 37664, 'icmp.seq_le': 256,
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='1.1.1.1', dst='2.2.2.2')/ICMP(chksum=0x2222)/b'hello'
#   tshark: 1.1.1.1 -> 2.2.2.2 ICMP 47 Echo (ping) request id=0x0000, seq=0/0, ttl=64
ICMP_BAD_CHECKSUM = Fixture(
    linktype=1, protocols='eth:ethertype:ip:icmp:data',
    hex=("66778899aabb00112233445508004500002100010000400174d60101010102020202080022220000000068656c6c6f"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 33, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 1, 'ip.checksum': '0x74d6', 'ip.checksum.status': 'Good',
        'ip.src': '1.1.1.1', 'ip.dst': '2.2.2.2', 'ip.addr': ['1.1.1.1', '2.2.2.2'], 'icmp.type': 8,
        'icmp.code': 0, 'icmp.checksum': '0x2222', 'icmp.checksum.status': 'Bad', 'icmp.ident': 0,
        'icmp.seq': 0, 'icmp.ident_le': 0, 'icmp.seq_le': 0,
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='10.1.1.1', dst='10.2.2.2')/ICMP(type=3, code=4, nexthopmtu=1400)/bytes(IP(src='10.1.1.1', dst='10.3.3.3', flags='DF')/TCP(sport=40000, dport=443, seq=123456, flags='PA')/(b'x'*100))[:28]
#   tshark: 10.1.1.1 -> 10.2.2.2 ICMP 70 Destination unreachable (Fragmentation needed)
ICMP_FRAG_NEEDED_TCP_QUOTE = Fixture(
    linktype=1, protocols='eth:ethertype:ip:icmp:ip:tcp',
    hex=("66778899aabb00112233445508004500003800010000400163bf0a0101010a02020203047746000005784500008c0001"
         "4000400622640a0101010a0303039c4001bb0001e240"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': [4, 4], 'ip.hdr_len': [20, 20],
        'ip.dsfield': ['0x00', '0x00'], 'ip.dsfield.dscp': [0, 0], 'ip.dsfield.ecn': [0, 0],
        'ip.len': [56, 140], 'ip.id': ['0x0001', '0x0001'], 'ip.flags': ['0x00', '0x02'],
        'ip.flags.rb': [0, 0], 'ip.flags.df': [0, 1], 'ip.flags.mf': [0, 0], 'ip.frag_offset': [0, 0],
        'ip.ttl': [64, 64], 'ip.proto': [1, 6], 'ip.checksum': ['0x63bf', '0x2264'],
        'ip.checksum.status': ['Good', 'Good'], 'ip.src': ['10.1.1.1', '10.1.1.1'],
        'ip.dst': ['10.2.2.2', '10.3.3.3'], 'ip.addr': ['10.1.1.1', '10.2.2.2', '10.1.1.1', '10.3.3.3'],
        'icmp.type': 3, 'icmp.code': 4, 'icmp.checksum': '0x7746', 'icmp.checksum.status': 'Good',
        'icmp.mtu': 1400, 'tcp.srcport': 40000, 'tcp.dstport': 443, 'tcp.port': [40000, 443],
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='9.9.9.9', dst='1.1.1.1')/ICMP(type=11, code=0)/bytes(IP(src='1.1.1.1', dst='2.2.2.2')/UDP(sport=1234, dport=53)/(b'x'*40))[:28]
#   tshark: 9.9.9.9 -> 1.1.1.1 ICMP 70 Time-to-live exceeded (Time to live exceeded in transit)
ICMP_TIME_EXCEEDED_UDP_QUOTE = Fixture(
    linktype=1, protocols='eth:ethertype:ip:icmp:ip:udp',
    hex=("66778899aabb00112233445508004500003800010000400166b109090909010101010b0064b000000000450000440001"
         "0000401174a3010101010202020204d2003500308b18"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': [4, 4], 'ip.hdr_len': [20, 20],
        'ip.dsfield': ['0x00', '0x00'], 'ip.dsfield.dscp': [0, 0], 'ip.dsfield.ecn': [0, 0],
        'ip.len': [56, 68], 'ip.id': ['0x0001', '0x0001'], 'ip.flags': ['0x00', '0x00'],
        'ip.flags.rb': [0, 0], 'ip.flags.df': [0, 0], 'ip.flags.mf': [0, 0], 'ip.frag_offset': [0, 0],
        'ip.ttl': [64, 64], 'ip.proto': [1, 17], 'ip.checksum': ['0x66b1', '0x74a3'],
        'ip.checksum.status': ['Good', 'Good'], 'ip.src': ['9.9.9.9', '1.1.1.1'],
        'ip.dst': ['1.1.1.1', '2.2.2.2'], 'ip.addr': ['9.9.9.9', '1.1.1.1', '1.1.1.1', '2.2.2.2'],
        'icmp.type': 11, 'icmp.code': 0, 'icmp.checksum': '0x64b0', 'icmp.checksum.status': 'Good',
        'udp.srcport': 1234, 'udp.dstport': 53, 'udp.port': [1234, 53], 'udp.length': 48,
        'udp.checksum': '0x8b18', 'udp.checksum.status': 'Unverified',
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='10.1.1.1', dst='10.2.2.2')/ICMP(type=13, id=5, seq=6)/struct.pack('!III', 1, 2, 3)
#   tshark: 10.1.1.1 -> 10.2.2.2 ICMP 66 Timestamp request id=0x0005, seq=6/1536, ttl=64
ICMP_TIMESTAMP = Fixture(
    linktype=1, protocols='eth:ethertype:ip:icmp',
    hex=("66778899aabb00112233445508004500003400010000400163c30a0101010a0202020d0038e20005000602dc907d02dc"
         "907d02dc907d000000010000000200000003"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 52, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 1, 'ip.checksum': '0x63c3', 'ip.checksum.status': 'Good',
        'ip.src': '10.1.1.1', 'ip.dst': '10.2.2.2', 'ip.addr': ['10.1.1.1', '10.2.2.2'], 'icmp.type': 13,
        'icmp.code': 0, 'icmp.checksum': '0x38e2', 'icmp.checksum.status': 'Good', 'icmp.ident': 5,
        'icmp.seq': 6, 'icmp.ident_le': 1280, 'icmp.seq_le': 1536, 'icmp.originate_timestamp': 48009341,
        'icmp.receive_timestamp': 48009341, 'icmp.transmit_timestamp': 48009341,
    })

# dns_udp_over_ipv6_wireshark_v6.pcap frame 83
#   tshark: 3ffe:507:0:1:260:97ff:fe07:69ea -> 3ffe:507:0:1:200:86ff:fe05:80da ICMPv6 122 Time Exceeded (hop limit exceeded in transit)
ICMPV6_UNREACH_UDP_QUOTE = Fixture(
    linktype=1, protocols='eth:ethertype:ipv6:icmpv6:ipv6:udp:data',
    hex=("0000860580da0060970769ea86dd6000000000443a403ffe050700000001026097fffe0769ea3ffe0507000000010200"
         "86fffe0580da0300f7520000000060000000001411013ffe050700000001020086fffe0580da3ffe05010410000002c0"
         "dffffe47033ea075829b0014828b01010000f9c8e736f5ed0800"),
    tshark={
        'eth.src': '00:60:97:07:69:ea', 'eth.dst': '00:00:86:05:80:da', 'eth.type': '0x86dd',
        'eth.addr': ['00:00:86:05:80:da', '00:60:97:07:69:ea'], 'ip.version': [6, 6], 'ipv6.version': [6, 6],
        'ipv6.tclass': ['0x00000000', '0x00000000'], 'ipv6.tclass.dscp': [0, 0], 'ipv6.tclass.ecn': [0, 0],
        'ipv6.flow': ['0x000000', '0x000000'], 'ipv6.plen': [68, 20], 'ipv6.nxt': [58, 17],
        'ipv6.hlim': [64, 1],
        'ipv6.src': ['3ffe:507:0:1:260:97ff:fe07:69ea', '3ffe:507:0:1:200:86ff:fe05:80da'],
        'ipv6.dst': ['3ffe:507:0:1:200:86ff:fe05:80da', '3ffe:501:410:0:2c0:dfff:fe47:33e'],
        'ipv6.addr': ['3ffe:507:0:1:260:97ff:fe07:69ea', '3ffe:507:0:1:200:86ff:fe05:80da', '3ffe:507:0:1:200:86ff:fe05:80da', '3ffe:501:410:0:2c0:dfff:fe47:33e'],
        'icmpv6.type': 3, 'icmpv6.code': 0, 'icmpv6.checksum': '0xf752', 'icmpv6.checksum.status': 'Good',
        'udp.srcport': 41077, 'udp.dstport': 33435, 'udp.port': [41077, 33435], 'udp.length': 20,
        'udp.checksum': '0x828b', 'udp.checksum.status': 'Good',
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IPv6(src='2001:db8::1', dst='2001:db8::2')/ICMPv6PacketTooBig(mtu=1280)/bytes(IPv6(src='2001:db8::2', dst='2001:db8::3')/TCP(sport=5, dport=6, flags='S')/(b'y'*50))[:60]
#   tshark: 2001:db8::1 -> 2001:db8::2 ICMPv6 122 Packet Too Big
ICMPV6_PACKET_TOO_BIG_TCP_QUOTE = Fixture(
    linktype=1, protocols='eth:ethertype:ipv6:icmpv6:ipv6:tcp',
    hex=("66778899aabb00112233445586dd6000000000443a4020010db800000000000000000000000120010db8000000000000"
         "000000000002020013af00000500600000000046064020010db800000000000000000000000220010db8000000000000"
         "0000000000030005000600000000000000005002200057520000"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x86dd',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': [6, 6], 'ipv6.version': [6, 6],
        'ipv6.tclass': ['0x00000000', '0x00000000'], 'ipv6.tclass.dscp': [0, 0], 'ipv6.tclass.ecn': [0, 0],
        'ipv6.flow': ['0x000000', '0x000000'], 'ipv6.plen': [68, 70], 'ipv6.nxt': [58, 6],
        'ipv6.hlim': [64, 64], 'ipv6.src': ['2001:db8::1', '2001:db8::2'],
        'ipv6.dst': ['2001:db8::2', '2001:db8::3'],
        'ipv6.addr': ['2001:db8::1', '2001:db8::2', '2001:db8::2', '2001:db8::3'], 'icmpv6.type': 2,
        'icmpv6.code': 0, 'icmpv6.checksum': '0x13af', 'icmpv6.checksum.status': 'Good', 'icmpv6.mtu': 1280,
        'tcp.srcport': 5, 'tcp.dstport': 6, 'tcp.port': [5, 6], 'tcp.seq_raw': 0, 'tcp.ack_raw': 0,
        'tcp.hdr_len': 20, 'tcp.flags': '0x0002', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0,
        'tcp.flags.ece': 0, 'tcp.flags.urg': 0, 'tcp.flags.ack': 0, 'tcp.flags.push': 0,
        'tcp.flags.reset': 0, 'tcp.flags.syn': 1, 'tcp.flags.fin': 0, 'tcp.flags.str': '··········S·',
        'tcp.window_size_value': 8192, 'tcp.checksum': '0x5752', 'tcp.checksum.status': 'Bad',
        'tcp.urgent_pointer': 0,
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IPv6(src='2001:db8::1', dst='2001:db8::2')/ICMPv6EchoRequest(id=0x1234, seq=7, cksum=0x3333)
#   tshark: 2001:db8::1 -> 2001:db8::2 ICMPv6 62 Echo (ping) request id=0x1234, seq=7, hop limit=64
ICMPV6_ECHO_BAD_CHECKSUM = Fixture(
    linktype=1, protocols='eth:ethertype:ipv6:icmpv6',
    hex=("66778899aabb00112233445586dd6000000000083a4020010db800000000000000000000000120010db8000000000000"
         "0000000000028000333312340007"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x86dd',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 6, 'ipv6.version': 6,
        'ipv6.tclass': '0x00000000', 'ipv6.tclass.dscp': 0, 'ipv6.tclass.ecn': 0, 'ipv6.flow': '0x000000',
        'ipv6.plen': 8, 'ipv6.nxt': 58, 'ipv6.hlim': 64, 'ipv6.src': '2001:db8::1',
        'ipv6.dst': '2001:db8::2', 'ipv6.addr': ['2001:db8::1', '2001:db8::2'], 'icmpv6.type': 128,
        'icmpv6.code': 0, 'icmpv6.checksum': '0x3333', 'icmpv6.checksum.status': 'Bad',
        'icmpv6.echo.identifier': '0x1234', 'icmpv6.echo.sequence_number': 7,
    })

FIXTURES = fixtures_of(globals())

# Where this project deliberately differs from tshark, per fixture.
DEVIATIONS = {
    # tshark 4.0 shows a TCP segment quoted in an ICMPv4 error with tcp.seq only (in ICMPv6 errors with both
    # tcp.seq and tcp.seq_raw); here a TCP layer always carries tcp.seq_raw, and quoted ones tcp.seq too.
    "ICMP_FRAG_NEEDED_TCP_QUOTE": {"tcp.seq_raw": 123456},
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fields_match_tshark(name):
    assert_matches_tshark(FIXTURES[name], DEVIATIONS.get(name))


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_every_truncated_prefix_fails_cleanly(name):
    assert_truncations_safe(FIXTURES[name])


def test_bad_ipv4_header_checksum_is_a_note_not_a_failure():
    pkt = IPV4_BAD_CHECKSUM.decode()
    assert pkt.failure is None
    assert pkt["ip.checksum.status"] == "Bad"
    # tshark: "Bad checksum [should be 0x63c6]"
    assert any(layer == "ip" and severity == "warning" and "should be 0x63c6" in text
               for layer, severity, text in pkt.notes)
    assert pkt.protocols == ["frame", "eth", "ip", "udp"]


def test_total_length_below_header_length_keeps_what_was_read():
    pkt = IPV4_TOTAL_LENGTH_LT_HEADER.decode()
    assert pkt.failure.layer == "ip"
    assert pkt.failure.offset == 14
    assert "bogus" in pkt.failure.reason
    assert any(layer == "ip" and severity == "error" for layer, severity, _ in pkt.notes)


def test_later_fragment_is_not_decoded_further():
    pkt = IPV4_LATER_FRAGMENT.decode()
    assert pkt.protocols == ["frame", "eth", "ip"]
    assert pkt.failure is None and pkt.payload is None


def test_first_fragment_decodes_transport_without_length_or_checksum():
    pkt = IPV4_FIRST_FRAGMENT.decode()
    assert pkt["tcp.checksum.status"] == "Unverified"
    assert "tcp.len" not in pkt
    assert pkt.payload == (54, len(IPV4_FIRST_FRAGMENT.data))


def test_tso_length_zero_uses_the_frame():
    pkt = IPV4_TSO_LENGTH_ZERO.decode()
    assert pkt["ip.len"] == len(IPV4_TSO_LENGTH_ZERO.data) - 14
    assert pkt.payload == (54, len(IPV4_TSO_LENGTH_ZERO.data))
    assert pkt.payload_bytes() == b"abcdef"
    assert any("segmentation offload" in text for _, _, text in pkt.notes)


def test_ipv6_extension_headers_are_layers_in_order():
    pkt = IPV6_EXT_CHAIN.decode()
    assert pkt.protocols[:8] == ["frame", "eth", "ipv6", "ipv6.hopopts", "ipv6.routing", "ipv6.dstopts",
                                 "ipv6.fraghdr", "udp"]
    offsets = [layer.offset for layer in pkt.layers[2:8]]
    assert offsets == [14, 54, 62, 102, 110, 118]


def test_later_ipv6_fragment_stops_after_fragment_header():
    pkt = IPV6_FRAGMENT_LATER.decode()
    assert pkt.protocols == ["frame", "eth", "ipv6", "ipv6.fraghdr"]
    assert pkt.failure is None and pkt.payload is None


def test_routing_header_final_destination_in_pseudo_header():
    # Both checksums were computed by the sender over the final destination, and tshark finds them good.
    assert IPV6_ROUTING_TYPE0_UDP.decode()["udp.checksum.status"] == "Good"
    assert IPV6_SRH_UDP.decode()["udp.checksum.status"] == "Good"
    deprecated = IPV6_ROUTING_TYPE0_UDP.decode().notes
    assert any(layer == "ipv6.routing" and "deprecated" in text for layer, _, text in deprecated)


def test_icmp_error_quotes_are_decoded_as_inner_layers():
    pkt = ICMP_TIME_EXCEEDED_UDP_QUOTE.decode()
    assert pkt.protocols == ["frame", "eth", "ip", "icmp", "ip", "udp"]
    assert pkt["ip.src"] == ["9.9.9.9", "1.1.1.1"]
    assert pkt.payload is None  # a quoted datagram's bytes are not this packet's payload
    assert not any(layer in ("ip", "udp") and severity != "note" for layer, severity, _ in pkt.notes)


def test_icmp_quote_of_eight_tcp_bytes_keeps_ports_and_sequence():
    pkt = ICMP_FRAG_NEEDED_TCP_QUOTE.decode()
    assert pkt.failure is None
    assert pkt["tcp.port"] == [40000, 443]
    assert pkt["tcp.seq"] == 123456  # tshark: tcp.seq 123456


def test_bad_icmp_checksums():
    icmp = ICMP_BAD_CHECKSUM.decode()
    assert any(layer == "icmp" and "should be 0xb42d" in text for layer, _, text in icmp.notes)
    icmpv6 = ICMPV6_ECHO_BAD_CHECKSUM.decode()
    assert any(layer == "icmpv6" and "should be 0x120d" in text for layer, _, text in icmpv6.notes)
