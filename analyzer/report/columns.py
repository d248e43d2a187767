"""Small text helpers the table reports share: terminal-safe endpoints and cells, JSON lines.

Every string here may come from a packet, so each goes through :mod:`analyzer.report.safe`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from analyzer.report.safe import json_safe, visible


def endpoint(addr: Any, port: Any) -> str:
    """``addr:port``, with an IPv6 address in brackets (``[2001:db8::1]:80``)."""
    addr = visible(str(addr))
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def cut(text: str | None, width: int) -> str:
    """A cell at most ``width`` characters wide ("-" when empty, "..." when cut)."""
    text = visible(text) if text else "-"
    return text if len(text) <= width else text[:width - 3] + "..."


def json_lines(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One JSON object per item, terminal-safe."""
    for item in items:
        yield json_safe(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
