"""Issue 13's crafted captures against tshark 4.0 (the oracle): every field of ``analyzer verify``'s vocabulary,
frame by frame, and the Info column of ``analyzer read`` (tests/fixtures/parity/craft.py tells each story)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.parity import craft

from analyzer import verify
from analyzer.cli.main import main
from analyzer.decode.decode_as import DecodeAsError, decoding_as, parse, restore, snapshot

TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed")


@contextlib.contextmanager
def tables_restored():
    """Undo what a command's ``-d`` did to the process-wide Decode As tables."""
    saved = snapshot()
    try:
        yield
    finally:
        restore(saved)


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    return craft.build(tmp_path_factory.mktemp("parity"))


# Scenarios where we part from tshark on purpose (docs/DIFFERENCES.md), from the frame given on: tshark
# shows no HTTP in a direction after a hole in it (it waits for the lost bytes), and it does not take a
# lowercase method for a request.
DIFFERS_FROM = {
    "http_gap_in_body": 9,
    "http_gap_swallows_response": 10,
    "http_gap_in_chunked_head": 9,
    "http_lowercase_method": 4,
}


@needs_tshark
@pytest.mark.parametrize("scenario", sorted(craft.SCENARIOS))
def test_every_field_matches_tshark(crafted, scenario):
    first = DIFFERS_FROM.get(scenario)
    # in the gap stories only HTTP is compared: the TCP analysis of a segment that acknowledges bytes the
    # capture lost differs on a repeated ACK (docs/DIFFERENCES.md, tcp.analysis.ack_lost_segment)
    names = None if first is None else [n for n in verify.vocabulary() if n.startswith("http.")]
    rules = craft.DECODE_AS.get(scenario, ())
    summary, _rejected = verify.run(str(crafted[scenario]), names, limit=1000, decode_as=rules)
    assert summary.frames_ours == summary.frames_tshark > 0
    if first is None:
        assert summary.ok, "\n".join(d.describe() for d in summary.first)
    else:
        assert not summary.ok
        early = [d for d in summary.first if d.frame < first]
        assert early == [], "\n".join(d.describe() for d in early)


def _info(lines: str) -> list[str]:
    """The Info column of ``tshark -r`` / ``analyzer read`` lines: what follows the length column."""
    out = []
    for line in lines.splitlines():
        rest = line.partition(" \u2192 ")[2]
        parts = rest.split(None, 3)
        out.append(parts[3] if len(parts) > 3 else "")
    return out


@needs_tshark
@pytest.mark.parametrize("scenario", sorted(set(craft.SCENARIOS) - set(DIFFERS_FROM)))
def test_info_column_matches_tshark(crafted, scenario):
    path = str(crafted[scenario])
    decode_as = [a for rule in craft.DECODE_AS.get(scenario, ()) for a in ("-d", rule)]
    theirs = subprocess.run([TSHARK, *verify.TSHARK_ARGS, *decode_as, "-r", path], capture_output=True, text=True,
                            check=False).stdout
    with tables_restored():     # the command's -d holds for the process: restore the tables after it
        result = CliRunner().invoke(main, ["read", *decode_as, path], catch_exceptions=False)
    assert result.exit_code == 0
    assert _info(result.stdout) == _info(theirs)


def test_dns_types_decoded_with_tsharks_names(crafted):
    """A few values spelled out (not only "same as tshark"): what each new record type shows."""
    from analyzer.capture import open_capture
    from analyzer.pipeline import analyze

    with open_capture(crafted["dns_types"]) as reader:
        pkts = list(analyze(reader))
    assert pkts[0]["dns.nsec3.hash_value"] == "000g40o40k30e209185go38e1s8124gj"
    assert pkts[2]["dns.naptr.regex"] == ["!^.*$!sip:info@example.com!", ""]
    assert pkts[2]["dns.naptr.replacement"] == ["<Root>", "_sip._udp.example.com"]
    assert pkts[4]["dns.caa.issue"] == "letsencrypt.org" and pkts[4]["dns.caa.unknown"] == "bar"
    assert pkts[5]["dns.data"].startswith("000a0001")          # URI: tshark 4.0 shows only its bytes
    assert pkts[6]["dns.svcb.svcparam.alpn"] == ["h2", "h3"] and pkts[6]["dns.svcb.svcparam.port"] == 8443
    assert pkts[8]["dns.tsig.algorithm_name"] == "hmac-sha256" and pkts[8]["dns.tsig.mac_size"] == 32
    assert pkts[12]["dns.count.updates"] == 3 and pkts[12]["dns.count.zones"] == 1
    assert pkts[14]["dns.qry.name"] == "a.fwd.example"                  # a forward pointer is followed
    assert pkts[15]["dns.qry.name"] == "<Name contains a pointer that loops>"
    assert pkts[16]["dns.resp.name"] == "<Name contains a pointer that loops>" and pkts[16]["dns.a"] == "1.2.3.4"


# -- HTTP after a hole: re-synchronised, pairing never shifts, incomplete said so -------------------------
def _records(path):
    from analyzer.apps.transactions import Transactions
    from analyzer.capture import open_capture
    from analyzer.pipeline import Pipeline

    tx = Transactions()
    pipe = Pipeline(transactions=tx)
    with open_capture(path) as reader:
        packets = list(pipe.run(reader))
    return sorted(tx.http.records, key=lambda r: r.transaction.index), packets


def _pairs(records):
    return [(r.transaction.request.target if r.transaction.request else None,
             r.transaction.response.status if r.transaction.response else None, r.incomplete)
            for r in records]


def test_gap_inside_a_body_keeps_pairing_and_marks_the_response_incomplete(crafted):
    records, packets = _records(crafted["http_gap_in_body"])
    assert _pairs(records) == [("/big", 200, "gap"), ("/small", 200, None)]
    big = records[0]
    assert big.response_lost_bytes == 7000 and big.transaction.response_end.body_length == 2500
    assert big.response_frame is None                   # never seen whole: no http layer claims it
    assert packets[8]["http.request_in"] == 8 and packets[8]["http.response_for.uri"] == "http://gap.example/small"


def test_gap_swallowing_a_whole_response_does_not_shift_pairing(crafted):
    records, packets = _records(crafted["http_gap_swallows_response"])
    assert _pairs(records) == [("/one", 200, None), ("/two", None, "gap"), ("/three", 404, None),
                               ("/four", 200, None)]
    assert packets[9]["http.response.code"] == 404 and packets[9]["http.request_in"] == 9
    assert packets[9]["http.response_number"] == 3      # the number of its own request, as tshark numbers


def test_gap_in_a_chunked_head_resyncs_on_the_next_status_line(crafted):
    records, packets = _records(crafted["http_gap_in_chunked_head"])
    assert _pairs(records) == [("/chunked", 200, "gap"), ("/after", 200, None)]
    assert packets[8]["http.request_in"] == 8


def test_malformed_request_lines_are_reported_and_paired_with_their_400(crafted):
    records, packets = _records(crafted["http_malformed_requests"])
    rows = [(r.transaction.request.method, r.transaction.request.target, r.transaction.request.version,
             r.transaction.response.status, r.notes) for r in sorted(records, key=lambda r: r.stream)]
    assert rows == [
        ("OPTIONS", "HTTP/1.1", "", 400, ("malformed request line: no request target",)),
        ("GET", "/", "HTTP/1.", 400, ("malformed request line: invalid HTTP version 'HTTP/1.'",)),
        ("GET", "", "", 400, ("malformed request line: no request target and no HTTP version",)),
        ("GET", "/", "", 400, ("malformed request line: no HTTP version (an HTTP/0.9 request)",)),
        ("GET", "http://bad.example/abs", "HTTP/1.1", 200, ()),
        ("OPTIONS", "*", "HTTP/1.1", 200, ()),
    ]
    first = packets[3]
    assert ("http", "warning", "malformed request line: no request target") in first.notes


def test_lowercase_method_is_decoded_with_a_note(crafted):
    records, _packets = _records(crafted["http_lowercase_method"])
    (record,) = records
    assert record.transaction.request.method == "get" and record.transaction.response.status == 400
    assert record.notes == ("method 'get' is not 'GET': methods are case-sensitive (RFC 9110 9.1)",)


# -- Decode As ---------------------------------------------------------------------------------------------
def test_decode_as_rules_spelled_as_tshark():
    assert parse("udp.port==5353,dns").ports == (5353,)
    assert parse("tcp.port==8080-8082,http").ports == (8080, 8081, 8082)
    assert parse("tcp.port==8080:2,http").ports == (8080, 8081)
    for bad in ("udp.port=5353,dns", "ip.proto==6,tcp", "udp.port==70000,dns", "udp.port==53,ftp"):
        with pytest.raises(DecodeAsError):
            parse(bad)


def test_without_decode_as_other_ports_stay_undecoded(crafted):
    from analyzer.capture import open_capture
    from analyzer.filter.apply import analyzed

    with open_capture(crafted["other_ports"]) as reader:
        plain = [p.protocols[-1] for p in analyzed(reader)]
    with decoding_as(craft.DECODE_AS["other_ports"]), open_capture(crafted["other_ports"]) as reader:
        decoded = [p.protocols[-1] for p in analyzed(reader)]
    assert plain[:2] == ["udp", "udp"] and decoded[:2] == ["dns", "dns"]
    assert decoded[5:7] == ["dns", "dns"] and plain[5:7] == ["tcp", "tcp"]        # DNS over TCP on 5300
    assert decoded[10:12] == ["ssdp", "ssdp"] and plain[10:12] == ["udp", "udp"]
    assert decoded[15] == plain[15] == "http"           # HTTP on 8099: recognised by its first bytes anyway


def test_read_with_a_bad_rule_is_a_usage_error(crafted):
    with tables_restored():
        result = CliRunner().invoke(main, ["read", "-d", "udp.port==53,ftp", str(crafted["ssdp"])])
    assert result.exit_code == 2
    assert "udp.port can be decoded as" in result.stderr


# -- times under -Y, and the file's precision -----------------------------------------------------------------
CAPTURES = Path(__file__).resolve().parents[1] / "captures"


@needs_tshark
def test_tree_times_under_a_display_filter_match_tshark():
    path = str(CAPTURES / "lab_page_fetch.pcapng")
    ours = CliRunner().invoke(main, ["read", "-V", "-Y", "frame.number==5", path]).stdout
    theirs = subprocess.run([TSHARK, "-n", "-V", "-Y", "frame.number==5", "-r", path], capture_output=True,
                            text=True, check=False).stdout

    def times(text):
        return [line.strip() for line in text.splitlines()
                if line.strip().startswith(("[Time delta from previous", "[Time since reference"))]

    assert times(ours) == times(theirs)
    assert "[Time since reference or first frame: 0.005262802 seconds]" in times(ours)


@needs_tshark
def test_time_column_has_the_files_precision(crafted):
    path = str(CAPTURES / "lab_page_fetch.pcapng")          # if_tsresol 9
    ours = CliRunner().invoke(main, ["read", "-c", "3", path]).stdout.splitlines()
    theirs = subprocess.run([TSHARK, "-n", "-c", "3", "-r", path], capture_output=True, text=True,
                            check=False).stdout.splitlines()
    assert [line.split()[1] for line in ours] == [line.split()[1] for line in theirs]
    assert ours[1].split()[1] == "0.000039108"
    micro = CliRunner().invoke(main, ["read", "-c", "2", str(crafted["ssdp"])]).stdout.splitlines()
    assert micro[1].split()[1] == "0.050000"              # a microsecond pcap keeps 6 decimals
