"""``analyzer http FILE``: one line per HTTP transaction (time, client, method, host, URI, status, content
type, body size, time to first byte, total time, stream); ``--json``: one JSON object per line with the
fields of :mod:`analyzer.report.http` (Zeek http.log names included).

HTTP is found on any TCP port by its first bytes; a connection whose bytes are not HTTP is left alone.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

import click

from analyzer.apps.transactions import Transactions
from analyzer.cli._common import capture
from analyzer.cli.main import main
from analyzer.pipeline import Pipeline


def run(file: str, tx: Transactions) -> int | None:
    """Run FILE through the pipeline with ``tx``'s sinks; the capture's first timestamp (None if empty).
    A capture that cannot be read ends the command (one line on stderr, exit code 2)."""
    pipe = Pipeline(sinks=tx.factories, analysis=False)
    first = None
    packet = tx.packet
    with capture(file) as reader:
        for pkt in pipe.run(reader):
            if first is None:
                first = pkt.frame.ts_ns
            packet(pkt)
    tx.finish()
    return first


def echo_lines(lines: Iterable[str]) -> None:
    """Print lines; a reader that goes away (``| head``) ends the command quietly."""
    try:
        for line in lines:
            click.echo(line)
        sys.stdout.flush()
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        sys.exit(0)


@main.command("http")
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per transaction.")
def http_command(file: str, as_json: bool) -> None:
    """List the HTTP/1.x transactions of FILE: each request paired with its response."""
    from analyzer.report import http as report

    tx = Transactions(dns=False, fields=False)
    first = run(file, tx)
    rows = report.rows(tx.http.sorted_records())
    if as_json:
        echo_lines(report.json_lines(rows))
    else:
        echo_lines([report.table(rows, first)])
