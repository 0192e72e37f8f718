"""The manifest streams from the store in walk order: tube position, then slot."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update

from poolab.field.campaigns import create_campaign
from poolab.field.sampling import write_manifest
from poolab.roster.importing import import_roster
from poolab.store.engine import Store
from poolab.store.reports import manifest_blocks, manifest_rows
from poolab.store.tables import Tube
from tests.workflow import read_csv

_T = Tube.__table__  # type: ignore[attr-defined]


def _campaign(store: Store, roster: Path) -> int:
    import_roster(store, roster, operator="t")
    create_campaign(store, "c", operator="t", pool_size=8)
    with store.read() as conn:
        from poolab.store.campaigns import campaign_by_name

        return campaign_by_name(conn, name="c").id


def test_blocks_are_the_manifest_rows_in_order(store: Store, small_roster_csv: Path) -> None:
    """Streamed in small blocks, the rows are exactly manifest_rows, in the same order."""
    campaign_id = _campaign(store, small_roster_csv)
    with store.read() as conn:
        whole = manifest_rows(conn, campaign_id=campaign_id)
        streamed = [tuple(r) for b in manifest_blocks(conn, campaign_id=campaign_id, size=37) for r in b]
    assert 600 == len(whole)
    assert whole == streamed


def test_positions_out_of_id_order_are_followed(store: Store, small_roster_csv: Path, tmp_path: Path) -> None:
    """Tubes whose positions do not follow their ids are still written by position."""
    campaign_id = _campaign(store, small_roster_csv)
    with store.begin() as conn:  # reverse the walk: the last tube becomes the first
        conn.execute(update(_T).where(_T.c.campaign_id == campaign_id).values(position=100_000 - _T.c.position))
    with store.read() as conn:
        whole = manifest_rows(conn, campaign_id=campaign_id)
    write_manifest(store, "c", tmp_path / "m.csv", unmasked=True)
    rows = read_csv(tmp_path / "m.csv")
    assert [(str(r[0]), str(r[1]), str(r[2])) for r in whole] == [
        (r["tube_barcode"], r["slot"], r["resident_id"]) for r in rows
    ]
