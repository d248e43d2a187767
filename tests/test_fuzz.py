"""The fuzz budget (issue 14): every atheris target of fuzz/ runs for a fixed time, and must end without a
failure. The targets run at once (the wall time is the budget, about a minute and a half with start-up, whatever
the number of cores); each prints its summary line (inputs run, coverage) in the test log.

``ANALYZER_FUZZ_SECONDS`` sets the budget (default 30 s, plus the start-up of about a minute); ``python -m fuzz.run TARGET
--seconds N`` runs one target for longer (fuzz/README.md).

The budget is reproducible: libFuzzer's seed and Python's hash seed are fixed (``ANALYZER_FUZZ_SEED``, default
1; ``random`` for a new exploration each run), so a run explores what the same run explored on a developer's
machine, as far as its speed takes it. Finding new bugs is the job of longer runs with new seeds, not of CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fuzz.run import MAX_LEN

BUDGET = int(os.environ.get("ANALYZER_FUZZ_SECONDS", "30"))
SEED = os.environ.get("ANALYZER_FUZZ_SEED", "1")


def test_every_fuzz_target_holds_its_invariant_for_the_budget(tmp_path, capsys):
    try:
        import atheris  # noqa: F401
    except ImportError:
        pytest.fail("atheris is not installed: the fuzz budget needs the test extra (pip install '.[test]')")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    seed = [] if SEED == "random" else ["--", f"-seed={int(SEED)}"]
    if seed:
        env["PYTHONHASHSEED"] = "0"
    procs = {}
    for target in MAX_LEN:
        cmd = [sys.executable, "-m", "fuzz.run", target, "--seconds", str(BUDGET),
               "--artifacts", str(tmp_path / "artifacts"), "--corpus", str(tmp_path / "corpus" / target), *seed]
        procs[target] = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True, errors="replace")
    logs, failed = {}, []
    for target, proc in procs.items():
        try:
            logs[target], _ = proc.communicate(timeout=BUDGET + 300)
        except subprocess.TimeoutExpired:
            proc.kill()
            logs[target], _ = proc.communicate()
            failed.append(target)
        if proc.returncode != 0:
            failed.append(target)
    with capsys.disabled():                 # the summary lines go to the log of every run, -q included
        print()
        for target, log in logs.items():
            print(log.strip().splitlines()[-1] if log.strip() else f"fuzz {target}: no output")
    assert not failed, "\n\n".join(
        f"== {t} (minimize with: python -m fuzz.run {t} -- -minimize_crash=1 -runs=10000 CRASH_FILE; keep the "
        f"result in fuzz/regressions/{t}/)\n{logs.get(t, '')[-6000:]}" for t in failed)
