"""Crafted captures (tests/fixtures/tcp/craft.py): every conn_state, simultaneous open and close, half-close,
mid-stream start, wraparound, retransmission, out-of-order, zero window, window scaling, port reuse, DNS over
TCP and IPv4 fragments — checked against what the textbook says and, frame by frame, against tshark."""

from __future__ import annotations

import pytest
from tcp_helpers import build_crafted, count, run
from tcp_oracle import TSHARK, differences


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    return build_crafted(tmp_path_factory.mktemp("crafted"))


def one(crafted, name, fast=False):
    pipe = count(crafted[name]) if fast else run(crafted[name])[0]
    rows = pipe.tcp_connections
    return rows


# Source of these expectations: Zeek's documentation of conn.log, the Conn::Info record of
# base/protocols/conn/main.zeek (https://docs.zeek.org/en/current/scripts/base/protocols/conn/main.zeek.html):
# its conn_state field lists each state's meaning, its history field the letters — s SYN without ACK,
# h SYN+ACK, a pure ACK, d data, f FIN, r RST, ^ direction flipped by Zeek's heuristic; upper case for the
# originator; a, d, i, q at most once per direction, f, h, r, s again only with a new sequence number, c, g, t,
# w at the 1st, 10th, 100th... occurrence. No Zeek run is involved (Zeek is not packaged in Debian 12);
# closed_by and time_wait are RFC 793's active closer and the side left in TIME-WAIT.
EXPECTED = {
    # name: (conn_state, history, closed_by, time_wait)             why, from the definitions above
    "sf_four_way": ("SF", "ShADadFf", "orig", "orig"),              # SF: normal establishment and termination
    "sf_three_way_server_closes": ("SF", "ShADdfFa", "resp", "resp"),   # the responder's FIN came first
    "simultaneous_close": ("SF", "ShADaFf", "orig", "both"),        # both FINs crossed: both in TIME-WAIT
    "simultaneous_open": ("S1", "SsHhAaD", None, None),             # S1: established, not terminated
    "half_close": ("SF", "ShADFadf", "orig", "orig"),               # FIN, then data the other way, then FIN
    "s0": ("S0", "S", None, None),                                  # S0: attempt seen, no reply
    "rej": ("REJ", "Sr", None, None),                               # REJ: attempt rejected (RST to the SYN)
    "s1": ("S1", "ShADa", None, None),                              # S1: established, not terminated
    "s2": ("S2", "ShADaF", "orig", None),                           # S2: originator's close, no reply
    "s3": ("S3", "ShADaf", "resp", None),                           # S3: responder's close, no reply
    "rsto": ("RSTO", "ShADaR", None, None),                         # RSTO: established, originator aborted
    "rstr": ("RSTR", "ShADr", None, None),                          # RSTR: responder sent a RST
    "rstos0": ("RSTOS0", "SR", None, None),                         # RSTOS0: SYN then RST, no SYN-ACK
    "rstrh": ("RSTRH", "^hr", None, None),                          # RSTRH: SYN-ACK then RST, no SYN (flipped)
    "sh": ("SH", "SF", "orig", None),                               # SH: SYN then FIN, no SYN-ACK
    "shr": ("SHR", "^hf", "resp", None),                            # SHR: SYN-ACK then FIN, no SYN (flipped)
    "oth_midstream": ("OTH", "^dADa", None, None),                  # OTH: no SYN, midstream traffic
    "wraparound": ("SF", "ShADdaFf", "orig", "orig"),               # SF across the 2**32 sequence wrap
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("fast", [False, True], ids=["pipeline", "count"])
def test_conn_state_history_close(crafted, name, fast):
    (row,) = one(crafted, name, fast)
    state, history, closed_by, time_wait = EXPECTED[name]
    assert (row["conn_state"], row["history"], row["closed_by"], row["time_wait"]) == \
        (state, history, closed_by, time_wait)


def test_every_conn_state_is_covered():
    from analyzer.tcp.state import CONN_STATE_MEANING

    assert {v[0] for v in EXPECTED.values()} == set(CONN_STATE_MEANING)


def test_handshake_facts(crafted):
    (row,) = one(crafted, "sf_four_way")
    hs = row["handshake"]
    assert (hs["syn_frame"], hs["synack_frame"], hs["ack_frame"]) == (1, 2, 3)
    assert hs["complete"] and not hs["simultaneous_open"]
    assert hs["mss"] == 1460 and hs["sack"] and not hs["window_scaling"]
    assert row["irtt"] == "0.002000000"          # SYN -> ACK: 2 ms in the script
    assert row["orig_state"] == "TIME_WAIT" and row["resp_state"] == "CLOSED"
    td = row["teardown"]
    assert td["kind"] == "four-way" and td["active_closer"] == "orig"
    assert (td["first_fin_frame"], td["first_fin_acked_frame"], td["second_fin_frame"],
            td["second_fin_acked_frame"]) == (8, 9, 10, 11)
    assert td["orig_time_wait_from_frame"] == 11


def test_simultaneous_open_and_close(crafted):
    (row,) = one(crafted, "simultaneous_open")
    assert row["handshake"]["simultaneous_open"]
    assert row["orig_state"] == row["resp_state"] == "ESTABLISHED"
    (row,) = one(crafted, "simultaneous_close")
    assert row["teardown"]["kind"] == "simultaneous close"
    assert row["orig_state"] == row["resp_state"] == "TIME_WAIT"


def test_three_way_and_half_close(crafted):
    (row,) = one(crafted, "sf_three_way_server_closes")
    assert row["teardown"]["kind"].startswith("three-way")
    (row,) = one(crafted, "half_close")
    assert row["teardown"]["half_close"] and row["teardown"]["data_after_fin"] == 2


def test_midstream_is_a_guess(crafted):
    (row,) = one(crafted, "oth_midstream")
    assert row["orig_guessed"]
    assert (row["id.orig_p"], row["id.resp_p"]) == (51000, 443)


def test_resets_say_who_and_when(crafted):
    (row,) = one(crafted, "rsto")
    assert row["resets"] == [{"by": "orig", "frame": 6, "ts": row["resets"][0]["ts"], "state": "ESTABLISHED"}]
    (row,) = one(crafted, "rej")
    assert row["resets"][0]["by"] == "resp" and row["resets"][0]["state"] == "CLOSED"


def test_port_reuse_starts_a_new_stream(crafted):
    pipe, packets = run(crafted["port_reuse"])
    rows = pipe.tcp_connections
    assert [r["stream"] for r in rows] == [0, 1]
    assert rows[1]["port_reuse"] and not rows[0]["port_reuse"]
    flagged = [p.frame.number for p in packets if p.get("tcp.analysis.reused_ports")]
    assert flagged == [8]
    assert [r["conn_state"] for r in count(crafted["port_reuse"]).tcp_connections] == ["SF", "RSTO"]


def test_refused_attempts_are_connections_of_their_own(crafted):
    """Two SYNs answered by RST, then a third that connects, all from one source port: three streams, as
    tshark numbers them, and three rows as Zeek logs repeated attempts (REJ, REJ, SF)."""
    path = crafted["reuse_after_refused_attempts"]
    pipe, packets = run(path)
    rows = pipe.tcp_connections
    assert [(r["stream"], r["conn_state"], r["history"]) for r in rows] == \
        [(0, "REJ", "Sr"), (1, "REJ", "Sr"), (2, "SF", "ShADdFf")]
    assert [r["port_reuse"] for r in rows] == [False, True, True]
    assert [p.frame.number for p in packets if p.get("tcp.analysis.reused_ports")] == [3, 5]
    # the third connection counts from its own ISNs: the server's data is at relative 1, not a resend
    data = [p for p in packets if p.get("tcp.len")]
    assert [(p["tcp.stream"], p["tcp.seq"], p["tcp.ack"]) for p in data] == [(2, 1, 1), (2, 1, 6)]
    assert not any(p.has("tcp.analysis.retransmission") for p in packets)
    assert [(r["conn_state"], r["history"]) for r in count(path).tcp_connections] == \
        [("REJ", "Sr"), ("REJ", "Sr"), ("SF", "ShADdFf")]


def test_reuse_after_a_connection_seen_mid_stream(crafted):
    pipe, packets = run(crafted["reuse_after_midstream_reset"])
    rows = pipe.tcp_connections
    assert [r["stream"] for r in rows] == [0, 1] and rows[1]["conn_state"] == "SF"
    syn = packets[3]
    assert syn["tcp.stream"] == 1 and syn["tcp.seq"] == 0 and syn.get("tcp.analysis.reused_ports") == 1
    assert [(p["tcp.seq"], p["tcp.ack"]) for p in packets[4:8]] == [(0, 1), (1, 1), (1, 1), (1, 28)]
    assert not any(p.has("tcp.analysis.retransmission") or p.has("tcp.analysis.lost_segment")
                   for p in packets[3:])


def test_synack_with_a_new_isn_keeps_the_stream(crafted):
    """Wireshark 4.0 keeps the conversation for a SYN-ACK whose ISN differs from the server side's base,
    flags the reuse and counts the server's numbers from the new ISN."""
    _pipe, packets = run(crafted["reuse_synack_new_isn"])
    synack = packets[1]
    assert synack["tcp.stream"] == 0 and synack["tcp.seq"] == 0
    assert synack.get("tcp.analysis.reused_ports") == 1
    assert packets[4]["tcp.seq"] == 1 and packets[4]["tcp.nxtseq"] == 1


def test_wraparound_relative_numbers(crafted):
    _pipe, packets = run(crafted["wraparound"])
    seqs = [(p["tcp.seq"], p["tcp.ack"], p["tcp.len"]) for p in packets]
    assert seqs[3] == (1, 1, 20) and seqs[4] == (1, 21, 30) and seqs[5] == (21, 31, 20)


def test_analysis_flags(crafted):
    _pipe, packets = run(crafted["retransmission"])
    assert packets[4].get("tcp.analysis.retransmission") == 1
    _pipe, packets = run(crafted["out_of_order"])
    assert packets[3].get("tcp.analysis.lost_segment") == 1
    assert packets[4].get("tcp.analysis.out_of_order") == 1
    _pipe, packets = run(crafted["zero_window"])
    assert packets[4].get("tcp.analysis.zero_window") == 1
    assert packets[5].get("tcp.analysis.zero_window_probe") == 1
    assert packets[7].get("tcp.analysis.window_update") == 1
    _pipe, packets = run(crafted["window_scaling_full"])
    assert packets[3]["tcp.window_size"] == 128
    assert packets[4].get("tcp.analysis.window_full") == 1


def test_ipv4_fragments_reassembled(crafted):
    pipe, packets = run(crafted["ipv4_fragments"])
    with_tcp = [p for p in packets if p.has("tcp")]
    assert [p.frame.number for p in with_tcp] == [1, 2, 3, 7, 8]     # fragments 4-6 carry no TCP
    whole = packets[6]
    assert whole["tcp.len"] == 2048 and whole["ip.fragment"] == [4, 5, 6, 7]
    assert whole.payload_bytes() == bytes(range(256)) * 8
    assert whole.wire_frame.caplen < whole.frame.caplen
    assert pipe.incomplete_datagrams == []


def test_dns_over_tcp_messages_on_completing_frames(crafted):
    _pipe, packets = run(crafted["dns_tcp"])
    dns = {p.frame.number: p.get("dns.id") for p in packets if p.has("dns")}
    # frame 4 holds two queries; the answers' first message completes in frame 6, the second in frame 7
    assert dns == {4: ["0x0001", "0x0002"], 6: "0x0001", 7: "0x0002"}


@pytest.mark.skipif(TSHARK is None, reason="tshark (the oracle) is not installed")
def test_crafted_frame_by_frame_like_tshark(crafted):
    for name, path in sorted(crafted.items()):
        assert differences(path) == [], name
