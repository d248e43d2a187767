"""The timeline as one self-contained HTML page: per fetch a summary, an SVG waterfall, an SVG ladder
diagram and the steps with their explanations.

Self-contained: the CSS is inline, the pictures are inline SVG, there is no script and no external
resource, so the page shows the same offline. Safe: every string that came from a packet (URIs, host
names, header values, DNS names, the explanations that quote them) goes through
:func:`analyzer.report.safe.visible` (control characters as visible escapes) and :func:`html.escape`
(``quote=True``) before it reaches the page, in text and in attributes alike; a URI holding ``<script>``
shows as text.
"""

from __future__ import annotations

import html

from analyzer import __version__
from analyzer.report.safe import utc_text, visible
from analyzer.report.timeline_text import (
    fetch_title,
    frames_text,
    row_name,
    row_status,
    summary_rows,
)
from analyzer.timeline.model import Fetch, Timeline
from analyzer.timeline.texts import counted, label

PHASE_COLORS = {"dns": "#1b9e77", "connect": "#d95f02", "ssl": "#e7298a", "send": "#66a61e", "wait": "#7570b3",
                "receive": "#1f78b4"}
# the ladder's arrows by layer (the CSS below draws them; a layer without a colour would draw no line)
LADDER_COLORS = {"arp": "#8c6d31", "nd": "#8c6d31", "dns": "#1b9e77", "tcp": "#d95f02", "tls": "#e7298a",
                 "http": "#1f78b4", "quic": "#666666", "icmp": "#7570b3"}
PROBLEM_COLOR = "#b00020"
WF_LABEL = 330
WF_BAR = 600
WF_ROW = 22
LADDER_ROW = 24
LADDER_COL = 280
LADDER_LEFT = 200
LABEL_CHARS = 48
MS_UNIT = {"en": " ms", "zh": " 毫秒"}     # the unit of the times in ms (steps, waterfall), as the text says it

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", sans-serif;
       margin: 1.5em; color: #222; background: #fff; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
.meta, .source { color: #555; }
.url { font-family: ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
table.summary { border-collapse: collapse; }
table.summary th { text-align: left; padding: 2px 12px 2px 0; font-weight: 600; }
table.summary td { padding: 2px 0; }
table.steps { border-collapse: collapse; width: 100%; }
table.steps th, table.steps td { text-align: left; vertical-align: top; padding: 4px 8px;
                                 border-bottom: 1px solid #eee; }
table.steps td.text { overflow-wrap: anywhere; }
table.steps td.time, table.steps td.frames { white-space: nowrap; font-family: ui-monospace, Menlo, monospace; }
td.layer span { display: inline-block; min-width: 3em; padding: 0 4px; border-radius: 3px; color: #fff;
                font-size: 0.85em; text-align: center; }
.layer-arp span { background: #8c6d31; } .layer-dns span { background: #1b9e77; }
.layer-tcp span { background: #d95f02; } .layer-http span { background: #1f78b4; }
.layer-nd span { background: #8c6d31; } .layer-tls span { background: #e7298a; }
tr.problem td.text { color: #b00020; } tr.problem td.layer span { outline: 2px solid #b00020; }
ul.breakdown li { margin: 2px 0; }
svg .arrow.problem { stroke: #b00020 !important; stroke-dasharray: 5 2; }
svg { display: block; margin: 0.5em 0; }
svg text { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11px; fill: #222; }
svg .axis { stroke: #bbb; stroke-width: 1; }
svg .lifeline { stroke: #999; stroke-dasharray: 4 3; }
svg .arrow { stroke-width: 1.3; }
""" + "".join(f"svg .arrow.{k} {{ stroke: {c}; }}\n" for k, c in LADDER_COLORS.items()) + """\
.legend i.line { height: 0; width: 18px; border-top: 2px solid; }
.legend i.line.problem { border-top-style: dashed; }
.legend span { display: inline-block; margin-right: 1em; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; }
"""


def e(value: object) -> str:
    """Escape anything for HTML text or a quoted attribute; control characters (invalid in HTML text)
    are shown as visible escapes first, as on the terminal."""
    return html.escape(visible(str(value)), quote=True)


def _when(ns: int) -> str:
    return utc_text(ns)


def _short(text: str, n: int = LABEL_CHARS) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def html_report(timeline: Timeline, source: str | None = None) -> str:
    failed = sum(failed_count(f) for f in timeline.fetches)
    parts = [*report_head(timeline.lang, source, bool(timeline.fetches), failed),
             *(fetch_section(f, timeline.lang) for f in timeline.fetches), REPORT_TAIL]
    return "\n".join(parts) + "\n"


def failed_count(f: Fetch) -> int:
    """The failed connections of a fetch the report's top line counts (refused, unanswered, unreachable; QUIC's
    unanswered Initials)."""
    return sum(c.outcome in ("refused", "unanswered", "unreachable") for c in f.connections) + \
        sum(st.kind == "quic.unanswered" for st in f.steps)


def report_head(lang: str, source: str | None, any_fetch: bool, failed: int) -> list[str]:
    """The report's lines before the fetches' sections (:func:`html_report` joins them with the sections and
    :data:`REPORT_TAIL` by newlines; a writer that streams the sections does the same)."""
    title = label("report_title", lang)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}{' — ' + e(source) if source else ''}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(title)}</h1>",
    ]
    if source:
        version = f"（analyzer {__version__}）" if lang == "zh" else f" (analyzer {__version__})"
        parts.append(f'<p class="source">{e(label("generated", lang))} <span class="url">{e(source)}</span>'
                     f"{e(version)}</p>")
    if not any_fetch:
        parts.append(f'<p class="empty">{e(label("no_fetch", lang))}</p>')
    if failed:
        parts.append(f'<p class="failed-summary">{e(counted("failed_summary", failed, lang))}</p>')
    return parts


REPORT_TAIL = "</body>\n</html>"      # the report's last lines, after the sections


def fetch_section(f: Fetch, lang: str) -> str:
    server = f"[{f.server}]" if ":" in f.server else f.server
    rows = summary_rows(f, lang)
    where = f" → {e(label('server', lang))} {e(server)}:{e(f.server_port)}" if f.server else ""
    meta = (f'{e(label("client", lang))} {e(f.client)}{where}; {e(label("started", lang))} {e(_when(f.start_ns))}')
    out = [
        f'<section class="fetch kind-{e(f.kind)}" id="fetch-{f.index}">',
        f'<h2><span class="url">{e(fetch_title(f))}</span></h2>',
        f'<p class="meta">{meta}</p>',
        f'<h3>{e(label("summary", lang))}</h3>',
        '<table class="summary">',
    ]
    out += [f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows]
    out.append("</table>")
    bad = [c for c in f.connections if c.outcome in ("refused", "unanswered", "unreachable", "reset")]
    lost = [st for st in f.steps if st.kind == "quic.unanswered"]
    if bad or lost:
        out.append(f'<h3>{e(label("failed_connections", lang))}</h3><ul class="failed">')
        for c in bad:
            out.append(f'<li class="failed-connection" data-stream="{e(c.stream)}">'
                       f'{e(label("connection", lang))} {e(c.stream)} → {e(c.server)}:{e(c.server_port)}: '
                       f'{e(label("outcome." + c.outcome, lang))} '
                       f'({e(label("frame", lang))} {e(", ".join(map(str, c.syn_frames)))})</li>')
        for st in lost:         # a QUIC connection (UDP) whose Initial packets had no answer
            out.append(f'<li class="failed-connection quic" data-udp-stream="{e(st.facts.get("stream"))}">'
                       f'QUIC {e(label("connection", lang))} → {e(st.facts.get("server_ep"))}: '
                       f'{e(label("outcome.unanswered", lang))} '
                       f'({e(label("frame", lang))} {e(", ".join(map(str, st.frames)))})</li>')
        out.append("</ul>")
    if f.breakdown:
        out.append(f'<h3>{e(label("breakdown", lang))}</h3><ul class="breakdown">')
        out += [f"<li>{e(d.text)}</li>" for d in f.breakdown]
        out.append("</ul>")
    quic = quic_rows(f, lang)
    if any(r.phases for r in f.requests) or quic:
        out.append(f'<h3>{e(label("waterfall", lang))}</h3>')
        out.append(waterfall_svg(f, lang, quic))
    if f.ladder:
        out.append(f'<h3>{e(label("ladder", lang))}</h3>')
        out.append(ladder_svg(f, lang))
    out.append(f'<h3>{e(label("steps", lang))}</h3>')
    out.append('<table class="steps">')
    out.append(f"<tr><th>{e(label('time', lang))}</th><th>{e(label('frame', lang))}</th>"
               f"<th>{e(label('layer', lang))}</th><th>{e(label('step', lang))}</th></tr>")
    unit = MS_UNIT.get(lang, " ms")
    for st in f.steps:
        problem = " problem" if st.problem else ""
        out.append(f'<tr class="step layer-{e(st.layer)}{problem}" data-step="{e(st.kind)}">'
                   f'<td class="time">{st.time * 1000:.3f}{unit}</td>'
                   f'<td class="frames">{e(frames_text(st.frames))}</td>'
                   f'<td class="layer"><span>{e(st.layer)}</span></td>'
                   f'<td class="text">{e(st.text)}</td></tr>')
    out.append("</table>")
    out.append("</section>")
    return "\n".join(out)


ARROW_HEAD = ('<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
              'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker>'
              "</defs>")


def _svg_open(kind: str, width: float, height: float, title: str) -> str:
    return (f'<svg class="{kind}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{e(title)}">')


def quic_rows(f: Fetch, lang: str) -> list[tuple[str, list[tuple[str, float, float]], str, float]]:
    """The fetch's QUIC connections as waterfall rows (name, phases (name, start, end) in seconds from the
    fetch's start, status, total ms), from the timeline's ``quic.*`` steps: connect (QUIC's handshake, TLS
    inside it) from the client's Initial to its first 1-RTT packet, receive from there to the last datagram;
    an unanswered one is a connect bar to its last Initial, "failed"."""
    by_stream: dict[object, dict[str, object]] = {}
    for st in f.steps:
        if st.layer == "quic" and st.kind.startswith("quic.") and st.ts_ns is not None:
            by_stream.setdefault(st.facts.get("stream"), {})[st.kind] = st
    rows = []
    for steps in by_stream.values():
        first = steps.get("quic.initial.hello") or steps.get("quic.initial")
        if first is None:
            continue
        start = (first.ts_ns - f.start_ns) / 1e9
        sni = first.facts.get("sni")
        name = "QUIC " + (sni if sni not in (None, "-") else str(first.facts.get("server_ep")))
        lost, done, data = steps.get("quic.unanswered"), steps.get("quic.done"), steps.get("quic.data")
        phases = []
        if lost is not None:
            end = (lost.ts_ns - f.start_ns) / 1e9
            phases.append(("connect", start, end))
            rows.append((name, phases, label("failed", lang), (end - start) * 1000))
            continue
        end = start
        if done is not None:
            end = (done.ts_ns - f.start_ns) / 1e9
            phases.append(("connect", start, end))
        if data is not None:
            last = (data.ts_ns - f.start_ns) / 1e9
            if last > end:
                phases.append(("receive", end, last))
                end = last
        rows.append((name, phases, label("encrypted.status", lang), (end - start) * 1000))
    return rows


def waterfall_svg(f: Fetch, lang: str, quic: list | None = None) -> str:
    """One bar per request, phases to scale; each phase has a tooltip with its duration. ``quic``: rows of
    the fetch's QUIC connections (:func:`quic_rows`), after the requests."""
    reqs = [r for r in f.requests if r.phases]
    quic = quic or []
    span = max([p.end for r in reqs for p in r.phases] + [p[2] for q in quic for p in q[1]], default=0.0) or 1e-9
    top = 24
    height = top + WF_ROW * (len(reqs) + len(quic)) + 10
    width = WF_LABEL + WF_BAR + 140
    out = [_svg_open("waterfall", width, height, label("waterfall", lang))]
    unit = MS_UNIT.get(lang, " ms")
    colon = "：" if lang == "zh" else ": "     # a phase's tooltip: "建连：1006.408 毫秒"
    for i in range(6):
        x = WF_LABEL + WF_BAR * i / 5
        out.append(f'<line class="axis" x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 6}"/>')
        # (axis labels below)
        out.append(f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle">{span * 1000 * i / 5:.1f}{unit}</text>')
    for n, r in enumerate(reqs):
        y = top + n * WF_ROW
        name = row_name(f, r, lang)
        enc = " encrypted" if r.exchange is not None else ""        # inferred from encrypted records
        out.append(f'<g class="request{enc}" data-stream="{e(r.stream)}">')
        out.append(f'<text class="label" x="4" y="{y + 15}"><title>{e(name)}</title>{e(_short(name))}</text>')
        for p in r.phases:
            if p.name not in PHASE_COLORS:
                continue
            x = min(max(WF_LABEL + p.start / span * WF_BAR, WF_LABEL), WF_LABEL + WF_BAR)
            w = min(max((p.end - p.start) / span * WF_BAR, 1.0), WF_LABEL + WF_BAR - x + 1)
            out.append(f'<rect class="phase {e(p.name)}" x="{x:.2f}" y="{y + 4}" width="{w:.2f}" height="14" '
                       f'fill="{PHASE_COLORS[p.name]}"><title>{e(label("legend." + p.name, lang))}{colon}'
                       f'{(p.end - p.start) * 1000:.3f}{unit}</title></rect>')
        status = row_status(r, lang)
        out.append(f'<text x="{WF_LABEL + WF_BAR + 8}" y="{y + 15}">{e(status)} {r.total:.1f}{unit}</text>')
        out.append("</g>")
    for n, (name, phases, status, total) in enumerate(quic, len(reqs)):
        y = top + n * WF_ROW
        out.append('<g class="request encrypted quic">')
        out.append(f'<text class="label" x="4" y="{y + 15}"><title>{e(name)}</title>{e(_short(name))}</text>')
        for pname, start, end in phases:
            x = min(max(WF_LABEL + start / span * WF_BAR, WF_LABEL), WF_LABEL + WF_BAR)
            w = min(max((end - start) / span * WF_BAR, 1.0), WF_LABEL + WF_BAR - x + 1)
            out.append(f'<rect class="phase {e(pname)}" x="{x:.2f}" y="{y + 4}" width="{w:.2f}" height="14" '
                       f'fill="{PHASE_COLORS[pname]}"><title>{e(label("legend." + pname, lang))}{colon}'
                       f'{(end - start) * 1000:.3f}{unit}</title></rect>')
        out.append(f'<text x="{WF_LABEL + WF_BAR + 8}" y="{y + 15}">{e(status)} {total:.1f}{unit}</text>')
        out.append("</g>")
    out.append("</svg>")
    legend = "".join(f'<span><i style="background:{c}"></i>{e(label("legend." + n, lang))}</span>'
                     for n, c in PHASE_COLORS.items())
    return "\n".join(out) + f'\n<p class="legend">{legend}</p>'


def ladder_svg(f: Fetch, lang: str) -> str:
    """Client on the left, one lifeline per peer; an arrow per message, labelled with what it does."""
    peers: list[str] = []
    for row in f.ladder:
        if row.peer not in peers:
            peers.append(row.peer)
    cols = {"client": LADDER_LEFT + 40}
    for i, p in enumerate(peers):
        cols[p] = LADDER_LEFT + 40 + LADDER_COL * (i + 1)
    top = 44
    height = top + LADDER_ROW * len(f.ladder) + 16
    width = cols[peers[-1]] + 120 if peers else LADDER_LEFT + 200
    out = [_svg_open("ladder", width, height, label("ladder", lang)), ARROW_HEAD,
           f'<text x="4" y="16">{e(label("time_ms", lang))}</text>',
           f'<text x="90" y="16">{e(label("frame", lang))}</text>']
    names = [("client", f"{label('client', lang)} {f.client}")] + [(p, p) for p in peers]
    for key, name in names:
        x = cols[key]
        out.append(f'<text class="party" x="{x}" y="16" text-anchor="middle">{e(name)}</text>')
        out.append(f'<line class="lifeline" x1="{x}" y1="24" x2="{x}" y2="{height - 8}"/>')
    for n, row in enumerate(f.ladder):
        y = top + n * LADDER_ROW
        a, b = cols["client"], cols[row.peer]
        x1, x2 = (a, b) if row.sender == "client" else (b, a)
        mid = (a + b) / 2
        out.append(f'<g class="message" data-frame="{e(row.frame)}">')
        out.append(f'<text x="4" y="{y + 4}">{row.time * 1000:.3f}</text>')
        out.append(f'<text x="90" y="{y + 4}">{"#" + e(row.frame) if row.frame else ""}</text>')
        out.append(f'<line class="arrow {e(row.layer)}{" problem" if row.problem else ""}" x1="{x1}" y1="{y}" x2="{x2}" y2="{y + 8}" '
                   f'marker-end="url(#head)"/>')
        out.append(f'<text class="what" x="{mid:.1f}" y="{y - 2}" text-anchor="middle">'
                   f"<title>{e(row.label)}</title>{e(_short(row.label))}</text>")
        out.append("</g>")
    out.append("</svg>")
    # the legend: the layers drawn, then red (dashed) for a problem: only what a step tells as one (a segment
    # Wireshark flags that its step calls harmless, a FIN repeated as the FINs crossed, keeps its layer's colour)
    layers = dict.fromkeys(row.layer for row in f.ladder if row.layer in LADDER_COLORS)
    items = [f'<span><i class="line" style="border-color:{LADDER_COLORS[x]}"></i>{e(label("ladder.layer." + x, lang))}'
             "</span>" for x in layers]
    if any(row.problem for row in f.ladder):
        items.append(f'<span><i class="line problem" style="border-color:{PROBLEM_COLOR}"></i>'
                     f'{e(label("ladder.problem", lang))}</span>')
    return "\n".join(out) + f'\n<p class="legend ladder-legend">{"".join(items)}</p>'
