"""The ``analyzer`` command: a click group; each subcommand lives in its own module beside this one.

Only the CLI prints. Errors a user can cause (missing file, not a capture, bad filter) become one line on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import click

from analyzer import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="analyzer")
def main() -> None:
    """Packet capture and protocol analyzer: read pcap/pcapng files, decode Ethernet to DNS and HTTP,
    and explain what happened (handshakes, teardowns, page fetches)."""


def _register() -> None:
    # Each module adds its command to ``main`` when imported.
    from analyzer.cli import (  # noqa: F401
        capture,
        conversations,
        demo,
        dns,
        export_objects,
        flow,
        follow,
        har,
        http,
        lab,
        read,
        report,
        timeline,
        verify,
        watch,
    )


_register()
