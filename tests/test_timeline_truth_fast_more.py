"""F54: a fast-retransmission episode tells every segment the sender resent, not only the first.
tcp_fast_retransmit_sack_headers_only (MANIFEST): after 3 duplicate ACKs the server resends relative seq 12871
(frame 32), then, as the client's SACK blocks show another hole, frames 34 and 36; the step said "resends 1,430
bytes" beside the Summary's "+4,290 retransmitted", and frames 34 and 36 were cited with no word.

Expected values from tshark: the server's tcp.analysis.fast_retransmission / tcp.analysis.retransmission frames,
their tcp.seq and tcp.len.
"""

from __future__ import annotations

import pytest
from tshark_query import fields

from analyzer.capture import open_capture
from analyzer.timeline import timeline
from tests.test_timeline_corpus import CORPUS

SACK = CORPUS / "tcp_fast_retransmit_sack_headers_only.pcap"


def _step(lang="en"):
    with open_capture(SACK) as reader:
        (fetch,) = timeline(reader, lang).fetches
    (step,) = [s for s in fetch.steps if s.kind.startswith("tcp.retransmission.fast")]
    return fetch, step


def test_every_segment_of_the_episode_is_told():
    if not SACK.exists():
        pytest.skip(f"{SACK.name} is not in ../shared/corpus (the shared captures are not beside this tree)")
    resent = [(int(f), int(q), int(n)) for f, q, n in fields(
        SACK, "tcp.analysis.fast_retransmission || tcp.analysis.retransmission", "frame.number", "tcp.seq",
        "tcp.len")]
    ((fast,),) = fields(SACK, "tcp.analysis.fast_retransmission", "frame.number")
    first = next(r for r in resent if r[0] == int(fast))
    others = [r for r in resent if r[0] != int(fast)]
    assert len(others) == 2
    fetch, step = _step()
    f = step.facts
    assert step.kind == "tcp.retransmission.fast.more"
    assert (f["rel_seq"], f["length"]) == (first[1], first[2])
    assert (f["more"], f["more_bytes"], f["more_frames"]) == (len(others), sum(n for *_x, n in others),
                                                             [r[0] for r in others])
    assert f["all_bytes"] == sum(n for *_x, n in resent) == fetch.summary.retransmitted_bytes
    assert f"{f['all_bytes']:,} bytes resent in all" in step.text
    _f, zh = _step("zh")
    assert f"共重发 {f['all_bytes']:,} 字节" in zh.text
