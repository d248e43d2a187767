"""Differential test: every frame of every corpus capture, L2-L4 fields against tshark 4.0, frame by frame.

tshark runs with ``-T fields -E occurrence=a -E aggregator=,`` and the preferences in
``test_decode_support.TSHARK_PREFS``: checksum verification on, IP reassembly off and raw TCP sequence
numbers. Those preferences are what keeps the comparison to one frame's own bytes, which is all these
decoders see: with tshark's defaults, IP fragments would be reassembled onto the last fragment and SACK
edges shown relative to the connection's first sequence number; both belong to later stages (IP
reassembly, TCP analysis). No field or frame is excluded beyond that.

Frames are read with ``analyzer.capture.open_capture``; records tshark lists that carry no packet
(pcapng custom blocks, shown by tshark as "data" without an encapsulation) have no Frame and are skipped on
the tshark side.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_decode_support import CHECKSUM_STATUS, CORPUS, FIELDS, TSHARK, TSHARK_PREFS
from tshark_run import tshark_output

from analyzer.capture import open_capture
from analyzer.decode import decode

CAPTURES = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".pcap", ".pcapng")) if CORPUS.is_dir() else []

pytestmark = [
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}"),
    pytest.mark.skipif(TSHARK is None, reason="tshark not installed"),
]


def tshark_frames(path) -> list[dict[str, Any]]:
    """tshark's values per packet frame: text, or a list of texts for repeated fields."""
    cmd = [TSHARK, "-n", "-r", str(path), *TSHARK_PREFS, "-T", "fields", "-E", "occurrence=a",
           "-E", "aggregator=,", "-e", "frame.encap_type"]
    for name in FIELDS:
        cmd += ["-e", name]
    out = tshark_output(cmd, path, allow_empty=True)      # a capture of no frame: checked by the count
    frames = []
    for line in out.splitlines():
        encap, *values = line.split("\t")
        if not encap:
            continue  # a record without a packet (pcapng custom block)
        row: dict[str, Any] = {}
        for name, value in zip(FIELDS, values, strict=True):
            if not value:
                continue
            parts = value.split(",")
            if name.endswith("checksum.status"):
                parts = [CHECKSUM_STATUS[p] for p in parts]
            row[name] = parts if len(parts) > 1 else parts[0]
        frames.append(row)
    return frames


def our_frame(pkt) -> dict[str, Any]:
    """Our values in tshark's text form (ints as decimal text)."""
    row: dict[str, Any] = {}
    fields = pkt.fields
    for name in FIELDS:
        if name in fields:
            value = fields[name]
            row[name] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return row


@pytest.mark.parametrize("capture", CAPTURES)
def test_corpus_frames_equal_tshark(capture):
    path = CORPUS / capture
    theirs = tshark_frames(path)
    with open_capture(str(path)) as reader:
        packets = [decode(frame) for frame in reader]
    assert len(packets) == len(theirs), "frame count differs from tshark"
    compared = differences = 0
    report = []
    for pkt, expected in zip(packets, theirs, strict=True):
        ours = our_frame(pkt)
        for name in sorted(set(ours) | set(expected)):
            compared += 1
            if ours.get(name) != expected.get(name):
                differences += 1
                if len(report) < 20:
                    report.append(f"frame {pkt.frame.number} {name}: ours {ours.get(name)!r}, "
                                  f"tshark {expected.get(name)!r} (failure: {pkt.failure})")
    assert differences == 0, f"{differences} of {compared} field values differ:\n" + "\n".join(report)
