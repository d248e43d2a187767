"""``analyzer timeline INSIDE OUTSIDE``: each step once, from the inside, with its outside view (the address
and port the router gave the flow, the outside frame, the delay through the router, the TTL), and NAT
explained in English and Chinese; checked against what tshark reads from both captures."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tshark_run import tshark_output

ROOT = Path(__file__).resolve().parents[1]
LAB = (ROOT / "captures" / "lab_nat_random-inside.pcapng", ROOT / "captures" / "lab_nat_random-outside.pcapng")
FIX = (ROOT / "tests" / "fixtures" / "nat" / "port_preserving_inside.pcap",
       ROOT / "tests" / "fixtures" / "nat" / "port_preserving_outside.pcap")
TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed (it is the oracle)")


def run(*args):
    return subprocess.run([sys.executable, "-m", "analyzer", *map(str, args)], capture_output=True, cwd=ROOT,
                          timeout=120, check=False, text=True)


def fields(path: Path, display_filter: str, *names: str) -> list[list[str]]:
    out = tshark_output([TSHARK, "-r", str(path), "-Y", display_filter, "-T", "fields",
                         *(x for f in names for x in ("-e", f))], path)
    return [line.split("\t") for line in out.splitlines()]


def ns(epoch: str) -> int:
    whole, _, frac = epoch.partition(".")
    return int(whole) * 10**9 + int((frac + "000000000")[:9])


def merged_numbers(inside: Path, outside: Path) -> dict[tuple[int, int], int]:
    """(file index, frame number in the file) -> number in the two files merged by time (ties: inside first),
    from tshark's frame times."""
    rows = [(ns(t), i, int(n)) for i, path in enumerate((inside, outside))
            for n, t in fields(path, "frame", "frame.number", "frame.time_epoch")]
    return {(i, n): k for k, (_, i, n) in enumerate(sorted(rows), 1)}


@pytest.fixture(scope="module")
def lab_json() -> dict:
    r = run("timeline", *LAB, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@needs_tshark
def test_each_step_once_with_the_outside_view(lab_json):
    inside, outside = LAB
    syn = "tcp.flags.syn == 1 && tcp.flags.ack == 0"
    (n_in, t_in, port_in, isn, ttl_in), = fields(inside, syn, "frame.number", "frame.time_epoch", "tcp.srcport",
                                                "tcp.seq_raw", "ip.ttl")
    (n_out, t_out, src_out, port_out, isn_out, ttl_out), = fields(outside, syn, "frame.number", "frame.time_epoch",
                                                                  "ip.src", "tcp.srcport", "tcp.seq_raw", "ip.ttl")
    assert isn == isn_out and port_in != port_out          # masquerade random: the port changed, the ISN did not
    merged = merged_numbers(inside, outside)
    fetches = lab_json["fetches"]
    assert [f["client"] for f in fetches] == ["10.0.0.10"]       # the router's copy is not told again
    steps = fetches[0]["steps"]
    kinds = [s["kind"] for s in steps]
    assert kinds.count("nat.explain") == 1
    assert kinds.index("nat.explain") < kinds.index("dns.query")
    first = next(s for s in steps if s["kind"] == "tcp.handshake.1")
    assert first["frames"] == [merged[(0, int(n_in))]]
    view = first["facts"]["nat"]
    assert view["outside"] == f"{src_out}:{port_out}" and view["inside"] == f"10.0.0.10:{port_in}"
    assert view["outside_frame"] == merged[(1, int(n_out))]
    assert view["delay_ns"] == ns(t_out) - ns(t_in)
    assert (view["ttl_inside"], view["ttl_outside"]) == (int(ttl_in), int(ttl_out))
    assert f"{src_out}:{port_out} → 198.51.100.80:80, TTL {ttl_in} → {ttl_out}" in first["text"]
    # the reply: arrived outside first, TTL decremented again on the way in
    (r_out, r_ttl_out), = fields(outside, "tcp.flags.syn == 1 && tcp.flags.ack == 1", "frame.number", "ip.ttl")
    (r_in, r_ttl_in), = fields(inside, "tcp.flags.syn == 1 && tcp.flags.ack == 1", "frame.number", "ip.ttl")
    second = next(s for s in steps if s["kind"] == "tcp.handshake.2")
    assert second["frames"] == [merged[(0, int(r_in))]]
    assert second["facts"]["nat"]["outside_frame"] == merged[(1, int(r_out))]
    assert (second["facts"]["nat"]["ttl_outside"], second["facts"]["nat"]["ttl_inside"]) == (int(r_ttl_out),
                                                                                           int(r_ttl_in))
    # every later step of the connection carries its outside address too
    for s in steps:
        if s["layer"] in ("tcp", "http") and s["frames"]:
            assert s["facts"]["nat"]["outside"] == f"{src_out}:{port_out}", s["kind"]


@needs_tshark
def test_dns_query_outside_view(lab_json):
    inside, outside = LAB
    q = "dns.flags.response == 0"
    (qid, port_in), = fields(inside, q, "dns.id", "udp.srcport")
    (qid_out, port_out), = fields(outside, q, "dns.id", "udp.srcport")
    assert qid == qid_out
    step = next(s for s in lab_json["fetches"][0]["steps"] if s["kind"] == "dns.query")
    assert step["facts"]["nat"]["inside"] == f"10.0.0.10:{port_in}"
    assert step["facts"]["nat"]["outside"] == f"203.0.113.2:{port_out}"


def test_explained_in_english_and_chinese():
    en = run("timeline", *LAB, "--width", "200")
    assert en.returncode == 0, en.stderr
    assert "private (RFC 1918)" in en.stdout and "translation table" in en.stdout
    assert "rewrites the destination back to 10.0.0.10" in en.stdout and "decrements the TTL by 1" in en.stdout
    zh = run("timeline", *LAB, "--lang", "zh", "--json")
    assert zh.returncode == 0, zh.stderr
    step = next(s for s in json.loads(zh.stdout)["fetches"][0]["steps"] if s["kind"] == "nat.explain")
    text = step["text"]
    assert "私有地址" in text and "转换表" in text and "TTL 减 1" in text
    assert "。" in text and "：" in text and "（" in text
    prose = text.replace("10.0.0.10", "").replace("203.0.113.2", "").replace("198.51.100.53", "")
    assert not any(p in prose for p in (", ", ". ", ": ", "; ", "(", ")")), prose


def test_flows_seen_on_one_side_only_say_so():
    r = run("timeline", *FIX, "--json")
    assert r.returncode == 0, r.stderr
    steps = [s for f in json.loads(r.stdout)["fetches"] for s in f["steps"]]
    lone = {s["facts"]["nat"]["reason"]: s for s in steps if "nat" in s["facts"] and "reason" in s["facts"]["nat"]}
    assert set(lone) == {"local", "router-answered"}
    assert "Not seen outside" in lone["local"]["text"] and "Not seen inside" in lone["router-answered"]["text"]


def test_one_capture_or_no_nat_is_told_as_before():
    one = run("timeline", LAB[0], "--json")
    assert one.returncode == 0 and '"nat' not in one.stdout
    two = run("timeline", ROOT / "captures" / "lab_page_fetch.pcapng", ROOT / "captures" / "lab_dns_mix.pcapng",
              "--json")
    assert two.returncode == 0 and '"nat' not in two.stdout


def test_port_forward_told_once_from_outside(tmp_path):
    from fixtures.nat import craft

    inside, outside = craft.tricky(tmp_path)
    r = run("timeline", inside, outside, "--json")
    assert r.returncode == 0, r.stderr
    fetches = json.loads(r.stdout)["fetches"]
    assert {f["client"] for f in fetches} == {"10.0.0.10", "10.0.0.11", "198.51.100.7", "2001:db8:1::10"}
    fwd = next(f for f in fetches if f["client"] == "198.51.100.7")
    steps = [s for s in fwd["steps"] if s["frames"]]
    assert steps[0]["kind"] == "nat.explain.inbound"
    tcp = [s for s in steps if s["layer"] in ("tcp", "http")]
    assert {s["facts"]["nat"]["inside"] for s in tcp} == {"10.0.0.20:80"}          # one connection, told once
    assert {s["facts"]["client_port"] for s in tcp if "client_port" in s["facts"]} == {5555}
    assert not any("as explained for connection" in s["text"] for s in tcp)
    first = next(s for s in tcp if s["kind"] == "tcp.handshake.1")
    assert first["facts"]["nat"]["delay_ns"] == craft.DELAY_NS and "10.0.0.20:80 and passed it in" in first["text"]
