"""``analyzer demo``: a page fetch on loopback with the project's own servers and client, then its timeline.

Needs what capturing on lo needs (root or CAP_NET_RAW); nothing else, no other machine or program.
Servers and capture always stop, even on an error, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import signal
import sys

import click

from analyzer.cli.main import main
from analyzer.report.units import count


def sigterm_as_interrupt():
    """SIGTERM raises KeyboardInterrupt in the main thread, so ``finally`` blocks run (as for Ctrl-C)."""
    def handler(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, handler)


def print_timeline(path: str, saved: bool, dns_port: int = 53) -> None:
    """The timeline of the capture at ``path``, as ``analyzer timeline`` prints it; ``saved``: the file is
    kept (so the line names it, and the user can run the command again), else it is about to be deleted.
    A DNS responder on another port than 53 is decoded as DNS all the same (Decode As, as ``-d``)."""
    from analyzer.cli._common import opened
    from analyzer.decode.decode_as import decoding_as
    from analyzer.report.timeline_text import render

    rules = [] if dns_port == 53 else [f"udp.port=={dns_port},dns", f"tcp.port=={dns_port},dns"]
    with decoding_as(rules), opened(path) as cap:
        text = render(cap.timeline())
    click.echo("")
    again = "".join(f" -d {rule}" for rule in rules)
    click.echo(f"== timeline (analyzer timeline{again} {path})" if saved else "== timeline")
    click.echo(text.rstrip("\n"))


@main.command("demo")
@click.option("--save", metavar="FILE", help="Keep the capture in FILE (.pcapng -> pcapng, else pcap).")
@click.option("--short", is_flag=True, help="One connection per request (HTTP/1.0) instead of keep-alive.")
@click.option("--reuse-addr", is_flag=True,
              help="Show TIME_WAIT: restart the server without, then with SO_REUSEADDR, next to the capture.")
@click.option("--dns-port", type=click.IntRange(0, 65535), default=53, show_default=True,
              help="Port of the DNS responder on 127.0.0.1 (0 or busy: one the kernel picks).")
@click.option("--http-port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port of the web server on 127.0.0.1 (0 or busy: one the kernel picks).")
@click.option("--backend", type=click.Choice(["scapy", "tshark"]), default="scapy", show_default=True)
@click.option("--no-timeline", is_flag=True, help="Do not print the timeline at the end.")
@click.option("--pause", type=click.FloatRange(0, 60), default=0.0, hidden=True,
              help="Seconds between requests (to watch it happen, or interrupt it).")
def demo_command(save, short, reuse_addr, dns_port, http_port, backend, no_timeline, pause) -> None:
    """Fetch a page over loopback with the project's own DNS responder, web server and client, capture it,
    and print the timeline.

    \b
    Examples:
      sudo analyzer demo
      sudo analyzer demo --short --save short.pcapng
      sudo analyzer demo --reuse-addr
    """
    from analyzer.demo.run import DemoError, run_demo
    from analyzer.live import LiveError

    previous = sigterm_as_interrupt()
    try:
        if reuse_addr:
            _timewait(save, backend)
            return
        res = run_demo(save=save, short=short, dns_port=dns_port, http_port=http_port, backend=backend,
                       log=lambda s: click.echo(s), pause=pause)
        click.echo(f"{res.address and 'www.example.test -> ' + res.address}")
        streams = _streams(res.capture_path, [r.path for r in res.results])
        for r, stream in zip(res.results, streams):
            where = f"tcp.stream {stream}" if stream is not None else "not in the capture"
            click.echo(f"  GET {r.path} {r.status} ({count(r.length, 'byte')}, {where})")
        click.echo(f"{res.captured} packets captured on lo, {res.kernel_drops} dropped by the kernel"
                   + (f"; saved to {save}" if save else ""))
        if not no_timeline:
            print_timeline(res.capture_path, saved=bool(save), dns_port=res.dns_port)
        if not save:
            _unlink(res.capture_path)
    except LiveError as exc:
        click.echo(f"analyzer: error: {exc}", err=True)
        sys.exit(2)
    except DemoError as exc:
        click.echo(f"analyzer: error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("analyzer: demo interrupted; servers and capture stopped", err=True)
        sys.exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _streams(path: str, uris: list[str]) -> list[int | None]:
    """The tcp.stream (numbered as ``analyzer timeline`` numbers connections, from 0) that carried each
    request of the client, in order, from the capture."""
    import analyzer

    pending = [(h.uri, h.stream) for h in analyzer.open(path).http]
    out: list[int | None] = []
    for uri in uris:
        hit = next((i for i, (u, _s) in enumerate(pending) if u == uri), None)
        out.append(pending.pop(hit)[1] if hit is not None else None)
    return out


def _timewait(save: str | None, backend: str) -> None:
    from analyzer.demo.timewait import run_timewait, side_by_side

    res = run_timewait(save=save, backend=backend)
    click.echo("TIME_WAIT and SO_REUSEADDR: the server closes each connection first, so the server's side of it "
               "waits 60 s in TIME_WAIT, holding the port.")
    for line in side_by_side(res):
        click.echo(line)
    click.echo("")
    for err in res.bind_errors:
        click.echo(f"bind error: {err}")
    if res.restarted_with_reuse:
        click.echo("with SO_REUSEADDR on the old listener (its TIME_WAIT entry inherits it) and on the new one, "
                   "the restart binds at once.")
    click.echo(f"{res.captured} packets captured on lo" + (f"; saved to {save}" if save else ""))
    if not save:
        _unlink(res.capture_path)


def _unlink(path: str) -> None:
    import os

    try:
        os.unlink(path)
    except OSError:
        pass
