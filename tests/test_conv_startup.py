"""Start-up of ``analyzer conversations``: it imports none of the modules only other commands use (the
analysis pass of analyzer.api.build and the HTTP/2 and TLS stages it pulls in, the TLS key log, the
display-filter compiler without -Y) -- about a sixth of its start-up on a small capture --
and still imports them when asked for (-Y, the library's tables)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = "captures/lab_page_fetch.pcapng"
DSB = ROOT / "tests" / "fixtures" / "tls" / "tls13_http11_dsb.pcapng"

# the command in-process, then which of the modules named on the command line it loaded
PROBE = """
import sys
from analyzer.cli.main import main
names = sys.argv[1].split(",")
try:
    main(sys.argv[2:], prog_name="analyzer", standalone_mode=False)
finally:
    print("LOADED", ",".join(m for m in names if m in sys.modules), file=sys.stderr)
"""

UNNEEDED = ("analyzer.api.build", "analyzer.api.tables", "analyzer.api.packets", "analyzer.apps.tls.keylog",
            "analyzer.apps.http2", "analyzer.filter._parser")


def loaded(names: tuple[str, ...], *args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, ",".join(names), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return set(filter(None, proc.stderr.rsplit("LOADED ", 1)[1].strip().split(",")))


def test_conversations_imports_only_what_it_uses():
    assert loaded(UNNEEDED, "conversations", CAPTURE) == set()
    assert loaded(UNNEEDED, "conversations", "--json", CAPTURE) == set()


def test_the_lazy_modules_still_load_when_asked_for():
    assert "analyzer.filter._parser" in loaded(UNNEEDED, "conversations", "-Y", "tcp.port == 80", CAPTURE)
    # a capture holding TLS secrets (a Decryption Secrets Block): read into the capture's key log
    assert "analyzer.apps.tls.keylog" in loaded(UNNEEDED, "conversations", str(DSB))


def test_the_library_keeps_its_names_and_key_log():
    code = ("import analyzer.api as api, analyzer\n"
            "cap = analyzer.open('captures/lab_page_fetch.pcapng')\n"
            "assert type(cap) is api.Capture and api.Analysis.__name__ == 'Analysis'\n"
            "assert cap.keylog is cap.keylog and not len(cap.keylog)\n"
            "print(len(cap.connections))\n"
            f"dsb = analyzer.open({str(DSB)!r})\n"
            "dsb.connections\n"
            "assert len(dsb.keylog) > 0\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) > 0
