"""``analyzer nat INSIDE OUTSIDE``: the same traffic captured on both sides of a translating router, flow by
flow: the translation table (inside address:port ↔ outside address:port → remote), the kind of NAT, the
delay through the router and its TTL decrement, and what was seen on one side only. The analysis is
:mod:`analyzer.nat`; this module only opens the inputs and prints."""

from __future__ import annotations

import json
import math
import sys

import click

from analyzer.cli._common import fail, opened
from analyzer.cli.main import main
from analyzer.report.safe import json_safe

EXIT_NO_PAIRS = 1


def _a_number(value: float) -> float:
    """A range lets NaN through (every comparison with it is false)."""
    if math.isnan(value):
        raise click.BadParameter("not a number of seconds")
    return value


@main.command("nat")
@click.argument("files", nargs=-1, required=True, metavar="INSIDE OUTSIDE")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the table, the NAT type, the lone flows.")
@click.option("--max-delay", type=click.FloatRange(0.000001, 3600), default=2.0, show_default=True,
              metavar="SECONDS", callback=lambda _ctx, _param, v: _a_number(v),
              help="Longest delay through the router (plus any clock offset between the captures) for two "
                   "views of a flow to pair.")
def nat(files: tuple[str, ...], as_json: bool, max_delay: float) -> None:
    """Pair each flow captured on one side of a NAT router with its translated twin on the other.

    INSIDE and OUTSIDE are captures made at the same time on the router's inside (private) and outside
    (Internet) interfaces, in either order (the private side is found from the addresses); a single pcapng
    holding both interfaces works too. TCP flows pair by their ISN (tcp.seq_raw of the SYN), UDP by payload
    (DNS by its id and question), ICMP echo by sequence number and data, each within --max-delay. Prints the
    translation table, the NAT type it implies (ports preserved or rewritten, outside addresses, mapping),
    the delay through the router and its TTL decrement, and the flows seen on one side only with why.
    Exit code 1 when no flow pairs."""
    from analyzer.nat import NatInputError, nat_of
    from analyzer.nat.text import render

    if len(files) > 2:
        fail(f"{len(files)} captures given: give two, the inside and the outside (analyzer nat INSIDE OUTSIDE)")
    with opened(files) as cap:
        try:
            result = nat_of(cap, window_ns=int(max_delay * 1_000_000_000))
        except NatInputError as exc:
            fail(str(exc))
    if as_json:
        click.echo(json_safe(json.dumps(result.as_dict(), ensure_ascii=False)))
    else:
        click.echo(render(result))
    if not result.translations:
        sys.stdout.flush()
        click.echo(f"analyzer: error: no flow of {result.inside.name} has a twin in {result.outside.name} "
                   f"within {max_delay:g} s: are they the two sides of one router, captured at the same time? "
                   "(captures from two machines whose clocks differ: raise --max-delay)", err=True)
        sys.exit(EXIT_NO_PAIRS)
