"""``analyzer conversations FILE...``: TCP connections and UDP conversations, like ``tshark -z conv,tcp`` plus
Zeek's state and history, the initial RTT, who closed and who is left in TIME_WAIT. ``--json``: one JSON
object per line per connection."""

from __future__ import annotations

import click

from analyzer.cli._common import decode_as_option, files_argument, opened
from analyzer.cli.http import jobs_option, results_of
from analyzer.cli.main import main
from analyzer.filter.cli import display_filter_option
from analyzer.report import conversations as report


@main.command("conversations")
@files_argument
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per connection.")
@click.option("--proto", type=click.Choice(["all", "tcp", "udp"]), default="all", show_default=True,
              help="Which conversations to list.")
@display_filter_option
@jobs_option
@decode_as_option
def conversations(files: tuple[str, ...], as_json: bool, proto: str, display_filter=None, jobs: int = 1,
                  decode_as: tuple = ()) -> None:
    """List the TCP connections and UDP conversations of FILE... with their state.

    With -Y, the conversations are counted over the frames the display filter matches (as tshark -Y with
    -z conv,tcp does). FILE... are pcap/pcapng captures (gzip too), merged by time when there are several;
    - is standard input. -d (Decode As, tshark's spelling) changes what -Y sees (-d udp.port==5300,dns
    -Y dns).
    """
    want_tcp, want_udp = proto in ("all", "tcp"), proto in ("all", "udp")
    filter_text = display_filter and display_filter.text
    with opened(files, display_filter) as cap:
        if jobs == 1:
            # one process: rows kept on disk as connections finish (the columnar core for one file)
            tcp_rows, udp_rows, start = cap.connection_rows(details=as_json, tcp=want_tcp, udp=want_udp,
                                                            keys=None if as_json else report.TABLE_KEYS)
        else:
            from analyzer.api.build import summary_row

            results = results_of(cap, "count", jobs, decode_as)
            tcp_rows = [summary_row(c) for c in results.connections] if want_tcp else []
            udp_rows = [summary_row(c) for c in results.udp] if want_udp else []
            start = results.first_ts_ns
    if as_json:
        for rows in (tcp_rows, udp_rows):
            _echo_lines(report.json_lines(_with_uid(rows)))
        return
    if want_tcp:
        _echo_lines(report.table_lines(tcp_rows, "tcp", start, filter_text))
    if want_udp:
        _echo_lines(report.table_lines(udp_rows, "udp", start, filter_text))
    click.echo("State (Zeek conn_state):")
    click.echo(report.legend())


def _with_uid(rows):
    """Each row with its connection's uid (the one dns/http --json and analyzer logs give it)."""
    from analyzer.api.uid import connection_uid

    for row in rows:
        yield {**dict(row), "uid": connection_uid(row["proto"], row["id.orig_h"], row["id.orig_p"],
                                                  row["id.resp_h"], row["id.resp_p"], row["first_ts_ns"])}


def _echo_lines(lines) -> None:
    """Print lines a few thousand at a time (the table of a big capture is never held whole)."""
    chunk = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= 4096:
            click.echo("\n".join(chunk))
            chunk.clear()
    if chunk:
        click.echo("\n".join(chunk))
