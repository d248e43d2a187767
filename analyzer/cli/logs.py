"""``analyzer logs INPUT... -o DIR``: Zeek-style logs (conn, dns, http, files, tls, websocket) of many
captures, in one pass.

INPUT may be capture files, directories of them, quoted glob patterns, or ``-``; they are read as one
capture merged by time. The work runs on a local Dask cluster of ``-j`` processes (default: one per core;
``-j 1`` runs in this process) or, with ``--scheduler tcp://HOST:8786``, on a running Dask cluster; either
way the rows are those of one process on the merged input (see :mod:`analyzer.logs.engine`). Output layout
and types: :mod:`analyzer.logs.write`. In one process the pass streams (:mod:`analyzer.logs.stream`): each
record goes to a sorted run file in the staging folder once final, and the logs are merged from those runs at
the end, so memory follows the open connections, not the file.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

import click

from analyzer.cli._common import fail, keylog_option, load_keylog, opened
from analyzer.cli.main import main
from analyzer.report.units import count


@main.command("logs")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--output", "directory", required=True, type=click.Path(file_okay=False),
              help="Folder to write the logs into (conn/, dns/, http/, files/, tls/, websocket/, partitioned by "
                   "hour).")
@click.option("--format", "fmt", type=click.Choice(["parquet", "jsonl", "tsv"]), default="parquet",
              show_default=True, help="Parquet (pyarrow), Zeek's JSON lines, or Zeek's TSV.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes on a local Dask cluster (default: one per core; 1: no cluster).")
@click.option("--scheduler", metavar="tcp://HOST:8786", default=None,
              help="Run on this Dask cluster instead of a local one (its workers must see the same paths).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=None, metavar="MB",
              help="Cut uncompressed captures larger than this into chunks of about this size (default: "
                   "two per worker, 4 to 64 MB).")
@click.option("--overwrite", is_flag=True, help="Replace the logs already in the folder.")
@click.option("--local-nets", "local_nets_text", metavar="NETS", default=None,
              help="Local networks for conn's local_orig/local_resp (Zeek's Site::local_nets), comma-separated: "
                   "10.0.0.0/8,2001:db8::/32; 'private' adds the private address space; 'none': no local "
                   "nets (the columns empty). Default: the private address space, as Zeek's default.")
@keylog_option
def logs_command(inputs: tuple[str, ...], directory: str, fmt: str, jobs: int | None, scheduler: str | None,
                 chunk_size: int | None, overwrite: bool, local_nets_text: str | None = None,
                 keylog_path: str | None = None) -> None:
    """Write Zeek-style logs of INPUT... (files, folders, globs, - for standard input) into DIR: conn
    (TCP connections and UDP conversations), dns, http, files (HTTP bodies: sizes and hashes) and tls
    (Zeek's ssl.log: version, cipher, SNI, ALPN, certificates) and websocket (connections switched to
    WebSocket: subprotocol, extensions), joined by uid. HTTPS requests are in http
    when the TLS keys are known (--keylog FILE, or a pcapng carrying them).

    With one process (-j 1) records are written to sorted runs in DIR as the capture is read (memory follows
    the open connections, not the file; the runs take about the logs' size on disk until the end).

    \b
    Examples:
      analyzer logs captures/ -o logs/
      analyzer logs 'ring/*.pcapng' -o logs/ --format jsonl
      analyzer logs day/ -o logs/ --scheduler tcp://10.0.0.5:8786
      analyzer logs captures/ -o logs/ --local-nets 10.0.0.0/8,192.168.1.0/24
    """
    import importlib.util

    from analyzer.api.iplevel import LocalNets
    from analyzer.api.tables import MissingDependency, require
    from analyzer.logs.stream import stream_logs
    from analyzer.logs.write import LOGS

    local_nets = None
    if local_nets_text is not None:
        try:
            local_nets = LocalNets.parse(local_nets_text)
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="'--local-nets'") from None

    existing = [name for name in LOGS if os.path.exists(os.path.join(directory, name))]
    if existing and not overwrite:
        fail(f"{directory} already holds logs ({', '.join(existing)}): choose another folder or --overwrite")
    if fmt == "parquet":
        try:
            require("pyarrow", "analyzer logs --format parquet")
        except MissingDependency as err:
            fail(f"{err} (or --format jsonl / tsv)")
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if jobs is None and scheduler is None and importlib.util.find_spec("distributed") is None:
        workers = 1
        click.echo("analyzer: note: one process (for one per core: pip install 'analyzer[dask]')", err=True)
    started = time.monotonic()
    try:
        os.makedirs(directory, exist_ok=True)
        # written beside the old logs first, moved into place at the end: a failed run leaves them as they were
        staging = tempfile.mkdtemp(prefix=".analyzer-logs-", dir=directory)
    except OSError as err:
        fail(f"{directory}: {err.strerror or err}")
    try:
        with opened(inputs, keylog=load_keylog(keylog_path), local_nets=local_nets) as cap:
            if (workers == 1 and scheduler is None) or cap.paths == ["-"]:
                # each record to a sorted run on disk once final, the logs merged from them at the end
                counts = stream_logs(cap, staging, fmt)
            else:
                from analyzer.logs.engine import ParallelError, write_parallel

                try:
                    # each worker writes its own rows: they never travel to this process
                    counts = write_parallel(cap.paths, os.path.abspath(staging), fmt,
                                            workers=workers if scheduler is None else None, keylog=cap.keylog,
                                            local_nets=local_nets,
                                            scheduler=scheduler, progress=_isatty(sys.stderr),
                                            chunk_size=chunk_size << 20 if chunk_size else None)
                except ParallelError as err:
                    fail(str(err))
            frames = counts.pop("frames")
        for name in LOGS:
            shutil.rmtree(os.path.join(directory, name), ignore_errors=True)
            if os.path.exists(os.path.join(staging, name)):
                os.replace(os.path.join(staging, name), os.path.join(directory, name))
    except OSError as err:
        fail(f"{directory}: {err.strerror or err}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    click.echo(f"{directory}: " + ", ".join(f"{name} {count(counts.get(name, 0), 'row')}" for name in LOGS)
               + f" ({fmt}; {count(frames, 'frame')} in {time.monotonic() - started:.1f} s)", err=True)


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
