"""``analyzer flow``: a ladder diagram of one TCP connection (client | server), like
``tshark -z flow,tcp,standard``, with the handshake and teardown steps named the way a course names them.

:func:`segment_row` keeps what the ladder needs from each packet of a stream (frame, time, direction,
flags, relative seq/ack, length, analysis flags); :func:`step_labels` names the handshake and teardown
frames from a connection summary; :func:`ladder` draws it. Builders only: they return strings.
"""

from __future__ import annotations

from typing import Any

from analyzer.report.columns import endpoint as _endpoint
from analyzer.report.safe import visible

_FLAG_NAMES = ((0x02, "SYN"), (0x01, "FIN"), (0x04, "RST"), (0x08, "PSH"), (0x10, "ACK"), (0x20, "URG"),
               (0x40, "ECE"), (0x80, "CWR"))
_ANALYSIS = (("tcp.analysis.fast_retransmission", "fast retransmission"),
             ("tcp.analysis.spurious_retransmission", "spurious retransmission"),
             ("tcp.analysis.retransmission", "retransmission"),
             ("tcp.analysis.out_of_order", "out-of-order"), ("tcp.analysis.lost_segment", "previous segment not captured"),
             ("tcp.analysis.ack_lost_segment", "ACKed unseen segment"), ("tcp.analysis.duplicate_ack", "dup ACK"),
             ("tcp.analysis.zero_window_probe", "zero window probe"), ("tcp.analysis.zero_window", "zero window"),
             ("tcp.analysis.window_full", "window full"), ("tcp.analysis.window_update", "window update"),
             ("tcp.analysis.keep_alive", "keep-alive"), ("tcp.analysis.keep_alive_ack", "keep-alive ACK"),
             ("tcp.analysis.reused_ports", "port reused"))


def segment_row(pkt: Any) -> dict[str, Any] | None:
    """What the ladder needs from one packet (None when it has no analysed TCP layer)."""
    tcp = pkt.layer("tcp")
    if tcp is None or "tcp.stream" not in tcp.fields:
        return None
    f = tcp.fields
    ip = pkt.layer("ip") or pkt.layer("ipv6")
    src = ip.fields.get("ip.src") or ip.fields.get("ipv6.src") if ip is not None else ""
    flags = int(f.get("tcp.flags", "0x0"), 16)
    notes = [text for name, text in _ANALYSIS if name in f]
    if "tcp.analysis.fast_retransmission" in f or "tcp.analysis.spurious_retransmission" in f:
        notes = [n for n in notes if n != "retransmission"]
    if "tcp.analysis.duplicate_ack_num" in f:
        notes = [f"dup ACK #{f['tcp.analysis.duplicate_ack_num']}" if n == "dup ACK" else n for n in notes]
    return {"frame": pkt.frame.number, "ts_ns": pkt.frame.ts_ns, "stream": f["tcp.stream"], "src": src,
            "sport": f.get("tcp.srcport"), "flags": flags, "seq": f.get("tcp.seq"), "ack": f.get("tcp.ack"),
            "len": f.get("tcp.len", 0), "window": f.get("tcp.window_size"), "notes": notes}


def flag_text(flags: int) -> str:
    return ", ".join(name for bit, name in _FLAG_NAMES if flags & bit) or "<none>"


def step_labels(summary: dict[str, Any]) -> dict[int, str]:
    """Frame number -> the handshake or teardown step it is ("handshake 2/3: SYN-ACK", ...)."""
    labels: dict[int, str] = {}
    hs = summary.get("handshake") or {}
    client, server = "client", "server"
    if hs.get("simultaneous_open"):
        if hs.get("syn_frame"):
            labels[hs["syn_frame"]] = "simultaneous open: SYN (both sides send one)"
        if hs.get("synack_frame"):
            labels[hs["synack_frame"]] = "simultaneous open: SYN-ACK"
    else:
        if hs.get("syn_frame"):
            labels[hs["syn_frame"]] = f"handshake 1/3: SYN ({client} opens, seq = client ISN)"
        if hs.get("synack_frame"):
            labels[hs["synack_frame"]] = "handshake 2/3: SYN-ACK (ack = client ISN + 1)"
        if hs.get("ack_frame"):
            labels[hs["ack_frame"]] = "handshake 3/3: ACK (ack = server ISN + 1; established)"
    td = summary.get("teardown")
    if td:
        closer = client if td["active_closer"] == "orig" else server
        other = server if closer == client else client
        kind = td["kind"]
        a_fin, a_ack = td["first_fin_frame"], td.get("first_fin_acked_frame")
        b_fin, b_ack = td.get("second_fin_frame"), td.get("second_fin_acked_frame")
        tw = summary.get("time_wait")
        tw_text = {"orig": "client enters TIME_WAIT", "resp": "server enters TIME_WAIT",
                   "both": "both sides enter TIME_WAIT"}.get(tw or "", "")
        if kind.startswith("three-way"):
            labels[a_fin] = f"teardown 1/3: FIN ({closer} closes)"
            if b_fin:
                labels[b_fin] = f"teardown 2/3: FIN+ACK ({other} acknowledges and closes)"
            if b_ack:
                labels[b_ack] = "teardown 3/3: ACK" + (f"; {tw_text}" if tw_text else "")
        elif kind == "simultaneous close":
            labels[a_fin] = f"simultaneous close: FIN ({closer})"
            if b_fin:
                labels[b_fin] = f"simultaneous close: FIN ({other}, before it saw the first FIN)"
            for frame in (a_ack, b_ack):
                if frame and frame not in labels:
                    labels[frame] = "simultaneous close: ACK of FIN" + (f"; {tw_text}" if tw_text else "")
        else:
            labels[a_fin] = f"teardown 1/4: FIN ({closer} closes its side)"
            if a_ack and a_ack not in labels:
                labels[a_ack] = f"teardown 2/4: ACK of FIN ({other} acknowledges; it may still send data)"
            if b_fin:
                labels[b_fin] = f"teardown 3/4: FIN ({other} closes)"
            if b_ack:
                labels[b_ack] = "teardown 4/4: ACK" + (f"; {tw_text}" if tw_text else "")
    for rst in summary.get("resets") or []:
        who = client if rst["by"] == "orig" else server
        labels.setdefault(rst["frame"], f"reset by {who} (in {rst['state']})")
    return labels




def ladder(rows: list[dict[str, Any]], summary: dict[str, Any], start_ns: int | None = None,
           width: int = 44) -> str:
    """The ladder of one connection: one arrow per segment, the step named on the right."""
    client = _endpoint(summary["id.orig_h"], summary["id.orig_p"])
    server = _endpoint(summary["id.resp_h"], summary["id.resp_p"])
    guess = " (guessed: capture started mid-connection)" if summary.get("orig_guessed") else ""
    labels = step_labels(summary)
    if start_ns is None:
        start_ns = rows[0]["ts_ns"] if rows else 0
    out = [f"Stream {summary['stream']}: {client} (client) <-> {server} (server){guess}",
           f"state {summary['conn_state']}, history {visible(summary['history'])}",
           f"{'frame':>6} {'time':>11}  {'client':<{width // 2}}{'server':>{width // 2 + 2}}"]
    orig_h, orig_p = str(summary["id.orig_h"]), summary["id.orig_p"]
    for r in rows:
        to_server = str(r["src"]) == orig_h and r["sport"] == orig_p
        text = flag_text(r["flags"])
        if r["len"]:
            text += f" Len={r['len']}"
        text = f" {text} "
        body = text.center(width - 2, "-")[:width - 2]
        arrow = f"|{body}>|" if to_server else f"|<{body}|"
        detail = f"Seq={r['seq']}"
        if r["flags"] & 0x10:
            detail += f" Ack={r['ack']}"
        if r.get("window") is not None:
            detail += f" Win={r['window']}"
        step = labels.get(r["frame"], "")
        extra = "; ".join(([step] if step else []) + r["notes"])
        rel = (r["ts_ns"] - start_ns) / 1e9
        out.append(f"{r['frame']:>6} {rel:>11.6f}  {arrow}  {detail}" + (f"   {extra}" if extra else ""))
    td = summary.get("teardown")
    if td:
        out.append(f"teardown: {td['kind']}, active closer: "
                   f"{'client' if td['active_closer'] == 'orig' else 'server'}"
                   + (f", TIME_WAIT: {summary['time_wait']}" if summary.get("time_wait") else ""))
    return "\n".join(out)
