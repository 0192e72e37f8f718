"""Alembic's entry point: migrate the connection ``poolab.store.migrate`` hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from poolab.store import tables

_ = tables  # the table classes register themselves on SQLModel.metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through poolab (poolab init), which passes the store's connection")
# render_as_batch: SQLite can alter a table only by rebuilding it; Alembic's batch mode does that.
context.configure(connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
