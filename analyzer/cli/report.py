"""``analyzer report FILE -o OUT.html``: one self-contained HTML page (no network needed to view it) with
each page fetch's steps and explanations, an SVG waterfall and an SVG ladder diagram.

Each fetch's section is made as soon as the timeline completes the fetch and kept as text in a temporary spool
file, not as the fetch: the page's top lines (which count the failed connections of them all) are written
first, then the sections. Memory holds the open fetches, not the whole capture's (5.4 GB at 1M frames before)."""

from __future__ import annotations

import shutil
import sys
import tempfile

import click

from analyzer.cli._common import EXIT_USAGE, files_argument, keylog_option
from analyzer.cli._output import atomic_output
from analyzer.cli.main import main
from analyzer.cli.timeline import selection_options, stream
from analyzer.report.html import REPORT_TAIL, failed_count, fetch_section, report_head
from analyzer.report.units import count
from analyzer.timeline.texts import LANGS


@main.command("report")
@files_argument
@click.option("-o", "--output", "output", default="-", show_default=True, type=click.Path(dir_okay=False),
              help="The HTML file to write (standard output when omitted or '-').")
@click.option("--lang", type=click.Choice(LANGS), default="en", show_default=True,
              help="Language of the explanations.")
@selection_options
@keylog_option
def report(files: tuple[str, ...], output: str, lang: str, host: str | None, url: str | None,
           client: str | None, keylog_path: str | None = None) -> None:
    """Write an HTML report of the page fetches in FILE: timeline, waterfall, ladder diagram."""
    fetches = failed = 0
    with tempfile.TemporaryFile("w+", encoding="utf-8", prefix="analyzer-report-") as spool:
        for f in stream(files, lang, host, url, client, keylog_path=keylog_path, keep_bodies=True):
            spool.write("\n" + fetch_section(f, lang))
            failed += failed_count(f)
            fetches += 1
        head = "\n".join(report_head(lang, ", ".join(files), bool(fetches), failed))
        tail = "\n" + REPORT_TAIL + "\n"

        def write(out) -> None:
            out.write(head)
            spool.seek(0)
            shutil.copyfileobj(spool, out, 1 << 20)
            out.write(tail)

        if output == "-":
            out = sys.stdout
            write(out)
            out.write("\n")        # (as click.echo of the whole page wrote it)
            out.flush()
            return
        try:
            with atomic_output(output) as tmp, open(tmp, "w", encoding="utf-8") as out:
                write(out)
        except OSError as err:
            click.echo(f"analyzer: {output}: {err.strerror or err}", err=True)
            sys.exit(EXIT_USAGE)
    click.echo(f"{output}: {count(fetches, 'page fetch', 'page fetches')}", err=True)
