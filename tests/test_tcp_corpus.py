"""The corpus in ../shared/corpus against tshark 4.0, frame by frame: tcp.stream, tcp.seq, tcp.ack, tcp.len,
tcp.nxtseq, every tcp.analysis flag, ack_rtt, acks_frame, initial_rtt, bytes_in_flight, push_bytes_sent,
tcp.window_size, udp.stream and both protocols' time_relative/time_delta. Known, deliberate differences are listed in EXCLUDED with the reason."""

from __future__ import annotations

import pytest
from tcp_helpers import count, run
from tcp_oracle import CORPUS, TSHARK, differences

pytestmark = [
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus folder {CORPUS} not present"),
    pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed"),
]

FILES = sorted(p.name for p in CORPUS.glob("*.pcap*")) if CORPUS.is_dir() else []

# Known, deliberate differences (frame -> reason); none today: out-of-order and retransmission follow
# Wireshark 4.0's rules exactly (issue 13), SACK or not.
EXCLUDED: dict[tuple[str, int], str] = {}
# Frame numbering differs for a reason outside TCP analysis: tshark counts three pcapng blocks as frames
# that the capture reader does not yield (simple packet blocks of the synthetic test file), so every
# udp.stream after them is compared against a different frame.
SKIP_FIELD = {("pcapng_bigendian_3_sections_all_blocks.pcapng", f): "frame numbering differs"
              for f in ("udp.stream", "udp.time_relative", "udp.time_delta")}


@pytest.mark.parametrize("name", FILES)
def test_like_tshark(name):
    diffs = [d for d in differences(CORPUS / name)
             if (name, d[0]) not in EXCLUDED and (name, d[1]) not in SKIP_FIELD]
    assert diffs == []


def test_out_of_order_by_wiresharks_timing_rule_even_with_sack():
    """Frames that fill a hole the receiver's SACK blocks reported, within one iRTT of the highest segment:
    tshark 4.0 calls them out-of-order (its timing rule ignores SACK), and so do we."""
    _pipe, packets = run(CORPUS / "tcp_out_of_order_sack_gaps_rst_http.pcap")
    for frame in (27, 28, 29, 33, 34, 35, 58, 62, 66, 67):
        pkt = packets[frame - 1]
        assert pkt.get("tcp.analysis.out_of_order") == 1 and not pkt.has("tcp.analysis.retransmission")


@pytest.mark.parametrize("name", FILES)
def test_fast_path_gives_the_same_table(name):
    """``analyzer conversations`` reads headers only; its rows must equal the full pipeline's."""
    full, _packets = run(CORPUS / name)
    fast = count(CORPUS / name)
    keep = ("stream", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "conn_state", "history",
            "orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes", "duration", "irtt", "closed_by", "time_wait")
    assert [{k: r[k] for k in keep} for r in fast.tcp_connections] == \
        [{k: r[k] for k in keep} for r in full.tcp_connections]
    assert fast.udp_conversations == full.udp_conversations


def test_known_connection_summaries():
    rows = count(CORPUS / "tcp_syn_refused_rst.pcap").tcp_connections
    assert [(r["conn_state"], r["history"]) for r in rows] == [("REJ", "Sr")]
    rows = count(CORPUS / "http_fetch_dns_handshake_teardown_classic.pcap").tcp_connections
    assert rows[0]["conn_state"] == "SF" and rows[0]["irtt"] == "0.911310000"
    rows = count(CORPUS / "tcp_handshake_synack_before_syn.pcap").tcp_connections
    assert rows[0]["id.orig_p"] != 80 and rows[0]["conn_state"] == "SF"
    rows = count(CORPUS / "http_gzip_content_length_simultaneous_close.pcap").tcp_connections
    assert rows[0]["teardown"]["kind"] == "simultaneous close" and rows[0]["time_wait"] == "both"
    rows = count(CORPUS / "tcp_halfclose_server_fin_client_keeps_sending.pcap").tcp_connections
    assert rows[0]["closed_by"] == "resp" and rows[0]["teardown"]["half_close"]
