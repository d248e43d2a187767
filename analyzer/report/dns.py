"""Rows, JSON lines and the text table of ``analyzer dns``: one per DNS transaction.

Builders only; the CLI prints. They format :class:`analyzer.api.records.DnsTransaction` records (made by
:func:`analyzer.api.build.dns_record`). A row's first keys are the issue's (``query_frame``,
``response_frame``, ``trans_id``, ``query``, ``qtype``, ``qtype_name``, ``rcode``, ``rcode_name``,
``answers``, ``ttls``, ``rtt``, ``proto``), then Zeek's dns.log names (``ts``, ``uid``, ``id.orig_h`` ...
``rejected``), then details: retransmissions, the CNAME chain and the addresses it leads to, and for a
truncated answer the frame of the client's retry over TCP.

``answers`` lists the answer section as Zeek does (addresses, names; for MX the exchange), ``ttls`` their
TTLs in seconds (one key: Zeek's ``TTLs`` is the same list); ``rtt`` is tshark's dns.time in seconds (None
when unanswered); ``rcode_name`` is the mnemonic (NOERROR, NXDOMAIN, ...) as Zeek logs it; ``rejected`` is
Zeek's: a response without any record. ``uid`` is the connection's (the same in ``conversations --json`` and
``analyzer logs``). The query's ID is ``trans_id`` (a number).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from analyzer.api.build import CLASS_NAMES, rcode_text
from analyzer.api.records import DnsTransaction
from analyzer.apps.dns_tx import answer_text, cname_chain
from analyzer.compiled import compiled
from analyzer.decode.dns import T_OPT, TYPE_NAMES, type_name
from analyzer.report.columns import cut as _cut
from analyzer.report.columns import endpoint as _endpoint
from analyzer.report.safe import visible
from analyzer.report.units import duration

# Rows whose endpoints set the width of a streamed table's Client and Server columns (table_lines).
WIDTH_ROWS = 1000

# a row's line in C for the rows of the usual shapes (analyzer/columnar/_speedups.c; None where not built, or pure
# Python; the function gives None for a row it leaves to the Python): the same text
_LINE = compiled("dns_table_line")

JSON_KEYS = ("query_frame", "response_frame", "trans_id", "query", "qtype", "qtype_name", "rcode",
             "rcode_name", "answers", "ttls", "rtt", "proto")


def _secs(ns: int | None) -> float | None:
    return None if ns is None else ns / 1e9


# the keys of a row whose values may be floats (the _secs values below): what
# analyzer.report.jsonlines.row_lines checks before orjson writes a row
JSON_FLOAT_KEYS = ("rtt", "ts")


def row(tx: DnsTransaction) -> dict[str, Any]:
    """One transaction as a report row (see the module docstring)."""
    return {
        "query_frame": tx.query_frame,
        "response_frame": tx.response_frame,
        "trans_id": tx.trans_id,
        "query": tx.query,
        "qtype": tx.qtype,
        "qtype_name": tx.qtype_name,
        "rcode": tx.rcode,
        "rcode_name": tx.rcode_name,
        "answers": list(tx.answers),
        "ttls": list(tx.ttls),
        "rtt": _secs(tx.rtt_ns),
        "proto": tx.proto,
        # Zeek dns.log
        "ts": _secs(tx.ts_ns),
        "uid": tx.uid,
        "id.orig_h": tx.orig_h,
        "id.orig_p": tx.orig_p,
        "id.resp_h": tx.resp_h,
        "id.resp_p": tx.resp_p,
        "qclass": tx.qclass,
        "qclass_name": tx.qclass_name,
        "AA": tx.aa,
        "TC": tx.tc,
        "RD": tx.rd,
        "RA": tx.ra,
        "Z": tx.z,
        "rejected": tx.rejected,
        # details
        "service": tx.service,
        "stream": tx.stream,
        "answered": tx.answered,
        "unsolicited": tx.unsolicited,
        "retransmissions": list(tx.retransmissions),
        "response_retransmissions": list(tx.response_retransmissions),
        "extra_responses": list(tx.extra_responses),
        "cname_chain": list(tx.cname_chain),
        "addresses": list(tx.addresses),
        "answer_types": list(tx.answer_types),
        "malformed": tx.malformed,
        "tc_retry_frame": tx.tc_retry_frame,
    }


def transaction_row(t: Any, uid: str | None = None, tc_retry_frame: int | None = None) -> dict[str, Any]:
    """:func:`row` of ``dns_record(t, uid)`` (:func:`analyzer.api.build.dns_record`; ``tc_retry_frame`` set), made
    straight from ``t``, the DNS tracker's transaction (:class:`analyzer.apps.dns_tx.DnsTransaction`), without
    the record: the same dict, keys in the same order (``analyzer dns``'s streamed rows, which need no record;
    tests/test_dns_rows.py compares the two on every capture)."""
    query, resp = t.query, t.response
    q = query if query is not None else resp
    question = q.questions[0] if q is not None and q.questions else None
    rheader = t.response_header
    qheader = t.query_header if t.query_header is not None else rheader
    texts: list[str] = []
    ttls: list[int] = []
    types: list[str] = []
    if resp is not None:
        for rr in resp.answers:         # dns_record's answers (OPT left out), texts, TTLs and type names
            rtype = rr.rtype
            if rtype == T_OPT:
                continue
            data = rr.rdata
            texts.append(data if data.__class__ is str else answer_text(rr))
            ttls.append(rr.ttl)
            name = TYPE_NAMES.get(rtype)
            types.append(name if name is not None else type_name(rtype))
        rejected = rheader is not None and not (resp.answers or resp.authorities or resp.additionals)
    else:
        rejected = False
    if question is not None:
        qname, qtype, qclass = question.name, question.qtype, question.qclass
        if t.service == "mdns":
            qclass &= 0x7FFF
        chain, addresses = cname_chain(resp, qname) if qname is not None else ([], [])
        qtype_name, qclass_name = type_name(qtype), CLASS_NAMES.get(qclass)
    else:
        qname = qtype = qclass = qtype_name = qclass_name = None
        chain, addresses = [], []
    if rheader is not None:
        flags = rheader.flags
        rcode = flags & 0xF
        rcode_name = rcode_text(rcode)
        aa, tc, ra, z = bool(flags & 0x400), bool(flags & 0x200), bool(flags & 0x80), (flags >> 6) & 1
    else:
        rcode = rcode_name = None
        aa = tc = ra = False
        z = 0
    qts, rts = t.query_ts_ns, t.response_ts_ns
    ts = qts if qts is not None else rts
    client, server = t.client, t.server
    query_frame, response_frame = t.query_frame, t.response_frame
    return {
        "query_frame": query_frame,
        "response_frame": response_frame,
        "trans_id": t.trans_id,
        "query": qname,
        "qtype": qtype,
        "qtype_name": qtype_name,
        "rcode": rcode,
        "rcode_name": rcode_name,
        "answers": texts,
        "ttls": ttls,
        "rtt": None if qts is None or rts is None else (rts - qts) / 1e9,
        "proto": t.proto,
        "ts": None if ts is None else ts / 1e9,
        "uid": uid or "",
        "id.orig_h": str(client[0]),
        "id.orig_p": client[1],
        "id.resp_h": str(server[0]),
        "id.resp_p": server[1],
        "qclass": qclass,
        "qclass_name": qclass_name,
        "AA": aa,
        "TC": tc,
        "RD": bool(qheader.flags & 0x100) if qheader is not None else False,
        "RA": ra,
        "Z": z,
        "rejected": rejected,
        "service": t.service,
        "stream": t.stream,
        "answered": response_frame is not None,
        "unsolicited": query_frame is None,
        "retransmissions": list(t.retransmissions) if t.retransmissions else [],
        "response_retransmissions": list(t.response_retransmissions) if t.response_retransmissions else [],
        "extra_responses": list(t.extra_responses) if t.extra_responses else [],
        "cname_chain": chain if len(chain) > 1 else [],
        "addresses": addresses,
        "answer_types": types,
        "malformed": bool((query is not None and query.errors) or (resp is not None and resp.errors)
                          or (query is None and t.query_header is not None) or (resp is None and rheader is not None)),
        "tc_retry_frame": tc_retry_frame,
    }


# the keys of a row the text table reads (table_lines): what table_cells makes
TABLE_KEYS = ("ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "trans_id", "query", "qtype_name",
              "rcode_name", "AA", "TC", "rtt", "unsolicited", "retransmissions", "ttls", "answers", "cname_chain",
              "addresses", "response_frame", "tc_retry_frame")


def table_cells(t: Any, uid: str | None = None, tc_retry_frame: int | None = None) -> dict[str, Any]:
    """The keys of :func:`transaction_row` that :func:`table_lines` reads (:data:`TABLE_KEYS`), the same values,
    made straight from the tracker's transaction ``t`` (``analyzer dns``'s text table: no uid, types, classes or
    other JSON-only keys made; tests/test_dns_rows.py checks them against the full rows)."""
    query, resp = t.query, t.response
    q = query if query is not None else resp
    question = q.questions[0] if q is not None and q.questions else None
    rheader = t.response_header
    texts: list[str] = []
    ttls: list[int] = []
    if resp is not None:
        for rr in resp.answers:         # dns_record's answers (OPT left out), texts and TTLs
            if rr.rtype == T_OPT:
                continue
            data = rr.rdata
            texts.append(data if data.__class__ is str else answer_text(rr))
            ttls.append(rr.ttl)
    if question is not None:
        qname = question.name
        chain, addresses = cname_chain(resp, qname) if qname is not None else ([], [])
        qtype_name = type_name(question.qtype)
    else:
        qname = qtype_name = None
        chain, addresses = [], []
    if rheader is not None:
        flags = rheader.flags
        rcode = flags & 0xF
        rcode_name = rcode_text(rcode)
        aa, tc = bool(flags & 0x400), bool(flags & 0x200)
    else:
        rcode_name = None
        aa = tc = False
    qts, rts = t.query_ts_ns, t.response_ts_ns
    ts = qts if qts is not None else rts
    client, server = t.client, t.server
    return {
        "ts": None if ts is None else ts / 1e9,
        "id.orig_h": str(client[0]),
        "id.orig_p": client[1],
        "id.resp_h": str(server[0]),
        "id.resp_p": server[1],
        "proto": t.proto,
        "trans_id": t.trans_id,
        "query": qname,
        "qtype_name": qtype_name,
        "rcode_name": rcode_name,
        "AA": aa,
        "TC": tc,
        "rtt": None if qts is None or rts is None else (rts - qts) / 1e9,
        "unsolicited": t.query_frame is None,
        "retransmissions": list(t.retransmissions) if t.retransmissions else [],
        "ttls": ttls,
        "answers": texts,
        "cname_chain": chain if len(chain) > 1 else [],
        "addresses": addresses,
        "response_frame": t.response_frame,
        "tc_retry_frame": tc_retry_frame,
    }


def rows(transactions: Iterable[DnsTransaction]) -> list[dict[str, Any]]:
    return [row(tx) for tx in transactions]


def _ttls(ttls: list[int]) -> str:
    """The answers' TTLs: one number when they agree, else each (``300`` or ``300,60,20``)."""
    if not ttls:
        return "-"
    if len(set(ttls)) == 1:
        return str(ttls[0])
    return ",".join(str(t) for t in ttls)


def _shown(sep: str, texts: list[str]) -> str:
    """``texts`` joined by ``sep``, each :func:`visible` (one check of the joined text when all are plain)."""
    joined = sep.join(texts)
    return joined if joined.isprintable() else sep.join([visible(t) for t in texts])


def table(items: list[dict[str, Any]], capture_start_ns: int | None = None) -> str:
    """The transactions as a text table, one line each, and notes under it (a truncated answer and the
    client's retry over TCP)."""
    return "\n".join(table_lines(items, capture_start_ns, width_rows=None))


def table_lines(items: Iterable[dict[str, Any]], capture_start_ns: int | None | Callable[[], int | None] = None,
                width_rows: int | None = WIDTH_ROWS) -> Iterator[str]:
    """:func:`table`'s lines, made as ``items`` come: the Client and Server columns are as wide as the widest
    endpoint of the first ``width_rows`` rows (None: of all rows), the only rows held; a wider one later
    overflows its column. ``capture_start_ns`` (or a function giving it, asked once those rows are read):
    the time the Time column counts from (None: the first row's)."""
    items = iter(items)
    first = [it for _, it in zip(range(width_rows), items)] if width_rows is not None else list(items)
    start = capture_start_ns() if callable(capture_start_ns) else capture_start_ns
    starts = [it["ts"] for it in first if it["ts"] is not None]
    t0 = start / 1e9 if start is not None else (min(starts) if starts else 0.0)
    w = max([24] + [len(_endpoint(it[h], it[p])) for it in first
                    for h, p in (("id.orig_h", "id.orig_p"), ("id.resp_h", "id.resp_p"))])
    yield (f"{'Time':>10} {'Client':<{w}} {'Server':<{w}} {'Proto':<5} {'ID':<6} {'Query':<32} {'Type':<6} "
           f"{'Rcode':<9} {'Flags':<5} {'RTT':>11} {'Re':>2} {'TTL':>7}  Answers")
    notes = []
    hosts: dict[Any, str] = {}      # address -> "address:" as _endpoint writes it ("[address]:" for IPv6)
    line_of = _LINE if t0.__class__ is float else None
    for it in itertools.chain(first, items):
        if line_of is not None:
            line = line_of(it, t0, w)
            if line is not None:
                yield line
                if it["TC"] and it["proto"] == "udp":
                    _note(notes, it)
                continue
        client, server = it["id.orig_h"], it["id.resp_h"]
        c, s = hosts.get(client), hosts.get(server)
        if c is None or s is None:
            if len(hosts) > 4096:
                hosts.clear()
            c = hosts[client] = _endpoint(client, "")
            s = hosts[server] = _endpoint(server, "")
        query = it["query"]
        if query:
            if not query.isprintable():
                query = visible(query)
            if len(query) > 32:
                query = query[:29] + "..."
        else:
            query = "-"
        ts = it["ts"]
        when = f"{ts - t0:10.6f}" if ts is not None else f"{'-':>10}"
        rtt = it["rtt"]
        if rtt is not None:
            rtt = duration(round(rtt * 1e9))
        else:
            rtt = "unsolicited" if it["unsolicited"] else "no answer"
        chain = it["cname_chain"]
        if chain:
            answers = _shown(" -> ", chain[1:])
            if it["addresses"]:
                answers += " -> " + _shown(", ", it["addresses"])
        else:
            answers = _shown(", ", it["answers"])
        ttls = it["ttls"]
        ttl = str(ttls[0]) if len(ttls) == 1 else _ttls(ttls)
        aa, tc = it["AA"], it["TC"]
        flags = ("AA,TC" if tc else "AA") if aa else ("TC" if tc else "-")
        yield (
            f"{when} {c + str(it['id.orig_p']):<{w}} {s + str(it['id.resp_p']):<{w}} {it['proto']:<5} "
            f"0x{it['trans_id']:04x} {query:<32} "
            f"{_cut(it['qtype_name'], 6):<6} {it['rcode_name'] or '-':<9} {flags:<5} {rtt:>11} "
            f"{len(it['retransmissions']):>2} {ttl if len(ttl) <= 7 else _cut(ttl, 7):>7}  {answers or '-'}")
        if tc and it["proto"] == "udp":
            _note(notes, it)
    yield from notes


def _note(notes: list[str], it: dict[str, Any]) -> None:
    """The note under the table for a truncated UDP answer."""
    frame = it["response_frame"]
    if it["tc_retry_frame"] is not None:
        notes.append(f"TC: the answer in frame {frame} was truncated; the client asked again over TCP "
                     f"(frame {it['tc_retry_frame']}).")
    else:
        notes.append(f"TC: the answer in frame {frame} was truncated; the capture holds no retry over TCP.")
