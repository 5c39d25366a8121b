/* Compiled N-Quads line scanner for mkdata.builders.nquads (optional; the module's Python
 * tokenizer is the reference and the fallback).
 *
 * scan(data, end, first_line, predicates, type_code, known_types, last_graph)
 *   data[:end]   complete lines separated by b"\n" (the last one may lack its newline)
 *   first_line   line number of the first line
 *   predicates   dict bytes -> int: the predicate IRIs (with <>) the reader keeps
 *   type_code    the code of rdf:type; known_types: tuple of bytes (object IRIs); a type quad
 *                whose object is not in it and whose graph is last_graph is only counted.
 *                known_types None: never skip.
 *   last_graph   str or None: the graph of the quad the caller handled last
 * returns (items, n_lines, other_quads, skipped_quads, invalid_lines) where items are, in line
 * order, (line, code, subject, object, graph) for a well-formed quad with a kept predicate,
 * tokenized exactly as the Python tokenizer does, and (line, text) for every other line the
 * caller must look at (malformed, comments, invalid UTF-8: text is bytes then, else str).
 * Blank lines and well-formed quads with another predicate are only counted.
 *
 * Whitespace is what str.split() and str.rstrip() use (Py_UNICODE_ISSPACE on each code
 * point); UTF-8 is validated as strictly as Python's decoder (Unicode table 3-7).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

typedef const unsigned char *ptr;

/* 1 when s[0:n] is well-formed UTF-8 */
static int
valid_utf8(ptr s, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    while (i < n) {
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        /* a sequence's length, and the range its second byte must be in (table 3-7) */
        int len;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        }
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0; /* no overlong forms */
            else if (c == 0xED)
                hi = 0x9F; /* no surrogates */
        }
        else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90; /* no overlong forms */
            else if (c == 0xF4)
                hi = 0x8F; /* nothing past U+10FFFF */
        }
        else {
            return 0;
        }
        if (i + len > n || s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (int k = 2; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        i += len;
    }
    return 1;
}

/* the code point starting at p (valid UTF-8, p < e); its length in *len */
static inline Py_UCS4
cp_at(ptr p, ptr e, int *len)
{
    unsigned char c = p[0];
    if (c < 0x80) {
        *len = 1;
        return c;
    }
    if (c < 0xE0 && p + 1 < e) {
        *len = 2;
        return ((Py_UCS4)(c & 0x1F) << 6) | (p[1] & 0x3F);
    }
    if (c < 0xF0 && p + 2 < e) {
        *len = 3;
        return ((Py_UCS4)(c & 0x0F) << 12) | ((Py_UCS4)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    }
    if (p + 3 < e) {
        *len = 4;
        return ((Py_UCS4)(c & 0x07) << 18) | ((Py_UCS4)(p[1] & 0x3F) << 12) |
               ((Py_UCS4)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    }
    *len = 1; /* not reached on valid UTF-8 */
    return 0xFFFD;
}

static inline int
space_at(ptr p, ptr e, int *len)
{
    if (*p < 0x80) {
        *len = 1;
        return Py_UNICODE_ISSPACE(*p);
    }
    return Py_UNICODE_ISSPACE(cp_at(p, e, len));
}

/* strip whitespace code points off the end of [s, e) */
static ptr
rstrip(ptr s, ptr e)
{
    while (e > s) {
        if (e[-1] < 0x80) {
            if (!Py_UNICODE_ISSPACE(e[-1]))
                break;
            e--;
            continue;
        }
        ptr q = e - 1;
        while (q > s && (*q & 0xC0) == 0x80)
            q--;
        int len;
        if (!Py_UNICODE_ISSPACE(cp_at(q, e, &len)))
            break;
        e = q;
    }
    return e;
}

/* 1 for the bytes the fast loops stop at: ASCII whitespace and every non-ASCII byte */
static unsigned char stop_byte[256];

static void
init_stop_bytes(void)
{
    for (int c = 0; c < 256; c++)
        stop_byte[c] = c >= 0x80 || Py_UNICODE_ISSPACE(c);
}

static inline ptr
skip_space(ptr p, ptr e)
{
    int len;
    while (p < e && space_at(p, e, &len))
        p += len;
    return p;
}

static inline ptr
skip_token(ptr p, ptr e)
{
    int len;
    for (;;) {
        while (p < e && !stop_byte[*p])
            p++;
        if (p == e || space_at(p, e, &len))
            return p;
        p += len;
    }
}

/* a dict's or a tuple's bytes keys, for matching by length and memcmp (a few dozen at most) */
#define MAX_KEYS 64
typedef struct {
    Py_ssize_t n;
    const char *key[MAX_KEYS];
    Py_ssize_t len[MAX_KEYS];
    PyObject *value[MAX_KEYS]; /* borrowed; NULL for a tuple's keys */
} table;

static int
fill_table(table *t, PyObject *keys_of)
{
    int is_dict = PyDict_Check(keys_of);
    Py_ssize_t pos = 0, size = is_dict ? PyDict_Size(keys_of) : PyTuple_Size(keys_of);
    PyObject *k, *v = NULL;
    if (size < 0)
        return -1;
    if (size > MAX_KEYS) {
        PyErr_SetString(PyExc_ValueError, "too many keys");
        return -1;
    }
    for (t->n = 0; t->n < size; t->n++) {
        if (is_dict) {
            if (!PyDict_Next(keys_of, &pos, &k, &v)) {
                PyErr_SetString(PyExc_RuntimeError, "dict changed size");
                return -1;
            }
        }
        else
            k = PyTuple_GET_ITEM(keys_of, t->n);
        if (!PyBytes_Check(k)) {
            PyErr_SetString(PyExc_TypeError, "keys must be bytes");
            return -1;
        }
        t->key[t->n] = PyBytes_AS_STRING(k);
        t->len[t->n] = PyBytes_GET_SIZE(k);
        t->value[t->n] = v;
    }
    return 0;
}

/* index of [s, e) in t, or -1 */
static Py_ssize_t
find(const table *t, ptr s, ptr e)
{
    Py_ssize_t n = e - s;
    for (Py_ssize_t i = 0; i < t->n; i++)
        if (t->len[i] == n && memcmp(t->key[i], s, n) == 0)
            return i;
    return -1;
}

static int
append_steal(PyObject *list, PyObject *item)
{
    if (item == NULL)
        return -1;
    int rc = PyList_Append(list, item);
    Py_DECREF(item);
    return rc;
}

static PyObject *
tuple_steal(Py_ssize_t n, PyObject **parts)
{
    PyObject *t = NULL;
    for (Py_ssize_t i = 0; i < n; i++)
        if (parts[i] == NULL)
            goto fail;
    t = PyTuple_New(n);
    if (t == NULL)
        goto fail;
    for (Py_ssize_t i = 0; i < n; i++)
        PyTuple_SET_ITEM(t, i, parts[i]);
    return t;
fail:
    for (Py_ssize_t i = 0; i < n; i++)
        Py_XDECREF(parts[i]);
    return NULL;
}

static PyObject *
decode(ptr s, ptr e)
{
    return PyUnicode_DecodeUTF8((const char *)s, e - s, "strict");
}

static PyObject *
scan(PyObject *module, PyObject *args)
{
    Py_buffer buf;
    Py_ssize_t end, first;
    PyObject *predicates, *type_code, *known_types, *last_graph;
    if (!PyArg_ParseTuple(args, "y*nnO!OOO", &buf, &end, &first, &PyDict_Type, &predicates,
                          &type_code, &known_types, &last_graph))
        return NULL;
    PyObject *items = NULL, *graph = NULL, *result = NULL;
    table preds, types;
    if (end < 0 || end > buf.len) {
        PyErr_SetString(PyExc_ValueError, "end outside the data");
        goto done;
    }
    if (known_types != Py_None && !PyTuple_Check(known_types)) {
        PyErr_SetString(PyExc_TypeError, "known_types must be a tuple of bytes or None");
        goto done;
    }
    if (last_graph != Py_None && !PyUnicode_Check(last_graph)) {
        PyErr_SetString(PyExc_TypeError, "last_graph must be str or None");
        goto done;
    }
    if (fill_table(&preds, predicates) < 0)
        goto done;
    types.n = 0;
    if (known_types != Py_None && fill_table(&types, known_types) < 0)
        goto done;
    /* the table entry of rdf:type, found before the loop (exact ints only: comparing them
     * runs no Python code, which could change the dict the table borrows from) */
    Py_ssize_t type_entry = -1;
    for (Py_ssize_t i = 0; known_types != Py_None && i < preds.n && type_entry < 0; i++) {
        if (!PyLong_CheckExact(preds.value[i]) || !PyLong_CheckExact(type_code))
            continue;
        int eq = PyObject_RichCompareBool(preds.value[i], type_code, Py_EQ);
        if (eq < 0)
            goto done;
        if (eq)
            type_entry = i;
    }
    items = PyList_New(0);
    if (items == NULL)
        goto done;
    if (last_graph != Py_None) {
        graph = last_graph;
        Py_INCREF(graph);
    }
    ptr data = (ptr)buf.buf;
    ptr stop = data + end;
    ptr line = data;
    Py_ssize_t lineno = first, other = 0, skipped = 0, invalid = 0;
    for (;; lineno++) {
        ptr e = memchr(line, '\n', stop - line);
        ptr next = e ? e + 1 : NULL;
        if (e == NULL)
            e = stop;
        PyObject *parts[5];
        if (!valid_utf8(line, e - line)) {
            invalid++;
            parts[0] = PyLong_FromSsize_t(lineno);
            parts[1] = PyBytes_FromStringAndSize((const char *)line, e - line);
            goto fallback;
        }
        ptr subj = skip_space(line, e);
        if (subj == e)
            goto next_line; /* blank */
        ptr subj_end = skip_token(subj, e);
        ptr pred = skip_space(subj_end, e);
        ptr pred_end = skip_token(pred, e);
        ptr rest = skip_space(pred_end, e);
        if (rest == e) /* fewer than three fields */
            goto fallback_text;
        int subj_ok = *subj == '_' || *subj == '<';
        Py_ssize_t code = find(&preds, pred, pred_end);
        if (code < 0) {
            if (*pred == '<' && subj_ok) {
                other++;
                goto next_line;
            }
            goto fallback_text;
        }
        ptr rest_end = rstrip(rest, e);
        ptr gi = rest_end - 1;
        while (gi >= rest && *gi != '<')
            gi--;
        if (rest_end[-1] != '.' || gi < rest || !subj_ok)
            goto fallback_text;
        ptr tail_end = rstrip(gi, rest_end - 1);
        if (tail_end - gi < 2 || tail_end[-1] != '>')
            goto fallback_text;
        ptr obj_end = rstrip(rest, gi);
        if (obj_end == rest)
            goto fallback_text;
        ptr g = gi + 1, g_end = tail_end - 1;
        int same_graph = 0;
        if (graph != NULL) {
            Py_ssize_t glen;
            const char *gs = PyUnicode_AsUTF8AndSize(graph, &glen);
            if (gs == NULL) /* not encodable (lone surrogates): never equal to UTF-8 */
                PyErr_Clear();
            else
                same_graph = glen == g_end - g && memcmp(gs, g, glen) == 0;
        }
        PyObject *code_obj = preds.value[code];
        if (same_graph && code == type_entry && find(&types, rest, obj_end) < 0) {
            skipped++;
            goto next_line;
        }
        if (!same_graph) {
            Py_XDECREF(graph);
            graph = decode(g, g_end);
            if (graph == NULL)
                goto done;
        }
        Py_INCREF(code_obj);
        Py_INCREF(graph);
        parts[0] = PyLong_FromSsize_t(lineno);
        parts[1] = code_obj;
        parts[2] = decode(subj, subj_end);
        parts[3] = decode(rest, obj_end);
        parts[4] = graph;
        if (append_steal(items, tuple_steal(5, parts)) < 0)
            goto done;
        goto next_line;
    fallback_text:
        parts[0] = PyLong_FromSsize_t(lineno);
        parts[1] = decode(line, e);
    fallback:
        /* the caller tokenizes this line itself; its graph may become the page's */
        if (append_steal(items, tuple_steal(2, parts)) < 0)
            goto done;
        Py_CLEAR(graph);
    next_line:
        if (next == NULL)
            break;
        line = next;
    }
    result = Py_BuildValue("(Onnnn)", items, lineno - first + 1, other, skipped, invalid);
done:
    Py_XDECREF(items);
    Py_XDECREF(graph);
    PyBuffer_Release(&buf);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, "Scan a block of N-Quads lines (see the module source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_nquads_scan", "Compiled N-Quads line scanner.", -1, methods,
};

PyMODINIT_FUNC
PyInit__nquads_scan(void)
{
    init_stop_bytes();
    PyObject *m = PyModule_Create(&module);
    /* nquads.SCANNER_VERSION: the reader uses this build only when they are equal */
    if (m != NULL && PyModule_AddIntConstant(m, "VERSION", 2) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
