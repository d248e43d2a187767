"""The timeline on the terminal: per fetch the steps, a summary, a waterfall and a ladder diagram.

Every string that came from a packet (URIs, host names, DNS names, content types, header values) goes
through :func:`analyzer.report.safe.visible`, so control characters and escape sequences show as visible
escapes. Texts wrap at :data:`WIDTH` columns, counting East Asian wide characters as two.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata

from analyzer.report.safe import utc_text, visible
from analyzer.timeline.model import Fetch, Timeline
from analyzer.timeline.texts import label

WIDTH = 118
BAR_WIDTH = 60
LABEL_WIDTH = 30
ARROW_WIDTH = 64
PHASE_CHARS = {"dns": "d", "connect": "c", "send": "s", "wait": "w", "receive": "r"}


def render(timeline: Timeline) -> str:
    """The whole timeline as text (a line saying so when the capture holds no page fetch)."""
    lang = timeline.lang
    if not timeline.fetches:
        return label("no_fetch", lang)
    return "\n\n".join(fetch_text(f, lang) for f in timeline.fetches)


def fetch_text(fetch: Fetch, lang: str = "en") -> str:
    out = [header(fetch, lang), "", steps_text(fetch, lang), "", summary_text(fetch, lang), "",
           waterfall(fetch, lang), "", ladder(fetch, lang)]
    return "\n".join(out)


def _when(ns: int) -> str:
    return utc_text(ns)


def header(fetch: Fetch, lang: str = "en") -> str:
    server = f"[{fetch.server}]" if ":" in fetch.server else fetch.server
    return (f"{label('fetch', lang)} {fetch.index}: {visible(fetch.url)}\n"
            f"  {label('client', lang)} {fetch.client} -> {label('server', lang)} {server}:{fetch.server_port}, "
            f"{label('started', lang)} {_when(fetch.start_ns)}")


def frames_text(frame: int | tuple[int, ...]) -> str:
    if isinstance(frame, int):
        return f"#{frame}"
    if not frame:
        return "-"
    if len(frame) <= 3:
        return "#" + ",".join(map(str, frame))
    return f"#{frame[0]}..{frame[-1]} ({len(frame)})"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` display columns: breaks at spaces and between wide (CJK) characters,
    never inside a run of narrow ones (a number, a word) unless it is longer than a line."""
    if _width(text) == len(text):
        return textwrap.wrap(text, width) or [""]
    tokens = re.findall(r"\s+|[^\s\u1100-\uffff]+|.", text)
    lines, line, w = [], "", 0
    for tok in tokens:
        tw = _width(tok)
        if w + tw > width and line:
            lines.append(line.rstrip())
            line, w = "", 0
            if tok.isspace():
                continue
        while tw > width:            # a run longer than a line
            lines.append(tok[:width])
            tok = tok[width:]
            tw = _width(tok)
        line += tok
        w += tw
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def steps_text(fetch: Fetch, lang: str = "en") -> str:
    lines = [f"  {label('steps', lang)}"]
    for s in fetch.steps:
        prefix = f"    {s.time * 1000:>11.3f} ms  {frames_text(s.frame):<13} {s.layer:<4}  "
        body = wrap(visible(s.text), WIDTH - len(prefix))
        lines.append(prefix + body[0])
        lines += [" " * len(prefix) + more for more in body[1:]]
    return "\n".join(lines)


def _ms(v: float, lang: str) -> str:
    return f"{v:.3f} ms" if v >= 0 else label("not captured", lang)


def summary_rows(fetch: Fetch, lang: str = "en") -> list[tuple[str, str]]:
    """The summary as (label, value) pairs; values may hold packet strings (the document's URI)."""
    s = fetch.summary
    doc = fetch.requests[0]
    requests = f"{s.requests} {label('requests', lang)}, {s.connections} {label('connections', lang)}"
    tcp = f"{label('sent', lang)} {s.bytes_sent:,}, {label('received', lang)} {s.bytes_received:,}"
    http = f"{label('sent', lang)} {s.http_bytes_sent:,}, {label('received', lang)} {s.http_bytes_received:,}"
    return [
        (label("dns_time", lang), _ms(s.dns_ms, lang)),
        (label("connect_time", lang), _ms(s.connect_ms, lang)),
        (label("ttfb", lang), f"{_ms(s.ttfb_ms, lang)} ({doc.method} {_short(doc.uri, 80)})"),
        (label("total", lang), _ms(s.total_ms, lang)),
        (label("requests", lang), f"{requests}: {label(s.connection_mode, lang)}"),
        (label("requests_per_connection", lang),
         ", ".join(f"#{stream}: {n}" for stream, n in s.requests_per_connection)),
        (label("tcp_bytes", lang), tcp),
        (label("http_bytes", lang), http),
        (label("dns_lookups", lang), str(s.dns_lookups)),
    ]


def summary_text(fetch: Fetch, lang: str = "en") -> str:
    rows = summary_rows(fetch, lang)
    key_width = max(_width(k) for k, _ in rows)
    lines = [f"  {label('summary', lang)}"]
    for key, value in rows:
        lines.append(f"    {key}{' ' * (key_width - _width(key))}  {visible(value)}")
    return "\n".join(lines)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 3] + "..."


def waterfall(fetch: Fetch, lang: str = "en", width: int = BAR_WIDTH) -> str:
    """One bar per request, its phases to scale over the fetch's time span."""
    span = max((p.end for r in fetch.requests for p in r.phases), default=0.0) or 1e-9
    lines = [f"  {label('waterfall', lang)} (0 - {span * 1000:.3f} ms; {label('legend', lang)})"]
    for r in fetch.requests:
        bar = [" "] * width
        for p in r.phases:
            ch = PHASE_CHARS.get(p.name)
            if ch is None:
                continue
            # a phase may start before the fetch or end after it (a frame stamped out of order): clip it
            a = max(0, min(int(p.start / span * width), width - 1))
            b = max(0, min(round(p.end / span * width), width))
            for i in range(a, max(b, a + 1)):
                bar[i] = ch
        name = visible(_short(f"{r.method} {r.uri}", LABEL_WIDTH))
        status = str(r.status) if r.status is not None else "-"
        lines.append(f"    {name:<{LABEL_WIDTH}} |{''.join(bar)}| {r.total:>9.3f} ms  {status}  #{r.stream}")
    return "\n".join(lines)


def ladder(fetch: Fetch, lang: str = "en") -> str:
    """The fetch's messages as arrows between the client (left) and each peer (named on the right)."""
    client = f"{label('client', lang)} {fetch.client}"
    heading = f"    {label('time', lang) + ' (ms)':>11}  {label('frame', lang):>6}  {client:<{ARROW_WIDTH}}"
    lines = [f"  {label('ladder', lang)}", f"{heading}  {label('peer', lang)}"]
    for row in fetch.ladder:
        text = visible(row.label)
        room = ARROW_WIDTH - 6
        if len(text) > room:
            text = text[:room - 3] + "..."
        if row.sender == "client":
            arrow = f"-- {text} ".ljust(ARROW_WIDTH - 1, "-") + ">"
        else:
            arrow = "<" + f"-- {text} ".ljust(ARROW_WIDTH - 1, "-")
        lines.append(f"    {row.time * 1000:>11.3f}  {row.frame:>6}  {arrow}  {visible(row.peer)}")
    return "\n".join(lines)
