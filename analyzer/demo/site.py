"""The demo's small web site: a page that references a stylesheet, a script and an image.

Generated in memory (the PNG with zlib), so the servers need no files and no image library.
"""

from __future__ import annotations

import struct
import zlib

from analyzer.demo.dns import DEMO_NAME

INDEX_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Example page</title>
<link rel="stylesheet" href="style.css">
<script src="app.js" defer></script>
</head>
<body>
<header><img src="logo.png" alt="logo" width="64" height="64"><h1>{name}</h1></header>
<main>
<p>This page was served by the analyzer's own demo server.</p>
<p>A browser resolves the name, opens one TCP connection, asks for this page and then for the
stylesheet, the script and the logo it references.</p>
</main>
</body>
</html>
"""

STYLE_CSS = """body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 40em; color: #222; }
header { display: flex; align-items: center; gap: 1em; border-bottom: 2px solid #2a6; }
h1 { font-size: 1.6em; color: #2a6; }
p { line-height: 1.5; }
"""

APP_JS = """document.addEventListener("DOMContentLoaded", () => {
  const stamp = document.createElement("p");
  stamp.textContent = "Loaded at " + new Date().toISOString();
  document.querySelector("main").appendChild(stamp);
});
"""


def logo_png(size: int = 64) -> bytes:
    """A small RGBA PNG (a green disc on a gradient)."""
    rows = []
    for y in range(size):
        row = bytearray(b"\0")
        for x in range(size):
            inside = (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size * 0.4) ** 2
            row += bytes((0x22, 0xAA, 0x66, 0xFF)) if inside else bytes((4 * x % 256, 4 * y % 256, 200, 0xFF))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack("!IIBBBBB", size, size, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


def site(name: str = DEMO_NAME) -> dict[str, tuple[str, bytes]]:
    """path -> (content type, body)."""
    return {
        "/": ("text/html; charset=utf-8", INDEX_HTML.replace("{name}", name).encode()),
        "/index.html": ("text/html; charset=utf-8", INDEX_HTML.replace("{name}", name).encode()),
        "/style.css": ("text/css; charset=utf-8", STYLE_CSS.encode()),
        "/app.js": ("text/javascript; charset=utf-8", APP_JS.encode()),
        "/logo.png": ("image/png", logo_png()),
    }


def write_site(folder, name: str = DEMO_NAME) -> None:
    """The same files on disk (for nginx in the lab)."""
    import os

    for path, (_ctype, body) in site(name).items():
        if path == "/":
            continue
        with open(os.path.join(folder, path.lstrip("/")), "wb") as f:
            f.write(body)
