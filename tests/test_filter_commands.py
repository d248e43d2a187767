"""-Y on every command that takes it (read, conversations, http, dns, timeline), checked against tshark -Y
on the project's own captures."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli.main import main

CAPTURES = Path(__file__).resolve().parents[1] / "captures"
PAGE = CAPTURES / "lab_page_fetch.pcapng"
SHORT = CAPTURES / "lab_http10_short_connections.pcap"
DNS_MIX = CAPTURES / "lab_dns_mix.pcapng"

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")


def tshark_frames(path: Path, display_filter: str) -> list[int]:
    out = subprocess.run(["tshark", "-r", str(path), "-Y", display_filter, "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True, check=True).stdout
    return [int(n) for n in out.split()]


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, [str(a) for a in args])
    return res.exit_code, res.stdout, res.stderr


@needs_tshark
@pytest.mark.parametrize("display_filter", [
    "dns or tcp.flags.syn == 1",
    "http.request.method == \"GET\" and http.request.uri matches \"\\\\.(css|js)$\"",
    "tcp.analysis.initial_rtt or arp.opcode == 2",
    "ip.addr == 198.51.100.0/24 && tcp.len > 0",
])
def test_read_lines_and_json_keep_the_frames_tshark_keeps(display_filter):
    want = tshark_frames(PAGE, display_filter)
    assert want, "the filter should select something in this capture"
    code, out, _ = run("read", "-Y", display_filter, PAGE)
    assert code == 0
    assert [int(line.split()[0]) for line in out.splitlines()] == want
    code, out, _ = run("read", "--json", "-Y", display_filter, PAGE)
    assert code == 0
    assert [json.loads(line)["frame.number"] for line in out.splitlines()] == want


@needs_tshark
def test_read_filter_with_write_keeps_only_matching_frames(tmp_path):
    out = tmp_path / "http.pcapng"
    code, _, _ = run("read", "-Y", "tcp.port == 80", "-w", out, PAGE)
    assert code == 0
    assert len(tshark_frames(out, "frame")) == len(tshark_frames(PAGE, "tcp.port == 80"))
    assert tshark_frames(out, "not tcp.port == 80") == []


def test_read_bad_filter_is_one_error_with_a_caret():
    code, out, err = run("read", "-Y", "tcp.port in {80, 443", PAGE)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert "tcp.port in {80, 443" in lines[-2] and lines[-1].strip() == "^"
    assert lines[-1].index("^") == lines[-2].index("{")


def test_conversations_count_only_matching_frames():
    code, out, _ = run("conversations", "--json", "--proto", "tcp", "-Y", "tcp.srcport == 36716 or "
                       "tcp.dstport == 36716", SHORT)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["id.orig_p"], r["id.resp_p"], r["conn_state"]) for r in rows] == [(36716, 80, "SF")]
    code, out, _ = run("conversations", "--proto", "tcp", "-Y", "tcp.port == 36716", SHORT)
    assert "Filter:tcp.port == 36716" in out


def test_http_keeps_transactions_whose_frames_match():
    code, out, _ = run("http", "--json", "-Y", 'http.request.uri contains "css"', PAGE)
    assert code == 0
    assert [json.loads(line)["uri"] for line in out.splitlines()] == ["/style.css"]
    code, out, _ = run("http", "--json", "-Y", "http.response.code == 200", PAGE)
    assert sorted(json.loads(line)["uri"] for line in out.splitlines()) == [
        "/", "/app.js", "/logo.png", "/style.css"]


@needs_tshark
def test_dns_keeps_transactions_whose_frames_match():
    code, out, _ = run("dns", "--json", "-Y", "dns.qry.type == 28", DNS_MIX)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    queries = tshark_frames(DNS_MIX, "dns.qry.type == 28 and dns.flags.response == 0")
    assert rows and all(r["qtype"] == 28 for r in rows)
    assert sorted(r["query_frame"] for r in rows) == queries


def test_timeline_built_from_matching_frames_only():
    code, out, _ = run("timeline", "--json", "-Y", "not arp", PAGE)
    assert code == 0
    steps = json.loads(out)["fetches"][0]["steps"]
    arp = [s for s in steps if s["layer"] == "arp"]
    assert arp and all(not s["frames"] for s in arp)      # "no ARP request from the client in this file..."
    code, out, _ = run("timeline", "--json", PAGE)
    assert any(s["layer"] == "arp" and s["frames"] for s in json.loads(out)["fetches"][0]["steps"])
