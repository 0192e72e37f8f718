"""Random chains of three rounds (`campaign new --after`) on the real store, each round
with random results, retests and choices: whatever happens, the next round leaves out
exactly the isolated positives (and the excluded contacts), samples everyone else once,
swabs contacts and pending residents alone, and keeps home visits apart. The expected
roles come from ``tests/naive.round_roles_naive``, a plain reading of the rules."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from poolab.field.campaigns import create_campaign
from poolab.field.rounds import RoundRules
from poolab.lab.resolve import write_retest
from poolab.roster.file import roster_from_columns
from poolab.roster.importing import store_roster
from poolab.store.engine import init_store
from poolab.store.tables import Campaign, Member, Resident, Result, Tube
from tests.budget import share
from tests.naive import round_roles_naive
from tests.strategies import round_districts, round_specs
from tests.workflow import record_calls

pytestmark = pytest.mark.store

_T, _M, _R = Tube.__table__, Member.__table__, Resident.__table__  # type: ignore[attr-defined]
_RES, _C = Result.__table__, Campaign.__table__  # type: ignore[attr-defined]
_TAGS = itertools.count()
POOL_CALLS = ("positive", "inconclusive", "negative", "negative", "negative", None)
INDIVIDUAL_CALLS = ("positive", "positive", "negative", "negative", "inconclusive", None)


@pytest.fixture(scope="module")
def chain_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One SQLite store for every example: each example has compounds of its own."""
    store, _ = init_store(f"sqlite:///{tmp_path_factory.mktemp('rounds') / 'poolab.db'}")
    yield store
    store.dispose()


@st.composite
def chains(draw: st.DrawFn) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
    """A district and the choices of its three rounds."""
    district = draw(round_districts())
    buildings = sorted(set(zip(district["compound"], district["building"], strict=True)))
    return district, [draw(round_specs(buildings)) for _ in range(3)]


def _members(store: Any, campaign: str) -> dict[str, tuple[str, int, bool, str]]:
    """resident id -> (tube barcode, people in the tube, home-visit tube, compound of the tube)."""
    with store.read() as conn:
        cid = conn.execute(select(_C.c.id).where(_C.c.name == campaign)).scalar_one()
        rows = conn.execute(
            select(_R.c.resident_id, _T.c.barcode, _T.c.people, _T.c.home_visit, _T.c.compound)
            .select_from(_M.join(_T, _T.c.id == _M.c.tube_id).join(_R, _R.c.id == _M.c.resident_pk))
            .where(_M.c.campaign_id == cid)
        ).all()
    out = {r: (b, int(n), bool(h), c) for r, b, n, h, c in rows}
    assert len(rows) == len(out)  # one tube per resident per round
    return out


def _play(store: Any, campaign: str, seed: int, tmp: Path) -> tuple[set[str], set[str]]:
    """Random results for the round: pool calls (some missing), the retests they call
    for, and individual calls (some missing, some inconclusive). Returns (confirmed
    positive, pending) resident ids as the round leaves them."""
    rng = random.Random(seed)
    members = _members(store, campaign)
    tubes = sorted({b for b, *_ in members.values()})
    calls = {b: c for b in tubes if (c := rng.choice(POOL_CALLS)) is not None}
    record_calls(store, campaign, calls)
    retest = tmp / f"{campaign}-retest.csv"
    write_retest(store, campaign, retest, operator="t")
    rows = retest.read_text(encoding="utf-8").splitlines()[1:]
    individual = {}
    confirmed, pending = set(), set()
    for line in rows:
        fields = line.split(",")
        rid, code = fields[0], fields[-1]
        call = rng.choice(INDIVIDUAL_CALLS)
        if call is not None:
            individual[code] = call
        if call == "positive":
            confirmed.add(rid)
        elif call != "negative":
            pending.add(rid)
    record_calls(store, campaign, individual)
    return confirmed, pending


@settings(
    max_examples=share(0.4),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(chains())
def test_three_rounds_follow_the_rules(
    chain_store: Any, tmp_path: Path, chain: tuple[dict[str, list[Any]], list[dict[str, Any]]]
) -> None:
    """Over three rounds with random results: no isolated positive is sampled again (no
    confirmed positive at all while isolation lasts the chain); every other resident
    (contacts left out aside) is in exactly one tube per round; contacts and pending
    residents are alone in their tubes; home-visit tubes hold only home-visit residents
    and home-visit residents are only in them; no tube crosses a compound or exceeds its
    pool size (risk buildings' theirs)."""
    district, specs = chain
    tag = f"x{next(_TAGS)}"
    n = len(district["compound"])
    ids = [f"{tag}-R{i:03d}" for i in range(n)]
    compounds = [f"{tag}-{c}" for c in district["compound"]]
    roster = roster_from_columns(
        resident_id=ids,
        compound=compounds,
        building=district["building"],
        unit=district["unit"],
        room=district["room"],
        household_id=district["household_id"],
        home_visit=district["home_visit"],
    )
    store_roster(chain_store, roster, operator="t")
    residents = {
        r: (c, b, u, room, h)
        for r, c, b, u, room, h in zip(
            ids,
            compounds,
            district["building"],
            district["unit"],
            district["room"],
            district["household_id"],
            strict=True,
        )
    }
    home = {r for r, flag in zip(ids, district["home_visit"], strict=True) if flag}
    confirmed: dict[str, int] = {}
    pending: set[str] = set()
    previous: str | None = None
    for k, spec in enumerate(specs):
        name = f"{tag}-day{k + 1}"
        risk_file = tmp_path / f"{name}-risk.csv"
        risk_file.write_text(
            "compound,building\n" + "".join(f"{tag}-{c},{b}\n" for c, b in spec["risk"]), encoding="utf-8"
        )
        rules = RoundRules(**spec["rules"])
        create_campaign(
            chain_store,
            name,
            operator="t",
            pool_size=spec["pool_size"],
            compounds=sorted(set(compounds)),
            after=previous,
            rules=rules if previous is not None else None,
            risk_buildings=risk_file if spec["risk"] else None,
            risk_pool_size=spec["risk_pool_size"],
        )
        roles = (
            round_roles_naive(residents, confirmed, pending, k, rules.contacts_of, rules.isolation_rounds)
            if previous is not None
            else dict.fromkeys(ids, "sampled")
        )
        members = _members(chain_store, name)
        left_out = {r for r, role in roles.items() if role == "isolated"}
        if rules.contacts == "exclude" and previous is not None:
            left_out |= {r for r, role in roles.items() if role == "contact"}
        assert set(ids) - left_out == set(members)
        if rules.isolation_rounds is None:
            assert set() == set(confirmed) & set(members)  # a confirmed positive is never sampled again
        risky = {(f"{tag}-{c}", b) for c, b in spec["risk"]}
        for r, (_code, people, home_tube, compound) in members.items():
            if roles[r] == "pending" or (roles[r] == "contact" and rules.contacts == "single"):
                assert 1 == people, (r, roles[r])
            assert (r in home) == home_tube, r
            assert residents[r][0] == compound
            limit = spec["risk_pool_size"] if (residents[r][0], residents[r][1]) in risky else spec["pool_size"]
            assert people <= limit
        found, pending = _play(chain_store, name, spec["seed"], tmp_path)
        for r in found:
            confirmed[r] = k
        previous = name
