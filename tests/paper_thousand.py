"""A campaign of just over 1,000 tubes (10,000 residents, 10-in-1) on a SQLite store."""

from __future__ import annotations

from pathlib import Path

from tests.workflow import read_csv, run

RESIDENTS, HOUSEHOLDS, COMPOUNDS = 10_000, 6_050, 4


def thousand_tube_campaign(tmp: Path) -> tuple[str, list[str]]:
    """(store URL, tube codes in walk order) of campaign day1."""
    from poolab.roster.file import write_roster_csv
    from poolab.roster.synthetic import generate_district

    roster = tmp / "roster.csv"
    write_roster_csv(generate_district(residents=RESIDENTS, households=HOUSEHOLDS, compounds=COMPOUNDS, seed=5), roster)
    url = f"sqlite:///{tmp / 'poolab.db'}"
    assert 0 == run(url, "init").exit_code
    assert 0 == run(url, "roster", "import", str(roster)).exit_code
    assert 0 == run(url, "campaign", "new", "day1").exit_code
    assert 0 == run(url, "manifest", "day1", "-o", str(tmp / "m.csv")).exit_code
    codes = list(dict.fromkeys(r["tube_barcode"] for r in read_csv(tmp / "m.csv")))
    assert len(codes) >= 1000
    return url, codes
