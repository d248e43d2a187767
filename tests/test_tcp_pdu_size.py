"""``tcp.pdu.size``: the PDUs tshark's TCP cuts a stream into for DNS over TCP (length prefix and message) and
WebSocket (a frame's header and payload), against tshark on every capture of captures/, the corpus and the
test fixtures; and as a filter field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from tshark_run import CORPUS, NOT_FRAME_BY_FRAME, every_capture, tshark_output

from analyzer.cli.main import main

TSHARK = shutil.which("tshark")

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark not installed")

FILES = every_capture()
SKIPPED = NOT_FRAME_BY_FRAME
FIELDS = ["-T", "fields", "-e", "frame.number", "-e", "tcp.pdu.size"]


def _ours(*args: str) -> str:
    result = CliRunner().invoke(main, ["read", *args])
    assert result.exit_code == 0, result.output
    assert "does not produce" not in result.stderr
    return result.stdout


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_pdu_sizes_match_tshark(path: Path):
    if path.name in SKIPPED:
        pytest.skip(SKIPPED[path.name])
    theirs = tshark_output([TSHARK, "-r", str(path), *FIELDS], path, allow_empty=True)
    assert _ours(*FIELDS, str(path)) == theirs


def test_the_files_hold_the_cases():
    """Twenty DNS queries in one segment, a length prefix split from its message, WebSocket frames of each
    length form (7-bit, 16-bit, 64-bit)."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus folder {CORPUS} absent")
    seen = set()
    for path in FILES:
        if path.name not in SKIPPED:
            for line in tshark_output([TSHARK, "-r", str(path), "-Y", "tcp.pdu.size", *FIELDS], path,
                                      allow_empty=True).splitlines():
                seen.update(int(v) for v in line.split("\t")[1].split(","))
    assert {32, 33, 1419, 65550}.issubset(seen)
    assert any(130 <= v < 65540 for v in seen)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus absent")
def test_filter_on_pdu_size():
    path = CORPUS / "dns_tcp_20_queries_one_segment_halfclose.pcap"
    for expr in ("tcp.pdu.size == 33", "tcp.pdu.size > 40", "count(tcp.pdu.size) > 1"):
        want = tshark_output([TSHARK, "-r", str(path), "-Y", expr, "-T", "fields", "-e", "frame.number"], expr)
        assert _ours("-Y", expr, "-T", "fields", "-e", "frame.number", str(path)).split() == want.split(), expr
