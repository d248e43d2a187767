"""``analyzer report``: one self-contained HTML page, opened in headless Chromium to check what renders,
and hostile captures escaped (a URI holding <script> shows as text)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from fixtures.timeline import craft

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "captures"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                                             "(Debian: apt-get install -y chromium)")


def run(*args):
    return subprocess.run([sys.executable, "-m", "analyzer", *map(str, args)], capture_output=True, cwd=ROOT,
                          timeout=120, check=False)


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> dict:
    return craft.build(tmp_path_factory.mktemp("html"))


def report(capture: Path, out: Path, *extra) -> str:
    r = run("report", capture, "-o", out, *extra)
    assert r.returncode == 0, r.stderr
    return out.read_text(encoding="utf-8")


def dump_dom(page: Path) -> str:
    """The DOM Chromium built from the page (no network: the page must not need any)."""
    with tempfile.TemporaryDirectory() as profile:
        r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                            "--no-first-run", "--disable-background-networking", "--disable-component-update",
                            "--disable-sync", f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                           capture_output=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout.decode("utf-8")


def test_self_contained(crafted, tmp_path):
    path, _f = crafted["two_pages"]
    page = report(path, tmp_path / "r.html")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)     # nothing fetched from a network
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert page.count('<section class="fetch kind-page"') == 2


@needs_chromium
def test_chromium_renders_waterfall_ladder_and_steps(crafted, tmp_path):
    path, f = crafted["two_pages"]
    out = tmp_path / "two_pages.html"
    report(path, out)
    dom = dump_dom(out)
    assert dom.count('<section class="fetch kind-page"') == 2
    assert dom.count('<svg class="waterfall"') == 2 and dom.count('<svg class="ladder"') == 2
    # page A: the HTML (dns, connect, wait, receive) and the CSS on the open connection (wait, receive)
    first = dom.split('<section class="fetch kind-page" id="fetch-2"')[0]
    phases = re.findall(r'<rect class="phase (\w+)"', first)
    assert phases == ["dns", "connect", "send", "wait", "receive", "send", "wait", "receive"]
    # one arrow per message: 2 ARP + 2 DNS + every TCP segment of connection 0 (frames 5 to 18)
    assert len(re.findall(r'<g class="message"', first)) == 4 + (f["a_close"][3] - f["a_syn"] + 1)
    steps = re.findall(r'<tr class="step layer-(\w+)[^"]*" data-step="([\w.]+)"', first)
    assert steps[:5] == [("arp", "arp.request.gateway"), ("arp", "arp.reply"), ("dns", "dns.query"),
                         ("dns", "dns.answer"), ("tcp", "tcp.handshake.1")]
    assert "Step 3/3: the client acknowledges the server's SYN (ack = server ISN + 1 = 900001" in first
    assert "http://www.a.test/" in first


@needs_chromium
def test_chromium_renders_chinese(crafted, tmp_path):
    path, _f = crafted["http10"]
    out = tmp_path / "zh.html"
    report(path, out, "--lang", "zh")
    dom = dump_dom(out)
    assert '<html lang="zh">' in dom
    assert "三次握手" in dom and "瀑布图" in dom
    assert "建连" in dom and "接收" in dom          # the waterfall legend in Chinese too


@needs_chromium
def test_loopback_capture_report(tmp_path):
    path = CAPTURES / "http_page_fetch_loopback.pcapng"
    if not path.exists():
        pytest.skip(f"{path} is not there")
    out = tmp_path / "loop.html"
    report(path, out)
    dom = dump_dom(out)
    assert dom.count('<g class="request"') == 4
    for uri in ("/style.css", "/app.js", "/logo.png"):
        assert f"GET {uri}" in dom


def test_hostile_uri_is_text_not_markup(crafted, tmp_path):
    path, _f = crafted["hostile"]
    page = report(path, tmp_path / "hostile.html")
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\x1b" not in page and "\x07" not in page           # control characters shown as escapes
    assert "evil.test\\x1b]0;pwned\\x07\\x1b[2J" in page
    assert 'data-step="' in page and "&quot;&#x27;&amp;x=&lt;b&gt;" in page


@needs_chromium
def test_hostile_uri_renders_as_text_in_chromium(crafted, tmp_path):
    path, _f = crafted["hostile"]
    out = tmp_path / "hostile.html"
    report(path, out)
    dom = dump_dom(out)
    assert "<script" not in dom.lower()          # no element came from the packet
    assert "<b>" not in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom      # shown as text
    assert "GET /&lt;script&gt;alert(1)&lt;/script&gt;?q=\"'&amp;x=&lt;b&gt;" in dom


def test_failed_connections_are_shown(crafted, tmp_path):
    """A refused connection (SYN answered by RST) and a host that never answers: each is a fetch of its own
    in the report, listed as a failed connection with its SYN frames, with its waterfall bar."""
    for name, outcome in (("refused", "refused"), ("silent_host", "unanswered")):
        path, f = crafted[name]
        page = report(path, tmp_path / f"{name}.html")
        assert '<section class="fetch kind-connection" id="fetch-1">' in page
        item = re.search(r'<li class="failed-connection" data-stream="0">(.*?)</li>', page).group(1)
        assert outcome in item
        syns = [f["syn"]] if name == "refused" else f["syns"]
        assert ", ".join(map(str, syns)) in item
        assert '<rect class="phase connect"' in page
        # one failed attempt: singular, no "(s)"
        assert "1 connection attempt in this capture failed (refused or unanswered): see the fetch below." in page


def test_fuzz_repro_inputs_render(tmp_path):
    """../shared/fuzz-repro: a phase that starts before the fetch (a frame stamped 1 ns), timestamps far past
    the year 9999, a charset holding NUL, charset=undefined: a report, no traceback."""
    repro = ROOT.parent / "shared" / "fuzz-repro"
    names = ("timeline_waterfall_indexerror.pcapng", "far_future_timestamp_valueerror.pcapng",
             "har_charset_nul_valueerror.pcapng", "har_charset_undefined_unicodeerror.pcap")
    if not repro.exists():
        pytest.skip("../shared/fuzz-repro is not there")
    for name in names:
        page = report(repro / name, tmp_path / (name + ".html"))
        assert page.rstrip().endswith("</html>")
        assert page.count("<section class=") >= 1, name
