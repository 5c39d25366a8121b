"""Build hook for the optional compiled N-Quads scanner; everything else is in pyproject.toml.

``optional=True``: without a C compiler the install goes on and the reader uses its
Python tokenizer, which gives the same results more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "mkdata.builders._nquads_scan",
            ["mkdata/builders/_nquads_scan.c"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
