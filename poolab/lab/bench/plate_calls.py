"""One plate's export against its plate map and the kit: every reading checked (well,
target, Ct, sample name), every mapped well called, the controls checked."""

from __future__ import annotations

import re
from collections.abc import Container, Sequence

import attrs

from poolab.barcodes import normalise_scan
from poolab.errors import Problem
from poolab.i18n import _
from poolab.lab.bench.calling import Flag, call_well, control_failure, instrument_verdict
from poolab.lab.bench.kit import Kit, _norm
from poolab.lab.bench.wells import canonical_well, well_problem
from poolab.lab.instruments.model import Export, reading_ct
from poolab.store.plates import MapWell

_TUBE_CODE = re.compile(r"^[A-Z][0-9]{9}[0-9A-Z]$")  # a poolab barcode's form (any prefix)
_CONTROL_WORD = {"pos": "positive_control", "neg": "negative_control"}


@attrs.frozen(slots=True)
class WellCall:
    """A mapped well's Cts (target 1, target 2, internal control) and call; ``note`` says
    why the instrument's own verdict voided it ("omitted on the instrument", "flagged by
    the instrument: EXPFAIL on N"), empty when it stands."""

    well: str
    kind: str
    tube_barcode: str
    line: int
    cts: tuple[float | None, float | None, float | None]
    call: str
    note: str = ""


@attrs.frozen(slots=True)
class PlateCalls:
    """What a plate's export says: calls of the sample wells (all ``invalid`` when a
    control failed), the controls, why they failed, and the file's problems."""

    samples: tuple[WellCall, ...]
    controls: tuple[WellCall, ...]
    failures: tuple[str, ...]
    problems: tuple[Problem, ...]
    unknown_targets: tuple[str, ...] = ()
    """Targets of the file the kit does not know, in file order (the refusal's first line)."""
    file_targets: tuple[str, ...] = ()
    """Every target the file names, in file order."""


def _words(kind: str) -> str:
    """A well kind as a message says it."""
    words = {
        "sample": _("sample"),
        "empty": _("empty"),
        "positive_control": _("positive control"),
        "negative_control": _("negative control"),
    }
    return words.get(kind, kind.replace("_", " "))


def call_plate(
    export: Export, wells: Sequence[MapWell], kit: Kit, size: int, *, known_tubes: Container[str] = ()
) -> PlateCalls:
    """Match ``export`` to the plate map ``wells`` and call it by ``kit``. A sample name
    that holds a tube barcode (poolab's form, or one of ``known_tubes``) must be the
    map's tube in that well: the swapped-rack check."""
    source = export.source
    names = kit.names()
    role_of: dict[str, str | None] = {}
    by_well = {w.well: w for w in wells}
    found: dict[str, dict[str, tuple[int, float | None]]] = {}
    omitted: set[str] = set()
    flagged: dict[str, list[Flag]] = {}
    problems: list[Problem] = []
    unknown: dict[str, None] = {}
    for r in export.readings:
        well = canonical_well(r.well, size)
        if well is None:
            problems.append(Problem(source, r.line, r.well, well_problem(r.well, size)))
            continue
        if r.omitted:  # Omit on any of the well's rows omits the well
            omitted.add(well)
        if r.flags:
            flagged.setdefault(well, []).extend((f, r.target) for f in r.flags)
        if r.target not in role_of:
            role_of[r.target] = names.get(_norm(r.target))
        role = role_of[r.target]
        if role is None:
            unknown[r.target] = None
            unknown_why = _("well {well}: a target the kit {kit} does not know").format(well=well, kit=kit.name)
            problems.append(Problem(source, r.line, r.target, unknown_why))
            continue
        ct = reading_ct(r.ct)
        if isinstance(ct, str):
            bad_ct = _("well {well} {target}: {problem}").format(well=well, target=r.target, problem=ct)
            problems.append(Problem(source, r.line, r.ct, bad_ct))
            continue
        got = found.setdefault(well, {})
        if role in got:
            problems.append(
                Problem(
                    source,
                    r.line,
                    f"{well} {r.target}",
                    _("duplicate row for well {well} and target {target} (first at line {line})").format(
                        well=well, target=r.target, line=got[role][0]
                    ),
                )
            )
            continue
        got[role] = (r.line, ct)
        mapped = by_well.get(well)
        kind = mapped.kind if mapped else "empty"
        sample = normalise_scan(r.sample)
        if sample and (_TUBE_CODE.match(sample) or sample in known_tubes):
            if kind != "sample":
                problems.append(
                    Problem(
                        source,
                        r.line,
                        sample,
                        _("well {well}: the export's sample is tube {sample}, the plate map has {kind} there").format(
                            well=well, sample=sample, kind=_words(kind)
                        ),
                    )
                )
            elif mapped is not None and sample != mapped.tube_barcode:
                problems.append(
                    Problem(
                        source,
                        r.line,
                        sample,
                        _(
                            "well {well}: the export's sample is {sample}, the plate map has {tube} "
                            "(swapped rack or plate?)"
                        ).format(well=well, sample=sample, tube=mapped.tube_barcode),
                    )
                )
        said = _CONTROL_WORD.get(r.control)
        if said and kind != said:
            problems.append(
                Problem(
                    source,
                    r.line,
                    well,
                    _("well {well}: the export marks a {said}, the plate map has {kind} there").format(
                        well=well, said=_words(said), kind=_words(kind)
                    ),
                )
            )
    samples: list[WellCall] = []
    controls: list[WellCall] = []
    reported: set[str] = set()
    for w in wells:
        if w.kind == "empty":
            continue
        got = found.get(w.well, {})
        missing = [
            n
            for role, n in zip(("target1", "target2", "ic"), (*kit.targets, kit.internal_control), strict=True)
            if role not in got
        ]
        if missing:
            if unknown:
                continue  # the file's targets are not the kit's: said once, in the refusal's first line
            if w.well not in reported:
                line = min((v[0] for v in got.values()), default=0)
                what = _("tube {tube}").format(tube=w.tube_barcode) if w.tube_barcode else _words(w.kind)
                absent = _("well {well} ({what}) has no row for {targets}").format(
                    well=w.well, what=what, targets=", ".join(missing)
                )
                problems.append(Problem(source, line, w.well, absent))
                reported.add(w.well)
            continue
        t1, t2, ic = got["target1"][1], got["target2"][1], got["ic"][1]
        line = min(v[0] for v in got.values())
        out, flags = w.well in omitted, flagged.get(w.well, ())
        call = call_well(t1, t2, ic, kit, omitted=out, flags=flags)
        note = (instrument_verdict(out, flags, kit) or "") if (out or flags) else ""
        if w.kind == "sample":
            samples.append(WellCall(w.well, w.kind, w.tube_barcode, line, (t1, t2, ic), call, note))
        else:
            controls.append(WellCall(w.well, w.kind, "", line, (t1, t2, ic), call, note))
    failures = tuple(
        why
        for c in controls
        if (
            why := control_failure(
                c.kind, c.well, c.cts[0], c.cts[1], kit, omitted=c.well in omitted, flags=flagged.get(c.well, ())
            )
        )
        is not None
    )
    if failures:
        samples = [attrs.evolve(s, call="invalid") for s in samples]
    targets = tuple(dict.fromkeys(r.target for r in export.readings))
    return PlateCalls(tuple(samples), tuple(controls), failures, tuple(problems), tuple(unknown), targets)
