"""Helpers for comparing the TCP analysis with tshark (the oracle), frame by frame."""

from __future__ import annotations

import shutil
from pathlib import Path

from tshark_run import tshark_output

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")

FIELDS = ["tcp.stream", "tcp.seq", "tcp.ack", "tcp.len", "tcp.nxtseq",
          "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
          "tcp.analysis.spurious_retransmission", "tcp.analysis.out_of_order", "tcp.analysis.duplicate_ack",
          "tcp.analysis.duplicate_ack_num", "tcp.analysis.lost_segment", "tcp.analysis.ack_lost_segment",
          "tcp.analysis.zero_window", "tcp.analysis.zero_window_probe", "tcp.analysis.zero_window_probe_ack",
          "tcp.analysis.window_full", "tcp.analysis.window_update", "tcp.analysis.keep_alive",
          "tcp.analysis.keep_alive_ack", "tcp.analysis.reused_ports", "tcp.analysis.ack_rtt",
          "tcp.analysis.acks_frame", "tcp.analysis.initial_rtt", "tcp.analysis.bytes_in_flight",
          "tcp.analysis.push_bytes_sent", "tcp.window_size", "tcp.window_size_scalefactor",
          "udp.stream", "tcp.time_relative", "tcp.time_delta", "udp.time_relative", "udp.time_delta"]


def tshark_rows(path: Path, fields: list[str] = FIELDS, occurrence: str = "f") -> dict[int, dict[str, str]]:
    """frame number -> {field: text} as ``tshark -T fields`` prints it (empty fields left out)."""
    cmd = [TSHARK, "-n", "-r", str(path), "-T", "fields", "-E", f"occurrence={occurrence}", "-e",
           "frame.number"]
    for f in fields:
        cmd += ["-e", f]
    out = tshark_output(cmd, path, allow_empty=True)      # a capture of no frame; differences() checks
    rows = {}
    for line in out.splitlines():
        parts = line.split("\t")
        rows[int(parts[0])] = {f: v for f, v in zip(fields, parts[1:], strict=True) if v != ""}
    return rows


def our_rows(path: Path, fields: list[str] = FIELDS) -> dict[int, dict[str, str]]:
    from analyzer.capture import open_capture
    from analyzer.pipeline import analyze

    rows = {}
    with open_capture(path) as reader:
        for pkt in analyze(reader):
            layer = pkt.layer("tcp") or pkt.layer("udp")
            got = {}
            if layer is not None:
                for f in fields:
                    v = layer.fields.get(f)
                    if type(v) is list:     # tshark -E occurrence=f: the first occurrence
                        v = v[0]
                    if v is not None and not (f == "tcp.seq" and "tcp.seq_raw" not in layer.fields):
                        got[f] = str(v)
            rows[pkt.frame.number] = got
    return rows


def differences(path: Path, fields: list[str] = FIELDS) -> list[tuple[int, str, str | None, str | None]]:
    theirs = tshark_rows(path, fields)
    ours = our_rows(path, fields)
    # frames on both sides, or on neither (tshark did print its frames; it counts non-packet pcapng records
    # too); a capture without TCP or UDP then rightly compares no value
    assert bool(theirs) == bool(ours), f"{path}: tshark has {len(theirs)} frames, the analyzer {len(ours)}"
    diffs = []
    for num in sorted(set(theirs) | set(ours)):
        t, o = theirs.get(num, {}), ours.get(num, {})
        for f in fields:
            if t.get(f) != o.get(f):
                diffs.append((num, f, t.get(f), o.get(f)))
    return diffs
