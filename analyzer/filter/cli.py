"""The ``-Y FILTER`` option of the commands (click glue; this module prints the filter's errors).

    from analyzer.filter.cli import display_filter_option

    @main.command("read")
    @display_filter_option
    def read_command(..., display_filter):      # a compiled filter, or None without -Y
        ...

A filter that does not compile ends the command before it reads anything: the message, the filter and a
caret under the offending token on stderr, exit code 2. A filter naming fields the analyzer never produces
(``frame.time_delta``) gets one warning line per name and runs (those tests are false, as for a field the
packets lack).
"""

from __future__ import annotations

import click

EXIT_USAGE = 2
HELP = ("Wireshark display filter: show only the packets it matches, e.g. "
        "'tcp.port == 80 && ip.addr == 10.0.0.0/8' or 'dns.qry.name contains \"example\"'.")


def compile_option(ctx: click.Context, _param: click.Parameter, value: str | None):
    """click callback: the compiled filter (None without -Y); a bad filter ends the command (exit 2)."""
    if value is None:
        return None
    from analyzer.filter import FilterError, compile_filter  # (only with -Y: the compiler's import time)

    try:
        keep = compile_filter(value)
    except FilterError as err:
        click.echo(f"analyzer: error: bad display filter: {err.render()}", err=True)
        ctx.exit(EXIT_USAGE)
    for name in sorted(keep.unproduced):
        click.echo(f"analyzer: warning: {name} is a Wireshark field the analyzer does not produce; "
                   f"tests on it are false", err=True)
    return keep


def display_filter_option(f):
    """Add ``-Y/--display-filter FILTER`` to a click command; it receives ``display_filter``."""
    return click.option("-Y", "--display-filter", "display_filter", metavar="FILTER", default=None,
                        callback=compile_option, help=HELP)(f)
