"""JSON Lines: one object per frame, Wireshark field names, exact nanosecond epoch, safe text, both encoders."""

from __future__ import annotations

import decimal
import io
import json
import re

import pytest
from report_builders import ETH_VLAN, dns_response_a, eth, ipv4, tcp, tcp_options, udp, vlan

from analyzer.capture.frame import Frame
from analyzer.decode import decode
from analyzer.report import jsonlines
from analyzer.report.jsonlines import json_line, write_json_lines

C, S = "192.168.1.10", "8.8.8.8"


def packet(data: bytes, ts_ns: int = 1_663_807_554_585_086_001, number: int = 1):
    return decode(Frame(number, ts_ns, len(data), 0, 1, data))


def dns_packet():
    msg = dns_response_a(0x33BE, (b"www", b"example", b"com"), ["93.184.216.34", "93.184.216.35"])
    return packet(eth(ipv4(S, C, 17, udp(S, C, 53, 52000, msg))))


def test_one_line_object_with_field_names():
    line = json_line(dns_packet())
    assert "\n" not in line
    obj = json.loads(line)
    assert obj["frame.number"] == 1
    assert obj["eth.type"] == "0x0800"
    assert obj["ip.src"] == S and obj["ip.ttl"] == 64
    assert obj["udp.srcport"] == 53
    assert obj["dns.id"] == "0x33be"
    assert obj["dns.a"] == ["93.184.216.34", "93.184.216.35"]  # repeated field: a list in packet order
    assert obj["dns.count.answers"] == 2


def test_time_epoch_is_a_number_with_nine_decimals():
    line = json_line(dns_packet())
    assert re.search(r'"frame\.time_epoch":1663807554\.585086001[,}]', line), line
    exact = json.loads(line, parse_float=decimal.Decimal)["frame.time_epoch"]
    assert exact == decimal.Decimal("1663807554.585086001")
    early = json_line(packet(eth(ipv4(C, S, 6, tcp(C, S, 1, 2, 3, 4, 0x10))), ts_ns=5))
    assert '"frame.time_epoch":0.000000005' in early


def test_vlan_and_tcp_options():
    data = eth(vlan(ipv4(C, S, 6, tcp(C, S, 40000, 80, 7, 0, 0x02, options=tcp_options(mss=1460, ws=7))), 123),
               ETH_VLAN)
    obj = json.loads(json_line(packet(data)))
    assert obj["vlan.id"] == 123 and obj["eth.type"] == "0x8100"
    assert obj["tcp.seq_raw"] == 7 and obj["tcp.flags"] == "0x0002"
    assert obj["tcp.options.mss_val"] == 1460 and obj["tcp.options.wscale.shift"] == 7


def test_control_characters_never_raw():
    pkt = dns_packet()
    pkt.layers[-1].fields["dns.qry.name"] = "a\x1b[2J\x07\x9b\x7f\u202eb"  # as if a decoder passed them on
    pkt._flat = None
    line = json_line(pkt)
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e]", line)
    assert json.loads(line)["dns.qry.name"] == "a\x1b[2J\x07\x9b\x7f\u202eb"


def test_bytes_values_become_hex():
    pkt = dns_packet()
    pkt.layers[-1].fields["dns.data"] = b"\x00\xffAB"
    pkt._flat = None
    assert json.loads(json_line(pkt))["dns.data"] == "00ff4142"


@pytest.mark.parametrize("encoder", ["stdlib", "orjson"])
def test_encoders_agree(monkeypatch, encoder):
    if encoder == "orjson" and jsonlines.orjson is None:
        pytest.skip("orjson not installed")
    monkeypatch.setattr(jsonlines, "encode_fields",
                        jsonlines._encode_orjson if encoder == "orjson" else jsonlines._encode_stdlib)
    pkt = dns_packet()
    pkt.layers[-1].fields["dns.data"] = b"\x01"
    pkt.layers[-1].fields["huge"] = 1 << 70  # beyond 64 bits: orjson hands over to the standard library
    pkt._flat = None
    obj = json.loads(json_line(pkt), parse_float=decimal.Decimal)
    assert obj["dns.data"] == "01" and obj["huge"] == 1 << 70
    assert obj["frame.time_epoch"] == decimal.Decimal("1663807554.585086001")


def test_write_json_lines_batches():
    out = io.StringIO()
    packets = [dns_packet() for _ in range(1100)]
    assert write_json_lines(packets, out, batch=500) == 1100
    lines = out.getvalue().splitlines()
    assert len(lines) == 1100 and all(json.loads(line)["dns.id"] == "0x33be" for line in lines)
    assert out.getvalue().endswith("\n")
