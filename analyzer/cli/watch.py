"""``analyzer watch -i IFACE``: the timeline, live — handshakes, requests and teardowns as they happen.

There is one timeline implementation, the one ``analyzer timeline FILE`` runs; watch does not have a
second. The capture (:class:`analyzer.live.LiveCapture`) hands each frame over (through a queue: it runs in
its own thread) to one analysis run (:class:`analyzer.timeline.collect.Collector`), fed incrementally;
whenever new frames have arrived (at most every ``--interval`` seconds) the timeline is rebuilt from the
facts collected so far — no frame is read or analysed twice — and the steps not printed before are
printed. At the end the run is finished, which gives exactly what ``analyzer timeline --json`` gives for the
same frames. A step is known by its fetch, layer, step name and frames, so a step printed once is not
printed again when later packets change only its wording or time.
"""

from __future__ import annotations

import json
import queue
import sys

import click

from analyzer.cli._common import exit_for_signal, live_stop
from analyzer.cli.main import main
from analyzer.report.safe import visible

# Steps that only say something about the end of the capture ("still open at the end"): while the capture
# runs they would be premature, so they wait for the final update.
AT_END_ONLY = {"tcp.open"}


class StepPrinter:
    """Prints the steps of a timeline JSON object that were not printed before."""

    def __init__(self, echo=click.echo):
        # Every line carries strings from packets (URLs, names): control characters and escape sequences
        # are shown as visible escapes, never sent to the terminal.
        self.echo = lambda line: echo(visible(line))
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
    from analyzer.api.live import TimelineFeed
    from analyzer.live import LiveCapture, LiveError, parse_autostop

    try:
        duration, count = parse_autostop(list(autostop))
    except LiveError as exc:
        raise click.UsageError(str(exc)) from None
    frames: queue.SimpleQueue = queue.SimpleQueue()
    feed = TimelineFeed()

    def catch_up() -> bool:
        """Feed the frames that arrived since the last call; True when there were any."""
        fed = False
        while True:
            try:
                frame = frames.get_nowait()
            except queue.Empty:
                return fed
            feed.feed(frame)
            fed = True

    def as_json(timeline) -> dict:
        # the same objects `analyzer timeline --json` prints (lists, not tuples)
        return json.loads(json.dumps(timeline.as_dict(), ensure_ascii=False, default=str))

    cap = LiveCapture(iface, bpf, backend=backend, count=count, duration=duration, write=out, on_frame=frames.put)
    printer = StepPrinter()
    try:
        with live_stop(cap) as signalled:
            try:
                cap.start()
            except LiveError as exc:
                click.echo(f"analyzer: error: {exc}", err=True)
                sys.exit(2)
            click.echo(f"watching {iface}" + (f" ({bpf})" if bpf else "") + "; Ctrl-C to stop", err=True)
            while not cap.finished.is_set():
                # rebuilding the timeline costs time in proportion to what it shows: less often as it grows
                cap.finished.wait(max(interval, feed.frames / 20000))
                if catch_up():
                    printer.update(as_json(feed.timeline()))
            stats = cap.join()
        catch_up()
        timeline = as_json(feed.finish())
        printer.update(timeline, final=True)
        printer.summaries(timeline)
        click.echo(stats.line(), err=True)
    finally:
        cap.stop()
    exit_for_signal(signalled)
