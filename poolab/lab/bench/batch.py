"""Many exports at once: a day's plates in one command, each file its own all-or-nothing
import. A refused file does not stop the others; its problems go in a file beside it."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

import attrs

from poolab.errors import InputRejected, PoolabError
from poolab.files.atomic import OutputFailed
from poolab.files.problems import problems_path, write_problems
from poolab.lab.bench.exports import BenchImportSummary, import_file
from poolab.lab.bench.kit import load_kit
from poolab.store.campaigns import campaign_by_name
from poolab.store.engine import Store


@attrs.frozen(slots=True)
class FileOutcome:
    """What became of one file: its import's summary, or why it was refused (and where
    all its problems were written)."""

    path: str
    summary: BenchImportSummary | None = None
    error: PoolabError | None = None
    problems_file: str | None = None

    @property
    def refused(self) -> bool:
        return self.error is not None


@attrs.frozen(slots=True)
class ImportOptions:
    """What every file of a batch is imported with (as ``import_file`` takes them)."""

    fmt: str = "auto"
    kit: str | None = None
    columns: str | None = None
    amend: bool = False
    reason: str | None = None
    encoding: str | None = None


def import_one(store: Store, campaign: str, path: str, *, operator: str, options: ImportOptions) -> FileOutcome:
    """Import one file; a refusal (bad file, unreadable file) is returned, not raised, with
    its problems written beside the file. A fault of the store itself is raised."""
    try:
        summary = import_file(
            store,
            campaign,
            path,
            operator=operator,
            fmt=options.fmt,
            kit=options.kit,
            columns=options.columns,
            amend=options.amend,
            reason=options.reason,
            encoding=options.encoding,
        )
    except InputRejected as exc:
        written = None
        if exc.problems:
            try:
                written = write_problems(exc.problems, problems_path(path))
            except OutputFailed:  # a full disk: the refusal itself is still reported
                written = None
        return FileOutcome(path, error=exc, problems_file=written)
    except OSError as exc:  # vanished or unreadable between listing and reading
        return FileOutcome(path, error=PoolabError(f"{path}: {exc.strerror or exc}"))
    except PoolabError as exc:
        from poolab.errors import StoreFault, StoreMissing

        if isinstance(exc, StoreFault | StoreMissing):
            raise
        return FileOutcome(path, error=exc)
    stale = problems_path(path)  # an earlier refusal's problems: the file is in now
    if os.path.exists(stale):
        os.remove(stale)
    return FileOutcome(path, summary=summary)


def check_target(store: Store, campaign: str, options: ImportOptions) -> None:
    """Before the first file: the campaign exists and the kit reads (each would refuse
    every file the same way)."""
    with store.read() as conn:
        campaign_by_name(conn, name=campaign)
    load_kit(options.kit)


def import_files(
    store: Store, campaign: str, paths: Iterable[str], *, operator: str, options: ImportOptions
) -> Iterator[FileOutcome]:
    """Each file imported on its own, in the order given, as it goes (a caller can say
    each file's line while the next is read). The campaign and the kit are checked now."""
    check_target(store, campaign, options)
    return (import_one(store, campaign, os.fspath(path), operator=operator, options=options) for path in paths)
