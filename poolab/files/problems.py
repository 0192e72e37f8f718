"""Every problem of an input, not only the ones a terminal shows: the problems file.

A refused import lists its first ``SHOWN`` problems on the terminal and all of them in a
CSV beside the input (``roster.csv.problems.csv``: line, column, value, reason), values
redacted as in messages. A scan stream's refusals are grouped by reason on the terminal
(a re-run of yesterday's file is one line with a count), all of them in the same kind of
file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import datetime

import attrs

from poolab.errors import Problem
from poolab.masking import redact

SHOWN = 50
"""Problems a refused import prints; the rest are in its problems file."""
EXAMPLES = 3
"""Lines shown for each reason a stream's refusals are grouped by."""
PROBLEM_COLUMNS = ("line", "column", "value", "reason")
_DETAIL = re.compile(r" \(|: | at [0-9]| to tube |（|：")  # the Chinese messages' detail follows （ or ：


def reason_of(problem: Problem) -> str:
    """The part of a problem's message that is the same for every line with that problem
    ("tube scanned twice", not "... (first at line 12)")."""
    return _DETAIL.split(problem.message, maxsplit=1)[0]


@attrs.frozen(slots=True)
class ReasonGroup:
    """The refusals of one reason: how many, and the first few."""

    reason: str
    count: int
    examples: tuple[Problem, ...]


def group_by_reason(problems: Sequence[Problem], *, examples: int = EXAMPLES) -> list[ReasonGroup]:
    """Problems grouped by ``reason_of``, groups in order of their first line."""
    groups: dict[str, list[Problem]] = {}
    for p in sorted(problems, key=lambda p: p.line):
        groups.setdefault(reason_of(p), []).append(p)
    return [ReasonGroup(reason, len(ps), tuple(ps[:examples])) for reason, ps in groups.items()]


def problems_path(source: str, *, label: str = "poolab") -> str:
    """Where the problems of ``source`` are written: beside it (``FILE.problems.csv``), or
    for standard input in the working folder, named by ``label`` and the time."""
    if source and not source.startswith("<") and os.path.isdir(os.path.dirname(os.path.abspath(source))):
        folder = os.path.dirname(os.path.abspath(source))
        if os.access(folder, os.W_OK):
            return f"{source}.problems.csv"
        return f"{os.path.basename(source)}.problems.csv"
    return f"{label}-{datetime.now():%Y%m%d-%H%M%S}.problems.csv"


def write_problems(problems: Sequence[Problem], path: str) -> str:
    """Write every problem (line, column, value redacted, reason) to ``path``; returns it."""
    from poolab.files.csvio import write_csv

    rows = [(str(p.line), p.column, redact(p.value), p.message) for p in sorted(problems, key=lambda p: p.line)]
    write_csv(path, PROBLEM_COLUMNS, rows)
    return path
