"""``analyzer export-objects``: safe file names for HTTP response bodies (sans-IO; the CLI writes).

Every name comes from a packet, so every name is hostile until made safe. :func:`safe_name` turns a
request URI into one plain file name — never a path:

* the path is taken from the URI (scheme and host of an absolute-form target dropped, query and fragment
  dropped), percent-decoded, split on ``/`` and ``\\``; ``.``/``..``/empty segments are dropped and the last
  segment left is the name (``index.html`` when none is left: ``/``, ``/dir/..``);
* characters other than letters, digits and ``._-+=,@()[]~`` — controls, NUL, separators, ``:*?"<>|%``,
  spaces — become ``_``; a leading dot becomes ``_`` (no hidden files, no ``..``); trailing dots and
  spaces are dropped; Windows' reserved device names (CON, NUL, COM1, LPT1...) get a ``_`` prefix;
* the name is cut to ``max_bytes`` bytes of UTF-8 (keeping a short extension), and a name without an
  extension gets one from the Content-Type when it is a common type.

:class:`NamePlanner` hands out unique names in one folder, case-insensitively (macOS and Windows fold
case): a repeat becomes ``name(1).ext``, ``name(2).ext``... and names already in the folder are taken.
:func:`inside` is the last check before writing: the joined path must stay in the folder.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

MAX_NAME_BYTES = 200          # file systems allow 255; room for "(12345)" and a temporary suffix
MAX_EXTENSION = 16
DEFAULT_NAME = "index.html"
_ALLOWED_PUNCT = frozenset("._-+=,@()[]~")
# Windows device names: reserved whatever the extension ("nul.txt" is the null device too)
_RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|clock\$|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$")

# Content-Type -> extension for names that have none.
EXTENSIONS = {
    "text/html": ".html", "text/plain": ".txt", "text/css": ".css", "text/javascript": ".js",
    "application/javascript": ".js", "application/x-javascript": ".js", "application/json": ".json",
    "text/xml": ".xml", "application/xml": ".xml", "image/png": ".png", "image/jpeg": ".jpg",
    "image/gif": ".gif", "image/svg+xml": ".svg", "image/webp": ".webp", "image/x-icon": ".ico",
    "application/pdf": ".pdf", "application/zip": ".zip", "application/gzip": ".gz",
    "application/octet-stream": ".bin",
}


def uri_path(uri: str) -> str:
    """The path of a request target: origin-form as it is, absolute-form without scheme and host; no query
    or fragment."""
    if "://" in uri.split("?", 1)[0]:
        path = urlsplit(uri).path
    else:
        path = uri.split("?", 1)[0].split("#", 1)[0]
    return path


def _clean_char(c: str) -> str:
    if c in _ALLOWED_PUNCT:
        return c
    if c.isalnum() and unicodedata.category(c)[0] in "LN":     # letters and digits of any script
        return c
    return "_"


def _cut_utf8(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", "ignore")


def safe_name(uri: str | None, content_type: str | None = None, max_bytes: int = MAX_NAME_BYTES) -> str:
    """One safe file name (no directory part) for the body fetched with ``uri``."""
    path = unquote(uri_path(uri or ""), errors="replace")
    segments = [s for s in re.split(r"[/\\]", path) if s not in ("", ".", "..")]
    name = segments[-1] if segments else ""
    name = unicodedata.normalize("NFC", name)
    name = "".join(_clean_char(c) for c in name)
    name = name.rstrip(". ")
    if name.startswith("."):
        name = "_" + name[1:]
    if not name.strip("_"):
        name = DEFAULT_NAME if not segments else "object"
    if _RESERVED.match(name):
        name = "_" + name
    stem, ext = _split_ext(name)
    if not ext and content_type:
        ext = EXTENSIONS.get(content_type.split(";")[0].strip().lower(), "")
    stem = _cut_utf8(stem, max_bytes - len(ext.encode("utf-8")))
    name = (stem or "object") + ext
    assert _is_plain(name), name
    return name


def _split_ext(name: str) -> tuple[str, str]:
    dot = name.rfind(".")
    if dot <= 0 or len(name) - dot > MAX_EXTENSION or len(name) - dot < 2:
        return name, ""
    return name[:dot], name[dot:]


def _is_plain(name: str) -> bool:
    return (bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name
            and "\0" not in name and os.sep not in name and (os.altsep is None or os.altsep not in name))


class NamePlanner:
    """Unique safe names in one folder; ``taken`` are the names already there."""

    def __init__(self, taken=(), max_bytes: int = MAX_NAME_BYTES):
        self.max_bytes = max_bytes
        self._taken = {n.casefold() for n in taken}
        # per base name, the last repeat number handed out: the next repeat starts there instead of
        # trying (1), (2), ... again, so N objects with one URI cost O(N), not O(N^2)
        self._last: dict[str, int] = {}

    def name(self, uri: str | None, content_type: str | None = None) -> str:
        """A name for this object that no earlier one (nor a file already there) has."""
        base = safe_name(uri, content_type, self.max_bytes)
        name = base
        stem, ext = _split_ext(base)
        key = base.casefold()
        n = self._last.get(key, 0)
        while name.casefold() in self._taken:
            n += 1
            suffix = f"({n})"
            name = _cut_utf8(stem, self.max_bytes - len((suffix + ext).encode("utf-8"))) + suffix + ext
        self._last[key] = n
        self._taken.add(name.casefold())
        return name


def inside(folder: Path | str, name: str) -> Path:
    """``folder/name``, checked: a plain name whose resolved path lies directly in ``folder``."""
    folder = Path(folder).resolve()
    if not _is_plain(name):
        raise ValueError(f"unsafe file name {name!r}")
    path = folder / name
    if path.parent.resolve() != folder or path.name != name:
        raise ValueError(f"{name!r} would leave {folder}")
    return path
