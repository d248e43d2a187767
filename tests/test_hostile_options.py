"""Command-line values at the edges (issue 14): NaN and infinity given to options that take seconds, and a
number of worker processes far past the machine's. Each is a usage error (exit 2, one line naming the option)
or a bound that holds, never a traceback or a run that never ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "captures" / "lab_page_fetch.pcapng"


def analyzer(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, check=False)


@pytest.mark.parametrize("option", ["--tcp-idle-timeout", "--tcp-closed-linger", "--tcp-half-open-timeout"])
def test_nan_seconds_is_a_usage_error(option):
    r = analyzer(option, "nan", "conversations", str(PAGE))
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert f"Invalid value for '{option}': not a number of seconds" in r.stderr


@pytest.mark.parametrize("value", ["inf", "1e400", "1e30"])
def test_endless_seconds_mean_never(value):
    """A timeout of infinity (or past what a timestamp holds) never finishes a connection: the same table as
    the default's on a capture a few seconds long (was an OverflowError traceback, exit 1)."""
    want = analyzer("conversations", "--json", str(PAGE))
    for option in ("--tcp-idle-timeout", "--tcp-closed-linger", "--tcp-half-open-timeout"):
        r = analyzer(option, value, "conversations", "--json", str(PAGE))
        assert r.returncode == 0, r.stderr
        assert r.stdout == want.stdout


def test_nat_max_delay_nan_is_a_usage_error():
    r = analyzer("nat", str(PAGE), str(PAGE), "--max-delay", "nan")
    assert r.returncode == 2, r.stderr                  # was an internal error (exit 3)
    assert "Invalid value for '--max-delay': not a number of seconds" in r.stderr


def test_workers_past_the_machine_are_bounded(monkeypatch):
    """-j N starts at most 4 local processes per core (-j 99999 started 99,999 and never finished)."""
    from analyzer.logs import engine

    asked = []

    class Stop(Exception):
        pass

    def runner(workers, scheduler, progress):
        asked.append(workers)
        raise Stop

    monkeypatch.setattr(engine, "Runner", runner)
    with pytest.raises(Stop):
        engine.run_parallel([str(PAGE)], "count", workers=99_999)
    assert asked == [engine.WORKERS_PER_CORE * (os.cpu_count() or 1)]
    with pytest.raises(Stop):
        engine.run_parallel([str(PAGE)], "count", workers=2)
    assert asked[-1] == 2


def test_live_nan_seconds_are_usage_errors():
    """watch --interval nan waited NaN seconds between checks (no wait: a busy loop); capture -a duration:nan
    never stopped by itself. Both are refused before anything is captured."""
    r = analyzer("watch", "-i", "lo", "--interval", "nan")
    assert r.returncode == 2 and "Invalid value for '--interval': not a number of seconds" in r.stderr, r.stderr
    from analyzer.live import LiveError, parse_autostop

    with pytest.raises(LiveError, match="'nan' is not a positive number"):
        parse_autostop(["duration:nan"])
    assert parse_autostop(["duration:inf", "packets:3"]) == (float("inf"), 3)
