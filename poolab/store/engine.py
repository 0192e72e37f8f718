"""Opening the store: SQLite by default, any SQLAlchemy URL (PostgreSQL via psycopg 3).

Transactions. On SQLite a write transaction starts with ``BEGIN IMMEDIATE``: writers
queue for the file's write lock before they read, so what a transaction checks still
holds when its writes land. Reads start with a plain ``BEGIN`` (one snapshot; WAL lets
them run beside a writer). On PostgreSQL (READ COMMITTED) the constraints of
``tables.py`` decide races between stations: the losing write raises an integrity
error, and ``Store.write`` runs the whole transaction again, which now sees the winner
and reports it the ordinary way ("already received", "it is positive already").

Faults (a full disk, a read-only or locked store, an unreachable server) become one
``StoreFault`` line with no SQL and no parameters in it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import attrs
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from poolab.errors import StoreFault, StoreLost, StoreMissing
from poolab.i18n import _
from poolab.store.faults import describe_fault, is_retryable
from poolab.store.migrate import upgrade
from poolab.store.schema import HEAD, store_revision

T = TypeVar("T")

DEFAULT_URL = "sqlite:///poolab.db"
BUSY_TIMEOUT_ENV = "POOLAB_BUSY_TIMEOUT"
"""Seconds a write waits for a store locked by another writer (default 30)."""
WRITE_ATTEMPTS = 8
"""Runs of a write transaction that keeps losing races before it gives up."""
_WRITE = "poolab_write"


def busy_timeout() -> float:
    """How long a write waits for the store's lock, in seconds."""
    raw = os.environ.get(BUSY_TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw else 30.0
    except ValueError:
        value = 30.0
    return min(max(value, 0.0), 3600.0)


def resolve_url(value: str) -> str:
    """A ``--db`` value as a SQLAlchemy URL: a plain path means a SQLite file there, and
    ``postgresql://`` means psycopg 3 (SQLAlchemy's default driver would be psycopg2)."""
    value = value.strip()
    if not value:
        raise StoreFault(_("--db is empty: give a file path, sqlite:///FILE or postgresql://USER@HOST/DB"))
    if "://" not in value:
        return f"sqlite:///{value}"
    scheme, rest = value.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + rest
    return value


def display_url(value: str) -> str:
    """A URL fit for messages: the password, if any, shown as ``***``."""
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        return _mask_password_text(value)
    if url.password is None:
        return value
    return url.render_as_string(hide_password=True)


def _mask_password_text(value: str) -> str:
    # user:secret@host in something SQLAlchemy cannot parse: hide what follows the colon
    if "://" in value and "@" in value:
        scheme, rest = value.split("://", 1)
        auth, host = rest.rsplit("@", 1)
        if ":" in auth:
            return f"{scheme}://{auth.split(':', 1)[0]}:***@{host}"
    return value


FileIdentity = tuple[int, int]
"""A file's device and inode: the same path holding another file has another identity."""


def file_identity(path: str | None) -> FileIdentity | None:
    """The identity of the file at ``path`` now (None: no path, or no file there)."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


@attrs.frozen(slots=True)
class Store:
    """An open store: the engine and the URL it was opened with (``shown`` for messages).
    A SQLite store also keeps its file's path and identity as opened: every write checks
    the file it committed to is still the one at the path (a store deleted or replaced
    mid-run would otherwise take the work with it while the command reports success)."""

    url: str
    engine: Engine
    shown: str = ""
    path: str | None = None
    identity: FileIdentity | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One write transaction: everything inside commits together or not at all."""
        with self._transaction(writing=True) as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One read-only snapshot (never holds up a writer)."""
        with self._transaction(writing=False) as conn:
            yield conn

    def write(self, work: Callable[[Connection], T], *, attempts: int = WRITE_ATTEMPTS) -> T:
        """Run ``work`` in one write transaction; when a constraint refuses it because
        another station wrote the same thing first, run it again (it then sees the
        winner). ``work`` must read what it decides on inside the transaction."""
        for attempt in range(1, attempts + 1):
            try:
                with self._transaction(writing=True, retrying=attempt < attempts) as conn:
                    return work(conn)
            except DBAPIError:
                continue  # only a race gets here (see _transaction): run it again
        raise AssertionError("unreachable")  # the last attempt returns or raises StoreFault

    @contextmanager
    def _transaction(self, *, writing: bool, retrying: bool = False) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                if writing:
                    conn.execution_options(**{_WRITE: True})
                with conn.begin():
                    yield conn
            if writing:
                self._check_still_there()
        except DBAPIError as exc:
            if retrying and is_retryable(exc):
                raise
            # a store deleted under a command fails its next statement with SQLite's own
            # "disk I/O error": said as what it is, not as a full disk
            self._check_still_there()
            raise StoreFault(describe_fault(exc, writing=writing, where=self.shown)) from None

    def _check_still_there(self) -> None:
        """After a commit, or a statement that failed: the file committed to is the file
        at the path (SQLite only; a PostgreSQL server keeps its own files)."""
        if self.identity is None or file_identity(self.path) == self.identity:
            return
        said = (
            _(
                "the store {url} was deleted while this command wrote to it: what it wrote "
                "went with the old file and is lost; restore the store (or make a new one with "
                "poolab init) and run the command again"
            )
            if not os.path.exists(self.path or "")
            else _(
                "the store {url} was replaced by another file while this command wrote to it: what it wrote "
                "went with the old file and is lost; restore the store (or make a new one with "
                "poolab init) and run the command again"
            )
        )
        raise StoreLost(said.format(url=self.shown))

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # The driver's own implicit transactions are switched off: _sqlite_begin says BEGIN.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # WAL: readers never block the writer; a killed writer leaves the store as it was.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={int(busy_timeout() * 1000)}")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    writing = conn.get_execution_options().get(_WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def _postgres_connect(dbapi_conn: Any, _record: Any) -> None:
    # A lock held by a stuck client ends in a clear error, not a hang.
    with dbapi_conn.cursor() as cur:
        cur.execute(f"SET lock_timeout = {int(busy_timeout() * 1000)}")
    dbapi_conn.commit()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (already resolved) with this project's settings."""
    try:
        if url.startswith("sqlite"):
            eng = create_engine(url, connect_args={"timeout": busy_timeout()})
            event.listen(eng, "connect", _sqlite_connect)
            event.listen(eng, "begin", _sqlite_begin)
            return eng
        eng = create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        if "psycopg" in str(exc):
            raise StoreFault(
                _("PostgreSQL stores need the pg extra: pip install 'poolab[pg]' (psycopg is not installed)")
            ) from None
        raise StoreFault(
            _("cannot open {url}: the driver is not installed ({module})").format(url=display_url(url), module=exc.name)
        ) from None
    except NoSuchModuleError:
        scheme = url.split("://", 1)[0]
        raise StoreFault(
            _(
                "--db {url}: unknown kind of database {scheme} "
                "(use a file path, sqlite:///FILE or postgresql://USER@HOST/DB)"
            ).format(url=display_url(url), scheme=repr(scheme))
        ) from None
    except (ArgumentError, ValueError):
        raise StoreFault(
            _("--db {url}: not a database URL (use a file path, sqlite:///FILE or postgresql://USER@HOST/DB)").format(
                url=display_url(url)
            )
        ) from None
    if eng.dialect.name == "postgresql":
        event.listen(eng, "connect", _postgres_connect)
    return eng


def _sqlite_path(url: str) -> str | None:
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    path = path.split("?", 1)[0]
    return None if path in ("", ":memory:") or path.startswith("file:") else path


def open_store(url: str, *, must_exist: bool = True) -> Store:
    """Open the store at ``url`` (a ``--db`` value). With ``must_exist``, a missing or
    outdated store is an error that says how to create or upgrade it (nothing is
    created by accident)."""
    resolved = resolve_url(url)
    shown = display_url(url)
    how = f"poolab --db {shown} init" if url.strip() != DEFAULT_URL else "poolab init"
    path = _sqlite_path(resolved)
    if must_exist and path is not None and not os.path.exists(path):
        raise StoreMissing(_("no poolab store at {url}; create it with: {command}").format(url=shown, command=how))
    engine = make_engine(resolved)
    store = Store(url=resolved, engine=engine, shown=shown, path=path, identity=file_identity(path))
    if must_exist:
        try:
            with store.read() as conn:
                revision = store_revision(conn)
        except StoreFault:
            engine.dispose()
            raise
        if revision is None:
            engine.dispose()
            raise StoreMissing(_("no poolab store at {url}; create it with: {command}").format(url=shown, command=how))
        if revision != HEAD:
            engine.dispose()
            if revision.isdigit() and int(revision) < int(HEAD):
                raise StoreMissing(
                    _(
                        "the store at {url} is from an older poolab (schema {revision}, this one needs {head}); "
                        "bring it up to date with: {command}"
                    ).format(url=shown, revision=revision, head=HEAD, command=how)
                )
            raise StoreMissing(
                _(
                    "the store at {url} is from a newer poolab (schema {revision}, this one knows up to {head}); "
                    "upgrade poolab to use it"
                ).format(url=shown, revision=revision, head=HEAD)
            )
    return store


def _create_private(path: str) -> None:
    """An empty SQLite file readable by its owner only: the store holds names, ID
    numbers and phones (SQLite gives the WAL and SHM files the same mode)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise StoreFault(
            _("cannot create the store {path}: folder {folder} does not exist").format(path=path, folder=folder)
        )
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreFault(_("cannot create the store {path}: {error}").format(path=path, error=exc.strerror)) from None
    os.close(fd)


def init_store(url: str, *, operator: str = "poolab init") -> tuple[Store, str]:
    """Create the store, or bring one made by an earlier release up to date (every row
    kept). Returns the store and what was done: "created", "upgraded from schema N",
    "up to date"."""
    resolved = resolve_url(url)
    path = _sqlite_path(resolved)
    if path is not None:
        _create_private(path)
    store = Store(
        url=resolved, engine=make_engine(resolved), shown=display_url(url), path=path, identity=file_identity(path)
    )
    try:
        done = store.write(lambda conn: upgrade(conn, operator=operator))
    except StoreFault:
        store.dispose()
        raise
    return store, done
