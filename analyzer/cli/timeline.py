"""``analyzer timeline FILE``: each page fetch of a capture step by step (ARP, DNS, the TCP handshake, the
HTTP requests and responses of the page, the teardown), with a summary, a waterfall and a ladder diagram.

``--json`` prints one JSON object ``{"fetches": [...]}``; ``--lang zh`` explains in Chinese; ``--host``,
``--url`` and ``--client`` select fetches. How requests are grouped into fetches: see
:mod:`analyzer.timeline.build`.
"""

from __future__ import annotations

import json

import click

from analyzer.cli._common import decode_as_option, files_argument, keylog_option, load_keylog, opened
from analyzer.cli.main import main
from analyzer.filter.cli import display_filter_option
from analyzer.report.safe import json_safe
from analyzer.report.timeline_text import render
from analyzer.timeline.model import Timeline
from analyzer.timeline.texts import LANGS


def load_timeline(files: str | tuple[str, ...], lang: str = "en", host: str | None = None, url: str | None = None,
                  client: str | None = None, keep=None, keylog_path: str | None = None) -> Timeline:
    """Read FILE... (merged by time; CLI errors: one line, exit 2) and build its selected fetches. ``keep``
    (a compiled display filter) first narrows the capture to the frames it matches, as ``tshark -Y`` would.
    ``keylog_path``: a TLS key log (--keylog) to decrypt HTTPS with."""
    with opened(files, keep, load_keylog(keylog_path)) as cap:
        return cap.timeline(lang, host=host, url=url, client=client)


def selection_options(f):
    f = click.option("--client", default=None, metavar="IP", help="Only fetches made by this client address.")(f)
    f = click.option("--url", default=None, metavar="U", help="Only fetches whose page URL contains U.")(f)
    f = click.option("--host", default=None, metavar="H", help="Only fetches of pages on host H.")(f)
    return f


@main.command("timeline")
@files_argument
@click.option("--json", "as_json", is_flag=True, help='One JSON object: {"fetches": [...]}.')
@click.option("--lang", type=click.Choice(LANGS), default="en", show_default=True,
              help="Language of the explanations.")
@selection_options
@keylog_option
@display_filter_option
@decode_as_option
def timeline(files: tuple[str, ...], as_json: bool, lang: str, host: str | None, url: str | None,
             client: str | None, keylog_path: str | None = None, display_filter=None, decode_as=()) -> None:
    """Explain each page fetch in FILE... step by step, from ARP and DNS to the TCP teardown.

    With -Y, the timeline is built from the frames the display filter matches. FILE... are pcap/pcapng
    captures (gzip too), merged by time when there are several; - is standard input."""
    tl = load_timeline(files, lang, host, url, client, display_filter, keylog_path)
    if as_json:
        click.echo(json_safe(json.dumps(tl.as_dict(), ensure_ascii=False)))
        return
    click.echo(render(tl))
