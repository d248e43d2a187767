"""The fetches `timeline` holds back (ARP/ND requests of hosts that did nothing else) are named by number in
its closing line, so the numbering of what it prints has no unexplained gaps, and that line is wrapped to the
width like the rest (issue 10: "wrap to the terminal's width (80 when piped unless --width)").

Which frames are ARP requests is asked from tshark; the test checks that every fetch number from 1 to the
last is either printed or named as held back, and that the held-back ones are the ARP-only fetches
`--all` prints.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_timeline_grouping import tshark_frames  # tshark -Y FILTER: the frame numbers

from analyzer.report.timeline_text import width_of

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT.parent / "shared" / "corpus" / "http_fetch_wikipedia_dns_multiconn.pcap"
TSHARK = shutil.which("tshark")


def run(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, check=True,
                          timeout=120).stdout.decode()


def expand(runs: str) -> set[int]:
    out: set[int] = set()
    for part in re.split(r",\s*|\s+and\s+|\s*、\s*|\s*和\s*", runs.strip()):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_held_back_fetches_are_named_and_wrapped(lang):
    if not CAPTURE.exists():
        pytest.skip(f"the shared corpus is not here ({CAPTURE})")
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    arp = [str(f) for f in tshark_frames(CAPTURE, "arp.opcode == 1")]
    assert arp                                       # the file has ARP requests: the case under test
    out = run("timeline", "--lang", lang, str(CAPTURE))
    printed = {int(n) for n in re.findall(r"^(?:Fetch|第) ?(\d+)", out, re.MULTILINE)}
    tail = out.rsplit("\n\n", 1)[-1].replace("\n", " ")
    m = re.search(r"fetch(?:es)? (.+?), not shown" if lang == "en" else r"编号为第 (.+?) 次访问", tail)
    assert m, tail
    held = expand(m.group(1))
    assert printed and held and not printed & held
    assert printed | held == set(range(1, max(printed | held) + 1))
    assert all(width_of(line) <= 80 for line in out.splitlines()), [ln for ln in out.splitlines() if width_of(ln) > 80]
    # the held-back fetches are the ones --all prints as ARP only, and each cites an ARP request of tshark's
    full = run("timeline", "--all", "--lang", "en", str(CAPTURE))
    for block in re.split(r"\n(?=Fetch \d+:)", full):
        n = int(re.match(r"Fetch (\d+):", block).group(1))
        cited = set(re.findall(r"#(\d+)", block))
        only_arp = all(" arp " in ln for ln in block.splitlines() if re.search(r"#\d+", ln))
        assert (n in held) == only_arp, block[:300]
        if n in held:
            assert cited and cited <= set(arp)
