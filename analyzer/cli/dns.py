"""``analyzer dns FILE...``: one line per DNS transaction (query paired with its response by client, server,
ports and ID, over UDP and TCP; retransmissions, unanswered queries, truncated answers and their retry over
TCP shown); ``--json``: one JSON object per line with the fields of :mod:`analyzer.report.dns` (Zeek dns.log
names included).

In one process (``-j 1``, the default) the command streams (:meth:`analyzer.api.build.Analysis.dns_stream`):
each transaction is printed once final, in the order of the whole pass; the table's endpoint columns are as
wide as the widest endpoint of the first 1,000 rows (:data:`analyzer.report.dns.WIDTH_ROWS`, the only rows
held). ``-j N`` runs the whole pass in its processes and prints at the end."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import click

from analyzer.cli._common import decode_as_option, files_argument, opened
from analyzer.cli.http import echo_lines, jobs_option, results_of, streamed
from analyzer.cli.main import main
from analyzer.filter.cli import display_filter_option
from analyzer.report.jsonlines import row_lines

BATCH_LINES = 256


def batched(lines: Iterable[str], n: int = BATCH_LINES) -> Iterator[str]:
    """``lines`` joined ``n`` at a time: one write, and one flush, for ``n`` lines (the same bytes; click.echo
    costs more per call than the line's own making). A failure while the lines are made writes the lines made
    before it first."""
    batch: list[str] = []
    try:
        for line in lines:
            batch.append(line)
            if len(batch) == n:
                yield "\n".join(batch)
                batch = []
    except (Exception, KeyboardInterrupt):
        if batch:
            yield "\n".join(batch)
        raise
    if batch:
        yield "\n".join(batch)


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

    Each transaction is printed once final: when no later message can pair with it (30 s after its
    answer, 300 s unanswered, capture time), in the order the lookups began; memory follows the lookups
    still open, not the file. The table's Client and Server columns are as wide as the widest endpoint of
    the first 1,000 rows. A truncated UDP answer names the client's retry over TCP if it came within 30 s.
    """
    from analyzer.report import dns as report

    with opened(files, display_filter) as cap:
        if jobs == 1 or cap.paths == ["-"]:
            # each transaction once final (memory: open connections and lookups still to pair)
            # each transaction's row made straight from the tracker's transaction (no record); for the table only
            # the cells it shows (no uid)
            if as_json:
                rows, start = streamed(cap, "dns", make=report.transaction_row)
            else:
                rows, start = streamed(cap, "dns", make=report.table_cells, uids=False)
            lines = row_lines(rows, report.JSON_FLOAT_KEYS) if as_json else report.table_lines(rows, start)
            # a file's lines are written a batch at a time; standard input's (a live capture) each at once
            echo_lines(lines if cap.paths == ["-"] else batched(lines))
            return
        results = results_of(cap, "tx", jobs, decode_as)
        rows = report.rows(results.dns)
    if as_json:
        echo_lines(row_lines(rows, report.JSON_FLOAT_KEYS))
    else:
        echo_lines([report.table(rows, results.first_ts_ns)])
