/* The upper halves of the x86 vector registers, for mkdata.core.fetch (optional: without
 * this module gzip input is decompressed by the standard library's zlib instead of isal).
 *
 * isal's inflate (hand-written AVX2 / AVX-512 assembly) returns with the upper halves of
 * ymm0-15 in use: it ends without VZEROUPPER (intel/isa-l#24). Until something clears
 * them, every legacy-SSE instruction the thread runs afterwards (libm, the compiled
 * fastText predictor, CPython's own float code) carries a false dependency on them: in a
 * webfaq build (before language ID had a thread of its own) language ID ran 4x slower, the
 * whole unit 1.6x.
 *
 * CLEARS          1 where zero_upper leaves nothing dirty (x86 built by GCC or Clang, or
 *                 not x86), 0 where it cannot (then mkdata.core.fetch uses zlib).
 * zero_upper()    VZEROUPPER where the CPU and the OS support AVX; nothing elsewhere.
 * upper_in_use()  whether the CPU reports the upper halves of ymm0-15 in use (bit 2 of
 *                 XGETBV with ECX=1), None where it cannot tell; for tests.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define VERSION 1

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <cpuid.h>
#define MKDATA_X86 1
#define CLEARS 1
#elif defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#define CLEARS 0 /* x86, but a compiler this file cannot emit VZEROUPPER with: zlib is used */
#else
#define CLEARS 1 /* not x86: isal leaves nothing to clear */
#endif

static int has_avx = 0;    /* the CPU has AVX and the OS saves the ymm registers */
static int has_xinuse = 0; /* XGETBV with ECX=1 tells which state components are in use */

static PyObject *
zero_upper(PyObject *self, PyObject *unused)
{
#ifdef MKDATA_X86
    if (has_avx)
        __asm__ volatile("vzeroupper");
#endif
    Py_RETURN_NONE;
}

static PyObject *
upper_in_use(PyObject *self, PyObject *unused)
{
#ifdef MKDATA_X86
    if (has_avx && has_xinuse) {
        unsigned int lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(1));
        return PyBool_FromLong((lo >> 2) & 1);
    }
#endif
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"zero_upper", zero_upper, METH_NOARGS,
     "zero_upper() -> None: clear the upper halves of the vector registers (VZEROUPPER)"},
    {"upper_in_use", upper_in_use, METH_NOARGS,
     "upper_in_use() -> bool | None: whether the upper halves of ymm0-15 are in use"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_vector_state", "the x86 vector registers' upper state", -1,
    methods,
};

PyMODINIT_FUNC
PyInit__vector_state(void)
{
#ifdef MKDATA_X86
    __builtin_cpu_init();
    has_avx = __builtin_cpu_supports("avx"); /* checks the OS's XCR0 as well */
    unsigned int a, b, c, d;
    if (has_avx && __get_cpuid_count(0xD, 1, &a, &b, &c, &d))
        has_xinuse = (a >> 2) & 1;
#endif
    PyObject *m = PyModule_Create(&module);
    if (m && (PyModule_AddIntConstant(m, "VERSION", VERSION) < 0 ||
              PyModule_AddIntConstant(m, "CLEARS", CLEARS) < 0)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
