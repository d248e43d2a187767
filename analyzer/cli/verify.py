"""``analyzer verify FILE``: decode FILE with the analyzer and with tshark, compare every field frame by frame.

Exit status: 0 when every compared field of every frame is equal, 1 when anything differs, 2 when the
comparison cannot be made (tshark not installed, FILE not a capture, a field name nobody knows).
How the two sides are read and why: :mod:`analyzer.verify`.
"""

from __future__ import annotations

import sys

import click

from analyzer.cli._common import decode_as_option, keylog_option, load_keylog
from analyzer.cli.main import main

EXIT_DIFFERENT = 1
EXIT_USAGE = 2
TSHARK_MISSING = ("analyzer verify needs tshark, Wireshark's command-line tool, and it is not installed "
                  "(Debian/Ubuntu: apt install tshark; macOS: brew install wireshark).")


@main.command("verify")
@click.argument("file", metavar="FILE")
@click.option("--fields", "field_lists", multiple=True, metavar="NAMES",
              help="Compare only these fields (comma-separated, repeatable). Default: every field the "
                   "analyzer can produce.")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="How many differences to list.")
@keylog_option
@decode_as_option
def verify_command(file: str, field_lists: tuple[str, ...], limit: int, keylog_path: str | None = None,
                   decode_as: tuple = ()) -> None:
    """Check the analyzer against Wireshark: decode FILE with both (tshark -T fields), compare every field of
    every frame, print a summary; exit 1 if anything differs.

    \b
    Examples:
      analyzer verify captures/http_page_fetch_loopback.pcapng
      analyzer verify capture.pcap --fields ip.src,ip.dst,tcp.seq,tcp.analysis.retransmission
      analyzer verify https.pcap --keylog keys.txt   (both decrypt: tshark -o tls.keylog_file:keys.txt)
    """
    from analyzer import verify
    from analyzer.capture import CaptureError
    from analyzer.report.safe import visible

    names = _field_names(field_lists)
    try:
        tshark = verify.find_tshark()
    except verify.TsharkMissing:
        _fail(TSHARK_MISSING)
    version = verify.tshark_version(tshark)

    def warn(warning) -> None:
        click.echo(f"analyzer: warning: {visible(str(warning))}", err=True)

    try:
        summary, rejected = verify.run(file, names, limit=limit, tshark=tshark, on_warning=warn,
                                       keylog_path=keylog_path, keylog=load_keylog(keylog_path),
                                       decode_as=decode_as)
    except CaptureError as exc:
        _fail(visible(str(exc)))
    except verify.TsharkFailed as exc:
        _fail(f"tshark could not read {visible(file)}: {visible(str(exc))}")
    if rejected:
        click.echo(f"analyzer: warning: tshark {version} does not know {', '.join(rejected)}: not compared",
                   err=True)
    click.echo(report(file, summary, version))
    sys.exit(0 if summary.ok else EXIT_DIFFERENT)


def _field_names(field_lists: tuple[str, ...]) -> list[str] | None:
    """The --fields names, checked against the field table; None for the whole vocabulary."""
    from analyzer.filter import UnknownField, lookup

    names = [name.strip() for text in field_lists for name in text.split(",") if name.strip()]
    if not field_lists:
        return None
    if not names:
        raise click.UsageError("--fields names no field")
    for name in names:
        try:
            lookup(name)
        except UnknownField as exc:
            _fail(f"--fields: {exc}")
    return names


def report(file: str, summary, version: str) -> str:
    """The summary as text: the counts, the fields that differ, the first differences, the verdict."""
    from analyzer.report.safe import visible

    s = summary
    lines = [
        f"{visible(file)}: analyzer against tshark {version}, {len(s.fields):,} fields",
        f"frames:      analyzer {s.frames_ours:,}, tshark {s.frames_tshark:,}"
        + (f" ({s.frames_only_ours:,} only in the analyzer, {s.frames_only_tshark:,} only in tshark)"
           if s.frames_only_ours or s.frames_only_tshark else ""),
        f"fields:      {s.compared:,} compared, {s.equal:,} equal, {s.different:,} different",
    ]
    if s.different:
        lines.append(f"             {s.missing:,} missing in the analyzer, {s.extra:,} only in the analyzer, "
                     f"{s.differ:,} with other values")
        rows = s.fields_with_differences()
        lines.append("by field:    (different / compared)")
        width = max(len(name) for name, _ in rows)
        for name, tally in rows:
            kinds = []
            if tally.missing:
                kinds.append(f"{tally.missing} missing")
            if tally.extra:
                kinds.append(f"{tally.extra} only ours")
            if tally.differ:
                kinds.append(f"{tally.differ} other values")
            lines.append(f"  {name:<{width}}  {tally.different:>6,} / {tally.compared:<6,}  {', '.join(kinds)}")
    if s.first:
        shown = len(s.first)
        lines.append(f"first {shown} difference{'s' if shown != 1 else ''}:")
        lines += [f"  {visible(d.describe())}" for d in s.first]
    lines.append("result:      " + ("EQUAL: every compared field matches tshark" if s.ok
                                    else "DIFFERENT: the analyzer does not match tshark"))
    return "\n".join(lines)


def _fail(message: str) -> None:
    sys.stdout.flush()
    click.echo(f"analyzer: error: {message}", err=True)
    sys.exit(EXIT_USAGE)
