"""UDP and TCP decoders (lengths, checksums, options), checked against tshark."""

from __future__ import annotations

import pytest
from test_decode_support import (
    Fixture,
    assert_matches_tshark,
    assert_truncations_safe,
    compared_fields,
    fixtures_of,
)

# Fixtures: hex of one frame; the comment gives its source (corpus file and frame, or the scapy expression
# that built it) and tshark's summary line; ``protocols`` and ``tshark`` hold tshark 4.0's frame.protocols
# and the fields it printed for the frame.

# dns_udp_mixed_rrtypes_wireshark_sample.pcap frame 1
#   tshark: 192.168.170.8 -> 192.168.170.20 DNS 70 Standard query 0x1032 TXT google.com
UDP_DNS_QUERY = Fixture(
    linktype=1, protocols='eth:ethertype:ip:udp:dns',
    hex=("00c09f32418c00e018b10cad0800450000380000400040116547c0a8aa08c0a8aa14801b0035002485ed103201000001"
         "00000000000006676f6f676c6503636f6d0000100001"),
    tshark={
        'eth.src': '00:e0:18:b1:0c:ad', 'eth.dst': '00:c0:9f:32:41:8c', 'eth.type': '0x0800',
        'eth.addr': ['00:c0:9f:32:41:8c', '00:e0:18:b1:0c:ad'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 56, 'ip.id': '0x0000',
        'ip.flags': '0x02', 'ip.flags.rb': 0, 'ip.flags.df': 1, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 17, 'ip.checksum': '0x6547', 'ip.checksum.status': 'Good',
        'ip.src': '192.168.170.8', 'ip.dst': '192.168.170.20',
        'ip.addr': ['192.168.170.8', '192.168.170.20'], 'udp.srcport': 32795, 'udp.dstport': 53,
        'udp.port': [32795, 53], 'udp.length': 36, 'udp.checksum': '0x85ed', 'udp.checksum.status': 'Good',
    })

# pcapng_two_ifaces_ns_and_us_tsresol.pcapng frame 1
#   tshark: 172.17.0.2 -> 1.1.1.1 DNS 96 Standard query 0x4fe8 A www.apple.com OPT
UDP_BAD_CHECKSUM_OFFLOAD = Fixture(
    linktype=1, protocols='eth:ethertype:ip:udp:dns',
    hex=("3276995262da2eba22ed482d08004500005207e100004011c4a5ac110002010101018df70035003eae644fe801200001"
         "00000000000103777777056170706c6503636f6d000001000100002904d000000000000c000a000853d4fe03d5bc8577"),
    tshark={
        'eth.src': '2e:ba:22:ed:48:2d', 'eth.dst': '32:76:99:52:62:da', 'eth.type': '0x0800',
        'eth.addr': ['32:76:99:52:62:da', '2e:ba:22:ed:48:2d'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 82, 'ip.id': '0x07e1',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 17, 'ip.checksum': '0xc4a5', 'ip.checksum.status': 'Good',
        'ip.src': '172.17.0.2', 'ip.dst': '1.1.1.1', 'ip.addr': ['172.17.0.2', '1.1.1.1'],
        'udp.srcport': 36343, 'udp.dstport': 53, 'udp.port': [36343, 53], 'udp.length': 62,
        'udp.checksum': '0xae64', 'udp.checksum.status': 'Bad',
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='1.1.1.1', dst='2.2.2.2')/UDP(sport=1234, dport=80, chksum=0)/b'hello'
#   tshark: 1.1.1.1 -> 2.2.2.2 UDP 47 1234 -> 80 Len=5
UDP_CHECKSUM_ZERO_IPV4 = Fixture(
    linktype=1, protocols='eth:ethertype:ip:udp:data',
    hex=("66778899aabb00112233445508004500002100010000401174c6010101010202020204d20050000d000068656c6c6f"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 33, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 17, 'ip.checksum': '0x74c6', 'ip.checksum.status': 'Good',
        'ip.src': '1.1.1.1', 'ip.dst': '2.2.2.2', 'ip.addr': ['1.1.1.1', '2.2.2.2'], 'udp.srcport': 1234,
        'udp.dstport': 80, 'udp.port': [1234, 80], 'udp.length': 13, 'udp.checksum': '0x0000',
        'udp.checksum.status': 'Not present',
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IPv6(src='2001:db8::1', dst='2001:db8::2')/UDP(sport=1, dport=2, chksum=0)/b'ab'
#   tshark: 2001:db8::1 -> 2001:db8::2 UDP 64 1 -> 2 Len=2 [ILLEGAL CHECKSUM (0)]
UDP_CHECKSUM_ZERO_IPV6 = Fixture(
    linktype=1, protocols='eth:ethertype:ipv6:udp:data',
    hex=("66778899aabb00112233445586dd60000000000a114020010db800000000000000000000000120010db8000000000000"
         "00000000000200010002000a00006162"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x86dd',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 6, 'ipv6.version': 6,
        'ipv6.tclass': '0x00000000', 'ipv6.tclass.dscp': 0, 'ipv6.tclass.ecn': 0, 'ipv6.flow': '0x000000',
        'ipv6.plen': 10, 'ipv6.nxt': 17, 'ipv6.hlim': 64, 'ipv6.src': '2001:db8::1',
        'ipv6.dst': '2001:db8::2', 'ipv6.addr': ['2001:db8::1', '2001:db8::2'], 'udp.srcport': 1,
        'udp.dstport': 2, 'udp.port': [1, 2], 'udp.length': 10, 'udp.checksum': '0x0000',
        'udp.checksum.status': 'Illegal',
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='1.1.1.1', dst='2.2.2.2')/UDP(sport=1234, dport=80, len=5)/b'hello'
#   tshark: 1.1.1.1 -> 2.2.2.2 UDP 47 1234 -> 80 [BAD UDP LENGTH 5 < 8]
UDP_LENGTH_LT_8 = Fixture(
    linktype=1, protocols='eth:ethertype:ip:udp',
    hex=("66778899aabb00112233445508004500002100010000401174c6010101010202020204d200500005b0e268656c6c6f"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 33, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 17, 'ip.checksum': '0x74c6', 'ip.checksum.status': 'Good',
        'ip.src': '1.1.1.1', 'ip.dst': '2.2.2.2', 'ip.addr': ['1.1.1.1', '2.2.2.2'], 'udp.srcport': 1234,
        'udp.dstport': 80, 'udp.port': [1234, 80], 'udp.length': 5,
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='1.1.1.1', dst='2.2.2.2')/UDP(sport=1234, dport=80, len=50)/b'hello'
#   tshark: 1.1.1.1 -> 2.2.2.2 UDP 47 1234 -> 80 [BAD UDP LENGTH 50 > IP PAYLOAD LENGTH] Len=42
UDP_LENGTH_GT_IP_PAYLOAD = Fixture(
    linktype=1, protocols='eth:ethertype:ip:udp:data',
    hex=("66778899aabb00112233445508004500002100010000401174c6010101010202020204d200500032b0b568656c6c6f"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 33, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 17, 'ip.checksum': '0x74c6', 'ip.checksum.status': 'Good',
        'ip.src': '1.1.1.1', 'ip.dst': '2.2.2.2', 'ip.addr': ['1.1.1.1', '2.2.2.2'], 'udp.srcport': 1234,
        'udp.dstport': 80, 'udp.port': [1234, 80], 'udp.length': 50, 'udp.checksum': '0xb0b5',
        'udp.checksum.status': 'Unverified',
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='1.1.1.1', dst='2.2.2.2')/UDP(sport=1234, dport=80, len=10)/b'hello'
#   tshark: 1.1.1.1 -> 2.2.2.2 UDP 47 1234 -> 80 Len=2 [UDP CHECKSUM INCORRECT]
UDP_LENGTH_LT_IP_PAYLOAD = Fixture(
    linktype=1, protocols='eth:ethertype:ip:udp:data',
    hex=("66778899aabb00112233445508004500002100010000401174c6010101010202020204d20050000ab0dd68656c6c6f"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 33, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 17, 'ip.checksum': '0x74c6', 'ip.checksum.status': 'Good',
        'ip.src': '1.1.1.1', 'ip.dst': '2.2.2.2', 'ip.addr': ['1.1.1.1', '2.2.2.2'], 'udp.srcport': 1234,
        'udp.dstport': 80, 'udp.port': [1234, 80], 'udp.length': 10, 'udp.checksum': '0xb0dd',
        'udp.checksum.status': 'Bad',
    })

# dns_response_cut_by_snaplen.pcap frame 1
#   tshark: 192.168.1.100 -> 24.157.241.171 DNS 238 Standard query response 0xf8d3 A api.spd.samsungdm.com CNAME api.samsungspd.com A 54.75.141.161 A 99.81.251.12 A 52.50.121.244 A 52.210.193.207 A 52.50.159.204[Packet size limited during capture]
DNS_RESPONSE_CUT_BY_SNAPLEN = Fixture(
    linktype=1, origlen=238, protocols='eth:ethertype:ip:udp:dns',
    hex=("2047478d8d5e881dfcbaed800800450000e0000040003b112ad7c0a80164189df1ab0035493500cc5a02f8d381800001"
         "00090000000003617069037370640973616d73756e67646d03636f6d0000010001c00c000500010000012c0011036170"
         "690a73616d73756e67737064c01ec033000100010000003c0004364b8da1c033000100010000003c00046351fb0cc033"
         "000100010000003c0004343279f4c033000100010000003c000434d2c1cfc033000100010000003c000434329fccc033"
         "000100010000003c"),
    tshark={
        'eth.src': '88:1d:fc:ba:ed:80', 'eth.dst': '20:47:47:8d:8d:5e', 'eth.type': '0x0800',
        'eth.addr': ['20:47:47:8d:8d:5e', '88:1d:fc:ba:ed:80'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 224, 'ip.id': '0x0000',
        'ip.flags': '0x02', 'ip.flags.rb': 0, 'ip.flags.df': 1, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 59, 'ip.proto': 17, 'ip.checksum': '0x2ad7', 'ip.checksum.status': 'Bad',
        'ip.src': '192.168.1.100', 'ip.dst': '24.157.241.171',
        'ip.addr': ['192.168.1.100', '24.157.241.171'], 'udp.srcport': 53, 'udp.dstport': 18741,
        'udp.port': [53, 18741], 'udp.length': 204, 'udp.checksum': '0x5a02',
        'udp.checksum.status': 'Unverified',
    })

# tcp_http_fin_then_rst.pcap frame 2
#   tshark: 96.126.98.124 -> 178.200.100.200 TCP 74 80 -> 39976 [SYN, ACK] Seq=2223882372 Ack=658013148 Win=28960 Len=0 MSS=1460 SACK_PERM TSval=614413426 TSecr=3979816008 WS=128
TCP_SYN_ACK_OPTIONS = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("000e0ca9b0080010dbff300808004500003c0000400036066a31607e627cb2c864c800509c28848dc08427387bdca012"
         "712005140000020405b40402080a249f3472ed372c4801030307"),
    tshark={
        'eth.src': '00:10:db:ff:30:08', 'eth.dst': '00:0e:0c:a9:b0:08', 'eth.type': '0x0800',
        'eth.addr': ['00:0e:0c:a9:b0:08', '00:10:db:ff:30:08'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 60, 'ip.id': '0x0000',
        'ip.flags': '0x02', 'ip.flags.rb': 0, 'ip.flags.df': 1, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 54, 'ip.proto': 6, 'ip.checksum': '0x6a31', 'ip.checksum.status': 'Good',
        'ip.src': '96.126.98.124', 'ip.dst': '178.200.100.200',
        'ip.addr': ['96.126.98.124', '178.200.100.200'], 'tcp.srcport': 80, 'tcp.dstport': 39976,
        'tcp.port': [80, 39976], 'tcp.seq_raw': 2223882372, 'tcp.ack_raw': 658013148, 'tcp.hdr_len': 40,
        'tcp.flags': '0x0012', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0,
        'tcp.flags.urg': 0, 'tcp.flags.ack': 1, 'tcp.flags.push': 0, 'tcp.flags.reset': 0,
        'tcp.flags.syn': 1, 'tcp.flags.fin': 0, 'tcp.flags.str': '·······A··S·',
        'tcp.window_size_value': 28960, 'tcp.checksum': '0x0514', 'tcp.checksum.status': 'Good',
        'tcp.urgent_pointer': 0, 'tcp.len': 0, 'tcp.options': '020405b40402080a249f3472ed372c4801030307',
        'tcp.option_kind': [2, 4, 8, 1, 3], 'tcp.option_len': [4, 2, 10, 3], 'tcp.options.mss_val': 1460,
        'tcp.options.wscale.shift': 7, 'tcp.options.wscale.multiplier': 128, 'tcp.options.sack_perm': '0402',
        'tcp.options.timestamp.tsval': 614413426, 'tcp.options.timestamp.tsecr': 3979816008,
    })

# tcp_http_fin_then_rst.pcap frame 3
#   tshark: 178.200.100.200 -> 96.126.98.124 TCP 66 39976 -> 80 [ACK] Seq=658013148 Ack=2223882373 Win=16384 Len=0 TSval=3979816008 TSecr=614413426
TCP_ACK_NOP_NOP_TS = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("0010dbff3008000e0ca9b0080800450000344d734000400612c6b2c864c8607e627c9c28005027387bdc848dc0858010"
         "4000650000000101080aed372c48249f3472"),
    tshark={
        'eth.src': '00:0e:0c:a9:b0:08', 'eth.dst': '00:10:db:ff:30:08', 'eth.type': '0x0800',
        'eth.addr': ['00:10:db:ff:30:08', '00:0e:0c:a9:b0:08'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 52, 'ip.id': '0x4d73',
        'ip.flags': '0x02', 'ip.flags.rb': 0, 'ip.flags.df': 1, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x12c6', 'ip.checksum.status': 'Good',
        'ip.src': '178.200.100.200', 'ip.dst': '96.126.98.124',
        'ip.addr': ['178.200.100.200', '96.126.98.124'], 'tcp.srcport': 39976, 'tcp.dstport': 80,
        'tcp.port': [39976, 80], 'tcp.seq_raw': 658013148, 'tcp.ack_raw': 2223882373, 'tcp.hdr_len': 32,
        'tcp.flags': '0x0010', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0,
        'tcp.flags.urg': 0, 'tcp.flags.ack': 1, 'tcp.flags.push': 0, 'tcp.flags.reset': 0,
        'tcp.flags.syn': 0, 'tcp.flags.fin': 0, 'tcp.flags.str': '·······A····',
        'tcp.window_size_value': 16384, 'tcp.checksum': '0x6500', 'tcp.checksum.status': 'Good',
        'tcp.urgent_pointer': 0, 'tcp.len': 0, 'tcp.options': '0101080aed372c48249f3472',
        'tcp.option_kind': [1, 1, 8], 'tcp.option_len': 10, 'tcp.options.timestamp.tsval': 3979816008,
        'tcp.options.timestamp.tsecr': 614413426,
    })

# tcp_out_of_order_sack_gaps_rst_http.pcap frame 24
#   tshark: 10.3.11.101 -> 174.56.47.59 TCP 66 49309 -> 80 [ACK] Seq=1975569888 Ack=2136293761 Win=256 Len=0 SLE=2136301489 SRE=2136304065
TCP_SACK_BLOCK = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("20e52ab693f10008021c47ae080045000034083e40008006ffaa0a030b65ae382f3bc09d005075c0cde07f5541818010"
         "0100f85e00000101050a7f555fb17f5569c1"),
    tshark={
        'eth.src': '00:08:02:1c:47:ae', 'eth.dst': '20:e5:2a:b6:93:f1', 'eth.type': '0x0800',
        'eth.addr': ['20:e5:2a:b6:93:f1', '00:08:02:1c:47:ae'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 52, 'ip.id': '0x083e',
        'ip.flags': '0x02', 'ip.flags.rb': 0, 'ip.flags.df': 1, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 128, 'ip.proto': 6, 'ip.checksum': '0xffaa', 'ip.checksum.status': 'Good',
        'ip.src': '10.3.11.101', 'ip.dst': '174.56.47.59', 'ip.addr': ['10.3.11.101', '174.56.47.59'],
        'tcp.srcport': 49309, 'tcp.dstport': 80, 'tcp.port': [49309, 80], 'tcp.seq_raw': 1975569888,
        'tcp.ack_raw': 2136293761, 'tcp.hdr_len': 32, 'tcp.flags': '0x0010', 'tcp.flags.res': 0,
        'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0, 'tcp.flags.urg': 0, 'tcp.flags.ack': 1,
        'tcp.flags.push': 0, 'tcp.flags.reset': 0, 'tcp.flags.syn': 0, 'tcp.flags.fin': 0,
        'tcp.flags.str': '·······A····', 'tcp.window_size_value': 256, 'tcp.checksum': '0xf85e',
        'tcp.checksum.status': 'Good', 'tcp.urgent_pointer': 0, 'tcp.len': 0,
        'tcp.options': '0101050a7f555fb17f5569c1', 'tcp.option_kind': [1, 1, 5], 'tcp.option_len': 10,
        'tcp.options.sack_le': 2136301489, 'tcp.options.sack_re': 2136304065, 'tcp.options.sack.count': 1,
    })

# http_chunked_gzip_close_then_rst.pcap frame 1
#   tshark: 10.0.0.1 -> 10.0.0.2 TCP 74 41954 -> 80 [SYN] Seq=2224296586 Win=14600 [TCP CHECKSUM INCORRECT] Len=0 MSS=1360 SACK_PERM TSval=4328451 TSecr=0 WS=256
TCP_SYN_BAD_CHECKSUM_OFFLOAD = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("00005e000101000af331900008004500003c1e8940003e0681e90a0000010a000002a3e200508494128a00000000a002"
         "39082b7b0000020405500402080a00420c030000000001030308"),
    tshark={
        'eth.src': '00:0a:f3:31:90:00', 'eth.dst': '00:00:5e:00:01:01', 'eth.type': '0x0800',
        'eth.addr': ['00:00:5e:00:01:01', '00:0a:f3:31:90:00'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 60, 'ip.id': '0x1e89',
        'ip.flags': '0x02', 'ip.flags.rb': 0, 'ip.flags.df': 1, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 62, 'ip.proto': 6, 'ip.checksum': '0x81e9', 'ip.checksum.status': 'Bad',
        'ip.src': '10.0.0.1', 'ip.dst': '10.0.0.2', 'ip.addr': ['10.0.0.1', '10.0.0.2'],
        'tcp.srcport': 41954, 'tcp.dstport': 80, 'tcp.port': [41954, 80], 'tcp.seq_raw': 2224296586,
        'tcp.ack_raw': 0, 'tcp.hdr_len': 40, 'tcp.flags': '0x0002', 'tcp.flags.res': 0, 'tcp.flags.ae': 0,
        'tcp.flags.cwr': 0, 'tcp.flags.ece': 0, 'tcp.flags.urg': 0, 'tcp.flags.ack': 0, 'tcp.flags.push': 0,
        'tcp.flags.reset': 0, 'tcp.flags.syn': 1, 'tcp.flags.fin': 0, 'tcp.flags.str': '··········S·',
        'tcp.window_size_value': 14600, 'tcp.checksum': '0x2b7b', 'tcp.checksum.status': 'Bad',
        'tcp.urgent_pointer': 0, 'tcp.len': 0, 'tcp.options': '020405500402080a00420c030000000001030308',
        'tcp.option_kind': [2, 4, 8, 1, 3], 'tcp.option_len': [4, 2, 10, 3], 'tcp.options.mss_val': 1360,
        'tcp.options.wscale.shift': 8, 'tcp.options.wscale.multiplier': 256, 'tcp.options.sack_perm': '0402',
        'tcp.options.timestamp.tsval': 4328451, 'tcp.options.timestamp.tsecr': 0,
    })

# trunc_snaplen68_tcp_smtp.pcap frame 1
#   tshark: 201.186.157.67 -> 128.3.26.249 TCP 74 60827 -> 25 [SYN, ECE, CWR] Seq=1041724894 Win=5840 Len=0 MSS=1460 SACK_PERM[Packet size limited during capture]
TCP_HEADER_CUT_BY_SNAPLEN = Fixture(
    linktype=1, origlen=74, protocols='eth:ethertype:ip:tcp',
    hex=("eaf61c2d9fd2800b983bb9ec08004500003c38e0400033060ce2c9ba9d4380031af9ed9b00193e1775de00000000a0c2"
         "16d090d60000020405b404020808000000010000"),
    tshark={
        'eth.src': '80:0b:98:3b:b9:ec', 'eth.dst': 'ea:f6:1c:2d:9f:d2', 'eth.type': '0x0800',
        'eth.addr': ['ea:f6:1c:2d:9f:d2', '80:0b:98:3b:b9:ec'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 60, 'ip.id': '0x38e0',
        'ip.flags': '0x02', 'ip.flags.rb': 0, 'ip.flags.df': 1, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 51, 'ip.proto': 6, 'ip.checksum': '0x0ce2', 'ip.checksum.status': 'Good',
        'ip.src': '201.186.157.67', 'ip.dst': '128.3.26.249', 'ip.addr': ['201.186.157.67', '128.3.26.249'],
        'tcp.srcport': 60827, 'tcp.dstport': 25, 'tcp.port': [60827, 25], 'tcp.seq_raw': 1041724894,
        'tcp.ack_raw': 0, 'tcp.hdr_len': 40, 'tcp.flags': '0x00c2', 'tcp.flags.res': 0, 'tcp.flags.ae': 0,
        'tcp.flags.cwr': 1, 'tcp.flags.ece': 1, 'tcp.flags.urg': 0, 'tcp.flags.ack': 0, 'tcp.flags.push': 0,
        'tcp.flags.reset': 0, 'tcp.flags.syn': 1, 'tcp.flags.fin': 0, 'tcp.flags.str': '····CE····S·',
        'tcp.window_size_value': 5840, 'tcp.checksum': '0x90d6', 'tcp.checksum.status': 'Unverified',
        'tcp.urgent_pointer': 0, 'tcp.len': 0, 'tcp.options': '020405b404020808000000010000',
        'tcp.option_kind': [2, 4, 8], 'tcp.option_len': [4, 2, 8], 'tcp.options.mss_val': 1460,
        'tcp.options.sack_perm': '0402',
    })

# trunc_snaplen68_tcp_smtp.pcap frame 4
#   tshark: 128.3.26.249 -> 201.186.157.67 TCP 138 25 -> 60827 [PSH, ACK] Seq=1090081363 Ack=1041724895 Win=58400 Len=84
TCP_PAYLOAD_CUT_BY_SNAPLEN = Fixture(
    linktype=1, origlen=138, protocols='eth:ethertype:ip:tcp',
    hex=("800b983bb9eceaf61c2d9fd208004500007c63dd40004006d4a480031af9c9ba9d430019ed9b40f952533e1775df5018"
         "e42094650000"),
    tshark={
        'eth.src': 'ea:f6:1c:2d:9f:d2', 'eth.dst': '80:0b:98:3b:b9:ec', 'eth.type': '0x0800',
        'eth.addr': ['80:0b:98:3b:b9:ec', 'ea:f6:1c:2d:9f:d2'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 124, 'ip.id': '0x63dd',
        'ip.flags': '0x02', 'ip.flags.rb': 0, 'ip.flags.df': 1, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0xd4a4', 'ip.checksum.status': 'Good',
        'ip.src': '128.3.26.249', 'ip.dst': '201.186.157.67', 'ip.addr': ['128.3.26.249', '201.186.157.67'],
        'tcp.srcport': 25, 'tcp.dstport': 60827, 'tcp.port': [25, 60827], 'tcp.seq_raw': 1090081363,
        'tcp.ack_raw': 1041724895, 'tcp.hdr_len': 20, 'tcp.flags': '0x0018', 'tcp.flags.res': 0,
        'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0, 'tcp.flags.urg': 0, 'tcp.flags.ack': 1,
        'tcp.flags.push': 1, 'tcp.flags.reset': 0, 'tcp.flags.syn': 0, 'tcp.flags.fin': 0,
        'tcp.flags.str': '·······AP···', 'tcp.window_size_value': 58400, 'tcp.checksum': '0x9465',
        'tcp.checksum.status': 'Unverified', 'tcp.urgent_pointer': 0, 'tcp.len': 84,
    })

# tcp_syn_refused_rst.pcap frame 2
#   tshark: 10.1.1.6 -> 10.1.1.13 TCP 60 20000 -> 45264 [RST, ACK] Seq=0 Ack=3820339061 Win=0 Len=0
TCP_ETH_PADDING = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("00e04c68514826cae9a64df3080045000028f561400040062f5a0a0101060a01010d4e20b0d000000000e3b5bf755014"
         "0000f79f0000000000000000"),
    tshark={
        'eth.src': '26:ca:e9:a6:4d:f3', 'eth.dst': '00:e0:4c:68:51:48', 'eth.type': '0x0800',
        'eth.addr': ['00:e0:4c:68:51:48', '26:ca:e9:a6:4d:f3'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 40, 'ip.id': '0xf561',
        'ip.flags': '0x02', 'ip.flags.rb': 0, 'ip.flags.df': 1, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x2f5a', 'ip.checksum.status': 'Good',
        'ip.src': '10.1.1.6', 'ip.dst': '10.1.1.13', 'ip.addr': ['10.1.1.6', '10.1.1.13'],
        'tcp.srcport': 20000, 'tcp.dstport': 45264, 'tcp.port': [20000, 45264], 'tcp.seq_raw': 0,
        'tcp.ack_raw': 3820339061, 'tcp.hdr_len': 20, 'tcp.flags': '0x0014', 'tcp.flags.res': 0,
        'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0, 'tcp.flags.urg': 0, 'tcp.flags.ack': 1,
        'tcp.flags.push': 0, 'tcp.flags.reset': 1, 'tcp.flags.syn': 0, 'tcp.flags.fin': 0,
        'tcp.flags.str': '·······A·R··', 'tcp.window_size_value': 0, 'tcp.checksum': '0xf79f',
        'tcp.checksum.status': 'Good', 'tcp.urgent_pointer': 0, 'tcp.len': 0,
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='10.1.1.1', dst='10.2.2.2')/TCP(sport=80, dport=5000, flags='A', ack=5000, options=[('NOP', None), ('NOP', None), ('SAck', (4000, 4500, 6000, 7000))])
#   tshark: 10.1.1.1 -> 10.2.2.2 TCP 74 80 -> 5000 [ACK] Seq=0 Ack=5000 Win=8192 Len=0 SLE=4000 SRE=4500 SLE=6000 SRE=7000
TCP_DSACK_BELOW_ACK = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("66778899aabb00112233445508004500003c00010000400663b60a0101010a020202005013880000000000001388a010"
         "2000a74b00000101051200000fa0000011940000177000001b58"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 60, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x63b6', 'ip.checksum.status': 'Good',
        'ip.src': '10.1.1.1', 'ip.dst': '10.2.2.2', 'ip.addr': ['10.1.1.1', '10.2.2.2'], 'tcp.srcport': 80,
        'tcp.dstport': 5000, 'tcp.port': [80, 5000], 'tcp.seq_raw': 0, 'tcp.ack_raw': 5000,
        'tcp.hdr_len': 40, 'tcp.flags': '0x0010', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0,
        'tcp.flags.ece': 0, 'tcp.flags.urg': 0, 'tcp.flags.ack': 1, 'tcp.flags.push': 0,
        'tcp.flags.reset': 0, 'tcp.flags.syn': 0, 'tcp.flags.fin': 0, 'tcp.flags.str': '·······A····',
        'tcp.window_size_value': 8192, 'tcp.checksum': '0xa74b', 'tcp.checksum.status': 'Good',
        'tcp.urgent_pointer': 0, 'tcp.len': 0, 'tcp.options': '0101051200000fa0000011940000177000001b58',
        'tcp.option_kind': [1, 1, 5], 'tcp.option_len': 18, 'tcp.options.sack_le': [4000, 6000],
        'tcp.options.sack_re': [4500, 7000], 'tcp.options.sack.count': 2, 'tcp.options.sack.dsack_le': 4000,
        'tcp.options.sack.dsack_re': 4500,
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='10.1.1.1', dst='10.2.2.2')/TCP(sport=80, dport=5000, flags='A', ack=1000, options=[('NOP', None), ('NOP', None), ('SAck', (6000, 6500, 5000, 7000))])
#   tshark: 10.1.1.1 -> 10.2.2.2 TCP 74 80 -> 5000 [ACK] Seq=0 Ack=1000 Win=8192 Len=0 SLE=6000 SRE=6500 SLE=5000 SRE=7000
TCP_DSACK_INSIDE_SECOND = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("66778899aabb00112233445508004500003c00010000400663b60a0101010a0202020050138800000000000003e8a010"
         "2000ab3300000101051200001770000019640000138800001b58"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 60, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x63b6', 'ip.checksum.status': 'Good',
        'ip.src': '10.1.1.1', 'ip.dst': '10.2.2.2', 'ip.addr': ['10.1.1.1', '10.2.2.2'], 'tcp.srcport': 80,
        'tcp.dstport': 5000, 'tcp.port': [80, 5000], 'tcp.seq_raw': 0, 'tcp.ack_raw': 1000,
        'tcp.hdr_len': 40, 'tcp.flags': '0x0010', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0,
        'tcp.flags.ece': 0, 'tcp.flags.urg': 0, 'tcp.flags.ack': 1, 'tcp.flags.push': 0,
        'tcp.flags.reset': 0, 'tcp.flags.syn': 0, 'tcp.flags.fin': 0, 'tcp.flags.str': '·······A····',
        'tcp.window_size_value': 8192, 'tcp.checksum': '0xab33', 'tcp.checksum.status': 'Good',
        'tcp.urgent_pointer': 0, 'tcp.len': 0, 'tcp.options': '0101051200001770000019640000138800001b58',
        'tcp.option_kind': [1, 1, 5], 'tcp.option_len': 18, 'tcp.options.sack_le': [6000, 5000],
        'tcp.options.sack_re': [6500, 7000], 'tcp.options.sack.count': 2, 'tcp.options.sack.dsack_le': 6000,
        'tcp.options.sack.dsack_re': 6500,
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='10.1.1.1', dst='10.2.2.2')/TCP(sport=80, dport=5000, flags='FSRPAUEC', urgptr=9, window=0, options=[(19, b'\x00'*16), (200, b''), (99, b'ab')])
#   tshark: 10.1.1.1 -> 10.2.2.2 TCP 78 80 -> 5000 [FIN, SYN, RST, PSH, ACK, URG, ECE, CWR] Seq=0 Ack=0 Win=0 Urg=9 Len=0 MD5
TCP_ALL_FLAGS_UNKNOWN_OPTIONS = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("66778899aabb00112233445508004500004000010000400663b20a0101010a020202005013880000000000000000b0ff"
         "0000846b0009131200000000000000000000000000000000c80263046162"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 64, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x63b2', 'ip.checksum.status': 'Good',
        'ip.src': '10.1.1.1', 'ip.dst': '10.2.2.2', 'ip.addr': ['10.1.1.1', '10.2.2.2'], 'tcp.srcport': 80,
        'tcp.dstport': 5000, 'tcp.port': [80, 5000], 'tcp.seq_raw': 0, 'tcp.ack_raw': 0, 'tcp.hdr_len': 44,
        'tcp.flags': '0x00ff', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 1, 'tcp.flags.ece': 1,
        'tcp.flags.urg': 1, 'tcp.flags.ack': 1, 'tcp.flags.push': 1, 'tcp.flags.reset': 1,
        'tcp.flags.syn': 1, 'tcp.flags.fin': 1, 'tcp.flags.str': '····CEUAPRSF', 'tcp.window_size_value': 0,
        'tcp.checksum': '0x846b', 'tcp.checksum.status': 'Good', 'tcp.urgent_pointer': 9, 'tcp.len': 0,
        'tcp.options': '131200000000000000000000000000000000c80263046162', 'tcp.option_kind': [19, 200, 99],
        'tcp.option_len': [18, 2, 4], 'tcp.options.unknown.payload': '6162',
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='10.0.0.1', dst='10.0.0.2')/TCP(options=[('WScale', 14), ('WScale', 15)], flags='A')/b'xx'
#   tshark: 10.0.0.1 -> 10.0.0.2 FTP-DATA 64 FTP Data: 2 bytes
TCP_WSCALE_TWICE_OVER_14 = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp:ftp-data:data-text-lines',
    hex=("66778899aabb00112233445508004500003200010000400666c30a0000010a0000020014005000000000000000007010"
         "2000ced6000003030e03030f00007878"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 50, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x66c3', 'ip.checksum.status': 'Good',
        'ip.src': '10.0.0.1', 'ip.dst': '10.0.0.2', 'ip.addr': ['10.0.0.1', '10.0.0.2'], 'tcp.srcport': 20,
        'tcp.dstport': 80, 'tcp.port': [20, 80], 'tcp.seq_raw': 0, 'tcp.ack_raw': 0, 'tcp.hdr_len': 28,
        'tcp.flags': '0x0010', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0,
        'tcp.flags.urg': 0, 'tcp.flags.ack': 1, 'tcp.flags.push': 0, 'tcp.flags.reset': 0,
        'tcp.flags.syn': 0, 'tcp.flags.fin': 0, 'tcp.flags.str': '·······A····',
        'tcp.window_size_value': 8192, 'tcp.checksum': '0xced6', 'tcp.checksum.status': 'Good',
        'tcp.urgent_pointer': 0, 'tcp.len': 2, 'tcp.options': '03030e03030f0000',
        'tcp.option_kind': [3, 3, 0, 0], 'tcp.option_len': [3, 3], 'tcp.options.wscale.shift': [14, 15],
        'tcp.options.wscale.multiplier': [16384, 16384],
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='10.1.1.1', dst='10.2.2.2')/TCP(sport=80, dport=5000, flags='A', options=[('EOL', None), ('NOP', None), (30, b'\x00\x01'), ('MSS', 1460)])
#   tshark: 10.1.1.1 -> 10.2.2.2 TCP 66 [TCP Window Update] 80 -> 5000 [ACK] Seq=0 Ack=0 Win=8192 Len=0
TCP_EOL_NONZERO_PADDING = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("66778899aabb00112233445508004500003400010000400663be0a0101010a0202020050138800000000000000008010"
         "20000f2d000000011e040001020405b40000"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 52, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x63be', 'ip.checksum.status': 'Good',
        'ip.src': '10.1.1.1', 'ip.dst': '10.2.2.2', 'ip.addr': ['10.1.1.1', '10.2.2.2'], 'tcp.srcport': 80,
        'tcp.dstport': 5000, 'tcp.port': [80, 5000], 'tcp.seq_raw': 0, 'tcp.ack_raw': 0, 'tcp.hdr_len': 32,
        'tcp.flags': '0x0010', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0,
        'tcp.flags.urg': 0, 'tcp.flags.ack': 1, 'tcp.flags.push': 0, 'tcp.flags.reset': 0,
        'tcp.flags.syn': 0, 'tcp.flags.fin': 0, 'tcp.flags.str': '·······A····',
        'tcp.window_size_value': 8192, 'tcp.checksum': '0x0f2d', 'tcp.checksum.status': 'Good',
        'tcp.urgent_pointer': 0, 'tcp.len': 0, 'tcp.options': '00011e040001020405b40000',
        'tcp.option_kind': 0,
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/IP(src='10.0.0.1', dst='10.0.0.2')/TCP(options=[('MSS', 1460), ('SAckOK', b''), ('Timestamp', (1, 2)), ('NOP', None), ('WScale', 7), (99, b'xy'), ('EOL', None)], flags='SEC')/b'xx'
#   tshark: 10.0.0.1 -> 10.0.0.2 TCP 84 20 -> 80 [SYN, ECE, CWR] Seq=0 Win=8192 Len=2 MSS=1460 SACK_PERM TSval=1 TSecr=2 WS=128 [TCP segment of a reassembled PDU]
TCP_EOL_ZERO_PADDING = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("66778899aabb00112233445508004500004600010000400666af0a0000010a000002001400500000000000000000c0c2"
         "20009ed60000020405b40402080a00000001000000020103030763047879000000007878"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 70, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x66af', 'ip.checksum.status': 'Good',
        'ip.src': '10.0.0.1', 'ip.dst': '10.0.0.2', 'ip.addr': ['10.0.0.1', '10.0.0.2'], 'tcp.srcport': 20,
        'tcp.dstport': 80, 'tcp.port': [20, 80], 'tcp.seq_raw': 0, 'tcp.ack_raw': 0, 'tcp.hdr_len': 48,
        'tcp.flags': '0x00c2', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 1, 'tcp.flags.ece': 1,
        'tcp.flags.urg': 0, 'tcp.flags.ack': 0, 'tcp.flags.push': 0, 'tcp.flags.reset': 0,
        'tcp.flags.syn': 1, 'tcp.flags.fin': 0, 'tcp.flags.str': '····CE····S·',
        'tcp.window_size_value': 8192, 'tcp.checksum': '0x9ed6', 'tcp.checksum.status': 'Good',
        'tcp.urgent_pointer': 0, 'tcp.len': 2,
        'tcp.options': '020405b40402080a0000000100000002010303076304787900000000',
        'tcp.option_kind': [2, 4, 8, 1, 3, 99, 0, 0, 0, 0], 'tcp.option_len': [4, 2, 10, 3, 4],
        'tcp.options.mss_val': 1460, 'tcp.options.wscale.shift': 7, 'tcp.options.wscale.multiplier': 128,
        'tcp.options.sack_perm': '0402', 'tcp.options.timestamp.tsval': 1, 'tcp.options.timestamp.tsecr': 2,
        'tcp.options.unknown.payload': '7879',
    })

# TCP_OPT_LEN_ZERO
#   tshark: 10.0.0.1 -> 10.0.0.2 TCP 64 1000 -> 80 [ACK] Seq=1 Ack=2 Win=1000 [TCP CHECKSUM INCORRECT] Len=2 MSS=1460
TCP_OPT_LEN_ZERO = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("66778899aabb00112233445508004500003200010000400666c30a0000010a00000203e8005000000001000000027010"
         "03e800000000020405b4010108007878"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 50, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x66c3', 'ip.checksum.status': 'Good',
        'ip.src': '10.0.0.1', 'ip.dst': '10.0.0.2', 'ip.addr': ['10.0.0.1', '10.0.0.2'], 'tcp.srcport': 1000,
        'tcp.dstport': 80, 'tcp.port': [1000, 80], 'tcp.seq_raw': 1, 'tcp.ack_raw': 2, 'tcp.hdr_len': 28,
        'tcp.flags': '0x0010', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0,
        'tcp.flags.urg': 0, 'tcp.flags.ack': 1, 'tcp.flags.push': 0, 'tcp.flags.reset': 0,
        'tcp.flags.syn': 0, 'tcp.flags.fin': 0, 'tcp.flags.str': '·······A····',
        'tcp.window_size_value': 1000, 'tcp.checksum': '0x0000', 'tcp.checksum.status': 'Bad',
        'tcp.urgent_pointer': 0, 'tcp.len': 2, 'tcp.options': '020405b401010800',
        'tcp.option_kind': [2, 1, 1], 'tcp.option_len': 4, 'tcp.options.mss_val': 1460,
    })

# TCP_OPT_LEN_ONE
#   tshark: 10.0.0.1 -> 10.0.0.2 TCP 64 1000 -> 80 [ACK] Seq=1 Ack=2 Win=1000 [TCP CHECKSUM INCORRECT] Len=2
TCP_OPT_LEN_ONE = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("66778899aabb00112233445508004500003200010000400666c30a0000010a00000203e8005000000001000000027010"
         "03e800000000020105b4010101017878"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 50, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x66c3', 'ip.checksum.status': 'Good',
        'ip.src': '10.0.0.1', 'ip.dst': '10.0.0.2', 'ip.addr': ['10.0.0.1', '10.0.0.2'], 'tcp.srcport': 1000,
        'tcp.dstport': 80, 'tcp.port': [1000, 80], 'tcp.seq_raw': 1, 'tcp.ack_raw': 2, 'tcp.hdr_len': 28,
        'tcp.flags': '0x0010', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0,
        'tcp.flags.urg': 0, 'tcp.flags.ack': 1, 'tcp.flags.push': 0, 'tcp.flags.reset': 0,
        'tcp.flags.syn': 0, 'tcp.flags.fin': 0, 'tcp.flags.str': '·······A····',
        'tcp.window_size_value': 1000, 'tcp.checksum': '0x0000', 'tcp.checksum.status': 'Bad',
        'tcp.urgent_pointer': 0, 'tcp.len': 2, 'tcp.options': '020105b401010101',
    })

# TCP_OPT_KIND_WITHOUT_LENGTH
#   tshark: 10.0.0.1 -> 10.0.0.2 TCP 68 1000 -> 80 [ACK] Seq=1 Ack=2 Win=1000 [TCP CHECKSUM INCORRECT] Len=2 TSval=1 TSecr=2
TCP_OPT_KIND_WITHOUT_LENGTH = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("66778899aabb00112233445508004500003600010000400666bf0a0000010a00000203e8005000000001000000028010"
         "03e8000000000101080a00000001000000027878"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 54, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x66bf', 'ip.checksum.status': 'Good',
        'ip.src': '10.0.0.1', 'ip.dst': '10.0.0.2', 'ip.addr': ['10.0.0.1', '10.0.0.2'], 'tcp.srcport': 1000,
        'tcp.dstport': 80, 'tcp.port': [1000, 80], 'tcp.seq_raw': 1, 'tcp.ack_raw': 2, 'tcp.hdr_len': 32,
        'tcp.flags': '0x0010', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0,
        'tcp.flags.urg': 0, 'tcp.flags.ack': 1, 'tcp.flags.push': 0, 'tcp.flags.reset': 0,
        'tcp.flags.syn': 0, 'tcp.flags.fin': 0, 'tcp.flags.str': '·······A····',
        'tcp.window_size_value': 1000, 'tcp.checksum': '0x0000', 'tcp.checksum.status': 'Bad',
        'tcp.urgent_pointer': 0, 'tcp.len': 2, 'tcp.options': '0101080a0000000100000002',
        'tcp.option_kind': [1, 1, 8], 'tcp.option_len': 10, 'tcp.options.timestamp.tsval': 1,
        'tcp.options.timestamp.tsecr': 2,
    })

# TCP_OPT_PAST_HEADER
#   tshark: 10.0.0.1 -> 10.0.0.2 TCP 68 1000 -> 80 [ACK] Seq=1 Ack=2 Win=1000 [TCP CHECKSUM INCORRECT] Len=2
TCP_OPT_PAST_HEADER = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("66778899aabb00112233445508004500003600010000400666bf0a0000010a00000203e8005000000001000000028010"
         "03e8000000000101080c00000001000000027878"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 54, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x66bf', 'ip.checksum.status': 'Good',
        'ip.src': '10.0.0.1', 'ip.dst': '10.0.0.2', 'ip.addr': ['10.0.0.1', '10.0.0.2'], 'tcp.srcport': 1000,
        'tcp.dstport': 80, 'tcp.port': [1000, 80], 'tcp.seq_raw': 1, 'tcp.ack_raw': 2, 'tcp.hdr_len': 32,
        'tcp.flags': '0x0010', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0,
        'tcp.flags.urg': 0, 'tcp.flags.ack': 1, 'tcp.flags.push': 0, 'tcp.flags.reset': 0,
        'tcp.flags.syn': 0, 'tcp.flags.fin': 0, 'tcp.flags.str': '·······A····',
        'tcp.window_size_value': 1000, 'tcp.checksum': '0x0000', 'tcp.checksum.status': 'Bad',
        'tcp.urgent_pointer': 0, 'tcp.len': 2, 'tcp.options': '0101080c0000000100000002',
        'tcp.option_kind': [1, 1],
    })

# TCP_OPT_WRONG_FIXED_LENGTH
#   tshark: 10.0.0.1 -> 10.0.0.2 TCP 60 1000 -> 80 [ACK] Seq=1 Ack=2 Win=1000 [TCP CHECKSUM INCORRECT] Len=2
TCP_OPT_WRONG_FIXED_LENGTH = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("66778899aabb00112233445508004500002e00010000400666c70a0000010a00000203e8005000000001000000026010"
         "03e800000000020305017878"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 46, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x66c7', 'ip.checksum.status': 'Good',
        'ip.src': '10.0.0.1', 'ip.dst': '10.0.0.2', 'ip.addr': ['10.0.0.1', '10.0.0.2'], 'tcp.srcport': 1000,
        'tcp.dstport': 80, 'tcp.port': [1000, 80], 'tcp.seq_raw': 1, 'tcp.ack_raw': 2, 'tcp.hdr_len': 24,
        'tcp.flags': '0x0010', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0,
        'tcp.flags.urg': 0, 'tcp.flags.ack': 1, 'tcp.flags.push': 0, 'tcp.flags.reset': 0,
        'tcp.flags.syn': 0, 'tcp.flags.fin': 0, 'tcp.flags.str': '·······A····',
        'tcp.window_size_value': 1000, 'tcp.checksum': '0x0000', 'tcp.checksum.status': 'Bad',
        'tcp.urgent_pointer': 0, 'tcp.len': 2, 'tcp.options': '02030501', 'tcp.option_kind': [2, 1],
        'tcp.option_len': 3,
    })

# TCP_SACK_ODD_LENGTH
#   tshark: 10.0.0.1 -> 10.0.0.2 TCP 68 1000 -> 80 [ACK] Seq=1 Ack=2 Win=1000 [TCP CHECKSUM INCORRECT] Len=2 SLE=1 SRE=2
TCP_SACK_ODD_LENGTH = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("66778899aabb00112233445508004500003600010000400666bf0a0000010a00000203e8005000000001000000028010"
         "03e800000000050b000000010000000200007878"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 54, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x66bf', 'ip.checksum.status': 'Good',
        'ip.src': '10.0.0.1', 'ip.dst': '10.0.0.2', 'ip.addr': ['10.0.0.1', '10.0.0.2'], 'tcp.srcport': 1000,
        'tcp.dstport': 80, 'tcp.port': [1000, 80], 'tcp.seq_raw': 1, 'tcp.ack_raw': 2, 'tcp.hdr_len': 32,
        'tcp.flags': '0x0010', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0,
        'tcp.flags.urg': 0, 'tcp.flags.ack': 1, 'tcp.flags.push': 0, 'tcp.flags.reset': 0,
        'tcp.flags.syn': 0, 'tcp.flags.fin': 0, 'tcp.flags.str': '·······A····',
        'tcp.window_size_value': 1000, 'tcp.checksum': '0x0000', 'tcp.checksum.status': 'Bad',
        'tcp.urgent_pointer': 0, 'tcp.len': 2, 'tcp.options': '050b00000001000000020000',
        'tcp.option_kind': [5, 0], 'tcp.option_len': 11, 'tcp.options.sack_le': 1, 'tcp.options.sack_re': 2,
        'tcp.options.sack.count': 1, 'tcp.options.sack.dsack_le': 1, 'tcp.options.sack.dsack_re': 2,
    })

# TCP_HEADER_LENGTH_16
#   tshark: 10.0.0.1 -> 10.0.0.2 TCP 56 1000 -> 80 [ACK] Seq=1 Ack=2 Win=1000, bogus TCP header length (16, must be at least 20)
TCP_HEADER_LENGTH_16 = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("66778899aabb00112233445508004500002a00010000400666cb0a0000010a00000203e8005000000001000000024010"
         "03e8000000007878"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x0800',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 42, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 6, 'ip.checksum': '0x66cb', 'ip.checksum.status': 'Good',
        'ip.src': '10.0.0.1', 'ip.dst': '10.0.0.2', 'ip.addr': ['10.0.0.1', '10.0.0.2'], 'tcp.srcport': 1000,
        'tcp.dstport': 80, 'tcp.port': [1000, 80], 'tcp.seq_raw': 1, 'tcp.hdr_len': 16, 'tcp.len': 6,
    })

FIXTURES = fixtures_of(globals())


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fields_match_tshark(name):
    assert_matches_tshark(FIXTURES[name])


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_every_truncated_prefix_fails_cleanly(name):
    assert_truncations_safe(FIXTURES[name])


COMPLETE = sorted(name for name, fx in FIXTURES.items()
                  if fx.origlen == len(fx.data) and ("ip.len" in fx.tshark or "ipv6.plen" in fx.tshark))


@pytest.mark.parametrize("name", COMPLETE)
def test_trailing_bytes_are_tolerated_and_not_payload(name):
    fx = FIXTURES[name]
    plain = fx.decode()
    padded = fx.decode(fx.data + bytes(7), fx.origlen + 7)
    assert compared_fields(padded) == compared_fields(plain)
    assert padded.payload == plain.payload
    assert padded.protocols == plain.protocols


def _note(pkt, layer, fragment):
    return any(name == layer and fragment in text for name, _, text in pkt.notes)


def test_udp_payload_span():
    pkt = UDP_DNS_QUERY.decode()
    assert pkt.payload == (42, 42 + pkt["udp.length"] - 8)
    assert pkt.payload_bytes()[:2] == bytes.fromhex("1032")  # DNS id, tshark: "Standard query 0x1032"


def test_udp_length_shorter_than_ip_payload_trims_payload():
    pkt = UDP_LENGTH_LT_IP_PAYLOAD.decode()
    assert pkt.payload_bytes() == b"he"


def test_udp_length_below_8_fails_after_ports():
    pkt = UDP_LENGTH_LT_8.decode()
    assert pkt.failure.layer == "udp"
    assert pkt.payload is None


def test_udp_length_beyond_ip_payload_is_noted():
    pkt = UDP_LENGTH_GT_IP_PAYLOAD.decode()
    assert pkt.failure is None
    assert _note(pkt, "udp", "50 > IP payload length 13")
    assert pkt.payload_bytes() == b"hello"


def test_bad_checksums_are_notes_with_the_right_value():
    udp = UDP_BAD_CHECKSUM_OFFLOAD.decode()
    assert udp.failure is None
    assert _note(udp, "udp", "should be 0xee0c")  # tshark: "Bad checksum [should be 0xee0c]"
    tcp = TCP_SYN_BAD_CHECKSUM_OFFLOAD.decode()
    assert tcp.failure is None
    assert _note(tcp, "tcp", "should be 0xb3c2")  # tshark: "Bad checksum [should be 0xb3c2]"
    assert _note(tcp, "ip", "should be 0x0a31")   # tshark: "Bad checksum [should be 0x0a31]"
    assert _note(tcp, "tcp", "offload")


def test_udp_zero_checksum_over_ipv6_is_illegal_and_noted():
    assert _note(UDP_CHECKSUM_ZERO_IPV6.decode(), "udp", "illegal")
    assert not UDP_CHECKSUM_ZERO_IPV4.decode().notes


def test_snaplen_cut_payload_is_noted_and_what_is_there_is_payload():
    pkt = TCP_PAYLOAD_CUT_BY_SNAPLEN.decode()
    assert pkt.failure is None
    assert pkt["tcp.len"] == 84  # on the wire
    assert pkt.payload == (54, 54)  # captured: none of it
    assert _note(pkt, "tcp", "cut by snaplen")
    dns = DNS_RESPONSE_CUT_BY_SNAPLEN.decode()
    assert dns.payload == (42, len(DNS_RESPONSE_CUT_BY_SNAPLEN.data))
    assert _note(dns, "udp", "cut by snaplen")


def test_snaplen_cut_header_keeps_the_layer_and_fails():
    pkt = TCP_HEADER_CUT_BY_SNAPLEN.decode()
    assert pkt.layer("tcp") is not None
    assert pkt.failure.layer == "tcp"
    assert _note(pkt, "tcp", "snaplen")


def test_ethernet_padding_is_not_tcp_payload():
    pkt = TCP_ETH_PADDING.decode()  # 60-byte frame, 54 bytes of headers
    assert pkt.payload == (54, 54)


def test_header_length_below_20_keeps_ports_and_fails():
    pkt = TCP_HEADER_LENGTH_16.decode()
    assert pkt.failure.layer == "tcp"
    assert "at least 20" in pkt.failure.reason
    assert pkt["tcp.port"] == [1000, 80]


@pytest.mark.parametrize("name, fragment", [
    ("TCP_OPT_LEN_ZERO", "too-short option length = 0 bytes"),
    ("TCP_OPT_LEN_ONE", "too-short option length = 1 byte"),
    ("TCP_OPT_PAST_HEADER", "option length = 12 bytes says option goes past end of options"),
    ("TCP_OPT_WRONG_FIXED_LENGTH", "option length should be 4"),
    ("TCP_SACK_ODD_LENGTH", "suboption would go past end of option"),
    ("TCP_EOL_NONZERO_PADDING", "non-zero header padding"),
])
def test_malformed_options_are_noted_and_the_segment_kept(name, fragment):
    pkt = FIXTURES[name].decode()
    assert pkt.failure is None
    assert _note(pkt, "tcp", fragment)
    assert pkt.payload_bytes() == b"xx" or name == "TCP_EOL_NONZERO_PADDING"


def test_dsack_first_block():
    below = TCP_DSACK_BELOW_ACK.decode()
    assert (below["tcp.options.sack.dsack_le"], below["tcp.options.sack.dsack_re"]) == (4000, 4500)
    inside = TCP_DSACK_INSIDE_SECOND.decode()
    assert (inside["tcp.options.sack.dsack_le"], inside["tcp.options.sack.dsack_re"]) == (6000, 6500)


def test_ports_dispatch_lower_port_first():
    from analyzer.decode.packet import Packet, run
    from analyzer.decode.tables import LINKTYPES, TABLES

    seen = []

    def app(pkt, data, off, end):
        seen.append((off, end))
        pkt.add("app", off, end - off, {})

    tables = {**TABLES, "udp.port": {53: app, 1024: lambda *a: pytest.fail("higher port tried first")}}
    fx = UDP_DNS_QUERY  # 192.168.170.8:32795 -> 192.168.170.20:53
    pkt = run(Packet(fx.frame()), LINKTYPES[1], fx.data, 0, len(fx.data), tables)
    assert pkt.protocols[-2:] == ["udp", "app"]
    assert seen == [pkt.payload]
