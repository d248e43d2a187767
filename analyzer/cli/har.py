"""``analyzer har FILE -o OUT.har``: the capture's page fetches as an HTTP Archive (HAR 1.2), one page per
fetch, that browser developer tools can import."""

from __future__ import annotations

import json
import sys

import click

from analyzer.cli._common import EXIT_USAGE, keylog_option
from analyzer.cli._output import atomic_output
from analyzer.cli.main import main
from analyzer.cli.timeline import load_timeline, selection_options
from analyzer.report.har import har


@main.command("har")
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="The HAR file to write ('-' for stdout).")
@selection_options
@keylog_option
def har_command(file: str, output: str, host: str | None, url: str | None, client: str | None,
                keylog_path: str | None = None) -> None:
    """Write the HTTP requests of FILE, grouped into pages, as a HAR 1.2 file (HTTPS too, with --keylog)."""
    tl = load_timeline(file, "en", host, url, client, keylog_path=keylog_path)
    text = json.dumps(har(tl, source=file), indent=2, ensure_ascii=True)
    if output == "-":
        click.echo(text)
        return
    try:
        with atomic_output(output) as tmp, open(tmp, "w", encoding="utf-8") as out:
            out.write(text + "\n")
    except OSError as err:
        click.echo(f"analyzer: {output}: {err.strerror or err}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"{output}: {len(tl.fetches)} page(s), {sum(len(f.requests) for f in tl.fetches)} entries",
               err=True)
