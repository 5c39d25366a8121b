/* Compiled N-Quads page reader for mkdata.builders.nquads (optional; the module's Python
 * reader is the reference and the fallback, and must give the same pairs and report).
 *
 * Pages(predicates, kinds, limit)
 *   predicates  dict bytes -> int: the predicate IRIs (with <>) the reader keeps, coded as
 *               nquads.TYPE .. nquads.IN_LANGUAGE (0..8)
 *   kinds       dict bytes -> int: the type IRIs the reader keeps, coded 0 FAQPage,
 *               1 Question, 2 Answer, 3 WebPage, 4 Article, 5 WebSite (nquads.KIND_CODES)
 *   limit       stop when this many pages were read (-1: never)
 * invalid_lines(data, end, first) -> [(line, bytes)]: the lines of data[:end] (the first
 *   numbered first) that are not UTF-8
 * feed(data, start, end, line, checked) -> (pairs, problems, left): reads the lines of
 *   data[start:end] (start at a line start, numbered line; checked: every line is UTF-8).
 *   pairs are (url, question, answer, title, description, language) of the pages completed,
 *   problems (kind, line, message) in line order. left is the last line's number when the
 *   block is done, None when the limit was reached, (line, start) when a page that gave
 *   pairs was closed by that line's quad (not read yet: the caller hands the pairs on, then
 *   goes on with feed(data, start, end, line, ...), as the Python reader yields a page's
 *   pairs before it reads the quad that ends the page), or (line, text, next_start) for a
 *   line the caller must read itself (malformed, a comment, not UTF-8: text is bytes then);
 *   the caller goes on with feed(data, next_start, ...) while next_start <= end.
 * add(line, code, subject, object, graph) -> (pairs, problems, state): a quad the caller
 *   split itself; state 0: read, 1: the limit was reached, 2: a page was closed as above
 *   and the quad must be added again
 * finish() -> pairs of the last page; counts() -> dict of what was counted
 *
 * Lines are split exactly as nquads._tokenize splits them; whitespace is what str.split()
 * and str.rstrip() use (Py_UNICODE_ISSPACE on each code point); UTF-8 is validated as
 * strictly as Python's decoder (Unicode table 3-7). Pages are assembled as nquads._assemble
 * and nquads._Page.context do, literals unescaped as nquads.unescape_literal does.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
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

/* ---- owned copies of the byte keys a reader matches (a few dozen at most) ---- */

#define MAX_KEYS 64
typedef struct {
    Py_ssize_t n;
    char *key[MAX_KEYS];
    Py_ssize_t len[MAX_KEYS];
    int code[MAX_KEYS];
} keys;

static void
free_keys(keys *t)
{
    for (Py_ssize_t i = 0; i < t->n; i++)
        PyMem_Free(t->key[i]);
    t->n = 0;
}

/* copy a dict bytes -> int (codes in 0..max_code) */
static int
fill_keys(keys *t, PyObject *dict, int max_code)
{
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    t->n = 0;
    if (!PyDict_Check(dict)) {
        PyErr_SetString(PyExc_TypeError, "expected a dict of bytes to int");
        return -1;
    }
    if (PyDict_Size(dict) > MAX_KEYS) {
        PyErr_SetString(PyExc_ValueError, "too many keys");
        return -1;
    }
    while (PyDict_Next(dict, &pos, &k, &v)) {
        if (!PyBytes_Check(k) || !PyLong_Check(v)) {
            PyErr_SetString(PyExc_TypeError, "expected a dict of bytes to int");
            goto fail;
        }
        long code = PyLong_AsLong(v);
        if (code == -1 && PyErr_Occurred())
            goto fail;
        if (code < 0 || code > max_code) {
            PyErr_SetString(PyExc_ValueError, "code out of range");
            goto fail;
        }
        Py_ssize_t n = PyBytes_GET_SIZE(k);
        char *copy = PyMem_Malloc(n + 1);
        if (copy == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        memcpy(copy, PyBytes_AS_STRING(k), n);
        t->key[t->n] = copy;
        t->len[t->n] = n;
        t->code[t->n] = (int)code;
        t->n++;
    }
    return 0;
fail:
    free_keys(t);
    return -1;
}

/* the code of [s, e) in t, or -1 */
static int
find(const keys *t, ptr s, ptr e)
{
    Py_ssize_t n = e - s;
    for (Py_ssize_t i = 0; i < t->n; i++)
        if (t->len[i] == n && memcmp(t->key[i], s, n) == 0)
            return t->code[i];
    return -1;
}

/* ---- one line, split as nquads._tokenize splits it ---- */

enum { LINE_BLANK, LINE_OTHER, LINE_PYTHON, LINE_QUAD };

typedef struct {
    int code;
    ptr s, s_end, o, o_end, g, g_end; /* subject, object, graph (without <>) */
} split_quad;

static int
split_line(ptr line, ptr e, const keys *preds, split_quad *q)
{
    ptr subj = skip_space(line, e);
    if (subj == e)
        return LINE_BLANK;
    ptr subj_end = skip_token(subj, e);
    ptr pred = skip_space(subj_end, e);
    ptr pred_end = skip_token(pred, e);
    ptr rest = skip_space(pred_end, e);
    if (rest == e) /* fewer than three fields */
        return LINE_PYTHON;
    int subj_ok = *subj == '_' || *subj == '<';
    int code = find(preds, pred, pred_end);
    if (code < 0)
        return *pred == '<' && subj_ok ? LINE_OTHER : LINE_PYTHON;
    ptr rest_end = rstrip(rest, e);
    ptr gi = rest_end - 1;
    while (gi >= rest && *gi != '<')
        gi--;
    if (rest_end[-1] != '.' || gi < rest || !subj_ok)
        return LINE_PYTHON;
    ptr tail_end = rstrip(gi, rest_end - 1);
    if (tail_end - gi < 2 || tail_end[-1] != '>')
        return LINE_PYTHON;
    ptr obj_end = rstrip(rest, gi);
    if (obj_end == rest)
        return LINE_PYTHON;
    q->code = code;
    q->s = subj;
    q->s_end = subj_end;
    q->o = rest;
    q->o_end = obj_end;
    q->g = gi + 1;
    q->g_end = tail_end - 1;
    return LINE_QUAD;
}

/* ---- a page's nodes ---- */

/* nquads' predicate codes */
enum { P_TYPE, P_MAIN, P_NAME, P_TEXT, P_ACCEPTED, P_SUGGESTED, P_HEADLINE, P_DESCRIPTION,
       P_LANGUAGE, P_LAST = P_LANGUAGE };
/* type kinds (nquads.KIND_CODES) */
enum { K_FAQ, K_QUESTION, K_ANSWER, K_WEB_PAGE, K_ARTICLE, K_WEB_SITE, K_LAST = K_WEB_SITE };
/* a node's literal fields (first value wins) and its lists of references */
enum { F_NAME, F_TEXT, F_HEADLINE, F_DESCRIPTION, F_LANGUAGE, N_FIELDS };
enum { L_MAIN, L_ACCEPTED, L_SUGGESTED, N_LISTS };

static const int field_of[P_LAST + 1] = {-1, -1, F_NAME, F_TEXT, -1, -1, F_HEADLINE,
                                         F_DESCRIPTION, F_LANGUAGE};
static const int list_of[P_LAST + 1] = {-1, L_MAIN, -1, -1, L_ACCEPTED, L_SUGGESTED, -1, -1, -1};

typedef struct {
    Py_ssize_t off, len; /* bytes in the page's arena; len < 0: absent */
} span;

typedef struct {
    span key;              /* the node's token: an IRI with <>, a blank node */
    span field[N_FIELDS];  /* unescaped UTF-8 */
    Py_ssize_t head[N_LISTS], tail[N_LISTS]; /* references, -1: none */
    unsigned kinds;        /* 1 << kind for each type it was given */
    char typed;            /* given a type the reader keeps (nquads' page.types) */
    char listed;           /* in the page's FAQPage list */
    char seen;             /* its question was read */
} node_t;

typedef struct {
    Py_ssize_t next; /* -1: the last */
    Py_ssize_t node; /* -1: a literal */
    span literal;
} ref_t;

typedef struct {
    PyObject_HEAD
    keys preds, kinds;
    Py_ssize_t limit;
    /* the page being read */
    int has_page;
    span graph;
    PyObject *url; /* the graph decoded, once a pair needs it */
    char *arena;
    Py_ssize_t arena_len, arena_cap;
    node_t *nodes;
    Py_ssize_t n_nodes, nodes_cap;
    Py_ssize_t *slots; /* node index + 1, 0: empty; a power of two */
    Py_ssize_t slots_cap;
    ref_t *refs;
    Py_ssize_t n_refs, refs_cap;
    Py_ssize_t *typed; /* nodes in the order they were first typed */
    Py_ssize_t n_typed, typed_cap;
    Py_ssize_t *faq; /* FAQPage nodes in the order they were first typed so */
    Py_ssize_t n_faq, faq_cap;
    char *scratch; /* literals that are not kept */
    Py_ssize_t scratch_cap;
    /* counts */
    Py_ssize_t pages, quads, other, no_faq, dangling, questions, no_answer, no_question;
    Py_ssize_t limit_line;
    /* what the current call returns */
    PyObject *pairs, *problems;
} Pages;

/* make room for need items of size in *p (capacity *cap) */
static int
reserve(void **p, Py_ssize_t *cap, Py_ssize_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    Py_ssize_t cap2 = *cap ? *cap : 16;
    while (cap2 < need) {
        if (cap2 > PY_SSIZE_T_MAX / 2 / (Py_ssize_t)size) {
            PyErr_NoMemory();
            return -1;
        }
        cap2 *= 2;
    }
    void *q = PyMem_Realloc(*p, cap2 * size);
    if (q == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *p = q;
    *cap = cap2;
    return 0;
}

#define RESERVE(arr, cap, need) reserve((void **)&(arr), &(cap), (need), sizeof(*(arr)))

static span
store(Pages *self, ptr s, Py_ssize_t n)
{
    span sp = {0, -1};
    if (RESERVE(self->arena, self->arena_cap, self->arena_len + n + 1) < 0)
        return sp;
    memcpy(self->arena + self->arena_len, s, n);
    sp.off = self->arena_len;
    sp.len = n;
    self->arena_len += n;
    return sp;
}

static inline ptr
at(const Pages *self, span sp)
{
    return (ptr)self->arena + sp.off;
}

/* Python's keyed hash of bytes (SipHash, seeded per process as str and bytes hashes are):
 * a page's node labels cannot be chosen to collide */
static inline uint64_t
hash_bytes(ptr s, Py_ssize_t n)
{
#if PY_VERSION_HEX >= 0x030E0000
    return (uint64_t)Py_HashBuffer(s, n);
#else
    return (uint64_t)_Py_HashBytes(s, n);
#endif
}

static int
rehash(Pages *self, Py_ssize_t cap)
{
    Py_ssize_t *slots = PyMem_Calloc(cap, sizeof(Py_ssize_t));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < self->n_nodes; i++) {
        span k = self->nodes[i].key;
        size_t j = hash_bytes(at(self, k), k.len) & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = i + 1;
    }
    PyMem_Free(self->slots);
    self->slots = slots;
    self->slots_cap = cap;
    return 0;
}

/* the node of token [s, s + n), added when new; -1 on error */
static Py_ssize_t
intern(Pages *self, ptr s, Py_ssize_t n)
{
    if ((self->n_nodes + 1) * 2 > self->slots_cap &&
        rehash(self, self->slots_cap ? self->slots_cap * 2 : 64) < 0)
        return -1;
    size_t mask = self->slots_cap - 1, j = hash_bytes(s, n) & mask;
    for (; self->slots[j]; j = (j + 1) & mask) {
        Py_ssize_t i = self->slots[j] - 1;
        span k = self->nodes[i].key;
        if (k.len == n && memcmp(at(self, k), s, n) == 0)
            return i;
    }
    if (RESERVE(self->nodes, self->nodes_cap, self->n_nodes + 1) < 0)
        return -1;
    span key = store(self, s, n);
    if (key.len < 0)
        return -1;
    node_t *nd = &self->nodes[self->n_nodes];
    memset(nd, 0, sizeof(*nd));
    nd->key = key;
    for (int f = 0; f < N_FIELDS; f++)
        nd->field[f].len = -1;
    for (int l = 0; l < N_LISTS; l++)
        nd->head[l] = nd->tail[l] = -1;
    self->slots[j] = self->n_nodes + 1;
    return self->n_nodes++;
}

static int
push_index(Py_ssize_t **arr, Py_ssize_t *n, Py_ssize_t *cap, Py_ssize_t value)
{
    if (reserve((void **)arr, cap, *n + 1, sizeof(Py_ssize_t)) < 0)
        return -1;
    (*arr)[(*n)++] = value;
    return 0;
}

static int
append_ref(Pages *self, Py_ssize_t owner, int list, Py_ssize_t node, span literal)
{
    if (RESERVE(self->refs, self->refs_cap, self->n_refs + 1) < 0)
        return -1;
    Py_ssize_t r = self->n_refs++;
    self->refs[r].next = -1;
    self->refs[r].node = node;
    self->refs[r].literal = literal;
    node_t *nd = &self->nodes[owner];
    if (nd->tail[list] < 0)
        nd->head[list] = r;
    else
        self->refs[nd->tail[list]].next = r;
    nd->tail[list] = r;
    return 0;
}

/* ---- literals, unescaped as nquads.unescape_literal does ---- */

static inline int
hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* the value of n hex digits at s, or -1 */
static long
hex_at(ptr s, ptr e, int n)
{
    if (e - s < n)
        return -1;
    long v = 0;
    for (int i = 0; i < n; i++) {
        int d = hex_value(s[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static inline unsigned char *
put_utf8(unsigned char *out, Py_UCS4 cp)
{
    if (cp < 0x80) {
        *out++ = (unsigned char)cp;
    }
    else if (cp < 0x800) {
        *out++ = 0xC0 | (cp >> 6);
        *out++ = 0x80 | (cp & 0x3F);
    }
    else if (cp < 0x10000) {
        *out++ = 0xE0 | (cp >> 12);
        *out++ = 0x80 | ((cp >> 6) & 0x3F);
        *out++ = 0x80 | (cp & 0x3F);
    }
    else {
        *out++ = 0xF0 | (cp >> 18);
        *out++ = 0x80 | ((cp >> 12) & 0x3F);
        *out++ = 0x80 | ((cp >> 6) & 0x3F);
        *out++ = 0x80 | (cp & 0x3F);
    }
    return out;
}

#define REPLACEMENT 0xFFFD

/* an escaped code point: a pair of escaped UTF-16 surrogates is joined, a lone one becomes
 * U+FFFD (text.without_lone_surrogates) */
static inline unsigned char *
put_escaped(unsigned char *out, Py_UCS4 cp, Py_UCS4 *high)
{
    if (*high) {
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            out = put_utf8(out, 0x10000 + ((*high - 0xD800) << 10) + (cp - 0xDC00));
            *high = 0;
            return out;
        }
        out = put_utf8(out, REPLACEMENT);
        *high = 0;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF)
        *high = cp;
    else
        out = put_utf8(out, cp >= 0xDC00 && cp <= 0xDFFF ? REPLACEMENT : cp);
    return out;
}

/* unescape [s, e) into out (room for e - s + 2 bytes: no escape grows); its length; *ok 0
 * when a broken escape was kept verbatim */
static Py_ssize_t
unescape(ptr s, ptr e, unsigned char *out, int *ok)
{
    unsigned char *o = out;
    Py_UCS4 high = 0;
    *ok = 1;
    while (s < e) {
        ptr b = memchr(s, '\\', e - s);
        ptr run_end = b ? b : e;
        if (run_end > s) {
            if (high) {
                o = put_utf8(o, REPLACEMENT);
                high = 0;
            }
            memcpy(o, s, run_end - s);
            o += run_end - s;
            s = run_end;
        }
        if (b == NULL)
            break;
        /* at a backslash */
        if (b + 1 == e) {
            *ok = 0;
            goto verbatim;
        }
        unsigned char c = b[1];
        long cp;
        if (c == 'u' && (cp = hex_at(b + 2, e, 4)) >= 0) {
            o = put_escaped(o, (Py_UCS4)cp, &high);
            s = b + 6;
            continue;
        }
        if (c == 'U' && (cp = hex_at(b + 2, e, 8)) >= 0) {
            if (cp <= 0x10FFFF) {
                o = put_escaped(o, (Py_UCS4)cp, &high);
                s = b + 10;
                continue;
            }
            /* out of range: the whole escape is kept */
            if (high) {
                o = put_utf8(o, REPLACEMENT);
                high = 0;
            }
            memcpy(o, b, 10);
            o += 10;
            s = b + 10;
            *ok = 0;
            continue;
        }
        int simple = -1;
        switch (c) {
        case 't': simple = '\t'; break;
        case 'b': simple = '\b'; break;
        case 'n': simple = '\n'; break;
        case 'r': simple = '\r'; break;
        case 'f': simple = '\f'; break;
        case '"': simple = '"'; break;
        case '\'': simple = '\''; break;
        case '\\': simple = '\\'; break;
        }
        if (simple >= 0) {
            o = put_escaped(o, (Py_UCS4)simple, &high);
            s = b + 2;
            continue;
        }
        *ok = 0;
    verbatim: /* the backslash is kept; what follows it is read as text */
        if (high) {
            o = put_utf8(o, REPLACEMENT);
            high = 0;
        }
        *o++ = '\\';
        s = b + 1;
    }
    if (high)
        o = put_utf8(o, REPLACEMENT);
    return o - out;
}

/* ---- problems and pairs ---- */

static int
problem(Pages *self, const char *kind, Py_ssize_t line, const char *message)
{
    PyObject *p = Py_BuildValue("(sns)", kind, line, message);
    if (p == NULL)
        return -1;
    int rc = PyList_Append(self->problems, p);
    Py_DECREF(p);
    return rc;
}

static PyObject *
text_of(const Pages *self, span sp)
{
    if (sp.len <= 0)
        return PyUnicode_New(0, 0);
    return PyUnicode_DecodeUTF8((const char *)at(self, sp), sp.len, "strict");
}

static inline int
present(span sp)
{
    return sp.len > 0;
}

/* the first non-empty of a and b */
static inline span
either(span a, span b)
{
    return present(a) ? a : b;
}

/* where a typed node stands among the page's context (nquads._Page.context's rank) */
static int
context_rank(const Pages *self, const node_t *nd)
{
    unsigned k = nd->kinds;
    if (k & (1u << K_WEB_PAGE)) {
        span key = nd->key;
        ptr s = at(self, key);
        if (key.len >= 2 && s[0] == '_' && s[1] == ':')
            return 0;
        if (key.len == self->graph.len + 2 && s[0] == '<' && s[key.len - 1] == '>' &&
            memcmp(s + 1, at(self, self->graph), self->graph.len) == 0)
            return 0; /* the page itself */
    }
    if (k & (1u << K_FAQ))
        return 1;
    if (k & (1u << K_ARTICLE))
        return 2;
    if (k & (1u << K_WEB_PAGE))
        return 3;
    return k & (1u << K_WEB_SITE) ? 4 : 5;
}

/* the page's pairs into self->pairs (nquads._assemble) */
static int
assemble(Pages *self)
{
    if (self->n_faq == 0) {
        self->no_faq++;
        return 0;
    }
    span title = {0, -1}, description = {0, -1}, language = {0, -1};
    for (int rank = 0; rank < 5; rank++) {
        for (Py_ssize_t i = 0; i < self->n_typed; i++) {
            const node_t *nd = &self->nodes[self->typed[i]];
            if (context_rank(self, nd) != rank)
                continue;
            if (!present(title))
                title = nd->kinds & (1u << K_ARTICLE)
                            ? either(nd->field[F_HEADLINE], nd->field[F_NAME])
                            : nd->field[F_NAME];
            description = either(description, nd->field[F_DESCRIPTION]);
            language = either(language, nd->field[F_LANGUAGE]);
        }
    }
    PyObject *context[3] = {NULL, NULL, NULL};
    int rc = -1;
    for (Py_ssize_t f = 0; f < self->n_faq; f++) {
        for (Py_ssize_t r = self->nodes[self->faq[f]].head[L_MAIN]; r >= 0; r = self->refs[r].next) {
            node_t *q = &self->nodes[self->refs[r].node];
            if (q->seen)
                continue;
            q->seen = 1;
            int known = q->typed || q->field[F_NAME].len >= 0 || q->field[F_TEXT].len >= 0;
            if (!known && q->head[L_ACCEPTED] < 0 && q->head[L_SUGGESTED] < 0) {
                self->dangling++; /* cut off: never described */
                continue;
            }
            span question = either(q->field[F_NAME], q->field[F_TEXT]);
            span answer = {0, -1};
            Py_ssize_t a = q->head[L_ACCEPTED] >= 0 ? q->head[L_ACCEPTED] : q->head[L_SUGGESTED];
            for (; a >= 0 && !present(answer); a = self->refs[a].next) {
                const ref_t *ref = &self->refs[a];
                if (ref->node < 0)
                    answer = ref->literal;
                else
                    answer = either(self->nodes[ref->node].field[F_TEXT],
                                    self->nodes[ref->node].field[F_NAME]);
            }
            self->questions++;
            if (!present(answer)) {
                self->no_answer++;
                continue;
            }
            if (!present(question)) {
                self->no_question++;
                continue;
            }
            if (self->url == NULL) {
                self->url = text_of(self, self->graph);
                if (self->url == NULL)
                    goto done;
            }
            if (context[0] == NULL) {
                context[0] = text_of(self, title);
                context[1] = text_of(self, description);
                context[2] = text_of(self, language);
                if (!context[0] || !context[1] || !context[2])
                    goto done;
            }
            PyObject *pair = PyTuple_New(6);
            if (pair == NULL)
                goto done;
            Py_INCREF(self->url);
            PyTuple_SET_ITEM(pair, 0, self->url);
            PyTuple_SET_ITEM(pair, 1, text_of(self, question));
            PyTuple_SET_ITEM(pair, 2, text_of(self, answer));
            for (int c = 0; c < 3; c++) {
                Py_INCREF(context[c]);
                PyTuple_SET_ITEM(pair, 3 + c, context[c]);
            }
            int bad = PyTuple_GET_ITEM(pair, 1) == NULL || PyTuple_GET_ITEM(pair, 2) == NULL ||
                      PyList_Append(self->pairs, pair) < 0;
            Py_DECREF(pair);
            if (bad)
                goto done;
        }
    }
    rc = 0;
done:
    for (int c = 0; c < 3; c++)
        Py_XDECREF(context[c]);
    return rc;
}

/* big buffers go back after a big page */
#define KEEP_BYTES (1 << 20)
#define KEEP_ITEMS (1 << 14)

static void
drop_if_big(void **p, Py_ssize_t *cap, Py_ssize_t keep)
{
    if (*cap > keep) {
        PyMem_Free(*p);
        *p = NULL;
        *cap = 0;
    }
}

static int
new_page(Pages *self, ptr g, Py_ssize_t n)
{
    self->has_page = 0;
    /* a table much larger than the last page needed is dropped, not cleared: after one big
     * page, every small page would clear all of it */
    if (self->slots_cap > 64 && self->slots_cap > 8 * self->n_nodes) {
        PyMem_Free(self->slots);
        self->slots = NULL;
        self->slots_cap = 0;
    }
    drop_if_big((void **)&self->scratch, &self->scratch_cap, KEEP_BYTES);
    drop_if_big((void **)&self->arena, &self->arena_cap, KEEP_BYTES);
    drop_if_big((void **)&self->nodes, &self->nodes_cap, KEEP_ITEMS);
    drop_if_big((void **)&self->refs, &self->refs_cap, KEEP_ITEMS);
    drop_if_big((void **)&self->typed, &self->typed_cap, KEEP_ITEMS);
    drop_if_big((void **)&self->faq, &self->faq_cap, KEEP_ITEMS);
    drop_if_big((void **)&self->slots, &self->slots_cap, 2 * KEEP_ITEMS);
    if (self->slots != NULL)
        memset(self->slots, 0, self->slots_cap * sizeof(Py_ssize_t));
    self->arena_len = self->n_nodes = self->n_refs = self->n_typed = self->n_faq = 0;
    Py_CLEAR(self->url);
    self->graph = store(self, g, n);
    if (self->graph.len < 0)
        return -1;
    self->has_page = 1;
    return 0;
}

enum { HANDLED, LIMIT_REACHED, PAGE_CLOSED };

/* one kept quad (nquads._read_python's loop): HANDLED; LIMIT_REACHED; or PAGE_CLOSED when
 * it closed a page that gave pairs and was not read itself: the caller hands the pairs on
 * (as the Python reader does before it reads the quad) and gives the quad again */
static int
handle(Pages *self, Py_ssize_t line, const split_quad *q)
{
    Py_ssize_t gn = q->g_end - q->g;
    if (self->has_page &&
        (self->graph.len != gn || memcmp(at(self, self->graph), q->g, gn) != 0)) {
        Py_ssize_t before = PyList_GET_SIZE(self->pairs);
        if (assemble(self) < 0)
            return -1;
        self->pages++;
        self->has_page = 0;
        if (self->limit >= 0 && self->pages >= self->limit) {
            self->quads++; /* counted, as the Python reader does */
            self->limit_line = line;
            return LIMIT_REACHED;
        }
        if (PyList_GET_SIZE(self->pairs) > before)
            return PAGE_CLOSED;
    }
    self->quads++;
    if (!self->has_page && new_page(self, q->g, gn) < 0)
        return -1;
    Py_ssize_t sn = q->s_end - q->s, on = q->o_end - q->o;
    if (q->code == P_TYPE) {
        int kind = find(&self->kinds, q->o, q->o_end);
        if (kind < 0)
            return 0;
        Py_ssize_t n = intern(self, q->s, sn);
        if (n < 0)
            return -1;
        node_t *nd = &self->nodes[n];
        nd->kinds |= 1u << kind;
        if (!nd->typed) {
            nd->typed = 1;
            if (push_index(&self->typed, &self->n_typed, &self->typed_cap, n) < 0)
                return -1;
        }
        if (kind == K_FAQ && !self->nodes[n].listed) {
            self->nodes[n].listed = 1;
            if (push_index(&self->faq, &self->n_faq, &self->faq_cap, n) < 0)
                return -1;
        }
        return 0;
    }
    int list = list_of[q->code], field = field_of[q->code];
    if (q->o[0] == '"') {
        ptr close = q->o_end - 1;
        while (close > q->o && *close != '"')
            close--;
        if (close == q->o)
            return problem(self, "malformed_line", line, "unterminated literal");
        ptr v = q->o + 1;
        Py_ssize_t n = -1;
        int keep = list == L_ACCEPTED || list == L_SUGGESTED;
        if (field >= 0) {
            if ((n = intern(self, q->s, sn)) < 0)
                return -1;
            keep = self->nodes[n].field[field].len < 0;
        }
        span value = {0, -1};
        if (memchr(v, '\\', close - v) == NULL) {
            if (keep && (value = store(self, v, close - v)).len < 0)
                return -1;
        }
        else {
            int ok;
            unsigned char *out;
            Py_ssize_t room = (close - v) + 2;
            if (keep) {
                if (RESERVE(self->arena, self->arena_cap, self->arena_len + room) < 0)
                    return -1;
                out = (unsigned char *)self->arena + self->arena_len;
            }
            else {
                if (RESERVE(self->scratch, self->scratch_cap, room) < 0)
                    return -1;
                out = (unsigned char *)self->scratch;
            }
            Py_ssize_t len = unescape(v, close, out, &ok);
            if (keep) {
                value.off = self->arena_len;
                value.len = len;
                self->arena_len += len;
            }
            if (!ok && problem(self, "broken_escape", line, "broken escape kept as is") < 0)
                return -1;
        }
        if (!keep)
            return 0;
        if (field >= 0) {
            self->nodes[n].field[field] = value;
            return 0;
        }
        /* an answer given inline as a string literal */
        if ((n = intern(self, q->s, sn)) < 0)
            return -1;
        return append_ref(self, n, list, -1, value);
    }
    if (list < 0)
        return 0;
    Py_ssize_t owner = intern(self, q->s, sn);
    if (owner < 0)
        return -1;
    Py_ssize_t target = intern(self, q->o, on);
    if (target < 0)
        return -1;
    span none = {0, -1};
    return append_ref(self, owner, list, target, none);
}

/* ---- the Python type ---- */

static int
Pages_init(Pages *self, PyObject *args, PyObject *kwds)
{
    PyObject *preds, *kinds;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "OOn", &preds, &kinds, &limit))
        return -1;
    if (self->preds.n || self->kinds.n) {
        PyErr_SetString(PyExc_RuntimeError, "Pages is initialized once");
        return -1;
    }
    if (fill_keys(&self->preds, preds, P_LAST) < 0)
        return -1;
    if (fill_keys(&self->kinds, kinds, K_LAST) < 0) {
        free_keys(&self->preds);
        return -1;
    }
    self->limit = limit;
    return 0;
}

static void
Pages_dealloc(Pages *self)
{
    free_keys(&self->preds);
    free_keys(&self->kinds);
    Py_XDECREF(self->url);
    Py_XDECREF(self->pairs);
    Py_XDECREF(self->problems);
    PyMem_Free(self->arena);
    PyMem_Free(self->nodes);
    PyMem_Free(self->slots);
    PyMem_Free(self->refs);
    PyMem_Free(self->typed);
    PyMem_Free(self->faq);
    PyMem_Free(self->scratch);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* fresh output lists for a call */
static int
begin(Pages *self)
{
    if (self->preds.n == 0) {
        PyErr_SetString(PyExc_RuntimeError, "Pages was not initialized");
        return -1;
    }
    if (self->limit_line) {
        PyErr_SetString(PyExc_RuntimeError, "the page limit was reached");
        return -1;
    }
    Py_XSETREF(self->pairs, PyList_New(0));
    Py_XSETREF(self->problems, PyList_New(0));
    return self->pairs && self->problems ? 0 : -1;
}

/* (pairs, problems, left), stealing left */
static PyObject *
outcome(Pages *self, PyObject *left)
{
    if (left == NULL)
        return NULL;
    PyObject *r = Py_BuildValue("(OON)", self->pairs, self->problems, left);
    Py_CLEAR(self->pairs);
    Py_CLEAR(self->problems);
    return r;
}

static PyObject *
Pages_invalid_lines(Pages *self, PyObject *args)
{
    Py_buffer buf;
    Py_ssize_t end, first;
    if (!PyArg_ParseTuple(args, "y*nn", &buf, &end, &first))
        return NULL;
    PyObject *out = NULL;
    if (end < 0 || end > buf.len) {
        PyErr_SetString(PyExc_ValueError, "end outside the data");
        goto done;
    }
    out = PyList_New(0);
    ptr data = (ptr)buf.buf, stop = data + end;
    if (out == NULL || valid_utf8(data, end))
        goto done;
    for (ptr line = data;; first++) {
        ptr e = memchr(line, '\n', stop - line);
        ptr line_end = e ? e : stop;
        if (!valid_utf8(line, line_end - line)) {
            PyObject *item = Py_BuildValue("(ny#)", first, line, line_end - line);
            if (item == NULL || PyList_Append(out, item) < 0) {
                Py_XDECREF(item);
                Py_CLEAR(out);
                goto done;
            }
            Py_DECREF(item);
        }
        if (e == NULL)
            break;
        line = e + 1;
    }
done:
    PyBuffer_Release(&buf);
    return out;
}

static PyObject *
Pages_feed(Pages *self, PyObject *args)
{
    Py_buffer buf;
    Py_ssize_t start, end, lineno;
    int checked;
    if (!PyArg_ParseTuple(args, "y*nnnp", &buf, &start, &end, &lineno, &checked))
        return NULL;
    PyObject *left = NULL, *result = NULL;
    if (end < 0 || end > buf.len || start < 0 || start > end) {
        PyErr_SetString(PyExc_ValueError, "start or end outside the data");
        goto done;
    }
    if (begin(self) < 0)
        goto done;
    ptr data = (ptr)buf.buf, stop = data + end, line = data + start;
    for (;; lineno++) {
        ptr e = memchr(line, '\n', stop - line);
        ptr next = e ? e + 1 : NULL;
        Py_ssize_t next_start = next ? next - data : end + 1;
        if (e == NULL)
            e = stop;
        if (!checked && !valid_utf8(line, e - line)) {
            left = Py_BuildValue("(ny#n)", lineno, line, e - line, next_start);
            break;
        }
        split_quad q;
        int kind = split_line(line, e, &self->preds, &q);
        if (kind == LINE_OTHER)
            self->other++;
        else if (kind == LINE_PYTHON) {
            left = Py_BuildValue("(ns#n)", lineno, line, e - line, next_start);
            break;
        }
        else if (kind == LINE_QUAD) {
            int rc = handle(self, lineno, &q);
            if (rc < 0)
                goto done;
            if (rc == LIMIT_REACHED) {
                left = Py_NewRef(Py_None);
                break;
            }
            if (rc == PAGE_CLOSED) { /* this line is read again by the next call */
                left = Py_BuildValue("(nn)", lineno, (Py_ssize_t)(line - data));
                break;
            }
        }
        if (next == NULL) {
            left = PyLong_FromSsize_t(lineno);
            break;
        }
        line = next;
    }
    result = outcome(self, left);
done:
    PyBuffer_Release(&buf);
    return result;
}

static PyObject *
Pages_add(Pages *self, PyObject *args)
{
    Py_ssize_t lineno, code;
    PyObject *subj, *obj, *graph;
    if (!PyArg_ParseTuple(args, "nnUUU", &lineno, &code, &subj, &obj, &graph))
        return NULL;
    Py_ssize_t sn, on, gn;
    const char *s = PyUnicode_AsUTF8AndSize(subj, &sn);
    const char *o = PyUnicode_AsUTF8AndSize(obj, &on);
    const char *g = PyUnicode_AsUTF8AndSize(graph, &gn);
    if (s == NULL || o == NULL || g == NULL)
        return NULL;
    if (code < 0 || code > P_LAST || sn == 0 || on == 0) {
        PyErr_SetString(PyExc_ValueError, "not a quad the reader keeps");
        return NULL;
    }
    if (begin(self) < 0)
        return NULL;
    split_quad q = {(int)code, (ptr)s, (ptr)s + sn, (ptr)o, (ptr)o + on, (ptr)g, (ptr)g + gn};
    int rc = handle(self, lineno, &q);
    if (rc < 0)
        return NULL;
    return outcome(self, PyLong_FromLong(rc));
}

static PyObject *
Pages_finish(Pages *self, PyObject *unused)
{
    if (begin(self) < 0)
        return NULL;
    if (self->has_page) {
        if (assemble(self) < 0)
            return NULL;
        self->pages++;
        self->has_page = 0;
    }
    PyObject *pairs = self->pairs;
    self->pairs = NULL;
    Py_CLEAR(self->problems);
    return pairs;
}

static PyObject *
Pages_counts(Pages *self, PyObject *unused)
{
    return Py_BuildValue(
        "{snsnsnsnsnsnsnsnsn}", "pages", self->pages, "quads", self->quads, "other_quads",
        self->other, "pages_without_faqpage", self->no_faq, "dangling_entities", self->dangling,
        "questions", self->questions, "questions_without_answer", self->no_answer,
        "answers_without_question", self->no_question, "limit_line", self->limit_line);
}

static PyObject *
split(PyObject *module, PyObject *args)
{
    Py_buffer buf;
    PyObject *preds;
    if (!PyArg_ParseTuple(args, "y*O", &buf, &preds))
        return NULL;
    keys table;
    PyObject *result = NULL;
    if (fill_keys(&table, preds, P_LAST) < 0)
        goto done;
    ptr line = (ptr)buf.buf, e = line + buf.len;
    split_quad q;
    if (memchr(line, '\n', buf.len) != NULL)
        PyErr_SetString(PyExc_ValueError, "one line without its newline");
    else if (!valid_utf8(line, buf.len))
        result = PyUnicode_FromString("python");
    else {
        switch (split_line(line, e, &table, &q)) {
        case LINE_BLANK: result = Py_NewRef(Py_None); break;
        case LINE_OTHER: result = PyUnicode_FromString("other"); break;
        case LINE_PYTHON: result = PyUnicode_FromString("python"); break;
        default:
            result = Py_BuildValue("(is#s#s#)", q.code, q.s, q.s_end - q.s, q.o, q.o_end - q.o,
                                   q.g, q.g_end - q.g);
        }
    }
    free_keys(&table);
done:
    PyBuffer_Release(&buf);
    return result;
}

static PyMethodDef Pages_methods[] = {
    {"invalid_lines", (PyCFunction)Pages_invalid_lines, METH_VARARGS, "Lines that are not UTF-8."},
    {"feed", (PyCFunction)Pages_feed, METH_VARARGS, "Read a block's lines."},
    {"add", (PyCFunction)Pages_add, METH_VARARGS, "Add a quad split by the caller."},
    {"finish", (PyCFunction)Pages_finish, METH_NOARGS, "The last page's pairs."},
    {"counts", (PyCFunction)Pages_counts, METH_NOARGS, "What was counted."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject PagesType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mkdata.builders._nquads_scan.Pages",
    .tp_basicsize = sizeof(Pages),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The FAQ pages of an N-Quads stream (see the module source).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Pages_init,
    .tp_dealloc = (destructor)Pages_dealloc,
    .tp_methods = Pages_methods,
};

static PyMethodDef methods[] = {
    {"split", split, METH_VARARGS, "Split one line as the reader does (for tests)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_nquads_scan", "Compiled N-Quads page reader.", -1, methods,
};

PyMODINIT_FUNC
PyInit__nquads_scan(void)
{
    init_stop_bytes();
    if (PyType_Ready(&PagesType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    /* nquads.SCANNER_VERSION: the reader uses this build only when they are equal */
    if (PyModule_AddIntConstant(m, "VERSION", 4) < 0 ||
        PyModule_AddObjectRef(m, "Pages", (PyObject *)&PagesType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
