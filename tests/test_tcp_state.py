"""The state tables: complete, consistent, and the history letter rules."""

from __future__ import annotations

from analyzer.tcp import state as S
from analyzer.tcp.connection import Connection, Side


def test_conn_state_grid_is_total():
    assert len(S.CONN_STATE) == len(S.ENDPOINT_STATES) ** 2
    assert set(S.CONN_STATE.values()) <= set(S.CONN_STATE_MEANING)


def test_endpoint_transitions_stay_in_the_table():
    for state, row in S.ENDPOINT.items():
        assert state in S.ENDPOINT_STATES
        assert set(row) <= {"syn", "synack", "ack", "fin", "rst"}
        assert set(row.values()) <= set(S.ENDPOINT_STATES)


def test_rfc_table_textbook_paths():
    def walk(state, *events):
        for e in events:
            state = S.RFC[state].get(e, state)
        return state

    # active close: FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT; passive: CLOSE_WAIT -> LAST_ACK -> CLOSED
    assert walk("ESTABLISHED", "snd_fin", "fin_acked", "rcv_fin") == "TIME_WAIT"
    assert walk("ESTABLISHED", "rcv_fin", "snd_fin", "fin_acked") == "CLOSED"
    # simultaneous close: FIN_WAIT_1 -> CLOSING -> TIME_WAIT
    assert walk("ESTABLISHED", "snd_fin", "rcv_fin", "fin_acked") == "TIME_WAIT"
    assert walk("CLOSED", "snd_syn", "syn_acked") == "ESTABLISHED"
    assert walk("CLOSED", "snd_synack", "syn_acked") == "ESTABLISHED"
    assert walk("FIN_WAIT_2", "rcv_rst") == "CLOSED"
    assert "TIME_WAIT" in S.diagram(S.RFC)


def test_conn_state_meanings():
    assert S.conn_state("SYN_SENT", "INACTIVE") == "S0"
    assert S.conn_state("CLOSED", "CLOSED") == "SF"
    assert S.conn_state("SYN_SENT", "RESET") == "REJ"
    assert S.conn_state("RESET_ATTEMPT", "INACTIVE") == "RSTOS0"
    assert S.conn_state("INACTIVE", "RESET") == "RSTRH"
    assert S.conn_state("PARTIAL", "PARTIAL") == "OTH"


def test_history_letter_rules():
    c = Connection(0, Side("a", 1), Side("b", 2), 0, 1)
    for _ in range(3):
        c.letter(0, "d")                 # once per direction
        c.letter(1, "d")
    c.letter(0, "f", 100)
    c.letter(0, "f", 100)                # same sequence number: not again
    c.letter(0, "f", 101)
    for _ in range(120):
        c.letter(1, "t")                 # 1st, 10th, 100th
    assert "".join(c.history) == "DdFFttt"
