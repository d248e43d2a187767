"""Crash-safe output files: written under a temporary name in the same folder, renamed onto the real name
only when the command finished writing them.

An interrupted run (Ctrl-C, SIGTERM, a full disk, a bug) therefore never leaves a half-written file that
looks complete under the name the user asked for: either the old file is still there (or none), or the new
one is whole. The temporary name is hidden (``.NAME.partial-XXXX``) and removed on failure; only a kill
that allows no cleanup at all (SIGKILL, power loss) can leave it behind, and never under NAME.

    with atomic_output("out.har") as tmp:        # tmp: a pathlib.Path beside out.har
        tmp.write_text(text)
    # out.har now exists, whole

The temporary name ends with the real name's extension, so a writer that picks its format by extension
(``open_writer``: ``.pcapng`` or pcap) picks the same one. A path that exists and is not a regular file
(``/dev/null``, a FIFO), or that names one through ``/dev`` or ``/proc`` (``/dev/stdout`` is a link to
``/proc/self/fd/1``, whatever stdout is: a terminal, a pipe or a file the shell opened), is written directly:
it cannot be replaced, and must not be (a rename onto ``/dev/stdout`` would replace the link itself). A
symbolic link to a regular file is followed: the file it points to is replaced, the link stays.

Live captures (``capture -w``, ``watch -w``) do not use this: their file is valid at every record boundary
and is kept whatever ends the capture, so that nothing seen is lost.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto ``path`` when the block ends without an exception and
    removed otherwise (SystemExit, KeyboardInterrupt and every error included). OSError if the folder
    cannot be written."""
    given = Path(path)
    target = Path(os.path.realpath(given))
    if (target.exists() and not target.is_file()) or _special(given) or _special(target):
        yield given
        return
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.partial-", suffix=target.suffix, dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _copy_mode(target, tmp)
        yield tmp
    except BaseException:
        _remove(tmp)
        raise
    os.replace(tmp, target)


def _special(path: Path) -> bool:
    """A path in the kernel's trees of devices and processes (``/dev/stdout``, ``/proc/self/fd/1``)."""
    parts = Path(os.path.abspath(path)).parts
    return len(parts) > 1 and parts[1] in ("dev", "proc")


def _copy_mode(target: Path, tmp: Path) -> None:
    """The new file gets the old one's permissions, or the usual ones for a new file (mkstemp makes 0600)."""
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    with contextlib.suppress(OSError):
        os.chmod(tmp, mode)


def _remove(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink()
