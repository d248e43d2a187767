"""Shared helpers for the TCP/flow tests: crafted captures (built once per session) and pipeline runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fixtures.tcp import craft

from analyzer.capture import open_capture
from analyzer.pipeline import Pipeline


def run(path: Path, **options: Any) -> tuple[Pipeline, list]:
    """Run a capture through the full pipeline; return it (finished) and the packets."""
    pipe = Pipeline(**options)
    with open_capture(path) as reader:
        packets = list(pipe.run(reader))
    return pipe, packets


def count(path: Path) -> Pipeline:
    """The conversations fast path."""
    pipe = Pipeline(analysis=False, dns_over_tcp=False)
    with open_capture(path) as reader:
        pipe.count(reader)
    return pipe


def connection_rows_of(path: Path) -> tuple[list[dict], list[dict]]:
    """The columnar pass's TCP and UDP connection rows of a capture (with details), as dicts."""
    from analyzer.columnar.rows import connection_rows

    with open_capture(path) as reader:
        tcp, udp, _start = connection_rows(reader, details=True)
        out = [dict(r) for r in tcp], [dict(r) for r in udp]
        tcp.close()
        udp.close()
        return out


def build_crafted(folder: Path) -> dict[str, Path]:
    return craft.build(folder)
