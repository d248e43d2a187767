"""``-V``'s window-scale factor line on every frame of three recordings, against tshark's ``-V``: the factor
(1 << shift), -2 when a side's SYN had no window-scale option, -1 when the capture holds no SYN of that side."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from tshark_run import tshark_output

from analyzer.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed")

FILES = {
    "1 << shift": ROOT / "tests" / "fixtures" / "websocket" / "ws_binary.pcap",
    "-2": CORPUS / "trunc_snaplen68_tcp_smtp.pcap",
    "-1": CORPUS / "http_fetch_dns_handshake_teardown_classic.pcap",
}


def _factors(text: str, pattern: str) -> list[str]:
    return re.findall(pattern, text, flags=re.MULTILINE)


@pytest.mark.parametrize("case", FILES)
def test_scale_factor_line_as_tshark(case):
    path = FILES[case]
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared corpus is absent)")
    theirs = _factors(tshark_output([TSHARK, "-n", "-r", str(path), "-V"], path),
                      r"^\s*\[Window size scaling factor: (.*)\]$")
    result = CliRunner().invoke(main, ["read", "-r", str(path), "-V"])
    assert result.exit_code == 0, result.output
    ours = _factors(result.output, r"^\s*\[Window size scaling factor\]: (.*)$")
    shown = (lambda t: t.isdigit()) if case == "1 << shift" else (lambda t: t.split()[0] == case)
    assert any(shown(t) for t in theirs), f"{path.name} no longer shows the case {case}"
    # tshark's words for -1 are "(unknown)"; ours say why it is unknown
    assert [o.replace(" (unknown: the capture holds no SYN of this side)", " (unknown)") for o in ours] == theirs
