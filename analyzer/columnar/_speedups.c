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

static PyMethodDef methods[] = {
    {"walk", walk, METH_VARARGS, "Offsets of the complete pcap records of a buffer (see the module source)."},
    {"walk_epb", walk_epb, METH_VARARGS, "Offsets of the well-formed pcapng EPBs of a buffer (see the source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", "Compiled helpers of the columnar core.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__speedups(void) { return PyModule_Create(&module); }
