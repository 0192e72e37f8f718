"""Numba kernels: arrays in, arrays out. Each module holds one algorithm: private
``@kernel`` functions and a typed public wrapper that validates dtypes and shapes.

May import: numpy, numba and ``poolab.kernels`` itself; nothing else of poolab (no store,
no Python objects cross into a kernel).
"""
