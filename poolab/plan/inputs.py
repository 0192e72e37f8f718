"""What the planner takes in, checked once: prevalence, Se/Sp per stage, the dilution
model, and the comma lists the command line gives for Se/Sp."""

from __future__ import annotations

from collections.abc import Sequence

from poolab.errors import PoolabError
from poolab.i18n import _
from poolab.plan.dilution import DilutionModel, check_model

# number of assay stages of each family (one Se/Sp per stage, in testing order)
STAGES: dict[str, int] = {
    "individual": 1,
    "dorfman": 2,
    "hier": 3,
    "array": 2,
    "array-master": 3,
    "std": 2,
}
STAGE_NAMES: dict[str, tuple[str, ...]] = {
    "individual": ("individual",),
    "dorfman": ("pool", "individual"),
    "hier": ("pool", "subpool", "individual"),
    "array": ("row/column", "individual"),
    "array-master": ("master pool", "row/column", "individual"),
    "std": ("pool", "individual"),
}


class BadPlanInput(PoolabError):
    """A prevalence, Se/Sp or pool size that the planner cannot use."""


def check_prevalence(p: float) -> float:
    """Return ``p`` as float if 0 < p < 1, else raise ``BadPlanInput``."""
    try:
        value = float(p)
    except (TypeError, ValueError):
        raise BadPlanInput(_("prevalence must be a number (value {value})").format(value=repr(p))) from None
    if not (0.0 < value < 1.0):
        raise BadPlanInput(_("prevalence must be strictly between 0 and 1 (value {value})").format(value=repr(p)))
    return value


def stage_values(values: float | Sequence[float], family: str, name: str) -> tuple[float, ...]:
    """Expand one Se (or Sp) or one per stage into a tuple with one value per stage.

    Each value must lie in (0, 1]; a list must have exactly one value per stage.
    """
    if family not in STAGES:
        raise BadPlanInput(
            _("unknown family {family}; use one of: {families}").format(family=repr(family), families=", ".join(STAGES))
        )
    n = STAGES[family]
    raw = [values] if isinstance(values, int | float) else list(values)
    try:
        vals = [float(v) for v in raw]
    except (TypeError, ValueError):
        raise BadPlanInput(_("{name} must be numbers (value {value})").format(name=name, value=repr(values))) from None
    for v in vals:
        if not (0.0 < v <= 1.0):
            raise BadPlanInput(_("{name} must be in (0, 1] (value {value})").format(name=name, value=repr(v)))
    if len(vals) == 1:
        return tuple(vals * n)
    if len(vals) != n:
        stages = ", ".join(STAGE_NAMES[family])
        raise BadPlanInput(
            _(
                "{name} has {count} values but {family} has {n} stages ({stages}); give one value, or one per stage"
            ).format(name=name, count=len(vals), family=family, n=n, stages=stages)
        )
    return tuple(vals)


def parse_values(text: str | float | Sequence[float], name: str) -> tuple[float, ...]:
    """Se or Sp as given: a number, a sequence, or the command line's comma list ("0.95,0.99")."""
    if isinstance(text, str):
        try:
            return tuple(float(part) for part in text.split(",") if part.strip())
        except ValueError:
            raise BadPlanInput(
                _("--{name} takes a number or a comma list of numbers (value {value})").format(
                    name=name, value=repr(text)
                )
            ) from None
    if isinstance(text, int | float):
        return (float(text),)
    return tuple(float(v) for v in text)


def dilution_model(
    enabled: bool, ct_mean: float | None = None, ct_sd: float | None = None, limit_ct: float | None = None
) -> DilutionModel | None:
    """The dilution model the options ask for (None when ``enabled`` is false); unset values
    take ``DilutionModel``'s defaults."""
    if not enabled:
        given = [n for n, v in (("--ct-mean", ct_mean), ("--ct-sd", ct_sd), ("--limit-ct", limit_ct)) if v is not None]
        if given:
            options = ", ".join(given)
            if len(given) == 1:
                raise BadPlanInput(
                    _("{option} describes the dilution model: it applies with --dilution").format(option=options)
                )
            raise BadPlanInput(
                _("{options} describe the dilution model: they apply with --dilution").format(options=options)
            )
        return None
    base = DilutionModel()
    model = DilutionModel(
        ct_mean=base.ct_mean if ct_mean is None else ct_mean,
        ct_sd=base.ct_sd if ct_sd is None else ct_sd,
        limit_ct=base.limit_ct if limit_ct is None else limit_ct,
    )
    check_model(model)
    return model


def check_residents(residents: int | None) -> int | None:
    """``residents`` if it is None or a whole number of at least 1."""
    if residents is None:
        return None
    if isinstance(residents, bool) or not isinstance(residents, int) or residents < 1:
        raise BadPlanInput(
            _("residents must be a whole number of at least 1 (value {value})").format(value=repr(residents))
        )
    return residents
