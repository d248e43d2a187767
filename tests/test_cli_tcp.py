"""``analyzer conversations``, ``follow`` and ``flow`` end to end (click's runner)."""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner
from tcp_helpers import build_crafted
from tcp_oracle import CORPUS, TSHARK

from analyzer.cli.main import main

CLASSIC = CORPUS / "http_fetch_dns_handshake_teardown_classic.pcap"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus folder {CORPUS} not present")


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    return build_crafted(tmp_path_factory.mktemp("crafted-cli"))


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_conversations_json_keys(crafted):
    res = invoke("conversations", "--json", crafted["sf_four_way"])
    assert res.exit_code == 0
    (row,) = [json.loads(line) for line in res.stdout.splitlines()]
    for key in ("proto", "stream", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "conn_state",
                "history", "orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes", "duration", "irtt",
                "closed_by", "time_wait", "handshake", "teardown"):
        assert key in row
    assert (row["proto"], row["conn_state"], row["closed_by"], row["time_wait"]) == ("tcp", "SF", "orig", "orig")
    assert row["orig_bytes"] == 18 and row["resp_bytes"] == 24 and row["irtt"] == pytest.approx(0.002)


@needs_corpus
def test_conversations_table_like_tshark_counts():
    res = invoke("conversations", CLASSIC)
    assert res.exit_code == 0
    out = res.stdout
    assert "TCP Conversations" in out and "UDP Conversations" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("0 ") and ":3372" in ln)
    assert "18" in line and "16" in line and "34" in line and " SF " in line and "0.911310" in line


def test_missing_file_is_one_line_exit_2(tmp_path):
    for cmd in (["conversations"], ["follow"], ["flow"]):
        args = cmd + [tmp_path / "nope.pcap"] + (["0"] if cmd == ["follow"] else [])
        res = invoke(*args)
        assert res.exit_code == 2
        assert len(res.stderr.strip().splitlines()) == 1 and "nope.pcap" in res.stderr


def test_unknown_stream_exit_2(crafted):
    res = invoke("follow", crafted["s1"], 9)
    assert res.exit_code == 2 and "no TCP stream 9" in res.stderr


@needs_corpus
@pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed")
@pytest.mark.parametrize("stream", [0, 1])
def test_follow_ascii_like_tshark(stream):
    theirs = subprocess.run([TSHARK, "-q", "-r", str(CLASSIC), "-z", f"follow,tcp,ascii,{stream}"],
                            capture_output=True, check=True).stdout.decode("latin-1")
    res = invoke("follow", CLASSIC, stream)
    assert res.exit_code == 0
    assert res.stdout.rstrip("\n") == theirs.replace("\r", ".").rstrip("\n")   # we never print a raw CR


def test_follow_hex_and_raw(crafted):
    res = invoke("follow", "--hex", crafted["sf_four_way"], 0)
    assert "00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 30 0d 0a  GET / HT TP/1.0.." in res.stdout
    res = CliRunner().invoke(main, ["follow", "--raw", "resp", str(crafted["sf_four_way"]), "0"])
    assert res.stdout_bytes == b"HTTP/1.0 200 OK\r\n\r\nhello"


def test_follow_escapes_terminal_controls(tmp_path):
    from fixtures.tcp import craft
    t = craft.Talk()
    t.handshake()
    t.send(craft.C, "PA", b"evil \x1b]0;pwned\x07 \x1b[2J\r\n")
    path = tmp_path / "evil.pcap"
    craft.wrpcap(str(path), t.packets)
    res = invoke("follow", path, 0)
    assert "\x1b" not in res.stdout and "\x07" not in res.stdout and "\r" not in res.stdout
    assert "evil .]0;pwned. .[2J." in res.stdout


def test_flow_names_the_steps(crafted):
    res = invoke("flow", crafted["sf_four_way"], 0)
    assert res.exit_code == 0
    out = res.stdout
    for step in ("handshake 1/3: SYN", "handshake 2/3: SYN-ACK", "handshake 3/3: ACK", "teardown 1/4: FIN",
                 "teardown 2/4: ACK of FIN", "teardown 3/4: FIN", "teardown 4/4: ACK; client enters TIME_WAIT"):
        assert step in out
    res = invoke("flow", crafted["sf_three_way_server_closes"])
    assert "teardown 2/3: FIN+ACK" in res.stdout and "server enters TIME_WAIT" in res.stdout
    res = invoke("flow", crafted["simultaneous_close"])
    assert "simultaneous close" in res.stdout and "both sides enter TIME_WAIT" in res.stdout
    res = invoke("flow", crafted["retransmission"])
    assert "retransmission" in res.stdout
