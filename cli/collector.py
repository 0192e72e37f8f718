"""The cyclic collector while a command runs.

Python's cyclic collector runs every 700 new objects: importing Click, SQLAlchemy, SQLModel
and the library (hundreds of thousands of long-lived objects, no garbage cycles) sets it
off dozens of times, about 2.5% of a short command's instructions (`poolab status`: 50
million of 2 billion). A command runs without it, as the bulk paths always did
(``poolab.store.bulk.pauses_gc``), except those that run for hours (a scanner's session,
the command post, a watched folder, keyed results), which turn it back on as they start
(``resume_collector``), to run every 10,000 new objects.

This module imports nothing but ``gc``: the console script (``poolab_cli.entry``) pauses
the collector before Click is imported, and leaves it off to the end of the process, whose
last full collection would otherwise go through every object the imports made (most of
the saving). ``poolab_cli.main.main`` called in a process (the tests) ends its own pause.
"""

from __future__ import annotations

import gc

GC_FIRST_GENERATION = 10_000
_SAVED: list[tuple[int, int, int]] = []  # the thresholds from before the command, while it runs


def pause_collector() -> bool:
    """Turn the cyclic collector off for a command (if it is on); whether this call did
    (then its caller ends the pause)."""
    if gc.isenabled() and not _SAVED:
        _SAVED.append(gc.get_threshold())
        gc.disable()
        gc.set_threshold(GC_FIRST_GENERATION, *_SAVED[0][1:])
        return True
    return False


def resume_collector() -> None:
    """Turn the collector back on, if ``pause_collector`` turned it off: a command that
    may run for hours, once it has its modules."""
    if _SAVED:
        gc.enable()


def end_collector_pause() -> None:
    """The collector as it was before the command (tests run many in one process)."""
    if _SAVED:
        gc.enable()
        gc.set_threshold(*_SAVED.pop())
