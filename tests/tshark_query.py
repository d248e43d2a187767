"""tshark as the oracle of the tests: the values of some fields for the frames a display filter keeps, one list
per frame (multiple occurrences of a field joined by tshark's comma); the test is skipped when tshark is not
installed. ``keys``: a TLS key log, for fields tshark reads only after decrypting."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TSHARK = shutil.which("tshark")


def fields(path: Path, display: str, *names: str, keys: Path | None = None) -> list[list[str]]:
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    args = [TSHARK, "-r", str(path), "-Y", display, "-T", "fields", "-E", "separator=/t"]
    if keys is not None:
        args[3:3] = ["-o", f"tls.keylog_file:{keys}"]
    for name in names:
        args += ["-e", name]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout
    return [line.split("\t") for line in out.splitlines() if line.strip()]
