"""Start-up: a command imports only what it uses. ``cryptography`` (~0.1 s of every start) is loaded when a
TLS connection has keys to decrypt or a certificate to read, not by ``read`` on a capture without TLS."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run the command in-process, then list which of the heavy optional packages it loaded.
PROBE = """
import sys
from analyzer.cli.main import main
try:
    main(sys.argv[1:], prog_name="analyzer", standalone_mode=False)
finally:
    heavy = ("cryptography", "pandas", "pyarrow", "dask", "distributed")
    print("LOADED", sorted(m for m in heavy if m in sys.modules), file=sys.stderr)
"""


def loaded(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr.rsplit("LOADED ", 1)[1].strip()


def test_read_without_tls_loads_no_heavy_package():
    assert loaded("read", "-c", "1", "captures/lab_page_fetch.pcapng") == "[]"


def test_read_of_tls_with_keys_loads_cryptography():
    # Certificates are read and records decrypted with cryptography: the lazy imports still happen.
    out = loaded("read", "--keylog", "captures/lab_https_page_fetch.keys", "captures/lab_https_page_fetch.pcapng")
    assert out == "['cryptography']"
