"""``read -T fields`` from header columns: when every ``-e`` field is one of :data:`COLUMN_FIELDS`, the
lines are made per batch from the columns of :mod:`analyzer.columnar.headers`, and only the frames those
columns cannot read (fragments, ICMP, odd link types) are decoded — through a pipeline of their own, so IP
reassembly still happens — with the same text as the per-packet path (tests/test_columnar_fields.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from analyzer.columnar.count import _addresses
from analyzer.columnar.headers import KIND_SLOW, KIND_TCP, KIND_UDP, parse
from analyzer.pipeline import frame_times

COLUMN_FIELDS = frozenset([
    "frame.number", "frame.time_epoch", "frame.time_relative", "frame.time_delta", "frame.len", "frame.cap_len",
    "ip.src", "ip.dst", "ip.addr", "ip.proto", "ip.len", "ip.ttl", "ipv6.src", "ipv6.dst", "ipv6.addr",
    "tcp.srcport", "tcp.dstport", "tcp.port", "tcp.len", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags",
    "tcp.hdr_len", "tcp.window_size_value",
    "udp.srcport", "udp.dstport", "udp.port", "udp.length",
])
_HEX4 = [f"0x{i:04x}" for i in range(1 << 12)]


def columnar_fields(names: list[str]) -> bool:
    return all(name in COLUMN_FIELDS for name in names)


def column_lines(reader, fmt, display_filter=None) -> Iterator[str]:
    """The ``-T fields`` text of every frame of ``reader``, one string per batch; with ``display_filter``
    (compiled, and one the columns answer: :func:`analyzer.filter._vector.vector_filter`), of the frames
    it matches."""
    from analyzer.filter._vector import vector_filter
    from analyzer.pipeline import Pipeline, gc_paused

    vector = None
    if display_filter is not None:
        vector = vector_filter(display_filter.text)
        if vector is None:
            raise ValueError(f"the columns cannot answer the filter {display_filter.text!r}")
    slow_pipe = Pipeline(analysis=False, dns_over_tcp=False)
    clock = [None, None]        # the first frame's time, the previous frame's (frame.time_relative / _delta)
    with gc_paused():
        for batch in reader.batches():
            if len(batch):
                yield _batch_text(batch, fmt, slow_pipe, vector, display_filter, clock)
        slow_pipe.finish()


def _seconds(ns: np.ndarray) -> list[str]:
    """Times (int64 nanoseconds) as tshark prints them, seconds with nine decimals; a negative one (a frame
    earlier than the one before it in the file) with its sign."""
    neg = ns < 0
    a = np.abs(ns)
    s, f = (a // 1_000_000_000).tolist(), (a % 1_000_000_000).tolist()
    out = [f"{x}.{y:09d}" for x, y in zip(s, f, strict=True)]
    for i in np.flatnonzero(neg).tolist():
        out[i] = "-" + out[i]
    return out


def _cells(values: list, present: np.ndarray, fmt, name: str) -> list[str]:
    q = fmt.quote
    if q:
        values = [f"{q}{v}{q}" for v in values]
    if present.all():
        return values
    out = [""] * len(present)
    for i, v in zip(np.flatnonzero(present).tolist(), values, strict=True):
        out[i] = v
    return out


def _batch_text(batch, fmt, slow_pipe, vector, keep, clock: list) -> str:
    c = parse(batch)
    n = len(batch)
    ts_all = batch.ts_ns.astype(np.int64)
    if clock[0] is None:
        clock[0] = clock[1] = int(ts_all[0])
    prev = np.empty(n, dtype=np.int64)      # each frame's previous frame's time (the first: its own)
    prev[0] = clock[1]
    prev[1:] = ts_all[:-1]
    first = clock[0]
    clock[1] = int(ts_all[-1])
    kind = c.kind
    tcp = kind == KIND_TCP
    udp = kind == KIND_UDP
    ip = tcp | udp
    v4 = ip & (c.ipver == 4)
    v6 = ip & (c.ipver == 6)
    everything = np.ones(n, dtype=bool)
    texts = None
    cols = []
    for name in fmt.names:
        proto, _, field = name.partition(".")
        if proto == "frame":
            if field == "number":
                vals = list(map(str, range(batch.first_number, batch.first_number + n)))
            elif field == "time_epoch":
                vals = _seconds(ts_all)
            elif field == "time_relative":
                vals = _seconds(ts_all - first)
            elif field == "time_delta":
                vals = _seconds(ts_all - prev)
            elif field == "len":
                vals = list(map(str, batch.origlen.tolist()))
            else:
                vals = list(map(str, batch.caplen.tolist()))
            cols.append(_cells(vals, everything, fmt, name))
            continue
        if proto in ("ip", "ipv6"):
            mask = v4 if proto == "ip" else v6
            sel = np.flatnonzero(mask)
            if field in ("src", "dst", "addr"):
                if texts is None:
                    sel_ip = np.flatnonzero(ip)
                    si, di, names = _addresses(c, sel_ip)
                    src_txt = np.empty(n, dtype=object)
                    dst_txt = np.empty(n, dtype=object)
                    src_txt[sel_ip] = [names[i] for i in si.tolist()]
                    dst_txt[sel_ip] = [names[i] for i in di.tolist()]
                    texts = (src_txt, dst_txt)
                if field == "src":
                    vals = texts[0][sel].tolist()
                elif field == "dst":
                    vals = texts[1][sel].tolist()
                else:
                    vals = _pairs(texts[0][sel].tolist(), texts[1][sel].tolist(), fmt)
            elif field == "proto":
                vals = list(map(str, c.proto[sel].tolist()))
            elif field == "len":
                vals = list(map(str, (c.ip_end[sel] - c.l3[sel]).tolist()))
            else:   # ttl
                vals = list(map(str, batch.buf[c.l3[sel] + 8].tolist()))
            cols.append(_cells(vals, mask, fmt, name))
            continue
        mask = tcp if proto == "tcp" else udp
        sel = np.flatnonzero(mask)
        if field == "srcport":
            vals = list(map(str, c.sport[sel].tolist()))
        elif field == "dstport":
            vals = list(map(str, c.dport[sel].tolist()))
        elif field == "port":
            vals = _pairs(list(map(str, c.sport[sel].tolist())), list(map(str, c.dport[sel].tolist())), fmt)
        elif field == "len":
            vals = list(map(str, c.payload_len[sel].tolist()))
        elif field == "length":
            at = c.t[sel] + 4
            vals = list(map(str, ((batch.buf[at].astype(np.int64) << 8) | batch.buf[at + 1]).tolist()))
        elif field == "seq_raw":
            vals = list(map(str, c.seq[sel].tolist()))
        elif field == "ack_raw":
            vals = list(map(str, c.ack[sel].tolist()))
        elif field == "flags":
            vals = [_HEX4[f] for f in c.flags[sel].tolist()]
        elif field == "hdr_len":
            vals = list(map(str, c.hdr_len[sel].tolist()))
        else:   # window_size_value
            vals = list(map(str, c.window[sel].tolist()))
        cols.append(_cells(vals, mask, fmt, name))
    lines = list(map(fmt.separator.join, zip(*cols, strict=True)))
    for i in np.flatnonzero(kind == KIND_SLOW).tolist():
        pkt = slow_pipe.feed(batch.frame(i))
        frame_times(pkt, int(ts_all[i]), first, int(prev[i]))      # (the slow pipeline sees only these frames)
        lines[i] = fmt.line(pkt.fields) if keep is None or keep(pkt) else None
    if vector is not None:
        result, decided = vector.mask(batch, c)
        lines = [line for line, r, d in zip(lines, result.tolist(), decided.tolist(), strict=True)
                 if (r if d else line is not None)]
    return "".join(line + "\n" for line in lines)


def _pairs(a: list[str], b: list[str], fmt) -> list[str]:
    if fmt.occurrence == "f":
        return a
    if fmt.occurrence == "l":
        return b
    agg = fmt.aggregator
    return [x + agg + y for x, y in zip(a, b, strict=True)]
