"""Work too big for this machine is refused before anything is allocated, with its size.

A laid-out design and the simulator's working arrays cost about ``BYTES_PER_PERSON``
(measured: peak memory of ``simulate`` at 1-4 million people, 185 bytes a person for
``dorfman:10``, 300 for ``array:10``, 430 for ``std:7-4-3``); each replicate keeps one
row of tallies.
"""

from __future__ import annotations

import os

from poolab.plan.inputs import BadPlanInput

BYTES_PER_PERSON = 500
BYTES_PER_REPLICATE = 64
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


def _gb(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"


def check_fits(residents: int, replicates: int = 0, *, what: str) -> None:
    """Refuse ``what`` (e.g. "simulate") when ``residents`` people and ``replicates``
    replicates would not fit in the memory available, saying how big it would be."""
    need = residents * BYTES_PER_PERSON + replicates * BYTES_PER_REPLICATE
    have = available_bytes()
    if need > USABLE_SHARE * have:
        size = f"{residents:,} people" + (f" × {replicates:,} replicates" if replicates else "")
        raise BadPlanInput(
            f"{what} of {size} needs about {_gb(need)} of memory; {_gb(have)} is available: "
            "use fewer people (every figure is per person)" + (" or fewer replicates" if replicates else "")
        )
