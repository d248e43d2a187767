"""The lab's recorded captures in captures/ (scripts/record_captures.py): what each topology shows, read with
tshark from the files themselves, and our reader agreeing with tshark on the fields that carry the lesson.

No root needed: these read files. The lab runs that make them are in test_lab.py.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import analyzer

CAPTURES = Path(__file__).resolve().parent.parent / "captures"
pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")

NAT_FIELDS = ["frame.interface_name", "ip.src", "ip.dst", "ip.ttl", "ip.id", "udp.srcport", "dns.id",
              "tcp.srcport", "tcp.seq_raw", "tcp.flags.syn", "tcp.flags.ack", "icmp.type", "icmp.ident"]


def tshark(path: Path, fields: list[str], display_filter: str = "") -> list[dict[str, str]]:
    argv = ["tshark", "-r", str(path), "-T", "fields", "-E", "separator=|", "-E", "occurrence=f"]
    if display_filter:
        argv += ["-Y", display_filter]
    for f in fields:
        argv += ["-e", f]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout
    return [dict(zip(fields, line.split("|"))) for line in out.splitlines()]


def is_set(value: str) -> bool:
    return value in ("1", "True")


def first(rows: list[dict[str, str]], kind: str) -> dict[str, str]:
    pick = {"syn": lambda r: is_set(r["tcp.flags.syn"]) and not is_set(r["tcp.flags.ack"]),
            "dns": lambda r: bool(r["dns.id"]) and r["ip.dst"] == "198.51.100.53",
            "echo": lambda r: r["icmp.type"] == "8"}[kind]
    return next(r for r in rows if pick(r))


@pytest.mark.parametrize(("stem", "ports_kept"), [("lab_nat", True), ("lab_nat_random", False)])
def test_nat_pair_translation(stem: str, ports_kept: bool) -> None:
    inside = tshark(CAPTURES / f"{stem}-inside.pcapng", NAT_FIELDS)
    outside = tshark(CAPTURES / f"{stem}-outside.pcapng", NAT_FIELDS)
    assert {r["frame.interface_name"] for r in inside} == {"lan0"}
    assert {r["frame.interface_name"] for r in outside} == {"wan0"}
    # the private address never leaves the home network; the router's outside address stands in for it
    assert "10.0.0.10" in {r["ip.src"] for r in inside}
    assert not any("10.0.0.10" in (r["ip.src"], r["ip.dst"]) for r in outside)
    assert "203.0.113.2" not in {r["ip.src"] for r in inside}
    client_in = [r for r in inside if r["ip.src"] == "10.0.0.10"]
    client_out = [r for r in outside if r["ip.src"] == "203.0.113.2"]
    assert [r["ip.id"] for r in client_in] == [r["ip.id"] for r in client_out]      # the same packets, in order
    assert {r["ip.ttl"] for r in client_in} == {"64"} and {r["ip.ttl"] for r in client_out} == {"63"}
    assert [r["ip.dst"] for r in client_in] == [r["ip.dst"] for r in client_out]    # the servers see no NAT
    for kind, key, kept in (("syn", "tcp.seq_raw", "tcp.srcport"), ("dns", "dns.id", "udp.srcport"),
                            ("echo", "ip.id", "icmp.ident")):
        a, b = first(client_in, kind), first(client_out, kind)
        assert a[key] == b[key]                                   # what the router leaves alone pairs them
        assert (a[kept] == b[kept]) is ports_kept, (kind, a[kept], b[kept])
    # replies: the router rewrites the destination back to the client
    back_in = [r for r in inside if r["ip.src"] == "198.51.100.80"]
    back_out = [r for r in outside if r["ip.src"] == "198.51.100.80"]
    assert {r["ip.dst"] for r in back_in} == {"10.0.0.10"} and {r["ip.dst"] for r in back_out} == {"203.0.113.2"}
    assert {r["ip.ttl"] for r in back_out} == {"63"} and {r["ip.ttl"] for r in back_in} == {"62"}


@pytest.mark.parametrize("name", ["lab_nat-inside.pcapng", "lab_nat-outside.pcapng",
                                  "lab_nat_random-inside.pcapng", "lab_nat_random-outside.pcapng"])
def test_nat_files_read_as_tshark_reads_them(name: str) -> None:
    fields = ["frame.interface_name", "ip.src", "ip.dst", "ip.ttl", "udp.srcport", "tcp.srcport", "icmp.ident"]
    want = tshark(CAPTURES / name, fields)
    got = [{f: pkt.fields.get(f) for f in fields} for pkt in analyzer.open(CAPTURES / name).packets()]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert {f: "" if g[f] is None else str(g[f]) for f in fields} == w


def test_arp_target_same_subnet_vs_through_a_gateway() -> None:
    fields = ["arp.opcode", "arp.src.proto_ipv4", "arp.dst.proto_ipv4", "arp.src.hw_mac", "ip.src", "ip.dst",
              "eth.dst", "ip.ttl"]
    for name, servers, gateway in (("lab_same_subnet.pcapng", {"192.0.2.53", "192.0.2.80"}, None),
                                   ("lab_page_fetch.pcapng", {"198.51.100.53", "198.51.100.80"}, "192.0.2.1")):
        rows = tshark(CAPTURES / name, fields)
        asked = [r["arp.dst.proto_ipv4"] for r in rows if r["arp.opcode"] == "1" and r["arp.src.proto_ipv4"] == "192.0.2.10"]
        mac_of = {r["arp.src.proto_ipv4"]: r["arp.src.hw_mac"] for r in rows if r["arp.opcode"] == "2"}
        sent = [r for r in rows if r["ip.src"] == "192.0.2.10"]
        assert {r["ip.dst"] for r in sent} == servers
        if gateway is None:         # one link: the client asks for each server itself and sends straight to it
            assert set(asked) == servers
            assert all(r["eth.dst"] == mac_of[r["ip.dst"]] for r in sent)
            assert {r["ip.ttl"] for r in rows if r["ip.src"] in servers} == {"64"}
        else:                       # another subnet: it asks only for the gateway, and every frame goes to it
            assert asked == [gateway] and gateway not in {r["ip.dst"] for r in sent}
            assert {r["eth.dst"] for r in sent} == {mac_of[gateway]}
            assert {r["ip.ttl"] for r in rows if r["ip.src"] in servers} == {"63"}


def test_hub_floods_and_switch_does_not() -> None:
    fields = ["eth.src", "eth.dst", "eth.dst.ig", "ip.src", "ip.id", "arp.opcode"]
    for kind in ("hub", "switch"):
        observer = tshark(CAPTURES / f"lab_{kind}-observer.pcapng", fields)
        client = tshark(CAPTURES / f"lab_{kind}-client.pcapng", fields)
        client_macs = {r["eth.src"] for r in client} | {r["eth.dst"] for r in client}
        unicast = [r for r in observer if r["eth.dst.ig"] in ("0", "False")]
        broadcast = [r for r in observer if r["eth.dst"] == "ff:ff:ff:ff:ff:ff"]
        assert broadcast and all(r["arp.opcode"] == "1" for r in broadcast)     # both see who-has broadcasts
        if kind == "hub":
            # every unicast frame the client sent or got, the observer captured too (addressed to others' MACs)
            assert {(r["eth.src"], r["eth.dst"], r["ip.id"]) for r in client if r["eth.dst.ig"] in ("0", "False")} \
                == {(r["eth.src"], r["eth.dst"], r["ip.id"]) for r in unicast}
            assert {r["eth.dst"] for r in unicast} <= client_macs and len(unicast) > 20
        else:
            assert unicast == [] and len(observer) == len(broadcast)
            assert len([r for r in client if r["eth.dst.ig"] in ("0", "False")]) > 20


@pytest.mark.parametrize("name", ["lab_same_subnet.pcapng", "lab_hub-observer.pcapng", "lab_hub-client.pcapng",
                                  "lab_switch-observer.pcapng", "lab_switch-client.pcapng",
                                  "lab_https_page_fetch.pcapng"])
def test_topology_files_read_as_tshark_reads_them(name: str) -> None:
    fields = ["frame.interface_name", "eth.src", "eth.dst", "arp.opcode", "arp.dst.proto_ipv4", "ip.src", "ip.dst",
              "ip.ttl", "tcp.srcport"]
    want = tshark(CAPTURES / name, fields)
    got = [{f: pkt.fields.get(f) for f in fields} for pkt in analyzer.open(CAPTURES / name).packets()]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert {f: "" if g[f] is None else str(g[f]) for f in fields} == w


def test_https_capture_decrypts_with_its_key_log() -> None:
    pcap, keys = CAPTURES / "lab_https_page_fetch.pcapng", CAPTURES / "lab_https_page_fetch.keys"
    argv = ["tshark", "-r", str(pcap), "-o", f"tls.keylog_file:{keys}", "-T", "fields", "-e", "http.request.uri",
            "-e", "http.response.code", "-e", "tls.handshake.extensions_server_name"]
    rows = [line.split("\t") for line in subprocess.run(argv, capture_output=True, text=True, timeout=60,
                                                        check=True).stdout.splitlines()]
    uris = [r[0] for r in rows if r[0]]
    assert uris and any(r[2] == "www.example.test" for r in rows)
    assert not tshark(pcap, ["frame.number"], "http")                   # without the keys: nothing in clear
    got = [h.uri for h in analyzer.open(pcap, keylog=keys).http]
    assert got == uris
    assert [h.status_code for h in analyzer.open(pcap, keylog=keys).http] == [int(r[1]) for r in rows if r[1]]
