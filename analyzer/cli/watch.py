"""``analyzer watch -i IFACE``: the timeline, live — handshakes, requests and teardowns as they happen.

There is one timeline implementation, the one ``analyzer timeline FILE`` runs; watch does not have a
second. The capture (:class:`analyzer.live.LiveCapture`) writes a pcapng file flushed after every batch;
whenever new packets have arrived (at most every ``--interval`` seconds, less often as the capture grows)
the timeline is rebuilt from that file by ``analyzer timeline --json`` in this process, and the steps not
printed before are printed. A step is known by its fetch, layer, step name and frames, so a step printed
once is not printed again when later packets change only its wording or time.

When the timeline command is not installed, watch prints each packet's ``analyzer read`` line instead,
and says so.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile

import click

from analyzer.cli.main import main

# Steps that only say something about the end of the capture ("still open at the end"): while the capture
# runs they would be premature, so they wait for the final update.
AT_END_ONLY = {"tcp.open"}


class StepPrinter:
    """Prints the steps of a timeline JSON object that were not printed before."""

    def __init__(self, echo=click.echo):
        self.echo = echo
        self.seen: set[str] = set()
        self.fetches: set[str] = set()

    @staticmethod
    def fetch_key(fetch: dict) -> str:
        return json.dumps([fetch.get("url"), fetch.get("client"), fetch.get("server")], default=str)

    def update(self, timeline: dict, final: bool = False) -> int:
        printed = 0
        for fetch in timeline.get("fetches", []):
            fkey = self.fetch_key(fetch)
            if fkey not in self.fetches:
                self.fetches.add(fkey)
                self.echo(f"== {fetch.get('url', '?')}  ({fetch.get('client', '?')} -> {fetch.get('server', '?')})")
            for step in fetch.get("steps", []):
                key = json.dumps([fkey, step.get("layer"), step.get("step"), step.get("frame")], default=str)
                if key in self.seen or (not final and step.get("step") in AT_END_ONLY):
                    continue
                self.seen.add(key)
                frames = step.get("frame")
                frames = ",".join(map(str, frames)) if isinstance(frames, list) else (frames or "-")
                t = step.get("time")
                when = f"{t:>9.6f}s" if isinstance(t, (int, float)) else f"{t!s:>10}"
                self.echo(f"{when}  #{frames!s:<8} {step.get('layer', '')!s:<5} {step.get('step', '')}: "
                          f"{step.get('text', '')}")
                printed += 1
        return printed

    def summaries(self, timeline: dict) -> None:
        for fetch in timeline.get("fetches", []):
            summary = fetch.get("summary")
            if summary:
                items = ", ".join(f"{k}={v}" for k, v in summary.items() if not isinstance(v, (dict, list)))
                self.echo(f"summary of {fetch.get('url', '?')}: {items}")


@main.command("watch")
@click.option("-i", "--interface", "iface", required=True, metavar="IFACE", help="Interface to watch.")
@click.option("-f", "--filter", "bpf", metavar="BPF", help="Capture filter (tcpdump syntax).")
@click.option("-a", "--autostop", multiple=True, metavar="COND", help="duration:SECONDS or packets:N.")
@click.option("-w", "--write", "out", metavar="FILE", help="Also keep the capture in FILE (.pcapng).")
@click.option("--backend", type=click.Choice(["scapy", "tshark"]), default="scapy", show_default=True)
@click.option("--interval", type=click.FloatRange(0.1, 10), default=0.5, show_default=True,
              help="Seconds between timeline updates (at least).")
def watch_command(iface, bpf, autostop, out, backend, interval) -> None:
    """Print the timeline of page fetches live as packets arrive (same analysis as `analyzer timeline`).

    \b
    Example:
      sudo analyzer watch -i lo -f "tcp port 8080 or port 53"
    """
    from analyzer.live import LiveCapture, LiveError, parse_autostop, stop_on_signals
    from analyzer.live.timeline_bridge import timeline_available, timeline_json

    try:
        duration, count = parse_autostop(list(autostop))
    except LiveError as exc:
        raise click.UsageError(str(exc)) from None
    path = out
    if path is None:
        fd, path = tempfile.mkstemp(prefix="analyzer-watch-", suffix=".pcapng")
        os.close(fd)
    use_timeline = timeline_available()
    on_frame = None
    if not use_timeline:
        from analyzer.cli.capture import packet_printer

        on_frame = packet_printer()
    cap = LiveCapture(iface, bpf, backend=backend, count=count, duration=duration, write=path, on_frame=on_frame)
    printer = StepPrinter()
    try:
        with stop_on_signals(cap):
            try:
                cap.start()
            except LiveError as exc:
                click.echo(f"analyzer: error: {exc}", err=True)
                sys.exit(2)
            click.echo(f"watching {iface}" + (f" ({bpf})" if bpf else "") + "; Ctrl-C to stop"
                       + ("" if use_timeline else " (no `analyzer timeline` here: printing packets)"), err=True)
            done = 0
            while not cap.finished.is_set():
                cap.finished.wait(max(interval, done / 20000))
                if use_timeline and cap.stats.captured != done:
                    done = cap.stats.captured
                    timeline = timeline_json(path)
                    if timeline:
                        printer.update(timeline)
            stats = cap.join()
        if use_timeline:
            timeline = timeline_json(path)
            if timeline:
                printer.update(timeline, final=True)
                printer.summaries(timeline)
        click.echo(stats.line(), err=True)
    finally:
        cap.stop()
        if out is None:
            try:
                os.unlink(path)
            except OSError:
                pass

