"""``analyzer flow FILE [STREAM]``: a ladder diagram of each TCP connection (or one), client | server, with
the handshake and teardown steps named."""

from __future__ import annotations

import sys

import click

from analyzer.api.build import summary_row
from analyzer.cli._common import EXIT_USAGE, opened
from analyzer.cli.main import main
from analyzer.report.flow import ladder, segment_row


@main.command("flow")
@click.argument("file", metavar="FILE...", nargs=-1, required=True)
@click.option("-s", "--stream", "stream", type=click.IntRange(min=0), default=None, metavar="STREAM",
              help="Only this TCP stream (the tcp.stream number).")
def flow(file: tuple[str, ...], stream: int | None) -> None:
    """Draw the segments of each TCP stream of FILE... (or of STREAM) as a ladder diagram.

    FILE... are pcap/pcapng captures (gzip too), merged by time when there are several; - is standard
    input. The stream may also follow the file, as before: analyzer flow FILE STREAM.
    """
    files = list(file)
    if stream is None and len(files) > 1 and files[-1].isascii() and files[-1].isdigit():
        stream = int(files.pop())           # the old form: analyzer flow FILE STREAM
    rows: dict[int, list] = {}
    first: list[int] = []

    def on_packet(pkt) -> None:
        if not first:
            first.append(pkt.frame.ts_ns)
        row = segment_row(pkt)
        if row is not None and (stream is None or row["stream"] == stream):
            rows.setdefault(row["stream"], []).append(row)

    with opened(files) as cap:
        results = cap.analyze(on_packet=on_packet, fields=True)
    start = first[0] if first else None
    summaries = {c.stream: summary_row(c) for c in results.connections}
    if stream is not None and stream not in summaries:
        click.echo(f"analyzer: {' '.join(files)}: no TCP stream {stream} (the capture has {len(summaries)})",
                   err=True)
        sys.exit(EXIT_USAGE)
    blocks = [ladder(rows.get(n, []), summaries[n], start) for n in sorted(summaries)
              if stream is None or n == stream]
    click.echo("\n\n".join(blocks))
