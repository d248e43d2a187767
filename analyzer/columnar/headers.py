"""Link-to-transport header fields of a batch of frames as numpy columns, read without a per-frame object.

:func:`parse` reads, for every frame of a :class:`analyzer.capture.batches.FrameBatch`, exactly what
:func:`analyzer.flows.quick.quick_headers` reads from one frame (the same shapes: Ethernet with VLAN tags,
Linux cooked v1/v2, BSD loopback, raw IP; IPv4 without fragmentation; IPv6 without extension headers; TCP
and UDP headers that fit) and classifies each frame:

* ``KIND_TCP`` / ``KIND_UDP``: every transport column is valid;
* ``KIND_NONIP``: an Ethernet frame of a non-IP EtherType the analysis never looks at (ARP);
* ``KIND_SLOW``: anything else — it goes through the full per-packet decoder, so nothing is lost.

Addresses: IPv4 as uint32 (``src4``/``dst4``); IPv6 as two uint64 halves each. ``addr_key`` gives one fixed
width key per frame for grouping.

The columns are read by the compiled helper (``_speedups.headers``: one loop over the frames, ~2x faster than
numpy's dozens of gathers) when it was built, else by :func:`_parse_py` (numpy); tests/test_columnar_parse.py
holds the two equal on captures, damaged copies and random frames of every link type.
"""

from __future__ import annotations

import numpy as np

from analyzer.compiled import compiled

KIND_SLOW, KIND_TCP, KIND_UDP, KIND_NONIP = 0, 1, 2, 3
_VLAN = (0x8100, 0x88A8, 0x9100)
_MAX_TAGS = 4


class Columns:
    """Per-frame columns of one batch (all numpy arrays of the batch's length)."""

    __slots__ = ("ack", "dport", "dst_hi", "dst_lo", "ethertype", "flags", "hdr_len", "ip_end", "ipver",
                 "kind", "l3", "n", "payload_len", "proto", "seq", "sport", "src_hi", "src_lo", "t",
                 "window")


def _u16(buf: np.ndarray, at: np.ndarray) -> np.ndarray:
    return (buf.take(at, mode="clip").astype(np.int64) << 8) | buf.take(at + 1, mode="clip")


def _u32(buf: np.ndarray, at: np.ndarray) -> np.ndarray:
    return (_u16(buf, at) << 16) | _u16(buf, at + 2)


def _u64(buf: np.ndarray, at: np.ndarray) -> np.ndarray:
    return (_u32(buf, at).astype(np.uint64) << np.uint64(32)) | _u32(buf, at + 4).astype(np.uint64)


def _compiled_headers():
    """The compiled column reader, unless it was not built or ANALYZER_PURE_PYTHON is set."""
    return compiled("headers")


_headers = _compiled_headers()


def parse(batch) -> Columns:
    """The batch's header columns: the compiled reader (``_speedups.headers``, one loop over the frames) when
    it was built, else :func:`_parse_py`; the same columns either way (tests/test_columnar_parse.py)."""
    if _headers is None:
        return _parse_py(batch)
    n = len(batch)
    c = Columns()
    c.n = n
    i64 = np.int64
    c.kind, c.ipver = np.zeros(n, dtype=np.int8), np.zeros(n, dtype=np.int8)
    c.l3, c.ethertype, c.t, c.ip_end = (np.zeros(n, dtype=i64) for _ in range(4))
    c.proto = np.full(n, -1, dtype=i64)
    c.src_hi, c.src_lo, c.dst_hi, c.dst_lo = (np.zeros(n, dtype=np.uint64) for _ in range(4))
    c.sport, c.dport, c.seq, c.ack, c.flags, c.window, c.hdr_len, c.payload_len = (np.zeros(n, dtype=i64)
                                                                                     for _ in range(8))
    _headers(batch.data, np.ascontiguousarray(batch.offset, dtype=i64),
             np.ascontiguousarray(batch.caplen, dtype=i64), np.ascontiguousarray(batch.origlen, dtype=i64),
             np.ascontiguousarray(batch.linktype, dtype=i64), c.kind, c.l3, c.ethertype, c.t, c.ip_end, c.proto,
             c.ipver, c.src_hi, c.src_lo, c.dst_hi, c.dst_lo, c.sport, c.dport, c.seq, c.ack, c.flags, c.window,
             c.hdr_len, c.payload_len)
    return c


def _parse_py(batch) -> Columns:
    """:func:`parse` in numpy (the fallback, and the reference the compiled reader is tested against)."""
    n = len(batch)
    # every gather clips its indices to the buffer; what a short frame's gathers read past its end is
    # masked out by the length checks
    buf = batch.buf if len(batch.buf) else np.zeros(1, dtype=np.uint8)
    size = len(buf) - 1
    off = batch.offset
    cap = batch.caplen
    end = off + cap
    lt = batch.linktype
    c = Columns()
    c.n = n

    def at(pos: np.ndarray) -> np.ndarray:
        return np.minimum(pos, size)

    l3 = np.zeros(n, dtype=np.int64)
    et = np.zeros(n, dtype=np.int64)
    known = np.zeros(n, dtype=bool)
    # Ethernet and its VLAN tags
    m = (lt == 1) & (cap >= 14)
    if m.any():
        idx = np.flatnonzero(m)
        e = _u16(buf, at(off[idx] + 12))
        pos = off[idx] + 14
        ok = np.ones(len(idx), dtype=bool)
        for _ in range(_MAX_TAGS + 1):
            tagged = ok & np.isin(e, _VLAN)
            if not tagged.any():
                break
            fits = pos + 4 <= end[idx]
            ok &= ~tagged | fits
            e = np.where(tagged & fits, _u16(buf, at(pos + 2)), e)
            pos = np.where(tagged & fits, pos + 4, pos)
        ok &= ~np.isin(e, _VLAN)
        l3[idx], et[idx], known[idx] = pos, e, ok
    m = (lt == 113) & (cap >= 16)
    if m.any():
        idx = np.flatnonzero(m)
        l3[idx], et[idx], known[idx] = off[idx] + 16, _u16(buf, at(off[idx] + 14)), True
    m = (lt == 276) & (cap >= 20)
    if m.any():
        idx = np.flatnonzero(m)
        l3[idx], et[idx], known[idx] = off[idx] + 20, _u16(buf, at(off[idx])), True
    m = (lt == 0) & (cap >= 4)
    if m.any():
        idx = np.flatnonzero(m)
        p = at(off[idx])
        little = _u16(buf, p + 2) << 16 | _u16(buf, p)
        little = (little >> 8 & 0x00FF00FF) | (little << 8 & 0xFF00FF00)     # bytes 0..3, little-endian
        fam = np.where(little > 0xFFFF, _u32(buf, p), little)
        e = np.where(fam == 2, 0x0800, np.where(np.isin(fam, (10, 24, 28, 30)), 0x86DD, 0))
        l3[idx], et[idx], known[idx] = off[idx] + 4, e, True
    m = np.isin(lt, (101, 12, 14, 228, 229)) & (cap >= 1)
    if m.any():
        idx = np.flatnonzero(m)
        v = buf.take(at(off[idx]), mode="clip") >> 4
        l3[idx], et[idx], known[idx] = off[idx], np.where(v == 4, 0x0800, np.where(v == 6, 0x86DD, 0)), True

    kind = np.zeros(n, dtype=np.int8)
    kind[known & (lt == 1) & (et == 0x0806)] = KIND_NONIP
    t = np.zeros(n, dtype=np.int64)
    ip_end = np.zeros(n, dtype=np.int64)
    proto = np.full(n, -1, dtype=np.int64)
    ipver = np.zeros(n, dtype=np.int8)
    src_hi = np.zeros(n, dtype=np.uint64)
    src_lo = np.zeros(n, dtype=np.uint64)
    dst_hi = np.zeros(n, dtype=np.uint64)
    dst_lo = np.zeros(n, dtype=np.uint64)

    m = known & (et == 0x0800) & (l3 + 20 <= end)
    if m.any():
        idx = np.flatnonzero(m)
        p = at(l3[idx])
        vhl = buf.take(p, mode="clip").astype(np.int64)
        total = _u16(buf, p + 2)
        frag = _u16(buf, p + 6)
        ihl = (vhl & 0x0F) << 2
        ok = (vhl >> 4 == 4) & (ihl >= 20) & ((frag & 0x3FFF) == 0) & (total >= ihl)
        idx = idx[ok]
        p = p[ok]
        ipver[idx] = 4
        proto[idx] = buf.take(p + 9, mode="clip")
        src_lo[idx] = _u32(buf, p + 12).astype(np.uint64)
        dst_lo[idx] = _u32(buf, p + 16).astype(np.uint64)
        t[idx] = l3[idx] + ihl[ok]
        ip_end[idx] = l3[idx] + total[ok]
    m = known & (et == 0x86DD) & (l3 + 40 <= end)
    if m.any():
        idx = np.flatnonzero(m)
        p = at(l3[idx])
        plen = _u16(buf, p + 4)
        ok = (buf.take(p, mode="clip") >> 4 == 6) & (plen > 0)
        idx = idx[ok]
        p = p[ok]
        ipver[idx] = 6
        proto[idx] = buf.take(p + 6, mode="clip")
        src_hi[idx], src_lo[idx] = _u64(buf, p + 8), _u64(buf, p + 16)
        dst_hi[idx], dst_lo[idx] = _u64(buf, p + 24), _u64(buf, p + 32)
        t[idx] = l3[idx] + 40
        ip_end[idx] = t[idx] + plen[ok]

    # an IP length that runs past the frame's length on the wire is cut to it, as the decoder and tshark cut it
    np.minimum(ip_end, off + batch.origlen, out=ip_end)

    sport = np.zeros(n, dtype=np.int64)
    dport = np.zeros(n, dtype=np.int64)
    seq = np.zeros(n, dtype=np.int64)
    ack = np.zeros(n, dtype=np.int64)
    flags = np.zeros(n, dtype=np.int64)
    window = np.zeros(n, dtype=np.int64)
    hdr_len = np.zeros(n, dtype=np.int64)
    payload = np.zeros(n, dtype=np.int64)
    m = (proto == 6) & (t + 20 <= end)
    if m.any():
        idx = np.flatnonzero(m)
        p = at(t[idx])
        offres = buf.take(p + 12, mode="clip").astype(np.int64)
        hl = (offres >> 4) << 2
        ok = (hl >= 20) & (ip_end[idx] >= t[idx] + hl) & (end[idx] >= t[idx] + hl)
        idx, p, hl, offres = idx[ok], p[ok], hl[ok], offres[ok]
        kind[idx] = KIND_TCP
        sport[idx], dport[idx] = _u16(buf, p), _u16(buf, p + 2)
        seq[idx], ack[idx] = _u32(buf, p + 4), _u32(buf, p + 8)
        flags[idx] = ((offres & 0x0F) << 8) | buf.take(p + 13, mode="clip")
        window[idx] = _u16(buf, p + 14)
        hdr_len[idx] = hl
        payload[idx] = ip_end[idx] - t[idx] - hl
    m = (proto == 17) & (t + 8 <= end)
    if m.any():
        idx = np.flatnonzero(m)
        p = at(t[idx])
        kind[idx] = KIND_UDP
        sport[idx], dport[idx] = _u16(buf, p), _u16(buf, p + 2)
        payload[idx] = np.maximum(_u16(buf, p + 4) - 8, 0)
        hdr_len[idx] = 8

    c.kind, c.l3, c.ethertype, c.t, c.ip_end, c.proto, c.ipver = kind, l3, et, t, ip_end, proto, ipver
    c.src_hi, c.src_lo, c.dst_hi, c.dst_lo = src_hi, src_lo, dst_hi, dst_lo
    c.sport, c.dport, c.seq, c.ack, c.flags, c.window = sport, dport, seq, ack, flags, window
    c.hdr_len, c.payload_len = hdr_len, payload
    return c
