"""How the demo and the lab reach the timeline of a capture they wrote: through ``analyzer timeline``, its
public face (``analyzer watch`` feeds frames to :class:`analyzer.timeline.collect.Collector` directly).

The timeline (``analyzer/timeline``, ``analyzer/report/timeline_text.py``) is another engineer's module;
its command line is the contract this side relies on: ``analyzer timeline FILE`` prints the steps of every
page fetch, ``analyzer timeline --json FILE`` prints ``{"fetches": [{..., "steps": [{"frame", "time",
"layer", "step", "text"}, ...]}]}``. Both run in-process (no second interpreter), on the same analysis
code that reads any capture file. When the command is not there (yet), callers get ``None`` / ``False``
and fall back to per-frame lines.
"""

from __future__ import annotations

import json
from typing import Any


def _main():
    from analyzer.cli.main import main

    return main


def timeline_available() -> bool:
    return "timeline" in _main().commands


def _invoke(args: list[str]) -> tuple[int, str, str]:
    from click.testing import CliRunner

    runner = CliRunner()
    result = runner.invoke(_main(), args, catch_exceptions=True)
    stderr = ""
    try:
        stderr = result.stderr
    except ValueError:      # click < 8.2 without mix_stderr=False: stderr is in the output
        pass
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr = (stderr + f"\n{type(result.exception).__name__}: {result.exception}").strip()
    return result.exit_code, result.stdout if hasattr(result, "stdout") else result.output, stderr


def timeline_text(path: str, extra: list[str] | None = None) -> str | None:
    """``analyzer timeline FILE`` as text, or None when the command is missing or failed."""
    if not timeline_available():
        return None
    code, out, _err = _invoke(["timeline", *(extra or []), path])
    if code != 0:
        return None if not out.strip() else out
    return out


def timeline_json(path: str, extra: list[str] | None = None) -> dict[str, Any] | None:
    """``analyzer timeline --json FILE`` parsed, or None."""
    if not timeline_available():
        return None
    code, out, _err = _invoke(["timeline", "--json", *(extra or []), path])
    if code != 0 or not out.strip():
        return None
    try:
        return json.loads(out)
    except ValueError:
        return None


def frame_lines(path: str) -> list[str]:
    """The capture as ``analyzer read`` prints it (the fallback when there is no timeline)."""
    from analyzer.capture import open_capture
    from analyzer.cli.capture import frame_analyzer
    from analyzer.report.summary import Summary

    summary = Summary()
    feed = frame_analyzer()
    with open_capture(path) as reader:
        return [summary.line(feed(frame)) for frame in reader]
