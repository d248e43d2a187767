"""The timeline of a web page fetch: what crossed the network, step by step, explained.

``collect`` (frames -> :class:`~analyzer.timeline.facts.CaptureFacts`, running the analysis chain),
``build`` (facts -> :class:`~analyzer.timeline.model.Timeline`, sans-IO; the grouping rules are in its
docstring), ``texts`` (the explanations, English and Chinese), ``model`` (what the reports print).
"""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.timeline.build import build, select
from analyzer.timeline.collect import collect
from analyzer.timeline.model import Fetch, RequestTiming, Step, Timeline


def timeline(frames: Iterable, lang: str = "en") -> Timeline:
    """The page fetches of a capture's frames."""
    return build(collect(frames), lang)


__all__ = ["Fetch", "RequestTiming", "Step", "Timeline", "build", "collect", "select", "timeline"]
