"""SQLModel tables. Append-only where a person writes: events, receipts, collections
and results are never updated; a correction is a new row that names what it supersedes.

A campaign's tubes are counted by running tallies (``TubeTally``) that each write adds to
in its own transaction (``poolab.store.tube_tally``), so counts never read the tubes one by
one; the appended rows stay the record.
Races between stations are decided by the constraints here, not by the code that
writes: one receipt and one collection per tube (unique ``tube_id``), one first result
per tube and each result superseded at most once (so a tube's results form one chain
with one current end), one individual tube per resident and parent tube, one campaign
per name. The schema is created and upgraded by the migrations in
``poolab/store/migrations``; a test checks that they build exactly these tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Index,
    MetaData,
    String,
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlmodel import Field, SQLModel


def _code(length: int) -> Any:
    """A code (an id, not words) compared byte by byte on PostgreSQL too (collation "C"),
    as SQLite compares it: its index builds and look-ups skip the locale's collation
    (migration 0007)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def _ts() -> Column:
    return Column(DateTime(timezone=True), nullable=False)


def _ts_or_none() -> Column:
    return Column(DateTime(timezone=True), nullable=True)


STEP_CODES = ("planned", "collected", "received", "plated", "resulted")
"""A tube's steps in order; ``tube_tally.step`` is the index of its name."""


def _flag() -> Column:
    """A yes/no column that the database fills with false when an insert leaves it out
    (no Python-side default: bulk inserts that do not name it stay as fast as before)."""
    return Column(Boolean, nullable=False, server_default=false())


_WHERE = "where"


def _partial(condition: str, *, postgresql: str | None = None) -> dict[str, Any]:
    """A partial index's ``WHERE`` on each backend (``postgresql``: when it is written
    differently there). Kept in the index's ``info`` and handed to SQLAlchemy by
    ``_declare_partial_indexes`` for the dialect that emits the DDL: the keyword
    ``postgresql_where`` written here would make SQLAlchemy load its PostgreSQL dialect,
    to check the keyword, in every command on a SQLite store (20-30 ms of start-up)."""
    return {"info": {_WHERE: {"sqlite": condition, "postgresql": postgresql or condition}}}


@event.listens_for(SQLModel.metadata, "before_create")
def _declare_partial_indexes(metadata: MetaData, connection: Connection, **_: Any) -> None:
    """Give each partial index its ``WHERE`` for the dialect about to create the tables."""
    dialect = connection.dialect.name
    for table in metadata.tables.values():
        for index in table.indexes:
            where = index.info.get(_WHERE, {}).get(dialect)
            if where is not None:
                index.dialect_options[dialect]["where"] = text(where)


class Counter(SQLModel, table=True):
    """Monotonic counters (barcode serials), so barcodes are unique across the store."""

    __tablename__ = "counter"
    name: str = Field(primary_key=True, max_length=64)
    value: int


class Event(SQLModel, table=True):
    """One write a person made: who, when, what (detail is JSON)."""

    __tablename__ = "event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_ts())
    operator: str = Field(max_length=200)
    action: str = Field(max_length=64, index=True)
    campaign_id: int | None = Field(default=None, index=True)
    detail: str = "{}"


class Resident(SQLModel, table=True):
    """A resident as the latest roster import describes them."""

    __tablename__ = "resident"
    __table_args__ = (
        # the few home-visit residents, read by every `campaign new` without a scan of a city
        Index("ix_resident_home_visit", "id", **_partial("home_visit = 1", postgresql="home_visit")),
    )
    id: int | None = Field(default=None, primary_key=True)
    resident_id: str = Field(max_length=64, unique=True, sa_type=_code(64))
    name: str = ""
    id_number: str = ""
    phone: str = ""
    compound: str = Field(max_length=200, index=True)
    building: str = ""
    unit: str = ""
    room: str = ""
    household_id: str = Field(max_length=64, index=True, sa_type=_code(64))
    event_id: int
    # sampled at home (the elderly living alone, the disabled, patients): pooled among
    # themselves, on a manifest of their own (roster column home_visit)
    home_visit: bool = Field(default=False, sa_column=_flag())


class ResidentChange(SQLModel, table=True):
    """The values a roster update replaced (append-only history of residents)."""

    __tablename__ = "resident_change"
    id: int | None = Field(default=None, primary_key=True)
    resident_pk: int = Field(index=True)
    event_id: int
    previous: str  # JSON of the replaced fields


class ImportRecord(SQLModel, table=True):
    """A file already imported (by content hash), so importing it again is a no-op."""

    __tablename__ = "import_record"
    __table_args__ = (UniqueConstraint("scope", "sha256"),)
    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=200)  # e.g. "roster" or "results:<campaign id>"
    sha256: str = Field(max_length=64)
    event_id: int


class Campaign(SQLModel, table=True):
    """A testing round: its pooling options and the compounds it covers."""

    __tablename__ = "campaign"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    pool_size: int
    one_tube_per_household: bool = False
    field_binding: bool = False
    compounds: str = "[]"  # JSON list; empty = every compound
    event_id: int
    # the round this one follows (`campaign new --after`); NULL for a first round
    after_id: int | None = None


class Tube(SQLModel, table=True):
    """A tube: a pool tube (kind 'pool') or an individual resample tube ('individual')."""

    __tablename__ = "tube"
    __table_args__ = (
        # one individual tube per resident and parent tube: two `retest` runs at once
        # cannot both issue one (pool tubes have no parent; NULLs never collide)
        Index("uq_tube_retest", "parent_tube_id", "resident_pk", unique=True, **_partial("duplicate_of IS NULL")),
        # a campaign's tubes of one kind (its few individual tubes among a city's pools) and
        # its pool tubes bound in the field (no compound) without reading the others
        Index("ix_tube_campaign_kind", "campaign_id", "kind", "compound"),
    )
    id: int | None = Field(default=None, primary_key=True)
    barcode: str = Field(max_length=64, unique=True)
    campaign_id: int = Field(index=True)
    kind: str = Field(max_length=16)
    position: int = 0  # walk order of the tube within its campaign
    parent_tube_id: int | None = Field(default=None, index=True)
    resident_pk: int | None = Field(default=None, index=True)
    event_id: int
    # Set only by the upgrade of an older store in which a race issued a second tube
    # for the same resident and parent: that tube is kept, marked as the duplicate.
    duplicate_of: int | None = None
    # Written once by `campaign new` for the pool tubes it lays out: their residents'
    # compound and how many they are. NULL for tubes bound in the field (members are
    # scanned in over the day) and for individual tubes.
    compound: str | None = Field(default=None, max_length=200)
    people: int | None = None
    # a tube of home-visit residents only: on the home-visit manifest, not the walk's
    home_visit: bool = Field(default=False, sa_column=_flag())


class Member(SQLModel, table=True):
    """A resident's place in a pool tube. One per resident per campaign."""

    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("campaign_id", "resident_pk"),
        Index("ix_member_tube_slot", "tube_id", "slot"),
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int
    tube_id: int
    resident_pk: int
    slot: int
    event_id: int


class RoundCarry(SQLModel, table=True):
    """What a round took over from the rounds before it, one row per resident it
    concerns (written once by `campaign new --after`): ``isolated`` (confirmed positive
    in an earlier round, not sampled), ``contact`` (a close contact of one; sampled alone,
    left out or pooled as the round's ``--contacts`` said) and ``pending`` (in the
    previous round's positive or inconclusive pool without an individual result: sampled
    alone). ``since_id`` is the round of the positive (isolated, contact) or the previous
    round (pending)."""

    __tablename__ = "round_carry"
    __table_args__ = (UniqueConstraint("campaign_id", "resident_pk"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int
    resident_pk: int = Field(index=True)
    reason: str = Field(max_length=16)
    since_id: int | None = None
    event_id: int


class Collection(SQLModel, table=True):
    """A tube seen closed in the field (swabs in it)."""

    __tablename__ = "collection"
    # the tubes scanned in a span of time (late tubes: ``poolab.store.timing``)
    __table_args__ = (Index("ix_collection_at", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    tube_id: int = Field(unique=True)
    event_id: int
    at: datetime = Field(sa_column=_ts())


class Receipt(SQLModel, table=True):
    """A tube scanned in at lab reception."""

    __tablename__ = "receipt"
    # the tubes scanned in a span of time (late tubes: ``poolab.store.timing``)
    __table_args__ = (Index("ix_receipt_at", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    tube_id: int = Field(unique=True)
    event_id: int
    at: datetime = Field(sa_column=_ts())


class Result(SQLModel, table=True):
    """One call for one tube. Every result after a tube's first names the one it
    supersedes: a re-run after ``invalid`` (no reason), or an amendment (with its reason).
    The current call is the end of that chain, which is also the tube's newest row."""

    __tablename__ = "result"
    __table_args__ = (
        # one chain per tube: one first result, and each result superseded at most once,
        # so two stations recording a tube at once cannot both be current
        Index("uq_result_first", "tube_id", unique=True, **_partial("supersedes_id IS NULL")),
        Index("uq_result_supersedes", "supersedes_id", unique=True),
        # a tube's results in order with their calls: its first and current results and
        # their calls are read from the index alone
        Index("ix_result_tube_id_call", "tube_id", "id", "call"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tube_id: int
    call: str = Field(max_length=16)
    ct_orf1ab: float | None = None
    ct_n: float | None = None
    source: str = ""  # file:line, or "keyboard"
    supersedes_id: int | None = None
    reason: str | None = None
    event_id: int
    at: datetime = Field(sa_column=_ts())


class Plate(SQLModel, table=True):
    """A 96- or 384-well plate of the lab bench: its barcode (prefix ``L``) and campaign."""

    __tablename__ = "plate"
    id: int | None = Field(default=None, primary_key=True)
    barcode: str = Field(max_length=64, unique=True)
    campaign_id: int = Field(index=True)
    size: int
    event_id: int


class PlateWell(SQLModel, table=True):
    """One well of a plate map: a sample (its tube), a control, or empty.

    ``run`` counts a tube's plates (1 its first, 2 its re-run's, ...): one well per tube
    and run, so two plate maps written at once cannot both take a tube, and one well per
    plate and well name."""

    __tablename__ = "plate_well"
    __table_args__ = (
        UniqueConstraint("plate_id", "well"),
        UniqueConstraint("tube_id", "run"),  # controls and empty wells: NULLs never collide
    )
    id: int | None = Field(default=None, primary_key=True)
    plate_id: int
    well: str = Field(max_length=8)
    kind: str = Field(max_length=24)
    tube_id: int | None = None
    run: int | None = None
    event_id: int


class PlateRun(SQLModel, table=True):
    """An instrument export imported for a plate: the kit that called it, whether its
    controls passed, and the results event (``event_id``) that recorded its calls."""

    __tablename__ = "plate_run"
    id: int | None = Field(default=None, primary_key=True)
    plate_id: int = Field(index=True)
    event_id: int = Field(index=True)
    status: str = Field(max_length=24)  # "resulted" or "failed_control"
    kit: str = Field(max_length=200)
    message: str = ""
    at: datetime = Field(sa_column=_ts())


class TubeTally(SQLModel, table=True):
    """A change to a campaign's running counts, appended by each write in its own
    transaction (``poolab.store.tube_tally``); a count is the sum of its rows.

    ``what`` says which count: ``step`` rows count laid-out tubes (and individual
    tubes) by kind, compound, furthest step and current call, with their people;
    ``collection_to_receipt`` and ``receipt_to_result`` rows count tubes by the whole
    minutes of that span; ``not_received`` and ``without_result`` rows count the tubes
    waiting at that step by the minute (since 1970, UTC) they began to wait."""

    __tablename__ = "tube_tally"
    __table_args__ = (Index("ix_tube_tally_campaign_what", "campaign_id", "what", "minute"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int
    what: str = Field(max_length=24)
    kind: str | None = Field(default=None, max_length=16)
    compound: str | None = Field(default=None, max_length=200)
    step: int | None = None
    call: str | None = Field(default=None, max_length=16)
    minute: int | None = None
    tubes: int
    people: int = 0


class TallyGate(SQLModel, table=True):
    """No rows: a lock (PostgreSQL) that orders the writes counting tubes. A staged
    batch of receipts holds it shared; a write of collections, plates or results takes
    it before measuring its tubes (``poolab.store.tube_tally``)."""

    __tablename__ = "tally_gate"
    id: int | None = Field(default=None, primary_key=True)
