"""``analyzer timeline FILE...``: what each client did, fetch by fetch (ARP/ND, DNS, TCP connections — failed
ones too —, HTTP requests and responses, teardowns), step by step with explanations, a summary, where the
time went, a waterfall and a ladder diagram.

Text output is printed fetch by fetch as soon as each is complete (a progress line on stderr meanwhile, on a
terminal), wrapped to the terminal's width (80 when piped, or ``--width``), coloured on a terminal unless
``NO_COLOR`` is set. Fetches that are only ARP/ND requests of hosts that did nothing else are summed up in
one line at the end (shown in full with ``--all``, or when the capture holds nothing else).
``--json`` prints one JSON object ``{"fetches": [...]}``, streamed as the fetches complete.
How fetches are made: :mod:`analyzer.timeline`.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator

import click

from analyzer.cli._common import decode_as_option, files_argument, keylog_option, load_keylog, opened
from analyzer.cli.main import main
from analyzer.filter.cli import display_filter_option
from analyzer.report.safe import visible
from analyzer.report.timeline_text import empty_text, render_fetch, wrap
from analyzer.timeline import Fetch, Timeline
from analyzer.timeline.texts import LANGS, counted, frames_list, label

# Allocations between two collections of the cyclic GC's youngest generation while a timeline is made (timeline,
# har, report): 40x the CLI's GC_YOUNGEST. The run makes next to no cyclic garbage (its objects are freed by
# their reference counts), so a youngest collection only walks the facts, steps and segment tuples still alive:
# in-process on 250k frames GC 0.49 s with 50,000, 0.15 s with 200,000 (none with 1,000,000), peak RSS 107 MB
# for all three; on 1M frames with 1,000,000, 173 MB (176-180 MB with 50,000: benchmarks/README.md, the
# timeline sections of h-tlspeed2 and h-tlspeed3). 200,000 and not more: cyclic garbage, should an input make
# some, waits for at most that many allocations.
TIMELINE_GC_YOUNGEST = 200_000


def stream(files: str | tuple[str, ...], lang: str = "en", host: str | None = None, url: str | None = None,
           client: str | None = None, keep_filter=None, keylog_path: str | None = None, keep_bodies: bool = False,
           on_frame: Callable[[int], None] | None = None, ladder: bool = True) -> Iterator[Fetch]:
    """The selected fetches of FILE... (merged by time), each as soon as it is complete (CLI errors: one line,
    exit 2). ``keep_filter``: a compiled display filter narrowing the frames first, as ``tshark -Y``;
    ``keylog_path``: --keylog; ``ladder=False``: fetches without ladder rows (for JSON and HAR)."""
    young, *older = gc.get_threshold()
    gc.set_threshold(max(young, TIMELINE_GC_YOUNGEST), *older)
    try:
        with opened(files, keep_filter, load_keylog(keylog_path)) as cap:
            nat = _nat_view(cap, lang)      # two sides of a NAT: each step once, both views (analyzer.timeline.nat)
            for f in cap.stream_fetches(lang, host=host, url=url, client=client, keep_bodies=keep_bodies,
                                        on_frame=on_frame, ladder=ladder):
                if nat is None or (f := nat.fetch(f)) is not None:
                    yield f
    finally:
        gc.set_threshold(young, *older)


def _nat_view(cap, lang: str):
    """For two captures that are the inside and outside of a translating router, the NAT table the timeline
    tells its steps with (:class:`analyzer.timeline.nat.NatView`); None otherwise."""
    if len(cap.paths) != 2 or "-" in cap.paths:
        return None
    from analyzer.nat import NatInputError, nat_of
    from analyzer.timeline.nat import NatView

    try:
        nat = nat_of(cap, numbering="merged", give_up_after=200)   # two unrelated captures: stops early
    except NatInputError:
        return None
    return NatView(nat, lang) if nat.translated else None


def load_timeline(files: str | tuple[str, ...], lang: str = "en", host: str | None = None, url: str | None = None,
                  client: str | None = None, keep_filter=None, keylog_path: str | None = None,
                  keep_bodies: bool = False, ladder: bool = True) -> Timeline:
    """The whole selected timeline of FILE... (see :func:`stream`)."""
    return Timeline(tuple(stream(files, lang, host, url, client, keep_filter, keylog_path, keep_bodies,
                                 ladder=ladder)), lang)


def selection_options(f):
    f = click.option("--client", default=None, metavar="IP", help="Only fetches made by this client address.")(f)
    f = click.option("--url", default=None, metavar="U", help="Only fetches whose URL contains U.")(f)
    f = click.option("--host", default=None, metavar="H", help="Only fetches of host H.")(f)
    return f


def neighbour_only(f: Fetch) -> bool:
    """A fetch made only of ARP/ND messages (a host that did nothing else in the capture): no lookup, no
    connection, no DNS answer to no open query (told in a step of its own)."""
    return f.kind == "lookup" and not f.lookups and not f.connections and not any(s.layer == "dns" for s in f.steps)


class Progress:
    """A progress line on stderr when it is a terminal: frames read, fetches printed; erased before output."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.shown = False
        self.last = 0.0
        self.fetches = 0

    def update(self, frames: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.2:
            return
        self.last = now
        sys.stderr.write(f"\r{label('progress', 'en')}: {frames:,}, {label('fetches', 'en')}: {self.fetches:,}\x1b[K")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


def terminal_width(width: int | None) -> int:
    if width:
        return max(width, 40)
    if sys.stdout.isatty():
        return max(shutil.get_terminal_size((80, 24)).columns, 40)
    return 80


def use_color(color: str) -> bool:
    if color == "always":
        return True
    if color == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


_TEXT_OPTIONS = (
    click.option("--lang", type=click.Choice(LANGS), default="en", show_default=True,
                 help="Language of the explanations."),
    click.option("--width", type=click.IntRange(40, 1000), default=None, metavar="N",
                 help="Wrap text to N columns (default: the terminal's width; 80 when piped)."),
    click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
                 help="Colour the text (auto: on a terminal, unless NO_COLOR is set)."),
)


def text_options(command):
    """--lang, --width and --color: how the timeline's text is written, the same in timeline and watch."""
    for option in reversed(_TEXT_OPTIONS):
        command = option(command)
    return command


@main.command("timeline")
@files_argument
@click.option("--json", "as_json", is_flag=True, help='One JSON object: {"fetches": [...]}.')
@text_options
@click.option("--all", "show_all", is_flag=True,
              help="Also show in full the ARP/ND requests of hosts that did nothing else.")
@selection_options
@keylog_option
@display_filter_option
@decode_as_option
def timeline(files: tuple[str, ...], as_json: bool, lang: str, width: int | None, color: str, show_all: bool,
             host: str | None, url: str | None, client: str | None, keylog_path: str | None = None,
             display_filter=None, decode_as=()) -> None:
    """Explain what each client in FILE... did, fetch by fetch: ARP, DNS, TCP (failed attempts too), TLS,
    HTTP.

    Each step names its frames. With -Y, the timeline is built from the frames the display filter matches;
    with --keylog (or keys in a pcapng), HTTPS is decrypted. FILE... are pcap/pcapng captures (gzip too),
    merged by time when there are several; - is standard input. Two captures of a NAT router's inside and
    outside (see analyzer nat) are told as one: each step once, with both views, and NAT explained."""
    progress = Progress(sys.stderr.isatty() and not as_json)
    w = terminal_width(width)
    colored = use_color(color) and not as_json
    printed = 0
    deferred: list[Fetch] = []
    out = sys.stdout
    if as_json:
        out.write('{"fetches": [')
    for f in stream(files, lang, host, url, client, display_filter, keylog_path, on_frame=progress.update,
                    ladder=not as_json):     # JSON prints no ladder
        if as_json:
            out.write((", " if printed else "") + f.json_text(safe=True))
            printed += 1
            continue
        if neighbour_only(f) and not show_all:
            deferred.append(f)
            continue
        progress.clear()
        out.write(("\n\n" if printed else "") + render_fetch(f, width=w, color=colored))
        out.flush()
        printed += 1
        progress.fetches = printed
    progress.clear()
    if as_json:
        out.write("]}\n")
        return
    out.write(closing_text(deferred, printed, lang, w, colored))
    out.write("\n")


def number_ranges(numbers: list[int], lang: str = "en", most: int = 8) -> str:
    """Fetch numbers as runs, "1, 3 and 5-8" / "1、3 和 5-8", at most ``most`` runs then "...": the gaps in the
    numbering of the fetches printed are the ones held back."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    out = [str(a) if a == b else f"{a}-{b}" for a, b in runs[:most]]
    return frames_list(out + (["..."] if len(runs) > most else []), lang)


def closing_text(deferred: list[Fetch], printed: int, lang: str, width: int, color: bool) -> str:
    """What the text ends with (``timeline`` and ``watch`` alike): the neighbour-only fetches held back, in full
    when nothing else was printed, else summed up in one line; the empty-timeline text when there was
    nothing at all."""
    text = ""
    if deferred and not printed:
        for f in deferred:
            text += ("\n\n" if printed else "") + render_fetch(f, width=width, color=color)
            printed += 1
        deferred = []
    if deferred:
        hosts = sorted({f.client for f in deferred})
        sep = "、" if lang == "zh" else ", "
        shown = sep.join(hosts[:4] + (["..."] if len(hosts) > 4 else []))
        numbers = label("deferred.one" if len(deferred) == 1 else "deferred.many", lang).format(
            numbers=number_ranges([f.index for f in deferred], lang))
        line = visible(label("deferred", lang).format(n=len(deferred), hosts=len(hosts), who=shown, numbers=numbers,
                                                      hosts_text=counted("n.host", len(hosts), lang)))
        text += "\n\n" + "\n".join(wrap(line, width))
    if not printed and not deferred:
        text += empty_text(lang)
    return text
