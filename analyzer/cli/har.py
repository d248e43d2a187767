"""``analyzer har FILE -o OUT.har``: the capture's page fetches as an HTTP Archive (HAR 1.2), one page per
fetch, that browser developer tools can import.

The document is written from the fetches as the timeline completes them, not from the whole timeline held at
once: each fetch's entries (with their bodies) become JSON text in a temporary spool file as soon as the fetch
is complete, and are written out in the HAR's order (by start time) at the end. Memory then holds the open
fetches, the pages and one sort key per entry, not every body of the capture (5 GB at 1M frames before)."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator

import click

from analyzer.cli._common import EXIT_USAGE, files_argument, keylog_option
from analyzer.cli._output import atomic_output
from analyzer.cli.main import main
from analyzer.cli.timeline import selection_options, stream
from analyzer.report.har import document_parts, entry_text, page_of
from analyzer.report.units import count


def _spooled(files: tuple[str, ...], host: str | None, url: str | None, client: str | None,
             keylog_path: str | None, spool) -> tuple[list, list[tuple[int, int, int, int, int]]]:
    """The pages of the fetches, and per entry (start ns, request frame, arrival, offset, length) of its text
    written to ``spool`` (a binary file)."""
    pages: list = []
    keys: list[tuple[int, int, int, int, int]] = []
    for f in stream(files, "en", host, url, client, keylog_path=keylog_path, keep_bodies=True,
                    ladder=False):      # HAR has no ladder
        page, entries = page_of(f)
        if page is None:
            continue
        pages.append(page)
        for started, frame, e in entries:
            data = entry_text(e).encode("ascii")        # (ensure_ascii: one byte a character)
            keys.append((started, frame, len(keys), spool.tell(), len(data)))
            spool.write(data)
    keys.sort()
    return pages, keys


def _entries(spool, keys: list[tuple[int, int, int, int, int]]) -> Iterator[str]:
    spool.flush()
    for _started, _frame, _n, offset, length in keys:
        spool.seek(offset)
        yield spool.read(length).decode("ascii")


@main.command("har")
@files_argument
@click.option("-o", "--output", "output", default="-", show_default=True, type=click.Path(dir_okay=False),
              help="The HAR file to write (standard output when omitted or '-').")
@selection_options
@keylog_option
def har_command(files: tuple[str, ...], output: str, host: str | None, url: str | None,
                client: str | None, keylog_path: str | None = None) -> None:
    """Write the HTTP requests of FILE..., grouped into pages, as a HAR 1.2 file (to standard output
    without -o; HTTPS too, with --keylog). FILE... are captures, merged by time when there are several; - is
    standard input."""
    with tempfile.TemporaryFile(prefix="analyzer-har-") as spool:
        pages, keys = _spooled(files, host, url, client, keylog_path, spool)
        parts = document_parts(pages, _entries(spool, keys), ", ".join(files))
        if output == "-":
            out = sys.stdout
            for part in parts:
                out.write(part)
            out.write("\n")
            out.flush()
            return
        try:
            with atomic_output(output) as tmp, open(tmp, "w", encoding="utf-8") as out:
                for part in parts:
                    out.write(part)
                out.write("\n")
        except OSError as err:
            click.echo(f"analyzer: {output}: {err.strerror or err}", err=True)
            sys.exit(EXIT_USAGE)
    # what the file holds (a fetch with no request has no page; a connection row with no HTTP, no entry)
    click.echo(f"{output}: {count(len(pages), 'page')}, {count(len(keys), 'entry', 'entries')}", err=True)
