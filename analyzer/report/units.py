"""Numbers in sentences and tables, written the way a person reads them.

* :func:`count`: ``count(1, "request")`` -> "1 request", ``count(3, "request")`` -> "3 requests"
  (irregular plurals given: ``count(2, "fetch", "fetches")``);
* :func:`duration`: a duration in the unit that shows its digits: "512 µs", "12.3 ms", "1.25 s"; never
  "0.000 ms". Values are integer nanoseconds (:func:`duration`) or float seconds (:func:`seconds`).
"""

from __future__ import annotations


def count(n: int, word: str, plural: str | None = None) -> str:
    """``n`` and the word, singular for exactly one."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def duration(ns: int | None, missing: str = "-") -> str:
    """A duration in ns as text: ns under 1 µs, µs under 1 ms, ms under 1 s, else seconds."""
    if ns is None:
        return missing
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000:
        return f"{sign}{ns} ns"
    for unit, scale in (("µs", 1_000), ("ms", 1_000_000)):
        text = _digits(ns / scale)
        if float(text) < 1000:
            return f"{sign}{text} {unit}"
    return f"{sign}{_digits(ns / 1_000_000_000)} s"


def seconds(value: float | None, missing: str = "-") -> str:
    """A duration in float seconds as text (see :func:`duration`)."""
    return missing if value is None else duration(round(value * 1e9), missing)


def _digits(value: float) -> str:
    """Three significant digits at most: 512, 12.3, 1.25 (trailing zeros dropped)."""
    if value >= 100:
        text = f"{value:.0f}"
    elif value >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
