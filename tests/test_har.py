"""``analyzer har``: HAR 1.2 checked field by field against the spec (what browser devtools' import needs),
and its values against the captures (tshark, or the crafted stories)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from fixtures.timeline import craft

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "captures"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def run(*args):
    return subprocess.run([sys.executable, "-m", "analyzer", *map(str, args)], capture_output=True, cwd=ROOT,
                          timeout=120, check=False)


def make_har(capture: Path, tmp_path: Path) -> dict:
    if not capture.exists():
        pytest.skip(f"{capture} is not there")
    out = tmp_path / "out.har"
    r = run("har", capture, "-o", out)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    validate(doc)
    return doc


def tshark_field(path: Path, display_filter: str, field: str) -> list[str]:
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run([TSHARK, "-r", str(path), "-Y", display_filter, "-T", "fields", "-e", field],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    return out.split()


# -- the HAR 1.2 spec, strictly ------------------------------------------------------------------------
def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _pairs(items, extra=()) -> None:
    assert isinstance(items, list)
    for item in items:
        assert isinstance(item["name"], str) and isinstance(item["value"], str)
        assert set(item) <= {"name", "value", "comment", *extra}


def _date(v) -> None:
    assert isinstance(v, str) and ISO.match(v), v
    datetime.fromisoformat(v)


def validate(doc: dict) -> None:
    assert list(doc) == ["log"]
    log = doc["log"]
    assert log["version"] == "1.2"
    assert isinstance(log["creator"]["name"], str) and isinstance(log["creator"]["version"], str)
    assert isinstance(log["pages"], list) and isinstance(log["entries"], list)
    ids = set()
    for page in log["pages"]:
        _date(page["startedDateTime"])
        assert isinstance(page["id"], str) and page["id"] not in ids
        ids.add(page["id"])
        assert isinstance(page["title"], str)
        t = page["pageTimings"]
        assert _num(t.get("onContentLoad", -1)) and _num(t.get("onLoad", -1))
    starts = []
    for e in log["entries"]:
        assert e.get("pageref", next(iter(ids), None)) in ids
        _date(e["startedDateTime"])
        starts.append(datetime.fromisoformat(e["startedDateTime"]))
        t = e["timings"]
        for k in ("send", "wait", "receive"):
            assert _num(t[k]) and t[k] >= 0, (k, t[k])
        for k in ("blocked", "dns", "connect", "ssl"):
            assert _num(t.get(k, -1)) and (t.get(k, -1) == -1 or t.get(k, -1) >= 0), (k, t)
        assert _num(e["time"])
        assert e["time"] == pytest.approx(sum(t[k] for k in ("blocked", "dns", "connect", "send", "wait", "receive")
                                              if t.get(k, -1) > 0), abs=0.002)
        assert e["cache"] == {} or isinstance(e["cache"], dict)
        assert isinstance(e.get("serverIPAddress", ""), str) and isinstance(e.get("connection", ""), str)
        q = e["request"]
        assert isinstance(q["method"], str) and re.match(r"^[a-z]+://", q["url"])
        assert isinstance(q["httpVersion"], str)
        _pairs(q["cookies"], ("path", "domain", "expires", "httpOnly", "secure"))
        _pairs(q["headers"])
        _pairs(q["queryString"])
        assert isinstance(q["headersSize"], int) and isinstance(q["bodySize"], int)
        if "postData" in q:
            assert isinstance(q["postData"]["mimeType"], str) and isinstance(q["postData"]["text"], str)
        s = e["response"]
        assert isinstance(s["status"], int) and isinstance(s["statusText"], str)
        assert isinstance(s["httpVersion"], str)
        _pairs(s["cookies"], ("path", "domain", "expires", "httpOnly", "secure"))
        _pairs(s["headers"])
        c = s["content"]
        assert isinstance(c["size"], int) and isinstance(c["mimeType"], str)
        assert isinstance(c.get("text", ""), str) and c.get("encoding", "base64") == "base64"
        assert isinstance(c.get("compression", 0), int)
        assert isinstance(s["redirectURL"], str)
        assert isinstance(s["headersSize"], int) and isinstance(s["bodySize"], int)
    assert starts == sorted(starts)


# -- values ---------------------------------------------------------------------------------------------
def test_loopback_page(tmp_path):
    path = CAPTURES / "http_page_fetch_loopback.pcapng"
    doc = make_har(path, tmp_path)
    log = doc["log"]
    assert len(log["pages"]) == 1 and log["pages"][0]["title"] == "http://www.example.test:8080/"
    entries = log["entries"]
    uris = tshark_field(path, "http.request", "http.request.uri")
    assert [e["request"]["url"] for e in entries] == ["http://www.example.test:8080" + u for u in uris]
    assert [e["response"]["status"] for e in entries] == [int(x) for x in tshark_field(path, "http.response",
                                                                                       "http.response.code")]
    assert {e["serverIPAddress"] for e in entries} == {"127.0.0.1"} and {e["connection"] for e in entries} == {"0"}
    first, *rest = entries
    assert first["timings"]["dns"] > 0 and first["timings"]["connect"] > 0
    assert all(e["timings"]["connect"] == -1 and e["timings"]["dns"] == -1 for e in rest)   # reused connection
    lengths = [int(x) for x in tshark_field(path, "http.response", "http.content_length_header")]
    assert [e["response"]["bodySize"] for e in entries] == lengths
    png = entries[3]["response"]["content"]
    assert png["mimeType"] == "image/png" and png["encoding"] == "base64"
    data = base64.b64decode(png["text"])
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) == lengths[3] == png["size"]
    html = entries[0]["response"]["content"]
    assert "encoding" not in html and "<html" in html["text"].lower()
    assert {"name": "Referer", "value": "http://www.example.test:8080/"} in entries[1]["request"]["headers"]


def test_two_pages_bodies_and_timings(tmp_path, crafted):
    path, _f = crafted["two_pages"]
    doc = make_har(path, tmp_path)
    log = doc["log"]
    assert [p["id"] for p in log["pages"]] == ["page_1", "page_2"]
    assert [e["pageref"] for e in log["entries"]] == ["page_1", "page_1", "page_2", "page_2"]
    html, css, _html_b, png = log["entries"]
    assert html["response"]["content"]["text"] == craft.HTML_A.decode()
    assert base64.b64decode(png["response"]["content"]["text"]) == craft.PNG
    assert (html["timings"]["dns"], html["timings"]["connect"], html["timings"]["wait"]) == (2.0, 20.0, 30.0)
    assert css["timings"]["connect"] == -1 and css["timings"]["wait"] == 5.0
    assert html["startedDateTime"] == "2023-11-14T22:13:20.002+00:00"   # the DNS query, 2.3 ms after T0
    assert html["request"]["headersSize"] == len(craft.request("/", "www.a.test"))
    assert html["response"]["bodySize"] == len(craft.HTML_A)


def test_gzip_response_compression(tmp_path):
    """http.cap frame 27: the ad is gzip-encoded (Content-Length 1272)."""
    doc = make_har(CORPUS / "http_fetch_dns_handshake_teardown_classic.pcap", tmp_path)
    ad = doc["log"]["entries"][1]
    assert ad["response"]["bodySize"] == 1272
    c = ad["response"]["content"]
    assert c["compression"] == c["size"] - 1272 > 0
    assert len(c["text"].encode("latin-1")) == c["size"]
    assert ad["request"]["queryString"][0] == {"name": "client", "value": "ca-pub-2309191948673629"}


def test_hostile_strings_stay_data(tmp_path, crafted):
    path, _f = crafted["hostile"]
    doc = make_har(path, tmp_path)
    e = doc["log"]["entries"][0]
    assert e["request"]["url"] == "http://" + craft.HOSTILE_HOST + craft.HOSTILE_URI
    assert "\x1b" not in (tmp_path / "out.har").read_text()    # escaped in the JSON text


def test_har_to_stdout(crafted):
    path, _f = crafted["cached_dns"]
    r = run("har", path, "-o", "-")
    assert r.returncode == 0
    validate(json.loads(r.stdout))


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> dict:
    return craft.build(tmp_path_factory.mktemp("har"))


def test_failed_connections_are_entries_with_error(tmp_path, crafted):
    """A refused port and a silent host are entries with status 0 and _error, as devtools writes them: the
    connect phase runs from the first SYN to the RST (refused) or to the last SYN sent (no answer)."""
    for name, error in (("refused", "net::ERR_CONNECTION_REFUSED"), ("silent_host", "net::ERR_CONNECTION_TIMED_OUT")):
        path, _f = crafted[name]
        doc = make_har(path, tmp_path)
        (e,) = doc["log"]["entries"]
        assert e["response"]["status"] == 0 and e["_error"] == error == e["response"]["_error"]
        assert e["request"]["url"] == ("http://www.a.test:81/" if name == "refused" else "http://www.a.test/")
        assert e["timings"]["dns"] == 2.0                        # the crafted lookup takes 2 ms
        if name == "refused":
            assert e["timings"]["connect"] == 20.0               # SYN -> RST, 20 ms in the story
        else:
            assert e["timings"]["connect"] == 15000.0            # SYNs at 0, 1, 3, 7 and 15 s


def test_fuzz_repro_inputs(tmp_path):
    """../shared/fuzz-repro: a NUL inside the charset and charset=undefined (a codec that raises
    UnicodeError) leave the body as base64; a clock past year 9999 gives a valid ISO 8601 date
    (an expanded year past 9999), not a traceback."""
    repro = ROOT.parent / "shared" / "fuzz-repro"
    if not repro.exists():
        pytest.skip("../shared/fuzz-repro is not there")
    for name in ("har_charset_nul_valueerror.pcapng", "har_charset_undefined_unicodeerror.pcap"):
        doc = make_har(repro / name, tmp_path)
        content = doc["log"]["entries"][0]["response"]["content"]
        assert content["encoding"] == "base64" and base64.b64decode(content["text"])
    out = tmp_path / "future.har"
    r = run("har", repro / "far_future_timestamp_valueerror.pcapng", "-o", out)
    assert r.returncode == 0 and b"Traceback" not in r.stderr
    entries = json.loads(out.read_text())["log"]["entries"]
    # the reader keeps nanoseconds in an int64, so this clock ends at 2262-04-11; a later one
    # would be written with ISO 8601's expanded year (+NNNNN-)
    assert entries and all(re.match(r"^(\+\d{5,}|\d{4})-\d\d-\d\dT\d\d:\d\d:\d\d", e["startedDateTime"])
                           for e in entries)


def test_iso8601_years_past_9999():
    from analyzer.report.har import iso8601
    assert iso8601(0) == "1970-01-01T00:00:00.000+00:00"
    assert iso8601(1_700_000_000_123_456_789) == "2023-11-14T22:13:20.123+00:00"
    far = iso8601(1_795_680_000_000 * 1_000_000_000)  # about year 58870
    assert re.match(r"^\+\d{5}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", far)
