"""The real capture corpus (../shared/corpus) read by us and by tshark: same frames, same numbers.

For every file, each frame's (frame.time_epoch, frame.len, frame.cap_len, frame.interface_id) must equal
what ``tshark -T fields`` prints, and its link type must match tshark's encapsulation and MANIFEST.tsv.
Files tshark reports as damaged must give us a warning too, with the same frames before it.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.capture import open_capture

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
TSHARK = shutil.which("tshark") or ("/usr/bin/tshark" if Path("/usr/bin/tshark").exists() else None)
FIELDS = ["frame.time_epoch", "frame.len", "frame.cap_len", "frame.interface_id", "frame.encap_type"]

# Wireshark's WTAP_ENCAP numbers (frame.encap_type) -> the LINKTYPE values that map to them.
ENCAP_TO_LINKTYPES = {
    1: {1},  # Ethernet
    7: {12, 14, 101},  # raw IP
    15: {0},  # NULL/Loopback
    25: {113},  # Linux cooked v1
    129: {228},  # raw IPv4
    210: {276},  # Linux cooked v2
}

FILES = sorted(p.name for p in CORPUS.glob("*") if p.suffix in (".pcap", ".pcapng")) if CORPUS.is_dir() \
    else []


def manifest() -> dict[str, dict[str, str]]:
    with open(CORPUS / "MANIFEST.tsv", newline="") as f:
        return {row["file"]: row for row in csv.DictReader(f, delimiter="\t")}


def tshark_frames(path: Path) -> tuple[list[list[str]], bool]:
    """tshark's rows for the packets of ``path`` and whether tshark reported the file as damaged."""
    args = [TSHARK, "-r", str(path), "-T", "fields"] + [arg for field in FIELDS for arg in ("-e", field)]
    result = subprocess.run(args, capture_output=True, text=True, check=False)  # damaged files exit 2
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    # tshark 4 also lists pcapng custom blocks and the like as "frames" without an encapsulation.
    packets = [row for row in rows if row[4]]
    return packets, result.returncode != 0


def epoch(ts_ns: int) -> str:
    return f"{ts_ns // 10**9}.{ts_ns % 10**9:09d}"


pytestmark = [
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"capture corpus not found at {CORPUS}"),
    pytest.mark.skipif(TSHARK is None, reason="tshark is not installed (apt-get install tshark)"),
]


def test_corpus_is_not_empty():
    assert len(FILES) >= 10


@pytest.mark.parametrize("name", FILES)
def test_frames_match_tshark(name):
    path = CORPUS / name
    expected, damaged = tshark_frames(path)
    with open_capture(path) as reader:
        frames = list(reader)
    assert len(frames) == len(expected), f"{name}: {len(frames)} frames, tshark shows {len(expected)}"
    previous_ts = 0
    for frame, (time_epoch, length, cap_len, iface, encap) in zip(frames, expected, strict=True):
        where = f"{name} frame {frame.number}"
        if time_epoch:
            assert epoch(frame.ts_ns) == time_epoch, where
        else:  # pcapng Simple Packet Block: no timestamp; we carry the previous frame's
            assert frame.ts_ns == previous_ts, where
        previous_ts = frame.ts_ns
        assert (frame.origlen, frame.caplen) == (int(length), int(cap_len)), where
        assert frame.iface == (int(iface) if iface else None), where  # classic pcap: no interface
        assert frame.linktype in ENCAP_TO_LINKTYPES[int(encap)], where
        assert frame.caplen == len(frame.data), where
    assert [f.number for f in frames] == list(range(1, len(frames) + 1))
    assert bool(reader.warnings) == damaged, f"{name}: warnings {reader.warnings}, tshark damaged={damaged}"


@pytest.mark.parametrize("name", FILES)
def test_link_types_and_counts_match_manifest(name):
    row = manifest().get(name)
    if row is None:
        pytest.skip(f"{name} is not listed in MANIFEST.tsv")
    with open_capture(CORPUS / name) as reader:
        frames = list(reader)
    assert len(frames) == int(row["packets"])
    linktypes = {f.linktype for f in frames}
    single = re.search(r"LINKTYPE (\d+)$", row["link_type"])
    if single:
        assert reader.format == "pcap"
        assert linktypes <= {int(single.group(1))}
    else:
        listed = re.search(r"IDB LINKTYPEs=\[([\d,]+)\]", row["link_type"])
        assert listed, row["link_type"]
        assert reader.format == "pcapng"
        assert linktypes <= {int(x) for x in listed.group(1).split(",")}


def test_truncated_corpus_file_names_the_offset():
    path = CORPUS / "trunc_file_ends_mid_packet.pcap"
    if not path.exists():
        pytest.skip(f"{path.name} not in the corpus")
    with open_capture(path) as reader:
        frames = list(reader)
    (warning,) = reader.warnings
    assert len(frames) == 1
    assert warning.offset == 24 + 16 + frames[0].caplen
    assert str(warning).startswith(f"{path}: offset {warning.offset}: record 2: file ends")
