"""The timeline of what a capture's clients did, fetch by fetch: ARP/ND, DNS, TCP connections (failed ones
too), TLS, HTTP requests and responses, step by step and explained, each step citing its frames.

Modules, in the order data flows (sans-IO: frames in, values out; nothing here reads a file or prints):

* :mod:`~analyzer.timeline.collect`: frames -> what the timeline needs, as it reads (the shared trackers);
* :mod:`~analyzer.timeline.tcp`: one connection's facts from its segment log (outcome, SYN attempts,
  Wireshark's sequence analysis, the byte range of each HTTP message);
* :mod:`~analyzer.timeline.group`: which connections, requests and lookups make one fetch (the rules);
* :mod:`~analyzer.timeline.build`: a fetch explained (steps, timings, where the time went, ladder);
* :mod:`~analyzer.timeline.run`: the run that cuts each client's activity and hands out fetches as soon as
  they are complete; :mod:`~analyzer.timeline.texts`: the sentences, English and Chinese;
  :mod:`~analyzer.timeline.model`: what the reports print.

The public face: :func:`timeline` (the whole capture), :func:`fetches` (each fetch as soon as it is
complete), :class:`TimelineRun` (live), the dataclasses of :mod:`~analyzer.timeline.model`, and
:func:`select`.
"""

from __future__ import annotations

from analyzer.timeline.model import (
    Connection,
    Delay,
    Fetch,
    FetchSummary,
    LadderRow,
    Lookup,
    Phase,
    RequestTiming,
    Step,
    Timeline,
)
from analyzer.timeline.run import TimelineRun, fetches, timeline


def select(tl: Timeline, host: str | None = None, url: str | None = None, client: str | None = None) -> Timeline:
    """The fetches whose host is ``host`` (any case), whose URL contains ``url``, whose client is
    ``client``; None selects all."""
    return Timeline(tuple(f for f in tl.fetches if keep(f, host, url, client)), tl.lang, tl.frames)


def keep(f: Fetch, host: str | None = None, url: str | None = None, client: str | None = None) -> bool:
    """Does ``f`` pass the selection of :func:`select`?"""
    if host is not None and f.host.lower() != host.lower():
        return False
    if url is not None and url not in f.url:
        return False
    return client is None or f.client == client


__all__ = ["Connection", "Delay", "Fetch", "FetchSummary", "LadderRow", "Lookup", "Phase", "RequestTiming", "Step",
           "Timeline", "TimelineRun", "fetches", "keep", "select", "timeline"]
