"""Output files written whole or not at all: into a temporary file beside the target,
renamed over it only once complete. A full disk, a killed process or a bad path leaves
the old file (if any) as it was, and no half-written file under the target's name.

What is not a regular file is not replaced: a device (``/dev/null``), a FIFO or a
descriptor of this process (``/proc/self/fd/1``, ``/dev/stdout``) is written directly,
and a symlink is followed, its target replaced beside itself (the link stays a link).

The temporary file is named ``.NAME.HOST.PID.XXXXXXXX.part``; a run on the same host
finding one whose process is gone (killed half-way) removes it. A folder may be shared
between machines, whose process numbers mean nothing here: their files are removed only
once untouched for a day. Files default to 0600 (owner only,
whatever the umask): most of what poolab writes holds names, ID numbers or phones."""

from __future__ import annotations

import os
import re
import socket
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from poolab.errors import PoolabError
from poolab.i18n import _


class OutputFailed(PoolabError):
    """An output file could not be written; nothing was left under its name."""


STALE_AFTER = 24 * 3600.0
"""Seconds after which a temporary file is left over from a dead run whatever process it
names (an older poolab's name none; a number may have been reused): a live export
touches its file long before that."""
_DESCRIPTOR_PATHS = re.compile(r"^/(proc/(self|thread-self|[0-9]+)/fd/[0-9]+|dev/(fd/[0-9]+|stdout|stderr))$")


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


def _written_in_place(target: str) -> bool:
    """A device, a FIFO, a socket or a descriptor path: written directly, never replaced
    (a rename would put a regular file where the device node was)."""
    if _DESCRIPTOR_PATHS.match(os.path.abspath(target)):
        return True
    try:
        mode = os.stat(target).st_mode  # through symlinks: /dev/stdout -> /proc/self/fd/1 -> pipe
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@contextmanager
def _in_place(target: str) -> Iterator[BinaryIO]:
    try:
        with open(target, "wb") as f:
            yield f
            f.flush()
    except OSError as exc:
        raise OutputFailed(
            _("cannot write {target}: {error}").format(target=target, error=exc.strerror or exc)
        ) from None


def host_name() -> str:
    """This machine's name as it can stand in a file name."""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # another user's process: alive
        return False
    return False


def remove_stale_parts(folder: str, name: str) -> list[str]:
    """Remove the temporary files of ``name`` left in ``folder`` by runs killed half-way:
    those naming a process of this host that is gone, and any untouched for ``STALE_AFTER``.
    A live writer's file is never touched. Returns the names removed."""
    pattern = re.compile(re.escape(f".{name}.") + r"(?:([A-Za-z0-9-]+)\.([0-9]+)\.)?[a-z0-9_]{8}\.part")
    host = host_name()
    removed: list[str] = []
    try:
        entries = os.listdir(folder)
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry)
        if not match:
            continue
        path = os.path.join(folder, entry)
        try:
            # untouched for a day: dead whatever it names (its process number reused since)
            stale = time.time() - os.lstat(path).st_mtime > STALE_AFTER
            if not stale and match.group(1) == host:
                stale = _process_gone(int(match.group(2)))
            if stale:
                os.unlink(path)
                removed.append(entry)
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


@contextmanager
def atomic_file(path: str | os.PathLike[str], *, private: bool = True) -> Iterator[BinaryIO]:
    """A binary file to write; on success it replaces ``path`` in one rename (a device or
    FIFO is written directly, a symlink's target replaced). ``private``: mode 0600 whatever
    the umask, for what can hold personal data; otherwise as ``open()`` would make it."""
    target = os.fspath(path)
    if os.path.isdir(target):
        raise _refuse(target, _("it is a folder"))
    if _written_in_place(target):
        with _in_place(target) as f:
            yield f
        return
    real = os.path.realpath(target) if os.path.islink(target) else target
    folder = os.path.dirname(os.path.abspath(real))
    if not os.path.isdir(folder):
        raise _refuse(target, _("folder {folder} does not exist").format(folder=os.path.dirname(real) or folder))
    name = os.path.basename(real)
    remove_stale_parts(folder, name)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{name}.{host_name()}.{os.getpid()}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise _refuse(target, exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        # mkstemp made it 0600; a file of no personal data gets what open() would give it
        if not private:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, real)
    except BaseException as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _refuse(target, exc.strerror or str(exc)) from None
        raise
