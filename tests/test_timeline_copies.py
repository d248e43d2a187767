"""A packet the capture saw twice is not a packet sent twice (analyzer.timeline.tcp.copies): the IPv4 ID
decides when both copies carry one, time only when one does not. Crafted captures; which frames are copies
and which are retransmissions is read with tshark (ip.id, tcp.analysis.retransmission)."""

from __future__ import annotations

import shutil

import pytest
from fixtures.timeline import craft
from tshark_run import tshark_output

from analyzer.capture import open_capture
from analyzer.timeline import timeline

C, S = craft.C, craft.S
pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark (the oracle) is not installed")


def copy_of(story: craft.Story, frame: int, dt_us: int) -> int:
    """The capture sees ``frame`` again ``dt_us`` later: the same bytes."""
    story.us += dt_us
    story.frames.append((story.us, story.frames[frame - 1][1]))
    return len(story.frames)


def fetch_story(tmp_path, body_copy_us: int | None, resend_us: int | None):
    """A GET and its response; the response's first segment seen again after ``body_copy_us`` (same bytes,
    same IP ID), and/or sent again by the server after ``resend_us`` (a new IP ID)."""
    story = craft.Story()
    conn, data = craft.get_and_response(story, b"y" * 1500)
    first = conn.send(S, "A", data[:1000], dt_us=5000)
    if body_copy_us is not None:
        copy_of(story, first, body_copy_us)
    if resend_us is not None:
        conn.send(S, "A", data[:1000], dt_us=resend_us, seq=5001)
    conn.send(S, "PA", data[1000:], dt_us=100)
    conn.send(C, "A", dt_us=100)
    path = tmp_path / "story.pcap"
    story.write(path)
    return path


def oracle(path) -> tuple[dict[int, tuple[str, str]], list[int]]:
    """{frame: (ip.src, ip.id)} and the frames tshark calls retransmissions."""
    ids = {}
    for line in tshark_output(["tshark", "-r", str(path), "-T", "fields", "-e", "frame.number", "-e", "ip.src", "-e",
                               "ip.id"], path).splitlines():
        frame, src, ident = line.split("\t")
        ids[int(frame)] = (src, ident)
    resent = [int(f) for f in tshark_output(["tshark", "-r", str(path), "-Y", "tcp.analysis.retransmission", "-T",
                                              "fields", "-e", "frame.number"], path).split()]
    return ids, resent


def load(path):
    with open_capture(path) as reader:
        (fetch,) = timeline(list(reader)).fetches
    return fetch


def test_a_copy_50_ms_late_with_its_ip_id_is_seen_twice(tmp_path):
    path = fetch_story(tmp_path, body_copy_us=50_000, resend_us=None)
    ids, resent = oracle(path)
    (copy,) = resent
    first = next(f for f in ids if f < copy and ids[f] == ids[copy])
    fetch = load(path)
    (st,) = [s for s in fetch.steps if s.kind.startswith("tcp.seen_twice")]
    assert st.kind == "tcp.seen_twice.late" and st.facts["copies"] == [copy] and st.facts["firsts"] == [first]
    assert st.facts["id_hex"] == ids[copy][1] and not st.problem
    assert not [s for s in fetch.steps if s.kind.startswith("tcp.retransmission")]
    assert fetch.summary.retransmitted_bytes == 0 and fetch.summary.copied_bytes == 1000
    assert [c.retransmissions for c in fetch.connections] == [0] and [c.copies for c in fetch.connections] == [1]


def test_a_resend_2_ms_later_with_a_new_ip_id_is_a_retransmission(tmp_path):
    # sooner than any timer would have the time rule call it a copy: the new IP ID says it was sent again
    path = fetch_story(tmp_path, body_copy_us=None, resend_us=2_000)
    ids, resent = oracle(path)
    (again,) = resent
    assert ids[again] != ids[again - 1]
    fetch = load(path)
    assert not [s for s in fetch.steps if "seen_twice" in s.kind]
    (st,) = [s for s in fetch.steps if s.kind.startswith("tcp.retransmission")]
    assert again in st.frames and st.facts["orig_frame"] == again - 1
    assert fetch.summary.retransmitted_bytes == 1000 and fetch.summary.copied_bytes == 0
    assert [c.retransmissions for c in fetch.connections] == [1] and [c.copies for c in fetch.connections] == [0]


def test_a_copy_and_a_resend_of_one_segment(tmp_path):
    # the segment seen twice 80 us apart (one ID), then sent again 300 ms later (another ID): one copy, one
    # retransmission whose original is the first frame
    path = fetch_story(tmp_path, body_copy_us=80, resend_us=300_000)
    ids, resent = oracle(path)
    copy, again = resent
    assert ids[copy] == ids[copy - 1] != ids[again]
    fetch = load(path)
    twice = [s for s in fetch.steps if s.kind.startswith("tcp.seen_twice")]
    assert [s.facts["copies"] for s in twice] == [[copy]]
    (st,) = [s for s in fetch.steps if s.kind.startswith("tcp.retransmission")]
    assert again in st.frames and copy not in st.frames and st.facts["orig_frame"] == copy - 1
    assert fetch.summary.retransmitted_bytes == 1000 and fetch.summary.copied_bytes == 1000


def test_a_resend_that_goes_on_with_new_bytes(tmp_path):
    # the server's first 500 bytes, unacknowledged; 300 ms later the same 500 bytes again and 500 more in one
    # segment (a new IP ID): a retransmission, partly again
    story = craft.Story()
    conn, data = craft.get_and_response(story, b"z" * 1200)
    conn.send(S, "A", data[:500], dt_us=5000)
    conn.send(S, "A", data[:1000], dt_us=300_000, seq=5001)
    conn.send(S, "PA", data[1000:], dt_us=100, seq=5001 + 1000)
    conn.send(C, "A", dt_us=100)
    path = tmp_path / "partly.pcap"
    story.write(path)
    _ids, resent = oracle(path)
    (again,) = resent
    seg = {int(f): (int(q), int(n)) for f, q, n in (line.split("\t") for line in tshark_output(
        ["tshark", "-r", str(path), "-Y", "tcp.srcport == 80 && tcp.len > 0", "-T", "fields", "-e", "frame.number",
         "-e", "tcp.seq", "-e", "tcp.len"], path).splitlines())}
    before = max(q + n for f, (q, n) in seg.items() if f < again)
    fetch = load(path)
    (st,) = [s for s in fetch.steps if s.kind.startswith("tcp.retransmission")]
    assert st.frames[0] == again and "partly again" in st.text
    assert st.facts["new_bytes"] == seg[again][0] + seg[again][1] - before == 500
    assert st.facts["old_bytes"] == seg[again][1] - 500
    assert not [s for s in fetch.steps if s.kind == "tcp.conflict"]
