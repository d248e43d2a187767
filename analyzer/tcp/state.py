"""TCP connection state as data: every transition and every summary rule lives in this file.

Theory of operation
-------------------
A passive observer sees each segment once, somewhere between the two endpoints. For each side of a
connection we keep two small states, both moved only by the tables below:

* ``ENDPOINT``: what this side has *sent* so far (Zeek's endpoint view): INACTIVE, SYN_SENT, SYN_ACK_SENT,
  PARTIAL (sent something but we never saw its SYN), ESTABLISHED, CLOSED (sent a FIN), RESET (sent a RST),
  RESET_ATTEMPT (sent a RST while its only earlier packet was a SYN). Events are the kinds of segment the
  side sends: ``syn``, ``synack``, ``ack`` (anything without SYN/FIN/RST), ``fin``, ``rst``.
  Zeek's ``conn_state`` is a pure function of the pair (originator state, responder state): the grid
  ``CONN_STATE_GRID`` below, read as a table.

* ``RFC``: the RFC 793 state each endpoint is in, as far as the capture shows it. Events: ``snd_syn``,
  ``snd_synack``, ``snd_fin``, ``snd_rst``, ``snd_data`` (a first segment seen mid-connection),
  ``syn_acked`` / ``fin_acked`` (the peer acknowledged our SYN / FIN) and ``rcv_fin`` / ``rcv_rst``.
  A side is known to have *received* a FIN only when it acknowledges it, so ``rcv_fin`` fires on the
  side's own ACK covering the peer's FIN; within one segment the acknowledgment is applied before the
  side's own SYN/FIN (a FIN+ACK first takes in the peer's FIN, then sends its own). This makes crossing
  FINs (simultaneous close, both sides in TIME_WAIT) come out right wherever the capture point is.
  A missing entry means "no change": an observer must keep going through anything.

History letters (Zeek's ``history``): upper case for the originator, lower case for the responder.
``s`` SYN without ACK, ``h`` SYN+ACK, ``a`` pure ACK, ``d`` payload, ``f`` FIN, ``r`` RST, ``c`` bad checksum,
``g`` content gap, ``t`` retransmitted payload, ``w`` zero window, ``i`` inconsistent flags (SYN with RST),
``q`` multi-flag (SYN with FIN or RST), ``^`` the direction was flipped (the responder's packet came first).
``a``, ``d``, ``i``, ``q`` are recorded once per direction; ``s``, ``h``, ``f``, ``r`` again whenever the
sequence number differs from that of the previous packet with that flag; ``c``, ``g``, ``t``, ``w`` on the
1st, 10th, 100th, ... occurrence.
"""

from __future__ import annotations

# -- per-side endpoint state (what the side sent) ---------------------------------------------------
INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET, RESET_ATTEMPT = (
    "INACTIVE", "SYN_SENT", "SYN_ACK_SENT", "PARTIAL", "ESTABLISHED", "CLOSED", "RESET", "RESET_ATTEMPT")
ENDPOINT_STATES = (INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET, RESET_ATTEMPT)

ENDPOINT: dict[str, dict[str, str]] = {
    INACTIVE: {"syn": SYN_SENT, "synack": SYN_ACK_SENT, "ack": PARTIAL, "fin": CLOSED, "rst": RESET},
    SYN_SENT: {"synack": SYN_ACK_SENT, "ack": ESTABLISHED, "fin": CLOSED, "rst": RESET_ATTEMPT},
    SYN_ACK_SENT: {"ack": ESTABLISHED, "fin": CLOSED, "rst": RESET},
    PARTIAL: {"syn": SYN_SENT, "synack": SYN_ACK_SENT, "fin": CLOSED, "rst": RESET},
    ESTABLISHED: {"fin": CLOSED, "rst": RESET},
    CLOSED: {"rst": RESET},
    RESET: {},
    RESET_ATTEMPT: {},
}

# Zeek's conn_state from (originator endpoint state, responder endpoint state).
# Rows: originator; columns: responder, in the order of ENDPOINT_STATES.
CONN_STATE_GRID = """
                INACTIVE SYN_SENT SYN_ACK_SENT PARTIAL ESTABLISHED CLOSED RESET RESET_ATTEMPT
INACTIVE        OTH      OTH      OTH          OTH     OTH         SHR    RSTRH RSTRH
SYN_SENT        S0       OTH      S1           S1      S1          S3     REJ   REJ
SYN_ACK_SENT    OTH      S1       S1           OTH     S1          S3     REJ   REJ
PARTIAL         OTH      OTH      OTH          OTH     OTH         S3     RSTRH RSTRH
ESTABLISHED     OTH      OTH      S1           S1      S1          S3     RSTR  RSTR
CLOSED          SH       SH       S2           S2      S2          SF     RSTR  RSTR
RESET           OTH      OTH      RSTO         RSTO    RSTO        RSTO   RSTR  RSTR
RESET_ATTEMPT   RSTOS0   RSTOS0   RSTO         RSTO    RSTO        RSTO   REJ   REJ
"""


def _grid(text: str) -> dict[tuple[str, str], str]:
    rows = [line.split() for line in text.strip().splitlines()]
    columns = rows[0]
    return {(row[0], col): value for row in rows[1:] for col, value in zip(columns, row[1:], strict=True)}


CONN_STATE: dict[tuple[str, str], str] = _grid(CONN_STATE_GRID)

CONN_STATE_MEANING = {
    "S0": "connection attempt seen, no reply",
    "S1": "connection established, not terminated",
    "SF": "normal establishment and termination",
    "REJ": "connection attempt rejected",
    "S2": "established, close attempt by originator seen (no reply from responder)",
    "S3": "established, close attempt by responder seen (no reply from originator)",
    "RSTO": "established, originator aborted (sent a RST)",
    "RSTR": "responder sent a RST",
    "RSTOS0": "originator sent a SYN followed by a RST, no SYN-ACK seen",
    "RSTRH": "responder sent a SYN-ACK followed by a RST, no SYN seen from the originator",
    "SH": "originator sent a SYN followed by a FIN, no SYN-ACK seen (half open)",
    "SHR": "responder sent a SYN-ACK followed by a FIN, no SYN seen from the originator",
    "OTH": "no SYN seen, just midstream traffic",
}

# -- RFC 793 state per endpoint ----------------------------------------------------------------------
(R_CLOSED, R_SYN_SENT, R_SYN_RECEIVED, R_ESTABLISHED, R_FIN_WAIT_1, R_FIN_WAIT_2, R_CLOSE_WAIT,
 R_CLOSING, R_LAST_ACK, R_TIME_WAIT) = ("CLOSED", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
                                        "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT")
_RST = {"snd_rst": R_CLOSED, "rcv_rst": R_CLOSED}
RFC: dict[str, dict[str, str]] = {
    R_CLOSED: {"snd_syn": R_SYN_SENT, "snd_synack": R_SYN_RECEIVED, "snd_data": R_ESTABLISHED,
               "snd_fin": R_FIN_WAIT_1, "rcv_fin": R_CLOSE_WAIT},
    R_SYN_SENT: {"syn_acked": R_ESTABLISHED, "snd_synack": R_SYN_RECEIVED, "snd_fin": R_FIN_WAIT_1,
                 "rcv_fin": R_CLOSE_WAIT, **_RST},
    R_SYN_RECEIVED: {"syn_acked": R_ESTABLISHED, "snd_fin": R_FIN_WAIT_1, "rcv_fin": R_CLOSE_WAIT, **_RST},
    R_ESTABLISHED: {"snd_fin": R_FIN_WAIT_1, "rcv_fin": R_CLOSE_WAIT, **_RST},
    R_FIN_WAIT_1: {"fin_acked": R_FIN_WAIT_2, "rcv_fin": R_CLOSING, **_RST},
    R_FIN_WAIT_2: {"rcv_fin": R_TIME_WAIT, **_RST},
    R_CLOSE_WAIT: {"snd_fin": R_LAST_ACK, **_RST},
    R_CLOSING: {"fin_acked": R_TIME_WAIT, **_RST},
    R_LAST_ACK: {"fin_acked": R_CLOSED, **_RST},
    R_TIME_WAIT: {**_RST},
}

# -- history letters ---------------------------------------------------------------------------------
ONCE = frozenset("adiq")          # once per direction
PER_SEQ = frozenset("shfr")       # again when the sequence number changes
LOGARITHMIC = frozenset("cgtw")   # 1st, 10th, 100th, ... occurrence


def conn_state(orig: str, resp: str) -> str:
    """Zeek's conn_state for a connection whose sides ended in these endpoint states."""
    return CONN_STATE[(orig, resp)]


def diagram(table: dict[str, dict[str, str]]) -> str:
    """The transitions of a table as text lines ``STATE --event--> STATE`` (for the docs)."""
    return "\n".join(f"{state} --{event}--> {new}" for state, row in table.items() for event, new in row.items())
