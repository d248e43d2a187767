"""A client's lookup history is bounded by capture time (issue 10: memory bounded by open connections, not
by the file), and what the timeline says about absent lookups stays true.

``History.names`` remembers a client's answered lookups of each name so that a later fetch without a lookup
can say "resolved earlier, at frame N" (issue 10). It kept up to 4,096 names x 4 lookups per client; a name
none of whose answers is ``NAME_HOLD_NS`` (600 s) old is now forgotten. Checked here:

* a crafted story (frames numbered as the story writes them, times from its delays): a lookup at frame 1-2,
  the same name fetched again 100 s later without a lookup ("resolved earlier at frame 1"), and 810 s later,
  after a lookup of another name at 800 s made the client forget it: then the step says no query was seen in
  the 600 s before, not "in this file" (the lookup at frame 1 is in the file);
* 300 lookups of new names 4 s apart (1,200 s): the history holds the names of the last 600 s (~150);
* the steps about absent lookups (``dns.none.*``) on captures/ and the corpus are those of a history that
  never forgets.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.timeline import craft

from analyzer.capture import open_capture
from analyzer.timeline import build as build_mod
from analyzer.timeline import run as run_mod
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
S = 1_000_000


def load(path: Path):
    with open_capture(path) as reader:
        return timeline(reader)


def fetch_once(story: craft.Story, port: int, host: str, server: str) -> tuple[int, int]:
    """A connection to ``server``, GET / for ``host``, closed: (SYN frame, GET frame)."""
    c = craft.Conn(story, (craft.CLIENT, port), (server, 80))
    syn, _synack, _ack = c.handshake()
    get, _resp = c.get(craft.request("/", host), craft.response("200 OK", b"x" * 50, "text/plain"))
    c.close_four(craft.C)
    return syn, get


@pytest.fixture(scope="module")
def story_path(tmp_path_factory) -> tuple[Path, dict]:
    story = craft.Story()
    f: dict = {}
    f["q"], f["a"] = story.dns(craft.CLIENT, craft.RESOLVER, "www.a.test", [("www.a.test", "A", craft.SERVER_A)],
                               0x1111)
    f["syn1"], _ = fetch_once(story, 40001, "www.a.test", craft.SERVER_A)
    story.us += 100 * S
    f["syn2"], _ = fetch_once(story, 40002, "www.a.test", craft.SERVER_A)
    story.us += 700 * S
    f["qb"], f["ab"] = story.dns(craft.CLIENT, craft.RESOLVER, "www.b.test",
                                 [("www.b.test", "A", craft.SERVER_B)], 0x2222)
    f["syn3"], _ = fetch_once(story, 40003, "www.b.test", craft.SERVER_B)
    story.us += 10 * S
    f["syn4"], _ = fetch_once(story, 40004, "www.a.test", craft.SERVER_A)
    path = tmp_path_factory.mktemp("history") / "history.pcap"
    story.write(path)
    return path, f


def absent(fetch) -> tuple[str, dict]:
    (step,) = [s for s in fetch.steps if s.kind.startswith("dns.none")]
    return step.kind, step.facts


def test_resolved_earlier_and_forgotten(story_path):
    path, f = story_path
    first, second, third, fourth = load(path).fetches
    assert [s.frames for s in first.steps if s.kind.startswith("dns.")] == [(f["q"],), (f["a"],)]
    kind, facts = absent(second)                                 # 100 s later: within the TTL of 300 s
    assert (kind, facts["frame"], facts["fetch"]) == ("dns.none.earlier", f["q"], 1)
    assert facts["age_s"] == pytest.approx(100.0, abs=0.1)
    assert [s.frames for s in third.steps if s.kind.startswith("dns.")] == [(f["qb"],), (f["ab"],)]
    kind, facts = absent(fourth)                                 # 810 s after the answer at frame 2: forgotten
    assert (kind, facts["before"], facts["hold_s"]) == ("dns.none.cached.window", f["syn4"], 600.0)
    assert "in the 600 s before frame" in next(s.text for s in fourth.steps if s.kind == kind)


def test_without_the_bound_the_old_lookup_is_cited(story_path, monkeypatch):
    """The same story with a history that never forgets: the fourth fetch cites frame 1, its answer 810 s
    old, past its TTL (so the bound changes only what is said of lookups older than 600 s)."""
    monkeypatch.setattr(build_mod, "NAME_HOLD_NS", 1 << 62)
    path, f = story_path
    fourth = load(path).fetches[3]
    kind, facts = absent(fourth)
    assert (kind, facts["frame"], facts["fetch"]) == ("dns.none.earlier_expired", f["q"], 1)


def test_history_of_names_is_bounded_by_capture_time():
    story = craft.Story()
    for i in range(300):
        story.dns(craft.CLIENT, craft.RESOLVER, f"n{i}.test", [(f"n{i}.test", "A", "192.0.2.1")], i, dt_us=4 * S)
    run = run_mod.TimelineRun()
    from analyzer.capture.frame import Frame

    n = 0
    for i, (us, data) in enumerate(story.frames):
        n += len(run.feed(Frame(i + 1, us * 1000, len(data), None, 1, data)))
    n += len(run.finish())
    (history,) = run.history.values()
    assert n == 300
    assert 145 <= len(history.names) <= 152, len(history.names)          # 600 s of names, 4 s apart
    assert history.forgot_ns > 0


def absent_steps(path: Path) -> list:
    return [(f.index, s.kind, s.frames, s.facts) for f in load(path).fetches for s in f.steps
            if s.kind.startswith("dns.none")]


def test_absent_lookup_steps_on_captures_and_corpus_unchanged(monkeypatch):
    paths = sorted((ROOT / "captures").glob("*.pcap*"))
    paths += sorted(p for p in CORPUS.glob("*.pcap*") if "dns" in p.name or "http" in p.name)
    bounded = {p.name: absent_steps(p) for p in paths}
    monkeypatch.setattr(build_mod, "NAME_HOLD_NS", 1 << 62)
    assert {p.name: absent_steps(p) for p in paths} == bounded
    assert sum(len(v) for v in bounded.values()) >= 20
