"""A zero-window stall is told as one step: the receiver's repeated zero windows, the sender's probes (their
frames, the intervals between them, "twice the one before" only where they double) and how long the sender
was held, to the window update or to the end of the capture; "where the time went" counts that time.

Every expected frame and time is read from tshark (tcp.analysis.zero_window, keep_alive, window_update).
"""

from __future__ import annotations

import shutil
import subprocess
from itertools import pairwise
from pathlib import Path

import pytest

from analyzer.capture import open_capture
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
TSHARK = shutil.which("tshark")


def rows(path: Path) -> list[dict]:
    if not path.exists():
        pytest.skip(f"the shared corpus is not here ({path})")
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    fields = ["frame.number", "frame.time_relative", "tcp.analysis.zero_window", "tcp.analysis.keep_alive",
              "tcp.analysis.zero_window_probe", "tcp.analysis.window_update", "tcp.len"]
    out = subprocess.run([TSHARK, "-r", str(path), "-T", "fields", *(x for f in fields for x in ("-e", f))],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    got = []
    for line in out.splitlines():
        v = line.split("\t")
        got.append({"frame": int(v[0]), "t": float(v[1]), "zero": v[2] == "1", "probe": "1" in (v[3], v[4]),
                    "keepalive": v[3] == "1", "update": v[5] == "1", "len": int(v[6] or 0)})
    return got


def zero_step(path: Path, lang: str = "en"):
    with open_capture(path) as reader:
        (fetch,) = timeline(reader, lang=lang).fetches
    (step,) = [s for s in fetch.steps if s.kind == "tcp.zero_window"]
    return fetch, step


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_stall_with_probes_to_the_end_is_one_step(lang):
    path = CORPUS / "tcp_zero_window_persist_probes.pcapng"
    got = rows(path)
    zeros = [r for r in got if r["zero"]]
    probes = [r for r in got if r["probe"]]
    assert len(zeros) > 1 and len(probes) > 1 and not any(r["update"] for r in got)
    fetch, step = zero_step(path, lang)
    assert step.frames[0] == zeros[0]["frame"]
    assert set(step.frames) == {r["frame"] for r in zeros + probes}
    assert step.facts["probe_frames"] == [r["frame"] for r in probes]
    gaps = [(b - a) * 1000 for a, b in pairwise([zeros[0]["t"]] + [r["t"] for r in probes])]
    assert step.facts["probe_gaps"] == pytest.approx(gaps, abs=0.001)
    twice = all(1.7 <= b / a <= 2.3 for a, b in pairwise(gaps))
    assert ("twice the one before" in step.text or "两倍" in step.text) == twice
    held = (got[-1]["t"] - zeros[0]["t"]) * 1000
    assert step.facts["stall_ms"] == pytest.approx(held, abs=0.001)
    # the probes are what tshark calls keep-alives (0 bytes): the step says so, so the ladder's label is no riddle
    keepalive = all(r["keepalive"] and r["len"] == 0 for r in probes)
    assert step.facts["keepalive_probes"] == keepalive
    assert ("Wireshark labels it a keep-alive" in step.text or "标为 keep-alive" in step.text) == keepalive
    if lang == "en":
        (d,) = [d for d in fetch.breakdown if d.what == "zero_window"]
        assert d.ms == pytest.approx(held, abs=0.001) and d.frames[0] == zeros[0]["frame"]
        assert "to the end of the capture" in step.text


def test_stall_ended_by_a_window_update():
    path = CORPUS / "tcp_zero_window_then_update.pcapng"
    got = rows(path)
    (zero,) = [r for r in got if r["zero"]]
    update = next(r for r in got if r["update"] and r["frame"] > zero["frame"])
    _fetch, step = zero_step(path)
    assert step.frames == (zero["frame"],)
    assert step.facts["resumed_frame"] == update["frame"]
    assert step.facts["stall_ms"] == pytest.approx((update["t"] - zero["t"]) * 1000, abs=0.001)
    assert not step.facts["probes"] and f"frame {update['frame']}" in step.text
