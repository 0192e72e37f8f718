"""Opening the store: SQLite by default, any SQLAlchemy URL (PostgreSQL via psycopg 3)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from sqlalchemy import Connection, Engine, create_engine, event, inspect, select
from sqlmodel import SQLModel

from poolab.errors import StoreMissing
from poolab.store import tables
from poolab.store.tables import SCHEMA_VERSION, Meta


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (SQLAlchemy's default would be psycopg2)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@attrs.frozen(slots=True)
class Store:
    """An open store: the engine and the URL it was opened with."""

    url: str
    engine: Engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: everything inside commits together or not at all."""
        with self.engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL: readers never block the writer; a killed writer leaves the store as it was.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with this project's settings."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        eng = create_engine(url, connect_args={"timeout": 30})
        event.listen(eng, "connect", _sqlite_pragmas)
        return eng
    return create_engine(url, pool_pre_ping=True)


def _sqlite_path(url: str) -> str | None:
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    return None if path in ("", ":memory:") else path


def store_version(engine: Engine) -> int | None:
    """The schema version of the store behind ``engine``, None when it has none."""
    if not inspect(engine).has_table("meta"):
        return None
    with engine.connect() as conn:
        value = conn.execute(
            select(Meta.__table__.c.value).where(Meta.__table__.c.key == "schema_version")  # type: ignore[attr-defined]
        ).scalar()
    return int(value) if value is not None else None


def open_store(url: str, *, must_exist: bool = True) -> Store:
    """Open the store at ``url``. With ``must_exist``, a missing or outdated store is an
    error that says how to create or upgrade it (nothing is created by accident)."""
    path = _sqlite_path(normalise_url(url))
    how = f"create it with: poolab --db {url} init" if url else "create it with: poolab init"
    if must_exist and path is not None and not os.path.exists(path):
        raise StoreMissing(f"no poolab store at {url}; {how}")
    engine = make_engine(url)
    if must_exist:
        version = store_version(engine)
        if version is None:
            engine.dispose()
            raise StoreMissing(f"no poolab store at {url}; {how}")
        if version < SCHEMA_VERSION:
            engine.dispose()
            raise StoreMissing(
                f"the store at {url} is from an older poolab (schema {version}); "
                f"bring it up to date with: poolab --db {url} init"
            )
    return Store(url=url, engine=engine)


def init_store(url: str) -> tuple[Store, str]:
    """Create the store, or bring an older one up to date. Returns the store and what
    was done ("created", "upgraded from N", "up to date")."""
    engine = make_engine(url)
    version = store_version(engine)
    _ = tables  # the table classes register themselves on SQLModel.metadata
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        if version is None:
            conn.execute(Meta.__table__.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))  # type: ignore[attr-defined]
            done = "created"
        elif version < SCHEMA_VERSION:
            # Future migrations go here, one step per version.
            conn.execute(
                Meta.__table__.update()  # type: ignore[attr-defined]
                .where(Meta.__table__.c.key == "schema_version")  # type: ignore[attr-defined]
                .values(value=str(SCHEMA_VERSION))
            )
            done = f"upgraded from schema {version}"
        else:
            done = "up to date"
    return Store(url=url, engine=engine), done
