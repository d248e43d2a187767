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
from analyzer.cli._common import capture, keylog_option, load_keylog
from analyzer.cli.main import main
from analyzer.filter.apply import FrameMatcher
from analyzer.filter.cli import display_filter_option
from analyzer.pipeline import Pipeline
from analyzer.report.columns import json_lines


def run(file: str, tx: Transactions, matched: FrameMatcher | None = None) -> int | None:
    """Run FILE through the pipeline with ``tx`` as its transaction stage; the capture's first timestamp
    (None if empty). ``matched`` (a display filter's matcher) sees every packet after that stage. A capture
    that cannot be read ends the command (one line on stderr, exit code 2). TLS keys in the capture's
    Decryption Secrets Blocks go into ``tx.tls.keylog``."""
    filtering = matched is not None and matched.keep is not None
    # TCP analysis fields are only needed when a display filter may ask for them.
    pipe = Pipeline(transactions=tx, analysis=filtering)
    first = None
    with capture(file, tx.tls.keylog if tx.tls is not None else None) as reader:
        for pkt in pipe.run(reader):
            if first is None:
                first = pkt.frame.ts_ns
            if filtering:
                matched(pkt)
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
@keylog_option
@display_filter_option
def http_command(file: str, as_json: bool, display_filter, keylog_path: str | None = None) -> None:
    """List the HTTP/1.x transactions of FILE: each request paired with its response; HTTPS too when the
    TLS keys are known (--keylog FILE, or a pcapng carrying them).

    With -Y, only the transactions whose request or response frame matches the filter."""
    from analyzer.report import http as report

    tx = Transactions(dns=False, fields=display_filter is not None, keylog=load_keylog(keylog_path))
    matched = FrameMatcher(display_filter)
    first = run(file, tx, matched)
    rows = report.rows([r for r in tx.http.sorted_records() if matched.any(r.request_frame, r.response_frame)])
    if as_json:
        echo_lines(json_lines(rows))
    else:
        echo_lines([report.table(rows, first)])
