"""Compile every numba kernel now, on tiny inputs of the types real runs use, so that
numba's on-disk cache (``cache=True``) is filled before the first real command: the
install step (`make`) calls this through `poolab compile`, as a build step would.

It lives beside the library's users of the kernels (pools, plan), not among the kernels:
it drives them through those users' public functions, so the types compiled are the types
real commands pass."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from poolab.i18n import _


def _assign() -> None:
    from poolab.field.pools import assign_pools

    comp = ["A"] * 4 + ["B"] * 3
    bld = ["1", "1", "2", "2", "1", "1", "1"]
    room = ["101", "101", "102", "201", "101", "102", "103"]
    hh = ["h1", "h1", "h2", "h3", "h4", "h5", "h6"]
    for one in (False, True):
        assign_pools(comp, bld, [""] * 7, room, hh, pool_size=3, one_tube_per_household=one)


def _retest() -> None:
    from poolab.kernels.decode_staged import members_to_retest

    members_to_retest(np.array([0, 0, 1, -1], np.int64), np.array([True, False]))


def _decoders() -> None:
    from poolab.kernels.decode_nonadaptive import decode_nonadaptive
    from poolab.kernels.decode_staged import decode_staged
    from poolab.plan.bayes import design_posterior
    from poolab.plan.designs import design_for
    from poolab.plan.spec import parse_spec

    for spec in ("dorfman:4", "hier:4-2", "array:3", "array-master:3", "std:3-2"):
        design = design_for(parse_spec(spec), 9)
        result = np.zeros(design.pool_ptr.shape[0] - 1, np.int8)
        decode_staged(design.staged, result)
        design_posterior(design, result, 0.99, 0.99, 0.01)
    design = design_for(parse_spec("std:3-2"), 9)
    decode_nonadaptive(9, design.pool_ptr, design.pool_members, np.zeros(design.pool_ptr.shape[0] - 1, np.bool_))


def _simulator() -> None:
    from poolab.plan.dilution import DilutionModel
    from poolab.plan.simulate import household_sizes_for, simulate
    from poolab.plan.spec import parse_spec

    simulate(parse_spec("dorfman:4"), 40, 0.05, replicates=2, seed=1)
    sizes = household_sizes_for(40, 2.0, 1)
    simulate(
        parse_spec("dorfman:4"),
        40,
        0.05,
        replicates=2,
        seed=1,
        household_sizes=sizes,
        attack_rate=0.3,
        dilution=DilutionModel(),
    )


STEPS: dict[str, Callable[[], None]] = {
    "pool assignment": _assign,
    "resample rule": _retest,
    "decoders": _decoders,
    "simulator": _simulator,
}


def _step_name(name: str) -> str:
    """A group of kernels as the person watching reads it (the returned keys stay English)."""
    words = {
        "pool assignment": _("pool assignment"),
        "resample rule": _("resample rule"),
        "decoders": _("decoders"),
        "simulator": _("simulator"),
    }
    return words.get(name, name)


def compile_kernels(on_step: Callable[[str, float], None] | None = None) -> dict[str, float]:
    """Compile (or load from the cache) every kernel; returns seconds per group."""
    seconds: dict[str, float] = {}
    for name, step in STEPS.items():
        t0 = time.perf_counter()
        step()
        seconds[name] = time.perf_counter() - t0
        if on_step is not None:
            on_step(_step_name(name), seconds[name])
    return seconds
