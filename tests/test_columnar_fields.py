"""`read -T fields`: the columnar lines (analyzer.columnar.fields) equal the per-packet lines for every
column field on every capture we have; the options behave as tshark's (checked against tshark itself)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import synthetic
from click.testing import CliRunner

from analyzer.api.packets import analyze
from analyzer.capture import open_capture
from analyzer.cli.main import main
from analyzer.columnar.fields import COLUMN_FIELDS, column_lines
from analyzer.filter import compile_filter
from analyzer.filter.apply import matching_packets
from analyzer.report.fields import FieldsFormat

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FILES = sorted((REPO / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])
NAMES = sorted(COLUMN_FIELDS)


def _both(path: Path, fmt: FieldsFormat, text: str | None = None) -> tuple[str, str]:
    keep = compile_filter(text) if text else None
    with open_capture(path) as reader:
        fast = "".join(column_lines(reader, fmt, keep))
    with open_capture(path) as reader:
        packets = matching_packets(reader, keep) if keep else analyze(reader)
        slow = "".join(fmt.line(pkt.fields) + "\n" for pkt in packets)
    return fast, slow


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_columns_equal_decoded_fields(path):
    fast, slow = _both(path, FieldsFormat(NAMES))
    assert fast.splitlines() == slow.splitlines()
    for text in ("tcp.len > 0 or udp", "ip.addr == 10.0.0.0/8 and not tcp.port == 443", "frame.number > 3"):
        fast, slow = _both(path, FieldsFormat(NAMES), text)
        assert fast.splitlines() == slow.splitlines(), text


def test_options_on_synthetic_traffic(tmp_path):
    path = tmp_path / "s.pcap"
    synthetic.generate(path, 8000, seed=5, clients=100, sites=100)
    for options in ([], ["occurrence=f", "quote=d", "separator=,"], ["occurrence=l", "aggregator=/s"]):
        fast, slow = _both(path, FieldsFormat(NAMES, options))
        assert fast == slow
        assert len(fast.splitlines()) == 8000


TSHARK = shutil.which("tshark")


@pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed")
@pytest.mark.parametrize("options", [[], ["header=y", "quote=d", "separator=,"], ["occurrence=f"],
                                     ["occurrence=l", "aggregator=/s", "separator=/s"]])
@pytest.mark.parametrize("fields", [["frame.number", "ip.src", "ip.dst", "tcp.port", "udp.length", "tcp.flags"],
                                    ["frame.number", "dns.qry.name", "dns.a", "tcp.stream", "http.host"],
                                    ["frame.number", "frame.time_relative", "frame.time_delta", "ip.src"]])
def test_like_tshark(options, fields):
    path = REPO / "captures" / "lab_dns_mix.pcapng"
    args = [a for f in fields for a in ("-e", f)] + [a for o in options for a in ("-E", o)]
    ours = CliRunner().invoke(main, ["read", "-T", "fields", *args, str(path)])
    assert ours.exit_code == 0, ours.output
    theirs = subprocess.run([TSHARK, "-n", "-r", str(path), "-T", "fields", *args], capture_output=True, text=True,
                            check=True).stdout
    assert ours.output == theirs


def test_usage_errors():
    path = str(REPO / "captures" / "lab_dns_mix.pcapng")
    for args, message in ((["-T", "fields"], "at least one field"),
                          (["-T", "fields", "-e", "foo.bar"], "foo.bar"),
                          (["-T", "fields", "-e", "ip.src", "-E", "quote=x"], "quote=x"),
                          (["-e", "ip.src"], "need -T fields"),
                          (["-T", "fields", "-e", "ip.src", "--json"], "cannot be combined")):
        result = CliRunner().invoke(main, ["read", *args, path])
        assert result.exit_code == 2
        assert message in result.output


def test_a_field_the_analyzer_does_not_produce_is_warned_about():
    """tshark prints a column for tcp.completeness; the analyzer does not produce it: its column stays empty, and
    stderr says so once (as -Y says of a filter on it), while the other columns are tshark's."""
    path = REPO / "captures" / "lab_dns_mix.pcapng"
    args = ["-e", "frame.number", "-e", "tcp.completeness", "-e", "frame.number"]
    ours = CliRunner().invoke(main, ["read", "-T", "fields", *args, str(path)])
    assert ours.exit_code == 0, ours.output
    assert ours.stderr.count("tcp.completeness is a Wireshark field the analyzer does not produce") == 1
    theirs = subprocess.run([TSHARK, "-n", "-r", str(path), "-T", "fields", "-e", "frame.number"],
                            capture_output=True, text=True, check=True).stdout
    assert ours.stdout == "".join(f"{n}\t\t{n}\n" for n in theirs.split())
    produced = CliRunner().invoke(main, ["read", "-T", "fields", "-e", "frame.number", "-e", "ip.src", str(path)])
    assert produced.exit_code == 0 and produced.stderr == ""
