"""The timeline on the terminal: per fetch its steps, a summary, where the time went, a waterfall and a
ladder diagram; wrapped to a width, coloured (through rich) only when asked.

Every string that came from a packet (URIs, host names, DNS names, content types, header values) goes
through :func:`analyzer.report.safe.visible`, so control characters and escape sequences show as visible
escapes. Widths count East Asian wide characters as two columns. Chinese text is broken between any two
characters, but never so that a line starts with closing punctuation (。，、；：）」”…) or ends with an
opening one (（「“): such a character travels with its neighbour.

:func:`render` and :func:`render_fetch` are the library's way to get exactly what ``analyzer timeline``
prints, with no CLI involved.
"""

from __future__ import annotations

import io
import re
import unicodedata

from analyzer.compiled import compiled
from analyzer.report.safe import utc_text, visible
from analyzer.timeline.model import Fetch, FetchSummary, RequestTiming, Timeline
from analyzer.timeline.texts import counted, duration, label, names_text

DEFAULT_WIDTH = 80
_STEPS_PLAIN = compiled("steps_plain")     # the plain step and ladder lines in C (None: not built, or pure
_LADDER_PLAIN = compiled("ladder_plain")   # Python)
STEPS_COMPILED = True                      # both; tests/test_timeline_text_fast.py turns it off to compare
PHASE_CHARS = {"dns": "d", "connect": "c", "ssl": "t", "send": "s", "wait": "w", "receive": "r"}
# a terminal's 16 colours: TCP is not orange there (rich's dark_orange becomes bright red, the problems' colour)
LAYER_STYLE = {"arp": "yellow", "nd": "yellow", "dns": "green", "tcp": "bright_cyan", "tls": "magenta",
               "http": "blue"}
PROBLEM_STYLE = "bold red"      # the ladder's problems: only what a step tells as one
NO_LINE_START = set("。，、；：？！）」』】〉》”’…·%)]},.;:!?")
NO_LINE_END = set("（「『【〈《“‘([{")


# -- measuring and wrapping ---------------------------------------------------------------------------
def width_of(text: str) -> int:
    """Display columns of ``text`` (East Asian wide and full-width characters count two)."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_TOKEN = re.compile(r"\s+|[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
                    r"|[^\s\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]+")


# a number and its unit ("1.006 s", "3.972 秒") stay on one line: the space between them becomes a NUL while
# wrapping (no packet string holds one: they are escaped by visible()) and a space again in the lines
# (the digit and the unit are looked at, not taken: the replacement is a plain string, no Python call per match)
_UNIT = re.compile(r"(?<=\d) (?=(?:µs|ms|s|min|h|d|微秒|毫秒|秒|分|小时|天)(?![\w\u4e00-\u9fff]))")
_WIDE_UNITS = ("微秒", "毫秒", "小时", "秒", "分", "天")


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` columns: breaks at spaces and between wide (CJK) characters, never inside
    a run of narrow ones (a number, a word) unless it is longer than a line, nor between a duration's number
    and its unit; closing punctuation never starts a line and opening punctuation never ends one."""
    width = max(width, 10)
    if text.isascii():
        if len(text) <= width and "\0" not in text:
            return [" ".join(text.split())]       # one line: what the steps below give, without them
        # its words are what split() gives and one space apart already: no split and join to normalize them
        spaced = text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "
        glued = _UNIT.sub("\0", text) if width >= 20 else text     # narrower: the width comes first
        if glued is text or glued == text:
            return _wrap_ascii(text, width, spaced)
        return [line.replace("\0", " ") for line in _wrap_ascii(glued, width, spaced)]
    glued = _UNIT.sub("\0", text) if width >= 20 else text     # narrower: the width comes first
    if glued != text:
        return [line.replace("\0", " ") for line in _wrap(glued, width)]
    return _wrap(text, width)


def _wrap(text: str, width: int) -> list[str]:
    if text.isascii() or _narrow_words(text, width):
        return _wrap_ascii(text, width)
    return _wrap_tokens(text, width)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _narrow_words(text: str, width: int) -> bool:
    """Is ``text`` one column a character ("µs": no wide one) with every word shorter than a line? Then the
    token loop of :func:`_wrap_tokens` is the greedy wrap of :func:`_wrap_ascii`: a line never ends in a word
    glued to the next one (narrow words are separated by spaces), so no closing or opening mark travels."""
    if any(unicodedata.east_asian_width(ch) in "WF" for ch in set(_NON_ASCII.findall(text))):
        return False
    return max(map(len, text.split()), default=0) <= width


def _wrap_tokens(text: str, width: int) -> list[str]:
    """:func:`wrap` word by word and wide character by wide character (any text)."""
    tokens = _TOKEN.findall(text)
    for i in range(len(tokens) - 2, -1, -1):       # "3.972\0" + "毫" + "秒": one token
        if tokens[i].endswith("\0"):
            n = next((len(u) for u in _WIDE_UNITS if "".join(tokens[i + 1:i + 1 + len(u)]) == u), 1)
            tokens[i:i + 1 + n] = ["".join(tokens[i:i + 1 + n])]
    lines: list[str] = []
    line: list[str] = []
    w = 0
    for tok in tokens:
        tw = width_of(tok)
        if tok.isspace():
            if line:
                line.append(" ")
                w += 1
            continue
        if w + tw > width and line:
            carry: list[str] = []
            # a closing mark may not start the next line: take the last token of this line along, and the
            # one before it while the taken one is a closing mark too ("OK" "，" "text/css" "，")
            if tok[0] in NO_LINE_START:
                while line and line[-1] != " " and len(carry) < 3 and (not carry or carry[0][0] in NO_LINE_START):
                    carry.insert(0, line.pop())
            while line and line[-1] != " " and line[-1][-1] in NO_LINE_END:
                carry.insert(0, line.pop())
            while line and line[-1] == " ":
                line.pop()
            if line:
                lines.append("".join(line))
                line, w = carry, sum(width_of(x) for x in carry)
            else:
                line, w = carry, sum(width_of(x) for x in carry)
        while tw > width:                   # a run longer than a line
            cut = _cut(tok, width - w if w < width else width)
            if line and w + width_of(tok[:cut]) > width:
                lines.append("".join(line).rstrip())
                line, w = [], 0
                continue
            lines.append("".join(line) + tok[:cut])
            line, w = [], 0
            tok = tok[cut:]
            tw = width_of(tok)
        line.append(tok)
        w += tw
    if line:
        while line and line[-1] == " ":
            line.pop()
        lines.append("".join(line))
    return lines or [""]


def _wrap_ascii(text: str, width: int, spaced: bool = False) -> list[str]:
    """The greedy wrap of :func:`wrap` for text without wide characters (one column each): each line the
    longest run of the remaining words (one space between) that fits, found with ``str.rfind`` per line
    rather than a step per word; a word longer than a line goes through :func:`_wrap_words`. ``spaced``: the
    text's only whitespace is single spaces between words (what ``" ".join(text.split())`` gives)."""
    if spaced:
        rest = text
    else:
        words = text.split()
        if not words:
            return [""]
        rest = " ".join(words)
    if len(rest) <= width:
        return [rest]
    lines: list[str] = []
    while len(rest) > width:
        cut = rest.rfind(" ", 0, width + 1)
        if cut < 0:     # a word longer than a line starts the rest (one does, if any is): word by word
            return _wrap_words(text.split(), width)
        lines.append(rest[:cut])
        rest = rest[cut + 1:]
    lines.append(rest)
    return lines


def _wrap_words(words: list[str], width: int) -> list[str]:
    """:func:`_wrap_ascii` word by word, cutting words longer than a line."""
    lines: list[str] = []
    line = ""
    for word in words:
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines or [""]


def _cut(tok: str, room: int) -> int:
    n = 0
    w = 0
    for ch in tok:
        cw = width_of(ch)
        if w + cw > room:
            break
        w += cw
        n += 1
    return max(n, 1)


def pad(text: str, width: int) -> str:
    if text.isascii():
        return text.ljust(width)
    return text + " " * max(width - width_of(text), 0)


def rpad(text: str, width: int) -> str:
    if text.isascii():
        return text.rjust(width)
    return " " * max(width - width_of(text), 0) + text


def short(text: str, n: int) -> str:
    """``text`` cut to ``n`` columns, with "..." when cut."""
    if text.isascii():
        return text if len(text) <= n else text[:max(n - 3, 0)] + "..."
    if width_of(text) <= n:
        return text
    out = ""
    for ch in text:
        if width_of(out + ch) > n - 3:
            break
        out += ch
    return out + "..."


# -- output lines with styles ------------------------------------------------------------------------
class Out:
    """Lines of text, each a tuple of pieces: a plain string or a (text, style) pair; rendered plain or, with
    ``color``, through rich. ``plain``: the lines will be rendered without colour, so a part may add each line
    as one string (:meth:`line`) rather than styled pieces: the same text, without a tuple per piece (the
    steps and the ladder, most of a fetch's lines)."""

    def __init__(self, plain: bool = False) -> None:
        self.plain = plain
        self.lines: list[tuple[tuple[str, str] | str, ...] | str] = []

    def add(self, *pieces: tuple[str, str] | str) -> None:
        self.lines.append(pieces)

    def line(self, text: str) -> None:
        """A line as one unstyled string (what :meth:`add`'s pieces give with their styles left out)."""
        self.lines.append(text)

    def text(self, color: bool = False, width: int = DEFAULT_WIDTH) -> str:
        if not color:
            return "\n".join([line.rstrip() if line.__class__ is str else
                              "".join([p[0] if p.__class__ is tuple else p for p in line]).rstrip()
                              for line in self.lines])
        from rich.console import Console
        from rich.text import Text

        buf = io.StringIO()
        console = Console(file=buf, force_terminal=True, color_system="standard", width=max(width, 20) + 40,
                          highlight=False, emoji=False, markup=False, soft_wrap=True)
        for line in self.lines:
            t = Text()
            for piece in ((line,) if line.__class__ is str else line):
                piece, style = (piece, "") if isinstance(piece, str) else piece
                t.append(piece, style=style or None)
            t.rstrip()
            console.print(t, soft_wrap=True)
        return buf.getvalue().rstrip("\n")


# -- the parts of a fetch ----------------------------------------------------------------------------
def _when(ns: int) -> str:
    return utc_text(ns)         # any year: a damaged capture's clock may say 58870


def frames_text(frames: tuple[int, ...] | int | None) -> str:
    if frames is None:
        return "-"
    if isinstance(frames, int):
        return f"#{frames}"
    if not frames:
        return "-"
    if len(frames) <= 3:
        return "#" + ",".join(map(str, frames))
    return f"#{frames[0]}..{frames[-1]} ({len(frames)})"


def _endpoint(addr: str, port: int | None) -> str:
    a = f"[{addr}]" if ":" in addr else addr
    return a if port is None else f"{a}:{port}"


def fetch_title(fetch: Fetch) -> str:
    """"Fetch 1: http://www.example.test/" (packet strings not escaped: the caller's job)."""
    kind = fetch.kind
    if kind == "connection" and any(c.tls for c in fetch.connections):
        # with keys that opened it, a TLS connection with no request is no hidden request; one whose handshake
        # failed had none
        kind = "tls.failed" if all(c.tls and c.tls.get("failed") for c in fetch.connections) else \
            "tls.idle" if any(c.tls and c.tls.get("decrypted") for c in fetch.connections) else "tls"
    elif kind == "page" and fetch.requests and all(r.method == "CONNECT" and not 200 <= (r.status or 0) < 300
                                                   for r in fetch.requests):
        kind = "proxy.refused"      # every request was a CONNECT its proxy refused (or never answered)
    elif kind == "quic" and any(r.http_version == "HTTP/3" for r in fetch.requests):
        kind = "quic.decrypted"         # opened with a key log: its HTTP/3 requests are told
    elif kind == "lookup" and not fetch.lookups and any(s.kind.startswith("dns.query.unread") for s in fetch.steps) \
            and not any(s.kind.startswith("dns.answer") for s in fetch.steps):
        kind = "lookup.unread"          # only queries whose question cannot be read: the URL is their IDs
    elif kind == "lookup" and not fetch.lookups and any(s.kind == "dns.answer.lone.unread" for s in fetch.steps) \
            and all(s.kind in ("dns.answer.lone.unread", "dns.answer.stray.more") or s.kind.startswith(
                "dns.query.unread") for s in fetch.steps if s.layer == "dns"):
        kind = "lookup.unread.answer"   # and answers whose question's name cannot be read (a pointer that loops)
    elif kind == "lookup" and not fetch.lookups and fetch.steps and all(s.layer in ("arp", "nd") for s in fetch.steps):
        # only neighbour messages: not DNS lookups, and the capture may be off the path of what followed (a switch
        # port that sees only broadcasts): no connection in this file, not "no connection followed"
        layers = {s.layer for s in fetch.steps}
        kind = "lookup.arp" if layers == {"arp"} else "lookup.nd" if layers == {"nd"} else "lookup.neighbour"
    url = fetch.url
    if kind.startswith("lookup") and fetch.lang == "zh":
        # the names (or IDs) listed as a Chinese list: "a、b、c 等", not "a, b, c, ..."
        url = url.replace(", ...", " 等").replace(", ", "、")
    return label(f"fetch.{kind}", fetch.lang).format(n=fetch.index, url=url)


def header(out: Out, fetch: Fetch, lang: str, width: int = DEFAULT_WIDTH) -> None:
    cont = " " + label("continues", lang).format(n=fetch.continues) if fetch.continues else ""
    for line in wrap(visible(fetch_title(fetch)) + cont, width):
        out.add((line, "bold"))
    key = "header.server" if fetch.server else "header"
    when = _when(fetch.start_ns).replace(" ", "\0")     # the date, the time and the zone stay on one line
    text = label(key, lang).format(client=fetch.client, server=_endpoint(fetch.server, fetch.server_port),
                                   when=when)
    for line in wrap(text, width - 2):
        out.add("  " + line.replace("\0", " "))


def steps_part(out: Out, fetch: Fetch, lang: str, width: int) -> None:
    out.add((f"  {label('steps', lang)}", "bold"))
    tw = 11 if lang != "zh" else 13       # "1234.567 ms" / "1234.567 毫秒" (two wide characters)
    fw = 10
    prefix_w = 2 + tw + 2 + fw + 1 + 5
    text_w = width - prefix_w
    indent = " " * prefix_w
    if out.plain:
        _steps_plain(out, fetch, tw, fw, text_w, indent, lang)
        return
    for s in fetch.steps:
        t = rpad(step_time(s.time, lang), tw)
        fr = frames_text(s.frames)
        layer = s.layer
        body = wrap(visible(s.text), text_w)
        mark = "!" if s.problem else " "
        text_style = "red" if s.problem else ""
        if width_of(fr) > fw:
            out.add("  ", (t, "dim"), "  ", (fr, "cyan"))
            out.add(" " * (2 + tw + 2), pad("", fw), " ", (pad(layer, 4), LAYER_STYLE.get(layer, "")),
                    (mark, "bold red"), (body[0], text_style))
        else:
            out.add("  ", (t, "dim"), "  ", (pad(fr, fw), "cyan"), " ",
                    (pad(layer, 4), LAYER_STYLE.get(layer, "")), (mark, "bold red"), (body[0], text_style))
        for more in body[1:]:
            out.add(indent, (more, text_style))


def _steps_plain(out: Out, fetch: Fetch, tw: int, fw: int, text_w: int, indent: str, lang: str = "en") -> None:
    """:func:`steps_part`'s lines as strings, for an output without colour: the same columns. The compiled
    ``steps_plain`` writes the lines of the steps whose text is printable ASCII, "µ" allowed (most of an English
    timeline's; it writes the time's unit in English), this loop the others and all of a Chinese timeline's."""
    steps = fetch.steps
    # (the compiled lines write the English unit: a Chinese timeline's steps are written here)
    fast = _STEPS_PLAIN if STEPS_COMPILED and tw == 11 and fw == 10 and lang != "zh" else None
    if fast is None:
        _steps_py(out, steps, tw, fw, text_w, indent, lang)
        return
    i, n = 0, len(steps)
    while i < n:
        i = fast(out.lines, steps, i, text_w)
        if i < n:
            _steps_py(out, steps[i:i + 1], tw, fw, text_w, indent)
            i += 1


def _steps_py(out: Out, steps: tuple, tw: int, fw: int, text_w: int, indent: str, lang: str = "en") -> None:
    line = out.line
    lead = " " * (2 + tw + 2 + fw + 1)
    for s in steps:
        t = rpad(step_time(s.time, lang), tw)
        fr = frames_text(s.frames)
        body = wrap(visible(s.text), text_w)
        tail = pad(s.layer, 4) + ("!" if s.problem else " ") + body[0]
        if len(fr) > fw:
            line(f"  {t}  {fr}")
            line(lead + tail)
        else:
            line(f"  {t}  {fr.ljust(fw)} {tail}")
        for more in body[1:]:
            line(indent + more)


def step_time(seconds: float, lang: str = "en") -> str:
    """A step's time since the fetch began: "1234.567 ms" up to 100 s, then "123.456 s" ("毫秒", "秒" in
    Chinese, as its durations say)."""
    if lang == "zh":
        return f"{seconds * 1000:.3f} 毫秒" if seconds < 100 else f"{seconds:.3f} 秒"
    return f"{seconds * 1000:.3f} ms" if seconds < 100 else f"{seconds:.3f} s"


def _ms(v: float | None, lang: str) -> str:
    return duration(v, lang) if v is not None else label("not captured", lang)


def _opened_before(fetch: Fetch) -> bool:
    """The fetch's first request went over a connection an earlier fetch opened (or used first): its
    handshake, if captured, is in that fetch's steps."""
    return bool(fetch.requests) and fetch.requests[0].reused_connection


def _no_dns(fetch: Fetch, lang: str) -> str:
    """The DNS row of a fetch without an answered lookup, said from its steps: queries left unanswered, a
    step saying why there was none, or none because the first request reused an open connection."""
    if fetch.lookups:
        return label("dns.unanswered", lang)
    if any(s.kind.startswith("dns.none") for s in fetch.steps):
        return label("dns.none", lang)
    return label("dns.none.open" if _opened_before(fetch) else "dns.none.plain", lang)


def _and_more(text: str, more: bool, lang: str) -> str:
    """A list, said to go on when ``more``: "a, b..." in English, "a、b 等" ("and so on") in Chinese."""
    if not more:
        return text
    if lang != "zh":
        return text + "..."
    return text + ("等" if text and not text[-1].isascii() else " 等")


def _dns_late(s: FetchSummary, lang: str) -> str:
    """The lookups whose answers the client refused (they came after it stopped waiting): the first told with
    its frames and time, the others counted."""
    name, qtype, ms, query, answer, icmp = s.dns_late[0]
    text = label("dns.late", lang).format(name=name, qtype=qtype, dur=duration(ms, lang), query=query,
                                          answer=answer, icmp=icmp)
    if len(s.dns_late) > 1:
        text += ("；" if lang == "zh" else "; ") + counted("dns.late.more", len(s.dns_late) - 1, lang)
    return text


def _late_also(s: FetchSummary, lang: str) -> str:
    """The answers the client refused, beside the DNS time of those it used."""
    text = label("dns.late.also", lang)
    one, _, many = text.partition("|")
    return (one if len(s.dns_late) == 1 else many).format(n=len(s.dns_late), what=_dns_late(s, lang))


def summary_rows(fetch: Fetch, lang: str = "en") -> list[tuple[str, str]]:
    """The summary as (label, value) pairs; values may hold packet strings (the document's URI)."""
    s = fetch.summary
    rows: list[tuple[str, str]] = []
    http = [r for r in fetch.requests if r.method]
    if fetch.kind not in ("lookup", "quic"):
        if s.dns_ms is not None:
            dns = _ms(s.dns_ms, lang)
        elif s.dns_late:        # the only answers came too late: the lookup failed for the client
            dns = label("dns.failed", lang).format(what=_dns_late(s, lang))
        else:
            dns = _no_dns(fetch, lang)
        host = (fetch.requests[0].host or "").lower().rstrip(".") if fetch.requests else ""
        names = list(dict.fromkeys(lk.qname.rstrip(".") for lk in fetch.lookups))
        if s.dns_ms is not None and fetch.requests and fetch.requests[0].dns is None and names and host and not any(
                n.lower() == host or n.lower().startswith(host + ".") for n in names):
            # the figure is the fetch's other lookups (a later request's host), none of the first's: say whose;
            # several resolutions: each with its time (the figure is their time, not the span across them)
            if sum(len(t) for _n, t in s.dns_names) > 1:
                dns += _paren(label("dns.resolutions", lang).format(
                    lookups=counted("n.lookup", sum(len(t) for _n, t in s.dns_names), lang),
                    names=counted("n.name", len(s.dns_names), lang),
                    per_name=_and_more(names_text(s.dns_names[:4], lang), len(s.dns_names) > 4, lang)), lang)
            else:
                sep = "、" if lang == "zh" else ", "
                dns += _paren(label("dns.later", lang).format(names=short(_and_more(
                    sep.join(names[:3]), len(names) > 3, lang), 80)), lang)
        if s.dns_ms is not None and s.dns_late:
            dns += _paren(_late_also(s, lang), lang)
        rows.append((label("dns_time", lang), dns))
        first = fetch.connections[0] if fetch.connections else None
        failed = first is not None and first.outcome in ("refused", "unanswered", "unreachable")
        if s.connect_ms is not None and failed:
            connect = label(f"connect.{first.outcome}", lang).replace("{dur}", duration(s.connect_ms, lang))
        elif s.connect_ms is None and _opened_before(fetch):
            connect = label("connect.open", lang).replace("{stream}", str(fetch.requests[0].stream))
        else:
            connect = _ms(s.connect_ms, lang)
        rows.append((label("connect_time", lang), connect))
        if s.tls_ms is not None:
            tls_failed = first is not None and first.tls and first.tls.get("failed")
            rows.append((label("tls_time", lang), label("tls.failed_after", lang).replace("{dur}", duration(s.tls_ms, lang))
                         if tls_failed else _ms(s.tls_ms, lang)))
        if http:
            doc = http[0]
            rows.append((label("ttfb", lang), _ms(s.ttfb_ms, lang) + _paren(f"{doc.method} {short(doc.uri, 60)}", lang)))
        elif s.encrypted_requests:      # HTTPS without keys: the first exchange's wait, an estimate
            first_ex = next((r for r in fetch.requests if r.exchange is not None and r.exchange.request is not None
                             and r.exchange.response is not None), None)
            if first_ex is not None and first_ex.wait is not None:
                ex = first_ex.exchange
                if ex.maybe_ticket is not None and ex.ttfb_if_ticket_ms is not None:
                    note = label("ttfb.encrypted.ticket", lang).format(
                        n=ex.index + 1, frame=ex.maybe_ticket[0], alt=_ms(ex.ttfb_if_ticket_ms, lang))
                else:
                    note = label("ttfb.encrypted", lang).format(n=ex.index + 1)
                rows.append((label("ttfb", lang), _ms(first_ex.wait, lang) + _paren(note, lang)))
    elif s.dns_ms is not None:
        dns = _ms(s.dns_ms, lang)
        lookups = sum(len(t) for _n, t in s.dns_names)
        if lookups > 1:     # each resolution with its time: the figure is theirs, not the span across them
            dns += _paren(label("dns.resolutions.all", lang).format(
                lookups=counted("n.lookup", lookups, lang), names=counted("n.name", len(s.dns_names), lang),
                per_name=_and_more(names_text(s.dns_names[:4], lang), len(s.dns_names) > 4, lang)), lang)
        if s.dns_late:
            dns += _paren(_late_also(s, lang), lang)
        rows.append((label("dns_time", lang), dns))
    elif s.dns_late:
        rows.append((label("dns_time", lang), label("dns.failed", lang).format(what=_dns_late(s, lang))))
    rows.append((label("total", lang), duration(s.total_ms, lang)))
    if fetch.kind not in ("lookup", "quic"):
        sep = "，" if lang == "zh" else ", "
        parts = [counted("n.request", s.requests, lang), counted("n.connection", s.connections, lang)]
        mode = label(s.connection_mode, lang)
        if s.encrypted_requests and not http:       # HTTPS without keys: what the records suggest
            key = "n.burst.encrypted" if s.encrypted_multiplexed else "n.request.encrypted"
            parts[0] = counted(key, s.encrypted_requests, lang)
            # the client's bursts no server record followed: rows of the waterfall too, not counted above
            alone = sum(1 for r in fetch.requests if r.exchange is not None and r.exchange.request is not None
                        and r.exchange.response is None)
            if alone:
                parts.insert(1, counted("n.burst.unanswered", alone, lang))
            hidden = any(r.encrypted is not None and r.encrypted.alpn_hidden for r in fetch.requests)
            mode = label("encrypted.mode.h2maybe" if hidden else "encrypted.mode.h2" if s.encrypted_multiplexed
                         else "encrypted.mode", lang)
        elif s.encrypted_requests:      # some requests in clear, some over TLS without keys
            parts.insert(1, counted("n.request.encrypted.more", s.encrypted_requests, lang))
            mode = label("encrypted.mode.mixed", lang)
        if s.failed_connections:
            parts.append(counted("n.failed", s.failed_connections, lang))
        if s.quic_connections and s.connections:      # raced beside the TCP ones
            parts.insert(parts.index(counted("n.connection", s.connections, lang)) + 1,
                         counted("n.quic", s.quic_connections, lang))
        colon = "：" if lang == "zh" else ": "
        rows.append((label("requests", lang), sep.join(parts) + colon + mode))
        if s.requests_per_connection:
            rows.append((label("requests_per_connection", lang),
                         ("，" if lang == "zh" else ", ").join(f"#{stream}{colon}{n}"
                                                               for stream, n in s.requests_per_connection)))
        comma = "，" if lang == "zh" else ", "
        # each direction with its own resent and twice-seen bytes: who sent them again is said by where they stand
        tcp = (f"{label('sent', lang)} {s.bytes_sent:,}"
               + _extra(s.retransmitted_sent, s.copied_sent, lang) + comma
               + f"{label('received', lang)} {s.bytes_received:,}"
               + _extra(s.retransmitted_bytes - s.retransmitted_sent, s.copied_bytes - s.copied_sent, lang))
        rows.append((label("tcp_bytes", lang), tcp))
        if http:
            http_text = (f"{label('sent', lang)} {s.http_bytes_sent:,}{comma}"
                         f"{label('received', lang)} {s.http_bytes_received:,}")
            rows.append((label("http_bytes", lang), http_text))
    lookups = sum(len(t) for _n, t in s.dns_names)
    if lookups and lookups != s.dns_lookups:        # queries of several types, search domains: say the lookups
        rows.append((label("dns_lookups", lang), label("dns.queries", lang).format(
            queries=counted("n.query", s.dns_lookups, lang), lookups=counted("n.lookup", lookups, lang),
            names=counted("n.name", len(s.dns_names), lang))))
    else:
        rows.append((label("dns_lookups", lang), str(s.dns_lookups)))
    if s.problems:
        rows.append((label("problems", lang), str(s.problems)))
    return rows


def _extra(resent: int, copied: int, lang: str) -> str:
    """One direction's "(+N retransmitted)" and "(+N seen twice ...)" notes ("" when it has neither)."""
    text = ""
    if resent:
        text += _paren(label("retransmitted_n", lang).format(n=f"{resent:,}"), lang)
    if copied:
        text += _paren(label("copied_n", lang).format(n=f"{copied:,}"), lang)
    return text


def _paren(text: str, lang: str) -> str:
    return f"（{text}）" if lang == "zh" else f" ({text})"


def summary_part(out: Out, fetch: Fetch, lang: str, width: int) -> None:
    rows = summary_rows(fetch, lang)
    kw = max(width_of(k) for k, _ in rows)
    out.add((f"  {label('summary', lang)}", "bold"))
    for key, value in rows:
        body = wrap(visible(value), max(width - 4 - kw - 2, 20))
        style = "red" if key == label("problems", lang) else ""
        out.add(f"    {pad(key, kw)}  ", (body[0], style))
        for more in body[1:]:
            out.add(" " * (4 + kw + 2) + more)


def breakdown_part(out: Out, fetch: Fetch, lang: str, width: int) -> None:
    if not fetch.breakdown:
        return
    out.add((f"  {label('breakdown', lang)}", "bold"))
    for d in fetch.breakdown:
        body = wrap(visible(d.text), width - 6)
        out.add("    - ", body[0])
        for more in body[1:]:
            out.add("      " + more)


FAILED_CONNECT = ("refused", "unanswered", "unreachable")


def row_name(fetch: Fetch, r: RequestTiming, lang: str) -> str:
    """A waterfall row's name: the request, or with no HTTP request its connection and how it ended
    ("connection 0: closed")."""
    if r.method:
        return f"{r.method} {r.uri}"
    if r.exchange is not None:
        return label("encrypted.row", lang).format(n=r.exchange.index + 1)
    outcome = r.error or next((c.outcome for c in fetch.connections if c.stream == r.stream), None) or "open"
    colon = "：" if lang == "zh" else ": "
    return f"{label('connection', lang)} {r.stream}{colon}{label('outcome.' + outcome, lang)}"


def row_status(r: RequestTiming, lang: str) -> str:
    """A waterfall row's status: the HTTP status, "-" without one; with no HTTP request, "failed" only when
    the connection never opened, "reset" for a reset."""
    if r.status is not None:
        return str(r.status)
    if r.exchange is not None:          # an encrypted exchange: no status can be seen
        return label("encrypted.status", lang)
    if r.method or r.error not in (*FAILED_CONNECT, "reset", "tls"):
        return "-"
    return label("failed" if r.error in (*FAILED_CONNECT, "tls") else "outcome.reset", lang)


def waterfall_part(out: Out, fetch: Fetch, lang: str, width: int) -> None:
    reqs = [r for r in fetch.requests if r.phases]
    if not reqs:
        return
    span = max((p.end for r in reqs for p in r.phases), default=0.0) or 1e-9
    out.add((f"  {label('waterfall', lang)}", "bold"), _paren(f"0 – {duration(span * 1000, lang)}", lang))
    out.add(f"    {label('legend', lang)}")
    label_w = min(24, max(12, width // 4))
    tail_w = 22
    bar_w = max(width - 4 - label_w - 2 - tail_w, 10)
    for r in reqs:
        bar = [" "] * bar_w
        for p in r.phases:
            ch = PHASE_CHARS.get(p.name)
            if ch is None:
                continue
            a = min(max(int(p.start / span * bar_w), 0), bar_w - 1)
            b = min(max(round(p.end / span * bar_w), 0), bar_w)
            for i in range(a, max(b, a + 1)):
                bar[i] = ch
        name = visible(short(row_name(fetch, r, lang), label_w))
        status = row_status(r, lang)
        out.add(f"    {pad(name, label_w)} |", ("".join(bar), "cyan"),
                f"| {rpad(duration(r.total, lang), 10)} {status} #{r.stream}")


def ladder_part(out: Out, fetch: Fetch, lang: str, width: int) -> None:
    if not fetch.ladder:
        return
    seen = {r.peer: None for r in fetch.ladder}        # a fetch's rows name a few peers: each made visible once
    for p in seen:
        seen[p] = visible(p)
    peer_w = min(max(map(width_of, seen.values())), 26)
    time_w, frame_w = 10, 6
    arrow_w = max(width - 4 - time_w - 2 - frame_w - 2 - 2 - peer_w, 24)
    client = f"{label('client', lang)} {fetch.client}"
    out.add((f"  {label('ladder', lang)}", "bold"))
    out.add(f"    {rpad(label('time_ms', lang), time_w)}  {rpad(label('frame', lang), frame_w)}  "
            f"{pad(short(client, arrow_w), arrow_w)}  {label('peer', lang)}")
    if out.plain:
        _ladder_plain(out, fetch, seen, peer_w, arrow_w)
        return
    arrows: dict[tuple[str, int], str] = {}     # a fetch's rows repeat a few labels and peers: each drawn once
    shown: dict[str, str] = {}
    for row in fetch.ladder:
        peer = seen[row.peer]
        frame = row.frame
        way = 0 if frame == 0 else 1 if row.sender == "client" else 2
        arrow = arrows.get((row.label, way))
        if arrow is None:
            text = short(visible(row.label), arrow_w - 6)
            if way == 0:
                arrow = pad(f"   {text}", arrow_w)
            elif way == 1:
                arrow = f"-- {text} " + "-" * max(arrow_w - 5 - width_of(text), 0) + ">"
            else:
                arrow = "<-- " + text + " " + "-" * max(arrow_w - 5 - width_of(text), 0)
            arrows[row.label, way] = arrow
        who = shown.get(peer)
        if who is None:
            who = shown[peer] = short(peer, peer_w)
        style = PROBLEM_STYLE if row.problem else LAYER_STYLE.get(row.layer, "")
        out.add(f"    {row.time * 1000:{time_w}.3f}  {(str(frame) if way else '').rjust(frame_w)}  ", (arrow, style),
                f"  {who}")


def _ladder_plain(out: Out, fetch: Fetch, seen: dict[str, str], peer_w: int, arrow_w: int) -> None:
    """:func:`ladder_part`'s rows as strings, for an output without colour (the columns of ``time_w`` 10 and
    ``frame_w`` 6 written in the formats)."""
    shown = {p: short(v, peer_w) for p, v in seen.items()}
    arrows: dict[tuple[str, int], str] = {}
    line = out.line
    room = arrow_w - 6
    rows = fetch.ladder
    fast = _LADDER_PLAIN if STEPS_COMPILED else None
    i, n = 0, len(rows)
    while i < n:
        if fast is not None:        # the compiled lines, up to a row whose arrow is not drawn yet
            i = fast(out.lines, rows, i, arrows, shown, arrow_w)
            if i == n:
                break
        row = rows[i]
        i += 1
        frame = row.frame
        way = 0 if frame == 0 else 1 if row.sender == "client" else 2
        arrow = arrows.get((row.label, way))
        if arrow is None:
            text = visible(row.label)
            if text.isascii():
                if len(text) > room:
                    text = text[:max(room - 3, 0)] + "..."
                tw = len(text)
            else:
                text = short(text, room)
                tw = width_of(text)
            if way == 0:
                arrow = pad(f"   {text}", arrow_w)
            elif way == 1:
                arrow = f"-- {text} " + "-" * (arrow_w - 5 - tw) + ">"
            else:
                arrow = f"<-- {text} " + "-" * (arrow_w - 5 - tw)
            arrows[row.label, way] = arrow
        if way:
            line(f"    {row.time * 1000:10.3f}  {frame!s:>6}  {arrow}  {shown[row.peer]}")
        else:
            line(f"    {row.time * 1000:10.3f}          {arrow}  {shown[row.peer]}")


def fetch_out(fetch: Fetch, width: int = DEFAULT_WIDTH, plain: bool = False) -> Out:
    """A fetch's lines (``plain``: for an output without colour, see :class:`Out`)."""
    lang = fetch.lang
    out = Out(plain)
    header(out, fetch, lang, width)
    out.add("")
    steps_part(out, fetch, lang, width)
    out.add("")
    summary_part(out, fetch, lang, width)
    if fetch.breakdown:
        out.add("")
        breakdown_part(out, fetch, lang, width)
    if any(r.phases for r in fetch.requests):
        out.add("")
        waterfall_part(out, fetch, lang, width)
    if fetch.ladder:
        out.add("")
        ladder_part(out, fetch, lang, width)
    return out


def render_fetch(fetch: Fetch, *, width: int = DEFAULT_WIDTH, color: bool = False) -> str:
    """One fetch as ``analyzer timeline`` prints it."""
    return fetch_out(fetch, width, plain=not color).text(color, width)


def render(timeline: Timeline, *, width: int = DEFAULT_WIDTH, color: bool = False) -> str:
    """The whole timeline as ``analyzer timeline`` prints it (one line saying so when it is empty)."""
    if not timeline.fetches:
        return empty_text(timeline.lang)
    return "\n\n".join(render_fetch(f, width=width, color=color) for f in timeline.fetches)


def empty_text(lang: str = "en") -> str:
    return label("no_fetch", lang)
