"""The names any client asked for are bounded by packet time, not by the file (issue 10: memory bounded by open
connections, not file size), and what the timeline says about an absent lookup stays true.

``TimelineRun.all_names`` remembers, for every name any client asked for, the latest query, so that a fetch
without a lookup of its own can say another address asked for it (``dns.none.other_address``). It kept the
last 4,096 names (each with its parsed DNS messages, ~2.4 KB): on a web capture of 1M frames it filled up
with the file. Now a name last asked for more than ``NAME_HOLD_NS`` (600 s) of packet time ago is forgotten
(the count stays a cap, reached only past ~7 new names a second), and once one was, a fetch without a lookup
says no query was seen in the 600 s before its frame, not in the whole file. Checked here:

* n and 4n new names 4 s apart (600 s and 2,400 s): the run holds ~150 names both times (the old bound held
  n and 4n);
* a crafted story (frames numbered as it writes them): client 10 looks up www.a.test; client 11 fetches it
  100 s later without a lookup ("client 10 asked for it at frame 1"), and again 810 s later after a lookup
  of another name at 805 s: then the step says no query was seen in the 600 s before.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fixtures.timeline import craft

from analyzer.capture import open_capture
from analyzer.capture.frame import Frame
from analyzer.timeline import run as run_mod
from analyzer.timeline import timeline

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from test_timeline_memory import dns_message  # a DNS query or its answer, raw bytes

from fuzz.adversarial import eth, ipv4, udp

S = 1_000_000


def lookups(n: int, gap_s: int = 4) -> list[Frame]:
    """A client looking a new name up every ``gap_s`` s, each answered 2 ms later (raw frames: the crafted
    stories' scapy builder takes ~20 ms a lookup)."""
    out = []
    for i in range(n):
        t, port, name = 1_700_000_000 * 10**9 + i * gap_s * 10**9, 20000 + i % 40000, f"n{i}.test"
        out.append((t, eth(ipv4("10.0.0.7", "10.0.0.53", 17, udp("10.0.0.7", "10.0.0.53", port, 53,
                                                                  dns_message(i & 0xFFFF, name, False))))))
        out.append((t + 2_000_000, eth(ipv4("10.0.0.53", "10.0.0.7", 17, udp("10.0.0.53", "10.0.0.7", 53, port,
                                                                              dns_message(i & 0xFFFF, name, True))))))
    return [Frame(i + 1, ts, len(data), None, 1, data) for i, (ts, data) in enumerate(out)]


def names_run(n: int) -> run_mod.TimelineRun:
    run = run_mod.TimelineRun()
    got = 0
    for frame in lookups(n):
        got += len(run.feed(frame))
    got += len(run.finish())
    assert got == n
    return run


def test_names_of_all_clients_are_bounded_by_packet_time():
    small, large = names_run(150), names_run(600)
    assert len(small.all_names) == 150 and small.names_forgot_ns == 0
    assert 145 <= len(large.all_names) <= 152, len(large.all_names)     # the last 600 s, 4 s apart
    assert large.names_forgot_ns > 0
    assert len(large.all_names) / len(small.all_names) < 1.1            # 4x the names, not 4x the memory


def fetch_once(story: craft.Story, client: str, port: int, host: str, server: str) -> int:
    """A connection from ``client`` to ``server``, GET / for ``host``, closed: its SYN frame."""
    c = craft.Conn(story, (client, port), (server, 80))
    syn, _synack, _ack = c.handshake()
    c.get(craft.request("/", host), craft.response("200 OK", b"x" * 50, "text/plain"))
    c.close_four(craft.C)
    return syn


@pytest.fixture(scope="module")
def story_path(tmp_path_factory) -> tuple[Path, dict]:
    story = craft.Story()
    f: dict = {}
    f["q"], f["a"] = story.dns(craft.CLIENT, craft.RESOLVER, "www.a.test", [("www.a.test", "A", craft.SERVER_A)],
                               0x1111)
    story.us += 100 * S
    f["syn1"] = fetch_once(story, craft.CLIENT2, 40001, "www.a.test", craft.SERVER_A)
    story.us += 705 * S
    f["qb"], f["ab"] = story.dns(craft.CLIENT, craft.RESOLVER, "www.b.test", [("www.b.test", "A", craft.SERVER_B)],
                                 0x2222)
    story.us += 5 * S
    f["syn2"] = fetch_once(story, craft.CLIENT2, 40002, "www.a.test", craft.SERVER_A)
    path = tmp_path_factory.mktemp("names") / "names.pcap"
    story.write(path)
    return path, f


def absent(fetch) -> tuple[str, dict, str]:
    (step,) = [s for s in fetch.steps if s.kind.startswith("dns.none")]
    return step.kind, step.facts, step.text


def test_another_clients_lookup_cited_then_forgotten(story_path):
    path, f = story_path
    with open_capture(path) as reader:
        tl = timeline(reader)
    first, second = [x for x in tl.fetches if x.client == craft.CLIENT2]
    kind, facts, _text = absent(first)
    assert (kind, facts["frame"], facts["by"], facts["before"]) == ("dns.none.other_address", f["q"], craft.CLIENT,
                                                                     f["syn1"])
    kind, facts, text = absent(second)                  # asked 810 s before: forgotten at the lookup at 805 s
    assert (kind, facts["before"], facts["hold_s"]) == ("dns.none.cached.window.any", f["syn2"], 600.0)
    assert f"in the 600 s before frame {f['syn2']}" in text
