"""F52: a DNS answer cut short by the capture's snaplen says how many of its records are missing.
dns_response_cut_by_snaplen (MANIFEST) holds an answer whose header announces 9 answer records, of which the 200
captured bytes (of 238) hold 6; the timeline listed "CNAME ...; A ...; A ...; 3 more records" as if that were all.

Expected values from tshark (dns.count.answers; dns.a and dns.cname, the records it could read; frame.len and
frame.cap_len). The crafted capture (a lookup, its answer of 6 A records written with a snaplen that cuts the last
3) is written record by record in the pcap format (incl_len < orig_len), and tshark reads it back the same way.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from scapy.all import DNS, DNSQR, DNSRR, IP, UDP, Ether
from tshark_query import fields

from analyzer.capture import open_capture
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CORPUS

CUT = CORPUS / "dns_response_cut_by_snaplen.pcap"


def _steps(path: Path, lang: str = "en"):
    with open_capture(path) as reader:
        return [s for f in timeline(reader, lang).fetches for s in f.steps if s.layer == "dns"]


def _oracle(path: Path, frame: int) -> tuple[int, int]:
    """(records announced, records read) of the answer in ``frame``, by tshark; the frame was cut short."""
    ((count, a, cname, size, cap),) = fields(path, f"frame.number == {frame}", "dns.count.answers", "dns.a",
                                             "dns.cname", "frame.len", "frame.cap_len")
    assert int(cap) < int(size)
    return int(count), len([x for x in a.split(",") if x]) + len([x for x in cname.split(",") if x])


def test_the_corpus_answer_cut_by_the_snaplen():
    if not CUT.exists():
        pytest.skip(f"{CUT.name} is not in ../shared/corpus (the shared captures are not beside this tree)")
    announced, read = _oracle(CUT, 1)
    assert (announced, read) == (9, 6)
    (step,) = [s for s in _steps(CUT) if 1 in s.frames]
    assert f"{read - 3} more records; and {announced - read} records not in the captured bytes (its header " \
           f"announces {announced} answer records" in step.text
    (zh,) = [s for s in _steps(CUT, "zh") if 1 in s.frames]
    assert f"另有 {announced - read} 条记录不在抓到的字节里（报头声明了 {announced} 条应答记录" in zh.text


def _write(path: Path, packets: list[tuple[float, bytes, int]]) -> None:
    """A pcap file (microseconds, Ethernet, snaplen 65535): (time, bytes written, the frame's original length)."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for t, data, orig in packets:
        out.append(struct.pack("<IIII", int(t), round((t % 1) * 1e6), len(data), orig) + data)
    path.write_bytes(b"".join(out))


def test_a_crafted_lookup_whose_answer_is_cut(tmp_path):
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    query = bytes(Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / IP(src="10.0.0.2", dst="10.0.0.1") /
                  UDP(sport=40000, dport=53) / DNS(id=5, rd=1, qd=DNSQR(qname="many.example.com")))
    rrs = [DNSRR(rrname="many.example.com", rdata=f"192.0.2.{i}", ttl=60) for i in range(1, 7)]
    answer = bytes(eth / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=53, dport=40000) /
                   DNS(id=5, qr=1, rd=1, ra=1, qd=DNSQR(qname="many.example.com"), an=rrs))
    path = tmp_path / "dns_cut.pcap"
    _write(path, [(1_700_000_000.0, query, len(query)), (1_700_000_000.02, answer[:-3 * 16], len(answer))])
    announced, read = _oracle(path, 2)
    assert announced == 6 and 0 < read < announced
    (step,) = [s for s in _steps(path) if 2 in s.frames]
    assert step.kind == "dns.answer"
    assert f"(and {announced - read} more records that the captured bytes do not hold: the answer's header " \
           f"announces {announced} answer records" in step.text
    (zh,) = [s for s in _steps(path, "zh") if 2 in s.frames]
    assert f"另有 {announced - read} 条记录不在抓到的字节里" in zh.text
