"""``analyzer lab``: a page fetch across real network topologies in network namespaces (Linux, root)."""

from __future__ import annotations

import os
import signal
import sys

import click

from analyzer.cli.main import main

TOPOLOGY_FLAGS = ("nat", "same_subnet", "hub", "switch")


def _print_timeline(paths: tuple[str, ...], saved: bool, keylog_path: str = "") -> None:
    """The timeline as ``analyzer timeline [--keylog KEYS] FILE...`` prints it (the two sides of a NAT: each
    step once, with both views)."""
    from analyzer.cli.timeline import load_timeline
    from analyzer.report.timeline_text import render

    text = render(load_timeline(paths, keylog_path=keylog_path or None))
    click.echo("")
    keys = f" --keylog {keylog_path}" if keylog_path else ""
    click.echo(f"== timeline (analyzer timeline{keys} {' '.join(paths)})" if saved else "== timeline")
    click.echo(text.rstrip("\n"))


@main.command("lab")
@click.option("--save", metavar="FILE", help="Keep the capture in FILE (.pcapng -> pcapng, else pcap). Topologies "
              "captured in several places keep FILE-LABEL.ext each (--nat: FILE-inside, FILE-outside; --hub/"
              "--switch: FILE-observer, FILE-client); --https keeps the TLS keys in FILE.keys beside it.")
@click.option("--nat", is_flag=True, help="A home network: the client 10.0.0.10 behind a router doing nftables "
              "masquerade (outside 203.0.113.2), captured on the router's inside (lan0) and outside (wan0) at "
              "once; then: analyzer nat INSIDE OUTSIDE.")
@click.option("--nat-random", is_flag=True, help="--nat with 'masquerade random': new source ports (and ICMP ids) "
              "for every flow, not the client's.")
@click.option("--same-subnet", is_flag=True, help="Client and servers on one link, no router: the client asks ARP "
              "for each server itself, not for a gateway.")
@click.option("--hub", is_flag=True, help="Client, servers and an observer on a hub (a bridge with ageing time 0 "
              "floods every frame): the observer captures the others' unicast frames.")
@click.option("--switch", is_flag=True, help="The same with a learning switch: the observer sees only broadcasts.")
@click.option("--https", is_flag=True, help="Fetch over HTTPS (nginx, or the project's own server, with a "
              "self-signed certificate; curl writes SSLKEYLOGFILE) and decrypt it in the timeline.")
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
def lab_command(save, nat, nat_random, same_subnet, hub, switch, https, loss, short, ipv6, what, servers,
                no_timeline, cleanup) -> None:
    """Build a small network in network namespaces (documentation addresses), fetch a page from the client,
    capture where it matters and print what the captures show: the TTL each router decremented, whom the
    client asked ARP for, what a hub or switch lets a third host see; then the timeline: ARP, DNS,
    handshake, HTTP, teardown.

    \b
    Topologies (default: client -> router -> DNS and web server):
      --nat, --nat-random   a home network behind a masquerading router, captured inside and outside
      --same-subnet         client and servers on one link, no router
      --hub, --switch       the same link with an observer capturing in promiscuous mode

    \b
    Examples:
      sudo analyzer lab
      sudo analyzer lab --nat-random --save nat.pcapng && analyzer nat nat-inside.pcapng nat-outside.pcapng
      sudo analyzer lab --hub --save hub.pcapng
      sudo analyzer lab --https --save tls.pcapng
      sudo analyzer lab --loss 20 --save lossy.pcapng
    """
    from analyzer.lab import LabError, cleanup_stale, run_lab

    if cleanup:
        removed = cleanup_stale()
        click.echo(f"removed {len(removed)} namespace(s)" + (f": {', '.join(removed)}" if removed else ""))
        return
    nat = nat or nat_random
    chosen = [name for name, on in zip(TOPOLOGY_FLAGS, (nat, same_subnet, hub, switch)) if on]
    if len(chosen) > 1:
        raise click.UsageError("choose one topology: " + ", ".join("--" + c.replace("_", "-") for c in chosen))
    topology = chosen[0].replace("_", "-") if chosen else "internet"
    if topology != "internet" and (ipv6 or loss):
        raise click.UsageError(f"-6 and --loss work with the default topology only, not --{topology}")

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    res = None
    try:
        res = run_lab(save=save, loss=loss, short=short, ipv6=ipv6, what=what, servers=servers,
                      log=lambda s: click.echo(s), topology=topology, nat_random=nat_random, https=https)
        for label, summary in res.capture_summaries.items():
            if summary:
                click.echo(f"{label}: {summary}" if len(res.captures) > 1 else summary)
        for line in res.path_lines:
            click.echo(line)
        if save:
            click.echo("capture saved to " + ", ".join(res.captures.values())
                       + (f"; TLS keys in {res.keylog_path}" if res.keylog_path else ""))
            if topology == "nat":
                inside, outside = res.captures["inside"], res.captures["outside"]
                click.echo(f"next: analyzer nat {inside} {outside}")
        if not no_timeline:
            both = (res.captures["inside"], res.captures["outside"]) if topology == "nat" else (res.capture_path,)
            _print_timeline(both, saved=bool(save), keylog_path=res.keylog_path)
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
        if res is not None and not save:
            for path in [*res.captures.values(), res.keylog_path]:
                if path:
                    try:
                        os.unlink(path)
                    except OSError:
                        pass
