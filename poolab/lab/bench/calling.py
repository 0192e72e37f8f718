"""The calling rule: one well's Cts -> a call, and a plate's controls checked. Pure
functions of the kit, the numbers (no Ct is None: Undetermined, NaN or blank) and the
instrument's own verdicts (the well omitted, flags raised on its readings).

The instrument's verdict comes first: a well it omitted or flagged is never called from
its Cts, whatever they say. It is ``invalid`` (no valid call: its tube is re-run), and
the reason names what the instrument said."""

from __future__ import annotations

from collections.abc import Sequence

from poolab.i18n import _
from poolab.lab.bench.kit import Kit

OMITTED = "omitted on the instrument"
Flag = tuple[str, str]
"""A flag the instrument raised: (flag name, the target it raised it on)."""


def detected(ct: float | None, kit: Kit) -> bool:
    """A target shows when its Ct is a number below the kit's cut-off (or at it, for kits
    whose instructions say "≤")."""
    if ct is None:
        return False
    return ct <= kit.detect_ct if kit.detect_at_cutoff else ct < kit.detect_ct


def instrument_verdict(omitted: bool, flags: Sequence[Flag], kit: Kit) -> str | None:
    """Why the instrument's own verdict voids the well, or None when it stands: the well
    was omitted, or a flag was raised on any of its targets (those the kit's
    ``ignore_flags`` names aside). Flags are named with their targets, in file order."""
    if omitted:
        return _("omitted on the instrument")
    ignored = {f.upper() for f in kit.ignore_flags}
    raised = [
        _("{flag} on {target}").format(flag=name, target=target)
        for name, target in flags
        if name.upper() not in ignored
    ]
    if raised:
        return _("flagged by the instrument: {flags}").format(flags=", ".join(dict.fromkeys(raised)))
    return None


def call_well(
    target1: float | None,
    target2: float | None,
    ic: float | None,
    kit: Kit,
    *,
    omitted: bool = False,
    flags: Sequence[Flag] = (),
) -> str:
    """A well the instrument omitted or flagged: invalid, whatever its Cts. Otherwise both
    targets: positive; exactly one: inconclusive; neither with the internal control:
    negative; neither and no internal control: invalid (the run says nothing)."""
    if (omitted or flags) and instrument_verdict(omitted, flags, kit) is not None:
        return "invalid"
    shown = detected(target1, kit) + detected(target2, kit)
    if shown == 2:
        return "positive"
    if shown == 1:
        return "inconclusive"
    return "negative" if detected(ic, kit) else "invalid"


def _ct_text(ct: float | None) -> str:
    return "Undetermined" if ct is None else f"{ct:g}"


def control_failure(
    kind: str,
    well: str,
    target1: float | None,
    target2: float | None,
    kit: Kit,
    *,
    omitted: bool = False,
    flags: Sequence[Flag] = (),
) -> str | None:
    """Why a control well failed, or None: the positive control must show both targets,
    the negative control neither, and the instrument must not have omitted or flagged it
    (an untrusted control proves nothing). The message names the control, its well and
    its Cts, or what the instrument said."""
    verdict = instrument_verdict(omitted, flags, kit) if (omitted or flags) else None
    if verdict is not None:
        said = (
            _("positive control {well} failed ({why})")
            if kind == "positive_control"
            else _("negative control {well} failed ({why})")
        )
        return said.format(well=well, why=verdict)
    t1, t2 = kit.targets
    cts = f"{t1} {_ct_text(target1)}, {t2} {_ct_text(target2)}"
    shown = detected(target1, kit) + detected(target2, kit)
    if kind == "positive_control" and shown < 2:
        return _("positive control {well} failed ({cts}; it must show both targets)").format(well=well, cts=cts)
    if kind == "negative_control" and shown > 0:
        return _("negative control {well} failed ({cts}; it must show no target)").format(well=well, cts=cts)
    return None
