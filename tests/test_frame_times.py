"""tshark's frame times: ``frame.time`` (local time, with the zone's abbreviation), ``frame.time_delta`` (since
the previous captured frame), ``frame.time_delta_displayed`` (since the previous frame a display filter showed)
and ``frame.time_relative`` (since the first), on every packet of ``--json``, ``-T fields`` and ``-V``'s fields,
and in display filters. Expected values are tshark's, asked at test time
(test_verify_corpus compares them on every capture too)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tshark_run import tshark_output

from analyzer.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed")

FIELDS = ("frame.number", "frame.time", "frame.time_delta", "frame.time_delta_displayed", "frame.time_relative")
CASES = [
    ROOT / "captures/lab_page_fetch.pcapng",
    ROOT / "captures/lab_lossy_fetch_retransmissions.pcapng",          # segments taken from their headers
    ROOT / "tests/fixtures/tls/tls13_wget_page.pcap",
    CORPUS / "ipv4_fragments_http_request.pcap",                        # a datagram reassembled from fragments
    CORPUS / "pcapng_11_interfaces_macos_dumpcap.pcapng",
]


def path_of(case: Path) -> Path:
    if not case.exists():
        pytest.skip(f"{case} is not there (the corpus lives in ../shared/corpus)")
    return case


def dash_e(names) -> list[str]:
    return [a for n in names for a in ("-e", n)]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fields_equal_tshark(case):
    path = path_of(case)
    theirs = tshark_output([TSHARK, "-r", str(path), "-T", "fields", *dash_e(FIELDS)], path)
    result = CliRunner().invoke(main, ["read", "-r", str(path), "-T", "fields", *dash_e(FIELDS)])
    assert result.exit_code == 0, result.output
    assert result.output == theirs


@pytest.mark.parametrize("case", CASES[:2], ids=[c.name for c in CASES[:2]])
def test_json_lines_carry_them(case):
    path = path_of(case)
    theirs = tshark_output([TSHARK, "-r", str(path), "-T", "fields", *dash_e(FIELDS)], path).splitlines()
    result = CliRunner().invoke(main, ["read", "-r", str(path), "--json"])
    assert result.exit_code == 0, result.output
    ours = ["\t".join(str(json.loads(line)[n]) for n in FIELDS) for line in result.output.splitlines()]
    assert ours == theirs


@pytest.mark.parametrize("display_filter", [
    "frame.time_relative > 0.5", "frame.time_delta > 0.2", "frame.time_delta < 0.00002 and tcp",
    "frame.time_relative >= 1.0117 and frame.time_relative <= 1.0119",
])
def test_filters_select_tsharks_frames(display_filter):
    path = ROOT / "captures/lab_lossy_fetch_retransmissions.pcapng"
    theirs = tshark_output([TSHARK, "-r", str(path), "-Y", display_filter, "-T", "fields", "-e", "frame.number"],
                           path).split()
    result = CliRunner().invoke(main, ["read", "-r", str(path), "-Y", display_filter, "-T", "fields",
                                       "-e", "frame.number"])
    assert result.exit_code == 0, result.output
    assert result.output.split() == theirs and theirs


SHOWN = ("frame.number", "frame.time_delta", "frame.time_delta_displayed")


@pytest.mark.parametrize("display_filter", ["http", "dns || tcp.flags.fin == 1", "tcp.flags.syn == 1", "tcp.len > 0"])
def test_time_delta_displayed_counts_from_the_previous_frame_shown(display_filter):
    """With -Y, ``frame.time_delta_displayed`` is the time since the previous frame the filter let through (0 for
    the first one shown), in -T fields, --json and -V alike; ``frame.time_delta`` stays since the previous frame
    captured."""
    path = ROOT / "captures/lab_page_fetch.pcapng"
    theirs = tshark_output([TSHARK, "-r", str(path), "-Y", display_filter, "-T", "fields", *dash_e(SHOWN)], path)
    rows = [line.split("\t") for line in theirs.splitlines()]
    assert len(rows) > 1 and any(d != shown for _n, d, shown in rows)     # else the file proves nothing
    result = CliRunner().invoke(main, ["read", "-r", str(path), "-Y", display_filter, "-T", "fields", *dash_e(SHOWN)])
    assert result.exit_code == 0, result.output
    assert result.output == theirs
    result = CliRunner().invoke(main, ["read", "-r", str(path), "-Y", display_filter, "--json"])
    assert result.exit_code == 0, result.output
    assert [[str(json.loads(line)[n]) for n in SHOWN] for line in result.output.splitlines()] == rows
    tree = tshark_output([TSHARK, "-r", str(path), "-Y", display_filter, "-V"], path)
    label = "[Time delta from previous displayed frame:"
    result = CliRunner().invoke(main, ["read", "-r", str(path), "-Y", display_filter, "-V"])
    assert result.exit_code == 0, result.output
    assert [x for x in result.output.splitlines() if label in x] == [x for x in tree.splitlines() if label in x]


def test_a_filter_on_time_delta_displayed_itself():
    """A filter on the field itself: the field is the time since the last frame shown before this one, so with
    ``> 0.5`` nothing was ever shown (0 on every frame: tshark shows nothing) and with ``< 0.001`` a frame is shown
    when it comes within 1 ms of the last one shown. Both are tshark's answers, asked here."""
    path = ROOT / "captures/lab_page_fetch.pcapng"
    for display_filter in ("frame.time_delta_displayed > 0.5", "frame.time_delta_displayed < 0.001"):
        theirs = tshark_output([TSHARK, "-r", str(path), "-Y", display_filter, "-T", "fields", *dash_e(SHOWN)], path,
                               allow_empty=True)
        result = CliRunner().invoke(main, ["read", "-r", str(path), "-Y", display_filter, "-T", "fields",
                                           *dash_e(SHOWN)])
        assert result.exit_code == 0, result.output
        assert result.output == theirs, display_filter
        assert bool(theirs) == (">" not in display_filter)


def test_frame_time_in_another_zone():
    """tshark prints frame.time in the local zone with its abbreviation; a filter on it reads that text back."""
    path = ROOT / "captures/lab_page_fetch.pcapng"
    env = {**os.environ, "TZ": "Europe/Berlin"}
    theirs = tshark_output([TSHARK, "-r", str(path), "-c", "5", "-T", "fields", "-e", "frame.time"], path, env=env)
    first = theirs.splitlines()[0]
    assert first.endswith(" CET")
    ours = subprocess.run([sys.executable, "-m", "analyzer", "read", "-r", str(path), "-c", "5", "-T", "fields",
                           "-e", "frame.time"], check=False, capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert ours.stdout == theirs, ours.stderr
    later = first.rsplit(":", 1)[0]         # the first frame's minute, local: every frame is at or after it
    ours = subprocess.run([sys.executable, "-m", "analyzer", "read", "-r", str(path), "-c", "5",
                           "-Y", f'frame.time >= "{later}"', "-T", "fields", "-e", "frame.number"],
                          check=False, capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert ours.stdout.split() == ["1", "2", "3", "4", "5"], ours.stderr


def test_a_capture_that_starts_at_the_epoch_and_goes_back_in_time(tmp_path):
    """Crafted with scapy: frames at 0 s (the epoch), 0.5 s, 0.25 s (earlier than the one before: a negative
    delta), 1 s. The first frame's time 0 is a time like any other."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcap

    packets = []
    for i, t in enumerate((0, 0.5, 0.25, 1.0)):
        p = Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1000 + i, dport=2000)
        p.time = t
        packets.append(p)
    path = tmp_path / "epoch0.pcap"
    wrpcap(str(path), packets)
    names = FIELDS[:1] + FIELDS[2:]         # (frame.time: local, and tshark's own text for the epoch)
    theirs = tshark_output([TSHARK, "-r", str(path), "-T", "fields", *dash_e(names)], path)
    assert "-0.250000000" in theirs
    columns = CliRunner().invoke(main, ["read", "-r", str(path), "-T", "fields", *dash_e(names)])
    assert columns.exit_code == 0 and columns.output == theirs
    lines = CliRunner().invoke(main, ["read", "-r", str(path), "--json"])
    assert lines.exit_code == 0
    ours = ["\t".join(str(json.loads(line)[n]) for n in names) for line in lines.output.splitlines()]
    assert ours == theirs.splitlines()
