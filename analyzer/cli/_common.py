"""Shared by the TCP commands: open a capture, report its problems the CLI way."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click

from analyzer.capture import CaptureError, open_capture
from analyzer.report.safe import visible

EXIT_USAGE = 2


def _warn(warning) -> None:
    click.echo(f"analyzer: warning: {visible(str(warning))}", err=True)


def fail(message: str) -> None:
    """One line on stderr (escape sequences in it made visible), exit code 2."""
    click.echo(f"analyzer: error: {visible(message)}", err=True)
    sys.exit(EXIT_USAGE)


@contextmanager
def capture(path: str) -> Iterator:
    """The capture's frames; a CaptureError becomes one line on stderr and exit code 2."""
    try:
        reader = open_capture(path, on_warning=_warn)
    except CaptureError as err:
        fail(str(err))
    with reader:
        try:
            yield reader
        except CaptureError as err:
            fail(str(err))


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
