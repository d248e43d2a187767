"""``analyzer conversations FILE``: TCP connections and UDP conversations, like ``tshark -z conv,tcp`` plus
Zeek's state and history, the initial RTT, who closed and who is left in TIME_WAIT. ``--json``: one JSON
object per line per connection."""

from __future__ import annotations

import click

from analyzer.cli._common import capture
from analyzer.cli.main import main
from analyzer.filter.cli import display_filter_option
from analyzer.pipeline import Pipeline
from analyzer.report import conversations as report


@main.command("conversations")
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per connection.")
@click.option("--proto", type=click.Choice(["all", "tcp", "udp"]), default="all", show_default=True,
              help="Which conversations to list.")
@display_filter_option
def conversations(file: str, as_json: bool, proto: str, display_filter=None) -> None:
    """List the TCP connections and UDP conversations of FILE with their state.

    With -Y, the conversations are counted over the frames the display filter matches (as tshark -Y with
    -z conv,tcp does)."""
    pipe = Pipeline(analysis=False, dns_over_tcp=False)
    with capture(file) as reader:
        if display_filter is not None:
            from analyzer.filter.apply import matching_frames

            pipe.count(matching_frames(reader, display_filter))
        else:
            from analyzer.columnar import count

            count(pipe, reader)
    rows = []
    # release: each connection is forgotten once its row is made, so memory holds one or the other
    if proto in ("all", "tcp"):
        rows += pipe.tcp_rows(details=as_json, release=True)
    if proto in ("all", "udp"):
        rows += pipe.udp.summaries(release=True)
    if as_json:
        for line in report.json_lines(rows):
            click.echo(line)
        return
    start = pipe.first_ts_ns
    if proto in ("all", "tcp"):
        click.echo(report.table(rows, "tcp", start, display_filter and display_filter.text))
    if proto in ("all", "udp"):
        click.echo(report.table(rows, "udp", start, display_filter and display_filter.text))
    click.echo("State (Zeek conn_state):")
    click.echo(report.legend())
