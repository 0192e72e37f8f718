"""`poolab log`: the event trail of a campaign, or the life of one tube, read-only.

Every write a person makes is an event (who, when, what); a correction is a new event
with its reason. This is where they are read back, names never shown.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from poolab.barcodes import normalise_scan
from poolab.errors import NotFound
from poolab.i18n import _
from poolab.store.campaigns import campaign_by_name
from poolab.store.engine import Store
from poolab.when import local_time

if TYPE_CHECKING:
    from poolab.store.history import EventRow

# what each event's detail says, in the order it is worth reading
_DETAIL_KEYS = ("source", "name", "tube", "call", "tubes", "scans", "rows", "recorded", "new_tubes", "reason")
_HIDDEN_KEYS = frozenset({"sha256", "stream"})  # a file's hash, a scan stream's id: for the machine
# A scan stream (a station's scanner, a file of scans) is stored a second's or a batch's
# worth at a time, each an event; the log shows the stream as one row with its counts.
_STREAMED = frozenset({"collect", "receive"})
_COUNTED = ("tubes", "scans")


@attrs.frozen(slots=True)
class LogEntry:
    """One line of a log: when (local time), who, what, and the particulars."""

    at: datetime
    operator: str
    action: str
    details: tuple[tuple[str, str], ...]

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "operator": self.operator, "action": self.action, **dict(self.details)}


def _detail(raw: str) -> dict[str, Any]:
    try:
        detail = json.loads(raw)
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}


def _details(raw: str | dict[str, Any]) -> tuple[tuple[str, str], ...]:
    detail = _detail(raw) if isinstance(raw, str) else raw
    keys = [k for k in _DETAIL_KEYS if detail.get(k) not in (None, "", [])]
    keys += sorted(
        k for k in detail if k not in _DETAIL_KEYS and k not in _HIDDEN_KEYS and detail[k] not in (None, "", [])
    )
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


@attrs.define
class _Stream:
    """The events of one scan stream, gathered into one row."""

    first: EventRow
    detail: dict[str, Any]
    last_at: datetime
    batches: int = 1

    def add(self, row: EventRow, detail: dict[str, Any]) -> None:
        for key in _COUNTED:
            if isinstance(detail.get(key), int):
                self.detail[key] = int(self.detail.get(key) or 0) + detail[key]
        self.last_at = max(self.last_at, row.at)
        self.batches += 1

    def entry(self) -> LogEntry:
        details = _details(self.detail)
        if self.batches > 1:
            until = f"{local_time(self.last_at):%Y-%m-%d %H:%M:%S}"
            details += (("batches", str(self.batches)), ("until", until))
        return LogEntry(local_time(self.first.at), self.first.operator, self.first.action, details)


def _stream_rows(rows: list[EventRow]) -> list[LogEntry]:
    """The events as log lines, each scan stream one line: its events share a stream id
    (wherever other events fall between them); events stored before streams had ids are
    gathered when they follow each other with the same operator, action and source."""
    out: list[LogEntry | _Stream] = []
    streams: dict[tuple[str, str, str, str], _Stream] = {}
    previous: tuple[str, str, str, str] | None = None
    for row in rows:
        if row.action not in _STREAMED:
            out.append(LogEntry(local_time(row.at), row.operator, row.action, _details(row.detail)))
            previous = None
            continue
        detail = _detail(row.detail)
        stream = str(detail.get("stream") or "")
        key = (row.action, row.operator, str(detail.get("source") or ""), stream)
        found = streams.get(key) if stream or key == previous else None
        if found is not None:
            found.add(row, detail)
        else:
            streams[key] = _Stream(row, detail, row.at)
            out.append(streams[key])
        previous = key
    return [e.entry() if isinstance(e, _Stream) else e for e in out]


def campaign_log(store: Store, campaign: str, *, limit: int | None = None) -> list[LogEntry]:
    """The campaign's events, oldest first, a scan stream as one line (only the newest
    ``limit`` lines when given)."""
    from poolab.store.history import campaign_events

    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        rows = campaign_events(conn, campaign_id=info.id)
    entries = _stream_rows(rows)
    return entries[-limit:] if limit is not None else entries


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
            raise NotFound(_("no tube {tube} in campaign {campaign}").format(tube=repr(code), campaign=repr(info.name)))
        steps = tube_steps(conn, tube_id=state.id)
        placements, _runs = tube_bench_rows(conn, tube_id=state.id)
    out = [
        LogEntry(
            local_time(datetime.fromisoformat(p.at)),
            p.operator,
            "plated",
            (("plate", p.plate_barcode), ("well", p.well)),
        )
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
            plate = dict(extra).get("plate", "")
            if fields.get("run_status") == "failed_control":  # no call of its own: the plate's controls failed
                details.append(("reason", f"plate {plate} failed its controls: {fields['run_message']}"))
            details += [(k, v) for k, v in extra if k in ("kit", "plate")]
            note = _instrument_note(raw_event, code)
            if note:
                details.append(("instrument", note))
            out.append(LogEntry(local_time(step.at), step.operator, action, tuple(details)))
            continue
        details = [(k, str(v)) for k, v in fields.items() if v is not None and not k.startswith("run_")]
        out.append(LogEntry(local_time(step.at), step.operator, action, tuple(details)))
    # a placement's time is kept to the second: within one second, steps in the order they can happen
    return sorted(out, key=lambda e: (e.at.replace(microsecond=0), _STEP_ORDER.get(e.action, len(_STEP_ORDER)), e.at))


_STEP_ORDER = {"created": 0, "collected": 1, "received": 2, "plated": 3}
