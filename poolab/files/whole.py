"""A file read whole (a results file, an instrument export, a plate map, a scan file),
with a bound: /dev/zero or a runaway file is refused at ``MAX_WHOLE_FILE`` bytes instead
of filling the memory. Rosters are never read whole (``csvstream`` reads them a block at a
time and bounds each line)."""

from __future__ import annotations

import os

from poolab.errors import InputRejected
from poolab.i18n import _

MAX_WHOLE_FILE = 256 << 20
"""Bytes of a file read whole: a day's results of a city are a few megabytes."""


def read_whole(path: str | os.PathLike[str], *, limit: int = MAX_WHOLE_FILE) -> bytes:
    """The bytes of ``path``, or ``InputRejected`` when it holds more than ``limit``."""
    source = os.fspath(path)
    with open(source, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise InputRejected(
            _(
                "{source}: the file is larger than {size} MiB: not a file this command reads (is it the right file?)"
            ).format(source=source, size=limit >> 20),
            [],
        )
    return data
