"""``analyzer export-objects FILE DIR``: every HTTP response body of FILE written to a file in DIR, with
its content-codings undone, named after its URI (made safe: see :mod:`analyzer.report.export_objects`).

Names come from packets, so they are never trusted: each is reduced to one plain file name, checked to
resolve inside DIR, and never written over: each body is written whole to a hidden temporary file created
exclusively in DIR, then linked to its name, which fails if anything (a file, a symlink) is there already, and
the next free name is used instead. An interrupted run thus never leaves a half-written object under a real
name. One line per object is printed: frame, host, content type,
size, file name. Bodies cut by the end of the capture or a gap are written as far as they were seen and
marked "incomplete".
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile

import click

from analyzer.apps.http.sink import HttpRecord
from analyzer.cli._common import fail, files_argument, keylog_option, load_keylog, opened
from analyzer.cli.http import echo_lines
from analyzer.cli.main import main
from analyzer.report.export_objects import NamePlanner, inside
from analyzer.report.safe import visible

BODY_LIMIT = 256 * 1024 * 1024      # bytes of one body kept for writing (each form)
_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


@main.command("export-objects")
@files_argument
@click.argument("directory", type=click.Path(file_okay=False))
@keylog_option
def export_objects(files: tuple[str, ...], directory: str, keylog_path: str | None = None) -> None:
    """Write every HTTP response body of FILE... (decoded) into DIRECTORY, one file per object.

    FILE... are pcap/pcapng captures (gzip too), merged by time when there are several; - is standard input.
    """
    try:
        os.makedirs(directory, exist_ok=True)
        taken = os.listdir(directory)
    except OSError as err:
        fail(f"{directory}: {err.strerror or err}")
    planner = NamePlanner(taken)
    lines = [f"{'Packet':>7}  {'Hostname':<30} {'Content type':<30} {'Size':>10}  Filename"]

    def write(record: HttpRecord) -> None:
        tx = record.transaction
        body = tx.response_body
        data = body.decoded if body.decoded is not None else body.data
        if tx.response is None or not data:
            return
        uri = tx.request.target if tx.request is not None else None
        host = tx.request.headers.get("host") if tx.request is not None else None
        ctype = tx.response.headers.get("content-type")
        name = _write_new(directory, planner, uri, ctype, data)
        frame = record.response_frame or tx.response.first_frame
        note = "" if tx.response_complete and not body.decoded_truncated else "  (incomplete)"
        lines.append(f"{frame:>7}  {visible(host or '-')[:30]:<30} {visible(ctype or '-')[:30]:<30} "
                     f"{len(data):>10}  {visible(name)}{note}")

    with opened(files, keylog=load_keylog(keylog_path)) as cap:
        cap.analyze(on_record=write, body_limit=BODY_LIMIT)
    echo_lines(lines)


def _write_new(directory: str, planner: NamePlanner, uri: str | None, ctype: str | None, data: bytes) -> str:
    """Write ``data`` under the next free safe name in ``directory``; that name."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".export-objects.partial-", dir=directory)
    except OSError as err:
        fail(f"{directory}: {err.strerror or err}")
    try:
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.chmod(tmp, 0o644)
        except OSError as err:
            fail(f"{directory}: {err.strerror or err}")
        while True:
            name = planner.name(uri, ctype)
            path = inside(directory, name)
            try:
                _link_new(tmp, path)
            except FileExistsError:
                continue                    # appeared meanwhile: take the next free name
            except OSError as err:
                fail(f"{path}: {err.strerror or err}")
            return name
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _link_new(tmp: str, path) -> None:
    """``tmp`` also under ``path``, which must not exist yet (FileExistsError): a hard link where the file
    system has them; elsewhere an exclusive create followed by a rename."""
    try:
        os.link(tmp, path, follow_symlinks=False)
        return
    except FileExistsError:
        raise
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
    fd = os.open(path, _OPEN_FLAGS, 0o644)     # claims the name, or FileExistsError
    os.close(fd)
    os.replace(tmp, path)
