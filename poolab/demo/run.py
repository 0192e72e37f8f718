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
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import attrs
import numpy as np

from poolab.plan.dilution import DilutionModel

INCONCLUSIVE_BAND = 2.0  # Ct within this of the limit: one target only -> inconclusive


@attrs.frozen(slots=True)
class DemoStep:
    """One timed step of the demo."""

    name: str
    seconds: float
    detail: str


@attrs.frozen(slots=True)
class DemoReport:
    """What the demo did and whether its confirmed positives are the right people."""

    folder: str
    campaign: str
    steps: tuple[DemoStep, ...]
    infected: tuple[str, ...]
    detectable: tuple[str, ...]  # infected residents the simulated assay detects
    confirmed: tuple[str, ...]

    @property
    def total_seconds(self) -> float:
        return sum(s.seconds for s in self.steps)

    @property
    def exact(self) -> bool:
        return self.confirmed == self.detectable

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


def _refuse_foreign_store(db: str) -> None:
    """An earlier demo's store may be replaced; anything else there is somebody's work."""
    from poolab.errors import PoolabError, StoreFault
    from poolab.store.engine import open_store

    try:
        store = open_store(f"sqlite:///{db}")
    except PoolabError:
        raise PoolabError(
            f"{db} exists and is not a poolab demo store; the demo would replace it: "
            "choose another --folder, or give --force to replace it"
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
            f"{db} holds a roster of {residents:,} residents (no campaign yet): the demo would replace "
            "that store; choose another --folder, or give --force to replace it"
        )
    if names and names != [DEMO_CAMPAIGN]:
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        raise PoolabError(
            f"{db} holds campaigns {shown}: the demo would replace that store; "
            "choose another --folder, or give --force to replace it"
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
) -> DemoReport:
    """Run the loop in ``folder`` (created; an earlier demo's store there is replaced, any
    other store only with ``force``). ``paper`` also prints: tube labels, the sampling
    team's PDF manifest and the retest labels (needs the print extra; seconds for a
    district, so not by default). The lab works at the bench: tubes onto plates of
    ``plate_size`` wells, a QuantStudio export per plate imported as it is, failed runs
    onto a later plate."""
    if paper:
        from poolab.paper.extra import require_print

        require_print()  # before any work: one line naming the extra
    from poolab.field.campaigns import create_campaign
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

    @contextmanager
    def step(name: str) -> Iterator[list[str]]:
        detail: list[str] = []
        t0 = time.perf_counter()
        yield detail
        s = DemoStep(name, time.perf_counter() - t0, "; ".join(detail))
        steps.append(s)
        if on_step is not None:
            on_step(s)

    path = lambda name: os.path.join(folder, name)  # noqa: E731
    campaign = DEMO_CAMPAIGN

    with step("roster demo") as d:
        district = generate_district(residents=residents, households=households, compounds=compounds, seed=seed)
        write_roster_csv(district, path("roster.csv"))
        d.append(f"{len(district)} residents -> roster.csv")
    with step("init + roster import") as d:
        store, _ = init_store(f"sqlite:///{db}")
        s = import_roster(store, path("roster.csv"), operator=operator)
        d.append(f"{s.inserted} residents imported")
    with step("campaign new") as d:
        c = create_campaign(store, campaign, operator=operator)
        d.append(f"{c.tubes} tubes (lower bound {c.lower_bound}), {100 * c.single_building_share:.1f}% in one building")
    with step("manifest") as d:
        m = write_manifest(store, campaign, path("manifest.csv"))
        d.append(f"{m.rows} rows -> manifest.csv")
    if paper:
        from poolab.paper.jobs import write_labels, write_manifest_pdf

        with step("manifest PDF + labels") as d:
            sheet = write_manifest_pdf(store, campaign, path("manifest.pdf"))
            labels = write_labels(store, campaign, path("labels.pdf"))
            d.append(f"{sheet.pages} pages -> manifest.pdf; {labels.items} labels -> labels.pdf")
    # The truth: who is infected and how much virus their swab carries.
    chosen = rng.choice(len(district), size=min(infected, len(district)), replace=False)
    person_ct = {district.resident_id[int(i)]: float(rng.normal(model.ct_mean, model.ct_sd)) for i in chosen}
    with step("collection (simulated)") as d:
        n = mark_collected(store, campaign, operator=operator)
        d.append(f"{n} tubes collected")
    manifest_tubes: dict[str, list[str]] = {}
    with open(path("manifest.csv"), encoding="utf-8", newline="") as f:
        reader = csv.reader(f)  # plain rows: a district's worth, DictReader is twice as slow
        header = next(reader)
        code_at, rid_at = header.index("tube_barcode"), header.index("resident_id")
        for fields in reader:
            manifest_tubes.setdefault(fields[code_at], []).append(fields[rid_at])
    with step("receive") as d:
        codes = list(manifest_tubes)
        order = rng.permutation(len(codes))
        with open(path("receive-scans.txt"), "w", encoding="utf-8") as f:
            f.write("".join(codes[i] + "\n" for i in order))
        r = receive(
            store, campaign, scan_lines(path("receive-scans.txt")), source="receive-scans.txt", operator=operator
        )
        d.append(f"{r.accepted} tubes received, {r.refused} refused")

    def tube_result(members: list[str]) -> tuple[str, float]:
        cts = np.asarray([person_ct[m] for m in members if m in person_ct], dtype=float)
        ct = _pool_ct(cts, len(members))
        return _call(ct, model.limit_ct), ct

    def plate_run(map_file: str, prefix: str, fail: float) -> tuple[int, list[str]]:
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

    members_of = dict(manifest_tubes)
    with step("plates + qPCR exports") as d:
        ps = new_plates(store, campaign, path("plates.csv"), size=plate_size, operator=operator)
        n_plates, failed = plate_run("plates.csv", "qpcr", invalid_rate)
        d.append(f"{len(ps.plates)} plates of {plate_size} -> plates.csv; {n_plates} QuantStudio exports imported")
        d.append(f"{len(failed)} invalid")
    with step("rerun (a later plate)") as d:
        rr = write_rerun(store, campaign, path("rerun.csv"))
        if rr.rows:
            again = new_plates(store, campaign, path("plates-rerun.csv"), size=plate_size, operator=operator)
            plate_run("plates-rerun.csv", "qpcr-rerun", 0.0)
            d.append(f"{rr.rows} tubes re-run on {len(again.plates)} plate(s) -> rerun.csv")
        else:
            d.append("no tube to re-run")
    with step("retest list") as d:
        rt = write_retest(store, campaign, path("retest.csv"), operator=operator)
        d.append(f"{rt.rows} residents to resample -> retest.csv")
    if paper and rt.rows:
        with step("retest labels") as d:
            r_labels = write_labels(store, campaign, path("retest-labels.pdf"), what="retest")
            d.append(f"{r_labels.items} labels -> retest-labels.pdf")
    retest_rows = []
    with open(path("retest.csv"), encoding="utf-8", newline="") as f:
        retest_rows = list(csv.DictReader(f))
    with step("retest receive + plates") as d:
        codes = [r["retest_tube_barcode"] for r in retest_rows]
        with open(path("retest-scans.txt"), "w", encoding="utf-8") as f:
            f.write("".join(c + "\n" for c in codes))
        receive(store, campaign, scan_lines(path("retest-scans.txt")), source="retest-scans.txt", operator=operator)
        for row in retest_rows:
            members_of[row["retest_tube_barcode"]] = [row["resident_id"]]
        if codes:
            rp = new_plates(store, campaign, path("plates-retest.csv"), size=plate_size, operator=operator)
            plate_run("plates-retest.csv", "qpcr-retest", 0.0)
            d.append(f"{len(codes)} individual tubes on {len(rp.plates)} plate(s)")
    with step("positives") as d:
        p = write_positives(store, campaign, path("positives.csv"))
        confirmed = positive_resident_ids(store, campaign)
        st = campaign_status(store, campaign)
        pools = st.pool_results
        d.append(
            f"{p.rows} confirmed positive -> positives.csv (from {pools['positive']} positive and "
            f"{pools['inconclusive']} inconclusive pools, every member retested)"
        )
    store.dispose()
    # Detected = the simulated assay finds them: their pool is not negative and their
    # own tube is positive (an inconclusive individual tube would be resampled again).
    resampled = {r["resident_id"] for r in retest_rows}
    detectable = sorted(
        rid for rid, ct in person_ct.items() if rid in resampled and _call(ct, model.limit_ct) == "positive"
    )
    return DemoReport(
        folder=folder,
        campaign=campaign,
        steps=tuple(steps),
        infected=tuple(sorted(person_ct)),
        detectable=tuple(detectable),
        confirmed=tuple(confirmed),
    )
