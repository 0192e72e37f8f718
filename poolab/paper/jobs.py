"""What a campaign prints: tube and retest labels, and the sampling team's PDF manifest.

One call per command. Each reads what it needs from the store, turns it into labels or
sections (names masked unless asked), and hands them to the renderer, which writes the
file beside the target and renames it into place when complete.
"""

from __future__ import annotations

import datetime
import os
import shlex

from sqlalchemy import Connection

from poolab.errors import PoolabError
from poolab.files.meter import Progress, no_progress
from poolab.i18n import _
from poolab.masking import mask_name
from poolab.paper.extra import require_print
from poolab.paper.labels import Label, render_labels
from poolab.paper.manifest_pdf import SheetHeading, render_manifest
from poolab.paper.pdf import PdfSummary
from poolab.paper.places import address, building_name
from poolab.paper.stocks import DEFAULT_STOCK, stock_by_name
from poolab.store.campaigns import CampaignInfo, campaign_by_name
from poolab.store.engine import Store
from poolab.store.paper import campaign_created_at, manifest_members, retest_tubes, tube_places
from poolab.store.plates import campaign_plates
from poolab.store.reports import KIND_INDIVIDUAL, campaign_tubes, pool_members, residents_by_pk
from poolab.store.residents import load_residents

LABEL_KINDS = ("tubes", "retest", "plates")


def write_labels(
    store: Store,
    campaign: str,
    output: str | os.PathLike[str],
    *,
    what: str = "tubes",
    layout: str = DEFAULT_STOCK,
    unmasked: bool = False,
    home_visits: bool = False,
    progress: Progress = no_progress,
) -> PdfSummary:
    """Labels for the campaign's pool tubes (``tubes``: the walk's, or with
    ``home_visits`` the home-visit team's), its individual resample tubes (``retest``),
    in walk order, or its plates (``plates``), oldest first, on the label stock
    ``layout``; returns a ``PdfSummary``. ``progress`` hears the labels drawn."""
    stock = stock_by_name(layout)
    if what not in LABEL_KINDS:
        raise PoolabError(
            _("no labels of kind {kind}; kinds: {kinds}").format(kind=repr(what), kinds=", ".join(LABEL_KINDS))
        )
    if home_visits and what != "tubes":
        raise PoolabError(_("--home-visits prints the home-visit tubes' labels: it goes with --what tubes"))
    require_print()
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        if what == "plates":
            labels = _plate_labels(conn, info)
        elif what == "tubes":
            labels = _tube_labels(conn, info, home_visits=home_visits)
        else:
            labels = _retest_labels(conn, info, unmasked=unmasked)
    return render_labels(
        labels, output, stock, title=_label_title(what, info.name), total=len(labels), progress=progress
    )


def _label_title(what: str, campaign: str) -> str:
    """The PDF's title (a viewer's window shows it)."""
    if what == "plates":
        return _("plates labels {campaign}").format(campaign=campaign)
    if what == "retest":
        return _("retest labels {campaign}").format(campaign=campaign)
    return _("tubes labels {campaign}").format(campaign=campaign)


def _no_home_visit_tubes(campaign: str) -> str:
    return _("campaign {name} has no home-visit tubes (the roster marks nobody home_visit)").format(name=repr(campaign))


def _plate_labels(conn: Connection, info: CampaignInfo) -> list[Label]:
    """One label per plate of the campaign, oldest first."""
    plates = campaign_plates(conn, campaign_id=info.id)
    if not plates:
        raise PoolabError(
            _("campaign {name} has no plates yet: make them with {command}").format(
                name=repr(info.name), command=f"poolab plate new {shlex.quote(info.name)} -o FILE"
            )
        )
    total = len(plates)
    return [
        Label(
            p.barcode,
            (
                _("{campaign} · plate {number} of {total}").format(
                    campaign=info.name, number=f"{i:,}", total=f"{total:,}"
                ),
                _("{samples} samples · {size}-well").format(samples=p.samples, size=p.size),
            ),
        )
        for i, p in enumerate(plates, start=1)
    ]


def _tube_labels(conn: Connection, info: CampaignInfo, *, home_visits: bool = False) -> list[Label]:
    places: dict[str, tuple[str, list[str]]] = {}  # barcode -> (compound, buildings); dicts keep walk order
    for code, compound, building in tube_places(conn, campaign_id=info.id, home_visit=home_visits):
        if code in places:
            places[code][1].append(building_name(building))
        else:
            places[code] = (compound, [building_name(building)] if building else [])
    if not places and home_visits:
        raise PoolabError(_no_home_visit_tubes(info.name))
    if not places:
        if info.field_binding:
            raise PoolabError(
                _(
                    "campaign {name} has no tubes yet (field binding: pre-printed tubes are bound with poolab collect)"
                ).format(name=repr(info.name))
            )
        raise PoolabError(_("campaign {name} has no tubes yet").format(name=repr(info.name)))
    total = len(places)
    caption = (
        _("{campaign} · home visit {number} of {total}") if home_visits else _("{campaign} · tube {number} of {total}")
    )
    return [
        Label(
            code,
            (
                f"{compound} · {' + '.join(buildings)}" if compound else _("(no residents)"),
                caption.format(campaign=info.name, number=f"{i:,}", total=f"{total:,}"),
            ),
        )
        for i, (code, (compound, buildings)) in enumerate(places.items(), start=1)
    ]


def _retest_labels(conn: Connection, info: CampaignInfo, *, unmasked: bool) -> list[Label]:
    rows = retest_tubes(conn, campaign_id=info.id)
    unissued = _unissued_retests(conn, info.id)
    if unissued:
        raise PoolabError(
            _(
                "{count} residents to resample in campaign {name} have no tube yet: "
                "run {command} first (it issues the tubes), then print their labels"
            ).format(count=unissued, name=repr(info.name), command=f"poolab retest {shlex.quote(info.name)} -o FILE")
        )
    if not rows:
        raise PoolabError(
            _("campaign {name} has no retest tubes: no pool is positive or inconclusive yet").format(
                name=repr(info.name)
            )
        )
    total = len(rows)
    return [
        Label(
            code,
            (
                f"{name if unmasked else mask_name(name)} · {address(building, unit, room)}",
                _("{place} · retest of {tube}").format(place=compound, tube=parent) if parent else compound,
                _("{campaign} · {number} of {total}").format(campaign=info.name, number=f"{i:,}", total=f"{total:,}"),
            ),
        )
        for i, (code, name, compound, building, unit, room, parent) in enumerate(rows, start=1)
    ]


def _unissued_retests(conn: Connection, campaign_id: int) -> int:
    """Members of positive or inconclusive pools without an individual tube yet."""
    from poolab.lab.resolve import retest_candidates  # numba (the resample kernel): only on this path

    tubes = campaign_tubes(conn, campaign_id=campaign_id)
    member_tube, member_pk, _slot = pool_members(conn, campaign_id=campaign_id)
    flagged = retest_candidates(tubes, member_tube, member_pk)
    indiv = tubes.kind == KIND_INDIVIDUAL
    issued = set(zip(tubes.parent[indiv].tolist(), tubes.resident_pk[indiv].tolist(), strict=True))
    return sum(
        1
        for t, p in zip(member_tube[flagged].tolist(), member_pk[flagged].tolist(), strict=True)
        if (t, p) not in issued
    )


def write_manifest_pdf(
    store: Store,
    campaign: str,
    output: str | os.PathLike[str],
    *,
    unmasked: bool = False,
    printed: datetime.datetime | None = None,
    home_visits: bool = False,
    progress: Progress = no_progress,
) -> PdfSummary:
    """The sampling team's sheet for the campaign (see ``manifest_pdf``): the walk's
    tubes, or with ``home_visits`` the home-visit team's; returns a ``PdfSummary``.
    ``progress`` hears the pages drawn."""
    require_print()
    from poolab.paper.sections import manifest_sections  # sorts with the numba-backed walk order

    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        rows = manifest_members(conn, campaign_id=info.id, home_visit=home_visits)
        unbound = _unbound_residents(conn, info) if info.field_binding and not home_visits else []
        created = campaign_created_at(conn, campaign_id=info.id)
    if not rows and home_visits:
        raise PoolabError(_no_home_visit_tubes(info.name))
    if not rows and not unbound:
        raise PoolabError(_("campaign {name} has no residents to sample").format(name=repr(info.name)))
    sections = manifest_sections(rows, unbound, pool_size=info.pool_size, unmasked=unmasked)
    when = printed or datetime.datetime.now()
    heading = SheetHeading(
        campaign=_("{campaign} · home visits").format(campaign=info.name) if home_visits else info.name,
        created=f"{created:%Y-%m-%d}" if created else "",
        printed=f"{when:%Y-%m-%d %H:%M}",
        masked=not unmasked,
    )
    return render_manifest(sections, output, heading, progress=progress)


def _unbound_residents(conn: Connection, info: CampaignInfo) -> list[tuple[str, ...]]:
    """Residents of a field-binding campaign not yet in a tube, in walk order:
    (resident_id, name, compound, building, unit, room, household_id)."""
    from poolab.field.pools import walk_order  # numba-backed: only on this path

    residents = load_residents(conn, compounds=list(info.compounds) or None)
    _tube, bound_pk, _slot = pool_members(conn, campaign_id=info.id)
    bound = set(bound_pk.tolist())
    order = walk_order(residents.compound, residents.building, residents.unit, residents.room, residents.household_id)
    pks = [int(residents.pk[i]) for i in order if int(residents.pk[i]) not in bound]
    details = residents_by_pk(conn, pks=pks)
    return [tuple(str(v) for i, v in enumerate(details[pk]) if i != 2) for pk in pks]  # without id_number
