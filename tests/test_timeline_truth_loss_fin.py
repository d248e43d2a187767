""""Where the time went" names what was lost: a lost FIN is told as one, not as "a lost segment" (F41; was, on
lab_https_answer_lost: "152.0 ms lost recovering a lost segment." where the server's FIN was lost, its copy
frame 36).

Expected values from tshark at test time (which cited frames are FIN retransmissions, and which are data
segments); the segment case is the crafted loss_mid_transfer scenario (scapy).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.timeline import craft

from analyzer.capture import open_capture
from analyzer.timeline import timeline
from tests.test_timeline_corpus import rows

LAB = Path(__file__).resolve().parent.parent / "captures" / "lab_https_answer_lost.pcapng"


def _losses(path: Path, lang: str) -> list:
    with open_capture(path) as reader:
        tl = timeline(reader, lang)
    return [d for f in tl.fetches for d in f.breakdown if d.what == "loss"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lost_fin(lang):
    """lab_https_answer_lost: tshark marks frame 36, the server's FIN, a retransmission; the loss part cites it and
    says a FIN was lost."""
    fins = {int(r[0]) for r in rows(LAB, "tcp.flags.fin == 1 && tcp.analysis.retransmission")}
    (loss,) = _losses(LAB, lang)
    assert fins & set(loss.frames)
    assert ("lost recovering a lost FIN." in loss.text) if lang == "en" else ("从丢失的 FIN 中恢复" in loss.text)
    assert "segment" not in loss.text and "报文段" not in loss.text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lost_segment(tmp_path, lang):
    """Crafted loss_mid_transfer: the lost one is a 1000-byte data segment (tshark: its fast retransmission has
    data and no FIN): the part still says a segment."""
    story = craft.Story()
    f = craft.loss_mid_transfer(story)
    path = tmp_path / "loss.pcap"
    story.write(path)
    ((_n, fin, length),) = rows(path, "tcp.analysis.fast_retransmission", "tcp.flags.fin", "tcp.len")
    assert int(_n) == f["retrans"] and fin in ("0", "False") and int(length) == 1000
    (loss,) = _losses(path, lang)
    assert f["retrans"] in loss.frames
    assert ("lost recovering a lost segment." in loss.text) if lang == "en" else ("从丢失的报文段中恢复" in loss.text)
