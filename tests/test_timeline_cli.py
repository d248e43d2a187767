"""``analyzer timeline``: text and --json output, --lang, --host/--url/--client, errors, hostile captures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.timeline import craft

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return subprocess.run([sys.executable, "-m", "analyzer", *map(str, args)], capture_output=True, cwd=ROOT,
                          timeout=120, check=False)


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> dict:
    return craft.build(tmp_path_factory.mktemp("timeline_cli"))


def test_json_is_one_object_with_the_promised_fields(crafted):
    path, f = crafted["two_pages"]
    r = run("timeline", path, "--json")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert out.count("\n") == 1
    doc = json.loads(out)
    assert list(doc) == ["fetches"] and len(doc["fetches"]) == 2
    first = doc["fetches"][0]
    for key in ("url", "client", "server", "steps", "requests", "summary"):
        assert key in first
    for s in first["steps"]:
        assert set(s) >= {"frame", "time", "layer", "step", "text"}
        assert isinstance(s["frame"], int) or all(isinstance(x, int) for x in s["frame"])
        assert s["layer"] in ("arp", "dns", "tcp", "http")
    req = first["requests"][0]
    assert (req["method"], req["uri"], req["status"], req["request_frame"], req["response_frame"]) == (
        "GET", "/", 200, f["a_get_html"], f["a_html"][-1])
    assert first["steps"][0] == {**first["steps"][0], "frame": f["arp_req"], "layer": "arp", "step": "arp.request"}
    assert first["summary"]["dns_ms"] == pytest.approx(2.0)


def test_text_output_has_steps_summary_waterfall_ladder(crafted):
    path, f = crafted["two_pages"]
    r = run("timeline", path)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    for heading in ("Steps", "Summary", "Waterfall", "Ladder diagram"):
        assert out.count(heading) == 2
    assert "Step 3/3: the client acknowledges" in out
    assert f"#{f['a_syn']} " in out
    ladder = [line for line in out.splitlines() if line.strip().startswith(tuple("0123456789"))
              and ("-->  " in line or "  <--" in line)]
    syn = next(line for line in ladder if "SYN seq=0" in line and "ACK" not in line)
    assert syn.split()[1] == str(f["a_syn"]) and ">  93.184.216.34:80" in syn     # client -> server
    synack = next(line for line in ladder if "SYN, ACK seq=0 ack=1" in line)
    assert "<-- SYN, ACK" in synack and synack.rstrip().endswith("93.184.216.34:80")  # server -> client
    assert "GET /a.css" in out


def test_lang_zh(crafted):
    path, _f = crafted["two_pages"]
    r = run("timeline", path, "--lang", "zh")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "三次握手" in out and "瀑布图" in out and "摘要" in out
    doc = json.loads(run("timeline", path, "--json", "--lang", "zh").stdout)
    assert any("三次握手" in s["text"] for s in doc["fetches"][0]["steps"])


@pytest.mark.parametrize(("option", "value", "urls"), [
    ("--host", "www.b.test", ["http://www.b.test/index.html"]),
    ("--host", "WWW.A.TEST", ["http://www.a.test/"]),
    ("--url", "index.html", ["http://www.b.test/index.html"]),
    ("--client", craft.CLIENT, ["http://www.a.test/", "http://www.b.test/index.html"]),
    ("--client", "10.9.9.9", []),
])
def test_selection(crafted, option, value, urls):
    path, _f = crafted["two_pages"]
    r = run("timeline", path, "--json", option, value)
    assert r.returncode == 0, r.stderr
    assert [x["url"] for x in json.loads(r.stdout)["fetches"]] == urls


def test_missing_file_is_one_line_exit_2(tmp_path):
    r = run("timeline", tmp_path / "nope.pcap")
    assert r.returncode == 2
    assert r.stderr.decode().count("\n") == 1 and b"Traceback" not in r.stderr
    junk = tmp_path / "junk.pcap"
    junk.write_bytes(b"this is not a capture at all")
    for cmd in (("timeline", junk), ("har", junk, "-o", tmp_path / "x.har"), ("report", junk, "-o", tmp_path / "x.html")):
        r = run(*cmd)
        assert r.returncode == 2, cmd
        assert r.stderr.decode().count("\n") == 1 and b"Traceback" not in r.stderr


def test_no_fetch_in_capture(tmp_path, crafted):
    story = craft.Story()
    story.arp(craft.GATEWAY, craft.CLIENT, craft.GATEWAY_MAC)
    path = tmp_path / "arp_only.pcap"
    story.write(path)
    r = run("timeline", path)
    assert r.returncode == 0 and b"No HTTP page fetch" in r.stdout
    assert json.loads(run("timeline", path, "--json").stdout) == {"fetches": []}


def test_hostile_capture_is_made_visible_on_the_terminal(crafted):
    path, _f = crafted["hostile"]
    r = run("timeline", path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert b"\x1b" not in out and b"\x07" not in out and b"\x9b" not in out
    assert b"evil.test\\x1b]0;pwned\\x07\\x1b[2J" in out
    assert b"text/html\\x1b[31m" in out
    j = run("timeline", path, "--json")
    assert b"\x1b" not in j.stdout and b"\x07" not in j.stdout
    doc = json.loads(j.stdout)
    assert doc["fetches"][0]["requests"][0]["uri"] == craft.HOSTILE_URI
    assert craft.HOSTILE_HOST in doc["fetches"][0]["url"]
