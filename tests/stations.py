"""Stations for the race tests: real processes that run the real CLI at the same moment.

Each station is a spawned Python process that imports the CLI and the library modules
once, then, for each round, waits at a barrier shared with the other stations and runs
its command in-process. The barrier takes start-up time out of the race, so the
stations' transactions overlap on every round instead of by luck.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

# Imported before the first round, so no station spends its head start importing.
_WARM = (
    "poolab.lab.reception",
    "poolab.lab.results",
    "poolab.lab.resolve",
    "poolab.field.campaigns",
    "poolab.field.sampling",
    "poolab.roster.importing",
)


class Outcome(NamedTuple):
    """What one station's command did."""

    exit_code: int
    output: str  # stdout and stderr together, as a person at the station sees them


def _station(barrier: Any, inbox: Any, outbox: Any, cwd: str) -> None:
    import importlib
    import os
    import traceback

    os.chdir(cwd)  # problems files of streams from standard input land here
    from click.testing import CliRunner

    from poolab_cli.main import cli

    for module in _WARM:
        importlib.import_module(module)
    while (job := inbox.get()) is not None:
        args, stdin = job
        barrier.wait(timeout=120)
        result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=True)
        output = result.output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            output += "".join(traceback.format_exception(result.exception))
        outbox.put((result.exit_code, output))


class Stations:
    """``n`` station processes; ``race`` gives each one command and releases them together."""

    def __init__(self, n: int, cwd: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._barrier = ctx.Barrier(n)
        self._inboxes = [ctx.Queue() for _ in range(n)]
        self._outboxes = [ctx.Queue() for _ in range(n)]
        self._procs = [
            ctx.Process(target=_station, args=(self._barrier, i, o, os.path.join(cwd, f"station-{k}")), daemon=True)
            for k, (i, o) in enumerate(zip(self._inboxes, self._outboxes, strict=True))
        ]
        for k in range(n):
            os.makedirs(os.path.join(cwd, f"station-{k}"), exist_ok=True)
        self.cwd = cwd
        for p in self._procs:
            p.start()

    def race(self, commands: Sequence[tuple[Sequence[str], str | None]], *, timeout: float = 300) -> list[Outcome]:
        """Run command i (argv, stdin) on station i, all at once; their outcomes in order."""
        assert len(commands) == len(self._procs)
        for inbox, command in zip(self._inboxes, commands, strict=True):
            inbox.put(command)
        return [Outcome(*outbox.get(timeout=timeout)) for outbox in self._outboxes]

    def close(self) -> None:
        for inbox in self._inboxes:
            inbox.put(None)
        for p in self._procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()

    def refusals(self, k: int) -> str:
        """Every problems file station ``k`` wrote, as one text (a stream's refusals,
        line by line, beyond the few its terminal shows)."""
        folder = os.path.join(self.cwd, f"station-{k}")
        texts = []
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                texts.append(f.read())
            os.remove(os.path.join(folder, name))
        return "".join(texts)


@contextmanager
def stations(n: int, cwd: str) -> Iterator[Stations]:
    """``n`` stations for the length of a test, working in folders under ``cwd``."""
    s = Stations(n, cwd)
    try:
        yield s
    finally:
        s.close()
