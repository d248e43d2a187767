"""``analyzer watch -i IFACE``: the timeline, live: each fetch printed as soon as it is complete, exactly as
``analyzer timeline`` prints it for the same frames.

There is one timeline implementation (:class:`analyzer.timeline.TimelineRun`, through the library's
:class:`analyzer.api.live.TimelineFeed`); watch feeds it the frames the live capture hands over (through a
queue: the capture runs in its own thread). A live capture can go quiet with fetches still waiting for their
quiet time (see :mod:`analyzer.timeline.run`), so the run's clock is also moved on with the wall clock between
frames (:meth:`TimelineRun.tick`): packet time of the last frame plus the wall time since it arrived. On a
terminal a status line on stderr says how many frames were seen.

The queue is bounded (:class:`analyzer.live.backlog.Backlog`, ``--max-backlog``): when packets outpace the
timeline, the frames that do not fit are not analyzed -- the file written with ``-w`` keeps them all -- and
watch says so on stderr when it starts, and how many and which on stdout at the end.
When the capture stops (Ctrl-C, SIGTERM, ``-a``), the run is finished and the remaining fetches printed.
"""

from __future__ import annotations

import math
import sys
import time

import click

from analyzer.cli._common import exit_for_signal, live_stop
from analyzer.cli.main import main
from analyzer.cli.timeline import (
    Progress,
    closing_text,
    neighbour_only,
    terminal_width,
    text_options,
    use_color,
)
from analyzer.live.backlog import MAX_BYTES, Backlog
from analyzer.report.timeline_text import render_fetch


class FetchPrinter:
    """Prints fetches as ``analyzer timeline`` does: separated by a blank line, wrapped, coloured or not; the
    fetches of hosts that only asked for a neighbour held back to the end (``show_all``: printed at once),
    and :meth:`close` ends the text as ``timeline`` does (:func:`analyzer.cli.timeline.closing_text`)."""

    def __init__(self, echo=click.echo, width: int = 80, color: bool = False, lang: str = "en",
                 show_all: bool = False):
        self.echo = echo
        self.width = width
        self.color = color
        self.lang = lang
        self.show_all = show_all
        self.printed = 0
        self.deferred: list = []

    def __call__(self, fetches) -> None:
        for f in fetches:
            if neighbour_only(f) and not self.show_all:
                self.deferred.append(f)
                continue
            self.echo(("\n" if self.printed else "") + render_fetch(f, width=self.width, color=self.color))
            self.printed += 1

    def close(self) -> None:
        tail = closing_text(self.deferred, self.printed, self.lang, self.width, self.color)
        if tail:
            self.echo(tail.removeprefix("\n"))
        self.deferred = []


def behind_text(backlog: Backlog, captured: int, out: str | None, lang: str = "en") -> str:
    """What the timeline could not analyze, said at the end: how many frames of how many, which, and where
    they are."""
    runs = backlog.runs_text()
    if lang == "zh":
        where = f"{out} 保存了全部帧：`analyzer timeline {out}` 会全部读取" if out else "这些帧没有保存（未给 -w FILE）"
        return (f"时间线跟不上抓包：{captured:,} 帧中有 {backlog.skipped:,} 帧未被分析（第 {runs} 帧），上面的时间线"
                f"缺少它们；{where}。")
    where = f"{out} holds every one: `analyzer timeline {out}` reads them all" if out else \
        "they were not kept (no -w FILE)"
    return (f"The timeline fell behind the capture: {backlog.skipped:,} of {captured:,} frames were not analyzed "
            f"(frames {runs}) and are missing from the timeline above; {where}.")


def _a_number(value: float) -> float:
    """A range lets NaN through (it compares false with everything): waits of NaN seconds would spin."""
    if math.isnan(value):
        raise click.BadParameter("not a number of seconds")
    return value


@main.command("watch")
@click.option("-i", "--interface", "iface", required=True, metavar="IFACE", help="Interface to watch.")
@click.option("-f", "--filter", "bpf", metavar="BPF", help="Capture filter (tcpdump syntax).")
@click.option("-a", "--autostop", multiple=True, metavar="COND", help="duration:SECONDS or packets:N.")
@click.option("-w", "--write", "out", metavar="FILE", help="Also keep the capture in FILE (.pcapng).")
@click.option("--backend", type=click.Choice(["scapy", "tshark"]), default="scapy", show_default=True)
@click.option("--interval", type=click.FloatRange(0.1, 10), default=0.5, show_default=True,
              callback=lambda _ctx, _param, v: _a_number(v),
              help="Seconds between checks for completed fetches (at least).")
@text_options
@click.option("--all", "show_all", is_flag=True,
              help="Print the hosts that only asked for a neighbour (ARP/ND) as fetches too, as they come.")
@click.option("--max-backlog", "backlog_mb", type=click.FloatRange(0.01, 65536), default=MAX_BYTES / (1 << 20),
              show_default=True, callback=lambda _ctx, _param, v: _a_number(v),
              help="MiB of frames waiting for the timeline, at most; when packets outpace it, the frames beyond "
                   "are not analyzed (-w keeps them) and counted.")
def watch_command(iface, bpf, autostop, out, backend, interval, lang, width, color, show_all, backlog_mb) -> None:
    """Print the timeline of what the hosts on IFACE do, live, each fetch as soon as it is complete (the
    same analysis and text as `analyzer timeline`).

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
    frames = Backlog(int(backlog_mb * (1 << 20)))
    run = TimelineFeed(lang, capture_filter=bpf)
    printer = FetchPrinter(width=terminal_width(width), color=use_color(color), lang=lang, show_all=show_all)
    progress = Progress(sys.stderr.isatty())
    seen = 0
    clock: list[float] = [0.0, 0.0]      # packet time of the last frame (ns), wall time it was fed (s)

    def catch_up() -> None:
        nonlocal seen
        for frame in frames.take():
            done = run.feed(frame)
            seen += 1
            clock[0], clock[1] = frame.ts_ns, time.monotonic()
            if done:
                progress.clear()
                printer(done)
                progress.fetches = printer.printed

    cap = LiveCapture(iface, bpf, backend=backend, count=count, duration=duration, write=out, on_frame=frames.put)
    try:
        with live_stop(cap) as signalled:
            try:
                cap.start()
            except LiveError as exc:
                click.echo(f"analyzer: error: {exc}", err=True)
                sys.exit(2)
            warned = False
            click.echo(f"watching {iface}" + (f" ({bpf})" if bpf else "") + "; Ctrl-C to stop", err=True)
            while not cap.finished.is_set():
                cap.finished.wait(interval)
                if frames.skipped and not warned:
                    warned = True
                    progress.clear()
                    click.echo(f"analyzer: the timeline is behind the capture: from frame {frames.runs[0][0]:,} "
                               "on, frames that do not fit in --max-backlog are not analyzed"
                               + (f" ({out} keeps them)" if out else ""), err=True)
                catch_up()
                if clock[0]:
                    done = run.tick(int(clock[0] + (time.monotonic() - clock[1]) * 1e9))
                    if done:
                        progress.clear()
                        printer(done)
                        progress.fetches = printer.printed
                progress.update(seen)
            stats = cap.join()
        catch_up()
        progress.clear()
        printer(run.finish())
        printer.close()
        if frames.skipped:
            click.echo(("\n" if printer.printed else "") + behind_text(frames, stats.captured, out, lang))
        click.echo(stats.line(), err=True)
    finally:
        cap.stop()
    exit_for_signal(signalled)
