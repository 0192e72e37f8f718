"""`poolab demo`: the whole district loop on an embedded SQLite store, timed.

Generate the seed district, import it, create a campaign, write the manifest, simulate
collection and reception, simulate a lab (infected residents carry a Ct value; a pool's
Ct follows from the mean concentration of its members, see ``poolab.plan.dilution``),
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

from poolab.csvio import write_csv
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


def _call(ct: float, limit: float) -> str:
    if not math.isfinite(ct) or ct > limit:
        return "negative"
    return "inconclusive" if ct > limit - INCONCLUSIVE_BAND else "positive"


def _pool_ct(cts: np.ndarray, size: int) -> float:
    """Ct of a tube of ``size`` swabs whose infected members have Ct ``cts``."""
    if cts.size == 0:
        return math.inf
    return float(-np.log2(np.sum(np.exp2(-cts)) / size))


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
) -> DemoReport:
    """Run the loop in ``folder`` (created; an earlier demo there is replaced). ``paper``
    also prints: tube labels, the sampling team's PDF manifest and the retest labels
    (needs the print extra; seconds for a district, so not by default)."""
    if paper:
        from poolab.paper.extra import require_print

        require_print()  # before any work: one line naming the extra
    from poolab.campaigns import create_campaign
    from poolab.reception import receive
    from poolab.resolve import campaign_status, positive_resident_ids, write_positives, write_rerun, write_retest
    from poolab.results import import_results
    from poolab.roster import write_roster_csv
    from poolab.roster_import import import_roster
    from poolab.rosterdemo import generate_district
    from poolab.sampling import mark_collected, write_manifest
    from poolab.scans import scan_lines
    from poolab.store.engine import init_store

    model = dilution or DilutionModel()
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    db = os.path.join(folder, "poolab.db")
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
    campaign = "demo-day1"

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
        for row in csv.DictReader(f):
            manifest_tubes.setdefault(row["tube_barcode"], []).append(row["resident_id"])
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

    def result_row(code: str, call: str, ct: float) -> tuple[str, str, str, str]:
        if call == "negative":
            return (code, call, "", "")
        return (code, call, f"{ct:.2f}", f"{ct + rng.normal(0.0, 0.5):.2f}")

    with step("pool results import") as d:
        rows, failed = [], []
        for code, members in manifest_tubes.items():
            if rng.random() < invalid_rate:
                rows.append((code, "invalid", "", ""))
                failed.append(code)
                continue
            call, ct = tube_result(members)
            rows.append(result_row(code, call, ct))
        write_csv(path("results-pools.csv"), ("tube_barcode", "result", "ct_orf1ab", "ct_n"), rows)
        imp = import_results(store, campaign, path("results-pools.csv"), operator=operator)
        d.append(f"{imp.recorded} results, {len(failed)} invalid")
    with step("rerun") as d:
        rr = write_rerun(store, campaign, path("rerun.csv"))
        rows = []
        for code in failed:
            call, ct = tube_result(manifest_tubes[code])
            rows.append(result_row(code, call, ct))
        write_csv(path("results-rerun.csv"), ("tube_barcode", "result", "ct_orf1ab", "ct_n"), rows)
        if rows:
            import_results(store, campaign, path("results-rerun.csv"), operator=operator)
        d.append(f"{rr.rows} tubes re-run")
    with step("retest list") as d:
        rt = write_retest(store, campaign, path("retest.csv"), operator=operator)
        d.append(f"{rt.rows} residents to resample")
    if paper and rt.rows:
        with step("retest labels") as d:
            r_labels = write_labels(store, campaign, path("retest-labels.pdf"), what="retest")
            d.append(f"{r_labels.items} labels -> retest-labels.pdf")
    retest_rows = []
    with open(path("retest.csv"), encoding="utf-8", newline="") as f:
        retest_rows = list(csv.DictReader(f))
    with step("retest receive + results") as d:
        codes = [r["retest_tube_barcode"] for r in retest_rows]
        with open(path("retest-scans.txt"), "w", encoding="utf-8") as f:
            f.write("".join(c + "\n" for c in codes))
        receive(store, campaign, scan_lines(path("retest-scans.txt")), source="retest-scans.txt", operator=operator)
        rows = []
        for row in retest_rows:
            call, ct = tube_result([row["resident_id"]])
            rows.append(result_row(row["retest_tube_barcode"], call, ct))
        write_csv(path("results-retest.csv"), ("tube_barcode", "result", "ct_orf1ab", "ct_n"), rows)
        if rows:
            import_results(store, campaign, path("results-retest.csv"), operator=operator)
        d.append(f"{len(rows)} individual results")
    with step("positives") as d:
        p = write_positives(store, campaign, path("positives.csv"))
        confirmed = positive_resident_ids(store, campaign)
        st = campaign_status(store, campaign)
        d.append(f"{p.rows} confirmed positive -> positives.csv; {st.results['inconclusive']} inconclusive")
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
