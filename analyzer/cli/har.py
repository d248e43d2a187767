"""``analyzer har FILE -o OUT.har``: the capture's page fetches as an HTTP Archive (HAR 1.2), one page per
fetch, that browser developer tools can import."""

from __future__ import annotations

import json
import sys

import click

from analyzer.cli._common import EXIT_USAGE, files_argument, keylog_option
from analyzer.cli._output import atomic_output
from analyzer.cli.main import main
from analyzer.cli.timeline import load_timeline, selection_options
from analyzer.report.har import har
from analyzer.report.units import count


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
    tl = load_timeline(files, "en", host, url, client, keylog_path=keylog_path, keep_bodies=True,
                       ladder=False)        # HAR has no ladder
    doc = har(tl, source=", ".join(files))
    text = json.dumps(doc, indent=2, ensure_ascii=True)
    if output == "-":
        click.echo(text)
        return
    try:
        with atomic_output(output) as tmp, open(tmp, "w", encoding="utf-8") as out:
            out.write(text + "\n")
    except OSError as err:
        click.echo(f"analyzer: {output}: {err.strerror or err}", err=True)
        sys.exit(EXIT_USAGE)
    # what the file holds (a fetch with no request has no page; a connection row with no HTTP, no entry)
    click.echo(f"{output}: {count(len(doc['log']['pages']), 'page')}, "
               f"{count(len(doc['log']['entries']), 'entry', 'entries')}", err=True)
