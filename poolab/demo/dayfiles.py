"""`poolab demo --files DIR`: the scanner and instrument files that the README's "A day in a
district" uses, made by rehearsing that day in a scratch store.

The README's day starts from nothing: ``poolab init``, the district ``poolab roster demo``
writes, ``campaign new day1``, the field's and the lab's scans, plates, the qPCR export of
the first plate and a results CSV for the second, the retest tubes' scans and results.
Every barcode in those files comes from the store's own counters (pool tubes, plates,
retest tubes), so the same steps on a fresh scratch store issue the same barcodes: the
files written here fit the reader's store as long as it is fresh, holds the same district
(the same ``--seed``, ``--residents``, ``--households``, ``--compounds``) and takes the
day's steps in the README's order. (Results keyed in by hand in ``results enter`` change
which people are resampled, and then the retest files no longer fit.)

Who is infected is drawn among the residents of the two plates the day imports, with a Ct
each; a pool's Ct follows from its members' (``poolab.plan.dilution``), as in ``poolab
demo``. One tube of the first plate fails its run (no target, no internal control), so
``poolab rerun`` has something to list.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import attrs
import numpy as np

from poolab.demo.run import _call, _pool_ct
from poolab.errors import PoolabError
from poolab.i18n import _
from poolab.plan.dilution import DilutionModel

DAY = "day1"
"""The campaign the README's day is about."""


@attrs.frozen(slots=True)
class DayFile:
    """One file written: its name in the folder, how many lines of data it holds, and the
    README's command that reads it."""

    name: str
    rows: int
    command: str


@attrs.frozen(slots=True)
class DayFiles:
    """What ``write_day_files`` wrote, and the plates the day's exports are for."""

    folder: str
    files: tuple[DayFile, ...]
    plates: tuple[str, str]
    infected: int


def write_day_files(
    folder: str,
    *,
    seed: int = 0,
    residents: int = 97488,
    households: int = 58937,
    compounds: int = 38,
    infected: int = 25,
    force: bool = False,
    operator: str = "demo",
    on_step: Callable[[str], None] | None = None,
) -> DayFiles:
    """Rehearse the README's day on a scratch store and write the six files it reads
    into ``folder`` (created). A file of that name already there with other content is
    somebody's: refused unless ``force``. ``on_step`` hears each step's name as it starts."""
    from poolab.field.campaigns import create_campaign
    from poolab.field.sampling import collect, write_manifest
    from poolab.field.scans import scan_lines
    from poolab.lab.bench.exports import import_file
    from poolab.lab.bench.plates import new_plates
    from poolab.lab.reception import receive
    from poolab.lab.resolve import write_retest
    from poolab.roster.importing import import_roster
    from poolab.roster.synthetic import write_district
    from poolab.store.engine import init_store

    say = on_step or (lambda _step: None)
    model = DilutionModel()
    rng = np.random.default_rng(seed)
    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="poolab-day-") as scratch:
        here = lambda name: os.path.join(scratch, name)  # noqa: E731
        say(_("the district, as poolab roster demo writes it"))
        write_district(here("district.csv"), residents=residents, households=households, compounds=compounds, seed=seed)
        store, _created = init_store(f"sqlite:///{here('scratch.db')}")
        try:
            import_roster(store, here("district.csv"), operator=operator)
            say(_("campaign new {name}").format(name=DAY))
            create_campaign(store, DAY, operator=operator)
            write_manifest(store, DAY, here("manifest.csv"))
            members: dict[str, list[str]] = {}
            with open(here("manifest.csv"), encoding="utf-8", newline="") as f:
                for row in csv.DictReader(f):
                    members.setdefault(row["tube_barcode"], []).append(row["resident_id"])
            tubes = list(members)  # walk order

            say(_("the field's and the lab's scans"))
            out["field-scans.txt"] = _lines(tubes)
            out["reception-scans.txt"] = _lines([tubes[i] for i in rng.permutation(len(tubes))])
            for name, step in (("field-scans.txt", collect), ("reception-scans.txt", receive)):
                Path(here(name)).write_bytes(out[name])
                step(store, DAY, scan_lines(here(name)), source=name, operator=operator)

            say(_("plates, the first plate's qPCR export, the second's results"))
            new_plates(store, DAY, here("plates.csv"), size=96, operator=operator)
            plates: dict[str, list[dict[str, str]]] = {}
            with open(here("plates.csv"), encoding="utf-8", newline="") as f:
                for row in csv.DictReader(f):
                    plates.setdefault(row["plate_barcode"], []).append(row)
            if len(plates) < 2:
                raise PoolabError(
                    _("the day needs two plates of tubes; this district fills {count}").format(count=len(plates))
                )
            first, second = list(plates)[:2]
            on_plates = [r["tube_barcode"] for p in (first, second) for r in plates[p] if r["kind"] == "sample"]
            people = [rid for tube in on_plates for rid in members[tube]]
            chosen = rng.choice(len(people), size=min(infected, len(people)), replace=False)
            person_ct = {people[int(i)]: float(rng.normal(model.ct_mean, model.ct_sd)) for i in chosen}

            def tube_call(tube: str) -> tuple[str, float]:
                cts = np.asarray([person_ct[m] for m in members[tube] if m in person_ct], dtype=float)
                ct = _pool_ct(cts, len(members[tube]))
                return _call(ct, model.limit_ct), ct

            export, _failed = _quantstudio(first, plates[first], tube_call, rng)
            out[f"run-{first}.txt"] = export.encode("utf-8")
            out[f"plate-{second}.csv"] = _results_csv(
                [r["tube_barcode"] for r in plates[second] if r["kind"] == "sample"], tube_call, rng
            )
            for name in (f"run-{first}.txt", f"plate-{second}.csv"):
                Path(here(name)).write_bytes(out[name])
                import_file(store, DAY, here(name), operator=operator)

            say(_("the retest tubes' scans and results"))
            write_retest(store, DAY, here("retest.csv"), operator=operator)
            with open(here("retest.csv"), encoding="utf-8", newline="") as f:
                retests = [(r["retest_tube_barcode"], r["resident_id"]) for r in csv.DictReader(f)]
            out["retest-scans.txt"] = _lines([code for code, _ in retests])
            out["retest-results.csv"] = _results_csv(
                [code for code, _ in retests],
                lambda code: _individual_call(person_ct.get(dict(retests)[code]), model),
                rng,
            )
        finally:
            store.dispose()
    rows = {name: data.decode("utf-8").count("\n") for name, data in out.items()}
    commands = {
        "field-scans.txt": f"poolab collect {DAY} field-scans.txt",
        "reception-scans.txt": f"poolab receive {DAY} reception-scans.txt",
        f"run-{first}.txt": f"poolab results import {DAY} run-{first}.txt",
        f"plate-{second}.csv": f"poolab results import {DAY} plate-{second}.csv",
        "retest-scans.txt": f"poolab receive {DAY} retest-scans.txt",
        "retest-results.csv": f"poolab results import {DAY} retest-results.csv",
    }
    _write_all(folder, out, force=force)
    files = tuple(
        DayFile(name, rows[name] - (1 if name.endswith(".csv") else 0), command) for name, command in commands.items()
    )
    return DayFiles(folder=folder, files=files, plates=(first, second), infected=len(person_ct))


def _lines(codes: list[str]) -> bytes:
    return "".join(code + "\n" for code in codes).encode("utf-8")


def _quantstudio(
    plate: str,
    rows: list[dict[str, str]],
    tube_call: Callable[[str], tuple[str, float]],
    rng: np.random.Generator,
) -> tuple[str, str]:
    """The QuantStudio text export of one plate (its controls pass), and the tube whose run
    failed (no target, no internal control: invalid)."""
    from poolab.lab.instruments.synthetic import quantstudio_text

    samples = [r for r in rows if r["kind"] == "sample"]
    failed = samples[int(rng.integers(len(samples)))]["tube_barcode"]
    wells: list[tuple[str, str, str, dict[str, float | None]]] = []
    for r in rows:
        kind, tube = r["kind"], r["tube_barcode"]
        if kind == "positive_control":
            wells.append((r["well"], kind, "PC", {"ORF1ab": 28.4, "N": 29.1, "IC": None}))
        elif kind == "negative_control":
            wells.append((r["well"], kind, "NTC", {"ORF1ab": None, "N": None, "IC": None}))
        elif kind == "sample" and tube == failed:
            wells.append((r["well"], kind, tube, {"ORF1ab": None, "N": None, "IC": None}))
        elif kind == "sample":
            call, ct = tube_call(tube)
            orf1ab, n = _cts(call, ct, rng)
            wells.append((r["well"], kind, tube, {"ORF1ab": orf1ab, "N": n, "IC": float(rng.normal(27.0, 1.0))}))
    return quantstudio_text(plate, wells, size=96), failed


def _cts(call: str, ct: float, rng: np.random.Generator) -> tuple[float | None, float | None]:
    """The two targets' Cts a tube with this call and (pooled) Ct shows."""
    if call == "negative":
        return None, None
    ct = round(max(ct, 10.0), 2)  # a swab this loaded reads as early as the instrument reports
    return ct, None if call == "inconclusive" else round(ct + float(rng.normal(0.0, 0.5)), 2)


def _individual_call(ct: float | None, model: DilutionModel) -> tuple[str, float]:
    """A retest tube holds one person's swab: their own Ct, or none."""
    return ("negative", float("inf")) if ct is None else (_call(ct, model.limit_ct), ct)


def _results_csv(tubes: list[str], tube_call: Callable[[str], tuple[str, float]], rng: np.random.Generator) -> bytes:
    """A results CSV (``tube_barcode,result,ct_orf1ab,ct_n``) of these tubes."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("tube_barcode", "result", "ct_orf1ab", "ct_n"))
    for tube in tubes:
        call, ct = tube_call(tube)
        orf1ab, n = _cts(call, ct, rng)
        writer.writerow((tube, call, "" if orf1ab is None else f"{orf1ab:g}", "" if n is None else f"{n:g}"))
    return text.getvalue().encode("utf-8")


def _write_all(folder: str, out: dict[str, bytes], *, force: bool) -> None:
    """Write every file, each whole or not at all; none if one would replace a different
    file of the same name (unless ``force``)."""
    from poolab.files.atomic import atomic_file

    os.makedirs(folder, exist_ok=True)
    for name, data in out.items():
        path = os.path.join(folder, name)
        if force or not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            same = f.read() == data
        if not same:
            raise PoolabError(
                _(
                    "{path} exists and holds something else: the rehearsal would replace it; "
                    "choose another folder, or give --force to replace it"
                ).format(path=path)
            )
    for name, data in out.items():
        with atomic_file(os.path.join(folder, name)) as f:
            f.write(data)
