"""Only the optional C speed-ups of the HJ 212 codec (CRC, and the one-pass fast path of
well-formed frames); all metadata is in pyproject.toml. ``optional=True``: without a C compiler
the install still succeeds and the pure-Python code runs."""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("greensword.hj212._crc", ["src/greensword/hj212/_crc.c"], optional=True),
    Extension("greensword.hj212._scan", ["src/greensword/hj212/_scan.c"], optional=True,
              extra_compile_args=["-O2"]),
])
