"""tshark's per-conversation timestamps: ``tcp.time_relative`` / ``tcp.time_delta`` (time since the TCP stream's
first frame / its previous frame) and ``udp.time_relative`` / ``udp.time_delta`` (the same per UDP
conversation), as tshark 4.0 gives them with its default "calculate conversation timestamps" preferences.
Every value is read from tshark at test time on the same file: ``read -T fields``, ``read --json``, ``read -V``
and ``read -Y`` on the troubleshooting filters people type (``tcp.time_delta > 0.2``), through the compiled
helper and through the pure-Python path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tcp_oracle import CORPUS, TSHARK
from tshark_run import tshark_output

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ["tcp.stream", "tcp.time_relative", "tcp.time_delta", "udp.stream", "udp.time_relative", "udp.time_delta"]
CAPTURES = [ROOT / "captures" / n for n in (
    "lab_lossy_fetch_retransmissions.pcapng",      # SYN and data resent: deltas of an RTO
    "lab_dns_mix.pcapng",                          # UDP and TCP DNS, several conversations
    "demo_timewait_reuseaddr_loopback.pcapng",     # a 4-tuple used again: a new stream starts its clock
    "lab_silent_host_syn_timeout.pcapng",          # an unanswered SYN resent (an attempt promoted)
    "lab_https_page_fetch.pcapng",
)] + [ROOT / "tests" / "fixtures" / "nat" / "random_inside.pcap"]     # a datagram quoted in an ICMP error
CORPUS_FILES = ["http_fetch_wikipedia_dns_multiconn.pcap", "tcp_retransmission_rto_backoff.pcapng",
                "dns_udp_over_ipv6_wireshark_v6.pcap", "tcp_zero_window_persist_probes.pcapng"]

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed")


def _files() -> list[Path]:
    files = list(CAPTURES)
    if CORPUS.is_dir():
        files += [CORPUS / n for n in CORPUS_FILES]
    return files


def _ids(files: list[Path]) -> list[str]:
    return [f.name for f in files]


def _analyzer(*args: str, pure: bool = False) -> str:
    env = dict(os.environ)
    if pure:
        env["ANALYZER_PURE_PYTHON"] = "1"
    else:
        env.pop("ANALYZER_PURE_PYTHON", None)
    run = subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout


def _tshark_fields(path: Path) -> str:
    cmd = [TSHARK, "-n", "-r", str(path), "-T", "fields", "-e", "frame.number"]
    for f in FIELDS:
        cmd += ["-e", f]
    return tshark_output(cmd, path)


@pytest.mark.parametrize("pure", [False, True], ids=["compiled", "pure-python"])
@pytest.mark.parametrize("path", _files(), ids=_ids(_files()))
def test_fields_like_tshark(path, pure):
    if not path.exists():
        pytest.skip(f"{path} not present (the corpus folder is absent)")
    ours = _analyzer("read", "-r", str(path), "-T", "fields", "-e", "frame.number",
                     *[a for f in FIELDS for a in ("-e", f)], pure=pure)
    theirs = _tshark_fields(path)
    assert ours == theirs
    # the capture does exercise the fields: some conversation had a second frame, later than its first
    assert any(v not in ("", "0.000000000") for line in theirs.splitlines() for v in line.split("\t")[2:4] + line.split("\t")[5:7])


def test_json_and_tree_carry_the_values():
    """``read --json`` has the four fields with tshark's texts; ``read -V`` shows them in the TCP and UDP trees,
    before the SEQ/ACK analysis (Wireshark's [Timestamps] subtree comes before it too)."""
    path = ROOT / "captures" / "lab_lossy_fetch_retransmissions.pcapng"
    theirs = {}
    for line in _tshark_fields(path).splitlines():
        parts = line.split("\t")
        theirs[int(parts[0])] = {f: v for f, v in zip(FIELDS, parts[1:], strict=True) if v}
    seen = 0
    for line in _analyzer("read", "-r", str(path), "--json").splitlines():
        pkt = json.loads(line)
        got = {f: str(pkt[f]) for f in FIELDS if f in pkt}
        assert got == theirs[pkt["frame.number"]]
        seen += "tcp.time_delta" in got
    assert seen > 10
    tree = _analyzer("read", "-r", str(path), "-V", "-c", "12")
    blocks = tree.split("\nFrame ")
    tcp_blocks = [b for b in blocks if "[Time since first frame in this TCP stream, seconds]" in b]
    assert tcp_blocks
    for b in tcp_blocks:
        assert b.index("[Time since previous frame in this TCP stream, seconds]") < \
            b.index("[Time since first frame in this TCP stream, seconds]") + 200
        if "[Round-trip time to ACK" in b:
            assert b.index("Time since first frame in this TCP stream") < b.index("[Round-trip time to ACK")
    assert any("[Time since previous frame, seconds]" in b for b in blocks)      # the DNS datagrams


@pytest.mark.parametrize("display_filter", [
    "tcp.time_delta > 0.2", "tcp.time_delta > 0.01 or udp", "udp.time_delta > 0.001",
    "tcp.time_relative > 1 and tcp.port == 80", "tcp.time_delta > 0.2 || dns",
])
def test_filters_select_tshark_frames(display_filter):
    """The frames ``read -Y`` keeps are tshark's, on the lossy fetch (RTO gaps) and a browser's page load."""
    files = [ROOT / "captures" / "lab_lossy_fetch_retransmissions.pcapng"]
    if CORPUS.is_dir():
        files.append(CORPUS / "http_fetch_wikipedia_dns_multiconn.pcap")
    kept = 0
    for path in files:
        ours = _analyzer("read", "-r", str(path), "-Y", display_filter, "-T", "fields", "-e", "frame.number")
        theirs = tshark_output([TSHARK, "-n", "-r", str(path), "-Y", display_filter, "-T", "fields", "-e",
                                "frame.number"], path, allow_empty=True)
        assert ours.split() == theirs.split(), (path.name, display_filter)
        kept += len(theirs.split())
    assert kept or display_filter.startswith("tcp.time_relative")     # the filters are not vacuous here


def test_a_new_stream_on_the_same_ports_starts_its_clock(tmp_path):
    """Port reuse (the crafted capture of tests/test_tcp_crafted.py): the SYN that reuses a 4-tuple starts a
    stream of its own, and both of its times count from that SYN, as tshark gives them (0 there, not the
    time since the old stream's last frame)."""
    from tcp_helpers import build_crafted

    path = build_crafted(tmp_path)["port_reuse"]
    rows = [line.split("\t") for line in _tshark_fields(path).splitlines()]
    firsts = {}
    for r in rows:
        firsts.setdefault(r[1], r)
    assert sorted(firsts) == ["0", "1"] and rows.index(firsts["1"]) > 0
    ours = _analyzer("read", "-r", str(path), "-T", "fields", "-e", "frame.number",
                     *[a for f in FIELDS for a in ("-e", f)])
    assert [line.split("\t") for line in ours.splitlines()] == rows
