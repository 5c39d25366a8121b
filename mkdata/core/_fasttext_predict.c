/* Compiled prediction for fastText supervised models with a hierarchical-softmax output
 * (lid.176), for mkdata.core.lang (optional: without it the fasttext binding predicts).
 *
 * It gives the labels and probabilities fastText's own predictLine gives, bit for bit:
 * the same tokens (bytes split on " \n\r\t\v\f\0", then the end-of-line token, a token
 * equal to it ending the line), the same rows in the same order (a known word's own row and
 * character n-grams, an unknown word's n-grams of "<word>" hashed with fastText's signed-byte
 * FNV-1a and mapped through the pruned-bucket index), the same float operations in the same
 * order (rows summed lane by lane, scaled by 1/rows, the tree searched depth first with the
 * same heap as libstdc++'s push_heap / pop_heap / sort_heap). What makes it faster: no
 * stream, string or vector per token, n-gram hashes extended a character at a time, the
 * bucket's remainder without a division (Lemire's fastmod, exact for every 32-bit hash),
 * an unknown word's rows kept for the rest of the call (words repeat across texts: it is
 * hashed once per call, its rows still added one by one in order), the quantized rows
 * expanded once at load, and the GIL released while a batch is predicted.
 *
 * Predictor(entries, types, nwords, prune, rows, dim, output, left, right, labels,
 *           minn, maxn, bucket)
 *   entries  tuple of bytes: the dictionary's words then labels, in file order
 *   types    bytes, one per entry: 0 word, 1 label
 *   prune    bytes of int32 pairs (bucket, row offset), or None when the model is not pruned
 *   rows     bytes of float32 [n_rows x dim]: the input matrix, expanded
 *   output   bytes of float32 [n_labels x dim]: the output matrix
 *   left, right  bytes of int32 [2 n_labels - 1]: the Huffman tree
 *   labels   tuple of objects returned for each label
 * predict(texts, k) -> list of (labels tuple, probabilities tuple) per text, best first;
 *   probabilities are fastText's float32 values, capped at 1.0.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define VERSION 1
#define EOS "</s>"
#define LABEL_PREFIX "__label__"

typedef struct {
    PyObject_HEAD
    int32_t dim, nwords, nlabels, minn, maxn;
    uint32_t bucket;
    uint64_t bucket_magic; /* h % bucket without a division (Lemire's fastmod, exact) */
    int64_t prune_size; /* -1: not pruned */
    /* dictionary: open addressing on fastText's hash, slot -> entry index or -1 */
    int32_t *word_slots;
    uint32_t word_mask;
    uint32_t *entry_hash;
    const char **entry_bytes;
    Py_ssize_t *entry_len;
    char *entry_type;
    int32_t n_entries;
    /* rows of each entry (its own, then its n-grams), CSR */
    int32_t *sub_start, *sub_rows;
    /* pruned buckets: open addressing, key -1 empty; key and row side by side */
    int32_t *prune_slots;
    uint32_t prune_mask;
    float *rows, *output;
    int32_t *left, *right;
    PyObject *labels;  /* tuple */
    PyObject *entries; /* tuple of bytes, keeps entry_bytes alive */
    int ready;         /* set by a complete __init__ only */
} Predictor;

static uint32_t
fnv_extend(uint32_t h, unsigned char c)
{
    return (h ^ (uint32_t)(int32_t)(int8_t)c) * 16777619u;
}

static uint32_t
fnv(const unsigned char *s, Py_ssize_t n)
{
    uint32_t h = 2166136261u;
    for (Py_ssize_t i = 0; i < n; i++)
        h = fnv_extend(h, s[i]);
    return h;
}

static int32_t
find_entry(const Predictor *p, const unsigned char *s, Py_ssize_t n, uint32_t h)
{
    uint32_t slot = h & p->word_mask;
    for (;;) {
        int32_t e = p->word_slots[slot];
        if (e < 0)
            return -1;
        if (p->entry_hash[e] == h && p->entry_len[e] == n && memcmp(p->entry_bytes[e], s, n) == 0)
            return e;
        slot = (slot + 1) & p->word_mask;
    }
}

static uint32_t
mix(uint32_t key)
{
    return key * 2654435761u;
}

/* the row of a hashed n-gram bucket, or -1 when the pruned model dropped it */
static int32_t
bucket_row(const Predictor *p, int32_t id)
{
    if (p->prune_size == 0 || id < 0)
        return -1;
    if (p->prune_size < 0)
        return p->nwords + id;
    uint32_t slot = mix((uint32_t)id) & p->prune_mask;
    for (;;) {
        int32_t key = p->prune_slots[2 * slot];
        if (key == id)
            return p->nwords + p->prune_slots[2 * slot + 1];
        if (key < 0)
            return -1;
        slot = (slot + 1) & p->prune_mask;
    }
}

/* where rows go: a buffer, added to hidden (when given) each time it fills and at the end */
typedef struct {
    float *hidden; /* NULL: only collect the rows */
    int64_t count;
    int32_t *buf;
    Py_ssize_t n, cap;
} Sink;

#define SINK_CAP 4096

/* hidden += each row, in order: each lane is its own sum, so lanes may go side by side */
static void
sink_flush(const Predictor *p, Sink *sink)
{
    float *h = sink->hidden;
    const int32_t *rows = sink->buf;
    if (p->dim == 16) {
        float acc[16];
        memcpy(acc, h, sizeof acc);
        for (Py_ssize_t i = 0; i < sink->n; i++) {
            const float *r = p->rows + (int64_t)rows[i] * 16;
            if (i + 8 < sink->n)
                __builtin_prefetch(p->rows + (int64_t)rows[i + 8] * 16);
            for (int j = 0; j < 16; j++)
                acc[j] += r[j];
        }
        memcpy(h, acc, sizeof acc);
    }
    else {
        for (Py_ssize_t i = 0; i < sink->n; i++) {
            const float *r = p->rows + (int64_t)rows[i] * p->dim;
            for (int32_t j = 0; j < p->dim; j++)
                h[j] += r[j];
        }
    }
    sink->count += sink->n;
    sink->n = 0;
}

static inline void
sink_row(const Predictor *p, Sink *sink, int32_t row)
{
    sink->buf[sink->n++] = row;
    if (sink->n == sink->cap && sink->hidden)
        sink_flush(p, sink);
}

static void
subwords(const Predictor *p, const unsigned char *w, Py_ssize_t len, Sink *sink)
{
    for (Py_ssize_t i = 0; i < len; i++) {
        if ((w[i] & 0xC0) == 0x80)
            continue;
        uint32_t h = 2166136261u;
        Py_ssize_t j = i;
        for (int32_t n = 1; j < len && n <= p->maxn; n++) {
            h = fnv_extend(h, w[j++]);
            while (j < len && (w[j] & 0xC0) == 0x80)
                h = fnv_extend(h, w[j++]);
            if (n >= p->minn && !(n == 1 && (i == 0 || j == len))) {
                uint32_t mod = (uint32_t)(((__uint128_t)(p->bucket_magic * h) * p->bucket) >> 64);
                int32_t row = bucket_row(p, (int32_t)mod); /* h % bucket */
                if (row >= 0)
                    sink_row(p, sink, row);
            }
        }
    }
}

/* the rows of the unknown words one predict call has met (words repeat across its texts):
 * open addressing on the word's hash; a word's rows are kept in one pool */
typedef struct {
    const unsigned char *word; /* in the call's texts, alive for the call */
    Py_ssize_t len;
    uint32_t hash;
    int32_t count;
    Py_ssize_t start;
} Known;

typedef struct {
    Known *slots; /* word NULL: empty */
    uint32_t mask, used;
    int32_t *pool;
    Py_ssize_t pool_used, pool_cap;
} Unknown;

static const Known *
unknown_find(const Unknown *u, const unsigned char *s, Py_ssize_t n, uint32_t h, uint32_t *slot)
{
    uint32_t i = h & u->mask;
    for (; u->slots[i].word; i = (i + 1) & u->mask)
        if (u->slots[i].hash == h && u->slots[i].len == n && memcmp(u->slots[i].word, s, n) == 0)
            return &u->slots[i];
    *slot = i;
    return NULL;
}

/* the rows of an unknown word: from the call's cache, else its n-grams (kept for later) */
static void
unknown_word(const Predictor *p, Unknown *u, const unsigned char *s, Py_ssize_t n, uint32_t h,
             unsigned char *scratch, Sink *sink)
{
    uint32_t slot = 0;
    const Known *known = u ? unknown_find(u, s, n, h, &slot) : NULL;
    if (known) {
        for (int32_t i = 0; i < known->count; i++)
            sink_row(p, sink, u->pool[known->start + i]);
        return;
    }
    scratch[0] = '<';
    memcpy(scratch + 1, s, n);
    scratch[n + 1] = '>';
    Py_ssize_t most = (Py_ssize_t)p->maxn * (n + 2); /* n-grams start at each character */
    if (!u || 2 * (u->used + 1) > u->mask || u->pool_used + most > u->pool_cap) {
        subwords(p, scratch, n + 2, sink); /* the cache is full: as it comes */
        return;
    }
    Sink keep = {NULL, 0, u->pool + u->pool_used, 0, most};
    subwords(p, scratch, n + 2, &keep);
    u->slots[slot] = (Known){s, n, h, (int32_t)keep.n, u->pool_used};
    u->used++;
    u->pool_used += keep.n;
    for (Py_ssize_t i = 0; i < keep.n; i++)
        sink_row(p, sink, keep.buf[i]);
}

/* one token: returns 1 when it ends the line (it is EOS) */
static int
token(const Predictor *p, Unknown *u, const unsigned char *s, Py_ssize_t n,
      unsigned char *scratch, Sink *sink)
{
    uint32_t h = fnv(s, n);
    int32_t e = find_entry(p, s, n, h);
    int is_eos = n == 4 && memcmp(s, EOS, 4) == 0;
    if (e >= 0) {
        if (p->entry_type[e] == 0)
            for (int32_t i = p->sub_start[e]; i < p->sub_start[e + 1]; i++)
                sink_row(p, sink, p->sub_rows[i]);
    }
    else if (!(n >= 9 && memcmp(s, LABEL_PREFIX, 9) == 0) && !is_eos) {
        unknown_word(p, u, s, n, h, scratch, sink);
    }
    return is_eos;
}

static int
is_space(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == 0;
}

typedef struct {
    float score;
    int32_t node;
} Pair;

/* comparePairs: l.first > r.first, so the heap's front is the lowest score */
static int
cmp(const Pair *a, const Pair *b)
{
    return a->score > b->score;
}

static void
push_heap_at(Pair *first, Py_ssize_t hole, Py_ssize_t top, Pair value)
{
    Py_ssize_t parent = (hole - 1) / 2;
    while (hole > top && cmp(&first[parent], &value)) {
        first[hole] = first[parent];
        hole = parent;
        parent = (hole - 1) / 2;
    }
    first[hole] = value;
}

static void
adjust_heap(Pair *first, Py_ssize_t hole, Py_ssize_t len, Pair value)
{
    const Py_ssize_t top = hole;
    Py_ssize_t child = hole;
    while (child < (len - 1) / 2) {
        child = 2 * (child + 1);
        if (cmp(&first[child], &first[child - 1]))
            child--;
        first[hole] = first[child];
        hole = child;
    }
    if ((len & 1) == 0 && child == (len - 2) / 2) {
        child = 2 * (child + 1);
        first[hole] = first[child - 1];
        hole = child - 1;
    }
    push_heap_at(first, hole, top, value);
}

/* __pop_heap(first, last, result=last): moves the front to *last */
static void
pop_heap_into_last(Pair *first, Py_ssize_t last)
{
    Pair value = first[last];
    first[last] = first[0];
    adjust_heap(first, 0, last, value);
}

static float
std_log(float x)
{
    return (float)log((double)x + 1e-5);
}

typedef struct {
    Pair *heap;
    Py_ssize_t size, k;
    float floor;
    int nan;
} Search;

static void
dfs(const Predictor *p, Search *s, int32_t node, float score, const float *hidden)
{
    if (score < s->floor)
        return;
    if (s->size == s->k && score < s->heap[0].score)
        return;
    if (p->left[node] == -1 && p->right[node] == -1) {
        s->heap[s->size++] = (Pair){score, node};
        push_heap_at(s->heap, s->size - 1, 0, s->heap[s->size - 1]);
        if (s->size > s->k) {
            if (s->size > 1)
                pop_heap_into_last(s->heap, s->size - 1);
            s->size--;
        }
        return;
    }
    const float *w = p->output + (int64_t)(node - p->nlabels) * p->dim;
    float f = 0.0f;
    for (int32_t j = 0; j < p->dim; j++)
        f += w[j] * hidden[j];
    if (isnan(f)) {
        s->nan = 1;
        return;
    }
    float e = expf(-f);
    float d = 1.0f + e;
    f = (float)(1.0 / (double)d);
    dfs(p, s, p->left[node], score + std_log((float)(1.0 - (double)f)), hidden);
    dfs(p, s, p->right[node], score + std_log(f), hidden);
}

/* predicts one line: fills heap[0:*n] best first; returns 0, or -1 on a NaN */
static int
predict_line(const Predictor *p, Unknown *u, const unsigned char *s, Py_ssize_t n, Py_ssize_t k,
             unsigned char *scratch, float *hidden, int32_t *buf, Pair *heap, Py_ssize_t *n_out)
{
    Sink sink = {hidden, 0, buf, 0, SINK_CAP};
    memset(hidden, 0, sizeof(float) * p->dim);
    Py_ssize_t i = 0;
    int ended = 0;
    while (i < n && !ended) {
        while (i < n && is_space(s[i]))
            i++;
        Py_ssize_t start = i;
        while (i < n && !is_space(s[i]))
            i++;
        if (i > start)
            ended = token(p, u, s + start, i - start, scratch, &sink);
    }
    if (!ended)
        token(p, u, (const unsigned char *)EOS, 4, scratch, &sink);
    sink_flush(p, &sink);
    *n_out = 0;
    if (sink.count == 0)
        return 0; /* fastText returns no prediction for a line without rows */
    float scale = (float)(1.0 / (double)sink.count);
    for (int32_t j = 0; j < p->dim; j++)
        hidden[j] *= scale;
    Search search = {heap, 0, k, std_log(0.0f), 0};
    dfs(p, &search, 2 * p->nlabels - 2, 0.0f, hidden);
    if (search.nan)
        return -1;
    for (Py_ssize_t last = search.size; last > 1;) { /* sort_heap */
        last--;
        pop_heap_into_last(heap, last);
    }
    *n_out = search.size;
    return 0;
}

static void
Predictor_dealloc(Predictor *p)
{
    PyMem_Free(p->word_slots);
    PyMem_Free(p->entry_hash);
    PyMem_Free(p->entry_bytes);
    PyMem_Free(p->entry_len);
    PyMem_Free(p->entry_type);
    PyMem_Free(p->sub_start);
    PyMem_Free(p->sub_rows);
    PyMem_Free(p->prune_slots);
    PyMem_Free(p->rows);
    PyMem_Free(p->output);
    PyMem_Free(p->left);
    PyMem_Free(p->right);
    Py_XDECREF(p->labels);
    Py_XDECREF(p->entries);
    Py_TYPE(p)->tp_free((PyObject *)p);
}

/* the power of two at least 2 n (at 4/3 n, lid.176 predicts 1.3x slower: longer probes) */
static uint32_t
table_size(Py_ssize_t n)
{
    uint32_t size = 16;
    while (size < 2 * (uint64_t)n)
        size <<= 1;
    return size;
}

/* copies a bytes object of exactly n items of the given size into fresh memory */
static void *
copy_bytes(PyObject *obj, Py_ssize_t n, size_t item, const char *what)
{
    if (!PyBytes_Check(obj) || (size_t)PyBytes_GET_SIZE(obj) != n * item) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd bytes", what, (Py_ssize_t)(n * item));
        return NULL;
    }
    void *out = PyMem_Malloc(n > 0 ? n * item : 1);
    if (!out)
        return PyErr_NoMemory();
    memcpy(out, PyBytes_AS_STRING(obj), n * item);
    return out;
}

static int
Predictor_init(Predictor *p, PyObject *args, PyObject *kwds)
{
    PyObject *entries, *types, *prune, *rows, *output, *left, *right, *labels;
    int nwords, dim, minn, maxn;
    unsigned int bucket;
    if (!PyArg_ParseTuple(args, "O!SiOSiSSSO!iiI", &PyTuple_Type, &entries, &types, &nwords,
                          &prune, &rows, &dim, &output, &left, &right, &PyTuple_Type, &labels,
                          &minn, &maxn, &bucket))
        return -1;
    if (p->rows || p->ready) { /* a first __init__ ran, complete or not */
        PyErr_SetString(PyExc_RuntimeError, "Predictor is already initialized");
        return -1;
    }
    Py_ssize_t n_entries = PyTuple_GET_SIZE(entries);
    Py_ssize_t nlabels = PyTuple_GET_SIZE(labels);
    if (dim <= 0 || dim > 65536 || nwords < 0 || nwords > n_entries || nlabels < 1 ||
        nlabels > INT32_MAX / 2 || bucket == 0 || maxn < 0 || maxn > 64 ||
        PyBytes_GET_SIZE(types) != n_entries || PyBytes_GET_SIZE(rows) % (4 * dim) != 0) {
        PyErr_SetString(PyExc_ValueError, "inconsistent fastText model arrays");
        return -1;
    }
    p->dim = dim;
    p->nwords = nwords;
    p->nlabels = (int32_t)nlabels;
    p->minn = minn < 0 ? INT32_MAX : minn; /* fastText compares n >= minn as size_t */
    p->maxn = maxn;
    p->bucket = bucket;
    p->bucket_magic = UINT64_C(0xFFFFFFFFFFFFFFFF) / bucket + 1;
    p->n_entries = (int32_t)n_entries;
    Py_ssize_t n_rows = PyBytes_GET_SIZE(rows) / (4 * dim);
    if (!(p->rows = copy_bytes(rows, n_rows * dim, 4, "rows")) ||
        !(p->output = copy_bytes(output, nlabels * dim, 4, "output")) ||
        !(p->left = copy_bytes(left, 2 * nlabels - 1, 4, "left")) ||
        !(p->right = copy_bytes(right, 2 * nlabels - 1, 4, "right")))
        return -1;
    Py_INCREF(labels);
    p->labels = labels;
    Py_INCREF(entries);
    p->entries = entries;
    /* pruned buckets */
    if (prune == Py_None) {
        p->prune_size = -1;
    }
    else {
        if (!PyBytes_Check(prune) || PyBytes_GET_SIZE(prune) % 8) {
            PyErr_SetString(PyExc_ValueError, "prune: expected bytes of int32 pairs");
            return -1;
        }
        Py_ssize_t np = PyBytes_GET_SIZE(prune) / 8;
        const int32_t *pairs = (const int32_t *)PyBytes_AS_STRING(prune);
        p->prune_size = np;
        uint32_t size = table_size(np);
        p->prune_mask = size - 1;
        p->prune_slots = PyMem_Malloc(2 * sizeof(int32_t) * size);
        if (!p->prune_slots) {
            PyErr_NoMemory();
            return -1;
        }
        memset(p->prune_slots, 0xff, 2 * sizeof(int32_t) * size);
        for (Py_ssize_t i = 0; i < np; i++) {
            int32_t key, val;
            memcpy(&key, pairs + 2 * i, 4);
            memcpy(&val, pairs + 2 * i + 1, 4);
            if (key < 0 || nwords + (int64_t)val >= n_rows || val < 0) {
                PyErr_SetString(PyExc_ValueError, "prune: bucket or row out of range");
                return -1;
            }
            uint32_t slot = mix((uint32_t)key) & p->prune_mask;
            while (p->prune_slots[2 * slot] >= 0 && p->prune_slots[2 * slot] != key)
                slot = (slot + 1) & p->prune_mask;
            p->prune_slots[2 * slot] = key; /* a repeated key keeps the last value, as map[k] = v */
            p->prune_slots[2 * slot + 1] = val;
        }
    }
    if (p->prune_size < 0 && nwords + (int64_t)bucket > n_rows) {
        PyErr_SetString(PyExc_ValueError, "rows: fewer than words + buckets");
        return -1;
    }
    /* dictionary */
    uint32_t size = table_size(n_entries);
    p->word_mask = size - 1;
    p->word_slots = PyMem_Malloc(sizeof(int32_t) * size);
    p->entry_hash = PyMem_Malloc(sizeof(uint32_t) * (n_entries + 1));
    p->entry_bytes = PyMem_Malloc(sizeof(char *) * (n_entries + 1));
    p->entry_len = PyMem_Malloc(sizeof(Py_ssize_t) * (n_entries + 1));
    p->entry_type = PyMem_Malloc(n_entries + 1);
    p->sub_start = PyMem_Malloc(sizeof(int32_t) * (n_entries + 1));
    if (!p->word_slots || !p->entry_hash || !p->entry_bytes || !p->entry_len || !p->entry_type ||
        !p->sub_start) {
        PyErr_NoMemory();
        return -1;
    }
    memset(p->word_slots, 0xff, sizeof(int32_t) * size);
    memcpy(p->entry_type, PyBytes_AS_STRING(types), n_entries);
    Py_ssize_t max_len = 0, total = 0;
    for (Py_ssize_t e = 0; e < n_entries; e++) {
        PyObject *w = PyTuple_GET_ITEM(entries, e);
        if (!PyBytes_Check(w)) {
            PyErr_SetString(PyExc_TypeError, "entries: expected bytes");
            return -1;
        }
        const unsigned char *s = (const unsigned char *)PyBytes_AS_STRING(w);
        Py_ssize_t n = PyBytes_GET_SIZE(w);
        p->entry_bytes[e] = (const char *)s;
        p->entry_len[e] = n;
        p->entry_hash[e] = fnv(s, n);
        { /* a repeated entry takes the slot of the earlier one, as in fastText's load */
            uint32_t slot = p->entry_hash[e] & p->word_mask;
            for (int32_t o; (o = p->word_slots[slot]) >= 0; slot = (slot + 1) & p->word_mask)
                if (p->entry_len[o] == n && memcmp(p->entry_bytes[o], s, n) == 0)
                    break;
            p->word_slots[slot] = (int32_t)e;
        }
        if (e >= nwords && p->entry_type[e] == 0) {
            PyErr_SetString(PyExc_ValueError, "entries: a word after the labels");
            return -1;
        }
        if (e < nwords && p->entry_type[e] != 0) {
            PyErr_SetString(PyExc_ValueError, "entries: a label among the words");
            return -1;
        }
        max_len = n > max_len ? n : max_len;
        total += n + 2;
    }
    /* each word's rows: itself, then the n-grams of "<word>" (none for EOS): at most maxn
     * n-grams start at each of its characters */
    Py_ssize_t n_sub = n_entries + (Py_ssize_t)maxn * total + 1;
    unsigned char *scratch = PyMem_Malloc(max_len + 2);
    p->sub_rows = PyMem_Malloc(sizeof(int32_t) * n_sub);
    if (!scratch || !p->sub_rows) {
        PyMem_Free(scratch);
        PyErr_NoMemory();
        return -1;
    }
    Sink sink = {NULL, 0, p->sub_rows, 0, n_sub};
    for (Py_ssize_t e = 0; e < n_entries; e++) {
        p->sub_start[e] = (int32_t)sink.n;
        if (e >= nwords)
            continue;
        sink.buf[sink.n++] = (int32_t)e;
        Py_ssize_t n = p->entry_len[e];
        if (n == 4 && memcmp(p->entry_bytes[e], EOS, 4) == 0)
            continue;
        scratch[0] = '<';
        memcpy(scratch + 1, p->entry_bytes[e], n);
        scratch[n + 1] = '>';
        Py_ssize_t before = sink.n;
        subwords(p, scratch, n + 2, &sink);
        for (Py_ssize_t i = before; i < sink.n; i++)
            if (sink.buf[i] >= n_rows) {
                PyMem_Free(scratch);
                PyErr_SetString(PyExc_ValueError, "rows: an n-gram row out of range");
                return -1;
            }
    }
    p->sub_start[n_entries] = (int32_t)sink.n;
    PyMem_Free(scratch);
    for (Py_ssize_t e = 0; e < nwords; e++)
        if (e >= n_rows) {
            PyErr_SetString(PyExc_ValueError, "rows: fewer than words");
            return -1;
        }
    for (Py_ssize_t i = 0; i < 2 * nlabels - 1; i++) {
        int32_t l = p->left[i], r = p->right[i];
        /* children before their parent, as buildTree numbers them: no cycle */
        if ((i >= nlabels && (l < 0 || r < 0 || l >= i || r >= i)) ||
            (i < nlabels && (l != -1 || r != -1))) {
            PyErr_SetString(PyExc_ValueError, "tree: not a tree over the labels");
            return -1;
        }
    }
    p->ready = 1;
    return 0;
}

static PyObject *
Predictor_predict(Predictor *p, PyObject *args)
{
    PyObject *texts;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "O!n", &PyList_Type, &texts, &k))
        return NULL;
    if (!p->ready) {
        PyErr_SetString(PyExc_RuntimeError, "Predictor is not initialized");
        return NULL;
    }
    if (k <= 0) {
        PyErr_SetString(PyExc_ValueError, "k needs to be 1 or higher!");
        return NULL;
    }
    if (k > p->nlabels)
        k = p->nlabels;
    Py_ssize_t n = PyList_GET_SIZE(texts);
    const char **bytes = PyMem_Malloc(sizeof(char *) * (n + 1));
    Py_ssize_t *lens = PyMem_Malloc(sizeof(Py_ssize_t) * (n + 1));
    Pair *results = PyMem_Malloc(sizeof(Pair) * (n * k + k + 1));
    Py_ssize_t *counts = PyMem_Malloc(sizeof(Py_ssize_t) * (n + 1));
    PyObject *texts_ref = PyList_GetSlice(texts, 0, n); /* the caller may not mutate ours */
    PyObject *out = NULL;
    unsigned char *scratch = NULL;
    Unknown unknown = {NULL, 0, 0, NULL, 0, 0};
    float *hidden = PyMem_Malloc(sizeof(float) * p->dim);
    int32_t *buf = PyMem_Malloc(sizeof(int32_t) * SINK_CAP);
    if (!bytes || !lens || !results || !counts || !texts_ref || !hidden || !buf) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t max_len = 0, total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyList_GET_ITEM(texts_ref, i);
        if (!PyUnicode_Check(t)) {
            PyErr_Format(PyExc_TypeError, "texts[%zd]: expected str", i);
            goto done;
        }
        bytes[i] = PyUnicode_AsUTF8AndSize(t, &lens[i]);
        if (!bytes[i])
            goto done;
        max_len = lens[i] > max_len ? lens[i] : max_len;
        total += lens[i];
    }
    /* the call's unknown words: sized by its text (~ a word per 6 bytes), at most 2^16 */
    unknown.mask = table_size(total / 12 + 8 < 32768 ? total / 12 + 8 : 32768) - 1;
    unknown.pool_cap = total < (1 << 20) ? total + 64 : (1 << 20);
    unknown.slots = PyMem_Calloc(unknown.mask + 1, sizeof(Known));
    unknown.pool = PyMem_Malloc(sizeof(int32_t) * unknown.pool_cap);
    scratch = PyMem_Malloc(max_len + 2);
    if (!scratch) {
        PyErr_NoMemory();
        goto done;
    }
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n && !failed; i++)
        failed = predict_line(p, unknown.slots && unknown.pool ? &unknown : NULL,
                              (const unsigned char *)bytes[i], lens[i], k, scratch, hidden, buf,
                              results + i * k, &counts[i]);
    Py_END_ALLOW_THREADS
    if (failed) {
        PyErr_SetString(PyExc_RuntimeError, "Encountered NaN."); /* as fastText */
        goto done;
    }
    out = PyList_New(n);
    if (!out)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *names = PyTuple_New(counts[i]), *probs = PyTuple_New(counts[i]), *pair;
        if (!names || !probs) {
            Py_XDECREF(names);
            Py_XDECREF(probs);
            Py_CLEAR(out);
            goto done;
        }
        for (Py_ssize_t j = 0; j < counts[i]; j++) {
            const Pair *r = results + i * k + j;
            PyObject *name = PyTuple_GET_ITEM(p->labels, r->node);
            Py_INCREF(name);
            PyTuple_SET_ITEM(names, j, name);
            double prob = (double)expf(r->score);
            PyObject *value = PyFloat_FromDouble(prob > 1.0 ? 1.0 : prob);
            if (!value) {
                Py_DECREF(names);
                Py_DECREF(probs);
                Py_CLEAR(out);
                goto done;
            }
            PyTuple_SET_ITEM(probs, j, value);
        }
        pair = PyTuple_Pack(2, names, probs);
        Py_DECREF(names);
        Py_DECREF(probs);
        if (!pair) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, i, pair);
    }
done:
    PyMem_Free(bytes);
    PyMem_Free(lens);
    PyMem_Free(results);
    PyMem_Free(counts);
    PyMem_Free(scratch);
    PyMem_Free(hidden);
    PyMem_Free(buf);
    PyMem_Free(unknown.slots);
    PyMem_Free(unknown.pool);
    Py_XDECREF(texts_ref);
    return out;
}

static PyMethodDef Predictor_methods[] = {
    {"predict", (PyCFunction)Predictor_predict, METH_VARARGS,
     "predict(texts, k) -> [(labels, probabilities)] per text, best first"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject PredictorType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mkdata.core._fasttext_predict.Predictor",
    .tp_basicsize = sizeof(Predictor),
    .tp_dealloc = (destructor)Predictor_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "fastText supervised hierarchical-softmax prediction",
    .tp_methods = Predictor_methods,
    .tp_init = (initproc)Predictor_init,
    .tp_new = PyType_GenericNew,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fasttext_predict", "fastText prediction, compiled", -1, NULL,
};

PyMODINIT_FUNC
PyInit__fasttext_predict(void)
{
    if (PyType_Ready(&PredictorType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m)
        return NULL;
    Py_INCREF(&PredictorType);
    if (PyModule_AddObject(m, "Predictor", (PyObject *)&PredictorType) < 0) {
        Py_DECREF(&PredictorType);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddIntConstant(m, "VERSION", VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
