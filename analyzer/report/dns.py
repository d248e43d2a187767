"""Rows, JSON lines and the text table of ``analyzer dns``: one per DNS transaction.

Builders only; the CLI prints. A row's first keys are the issue's (``query_frame``, ``response_frame``,
``trans_id``, ``query``, ``qtype``, ``qtype_name``, ``rcode``, ``rcode_name``, ``answers``, ``ttls``, ``rtt``,
``proto``), then Zeek's dns.log names (``ts``, ``uid``, ``id.orig_h`` ... ``TTLs``, ``rejected``), then
details: retransmissions, the CNAME chain and the addresses it leads to.

``answers`` lists the answer section as Zeek does (addresses, names; for MX the exchange), ``ttls`` their
TTLs; ``rtt`` is tshark's dns.time in seconds (None when unanswered); ``rcode_name`` is the mnemonic
(NOERROR, NXDOMAIN, ...) as Zeek logs it; ``rejected`` is Zeek's: a response without any record.
``uid`` is ``U<udp.stream>`` or ``T<tcp.stream>``. The query's ID is ``trans_id`` (a number).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from analyzer.apps.dns_tx import DnsTransaction, answer_text, cname_chain
from analyzer.decode.dns import T_OPT, type_name
from analyzer.report.columns import cut as _cut
from analyzer.report.columns import endpoint as _endpoint
from analyzer.report.safe import visible

JSON_KEYS = ("query_frame", "response_frame", "trans_id", "query", "qtype", "qtype_name", "rcode",
             "rcode_name", "answers", "ttls", "rtt", "proto")

# Zeek's base/protocols/dns/consts.zeek names.
RCODE_NAMES = {
    0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN",
    7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE", 16: "BADVERS", 17: "BADKEY", 18: "BADTIME",
    19: "BADMODE", 20: "BADNAME", 21: "BADALG", 22: "BADTRUNC", 23: "BADCOOKIE",
}
CLASS_NAMES = {1: "C_INTERNET", 2: "C_CSNET", 3: "C_CHAOS", 4: "C_HESIOD", 254: "C_NONE", 255: "C_ANY"}


def _secs(ns: int | None) -> float | None:
    return None if ns is None else ns / 1e9


def row(tx: DnsTransaction) -> dict[str, Any]:
    """One transaction as a report row (see the module docstring)."""
    q = tx.query if tx.query is not None else tx.response
    question = q.questions[0] if q is not None and q.questions else None
    resp = tx.response
    rheader = tx.response_header
    qheader = tx.query_header if tx.query_header is not None else rheader
    answers = [rr for rr in resp.answers if rr.rtype != T_OPT] if resp is not None else []
    qname = question.name if question is not None else None
    chain, addresses = cname_chain(resp, qname) if qname is not None else ([], [])
    rcode = rheader.rcode if rheader is not None else None
    ts = tx.query_ts_ns if tx.query_ts_ns is not None else tx.response_ts_ns
    qclass = question.qclass & 0x7FFF if question is not None and tx.service == "mdns" else (
        question.qclass if question is not None else None)
    return {
        "query_frame": tx.query_frame,
        "response_frame": tx.response_frame,
        "trans_id": tx.trans_id,
        "query": qname,
        "qtype": question.qtype if question is not None else None,
        "qtype_name": type_name(question.qtype) if question is not None else None,
        "rcode": rcode,
        "rcode_name": (RCODE_NAMES.get(rcode, f"unknown-{rcode}") if rcode is not None else None),
        "answers": [answer_text(rr) for rr in answers],
        "ttls": [rr.ttl for rr in answers],
        "rtt": _secs(tx.rtt_ns),
        "proto": tx.proto,
        # Zeek dns.log
        "ts": _secs(ts),
        "uid": f"{'T' if tx.proto == 'tcp' else 'U'}{tx.stream}",
        "id.orig_h": tx.client[0],
        "id.orig_p": tx.client[1],
        "id.resp_h": tx.server[0],
        "id.resp_p": tx.server[1],
        "qclass": qclass,
        "qclass_name": CLASS_NAMES.get(qclass) if qclass is not None else None,
        "AA": bool(rheader.aa) if rheader is not None else False,
        "TC": bool(rheader.tc) if rheader is not None else False,
        "RD": bool(qheader.rd) if qheader is not None else False,
        "RA": bool(rheader.ra) if rheader is not None else False,
        "Z": rheader.z if rheader is not None else 0,
        "TTLs": [float(rr.ttl) for rr in answers],
        "rejected": rheader is not None and resp is not None
        and not (resp.answers or resp.authorities or resp.additionals),
        # details
        "service": tx.service,
        "stream": tx.stream,
        "answered": tx.answered,
        "unsolicited": tx.unsolicited,
        "retransmissions": list(tx.retransmissions),
        "response_retransmissions": list(tx.response_retransmissions),
        "extra_responses": list(tx.extra_responses),
        "cname_chain": chain if len(chain) > 1 else [],
        "addresses": addresses,
        "answer_types": [type_name(rr.rtype) for rr in answers],
        "malformed": bool((tx.query is not None and tx.query.errors) or (resp is not None and resp.errors)
                          or (tx.query is None and tx.query_header is not None)
                          or (resp is None and rheader is not None)),
    }


def rows(transactions: Iterable[DnsTransaction]) -> list[dict[str, Any]]:
    return [row(tx) for tx in transactions]








def table(items: list[dict[str, Any]], capture_start_ns: int | None = None) -> str:
    """The transactions as a text table, one line each."""
    starts = [it["ts"] for it in items if it["ts"] is not None]
    t0 = capture_start_ns / 1e9 if capture_start_ns is not None else (min(starts) if starts else 0.0)
    w = max([24] + [len(_endpoint(it[h], it[p])) for it in items
                    for h, p in (("id.orig_h", "id.orig_p"), ("id.resp_h", "id.resp_p"))])
    head = (f"{'Time':>10} {'Client':<{w}} {'Server':<{w}} {'Proto':<5} {'ID':<6} {'Query':<32} {'Type':<6} "
            f"{'Rcode':<9} {'RTT':>11} {'Re':>2}  Answers")
    lines = [head]
    for it in items:
        when = f"{it['ts'] - t0:10.6f}" if it["ts"] is not None else f"{'-':>10}"
        rtt = f"{it['rtt'] * 1000:.1f}ms" if it["rtt"] is not None else ("unsolicited" if it["unsolicited"]
                                                                         else "no answer")
        answers = ", ".join(visible(a) for a in it["answers"])
        if it["cname_chain"]:
            answers = " -> ".join(visible(n) for n in it["cname_chain"][1:]) + (
                " -> " + ", ".join(visible(a) for a in it["addresses"]) if it["addresses"] else "")
        lines.append(
            f"{when} {_endpoint(it['id.orig_h'], it['id.orig_p']):<{w}} "
            f"{_endpoint(it['id.resp_h'], it['id.resp_p']):<{w}} {it['proto']:<5} "
            f"{'0x{:04x}'.format(it['trans_id']):<6} {_cut(it['query'], 32):<32} "
            f"{_cut(it['qtype_name'], 6):<6} "
            f"{it['rcode_name'] or '-':<9} {rtt:>11} {len(it['retransmissions']):>2}  {answers or '-'}")
    return "\n".join(lines)
