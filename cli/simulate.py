"""``poolab simulate``: Monte Carlo of a whole testing campaign under a design."""

from __future__ import annotations

import sys
import time

import click

from .common import echo_json
from .plan_options import dilution_options, leftovers_option


@click.command()
@click.option(
    "--design",
    "-d",
    "design",
    required=True,
    metavar="SPEC",
    help="individual, dorfman:K, hier:K1-K2, array:R, array-master:R, std:Q-K or std:Q-K-G.",
)
@click.option(
    "--residents",
    "-n",
    type=click.IntRange(min=1),
    required=True,
    help="People tested per campaign (a district is 97488).",
)
@click.option("--prevalence", "-p", type=float, required=True, help="Share of people infected, e.g. 0.001.")
@click.option(
    "--se",
    default="1",
    show_default=True,
    metavar="S[,S...]",
    help="Sensitivity: one value, or one per stage (comma list, first stage first).",
)
@click.option(
    "--sp", default="1", show_default=True, metavar="S[,S...]", help="Specificity: one value, or one per stage."
)
@click.option(
    "--replicates",
    "-r",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Campaigns to simulate; intervals shrink as 1/sqrt(R).",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Same seed, same numbers (on any number of threads)."
)
@click.option(
    "--attack-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Chance that each other member of an infected person's household is infected too (0: infections independent).",
)
@click.option(
    "--household-size-mean",
    type=float,
    default=1.65,
    show_default=True,
    help="Mean household size of the synthetic households used with "
    "--attack-rate (97488 / 58937 = 1.65 in the seed district).",
)
@dilution_options(sense="each positive's Ct is drawn once; a pool's Ct follows its mean concentration")
@leftovers_option
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object: design, the five figures, replicates, ci99."
)
def simulate(
    design: str,
    residents: int,
    prevalence: float,
    se: str,
    sp: str,
    replicates: int,
    seed: int,
    attack_rate: float,
    household_size_mean: float,
    dilution: bool,
    ct_mean: float | None,
    ct_sd: float | None,
    limit_ct: float | None,
    leftovers: str | None,
    as_json: bool,
) -> None:
    """Simulate whole testing campaigns under a pooling design (Monte Carlo).

    Each replicate infects the residents, runs every stage of the design with the assay's
    Se/Sp (and dilution), decodes with the same rules as real results, and counts tests,
    rounds, missed and false positives. Tests per person, PSe, PSp, PPV and NPV are
    ratios of sums over all replicates (true positives over infected, and so on: the
    figures `poolab plan opchar --residents N` computes), with 99% intervals by the delta
    method; the counts per campaign are means. --json adds per_campaign: each campaign's
    own ratios averaged.

    \b
    Examples:
      poolab simulate --design dorfman:10 --residents 97488 --prevalence 0.001
      poolab simulate -d hier:20-5 -n 10000 -p 0.01 --se 0.95,0.95,0.99 --sp 0.99 --json
      poolab simulate -d dorfman:10 -n 97488 -p 0.005 --attack-rate 0.3 --dilution
      poolab simulate -d std:7-4-3 -n 1000 -p 0.005 --se 0.95 --sp 0.99 -r 10000
    """
    import numba

    from poolab.plan.commands import Dilution, simulate_command
    from poolab.plan.report import elapsed_line, simulate_lines, simulate_start

    if not as_json:
        click.echo(simulate_start(replicates, residents, design, numba.get_num_threads()), err=True)
    start = time.perf_counter()
    result = simulate_command(
        design, residents, prevalence, se, sp, replicates, seed, attack_rate, household_size_mean,
        Dilution(dilution, ct_mean, ct_sd, limit_ct), leftovers,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    if as_json:
        echo_json(result.as_dict())
        return
    for line in simulate_lines(result, prevalence=prevalence, seed=seed):
        click.echo(line)
    click.echo(elapsed_line(elapsed), err=True)
    sys.stdout.flush()
