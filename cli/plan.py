"""``poolab plan ...``: operating characteristics, optimiser, curves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from cli.common import echo_json, reports_errors

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
def plan() -> None:
    """Plan a pooling design: operating characteristics, optimum, curves.

    \b
    Designs (SPEC): individual, dorfman:K, hier:K1-K2, array:R, array-master:R.
    Families:       dorfman, hier, array, array-master.
    Se/Sp: one value for every stage, or one per stage separated by commas
    (dorfman: pool,individual; hier: pool,subpool,individual; array: row/column,individual;
    array-master: master,row/column,individual). Default 1 (a perfect assay).
    """


def _accuracy_options(fn: F) -> F:
    fn = click.option(
        "--sp",
        default="1",
        show_default=True,
        metavar="S[,S...]",
        help="Specificity: one value, or one per stage (comma list).",
    )(fn)
    fn = click.option(
        "--se",
        default="1",
        show_default=True,
        metavar="S[,S...]",
        help="Sensitivity: one value, or one per stage (comma list).",
    )(fn)
    return click.option(
        "--prevalence",
        "-p",
        type=float,
        required=True,
        help="Prevalence: the share of people infected, strictly between 0 and 1.",
    )(fn)


def _dilution_options(fn: F) -> F:
    fn = click.option(
        "--limit-ct",
        type=float,
        default=None,
        help="Ct above which the assay sees nothing (default 38).",
    )(fn)
    fn = click.option("--ct-sd", type=float, default=None, help="SD of positives' Ct (default 7.6).")(fn)
    fn = click.option("--ct-mean", type=float, default=None, help="Mean Ct of positives (default 27.2).")(fn)
    return click.option(
        "--dilution/--no-dilution",
        default=False,
        show_default=True,
        help="Let sensitivity fall with pool size: one positive in K shifts Ct by log2 K.",
    )(fn)


def _values(text: str, name: str) -> list[float]:
    from poolab.plan.opchar import BadPlanInput

    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise BadPlanInput(f"--{name} takes a number or a comma list of numbers (value {text!r})") from None


def _model(dilution: bool, ct_mean: float | None, ct_sd: float | None, limit_ct: float | None) -> Any:
    from poolab.plan.dilution import DilutionModel

    if not dilution:
        return None
    base = DilutionModel()
    return DilutionModel(
        ct_mean=base.ct_mean if ct_mean is None else ct_mean,
        ct_sd=base.ct_sd if ct_sd is None else ct_sd,
        limit_ct=base.limit_ct if limit_ct is None else limit_ct,
    )


def _table(rows: list[Any]) -> None:
    click.echo(f"{'design':<20} {'tests/person':>12} {'PSe':>7} {'PSp':>7} {'PPPV':>7} {'PNPV':>7}")
    for r in rows:
        click.echo(
            f"{r.design:<20} {r.expected_tests_per_individual:>12.5f} {r.pse:>7.4f} "
            f"{r.psp:>7.4f} {r.pppv:>7.4f} {r.pnpv:>7.4f}"
        )


@plan.command("opchar")
@click.option("--design", "-d", required=True, metavar="SPEC", help="The design, e.g. dorfman:10.")
@_accuracy_options
@_dilution_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@reports_errors
def opchar_cmd(
    design: str,
    prevalence: float,
    se: str,
    sp: str,
    dilution: bool,
    ct_mean: float | None,
    ct_sd: float | None,
    limit_ct: float | None,
    as_json: bool,
) -> None:
    """Expected tests per person and pooling accuracy of one design.

    \b
    Examples:
      poolab plan opchar --design dorfman:10 -p 0.01
      poolab plan opchar --design dorfman:10 -p 0.01 --se 0.99 --sp 0.99 --json
      poolab plan opchar --design hier:20-5 -p 0.005 --se 0.95,0.95,0.99 --sp 0.98
      poolab plan opchar --design array:10 -p 0.01 --dilution

    PSe: share of positives found; PSp: share of negatives cleared; PPPV/PNPV: chance
    that a positive/negative call is right.
    """
    from poolab.plan.opchar import opchar

    result = opchar(
        design,
        prevalence,
        _values(se, "se"),
        _values(sp, "sp"),
        _model(dilution, ct_mean, ct_sd, limit_ct),
    )
    if as_json:
        echo_json(result.as_dict())
        return
    saving = 100.0 * (1.0 - result.expected_tests_per_individual)
    click.echo(f"prevalence {prevalence:g}, Se {se}, Sp {sp}{', dilution' if dilution else ''}")
    _table([result])
    click.echo(f"{saving:.1f}% fewer tests than testing everyone individually.")


@plan.command("optimize")
@click.option(
    "--family",
    "-f",
    required=True,
    metavar="F",
    help="dorfman, hier, array or array-master.",
)
@_accuracy_options
@click.option(
    "--max-pool-size",
    "-k",
    type=int,
    default=100,
    show_default=True,
    help="Largest pool (row/column for arrays) to try.",
)
@click.option("--min-pse", type=float, default=None, help="Only designs with PSe at least this.")
@_dilution_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@reports_errors
def optimize_cmd(
    family: str,
    prevalence: float,
    se: str,
    sp: str,
    max_pool_size: int,
    min_pse: float | None,
    dilution: bool,
    ct_mean: float | None,
    ct_sd: float | None,
    limit_ct: float | None,
    as_json: bool,
) -> None:
    """The design of a family with the fewest expected tests per person.

    Ties go to the smaller pool. The search covers every pool size 2..K (for hier every
    K1 <= K and subpool K2 < K1).

    \b
    Examples:
      poolab plan optimize --family dorfman -p 0.01
      poolab plan optimize --family hier -p 0.005 --se 0.99 --sp 0.99 --json
      poolab plan optimize --family dorfman -p 0.001 --se 0.99 --dilution --min-pse 0.8
    """
    from poolab.plan.optimize import optimize

    found = optimize(
        family,
        prevalence,
        _values(se, "se"),
        _values(sp, "sp"),
        max_pool_size,
        min_pse,
        _model(dilution, ct_mean, ct_sd, limit_ct),
    )
    if as_json:
        out: dict[str, Any] = found.best.as_dict()
        out.update(
            family=found.family,
            candidates=found.candidates,
            feasible=found.feasible,
            ranked=[r.as_dict() for r in found.ranked],
        )
        echo_json(out)
        return
    click.echo(
        f"best {found.family} design at prevalence {prevalence:g}: {found.best.design} "
        f"({found.best.expected_tests_per_individual:.4f} tests per person; "
        f"{found.feasible} of {found.candidates} designs met the constraints)"
    )
    _table(list(found.ranked))


@plan.command("curve")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="PNG file to write.")
@click.option(
    "--design",
    "-d",
    "designs",
    multiple=True,
    metavar="SPEC",
    help="A design to draw (repeatable). Default: dorfman:5, dorfman:10, hier:25-5, array:10, array-master:10.",
)
@click.option("--min-prevalence", type=float, default=0.001, show_default=True)
@click.option("--max-prevalence", type=float, default=0.2, show_default=True)
@click.option("--se", type=float, default=1.0, show_default=True, help="Sensitivity (every stage).")
@click.option("--sp", type=float, default=1.0, show_default=True, help="Specificity (every stage).")
@click.option(
    "--max-pool-size",
    "-k",
    type=int,
    default=50,
    show_default=True,
    help="Right panel: pool sizes 1..K.",
)
@_dilution_options
@reports_errors
def curve_cmd(
    output: str,
    designs: tuple[str, ...],
    min_prevalence: float,
    max_prevalence: float,
    se: float,
    sp: float,
    max_pool_size: int,
    dilution: bool,
    ct_mean: float | None,
    ct_sd: float | None,
    limit_ct: float | None,
) -> None:
    """Draw tests per person against prevalence, and PSe against pool size, to a PNG.

    Needs matplotlib (pip install 'poolab[plot]').

    \b
    Examples:
      poolab plan curve -o curves.png
      poolab plan curve -o c.png -d dorfman:10 -d array:12 --se 0.99 --sp 0.99 --dilution
    """
    from poolab.plan.curve import DEFAULT_DESIGNS, write_curves
    from poolab.plan.opchar import check_prevalence, stage_values

    stage_values(se, "individual", "se")
    stage_values(sp, "individual", "sp")
    check_prevalence(min_prevalence)
    check_prevalence(max_prevalence)
    path = write_curves(
        output,
        designs or DEFAULT_DESIGNS,
        min_prevalence,
        max_prevalence,
        se,
        sp,
        _model(dilution, ct_mean, ct_sd, limit_ct),
        max_pool_size,
    )
    click.echo(f"wrote {path}")
