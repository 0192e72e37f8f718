"""`poolab log NAME --resident ID`: one resident across the rounds of a silent period.

For each round of the chain ending at NAME, oldest first: what the round did with the
resident (sampled in a walk or home-visit tube, left out as an isolated positive or a
close contact, swabbed alone as a contact or as still pending from the round before),
then the life of each tube they were in (collected, received, every result with its Ct
values and any correction's reason) and of each individual retest tube. Names are never
shown; read-only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from poolab.barcodes import normalise_scan
from poolab.errors import NotFound
from poolab.i18n import _
from poolab.reports.history import LogEntry
from poolab.store.campaigns import campaign_by_name
from poolab.store.engine import Store
from poolab.when import local_time

WHAT_ROUND_DID = {
    "isolated": "left out: isolated (confirmed positive in {since})",
    "contact_single": "close contact of a positive confirmed in {since}: a tube of their own",
    "contact_excluded": "left out: close contact of a positive confirmed in {since}",
    "contact_pooled": "close contact of a positive confirmed in {since}: pooled as everyone",
    "pending": "no individual result yet from a positive pool of {since}: a tube of their own",
}


def resident_log(store: Store, campaign: str, resident_id: str) -> list[LogEntry]:
    """The resident's rounds, tubes, results and retests across the chain ending at
    ``campaign``, in time order within each round, rounds oldest first."""
    from poolab.store.history import tube_steps
    from poolab.store.rounds import carry_of, chain_of, resident_pk_of, resident_tubes, rounds_created

    rid = normalise_scan(resident_id)
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        pk = resident_pk_of(conn, resident_id=rid)
        if pk is None:
            raise NotFound(_("no resident {resident} in the roster").format(resident=repr(rid)))
        chain = chain_of(conn, campaign_id=info.id)
        ids = [r.id for r in chain]
        names = {r.id: r.name for r in chain}
        created = rounds_created(conn, campaign_ids=ids)
        carried = carry_of(conn, resident_pk=pk, campaign_ids=ids)
        tubes = resident_tubes(conn, resident_pk=pk, campaign_ids=ids)
        steps = {t.tube_id: tube_steps(conn, tube_id=t.tube_id) for t in tubes}
    out: list[LogEntry] = []
    for r in chain:
        at, operator = created[r.id]
        mine = [t for t in tubes if t.campaign_id == r.id]
        reason = carried.get(r.id)
        if reason is not None:
            since = names.get(reason[1], "an earlier round") if reason[1] is not None else "an earlier round"
            what = WHAT_ROUND_DID.get(reason[0], reason[0]).format(since=since)
        elif mine:
            what = "sampled"
        else:
            what = "not in this round (another compound, or not yet on the roster)"
        out.append(LogEntry(local_time(at), operator, "round", (("round", r.name), ("resident", rid), ("what", what))))
        entries: list[LogEntry] = []
        for t in mine:
            for step in steps[t.tube_id]:
                entries.append(_tube_entry(r.name, t, step.at, step.operator, step.what, step.fields))
        out += sorted(entries, key=lambda e: e.at)
    return out


def _tube_entry(round_name: str, tube: Any, at: datetime, operator: str, what: str, fields: dict[str, Any]) -> LogEntry:
    details: list[tuple[str, str]] = [("round", round_name), ("tube", tube.barcode)]
    action = what
    if what == "created":
        if tube.kind == "pool":
            action = "home-visit tube" if tube.home_visit else "pool tube"
            details += [("slot", str(tube.slot)), ("people", str(tube.people or ""))]
        else:
            action = "retest tube"
            if tube.parent:
                details.append(("retest_of", tube.parent))
    elif what == "result":
        action = "result corrected" if fields.get("reason") else "result"
        cts = "/".join("-" if fields.get(k) is None else f"{fields[k]:g}" for k in ("ct_orf1ab", "ct_n"))
        details += [("call", str(fields["call"])), ("ct", cts)]
        if fields.get("reason"):
            details.append(("reason", str(fields["reason"])))
    return LogEntry(local_time(at), operator, action, tuple((k, v) for k, v in details if v))
