"""Losses the capture point cannot see, told from what it did see (issue 10, items 3-4).

* A tail loss: the last segment of a flight lost before the capture point leaves no hole and no duplicate ACK
  behind it; the sender's timer sends it again (Linux: at least 200 ms), and that copy is the only one captured.
  What shows it: a data segment, right after the previous one in sequence and flagged by nothing, sent 200 ms
  or more after it although the receiver had acknowledged everything before it well before (nothing held the
  sender back). The timeline tells it as a step (``tcp.loss.tail``) and as a part of "where the time went".
* An answer lost after the request got through: the client sent its request again and again; the answer echoes
  (TSecr) a copy before the last one, so the server had the request from that copy on, yet nothing came from it
  until after the client's next copy, not even the ACK a receiver sends at once for bytes it already has.

captures/lab_lossy_answer_and_tail_lost.pcapng holds both (``analyzer lab --loss 30``, kept by
``scripts/record_captures.py --only lab_tail_lost``); captures/lab_https_answer_lost_quiet.pcapng an answer lost
after the only resend reached the server, and lab_https_request_lost and lab_https_hole_filled a ServerHello
sent again by the server's timer (its first flight lost). Every expected frame, time and count is tshark's, asked at
test time, and the rules run over every file in captures/ (no step where tshark's fields do not show the case).
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.apps.tls import parse_keylog
from analyzer.capture import open_capture
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "captures"
LOSSY = CAPTURES / "lab_lossy_answer_and_tail_lost.pcapng"
TSHARK = shutil.which("tshark")
FIELDS = ["frame.number", "frame.time_epoch", "ip.src", "tcp.stream", "tcp.seq", "tcp.len", "tcp.ack",
          "tcp.analysis.flags", "tcp.analysis.retransmission", "tcp.options.timestamp.tsval",
          "tcp.options.timestamp.tsecr", "http.response.code", "tcp.analysis.initial_rtt"]
ALL = sorted(p for p in CAPTURES.iterdir() if p.suffix in (".pcap", ".pcapng"))

pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed")


def rows(path: Path) -> list[dict[str, str]]:
    keys = path.with_suffix(".keys")
    argv = [TSHARK, "-r", str(path), "-Y", "tcp", "-T", "fields", "-E", "separator=/t"]
    if keys.exists():
        argv += ["-o", f"tls.keylog_file:{keys}"]
    for f in FIELDS:
        argv += ["-e", f]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120).stdout
    return [dict(zip(FIELDS, line.split("\t"))) for line in out.splitlines()]


def load(path: Path, lang: str = "en"):
    keys = path.with_suffix(".keys")
    with open_capture(path) as reader:
        return timeline(reader, lang, keylog=parse_keylog(keys.read_bytes()) if keys.exists() else None)


def _t(r: dict[str, str]) -> float:
    return float(r["frame.time_epoch"])


def tail_losses(segs: list[dict[str, str]]) -> dict[int, tuple[int, int, float]]:
    """frame -> (previous data frame, the ACK of everything before it, the pause in ms), by tshark's fields: per
    connection and direction, a data segment flagged by nothing, right after the previous one in sequence, a
    retransmission timeout after it (200 ms to 240 ms and three initial round trips and 5 ms), with no data from the other side in between, and an ACK from the other side of every
    byte before it at least 160 ms earlier."""
    out = {}
    flows: dict[tuple[str, str], list[dict[str, str]]] = {}
    for r in segs:
        if r["tcp.len"] not in ("", "0"):
            flows.setdefault((r["tcp.stream"], r["ip.src"]), []).append(r)
    irtt = {r["tcp.stream"]: float(r["tcp.analysis.initial_rtt"]) for r in segs if r["tcp.analysis.initial_rtt"]}
    for (stream, src), data in flows.items():
        if stream not in irtt:
            continue            # (no round trip known: no pause can be compared with it)
        # a retransmission timeout: Linux's minimum, 200 ms, up to a fifth more plus three round trips and 5 ms
        longest = 0.24 + 3 * irtt[stream] + 0.005
        for a, b in itertools.pairwise(data):
            if b["tcp.analysis.flags"] or int(b["tcp.seq"]) != int(a["tcp.seq"]) + int(a["tcp.len"]):
                continue
            if not 0.2 <= _t(b) - _t(a) <= longest or any(r["tcp.stream"] == stream and r["ip.src"] != src and r["tcp.len"] not in
                                          ("", "0") and _t(a) < _t(r) < _t(b) for r in segs):
                continue        # (the other side spoke in between: b answers it, it is no longer a's message)
            ack = next((r for r in segs if r["tcp.stream"] == stream and r["ip.src"] != src
                        and _t(a) <= _t(r) < _t(b) and int(r["tcp.ack"]) >= int(b["tcp.seq"])), None)
            if ack is not None and _t(b) - _t(ack) >= 0.16:
                out[int(b["frame.number"])] = (int(a["frame.number"]), int(ack["frame.number"]),
                                               (_t(b) - _t(a)) * 1e3)
    return out


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_a_tail_loss_is_told_where_tshark_shows_one_and_only_there(path):
    segs = rows(path)
    want = tail_losses(segs)
    if path == LOSSY:
        assert want        # the recording is what it is kept for (record_captures.check_tail_lost)
    tl = load(path)
    got = {s.frames[-1]: s for f in tl.fetches for s in f.steps if s.kind == "tcp.loss.tail"}
    assert set(got) == set(want)
    size = {int(r["frame.number"]): int(r["tcp.len"]) for r in segs}
    for frame, (prev, ack, gap) in want.items():
        step = got[frame]
        assert step.frames == (prev, ack, frame) and step.problem
        assert step.facts["gap_ms"] == pytest.approx(gap, abs=0.01)
        assert step.facts["size"] == size[frame]
        assert f"frame {frame} ({size[frame]} bytes)" in step.text and f"frame {ack}," in step.text


def test_the_tail_loss_and_the_lost_answer_are_parts_of_where_the_time_went():
    """lab_lossy_answer_and_tail_lost: the pause before the resent tail and the wait from the client's last copy
    of the request to the answer are parts of the breakdown (their frames and times are tshark's)."""
    segs = rows(LOSSY)
    at = {int(r["frame.number"]): _t(r) for r in segs}
    ((frame, (prev, _ack, gap)),) = tail_losses(segs).items()
    (fetch,) = load(LOSSY).fetches
    parts = {d.what: d for d in fetch.breakdown}
    assert parts["loss"].frames == (prev, frame) and parts["loss"].ms == pytest.approx(gap, abs=0.01)
    assert f"(frame {frame})" in parts["loss"].text
    answer = next(r for r in segs if r["http.response.code"])
    copies = [r for r in segs if r["tcp.analysis.retransmission"] and r["tcp.len"] not in ("", "0")
              and _t(r) < _t(answer) and r["ip.src"] != answer["ip.src"]]
    last = int(copies[-1]["frame.number"])
    lost = parts["lost_answer"]
    assert lost.frames == (last, int(answer["frame.number"]))
    assert lost.ms == pytest.approx((at[lost.frames[1]] - at[last]) * 1e3, abs=0.01)
    assert "rest" not in parts or parts["rest"].ms < 0.01 * fetch.summary.total_ms


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_answer_lost_after_the_request_got_through_is_told(lang):
    """The answer's TSecr is the TSval of a request copy that is not the last (tshark); no server segment came
    between that copy and the answer; the step names the copy, the later copies and how long the server had it."""
    segs = rows(LOSSY)
    answer = next(r for r in segs if r["http.response.code"])
    server = answer["ip.src"]
    copies = [r for r in segs if r["tcp.analysis.retransmission"] and r["tcp.len"] not in ("", "0")
              and r["ip.src"] != server and _t(r) < _t(answer)]
    (had,) = [r for r in copies if r["tcp.options.timestamp.tsval"] == answer["tcp.options.timestamp.tsecr"]]
    later = [int(r["frame.number"]) for r in copies if _t(r) > _t(had)]
    assert later and not any(r["ip.src"] == server and _t(had) < _t(r) < _t(answer) for r in segs)
    steps = [s for f in load(LOSSY, lang).fetches for s in f.steps if s.kind.startswith("http.wait.resent")]
    (step,) = [s for s in steps if int(answer["frame.number"]) in s.frames]
    assert step.kind.startswith("http.wait.resent.request_lost") and step.kind.endswith(".answer_lost")
    assert step.facts["copy_frame"] == int(had["frame.number"]) and step.facts["later_frames"] == later
    assert step.facts["had_ms"] == pytest.approx((_t(answer) - _t(had)) * 1e3, abs=0.01)
    assert step.facts["after_ms"] == pytest.approx((_t(answer) - _t(copies[-1])) * 1e3, abs=0.01)
    frames = ", ".join(map(str, later)) if len(later) > 1 else str(later[0])
    assert (f"(frame {frames})" if lang == "en" else f"第 {frames} 帧") in step.text
    assert ("most likely lost" if lang == "en" else "很可能在到达抓包点之前丢失") in step.text


def test_a_resent_request_answered_at_once_is_not_an_answer_lost_too():
    """The recordings where the server answered the copy it had at once (lab_https_request_lost,
    lab_https_answer_lost) keep their steps: no ".answer_lost" after a request_lost."""
    for name in ("lab_https_request_lost.pcapng", "lab_https_answer_lost.pcapng"):
        kinds = [s.kind for f in load(CAPTURES / name).fetches for s in f.steps]
        assert any(k.startswith("http.wait.resent") for k in kinds)
        assert not any(k.startswith("http.wait.resent.request_lost") and k.endswith(".answer_lost") for k in kinds)


def _hellos(path: Path) -> list[dict[str, str]]:
    keys = path.with_suffix(".keys")
    argv = [TSHARK, "-r", str(path), "-Y", "tls.handshake.type == 1 or tls.handshake.type == 2", "-T", "fields",
            "-E", "separator=/t", "-e", "frame.number", "-e", "tcp.stream", "-e", "tls.handshake.type"]
    if keys.exists():
        argv += ["-o", f"tls.keylog_file:{keys}"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120).stdout
    return [dict(zip(("frame", "stream", "type"), line.split("\t"))) for line in out.splitlines()]


@pytest.mark.parametrize("path", [p for p in ALL if p.with_suffix(".keys").exists()], ids=lambda p: p.name)
def test_a_server_hello_a_timeout_late_is_told_as_its_flight_lost(path):
    """By tshark: the first ServerHello of a connection a retransmission timeout after its ClientHello (200 ms to
    240 ms, three initial round trips and 5 ms; ten round trips at least), nothing flagged between them nor on
    it: the step tells the server's first flight most likely lost (lab_https_request_lost and
    lab_https_hole_filled hold one each), citing the server's ACK of the ClientHello when it came between."""
    segs = rows(path)
    by_frame = {int(r["frame.number"]): r for r in segs}
    irtt = {r["tcp.stream"]: float(r["tcp.analysis.initial_rtt"]) for r in segs if r["tcp.analysis.initial_rtt"]}
    want = {}
    hellos = _hellos(path)
    for ch in (h for h in hellos if h["type"].split(",")[0] == "1"):
        sh = next((h for h in hellos if h["stream"] == ch["stream"] and "2" in h["type"].split(",")), None)
        if sh is None or ch["stream"] not in irtt:
            continue
        c, s = by_frame[int(ch["frame"])], by_frame[int(sh["frame"])]
        wait, rtt = _t(s) - _t(c), irtt[ch["stream"]]
        between = [r for r in segs if r["tcp.stream"] == ch["stream"] and _t(c) < _t(r) < _t(s)]
        if not (0.2 <= wait <= 0.24 + 3 * rtt + 0.005 and wait >= 10 * rtt) or s["tcp.analysis.flags"] \
                or any(r["tcp.analysis.flags"] and r["tcp.len"] not in ("", "0") for r in between):
            continue
        ack = next((r for r in between if r["ip.src"] == s["ip.src"] and r["tcp.len"] in ("", "0")), None)
        want[int(s["frame.number"])] = (int(c["frame.number"]),) + ((int(ack["frame.number"]),) if ack else ()) \
            + (int(s["frame.number"]),)
    if path.name in ("lab_https_request_lost.pcapng", "lab_https_hole_filled.pcapng"):
        assert want
    got = {st.frames[-1]: st for f in load(path).fetches for st in f.steps
           if st.kind.startswith("tls.server_hello.lost")}
    assert {k: st.frames for k, st in got.items()} == want
    for frame, st in got.items():
        assert st.kind == ("tls.server_hello.lost.ack" if len(want[frame]) == 3 else "tls.server_hello.lost")
        assert st.facts["wait_ms"] == pytest.approx((_t(by_frame[frame]) - _t(by_frame[want[frame][0]])) * 1e3,
                                                    abs=0.01)
        (part,) = [d for f in load(path).fetches for d in f.breakdown if d.frames == (want[frame][0], frame)]
        assert part.what == "lost_flight"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_an_answer_lost_after_its_request_is_told_wherever_tshark_shows_one(path):
    """Every resent request whose answer echoes (TSecr) a copy the server had, by tshark: when the answer came more
    than 200 ms after that copy and no server segment came in between, the step says the answer was most likely
    lost too (".answer_lost" when the client sent yet another copy, ".answer_lost.quiet" when not); else not."""
    segs = rows(path)
    by_frame = {int(r["frame.number"]): r for r in segs}
    told = [st for f in load(path).fetches for st in f.steps if st.kind.startswith("http.wait.resent.request_lost")]
    for st in told:
        hit = by_frame[st.facts["copy_frame"]]
        answer = by_frame[max(st.frames)]
        assert answer["tcp.options.timestamp.tsecr"] == hit["tcp.options.timestamp.tsval"]
        later = [int(r["frame.number"]) for r in segs if r["tcp.stream"] == hit["tcp.stream"]
                 and r["ip.src"] == hit["ip.src"] and r["tcp.seq"] == hit["tcp.seq"] and r["tcp.len"] == hit["tcp.len"]
                 and _t(hit) < _t(r) < _t(answer)]
        quiet = not any(r["tcp.stream"] == hit["tcp.stream"] and r["ip.src"] == answer["ip.src"]
                        and _t(hit) < _t(r) < _t(answer) for r in segs)
        lost = quiet and _t(answer) - _t(hit) > 0.2
        suffix = (".answer_lost" if later else ".answer_lost.quiet") if lost else ""
        assert st.kind.removeprefix("http.wait.resent.request_lost").removeprefix(".again") == suffix
        if lost:
            assert st.facts["later_frames"] == later
            assert st.facts["had_ms"] == pytest.approx((_t(answer) - _t(hit)) * 1e3, abs=0.01)
    kept = {"lab_lossy_answer_and_tail_lost.pcapng": ".answer_lost", "lab_https_answer_lost_quiet.pcapng": ".quiet"}
    if path.name in kept:       # the recordings kept for these cases hold them (record_captures.py)
        assert any(st.kind.endswith(kept[path.name]) for st in told)
