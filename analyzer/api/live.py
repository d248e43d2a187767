"""The library API for frames that arrive one at a time (live capture): the same analysis as a file's.

* :class:`PacketFeed`: ``feed(frame) -> Packet`` with every field (``analyzer capture`` prints these lines);
* :class:`TimelineFeed`: ``feed(frame)``; ``timeline()`` is the timeline of what arrived so far (connections
  still open as they stand), ``finish()`` the final one — what ``analyzer timeline`` gives for the same frames
  (``analyzer watch`` prints these).
"""

from __future__ import annotations

from typing import Any


class PacketFeed:
    """Frames in, packets out, through the pipeline and the HTTP/DNS transaction stage (memory bounded by the
    open connections)."""

    def __init__(self) -> None:
        from analyzer.apps.transactions import Transactions
        from analyzer.pipeline import Pipeline

        self.transactions = Transactions(keep=False)
        self.pipeline = Pipeline(transactions=self.transactions, tracker_options={"keep_summaries": False})

    def feed(self, frame: Any) -> Any:
        return self.pipeline.feed(frame)


class TimelineFeed:
    """Frames in; the timeline of the page fetches so far, or at the end."""

    def __init__(self, lang: str = "en") -> None:
        from analyzer.timeline.collect import Collector

        self.lang = lang
        self.collector = Collector()

    @property
    def frames(self) -> int:
        return self.collector.pipe.frames

    def feed(self, frame: Any) -> None:
        self.collector.feed(frame)

    def timeline(self):
        """The timeline of the frames fed so far (:class:`analyzer.timeline.model.Timeline`)."""
        from analyzer.timeline import build

        return build(self.collector.facts(), self.lang)

    def finish(self):
        """End of input: the final timeline, as ``analyzer timeline`` gives it for the same frames."""
        from analyzer.timeline import build

        return build(self.collector.finish(), self.lang)
