"""Work too big for this machine is refused before anything is allocated, with its size.

A laid-out design and the simulator's working arrays cost about ``BYTES_PER_PERSON``
(measured: peak memory of ``simulate`` at 1-4 million people, 185 bytes a person for
``dorfman:10``, 300 for ``array:10``, 430 for ``std:7-4-3``); each replicate keeps one
row of tallies.
"""

from __future__ import annotations

from poolab.i18n import _
from poolab.memory import gib, shortfall
from poolab.plan.inputs import BadPlanInput

BYTES_PER_PERSON = 500
BYTES_PER_REPLICATE = 64


def check_fits(residents: int, replicates: int = 0) -> None:
    """Refuse a layout of ``residents`` people, or a simulation of them over ``replicates``
    replicates, when it would not fit in the memory available, saying how big it would be."""
    need = residents * BYTES_PER_PERSON + replicates * BYTES_PER_REPLICATE
    have = shortfall(need)
    if have is None:
        return
    if replicates:
        message = _(
            "simulate of {people} people × {replicates} replicates needs about {need} of memory; {have} is "
            "available: use fewer people (every figure is per person) or fewer replicates"
        )
    else:
        message = _(
            "a layout of {people} people needs about {need} of memory; {have} is available: use fewer people "
            "(every figure is per person)"
        )
    raise BadPlanInput(
        message.format(people=f"{residents:,}", replicates=f"{replicates:,}", need=gib(need), have=gib(have))
    )
