"""The library API for frames that arrive one at a time (live capture): the same analysis as a file's.

* :class:`PacketFeed`: ``feed(frame) -> Packet`` with every field (``analyzer capture`` prints these lines);
* :class:`TimelineFeed`: ``feed(frame)``, ``tick(now_ns)`` and ``finish()`` give the fetches completed by then,
  each once — what ``analyzer timeline`` gives for the same frames (``analyzer watch`` prints them).
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
    """Frames in; the timeline's fetches out, each as soon as it is complete (:class:`analyzer.timeline.TimelineRun`:
    the same analysis as ``analyzer timeline``, memory bounded by the open connections).

    ``feed(frame)`` and ``tick(now_ns)`` (the packet-time clock moved on with no frame: a quiet live capture)
    return the fetches completed by then; ``finish()`` the rest; ``timeline()`` every fetch given out so far.
    ``capture_filter``: the BPF text the frames were captured with (a step that finds no DNS says so).
    """

    def __init__(self, lang: str = "en", keylog: Any = None, capture_filter: str | None = None) -> None:
        from analyzer.timeline import TimelineRun

        self.lang = lang
        self.run = TimelineRun(lang, keylog=keylog, capture_filter=capture_filter)
        self.done: list[Any] = []

    @property
    def frames(self) -> int:
        return self.run.collector.frames

    def feed(self, frame: Any) -> list[Any]:
        out = self.run.feed(frame)
        self.done += out
        return out

    def tick(self, now_ns: int) -> list[Any]:
        out = self.run.tick(now_ns)
        self.done += out
        return out

    def timeline(self):
        """The fetches given out so far (:class:`analyzer.timeline.model.Timeline`)."""
        from analyzer.timeline import Timeline

        return Timeline(tuple(self.done), self.lang, self.frames)

    def finish(self) -> list[Any]:
        """End of input: the remaining fetches (``timeline()`` then holds them all, as ``analyzer timeline``
        gives them for the same frames)."""
        out = self.run.finish()
        self.done += out
        return out
