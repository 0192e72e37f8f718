"""A tube at the bench: every plate it was on and every result with its Cts and kit
(what a ``poolab log`` of the tube shows)."""

from __future__ import annotations

import attrs

from poolab.barcodes import normalise_scan
from poolab.errors import NotFound
from poolab.i18n import _
from poolab.store.campaigns import campaign_by_name
from poolab.store.engine import Store
from poolab.store.plates import TubeBenchRow, tube_bench_rows
from poolab.store.tubes import campaign_tube_index


@attrs.frozen(slots=True)
class TubeBenchHistory:
    """A tube's placements (oldest first) and its results (oldest first)."""

    barcode: str
    placements: tuple[TubeBenchRow, ...]
    results: tuple[TubeBenchRow, ...]


def tube_bench_history(store: Store, campaign: str, barcode: str) -> TubeBenchHistory:
    """The plates a tube was on and its results, each with plate, well, Cts and kit."""
    code = normalise_scan(barcode)
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        tid = campaign_tube_index(conn, campaign_id=info.id).id_of.get(code)
        if tid is None:
            raise NotFound(_("no tube {tube} in campaign {name}").format(tube=code, name=repr(info.name)))
        placements, results = tube_bench_rows(conn, tube_id=tid)
    return TubeBenchHistory(code, tuple(placements), tuple(results))
