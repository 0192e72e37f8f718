"""Shared fixtures: the hypothesis profiles and a real store per test.

Store tests run on SQLite always and, when POOLAB_TEST_DATABASE_URL is set, on
PostgreSQL too: each test gets its own schema there, removed afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))

PG_URL = os.environ.get("POOLAB_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def empty_store_url(backend: str, folder: Path, name: str = "poolab.db") -> Iterator[str]:
    """A URL for an empty store of its own: the SQLite file ``name`` in ``folder``, or a
    fresh PostgreSQL schema (dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / name}"
        return
    from sqlalchemy import create_engine, text

    from poolab.store.engine import resolve_url

    assert PG_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(resolve_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty store of its own: a SQLite file, or a fresh PostgreSQL schema."""
    with empty_store_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[object]:
    """An initialised, empty store."""
    from poolab.store.engine import init_store

    st, _ = init_store(store_url)
    yield st
    st.dispose()


@pytest.fixture(scope="session")
def small_roster_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic district (600 residents, 3 compounds) as a roster CSV."""
    from poolab.roster.file import write_roster_csv
    from poolab.roster.synthetic import generate_district

    path = tmp_path_factory.mktemp("roster") / "district.csv"
    write_roster_csv(generate_district(residents=600, households=360, compounds=3, seed=11), path)
    return path


@pytest.fixture(autouse=True)
def _own_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in a folder of its own: a stream from standard input writes its
    problems file to the working folder, and the repository is no place for those."""
    monkeypatch.chdir(tmp_path)
