"""``analyzer dns FILE``: one line per DNS transaction (query paired with its response by client, server,
ports and ID, over UDP and TCP; retransmissions and unanswered queries shown); ``--json``: one JSON
object per line with the fields of :mod:`analyzer.report.dns` (Zeek dns.log names included)."""

from __future__ import annotations

import click

from analyzer.apps.transactions import Transactions
from analyzer.cli.http import echo_lines, run
from analyzer.cli.main import main


@main.command("dns")
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per transaction.")
def dns_command(file: str, as_json: bool) -> None:
    """List the DNS transactions of FILE (mDNS and LLMNR included): query, answers, RTT."""
    from analyzer.report import dns as report

    tx = Transactions(http=False, fields=False)
    first = run(file, tx)
    rows = report.rows(tx.dns.transactions)
    if as_json:
        echo_lines(report.json_lines(rows))
    else:
        echo_lines([report.table(rows, first)])
