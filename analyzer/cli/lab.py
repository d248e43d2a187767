"""``analyzer lab``: a page fetch across a router in network namespaces, captured on the client (Linux, root)."""

from __future__ import annotations

import signal
import sys

import click

from analyzer.cli.main import main


@main.command("lab")
@click.option("--save", metavar="FILE", help="Keep the capture in FILE (.pcapng -> pcapng, else pcap).")
@click.option("--loss", type=click.FloatRange(0, 100), metavar="PCT",
              help="Drop PCT % of forwarded TCP segments on the router (nftables; tc netem or iptables "
                   "otherwise) to show retransmissions.")
@click.option("--short", is_flag=True, help="One connection per request (HTTP/1.0).")
@click.option("-6", "--ipv6", is_flag=True, help="Resolve AAAA and fetch over IPv6 (2001:db8::/32).")
@click.option("--what", type=click.Choice(["page", "dns-mix", "refused"]), default="page", show_default=True,
              help="page: the page fetch; dns-mix: A, AAAA, CNAME, MX, NXDOMAIN and a TCP retry; "
                   "refused: a connection to a closed port (RST).")
@click.option("--servers", type=click.Choice(["auto", "project", "system"]), default="auto", show_default=True,
              help="auto: dnsmasq and nginx when installed, else the project's own; project; system.")
@click.option("--no-timeline", is_flag=True, help="Do not print the timeline at the end.")
@click.option("--cleanup", is_flag=True, help="Only remove namespaces left behind by a lab that was killed.")
def lab_command(save, loss, short, ipv6, what, servers, no_timeline, cleanup) -> None:
    """Build a mini-internet in network namespaces (client, router, DNS and web server on documentation
    addresses), fetch a page from the client, capture on the client's interface and print the timeline:
    ARP for the gateway, DNS, handshake, HTTP, teardown, and the TTL the router decremented.

    \b
    Examples:
      sudo analyzer lab
      sudo analyzer lab --loss 20 --save lossy.pcapng
      sudo analyzer lab -6
    """
    from analyzer.cli.demo import print_timeline
    from analyzer.lab import LabError, cleanup_stale, run_lab

    if cleanup:
        removed = cleanup_stale()
        click.echo(f"removed {len(removed)} namespace(s)" + (f": {', '.join(removed)}" if removed else ""))
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        res = run_lab(save=save, loss=loss, short=short, ipv6=ipv6, what=what, servers=servers,
                      log=lambda s: click.echo(s))
        if res.capture_summary:
            click.echo(res.capture_summary)
        if save:
            click.echo(f"capture saved to {save}")
        if not no_timeline:
            print_timeline(res.capture_path, saved=bool(save))
        if not save:
            import os

            try:
                os.unlink(res.capture_path)
            except OSError:
                pass
        if not res.client_ok and what != "refused":
            sys.exit(1)
    except LabError as exc:
        click.echo(f"analyzer: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("analyzer: lab interrupted; every namespace it made was removed", err=True)
        sys.exit(130)
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
