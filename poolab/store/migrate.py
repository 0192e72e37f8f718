"""``poolab init``: build the store from the migrations, or bring an older one up to date."""

from __future__ import annotations

from sqlalchemy import Connection, inspect

from poolab.errors import StoreFault
from poolab.i18n import _
from poolab.store.schema import HEAD, store_revision


def _config(conn: Connection, operator: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "poolab.store:migrations")
    cfg.attributes["connection"] = conn
    cfg.attributes["operator"] = operator
    return cfg


def upgrade(conn: Connection, *, operator: str = "poolab init") -> str:
    """Run every migration the store has not had, in the open transaction; say what was
    done ("created", "upgraded from schema N", "up to date")."""
    from alembic import command

    revision = store_revision(conn)
    if revision == HEAD:
        return _("up to date")
    if revision is None:
        ours = {"tube", "result", "resident", "campaign", "receipt", "event"} & set(inspect(conn).get_table_names())
        if ours:
            raise StoreFault(
                _(
                    "the database already has tables named {tables} that poolab did not make; "
                    "use another database or schema for poolab"
                ).format(tables=", ".join(sorted(ours)))
            )
    cfg = _config(conn, operator)
    if revision is not None and "alembic_version" not in inspect(conn).get_table_names():
        command.stamp(cfg, revision)  # a store from before migrations: it is at the baseline
    command.upgrade(cfg, "head")
    return _("created") if revision is None else _("upgraded from schema {revision}").format(revision=revision)
