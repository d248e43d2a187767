"""Shared by the TCP commands: open a capture, report its problems the CLI way."""

from __future__ import annotations

import sys
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
