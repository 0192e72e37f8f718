"""Stations for the race tests: real processes that run the real CLI at the same moment.

Each station is a spawned Python process that imports the CLI and the library modules
once, then, for each round, waits at a barrier shared with the other stations and runs
its command in-process. The barrier takes start-up time out of the race, so the
stations' transactions overlap on every round instead of by luck.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

# Imported before the first round, so no station spends its head start importing.
_WARM = (
    "poolab.reception",
    "poolab.results",
    "poolab.resolve",
    "poolab.campaigns",
    "poolab.sampling",
    "poolab.roster_import",
)


class Outcome(NamedTuple):
    """What one station's command did."""

    exit_code: int
    output: str  # stdout and stderr together, as a person at the station sees them


def _station(barrier: Any, inbox: Any, outbox: Any) -> None:
    import importlib
    import traceback

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

    def __init__(self, n: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._barrier = ctx.Barrier(n)
        self._inboxes = [ctx.Queue() for _ in range(n)]
        self._outboxes = [ctx.Queue() for _ in range(n)]
        self._procs = [
            ctx.Process(target=_station, args=(self._barrier, i, o), daemon=True)
            for i, o in zip(self._inboxes, self._outboxes, strict=True)
        ]
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


@contextmanager
def stations(n: int) -> Iterator[Stations]:
    """``n`` stations for the length of a test."""
    s = Stations(n)
    try:
        yield s
    finally:
        s.close()
