"""conn.log's IP-level columns against tshark: ``orig_ip_bytes``/``resp_ip_bytes`` (the IP total lengths each
side sent), ICMP flows as Zeek forms them (type and counterpart type or code as the ports, 1-minute
inactivity), ``missed_bytes`` for a segment removed from a capture, and ``local_orig``/``local_resp`` from
Zeek's default local nets."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import analyzer
from analyzer.api.iplevel import is_local

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")
CAPTURES = sorted(str(p) for p in (REPO / "captures").iterdir() if p.suffix in (".pcap", ".pcapng"))
CORPUS_FILES = ["dns_udp_over_ipv6_wireshark_v6.pcap", "arp_gratuitous_reply_in_vlan.pcap",
                "http10_ipv6_fetch_fin_teardown.pcap", "linktype_sll2_icmp_icmpv6_arp.pcap"]
# Zeek's ICMP4_counterpart / ICMP6_counterpart (src/packet_analysis/protocol/icmp): the types that answer each
# other share a flow; any other message's flow is (type, code).
COUNTERPART = {4: {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17},
               6: {128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135, 130: 131, 131: 130, 139: 140,
                   140: 139}}

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark not installed")


def _corpus(name: str) -> str:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{CORPUS} is not here (the shared corpus)")
    return str(path)


def _fields(path: str, *names: str, display_filter: str | None = None) -> list[dict[str, str]]:
    cmd = [TSHARK, "-n", "-r", path, "-T", "fields", "-E", "occurrence=f"]
    if display_filter:
        cmd += ["-Y", display_filter]
    for name in names:
        cmd += ["-e", name]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    return [dict(zip(names, line.split("\t"), strict=True)) for line in out.splitlines()]


def _ip_total(row: dict[str, str]) -> int:
    return int(row["ip.len"]) if row["ip.len"] else int(row["ipv6.plen"]) + 40


@pytest.mark.parametrize("path", CAPTURES + [f"corpus:{n}" for n in CORPUS_FILES[0:3:2]],
                         ids=lambda p: Path(p.removeprefix("corpus:")).name)
def test_ip_bytes_per_side_equal_tshark_s_ip_lengths(path):
    path = _corpus(path.removeprefix("corpus:")) if path.startswith("corpus:") else path
    expected: dict[tuple, int] = {}
    for row in _fields(path, "frame.protocols", "tcp.stream", "udp.stream", "ip.src", "ipv6.src", "tcp.srcport",
                       "udp.srcport", "ip.len", "ipv6.plen", display_filter="tcp or udp"):
        if ":icmp" in row["frame.protocols"]:
            continue            # a datagram quoted in an ICMP error: the ICMP flow's bytes
        proto = "tcp" if row["tcp.stream"] else "udp"
        key = (proto, int(row[proto + ".stream"]), row["ip.src"] or row["ipv6.src"], int(row[proto + ".srcport"]))
        expected[key] = expected.get(key, 0) + _ip_total(row)
    cap = analyzer.open(path)
    got = {}
    for c in [*cap.connections, *cap.udp]:
        got[(c.proto, c.stream, c.orig_h, c.orig_p)] = c.orig_ip_bytes
        got[(c.proto, c.stream, c.resp_h, c.resp_p)] = c.resp_ip_bytes
    if not expected:
        pytest.skip("no TCP or UDP frame in this capture (an observer's broadcast ARPs)")
    assert {k: v for k, v in got.items() if v} == expected


def _tshark_icmp_flows(path: str) -> list[tuple]:
    flows: list[dict] = []
    current: dict[tuple, dict] = {}
    rows = _fields(path, "frame.number", "frame.time_epoch", "frame.len", "frame.protocols", "ip.src", "ip.dst",
                   "ipv6.src", "ipv6.dst", "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code", "ip.len",
                   "ip.hdr_len", "ipv6.plen", "ipv6.hopopts.len_oct", display_filter="icmp or icmpv6")
    for row in rows:
        v = 4 if row["icmp.type"] else 6
        itype, code = (int(row["icmp.type"]), int(row["icmp.code"])) if v == 4 else (
            int(row["icmpv6.type"]), int(row["icmpv6.code"]))
        src, dst = (row["ip.src"], row["ip.dst"]) if v == 4 else (row["ipv6.src"], row["ipv6.dst"])
        ends = ((src, itype), (dst, COUNTERPART[v].get(itype, code)))
        key = (v, *sorted(ends))
        ts = float(row["frame.time_epoch"])
        flow = current.get(key)
        if flow is None or ts - flow["last"] > 60:
            flow = current[key] = {"orig": ends[0], "resp": ends[1], "first": int(row["frame.number"]), "last": ts,
                                   "pkts": [0, 0], "bytes": [0, 0], "ip": [0, 0]}
            flows.append(flow)
        flow["last"] = ts
        total = _ip_total(row)
        header = int(row["ip.hdr_len"]) if v == 4 else 40 + int(row["ipv6.hopopts.len_oct"] or 0)
        side = 0 if (src, itype) == flow["orig"] or (src == flow["orig"][0] and src != flow["resp"][0]) else 1
        flow["pkts"][side] += 1
        flow["bytes"][side] += total - header - 8
        flow["ip"][side] += total
    return [(f["orig"][0], f["orig"][1], f["resp"][0], f["resp"][1], f["first"], *f["pkts"], *f["bytes"], *f["ip"])
            for f in flows]


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_icmp_flows_as_zeek_forms_them_from_tshark_s_fields(name):
    path = _corpus(name)
    expected = _tshark_icmp_flows(path)
    got = [(c.orig_h, c.orig_p, c.resp_h, c.resp_p, c.first_frame, c.orig_pkts, c.resp_pkts, c.orig_bytes,
            c.resp_bytes, c.orig_ip_bytes, c.resp_ip_bytes) for c in analyzer.open(path).icmp]
    assert got == expected and got
    assert all(c.proto == "icmp" and c.conn_state == "OTH" and c.history is None
               for c in analyzer.open(path).icmp)


def test_a_ping_series_is_one_flow():
    """Five echo requests and four replies between two hosts (tshark: frames 5-15): one flow 8 -> 0."""
    flows = list(analyzer.open(_corpus("arp_gratuitous_reply_in_vlan.pcap")).icmp)
    assert [(c.orig_h, c.orig_p, c.resp_h, c.resp_p, c.orig_pkts, c.resp_pkts, c.orig_bytes, c.orig_ip_bytes)
            for c in flows] == [("192.168.123.2", 8, "192.168.123.1", 0, 5, 4, 5 * 72, 5 * 100)]


def _holes(segments: list[tuple[int, int]]) -> int:
    """Sequence bytes never covered between the first and the last byte sent."""
    segments.sort()
    missed, end = 0, None
    for start, stop in segments:
        if end is not None and start > end:
            missed += start - end
        end = stop if end is None else max(end, stop)
    return missed


@pytest.mark.skipif(shutil.which("editcap") is None, reason="editcap not installed")
def test_missed_bytes_of_a_removed_segment(tmp_path):
    """Two of the server's data segments taken out of the page fetch (editcap): conn.log's missed_bytes
    is the sequence space tshark shows no segment for."""
    src = REPO / "captures" / "lab_page_fetch.pcapng"
    data = _fields(str(src), "frame.number", "tcp.stream", "tcp.len", display_filter="tcp.len > 0")
    drop = [r["frame.number"] for r in data if r["tcp.stream"] == "0"][2:5:2]
    cut = tmp_path / "cut.pcapng"
    subprocess.run([shutil.which("editcap"), str(src), str(cut), *drop], check=True, capture_output=True)
    expected: dict[tuple, list] = {}
    for r in _fields(str(cut), "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "tcp.seq", "tcp.len",
                     display_filter="tcp.len > 0"):
        key = (int(r["tcp.stream"]), r["ip.src"] or r["ipv6.src"], int(r["tcp.srcport"]))
        expected.setdefault(key, []).append((int(r["tcp.seq"]), int(r["tcp.seq"]) + int(r["tcp.len"])))
    conns = analyzer.open(str(cut)).connections
    got = {c.stream: c.missed_bytes for c in conns}
    want = {}
    for (stream, _h, _p), segs in expected.items():
        want[stream] = want.get(stream, 0) + _holes(segs)
    assert {s: got[s] for s in want} == want
    assert want[0] > 0


def test_local_orig_and_local_resp_follow_zeek_s_private_address_space():
    assert [is_local(a) for a in ("10.1.2.3", "192.168.0.1", "172.31.255.255", "127.0.0.1", "fe80::1",
                                  "fd00::1", "192.0.2.7", "2001:db8::1")] == [True] * 8
    assert [is_local(a) for a in ("8.8.8.8", "172.32.0.1", "1.1.1.1", "2606:4700::1111", "not an address")] \
        == [False] * 5
    for c in analyzer.open(CAPTURES[0]).connections:
        assert (c.local_orig, c.local_resp) == (is_local(c.orig_h), is_local(c.resp_h))
