"""Example budgets for hypothesis tests whose examples are expensive.

The profiles in tests/conftest.py set how many examples every test runs
(``HYPOTHESIS_PROFILE=default|ci|thorough``). A test whose single example costs a
subprocess, a file round trip or an exhaustive enumeration takes a share of that count
instead of a number of its own, so the profiles still scale it; each use says why.
"""

from __future__ import annotations

from hypothesis import settings


def share(fraction: float, floor: int = 5) -> int:
    """``fraction`` of the loaded profile's ``max_examples``, at least ``floor``."""
    loaded = settings.default
    assert loaded is not None  # conftest.py loads a profile
    return max(floor, round(loaded.max_examples * fraction))
