"""Running tshark as an oracle: a run that failed, or printed nothing, proves nothing and must not pass for an
empty answer (issue 14). Every differential helper goes through :func:`tshark_output`."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
CUT_SHORT = "cut short in the middle of a packet"     # tshark read a truncated file to its end: exit 2


def tshark_output(cmd: list[str], what: object = "", *, allow_empty: bool = False, **kwargs) -> str:
    """tshark's stdout for ``cmd``; an AssertionError when tshark failed, or printed nothing."""
    kwargs.setdefault("timeout", 300)
    run = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    assert run.returncode == 0 or CUT_SHORT in (run.stderr or ""), \
        f"tshark failed on {what} (exit {run.returncode}): {(run.stderr or '')[-2000:]}"
    assert allow_empty or (run.stdout or "").strip(), f"tshark printed nothing for {what}: {' '.join(cmd)}"
    return run.stdout


# file -> why tshark's frames cannot be compared with ours one by one
NOT_FRAME_BY_FRAME = {
    "pcapng_bigendian_3_sections_all_blocks.pcapng":
        "tshark numbers pcapng custom blocks as frames (11 'frames'); the capture layer yields the 8 packets",
}


def every_capture() -> list[Path]:
    """The files a field is compared on: captures/, the shared corpus when it is there, the tests' fixtures."""
    return (sorted((ROOT / "captures").glob("*.pcap*")) + (sorted(CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else [])
            + sorted(p for p in (ROOT / "tests" / "fixtures").rglob("*.pcap*") if p.suffix in (".pcap", ".pcapng")))
