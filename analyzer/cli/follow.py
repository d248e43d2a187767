"""``analyzer follow FILE STREAM``: the reassembled bytes of one TCP connection, like
``tshark -z follow,tcp,ascii,STREAM``; ``--hex`` as a hex dump; ``--raw orig|resp`` writes one direction's
bytes to stdout unchanged (for piping into a file, not a terminal)."""

from __future__ import annotations

import sys

import click

from analyzer.cli._common import capture, fail
from analyzer.cli.main import main
from analyzer.pipeline import Pipeline
from analyzer.report.follow import FollowSink, ascii_text, hex_text


@main.command("follow")
@click.argument("file", type=click.Path(dir_okay=True))
@click.argument("stream", type=click.IntRange(min=0))
@click.option("--hex", "as_hex", is_flag=True, help="Show the bytes as a hex dump.")
@click.option("--raw", "raw", type=click.Choice(["orig", "resp", "0", "1"]), default=None,
              help="Write one direction's bytes (orig = client, resp = server) to stdout as they are.")
def follow(file: str, stream: int, as_hex: bool, raw: str | None) -> None:
    """Show the reassembled conversation of TCP stream STREAM (the tcp.stream number)."""
    sinks: dict[int, FollowSink] = {}

    def factory(conn):
        if conn.stream != stream:
            return None
        sink = sinks[stream] = FollowSink()
        return sink

    pipe = Pipeline(sinks=factory, dns_over_tcp=False)
    with capture(file) as reader:
        for _pkt in pipe.run(reader):
            pass
    summary = next((r for r in pipe.tcp_connections if r["stream"] == stream), None)
    if summary is None or stream not in sinks:
        fail(f"{file}: no TCP stream {stream} (the capture has {pipe.tcp.next_stream})")
    sink = sinks[stream]
    if raw is not None:
        direction = 0 if raw in ("orig", "0") else 1
        out = sys.stdout.buffer
        out.write(sink.stream(direction))
        out.flush()
        return
    click.echo(hex_text(sink, stream, summary) if as_hex else ascii_text(sink, stream, summary))
