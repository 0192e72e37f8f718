"""Summaries of what a workflow step did, returned to its caller (the CLI prints them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from poolab.errors import Problem

if TYPE_CHECKING:
    from poolab.reports.timing import CampaignTiming


@attrs.frozen(slots=True)
class RosterImportSummary:
    """What `roster import` did."""

    source: str
    encoding: str
    rows: int
    inserted: int
    updated: int
    unchanged: int


@attrs.frozen(slots=True)
class CampaignSummary:
    """A new campaign and the quality of its pooling."""

    name: str
    residents: int
    tubes: int
    lower_bound: int  # Σ over compounds of ceil(residents / pool size)
    single_building_share: float
    pool_size: int
    field_binding: bool


@attrs.frozen(slots=True)
class ScanReport:
    """What a scan stream did: every good scan kept, every bad one reported."""

    accepted: int
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()
    fault: str | None = None  # the store failure that stopped the stream
    unsaved_from: int | None = None  # with a fault: the first line that may not be stored
    interrupted: bool = False  # stopped by Ctrl-C after committing what was pending

    @property
    def refused(self) -> int:
        return len(self.problems)


@attrs.frozen(slots=True)
class ResultImportSummary:
    """What `results import` did (``already_imported`` when the file was seen before)."""

    source: str
    rows: int
    recorded: int
    unchanged: int
    amended: int
    already_imported: bool = False
    ignored_columns: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class ExportSummary:
    """A CSV written: where, how many rows, and anything worth saying."""

    path: str
    rows: int
    new: int = 0


@attrs.frozen(slots=True)
class TubeCounts:
    """Tubes by their furthest step."""

    planned: int
    collected: int
    received: int
    resulted: int


@attrs.frozen(slots=True)
class CampaignStatus:
    """`poolab status`: counts by state (keys: docs/formats.md, "--json output")."""

    campaign: str
    residents: int
    pools: int
    tubes: TubeCounts
    results: dict[str, int]
    retest: int
    confirmed_positive: int
    missing_results: int
    awaiting_receipt: int
    awaiting_collection: int = 0
    pool_results: dict[str, int] = attrs.Factory(dict)  # results, pool tubes only
    individual_results: dict[str, int] = attrs.Factory(dict)  # results, individual (retest) tubes only
    timing: CampaignTiming | None = None  # turnaround and late tubes (the command post's)

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "campaign": self.campaign,
            "residents": self.residents,
            "pools": self.pools,
            "tubes": attrs.asdict(self.tubes),
            "results": dict(self.results),
            "retest": self.retest,
            "confirmed_positive": self.confirmed_positive,
            "missing_results": self.missing_results,
            "awaiting_receipt": self.awaiting_receipt,
            "awaiting_collection": self.awaiting_collection,
            "pool_results": dict(self.pool_results),
            "individual_results": dict(self.individual_results),
        }
        if self.timing is not None:
            out["turnaround"] = self.timing.turnaround_json()
            out["late"] = self.timing.late_json()
        return out
