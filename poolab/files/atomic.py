"""Output files written whole or not at all: into a temporary file beside the target,
renamed over it only once complete. A full disk, a killed process or a bad path leaves
the old file (if any) as it was, and no half-written file under the target's name."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from poolab.errors import PoolabError
from poolab.i18n import _


class OutputFailed(PoolabError):
    """An output file could not be written; nothing was left under its name."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _refuse(target: str, why: str) -> OutputFailed:
    return OutputFailed(
        _("cannot write {target}: {why}; nothing was written (an existing {target} is untouched)").format(
            target=target, why=why
        )
    )


@contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary file to write; on success it replaces ``path`` in one rename."""
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    if os.path.isdir(target):
        raise _refuse(target, _("it is a folder"))
    if not os.path.isdir(folder):
        raise _refuse(target, _("folder {folder} does not exist").format(folder=os.path.dirname(target) or folder))
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise _refuse(target, exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # as open() would have made it
        os.replace(temporary, target)
    except BaseException as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _refuse(target, exc.strerror or str(exc)) from None
        raise
