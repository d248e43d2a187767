"""``analyzer http FILE...``: one line per HTTP transaction (time, client, method, host, URI, status, content
type, body size, time to first byte, total time, stream); ``--json``: one JSON object per line with the
fields of :mod:`analyzer.report.http` (Zeek http.log names included).

HTTP is found on any TCP port by its first bytes; a connection whose bytes are not HTTP is left alone.

In one process (``-j 1``, the default) the command streams, ``-Y`` or not: each transaction is printed as soon
as no connection still open can start a transaction before it (:meth:`analyzer.api.build.Analysis.http_stream`),
so memory follows the open connections, not the file; the lines and their order are those of the whole pass.
The text table's Client column is as wide as the widest client of its first 1,000 rows
(:data:`analyzer.report.http.WIDTH_ROWS`: held until then, the only rows held); a wider client later
overflows the column. ``-j N`` runs the whole pass in its processes and prints at the end.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import click

from analyzer.cli._common import decode_as_option, fail, files_argument, keylog_option, load_keylog, opened
from analyzer.cli.main import main
from analyzer.filter.cli import display_filter_option
from analyzer.report.jsonlines import row_lines


def echo_lines(lines: Iterable[str]) -> None:
    """Print lines; a reader that goes away (``| head``) ends the command quietly."""
    try:
        for line in lines:
            click.echo(line)
        sys.stdout.flush()
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        sys.exit(0)


def jobs_option(f):
    """``-j N``: worker processes (one unit of work per file or chunk of a large file; see analyzer.logs)."""
    return click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
                        help="Use N processes (files and chunks of large files in parallel; same output). "
                             "They need more CPU in all than one process (1.4x; conversations 2x, whose one "
                             "process reads columns): a gain only with cores to spare, see benchmarks/README.md.")(f)


@main.command("http")
@files_argument
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line per transaction.")
@keylog_option
@display_filter_option
@jobs_option
@decode_as_option
def http_command(files: tuple[str, ...], as_json: bool, display_filter, jobs: int,
                 keylog_path: str | None = None, decode_as: tuple = ()) -> None:
    """List the HTTP/1.x transactions of FILE...: each request paired with its response; HTTPS too when the
    TLS keys are known (--keylog FILE, or a pcapng carrying them).

    With -Y, only the transactions whose request or response frame matches the filter. FILE... are
    pcap/pcapng captures (gzip too), merged by time when there are several; - is standard input.
    HTTP is found on any TCP port by its first bytes (-d tcp.port==N,http is accepted, as tshark spells it).

    Each transaction is printed once complete (memory follows the open connections, not the file); the
    table's Client column is as wide as the widest client of the first 1,000 rows.
    """
    from analyzer.report import http as report

    with opened(files, display_filter, load_keylog(keylog_path)) as cap:
        if jobs == 1 or cap.paths == ["-"]:
            # one transaction per line as soon as its place in the order is known (memory: open connections)
            records, start = streamed(cap, "http")
            rows = (report.row(tx) for tx in records)
            echo_lines(row_lines(rows, report.JSON_FLOAT_KEYS) if as_json else report.table_lines(rows, start))
            return
        results = results_of(cap, "tx", jobs, decode_as)
        rows = report.rows(results.http)
    if as_json:
        echo_lines(row_lines(rows, report.JSON_FLOAT_KEYS))
    else:
        echo_lines([report.table(rows, results.first_ts_ns)])


def streamed(cap, kind: str, make: Callable[..., Any] | None = None,
             uids: bool = True) -> tuple[Iterator, Callable[[], int | None]]:
    """``(records, start)``: the capture's HTTP (``kind`` "http") or DNS ("dns") transactions, each as soon as
    it is final (:meth:`Analysis.http_stream <analyzer.api.build.Analysis.http_stream>`, :meth:`~analyzer.api.
    build.Analysis.dns_stream`), those matching ``-Y`` when given; ``start()``: the capture's first frame time
    once records came (the table's time origin). ``make``, ``uids``: for DNS, what to hand out in place of each
    record, and whether it is given the uid (:meth:`~analyzer.api.build.Analysis.dns_stream`)."""
    from analyzer.api.build import Analysis
    from analyzer.api.stream import WindowMatcher

    matcher = WindowMatcher(cap.display_filter) if cap.display_filter is not None else None
    # DNS without -Y needs no HTTP/TLS tracker (a filter may ask for their fields)
    analysis = Analysis(matcher=matcher, keylog=cap.keylog, http=kind == "http" or matcher is not None)

    def records() -> Iterator:
        with cap.open() as reader:
            yield from (analysis.http_stream(reader) if kind == "http" else analysis.dns_stream(reader, make=make, uids=uids))

    return records(), lambda: analysis.pipe.first_ts_ns


def results_of(cap, kind: str, jobs: int, decode_as: tuple = ()):
    """The capture's results, by one process (``jobs`` 1) or by ``jobs`` processes (the same rows).
    ``kind``: "tx" (connections, DNS, HTTP) or "count" (connections only, the fast pass). ``decode_as``:
    the ``-d`` rules (in force in this process already; the worker processes get them too)."""
    if jobs == 1 or cap.paths == ["-"]:
        return cap.analyze() if kind == "tx" else cap.count()
    from analyzer.logs.engine import ParallelError, run_parallel

    try:
        return run_parallel(cap.paths, kind, workers=jobs, progress=_isatty(sys.stderr), keylog=cap.keylog,
                            decode_as=decode_as,
                            display_filter=cap.display_filter.text if cap.display_filter is not None else None)
    except ParallelError as err:
        fail(str(err))


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
