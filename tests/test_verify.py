"""``analyzer verify``: the sans-IO comparer on hand-made dicts, then the command over the captures.

The comparer's counts are checked on dicts written here, including a tshark dict changed on purpose; the
command's output and exit codes on real captures, and the whole vocabulary on a few, where the summary's
counts must add up. Every capture of captures/ and ../shared/corpus with the whole vocabulary:
tests/test_verify_corpus.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer import verify
from analyzer.cli.main import main
from analyzer.verify import Comparer, Summary, compare, field_texts, merge_frames, tshark_text

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
CAPTURES = ROOT / "captures"
TSHARK = shutil.which("tshark")
CLASSIC = CORPUS / "http_fetch_dns_handshake_teardown_classic.pcap"
needs_tshark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")

# -- values as tshark prints them ---------------------------------------------------------------------------
def test_tshark_text():
    assert tshark_text(80) == "80"
    assert tshark_text(True) == "1" and tshark_text(False) == "0"
    assert tshark_text("0x0012") == "0x0012"
    assert tshark_text("Host: a\r\n\tb\x08\x0c") == "Host: a\\r\\n\\tb\\b\\f"
    assert tshark_text(b"\x02\x04\x05\xb4") == "020405b4"


def test_field_texts_lists_and_empty_strings():
    fields = {"ip.src": "10.0.0.1", "tcp.port": [80, 1234], "dns.txt": "", "http.x": ["a", ""], "none": None}
    assert field_texts(fields) == {"ip.src": ["10.0.0.1"], "tcp.port": ["80", "1234"], "http.x": ["a", ""]}
    assert field_texts(fields, ["tcp.port", "absent"]) == {"tcp.port": ["80", "1234"]}


def test_tshark_lines_are_parsed_with_booleans_normalised():
    names = ["frame.number", "tcp.port", "tcp.flags.syn", "http.host"]
    line = "7\t80\x1f1234\tTrue\t\n"
    number, fields = verify._parse_line(line, names, frozenset({"tcp.flags.syn"}))
    assert number == 7
    assert fields == {"frame.number": ["7"], "tcp.port": ["80", "1234"], "tcp.flags.syn": ["1"]}


# -- the comparer (sans-IO) ---------------------------------------------------------------------------------
OURS = {
    1: {"ip.src": ["10.0.0.1"], "tcp.port": ["80", "1234"], "tcp.flags": ["0x0002"]},
    2: {"ip.src": ["10.0.0.2"], "tcp.port": ["1234", "80"], "tcp.flags": ["0x0012"], "tcp.analysis.ack_rtt": ["0.1"]},
    3: {"ip.src": ["10.0.0.1"], "udp.port": ["53", "5000"]},
}
FIELDS = ["ip.src", "tcp.port", "tcp.flags", "tcp.analysis.ack_rtt", "udp.port", "dns.qry.name"]


def stream(frames: dict) -> list:
    return sorted(frames.items())


def test_equal_frames_are_all_equal():
    s = compare(stream(OURS), stream(OURS), FIELDS)
    assert s.ok
    assert (s.frames_ours, s.frames_tshark, s.frames_compared) == (3, 3, 3)
    assert (s.compared, s.equal, s.different) == (9, 9, 0)
    assert s.first == [] and s.fields_with_differences() == []
    assert s.per_field["tcp.port"].compared == 2


def test_an_injected_difference_is_reported():
    theirs = {n: {k: list(v) for k, v in f.items()} for n, f in OURS.items()}
    theirs[2]["tcp.flags"] = ["0x0010"]                 # other value
    del theirs[2]["tcp.analysis.ack_rtt"]               # only ours
    theirs[3]["dns.qry.name"] = ["example.com"]         # only tshark's
    theirs[1]["tcp.port"] = ["80"]                      # one occurrence less
    s = compare(stream(OURS), stream(theirs), FIELDS)
    assert not s.ok
    assert (s.compared, s.equal, s.different) == (10, 6, 4)
    assert (s.missing, s.extra, s.differ) == (1, 1, 2)
    assert [(d.frame, d.field) for d in s.first] == [(1, "tcp.port"), (2, "tcp.flags"),
                                                     (2, "tcp.analysis.ack_rtt"), (3, "dns.qry.name")]
    assert s.first[1].describe() == 'frame 2 tcp.flags: analyzer "0x0012", tshark "0x0010"'
    assert s.first[2].describe() == 'frame 2 tcp.analysis.ack_rtt: analyzer "0.1", tshark (absent)'
    assert s.first[3].describe() == 'frame 3 dns.qry.name: analyzer (absent), tshark "example.com"'
    assert [name for name, _ in s.fields_with_differences()] == [
        "dns.qry.name", "tcp.analysis.ack_rtt", "tcp.flags", "tcp.port"]
    # fields outside the list are not looked at
    assert compare(stream(OURS), stream(theirs), ["ip.src", "udp.port"]).ok


def test_frames_on_one_side_only_and_the_limit():
    theirs = dict(OURS)
    del theirs[2]
    theirs[9] = {"ip.src": ["10.9.9.9"]}
    s = compare(stream(OURS), stream(theirs), FIELDS, limit=1)
    assert not s.ok
    assert (s.frames_ours, s.frames_tshark, s.frames_compared) == (3, 3, 2)
    assert (s.frames_only_ours, s.frames_only_tshark) == (1, 1)
    assert s.different == 0
    assert len(s.first) == 1 and s.first[0].describe() == "frame 2: only the analyzer has this frame"


def test_comparer_fed_frame_by_frame():
    c = Comparer(["a"])
    c.add(1, {"a": ["1"]}, {"a": ["1"]})
    c.add(2, None, None)
    c.add(3, {"a": ["2"]}, {"a": ["3"]})
    s = c.summary()
    assert isinstance(s, Summary) and (s.frames_compared, s.equal, s.differ) == (2, 1, 1)


def test_merge_frames():
    merged = list(merge_frames([(1, "a"), (3, "c"), (4, "d")], [(2, "B"), (3, "C"), (5, "E")]))
    assert merged == [(1, "a", None), (2, None, "B"), (3, "c", "C"), (4, "d", None), (5, None, "E")]


# -- against tshark -----------------------------------------------------------------------------------------
@needs_tshark
@needs_corpus
def test_an_injected_difference_in_real_tshark_output_is_reported():
    from analyzer.capture import open_capture

    names = ["ip.src", "tcp.seq", "dns.qry.name", "http.request.method"]
    with open_capture(CLASSIC) as reader:
        ours = list(verify.analyzer_frames(reader, names))
    kept, theirs_iter = verify.open_tshark(TSHARK, str(CLASSIC), names)
    theirs = list(theirs_iter)
    assert compare(ours, theirs, kept).ok
    theirs[3][1]["http.request.method"] = ["POST"]          # frame 4: GET in the capture
    theirs[12][1]["dns.qry.name"] = ["example.org"]
    s = compare(ours, theirs, kept)
    assert (s.different, s.differ) == (2, 2)
    assert [d.describe() for d in s.first] == [
        'frame 4 http.request.method: analyzer "GET", tshark "POST"',
        'frame 13 dns.qry.name: analyzer "pagead2.googlesyndication.com", tshark "example.org"',
    ]


@needs_tshark
@needs_corpus
@pytest.mark.parametrize("name", ["http_fetch_dns_handshake_teardown_classic.pcap", "arp_request_reply.pcap",
                                  "dns_udp_over_ipv6_wireshark_v6.pcap"])
def test_whole_vocabulary_counts_add_up(name: str):
    summary, rejected = verify.run(str(CORPUS / name))
    assert rejected == []
    assert len(summary.fields) == len(verify.vocabulary()) > 300
    assert summary.frames_ours == summary.frames_tshark == summary.frames_compared > 0
    assert summary.compared == summary.equal + summary.missing + summary.extra + summary.differ
    per_field = summary.per_field.values()
    assert sum(t.compared for t in per_field) == summary.compared
    assert sum(t.different for t in per_field) == summary.different
    differing = dict(summary.fields_with_differences())
    # classic pcap has no interfaces: neither side gives frame.interface_id
    assert "frame.interface_id" not in summary.per_field      # compared on no frame
    # checksum statuses are compared with a tshark run that verifies checksums, as the analyzer does
    assert not [n for n in differing if n.endswith(".checksum.status")]
    assert any(summary.per_field[n].compared for n in ("ip.checksum.status", "ipv6.src") if n in summary.per_field)


CAPTURES = Path(__file__).resolve().parents[1] / "captures"


@needs_tshark
@pytest.mark.parametrize("name", ["lab_page_fetch.pcapng", "lab_dns_mix.pcapng", "lab_ipv6_page_fetch.pcapng",
                                  "http_page_fetch_loopback.pcapng", "lab_refused_connection_rst.pcapng"])
def test_whole_vocabulary_equal_on_our_pcapng_captures(name: str):
    # every field of every frame, HTTP and checksum statuses (bad ones: offloaded on the sending host) included
    summary, rejected = verify.run(str(CAPTURES / name))
    assert rejected == []
    assert summary.ok, [d.describe() for d in summary.first]
    assert summary.per_field["tcp.checksum.status"].compared > 0


# -- the command --------------------------------------------------------------------------------------------
def invoke(*args: str):
    return CliRunner().invoke(main, ["verify", *args])


@needs_tshark
@needs_corpus
def test_command_exit_0_when_equal():
    result = invoke(str(CLASSIC), "--fields", "ip.src,ip.dst,tcp.seq,tcp.flags", "--fields", "dns.qry.name")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("analyzer against tshark " + verify.tshark_version(TSHARK) + ", 5 fields")
    assert lines[1] == "frames:      analyzer 43, tshark 43"
    assert lines[2] == "fields:      170 compared, 170 equal, 0 different"
    assert lines[-1] == "result:      EQUAL: every compared field matches tshark"


@needs_tshark
@needs_corpus
def test_command_exit_1_with_the_differences(monkeypatch):
    # the analyzer matches tshark on this file: change one value on our side (frame 37's duplicate ACK,
    # which tshark lists twice) to see the command report it
    real = verify.analyzer_frames

    def one_off(*args, **kwargs):
        for number, fields in real(*args, **kwargs):
            if number == 37:
                fields["tcp.analysis.duplicate_ack"] = ["1"]
            yield number, fields

    monkeypatch.setattr(verify, "analyzer_frames", one_off)
    result = invoke(str(CLASSIC), "--limit", "3")
    assert result.exit_code == 1
    out = result.stdout
    assert "frames:      analyzer 43, tshark 43" in out
    assert "by field:" in out and "tcp.analysis.duplicate_ack" in out
    assert "first 1 difference:" in out
    assert out.rstrip().endswith("DIFFERENT: the analyzer does not match tshark")


def test_command_exit_2_on_a_file_that_is_not_a_capture(tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a capture\n")
    for path in (bogus, tmp_path / "missing.pcap"):
        result = invoke(str(path), "--fields", "ip.src")
        if TSHARK is None:
            assert result.exit_code == 2
            continue
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("analyzer: error: ")
        assert str(path) in result.stderr


def test_command_exit_2_on_an_unknown_field():
    result = invoke(str(CLASSIC), "--fields", "ip.src,foo.bar")
    assert result.exit_code == 2
    assert result.stderr == 'analyzer: error: --fields: "foo.bar" is neither a field nor a protocol name.\n'


def test_command_exit_2_without_tshark(monkeypatch):
    def missing():
        raise verify.TsharkMissing("tshark is not installed")

    monkeypatch.setattr(verify, "find_tshark", missing)
    result = invoke(str(CLASSIC))
    assert result.exit_code == 2
    assert "needs tshark" in result.stderr and "not installed" in result.stderr


@needs_corpus
def test_command_without_tshark_on_the_path():
    """A real run with a PATH where no tshark is (pyshark looks on the PATH)."""
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    if any((Path(p) / "tshark").exists() for p in env["PATH"].split(os.pathsep)):
        pytest.skip("tshark sits beside python")
    proc = subprocess.run([sys.executable, "-m", "analyzer", "verify", str(CLASSIC)], capture_output=True,
                          text=True, env=env, cwd=ROOT, check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("analyzer: error: analyzer verify needs tshark")
