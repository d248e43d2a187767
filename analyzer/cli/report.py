"""``analyzer report FILE -o OUT.html``: one self-contained HTML page (no network needed to view it) with
each page fetch's steps and explanations, an SVG waterfall and an SVG ladder diagram."""

from __future__ import annotations

import sys

import click

from analyzer.cli._common import EXIT_USAGE, files_argument, keylog_option
from analyzer.cli._output import atomic_output
from analyzer.cli.main import main
from analyzer.cli.timeline import load_timeline, selection_options
from analyzer.report.html import html_report
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
    tl = load_timeline(files, lang, host, url, client, keylog_path=keylog_path, keep_bodies=True)
    page = html_report(tl, source=", ".join(files))
    if output == "-":
        click.echo(page)
        return
    try:
        with atomic_output(output) as tmp, open(tmp, "w", encoding="utf-8") as out:
            out.write(page)
    except OSError as err:
        click.echo(f"analyzer: {output}: {err.strerror or err}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"{output}: {count(len(tl.fetches), 'page fetch', 'page fetches')}", err=True)
