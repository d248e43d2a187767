"""QUIC fetches in the HAR and the HTML report (issue 10: "The HTML report and HAR show failed connections";
"every connection attempt ... appears"): a QUIC connection is an entry as a keyless HTTPS exchange is (URL from
the SNI, method "" and status 0, what the clear headers tell in ``_``-fields), an unanswered one has
``_error`` as a failed TCP connection has; the report draws it in the waterfall and lists it as failed.

Expected values come from tshark on the same bytes (times, frames, sizes, names); the crafted captures are
the timeline tests' (tests/test_timeline_quic.py)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_timeline_quic import _craft
from tshark_query import fields

from analyzer.cli.main import main
from analyzer.report.har import iso8601

RECORDED = Path(__file__).resolve().parent / "fixtures" / "quic" / "http3_get.pcap"
SPLIT = Path(__file__).resolve().parent / "fixtures" / "quic" / "http3_split_hello.pcap"


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def har_entries(path: Path) -> list[dict]:
    return json.loads(run("har", str(path)))["log"]["entries"]


def ns(epoch: str) -> int:
    return int(Decimal(epoch) * 1_000_000_000)


@pytest.mark.parametrize("path", [RECORDED, SPLIT], ids=["http3_get", "split_hello"])
def test_a_recorded_quic_fetch_is_a_har_entry(path: Path):
    rows = [(int(f), ns(t), int(sp), h.split(","), int(n) - 8) for f, t, sp, h, n in fields(
        path, "quic", "frame.number", "frame.time_epoch", "udp.srcport", "quic.header_form", "udp.length")]
    client = [r for r in rows if r[2] != 443]
    server = [r for r in rows if r[2] == 443]
    ((sni, alpn, address),) = fields(path, "tls.handshake.type == 1", "tls.handshake.extensions_server_name",
                                     "tls.handshake.extensions_alpn_str", "ip.dst")
    first = client[0]
    done = next(r for r in client if "0" in r[3])           # the client's first short header: handshake done
    (entry,) = har_entries(path)
    assert entry["request"]["url"] == f"https://{sni}/"
    assert entry["request"]["method"] == "" and entry["response"]["status"] == 0
    assert entry["startedDateTime"] == iso8601(first[1])
    assert entry["serverIPAddress"] == address
    connect = round((done[1] - first[1]) / 1e6, 3)
    receive = round((rows[-1][1] - done[1]) / 1e6, 3)
    assert entry["timings"]["connect"] == connect and entry["timings"]["ssl"] == connect
    assert entry["timings"]["receive"] == receive
    assert entry["time"] == round(connect + receive, 3)
    assert entry["_quic"] is True and entry["_quicVersion"] == "1" and entry["_alpn"] == alpn.replace(",", ", ")
    assert entry["response"]["_transferSize"] == entry["_responseBytes"] == sum(r[4] for r in server)
    assert entry["_requestBytes"] == sum(r[4] for r in client)
    assert (entry["_requestDatagrams"], entry["_responseDatagrams"]) == (len(client), len(server))
    assert entry["_initialFrames"] == [int(f) for (f,) in fields(path, "tls.handshake.type == 1 || "
                                                                 "(quic.crypto.offset == 0 && udp.dstport == 443)",
                                                                 "frame.number")]
    assert "_error" not in entry


def test_an_unanswered_quic_connection_is_a_failed_entry(tmp_path: Path):
    path = tmp_path / "unanswered.pcap"
    _craft(path, answer=False)
    initials = [(int(f), ns(t)) for f, t in fields(path, "quic.long.packet_type == 0 && udp.dstport == 443",
                                                    "frame.number", "frame.time_epoch")]
    ((name, asked, answered),) = fields(path, "dns.flags.response == 1", "dns.qry.name", "dns.time",
                                        "frame.time_epoch")
    (entry,) = har_entries(path)
    assert entry["_error"] == entry["response"]["_error"] == "net::ERR_CONNECTION_TIMED_OUT"
    assert entry["response"]["status"] == 0 and entry["request"]["url"] == f"https://{name}/"
    assert entry["_initialFrames"] == [f for f, _t in initials]
    assert entry["timings"]["connect"] == round((initials[-1][1] - initials[0][1]) / 1e6, 3)
    # the fetch's own lookup first: the query, its answer (tshark's dns.time), then the wait for the Initial
    assert entry["timings"]["dns"] == round(float(asked) * 1000, 3)
    assert entry["timings"]["blocked"] == round((initials[0][1] - ns(answered)) / 1e6, 3)
    assert entry["startedDateTime"] == iso8601(ns(answered) - int(Decimal(asked) * 1_000_000_000))
    assert entry["time"] == round(sum(v for k, v in entry["timings"].items() if k != "ssl" and v > 0), 3)
    assert entry["timings"]["ssl"] == -1 and "3 Initial packets" in entry["comment"]


def test_quic_raced_beside_tcp_is_an_entry_of_that_fetch(tmp_path: Path):
    path = tmp_path / "race.pcap"
    _craft(path, tcp=True)
    ((initial,),) = fields(path, "quic.long.packet_type == 0 && udp.dstport == 443", "frame.number")
    (entry,) = har_entries(path)            # the TCP connection raced beside carried no request: no entry
    assert entry["_quic"] is True and entry["_initialFrames"] == [int(initial)]


def test_the_report_draws_quic_in_the_waterfall_and_lists_an_unanswered_one(tmp_path: Path):
    page = run("report", str(RECORDED))
    (entry,) = har_entries(RECORDED)
    ((sni,),) = fields(RECORDED, "tls.handshake.type == 1", "tls.handshake.extensions_server_name")
    row = re.search(r'<g class="request encrypted quic">(.*?)</g>', page, re.DOTALL).group(1)
    assert f"QUIC {sni}" in row
    times = [float(x) for x in re.findall(r"<title>[^<:]+: ([0-9.]+) ms</title>", row)]
    assert times == [entry["timings"]["connect"], entry["timings"]["receive"]]
    assert 'class="failed-connection' not in page
    path = tmp_path / "unanswered.pcap"
    _craft(path, answer=False)
    frames = [f for (f,) in fields(path, "quic.long.packet_type == 0 && udp.dstport == 443", "frame.number")]
    page = run("report", str(path))
    (item,) = re.findall(r'<li class="failed-connection quic"[^>]*>(.*?)</li>', page)
    assert item.endswith(f"unanswered (frame {', '.join(frames)})") and "93.184.216.34:443" in item
    assert '<p class="failed-summary">1 connection attempt in this capture failed' in page
    zh = run("report", "--lang", "zh", str(path))
    assert "无应答" in re.search(r'<li class="failed-connection quic"[^>]*>(.*?)</li>', zh).group(1)
