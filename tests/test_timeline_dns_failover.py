"""A resolver that never answers, then the next one in the client's list (issue 10: "an unanswered DNS query and
its retry"; "where a delay is big, say where it went"). captures/lab_dns_failover_next_resolver.pcapng (scripts/
record_timeline_captures.py --only dns_failover): resolv.conf names 198.51.100.99 (the router drops all to it)
then the lab's resolver, timeout:2: glibc waits 2 s, asks the second server the same question with the same ID,
and curl fetches the page.

Before: two fetches, "lookups of www.example.test (no connection followed)" with "The resolver 198.51.100.99 is
unreachable, or the answers were lost", then the page with "DNS query ... again, with a new ID 0x..." (the same
ID), "DNS lookup 289 µs" and nothing in "Where the time went" for the 2 s. Expected values from tshark."""

from __future__ import annotations

from pathlib import Path

from tshark_query import fields

from analyzer.capture import open_capture
from analyzer.timeline import timeline

CAPTURE = Path(__file__).resolve().parents[1] / "captures" / "lab_dns_failover_next_resolver.pcapng"


def test_the_silent_resolver_and_the_next_one_are_one_lookup_of_the_fetch():
    queries = [(int(f), dst, qid, float(t)) for f, dst, qid, t in
               fields(CAPTURE, "dns.flags.response == 0", "frame.number", "ip.dst", "dns.id", "frame.time_relative")]
    ((answer, answer_t),) = [(int(f), float(t)) for f, t in
                             fields(CAPTURE, "dns.flags.response == 1", "frame.number", "frame.time_relative")]
    (first, silent, qid, t0), (second, resolver, qid2, t1) = queries
    assert qid == qid2 and silent != resolver
    with open_capture(CAPTURE) as reader:
        tl = timeline(reader, "en")
    (fetch,) = tl.fetches                   # no "lookups ... (no connection followed)" fetch
    assert fetch.kind == "page"
    steps = {s.kind: s for s in fetch.steps}
    assert steps["dns.query"].frames == (first,) and steps["dns.query"].facts["resolver"] == silent
    gave_up = steps["dns.no_answer.asked_again"]
    assert gave_up.problem and gave_up.facts["next_frame"] == second
    moved = steps["dns.query.next_server"]
    assert moved.frames == (second,) and moved.facts["prev_resolver"] == silent
    assert moved.facts["resolver"] == resolver and moved.facts["id_hex"] == qid
    assert abs(moved.facts["waited_ms"] - (t1 - t0) * 1000) < 0.01
    assert "dns.no_answer" not in steps and "dns.query.again" not in steps
    assert steps["dns.answer"].frames == (answer,)
    # the lookup's time is from the first query to the answer, and the wait is said
    assert abs(fetch.summary.dns_ms - (answer_t - t0) * 1000) < 0.01
    (wait,) = [d for d in fetch.breakdown if "never answered" in d.text]
    assert wait.frames == (first, second) and abs(wait.ms - (t1 - t0) * 1000) < 0.01
