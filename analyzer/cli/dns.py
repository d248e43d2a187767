"""``analyzer dns FILE...``: one line per DNS transaction (query paired with its response by client, server,
ports and ID, over UDP and TCP; retransmissions, unanswered queries, truncated answers and their retry over
TCP shown); ``--json``: one JSON object per line with the fields of :mod:`analyzer.report.dns` (Zeek dns.log
names included)."""

from __future__ import annotations

import click

from analyzer.cli._common import decode_as_option, files_argument, opened
from analyzer.cli.http import echo_lines, jobs_option, results_of
from analyzer.cli.main import main
from analyzer.filter.cli import display_filter_option
from analyzer.report.columns import json_lines


@main.command("dns")
@files_argument
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per transaction.")
@display_filter_option
@jobs_option
@decode_as_option
def dns_command(files: tuple[str, ...], as_json: bool, display_filter, jobs: int, decode_as: tuple = ()) -> None:
    """List the DNS transactions of FILE... (mDNS and LLMNR included): query, answers, TTLs, RTT.

    With -Y, only the transactions whose query or response frame matches the filter. FILE... are
    pcap/pcapng captures (gzip too), merged by time when there are several; - is standard input.
    A DNS server on another port: -d udp.port==5300,dns (or tcp.port==N,dns), as tshark spells it.
    """
    from analyzer.report import dns as report

    with opened(files, display_filter) as cap:
        results = results_of(cap, "tx", jobs, decode_as)
        rows = report.rows(results.dns)
    if as_json:
        echo_lines(json_lines(rows))
    else:
        echo_lines([report.table(rows, results.first_ts_ns)])
