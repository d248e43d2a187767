"""Shared by the file commands: their FILE arguments, opening captures through the library API, reporting
problems the CLI way, the TLS key log option; and the live commands' signal handling.

Every file command takes one capture or several (``analyzer http a.pcap b.pcapng``: merged by time, as
``mergecap`` would, see :mod:`analyzer.capture.merge`); ``-`` is standard input (``tcpdump -w - | analyzer
read -``); a directory means the capture files in it, a quoted glob the files it matches.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from analyzer.capture import CaptureError
from analyzer.report.safe import visible

if TYPE_CHECKING:       # (imported where used: the commands without --keylog never load the TLS modules)
    from analyzer.apps.tls.keylog import KeyLog

EXIT_USAGE = 2
MAX_KEYLOG_BYTES = 64 * 1024 * 1024

KEYLOG_HELP = ("TLS key log to decrypt HTTPS: the file a browser, curl or wget writes when the environment "
               "variable SSLKEYLOGFILE names it (NSS key log format). Keys stored in the capture (a pcapng "
               "Decryption Secrets Block, from editcap --inject-secrets) are used without this option.")


def keylog_option(command):
    """The ``--keylog FILE`` option (parameter ``keylog_path``)."""
    return click.option("--keylog", "keylog_path", metavar="FILE", default=None, help=KEYLOG_HELP)(command)


def load_keylog(path: str | None) -> KeyLog:
    """The key log named by --keylog (empty when none); an unreadable file is an error, lines that are not
    keys a warning. Keys from the capture's Decryption Secrets Blocks are added to it while reading."""
    from analyzer.apps.tls.keylog import KeyLog, parse_keylog

    keylog = KeyLog()
    if path is None:
        return keylog
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_KEYLOG_BYTES + 1)
    except OSError as exc:
        fail(f"{path}: cannot read the key log: {exc.strerror or exc}")
    if len(data) > MAX_KEYLOG_BYTES:
        fail(f"{path}: a key log larger than {MAX_KEYLOG_BYTES} bytes is not a key log")
    parsed = parse_keylog(data)
    if parsed.problem_count:
        _warn(f"{path}: {parsed.problem_count} line(s) are not TLS keys and were skipped "
              f"(first: {parsed.problems[0]})")
    if not len(parsed):
        _warn(f"{path}: no TLS keys found in this file (expected lines such as CLIENT_RANDOM <random> <secret>)")
    return keylog.merge(parsed)




WARNINGS_REMEMBERED = 4096        # distinct warnings a command remembers, so as to print each once


def _warn(warning) -> None:
    click.echo(f"analyzer: warning: {visible(str(warning))}", err=True)


def fail(message: str) -> None:
    """One line on stderr (escape sequences in it made visible), exit code 2."""
    sys.stdout.flush()
    click.echo(f"analyzer: error: {visible(message)}", err=True)
    sys.exit(EXIT_USAGE)


def files_argument(f):
    """``FILE...``: one or more captures (the command receives ``files``, a tuple of paths)."""
    return click.argument("files", nargs=-1, required=True, metavar="FILE...")(f)


@contextmanager
def opened(files: str | tuple[str, ...] | list[str], display_filter=None, keylog: KeyLog | None = None,
           local_nets=None) -> Iterator:
    """``analyzer.open(files)`` with the CLI's warnings (one stderr line each); a CaptureError while it is
    used (a file missing, not a capture) becomes one line on stderr and exit code 2. ``keylog``: the TLS
    keys of --keylog (:func:`load_keylog`); keys in the captures' Decryption Secrets Blocks join it.
    ``local_nets``: see :func:`analyzer.open`."""
    import analyzer

    said: set[str] = set()

    def warn(warning) -> None:
        # a capture read twice (timeline/har/report of two files: the NAT probe, then the fetches) warns once
        text = str(warning)
        if text not in said:
            if len(said) < WARNINGS_REMEMBERED:
                said.add(text)
            _warn(warning)

    try:
        yield analyzer.open(files, display_filter=display_filter, keylog=keylog, on_warning=warn,
                            local_nets=local_nets)
    except CaptureError as err:
        fail(str(err))


@contextmanager
def capture(files: str | tuple[str, ...] | list[str], keylog: KeyLog | None = None) -> Iterator:
    """The frames of the captures (merged by time); a CaptureError becomes one line on stderr and exit 2."""
    with opened(files, keylog=keylog) as cap, cap.open() as reader:
        yield reader


SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


@contextmanager
def live_stop(cap) -> Iterator[list[int]]:
    """While the block runs, SIGINT and SIGTERM stop the live capture ``cap`` cleanly (every packet seen is
    kept); the list yielded receives the signal, so that the command can end with 130 (Ctrl-C) or 143."""
    from analyzer.live import stop_on_signals

    got: list[int] = []

    def handler(signum, _frame) -> None:
        got.append(signum)
        cap.stop()

    with stop_on_signals(cap):
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNAL_EXIT:
                signal.signal(sig, handler)
        yield got


def exit_for_signal(got: list[int]) -> None:
    """After a live capture stopped by a signal: its exit code (130 for Ctrl-C, 143 for SIGTERM)."""
    if got:
        sys.exit(SIGNAL_EXIT.get(got[0], 130))


DECODE_AS_HELP = ("Decode As, as tshark spells it: LAYER==PORT,PROTOCOL, e.g. udp.port==5300,dns or "
                  "tcp.port==8053,dns or udp.port==1901,http (repeatable).")


def _heuristics(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> None:
    """click callback (eager, so before ``-d``'s): tshark's ``--disable-heuristic NAME`` or
    ``--enable-heuristic NAME``, kept in ``ctx.meta`` for :func:`_decode_as` (an unknown name: exit 2)."""
    from analyzer.decode.decode_as import DecodeAsError, heuristic

    try:
        switches = [heuristic(value, param.name == "enable_heuristic") for value in values]
    except DecodeAsError as err:
        click.echo(f"analyzer: error: {visible(str(err))}", err=True)
        ctx.exit(EXIT_USAGE)
    ctx.meta.setdefault("analyzer.heuristics", []).extend(switches)


def _decode_as(ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]):
    """click callback: read the ``-d`` rules and make them hold for this run (a bad one: exit 2), after the
    heuristic switches (so a command that hands its rules on, to workers or to tshark, hands those on too)."""
    from analyzer.decode.decode_as import DecodeAsError, apply, parse

    try:
        rules = [parse(value) for value in values]
    except DecodeAsError as err:
        click.echo(f"analyzer: error: {visible(str(err))}", err=True)
        ctx.exit(EXIT_USAGE)
    # (the switches first, a disable after every enable: tshark's --disable-heuristic wins, in any order)
    switches = sorted(ctx.meta.get("analyzer.heuristics", ()), key=lambda h: not h.enabled)
    rules = [*switches, *rules]
    apply(rules)
    return tuple(rules)


def decode_as_option(f):
    """Add ``-d/--decode-as RULE`` (repeatable) and tshark's ``--disable-heuristic``/``--enable-heuristic NAME``
    to a command; it receives ``decode_as`` (the rules and switches, already applied:
    :mod:`analyzer.decode.decode_as`)."""
    f = click.option("-d", "--decode-as", "decode_as", multiple=True, metavar="RULE", callback=_decode_as,
                     expose_value=True, help=DECODE_AS_HELP)(f)
    for name, what in (("disable", "Do not run"), ("enable", "Run")):
        f = click.option(f"--{name}-heuristic", f"{name}_heuristic", multiple=True, metavar="NAME",
                         callback=_heuristics, expose_value=False, is_eager=True,
                         help=f"{what} a heuristic decoder, as tshark spells it: quic (QUIC on any UDP port; "
                              "port 443 and -d rules still decode QUIC).")(f)
    return f
