"""``http.chunk_size``: every chunk size of a chunked HTTP body (the last chunk's 0 included), on the frame that
shows the message, against tshark on every capture of captures/, the corpus and the test fixtures."""

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
# (file, frame) -> why ours differs
KNOWN = {
    **{("tcp_dupframes_retrans_keepalive_post_chunked.pcap", n):
       "a fast retransmission of a whole response: tshark dissects it as HTTP again" for n in (42, 86)},
}
FIELDS = ["-T", "fields", "-e", "frame.number", "-e", "http.chunk_size"]


def _rows(text: str) -> dict[str, str]:
    return dict(line.split("\t") for line in text.splitlines())


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_chunk_sizes_match_tshark(path: Path):
    if path.name in SKIPPED:
        pytest.skip(SKIPPED[path.name])
    theirs = _rows(tshark_output([TSHARK, "-r", str(path), *FIELDS], path, allow_empty=True))
    result = CliRunner().invoke(main, ["read", *FIELDS, str(path)])
    assert result.exit_code == 0, result.output
    assert "does not produce" not in result.stderr
    ours = _rows(result.stdout)
    assert ours.keys() == theirs.keys()
    for number, value in theirs.items():
        known = (path.name, int(number)) in KNOWN
        assert (ours[number] != value) == known, f"frame {number}: tshark {value!r}, ours {ours[number]!r}"


def test_the_files_hold_chunked_bodies():
    if not CORPUS.is_dir():
        pytest.skip(f"corpus folder {CORPUS} absent")
    out = tshark_output([TSHARK, "-r", str(CORPUS / "linktype_null_ipv6_http_keepalive_chunked.pcap"),
                         "-Y", "http.chunk_size", *FIELDS], "chunked")
    assert out.split("\t")[1].strip() == "512,222,13,3,88,16,6,1,2,23,1,52884,42,7,698,0"
