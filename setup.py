"""Only the optional C speed-up of the HJ 212 CRC; all metadata is in pyproject.toml.
``optional=True``: without a C compiler the install still succeeds and the pure-Python CRC runs."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("greensword.hj212._crc", ["src/greensword/hj212/_crc.c"], optional=True)])
