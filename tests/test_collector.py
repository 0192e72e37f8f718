"""The cyclic collector while a command runs (poolab_cli.collector): off from the start,
back on for commands that run for hours, and as it was once the command ends."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

from poolab_cli.collector import GC_FIRST_GENERATION, end_collector_pause, pause_collector, resume_collector


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    before = gc.isenabled(), gc.get_threshold()
    yield
    end_collector_pause()
    gc.enable() if before[0] else gc.disable()
    gc.set_threshold(*before[1])


def test_pause_resume_and_end() -> None:
    gc.enable()
    gc.set_threshold(700, 10, 10)
    assert pause_collector()
    assert not gc.isenabled()
    assert not pause_collector()  # a second pause (the console script's, then main's) changes nothing
    resume_collector()
    assert gc.isenabled()
    assert (GC_FIRST_GENERATION, 10, 10) == gc.get_threshold()
    end_collector_pause()
    assert gc.isenabled()
    assert (700, 10, 10) == gc.get_threshold()


def test_a_collector_turned_off_by_the_caller_stays_off() -> None:
    gc.disable()
    pause_collector()
    resume_collector()
    end_collector_pause()
    assert not gc.isenabled()


def test_main_leaves_the_collector_as_it_found_it() -> None:
    from poolab_cli.main import main

    gc.enable()
    gc.set_threshold(700, 10, 10)
    with pytest.raises(SystemExit):
        main(["--help"])
    assert gc.isenabled()
    assert (700, 10, 10) == gc.get_threshold()


def test_the_console_script_runs_a_command_without_it() -> None:
    """``poolab`` (the entry point) imports Click and the front end and runs a command
    without one collection between its start and its end (the same run without the pause
    collects, so the count can tell), and leaves the collector off for the process's end."""
    code = """
import gc, sys
import poolab_cli.collector as c
mode, runs, marks = sys.argv[1], [], []
gc.callbacks.append(lambda phase, info: runs.append(1) if phase == "start" else None)
pause = c.pause_collector
c.pause_collector = lambda: (marks.append(len(runs)), pause() if mode == "paused" else False)[1]
import poolab_cli.entry as entry
entry.leave = sys.exit  # the process's end is tests/test_entry.py's subject, not this one's
sys.argv = ["poolab", "--help"]
try:
    entry.main()
except SystemExit:
    pass
print(len(runs) - marks[0], gc.isenabled())
"""

    def run(mode: str) -> list[str]:
        proc = subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True, check=False)
        return proc.stdout.splitlines()[-1].split()

    assert ["0", "False"] == run("paused")
    assert int(run("unpaused")[0]) > 0
