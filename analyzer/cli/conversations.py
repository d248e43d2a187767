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
    want_tcp, want_udp = proto in ("all", "tcp"), proto in ("all", "udp")
    filter_text = display_filter and display_filter.text
    from analyzer.filter._vector import vector_filter

    with capture(file) as reader:
        if display_filter is None or vector_filter(display_filter.text) is not None:
            from analyzer.columnar.rows import connection_rows

            # the columnar core: the same rows as the per-packet pass, kept on disk as connections finish
            # (a -Y filter on header fields is answered from the columns too)
            tcp_rows, udp_rows, start = connection_rows(reader, details=as_json, tcp=want_tcp, udp=want_udp,
                                                        keys=None if as_json else report.TABLE_KEYS,
                                                        display_filter=display_filter)
        else:
            from analyzer.filter.apply import matching_frames

            pipe = Pipeline(analysis=False, dns_over_tcp=False)
            pipe.count(matching_frames(reader, display_filter))
            start = pipe.first_ts_ns
            # release: each connection is forgotten once its row is made, so memory holds one or the other
            tcp_rows = pipe.tcp_rows(details=as_json, release=True) if want_tcp else []
            udp_rows = pipe.udp.summaries(release=True) if want_udp else []
    if as_json:
        for rows in (tcp_rows, udp_rows):
            _echo_lines(report.json_lines(rows))
        return
    if want_tcp:
        _echo_lines(report.table_lines(tcp_rows, "tcp", start, filter_text))
    if want_udp:
        _echo_lines(report.table_lines(udp_rows, "udp", start, filter_text))
    click.echo("State (Zeek conn_state):")
    click.echo(report.legend())


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
