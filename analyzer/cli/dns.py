"""``analyzer dns FILE``: one line per DNS transaction (query paired with its response by client, server,
ports and ID, over UDP and TCP; retransmissions and unanswered queries shown); ``--json``: one JSON
object per line with the fields of :mod:`analyzer.report.dns` (Zeek dns.log names included)."""

from __future__ import annotations

import click

from analyzer.apps.transactions import Transactions
from analyzer.cli.http import echo_lines, run
from analyzer.cli.main import main
from analyzer.filter.apply import FrameMatcher
from analyzer.filter.cli import display_filter_option
from analyzer.report.columns import json_lines


@main.command("dns")
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per transaction.")
@display_filter_option
def dns_command(file: str, as_json: bool, display_filter) -> None:
    """List the DNS transactions of FILE (mDNS and LLMNR included): query, answers, RTT.

    With -Y, only the transactions whose query or response frame matches the filter."""
    from analyzer.report import dns as report

    tx = Transactions(http=False, fields=display_filter is not None)
    matched = FrameMatcher(display_filter)
    first = run(file, tx, matched)
    rows = report.rows([t for t in tx.dns.transactions if matched.any(t.query_frame, t.response_frame)])
    if as_json:
        echo_lines(json_lines(rows))
    else:
        echo_lines([report.table(rows, first)])
