"""The planner's reports as a person reads them in a terminal (``plan opchar``,
``optimize``, ``advise``, ``curve`` and ``simulate``): headings and sentences in the
reader's language, figures and design names as they are (``dorfman:10`` is typed back),
columns kept in line when the headings are Chinese. ``--json`` never changes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from poolab.i18n import _
from poolab.plan.opchar import OperatingCharacteristics
from poolab.plan.optimize import LOW_PSE, Optimum
from poolab.reports.columns import left, right

if TYPE_CHECKING:
    from poolab.plan.advise import Advice
    from poolab.plan.decode_io import DecodeReport
    from poolab.plan.designs import Design
    from poolab.plan.simulate import SimulationResult
    from poolab.reports.estimate import CampaignEstimate


def opchar_table(rows: Sequence[OperatingCharacteristics]) -> list[str]:
    """Operating characteristics, one design per row; a design whose figures are bounded
    rather than exact has its bounds on the line under them."""
    out = [
        " ".join(
            [
                left(_("design"), 20),
                right(_("tests/person"), 12),
                right("PSe", 7),
                right("PSp", 7),
                right("PPPV", 7),
                right("PNPV", 7),
            ]
        )
    ]
    for r in rows:
        out.append(
            f"{left(r.design, 20)} {r.expected_tests_per_individual:>12.5f} {r.pse:>7.4f} "
            f"{r.psp:>7.4f} {r.pppv:>7.4f} {r.pnpv:>7.4f}"
        )
        b = r.error_bound
        if b is not None:
            bound = left(_("  ± at most"), 20)
            out.append(
                f"{bound} {b.expected_tests_per_individual:>12.2g} {b.pse:>7.2g} "
                f"{b.psp:>7.2g} {b.pppv:>7.2g} {b.pnpv:>7.2g}"
            )
    if any(r.error_bound is not None for r in rows):
        out.append(
            _(
                "(± at most: the exact figure lies within this of the one above; std with G >= 2 under dilution "
                "is bounded, not computed exactly)"
            )
        )
    return out


def opchar_lines(
    result: OperatingCharacteristics, prevalence: float, se: str, sp: str, *, dilution: bool, residents: int | None
) -> list[str]:
    """``plan opchar``: what was asked, the table, and the saving over testing singly."""
    if residents:
        where = _("{count} people as laid out").format(count=residents)
    else:
        where = _("per full block")
    if dilution:
        head = _("prevalence {prevalence}, Se {se}, Sp {sp}, dilution, {where}")
    else:
        head = _("prevalence {prevalence}, Se {se}, Sp {sp}, {where}")
    saving = 100.0 * (1.0 - result.expected_tests_per_individual)
    return [
        head.format(prevalence=f"{prevalence:g}", se=se, sp=sp, where=where),
        *opchar_table([result]),
        _("{saving} fewer tests than testing everyone individually.").format(saving=f"{saving:.1f}%"),
    ]


def _floor(min_pse: float | None) -> str:
    return "" if min_pse is None else _(", PSe at least {floor}").format(floor=f"{min_pse:.4f}")


def optimize_lines(found: Optimum, prevalence: float) -> list[str]:
    """``plan optimize``: the best design (or single tubes) and the ranked table."""
    if found.singly:
        head = _(
            "test singly at prevalence {prevalence}: no {family} design needs fewer tests than one tube "
            "per person (PSe {pse}; {feasible} of {candidates} designs, single tubes included, met the "
            "constraints{floor})"
        ).format(
            prevalence=f"{prevalence:g}",
            family=found.family,
            pse=f"{found.best.pse:.4f}",
            feasible=found.feasible,
            candidates=found.candidates,
            floor=_floor(found.min_pse),
        )
    else:
        head = _(
            "best {family} design at prevalence {prevalence}: {design} ({tests} tests per person, PSe {pse}; "
            "{feasible} of {candidates} designs met the constraints{floor})"
        ).format(
            family=found.family,
            prevalence=f"{prevalence:g}",
            design=found.best.design,
            tests=f"{found.best.expected_tests_per_individual:.4f}",
            pse=f"{found.best.pse:.4f}",
            feasible=found.feasible,
            candidates=found.candidates,
            floor=_floor(found.min_pse),
        )
    return [head, *opchar_table(list(found.ranked))]


def optimize_warning(found: Optimum) -> str | None:
    """A warning when the best design finds too few of the positives."""
    if found.best.pse >= LOW_PSE:
        return None
    return _("warning: {design} finds {share} of positives (PSe below {low}); --min-pse sets a floor").format(
        design=found.best.design, share=f"{100 * found.best.pse:.1f}%", low=f"{LOW_PSE:g}"
    )


def curve_line(path: Path | str, est: CampaignEstimate | None) -> str:
    """``plan curve``: the file written, and the campaign's estimate marked on it."""
    if est is None:
        return _("wrote {path}").format(path=path)
    return _("wrote {path}: {campaign} at {prevalence} ({level} interval {low} to {high}) marked").format(
        path=path,
        campaign=est.campaign,
        prevalence=f"{100 * est.prevalence:.3g}%",
        level="95%",
        low=f"{100 * est.ci95[0]:.3g}%",
        high=f"{100 * est.ci95[1]:.3g}%",
    )


def advise_lines(result: Advice) -> list[str]:
    """``plan advise``: the campaign's estimate, and the best design at it and at its interval's ends."""
    est = result.estimate
    out = [
        _(
            "campaign {campaign}: prevalence {prevalence} ({level} interval {low} to {high}), "
            "{positive} of {pools} pools positive"
        ).format(
            campaign=est.campaign,
            prevalence=f"{100 * est.prevalence:.4g}%",
            level="95%",
            low=f"{100 * est.ci95[0]:.4g}%",
            high=f"{100 * est.ci95[1]:.4g}%",
            positive=est.positive_pools,
            pools=est.pools,
        )
    ]
    if result.dilution:
        best = _("best {family} design under dilution{floor}:")
    else:
        best = _("best {family} design{floor}:")
    out.append(best.format(family=result.family, floor=_floor(result.min_pse)))
    out.append(
        " ".join(
            [
                left(_("at"), 18),
                right(_("prevalence"), 10) + " ",
                left(_("design"), 18),
                right(_("tests/person"), 12),
                right("PSe", 7),
                right("PSp", 7),
            ]
        )
    )
    for label, p, found in (
        (_("interval low"), result.planned[0], result.at_low),
        (_("estimate"), result.planned[1], result.at_estimate),
        (_("interval high"), result.planned[2], result.at_high),
    ):
        b = found.best
        within = "" if b.error_bound is None else f"  (± {b.error_bound.expected_tests_per_individual:.2g})"
        out.append(
            f"{left(label, 18)} {100 * p:>9.4g}%  {left(b.design, 18)} {b.expected_tests_per_individual:>12.5f} "
            f"{b.pse:>7.4f} {b.psp:>7.4f}{within}"
        )
    if result.robust:
        out.append(
            _("{design} at every prevalence in the interval's range.").format(design=result.at_estimate.best.design)
        )
    else:
        out.append(_("The choice depends on the prevalence: compare the designs above before committing."))
    if result.at_estimate.singly:
        out.append(
            _("Test singly: at the estimate no {family} design needs fewer tests than one tube per person.").format(
                family=result.family
            )
        )
    return out


def _figure_label(key: str) -> str:
    labels = {
        "expected_tests_per_individual": _("tests per person"),
        "pse": _("PSe (infected found)"),
        "psp": _("PSp (clear people cleared)"),
        "pppv": _("PPV of a positive call"),
        "pnpv": _("NPV of a negative call"),
        "tests_used": _("tests per campaign"),
        "rounds": _("rounds (stages run)"),
        "infected": _("infected per campaign"),
        "missed_positives": _("missed positives"),
        "false_positives": _("false positives"),
    }
    return labels.get(key, key)


SIMULATED = (
    "expected_tests_per_individual",
    "pse",
    "psp",
    "pppv",
    "pnpv",
    "tests_used",
    "rounds",
    "infected",
    "missed_positives",
    "false_positives",
)
"""The figures ``simulate`` prints, in order."""


def simulate_start(replicates: int, residents: int, design: str, threads: int) -> str:
    """What ``simulate`` says while it runs."""
    return _("Simulating {replicates} campaigns of {residents} people under {design} on {threads} threads...").format(
        replicates=replicates, residents=residents, design=design, threads=threads
    )


def simulate_lines(result: SimulationResult, *, prevalence: float, seed: int) -> list[str]:
    """``simulate``: what was run, and each figure with its 99% interval."""
    out = [
        _(
            "design {design}, {residents} residents, prevalence {prevalence}, {replicates} replicates, seed {seed}"
        ).format(
            design=result.design,
            residents=result.residents,
            prevalence=prevalence,
            replicates=result.replicates,
            seed=seed,
        ),
        " ".join([left(_("figure"), 28), right(_("value"), 12), "  " + _("{level} interval").format(level="99%")]),
    ]
    for key in SIMULATED:
        mean = result.means[key]
        lo, hi = result.ci99[key]
        out.append(f"{left(_figure_label(key), 28)} {mean:>12.6g}   [{lo:.6g}, {hi:.6g}]")
    return out


def elapsed_line(seconds: float) -> str:
    """How long a run took."""
    return _("({seconds} s)").format(seconds=f"{seconds:.2f}")


def layout_line(output: str, design: Design, residents: int) -> str:
    """``plan layout``: the file written, and the pools to test first."""
    return _(
        "wrote {path}: {design} on {residents} individuals, {pools} pools in {stages} stage(s); "
        "test pools 1..{first} (stage 1) first"
    ).format(
        path=output,
        design=design.name,
        residents=residents,
        pools=design.npools,
        stages=design.nstages,
        first=int(design.stage_ptr[1]),
    )


SHOWN_POOLS = 30
"""Pools listed after "test next"; the rest are counted."""


def decode_lines(output: str, results: str, design: Design, report: DecodeReport) -> list[str]:
    """``plan decode``: the file written and its calls, and the pools to test next."""
    c = report.counts()
    out = [
        _(
            "wrote {path}: {decoder} decoding of {design}: {positive} positive, {negative} negative, {pending} pending"
        ).format(
            path=output,
            decoder=report.decoder,
            design=design.name,
            positive=c["positive"],
            negative=c["negative"],
            pending=c["pending"],
        )
    ]
    if not report.layout_checked:
        out.append(
            _(
                "note: {results} does not record its layout (design, residents columns): read as {design} "
                "on {people} people, which nothing could check"
            ).format(results=results, design=design.name, people=design.n)
        )
    nxt = (report.next_pools + 1).tolist()
    if nxt:
        shown = " ".join(map(str, nxt[:SHOWN_POOLS]))
        if len(nxt) > SHOWN_POOLS:
            shown += _(" ... ({count} pools)").format(count=len(nxt))
        out.append(_("test next: pools {pools}").format(pools=shown))
    return out
