"""``analyzer http`` and ``analyzer dns``: the table, the JSON lines, errors, terminal safety."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from fixtures.http_dns import craft
from fixtures.http_dns.harness import corpus_files

import analyzer
from analyzer.cli.main import main
from analyzer.report.dns import JSON_KEYS as DNS_KEYS
from analyzer.report.http import JSON_KEYS as HTTP_KEYS

ZEEK_HTTP = ("ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "trans_depth", "method", "host",
             "uri", "referrer", "version", "user_agent", "request_body_len", "response_body_len",
             "status_code", "status_msg", "info_code", "info_msg", "resp_mime_types", "orig_mime_types")
ZEEK_DNS = ("ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "trans_id", "rtt",
            "query", "qclass", "qclass_name", "qtype", "qtype_name", "rcode", "rcode_name", "AA", "TC", "RD",
            "RA", "Z", "answers", "ttls", "rejected")     # Zeek's TTLs: one key, "ttls" (analyzer logs: TTLs)


@pytest.fixture(scope="module")
def captures(tmp_path_factory):
    return craft.build(tmp_path_factory.mktemp("cli"))


def _invoke(*args):
    result = CliRunner().invoke(main, list(args))
    return result


def _json(*args):
    result = _invoke(*args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_http_json_keys_and_values(captures):
    items = _json("http", str(captures["http_keepalive"]), "--json")
    assert len(items) == 2
    first = items[0]
    assert list(first)[:len(HTTP_KEYS)] == list(HTTP_KEYS)
    for key in ZEEK_HTTP:
        assert key in first
    assert first["request_frame"] == 4 and first["response_frame"] == 7 and first["stream"] == 0
    assert (first["method"], first["host"], first["uri"], first["version"]) == (
        "GET", "www.example.com", "/index.html", "1.1")
    assert (first["status_code"], first["status_msg"]) == (200, "OK")
    assert first["content_type"] == "text/html; charset=utf-8"
    assert first["response_body_len"] == len(craft.PAGE) and first["request_body_len"] == 0
    assert first["time"] == pytest.approx(0.0202)
    assert first["ttfb"] == pytest.approx(0.020)
    assert first["total_time"] == pytest.approx(0.0202)
    assert first["trans_depth"] == 1 and items[1]["trans_depth"] == 2
    (conn,) = analyzer.open(str(captures["http_keepalive"])).connections
    assert first["uid"] == items[1]["uid"] == conn.uid and len(conn.uid) == 18 and conn.uid.startswith("C")
    assert (first["id.orig_h"], first["id.orig_p"], first["id.resp_h"], first["id.resp_p"]) == (
        "10.0.0.1", 40000, "10.0.0.2", 80)
    assert first["referrer"] == "http://www.example.com/" and first["user_agent"] == "craft/1.0"
    assert first["resp_mime_types"] == ["text/html"]
    assert first["complete"] is True


def test_http_json_decoded_sizes_and_interim(captures):
    (chunked,) = _json("http", str(captures["http_chunked_gzip"]), "--json")
    assert chunked["response_body_len"] == len(craft.JSON_DOC * 20)
    assert chunked["response_encoded_len"] < chunked["response_body_len"]
    assert chunked["content_encoding"] == "gzip" and chunked["transfer_encoding"] == "chunked"
    assert chunked["resp_mime_types"] == ["text/json"]
    (cont,) = _json("http", str(captures["http_100_continue"]), "--json")
    assert (cont["info_code"], cont["info_msg"]) == (100, "Continue")
    assert cont["request_body_len"] == 20 and cont["status_code"] == 201


def test_http_json_incomplete_transaction(captures):
    items = _json("http", str(captures["http_cut"]), "--json")
    assert [i["complete"] for i in items] == [True, False]
    assert items[1]["reason"] == "capture ended" and items[1]["response_frame"] is None
    assert items[1]["time"] is None


def test_http_table(captures):
    result = _invoke("http", str(captures["http_keepalive"]))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    for column in ("Time", "Client", "Method", "Host", "URI", "Status", "Content type", "Size", "TTFB",
                   "Total", "Stream"):
        assert column in lines[0]
    assert len(lines) == 3
    assert "/index.html" in lines[1] and "200" in lines[1] and "  20 ms" in lines[1]


def test_http_table_marks_incomplete(captures):
    result = _invoke("http", str(captures["http_cut"]))
    assert "200*" in result.output and "capture ended" in result.output


def test_http_output_is_terminal_safe(captures):
    for args in (["http", str(captures["http_hostile"])], ["http", str(captures["http_hostile"]), "--json"]):
        result = _invoke(*args)
        assert result.exit_code == 0
        assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output
    table = _invoke("http", str(captures["http_hostile"])).output
    assert "evil\\x1b]0;pwned\\x07" in table                       # shown as visible escapes
    first = _json("http", str(captures["http_hostile"]), "--json")[0]
    assert first["host"] == craft.HOSTILE_HOST                       # the JSON value is exact


def test_dns_json_keys_and_values(captures):
    items = _json("dns", str(captures["dns_udp"]), "--json")
    first = items[0]
    assert list(first)[:len(DNS_KEYS)] == list(DNS_KEYS)
    for key in ZEEK_DNS:
        assert key in first
    assert first["query_frame"] == 1 and first["response_frame"] == 2
    assert first["trans_id"] == 0x1001 and first["query"] == "www.example.com"
    assert (first["qtype"], first["qtype_name"]) == (1, "A")
    assert (first["rcode"], first["rcode_name"]) == (0, "NOERROR")
    assert first["answers"][-2:] == ["192.0.2.10", "192.0.2.11"]
    assert first["rtt"] == pytest.approx(0.012345)
    assert first["proto"] == "udp"
    mx = next(i for i in items if i["qtype_name"] == "MX")
    assert mx["answers"] == ["mx1.example.com", "mx2.example.com"]
    nx = next(i for i in items if i["rcode_name"] == "NXDOMAIN")
    assert nx["query"] == "nope.example.com"


def test_dns_table(captures):
    result = _invoke("dns", str(captures["dns_udp"]))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "Query" in lines[0] and "RTT" in lines[0]
    assert any("web.example.net -> edge.cdn.example -> 192.0.2.10, 192.0.2.11" in line for line in lines)
    assert any("no answer" in line for line in lines)
    assert any("unsolicited" in line for line in lines)


def test_dns_over_tcp_json(captures):
    items = _json("dns", str(captures["dns_tcp"]), "--json")
    assert [i["proto"] for i in items] == ["tcp", "tcp"]


@pytest.mark.parametrize("command", ["http", "dns", "export-objects"])
def test_missing_capture_is_one_line_and_exit_2(tmp_path, command):
    args = [command, str(tmp_path / "missing.pcap")] + ([str(tmp_path / "out")] if command == "export-objects"
                                                        else [])
    proc = subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", ["http", "dns"])
def test_not_a_capture_is_exit_2(tmp_path, command):
    bogus = tmp_path / "bogus.pcap"
    bogus.write_bytes(b"this is not a capture file at all")
    proc = subprocess.run([sys.executable, "-m", "analyzer", command, str(bogus)], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


@pytest.mark.parametrize("path", corpus_files("http"), ids=lambda p: p.name)
def test_http_command_runs_on_the_corpus(path):
    result = _invoke("http", str(path), "--json")
    assert result.exit_code == 0, result.output
    for line in result.stdout.splitlines():
        json.loads(line)


@pytest.mark.parametrize("path", corpus_files("dns", "mdns", "llmnr"), ids=lambda p: p.name)
def test_dns_command_runs_on_the_corpus(path):
    result = _invoke("dns", str(path), "--json")
    assert result.exit_code == 0, result.output
    for line in result.stdout.splitlines():
        json.loads(line)
