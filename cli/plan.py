"""``poolab plan ...``: operating characteristics, optimiser, curves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from .common import AppContext, echo_json, output_option, output_target, pass_app, reports_errors

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
def plan() -> None:
    """Plan a pooling design: operating characteristics, optimum, curves.

    \b
    Designs (SPEC): individual, dorfman:K, hier:K1-K2, array:R, array-master:R,
    std:Q-K (shifted transversal, non-adaptive: Q prime, each person in K pools).
    Families:       dorfman, hier, array, array-master, std.
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
    help="dorfman, hier, array, array-master or std.",
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
    help="A design to draw (repeatable), in both panels. "
    "Default: dorfman:5, dorfman:10, hier:25-5, array:10, array-master:10.",
)
@click.option(
    "--min-prevalence", type=float, default=0.001, show_default=True, help="Left end of the prevalence axis (0..1)."
)
@click.option(
    "--max-prevalence", type=float, default=0.2, show_default=True, help="Right end of the prevalence axis (0..1)."
)
@click.option("--se", type=float, default=1.0, show_default=True, help="Sensitivity (every stage), in (0, 1].")
@click.option("--sp", type=float, default=1.0, show_default=True, help="Specificity (every stage), in (0, 1].")
@click.option(
    "--max-pool-size",
    "-k",
    type=click.IntRange(2, 1000),
    default=50,
    show_default=True,
    help="Right panel: pool sizes up to K (2..1000).",
)
@click.option(
    "--estimate",
    "campaign",
    metavar="NAME",
    default=None,
    help="Mark campaign NAME's estimated prevalence and 95% interval (as `poolab estimate NAME`, with --se/--sp).",
)
@_dilution_options
@pass_app
@reports_errors
def curve_cmd(
    app: AppContext,
    output: str,
    designs: tuple[str, ...],
    min_prevalence: float,
    max_prevalence: float,
    se: float,
    sp: float,
    max_pool_size: int,
    campaign: str | None,
    dilution: bool,
    ct_mean: float | None,
    ct_sd: float | None,
    limit_ct: float | None,
) -> None:
    """Draw tests per person against prevalence, and each design's PSe against its pool
    size, to a PNG.

    The right panel follows the designs given with -d: each one's family as its first
    size varies (K, K1 for hier, R for arrays), its own size marked, under dilution and
    (dotted) without. Needs matplotlib (pip install 'poolab[plot]').

    \b
    Examples:
      poolab plan curve -o curves.png
      poolab plan curve -o c.png -d dorfman:10 -d array:12 --se 0.99 --sp 0.99 --dilution
      poolab plan curve -o day1.png --estimate day1 -d dorfman:10 -d dorfman:20 --dilution
    """
    from poolab.plan.curve import DEFAULT_DESIGNS, write_campaign_curves, write_curves
    from poolab.plan.opchar import check_prevalence, stage_values

    stage_values(se, "individual", "se")
    stage_values(sp, "individual", "sp")
    check_prevalence(min_prevalence)
    check_prevalence(max_prevalence)
    model = _model(dilution, ct_mean, ct_sd, limit_ct)
    chosen = designs or DEFAULT_DESIGNS
    if campaign is None:
        path = write_curves(output, chosen, min_prevalence, max_prevalence, se, sp, model, max_pool_size)
        click.echo(f"wrote {path}")
        return
    path, est = write_campaign_curves(
        app.store(), campaign, output, chosen, min_prevalence, max_prevalence, se, sp, model, max_pool_size
    )
    click.echo(
        f"wrote {path}: {est.campaign} at {100 * est.prevalence:.3g}% "
        f"(95% interval {100 * est.ci95[0]:.3g}% to {100 * est.ci95[1]:.3g}%) marked"
    )


@plan.command("advise")
@click.argument("name")
@click.option(
    "--family",
    "-f",
    default="dorfman",
    show_default=True,
    metavar="F",
    help="dorfman, hier, array, array-master or std.",
)
@click.option(
    "--se",
    default="1",
    show_default=True,
    metavar="S[,S...]",
    help="Sensitivity: one value, or one per stage of the family; the estimate uses the first and the last.",
)
@click.option(
    "--sp",
    default="1",
    show_default=True,
    metavar="S[,S...]",
    help="Specificity: one value, or one per stage of the family; the estimate uses the first and the last.",
)
@click.option(
    "--max-pool-size",
    "-k",
    type=click.IntRange(2, 1000),
    default=100,
    show_default=True,
    help="Largest pool (row/column for arrays) to try, 2..1000 people.",
)
@click.option(
    "--max-loss",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=0.10,
    show_default=True,
    help="Under dilution: the largest share (0..1) of the positives that pools of one would find "
    "which the design may lose; sets the PSe floor.",
)
@click.option(
    "--min-pse", type=click.FloatRange(0.0, 1.0), default=None, help="A PSe floor (0..1) instead of --max-loss."
)
@click.option(
    "--dilution/--no-dilution",
    default=True,
    show_default=True,
    help="Let sensitivity fall with pool size (the Ct model of `plan opchar --dilution`).",
)
@click.option("--ct-mean", type=float, default=None, help="Mean Ct of positives (default 27.2).")
@click.option("--ct-sd", type=float, default=None, help="SD of positives' Ct (default 7.6).")
@click.option("--limit-ct", type=float, default=None, help="Ct above which the assay sees nothing (default 38).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@pass_app
@reports_errors
def advise_cmd(
    app: AppContext,
    name: str,
    family: str,
    se: str,
    sp: str,
    max_pool_size: int,
    max_loss: float,
    min_pse: float | None,
    dilution: bool,
    ct_mean: float | None,
    ct_sd: float | None,
    limit_ct: float | None,
    as_json: bool,
) -> None:
    """The design for the next round of campaign NAME, from its results.

    Estimates the prevalence (as `poolab estimate NAME`) and runs the optimiser at the
    estimate and at both ends of its 95% interval: the same design at all three means the
    choice does not hang on the estimate. Under dilution (the default) a PSe floor keeps
    pools from losing more than --max-loss of the positives pools of one would find.

    \b
    Examples:
      poolab plan advise day1
      poolab plan advise day1 --se 0.95,0.98 --sp 0.998 --json
      poolab plan advise day1 --family hier --max-pool-size 40 --no-dilution
    """
    from poolab.plan.advise import advise

    result = advise(
        app.store(),
        name,
        family=family,
        se=_values(se, "se"),
        sp=_values(sp, "sp"),
        max_pool_size=max_pool_size,
        dilution=_model(dilution, ct_mean, ct_sd, limit_ct),
        min_pse=min_pse,
        max_loss=max_loss,
    )
    if as_json:
        echo_json(result.as_dict())
        return
    est = result.estimate
    click.echo(
        f"campaign {est.campaign}: prevalence {100 * est.prevalence:.4g}% "
        f"(95% interval {100 * est.ci95[0]:.4g}% to {100 * est.ci95[1]:.4g}%), "
        f"{est.positive_pools} of {est.pools} pools positive"
    )
    floor = f", PSe at least {result.min_pse:.4f}" if result.min_pse is not None else ""
    click.echo(f"best {result.family} design{' under dilution' if result.dilution else ''}{floor}:")
    click.echo(f"{'at':<18} {'prevalence':>10}  {'design':<18} {'tests/person':>12} {'PSe':>7} {'PSp':>7}")
    for label, p, found in (
        ("interval low", result.planned[0], result.at_low),
        ("estimate", result.planned[1], result.at_estimate),
        ("interval high", result.planned[2], result.at_high),
    ):
        b = found.best
        click.echo(
            f"{label:<18} {100 * p:>9.4g}%  {b.design:<18} {b.expected_tests_per_individual:>12.5f} "
            f"{b.pse:>7.4f} {b.psp:>7.4f}"
        )
    if result.robust:
        click.echo(f"{result.at_estimate.best.design} at every prevalence in the interval's range.")
    else:
        click.echo("The choice depends on the prevalence: compare the designs above before committing.")
    if result.at_estimate.best.expected_tests_per_individual >= 1.0:
        click.echo("At the estimate, testing everyone alone needs fewer tests than any design of this family.")


def _layout_options(fn: F) -> F:
    fn = click.option(
        "--residents",
        "-n",
        type=int,
        required=True,
        help="Individuals to lay out, numbered 1..N in the order you pool them (keep households together).",
    )(fn)
    return click.option(
        "--design", "-d", required=True, metavar="SPEC", help="The design, e.g. dorfman:10, hier:20-5, std:13-3."
    )(fn)


@plan.command("layout")
@_layout_options
@output_option()
@reports_errors
def layout_cmd(design: str, residents: int, output: str) -> None:
    """Write which individuals go into which pool, stage by stage: the plate to pipette.

    CSV pool,stage,kind,members: pools numbered 1..P, stage 1..S, kind pool, subpool,
    master, row, column or individual, members the individual numbers 1..N separated by
    spaces. Test the stage-1 pools now; `poolab plan decode` says which pools come next.

    \b
    Examples:
      poolab plan layout --design dorfman:10 --residents 200 -o layout.csv
      poolab plan layout --design array:8 -n 64 -o -
    """
    from poolab.plan.decode_io import write_layout
    from poolab.plan.designs import design_for
    from poolab.plan.spec import parse_spec

    d = design_for(parse_spec(design), residents)
    write_layout(d, output_target(output))
    if output != "-":
        first = int(d.stage_ptr[1])
        click.echo(
            f"wrote {output}: {d.name} on {residents} individuals, {d.npools} pools in {d.nstages} stage(s); "
            f"test pools 1..{first} (stage 1) first"
        )


@plan.command("decode")
@_layout_options
@click.option(
    "--results",
    "-r",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="CSV pool,result (positive, negative, inconclusive = positive, invalid = re-run); absent pools are untested.",
)
@click.option(
    "--decoder",
    type=click.Choice(["staged", "comp", "dd", "scomp", "bayes"]),
    default=None,
    help="staged (the design's retest rule; default), comp/dd/scomp (std designs; default comp), "
    "bayes (posterior per individual, any design).",
)
@click.option("--se", default="1", show_default=True, metavar="S[,S...]", help="bayes: sensitivity, one or per stage.")
@click.option("--sp", default="1", show_default=True, metavar="S[,S...]", help="bayes: specificity, one or per stage.")
@click.option("--prevalence", "-p", type=float, default=None, help="bayes: prior prevalence (required for bayes).")
@click.option(
    "--threshold", type=float, default=0.5, show_default=True, help="bayes: positive when the posterior is above it."
)
@output_option()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object of counts and next pools.")
@reports_errors
def decode_cmd(
    design: str,
    residents: int,
    results: str,
    decoder: str | None,
    se: str,
    sp: str,
    prevalence: float | None,
    threshold: float,
    output: str,
    as_json: bool,
) -> None:
    """Decode a design's pool results: each individual's call, and which pools to test next.

    Writes CSV individual,call,posterior,next_pools: call positive, negative or pending
    (waiting for a pool still to be tested), posterior from --decoder bayes only,
    next_pools the pools holding a pending individual that are to be tested next. Pool
    and individual numbers are those of `poolab plan layout` with the same design and N.

    \b
    Worked example (Dorfman 10-in-1 on 200 people):
      poolab plan layout -d dorfman:10 -n 200 -o layout.csv     # pipette pools 1..20
      # the lab writes results.csv:  pool,result / 1,negative / 2,positive / ...
      poolab plan decode -d dorfman:10 -n 200 -r results.csv -o calls.csv
      # calls.csv lists the pending people and their pools; add those results and run again
      poolab plan decode -d dorfman:10 -n 200 -r results.csv -o calls.csv --json
    \b
    Other decoders:
      poolab plan decode -d std:13-3 -n 1000 -r r.csv --decoder dd -o calls.csv
      poolab plan decode -d array:10 -n 400 -r r.csv --decoder bayes -p 0.01 --se 0.95 --sp 0.99 -o post.csv
    """
    from poolab.plan.decode_io import BadDecodeInput, decode, read_pool_results, write_report
    from poolab.plan.designs import design_for
    from poolab.plan.spec import parse_spec

    if as_json and output == "-":
        raise BadDecodeInput("--json prints to stdout: write the CSV to a file (-o FILE), not '-'")
    d = design_for(parse_spec(design), residents)
    result = read_pool_results(results, d)
    report = decode(d, result, decoder, tuple(_values(se, "se")), tuple(_values(sp, "sp")), prevalence, threshold)
    write_report(report, output_target(output))
    if as_json:
        echo_json(report.as_dict())
        return
    if output != "-":
        c = report.counts()
        click.echo(
            f"wrote {output}: {report.decoder} decoding of {d.name}: {c['positive']} positive, "
            f"{c['negative']} negative, {c['pending']} pending"
        )
        nxt = (report.next_pools + 1).tolist()
        if nxt:
            shown = " ".join(map(str, nxt[:30])) + (f" ... ({len(nxt)} pools)" if len(nxt) > 30 else "")
            click.echo(f"test next: pools {shown}")
