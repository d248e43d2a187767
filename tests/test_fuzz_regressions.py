"""Every input fuzzing ever found, kept in fuzz/regressions/TARGET/, replayed through its target; and each
file of ../shared/fuzz-repro through the commands its README names: exit 0, 1 or 2, never a traceback.

A capture found through ``pipeline`` or ``timeline`` is replayed through every command of the three capture
targets (a fix in one renderer must not leave the same input failing in another); a program found through
``explain`` is played into its capture (fuzz/scenario.py) and replayed the same way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fuzz.targets import (
    EXPLAIN_COMMANDS,
    PIPELINE_COMMANDS,
    TARGETS,
    TIMELINE_COMMANDS,
    every_command,
    explain_capture,
)

REGRESSIONS = ROOT / "fuzz" / "regressions"
REPRO = ROOT.parent / "shared" / "fuzz-repro"


def _cases():
    for folder in sorted(REGRESSIONS.iterdir()) if REGRESSIONS.is_dir() else ():
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file() and path.suffix != ".md":
                    yield pytest.param(folder.name, path, id=f"{folder.name}/{path.name}")


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang("the input ran past the fuzz runner's bound (a hang)")


@contextlib.contextmanager
def bounded(seconds: int):
    """Fail with :class:`Hang` past ``seconds``: a hang found by fuzzing fails its test, never stalls the
    suite."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("target, path", list(_cases()))
def test_regression_input(target, path):
    data = path.read_bytes()
    # the fuzz runner's bound (30 s) per command
    captures = ("pipeline", "timeline", "explain")
    with bounded(30 * (len(PIPELINE_COMMANDS) + len(TIMELINE_COMMANDS) + len(EXPLAIN_COMMANDS))
                 if target in captures else 30):
        if target == "explain":
            every_command(explain_capture(data))
        elif target in captures:
            every_command(data)
        else:
            TARGETS[target](data)


def _captures():
    for target in ("pipeline", "timeline"):
        for param in _cases():
            if param.values[0] == target:
                yield param


@pytest.mark.parametrize("target, path", list(_captures()))
def test_regression_capture_counts_the_same_both_ways(target, path):
    """The columnar counting pass (conversations) and the per-packet one give the same rows on every capture
    fuzzing found (a hang of the columnar pass was one: a run of segments it could not start)."""
    from analyzer.capture import CaptureError, open_capture
    from analyzer.columnar import count
    from analyzer.pipeline import Pipeline

    rows = []
    for columnar in (False, True):
        pipe = Pipeline(analysis=False, dns_over_tcp=False)
        try:
            with bounded(60), open_capture(path) as reader:
                count(pipe, reader) if columnar else pipe.count(reader)
        except CaptureError:
            return                                          # not a capture (or cut): nothing to compare
        rows.append(pipe.tcp_rows(details=True) + pipe.udp.summaries())
    assert rows[0] == rows[1]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("ANALYZER_TRACEBACK", None)
    return subprocess.run([sys.executable, "-m", "analyzer", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, errors="replace", timeout=300, check=False)


# file -> the commands ../shared/fuzz-repro/README.md names for it
REPRO_COMMANDS = {
    "timeline_waterfall_indexerror.pcapng": [["timeline", "{f}"], ["report", "{f}", "-o", "x.html"]],
    "far_future_timestamp_valueerror.pcapng": [["timeline", "{f}"], ["timeline", "{f}", "--json"],
                                               ["har", "{f}", "-o", "x.har"], ["report", "{f}", "-o", "x.html"],
                                               ["read", "{f}", "-V"], ["http", "{f}"]],
    "har_charset_nul_valueerror.pcapng": [["har", "{f}", "-o", "x.har"], ["http", "{f}"]],
    "har_charset_undefined_unicodeerror.pcap": [["har", "{f}", "-o", "x.har"], ["http", "{f}"]],
    "ipfrag_5000_fragments_one_datagram_quadratic.pcap.gz": [["conversations", "{f}"], ["read", "{f}", "-c", "5"]],
    "export_objects_5000_same_uri_quadratic.pcap.gz": [["export-objects", "{f}", "objects"]],
}


@pytest.mark.skipif(not REPRO.is_dir(), reason="../shared/fuzz-repro is not beside the repository")
@pytest.mark.parametrize("name", sorted(REPRO_COMMANDS))
def test_fuzz_repro_file_gives_a_documented_exit(name, tmp_path):
    for args in REPRO_COMMANDS[name]:
        r = run(*[a.format(f=REPRO / name) for a in args], cwd=tmp_path)
        assert r.returncode in (0, 1, 2), (args, r.returncode, r.stderr[-3000:])
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, (args, r.stderr[-3000:])


@pytest.mark.skipif(not (REPRO / "filters.jsonl").is_file(), reason="../shared/fuzz-repro is not beside the repository")
def test_fuzz_repro_filters_through_read_and_conversations(tmp_path):
    """Each filter of ../shared/fuzz-repro/filters.jsonl as a user gives it, ``read -Y`` (the README's command)
    and ``conversations -Y`` (the column filter) on a capture: exit 0 or 2 with the bad-filter message, never a
    traceback (tests/test_filter_robust.py compiles them in-process)."""
    import json

    capture = ROOT / "captures" / "lab_page_fetch.pcapng"
    for line in (REPRO / "filters.jsonl").read_text().splitlines():
        text = json.loads(line)["filter"]
        for cmd in (["read", "-Y", text, str(capture)], ["conversations", "-Y", text, str(capture)]):
            argv = [sys.executable, "-m", "analyzer", *cmd]
            env = dict(os.environ, PYTHONPATH=str(ROOT), LC_ALL="C.UTF-8", PYTHONIOENCODING="utf-8")
            env.pop("ANALYZER_TRACEBACK", None)
            r = subprocess.run([os.fsencode(a) for a in argv], cwd=tmp_path, env=env, capture_output=True,
                               timeout=300, check=False)
            err = r.stderr.decode("utf-8", "replace")
            assert r.returncode in (0, 2), (cmd[:2], text[:60], r.returncode, err[-2000:])
            assert "Traceback" not in err and "internal error" not in err, (cmd[:2], text[:60], err[-2000:])
            if r.returncode == 2:
                assert err.startswith("analyzer: error: bad display filter:"), (text[:60], err[-500:])
