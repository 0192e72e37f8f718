"""The calling rule: one well's Cts -> a call, and a plate's controls checked. Pure
functions of the kit and the numbers (no Ct is None: Undetermined, NaN or blank)."""

from __future__ import annotations

from poolab.lab.bench.kit import Kit


def detected(ct: float | None, kit: Kit) -> bool:
    """A target shows when its Ct is a number below the kit's cut-off (or at it, for kits
    whose instructions say "≤")."""
    if ct is None:
        return False
    return ct <= kit.detect_ct if kit.detect_at_cutoff else ct < kit.detect_ct


def call_well(target1: float | None, target2: float | None, ic: float | None, kit: Kit) -> str:
    """Both targets: positive; exactly one: inconclusive; neither with the internal
    control: negative; neither and no internal control: invalid (the run says nothing)."""
    shown = detected(target1, kit) + detected(target2, kit)
    if shown == 2:
        return "positive"
    if shown == 1:
        return "inconclusive"
    return "negative" if detected(ic, kit) else "invalid"


def _ct_text(ct: float | None) -> str:
    return "Undetermined" if ct is None else f"{ct:g}"


def control_failure(kind: str, well: str, target1: float | None, target2: float | None, kit: Kit) -> str | None:
    """Why a control well failed, or None: the positive control must show both targets,
    the negative control neither. The message names the control, its well and its Cts."""
    t1, t2 = kit.targets
    cts = f"{t1} {_ct_text(target1)}, {t2} {_ct_text(target2)}"
    shown = detected(target1, kit) + detected(target2, kit)
    if kind == "positive_control" and shown < 2:
        return f"positive control {well} failed ({cts}; it must show both targets)"
    if kind == "negative_control" and shown > 0:
        return f"negative control {well} failed ({cts}; it must show no target)"
    return None
