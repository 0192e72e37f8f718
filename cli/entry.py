"""The ``poolab`` console script: the cyclic collector is off (``poolab_cli.collector``)
before Click and the rest are imported, then ``poolab_cli.main`` runs the command, and
the process ends without tearing its modules down.

Python's own end of a process clears every module and frees every object the imports
made, one by one: a quarter of a second after ``poolab demo`` (about 1,300 modules), 0.09
s after a command that only opened the store. None of it is needed: the command closed its
stores (their SQLite write-ahead logs folded back in, the files as a copy would expect)
and files when its Click context ended. The exit handlers still run (logging, coverage
of subprocesses), and standard output and error are flushed; only then does the process
leave with ``os._exit``. A command that left another thread running ends the usual way.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

from .collector import pause_collector


def main() -> NoReturn:
    """Console-script entry point."""
    pause_collector()
    from .main import main as run

    try:
        run()
        code: object = 0
    except SystemExit as stop:
        code = stop.code
    leave(code)


def leave(code: object) -> NoReturn:
    """End the process with ``code`` as ``SystemExit`` would (None is 0, a number is the
    status, anything else is printed to standard error and the status is 1)."""
    if threading.active_count() > 1:
        raise SystemExit(code)  # a thread to wait for: the interpreter's own end joins it
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 120  # what Python's own end does when the flush fails
    os._exit(status)
