"""``analyzer capture -i IFACE``: capture live traffic, print it as ``analyzer read`` does or write a file.

    analyzer capture -i lo -f "tcp port 8080" -c 20
    analyzer capture -i lo -a duration:10 -w out.pcapng

Startup problems (no privilege, unknown interface, a filter that cannot be compiled or applied) are one
line on stderr and exit code 2. SIGINT (Ctrl-C) and SIGTERM end the capture cleanly: every packet read is
written, the file is closed valid, and the closing line gives the count and the kernel's drop count; the
exit code is then 130 (Ctrl-C) or 143 (SIGTERM), as for every command stopped by a signal.
"""

from __future__ import annotations

import sys

import click

from analyzer.cli._common import decode_as_option, exit_for_signal, live_stop
from analyzer.cli.main import main

EXIT_USAGE = 2


def packet_printer(stream=None):
    """A callback printing each frame's ``analyzer read`` line as it arrives: the same analysis chain as
    ``read`` (TCP analysis, reassembly, the HTTP/DNS stage), so a GET on any port shows as HTTP live too."""
    from analyzer.api.live import PacketFeed
    from analyzer.report.summary import Summary

    stream = stream or sys.stdout
    summary = Summary()
    feed = PacketFeed().feed

    def on_frame(frame) -> None:
        stream.write(summary.line(feed(frame)) + "\n")
        stream.flush()

    return on_frame


def fail(message: str) -> None:
    sys.stdout.flush()
    click.echo(f"analyzer: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@main.command("capture")
@click.option("-i", "--interface", "iface", metavar="IFACE", help="Interface to capture on (lo, eth0, ...).")
@click.option("-f", "--filter", "bpf", metavar="BPF", help="Capture filter (tcpdump syntax), applied in the kernel.")
@click.option("-c", "--count", type=click.IntRange(min=1), metavar="N", help="Stop after N packets.")
@click.option("-a", "--autostop", multiple=True, metavar="COND",
              help="Stop when COND holds: duration:SECONDS or packets:N (as tshark's -a).")
@click.option("-w", "--write", "out", metavar="FILE",
              help="Write the packets to FILE (.pcapng -> pcapng, else pcap) instead of printing them.")
@click.option("-P", "--print", "also_print", is_flag=True, help="With -w, print the packets too.")
@click.option("--backend", type=click.Choice(["scapy", "tshark"]), default="scapy", show_default=True,
              help="scapy's packet socket, or Wireshark's dumpcap (through pyshark's lookup).")
@click.option("-s", "--snaplen", type=click.IntRange(min=64, max=262144), default=262144, show_default=True,
              help="Bytes kept of each packet.")
@click.option("-p", "--no-promiscuous", is_flag=True, help="Do not put the interface in promiscuous mode.")
@click.option("-D", "--list-interfaces", "list_ifaces", is_flag=True, help="List the interfaces and exit.")
@click.option("-q", "--quiet", is_flag=True, help="No startup line (the closing line is still printed).")
@decode_as_option
def capture_command(iface, bpf, count, autostop, out, also_print, backend, snaplen, no_promiscuous,
                    list_ifaces, quiet, decode_as=()) -> None:
    """Capture live packets on an interface (root or CAP_NET_RAW).

    \b
    Examples:
      sudo analyzer capture -i lo -c 10
      sudo analyzer capture -i lo -f "tcp port 8080 or udp port 53" -w fetch.pcapng
      sudo analyzer capture -i eth0 -a duration:30 -w thirty_seconds.pcap
    """
    from analyzer.capture import CaptureError
    from analyzer.live import LiveCapture, LiveError, list_interfaces, parse_autostop

    if list_ifaces:
        for n, i in enumerate(list_interfaces(), 1):
            extra = " (Loopback)" if i.loopback else ""
            click.echo(f"{n}. {i.name}{extra}{'' if i.up else ' [down]'}")
        return
    if not iface:
        raise click.UsageError("which interface? -i IFACE (analyzer capture -D lists them)")
    try:
        duration, auto_count = parse_autostop(list(autostop))
    except LiveError as exc:
        raise click.UsageError(str(exc)) from None
    if auto_count is not None:
        count = min(count, auto_count) if count else auto_count
    on_frame = packet_printer() if out is None or also_print else None
    cap = LiveCapture(iface, bpf, backend=backend, snaplen=snaplen, count=count, duration=duration, write=out,
                      on_frame=on_frame, promisc=not no_promiscuous)
    try:
        with live_stop(cap) as signalled:
            try:
                cap.open()
            except LiveError as exc:
                fail(str(exc))
            except (CaptureError, OSError) as exc:     # the output file, or the socket
                fail(str(exc))
            if not quiet:
                click.echo(f"capturing on {iface}, link-type {cap.linktype_text}, snapshot length {snaplen} "
                           f"bytes" + (f", filter: {bpf}" if bpf else "") + (f", writing {out}" if out else ""),
                           err=True)
            try:
                stats = cap.run()
            except BrokenPipeError:
                stats = cap.stats
                _quiet_stdout()
            except LiveError as exc:
                click.echo(f"analyzer: error: {exc}", err=True)
                stats = cap.stats
                click.echo(stats.line(), err=True)
                sys.exit(1)
    except KeyboardInterrupt:      # a second Ctrl-C while closing
        sys.exit(130)
    click.echo(stats.line(), err=True)
    exit_for_signal(signalled)


def _quiet_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
