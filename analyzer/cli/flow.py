"""``analyzer flow FILE [STREAM]``: a ladder diagram of each TCP connection (or one), client | server, with
the handshake and teardown steps named."""

from __future__ import annotations

import sys

import click

from analyzer.cli._common import EXIT_USAGE, capture
from analyzer.cli.main import main
from analyzer.pipeline import Pipeline
from analyzer.report.flow import ladder, segment_row


@main.command("flow")
@click.argument("file", type=click.Path(dir_okay=True))
@click.argument("stream", type=click.IntRange(min=0), required=False)
def flow(file: str, stream: int | None) -> None:
    """Draw the segments of TCP stream STREAM (all streams when omitted) as a ladder diagram."""
    rows: dict[int, list] = {}
    pipe = Pipeline(dns_over_tcp=False)
    start = None
    with capture(file) as reader:
        for pkt in pipe.run(reader):
            if start is None:
                start = pkt.frame.ts_ns
            row = segment_row(pkt)
            if row is not None and (stream is None or row["stream"] == stream):
                rows.setdefault(row["stream"], []).append(row)
    summaries = {r["stream"]: r for r in pipe.tcp_connections}
    if stream is not None and stream not in summaries:
        click.echo(f"analyzer: {file}: no TCP stream {stream} (the capture has {len(summaries)})", err=True)
        sys.exit(EXIT_USAGE)
    blocks = [ladder(rows.get(n, []), summaries[n], start) for n in sorted(summaries)
              if stream is None or n == stream]
    click.echo("\n\n".join(blocks))
