"""`poolab demo`: the whole district loop on an embedded SQLite store, timed.

Generate the seed district, import it, create a campaign, write the manifest, simulate
collection and reception, simulate a lab bench (tubes onto plates beside their controls;
a QuantStudio export per plate: infected residents carry a Ct value, a pool's Ct follows
from the mean concentration of its members, see ``poolab.plan.dilution``; failed runs
onto a later plate),
resolve, simulate the individual retests, and list the confirmed positives. Every file
the loop writes stays in the demo folder beside the store.
"""

from __future__ import annotations

import csv
import itertools
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import TYPE_CHECKING

import attrs
import numpy as np

from poolab.i18n import _
from poolab.plan.dilution import DilutionModel

if TYPE_CHECKING:
    from poolab.reports.rounds import RoundsReport
    from poolab.roster.file import Roster

INCONCLUSIVE_BAND = 2.0  # Ct within this of the limit: one target only -> inconclusive


@attrs.frozen(slots=True)
class DemoStep:
    """One timed step of the demo."""

    name: str
    seconds: float
    detail: str


@attrs.frozen(slots=True)
class DemoDay:
    """One day of the demo: who was infected that day, whom the simulated assay could
    find, and whom the workflow confirmed."""

    campaign: str
    infected: tuple[str, ...]
    detectable: tuple[str, ...]  # infected residents the simulated assay detects that day
    confirmed: tuple[str, ...]

    @property
    def exact(self) -> bool:
        return self.confirmed == self.detectable


@attrs.frozen(slots=True)
class DemoReport:
    """What the demo did and whether its confirmed positives are the right people (with
    several days: over the days, and each day in ``days``)."""

    folder: str
    campaign: str
    steps: tuple[DemoStep, ...]
    infected: tuple[str, ...]
    detectable: tuple[str, ...]  # infected residents the simulated assay detects
    confirmed: tuple[str, ...]
    days: tuple[DemoDay, ...] = ()
    rounds: RoundsReport | None = None
    """``poolab rounds`` of the last day (with several days)."""

    @property
    def total_seconds(self) -> float:
        return sum(s.seconds for s in self.steps)

    @property
    def exact(self) -> bool:
        return self.confirmed == self.detectable and all(d.exact for d in self.days)

    @property
    def missed(self) -> tuple[str, ...]:
        """Infected residents the simulated assay could not see (diluted, or below its limit)."""
        return tuple(sorted(set(self.infected) - set(self.confirmed)))


def _call(ct: float, limit: float) -> str:
    if not math.isfinite(ct) or ct > limit:
        return "negative"
    return "inconclusive" if ct > limit - INCONCLUSIVE_BAND else "positive"


def _pool_ct(cts: np.ndarray, size: int) -> float:
    """Ct of a tube of ``size`` swabs whose infected members have Ct ``cts``."""
    if cts.size == 0:
        return math.inf
    return float(-np.log2(np.sum(np.exp2(-cts)) / size))


DEMO_CAMPAIGN = "demo-day1"
_DEMO_DAY = re.compile(r"demo-day[0-9]+")
HOUSEHOLD_ATTACK = 0.1
"""With several days: the chance a day at home with an infected household member infects a resident."""


def _refuse_foreign_store(db: str) -> None:
    """An earlier demo's store may be replaced; anything else there is somebody's work."""
    from poolab.errors import PoolabError, StoreFault
    from poolab.store.engine import open_store

    try:
        store = open_store(f"sqlite:///{db}")
    except PoolabError:
        raise PoolabError(
            _(
                "{db} exists and is not a poolab demo store; the demo would replace it: "
                "choose another --folder, or give --force to replace it"
            ).format(db=db)
        ) from None
    residents = 0
    try:
        from poolab.field.campaigns import list_campaigns

        names = [row[0] for row in list_campaigns(store)]
        if not names:  # a roster imported, no campaign yet: that roster is someone's work too
            from poolab.store.residents import count_residents

            with store.read() as conn:
                residents = count_residents(conn)
    except StoreFault:
        names = ["?"]
    finally:
        store.dispose()
    if residents:
        raise PoolabError(
            _(
                "{db} holds a roster of {residents} residents (no campaign yet): the demo would replace "
                "that store; choose another --folder, or give --force to replace it"
            ).format(db=db, residents=f"{residents:,}")
        )
    if names and not all(_DEMO_DAY.fullmatch(n) for n in names):
        shown = ", ".join(names[:10])
        if len(names) > 10:
            shown = _("{names} and {count} more").format(names=shown, count=len(names) - 10)
        raise PoolabError(
            _(
                "{db} holds campaigns {names}: the demo would replace that store; "
                "choose another --folder, or give --force to replace it"
            ).format(db=db, names=shown)
        )


def run_demo(
    folder: str,
    *,
    seed: int = 0,
    infected: int = 25,
    residents: int = 97488,
    households: int = 58937,
    compounds: int = 38,
    invalid_rate: float = 0.002,
    operator: str = "demo",
    dilution: DilutionModel | None = None,
    on_step: Callable[[DemoStep], None] | None = None,
    paper: bool = False,
    plate_size: int = 384,
    force: bool = False,
    days: int = 1,
    household_attack: float = HOUSEHOLD_ATTACK,
) -> DemoReport:
    """Run the loop in ``folder`` (created; an earlier demo's store there is replaced, any
    other store only with ``force``). ``paper`` also prints: tube labels, the sampling
    team's PDF manifest and the retest labels (needs the print extra; seconds for a
    district, so not by default). The lab works at the bench: tubes onto plates of
    ``plate_size`` wells, a QuantStudio export per plate imported as it is, failed runs
    onto a later plate.

    ``days`` > 1: the silent period, one round a day, each following the one before
    (``campaign new --after``); the roster marks the elderly living alone for home
    visits. Infections carry forward: the infected not yet found stay infected, and each
    morning a resident at home with an infected household member is infected with
    chance ``household_attack`` per such member (the confirmed positives of earlier days
    are in isolation). Each day but the last, one resident's retest tube is lost, so the
    next day swabs them alone (pending). Day 1's files keep their names; later days'
    files start with ``dayN-``."""
    if paper:
        from poolab.paper.extra import require_print

        require_print()  # before any work: one line naming the extra
    if days < 1:
        from poolab.errors import PoolabError

        raise PoolabError(_("--days must be at least 1 (value {days})").format(days=days))
    from poolab.field.campaigns import create_campaign
    from poolab.field.rounds import RoundRules
    from poolab.field.sampling import mark_collected, write_manifest
    from poolab.field.scans import scan_lines
    from poolab.lab.bench.exports import import_file
    from poolab.lab.bench.plates import new_plates
    from poolab.lab.instruments.synthetic import quantstudio_text
    from poolab.lab.reception import receive
    from poolab.lab.resolve import positive_resident_ids, write_positives, write_rerun, write_retest
    from poolab.reports.status import campaign_status
    from poolab.roster.file import write_roster_csv
    from poolab.roster.importing import import_roster
    from poolab.roster.synthetic import generate_district
    from poolab.store.engine import init_store

    model = dilution or DilutionModel()
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    db = os.path.join(folder, "poolab.db")
    if os.path.exists(db) and not force:
        _refuse_foreign_store(db)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    steps: list[DemoStep] = []
    day = 1

    @contextmanager
    def step(name: str) -> Iterator[list[str]]:
        detail: list[str] = []
        t0 = time.perf_counter()
        yield detail
        shown = name if day == 1 else _("day {day}: {step}").format(day=day, step=name)
        s = DemoStep(shown, time.perf_counter() - t0, _("; ").join(detail))
        steps.append(s)
        if on_step is not None:
            on_step(s)

    def path(name: str) -> str:
        return os.path.join(folder, name if day == 1 else f"day{day}-{name}")

    with step(_("roster demo")) as d:
        district = generate_district(
            residents=residents, households=households, compounds=compounds, seed=seed, home_visits=days > 1
        )
        write_roster_csv(district, path("roster.csv"))
        d.append(_("{count} residents -> {file}").format(count=len(district), file="roster.csv"))
    with step(_("init + roster import")) as d:
        store, _created = init_store(f"sqlite:///{db}")
        s = import_roster(store, path("roster.csv"), operator=operator)
        d.append(_("{count} residents imported").format(count=s.inserted))
    person_ct: dict[str, float] = {}  # the truth: who is infected, and how much virus a swab carries

    def tube_result(members: list[str]) -> tuple[str, float]:
        cts = np.asarray([person_ct[m] for m in members if m in person_ct], dtype=float)
        ct = _pool_ct(cts, len(members))
        return _call(ct, model.limit_ct), ct

    def plate_run(
        campaign: str, members_of: dict[str, list[str]], map_file: str, prefix: str, fail: float
    ) -> tuple[int, list[str]]:
        """Each plate of ``map_file`` through the qPCR: a QuantStudio export written per
        plate (a tube fails its run with probability ``fail``), imported as it is."""
        failed_tubes: list[str] = []
        plates: dict[str, list[tuple[str, str, str, dict[str, float | None]]]] = {}
        with open(path(map_file), encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                kind, tube = row["kind"], row["tube_barcode"]
                if kind == "empty":
                    continue
                if kind == "positive_control":
                    cts: dict[str, float | None] = {"ORF1ab": 28.4, "N": 29.1, "IC": None}
                elif kind == "negative_control":
                    cts = {"ORF1ab": None, "N": None, "IC": None}
                elif rng.random() < fail:
                    cts = {"ORF1ab": None, "N": None, "IC": None}  # no amplification at all: invalid
                    failed_tubes.append(tube)
                else:
                    cts = well_cts(*tube_result(members_of[tube]))
                plates.setdefault(row["plate_barcode"], []).append((row["well"], kind, tube, cts))
        for code, wells in plates.items():
            export = path(f"{prefix}-{code}.txt")
            with open(export, "w", encoding="utf-8", newline="") as f:
                f.write(quantstudio_text(code, wells, size=plate_size))
            import_file(store, campaign, export, operator=operator, fmt="quantstudio")
        return len(plates), failed_tubes

    def well_cts(call: str, ct: float) -> dict[str, float | None]:
        ic = float(rng.normal(27.0, 1.0))
        if call == "negative":
            return {"ORF1ab": None, "N": None, "IC": ic}
        ct = max(ct, 10.0)  # a swab this loaded reads as early as the instrument reports
        n = None if call == "inconclusive" else ct + float(rng.normal(0.0, 0.5))
        return {"ORF1ab": ct, "N": n, "IC": ic}

    confirmed_on: dict[str, int] = {}  # resident -> the day a retest confirmed them
    reports: list[DemoDay] = []
    for day in range(1, days + 1):
        campaign = f"demo-day{day}"
        with step(_("campaign new")) as d:
            if day == 1:
                c = create_campaign(store, campaign, operator=operator)
            else:
                after = f"demo-day{day - 1}"
                c = create_campaign(store, campaign, operator=operator, after=after, rules=RoundRules())
            d.append(
                _("{tubes} tubes (lower bound {bound}), {share} in one building").format(
                    tubes=c.tubes, bound=c.lower_bound, share=f"{100 * c.single_building_share:.1f}%"
                )
            )
            if day > 1:
                d.append(
                    _(
                        "{isolated} isolated, {contacts} contacts and {pending} pending each alone, "
                        "{home_visits} home visits in {home_tubes} tubes"
                    ).format(
                        isolated=c.isolated,
                        contacts=c.contacts_single,
                        pending=c.pending,
                        home_visits=c.home_visits,
                        home_tubes=c.home_visit_tubes,
                    )
                )
        with step(_("manifest")) as d:
            m = write_manifest(store, campaign, path("manifest.csv"))
            d.append(_("{count} rows -> {file}").format(count=m.rows, file="manifest.csv"))
            if days > 1:
                h = write_manifest(store, campaign, path("home-visits.csv"), home_visits=True)
                d.append(_("{count} rows -> {file}").format(count=h.rows, file="home-visits.csv"))
        if paper and day == 1:
            from poolab.paper.jobs import write_labels, write_manifest_pdf

            with step(_("manifest PDF + labels")) as d:
                sheet = write_manifest_pdf(store, campaign, path("manifest.pdf"))
                labels = write_labels(store, campaign, path("labels.pdf"))
                d.append(
                    _("{pages} pages -> {file}").format(pages=sheet.pages, file="manifest.pdf")
                    + _("; ")
                    + _("{count} labels -> {file}").format(count=labels.items, file="labels.pdf")
                )
        if day == 1:
            chosen = rng.choice(len(district), size=min(infected, len(district)), replace=False)
            for i in chosen:
                person_ct[district.resident_id[int(i)]] = float(rng.normal(model.ct_mean, model.ct_sd))
        else:
            _spread(district, person_ct, confirmed_on, day, household_attack, model, rng)
        with step(_("collection (simulated)")) as d:
            n = mark_collected(store, campaign, operator=operator)
            d.append(_("{count} tubes collected").format(count=n))
        manifest_tubes = _tubes_of(path("manifest.csv"))
        if days > 1:
            manifest_tubes.update(_tubes_of(path("home-visits.csv")))
        sampled = {r for members in manifest_tubes.values() for r in members}
        with step(_("receive")) as d:
            codes = list(manifest_tubes)
            order = rng.permutation(len(codes))
            with open(path("receive-scans.txt"), "w", encoding="utf-8") as f:
                f.write("".join(codes[i] + "\n" for i in order))
            scans = path("receive-scans.txt")
            r = receive(store, campaign, scan_lines(scans), source=os.path.basename(scans), operator=operator)
            d.append(_("{accepted} tubes received, {refused} refused").format(accepted=r.accepted, refused=r.refused))

        members_of = dict(manifest_tubes)
        with step(_("plates + qPCR exports")) as d:
            ps = new_plates(store, campaign, path("plates.csv"), size=plate_size, operator=operator)
            n_plates, failed = plate_run(campaign, members_of, "plates.csv", "qpcr", invalid_rate)
            d.append(
                _("{plates} plates of {size} -> {file}; {exports} QuantStudio exports imported").format(
                    plates=len(ps.plates), size=plate_size, file="plates.csv", exports=n_plates
                )
            )
            d.append(_("{count} invalid").format(count=len(failed)))
        with step(_("rerun (a later plate)")) as d:
            rr = write_rerun(store, campaign, path("rerun.csv"))
            if rr.rows:
                again = new_plates(store, campaign, path("plates-rerun.csv"), size=plate_size, operator=operator)
                plate_run(campaign, members_of, "plates-rerun.csv", "qpcr-rerun", 0.0)
                d.append(
                    _("{tubes} tubes re-run on {plates} plate(s) -> {file}").format(
                        tubes=rr.rows, plates=len(again.plates), file="rerun.csv"
                    )
                )
            else:
                d.append(_("no tube to re-run"))
        with step(_("retest list")) as d:
            rt = write_retest(store, campaign, path("retest.csv"), operator=operator)
            d.append(_("{count} residents to resample -> {file}").format(count=rt.rows, file="retest.csv"))
        if paper and day == 1 and rt.rows:
            with step(_("retest labels")) as d:
                r_labels = write_labels(store, campaign, path("retest-labels.pdf"), what="retest")
                d.append(_("{count} labels -> {file}").format(count=r_labels.items, file="retest-labels.pdf"))
        with open(path("retest.csv"), encoding="utf-8", newline="") as f:
            retest_rows = list(csv.DictReader(f))
        lost: set[str] = set()
        if day < days and retest_rows:  # a tube lost on the way: its resident is pending tomorrow
            lost = {retest_rows[int(rng.integers(len(retest_rows)))]["retest_tube_barcode"]}
        with step(_("retest receive + plates")) as d:
            codes = [r["retest_tube_barcode"] for r in retest_rows if r["retest_tube_barcode"] not in lost]
            with open(path("retest-scans.txt"), "w", encoding="utf-8") as f:
                f.write("".join(c + "\n" for c in codes))
            scans = path("retest-scans.txt")
            receive(store, campaign, scan_lines(scans), source=os.path.basename(scans), operator=operator)
            for row in retest_rows:
                members_of[row["retest_tube_barcode"]] = [row["resident_id"]]
            if codes:
                rp = new_plates(store, campaign, path("plates-retest.csv"), size=plate_size, operator=operator)
                plate_run(campaign, members_of, "plates-retest.csv", "qpcr-retest", 0.0)
                d.append(
                    _("{tubes} individual tubes on {plates} plate(s)").format(tubes=len(codes), plates=len(rp.plates))
                )
            if lost:
                d.append(_("{count} retest tube lost on the way").format(count=len(lost)))
        with step(_("positives")) as d:
            p = write_positives(store, campaign, path("positives.csv"))
            confirmed = positive_resident_ids(store, campaign)
            st = campaign_status(store, campaign)
            pools = st.pool_results
            d.append(
                _(
                    "{count} confirmed positive -> {file} (from {positive} positive and "
                    "{inconclusive} inconclusive pools, every member retested)"
                ).format(
                    count=p.rows, file="positives.csv", positive=pools["positive"], inconclusive=pools["inconclusive"]
                )
            )
        # Detected = the simulated assay finds them: they were sampled, their pool is not
        # negative, their own tube reached the lab and is positive (an inconclusive
        # individual tube would be resampled again).
        resampled = {r["resident_id"] for r in retest_rows if r["retest_tube_barcode"] not in lost}
        detectable = sorted(
            rid
            for rid, ct in person_ct.items()
            if rid in sampled and rid in resampled and _call(ct, model.limit_ct) == "positive"
        )
        for rid in confirmed:
            confirmed_on.setdefault(rid, day)
        today = tuple(sorted(r for r in person_ct if r not in confirmed_on or confirmed_on[r] == day))
        reports.append(DemoDay(campaign, today, tuple(detectable), tuple(confirmed)))
    rounds = None
    if days > 1:
        from poolab.reports.rounds import campaign_rounds

        rounds = campaign_rounds(store, reports[-1].campaign)
    store.dispose()
    return DemoReport(
        folder=folder,
        campaign=reports[-1].campaign,
        steps=tuple(steps),
        infected=tuple(sorted(person_ct)),
        detectable=tuple(sorted({r for d in reports for r in d.detectable})),
        confirmed=tuple(sorted({r for d in reports for r in d.confirmed})),
        days=tuple(reports) if days > 1 else (),
        rounds=rounds,
    )


def _tubes_of(manifest: str) -> dict[str, list[str]]:
    """tube barcode -> resident ids, from a manifest CSV (walk order)."""
    tubes: dict[str, list[str]] = {}
    with open(manifest, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)  # plain rows: a district's worth, DictReader is twice as slow
        header = next(reader)
        code_at, rid_at = header.index("tube_barcode"), header.index("resident_id")
        # a tube's rows are together (walk order), so a tube is one group of rows
        for code, rows in itertools.groupby(reader, key=itemgetter(code_at)):
            tubes.setdefault(code, []).extend(fields[rid_at] for fields in rows)
    return tubes


def _spread(
    district: Roster,
    person_ct: dict[str, float],
    confirmed_on: dict[str, int],
    day: int,
    attack: float,
    model: DilutionModel,
    rng: np.random.Generator,
) -> None:
    """The morning of ``day``: everyone who spent yesterday at home with infected
    household members (not yet isolated: not confirmed before yesterday) is infected
    with chance ``attack`` per such member; the newly infected get their Ct."""
    at_home = {r for r in person_ct if confirmed_on.get(r, day) >= day - 1}
    sources: dict[tuple[str, str], int] = {}
    for rid, comp, hh in zip(district.resident_id, district.compound, district.household_id, strict=True):
        if rid in at_home:
            sources[(comp, hh)] = sources.get((comp, hh), 0) + 1
    if not sources:
        return
    for rid, comp, hh in zip(district.resident_id, district.compound, district.household_id, strict=True):
        k = sources.get((comp, hh), 0)
        if k and rid not in person_ct and rng.random() < 1.0 - (1.0 - attack) ** k:
            person_ct[rid] = float(rng.normal(model.ct_mean, model.ct_sd))
