/* The record walk of classic pcap files, in C: the one loop of the columnar core that cannot be vectorized
 * (each record's position depends on the previous record's length).
 *
 * walk(buf, pos, limit, big_endian, max_caplen) -> (starts, new_pos, status, caplen)
 *   starts: the file-buffer offsets of the complete records found from ``pos`` on, as native int64 bytes;
 *   new_pos: the offset after the last of them; status: 0 the buffer holds no further complete record,
 *   1 ``limit`` records were found, 2 the record at new_pos has a caplen above max_caplen (its value is
 *   ``caplen``). The same contract as analyzer.capture.batches._walk_py, which is the fallback when this
 *   module was not built; tests/test_capture_batches.py runs both.
 *
 * walk_epb(buf, pos, limit, big_endian, interfaces, max_caplen, max_block) -> (starts, new_pos)
 *   The pcapng twin: the offsets of the consecutive well-formed Enhanced Packet Blocks from ``pos`` on (type 6,
 *   32 <= length <= max_block, a multiple of 4, whole in the buffer, trailer equal to the length, caplen
 *   within the block and at most max_caplen, interface id below ``interfaces``), stopping at the first block
 *   that is anything else or after ``limit`` of them. The same test as the fast path of
 *   analyzer.capture.pcapng.PcapngParser.frames; analyzer.capture.batches._walk_epb_py is the fallback.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>

static uint32_t rd32(const unsigned char *p, int big) {
    if (big)
        return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
    return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | (uint32_t)p[0];
}

/* The output of both walks: room for ``limit`` int64 offsets; NULL with an exception set (``view`` then
 * released) when ``pos`` or ``limit`` is negative or memory is short. */
static PyObject *new_starts(Py_buffer *view, Py_ssize_t pos, Py_ssize_t limit) {
    if (pos < 0 || limit < 0) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_ValueError, "pos and limit must not be negative");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, limit * (Py_ssize_t)sizeof(int64_t));
    if (out == NULL)
        PyBuffer_Release(view);
    return out;
}

/* Cut the output to the ``n`` offsets found (-1, ``*out`` freed, when that fails). */
static int trim_starts(PyObject **out, Py_ssize_t n, Py_ssize_t limit) {
    return n < limit ? _PyBytes_Resize(out, n * (Py_ssize_t)sizeof(int64_t)) : 0;
}

static PyObject *walk(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos, limit;
    int big;
    unsigned long max_caplen;
    if (!PyArg_ParseTuple(args, "y*nnpk", &view, &pos, &limit, &big, &max_caplen))
        return NULL;
    PyObject *out = new_starts(&view, pos, limit);
    if (out == NULL)
        return NULL;
    int64_t *starts = (int64_t *)PyBytes_AS_STRING(out);
    const unsigned char *buf = (const unsigned char *)view.buf;
    Py_ssize_t end = view.len, n = 0;
    int status = 1;
    uint32_t cap = 0;
    while (n < limit) {
        if (pos + 16 > end) {
            status = 0;
            break;
        }
        /* the records ahead asked for now: each record's length is read from its header, so without this the
         * walk waits for every header's cache line in turn (h-conv8: 1M synthetic frames 55-77 -> 33-44 ms) */
        __builtin_prefetch(buf + (pos + 8192 < end ? pos + 8192 : pos));
        __builtin_prefetch(buf + (pos + 4096 < end ? pos + 4096 : pos));
        cap = rd32(buf + pos + 8, big);
        if (cap > max_caplen) {
            status = 2;
            break;
        }
        if ((Py_ssize_t)cap > end - pos - 16) {
            status = 0;
            break;
        }
        starts[n++] = pos;
        pos += 16 + (Py_ssize_t)cap;
    }
    PyBuffer_Release(&view);
    if (trim_starts(&out, n, limit) < 0)
        return NULL;
    return Py_BuildValue("(Nnik)", out, pos, status, (unsigned long)cap);
}

static PyObject *walk_epb(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos, limit;
    int big;
    unsigned long interfaces, max_caplen, max_block;
    if (!PyArg_ParseTuple(args, "y*nnpkkk", &view, &pos, &limit, &big, &interfaces, &max_caplen, &max_block))
        return NULL;
    PyObject *out = new_starts(&view, pos, limit);
    if (out == NULL)
        return NULL;
    int64_t *starts = (int64_t *)PyBytes_AS_STRING(out);
    const unsigned char *buf = (const unsigned char *)view.buf;
    Py_ssize_t end = view.len, n = 0;
    while (n < limit && pos + 32 <= end) {
        const unsigned char *b = buf + pos;
        uint32_t btype = rd32(b, big), length = rd32(b + 4, big);
        if (btype != 6 || length < 32 || length > max_block || (length & 3) || (Py_ssize_t)length > end - pos)
            break;
        uint32_t iface = rd32(b + 8, big), caplen = rd32(b + 20, big);
        if (caplen > length - 32 || caplen > max_caplen || iface >= interfaces || rd32(b + length - 4, big) != length)
            break;
        starts[n++] = pos;
        pos += (Py_ssize_t)length;
    }
    PyBuffer_Release(&view);
    if (trim_starts(&out, n, limit) < 0)
        return NULL;
    return Py_BuildValue("(Nn)", out, pos);
}

/* headers(buf, off, cap, origlen, linktype, kind, l3, et, t, ip_end, proto, ipver, src_hi, src_lo, dst_hi,
 *         dst_lo, sport, dport, seq, ack, flags, window, hdr_len, payload) -> None
 *   The link-to-transport header columns of a batch, frame by frame: exactly what the numpy code of
 *   analyzer.columnar.headers._parse_py computes (its fallback, and the reference tests/test_columnar_parse.py
 *   compares it with). ``buf`` is the batch's bytes; off, cap, origlen, linktype are int64 arrays of n frames;
 *   the outputs are arrays of n zeros (kind, ipver int8; src_*, dst_* uint64; the rest int64; proto -1) that
 *   are filled in. Every byte read is clipped to the buffer, as numpy's take(mode="clip") clips. */
static const unsigned char *hb;
static Py_ssize_t hsize;    /* the last index of the buffer (0 when it is empty: reads give 0) */

static inline int64_t hbyte(int64_t i) {
    if (hsize < 0)
        return 0;
    return hb[i > hsize ? hsize : (i < 0 ? 0 : i)];
}
static inline int64_t hu16(int64_t i) { return (hbyte(i) << 8) | hbyte(i + 1); }
static inline int64_t hu32(int64_t i) { return (hu16(i) << 16) | hu16(i + 2); }
static inline uint64_t hu64(int64_t i) { return ((uint64_t)hu32(i) << 32) | (uint64_t)hu32(i + 4); }
static inline int is_vlan(int64_t e) { return e == 0x8100 || e == 0x88A8 || e == 0x9100; }

static PyObject *headers(PyObject *self, PyObject *args) {
    Py_buffer v[24];
    const char *fmt = "y*y*y*y*y*w*w*w*w*w*w*w*w*w*w*w*w*w*w*w*w*w*w*w*";
    if (!PyArg_ParseTuple(args, fmt, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9],
                          &v[10], &v[11], &v[12], &v[13], &v[14], &v[15], &v[16], &v[17], &v[18], &v[19], &v[20],
                          &v[21], &v[22], &v[23]))
        return NULL;
    Py_ssize_t n = v[1].len / 8;
    /* item sizes: the inputs int64; kind int8, l3, et, t, ip_end, proto int64, ipver int8, 4 x uint64, 8 x int64 */
    static const int item[24] = {1, 8, 8, 8, 8, 1, 8, 8, 8, 8, 8, 1, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8};
    for (int k = 1; k < 24; k++) {
        if (v[k].len != n * item[k]) {
            for (int j = 0; j < 24; j++)
                PyBuffer_Release(&v[j]);
            PyErr_SetString(PyExc_ValueError, "headers: column lengths differ");
            return NULL;
        }
    }
    hb = (const unsigned char *)v[0].buf;
    hsize = v[0].len - 1;
    const int64_t *off = v[1].buf, *cap = v[2].buf, *origlen = v[3].buf, *lt = v[4].buf;
    int8_t *kind = v[5].buf, *ipver = v[11].buf;
    int64_t *l3o = v[6].buf, *eto = v[7].buf, *to = v[8].buf, *ipe = v[9].buf, *proto = v[10].buf;
    uint64_t *src_hi = v[12].buf, *src_lo = v[13].buf, *dst_hi = v[14].buf, *dst_lo = v[15].buf;
    int64_t *sport = v[16].buf, *dport = v[17].buf, *seq = v[18].buf, *ack = v[19].buf, *flags = v[20].buf;
    int64_t *window = v[21].buf, *hdr_len = v[22].buf, *payload = v[23].buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t o = off[i], c = cap[i], end = o + c, L = lt[i];
        int64_t l3 = 0, et = 0, t = 0, ip_end = 0, pr = -1;
        int known = 0;
        if (L == 1 && c >= 14) {                          /* Ethernet and up to 4 VLAN tags */
            int64_t e = hu16(o + 12), pos = o + 14;
            int ok = 1;
            for (int k = 0; k < 5; k++) {
                if (!(ok && is_vlan(e)))
                    break;
                if (pos + 4 <= end) {
                    e = hu16(pos + 2);
                    pos += 4;
                } else {
                    ok = 0;
                }
            }
            known = ok && !is_vlan(e);
            l3 = pos;
            et = e;
        } else if (L == 113 && c >= 16) {                 /* Linux cooked v1 */
            l3 = o + 16;
            et = hu16(o + 14);
            known = 1;
        } else if (L == 276 && c >= 20) {                 /* Linux cooked v2 */
            l3 = o + 20;
            et = hu16(o);
            known = 1;
        } else if (L == 0 && c >= 4) {                    /* BSD loopback: the family in host order */
            int64_t little = (hu16(o + 2) << 16) | hu16(o);
            little = ((little >> 8) & 0x00FF00FF) | ((little << 8) & 0xFF00FF00);
            int64_t fam = little > 0xFFFF ? hu32(o) : little;
            et = fam == 2 ? 0x0800 : ((fam == 10 || fam == 24 || fam == 28 || fam == 30) ? 0x86DD : 0);
            l3 = o + 4;
            known = 1;
        } else if ((L == 101 || L == 12 || L == 14 || L == 228 || L == 229) && c >= 1) {    /* raw IP */
            int64_t ver = hbyte(o) >> 4;
            l3 = o;
            et = ver == 4 ? 0x0800 : (ver == 6 ? 0x86DD : 0);
            known = 1;
        }
        l3o[i] = l3;
        eto[i] = et;
        if (known && L == 1 && et == 0x0806)
            kind[i] = 3;
        if (known && et == 0x0800 && l3 + 20 <= end) {
            int64_t vhl = hbyte(l3), total = hu16(l3 + 2), frag = hu16(l3 + 6), ihl = (vhl & 0x0F) << 2;
            if ((vhl >> 4) == 4 && ihl >= 20 && (frag & 0x3FFF) == 0 && total >= ihl) {
                ipver[i] = 4;
                pr = hbyte(l3 + 9);
                src_lo[i] = (uint64_t)hu32(l3 + 12);
                dst_lo[i] = (uint64_t)hu32(l3 + 16);
                t = l3 + ihl;
                ip_end = l3 + total;
            }
        } else if (known && et == 0x86DD && l3 + 40 <= end) {
            int64_t plen = hu16(l3 + 4);
            if ((hbyte(l3) >> 4) == 6 && plen > 0) {
                ipver[i] = 6;
                pr = hbyte(l3 + 6);
                src_hi[i] = hu64(l3 + 8);
                src_lo[i] = hu64(l3 + 16);
                dst_hi[i] = hu64(l3 + 24);
                dst_lo[i] = hu64(l3 + 32);
                t = l3 + 40;
                ip_end = t + plen;
            }
        }
        /* an IP length that runs past the frame's length on the wire is cut to it */
        if (o + origlen[i] < ip_end)
            ip_end = o + origlen[i];
        proto[i] = pr;
        to[i] = t;
        ipe[i] = ip_end;
        if (pr == 6 && t + 20 <= end) {
            int64_t offres = hbyte(t + 12), hl = (offres >> 4) << 2;
            if (hl >= 20 && ip_end >= t + hl && end >= t + hl) {
                kind[i] = 1;
                sport[i] = hu16(t);
                dport[i] = hu16(t + 2);
                seq[i] = hu32(t + 4);
                ack[i] = hu32(t + 8);
                flags[i] = ((offres & 0x0F) << 8) | hbyte(t + 13);
                window[i] = hu16(t + 14);
                hdr_len[i] = hl;
                payload[i] = ip_end - t - hl;
            }
        } else if (pr == 17 && t + 8 <= end) {
            int64_t ulen = hu16(t + 4) - 8;
            kind[i] = 2;
            sport[i] = hu16(t);
            dport[i] = hu16(t + 2);
            payload[i] = ulen > 0 ? ulen : 0;
            hdr_len[i] = 8;
        }
    }
    for (int j = 0; j < 24; j++)
        PyBuffer_Release(&v[j]);
    Py_RETURN_NONE;
}

/* table_line(row, prefixes, sw, w, start_ns, tcp) -> str or None
 *   One line of `analyzer conversations`' table, exactly as analyzer.report.conversations._line_py writes it
 *   (the reference: tests/test_conv_table.py compares both on real and random rows); ``row`` is the tuple of
 *   that module's _LINE_KEYS, ``prefixes`` maps each address to its "addr:" text. None (the caller then uses
 *   _line_py) for anything this does not take: a value of another type, an address not in ``prefixes``, a text
 *   that is not printable ASCII, an int beyond 64 bits, a line longer than the buffer. Floats go through
 *   PyOS_double_to_string, what Python's own format() uses. */
typedef struct {
    char buf[1024];
    Py_ssize_t n;
    int bad;
} Line;

static void put(Line *l, const char *s, Py_ssize_t len, Py_ssize_t width, int right) {
    Py_ssize_t pad = width > len ? width - len : 0;
    if (l->bad || l->n + len + pad > (Py_ssize_t)sizeof(l->buf)) {
        l->bad = 1;
        return;
    }
    if (right) {
        memset(l->buf + l->n, ' ', pad);
        l->n += pad;
    }
    memcpy(l->buf + l->n, s, len);
    l->n += len;
    if (!right) {
        memset(l->buf + l->n, ' ', pad);
        l->n += pad;
    }
}

/* printable ASCII text of a str (NULL when it is not one) */
static const char *ascii_of(PyObject *o, Py_ssize_t *len) {
    if (!PyUnicode_CheckExact(o) || !PyUnicode_IS_ASCII(o))
        return NULL;
    const char *s = (const char *)PyUnicode_1BYTE_DATA(o);
    Py_ssize_t n = PyUnicode_GET_LENGTH(o);
    for (Py_ssize_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return NULL;
    *len = n;
    return s;
}

static int int_of(PyObject *o, long long *v) {
    if (!PyLong_CheckExact(o))
        return -1;
    int overflow = 0;
    *v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow || (*v == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return -1;
    }
    return 0;
}

/* the decimal text of v at t (room for 21 bytes): its length (snprintf's "%lld", without its cost; h-conv8) */
static int itoa64(char *t, long long v) {
    char r[24];
    int n = 0, len = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        r[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        t[len++] = '-';
    while (n)
        t[len++] = r[--n];
    return len;
}

static void put_int(Line *l, long long v, Py_ssize_t width, int right) {
    char t[32];
    int len = itoa64(t, v);
    put(l, t, len, width, right);
}

static void put_size(Line *l, long long n, Py_ssize_t width) {
    char t[48];
    int len;
    const char *unit;
    if (n < 10000)
        unit = " bytes";
    else if (n < 10000LL * 1000) {
        n /= 1000;
        unit = " kB";
    } else if (n < 10000LL * 1000000) {
        n /= 1000000;
        unit = " MB";
    } else {
        n /= 1000000000;
        unit = " GB";
    }
    len = itoa64(t, n);
    size_t k = strlen(unit);
    memcpy(t + len, unit, k);
    put(l, t, len + (int)k, width, 1);
}

/* put_double(l, ns / 1e9, decimals, width) written from the integer (h-conv8): the same text as long as the
 * double's rounding to `decimals` places is the integer's -- |ns| below 1e15 (the double within 1.2e-10 of ns / 1e9)
 * and ns not exactly half way between two outputs (a tie of the decimal value: the double lies on one side of it,
 * which only its own digits tell): 0 when it wrote, -1 (nothing written) otherwise */
static int put_ns(Line *l, long long ns, int decimals, Py_ssize_t width) {
    static const long long p10[10] = {1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL,
                                      100000000LL, 1000000000LL};
    if (decimals < 0 || decimals > 9 || ns >= 1000000000000000LL || ns <= -1000000000000000LL)
        return -1;
    unsigned long long u = ns < 0 ? (unsigned long long)(-ns) : (unsigned long long)ns;
    unsigned long long step = (unsigned long long)p10[9 - decimals];
    unsigned long long q = u / step, rem = u % step;
    if (step > 1 && 2 * rem == step)
        return -1;
    if (2 * rem > step)
        q++;
    unsigned long long unit = (unsigned long long)p10[decimals];
    char t[48];
    int len = 0;
    if (ns < 0)
        t[len++] = '-';
    len += itoa64(t + len, (long long)(q / unit));
    if (decimals) {
        t[len++] = '.';
        unsigned long long f = q % unit;
        for (int k = decimals - 1; k >= 0; k--) {
            t[len + k] = (char)('0' + f % 10);
            f /= 10;
        }
        len += decimals;
    }
    put(l, t, len, width, 1);
    return 0;
}

/* the nanoseconds of a str written as analysis.seconds writes them ("-"?digits "." 9 digits), or -1 */
static int ns_of(PyObject *o, long long *ns) {
    if (!PyUnicode_CheckExact(o) || !PyUnicode_IS_ASCII(o))
        return -1;
    const char *s = (const char *)PyUnicode_1BYTE_DATA(o);
    Py_ssize_t n = PyUnicode_GET_LENGTH(o), i = 0;
    int neg = n > 0 && s[0] == '-';
    i = neg;
    if (n - i < 11 || n - i > 19 || s[n - 10] != '.')
        return -1;
    long long v = 0;
    for (; i < n; i++) {
        if (i == n - 10)
            continue;
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (neg && v == 0)
        return -1;                  /* (-0.0: its sign is printed; float() keeps it) */
    *ns = neg ? -v : v;
    return 0;
}

static void put_double(Line *l, double x, int decimals, Py_ssize_t width) {
    char *t = PyOS_double_to_string(x, 'f', decimals, 0, NULL);
    if (t == NULL) {
        PyErr_Clear();
        l->bad = 1;
        return;
    }
    put(l, t, (Py_ssize_t)strlen(t), width, 1);
    PyMem_Free(t);
}

/* float(text) of a str, as Python's float() reads it; -1 when it is not a str or not a number */
static int float_of(PyObject *o, double *x) {
    if (!PyUnicode_CheckExact(o))
        return -1;
    PyObject *f = PyFloat_FromString(o);
    if (f == NULL) {
        PyErr_Clear();
        return -1;
    }
    *x = PyFloat_AS_DOUBLE(f);
    Py_DECREF(f);
    return 0;
}

static PyObject *table_line(PyObject *self, PyObject *args) {
    PyObject *row, *prefixes;
    Py_ssize_t sw, w;
    long long start;
    int tcp;
    if (!PyArg_ParseTuple(args, "O!O!nnLp", &PyTuple_Type, &row, &PyDict_Type, &prefixes, &sw, &w, &start, &tcp))
        return NULL;
    if (PyTuple_GET_SIZE(row) != 18)
        Py_RETURN_NONE;
    PyObject **r = &PyTuple_GET_ITEM(row, 0);
    long long stream, op, rp, ts, fo, fr, bo, br;
    if (int_of(r[1], &stream) || int_of(r[3], &op) || int_of(r[5], &rp) || int_of(r[6], &ts) || int_of(r[7], &fo)
        || int_of(r[8], &fr) || int_of(r[9], &bo) || int_of(r[10], &br))
        Py_RETURN_NONE;
    if (fo > (1LL << 61) || fr > (1LL << 61) || bo > (1LL << 61) || br > (1LL << 61) || fo < -(1LL << 61)
        || fr < -(1LL << 61) || bo < -(1LL << 61) || br < -(1LL << 61) || ts > (1LL << 62) || ts < -(1LL << 62)
        || start > (1LL << 62) || start < -(1LL << 62))
        Py_RETURN_NONE;
    PyObject *oh = PyDict_GetItemWithError(prefixes, r[2]), *rh = PyDict_GetItemWithError(prefixes, r[4]);
    if (oh == NULL || rh == NULL) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    Py_ssize_t ohn, rhn, stn, hin, cbn = 1, twn = 1;
    const char *ohs = ascii_of(oh, &ohn), *rhs = ascii_of(rh, &rhn), *sts = ascii_of(r[14], &stn);
    const char *his = ascii_of(r[15], &hin), *cbs = "-", *tws = "-";
    if (ohs == NULL || rhs == NULL || sts == NULL || his == NULL)
        Py_RETURN_NONE;
    int guessed = PyObject_IsTrue(r[12]);
    if (guessed < 0) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    double duration, irtt = 0;
    long long duration_ns = 0, irtt_ns = 0;
    int duration_exact = ns_of(r[11], &duration_ns) == 0, irtt_exact = 0;
    if (!duration_exact && float_of(r[11], &duration))
        Py_RETURN_NONE;
    int has_irtt = 0;
    if (tcp) {
        if (r[13] != Py_None && !(PyUnicode_CheckExact(r[13]) && PyUnicode_GET_LENGTH(r[13]) == 0)) {
            irtt_exact = ns_of(r[13], &irtt_ns) == 0;
            if (!irtt_exact && float_of(r[13], &irtt))
                Py_RETURN_NONE;
            has_irtt = 1;
        }
        if (r[16] != Py_None && !(PyUnicode_CheckExact(r[16]) && PyUnicode_GET_LENGTH(r[16]) == 0)
            && (cbs = ascii_of(r[16], &cbn)) == NULL)
            Py_RETURN_NONE;
        if (r[17] != Py_None && !(PyUnicode_CheckExact(r[17]) && PyUnicode_GET_LENGTH(r[17]) == 0)
            && (tws = ascii_of(r[17], &twn)) == NULL)
            Py_RETURN_NONE;
    }
    Line l;
    l.n = 0;
    l.bad = 0;
    char t[64];
    put_int(&l, stream, sw, 0);
    put(&l, " ", 1, 0, 0);
    /* the endpoints: "addr:" + port, padded together */
    int len = itoa64(t, op);
    put(&l, ohs, ohn, 0, 0);
    put(&l, t, len, w - ohn, 0);
    put(&l, " <-> ", 5, 0, 0);
    len = itoa64(t, rp);
    put(&l, rhs, rhn, 0, 0);
    put(&l, t, len, w - rhn, 0);
    put(&l, " ", 1, 0, 0);
    put_int(&l, fr, 9, 1);
    put(&l, " ", 1, 0, 0);
    put_size(&l, br, 11);
    put(&l, " ", 1, 0, 0);
    put_int(&l, fo, 9, 1);
    put(&l, " ", 1, 0, 0);
    put_size(&l, bo, 11);
    put(&l, " ", 1, 0, 0);
    put_int(&l, fo + fr, 7, 1);
    put(&l, " ", 1, 0, 0);
    put_size(&l, bo + br, 11);
    put(&l, " ", 1, 0, 0);
    if (put_ns(&l, ts - start, 9, 12))
        put_double(&l, (double)(ts - start) / 1e9, 9, 12);
    put(&l, " ", 1, 0, 0);
    if (!duration_exact || put_ns(&l, duration_ns, 4, 10)) {
        if (duration_exact && float_of(r[11], &duration))
            Py_RETURN_NONE;
        put_double(&l, duration, 4, 10);
    }
    put(&l, "  ", 2, 0, 0);
    put(&l, sts, stn, 0, 0);
    put(&l, "?", guessed ? 1 : 0, 6 - stn, 0);
    put(&l, " ", 1, 0, 0);
    put(&l, his, hin, 16, 0);
    if (tcp) {
        put(&l, " ", 1, 0, 0);
        if (has_irtt) {
            if (!irtt_exact || put_ns(&l, irtt_ns, 6, 9)) {
                if (irtt_exact && float_of(r[13], &irtt))
                    Py_RETURN_NONE;
                put_double(&l, irtt, 6, 9);
            }
        } else
            put(&l, "-", 1, 9, 1);
        put(&l, "  ", 2, 0, 0);
        put(&l, cbs, cbn, 6, 0);
        put(&l, " ", 1, 0, 0);
        put(&l, tws, twn, 9, 0);
    }
    if (l.bad)
        Py_RETURN_NONE;
    return PyUnicode_DecodeASCII(l.buf, l.n, NULL);
}

/* pcap_heads(buf, starts, big_endian, frac_ns, ts, caplen, origlen) -> None
 *   The record headers of classic pcap records at ``starts`` (int64 offsets from walk(): each record whole in
 *   ``buf``): fills the int64 arrays ts (seconds * 1e9 + fraction * frac_ns), caplen and origlen. What
 *   analyzer.capture.batches.pcap_batches computes with numpy when this is not built (tests/test_columnar_heads.py). */
static PyObject *pcap_heads(PyObject *self, PyObject *args) {
    Py_buffer v[5];
    int big;
    long long frac_ns;
    if (!PyArg_ParseTuple(args, "y*y*pLw*w*w*", &v[0], &v[1], &big, &frac_ns, &v[2], &v[3], &v[4]))
        return NULL;
    Py_ssize_t n = v[1].len / 8;
    int ok = v[2].len == n * 8 && v[3].len == n * 8 && v[4].len == n * 8;
    const int64_t *at = v[1].buf;
    for (Py_ssize_t i = 0; ok && i < n; i++)
        if (at[i] < 0 || at[i] > v[0].len - 16)
            ok = 0;
    if (ok) {
        const unsigned char *buf = v[0].buf;
        int64_t *ts = v[2].buf, *cap = v[3].buf, *orig = v[4].buf;
        for (Py_ssize_t i = 0; i < n; i++) {
            const unsigned char *h = buf + at[i];
            ts[i] = (int64_t)rd32(h, big) * 1000000000LL + (int64_t)rd32(h + 4, big) * frac_ns;
            cap[i] = rd32(h + 8, big);
            orig[i] = rd32(h + 12, big);
        }
    }
    for (int j = 0; j < 5; j++)
        PyBuffer_Release(&v[j]);
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "pcap_heads: lengths differ or a record lies outside the buffer");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* whole_rule(rows, gap, bounds, gstate) -> bytes
 *   The rule of analyzer.columnar.whole.take over one window, per connection group: which groups are whole
 *   ordinary connections (a record started or carried on, left open or torn down) and their record's new
 *   values. ``rows``: the window's segments in group order, n rows of int64 as analyzer.columnar.count._window
 *   makes them (ts, number, src id, sport, dst id, dport, seq, ack, flags, window, payload length, frame
 *   length, TCP offset, TCP header length, a_first, ...); ``gap``: n bytes, 1 after an idle gap; ``bounds``:
 *   int64, where each of the ng groups starts, and n; ``gstate``: ng rows of 13 int64 -- mode (0 not a
 *   candidate, 1 starts with an ordinary handshake, 2 carries on an open record), then for mode 2 each side's
 *   next sequence number, a_first of the originator's segments, the record's 8 counters and its letters.
 *   Returns, for each group taken, 26 int64 (the layout of whole.RULE_COLUMNS): its index, torn down or not,
 *   the 8 counters, the teardown's 11 values (zeros when open), the last segment's time and number, the
 *   history code, the letters and the mode-1 flag. analyzer.columnar.whole._rule_py is the numpy twin and
 *   the fallback; tests/test_columnar_rule.py compares both on damaged windows. */
#define WR_COLS 26
#define WR_STATE 13
#define WR_M32 0xFFFFFFFFLL
#define WR_HALF 0x80000000LL

static PyObject *whole_rule(PyObject *self, PyObject *args) {
    Py_buffer vr, vg, vb, vs;
    if (!PyArg_ParseTuple(args, "y*y*y*y*", &vr, &vg, &vb, &vs))
        return NULL;
    Py_ssize_t n = vg.len;
    Py_ssize_t ng = vb.len / 8 - 1;
    Py_ssize_t nc = n ? vr.len / 8 / n : 0;
    const int64_t *bounds = vb.buf, *gst = vs.buf;
    const unsigned char *gap = vg.buf;
    int ok = ng >= 0 && vb.len % 8 == 0 && vs.len == ng * WR_STATE * 8 && (n == 0 ? vr.len == 0
             : (nc >= 15 && vr.len == n * nc * 8));
    for (Py_ssize_t g = 0; ok && g <= ng; g++)
        if (bounds[g] < 0 || bounds[g] > n || (g && bounds[g] < bounds[g - 1]))
            ok = 0;
    PyObject *out = NULL;
    if (ok)
        out = PyBytes_FromStringAndSize(NULL, (ng ? ng : 1) * WR_COLS * 8);
    if (out != NULL) {
        const int64_t *r = vr.buf;
        int64_t *o = (int64_t *)PyBytes_AS_STRING(out);
        Py_ssize_t k = 0;
        const int64_t big = (int64_t)n + 10;
#define C(i, c) r[(Py_ssize_t)(i) * nc + (c)]
        for (Py_ssize_t g = 0; g < ng; g++) {
            const int64_t *st = gst + g * WR_STATE;
            int64_t mode = st[0];
            int64_t s = bounds[g], e = bounds[g + 1];
            if (mode == 0 || e <= s)
                continue;
            int64_t kstart, e0, e1, af0, prev[8], had;
            if (mode == 1) {
                int64_t s1 = s + 1 < n ? s + 1 : n - 1;
                kstart = 3;
                e0 = (C(s, 6) + 1) & WR_M32;
                e1 = (C(s1, 6) + 1) & WR_M32;
                af0 = C(s, 14) != 0;
                for (int j = 0; j < 8; j++)
                    prev[j] = j >= 6 ? -1 : 0;
                had = 0;
            } else {
                kstart = 0;
                e0 = st[1];
                e1 = st[2];
                af0 = st[3] != 0;
                for (int j = 0; j < 8; j++)
                    prev[j] = st[4 + j];
                had = st[12];
            }
            /* the FINs after the handshake: where each side's last one is, and how many */
            int64_t nf0 = 0, nf1 = 0, pf0 = big, pf1 = big;
            for (int64_t i = s; i < e; i++) {
                if (i - s >= kstart && (C(i, 8) & 1)) {
                    if ((C(i, 14) != 0) == af0) {
                        nf0++;
                        pf0 = i;
                    } else {
                        nf1++;
                        pf1 = i;
                    }
                }
            }
            int64_t p = pf0 < pf1 ? pf0 : pf1, q = pf0 < pf1 ? pf1 : pf0;
            int64_t ex0 = 0, ex1 = 0, pk0 = 0, fb0 = 0, fb1 = 0, last0 = -1, last1 = -1;
            int64_t ev[5] = {big, big, big, pf0, pf1};
            int bad = 0;
            for (int64_t i = s; i < e; i++) {
                int d0 = (C(i, 14) != 0) == af0;
                int64_t ln = C(i, 10), f = C(i, 8), sq = C(i, 6);
                if (i - s >= kstart) {
                    int fin = (f & 1) != 0;
                    int64_t mine = ((d0 ? e0 + ex0 : e1 + ex1)) & WR_M32;
                    int64_t seen = ((d0 ? e1 + ex1 : e0 + ex0)) & WR_M32;
                    int64_t dg = (int64_t)(((uint64_t)C(i, 7) - (uint64_t)seen) & WR_M32);
                    if ((f & 0x16) != 0x10 || gap[i] || C(i, 9) == 0 || ((ln > 0 || fin) && sq != mine)
                        || (i <= p && dg != 0 && dg < WR_HALF)) {
                        bad = 1;
                        break;
                    }
                    if (d0) {
                        if (ln > 0 && ev[1] == big)
                            ev[1] = i;
                    } else if (ln > 0) {
                        if (ev[2] == big)
                            ev[2] = i;
                    } else if (!fin && ev[0] == big) {
                        ev[0] = i;
                    }
                }
                if (d0) {
                    ex0 += ln;
                    pk0++;
                    fb0 += C(i, 11);
                    last0 = i;
                } else {
                    ex1 += ln;
                    fb1 += C(i, 11);
                    last1 = i;
                }
            }
            if (bad)
                continue;
            int64_t tot0 = prev[4] + ex0, tot1 = prev[5] + ex1;
            if (tot0 >= WR_HALF || tot1 >= WR_HALF)
                continue;
            int closed = 0;
            int64_t closer = pf1 < pf0, rc = 0, uc = 0;
            if (nf0 == 0 && nf1 == 0) {
                closed = 0;
            } else if (nf0 == 1 && nf1 == 1 && (q - p == 1 || q - p == 2) && e - 1 == q + 1) {
                /* the teardown: no payload, the ACKs of the FINs exact, the other side's ACK (four-way),
                 * the closer's last */
                rc = q - p == 2 ? p + 1 : q;
                uc = q + 1;
                int64_t nx = (C(p, 6) + 1) & WR_M32;
                int rd0 = (C(rc, 14) != 0) == af0, ud0 = (C(uc, 14) != 0) == af0;
                if (!(C(p, 10) == 0 && C(rc, 10) == 0 && C(q, 10) == 0 && C(uc, 10) == 0
                      && rd0 == (closer == 1) && ud0 == (closer == 0) && C(rc, 7) == nx && C(q, 7) == nx
                      && C(uc, 7) == ((C(q, 6) + 1) & WR_M32)))
                    continue;
                closed = 1;
            } else {
                continue;
            }
            /* the history letters this group adds (a, D, d only when the record lacks them; F, f always),
             * in the order they occur: one base-6 digit each, 1 + the letter's index */
            static const int64_t bits[5] = {1, 2, 4, 0, 0};
            int idx[5], nn = 0;
            int64_t letters = had;
            for (int j = 0; j < 5; j++) {
                if (ev[j] < big && (had & bits[j]) == 0) {
                    int at = nn++;
                    while (at > 0 && ev[idx[at - 1]] > ev[j]) {
                        idx[at] = idx[at - 1];
                        at--;
                    }
                    idx[at] = j;
                    letters |= bits[j];
                }
            }
            int64_t code = 0, digit = 1;
            for (int j = 0; j < nn; j++, digit *= 6)
                code += (idx[j] + 1) * digit;
            int64_t *w = o + k * WR_COLS;
            k++;
            w[0] = g;
            w[1] = closed;
            w[2] = prev[0] + pk0;
            w[3] = prev[1] + (e - s) - pk0;
            w[4] = prev[2] + fb0;
            w[5] = prev[3] + fb1;
            w[6] = tot0;
            w[7] = tot1;
            w[8] = last0 >= 0 ? C(last0, 0) : prev[6];
            w[9] = last1 >= 0 ? C(last1, 0) : prev[7];
            if (closed) {
                w[10] = closer;
                w[11] = C(pf0, 6);
                w[12] = C(pf0, 1);
                w[13] = C(pf0, 0);
                w[14] = C(pf1, 6);
                w[15] = C(pf1, 1);
                w[16] = C(pf1, 0);
                w[17] = C(rc, 1);
                w[18] = C(rc, 0);
                w[19] = C(uc, 1);
                w[20] = C(uc, 0);
            } else {
                for (int j = 10; j <= 20; j++)
                    w[j] = 0;
            }
            w[21] = C(e - 1, 0);
            w[22] = C(e - 1, 1);
            w[23] = code;
            w[24] = letters;
            w[25] = mode == 1;
        }
#undef C
        if (_PyBytes_Resize(&out, k * WR_COLS * 8) < 0)
            out = NULL;
    }
    PyBuffer_Release(&vr);
    PyBuffer_Release(&vg);
    PyBuffer_Release(&vb);
    PyBuffer_Release(&vs);
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "whole_rule: the rows, gap, bounds and group states do not agree");
        return NULL;
    }
    return out;
}

/* tcp_line(frame, t0, digits, h, fields, flag_texts, port_decoders, analysis_keys) -> str or None
 *   The summary line of a TCP segment run from its headers (analyzer.pipeline.HeaderOnly), exactly as
 *   analyzer.report.summary.Summary.header_line's Python writes it (tests/test_read_fast_cline.py compares both
 *   on every such segment of the captures and on damaged ones): ``frame`` the Frame, ``t0`` the time
 *   reference (ns), ``digits`` the time column's decimals, ``h`` the quick_headers tuple, ``fields`` the
 *   tracker's fields of the segment. None (the caller then runs the Python) for anything this does not
 *   write: URG, a link type or EtherType the Python declines, a payload on a port of ``port_decoders``, a
 *   flags value not yet in ``flag_texts``, any key of the tuple ``analysis_keys`` in ``fields``, options other than
 *   none or exactly NOP, NOP, Timestamps, a time before ``t0`` or decimals other than 6 and 9, a value that
 *   is not an int of 64 bits, an address that is not printable ASCII. */
/* ``v`` in decimal, zero-filled to ``zeros`` digits, right-aligned in ``width`` (printf's "%0*lld" in a field
 * of ``width``), without printf */
static void put_dec(Line *l, long long v, int zeros, Py_ssize_t width) {
    char t[32];
    int i = 32;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        t[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (32 - i < zeros && i > 1)
        t[--i] = '0';
    if (v < 0)
        t[--i] = '-';
    put(l, t + i, 32 - i, width, 1);
}

static PyObject *s_number, *s_ts_ns, *s_origlen, *s_linktype, *s_data, *s_seq, *s_ack, *s_win;

static int attr_int(PyObject *o, PyObject *name, long long *v) {
    PyObject *a = PyObject_GetAttr(o, name);
    if (a == NULL) {
        PyErr_Clear();
        return -1;
    }
    int r = int_of(a, v);
    Py_DECREF(a);
    return r;
}

/* the value of ``key`` in ``fields`` when there, else ``dflt``; as a 64-bit int (-1: neither is one) */
static int field_int(PyObject *fields, PyObject *key, PyObject *dflt, long long *v) {
    PyObject *o = PyDict_GetItemWithError(fields, key);
    if (o == NULL) {
        if (PyErr_Occurred()) {
            PyErr_Clear();
            return -1;
        }
        o = dflt;
    }
    return int_of(o, v);
}

static int init_names(void) {
    s_number = PyUnicode_InternFromString("number");
    s_ts_ns = PyUnicode_InternFromString("ts_ns");
    s_origlen = PyUnicode_InternFromString("origlen");
    s_linktype = PyUnicode_InternFromString("linktype");
    s_data = PyUnicode_InternFromString("data");
    s_seq = PyUnicode_InternFromString("tcp.seq");
    s_ack = PyUnicode_InternFromString("tcp.ack");
    s_win = PyUnicode_InternFromString("tcp.window_size");
    if (s_number == NULL || s_ts_ns == NULL || s_origlen == NULL || s_linktype == NULL || s_data == NULL
        || s_seq == NULL || s_ack == NULL || s_win == NULL) {
        s_number = NULL;
        return -1;
    }
    return 0;
}

static PyObject *tcp_line(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 8 || !PyTuple_CheckExact(args[3]) || !PyDict_CheckExact(args[4]) || !PyDict_CheckExact(args[5])
        || !PyDict_CheckExact(args[6]) || !PyTuple_CheckExact(args[7]))
        Py_RETURN_NONE;
    if (s_number == NULL && init_names() < 0)
        return NULL;
    PyObject *frame = args[0], *h = args[3], *f = args[4];
    if (PyTuple_GET_SIZE(h) < 11)
        Py_RETURN_NONE;
    PyObject **hv = &PyTuple_GET_ITEM(h, 0);
    long long t0, digits, flags, number, ts, origlen, lt, seglen, sport, dport, seq, ack = 0, win;
    if (int_of(args[1], &t0) || int_of(args[2], &digits) || int_of(hv[7], &flags) || int_of(hv[9], &seglen)
        || int_of(hv[2], &sport) || int_of(hv[4], &dport))
        Py_RETURN_NONE;
    if (flags & 0x020 || (digits != 6 && digits != 9))
        Py_RETURN_NONE;
    if (attr_int(frame, s_linktype, &lt))
        Py_RETURN_NONE;
    if (lt == 1) {
        PyObject *data = PyObject_GetAttr(frame, s_data);
        if (data == NULL) {
            PyErr_Clear();
            Py_RETURN_NONE;
        }
        int ok = PyBytes_CheckExact(data) && PyBytes_GET_SIZE(data) > 12
                 && (((unsigned char *)PyBytes_AS_STRING(data))[12] == 0x08
                     || ((unsigned char *)PyBytes_AS_STRING(data))[12] == 0x86);
        Py_DECREF(data);
        if (!ok)
            Py_RETURN_NONE;
    } else if (lt != 113 && lt != 276 && lt != 0)
        Py_RETURN_NONE;
    if (seglen) {
        int a = PyDict_Contains(args[6], hv[2]), b = a ? a : PyDict_Contains(args[6], hv[4]);
        if (a || b) {
            PyErr_Clear();
            Py_RETURN_NONE;
        }
    }
    PyObject *flag_text = PyDict_GetItemWithError(args[5], hv[7]);
    if (flag_text == NULL) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    /* no analysis words: none of their keys in the fields */
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(args[7]); k++) {
        int in = PyDict_Contains(f, PyTuple_GET_ITEM(args[7], k));
        if (in) {
            PyErr_Clear();
            Py_RETURN_NONE;
        }
    }
    /* options: none, or exactly NOP, NOP, Timestamps */
    PyObject *opts = hv[10];
    if (!PyBytes_CheckExact(opts))
        Py_RETURN_NONE;
    Py_ssize_t on = PyBytes_GET_SIZE(opts);
    const unsigned char *ob = (const unsigned char *)PyBytes_AS_STRING(opts);
    if (on && !(on == 12 && ob[0] == 1 && ob[1] == 1 && ob[2] == 8 && ob[3] == 10))
        Py_RETURN_NONE;
    if (attr_int(frame, s_number, &number) || attr_int(frame, s_ts_ns, &ts) || attr_int(frame, s_origlen, &origlen))
        Py_RETURN_NONE;
    if (ts < t0 || (t0 < 0 && ts > LLONG_MAX + t0))
        Py_RETURN_NONE;
    if (field_int(f, s_seq, hv[5], &seq) || field_int(f, s_win, hv[8], &win))
        Py_RETURN_NONE;
    if (flags & 0x010 && field_int(f, s_ack, hv[6], &ack))
        Py_RETURN_NONE;
    Py_ssize_t srcn, dstn, ftn;
    const char *src = ascii_of(hv[1], &srcn), *dst = ascii_of(hv[3], &dstn), *ft = ascii_of(flag_text, &ftn);
    if (src == NULL || dst == NULL || ft == NULL)
        Py_RETURN_NONE;
    long long rel = ts - t0, secs = rel / 1000000000LL, ns = rel % 1000000000LL;
    Line l;
    l.n = 0;
    l.bad = 0;
    put_dec(&l, number, 0, 5);
    put(&l, " ", 1, 0, 0);
    {   /* the time column: seconds, the point and the fraction, right-aligned in 10 */
        char t[48];
        Line tl;
        tl.n = 0;
        tl.bad = 0;
        put_dec(&tl, secs, 0, 0);
        put(&tl, ".", 1, 0, 0);
        put_dec(&tl, digits == 6 ? ns / 1000 : ns, (int)digits, 0);
        memcpy(t, tl.buf, tl.n);
        put(&l, t, tl.n, 10, 1);
    }
    put(&l, " ", 1, 0, 0);
    put(&l, src, srcn, 12, 1);
    put(&l, " \xe2\x86\x92 ", 5, 0, 0);
    put(&l, dst, dstn, 12, 0);
    put(&l, " TCP ", 5, 0, 0);
    put_dec(&l, origlen, 0, 0);
    put(&l, " ", 1, 0, 0);
    put_dec(&l, sport, 0, 0);
    put(&l, " \xe2\x86\x92 ", 5, 0, 0);
    put_dec(&l, dport, 0, 0);
    put(&l, " [", 2, 0, 0);
    put(&l, ft, ftn, 0, 0);
    put(&l, "] Seq=", 6, 0, 0);
    put_dec(&l, seq, 0, 0);
    if (flags & 0x010) {
        put(&l, " Ack=", 5, 0, 0);
        put_dec(&l, ack, 0, 0);
    }
    put(&l, " Win=", 5, 0, 0);
    put_dec(&l, win, 0, 0);
    put(&l, " Len=", 5, 0, 0);
    put_dec(&l, seglen, 0, 0);
    if (on) {
        put(&l, " TSval=", 7, 0, 0);
        put_dec(&l, ((long long)ob[4] << 24) | ((long long)ob[5] << 16) | ((long long)ob[6] << 8) | ob[7], 0, 0);
        put(&l, " TSecr=", 7, 0, 0);
        put_dec(&l, ((long long)ob[8] << 24) | ((long long)ob[9] << 16) | ((long long)ob[10] << 8) | ob[11], 0, 0);
    }
    if (l.bad)
        Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(l.buf, l.n, NULL);
}

/* quick_tcp(frame, pair_cache, address_pair) -> tuple or None
 *   analyzer.flows.quick.quick_headers(frame.data, frame.linktype, True, frame.origlen) for a TCP segment: the
 *   same 12-item tuple ("tcp", src, sport, dst, dport, seq, ack, flags, window, seglen, options, payload), its
 *   address texts from ``pair_cache`` (quick's cache: the concatenated address bytes -> (src, dst)) or, when not
 *   there, from ``address_pair`` (which fills it). None for every frame quick_headers gives anything else for
 *   (a UDP tuple or None): the caller then runs quick_headers (tests/test_read_fast_quick.py holds the two
 *   equal on captures and on frames damaged at each of its checks). */
static PyObject *s_tcp, *s_empty;

static PyObject *quick_tcp(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyDict_CheckExact(args[1]))
        Py_RETURN_NONE;
    if (s_tcp == NULL) {
        s_tcp = PyUnicode_InternFromString("tcp");
        s_empty = PyBytes_FromStringAndSize(NULL, 0);
        if (s_tcp == NULL || s_empty == NULL)
            return NULL;
    }
    if (s_number == NULL && init_names() < 0)
        return NULL;
    PyObject *frame = args[0];
    long long lt, origlen;
    if (attr_int(frame, s_linktype, &lt) || attr_int(frame, s_origlen, &origlen))
        Py_RETURN_NONE;
    PyObject *data = PyObject_GetAttr(frame, s_data);
    if (data == NULL) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    PyObject *result = NULL;
    if (!PyBytes_CheckExact(data))
        goto none;
    const unsigned char *d = (const unsigned char *)PyBytes_AS_STRING(data);
    long long n = PyBytes_GET_SIZE(data), off, et;
    if (lt == 1) {
        if (n < 14)
            goto none;
        et = d[12] << 8 | d[13];
        off = 14;
        while (et == 0x8100 || et == 0x88A8 || et == 0x9100) {
            if (n < off + 4)
                goto none;
            et = d[off + 2] << 8 | d[off + 3];
            off += 4;
        }
    } else if (lt == 113) {
        if (n < 16)
            goto none;
        et = d[14] << 8 | d[15];
        off = 16;
    } else if (lt == 276) {
        if (n < 20)
            goto none;
        et = d[0] << 8 | d[1];
        off = 20;
    } else if (lt == 0) {
        if (n < 4)
            goto none;
        uint32_t fam = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
        if (fam > 0xFFFF)
            fam = (uint32_t)d[3] | (uint32_t)d[2] << 8 | (uint32_t)d[1] << 16 | (uint32_t)d[0] << 24;
        off = 4;
        et = fam == 2 ? 0x0800 : (fam == 10 || fam == 24 || fam == 28 || fam == 30) ? 0x86DD : 0;
    } else if (lt == 101 || lt == 12 || lt == 14 || lt == 228 || lt == 229) {
        if (n < 1)
            goto none;
        int v = d[0] >> 4;
        et = v == 4 ? 0x0800 : v == 6 ? 0x86DD : 0;
        off = 0;
    } else
        goto none;
    long long t, ip_end, alen, aoff;
    int proto;
    if (et == 0x0800) {
        if (n < off + 20)
            goto none;
        int vhl = d[off], ihl = (vhl & 0x0F) << 2;
        int total = d[off + 2] << 8 | d[off + 3], frag = d[off + 6] << 8 | d[off + 7];
        proto = d[off + 9];
        if (vhl >> 4 != 4 || ihl < 20 || frag & 0x3FFF || total < ihl)
            goto none;
        aoff = off + 12;
        alen = 8;
        t = off + ihl;
        ip_end = off + total;
    } else if (et == 0x86DD) {
        if (n < off + 40 || d[off] >> 4 != 6)
            goto none;
        int plen = d[off + 4] << 8 | d[off + 5];
        proto = d[off + 6];
        if (!plen)
            goto none;
        aoff = off + 8;
        alen = 32;
        t = off + 40;
        ip_end = t + plen;
    } else
        goto none;
    if (ip_end > origlen)
        ip_end = origlen;
    if (proto != 6 || n < t + 20)
        goto none;
    const unsigned char *p = d + t;
    long long sport = p[0] << 8 | p[1], dport = p[2] << 8 | p[3];
    uint32_t seq = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
    uint32_t ack = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
    long long hl = (p[12] >> 4) << 2, flags = (p[12] & 0x0F) << 8 | p[13], window = p[14] << 8 | p[15];
    if (hl < 20 || ip_end < t + hl || n < t + hl)
        goto none;
    PyObject *raw = PyBytes_FromStringAndSize((const char *)d + aoff, alen);
    if (raw == NULL)
        goto fail;
    PyObject *pair = PyDict_GetItemWithError(args[1], raw);
    if (pair != NULL)
        Py_INCREF(pair);
    else if (PyErr_Occurred())
        pair = NULL;
    else
        pair = PyObject_CallOneArg(args[2], raw);
    Py_DECREF(raw);
    if (pair == NULL)
        goto fail;
    if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2) {
        Py_DECREF(pair);
        goto none;
    }
    long long pend = ip_end < n ? ip_end : n;
    result = PyTuple_New(12);
    if (result == NULL) {
        Py_DECREF(pair);
        goto fail;
    }
    Py_INCREF(s_tcp);
    PyTuple_SET_ITEM(result, 0, s_tcp);
    PyObject *src = PyTuple_GET_ITEM(pair, 0), *dst = PyTuple_GET_ITEM(pair, 1);
    Py_INCREF(src);
    Py_INCREF(dst);
    PyTuple_SET_ITEM(result, 1, src);
    PyTuple_SET_ITEM(result, 3, dst);
    Py_DECREF(pair);
    PyObject *items[9] = {
        PyLong_FromLongLong(sport), PyLong_FromLongLong(dport), PyLong_FromUnsignedLong(seq),
        PyLong_FromUnsignedLong(ack), PyLong_FromLongLong(flags), PyLong_FromLongLong(window),
        PyLong_FromLongLong(ip_end - t - hl),
        hl > 20 ? PyBytes_FromStringAndSize((const char *)p + 20, hl - 20) : (Py_INCREF(s_empty), s_empty),
        ip_end > t + hl && pend > t + hl ? PyBytes_FromStringAndSize((const char *)p + hl, pend - t - hl)
                                         : (Py_INCREF(s_empty), s_empty)};
    static const int at[9] = {2, 4, 5, 6, 7, 8, 9, 10, 11};
    int bad = 0;
    for (int i = 0; i < 9; i++) {
        if (items[i] == NULL) {
            bad = 1;
            Py_INCREF(Py_None);
            items[i] = Py_None;
        }
        PyTuple_SET_ITEM(result, at[i], items[i]);
    }
    Py_DECREF(data);
    if (bad) {
        Py_DECREF(result);
        return NULL;
    }
    return result;
none:
    Py_DECREF(data);
    Py_RETURN_NONE;
fail:
    Py_DECREF(data);
    return NULL;
}

/* One ``readinto(view)`` call given a writable view of the ``n`` bytes at ``p``: the count it wrote (0 for
 * None), or -1 with an exception set. The view is released after the call, readinto's own error set aside
 * meanwhile (a KeyboardInterrupt from a signal: calling with it set was a SystemError); a count outside 0..n
 * is a ValueError naming ``who`` (read_joined and read_joined_pool share this). */
static Py_ssize_t readinto_span(PyObject *readinto, char *p, Py_ssize_t n, const char *who) {
    PyObject *view = PyMemoryView_FromMemory(p, n, PyBUF_WRITE);
    if (view == NULL)
        return -1;
    PyObject *got = PyObject_CallOneArg(readinto, view);
    PyObject *et = NULL, *ev = NULL, *tb = NULL;
    if (got == NULL)
        PyErr_Fetch(&et, &ev, &tb);
    PyObject *rel = PyObject_CallMethod(view, "release", NULL);
    Py_DECREF(view);
    if (got == NULL) {
        if (rel == NULL)
            PyErr_Clear();
        PyErr_Restore(et, ev, tb);
    }
    if (got == NULL || rel == NULL) {
        Py_XDECREF(got);
        Py_XDECREF(rel);
        return -1;
    }
    Py_DECREF(rel);
    Py_ssize_t k = 0;
    if (got != Py_None) {
        k = PyLong_AsSsize_t(got);
        if (k == -1 && PyErr_Occurred()) {
            Py_DECREF(got);
            return -1;
        }
    }
    Py_DECREF(got);
    if (k < 0 || k > n) {
        PyErr_Format(PyExc_ValueError, "%s: readinto returned a count outside the view", who);
        return -1;
    }
    return k;
}

/* read_joined(tail, readinto, n) -> bytes
 *   ``tail`` followed by the bytes of one ``readinto(view)`` call given a writable view of ``n`` bytes (the
 *   call returns how many it wrote: 0 or None at the end), as one new bytes object: ``tail + read(n)`` without
 *   the second buffer and its copy (analyzer.capture.batches.pcap_batches: the partial record left at the end
 *   of a batch's buffer joined to the next read). The view is released after the call; a count outside
 *   0..n is a ValueError. analyzer.capture.batches._joined_py is the fallback (tests/test_columnar_heads.py). */
static PyObject *read_joined(PyObject *self, PyObject *args) {
    Py_buffer tail;
    PyObject *readinto;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "y*On", &tail, &readinto, &n))
        return NULL;
    if (n < 0 || tail.len > PY_SSIZE_T_MAX - n) {
        PyBuffer_Release(&tail);
        PyErr_SetString(PyExc_ValueError, "read_joined: bad length");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, tail.len + n);
    if (out == NULL) {
        PyBuffer_Release(&tail);
        return NULL;
    }
    char *p = PyBytes_AS_STRING(out);
    memcpy(p, tail.buf, tail.len);
    Py_ssize_t keep = tail.len;
    PyBuffer_Release(&tail);
    Py_ssize_t k = readinto_span(readinto, p + keep, n, "read_joined");
    if (k < 0) {
        Py_DECREF(out);
        return NULL;
    }
    if (k < n && _PyBytes_Resize(&out, keep + k) < 0)
        return NULL;
    return out;
}

/* tcp_analyze(ca, fwd, rev, ts, num, seq, ack, seglen, flags, raw_window, out[, a]) -> int or None
 *
 * analyzer.tcp.analysis.analyze in C: the same reads and writes of the ConnAnalysis ``ca`` and the SeqStates
 * ``fwd``/``rev``, the same fields put in ``out`` in the same order, the same analysis bits returned. It
 * declines (None, having changed nothing) where its 64-bit arithmetic might not be Python's: a value that is
 * not an exact int within +-2**62 (seq and ack must be 32-bit, the raw window below 2**31), a state object of
 * another class or with an unset slot, a window scale above 30, a segment list, SACK list or cached RTT text
 * not shaped as analyze() makes them, SACK edges in ``out`` that are not ints or lists of ints. The caller
 * then runs the Python (analyzer.tcp.connection; tests/test_read_fast_analyze.py compares the two). The
 * state's slots are read and written at the offsets their member descriptors give. */
#include "structmember.h"

enum { SQ_base_seq, SQ_dupacknum, SQ_lastack, SQ_lastacktime, SQ_lastnondupack, SQ_lastsegmentflags,
       SQ_maxseqtobeacked, SQ_nextseq, SQ_nextseqframe, SQ_nextseqtime, SQ_sack, SQ_segments, SQ_valid_bif,
       SQ_win_scale, SQ_window, SQ_push_bytes_sent, SQ_push_set_last, SQ_N };
static const char *const sq_names[SQ_N] = {
    "base_seq", "dupacknum", "lastack", "lastacktime", "lastnondupack", "lastsegmentflags", "maxseqtobeacked",
    "nextseq", "nextseqframe", "nextseqtime", "sack", "segments", "valid_bif", "win_scale", "window",
    "push_bytes_sent", "push_set_last"};
enum { CA_first_rtt, CA_mru_syn, CA_rtt_text, CA_N };
static const char *const ca_names[CA_N] = {"first_rtt", "mru_syn", "rtt_text"};
static PyTypeObject *sq_type, *ca_type;
static Py_ssize_t sq_off[SQ_N], ca_off[CA_N];
static PyObject *ta_keys[18];
enum { K_window_size, K_dup_num, K_dup_frame, K_rto, K_rto_frame, K_seq, K_nxtseq, K_ack, K_sack_le, K_sack_re,
       K_dsack_le, K_dsack_re, K_acks_frame, K_ack_rtt, K_bif, K_flags, K_push, K_scale };
static const char *const ta_key_names[18] = {
    "tcp.window_size", "tcp.analysis.duplicate_ack_num", "tcp.analysis.duplicate_ack_frame", "tcp.analysis.rto",
    "tcp.analysis.rto_frame", "tcp.seq", "tcp.nxtseq", "tcp.ack", "tcp.options.sack_le", "tcp.options.sack_re",
    "tcp.options.sack.dsack_le", "tcp.options.sack.dsack_re", "tcp.analysis.acks_frame", "tcp.analysis.ack_rtt",
    "tcp.analysis.bytes_in_flight", "tcp.analysis.flags", "tcp.analysis.push_bytes_sent",
    "tcp.window_size_scalefactor"};
static PyObject *ta_flag_keys[15], *ta_initial_rtt, *ta_dup_ack, *ta_retrans, *ta_one;
/* analysis.FLAG_FIELDS, in its order */
static const int ta_flag_bits[15] = {0x0001, 0x0400, 0x4000, 0x0200, 0x0002, 0x0004, 0x0008, 0x0100, 0x0010,
                                     0x0020, 0x0040, 0x0080, 0x0800, 0x1000, 0x2000};
static const char *const ta_flag_names[15] = {
    "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "tcp.analysis.spurious_retransmission",
    "tcp.analysis.out_of_order", "tcp.analysis.lost_segment", "tcp.analysis.ack_lost_segment",
    "tcp.analysis.keep_alive", "tcp.analysis.keep_alive_ack", "tcp.analysis.duplicate_ack",
    "tcp.analysis.zero_window", "tcp.analysis.zero_window_probe", "tcp.analysis.zero_window_probe_ack",
    "tcp.analysis.window_update", "tcp.analysis.window_full", "tcp.analysis.reused_ports"};

#define SLOT(o, off) (*(PyObject **)((char *)(o) + (off)))
#define TA_LIM (1LL << 62)
#define M32 0xFFFFFFFFLL
#define HALF32 0x80000000LL

static int ta_names(void) {
    for (int i = 0; i < 18; i++)
        if ((ta_keys[i] = PyUnicode_InternFromString(ta_key_names[i])) == NULL)
            return -1;
    for (int i = 0; i < 15; i++)
        if ((ta_flag_keys[i] = PyUnicode_InternFromString(ta_flag_names[i])) == NULL)
            return -1;
    ta_initial_rtt = PyUnicode_InternFromString("tcp.analysis.initial_rtt");
    ta_dup_ack = ta_flag_keys[8];
    ta_retrans = ta_flag_keys[0];
    ta_one = PyLong_FromLong(1);
    if (ta_initial_rtt == NULL || ta_one == NULL) {
        ta_initial_rtt = NULL;
        return -1;
    }
    return 0;
}

/* the slot offsets of ``type``'s attributes ``names`` (0: the type has no such object slot) */
static int slot_offsets(PyTypeObject *type, const char *const *names, int n, Py_ssize_t *result) {
    Py_ssize_t off[32];
    if (n > 32)
        return 0;
    for (int i = 0; i < n; i++) {
        PyObject *d = PyObject_GetAttrString((PyObject *)type, names[i]);
        if (d == NULL) {
            PyErr_Clear();
            return 0;
        }
        int ok = Py_IS_TYPE(d, &PyMemberDescr_Type) && ((PyMemberDescrObject *)d)->d_member->type == T_OBJECT_EX
                 && !(((PyMemberDescrObject *)d)->d_member->flags & READONLY);
        if (ok)
            off[i] = ((PyMemberDescrObject *)d)->d_member->offset;
        Py_DECREF(d);
        if (!ok)
            return 0;
    }
    memcpy(result, off, n * sizeof(Py_ssize_t));
    return 1;
}

/* an exact int within +-2**62 */
static int ta_int(PyObject *o, long long *v) {
    if (o == NULL || !PyLong_CheckExact(o))
        return 0;
    int overflow;
    long long x = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow || (x == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return 0;
    }
    if (x <= -TA_LIM || x >= TA_LIM)
        return 0;
    *v = x;
    return 1;
}

typedef struct {
    PyObject *obj;
    int has_base, valid_bif, push_set_last;
    long long push_bytes_sent, base_seq, dupacknum, lastack, lastacktime, lastnondupack, lastsegmentflags, maxseqtobeacked,
        nextseq, nextseqframe, nextseqtime, win_scale, window;
    PyObject *segments, *sack;   /* borrowed */
} SeqC;

/* a segment list as analyze() keeps it: None, (), or a list of [seq, nextseq, frame, ts] lists of ints */
static int ta_segments_ok(PyObject *segs) {
    if (segs == Py_None)
        return 1;
    if (PyTuple_CheckExact(segs))
        return PyTuple_GET_SIZE(segs) == 0;
    if (!PyList_CheckExact(segs))
        return 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(segs); i++) {
        PyObject *s = PyList_GET_ITEM(segs, i);
        long long v;
        if (!PyList_CheckExact(s) || PyList_GET_SIZE(s) != 4)
            return 0;
        for (int j = 0; j < 4; j++)
            if (!ta_int(PyList_GET_ITEM(s, j), &v))
                return 0;
    }
    return 1;
}

/* SACK blocks as sack_blocks() gives them: a tuple (or list) of (left, right) int pairs */
static int ta_sack_ok(PyObject *sack) {
    if (!PyTuple_CheckExact(sack) && !PyList_CheckExact(sack))
        return 0;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(sack);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *b = PySequence_Fast_GET_ITEM(sack, i);
        long long v;
        if (!(PyTuple_CheckExact(b) || PyList_CheckExact(b)) || PySequence_Fast_GET_SIZE(b) != 2
            || !ta_int(PySequence_Fast_GET_ITEM(b, 0), &v) || !ta_int(PySequence_Fast_GET_ITEM(b, 1), &v))
            return 0;
    }
    return 1;
}

static int ta_read(PyObject *o, SeqC *s) {
    s->obj = o;
    PyObject *b = SLOT(o, sq_off[SQ_base_seq]);
    if (b == NULL)
        return 0;
    s->has_base = b != Py_None;
    if (s->has_base && !ta_int(b, &s->base_seq))
        return 0;
    PyObject *vb = SLOT(o, sq_off[SQ_valid_bif]);
    if (vb != Py_True && vb != Py_False)
        return 0;
    s->valid_bif = vb == Py_True;
    PyObject *pl = SLOT(o, sq_off[SQ_push_set_last]);
    if (pl != Py_True && pl != Py_False)
        return 0;
    s->push_set_last = pl == Py_True;
    if (!ta_int(SLOT(o, sq_off[SQ_push_bytes_sent]), &s->push_bytes_sent) || s->push_bytes_sent < 0
        || s->push_bytes_sent > M32)
        return 0;
    s->segments = SLOT(o, sq_off[SQ_segments]);
    s->sack = SLOT(o, sq_off[SQ_sack]);
    if (s->segments == NULL || s->sack == NULL || !ta_segments_ok(s->segments) || !ta_sack_ok(s->sack))
        return 0;
    return ta_int(SLOT(o, sq_off[SQ_dupacknum]), &s->dupacknum) && ta_int(SLOT(o, sq_off[SQ_lastack]), &s->lastack)
           && ta_int(SLOT(o, sq_off[SQ_lastacktime]), &s->lastacktime)
           && ta_int(SLOT(o, sq_off[SQ_lastnondupack]), &s->lastnondupack)
           && ta_int(SLOT(o, sq_off[SQ_lastsegmentflags]), &s->lastsegmentflags)
           && ta_int(SLOT(o, sq_off[SQ_maxseqtobeacked]), &s->maxseqtobeacked)
           && ta_int(SLOT(o, sq_off[SQ_nextseq]), &s->nextseq)
           && ta_int(SLOT(o, sq_off[SQ_nextseqframe]), &s->nextseqframe)
           && ta_int(SLOT(o, sq_off[SQ_nextseqtime]), &s->nextseqtime)
           && ta_int(SLOT(o, sq_off[SQ_win_scale]), &s->win_scale) && ta_int(SLOT(o, sq_off[SQ_window]), &s->window);
}

/* slot = int v, unless it already holds that value */
static int ta_set_int(PyObject *o, Py_ssize_t off, long long v) {
    PyObject *old = SLOT(o, off);
    if (old != NULL && PyLong_CheckExact(old)) {
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(old, &overflow);
        if (!overflow && x == v)
            return 0;
        PyErr_Clear();
    }
    PyObject *n = PyLong_FromLongLong(v);
    if (n == NULL)
        return -1;
    SLOT(o, off) = n;
    Py_XDECREF(old);
    return 0;
}

static void ta_set_obj(PyObject *o, Py_ssize_t off, PyObject *v) {
    PyObject *old = SLOT(o, off);
    Py_INCREF(v);
    SLOT(o, off) = v;
    Py_XDECREF(old);
}

static int ta_put_int(PyObject *out, PyObject *key, long long v) {
    PyObject *n = PyLong_FromLongLong(v);
    if (n == NULL)
        return -1;
    int r = PyDict_SetItem(out, key, n);
    Py_DECREF(n);
    return r;
}

/* analysis.seconds(ns) */
static PyObject *ta_seconds(long long ns) {
    char t[48];
    if (ns < 0)
        snprintf(t, sizeof t, "-%lld.%09lld", (-ns) / 1000000000LL, (-ns) % 1000000000LL);
    else
        snprintf(t, sizeof t, "%lld.%09lld", ns / 1000000000LL, ns % 1000000000LL);
    return PyUnicode_FromString(t);
}

static int ta_put_seconds(PyObject *out, PyObject *key, long long ns) {
    PyObject *s = ta_seconds(ns);
    if (s == NULL)
        return -1;
    int r = PyDict_SetItem(out, key, s);
    Py_DECREF(s);
    return r;
}

static long long seg_at(PyObject *s, int j) { return PyLong_AsLongLong(PyList_GET_ITEM(s, j)); }

static PyObject *tcp_analyze(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 11 || nargs > 12)
        Py_RETURN_NONE;
    if (ta_initial_rtt == NULL && ta_names() < 0)
        return NULL;
    PyObject *ca = args[0], *fwd = args[1], *rev = args[2], *out = args[10];
    if (fwd == rev || !PyDict_CheckExact(out) || Py_TYPE(rev) != Py_TYPE(fwd))
        Py_RETURN_NONE;
    if (Py_TYPE(fwd) != sq_type) {
        if (!slot_offsets(Py_TYPE(fwd), sq_names, SQ_N, sq_off))
            Py_RETURN_NONE;
        Py_XSETREF(sq_type, (PyTypeObject *)Py_NewRef(Py_TYPE(fwd)));
    }
    if (Py_TYPE(ca) != ca_type) {
        if (!slot_offsets(Py_TYPE(ca), ca_names, CA_N, ca_off))
            Py_RETURN_NONE;
        Py_XSETREF(ca_type, (PyTypeObject *)Py_NewRef(Py_TYPE(ca)));
    }
    long long ts, num, seq, ack, seglen, flags, raw_window, a = 0;
    if (!ta_int(args[3], &ts) || !ta_int(args[4], &num) || !ta_int(args[5], &seq) || !ta_int(args[6], &ack)
        || !ta_int(args[7], &seglen) || !ta_int(args[8], &flags) || !ta_int(args[9], &raw_window)
        || (nargs == 12 && !ta_int(args[11], &a)))
        Py_RETURN_NONE;
    if (seq < 0 || seq > M32 || ack < 0 || ack > M32 || raw_window < 0 || raw_window >= HALF32)
        Py_RETURN_NONE;
    SeqC F, R;
    if (!ta_read(fwd, &F) || !ta_read(rev, &R))
        Py_RETURN_NONE;
    long long first_rtt, mru_syn;
    PyObject *rtt_text = SLOT(ca, ca_off[CA_rtt_text]);
    if (!ta_int(SLOT(ca, ca_off[CA_first_rtt]), &first_rtt) || !ta_int(SLOT(ca, ca_off[CA_mru_syn]), &mru_syn)
        || rtt_text == NULL)
        Py_RETURN_NONE;
    if (rtt_text != Py_None) {
        long long v;
        if (!PyTuple_CheckExact(rtt_text) || PyTuple_GET_SIZE(rtt_text) != 2
            || !ta_int(PyTuple_GET_ITEM(rtt_text, 0), &v) || !PyUnicode_CheckExact(PyTuple_GET_ITEM(rtt_text, 1)))
            Py_RETURN_NONE;
    }
    if (!(flags & 0x02) && F.win_scale > 30)
        Py_RETURN_NONE;
    int sack_in_out = PyDict_Contains(out, ta_keys[K_sack_le]);
    if (sack_in_out < 0)
        return NULL;
    if (sack_in_out) {
        for (int k = K_sack_le; k <= K_dsack_re; k++) {
            PyObject *v = PyDict_GetItemWithError(out, ta_keys[k]);
            long long x;
            if (v == NULL) {
                if (PyErr_Occurred())
                    return NULL;
                continue;
            }
            if (v == Py_None)
                continue;
            if (PyList_CheckExact(v)) {
                for (Py_ssize_t i = 0; i < PyList_GET_SIZE(v); i++)
                    if (!ta_int(PyList_GET_ITEM(v, i), &x))
                        Py_RETURN_NONE;
            } else if (!ta_int(v, &x))
                Py_RETURN_NONE;
        }
    }

    /* everything is read: from here on, analyze() step by step (the state in F, R and locals, written at the end) */
    const long long SYN = 0x02, FIN = 0x01, RST = 0x04, ACK = 0x10;
    long long is_syn = flags & SYN;
    int rtt_changed = 0, mru_changed = 0;
    if (!F.has_base) {
        F.has_base = 2;
        F.base_seq = is_syn ? seq : ((seq - 1) & M32);
    }
    if (!R.has_base && (flags & ACK)) {
        R.has_base = 2;
        R.base_seq = (ack - 1) & M32;
    }
    if ((flags & (SYN | ACK)) == ACK) {
        if (mru_syn && !first_rtt) {
            first_rtt = ts - mru_syn;     /* zero: not measured yet (tshark), the next ACK measures */
            rtt_changed = 1;
        }
    } else if ((flags & (SYN | ACK)) == SYN) {
        mru_syn = ts;
        mru_changed = 1;
    }
    int rev_valid_set = 0;
    if (flags & ACK) {
        R.valid_bif = 1;
        rev_valid_set = 1;
    }
    long long window = (is_syn || F.win_scale < 0) ? raw_window : (raw_window << F.win_scale);
    if (ta_put_int(out, ta_keys[K_window_size], window) < 0
        || (!is_syn && ta_put_int(out, ta_keys[K_scale], F.win_scale < 0 ? F.win_scale : 1LL << F.win_scale) < 0))
        return NULL;
    int have_ta = 0;
    long long fwd_nextseq = F.nextseq;
    int no_sfr = !(flags & (SYN | FIN | RST));
    int fwd_valid_cleared = 0, dup_changed = 0;
    if (seglen == 1 && seq == fwd_nextseq && R.window == 0) {
        a |= 0x0040;
    } else {
        if (window == 0 && !(flags & (RST | FIN | SYN)))
            a |= 0x0020;
        if (fwd_nextseq && 0 < ((seq - fwd_nextseq) & M32) && ((seq - fwd_nextseq) & M32) < HALF32 && !(flags & RST)) {
            a |= 0x0002;
            F.valid_bif = 0;
            fwd_valid_cleared = 1;
        }
        if (seglen <= 1 && seq == ((fwd_nextseq - 1) & M32) && no_sfr)
            a |= 0x0008;
        int same_seq_ack = seglen == 0 && seq == fwd_nextseq && ack == F.lastack && no_sfr;
        if (same_seq_ack && window && window != F.window)
            a |= 0x0800;
        if (seglen > 0 && R.win_scale != -1 && no_sfr && R.window != M32
            && ((seq + seglen) & M32) == ((R.lastack + R.window) & M32))
            a |= 0x1000;
        if (same_seq_ack && window && window == F.window && (R.lastsegmentflags & 0x0008))
            a |= 0x0100;
        else if (seglen == 0 && window == 0 && window == F.window && seq == fwd_nextseq
                 && (ack == F.lastack || ack == ((F.lastack + 1) & M32)) && (R.lastsegmentflags & 0x0040) && no_sfr)
            a |= 0x0080;
        else if (same_seq_ack && window && window == F.window) {
            F.dupacknum += 1;
            dup_changed = 1;
            a |= 0x0010;
            if (ta_put_int(out, ta_keys[K_dup_num], F.dupacknum) < 0
                || ta_put_int(out, ta_keys[K_dup_frame], F.lastnondupack) < 0)
                return NULL;
        }
    }
    if (ack != F.lastack) {
        F.lastnondupack = num;
        F.dupacknum = 0;
        dup_changed = 1;
    }
    int rev_max_changed = 0;
    if ((flags & ACK) && R.maxseqtobeacked && 0 < ((ack - R.maxseqtobeacked) & M32)
        && ((ack - R.maxseqtobeacked) & M32) < HALF32) {
        a |= 0x0004;
        R.maxseqtobeacked = R.nextseq;
        rev_max_changed = 1;
    }
    if ((seglen > 0 || (flags & (SYN | FIN))) && !(a & 0x0008)) {
        int seq_not_advanced = fwd_nextseq != 0 && ((seq - fwd_nextseq) & M32) >= HALF32;
        if (seglen > 1 && ((fwd_nextseq - 1) & M32) == seq)
            seq_not_advanced = 0;
        long long kind = 0;
        if (seq_not_advanced && R.dupacknum >= 2 && R.lastack == seq && ts - R.lastacktime < 20000000LL)
            kind = 0x0400;
        else {
            long long end = (seq + seglen) & M32;
            long long ooo_thres = first_rtt ? first_rtt : 3000000LL;
            if (seglen > 0 && R.lastack && (end == R.lastack || ((end - R.lastack) & M32) >= HALF32))
                kind = 0x4000;
            else if (seq_not_advanced && ts - F.nextseqtime < ooo_thres
                     && fwd_nextseq != ((end + ((flags & (SYN | FIN)) ? 1 : 0)) & M32))
                kind = 0x0200;
            else if (seq_not_advanced) {
                kind = 0x0001;
                PyObject *segs = F.segments;
                if (PyList_CheckExact(segs) && PyList_GET_SIZE(segs)) {
                    PyObject *s0 = PyList_GET_ITEM(segs, 0);
                    if (ta_put_seconds(out, ta_keys[K_rto], ts - seg_at(s0, 3)) < 0
                        || PyDict_SetItem(out, ta_keys[K_rto_frame], PyList_GET_ITEM(s0, 2)) < 0)
                        return NULL;
                } else if (ta_put_seconds(out, ta_keys[K_rto], ts - F.nextseqtime) < 0
                           || ta_put_int(out, ta_keys[K_rto_frame], F.nextseqframe) < 0)
                    return NULL;
            }
        }
        a |= kind;
    }
    long long nextseq = (seq + seglen + ((flags & (SYN | FIN)) ? 1 : 0)) & M32;
    long long base = F.base_seq;
    if (ta_put_int(out, ta_keys[K_seq], (seq - base) & M32) < 0
        || ta_put_int(out, ta_keys[K_nxtseq], (nextseq - base) & M32) < 0
        || ta_put_int(out, ta_keys[K_ack], (flags & ACK) ? ((ack - R.base_seq) & M32) : ack) < 0)
        return NULL;
    if (sack_in_out && R.has_base) {
        for (int k = K_sack_le; k <= K_dsack_re; k++) {
            PyObject *v = PyDict_GetItemWithError(out, ta_keys[k]), *n;
            if (v == NULL) {
                if (PyErr_Occurred())
                    return NULL;
                continue;
            }
            if (v == Py_None)
                continue;
            if (PyList_CheckExact(v)) {
                Py_ssize_t m = PyList_GET_SIZE(v);
                n = PyList_New(m);
                if (n == NULL)
                    return NULL;
                for (Py_ssize_t i = 0; i < m; i++) {
                    PyObject *e = PyLong_FromLongLong((PyLong_AsLongLong(PyList_GET_ITEM(v, i)) - R.base_seq) & M32);
                    if (e == NULL) {
                        Py_DECREF(n);
                        return NULL;
                    }
                    PyList_SET_ITEM(n, i, e);
                }
            } else if ((n = PyLong_FromLongLong((PyLong_AsLongLong(v) - R.base_seq) & M32)) == NULL)
                return NULL;
            int r = PyDict_SetItem(out, ta_keys[k], n);
            Py_DECREF(n);
            if (r < 0)
                return NULL;
        }
    }
    /* state writes from here on */
    PyObject *segs = F.segments;    /* borrowed; a new list is owned by fwd once set */
    if ((seglen || (flags & (SYN | FIN))) && segs != Py_None
        && (!PyList_CheckExact(segs) || PyList_GET_SIZE(segs) < 10000)) {
        if (!PyList_CheckExact(segs)) {     /* () */
            PyObject *fresh = PyList_New(0);
            if (fresh == NULL)
                return NULL;
            SLOT(fwd, sq_off[SQ_segments]) = fresh;
            Py_DECREF(segs);
            segs = fresh;
        }
        PyObject *s = Py_BuildValue("[LLLL]", seq, nextseq, num, ts);
        if (s == NULL)
            return NULL;
        int r = PyList_Append(segs, s);
        Py_DECREF(s);
        if (r < 0)
            return NULL;
    }
    int next_changed = 0;
    if (!(a & 0x0040)) {
        if (!fwd_nextseq || (0 < ((nextseq - fwd_nextseq) & M32) && ((nextseq - fwd_nextseq) & M32) < HALF32)) {
            F.nextseq = nextseq;
            F.nextseqframe = num;
            F.nextseqtime = ts;
            next_changed = 1;
        }
        if (seq == F.maxseqtobeacked || !F.maxseqtobeacked) {
            F.maxseqtobeacked = F.nextseq;
            next_changed = 1;
        }
    }
    if (ta_set_int(ca, ca_off[CA_first_rtt], first_rtt) < 0 || ta_set_int(ca, ca_off[CA_mru_syn], mru_syn) < 0)
        return NULL;
    (void)rtt_changed;
    (void)mru_changed;
    if ((F.has_base == 2 && ta_set_int(fwd, sq_off[SQ_base_seq], F.base_seq) < 0)
        || (R.has_base == 2 && ta_set_int(rev, sq_off[SQ_base_seq], R.base_seq) < 0))
        return NULL;
    if (rev_valid_set)
        ta_set_obj(rev, sq_off[SQ_valid_bif], Py_True);
    if (fwd_valid_cleared)
        ta_set_obj(fwd, sq_off[SQ_valid_bif], Py_False);
    if ((dup_changed && (ta_set_int(fwd, sq_off[SQ_dupacknum], F.dupacknum) < 0
                         || ta_set_int(fwd, sq_off[SQ_lastnondupack], F.lastnondupack) < 0))
        || (rev_max_changed && ta_set_int(rev, sq_off[SQ_maxseqtobeacked], R.maxseqtobeacked) < 0)
        || (next_changed && (ta_set_int(fwd, sq_off[SQ_nextseq], F.nextseq) < 0
                             || ta_set_int(fwd, sq_off[SQ_nextseqframe], F.nextseqframe) < 0
                             || ta_set_int(fwd, sq_off[SQ_nextseqtime], F.nextseqtime) < 0
                             || ta_set_int(fwd, sq_off[SQ_maxseqtobeacked], F.maxseqtobeacked) < 0))
        || ta_set_int(fwd, sq_off[SQ_lastsegmentflags], a) < 0 || ta_set_int(fwd, sq_off[SQ_window], window) < 0
        || ta_set_int(fwd, sq_off[SQ_lastack], ack) < 0 || ta_set_int(fwd, sq_off[SQ_lastacktime], ts) < 0)
        return NULL;

    /* remove what this ACK acknowledges from the other direction's list */
    PyObject *rsegs = R.segments;
    if (PyList_CheckExact(rsegs) && PyList_GET_SIZE(rsegs)) {
        PyObject *acked = NULL;    /* borrowed from rsegs, kept alive by a reference until used */
        PyObject *keep = PyList_New(0);
        if (keep == NULL)
            return NULL;
        Py_ssize_t m = PyList_GET_SIZE(rsegs);
        for (Py_ssize_t i = 0; i < m; i++) {
            PyObject *s = PyList_GET_ITEM(rsegs, i);
            long long s0 = seg_at(s, 0), s_next = seg_at(s, 1);
            if (s_next == ack) {
                if (acked == NULL)
                    acked = s;
                continue;
            }
            int r = 0;
            if (0 < ((ack - s0) & M32) && ((ack - s0) & M32) < HALF32 && ((ack - s_next) & M32) >= HALF32) {
                PyObject *n = PyLong_FromLongLong(ack);
                if (n == NULL || PyList_SetItem(s, 0, n) < 0) {
                    Py_DECREF(keep);
                    return NULL;
                }
                r = PyList_Append(keep, s);
            } else if (0 < ((s_next - ack) & M32) && ((s_next - ack) & M32) < HALF32)
                r = PyList_Append(keep, s);
            if (r < 0) {
                Py_DECREF(keep);
                return NULL;
            }
        }
        Py_XINCREF(acked);
        PyObject *old = SLOT(rev, sq_off[SQ_segments]);
        SLOT(rev, sq_off[SQ_segments]) = keep;
        Py_XDECREF(old);
        if (acked != NULL) {
            have_ta = 1;
            long long acked_ts = seg_at(acked, 3);
            int r = PyDict_SetItem(out, ta_keys[K_acks_frame], PyList_GET_ITEM(acked, 2));
            if (r == 0 && ts != acked_ts)
                r = ta_put_seconds(out, ta_keys[K_ack_rtt], ts - acked_ts);
            Py_DECREF(acked);
            if (r < 0)
                return NULL;
        }
    }
    /* bytes in flight after this frame was sent */
    if (seglen && PyList_CheckExact(segs) && PyList_GET_SIZE(segs) && F.valid_bif) {
        PyObject *s0 = PyList_GET_ITEM(segs, 0);
        long long first = (seg_at(s0, 0) - base) & M32, last = (seg_at(s0, 1) - base) & M32;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(segs); i++) {
            PyObject *s = PyList_GET_ITEM(segs, i);
            long long lo = (seg_at(s, 0) - base) & M32, hi = (seg_at(s, 1) - base) & M32;
            if (hi > last)
                last = hi;
            if (lo < first)
                first = lo;
        }
        long long in_flight = (last - first) & M32;
        Py_ssize_t nb = PySequence_Fast_GET_SIZE(R.sack);
        for (Py_ssize_t i = 0; i < nb; i++) {
            PyObject *b = PySequence_Fast_GET_ITEM(R.sack, i);
            long long le = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(b, 0));
            long long re = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(b, 1));
            in_flight = (in_flight - ((re - le) & M32)) & M32;
        }
        if (flags & FIN)
            in_flight = (in_flight - 1) & M32;
        /* bytes since the last PSH (analyze()'s push_bytes_sent) */
        if (flags & 0x08) {
            F.push_bytes_sent = F.push_set_last ? seglen : ((F.push_bytes_sent + seglen) & M32);
            F.push_set_last = 1;
        } else if (F.push_set_last) {
            F.push_bytes_sent = seglen;
            F.push_set_last = 0;
        } else
            F.push_bytes_sent = (F.push_bytes_sent + seglen) & M32;
        if (ta_set_int(fwd, sq_off[SQ_push_bytes_sent], F.push_bytes_sent) < 0)
            return NULL;
        ta_set_obj(fwd, sq_off[SQ_push_set_last], F.push_set_last ? Py_True : Py_False);
        have_ta = 1;
        if (0 < in_flight && in_flight < 2000000000LL) {
            if (ta_put_int(out, ta_keys[K_bif], in_flight) < 0 || ta_put_int(out, ta_keys[K_push], F.push_bytes_sent) < 0)
                return NULL;
        }
    }
    if (a) {
        have_ta = 1;
        if ((a & (0x0400 | 0x4000)) && PyDict_SetItem(out, ta_retrans, ta_one) < 0)
            return NULL;
        for (int i = 0; i < 15; i++)
            if ((a & ta_flag_bits[i]) && PyDict_SetItem(out, ta_flag_keys[i], ta_one) < 0)
                return NULL;
        if (a & 0x0010) {
            PyObject *two = Py_BuildValue("[ii]", 1, 1);
            if (two == NULL)
                return NULL;
            int r = PyDict_SetItem(out, ta_dup_ack, two);
            Py_DECREF(two);
            if (r < 0)
                return NULL;
        }
        if (PyDict_SetItem(out, ta_keys[K_flags], ta_one) < 0)
            return NULL;
    }
    if (have_ta && first_rtt) {
        PyObject *cached = SLOT(ca, ca_off[CA_rtt_text]);
        long long v = 0;
        if (cached == NULL || cached == Py_None || !PyTuple_CheckExact(cached)
            || !ta_int(PyTuple_GET_ITEM(cached, 0), &v) || v != first_rtt) {
            PyObject *text = ta_seconds(first_rtt);
            if (text == NULL)
                return NULL;
            PyObject *t = Py_BuildValue("(LN)", first_rtt, text);
            if (t == NULL)
                return NULL;
            PyObject *old = SLOT(ca, ca_off[CA_rtt_text]);
            SLOT(ca, ca_off[CA_rtt_text]) = t;
            Py_XDECREF(old);
            cached = t;
        }
        if (PyDict_SetItem(out, ta_initial_rtt, PyTuple_GET_ITEM(cached, 1)) < 0)
            return NULL;
    }
    return PyLong_FromLongLong(a);
}

/* json_tail(data, epoch) -> bytes or None
 *
 * The end of analyzer.report.jsonlines.json_line_bytes after orjson's encode, in one pass: ``data`` (the
 * encoded fields) with the first ``"frame.time_epoch":"EPOCH"`` made ``"frame.time_epoch":EPOCH`` when
 * ``epoch`` is a str (the text splice bytes.replace(..., 1) makes there), given back when every byte is ASCII
 * or one of C2 and B7 (the UTF-8 of the middle dots of tcp.flags.str) and none is DEL: the line needs no escape
 * for a terminal. None (the Python path then runs, which escapes) for any other line, and for an epoch that is
 * not ASCII text. tests/test_read_fast_json.py compares it with the Python path. */
static PyObject *json_tail(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyBytes_CheckExact(args[0]))
        Py_RETURN_NONE;
    PyObject *data = args[0], *epoch = args[1];
    const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t n = PyBytes_GET_SIZE(data);
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if ((c >= 0x80 && c != 0xC2 && c != 0xB7) || c == 0x7F)
            Py_RETURN_NONE;
    }
    if (!PyUnicode_CheckExact(epoch))
        return Py_NewRef(data);
    if (!PyUnicode_IS_ASCII(epoch))
        Py_RETURN_NONE;
    static const char key[] = "\"frame.time_epoch\":\"";
    const Py_ssize_t klen = sizeof key - 1;
    const char *e = (const char *)PyUnicode_DATA(epoch);
    Py_ssize_t elen = PyUnicode_GET_LENGTH(epoch);
    Py_ssize_t plen = klen + elen + 1;      /* key, the epoch, its closing quote */
    const char *s = (const char *)p;
    for (Py_ssize_t i = 0; i + plen <= n; i++) {
        if (s[i] != '"' || memcmp(s + i, key, klen) != 0 || memcmp(s + i + klen, e, elen) != 0
            || s[i + klen + elen] != '"')
            continue;
        PyObject *out = PyBytes_FromStringAndSize(NULL, n - 2);
        if (out == NULL)
            return NULL;
        char *o = PyBytes_AS_STRING(out);
        memcpy(o, s, i + klen - 1);                                 /* up to the key's colon */
        memcpy(o + i + klen - 1, e, elen);                          /* the epoch, unquoted */
        memcpy(o + i + klen - 1 + elen, s + i + plen, n - i - plen);   /* what follows its closing quote */
        return out;
    }
    return Py_NewRef(data);
}

/* factorize_u64(values) -> (inverse, uniques)
 *   np.unique(values, return_inverse=True) of an array of uint64 (native bytes, 8 per value): ``uniques`` the
 *   distinct values in ascending order, ``inverse`` each value's position among them (int64), both as native
 *   bytes. One hash pass and a sort of the distinct values only (a batch's addresses: a few hundred distinct
 *   among thousands), where np.unique sorts them all. analyzer.columnar.count._addresses falls back to
 *   np.unique (tests/test_columnar_factorize.py compares both). */
typedef struct {
    uint64_t v;
    int64_t id;
} fz_pair;

static int fz_cmp(const void *a, const void *b) {
    uint64_t x = ((const fz_pair *)a)->v, y = ((const fz_pair *)b)->v;
    return x < y ? -1 : x > y;
}

static PyObject *factorize_u64(PyObject *self, PyObject *args) {
    Py_buffer in;
    if (!PyArg_ParseTuple(args, "y*", &in))
        return NULL;
    if (in.len % 8) {
        PyBuffer_Release(&in);
        PyErr_SetString(PyExc_ValueError, "factorize_u64: not a whole number of uint64 values");
        return NULL;
    }
    Py_ssize_t n = in.len / 8;
    const uint64_t *vals = in.buf;
    size_t cap = 16;
    while (cap < (size_t)n * 2)
        cap <<= 1;
    uint64_t *keys = PyMem_Malloc(cap * sizeof(uint64_t));
    int64_t *slot = PyMem_Malloc(cap * sizeof(int64_t));
    fz_pair *uniq = PyMem_Malloc((n ? n : 1) * sizeof(fz_pair));
    int64_t *rank = PyMem_Malloc((n ? n : 1) * sizeof(int64_t));
    PyObject *inv = PyBytes_FromStringAndSize(NULL, n * 8);
    if (!keys || !slot || !uniq || !rank || !inv) {
        PyMem_Free(keys); PyMem_Free(slot); PyMem_Free(uniq); PyMem_Free(rank);
        Py_XDECREF(inv);
        PyBuffer_Release(&in);
        return PyErr_NoMemory();
    }
    for (size_t j = 0; j < cap; j++)
        slot[j] = -1;
    int64_t *out = (int64_t *)PyBytes_AS_STRING(inv);
    size_t mask = cap - 1;
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t v = vals[i];
        uint64_t h = v * 0x9E3779B97F4A7C15ULL;
        size_t j = (size_t)(h >> 17) & mask;
        while (slot[j] >= 0 && keys[j] != v)
            j = (j + 1) & mask;
        if (slot[j] < 0) {
            keys[j] = v;
            slot[j] = k;
            uniq[k].v = v;
            uniq[k].id = k;
            k++;
        }
        out[i] = slot[j];
    }
    PyBuffer_Release(&in);
    qsort(uniq, (size_t)k, sizeof(fz_pair), fz_cmp);
    PyObject *u = PyBytes_FromStringAndSize(NULL, k * 8);
    if (u != NULL) {
        uint64_t *uv = (uint64_t *)PyBytes_AS_STRING(u);
        for (Py_ssize_t r = 0; r < k; r++) {
            uv[r] = uniq[r].v;
            rank[uniq[r].id] = r;
        }
        for (Py_ssize_t i = 0; i < n; i++)
            out[i] = rank[out[i]];
    }
    PyMem_Free(keys); PyMem_Free(slot); PyMem_Free(uniq); PyMem_Free(rank);
    if (u == NULL) {
        Py_DECREF(inv);
        return NULL;
    }
    PyObject *res = PyTuple_Pack(2, inv, u);
    Py_DECREF(inv);
    Py_DECREF(u);
    return res;
}

/* decode_setup(Packet, Layer, mac_cache, macs, addr_cache, addrs, tcp_templates, tcp_template, hex2) -> bool
 * decode_fast(frame) -> Packet | (Packet, table, key, off, end) | None
 *   analyzer.decode.packet.decode for the commonest frame, in C: Ethernet II (pcap, or pcapng: the interface id
 *   and name as frame_layer gives them) with
 *   EtherType 0x0800, IPv4 of 20 header bytes with a good checksum, not a fragment, its total length within
 *   the frame and the wire length, and TCP (options none, NOP,NOP,Timestamps first, or only NOP, EOL padding,
 *   MSS, window scale, SACK permitted and timestamps, each once and as tcp.py reads it without a note; a good
 *   checksum; the header within the datagram) or UDP (length within the datagram, at least 8; checksum 0 or good). It
 *   makes the Packet and its frame/eth/ip/tcp|udp Layers (their slots at their member offsets, as the Python
 *   leaves them), each field dict in the decoders' order with the decoders' values: the MAC and address texts
 *   from their caches (``macs``/``addrs`` fill them on a miss), the TCP fixed fields from copies of
 *   tcp.py's per-flags templates, hex texts as HEX2/HEX4 write them. When the transport carries a payload it
 *   returns the packet with the port table's name and key and the payload span: the caller looks the decoder
 *   up and runs the rest (decode.packet.run). None, with nothing made, for any other frame (a frame the Python
 *   would give a note or a failure included): the caller then decodes it in Python. decode_setup's False (the
 *   types' slots are not object slots) makes every decode_fast call None. tests/test_decode_fast.py holds the
 *   two equal on every frame of captures, the corpus and synthetic traffic, and frames damaged at each check. */
enum { DP_flat, DP_failure, DP_frame, DP_layers, DP_notes, DP_payload, DP_N };
static const char *const dp_names[DP_N] = {"_flat", "failure", "frame", "layers", "notes", "payload"};
enum { DL_fields, DL_length, DL_name, DL_offset, DL_N };
static const char *const dl_names[DL_N] = {"fields", "length", "name", "offset"};
static Py_ssize_t dp_off[DP_N], dl_off[DL_N];
static PyTypeObject *df_packet, *df_layer;
static PyObject *df_mac_cache, *df_macs, *df_addr_cache, *df_addrs, *df_templates, *df_template, *df_hex2;
static int df_ready;

enum {
    DK_number, DK_epoch, DK_len, DK_caplen, DK_eth_dst, DK_eth_src, DK_eth_addr, DK_eth_type, DK_ip_version,
    DK_ip_hdr_len, DK_ip_ds, DK_ip_dscp, DK_ip_ecn, DK_ip_len, DK_ip_id, DK_ip_flags, DK_ip_rb, DK_ip_df, DK_ip_mf,
    DK_ip_frag, DK_ip_ttl, DK_ip_proto, DK_ip_cksum, DK_ip_status, DK_ip_src, DK_ip_addr, DK_ip_dst, DK_t_sport,
    DK_t_dport, DK_t_port, DK_t_seq, DK_t_ack, DK_t_hdr_len, DK_t_win, DK_t_cksum, DK_t_urg, DK_t_len, DK_t_status,
    DK_t_opts, DK_t_kind, DK_t_olen, DK_t_tsval, DK_t_tsecr, DK_u_sport, DK_u_dport, DK_u_port, DK_u_length,
    DK_u_cksum, DK_u_status, DK_good, DK_not_present, DK_0800, DK_frame, DK_eth, DK_ip, DK_tcp, DK_udp,
    DK_tcp_port, DK_udp_port, DK_a_number, DK_a_ts_ns, DK_a_origlen, DK_a_caplen, DK_a_iface, DK_a_linktype,
    DK_a_data, DK_iface_id, DK_iface_name, DK_a_iface_name, DK_unknown, DK_t_mss, DK_t_shift, DK_t_mult, DK_t_sperm,
    DK_N
};
static const char *const dk_names[DK_N] = {
    "frame.number", "frame.time_epoch", "frame.len", "frame.cap_len", "eth.dst", "eth.src", "eth.addr", "eth.type",
    "ip.version", "ip.hdr_len", "ip.dsfield", "ip.dsfield.dscp", "ip.dsfield.ecn", "ip.len", "ip.id", "ip.flags",
    "ip.flags.rb", "ip.flags.df", "ip.flags.mf", "ip.frag_offset", "ip.ttl", "ip.proto", "ip.checksum",
    "ip.checksum.status", "ip.src", "ip.addr", "ip.dst", "tcp.srcport", "tcp.dstport", "tcp.port", "tcp.seq_raw",
    "tcp.ack_raw", "tcp.hdr_len", "tcp.window_size_value", "tcp.checksum", "tcp.urgent_pointer", "tcp.len",
    "tcp.checksum.status", "tcp.options", "tcp.option_kind", "tcp.option_len", "tcp.options.timestamp.tsval",
    "tcp.options.timestamp.tsecr", "udp.srcport", "udp.dstport", "udp.port", "udp.length", "udp.checksum",
    "udp.checksum.status", "Good", "Not present", "0x0800", "frame", "eth", "ip", "tcp", "udp", "tcp.port",
    "udp.port", "number", "ts_ns", "origlen", "caplen", "iface", "linktype", "data", "frame.interface_id",
    "frame.interface_name", "iface_name", "unknown", "tcp.options.mss_val", "tcp.options.wscale.shift",
    "tcp.options.wscale.multiplier", "tcp.options.sack_perm"};
static PyObject *dk[DK_N];

static int df_offsets(PyTypeObject *type, const char *const *names, int n, Py_ssize_t *result) {
    for (int i = 0; i < n; i++) {
        PyObject *d = PyObject_GetAttrString((PyObject *)type, names[i]);
        if (d == NULL) {
            PyErr_Clear();
            return 0;
        }
        int ok = Py_IS_TYPE(d, &PyMemberDescr_Type) && ((PyMemberDescrObject *)d)->d_member->type == T_OBJECT_EX
                 && !(((PyMemberDescrObject *)d)->d_member->flags & READONLY);
        if (ok)
            result[i] = ((PyMemberDescrObject *)d)->d_member->offset;
        Py_DECREF(d);
        if (!ok)
            return 0;
    }
    return 1;
}

static PyObject *decode_setup(PyObject *self, PyObject *args) {
    PyObject *p, *l, *mc, *m, *ac, *a, *tt, *t, *h;
    if (!PyArg_ParseTuple(args, "O!O!O!OO!OO!OO!", &PyType_Type, &p, &PyType_Type, &l, &PyDict_Type, &mc, &m,
                          &PyDict_Type, &ac, &a, &PyList_Type, &tt, &t, &PyTuple_Type, &h))
        return NULL;
    df_ready = 0;
    for (int i = 0; i < DK_N; i++)
        if (dk[i] == NULL && (dk[i] = PyUnicode_InternFromString(dk_names[i])) == NULL)
            return NULL;
    if (PyTuple_GET_SIZE(h) != 256 || PyList_GET_SIZE(tt) != 0x1000
        || !df_offsets((PyTypeObject *)p, dp_names, DP_N, dp_off) || !df_offsets((PyTypeObject *)l, dl_names, DL_N, dl_off))
        Py_RETURN_FALSE;
    PyObject *keep[9] = {p, l, mc, m, ac, a, tt, t, h};
    PyObject **slot[9] = {(PyObject **)&df_packet, (PyObject **)&df_layer, &df_mac_cache, &df_macs, &df_addr_cache,
                          &df_addrs, &df_templates, &df_template, &df_hex2};
    for (int i = 0; i < 9; i++) {
        Py_INCREF(keep[i]);
        Py_XSETREF(*slot[i], keep[i]);
    }
    df_ready = 1;
    Py_RETURN_TRUE;
}

/* a new "0x%04x" text */
static PyObject *df_hex4(unsigned v) {
    static const char digits[] = "0123456789abcdef";
    char b[6] = {'0', 'x', digits[(v >> 12) & 15], digits[(v >> 8) & 15], digits[(v >> 4) & 15], digits[v & 15]};
    return PyUnicode_FromStringAndSize(b, 6);
}

/* the one's-complement sum of ``n`` bytes (an odd last byte padded), as a residue-preserving 64-bit total */
static uint64_t df_sum(const unsigned char *p, Py_ssize_t n) {
    uint64_t s = 0;
    Py_ssize_t i = 0;
    for (; i + 1 < n; i += 2)
        s += (uint64_t)p[i] << 8 | p[i + 1];
    if (i < n)
        s += (uint64_t)p[i] << 8;
    return s;
}

/* the text pair of ``key`` in ``cache``, else ``fill(key)``'s; a new reference, NULL with an error or when
 * the value is not a 2-tuple (then no error: the caller declines) */
static PyObject *df_pair(PyObject *cache, PyObject *fill, const unsigned char *p, Py_ssize_t n) {
    PyObject *key = PyBytes_FromStringAndSize((const char *)p, n);
    if (key == NULL)
        return NULL;
    PyObject *v = PyDict_GetItemWithError(cache, key);
    if (v != NULL)
        Py_INCREF(v);
    else if (!PyErr_Occurred())
        v = PyObject_CallOneArg(fill, key);
    Py_DECREF(key);
    if (v != NULL && (!PyTuple_CheckExact(v) || PyTuple_GET_SIZE(v) != 2)) {
        Py_DECREF(v);
        return NULL;
    }
    return v;
}

static int df_set(PyObject *d, int k, PyObject *v) {
    if (v == NULL)
        return -1;
    int r = PyDict_SetItem(d, dk[k], v);
    Py_DECREF(v);
    return r;
}

static int df_seti(PyObject *d, int k, long long v) { return df_set(d, k, PyLong_FromLongLong(v)); }

static int df_setr(PyObject *d, int k, PyObject *v) {  /* a borrowed value */
    return PyDict_SetItem(d, dk[k], v);
}

static PyObject *df_list2(PyObject *a, PyObject *b) {
    PyObject *l = PyList_New(2);
    if (l == NULL)
        return NULL;
    Py_INCREF(a);
    Py_INCREF(b);
    PyList_SET_ITEM(l, 0, a);
    PyList_SET_ITEM(l, 1, b);
    return l;
}

static PyObject *df_new_layer(int name, long long offset, long long length, PyObject *fields) {
    PyObject *o = df_layer->tp_alloc(df_layer, 0);
    if (o == NULL)
        return NULL;
    PyObject *off = PyLong_FromLongLong(offset), *len = PyLong_FromLongLong(length);
    if (off == NULL || len == NULL) {
        Py_XDECREF(off);
        Py_XDECREF(len);
        Py_DECREF(o);
        return NULL;
    }
    Py_INCREF(dk[name]);
    Py_INCREF(fields);
    SLOT(o, dl_off[DL_name]) = dk[name];
    SLOT(o, dl_off[DL_offset]) = off;
    SLOT(o, dl_off[DL_length]) = len;
    SLOT(o, dl_off[DL_fields]) = fields;
    return o;
}

/* TCP options other than NOP,NOP,Timestamps first, walked as decode/tcp.py's _options walks them: NOP, EOL with
 * zero padding after it, and MSS, window scale (shift <= 14), SACK permitted, timestamps each once with its
 * length; 0 (decline) for anything else, or anything _options would note */
enum { OE_MSS, OE_WS, OE_SP, OE_TS };
struct df_opts {
    int nk, nl, ne, ev[4];
    unsigned char kinds[40], lens[40];
    uint32_t mss, shift, tsval, tsecr;
};

static uint32_t df_u32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int df_walk(const unsigned char *p, Py_ssize_t n, struct df_opts *o) {
    int seen = 0;
    Py_ssize_t i = 0;
    o->nk = o->nl = o->ne = 0;
    if (n > 40)
        return 0;
    while (i < n) {
        int kind = p[i], e, want;
        if (kind == 1) {
            o->kinds[o->nk++] = 1;
            i++;
            continue;
        }
        if (kind == 0) {
            for (Py_ssize_t j = i + 1; j < n; j++)
                if (p[j])
                    return 0;
            for (; i < n; i++)
                o->kinds[o->nk++] = 0;
            break;
        }
        if (i + 1 >= n)
            return 0;
        int len = p[i + 1];
        if (len < 2 || i + len > n)
            return 0;
        switch (kind) {
        case 2: e = OE_MSS; want = 4; break;
        case 3: e = OE_WS; want = 3; break;
        case 4: e = OE_SP; want = 2; break;
        case 8: e = OE_TS; want = 10; break;
        default: return 0;
        }
        if (len != want || seen & (1 << e))
            return 0;
        seen |= 1 << e;
        if (e == OE_MSS)
            o->mss = p[i + 2] << 8 | p[i + 3];
        else if (e == OE_WS) {
            o->shift = p[i + 2];
            if (o->shift > 14)
                return 0;
        } else if (e == OE_TS) {
            o->tsval = df_u32(p + i + 2);
            o->tsecr = df_u32(p + i + 6);
        }
        o->kinds[o->nk++] = kind;
        o->lens[o->nl++] = len;
        o->ev[o->ne++] = e;
        i += len;
    }
    return 1;
}

/* a list of the ``n`` ints, or the one int when n is 1 (_options' ``kinds if len(kinds) > 1 else kinds[0]``) */
static PyObject *df_ints(const unsigned char *v, int n) {
    if (n == 1)
        return PyLong_FromLong(v[0]);
    PyObject *l = PyList_New(n);
    if (l == NULL)
        return NULL;
    for (int i = 0; i < n; i++)
        PyList_SET_ITEM(l, i, PyLong_FromLong(v[i]));   /* small ints: cached, never NULL */
    return l;
}

static PyObject *df_hex(const unsigned char *p, Py_ssize_t n) {
    static const char digits[] = "0123456789abcdef";
    char hx[80];
    for (Py_ssize_t i = 0; i < n; i++) {
        hx[2 * i] = digits[p[i] >> 4];
        hx[2 * i + 1] = digits[p[i] & 15];
    }
    return PyUnicode_FromStringAndSize(hx, 2 * n);
}

static PyObject *decode_fast(PyObject *self, PyObject *frame) {
    if (!df_ready)
        Py_RETURN_NONE;
    PyObject *number = NULL, *origlen_o = NULL, *caplen_o = NULL, *data = NULL, *o = NULL;
    PyObject *ff = NULL, *ef = NULL, *ipf = NULL, *tf = NULL, *macs = NULL, *addrs = NULL, *pkt = NULL;
    PyObject *layers = NULL, *result = NULL, *ports = NULL, *iface = NULL;
    long long lt, ts, origlen, caplen, hl = 0, sport, dport, poff;
    int udp_len = 0, ucksum = 0, ts_opts = 0;
    struct df_opts opts;
    /* -- the frame: Ethernet, bytes; its interface (pcapng) and the interface's name */
    if ((iface = PyObject_GetAttr(frame, dk[DK_a_iface])) == NULL)
        goto error;
    if (iface != Py_None) {
        if ((o = PyObject_GetAttr(frame, dk[DK_a_iface_name])) == NULL)
            goto error;
        if (o == Py_None || !PyObject_IsTrue(o)) {   /* frame_layer's ``iface_name or "unknown"`` */
            if (PyErr_Occurred())
                goto error;
            Py_DECREF(o);
            Py_INCREF(dk[DK_unknown]);
            o = dk[DK_unknown];
        }
    }
    if (attr_int(frame, dk[DK_a_linktype], &lt) || lt != 1 || attr_int(frame, dk[DK_a_ts_ns], &ts) || ts < 0)
        goto none;
    if ((number = PyObject_GetAttr(frame, dk[DK_a_number])) == NULL
        || (origlen_o = PyObject_GetAttr(frame, dk[DK_a_origlen])) == NULL
        || (caplen_o = PyObject_GetAttr(frame, dk[DK_a_caplen])) == NULL
        || (data = PyObject_GetAttr(frame, dk[DK_a_data])) == NULL)
        goto error;
    if (!PyBytes_CheckExact(data) || int_of(origlen_o, &origlen) || int_of(caplen_o, &caplen))
        goto none;
    const unsigned char *d = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t n = PyBytes_GET_SIZE(data);
    if (caplen != n || n < 34 || (d[12] << 8 | d[13]) != 0x0800)
        goto none;
    /* -- IPv4 at 14 */
    const unsigned char *ip = d + 14;
    int tos = ip[1], total = ip[2] << 8 | ip[3], frag = ip[6] << 8 | ip[7], proto = ip[9];
    if (ip[0] != 0x45 || total < 20 || frag & 0x3FFF || 14 + total > n || 14 + total > origlen
        || (proto != 6 && proto != 17) || df_sum(ip, 20) % 0xFFFF != 0)
        goto none;
    Py_ssize_t t = 34, end = 14 + total;
    const unsigned char *p = d + t;
    uint64_t pseudo = df_sum(ip + 12, 8);
    if (proto == 6) {
        if (end - t < 20)
            goto none;
        hl = (p[12] >> 4) << 2;
        if (hl < 20 || t + hl > end)
            goto none;
        ts_opts = hl == 32 && memcmp(p + 20, "\x01\x01\x08\x0a", 4) == 0;
        if ((hl > 20 && !ts_opts && !df_walk(p + 20, hl - 20, &opts))
            || (df_sum(p, end - t) + pseudo + 6 + (uint64_t)(end - t)) % 0xFFFF != 0)
            goto none;
    } else {
        if (end - t < 8)
            goto none;
        udp_len = p[4] << 8 | p[5];
        ucksum = p[6] << 8 | p[7];
        if (udp_len < 8 || t + udp_len > end)
            goto none;
        end = t + udp_len;
        if (ucksum != 0 && (df_sum(p, end - t) + pseudo + 17 + (uint64_t)udp_len) % 0xFFFF != 0)
            goto none;
    }
    /* -- the texts from the caches */
    if ((macs = df_pair(df_mac_cache, df_macs, d, 12)) == NULL || (addrs = df_pair(df_addr_cache, df_addrs, ip + 12, 8)) == NULL)
        goto error_or_none;
    /* -- frame */
    char tb[48];
    int tn = snprintf(tb, sizeof tb, "%lld.%09lld", ts / 1000000000LL, ts % 1000000000LL);
    if ((ff = _PyDict_NewPresized(6)) == NULL || df_setr(ff, DK_number, number)
        || df_set(ff, DK_epoch, PyUnicode_FromStringAndSize(tb, tn)) || df_setr(ff, DK_len, origlen_o)
        || df_setr(ff, DK_caplen, caplen_o))
        goto error;
    if (iface != Py_None && (df_setr(ff, DK_iface_id, iface) || df_setr(ff, DK_iface_name, o)))
        goto error;
    /* -- eth */
    PyObject *mdst = PyTuple_GET_ITEM(macs, 0), *msrc = PyTuple_GET_ITEM(macs, 1);
    if ((ef = _PyDict_NewPresized(4)) == NULL || df_setr(ef, DK_eth_dst, mdst) || df_setr(ef, DK_eth_src, msrc)
        || df_set(ef, DK_eth_addr, df_list2(mdst, msrc)) || df_setr(ef, DK_eth_type, dk[DK_0800]))
        goto error;
    /* -- ip */
    PyObject *src = PyTuple_GET_ITEM(addrs, 0), *dst = PyTuple_GET_ITEM(addrs, 1);
    if ((ipf = _PyDict_NewPresized(19)) == NULL || df_seti(ipf, DK_ip_version, 4) || df_seti(ipf, DK_ip_hdr_len, 20)
        || df_setr(ipf, DK_ip_ds, PyTuple_GET_ITEM(df_hex2, tos)) || df_seti(ipf, DK_ip_dscp, tos >> 2)
        || df_seti(ipf, DK_ip_ecn, tos & 3) || df_seti(ipf, DK_ip_len, total)
        || df_set(ipf, DK_ip_id, df_hex4(ip[4] << 8 | ip[5]))
        || df_setr(ipf, DK_ip_flags, PyTuple_GET_ITEM(df_hex2, frag >> 13)) || df_seti(ipf, DK_ip_rb, frag >> 15)
        || df_seti(ipf, DK_ip_df, (frag >> 14) & 1) || df_seti(ipf, DK_ip_mf, 0) || df_seti(ipf, DK_ip_frag, 0)
        || df_seti(ipf, DK_ip_ttl, ip[8]) || df_seti(ipf, DK_ip_proto, proto)
        || df_set(ipf, DK_ip_cksum, df_hex4(ip[10] << 8 | ip[11])) || df_setr(ipf, DK_ip_status, dk[DK_good])
        || df_setr(ipf, DK_ip_src, src) || df_set(ipf, DK_ip_addr, df_list2(src, dst)) || df_setr(ipf, DK_ip_dst, dst))
        goto error;
    /* -- transport */
    sport = p[0] << 8 | p[1];
    dport = p[2] << 8 | p[3];
    if ((ports = PyList_New(2)) == NULL)
        goto error;
    PyList_SET_ITEM(ports, 0, PyLong_FromLongLong(sport));
    PyList_SET_ITEM(ports, 1, PyLong_FromLongLong(dport));
    if (PyList_GET_ITEM(ports, 0) == NULL || PyList_GET_ITEM(ports, 1) == NULL)
        goto error;
    if (proto == 6) {
        int flags = (p[12] & 0x0F) << 8 | p[13];
        PyObject *tmpl = PyList_GET_ITEM(df_templates, flags);
        if (tmpl == Py_None) {
            PyObject *fl = PyLong_FromLong(flags);
            tmpl = fl == NULL ? NULL : PyObject_CallOneArg(df_template, fl);
            Py_XDECREF(fl);
            if (tmpl == NULL)
                goto error;
            Py_DECREF(tmpl);
            tmpl = PyList_GET_ITEM(df_templates, flags);
        }
        if (!PyDict_CheckExact(tmpl) || PyDict_GET_SIZE(tmpl) != 21)
            goto none;
        poff = t + hl;
        if ((tf = PyDict_Copy(tmpl)) == NULL || df_setr(tf, DK_t_sport, PyList_GET_ITEM(ports, 0))
            || df_setr(tf, DK_t_dport, PyList_GET_ITEM(ports, 1)) || df_setr(tf, DK_t_port, ports)
            || df_set(tf, DK_t_seq, PyLong_FromUnsignedLong((uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7]))
            || df_set(tf, DK_t_ack, PyLong_FromUnsignedLong((uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11]))
            || df_seti(tf, DK_t_hdr_len, hl) || df_seti(tf, DK_t_win, p[14] << 8 | p[15])
            || df_set(tf, DK_t_cksum, df_hex4(p[16] << 8 | p[17])) || df_seti(tf, DK_t_urg, p[18] << 8 | p[19])
            || df_seti(tf, DK_t_len, end - poff) || df_setr(tf, DK_t_status, dk[DK_good]))
            goto error;
        if (ts_opts) {     /* tcp.py's NOP,NOP,Timestamps branch, in its order */
            static const unsigned char nnt[3] = {1, 1, 8};
            if (df_set(tf, DK_t_opts, df_hex(p + 20, 12)) || df_set(tf, DK_t_kind, df_ints(nnt, 3))
                || df_seti(tf, DK_t_olen, 10) || df_set(tf, DK_t_tsval, PyLong_FromUnsignedLong(df_u32(p + 24)))
                || df_set(tf, DK_t_tsecr, PyLong_FromUnsignedLong(df_u32(p + 28))))
                goto error;
        } else if (hl > 20) {   /* _options' order: the hex, each option's fields as met, kinds, lengths */
            if (df_set(tf, DK_t_opts, df_hex(p + 20, hl - 20)))
                goto error;
            for (int i = 0; i < opts.ne; i++) {
                int bad = 0;
                switch (opts.ev[i]) {
                case OE_MSS: bad = df_seti(tf, DK_t_mss, opts.mss); break;
                case OE_WS:
                    bad = df_seti(tf, DK_t_shift, opts.shift) || df_seti(tf, DK_t_mult, 1LL << opts.shift);
                    break;
                case OE_SP: bad = df_set(tf, DK_t_sperm, PyUnicode_FromString("0402")); break;
                case OE_TS:
                    bad = df_set(tf, DK_t_tsval, PyLong_FromUnsignedLong(opts.tsval))
                          || df_set(tf, DK_t_tsecr, PyLong_FromUnsignedLong(opts.tsecr));
                    break;
                }
                if (bad)
                    goto error;
            }
            if (df_set(tf, DK_t_kind, df_ints(opts.kinds, opts.nk))
                || (opts.nl && df_set(tf, DK_t_olen, df_ints(opts.lens, opts.nl))))
                goto error;
        }
    } else {
        poff = t + 8;
        hl = 8;
        if ((tf = _PyDict_NewPresized(6)) == NULL || df_setr(tf, DK_u_sport, PyList_GET_ITEM(ports, 0))
            || df_setr(tf, DK_u_dport, PyList_GET_ITEM(ports, 1)) || df_setr(tf, DK_u_port, ports)
            || df_seti(tf, DK_u_length, udp_len) || df_set(tf, DK_u_cksum, df_hex4(ucksum))
            || df_setr(tf, DK_u_status, ucksum ? dk[DK_good] : dk[DK_not_present]))
            goto error;
    }
    /* -- the packet and its layers */
    if ((layers = PyList_New(4)) == NULL)
        goto error;
    int names[4] = {DK_frame, DK_eth, DK_ip, proto == 6 ? DK_tcp : DK_udp};
    long long offs[4] = {0, 0, 14, t}, lens[4] = {0, 14, 20, hl};
    PyObject *fds[4] = {ff, ef, ipf, tf};
    for (int i = 0; i < 4; i++) {
        PyObject *layer = df_new_layer(names[i], offs[i], lens[i], fds[i]);
        if (layer == NULL)
            goto error;
        PyList_SET_ITEM(layers, i, layer);
    }
    PyObject *notes = PyList_New(0), *span = Py_BuildValue("(nn)", (Py_ssize_t)poff, end);
    if (notes == NULL || span == NULL || (pkt = df_packet->tp_alloc(df_packet, 0)) == NULL) {
        Py_XDECREF(notes);
        Py_XDECREF(span);
        goto error;
    }
    Py_INCREF(frame);
    Py_INCREF(Py_None);
    Py_INCREF(Py_None);
    SLOT(pkt, dp_off[DP_frame]) = frame;
    SLOT(pkt, dp_off[DP_layers]) = layers;
    layers = NULL;
    SLOT(pkt, dp_off[DP_failure]) = Py_None;
    SLOT(pkt, dp_off[DP_notes]) = notes;
    SLOT(pkt, dp_off[DP_payload]) = span;
    SLOT(pkt, dp_off[DP_flat]) = Py_None;
    if (end <= poff) {
        result = pkt;
        pkt = NULL;
    } else
        result = Py_BuildValue("(NO(ll)nn)", pkt, dk[proto == 6 ? DK_tcp_port : DK_udp_port],
                               sport <= dport ? sport : dport, sport <= dport ? dport : sport, (Py_ssize_t)poff, end),
        pkt = NULL;
    goto done;
error_or_none:
    if (!PyErr_Occurred())
        goto none;
error:
    result = NULL;
    goto done;
none:
    Py_INCREF(Py_None);
    result = Py_None;
done:
    Py_XDECREF(o);
    Py_XDECREF(iface);
    Py_XDECREF(number);
    Py_XDECREF(origlen_o);
    Py_XDECREF(caplen_o);
    Py_XDECREF(data);
    Py_XDECREF(macs);
    Py_XDECREF(addrs);
    Py_XDECREF(ff);
    Py_XDECREF(ef);
    Py_XDECREF(ipf);
    Py_XDECREF(tf);
    Py_XDECREF(layers);
    Py_XDECREF(ports);
    Py_XDECREF(pkt);
    return result;
}

/* read_joined_pool(tail, readinto, n, pool) -> bytes
 *   read_joined(tail, readinto, n)'s bytes, written into a bytes object of ``pool`` that nothing refers to any
 *   more, when there is one with room: ``pool`` is a list the caller keeps for the reads of one file, of
 *   (bytes, room) pairs; a pair's bytes whose only reference is the pair's (no batch, view, array or slice of
 *   it left: each of those holds a reference) is no longer seen by anyone, and its contents and length are
 *   replaced (its cached hash reset). Otherwise a new bytes object with room for n + POOL_SLACK bytes is made
 *   and, while the pool holds fewer than 2, added to it. The point: the same two batch buffers again and
 *   again, not a new 4 MiB block per batch (those blocks, freed among long-lived small objects, left the heap
 *   fragmented: ~10 MiB of peak RSS at 1M frames). analyzer.capture.batches._joiner uses it; read_joined (and
 *   its Python fallback) give the same bytes (tests/test_columnar_join.py). */
#define POOL_SLACK (16 + 262144)
static PyObject *read_joined_pool(PyObject *self, PyObject *args) {
    Py_buffer tail;
    PyObject *readinto, *pool;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "y*OnO!", &tail, &readinto, &n, &PyList_Type, &pool))
        return NULL;
    if (n < 0 || n > PY_SSIZE_T_MAX - POOL_SLACK - 1 || tail.len > PY_SSIZE_T_MAX - n) {
        PyBuffer_Release(&tail);
        PyErr_SetString(PyExc_ValueError, "read_joined_pool: bad length");
        return NULL;
    }
    PyObject *out = NULL;
    Py_ssize_t np_ = PyList_GET_SIZE(pool);
    for (Py_ssize_t i = 0; i < np_; i++) {
        PyObject *pair = PyList_GET_ITEM(pool, i);
        if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2)
            continue;
        PyObject *b = PyTuple_GET_ITEM(pair, 0);
        Py_ssize_t room = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 1));
        if (room == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            continue;
        }
        if (PyBytes_CheckExact(b) && Py_REFCNT(b) == 1 && tail.len + n <= room) {
            out = b;
            Py_INCREF(out);
            break;
        }
    }
    if (out == NULL) {
        Py_ssize_t room = tail.len + n > n + POOL_SLACK ? tail.len + n : n + POOL_SLACK;
        out = PyBytes_FromStringAndSize(NULL, room);
        if (out == NULL) {
            PyBuffer_Release(&tail);
            return NULL;
        }
        if (np_ < 2 && room == n + POOL_SLACK) {
            PyObject *pair = Py_BuildValue("(On)", out, room);
            if (pair == NULL || PyList_Append(pool, pair) < 0) {
                Py_XDECREF(pair);
                Py_DECREF(out);
                PyBuffer_Release(&tail);
                return NULL;
            }
            Py_DECREF(pair);
        }
    }
    char *p = PyBytes_AS_STRING(out);
    memcpy(p, tail.buf, tail.len);
    Py_ssize_t keep = tail.len;
    PyBuffer_Release(&tail);
    Py_SET_SIZE(out, keep);         /* (until the read is done: nothing past the tail is valid) */
    p[keep] = 0;
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
    ((PyBytesObject *)out)->ob_shash = -1;      /* (a hash cached for its old contents) */
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
    Py_ssize_t k = readinto_span(readinto, p + keep, n, "read_joined_pool");
    if (k < 0) {
        Py_DECREF(out);
        return NULL;
    }
    Py_SET_SIZE(out, keep + k);
    p[keep + k] = 0;
    return out;
}

/* flat_fields(layers) -> dict | None
 *   decode.packet.Packet.fields' fast path in C: one dict updated with each layer's field dict in turn, given
 *   when no field name occurs in two layers (its size is then the sum of theirs); None when one does, or a
 *   layer is not a Layer (decode_setup's) with an exact dict of fields, or decode_setup was not run: the
 *   Python then merges. tests/test_decode_fast.py holds the two equal. */
static PyObject *flat_fields(PyObject *self, PyObject *layers) {
    if (!df_ready || !PyList_CheckExact(layers))
        Py_RETURN_NONE;
    Py_ssize_t n = 0, total = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(layers); i++) {
        PyObject *layer = PyList_GET_ITEM(layers, i);
        if (!PyObject_TypeCheck(layer, df_layer))
            Py_RETURN_NONE;
        PyObject *f = SLOT(layer, dl_off[DL_fields]);
        if (f == NULL || !PyDict_CheckExact(f))
            Py_RETURN_NONE;
        total += PyDict_GET_SIZE(f);
    }
    PyObject *flat = _PyDict_NewPresized(total);    /* no resize while the layers' fields go in */
    if (flat == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(layers); i++) {
        PyObject *f = SLOT(PyList_GET_ITEM(layers, i), dl_off[DL_fields]);
        if (PyDict_Update(flat, f) < 0) {
            Py_DECREF(flat);
            return NULL;
        }
        n += PyDict_GET_SIZE(f);
    }
    if (PyDict_GET_SIZE(flat) != n)
        goto none;
    return flat;
none:
    Py_DECREF(flat);
    Py_RETURN_NONE;
}

/* http_head(data, pos, client, lean, keep_lines, max_head_size) -> tuple or None
 *
 * The head of an HTTP/1.x message at data[pos:] (``data`` a bytes-like object: the parser's receive buffer),
 * read in one pass where it is plain: analyzer.apps.http.parser.HttpStreamParser._step_head's fast path. It
 * gives back (length, a, b, version, fields, lines, flags, content_length):
 *   length          the head's bytes, start line to the empty line that ends it (CRLF CRLF) included;
 *   a, b            the method and target (``client``) or the status (int) and reason phrase, as str
 *                   (ISO-8859-1, as readers.parse_request_line/parse_status_line give them);
 *   version         "HTTP/1.x";
 *   fields          a list of (name, value) str pairs, as readers.parse_fields gives them; ``lean``: only those
 *                   readers.framing_fields gives (the names of FRAMING_FIELDS, lowercase);
 *   lines           readers.raw_lines of the head (each header line with its CRLF), () unless ``keep_lines``;
 *   flags           1 Transfer-Encoding present, 2 Content-Length, 4 Upgrade, 8 Content-Encoding (any case);
 *   content_length  the value of the one Content-Length field when it is 1 to 18 ASCII digits, else -1.
 * None, and the Python path decides (the same bytes then take it from the start), for every head that is not
 * plain: not whole in ``data`` yet, longer than ``max_head_size``, any line ending that is not CRLF (bare LF, a
 * CR alone), a control byte other than HTAB in a line, a start line that the strict patterns of readers.py
 * (REQUEST_LINE, STATUS_LINE) do not match whole or whose version is not HTTP/1.x, obsolete line folding, a
 * header line without a colon, with blanks before its colon or with a name that is not a token. The caller
 * checks that the method is one of readers.KNOWN_METHODS (any other takes the Python path too: its note).
 * tests/test_http_head_fast.py compares it with the Python path. */
static const unsigned char hh_tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1, ['-'] = 1,
    ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1,
    ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

#define HH_TE 1
#define HH_CL 2
#define HH_UPGRADE 4
#define HH_CE 8
#define HH_CT 16    /* content-type: a framing field for lean heads, no flag given back */

static PyObject *hh_versions[10];
static PyObject *hh_names[5];      /* the lowercase names of the framing fields, by their bit's index */

/* Which framing field ``name`` is (HH_* bit), 0 for any other; ASCII case-insensitive. */
static int hh_framing(const unsigned char *name, Py_ssize_t n) {
    static const char *const keys[5] = {"transfer-encoding", "content-length", "upgrade", "content-encoding",
                                        "content-type"};
    static const Py_ssize_t lens[5] = {17, 14, 7, 16, 12};
    for (int k = 0; k < 5; k++) {
        if (n != lens[k])
            continue;
        const char *key = keys[k];
        Py_ssize_t i = 0;
        while (i < n && (name[i] | 0x20) == (unsigned char)key[i])
            i++;
        if (i == n)
            return 1 << k;
    }
    return 0;
}

/* The end (index after its LF) of the plain head at p[0:n], or -1 when there is none (see above). */
static Py_ssize_t hh_scan(const unsigned char *p, Py_ssize_t n) {
    Py_ssize_t i = 0;
    int line_start = 1;
    for (; i < n; i++) {
        unsigned char c = p[i];
        if (c >= 0x20 || c == '\t') {
            line_start = 0;
            continue;
        }
        if (c != '\r' || i + 1 >= n || p[i + 1] != '\n')
            return -1;          /* a control byte, a CR alone, a bare LF, or a line not whole yet */
        i++;
        if (line_start)
            return i + 1;       /* the empty line */
        line_start = 1;
    }
    return -1;
}

static int hh_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* The head at p[0:n] (n capped at the size limit), as http_head gives it. */
static PyObject *hh_read(const unsigned char *p, Py_ssize_t n, int client, int lean, int keep_lines) {
    Py_ssize_t length = hh_scan(p, n);
    if (length < 0)
        Py_RETURN_NONE;

    /* the start line: p[0:eol], without its CRLF */
    Py_ssize_t eol = 0;
    while (p[eol] != '\r')
        eol++;
    Py_ssize_t i = 0, a0, a1, b0, b1;
    int major, minor, status = 0;
    if (client) {
        /* REQUEST_LINE: tchar{1,32} SP+ target SP+ HTTP/d.d [ \t]* */
        while (i < eol && hh_tchar[p[i]])
            i++;
        if (i < 1 || i > 32 || i >= eol || p[i] != ' ')
            Py_RETURN_NONE;
        a0 = 0, a1 = i;
        while (i < eol && p[i] == ' ')
            i++;
        b0 = i;
        while (i < eol && p[i] > 0x20 && p[i] != 0x7f)
            i++;
        b1 = i;
        if (b1 == b0 || i >= eol || p[i] != ' ')
            Py_RETURN_NONE;
        while (i < eol && p[i] == ' ')
            i++;
        if (eol - i < 8 || memcmp(p + i, "HTTP/", 5) != 0 || !hh_digit(p[i + 5]) || p[i + 6] != '.'
            || !hh_digit(p[i + 7]))
            Py_RETURN_NONE;
        major = p[i + 5], minor = p[i + 7];
        i += 8;
        while (i < eol && (p[i] == ' ' || p[i] == '\t'))
            i++;
        if (i != eol)
            Py_RETURN_NONE;
    } else {
        /* STATUS_LINE: HTTP/d.d SP+ ddd ( [ \t]+ reason | [ \t]* ) */
        if (eol < 12 || memcmp(p, "HTTP/", 5) != 0 || !hh_digit(p[5]) || p[6] != '.' || !hh_digit(p[7])
            || p[8] != ' ')
            Py_RETURN_NONE;
        major = p[5], minor = p[7];
        i = 8;
        while (i < eol && p[i] == ' ')
            i++;
        if (eol - i < 3 || !hh_digit(p[i]) || !hh_digit(p[i + 1]) || !hh_digit(p[i + 2]))
            Py_RETURN_NONE;
        status = (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
        i += 3;
        a0 = a1 = 0;
        if (i < eol && p[i] != ' ' && p[i] != '\t')
            Py_RETURN_NONE;
        while (i < eol && (p[i] == ' ' || p[i] == '\t'))
            i++;
        b0 = i, b1 = eol;
    }
    if (major != '1')
        Py_RETURN_NONE;

    /* the header lines: check them all before making anything */
    Py_ssize_t ls = eol + 2;
    while (ls < length - 2) {
        Py_ssize_t le = ls;
        while (p[le] != '\r')
            le++;
        if (p[ls] == ' ' || p[ls] == '\t')
            Py_RETURN_NONE;         /* obsolete line folding, or blanks before the first field */
        Py_ssize_t k = ls;
        while (k < le && hh_tchar[p[k]])
            k++;
        if (k == ls || k == le || p[k] != ':')
            Py_RETURN_NONE;         /* no name, no colon, blanks before it, or a byte no name has */
        ls = le + 2;
    }

    PyObject *fields = PyList_New(0), *lines = NULL, *a = NULL, *b = NULL, *out = NULL;
    if (fields == NULL)
        return NULL;
    Py_ssize_t nlines = 0;
    int flags = 0, cl_count = 0;
    long long clen = -1;
    ls = eol + 2;
    while (ls < length - 2) {
        Py_ssize_t le = ls, k = ls;
        while (p[le] != '\r')
            le++;
        nlines++;
        while (p[k] != ':')
            k++;
        int which = hh_framing(p + ls, k - ls);
        flags |= which;
        Py_ssize_t v0 = k + 1, v1 = le;
        while (v0 < v1 && (p[v0] == ' ' || p[v0] == '\t'))
            v0++;
        while (v1 > v0 && (p[v1 - 1] == ' ' || p[v1 - 1] == '\t'))
            v1--;
        if (which == HH_CL) {
            cl_count++;
            clen = -1;
            if (v1 > v0 && v1 - v0 <= 18) {
                long long v = 0;
                Py_ssize_t d = v0;
                for (; d < v1 && hh_digit(p[d]); d++)
                    v = v * 10 + (p[d] - '0');
                if (d == v1)
                    clen = v;
            }
        }
        if (!lean || which) {
            PyObject *name = lean ? Py_NewRef(hh_names[__builtin_ctz(which)])
                                  : PyUnicode_DecodeASCII((const char *)p + ls, k - ls, NULL);
            PyObject *value = name ? PyUnicode_DecodeLatin1((const char *)p + v0, v1 - v0, NULL) : NULL;
            PyObject *pair = value ? PyTuple_Pack(2, name, value) : NULL;
            Py_XDECREF(name);
            Py_XDECREF(value);
            if (pair == NULL || PyList_Append(fields, pair) < 0) {
                Py_XDECREF(pair);
                goto fail;
            }
            Py_DECREF(pair);
        }
        ls = le + 2;
    }
    if (cl_count != 1)
        clen = -1;
    flags &= HH_TE | HH_CL | HH_UPGRADE | HH_CE;
    lines = PyTuple_New(keep_lines ? nlines : 0);
    if (lines == NULL)
        goto fail;
    if (keep_lines) {
        Py_ssize_t j = 0;
        ls = eol + 2;
        while (ls < length - 2) {
            Py_ssize_t le = ls;
            while (p[le] != '\r')
                le++;
            PyObject *line = PyUnicode_DecodeLatin1((const char *)p + ls, le + 2 - ls, NULL);
            if (line == NULL)
                goto fail;
            PyTuple_SET_ITEM(lines, j++, line);
            ls = le + 2;
        }
    }
    if (client) {
        a = PyUnicode_DecodeASCII((const char *)p + a0, a1 - a0, NULL);
    } else {
        a = PyLong_FromLong(status);
    }
    b = PyUnicode_DecodeLatin1((const char *)p + b0, b1 - b0, NULL);
    if (a == NULL || b == NULL)
        goto fail;
    PyObject *version = hh_versions[minor - '0'];
    if (version == NULL) {
        version = PyUnicode_FromFormat("HTTP/1.%c", minor);
        if (version == NULL)
            goto fail;
        hh_versions[minor - '0'] = version;
    }
    out = Py_BuildValue("(nNNONNiL)", length, a, b, version, fields, lines, flags, clen);
    return out;
fail:
    Py_XDECREF(a);
    Py_XDECREF(b);
    Py_XDECREF(lines);
    Py_DECREF(fields);
    return NULL;
}

static PyObject *http_head(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "http_head takes 6 arguments");
        return NULL;
    }
    if (hh_names[0] == NULL) {
        static const char *const keys[5] = {"transfer-encoding", "content-length", "upgrade", "content-encoding",
                                            "content-type"};
        for (int k = 0; k < 5; k++)
            if ((hh_names[k] = PyUnicode_InternFromString(keys[k])) == NULL)
                return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    if (pos == -1 && PyErr_Occurred())
        return NULL;
    Py_ssize_t max_head = PyLong_AsSsize_t(args[5]);
    if (max_head == -1 && PyErr_Occurred())
        return NULL;
    int client = PyObject_IsTrue(args[2]), lean = PyObject_IsTrue(args[3]), keep_lines = PyObject_IsTrue(args[4]);
    if (client < 0 || lean < 0 || keep_lines < 0)
        return NULL;
    /* through a buffer view: the bytearray cannot be resized while the strings are made (an allocation may run a
     * finalizer) */
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    PyObject *out;
    if (pos < 0 || pos > view.len || max_head < 0) {
        out = Py_NewRef(Py_None);
    } else {
        Py_ssize_t n = view.len - pos;
        out = hh_read((const unsigned char *)view.buf + pos, n > max_head ? max_head : n, client, lean, keep_lines);
    }
    PyBuffer_Release(&view);
    return out;
}

/* the bytes data[start:end] as Python slices them (negative ends counted from the end, then clamped) */
static PyObject *we_slice(const char *p, Py_ssize_t len, long long start, long long end) {
    if (start < 0) {
        start += len;
        if (start < 0)
            start = 0;
    } else if (start > len) {
        start = len;
    }
    if (end < 0) {
        end += len;
        if (end < 0)
            end = 0;
    } else if (end > len) {
        end = len;
    }
    return PyBytes_FromStringAndSize(end > start ? p + start : "", end > start ? (Py_ssize_t)(end - start) : 0);
}

/* whole_enter(opts, data, nr, offs) -> None
 *   New whole records' option bytes entered as analyzer.columnar.whole.take enters them: for each i, opts[nr[i]] =
 *   (data[o + 20:o + h] if h > 20 else b"", data[o' + 20:o' + h'] if h' > 20 else b"") with (o, h, o', h') =
 *   offs[i] (the SYN's and the SYN-ACK's TCP header offset and length). nr: int64 array of n rows; offs: int64, n
 *   rows of 4; data: bytes. (Their endpoints go into the records' index, analyzer.columnar.pairs.) Its fallback
 *   is whole._enter_py (tests/test_columnar_enter.py holds them equal). */
static PyObject *whole_enter(PyObject *self, PyObject *args) {
    PyObject *opts;
    Py_buffer vd, vr, vo;
    if (!PyArg_ParseTuple(args, "O!y*y*y*", &PyList_Type, &opts, &vd, &vr, &vo))
        return NULL;
    PyObject *out = NULL;
    Py_ssize_t n = vr.len / 8;
    if (vr.len % 8 || vo.len != vr.len * 4) {
        PyErr_SetString(PyExc_ValueError, "whole_enter: the rows and offsets do not agree");
        goto done;
    }
    const int64_t *nr = vr.buf, *offs = vo.buf;
    const char *p = vd.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        long long r = nr[i];
        if (r < 0 || r >= PyList_GET_SIZE(opts)) {
            PyErr_SetString(PyExc_IndexError, "whole_enter: a row past the option list");
            goto done;
        }
        const int64_t *o = offs + i * 4;
        PyObject *o0 = o[1] > 20 ? we_slice(p, vd.len, o[0] + 20, o[0] + o[1]) : PyBytes_FromStringAndSize("", 0);
        PyObject *o1 = o[3] > 20 ? we_slice(p, vd.len, o[2] + 20, o[2] + o[3]) : PyBytes_FromStringAndSize("", 0);
        PyObject *pair = (o0 && o1) ? PyTuple_Pack(2, o0, o1) : NULL;
        Py_XDECREF(o0);
        Py_XDECREF(o1);
        if (pair == NULL)
            goto done;
        if (PyList_SetItem(opts, (Py_ssize_t)r, pair) < 0)     /* steals pair */
            goto done;
    }
    out = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&vd);
    PyBuffer_Release(&vr);
    PyBuffer_Release(&vo);
    return out;
}

/* tshark's relative seconds of ns (analysis.seconds: nine decimals, a minus sign before a negative one) */
static PyObject *wv_seconds(long long ns) {
    char buf[48];
    unsigned long long u = ns < 0 ? 0ULL - (unsigned long long)ns : (unsigned long long)ns;
    int len = snprintf(buf, sizeof buf, "%s%llu.%09llu", ns < 0 ? "-" : "", u / 1000000000ULL, u % 1000000000ULL);
    return PyUnicode_FromStringAndSize(buf, len);
}

/* whole_values(t, ncol, cols, addr, hist, consts) -> list
 *   analyzer.columnar.whole.Finished.values: the summary row values (whole.ROW_KEYS order) of the torn-down
 *   records whose table rows are t (int64, rows of ncol columns). cols: the column numbers of EA, EB, the
 *   SYN's time and frame, the ACK's time, the closer, packets/frame bytes/payload bytes each way, the
 *   closer's last ACK's frame and time, the history code; addr: global address id -> text; hist: history code
 *   -> the history text; consts: ("tcp", "SF", the closer names by side, the two endpoint states by closer
 *   (4), False, 0). Its fallback is Finished._values_py (tests/test_columnar_enter.py holds them equal). */
#define WV_NC 15
static PyObject *whole_values(PyObject *self, PyObject *args) {
    Py_buffer vt;
    Py_ssize_t ncol;
    PyObject *cols, *addr, *hist, *consts;
    if (!PyArg_ParseTuple(args, "y*nO!O!O!O!", &vt, &ncol, &PyTuple_Type, &cols, &PyList_Type, &addr, &PyDict_Type,
                          &hist, &PyTuple_Type, &consts))
        return NULL;
    PyObject *out = NULL;
    Py_ssize_t c[WV_NC];
    if (ncol <= 0 || vt.len % (ncol * 8) || PyTuple_GET_SIZE(cols) != WV_NC || PyTuple_GET_SIZE(consts) != 10) {
        PyErr_SetString(PyExc_ValueError, "whole_values: the table, columns and constants do not agree");
        goto done;
    }
    for (int j = 0; j < WV_NC; j++) {
        c[j] = PyLong_AsSsize_t(PyTuple_GET_ITEM(cols, j));
        if (c[j] == -1 && PyErr_Occurred())
            goto done;
        if (c[j] < 0 || c[j] >= ncol) {
            PyErr_SetString(PyExc_ValueError, "whole_values: a column past the table");
            goto done;
        }
    }
    Py_ssize_t n = vt.len / (ncol * 8);
    out = PyList_New(n);
    if (out == NULL)
        goto done;
    PyObject *k_tcp = PyTuple_GET_ITEM(consts, 0), *k_sf = PyTuple_GET_ITEM(consts, 1);
    PyObject *k_false = PyTuple_GET_ITEM(consts, 8), *k_zero = PyTuple_GET_ITEM(consts, 9);
    Py_ssize_t na = PyList_GET_SIZE(addr);
    for (Py_ssize_t i = 0; i < n; i++) {
        const int64_t *r = (const int64_t *)vt.buf + i * ncol;
        int64_t ea = r[c[0]], eb = r[c[1]], t0 = r[c[2]], n0 = r[c[3]], t2 = r[c[4]], cl = r[c[5]];
        int64_t ut = r[c[13]];
        if (cl != 0 && cl != 1) {
            PyErr_SetString(PyExc_ValueError, "whole_values: a closer that is neither side");
            goto fail;
        }
        if ((ea >> 16) < 0 || (ea >> 16) >= na || (eb >> 16) < 0 || (eb >> 16) >= na) {
            PyErr_SetString(PyExc_IndexError, "whole_values: an address id past the address list");
            goto fail;
        }
        PyObject *key = PyLong_FromLongLong(r[c[14]]);
        if (key == NULL)
            goto fail;
        PyObject *h = PyDict_GetItemWithError(hist, key);       /* borrowed */
        Py_DECREF(key);
        if (h == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_KeyError, "whole_values: a history code not in the history texts");
            goto fail;
        }
        PyObject *row = PyTuple_New(27);
        if (row == NULL)
            goto fail;
        PyList_SET_ITEM(out, i, row);
        PyObject *closer = PyTuple_GET_ITEM(consts, 2 + cl);
#define WV_SET(k, v) do { PyObject *v_ = (v); if (v_ == NULL) goto fail; PyTuple_SET_ITEM(row, k, v_); } while (0)
#define WV_REF(k, v) WV_SET(k, Py_NewRef(v))
        WV_REF(0, k_tcp);
        WV_REF(1, k_zero);
        WV_SET(2, wv_seconds(t0));
        WV_REF(3, PyList_GET_ITEM(addr, ea >> 16));
        WV_SET(4, PyLong_FromLongLong(ea & 0xFFFF));
        WV_REF(5, PyList_GET_ITEM(addr, eb >> 16));
        WV_SET(6, PyLong_FromLongLong(eb & 0xFFFF));
        WV_REF(7, k_sf);
        WV_REF(8, h);
        for (int j = 0; j < 6; j++)             /* packets, payload bytes, frame bytes: each way */
            WV_SET(9 + j, PyLong_FromLongLong(r[c[6 + j]]));
        WV_SET(15, wv_seconds(ut - t0));
        if (t0)
            WV_SET(16, wv_seconds(t2 - t0));
        else
            WV_REF(16, Py_None);
        WV_REF(17, closer);
        WV_REF(18, closer);
        WV_REF(19, PyTuple_GET_ITEM(consts, 4 + 2 * cl));
        WV_REF(20, PyTuple_GET_ITEM(consts, 5 + 2 * cl));
        WV_REF(21, k_false);
        WV_REF(22, k_false);
        WV_SET(23, PyLong_FromLongLong(n0));
        WV_SET(24, PyLong_FromLongLong(r[c[12]]));
        WV_SET(25, PyLong_FromLongLong(t0));
        WV_SET(26, PyLong_FromLongLong(ut));
#undef WV_SET
#undef WV_REF
    }
    goto done;
fail:
    Py_CLEAR(out);
done:
    PyBuffer_Release(&vt);
    return out;
}

/* d.pop(key, None); d[key] = value */
static int fp_put(PyObject *d, PyObject *key, PyObject *value) {
    int has = PyDict_Contains(d, key);
    if (has < 0 || (has && PyDict_DelItem(d, key) < 0))
        return -1;
    return PyDict_SetItem(d, key, value);
}

/* finished_pairs(newest, addr, ea, eb, b0, b1) -> None
 *   FinishedKeys.add_pairs' loop over a sweep's finished whole records, into its newest generation: for each
 *   i, the 4-tuple key = (addr[ea >> 16], ea & 0xFFFF, addr[eb >> 16], eb & 0xFFFF) and its other direction,
 *   each popped and set again: newest[key] = b0[i], newest[other] = b1[i] (int64 arrays of one length). Its
 *   fallback is whole._finished_pairs_py (tests/test_columnar_enter.py holds them equal). */
static PyObject *finished_pairs(PyObject *self, PyObject *args) {
    PyObject *d, *addr;
    Py_buffer va, vb, v0, v1;
    if (!PyArg_ParseTuple(args, "O!O!y*y*y*y*", &PyDict_Type, &d, &PyList_Type, &addr, &va, &vb, &v0, &v1))
        return NULL;
    PyObject *out = NULL;
    if (va.len != vb.len || va.len != v0.len || va.len != v1.len || va.len % 8) {
        PyErr_SetString(PyExc_ValueError, "finished_pairs: the arrays do not agree");
        goto done;
    }
    const int64_t *a = va.buf, *b = vb.buf, *x = v0.buf, *y = v1.buf;
    Py_ssize_t na = PyList_GET_SIZE(addr);
    for (Py_ssize_t i = 0; i < va.len / 8; i++) {
        if ((a[i] >> 16) < 0 || (a[i] >> 16) >= na || (b[i] >> 16) < 0 || (b[i] >> 16) >= na) {
            PyErr_SetString(PyExc_IndexError, "finished_pairs: an address id past the address list");
            goto done;
        }
        PyObject *ha = PyList_GET_ITEM(addr, a[i] >> 16), *hb = PyList_GET_ITEM(addr, b[i] >> 16);
        PyObject *pa = PyLong_FromLongLong(a[i] & 0xFFFF), *pb = PyLong_FromLongLong(b[i] & 0xFFFF);
        PyObject *bx = PyLong_FromLongLong(x[i]), *by = PyLong_FromLongLong(y[i]);
        PyObject *key = (pa && pb) ? PyTuple_Pack(4, ha, pa, hb, pb) : NULL;
        PyObject *other = (pa && pb) ? PyTuple_Pack(4, hb, pb, ha, pa) : NULL;
        int bad = key == NULL || other == NULL || bx == NULL || by == NULL || fp_put(d, key, bx) < 0
                  || fp_put(d, other, by) < 0;
        Py_XDECREF(pa);
        Py_XDECREF(pb);
        Py_XDECREF(bx);
        Py_XDECREF(by);
        Py_XDECREF(key);
        Py_XDECREF(other);
        if (bad)
            goto done;
    }
    out = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&va);
    PyBuffer_Release(&vb);
    PyBuffer_Release(&v0);
    PyBuffer_Release(&v1);
    return out;
}

/* tcp_steady(conn, d, ts, num, seq, ack, flags, raw_window, seglen, opts, payload, frame_len, handle, out,
 *            established, sinks_due, deferred[, states[, timestamps]]) -> True or None
 *
 * analyzer.tcp.connection.TcpTracker._steady_out in C for its commonest segment, as read and read --json feed
 * it: an ACK (no SYN/FIN/RST) of an established connection whose sinks are made (or that has none), that changes no history letter
 * (not resent or reordered, not the side's first bytes or first bare ACK, no zero window, no ACK of bytes the
 * capture missed), brings no SACK option, acknowledges nothing the peer's reassembler still waits for, and
 * whose bytes (if any) are the next in sequence, all captured, with nothing held and no FIN seen. Then: the
 * stream number and tcp_analyze's fields in ``out``, the side's counters, the max_end, and the bytes handed to
 * the reassembler's sink with ``handle`` (sink.data(direction, payload, handle, ts)) and counted, in the same
 * order as the Python. True when done; None, having changed nothing the Python would not set to the same
 * value (``out["tcp.stream"]``, ``sa.sack = ()``), for any other segment, an unset slot, a value not an
 * exact int within +-2**62 or an object of another class: the caller then runs the Python
 * (tests/test_read_fast_steady.py compares the two on damaged connections and counts the segments it took).
 * With ``states`` (h-read, 2026-12-04; connection._STEADY_STATES: the ENDPOINT states an "ack" makes
 * ESTABLISHED, {RFC state: its "syn_acked" step}): also a side's first bytes or first bare ACK (its history
 * letter marked and logged, as Connection.letter does), a side's first segment after its SYN or SYN-ACK (RFC
 * state not CLOSED: _apply makes it ESTABLISHED) and the handshake's ACK (the originator's first bare ACK of
 * exactly the responder's SYN: SYN acknowledged, the handshake ACK's frame and time; the payload sinks still
 * due); in the Python those go to _apply (tests/test_tcp_steady_compiled.py compares the three on damaged
 * connections and on a crafted one). With ``states`` too (h-read, 2026-12-05; _STEADY_STATES now the steps of
 * the tables, see below), the teardown as _apply takes it: a side's first FIN (flags FIN+ACK, with or without
 * bytes: the "f" letter by its sequence number, fin_seq/frame/ts, first_fin, the "fin" and "snd_fin" steps; the
 * reassembler's fin_offset, the bytes, then sink.fin(direction) as every byte before it was delivered), an ACK
 * after the peer's FIN (its gap check from the FIN; the peer's reassembler past its FIN, the FIN reported: acked()
 * has nothing to do) and the ACK of the peer's FIN (_fin_acked: the "rcv_fin" and "fin_acked" steps, TIME_WAIT
 * entered, fin_acked_frame/ts), bytes after the peer's FIN (data_after_peer_fin), an ACK of a side not
 * ESTABLISHED (the "ack" step, "snd_data" from RFC CLOSED); a FIN resent, past a hole or with bytes cut short
 * (with a sink), a RST: the Python's (tests/test_tcp_steady_compiled.py's test_teardowns: each way a connection
 * ends). */
enum { TC_ca, TC_last_frame, TC_last_ts, TC_once, TC_sides, TC_sink, TC_stream, TC_history, TC_hs_frame,
       TC_hs_ts, TC_first_fin, TC_first_ts, TC_N };
static const char *const tc_names[TC_N] = {"ca", "last_frame", "last_ts", "_once", "sides", "sink", "stream",
                                           "history", "handshake_ack_frame", "handshake_ack_ts", "first_fin",
                                           "first_ts"};
enum { TS_data_base, TS_endpoint, TS_fin_frame, TS_fin_seq, TS_first_ts, TS_frame_bytes, TS_last_ts, TS_max_end,
       TS_payload_bytes, TS_pkts, TS_reasm, TS_sa, TS_syn_acked_frame, TS_rfc, TS_isn, TS_fin_ts, TS_fin_acked_frame,
       TS_fin_acked_ts, TS_time_wait_frame, TS_time_wait_ts, TS_data_after_peer_fin, TS_retransmissions, TS_N };
static const char *const ts_names[TS_N] = {
    "data_base", "endpoint", "fin_frame", "fin_seq", "first_ts", "frame_bytes", "last_ts", "max_end",
    "payload_bytes", "pkts", "reasm", "sa", "syn_acked_frame", "rfc", "isn", "fin_ts", "fin_acked_frame",
    "fin_acked_ts", "time_wait_frame", "time_wait_ts", "data_after_peer_fin", "retransmissions"};
enum { TR_delivered, TR_direction, TR_fin_offset, TR_held, TR_next, TR_offset, TR_sink, TR_fin_sent, TR_N };
static const char *const tr_names[TR_N] = {"delivered", "direction", "fin_offset", "held", "next", "offset", "sink",
                                           "fin_sent"};
static PyTypeObject *tc_type, *ts_type, *tr_type;
static Py_ssize_t tc_off[TC_N], ts_off[TS_N], tr_off[TR_N];
static PyObject *st_letters[6], *st_stream_key, *st_data_name, *st_takes_deferred, *st_fin_name, *st_rel_key,
    *st_delta_key;

/* RFC[state].get(event, state) of one event's table (a dict state -> new state, _STEADY_STATES'): borrowed; NULL
 * with an error set */
static PyObject *st_step(PyObject *table, PyObject *state) {
    PyObject *n = PyDict_GetItemWithError(table, state);
    if (n == NULL && !PyErr_Occurred())
        return state;
    return n;
}

static int st_type(PyObject *o, PyTypeObject **cached, const char *const *names, int n, Py_ssize_t *off) {
    if (Py_TYPE(o) == *cached)
        return 1;
    if (!slot_offsets(Py_TYPE(o), names, n, off))
        return 0;
    Py_XSETREF(*cached, (PyTypeObject *)Py_NewRef(Py_TYPE(o)));
    return 1;
}

/* st_type for a type: its slot offsets cached with it (0: not a type with these object slots) */
static int st_type_offsets(PyTypeObject *t, PyTypeObject **cached, const char *const *names, int n, Py_ssize_t *off) {
    if (t == *cached)
        return 1;
    if (!slot_offsets(t, names, n, off))
        return 0;
    Py_XSETREF(*cached, (PyTypeObject *)Py_NewRef(t));
    return 1;
}

/* slot = slot + v (exact ints within +-2**62), else 0 */
static int st_add(PyObject *o, Py_ssize_t off, long long v, int *err) {
    long long x;
    if (!ta_int(SLOT(o, off), &x))
        return 0;
    if (ta_set_int(o, off, x + v) < 0)
        *err = 1;
    return 1;
}

static PyObject *tcp_steady(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 17 || nargs > 19)
        Py_RETURN_NONE;
    if (st_stream_key == NULL) {
        const char *l[6] = {"D", "A", "d", "a", "F", "f"};
        for (int i = 0; i < 6; i++)
            if ((st_letters[i] = PyUnicode_InternFromString(l[i])) == NULL)
                return NULL;
        if ((st_stream_key = PyUnicode_InternFromString("tcp.stream")) == NULL
            || (st_data_name = PyUnicode_InternFromString("data")) == NULL
            || (st_fin_name = PyUnicode_InternFromString("fin")) == NULL
            || (st_takes_deferred = PyUnicode_InternFromString("takes_deferred")) == NULL
            || (st_rel_key = PyUnicode_InternFromString("tcp.time_relative")) == NULL
            || (st_delta_key = PyUnicode_InternFromString("tcp.time_delta")) == NULL)
            return NULL;
    }
    PyObject *conn = args[0], *payload = args[10], *handle = args[12], *out = args[13];
    PyObject *established = args[14], *sinks_due = args[15], *deferred = args[16];
    long long d, ts, num, seq, ack, flags, raw_window, seglen, frame_len;
    if (!ta_int(args[1], &d) || !ta_int(args[2], &ts) || !ta_int(args[3], &num) || !ta_int(args[4], &seq)
        || !ta_int(args[5], &ack) || !ta_int(args[6], &flags) || !ta_int(args[7], &raw_window)
        || !ta_int(args[8], &seglen) || !ta_int(args[11], &frame_len))
        Py_RETURN_NONE;
    /* an ACK without SYN/RST; a FIN only with ``states`` (the teardown's tables) */
    if ((d != 0 && d != 1) || (flags & 0x16) != 0x10 || ((flags & 0x01) && nargs < 18) || raw_window == 0
        || seglen < 0 || seq < 0 || seq > M32 || ack < 0 || ack > M32 || !PyDict_CheckExact(out))
        Py_RETURN_NONE;
    int fin = (flags & 0x01) != 0;
    if (!st_type(conn, &tc_type, tc_names, TC_N, tc_off))
        Py_RETURN_NONE;
    PyObject *sides = SLOT(conn, tc_off[TC_sides]), *sink = SLOT(conn, tc_off[TC_sink]);
    PyObject *once = SLOT(conn, tc_off[TC_once]), *ca = SLOT(conn, tc_off[TC_ca]);
    if (sides == NULL || !PyTuple_CheckExact(sides) || PyTuple_GET_SIZE(sides) != 2 || sink == NULL
        || once == NULL || !PyDict_Check(once) || ca == NULL || SLOT(conn, tc_off[TC_stream]) == NULL)
        Py_RETURN_NONE;
    /* the 19th argument, ``timestamps`` (TcpTracker.timestamps): tcp.time_relative and tcp.time_delta in
     * ``out``, from the connection's first and last (before this segment) times */
    long long conn_first_ts = 0, conn_last_ts = 0;
    int timestamps = 0;
    if (nargs == 19) {
        if ((timestamps = PyObject_IsTrue(args[18])) < 0)
            return NULL;
        if (timestamps && (!ta_int(SLOT(conn, tc_off[TC_first_ts]), &conn_first_ts)
                           || !ta_int(SLOT(conn, tc_off[TC_last_ts]), &conn_last_ts)))
            Py_RETURN_NONE;
    }
    /* the 18th argument, ``states`` (connection._STEADY_STATES, from the tables of tcp/state.py): the ENDPOINT
     * table's "ack" and "fin" steps, the RFC table's "syn_acked", "snd_data", "rcv_fin", "fin_acked" and
     * "snd_fin" steps (each a dict state -> new state), the RFC states CLOSED and TIME_WAIT */
    enum { X_ep_ack, X_syn_acked, X_ep_fin, X_snd_data, X_rcv_fin, X_fin_acked, X_snd_fin, X_closed, X_time_wait, X_N };
    PyObject *X[X_N] = {NULL};
    if (nargs >= 18) {
        PyObject *st = args[17];
        if (!PyTuple_CheckExact(st) || PyTuple_GET_SIZE(st) != X_N)
            Py_RETURN_NONE;
        for (int i = 0; i < X_N; i++) {
            X[i] = PyTuple_GET_ITEM(st, i);
            if (i < X_closed ? !PyDict_CheckExact(X[i]) : !PyUnicode_CheckExact(X[i]))
                Py_RETURN_NONE;
        }
    }
    PyObject *me = PyTuple_GET_ITEM(sides, d), *peer = PyTuple_GET_ITEM(sides, 1 - d);
    if (Py_TYPE(peer) != Py_TYPE(me) || !st_type(me, &ts_type, ts_names, TS_N, ts_off))
        Py_RETURN_NONE;
#define MS(n) SLOT(me, ts_off[TS_##n])
#define PS(n) SLOT(peer, ts_off[TS_##n])
    PyObject *history = SLOT(conn, tc_off[TC_history]);
    if (PS(data_base) == NULL || PS(data_base) == Py_None || history == NULL || !PyList_CheckExact(history)
        || PS(fin_seq) == NULL || MS(fin_seq) == NULL || MS(rfc) == NULL || !PyUnicode_CheckExact(MS(rfc))
        || PS(rfc) == NULL || !PyUnicode_CheckExact(PS(rfc)) || MS(endpoint) == NULL)
        Py_RETURN_NONE;
    /* the peer's FIN (with ``states``): this segment may acknowledge it (_fin_acked) */
    long long v, pfs = -1;
    if (PS(fin_seq) != Py_None && (X[0] == NULL || !ta_int(PS(fin_seq), &pfs) || pfs < 0 || pfs > M32))
        Py_RETURN_NONE;
    if (!ta_int(PS(fin_frame), &v) || (v && X[0] == NULL))
        Py_RETURN_NONE;
    int peer_fin_frame = v != 0;
    /* a FIN: the side's first (a FIN sent again, or after a FIN, is the Python's) */
    if (fin && MS(fin_seq) != Py_None)
        Py_RETURN_NONE;
    if (!ta_int(PS(syn_acked_frame), &v))
        Py_RETURN_NONE;
    /* the handshake's ACK (with ``states``): the originator's bare ACK of exactly the responder's SYN, its
     * first: _apply marks the SYN acknowledged (syn_acked_frame, the RFC "syn_acked" step) and the
     * connection's handshake ACK; a connection whose payload sinks are due stays so (nothing for a sink) */
    int hs_ack = 0;
    PyObject *peer_rfc = PS(rfc), *me_rfc = MS(rfc);    /* borrowed: each side's RFC state after this segment */
    if (!v) {
        long long hs, isn;
        if (X[0] == NULL || d != 0 || seglen || fin || pfs >= 0 || !ta_int(SLOT(conn, tc_off[TC_hs_frame]), &hs) || hs
            || SLOT(conn, tc_off[TC_hs_ts]) == NULL || !ta_int(PS(isn), &isn) || ((ack - isn - 1) & M32) != 0)
            Py_RETURN_NONE;
        if ((peer_rfc = st_step(X[X_syn_acked], peer_rfc)) == NULL)
            return NULL;
        hs_ack = 1;
    }
    if ((PyObject *)Py_TYPE(sink) == sinks_due && !hs_ack)
        Py_RETURN_NONE;
    /* _fin_acked: the peer's FIN acknowledged by this segment (both RFC states move; TIME_WAIT entered is noted) */
    int fin_acked = 0, me_tw = 0, peer_tw = 0;
    if (pfs >= 0) {
        if (!ta_int(PS(fin_acked_frame), &v))
            Py_RETURN_NONE;
        if (!v && ((ack - pfs - 1) & M32) < HALF32) {
            PyObject *m = st_step(X[X_rcv_fin], me_rfc), *p = m ? st_step(X[X_fin_acked], peer_rfc) : NULL;
            if (p == NULL)
                return NULL;
            int a = PyUnicode_Compare(m, X[X_time_wait]), b = PyUnicode_Compare(me_rfc, X[X_time_wait]);
            int c = PyUnicode_Compare(p, X[X_time_wait]), e = PyUnicode_Compare(peer_rfc, X[X_time_wait]);
            if (PyErr_Occurred())
                return NULL;
            me_tw = a == 0 && b != 0;
            peer_tw = c == 0 && e != 0;
            me_rfc = m;
            peer_rfc = p;
            fin_acked = 1;
        }
    }
    /* the side's endpoint and RFC states: an ACK without FIN of a side not ESTABLISHED takes the ENDPOINT
     * "ack" step (and "snd_data" from RFC CLOSED); a FIN the "fin" and "snd_fin" steps */
    PyObject *me_ep = MS(endpoint);
    if (!fin && me_ep != established) {
        if (X[0] == NULL)
            Py_RETURN_NONE;
        if ((me_ep = st_step(X[X_ep_ack], me_ep)) == NULL)
            return NULL;
        int closed = PyUnicode_Compare(me_rfc, X[X_closed]);
        if (closed == -1 && PyErr_Occurred())
            return NULL;
        if (closed == 0 && (me_rfc = st_step(X[X_snd_data], me_rfc)) == NULL)
            return NULL;
    }
    if (fin && ((me_ep = st_step(X[X_ep_fin], me_ep)) == NULL || (me_rfc = st_step(X[X_snd_fin], me_rfc)) == NULL))
        return NULL;
    /* no SACK block: sa.sack = () (options walked as tcp.options.walk does: a byte 5 inside another option, a
     * timestamp's, is no SACK; a malformed length: declined) */
    PyObject *opts = args[9];
    if (!PyBytes_CheckExact(opts))
        Py_RETURN_NONE;
    {
        const unsigned char *o = (const unsigned char *)PyBytes_AS_STRING(opts);
        Py_ssize_t n = PyBytes_GET_SIZE(opts), i = 0;
        while (i < n && o[i] != 0) {
            if (o[i] == 1) {
                i++;
                continue;
            }
            if (o[i] == 5 || i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
                Py_RETURN_NONE;
            i += o[i + 1];
        }
    }
    /* no history letter but the side's first bytes or first bare ACK (with ``states``) and its FIN */
    long long pkts, max_end = -1, peer_seen, first_fin;
    if (!ta_int(MS(pkts), &pkts) || !pkts || MS(max_end) == NULL || MS(data_base) == NULL
        || MS(frame_bytes) == NULL || MS(payload_bytes) == NULL || MS(sa) == NULL || MS(last_ts) == NULL)
        Py_RETURN_NONE;
    if (MS(max_end) != Py_None && !ta_int(MS(max_end), &max_end))
        Py_RETURN_NONE;
    if (fin && !ta_int(SLOT(conn, tc_off[TC_first_fin]), &first_fin))
        Py_RETURN_NONE;
    /* the once-letter: a FIN without bytes logs none ("a" is an ACK's without FIN) */
    PyObject *letter = fin && !seglen ? NULL : st_letters[(seglen ? 0 : 1) + 2 * d];
    int has = 1;
    if (letter != NULL && (has = PyDict_Contains(once, letter)) < 0)
        return NULL;
    if (!has && X[0] == NULL)   /* the side's first bytes or first bare ACK: its letter, with states */
        Py_RETURN_NONE;
    /* the FIN's letter (per sequence number: logged unless its last FIN had this one) */
    int log_fin = 0;
    PyObject *seq_o = args[4];
    if (fin) {
        PyObject *last = PyDict_GetItemWithError(once, st_letters[4 + d]);
        if (last == NULL && PyErr_Occurred())
            return NULL;
        log_fin = last == NULL ? 1 : PyObject_RichCompareBool(last, seq_o, Py_EQ);
        if (log_fin < 0)
            return NULL;
        log_fin = last == NULL ? 1 : !log_fin;
    }
    long long after_fin = 0;
    if (seglen) {
        if (MS(data_base) == Py_None)
            Py_RETURN_NONE;
        if (max_end >= 0 && ((seq - max_end) & M32) >= HALF32)
            Py_RETURN_NONE;
        if (peer_fin_frame && !ta_int(MS(data_after_peer_fin), &after_fin))
            Py_RETURN_NONE;
    }
    /* a content gap: the receiver acknowledges bytes of the peer the capture never showed (a letter: declined) */
    if (PS(max_end) == NULL)
        Py_RETURN_NONE;
    if (pfs >= 0)
        peer_seen = (pfs + 1) & M32;
    else if (!ta_int(PS(max_end) != Py_None ? PS(max_end) : PS(data_base), &peer_seen))
        Py_RETURN_NONE;
    long long gap = (ack - peer_seen) & M32;
    if (gap > 0 && gap < HALF32)
        Py_RETURN_NONE;
    /* the reassemblers (none touched when the connection has no sink: nobody wants its bytes) */
    int no_sink = sink == Py_None || (PyObject *)Py_TYPE(sink) == sinks_due;
    PyObject *r = MS(reasm), *pr = PS(reasm);
    if (!no_sink && (r == NULL || r == Py_None || pr == NULL || !st_type(r, &tr_type, tr_names, TR_N, tr_off)))
        Py_RETURN_NONE;
    if (!no_sink && pr != Py_None) {
        /* the peer's reassembler acked(): nothing to do unless the ACK passes its next byte; then only past its
         * FIN, already reported (no hole to give up) */
        if (Py_TYPE(pr) != Py_TYPE(r))
            Py_RETURN_NONE;
        PyObject *pn = SLOT(pr, tr_off[TR_next]);
        if (pn == NULL)
            Py_RETURN_NONE;
        if (pn != Py_None) {
            long long nxt, fo, off;
            if (!ta_int(pn, &nxt))
                Py_RETURN_NONE;
            long long a = (ack - nxt) & M32;
            if (a > 0 && a < HALF32
                && (X[0] == NULL || !ta_int(SLOT(pr, tr_off[TR_fin_offset]), &fo)
                    || !ta_int(SLOT(pr, tr_off[TR_offset]), &off) || off < fo
                    || SLOT(pr, tr_off[TR_fin_sent]) != Py_True))
                Py_RETURN_NONE;
        }
    }
    PyObject *rsink = no_sink ? NULL : SLOT(r, tr_off[TR_sink]), *rdir = no_sink ? NULL : SLOT(r, tr_off[TR_direction]);
    long long r_offset = 0;
    if ((seglen || fin) && !no_sink) {
        /* StreamReassembler.segment's in-order case: the next bytes, all captured, nothing held, no FIN seen */
        long long rnext;
        PyObject *held = SLOT(r, tr_off[TR_held]);
        if (!ta_int(SLOT(r, tr_off[TR_next]), &rnext) || rnext != seq || held == NULL || !PyList_CheckExact(held)
            || PyList_GET_SIZE(held) || SLOT(r, tr_off[TR_fin_offset]) != Py_None || rsink == NULL || rdir == NULL
            || SLOT(r, tr_off[TR_delivered]) == NULL || SLOT(r, tr_off[TR_offset]) == NULL
            || (fin && SLOT(r, tr_off[TR_fin_sent]) != Py_False))
            Py_RETURN_NONE;
        if (!ta_int(SLOT(r, tr_off[TR_delivered]), &v) || !ta_int(SLOT(r, tr_off[TR_offset]), &r_offset))
            Py_RETURN_NONE;
    }
    if (seglen && !no_sink) {
        Py_ssize_t plen = PyObject_Length(payload);
        if (plen < 0) {
            PyErr_Clear();
            Py_RETURN_NONE;
        }
        if (plen != seglen)
            Py_RETURN_NONE;
        if ((PyObject *)Py_TYPE(handle) == deferred) {
            PyObject *td = PyObject_GetAttr(rsink, st_takes_deferred);
            if (td == NULL) {
                PyErr_Clear();
                Py_RETURN_NONE;
            }
            int t = PyObject_IsTrue(td);
            Py_DECREF(td);
            if (t <= 0) {
                PyErr_Clear();
                Py_RETURN_NONE;
            }
        }
    }
    if (!ta_int(MS(frame_bytes), &v) || !ta_int(MS(payload_bytes), &v))
        Py_RETURN_NONE;

    /* decided: the Python's steps in its order */
    if (PyDict_SetItem(out, st_stream_key, SLOT(conn, tc_off[TC_stream])) < 0)
        return NULL;
    if (timestamps && (ta_put_seconds(out, st_rel_key, ts - conn_first_ts) < 0
                       || ta_put_seconds(out, st_delta_key, ts - conn_last_ts) < 0))
        return NULL;
    PyObject *sa = MS(sa), *empty = PyTuple_New(0);
    if (empty == NULL)
        return NULL;
    PyObject *psa = PS(sa);
    if (psa == NULL) {
        Py_DECREF(empty);
        Py_RETURN_NONE;
    }
    PyObject *targs[11] = {ca, sa, psa, args[2], args[3], args[4], args[5], args[8], args[6], args[7], out};
    /* sa.sack = () first (tcp_analyze reads it): the Python sets the same when it takes over */
    if (sq_type != NULL && Py_TYPE(sa) == sq_type) {
        ta_set_obj(sa, sq_off[SQ_sack], empty);
    } else {
        if (PyObject_SetAttrString(sa, "sack", empty) < 0) {
            Py_DECREF(empty);
            return NULL;
        }
    }
    Py_DECREF(empty);
    PyObject *res = tcp_analyze(self, targs, 11);
    if (res == NULL)
        return NULL;
    if (res == Py_None)
        return res;
    Py_DECREF(res);
    /* _apply's steps: the handshake's ACK, the peer's FIN acknowledged, the side's states, its first letter
     * (Connection.letter: marked once, logged in the history), its FIN (_fin_sent) */
    Py_INCREF(peer_rfc);        /* (the tables hold them; kept across the slot writes below) */
    Py_INCREF(me_rfc);
    Py_INCREF(me_ep);
    int err = 0;
    if (hs_ack) {
        if (ta_set_int(peer, ts_off[TS_syn_acked_frame], num) < 0 || ta_set_int(conn, tc_off[TC_hs_frame], num) < 0)
            err = 1;
        ta_set_obj(conn, tc_off[TC_hs_ts], args[2]);
    }
    if (fin_acked) {
        if (ta_set_int(peer, ts_off[TS_fin_acked_frame], num) < 0)
            err = 1;
        ta_set_obj(peer, ts_off[TS_fin_acked_ts], args[2]);
        if (me_tw) {
            ta_set_obj(me, ts_off[TS_time_wait_frame], args[3]);
            ta_set_obj(me, ts_off[TS_time_wait_ts], args[2]);
        }
        if (peer_tw) {
            ta_set_obj(peer, ts_off[TS_time_wait_frame], args[3]);
            ta_set_obj(peer, ts_off[TS_time_wait_ts], args[2]);
        }
    }
    ta_set_obj(peer, ts_off[TS_rfc], peer_rfc);
    ta_set_obj(me, ts_off[TS_rfc], me_rfc);
    ta_set_obj(me, ts_off[TS_endpoint], me_ep);
    Py_DECREF(peer_rfc);
    Py_DECREF(me_rfc);
    Py_DECREF(me_ep);
    if (err || (!has && (PyDict_SetItem(once, letter, Py_True) < 0 || PyList_Append(history, letter) < 0)))
        return NULL;
    if (fin) {
        if (log_fin && (PyDict_SetItem(once, st_letters[4 + d], seq_o) < 0
                        || PyList_Append(history, st_letters[4 + d]) < 0))
            return NULL;
        if (ta_set_int(me, ts_off[TS_fin_seq], (seq + seglen) & M32) < 0)
            return NULL;
        ta_set_obj(me, ts_off[TS_fin_frame], args[3]);
        ta_set_obj(me, ts_off[TS_fin_ts], args[2]);
        if (first_fin < 0 && ta_set_int(conn, tc_off[TC_first_fin], d) < 0)
            return NULL;
    }
    /* the counters (_steady_sink's steps) */
    ta_set_obj(conn, tc_off[TC_last_ts], args[2]);
    ta_set_obj(conn, tc_off[TC_last_frame], args[3]);
    if (ta_set_int(me, ts_off[TS_pkts], pkts + 1) < 0)
        return NULL;
    st_add(me, ts_off[TS_frame_bytes], frame_len, &err);
    st_add(me, ts_off[TS_payload_bytes], seglen, &err);
    ta_set_obj(me, ts_off[TS_last_ts], args[2]);
    if (err || PyErr_Occurred())
        return NULL;
    /* base_seq and first_rtt: tcp_analyze set them as the Python would (an ACK; the side had a base) */
    if (seglen) {
        if (ta_set_int(me, ts_off[TS_max_end], (seq + seglen) & M32) < 0)
            return NULL;
        if (peer_fin_frame && ta_set_int(me, ts_off[TS_data_after_peer_fin], after_fin + 1) < 0)
            return NULL;
    }
    if ((seglen || fin) && !no_sink) {
        /* StreamReassembler.segment: the FIN's place first, the bytes delivered (sink.data), the FIN reported
         * once every byte before it was (sink.fin, on the reassembler's sink as it is then) */
        Py_INCREF(r);
        if (fin && ta_set_int(r, tr_off[TR_fin_offset], r_offset + seglen) < 0) {
            Py_DECREF(r);
            return NULL;
        }
        if (seglen) {
            Py_INCREF(rsink);
            Py_INCREF(rdir);
            PyObject *cargs[5] = {rsink, rdir, payload, handle, args[2]};
            PyObject *got = PyObject_VectorcallMethod(st_data_name, cargs, 5, NULL);
            Py_DECREF(rdir);
            Py_DECREF(rsink);
            if (got == NULL) {
                Py_DECREF(r);
                return NULL;
            }
            Py_DECREF(got);
            if (!st_add(r, tr_off[TR_delivered], seglen, &err) || !st_add(r, tr_off[TR_offset], seglen, &err) || err
                || ta_set_int(r, tr_off[TR_next], (seq + seglen) & M32) < 0) {
                Py_DECREF(r);
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_RuntimeError, "tcp_steady: a reassembler's count changed type in its sink");
                return NULL;
            }
        }
        if (fin) {
            long long off, fo;
            if (!ta_int(SLOT(r, tr_off[TR_offset]), &off) || !ta_int(SLOT(r, tr_off[TR_fin_offset]), &fo)
                || SLOT(r, tr_off[TR_fin_sent]) != Py_False || SLOT(r, tr_off[TR_sink]) == NULL
                || SLOT(r, tr_off[TR_direction]) == NULL) {
                Py_DECREF(r);
                PyErr_SetString(PyExc_RuntimeError, "tcp_steady: a reassembler's FIN state changed in its sink");
                return NULL;
            }
            if (off >= fo) {
                ta_set_obj(r, tr_off[TR_fin_sent], Py_True);
                PyObject *fs = Py_NewRef(SLOT(r, tr_off[TR_sink])), *fd = Py_NewRef(SLOT(r, tr_off[TR_direction]));
                PyObject *fargs[2] = {fs, fd};
                PyObject *got = PyObject_VectorcallMethod(st_fin_name, fargs, 2, NULL);
                Py_DECREF(fs);
                Py_DECREF(fd);
                if (got == NULL) {
                    Py_DECREF(r);
                    return NULL;
                }
                Py_DECREF(got);
            }
        }
        Py_DECREF(r);
    }
    Py_RETURN_TRUE;
#undef MS
#undef PS
}

/* ==== h-tlout: the timeline's plain text lines (analyzer/report/timeline_text.py) ===========================
 *
 * steps_plain(lines, steps, i, text_w) -> int
 *   The lines of timeline_text._steps_plain for steps[i:], appended to the list ``lines``, exactly as its
 *   Python loop writes them (the time right-aligned in 11 columns, the frames in 10, the layer in 4, the
 *   problem mark, the text wrapped to ``text_w`` columns by timeline_text.wrap's ASCII path: the number-unit
 *   glue of _UNIT, the greedy rfind wrap of _wrap_ascii, the word-by-word _wrap_words when a word is longer
 *   than a line). Returns the index of the first step it does not take (len(steps) when it took them all):
 *   a text that is not printable ASCII and "µ" (U+00B5, one column: wrap takes its _narrow_words path, the same
 *   greedy wrap, after the same glue, "µs" a unit; a text with "µ" and a word longer than a line is declined, as
 *   wrap's _wrap_tokens takes it), a layer that is not printable ASCII, a time that is not a float, frames that
 *   are not a tuple of ints within 64 bits; the caller writes that step in Python and calls again after it. Floats go through
 *   PyOS_double_to_string, what Python's format() uses. tests/test_timeline_text_fast.py compares both. */

typedef struct {
    char *p;
    Py_ssize_t n, cap;
} TloBuf;

static int tlo_grow(TloBuf *b, Py_ssize_t more) {
    if (b->n + more <= b->cap)
        return 0;
    Py_ssize_t cap = (b->n + more) * 2 + 64;
    char *p = PyMem_Realloc(b->p, cap);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static int tlo_put(TloBuf *b, const char *s, Py_ssize_t n) {
    if (tlo_grow(b, n) < 0)
        return -1;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

static int tlo_spaces(TloBuf *b, Py_ssize_t n) {
    if (n <= 0)
        return 0;
    if (tlo_grow(b, n) < 0)
        return -1;
    memset(b->p + b->n, ' ', n);
    b->n += n;
    return 0;
}

/* printable ASCII text of a str (NULL when it is not one) */
static const char *tlo_ascii(PyObject *o, Py_ssize_t *len) {
    if (!PyUnicode_Check(o) || !PyUnicode_IS_ASCII(o))
        return NULL;
    const char *s = (const char *)PyUnicode_1BYTE_DATA(o);
    Py_ssize_t n = PyUnicode_GET_LENGTH(o);
    for (Py_ssize_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return NULL;
    *len = n;
    return s;
}

/* printable ASCII text of a str, or that and MICRO SIGN (U+00B5): *mu set when it holds one (NULL when neither) */
static const char *tlo_narrow(PyObject *o, Py_ssize_t *len, int *mu) {
    *mu = 0;
    if (!PyUnicode_Check(o) || PyUnicode_KIND(o) != PyUnicode_1BYTE_KIND)
        return NULL;
    const unsigned char *s = PyUnicode_1BYTE_DATA(o);
    Py_ssize_t n = PyUnicode_GET_LENGTH(o);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (s[i] == 0xB5)
            *mu = 1;
        else if (s[i] < 0x20 || s[i] > 0x7e)
            return NULL;
    }
    *len = n;
    return (const char *)s;
}

/* append the str of the Latin-1 bytes s[0:n] ('\0' shown as a space: a glued number and unit) to ``lines`` */
static int tlo_line(PyObject *lines, const char *s, Py_ssize_t n) {
    Py_UCS4 top = 127;
    for (Py_ssize_t i = 0; i < n; i++)
        if ((unsigned char)s[i] > 127) {
            top = 255;      /* a "µ": a Latin-1 str (an ASCII one must be made as ASCII) */
            break;
        }
    PyObject *u = PyUnicode_New(n, top);
    if (u == NULL)
        return -1;
    char *d = (char *)PyUnicode_1BYTE_DATA(u);
    for (Py_ssize_t i = 0; i < n; i++)
        d[i] = s[i] ? s[i] : ' ';
    int r = PyList_Append(lines, u);
    Py_DECREF(u);
    return r;
}

static int tlo_word_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
           || (unsigned char)c == 0xB5;       /* "µ" is a letter: \w */
}

/* _UNIT's match at the space s[i]: a digit before it, then "µs", "ms", "s", "min", "h" or "d" not followed by a
 * word char */
static int tlo_unit_at(const char *s, Py_ssize_t n, Py_ssize_t i) {
    if (i == 0 || s[i - 1] < '0' || s[i - 1] > '9')
        return 0;
    const char *u = s + i + 1;
    Py_ssize_t left = n - i - 1;
    if (left >= 2 && u[0] == 'm' && u[1] == 's' && (left == 2 || !tlo_word_char(u[2])))
        return 1;
    if (left >= 2 && (unsigned char)u[0] == 0xB5 && u[1] == 's' && (left == 2 || !tlo_word_char(u[2])))
        return 1;
    if (left >= 1 && (u[0] == 's' || u[0] == 'h' || u[0] == 'd') && (left == 1 || !tlo_word_char(u[1])))
        return 1;
    if (left >= 3 && u[0] == 'm' && u[1] == 'i' && u[2] == 'n' && (left == 3 || !tlo_word_char(u[3])))
        return 1;
    return 0;
}

/* The lines of wrap(text, width) for printable ASCII text s[0:n] (and "µ"), as (start, length) pairs over ``w``
 * (the text's words one space apart, a glued number-unit space as '\0'), written to spans (room for n + 1 pairs:
 * a line holds at least one character of the text, or is the one empty line). Returns the count; -1 when
 * ``greedy_only`` and a word is longer than a line (wrap takes a text with "µ" word by word elsewhere). */
static Py_ssize_t tlo_wrap(const char *s, Py_ssize_t n, Py_ssize_t width, char *w, Py_ssize_t *spans,
                           int greedy_only) {
    if (width < 10)
        width = 10;
    int glue = n > width && width >= 20;
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < n; i++) {       /* " ".join(text.split()), glued spaces kept as '\0' */
        if (s[i] != ' ') {
            w[m++] = s[i];
        } else if (glue && tlo_unit_at(s, n, i)) {
            w[m++] = '\0';
        } else if (m > 0 && w[m - 1] != ' ') {
            w[m++] = ' ';
        }
    }
    if (m > 0 && w[m - 1] == ' ')
        m--;
    if (n <= width || m <= width) {
        spans[0] = 0;
        spans[1] = m;
        return 1;
    }
    Py_ssize_t k = 0, pos = 0;
    while (m - pos > width) {                  /* _wrap_ascii: the last space within width + 1 columns */
        Py_ssize_t cut = -1;
        for (Py_ssize_t j = pos + width; j >= pos; j--)
            if (w[j] == ' ') {
                cut = j;
                break;
            }
        if (cut < 0) {
            if (greedy_only)
                return -1;
            goto words;
        }
        spans[2 * k] = pos;
        spans[2 * k + 1] = cut - pos;
        k++;
        pos = cut + 1;
    }
    spans[2 * k] = pos;
    spans[2 * k + 1] = m - pos;
    return k + 1;
words:                                         /* _wrap_words over all the words */
    k = 0;
    Py_ssize_t line = -1, line_n = 0;          /* the line being made: w[line:line + line_n] */
    pos = 0;
    while (pos < m) {
        Py_ssize_t end = pos;
        while (end < m && w[end] != ' ')
            end++;
        Py_ssize_t ws = pos, wn = end - pos;
        while (wn > width) {
            if (line >= 0 && line_n > 0) {
                spans[2 * k] = line;
                spans[2 * k + 1] = line_n;
                k++;
            }
            line = -1;
            line_n = 0;
            spans[2 * k] = ws;
            spans[2 * k + 1] = width;
            k++;
            ws += width;
            wn -= width;
        }
        if (line < 0 || line_n == 0) {
            line = ws;
            line_n = wn;
        } else if (line_n + 1 + wn <= width) {
            line_n = ws + wn - line;           /* the words between are one space apart in w */
        } else {
            spans[2 * k] = line;
            spans[2 * k + 1] = line_n;
            k++;
            line = ws;
            line_n = wn;
        }
        pos = end + 1;
    }
    if (line >= 0 && line_n > 0) {
        spans[2 * k] = line;
        spans[2 * k + 1] = line_n;
        k++;
    }
    if (k == 0) {
        spans[0] = 0;
        spans[1] = 0;
        k = 1;
    }
    return k;
}

static PyObject *tlo_s_time, *tlo_s_frames, *tlo_s_layer, *tlo_s_problem, *tlo_s_text;

static int tlo_names(void) {
    if (tlo_s_text != NULL)
        return 0;
    tlo_s_time = PyUnicode_InternFromString("time");
    tlo_s_frames = PyUnicode_InternFromString("frames");
    tlo_s_layer = PyUnicode_InternFromString("layer");
    tlo_s_problem = PyUnicode_InternFromString("problem");
    tlo_s_text = PyUnicode_InternFromString("text");
    return tlo_s_text == NULL ? -1 : 0;
}

/* frames_text(frames) into b; -1 with no error set when declined */
static int tlo_frames(TloBuf *b, PyObject *frames) {
    char t[32];
    if (frames == Py_None)
        return tlo_put(b, "-", 1) < 0 ? -2 : 0;
    if (!PyTuple_CheckExact(frames))
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(frames);
    if (n == 0)
        return tlo_put(b, "-", 1) < 0 ? -2 : 0;
    long long v[3];
    Py_ssize_t idx[3] = {0, 1, 2};
    if (n > 3) {
        idx[1] = n - 1;
    }
    Py_ssize_t count = n > 3 ? 2 : n;
    for (Py_ssize_t j = 0; j < count; j++) {
        PyObject *o = PyTuple_GET_ITEM(frames, idx[j]);
        if (!PyLong_CheckExact(o))
            return -1;
        int overflow = 0;
        v[j] = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow || (v[j] == -1 && PyErr_Occurred())) {
            PyErr_Clear();
            return -1;
        }
    }
    if (n > 3) {
        int len = snprintf(t, sizeof t, "#%lld..", v[0]);
        if (tlo_put(b, t, len) < 0)
            return -2;
        len = snprintf(t, sizeof t, "%lld (%zd)", v[1], n);
        return tlo_put(b, t, len) < 0 ? -2 : 0;
    }
    for (Py_ssize_t j = 0; j < n; j++) {
        int len = snprintf(t, sizeof t, j ? ",%lld" : "#%lld", v[j]);
        if (tlo_put(b, t, len) < 0)
            return -2;
    }
    return 0;
}

/* one step's lines appended to ``lines``: 1 done, 0 declined, -1 error */
static int tlo_step(PyObject *lines, PyObject *step, Py_ssize_t text_w, TloBuf *b, TloBuf *w, Py_ssize_t **spans,
                    Py_ssize_t *spans_cap) {
    PyObject *time = NULL, *frames = NULL, *layer = NULL, *problem = NULL, *text = NULL;
    int r = 0;
    time = PyObject_GetAttr(step, tlo_s_time);
    if (time == NULL)
        goto error;
    if (!PyFloat_CheckExact(time))
        goto done;
    frames = PyObject_GetAttr(step, tlo_s_frames);
    layer = frames ? PyObject_GetAttr(step, tlo_s_layer) : NULL;
    problem = layer ? PyObject_GetAttr(step, tlo_s_problem) : NULL;
    text = problem ? PyObject_GetAttr(step, tlo_s_text) : NULL;
    if (text == NULL)
        goto error;
    Py_ssize_t tn, ln;
    int mu;
    const char *ts = tlo_narrow(text, &tn, &mu), *ls = tlo_ascii(layer, &ln);
    if (ts == NULL || ls == NULL)
        goto done;
    int bad = PyObject_IsTrue(problem);
    if (bad < 0)
        goto error;
    /* the first line: "  " + time (right, 11) + "  " + frames (left, 10: when longer, a line of its own) */
    b->n = 0;
    double sec = PyFloat_AS_DOUBLE(time);
    char *num = PyOS_double_to_string(sec < 100 ? sec * 1000 : sec, 'f', 3, 0, NULL);
    if (num == NULL)
        goto error;
    Py_ssize_t nn = (Py_ssize_t)strlen(num) + (sec < 100 ? 3 : 2);
    int e = tlo_spaces(b, 2 + (nn < 11 ? 11 - nn : 0)) < 0 || tlo_put(b, num, nn - (sec < 100 ? 3 : 2)) < 0
        || tlo_put(b, sec < 100 ? " ms" : " s", sec < 100 ? 3 : 2) < 0 || tlo_spaces(b, 2) < 0;
    PyMem_Free(num);
    if (e)
        goto error;
    Py_ssize_t fstart = b->n;
    int fr = tlo_frames(b, frames);
    if (fr == -2)
        goto error;
    if (fr == -1)
        goto done;
    Py_ssize_t flen = b->n - fstart;
    /* the text wrapped */
    if (w->cap < tn + 1 && tlo_grow(w, tn + 1) < 0)
        goto error;
    if (*spans_cap < 2 * (tn + 1)) {
        Py_ssize_t *sp = PyMem_Realloc(*spans, sizeof(Py_ssize_t) * 2 * (tn + 1));
        if (sp == NULL) {
            PyErr_NoMemory();
            goto error;
        }
        *spans = sp;
        *spans_cap = 2 * (tn + 1);
    }
    Py_ssize_t k = tlo_wrap(ts, tn, text_w, w->p, *spans, mu);
    if (k < 0)
        goto done;          /* nothing of the step is written yet */
    Py_ssize_t *sp = *spans;
    if (flen > 10) {
        if (tlo_line(lines, b->p, b->n) < 0)
            goto error;
        b->n = 0;
        if (tlo_spaces(b, 2 + 11 + 2 + 10 + 1) < 0)
            goto error;
    } else if (tlo_spaces(b, 10 - flen + 1) < 0) {
        goto error;
    }
    if (tlo_put(b, ls, ln) < 0 || tlo_spaces(b, 4 - ln) < 0 || tlo_put(b, bad ? "!" : " ", 1) < 0
        || tlo_put(b, w->p + sp[0], sp[1]) < 0 || tlo_line(lines, b->p, b->n) < 0)
        goto error;
    for (Py_ssize_t j = 1; j < k; j++) {
        b->n = 0;
        if (tlo_spaces(b, 2 + 11 + 2 + 10 + 1 + 5) < 0 || tlo_put(b, w->p + sp[2 * j], sp[2 * j + 1]) < 0
            || tlo_line(lines, b->p, b->n) < 0)
            goto error;
    }
    r = 1;
    goto done;
error:
    r = -1;
done:
    Py_XDECREF(time);
    Py_XDECREF(frames);
    Py_XDECREF(layer);
    Py_XDECREF(problem);
    Py_XDECREF(text);
    return r;
}

static PyObject *steps_plain(PyObject *self, PyObject *args) {
    PyObject *lines, *steps;
    Py_ssize_t i, text_w;
    if (!PyArg_ParseTuple(args, "O!Onn", &PyList_Type, &lines, &steps, &i, &text_w))
        return NULL;
    if (tlo_names() < 0)
        return NULL;
    PyObject *seq = PySequence_Fast(steps, "steps_plain: steps must be a sequence");
    if (seq == NULL)
        return NULL;
    TloBuf b = {NULL, 0, 0}, w = {NULL, 0, 0};
    Py_ssize_t *spans = NULL, spans_cap = 0;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int r = 1;
    for (; i < n; i++) {
        r = tlo_step(lines, PySequence_Fast_GET_ITEM(seq, i), text_w, &b, &w, &spans, &spans_cap);
        if (r != 1)
            break;
    }
    PyMem_Free(b.p);
    PyMem_Free(w.p);
    PyMem_Free(spans);
    Py_DECREF(seq);
    if (r < 0)
        return NULL;
    return PyLong_FromSsize_t(i);
}
/* ladder_plain(lines, rows, i, arrows, shown, arrow_w) -> int
 *   The lines of timeline_text._ladder_plain for rows[i:], appended to ``lines``: per row "    " + its time in
 *   ms (10.3f) + "  " + its frame right-aligned in 6 (6 spaces for a row with frame 0) + "  " + its arrow +
 *   "  " + its peer as shown (shown[peer]). The arrow is arrows[(label, way)] (way 0 with no frame, 1 from the
 *   client, 2 to it) when the Python code drew it already, else drawn here as it draws one (``arrow_w``
 *   columns) when the label is printable ASCII. The index of the first row it does not take (a label it does
 *   not draw, a time that is not a float, a frame not an int within 64 bits) is returned (len(rows) when it
 *   took them all); the caller draws that row's arrow and line and calls again after it. */
static PyObject *tlo_s_frame, *tlo_s_sender, *tlo_s_label, *tlo_s_peer, *tlo_s_client, *tlo_ways[3];

static int tlo_ladder_names(void) {
    if (tlo_ways[2] != NULL)
        return 0;
    tlo_s_frame = PyUnicode_InternFromString("frame");
    tlo_s_sender = PyUnicode_InternFromString("sender");
    tlo_s_label = PyUnicode_InternFromString("label");
    tlo_s_peer = PyUnicode_InternFromString("peer");
    tlo_s_client = PyUnicode_InternFromString("client");
    for (int j = 0; j < 3; j++)
        tlo_ways[j] = PyLong_FromLong(j);
    return tlo_ways[2] == NULL || tlo_s_client == NULL ? -1 : 0;
}

/* one row's line: 1 done, 0 declined, -1 error */
static int tlo_row(PyObject *lines, PyObject *row, PyObject *arrows, PyObject *shown, Py_ssize_t arrow_w) {
    PyObject *time = NULL, *frame = NULL, *sender = NULL, *label = NULL, *peer = NULL, *key = NULL;
    PyObject *u = NULL, *made = NULL;
    int r = 0;
    char t[96];
    time = PyObject_GetAttr(row, tlo_s_time);
    frame = time ? PyObject_GetAttr(row, tlo_s_frame) : NULL;
    if (frame == NULL)
        goto error;
    if (!PyFloat_CheckExact(time) || !PyLong_CheckExact(frame))
        goto done;
    int overflow = 0;
    long long f = PyLong_AsLongLongAndOverflow(frame, &overflow);
    if (overflow || (f == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        goto done;
    }
    int way = 0;
    if (f != 0) {
        sender = PyObject_GetAttr(row, tlo_s_sender);
        if (sender == NULL)
            goto error;
        int is = PyObject_RichCompareBool(sender, tlo_s_client, Py_EQ);
        if (is < 0)
            goto error;
        way = is ? 1 : 2;
    }
    label = PyObject_GetAttr(row, tlo_s_label);
    peer = label ? PyObject_GetAttr(row, tlo_s_peer) : NULL;
    if (peer == NULL)
        goto error;
    key = PyTuple_Pack(2, label, tlo_ways[way]);
    if (key == NULL)
        goto error;
    PyObject *arrow = PyDict_GetItemWithError(arrows, key);      /* borrowed */
    if (arrow == NULL) {
        if (PyErr_Occurred())
            goto error;
        Py_ssize_t ln;
        const char *ls = tlo_ascii(label, &ln);
        if (ls == NULL || arrow_w < 0 || arrow_w > 100000)
            goto done;
        /* the arrow of a printable ASCII label (visible() leaves it as it is), cut to its room with "..." */
        Py_ssize_t room = arrow_w - 6, keep = ln, dots = 0;
        if (ln > room) {
            keep = room - 3 > 0 ? room - 3 : 0;
            dots = 3;
        }
        Py_ssize_t tw = keep + dots, dashes = arrow_w - 5 - tw > 0 ? arrow_w - 5 - tw : 0;
        Py_ssize_t an = way == 0 ? (3 + tw > arrow_w ? 3 + tw : arrow_w) : way == 1 ? 4 + tw + dashes + 1
                                                                                    : 5 + tw + dashes;
        made = PyUnicode_New(an, 127);
        if (made == NULL)
            goto error;
        char *d = (char *)PyUnicode_1BYTE_DATA(made), *q = d;
        if (way == 0) {
            memset(q, ' ', 3);
            q += 3;
        } else {
            memcpy(q, way == 1 ? "-- " : "<-- ", way == 1 ? 3 : 4);
            q += way == 1 ? 3 : 4;
        }
        memcpy(q, ls, keep);
        q += keep;
        memcpy(q, "...", dots);
        q += dots;
        if (way == 0) {
            memset(q, ' ', d + an - q);
        } else {
            *q++ = ' ';
            memset(q, '-', dashes);
            q += dashes;
            if (way == 1)
                *q = '>';
        }
        arrow = made;
    }
    PyObject *who = PyDict_GetItemWithError(shown, peer);       /* borrowed */
    if (who == NULL) {
        if (PyErr_Occurred())
            goto error;
        goto done;
    }
    if (!PyUnicode_CheckExact(arrow) || !PyUnicode_CheckExact(who))
        goto done;
    char *num = PyOS_double_to_string(PyFloat_AS_DOUBLE(time) * 1000, 'f', 3, 0, NULL);
    if (num == NULL)
        goto error;
    int len;
    if (way)
        len = snprintf(t, sizeof t, "    %10s  %6lld  ", num, f);
    else
        len = snprintf(t, sizeof t, "    %10s          ", num);
    PyMem_Free(num);
    if (len < 0 || len >= (int)sizeof t)
        goto done;
    if (PyUnicode_IS_ASCII(arrow) && PyUnicode_IS_ASCII(who)) {
        Py_ssize_t an = PyUnicode_GET_LENGTH(arrow), wn = PyUnicode_GET_LENGTH(who);
        u = PyUnicode_New(len + an + 2 + wn, 127);
        if (u == NULL)
            goto error;
        char *d = (char *)PyUnicode_1BYTE_DATA(u);
        memcpy(d, t, len);
        memcpy(d + len, PyUnicode_1BYTE_DATA(arrow), an);
        d[len + an] = d[len + an + 1] = ' ';
        memcpy(d + len + an + 2, PyUnicode_1BYTE_DATA(who), wn);
    } else {
        if (len + 7 > (int)sizeof t)
            goto done;
        memcpy(t + len, "%U  %U", 7);
        u = PyUnicode_FromFormat(t, arrow, who);
        if (u == NULL)
            goto error;
    }
    if (PyList_Append(lines, u) < 0)
        goto error;
    r = 1;
    goto done;
error:
    r = -1;
done:
    Py_XDECREF(time);
    Py_XDECREF(frame);
    Py_XDECREF(sender);
    Py_XDECREF(label);
    Py_XDECREF(peer);
    Py_XDECREF(key);
    Py_XDECREF(u);
    Py_XDECREF(made);
    return r;
}

static PyObject *ladder_plain(PyObject *self, PyObject *args) {
    PyObject *lines, *rows, *arrows, *shown;
    Py_ssize_t i, arrow_w;
    if (!PyArg_ParseTuple(args, "O!OnO!O!n", &PyList_Type, &lines, &rows, &i, &PyDict_Type, &arrows, &PyDict_Type,
                          &shown, &arrow_w))
        return NULL;
    if (tlo_names() < 0 || tlo_ladder_names() < 0)
        return NULL;
    PyObject *seq = PySequence_Fast(rows, "ladder_plain: rows must be a sequence");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int r = 1;
    for (; i < n; i++) {
        r = tlo_row(lines, PySequence_Fast_GET_ITEM(seq, i), arrows, shown, arrow_w);
        if (r != 1)
            break;
    }
    Py_DECREF(seq);
    if (r < 0)
        return NULL;
    return PyLong_FromSsize_t(i);
}
/* ==== end of h-tlout's block ==== */

/* ---- the timeline (h-tlin): Collector.feed_batch's loop over a batch's TCP segments -------------------------
 * timeline_tcp(data, first_number, start, stop, table, segment, address_pair, logs, attempt_type, dns_ports,
 *              logged, connlog_type, max_log, at[, tracker, established, sinks_due]) -> index
 *   analyzer.timeline.collect.Collector._tcp for frames start, start + 1, ... of a batch, in order, up to the first
 *   one it leaves to Python (returned; stop when none): a frame the header columns do not read as TCP, a DNS port
 *   (dns_ports: the Decode As set), anything _tcp would hand to the decoder. ``table`` is the batch's int64 table
 *   (collect._kernel_table: 10 rows of n). For each segment it makes _tcp's arguments of the tracker's
 *   ``segment`` (the same values: addresses through ``address_pair``, the options only for a SYN, the payload
 *   bytes) and calls it (with the last three arguments, a steady segment is taken by tl_steady instead, the
 *   same steps: see there); then, where Collector._logged would just append a record to the connection's log
 *   (a ConnLog whose conn is that connection, the next hop known or not to be learnt here, fewer than max_log
 *   records, a bytearray log, times within 2**62, the payload whole in the frame, no SYN flag: Collector._logged
 *   reads a SYN's or SYN-ACK's timestamps option, nor a data segment it keeps the timestamps of: see tl_resends),
 *   appends the same 31 bytes
 *   (collect.REC) and calls log.add_payload for a payload; every other case calls ``logged`` with _tcp's
 *   arguments. ``at`` (a writable int64 array) holds the index of the frame being
 *   read (where it failed, when something raised). tests/test_timeline_batch.py: the same logs and timelines as frame by frame. */
enum { TL_conn, TL_count, TL_base_ts, TL_log, TL_next_hop_mac, TL_epoch, TL_watch, TL_resends, TL_N };
static const char *const tl_names[TL_N] = {"conn", "count", "base_ts", "log", "next_hop_mac", "epoch", "watch",
                                           "resends"};
static PyTypeObject *tl_log_type;
static Py_ssize_t tl_off[TL_N];
static PyObject *tl_stream, *tl_add_payload;

/* tl_steady: TcpTracker.segment for an ACK without SYN/FIN/RST (the caller checked the flags) of an established
 * connection with sinks, where it would take its fast path with sinks (_steady_sink) and that path changes
 * nothing but counts: no idle sweep due (ts < tracker._next_expire), the 4-tuple known (tracker.flows._map),
 * the sinks made (not None, not SinksDue), this side established, the peer's SYN acknowledged, its data start
 * known and no FIN from it; this side seen before (pkts > 0), its port-reuse base known, the first RTT taken or
 * no SYN to time, its history letter for this kind of segment marked, not a resent or reordered segment, no
 * zero window, no content gap, nothing for the peer's reassembler to skip, its own reassembler made and, for
 * bytes, expecting exactly them with nothing held, no FIN, the payload whole. Then the same steps in the same
 * order (conn.last_ts/last_frame, the side's pkts, frame and payload bytes, last_ts, max_end; the bytes to the
 * reassembler's sink, whose counts and next sequence number follow), and *res = (conn, direction). a: the
 * segment's arguments as the kernel makes them (ts, num, src, sport, dst, dport, seq, ack, flags, window,
 * seglen, opts, payload, frame_len, handle). 1: taken; 0: declined, nothing done (the caller calls
 * ``segment``); -1: an error (a sink raised). tests/test_timeline_steady.py compares the tracker's state, the
 * logs and the fetches with the Python's. */
static PyObject *tl_next_expire, *tl_flows, *tl_map, *tl_mru_syn, *tl_first_rtt, *tl_base_seq, *tl_data;
static PyObject *tl_letters[4];

static int tl_truth(PyObject *o, PyObject *name) {     /* bool(o.name): 1, 0, or -1 (unreadable, cleared) */
    PyObject *v = PyObject_GetAttr(o, name);
    if (v == NULL) {
        PyErr_Clear();
        return -1;
    }
    int t = PyObject_IsTrue(v);
    Py_DECREF(v);
    if (t < 0) {
        PyErr_Clear();
        return -1;
    }
    return t;
}

static int tl_steady(PyObject *tracker, PyObject *established, PyObject *sinks_due, PyObject *const *a,
                     long long ts, long long seq, long long ack, long long window, long long seglen, PyObject **res) {
    if (tl_next_expire == NULL) {
        const char *l[4] = {"A", "a", "D", "d"};
        for (int k = 0; k < 4; k++)
            if ((tl_letters[k] = PyUnicode_InternFromString(l[k])) == NULL)
                return -1;
        if ((tl_next_expire = PyUnicode_InternFromString("_next_expire")) == NULL
            || (tl_flows = PyUnicode_InternFromString("flows")) == NULL
            || (tl_map = PyUnicode_InternFromString("_map")) == NULL
            || (tl_mru_syn = PyUnicode_InternFromString("mru_syn")) == NULL
            || (tl_first_rtt = PyUnicode_InternFromString("first_rtt")) == NULL
            || (tl_base_seq = PyUnicode_InternFromString("base_seq")) == NULL
            || (tl_data = PyUnicode_InternFromString("data")) == NULL)
            return -1;
    }
    long long v, frame_len;
    PyObject *o = PyObject_GetAttr(tracker, tl_next_expire);
    int ok = o != NULL && ta_int(o, &v) && ts < v && ts > -TA_LIM && ta_int(a[13], &frame_len) && frame_len >= 0;
    Py_XDECREF(o);
    if (!ok) {
        PyErr_Clear();
        return 0;
    }
    PyObject *flows = PyObject_GetAttr(tracker, tl_flows);
    PyObject *map = flows == NULL ? NULL : PyObject_GetAttr(flows, tl_map);
    Py_XDECREF(flows);
    if (map == NULL || !PyDict_CheckExact(map)) {
        Py_XDECREF(map);
        PyErr_Clear();
        return 0;
    }
    PyObject *key = PyTuple_Pack(4, a[2], a[3], a[4], a[5]);
    PyObject *hit = key == NULL ? NULL : PyDict_GetItemWithError(map, key);
    Py_XDECREF(key);
    Py_XINCREF(hit);
    Py_DECREF(map);
    if (hit == NULL) {
        PyErr_Clear();
        return 0;
    }
    int taken = 0;
    long long d, pkts, fb, pb, peer_seen, rnext = 0, rdel = 0, roff = 0;
    PyObject *conn, *sides, *sink, *once, *me, *peer, *r, *pr, *rsink = NULL, *rdir = NULL;
    if (!PyTuple_CheckExact(hit) || PyTuple_GET_SIZE(hit) != 2 || !ta_int(PyTuple_GET_ITEM(hit, 1), &d)
        || (d != 0 && d != 1))
        goto out;
    conn = PyTuple_GET_ITEM(hit, 0);
    if (!st_type(conn, &tc_type, tc_names, TC_N, tc_off))
        goto out;
    sides = SLOT(conn, tc_off[TC_sides]);
    sink = SLOT(conn, tc_off[TC_sink]);
    once = SLOT(conn, tc_off[TC_once]);
    if (sides == NULL || !PyTuple_CheckExact(sides) || PyTuple_GET_SIZE(sides) != 2 || sink == NULL
        || sink == Py_None || (PyObject *)Py_TYPE(sink) == sinks_due || once == NULL || !PyDict_Check(once)
        || SLOT(conn, tc_off[TC_ca]) == NULL || SLOT(conn, tc_off[TC_last_ts]) == NULL
        || SLOT(conn, tc_off[TC_last_frame]) == NULL)
        goto out;
    me = PyTuple_GET_ITEM(sides, d);
    peer = PyTuple_GET_ITEM(sides, 1 - d);
    if (Py_TYPE(peer) != Py_TYPE(me) || !st_type(me, &ts_type, ts_names, TS_N, ts_off))
        goto out;
#define MS(n) SLOT(me, ts_off[TS_##n])
#define PS(n) SLOT(peer, ts_off[TS_##n])
    /* segment()'s conditions for its fast path with sinks */
    if (MS(endpoint) != established || PS(fin_seq) != Py_None || !ta_int(PS(syn_acked_frame), &v) || !v
        || PS(data_base) == NULL || PS(data_base) == Py_None)
        goto out;
    /* _steady_sink's steps that would change more than counts */
    if (!ta_int(MS(pkts), &pkts) || pkts <= 0 || !ta_int(MS(frame_bytes), &fb) || !ta_int(MS(payload_bytes), &pb)
        || MS(last_ts) == NULL || MS(sa) == NULL || MS(max_end) == NULL || MS(data_base) == NULL)
        goto out;
    o = PyObject_GetAttr(MS(sa), tl_base_seq);
    if (o == NULL) {
        PyErr_Clear();
        goto out;
    }
    Py_DECREF(o);
    if (o == Py_None)
        goto out;
    {
        int mru = tl_truth(SLOT(conn, tc_off[TC_ca]), tl_mru_syn), rtt = mru == 1 ? tl_truth(SLOT(conn, tc_off[TC_ca]), tl_first_rtt) : 1;
        if (mru < 0 || rtt != 1)
            goto out;
    }
    if (seglen) {
        long long m;
        if (MS(data_base) == Py_None || !ta_int(PS(fin_frame), &v) || v)
            goto out;
        if (MS(max_end) != Py_None && (!ta_int(MS(max_end), &m) || ((seq - m) & M32) >= HALF32))
            goto out;
    }
    {
        int has = PyDict_Contains(once, tl_letters[(seglen ? 2 : 0) + d]);
        if (has != 1) {
            PyErr_Clear();
            goto out;
        }
    }
    if (window == 0 || PS(max_end) == NULL || !ta_int(PS(max_end) != Py_None ? PS(max_end) : PS(data_base), &peer_seen))
        goto out;
    v = (ack - peer_seen) & M32;
    if (v > 0 && v < HALF32)
        goto out;
    r = MS(reasm);
    pr = PS(reasm);
    if (r == NULL || r == Py_None || pr == NULL || !st_type(r, &tr_type, tr_names, TR_N, tr_off))
        goto out;
    if (pr != Py_None) {
        PyObject *pn;
        if (Py_TYPE(pr) != Py_TYPE(r) || (pn = SLOT(pr, tr_off[TR_next])) == NULL)
            goto out;
        if (pn != Py_None) {
            if (!ta_int(pn, &v))
                goto out;
            v = (ack - v) & M32;
            if (v > 0 && v < HALF32)
                goto out;
        }
    }
    if (seglen) {
        PyObject *held = SLOT(r, tr_off[TR_held]);
        rsink = SLOT(r, tr_off[TR_sink]);
        rdir = SLOT(r, tr_off[TR_direction]);
        if (!ta_int(SLOT(r, tr_off[TR_next]), &rnext) || rnext != seq || held == NULL || !PyList_CheckExact(held)
            || PyList_GET_SIZE(held) || SLOT(r, tr_off[TR_fin_offset]) != Py_None || rsink == NULL || rdir == NULL
            || !ta_int(SLOT(r, tr_off[TR_delivered]), &rdel) || !ta_int(SLOT(r, tr_off[TR_offset]), &roff)
            || !PyBytes_CheckExact(a[12]) || PyBytes_GET_SIZE(a[12]) != seglen)
            goto out;
    }
    /* decided: _steady_sink's steps in its order */
    ta_set_obj(conn, tc_off[TC_last_ts], a[0]);
    ta_set_obj(conn, tc_off[TC_last_frame], a[1]);
    if (ta_set_int(me, ts_off[TS_pkts], pkts + 1) < 0 || ta_set_int(me, ts_off[TS_frame_bytes], fb + frame_len) < 0
        || ta_set_int(me, ts_off[TS_payload_bytes], pb + seglen) < 0)
        goto fail;
    ta_set_obj(me, ts_off[TS_last_ts], a[0]);
    if (seglen) {
        if (ta_set_int(me, ts_off[TS_max_end], (seq + seglen) & M32) < 0)
            goto fail;
        /* StreamReassembler.in_order */
        Py_INCREF(r);
        Py_INCREF(rsink);
        Py_INCREF(rdir);
        PyObject *cargs[5] = {rsink, rdir, a[12], a[14], a[0]};
        PyObject *got = PyObject_VectorcallMethod(tl_data, cargs, 5, NULL);
        Py_DECREF(rdir);
        Py_DECREF(rsink);
        if (got == NULL) {
            Py_DECREF(r);
            goto fail;
        }
        Py_DECREF(got);
        /* (the sink ran Python code: the counts read again, as the Python's += reads them) */
        if (!ta_int(SLOT(r, tr_off[TR_delivered]), &rdel) || !ta_int(SLOT(r, tr_off[TR_offset]), &roff)
            || ta_set_int(r, tr_off[TR_delivered], rdel + seglen) < 0 || ta_set_int(r, tr_off[TR_offset], roff + seglen) < 0
            || ta_set_int(r, tr_off[TR_next], (seq + seglen) & M32) < 0) {
            Py_DECREF(r);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_RuntimeError, "timeline_tcp: a reassembler's count changed type in its sink");
            goto fail;
        }
        Py_DECREF(r);
    }
#undef MS
#undef PS
    *res = PyTuple_Pack(2, conn, PyTuple_GET_ITEM(hit, 1));
    taken = *res == NULL ? -1 : 1;
out:
    Py_DECREF(hit);
    return taken;
fail:
    Py_DECREF(hit);
    return -1;
}

/* tl_resends: the tracker's count of resent data segments on ``conn`` (its Connection, after its segment(): the
 * sides' retransmissions), or -1 when not read. A data segment after which it differs from the log's ``resends``
 * (the count Collector._logged saw last), or one the log's ``watch`` bits name, goes to Collector._logged, which
 * keeps its TCP timestamps (ConnLog.stamp_data). */
static long long tl_resends(PyObject *conn) {
    long long a, b;
    if (!st_type(conn, &tc_type, tc_names, TC_N, tc_off))
        return -1;
    PyObject *sides = SLOT(conn, tc_off[TC_sides]);
    if (sides == NULL || !PyTuple_CheckExact(sides) || PyTuple_GET_SIZE(sides) != 2)
        return -1;
    PyObject *o = PyTuple_GET_ITEM(sides, 0), *r = PyTuple_GET_ITEM(sides, 1);
    if (Py_TYPE(r) != Py_TYPE(o) || !st_type(o, &ts_type, ts_names, TS_N, ts_off)
        || !ta_int(SLOT(o, ts_off[TS_retransmissions]), &a) || !ta_int(SLOT(r, ts_off[TS_retransmissions]), &b))
        return -1;
    return a + b;
}

static PyObject *timeline_tcp(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 14 && nargs != 17) {
        PyErr_SetString(PyExc_TypeError, "timeline_tcp: 14 or 17 arguments");
        return NULL;
    }
    /* (with 17: the tracker, its ESTABLISHED state and the SinksDue class: steady segments taken by tl_steady) */
    PyObject *tracker = nargs == 17 ? args[14] : NULL, *est = nargs == 17 ? args[15] : NULL;
    PyObject *due = nargs == 17 ? args[16] : NULL;
    if (tl_stream == NULL) {
        if ((tl_stream = PyUnicode_InternFromString("stream")) == NULL
            || (tl_add_payload = PyUnicode_InternFromString("add_payload")) == NULL)
            return NULL;
    }
    PyObject *data = args[0], *segment = args[5], *pair_of = args[6], *logs = args[7], *attempt = args[8];
    PyObject *dns = args[9], *logged = args[10], *log_type = args[11];
    long long first, start, stop, max_log;
    if (!PyBytes_CheckExact(data) || !PyDict_CheckExact(logs) || !PyType_Check(log_type)
        || !ta_int(args[1], &first) || !ta_int(args[2], &start) || !ta_int(args[3], &stop)
        || !ta_int(args[12], &max_log)) {
        PyErr_SetString(PyExc_TypeError, "timeline_tcp: bad arguments");
        return NULL;
    }
    if ((PyTypeObject *)log_type != tl_log_type) {
        if (!slot_offsets((PyTypeObject *)log_type, tl_names, TL_N, tl_off)) {
            PyErr_SetString(PyExc_TypeError, "timeline_tcp: the log type has not the slots it reads");
            return NULL;
        }
        Py_XSETREF(tl_log_type, (PyTypeObject *)Py_NewRef(log_type));
    }
    Py_buffer tv, av;
    if (PyObject_GetBuffer(args[4], &tv, PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    if (PyObject_GetBuffer(args[13], &av, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&tv);
        return NULL;
    }
    Py_ssize_t n = tv.len / (10 * 8);
    if (tv.len != n * 80 || start < 0 || stop > n || av.len < 8) {
        PyBuffer_Release(&tv);
        PyBuffer_Release(&av);
        PyErr_SetString(PyExc_ValueError, "timeline_tcp: bad table or range");
        return NULL;
    }
    const int64_t *T = tv.buf;
    const unsigned char *b = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t blen = PyBytes_GET_SIZE(data);
    PyObject *empty = PyBytes_FromStringAndSize(NULL, 0);     /* b"" (the shared empty bytes) */
    if (empty == NULL) {
        PyBuffer_Release(&tv);
        PyBuffer_Release(&av);
        return NULL;
    }
    int64_t *at_frame = av.buf;
    long long i = start;
    int err = 0;
#define TB(row) (T[(row) * n + i])
#define U16(at) ((long long)b[at] << 8 | b[(at) + 1])
#define U32(at) (U16(at) << 16 | U16((at) + 2))
    for (; i < stop && !err; i++) {
        if (TB(0) != 1)
            break;
        *at_frame = i;
        long long ts = TB(1), o = TB(2), fend = o + TB(3), origlen = TB(4), linktype = TB(5), l3 = TB(6);
        long long ipver = TB(7), t = TB(8), ip_end = TB(9);
        if (o < 0 || fend > blen || t < o || l3 < o || fend < t + 20 || l3 + 40 > fend + (ipver == 4 ? 20 : 0))
            break;
        long long sport = U16(t), dport = U16(t + 2), seq = U32(t + 4), ack = U32(t + 8);
        long long offres = b[t + 12], flagbyte = b[t + 13], window = U16(t + 14);
        long long hl = (offres >> 4) << 2;
        if (ip_end > o + origlen)
            ip_end = o + origlen;
        long long p = t + hl, seglen = ip_end - p;
        if (hl < 20 || seglen < 0 || fend < p)
            break;
        long long end = ip_end < fend ? ip_end : fend;
        long long flags = ((offres & 0x0F) << 8) | flagbyte;
        PyObject *sp = PyLong_FromLongLong(sport), *dp = PyLong_FromLongLong(dport);
        if (sp == NULL || dp == NULL) {
            Py_XDECREF(sp);
            Py_XDECREF(dp);
            err = 1;
            break;
        }
        int c1 = PySequence_Contains(dns, sp), c2 = c1 == 0 ? PySequence_Contains(dns, dp) : 0;
        if (c1 != 0 || c2 != 0) {           /* DNS over TCP (or an error): Python's */
            Py_DECREF(sp);
            Py_DECREF(dp);
            if (c1 < 0 || c2 < 0)
                err = 1;
            break;
        }
        PyObject *addrs = ipver == 4 ? PyBytes_FromStringAndSize((const char *)b + l3 + 12, 8)
                                     : PyBytes_FromStringAndSize((const char *)b + l3 + 8, 32);
        PyObject *pair = addrs == NULL ? NULL : PyObject_CallOneArg(pair_of, addrs);
        Py_XDECREF(addrs);
        PyObject *opts = NULL, *payload = NULL, *num = NULL, *res = NULL;
        if (pair == NULL || !PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2) {
            if (pair != NULL)
                PyErr_SetString(PyExc_TypeError, "timeline_tcp: address_pair gave no pair");
            err = 1;
            goto next;
        }
        opts = hl > 20 && (flagbyte & 0x02) ? PyBytes_FromStringAndSize((const char *)b + t + 20, hl - 20)
                                            : Py_NewRef(empty);
        payload = seglen ? PyBytes_FromStringAndSize((const char *)b + p, end - p) : Py_NewRef(empty);
        num = PyLong_FromLongLong(first + i);
        if (opts == NULL || payload == NULL || num == NULL) {
            err = 1;
            goto next;
        }
        {
            PyObject *a[15];
            a[0] = PyLong_FromLongLong(ts);
            a[1] = num;
            a[2] = PyTuple_GET_ITEM(pair, 0);
            a[3] = sp;
            a[4] = PyTuple_GET_ITEM(pair, 1);
            a[5] = dp;
            a[6] = PyLong_FromLongLong(seq);
            a[7] = PyLong_FromLongLong(ack);
            a[8] = PyLong_FromLongLong(flags);
            a[9] = PyLong_FromLongLong(window);
            a[10] = PyLong_FromLongLong(seglen);
            a[11] = opts;
            a[12] = payload;
            a[13] = PyLong_FromLongLong(origlen);
            a[14] = num;
            if (a[0] && a[6] && a[7] && a[8] && a[9] && a[10] && a[13]) {
                int took = tracker != NULL && (flags & 0x17) == 0x10
                           ? tl_steady(tracker, est, due, a, ts, seq, ack, window, seglen, &res) : 0;
                if (took == 0)
                    res = PyObject_Vectorcall(segment, a, 15, NULL);
            }
            if (res == NULL)
                err = 1;
            else if (!PyTuple_CheckExact(res) || PyTuple_GET_SIZE(res) != 2) {
                PyErr_SetString(PyExc_TypeError, "timeline_tcp: segment gave no (conn, direction)");
                err = 1;
            }
            long long ip_id, ttl;
            if (ipver == 4) {
                ip_id = U16(l3 + 4);
                ttl = b[l3 + 8];
            } else {
                ip_id = 0;
                ttl = b[l3 + 7];
            }
            PyObject *conn = err ? NULL : PyTuple_GET_ITEM(res, 0), *dobj = err ? NULL : PyTuple_GET_ITEM(res, 1);
            long long d = -1;
            int simple = 0;
            PyObject *log = NULL;
            if (!err && (PyObject *)Py_TYPE(conn) != attempt && ta_int(dobj, &d) && (d == 0 || d == 1)) {
                PyObject *stream = PyObject_GetAttr(conn, tl_stream);
                if (stream == NULL) {
                    err = 1;
                } else {
                    log = PyDict_GetItemWithError(logs, stream);     /* borrowed */
                    Py_DECREF(stream);
                    if (log == NULL && PyErr_Occurred())
                        err = 1;
                    else if (log == NULL)
                        simple = 2;                 /* no log: nothing to do */
                    else if (Py_TYPE(log) == tl_log_type) {
                        PyObject *lc = SLOT(log, tl_off[TL_conn]), *mac = SLOT(log, tl_off[TL_next_hop_mac]);
                        PyObject *ep = SLOT(log, tl_off[TL_epoch]), *lb = SLOT(log, tl_off[TL_log]);
                        PyObject *wt = SLOT(log, tl_off[TL_watch]), *rs = SLOT(log, tl_off[TL_resends]);
                        long long count, base_ts, epoch, watch, resends;
                        if (lc != conn)
                            simple = 2;             /* another connection's log: nothing to do */
                        else if (mac != NULL && PyUnicode_CheckExact(mac) && ta_int(ep, &epoch)
                                 && (PyUnicode_GET_LENGTH(mac) || epoch || d == 1 || linktype != 1)
                                 && ta_int(SLOT(log, tl_off[TL_count]), &count) && count + 1 <= max_log
                                 && ta_int(SLOT(log, tl_off[TL_base_ts]), &base_ts) && lb != NULL
                                 && PyByteArray_CheckExact(lb) && (!seglen || ip_end <= fend)
                                 && !(flags & 0x02) && ts > -TA_LIM && ts < TA_LIM
                                 && ta_int(wt, &watch) && ta_int(rs, &resends)
                                 && !(seglen && ((watch >> d) & 1 || tl_resends(conn) != resends))) {
                            long long delta = ts - base_ts;
                            unsigned char rec[31];
                            uint32_t u;
                            uint16_t h;
                            u = (uint32_t)((first + i) & 0xFFFFFFFF); memcpy(rec, &u, 4);
                            memcpy(rec + 4, &delta, 8);
                            u = (uint32_t)seq; memcpy(rec + 12, &u, 4);
                            u = (uint32_t)ack; memcpy(rec + 16, &u, 4);
                            h = (uint16_t)(flags | d << 15); memcpy(rec + 20, &h, 2);
                            u = (uint32_t)seglen; memcpy(rec + 22, &u, 4);
                            h = (uint16_t)window; memcpy(rec + 26, &h, 2);
                            h = (uint16_t)ip_id; memcpy(rec + 28, &h, 2);
                            rec[30] = (unsigned char)ttl;
                            Py_ssize_t at = PyByteArray_GET_SIZE(lb);
                            if (ta_set_int(log, tl_off[TL_count], count + 1) < 0
                                || PyByteArray_Resize(lb, at + 31) < 0) {
                                err = 1;
                            } else {
                                memcpy(PyByteArray_AS_STRING(lb) + at, rec, 31);
                                simple = 1;
                            }
                        }
                    }
                }
            }
            if (!err && simple == 1 && seglen) {
                PyObject *pa[7] = {log, num, dobj, a[6], data, NULL, NULL};
                pa[5] = PyLong_FromLongLong(p);
                pa[6] = PyLong_FromLongLong(end);
                PyObject *r = pa[5] && pa[6] ? PyObject_VectorcallMethod(tl_add_payload, pa,
                                                                         7 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL)
                                             : NULL;
                Py_XDECREF(pa[5]);
                Py_XDECREF(pa[6]);
                if (r == NULL)
                    err = 1;
                Py_XDECREF(r);
            } else if (!err && !simple) {
                PyObject *la[18];
                long long v[12] = {ip_id, ttl, linktype, o, fend, p, end, ip_end, 0, 0, 0, 0};
                la[0] = conn;
                la[1] = dobj;
                la[2] = num;
                la[3] = a[0];
                la[4] = a[6];
                la[5] = a[7];
                la[6] = a[8];
                la[7] = a[9];
                la[8] = a[10];
                la[12] = data;
                int k = 0, ok = 1;
                int slots[8] = {9, 10, 11, 13, 14, 15, 16, 17};
                for (k = 0; k < 8; k++) {
                    la[slots[k]] = PyLong_FromLongLong(v[k]);
                    if (la[slots[k]] == NULL)
                        ok = 0;
                }
                PyObject *r = ok ? PyObject_Vectorcall(logged, la, 18, NULL) : NULL;
                for (k = 0; k < 8; k++)
                    Py_XDECREF(la[slots[k]]);
                if (r == NULL)
                    err = 1;
                Py_XDECREF(r);
            }
            for (int k = 0; k < 15; k++)
                if (k != 1 && k != 2 && k != 3 && k != 4 && k != 5 && k != 11 && k != 12 && k != 14)
                    Py_XDECREF(a[k]);
        }
    next:
        Py_XDECREF(res);
        Py_XDECREF(num);
        Py_XDECREF(opts);
        Py_XDECREF(payload);
        Py_XDECREF(pair);
        Py_DECREF(sp);
        Py_DECREF(dp);
        if (err)
            break;
    }
#undef TB
#undef U16
#undef U32
    Py_DECREF(empty);
    PyBuffer_Release(&tv);
    PyBuffer_Release(&av);
    if (err)
        return NULL;
    return PyLong_FromLongLong(i);
}
/* (written by h-tlout, moved to the timeline's block) */
/* conn_segments(log, until, base, b0, b1, Segment) -> (segments, syns, synacks) or None
 *   The one pass of timeline/tcp.connection_facts over a connection's packed segment log (records of
 *   collect.REC, "<IqIIHIHHB": frame, ts_ns - base, seq, ack, flags | direction << 15, length, window, IPv4 ID,
 *   TTL): for each record of a frame below ``until``, a ``Segment`` (the NamedTuple class given) with its
 *   time (t + base) and its sequence and acknowledgment numbers relative to the bases ``b0``/``b1`` of its
 *   side and the other (-1: no base, the raw number), no analysis flags; ``syns``: (frame, time) of the
 *   client's SYNs, ``synacks`` of the server's SYN-ACKs. None (the caller then runs its Python loop) when a
 *   time does not fit 64 bits. tests/test_timeline_conn_segments.py compares both. */
#define TLO_REC 31

static inline uint32_t tlo_u32(const unsigned char *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint16_t tlo_u16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static PyObject *conn_segments(PyObject *self, PyObject *args) {
    Py_buffer view;
    long long until, base, b0, b1;
    PyTypeObject *seg_type;
    if (!PyArg_ParseTuple(args, "y*LLLLO!", &view, &until, &base, &b0, &b1, &PyType_Type, &seg_type))
        return NULL;
    PyObject *segs = NULL, *syns = NULL, *synacks = NULL, *result = NULL;
    if (!PyType_IsSubtype(seg_type, &PyTuple_Type) || view.len % TLO_REC) {
        PyErr_SetString(PyExc_ValueError, "conn_segments: a tuple type and whole records are expected");
        goto done;
    }
    segs = PyList_New(0);
    syns = PyList_New(0);
    synacks = PyList_New(0);
    if (segs == NULL || syns == NULL || synacks == NULL)
        goto done;
    const unsigned char *p = view.buf;
    Py_ssize_t n = view.len / TLO_REC;
    for (Py_ssize_t i = 0; i < n; i++, p += TLO_REC) {
        long long frame = tlo_u32(p);
        if (frame >= until)
            continue;
        int64_t t;
        memcpy(&t, p + 4, 8);           /* little-endian, as the machines this is built on */
        long long ts;
        if (__builtin_add_overflow((long long)t, base, &ts)) {
            Py_CLEAR(segs);
            Py_INCREF(Py_None);
            result = Py_None;
            goto done;
        }
        uint32_t seq = tlo_u32(p + 12), ack = tlo_u32(p + 16);
        unsigned fl = tlo_u16(p + 20);
        unsigned d = fl >> 15, flags = fl & 0x0FFF;
        uint32_t length = tlo_u32(p + 22);
        unsigned win = tlo_u16(p + 26), ip_id = tlo_u16(p + 28), ttl = p[30];
        long long mine = d == 0 ? b0 : b1, other = d == 0 ? b1 : b0;
        long long rel_seq = mine >= 0 ? (long long)((seq - (uint32_t)mine) & 0xFFFFFFFFu) : (long long)seq;
        long long rel_ack = 0;
        if (flags & 0x10)
            rel_ack = other >= 0 ? (long long)((ack - (uint32_t)other) & 0xFFFFFFFFu) : (long long)ack;
        PyObject *s = seg_type->tp_alloc(seg_type, 14);
        if (s == NULL)
            goto done;
        PyObject *v[14];
        v[0] = PyLong_FromLongLong(frame);
        v[1] = PyLong_FromLongLong(ts);
        v[2] = PyLong_FromLong(d);
        v[3] = PyLong_FromLong(flags);
        v[4] = PyLong_FromUnsignedLong(seq);
        v[5] = PyLong_FromUnsignedLong(ack);
        v[6] = PyLong_FromLongLong(rel_seq);
        v[7] = PyLong_FromLongLong(rel_ack);
        v[8] = PyLong_FromUnsignedLong(length);
        v[9] = PyLong_FromLong(win);
        v[10] = PyLong_FromLong(0);
        v[11] = PyLong_FromLong(0);
        v[12] = PyLong_FromLong(ip_id);
        v[13] = PyLong_FromLong(ttl);
        int bad = 0;
        for (int j = 0; j < 14; j++) {
            if (v[j] == NULL)
                bad = 1;
            PyTuple_SET_ITEM(s, j, v[j]);   /* a NULL one is fine to leave: the tuple is dropped below */
        }
        if (bad || PyList_Append(segs, s) < 0) {
            Py_DECREF(s);
            goto done;
        }
        if (flags & 0x02) {             /* SYN: the client's, or with ACK the server's */
            PyObject *into = (flags & 0x10) ? (d == 1 ? synacks : NULL) : (d == 0 ? syns : NULL);
            if (into != NULL) {
                PyObject *pair = PyTuple_Pack(2, v[0], v[1]);
                if (pair == NULL || PyList_Append(into, pair) < 0) {
                    Py_XDECREF(pair);
                    Py_DECREF(s);
                    goto done;
                }
                Py_DECREF(pair);
            }
        }
        Py_DECREF(s);
    }
    result = PyTuple_Pack(3, segs, syns, synacks);
done:
    PyBuffer_Release(&view);
    Py_XDECREF(segs);
    Py_XDECREF(syns);
    Py_XDECREF(synacks);
    return result;
}
/* keepalive_shaped(segments) -> True, False, or None
 *   timeline/tcp._keepalive_shaped's loop over a connection's segments (its Python twin: _keepalive_loop): whether
 *   a Segment of the list (a tuple: direction [2], flags [3], rel_seq [6], length [8]) is shaped like Wireshark's
 *   keep-alive: no SYN, FIN or RST, at most 1 byte, at its sender's next sequence number - 1 (the highest end of
 *   that direction so far, a SYN or FIN counting one byte), that number above 1. None (the caller runs the Python
 *   loop) for anything that is not a list of tuples of ints fitting 64 bits, a direction other than 0 or 1, or
 *   an end that does not fit. tests/test_timeline_keepalive_compiled.py compares both. */
static PyObject *keepalive_shaped(PyObject *self, PyObject *segs) {
    if (!PyList_Check(segs))
        Py_RETURN_NONE;
    long long nxt[2] = {0, 0};
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(segs); i++) {
        PyObject *sg = PyList_GET_ITEM(segs, i);
        if (!PyTuple_Check(sg) || PyTuple_GET_SIZE(sg) < 9)
            Py_RETURN_NONE;
        long long f[4];
        static const int at[4] = {2, 3, 6, 8};
        for (int k = 0; k < 4; k++) {
            PyObject *v = PyTuple_GET_ITEM(sg, at[k]);
            if (!PyLong_CheckExact(v))
                Py_RETURN_NONE;
            int over = 0;
            f[k] = PyLong_AsLongLongAndOverflow(v, &over);
            if (over || (f[k] == -1 && PyErr_Occurred())) {
                PyErr_Clear();
                Py_RETURN_NONE;
            }
        }
        long long d = f[0], fl = f[1], rel_seq = f[2], length = f[3], end;
        if (d != 0 && d != 1)
            Py_RETURN_NONE;
        if (__builtin_add_overflow(rel_seq, length, &end) || ((fl & 0x03) && __builtin_add_overflow(end, 1, &end)))
            Py_RETURN_NONE;
        if (length <= 1 && !(fl & 0x07) && nxt[d] > 1 && rel_seq == nxt[d] - 1)
            Py_RETURN_TRUE;
        if (end > nxt[d])
            nxt[d] = end;
    }
    Py_RETURN_FALSE;
}
/* conn_owners(segments, starts0, ends0, index0, starts1, ends1, index1) -> list of ints, or None
 *   timeline/tcp.owners' loop over a connection's segments (its Python twin is the loop there): per Segment (a
 *   tuple: direction [2], flags [3], rel_seq [6], rel_ack [7], length [8]) the index of the transaction it
 *   belongs to, -1 (HANDSHAKE) or -2 (TEARDOWN). The messages of direction d are given as three lists of
 *   the same length, sorted by start (their starts, ends and transaction indexes); a message is found as
 *   bisect_right over the starts - 1, when the offset is below its end. None (the caller runs the Python loop)
 *   for anything that is not a tuple of ints fitting 64 bits or a direction other than 0 or 1.
 *   tests/test_timeline_owners_compiled.py compares both. */
typedef struct {
    long long *start, *end, *index;
    Py_ssize_t n;
} tl_msgs;

static int tl_msgs_read(PyObject *starts, PyObject *ends, PyObject *index, tl_msgs *m) {
    m->start = m->end = m->index = NULL;
    m->n = 0;
    if (!PyList_Check(starts) || !PyList_Check(ends) || !PyList_Check(index))
        return 0;
    Py_ssize_t n = PyList_GET_SIZE(starts);
    if (PyList_GET_SIZE(ends) != n || PyList_GET_SIZE(index) != n)
        return 0;
    m->start = PyMem_Malloc(sizeof(long long) * (size_t)(3 * n + 1));
    if (m->start == NULL)
        return -1;
    m->end = m->start + n;
    m->index = m->end + n;
    m->n = n;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v[3] = {PyList_GET_ITEM(starts, i), PyList_GET_ITEM(ends, i), PyList_GET_ITEM(index, i)};
        long long *into[3] = {m->start, m->end, m->index};
        for (int k = 0; k < 3; k++) {
            if (!PyLong_CheckExact(v[k]))
                return 0;
            int over = 0;
            into[k][i] = PyLong_AsLongLongAndOverflow(v[k], &over);
            if (over)
                return 0;
        }
    }
    return 1;
}

/* the transaction index of the message of m holding offset off (1), or 0 when none does */
static inline int tl_find(const tl_msgs *m, long long off, long long *out) {
    Py_ssize_t lo = 0, hi = m->n;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (off < m->start[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo > 0 && off < m->end[lo - 1]) {
        *out = m->index[lo - 1];
        return 1;
    }
    return 0;
}

static PyObject *conn_owners(PyObject *self, PyObject *args) {
    PyObject *segs, *s0, *e0, *i0, *s1, *e1, *i1;
    if (!PyArg_ParseTuple(args, "OOOOOOO", &segs, &s0, &e0, &i0, &s1, &e1, &i1))
        return NULL;
    tl_msgs m[2];
    PyObject *out = NULL;
    int ok0 = tl_msgs_read(s0, e0, i0, &m[0]);
    int ok1 = ok0 == 1 ? tl_msgs_read(s1, e1, i1, &m[1]) : (m[1].start = NULL, 0);
    if (ok0 < 0 || ok1 < 0)
        goto done;
    if (ok0 == 0 || ok1 == 0 || !PyTuple_Check(segs)) {
        out = Py_None;
        Py_INCREF(out);
        goto done;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(segs);
    out = PyList_New(n);
    if (out == NULL)
        goto done;
    const long long HANDSHAKE = -1, TEARDOWN = -2;
    long long current = HANDSHAKE;
    int closing = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *sg = PyTuple_GET_ITEM(segs, i);
        if (!PyTuple_Check(sg) || PyTuple_GET_SIZE(sg) < 9)
            goto decline;
        long long f[5];
        static const int at[5] = {2, 3, 6, 7, 8};
        for (int k = 0; k < 5; k++) {
            PyObject *v = PyTuple_GET_ITEM(sg, at[k]);
            if (!PyLong_CheckExact(v))
                goto decline;
            int over = 0;
            f[k] = PyLong_AsLongLongAndOverflow(v, &over);
            if (over || (f[k] == -1 && PyErr_Occurred()))
                goto decline;
        }
        long long d = f[0], fl = f[1], rel_seq = f[2], rel_ack = f[3], length = f[4];
        if (d != 0 && d != 1)
            goto decline;
        long long owner, got;
        if (closing && length && !(fl & 0x07)) {             /* data sent again once the close began */
            if (tl_find(&m[d], rel_seq - 1, &got)) {
                owner = got;
                goto put;
            }
        }
        if (closing || (fl & 0x05)) {                          /* FIN or RST, or after them */
            closing = closing || ((fl & 0x01) && !length) || (fl & 0x04);
            if (length && tl_find(&m[d], rel_seq - 1, &got))
                current = got;
            owner = TEARDOWN;
            if ((fl & 0x01) && !closing)
                closing = 1;
            goto put;
        }
        if (fl & 0x02) {
            owner = HANDSHAKE;
            goto put;
        }
        if (length) {
            if (tl_find(&m[d], rel_seq - 1, &got))
                current = got;
            owner = current;
            goto put;
        }
        if ((fl & 0x10) && rel_ack >= 2 && tl_find(&m[1 - d], rel_ack - 2, &got) && current != HANDSHAKE) {
            owner = got;
            goto put;
        }
        owner = current;
    put:;
        PyObject *o = PyLong_FromLongLong(owner);
        if (o == NULL) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, i, o);
    }
    goto done;
decline:
    PyErr_Clear();
    Py_CLEAR(out);
    out = Py_None;
    Py_INCREF(out);
done:
    PyMem_Free(m[0].start);
    PyMem_Free(m[1].start);
    return out;
}
/* conn_payload(segments, owners, starts0, ends0, index0, starts1, ends1, index1, fast) -> (unique, sent) or None
 *   timeline/tcp.payload_bytes over a connection's segments (its Python twin is the loop there, the same dicts
 *   filled in the same order): ``sent`` (transaction index or -1, direction) -> every payload byte of the
 *   segments it owns; ``unique`` -> each byte of the stream once, given to the messages it lies in ((-1, d): in
 *   none). The messages of a direction as in conn_owners; ``fast``: PAYLOAD_FAST. None (the Python loop then)
 *   for what it does not read (as conn_owners). tests/test_timeline_owners_compiled.py compares both. */
typedef struct {
    long long *lo, *hi;
    Py_ssize_t n, cap;
} tl_cover;

static int tl_cover_grow(tl_cover *c, Py_ssize_t need) {
    if (need <= c->cap)
        return 0;
    Py_ssize_t cap = c->cap ? c->cap * 2 : 16;
    while (cap < need)
        cap *= 2;
    long long *lo = PyMem_Realloc(c->lo, sizeof(long long) * (size_t)cap);
    if (lo == NULL)
        return -1;
    c->lo = lo;
    long long *hi = PyMem_Realloc(c->hi, sizeof(long long) * (size_t)cap);
    if (hi == NULL)
        return -1;
    c->hi = hi;
    c->cap = cap;
    return 0;
}

/* d[(k, dir)] += v, as ``d[key] = d.get(key, 0) + v`` */
static int tl_add(PyObject *d, long long k, long long dir, long long v) {
    PyObject *key = Py_BuildValue("(LL)", k, dir);
    if (key == NULL)
        return -1;
    PyObject *old = PyDict_GetItemWithError(d, key);
    PyObject *sum;
    if (old == NULL) {
        if (PyErr_Occurred()) {
            Py_DECREF(key);
            return -1;
        }
        sum = PyLong_FromLongLong(v);
    } else {
        PyObject *add = PyLong_FromLongLong(v);
        sum = add == NULL ? NULL : PyNumber_Add(old, add);
        Py_XDECREF(add);
    }
    int rc = sum == NULL ? -1 : PyDict_SetItem(d, key, sum);
    Py_XDECREF(sum);
    Py_DECREF(key);
    return rc;
}

/* first i with a[i] > x (bisect_right) */
static inline Py_ssize_t tl_bisect(const long long *a, Py_ssize_t n, long long x) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (x < a[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static PyObject *conn_payload(PyObject *self, PyObject *args) {
    PyObject *segs, *own, *s0, *e0, *i0, *s1, *e1, *i1;
    int fast;
    if (!PyArg_ParseTuple(args, "OOOOOOOOp", &segs, &own, &s0, &e0, &i0, &s1, &e1, &i1, &fast))
        return NULL;
    tl_msgs m[2];
    long long *reach[2] = {NULL, NULL};
    int apart[2] = {1, 1};
    tl_cover cov[2] = {{NULL, NULL, 0, 0}, {NULL, NULL, 0, 0}};
    PyObject *unique = NULL, *sent = NULL, *out = NULL;
    int ok0 = tl_msgs_read(s0, e0, i0, &m[0]);
    int ok1 = ok0 == 1 ? tl_msgs_read(s1, e1, i1, &m[1]) : (m[1].start = NULL, 0);
    if (ok0 < 0 || ok1 < 0)
        goto done;
    if (ok0 == 0 || ok1 == 0 || !PyTuple_Check(segs) || !PyList_Check(own)
            || PyList_GET_SIZE(own) < PyTuple_GET_SIZE(segs))
        goto decline;
    for (int d = 0; d < 2; d++) {
        reach[d] = PyMem_Malloc(sizeof(long long) * (size_t)(m[d].n + 1));
        if (reach[d] == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        long long far = 0;
        for (Py_ssize_t i = 0; i < m[d].n; i++) {
            if (m[d].start[i] < far)
                apart[d] = 0;
            if (m[d].end[i] > far)
                far = m[d].end[i];
            reach[d][i] = far;
        }
    }
    unique = PyDict_New();
    sent = PyDict_New();
    if (unique == NULL || sent == NULL)
        goto done;
    Py_ssize_t n = PyTuple_GET_SIZE(segs);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *sg = PyTuple_GET_ITEM(segs, i);
        if (!PyTuple_Check(sg) || PyTuple_GET_SIZE(sg) < 9)
            goto decline;
        long long f[4];
        PyObject *src[4] = {PyTuple_GET_ITEM(sg, 8), PyTuple_GET_ITEM(sg, 2), PyTuple_GET_ITEM(sg, 6),
                            PyList_GET_ITEM(own, i)};
        for (int k = 0; k < 4; k++) {
            if (!PyLong_CheckExact(src[k]))
                goto decline;
            int over = 0;
            f[k] = PyLong_AsLongLongAndOverflow(src[k], &over);
            if (over || f[k] > (1LL << 62) || f[k] < -(1LL << 62))
                goto decline;
        }
        long long length = f[0], d = f[1], lo = f[2] - 1, owner = f[3];
        if (!length)
            continue;
        if (d != 0 && d != 1)
            goto decline;
        if (tl_add(sent, owner >= 0 ? owner : -1, d, length) < 0)
            goto done;
        tl_cover *c = &cov[d];
        tl_msgs *md = &m[d];
        if (fast && apart[d] && c->n && lo >= c->hi[c->n - 1]) {
            /* the common case: after the bytes seen so far, inside one message */
            Py_ssize_t j = tl_bisect(reach[d], md->n, lo);
            if (j < md->n && md->start[j] <= lo && lo + length <= md->end[j]) {
                if (lo == c->hi[c->n - 1])
                    c->hi[c->n - 1] = lo + length;
                else {
                    if (tl_cover_grow(c, c->n + 1) < 0) {
                        PyErr_NoMemory();
                        goto done;
                    }
                    c->lo[c->n] = lo;
                    c->hi[c->n] = lo + length;
                    c->n++;
                }
                if (tl_add(unique, md->index[j], d, length) < 0)
                    goto done;
                continue;
            }
        }
        /* _Intervals.add(lo, hi): the parts of [lo, hi) not covered before, then merged in */
        long long hi = lo + length;
        long long part_lo[2], part_hi[2];
        long long *plo = part_lo, *phi = part_hi;
        long long *heap_lo = NULL, *heap_hi = NULL;
        Py_ssize_t parts = 0;
        if (!c->n || lo >= c->hi[c->n - 1]) {
            if (c->n && lo == c->hi[c->n - 1])
                c->hi[c->n - 1] = hi;
            else {
                if (tl_cover_grow(c, c->n + 1) < 0) {
                    PyErr_NoMemory();
                    goto done;
                }
                c->lo[c->n] = lo;
                c->hi[c->n] = hi;
                c->n++;
            }
            part_lo[0] = lo;
            part_hi[0] = hi;
            parts = 1;
        } else {
            Py_ssize_t a = tl_bisect(c->hi, c->n, lo);     /* first range ending after lo */
            Py_ssize_t b = a;
            while (b < c->n && c->lo[b] < hi)
                b++;
            if (b - a + 1 > 2) {
                heap_lo = PyMem_Malloc(sizeof(long long) * (size_t)(b - a + 1));
                heap_hi = PyMem_Malloc(sizeof(long long) * (size_t)(b - a + 1));
                if (heap_lo == NULL || heap_hi == NULL) {
                    PyMem_Free(heap_lo);
                    PyMem_Free(heap_hi);
                    PyErr_NoMemory();
                    goto done;
                }
                plo = heap_lo;
                phi = heap_hi;
            }
            long long pos = lo;
            for (Py_ssize_t j = a; j < b; j++) {
                if (c->lo[j] > pos) {
                    plo[parts] = pos;
                    phi[parts] = c->lo[j];
                    parts++;
                }
                if (c->hi[j] > pos)
                    pos = c->hi[j];
            }
            if (pos < hi) {
                plo[parts] = pos;
                phi[parts] = hi;
                parts++;
            }
            long long mlo = a < c->n ? (lo < c->lo[a] ? lo : c->lo[a]) : lo;
            long long mhi = b > a ? (hi > c->hi[b - 1] ? hi : c->hi[b - 1]) : hi;
            /* ranges a..b-1 replaced by one */
            Py_ssize_t removed = b - a;
            if (removed == 0) {
                if (tl_cover_grow(c, c->n + 1) < 0) {
                    PyMem_Free(heap_lo);
                    PyMem_Free(heap_hi);
                    PyErr_NoMemory();
                    goto done;
                }
                memmove(c->lo + a + 1, c->lo + a, sizeof(long long) * (size_t)(c->n - a));
                memmove(c->hi + a + 1, c->hi + a, sizeof(long long) * (size_t)(c->n - a));
                c->n++;
            } else if (removed > 1) {
                memmove(c->lo + a + 1, c->lo + b, sizeof(long long) * (size_t)(c->n - b));
                memmove(c->hi + a + 1, c->hi + b, sizeof(long long) * (size_t)(c->n - b));
                c->n -= removed - 1;
            }
            c->lo[a] = mlo;
            c->hi[a] = mhi;
        }
        for (Py_ssize_t p = 0; p < parts; p++) {
            long long pa = plo[p], pb = phi[p], left = pb - pa;
            for (Py_ssize_t j = tl_bisect(reach[d], md->n, pa); j < md->n; j++) {
                if (md->end[j] <= pa)
                    continue;
                if (md->start[j] >= pb)
                    break;
                long long e = pb < md->end[j] ? pb : md->end[j];
                long long st = pa > md->start[j] ? pa : md->start[j];
                long long k = e - st;
                if (k > 0) {
                    if (tl_add(unique, md->index[j], d, k) < 0) {
                        PyMem_Free(heap_lo);
                        PyMem_Free(heap_hi);
                        goto done;
                    }
                    left -= k;
                }
            }
            if (left > 0 && tl_add(unique, -1, d, left) < 0) {
                PyMem_Free(heap_lo);
                PyMem_Free(heap_hi);
                goto done;
            }
        }
        PyMem_Free(heap_lo);
        PyMem_Free(heap_hi);
    }
    out = PyTuple_Pack(2, unique, sent);
    goto done;
decline:
    PyErr_Clear();
    out = Py_None;
    Py_INCREF(out);
done:
    Py_XDECREF(unique);
    Py_XDECREF(sent);
    PyMem_Free(m[0].start);
    PyMem_Free(m[1].start);
    PyMem_Free(reach[0]);
    PyMem_Free(reach[1]);
    PyMem_Free(cov[0].lo);
    PyMem_Free(cov[0].hi);
    PyMem_Free(cov[1].lo);
    PyMem_Free(cov[1].hi);
    return out;
}

/* held_todo(waiters, undecided, done, now, connlog_type) -> list | None
 *   TimelineRun._resolve_held's first test, made for every waiter at once: the (stream, entry) items of
 *   ``waiters`` (a dict, in its order) except those the loop would pass over as unchanged: found undecided
 *   (undecided[stream] = ((last_ts, records, was_done), due)), ``now < due``, and its log's connection's last_ts,
 *   its records count and ``stream in done`` as they were then. Compared as Python compares them (==, <); an
 *   item it cannot read so (another shape, an attribute missing, an error) is kept: the Python loop repeats the
 *   test on every item it gets. The records count is len(log._records) (0 for None) for an exact
 *   ``connlog_type``, else log.records_count(). None when ``waiters`` is not a dict: the caller then takes them
 *   all. tests/test_timeline_held_todo.py compares it with the Python test. */
static PyObject *ht_conn, *ht_last_ts, *ht_records, *ht_records_count;

static int ht_eq(PyObject *a, PyObject *b, int op) {     /* 1 true, 0 false or not comparable (error cleared) */
    PyObject *r = PyObject_RichCompare(a, b, op);
    if (r == NULL) {
        PyErr_Clear();
        return 0;
    }
    int t = PyObject_IsTrue(r);
    Py_DECREF(r);
    if (t < 0) {
        PyErr_Clear();
        return 0;
    }
    return t;
}

/* 1: the loop passes over it (unchanged, not due); 0: keep it */
static int ht_unchanged(PyObject *stream, PyObject *entry, PyObject *undecided, PyObject *done, PyObject *now,
                        PyObject *connlog_type) {
    if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 3)
        return 0;
    PyObject *known = PyDict_GetItemWithError(undecided, stream);
    if (known == NULL) {
        PyErr_Clear();
        return 0;
    }
    if (!PyTuple_CheckExact(known) || PyTuple_GET_SIZE(known) != 2)
        return 0;
    PyObject *stamp = PyTuple_GET_ITEM(known, 0);
    if (!PyTuple_CheckExact(stamp) || PyTuple_GET_SIZE(stamp) != 3)
        return 0;
    if (!ht_eq(now, PyTuple_GET_ITEM(known, 1), Py_LT))
        return 0;
    PyObject *log = PyTuple_GET_ITEM(entry, 0);
    PyObject *conn = PyObject_GetAttr(log, ht_conn);
    if (conn == NULL) {
        PyErr_Clear();
        return 0;
    }
    PyObject *last = PyObject_GetAttr(conn, ht_last_ts);
    Py_DECREF(conn);
    if (last == NULL) {
        PyErr_Clear();
        return 0;
    }
    int same = ht_eq(PyTuple_GET_ITEM(stamp, 0), last, Py_EQ);
    Py_DECREF(last);
    if (!same)
        return 0;
    PyObject *count;
    if ((PyObject *)Py_TYPE(log) == connlog_type) {
        PyObject *records = PyObject_GetAttr(log, ht_records);
        if (records == NULL) {
            PyErr_Clear();
            return 0;
        }
        if (records == Py_None) {
            count = PyLong_FromLong(0);
        } else if (PyList_CheckExact(records)) {
            count = PyLong_FromSsize_t(PyList_GET_SIZE(records));
        } else {
            count = NULL;
        }
        Py_DECREF(records);
    } else {
        count = PyObject_CallMethodNoArgs(log, ht_records_count);
    }
    if (count == NULL) {
        PyErr_Clear();
        return 0;
    }
    same = ht_eq(PyTuple_GET_ITEM(stamp, 1), count, Py_EQ);
    Py_DECREF(count);
    if (!same)
        return 0;
    int in = PySet_Check(done) ? PySet_Contains(done, stream) : PySequence_Contains(done, stream);
    if (in < 0) {
        PyErr_Clear();
        return 0;
    }
    return ht_eq(PyTuple_GET_ITEM(stamp, 2), in ? Py_True : Py_False, Py_EQ);
}

static PyObject *held_todo(PyObject *self, PyObject *args) {
    PyObject *waiters, *undecided, *done, *now, *connlog_type;
    if (!PyArg_ParseTuple(args, "OOOOO", &waiters, &undecided, &done, &now, &connlog_type))
        return NULL;
    if (!PyDict_CheckExact(waiters) || !PyDict_Check(undecided))
        Py_RETURN_NONE;
    if (ht_conn == NULL) {
        if ((ht_conn = PyUnicode_InternFromString("conn")) == NULL
            || (ht_last_ts = PyUnicode_InternFromString("last_ts")) == NULL
            || (ht_records = PyUnicode_InternFromString("_records")) == NULL
            || (ht_records_count = PyUnicode_InternFromString("records_count")) == NULL)
            return NULL;
    }
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    PyObject *keys = PyDict_Items(waiters);     /* a snapshot, as the caller's list(waiters.items()) */
    if (keys == NULL) {
        Py_DECREF(out);
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(keys);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(keys, i);
        if (ht_unchanged(PyTuple_GET_ITEM(item, 0), PyTuple_GET_ITEM(item, 1), undecided, done, now, connlog_type))
            continue;
        if (PyList_Append(out, item) < 0) {
            Py_DECREF(keys);
            Py_DECREF(out);
            return NULL;
        }
    }
    Py_DECREF(keys);
    return out;
}
/* json_text(obj) -> str | None
 *   json.JSONEncoder(ensure_ascii=False, check_circular=False).encode(obj) (the stdlib's C encoder with its
 *   default separators ", " and ": ") for the values a fetch's dict holds, written into one buffer with no object
 *   made per value: None, True, False; str (and subclasses: their characters, escaped as py_encode_basestring
 *   escapes them: \" \\ \b \f \n \r \t and \u00XX, lowercase, for the other characters below 0x20, every other
 *   character as it is); int (not bool: int.__repr__'s digits); float (float.__repr__, "NaN", "Infinity",
 *   "-Infinity" as the encoder writes them); list and tuple (and subclasses: their items, as PySequence_Fast reads
 *   them); dict (exact, in its order, str keys). None for anything else (another type, a dict subclass, a key
 *   that is not a str, more than 64 levels): Fetch.json_text then asks the stdlib's encoder, which gives the text
 *   or raises as it always did. No Python code runs while it writes. tests/test_timeline_json_compiled.py compares
 *   both.
 * json_text(obj, True): the same text with the characters a terminal could act on that the encoder leaves raw
 *   written as \uXXXX (lowercase), as analyzer/report/safe.json_safe writes them over the whole text (they occur
 *   only inside strings: the rest of the text is ASCII): DEL and C1 (0x7F-0x9F), U+2028, U+2029, U+202A-U+202E,
 *   U+2066-U+2069 and lone surrogates (U+D800-U+DFFF); what `timeline --json` prints, without its scan. */
#define JT_FALLBACK 1
#define JT_MAX_DEPTH 64

static int jt_ascii(_PyUnicodeWriter *w, const char *s, Py_ssize_t n) {
    return _PyUnicodeWriter_WriteASCIIString(w, s, n);
}

/* a character json_safe escapes (analyzer/report/safe._JSON_UNSAFE) */
static inline int jt_unsafe(Py_UCS4 c) {
    return (c >= 0x7f && c <= 0x9f) || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)
           || (c >= 0xd800 && c <= 0xdfff);
}

static int jt_str(_PyUnicodeWriter *w, PyObject *s, int safe) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), i, run = 0;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    if (_PyUnicodeWriter_WriteChar(w, '"') < 0)
        return -1;
    if (kind == PyUnicode_1BYTE_KIND) {      /* the common case: find the first character to escape */
        const Py_UCS1 *p = (const Py_UCS1 *)data;
        for (i = 0; i < n; i++) {
            Py_UCS1 c = p[i];
            if (c < 0x20 || c == '"' || c == '\\' || (safe && c >= 0x7f && c <= 0x9f))
                break;
        }
        if (i == n) {
            if (n && _PyUnicodeWriter_WriteStr(w, s) < 0)
                return -1;
            return _PyUnicodeWriter_WriteChar(w, '"');
        }
    }
    for (i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        const char *esc = NULL;
        char buf[8];
        switch (c) {
        case '\\': esc = "\\\\"; break;
        case '"': esc = "\\\""; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c <= 0x1f || (safe && jt_unsafe(c))) {
                static const char hex[] = "0123456789abcdef";
                buf[0] = '\\'; buf[1] = 'u'; buf[2] = hex[(c >> 12) & 0xf]; buf[3] = hex[(c >> 8) & 0xf];
                buf[4] = hex[(c >> 4) & 0xf]; buf[5] = hex[c & 0xf]; buf[6] = 0;
                esc = buf;
            }
        }
        if (esc == NULL) {
            run++;
            continue;
        }
        if (run && _PyUnicodeWriter_WriteSubstring(w, s, i - run, i) < 0)
            return -1;
        run = 0;
        if (jt_ascii(w, esc, (Py_ssize_t)strlen(esc)) < 0)
            return -1;
    }
    if (run && _PyUnicodeWriter_WriteSubstring(w, s, n - run, n) < 0)
        return -1;
    return _PyUnicodeWriter_WriteChar(w, '"');
}

static int jt_value(_PyUnicodeWriter *w, PyObject *o, int depth, int safe);

static int jt_value(_PyUnicodeWriter *w, PyObject *o, int depth, int safe) {
    if (o == Py_None)
        return jt_ascii(w, "null", 4);
    if (o == Py_True)
        return jt_ascii(w, "true", 4);
    if (o == Py_False)
        return jt_ascii(w, "false", 5);
    if (PyUnicode_Check(o))
        return jt_str(w, o, safe);
    if (PyLong_Check(o)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (v == -1 && PyErr_Occurred())
            return -1;
        if (!overflow) {
            char buf[32];
            int n = snprintf(buf, sizeof buf, "%lld", v);
            return jt_ascii(w, buf, n);
        }
        PyObject *r = PyLong_Type.tp_repr(o);
        if (r == NULL)
            return -1;
        int rc = _PyUnicodeWriter_WriteStr(w, r);
        Py_DECREF(r);
        return rc;
    }
    if (PyFloat_Check(o)) {
        double d = PyFloat_AS_DOUBLE(o);
        if (!isfinite(d))
            return d > 0 ? jt_ascii(w, "Infinity", 8) : d < 0 ? jt_ascii(w, "-Infinity", 9) : jt_ascii(w, "NaN", 3);
        char *t = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        if (t == NULL)
            return -1;
        int rc = jt_ascii(w, t, (Py_ssize_t)strlen(t));
        PyMem_Free(t);
        return rc;
    }
    if (depth >= JT_MAX_DEPTH)
        return JT_FALLBACK;
    if (PyList_Check(o) || PyTuple_Check(o)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
        PyObject **items = PySequence_Fast_ITEMS(o);
        if (n == 0)
            return jt_ascii(w, "[]", 2);
        if (_PyUnicodeWriter_WriteChar(w, '[') < 0)
            return -1;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (i && jt_ascii(w, ", ", 2) < 0)
                return -1;
            int rc = jt_value(w, items[i], depth + 1, safe);
            if (rc)
                return rc;
        }
        return _PyUnicodeWriter_WriteChar(w, ']');
    }
    if (PyDict_CheckExact(o)) {
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        int first = 1;
        if (PyDict_GET_SIZE(o) == 0)
            return jt_ascii(w, "{}", 2);
        if (_PyUnicodeWriter_WriteChar(w, '{') < 0)
            return -1;
        while (PyDict_Next(o, &pos, &k, &v)) {
            if (!PyUnicode_Check(k))
                return JT_FALLBACK;
            if (!first && jt_ascii(w, ", ", 2) < 0)
                return -1;
            first = 0;
            if (jt_str(w, k, safe) < 0 || jt_ascii(w, ": ", 2) < 0)
                return -1;
            int rc = jt_value(w, v, depth + 1, safe);
            if (rc)
                return rc;
        }
        return _PyUnicodeWriter_WriteChar(w, '}');
    }
    return JT_FALLBACK;
}

static PyObject *json_text(PyObject *self, PyObject *args) {
    PyObject *o;
    int safe = 0;
    if (!PyArg_ParseTuple(args, "O|p", &o, &safe))
        return NULL;
    _PyUnicodeWriter w;
    _PyUnicodeWriter_Init(&w);
    w.overallocate = 1;
    int rc = jt_value(&w, o, 0, safe);
    if (rc) {
        _PyUnicodeWriter_Dealloc(&w);
        if (rc < 0)
            return NULL;
        Py_RETURN_NONE;
    }
    return _PyUnicodeWriter_Finish(&w);
}
/* ---- end of the timeline's block ---- */

/* ---- h-conn7: conversations (analyzer.columnar.count._window) ---------------------------------------------
 *
 * fill_rows(rows, cols) -> True | None
 *   rows: a writable C-contiguous int64 table of n rows and w >= len(cols) columns; cols: per column either a
 *   1-D C-contiguous array of n integers or booleans (rows[:, i] = col), or a pair (array, index) with index a
 *   C-contiguous int64 array of n positions into array (rows[:, i] = array[index]). The table is written row by
 *   row (one pass; numpy's rows[:, i] = col per column writes with a stride of w values and casts each column
 *   apart). None, having maybe written part of the table, when a column is of another kind (a dtype other
 *   than bool/int8-64/uint8-64, not contiguous, another length, an index out of range, a uint64 above 2**63 - 1):
 *   the caller then fills the table with numpy (analyzer.columnar.count._fill_rows_py, its twin;
 *   tests/test_columnar_fill_rows.py holds them equal). */
enum { FR_MAX = 32 };
typedef struct {
    Py_buffer v, ix;
    int kind, has_ix;           /* kind: 0 bool, 1 i8, 2 u8, 3 i16, 4 u16, 5 i32, 6 u32, 7 i64, 8 u64 */
} fr_col;

static int fr_kind(const Py_buffer *v) {
    const char *f = v->format ? v->format : "B";
    if (*f == '<' || *f == '=' || *f == '@')
        f++;
    if (f[0] == 0 || f[1] != 0)
        return -1;
    int size = (int)v->itemsize;
    switch (f[0]) {
    case '?': return size == 1 ? 0 : -1;
    case 'b': return size == 1 ? 1 : -1;
    case 'B': return size == 1 ? 2 : -1;
    case 'h': return size == 2 ? 3 : -1;
    case 'H': return size == 2 ? 4 : -1;
    case 'i': case 'l': case 'q':
        return size == 4 ? 5 : size == 8 ? 7 : -1;
    case 'I': case 'L': case 'Q':
        return size == 4 ? 6 : size == 8 ? 8 : -1;
    }
    return -1;
}

static PyObject *fill_rows(PyObject *self, PyObject *args) {
    PyObject *rows_o, *cols;
    if (!PyArg_ParseTuple(args, "OO!", &rows_o, &PyList_Type, &cols))
        return NULL;
    Py_ssize_t k = PyList_GET_SIZE(cols);
    if (k > FR_MAX)
        Py_RETURN_NONE;
    Py_buffer rv;
    if (PyObject_GetBuffer(rows_o, &rv, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    fr_col c[FR_MAX];
    Py_ssize_t got = 0, n = 0, w = 0;
    int ok = rv.ndim == 2 && rv.itemsize == 8 && fr_kind(&rv) == 7;
    if (ok) {
        n = rv.shape[0];
        w = rv.shape[1];
        ok = w >= k;
    }
    for (; ok && got < k; got++) {
        PyObject *item = PyList_GET_ITEM(cols, got), *arr = item, *ix = NULL;
        if (PyTuple_CheckExact(item)) {
            if (PyTuple_GET_SIZE(item) != 2) {
                ok = 0;
                break;
            }
            arr = PyTuple_GET_ITEM(item, 0);
            ix = PyTuple_GET_ITEM(item, 1);
        }
        fr_col *col = &c[got];
        col->has_ix = ix != NULL;
        if (PyObject_GetBuffer(arr, &col->v, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
            PyErr_Clear();
            ok = 0;
            break;
        }
        if (ix != NULL && PyObject_GetBuffer(ix, &col->ix, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
            PyErr_Clear();
            PyBuffer_Release(&col->v);
            ok = 0;
            break;
        }
        col->kind = fr_kind(&col->v);
        if (col->kind < 0 || col->v.ndim != 1)
            ok = 0;
        else if (ix == NULL)
            ok = col->v.shape[0] == n;
        else
            ok = col->ix.ndim == 1 && col->ix.shape[0] == n && fr_kind(&col->ix) == 7;
        if (!ok) {
            got++;
            break;
        }
    }
    if (ok) {
        int64_t *out = (int64_t *)rv.buf;
        /* (in blocks of rows small enough to stay in the first-level cache, each column's block by one typed
         * loop: the table's lines are written while they are cached, each column read in order or through its
         * index) */
        for (Py_ssize_t j0 = 0; ok && j0 < n; j0 += 64) {
            Py_ssize_t j1 = j0 + 64 < n ? j0 + 64 : n;
            for (Py_ssize_t i = 0; ok && i < k; i++) {
                const fr_col *col = &c[i];
                const int64_t *ix = col->has_ix ? (const int64_t *)col->ix.buf : NULL;
                Py_ssize_t len = col->v.shape[0];
                int64_t *o = out + j0 * w + i;
                if (ix != NULL) {
                    for (Py_ssize_t j = j0; j < j1; j++)
                        if ((uint64_t)ix[j] >= (uint64_t)len)
                            ok = 0;
                    if (!ok)
                        break;
                }
#define FR_LOOP(T, EXPR) { const T *src = (const T *)col->v.buf; \
                if (ix != NULL) for (Py_ssize_t j = j0; j < j1; j++, o += w) { T x = src[ix[j]]; *o = (EXPR); } \
                else for (Py_ssize_t j = j0; j < j1; j++, o += w) { T x = src[j]; *o = (EXPR); } } break;
                switch (col->kind) {
                case 0: FR_LOOP(unsigned char, x != 0)
                case 1: FR_LOOP(int8_t, x)
                case 2: FR_LOOP(uint8_t, x)
                case 3: FR_LOOP(int16_t, x)
                case 4: FR_LOOP(uint16_t, x)
                case 5: FR_LOOP(int32_t, x)
                case 6: FR_LOOP(uint32_t, x)
                case 7: FR_LOOP(int64_t, x)
                default: {
                    const uint64_t *src = (const uint64_t *)col->v.buf;
                    for (Py_ssize_t j = j0; j < j1; j++, o += w) {
                        uint64_t x = src[ix != NULL ? ix[j] : j];
                        if (x > (uint64_t)INT64_MAX)
                            ok = 0;
                        *o = (int64_t)x;
                    }
                }
                }
#undef FR_LOOP
            }
        }
    }
    for (Py_ssize_t i = 0; i < got; i++) {
        PyBuffer_Release(&c[i].v);
        if (c[i].has_ix)
            PyBuffer_Release(&c[i].ix);
    }
    PyBuffer_Release(&rv);
    if (ok)
        Py_RETURN_TRUE;
    Py_RETURN_NONE;
}
/* ---- end of h-conn7's block ---- */

/* ---- h-conv8: the finished 4-tuples packed (analyzer.columnar.finished.PackedFinishedKeys) ------------------
 * A table of n slots (n a power of two) as 2n uint64: slot i is (key, value) at 2i, 2i + 1. key: a 4-tuple as
 * (sender endpoint << 32) | receiver endpoint (endpoint: global address id << 16 | port), FK_EMPTY for a slot
 * never used; value: (generation << 32) | base sequence number. An entry whose generation is below `oldest` is
 * gone (its generation forgotten; generation 0: a key set aside by a text entry) and its slot may be used again
 * by a later key of the same probe chain. Linear probing from a mixed hash of the key. */
#define FK_EMPTY UINT64_MAX

static inline uint64_t fk_mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

static int fk_table(Py_buffer *v, uint64_t **slots, uint64_t *mask) {
    Py_ssize_t n = v->len / 16;
    if (v->len % 16 || n == 0 || (n & (n - 1))) {
        PyErr_SetString(PyExc_ValueError, "finished table: not a power of two of 16-byte slots");
        return -1;
    }
    *slots = v->buf;
    *mask = (uint64_t)n - 1;
    return 0;
}

/* the entry of key set to value; 1 when an empty slot was taken, 0 when a slot was reused, -1 when full */
static int fk_set(uint64_t *t, uint64_t mask, uint64_t key, uint64_t value, uint64_t oldest) {
    uint64_t i = fk_mix(key) & mask;
    int64_t dead = -1;
    for (uint64_t probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
        uint64_t k = t[2 * i];
        if (k == key) {
            t[2 * i + 1] = value;
            return 0;
        }
        if (k == FK_EMPTY) {
            if (dead >= 0) {
                t[2 * dead] = key;
                t[2 * dead + 1] = value;
                return 0;
            }
            t[2 * i] = key;
            t[2 * i + 1] = value;
            return 1;
        }
        if (dead < 0 && (t[2 * i + 1] >> 32) < oldest)
            dead = (int64_t)i;
    }
    if (dead >= 0) {
        t[2 * dead] = key;
        t[2 * dead + 1] = value;
        return 0;
    }
    return -1;
}

/* the slot of key's live entry, or -1 */
static int64_t fk_find(const uint64_t *t, uint64_t mask, uint64_t key, uint64_t oldest) {
    uint64_t i = fk_mix(key) & mask;
    for (uint64_t probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
        uint64_t k = t[2 * i];
        if (k == key)
            return (t[2 * i + 1] >> 32) < oldest ? -1 : (int64_t)i;
        if (k == FK_EMPTY)
            return -1;
    }
    return -1;
}

/* fk_put(table, keys, values, oldest) -> int
 *   For each i in order, the entry of keys[i] set to values[i] (uint64 arrays of one length; the later of equal
 *   keys wins): the number of empty slots taken. The caller keeps the table less than full (a ValueError when a
 *   key finds no slot). */
static PyObject *fk_put(PyObject *self, PyObject *args) {
    Py_buffer vt, vk, vv;
    unsigned long long oldest;
    if (!PyArg_ParseTuple(args, "w*y*y*K", &vt, &vk, &vv, &oldest))
        return NULL;
    PyObject *out = NULL;
    uint64_t *t, mask;
    if (fk_table(&vt, &t, &mask) < 0)
        goto done;
    if (vk.len != vv.len || vk.len % 8) {
        PyErr_SetString(PyExc_ValueError, "fk_put: the keys and values do not agree");
        goto done;
    }
    const uint64_t *k = vk.buf, *v = vv.buf;
    long long taken = 0;
    for (Py_ssize_t i = 0; i < vk.len / 8; i++) {
        if (k[i] == FK_EMPTY) {
            PyErr_SetString(PyExc_ValueError, "fk_put: the empty key");
            goto done;
        }
        int r = fk_set(t, mask, k[i], v[i], oldest);
        if (r < 0) {
            PyErr_SetString(PyExc_ValueError, "fk_put: the table is full");
            goto done;
        }
        taken += r;
    }
    out = PyLong_FromLongLong(taken);
done:
    PyBuffer_Release(&vt);
    PyBuffer_Release(&vk);
    PyBuffer_Release(&vv);
    return out;
}

/* fk_put1(table, key, value, oldest) -> int: fk_put of one key (1 when it took an empty slot) */
static PyObject *fk_put1(PyObject *self, PyObject *args) {
    Py_buffer vt;
    unsigned long long key, value, oldest;
    if (!PyArg_ParseTuple(args, "w*KKK", &vt, &key, &value, &oldest))
        return NULL;
    PyObject *out = NULL;
    uint64_t *t, mask;
    if (fk_table(&vt, &t, &mask) == 0) {
        int r = key == FK_EMPTY ? -2 : fk_set(t, mask, key, value, oldest);
        if (r < 0)
            PyErr_SetString(PyExc_ValueError, r == -2 ? "fk_put1: the empty key" : "fk_put1: the table is full");
        else
            out = PyLong_FromLong(r);
    }
    PyBuffer_Release(&vt);
    return out;
}

/* fk_get(table, keys, oldest) -> bytes: per key (uint64 array), its live base as int64, or -1 */
static PyObject *fk_get(PyObject *self, PyObject *args) {
    Py_buffer vt, vk;
    unsigned long long oldest;
    if (!PyArg_ParseTuple(args, "y*y*K", &vt, &vk, &oldest))
        return NULL;
    PyObject *out = NULL;
    uint64_t *t, mask;
    if (fk_table(&vt, &t, &mask) < 0)
        goto done;
    if (vk.len % 8) {
        PyErr_SetString(PyExc_ValueError, "fk_get: keys of 8 bytes");
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, vk.len);
    if (out == NULL)
        goto done;
    const uint64_t *k = vk.buf;
    int64_t *o = (int64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < vk.len / 8; i++) {
        int64_t at = fk_find(t, mask, k[i], oldest);
        o[i] = at < 0 ? -1 : (int64_t)(t[2 * at + 1] & 0xFFFFFFFFULL);
    }
done:
    PyBuffer_Release(&vt);
    PyBuffer_Release(&vk);
    return out;
}

/* fk_get1(table, key, oldest) -> int or None: one key's live value (generation << 32 | base) */
static PyObject *fk_get1(PyObject *self, PyObject *args) {
    Py_buffer vt;
    unsigned long long key, oldest;
    if (!PyArg_ParseTuple(args, "y*KK", &vt, &key, &oldest))
        return NULL;
    PyObject *out = NULL;
    uint64_t *t, mask;
    if (fk_table(&vt, &t, &mask) == 0) {
        int64_t at = fk_find(t, mask, key, oldest);
        out = at < 0 ? Py_NewRef(Py_None) : PyLong_FromUnsignedLongLong(t[2 * at + 1]);
    }
    PyBuffer_Release(&vt);
    return out;
}

/* fk_rehash(old, new, oldest) -> int: the live entries of table old set in table new (all empty): how many */
static PyObject *fk_rehash(PyObject *self, PyObject *args) {
    Py_buffer vo, vn;
    unsigned long long oldest;
    if (!PyArg_ParseTuple(args, "y*w*K", &vo, &vn, &oldest))
        return NULL;
    PyObject *out = NULL;
    uint64_t *o, *t, omask, mask;
    if (fk_table(&vo, &o, &omask) < 0 || fk_table(&vn, &t, &mask) < 0)
        goto done;
    long long live = 0;
    for (uint64_t i = 0; i <= omask; i++) {
        if (o[2 * i] == FK_EMPTY || (o[2 * i + 1] >> 32) < oldest)
            continue;
        if (fk_set(t, mask, o[2 * i], o[2 * i + 1], oldest) < 0) {
            PyErr_SetString(PyExc_ValueError, "fk_rehash: the new table is full");
            goto done;
        }
        live++;
    }
    out = PyLong_FromLongLong(live);
done:
    PyBuffer_Release(&vo);
    PyBuffer_Release(&vn);
    return out;
}

/* The records' index (analyzer.columnar.pairs.PairIndex): (a, b) -> row for non-negative int64 endpoints a, b,
 * a table of n slots (n a power of two) as 3n int64: slot i is (a, b, row) at 3i; a == -1: never used, a == -2:
 * deleted (a probe goes on past it; an entry may take it). Linear probing from a mixed hash of the pair. */
#define PI_EMPTY (-1)
#define PI_GONE (-2)

static inline uint64_t pi_hash(int64_t a, int64_t b) {
    return fk_mix((uint64_t)a * 0x9E3779B97F4A7C15ULL ^ (uint64_t)b);
}

static int pi_table(Py_buffer *v, int64_t **slots, uint64_t *mask) {
    Py_ssize_t n = v->len / 24;
    if (v->len % 24 || n == 0 || (n & (n - 1))) {
        PyErr_SetString(PyExc_ValueError, "pair index: not a power of two of 24-byte slots");
        return -1;
    }
    *slots = v->buf;
    *mask = (uint64_t)n - 1;
    return 0;
}

/* the slot holding (a, b), or -1 */
static int64_t pi_find(const int64_t *t, uint64_t mask, int64_t a, int64_t b) {
    uint64_t i = pi_hash(a, b) & mask;
    for (uint64_t probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
        int64_t k = t[3 * i];
        if (k == a && t[3 * i + 1] == b)
            return (int64_t)i;
        if (k == PI_EMPTY)
            return -1;
    }
    return -1;
}

/* (a, b) -> v set: 2 when a new entry took a never-used slot, 1 when it took a deletion mark's, 0 when the pair
 * was there (its row replaced), -1 when full */
static int pi_set(int64_t *t, uint64_t mask, int64_t a, int64_t b, int64_t v) {
    uint64_t i = pi_hash(a, b) & mask;
    int64_t gone = -1;
    for (uint64_t probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
        int64_t k = t[3 * i];
        if (k == a && t[3 * i + 1] == b) {
            t[3 * i + 2] = v;
            return 0;
        }
        if (k == PI_EMPTY) {
            int fresh = gone < 0;
            if (!fresh)
                i = (uint64_t)gone;
            t[3 * i] = a;
            t[3 * i + 1] = b;
            t[3 * i + 2] = v;
            return fresh ? 2 : 1;
        }
        if (k == PI_GONE && gone < 0)
            gone = (int64_t)i;
    }
    if (gone >= 0) {
        t[3 * gone] = a;
        t[3 * gone + 1] = b;
        t[3 * gone + 2] = v;
        return 1;
    }
    return -1;
}

/* the int64 arrays of one length n among the buffers (n, or -1 with a ValueError naming f) */
static Py_ssize_t pi_same(const char *f, Py_buffer *v, int k) {
    for (int j = 0; j < k; j++) {
        if (v[j].len % 8 || v[j].len != v[0].len) {
            PyErr_Format(PyExc_ValueError, "%s: the arrays do not agree", f);
            return -1;
        }
    }
    return v[0].len / 8;
}

/* pi_rows(table, a, b) -> bytes: the row of each pair (a[i], b[i]) as int64, -1 for none */
static PyObject *pi_rows(PyObject *self, PyObject *args) {
    Py_buffer vt, v[2];
    if (!PyArg_ParseTuple(args, "y*y*y*", &vt, &v[0], &v[1]))
        return NULL;
    PyObject *out = NULL;
    int64_t *t;
    uint64_t mask;
    Py_ssize_t n;
    if (pi_table(&vt, &t, &mask) < 0 || (n = pi_same("pi_rows", v, 2)) < 0)
        goto done;
    out = PyBytes_FromStringAndSize(NULL, n * 8);
    if (out == NULL)
        goto done;
    const int64_t *a = v[0].buf, *b = v[1].buf;
    int64_t *o = (int64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t at = (a[i] < 0 || b[i] < 0) ? -1 : pi_find(t, mask, a[i], b[i]);
        o[i] = at < 0 ? -1 : t[3 * at + 2];
    }
done:
    PyBuffer_Release(&vt);
    PyBuffer_Release(&v[0]);
    PyBuffer_Release(&v[1]);
    return out;
}

/* pi_row(table, a, b) -> int or None: one pair's row */
static PyObject *pi_row(PyObject *self, PyObject *args) {
    Py_buffer vt;
    long long a, b;
    if (!PyArg_ParseTuple(args, "y*LL", &vt, &a, &b))
        return NULL;
    PyObject *out = NULL;
    int64_t *t;
    uint64_t mask;
    if (pi_table(&vt, &t, &mask) == 0) {
        int64_t at = (a < 0 || b < 0) ? -1 : pi_find(t, mask, a, b);
        out = at < 0 ? Py_NewRef(Py_None) : PyLong_FromLongLong(t[3 * at + 2]);
    }
    PyBuffer_Release(&vt);
    return out;
}

/* pi_enter(table, rows, a, b) -> (int, int): (a[i], b[i]) -> rows[i] and (b[i], a[i]) -> rows[i] set, in order
 * (int64 arrays of one length; endpoints not negative): how many never-used slots were taken, how many entries
 * are new. The caller keeps the table less than full. */
static PyObject *pi_enter(PyObject *self, PyObject *args) {
    Py_buffer vt, v[3];
    if (!PyArg_ParseTuple(args, "w*y*y*y*", &vt, &v[0], &v[1], &v[2]))
        return NULL;
    PyObject *out = NULL;
    int64_t *t;
    uint64_t mask;
    Py_ssize_t n;
    if (pi_table(&vt, &t, &mask) < 0 || (n = pi_same("pi_enter", v, 3)) < 0)
        goto done;
    const int64_t *r = v[0].buf, *a = v[1].buf, *b = v[2].buf;
    long long taken = 0, added = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (a[i] < 0 || b[i] < 0) {
            PyErr_SetString(PyExc_ValueError, "pi_enter: a negative endpoint");
            goto done;
        }
        int x = pi_set(t, mask, a[i], b[i], r[i]);
        int y = x < 0 ? -1 : pi_set(t, mask, b[i], a[i], r[i]);
        if (x < 0 || y < 0) {
            PyErr_SetString(PyExc_ValueError, "pi_enter: the table is full");
            goto done;
        }
        taken += (x == 2) + (y == 2);
        added += (x > 0) + (y > 0);
    }
    out = Py_BuildValue("(LL)", taken, added);
done:
    PyBuffer_Release(&vt);
    for (int j = 0; j < 3; j++)
        PyBuffer_Release(&v[j]);
    return out;
}

/* pi_forget(table, a, b) -> int: (a[i], b[i]) and (b[i], a[i]) deleted, in order: how many entries (2 a pair);
 * a KeyError at the first one missing (those before it are deleted) */
static PyObject *pi_forget(PyObject *self, PyObject *args) {
    Py_buffer vt, v[2];
    if (!PyArg_ParseTuple(args, "w*y*y*", &vt, &v[0], &v[1]))
        return NULL;
    PyObject *out = NULL;
    int64_t *t;
    uint64_t mask;
    Py_ssize_t n;
    if (pi_table(&vt, &t, &mask) < 0 || (n = pi_same("pi_forget", v, 2)) < 0)
        goto done;
    const int64_t *a = v[0].buf, *b = v[1].buf;
    long long gone = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        for (int k = 0; k < 2; k++) {
            int64_t x = k ? b[i] : a[i], y = k ? a[i] : b[i];
            int64_t at = (x < 0 || y < 0) ? -1 : pi_find(t, mask, x, y);
            if (at < 0) {
                PyObject *key = Py_BuildValue("(LL)", (long long)x, (long long)y);
                if (key != NULL) {
                    PyErr_SetObject(PyExc_KeyError, key);
                    Py_DECREF(key);
                }
                out = NULL;
                /* (the count deleted so far is lost with the error: the caller rebuilds its count) */
                goto done;
            }
            t[3 * at] = PI_GONE;
            gone++;
        }
    }
    out = PyLong_FromLongLong(gone);
done:
    PyBuffer_Release(&vt);
    PyBuffer_Release(&v[0]);
    PyBuffer_Release(&v[1]);
    return out;
}

/* pi_rehash(old, new) -> int: the entries of table old set in table new (all never used): how many */
static PyObject *pi_rehash(PyObject *self, PyObject *args) {
    Py_buffer vo, vn;
    if (!PyArg_ParseTuple(args, "y*w*", &vo, &vn))
        return NULL;
    PyObject *out = NULL;
    int64_t *o, *t;
    uint64_t omask, mask;
    if (pi_table(&vo, &o, &omask) < 0 || pi_table(&vn, &t, &mask) < 0)
        goto done;
    long long live = 0;
    for (uint64_t i = 0; i <= omask; i++) {
        if (o[3 * i] < 0)
            continue;
        if (pi_set(t, mask, o[3 * i], o[3 * i + 1], o[3 * i + 2]) < 0) {
            PyErr_SetString(PyExc_ValueError, "pi_rehash: the new table is full");
            goto done;
        }
        live++;
    }
    out = PyLong_FromLongLong(live);
done:
    PyBuffer_Release(&vo);
    PyBuffer_Release(&vn);
    return out;
}
/* ---- end of h-conv8's block ---- */
/* ==== h-read: read's line of a steady TCP segment in one call (analyzer.filter.apply.analyzed) ===============
 * read_steady(frame, pair_cache, address_pair, flows, tracker, dns_ports, established, sinks_due, deferred,
 *             make_handle, summary, digits, flags_text, port_decoders, analysis_keys, http, visible,
 *             states) -> result
 *   What Pipeline.feed_headers(frame, None, any_segment=True) and read's header_only_line give a frame, for the
 *   commonest one, composed of quick_tcp, tcp_steady and tcp_line:
 *   - None: quick_tcp read no TCP segment (the caller goes on as without this call);
 *   - quick_tcp's 12-item tuple h: declined, nothing changed (the caller runs feed_headers(frame, h));
 *   - a str: the segment went through the tracker (tcp_steady took it: an ACK without SYN/FIN/RST, options none
 *     or exactly NOP, NOP, Timestamps, not on a DNS-over-TCP port, before the tracker's next idle sweep, of a
 *     connection in ``flows``) and this is its line (no packet made; where HTTP messages ended in it and their
 *     Info texts wait in the HTTP tracker's ``infos``, the frame not cut: the header line's columns, HTTP and
 *     those texts, taken, through ``visible``, as read's header_only_line makes it);
 *   - (h, handle, out): the tracker took it but the line is the caller's (Pipeline.segment_result, then
 *     header_only_line): ``handle`` the frame's Deferred (None for no payload: nothing can ask for the packet),
 *     ``out`` the tracker's fields.
 *   ``digits``: the time column's decimals, an int, or a callable of the frame. ``make_handle(frame)``: the
 *   frame's Deferred, made only for a payload (``make_handle`` (partial, decode): made here, rs_handle). tests/test_read_fast_steady_line.py: read's lines with and
 *   without this call on captures, the corpus, synthetic and damaged traffic. */
static PyObject *rs_next_expire, *rs_t0_ns, *rs_pending, *rs_infos, *rs_value;
static PyTypeObject *rs_def_type;
static Py_ssize_t rs_def_off[3];
static const char *const rs_def_names[3] = {"make", "value", "number"};

/* the frame's Deferred: ``make`` a callable of the frame, or (partial, decode): Deferred(partial(decode, frame),
 * number) made here as its __init__ would (the three slots set on a new instance; another class: called) */
static PyObject *rs_handle(PyObject *deferred, PyObject *make, PyObject *frame, PyObject *number) {
    if (!PyTuple_CheckExact(make) || PyTuple_GET_SIZE(make) != 2)
        return PyObject_CallOneArg(make, frame);
    PyObject *fn = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(make, 0), PyTuple_GET_ITEM(make, 1), frame, NULL);
    if (fn == NULL)
        return NULL;
    PyTypeObject *t = (PyTypeObject *)deferred;
    if (!PyType_Check(deferred) || (t != rs_def_type && !st_type_offsets(t, &rs_def_type, rs_def_names, 3, rs_def_off))) {
        PyObject *r = PyObject_CallFunctionObjArgs(deferred, fn, number, NULL);
        Py_DECREF(fn);
        return r;
    }
    PyObject *o = t->tp_alloc(t, 0);
    if (o == NULL) {
        Py_DECREF(fn);
        return NULL;
    }
    SLOT(o, rs_def_off[0]) = fn;
    SLOT(o, rs_def_off[1]) = Py_NewRef(Py_None);
    SLOT(o, rs_def_off[2]) = Py_NewRef(number);
    return o;
}

static PyObject *read_steady(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 18) {
        PyErr_SetString(PyExc_TypeError, "read_steady: 18 arguments");
        return NULL;
    }
    if (rs_next_expire == NULL) {
        if ((rs_next_expire = PyUnicode_InternFromString("_next_expire")) == NULL
            || (rs_t0_ns = PyUnicode_InternFromString("t0_ns")) == NULL
            || (rs_pending = PyUnicode_InternFromString("pending")) == NULL
            || (rs_infos = PyUnicode_InternFromString("infos")) == NULL
            || (rs_value = PyUnicode_InternFromString("value")) == NULL)
            return NULL;
    }
    PyObject *frame = args[0], *flows = args[3], *tracker = args[4], *dns = args[5];
    if (!PyDict_CheckExact(flows) || !PyAnySet_Check(dns)) {
        PyErr_SetString(PyExc_TypeError, "read_steady: flows must be a dict, dns_ports a set");
        return NULL;
    }
    PyObject *h = quick_tcp(self, args, 3);
    if (h == NULL || h == Py_None)
        return h;
    if (!PyTuple_CheckExact(h) || PyTuple_GET_SIZE(h) != 12)
        return h;
    PyObject **hv = &PyTuple_GET_ITEM(h, 0);
    long long flags, seglen, ts, next_expire, number, origlen;
    if (!ta_int(hv[7], &flags) || (flags & 0x16) != 0x10 || !ta_int(hv[9], &seglen))
        return h;
    PyObject *opts = hv[10];
    if (!PyBytes_CheckExact(opts))
        return h;
    Py_ssize_t on = PyBytes_GET_SIZE(opts);
    const unsigned char *ob = (const unsigned char *)PyBytes_AS_STRING(opts);
    if (on && !(on == 12 && ob[0] == 1 && ob[1] == 1 && ob[2] == 8 && ob[3] == 10))
        return h;
    int c1 = PySet_Contains(dns, hv[2]), c2 = c1 == 0 ? PySet_Contains(dns, hv[4]) : 0;
    if (c1 < 0 || c2 < 0) {
        Py_DECREF(h);
        return NULL;
    }
    if (c1 || c2)
        return h;
    PyObject *ne = PyObject_GetAttr(tracker, rs_next_expire);
    if (ne == NULL) {
        Py_DECREF(h);
        return NULL;
    }
    int ok = ta_int(ne, &next_expire);
    Py_DECREF(ne);
    if (!ok || attr_int(frame, s_ts_ns, &ts) || ts >= next_expire || attr_int(frame, s_number, &number)
        || attr_int(frame, s_origlen, &origlen))
        return h;
    PyObject *key = PyTuple_Pack(4, hv[1], hv[2], hv[3], hv[4]);
    if (key == NULL) {
        Py_DECREF(h);
        return NULL;
    }
    PyObject *hit = PyDict_GetItemWithError(flows, key);      /* borrowed */
    Py_DECREF(key);
    if (hit == NULL) {
        if (PyErr_Occurred()) {
            Py_DECREF(h);
            return NULL;
        }
        return h;
    }
    if (!PyTuple_CheckExact(hit) || PyTuple_GET_SIZE(hit) != 2)
        return h;
    Py_INCREF(hit);
    PyObject *handle = Py_None, *out = NULL, *ts_o = NULL, *num_o = NULL, *len_o = NULL, *res = NULL;
    Py_INCREF(handle);
    out = PyDict_New();
    ts_o = PyLong_FromLongLong(ts);
    num_o = PyLong_FromLongLong(number);
    len_o = PyLong_FromLongLong(origlen);
    if (out == NULL || ts_o == NULL || num_o == NULL || len_o == NULL)
        goto fail;
    if (seglen) {
        Py_DECREF(handle);
        handle = rs_handle(args[8], args[9], frame, num_o);
        if (handle == NULL)
            goto fail;
    }
    {
        PyObject *sargs[18] = {PyTuple_GET_ITEM(hit, 0), PyTuple_GET_ITEM(hit, 1), ts_o, num_o, hv[5], hv[6], hv[7],
                               hv[8], hv[9], opts, seglen ? hv[11] : s_empty, len_o, handle, out, args[6], args[7],
                               args[8], args[17]};
        res = tcp_steady(self, sargs, 18);
    }
    if (res == NULL)
        goto fail;
    if (res == Py_None) {           /* declined, nothing changed (tcp_steady's promise) */
        Py_DECREF(res);
        Py_DECREF(hit);
        Py_DECREF(handle);
        Py_DECREF(out);
        Py_DECREF(ts_o);
        Py_DECREF(num_o);
        Py_DECREF(len_o);
        return h;
    }
    Py_DECREF(res);
    Py_DECREF(hit);
    hit = NULL;
    res = NULL;
    /* taken: the line here when no packet was made and no HTTP message ended in this frame */
    int mine = 1;
    if (handle != Py_None) {
        PyObject *v = PyObject_GetAttr(handle, rs_value);
        if (v == NULL)
            goto fail;
        mine = v == Py_None;
        Py_DECREF(v);
    }
    /* an HTTP message a FIN or RST ended here (pending: the packet's), or whose Info text waits (infos) */
    PyObject *infos = NULL;
    PyObject *names[2] = {rs_pending, rs_infos};
    for (int k = 0; k < 2 && mine; k++) {
        PyObject *m = PyObject_GetAttr(args[15], names[k]);
        if (m == NULL)
            goto fail;
        if (!PyDict_CheckExact(m))
            mine = 0;
        else if (PyDict_GET_SIZE(m)) {
            int in = PyDict_Contains(m, num_o);
            if (in < 0) {
                Py_DECREF(m);
                goto fail;
            }
            if (in && k == 1) {
                infos = m;          /* header_only_line's HTTP line: the header line's columns, HTTP, the texts */
                continue;
            }
            mine = !in;
        }
        Py_DECREF(m);
    }
    if (!mine)
        Py_CLEAR(infos);
    if (mine) {
        PyObject *t0 = PyObject_GetAttr(args[10], rs_t0_ns), *digits;
        if (t0 == NULL)
            goto fail;
        if (t0 == Py_None) {
            Py_DECREF(t0);
            if (PyObject_SetAttr(args[10], rs_t0_ns, ts_o) < 0)
                goto fail;
            t0 = Py_NewRef(ts_o);
        }
        if (PyLong_CheckExact(args[11]))
            digits = Py_NewRef(args[11]);
        else if ((digits = PyObject_CallOneArg(args[11], frame)) == NULL) {
            Py_DECREF(t0);
            goto fail;
        }
        PyObject *largs[8] = {frame, t0, digits, h, out, args[12], args[13], args[14]};
        res = tcp_line(self, largs, 8);
        Py_DECREF(t0);
        Py_DECREF(digits);
        if (res == NULL) {
            Py_XDECREF(infos);
            goto fail;
        }
        if (res != Py_None && infos != NULL) {
            /* the frame whole (not cut), and no analysis words (tcp_line wrote none): the texts taken */
            PyObject *data = PyObject_GetAttr(frame, s_data);
            int whole = data != NULL && PyBytes_CheckExact(data) && PyBytes_GET_SIZE(data) == origlen;
            Py_XDECREF(data);
            if (data == NULL) {
                Py_DECREF(infos);
                Py_DECREF(res);
                goto fail;
            }
            PyObject *texts = whole ? PyDict_GetItemWithError(infos, num_o) : NULL;
            if (texts == NULL || !PyList_CheckExact(texts)) {
                Py_DECREF(infos);
                if (PyErr_Occurred()) {
                    Py_DECREF(res);
                    goto fail;
                }
                Py_DECREF(res);
                res = Py_NewRef(Py_None);           /* the caller's */
            } else {
                Py_INCREF(texts);
                PyObject *sep = PyUnicode_FromStringAndSize(NULL, 0), *joined = NULL, *shown = NULL, *head = NULL;
                Py_ssize_t at = -1;
                if (sep != NULL && PyDict_DelItem(infos, num_o) == 0)
                    joined = PyUnicode_Join(sep, texts);
                if (joined != NULL)
                    shown = PyObject_CallOneArg(args[16], joined);
                if (shown != NULL && PyUnicode_Check(shown)) {
                    PyObject *tcp_word = PyUnicode_FromString(" TCP ");
                    if (tcp_word != NULL)
                        at = PyUnicode_Find(res, tcp_word, 0, PyUnicode_GET_LENGTH(res), 1);
                    Py_XDECREF(tcp_word);
                    if (at >= 0)
                        head = PyUnicode_Substring(res, 0, at);
                }
                PyObject *line = head != NULL ? PyUnicode_FromFormat("%U HTTP %lld %U", head, origlen, shown) : NULL;
                Py_XDECREF(sep);
                Py_XDECREF(joined);
                Py_XDECREF(shown);
                Py_XDECREF(head);
                Py_DECREF(texts);
                Py_DECREF(infos);
                Py_DECREF(res);
                if (line == NULL) {
                    if (!PyErr_Occurred())
                        PyErr_SetString(PyExc_RuntimeError, "read_steady: no TCP column in a line");
                    goto fail;
                }
                res = line;
            }
        } else
            Py_XDECREF(infos);
        if (res != Py_None) {
            Py_DECREF(h);
            Py_DECREF(handle);
            Py_DECREF(out);
            Py_DECREF(ts_o);
            Py_DECREF(num_o);
            Py_DECREF(len_o);
            return res;
        }
        Py_DECREF(res);
    }
    res = PyTuple_Pack(3, h, handle, out);
    Py_DECREF(h);
    Py_DECREF(handle);
    Py_DECREF(out);
    Py_DECREF(ts_o);
    Py_DECREF(num_o);
    Py_DECREF(len_o);
    return res;
fail:
    Py_DECREF(h);
    Py_XDECREF(hit);
    Py_XDECREF(handle);
    Py_XDECREF(out);
    Py_XDECREF(ts_o);
    Py_XDECREF(num_o);
    Py_XDECREF(len_o);
    return NULL;
}
/* ==== end of h-read's block ==== */

/* ---- h-tlin, session 17: a DNS message of the common shapes parsed in one pass ----------------------------
 * dns_message(buf, off, end, classes) -> DnsMessage, or None
 *   analyzer.decode.dns.parse_message(buf, off, end) for a message it reads whole without an error: the same
 *   DnsMessage (classes = (Header, Question, ResourceRecord, DnsMessage, Soa, Edns, EdnsOption), built with
 *   tuple.__new__ as their _make builds them), names as format_name shows them, record data decoded as the
 *   Python decodes these types: A, AAAA, NS, MD, MF, CNAME, MB, MG, MR, PTR, DNAME (a name), SOA, OPT (Edns and
 *   its options), and b"" for a zero RDLENGTH (TXT, SPF and OPT excepted, as _EMPTY_OK). None -- the Python
 *   then parses it, and says what is wrong -- for anything else: another record type, a short or malformed
 *   message, RDATA not consumed exactly, a label type other than a length, a name longer than 255 bytes or with
 *   a byte format_name would escape (outside printable ASCII), a compression pointer that does not go back
 *   before the name's start and before every earlier target of the same name (so no loop can be followed: the
 *   Python follows forward pointers and names loops). tests/test_dns_compiled.py compares it with the Python's
 *   parse on every capture's DNS messages, crafted shapes and mutated copies. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <sys/socket.h>

typedef struct {
    const unsigned char *b;
    Py_ssize_t base, end, msg_end;   /* end: the bound labels before a jump must keep (RDATA's, inside one) */
} dm_reader;

/* the name at *pos: its text (a new reference; with ``raw``, its raw labels joined by b"." too), *pos after it;
 * NULL with no error set to decline, NULL with an error set on a failure */
static PyObject *dm_name(const dm_reader *r, Py_ssize_t *pos, PyObject **raw_out) {
    char raw[256];
    Py_ssize_t n = 0, p = *pos, after = -1, end = r->end, floor = *pos, wire = 1;
    for (;;) {
        if (p >= end)
            return NULL;
        unsigned int len = r->b[p];
        if (len == 0) {
            p++;
            break;
        }
        if (len < 0x40) {
            if (p + 1 + (Py_ssize_t)len > end)
                return NULL;
            wire += len + 1;
            if (wire > 255)
                return NULL;
            if (n)
                raw[n++] = '.';
            for (unsigned int k = 0; k < len; k++) {
                unsigned char c = r->b[p + 1 + k];
                if (c < 0x20 || c > 0x7E)
                    return NULL;
                raw[n++] = (char)c;
            }
            p += 1 + len;
            continue;
        }
        if (len < 0xC0 || p + 2 > end)
            return NULL;
        Py_ssize_t target = r->base + (((Py_ssize_t)(len & 0x3F) << 8) | r->b[p + 1]);
        if (target >= floor || target >= r->msg_end)
            return NULL;
        if (after < 0)
            after = p + 2;
        floor = target;
        p = target;
        end = r->msg_end;
    }
    *pos = after >= 0 ? after : p;
    PyObject *text = n == 0 ? PyUnicode_FromString("<Root>") : PyUnicode_DecodeASCII(raw, n, NULL);
    if (text != NULL && raw_out != NULL && (*raw_out = PyBytes_FromStringAndSize(raw, n)) == NULL)
        Py_CLEAR(text);
    return text;
}

/* a namedtuple of class ``cls`` (a tuple subclass: the caller checked) holding the n new references given, as
 * tuple.__new__(cls, items) makes it (its tp_alloc, the items set); every reference is stolen, NULL ones included
 * (then NULL, with the error their maker set) */
static PyObject *dm_tuple(PyObject *cls, int n, ...) {
    PyObject *items[9];
    int bad = 0;
    va_list ap;
    va_start(ap, n);
    for (int k = 0; k < n; k++) {
        items[k] = va_arg(ap, PyObject *);
        bad |= items[k] == NULL;
    }
    va_end(ap);
    PyObject *t = bad ? NULL : ((PyTypeObject *)cls)->tp_alloc((PyTypeObject *)cls, n);
    if (t == NULL) {
        for (int k = 0; k < n; k++)
            Py_XDECREF(items[k]);
        return NULL;
    }
    for (int k = 0; k < n; k++)
        PyTuple_SET_ITEM(t, k, items[k]);
    return t;
}

#define DM_INT(v) PyLong_FromUnsignedLong((unsigned long)(v))
#define DM_SSIZE(v) PyLong_FromSsize_t(v)

#define DM_U16(at) ((unsigned long)b[at] << 8 | b[(at) + 1])
#define DM_U32(at) (DM_U16(at) << 16 | DM_U16((at) + 2))

/* one record's RDATA, b[p:p + rdlength] (a new reference); NULL with no error set to decline */
static PyObject *dm_rdata(const dm_reader *msg, PyObject *const *cls, unsigned long rtype, unsigned long rclass,
                          unsigned long ttl, Py_ssize_t p, Py_ssize_t rdlength) {
    const unsigned char *b = msg->b;
    dm_reader r = *msg;
    r.end = p + rdlength;
    Py_ssize_t at = p;
    if (rdlength == 0 && rtype != 16 && rtype != 99 && rtype != 41)
        return PyBytes_FromStringAndSize(NULL, 0);
    switch (rtype) {
    case 1:
        if (rdlength != 4)
            return NULL;
        return PyUnicode_FromFormat("%u.%u.%u.%u", b[p], b[p + 1], b[p + 2], b[p + 3]);
    case 28: {
        char text[INET6_ADDRSTRLEN];
        if (rdlength != 16 || inet_ntop(AF_INET6, b + p, text, sizeof text) == NULL)
            return NULL;
        return PyUnicode_FromString(text);
    }
    case 2: case 3: case 4: case 5: case 7: case 8: case 9: case 12: case 39: {
        PyObject *name = dm_name(&r, &at, NULL);
        if (name != NULL && at != p + rdlength)
            Py_CLEAR(name);
        return name;
    }
    case 6: {
        PyObject *mname = dm_name(&r, &at, NULL);
        if (mname == NULL)
            return NULL;
        PyObject *rname = dm_name(&r, &at, NULL);
        if (rname == NULL || at + 20 != p + rdlength) {
            Py_DECREF(mname);
            Py_XDECREF(rname);
            return NULL;
        }
        return dm_tuple(cls[4], 7, mname, rname, DM_INT(DM_U32(at)), DM_INT(DM_U32(at + 4)), DM_INT(DM_U32(at + 8)),
                        DM_INT(DM_U32(at + 12)), DM_INT(DM_U32(at + 16)));
    }
    case 41: {
        PyObject *opts = PyList_New(0);
        if (opts == NULL)
            return NULL;
        while (at < p + rdlength) {
            if (at + 4 > p + rdlength || at + 4 + (Py_ssize_t)DM_U16(at + 2) > p + rdlength) {
                Py_DECREF(opts);
                return NULL;
            }
            Py_ssize_t olen = DM_U16(at + 2);
            PyObject *o = dm_tuple(cls[6], 2, DM_INT(DM_U16(at)),
                                   PyBytes_FromStringAndSize((const char *)b + at + 4, olen));
            if (o == NULL || PyList_Append(opts, o) < 0) {
                Py_XDECREF(o);
                Py_DECREF(opts);
                return NULL;
            }
            Py_DECREF(o);
            at += 4 + olen;
        }
        PyObject *t = PyList_AsTuple(opts);
        Py_DECREF(opts);
        if (t == NULL)
            return NULL;
        return dm_tuple(cls[5], 6, DM_INT(rclass), DM_INT(ttl >> 24), DM_INT((ttl >> 16) & 0xFF), DM_INT((ttl >> 15) & 1),
                        DM_INT(ttl & 0xFFFF), t);
    }
    default:
        return NULL;
    }
}

static PyObject *dns_message(PyObject *self, PyObject *args) {
    PyObject *bufobj, *classes;
    Py_ssize_t off, end;
    if (!PyArg_ParseTuple(args, "OnnO!", &bufobj, &off, &end, &PyTuple_Type, &classes))
        return NULL;
    if (PyTuple_GET_SIZE(classes) != 7) {
        PyErr_SetString(PyExc_TypeError, "dns_message: 7 classes");
        return NULL;
    }
    PyObject *const *cls = &PyTuple_GET_ITEM(classes, 0);
    Py_buffer view;
    if (PyObject_GetBuffer(bufobj, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    PyObject *out = NULL, *sections[4] = {NULL, NULL, NULL, NULL}, *header = NULL;
    const unsigned char *b = view.buf;
    if (!PyBytes_CheckExact(bufobj) || off < 0 || end > view.len || end - off < 12)
        goto decline;
    dm_reader r = {b, off, end, end};
    unsigned long count[4] = {DM_U16(off + 4), DM_U16(off + 6), DM_U16(off + 8), DM_U16(off + 10)};
    for (int k = 0; k < 7; k++)
        if (!PyType_Check(cls[k]) || !PyType_IsSubtype((PyTypeObject *)cls[k], &PyTuple_Type)) {
            PyBuffer_Release(&view);
            PyErr_SetString(PyExc_TypeError, "dns_message: the classes must be tuple subclasses");
            return NULL;
        }
    header = dm_tuple(cls[0], 6, DM_INT(DM_U16(off)), DM_INT(DM_U16(off + 2)), DM_INT(count[0]), DM_INT(count[1]),
                      DM_INT(count[2]), DM_INT(count[3]));
    if (header == NULL)
        goto fail;
    Py_ssize_t pos = off + 12;
    for (int s = 0; s < 4; s++) {
        if ((sections[s] = PyTuple_New(count[s])) == NULL)
            goto fail;
        for (unsigned long k = 0; k < count[s]; k++) {
            Py_ssize_t at = pos;
            PyObject *nameraw = NULL, *name = dm_name(&r, &pos, s == 0 ? &nameraw : NULL), *item;
            if (name == NULL)
                goto decline;
            if (s == 0) {
                if (pos + 4 > end) {
                    Py_DECREF(name);
                    Py_DECREF(nameraw);
                    goto decline;
                }
                item = dm_tuple(cls[1], 5, name, DM_INT(DM_U16(pos)), DM_INT(DM_U16(pos + 2)), nameraw, DM_SSIZE(at));
                pos += 4;
            } else {
                if (pos + 10 > end) {
                    Py_DECREF(name);
                    goto decline;
                }
                unsigned long rtype = DM_U16(pos), rclass = DM_U16(pos + 2), ttl = DM_U32(pos + 4);
                Py_ssize_t rdlength = DM_U16(pos + 8), rd = pos + 10;
                if (rd + rdlength > end) {
                    Py_DECREF(name);
                    goto decline;
                }
                PyObject *rdata = dm_rdata(&r, cls, rtype, rclass, ttl, rd, rdlength);
                if (rdata == NULL) {
                    Py_DECREF(name);
                    if (PyErr_Occurred())
                        goto fail;
                    goto decline;
                }
                item = dm_tuple(cls[2], 8, name, DM_INT(rtype), DM_INT(rclass), DM_INT(ttl), DM_SSIZE(rdlength), rdata,
                                DM_SSIZE(at), DM_SSIZE(rd));
                pos = rd + rdlength;
            }
            if (item == NULL)
                goto fail;
            PyTuple_SET_ITEM(sections[s], k, item);
        }
    }
    {
        PyObject *extra = PyBytes_FromStringAndSize((const char *)b + pos, pos < end ? end - pos : 0);
        out = dm_tuple(cls[3], 9, header, sections[0], sections[1], sections[2], sections[3], extra,
                       PyTuple_New(0), DM_SSIZE(off), DM_SSIZE(end - off));
        PyBuffer_Release(&view);
        return out;
    }
decline:
    if (PyErr_Occurred())
        goto fail;
    Py_XDECREF(header);
    for (int s = 0; s < 4; s++)
        Py_XDECREF(sections[s]);
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
fail:
    Py_XDECREF(header);
    for (int s = 0; s < 4; s++)
        Py_XDECREF(sections[s]);
    PyBuffer_Release(&view);
    return NULL;
}
/* ---- end of h-tlin's session 17 block ---- */

/* ---- h-dns, session 19 ---- */
/*
 * base62_17(digest) -> str
 *   analyzer.api.uid._base62: the number the digest's bytes (at most 16) write big-endian, as 17 base62 digits
 *   ("0-9A-Za-z"), least significant first (what is left above 62**17 is dropped). tests/test_uid_base62.py
 *   checks it against the digit-by-digit definition on edge, shorter and random digests.
 */
static PyObject *base62_17(PyObject *self, PyObject *arg) {
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    char *buf;
    Py_ssize_t len;
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "base62_17: bytes");
        return NULL;
    }
    buf = PyBytes_AS_STRING(arg);
    len = PyBytes_GET_SIZE(arg);
    if (len > 16) {
        PyErr_SetString(PyExc_ValueError, "base62_17: at most 16 bytes");
        return NULL;
    }
    unsigned __int128 n = 0;
    for (Py_ssize_t i = 0; i < len; i++)
        n = (n << 8) | (unsigned char)buf[i];
    char out[17];
    for (int i = 0; i < 17; i++) {
        out[i] = alphabet[(int)(n % 62)];
        n /= 62;
    }
    return PyUnicode_FromStringAndSize(out, 17);
}

/*
 * dns_table_line(row, t0, width) -> str, or None
 *   One line of analyzer.report.dns.table_lines for ``row`` (a dict of analyzer.report.dns.row's keys), the
 *   Time column counted from ``t0`` (a float), the Client and Server columns ``width`` wide: the same text the
 *   Python writes, for the rows of the usual shapes. None (the Python writes the line) when a value is of
 *   another shape: ts or rtt not a float (or ts None), a negative or huge RTT, an endpoint, query, type, rcode
 *   name or answer not printable ASCII text, a port, ID, TTL or retransmission count not a small int, or a line
 *   longer than 4,000 bytes. Numbers are formatted by PyOS_double_to_string, what Python's format() uses; the
 *   RTT as analyzer.report.units.duration(round(rtt * 1e9)) ("µs" written in UTF-8). tests/test_dns_table_lines.py
 *   compares both on every capture's rows and on crafted and random ones.
 */
#include <math.h>

typedef struct {
    char b[4096];
    Py_ssize_t n;       /* bytes */
    Py_ssize_t chars;   /* characters (what padding counts) */
    int over;
} dl_buf;

static void dl_put(dl_buf *o, const char *s, Py_ssize_t n, Py_ssize_t chars) {
    if (o->over || o->n + n > (Py_ssize_t)sizeof(o->b) - 1) {
        o->over = 1;
        return;
    }
    memcpy(o->b + o->n, s, n);
    o->n += n;
    o->chars += chars;
}

static void dl_spaces(dl_buf *o, Py_ssize_t k) {
    static const char sp[] = "                                                                ";
    while (k > 0 && !o->over) {
        Py_ssize_t m = k < 64 ? k : 64;
        dl_put(o, sp, m, m);
        k -= m;
    }
}

/* a cell of ``chars`` characters, padded to ``width`` on the right (left-aligned) or on the left */
static void dl_cell(dl_buf *o, const char *s, Py_ssize_t n, Py_ssize_t chars, Py_ssize_t width, int right) {
    if (right)
        dl_spaces(o, width - chars);
    dl_put(o, s, n, chars);
    if (!right)
        dl_spaces(o, width - chars);
}

/* printable ASCII text (what visible() leaves as it is): its bytes, else 0 */
static int dl_text(PyObject *s, const char **p, Py_ssize_t *n) {
    if (!PyUnicode_CheckExact(s) || !PyUnicode_IS_ASCII(s))
        return 0;
    const char *d = (const char *)PyUnicode_1BYTE_DATA(s);
    Py_ssize_t len = PyUnicode_GET_LENGTH(s);
    for (Py_ssize_t i = 0; i < len; i++)
        if (d[i] < 0x20 || d[i] > 0x7e)
            return 0;
    *p = d;
    *n = len;
    return 1;
}

/* the decimal digits of x (any sign) at out, their count (what "%lld" writes, without snprintf's cost) */
static int dl_itoa(long long x, char *out) {
    char t[24];
    int k = 0, n = 0;
    unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
    do {
        t[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (x < 0)
        out[n++] = '-';
    while (k)
        out[n++] = t[--k];
    return n;
}

/* a small int (-2**62 .. 2**62) */
static int dl_int(PyObject *v, long long *out) {
    if (!PyLong_CheckExact(v))
        return 0;
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow || (x == -1 && PyErr_Occurred()) || x > (1LL << 62) || x < -(1LL << 62)) {
        PyErr_Clear();
        return 0;
    }
    *out = x;
    return 1;
}

/* _cut(text, width) of analyzer.report.columns for None / printable ASCII text (0: another shape) */
static int dl_cut(dl_buf *o, PyObject *v, Py_ssize_t width, Py_ssize_t pad) {
    const char *p;
    Py_ssize_t n;
    if (v == Py_None || (PyUnicode_CheckExact(v) && PyUnicode_GET_LENGTH(v) == 0)) {
        dl_cell(o, "-", 1, 1, pad, 0);
        return 1;
    }
    if (!dl_text(v, &p, &n))
        return 0;
    if (n <= width) {
        dl_cell(o, p, n, n, pad, 0);
        return 1;
    }
    char t[64];
    if (width - 3 > (Py_ssize_t)sizeof(t) - 4)
        return 0;
    memcpy(t, p, width - 3);
    memcpy(t + width - 3, "...", 3);
    dl_cell(o, t, width, width, pad, 0);
    return 1;
}

/* _digits(value) of analyzer.report.units: 3 significant digits at most, trailing zeros dropped */
static int dl_digits(double v, char *out, size_t size) {
    int prec = v >= 100 ? 0 : (v >= 10 ? 1 : 2);
    char *t = PyOS_double_to_string(v, 'f', prec, 0, NULL);
    if (t == NULL)
        return -1;
    size_t n = strlen(t);
    if (strchr(t, '.') != NULL) {
        while (n > 0 && t[n - 1] == '0')
            n--;
        if (n > 0 && t[n - 1] == '.')
            n--;
    }
    if (n + 1 > size) {
        PyMem_Free(t);
        return -1;
    }
    memcpy(out, t, n);
    out[n] = 0;
    PyMem_Free(t);
    return (int)n;
}

/* a text of dl_digits below 1000 (float(text) < 1000): at most 3 digits before its point */
static int dl_below_1000(const char *d, int k) {
    const char *dot = memchr(d, '.', k);
    return (dot != NULL ? dot - d : k) <= 3;
}

/* an endpoint cell: "addr:port", "[addr]:port" for an address with a colon, padded to width */
static int dl_endpoint(dl_buf *o, PyObject *addr, PyObject *port, Py_ssize_t width) {
    const char *p;
    Py_ssize_t n;
    long long pt;
    if (!dl_text(addr, &p, &n) || !dl_int(port, &pt) || n > 200)
        return 0;
    char t[256];
    int colon = memchr(p, ':', n) != NULL, k = 0;
    if (colon)
        t[k++] = '[';
    memcpy(t + k, p, n);
    k += (int)n;
    if (colon)
        t[k++] = ']';
    t[k++] = ':';
    k += dl_itoa(pt, t + k);
    dl_cell(o, t, k, k, width, 0);
    return 1;
}

/* the texts of a list joined by sep (each printable ASCII) */
static int dl_join(dl_buf *o, PyObject *list, Py_ssize_t from, const char *sep) {
    if (!PyList_CheckExact(list))
        return 0;
    Py_ssize_t sn = (Py_ssize_t)strlen(sep);
    for (Py_ssize_t i = from; i < PyList_GET_SIZE(list); i++) {
        const char *p;
        Py_ssize_t n;
        if (!dl_text(PyList_GET_ITEM(list, i), &p, &n))
            return 0;
        if (i > from)
            dl_put(o, sep, sn, sn);
        dl_put(o, p, n, n);
    }
    return 1;
}

static PyObject *dl_keys[19];     /* the row keys read, interned once */

static PyObject *dns_table_line(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyDict_Check(args[0]) || !PyLong_CheckExact(args[2])) {
        PyErr_SetString(PyExc_TypeError, "dns_table_line(row: dict, t0: float, width: int)");
        return NULL;
    }
    PyObject *row = args[0], *t0o = args[1];
    Py_ssize_t w = PyLong_AsSsize_t(args[2]);
    if (w == -1 && PyErr_Occurred())
        return NULL;
    const char *keys[] = {"ts", "rtt", "unsolicited", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto",
                          "trans_id", "query", "qtype_name", "rcode_name", "AA", "TC", "retransmissions", "ttls",
                          "cname_chain", "addresses", "answers"};
    PyObject *v[19];
    for (int i = 0; i < 19; i++) {
        if (dl_keys[i] == NULL && (dl_keys[i] = PyUnicode_InternFromString(keys[i])) == NULL)
            return NULL;
        v[i] = PyDict_GetItemWithError(row, dl_keys[i]);     /* borrowed */
        if (v[i] == NULL) {
            if (PyErr_Occurred())
                return NULL;
            Py_RETURN_NONE;
        }
    }
    PyObject *ts = v[0], *rtt = v[1], *unsol = v[2], *proto = v[7], *tid = v[8], *rcode = v[11];
    PyObject *aa = v[12], *tc = v[13], *re = v[14], *ttls = v[15], *chain = v[16], *addrs = v[17], *answers = v[18];
    if (!PyFloat_CheckExact(ts) || !PyFloat_CheckExact(t0o) || w < 0 || w > 1000)
        Py_RETURN_NONE;
    dl_buf line, *o = &line;
    o->n = o->chars = 0;
    o->over = 0;
    const char *p;
    Py_ssize_t n;
    long long x;
    char t[128];
    /* Time: f"{ts - t0:10.6f}" */
    char *num = PyOS_double_to_string(PyFloat_AS_DOUBLE(ts) - PyFloat_AS_DOUBLE(t0o), 'f', 6, 0, NULL);
    if (num == NULL)
        return NULL;
    n = (Py_ssize_t)strlen(num);
    dl_cell(o, num, n, n, 10, 1);
    PyMem_Free(num);
    dl_put(o, " ", 1, 1);
    if (!dl_endpoint(o, v[3], v[4], w))
        goto done;
    dl_put(o, " ", 1, 1);
    if (!dl_endpoint(o, v[5], v[6], w))
        goto done;
    dl_put(o, " ", 1, 1);
    if (!dl_text(proto, &p, &n))
        goto done;
    dl_cell(o, p, n, n, 5, 0);
    if (!dl_int(tid, &x) || x < 0 || x > 0xFFFF)
        goto done;
    {
        static const char hex[] = "0123456789abcdef";
        char h[8] = {' ', '0', 'x', hex[(x >> 12) & 15], hex[(x >> 8) & 15], hex[(x >> 4) & 15], hex[x & 15], ' '};
        dl_put(o, h, 8, 8);
    }
    if (!dl_cut(o, v[9], 32, 32))
        goto done;
    dl_put(o, " ", 1, 1);
    if (!dl_cut(o, v[10], 6, 6))
        goto done;
    dl_put(o, " ", 1, 1);
    /* f"{it['rcode_name'] or '-':<9}" */
    if (rcode == Py_None || (PyUnicode_CheckExact(rcode) && PyUnicode_GET_LENGTH(rcode) == 0))
        dl_cell(o, "-", 1, 1, 9, 0);
    else if (dl_text(rcode, &p, &n))
        dl_cell(o, p, n, n, 9, 0);
    else
        goto done;
    dl_put(o, " ", 1, 1);
    if (!PyBool_Check(aa) || !PyBool_Check(tc))
        goto done;
    if (aa == Py_True)
        dl_cell(o, tc == Py_True ? "AA,TC" : "AA", tc == Py_True ? 5 : 2, tc == Py_True ? 5 : 2, 5, 0);
    else
        dl_cell(o, tc == Py_True ? "TC" : "-", tc == Py_True ? 2 : 1, tc == Py_True ? 2 : 1, 5, 0);
    dl_put(o, " ", 1, 1);
    /* RTT: duration(round(rtt * 1e9)), or "unsolicited" / "no answer", right-aligned in 11 */
    if (rtt == Py_None) {
        if (!PyBool_Check(unsol))
            goto done;
        if (unsol == Py_True)
            dl_cell(o, "unsolicited", 11, 11, 11, 1);
        else
            dl_cell(o, "no answer", 9, 9, 11, 1);
    } else {
        if (!PyFloat_CheckExact(rtt))
            goto done;
        double ns_d = nearbyint(PyFloat_AS_DOUBLE(rtt) * 1e9);
        if (!(ns_d >= 0 && ns_d < 9007199254740992.0))      /* 2**53: ns / scale exact as Python's int / int */
            goto done;
        long long ns = (long long)ns_d;
        char d[64];
        int k;
        if (ns < 1000) {
            k = dl_itoa(ns, t);
            memcpy(t + k, " ns", 3);
            k += 3;
            dl_cell(o, t, k, k, 11, 1);
        } else {
            /* float(text) < 1000: the text ('f' format, no sign) has at most 3 digits before its point */
            k = dl_digits((double)ns / 1000.0, d, sizeof(d));
            if (k < 0)
                goto fail;
            if (dl_below_1000(d, k)) {
                memcpy(t, d, k);
                memcpy(t + k, " \xc2\xb5s", 4);       /* µs: 2 bytes, 1 character */
                dl_cell(o, t, k + 4, k + 3, 11, 1);
            } else {
                k = dl_digits((double)ns / 1000000.0, d, sizeof(d));
                if (k < 0)
                    goto fail;
                if (dl_below_1000(d, k)) {
                    memcpy(t, d, k);
                    memcpy(t + k, " ms", 3);
                    k += 3;
                } else {
                    k = dl_digits((double)ns / 1000000000.0, d, sizeof(d));
                    if (k < 0)
                        goto fail;
                    memcpy(t, d, k);
                    memcpy(t + k, " s", 2);
                    k += 2;
                }
                dl_cell(o, t, k, k, 11, 1);
            }
        }
    }
    /* Re: len(retransmissions) right-aligned in 2 */
    if (!PyList_CheckExact(re))
        goto done;
    dl_put(o, " ", 1, 1);
    n = dl_itoa((long long)PyList_GET_SIZE(re), t);
    dl_cell(o, t, n, n, 2, 1);
    dl_put(o, " ", 1, 1);
    /* TTL: one number when they agree, else each, comma-separated; cut to 7; right-aligned in 7 */
    if (!PyList_CheckExact(ttls))
        goto done;
    {
        Py_ssize_t m = PyList_GET_SIZE(ttls), k = 0;
        char tt[512];
        if (m == 0) {
            tt[k++] = '-';
        } else {
            long long first;
            int same = 1;
            if (!dl_int(PyList_GET_ITEM(ttls, 0), &first))
                goto done;
            for (Py_ssize_t i = 1; i < m; i++) {
                if (!dl_int(PyList_GET_ITEM(ttls, i), &x))
                    goto done;
                if (x != first)
                    same = 0;
            }
            for (Py_ssize_t i = 0; i < (same ? 1 : m); i++) {
                dl_int(PyList_GET_ITEM(ttls, i), &x);
                if (k > (Py_ssize_t)sizeof(tt) - 32)
                    goto done;
                if (i)
                    tt[k++] = ',';
                k += dl_itoa(x, tt + k);
            }
        }
        if (k > 7) {
            memcpy(tt + 4, "...", 3);
            k = 7;
        }
        dl_cell(o, tt, k, k, 7, 1);
    }
    dl_put(o, "  ", 2, 2);
    /* Answers: the CNAME chain's names after the query, then its addresses; else the answers; "-" for none */
    {
        Py_ssize_t before = o->n;
        if (!PyList_CheckExact(chain) || !PyList_CheckExact(addrs))
            goto done;
        if (PyList_GET_SIZE(chain)) {
            if (!dl_join(o, chain, 1, " -> "))
                goto done;
            if (PyList_GET_SIZE(addrs)) {
                dl_put(o, " -> ", 4, 4);
                if (!dl_join(o, addrs, 0, ", "))
                    goto done;
            }
        } else if (!dl_join(o, answers, 0, ", "))
            goto done;
        if (o->n == before)
            dl_put(o, "-", 1, 1);
    }
    if (o->over)
        goto done;
    return PyUnicode_DecodeUTF8(o->b, o->n, "strict");
done:
    Py_RETURN_NONE;
fail:
    return NULL;
}
/* ---- end of h-dns's session 19 block ---- */

static PyMethodDef methods[] = {
    {"factorize_u64", factorize_u64, METH_VARARGS, "np.unique(values, return_inverse=True) of uint64 values (see the source)."},
    {"read_joined_pool", read_joined_pool, METH_VARARGS, "read_joined into a pooled buffer nothing refers to (see the module source)."},
    {"read_joined", read_joined, METH_VARARGS, "tail + one readinto of n bytes as one bytes (see the module source)."},
    {"whole_rule", whole_rule, METH_VARARGS, "The whole-connection rule over a window (see the module source)."},
    {"whole_enter", whole_enter, METH_VARARGS, "New whole records' option bytes entered (see the source)."},
    {"whole_values", whole_values, METH_VARARGS, "The summary row values of finished whole records (see the source)."},
    {"finished_pairs", finished_pairs, METH_VARARGS, "FinishedKeys.add_pairs' loop over finished records (see the source)."},
    {"pcap_heads", pcap_heads, METH_VARARGS, "The record headers of pcap records (see the module source)."},
    {"table_line", table_line, METH_VARARGS, "One line of the conversations table (see the module source)."},
    {"walk", walk, METH_VARARGS, "Offsets of the complete pcap records of a buffer (see the module source)."},
    {"walk_epb", walk_epb, METH_VARARGS, "Offsets of the well-formed pcapng EPBs of a buffer (see the source)."},
    {"headers", headers, METH_VARARGS, "The header columns of a batch of frames (see the module source)."},
    {"tcp_line", (PyCFunction)(void (*)(void))tcp_line, METH_FASTCALL,
     "The summary line of a TCP segment run from its headers (see the module source)."},
    {"quick_tcp", (PyCFunction)(void (*)(void))quick_tcp, METH_FASTCALL,
     "quick_headers' tuple of a TCP segment with its payload, else None (see the module source)."},
    {"tcp_analyze", (PyCFunction)(void (*)(void))tcp_analyze, METH_FASTCALL,
     "analyzer.tcp.analysis.analyze in C, or None where it declines (see the module source)."},
    {"json_tail", (PyCFunction)(void (*)(void))json_tail, METH_FASTCALL,
     "The epoch splice and the terminal check of a read --json line, or None (see the module source)."},
    {"decode_setup", decode_setup, METH_VARARGS, "The types and caches decode_fast uses (see the module source)."},
    {"decode_fast", decode_fast, METH_O, "decode() of an Ethernet/IPv4/TCP or UDP frame, or None (see the module source)."},
    {"flat_fields", flat_fields, METH_O, "Packet.fields of layers whose names do not repeat, or None (see the module source)."},
    {"http_head", (PyCFunction)(void (*)(void))http_head, METH_FASTCALL,
     "The parts of a plain HTTP/1.x head in a receive buffer, or None (see the module source)."},
    {"tcp_steady", (PyCFunction)(void (*)(void))tcp_steady, METH_FASTCALL,
     "TcpTracker._steady_out for an in-order segment that changes no history letter, or None (see the source)."},
    /* h-tlout */
    {"steps_plain", steps_plain, METH_VARARGS,
     "The plain lines of a fetch's steps from the i-th, until one it declines (see the module source)."},
    {"ladder_plain", ladder_plain, METH_VARARGS,
     "The plain lines of a fetch's ladder rows from the i-th, until one it declines (see the module source)."},
    /* the timeline (h-tlin) */
    {"timeline_tcp", (PyCFunction)(void (*)(void))timeline_tcp, METH_FASTCALL,
     "Collector._tcp over a batch's TCP segments, up to the first left to Python (see the source)."},
    {"conn_payload", conn_payload, METH_VARARGS,
     "A connection's payload bytes per (transaction, direction): (unique, sent), or None (see the module source)."},
    {"keepalive_shaped", keepalive_shaped, METH_O,
     "Whether a connection's segments hold one shaped like a TCP keep-alive, or None (see the module source)."},
    {"conn_owners", conn_owners, METH_VARARGS,
     "A connection's segments' owners (transaction index, -1, -2), or None (see the module source)."},
    {"held_todo", held_todo, METH_VARARGS,
     "The waiters TimelineRun._resolve_held must look at (the others unchanged and not due), or None (see the source)."},
    {"conn_segments", conn_segments, METH_VARARGS,
     "A connection's Segments, SYNs and SYN-ACKs from its packed log, or None (see the module source)."},
    {"json_text", json_text, METH_VARARGS,
     "json.JSONEncoder(ensure_ascii=False).encode(obj) for the values it knows, else None; safe=True: with what\n"
     "a terminal could act on escaped as analyzer.report.safe.json_safe escapes it (see the module source)."},
    /* h-conn7 */
    {"fill_rows", fill_rows, METH_VARARGS, "The tracker-call rows of a window filled from its columns (see the source)."},
    /* h-conv8 */
    {"fk_put", fk_put, METH_VARARGS, "Entries set in a table of packed finished 4-tuples (see the source)."},
    {"fk_put1", fk_put1, METH_VARARGS, "One entry set in a table of packed finished 4-tuples (see the source)."},
    {"fk_get", fk_get, METH_VARARGS, "The live bases of packed finished 4-tuples, or -1 (see the source)."},
    {"fk_get1", fk_get1, METH_VARARGS, "The live value of one packed finished 4-tuple, or None (see the source)."},
    {"pi_rows", pi_rows, METH_VARARGS, "The rows of endpoint pairs in the records' index, -1 for none (see the source)."},
    {"pi_row", pi_row, METH_VARARGS, "The row of one endpoint pair in the records' index, or None (see the source)."},
    {"pi_enter", pi_enter, METH_VARARGS, "Both directions of records' endpoint pairs entered (see the source)."},
    {"pi_forget", pi_forget, METH_VARARGS, "Both directions of records' endpoint pairs deleted (see the source)."},
    {"pi_rehash", pi_rehash, METH_VARARGS, "A records' index moved to a new table (see the source)."},
    {"fk_rehash", fk_rehash, METH_VARARGS, "A table of packed finished 4-tuples' live entries moved (see the source)."},
    /* h-read */
    {"read_steady", (PyCFunction)(void (*)(void))read_steady, METH_FASTCALL,
     "read's line of a steady TCP segment, or what the caller does instead (see the source)."},
    /* h-tlin, session 17 */
    {"dns_message", dns_message, METH_VARARGS,
     "parse_message's DnsMessage for a message of the common shapes, else None (see the source)."},
    /* h-dns, session 19 */
    {"base62_17", base62_17, METH_O, "uid._base62 of a digest of at most 16 bytes (see the source)."},
    {"dns_table_line", (PyCFunction)(void (*)(void))dns_table_line, METH_FASTCALL,
     "A line of analyzer dns's table for a row of the usual shapes, else None (see the source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", "Compiled helpers of the columnar core.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__speedups(void) { return PyModule_Create(&module); }
