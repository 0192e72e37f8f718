"""Numba kernels: arrays in, arrays out. Each module holds one algorithm: private
``@kernel`` functions and a typed public wrapper that validates dtypes and shapes."""
