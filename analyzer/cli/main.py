"""The ``analyzer`` command: a click group; each subcommand lives in its own module beside this one.

Subcommands are loaded lazily: :data:`COMMANDS` names each one's module and the one-line summary that
``analyzer --help`` lists, so start-up imports only the module of the command that runs (``analyzer --help``
imports none). A command module registers itself with ``@main.command("name")`` when imported.

Only the CLI prints. Errors a user can cause (missing file, not a capture, bad filter) become one line on
stderr and exit code 2, never a traceback. Three more endings are handled here, once for every command:

* Ctrl-C (SIGINT): one line, ``analyzer: interrupted``, exit code 130; SIGTERM: ``analyzer: terminated``,
  exit code 143. Both unwind the command first, so outputs written through
  :func:`analyzer.cli._output.atomic_output` are removed, never left half-written under their name.
  (``capture`` and ``watch`` stop cleanly on either signal and keep every packet seen.)
* A closed stdout (``analyzer read F | head``): silence, exit code 141, as a shell reports SIGPIPE.
* Anything else is a bug, and the last-resort handler below is a net, not the fix: what was printed is
  flushed, then ``analyzer: internal error: ...`` names the exception, the frame being analyzed when it
  can tell, and how to report it; exit code 3. ``ANALYZER_TRACEBACK=1`` adds the traceback, for the report.
"""

from __future__ import annotations

import gc
import importlib
import math
import os
import signal
import sys
import threading

import click

from analyzer import __version__

# name -> (module that defines it, the summary `analyzer --help` lists). A new command adds one line here;
# tests/test_cli_lazy.py checks that each module defines the command it is listed for.
COMMANDS: dict[str, tuple[str, str]] = {
    "read": ("analyzer.cli.read", "Print captures frame by frame, like tshark -r."),
    "verify": ("analyzer.cli.verify", "Compare every field of every frame with tshark's."),
    "conversations": ("analyzer.cli.conversations", "TCP connections and UDP conversations, with state."),
    "follow": ("analyzer.cli.follow", "The reassembled bytes of one TCP stream."),
    "flow": ("analyzer.cli.flow", "TCP segments as a ladder diagram, handshake and teardown."),
    "http": ("analyzer.cli.http", "HTTP transactions: each request with its response."),
    "dns": ("analyzer.cli.dns", "DNS transactions: query, answers, TTLs, RTT."),
    "export-objects": ("analyzer.cli.export_objects", "Write every HTTP response body into a folder."),
    "timeline": ("analyzer.cli.timeline", "Each page fetch step by step, from ARP to the teardown."),
    "har": ("analyzer.cli.har", "The page fetches as a HAR 1.2 file for browser devtools."),
    "report": ("analyzer.cli.report", "One HTML page: timeline, waterfall, ladder diagram."),
    "logs": ("analyzer.cli.logs", "Zeek-style conn, dns, http, files logs (Parquet), on Dask."),
    "capture": ("analyzer.cli.capture", "Capture live packets on an interface."),
    "watch": ("analyzer.cli.watch", "The timeline, live, as packets arrive."),
    "demo": ("analyzer.cli.demo", "A page fetch on loopback, captured and explained."),
    "lab": ("analyzer.cli.lab", "A page fetch across a mini-internet, captured, explained."),
    "nat": ("analyzer.cli.nat", "Both sides of a NAT router paired: the translation table."),
}


EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130          # 128 + SIGINT, what a shell reports for a Ctrl-C'd program
EXIT_TERMINATED = 143           # 128 + SIGTERM
EXIT_BROKEN_PIPE = 141          # 128 + SIGPIPE
REPORT_HINT = ("this is a bug in analyzer: please report it with the command line and, if you can share "
               "it, the capture (ANALYZER_TRACEBACK=1 shows where it failed)")


# Allocations between two collections of the youngest generation while a command runs (Python's default: 700,
# which rescans the analysis' long-lived objects over and over). When 5,000 was chosen (2026-12-03), 50,000 let
# cyclic garbage reach the older generations, collected rarely: timeline --json on 1M frames peaked at 340 MB
# against 189 MB with 5,000 (benchmarks/README.md, "The GC threshold and the 1M peak"). That garbage is gone
# since: the timeline runs with a larger threshold of its own (cli/timeline.py TIMELINE_GC_YOUNGEST) and peaks
# at ~180 MB at 1M (benchmarks/README.md, the timeline sections of h-tlspeed2 and h-tlspeed3).
GC_YOUNGEST = 5_000


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that the command unwinds as it does for Ctrl-C."""


def _raise_terminated(_signum, _frame) -> None:
    raise Terminated


class AnalyzerGroup(click.Group):
    """The ``analyzer`` group: commands come from :data:`COMMANDS`, each module imported when needed; every
    command ends through :meth:`invoke` (see the module's docstring)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS) + sorted(name for name in self.commands if name not in COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(COMMANDS[cmd_name][0])      # registers the command on ``main``
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context):
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, _raise_terminated)
        # An analysis makes many long-lived objects without cycles; the cyclic collector's default youngest
        # generation (700 allocations) rescans them over and over. A larger one still collects every cycle.
        thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], GC_YOUNGEST), *thresholds[1:])
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Terminated:
            _last_words("analyzer: terminated", EXIT_TERMINATED)
        except KeyboardInterrupt:
            _last_words("analyzer: interrupted", EXIT_INTERRUPTED)
        except BrokenPipeError:
            _silence_stdout()
            sys.exit(EXIT_BROKEN_PIPE)
        except Exception as exc:        # noqa: BLE001 - the last resort: every other exception is a bug
            _internal_error(exc, ctx)
        finally:
            gc.set_threshold(*thresholds)
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help``, from the table: no command module is imported for it."""
        rows = []
        for name in self.list_commands(ctx):
            if name in COMMANDS:
                rows.append((name, COMMANDS[name][1]))
            else:
                cmd = self.commands[name]
                if not cmd.hidden:
                    rows.append((name, cmd.get_short_help_str(formatter.width)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    except (OSError, ValueError):
        pass


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush of a closed pipe stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _last_words(line: str, code: int) -> None:
    _flush_stdout()
    # a terminal shows "^C" where the cursor is: start our line after it
    lead = "\n" if code == EXIT_INTERRUPTED and _isatty(sys.stderr) else ""
    try:
        click.echo(lead + line, err=True)
    except (OSError, ValueError):
        pass
    sys.exit(code)


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _internal_error(exc: BaseException, ctx: click.Context) -> None:
    _flush_stdout()
    where = _frame_in(exc.__traceback__)
    name = ctx.invoked_subcommand or ""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    from analyzer.report.safe import visible

    message = f"analyzer: internal error: {visible(text)[:500]}"
    if where is not None:
        message += f" (at frame {where})"
    if name:
        message += f" in '{name}'"
    try:
        if os.environ.get("ANALYZER_TRACEBACK"):
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
        click.echo(message, err=True)
        click.echo(f"analyzer: {REPORT_HINT}", err=True)
    except (OSError, ValueError):
        pass
    sys.exit(EXIT_INTERNAL)


def _frame_in(tb) -> int | None:
    """The number of the frame being analyzed where ``tb`` ends: the innermost call holding a captured frame
    or a decoded packet in a local variable. Looked up only after a failure, so it costs nothing per frame."""
    from analyzer.capture.frame import Frame
    from analyzer.decode.packet import Packet

    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for f in reversed(frames):
        for value in f.f_locals.values():
            if isinstance(value, Frame):
                return value.number
            if isinstance(value, Packet) and isinstance(value.frame, Frame):
                return value.frame.number
    return None


_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def _size(_ctx, _param, value: str | None) -> int | None:
    """``--max-reassembly``: bytes, with an optional k/M/G suffix; sets the limit of every reassembly."""
    if value is None:
        return None
    text = value.strip().lower().removesuffix("b")
    unit = text[-1:] if text[-1:] in _SIZE_UNITS else ""
    number = text[:-1] if unit else text
    if not (number.isascii() and number.isdigit()):
        raise click.BadParameter(f"{value!r} is not a size (like 256M, 1G or 65536)")
    from analyzer.tcp.reassembly import RUN_DEFAULTS

    RUN_DEFAULTS["max_reassembly"] = int(number) * _SIZE_UNITS[unit]
    return RUN_DEFAULTS["max_reassembly"]


SECONDS_MAX = 1 << 32          # seconds of packet time a TCP timeout can be (136 years; more, or inf: the same)


def _seconds(ctx, param, value: float | None) -> float | None:
    """``--tcp-idle-timeout``/``--tcp-closed-linger``/``--tcp-half-open-timeout``: seconds of packet time, set
    for every TCP tracker."""
    if value is None:
        return None
    if math.isnan(value):
        raise click.BadParameter("not a number of seconds")
    if value <= 0:
        raise click.BadParameter("must be more than 0 seconds")
    from analyzer.tcp.connection import RUN_DEFAULTS

    key = {"tcp_idle_timeout": "idle_timeout_ns", "tcp_closed_linger": "closed_linger_ns",
           "tcp_half_open_timeout": "half_open_timeout_ns"}[param.name]
    RUN_DEFAULTS[key] = int(min(value, SECONDS_MAX) * 1_000_000_000)     # inf: never
    return value


@click.group(cls=AnalyzerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="analyzer")
@click.option("--max-reassembly", metavar="SIZE", callback=_size, expose_value=False, is_eager=True,
              help="Out-of-order TCP bytes held across all connections, at most (default 256M); past it a "
                   "connection's hole is given up, with a note on the frame.")
@click.option("--tcp-idle-timeout", type=float, metavar="SECONDS", callback=_seconds, expose_value=False,
              help="A TCP connection idle this long (packet time) is finished (default 3600).")
@click.option("--tcp-closed-linger", type=float, metavar="SECONDS", callback=_seconds, expose_value=False,
              help="A closed TCP connection is finished after this long (default 120).")
@click.option("--tcp-half-open-timeout", type=float, metavar="SECONDS", callback=_seconds, expose_value=False,
              help="A TCP connection attempt never answered (SYNs only) is finished after this long idle "
                   "(default 150: past a client's SYN retries).")
def main() -> None:
    """Packet capture and protocol analyzer: read pcap/pcapng files, decode Ethernet to DNS and HTTP,
    and explain what happened (handshakes, teardowns, page fetches)."""
