"""Memory available now, so that work too big for this machine is refused before anything
is allocated (``simulate``, a layout, a synthetic district), with its size."""

from __future__ import annotations

import os

USABLE_SHARE = 0.8
"""The share of the memory available now that one command may plan to take."""


def available_bytes() -> int:
    """Memory available to a new allocation now (Linux's MemAvailable; else all of it)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def gib(n: float) -> str:
    """``n`` bytes as a person reads them (``1.5 GiB``)."""
    return f"{n / 2**30:,.1f} GiB"


def shortfall(need: int) -> int | None:
    """The memory available now when ``need`` bytes would not fit in its usable share;
    None when they fit."""
    have = available_bytes()
    return have if need > USABLE_SHARE * have else None
