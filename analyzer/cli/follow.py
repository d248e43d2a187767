"""``analyzer follow FILE... STREAM``: the reassembled bytes of one TCP connection, like
``tshark -z follow,tcp,ascii,STREAM``; ``--hex`` as a hex dump; ``--raw orig|resp`` writes one direction's
bytes to stdout unchanged (for piping into a file, not a terminal). ``--tls`` follows the decrypted
application data of a TLS connection instead (``tshark -z follow,tls,ascii,STREAM``), with the keys of
``--keylog FILE`` or of the capture's Decryption Secrets Blocks."""

from __future__ import annotations

import sys

import click

from analyzer.api.build import summary_row
from analyzer.apps.tls import TlsTracker
from analyzer.cli._common import fail, files_argument, keylog_option, load_keylog, opened
from analyzer.cli.main import main
from analyzer.report.follow import FollowSink, ascii_text, hex_text


@main.command("follow")
@files_argument
@click.argument("stream", type=click.IntRange(min=0))
@click.option("--hex", "as_hex", is_flag=True, help="Show the bytes as a hex dump.")
@click.option("--raw", "raw", type=click.Choice(["orig", "resp", "0", "1"]), default=None,
              help="Write one direction's bytes (orig = client, resp = server) to stdout as they are.")
@click.option("--tls", "tls", is_flag=True,
              help="Follow the decrypted TLS application data (needs the keys: --keylog FILE).")
@keylog_option
def follow(files: tuple[str, ...], stream: int, as_hex: bool, raw: str | None, tls: bool = False,
           keylog_path: str | None = None) -> None:
    """Show the reassembled conversation of TCP stream STREAM (the tcp.stream number) of FILE...; with
    --tls the decrypted HTTPS conversation.

    FILE... are pcap/pcapng captures (gzip too), merged by time when there are several; - is standard input.
    """
    sinks: dict[int, FollowSink] = {}

    def factory(conn):
        if conn.stream != stream:
            return None
        sink = sinks[stream] = FollowSink()
        return sink

    keylog = load_keylog(keylog_path)
    tracker = None
    if tls:
        tracker = TlsTracker(keylog=keylog, fields=False, app_sinks=lambda conn, alpn: factory(conn))

        def tls_factory(conn):
            if conn.stream != stream:
                return None
            sinks.setdefault(stream, FollowSink())
            return tracker(conn)

    with opened(files, keylog=keylog) as cap:
        results = cap.analyze(sinks=[tls_factory if tls else factory])
    summary = next((summary_row(c) for c in results.connections if c.stream == stream), None)
    if summary is None or stream not in sinks:
        fail(f"{' '.join(files)}: no TCP stream {stream} (the capture has {len(results.connections)})")
    sink = sinks[stream]
    if tls and not any(isinstance(chunk, bytes) for _d, chunk in sink.chunks):
        session = next(iter(tracker.sessions), None)
        why = session.key_note if session is not None else "it carries no TLS"
        fail(f"{' '.join(files)}: TCP stream {stream} has no decrypted TLS data: {why or 'no application data'}")
    if raw is not None:
        direction = 0 if raw in ("orig", "0") else 1
        out = sys.stdout.buffer
        out.write(sink.stream(direction))
        out.flush()
        return
    mode = "tls" if tls else "tcp"
    click.echo(hex_text(sink, stream, summary, mode) if as_hex else ascii_text(sink, stream, summary, mode))
