"""``results watch``: import every export that lands in a folder (the instrument PC's
shared folder), each once, as soon as it is complete.

File events come from watchfiles (inotify on Linux, the platform's own elsewhere; Rust's
``notify``), not a polling loop of our own: a quiet folder costs nothing, and a new file
is seen within a fraction of a second. A file is taken once it has stopped changing for
``settle`` seconds: a file renamed into the folder is complete at once and is taken
after that pause; a file the instrument writes slowly is taken when its size and time
stop moving. A file that changes again after it was taken (it was refused half-written,
or exported again) is taken again; the same content twice is a no-op, as for
``results import``. Folders mounted from another machine (SMB, NFS) do not deliver
events for writes made there: ``poll`` reads the folder every ``tick`` instead.

watchfiles is imported only here, when a watch starts."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

from poolab.errors import PoolabError
from poolab.i18n import _
from poolab.lab.bench.batch import FileOutcome, ImportOptions, check_target, import_one
from poolab.store.engine import Store

EXPORT_SUFFIXES = (".txt", ".csv", ".tsv", ".xls", ".xlsx", ".xlsm")
"""What an instrument writes; anything else in the folder is left alone."""
_SKIPPED_ENDINGS = (".problems.csv",)  # our own refusals, written beside the file


def is_export_name(path: str) -> bool:
    """Whether a file in the watched folder is an export to take (not a hidden or
    temporary file, an Office lock file, or a problems file poolab wrote)."""
    name = os.path.basename(path)
    if name.startswith((".", "~$")) or name.lower().endswith(_SKIPPED_ENDINGS):
        return False
    return name.lower().endswith(EXPORT_SUFFIXES)


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not os.path.isfile(path):
        return None
    return st.st_size, st.st_mtime_ns


def watch_folder(
    store: Store,
    campaign: str,
    folder: str,
    *,
    operator: str,
    options: ImportOptions,
    settle: float = 2.0,
    poll: bool = False,
    tick: float = 0.25,
    stop: threading.Event | None = None,
) -> Iterator[FileOutcome]:
    """Each export that appears in ``folder`` (and each already there when the watch
    starts), imported once it has been still for ``settle`` seconds, as its outcome.
    Ends when ``stop`` is set; Ctrl-C (or SIGTERM made one, as the CLI does) raises
    KeyboardInterrupt out of it, and a file interrupted half-way through its import is
    left unrecorded (its transaction rolled back) for the next watch."""
    if not os.path.isdir(folder):
        raise PoolabError(_("{folder}: no such folder to watch").format(folder=folder))
    check_target(store, campaign, options)  # now, not at the first file: a wrong name is said at once
    return _watch(store, campaign, folder, operator, options, settle, poll, tick, stop or threading.Event())


def _watch(
    store: Store,
    campaign: str,
    folder: str,
    operator: str,
    options: ImportOptions,
    settle: float,
    poll: bool,
    tick: float,
    stop: threading.Event,
) -> Iterator[FileOutcome]:
    from watchfiles import Change, watch

    pending: dict[str, tuple[tuple[int, int], float]] = {}  # path -> (size, mtime), since when
    taken: dict[str, tuple[int, int]] = {}  # path -> (size, mtime) when imported or refused

    def note(path: str, now: float) -> None:
        if not is_export_name(path):
            return
        seen = _stat(path)
        if seen is None:
            pending.pop(path, None)
        elif taken.get(path) != seen and (path not in pending or pending[path][0] != seen):
            pending[path] = (seen, now)

    start = time.monotonic()
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        note(entry.path, start)
    events = watch(
        folder,
        stop_event=stop,
        recursive=False,
        debounce=200,
        step=50,
        rust_timeout=max(int(tick * 1000), 50),
        yield_on_timeout=True,
        force_polling=poll or None,
        poll_delay_ms=max(int(tick * 1000), 50),
        ignore_permission_denied=True,
    )
    for changes in events:
        now = time.monotonic()
        for change, path in sorted(changes, key=lambda c: c[1]):
            if change == Change.deleted:
                pending.pop(path, None)
                taken.pop(path, None)
            else:
                note(path, now)
        ready = []
        for path, (seen, since) in list(pending.items()):
            current = _stat(path)
            if current is None:
                del pending[path]
            elif current != seen:
                pending[path] = (current, now)  # still growing
            elif now - since >= settle:
                ready.append((since, path))
        for _since, path in sorted(ready):
            if stop.is_set():
                return
            seen, _ = pending.pop(path)
            outcome = import_one(store, campaign, path, operator=operator, options=options)
            taken[path] = seen  # a change made while it was imported is seen as new, and taken again
            yield outcome
