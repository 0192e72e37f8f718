"""`poolab log`: the event trail of a campaign, or the life of one tube, read-only.

Every write a person makes is an event (who, when, what); a correction is a new event
with its reason. This is where they are read back, names never shown.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import attrs

from poolab.barcodes import normalise_scan
from poolab.errors import NotFound
from poolab.store.campaigns import campaign_by_name
from poolab.store.engine import Store
from poolab.when import local_time

# what each event's detail says, in the order it is worth reading
_DETAIL_KEYS = ("source", "name", "tube", "call", "tubes", "scans", "rows", "recorded", "new_tubes", "reason")


@attrs.frozen(slots=True)
class LogEntry:
    """One line of a log: when (local time), who, what, and the particulars."""

    at: datetime
    operator: str
    action: str
    details: tuple[tuple[str, str], ...]

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "operator": self.operator, "action": self.action, **dict(self.details)}


def _details(raw: str) -> tuple[tuple[str, str], ...]:
    try:
        detail = json.loads(raw)
    except ValueError:
        return ()
    if not isinstance(detail, dict):
        return ()
    keys = [k for k in _DETAIL_KEYS if detail.get(k) not in (None, "", [])]
    keys += sorted(k for k in detail if k not in _DETAIL_KEYS and k != "sha256" and detail[k] not in (None, "", []))
    # a list or table (an import's wells) is said by its size: the tube's own log has the rest
    return tuple(
        (k, f"{len(v)} entries" if isinstance(v, list | dict) else str(v)) for k, v in ((k, detail[k]) for k in keys)
    )


def _instrument_note(raw: str, barcode: str) -> str:
    """What the instrument said of the tube's well in an export's event (omitted, flags),
    or "" when it said nothing."""
    try:
        wells = json.loads(raw).get("wells") or {}
    except (ValueError, AttributeError):
        return ""
    for well, info in wells.items():
        if isinstance(info, dict) and info.get("tube") == barcode and info.get("instrument"):
            return f"well {well} {info['instrument']}"
    return ""


def campaign_log(store: Store, campaign: str, *, limit: int | None = None) -> list[LogEntry]:
    """The campaign's events, oldest first (only the newest ``limit`` when given)."""
    from poolab.store.history import campaign_events

    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        rows = campaign_events(conn, campaign_id=info.id, limit=limit)
    return [LogEntry(local_time(r.at), r.operator, r.action, _details(r.detail)) for r in rows]


def tube_log(store: Store, campaign: str, barcode: str) -> list[LogEntry]:
    """One tube's life: created, collected, received, each result (call, Ct values, where
    from, a correction's reason), oldest first."""
    from poolab.store.history import tube_steps
    from poolab.store.plates import tube_bench_rows
    from poolab.store.tubes import receipt_states

    code = normalise_scan(barcode)
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        state = receipt_states(conn, barcodes=[code]).get(code)
        if state is None or state.campaign_id != info.id:
            raise NotFound(f"no tube {code!r} in campaign {info.name!r}")
        steps = tube_steps(conn, tube_id=state.id)
        placements, _ = tube_bench_rows(conn, tube_id=state.id)
    out = [
        LogEntry(local_time(datetime.fromisoformat(p.at)), "", "plated", (("plate", p.plate_barcode), ("well", p.well)))
        for p in placements
    ]
    for step in steps:
        fields: dict[str, Any] = dict(step.fields)
        action = step.what
        if step.what == "result":
            action = "result corrected" if fields.get("reason") else "result"
            raw_event = fields.pop("event") or "{}"
            extra = _details(raw_event)
            cts = "/".join("-" if fields.get(k) is None else f"{fields[k]:g}" for k in ("ct_orf1ab", "ct_n"))
            details = [("call", str(fields["call"])), ("ct", cts), ("source", str(fields["source"]))]
            if fields.get("reason"):
                details.append(("reason", str(fields["reason"])))
            details += [(k, v) for k, v in extra if k in ("kit", "plate")]
            note = _instrument_note(raw_event, code)
            if note:
                details.append(("instrument", note))
            out.append(LogEntry(local_time(step.at), step.operator, action, tuple(details)))
            continue
        details = [(k, str(v)) for k, v in fields.items() if v is not None]
        out.append(LogEntry(local_time(step.at), step.operator, action, tuple(details)))
    return sorted(out, key=lambda e: e.at)
