"""Link-layer decoders (Ethernet, 802.1Q/802.1ad, Linux SLL/SLL2, BSD NULL, raw IP) and ARP, checked against tshark."""

from __future__ import annotations

import pytest
from test_decode_support import Fixture, assert_matches_tshark, assert_truncations_safe, fixtures_of

# Fixtures: hex of one frame; the comment gives its source (corpus file and frame, or the scapy expression
# that built it) and tshark's summary line; ``protocols`` and ``tshark`` hold tshark 4.0's frame.protocols
# and the fields it printed for the frame.

# http_fetch_dns_handshake_teardown_classic.pcap frame 1
#   tshark: 145.254.160.237 -> 65.208.228.223 TCP 62 3372 -> 80 [SYN] Seq=951057939 Win=8760 Len=0 MSS=1460 SACK_PERM
ETH_IPV4_TCP_SYN = Fixture(
    linktype=1, protocols='eth:ethertype:ip:tcp',
    hex=("feff200001000000010000000800450000300f414000800691eb91fea0ed41d0e4df0d2c005038affe13000000007002"
         "2238c30c0000020405b401010402"),
    tshark={
        'eth.src': '00:00:01:00:00:00', 'eth.dst': 'fe:ff:20:00:01:00', 'eth.type': '0x0800',
        'eth.addr': ['fe:ff:20:00:01:00', '00:00:01:00:00:00'], 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 48, 'ip.id': '0x0f41',
        'ip.flags': '0x02', 'ip.flags.rb': 0, 'ip.flags.df': 1, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 128, 'ip.proto': 6, 'ip.checksum': '0x91eb', 'ip.checksum.status': 'Good',
        'ip.src': '145.254.160.237', 'ip.dst': '65.208.228.223',
        'ip.addr': ['145.254.160.237', '65.208.228.223'], 'tcp.srcport': 3372, 'tcp.dstport': 80,
        'tcp.port': [3372, 80], 'tcp.seq_raw': 951057939, 'tcp.ack_raw': 0, 'tcp.hdr_len': 28,
        'tcp.flags': '0x0002', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0,
        'tcp.flags.urg': 0, 'tcp.flags.ack': 0, 'tcp.flags.push': 0, 'tcp.flags.reset': 0,
        'tcp.flags.syn': 1, 'tcp.flags.fin': 0, 'tcp.flags.str': '··········S·',
        'tcp.window_size_value': 8760, 'tcp.checksum': '0xc30c', 'tcp.checksum.status': 'Good',
        'tcp.urgent_pointer': 0, 'tcp.len': 0, 'tcp.options': '020405b401010402',
        'tcp.option_kind': [2, 1, 1, 4], 'tcp.option_len': [4, 2], 'tcp.options.mss_val': 1460,
        'tcp.options.sack_perm': '0402',
    })

# arp_request_reply.pcap frame 1
#   tshark: 00:1a:6b:6c:0c:cc -> ff:ff:ff:ff:ff:ff ARP 60 Who has 10.10.10.1? Tell 10.10.10.2
ETH_ARP_REQUEST_PADDED = Fixture(
    linktype=1, protocols='eth:ethertype:arp',
    hex=("ffffffffffff001a6b6c0ccc08060001080006040001001a6b6c0ccc0a0a0a020000000000000a0a0a01000000000000"
         "000000000000000000000000"),
    tshark={
        'eth.src': '00:1a:6b:6c:0c:cc', 'eth.dst': 'ff:ff:ff:ff:ff:ff', 'eth.type': '0x0806',
        'eth.addr': ['ff:ff:ff:ff:ff:ff', '00:1a:6b:6c:0c:cc'], 'arp.hw.type': 1, 'arp.proto.type': '0x0800',
        'arp.hw.size': 6, 'arp.proto.size': 4, 'arp.opcode': 1, 'arp.src.hw_mac': '00:1a:6b:6c:0c:cc',
        'arp.src.proto_ipv4': '10.10.10.2', 'arp.dst.hw_mac': '00:00:00:00:00:00',
        'arp.dst.proto_ipv4': '10.10.10.1',
    })

# arp_request_reply.pcap frame 2
#   tshark: 00:1d:09:f0:92:ab -> 00:1a:6b:6c:0c:cc ARP 42 10.10.10.1 is at 00:1d:09:f0:92:ab
ETH_ARP_REPLY = Fixture(
    linktype=1, protocols='eth:ethertype:arp',
    hex=("001a6b6c0ccc001d09f092ab08060001080006040002001d09f092ab0a0a0a01001a6b6c0ccc0a0a0a02"),
    tshark={
        'eth.src': '00:1d:09:f0:92:ab', 'eth.dst': '00:1a:6b:6c:0c:cc', 'eth.type': '0x0806',
        'eth.addr': ['00:1a:6b:6c:0c:cc', '00:1d:09:f0:92:ab'], 'arp.hw.type': 1, 'arp.proto.type': '0x0800',
        'arp.hw.size': 6, 'arp.proto.size': 4, 'arp.opcode': 2, 'arp.src.hw_mac': '00:1d:09:f0:92:ab',
        'arp.src.proto_ipv4': '10.10.10.1', 'arp.dst.hw_mac': '00:1a:6b:6c:0c:cc',
        'arp.dst.proto_ipv4': '10.10.10.2',
    })

# arp_gratuitous_reply_in_vlan.pcap frame 1
#   tshark: 00:19:06:ea:b8:c1 -> ff:ff:ff:ff:ff:ff ARP 64 Gratuitous ARP for 192.168.123.1 (Reply)
VLAN_GRATUITOUS_ARP_REPLY = Fixture(
    linktype=1, protocols='eth:ethertype:vlan:ethertype:arp',
    hex=("ffffffffffff001906eab8c18100007b08060001080006040002001906eab8c1c0a87b01ffffffffffffc0a87b010000"
         "00000000000000000000000000000000"),
    tshark={
        'eth.src': '00:19:06:ea:b8:c1', 'eth.dst': 'ff:ff:ff:ff:ff:ff', 'eth.type': '0x8100',
        'eth.addr': ['ff:ff:ff:ff:ff:ff', '00:19:06:ea:b8:c1'], 'vlan.id': 123, 'vlan.etype': '0x0806',
        'vlan.priority': 0, 'vlan.dei': 0, 'arp.hw.type': 1, 'arp.proto.type': '0x0800', 'arp.hw.size': 6,
        'arp.proto.size': 4, 'arp.opcode': 2, 'arp.src.hw_mac': '00:19:06:ea:b8:c1',
        'arp.src.proto_ipv4': '192.168.123.1', 'arp.dst.hw_mac': 'ff:ff:ff:ff:ff:ff',
        'arp.dst.proto_ipv4': '192.168.123.1', 'arp.isgratuitous': 1,
    })

# vlan_qinq_8021ad_arp.pcap frame 1
#   tshark: 00:20:d2:5a:fb:3f -> ff:ff:ff:ff:ff:ff ARP 64 Who has 172.21.79.100? Tell 172.21.79.97
QINQ_8021AD_ARP = Fixture(
    linktype=1, protocols='eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:arp',
    hex=("ffffffffffff0020d25afb3f88a800c8810007d1080600010800060400010020d25afb3fac154f61000000000000ac15"
         "4f640000000000000000000000000000"),
    tshark={
        'eth.src': '00:20:d2:5a:fb:3f', 'eth.dst': 'ff:ff:ff:ff:ff:ff', 'eth.type': '0x88a8',
        'eth.addr': ['ff:ff:ff:ff:ff:ff', '00:20:d2:5a:fb:3f'], 'vlan.id': 2001, 'vlan.etype': '0x0806',
        'vlan.priority': 0, 'vlan.dei': 0, 'ieee8021ad.id': 200, 'ieee8021ad.priority': 0,
        'ieee8021ad.dei': 0, 'ieee8021ah.etype': '0x8100', 'arp.hw.type': 1, 'arp.proto.type': '0x0800',
        'arp.hw.size': 6, 'arp.proto.size': 4, 'arp.opcode': 1, 'arp.src.hw_mac': '00:20:d2:5a:fb:3f',
        'arp.src.proto_ipv4': '172.21.79.97', 'arp.dst.hw_mac': '00:00:00:00:00:00',
        'arp.dst.proto_ipv4': '172.21.79.100',
    })

# http_fetch_wikipedia_dns_multiconn.pcap frame 4
#   tshark: 00:13:7f:4f:8e:f2 -> 01:80:c2:00:00:00 STP 60 RST. Root = 32768/720/00:13:7f:be:8c:c0 Cost = 0 Port = 0x8193
ETH_8023_STP = Fixture(
    linktype=1, protocols='eth:llc:stp',
    hex=("0180c200000000137f4f8ef20027424203000002023c82d000137fbe8cc00000000082d000137fbe8cc0819300001400"
         "02000f000000000000000000"),
    tshark={
        'eth.src': '00:13:7f:4f:8e:f2', 'eth.dst': '01:80:c2:00:00:00', 'eth.len': 39,
        'eth.addr': ['01:80:c2:00:00:00', '00:13:7f:4f:8e:f2'],
    })

# scapy: Ether(src='00:11:22:33:44:55', dst='66:77:88:99:aa:bb')/Dot1Q(vlan=5, type=0x9100)/Dot1Q(vlan=7, prio=5, id=1)/IP(src='10.1.1.1', dst='10.2.2.2')/UDP(sport=9, dport=9)/b'q'
#   tshark: 10.1.1.1 -> 10.2.2.2 UDP 51 9 -> 9 Len=1
VLAN_9100_IPV4_UDP = Fixture(
    linktype=1, protocols='eth:ethertype:vlan:ethertype:vlan:ethertype:ip:udp:data',
    hex=("66778899aabb001122334455810000059100b00708004500001d00010000401163ca0a0101010a020202000900090009"
         "77c471"),
    tshark={
        'eth.src': '00:11:22:33:44:55', 'eth.dst': '66:77:88:99:aa:bb', 'eth.type': '0x8100',
        'eth.addr': ['66:77:88:99:aa:bb', '00:11:22:33:44:55'], 'vlan.id': [5, 7],
        'vlan.etype': ['0x9100', '0x0800'], 'vlan.priority': [0, 5], 'vlan.dei': [0, 1], 'ip.version': 4,
        'ip.hdr_len': 20, 'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 29,
        'ip.id': '0x0001', 'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0,
        'ip.frag_offset': 0, 'ip.ttl': 64, 'ip.proto': 17, 'ip.checksum': '0x63ca',
        'ip.checksum.status': 'Good', 'ip.src': '10.1.1.1', 'ip.dst': '10.2.2.2',
        'ip.addr': ['10.1.1.1', '10.2.2.2'], 'udp.srcport': 9, 'udp.dstport': 9, 'udp.port': [9, 9],
        'udp.length': 9, 'udp.checksum': '0x77c4', 'udp.checksum.status': 'Good',
    })

# linktype_sll_arp_announcements.pcap frame 5
#   tshark: 00:50:56:8b:3f:0d -> ARP 62 ARP Announcement for 192.168.22.81
SLL_ARP_ANNOUNCEMENT = Fixture(
    linktype=113, protocols='sll:ethertype:arp',
    hex=("0001000100060050568b3f0d0000080600010800060400010050568b3f0dc0a81651000000000000c0a8165100000000"
         "0000000000000000000000000000"),
    tshark={
        'sll.pkttype': 1, 'sll.hatype': 1, 'sll.halen': 6, 'sll.src.eth': '00:50:56:8b:3f:0d',
        'sll.unused': '0000', 'sll.etype': '0x0806', 'arp.hw.type': 1, 'arp.proto.type': '0x0800',
        'arp.hw.size': 6, 'arp.proto.size': 4, 'arp.opcode': 1, 'arp.src.hw_mac': '00:50:56:8b:3f:0d',
        'arp.src.proto_ipv4': '192.168.22.81', 'arp.dst.hw_mac': '00:00:00:00:00:00',
        'arp.dst.proto_ipv4': '192.168.22.81', 'arp.isgratuitous': 1, 'arp.isannouncement': 1,
    })

# linktype_sll_arp_announcements.pcap frame 1
#   tshark: cc:2d:e0:26:19:99 -> ARP 62 Who has 192.168.22.160? Tell 192.168.22.1
SLL_ARP_REQUEST = Fixture(
    linktype=113, protocols='sll:ethertype:arp',
    hex=("000100010006cc2de0261999000008060001080006040001cc2de0261999c0a81601000000000000c0a816a000000000"
         "0000000000000000000000000000"),
    tshark={
        'sll.pkttype': 1, 'sll.hatype': 1, 'sll.halen': 6, 'sll.src.eth': 'cc:2d:e0:26:19:99',
        'sll.unused': '0000', 'sll.etype': '0x0806', 'arp.hw.type': 1, 'arp.proto.type': '0x0800',
        'arp.hw.size': 6, 'arp.proto.size': 4, 'arp.opcode': 1, 'arp.src.hw_mac': 'cc:2d:e0:26:19:99',
        'arp.src.proto_ipv4': '192.168.22.1', 'arp.dst.hw_mac': '00:00:00:00:00:00',
        'arp.dst.proto_ipv4': '192.168.22.160',
    })

# pcap_nanosec_sll_tcp_handshake.pcap frame 1
#   tshark: 131.155.215.69 -> 137.116.81.94 TCP 76 46656 -> 80 [SYN] Seq=797190859 Win=27200 Len=0 MSS=1360 SACK_PERM TSval=1131021154 TSecr=0 WS=128
SLL_IPV4_TCP = Fixture(
    linktype=113, protocols='sll:ethertype:ip:tcp',
    hex=("000402000000000000000000000008004500003c29a940004006db5f839bd7458974515eb64000502f842acb00000000"
         "a0026a4050c40000020405500402080a436a03620000000001030307"),
    tshark={
        'sll.pkttype': 4, 'sll.hatype': 512, 'sll.halen': 0, 'sll.unused': '0000000000000000',
        'sll.etype': '0x0800', 'ip.version': 4, 'ip.hdr_len': 20, 'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0,
        'ip.dsfield.ecn': 0, 'ip.len': 60, 'ip.id': '0x29a9', 'ip.flags': '0x02', 'ip.flags.rb': 0,
        'ip.flags.df': 1, 'ip.flags.mf': 0, 'ip.frag_offset': 0, 'ip.ttl': 64, 'ip.proto': 6,
        'ip.checksum': '0xdb5f', 'ip.checksum.status': 'Good', 'ip.src': '131.155.215.69',
        'ip.dst': '137.116.81.94', 'ip.addr': ['131.155.215.69', '137.116.81.94'], 'tcp.srcport': 46656,
        'tcp.dstport': 80, 'tcp.port': [46656, 80], 'tcp.seq_raw': 797190859, 'tcp.ack_raw': 0,
        'tcp.hdr_len': 40, 'tcp.flags': '0x0002', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0,
        'tcp.flags.ece': 0, 'tcp.flags.urg': 0, 'tcp.flags.ack': 0, 'tcp.flags.push': 0,
        'tcp.flags.reset': 0, 'tcp.flags.syn': 1, 'tcp.flags.fin': 0, 'tcp.flags.str': '··········S·',
        'tcp.window_size_value': 27200, 'tcp.checksum': '0x50c4', 'tcp.checksum.status': 'Good',
        'tcp.urgent_pointer': 0, 'tcp.len': 0, 'tcp.options': '020405500402080a436a03620000000001030307',
        'tcp.option_kind': [2, 4, 8, 1, 3], 'tcp.option_len': [4, 2, 10, 3], 'tcp.options.mss_val': 1360,
        'tcp.options.wscale.shift': 7, 'tcp.options.wscale.multiplier': 128, 'tcp.options.sack_perm': '0402',
        'tcp.options.timestamp.tsval': 1131021154, 'tcp.options.timestamp.tsecr': 0,
    })

# linktype_sll2_icmp_icmpv6_arp.pcap frame 1
#   tshark: 192.0.2.1 -> 192.0.2.1 ICMP 104 Echo (ping) request id=0x0008, seq=1/256, ttl=64
SLL2_IPV4_ICMP_ECHO = Fixture(
    linktype=276, protocols='sll:ethertype:ip:icmp:data',
    hex=("080000000000000103040006000000000000000045000054af8c40004001071ac0000201c0000201080066b400080001"
         "e9bdf96200000000e24e0d0000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
         "3031323334353637"),
    tshark={
        'sll.pkttype': 0, 'sll.hatype': 772, 'sll.halen': 6, 'sll.src.eth': '00:00:00:00:00:00',
        'sll.unused': '0000', 'sll.etype': '0x0800', 'sll.ifindex': 1, 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 84, 'ip.id': '0xaf8c',
        'ip.flags': '0x02', 'ip.flags.rb': 0, 'ip.flags.df': 1, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 1, 'ip.checksum': '0x071a', 'ip.checksum.status': 'Good',
        'ip.src': '192.0.2.1', 'ip.dst': '192.0.2.1', 'ip.addr': ['192.0.2.1', '192.0.2.1'], 'icmp.type': 8,
        'icmp.code': 0, 'icmp.checksum': '0x66b4', 'icmp.checksum.status': 'Good', 'icmp.ident': 8,
        'icmp.seq': 1, 'icmp.ident_le': 2048, 'icmp.seq_le': 256,
    })

# linktype_sll2_icmp_icmpv6_arp.pcap frame 3
#   tshark: fe80::8c36:6ff:fe44:acaf -> fe80::8c36:6ff:fe44:acaf ICMPv6 124 Echo (ping) request id=0x0009, seq=1, hop limit=64
SLL2_IPV6_ICMPV6_ECHO = Fixture(
    linktype=276, protocols='sll:ethertype:ipv6:icmpv6:data',
    hex=("86dd0000000000010304000600000000000000006005c2e400403a40fe800000000000008c3606fffe44acaffe800000"
         "000000008c3606fffe44acaf8000a8d700090001f8bdf96200000000ab59010000000000101112131415161718191a1b"
         "1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"),
    tshark={
        'sll.pkttype': 0, 'sll.hatype': 772, 'sll.halen': 6, 'sll.src.eth': '00:00:00:00:00:00',
        'sll.unused': '0000', 'sll.etype': '0x86dd', 'sll.ifindex': 1, 'ip.version': 6, 'ipv6.version': 6,
        'ipv6.tclass': '0x00000000', 'ipv6.tclass.dscp': 0, 'ipv6.tclass.ecn': 0, 'ipv6.flow': '0x05c2e4',
        'ipv6.plen': 64, 'ipv6.nxt': 58, 'ipv6.hlim': 64, 'ipv6.src': 'fe80::8c36:6ff:fe44:acaf',
        'ipv6.dst': 'fe80::8c36:6ff:fe44:acaf',
        'ipv6.addr': ['fe80::8c36:6ff:fe44:acaf', 'fe80::8c36:6ff:fe44:acaf'], 'icmpv6.type': 128,
        'icmpv6.code': 0, 'icmpv6.checksum': '0xa8d7', 'icmpv6.checksum.status': 'Good',
        'icmpv6.echo.identifier': '0x0009', 'icmpv6.echo.sequence_number': 1,
    })

# linktype_sll2_icmp_icmpv6_arp.pcap frame 5
#   tshark: 8e:36:06:44:ac:af -> ARP 48 Who has 192.0.2.2? Tell 192.0.2.1
SLL2_ARP = Fixture(
    linktype=276, protocols='sll:ethertype:arp',
    hex=("080600000000001a000104068e360644acaf000000010800060400018e360644acafc0000201000000000000c0000202"),
    tshark={
        'sll.pkttype': 4, 'sll.hatype': 1, 'sll.halen': 6, 'sll.src.eth': '8e:36:06:44:ac:af',
        'sll.unused': '0000', 'sll.etype': '0x0806', 'sll.ifindex': 26, 'arp.hw.type': 1,
        'arp.proto.type': '0x0800', 'arp.hw.size': 6, 'arp.proto.size': 4, 'arp.opcode': 1,
        'arp.src.hw_mac': '8e:36:06:44:ac:af', 'arp.src.proto_ipv4': '192.0.2.1',
        'arp.dst.hw_mac': '00:00:00:00:00:00', 'arp.dst.proto_ipv4': '192.0.2.2',
    })

# linktype_sll2_icmp_icmpv6_arp.pcap frame 6
#   tshark: 8e:36:06:44:ac:af -> RARP 48 Who is 00:00:00:00:00:00? Tell 8e:36:06:44:ac:af
SLL2_RARP = Fixture(
    linktype=276, protocols='sll:ethertype:arp',
    hex=("803500000000001a000104068e360644acaf000000010800060400038e360644acafc0000201000000000000c0000202"),
    tshark={
        'sll.pkttype': 4, 'sll.hatype': 1, 'sll.halen': 6, 'sll.src.eth': '8e:36:06:44:ac:af',
        'sll.unused': '0000', 'sll.etype': '0x8035', 'sll.ifindex': 26, 'arp.hw.type': 1,
        'arp.proto.type': '0x0800', 'arp.hw.size': 6, 'arp.proto.size': 4, 'arp.opcode': 3,
        'arp.src.hw_mac': '8e:36:06:44:ac:af', 'arp.src.proto_ipv4': '192.0.2.1',
        'arp.dst.hw_mac': '00:00:00:00:00:00', 'arp.dst.proto_ipv4': '192.0.2.2',
    })

# SLL_IPGRE_IPV4
#   tshark: 10.1.1.1 -> 10.2.2.2 UDP 47 1024 -> 5000 Len=3
SLL_IPGRE_IPV4 = Fixture(
    linktype=113, protocols='sll:ip:udp:data',
    hex=("0004030a00040a0000010000000008004500001f00010000401163c80a0101010a02020204001388000b0ce8616263"),
    tshark={
        'sll.pkttype': 4, 'sll.hatype': 778, 'sll.halen': 4, 'sll.src.ipv4': '10.0.0.1',
        'sll.unused': '00000000', 'sll.gretype': '0x0800', 'ip.version': 4, 'ip.hdr_len': 20,
        'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0, 'ip.len': 31, 'ip.id': '0x0001',
        'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0,
        'ip.ttl': 64, 'ip.proto': 17, 'ip.checksum': '0x63c8', 'ip.checksum.status': 'Good',
        'ip.src': '10.1.1.1', 'ip.dst': '10.2.2.2', 'ip.addr': ['10.1.1.1', '10.2.2.2'], 'udp.srcport': 1024,
        'udp.dstport': 5000, 'udp.port': [1024, 5000], 'udp.length': 11, 'udp.checksum': '0x0ce8',
        'udp.checksum.status': 'Good',
    })

# SLL_LLC_LTYPE
#   tshark: -> LLC 19 U, func=UI[Malformed Packet]
SLL_LLC_LTYPE = Fixture(
    linktype=113, protocols='sll:llc',
    hex=("00030200000800010203040506070004aaaa03"),
    tshark={
        'sll.pkttype': 3, 'sll.hatype': 512, 'sll.halen': 8, 'sll.src.other': '0001020304050607',
        'sll.ltype': '0x0004',
    })

# linktype_null_ipv4_ipv6_mixed.pcap frame 1
#   tshark: ::1 -> ::1 TCP 479 49888 -> 81 [PSH, ACK] Seq=1482536582 Ack=1634461540 Win=9175 [TCP CHECKSUM INCORRECT] Len=403 TSval=2936704510 TSecr=2936704510
NULL_AF30_IPV6_TCP = Fixture(
    linktype=0, protocols='null:ipv6:tcp:data',
    hex=("1e0000006000000001b306400000000000000000000000000000000100000000000000000000000000000001c2e00051"
         "585db686616be764801823d701bb00000101080aaf0a8dfeaf0a8dfe0a202020202048617070792056616c656e74696e"
         "652773204461792066726f6d20436c6f7564536861726b210a0a20202020202020202020202020202020202020202020"
         "205f20205f0a2020202020202020202020202020202020202020202028205c2f20290a20202020202020202020202020"
         "20202e2d2d2d2e2020205c20202f2020202e2d222d2e200a20202020202020202020202020202f202020365f36202020"
         "5c2f2020202f20342034205c0a20202020202020202020202020205c5f2020285f5f5c202020202020205c5f2076205f"
         "2f0a20202020202020202020202020202f2f2020205c5c20202020202020202f2f2020205c5c0a202020202020202020"
         "202020202828202020202029292020202020202828202020202029290a202020202020203d3d3d3d3d3d3d22223d3d3d"
         "22223d3d3d3d3d3d3d3d22223d3d3d22223d3d3d3d3d3d3d0a202020202020206a67732020202020207c7c7c20202020"
         "20202020202020207c7c7c0a20202020202020202020202020202020207c20202020202020202020202020207c0a0a"),
    tshark={
        'null.family': 30, 'ip.version': 6, 'ipv6.version': 6, 'ipv6.tclass': '0x00000000',
        'ipv6.tclass.dscp': 0, 'ipv6.tclass.ecn': 0, 'ipv6.flow': '0x000000', 'ipv6.plen': 435,
        'ipv6.nxt': 6, 'ipv6.hlim': 64, 'ipv6.src': '::1', 'ipv6.dst': '::1', 'ipv6.addr': ['::1', '::1'],
        'tcp.srcport': 49888, 'tcp.dstport': 81, 'tcp.port': [49888, 81], 'tcp.seq_raw': 1482536582,
        'tcp.ack_raw': 1634461540, 'tcp.hdr_len': 32, 'tcp.flags': '0x0018', 'tcp.flags.res': 0,
        'tcp.flags.ae': 0, 'tcp.flags.cwr': 0, 'tcp.flags.ece': 0, 'tcp.flags.urg': 0, 'tcp.flags.ack': 1,
        'tcp.flags.push': 1, 'tcp.flags.reset': 0, 'tcp.flags.syn': 0, 'tcp.flags.fin': 0,
        'tcp.flags.str': '·······AP···', 'tcp.window_size_value': 9175, 'tcp.checksum': '0x01bb',
        'tcp.checksum.status': 'Bad', 'tcp.urgent_pointer': 0, 'tcp.len': 403,
        'tcp.options': '0101080aaf0a8dfeaf0a8dfe', 'tcp.option_kind': [1, 1, 8], 'tcp.option_len': 10,
        'tcp.options.timestamp.tsval': 2936704510, 'tcp.options.timestamp.tsecr': 2936704510,
    })

# linktype_null_ipv4_ipv6_mixed.pcap frame 2
#   tshark: 172.16.1.117 -> 172.16.1.255 BJNP 48 Scanner Command: Discover
NULL_AF2_IPV4_UDP = Fixture(
    linktype=0, protocols='null:ip:udp:bjnp',
    hex=("020000004500002cc169000040115dc3ac100175ac1001ffd84921a4001817ae424a4e42020100000000000000000000"),
    tshark={
        'null.family': 2, 'ip.version': 4, 'ip.hdr_len': 20, 'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0,
        'ip.dsfield.ecn': 0, 'ip.len': 44, 'ip.id': '0xc169', 'ip.flags': '0x00', 'ip.flags.rb': 0,
        'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0, 'ip.ttl': 64, 'ip.proto': 17,
        'ip.checksum': '0x5dc3', 'ip.checksum.status': 'Good', 'ip.src': '172.16.1.117',
        'ip.dst': '172.16.1.255', 'ip.addr': ['172.16.1.117', '172.16.1.255'], 'udp.srcport': 55369,
        'udp.dstport': 8612, 'udp.port': [55369, 8612], 'udp.length': 24, 'udp.checksum': '0x17ae',
        'udp.checksum.status': 'Good',
    })

# NULL_LE_AF2_IPV4
#   tshark: 10.1.1.1 -> 10.2.2.2 UDP 35 1024 -> 5000 Len=3
NULL_LE_AF2_IPV4 = Fixture(
    linktype=0, protocols='null:ip:udp:data',
    hex=("020000004500001f00010000401163c80a0101010a02020204001388000b0ce8616263"),
    tshark={
        'null.family': 2, 'ip.version': 4, 'ip.hdr_len': 20, 'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0,
        'ip.dsfield.ecn': 0, 'ip.len': 31, 'ip.id': '0x0001', 'ip.flags': '0x00', 'ip.flags.rb': 0,
        'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0, 'ip.ttl': 64, 'ip.proto': 17,
        'ip.checksum': '0x63c8', 'ip.checksum.status': 'Good', 'ip.src': '10.1.1.1', 'ip.dst': '10.2.2.2',
        'ip.addr': ['10.1.1.1', '10.2.2.2'], 'udp.srcport': 1024, 'udp.dstport': 5000,
        'udp.port': [1024, 5000], 'udp.length': 11, 'udp.checksum': '0x0ce8', 'udp.checksum.status': 'Good',
    })

# NULL_BE_AF2_IPV4
#   tshark: 10.1.1.1 -> 10.2.2.2 UDP 35 1024 -> 5000 Len=3
NULL_BE_AF2_IPV4 = Fixture(
    linktype=0, protocols='null:ip:udp:data',
    hex=("000000024500001f00010000401163c80a0101010a02020204001388000b0ce8616263"),
    tshark={
        'null.family': 2, 'ip.version': 4, 'ip.hdr_len': 20, 'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0,
        'ip.dsfield.ecn': 0, 'ip.len': 31, 'ip.id': '0x0001', 'ip.flags': '0x00', 'ip.flags.rb': 0,
        'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0, 'ip.ttl': 64, 'ip.proto': 17,
        'ip.checksum': '0x63c8', 'ip.checksum.status': 'Good', 'ip.src': '10.1.1.1', 'ip.dst': '10.2.2.2',
        'ip.addr': ['10.1.1.1', '10.2.2.2'], 'udp.srcport': 1024, 'udp.dstport': 5000,
        'udp.port': [1024, 5000], 'udp.length': 11, 'udp.checksum': '0x0ce8', 'udp.checksum.status': 'Good',
    })

# NULL_BE_AF28_IPV6
#   tshark: 2001:db8::1 -> 2001:db8::2 UDP 55 1024 -> 5000 Len=3
NULL_BE_AF28_IPV6 = Fixture(
    linktype=0, protocols='null:ipv6:udp:data',
    hex=("0000001c60000000000b114020010db800000000000000000000000120010db800000000000000000000000204001388"
         "000bc878616263"),
    tshark={
        'null.family': 28, 'ip.version': 6, 'ipv6.version': 6, 'ipv6.tclass': '0x00000000',
        'ipv6.tclass.dscp': 0, 'ipv6.tclass.ecn': 0, 'ipv6.flow': '0x000000', 'ipv6.plen': 11,
        'ipv6.nxt': 17, 'ipv6.hlim': 64, 'ipv6.src': '2001:db8::1', 'ipv6.dst': '2001:db8::2',
        'ipv6.addr': ['2001:db8::1', '2001:db8::2'], 'udp.srcport': 1024, 'udp.dstport': 5000,
        'udp.port': [1024, 5000], 'udp.length': 11, 'udp.checksum': '0xc878', 'udp.checksum.status': 'Good',
    })

# NULL_LE_AF24_IPV6
#   tshark: 2001:db8::1 -> 2001:db8::2 UDP 55 1024 -> 5000 Len=3
NULL_LE_AF24_IPV6 = Fixture(
    linktype=0, protocols='null:ipv6:udp:data',
    hex=("1800000060000000000b114020010db800000000000000000000000120010db800000000000000000000000204001388"
         "000bc878616263"),
    tshark={
        'null.family': 24, 'ip.version': 6, 'ipv6.version': 6, 'ipv6.tclass': '0x00000000',
        'ipv6.tclass.dscp': 0, 'ipv6.tclass.ecn': 0, 'ipv6.flow': '0x000000', 'ipv6.plen': 11,
        'ipv6.nxt': 17, 'ipv6.hlim': 64, 'ipv6.src': '2001:db8::1', 'ipv6.dst': '2001:db8::2',
        'ipv6.addr': ['2001:db8::1', '2001:db8::2'], 'udp.srcport': 1024, 'udp.dstport': 5000,
        'udp.port': [1024, 5000], 'udp.length': 11, 'udp.checksum': '0xc878', 'udp.checksum.status': 'Good',
    })

# NULL_ETHERTYPE_IPV4
#   tshark: 10.1.1.1 -> 10.2.2.2 UDP 35 1024 -> 5000 Len=3
NULL_ETHERTYPE_IPV4 = Fixture(
    linktype=0, protocols='null:ip:udp:data',
    hex=("000008004500001f00010000401163c80a0101010a02020204001388000b0ce8616263"),
    tshark={
        'null.type': '0x0800', 'ip.version': 4, 'ip.hdr_len': 20, 'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0,
        'ip.dsfield.ecn': 0, 'ip.len': 31, 'ip.id': '0x0001', 'ip.flags': '0x00', 'ip.flags.rb': 0,
        'ip.flags.df': 0, 'ip.flags.mf': 0, 'ip.frag_offset': 0, 'ip.ttl': 64, 'ip.proto': 17,
        'ip.checksum': '0x63c8', 'ip.checksum.status': 'Good', 'ip.src': '10.1.1.1', 'ip.dst': '10.2.2.2',
        'ip.addr': ['10.1.1.1', '10.2.2.2'], 'udp.srcport': 1024, 'udp.dstport': 5000,
        'udp.port': [1024, 5000], 'udp.length': 11, 'udp.checksum': '0x0ce8', 'udp.checksum.status': 'Good',
    })

# linktype_raw101_ipv4_ipv6_http_dns.pcap frame 1
#   tshark: 2001:618:400::5199:cc70 -> 2001:618:1:8000::5 TCP 80 35995 -> 80 [SYN] Seq=1793525558 Win=5680 Len=0 MSS=1420 SACK_PERM TSval=14490169 TSecr=0 WS=4
RAW101_IPV6_TCP_SYN = Fixture(
    linktype=101, protocols='raw:ipv6:tcp',
    hex=("60000000002806402001061804000000000000005199cc70200106180001800000000000000000058c9b00506ae70736"
         "00000000a0021630299c00000204058c0402080a00dd1a390000000001030302"),
    tshark={
        'ip.version': 6, 'ipv6.version': 6, 'ipv6.tclass': '0x00000000', 'ipv6.tclass.dscp': 0,
        'ipv6.tclass.ecn': 0, 'ipv6.flow': '0x000000', 'ipv6.plen': 40, 'ipv6.nxt': 6, 'ipv6.hlim': 64,
        'ipv6.src': '2001:618:400::5199:cc70', 'ipv6.dst': '2001:618:1:8000::5',
        'ipv6.addr': ['2001:618:400::5199:cc70', '2001:618:1:8000::5'], 'tcp.srcport': 35995,
        'tcp.dstport': 80, 'tcp.port': [35995, 80], 'tcp.seq_raw': 1793525558, 'tcp.ack_raw': 0,
        'tcp.hdr_len': 40, 'tcp.flags': '0x0002', 'tcp.flags.res': 0, 'tcp.flags.ae': 0, 'tcp.flags.cwr': 0,
        'tcp.flags.ece': 0, 'tcp.flags.urg': 0, 'tcp.flags.ack': 0, 'tcp.flags.push': 0,
        'tcp.flags.reset': 0, 'tcp.flags.syn': 1, 'tcp.flags.fin': 0, 'tcp.flags.str': '··········S·',
        'tcp.window_size_value': 5680, 'tcp.checksum': '0x299c', 'tcp.checksum.status': 'Good',
        'tcp.urgent_pointer': 0, 'tcp.len': 0, 'tcp.options': '0204058c0402080a00dd1a390000000001030302',
        'tcp.option_kind': [2, 4, 8, 1, 3], 'tcp.option_len': [4, 2, 10, 3], 'tcp.options.mss_val': 1420,
        'tcp.options.wscale.shift': 2, 'tcp.options.wscale.multiplier': 4, 'tcp.options.sack_perm': '0402',
        'tcp.options.timestamp.tsval': 14490169, 'tcp.options.timestamp.tsecr': 0,
    })

# linktype_ipv4_228_dns.pcap frame 1
#   tshark: 192.168.1.100 -> 9.9.9.9 DNS 57 Standard query 0x1234 A example.com
RAW228_IPV4_DNS = Fixture(
    linktype=228, protocols='ip:udp:dns',
    hex=("45000039000100004011a695c0a80164090909093039003500251976123401000001000000000000076578616d706c65"
         "03636f6d0000010001"),
    tshark={
        'ip.version': 4, 'ip.hdr_len': 20, 'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0,
        'ip.len': 57, 'ip.id': '0x0001', 'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0,
        'ip.flags.mf': 0, 'ip.frag_offset': 0, 'ip.ttl': 64, 'ip.proto': 17, 'ip.checksum': '0xa695',
        'ip.checksum.status': 'Good', 'ip.src': '192.168.1.100', 'ip.dst': '9.9.9.9',
        'ip.addr': ['192.168.1.100', '9.9.9.9'], 'udp.srcport': 12345, 'udp.dstport': 53,
        'udp.port': [12345, 53], 'udp.length': 37, 'udp.checksum': '0x1976', 'udp.checksum.status': 'Good',
    })

# RAW12_IPV4_UDP
#   tshark: 10.1.1.1 -> 10.2.2.2 UDP 31 1024 -> 5000 Len=3
RAW12_IPV4_UDP = Fixture(
    linktype=12, protocols='raw:ip:udp:data',
    hex=("4500001f00010000401163c80a0101010a02020204001388000b0ce8616263"),
    tshark={
        'ip.version': 4, 'ip.hdr_len': 20, 'ip.dsfield': '0x00', 'ip.dsfield.dscp': 0, 'ip.dsfield.ecn': 0,
        'ip.len': 31, 'ip.id': '0x0001', 'ip.flags': '0x00', 'ip.flags.rb': 0, 'ip.flags.df': 0,
        'ip.flags.mf': 0, 'ip.frag_offset': 0, 'ip.ttl': 64, 'ip.proto': 17, 'ip.checksum': '0x63c8',
        'ip.checksum.status': 'Good', 'ip.src': '10.1.1.1', 'ip.dst': '10.2.2.2',
        'ip.addr': ['10.1.1.1', '10.2.2.2'], 'udp.srcport': 1024, 'udp.dstport': 5000,
        'udp.port': [1024, 5000], 'udp.length': 11, 'udp.checksum': '0x0ce8', 'udp.checksum.status': 'Good',
    })

# RAW229_IPV6_UDP
#   tshark: 2001:db8::1 -> 2001:db8::2 UDP 51 1024 -> 5000 Len=3
RAW229_IPV6_UDP = Fixture(
    linktype=229, protocols='ipv6:udp:data',
    hex=("60000000000b114020010db800000000000000000000000120010db800000000000000000000000204001388000bc878"
         "616263"),
    tshark={
        'ip.version': 6, 'ipv6.version': 6, 'ipv6.tclass': '0x00000000', 'ipv6.tclass.dscp': 0,
        'ipv6.tclass.ecn': 0, 'ipv6.flow': '0x000000', 'ipv6.plen': 11, 'ipv6.nxt': 17, 'ipv6.hlim': 64,
        'ipv6.src': '2001:db8::1', 'ipv6.dst': '2001:db8::2', 'ipv6.addr': ['2001:db8::1', '2001:db8::2'],
        'udp.srcport': 1024, 'udp.dstport': 5000, 'udp.port': [1024, 5000], 'udp.length': 11,
        'udp.checksum': '0xc878', 'udp.checksum.status': 'Good',
    })

FIXTURES = fixtures_of(globals())


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fields_match_tshark(name):
    assert_matches_tshark(FIXTURES[name])


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_every_truncated_prefix_fails_cleanly(name):
    assert_truncations_safe(FIXTURES[name])


def test_qinq_layers_outer_service_tag_first():
    pkt = QINQ_8021AD_ARP.decode()
    assert pkt.protocols == ["frame", "eth", "ieee8021ad", "vlan", "arp"]
    assert [layer.offset for layer in pkt.layers[1:]] == [0, 14, 18, 22]
    assert pkt.failure is None


def test_ethernet_padding_and_trailer_are_not_arp():
    pkt = QINQ_8021AD_ARP.decode()  # 64 bytes: 28-byte ARP, 10 bytes padding, 4 bytes trailer
    arp = pkt.layer("arp")
    assert (arp.offset, arp.length) == (22, 28)
    assert pkt.payload is None


def test_null_family_read_in_either_byte_order():
    little = NULL_LE_AF2_IPV4.decode()
    big = NULL_BE_AF2_IPV4.decode()
    assert little["null.family"] == big["null.family"] == 2
    assert little.protocols == big.protocols == ["frame", "null", "ip", "udp"]


def test_null_linux_af_inet6_is_ipv6():
    # AF_INET6 is 10 on Linux; tshark 4.0 does not list it (it shows "data"), this decoder does. The IPv6
    # and UDP fields must then be exactly those tshark shows for the same bytes as raw IPv6.
    data = (10).to_bytes(4, "big") + RAW229_IPV6_UDP.data
    pkt = Fixture(0, data.hex(), {}).decode()
    assert pkt["null.family"] == 10
    assert pkt.protocols == ["frame", "null", "ipv6", "udp"]
    for name, value in RAW229_IPV6_UDP.tshark.items():
        assert pkt[name] == value, name


def test_raw_layer_only_for_linktype_raw():
    assert RAW12_IPV4_UDP.decode().protocols[:3] == ["frame", "raw", "ip"]
    assert RAW101_IPV6_TCP_SYN.decode().protocols[:3] == ["frame", "raw", "ipv6"]
    assert RAW228_IPV4_DNS.decode().protocols[:2] == ["frame", "ip"]
    assert RAW229_IPV6_UDP.decode().protocols[:2] == ["frame", "ipv6"]


def test_raw_ip_with_unknown_version_stops_quietly():
    pkt = Fixture(101, "50" + RAW12_IPV4_UDP.data[1:].hex(), {}).decode()
    assert pkt.protocols == ["frame", "raw"]
    assert pkt.failure is None


def test_unknown_ethertype_stops_quietly():
    data = bytearray(ETH_ARP_REPLY.data)
    data[12:14] = b"\x88\xb5"  # IEEE 802 local experimental EtherType
    pkt = Fixture(1, data.hex(), {}).decode()
    assert pkt.protocols == ["frame", "eth"]
    assert pkt["eth.type"] == "0x88b5"
    assert pkt.failure is None


def test_sll_linux_protocol_type_has_no_decoder():
    pkt = SLL_LLC_LTYPE.decode()
    assert pkt.protocols == ["frame", "sll"]
    assert pkt.failure is None


def test_sll_netlink_is_left_to_a_netlink_decoder():
    data = bytes.fromhex("0000033800000000000000000000" + "0010") + bytes(16)  # ARPHRD_NETLINK (824)
    pkt = Fixture(113, data.hex(), {}).decode()
    assert pkt.protocols == ["frame"]
    assert pkt.failure is None


def test_truncated_arp_names_arp():
    data = ETH_ARP_REPLY.data[:14 + 20]
    pkt = ETH_ARP_REPLY.decode(data)
    assert pkt.protocols == ["frame", "eth"]
    assert pkt.failure.layer == "arp"
    assert pkt.failure.offset == 14


def test_short_ethernet_header():
    pkt = ETH_ARP_REPLY.decode(ETH_ARP_REPLY.data[:13])
    assert pkt.protocols == ["frame"]
    assert (pkt.failure.layer, pkt.failure.offset) == ("eth", 0)
