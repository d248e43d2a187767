"""The ``analyzer`` command: a click group; each subcommand lives in its own module beside this one.

Subcommands are loaded lazily: :data:`COMMANDS` names each one's module and the one-line summary that
``analyzer --help`` lists, so start-up imports only the module of the command that runs (``analyzer --help``
imports none). A command module registers itself with ``@main.command("name")`` when imported.

Only the CLI prints. Errors a user can cause (missing file, not a capture, bad filter) become one line on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import importlib

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
    "capture": ("analyzer.cli.capture", "Capture live packets on an interface."),
    "watch": ("analyzer.cli.watch", "The timeline, live, as packets arrive."),
    "demo": ("analyzer.cli.demo", "A page fetch on loopback, captured and explained."),
    "lab": ("analyzer.cli.lab", "A page fetch across a mini-internet, captured, explained."),
}


class AnalyzerGroup(click.Group):
    """The ``analyzer`` group: commands come from :data:`COMMANDS`, each module imported when needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS) + sorted(name for name in self.commands if name not in COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(COMMANDS[cmd_name][0])      # registers the command on ``main``
        return self.commands.get(cmd_name)

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


@click.group(cls=AnalyzerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="analyzer")
def main() -> None:
    """Packet capture and protocol analyzer: read pcap/pcapng files, decode Ethernet to DNS and HTTP,
    and explain what happened (handshakes, teardowns, page fetches)."""
