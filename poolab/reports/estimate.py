"""The day's prevalence from a campaign's results: overall, per compound or building, and
the buildings significantly above the district.

What enters (see ``poolab.reports.prevalence`` for the model and the interval):

* every pool tube with a current call: positive and inconclusive count as positive (both
  send the pool's members to their own tubes), negative as negative; pools with no result
  yet, or whose current result is invalid, are left out and counted;
* every individual tube drawn from such a pool whose current call is positive or
  negative; inconclusive and invalid individual results are left out (that person is
  resampled again).

Per group, a pool counts for every group it holds members of (a pool shared by two
buildings informs both; its members from the other building enter at the district's
estimate). Groups above the district: ``poolab.reports.risk``.

Results that no prevalence explains under the assay as given (under the default Se = Sp = 1,
a positive pool whose members all tested negative alone) are refused, naming the pools
(``ContradictoryResults``): there is no estimate to give, and an interval of 0-100% or
risk flags computed from it would only look like one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from poolab.files.csvio import Output, write_csv
from poolab.i18n import _
from poolab.reports.prevalence import Accuracy, BadEstimateInput, PoolRows, contradictions, fit
from poolab.reports.risk import ALPHA, holm, upper_tail
from poolab.reports.words import call_word
from poolab.store.engine import Store

POSITIVE = ("positive", "inconclusive")
CONCLUSIVE_POOL = ("positive", "inconclusive", "negative")
CONCLUSIVE_INDIVIDUAL = ("positive", "negative")
GROUPINGS = ("compound", "building")
RISK_COLUMNS = (
    "compound",
    "building",
    "people",
    "pools",
    "positive_pools",
    "prevalence",
    "ci95_low",
    "ci95_high",
    "district_prevalence",
    "p_value",
    "above_district",
)
EXAMPLES_NAMED = 3  # contradicting pools named in the refusal
METHOD = "maximum likelihood (pools of unequal size, Se/Sp, individual retests); likelihood-ratio 95% interval"
RISK_TEST = "one-sided exact test of positive pools against the district estimate, Holm 5%"


class ContradictoryResults(BadEstimateInput):
    """Pool and individual results that the assay as given cannot produce together."""


def accuracy(se: Sequence[float], sp: Sequence[float]) -> Accuracy:
    """Se/Sp from one value (both tests) or two (pool test, individual test)."""
    for name, values in (("se", se), ("sp", sp)):
        if len(values) not in (1, 2):
            raise BadEstimateInput(
                _("--{name} takes one value, or two (pool,individual); got {count}").format(
                    name=name, count=len(values)
                )
            )
    return Accuracy(se[0], sp[0], se[-1], sp[-1])


@attrs.frozen(slots=True)
class GroupEstimate:
    """One compound or building."""

    compound: str
    building: str | None
    people: int
    pools: int
    positive_pools: int
    prevalence: float
    ci95: tuple[float, float]
    p_value: float
    above_district: bool

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"compound": self.compound}
        if self.building is not None:
            out["building"] = self.building
        out.update(
            people=self.people,
            pools=self.pools,
            positive_pools=self.positive_pools,
            prevalence=self.prevalence,
            ci95=list(self.ci95),
            p_value=self.p_value,
            above_district=self.above_district,
        )
        return out


@attrs.frozen(slots=True)
class CampaignEstimate:
    """The campaign's prevalence estimate (JSON keys: docs/formats.md)."""

    campaign: str
    prevalence: float
    ci95: tuple[float, float]
    pools: int
    positive_pools: int
    people: int
    pools_without_result: int
    individual_results: int
    accuracy: Accuracy
    by: str | None
    groups: tuple[GroupEstimate, ...] = ()

    @property
    def above_district(self) -> tuple[GroupEstimate, ...]:
        """The groups significantly above the district (``poolab.reports.risk``)."""
        return tuple(g for g in self.groups if g.above_district)

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` object: the contract keys first, then the rest."""
        out: dict[str, Any] = {
            "prevalence": self.prevalence,
            "ci95": list(self.ci95),
            "pools": self.pools,
            "positive_pools": self.positive_pools,
        }
        if self.by is not None:
            out["groups"] = [g.as_dict() for g in self.groups]
        a = self.accuracy
        out.update(
            campaign=self.campaign,
            people=self.people,
            pools_without_result=self.pools_without_result,
            individual_results=self.individual_results,
            se=[a.se_pool, a.se_individual],
            sp=[a.sp_pool, a.sp_individual],
            method=METHOD,
        )
        if self.by is not None:
            out["by"] = self.by
            out["above_district"] = [g.as_dict() for g in self.above_district]
            out["above_district_test"] = RISK_TEST
        return out


def estimate_campaign(
    store: Store,
    campaign: str,
    *,
    se: Sequence[float] = (1.0,),
    sp: Sequence[float] = (1.0,),
    by: str | None = None,
    risk_output: Output | None = None,
) -> CampaignEstimate:
    """Estimate the prevalence of ``campaign`` from its pool and individual results; with
    ``risk_output``, also write every group's figures there, flagged when above the
    district (needs ``by``)."""
    from poolab.store.campaigns import campaign_by_name
    from poolab.store.estimates import pool_calls, pool_places, resident_places

    acc = accuracy(se, sp)
    if by is not None and by not in GROUPINGS:
        raise BadEstimateInput(
            _("--by takes {choices} (value {value})").format(choices=" or ".join(GROUPINGS), value=repr(by))
        )
    if risk_output is not None and by is None:
        raise BadEstimateInput(
            _("-o writes each compound's or building's figures: give --by compound or --by building")
        )
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        data = pool_calls(conn, campaign_id=info.id)
        places = pool_places(conn, campaign_id=info.id) if by else []
        used_ind = np.array([c in CONCLUSIVE_INDIVIDUAL for c in data.ind_call], dtype=bool)
        homes = resident_places(conn, pks=data.ind_resident[used_ind].tolist()) if by else {}
    used = np.array([c in CONCLUSIVE_POOL for c in data.pool_call], dtype=bool)
    if not used.any():
        raise BadEstimateInput(
            _("campaign {campaign} has no pool result yet ({count} pools without one): nothing to estimate").format(
                campaign=repr(info.name), count=len(data.pool_call)
            )
        )
    positive = np.array([c in POSITIVE for c in data.pool_call], dtype=bool)
    used_ind &= used[data.ind_pool] if data.ind_pool.size else used_ind
    ind_positive = np.array([c == "positive" for c in data.ind_call], dtype=bool)
    # overall: one row per pool with a result
    row_of_pool = np.full(data.pool_id.shape[0], -1, dtype=np.int64)
    row_of_pool[used] = np.arange(int(used.sum()))
    sizes = data.pool_size[used]
    z = np.zeros(sizes.shape[0], dtype=np.int64)
    rows = PoolRows(
        group=z,
        inside=sizes,
        outside=z.copy(),
        positive=positive[used],
        ind_row=row_of_pool[data.ind_pool[used_ind]],
        ind_member=data.ind_resident[used_ind],
        ind_inside=np.ones(int(used_ind.sum()), dtype=bool),
        ind_positive=ind_positive[used_ind],
        groups=1,
    )
    overall = fit(rows, acc)
    if overall.impossible[0]:
        _refuse(store, info.name, data, np.flatnonzero(used)[contradictions(rows, acc)], used_ind, ind_positive, acc)
    p_d = float(overall.prevalence[0])
    groups: tuple[GroupEstimate, ...] = ()
    if by is not None:
        groups = _by_group(data, places, homes, used, positive, used_ind, ind_positive, by, acc, p_d)
    result = CampaignEstimate(
        campaign=info.name,
        prevalence=p_d,
        ci95=(float(overall.low[0]), float(overall.high[0])),
        pools=int(used.sum()),
        positive_pools=int(positive[used].sum()),
        people=int(sizes.sum()),
        pools_without_result=int((~used).sum()),
        individual_results=int(used_ind.sum()),
        accuracy=acc,
        by=by,
        groups=groups,
    )
    if risk_output is not None:
        write_risk_csv(result, risk_output)
    return result


def _by_group(
    data: Any,
    places: list[tuple[int, str, str, int]],
    homes: dict[int, tuple[str, str]],
    used: np.ndarray,
    positive: np.ndarray,
    used_ind: np.ndarray,
    ind_positive: np.ndarray,
    by: str,
    acc: Accuracy,
    p_d: float,
) -> tuple[GroupEstimate, ...]:
    """Rows per (pool, group), fitted together with the district's estimate as offset."""

    def label(compound: str, building: str) -> tuple[str, str]:
        return (compound, building if by == "building" else "")

    pool_index = {int(t): i for i, t in enumerate(data.pool_id.tolist())}
    counts: dict[tuple[int, tuple[str, str]], int] = {}
    for tube, compound, building, n in places:
        i = pool_index.get(int(tube))
        if i is None or not used[i]:
            continue
        key = (i, label(compound, building))
        counts[key] = counts.get(key, 0) + int(n)
    labels = sorted({k[1] for k in counts}, key=lambda lb: (natural_key(lb[0]), natural_key(lb[1])))
    group_of = {lb: g for g, lb in enumerate(labels)}
    keys = sorted(counts, key=lambda k: (k[0], group_of[k[1]]))
    row_pool = np.asarray([k[0] for k in keys], dtype=np.int64)
    row_group = np.asarray([group_of[k[1]] for k in keys], dtype=np.int64)
    inside = np.asarray([counts[k] for k in keys], dtype=np.int64)
    outside = data.pool_size[row_pool] - inside
    # individual results: one record per (result, row of its pool)
    rows_of_pool: dict[int, list[int]] = {}
    for r, i in enumerate(row_pool.tolist()):
        rows_of_pool.setdefault(i, []).append(r)
    rec_row, rec_member, rec_inside, rec_pos = [], [], [], []
    for j in np.flatnonzero(used_ind).tolist():
        pk = int(data.ind_resident[j])
        home = group_of.get(label(*homes[pk])) if pk in homes else None
        for r in rows_of_pool.get(int(data.ind_pool[j]), []):
            rec_row.append(r)
            rec_member.append(pk)
            rec_inside.append(home == int(row_group[r]))
            rec_pos.append(bool(ind_positive[j]))
    rows = PoolRows(
        group=row_group,
        inside=inside,
        outside=outside,
        positive=positive[row_pool],
        ind_row=np.asarray(rec_row, dtype=np.int64),
        ind_member=np.asarray(rec_member, dtype=np.int64),
        ind_inside=np.asarray(rec_inside, dtype=bool),
        ind_positive=np.asarray(rec_pos, dtype=bool),
        groups=len(labels),
    )
    result = fit(rows, acc, offset=p_d)
    if result.impossible.any():  # the district fitted, so a group cannot fail: kept as a guard
        raise ContradictoryResults(
            "no prevalence explains the results of "
            + ", ".join(" ".join(lb).strip() for g, lb in enumerate(labels) if result.impossible[g])
        )
    people = np.bincount(row_group, inside, minlength=len(labels)).astype(np.int64)
    order = np.argsort(row_group, kind="stable")
    starts = np.searchsorted(row_group[order], np.arange(len(labels) + 1))
    pvalues = np.ones(len(labels))
    for g in range(len(labels)):
        members = order[starts[g] : starts[g + 1]]
        observed = int(positive[row_pool[members]].sum())
        if result.prevalence[g] > p_d:
            pvalues[g] = upper_tail(data.pool_size[row_pool[members]], observed, p_d, acc.se_pool, acc.sp_pool)
    flags = holm(pvalues, ALPHA)
    return tuple(
        GroupEstimate(
            compound=lb[0],
            building=lb[1] if by == "building" else None,
            people=int(people[g]),
            pools=int(result.pools[g]),
            positive_pools=int(result.positive_pools[g]),
            prevalence=float(result.prevalence[g]),
            ci95=(float(result.low[g]), float(result.high[g])),
            p_value=float(pvalues[g]),
            above_district=bool(flags[g]),
        )
        for g, lb in enumerate(labels)
    )


def _accuracy_text(a: float, b: float) -> str:
    return f"{a:g}" if a == b else f"{a:g},{b:g}"


def _refuse(
    store: Store,
    campaign: str,
    data: Any,
    pools: np.ndarray,
    used_ind: np.ndarray,
    ind_positive: np.ndarray,
    acc: Accuracy,
) -> None:
    """Raise ``ContradictoryResults`` naming the first pools (indices into ``data``) whose
    results contradict their members' individual results."""
    from poolab.store.estimates import tube_barcodes

    shown = pools[:EXAMPLES_NAMED].tolist()
    with store.read() as conn:
        codes = tube_barcodes(conn, ids=[int(data.pool_id[i]) for i in shown])
    examples = []
    for i in shown:
        mine = used_ind & (data.ind_pool == i)
        positive, negative = int((mine & ind_positive).sum()), int((mine & ~ind_positive).sum())
        code, call, size = codes.get(int(data.pool_id[i]), "?"), data.pool_call[i], int(data.pool_size[i])
        tested = len(set(data.ind_resident[mine].tolist()))
        if call in POSITIVE and positive == 0 and tested == size:
            examples.append(
                _("pool {tube} {call} with all {size} of its members negative alone").format(
                    tube=code, call=call_word(call), size=size
                )
            )
        else:
            examples.append(
                _(
                    "pool {tube} {call} with {positive} positive and {negative} negative results of its members alone"
                ).format(tube=code, call=call_word(call), positive=positive, negative=negative)
            )
    more = _(" (and {count} more)").format(count=len(pools) - len(shown)) if len(pools) > len(shown) else ""
    se = _accuracy_text(acc.se_pool, acc.se_individual)
    sp = _accuracy_text(acc.sp_pool, acc.sp_individual)
    raise ContradictoryResults(
        _(
            "campaign {campaign}: no prevalence explains these results under --se {se} --sp {sp}: "
            "an assay that accurate cannot give {examples}{more}; "
            "give the kit's sensitivity and specificity (e.g. --se 0.95,0.98 --sp 0.995), "
            "or correct a wrong result with results import --amend --reason"
        ).format(campaign=repr(campaign), se=se, sp=sp, examples=_("; ").join(examples), more=more)
    )


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting "Building 2" before "Building 10" (digits compare as numbers)."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part)


def write_risk_csv(estimate: CampaignEstimate, output: Output) -> int:
    """Every group's figures as CSV (``RISK_COLUMNS``; ``above_district`` 1 for the groups
    the risk test flags, 0 for the rest), written whole or not at all (``write_csv``).
    Returns the rows written."""
    rows = [
        (
            g.compound,
            g.building or "",
            str(g.people),
            str(g.pools),
            str(g.positive_pools),
            f"{g.prevalence:.6g}",
            f"{g.ci95[0]:.6g}",
            f"{g.ci95[1]:.6g}",
            f"{estimate.prevalence:.6g}",
            f"{g.p_value:.3g}",
            "1" if g.above_district else "0",
        )
        for g in estimate.groups
    ]
    return write_csv(output, RISK_COLUMNS, rows, private=False)
