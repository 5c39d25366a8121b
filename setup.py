"""Build hook for the optional compiled parts; everything else is in pyproject.toml.

``optional=True``: without a C compiler the install goes on; the N-Quads reader then uses
its Python reader, language ID the fasttext binding and gzip input the standard library's
zlib instead of isal, which give the same results more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "mkdata.builders._nquads_scan",
            ["mkdata/builders/_nquads_scan.c"],
            extra_compile_args=["-O2"],
            optional=True,
        ),
        Extension(
            "mkdata.core._fasttext_predict",
            ["mkdata/core/_fasttext_predict.c"],
            # fastText's float operations one by one: no fused multiply-add, no reordering
            extra_compile_args=["-O3", "-ffp-contract=off", "-fno-fast-math"],
            optional=True,
        ),
        Extension(
            "mkdata.core._vector_state",
            ["mkdata/core/_vector_state.c"],
            extra_compile_args=["-O2"],
            optional=True,
        ),
    ]
)
