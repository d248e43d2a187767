"""``analyzer har`` and ``analyzer report`` write their document from the fetches as the timeline completes them
(each fetch's entries or section kept as text in a spool file, not the fetch with its bodies): the bytes must be
those of the whole document made at once from the whole timeline (``report.har.har`` + ``json.dumps``,
``report.html.html_report``), to a file and to standard output, on captures with many fetches, none, failed
connections, HTTPS with its key log, QUIC and WebSocket. (Their memory against the file's size is measured in
benchmarks/bench_scaling.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.cli.timeline import load_timeline
from analyzer.report.har import document_parts, entry_text, har
from analyzer.report.html import html_report

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
CASES = [
    (ROOT / "captures" / "lab_page_fetch.pcapng", None),
    (ROOT / "captures" / "lab_https_page_fetch.pcapng", ROOT / "captures" / "lab_https_page_fetch.keys"),
    (ROOT / "captures" / "lab_refused_connection_rst.pcapng", None),       # a failed connection: status 0
    (ROOT / "captures" / "lab_two_curl_runs.pcapng", None),                # two pages
    (ROOT / "captures" / "lab_dns_mix.pcapng", None),
    (ROOT / "tests" / "fixtures" / "quic" / "http3_keys.pcap", ROOT / "tests" / "fixtures" / "quic" / "http3_keys.keys"),
    (CORPUS / "http_fetch_wikipedia_dns_multiconn.pcap", None),            # 15 requests on 9 connections
    (CORPUS / "arp_request_reply.pcap", None),                             # no fetch with a request: no page
]


def _cli(*args: str) -> bytes:
    run = subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, timeout=300, cwd=ROOT,
                         check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout


def _keys(keys: Path | None) -> list[str]:
    return ["--keylog", str(keys)] if keys is not None else []


@pytest.mark.parametrize(("path", "keys"), CASES, ids=[p.name for p, _k in CASES])
def test_har_streamed_is_the_document_made_at_once(tmp_path: Path, path: Path, keys: Path | None):
    if not path.exists():
        pytest.skip(f"{path} not present (the corpus folder is absent)")
    whole = json.dumps(har(load_timeline(str(path), keylog_path=str(keys) if keys else None, keep_bodies=True,
                                         ladder=False), source=str(path)), indent=2, ensure_ascii=True) + "\n"
    out = tmp_path / "x.har"
    _cli("har", str(path), "-o", str(out), *_keys(keys))
    assert out.read_text(encoding="utf-8") == whole
    assert _cli("har", str(path), *_keys(keys)).decode() == whole


@pytest.mark.parametrize(("path", "keys"), CASES, ids=[p.name for p, _k in CASES])
def test_report_streamed_is_the_page_made_at_once(tmp_path: Path, path: Path, keys: Path | None):
    if not path.exists():
        pytest.skip(f"{path} not present (the corpus folder is absent)")
    for lang in ("en", "zh"):
        whole = html_report(load_timeline(str(path), lang, keylog_path=str(keys) if keys else None,
                                          keep_bodies=True), source=str(path))
        out = tmp_path / "x.html"
        _cli("report", str(path), "-o", str(out), "--lang", lang, *_keys(keys))
        assert out.read_text(encoding="utf-8") == whole
        assert _cli("report", str(path), "--lang", lang, *_keys(keys)).decode() == whole + "\n"


def test_document_parts_orders_and_indents_entries_as_json_does():
    """The pieces around the entries, for no entry, one and several (strings with quotes, newlines and
    non-ASCII text: escaped inside the entry's text, so its lines are the document's)."""
    pages = [{"id": "page_1", "title": 'a "quoted" \n title, "entries": []'}]
    entries = [{"n": i, "text": f"line\n{i} \u00b5s \"q\"", "nested": {"list": [1, {"k": []}], "empty": {}}}
               for i in range(3)]
    for k in range(4):
        want = json.dumps({"log": {"version": "1.2", "creator": {"name": "analyzer", "version": __import__(
            "analyzer").__version__}, "pages": pages, "entries": entries[:k], "comment": "from capture x.pcap"}},
            indent=2, ensure_ascii=True)
        got = "".join(document_parts(pages, (entry_text(e) for e in entries[:k]), "x.pcap"))
        assert got == want
