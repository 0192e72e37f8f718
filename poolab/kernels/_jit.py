"""All JIT policy in one place.

``cache=True`` so that a second CLI run (and every test worker) loads the compiled
machine code from ``__pycache__`` instead of compiling again; ``error_model="numpy"``
so that division does not pay for Python's ZeroDivisionError checks; ``nogil=True`` so
kernels can run beside a database thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numba

F = TypeVar("F", bound=Callable[..., Any])


def kernel(fn: F) -> F:
    """Compile ``fn`` as a serial kernel."""
    return numba.njit(cache=True, error_model="numpy", nogil=True)(fn)  # type: ignore[return-value]


def inline_kernel(fn: F) -> F:
    """Compile ``fn`` as a serial kernel that is also inlined into the kernels calling it,
    at numba's IR level: a building block shared across modules (``_rules.py``), so that a
    caller loaded from the on-disk cache runs as fast as one compiled in the same process
    (a cached caller otherwise calls it through a symbol; measured: decode_staged of
    dorfman:10 on the district 220 us cached against 193 us fresh)."""
    return numba.njit(cache=True, error_model="numpy", nogil=True, inline="always")(fn)  # type: ignore[return-value]


def parallel_kernel(fn: F) -> F:
    """Compile ``fn`` as a kernel whose ``numba.prange`` loops run on every core."""
    return numba.njit(cache=True, error_model="numpy", nogil=True, parallel=True)(fn)  # type: ignore[return-value]


prange = numba.prange
