"""``poolab init``: build a new store at the newest schema, or bring an older one up to
date through the migrations."""

from __future__ import annotations

from sqlalchemy import Column, Connection, MetaData, PrimaryKeyConstraint, String, Table, inspect

from poolab.errors import StoreFault
from poolab.i18n import _
from poolab.store.schema import HEAD, store_revision

_OURS = {"tube", "result", "resident", "campaign", "receipt", "event"}

# Alembic's own bookkeeping table, as Alembic declares it (alembic.runtime.migration)
_VERSION = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def _config(conn: Connection, operator: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "poolab.store:migrations")
    cfg.attributes["connection"] = conn
    cfg.attributes["operator"] = operator
    return cfg


def upgrade(conn: Connection, *, operator: str = "poolab init") -> str:
    """Create the store or run every migration it has not had, in the open transaction;
    say what was done ("created", "upgraded from schema N", "up to date")."""
    revision = store_revision(conn)
    if revision == HEAD:
        return _("up to date")
    if revision is None:
        ours = _OURS & set(inspect(conn).get_table_names())
        if ours:
            raise StoreFault(
                _(
                    "the database already has tables named {tables} that poolab did not make; "
                    "use another database or schema for poolab"
                ).format(tables=", ".join(sorted(ours)))
            )
        create_current(conn)
        return _("created")
    migrate(conn, revision=revision, operator=operator)
    return _("upgraded from schema {revision}").format(revision=revision)


def create_current(conn: Connection) -> None:
    """An empty database straight at the newest schema: the tables' own DDL and Alembic's
    version row at the head. This is Alembic's recipe for
    a new database (create the tables, then stamp the head), done without importing
    Alembic or running the migrations one by one (about 0.3 s of a new user's first
    command). A test holds what it builds equal to what the migrations build."""
    from sqlmodel import SQLModel

    from poolab.store import tables

    _ = tables  # the tables register themselves on SQLModel's metadata
    SQLModel.metadata.create_all(conn, checkfirst=False)  # a table of that name already there fails
    _VERSION.create(conn)
    conn.execute(_VERSION.insert().values(version_num=HEAD))


def migrate(conn: Connection, *, revision: str | None, operator: str = "poolab init") -> None:
    """Run the migrations from ``revision`` (None: an empty database) to the head."""
    from alembic import command

    cfg = _config(conn, operator)
    if revision is not None and "alembic_version" not in inspect(conn).get_table_names():
        command.stamp(cfg, revision)  # a store from before migrations: it is at the baseline
    command.upgrade(cfg, "head")
