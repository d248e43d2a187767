"""``frame.comment``: a pcapng packet's comments (opt_comment, option 1 of an Enhanced or obsolete Packet
Block), against tshark on the same bytes.

Two sources: a capture of captures/ with comments added by ``editcap -a`` (the tool users comment packets
with), and crafted pcapng files (both byte orders) whose packet blocks hold two comments, a non-ASCII one,
an option list that runs past its block, and an obsolete Packet Block's comment. Checked in ``read -T
fields``, ``read -Y``, ``read --json`` and ``read -V``'s "Packet comments".
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from tshark_run import tshark_output

from analyzer.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
TSHARK = shutil.which("tshark")
EDITCAP = shutil.which("editcap")

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark not installed")

# An Ethernet/IPv4/UDP frame (10.0.0.1:1024 -> 10.0.0.2:9, 4 bytes of payload)
FRAME = bytes.fromhex("00112233445566778899aabb0800" "4500002000010000401166ca0a0000010a000002"
                      "04000009000c0000" "61626364")


def _option(order: str, code: int, value: bytes) -> bytes:
    return struct.pack(order + "HH", code, len(value)) + value + bytes(-len(value) % 4)


def _block(order: str, btype: int, body: bytes) -> bytes:
    length = 12 + len(body)
    return struct.pack(order + "II", btype, length) + body + struct.pack(order + "I", length)


def crafted(order: str, damaged: bool = False) -> bytes:
    """SHB, IDB (Ethernet), then: EPB with two comments, EPB without options, EPB with a comment (whose
    length runs past the block when ``damaged``), obsolete Packet Block with a comment, EPB with a UTF-8
    comment."""
    out = _block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += _block(order, 1, struct.pack(order + "HHI", 1, 0, 0))
    pad = bytes(-len(FRAME) % 4)

    def epb(n: int, options: bytes) -> bytes:
        head = struct.pack(order + "IIIII", 0, 0, 1_000_000 + n, len(FRAME), len(FRAME))
        return _block(order, 6, head + FRAME + pad + options)

    end = _option(order, 0, b"")
    out += epb(1, _option(order, 1, b"first note") + _option(order, 1, b"second note") + end)
    out += epb(2, b"")
    out += epb(3, struct.pack(order + "HH", 1, 200) + b"cut!" if damaged     # claims 200 bytes, has 4
               else _option(order, 1, b"third") + end)
    opb = struct.pack(order + "HHIIII", 0, 0, 0, 1_000_004, len(FRAME), len(FRAME))
    out += _block(order, 2, opb + FRAME + pad + _option(order, 1, b"old block") + end)
    out += epb(5, _option(order, 1, "ünïcode ✓".encode()) + end)
    return out


def _cli(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def _tshark_comments(path: Path) -> list[str]:
    out = tshark_output([TSHARK, "-r", str(path), "-T", "fields", "-e", "frame.comment"], path, allow_empty=True)
    return out.splitlines()


def _ours(path: Path) -> list[str]:
    return _cli("read", "-T", "fields", "-e", "frame.comment", str(path)).stdout.splitlines()


@pytest.mark.parametrize("order", ["<", ">"], ids=["little-endian", "big-endian"])
def test_crafted_comments_match_tshark(tmp_path, order):
    path = tmp_path / "comments.pcapng"
    path.write_bytes(crafted(order))
    theirs = _tshark_comments(path)
    assert theirs[0] == "first note,second note"        # the bytes are what they say (tshark reads them so)
    assert _ours(path) == theirs


def test_damaged_option_list_keeps_the_packet(tmp_path):
    """tshark calls the file corrupt at an option longer than its block and stops reading; the analyzer keeps
    the packet (without that comment) and reads on, as it does with other damaged blocks."""
    path = tmp_path / "damaged.pcapng"
    path.write_bytes(crafted("<", damaged=True))
    assert _ours(path) == ["first note,second note", "", "", "old block", "ünïcode ✓"]


@pytest.mark.skipif(EDITCAP is None, reason="editcap not installed")
def test_editcap_comments_in_fields_filter_json_and_tree(tmp_path):
    path = tmp_path / "commented.pcapng"
    comments = {1: "hello comment", 6: "the GET", 10: "a comma, inside", 12: "tab\tand ünïcode"}
    args = [arg for n, text in comments.items() for arg in ("-a", f"{n}:{text}")]
    subprocess.run([EDITCAP, *args, str(ROOT / "captures" / "http_page_fetch_loopback.pcapng"), str(path)],
                   check=True, capture_output=True)
    theirs = _tshark_comments(path)
    assert sum(1 for line in theirs if line) == len(comments)
    assert _ours(path) == theirs

    for expr in ('frame.comment contains "GET"', "frame.comment", 'frame.comment matches "^hello"'):
        want = tshark_output([TSHARK, "-r", str(path), "-Y", expr, "-T", "fields", "-e", "frame.number"], expr)
        got = _cli("read", "-Y", expr, "-T", "fields", "-e", "frame.number", str(path)).stdout
        assert got.split() == want.split(), expr

    lines = _cli("read", "--json", str(path)).stdout.splitlines()
    assert {json.loads(line)["frame.number"]: json.loads(line)["frame.comment"]
            for line in lines if "frame.comment" in json.loads(line)} == comments

    tree = _cli("read", "-V", "-c", "1", str(path)).stdout.splitlines()
    want_tree = tshark_output([TSHARK, "-r", str(path), "-V", "-c", "1"], path).splitlines()
    assert tree[:2] == want_tree[:2] == ["Packet comments", "    hello comment"]


def test_no_warning_for_frame_comment(tmp_path):
    path = tmp_path / "comments.pcapng"
    path.write_bytes(crafted("<"))
    result = _cli("read", "-T", "fields", "-e", "frame.comment", str(path))
    assert "does not produce" not in result.stderr
