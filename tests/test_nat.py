"""``analyzer nat`` and :mod:`analyzer.nat`: the translation table of a router's inside and outside captures,
checked against what tshark reads from both files (recorded fixtures: nftables masquerade, port-preserving
and ``masquerade random``, see tests/fixtures/nat/record.py), and on crafted captures (tests/fixtures/nat/
craft.py): a lost SYN, equal DNS payloads, port reuse, a port forward, endpoint-independent mapping, a routed
IPv6 flow, a clock offset between the captures, thousands of flows with bounded state."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.nat import craft
from tshark_run import tshark_output

import analyzer
from analyzer.nat import NatInputError, NatMatcher, nat_of

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "nat"
KINDS = ("port_preserving", "random")
# the lab's recordings (analyzer lab --nat / --nat-random, captures/README.md): same checks
LAB = {"lab_nat": ("lab_nat-inside.pcapng", "lab_nat-outside.pcapng"),
       "lab_nat_random": ("lab_nat_random-inside.pcapng", "lab_nat_random-outside.pcapng")}
ALL = KINDS + tuple(LAB)
TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed (it is the oracle)")


def run(*args):
    return subprocess.run([sys.executable, "-m", "analyzer", *map(str, args)], capture_output=True, cwd=ROOT,
                          timeout=120, check=False, text=True)


def pair(kind: str) -> tuple[Path, Path]:
    if kind in LAB:
        return tuple(ROOT / "captures" / name for name in LAB[kind])
    return FIX / f"{kind}_inside.pcap", FIX / f"{kind}_outside.pcap"


def tshark(path: Path, display_filter: str, *fields: str) -> list[list[str]]:
    out = tshark_output([TSHARK, "-r", str(path), "-Y", display_filter, "-T", "fields",
                         *(x for f in fields for x in ("-e", f))], path)
    return [line.split("\t") for line in out.splitlines()]


def ns(epoch: str) -> int:
    whole, _, frac = epoch.partition(".")
    return int(whole) * 10**9 + int((frac + "000000000")[:9])


def ep(addr: str, port) -> str:
    return f"{addr}:{port}"


@functools.cache
def oracle(kind: str) -> dict:
    """The translations as tshark reads them from both files: SYNs joined on tcp.seq_raw, DNS queries on
    dns.id, echo requests on icmp.seq (each side's first sight)."""
    inside, outside = pair(kind)
    found: dict = {"tcp": {}, "udp": set(), "icmp": set(), "udp_inside_only": set(), "tcp_outside_only": set()}
    syn = "tcp.flags.syn == 1 && tcp.flags.ack == 0"
    fields = ("frame.number", "frame.time_epoch", "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", "tcp.seq_raw",
              "ip.ttl")
    outs = {row[6]: row for row in tshark(outside, syn, *fields)}
    for n, t, src, sport, dst, dport, isn, ttl in tshark(inside, syn, *fields):
        o = outs.pop(isn, None)
        assert o is not None, f"tshark: inside SYN {isn} has no outside twin"
        found["tcp"][isn] = {"inside": ep(src, sport), "outside": ep(o[2], o[3]), "remote": ep(o[4], o[5]),
                             "frames": (int(n), int(o[0])), "ttl": int(ttl) - int(o[7]),
                             "delay": ns(o[1]) - ns(t)}
    found["tcp_outside_only"] = {(ep(r[2], r[3]), ep(r[4], r[5])) for r in outs.values()}
    q = "dns.flags.response == 0 && udp && !icmp"
    outs = {row[4]: row for row in tshark(outside, q, "ip.src", "udp.srcport", "ip.dst", "udp.dstport", "dns.id")}
    for src, sport, dst, dport, qid in tshark(inside, q, "ip.src", "udp.srcport", "ip.dst", "udp.dstport", "dns.id"):
        o = outs.get(qid)
        if o is None:
            found["udp_inside_only"].add((ep(src, sport), ep(dst, dport)))
        else:
            found["udp"].add((ep(src, sport), ep(o[0], o[1]), ep(o[2], o[3])))
    e = "icmp.type == 8"
    outs = {row[3]: row for row in tshark(outside, e, "ip.src", "icmp.ident", "ip.dst", "icmp.seq")}
    for src, ident, dst, seq in tshark(inside, e, "ip.src", "icmp.ident", "ip.dst", "icmp.seq"):
        o = outs[seq]
        found["icmp"].add((src, int(ident), o[0], int(o[1]), o[2]))
    return found


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> dict:
    return craft.build(tmp_path_factory.mktemp("nat"))


# -- recorded: nftables masquerade, port-preserving and random ----------------------------------------------------
@needs_tshark
@pytest.mark.parametrize("kind", ALL)
def test_table_matches_tshark_on_both_captures(kind):
    want = oracle(kind)
    r = nat_of(analyzer.open(list(pair(kind))))
    assert r.inside.name == str(pair(kind)[0]) and r.oriented_by == "private-addresses"
    tcp = {t.key.removeprefix("ISN "): t for t in r.translations if t.proto == "tcp"}
    assert set(tcp) == set(want["tcp"]) and want["tcp"]
    for isn, w in want["tcp"].items():
        t = tcp[isn]
        assert (t.inside.text("tcp"), t.outside.text("tcp"), t.remote.text("tcp")) == (w["inside"], w["outside"],
                                                                                     w["remote"])
        assert (t.inside_flow.first_frame, t.outside_flow.first_frame) == w["frames"]
        assert t.ttl_out == w["ttl"] == 1
        assert t.delay_out_ns == w["delay"] and t.delay_out_ns > 0
    udp = {(t.inside.text("udp"), t.outside.text("udp"), t.remote.text("udp")) for t in r.translations
           if t.proto == "udp"}
    assert udp == want["udp"] and udp
    icmp = {(t.inside.addr, t.inside.port, t.outside.addr, t.outside.port, t.remote.addr) for t in r.translations
            if t.proto == "icmp"}
    assert icmp == want["icmp"] and icmp
    lone = {(u.side, u.proto, u.flow.initiator.text(u.proto), u.flow.responder.text(u.proto)) for u in r.unmatched}
    assert lone == ({("inside", "udp", a, b) for a, b in want["udp_inside_only"]}
                    | {("outside", "tcp", a, b) for a, b in want["tcp_outside_only"]})
    if kind in KINDS:       # the recorder's DNS query to the router itself, and a knock on the public address
        assert {u.reason for u in r.unmatched} == {"local", "router-answered"}


@needs_tshark
@pytest.mark.parametrize("kind", ALL)
def test_nat_type_follows_the_ports_tshark_sees(kind):
    want = oracle(kind)
    same = [w["inside"].split(":")[1] == w["outside"].split(":")[1] for w in want["tcp"].values()]
    same += [a.split(":")[1] == b.split(":")[1] for a, b, _ in want["udp"]]
    nt = nat_of(analyzer.open(list(pair(kind)))).nat_type
    expected = "preserved" if all(same) else "rewritten" if not any(same) else "mixed"
    assert expected == ("rewritten" if "random" in kind else "preserved")
    assert nt.ports == expected and nt.preserved == sum(same) and nt.rewritten == len(same) - sum(same)
    publics = {w["outside"].split(":")[0] for w in want["tcp"].values()}
    assert nt.outside_addresses == tuple(publics) and len(publics) == 1
    icmp_same = {i[1] == i[3] for i in want["icmp"]}
    assert nt.icmp_ids == ("preserved" if icmp_same == {True} else "rewritten")
    assert nt.hops == (1,)


@pytest.mark.parametrize("kind", KINDS)
def test_order_of_the_files_does_not_matter(kind):
    inside, outside = pair(kind)
    a = nat_of(analyzer.open([str(inside), str(outside)]))
    b = nat_of(analyzer.open([str(outside), str(inside)]))
    assert a.inside.name == b.inside.name and a.inside_side == 0 and b.inside_side == 1
    assert [t.as_dict() for t in a.translations] == [t.as_dict() for t in b.translations]


@needs_tshark
def test_one_pcapng_with_both_interfaces(tmp_path):
    both = tmp_path / "both.pcapng"
    assert run("read", *pair("random"), "-w", both).returncode == 0
    names = {row[0] for row in tshark(both, "frame", "frame.interface_name")}
    assert len(names) == 2
    r = nat_of(analyzer.open(str(both)))
    syns = {row[1]: int(row[0]) for row in tshark(both, "tcp.flags.syn == 1 && tcp.flags.ack == 0 && ip.src == 10.0.0.10",
                                                  "frame.number", "tcp.seq_raw")}
    got = {t.key.removeprefix("ISN "): t.inside_flow.first_frame for t in r.translations if t.proto == "tcp"}
    assert got == syns


# -- the command ------------------------------------------------------------------------------------------------
@needs_tshark
def test_cli_text_and_json():
    want = oracle("random")
    r = run("nat", *pair("random"))
    assert r.returncode == 0, r.stderr
    for w in want["tcp"].values():
        assert f"{w['inside']:<{len(w['inside'])}}" in r.stdout and w["outside"] in r.stdout
        line = next(x for x in r.stdout.splitlines() if w["outside"] + " " in x + " ")
        assert w["inside"] in line and "↔" in line and w["remote"] in line
    assert "rewritten" in r.stdout and "decremented by 1" in r.stdout
    j = run("nat", *pair("random"), "--json")
    assert j.returncode == 0, j.stderr
    doc = json.loads(j.stdout)
    assert doc["nat_type"]["ports"] == "rewritten" and doc["nat_type"]["ttl_decrements"] == [1]
    rows = {(f"{t['inside']['addr']}:{t['inside']['port']}", f"{t['outside']['addr']}:{t['outside']['port']}")
            for t in doc["translations"] if t["proto"] == "tcp"}
    assert rows == {(w["inside"], w["outside"]) for w in want["tcp"].values()}


def test_cli_errors(tmp_path):
    inside, outside = pair("random")
    one = run("nat", inside)
    assert one.returncode == 2 and "one interface only" in one.stderr and "Traceback" not in one.stderr
    text = tmp_path / "notes.txt"
    text.write_text("not a capture\n")
    bad = run("nat", inside, text)
    assert bad.returncode == 2 and "notes.txt" in bad.stderr and "not a capture" in bad.stderr
    missing = run("nat", inside, tmp_path / "nope.pcap")
    assert missing.returncode == 2 and "nope.pcap" in missing.stderr
    three = run("nat", inside, outside, inside)
    assert three.returncode == 2 and "give two" in three.stderr
    none = run("nat", ROOT / "captures" / "lab_page_fetch.pcapng", inside)
    assert none.returncode == 1 and "no flow of" in none.stderr and "Translation table: 0" in none.stdout
    assert "INSIDE OUTSIDE" in run("nat", "--help").stdout


# -- crafted -----------------------------------------------------------------------------------------------------
def test_crafted_corner_cases(crafted):
    r = nat_of(analyzer.open(list(crafted["tricky"])))
    rows = [(t.proto, t.direction, t.inside.text(t.proto), t.outside.text(t.proto), t.remote.text(t.proto))
            for t in r.translations]
    assert rows == [
        ("tcp", "outbound", "10.0.0.10:40001", "203.0.113.2:61001", "198.51.100.80:80"),   # SYN lost, then resent
        ("udp", "outbound", "10.0.0.10:40002", "203.0.113.2:61002", "198.51.100.53:53"),   # equal payloads,
        ("udp", "outbound", "10.0.0.11:40002", "203.0.113.2:61003", "198.51.100.53:53"),   # paired in time order
        ("tcp", "outbound", "10.0.0.10:40004", "203.0.113.2:61004", "198.51.100.80:80"),   # port reused
        ("tcp", "outbound", "10.0.0.10:40004", "203.0.113.2:61005", "198.51.100.80:80"),
        ("tcp", "inbound", "10.0.0.20:80", "203.0.113.2:8080", "198.51.100.7:5555"),       # port forward
        ("udp", "outbound", "10.0.0.10:40006", "203.0.113.2:61006", "198.51.100.53:53"),
        ("udp", "outbound", "10.0.0.10:40006", "203.0.113.2:61006", "198.51.100.54:53"),
        ("tcp", "untranslated", "[2001:db8:1::10]:40007", "[2001:db8:1::10]:40007", "[2001:db8:2::80]:80"),
    ]
    lost = r.translations[0]
    assert (lost.inside_flow.frames_fwd, lost.outside_flow.frames_fwd) == (6, 5)
    assert lost.delay_out_ns == craft.DELAY_NS          # from the resent SYN, not the lost one
    assert all(t.delay_out_ns == craft.DELAY_NS and t.ttl_out == 1 for t in r.translations)
    nt = r.nat_type
    assert nt.mapping == "endpoint-independent" and nt.inbound == 1 and nt.ports == "rewritten"
    assert r.unmatched == ()


def test_clock_offset_needs_max_delay(crafted, tmp_path):
    if not shutil.which("editcap"):
        pytest.skip("editcap is not installed")
    inside, outside = crafted["tricky"]
    shifted = tmp_path / "shifted.pcap"
    subprocess.run(["editcap", "-t", "3", str(outside), str(shifted)], check=True, capture_output=True)
    assert run("nat", inside, shifted).returncode == 1
    r = run("nat", inside, shifted, "--max-delay", "4", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert len(doc["translations"]) == 9
    assert {t["delay_out_ns"] for t in doc["translations"] if t["direction"] == "outbound"} == {3 * 10**9 + craft.DELAY_NS}


def test_state_is_bounded_by_open_flows(crafted):
    """2000 connections one after another: the matcher never holds more than a few flows at once, and
    every one of them is paired."""
    from analyzer.decode.packet import decode

    inside, outside = crafted["many"]
    cap = analyzer.open([str(inside), str(outside)])
    m = NatMatcher()
    peak = pairs = 0
    with cap.open() as reader:
        for frame in reader:
            side = reader.interfaces[frame.iface].file_index
            pairs += sum(1 for x in m.feed(side, frame.number, frame.ts_ns, decode(frame)) if hasattr(x, "flows"))
            peak = max(peak, len(m.flows[0]) + len(m.flows[1]) + sum(len(q) for p in m.pending for q in p.values()))
    pairs += sum(1 for x in m.finish() if hasattr(x, "flows"))
    assert pairs == 2000 + 200
    assert peak < 300      # closed TCP flows linger 5 s of packet time (about 120 here), UDP ones idle 60 s


def test_not_two_views(tmp_path):
    with pytest.raises(NatInputError, match="one interface only"):
        nat_of(analyzer.open(str(pair("random")[0])))
    with pytest.raises(NatInputError, match="3 captures"):
        nat_of(analyzer.open([str(p) for p in (*pair("random"), pair("random")[0])]))


def test_damaged_captures_never_raise(tmp_path):
    """Bytes flipped anywhere in either capture (headers, lengths, payloads): the NAT table and the NAT
    timeline still come out, or a CaptureError names the file; nothing else escapes."""
    import random

    from analyzer.capture import CaptureError
    from analyzer.cli.timeline import stream

    rng = random.Random(16)
    inside, outside = (p.read_bytes() for p in pair("random"))
    for i in range(30):
        files = []
        for name, data in (("in", inside), ("out", outside)):
            b = bytearray(data)
            for _ in range(rng.randint(1, 40)):
                b[rng.randrange(24, len(b))] = rng.randrange(256)
            path = tmp_path / f"{i}-{name}.pcap"
            path.write_bytes(bytes(b))
            files.append(str(path))
        try:
            nat_of(analyzer.open(files))
        except (NatInputError, CaptureError):
            pass
        try:
            list(stream(tuple(files)))
        except SystemExit as exc:          # the CLI's one-line error for a file that is not a capture
            assert exc.code == 2
